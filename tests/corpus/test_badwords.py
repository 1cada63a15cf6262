"""Tests of corpus/badwords.py (docs/C4.md §7): the pinned LDNOOBW list, the 3.x and 2.2.0
patterns, the fast matcher (exactly the 3.x regex), and the soft filter fraction; differential
against TFDS `c4_utils.get_badwords_filter_fn` on the 697 real pages."""

from __future__ import annotations

import collections
import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c4forge.corpus import versions
from c4forge.corpus.badwords import (
    BADWORDS_LANGS,
    BADWORDS_SHA256,
    EN_BADWORDS_SHA256,
    BadwordsFilter,
    BadwordsMatcher,
    badwords_url,
    compile_badwords,
    merge_badwords,
    parse_badwords,
)
from c4forge.corpus.page import Page
from c4forge.corpus.urls import normalize_url
from c4forge.corpus.verdict import Reason, reason_name, verdict_counters
from c4forge.corpus.versions import BadwordsRule

import c4_testing

HYPOTHESIS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PAGE_RULES = (BadwordsRule.PAGE_HARD, BadwordsRule.PAGE_ESCAPED)


@pytest.fixture(scope="module")
def en_bytes(shared_data):
    return c4_testing.BADWORDS_EN.read_bytes()


@pytest.fixture(scope="module")
def en_words(en_bytes):
    return parse_badwords(en_bytes, EN_BADWORDS_SHA256)


# --- the list ----------------------------------------------------------------------------------


def test_parse_real_list(en_bytes, en_words):
    assert hashlib.sha256(en_bytes).hexdigest() == EN_BADWORDS_SHA256
    assert len(en_words) == 377  # §7
    # The reference's set: the stripped lines of the file.
    assert set(en_words) == {w.strip() for w in en_bytes.decode("utf-8").splitlines()}
    assert en_words == sorted(en_words)
    assert {"2 girls 1 cup", "s&m", "g-spot", "🖕"} <= set(en_words)


def test_wrong_checksum(en_bytes):
    wrong = "0" * 64
    actual = hashlib.sha256(en_bytes).hexdigest()
    with pytest.raises(ValueError, match=f"sha256 {actual}, expected {wrong}"):
        parse_badwords(en_bytes, wrong)
    with pytest.raises(ValueError, match="expected"):
        parse_badwords(en_bytes + b"extra\n", EN_BADWORDS_SHA256)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"b\na\n", ["a", "b"]),
        (b"a\n\n  \nb\r\n", ["a", "b"]),
        (b"  a \t\nb\n\n", ["a", "b"]),
        (b"a\na\nA\n", ["A", "a"]),
        (b"two words\n", ["two words"]),
        (b"", []),
        ("caf\u00e9\n".encode(), ["caf\u00e9"]),
    ],
    ids=["sorted", "blank_lines", "stripped", "deduped", "phrase", "empty", "utf8"],
)
def test_parse_badwords(data, words):
    assert parse_badwords(data) == words
    assert parse_badwords(data, hashlib.sha256(data).hexdigest()) == words


@pytest.mark.parametrize("data", [b"ok\n\xff\n", b"\xc3(\n", "é".encode("latin-1")])
def test_non_utf8_list(data):
    with pytest.raises(ValueError, match="not UTF-8"):
        parse_badwords(data)
    with pytest.raises(ValueError, match="not UTF-8"):
        parse_badwords(data, hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize("rule", list(BadwordsRule))
def test_empty_list_refused(rule):
    with pytest.raises(ValueError, match="empty"):
        compile_badwords([], rule)


# --- patterns ----------------------------------------------------------------------------------

WORDS = ["ass", "s&m", "g-spot", "2 girls 1 cup", "🖕"]

# (lower-cased text, 3.x match, 2.2.0 match), by §7: 3.x needs \W (Unicode) or the text's start
# or end on both sides; 2.2.0 needs a character other than a-z on both sides.
BOUNDARY_CASES = [
    ("ass", True, False, "whole_text"),
    ("ass is here", True, False, "text_start"),
    ("the ass", True, False, "text_end"),
    ("the ass.", True, True, "before_period"),
    ("a\nass\nb", True, True, "newlines"),
    ("x\nass", True, False, "newline_then_end"),
    ("mass", False, False, "inside_word"),
    ("the ass123 here", False, True, "digit"),
    ("the ass_ here", False, True, "underscore"),
    ("the éassé here", False, True, "non_ascii_letter"),
    ("the 1ass here", False, True, "digit_before"),
    ("—ass—", True, True, "em_dash"),
    ("(ass)", True, True, "parentheses"),
    ("x s&m y", True, True, "ampersand_word"),
    ("the g-spot.", True, True, "hyphen_word"),
    ("the g_spot.", False, False, "hyphen_needed"),
    ("see 2 girls 1 cup now", True, True, "phrase"),
    ("see 2 girls 1  cup now", False, False, "phrase_double_space"),
    ("x 🖕 y", True, True, "emoji"),
    ("a🖕b", False, False, "emoji_between_letters"),
    ("🖕🖕", True, False, "emoji_pair"),
    ("1🖕2", False, True, "emoji_between_digits"),
]


@pytest.mark.parametrize(
    ("text", "v3", "v220"),
    [c[:3] for c in BOUNDARY_CASES],
    ids=[c[3] for c in BOUNDARY_CASES],
)
def test_boundaries(text, v3, v220):
    for rule in PAGE_RULES:
        assert (compile_badwords(WORDS, rule).search(text) is not None) == v3
        assert BadwordsMatcher(WORDS, rule).matches(text) == v3
    line_re = compile_badwords(WORDS, BadwordsRule.LINE_UNESCAPED)
    assert (line_re.search(text) is not None) == v220


@pytest.mark.parametrize(
    ("text", "hard", "escaped"),
    [("the a.b here", True, True), ("the axb here", True, False), ("the [ab] here", False, True)],
    ids=["literal", "dot_is_any_char_unescaped", "brackets_are_a_class_unescaped"],
)
def test_escaping_3_0_1_vs_3_1_0(text, hard, escaped):
    words = ["a.b", "[ab]"]
    assert (compile_badwords(words, BadwordsRule.PAGE_HARD).search(text) is not None) == hard
    assert BadwordsMatcher(words, BadwordsRule.PAGE_HARD).matches(text) == hard
    assert (compile_badwords(words, BadwordsRule.PAGE_ESCAPED).search(text) is not None) == escaped
    assert BadwordsMatcher(words, BadwordsRule.PAGE_ESCAPED).matches(text) == escaped


SEPARATORS = st.sampled_from(
    [" ", "\n", "-", "_", "é", "1", "&", ".", "🖕", "", "  ", "\u3000", "x", "\u0301"]
)


@pytest.fixture(scope="module")
def matchers(en_words):
    return {
        rule: (compile_badwords(en_words, rule), BadwordsMatcher(en_words, rule))
        for rule in PAGE_RULES
    }


@settings(HYPOTHESIS)
@given(data=st.data())
def test_matcher_equals_regex(data, en_words, matchers):
    """Texts of list words (and pieces of them) glued by word and non-word characters."""
    pieces = st.sampled_from(en_words) | st.sampled_from(en_words).map(lambda w: w[1:]) | SEPARATORS
    parts = data.draw(st.lists(pieces, max_size=8))
    glue = data.draw(st.lists(SEPARATORS, min_size=len(parts), max_size=len(parts)))
    text = "".join(p + g for p, g in zip(parts, glue, strict=True)).lower()
    for regex, matcher in matchers.values():
        assert matcher.matches(text) == (regex.search(text) is not None)


@settings(HYPOTHESIS)
@given(text=st.text(max_size=60))
def test_matcher_equals_regex_on_arbitrary_text(text, matchers):
    lower = text.lower()
    for regex, matcher in matchers.values():
        assert matcher.matches(lower) == (regex.search(lower) is not None)


# --- the soft fraction ---------------------------------------------------------------------------


def md5_int(normalized_url: str) -> int:
    return int(hashlib.md5(normalized_url.encode("utf-8")).hexdigest(), 16)


URLS = [f"example.com/page/{i}" for i in range(400)]


def verdict_of(f: BadwordsFilter, text: str, normalized_url: str) -> str:
    """The reference's counter name for the filter's verdict on a page (and whether it keeps
    exactly the pages it does not count as "filtered")."""
    verdict = f.check(Page("http://" + normalized_url, normalized_url, text, language="en"))
    name = reason_name(verdict)
    assert verdict.kept == (name != "filtered")
    assert (verdict.reason is Reason.BADWORDS) == (name == "filtered")
    return name


@pytest.mark.parametrize("rule", PAGE_RULES)
def test_fraction_one_drops_every_match(rule):
    f = BadwordsFilter({"en": WORDS}, rule, 1.0)
    assert {verdict_of(f, "the ass.", u) for u in URLS} == {"filtered"}
    assert {verdict_of(f, "The ASS.", u) for u in URLS} == {"filtered"}  # the text is lower-cased
    assert {verdict_of(f, "the mass.", u) for u in URLS} == {"passed"}


def test_fraction_half_soft_passes_odd_md5():
    # 0.5 = (1, 2): kept iff md5 % 2 >= 1
    f = BadwordsFilter({"en": WORDS}, BadwordsRule.PAGE_ESCAPED, 0.5)
    verdicts = {u: verdict_of(f, "the ass.", u) for u in URLS}
    for u, v in verdicts.items():
        assert v == ("soft-passed" if md5_int(u) % 2 == 1 else "filtered")
    assert 150 < list(verdicts.values()).count("soft-passed") < 250
    assert {verdict_of(f, "clean text", u) for u in URLS} == {"passed"}


def test_fraction_mc4():
    f = BadwordsFilter({"en": WORDS}, BadwordsRule.PAGE_ESCAPED, 0.999)
    num, den = (0.999).as_integer_ratio()
    for u in URLS:
        expected = "soft-passed" if md5_int(u) % den >= num else "filtered"
        assert verdict_of(f, "🖕", u) == expected


@pytest.mark.parametrize("fraction", [0.0, -0.5, 1.5])
def test_fraction_out_of_range(fraction):
    with pytest.raises(ValueError, match="fraction"):
        BadwordsFilter({"en": WORDS}, BadwordsRule.PAGE_ESCAPED, fraction)


# --- differential: the 697 real pages -----------------------------------------------------------


@pytest.fixture(scope="module")
def dolma_pages(shared_data):
    return [(normalize_url(url), text) for url, _date, text in c4_testing.dolma_records()]


@pytest.mark.reference
@pytest.mark.parametrize("fraction", [1.0, 0.5, 0.999])
def test_dolma_verdicts_equal_reference(fraction, dolma_pages, en_words, monkeypatch):
    from tensorflow_datasets.text import c4_utils

    counters: dict = collections.defaultdict(collections.Counter)

    def get_counter_inc_fn(namespace):
        def inc(name, amount=1):
            counters[namespace][name] += amount

        return inc

    monkeypatch.setattr(c4_utils, "get_counter_inc_fn", get_counter_inc_fn)
    keep = c4_utils.get_badwords_filter_fn({"en": set(en_words)}, fraction)
    ours = BadwordsFilter({"en": en_words}, BadwordsRule.PAGE_ESCAPED, fraction)
    got: collections.Counter = collections.Counter()
    for url, text in dolma_pages:
        before = dict(counters["badwords-filter"])
        page = c4_utils.PageFeatures(
            url="http://" + url, normalized_url=url, text=text, language="en"
        )
        kept = keep(page)
        [name] = [k for k, v in counters["badwords-filter"].items() if v != before.get(k, 0)]
        verdict = verdict_of(ours, text, url)
        assert verdict == name, url
        assert kept == (verdict != "filtered")
        got[verdict] += 1
    assert dict(got) == dict(counters["badwords-filter"]) == dict(counters["badwords-filter-en"])
    assert got["filtered"] + got["soft-passed"] > 10


def test_hard_and_escaped_agree_on_the_real_list(dolma_pages, matchers):
    # The pinned list has no regex syntax, so 3.0.1 and 3.1.0 match the same pages.
    for _url, text in dolma_pages:
        lower = text.lower()
        found = {rule: regex.search(lower) is not None for rule, (regex, _) in matchers.items()}
        assert found[BadwordsRule.PAGE_HARD] == found[BadwordsRule.PAGE_ESCAPED]
        assert (
            matchers[BadwordsRule.PAGE_ESCAPED][1].matches(lower)
            == found[BadwordsRule.PAGE_ESCAPED]
        )


# --- every language (mC4) ------------------------------------------------------------------------


def _counters(f: BadwordsFilter, text: str, language: str, version=versions.C4Version.V3_1_0):
    verdict = f.check(Page("http://x.org/1", "x.org/1", text, language=language))
    return sorted(verdict_counters(version, versions.BADWORDS, verdict))


@pytest.mark.parametrize(
    ("rules", "ja_bare"),
    [(versions.rules_for("3.1.0"), True), (versions.rules_for("3.0.1"), False)],
)
def test_languages_without_spaces_match_inside_words(rules, ja_bare):
    lists = {"ja": ["グロ"], "zh": ["性交"], "de": ["arsch"]}
    f = BadwordsFilter(lists, rules.badwords, 1.0, rules.bare_badwords_languages)
    assert f.check(Page("u", "u", "これはグロテスク", language="ja")).kept is not ja_bare
    assert not f.check(Page("u", "u", "有性交的", language="zh")).kept  # zh: bare in both
    assert f.check(Page("u", "u", "arschloch", language="de")).kept  # bounded
    assert not f.check(Page("u", "u", "du arsch!", language="de")).kept


def test_the_list_is_the_page_languages_before_the_dash():
    f = BadwordsFilter({"ja": ["グロ"]}, BadwordsRule.PAGE_ESCAPED, 1.0, {"ja"})
    assert _counters(f, "グロ", "ja-Latn") == [
        ("badwords-filter", "filtered"),
        ("badwords-filter-ja", "filtered"),
    ]
    # No list for the language (or "und"): passed, counted once.
    assert _counters(f, "グロ", "sw") == [("badwords-filter", "passed")]
    assert _counters(f, "グロ", "und") == [("badwords-filter", "passed")]


def test_merge_joins_regional_lists_and_applies_the_allowlist():
    files = {"fr": ["merde"], "fr-CA-u-sd-caqc": ["tabarnak"], "ja": ["sm", "グロ", "うんこ"]}
    assert merge_badwords(files, allowlist=True) == {
        "fr": ["merde", "tabarnak"],
        "ja": ["うんこ"],
    }
    assert merge_badwords(files, allowlist=False)["ja"] == ["sm", "うんこ", "グロ"]


def test_pins_cover_the_reference_languages(shared_data):
    assert len(BADWORDS_LANGS) == 28
    for name in BADWORDS_LANGS:
        if name == "en":
            continue
        data = (c4_testing.SHARED_DATA / "badwords" / "ldnoobw_5faf2ba" / name).read_bytes()
        assert parse_badwords(data, BADWORDS_SHA256[name])  # the pinned file, sha256-checked
    assert badwords_url("en").endswith("25e679f03d96baa721cde20db9944649e8d0a844/en")
    assert badwords_url("ja").endswith("5faf2ba42d7b1c0977169ec3611df25a3c08eb13/ja")
