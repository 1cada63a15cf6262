"""`tasks.records` and `corpus.records` against TensorFlow: TFRecord framing, tf.Example parsing
of a real C4 build, interleave order."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf

from c4forge.corpus.records import decode_feature
from c4forge.tasks import records


def _write(path, payloads):
    with tf.io.TFRecordWriter(str(path)) as writer:
        for p in payloads:
            writer.write(p)
    return str(path)


def test_read_records_returns_what_tensorflow_wrote(tmp_path):
    rng = np.random.default_rng(0)
    payloads = [b"", b"a", b"\x00" * 3, *(rng.bytes(int(n)) for n in rng.integers(0, 5000, 20))]
    path = _write(tmp_path / "r.tfrecord", payloads)
    got = list(records.read_records(path))
    assert [r for r, _ in got] == payloads
    # Each offset is just after its record: 8 length + 4 CRC + data + 4 CRC bytes.
    assert [o for _, o in got] == list(np.cumsum([16 + len(p) for p in payloads]))
    # Reading from an offset continues from that record.
    third = got[2][1]
    assert [r for r, _ in records.read_records(path, third)] == payloads[3:]


def test_empty_file_has_no_records(tmp_path):
    assert list(records.read_records(_write(tmp_path / "e.tfrecord", []))) == []


@pytest.mark.parametrize(
    ("position", "message"),
    [
        (2, "bad length checksum at byte 0"),  # inside the first record's length
        (12 + 3, "bad data checksum at byte 0"),  # inside the first record's data
        (16 + 5 + 12 + 1, "bad data checksum at byte 21"),  # second record's data
        (16 + 5 + 12 + 5 + 1, "bad data checksum at byte 21"),  # second record's data CRC
    ],
)
def test_corrupted_bytes_raise(tmp_path, position, message):
    path = tmp_path / "c.tfrecord"
    _write(path, [b"hello", b"world"])
    data = bytearray(path.read_bytes())
    data[position] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(records.CorruptRecordError, match=message):
        list(records.read_records(str(path)))


@pytest.mark.parametrize(
    ("keep", "message"),
    [(16 + 5 + 6, "truncated record header at byte 21"), (16 + 3, "truncated record at byte 0")],
)
def test_truncated_file_raises(tmp_path, keep, message):
    path = tmp_path / "t.tfrecord"
    _write(path, [b"hello", b"world"])
    path.write_bytes(path.read_bytes()[:keep])
    with pytest.raises(records.CorruptRecordError, match=message):
        list(records.read_records(str(path)))


def test_decode_feature_equals_tensorflow_on_real_c4(c4_dir):
    files = sorted(str(p) for p in c4_dir.glob("c4-train.tfrecord-*"))
    spec = {k: tf.io.FixedLenFeature([], tf.string) for k in ("text", "url", "timestamp")}
    count = 0
    for f in files:
        ours = [r for r, _ in records.read_records(f)]
        theirs = [r.numpy() for r in tf.data.TFRecordDataset(f)]
        assert ours == theirs
        for raw in theirs:
            parsed = tf.io.parse_single_example(raw, spec)
            for key in spec:
                assert decode_feature(raw, key) == parsed[key].numpy()
            assert decode_feature(raw, "missing") is None
            count += 1
    assert count > 100


# -- interleave ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shard_files(tmp_path_factory):
    """21 files of 0 to 70 records (several empty), each record naming its file and index."""
    root = tmp_path_factory.mktemp("shards")
    sizes = [5, 0, 40, 17, 0, 70, 1, 16, 33, 0, 2, 64, 9, 31, 0, 48, 15, 3, 0, 27, 50]
    return [
        _write(root / f"f{i:02d}", [f"{i}:{j}".encode() for j in range(n)])
        for i, n in enumerate(sizes)
    ]


def _tf_interleave(files, cycle_length, block_length):
    ds = tf.data.Dataset.from_tensor_slices(files).interleave(
        tf.data.TFRecordDataset, cycle_length=cycle_length, block_length=block_length
    )
    return [r.numpy() for r in ds]


@pytest.mark.parametrize(("cycle", "block"), [(16, 16), (3, 2), (4, 1), (30, 5)])
def test_interleaved_reader_order_equals_tf_data(shard_files, cycle, block):
    expected = _tf_interleave(shard_files, cycle, block)
    assert len(expected) == 431
    assert list(records.InterleavedReader(shard_files, cycle, block)) == expected


@pytest.mark.parametrize(("cycle", "block"), [(16, 16), (3, 2)])
def test_interleaved_reader_restores_mid_way(shard_files, cycle, block):
    expected = _tf_interleave(shard_files, cycle, block)
    for k in [0, 1, 15, 16, 17, 100, 255, 256, 257, 300, 430, 431]:
        reader = records.InterleavedReader(shard_files, cycle, block)
        head = [next(reader) for _ in range(k)]
        state = json.loads(json.dumps(reader.state()))
        resumed = records.InterleavedReader(shard_files, cycle, block)
        resumed.restore(state)
        assert head + list(resumed) == expected, k
        # The original reader, never stopped, continues the same way.
        assert list(reader) == expected[k:], k
