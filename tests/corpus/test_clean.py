"""Tests of corpus/clean.py: `clean_page`, the line and page rules of docs/C4.md §4, in order, with
their counters; the 2.2.0 line badwords (§7); and differential checks against TFDS
`c4_utils.clean_page` (its Punkt replaced by NLTK's `PunktTokenizer` from the shared data)."""

from __future__ import annotations

import pytest
from clean_testing import (
    BASE,
    L1,
    L2,
    L3,
    lines,
    ours,
    passed,
    reference,
)

from c4forge.corpus.clean import CleanConfig, clean_page
from c4forge.corpus.page import Page, Tally

LONG_WORD_WITH_CITATION = "a" * 998 + "[1]"  # 1001 chars before citation removal, 998 after
WORD_1000 = "b" * 1000

# (id, text, expected text (None: page dropped), expected counters) with default thresholds.
CASES = [
    ("three_sentences_kept", lines(*BASE), lines(*BASE), passed(3)),
    (
        "too_few_sentences",
        lines(L1, L2),
        None,
        {"line-passed": 2, "filtered:too_few_sentences": 1},
    ),
    ("empty_page", "", None, {"filtered:too_few_sentences": 1}),
    (
        "too_long_word_checked_before_citation_removal",
        lines(L1, f"A {LONG_WORD_WITH_CITATION} word in this line.", L2, L3),
        lines(*BASE),
        passed(3, **{"line-filtered:too_long_word": 1}),
    ),
    (
        "word_of_exactly_1000_chars_kept",
        lines(*BASE, f"This line has a {WORD_1000} word."),
        lines(*BASE, f"This line has a {WORD_1000} word."),
        passed(4),
    ),
    (
        "too_long_word_line_without_end_mark",
        lines(*BASE, f"x {'c' * 1001} no end mark"),
        lines(*BASE),
        passed(3, **{"line-filtered:too_long_word": 1}),
    ),
    (
        "citation_leaves_leading_space",
        lines(L1, "[1] Foo bar baz qux quux.", L2),
        lines(L1, " Foo bar baz qux quux.", L2),
        passed(3),
    ),
    (
        "leading_space_of_first_line_stripped_with_page",
        lines("[1] Foo bar baz qux quux.", L1, L2),
        lines("Foo bar baz qux quux.", L1, L2),
        passed(3),
    ),
    (
        "citation_variants_removed",
        lines(*BASE, "Text [edit] here [citation needed] and [] more [12] words."),
        lines(*BASE, "Text  here  and  more  words."),
        passed(4),
    ),
    (
        "non_citations_kept",
        lines(*BASE, "Text [Edit] here [a1] and [Citation needed] words."),
        lines(*BASE, "Text [Edit] here [a1] and [Citation needed] words."),
        passed(4),
    ),
    (
        "citation_removal_uncovers_end_mark",
        lines(*BASE, "One two three four five.[3]"),
        lines(*BASE, "One two three four five."),
        passed(4),
    ),
    (
        "citation_removal_leaves_too_few_words",
        lines(*BASE, "One [1] two [2] three [3] four."),
        lines(*BASE),
        passed(3, **{"line-filtered:too_short": 1}),
    ),
    (
        "ellipsis_fails",
        lines(*BASE, "This line trails off into nothing..."),
        lines(*BASE),
        passed(3, **{"line-filtered:no_endmark": 1}),
    ),
    (
        "ellipsis_then_quote_passes",
        lines(*BASE, 'He said "one two three four..."'),
        lines(*BASE, 'He said "one two three four..."'),
        passed(4),
    ),
    (
        "unicode_ellipsis_fails",
        lines(*BASE, "This line trails off into nothing…"),
        lines(*BASE),
        passed(3, **{"line-filtered:no_endmark": 1}),
    ),
    (
        "curly_quote_fails",
        lines(*BASE, "He said “one two three four.”"),
        lines(*BASE),
        passed(3, **{"line-filtered:no_endmark": 1}),
    ),
    (
        "single_quote_fails",
        lines(*BASE, "He said 'one two three four.'"),
        lines(*BASE),
        passed(3, **{"line-filtered:no_endmark": 1}),
    ),
    (
        "question_exclamation_quote_pass",
        lines(L1, "Is this a question for you?", "This is an exclamation for you!", 'A "b c d e"'),
        lines(L1, "Is this a question for you?", "This is an exclamation for you!", 'A "b c d e"'),
        passed(4),
    ),
    (
        "other_punctuation_fails",
        lines(*BASE, "This line ends with a colon:", "Ends with a full-width stop。"),
        lines(*BASE),
        passed(3, **{"line-filtered:no_endmark": 2}),
    ),
    (
        "four_words_too_short",
        lines(*BASE, "Four words only here."),
        lines(*BASE),
        passed(3, **{"line-filtered:too_short": 1}),
    ),
    (
        "five_words_unicode_spaces",
        lines(*BASE, "Five\twords\u3000are\xa0right here."),
        lines(*BASE, "Five\twords\u3000are\xa0right here."),
        passed(4),
    ),
    (
        "lorem_ipsum_kills_page",
        lines(L1, "Lorem ipsum dolor sit amet.", L2, L3),
        None,
        {"line-passed": 1, "filtered:loremipsum": 1},
    ),
    (
        "lorem_ipsum_in_line_without_end_mark",
        lines(*BASE, "Lorem ipsum dolor sit amet"),
        lines(*BASE),
        passed(3, **{"line-filtered:no_endmark": 1}),
    ),
    (
        "lorem_ipsum_in_short_line",
        lines(*BASE, "Lorem ipsum."),
        lines(*BASE),
        passed(3, **{"line-filtered:too_short": 1}),
    ),
    (
        "lorem_ipsum_in_too_long_word_line",
        lines(*BASE, f"Lorem ipsum {'d' * 1001} sit amet."),
        lines(*BASE),
        passed(3, **{"line-filtered:too_long_word": 1}),
    ),
    (
        "javascript_line_dropped",
        lines(*BASE, "Please enable JavaScript to view this page."),
        lines(*BASE),
        passed(3, **{"line-filtered:javascript": 1}),
    ),
    (
        "javascript_substring",
        lines(*BASE, "The word notjavascripty appears in here."),
        lines(*BASE),
        passed(3, **{"line-filtered:javascript": 1}),
    ),
    (
        "javascript_checked_before_brace",
        lines(*BASE, "function javascript() { return one; }."),
        lines(*BASE),
        passed(3, **{"line-filtered:javascript": 1}),
    ),
    (
        "brace_kills_page",
        lines(L1, L2, "This line has a { brace in it.", L3),
        None,
        {"line-passed": 2, "filtered:squigglybracket": 1},
    ),
    (
        "closing_brace_alone_is_fine",
        lines(*BASE, "This line has a } brace in it."),
        lines(*BASE, "This line has a } brace in it."),
        passed(4),
    ),
    (
        "brace_in_line_without_end_mark",
        lines(*BASE, "var x = { a: 1 }"),
        lines(*BASE),
        passed(3, **{"line-filtered:no_endmark": 1}),
    ),
    (
        "lorem_ipsum_checked_before_brace",
        lines(*BASE, "Lorem ipsum { dolor sit amet."),
        None,
        {"line-passed": 3, "filtered:loremipsum": 1},
    ),
    (
        "brace_checked_before_policy",
        lines(*BASE, "Read our privacy policy { here now."),
        None,
        {"line-passed": 3, "filtered:squigglybracket": 1},
    ),
    (
        "policy_substrings",
        lines(
            *BASE,
            "Read the Terms of Use before you start.",
            "Our privacy policy is long and boring.",
            "See the cookie policy for all details.",
            "This site uses cookies to improve things.",
            "We explain our use of cookies right here.",
            "We use cookies here and there too.",
        ),
        lines(*BASE),
        passed(3, **{"line-filtered:policy": 6}),
    ),
    (
        "policy_near_misses_kept",
        lines(*BASE, "We use some cookies here and there.", "The privacy of our policy is fine."),
        lines(*BASE, "We use some cookies here and there.", "The privacy of our policy is fine."),
        passed(5),
    ),
    (
        "splitlines_separators",
        "\v".join([L1, L2])
        + "\f"
        + "\x1c".join([L3, L1])
        + "\x1d"
        + L2
        + "\x1e"
        + L3
        # \x1f is whitespace but not a line boundary: it only gets stripped.
        + "\x85"
        + L1
        + "\u2028"
        + L2
        + "\u2029"
        + L3
        + "\r\n"
        + L1
        + "\r"
        + L2
        + "\x1f",
        lines(L1, L2, L3, L1, L2, L3, L1, L2, L3, L1, L2),
        passed(11),
    ),
    (
        "lines_stripped",
        lines("\xa0\u3000" + L1 + "\t ", " " + L2, L3 + "\x1f\x85"),
        lines(L1, L2, L3),
        passed(3),
    ),
    (
        "blank_lines_count_as_no_endmark",
        lines(L1, "", "   ", L2, L3),
        lines(L1, L2, L3),
        passed(3, **{"line-filtered:no_endmark": 2}),
    ),
]


@pytest.mark.parametrize(
    ("text", "expected", "counts"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_clean_page_rules(text, expected, counts, sentence_counter):
    assert ours(text, sentence_counter) == (expected, counts)


@pytest.mark.reference
@pytest.mark.parametrize(
    ("text", "expected", "counts"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_clean_page_rules_equal_reference(text, expected, counts, ref):
    assert reference(ref, text) == (expected, counts)


# Lines of several sentences: the page threshold counts sentences, not lines.
MULTI = "One sentence is here. Another sentence is here. A third one is here too."


@pytest.mark.parametrize(
    ("text", "config", "expected", "counts"),
    [
        (MULTI, CleanConfig(), MULTI, passed(1)),
        (
            MULTI,
            CleanConfig(min_num_sentences=4),
            None,
            {"line-passed": 1, "filtered:too_few_sentences": 1},
        ),
        ("", CleanConfig(min_num_sentences=0), "", {"passed": 1}),
        (
            "Short one.",
            CleanConfig(min_num_sentences=0),
            "",
            {"line-filtered:too_short": 1, "passed": 1},
        ),
        (
            "Two words.",
            CleanConfig(min_words_per_line=2, min_num_sentences=1),
            "Two words.",
            passed(1),
        ),
        (
            lines(L1, "xxxxxx yy."),
            CleanConfig(max_word_length=5, min_num_sentences=1),
            None,
            {"line-filtered:too_long_word": 2, "filtered:too_few_sentences": 1},
        ),
    ],
    ids=[
        "one_line_three_sentences",
        "min_4",
        "min_0_empty",
        "min_0_all_dropped",
        "min_words_2",
        "max_word_5",
    ],
)
def test_clean_page_thresholds(text, config, expected, counts, sentence_counter, ref):
    assert ours(text, sentence_counter, config) == (expected, counts)
    assert reference(ref, text, config) == (expected, counts)


def test_input_page_not_mutated(sentence_counter):
    page = Page(
        "http://u.com/", "u.com", lines("[1] " + L1, L2, L3, "no end mark"), "ts", "ct", "9"
    )
    before = tuple(page)
    out = clean_page(page, Tally(), sentence_counter).page
    assert tuple(page) == before
    assert out == page._replace(text=lines(L1, L2, L3))
