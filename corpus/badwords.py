"""The badwords rule (docs/C4.md §7), per version and language.

3.x: one final filter on the lower-cased page text with `(?:\\W|^)(w1|w2|...)(?:\\W|$)` (words
`re.escape`d from 3.1.0 on), and a soft fraction: a matching page is kept iff
md5(normalized URL) % den >= num where num/den = fraction (`en` uses 1.0: every match dropped;
mC4 3.1.0 uses 0.999). The list is the page language's (`language.split("-")[0]`); languages
written without spaces match the bare alternation (3.1.0: ja, th, zh; 3.0.1: th, zh).
2.2.0: inside `clean_page`, `[^a-z](w1|w2|...)[^a-z]` (unescaped) on each kept, lower-cased line.

The English list is LDNOOBW at commit 25e679f ("for reproducibility of the original C4"); the
other languages' are at 5faf2ba, with `fr-CA-u-sd-caqc` merged into `fr` and, from 3.1.0 on, an
allowlist of common subwords taken out of `ja` and `zh` (`c4.py` `_BADWORDS_ALLOWLIST`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping, Sequence

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

BADWORDS_COMMIT = "5faf2ba42d7b1c0977169ec3611df25a3c08eb13"  # every language but English
BADWORDS_URL = (
    "https://raw.githubusercontent.com/LDNOOBW/"
    f"List-of-Dirty-Naughty-Obscene-and-Otherwise-Bad-Words/{BADWORDS_COMMIT}/{{lang}}"
)
# `_BADWORDS_LANGS` of c4.py: the list files read at 5faf2ba ("en" comes from 25e679f), with
# the sha256 of each file at that commit.
BADWORDS_SHA256 = {
    "ar": "23dbd9c55257bf2a4965f46664dc7eac04b61ff4eb3571e41f7e964c7c3ed96b",
    "cs": "90706df86709bade1ca39cf9f9d9836409c674fc3bffcb7525bdd20e59b596bc",
    "da": "ddb46ab67e955d1a5f49c89c18497d23c3d8d6d2522f3740a5d7583f90e434c6",
    "de": "ebe44d7772897390e27f7bec412fdcdf0efc294e4db157f8487c4cd8d4fabd55",
    "en": EN_BADWORDS_SHA256,
    "eo": "0374d76be1dbc77c61362d6e51305e1e4c546b7f734eb96e0bdbad7fd2a6ace1",
    "es": "073334261cc2e7c08339faefd2f19f9623e8240a0ac18fe2a26c368b897496ce",
    "fa": "85828629b90fd18a3f6f6efb1934c1294103c33d1c28c0653970adfa179169e9",
    "fi": "3e0b35b2533ba22fb526d882bea250ddfad907ee7548aacbe15db17e21034c62",
    "fil": "fb4b43691b1249fee2eca1e66795daedda8e7366d42abcde6553dce611d23d99",
    "fr": "79763a705e08256b393952852bb63aa903f4485e0ef02f70735f5e50efff213c",
    "fr-CA-u-sd-caqc": "4a0ef5d55921c91df26676b214d3ac648deef11cfbc4587159ee9aab4085b09a",
    "hi": "83636e9b7a5260451e09e9e471f81dad9f082d107a82da77047e57d7856ed0cc",
    "hu": "a6943a971496f16e9a9d59ba6fde146d229699600e9636828d8d34ed9160aff5",
    "it": "d413f41018d58aa79d2c4809d0161f29ffd5652c4dc34c5b7b9ade680ee5599a",
    "ja": "f83c4d0843ea6474c17bf171edd72b616b3af403f8613f2cde1bd841faf6f316",
    "kab": "df7be2ce4a0c80ee717cd7134c90645a8a0f0c0c458a61f927934dbd50eac96d",
    "ko": "0dd4b74ffea6e3bb35d658e6d8262b53ee99281eaa48ecb515a2065bfcc7f69d",
    "nl": "8298ba0cdc3ca9a1989c349b8ad0148e4504c2804f2f2fb6c2f52bfb39c5ae71",
    "no": "e55b46bcec1ea288256924523a997d8d99e124c9aa3e61cbbbfaeca294f745b4",
    "pl": "98cf824e3692255645c5a72d5913f26fd4f20930f725683b4c96bb312ca5d9b3",
    "pt": "05ef524b0bb7f83f87257f6ec4dabf70e16b8bb6930f769fb93deaf608ff196d",
    "ru": "2598adabd2b761733d72a68d8ee4fcc1d2c38f2f85b6ff489985c6ce1d93bf75",
    "sv": "77f3f99a89bd3b2bde6a654741bacfcb3acca3f5c804af4d8d3fea11e09ea562",
    "th": "835036d87a3a67738e388cd6de92e3c995c186a1427b4e830fe7b85483c257e7",
    "tlh": "3c19004e338c0d91d19ba419185279145848b75b2327aa0e3a752c604ad9f59d",
    "tr": "6c7ae03baee0f3fdc22eed169030567669005dad9a1923e0b571c4bd4f2f2ab5",
    "zh": "a1d9aa037c8b039ef3b40148b3364ce2ca62ce4a955b7082a16ad99f6cbd1bc0",
}
BADWORDS_LANGS = tuple(BADWORDS_SHA256)
# Common subwords of languages written without spaces: each filtered > 10% of its language's
# documents (3.1.0's release notes), so 3.1.0 takes them out of the lists.
BADWORDS_ALLOWLIST = {"ja": frozenset({"sm", "グロ", "女の子"}), "zh": frozenset({"性"})}


def badwords_url(lang: str) -> str:
    """Where the reference fetches the list file of `lang` (one of BADWORDS_LANGS)."""
    return EN_BADWORDS_URL if lang == "en" else BADWORDS_URL.format(lang=lang)


def merge_badwords(files: dict[str, list[str]], allowlist: bool) -> dict[str, list[str]]:
    """Per-language word lists from per-file lists, as `c4.py` builds them: a file's language
    is its name before the first "-" (`fr-CA-u-sd-caqc` joins `fr`); with `allowlist` (3.1.0)
    the allowlisted subwords are removed."""
    merged: dict[str, set[str]] = {}
    for name, words in files.items():
        merged.setdefault(name.split("-")[0], set()).update(words)
    if allowlist:
        for lang, allowed in BADWORDS_ALLOWLIST.items():
            if lang in merged:
                merged[lang] -= allowed
    return {lang: sorted(words) for lang, words in sorted(merged.items()) if words}


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


def compile_badwords(words: list[str], rule: BadwordsRule, bare: bool = False) -> re.Pattern:
    """The reference's regex. `bare`: the alternation alone, for languages without spaces."""
    if not words:
        raise ValueError("the badwords list is empty")
    if rule is BadwordsRule.LINE_UNESCAPED:
        return re.compile("[^a-z]({})[^a-z]".format("|".join(words)))
    if rule is BadwordsRule.PAGE_ESCAPED:
        words = [re.escape(w) for w in words]
    if bare:
        return re.compile("|".join(words))
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
    `bare` (no word boundaries): a plain substring search for each word.
    """

    def __init__(self, words: list[str], rule: BadwordsRule, bare: bool = False) -> None:
        self._pattern = compile_badwords(words, rule, bare)
        literal = not any(c in _REGEX_META for w in words for c in w)
        self._bare = (
            tuple(words) if bare and literal and rule is not BadwordsRule.LINE_UNESCAPED else None
        )
        self._fast = rule is not BadwordsRule.LINE_UNESCAPED and literal and not bare
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
        if self._bare is not None:
            return any(w in lower_text for w in self._bare)
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
    its language's list is dropped, unless the soft fraction spares it (kept with the detail
    "soft-passed"). A page whose language has no list passes unchecked. `lists`: language ->
    words (`merge_badwords`); `bare_languages`: those matched without word boundaries.

    The verdict's `language` names the list checked ("" if none): the reference counts a checked
    page under both "badwords-filter" and "badwords-filter-<lang>"."""

    def __init__(
        self,
        lists: Mapping[str, Sequence[str]],
        rule: BadwordsRule,
        filter_fraction: float = 1.0,
        bare_languages: Collection[str] = (),
    ) -> None:
        if not 0.0 < filter_fraction <= 1.0:
            raise ValueError("the badwords filter fraction must be in (0, 1]")
        self._matchers = {
            lang: BadwordsMatcher(list(words), rule, bare=lang in bare_languages)
            for lang, words in lists.items()
        }
        self._num, self._den = float.as_integer_ratio(filter_fraction)

    def check(self, page: Page) -> Verdict:
        lang = page.language.split("-")[0]
        matcher = self._matchers.get(lang)
        if matcher is None:
            return keep(page)
        if not matcher.matches(page.text.lower()):
            return keep(page, language=lang)
        if url_hash_int(page.normalized_url) % self._den >= self._num:
            return keep(page, SOFT_PASSED, lang)
        return drop(Reason.BADWORDS, language=lang)
