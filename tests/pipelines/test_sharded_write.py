"""Tests of pipelines/sharded_write.py: mC4's per-split shard files (counts from each split's
size, pages spread by URL hash, records sorted by URL, TFRecord framing equal to TensorFlow's,
reproducible gzip)."""

from __future__ import annotations

import gzip
import hashlib

import apache_beam as beam
import pytest

from c4forge.corpus.page import Page
from c4forge.corpus.records import frame_record
from c4forge.pipelines import sharded_write as sw


@pytest.mark.parametrize(
    ("pages", "per_shard", "count"), [(0, 5, 1), (1, 5, 1), (5, 5, 1), (6, 5, 2), (11, 5, 3)]
)
def test_shard_count(pages, per_shard, count):
    assert sw.shard_count(pages, per_shard) == count


def test_validation_pages_spread_over_shards():
    # Validation is md5(normalized URL) % 1000 == 0; shards must not follow that hash.
    urls = []
    i = 0
    while len(urls) < 40:
        url = f"x.org/{i}"
        if int(hashlib.md5(url.encode()).hexdigest(), 16) % 1000 == 0:
            urls.append("https://" + url)
        i += 1
    assert len({sw.shard_of(u, 8) for u in urls}) >= 6


def test_frames_equal_tensorflows(tmp_path):
    import tensorflow as tf

    records = [b"", b"a", "é".encode() * 3000]
    path = str(tmp_path / "tf.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        for r in records:
            w.write(r)
    assert sw.encode_records(records, "tfrecord") == (tmp_path / "tf.tfrecord").read_bytes()
    assert frame_record(b"a") == (tmp_path / "tf.tfrecord").read_bytes()[12 + 4 : 12 + 4 + 17]


def test_json_shards_are_reproducible():
    lines = [b'{"url": "a"}', b'{"url": "b"}']
    data = sw.encode_records(lines, "json")
    assert data == sw.encode_records(lines, "json")  # mtime 0: same bytes
    assert gzip.decompress(data) == b'{"url": "a"}\n{"url": "b"}\n'


def _write(tmp_path, pages, fmt="tfrecord"):
    with beam.Pipeline() as p:
        _ = (
            p
            | beam.Create(pages, reshuffle=False)
            | sw.WriteShardedSplits(str(tmp_path), fmt, sw.ShardsPerDocs(2))
        )
    return {f.name: f.read_bytes() for f in tmp_path.iterdir()}


def test_splits_get_shards_by_size_with_sorted_records(tmp_path):
    from c4forge.corpus.records import decode_example
    from c4forge.tasks.records import read_records

    pages = [("sw", Page(f"https://s.org/{i}", f"s.org/{i}", f"t{i}")) for i in range(5)]
    pages += [("yo-validation", Page("https://y.org/1", "y.org/1", "y"))]
    files = _write(tmp_path / "a", pages)
    assert sorted(files) == [
        "c4-sw.tfrecord-00000-of-00003",
        "c4-sw.tfrecord-00001-of-00003",
        "c4-sw.tfrecord-00002-of-00003",
        "c4-yo-validation.tfrecord-00000-of-00001",
    ]
    urls = []
    for name in sorted(files):
        if name.startswith("c4-sw"):
            shard = [
                decode_example(r)["url"].decode()
                for r, _ in read_records(str(tmp_path / "a" / name))
            ]
            assert shard == sorted(shard)
            urls += shard
    assert sorted(urls) == sorted(p.url for _, p in pages[:5])
    # Another run, pages in another order: the same bytes in every file.
    assert _write(tmp_path / "b", pages[::-1]) == files
