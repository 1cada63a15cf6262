"""A small supervised task for the trainer tests, registered with `--module toy_tasks`.

"copy: WORD" -> "WORD" over a fixed word list, on the vocabulary of the C4 tasks the catalog
registered first (so it mixes with them). Has accuracy as its metric, so evaluation decodes.
"""

import seqio
import tensorflow as tf

from c4forge.tasks import metrics, registry

WORDS = ["river", "mountain", "garden", "window", "planet", "yellow", "silver", "market"]


def _examples(split, shuffle_files, seed=None):
    del shuffle_files, seed
    words = WORDS if split == "train" else WORDS[:4]
    return tf.data.Dataset.from_tensor_slices(
        {"inputs": [f"copy: {w}" for w in words], "targets": words}
    )


def _c4_features():
    c4 = [n for n in seqio.TaskRegistry.names() if n.startswith("c4_") and "span" in n]
    return seqio.get_mixture_or_task(sorted(c4)[0]).output_features


registry.add_task(
    "toy_copy",
    seqio.FunctionDataSource(_examples, splits=["train", "validation"]),
    [
        seqio.preprocessors.tokenize,
        seqio.CacheDatasetPlaceholder(),
        seqio.preprocessors.append_eos_after_trim,
    ],
    output_features=_c4_features(),
    metric_fns=[metrics.accuracy],
)
