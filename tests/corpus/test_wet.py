"""Tests of corpus/wet.py: WET parsing as the reference `split_wet_file` (docs/C4.md §3), and the
damage handling where the reference would fail the whole file.

Expected pages and counters of the table tests are derived by hand from §3; the same inputs are
also run through TFDS `c4_utils.split_wet_file` (differential). Bad-input tests derive their
expectations from how the file was built (which records are intact) and, where a premise is about
gzip itself, from `zlib` directly, never from the code under test.
"""

from __future__ import annotations

import gzip
import io
import itertools
import random
import zlib
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import wet
from corpus.page import Tally

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


@pytest.fixture(scope="module")
def reference_split(tmp_path_factory):
    """Runs TFDS `c4_utils.split_wet_file` on bytes (gzipped unless `raw`): (pages, counters)."""
    from tensorflow_datasets.text import c4_utils

    path = tmp_path_factory.mktemp("reference_wet") / "file.warc.wet.gz"

    def run(data: bytes, raw: bool = False) -> tuple[list[tuple], dict]:
        path.write_bytes(data if raw else gzip.compress(data, mtime=0))
        tally = Tally()
        pages = [fields(p) for p in c4_utils.split_wet_file(str(path), counter_inc_fn=tally)]
        return pages, tally.counts

    return run


# --- the quirks of §3, by hand ---------------------------------------------------------------

A, A_N = "http://a.com/1/", "a.com/1"
B, B_N = "https://www.b.com/x?utm_source=y", "b.com/x"

WARC_BODY = "WARCRAFT is a game.\nWarcraft stays.\nWARC\nkept"
CONTENT_BODY = "Content-Free text.\nCONTENT-X y\ncontent-lower kept\nContent kept"
STRIP_BODY = "\xa0\u3000text one\x1c\x1d\x1e\x1f\x85\x0b\x0c \t"
SEPARATORS = "a\x1cb\x1dc\x1ed\x85e\u2028f\u2029g\x0bh\x0ci"


def cl(body: str) -> str:
    """The Content-Length header `record` writes for a body."""
    return str(len(body.encode()))


# (id, WET text, expected pages, expected counters) for 3.1.0 (require_timestamp=True).
QUIRKS = [
    (
        "one_record",
        record(A, "Hello world."),
        [page(A, A_N, "Hello world.")],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "warcinfo_dropped_no_url",
        WARCINFO + record(A, "Hello world."),
        [page(A, A_N, "Hello world.")],
        {"wet-file": 1, "filtered:no_url": 1, "passed": 1},
    ),
    (
        "blank_first_line_makes_delimiter_emit_empty_page",
        "\n" + record(A, "Hello world."),
        [page(A, A_N, "Hello world.")],
        {"wet-file": 1, "filtered:no_url": 1, "passed": 1},
    ),
    (
        "whitespace_first_line_counts_as_a_line",
        " \t\xa0\u3000\n" + record(A, "Hello world."),
        [page(A, A_N, "Hello world.")],
        {"wet-file": 1, "filtered:no_url": 1, "passed": 1},
    ),
    (
        "stray_text_before_first_record",
        "stray text\n" + record(A, "Hello world."),
        [page(A, A_N, "Hello world.")],
        {"wet-file": 1, "filtered:no_url": 1, "passed": 1},
    ),
    (
        "blank_and_whitespace_lines_skipped",
        record(A, "one\n\n \n\t\x0b\x0c\n\xa0\u3000\ntwo"),
        [page(A, A_N, "one\ntwo", content_length=cl("one\n\n \n\t\x0b\x0c\n\xa0\u3000\ntwo"))],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "body_lines_starting_with_WARC_dropped",
        record(A, WARC_BODY),
        [page(A, A_N, "Warcraft stays.\nkept", content_length=cl(WARC_BODY))],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "body_lines_starting_with_Content_dash_dropped",
        record(A, CONTENT_BODY),
        [page(A, A_N, "content-lower kept\nContent kept", content_length=cl(CONTENT_BODY))],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "body_target_uri_overwrites_url",
        record(A, f"before\nWARC-Target-URI: {B}\nafter"),
        [page(B, B_N, "before\nafter", content_length=cl(f"before\nWARC-Target-URI: {B}\nafter"))],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "body_target_uri_without_space",
        record(A, "WARC-Target-URI:x.org/\ntext"),
        [page("x.org/", "x.org", "text", content_length=cl("WARC-Target-URI:x.org/\ntext"))],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "body_date_type_length_overwrite",
        record(A, f"WARC-Date: {DATE2}\nContent-Type: foo/bar\nContent-Length: 99\ntext"),
        [page(A, A_N, "text", timestamp=DATE2, content_type="foo/bar", content_length="99")],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "body_delimiter_splits_record",
        record(A, "first\nWARC/1.0\nsecond") + record(B, "third"),
        [
            page(A, A_N, "first", content_length=cl("first\nWARC/1.0\nsecond")),
            page(B, B_N, "third"),
        ],
        {"wet-file": 1, "passed": 2, "filtered:no_url": 1},
    ),
    (
        "padded_delimiter_still_splits",
        record(A, "first\n \tWARC/1.0\xa0\nsecond"),
        [page(A, A_N, "first", content_length=cl("first\n \tWARC/1.0\xa0\nsecond"))],
        {"wet-file": 1, "passed": 1, "filtered:no_url": 1},
    ),
    (
        "WARC_1_1_is_metadata_not_delimiter",
        record(A, "WARC/1.1\ntext"),
        [page(A, A_N, "text", content_length=cl("WARC/1.1\ntext"))],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "bom_hides_first_delimiter",
        "\ufeff" + record(A, "Hello."),
        [page(A, A_N, "\ufeffWARC/1.0\nHello.", content_length="6")],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "no_content",
        record(A, "") + record(B, "x"),
        [page(B, B_N, "x")],
        {"wet-file": 1, "filtered:no_content": 1, "passed": 1},
    ),
    (
        "no_timestamp",
        record(A, "text", date=None) + record(B, "x"),
        [page(B, B_N, "x")],
        {"wet-file": 1, "filtered:no_timestamp": 1, "passed": 1},
    ),
    (
        "empty_url_value",
        record("   ", "text"),
        [],
        {"wet-file": 1, "filtered:no_url": 1},
    ),
    (
        "header_values_stripped",
        "WARC/1.0\nWARC-Target-URI:\t http://a.com/1/ \xa0\nWARC-Date:  x \n"
        "Content-Type:\ttext/plain \nContent-Length: 4 \n\ntext\n",
        [page(A, A_N, "text", timestamp="x")],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "unicode_whitespace_stripped",
        record(A, STRIP_BODY),
        [page(A, A_N, "text one", content_length=cl(STRIP_BODY))],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "unicode_line_separators_are_not_reader_line_breaks",
        record(A, SEPARATORS),
        [page(A, A_N, SEPARATORS)],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "later_url_header_wins",
        record(A, "text").replace("WARC-Type: conversion", f"WARC-Target-URI: {B}"),
        [page(A, A_N, "text")],
        {"wet-file": 1, "passed": 1},
    ),
    (
        "empty_input",
        "",
        [],
        {"wet-file": 1, "filtered:no_url": 1},
    ),
    (
        "only_whitespace",
        "\n\r\n \t\n",
        [],
        {"wet-file": 1, "filtered:no_url": 1},
    ),
]
QUIRK_IDS = [q[0] for q in QUIRKS]


@pytest.mark.parametrize(("text", "pages", "counts"), [q[1:] for q in QUIRKS], ids=QUIRK_IDS)
@pytest.mark.parametrize("compression", ["gzip", "plain"])
def test_quirks(text, pages, counts, compression):
    data = text.encode("utf-8")
    if compression == "gzip":
        data = gzip.compress(data, mtime=0)
    assert parse(data) == (pages, counts)


@pytest.mark.reference
@pytest.mark.parametrize(("text", "pages", "counts"), [q[1:] for q in QUIRKS], ids=QUIRK_IDS)
def test_quirks_equal_reference(text, pages, counts, reference_split):
    assert reference_split(text.encode("utf-8")) == (pages, counts)


@pytest.mark.parametrize("nl", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_universal_newlines(nl):
    text = (WARCINFO + record(A, "one\ntwo\n\nthree")).replace("\n", nl)
    expected = [page(A, A_N, "one\ntwo\nthree", content_length=cl("one\ntwo\n\nthree"))]
    assert parse(text.encode()) == (expected, {"wet-file": 1, "filtered:no_url": 1, "passed": 1})


def test_mixed_newlines_and_lf_cr_is_two_breaks():
    # "\n\r" is two line ends (LF, then CR), "\r\n" one; blank lines vanish either way.
    text = "WARC/1.0\rWARC-Target-URI: http://a.com/1/\n\rWARC-Date: x\r\n\r\none\r\rtwo\n"
    assert parse(text.encode()) == (
        [page(A, A_N, "one\ntwo", timestamp="x", content_type="", content_length="")],
        {"wet-file": 1, "passed": 1},
    )


# (id, require_timestamp) -> 2.2.0 and 3.0.1 emit a page without a WARC-Date.
@pytest.mark.parametrize(
    ("require_timestamp", "pages", "counts"),
    [
        (True, [], {"wet-file": 1, "filtered:no_url": 2, "filtered:no_timestamp": 1}),
        (
            False,
            [page(A, A_N, "text", timestamp="")],
            {"wet-file": 1, "filtered:no_url": 2, "passed": 1},
        ),
    ],
    ids=["3.1.0", "2.2.0_3.0.1"],
)
def test_timestamp_rule_per_version(require_timestamp, pages, counts):
    # no_url and no_content are checked before the timestamp in every version.
    text = WARCINFO + record(A, "text", date=None) + record(None, "x", date=None)
    got = parse(text.encode(), require_timestamp=require_timestamp)
    assert got == (pages, counts)
    empty = record(A, "", date=None)
    assert parse(empty.encode(), require_timestamp=require_timestamp) == (
        [],
        {"wet-file": 1, "filtered:no_content": 1},
    )


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


# --- bad input: the reference fails the file, we lose only the damaged record ----------------

GOOD = [(f"http://ex.com/{i}", DATE, f"Line one of page {i}.\nSecond line {i}.") for i in range(4)]


def _records(specs=GOOD) -> list[bytes]:
    """The warcinfo record, then one CRLF conversion record per spec, as bytes."""
    return [c4_testing.WARCINFO.encode()] + [c4_testing.wet_record(*s).encode() for s in specs]


def _expected_page(spec) -> tuple:
    url, date, text = spec
    norm = url.removeprefix("http://")
    return page(url, norm, text.replace("\r\n", "\n"), date, content_length=str(len(text.encode())))


ALL_GOOD_PAGES = [_expected_page(s) for s in GOOD]


@pytest.mark.reference
@pytest.mark.parametrize(
    ("damage", "error"),
    [
        ("truncated", EOFError),
        ("invalid_utf8", UnicodeDecodeError),
        ("plain", gzip.BadGzipFile),
    ],
)
def test_reference_fails_whole_file(damage, error, reference_split):
    parts = _records()
    if damage == "truncated":
        data = gzip_members(parts)[:-20]
    elif damage == "invalid_utf8":
        data = gzip_members([*parts[:2], parts[2].replace(b"Line", b"L\xffne"), *parts[3:]])
    else:
        data = b"".join(parts)
    with pytest.raises(error):
        reference_split(data, raw=True)


@pytest.mark.parametrize("compression", ["gzip", "plain"])
@pytest.mark.parametrize(
    ("where", "bad"),
    [
        ("body", lambda r: r.replace(b"Line one", b"Line \xff one")),
        ("url", lambda r: r.replace(b"ex.com/1", b"ex.com/\xc3(")),
        ("lone_continuation", lambda r: r.replace(b"Second", b"\x80Second")),
        ("surrogate", lambda r: r.replace(b"Second", b"\xed\xa0\x80Second")),
        ("overlong", lambda r: r.replace(b"Second", b"\xc0\xafSecond")),
    ],
)
def test_invalid_utf8_drops_only_its_record(where, bad, compression):
    parts = _records()
    parts[2] = bad(parts[2])  # GOOD[1]
    data = gzip_members(parts) if compression == "gzip" else b"".join(parts)
    pages, counts = parse(data)
    assert pages == [ALL_GOOD_PAGES[i] for i in (0, 2, 3)]
    assert counts == {
        "wet-file": 1,
        "filtered:no_url": 1,
        "passed": 3,
        "invalid-utf8-line": 1,
        "filtered:damaged_record": 1,
    }


def test_invalid_utf8_in_last_line_without_newline_is_counted():
    data = (record(A, "Hello.") + record(B, "x")).encode() + b"bad \xff line"
    pages, counts = parse(data)
    assert pages == [page(A, A_N, "Hello.")]
    assert counts == {
        "wet-file": 1,
        "passed": 1,
        "invalid-utf8-line": 1,
        "filtered:damaged_record": 1,
    }


# The first chunk here holds the first "WARC/1.0\r\n" (see the chunk-size xfail above).
@pytest.mark.parametrize(
    ("compression", "chunk_bytes"),
    [("plain", 16), ("plain", 1 << 20), ("gzip", 1 << 20)],
)
def test_over_long_line_drops_only_its_record(chunk_bytes, compression, monkeypatch):
    monkeypatch.setattr(wet, "CHUNK_BYTES", chunk_bytes)
    specs = list(GOOD)
    specs[1] = (GOOD[1][0], DATE, "short line.\n" + "x" * 300 + "\nafter the long line.")
    parts = _records(specs)
    data = gzip_members(parts) if compression == "gzip" else b"".join(parts)
    pages, counts = parse(data, max_line_bytes=100)
    assert pages == [ALL_GOOD_PAGES[i] for i in (0, 2, 3)]
    assert counts == {
        "wet-file": 1,
        "filtered:no_url": 1,
        "passed": 3,
        "line-too-long": 1,
        "filtered:damaged_record": 1,
    }


@pytest.mark.parametrize("chunk_bytes", [16, 1 << 20])
def test_line_of_exactly_max_line_bytes_is_kept(chunk_bytes, monkeypatch):
    monkeypatch.setattr(wet, "CHUNK_BYTES", chunk_bytes)
    body = "y" * 100
    data = record(A, body).encode()
    assert parse(data, max_line_bytes=100) == ([page(A, A_N, body)], {"wet-file": 1, "passed": 1})
    pages, counts = parse(record(A, body + "y").encode(), max_line_bytes=100)
    assert (pages, counts["line-too-long"]) == ([], 1)


def _aligned_record(body: str, chunk_bytes: int) -> bytes:
    """A CRLF record whose body line starts exactly at a multiple of `chunk_bytes`."""
    head = (
        record(A, "", nl="\r\n")
        .removesuffix("\r\n\r\n")
        .replace("Content-Length: 0", f"Content-Length: {len(body.encode())}")
    )
    # The pad is a "WARC-" header: a metadata line, so it never becomes page text.
    pad = -(len(head) + len("WARC-Pad: \r\n")) % chunk_bytes
    head = head.replace(
        "WARC-Type: conversion\r\n", f"WARC-Type: conversion\r\nWARC-Pad: {'p' * pad}\r\n"
    )
    data = (head + body + "\r\n\r\n").encode()
    assert data.index(body.encode()) % chunk_bytes == 0
    return data


def test_crlf_line_of_exactly_max_line_bytes_at_chunk_end(monkeypatch):
    body = "y" * 100
    monkeypatch.setattr(wet, "CHUNK_BYTES", 101)  # one chunk is exactly the line and its "\r"
    data = _aligned_record(body, 101)
    assert parse(data, max_line_bytes=100) == ([page(A, A_N, body)], {"wet-file": 1, "passed": 1})


def test_over_long_line_starting_inside_a_chunk(monkeypatch):
    parts = _records()
    long_record = c4_testing.wet_record(GOOD[1][0], DATE, "Line one.\n" + "x" * 300).encode()
    # The chunk boundary falls 200 bytes into the long line: its start alone is over the limit.
    cut = sum(map(len, parts[:2])) + long_record.index(b"xxx") + 200
    monkeypatch.setattr(wet, "CHUNK_BYTES", cut)
    data = b"".join([*parts[:2], long_record, *parts[3:]])
    pages, counts = parse(data, max_line_bytes=100)
    assert pages == [ALL_GOOD_PAGES[i] for i in (0, 2, 3)]
    assert counts["line-too-long"] == 1
    assert counts["filtered:damaged_record"] == 1


@pytest.mark.parametrize("n_lines", [1, 4, 5, 6, 7, 50])
def test_huge_record_is_capped_just_past_max_page_chars(n_lines):
    # Lines of 9 chars: the full text has 10 * n_lines - 1 chars.
    lines = [f"line {i:04d}" for i in range(n_lines)]
    full = "\n".join(lines)
    max_chars = 50
    pages, counts = parse(record(A, full).encode(), max_page_chars=max_chars)
    assert counts == {"wet-file": 1, "passed": 1}
    [(_url, _norm, text, *_)] = pages
    # Under the cap: the whole text. Over it: a prefix of whole lines that is still over the
    # cap, so the length filter (len(text) > max) drops it exactly as it drops the full text.
    assert (len(text) > max_chars) == (len(full) > max_chars)
    assert (full + "\n").startswith(text + "\n")  # whole lines
    if len(full) <= max_chars:
        assert text == full
    else:
        assert len(text) <= max_chars + 1 + 9


def test_huge_record_default_cap_keeps_length_filter_verdict():
    line = "z" * 999
    full = "\n".join([line] * 400)  # 399_999 chars > 1.9e5
    pages, _ = parse(gzip.compress(record(A, full).encode(), mtime=0))
    [(_url, _norm, text, *_)] = pages
    assert len(full) > 1.9e5
    assert len(text) > 1.9e5
    assert len(text) < 1.9e5 + 1000 + 1
    assert full.startswith(text)


def test_plain_file_equals_gzip_file():
    parts = _records()
    assert parse(b"".join(parts)) == parse(gzip_members(parts))
    assert parse(b"".join(parts))[0] == ALL_GOOD_PAGES


@pytest.mark.parametrize(
    "data",
    [b"\x1f\x8b\x08garbage", b"\x1f\x8b", b"\x00\xff" * 50, bytes(range(256)) * 4],
    ids=["gzip_magic_then_garbage", "gzip_magic_prefix", "binary", "all_bytes"],
)
def test_binary_garbage_never_raises(data):
    pages, counts = parse(data)
    assert pages == []
    assert counts["wet-file"] == 1
    assert sum(counts.get(k, 0) for k in OUTCOMES) >= 1


def _member_bounds(members: list[bytes]) -> list[int]:
    return [0, *itertools.accumulate(len(m) for m in members)]


def _partial_output(member: bytes, n: int) -> bytes:
    """What zlib alone inflates from the first n bytes of a member."""
    return zlib.decompressobj(wbits=31).decompress(member[:n])


DELIM_CRLF = b"WARC/1.0\r\n"


def _truncation_cases():
    """(cut, expected pages, expected counters) for every cut of a 5-member WET file, split in
    cuts where the partial member has inflated nothing or at least its whole "WARC/1.0" line
    (safe) and cuts where it has inflated part of that first line (partial_delimiter).

    A member's output is held until the member ends, so a cut member is dropped whole: every
    record wholly before the cut is kept, the warcinfo record (or, when the cut is inside it,
    the empty initial page) counts `filtered:no_url`, and a cut inside a member counts
    `truncated-gzip`.
    """
    parts = _records()
    members = [gzip.compress(p, mtime=0) for p in parts]
    data = b"".join(members)
    bounds = _member_bounds(members)
    safe, partial_delimiter = [], []
    # A cut inside the 3-byte gzip magic leaves a file that is not recognisably gzip.
    for cut in [0, *range(len(wet.GZIP_MAGIC), len(data) + 1)]:
        j = max(i for i, b in enumerate(bounds) if b <= cut)  # member holding the cut
        complete = max(0, j - 1)  # conversion records wholly before the cut
        inside = cut != bounds[j]
        counts = {"wet-file": 1, "passed": complete, "filtered:no_url": 1}
        counts["truncated-gzip"] = 1 if inside else 0
        counts = {k: v for k, v in counts.items() if v}
        out = _partial_output(members[j], cut - bounds[j]) if inside else b""
        if out == b"" or out.startswith(DELIM_CRLF):
            safe.append((cut, ALL_GOOD_PAGES[:complete], counts))
        else:
            partial_delimiter.append((cut, j, complete))
    return data, safe, partial_delimiter


def test_truncated_gzip_keeps_every_complete_record():
    data, safe, _ = _truncation_cases()
    assert len(safe) > len(data) // 2
    for cut, pages, counts in safe:
        assert parse(data[:cut]) == (pages, counts), cut


def test_truncated_gzip_inside_first_line_keeps_previous_record():
    data, _, partial_delimiter = _truncation_cases()
    cases = [(cut, complete) for cut, j, complete in partial_delimiter if j >= 2]
    assert cases
    for cut, complete in cases:
        pages, counts = parse(data[:cut])
        assert pages == ALL_GOOD_PAGES[:complete], cut
        assert counts["truncated-gzip"] == 1


def _zlib_verdict(member: bytes, rest: bytes) -> str:
    """How zlib alone sees a member followed by the rest of the file: "error", "eof" (ends
    cleanly) or "swallows" (reads on into the following members without an error)."""
    inflater = zlib.decompressobj(wbits=31)
    try:
        inflater.decompress(member + rest)
    except zlib.error:
        return "error"
    return "eof" if inflater.eof else "swallows"


@pytest.fixture(scope="module")
def dolma_members(shared_data, reference_split):
    """Six real pages as CC ships them (one gzip member per record) and the reference's pages
    for the intact file."""
    specs = c4_testing.dolma_records()[:6]
    members = [gzip.compress(p, mtime=0) for p in _records(specs)]
    pages, _ = reference_split(b"".join(members), raw=True)
    assert len(pages) == len(specs)
    return members, pages


@pytest.mark.parametrize(
    "chunk_bytes",
    [1 << 20, 64, 3],
)
def test_corrupt_member_loses_only_its_record(chunk_bytes, dolma_members, monkeypatch):
    members, pages = dolma_members
    monkeypatch.setattr(wet, "CHUNK_BYTES", chunk_bytes)
    rng = random.Random(1234)
    checked = 0
    for _ in range(150):
        k = rng.randrange(1, len(members))
        bad = bytearray(members[k])
        bad[rng.randrange(len(bad))] ^= rng.randrange(1, 256)
        rest = b"".join(members[k + 1 :])
        if _zlib_verdict(bytes(bad), rest) != "error":
            continue  # zlib itself does not see the damage (mtime) or the premise differs
        got, counts = parse(b"".join(members[:k]) + bytes(bad) + rest)
        assert got == pages[: k - 1] + pages[k:]
        assert counts["corrupt-gzip-member"] >= 1
        assert counts["passed"] == len(pages) - 1
        assert counts.get("filtered:damaged_record", 0) <= 1
        checked += 1
    assert checked > 100


def test_corrupt_gzip_header_of_middle_member(dolma_members):
    members, pages = dolma_members
    bad = b"\x1f\x8b\x09" + members[3][3:]  # an unknown compression method
    got, counts = parse(b"".join([*members[:3], bad, *members[4:]]))
    assert got == pages[:2] + pages[3:]
    assert counts == {
        "wet-file": 1,
        "filtered:no_url": 1,
        "passed": len(pages) - 1,
        "corrupt-gzip-member": 1,
    }


def _early_error_flips(members, k):
    """Flips in member k after which zlib, fed one byte at a time, inflates a non-empty proper
    prefix of "WARC/1.0\\r\\n" and then fails."""
    for off, xor in itertools.product(range(10, 200), (0x01, 0x10, 0x80, 0xFF)):
        bad = bytearray(members[k])
        bad[off] ^= xor
        inflater, out = zlib.decompressobj(wbits=31), b""
        try:
            for i in range(len(bad)):
                out += inflater.decompress(bad[i : i + 1])
                if not DELIM_CRLF.startswith(out[: len(DELIM_CRLF)]) or len(out) >= 10:
                    break
        except zlib.error:
            if out and DELIM_CRLF.startswith(out) and out != DELIM_CRLF:
                yield bytes(bad)


def test_corrupt_member_detected_inside_first_line_keeps_previous_record(
    dolma_members, monkeypatch
):
    members, pages = dolma_members
    monkeypatch.setattr(wet, "CHUNK_BYTES", 1)
    flips = list(itertools.islice(_early_error_flips(members, 3), 5))
    if not flips:
        pytest.skip("zlib produced no early-failing flip for this member")
    for bad in flips:
        got, counts = parse(b"".join([*members[:3], bad, *members[4:]]))
        assert got == pages[:2] + pages[3:]
        assert counts["corrupt-gzip-member"] == 1


def test_corrupt_member_that_swallows_the_next_members(dolma_members):
    members, pages = dolma_members
    rng = random.Random(7)
    for _ in range(5000):
        k = rng.randrange(1, len(members) - 1)
        bad = bytearray(members[k])
        off = rng.randrange(len(bad) - 8)
        bad[off] ^= rng.randrange(1, 256)
        rest = b"".join(members[k + 1 :])
        if _zlib_verdict(bytes(bad), rest) == "swallows":
            break
    else:
        pytest.skip("no swallowing flip found")
    got, counts = parse(b"".join(members[:k]) + bytes(bad) + rest)
    assert got == pages[: k - 1] + pages[k:]
    assert counts["corrupt-gzip-member"] == 1


# --- properties: nothing raises; counters account for the damage -----------------------------


@settings(HYPOTHESIS)
@given(data=st.binary(max_size=300), gz_prefix=st.booleans())
def test_arbitrary_bytes_never_raise(data, gz_prefix):
    if gz_prefix:
        data = wet.GZIP_MAGIC + data
    pages, counts = parse(data)
    assert counts["wet-file"] == 1
    assert counts.get("passed", 0) == len(pages)
    assert sum(counts.get(k, 0) for k in OUTCOMES) >= 1


CORRUPTION = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 40)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=20)),
)


def _corrupt(data: bytes, ops) -> bytes:
    buf = bytearray(data)
    for op, pos, arg in ops:
        pos %= len(buf) + 1
        if op == "flip" and pos < len(buf):
            buf[pos] ^= arg
        elif op == "truncate":
            del buf[pos:]
        elif op == "delete":
            del buf[pos : pos + arg]
        elif op == "insert":
            buf[pos:pos] = arg
    return bytes(buf)


def _is_subsequence(sub: list, seq: list) -> bool:
    it = iter(seq)
    return all(any(x == y for y in it) for x in sub)


@settings(HYPOTHESIS_FIXED)
@given(
    ops=st.lists(CORRUPTION, min_size=1, max_size=3),
    chunk_bytes=st.sampled_from([3, 64, 1 << 20]),
)
def test_corrupted_gzip_never_raises_and_counts_damage(ops, chunk_bytes, dolma_members):
    members, pages = dolma_members
    data = _corrupt(b"".join(members), ops)
    with mock.patch.object(wet, "CHUNK_BYTES", chunk_bytes):
        got, counts = parse(data)
    assert counts["wet-file"] == 1
    assert counts.get("passed", 0) == len(got)
    # Damage never produces a page that was not in the file, nor reorders pages.
    assert _is_subsequence(got, pages)
    # Flips and insertions keep every member boundary, so each lost record shows in the damage
    # counters (a cut or a deletion at a boundary is a valid, shorter file).
    if all(op in ("flip", "insert") for op, _, _ in ops):
        lost = len(pages) - len(got)
        assert lost <= sum(counts.get(k, 0) for k in DAMAGE_COUNTERS)
