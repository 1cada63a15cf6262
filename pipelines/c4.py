"""`c4forge corpus build`: Common Crawl WET files -> C4, on any Beam runner (docs/C4.md §2).

Stage order as the reference `C4._get_pages_pcollection`: split WET files, length filter,
[realnewslike domains], URL dedup, [clean_page], [line dedup], English langdetect, [badwords],
split by md5(normalized URL) % 1000. Bracketed stages depend on the config (`--config`).

    run(["--input", "data/*.warc.wet.gz", "--output", "out/c4", "--config", "en"])

Flags this module does not know are handed to Beam (`--runner`, `--project`, ...); a flag
neither knows is an error before anything runs.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import sys

from corpus.variants import VARIANTS, Variant, variant
from corpus.versions import DEFAULT_VERSION, BadwordsRule, C4Version, VersionRules, rules_for

FORMATS = ("tfrecord", "json")


class UsageError(ValueError):
    """A bad flag or input, reported in one line before the pipeline starts."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="c4forge corpus build",
        description="Clean Common Crawl WET files into C4, exactly as TFDS builds it. "
        "Other flags (--runner, --project, --region, --temp_location, ...) go to Beam.",
    )
    src = p.add_argument_group("input")
    src.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="PATH",
        help="WET files: local paths or globs, gs:// or s3:// paths, https:// URLs, or a "
        "Common Crawl wet.paths(.gz) manifest. Repeatable.",
    )
    src.add_argument(
        "--crawl", metavar="CC-MAIN-YYYY-WW", help="read that crawl's public WET manifest"
    )
    src.add_argument("--max-files", type=int, metavar="N", help="an even sample of N files")
    p.add_argument("--output", required=True, help="output directory (local, gs://, s3://)")
    p.add_argument("--config", default="en", choices=sorted(VARIANTS), help="C4 variant")
    p.add_argument(
        "--c4-version",
        default=DEFAULT_VERSION.value,
        choices=[v.value for v in C4Version],
        help="reference version to reproduce (default: %(default)s, current TFDS)",
    )
    p.add_argument("--format", default="tfrecord", choices=FORMATS, help="output format")
    p.add_argument(
        "--num-shards",
        metavar="TRAIN,VALIDATION",
        help="output shards per split (default: AllenAI's layout for the config, e.g. 1024,8)",
    )
    data = p.add_argument_group("public data (fetched at run time unless given)")
    data.add_argument("--badwords", metavar="FILE", help="LDNOOBW English list")
    data.add_argument("--punkt", metavar="DIR", help="NLTK data dir with tokenizers/punkt_tab")
    data.add_argument("--realnews-domains", metavar="FILE", help="grover's domain list (JSON)")
    p.add_argument("--rejects", action="store_true", help="also write dropped pages + reason")
    p.add_argument("--scratch-dir", help="where workers keep downloads while reading them")
    p.add_argument(
        "--download-attempts", type=int, default=6, help="tries per HTTP download (%(default)s)"
    )
    p.add_argument(
        "--download-backoff",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="first wait between tries, doubled each time (%(default)s)",
    )
    p.add_argument("--no-report", action="store_true", help="skip the funnel plot")
    return p


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


def _parse_shards(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    if text is None:
        return default
    try:
        train, validation = (int(x) for x in text.split(","))
    except ValueError:
        raise UsageError(
            f"--num-shards wants TRAIN,VALIDATION (two integers), got {text!r}"
        ) from None
    if train < 1 or validation < 1:
        raise UsageError("--num-shards: shard counts must be at least 1")
    return train, validation


def strict_beam_options(rest: list[str]):
    """PipelineOptions from the flags we did not parse; an unknown flag is an error."""
    from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser

    parser = _BeamArgumentParser(allow_abbrev=False)
    seen = set()
    stack = list(PipelineOptions.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        with contextlib.suppress(argparse.ArgumentError):  # an option two classes declare
            cls._add_argparse_args(parser)
    _, unknown = parser.parse_known_args(rest)
    if unknown:
        raise UsageError(f"unknown flag(s): {' '.join(unknown)} (see --help)")
    return PipelineOptions(rest)


def resolve(argv: list[str]):
    """Parses flags, checks inputs and loads public data. Raises UsageError on any problem."""
    from pipelines import inputs, resources

    args, rest = build_parser().parse_known_args(argv)
    options = strict_beam_options(rest)
    var = variant(args.config)
    rules = rules_for(args.c4_version)
    if args.download_attempts < 1 or args.download_backoff < 0:
        raise UsageError("--download-attempts must be >= 1 and --download-backoff >= 0")
    if not args.input and not args.crawl:
        raise UsageError("give --input PATH (repeatable) or --crawl CC-MAIN-YYYY-WW")
    try:
        locations = inputs.expand_inputs(
            args.input,
            crawl=args.crawl,
            max_files=args.max_files,
            cc_base_url=inputs.cc_base_url_from_env(),
        )
        punkt = resources.load_punkt_tables(args.punkt) if (var.clean or var.dedupe) else {}
        words = resources.load_badwords(args.badwords) if var.badwords_fraction > 0 else None
        domains = (
            resources.load_realnews_domains(args.realnews_domains) if var.realnewslike else None
        )
    except ValueError as e:  # ResourceError and input errors are ValueErrors
        raise UsageError(str(e)) from None
    if is_dataflow(options):
        local = [loc for loc in [*locations, args.output] if "://" not in loc]
        if local:
            raise UsageError(
                f"{local[0]!r} is a local path, which Dataflow workers cannot read: "
                "use gs:// (or https://) inputs and a gs:// --output"
            )
    settings = BuildSettings(
        variant=var,
        rules=rules,
        output=args.output.rstrip("/"),
        format=args.format,
        num_shards=_parse_shards(args.num_shards, var.json_shards),
        punkt_tables=punkt,
        badwords=words,
        realnews_domains=domains,
        with_rejects=args.rejects,
        scratch_dir=args.scratch_dir,
        download_attempts=args.download_attempts,
        download_backoff_s=args.download_backoff,
    )
    return settings, locations, options, args


def is_dataflow(options) -> bool:
    from apache_beam.options.pipeline_options import StandardOptions

    return "Dataflow" in str(options.view_as(StandardOptions).runner or "")


def build_pages(root, locations: list[str], s: BuildSettings):
    """Adds the C4 stages to pipeline `root`; returns (split -> pages, [rejects])."""
    import apache_beam as beam

    from pipelines import transforms as t

    rules, var, rej = s.rules, s.variant, s.with_rejects
    rejects = []

    def keep(result):
        rejects.append(result[t.REJECTS])
        return result["pages"]

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
    pages = keep(pages | "TooLong" >> t.FilterLength(rules, with_rejects=rej))
    if var.realnewslike:
        pages = keep(pages | "Realnews" >> t.FilterRealnewsDomains(rules, s.realnews_domains, rej))
    pages = pages | "DedupUrls" >> t.DedupUrls(rules)
    line_badwords = s.badwords if rules.badwords is BadwordsRule.LINE_UNESCAPED else None
    if var.clean:
        pages = keep(pages | "Clean" >> t.CleanPages(rules, s.punkt_tables, line_badwords, rej))
    if var.dedupe:
        min_sentences = 3 if var.clean else 0
        pages = keep(
            pages | "DedupLines" >> t.DedupLines(rules, s.punkt_tables, min_sentences, rej)
        )
    pages = keep(pages | "English" >> t.FilterEnglish(rules, rej))
    if var.badwords_fraction > 0 and line_badwords is None:
        pages = keep(
            pages | "Badwords" >> t.FilterBadwords(rules, s.badwords, var.badwords_fraction, rej)
        )
    splits = pages | "Split" >> t.SplitPages()
    return {"train": splits.train, "validation": splits.validation}, rejects


def write_outputs(splits, rejects, s: BuildSettings) -> None:
    import apache_beam as beam

    from pipelines import outputs

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


def default_runner_options(options):
    """DirectRunner on all cores unless the user chose a runner or a running mode."""
    from apache_beam.options.pipeline_options import DirectOptions, SetupOptions, StandardOptions

    # The flags as given: `get_all_options(drop_default=True)` would also drop an explicit flag
    # whose value is the default (`--direct_running_mode=in_memory`).
    given = {
        flag.lstrip("-").split("=", 1)[0].replace("-", "_")
        for flag in getattr(options, "_flags", None) or []
        if flag.startswith("--")
    } | set(options.get_all_options(drop_default=True))
    std = options.view_as(StandardOptions)
    if not std.runner:
        std.runner = "DirectRunner"
        direct = options.view_as(DirectOptions)
        if "direct_num_workers" not in given:
            direct.direct_num_workers = 0  # all cores
        if "direct_running_mode" not in given:
            direct.direct_running_mode = "multi_processing"
    if is_dataflow(options):
        setup = options.view_as(SetupOptions)
        if not setup.setup_file and not setup.requirements_file:
            # Workers get this project (and its pinned dependencies) as an sdist.
            setup.setup_file = project_file()
    return options


def project_file() -> str:
    """The project's pyproject.toml, which Beam builds into the sdist staged for workers."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(here, "pyproject.toml")


def run(argv: list[str] | None = None) -> dict:
    """Builds C4. Returns the report (also written to `<output>/stats.json`)."""
    import apache_beam as beam

    from pipelines import report

    argv = list(sys.argv[1:] if argv is None else argv)
    settings, locations, options, args = resolve(argv)
    options = default_runner_options(options)
    pipeline = beam.Pipeline(options=options)
    splits, rejects = build_pages(pipeline, locations, settings)
    write_outputs(splits, rejects, settings)
    result = pipeline.run()
    result.wait_until_finish()
    if getattr(result, "job", None) is not None and is_dry_run(options):
        # Dataflow dry run: the job graph was built and the sdist staged; nothing ran.
        return {"dry_run": True, "job": result.job, "funnel_text": "dry run: job not submitted"}
    return report.write_report(result, settings, locations, argv, plot=not args.no_report)


def is_dry_run(options) -> bool:
    from apache_beam.options.pipeline_options import TestOptions

    return bool(options.view_as(TestOptions).dry_run)


def quiet_beam_logging() -> None:
    """Warnings and up only; the local job service relays every worker's start-up warnings."""
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("apache_beam.runners.portability.local_job_service").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    quiet_beam_logging()
    try:
        stats = run(argv)
    except UsageError as e:
        print(f"c4forge corpus build: error: {e}", file=sys.stderr)
        return 2
    print(stats["funnel_text"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
