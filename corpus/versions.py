"""The three reference C4 versions and the rules that differ between them (docs/C4.md §1).

Code counts with the 3.1.0 counter names; `counter_key` renames them for 2.2.0, whose TFDS 2.0.0
build used other namespaces and names (docs/C4.md §10).
"""

from __future__ import annotations

import dataclasses
import enum


class C4Version(enum.StrEnum):
    V2_2_0 = "2.2.0"  # the T5 paper's tasks (TFDS 2.0.0)
    V3_0_1 = "3.0.1"  # AllenAI's released C4 (TFDS 4.1-4.6)
    V3_1_0 = "3.1.0"  # current TFDS (4.7+)


DEFAULT_VERSION = C4Version.V3_1_0


class UrlSurvivor(enum.StrEnum):
    """Which page survives URL dedup among pages with one normalized URL.

    The reference was not deterministic in 2.2.0 (last element of a GroupByKey) nor for equal
    timestamps in 3.1.0 (first seen in Beam order). We break every tie on page content, so the
    output never depends on input order or runner:
      NEWEST (3.1.0):      max timestamp; ties -> max md5(text) hex, then max raw URL.
      MAX_TEXT_MD5 (3.0.1): max md5(text) hex; ties (same text) -> max timestamp, then max URL.
    2.2.0 uses MAX_TEXT_MD5 too, as its reference had no rule at all.
    """

    NEWEST = "newest"
    MAX_TEXT_MD5 = "max_text_md5"


class BadwordsRule(enum.StrEnum):
    LINE_UNESCAPED = "line"  # 2.2.0: inside clean_page, "[^a-z](w1|w2)[^a-z]" on each kept line
    PAGE_HARD = "page_hard"  # 3.0.1: final filter, (?:\W|^)(...)(?:\W|$), words not escaped
    PAGE_ESCAPED = "page_escaped"  # 3.1.0: same with re.escape'd words and a soft fraction


@dataclasses.dataclass(frozen=True)
class VersionRules:
    version: C4Version
    page_requires_timestamp: bool  # split_wet_file: 3.1.0 also needs a WARC-Date
    url_survivor: UrlSurvivor
    line_hash_on_bytes: bool  # 2.2.0: md5(line.encode().strip().lower()) with ASCII-only folding
    line_survivor_on_raw_url: bool  # 3.1.0: min md5(raw URL); earlier: md5(normalized URL)
    drop_local_duplicate_lines: bool  # 2.3.0+: a line repeated within a page is kept once
    drop_empty_after_dedup: bool
    badwords: BadwordsRule
    # mC4 (3.x): CLD3's minimum probability, the badwords fraction, the languages whose badwords
    # match without word boundaries, and whether the allowlist of common subwords applies.
    mc4_min_probability: float = 0.0
    mc4_badwords_fraction: float = 0.0
    bare_badwords_languages: frozenset[str] = frozenset()
    badwords_allowlist: bool = False

    @property
    def has_mc4(self) -> bool:
        """Whether this version built multilingual C4 (mC4 arrived in 3.0.0)."""
        return self.mc4_badwords_fraction > 0


RULES = {
    C4Version.V2_2_0: VersionRules(
        version=C4Version.V2_2_0,
        page_requires_timestamp=False,
        url_survivor=UrlSurvivor.MAX_TEXT_MD5,
        line_hash_on_bytes=True,
        line_survivor_on_raw_url=False,
        drop_local_duplicate_lines=False,
        drop_empty_after_dedup=False,
        badwords=BadwordsRule.LINE_UNESCAPED,
    ),
    C4Version.V3_0_1: VersionRules(
        version=C4Version.V3_0_1,
        page_requires_timestamp=False,
        url_survivor=UrlSurvivor.MAX_TEXT_MD5,
        line_hash_on_bytes=False,
        line_survivor_on_raw_url=False,
        drop_local_duplicate_lines=True,
        drop_empty_after_dedup=True,
        badwords=BadwordsRule.PAGE_HARD,
        mc4_min_probability=0.7,
        mc4_badwords_fraction=1.0,
        bare_badwords_languages=frozenset({"th", "zh"}),
    ),
    C4Version.V3_1_0: VersionRules(
        version=C4Version.V3_1_0,
        page_requires_timestamp=True,
        url_survivor=UrlSurvivor.NEWEST,
        line_hash_on_bytes=False,
        line_survivor_on_raw_url=True,
        drop_local_duplicate_lines=True,
        drop_empty_after_dedup=True,
        badwords=BadwordsRule.PAGE_ESCAPED,
        mc4_min_probability=0.95,
        mc4_badwords_fraction=0.999,
        bare_badwords_languages=frozenset({"ja", "th", "zh"}),
        badwords_allowlist=True,
    ),
}


def rules_for(version: str) -> VersionRules:
    try:
        return RULES[C4Version(version)]
    except ValueError:
        known = ", ".join(v.value for v in C4Version)
        raise ValueError(f"unknown C4 version {version!r}; choose one of: {known}") from None


# Counter namespaces (3.1.0 names).
SPLIT_WET = "split-wet-file"
TOO_LONG = "too-long-filter"
REALNEWS = "realnews-domain-filter"
URL_DEDUP = "duplicate-url-filter"
CLEAN = "clean-page"
LINE_DEDUP = "dedupe-lines"
ENGLISH = "english-filter"
LANGUAGE = "language-filter"  # mC4's CLD3 stage
PARAGRAPHS = "paragraph-filter"
WEBTEXTLIKE = "webtextlike-filter"
BADWORDS = "badwords-filter"
NEAR_DEDUP = "near-dedup"  # ours, beyond the reference (pipelines.near_dedup)
DECONTAMINATION = "decontamination"  # ours, beyond the reference (pipelines.decontamination)
DOWNLOAD = "download_wet_url"

# 2.2.0 namespaces and names, keyed by the 3.1.0 (namespace, name). None: not counted in 2.2.0.
_V220_NAMESPACES = {
    TOO_LONG: "is-valid-length",
    URL_DEDUP: "dedupe-urls",
    WEBTEXTLIKE: "filter-by-webtextlike",
    ENGLISH: "detected-lang",
}
_V220_NAMES: dict[tuple[str, str], str | None] = {
    (SPLIT_WET, "passed"): "page-emitted",
    (SPLIT_WET, "filtered:no_url"): "page-filitered-nourl",  # sic
    (SPLIT_WET, "filtered:no_content"): "page-filtered-nocontent",
    (TOO_LONG, "filtered"): "filtered-page-contenttoolong",
    (TOO_LONG, "passed"): None,
    (URL_DEDUP, "filtered"): "filtered-url-duplicate",
    (URL_DEDUP, "passed"): "unique-url",
    (WEBTEXTLIKE, "filtered"): "filtered-url-notwebtextlike",
    (WEBTEXTLIKE, "missing-page"): "missing-webtextlike",
    (WEBTEXTLIKE, "passed"): "found-webtextlike",
    (CLEAN, "line-filtered:too_long_word"): "lines-with-too-long-word",
    (CLEAN, "line-filtered:no_endmark"): "lines-no-endmark",
    (CLEAN, "line-filtered:too_short"): "lines-too-short",
    (CLEAN, "filtered:loremipsum"): "filtered-page-loremipsum",
    (CLEAN, "line-filtered:javascript"): "lines-javascript",
    (CLEAN, "filtered:squigglybracket"): "filtered-page-squigglybracket",
    (CLEAN, "line-filtered:policy"): "lines-policy",
    (CLEAN, "filtered:badword"): "filtered-page-badword",
    (CLEAN, "line-passed"): "lines-valid",
    (CLEAN, "filtered:too_few_sentences"): "filtered-page-toofewsentences",
    (CLEAN, "passed"): "emitted-clean-pages",
    (LINE_DEDUP, "emitted-line-duplicate"): "emitted-line-duplicate",
    (LINE_DEDUP, "line-filtered:global_duplicate"): "filtered-lines-duplicate",
    (LINE_DEDUP, "line-filtered:local_duplicate"): None,
    (LINE_DEDUP, "line-passed"): None,
    (LINE_DEDUP, "filtered:empty"): None,
    (LINE_DEDUP, "filtered:too_few_sentences"): "filtered-doc-toofewsentences",
    (LINE_DEDUP, "passed"): None,
    (ENGLISH, "filtered:langdetect_exception"): "langdetect-exception",
    (ENGLISH, "filtered:no_predictions"): "page-filtered-nolangpredictions",
    (ENGLISH, "filtered:low_confidence"): "page-filtered-lowlangdetectconf",
    (ENGLISH, "filtered:ignored_language"): "page-filtered-ignoredlang",
    (ENGLISH, "passed"): "page-emited-en",  # sic
}


def counter_key(version: C4Version, namespace: str, name: str) -> tuple[str, str] | None:
    """The (namespace, name) a counter has in `version`, or None if that version had none."""
    if version is not C4Version.V2_2_0:
        return namespace, name
    new_namespace = _V220_NAMESPACES.get(namespace, namespace)
    if namespace == ENGLISH and name.startswith("filtered:ignored_language-"):
        return new_namespace, "page-filtered-ignoredlang-" + name.split("-", 1)[1]
    new_name = _V220_NAMES.get((namespace, name), name)
    return None if new_name is None else (new_namespace, new_name)
