"""Output records and file names of the C4 build: TFDS's `tf.train.Example`, AllenAI's JSON.

`example_bytes` gives the features of TFDS's C4 (`tensorflow_datasets/text/c4.py`,
`_emit_examples`) encoded by `corpus.records` (no TensorFlow on workers); `json_line` gives
AllenAI's `c4-*.json.gz` line. `SPLIT_FILES` names the files the build writes per split and
format, which readers of a build (`c4forge vocab train`, the task catalog) look for.

Splits: `train` / `validation` for the English configs; for mC4, `<lang>` and
`<lang>-validation` for each language built (and `und`). Shard files are
`c4-<split>.tfrecord-SSSSS-of-NNNNN` (TFDS); in JSON, `c4-<split>.SSSSS-of-NNNNN.json.gz` for the
English configs and `c4-<lang>.tfrecord-SSSSS-of-NNNNN.json.gz` for mC4 (AllenAI's names).
"""

from __future__ import annotations

import json

from c4forge.corpus import records
from c4forge.corpus.page import Page

# Where `pipelines/c4.py` writes each split, per --format.
DEFAULT_DOCS_PER_SHARD = 50_000  # mC4: ~100 MB of TFRecord per file at ~2 kB per page

SPLIT_FILES = {"tfrecord": "c4-{split}.tfrecord-?????-of-?????", "json": "c4-{split}.*.json.gz"}


def shard_file_name(split: str, index: int, count: int, fmt: str, multilingual: bool) -> str:
    """The file name of shard `index` of `count` of a split, as TFDS / AllenAI name it."""
    shard = f"{index:05d}-of-{count:05d}"
    if fmt == "json":
        return (
            f"c4-{split}.tfrecord-{shard}.json.gz"
            if multilingual
            else f"c4-{split}.{shard}.json.gz"
        )
    return f"c4-{split}.tfrecord-{shard}"


def page_features(page: Page) -> dict[str, str]:
    """The reference's example features (`c4.py` `_emit_examples`)."""
    return {
        "url": page.url,
        "text": page.text,
        "content-type": page.content_type,
        "content-length": page.content_length,
        "timestamp": page.timestamp,
    }


def example_bytes(page: Page) -> bytes:
    """The page as a serialized tf.train.Example (`corpus.records.encode_example`)."""
    return records.encode_example(page_features(page))


def json_line(page: Page) -> str:
    """AllenAI's `c4-*.json.gz` record: url, text, timestamp (in that order)."""
    return json.dumps(
        {"url": page.url, "text": page.text, "timestamp": page.timestamp}, ensure_ascii=False
    )
