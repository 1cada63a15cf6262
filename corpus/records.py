"""The C4 record: a `tf.train.Example` of bytes features, encoded and decoded without TensorFlow.

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
`(field number << 3) | 2`, a varint length, the payload; encoding is done here by hand so that
the bytes equal TensorFlow's serializer's. Decoding is protobuf's own parser over this schema,
built at run time (`google.protobuf`, no TensorFlow import); other feature kinds (float and
int64 lists) are read and left out.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

# The reference's features, in the order `_emit_examples` gives them.
C4_FEATURES = ("url", "text", "content-type", "content-length", "timestamp")

_LENGTH_DELIMITED = 2


class CorruptRecordError(ValueError):
    """A record (or its framing) is not what it should be; the message says where."""


_MASK_DELTA = 0xA282EAD8


def masked_crc32c(data: bytes) -> int:
    """TFRecord's checksum: CRC-32C rotated right by 15 bits plus a constant."""
    import google_crc32c

    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame_record(data: bytes) -> bytes:
    """One TFRecord: uint64 length, masked CRC of the length, the data, masked CRC of the data
    (all little-endian), as TensorFlow's TFRecordWriter writes it."""
    import struct

    length = struct.pack("<Q", len(data))
    return (
        length
        + struct.pack("<I", masked_crc32c(length))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


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


@functools.cache
def _example_message() -> type:
    """tf.train.Example's schema (tensorflow/core/example/example.proto and feature.proto),
    built at run time in a private descriptor pool: protobuf's own (C) parser, without
    importing TensorFlow. Field numbers are the module docstring's."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    field = descriptor_pb2.FieldDescriptorProto
    proto = descriptor_pb2.FileDescriptorProto(
        name="c4forge_example.proto", package="c4forge_example", syntax="proto3"
    )

    def message(name: str, fields, parent=None):
        m = (parent.nested_type if parent else proto.message_type).add(name=name)
        for number, (fname, ftype, label, type_name) in enumerate(fields, start=1):
            m.field.add(name=fname, number=number, type=ftype, label=label, type_name=type_name)
        return m

    repeated, optional = field.LABEL_REPEATED, field.LABEL_OPTIONAL
    message("BytesList", [("value", field.TYPE_BYTES, repeated, None)])
    message("FloatList", [("value", field.TYPE_FLOAT, repeated, None)])
    message("Int64List", [("value", field.TYPE_INT64, repeated, None)])
    feature = message(
        "Feature",
        [
            ("bytes_list", field.TYPE_MESSAGE, optional, ".c4forge_example.BytesList"),
            ("float_list", field.TYPE_MESSAGE, optional, ".c4forge_example.FloatList"),
            ("int64_list", field.TYPE_MESSAGE, optional, ".c4forge_example.Int64List"),
        ],
    )
    feature.oneof_decl.add(name="kind")
    for f in feature.field:
        f.oneof_index = 0
    features = message(
        "Features",
        [("feature", field.TYPE_MESSAGE, repeated, ".c4forge_example.Features.FeatureEntry")],
    )
    entry = message(
        "FeatureEntry",
        [
            ("key", field.TYPE_STRING, optional, None),
            ("value", field.TYPE_MESSAGE, optional, ".c4forge_example.Feature"),
        ],
        parent=features,
    )
    entry.options.map_entry = True
    message("Example", [("features", field.TYPE_MESSAGE, optional, ".c4forge_example.Features")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("c4forge_example.Example"))


def _parse(record: bytes):
    """The record as an Example message; CorruptRecordError if protobuf cannot parse it."""
    message, decode_error = _example_message(), _decode_error()
    try:
        return message.FromString(record)
    except decode_error as e:
        raise CorruptRecordError(f"truncated or malformed tf.train.Example ({e})") from None


@functools.cache
def _decode_error() -> type:
    from google.protobuf.message import DecodeError

    return DecodeError


def decode_example(record: bytes) -> dict[str, bytes]:
    """The first value of each bytes feature of a serialized tf.train.Example.

    Features of other kinds, and bytes features without values, are left out; a key given
    twice keeps its last value (protobuf's map parsing, which does the decoding).
    """
    example = _parse(record)
    out: dict[str, bytes] = {}
    for key, feature in example.features.feature.items():
        if feature.WhichOneof("kind") == "bytes_list" and feature.bytes_list.value:
            out[key] = feature.bytes_list.value[0]
    return out


def decode_feature(record: bytes, key: str) -> bytes | None:
    """The first value of bytes feature `key` of a serialized tf.train.Example, or None."""
    feature = _parse(record).features.feature.get(key)
    if feature is None or feature.WhichOneof("kind") != "bytes_list":
        return None
    values = feature.bytes_list.value
    return values[0] if values else None
