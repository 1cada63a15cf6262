"""Tests of corpus/layout.py: split and shard file names, and the globs that find them."""

from __future__ import annotations

import fnmatch

import pytest

from c4forge.corpus import layout


@pytest.mark.parametrize(
    ("split", "fmt", "multilingual", "name"),
    [
        ("train", "tfrecord", False, "c4-train.tfrecord-00003-of-01024"),
        ("train", "json", False, "c4-train.00003-of-01024.json.gz"),  # AllenAI's en
        ("sw", "tfrecord", True, "c4-sw.tfrecord-00003-of-01024"),
        ("sw-validation", "json", True, "c4-sw-validation.tfrecord-00003-of-01024.json.gz"),
    ],
)
def test_names_and_globs(split, fmt, multilingual, name):
    assert layout.shard_file_name(split, 3, 1024, fmt, multilingual) == name
    globs = layout.MC4_SPLIT_FILES if multilingual else layout.SPLIT_FILES
    assert fnmatch.fnmatchcase(name, globs[fmt].format(split=split))
    other = "json" if fmt == "tfrecord" else "tfrecord"
    assert not fnmatch.fnmatchcase(name, globs[other].format(split=split))
    # A language's train glob never matches its validation files.
    assert not fnmatch.fnmatchcase(name, globs[fmt].format(split=split.split("-")[0] + "x"))


def test_language_splits():
    assert layout.language_splits(["sw", "zh-Latn"]) == [
        "sw",
        "sw-validation",
        "zh-Latn",
        "zh-Latn-validation",
    ]
    assert layout.language_split("und", "validation") == "und-validation"
