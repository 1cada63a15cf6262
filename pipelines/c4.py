"""The C4 build as a Beam pipeline: Common Crawl WET files -> C4 (docs/C4.md §2).

Stage order as the reference `C4._get_pages_pcollection`: split WET files, then the stages of
`corpus.stages.stage_plan` (length filter, [realnewslike domains], URL dedup, [webtextlike
join], [paragraph filter], [clean_page], [line dedup], English langdetect or mC4's CLD3,
[badwords]), with --near-dedup the near-duplicate removal (`pipelines.near_dedup`) and with
--decontaminate the eval-set decontamination (`pipelines.decontamination`), neither in C4, then
the split by md5(normalized URL) % 1000 (and, for mC4, by language).
Bracketed stages depend on the config and version; `c4forge corpus build`
(c4forge.cli.corpus_build) parses the flags into `BuildSettings` and calls `build`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from c4forge.corpus.stages import PlannedStage, Stage, stage_plan
from c4forge.corpus.variants import Variant
from c4forge.corpus.versions import VersionRules
from c4forge.pipelines.outputs import DEFAULT_DOCS_PER_SHARD

if TYPE_CHECKING:  # numpy-backed modules: not loaded by `corpus build --help`
    from c4forge.corpus.decontamination import DecontaminationConfig
    from c4forge.corpus.minhash import MinHashConfig

FORMATS = ("tfrecord", "json")


@dataclasses.dataclass(frozen=True)
class BuildSettings:
    """Everything a build needs, resolved on the launcher and shipped to workers by value."""

    variant: Variant
    rules: VersionRules
    output: str
    format: str
    # (train, validation) shard counts; (): by the split's size, as TFDS shards
    # (`pipelines.sharded_write.ShardsBySize`). English configs only.
    num_shards: tuple[int, int] | tuple[()]
    punkt_tables: dict
    badwords: dict[str, list[str]] | None  # language -> words (English configs: "en" only)
    realnews_domains: dict | None
    with_rejects: bool
    scratch_dir: str | None
    download_attempts: int = 6
    download_backoff_s: float = 1.0
    # mC4: the languages whose splits are built (and "und"), None for the English configs.
    languages: tuple[str, ...] | None = None
    languages_restricted: bool = False  # --languages chose them (the rest is dropped)
    docs_per_shard: int = DEFAULT_DOCS_PER_SHARD  # mC4: shard files hold about this many pages
    openwebtext_sources: tuple[tuple[str, str], ...] | None = None  # webtextlike's URL files
    cc_base_url: str | None = None  # resolves relative manifest lines (None: Common Crawl's)
    near_dedup: MinHashConfig | None = None  # --near-dedup (not in C4): after the stages
    near_dedup_rounds: int | None = None  # None: minhash.DEFAULT_CLUSTER_ROUNDS
    # --decontaminate (not in C4): after near-dedup (dedup first, DEDUP.md §6.8).
    decontamination: DecontaminationConfig | None = None
    decontamination_index: str | None = None  # the index file (decontamination.index_file)
    decontamination_summary: dict | None = None  # EvalIndex.task_summary()
    # Line dedup's groups (a power of two; `dedup_stages.partitions_for` from the input size).
    shuffle_partitions: int = 16
    # The local runner: each dedup grouping cut into this many (`dedup_stages.local_splits_for`);
    # 1 on Dataflow.
    local_splits: int = 1
    # Local runs: where the WET reader reports each file (`pipelines.progress`); None on Dataflow.
    progress_dir: str | None = None


def build_pages(root, plan, s: BuildSettings):
    """Adds the C4 stages to pipeline `root`; returns ([(split, page) pairs], [rejects]): one
    PCollection of pairs, or one per local split (`BuildSettings.local_splits`). `plan`: the
    WET files and manifests to read (`pipelines.inputs.InputPlan`; manifests read on workers).

    The stages are `corpus.stages.stage_plan` for the settings' variant and version, each mapped
    to its composite transform."""

    import apache_beam as beam

    from c4forge.pipelines import dedup_stages
    from c4forge.pipelines import transforms as t
    from c4forge.pipelines.inputs import CC_BASE_URL
    from c4forge.pipelines.wet_sources import WetLocations

    rules, rej = s.rules, s.with_rejects

    def transform(planned: PlannedStage):
        """(label, PTransform) of a planned stage; its output has "pages" (and "rejects")."""
        stage = planned.stage
        if stage is Stage.LENGTH:
            return "TooLong", t.FilterLength(rules, with_rejects=rej)
        if stage is Stage.REALNEWS:
            return "Realnews", t.FilterRealnewsDomains(rules, s.realnews_domains, rej)
        if stage is Stage.URL_DEDUP:
            return "DedupUrls", dedup_stages.DedupUrls(rules, s.local_splits)
        if stage is Stage.WEBTEXTLIKE:
            from c4forge.pipelines.openwebtext import OpenWebTextUrls

            urls = root | "OpenWebText" >> OpenWebTextUrls(list(s.openwebtext_sources or ()))
            return "Webtextlike", t.JoinWebtextlike(rules, urls, rej)
        if stage is Stage.PARAGRAPHS:
            return "Paragraphs", t.FilterParagraphs(rules, rej)
        if stage is Stage.LANGUAGES:
            selected = s.languages if s.languages_restricted else None
            return "Languages", t.FilterLanguages(rules, selected, rej)
        if stage is Stage.CLEAN:
            line_badwords = s.badwords["en"] if planned.line_badwords else None
            return "Clean", t.CleanPages(rules, s.punkt_tables, line_badwords, rej)
        if stage is Stage.LINE_DEDUP:
            min_sentences = planned.min_num_sentences
            return "DedupLines", dedup_stages.DedupLines(
                rules, s.punkt_tables, min_sentences, rej, s.shuffle_partitions, s.local_splits
            )
        if stage is Stage.ENGLISH:
            return "English", t.FilterEnglish(rules, rej)
        if stage is Stage.BADWORDS:
            fraction = planned.badwords_fraction
            return "Badwords", t.FilterBadwords(rules, s.badwords, fraction, rej)
        raise ValueError(f"no transform for stage {stage!r}")

    pages = (
        root
        | "Inputs"
        >> WetLocations(
            plan,
            cc_base_url=s.cc_base_url or CC_BASE_URL,
            scratch_dir=s.scratch_dir,
            attempts=s.download_attempts,
            backoff_s=s.download_backoff_s,
        )
        | "ReadWet"
        >> t.ReadWetFiles(
            rules,
            scratch_dir=s.scratch_dir,
            attempts=s.download_attempts,
            backoff_s=s.download_backoff_s,
            progress_dir=s.progress_dir,
        )
    )
    rejects = []
    # The pages, as one PCollection or, on the local runner with `local_splits` > 1, as one per
    # split of the dedup groupings (`dedup_stages.DedupUrls`): per-page stages run on each.
    branches = [pages]

    def joined(label: str):
        return branches[0] if len(branches) == 1 else tuple(branches) | label >> beam.Flatten()

    for planned in stage_plan(s.variant, rules):
        label, stage_transform = transform(planned)
        if planned.stage is Stage.URL_DEDUP:  # a combine: nothing to reject
            result = tuple(branches) | label >> stage_transform
            branches = list(result) if isinstance(result, tuple) else [result]
            continue
        if planned.stage is Stage.LINE_DEDUP:
            result = tuple(branches) | label >> stage_transform
            if isinstance(result, tuple):  # (rejects, *pages)
                rejects.append(result[0])
                branches = list(result[1:])
            else:
                rejects.append(result[t.REJECTS])
                branches = [result["pages"]]
            continue
        if planned.stage is Stage.WEBTEXTLIKE:  # a join of all the pages with the URL list
            branches = [joined(f"{label}Input")]
        results = [
            branch | f"{label}{i or ''}" >> stage_transform for i, branch in enumerate(branches)
        ]
        rejects.extend(r[t.REJECTS] for r in results)
        branches = [r["pages"] for r in results]
    if s.near_dedup is not None or s.decontamination is not None:
        branches = [joined("AllPages")]
    pages = branches[0]
    if s.near_dedup is not None:
        from c4forge.pipelines.near_dedup import NearDedup

        result = pages | "NearDedup" >> NearDedup(rules, s.near_dedup, rej, s.near_dedup_rounds)
        rejects.append(result[t.REJECTS])
        branches = [result["pages"]]
    if s.decontamination is not None:
        from c4forge.pipelines import decontamination as dc

        result = branches[0] | "Decontaminate" >> dc.Decontaminate(
            rules, s.decontamination_index, s.decontamination, rej
        )
        rejects.append(result[t.REJECTS])
        branches = [result["pages"]]
        _ = result | "ContaminationReport" >> dc.WriteContamination(
            f"{s.output}/{dc.REPORT_NAME}", s.decontamination_summary, s.decontamination
        )
    split = t.SplitLanguages() if s.languages is not None else t.SplitPages(pairs=True)
    return [b | f"Split{i or ''}" >> split for i, b in enumerate(branches)], rejects


def write_outputs(splits, rejects, s: BuildSettings) -> None:
    """`splits`: PCollections of (split, page) pairs, train / validation (English configs) or
    mC4's splits.
    Written by `sharded_write.WriteShardedSplits`: the same pages give the same files."""
    from c4forge.pipelines import sharded_write as sw
    from c4forge.pipelines.transforms import SPLITS

    if s.languages is not None:
        rule = sw.ShardsPerDocs(s.docs_per_shard)
        _ = tuple(splits) | "Write" >> sw.WriteShardedSplits(s.output, s.format, rule)
    else:
        if s.num_shards:
            rule = sw.FixedShards(tuple(zip(SPLITS, s.num_shards, strict=True)))
        else:
            rule = sw.ShardsBySize()
        _ = tuple(splits) | "Write" >> sw.WriteShardedSplits(
            s.output, s.format, rule, multilingual=False, splits=SPLITS
        )
    _write_rejects(rejects, s)


def _write_rejects(rejects, s: BuildSettings) -> None:
    from c4forge.pipelines.sharded_write import WriteRejects

    if s.with_rejects and rejects:
        _ = tuple(rejects) | "WriteRejects" >> WriteRejects(s.output)


def build(settings: BuildSettings, plan, options):
    """Runs the build to the end; returns Beam's PipelineResult."""
    import apache_beam as beam

    pipeline = beam.Pipeline(options=options)
    splits, rejects = build_pages(pipeline, plan, settings)
    write_outputs(splits, rejects, settings)
    result = pipeline.run()
    result.wait_until_finish()
    return result
