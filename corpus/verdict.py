"""What a page rule decides: keep the page (possibly rewritten) or drop it for a reason.

Every page rule of `corpus` returns a `Verdict`, the shape of datatrove's filters (keep, or
(False, reason)). The rules never count their own verdict: the runner does, through
`verdict_counters`, the one adapter from (stage, verdict) to the reference's counter names
(`c4_utils` counts "passed", "filtered:<reason>", "filtered:ignored_language-<xx>", badwords'
"soft-passed" also under "badwords-filter-en", and the 2.2.0 names of `versions.counter_key`).
Line-level counters ("line-passed", "line-filtered:*") stay with the rules' injected `count`.
"""

from __future__ import annotations

import enum
import functools
from typing import NamedTuple

from c4forge.corpus import versions
from c4forge.corpus.page import Page


class Reason(enum.StrEnum):
    """Why a page rule dropped a page: one member per distinct reference drop counter."""

    TOO_LONG = "too_long"  # is_valid_length
    BAD_DOMAIN = "bad_domain"  # realnewslike: domain not listed
    BAD_SUBDOMAIN = "bad_subdomain"  # realnewslike: subdomain not listed
    LOREMIPSUM = "loremipsum"  # clean_page
    SQUIGGLYBRACKET = "squigglybracket"  # clean_page
    BADWORD_LINE = "badword_line"  # clean_page, 2.2.0 only
    TOO_FEW_SENTENCES = "too_few_sentences"  # clean_page and line dedup
    EMPTY = "empty"  # line dedup, 3.x
    LANGDETECT_EXCEPTION = "langdetect_exception"  # detect_english
    NO_PREDICTIONS = "no_predictions"
    LOW_CONFIDENCE = "low_confidence"
    IGNORED_LANGUAGE = "ignored_language"
    BADWORDS = "badwords"  # the 3.x page filter
    TOO_FEW_PARAGRAPHS = "too_few_paragraphs"  # mC4's paragraph_filter
    NOT_WEBTEXT = "not_webtext"  # webtextlike: the URL is not in OpenWebText's list


SOFT_PASSED = "soft-passed"  # a kept page's detail: a badwords match spared by the fraction


class Verdict(NamedTuple):
    """`page` is the page kept (possibly rewritten) or None; `reason` is set iff dropped.
    `detail`: the detected language for English ID, `SOFT_PASSED` for badwords, why mC4's
    language ID kept a page as "und" (a Reason value), else "". `language`: the language whose
    list badwords checked, or the language mC4's language ID gave the page, else ""."""

    page: Page | None
    reason: Reason | None = None
    detail: str = ""
    language: str = ""

    @property
    def kept(self) -> bool:
        return self.page is not None


def keep(page: Page, detail: str = "", language: str = "") -> Verdict:
    return Verdict(page, None, detail, language)


def drop(reason: Reason, detail: str = "", language: str = "") -> Verdict:
    return Verdict(None, reason, detail, language)


# The reference's name of each drop counter (3.1.0 names); "filtered:<reason>" unless listed.
_DROP_NAMES = {
    Reason.TOO_LONG: "filtered",
    Reason.BADWORD_LINE: "filtered:badword",
    Reason.BADWORDS: "filtered",
    Reason.TOO_FEW_PARAGRAPHS: "filtered",
    Reason.NOT_WEBTEXT: "filtered",
}


def verdict_names(verdict: Verdict) -> tuple[str, ...]:
    """The 3.1.0 counter names a verdict increments in its stage's namespace, the finest last:
    "passed", "soft-passed", "filtered", "filtered:<reason>", or "filtered:ignored_language"
    then "filtered:ignored_language-<xx>"."""
    return _names(verdict.reason, verdict.detail)


def reason_name(verdict: Verdict) -> str:
    """The finest counter name of a verdict: rejects carry it as their reason."""
    return _names(verdict.reason, verdict.detail)[-1]


@functools.cache
def _names(reason: Reason | None, detail: str) -> tuple[str, ...]:
    if reason is None:
        return (SOFT_PASSED if detail == SOFT_PASSED else "passed",)
    name = _DROP_NAMES.get(reason, f"filtered:{reason.value}")
    if reason is Reason.IGNORED_LANGUAGE and detail:
        return (name, f"{name}-{detail}")
    return (name,)


def verdict_counters(
    version: versions.C4Version, namespace: str, verdict: Verdict
) -> tuple[tuple[str, str], ...]:
    """The (namespace, name) counters the reference of `version` increments by one for this
    verdict of the stage counting in `namespace` (3.1.0 namespace names)."""
    return _counters(version, namespace, verdict.reason, verdict.detail, verdict.language)


@functools.cache
def _counters(
    version: versions.C4Version, namespace: str, reason: Reason | None, detail: str, language: str
) -> tuple[tuple[str, str], ...]:
    if namespace == versions.LANGUAGE:
        return tuple((namespace, name) for name in _language_names(reason, detail, language))
    namespaces = (namespace,)
    if namespace == versions.BADWORDS and language:
        # `_badwords_filter` counts a page of a language with a list under both namespaces.
        namespaces = (namespace, f"{versions.BADWORDS}-{language}")
    keys = (
        versions.counter_key(version, ns, name)
        for ns in namespaces
        for name in _names(reason, detail)
    )
    return tuple(key for key in keys if key is not None)


def _language_names(reason: Reason | None, detail: str, language: str) -> tuple[str, ...]:
    """mC4's `_PredictLanguageFn`: an unsure page is counted "filtered:<why>" yet kept as
    "und" ("passed", "passed:und"); a language outside the list is dropped."""
    if reason is not None:
        return _names(reason, "")
    unsure = (f"filtered:{detail}",) if detail else ()
    return (*unsure, "passed", f"passed:{language}")
