"""The T5 study's objectives (Raffel et al. §3.3; docs/STUDY.md §3) and UL2's mixture of denoisers
(STUDY.md §8): names, exact lengths, noise and span counts, reconstruction and seeds on made-up
documents; then on the real C4 build: the catalog's study tasks, the fast feed equal to seqio's
own `get_dataset` batch for batch, UL2's mode tokens from the vocabulary, and a user's own source.

Statistical bounds come from the binomial variance (`objective_testing.assert_binomial`) or a
chi-square test; expected lengths and counts are worked out by hand in the comments."""

from __future__ import annotations

import numpy as np
import pytest
import seqio
from objective_testing import (
    BIG_VOCAB,
    EOS,
    assert_binomial,
    is_interleaving,
    merge_runs,
    merge_sentinels,
    sentinels,
)
from scipy import stats

from c4forge.tasks import catalog, feed, registry, ul2
from c4forge.tasks.objectives import (
    BertStyle,
    IidDenoising,
    IidDropTokens,
    MassStyle,
    PrefixLM,
    SpanCorruption,
    group_rng,
    parse,
)
from c4forge.tasks.preprocessors import objective_preprocessor
from c4forge.tasks.ul2 import UL2

# Made-up documents of consecutive ids from 100 up, all distinct, so any example's tokens show
# where they came from; a vocabulary so large that ids >= HUGE_VOCAB - 1000 are only sentinels.
HUGE_VOCAB = 10**8
FIRST_SENTINEL = HUGE_VOCAB - 1000


def distinct_docs(sizes):
    ends = np.cumsum(sizes) + 100
    return [np.arange(end - n, end) for n, end in zip(sizes, ends, strict=True)]


def pieces_of(docs, length):
    stream = np.concatenate(docs).tolist()
    return [stream[i : i + length] for i in range(0, len(stream), length)]


# -- names --------------------------------------------------------------------------------


def test_the_study_set():
    assert catalog.STUDY_OBJECTIVES == (
        "bert_style",
        "mass_style",
        "iid_drop_tokens",
        "iid_denoising_r10",
        "iid_denoising_r25",
        "iid_denoising_r50",
        "span_corruption_r10",
        "span_corruption_r25",
        "span_corruption_r50",
        "span_corruption_s2",
        "span_corruption_s5",
        "span_corruption_s10",
        "ul2",
    )


@pytest.mark.parametrize("name", catalog.C4_OBJECTIVES + catalog.STUDY_OBJECTIVES)
def test_parse_gives_back_the_name(name):
    assert parse(name).name == name
    assert parse(name) == parse(name)


@pytest.mark.parametrize(
    ("name", "expected", "canonical"),
    [
        ("span_corruption", SpanCorruption(), "span_corruption"),
        ("span_corruption_r50_s3", SpanCorruption(noise_density=0.5), "span_corruption_r50"),
        ("span_corruption_s10", SpanCorruption(mean_noise_span_length=10.0), "span_corruption_s10"),
        ("span_corruption_r15_s3", SpanCorruption(), "span_corruption"),
        (
            "span_corruption_r12.5_s2.5",
            SpanCorruption(noise_density=0.125, mean_noise_span_length=2.5),
            "span_corruption_r12.5_s2.5",
        ),
        ("iid_denoising_r25", IidDenoising(noise_density=0.25), "iid_denoising_r25"),
        ("bert_style_r15", BertStyle(), "bert_style"),
        ("mass_style_r25", MassStyle(noise_density=0.25), "mass_style_r25"),
        ("iid_drop_tokens_r10", IidDropTokens(noise_density=0.1), "iid_drop_tokens_r10"),
        ("prefix_lm_r25", PrefixLM(noise_density=0.25), "prefix_lm_r25"),
        ("ul2", UL2(), "ul2"),
    ],
)
def test_parse(name, expected, canonical):
    objective = parse(name)
    assert type(objective) is type(expected)
    assert objective == expected
    assert objective.name == canonical


@pytest.mark.parametrize(
    "name",
    [
        "bert",
        "span_corruption_",
        "span_corruption_r",
        "span_corruption_s3_r50",
        "iid_denoising_s3",
        "ul2_r10",
        "Span_Corruption",
        "span_corruption_r-5",
        " span_corruption",
    ],
)
def test_parse_refuses_unknown_names(name):
    with pytest.raises(ValueError, match=r"^unknown objective .*: use one of ") as info:
        parse(name)
    message = str(info.value)
    assert "\n" not in message
    assert message.endswith(
        "span_corruption[_r<percent>][_s<mean span>], iid_denoising[_r<percent>], "
        "bert_style[_r<percent>], mass_style[_r<percent>], iid_drop_tokens[_r<percent>], "
        "prefix_lm[_r<percent>], deshuffling, full_lm, ul2"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("span_corruption_r0", "the rate must be a percent in (0, 100), got 0"),
        ("iid_denoising_r100", "the rate must be a percent in (0, 100), got 100"),
        ("prefix_lm_r60", "the rate must be a percent in (0, 50], got 60"),
        ("span_corruption_s0", "the mean span must be positive"),
    ],
)
def test_parse_refuses_parameters_out_of_range(name, message):
    with pytest.raises(ValueError, match=f"^objective '{name}': ") as info:
        parse(name)
    assert str(info.value).endswith(message)


# -- exact lengths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "lengths"),
    [
        # Span corruption, raw t: noise n = round(t r), spans k = round(n / μ) (halves to
        # even); inputs t - n + k + 1 = 512 while t + 1 would give 513; targets n + k + 1.
        ("span_corruption_r10", (548, 74)),  # n = round(54.8) = 55, k = 18
        ("span_corruption_r25", (614, 206)),  # n = round(153.5) = 154, k = 51
        ("span_corruption_r50", (766, 512)),  # 767 would make targets 513 > 512: one less
        ("span_corruption_s2", (552, 126)),  # n = 83, k = round(41.5) = 42
        ("span_corruption_s5", (581, 105)),  # n = round(87.15) = 87, k = 17
        ("span_corruption_s10", (591, 99)),  # n = round(88.65) = 89, k = 9
        # Pieces of 511 tokens (T5's split_tokens_to_inputs_length); targets the whole piece.
        ("bert_style", (511, 512)),
        ("mass_style", (511, 512)),
        # STUDY.md: iid_15_d_d's targets are 104 at 512 inputs.
        ("iid_drop_tokens", (511, 104)),
    ],
)
def test_lengths_at_512(name, lengths):
    assert parse(name).lengths({"inputs": 512, "targets": 512}) == lengths


@pytest.mark.parametrize("inputs_length", [64, 128, 512, 1024])
@pytest.mark.parametrize("rate", [0.1, 0.15, 0.25, 0.5])
def test_drop_tokens_targets_hold_99_9_percent(inputs_length, rate):
    # T5's rule for 104: the 99.9th percentile of Binomial(511, 0.15) noise tokens, + EOS.
    expected = int(stats.binom.ppf(0.999, inputs_length - 1, rate)) + 1
    assert IidDropTokens(noise_density=rate).lengths({"inputs": inputs_length}) == (
        inputs_length - 1,
        expected,
    )


@pytest.mark.parametrize(
    ("name", "inputs_length", "raw", "noise", "spans"),
    [
        # At 512 (hand arithmetic in test_lengths_at_512).
        ("span_corruption_r10", 512, 548, 55, 18),
        ("span_corruption_r25", 512, 614, 154, 51),
        ("span_corruption_r50", 512, 766, 383, 128),  # 766 - 383 + 128 = 511 (+ EOS)
        ("span_corruption_s2", 512, 552, 83, 42),
        ("span_corruption_s5", 512, 581, 87, 17),
        ("span_corruption_s10", 512, 591, 89, 9),
        # At 128: t - n + k + 1 = 128, and t + 1 gives 129.
        ("span_corruption_r10", 128, 136, 14, 5),  # round(13.6) = 14, round(4.67) = 5
        ("span_corruption_r25", 128, 152, 38, 13),  # 38 / 3 = 12.67 -> 13
        ("span_corruption_r50", 128, 190, 95, 32),  # targets 95 + 32 + 1 = 128 too
        ("span_corruption_s2", 128, 138, 21, 10),  # round(20.7) = 21, round(10.5) = 10
        ("span_corruption_s5", 128, 145, 22, 4),  # round(21.75) = 22, round(4.4) = 4
        ("span_corruption_s10", 128, 147, 22, 2),  # round(22.05) = 22, round(2.2) = 2
    ],
)
def test_span_corruption_examples_fill_their_lengths(name, inputs_length, raw, noise, spans):
    objective = parse(name)
    assert objective.lengths({"inputs": inputs_length})[0] == raw
    docs = distinct_docs([20 * raw + 7, 3 * raw])  # 23 full pieces and a short one
    out = objective.examples(docs, group_rng(0, 0), {"inputs": inputs_length}, HUGE_VOCAB)
    pieces = pieces_of(docs, raw)
    assert len(out) == len(pieces) == 24
    for ex, piece in zip(out, pieces, strict=True):
        assert merge_sentinels(ex["inputs"], ex["targets"], FIRST_SENTINEL) == piece
        if len(piece) < raw:
            continue
        k = len(sentinels(ex["inputs"], FIRST_SENTINEL))
        assert k == spans == len(sentinels(ex["targets"], FIRST_SENTINEL))
        assert len(ex["targets"]) - k == noise
        assert len(ex["inputs"]) + 1 == inputs_length  # with EOS: exactly full
        # Noise spans are runs of consecutive ids in the targets: k of them, mean n / k.
        dropped = np.array([t for t in ex["targets"].tolist() if t < FIRST_SENTINEL])
        assert 1 + int(np.sum(np.diff(dropped) > 1)) == spans


def test_length_errors_are_one_line():
    cases = [
        (
            BertStyle(),
            {"inputs": 512, "targets": 114},
            "bert_style at inputs length 512 makes targets of 512 tokens (the whole piece); "
            "the targets length is 114",
        ),
        (
            MassStyle(noise_density=0.25),
            {"inputs": 64, "targets": 63},
            "mass_style_r25 at inputs length 64 makes targets of 64 tokens (the whole piece); "
            "the targets length is 63",
        ),
        (
            IidDropTokens(),
            {"inputs": 512, "targets": 103},
            "iid_drop_tokens at inputs length 512 makes targets of up to 104 tokens (99.9% of "
            "pieces); the targets length is 103",
        ),
    ]
    for objective, lengths, message in cases:
        with pytest.raises(ValueError, match=" makes targets of ") as info:
            objective.lengths(lengths)
        assert str(info.value) == message
        with pytest.raises(ValueError, match="the targets length is"):
            objective.examples([np.arange(3, 700)], group_rng(0, 0), lengths, 1100)


# -- BERT-style and MASS-style ------------------------------------------------------------


@pytest.fixture(scope="module")
def random_docs():
    """22 documents of 60,000 ids in [3, 1000): 1.32 M tokens (each doc under one 65,536-token
    chunk, so the group's stream is the documents themselves)."""
    rng = np.random.default_rng(0)
    return [rng.integers(3, 1000, 60_000) for _ in range(22)]


@pytest.mark.parametrize(("cls", "random_rate"), [(BertStyle, 0.1), (MassStyle, 0.0)])
def test_masking_rates(random_docs, cls, random_rate):
    out = cls().examples(random_docs, group_rng(1, 0), {"inputs": 512, "targets": 512}, BIG_VOCAB)
    stream = np.concatenate(random_docs)
    # Targets: the whole pieces of 511 tokens, the stream back in order.
    assert [len(ex["targets"]) for ex in out[:-1]] == [511] * (len(out) - 1)
    assert np.array_equal(np.concatenate([ex["targets"] for ex in out]), stream)
    inputs = np.concatenate([ex["inputs"] for ex in out])
    assert all(len(ex["inputs"]) == len(ex["targets"]) for ex in out)
    # 15% of the tokens corrupted, all of them changed: no "leave unchanged" branch (BERT's own
    # 80/10/10 would change only 13.5%). A random id equal to the original (p = 1e-6) is the
    # only corrupted token that looks untouched.
    corrupted = inputs != stream
    assert_binomial(int(corrupted.sum()), len(stream), 0.15)
    shared = inputs == BIG_VOCAB - 1  # the one sentinel, for every masked token
    swapped = corrupted & ~shared
    if random_rate:
        assert_binomial(int(swapped.sum()), int(corrupted.sum()), random_rate)
        # Random ids are uniform in [3, BIG_VOCAB): almost all beyond the documents' ids.
        assert inputs[swapped].min() >= 3
        assert np.mean(inputs[swapped] >= 1000) > 0.99
    else:  # MASS: every corrupted token is the shared sentinel
        assert not swapped.any()


def test_bert_style_random_ids_cover_the_vocabulary_uniformly():
    # Documents of the single id 5, vocabulary 1,100: a random id is uniform in [3, 1100)
    # (T5's noise_token_to_random_token, sentinels 1000..1099 included); it is seen unless it
    # draws 5 or the shared sentinel 1099.
    docs = [np.full(60_000, 5) for _ in range(25)]
    out = BertStyle().examples(docs, group_rng(2, 0), {"inputs": 512, "targets": 512}, 1100)
    inputs = np.concatenate([ex["inputs"] for ex in out])
    seen = inputs[(inputs != 5) & (inputs != 1099)]
    # 1.5 M tokens x 0.15 x 0.1: 22,500 swaps expected, 1095 / 1097 of them seen.
    assert_binomial(len(seen), len(inputs), 0.15 * 0.1 * 1095 / 1097)
    assert seen.min() >= 3
    assert seen.max() <= 1098
    ids = np.setdiff1d(np.arange(3, 1100), [5, 1099])
    counts = np.bincount(seen, minlength=1100)
    bins = np.array_split(ids, 10)
    observed = [counts[b].sum() for b in bins]
    expected = [len(seen) * len(b) / len(ids) for b in bins]
    assert stats.chisquare(observed, expected).pvalue > 1e-4
    assert np.sum(seen >= 1000) > 0.8 * len(seen) * 99 / 1095  # sentinel ids are hit


# -- dropping and i.i.d. replacing --------------------------------------------------------


def test_drop_tokens_interleave_back():
    docs = distinct_docs([60_000, 60_000, 60_000, 20_000])  # within one 65,536-token chunk each
    out = IidDropTokens().examples(docs, group_rng(3, 0), {"inputs": 512}, HUGE_VOCAB)
    pieces = pieces_of(docs, 511)
    assert len(out) == len(pieces)
    dropped = 0
    for ex, piece in zip(out, pieces, strict=True):
        inputs, targets = ex["inputs"].tolist(), ex["targets"].tolist()
        # Both keep the stream's order (ids increase) and together are the piece.
        assert inputs == sorted(inputs)
        assert targets == sorted(targets)
        assert sorted(inputs + targets) == piece
        assert len(inputs) + 1 <= 512
        dropped += len(targets)
    assert_binomial(dropped, 200_000, 0.15)
    # The targets length 104 holds all but ~0.1% of pieces (P(noise > 103) = 1 - cdf(103)).
    long = sum(len(ex["targets"]) + 1 > 104 for ex in out)
    assert_binomial(long, len(out), 1 - stats.binom.cdf(103, 511, 0.15))


@pytest.mark.parametrize("rate", [0.10, 0.25, 0.50])
def test_iid_denoising_rates(rate):
    docs = distinct_docs([60_000, 60_000])
    objective = parse(f"iid_denoising_r{round(rate * 100)}")
    out = objective.examples(docs, group_rng(4, 0), {"inputs": 512}, HUGE_VOCAB)
    pieces = pieces_of(docs, 511)
    noise = 0
    for ex, piece in zip(out, pieces, strict=True):
        assert merge_runs(ex["inputs"], ex["targets"], FIRST_SENTINEL) == piece
        dropped = np.array([t for t in ex["targets"].tolist() if t < FIRST_SENTINEL])
        runs = 1 + int(np.sum(np.diff(dropped) > 1)) if len(dropped) else 0
        assert len(sentinels(ex["inputs"], FIRST_SENTINEL)) == runs  # one sentinel per run
        noise += len(dropped)
    assert_binomial(noise, 120_000, rate)


# -- seeds and empty documents ------------------------------------------------------------

MODE_IDS = ((7, 8, 9), (10, 11), (12,))  # R, S, X: 3, 2 and 1 tokens

NEW_OBJECTIVES = [
    BertStyle(),
    MassStyle(),
    IidDropTokens(),
    IidDenoising(noise_density=0.5),
    SpanCorruption(noise_density=0.5, mean_noise_span_length=10.0),
    UL2(mode_ids=MODE_IDS),
]


@pytest.mark.parametrize("objective", NEW_OBJECTIVES, ids=lambda o: o.name)
def test_same_seed_same_examples(objective):
    rng = np.random.default_rng(5)
    docs = [rng.integers(13, 1000, int(n)) for n in (3000, 400, 2500)]
    lengths = {"inputs": 128, "targets": 128}

    def made(seed):
        out = objective.examples(docs, group_rng(seed, 0), lengths, 1100)
        return [(ex["inputs"].tolist(), ex["targets"].tolist()) for ex in out]

    assert made(1) == made(1)
    assert made(1) != made(2)
    # Empty documents are skipped before anything is drawn.
    empty = np.zeros(0, np.int64)
    padded = objective.examples([empty, docs[0], empty, *docs[1:]], group_rng(1, 0), lengths, 1100)
    assert [(ex["inputs"].tolist(), ex["targets"].tolist()) for ex in padded] == made(1)
    assert objective.examples([empty], group_rng(1, 0), lengths, 1100) == []


# -- UL2 ----------------------------------------------------------------------------------

# The denoisers at inputs 128 with MODE_IDS: (mode, raw t, noise n, spans k, targets with EOS).
# A span denoiser has 128 - m inputs for an m-token mode: t - n + k + 1 = 128 - m, t + 1 too many.
UL2_AT_128 = [
    ("R", 138, 21, 7, 29),  # room 125: n = round(20.7) = 21, k = 7
    ("R", 142, 21, 3, 25),  # room 125: n = round(21.3) = 21, k = round(2.625) = 3
    ("S", 126, None, None, 126),  # room 126: prefix 1..125, targets 125..1 (+ EOS)
    ("X", 189, 94, 31, 126),  # room 127: n = round(94.5) = 94 (to even), k = round(31.3) = 31
    ("X", 224, 112, 14, 127),  # room 127: n = 112, k = 14
    ("X", 147, 22, 1, 24),  # room 127: n = round(22.05) = 22, k = max(round(0.34), 1) = 1
    ("X", 248, 124, 2, 127),  # room 127: n = 124, k = round(1.94) = 2
]


def test_ul2_denoisers_as_pinned():
    assert [(d.mode, d.mean_noise_span_length, d.noise_density) for d in ul2.DENOISERS] == [
        ("R", 3.0, 0.15),
        ("R", 8.0, 0.15),
        ("S", None, 0.5),
        ("X", 3.0, 0.5),
        ("X", 8.0, 0.5),
        ("X", 64.0, 0.15),
        ("X", 64.0, 0.5),
    ]
    assert ul2.MODE_TOKENS == {"R": "[NLU]", "S": "[S2S]", "X": "[NLG]"}
    assert sum(d.share for d in ul2.DENOISERS) == pytest.approx(1.0)


def test_ul2_lengths():
    objective = UL2(mode_ids=MODE_IDS)
    table = objective.denoiser_lengths({"inputs": 128, "targets": 128})
    assert table == [(raw, targets) for _, raw, _, _, targets in UL2_AT_128]
    assert objective.lengths({"inputs": 128, "targets": 128}) == (248, 127)


def test_ul2_refuses_what_does_not_fit():
    objective = UL2(mode_ids=MODE_IDS)
    with pytest.raises(ValueError, match=r"^ul2 at inputs length 128: ") as info:
        objective.lengths({"inputs": 128, "targets": 114})
    assert str(info.value) == (
        "ul2 at inputs length 128: its S (prefix LM) denoiser makes targets of 126 tokens; "
        "the targets length is 114"
    )
    with pytest.raises(
        ValueError, match=r"its X \(mean span 8, 50%\) denoiser makes targets of 127"
    ):
        objective.lengths({"inputs": 128, "targets": 126})
    with pytest.raises(
        ValueError,
        match=r"^ul2 at inputs length 4: the R mode token takes 3 of them; the inputs length "
        r"must be at least 5$",
    ):
        objective.lengths({"inputs": 4, "targets": 128})
    with pytest.raises(ValueError, match=r"^ul2 has no mode-token ids: bind it to the task's"):
        UL2().lengths({"inputs": 128, "targets": 128})


@pytest.fixture(scope="module")
def ul2_made():
    """28 distinct-id documents of 60,000 tokens -> > 10^4 examples at 128/128."""
    docs = distinct_docs([60_000] * 28)
    out = UL2(mode_ids=MODE_IDS).examples(
        docs, group_rng(7, 0), {"inputs": 128, "targets": 128}, HUGE_VOCAB
    )
    return docs, out


def _denoiser_of(example) -> int:
    """Which row of UL2_AT_128 made a full-length example: its mode, then its sentinel count."""
    inputs = example["inputs"].tolist()
    mode = next(
        m for m, ids in zip("RSX", MODE_IDS, strict=True) if inputs[: len(ids)] == list(ids)
    )
    if mode == "S":
        return 2
    k = len(sentinels(inputs, FIRST_SENTINEL))
    (row,) = [i for i, d in enumerate(UL2_AT_128) if d[0] == mode and d[3] == k]
    return row


def test_ul2_examples_are_exact_and_merge_back(ul2_made):
    docs, out = ul2_made
    assert len(out) > 10_000
    stream = []
    for ex in out:
        inputs = ex["inputs"].tolist()
        (mode_ids,) = [ids for ids in MODE_IDS if tuple(inputs[: len(ids)]) == ids]
        body, targets = inputs[len(mode_ids) :], ex["targets"].tolist()
        if mode_ids == MODE_IDS[1]:  # S: prefix and rest
            stream += body + targets
        else:
            stream += merge_sentinels(body, targets, FIRST_SENTINEL)
    # Mode tokens aside, the examples are the documents, in order, nothing lost.
    assert stream == np.concatenate(docs).tolist()
    for ex in out[:-1]:  # every piece but the group's last is full-length
        mode, raw, noise, spans, targets = UL2_AT_128[_denoiser_of(ex)]
        if mode == "S":
            prefix = len(ex["inputs"]) - 2
            assert 1 <= prefix <= 125
            assert prefix + len(ex["targets"]) == raw
        else:
            assert len(ex["inputs"]) + 1 == 128  # mode + inputs + EOS: exactly full
            assert len(ex["targets"]) - spans == noise
            assert len(ex["targets"]) + 1 == targets


def test_ul2_denoiser_proportions(ul2_made):
    _, out = ul2_made
    picked = np.bincount([_denoiser_of(ex) for ex in out[:-1]], minlength=7)
    n = int(picked.sum())
    shares = np.array([0.165, 0.165, 0.34, 0.0825, 0.0825, 0.0825, 0.0825])
    assert stats.chisquare(picked, n * shares).pvalue > 1e-4
    # Per family: R 33%, S 34%, X 33%.
    assert_binomial(int(picked[:2].sum()), n, 0.33)
    assert_binomial(int(picked[2]), n, 0.34)
    assert_binomial(int(picked[3:].sum()), n, 0.33)


def test_ul2_s_denoiser_splits_uniformly(ul2_made):
    # Pinned: T5's prefix_lm split (as UL2's released code), prefix uniform in [1, 125] of a
    # 126-token piece, not μ = L/4.
    _, out = ul2_made
    prefixes = [len(ex["inputs"]) - 2 for ex in out[:-1] if _denoiser_of(ex) == 2]
    counts = np.bincount(prefixes, minlength=126)
    assert counts[0] == 0
    assert stats.chisquare(counts[1:]).pvalue > 1e-4


# -- the real C4 build: catalog tasks, feed = seqio, vocabularies -------------------------

STUDY_TASKS = [catalog.c4_task_name("en", "3.1.0", o) for o in catalog.STUDY_OBJECTIVES]
LENGTHS = {"inputs": 64, "targets": 64}


@pytest.fixture(scope="module")
def c4_tasks(c4_dir, vocab):
    names = catalog.register_c4(catalog.CatalogConfig(c4=str(c4_dir)), vocab)
    yield names
    registry.unregister(*names)


def seqio_batches(name, count, seed=5, lengths=LENGTHS, num_epochs=1):
    ds = seqio.get_dataset(
        name,
        lengths,
        seqio.EncDecFeatureConverter(pack=True),
        dataset_split="train",
        shuffle=False,
        seed=seed,
        batch_size=8,
        num_epochs=num_epochs,
    )
    return list(ds.take(count).as_numpy_iterator())


def assert_batches_equal(ours, theirs):
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert set(a) == set(b), i
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=f"batch {i} {k}")


def test_catalog_registers_the_study_over_english_c4(c4_tasks):
    assert c4_tasks[len(catalog.C4_OBJECTIVES) :] == STUDY_TASKS
    for name, objective in zip(STUDY_TASKS, catalog.STUDY_OBJECTIVES, strict=True):
        assert registry.record_feed_source(name).objective == parse(objective)


@pytest.mark.parametrize("name", STUDY_TASKS)
def test_feed_equals_seqio(c4_tasks, name):
    theirs = seqio_batches(name, 12)
    assert len(theirs) == 12
    f = feed.Feed(name, LENGTHS, 8, seed=5)
    assert_batches_equal([next(f) for _ in range(12)], theirs)


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        ("bert_style", "bert_style at inputs length 64 makes targets of 64 tokens"),
        ("ul2", r"ul2 at inputs length 64: its S \(prefix LM\) denoiser makes targets of"),
    ],
)
def test_tasks_refuse_short_targets_when_built(c4_tasks, objective, message):
    name = catalog.c4_task_name("en", "3.1.0", objective)
    lengths = {"inputs": 64, "targets": 16}
    with pytest.raises(ValueError, match=message):
        seqio_batches(name, 1, lengths=lengths)
    with pytest.raises(ValueError, match=message):
        feed.Feed(name, lengths, 8, seed=5)


def test_ul2_mode_tokens_are_the_vocabularys_text(c4_tasks, vocab):
    ids = {m: vocab.encode(text) for m, text in ul2.MODE_TOKENS.items()}
    for m, text in ul2.MODE_TOKENS.items():  # (the test vocabulary has no "[" or "]": unknown)
        assert text.strip("[]") in vocab.decode(ids[m])
    assert all(ids.values())
    assert all(max(i) < vocab.vocab_size - 100 for i in ids.values())
    ds = seqio.get_dataset(
        catalog.c4_task_name("en", "3.1.0", "ul2"),
        {"inputs": 128, "targets": 128},
        seqio.PassThroughFeatureConverter(),
        dataset_split="train",
        shuffle=False,
        seed=5,
    )
    seen = set()
    for ex in ds.take(300).as_numpy_iterator():
        inputs = ex["inputs"].tolist()
        (mode,) = [m for m, i in ids.items() if inputs[: len(i)] == i]
        seen.add(mode)
        assert inputs[-1] == ex["targets"].tolist()[-1] == EOS
        assert len(inputs) <= 128
        assert len(ex["targets"]) <= 128
    assert seen == {"R", "S", "X"}


# -- a user's own source ------------------------------------------------------------------


def _rekey_line(dataset):
    return dataset.map(lambda line: {"targets": line})


@pytest.mark.parametrize("objective_name", ["iid_drop_tokens", "bert_style", "ul2"])
def test_study_objectives_on_a_users_text_lines(tmp_path, c4_texts, vocab, objective_name):
    lines = [" ".join(t.split()) for t in c4_texts["train"][:40]]
    path = tmp_path / "lines.txt"
    path.write_text("".join(f"{line}\n" for line in lines))
    name = f"my_lines_{objective_name}"
    registry.add_task(
        name,
        seqio.TextLineDataSource({"train": str(path)}),
        [
            _rekey_line,
            seqio.preprocessors.tokenize,
            seqio.CacheDatasetPlaceholder(),
            objective_preprocessor(parse(objective_name)),
            seqio.preprocessors.append_eos_after_trim,
        ],
        output_features=registry.output_features(vocab),
    )
    try:
        ds = seqio.get_dataset(
            name, LENGTHS, seqio.PassThroughFeatureConverter(), shuffle=False, seed=3
        )
        examples = [(ex["inputs"][:-1], ex["targets"][:-1]) for ex in ds.as_numpy_iterator()]
        # One group (40 lines < 128): the lines' tokens concatenated.
        stream = [t for line in lines for t in vocab.encode(line)]
        first_sentinel = vocab.vocab_size - 100
        if objective_name == "iid_drop_tokens":
            pieces = [stream[i : i + 63] for i in range(0, len(stream), 63)]
            assert len(examples) == len(pieces)
            for (inputs, targets), piece in zip(examples, pieces, strict=True):
                assert is_interleaving(inputs, targets, piece)
            assert not is_interleaving(examples[0][1], examples[0][0], pieces[0][::-1])
        elif objective_name == "bert_style":
            assert [t for _, targets in examples for t in targets.tolist()] == stream
        else:
            modes = [vocab.encode(ul2.MODE_TOKENS[m]) for m in ul2.MODES]
            merged = []
            for inputs, targets in examples:
                (mode,) = [m for m in modes if inputs[: len(m)].tolist() == m]
                body = inputs[len(mode) :].tolist()
                if mode == modes[1]:  # S: prefix and rest
                    merged += body + targets.tolist()
                else:
                    merged += merge_sentinels(body, targets, first_sentinel)
            assert merged == stream
        # The feed takes a user's task through seqio's Task.get_dataset (no TFRecord source),
        # repeating as seqio does: before the objective, so a group can span epochs.
        f = feed.Feed(name, LENGTHS, 8, seed=3)
        theirs = seqio_batches(name, 3, seed=3, num_epochs=None)
        assert_batches_equal([next(f) for _ in range(3)], theirs)
    finally:
        registry.unregister(name)
