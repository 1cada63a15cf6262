"""WET parsing exactly as the reference `split_wet_file` (docs/C4.md §3), plus survival.

The reference reads `gzip.GzipFile` through a strict UTF-8 `TextIOWrapper` with universal
newlines, strips each line and applies, in order: skip blank lines; "WARC/1.0" ends the previous
page (unless it is the file's very first line); "WARC-Target-URI:", "WARC-Date:",
"Content-Type:" and "Content-Length:" set fields; lines starting with "WARC", "CONTENT-" or
"Content-" are skipped; anything else is body text joined with "\n". These rules apply to body
lines too (a body line "WARC/1.0" splits the record): a quirk of the reference that we keep.

Where the reference fails a whole file, we lose only the damaged record and count it:
  * each gzip member is inflated on its own and its output held until it ends; a corrupt member
    is counted (`corrupt-gzip-member`) and dropped whole, and reading resumes at the next
    member header; a stream that ends inside a member is counted (`truncated-gzip`);
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

from c4forge.corpus.page import CountFn, Page, no_count
from c4forge.corpus.urls import normalize_url

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


FEED_BYTES = 1 << 16
MEMBER_HOLD_BYTES = 16 << 20  # inflated bytes of one member held back until it ends
MEMBER_KEEP_BYTES = 64 << 20  # compressed bytes of one member kept to resync after damage


def _read_at_least(stream: BinaryIO, n: int) -> bytes:
    data = stream.read(CHUNK_BYTES)
    while data and len(data) < n:
        more = stream.read(CHUNK_BYTES)
        if not more:
            break
        data += more
    return data


def iter_decompressed(stream: BinaryIO, count: CountFn = no_count) -> Iterator[bytes | Damage]:
    """Yields the inflated bytes of a gzip stream of any number of members, or a plain stream.

    A member's output is held back until the member ends (Common Crawl writes one member per
    record), so a member that fails to inflate, or that the stream cuts short, is dropped whole
    and counted (`corrupt-gzip-member`, `truncated-gzip`) without touching the records around
    it. Reading resumes at the next gzip header after the damaged member's first byte (a
    damaged member can inflate on into the members after it). Only a member inflating to more
    than `MEMBER_HOLD_BYTES` is passed on before it ends; if such a member fails, a `Damage`
    follows so the reader drops the record in progress.

    Input is fed to zlib in slices of `FEED_BYTES` so that what zlib copies out as the next
    member's start (`unused_data`) stays small however many members a read holds.
    """
    head = _read_at_least(stream, len(GZIP_MAGIC))
    if not head.startswith(GZIP_MAGIC):
        while head:
            yield head
            head = stream.read(CHUNK_BYTES)
        return
    buf, pos = memoryview(head), 0
    while True:  # one gzip member per turn, starting at buf[pos]
        inflater = zlib.decompressobj(wbits=31)
        fed: list | None = []  # the member's compressed bytes (views), to resync after damage
        fed_bytes = 0
        held: list[bytes] = []
        held_bytes = 0
        passed_on = False
        outcome = ""
        while not outcome:
            if pos >= len(buf):
                data = stream.read(CHUNK_BYTES)
                if not data:
                    if fed_bytes == 0:
                        return  # the stream ended between members
                    # Ended inside this member: damaged, if another header follows its start.
                    joined = b"".join(fed) if fed is not None else b""
                    outcome = "corrupt" if joined.find(GZIP_MAGIC, 1) >= 0 else "truncated"
                    break
                buf, pos = memoryview(data), 0
            piece = buf[pos : pos + FEED_BYTES]
            try:
                out = inflater.decompress(piece)
            except zlib.error:
                out, outcome = b"", "corrupt"
            used = len(piece) - len(inflater.unused_data) if inflater.eof else len(piece)
            pos += used
            fed_bytes += used
            if fed is not None:
                fed.append(piece[:used])
                if fed_bytes > MEMBER_KEEP_BYTES:
                    fed = None  # too big to keep: resync from where the damage shows
            if out:
                held.append(out)
                held_bytes += len(out)
                if held_bytes > MEMBER_HOLD_BYTES:
                    yield b"".join(held)
                    held, held_bytes, passed_on = [], 0, True
            if inflater.eof:
                outcome = "ok"
        if outcome == "ok":
            if held:
                yield b"".join(held)
            continue
        count(f"{outcome}-gzip-member" if outcome == "corrupt" else "truncated-gzip")
        if passed_on:
            yield Damage(f"{outcome}-gzip-member" if outcome == "corrupt" else "truncated-gzip")
        if outcome == "truncated":
            return
        rest = (b"".join(fed)[1:] if fed is not None else b"") + bytes(buf[pos:])
        start = rest.find(GZIP_MAGIC)
        while start < 0:
            more = stream.read(CHUNK_BYTES)
            if not more:
                return
            rest = rest[-(len(GZIP_MAGIC) - 1) :] + more  # a header may straddle two reads
            start = rest.find(GZIP_MAGIC)
        buf, pos = memoryview(rest), start


def iter_lines(
    chunks: Iterable[bytes | Damage],
    count: CountFn = no_count,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[list[str] | Damage]:
    """Splits bytes into blocks of decoded lines on universal newlines (\\n, \\r\\n, \\r), as
    `io.TextIOWrapper(newline=None)` does. Lines keep no terminator and are not stripped. A line
    that is not UTF-8 or longer than `max_line_bytes` becomes a `Damage` in its place (an
    over-long line is never held: its bytes are dropped up to the next line break)."""
    carry = b""
    skipping = False  # inside an over-long line
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
        rest = parts.pop()
        if skipping and parts:
            parts[0] = b""  # the end of the over-long line
            skipping = False
        if parts:
            yield from _decode_lines(parts, count, max_line_bytes)
        if skipping:
            # Still inside the over-long line, unless a held "\r" just ended it.
            carry, skipping = (b"\r", False) if held else (b"", True)
        elif len(rest) > max_line_bytes:
            count("line-too-long")
            yield Damage("line-too-long")
            carry, skipping = (b"\r", False) if held else (b"", True)
        else:
            carry = rest + b"\r" if held else rest
    if carry and not skipping:
        tail = carry.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        yield from _decode_lines(tail, count, max_line_bytes)


def _decode_lines(parts: list[bytes], count: CountFn, max_line_bytes: int):
    """Yields one block of lines, or, around bad lines, blocks and `Damage`s in order."""
    if not parts:
        return
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
