"""`clean_page`: the line and page heuristics of C4 (docs/C4.md §4; Raffel et al. 2019, §2.2).

Per line (after `str.splitlines`), in the reference's order: strip; drop a line holding a word
of more than 1000 characters; remove citations (the line is not re-stripped); drop a line not
ending in . ? ! " or ending in "..."; drop a line of fewer than 5 words; "lorem ipsum" drops the
page; "javascript" drops the line; "{" drops the page; policy phrases drop the line; [2.2.0: a
badword drops the page]; otherwise keep the line and count its Punkt sentences. A page with
fewer than 3 sentences is dropped; else its text is the kept lines joined by "\n", stripped.
The page verdict is returned (`corpus.verdict`); the line verdicts are counted through `count`.

Every kept line holds at least one sentence, so Punkt only runs on pages that kept fewer lines
than `min_num_sentences`, and stops once it has counted enough (see `sentences.py`).
"""

from __future__ import annotations

import dataclasses
import re

from c4forge.corpus.page import CountFn, Page
from c4forge.corpus.sentences import SentenceCounter
from c4forge.corpus.verdict import Reason, Verdict, drop, keep

CITATION_RE = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
END_MARKS = (".", "?", "!", '"')
ELLIPSIS = "..."
_MAY_END = frozenset('.?!"]')
POLICY_SUBSTRINGS = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)


@dataclasses.dataclass(frozen=True)
class CleanConfig:
    min_words_per_line: int = 5
    min_num_sentences: int = 3
    max_word_length: int = 1000


def clean_page(
    page: Page,
    count: CountFn,
    sentences: SentenceCounter,
    config: CleanConfig = CleanConfig(),
    badword_line_re: re.Pattern | None = None,
) -> Verdict:
    """Keeps the cleaned page or drops it. Counts the reference's "clean-page" line names.

    `badword_line_re`: 2.2.0 only, searched in each lower-cased line that passed the policy rule.
    """
    valid_lines: list[str] = []
    max_word = config.max_word_length
    min_words = config.min_words_per_line
    need = config.min_num_sentences
    lines = page.text.splitlines()
    # Most lines fail the end-mark rule. A line can only pass it if, stripped, it ends with an
    # end mark or with "]" (citation removal may uncover one), and only a line of more than
    # `max_word` characters can hold a too-long word, which is checked first. The others are
    # counted in bulk: all of them, or, when a page is dropped at line i, those before i.
    candidates = [
        i for i, ln in enumerate(lines) if ln.rstrip()[-1:] in _MAY_END or len(ln) > max_word
    ]
    # Line counters, flushed once: [too_long_word, no_endmark, too_short, javascript, policy].
    n = [0, 0, 0, 0, 0]
    for k, i in enumerate(candidates):
        line = lines[i].strip()
        if len(line) > max_word and any(len(w) > max_word for w in line.split()):
            n[0] += 1
            continue
        if "[" in line:
            line = CITATION_RE.sub("", line)
        if not line.endswith(END_MARKS) or line.endswith(ELLIPSIS):
            n[1] += 1
            continue
        if len(line.split()) < min_words:
            n[2] += 1
            continue
        line_lower = line.lower()
        if "lorem ipsum" in line_lower:
            return _drop(count, n, valid_lines, i - k, Reason.LOREMIPSUM)
        if "javascript" in line_lower:
            n[3] += 1
            continue
        if "{" in line:
            return _drop(count, n, valid_lines, i - k, Reason.SQUIGGLYBRACKET)
        if any(p in line_lower for p in POLICY_SUBSTRINGS):
            n[4] += 1
            continue
        if badword_line_re is not None and badword_line_re.search(line_lower):
            return _drop(count, n, valid_lines, i - k, Reason.BADWORD_LINE)
        valid_lines.append(line)
    _flush(count, n, valid_lines, len(lines) - len(candidates))
    # Every kept line holds at least one sentence, so Punkt only runs when fewer lines than
    # sentences needed were kept (no other rule depends on the count).
    num_sentences = need if len(valid_lines) >= need else 0
    for line in valid_lines if num_sentences < need else ():
        num_sentences += sentences.count(line, need - num_sentences)
    if num_sentences < need:
        return drop(Reason.TOO_FEW_SENTENCES)
    return keep(page._replace(text="\n".join(valid_lines).strip()))


_LINE_COUNTERS = (
    "line-filtered:too_long_word",
    "line-filtered:no_endmark",
    "line-filtered:too_short",
    "line-filtered:javascript",
    "line-filtered:policy",
)


def _flush(count: CountFn, n: list[int], valid_lines: list[str], skipped: int) -> None:
    """Counts the line verdicts so far; `skipped` more lines failed the end-mark rule."""
    n[1] += skipped
    for name, value in zip(_LINE_COUNTERS, n, strict=True):
        if value:
            count(name, value)
    if valid_lines:
        count("line-passed", len(valid_lines))


def _drop(
    count: CountFn, n: list[int], valid_lines: list[str], skipped: int, reason: Reason
) -> Verdict:
    _flush(count, n, valid_lines, skipped)
    return drop(reason)
