"""Benchmark-only reference: T5's `span_corruption` as T5 implements it, in TensorFlow ops.

This module is **not used by the product** (`tasks/` has its own implementation). It exists so
that benchmarks can run the *reference stack* (seqio plus T5's TF-op span corruption) side by
side with ours, without depending on the `t5` package, which cannot be installed next to
TensorFlow 2.21 here.

It re-implements, from the behaviour of `t5/data/preprocessors.py` (google-research/
text-to-text-transfer-transformer, t5 0.9.4 / HEAD e081111), the functions that
`span_corruption()` runs with its defaults:

- `random_spans_helper`: raw-token budget and targets length (568 and 114 at inputs 512);
- `select_random_chunk` / `single_example_select_random_chunk` (`max_length=65536`);
- `reduce_concat_tokens` (`batch_size=128`);
- `split_tokens` (fixed segment length);
- `denoise` / `single_example_denoise`, with `random_spans_noise_mask` (and its inner
  `_random_segmentation`), `noise_span_to_unique_sentinel`, `nonnoise_span_to_unique_sentinel`
  and `sentinel_id`.

Randomness mirrors T5: stateless TF random ops, seeded through `seqio.map_over_dataset(num_seeds=1)`
in the same order as T5 (chunk selection, then `split_tokens`, whose seed T5 draws but does not
use at a fixed segment length, then `denoise`, whose seed is split six ways: [0:2] noise mask,
[2:4] inputs, [4:6] targets). Under one `seqio.map_seed_manager` seed, the same calls therefore
see the same seeds as T5's `span_corruption()`.

    preprocessors = [
        functools.partial(seqio.preprocessors.rekey, key_map={"inputs": None, "targets": "text"}),
        seqio.preprocessors.tokenize,
        seqio.CacheDatasetPlaceholder(),
        *t5_span_corruption_preprocessors(),
        seqio.preprocessors.append_eos_after_trim,
    ]

or simply `register_reference_task(name, source, vocabulary)`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import seqio
import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE

# `span_corruption()` defaults.
NOISE_DENSITY = 0.15
MEAN_NOISE_SPAN_LENGTH = 3.0
CHUNK_MAX_LENGTH = 65536
CONCAT_BATCH_SIZE = 128

FEATURE_KEY = "targets"

__all__ = [
    "CHUNK_MAX_LENGTH",
    "CONCAT_BATCH_SIZE",
    "MEAN_NOISE_SPAN_LENGTH",
    "NOISE_DENSITY",
    "denoise",
    "noise_span_to_unique_sentinel",
    "nonnoise_span_to_unique_sentinel",
    "random_spans_helper",
    "random_spans_noise_mask",
    "reduce_concat_tokens",
    "register_reference_task",
    "select_random_chunk",
    "split_tokens",
    "t5_span_corruption_preprocessors",
]


# ----------------------------------------------------------------------------------------------
# Length arithmetic (T5 `random_spans_helper`).


def random_spans_helper(
    inputs_length: int,
    noise_density: float,
    mean_noise_span_length: float,
    extra_tokens_per_span_inputs: int = 1,
    extra_tokens_per_span_targets: int = 1,
) -> tuple[int, int]:
    """Returns (raw tokens per example, targets length incl. EOS) that fill `inputs_length`.

    Each noise span costs `extra_tokens_per_span_inputs` sentinels in the inputs, and each
    non-noise span `extra_tokens_per_span_targets` in the targets; both sides count one EOS.
    Python's `round` (half to even) is what T5 uses too.
    """

    def lengths(tokens: int) -> tuple[int, int]:
        noise = round(tokens * noise_density)
        spans = round(noise / mean_noise_span_length)
        return (
            tokens - noise + spans * extra_tokens_per_span_inputs + 1,
            noise + spans * extra_tokens_per_span_targets + 1,
        )

    tokens = inputs_length - 1
    while lengths(tokens + 1)[0] <= inputs_length:
        tokens += 1
    inputs_len, targets_len = lengths(tokens)
    # T5's adjustment so that targets match inputs (a round number) for prefix-LM-like densities.
    if noise_density == 0.5 and targets_len > inputs_len:
        tokens -= 1
        targets_len -= 1
    return tokens, targets_len


def _span_corruption_lengths(
    sequence_length: Mapping[str, int] | None,
    noise_density: float,
    mean_noise_span_length: float,
    reserved_for_packing: int | None,
) -> tuple[int, int]:
    """T5 `span_corruption`'s length setup and its targets-length check."""
    if not sequence_length or "inputs" not in sequence_length:
        raise ValueError(
            f"span corruption needs sequence_length['inputs'], got {sequence_length!r}"
        )
    inputs_length = sequence_length["inputs"]
    if reserved_for_packing:
        inputs_length -= reserved_for_packing
    tokens_length, targets_length = random_spans_helper(
        inputs_length, noise_density, mean_noise_span_length, 1, 1
    )
    if sequence_length["targets"] < targets_length:
        raise ValueError(
            f"Expected targets length for span corruption ({targets_length}) is greater than "
            f"configured targets length ({sequence_length['targets']})"
        )
    return tokens_length, targets_length


# ----------------------------------------------------------------------------------------------
# Token preprocessors (T5 `select_random_chunk`, `reduce_concat_tokens`, `split_tokens`).


def select_random_chunk(
    dataset: tf.data.Dataset,
    max_length: int = CHUNK_MAX_LENGTH,
    feature_key: str = FEATURE_KEY,
) -> tf.data.Dataset:
    """Drops empty documents, then keeps one random aligned chunk of at most `max_length` tokens.

    The chunk starts at `max_length * U{0 .. ceil(n / max_length) - 1}` (T5's default,
    `uniform_random_start=False`). Like T5, only `feature_key` survives (no passthrough keys).
    """

    @seqio.map_over_dataset(num_seeds=1)
    def _chunk(features, seed):
        # T5 splits the seed in two: [0] would pick a random length (`min_length`), [1] the start.
        seeds = tf.unstack(tf.random.experimental.stateless_split(seed))
        tokens = features[feature_key]
        n_tokens = tf.shape(tokens)[0]
        num_segments = tf.cast(
            tf.math.ceil(tf.cast(n_tokens, tf.float32) / tf.cast(max_length, tf.float32)),
            tf.int32,
        )
        start = max_length * tf.random.stateless_uniform(
            [], maxval=num_segments, dtype=tf.int32, seed=seeds[1]
        )
        end = tf.minimum(start + max_length, n_tokens)
        return {feature_key: tokens[start:end]}

    dataset = dataset.filter(lambda x: tf.not_equal(tf.size(x[feature_key]), 0))
    return _chunk(dataset)


def reduce_concat_tokens(
    dataset: tf.data.Dataset,
    feature_key: str = FEATURE_KEY,
    batch_size: int = CONCAT_BATCH_SIZE,
) -> tf.data.Dataset:
    """Concatenates `batch_size` consecutive documents, with no separator (not even EOS).

    `padded_batch`, flatten, then drop every 0 (the padding, and any 0 inside the documents).
    """
    dataset = dataset.map(lambda x: {feature_key: x[feature_key]}, num_parallel_calls=AUTOTUNE)
    dataset = dataset.padded_batch(batch_size, padded_shapes={feature_key: [-1]})

    def _flatten(x):
        tokens = tf.reshape(x[feature_key], [-1])
        return {feature_key: tf.boolean_mask(tokens, tf.cast(tokens, tf.bool))}

    return dataset.map(_flatten, num_parallel_calls=AUTOTUNE)


def split_tokens(
    dataset: tf.data.Dataset,
    max_tokens_per_segment: int,
    feature_key: str = FEATURE_KEY,
) -> tf.data.Dataset:
    """Cuts each sequence into pieces of `max_tokens_per_segment` tokens; the last may be short.

    T5 draws a map seed here even at a fixed length (it only uses it for a log-uniform random
    length); we draw it too, so that `denoise` receives the same seed as in T5.
    """
    length = max_tokens_per_segment

    @seqio.map_over_dataset(num_seeds=1)
    def _split(features, seed):
        del seed  # Consumed for seed parity with T5; unused at a fixed segment length.
        tokens = features[feature_key]
        n_tokens = tf.shape(tokens)[0]
        num_segments = tf.cast(
            tf.math.ceil(tf.cast(n_tokens, tf.float32) / tf.cast(length, tf.float32)), tf.int32
        )
        padding = num_segments * length - n_tokens
        padded = tf.pad(tokens, [[0, padding]])
        pieces = {feature_key: tf.reshape(padded, [-1, length])}
        piece_lengths = {
            feature_key: tf.concat(
                [tf.repeat(length, num_segments - 1), [length - padding]], axis=0
            )
        }
        return pieces, piece_lengths

    def _strip_padding(pieces, piece_lengths):
        return {k: v[: piece_lengths[k]] for k, v in pieces.items()}

    dataset = dataset.filter(lambda x: tf.not_equal(tf.size(x[feature_key]), 0))
    dataset = _split(dataset).unbatch()
    return dataset.map(_strip_padding, num_parallel_calls=AUTOTUNE)


# ----------------------------------------------------------------------------------------------
# Noise and sentinels (T5 `random_spans_noise_mask`, `*_span_to_unique_sentinel`, `denoise`).


def _random_segmentation(num_items, num_segments, seed):
    """Splits `num_items` into `num_segments` positive lengths, uniformly among compositions.

    A stateless shuffle of `[1] * (num_segments - 1) + [0] * rest` over the `num_items - 1` gaps
    marks where segments start; their lengths are the segment sums of ones.
    """
    starts = seqio.utils.stateless_shuffle(
        tf.cast(tf.range(num_items - 1) < num_segments - 1, tf.int32), seed
    )
    first_in_segment = tf.pad(starts, [[1, 0]])
    segment_id = tf.cumsum(first_in_segment)
    return tf.math.segment_sum(tf.ones_like(segment_id), segment_id)


def random_spans_noise_mask(
    length,
    noise_density: float,
    seeds,
    mean_noise_span_length: float = MEAN_NOISE_SPAN_LENGTH,
    random_roll: bool = False,
):
    """Boolean mask of `length` with random noise spans; non-noise first, noise last.

    Noise tokens = clip(round(L * density), 1, L - 1) with L = max(length, 2); noise spans =
    max(round(noise / mean), 1), as many non-noise spans. `seeds[0]` segments the noise tokens,
    `seeds[1]` the non-noise ones; the spans are interleaved `[nn0, n0, nn1, n1, ...]`.
    """
    if noise_density == 0.0:
        return tf.zeros(length, tf.bool)

    orig_length = length
    length = tf.maximum(length, 2)
    num_noise_tokens = tf.cast(tf.round(tf.cast(length, tf.float32) * noise_density), tf.int32)
    num_noise_tokens = tf.minimum(tf.maximum(num_noise_tokens, 1), length - 1)
    num_noise_spans = tf.cast(
        tf.round(tf.cast(num_noise_tokens, tf.float32) / mean_noise_span_length), tf.int32
    )
    num_noise_spans = tf.maximum(num_noise_spans, 1)
    num_nonnoise_tokens = length - num_noise_tokens

    noise_span_lengths = _random_segmentation(num_noise_tokens, num_noise_spans, seeds[0])
    nonnoise_span_lengths = _random_segmentation(num_nonnoise_tokens, num_noise_spans, seeds[1])
    interleaved = tf.reshape(
        tf.stack([nonnoise_span_lengths, noise_span_lengths], axis=1), [num_noise_spans * 2]
    )
    span_starts = tf.cumsum(interleaved)[:-1]
    span_start_indicator = tf.math.unsorted_segment_sum(
        tf.ones_like(span_starts), span_starts, length
    )
    span_num = tf.cumsum(span_start_indicator)
    mask = tf.equal(span_num % 2, 1)[:orig_length]

    if random_roll:  # Not used by span_corruption; kept for parity with T5's signature.
        roll_seed = (seeds[0][0] + seeds[1][1], seeds[0][1] - seeds[1][0])
        offset = tf.random.stateless_uniform(
            [1], seed=roll_seed, dtype=tf.int32, minval=0, maxval=length
        )[0]
        mask = tf.roll(mask, shift=offset, axis=0)
    return mask


def _sentinel_id(vocabulary) -> int:
    """T5 `sentinel_id`: the vocabulary's last id (`<extra_id_0>` in seqio's reversed order)."""
    return vocabulary.vocab_size - 1


def noise_span_to_unique_sentinel(tokens, noise_mask, vocabulary, seeds):
    """Replaces noise span i by `vocab_size - 1 - i` and drops the rest of the span."""
    del seeds
    prev_token_is_noise = tf.pad(noise_mask[:-1], [[1, 0]])
    first_noise_tokens = tf.logical_and(noise_mask, tf.logical_not(prev_token_is_noise))
    subsequent_noise_tokens = tf.logical_and(noise_mask, prev_token_is_noise)
    sentinel = _sentinel_id(vocabulary) + 1 - tf.cumsum(tf.cast(first_noise_tokens, tokens.dtype))
    tokens = tf.where(first_noise_tokens, sentinel, tokens)
    return tf.boolean_mask(tokens, tf.logical_not(subsequent_noise_tokens))


def nonnoise_span_to_unique_sentinel(tokens, noise_mask, vocabulary, seeds):
    """The same on the complement: non-noise span i becomes sentinel i (the targets side)."""
    return noise_span_to_unique_sentinel(tokens, tf.logical_not(noise_mask), vocabulary, seeds)


def denoise(
    dataset: tf.data.Dataset,
    output_features: Mapping[str, seqio.Feature],
    noise_density: float,
    noise_mask_fn: Callable,
    inputs_fn: Callable,
    targets_fn: Callable | None = None,
    input_feature_key: str = "inputs",
) -> tf.data.Dataset:
    """Builds `inputs`/`targets` from the tokenized `targets` and a noise mask (T5 `denoise`)."""
    vocabulary = output_features["targets"].vocabulary
    if (
        input_feature_key in output_features
        and vocabulary != output_features[input_feature_key].vocabulary
    ):
        raise ValueError(
            "denoise creates inputs based on tokenized targets but was applied to a task that "
            "uses different vocabularies for inputs and targets."
        )

    @seqio.map_over_dataset(num_seeds=1)
    def _denoise(features, seed):
        seeds = tf.unstack(tf.random.experimental.stateless_split(seed, 6))
        tokens = features["targets"]
        noise_mask = noise_mask_fn(tf.size(tokens), noise_density, seeds=seeds[:2])
        inputs = inputs_fn(tokens, noise_mask, vocabulary, seeds=seeds[2:4])
        targets = (
            tokens
            if targets_fn is None
            else targets_fn(tokens, noise_mask, vocabulary, seeds=seeds[4:6])
        )
        return {input_feature_key: inputs, "targets": targets}

    return _denoise(dataset)


# ----------------------------------------------------------------------------------------------
# The seqio preprocessors and the reference task.


def _chunk_step(dataset, max_length: int):
    return select_random_chunk(dataset, max_length=max_length)


def _concat_step(dataset, batch_size: int):
    return reduce_concat_tokens(dataset, batch_size=batch_size)


def _split_step(
    dataset,
    sequence_length,
    noise_density: float,
    mean_noise_span_length: float,
    reserved_for_packing: int | None,
):
    tokens_length, _ = _span_corruption_lengths(
        sequence_length, noise_density, mean_noise_span_length, reserved_for_packing
    )
    return split_tokens(dataset, max_tokens_per_segment=tokens_length)


def _denoise_step(dataset, output_features, noise_density: float, mean_noise_span_length: float):
    return denoise(
        dataset,
        output_features,
        noise_density=noise_density,
        noise_mask_fn=functools.partial(
            random_spans_noise_mask, mean_noise_span_length=mean_noise_span_length
        ),
        inputs_fn=noise_span_to_unique_sentinel,
        targets_fn=nonnoise_span_to_unique_sentinel,
    )


def t5_span_corruption_preprocessors(
    noise_density: float = NOISE_DENSITY,
    mean_noise_span_length: float = MEAN_NOISE_SPAN_LENGTH,
    merge_examples_to_reduce_padding: bool = True,
    reserved_for_packing: int | None = None,
) -> list[Callable[..., tf.data.Dataset]]:
    """T5's `span_corruption()` as a list of seqio preprocessors.

    Place them after `seqio.CacheDatasetPlaceholder()` and before
    `seqio.preprocessors.append_eos_after_trim`. Each takes `dataset` and, where it needs them,
    `sequence_length` / `output_features` (seqio injects them by name). They emit `inputs` and
    `targets` without EOS. The raw-token length per example comes from `random_spans_helper`
    on `sequence_length['inputs']` (568 at 512 with the defaults; targets need 114), and
    pipeline construction raises if `sequence_length['targets']` is shorter than that.
    """
    steps: list[Callable[..., tf.data.Dataset]] = [
        functools.partial(_chunk_step, max_length=CHUNK_MAX_LENGTH)
    ]
    if merge_examples_to_reduce_padding:
        steps.append(functools.partial(_concat_step, batch_size=CONCAT_BATCH_SIZE))
    steps.append(
        functools.partial(
            _split_step,
            noise_density=noise_density,
            mean_noise_span_length=mean_noise_span_length,
            reserved_for_packing=reserved_for_packing,
        )
    )
    steps.append(
        functools.partial(
            _denoise_step,
            noise_density=noise_density,
            mean_noise_span_length=mean_noise_span_length,
        )
    )
    return steps


def register_reference_task(
    name: str, source: seqio.DataSource, vocabulary: seqio.Vocabulary
) -> seqio.Task:
    """Registers (process-globally) T5's span-corruption task shape over `source`'s `text`.

    Chain: rekey `text` -> `targets` (T5's `key_map={"inputs": None, "targets": "text"}`),
    tokenize, cache placeholder, `t5_span_corruption_preprocessors()`, `append_eos_after_trim`.
    Features: `inputs` (EOS, not required) and `targets` (EOS), both on `vocabulary`. A name that
    is already registered raises seqio's `ValueError`.
    """
    return seqio.TaskRegistry.add(
        name,
        source=source,
        preprocessors=[
            functools.partial(
                seqio.preprocessors.rekey, key_map={"inputs": None, "targets": "text"}
            ),
            seqio.preprocessors.tokenize,
            seqio.CacheDatasetPlaceholder(),
            *t5_span_corruption_preprocessors(),
            seqio.preprocessors.append_eos_after_trim,
        ],
        output_features={
            "inputs": seqio.Feature(vocabulary=vocabulary, add_eos=True, required=False),
            "targets": seqio.Feature(vocabulary=vocabulary, add_eos=True),
        },
        metric_fns=[],
    )
