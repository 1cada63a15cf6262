"""The C4 record: a `tf.train.Example` of bytes features, encoded and decoded in pure Python.

TFDS's C4 (`tensorflow_datasets/text/c4.py`, `_emit_examples`) writes each page as a
tf.train.Example with the bytes features url, text, content-type, content-length and timestamp.
This module is the one place that knows the wire format, so that neither the Beam build that
writes the records (`pipelines.outputs`) nor the readers (`tasks.records`, the fast feed, the
vocabulary sampler) need TensorFlow:

    Example  { features = 1: Features }
    Features { feature  = 1: map<string, Feature> }   (map entry: key = 1, value = 2)
    Feature  { bytes_list = 1 | float_list = 2 | int64_list = 3 }
    BytesList{ value    = 1: repeated bytes }

Every field written is length-delimited (protobuf wire type 2): a varint key
`(field number << 3) | 2`, a varint length, the payload. Decoding skips fields and feature kinds
it does not read (float and int64 lists), as protobuf's parser does.
"""

from __future__ import annotations

from collections.abc import Mapping

# The reference's features, in the order `_emit_examples` gives them.
C4_FEATURES = ("url", "text", "content-type", "content-length", "timestamp")

_LENGTH_DELIMITED = 2


class CorruptRecordError(ValueError):
    """A record (or its framing) is not what it should be; the message says where."""


def encode_varint(n: int) -> bytes:
    """A protobuf base-128 varint: 7 bits a byte, least significant first."""
    if n < 0:
        raise ValueError(f"varints here are unsigned, got {n}")
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def decode_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """(value, position after it) of the varint at `buf[pos]`."""
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


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return encode_varint((number << 3) | _LENGTH_DELIMITED) + encode_varint(len(payload)) + payload


def encode_example(features: Mapping[str, str | bytes]) -> bytes:
    """A serialized tf.train.Example with one bytes value per feature (str is UTF-8 encoded)."""
    entries = b"".join(
        _field(
            1,
            _field(1, key.encode("utf-8"))
            + _field(
                2, _field(1, _field(1, value.encode("utf-8") if isinstance(value, str) else value))
            ),
        )
        for key, value in features.items()
    )
    return _field(1, entries)


def _varint_at(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """`decode_varint` bounded by `end`, with the one-byte case (keys, short lengths) inline."""
    if pos < end and buf[pos] < 0x80:
        return buf[pos], pos + 1
    value, after = decode_varint(buf, pos)
    if after > end:
        raise CorruptRecordError("truncated varint in a tf.train.Example")
    return value, after


def _field_at(buf: bytes, pos: int, end: int) -> tuple[int, int, int, int]:
    """The protobuf field at `buf[pos]`: (number, start, stop, next position). `buf[start:stop]`
    is a length-delimited field's payload; start is -1 for the other wire types (skipped).
    Positions instead of slices: a record's text is copied once, when it is returned."""
    key, pos = _varint_at(buf, pos, end)
    wire = key & 7
    if wire == _LENGTH_DELIMITED:
        n, pos = _varint_at(buf, pos, end)
        stop = pos + n
        if stop > end:
            raise CorruptRecordError("truncated field in a tf.train.Example")
        return key >> 3, pos, stop, stop
    if wire == 0:
        _, pos = _varint_at(buf, pos, end)
    elif wire in (1, 5):
        pos += 8 if wire == 1 else 4
        if pos > end:
            raise CorruptRecordError("truncated field in a tf.train.Example")
    else:
        raise CorruptRecordError(f"unsupported protobuf wire type {wire}")
    return key >> 3, -1, -1, pos


def _first_bytes(buf: bytes, pos: int, end: int) -> bytes | None:
    """The first value of the bytes_list of the Feature in `buf[pos:end]`; None for an empty
    list or another kind."""
    while pos < end:
        kind, start, stop, pos = _field_at(buf, pos, end)
        if kind != 1 or start < 0 or start == stop:
            continue
        while start < stop:
            number, value_start, value_stop, start = _field_at(buf, start, stop)
            if number == 1 and value_start >= 0:
                return buf[value_start:value_stop]
    return None


def decode_example(record: bytes) -> dict[str, bytes]:
    """The first value of each bytes feature of a serialized tf.train.Example.

    Features of other kinds, and bytes features without values, are left out; a key given
    twice keeps its last value, as protobuf's map parsing does.
    """
    out: dict[str, bytes] = {}
    pos, end = 0, len(record)
    while pos < end:  # Example: field 1 is Features
        number, start, stop, pos = _field_at(record, pos, end)
        if number != 1 or start < 0:
            continue
        while start < stop:  # Features: field 1 is a map entry
            entry_number, entry, entry_end, start = _field_at(record, start, stop)
            if entry_number != 1 or entry < 0:
                continue
            key, value = None, None
            while entry < entry_end:  # map entry: key = 1, value (a Feature) = 2
                part, part_start, part_stop, entry = _field_at(record, entry, entry_end)
                if part_start < 0:
                    continue
                if part == 1:
                    key = record[part_start:part_stop].decode("utf-8")
                elif part == 2:
                    value = _first_bytes(record, part_start, part_stop)
            if key is not None and value is not None:
                out[key] = value
    return out


def decode_feature(record: bytes, key: str) -> bytes | None:
    """The first value of bytes feature `key` of a serialized tf.train.Example, or None."""
    return decode_example(record).get(key)
