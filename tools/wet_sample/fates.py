"""What C4 en 3.1.0 does to each line and page of the WET sample, fixed as it is written.

A line's fate is the `clean-page` counter it hits (docs/C4.md §4); a page's label is the
(counter namespace, counter) of the stage that drops it, or its split. `PageDraft` collects the
lines of a page with their fates; `SamplePage` is the finished record.
"""

from __future__ import annotations

import dataclasses

# Line fates: the `clean-page` counter each line hits (docs/C4.md §4).
PASSED = "line-passed"
NO_ENDMARK = "line-filtered:no_endmark"
TOO_SHORT = "line-filtered:too_short"
JAVASCRIPT = "line-filtered:javascript"
POLICY = "line-filtered:policy"
TOO_LONG_WORD = "line-filtered:too_long_word"
LOREM = "filtered:loremipsum"  # the line drops its page
SQUIGGLY = "filtered:squigglybracket"  # the line drops its page
PAGE_KILLS = (LOREM, SQUIGGLY)

# Page labels: (counter namespace, counter) of the stage that drops the page, or its split.
TRAIN = ("train", "examples")
VALIDATION = ("validation", "examples")
TOO_LONG = ("too-long-filter", "filtered")
OLDER_CAPTURE = ("duplicate-url-filter", "filtered")
LOREM_PAGE = ("clean-page", LOREM)
SQUIGGLY_PAGE = ("clean-page", SQUIGGLY)
FEW_SENTENCES = ("clean-page", "filtered:too_few_sentences")
DEDUP_EMPTY = ("dedupe-lines", "filtered:empty")
DEDUP_FEW_SENTENCES = ("dedupe-lines", "filtered:too_few_sentences")
BADWORD = ("badwords-filter", "filtered")


def foreign(lang: str) -> tuple[str, str]:
    """The label of a page in language `lang`, which the English filter drops."""
    return ("english-filter", f"filtered:ignored_language-{lang}")


@dataclasses.dataclass(frozen=True)
class SamplePage:
    """One record of the sample and its fate in C4 en 3.1.0, by construction.

    `lines`: (text, fate) with fate the `clean-page` counter the line hits. `kept`: the
    line as clean_page keeps it (citation markers removed) for each PASSED line, in order.
    """

    url: str
    timestamp: str
    lines: tuple[tuple[str, str], ...]
    kept: tuple[str, ...]
    label: tuple[str, str]

    @property
    def text(self) -> str:
        return "\n".join(line for line, _ in self.lines)


class PageDraft:
    """A page being written: lines with their fates, and the kept form of passed lines."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []
        self.kept: list[str] = []

    def add(self, text: str, fate: str, kept: str | None = None) -> None:
        self.lines.append((text, fate))
        if fate == PASSED:
            self.kept.append(text if kept is None else kept)

    def nav(self, *items: str) -> None:
        for item in items:
            self.add(item, NO_ENDMARK)

    def prose(self, text: str) -> None:
        self.add(text, PASSED)

    def title(self, text: str) -> None:
        """A headline: dropped for its missing end mark, unless it is a question."""
        if not text.endswith("?"):
            self.add(text, NO_ENDMARK)
        elif len(text.split()) >= 5:
            self.add(text, PASSED)
        else:
            self.add(text, TOO_SHORT)
