"""`tasks.packing` against seqio's own `EncDecFeatureConverter` (docs/TASKS.md §1.5).

Every case is run through both: seqio's converter on a tf.data dataset of the examples, and our
numpy replica (windows of max(lengths) examples, as seqio's `padded_batch`). Hand-made cases also
carry the rows worked out by hand in comments.
"""

from __future__ import annotations

import numpy as np
import pytest
import seqio
import tensorflow as tf

from c4forge.tasks import packing

PACKED_KEYS = (
    "encoder_input_tokens",
    "encoder_segment_ids",
    "encoder_positions",
    "decoder_target_tokens",
    "decoder_input_tokens",
    "decoder_loss_weights",
    "decoder_segment_ids",
    "decoder_positions",
)
PADDED_KEYS = PACKED_KEYS[:1] + PACKED_KEYS[3:6]


def _dataset(examples):
    spec = {k: tf.TensorSpec([None], tf.int32) for k in ("inputs", "targets")}
    return tf.data.Dataset.from_generator(
        lambda: ({k: np.asarray(ex[k], np.int32) for k in spec} for ex in examples),
        output_signature=spec,
    )


def seqio_rows(examples, lengths, pack, length_check=True):
    """seqio's converter output as a dict of [rows, length] arrays."""
    converter = seqio.EncDecFeatureConverter(pack=pack, apply_length_check=length_check)
    rows = list(converter(_dataset(examples), lengths).as_numpy_iterator())
    return {k: np.stack([r[k] for r in rows]) for k in rows[0]}


def our_rows(examples, lengths, pack):
    """Our replica: windows of max(lengths) examples, each packed; then the converter's features."""
    if not pack:
        return packing.encdec_features(packing.pad_examples(examples, lengths), packed=False)
    window = max(lengths.values())
    parts = [
        packing.pack_window(examples[i : i + window], lengths)
        for i in range(0, len(examples), window)
    ]
    rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return packing.encdec_features(rows, packed=True)


def assert_same(ours, theirs, keys):
    assert set(ours) == set(theirs) == set(keys)
    for k in keys:
        assert ours[k].dtype == np.int32, k
        np.testing.assert_array_equal(ours[k], theirs[k], err_msg=k)


def test_seqio_docstring_example():
    # seqio's trim_and_pack_dataset docstring: two examples combined into one row of 10.
    examples = [
        {"inputs": [8, 7, 1, 0], "targets": [4, 1, 0]},
        {"inputs": [2, 3, 4, 1], "targets": [5, 6, 1]},
    ]
    lengths = {"inputs": 10, "targets": 10}
    ours = our_rows(examples, lengths, pack=True)
    expected = {
        "encoder_input_tokens": [[8, 7, 1, 2, 3, 4, 1, 0, 0, 0]],
        "encoder_segment_ids": [[1, 1, 1, 2, 2, 2, 2, 0, 0, 0]],
        "encoder_positions": [[0, 1, 2, 0, 1, 2, 3, 0, 0, 0]],
        "decoder_target_tokens": [[4, 1, 5, 6, 1, 0, 0, 0, 0, 0]],
        "decoder_segment_ids": [[1, 1, 2, 2, 2, 0, 0, 0, 0, 0]],
        "decoder_positions": [[0, 1, 0, 1, 2, 0, 0, 0, 0, 0]],
        # Targets shifted right, with BOS 0 wherever a segment starts (positions 0 and 2).
        "decoder_input_tokens": [[0, 4, 0, 5, 6, 0, 0, 0, 0, 0]],
        "decoder_loss_weights": [[1, 1, 1, 1, 1, 0, 0, 0, 0, 0]],
    }
    assert_same(ours, {k: np.array(v, np.int32) for k, v in expected.items()}, PACKED_KEYS)
    assert_same(ours, seqio_rows(examples, lengths, pack=True), PACKED_KEYS)


def test_an_example_joins_a_row_only_if_every_feature_fits():
    lengths = {"inputs": 6, "targets": 4}
    examples = [
        {"inputs": [11, 12, 13, 1], "targets": [21, 1]},  # row 1: inputs 4/6, targets 2/4
        {"inputs": [14, 15, 1], "targets": [22, 1]},  # inputs 4 + 3 > 6: row 2
        {"inputs": [16, 1], "targets": [23, 24, 1]},  # inputs 3 + 2 fit, targets 2 + 3 don't: row 3
        {"inputs": [17], "targets": [25]},  # fits in row 3: inputs 3, targets 4
    ]
    ours = our_rows(examples, lengths, pack=True)
    np.testing.assert_array_equal(
        ours["encoder_input_tokens"],
        [[11, 12, 13, 1, 0, 0], [14, 15, 1, 0, 0, 0], [16, 1, 17, 0, 0, 0]],
    )
    np.testing.assert_array_equal(
        ours["decoder_target_tokens"], [[21, 1, 0, 0], [22, 1, 0, 0], [23, 24, 1, 25]]
    )
    np.testing.assert_array_equal(
        ours["encoder_segment_ids"], [[1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0], [1, 1, 2, 0, 0, 0]]
    )
    # Shifted right, BOS 0 at each segment start and 0 after a segment ends (padding).
    np.testing.assert_array_equal(
        ours["decoder_input_tokens"], [[0, 21, 0, 0], [0, 22, 0, 0], [0, 23, 24, 0]]
    )
    assert_same(ours, seqio_rows(examples, lengths, pack=True), PACKED_KEYS)


def test_windows_of_max_length_examples_are_packed_separately():
    # max(lengths) = 6 examples per window. Window 1: five 2-token examples and a 1-token one
    # -> rows [2, 2, 2] and [2, 2, 1] (5 tokens). The 7th example (1 token) would fit in that
    # second row, but it belongs to the next window, so it starts a new row.
    lengths = {"inputs": 6, "targets": 6}
    examples = [{"inputs": [10 + i, 1], "targets": [30 + i, 1]} for i in range(5)]
    examples += [{"inputs": [1], "targets": [1]}, {"inputs": [1], "targets": [1]}]
    ours = our_rows(examples, lengths, pack=True)
    np.testing.assert_array_equal(
        ours["encoder_input_tokens"],
        [[10, 1, 11, 1, 12, 1], [13, 1, 14, 1, 1, 0], [1, 0, 0, 0, 0, 0]],
    )
    np.testing.assert_array_equal(
        ours["encoder_segment_ids"],
        [[1, 1, 2, 2, 3, 3], [1, 1, 2, 2, 3, 0], [1, 0, 0, 0, 0, 0]],
    )
    assert_same(ours, seqio_rows(examples, lengths, pack=True), PACKED_KEYS)


def test_interior_zeros_cut_an_example_short():
    # [5, 0, 7, 1] has 3 non-zero tokens: seqio keeps its first 3 ([5, 0, 7]), the 0 gets
    # segment id 0, and the next example starts at position 3.
    lengths = {"inputs": 8, "targets": 4}
    examples = [
        {"inputs": [5, 0, 7, 1], "targets": [9, 1]},
        {"inputs": [6, 1], "targets": [8, 1]},
    ]
    ours = our_rows(examples, lengths, pack=True)
    np.testing.assert_array_equal(ours["encoder_input_tokens"], [[5, 0, 7, 6, 1, 0, 0, 0]])
    np.testing.assert_array_equal(ours["encoder_segment_ids"], [[1, 0, 1, 2, 2, 0, 0, 0]])
    np.testing.assert_array_equal(ours["encoder_positions"], [[0, 1, 2, 0, 1, 0, 0, 0]])
    assert_same(ours, seqio_rows(examples, lengths, pack=True), PACKED_KEYS)


def test_padding_without_packing():
    lengths = {"inputs": 5, "targets": 3}
    examples = [
        {"inputs": [3, 4, 1], "targets": [5, 1]},
        {"inputs": [6, 1], "targets": [7, 8, 1]},
    ]
    ours = our_rows(examples, lengths, pack=False)
    expected = {
        "encoder_input_tokens": [[3, 4, 1, 0, 0], [6, 1, 0, 0, 0]],
        "decoder_target_tokens": [[5, 1, 0], [7, 8, 1]],
        "decoder_input_tokens": [[0, 5, 1], [0, 7, 8]],
        "decoder_loss_weights": [[1, 1, 0], [1, 1, 1]],
    }
    assert_same(ours, {k: np.array(v, np.int32) for k, v in expected.items()}, PADDED_KEYS)
    assert_same(ours, seqio_rows(examples, lengths, pack=False), PADDED_KEYS)


def _random_examples(seed, count, lengths):
    """Examples of random lengths up to 1.5x the feature length, some with zeros inside."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        ex = {}
        for k, n in lengths.items():
            v = rng.integers(2, 50, size=int(rng.integers(0, n * 3 // 2 + 1))).astype(np.int32)
            if len(v) > 2 and rng.random() < 0.1:
                v[rng.integers(1, len(v) - 1)] = 0
            ex[k] = v
        out.append(ex)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("pack", [True, False])
def test_random_examples_match_seqio(seed, pack):
    # Over-long examples need seqio's length check off; both sides then trim them.
    lengths = {"inputs": 12, "targets": 5}
    examples = _random_examples(seed, 100, lengths)  # 8 full windows of 12 and a partial one
    ours = our_rows(examples, lengths, pack=pack)
    theirs = seqio_rows(examples, lengths, pack=pack, length_check=False)
    assert_same(ours, theirs, PACKED_KEYS if pack else PADDED_KEYS)


def test_bos_at_every_segment_start():
    examples = _random_examples(7, 60, {"inputs": 10, "targets": 10})
    ours = our_rows(examples, {"inputs": 10, "targets": 10}, pack=True)
    starts = (ours["decoder_positions"] == 0) & (ours["decoder_segment_ids"] > 0)
    assert starts.sum() > 0
    assert (ours["decoder_input_tokens"][starts] == 0).all()
    # Inside a segment, the decoder input is the previous target token.
    inside = (ours["decoder_positions"] > 0) & (ours["decoder_segment_ids"] > 0)
    shifted = np.pad(ours["decoder_target_tokens"], ((0, 0), (1, 0)))[:, :-1]
    np.testing.assert_array_equal(ours["decoder_input_tokens"][inside], shifted[inside])
