"""Shared by the WET tests: record and page builders, the parse helper, the hand-made inputs."""

from __future__ import annotations

import gzip
import io

from hypothesis import HealthCheck, settings

from c4forge.corpus import wet
from c4forge.corpus.page import Tally

import c4_testing

DATE = "2019-04-18T10:38:25Z"
DATE2 = "2020-01-01T00:00:00Z"
CTYPE = "text/plain"
WARCINFO = (
    "WARC/1.0\nWARC-Type: warcinfo\nWARC-Date: 2019-04-26T19:04:32Z\n"
    "WARC-Filename: wet_0.warc.wet.gz\nContent-Type: application/warc-fields\n"
    "Content-Length: 100\n\nisPartOf: CC-MAIN-2019-18\npublisher: Common Crawl\n\n\n"
)
DAMAGE_COUNTERS = (
    "corrupt-gzip-member",
    "truncated-gzip",
    "invalid-utf8-line",
    "line-too-long",
    "filtered:damaged_record",
)
OUTCOMES = (
    "passed",
    "filtered:no_url",
    "filtered:no_content",
    "filtered:no_timestamp",
    "filtered:damaged_record",
)

HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Corruption properties are run derandomized so that the suite's outcome is stable.
HYPOTHESIS_FIXED = settings(HYPOTHESIS, derandomize=True)


def record(url: str | None, body: str, date: str | None = DATE, nl: str = "\n") -> str:
    """One conversion record; `url`/`date` None leave the header line out."""
    lines = ["WARC/1.0", "WARC-Type: conversion"]
    if url is not None:
        lines.append(f"WARC-Target-URI: {url}")
    if date is not None:
        lines.append(f"WARC-Date: {date}")
    lines += [f"Content-Type: {CTYPE}", f"Content-Length: {len(body.encode())}", ""]
    return nl.join([*lines, body, "", ""])


def page(url, normalized, text, timestamp=DATE, content_type=CTYPE, content_length=None):
    """The expected fields of an emitted page."""
    if content_length is None:
        content_length = str(len(text.encode()))
    return (url, normalized, text, timestamp, content_type, content_length)


def fields(p) -> tuple:
    """(url, normalized_url, text, timestamp, content_type, content_length) of either our Page
    or the reference's PageFeatures."""
    return (p.url, p.normalized_url, p.text, p.timestamp, p.content_type, p.content_length)


def parse(data: bytes, **kwargs) -> tuple[list[tuple], dict]:
    tally = Tally()
    pages = [fields(p) for p in wet.split_wet_stream(io.BytesIO(data), tally, **kwargs)]
    return pages, tally.counts


def gzip_members(parts: list[bytes]) -> bytes:
    return b"".join(gzip.compress(p, mtime=0) for p in parts)


A, A_N = "http://a.com/1/", "a.com/1"
B, B_N = "https://www.b.com/x?utm_source=y", "b.com/x"

WARC_BODY = "WARCRAFT is a game.\nWarcraft stays.\nWARC\nkept"
CONTENT_BODY = "Content-Free text.\nCONTENT-X y\ncontent-lower kept\nContent kept"
STRIP_BODY = "\xa0\u3000text one\x1c\x1d\x1e\x1f\x85\x0b\x0c \t"
SEPARATORS = "a\x1cb\x1dc\x1ed\x85e\u2028f\u2029g\x0bh\x0ci"


def cl(body: str) -> str:
    """The Content-Length header `record` writes for a body."""
    return str(len(body.encode()))


GOOD = [(f"http://ex.com/{i}", DATE, f"Line one of page {i}.\nSecond line {i}.") for i in range(4)]


def _records(specs=GOOD) -> list[bytes]:
    """The warcinfo record, then one CRLF conversion record per spec, as bytes."""
    return [c4_testing.WARCINFO.encode()] + [c4_testing.wet_record(*s).encode() for s in specs]


def _expected_page(spec) -> tuple:
    url, date, text = spec
    norm = url.removeprefix("http://")
    return page(url, norm, text.replace("\r\n", "\n"), date, content_length=str(len(text.encode())))


ALL_GOOD_PAGES = [_expected_page(s) for s in GOOD]
