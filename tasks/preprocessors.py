"""seqio preprocessors for the objectives in `tasks.objectives` (the tf.data side).

An objective works on groups of `docs_per_group` consecutive documents; here the tokenized
`targets` of a dataset are batched into ragged groups, each group goes through the objective in
numpy (`tf.numpy_function`), and the examples come out one by one. The group key is
`(seed, 0, 1, 0, group_index)`, the same as `tasks.feed` uses for shard 0 of 1, epoch 0, so the
two paths give the same examples for the same seed.

The seed comes from seqio's seed manager, drawn as `seqio.map_over_dataset(num_seeds=1)` draws
it (`tasks.seqio_compat.draw_map_seed`): `Task.get_dataset(seed=s)` makes the first seeded step
after the cache placeholder see `s + 42 * cache_step_idx`; without a seed, every run draws a
fresh one (seqio's behaviour).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import seqio
import tensorflow as tf

from c4forge.tasks.objectives import for_vocabulary, group_rng
from c4forge.tasks.seqio_compat import draw_map_seed


def _encode_group(objective, seed, sequence_length, vocab_size):
    features = objective.features

    def run(group_index, values, row_lengths):
        docs = np.split(values, np.cumsum(row_lengths)[:-1]) if len(row_lengths) else []
        rng = group_rng(seed, int(group_index))
        examples = objective.examples(docs, rng, sequence_length, vocab_size)
        out = []
        for key in features:
            parts = [np.asarray(ex[key], np.int32) for ex in examples]
            out.append(np.concatenate(parts) if parts else np.zeros(0, np.int32))
            out.append(np.array([len(p) for p in parts], np.int64))
        return out

    return run


def objective_preprocessor(objective):
    """A seqio preprocessor applying `objective` to the tokenized `targets` of each document."""

    def preprocess(
        dataset: tf.data.Dataset,
        sequence_length: Mapping[str, int],
        output_features: Mapping[str, seqio.Feature],
    ) -> tf.data.Dataset:
        vocabulary = output_features["targets"].vocabulary
        bound = for_vocabulary(objective, vocabulary)  # e.g. UL2's mode tokens, as text ids
        if hasattr(bound, "lengths"):  # length errors when the dataset is built, not mid-run
            bound.lengths(sequence_length)
        seed = draw_map_seed()
        lengths = dict(sequence_length)
        run = _encode_group(bound, seed, lengths, vocabulary.vocab_size)
        keys = objective.features
        groups = (
            dataset.map(lambda ex: tf.cast(ex["targets"], tf.int32))
            .ragged_batch(objective.docs_per_group)
            .enumerate()
        )

        def apply(index, group):
            flat = tf.numpy_function(
                run,
                [index, group.values, group.row_lengths()],
                [tf.int32, tf.int64] * len(keys),
                stateful=False,
            )
            return {
                key: tf.RaggedTensor.from_row_lengths(
                    tf.ensure_shape(flat[2 * i], [None]), tf.ensure_shape(flat[2 * i + 1], [None])
                )
                for i, key in enumerate(keys)
            }

        def unbatch(ragged):
            return tf.data.Dataset.from_tensor_slices(ragged)

        return (
            groups.map(apply, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
            .flat_map(unbatch)
            .map(
                lambda ex: {
                    k: v.to_tensor() if hasattr(v, "to_tensor") else v for k, v in ex.items()
                }
            )
        )

    preprocess.__name__ = f"{objective.name}_preprocessor"
    return preprocess
