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

Decoder-only models (Raffel et al. §3.2.1) read each example's inputs and targets concatenated,
as seqio's `PrefixLMFeatureConverter` makes them (`lm_rows`, then `prefix_lm_features`): per
example `targets = inputs + targets` and two per-position widths, `inputs_width` (len(inputs))
and `inputs_width_add_pos` (one more), packed together as above in rows of
inputs_length + targets_length; then `decoder_causal_attention = positions <
inputs_width_add_pos` (the fully visible region: the inputs and the position that reads their
last token) and loss weights on the targets only, `(positions < inputs_width) xor (targets !=
0)`. The paper's LM trains on every token: `lm_features` (`LMFeatureConverter`'s features, which
are also PrefixLMFeatureConverter(loss_on_targets_only=False)'s without its region). Which kind
a model reads is `T5Config.feature_kind`; `rows_for` and `model_features` dispatch on it.
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
    """`EncDecFeatureConverter` output from packed (or padded) rows: the decoder's features are
    `lm_features`' over the targets, plus the encoder's inputs."""
    out = {"encoder_input_tokens": rows["inputs"], **lm_features(rows, packed)}
    if packed:
        out["encoder_segment_ids"] = rows["inputs_segment_ids"]
        out["encoder_positions"] = rows["inputs_positions"]
    return out


# ---------------------------------------------------------------------------------------------
# Decoder-only models: seqio's LMFeatureConverter and PrefixLMFeatureConverter.

FEATURE_KINDS = ("encdec", "lm", "prefix_lm")
_WIDTHS = ("inputs_width", "inputs_width_add_pos")


def check_feature_kind(kind: str) -> None:
    if kind not in FEATURE_KINDS:
        raise ValueError(f"unknown feature kind {kind!r}; known: {', '.join(FEATURE_KINDS)}")


def packed_lengths(lengths: Mapping[str, int], kind: str) -> dict[str, int]:
    """The lengths rows are packed to: the task's for "encdec"; for the decoder-only kinds one
    row of inputs + targets for the concatenation and each width (seqio's
    `_concat_task_feature_lengths`)."""
    check_feature_kind(kind)
    if kind == "encdec":
        return dict(lengths)
    total = int(lengths["inputs"]) + int(lengths["targets"])
    return dict.fromkeys(("targets", *_WIDTHS), total)


def concatenated(example: Example) -> dict[str, np.ndarray]:
    """seqio's `_concat_and_add_masks` (then its `replace_0s`): [inputs, targets] and the widths.

    Empty targets become one 0 (seqio's rule). A zero inputs width is stored as -1 so that the
    width is not taken for padding while packing; `lm_rows` turns it back into 0.
    """
    inputs = np.asarray(example["inputs"], np.int32)
    targets = np.asarray(example["targets"], np.int32)
    if targets.size == 0:
        targets = np.zeros(1, np.int32)
    size = inputs.size + targets.size
    width = inputs.size
    return {
        "targets": np.concatenate([inputs, targets]),
        "inputs_width": np.full(size, width if width else -1, np.int32),
        "inputs_width_add_pos": np.full(size, width + 1, np.int32),
    }


def lm_rows(
    examples: Sequence[Example], lengths: Mapping[str, int], pack: bool
) -> dict[str, np.ndarray]:
    """One window (pack) or batch (pad) of examples as PrefixLMFeatureConverter lays them out."""
    concat = [concatenated(e) for e in examples]
    row_lengths = packed_lengths(lengths, "prefix_lm")
    rows = pack_window(concat, row_lengths) if pack else pad_examples(concat, row_lengths)
    rows["inputs_width"] = np.where(rows["inputs_width"] == -1, 0, rows["inputs_width"])
    return rows


def lm_features(rows: Mapping[str, np.ndarray], packed: bool) -> dict[str, np.ndarray]:
    """`LMFeatureConverter` output from packed (or padded) "targets" rows: next-token prediction
    over the whole row, loss on every non-padding token."""
    targets = rows["targets"]
    out = {
        "decoder_target_tokens": targets,
        "decoder_input_tokens": autoregressive_inputs(
            targets, rows["targets_segment_ids"] if packed else None
        ),
        "decoder_loss_weights": (targets != 0).astype(np.int32),
    }
    if packed:
        out["decoder_segment_ids"] = rows["targets_segment_ids"]
        out["decoder_positions"] = rows["targets_positions"]
    return out


def prefix_lm_features(
    rows: Mapping[str, np.ndarray], packed: bool, loss_on_targets_only: bool = True
) -> dict[str, np.ndarray]:
    """`PrefixLMFeatureConverter` output from `lm_rows`: LM features plus the fully visible
    region `decoder_causal_attention`, and (by default) loss weights on the targets only."""
    out = lm_features(rows, packed)
    targets = rows["targets"]
    if packed:
        positions = rows["targets_positions"]
    else:
        positions = np.broadcast_to(np.arange(targets.shape[1], dtype=np.int32), targets.shape)
    out["decoder_causal_attention"] = (positions < rows["inputs_width_add_pos"]).astype(np.int32)
    if loss_on_targets_only:
        inputs = positions < rows["inputs_width"]
        weights = np.logical_xor(inputs, out["decoder_loss_weights"].astype(bool))
        out["decoder_loss_weights"] = weights.astype(np.int32)
    return out


def rows_for(
    examples: Sequence[Example], lengths: Mapping[str, int], pack: bool, kind: str
) -> dict[str, np.ndarray]:
    """Rows of one window (packed) or batch (padded) for a model that reads `kind` features."""
    check_feature_kind(kind)
    if kind != "encdec":
        return lm_rows(examples, lengths, pack)
    return pack_window(examples, lengths) if pack else pad_examples(examples, lengths)


def model_features(
    rows: Mapping[str, np.ndarray], packed: bool, kind: str
) -> dict[str, np.ndarray]:
    """The model's batch from `rows_for`'s rows: EncDec, LM or PrefixLM converter features."""
    check_feature_kind(kind)
    if kind == "encdec":
        return encdec_features(rows, packed)
    if kind == "lm":
        return lm_features(rows, packed)
    return prefix_lm_features(rows, packed)
