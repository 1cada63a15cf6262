"""WET parsing exactly as the reference `split_wet_file` (docs/C4.md §3), plus survival.

The reference reads `gzip.GzipFile` through a strict UTF-8 `TextIOWrapper` with universal
newlines, strips each line and applies, in order: skip blank lines; "WARC/1.0" ends the previous
page (unless it is the file's very first line); "WARC-Target-URI:", "WARC-Date:",
"Content-Type:" and "Content-Length:" set fields; lines starting with "WARC", "CONTENT-" or
"Content-" are skipped; anything else is body text joined with "\n". These rules apply to body
lines too (a body line "WARC/1.0" splits the record): a quirk of the reference that we keep.

Where the reference fails a whole file, we lose only the damaged record and count it:
  * each gzip member is inflated on its own; a corrupt member is counted (`corrupt-gzip-member`)
    and reading resumes at the next member header; a stream that ends inside a member is
    counted (`truncated-gzip`);
  * a line that is not UTF-8 is counted (`invalid-utf8-line`) and drops its record;
  * a line over `max_line_bytes` is counted (`line-too-long`), never held, and drops its record;
  * a page's text stops growing one character past `max_page_chars`; the length filter then
    drops it exactly as it would have dropped the whole text.
A record dropped for damage is counted as `filtered:damaged_record`. Memory is bounded by one
chunk, one line and one page: a WET file is never held whole.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from corpus.page import CountFn, Page, no_count
from corpus.urls import normalize_url

PAGE_DELIMITER = "WARC/1.0"
URL_KEY = "WARC-Target-URI:"
DATE_KEY = "WARC-Date:"
CONTENT_TYPE_KEY = "Content-Type:"
CONTENT_LENGTH_KEY = "Content-Length:"
METADATA_PREFIXES = ("WARC", "CONTENT-", "Content-")

GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK_BYTES = 1 << 20
DEFAULT_MAX_LINE_BYTES = 8 << 20
DEFAULT_MAX_PAGE_CHARS = 190_000  # the reference's is_valid_length bound (1.9e5)


class Damage:
    """A marker in the byte or line stream: the record being read is damaged; drop it."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def iter_decompressed(stream: BinaryIO, count: CountFn = no_count) -> Iterator[bytes | Damage]:
    """Yields the inflated bytes of a gzip stream of any number of members, or a plain stream.

    A member that fails to inflate is counted; if part of it was already yielded, a `Damage`
    follows so the reader drops the record in progress. Reading resumes at the next gzip header.
    """
    buf = stream.read(CHUNK_BYTES)
    if not buf.startswith(GZIP_MAGIC):
        while buf:
            yield buf
            buf = stream.read(CHUNK_BYTES)
        return
    inflater = zlib.decompressobj(wbits=31)
    fed = False  # the current member has consumed input
    emitted = False  # the current member has yielded output
    syncing = False  # looking for the next member header after damage
    while True:
        if not buf:
            buf = stream.read(CHUNK_BYTES)
            if not buf:
                if fed and not syncing:
                    count("truncated-gzip")
                    if emitted:
                        yield Damage("truncated-gzip")
                return
        if syncing:
            start = buf.find(GZIP_MAGIC)
            if start < 0:
                more = stream.read(CHUNK_BYTES)
                if not more:
                    return
                buf = buf[-2:] + more  # a header may straddle two chunks
                continue
            buf = buf[start:]
            syncing = False
            inflater, fed, emitted = zlib.decompressobj(wbits=31), False, False
        try:
            out = inflater.decompress(buf)
        except zlib.error:
            count("corrupt-gzip-member")
            if emitted:
                yield Damage("corrupt-gzip-member")
            syncing, buf = True, buf[1:]
            continue
        fed = True
        if out:
            emitted = True
            yield out
        if inflater.eof:
            buf = inflater.unused_data
            inflater, fed, emitted = zlib.decompressobj(wbits=31), False, False
        else:
            buf = b""


def iter_lines(
    chunks: Iterable[bytes | Damage],
    count: CountFn = no_count,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[list[str] | Damage]:
    """Splits bytes into blocks of decoded lines on universal newlines (\\n, \\r\\n, \\r), as
    `io.TextIOWrapper(newline=None)` does. Lines keep no terminator and are not stripped. A line
    that is not UTF-8 or longer than `max_line_bytes` becomes a `Damage` in its place."""
    carry = b""
    skipping = False  # inside a line that was too long: drop bytes up to the next newline
    for chunk in chunks:
        if type(chunk) is Damage:
            carry, skipping = b"", False
            yield chunk
            continue
        data = carry + chunk
        # A final "\r" may be the first half of "\r\n": decide once the next chunk is here.
        held = data.endswith(b"\r")
        if held:
            data = data[:-1]
        parts = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        carry = parts.pop() + (b"\r" if held else b"")
        if skipping and parts:
            parts[0] = b""  # the rest of the over-long line
            skipping = False
        if len(carry) > max_line_bytes or skipping:
            if not skipping:
                count("line-too-long")
                yield Damage("line-too-long")
            carry, skipping = b"", True
        yield from _decode_lines(parts, count, max_line_bytes)
    if carry and not skipping:
        tail = carry.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        yield from _decode_lines(tail, count, max_line_bytes)


def _decode_lines(parts: list[bytes], count: CountFn, max_line_bytes: int):
    """Yields one block of lines, or, around bad lines, blocks and `Damage`s in order."""
    if sum(map(len, parts)) <= max_line_bytes or all(len(p) <= max_line_bytes for p in parts):
        try:  # fast path: the whole chunk is valid UTF-8
            yield b"\n".join(parts).decode("utf-8").split("\n")
            return
        except UnicodeDecodeError:
            pass
    block: list[str] = []
    for part in parts:
        reason = "line-too-long" if len(part) > max_line_bytes else None
        if reason is None:
            try:
                block.append(part.decode("utf-8"))
                continue
            except UnicodeDecodeError:
                reason = "invalid-utf8-line"
        if block:
            yield block
            block = []
        count(reason)
        yield Damage(reason)
    if block:
        yield block


def parse_wet(
    blocks: Iterable[list[str] | Damage],
    count: CountFn = no_count,
    *,
    require_timestamp: bool = True,
    max_page_chars: int = DEFAULT_MAX_PAGE_CHARS,
) -> Iterator[Page]:
    """Pages from the line blocks of one WET file (`iter_lines`), as the reference
    `split_wet_file` yields them.

    `require_timestamp`: 3.1.0 emits a page only with a URL, text and a timestamp; 2.2.0 and
    3.0.1 need a URL and text. Counts "wet-file" once, then one of "passed",
    "filtered:no_url", "filtered:no_content", "filtered:no_timestamp" (or
    "filtered:damaged_record") per record, like the reference.
    """
    count("wet-file")
    url = normalized = timestamp = content_type = content_length = ""
    parts: list[str] = []
    size = -1  # chars in "\n".join(parts)
    damaged = False
    first_line = True

    def finish() -> Page | None:
        if damaged:
            count("filtered:damaged_record")
        elif not url:
            count("filtered:no_url")
        elif not parts:
            count("filtered:no_content")
        elif require_timestamp and not timestamp:
            count("filtered:no_timestamp")
        else:
            count("passed")
            return Page(url, normalized, "\n".join(parts), timestamp, content_type, content_length)
        return None

    for block in blocks:
        if type(block) is Damage:
            damaged = True
            first_line = False
            continue
        for raw in block:
            line = raw.strip()
            if first_line:
                first_line = False
                if line == PAGE_DELIMITER:
                    continue  # the reference does not end a page on the file's first line
            if not line:
                continue
            if line == PAGE_DELIMITER:
                page = finish()
                if page is not None:
                    yield page
                url = normalized = timestamp = content_type = content_length = ""
                parts, size, damaged = [], -1, False
                continue  # it starts with "WARC": a metadata line
            if damaged:
                continue
            if line.startswith(METADATA_PREFIXES):
                if line.startswith(URL_KEY):
                    url = line[len(URL_KEY) :].strip()
                    normalized = normalize_url(url)
                elif line.startswith(DATE_KEY):
                    timestamp = line[len(DATE_KEY) :].strip()
                elif line.startswith(CONTENT_TYPE_KEY):
                    content_type = line[len(CONTENT_TYPE_KEY) :].strip()
                elif line.startswith(CONTENT_LENGTH_KEY):
                    content_length = line[len(CONTENT_LENGTH_KEY) :].strip()
                continue
            if size > max_page_chars:
                continue  # already too long for the length filter: stop holding text
            parts.append(line)
            size += len(line) + 1
    page = finish()
    if page is not None:
        yield page


def split_wet_stream(
    stream: BinaryIO,
    count: CountFn = no_count,
    *,
    require_timestamp: bool = True,
    max_page_chars: int = DEFAULT_MAX_PAGE_CHARS,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[Page]:
    """Pages of a WET stream (gzip or plain): `iter_decompressed` -> `iter_lines` -> `parse_wet`."""
    chunks = iter_decompressed(stream, count)
    blocks = iter_lines(chunks, count, max_line_bytes)
    yield from parse_wet(
        blocks, count, require_timestamp=require_timestamp, max_page_chars=max_page_chars
    )
