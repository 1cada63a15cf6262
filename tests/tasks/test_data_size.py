"""tasks/data_size.py and `Feed(..., data_tokens=N)`: the T5 study's data-set size (Table 9).

The reference for "the first N source tokens" is independent of the feed: the task's own seqio
source read with `shuffle=False` (tf.data's order), each document tokenized by seqio's
vocabulary, concatenated. Deshuffling with 64-token inputs makes one example per 63 tokens of a
document, in order, with the original tokens as targets: the feed's targets, concatenated, are
then exactly the source tokens it consumed.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import seqio

from c4forge.tasks import catalog, data_size, feed, registry

LENGTHS = {"inputs": 64, "targets": 64}
DESHUFFLING = catalog.c4_task_name("en", "3.1.0", "deshuffling")
SPAN = catalog.c4_task_name("en", "3.1.0", "span_corruption")
SPAN_LENGTHS = {"inputs": 64, "targets": 16}  # 70 raw tokens per example, 14 targets + EOS


@pytest.fixture(scope="module")
def c4_tasks(c4_dir, vocab):
    catalog.unregister_all()
    names = catalog.register_c4(catalog.CatalogConfig(c4=str(c4_dir)), vocab)
    yield names
    registry.unregister(*names)


def source_documents(name, vocab, shard=(0, 1)) -> list[np.ndarray]:
    """The train documents of task `name` in seqio's order, tokenized, as seqio sees them."""
    source = seqio.get_mixture_or_task(name).source
    ds = source.get_dataset("train", shuffle=False, shard_info=seqio.ShardInfo(*shard))
    return [
        np.array(vocab.encode(row["text"].decode("utf-8")), np.int32)
        for row in ds.as_numpy_iterator()
    ]


def target_tokens(batches) -> np.ndarray:
    """Unpacked deshuffling rows: each target row is tokens + EOS (1) + padding (0)."""
    out = []
    for b in batches:
        for row in b["decoder_target_tokens"]:
            out.append(row[: int(np.argmax(row == 1))])
    return np.concatenate(out)


def take(f, count):
    return [next(f) for _ in range(count)]


def targets_until(f, tokens: int) -> np.ndarray:
    """Target tokens of unpacked deshuffling batches, batch after batch, until `tokens`."""
    batches = []
    while not batches or len(target_tokens(batches)) < tokens:
        batches.append(next(f))
    return target_tokens(batches)


# ---------------------------------------------------------------------------------------------
# The pure pieces.


def test_take_tokens_cuts_the_last_document():
    docs = [[1, 2, 3], [], [4, 5], [6, 7, 8]]
    assert data_size.take_tokens(docs, 5) == [[1, 2, 3], [], [4, 5]]
    assert data_size.take_tokens(docs, 6) == [[1, 2, 3], [], [4, 5], [6]]
    assert data_size.take_tokens(docs, 100) == docs
    assert data_size.take_tokens(docs, 0) == []


def test_shard_shares_add_up():
    assert [data_size.shard_share(10, i, 3) for i in range(3)] == [4, 3, 3]
    assert [data_size.shard_share(2**23, i, 8) for i in range(8)] == [2**20] * 8
    with pytest.raises(ValueError, match=re.escape("data_tokens=2 cannot be split over 3 shards")):
        data_size.shard_share(2, 0, 3)


@pytest.mark.parametrize(
    ("tokens", "repeats"),
    # Table 9: 2^19 steps x 128 rows x 512 tokens = 2^35 pre-training tokens.
    [(2**29, 64), (2**27, 256), (2**25, 1024), (2**23, 4096)],
)
def test_planned_repeats_are_table_9s(tokens, repeats):
    assert data_size.planned_repeats(2**19, 128, 512, tokens) == repeats


def test_passes_read_the_stream_states():
    streams = [{"epoch": 2, "tokens": 250}, {"epoch": 0, "tokens": 0}]
    assert data_size.passes(streams, 1000) == 2.25
    assert data_size.passes(streams, 1000, 1, 2) == 2.5  # shard 1 of 2 holds 500 of them
    assert data_size.passes([{"seen": 3}], 1000) == 0.0  # a seqio stream counts no tokens


# ---------------------------------------------------------------------------------------------
# The feed.


def capped_feed_cases(docs: list[np.ndarray]) -> list[int]:
    """Caps that end mid-document: in the first group, and past it (a group is 128 docs)."""
    sizes = np.cumsum([len(d) for d in docs])
    assert len(docs) > 130, "the test build should have more than one group of documents"
    return [int(sizes[4]) + 17, int(sizes[129]) + 5]


def test_capped_feed_yields_the_first_tokens_again_and_again(c4_tasks, vocab):
    docs = source_documents(DESHUFFLING, vocab)
    stream = np.concatenate(docs)
    for cap in capped_feed_cases(docs):
        assert cap < len(stream)
        f = feed.Feed(DESHUFFLING, LENGTHS, 8, seed=5, pack=False, data_tokens=cap)
        got = targets_until(f, int(2.5 * cap))
        np.testing.assert_array_equal(got, np.tile(stream[:cap], 3)[: len(got)])


def test_capped_shard_takes_its_share_of_its_own_files(c4_tasks, vocab):
    docs = source_documents(DESHUFFLING, vocab, shard=(1, 2))
    stream = np.concatenate(docs)
    share = data_size.shard_share(2001, 1, 2)  # 1000: shard 0 takes the odd token
    f = feed.Feed(
        DESHUFFLING, LENGTHS, 8, seed=5, pack=False, shard_index=1, shard_count=2, data_tokens=2001
    )
    got = targets_until(f, int(2.5 * share))
    np.testing.assert_array_equal(got, np.tile(stream[:share], 3)[: len(got)])


def test_capped_span_corruption_corrupts_the_same_tokens_anew_each_epoch(c4_tasks, vocab):
    # Span corruption's inputs and targets together hold each raw token once (plus sentinels):
    # every epoch holds exactly the first `cap` source tokens, with noise drawn afresh.
    cap = 3000
    stream = np.concatenate(source_documents(SPAN, vocab))
    f = feed.Feed(SPAN, SPAN_LENGTHS, 8, seed=5, pack=False, data_tokens=cap)
    record_stream = f.streams[0]  # its examples, before packing, with the epoch of each
    epochs: dict[int, list] = {0: [], 1: []}
    while True:
        example = next(record_stream)
        epoch = record_stream.state()["epoch"]
        if epoch == 2:
            break
        epochs[epoch].append(example)
    first_sentinel = vocab.vocab_size - 100
    for examples in epochs.values():
        tokens = np.concatenate([np.concatenate([e["inputs"], e["targets"]]) for e in examples])
        raw = tokens[(tokens > 1) & (tokens < first_sentinel)]  # no EOS, no sentinels
        np.testing.assert_array_equal(np.sort(raw), np.sort(stream[:cap]))
    assert len(epochs[0]) == len(epochs[1])
    assert not np.array_equal(epochs[0][0]["inputs"], epochs[1][0]["inputs"])


def _uninterrupted(cap, count, pack):
    f = feed.Feed(SPAN, SPAN_LENGTHS, 8, seed=5, pack=pack, data_tokens=cap)
    batches, states = [], []
    for _ in range(count):
        batches.append(next(f))
        states.append(f.state())
    return batches, states


@pytest.mark.parametrize("pack", [True, False])
def test_capped_feed_resumes_exactly(c4_tasks, pack):
    cap = 4000
    batches, states = _uninterrupted(cap, 60, pack)
    epochs = [s["streams"][0]["epoch"] for s in states]
    assert max(epochs) >= 2  # the cap was reached, and the data repeated, more than once
    boundaries = [k for k in range(1, len(epochs)) if epochs[k] != epochs[k - 1]]
    ks = {0, 1, 3, 10, *boundaries, *(k + 1 for k in boundaries), *(k - 1 for k in boundaries)}
    for k in sorted(k for k in ks if 0 <= k < len(batches) - 3):
        start = states[k - 1] if k else feed.Feed(SPAN, SPAN_LENGTHS, 8, data_tokens=cap).state()
        state = json.loads(json.dumps(start))
        resumed = feed.Feed(
            SPAN,
            SPAN_LENGTHS,
            8,
            seed=5,
            pack=pack,
            data_tokens=cap,
            state=state,
        )
        for i, b in enumerate(take(resumed, 3)):
            for key in b:
                np.testing.assert_array_equal(b[key], batches[k + i][key], err_msg=f"{k}+{i} {key}")


def test_cap_larger_than_the_data_is_an_error_at_the_end_of_it(c4_tasks, vocab):
    total = sum(len(d) for d in source_documents(DESHUFFLING, vocab))
    f = feed.Feed(DESHUFFLING, LENGTHS, 8, seed=5, pack=False, data_tokens=total + 1)
    message = (
        f"{DESHUFFLING}: data_tokens asks for {total + 1} source tokens per epoch "
        f"(shard 0 of 1) but its files hold {total}: lower data_tokens, or 0 for no cap"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        take(f, total)  # each row holds a token at least: the epoch ends well before


def test_cap_of_a_task_without_records_is_refused(c4_tasks):
    task = seqio.get_mixture_or_task(SPAN)
    name = "c4_test_data_size_seqio_only"
    registry.add_task(name, task.source, task.preprocessors, output_features=task.output_features)
    try:
        message = f"data_tokens caps tasks fed from their TFRecords (a RecordFeedSource); {name}"
        with pytest.raises(ValueError, match=re.escape(message)):
            feed.Feed(name, LENGTHS, 8, data_tokens=1000)
        feed.Feed(name, LENGTHS, 8)  # without a cap it is fed by seqio
    finally:
        registry.unregister(name)


def test_an_uncapped_state_from_before_the_cap_existed_restores(c4_tasks):
    f = feed.Feed(SPAN, SPAN_LENGTHS, 8, seed=5)
    take(f, 3)
    state = f.state()
    for stream in state["streams"]:
        del stream["tokens"]  # as written by a checkpoint of an older c4forge
    expected = take(f, 2)
    got = take(feed.Feed(SPAN, SPAN_LENGTHS, 8, seed=5, state=state), 2)
    for a, b in zip(got, expected, strict=True):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


# ---------------------------------------------------------------------------------------------
# `c4forge train --set data_tokens=N`.


@pytest.fixture
def cli_catalog(c4_tasks, c4_dir, vocab):
    """The module's tasks out of the way while `c4forge train` registers its own, then back."""
    registry.unregister(*c4_tasks)
    catalog.unregister_all()
    yield
    catalog.unregister_all()
    catalog.register_c4(catalog.CatalogConfig(c4=str(c4_dir)), vocab)


def test_train_reports_planned_and_actual_repeats(tmp_path, c4_dir, spm_model, capsys, cli_catalog):
    from c4forge.cli import train as train_cli

    out = tmp_path / "capped"
    argv = [
        "--mixture", SPAN, "--model", "t5-tiny", "--batch", "8", "--lengths", "64,16",
        "--c4", str(c4_dir), "--vocab", str(spm_model), "--out", str(out), "--steps", "6",
        "--set", "vocab_size=1152", "--set", "log_every=2", "--set", "eval_batches=0",
        "--set", "eval_examples=0", "--set", "data_tokens=1500",
    ]  # fmt: skip
    assert train_cli.main(argv) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["data_tokens"] == 1500
    assert config["data_repeats"] == 6 * 8 * 64 / 1500
    assert "data_tokens=1500: 2.048 repeats planned" in capsys.readouterr().err
    logs = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    passes = [row["data_passes"] for row in logs if "data_passes" in row]
    assert len(passes) == len(logs)
    assert passes == sorted(passes)
    assert passes[-1] >= 1  # 6 x 8 packed rows of span corruption read > 1,500 tokens
