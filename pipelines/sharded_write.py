"""Writes a build's splits as shard files whose bytes depend only on the pages in them.

Beam's `WriteToTFRecord` / `WriteToText(num_shards=n)` put a record in the shard of whichever
bundle carries it, so two runs of the same input write the same documents into different files.
Here a page's shard is a function of its URL alone, shard = md5("shard\\0" + URL) % n, and each
shard file holds its records sorted by URL (TFDS orders a split's examples by a hash of their
key; URL order is as deterministic, and was already our mC4's order). TFRecords
are framed as TensorFlow frames them, JSON lines gzipped by us with mtime 0. So the same pages
and shard counts give byte-identical files whatever the runner's parallelism, bundles or input
order, and a retried or re-run job writes the same file.

How many shards a split gets is a `ShardRule` of its record count and serialized size, which a
combine gives as a side input:

    ShardsBySize()         TFDS's rule (`shard_utils.ShardConfig.calculate_number_shards`, see
                           `shards_for_size`): files of 64 MiB to 0.9 GiB, 1024 when that fits;
                           the English configs' default (1024,8 for the full `en`)
    ShardsPerDocs(n)       ceil(pages / n): mC4's `--docs-per-shard` (216 splits whose sizes span
                           five orders of magnitude)
    FixedShards({s: n})    `--num-shards TRAIN,VALIDATION` or `allenai` (AllenAI's layout)

Every shard 0..n-1 of a split is written, an empty one too, so a split is always all of its
`-of-N` files; splits named in `splits=` are written (one empty file by size) even without pages.
A shard's records are grouped in one worker, which TFDS's shards (<= 1 GiB) afford; they cross
the grouping compressed (`wire.pack_bytes`).

Input: (split, page) pairs (`WriteShardedSplits`; files `corpus.layout.shard_file_name`), or
(split, (key, record)) pairs (`WriteShardedRecords`): a build's rejects (`WriteRejects`) too.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import io
import json
import math

import apache_beam as beam

from c4forge.corpus.layout import rejects_file_name, shard_file_name
from c4forge.corpus.records import frame_record
from c4forge.pipelines import outputs, wire

# TFDS's sizing facts (`shard_utils.py`): a TFRecord's framing is 16 bytes (length, its CRC, the
# data's CRC); shards of 64 MiB to 1 GiB, and 1024 of them when that fits.
RECORD_OVERHEAD_BYTES = 16
MIN_SHARD_BYTES = 64 << 20
MAX_SHARD_BYTES = 1 << 30
PREFERRED_SHARDS = 1024
# Without precise sharding (a shard's records are not counted out but drawn by hash) a shard may
# get more than its share, so the largest allowed is 0.9 GiB.
IMPRECISE_MAX_FRACTION = 0.9


def shards_for_size(size_bytes: int, records: int, precise: bool = False) -> int:
    """TFDS's shard count for `records` records of `size_bytes` serialized bytes in all.

    Within [fewest, most] (0.9 GiB or 1 GiB and 64 MiB files), 1024 when it fits; above 1024
    the first multiple of 1024 that fits; below, the largest power of two from 512 down to 2
    that fits; else 1. Never more shards than records. Where records average more than a max
    shard (TFDS never returns there) one record per shard."""
    total = size_bytes + records * RECORD_OVERHEAD_BYTES
    most = total // MIN_SHARD_BYTES
    largest = MAX_SHARD_BYTES if precise else IMPRECISE_MAX_FRACTION * MAX_SHARD_BYTES
    fewest = total // largest  # a float when `largest` is: floor all the same
    if fewest <= PREFERRED_SHARDS <= most and records >= PREFERRED_SHARDS:
        return PREFERRED_SHARDS
    if fewest > PREFERRED_SHARDS:
        count = PREFERRED_SHARDS * max(2, math.ceil(fewest / PREFERRED_SHARDS))
        return count if records >= count else records
    for count in (1 << k for k in range(9, 0, -1)):  # 512, 256, ..., 2
        if fewest <= count <= most and records >= count:
            return count
    return 1


def shard_count(pages: int, docs_per_shard: int) -> int:
    """mC4's count: as many shards as `docs_per_shard` pages each need."""
    return max(1, math.ceil(pages / docs_per_shard))


@dataclasses.dataclass(frozen=True)
class ShardsBySize:
    """TFDS's count from the split's size (`shards_for_size`, hash sharding: not precise)."""

    def count(self, split: str, records: int, size_bytes: int) -> int:
        return shards_for_size(size_bytes, records, precise=False)


@dataclasses.dataclass(frozen=True)
class ShardsPerDocs:
    """mC4's `--docs-per-shard`: about `docs_per_shard` pages per file."""

    docs_per_shard: int = outputs.DEFAULT_DOCS_PER_SHARD

    def __post_init__(self):
        if self.docs_per_shard < 1:
            raise ValueError("docs_per_shard must be >= 1")

    def count(self, split: str, records: int, size_bytes: int) -> int:
        return shard_count(records, self.docs_per_shard)


@dataclasses.dataclass(frozen=True)
class FixedShards:
    """Given counts, split -> shards (`--num-shards`); a split not named is an error."""

    counts: tuple[tuple[str, int], ...]

    def __post_init__(self):
        if any(n < 1 for _, n in self.counts):
            raise ValueError(f"shard counts must be >= 1, got {self.counts}")

    def count(self, split: str, records: int, size_bytes: int) -> int:
        return dict(self.counts)[split]


def shard_of(url: str, count: int) -> int:
    """A shard index from the raw URL, independent of the split's md5(normalized URL) % 1000."""
    digest = hashlib.md5(b"shard\0" + url.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def write_records(f, records, fmt: str) -> None:
    """Writes a shard file's bytes to `f`: framed TFRecords, or gzipped JSON lines (no name,
    mtime 0: reproducible)."""
    if fmt == "json":
        with gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=f, mtime=0) as gz:
            for r in records:
                gz.write(r + b"\n")
        return
    for r in records:
        f.write(frame_record(r))


def encode_records(records: list[bytes], fmt: str) -> bytes:
    """A shard file's bytes (`write_records`)."""
    buffer = io.BytesIO()
    write_records(buffer, records, fmt)
    return buffer.getvalue()


def _encode(element, fmt: str):
    """(split, page) -> (split, (url, record)): the record's bytes as the file holds them."""
    split, page = element
    if fmt == "json":
        return split, (page.url, outputs.json_line(page).encode("utf-8"))
    return split, (page.url, outputs.example_bytes(page))


def _packed(element):
    """(split, (key, record)) -> (split, (key, packed record, record size)): records cross the
    grouping (and wait for the shard counts) in Zstandard."""
    split, (key, record) = element
    return split, (key, wire.pack_bytes(record), len(record))


class _KeyByShardFn(beam.DoFn):
    def process(self, element, counts):
        split, (key, packed, _) = element
        n = counts[split]
        yield (split, shard_of(key, n), n), (key, packed)


class _WriteShardFn(beam.DoFn):
    def __init__(self, output: str, fmt: str, name):
        self.output = output
        self.fmt = fmt
        self.name = name

    def process(self, element):
        from apache_beam.io.filesystem import CompressionTypes
        from apache_beam.io.filesystems import FileSystems

        (split, index, count), values = element
        # None: the shard's place-holder (an empty shard is still written). Keys (URLs) are
        # unique in a split after URL dedup; the record breaks a tie all the same.
        records = sorted((key, wire.unpack_bytes(p)) for key, p in (v for v in values if v))
        path = f"{self.output}/{self.name(split, index, count)}"
        # Our own gzip (mtime 0), not the filesystem's by file extension.
        with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            write_records(f, [record for _, record in records], self.fmt)
        yield path


def _all_shards(element):
    """(split, n) -> a place-holder for each of the split's n shards."""
    split, n = element
    for index in range(n):
        yield (split, index, n), None


def _flat(pcolls, label: str):
    """A PCollection, or a tuple / list of them flattened (one: itself)."""
    if not isinstance(pcolls, (tuple, list)):
        return pcolls
    return pcolls[0] if len(pcolls) == 1 else tuple(pcolls) | label >> beam.Flatten()


class WriteShardedRecords(beam.PTransform):
    """(split, (key, record bytes)) -> shard files under `output`, `rule`'s count per split, the
    record in the shard of its key (shard_of) and the shard's records ordered by key; outputs the
    paths. `name(split, index, count)`: a file's path under `output`. `splits`: splits written
    (one empty file by size) even if no record reaches them. The input: a PCollection, or a
    tuple of them (each packed before they are flattened)."""

    def __init__(self, output: str, fmt: str, rule, name, splits: tuple[str, ...] = ()):
        super().__init__()
        self._output = output
        self._fmt = fmt
        self._rule = rule
        self._name = name
        self._splits = splits

    def expand(self, records):
        rule = self._rule
        parts = records if isinstance(records, (tuple, list)) else (records,)
        packed = _flat(
            [part | f"Pack{i or ''}" >> beam.Map(_packed) for i, part in enumerate(parts)],
            "AllRecords",
        )
        sizes = packed | "Sizes" >> beam.MapTuple(lambda split, r: (split, (1, r[2])))
        if self._splits:
            named = [(split, (0, 0)) for split in self._splits]
            seeded = packed.pipeline | "NamedSplits" >> beam.Create(named)
            sizes = (sizes, seeded) | "AllSplits" >> beam.Flatten()
        counts = (
            sizes
            | "SumPerSplit" >> beam.CombinePerKey(beam.combiners.TupleCombineFn(sum, sum))
            | "ShardCounts"
            >> beam.MapTuple(lambda split, total: (split, rule.count(split, *total)))
        )
        keyed = packed | "KeyByShard" >> beam.ParDo(
            _KeyByShardFn(), counts=beam.pvalue.AsDict(counts)
        )
        empty = counts | "EveryShard" >> beam.FlatMap(_all_shards)
        return (
            (keyed, empty)
            | "WithEmptyShards" >> beam.Flatten()
            | "GroupShards" >> beam.GroupByKey()
            | "WriteShards" >> beam.ParDo(_WriteShardFn(self._output, self._fmt, self._name))
        )


class WriteShardedSplits(beam.PTransform):
    """(split, page) -> shard files under `output`, `rule`'s count per split; outputs the paths.
    The input: a PCollection of pairs, or a tuple of them.

    `splits`: splits written even if no page reaches them (the English configs' train and
    validation); `multilingual`: mC4's JSON names (`corpus.layout`)."""

    def __init__(
        self,
        output: str,
        fmt: str,
        rule: ShardsBySize | ShardsPerDocs | FixedShards,
        multilingual: bool = True,
        splits: tuple[str, ...] = (),
    ):
        super().__init__()
        self._output = output
        self._fmt = fmt
        self._rule = rule
        self._multilingual = multilingual
        self._splits = splits

    def expand(self, pages_by_split):
        fmt = self._fmt
        parts = pages_by_split if isinstance(pages_by_split, (tuple, list)) else (pages_by_split,)
        records = tuple(
            part | f"Encode{i or ''}" >> beam.Map(_encode, fmt) for i, part in enumerate(parts)
        )
        name = functools.partial(shard_file_name, fmt=fmt, multilingual=self._multilingual)
        return records | "Records" >> WriteShardedRecords(
            self._output, fmt, self._rule, name, self._splits
        )


def _reject_record(reject: dict):
    """A reject (`transforms.reject_record`) -> ("rejects", (url, its JSON line))."""
    line = json.dumps(reject, ensure_ascii=False).encode("utf-8")
    return "rejects", (reject.get("url", ""), line)


class WriteRejects(beam.PTransform):
    """Rejects (dicts: stage, reason, url, text, ...) -> `rejects/rejects-SSSSS-of-NNNNN.jsonl.gz`
    under `output`: gzipped JSON lines, placed and ordered by URL like the splits, shard count
    by size (TFDS's rule); the same rejects give the same files. Input: a PCollection or a list."""

    def __init__(self, output: str):
        super().__init__()
        self._output = output

    def expand(self, rejects):
        return (
            _flat(rejects, "AllRejects")
            | "RejectRecords" >> beam.Map(_reject_record)
            | "Write"
            >> WriteShardedRecords(self._output, "json", ShardsBySize(), rejects_file_name)
        )
