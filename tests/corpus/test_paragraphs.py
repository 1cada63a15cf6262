"""Tests of corpus/paragraphs.py: mC4's `paragraph_filter` (docs/C4.md §8), against the
reference function on hand-made and real pages."""

from __future__ import annotations

import pytest

from c4forge.corpus.page import Page
from c4forge.corpus.paragraphs import check_paragraphs
from c4forge.corpus.verdict import Reason

import c4_testing

L = "x" * 200
S = "x" * 199


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("\n".join([L, L, L]), True),
        ("\n".join([L, L]), False),  # two lines
        ("\n".join([L, L, S]), False),  # the third longest is 199
        ("\n".join([L, S, L, "", L]), True),  # any three lines of 200+
        ("\n".join([L, L, "", ""]), False),
        ("\r\n".join([L, L, L]), True),  # "\r" is part of a line: 201 chars
        (f"{L}\u2028{L}\u2028{L}", False),  # one line: only "\n" splits
        ("", False),
    ],
)
def test_rule(text, kept):
    verdict = check_paragraphs(Page("u", "u", text))
    assert verdict.kept == kept
    assert verdict.reason is (None if kept else Reason.TOO_FEW_PARAGRAPHS)


@pytest.mark.reference
def test_equals_reference_on_real_pages(shared_data, monkeypatch):
    from tensorflow_datasets.text import c4_utils

    monkeypatch.setattr(c4_utils, "get_counter_inc_fn", lambda ns: lambda name, amount=1: None)
    kept = 0
    for url, _, text in c4_testing.dolma_records():
        ref = c4_utils.paragraph_filter(c4_utils.PageFeatures(url=url, text=text))
        assert check_paragraphs(Page(url, url, text)).kept == ref, url
        kept += ref
    assert 0 < kept < 697
