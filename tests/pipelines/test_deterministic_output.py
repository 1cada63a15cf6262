"""Deterministic output files (pipelines/sharded_write.py for the English configs): TFDS's
shard-count rule, every shard written, and builds of the bundled sample that write the same
bytes whatever the runner's mode, its workers or the input order."""

from __future__ import annotations

import gzip
import json
import math

import apache_beam as beam
import pytest

from c4forge.cli import corpus_build
from c4forge.corpus.page import Page
from c4forge.corpus.records import decode_example
from c4forge.pipelines import bundled_sample, dedup_stages
from c4forge.pipelines import sharded_write as sw

import c4_testing

MIB, GIB = 1 << 20, 1 << 30


# --- the shard-count rule --------------------------------------------------------------------


def _size_grid() -> list[int]:
    """Sizes in bytes around every bound of the rule: k x 64 MiB, k x 0.9 GiB, k x 1 GiB."""
    sizes = {0, 1, 1000, 10**6, 10**9, 10**12, 806 * GIB, 2 * 10**12}
    for k in (1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 100, 512, 1023, 1024, 1025, 1100, 2047, 2048, 3000):
        for bound in (64 * MIB, math.floor(0.9 * GIB), GIB):
            sizes |= {k * bound - 1, k * bound, k * bound + 1}
    return sorted(sizes)


RECORD_COUNTS = [0, 1, 2, 3, 7, 8, 100, 511, 512, 1000, 1023, 1024, 1025, 2048, 5000, 10**6, 10**9]


@pytest.mark.parametrize("precise", [False, True])
def test_shard_count_equals_tfds_rule(precise):
    """Differential: `shards_for_size` against TFDS's `ShardConfig.calculate_number_shards`."""
    from tensorflow_datasets.core.utils.shard_utils import ShardConfig

    checked = 0
    for size in _size_grid():
        for records in RECORD_COUNTS:
            # TFDS loops forever when over 1024 x 0.9 GiB the records average more than a
            # maximal shard: only records of at most 1 MiB on average there.
            if size > 1024 * 0.9 * GIB and records < size // MIB:
                continue
            expected = ShardConfig.calculate_number_shards(size, records, precise)
            assert sw.shards_for_size(size, records, precise) == expected, (size, records)
            checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    ("size", "records", "count"),
    [
        (0, 0, 1),  # an empty split: one (empty) file
        (6 * MIB, 2253, 1),  # the bundled sample
        (806 * GIB, 365_000_000, 1024),  # C4 en 3.1.0 train
        (800 * MIB, 365_000, 8),  # ... and its validation: AllenAI's 1024,8
        (1500 * GIB, 10**9, 2048),  # past 1024 x 0.9 GiB: the next multiple of 1024
        (2000 * GIB, 10**9, 3072),
        (2000 * GIB, 100, 100),  # records over 0.9 GiB each (TFDS never returns): one a shard
    ],
)
def test_shard_count_examples(size, records, count):
    assert sw.shards_for_size(size, records) == count


# --- the transform ---------------------------------------------------------------------------


def _write(tmp_path, pairs, fmt, rule, splits=()):
    with beam.Pipeline() as p:
        _ = (
            p
            | beam.Create(pairs, reshuffle=False)
            | sw.WriteShardedSplits(str(tmp_path), fmt, rule, multilingual=False, splits=splits)
        )
    return {f.name: f.read_bytes() for f in tmp_path.iterdir()}


def test_every_shard_is_written_even_empty(tmp_path):
    pages = [("train", Page(f"https://a.org/{i}", f"a.org/{i}", f"t{i}")) for i in range(2)]
    rule = sw.FixedShards((("train", 5), ("validation", 2)))
    files = _write(tmp_path, pages, "json", rule, splits=("train", "validation"))
    assert sorted(files) == [
        *[f"c4-train.0000{i}-of-00005.json.gz" for i in range(5)],
        "c4-validation.00000-of-00002.json.gz",
        "c4-validation.00001-of-00002.json.gz",
    ]
    lines = [line for data in files.values() for line in gzip.decompress(data).splitlines()]
    assert len(lines) == 2
    assert files["c4-validation.00000-of-00002.json.gz"] == sw.encode_records([], "json")


def test_by_size_a_small_split_is_one_file_and_a_named_empty_one_too(tmp_path):
    pages = [("train", Page(f"https://a.org/{i}", f"a.org/{i}", f"t{i}")) for i in range(9)]
    files = _write(tmp_path, pages, "tfrecord", sw.ShardsBySize(), ("train", "validation"))
    assert sorted(files) == [
        "c4-train.tfrecord-00000-of-00001",
        "c4-validation.tfrecord-00000-of-00001",
    ]
    assert files["c4-validation.tfrecord-00000-of-00001"] == b""


# --- builds of the bundled sample ------------------------------------------------------------

RUNS = {  # name: (running mode, workers, inputs reversed, text bytes per local split or None)
    "in_memory-1": ("in_memory", 1, False, None),
    "multi_processing-2-reversed": ("multi_processing", 2, True, None),
    "in_memory-2-reversed": ("in_memory", 2, True, None),
    # The dedup groupings cut in 4 (dedup_stages.local_splits_for: 2 MiB of the ~7 MB of text
    # per split), the pages carried through the per-page stages in 4 branches.
    "multi_processing-2-split": ("multi_processing", 2, False, 2 << 20),
}
STATS: dict = {}  # (format, shards, run) -> the build's stats.json
REJECTS: dict = {}  # (format, "3,2", run) -> {file name: bytes} of rejects/ (built with --rejects)


def _build(out, fmt: str, shards: str | None, run: str = "in_memory-1") -> dict[str, bytes]:
    """The bundled sample built as `en`: {file name: bytes} of the split files."""
    mode, workers, reverse, split_bytes = RUNS[run]
    inputs = bundled_sample.wet_files()
    rejects = ["--rejects"] if shards == "3,2" else []
    args = c4_testing.build_args(
        inputs[::-1] if reverse else inputs, out, "--format", fmt, *rejects
    )
    at = args.index("--num-shards")
    args[at : at + 2] = ["--num-shards", shards] if shards else []
    args = [a for a in args if not a.startswith("--direct_")]
    with pytest.MonkeyPatch.context() as patch:
        if split_bytes:
            patch.setattr(dedup_stages, "LOCAL_SPLIT_TEXT_BYTES", split_bytes)
        argv = [*args, f"--direct_running_mode={mode}", f"--direct_num_workers={workers}"]
        STATS[fmt, shards, run] = corpus_build.run(argv)
    if rejects:
        REJECTS[fmt, shards, run] = {p.name: p.read_bytes() for p in out.glob("rejects/*")}
    return {p.name: p.read_bytes() for p in out.glob("c4-*")}


@pytest.fixture(scope="module")
def builds(shared_data, tmp_path_factory):
    """(format, shards, run) -> {file name: bytes}; the runs of the determinism test first."""
    out = {}
    for fmt in ("tfrecord", "json"):
        for run in RUNS if fmt == "tfrecord" else list(RUNS)[:2]:
            path = tmp_path_factory.mktemp(f"{fmt}-{run}")
            out[fmt, "3,2", run] = _build(path, fmt, "3,2", run)
    for shards in (None, "allenai"):
        path = tmp_path_factory.mktemp(f"tfrecord-{shards}")
        out["tfrecord", shards, "in_memory-1"] = _build(path, "tfrecord", shards)
    return out


@pytest.mark.parametrize("fmt", ["tfrecord", "json"])
def test_same_input_same_files_whatever_the_runner_and_input_order(builds, fmt):
    runs = {run: files for (f, shards, run), files in builds.items() if (f, shards) == (fmt, "3,2")}
    assert len(runs) >= 2
    first = runs.pop("in_memory-1")
    assert len(first) == 5
    for run, files in runs.items():
        assert sorted(files) == sorted(first), run
        differ = [name for name in first if files[name] != first[name]]
        assert not differ, (run, differ)


def test_local_splits_write_the_same_files_and_count_the_same(builds):
    """The dedup groupings cut in 4 on the local runner: same bytes, same counters."""
    one = STATS["tfrecord", "3,2", "in_memory-1"]
    split = STATS["tfrecord", "3,2", "multi_processing-2-split"]
    assert (one["local_splits"], split["local_splits"]) == (1, 4)
    assert split["counters"] == one["counters"]
    files = builds["tfrecord", "3,2", "multi_processing-2-split"]
    assert files == builds["tfrecord", "3,2", "in_memory-1"]


def test_rejects_are_the_same_files_whatever_the_runner(builds):
    """--rejects: gzipped JSON lines placed and ordered by URL, the same bytes in every run."""
    runs = {run: files for (f, _, run), files in REJECTS.items() if f == "tfrecord"}
    first = runs.pop("in_memory-1")
    assert list(first) == ["rejects-00000-of-00001.jsonl.gz"]  # the sample's: one by size
    lines = gzip.decompress(first["rejects-00000-of-00001.jsonl.gz"]).decode().splitlines()
    urls = [json.loads(line)["url"] for line in lines]
    assert len(urls) > 100, len(urls)  # 502 pages dropped from the sample
    assert urls == sorted(urls)
    assert len(runs) == 3
    for run, files in runs.items():
        assert files == first, run


def _records(data: bytes) -> list[bytes]:
    """The records of a TFRecord file's bytes (length, its CRC, data, the data's CRC)."""
    out, pos = [], 0
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 8], "little")
        out.append(data[pos + 12 : pos + 12 + length])
        pos += 12 + length + 4
    return out


def test_each_record_in_its_urls_shard_sorted_by_url(builds):
    files = builds["tfrecord", "3,2", "in_memory-1"]
    for name, data in files.items():
        count = int(name.rsplit("-of-", 1)[1])
        index = int(name.rsplit("-of-", 1)[0][-5:])
        urls = [decode_example(r)["url"].decode() for r in _records(data)]
        assert urls, name  # the sample fills 3 + 2 shards
        assert urls == sorted(urls)
        assert {sw.shard_of(u, count) for u in urls} == {index}


@pytest.mark.parametrize(
    ("shards", "names"),
    [
        (None, ["c4-train.tfrecord-00000-of-00001", "c4-validation.tfrecord-00000-of-00001"]),
        (
            "allenai",
            [f"c4-train.tfrecord-{i:05d}-of-01024" for i in range(1024)]
            + [f"c4-validation.tfrecord-{i:05d}-of-00008" for i in range(8)],
        ),
        ("3,2", [*(f"c4-train.tfrecord-0000{i}-of-00003" for i in range(3)),
                 *(f"c4-validation.tfrecord-0000{i}-of-00002" for i in range(2))]),
    ],
)  # fmt: skip
def test_shard_counts_by_size_allenai_or_given(builds, shards, names):
    assert sorted(builds["tfrecord", shards, "in_memory-1"]) == names


def test_every_layout_holds_the_same_documents(builds):
    from tools.wet_sample import funnel as sample

    def documents(files):
        return sorted(
            (name.split(".")[0], sorted(decode_example(r).items()))
            for name, data in files.items()
            for r in _records(data)
        )

    by_size = documents(builds["tfrecord", None, "in_memory-1"])
    assert documents(builds["tfrecord", "allenai", "in_memory-1"]) == by_size
    assert documents(builds["tfrecord", "3,2", "in_memory-1"]) == by_size
    expected = sample.expected_funnel()
    for split in ("train", "validation"):
        assert sum(s == f"c4-{split}" for s, _ in by_size) == expected[split]["examples"]


@pytest.mark.parametrize(
    ("flags", "shards"),
    [
        ([], ()),
        (["--num-shards", "allenai"], (1024, 8)),
        (["--num-shards", "allenai", "--config", "en.noclean"], (7168, 64)),
        (["--num-shards", "3,2"], (3, 2)),
    ],
)
def test_num_shards_flag(flags, shards, shared_data, tmp_path):
    argv = c4_testing.build_args(bundled_sample.wet_files(), tmp_path / "out")
    at = argv.index("--num-shards")
    del argv[at : at + 2]
    settings, *_ = corpus_build.resolve([*argv, *flags])
    assert settings.num_shards == shards
