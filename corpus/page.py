"""The page record that flows through every stage, and the counting protocol.

A `Page` mirrors TFDS `c4_utils.PageFeatures` (url, normalized_url, text, timestamp, content
length and type, language) but is immutable: stages return a new page with `_replace`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class Page(NamedTuple):
    url: str
    normalized_url: str
    text: str
    timestamp: str = ""
    content_type: str = ""
    content_length: str = ""
    language: str = ""


# `count(name, amount)` increments the counter `name` of the calling stage. The stage decides
# the namespace; pipelines adapt it to Beam metrics, tests to a dict.
CountFn = Callable[..., None]


def no_count(name: str, amount: int = 1) -> None:
    """A counting callable that drops everything."""


class Tally:
    """A counting callable that records into a dict: `tally.counts[name]`."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def __call__(self, name: str, amount: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + amount
