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

import gzip
import json
import os
import random
import re
import sys
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import _punkt_fast
from corpus._punkt_fast import FastPunktCounter, supports
from corpus.sentences import SentenceCounter

import c4_testing

FULL = os.environ.get("C4FORGE_FULL") == "1"
CC_TEXT = c4_testing.SHARED_DATA / "cc_text"
LIMITS = (1, 2, 3, 4, 10**6)
END_MARKS = (".", "?", "!", '"')
HYPOTHESIS = settings(
    max_examples=5000 if FULL else 400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# ---- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def counter(shared_data):
    """A counter of this module's own (its caches and statistics start empty)."""
    counter = SentenceCounter.from_nltk_data(str(c4_testing.NLTK_DATA))
    assert counter._fast is not None
    return counter


@cache
def cc_texts() -> dict[str, tuple[str, ...]]:
    """The "text" field of every record of every file in cc_text, by file name."""
    texts = {}
    for path in sorted(CC_TEXT.glob("*.json*.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            texts[path.name] = tuple(json.loads(line)["text"] for line in f if line.strip())
    return texts


def dolma_pages() -> tuple[str, ...]:
    return cc_texts()[c4_testing.DOLMA_JSONL.name]


def cleaned_lines(text: str) -> list[str]:
    """Stripped lines ending in an end mark with at least 5 words: what survives `clean_page`."""
    lines = (line.strip() for line in text.split("\n"))
    return [line for line in lines if line.endswith(END_MARKS) and len(line.split()) >= 5]


def cleaned(text: str) -> str:
    """A page's text in the shape line dedup counts: its cleaned lines joined by "\\n"."""
    return "\n".join(cleaned_lines(text))


def check(counter: SentenceCounter, punkt, texts, limits=LIMITS) -> int:
    """Asserts count == min(limit, len(punkt.tokenize(text))) for every text and limit, through
    `SentenceCounter.count` and straight through `FastPunktCounter.count`; returns the number of
    texts with more than one sentence."""
    fast = counter._fast
    failures = []
    multi = 0
    for text in texts:
        n = len(punkt.tokenize(text))
        multi += n > 1
        for limit in limits:
            want = min(limit, n)
            got = counter.count(text, limit)
            got_fast = fast.count(text, limit)
            if got != want or got_fast != want:
                failures.append((text[:500], limit, want, got, got_fast))
    assert not failures, f"{len(failures)} mismatches, e.g. {failures[:3]}"
    return multi


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


def line_groups(seed: int, count: int) -> list[str]:
    """Groups of 2-6 lines joined by "\\n": adjacent cleaned lines of a page, adjacent raw lines,
    and lines drawn at random from all pages (abbreviations, initials, numbers and quotes at a
    line end meeting any next line, lower case included)."""
    rng = random.Random(seed)
    pages = dolma_pages()
    pool = [line for page in pages for line in cleaned_lines(page)]
    raw_pool = [line.strip() for page in pages for line in page.split("\n") if line.strip()]
    groups = []
    for i in range(count):
        size = rng.randint(2, 6)
        kind = i % 3
        if kind == 0:
            lines = cleaned_lines(rng.choice(pages))
            start = rng.randrange(max(len(lines) - size, 0) + 1)
            group = lines[start : start + size]
        elif kind == 1:
            group = [rng.choice(pool) for _ in range(size)]
        else:
            group = [rng.choice(raw_pool) for _ in range(size)]
        groups.append("\n".join(group))
    return groups


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

EDGE_CASES = [
    "",
    " ",
    "   \n\t  \r\n ",
    "\xa0\u2028\u3000",
    ".",
    "..",
    "...",
    "?",
    "!",
    "?!",
    "!?",
    ". . .",
    ". . . .",
    "a . b",
    ".! Foo",
    "?! Foo",
    "x.! y",
    '."! Foo',
    ".?! Foo. Bar",
    "a .! b. C",
    "..! Foo",
    "Hello.",
    "Hello. ",
    "Hello.\n",
    "Hello. World",
    "Hello.World. Again",
    "Hello world",
    "Is it? Yes! It is.",
    "What?! No way!!! Really?? Yes.",
    "Very bad acting!!! I promise.",
    "Wait... What happened?",
    "Wait... what happened?",
    "Wait . . . What happened? Nothing.",
    "Wait\u2026 What happened? Nothing.",
    'He said "Stop." Then he left.',
    'He said "Stop."\nThen he left.',
    "He said 'Stop.' Then he left.",
    '(How does it deal with this parenthesis?)  "It should be part of the previous sentence."',
    "\"(And the same with this one.)\" ('And this one!')",
    "\"('(And (this)) '?)\" [(and this. )]",
    "Sentence one.) Sentence two.] Sentence three.} Four.",
    'End." ")',
    'One. "',
    "One. ')]}",
    'One. ")x',
    "One. )-- two. Three.",
    "Mr. Smith went to Washington. He met Dr. Jones.",
    "I met Mr.\nSmith yesterday. He was fine.",
    "We live in the U.S. The weather is fine.",
    "We live in the U.S. the weather is fine.",
    "See e.g. the manual. Or i.e. the guide. Etc. and so on.",
    "Apples, pears, etc. The end.",
    "Apples, pears, etc.\nthe end.",
    "Johann S. Bach was a composer. J. Walter agreed.",
    "A. B. C. D. E.",
    "It costs 3.5 dollars. Cheap.",
    "Chapter 1. Introduction. Chapter 2. Methods.",
    "1. Foo\n2. Bar\n3. Baz",
    "1. foo\n2. bar\n3. baz",
    "The year 1999. International news followed.",
    "We sold 42. Insider trading was alleged.",
    "Ends without an end mark",
    "First. Second. Third without end",
    "Tabs\tbetween.\tWords here.\tMore.",
    "Carriage.\r\nReturns here.\r\nMore.",
    "Vertical\x0bTab. Form\x0cFeed. End.",
    "Non-breaking.\xa0Space here.\xa0Again.",
    # A word part starting after rare whitespace, with a break in what comes before it.
    *(f"x a?--b{ws}c. d e." for ws in "\t\r\x0b\x0c\xa0"),
    *(f"x word.--b{ws}c. d e." for ws in "\t\r\x0b\x0c\xa0"),
    *(f"a?--b{ws}c. d e." for ws in "\t\r\x0b\x0c\xa0"),
    "x a?--b\tc.) d e.",
    "x .\t.! Foo. bar.",
    "Line\u2028separator. Paragraph\u2029separator. End.",
    "Ideographic.\u3000Space. End.",
    "\nLeading newline. Then more.",
    " Leading space. Then more.",
    "\tLeading tab. Then more.",
    "x\n. Y. Z.",
    "Ünïcödé wörds. Élan vital. Σοφία είπε. ΟΔΟΣ. Ok.",
    "İstanbul. İzmir. Ok.",
    "Это предложение. И это тоже. Да.",
    "これは文です。 これも文です. Yes.",
    "A ½. B ². C.",
    "low-level. mid-word abbr. Sen. Smith spoke. Gen. Lee.",
    "the sr. partner left. the Jr. one stayed.",
    "What. -- No. -- Yes.",
    "Dash.--Another. And.",
    "Comma., Semicolon.; Colon.: End.",
    "@home. #tag. *star. &amp. End.",
    "[1]. (2). {3}. End.",
    "url.com/a. b.c.d. E.F.G. h.",
    "a.. b.. c..",
    "O.K. Fine. OK.",
    "He is 6 ft. tall. She is 5 ft. Tall she is.",
    "Version 2.0. Version 3. Next.",
    "-1. -2. -3. Negative.",
    ",5. .5. Point.",
    "Numbers 1,000. 2,000.5. End.",
]


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


# ---- the facts the module relies on ------------------------------------------------------------


def test_regexes_are_nltks():
    from nltk.tokenize.punkt import PunktLanguageVars, PunktSentenceTokenizer, PunktToken

    assert _punkt_fast._NUMERIC_RE.pattern == PunktToken._RE_NUMERIC.pattern
    assert _punkt_fast._ELLIPSIS_RE.pattern == PunktToken._RE_ELLIPSIS.pattern
    assert _punkt_fast._INITIAL_RE.pattern == PunktToken._RE_INITIAL.pattern
    assert _punkt_fast._NUMERIC_RE.flags == PunktToken._RE_NUMERIC.flags
    assert _punkt_fast._INITIAL_RE.flags == PunktToken._RE_INITIAL.flags
    lang_vars = PunktLanguageVars()
    assert lang_vars.sent_end_chars == (".", "?", "!")
    # The realignment regex the count's tail rule is derived from.
    assert lang_vars.re_boundary_realignment.pattern == r'["\')\]}]+?(?:\s+|(?=--)|$)'
    assert set(_punkt_fast._PUNCTUATION) == set(PunktSentenceTokenizer.PUNCTUATION)


def test_whitespace_classes_agree():
    """`\\s`, `\\S`, `str.isspace` and `str.strip` see the same whitespace; string.whitespace is
    the ASCII subset the candidate word parts are cut at."""
    import string

    chars = "".join(map(chr, range(sys.maxunicode + 1)))
    regex_ws = set(re.findall(r"\s", chars))
    assert regex_ws == {c for c in chars if c.isspace()}
    assert regex_ws == {c for c in chars if not c.strip()}
    assert set(string.whitespace) == _punkt_fast._ASCII_WS
    assert all(not ch.isalnum() for ch in regex_ws)


TRICKY_WORDS = [
    "ab",
    "ΟΔΟΣ",
    "ΑΣ",
    "Σ",
    "İstanbul",
    "ǅemal",
    "ß",
    "ﬁn",
    "Ⅻ",
    "x²",
    "²²",
    "١٢٣",
    "12",
]


@settings(HYPOTHESIS)
@given(word=st.text(max_size=8).filter(str.isalnum) | st.sampled_from(TRICKY_WORDS))
def test_alnum_heads_and_tails(word, counter):
    """An alphanumeric word part is one token with its period, and the shortcut in `_head`
    agrees with the general `_first_info` (type = lower-cased stem, number = all decimal)."""
    fast = counter._fast
    assert fast._findall(word + ".") == [word + "."]
    assert fast._findall(word) == [word]
    assert fast._head(word + ".") == fast._first_info(word + ".")
    assert (word + ".").lower() == word.lower() + "."


def test_lower_case_keeps_the_period():
    """`_head`'s shortcut takes a word's type from `word.lower()`: lower-casing never treats a
    character differently for the period that follows it (final sigma included)."""
    chars = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isalnum()]
    assert all((c + ".").lower() == c.lower() + "." for c in chars)
    for word in ("ΑΣ", "ΟΔΟΣ", "Σ", "ΣΑ", "aΣ", "1Σ", "ΑΣΣ"):
        assert (word + ".").lower() == word.lower() + "."


def test_supports(counter, punkt):
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    assert supports(counter._tokenizer)
    assert supports(punkt)  # PunktTokenizer("english")
    assert SentenceCounter(punkt).count("Mr. Smith left. He came back. Ok.", 10) == 3

    class Custom(PunktSentenceTokenizer):
        pass

    custom = Custom()
    custom._params = counter._tokenizer._params
    assert not supports(custom)
    plain_dict = PunktSentenceTokenizer()
    plain_dict._params.ortho_context = {}
    assert not supports(plain_dict)
    assert supports(PunktSentenceTokenizer())


@pytest.mark.parametrize("text", EDGE_CASES[::3])
def test_untrained_parameters(text):
    """Empty parameters (no abbreviations, starters, collocations or contexts) count right too."""
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    tokenizer = PunktSentenceTokenizer()
    counter = SentenceCounter(PunktSentenceTokenizer())
    assert counter._fast is not None
    for variant in (text, text + "\nNext line.", "Mr. " + text + " J. Smith. 42. The end."):
        n = len(tokenizer.tokenize(variant))
        for limit in LIMITS:
            assert counter.count(variant, limit) == min(limit, n), (variant, limit)


def test_unsupported_tokenizer_takes_nltk(counter, punkt):
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    class Custom(PunktSentenceTokenizer):
        pass

    custom = Custom()
    custom._params = counter._tokenizer._params
    nltk_counter = SentenceCounter(custom)
    assert nltk_counter._fast is None
    text = "Dr. Smith went home. He slept. Then he woke up! Why? Nobody knows."
    for limit in LIMITS:
        assert nltk_counter.count(text, limit) == counter.count(text, limit)


def test_bounded_caches(monkeypatch, counter, punkt):
    monkeypatch.setattr(_punkt_fast, "_CACHE_MAX", 50)
    fresh = FastPunktCounter.from_tokenizer(counter._tokenizer)
    texts = [cleaned(page) for page in dolma_pages()[:80]]
    for text in texts:
        if text.strip():
            assert fresh.count(text, 10**6) == len(punkt.tokenize(text)), text[:200]
    for cache_ in (fresh._first, fresh._second, fresh._heads, fresh._tails):
        assert len(cache_) <= 50


# ---- full sweep --------------------------------------------------------------------------------


@pytest.mark.slow
def test_sweep(counter, punkt):
    """With C4FORGE_FULL=1: 30,000 line groups and every page with a line appended and with
    its lines shuffled; otherwise 3,000 groups and every 10th page."""
    assert check(counter, punkt, line_groups(2, 30_000 if FULL else 3000)) > 1000
    rng = random.Random(3)
    pages = dolma_pages() if FULL else dolma_pages()[::10]
    shuffled = []
    for page in pages:
        lines = page.split("\n")
        rng.shuffle(lines)
        shuffled.append("\n".join(lines))
    check(counter, punkt, [page + "\nand then. More." for page in pages])
    check(counter, punkt, shuffled)
