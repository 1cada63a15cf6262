"""Decoder-only batches (`tasks.packing` LM / PrefixLM, and `Feed(features=...)`) against seqio's
own `LMFeatureConverter` and `PrefixLMFeatureConverter` (Raffel et al. §3.2.1, STUDY.md §2).

Hand-made rows come from seqio's docstrings; random examples run through both seqio's converter
on a tf.data dataset and our numpy replica; the feed is compared with `seqio.get_dataset` on the
C4 tasks registered over the real test build, as tests/tasks/test_feed.py does for EncDec.
"""

from __future__ import annotations

import numpy as np
import pytest
import seqio
import tensorflow as tf

from c4forge.tasks import catalog, feed, packing

LM_KEYS = ("decoder_target_tokens", "decoder_input_tokens", "decoder_loss_weights")
PACKED = ("decoder_segment_ids", "decoder_positions")


def _dataset(examples, keys):
    spec = {k: tf.TensorSpec([None], tf.int32) for k in keys}
    return tf.data.Dataset.from_generator(
        lambda: ({k: np.asarray(ex[k], np.int32) for k in keys} for ex in examples),
        output_signature=spec,
    )


def seqio_rows(converter, examples, lengths):
    keys = tuple(lengths)
    rows = list(converter(_dataset(examples, keys), lengths).as_numpy_iterator())
    return {k: np.stack([r[k] for r in rows]) for k in rows[0]}


def our_rows(examples, lengths, pack, kind, loss_on_targets_only=True):
    """Windows of max(packed lengths) examples, as seqio's padded_batch, then the features."""
    window = max(packing.packed_lengths(lengths, kind).values()) if pack else len(examples)
    parts = [
        packing.rows_for(examples[i : i + window], lengths, pack, kind)
        for i in range(0, len(examples), window)
    ]
    rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    if kind == "prefix_lm":
        return packing.prefix_lm_features(rows, pack, loss_on_targets_only)
    return packing.model_features(rows, pack, kind)


def assert_same(ours, theirs):
    assert set(ours) == set(theirs)
    for k in ours:
        assert ours[k].dtype == np.int32, k
        np.testing.assert_array_equal(ours[k], theirs[k], err_msg=k)


# -- seqio's docstring examples, worked by hand ---------------------------------------------


def test_prefix_lm_packed_docstring_example():
    examples = [
        {"inputs": [7, 8, 5, 1], "targets": [3, 9, 1]},
        {"inputs": [8, 4, 9, 3, 1], "targets": [4, 1]},
    ]
    ours = our_rows(examples, {"inputs": 7, "targets": 8}, pack=True, kind="prefix_lm")
    expected = {
        "decoder_target_tokens": [7, 8, 5, 1, 3, 9, 1, 8, 4, 9, 3, 1, 4, 1, 0],
        "decoder_input_tokens": [0, 7, 8, 5, 1, 3, 9, 0, 8, 4, 9, 3, 1, 4, 0],
        "decoder_loss_weights": [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0],
        "decoder_positions": [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0],
        "decoder_segment_ids": [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 0],
        "decoder_causal_attention": [1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0],
    }
    assert_same(ours, {k: np.array([v], np.int32) for k, v in expected.items()})


def test_prefix_lm_unpacked_docstring_example():
    examples = [{"inputs": [9, 4, 6, 1], "targets": [3, 9, 1]}]
    ours = our_rows(examples, {"inputs": 10, "targets": 4}, pack=False, kind="prefix_lm")
    expected = {
        "decoder_target_tokens": [9, 4, 6, 1, 3, 9, 1, 0, 0, 0, 0, 0, 0, 0],
        "decoder_input_tokens": [0, 9, 4, 6, 1, 3, 9, 1, 0, 0, 0, 0, 0, 0],
        "decoder_loss_weights": [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
        "decoder_causal_attention": [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    }
    assert_same(ours, {k: np.array([v], np.int32) for k, v in expected.items()})


def test_lm_packed_docstring_example():
    rows = packing.pack_window([{"targets": [3, 9, 1]}, {"targets": [4, 1]}], {"targets": 6})
    expected = {
        "decoder_target_tokens": [3, 9, 1, 4, 1, 0],
        "decoder_input_tokens": [0, 3, 9, 0, 4, 0],
        "decoder_loss_weights": [1, 1, 1, 1, 1, 0],
        "decoder_positions": [0, 1, 2, 0, 1, 0],
        "decoder_segment_ids": [1, 1, 1, 2, 2, 0],
    }
    ours = packing.lm_features(rows, packed=True)
    assert_same(ours, {k: np.array([v], np.int32) for k, v in expected.items()})


# -- random examples through seqio's converters ----------------------------------------------


def random_examples(rng, count, inputs, targets, vocab=50):
    """EOS-terminated examples up to the lengths; some empty inputs, some targets at the limit."""
    out = []
    for i in range(count):
        n_in = 0 if i % 7 == 3 else int(rng.integers(1, inputs + 1))
        n_out = targets if i % 5 == 0 else int(rng.integers(1, targets + 1))
        out.append(
            {
                "inputs": np.append(rng.integers(2, vocab, n_in - 1), 1) if n_in else [],
                "targets": np.append(rng.integers(2, vocab, n_out - 1), 1),
            }
        )
    return out


@pytest.mark.parametrize("pack", [True, False])
@pytest.mark.parametrize("loss_on_targets_only", [True, False])
def test_prefix_lm_equals_seqio(pack, loss_on_targets_only):
    lengths = {"inputs": 9, "targets": 5}
    examples = random_examples(np.random.default_rng(3), 40, 9, 5)
    converter = seqio.PrefixLMFeatureConverter(pack=pack, loss_on_targets_only=loss_on_targets_only)
    theirs = seqio_rows(converter, examples, lengths)
    ours = our_rows(examples, lengths, pack, "prefix_lm", loss_on_targets_only)
    assert_same(ours, theirs)
    assert ours["decoder_target_tokens"].shape[1] == 14  # inputs + targets
    if pack:  # several examples per row, so the packed path is exercised
        assert ours["decoder_segment_ids"].max() >= 2


@pytest.mark.parametrize("pack", [True, False])
def test_lm_kind_is_prefix_lm_without_its_prefix(pack):
    # The paper's LM on a text-to-text example: the same rows, loss on every token, causal.
    lengths = {"inputs": 9, "targets": 5}
    examples = random_examples(np.random.default_rng(4), 30, 9, 5)
    converter = seqio.PrefixLMFeatureConverter(pack=pack, loss_on_targets_only=False)
    theirs = seqio_rows(converter, examples, lengths)
    del theirs["decoder_causal_attention"]
    assert_same(our_rows(examples, lengths, pack, "lm"), theirs)


@pytest.mark.parametrize("pack", [True, False])
def test_lm_features_equal_seqio_lm_converter(pack):
    rng = np.random.default_rng(5)
    examples = [
        {"targets": np.append(rng.integers(2, 50, n - 1), 1)} for n in rng.integers(1, 9, 30)
    ]
    lengths = {"targets": 12}
    theirs = seqio_rows(seqio.LMFeatureConverter(pack=pack), examples, lengths)
    if pack:
        parts = [packing.pack_window(examples[i : i + 12], lengths) for i in range(0, 30, 12)]
        rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    else:
        rows = packing.pad_examples(examples, lengths)
    assert_same(packing.lm_features(rows, pack), theirs)


def test_unknown_feature_kind():
    with pytest.raises(
        ValueError, match=r"^unknown feature kind 'bert'; known: encdec, lm, prefix_lm$"
    ):
        packing.packed_lengths({"inputs": 4, "targets": 2}, "bert")


# -- the feed ---------------------------------------------------------------------------------

LENGTHS = {"inputs": 64, "targets": 16}
SPAN = catalog.c4_task_name("en", "3.1.0", catalog.C4_OBJECTIVES[0])


@pytest.fixture(scope="module")
def c4_tasks(c4_dir, vocab):
    from c4forge.tasks import registry

    names = catalog.register_c4(catalog.CatalogConfig(c4=str(c4_dir)), vocab)
    yield names
    registry.unregister(*names)


def seqio_batches(converter, count, seed=5):
    ds = seqio.get_dataset(
        SPAN, LENGTHS, converter, dataset_split="train", shuffle=False, seed=seed, batch_size=8
    )
    return list(ds.take(count).as_numpy_iterator())


@pytest.mark.parametrize("kind", ["prefix_lm", "lm"])
def test_feed_equals_seqio_get_dataset(c4_tasks, kind):
    converter = seqio.PrefixLMFeatureConverter(pack=True, loss_on_targets_only=kind == "prefix_lm")
    theirs = seqio_batches(converter, 12)
    if kind == "lm":
        for batch in theirs:
            del batch["decoder_causal_attention"]
    ours = feed.Feed(SPAN, LENGTHS, 8, seed=5, features=kind)
    assert len(theirs) == 12
    for i, theirs_batch in enumerate(theirs):
        batch = next(ours)
        assert_same(batch, theirs_batch)
        assert batch["decoder_target_tokens"].shape == (8, 80), i
    # The feed's state restores to the same next batch for these rows too.
    state = ours.state()
    following = next(ours)
    again = next(feed.Feed(SPAN, LENGTHS, 8, seed=5, features=kind, state=state))
    assert_same(again, following)
