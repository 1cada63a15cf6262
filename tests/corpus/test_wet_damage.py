"""Tests of corpus/wet.py on bad input: where the reference fails the whole file, we lose only
the damaged record (invalid UTF-8, over-long lines, huge records, garbage) and count it.
Expectations come from how each file was built, never from the code under test."""

from __future__ import annotations

import gzip

import pytest
from wet_testing import (
    A_N,
    ALL_GOOD_PAGES,
    DATE,
    GOOD,
    OUTCOMES,
    A,
    B,
    _records,
    gzip_members,
    page,
    parse,
    record,
)

from c4forge.corpus import wet

import c4_testing

# --- bad input: the reference fails the file, we lose only the damaged record ----------------


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
