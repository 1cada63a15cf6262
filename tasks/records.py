"""Reading TFRecord files without TensorFlow, resumably, in tf.data's interleave order.

The fast feed (`tasks.feed`) reads documents in exactly the order seqio's `FileDataSource` gives
with `shuffle=False`: files sharded as `files[index::count]`, then tf.data's deterministic
`interleave(cycle_length=16, block_length=16)` over them (`InterleavedReader`, step for step
TensorFlow's `InterleaveDatasetOp`). `InterleavedReader.state()` is a small JSON-able dict (open
files and byte offsets), so a reader can be restored mid-stream.

TFRecord framing (TensorFlow's `io/record_writer.cc`): uint64 length, uint32 masked CRC-32C of
the length, data, uint32 masked CRC of the data (both checked; a bad record raises
`CorruptRecordError` naming file and offset). The records themselves, tf.train.Example, are
decoded by `corpus.records`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence

import google_crc32c

from c4forge.corpus.records import CorruptRecordError

__all__ = ["CorruptRecordError", "InterleavedReader", "read_records"]

_MASK_DELTA = 0xA282EAD8


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
