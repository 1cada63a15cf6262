"""`sample_qa`: a small bundled reading-comprehension task in T5's SQuAD format.

The demo pre-trains a tiny T5 on C4 span corruption mixed with a supervised task and then scores
it by decoding; this is that task, written by the project (no download). Each example is one to
three short sentences of made-up facts and a question about one of them; the answer is a span
copied from the context, as in SQuAD v1.1:

    context:  In 1990, Iris Korrin was born in Carrowby. The Harbor 4 is a pink bicycle made by
              Northgale.
    question: What colour is the Harbor 4?
    answers:  {"text": ["pink"], "answer_start": [61]}

and the model reads `question: What colour is the Harbor 4 ? context: In 1990 , Iris Korrin was
born in Carrowby . The Harbor 4 is a pink bicycle made by Northgale . ` and writes `pink`.

The bundled files (`tasks/sample_data/`, package data) are JSON lines with SQuAD's TFDS fields,
written by a developer tool that is not installed (`python -m tools.make_qa_sample`, from the
repository root). The task (`register_sample_qa`) reads them and then follows
`squad_v010_allanswers` (`tasks.generation`): T5's `squad` format (`question: <q> context: <c>`,
ASCII punctuation padded with spaces) -> answers[0], the `qa` postprocessor, and the `squad`
metric (exact match and F1 with the official normalisation).

Nothing is registered at import, and importing this module loads neither seqio nor TensorFlow.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import string

TASK_NAME = "sample_qa"
SPLITS = ("train", "validation")
SPLIT_SIZES = {"train": 5000, "validation": 200}
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_data")


def file_name(split: str) -> str:
    """The name of a split's bundled file."""
    return f"{TASK_NAME}-{split}.jsonl.gz"


def data_files(data_dir: str = DATA_DIR) -> dict[str, str]:
    """split -> path of its bundled file under `data_dir`."""
    return {split: os.path.join(data_dir, file_name(split)) for split in SPLITS}


# --- the text the model sees ----------------------------------------------------------------

_PUNCTUATION = re.compile(f"([{re.escape(string.punctuation)}])")


def pad_punctuation(text: str) -> str:
    """`tasks.generation.pad_punctuation` in Python (ASCII punctuation; the text is ASCII)."""
    return re.sub(r"\s+", " ", _PUNCTUATION.sub(r" \1 ", text))


def format_example(row: dict) -> dict[str, str]:
    """The task's `inputs` and `targets` text for a bundled row (as T5's `squad` writes them)."""
    question, context = pad_punctuation(row["question"]), pad_punctuation(row["context"])
    inputs = re.sub(r"\s+", " ", f"question: {question} context: {context}")
    return {"inputs": inputs, "targets": pad_punctuation(row["answers"]["text"][0])}


def read_split(split: str, data_dir: str = DATA_DIR) -> list[dict]:
    """The bundled rows of a split, each with its `inputs` and `targets` text added."""
    with gzip.open(data_files(data_dir)[split], "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [{**row, **format_example(row)} for row in rows]


# --- the seqio task -------------------------------------------------------------------------


def _decode_row(line: bytes):
    import numpy as np

    row = json.loads(line)
    answers = row["answers"]
    return (
        row["id"].encode(),
        row["context"].encode(),
        row["question"].encode(),
        np.array([a.encode() for a in answers["text"]], dtype=object),
        np.array(answers["answer_start"], dtype=np.int32),
    )


def _read_jsonl(path):
    """A bundled file as SQuAD's TFDS features (id, context, question, answers/{text,start})."""
    import tensorflow as tf

    def parse(line):
        row_id, context, question, texts, starts = tf.numpy_function(
            _decode_row,
            [line],
            [tf.string, tf.string, tf.string, tf.string, tf.int32],
            stateful=False,
        )
        return {
            "id": tf.ensure_shape(row_id, []),
            "context": tf.ensure_shape(context, []),
            "question": tf.ensure_shape(question, []),
            "answers": {
                "text": tf.ensure_shape(texts, [None]),
                "answer_start": tf.ensure_shape(starts, [None]),
            },
        }

    return tf.data.TextLineDataset(path, compression_type="GZIP").map(parse)


def register_sample_qa(vocabulary, data_dir: str = DATA_DIR) -> list[str]:
    """Register `sample_qa` over the bundled files; returns the names registered."""
    import seqio

    from c4forge.tasks import generation, metrics, registry

    files = data_files(data_dir)
    missing = [path for path in files.values() if not os.path.exists(path)]
    if missing:
        raise registry.RegistrationError(
            f"{TASK_NAME}: bundled data {', '.join(missing)} not found; write it with "
            f"`python -m tools.make_qa_sample --output {data_dir}`"
        )
    source = seqio.FileDataSource(
        read_file_fn=_read_jsonl,
        split_to_filepattern=files,
        num_input_examples=dict(SPLIT_SIZES),
    )
    registry.add_task(
        TASK_NAME,
        source,
        [
            generation.squad,
            seqio.preprocessors.tokenize,
            seqio.CacheDatasetPlaceholder(),
            seqio.preprocessors.append_eos_after_trim,
        ],
        output_features=registry.output_features(vocabulary),
        postprocess_fn=generation.qa,
        metric_fns=[metrics.squad],
    )
    return [TASK_NAME]
