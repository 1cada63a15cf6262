"""`c4forge tasks cache`: seqio's offline cache for registered tasks (`seqio_cache_tasks`).

    c4forge tasks cache --tasks 'c4_en_v310_.*' --output cache/ --c4 out/c4 --vocab vocab/

This module is the command: its flags (seqio_cache_tasks' own, in this project's spelling, plus
the catalog's), their checks (each a one-line `UsageError` before any work), registering the
catalog, and the summary. The Beam job, and what it writes, is `pipelines.cache_tasks`. Flags
this command does not know go to Beam (--runner, --project, ...); a flag neither knows is an
error before anything runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from c4forge.cli.common import UsageError, beam_options, report_usage_errors
from c4forge.tasks.catalog_flags import add_catalog_args

PROG = "c4forge tasks cache"
# seqio_cache_tasks' defaults: 64 shards at least, so training can shuffle at the file level.
DEFAULT_MIN_SHARDS = 64


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Run seqio preprocessing up to each task's CacheDatasetPlaceholder and write "
        "seqio's cache format. Other flags (--runner, --project, ...) go to Beam.",
    )
    p.add_argument(
        "--tasks",
        nargs="+",
        required=True,
        metavar="NAME",
        help="task names, mixture names (all their tasks) or regexes matching whole task names",
    )
    p.add_argument("--output", required=True, help="cache directory (local or gs://)")
    p.add_argument(
        "--splits",
        metavar="A,B",
        help="splits to cache (default: every split of each task); a task lacking one is an error",
    )
    p.add_argument(
        "--min-shards",
        type=int,
        default=DEFAULT_MIN_SHARDS,
        metavar="N",
        help="output shards per split at least (default %(default)s; 0: as many as the source)",
    )
    p.add_argument(
        "--max-shards", type=int, default=0, metavar="N", help="output shards at most (0: no cap)"
    )
    p.add_argument("--overwrite", action="store_true", help="re-cache tasks already cached")
    p.add_argument(
        "--base-seed",
        type=int,
        metavar="S",
        help="offsets every shard's preprocessing seed, as seqio_cache_tasks --base_seed "
        "(0 and -1: no offset)",
    )
    add_catalog_args(p)
    return p


def _parse_splits(text: str | None) -> list[str] | None:
    if text is None:
        return None
    splits = [s.strip() for s in text.split(",")]
    if not all(splits):
        raise UsageError(f"--splits wants names separated by commas, got {text!r}")
    return list(dict.fromkeys(splits))


def resolve(argv: list[str]):
    """Parses flags, registers tasks and plans the per-task jobs (`pipelines.cache_tasks.Plan`).
    Raises UsageError."""
    args, rest = build_parser().parse_known_args(argv)
    from c4forge.pipelines import cache_tasks, launch
    from c4forge.tasks import catalog

    options = beam_options(rest)
    dataflow = launch.is_dataflow(options)
    dry_run = dataflow and launch.is_dry_run(options)  # other runners ignore --dry_run and run
    if args.min_shards < 0 or args.max_shards < 0:
        raise UsageError("--min-shards and --max-shards must be >= 0")
    splits = _parse_splits(args.splits)
    try:
        registration = catalog.register_from_args(args)
    except (ValueError, ImportError) as e:  # the catalog's RegistrationError is a ValueError
        raise UsageError(str(e)) from None
    try:
        json.dumps(registration)
    except TypeError:
        raise UsageError(f"the catalog's registration spec is not JSON: {registration!r}") from None
    output = args.output.rstrip("/") or args.output
    try:
        notes = cache_tasks.dataflow_notes(output, registration, options) if dataflow else []
        names, selection_notes = cache_tasks.select_tasks(args.tasks)
        jobs, skipped = cache_tasks.plan_jobs(
            names,
            output=output,
            splits=splits,
            registration=registration,
            base_seed=args.base_seed,
            min_shards=args.min_shards,
            max_shards=args.max_shards,
            overwrite=args.overwrite,
            dry_run=dry_run,
        )
    except cache_tasks.CacheTasksError as e:
        raise UsageError(str(e)) from None
    return cache_tasks.Plan(
        jobs, skipped, notes + selection_notes, registration, output, options, dry_run
    )


def summary_text(plan, stats: dict[str, dict[str, dict]]) -> str:
    lines = []
    if plan.dry_run:
        lines.append(f"dry run: job graph for {len(plan.jobs)} task(s) built; nothing ran")
    elif plan.jobs:
        lines.append(f"cached {len(plan.jobs)} task(s) in {plan.output}:")
    for name, by_split in stats.items():
        for split, s in by_split.items():
            line = f"  {name} {split}: {s.get('examples', 0):,} examples"
            for feature in sorted(k[: -len("_tokens")] for k in s if k.endswith("_tokens")):
                if not feature.endswith("_max"):
                    tokens, longest = s[f"{feature}_tokens"], s.get(f"{feature}_max_tokens", 0)
                    line += f"  {feature} {tokens:,} tokens (max {longest:,})"
            if not s.get("examples"):
                line += " (empty: seqio cannot read an empty cached split back)"
            lines.append(line)
    if plan.skipped:
        lines.append(
            f"skipped {len(plan.skipped)} task(s) already cached in {plan.output} "
            f"(--overwrite to redo): {', '.join(plan.skipped)}"
        )
    return "\n".join(lines)


def run(argv: list[str] | None = None) -> dict:
    """Caches the selected tasks. Returns {"cached": {task: {split: stats}}, "skipped",
    "summary_text", ...} (`pipelines.cache_tasks.run`). Raises UsageError."""
    argv = list(sys.argv[1:] if argv is None else argv)
    plan = resolve(argv)
    from c4forge.pipelines import cache_tasks

    for note in plan.notes:
        print(f"note: {note}", file=sys.stderr)
    report = cache_tasks.run(plan)
    report["summary_text"] = summary_text(plan, report["cached"])
    return report


def _not_about_seqios_generator(record: logging.LogRecord) -> bool:
    # Beam flags PreprocessTask's generator for a bare `return`: seqio's code, and harmless.
    return "Using yield and return" not in record.getMessage()


def _cache(argv: list[str] | None) -> int:
    print(run(argv)["summary_text"])
    return 0


def main(argv: list[str] | None = None) -> int:
    from c4forge.pipelines.launch import quiet_beam_logging

    quiet_beam_logging()
    logging.getLogger("apache_beam.transforms.core").addFilter(_not_about_seqios_generator)
    return report_usage_errors(PROG, lambda: _cache(argv))


if __name__ == "__main__":
    sys.exit(main())
