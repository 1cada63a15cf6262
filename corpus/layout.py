"""The splits and file names of a C4 build directory: the one owner of both (docs/C4.md §9).

English configs write the splits `train` and `validation`; mC4 writes `<lang>` and
`<lang>-validation` for each language built (and `und`). A split is a set of shard files:

    TFRecord (TFDS)           c4-<split>.tfrecord-SSSSS-of-NNNNN
    JSON, English (AllenAI)   c4-<split>.SSSSS-of-NNNNN.json.gz
    JSON, mC4 (AllenAI)       c4-<lang>.tfrecord-SSSSS-of-NNNNN.json.gz

The build writes them (`pipelines.c4`, `pipelines.sharded_write`); the task catalog and the
vocabulary sampler find them with the globs below. `?????` rather than `*`: mC4's JSON names
start like the TFRecord ones.
"""

from __future__ import annotations

from collections.abc import Iterable

VALIDATION_SUFFIX = "-validation"

SPLIT_FILES = {"tfrecord": "c4-{split}.tfrecord-?????-of-?????", "json": "c4-{split}.*.json.gz"}
MC4_SPLIT_FILES = {
    "tfrecord": "c4-{split}.tfrecord-?????-of-?????",
    "json": "c4-{split}.tfrecord-?????-of-?????.json.gz",
}


def language_split(language: str, split: str = "train") -> str:
    """mC4's split holding `language`'s pages of `split`: `sw` (train), `sw-validation`."""
    return language if split == "train" else language + VALIDATION_SUFFIX


def language_splits(languages: Iterable[str]) -> list[str]:
    """mC4's split names for the languages built: `<lang>` and `<lang>-validation` each."""
    return [language_split(lang, s) for lang in languages for s in ("train", "validation")]


def rejects_file_name(split: str, index: int, count: int) -> str:
    """A build's rejects (`--rejects`), JSON lines: `rejects/rejects-SSSSS-of-NNNNN.jsonl.gz`."""
    return f"{split}/{split}-{index:05d}-of-{count:05d}.jsonl.gz"


def shard_file_name(split: str, index: int, count: int, fmt: str, multilingual: bool) -> str:
    """The file name of shard `index` of `count` of a split, as TFDS / AllenAI name it."""
    shard = f"{index:05d}-of-{count:05d}"
    if fmt == "json" and not multilingual:
        return f"c4-{split}.{shard}.json.gz"
    name = f"c4-{split}.tfrecord-{shard}"
    return name + ".json.gz" if fmt == "json" else name
