"""`c4forge corpus build`: the C4 pipeline (c4forge.pipelines.c4) from the command line.

    c4forge corpus build --input data/*.warc.wet.gz --output out/c4 --config en

Flags this module does not know are handed to Beam (`--runner`, `--project`, ...); a flag
neither knows, a missing input or an unreadable public-data file is one error line before the
pipeline starts.
"""

from __future__ import annotations

import argparse
import sys

from c4forge.cli.common import UsageError, beam_options, report_usage_errors
from c4forge.corpus.variants import VARIANTS, variant
from c4forge.corpus.versions import DEFAULT_VERSION, C4Version, rules_for
from c4forge.pipelines.c4 import FORMATS, BuildSettings


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="c4forge corpus build",
        description="Clean Common Crawl WET files into C4, exactly as TFDS builds it. "
        "Other flags (--runner, --project, --region, --temp_location, ...) go to Beam.",
    )
    src = p.add_argument_group("input")
    src.add_argument(
        "--input",
        action="extend",
        nargs="+",
        default=[],
        metavar="PATH",
        help="WET files: local paths or globs, gs:// or s3:// paths, https:// URLs, or a "
        "Common Crawl wet.paths(.gz) manifest. One or more after the flag; repeatable.",
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


def resolve(argv: list[str]):
    """Parses flags, checks inputs and loads public data. Raises UsageError on any problem."""
    args, rest = build_parser().parse_known_args(argv)  # --help exits here, before Beam loads
    from c4forge.pipelines import inputs, launch, resources

    options = beam_options(rest)
    var = variant(args.config)
    rules = rules_for(args.c4_version)
    if args.download_attempts < 1 or args.download_backoff < 0:
        raise UsageError("--download-attempts must be >= 1 and --download-backoff >= 0")
    if not args.input and not args.crawl:
        raise UsageError("give --input PATH... or --crawl CC-MAIN-YYYY-WW")
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
    if launch.is_dataflow(options):
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


def run(argv: list[str] | None = None) -> dict:
    """Builds C4. Returns the report (also written to `<output>/stats.json`)."""
    from c4forge.pipelines import c4, launch, report

    argv = list(sys.argv[1:] if argv is None else argv)
    settings, locations, options, args = resolve(argv)
    options = launch.default_runner_options(options)
    result = c4.build(settings, locations, options)
    if getattr(result, "job", None) is not None and launch.is_dry_run(options):
        # Dataflow dry run: the job graph was built and the sdist staged; nothing ran.
        return {"dry_run": True, "job": result.job, "funnel_text": "dry run: job not submitted"}
    return report.write_report(result, settings, locations, argv, plot=not args.no_report)


def main(argv: list[str] | None = None) -> int:
    from c4forge.pipelines.launch import quiet_beam_logging

    quiet_beam_logging()

    def build() -> int:
        print(run(argv)["funnel_text"])
        return 0

    return report_usage_errors("c4forge corpus build", build)
