"""`c4forge corpus build`: the C4 pipeline (c4forge.pipelines.c4) from the command line.

    c4forge corpus build --input data/*.warc.wet.gz --output out/c4 --config en
    c4forge corpus build --input 'wet/*.warc.wet.gz' --config multilingual --languages sw,yo \
        --output out/mc4
    c4forge corpus build --crawl CC-MAIN-2019-18 --config webtextlike \
        --openwebtext-urls OpenWebText.zip --output out/wt
    c4forge corpus build --crawl CC-MAIN-2019-18 --config en --near-dedup --output out/c4-nd
    c4forge corpus build --input 'wet/*.warc.wet.gz' --output out/c4-clean \
        --decontaminate 'glue_.*,squad_v010_allanswers'

Flags this module does not know are handed to Beam (`--runner`, `--project`, ...); a flag
neither knows, a missing input or an unreadable public-data file is one error line before the
pipeline starts.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys

from c4forge.cli.common import UsageError, beam_options, report_usage_errors
from c4forge.corpus.variants import VARIANTS, variant
from c4forge.corpus.versions import DEFAULT_VERSION, C4Version, rules_for
from c4forge.pipelines.c4 import FORMATS, BuildSettings
from c4forge.pipelines.outputs import DEFAULT_DOCS_PER_SHARD


def build_parser(output_required: bool = True) -> argparse.ArgumentParser:
    """The flags of `corpus build`; `corpus plan` takes them too, without --output."""
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
        "--crawl",
        action="append",
        default=[],
        metavar="CC-MAIN-YYYY-WW",
        help="read these crawls' public WET manifests (on the workers): repeatable, a comma "
        "list, or 'all' for every dump the config and version read (mC4 3.1.0: 86)",
    )
    src.add_argument("--max-files", type=int, metavar="N", help="an even sample of N files")
    p.add_argument(
        "--output", required=output_required, help="output directory (local, gs://, s3://)"
    )
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
        metavar="TRAIN,VALIDATION|allenai",
        help="output shards per split, or 'allenai' for AllenAI's layout of the config (1024,8 "
        "for en). Default: by each split's size as TFDS shards (files of 64 MiB to 0.9 GiB, 1024 "
        "when that fits; one file for a small build). Either way a page's shard is a hash of its "
        "URL: the same input writes the same files",
    )
    mc4 = p.add_argument_group("multilingual (mC4)")
    mc4.add_argument(
        "--languages",
        metavar="XX,YY",
        help="build only these mC4 languages (codes as CLD3 gives them, e.g. sw,zh-Latn,und); "
        "the result for each equals the full build's",
    )
    mc4.add_argument(
        "--docs-per-shard",
        type=int,
        default=DEFAULT_DOCS_PER_SHARD,
        metavar="N",
        help="pages per output file; each language gets as many shards as its size needs "
        "(default: %(default)s)",
    )
    data = p.add_argument_group("public data (fetched at run time unless given)")
    data.add_argument("--badwords", metavar="FILE", help="LDNOOBW English list (commit 25e679f)")
    data.add_argument(
        "--badwords-dir",
        metavar="DIR",
        help="LDNOOBW list files of the other languages, named by code (commit 5faf2ba; mC4)",
    )
    data.add_argument(
        "--openwebtext-urls",
        metavar="PATH",
        help="webtextlike: OpenWebText.zip, a directory of its URL .txt files, or a text file "
        "with one URL per line",
    )
    data.add_argument("--punkt", metavar="DIR", help="NLTK data dir with tokenizers/punkt_tab")
    data.add_argument("--realnews-domains", metavar="FILE", help="grover's domain list (JSON)")
    nd = p.add_argument_group(
        "near-duplicate removal (after the config's stages, before the split; not in C4)"
    )
    nd.add_argument(
        "--near-dedup",
        action="store_true",
        help="drop near-duplicate pages: MinHash LSH candidates verified by exact Jaccard, "
        "one page (smallest md5 of URL) kept per cluster",
    )
    # The defaults are spelled here, not read from MinHashConfig and DecontaminationConfig, so
    # that --help imports no numpy; tests/cli/test_corpus_build_near_dedup.py checks they agree.
    nd.add_argument("--minhash-ngram", type=int, default=5, metavar="N",
                    help="words per shingle (%(default)s)")  # fmt: skip
    nd.add_argument("--minhash-bands", type=int, default=14, metavar="B",
                    help="LSH bands (%(default)s)")  # fmt: skip
    nd.add_argument("--minhash-rows", type=int, default=8, metavar="R",
                    help="signature values per band (%(default)s)")  # fmt: skip
    nd.add_argument("--minhash-seed", type=int, default=1, metavar="S",
                    help="seed of the permutations (%(default)s)")  # fmt: skip
    nd.add_argument(
        "--near-dedup-threshold",
        type=float,
        default=0.8,
        metavar="J",
        help="exact Jaccard similarity from which a candidate pair is a near duplicate "
        "(%(default)s)",
    )
    nd.add_argument(
        "--near-dedup-rounds",
        type=int,
        default=8,
        metavar="K",
        help="connected-components rounds unrolled into the job (%(default)s: chains of "
        "~1,000 near duplicates converge; counter near-dedup:cc_unconverged says if not)",
    )
    dc = p.add_argument_group("decontamination (after near-dedup, before the split; not in C4)")
    dc.add_argument(
        "--decontaminate",
        action="append",
        default=[],
        metavar="NAMES",
        help="drop pages sharing a normalized n-gram with these catalog tasks' validation/test "
        "examples: task names, mixtures or regexes, comma-separated (repeatable)",
    )
    dc.add_argument(
        "--decontaminate-file",
        action="append",
        default=[],
        metavar="FILE",
        help='JSON lines {"task", "id", "text"} of eval examples outside the catalog (repeatable)',
    )
    dc.add_argument(
        "--decontaminate-ngram",
        type=int,
        default=13,
        metavar="N",
        help="words per n-gram (%(default)s); eval texts of 8 to N-1 words are one n-gram",
    )
    dc.add_argument("--tfds-data-dir", help="TFDS data dir of --decontaminate's tasks")
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
    # Defaults spelled here so that --help loads no Beam; tests/cli/test_corpus_plan.py checks
    # they are pipelines.progress's and pipelines.plan's.
    cost = p.add_argument_group("progress and cost")
    cost.add_argument(
        "--progress-interval",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="local runs: a line on stderr every SECONDS with files read of N, pages/s, the "
        "stage, elapsed and time left; 0: none (%(default)s)",
    )
    cost.add_argument(
        "--target-hours",
        type=float,
        default=4.0,
        metavar="H",
        help="--dry_run=True prints the cost plan (as `c4forge corpus plan`) instead of "
        "running: the Dataflow worker count suggested aims at H hours of wall time "
        "(%(default)s); --worker_machine_type and --max_num_workers are read too",
    )
    return p


def _parse_shards(text: str | None, allenai: tuple[int, int]) -> tuple[int, int] | tuple[()]:
    """--num-shards: (train, validation) counts; `allenai`'s for "allenai"; () (by size) if
    not given."""
    if text is None:
        return ()
    if text == "allenai":
        return allenai
    try:
        train, validation = (int(x) for x in text.split(","))
    except ValueError:
        raise UsageError(
            f"--num-shards wants TRAIN,VALIDATION (two integers) or allenai, got {text!r}"
        ) from None
    if train < 1 or validation < 1:
        raise UsageError("--num-shards: shard counts must be at least 1")
    return train, validation


def resolve(argv: list[str]):
    """Parses flags, checks inputs and loads public data: (settings, plan, Beam options, args,
    the eval index of --decontaminate or None). Raises UsageError on any problem."""
    args, rest = build_parser().parse_known_args(argv)  # --help exits here, before Beam loads
    from c4forge.pipelines import inputs, launch, resources

    options = beam_options(rest)
    var = variant(args.config)
    rules = rules_for(args.c4_version)
    _check_config_flags(args, var, rules)
    languages = _languages(args.languages) if var.multilingual else None
    if var.multilingual and not launch.is_dataflow(options):  # a missing CLD3: one line, now
        from c4forge.corpus.cld3 import load_gcld3

        try:
            load_gcld3()  # also loads it before anything in this process imports TensorFlow
        except ImportError as e:
            raise UsageError(str(e)) from None
    if args.download_attempts < 1 or args.download_backoff < 0:
        raise UsageError("--download-attempts must be >= 1 and --download-backoff >= 0")
    if not args.input and not args.crawl:
        raise UsageError("give --input PATH... or --crawl CC-MAIN-YYYY-WW")
    cc_base_url = inputs.cc_base_url_from_env()
    try:
        plan = inputs.plan_inputs(
            args.input,
            crawls=_crawls(args.crawl, var, args.c4_version),
            max_files=args.max_files,
            cc_base_url=cc_base_url,
        )
        owt = None
        if var.webtextlike:  # first: the one input users must fetch by hand
            from c4forge.pipelines.openwebtext import plan_sources

            owt = tuple(plan_sources(args.openwebtext_urls))
        # Punkt counts sentences in clean_page and after line dedup of clean configs only.
        punkt = resources.load_punkt_tables(args.punkt) if var.clean else {}
        words = _load_badwords(args, var, rules, languages)
        domains = (
            resources.load_realnews_domains(args.realnews_domains) if var.realnewslike else None
        )
    except ValueError as e:  # ResourceError and input errors are ValueErrors
        raise UsageError(str(e)) from None
    if launch.is_dataflow(options):
        local = [loc for loc in [*plan.files, *plan.manifests, args.output] if "://" not in loc]
        if local:
            raise UsageError(
                f"{local[0]!r} is a local path, which Dataflow workers cannot read: "
                "use gs:// (or https://) inputs and a gs:// --output"
            )
    decontamination, index = _decontamination(args)
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
        languages=languages,
        languages_restricted=bool(args.languages),
        docs_per_shard=args.docs_per_shard,
        openwebtext_sources=owt,
        cc_base_url=cc_base_url,
        near_dedup=_near_dedup(args),
        near_dedup_rounds=args.near_dedup_rounds,
        decontamination=decontamination,
        decontamination_summary=index.task_summary() if index is not None else None,
    )
    return settings, plan, options, args, index


def _decontamination(args):
    """(DecontaminationConfig, EvalIndex) of --decontaminate/--decontaminate-file, or Nones."""
    if not args.decontaminate and not args.decontaminate_file:
        return None, None
    from c4forge.cli.corpus_decontaminate import build_eval_index
    from c4forge.corpus.decontamination import DecontaminationConfig

    try:
        config = DecontaminationConfig(ngram=args.decontaminate_ngram)
    except ValueError as e:
        raise UsageError(str(e)) from None
    index = build_eval_index(
        args.decontaminate,
        args.decontaminate_file,
        config,
        args.tfds_data_dir,
        tasks_flag="--decontaminate",
    )
    return config, index


def _near_dedup(args):
    """The MinHashConfig of --near-dedup's flags, or None."""
    if args.near_dedup_rounds < 1:
        raise UsageError("--near-dedup-rounds must be at least 1")
    if not args.near_dedup:
        return None
    from c4forge.corpus.minhash import MinHashConfig

    try:
        return MinHashConfig(
            ngram=args.minhash_ngram,
            bands=args.minhash_bands,
            rows=args.minhash_rows,
            seed=args.minhash_seed,
            threshold=args.near_dedup_threshold,
        )
    except ValueError as e:
        raise UsageError(str(e)) from None


def _crawls(given: list[str], var, version: str) -> list[str]:
    """Crawl ids from repeated/comma-separated --crawl; "all" = the config's dumps."""
    crawls = []
    for text in given:
        for crawl in (c.strip() for c in text.split(",") if c.strip()):
            if crawl == "all":
                crawls.extend(f"CC-MAIN-{dump}" for dump in var.crawls(version))
            else:
                crawls.append(crawl)
    return crawls


def _check_config_flags(args, var, rules) -> None:
    """Flags that only some configs take, and configs some versions lack: one line each."""
    if var.multilingual and not rules.has_mc4:
        raise UsageError(
            f"--config multilingual needs --c4-version 3.0.1 or 3.1.0: mC4 did not exist in "
            f"C4 {rules.version.value}"
        )
    if args.languages and not var.multilingual:
        raise UsageError("--languages is for --config multilingual")
    if args.badwords_dir and not var.multilingual:
        raise UsageError("--badwords-dir is for --config multilingual (English uses --badwords)")
    if args.openwebtext_urls and not var.webtextlike:
        raise UsageError("--openwebtext-urls is for --config webtextlike")
    if var.multilingual and args.num_shards:
        raise UsageError("--num-shards is for the English configs; mC4 uses --docs-per-shard")
    if args.docs_per_shard < 1:
        raise UsageError("--docs-per-shard must be at least 1")


def _languages(text: str | None) -> tuple[str, ...]:
    """The mC4 languages to build: all 107 and "und" by default, or the --languages list."""
    from c4forge.corpus.mc4 import MC4_CODES as valid

    if not text:
        return valid
    codes = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in codes if c not in valid]
    if unknown or not codes:
        raise UsageError(
            f"--languages: unknown code(s) {', '.join(unknown) or '(none given)'}; "
            f"valid: {','.join(valid)}"
        )
    return tuple(c for c in valid if c in codes)  # mC4's order, no duplicates


def _load_badwords(args, var, rules, languages):
    """language -> words for the badwords stage, or None when the build has none."""
    from c4forge.pipelines import resources

    if var.multilingual:
        return resources.load_badwords_lists(
            args.badwords, args.badwords_dir, list(languages), rules.badwords_allowlist
        )
    if var.badwords_fraction > 0:
        return {"en": resources.load_badwords(args.badwords)}
    return None


def run(argv: list[str] | None = None) -> dict:
    """Builds C4. Returns the report (also written to `<output>/stats.json`). With
    --dry_run=True: the cost plan (`c4forge corpus plan`) in "plan" and "funnel_text", nothing
    run; on Dataflow also the job, its graph built offline."""
    from c4forge.pipelines import c4, launch, report

    argv = list(sys.argv[1:] if argv is None else argv)
    settings, plan, options, args, index = resolve(argv)
    from c4forge.pipelines import plan as cost
    from c4forge.pipelines import progress

    if args.progress_interval < 0:
        raise UsageError(
            f"--progress-interval must be >= 0 (0: none), got {args.progress_interval:g}"
        )
    options = launch.default_runner_options(options)
    # The inputs' size, measured once: the cost plan's, and line dedup's group count follows it
    # (local files by os.stat, remote ones by Common Crawl's average file; --max-files as the
    # workers will take it, manifests included).
    from c4forge.pipelines.dedup_stages import local_splits_for, partitions_for
    from c4forge.pipelines.inputs import CC_BASE_URL

    try:
        size = cost.measure_inputs(plan, args.max_files, settings.cc_base_url or CC_BASE_URL)
    except ValueError as e:
        raise UsageError(str(e)) from None
    settings = dataclasses.replace(
        settings,
        shuffle_partitions=partitions_for(size.text_bytes),
        local_splits=local_splits_for(size.text_bytes) if progress.is_local_runner(options) else 1,
    )
    dry_run = launch.is_dry_run(options)
    if dry_run:
        from c4forge.cli.corpus_plan import cost_plan

        estimate = cost_plan(args, plan, options, size=size)
        plan_text = cost.format_plan(estimate)
        if not launch.is_dataflow(options):  # the DirectRunner has no dry run of its own
            return {"dry_run": True, "plan": cost.plan_dict(estimate), "funnel_text": plan_text}
    if settings.languages is not None:
        import tempfile

        scratch = tempfile.mkdtemp(prefix="c4forge-launch-")
        launch.add_worker_requirements(options, [launch.WORKER_CLD3_REQUIREMENT], scratch)
    # N files: the plan's, unless workers list them from manifests (they report it then).
    total_files = None if plan.manifests else len(plan.files)
    read_share = cost.RATES[settings.variant.name].read_share
    with (
        _index_file(index, settings.output, dry_run) as path,
        progress.local_progress(
            options, args.progress_interval, total_files, read_share
        ) as progress_dir,
    ):
        paths = {"decontamination_index": path, "progress_dir": progress_dir}
        result = c4.build(dataclasses.replace(settings, **paths), plan, options)
    if getattr(result, "job", None) is not None and dry_run:
        # Dataflow dry run: the job graph was built and the sdist staged; nothing ran.
        return {
            "dry_run": True,
            "job": result.job,
            "plan": cost.plan_dict(estimate),
            "funnel_text": plan_text + "\ndry run: job graph built offline, not submitted",
        }
    return report.write_report(result, settings, plan, argv, plot=not args.no_report)


def _index_file(index, output: str, dry_run: bool):
    """The eval index's file for the workers (`decontamination.index_file`; a dry run only
    names it), its path; None without --decontaminate."""
    if index is None:
        return contextlib.nullcontext(None)
    from c4forge.pipelines import decontamination

    return decontamination.index_file(index, output, write=not dry_run)


def main(argv: list[str] | None = None) -> int:
    from c4forge.pipelines.launch import quiet_beam_logging

    quiet_beam_logging()

    def build() -> int:
        print(run(argv)["funnel_text"])
        return 0

    return report_usage_errors("c4forge corpus build", build)
