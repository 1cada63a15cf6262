"""Models a worker process builds once and all its DoFn instances share.

Beam calls `DoFn.setup` once per DoFn instance, and a worker holds one instance per fused stage,
per branch (the local runner's splits run each per-page stage in as many branches) and per
bundle processor it keeps. The stages' heavy objects are the same for all of them: langdetect's
profiles and tables (~1.1 CPU s a build), Punkt (~0.9 s with nltk's import). They are built here
once per process, keyed by what they are built from. Only objects that are thread-safe and not
changed after their build belong here (the SDK worker runs bundles on threads).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

_LOCK = threading.Lock()
_MODELS: dict[tuple[str, Hashable], object] = {}


def shared(kind: str, key: Hashable, build: Callable[[], T]) -> T:
    """The model of `kind` built from `key` in this process: `build()` the first time."""
    with _LOCK:
        model = _MODELS.get((kind, key))
        if model is None:
            model = _MODELS[(kind, key)] = build()
        return model  # type: ignore[return-value]


def english_detector():
    """langdetect's English detector (`corpus.langid.EnglishDetector`, thread-safe)."""
    from c4forge.corpus.langid import EnglishDetector

    return shared("english", None, EnglishDetector)


def sentence_counter(punkt_tables: dict[str, str]):
    """English Punkt from the `punkt_tab` tables' contents (`corpus.sentences.SentenceCounter`)."""
    from c4forge.corpus.sentences import SentenceCounter

    key = tuple(sorted(punkt_tables.items()))
    return shared("punkt", key, lambda: SentenceCounter.from_tables(punkt_tables))
