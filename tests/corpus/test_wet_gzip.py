"""Tests of corpus/wet.py on damaged gzip: truncated streams and corrupt members lose only their
records; arbitrary and corrupted bytes never raise and the counters account for the damage.
Premises about gzip itself are checked with `zlib` directly."""

from __future__ import annotations

import gzip
import itertools
import random
import zlib
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wet_testing import (
    ALL_GOOD_PAGES,
    DAMAGE_COUNTERS,
    HYPOTHESIS,
    HYPOTHESIS_FIXED,
    OUTCOMES,
    _records,
    parse,
)

from c4forge.corpus import wet

import c4_testing


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
