"""Tests of corpus/verdict.py: the one adapter from a stage's verdict to the reference's counter
names, per version (TFDS 3.1.0 `c4_utils` names; 2.2.0 names as docs/C4.md §10 lists them)."""

from __future__ import annotations

import pytest

from c4forge.corpus.page import Page
from c4forge.corpus.verdict import (
    SOFT_PASSED,
    Reason,
    Verdict,
    drop,
    keep,
    reason_name,
    verdict_counters,
    verdict_names,
)
from c4forge.corpus.versions import C4Version

PAGE = Page("http://a.com/", "a.com", "text")
V220, V310 = C4Version.V2_2_0, C4Version.V3_1_0


@pytest.mark.parametrize(
    ("namespace", "verdict", "names"),
    [
        ("too-long-filter", keep(PAGE), ("passed",)),
        ("too-long-filter", drop(Reason.TOO_LONG), ("filtered",)),
        ("realnews-domain-filter", drop(Reason.BAD_DOMAIN), ("filtered:bad_domain",)),
        ("realnews-domain-filter", drop(Reason.BAD_SUBDOMAIN), ("filtered:bad_subdomain",)),
        ("clean-page", drop(Reason.LOREMIPSUM), ("filtered:loremipsum",)),
        ("clean-page", drop(Reason.SQUIGGLYBRACKET), ("filtered:squigglybracket",)),
        ("clean-page", drop(Reason.BADWORD_LINE), ("filtered:badword",)),
        ("clean-page", drop(Reason.TOO_FEW_SENTENCES), ("filtered:too_few_sentences",)),
        ("dedupe-lines", drop(Reason.EMPTY), ("filtered:empty",)),
        ("english-filter", drop(Reason.LANGDETECT_EXCEPTION), ("filtered:langdetect_exception",)),
        ("english-filter", drop(Reason.NO_PREDICTIONS), ("filtered:no_predictions",)),
        ("english-filter", drop(Reason.LOW_CONFIDENCE, "de"), ("filtered:low_confidence",)),
        (
            "english-filter",
            drop(Reason.IGNORED_LANGUAGE, "de"),
            ("filtered:ignored_language", "filtered:ignored_language-de"),
        ),
        ("english-filter", keep(PAGE, "en"), ("passed",)),
        ("badwords-filter", keep(PAGE, SOFT_PASSED, "en"), ("soft-passed",)),
        ("badwords-filter", drop(Reason.BADWORDS, language="en"), ("filtered",)),
    ],
)
def test_names_and_3x_counters(namespace, verdict, names):
    assert verdict_names(verdict) == names
    assert reason_name(verdict) == names[-1]
    namespaces = [namespace]
    if namespace == "badwords-filter":
        namespaces.append("badwords-filter-en")  # a page with a list: counted in both
    want = tuple((ns, name) for ns in namespaces for name in names)
    assert verdict_counters(V310, namespace, verdict) == want
    assert verdict_counters(C4Version.V3_0_1, namespace, verdict) == want


@pytest.mark.parametrize(
    ("namespace", "verdict", "counters"),
    [
        ("too-long-filter", keep(PAGE), ()),
        (
            "too-long-filter",
            drop(Reason.TOO_LONG),
            (("is-valid-length", "filtered-page-contenttoolong"),),
        ),
        ("clean-page", keep(PAGE), (("clean-page", "emitted-clean-pages"),)),
        ("clean-page", drop(Reason.BADWORD_LINE), (("clean-page", "filtered-page-badword"),)),
        ("dedupe-lines", drop(Reason.EMPTY), ()),
        (
            "dedupe-lines",
            drop(Reason.TOO_FEW_SENTENCES),
            (("dedupe-lines", "filtered-doc-toofewsentences"),),
        ),
        (
            "english-filter",
            drop(Reason.IGNORED_LANGUAGE, "fr"),
            (
                ("detected-lang", "page-filtered-ignoredlang"),
                ("detected-lang", "page-filtered-ignoredlang-fr"),
            ),
        ),
        ("english-filter", keep(PAGE, "en"), (("detected-lang", "page-emited-en"),)),
    ],
)
def test_v220_counters(namespace, verdict, counters):
    assert verdict_counters(V220, namespace, verdict) == counters


def test_verdict_is_immutable_and_says_whether_it_keeps():
    kept, dropped = keep(PAGE), drop(Reason.EMPTY)
    assert kept.kept
    assert not dropped.kept
    assert kept == Verdict(PAGE, None, "")
    assert dropped == Verdict(None, Reason.EMPTY, "")
    with pytest.raises(AttributeError):
        kept.page = None  # type: ignore[misc]
