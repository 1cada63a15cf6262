"""Shared by the clean_page tests: our rule and the reference's on one text, as (text, counters)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, settings

from c4forge.corpus.clean import CleanConfig, clean_page
from c4forge.corpus.page import Page, Tally
from c4forge.corpus.verdict import verdict_names

# The reference's citation regex (§4), written out here rather than imported from corpus.
CITATION = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")

HYPOTHESIS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Lines of 6 words and one sentence each (the only end mark is the last character).
L1 = "The first line has enough words."
L2 = "The second line has enough words."
L3 = "The third line has enough words."
BASE = [L1, L2, L3]
DEFAULT = CleanConfig()


def ours(text: str, sentences, config=DEFAULT, badword_line_re=None):
    tally = Tally()
    page = Page("http://u.com/", "u.com", text)
    verdict = clean_page(page, tally, sentences, config, badword_line_re)
    for name in verdict_names(verdict):  # the page verdict, as the stages count it
        tally(name)
    out = verdict.page
    if out is not None:
        assert out == page._replace(text=out.text)  # only the text changes
    return (None if out is None else out.text), tally.counts


def reference(ref, text: str, config=DEFAULT):
    tally = Tally()
    page = ref.PageFeatures(url="http://u.com/", normalized_url="u.com", text=text)
    out = list(
        ref.clean_page(
            page,
            CITATION,
            counter_inc_fn=tally,
            min_words_per_line=config.min_words_per_line,
            min_num_sentences=config.min_num_sentences,
            max_word_length=config.max_word_length,
        )
    )
    assert len(out) <= 1
    return (out[0].text if out else None), tally.counts


def passed(n_lines: int, **extra) -> dict:
    return {"line-passed": n_lines, **extra, "passed": 1}


def lines(*parts: str) -> str:
    return "\n".join(parts)
