"""`tasks.feed.Feed` against seqio's own pipeline, and its resumable state (docs/TASKS.md §1.5, §3).

The reference is `seqio.get_dataset(..., EncDecFeatureConverter(pack=...), shuffle=False)` on the
C4 tasks registered over the real build; restores are checked against an uninterrupted feed.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import seqio
import tensorflow as tf

from c4forge.tasks import catalog, feed, registry

LENGTHS = {"inputs": 64, "targets": 16}
ENC_DEC = [catalog.c4_task_name("en", "3.1.0", o) for o in catalog.C4_OBJECTIVES[:4]]
SPAN = ENC_DEC[0]
DESHUFFLING = ENC_DEC[3]
MIXTURE = "c4_test_feed_mix"


@pytest.fixture(scope="module")
def c4_tasks(c4_dir, vocab):
    names = catalog.register_c4(catalog.CatalogConfig(c4=str(c4_dir)), vocab)
    # Span corruption 1 : deshuffling 3 -> normalised rates 0.25 / 0.75.
    registry.add_mixture(MIXTURE, [(SPAN, 1.0), (DESHUFFLING, 3.0)])
    yield names
    registry.unregister(MIXTURE, *names)


def seqio_batches(name, count, pack=True, seed=5, lengths=LENGTHS):
    ds = seqio.get_dataset(
        name,
        lengths,
        seqio.EncDecFeatureConverter(pack=pack),
        dataset_split="train",
        shuffle=False,
        seed=seed,
        batch_size=8,
    )
    return list(ds.take(count).as_numpy_iterator())


def take(f, count):
    return [next(f) for _ in range(count)]


def assert_batches_equal(ours, theirs):
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert set(a) == set(b), i
        for k in a:
            assert a[k].dtype == b[k].dtype == np.int32, (i, k)
            np.testing.assert_array_equal(a[k], b[k], err_msg=f"batch {i} {k}")


# -- equal to seqio -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ENC_DEC)
def test_packed_batches_equal_seqio(c4_tasks, name):
    theirs = seqio_batches(name, 20)
    assert len(theirs) == 20
    ours = take(feed.Feed(name, LENGTHS, 8, seed=5), 20)
    assert_batches_equal(ours, theirs)
    assert ours[0]["encoder_segment_ids"].shape == (8, 64)
    assert ours[0]["decoder_target_tokens"].shape == (8, 16)


@pytest.mark.parametrize("name", [SPAN, DESHUFFLING])
def test_padded_batches_equal_seqio(c4_tasks, name):
    ours = take(feed.Feed(name, LENGTHS, 8, seed=5, pack=False), 20)
    assert_batches_equal(ours, seqio_batches(name, 20, pack=False))
    assert set(ours[0]) == {
        "encoder_input_tokens",
        "decoder_target_tokens",
        "decoder_input_tokens",
        "decoder_loss_weights",
    }


def test_seed_changes_the_examples(c4_tasks):
    a = take(feed.Feed(SPAN, LENGTHS, 8, seed=5), 3)
    b = take(feed.Feed(SPAN, LENGTHS, 8, seed=6), 3)
    assert not np.array_equal(a[0]["encoder_input_tokens"], b[0]["encoder_input_tokens"])


def test_seqio_path_for_a_task_without_a_record_feed_source(c4_tasks):
    # The same task registered without a RecordFeedSource is fed from Task.get_dataset: same
    # batches, and a restore (which replays the examples) continues the same way.
    task = seqio.get_mixture_or_task(SPAN)
    name = "c4_test_feed_span_corruption_seqio"
    registry.add_task(name, task.source, task.preprocessors, output_features=task.output_features)
    try:
        assert registry.record_feed_source(name) is None
        f = feed.Feed(name, LENGTHS, 8, seed=5)
        ours = take(f, 10)
        assert_batches_equal(ours, seqio_batches(SPAN, 10))
        state = json.loads(json.dumps(f.state()))
        expected = take(f, 2)
        assert_batches_equal(take(feed.Feed(name, LENGTHS, 8, seed=5, state=state), 2), expected)
    finally:
        registry.unregister(name)


# -- resuming -----------------------------------------------------------------------------


def _uninterrupted(name, count, pack):
    """(batches, state after each batch) of a feed never stopped."""
    f = feed.Feed(name, LENGTHS, 8, seed=5, pack=pack)
    batches, states = [], []
    for _ in range(count):
        batches.append(next(f))
        states.append(f.state())
    return batches, states


def _changes(states):
    """(batch counts after which a new packing window begins, batch counts whose batch is
    the first after some stream moved to a new group or epoch)."""
    windows, groups = set(), set()
    for k in range(1, len(states)):
        if states[k]["rows_done"] <= states[k - 1]["rows_done"]:
            windows.add(k)
        for b, a in zip(states[k - 1]["streams"], states[k]["streams"], strict=True):
            if (a["group"], a["epoch"]) != (b["group"], b["epoch"]):
                groups.add(k)
    return windows, groups


@pytest.mark.parametrize(
    ("name", "count"),
    # Far enough to cross the first group (128 documents) of a stream, and for span
    # corruption alone the first epoch (155 documents).
    [(SPAN, 300), (MIXTURE, 400)],
)
@pytest.mark.parametrize("pack", [True, False])
def test_restore_continues_like_an_uninterrupted_feed(c4_tasks, name, count, pack):
    batches, states = _uninterrupted(name, count + 3, pack)
    windows, groups = _changes(states)
    assert groups
    if name == SPAN:
        assert {s["streams"][0]["epoch"] for s in states} == {0, 1}
    # The start, a few batches, the first windows' edges, and both sides of every group change.
    ks = {0, 1, 2, 5, 7} | {k + d for k in sorted(windows)[:4] for d in (0, 1)}
    ks |= {k + d for k in groups for d in (-1, 0, 1)}
    for k in sorted(ks):
        start = states[k - 1] if k else feed.Feed(name, LENGTHS, 8, seed=5, pack=pack).state()
        state = json.loads(json.dumps(start))
        resumed = feed.Feed(name, LENGTHS, 8, seed=5, pack=pack, state=state)
        assert_batches_equal(take(resumed, 3), batches[k : k + 3])


def test_state_is_small_json(c4_tasks):
    f = feed.Feed(MIXTURE, LENGTHS, 8, seed=5)
    take(f, 5)
    text = json.dumps(f.state())
    assert len(text) < 2000
    assert json.loads(text) == f.state()


def test_a_state_from_another_provider_is_refused(c4_tasks):
    f = feed.Feed(MIXTURE, LENGTHS, 8, seed=5)
    next(f)
    with pytest.raises(ValueError, match="this state belongs to a different task or mixture"):
        feed.Feed(SPAN, LENGTHS, 8, seed=5, state=f.state())


# -- shards -------------------------------------------------------------------------------


def _first_text(path):
    raw = next(iter(tf.data.TFRecordDataset(path))).numpy()
    return tf.train.Example.FromString(raw).features.feature["text"].bytes_list.value[0]


def test_shards_read_their_own_files(c4_tasks, c4_dir, vocab):
    files = sorted(str(p) for p in c4_dir.glob("c4-train.tfrecord-*"))
    assert len(files) == 2
    lengths = {"inputs": 64, "targets": 64}
    firsts = []
    for index in (0, 1):
        a = take(
            feed.Feed(
                DESHUFFLING, lengths, 8, seed=5, pack=False, shard_index=index, shard_count=2
            ),
            4,
        )
        b = take(
            feed.Feed(
                DESHUFFLING, lengths, 8, seed=5, pack=False, shard_index=index, shard_count=2
            ),
            4,
        )
        assert_batches_equal(a, b)
        firsts.append(a)
        # Deshuffling's first example is the first 63 tokens of the shard's first document
        # (shard i reads file i), then EOS.
        doc = vocab.encode(_first_text(files[index]).decode("utf-8"))
        assert a[0]["decoder_target_tokens"][0].tolist() == [*doc[:63], 1]
    assert not np.array_equal(
        firsts[0][0]["encoder_input_tokens"], firsts[1][0]["encoder_input_tokens"]
    )


def test_shards_of_a_mixture_differ_and_repeat(c4_tasks):
    def shard(i):
        return take(feed.Feed(MIXTURE, LENGTHS, 8, seed=5, shard_index=i, shard_count=2), 3)

    a, b = shard(0), shard(1)
    assert_batches_equal(a, shard(0))
    assert_batches_equal(b, shard(1))
    assert not np.array_equal(a[0]["encoder_input_tokens"], b[0]["encoder_input_tokens"])


# -- mixture rates ------------------------------------------------------------------------


def test_mixture_picks_tasks_at_the_normalised_rates(c4_tasks, vocab):
    mixture = seqio.get_mixture_or_task(MIXTURE)
    rates = {t.name: mixture.get_rate(t) / mixture.total_rate for t in mixture.tasks}
    assert rates == {SPAN: 0.25, DESHUFFLING: 0.75}
    # Unpacked, one example per row. Span corruption inputs always hold a sentinel (>= 1000,
    # pieces of 70 raw tokens have ~10 noise tokens); deshuffled inputs never do.
    first_sentinel = vocab.vocab_size - 100
    batches = take(feed.Feed(MIXTURE, LENGTHS, 8, seed=11, pack=False), 300)
    rows = np.concatenate([b["encoder_input_tokens"] for b in batches])
    n = len(rows)
    span = int(np.sum((rows >= first_sentinel).any(axis=1)))
    # Binomial(2400, 0.25): stddev sqrt(2400 * .25 * .75) = 21.2; allow 4 stddevs.
    assert abs(span - 0.25 * n) < 4 * 21.2, span
    # The choice sequence is random, not a fixed cycle: both tasks come in runs of varied length.
    kinds = (rows >= first_sentinel).any(axis=1)
    assert kinds[:-1].tolist() != kinds[1:].tolist()


def test_mixture_leaves_out_zero_rates_and_missing_splits(c4_tasks, vocab):
    # A task with only a validation split, and deshuffling at rate 0: the train feed is the span
    # corruption feed alone.
    def dataset_fn(split, shuffle_files):
        return tf.data.Dataset.from_tensors({"targets": tf.constant("x")})

    source = seqio.FunctionDataSource(dataset_fn, splits=["validation"])
    registry.add_task(
        "c4_test_feed_validation_only", source, [], output_features=registry.output_features(vocab)
    )
    registry.add_mixture(
        "c4_test_feed_mix_partial",
        [(SPAN, 1.0), (DESHUFFLING, 0.0), ("c4_test_feed_validation_only", 5.0)],
    )
    try:
        f = feed.Feed("c4_test_feed_mix_partial", LENGTHS, 8, seed=5)
        assert [t.name for t in f.tasks] == [SPAN]
        assert_batches_equal(take(f, 10), take(feed.Feed(SPAN, LENGTHS, 8, seed=5), 10))
    finally:
        registry.unregister("c4_test_feed_mix_partial", "c4_test_feed_validation_only")


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"name": "c4_en_v310_span_corrupton"},
            "unknown task or mixture 'c4_en_v310_span_corrupton'",
        ),
        ({"shard_index": 2, "shard_count": 2}, r"shard_index 2 is not in \[0, 2\)"),
        ({"shard_index": -1, "shard_count": 2}, r"shard_index -1 is not in \[0, 2\)"),
        ({"shard_count": 3}, "c4_en_v310_span_corruption: 2 train files cannot feed 3 shards"),
        ({"batch_size": 0}, "batch_size must be positive, got 0"),
        (
            {"name": "c4_en_v310_full_lm"},
            "c4_en_v310_full_lm has no 'inputs' feature: it is not an encoder-decoder task",
        ),
        (
            {"split": "test"},
            "c4_en_v310_span_corruption: no task with a positive rate has a 'test'",
        ),
        (
            {"name": MIXTURE, "split": "test"},
            f"{MIXTURE}: no task with a positive rate has a 'test'",
        ),
    ],
)
def test_errors(c4_tasks, kwargs, message):
    args = {"name": SPAN, "feature_lengths": LENGTHS, "batch_size": 8, **kwargs}
    with pytest.raises(ValueError, match=message):
        feed.Feed(**args)


def test_a_split_without_documents(c4_tasks):
    # The build wrote a validation file with no documents in it.
    f = feed.Feed(SPAN, LENGTHS, 8, split="validation")
    with pytest.raises(ValueError, match="no documents in"):
        next(f)


def test_targets_too_short_for_span_corruption(c4_tasks):
    # Refused when the feed is made, before any data is read.
    with pytest.raises(ValueError, match="makes targets of 229 tokens; the targets length is 114"):
        feed.Feed(SPAN, {"inputs": 1024, "targets": 114}, 8, seed=5)
