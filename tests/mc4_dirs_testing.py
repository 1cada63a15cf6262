"""Tiny multilingual (mC4) build directories written by hand, laid out as `c4forge corpus build
--config multilingual` writes them: per language L the splits `L` and `L-validation`, TFRecord
shards `c4-{split}.tfrecord-{i:05d}-of-{n:05d}` (or AllenAI's `....json.gz`), and stats.json."""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from pathlib import Path

from c4forge.corpus import records

# Documents per language: a `-Latn` code, and `und` with none (its shards are empty files).
TRAIN_DOCS = {"sw": 40, "zh-Latn": 9, "yo": 3, "und": 0}
VALIDATION_DOCS = {"sw": 2, "zh-Latn": 1, "yo": 0, "und": 0}


SYLLABLES = ("ka", "mi", "to", "re", "su", "la", "no", "pe", "di", "wa", "ho", "ze")


def text_of(language: str, split: str, i: int) -> str:
    """A document that says which language and split it comes from (and varied enough words
    to train a small vocabulary on)."""
    words = [SYLLABLES[(i + k) % 12] + SYLLABLES[(i * k + 5) % 12] for k in range(8)]
    return f"{language} {split} document {i}: " + " ".join(words) + "."


def documents(language: str, split: str, count: int) -> list[dict[str, str]]:
    return [
        {
            "url": f"https://{language}.example/{split}/{i}",
            "text": text_of(language, split, i),
            "timestamp": "2020-08-01T00:00:00Z",
            "content-type": "text/plain",
            "content-length": str(len(text_of(language, split, i).encode())),
        }
        for i in range(count)
    ]


def write_split(out: Path, split: str, docs: list[dict], fmt: str, shards: int) -> None:
    """`docs` dealt into `shards` files (empty shards kept, as Beam writes them)."""
    for i in range(shards):
        name = f"c4-{split}.tfrecord-{i:05d}-of-{shards:05d}"
        part = docs[i::shards]
        if fmt == "json":
            lines = "".join(
                json.dumps({k: d[k] for k in ("url", "text", "timestamp")}) + "\n" for d in part
            )
            (out / f"{name}.json.gz").write_bytes(gzip.compress(lines.encode(), mtime=0))
        else:
            data = b"".join(records.frame_record(records.encode_example(d)) for d in part)
            (out / name).write_bytes(data)


def write_mc4(
    out: Path,
    train: Mapping[str, int] = TRAIN_DOCS,
    validation: Mapping[str, int] = VALIDATION_DOCS,
    fmt: str = "tfrecord",
    version: str = "3.1.0",
    stats: bool = True,
    shards: int = 2,
) -> Path:
    """A multilingual build in `out`. Its stats.json counts only non-empty splits, as Beam
    reports no counter that was never incremented."""
    out.mkdir(parents=True, exist_ok=True)
    counters = {}
    for language, train_docs in train.items():
        validation_docs = validation.get(language, 0)
        for split, count in ((language, train_docs), (f"{language}-validation", validation_docs)):
            write_split(out, split, documents(language, split, count), fmt, shards)
            if count:
                counters[split] = {"examples": count}
    if stats:
        summary = {
            "c4_version": version,
            "config": "multilingual",
            "format": fmt,
            "languages": list(train),
            "counters": counters,
        }
        (out / "stats.json").write_text(json.dumps(summary, indent=2))
    return out
