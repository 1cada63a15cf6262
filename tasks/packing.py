"""seqio's packing and `EncDecFeatureConverter`, in numpy (same rows, same values).

seqio (`utils.trim_and_pack_dataset`, `_pack_with_tf_ops`) trims each feature, takes windows of
`max(lengths)` examples (its `padded_batch`), and packs each window greedily in order: an example
joins the current row only if *every* feature still fits, otherwise the row is written and a new
one starts; the last row of a window is always written. An example's length is its number of
non-zero tokens (seqio's rule: interior zeros cut it short). Then
`segment_ids = cumsum(positions == 0) * (token != 0)`.

`EncDecFeatureConverter` then names the features for the model and adds the decoder inputs
(targets shifted right, BOS 0 at the start of every segment) and loss weights (targets != 0).
Tests check row-for-row equality with seqio's own converter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

Example = Mapping[str, np.ndarray]


def _lengths(example: Example, lengths: Mapping[str, int]) -> dict[str, int]:
    return {k: int(np.count_nonzero(np.asarray(example[k])[:n])) for k, n in lengths.items()}


def pack_window(examples: Sequence[Example], lengths: Mapping[str, int]) -> dict[str, np.ndarray]:
    """Pack one window of examples into rows: {k, k_positions, k_segment_ids} of [rows, len]."""
    keys = list(lengths)
    rows: list[list[tuple[int, dict[str, int]]]] = []
    current: list[tuple[int, dict[str, int]]] = []
    used = dict.fromkeys(keys, 0)
    for i, example in enumerate(examples):
        size = _lengths(example, lengths)
        if any(used[k] + size[k] > lengths[k] for k in keys):
            rows.append(current)
            current, used = [], dict.fromkeys(keys, 0)
        current.append((i, size))
        for k in keys:
            used[k] += size[k]
    rows.append(current)

    out = {}
    for k in keys:
        tokens = np.zeros((len(rows), lengths[k]), np.int32)
        positions = np.zeros_like(tokens)
        for r, row in enumerate(rows):
            at = 0
            for i, size in row:
                n = size[k]
                tokens[r, at : at + n] = np.asarray(examples[i][k])[:n]
                positions[r, at : at + n] = np.arange(n)
                at += n
        out[k] = tokens
        out[f"{k}_positions"] = positions
        out[f"{k}_segment_ids"] = np.cumsum(positions == 0, axis=1, dtype=np.int32) * (tokens != 0)
    return out


def pad_examples(examples: Sequence[Example], lengths: Mapping[str, int]) -> dict[str, np.ndarray]:
    """seqio's `trim_and_pad_dataset`: each example trimmed and zero-padded to its length."""
    out = {}
    for k, n in lengths.items():
        rows = np.zeros((len(examples), n), np.int32)
        for r, example in enumerate(examples):
            v = np.asarray(example[k])[:n]
            rows[r, : len(v)] = v
        out[k] = rows
    return out


def autoregressive_inputs(targets: np.ndarray, segment_ids: np.ndarray | None = None) -> np.ndarray:
    """seqio's `make_autoregressive_inputs` (bos 0) on [rows, length] arrays."""
    shifted = np.zeros_like(targets)
    shifted[:, 1:] = targets[:, :-1]
    if segment_ids is None:
        return shifted
    previous = np.zeros_like(segment_ids)
    previous[:, 1:] = segment_ids[:, :-1]
    return np.where(segment_ids == previous, shifted, 0).astype(targets.dtype)


def encdec_features(rows: Mapping[str, np.ndarray], packed: bool) -> dict[str, np.ndarray]:
    """`EncDecFeatureConverter` output from packed (or padded) rows."""
    targets = rows["targets"]
    out = {
        "encoder_input_tokens": rows["inputs"],
        "decoder_target_tokens": targets,
        "decoder_input_tokens": autoregressive_inputs(
            targets, rows["targets_segment_ids"] if packed else None
        ),
        "decoder_loss_weights": (targets != 0).astype(np.int32),
    }
    if packed:
        out["encoder_segment_ids"] = rows["inputs_segment_ids"]
        out["encoder_positions"] = rows["inputs_positions"]
        out["decoder_segment_ids"] = rows["targets_segment_ids"]
        out["decoder_positions"] = rows["targets_positions"]
    return out
