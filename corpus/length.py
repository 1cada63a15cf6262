"""The reference's first page filter, `is_valid_length` (docs/C4.md §2): a page of more than
190,000 code points (1.9e5) is dropped."""

from __future__ import annotations

from c4forge.corpus.page import Page
from c4forge.corpus.verdict import Reason, Verdict, drop, keep
from c4forge.corpus.wet import DEFAULT_MAX_PAGE_CHARS


def check_length(page: Page, max_page_chars: int = DEFAULT_MAX_PAGE_CHARS) -> Verdict:
    if len(page.text) > max_page_chars:
        return drop(Reason.TOO_LONG)
    return keep(page)
