"""The badwords rule (docs/C4.md §7), per version.

3.x: one final filter on the lower-cased page text with `(?:\\W|^)(w1|w2|...)(?:\\W|$)` (words
`re.escape`d from 3.1.0 on), and a soft fraction: a matching page is kept iff
md5(normalized URL) % den >= num where num/den = fraction (`en` uses 1.0: every match dropped).
2.2.0: inside `clean_page`, `[^a-z](w1|w2|...)[^a-z]` (unescaped) on each kept, lower-cased line.

The English list is LDNOOBW at commit 25e679f ("for reproducibility of the original C4").
"""

from __future__ import annotations

import hashlib
import re

from c4forge.corpus.page import Page
from c4forge.corpus.urls import url_hash_int
from c4forge.corpus.verdict import SOFT_PASSED, Reason, Verdict, drop, keep
from c4forge.corpus.versions import BadwordsRule

EN_BADWORDS_COMMIT = "25e679f03d96baa721cde20db9944649e8d0a844"
EN_BADWORDS_URL = (
    "https://raw.githubusercontent.com/LDNOOBW/"
    f"List-of-Dirty-Naughty-Obscene-and-Otherwise-Bad-Words/{EN_BADWORDS_COMMIT}/en"
)
EN_BADWORDS_SHA256 = "a506cbcf8a31935b122299f3bb1d32be6db3d0ad498765d28f365dfc4f4d7b8c"


def parse_badwords(data: bytes, expected_sha256: str | None = None) -> list[str]:
    """The words of a LDNOOBW list file (one per line; blank lines ignored), sorted.

    The reference builds a set of stripped lines; a blank line would add "" to its alternation
    and match nearly every page. The pinned lists have none, so ignoring them changes nothing.
    """
    if expected_sha256 is not None:
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected_sha256:
            raise ValueError(
                f"badwords list has sha256 {digest}, expected {expected_sha256} "
                "(the LDNOOBW file at the pinned commit)"
            )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"badwords list is not UTF-8 text: {e}") from None
    return sorted({line.strip() for line in text.splitlines()} - {""})


def compile_badwords(words: list[str], rule: BadwordsRule) -> re.Pattern:
    if not words:
        raise ValueError("the badwords list is empty")
    if rule is BadwordsRule.LINE_UNESCAPED:
        return re.compile("[^a-z]({})[^a-z]".format("|".join(words)))
    if rule is BadwordsRule.PAGE_ESCAPED:
        words = [re.escape(w) for w in words]
    return re.compile(r"(?:\W|^)({})(?:\W|$)".format("|".join(words)))


_WORD_RUN = re.compile(r"\w+")
_WORD_SHAPE = re.compile(r"\w+(?:\W\w+)*")
_REGEX_META = set(".^$*+?{}[]\\|()")


class BadwordsMatcher:
    """`matches(lower_text)` is `pattern.search(lower_text) is not None` for the 3.x pattern
    `(?:\\W|^)(w1|w2|...)(?:\\W|$)`, without running the 377-way alternation.

    Exactness: the pattern matches iff some word w occurs at some position i with a non-word
    character (or the text's start) before it and a non-word character (or the end) after it.
    * A word of word characters only then is a maximal `\\w+` run of the text, and every
      maximal run equal to w is such an occurrence: membership in the set of runs decides.
    * A word of runs joined by non-word characters ("s&m", "2 girls 1 cup") can only occur so if
      each of its runs is a maximal run of the text; if they all are, its occurrences are
      checked one by one (`str.find`) for the two boundaries.
    * Any other word (an emoji) has its occurrences checked the same way.
    Words with regex syntax (3.0.1 did not escape them) and the 2.2.0 rule use the regex.
    """

    def __init__(self, words: list[str], rule: BadwordsRule) -> None:
        self._pattern = compile_badwords(words, rule)
        self._fast = rule is not BadwordsRule.LINE_UNESCAPED and not any(
            c in _REGEX_META for w in words for c in w
        )
        self._single: set[str] = set()
        self._joined: dict[str, list[tuple[str, tuple[str, ...]]]] = {}  # key run -> words
        self._other: list[str] = []
        for w in words:
            if _WORD_RUN.fullmatch(w):
                self._single.add(w)
            elif _WORD_SHAPE.fullmatch(w):
                runs = tuple(_WORD_RUN.findall(w))
                key = max(runs, key=len)  # the longest run: most often the rarest
                self._joined.setdefault(key, []).append((w, runs))
            else:
                self._other.append(w)

    def matches(self, lower_text: str) -> bool:
        if not self._fast:
            return self._pattern.search(lower_text) is not None
        runs = set(_WORD_RUN.findall(lower_text))
        if not runs.isdisjoint(self._single):
            return True
        for key in runs.intersection(self._joined):
            for word, word_runs in self._joined[key]:
                if runs.issuperset(word_runs) and _occurs_bounded(lower_text, word):
                    return True
        return any(_occurs_bounded(lower_text, w) for w in self._other)


def _occurs_bounded(text: str, word: str) -> bool:
    """Whether `word` occurs with a non-word character or a text end on each side."""
    end = len(text)
    i = text.find(word)
    while i >= 0:
        j = i + len(word)
        if (i == 0 or not _is_word_char(text[i - 1])) and (j == end or not _is_word_char(text[j])):
            return True
        i = text.find(word, i + 1)
    return False


def _is_word_char(ch: str) -> bool:
    return _WORD_RUN.match(ch) is not None


class BadwordsFilter:
    """3.x page filter, the reference's `_badwords_filter`: a page whose lower-cased text matches
    is dropped, unless the soft fraction spares it (kept with the detail "soft-passed")."""

    def __init__(self, words: list[str], rule: BadwordsRule, filter_fraction: float = 1.0) -> None:
        if not 0.0 < filter_fraction <= 1.0:
            raise ValueError("the badwords filter fraction must be in (0, 1]")
        self._matcher = BadwordsMatcher(words, rule)
        self._num, self._den = float.as_integer_ratio(filter_fraction)

    def check(self, page: Page) -> Verdict:
        if not self._matcher.matches(page.text.lower()):
            return keep(page)
        if url_hash_int(page.normalized_url) % self._den >= self._num:
            return keep(page, SOFT_PASSED)
        return drop(Reason.BADWORDS)
