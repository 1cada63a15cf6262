"""Reading TFRecord files of tf.train.Example without TensorFlow, resumably.

The fast feed (`tasks.feed`) reads documents in exactly the order seqio's `FileDataSource` gives
with `shuffle=False`: files sharded as `files[index::count]`, then tf.data's deterministic
`interleave(cycle_length=16, block_length=16)` over them. `InterleavedReader.state()` is a small
JSON-able dict (open files and byte offsets), so a reader can be restored mid-stream.

TFRecord framing: uint64 length, uint32 masked CRC-32C of the length, data, uint32 masked CRC of
the data (both checked; a bad record raises `CorruptRecordError` naming file and offset).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence

import google_crc32c

_MASK_DELTA = 0xA282EAD8


class CorruptRecordError(ValueError):
    pass


def _masked_crc(data: bytes) -> int:
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def _open(path: str):
    """Local files directly; gs:// and other remote paths through TensorFlow's filesystems."""
    if "://" not in path:
        return open(path, "rb")
    import tensorflow as tf

    return tf.io.gfile.GFile(path, "rb")


def read_records(path: str, offset: int = 0) -> Iterator[tuple[bytes, int]]:
    """(record, offset just after it) from `offset` to the end of a TFRecord file."""
    with _open(path) as f:
        f.seek(offset)
        while True:
            header = f.read(12)
            if not header:
                return
            if len(header) < 12:
                raise CorruptRecordError(f"{path}: truncated record header at byte {offset}")
            (length,) = struct.unpack("<Q", header[:8])
            (length_crc,) = struct.unpack("<I", header[8:])
            if _masked_crc(header[:8]) != length_crc:
                raise CorruptRecordError(f"{path}: bad length checksum at byte {offset}")
            data = f.read(length)
            footer = f.read(4)
            if len(data) < length or len(footer) < 4:
                raise CorruptRecordError(f"{path}: truncated record at byte {offset}")
            if _masked_crc(data) != struct.unpack("<I", footer)[0]:
                raise CorruptRecordError(f"{path}: bad data checksum at byte {offset}")
            offset += 16 + length
            yield data, offset


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise CorruptRecordError("truncated varint in a tf.train.Example")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, bytes | None]]:
    """(field number, payload) of each protobuf field; payload None unless length-delimited."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        wire = key & 7
        if wire == 2:
            n, pos = _varint(buf, pos)
            if pos + n > len(buf):
                raise CorruptRecordError("truncated field in a tf.train.Example")
            yield key >> 3, buf[pos : pos + n]
            pos += n
        elif wire == 0:
            _, pos = _varint(buf, pos)
            yield key >> 3, None
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
            yield key >> 3, None
        else:
            raise CorruptRecordError(f"unsupported protobuf wire type {wire}")


def example_bytes_features(record: bytes) -> dict[str, bytes]:
    """The first value of each bytes feature of a serialized tf.train.Example.

    Example{features=1: Features{feature=1: map entry{key=1, value=2: Feature{bytes_list=1:
    BytesList{value=1}}}}} (float_list=2 and int64_list=3 are skipped): the inverse of
    `pipelines.outputs.example_bytes`, parsed by hand so that readers need no TensorFlow.
    """
    out: dict[str, bytes] = {}
    for number, features in _fields(record):
        if number != 1 or features is None:
            continue
        for entry_number, entry in _fields(features):
            if entry_number != 1 or entry is None:
                continue
            key, feature = None, b""
            for part_number, part in _fields(entry):
                if part_number == 1 and part is not None:
                    key = part.decode("utf-8")
                elif part_number == 2 and part is not None:
                    feature = part
            values = [
                value
                for kind, values in _fields(feature)
                if kind == 1 and values  # bytes_list
                for n, value in _fields(values)
                if n == 1 and value is not None
            ]
            if key is not None and values:
                out[key] = values[0]
    return out


def example_bytes_feature(record: bytes, key: str) -> bytes | None:
    """The first value of bytes feature `key` of a serialized tf.train.Example, or None.

    Through protobuf's C parser with TensorFlow's Example message when TensorFlow is installed
    (10x the pure-Python parse, which is the fallback).
    """
    try:
        from tensorflow.core.example import example_pb2
    except ImportError:
        return example_bytes_features(record).get(key)
    try:
        feature = example_pb2.Example.FromString(record).features.feature
    except Exception as e:  # protobuf's DecodeError
        raise CorruptRecordError(f"not a tf.train.Example: {e}") from None
    if key not in feature:
        return None
    values = feature[key].bytes_list.value
    return values[0] if values else None


class InterleavedReader:
    """Records of `files` in tf.data `interleave(cycle_length, block_length)` order, resumable."""

    def __init__(self, files: Sequence[str], cycle_length: int = 16, block_length: int = 16):
        self.files = list(files)
        self.cycle_length = cycle_length
        self.block_length = block_length
        self.restore({"next_file": 0, "slots": [None] * cycle_length, "cycle": 0, "block": 0})

    def state(self) -> dict:
        slots = [None if s is None else list(s[:2]) for s in self._slots]
        return {
            "next_file": self._next_file,
            "slots": slots,
            "cycle": self._cycle,
            "block": self._block,
        }

    def restore(self, state: dict) -> None:
        self._next_file = state["next_file"]
        # A slot: [file index, byte offset, open iterator or None].
        self._slots = [None if s is None else [s[0], s[1], None] for s in state["slots"]]
        self._cycle = state["cycle"]
        self._block = state["block"]

    def _advance(self) -> None:
        self._block = 0
        self._cycle = (self._cycle + 1) % self.cycle_length

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        # tf.data's InterleaveDataset::GetNext, step by step.
        while True:
            slot = self._slots[self._cycle]
            if slot is not None:
                if slot[2] is None:
                    slot[2] = read_records(self.files[slot[0]], slot[1])
                item = next(slot[2], None)
                if item is not None:
                    record, slot[1] = item
                    self._block += 1
                    if self._block == self.block_length:
                        self._advance()
                    return record
                self._slots[self._cycle] = None
                self._advance()
            elif self._next_file < len(self.files):
                self._slots[self._cycle] = [self._next_file, 0, None]
                self._next_file += 1
            elif any(s is not None for s in self._slots):
                self._advance()
            else:
                raise StopIteration
