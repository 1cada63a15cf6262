"""Writes many splits at once, each in as many shards as its size needs (mC4's layout).

mC4 has 216 splits whose sizes span five orders of magnitude (`en` vs `yo-validation`), so a
fixed shard count per split (Beam's `WriteToText(num_shards=...)`, one sink per split) would
give either thousands of tiny files or a few huge ones, and 216 sinks in the job graph. Here one
transform writes them all: it counts each split's pages (a combine), gives split s
`ceil(pages_s / docs_per_shard)` shards, sends each page to shard md5("shard" + URL) % n, and
writes each shard as one file with its records sorted by URL, so a file's bytes depend only on
the pages in it (a retried or re-run job writes the same file).

Input: (split, page) pairs. Files: `corpus.layout.shard_file_name`.
"""

from __future__ import annotations

import gzip
import hashlib
import math

import apache_beam as beam

from c4forge.corpus.layout import shard_file_name
from c4forge.corpus.records import frame_record
from c4forge.pipelines import outputs


def shard_count(pages: int, docs_per_shard: int) -> int:
    return max(1, math.ceil(pages / docs_per_shard))


def shard_of(url: str, count: int) -> int:
    """A shard index from the raw URL, independent of the split's md5(normalized URL) % 1000."""
    digest = hashlib.md5(b"shard\0" + url.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def encode_records(records: list[bytes], fmt: str) -> bytes:
    """A shard file's bytes: framed TFRecords, or gzipped JSON lines (mtime 0: reproducible)."""
    if fmt == "json":
        body = b"".join(r + b"\n" for r in records)
        return gzip.compress(body, compresslevel=6, mtime=0)
    return b"".join(frame_record(r) for r in records)


class _KeyByShardFn(beam.DoFn):
    def __init__(self, docs_per_shard: int, fmt: str):
        self.docs_per_shard = docs_per_shard
        self.fmt = fmt

    def process(self, element, counts):
        split, page = element
        n = shard_count(counts[split], self.docs_per_shard)
        if self.fmt == "json":
            record = outputs.json_line(page).encode("utf-8")
        else:
            record = outputs.example_bytes(page)
        yield (split, shard_of(page.url, n), n), (page.url, record)


class _WriteShardFn(beam.DoFn):
    def __init__(self, output: str, fmt: str, multilingual: bool):
        self.output = output
        self.fmt = fmt
        self.multilingual = multilingual

    def process(self, element):
        from apache_beam.io.filesystem import CompressionTypes
        from apache_beam.io.filesystems import FileSystems

        (split, index, count), records = element
        ordered = [record for _, record in sorted(records)]
        name = shard_file_name(split, index, count, self.fmt, self.multilingual)
        path = f"{self.output}/{name}"
        # Our own gzip (mtime 0), not the filesystem's by file extension.
        with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            f.write(encode_records(ordered, self.fmt))
        yield path


class WriteShardedSplits(beam.PTransform):
    """(split, page) -> shard files under `output`; outputs the paths written."""

    def __init__(
        self,
        output: str,
        fmt: str,
        docs_per_shard: int = outputs.DEFAULT_DOCS_PER_SHARD,
        multilingual: bool = True,
    ):
        super().__init__()
        if docs_per_shard < 1:
            raise ValueError("docs_per_shard must be >= 1")
        self._output = output
        self._fmt = fmt
        self._docs_per_shard = docs_per_shard
        self._multilingual = multilingual

    def expand(self, pages_by_split):
        counts = (
            pages_by_split
            | "Keys" >> beam.Keys()
            | "CountPerSplit" >> beam.combiners.Count.PerElement()
        )
        return (
            pages_by_split
            | "KeyByShard"
            >> beam.ParDo(
                _KeyByShardFn(self._docs_per_shard, self._fmt), counts=beam.pvalue.AsDict(counts)
            )
            | "GroupShards" >> beam.GroupByKey()
            | "WriteShards"
            >> beam.ParDo(_WriteShardFn(self._output, self._fmt, self._multilingual))
        )
