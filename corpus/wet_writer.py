"""Writing WET files shaped like Common Crawl's: the other direction of `corpus.wet`.

A WET file is a warcinfo record followed by `conversion` records, one per page, each compressed
as its own gzip member (docs/C4.md §3). The records carry the header set Common Crawl writes, in
its order (checked against real files in the tests):

    warcinfo:   WARC-Type, WARC-Date, WARC-Filename, WARC-Record-ID, Content-Type,
                Content-Length, WARC-Block-Digest, then `key: value` fields as the block;
    conversion: WARC-Type, WARC-Target-URI, WARC-Date, WARC-Record-ID, WARC-Refers-To,
                WARC-Block-Digest, Content-Type (text/plain), Content-Length, then the text.

Lines end in CRLF and a record ends with a blank line (`\\r\\n\\r\\n` after the block), as in
WARC/1.0. Record ids are UUIDs derived from the record's identity (uuid5), and gzip members
are written with mtime 0, so the same records always give the same bytes.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import uuid
from collections.abc import Iterable, Mapping

WARC_VERSION = "WARC/1.0"
CRLF = "\r\n"


def record_id(*parts: str) -> str:
    """A `<urn:uuid:...>` id that depends only on `parts` (uuid5 of the parts joined by spaces)."""
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, ' '.join(parts))}>"


def block_digest(block: bytes) -> str:
    """`WARC-Block-Digest` as Common Crawl writes it: "sha1:" + base32 of the block's SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(block).digest()).decode("ascii")


def _record(headers: list[tuple[str, str]], block: bytes) -> bytes:
    head = WARC_VERSION + CRLF + "".join(f"{name}: {value}{CRLF}" for name, value in headers)
    return (head + CRLF).encode("utf-8") + block + (CRLF + CRLF).encode("ascii")


def warcinfo_record(filename: str, date: str, fields: Mapping[str, str]) -> bytes:
    """The warcinfo record that opens a WET file named `filename`; `fields` (e.g. isPartOf,
    publisher) become its `application/warc-fields` block, one `key: value` line each."""
    block = "".join(f"{key}: {value}{CRLF}" for key, value in fields.items()).encode("utf-8")
    headers = [
        ("WARC-Type", "warcinfo"),
        ("WARC-Date", date),
        ("WARC-Filename", filename),
        ("WARC-Record-ID", record_id("warcinfo", filename)),
        ("Content-Type", "application/warc-fields"),
        ("Content-Length", str(len(block))),
        ("WARC-Block-Digest", block_digest(block)),
    ]
    return _record(headers, block)


def conversion_record(url: str, timestamp: str, text: str) -> bytes:
    """The conversion record of one page: its extracted `text` (UTF-8) as the block."""
    block = text.encode("utf-8")
    headers = [
        ("WARC-Type", "conversion"),
        ("WARC-Target-URI", url),
        ("WARC-Date", timestamp),
        ("WARC-Record-ID", record_id("conversion", url, timestamp)),
        # The id of the response record this text was extracted from (not written here).
        ("WARC-Refers-To", record_id("response", url, timestamp)),
        ("WARC-Block-Digest", block_digest(block)),
        ("Content-Type", "text/plain"),
        ("Content-Length", str(len(block))),
    ]
    return _record(headers, block)


def gzip_member(record: bytes) -> bytes:
    """One record as a gzip member of its own (level 9, mtime 0: the bytes depend on the record
    only)."""
    return gzip.compress(record, compresslevel=9, mtime=0)


def write_wet_file(path: str | os.PathLike, records: Iterable[bytes]) -> str:
    """Write `records` (warcinfo first, as Common Crawl does) to `path` as a gzip WET file with
    one gzip member per record; returns the path."""
    with open(path, "wb") as out:
        for record in records:
            out.write(gzip_member(record))
    return os.fspath(path)
