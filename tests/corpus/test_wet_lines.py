"""Tests of corpus/wet.py: pages and counters independent of chunk sizes and read sizes, the
line reader against `io.TextIOWrapper`, and generated WET files against the reference
`split_wet_file` (docs/C4.md §3)."""

from __future__ import annotations

import gzip
import io
import itertools
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wet_testing import (
    A_N,
    DATE,
    DATE2,
    HYPOTHESIS,
    HYPOTHESIS_FIXED,
    WARCINFO,
    A,
    cl,
    fields,
    gzip_members,
    page,
    parse,
    record,
)

from c4forge.corpus import wet
from c4forge.corpus.page import Tally

import c4_testing

# --- chunk boundaries and the line reader ----------------------------------------------------

CRLF_TEXT = WARCINFO.replace("\n", "\r\n") + record(A, "é one\rtwo\r\n\r\nthree", nl="\r\n")
CRLF_PAGES = [page(A, A_N, "é one\ntwo\nthree", content_length=cl("é one\rtwo\r\n\r\nthree"))]


@pytest.mark.parametrize("chunk_bytes", [*range(3, 24), 64, 127, 128, 1 << 20])
@pytest.mark.parametrize("compression", ["gzip", "plain", "gzip_per_line"])
def test_pages_do_not_depend_on_chunk_size(chunk_bytes, compression, monkeypatch):
    data = CRLF_TEXT.encode()
    if compression == "gzip":
        data = gzip.compress(data, mtime=0)
    elif compression == "gzip_per_line":  # a member ends between "\r" and "\n"
        data = gzip_members([p + b"\r" for p in data.split(b"\r")[:-1]] + [data.split(b"\r")[-1]])
    monkeypatch.setattr(wet, "CHUNK_BYTES", chunk_bytes)
    pages, counts = parse(data)
    assert pages == CRLF_PAGES
    assert counts["passed"] == 1


@pytest.mark.parametrize("chunk_bytes", [1, 4, 8])
def test_counters_do_not_depend_on_chunk_size(chunk_bytes, monkeypatch):
    monkeypatch.setattr(wet, "CHUNK_BYTES", chunk_bytes)
    data = record(A, "Hello world.").encode()
    assert parse(data) == ([page(A, A_N, "Hello world.")], {"wet-file": 1, "passed": 1})


def _lines(items) -> list:
    """`iter_lines` output as a flat list of lines and `Damage`s (it may yield lines in blocks)."""
    out: list = []
    for item in items:
        if isinstance(item, list):
            out.extend(item)
        else:
            out.append(item)
    return out


class ShortReads(io.RawIOBase):
    """A raw stream whose reads return at most `most` bytes, as raw and network streams may."""

    def __init__(self, data: bytes, most: int) -> None:
        self._data, self._pos, self._most = data, 0, most

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = min(len(buf), self._most, len(self._data) - self._pos)
        buf[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


@pytest.mark.parametrize(("most", "chunk_bytes"), [(2, 1 << 20), (1, 1 << 20), (1 << 20, 2)])
def test_gzip_detected_whatever_the_first_read_returns(most, chunk_bytes, monkeypatch):
    monkeypatch.setattr(wet, "CHUNK_BYTES", chunk_bytes)
    data = gzip.compress(CRLF_TEXT.encode(), mtime=0)
    tally = Tally()
    pages = [fields(p) for p in wet.split_wet_stream(ShortReads(data, most), tally)]
    assert pages == CRLF_PAGES


def test_short_reads_after_the_magic_are_fine():
    data = gzip.compress(CRLF_TEXT.encode(), mtime=0)
    tally = Tally()
    stream = ShortReads(data, 5)
    pages = [fields(p) for p in wet.split_wet_stream(stream, tally)]
    assert pages == CRLF_PAGES
    assert tally.counts["passed"] == 1  # the other counters: see the chunk-size xfail


def _stdlib_lines(data: bytes) -> list[str]:
    """The reference's reader: TextIOWrapper, universal newlines, terminator removed."""
    reader = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=None)
    return [line.removesuffix("\n") for line in reader]


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([b"a\r", b"\nb"], ["a", "b"]),
        ([b"a\r", b"b"], ["a", "b"]),
        ([b"a\r", b"\r\n"], ["a", ""]),
        ([b"a\r\n\r\nb\n"], ["a", "", "b"]),
        ([b"a\n\r", b"b"], ["a", "", "b"]),
        ([b"\xc3", b"\xa9\n"], ["é"]),
        ([b"a\xe2\x80", b"\xa8b\n"], ["a\u2028b"]),
        ([b"a\x1cb\xc2\x85c\x0bd\x0ce\n"], ["a\x1cb\x85c\x0bd\x0ce"]),
        ([b"x\n", b"y\n", b"z"], ["x", "y", "z"]),
    ],
    ids=[
        "crlf_split",
        "cr_at_chunk_end",
        "cr_then_crlf",
        "crlf_blank",
        "lf_cr",
        "utf8_split",
        "u2028_split",
        "no_unicode_breaks",
        "no_final_newline",
    ],
)
def test_iter_lines_cases(chunks, expected):
    assert _stdlib_lines(b"".join(chunks)) == expected  # the hand value is the stdlib's too
    tally = Tally()
    # Blank lines are compared apart: parse_wet skips them (see the chunk-size xfail above).
    got = _lines(wet.iter_lines(chunks, tally))
    assert [x for x in got if x] == [x for x in expected if x]
    assert got.count("") >= expected.count("")
    assert tally.counts == {}


LINE_TEXT = st.text(
    alphabet=st.sampled_from(["a", "é", "\u2028", "\x85", "\x1c", " ", "\r", "\n"]),
    max_size=40,
)


@settings(HYPOTHESIS)
@given(text=LINE_TEXT, cuts=st.lists(st.integers(0, 200), max_size=6))
def test_iter_lines_equals_text_io_wrapper(text, cuts):
    data = text.encode()
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    chunks = [data[i:j] for i, j in itertools.pairwise(points) if j > i]
    expected = _stdlib_lines(data)
    got = _lines(wet.iter_lines(chunks))
    # Non-blank lines equal, in order (blank ones, which parse_wet skips, see the xfail above).
    assert [x for x in got if x] == [x for x in expected if x]
    if len(chunks) == 1 and b"\n" in data.rstrip(b"\r"):
        assert got[: len(expected)] == expected


def test_iter_decompressed_multi_member_and_plain():
    parts = [b"first part\n", b"", b"second \xc3", b"\xa9 part\n"]
    joined = b"".join(parts)
    tally = Tally()
    assert b"".join(wet.iter_decompressed(io.BytesIO(gzip_members(parts)), tally)) == joined
    assert b"".join(wet.iter_decompressed(io.BytesIO(joined), tally)) == joined
    assert tally.counts == {}


# --- differential: generated WET files ---------------------------------------------------------

HEADER_LINES = st.sampled_from(
    [
        "WARC/1.0",
        " WARC/1.0\t",
        "\ufeffWARC/1.0",
        "WARC/1.1",
        "WARC-Type: conversion",
        f"WARC-Date: {DATE}",
        f"WARC-Date: {DATE2}",
        "WARC-Date:",
        "Content-Type: text/plain",
        "Content-Length: 12",
        "CONTENT-LENGTH: 3",
        "content-type: lower",
        "Content-",
        "WARCRAFT forever.",
        "WARC",
        "",
        " \t",
        "\xa0\u3000\x1c\x1f\x85",
    ]
)
URLS = st.sampled_from(["http://a.com/1/", "https://www.b.com/?ref=x", "", " c.org "])
BODY_TEXT = st.text(max_size=15)
WET_LINE = st.one_of(
    HEADER_LINES,
    URLS.map(lambda u: "WARC-Target-URI:" + u),
    URLS.map(lambda u: "WARC-Target-URI: " + u),
    BODY_TEXT,
)
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])


DELIMITERS = st.sampled_from(["WARC/1.0", "WARC/1.0", "WARC/1.0", " WARC/1.0\t", "\ufeffWARC/1.0"])
MAYBE = st.sampled_from([True, True, False])


@st.composite
def wet_texts(draw) -> str:
    """Records shaped like WET ones (delimiter, some header lines, blank, body) whose header and
    body lines are both drawn from the whole mix, with random line ends."""
    lines = [draw(st.sampled_from(["", " ", "stray text"]))] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 4))):
        lines.append(draw(DELIMITERS))
        if draw(MAYBE):
            lines.append("WARC-Target-URI: " + draw(URLS))
        if draw(MAYBE):
            lines.append(f"WARC-Date: {draw(st.sampled_from([DATE, DATE2, '']))}")
        lines += draw(st.lists(HEADER_LINES, max_size=2))
        lines.append("")
        lines += draw(st.lists(WET_LINE, max_size=6))
    return "".join(line + draw(NEWLINES) for line in lines)


@pytest.mark.reference
@settings(HYPOTHESIS)
@given(text=wet_texts())
def test_generated_wet_equals_reference(text, reference_split):
    data = text.encode("utf-8")
    expected = reference_split(data)
    assert parse(data) == expected
    assert parse(gzip.compress(data, mtime=0)) == expected


@pytest.mark.reference
@settings(HYPOTHESIS)
@given(
    text=wet_texts(),
    cuts=st.lists(st.integers(0, 400), max_size=5),
    chunk_bytes=st.sampled_from([3, 5, 64, 1 << 20]),  # < 3: see the gzip-magic xfail
)
def test_generated_wet_pages_equal_reference_for_any_members_and_chunks(
    text, cuts, chunk_bytes, reference_split
):
    """Gzip members split at arbitrary bytes (even inside a UTF-8 character) and any chunk size
    give the reference's pages."""
    data = text.encode("utf-8")
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    members = gzip_members([data[i:j] for i, j in itertools.pairwise(points)])
    expected_pages, expected_counts = reference_split(data)
    with mock.patch.object(wet, "CHUNK_BYTES", chunk_bytes):
        pages, counts = parse(members)
    assert pages == expected_pages
    assert counts.get("passed", 0) == expected_counts.get("passed", 0)


@pytest.mark.reference
@settings(HYPOTHESIS_FIXED)
@given(
    text=wet_texts(),
    cuts=st.lists(st.integers(0, 400), max_size=5),
    chunk_bytes=st.sampled_from([3, 5, 64, 1 << 20]),  # < 3: see the gzip-magic xfail
)
def test_generated_wet_counters_equal_reference_for_any_members_and_chunks(
    text, cuts, chunk_bytes, reference_split
):
    data = text.encode("utf-8")
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    members = gzip_members([data[i:j] for i, j in itertools.pairwise(points)])
    with mock.patch.object(wet, "CHUNK_BYTES", chunk_bytes):
        got = parse(members)
    assert got == reference_split(data)


@pytest.mark.reference
def test_dolma_wet_equals_reference(dolma_wet, reference_split):
    data = dolma_wet.read_bytes()
    expected = reference_split(data, raw=True)
    assert len(expected[0]) > 600  # 697 records; the reference drops some as no_content
    assert parse(data) == expected


@pytest.mark.reference
@pytest.mark.parametrize("name", ["cc_0.warc.wet.gz", "cc_1.warc.wet.gz"])
def test_tfds_fixture_equals_reference(name, shared_data, reference_split):
    data = (c4_testing.FIXTURE_WET / name).read_bytes()
    assert parse(data) == reference_split(data, raw=True)
