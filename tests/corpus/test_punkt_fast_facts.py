"""corpus._punkt_fast: the facts about nltk's Punkt it relies on (its regexes, whitespace classes,
token heads and tails), which tokenizers it supports, and the full differential sweep."""

from __future__ import annotations

import random
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from punkt_testing import (
    EDGE_CASES,
    FULL,
    HYPOTHESIS,
    LIMITS,
    check,
    cleaned,
    dolma_pages,
    line_groups,
)

from c4forge.corpus import _punkt_fast
from c4forge.corpus._punkt_fast import FastPunktCounter, supports
from c4forge.corpus.sentences import SentenceCounter

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
