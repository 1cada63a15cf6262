"""Keys and the per-page step of the two dedup stages (docs/C4.md §1, §5).

URL dedup keeps one page per normalized URL (`url_survivor_key`: the largest key wins).
Line dedup keeps each line (keyed by md5 of the stripped, lower-cased line) only in the page
whose URL has the smallest md5; a line repeated within one page is kept once (2.3.0+). The
reference compares md5 hex strings; we compare the 16-byte digests, which order the same way.
"""

from __future__ import annotations

import hashlib

from c4forge.corpus.page import CountFn, Page
from c4forge.corpus.sentences import SentenceCounter
from c4forge.corpus.verdict import Reason, Verdict, drop, keep
from c4forge.corpus.versions import UrlSurvivor, VersionRules


def url_survivor_key(page: Page, rule: UrlSurvivor) -> tuple:
    """Among pages with one normalized URL, the page with the largest key survives."""
    text_md5 = hashlib.md5(page.text.encode("utf-8")).digest()
    if rule is UrlSurvivor.NEWEST:
        return (page.timestamp, text_md5, page.url, page.content_type, page.content_length)
    return (text_md5, page.timestamp, page.url, page.content_type, page.content_length)


def url_survivor(a: Page, b: Page, rule: UrlSurvivor) -> Page:
    """The page that survives URL dedup of the two (keys are computed only on collisions)."""
    return b if url_survivor_key(b, rule) > url_survivor_key(a, rule) else a


def line_key(line: str, on_bytes: bool = False) -> bytes:
    """md5 of the line as the reference hashes it: `str` strip/lower (3.x) or, in 2.2.0, bytes
    strip/lower, which fold ASCII only."""
    if on_bytes:
        return hashlib.md5(line.encode("utf-8").strip().lower()).digest()
    return hashlib.md5(line.strip().lower().encode("utf-8")).digest()


def line_keys(page: Page, rules: VersionRules) -> set[bytes]:
    """The distinct line keys of a page (a page offers each line once to the survivor vote)."""
    return set(_keys(page.text.split("\n"), rules.line_hash_on_bytes))


def _keys(lines: list[str], on_bytes: bool) -> list[bytes]:
    """`line_key` of each line (inlined: this runs once or twice for every line of the corpus)."""
    md5 = hashlib.md5
    if on_bytes:
        return [md5(line.encode("utf-8").strip().lower()).digest() for line in lines]
    return [md5(line.strip().lower().encode("utf-8")).digest() for line in lines]


def line_owner_rank(page: Page, rules: VersionRules) -> bytes:
    """The page's rank in the line-survivor vote: the smallest rank keeps the line."""
    url = page.url if rules.line_survivor_on_raw_url else page.normalized_url
    return hashlib.md5(url.encode("utf-8")).digest()


def remove_duplicate_lines(
    page: Page,
    kept_keys: set[bytes],
    count: CountFn,
    sentences: SentenceCounter,
    rules: VersionRules,
    min_num_sentences: int,
) -> Verdict:
    """Keeps the page without the lines another page owns (and, 2.3.0+, without repeats).

    Counts the reference's "dedupe-lines" line names; drops the page if it ends up empty or,
    when `min_num_sentences` is set, with fewer Punkt sentences in its whole text.
    """
    lines = page.text.split("\n")
    drop_local = rules.drop_local_duplicate_lines
    new_lines: list[str] = []
    seen: set[bytes] = set()
    n_global = n_local = 0
    for line, key in zip(lines, _keys(lines, rules.line_hash_on_bytes), strict=True):
        if key not in kept_keys:
            n_global += 1
        elif drop_local and key in seen:
            n_local += 1
        else:
            new_lines.append(line)
            seen.add(key)
    for name, value in (
        ("line-filtered:global_duplicate", n_global),
        ("line-filtered:local_duplicate", n_local),
        ("line-passed", len(new_lines)),
    ):
        if value:
            count(name, value)
    new_text = "\n".join(new_lines)
    if rules.drop_empty_after_dedup and not new_text:
        return drop(Reason.EMPTY)
    if min_num_sentences and sentences.count(new_text, min_num_sentences) < min_num_sentences:
        return drop(Reason.TOO_FEW_SENTENCES)
    return keep(page._replace(text=new_text))
