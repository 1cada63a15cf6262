"""T5's objectives (docs/TASKS.md §2.2-2.3) in numpy: on hand-made docs and on random docs
(hypothesis). The real C4 build's tasks are tests/tasks/test_c4_tasks.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from objective_testing import BIG_VOCAB, EOS, merge_runs, merge_sentinels, sentinels

from c4forge.tasks import catalog, objectives
from c4forge.tasks.objectives import (
    Deshuffling,
    FullLM,
    IidDenoising,
    PrefixLM,
    SpanCorruption,
    group_rng,
    select_random_chunk,
)

# -- lengths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objective", "lengths", "expected"),
    [
        # 568 raw tokens: 85 noise tokens in 28 spans -> 483 + 28 + 1 = 512 / 85 + 28 + 1 = 114.
        (SpanCorruption(), {"inputs": 512, "targets": 114}, (568, 114)),
        # 141 raw: noise round(21.15) = 21, 7 spans -> 141 - 21 + 7 + 1 = 128 / 21 + 7 + 1 = 29.
        (SpanCorruption(), {"inputs": 128}, (141, 29)),
        # Density 0.5: 767 raw gives 512 inputs but 513 targets, so one token less: 766 / 512.
        (SpanCorruption(noise_density=0.5), {"inputs": 512, "targets": 512}, (766, 512)),
    ],
)
def test_span_corruption_lengths(objective, lengths, expected):
    assert objective.lengths(lengths) == expected


def test_span_corruption_rejects_a_short_targets_length():
    # 1137 raw: noise round(170.55) = 171, 57 spans -> 1137 - 171 + 57 + 1 = 1024 inputs
    # (1138 would give 1025), and 171 + 57 + 1 = 229 targets.
    with pytest.raises(
        ValueError,
        match="span corruption at inputs length 1024 makes targets of 229 tokens; "
        "the targets length is 114",
    ):
        SpanCorruption().lengths({"inputs": 1024, "targets": 114})
    with pytest.raises(ValueError, match="makes targets of 114 tokens; the targets length is 113"):
        SpanCorruption().examples(
            [np.arange(3, 600)], group_rng(0, 0), {"inputs": 512, "targets": 113}, 1100
        )


def test_span_corruption_pieces_at_inputs_128():
    # One 500-token doc -> pieces of 141, 141, 141 and 77 raw tokens. A full piece: 21 noise
    # tokens in 7 spans -> inputs 141 - 21 + 7 = 127 and targets 21 + 7 = 28 (EOS comes later).
    doc = np.arange(3, 503)
    out = SpanCorruption().examples([doc], group_rng(1, 0), {"inputs": 128, "targets": 29}, 1100)
    assert len(out) == 4
    for ex in out[:3]:
        assert (len(ex["inputs"]), len(ex["targets"])) == (127, 28)
        assert sentinels(ex["inputs"], 1000) == list(range(1099, 1092, -1))
        assert sentinels(ex["targets"], 1000) == list(range(1099, 1092, -1))
    # The last piece: 77 tokens, noise round(11.55) = 12 in round(4) = 4 spans.
    assert (len(out[3]["inputs"]), len(out[3]["targets"])) == (77 - 12 + 4, 12 + 4)
    merged = [t for ex in out for t in merge_sentinels(ex["inputs"], ex["targets"], 1000)]
    assert merged == doc.tolist()


# -- select_random_chunk ------------------------------------------------------------------


def test_select_random_chunk_is_an_aligned_uniform_window():
    # 35 tokens, windows of 10: starts 0, 10, 20, 30 (the last one 5 tokens), each 1/4.
    doc = np.arange(100, 135)
    rng = np.random.default_rng(3)
    draws = 4000
    counts = dict.fromkeys((0, 10, 20, 30), 0)
    for _ in range(draws):
        chunk = select_random_chunk(doc, 10, rng)
        start = int(chunk[0]) - 100
        assert chunk.tolist() == doc[start : start + 10].tolist()
        counts[start] += 1
    # Binomial(4000, 1/4): stddev sqrt(4000 * 1/4 * 3/4) ~ 27.4; allow 4 stddevs.
    for start, n in counts.items():
        assert abs(n - draws / 4) < 4 * 27.4, (start, counts)


def test_select_random_chunk_keeps_a_short_doc_and_draws_nothing():
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    doc = np.arange(3, 13)
    assert select_random_chunk(doc, 10, rng) is doc
    assert rng.bit_generator.state == before


def test_chunk_size_is_a_field_and_empty_docs_are_dropped():
    # FullLM with 10-token chunks: the 35-token doc gives one aligned window, the empty doc
    # nothing (not even an EOS), the 7-token doc all of itself.
    docs = [np.arange(100, 135), np.zeros(0, np.int32), np.arange(200, 207)]
    out = FullLM(chunk_tokens=10).examples(docs, group_rng(5, 0), {"targets": 100}, 1100)
    assert len(out) == 1
    blob = out[0]["targets"].tolist()
    assert blob.count(EOS) == 2
    window = blob[: blob.index(EOS)]
    assert window[0] in (100, 110, 120, 130)
    assert window == list(range(window[0], min(window[0] + 10, 135)))
    assert blob[len(window) :] == [EOS, *range(200, 207), EOS]


@pytest.mark.parametrize(
    "objective", [SpanCorruption(), IidDenoising(), PrefixLM(), Deshuffling(), FullLM()]
)
def test_empty_docs_change_nothing(objective):
    rng = np.random.default_rng(0)
    docs = [rng.integers(3, 1000, int(n)) for n in (300, 40, 700)]
    empty = np.zeros(0, np.int64)
    lengths = {"inputs": 64, "targets": 16}
    a = objective.examples(docs, group_rng(9, 2), lengths, 1100)
    b = objective.examples(
        [empty, docs[0], empty, docs[1], docs[2], empty], group_rng(9, 2), lengths, 1100
    )
    assert len(a) == len(b) > 0
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for k in x:
            assert x[k].tolist() == y[k].tolist()


def test_group_rng_depends_on_every_part_of_the_key():
    def draw(*args, **kwargs):
        return group_rng(*args, **kwargs).integers(0, 2**62, 4).tolist()

    base = draw(7, 3)
    assert draw(7, 3) == base
    assert draw(7, 3, shard_index=0, shard_count=1, epoch=0) == base
    others = [
        draw(8, 3),
        draw(7, 4),
        draw(7, 3, shard_index=1, shard_count=2),
        draw(7, 3, shard_count=2),
        draw(7, 3, epoch=1),
    ]
    assert all(o != base for o in others)
    assert len({tuple(o) for o in others}) == len(others)


# -- properties on random token docs ------------------------------------------------------

docs_strategy = st.lists(
    st.lists(st.integers(3, 999), min_size=0, max_size=400), min_size=1, max_size=6
)


@settings(max_examples=150, deadline=None)
@given(
    docs=docs_strategy,
    density=st.floats(0.05, 0.95),
    mean_span=st.floats(1.0, 8.0),
    inputs_length=st.integers(4, 300),
    seed=st.integers(0, 2**40),
)
def test_span_corruption_reconstructs_the_stream(docs, density, mean_span, inputs_length, seed):
    objective = SpanCorruption(noise_density=density, mean_noise_span_length=mean_span)
    docs = [np.array(d, np.int64) for d in docs]
    lengths = {"inputs": inputs_length}
    raw, targets_length = objective.lengths(lengths)
    out = objective.examples(docs, group_rng(seed, 0), lengths, BIG_VOCAB)
    stream = [t for d in docs for t in d.tolist()]
    assert len(out) == -(-len(stream) // raw)  # ceil
    merged = []
    for i, ex in enumerate(out):
        piece = stream[i * raw : (i + 1) * raw]
        inputs_sentinels = sentinels(ex["inputs"], BIG_VOCAB - 1000)
        targets_sentinels = sentinels(ex["targets"], BIG_VOCAB - 1000)
        k = len(inputs_sentinels)
        # Sentinels count down from the last id, in order, the same ones on both sides.
        assert inputs_sentinels == list(range(BIG_VOCAB - 1, BIG_VOCAB - 1 - k, -1))
        if len(piece) > 1:
            assert targets_sentinels == inputs_sentinels
            assert ex["inputs"][0] < BIG_VOCAB - 1000  # starts with a non-noise token
            noise = len(ex["targets"]) - k
            assert len(ex["inputs"]) == len(piece) - noise + k
            # Noise count: round(n * d), at least 1, at most n - 1.
            assert noise == min(max(round(len(piece) * density), 1), len(piece) - 1)
        else:  # a 1-token piece gets no noise: inputs the token, targets one sentinel
            assert ex["inputs"].tolist() == piece
            assert targets_sentinels == [BIG_VOCAB - 1]
        merged += merge_sentinels(ex["inputs"], ex["targets"], BIG_VOCAB - 1000)
        if len(piece) == raw:
            # A full piece fits: inputs and targets with EOS within their lengths, exactly
            # (but at density 0.5, whose one-token adjustment is approximate, as in T5), when
            # the spans are those the helper counted.
            num_noise = round(raw * density)
            helper_spans = round(num_noise / mean_span)
            if 1 <= helper_spans <= raw - num_noise:
                assert len(ex["inputs"]) + 1 <= inputs_length
                assert len(ex["targets"]) + 1 <= targets_length
                if density != 0.5:
                    assert len(ex["inputs"]) + 1 == inputs_length
                    assert len(ex["targets"]) + 1 == targets_length
    assert merged == stream


@settings(max_examples=100, deadline=None)
@given(
    docs=docs_strategy,
    density=st.floats(0.0, 1.0),
    inputs_length=st.integers(2, 200),
    seed=st.integers(0, 2**40),
)
def test_iid_denoising_reconstructs_the_stream(docs, density, inputs_length, seed):
    docs = [np.array(d, np.int64) for d in docs]
    out = IidDenoising(noise_density=density).examples(
        docs, group_rng(seed, 0), {"inputs": inputs_length}, BIG_VOCAB
    )
    stream = [t for d in docs for t in d.tolist()]
    pieces = [stream[i : i + inputs_length - 1] for i in range(0, len(stream), inputs_length - 1)]
    assert len(out) == len(pieces)
    for ex, piece in zip(out, pieces, strict=True):
        k = len(sentinels(ex["inputs"], BIG_VOCAB - 1000))
        assert sentinels(ex["inputs"], BIG_VOCAB - 1000) == list(
            range(BIG_VOCAB - 1, BIG_VOCAB - 1 - k, -1)
        )
        assert merge_runs(ex["inputs"], ex["targets"], BIG_VOCAB - 1000) == piece


def test_iid_denoising_noise_fraction():
    # 20,000 tokens, each noise with probability 0.15: stddev sqrt(20000 * .15 * .85) ~ 50.5.
    doc = np.arange(3, 20_003)
    out = IidDenoising().examples([doc], group_rng(0, 0), {"inputs": 512}, BIG_VOCAB)
    assert len(out) == -(-20_000 // 511)
    first_sentinel = BIG_VOCAB - 1000
    noise = sum(int(np.sum(ex["targets"] < first_sentinel)) for ex in out)
    assert abs(noise - 3000) < 4 * 50.5
    for i, ex in enumerate(out):
        dropped = ex["targets"][ex["targets"] < first_sentinel]
        # Each noise run is one sentinel in the inputs (the doc counts up, so runs are where
        # the dropped tokens jump).
        runs = 1 + int(np.sum(np.diff(dropped) > 1)) if len(dropped) else 0
        assert len(sentinels(ex["inputs"], first_sentinel)) == runs
        piece = doc[i * 511 : (i + 1) * 511].tolist()
        assert merge_runs(ex["inputs"], ex["targets"], first_sentinel) == piece


@settings(max_examples=100, deadline=None)
@given(
    docs=docs_strategy,
    density=st.floats(0.0, 0.5),
    inputs_length=st.integers(3, 120),
    seed=st.integers(0, 2**40),
)
def test_prefix_lm_splits_each_piece_within_bounds(docs, density, inputs_length, seed):
    docs = [np.array(d, np.int64) for d in docs]
    out = PrefixLM(noise_density=density).examples(
        docs, group_rng(seed, 0), {"inputs": inputs_length}, 1100
    )
    # Per document (no concatenation): each doc is cut into pieces of inputs_length - 1.
    step = inputs_length - 1
    pieces = [d[i : i + step].tolist() for d in docs for i in range(0, len(d), step)]
    assert len(out) == len(pieces)
    for ex, piece in zip(out, pieces, strict=True):
        assert ex["inputs"].tolist() + ex["targets"].tolist() == piece
        n = len(piece)
        if n >= 2:
            assert max(1, round((1 - 2 * density) * (n - 1))) <= len(ex["inputs"]) <= n - 1
            assert len(ex["targets"]) >= 1


def test_prefix_lm_prefix_is_uniform_over_its_range():
    # Pieces of 101 tokens, density 0.25: the prefix keeps round(0.5 * 100) = 50 to 100 tokens,
    # each with probability 1/51.
    docs = [np.arange(3, 104)] * 5100
    out = PrefixLM(noise_density=0.25).examples(docs, group_rng(4, 0), {"inputs": 102}, 1100)
    cuts = np.bincount([len(ex["inputs"]) for ex in out], minlength=101)
    assert cuts[:50].sum() == 0
    # Binomial(5100, 1/51): mean 100, stddev ~9.9; allow 4.5 stddevs on each of the 51 counts.
    assert np.all(np.abs(cuts[50:] - 100) < 45), cuts[50:]


def test_prefix_lm_rejects_density_above_half():
    with pytest.raises(ValueError, match=r"prefix_lm noise_density must be in \[0, 0.5\], got 0.6"):
        PrefixLM(noise_density=0.6)


@settings(max_examples=100, deadline=None)
@given(docs=docs_strategy, inputs_length=st.integers(2, 120), seed=st.integers(0, 2**40))
def test_deshuffling_inputs_are_a_permutation_of_targets(docs, inputs_length, seed):
    docs = [np.array(d, np.int64) for d in docs]
    out = Deshuffling().examples(docs, group_rng(seed, 0), {"inputs": inputs_length}, 1100)
    step = inputs_length - 1
    pieces = [d[i : i + step].tolist() for d in docs for i in range(0, len(d), step)]
    assert [ex["targets"].tolist() for ex in out] == pieces
    for ex in out:
        assert sorted(ex["inputs"].tolist()) == sorted(ex["targets"].tolist())


def test_deshuffling_shuffles():
    doc = np.arange(3, 103)
    (ex,) = Deshuffling().examples([doc], group_rng(0, 0), {"inputs": 101}, 1100)
    assert ex["targets"].tolist() == doc.tolist()
    # 100 distinct tokens left in place by chance: probability 1/100!.
    assert ex["inputs"].tolist() != doc.tolist()


@settings(max_examples=100, deadline=None)
@given(docs=docs_strategy, targets_length=st.integers(1, 200), seed=st.integers(0, 2**40))
def test_full_lm_is_docs_with_eos_in_pieces(docs, targets_length, seed):
    out = FullLM().examples(
        [np.array(d, np.int64) for d in docs], group_rng(seed, 0), {"targets": targets_length}, 1100
    )
    stream = [t for d in docs if d for t in [*d, EOS]]
    assert all(ex.keys() == {"targets"} for ex in out)
    assert [t for ex in out for t in ex["targets"].tolist()] == stream
    assert all(len(ex["targets"]) == targets_length for ex in out[:-1])
    if out:
        assert 1 <= len(out[-1]["targets"]) <= targets_length


def test_same_rng_same_examples_other_rng_other_examples():
    docs = [np.arange(3, 900) % 997 + 3]
    lengths = {"inputs": 64, "targets": 16}
    for cls in (SpanCorruption, IidDenoising, PrefixLM, Deshuffling):
        a = cls().examples(docs, group_rng(1, 0), lengths, 1100)
        b = cls().examples(docs, group_rng(1, 0), lengths, 1100)
        c = cls().examples(docs, group_rng(2, 0), lengths, 1100)
        assert [x["inputs"].tolist() for x in a] == [x["inputs"].tolist() for x in b]
        assert [x["inputs"].tolist() for x in a] != [x["inputs"].tolist() for x in c], cls


def test_objectives_table():
    assert set(objectives.OBJECTIVES) == set(catalog.C4_OBJECTIVES)
    for name, cls in objectives.OBJECTIVES.items():
        assert cls().name == name
