"""Tests of corpus/wet.py: WET parsing as the reference `split_wet_file` (docs/C4.md §3), and the
damage handling where the reference would fail the whole file.

Expected pages and counters of the table tests are derived by hand from §3; the same inputs are
also run through TFDS `c4_utils.split_wet_file` (differential). Bad-input tests derive their
expectations from how the file was built (which records are intact) and, where a premise is about
gzip itself, from `zlib` directly, never from the code under test.
"""

from __future__ import annotations

import gzip

import pytest
from wet_testing import (
    A_N,
    B_N,
    CONTENT_BODY,
    DATE2,
    SEPARATORS,
    STRIP_BODY,
    WARC_BODY,
    WARCINFO,
    A,
    B,
    cl,
    page,
    parse,
    record,
)

# --- the quirks of §3, by hand ---------------------------------------------------------------

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
