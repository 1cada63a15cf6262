"""The C4 build as a Beam pipeline: Common Crawl WET files -> C4 (docs/C4.md §2).

Stage order as the reference `C4._get_pages_pcollection`: split WET files, then the stages of
`corpus.stages.stage_plan` (length filter, [realnewslike domains], URL dedup, [clean_page],
[line dedup], English langdetect, [badwords]), then the split by md5(normalized URL) % 1000.
Bracketed stages depend on the config and version; `c4forge corpus build`
(c4forge.cli.corpus_build) parses the flags into `BuildSettings` and calls `build`.
"""

from __future__ import annotations

import dataclasses
import json

from c4forge.corpus.stages import PlannedStage, Stage, stage_plan
from c4forge.corpus.variants import Variant
from c4forge.corpus.versions import VersionRules

FORMATS = ("tfrecord", "json")


@dataclasses.dataclass(frozen=True)
class BuildSettings:
    """Everything a build needs, resolved on the launcher and shipped to workers by value."""

    variant: Variant
    rules: VersionRules
    output: str
    format: str
    num_shards: tuple[int, int]
    punkt_tables: dict
    badwords: list | None
    realnews_domains: dict | None
    with_rejects: bool
    scratch_dir: str | None
    download_attempts: int = 6
    download_backoff_s: float = 1.0


def build_pages(root, locations: list[str], s: BuildSettings):
    """Adds the C4 stages to pipeline `root`; returns (split -> pages, [rejects]).

    The stages are `corpus.stages.stage_plan` for the settings' variant and version, each mapped
    to its composite transform."""
    import apache_beam as beam

    from c4forge.pipelines import transforms as t

    rules, rej = s.rules, s.with_rejects

    def transform(planned: PlannedStage):
        """(label, PTransform) of a planned stage; its output has "pages" (and "rejects")."""
        stage = planned.stage
        if stage is Stage.LENGTH:
            return "TooLong", t.FilterLength(rules, with_rejects=rej)
        if stage is Stage.REALNEWS:
            return "Realnews", t.FilterRealnewsDomains(rules, s.realnews_domains, rej)
        if stage is Stage.URL_DEDUP:
            return "DedupUrls", t.DedupUrls(rules)
        if stage is Stage.CLEAN:
            line_badwords = s.badwords if planned.line_badwords else None
            return "Clean", t.CleanPages(rules, s.punkt_tables, line_badwords, rej)
        if stage is Stage.LINE_DEDUP:
            min_sentences = planned.min_num_sentences
            return "DedupLines", t.DedupLines(rules, s.punkt_tables, min_sentences, rej)
        if stage is Stage.ENGLISH:
            return "English", t.FilterEnglish(rules, rej)
        if stage is Stage.BADWORDS:
            fraction = planned.badwords_fraction
            return "Badwords", t.FilterBadwords(rules, s.badwords, fraction, rej)
        raise ValueError(f"no transform for stage {stage!r}")

    pages = (
        root
        | "WetFiles" >> beam.Create(locations, reshuffle=False)
        | "ReadWet"
        >> t.ReadWetFiles(
            rules,
            scratch_dir=s.scratch_dir,
            attempts=s.download_attempts,
            backoff_s=s.download_backoff_s,
        )
    )
    rejects = []
    for planned in stage_plan(s.variant, rules):
        label, stage_transform = transform(planned)
        result = pages | label >> stage_transform
        if planned.stage is Stage.URL_DEDUP:  # a combine: nothing to reject
            pages = result
        else:
            rejects.append(result[t.REJECTS])
            pages = result["pages"]
    splits = pages | "Split" >> t.SplitPages()
    return {"train": splits.train, "validation": splits.validation}, rejects


def write_outputs(splits, rejects, s: BuildSettings) -> None:
    import apache_beam as beam

    from c4forge.pipelines import outputs

    for (name, pages), shards in zip(splits.items(), s.num_shards, strict=True):
        prefix = f"{s.output}/c4-{name}"
        if s.format == "json":
            _ = (
                pages
                | f"Json{name}" >> beam.Map(outputs.json_line)
                | f"Write{name}"
                >> beam.io.WriteToText(
                    prefix,
                    file_name_suffix=".json.gz",
                    num_shards=shards,
                    shard_name_template=".SSSSS-of-NNNNN",
                )
            )
        else:
            _ = (
                pages
                | f"Example{name}" >> beam.Map(outputs.example_bytes)
                | f"Write{name}"
                >> beam.io.WriteToTFRecord(
                    prefix + ".tfrecord", num_shards=shards, shard_name_template="-SSSSS-of-NNNNN"
                )
            )
    if s.with_rejects and rejects:
        _ = (
            rejects
            | "AllRejects" >> beam.Flatten()
            | "RejectJson" >> beam.Map(lambda r: json.dumps(r, ensure_ascii=False))
            | "WriteRejects"
            >> beam.io.WriteToText(f"{s.output}/rejects/rejects", file_name_suffix=".jsonl.gz")
        )


def build(settings: BuildSettings, locations: list[str], options):
    """Runs the build to the end; returns Beam's PipelineResult."""
    import apache_beam as beam

    pipeline = beam.Pipeline(options=options)
    splits, rejects = build_pages(pipeline, locations, settings)
    write_outputs(splits, rejects, settings)
    result = pipeline.run()
    result.wait_until_finish()
    return result
