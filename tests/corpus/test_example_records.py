"""`corpus.records`: the C4 tf.train.Example, encoded and decoded by hand, against protobuf.

TensorFlow's own Example message (`tensorflow.core.example.example_pb2`) is the reference: what
we encode, it parses to the same features; what it serializes, we decode to the same values.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c4forge.corpus import records

example_pb2 = pytest.importorskip("tensorflow.core.example.example_pb2")
feature_pb2 = pytest.importorskip("tensorflow.core.example.feature_pb2")

C4_PAGE = {
    "url": "https://a.example/x?q=ü",
    "text": "Line one.\nLine two ü 🙂.",
    "content-type": "text/plain",
    "content-length": "1234",
    "timestamp": "2019-07-17T12:15:59Z",
}


def _parsed(record: bytes) -> dict[str, list[bytes]]:
    feature = example_pb2.Example.FromString(record).features.feature
    return {key: list(value.bytes_list.value) for key, value in feature.items()}


@pytest.mark.parametrize(
    ("n", "encoded"),
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (300, b"\xac\x02"),
        (2**32, b"\x80\x80\x80\x80\x10"),
    ],
)
def test_varint_by_hand(n, encoded):
    assert records.encode_varint(n) == encoded
    assert records.decode_varint(b"\xff" + encoded + b"\x05", 1) == (n, 1 + len(encoded))


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_varint_round_trip(n):
    encoded = records.encode_varint(n)
    assert records.decode_varint(encoded, 0) == (n, len(encoded))


def test_negative_and_truncated_varints_are_refused():
    with pytest.raises(ValueError, match="varints here are unsigned, got -1"):
        records.encode_varint(-1)
    with pytest.raises(records.CorruptRecordError, match="truncated varint"):
        records.decode_varint(b"\x80\x80", 0)


def test_c4_example_parses_with_protobuf():
    record = records.encode_example(C4_PAGE)
    assert _parsed(record) == {k: [v.encode()] for k, v in C4_PAGE.items()}
    assert set(C4_PAGE) == set(records.C4_FEATURES)


@given(st.dictionaries(st.text(max_size=20), st.binary(max_size=300) | st.text(max_size=300)))
def test_encode_then_decode_and_protobuf_agree(features):
    record = records.encode_example(features)
    expected = {k: v.encode() if isinstance(v, str) else v for k, v in features.items()}
    assert records.decode_example(record) == expected
    assert _parsed(record) == {k: [v] for k, v in expected.items()}


def test_decode_reads_what_protobuf_writes_and_skips_other_kinds():
    Feature = feature_pb2.Feature
    example = example_pb2.Example()
    feature = example.features.feature
    feature["n"].CopyFrom(Feature(int64_list=feature_pb2.Int64List(value=[3, 2**40, -1])))
    feature["x"].CopyFrom(Feature(float_list=feature_pb2.FloatList(value=[0.5, 2.0])))
    feature["text"].CopyFrom(Feature(bytes_list=feature_pb2.BytesList(value=[b"first", b"2nd"])))
    feature["none"].CopyFrom(Feature(bytes_list=feature_pb2.BytesList(value=[])))
    record = example.SerializeToString()
    assert records.decode_example(record) == {"text": b"first"}
    assert records.decode_feature(record, "text") == b"first"
    assert records.decode_feature(record, "none") is None
    # A feature of another kind has no bytes value.
    assert records.decode_feature(record, "n") is None
    assert records.decode_feature(record, "x") is None
    assert records.decode_feature(record, "missing") is None


def test_a_truncated_example_is_a_corrupt_record():
    record = records.encode_example(C4_PAGE)
    with pytest.raises(records.CorruptRecordError, match="truncated"):
        records.decode_example(record[:-3])
