"""corpus._punkt_fast against nltk 3.10.0's Punkt itself: `SentenceCounter.count(text, limit)`
(and `FastPunktCounter.count`) must equal `min(limit, len(PunktSentenceTokenizer.tokenize(text)))`
with the English `punkt_tab` parameters, for every text.

Every check is differential: real web pages from ../shared/data/cc_text (raw, "cleaned" as after
line dedup, every line, groups of adjacent and random lines), nltk's own per-candidate verdicts
(`text_contains_sentbreak` on the contexts of `_match_potential_end_contexts`), hand-picked edge
cases and hypothesis-generated texts. With C4FORGE_FULL=1 the `slow` sweep runs in full and
hypothesis draws 5,000 examples per test (else a short form and 400).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from punkt_testing import (
    CC_TEXT,
    EDGE_CASES,
    END_MARKS,
    HYPOTHESIS,
    LIMITS,
    cc_texts,
    check,
    cleaned,
    dolma_pages,
    line_groups,
)

from c4forge.corpus.sentences import SentenceCounter

import c4_testing

# ---- real data ---------------------------------------------------------------------------------


def test_dolma_pages_raw_and_cleaned(counter, punkt):
    pages = dolma_pages()
    assert len(pages) == 697
    assert check(counter, punkt, pages) > 500
    assert check(counter, punkt, [cleaned(page) for page in pages]) > 300


def test_dolma_lines(counter, punkt):
    raw = [line for page in dolma_pages() for line in page.split("\n")]
    assert len(raw) > 10_000
    assert check(counter, punkt, raw) > 1000
    assert check(counter, punkt, [line.strip() for line in raw], limits=(1, 3)) > 1000


@pytest.mark.parametrize(
    "name", [n for n in sorted(p.name for p in CC_TEXT.glob("*.json*.gz")) if "dolma_CC" not in n]
)
def test_other_cc_text_files(name, counter, punkt):
    texts = cc_texts()[name]
    assert texts
    check(counter, punkt, texts)
    check(counter, punkt, [cleaned(text) for text in texts])
    check(counter, punkt, [line for text in texts for line in text.split("\n")], limits=(1, 3))


def test_line_groups(counter, punkt):
    assert check(counter, punkt, line_groups(0, 2500)) > 1500


def test_candidate_verdicts_equal_nltk(counter, punkt):
    """Each candidate of nltk's own `_match_potential_end_contexts`: our verdict from the
    candidate's match (head/tail decomposition or whole context) and from the whole context
    equal `text_contains_sentbreak`; and our candidate stream is nltk's `period_context_re`."""
    fast = counter._fast
    period_re = punkt._lang_vars.period_context_re()
    texts = [*dolma_pages(), *(cleaned(page) for page in dolma_pages()), *line_groups(1, 300)]
    verdicts = {True: 0, False: 0}
    failures = []
    for text in texts:
        for m, context in punkt._match_potential_end_contexts(text):
            word_start = m.start() - (len(context) - 1 - len(m.group("after_tok")))
            assert text[word_start : m.end()] + m.group("after_tok") == context
            want = punkt.text_contains_sentbreak(context)
            verdicts[want] += 1
            if fast._breaks(text, m, word_start) != want or fast.context_breaks(context) != want:
                failures.append((context, want))
        if "?" in text or "!" in text:
            first_qe = min(i for i in (text.find("?"), text.find("!")) if i >= 0)
            ours = fast._candidates(text, first_qe)
        else:
            ours = fast._dot_finditer(text)
        assert [m.span() for m in ours] == [m.span() for m in period_re.finditer(text)]
    assert not failures, f"{len(failures)} mismatches, e.g. {failures[:5]}"
    assert verdicts[True] > 10_000
    assert verdicts[False] > 1000


def test_whole_contexts_are_exercised(punkt):
    """Contexts whose word part holds whitespace (e.g. no-break spaces) take the whole-context
    path; real pages have some, and they count right."""
    counter = SentenceCounter.from_nltk_data(str(c4_testing.NLTK_DATA))
    texts = [page for page in dolma_pages() if "\xa0" in page or "\u3000" in page]
    assert texts
    check(counter, punkt, texts, limits=(10**6,))
    assert counter._fast.whole_contexts > 0


# ---- edge cases --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases(text, counter, punkt):
    variants = [text, text + " ", text + "\n", text + "\nNext line."]
    check(counter, punkt, variants + [ws + text for ws in (" ", "\n", "\t", "\xa0", "x ")])


def test_limit_zero_and_negative(counter):
    assert counter.count("One. Two. Three.", 0) == 0
    assert counter.count("One. Two. Three.", -1) == 0


# ---- generated text ----------------------------------------------------------------------------

VOCABULARY = [
    # abbreviations (abbrev_types), in several cases, and with hyphens
    "Mr.", "mr.", "Dr.", "dr.", "Mrs.", "Inc.", "inc.", "Corp.", "Ltd.", "Jan.", "Sept.", "No.",
    "U.S.", "u.s.", "U.S.A.", "e.g.", "i.e.", "etc.", "vs.", "St.", "Ph.D.", "a.m.", "p.m.",
    "ex-Gov.", "co-Sen.", "pre-mr.",
    # sentence starters, collocation partners, capitalised and lower-case words
    "The", "the", "But", "but", "However", "however", "In", "in", "I", "i", "He", "he", "It",
    "International", "international", "Stewart", "Bach", "Smith", "Walter", "Cooper", "Who",
    "Hello", "hello", "HELLO", "World", "world", "London", "cat", "Über", "élan", "Σ", "ΑΣ",
    # initials, numbers, ordinals
    "J.", "j.", "S.", "B.", "O.", "x.", "_.", "1.", "42.", "3.5", "3.5.", "1,000.", "-2.",
    ".5", "2nd.", "1999",
    # end marks, ellipses, punctuation, quotes and brackets
    ".", "?", "!", "?!", "!!!", "...", "..", ". . .", "…", ",", ";", ":", "--", "-", "*", "@",
    "#", "&", "`", '"', "'", "(", ")", "[", "]", "{", "}", '."', ".)", ".'", '?"', '!)', ".]",
    "word.", "end.", "Yes!", "Why?", "a.b", "x.y.", "...and",
    # whitespace
    "\n", "\n\n", "\t", "\r\n", "\xa0", "\u2028", "\u3000", "\x0b", "\x0c", "\x85", "  ",
]  # fmt: skip

GENERATED = st.builds(
    lambda words, seps: "".join(w + s for w, s in zip(words, seps, strict=False)),
    st.lists(st.sampled_from(VOCABULARY), max_size=24),
    st.lists(st.sampled_from([" ", " ", " ", "", "\n", "  ", "\t", "\xa0"]), min_size=24),
)
SPECIAL = ".?!\"')]}([{-,;:*@#&` \n\t\r\x0b\x0c\xa0\u2028aAbZ1_Σ\u0130é…"


@settings(HYPOTHESIS)
@given(text=GENERATED)
def test_generated_text(text, counter, punkt):
    check(counter, punkt, [text])


@settings(HYPOTHESIS)
@given(text=st.text(alphabet=SPECIAL, max_size=30))
def test_special_character_soup(text, counter, punkt):
    check(counter, punkt, [text])


@settings(HYPOTHESIS)
@given(text=st.text(max_size=60))
def test_arbitrary_unicode_text(text, counter, punkt):
    check(counter, punkt, [text])


@settings(HYPOTHESIS)
@given(
    lines=st.lists(GENERATED.map(str.strip), min_size=2, max_size=6),
    ends=st.lists(st.sampled_from(END_MARKS), min_size=6, max_size=6),
)
def test_generated_line_groups(lines, ends, counter, punkt):
    """Post-dedup shape: stripped lines ending in an end mark, joined by "\\n"."""
    check(counter, punkt, ["\n".join(line + end for line, end in zip(lines, ends, strict=False))])


@settings(HYPOTHESIS)
@given(context=st.text(alphabet=SPECIAL, max_size=20) | GENERATED)
def test_context_breaks_equal_nltk(context, counter, punkt):
    assert counter._fast.context_breaks(context) == punkt.text_contains_sentbreak(context)


@settings(HYPOTHESIS)
@given(text=st.text(alphabet=SPECIAL, max_size=30) | GENERATED)
def test_candidate_verdicts_of_generated_text(text, counter, punkt):
    """Per candidate, as `test_candidate_verdicts_equal_nltk` does on real pages."""
    fast = counter._fast
    for m, context in punkt._match_potential_end_contexts(text):
        word_start = m.start() - (len(context) - 1 - len(m.group("after_tok")))
        want = punkt.text_contains_sentbreak(context)
        assert fast._breaks(text, m, word_start) == want, context


CUSTOM_TYPES = ["foo", "bar", "zed", "next", "y", "x", "word", "##number##", "qq", "bar-baz"]
CUSTOM_VOCABULARY = [
    *(w + "." for w in CUSTOM_TYPES[:7]), "Foo.", "FOO.", "X.", "Y.", "qq.", "Qq.", "bar-baz.",
    "a-bar-baz.", "1.", "12.", "3.5.", "Word.", "word", "Bar", "Zed", "Next", "NEXT", "zed",
    "next", "bar", "Y", "y", "foo", "Foo", "the", "The", "...", ".", "?", "!", '"', ")", ",",
    ";", "(", "\n", "\xa0",
]  # fmt: skip


@settings(HYPOTHESIS)
@given(
    words=st.lists(st.sampled_from(CUSTOM_VOCABULARY), max_size=16),
    abbrevs=st.sets(st.sampled_from(CUSTOM_TYPES)),
    starters=st.sets(st.sampled_from(CUSTOM_TYPES)),
    collocations=st.sets(st.tuples(st.sampled_from(CUSTOM_TYPES), st.sampled_from(CUSTOM_TYPES))),
    ortho=st.dictionaries(st.sampled_from(CUSTOM_TYPES), st.integers(0, 127)),
)
def test_other_parameters(words, abbrevs, starters, collocations, ortho):
    """Any parameter tables, not just English: the rules read them, nothing is hard-coded."""
    from collections import defaultdict

    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = abbrevs
    params.sent_starters = starters
    params.collocations = collocations
    params.ortho_context = defaultdict(int, ortho)
    tokenizer = PunktSentenceTokenizer(params)
    counter = SentenceCounter(PunktSentenceTokenizer(params))
    assert counter._fast is not None
    text = " ".join(words)
    n = len(tokenizer.tokenize(text))
    for limit in LIMITS:
        assert counter.count(text, limit) == min(limit, n)
