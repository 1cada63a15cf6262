"""What the GLUE/SuperGLUE tests share: T5's task names, hand-written examples, and running a
registered task's format preprocessor on in-memory examples."""

from __future__ import annotations

import numpy as np
import seqio
import tensorflow as tf

LENGTHS = {"inputs": 512, "targets": 128}
EOS = 1

GLUE_NAMES = [
    "glue_cola_v002",
    "glue_sst2_v002",
    "glue_mrpc_v002",
    "glue_qqp_v002",
    "glue_stsb_v002",
    "glue_mnli_v002",
    "glue_mnli_mismatched_v002",
    "glue_mnli_matched_v002",
    "glue_qnli_v002",
    "glue_rte_v002",
    "glue_wnli_v002",
    "glue_ax_v002",
    "glue_wnli_v002_simple_eval",
]
SUPER_GLUE_BASE = [
    "super_glue_boolq_v102",
    "super_glue_cb_v102",
    "super_glue_copa_v102",
    "super_glue_multirc_v102",
    "super_glue_record_v102",
    "super_glue_rte_v102",
    "super_glue_wic_v102",
    "super_glue_axb_v102",
    "super_glue_axg_v102",
]
SUPER_GLUE_NAMES = [
    *[n for base in SUPER_GLUE_BASE for n in (base, base + "_1_sentinel")],
    "dpr_v001_simple",
    "dpr_v001_simple_1_sentinel",
    "super_glue_wsc_v102_simple_train",
    "super_glue_wsc_v102_simple_1_sentinel_train",
    "super_glue_wsc_v102_simple_eval",
    "super_glue_wsc_v102_simple_1_sentinel_eval",
]


def tensor_of(key, value):
    """A feature as TFDS types it: labels int64 (STS-B float32), ids int32, text as strings."""
    if isinstance(value, dict):
        return {k: tensor_of(k, v) for k, v in value.items()}
    if isinstance(value, float):
        return np.float32(value)
    if isinstance(value, int):
        return np.int64(value) if key == "label" else np.int32(value)
    if isinstance(value, list):
        return tf.constant(value, tf.string)
    return value


def dataset_of(examples):
    tensors = [{k: tensor_of(k, v) for k, v in ex.items()} for ex in examples]
    ds = tf.data.Dataset.from_tensors(tensors[0])
    for t in tensors[1:]:
        ds = ds.concatenate(tf.data.Dataset.from_tensors(t))
    return ds


def as_python(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.dtype == object:
        return [as_python(v) for v in value]
    return value


def format_examples(task_name, examples):
    """The task's format preprocessor (its first step) on in-memory examples, as Python."""
    preprocess = seqio.get_mixture_or_task(task_name).preprocessors[0]
    out = preprocess(dataset_of(examples))
    return [{k: as_python(v) for k, v in ex.items()} for ex in out.as_numpy_iterator()]


def format_pairs(task_name, examples):
    return [(ex["inputs"], ex["targets"]) for ex in format_examples(task_name, examples)]


MITCHELL = {
    "text": "Mitchell asked Tom if he could lend some money.",
    "span1_text": "Tom",
    "span1_index": 2,
    "span2_text": "he",
    "span2_index": 4,
    "label": 1,
    "idx": 0,
}

RECORD = {
    "passage": "This is the passage.",
    "query": "A @placeholder is a bird.",
    "entities": ["penguin", "potato", "pigeon"],
    "answers": ["penguin", "pigeon"],
    "idx": {"passage": 3, "query": 9},
}
RECORD_INPUTS = (
    "record query: A @placeholder is a bird. entities: penguin, potato, pigeon "
    "passage: This is the passage."
)
