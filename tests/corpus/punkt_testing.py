"""Shared by the Punkt tests: the shared data texts and the differential check against NLTK."""

from __future__ import annotations

import gzip
import json
import os
import random
from functools import cache

from hypothesis import HealthCheck, settings

from c4forge.corpus.sentences import SentenceCounter

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
