"""Span corruption arithmetic and masks (Raffel et al. 2019, §3.1.4; docs/TASKS.md §2.2).

Pure numpy, one example at a time, after T5's `random_spans_helper`, `random_spans_noise_mask`
and `noise_span_to_unique_sentinel` (`t5/data/preprocessors.py`); the objectives
(`tasks.objectives`) apply them to pieces of concatenated documents.

* `random_spans_helper`: how many raw tokens to feed so that, after corruption, inputs fill
  exactly `inputs_length` (with EOS) — 568 raw tokens -> 512 inputs / 114 targets at T5's
  defaults (density 0.15, mean span 3).
* `random_spans_noise_mask`: which tokens are noise. The noise tokens are split into
  round(noise / mean_span) spans and the rest into as many non-noise spans, each split uniformly
  at random into positive parts; spans alternate non-noise first, so an example starts with
  non-noise and ends with noise, and a 1-token example gets no noise.
* `noise_span_to_unique_sentinel` / `nonnoise_span_to_unique_sentinel`: each span becomes one
  sentinel, counting down from the last vocabulary id (`<extra_id_0>` = vocab_size - 1).

Masks depend only on (length, density, mean span, seed): same seed, same mask.
"""

from __future__ import annotations

import functools

import numpy as np


def _lengths_after_corruption(
    tokens_length: int,
    noise_density: float,
    mean_noise_span_length: float,
    extra_tokens_per_span_inputs: int,
    extra_tokens_per_span_targets: int,
) -> tuple[int, int]:
    """(inputs, targets) lengths, EOS included, of `tokens_length` corrupted tokens.

    The counts are those `random_spans_noise_mask` makes. T5's helper skips the mask's clipping
    (at least 1 noise token and 1 span, at most length - 1 and one span per token of each
    kind); they differ only where T5's own examples would overflow their inputs by a token
    (e.g. mean span 64 over 22 noise tokens: T5 counts round(22 / 64) = 0 spans, the mask
    makes 1).
    """
    # Python's round: halves go to the even integer, as in T5's arithmetic.
    num_noise = min(max(round(tokens_length * float(noise_density)), 1), tokens_length - 1)
    num_spans = min(
        max(round(num_noise / float(mean_noise_span_length)), 1),
        num_noise,
        tokens_length - num_noise,
    )
    inputs = tokens_length - num_noise + num_spans * extra_tokens_per_span_inputs + 1
    targets = num_noise + num_spans * extra_tokens_per_span_targets + 1
    return inputs, targets


# Pure in its arguments, and a linear search (~500 steps for UL2's mean span 64 at 50%), asked
# for once per group of documents: remembered.
@functools.lru_cache(maxsize=1024)
def random_spans_helper(
    inputs_length: int,
    noise_density: float,
    mean_noise_span_length: float,
    extra_tokens_per_span_inputs: int = 1,
    extra_tokens_per_span_targets: int = 1,
) -> tuple[int, int]:
    """(raw tokens to take, resulting targets length) for inputs of exactly `inputs_length`.

    The raw length is the largest whose corrupted inputs still fit; with density 0.5, when the
    targets come out longer than the inputs, one token less is taken (T5 does the same, so that
    targets match the usually round inputs length).
    """
    if inputs_length < 2:
        raise ValueError(f"inputs_length must be at least 2, got {inputs_length}")
    if not 0.0 < noise_density < 1.0:
        raise ValueError(f"noise_density must be in (0, 1), got {noise_density}")
    if mean_noise_span_length <= 0:
        raise ValueError(f"mean_noise_span_length must be positive, got {mean_noise_span_length}")
    extra = (extra_tokens_per_span_inputs, extra_tokens_per_span_targets)
    tokens_length = inputs_length - 1
    while (
        _lengths_after_corruption(tokens_length + 1, noise_density, mean_noise_span_length, *extra)[
            0
        ]
        <= inputs_length
    ):
        tokens_length += 1
    inputs, targets = _lengths_after_corruption(
        tokens_length, noise_density, mean_noise_span_length, *extra
    )
    if noise_density == 0.5 and targets > inputs:
        tokens_length -= 1
        targets -= 1
    return tokens_length, targets


def _random_segmentation(num_items: int, num_segments: int, rng: np.random.Generator):
    """Lengths of `num_segments` positive parts summing to `num_items`, uniformly at random."""
    # Mark the first item of each segment after the first: num_segments - 1 of the
    # num_items - 1 possible boundaries, chosen at random.
    first_in_segment = np.zeros(num_items, dtype=np.int64)
    boundaries = rng.permutation(num_items - 1)[: num_segments - 1] + 1
    first_in_segment[boundaries] = 1
    segment_id = np.cumsum(first_in_segment)
    return np.bincount(segment_id, minlength=num_segments)


def random_spans_noise_mask(
    length: int,
    noise_density: float,
    seed: int | tuple[int, ...],
    mean_noise_span_length: float = 3.0,
) -> np.ndarray:
    """A boolean mask of `length`: True where a token is noise (see the module docstring)."""
    if length < 1:
        raise ValueError(f"length must be at least 1, got {length}")
    orig_length = length
    length = max(length, 2)
    num_noise = min(max(round(length * float(noise_density)), 1), length - 1)
    num_nonnoise = length - num_noise
    # Every span needs a token of each kind; T5's graph fails outright when they are too few.
    num_spans = min(
        max(round(num_noise / float(mean_noise_span_length)), 1), num_noise, num_nonnoise
    )
    rng = np.random.default_rng(seed)
    noise_lengths = _random_segmentation(num_noise, num_spans, rng)
    nonnoise_lengths = _random_segmentation(num_nonnoise, num_spans, rng)
    # Interleave non-noise first: [nn0, n0, nn1, n1, ...]; odd spans are noise.
    interleaved = np.stack([nonnoise_lengths, noise_lengths], axis=1).reshape(-1)
    span_index = np.repeat(np.arange(2 * num_spans), interleaved)
    return (span_index % 2 == 1)[:orig_length]


def _random_segmentations(rows: int, num_items: int, num_segments: int, rng) -> np.ndarray:
    """[rows, num_segments] lengths: `_random_segmentation` for many rows at once."""
    if num_segments == 1:
        return np.full((rows, 1), num_items, np.int64)
    # A uniformly random subset of num_segments - 1 boundaries among the num_items - 1 gaps.
    keys = rng.random((rows, num_items - 1))
    boundaries = np.sort(np.argpartition(keys, num_segments - 2, axis=1)[:, : num_segments - 1], 1)
    edges = np.concatenate(
        [np.zeros((rows, 1), np.int64), boundaries + 1, np.full((rows, 1), num_items)], axis=1
    )
    return np.diff(edges, axis=1)


def random_spans_noise_masks(
    rows: int,
    length: int,
    noise_density: float,
    rng: np.random.Generator,
    mean_noise_span_length: float = 3.0,
) -> np.ndarray:
    """[rows, length] masks, each distributed as `random_spans_noise_mask` (for length >= 2)."""
    if length < 2:
        raise ValueError(f"length must be at least 2, got {length}")
    num_noise = min(max(round(length * float(noise_density)), 1), length - 1)
    num_nonnoise = length - num_noise
    num_spans = min(
        max(round(num_noise / float(mean_noise_span_length)), 1), num_noise, num_nonnoise
    )
    noise = _random_segmentations(rows, num_noise, num_spans, rng)
    nonnoise = _random_segmentations(rows, num_nonnoise, num_spans, rng)
    interleaved = np.stack([nonnoise, noise], axis=2).reshape(rows, -1)
    # Mark where each span starts; the running count of starts is the span index.
    starts = np.cumsum(interleaved, axis=1)[:, :-1]
    markers = np.zeros((rows, length), np.int64)
    np.put_along_axis(markers, starts, 1, axis=1)
    return np.cumsum(markers, axis=1) % 2 == 1


def _sentinel_rows(tokens: np.ndarray, mask: np.ndarray, vocab_size: int):
    """([rows, length] tokens with each run's first masked token -> its sentinel, [rows, length]
    which of them to keep): `_spans_to_sentinels` before the kept tokens are gathered."""
    previous = np.zeros_like(mask)
    previous[:, 1:] = mask[:, :-1]
    first = mask & ~previous
    # int32 counts: half the memory traffic of numpy's default int64 (at most `length` spans).
    values = np.where(first, vocab_size - np.cumsum(first, axis=1, dtype=np.int32), tokens)
    return values, ~(mask & previous)


def spans_to_sentinels_rows(tokens: np.ndarray, mask: np.ndarray, vocab_size: int) -> np.ndarray:
    """`_spans_to_sentinels` on [rows, length] arrays whose rows all keep as many tokens."""
    values, keep = _sentinel_rows(tokens, mask, vocab_size)
    return values[keep].reshape(len(tokens), -1)


def spans_to_sentinels_ragged(
    tokens: np.ndarray, mask: np.ndarray, vocab_size: int
) -> list[np.ndarray]:
    """`_spans_to_sentinels` on [rows, length] arrays, one array per row (i.i.d. masks: the rows
    keep different numbers of tokens)."""
    values, keep = _sentinel_rows(tokens, mask, vocab_size)
    return np.split(values[keep], np.cumsum(keep.sum(axis=1))[:-1])


def _spans_to_sentinels(tokens: np.ndarray, mask: np.ndarray, vocab_size: int) -> np.ndarray:
    """Each run of masked tokens -> one sentinel (vocab_size - 1, vocab_size - 2, ...)."""
    previous = np.concatenate([[False], mask[:-1]])
    first = mask & ~previous
    sentinels = vocab_size - np.cumsum(first)
    out = np.where(first, sentinels, tokens)
    return out[~(mask & previous)]


def noise_span_to_unique_sentinel(tokens, noise_mask, vocab_size: int) -> np.ndarray:
    """Inputs: the non-noise tokens, each noise span replaced by its sentinel."""
    return _spans_to_sentinels(np.asarray(tokens), np.asarray(noise_mask, bool), vocab_size)


def nonnoise_span_to_unique_sentinel(tokens, noise_mask, vocab_size: int) -> np.ndarray:
    """Targets: the noise tokens, each non-noise span replaced by its sentinel."""
    return _spans_to_sentinels(np.asarray(tokens), ~np.asarray(noise_mask, bool), vocab_size)
