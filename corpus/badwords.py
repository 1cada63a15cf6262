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

from corpus.urls import url_hash_int
from corpus.versions import BadwordsRule

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


class BadwordsFilter:
    """3.x page filter. `verdict(page)` is "passed", "filtered" or "soft-passed"."""

    def __init__(self, pattern: re.Pattern, filter_fraction: float = 1.0) -> None:
        if not 0.0 < filter_fraction <= 1.0:
            raise ValueError("the badwords filter fraction must be in (0, 1]")
        self._pattern = pattern
        self._num, self._den = float.as_integer_ratio(filter_fraction)

    def verdict(self, text: str, normalized_url: str) -> str:
        if self._pattern.search(text.lower()) is None:
            return "passed"
        if url_hash_int(normalized_url) % self._den >= self._num:
            return "soft-passed"
        return "filtered"
