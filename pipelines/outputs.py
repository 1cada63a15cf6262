"""Output records of the C4 build: TFDS's `tf.train.Example` and AllenAI's JSON lines.

`example_bytes` gives the features of TFDS's C4 (`tensorflow_datasets/text/c4.py`,
`_emit_examples`) encoded by `corpus.records` (no TensorFlow on workers); `json_line` gives
AllenAI's `c4-*.json.gz` line. The split and file names are `corpus.layout`'s.
"""

from __future__ import annotations

import json

from c4forge.corpus import records
from c4forge.corpus.page import Page

DEFAULT_DOCS_PER_SHARD = 50_000  # mC4: ~100 MB of TFRecord per file at ~2 kB per page


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
