"""The shuffle encodings (`pipelines.wire`): pages round-trip exactly, votes elect the smallest
rank per line as a plain dictionary would, partitions agree between bytes and words."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest

from c4forge.corpus.page import Page
from c4forge.pipelines import wire


def _md5(s: str) -> bytes:
    return hashlib.md5(s.encode("utf-8")).digest()


PAGES = [
    Page("http://a.com/", "a.com", ""),
    Page("http://a.com/x", "a.com/x", "short text", "2019-04-18T20:30:28Z", "text/plain", "12"),
    Page("u", "n", "Ünïcödé line\x00with a NUL\n" * 400, "t", "c", "7", "en"),
    Page("https://例え.jp/パス", "例え.jp/パス", "日本語のテキスト。" * 300, language="ja"),
    Page("u2", "n2", "".join(random.Random(3).choice("ab\n😀") for _ in range(5000))),
]


@pytest.mark.parametrize("page", PAGES, ids=range(len(PAGES)))
def test_pages_round_trip(page):
    packed = wire.pack_page(page)
    assert isinstance(packed, bytes)
    assert wire.unpack_page(packed) == page
    assert wire.pack_page(page) == packed  # the same page packs to the same bytes


def test_pages_pack_from_many_threads_at_once():
    # Beam runs bundles on threads (the in-memory runner with several workers, Dataflow's
    # workers): a (de)compressor shared by threads crashed the process.
    import threading

    pages = [Page(f"u{i}", "n", f"word {i} " * 3000) for i in range(50)]
    failures = []

    def work():
        for _ in range(50):
            failures.extend(p for p in pages if wire.unpack_page(wire.pack_page(p)) != p)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_long_texts_travel_compressed():
    page = PAGES[2]
    assert len(wire.pack_page(page)) < len(page.text.encode("utf-8")) / 3
    short = PAGES[1]
    assert short.text.encode("utf-8") in wire.pack_page(short)


def test_partition_of_bytes_and_words_agree():
    digests = [_md5(str(i)) for i in range(2000)]
    words = np.frombuffer(b"".join(digests), dtype=">u8").reshape(-1, 2)[:, 0].astype("u8")
    for partitions in (1, 2, 16, 1024, 65536):
        bits = wire.partition_bits(partitions)
        expected = [wire.partition_of(d, bits) for d in digests]
        assert wire.partitions_of(words, bits).tolist() == expected
        assert max(expected) < partitions
        if partitions <= 16:
            assert set(expected) == set(range(partitions))


@pytest.mark.parametrize("bad", [0, 3, 24, 1 << 17])
def test_partition_counts_are_powers_of_two(bad):
    with pytest.raises(ValueError, match="power of two"):
        wire.partition_bits(bad)


def _votes(rng: random.Random, n_pages: int, n_lines: int):
    """(keys, ranks, repeats, {line: min rank}) for random pages sharing random lines."""
    lines = [_md5(f"line {i}") for i in range(n_lines)]
    keys, ranks, repeats, owner = [], [], [], {}
    for p in range(n_pages):
        rank = _md5(f"http://site/{p}")
        own = rng.sample(lines, rng.randrange(0, 8))
        keys.extend(own)
        ranks.append(rank)
        repeats.append(len(own))
        for line in own:
            owner[line] = min(owner.get(line, rank), rank)
    return b"".join(keys), b"".join(ranks), repeats, owner


def test_elect_keeps_the_smallest_rank_per_line():
    keys, ranks, repeats, owner = _votes(random.Random(0), 3000, 500)
    votes = wire.records(keys, ranks, repeats)
    assert len(votes) == sum(repeats)
    owners = wire.elect(votes)
    got = {r.tobytes()[:16]: r.tobytes()[16:] for r in owners}
    assert got == owner
    # Bytewise order: a rank differing only in its last byte still decides.
    a, b = b"\x01" * 15 + b"\x02", b"\x01" * 15 + b"\x01"
    tie = wire.elect(wire.records(b"k" * 32, a + b, [1, 1]))
    assert tie.tobytes() == b"k" * 16 + b


def test_election_is_the_same_in_any_batching():
    keys, ranks, repeats, _ = _votes(random.Random(1), 2000, 300)
    votes = wire.records(keys, ranks, repeats)
    rng = np.random.default_rng(2)
    shuffled = votes[rng.permutation(len(votes))]
    batches = np.array_split(shuffled, 7)
    pre = [wire.elect(b).tobytes() for b in batches]  # each bundle elects before sending
    assert wire.elect(wire.from_blobs(pre)).tobytes() == wire.elect(votes).tobytes()


def test_split_by_partition_routes_every_record_once():
    keys, ranks, repeats, _ = _votes(random.Random(4), 500, 200)
    votes = wire.records(keys, ranks, repeats)
    bits = wire.partition_bits(8)
    parts = wire.partitions_of(votes["k0"].astype("u8"), bits)
    seen = []
    for part, blob in wire.split_by_partition(votes, parts):
        chunk = wire.from_blobs([blob])
        assert {wire.partition_of(r.tobytes()[:16], bits) for r in chunk} == {part}
        seen.extend(r.tobytes() for r in chunk)
    assert sorted(seen) == sorted(r.tobytes() for r in votes)
    assert list(wire.split_by_partition(votes[:0], parts[:0])) == []


def test_owned_lines_by_rank():
    keys, ranks, repeats, owner = _votes(random.Random(5), 1000, 400)
    owned = wire.OwnedLines(wire.elect(wire.records(keys, ranks, repeats)))
    by_page: dict[bytes, set] = {}
    for line, rank in owner.items():
        by_page.setdefault(rank, set()).add(line)
    for i in range(1000):
        rank = _md5(f"http://site/{i}")
        assert owned.keys_of(rank) == by_page.get(rank, set())
    # Ranks sharing their first 8 bytes are told apart by the last 8.
    a, b = b"\x05" * 8 + b"\x00" * 8, b"\x05" * 8 + b"\x01" * 8
    owned = wire.OwnedLines(wire.records(b"x" * 16 + b"y" * 16 + b"z" * 16, a + b, [2, 1]))
    assert owned.keys_of(a) == {b"x" * 16, b"y" * 16}
    assert owned.keys_of(b) == {b"z" * 16}
    assert owned.keys_of(b"\x05" * 16) == set()


def test_line_dedup_partitions_follow_the_input_size():
    from c4forge.pipelines.dedup_stages import (
        DEFAULT_PARTITIONS,
        MAX_PARTITIONS,
        PARTITION_TEXT_BYTES,
        partitions_for,
    )

    assert partitions_for(0) == partitions_for(300e6) == DEFAULT_PARTITIONS == 16
    assert partitions_for(17 * PARTITION_TEXT_BYTES) == 32  # rounded up to a power of two
    assert partitions_for(1024 * PARTITION_TEXT_BYTES) == 1024
    assert partitions_for(17.5e12) == MAX_PARTITIONS  # a whole crawl's text
    for n in (1, 1e9, 5e10, 1e13):
        wire.partition_bits(partitions_for(n))  # always a valid count
