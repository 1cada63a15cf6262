"""Decontaminating an existing build: the job of `c4forge corpus decontaminate` (issue 14,
part 2; the stage itself is `pipelines.decontamination`).

Reads a `c4forge corpus build` output, English C4 or mC4, as TFRecord (`tf.train.Example`,
decoded by `corpus.records`) or as JSON lines, and writes the same splits, each with the same
number of shards under the same names (`corpus.layout`), to a new directory without the pages
`Decontaminate` drops. Beside them: contamination.json, stats.json (this job's counters with
each split's `examples`, and the source build's config, version and languages, so that the task
catalog reads the new build as it read the old one) and, with --rejects, `rejects/*.jsonl.gz`.

One scan over every split (pages keyed by their split), then one write of all splits. A record
that cannot be decoded is counted (`decontamination`: `bad_records`) and skipped, as the build
skips damaged WET records. Records are rewritten from their fields (`pipelines.outputs`), so
each record of a build of ours comes out byte for byte as it went in; the build's writer
(`pipelines.sharded_write`) places each in the shard of its URL, ordered by URL, so the same
source and eval sets give the same files, rejects included.
"""

from __future__ import annotations

import dataclasses
import json
import re

import apache_beam as beam
from apache_beam.metrics import Metrics

from c4forge.corpus import records
from c4forge.corpus.decontamination import DecontaminationConfig, EvalIndex
from c4forge.corpus.page import Page
from c4forge.corpus.versions import DEFAULT_VERSION, C4Version, rules_for
from c4forge.pipelines.decontamination import (
    NAMESPACE,
    REJECTS,
    REPORT_NAME,
    Decontaminate,
    WriteContamination,
    index_file,
)
from c4forge.pipelines.sharded_write import FixedShards, WriteRejects, WriteShardedSplits

# Shard names (corpus.layout): TFRecord, mC4's JSON, English JSON. Tried in this order.
_SHARDS = (
    ("tfrecord", re.compile(r"^c4-(?P<split>.+)\.tfrecord-\d{5}-of-(?P<n>\d{5})$")),
    ("json-mc4", re.compile(r"^c4-(?P<split>.+)\.tfrecord-\d{5}-of-(?P<n>\d{5})\.json\.gz$")),
    ("json", re.compile(r"^c4-(?P<split>.+?)\.\d{5}-of-(?P<n>\d{5})\.json\.gz$")),
)


@dataclasses.dataclass(frozen=True)
class SourceBuild:
    """A build directory's shards: `kind` is tfrecord, json or json-mc4 (mC4's JSON names);
    `splits` maps each split to its shard count; `stats` is its stats.json (None if none)."""

    directory: str
    kind: str
    splits: dict[str, int]
    files: tuple[str, ...]
    stats: dict | None

    @property
    def format(self) -> str:
        return "tfrecord" if self.kind == "tfrecord" else "json"

    def split_of(self, path: str) -> str:
        return _SHARDS_BY_KIND[self.kind].match(path.rsplit("/", 1)[-1])["split"]


_SHARDS_BY_KIND = dict(_SHARDS)


def _match(pattern: str) -> list[str]:
    from apache_beam.io.filesystem import BeamIOError
    from apache_beam.io.filesystems import FileSystems

    try:
        return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
    except (BeamIOError, ValueError) as e:
        raise ValueError(f"cannot list {pattern}: {e}") from None


def find_build(directory: str, fmt: str | None = None) -> SourceBuild:
    """The shards of the build in `directory` (`fmt`: tfrecord or json, needed only when both
    are there); ValueError, one line, when there is none or a split lacks shards."""
    directory = directory.rstrip("/") or directory
    found: dict[str, dict[str, list[str]]] = {}
    counts: dict[str, dict[str, int]] = {}
    for path in _match(f"{directory}/c4-*"):
        name = path.rsplit("/", 1)[-1]
        for kind, regex in _SHARDS:
            m = regex.match(name)
            if m:
                found.setdefault(kind, {}).setdefault(m["split"], []).append(path)
                counts.setdefault(kind, {})[m["split"]] = int(m["n"])
                break
    kinds = [k for k in found if fmt is None or (k == "tfrecord") == (fmt == "tfrecord")]
    if not kinds:
        what = f"{fmt} " if fmt else ""
        raise ValueError(
            f"{directory} holds no C4 {what}shards (c4-<split>.tfrecord-SSSSS-of-NNNNN or "
            "c4-<split>.SSSSS-of-NNNNN.json.gz): is it a `c4forge corpus build` output?"
        )
    if len({k == "tfrecord" for k in kinds}) > 1:
        raise ValueError(f"{directory} holds both TFRecord and JSON shards: pass --format")
    if len(kinds) > 1:
        raise ValueError(f"{directory} mixes English and mC4 JSON shard names")
    kind = kinds[0]
    for split, paths in found[kind].items():
        if len(paths) != counts[kind][split]:
            raise ValueError(
                f"{directory}: split {split} has {len(paths)} of its {counts[kind][split]} shards"
            )
    files = tuple(p for split in sorted(found[kind]) for p in found[kind][split])
    return SourceBuild(
        directory, kind, dict(sorted(counts[kind].items())), files, _stats(directory)
    )


def read_json(path: str):
    """A JSON file's content (local, gs://, s3://)."""
    from apache_beam.io.filesystems import CompressionTypes, FileSystems

    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        return json.loads(f.read())


def _stats(directory: str) -> dict | None:
    """The build's stats.json (None if it has none, or an unreadable one)."""
    if not _match(f"{directory}/stats.json"):
        return None
    try:
        stats = read_json(f"{directory}/stats.json")
    except (OSError, ValueError):
        return None
    return stats if isinstance(stats, dict) else None


def existing_shards(output: str) -> list[str]:
    """C4 shards or a contamination.json already in `output` (a new build must not mix)."""
    return _match(f"{output.rstrip('/')}/c4-*") + _match(f"{output.rstrip('/')}/{REPORT_NAME}")


# --- records -------------------------------------------------------------------------------------


def page_of_example(record: bytes) -> Page:
    """A page from one of our tf.train.Example records (`outputs.page_features`' fields)."""
    f = {k: v.decode("utf-8") for k, v in records.decode_example(record).items()}
    if "text" not in f:
        raise ValueError("a record without text")
    return Page(
        f.get("url", ""),
        "",
        f["text"],
        f.get("timestamp", ""),
        f.get("content-type", ""),
        f.get("content-length", ""),
    )


def page_of_json(line: str) -> Page:
    """A page from one `c4-*.json.gz` line (url, text, timestamp)."""
    row = json.loads(line)
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        raise ValueError("a JSON line without text")
    return Page(str(row.get("url", "")), "", row["text"], str(row.get("timestamp", "")))


class _DecodeFn(beam.DoFn):
    """(path, record or line) -> (split, page); undecodable records are counted, skipped."""

    def __init__(self, build: SourceBuild) -> None:
        self.build = build

    def setup(self) -> None:
        self.bad = Metrics.counter(NAMESPACE, "bad_records")
        self.decode = page_of_example if self.build.format == "tfrecord" else page_of_json

    def process(self, element):
        path, data = element
        try:
            page = self.decode(data)
        except (ValueError, UnicodeDecodeError):  # CorruptRecordError is a ValueError
            self.bad.inc()
            return
        yield self.build.split_of(path), page


def _count_split(element):
    """(split, page) as it goes to the writer, counted as the build counts its splits."""
    Metrics.counter(element[0], "examples").inc()
    return element


# --- the job -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DecontaminateSettings:
    """A resolved `corpus decontaminate`: the source build, the output directory, the n-gram
    settings, the eval sets (task names and files, for stats.json) and whether to keep rejects."""

    build: SourceBuild
    output: str
    config: DecontaminationConfig
    tasks: tuple[str, ...]
    files: tuple[str, ...]
    with_rejects: bool = False


def _rules(build: SourceBuild):
    version = (build.stats or {}).get("c4_version")
    known = {v.value for v in C4Version}
    return rules_for(version if version in known else DEFAULT_VERSION.value)


def build_pipeline(pipeline, s: DecontaminateSettings, index: EvalIndex | str, summary) -> None:
    """Adds the job to `pipeline` (`index`: the EvalIndex or the path of its file)."""
    b = s.build
    read = beam.io.ReadAllFromTFRecord if b.format == "tfrecord" else beam.io.ReadAllFromText
    keyed = (
        pipeline
        | "Files" >> beam.Create(list(b.files))
        | "Read" >> read(with_filename=True)
        | "Decode" >> beam.ParDo(_DecodeFn(b))
    )
    result = keyed | "Decontaminate" >> Decontaminate(
        _rules(b), index, s.config, with_rejects=s.with_rejects, keyed=True
    )
    _ = result | "Report" >> WriteContamination(f"{s.output}/{REPORT_NAME}", summary, s.config)
    # The source's splits, names and shard counts; each page in the shard of its URL, as a
    # build places it (`sharded_write`): the same source gives the same files.
    _ = (
        result["pages"]
        | "CountSplits" >> beam.Map(_count_split)
        | "Write"
        >> WriteShardedSplits(
            s.output,
            b.format,
            FixedShards(tuple(b.splits.items())),
            multilingual=b.kind == "json-mc4",
            splits=tuple(b.splits),
        )
    )
    if s.with_rejects:
        _ = result[REJECTS] | "WriteRejects" >> WriteRejects(s.output)


def stats_of(s: DecontaminateSettings, counters: dict, summary: dict, argv) -> dict:
    """stats.json of the new build: the source's config, version and languages (what the
    catalog reads), this job's counters (each split's `examples`, the decontamination counters),
    the settings, and the source build's own stats.json."""
    source = s.build.stats or {}
    stats = {k: source[k] for k in ("config", "c4_version", "languages") if k in source}
    stats.update(
        command="c4forge corpus decontaminate",
        argv=list(argv),
        source=s.build.directory,
        format=s.build.format,
        decontamination={
            **dataclasses.asdict(s.config),
            "removal": "whole page",
            "tasks": list(s.tasks),
            "files": list(s.files),
            "eval_tasks": summary,
        },
        counters=counters,
        source_stats=s.build.stats,
    )
    return stats


def run(s: DecontaminateSettings, index: EvalIndex, options, argv) -> dict:
    """Runs the job to the end; returns stats.json's content (also written to the output).
    The index travels as a file under the output, removed when the job is done."""
    from apache_beam.io.filesystems import FileSystems

    from c4forge.pipelines.report import collect_counters

    summary = index.task_summary()
    with index_file(index, s.output) as path:
        pipeline = beam.Pipeline(options=options)
        build_pipeline(pipeline, s, path, summary)
        result = pipeline.run()
        result.wait_until_finish()
    stats = stats_of(s, collect_counters(result), summary, argv)
    with FileSystems.create(f"{s.output}/stats.json") as f:
        f.write((json.dumps(stats, indent=2) + "\n").encode("utf-8"))
    return stats
