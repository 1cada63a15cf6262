"""What the C4 build sends through its shuffles: compact bytes, never pickled objects.

The one owner of the shuffle encodings (issue 15). Beam moves `bytes` with its trivial bytes
coder, so each element costs one length prefix instead of a pickle, and keys are fixed-size
digests, which every runner compares and hashes as they are.

* A page travels as `pack_page(page)`: the six short fields length-prefixed, then the text,
  compressed with Zstandard level 1 when that saves bytes (`zstandard` comes with apache-beam;
  on the crawl pages: 43% of the size at ~240 MB/s, 3x zlib level 1's speed at a better
  ratio). Shuffle values never reach the output, only keys decide where pages go.
* A record on its way to the writer's grouping (`pipelines.sharded_write`) travels as
  `pack_bytes(record)`, compressed the same way.
* Line dedup's votes travel in batches (`OFFER`, `OWNED`): fixed 32-byte records, a line's
  md5 and the page's rank (md5 of its URL, `corpus.dedup.line_owner_rank`), many per element,
  grouped into `partitions` by the first bytes of the digest that keys them.
"""

from __future__ import annotations

import struct
import threading

import numpy as np
import zstandard

from c4forge.corpus.page import Page

_HEAD = struct.Struct("<B6I")  # compressed?, then the byte lengths of the six short fields
_COMPRESS_FROM = 256  # texts shorter than this travel as they are
_ZSTD_LEVEL = 1
_CODECS = threading.local()  # a zstandard (de)compressor is not thread-safe: one per thread


def _codec() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    codec = getattr(_CODECS, "pair", None)
    if codec is None:
        codec = _CODECS.pair = (
            zstandard.ZstdCompressor(level=_ZSTD_LEVEL),
            zstandard.ZstdDecompressor(),
        )
    return codec


# A line vote: the line's md5 (k0, k1) and the page's rank (r0, r1), as big-endian words so
# that sorting the words sorts the digests bytewise.
RECORD = np.dtype([("k0", ">u8"), ("k1", ">u8"), ("r0", ">u8"), ("r1", ">u8")])
DIGEST = 16


def pack_page(page: Page) -> bytes:
    small = [
        page.url.encode("utf-8"),
        page.normalized_url.encode("utf-8"),
        page.timestamp.encode("utf-8"),
        page.content_type.encode("utf-8"),
        page.content_length.encode("utf-8"),
        page.language.encode("utf-8"),
    ]
    text = page.text.encode("utf-8")
    compressed = 0
    if len(text) >= _COMPRESS_FROM:
        packed = _codec()[0].compress(text)
        if len(packed) < len(text):
            text, compressed = packed, 1
    return _HEAD.pack(compressed, *map(len, small)) + b"".join(small) + text


def unpack_page(data: bytes) -> Page:
    compressed, *lengths = _HEAD.unpack_from(data)
    pos = _HEAD.size
    fields = []
    for n in lengths:
        fields.append(data[pos : pos + n].decode("utf-8"))
        pos += n
    text = data[pos:]
    if compressed:
        text = _codec()[1].decompress(text)
    url, normalized_url, timestamp, content_type, content_length, language = fields
    return Page(
        url,
        normalized_url,
        text.decode("utf-8"),
        timestamp,
        content_type,
        content_length,
        language,
    )


def pack_bytes(data: bytes) -> bytes:
    """`data` behind a one-byte flag, in Zstandard level 1 when that saves bytes (a record on
    its way to the writer's grouping)."""
    if len(data) >= _COMPRESS_FROM:
        packed = _codec()[0].compress(data)
        if len(packed) < len(data):
            return b"\x01" + packed
    return b"\x00" + data


def unpack_bytes(packed: bytes) -> bytes:
    return _codec()[1].decompress(packed[1:]) if packed[:1] == b"\x01" else packed[1:]


def partition_bits(partitions: int) -> int:
    """log2 of a partition count, which must be a power of two from 1 to 65536."""
    bits = partitions.bit_length() - 1
    if partitions < 1 or partitions != 1 << bits or bits > 16:
        raise ValueError(f"partitions must be a power of two from 1 to 65536, got {partitions}")
    return bits


def partition_of(digest: bytes, bits: int) -> int:
    """The partition of a digest: its first `bits` bits."""
    return int.from_bytes(digest[:2], "big") >> (16 - bits) if bits else 0


def partitions_of(words: np.ndarray, bits: int) -> np.ndarray:
    """`partition_of` for the first word of many digests (a record's "k0" or "r0")."""
    if not bits:
        return np.zeros(len(words), dtype=np.int64)
    return (words.astype(np.uint64) >> np.uint64(64 - bits)).astype(np.int64)


def records(keys: bytes, ranks: bytes, repeats: list[int]) -> np.ndarray:
    """Vote records from concatenated line digests and page ranks, rank i repeated
    `repeats[i]` times (one per line digest of page i)."""
    out = np.empty(len(keys) // DIGEST, dtype=RECORD)
    k = np.frombuffer(keys, dtype=">u8").reshape(-1, 2)
    r = np.repeat(np.frombuffer(ranks, dtype=">u8").reshape(-1, 2), repeats, axis=0)
    out["k0"], out["k1"], out["r0"], out["r1"] = k[:, 0], k[:, 1], r[:, 0], r[:, 1]
    return out


def split_by_partition(recs: np.ndarray, parts: np.ndarray):
    """(partition, the records' bytes) for each partition present."""
    if len(recs) == 0:
        return
    order = np.argsort(parts, kind="stable")
    recs, parts = recs[order], parts[order]
    bounds = np.flatnonzero(np.diff(parts)) + 1
    for chunk, p in zip(np.split(recs, bounds), parts[np.r_[0, bounds]], strict=True):
        yield int(p), chunk.tobytes()


def from_blobs(blobs) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype=RECORD)


def elect(recs: np.ndarray) -> np.ndarray:
    """For each line digest, the record with the smallest rank (the line's owner)."""
    if len(recs) == 0:
        return recs
    k0, k1 = recs["k0"].astype(np.uint64), recs["k1"].astype(np.uint64)
    order = np.lexsort((recs["r1"].astype(np.uint64), recs["r0"].astype(np.uint64), k1, k0))
    k0, k1 = k0[order], k1[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (k0[1:] != k0[:-1]) | (k1[1:] != k1[:-1])
    return recs[order[first]]


class OwnedLines:
    """The owned-line records of one page partition, looked up by page rank."""

    def __init__(self, recs: np.ndarray) -> None:
        r0, r1 = recs["r0"].astype(np.uint64), recs["r1"].astype(np.uint64)
        order = np.lexsort((r1, r0))
        s = recs[order]
        self._r0, self._r1 = r0[order], r1[order]
        keys = np.empty((len(s), 2), dtype=">u8")
        keys[:, 0], keys[:, 1] = s["k0"], s["k1"]
        self._keys = keys.tobytes()

    def keys_of(self, rank: bytes) -> set[bytes]:
        r0, r1 = (np.uint64(w) for w in struct.unpack(">QQ", rank))
        lo = int(np.searchsorted(self._r0, r0, side="left"))
        hi = int(np.searchsorted(self._r0, r0, side="right"))
        if hi > lo:  # the second word narrows the run of equal first words
            sub = self._r1[lo:hi]
            lo, hi = (
                lo + int(np.searchsorted(sub, r1, "left")),
                lo + int(np.searchsorted(sub, r1, "right")),
            )
        data = self._keys
        return {data[i : i + DIGEST] for i in range(lo * DIGEST, hi * DIGEST, DIGEST)}
