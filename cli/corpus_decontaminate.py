"""`c4forge corpus decontaminate`: drop the pages of an existing build that hold eval-set
n-grams, writing a new build (issue 14, part 2).

    c4forge corpus decontaminate --c4 out/c4 --tasks 'glue_.*' --output out/c4-clean
    c4forge corpus decontaminate --c4 out/c4 --tasks glue_v002_proportional,squad_v010_allanswers \
        --decontaminate-file my_evals.jsonl --output out/c4-clean --ngram 13

Eval texts come from catalog tasks (names, mixtures or regexes: `tasks.eval_texts`) and/or
JSON-lines files of {"task", "id", "text"}; the index of their n-grams is built here, before
the Beam job (`pipelines.decontaminate_build`) reads the build (TFRecord or JSON), drops every
page sharing an n-gram, and writes the same split layout plus contamination.json and
stats.json. Flags this command does not know go to Beam (--runner, --project, ...). A missing
directory, a task name matching nothing, an unreadable or malformed file: one error line before
any work.
"""

from __future__ import annotations

import argparse
import itertools
import sys

from c4forge.cli.common import UsageError, beam_options, report_usage_errors

PROG = "c4forge corpus decontaminate"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Drop the pages of a C4 build that share a normalized word n-gram with "
        "evaluation sets; write a new build and contamination.json. Other flags (--runner, "
        "--project, ...) go to Beam.",
    )
    p.add_argument("--c4", required=True, metavar="DIR", help="a `c4forge corpus build` output")
    p.add_argument("--output", required=True, metavar="DIR", help="the new build's directory")
    p.add_argument(
        "--tasks",
        action="extend",
        nargs="+",
        default=[],
        metavar="NAME",
        help="catalog tasks whose validation/test examples to look for: names, mixtures or "
        "regexes over whole task names (also comma-separated)",
    )
    p.add_argument(
        "--decontaminate-file",
        action="append",
        default=[],
        metavar="FILE",
        help='JSON lines {"task", "id", "text"} of eval examples outside the catalog (repeatable)',
    )
    p.add_argument("--ngram", type=int, default=13, metavar="N", help="n-gram size (%(default)s)")
    p.add_argument(
        "--min-words",
        type=int,
        default=8,
        metavar="N",
        help="eval texts shorter than --ngram but at least this long are one whole-text n-gram; "
        "shorter ones are skipped (%(default)s)",
    )
    p.add_argument(
        "--format",
        choices=("tfrecord", "json"),
        help="which shards to read when the build holds both (the output has the same format)",
    )
    p.add_argument("--rejects", action="store_true", help="also write the dropped pages")
    p.add_argument("--tfds-data-dir", help="TFDS data dir for the catalog's tasks")
    p.add_argument(
        "--module", action="append", default=[], help="import a module that registers tasks"
    )
    return p


def resolve(argv: list[str]):
    """Flags -> (settings, the eval index, Beam options). Raises UsageError."""
    args, rest = build_parser().parse_known_args(argv)
    from c4forge.corpus.decontamination import DecontaminationConfig
    from c4forge.pipelines import decontaminate_build as job
    from c4forge.pipelines import launch

    options = beam_options(rest)
    if not args.tasks and not args.decontaminate_file:
        raise UsageError("give --tasks NAME... and/or --decontaminate-file FILE")
    try:
        config = DecontaminationConfig(ngram=args.ngram, min_words=args.min_words)
    except ValueError as e:
        raise UsageError(str(e)) from None
    source, output = args.c4.rstrip("/") or args.c4, args.output.rstrip("/") or args.output
    if source == output:
        raise UsageError("--output must be a new directory, not the --c4 build itself")
    if launch.is_dataflow(options):
        local = [d for d in (source, output) if "://" not in d]
        if local:
            raise UsageError(f"{local[0]!r} is a local path, which Dataflow workers cannot read")
    try:
        build = job.find_build(source, args.format)
    except ValueError as e:
        raise UsageError(f"--c4 {e}") from None
    try:
        existing = job.existing_shards(output)
    except ValueError as e:
        raise UsageError(f"--output: {e}") from None
    if existing:
        raise UsageError(f"--output {output} already holds a build ({existing[0]}): use a new one")
    index = build_eval_index(
        args.tasks, args.decontaminate_file, config, args.tfds_data_dir, tuple(args.module)
    )
    settings = job.DecontaminateSettings(
        build=build,
        output=output,
        config=config,
        tasks=tuple(args.tasks),
        files=tuple(args.decontaminate_file),
        with_rejects=args.rejects,
    )
    return settings, index, options


def build_eval_index(
    selectors: list[str],
    files: list[str],
    config,
    tfds_data_dir: str | None = None,
    modules: tuple[str, ...] = (),
    tasks_flag: str = "--tasks",
    file_flag: str = "--decontaminate-file",
):
    """The `EvalIndex` of the eval files and of the catalog tasks `selectors` name (the catalog
    is registered for them); every problem a one-line UsageError naming the flag. Files are
    read first: their errors cost no TFDS reads. `corpus build --decontaminate` can call this
    with its own flag names."""
    from c4forge.corpus.decontamination import build_index
    from c4forge.tasks import eval_texts

    rows = []
    try:
        for path in files:
            rows += eval_texts.read_eval_file(path)
    except ValueError as e:
        raise UsageError(f"{file_flag}: {e}") from None
    texts = iter(rows)
    if selectors:
        from c4forge.tasks import catalog

        try:
            catalog.register(tfds_data_dir=tfds_data_dir, modules=modules)
            names = eval_texts.select_eval_tasks(selectors)
        except (ValueError, ImportError) as e:  # RegistrationError is a ValueError
            raise UsageError(f"{tasks_flag}: {e}") from None
        # Lazily: the catalog's splits are read while indexing.
        texts = itertools.chain(rows, eval_texts.eval_texts(names))
    try:
        index = build_index(texts, config)
    except ValueError as e:  # a catalog split that cannot be read
        raise UsageError(str(e)) from None
    if index.ngram_count == 0:
        raise UsageError(f"no eval text has {config.min_words} words or more: nothing to look for")
    return index


def summary_text(settings, stats: dict, report: dict) -> str:
    """What the run did, in a few lines: pages scanned, dropped and kept; examples found."""
    counters = stats["counters"].get("decontamination", {})
    kept, dropped = counters.get("passed", 0), counters.get("filtered:contaminated", 0)
    scanned = kept + dropped
    share = f" ({100 * dropped / scanned:.2f}%)" if scanned else ""
    lines = [
        f"{settings.build.directory} -> {settings.output}: {scanned:,} pages scanned, "
        f"{dropped:,} dropped{share}, {kept:,} kept"
    ]
    if counters.get("bad_records"):
        lines.append(f"skipped {counters['bad_records']:,} records that could not be decoded")
    tasks = report["tasks"]
    found = {t: r for t, r in tasks.items() if r["contaminated_examples"]}
    lines.append(f"eval examples found in the corpus ({settings.output}/contamination.json):")
    for task, r in found.items():
        lines.append(f"  {task}: {r['contaminated_examples']:,} of {r['examples']:,}")
    lines.append(f"  {len(tasks) - len(found)} other task(s): none")
    return "\n".join(lines)


def run(argv: list[str] | None = None) -> dict:
    """Decontaminates the build. Returns the new build's stats.json content, with
    "contamination" (contamination.json's content) and "summary_text" added. Raises
    UsageError."""
    argv = list(sys.argv[1:] if argv is None else argv)
    settings, index, options = resolve(argv)  # --help exits here, before Beam loads
    from c4forge.pipelines import decontaminate_build as job
    from c4forge.pipelines import launch

    options = launch.default_runner_options(options)
    stats = job.run(settings, index, options, argv)
    report = job.read_json(f"{settings.output}/contamination.json")
    return dict(stats, contamination=report, summary_text=summary_text(settings, stats, report))


def main(argv: list[str] | None = None) -> int:
    from c4forge.pipelines.launch import quiet_beam_logging

    quiet_beam_logging()

    def decontaminate() -> int:
        print(run(argv)["summary_text"])
        return 0

    return report_usage_errors(PROG, decontaminate)


if __name__ == "__main__":
    sys.exit(main())
