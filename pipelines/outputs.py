"""Output records: `tf.train.Example` bytes (TFDS's C4 features) and AllenAI's JSON lines.

The Example is encoded by hand (it is five bytes features; TensorFlow is not needed on workers):
Example{features=1: Features{feature=1: map<string, Feature>}}, Feature{bytes_list=1:
BytesList{value=1: bytes}}. Tests parse it back with TensorFlow.
"""

from __future__ import annotations

import json

from corpus.page import Page

FEATURE_KEYS = ("url", "text", "content-type", "content-length", "timestamp")


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


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
    entries = b"".join(
        _field(1, _field(1, key.encode()) + _field(2, _field(1, _field(1, value.encode()))))
        for key, value in page_features(page).items()
    )
    return _field(1, entries)


def json_line(page: Page) -> str:
    """AllenAI's `c4-*.json.gz` record: url, text, timestamp (in that order)."""
    return json.dumps(
        {"url": page.url, "text": page.text, "timestamp": page.timestamp}, ensure_ascii=False
    )
