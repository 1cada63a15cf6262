"""Tests of corpus/wet_writer.py: records shaped like Common Crawl's (header set and order, block
digest, framing, checked against real WET files in ../shared/data/wet), one gzip member per
record with stable bytes, and a round trip through the reader (`corpus.wet`): what is written is
read back exactly."""

from __future__ import annotations

import gzip
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c4forge.corpus import wet, wet_writer
from c4forge.corpus.page import Tally

import c4_testing

REAL_WET = c4_testing.SHARED_DATA / "wet"
REAL_2014 = REAL_WET / "CC-MAIN-20140820021334-00006-ip-10-180-136-8.ec2.internal.warc.wet"
REAL_2024 = REAL_WET / "whirlwind.warc.wet.gz"
DATE = "2019-04-18T10:38:25Z"
INFO_FIELDS = {"isPartOf": "CC-MAIN-2019-18", "publisher": "c4forge"}
PAGES = [
    ("http://a.example/1", DATE, "First line of the page.\nSecond line."),
    ("https://www.b.example/x?utm_source=y", "2019-04-19T00:00:01Z", "Ünïcödé text — and more."),
    ("http://c.example/", DATE, "One line only"),
]


def _real_records(path) -> list[tuple[list[tuple[str, str]], bytes]]:
    """(headers, block) of each record of a real WET file (gzip members, or plain text)."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        return [c4_testing.parse_warc_record(m) for m in c4_testing.inflate_members(data)]
    records = data.split(b"WARC/1.0\r\n")[1:]
    return [c4_testing.parse_warc_record(b"WARC/1.0\r\n" + r) for r in records]


def _names(headers: list[tuple[str, str]]) -> list[str]:
    return [name for name, _ in headers]


def _read(data: bytes) -> tuple[list[tuple[str, str, str]], dict]:
    tally = Tally()
    pages = wet.split_wet_stream(io.BytesIO(data), tally)
    return [(p.url, p.timestamp, p.text) for p in pages], tally.counts


# --- the shape of Common Crawl's records -----------------------------------------------------


def test_block_digest_equals_common_crawls(shared_data):
    """The digest of real records' blocks (a 2014 conversion record, a 2024 warcinfo) is the
    WARC-Block-Digest Common Crawl wrote for them."""
    for path, index in ((REAL_2014, 1), (REAL_2014, 2), (REAL_2024, 0)):
        headers, block = _real_records(path)[index]
        assert wet_writer.block_digest(block) == dict(headers)["WARC-Block-Digest"]


def test_headers_are_common_crawls_in_its_order(shared_data):
    """The conversion record's headers as in the 2014 WET file, the warcinfo's as in the 2024
    one (the 2014 warcinfo has no block digest)."""
    real_conversion = _real_records(REAL_2014)[1][0]
    real_warcinfo = _real_records(REAL_2024)[0][0]
    conversion = c4_testing.parse_warc_record(wet_writer.conversion_record(*PAGES[0]))[0]
    info = wet_writer.warcinfo_record("x.warc.wet.gz", DATE, INFO_FIELDS)
    assert _names(conversion) == _names(real_conversion)
    assert _names(c4_testing.parse_warc_record(info)[0]) == _names(real_warcinfo)


def test_conversion_record_fields_and_block():
    url, date, text = PAGES[1]
    record = wet_writer.conversion_record(url, date, text)
    headers, block = c4_testing.parse_warc_record(record)  # checks the framing
    assert block == text.encode("utf-8")
    assert dict(headers) == {
        "WARC-Type": "conversion",
        "WARC-Target-URI": url,
        "WARC-Date": date,
        "WARC-Record-ID": wet_writer.record_id("conversion", url, date),
        "WARC-Refers-To": wet_writer.record_id("response", url, date),
        "WARC-Block-Digest": wet_writer.block_digest(block),
        "Content-Type": "text/plain",
        "Content-Length": str(len(text.encode("utf-8"))),
    }


def test_warcinfo_record_fields_and_block():
    record = wet_writer.warcinfo_record("x.warc.wet.gz", DATE, INFO_FIELDS)
    headers, block = c4_testing.parse_warc_record(record)
    assert block == b"isPartOf: CC-MAIN-2019-18\r\npublisher: c4forge\r\n"
    h = dict(headers)
    assert (h["WARC-Type"], h["WARC-Date"], h["WARC-Filename"]) == (
        "warcinfo",
        DATE,
        "x.warc.wet.gz",
    )
    assert h["Content-Type"] == "application/warc-fields"
    assert h["WARC-Block-Digest"] == wet_writer.block_digest(block)


def test_record_ids_are_stable_urns_and_distinct():
    a = wet_writer.record_id("conversion", "http://a.example/", DATE)
    assert a == wet_writer.record_id("conversion", "http://a.example/", DATE)
    assert a.startswith("<urn:uuid:")
    assert a.endswith(">")
    assert len(a) == len("<urn:uuid:>") + 36
    assert a != wet_writer.record_id("response", "http://a.example/", DATE)
    assert a != wet_writer.record_id("conversion", "http://a.example/", "2019-04-18T10:38:26Z")


# --- files -----------------------------------------------------------------------------------


def _records(pages=PAGES) -> list[bytes]:
    info = wet_writer.warcinfo_record("x.warc.wet.gz", DATE, INFO_FIELDS)
    return [info] + [wet_writer.conversion_record(*p) for p in pages]


def test_one_gzip_member_per_record_with_stable_bytes(tmp_path):
    records = _records()
    path = wet_writer.write_wet_file(tmp_path / "a.warc.wet.gz", records)
    assert path == str(tmp_path / "a.warc.wet.gz")
    data = (tmp_path / "a.warc.wet.gz").read_bytes()
    assert c4_testing.inflate_members(data) == records
    assert data == b"".join(wet_writer.gzip_member(r) for r in records)
    member = wet_writer.gzip_member(records[0])
    assert member[4:8] == b"\0\0\0\0"  # mtime 0: the bytes depend on the record only
    assert gzip.decompress(member) == records[0]
    wet_writer.write_wet_file(tmp_path / "b.warc.wet.gz", _records())
    assert (tmp_path / "b.warc.wet.gz").read_bytes() == data


def test_reader_reads_back_what_was_written(tmp_path):
    path = wet_writer.write_wet_file(tmp_path / "a.warc.wet.gz", _records())
    with open(path, "rb") as f:
        data = f.read()
    pages, counts = _read(data)
    assert pages == PAGES
    # The warcinfo record has no URL: the reader drops it, as the reference does.
    assert counts == {"wet-file": 1, "filtered:no_url": 1, "passed": len(PAGES)}
    assert _read(b"".join(_records()))[0] == PAGES  # the same records uncompressed


# Page text as the reader returns it: lines stripped, none blank, none a metadata line.
LINE = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1
).map(str.strip)
READABLE_LINE = LINE.filter(lambda s: s and not s.startswith(wet.METADATA_PREFIXES))
PAGE = st.tuples(
    st.from_regex(r"https?://[a-z]{1,10}\.example/[a-z0-9/]{0,20}", fullmatch=True),
    st.from_regex(r"20[12]\d-[01]\d-[0-2]\dT[0-2]\d:[0-5]\d:[0-5]\dZ", fullmatch=True),
    st.lists(READABLE_LINE, min_size=1, max_size=5).map("\n".join),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages=st.lists(PAGE, max_size=5))
def test_any_readable_pages_round_trip(pages):
    data = b"".join(wet_writer.gzip_member(r) for r in _records(pages))
    assert _read(data)[0] == pages


@pytest.mark.reference
def test_reference_reads_the_same_pages(tmp_path, ref):
    """TFDS `c4_utils.split_wet_file` on a written file: the same (url, timestamp, text)."""
    path = wet_writer.write_wet_file(tmp_path / "a.warc.wet.gz", _records())
    pages = [(p.url, p.timestamp, p.text) for p in ref.split_wet_file(path, Tally())]
    assert pages == PAGES
