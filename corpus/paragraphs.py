"""mC4's paragraph filter, the reference `paragraph_filter` (docs/C4.md §8).

A page is kept iff its text has at least 3 lines ("paragraphs", split on "\\n" only) and its 3
longest lines have at least 200 code points each. It runs after URL dedup, before line dedup.
"""

from __future__ import annotations

import heapq

from c4forge.corpus.page import Page
from c4forge.corpus.verdict import Reason, Verdict, drop, keep

MIN_PARAGRAPHS = 3
MIN_PARAGRAPH_CHARS = 200


def check_paragraphs(
    page: Page,
    min_paragraphs: int = MIN_PARAGRAPHS,
    min_paragraph_chars: int = MIN_PARAGRAPH_CHARS,
) -> Verdict:
    lines = page.text.split("\n")
    if len(lines) < min_paragraphs:
        return drop(Reason.TOO_FEW_PARAGRAPHS)
    # The reference's min(nlargest(3, lengths)): the third longest line decides.
    if min(heapq.nlargest(min_paragraphs, map(len, lines))) < min_paragraph_chars:
        return drop(Reason.TOO_FEW_PARAGRAPHS)
    return keep(page)
