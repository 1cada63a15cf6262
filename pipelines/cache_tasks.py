"""`c4forge tasks cache`: seqio's offline cache for registered tasks, as one Beam job.

    c4forge tasks cache --tasks 'c4_en_v310_.*' --output cache/ --c4 out/c4 --vocab vocab/

For each selected task and split, seqio's own `beam_utils` transforms run the preprocessors up to
the task's `CacheDatasetPlaceholder` (`PreprocessTask`), shuffle globally, and write seqio's cache
format in `<output>/<task name, ':' -> '/'>/` (docs/TASKS.md §1.8):

    {split}.tfrecord-SSSSS-of-NNNNN   tf.Examples (WriteExampleTfRecord)
    info.{split}.json                 feature shapes and dtypes, shard count (GetInfo)
    stats.{split}.json                examples, <feature>_tokens, <feature>_max_tokens (GetStats)
    COMPLETED                         written last; holds the resolved settings as JSON

so that `seqio.add_global_cache_dirs([output])` and `task.get_dataset(..., use_cached=True)`
read it back. Same as `seqio_cache_tasks`: N = max(source shards, --min-shards), capped by
--max-shards; shard i of a task is preprocessed with seed md5(name + f"shard{i}") (+ the task's
--base-seed offset, md5(name) + S, when S is not 0 or -1), so equal flags give byte-identical
examples to seqio's script. Unlike it: a name that matches nothing, or an explicitly named task
without a placeholder, is an error (not a log line); only `<output>` is checked for an existing
cache (COMPLETED there: skipped unless --overwrite); a task directory without COMPLETED (a
crashed run) is deleted first, since seqio reads `{split}.tfrecord*` and stale shards of another
shard count would be read too; COMPLETED holds settings, not seqio 0.0.20's `output_format` bug.

Registration on workers. seqio's PreprocessTask looks its task up in the *worker's* registry; its
`modules_to_import` only imports modules, which registers nothing under this project's rule of
explicit registration (and is a no-op where the module was already imported). So the launcher
registers through `tasks.catalog.register_from_args`, which returns a JSON-able spec, and hands
PreprocessTask a `setup_fn` (`WorkerRegistration`) that calls `tasks.catalog.replay(spec)` in
any worker process whose registry lacks the task: DirectRunner subprocesses, Dataflow VMs.

Dataflow workers get (decision, cf. google/seqio#109): this project as an sdist built from
pyproject.toml (as `corpus build`), plus a generated requirements file holding the `tasks` extra's
exact pins from pyproject.toml, staged with `--requirements_cache=skip`: the launcher downloads
nothing (it may be offline, and it does not upload ~1 GB of TensorFlow wheels), and workers
`pip install` the manylinux wheels from PyPI at start-up (the old `--no-binary :all:` failure of
#109 does not apply). That costs minutes per worker start and needs PyPI access from workers; for
large jobs, or workers without internet, build an image with `pip install c4forge[tasks]` and pass
`--sdk_container_image`: then no requirements are staged. A `--setup_file` or
`--requirements_file` of your own is left as given. `--module` modules and every path the catalog
reads (--vocab, --c4, ...) must exist on workers: ship modules in this project or the image, and
use gs:// paths (a local path is refused). With `--dry_run=True` the job graph and staging are
built offline and nothing is read from or written to `--output`.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import threading
import tomllib

import apache_beam as beam

from pipelines import c4

UsageError = c4.UsageError

# seqio_cache_tasks' defaults: 64 shards at least, so training can shuffle at the file level.
DEFAULT_MIN_SHARDS = 64

# Guards registration replay where several DoFn threads share one worker process.
_REGISTRATION_LOCK = threading.Lock()


def build_parser() -> argparse.ArgumentParser:
    from tasks import catalog

    p = argparse.ArgumentParser(
        prog="c4forge tasks cache",
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
    catalog.add_catalog_args(p)
    return p


# ---------------------------------------------------------------------------------------------
# Selecting tasks


def select_tasks(patterns: list[str]) -> tuple[list[str], list[str]]:
    """Task names to cache, in order, and notes about tasks left out. Raises UsageError.

    A pattern is a task name, a mixture name (all its tasks) or a regex over whole task names.
    A named task or mixture task without a CacheDatasetPlaceholder is an error; tasks a regex
    matches without one are left out with a note (error if that leaves none).
    """
    import seqio

    tasks = sorted(seqio.TaskRegistry.names())
    mixtures = sorted(seqio.MixtureRegistry.names())
    chosen: list[str] = []
    notes: list[str] = []

    def add(names):
        chosen.extend(n for n in names if n not in chosen)

    for pattern in patterns:
        if pattern in tasks or pattern in mixtures:
            if pattern in tasks:
                names = [pattern]
            else:
                names = [t.name for t in seqio.MixtureRegistry.get(pattern).tasks]
            uncacheable = [n for n in names if not seqio.TaskRegistry.get(n).supports_caching]
            if uncacheable:
                raise UsageError(
                    f"task {uncacheable[0]!r} has no CacheDatasetPlaceholder, so there is "
                    "nothing to cache (seqio preprocesses it on the fly)"
                )
            add(names)
            continue
        try:
            regex = re.compile(pattern)
        except re.error as e:
            raise UsageError(
                f"--tasks {pattern!r} is neither a name nor a valid regex ({e})"
            ) from None
        matched = [n for n in tasks if regex.fullmatch(n)]
        if not matched:
            near = difflib.get_close_matches(pattern, tasks + mixtures, n=3, cutoff=0.6)
            hint = f"nearest: {', '.join(near)}" if near else "`c4forge tasks list` shows them"
            raise UsageError(f"--tasks {pattern!r} matches no registered task or mixture; {hint}")
        cacheable = [n for n in matched if seqio.TaskRegistry.get(n).supports_caching]
        left_out = [n for n in matched if n not in cacheable]
        if not cacheable:
            raise UsageError(
                f"--tasks {pattern!r} matches only tasks without a CacheDatasetPlaceholder: "
                f"{', '.join(left_out)}"
            )
        if left_out:
            notes.append(
                f"{pattern!r}: left out {len(left_out)} task(s) without a "
                f"CacheDatasetPlaceholder: {', '.join(left_out)}"
            )
        add(cacheable)
    return chosen, notes


def task_seed(task_name: str, base_seed: int | None) -> int | None:
    """seqio_cache_tasks' per-task seed offset; PreprocessTask adds md5(name + shard) to it."""
    if not base_seed or base_seed == -1:
        return None
    return int.from_bytes(hashlib.md5(task_name.encode()).digest(), "little") + base_seed


def output_shards(source_shards: int, min_shards: int, max_shards: int) -> int:
    n = max(source_shards, min_shards) if min_shards > 0 else source_shards
    return min(n, max_shards) if max_shards > 0 else n


# ---------------------------------------------------------------------------------------------
# The job


@dataclasses.dataclass(frozen=True)
class WorkerRegistration:
    """seqio's `PreprocessTask(setup_fn=...)`: registers the task where the process lacks it.

    Called before every shard; a no-op once the task is there (always so on the launcher).
    """

    spec: dict
    task_name: str

    def __call__(self) -> None:
        import seqio

        from tasks import catalog

        if self.task_name in seqio.TaskRegistry.names():
            return
        with _REGISTRATION_LOCK:
            if self.task_name not in seqio.TaskRegistry.names():
                catalog.replay(self.spec)
        if self.task_name not in seqio.TaskRegistry.names():
            raise RuntimeError(
                f"replaying the launcher's registration ({self.spec}) did not register "
                f"{self.task_name!r} on this worker"
            )


@dataclasses.dataclass
class CacheJob:
    """One task to cache: where, with which seed, and per split (PreprocessTask, output shards)."""

    task_name: str
    output_dir: str
    seed: int | None
    splits: dict[str, tuple[object, int]]

    def settings(self, registration: dict) -> dict:
        """What COMPLETED records: enough to know how this cache was made."""
        import seqio

        return {
            "task": self.task_name,
            "splits": {split: {"num_shards": n} for split, (_, n) in self.splits.items()},
            "preprocessors_seed": self.seed,
            "registration": registration,
            "seqio_version": seqio.__version__,
            "written_by": "c4forge tasks cache",
        }


class CacheTask(beam.PTransform):
    """One task: per split PreprocessTask -> global shuffle -> examples, info and stats files;
    then COMPLETED, once every split's files are finalized (seqio's completion idiom)."""

    def __init__(self, job: CacheJob, completed_text: str):
        super().__init__()
        self._job = job
        self._completed_text = completed_text

    def expand(self, root):
        import seqio
        from seqio import beam_utils

        job = self._job
        features = seqio.TaskRegistry.get(job.task_name).output_features
        written = []
        for split, (preprocess, num_shards) in job.splits.items():
            examples = (
                root
                | f"Preprocess[{split}]" >> preprocess
                # Shuffles examples across source shards; seqio says not to remove it.
                | f"Shuffle[{split}]" >> beam.Reshuffle()
            )
            written.append(
                examples
                | f"WriteExamples[{split}]"
                >> beam_utils.WriteExampleTfRecord(
                    seqio.get_cached_tfrecord_prefix(job.output_dir, split), num_shards=num_shards
                )
            )
            written.append(
                examples
                | f"Info[{split}]" >> beam_utils.GetInfo(num_shards)
                | f"WriteInfo[{split}]"
                >> beam_utils.WriteJson(seqio.get_cached_info_path(job.output_dir, split))
            )
            written.append(
                examples
                | f"Stats[{split}]" >> beam_utils.GetStats(features)
                | f"WriteStats[{split}]"
                >> beam_utils.WriteJson(seqio.get_cached_stats_path(job.output_dir, split))
            )
        # The writes emit their file names only when finalized; COMPLETED waits on all of them
        # and is a file holding only its header.
        return (
            written
            | "AllWritten" >> beam.Flatten()
            | "NoRecords" >> beam.Filter(lambda _: False)
            | "WriteCompleted"
            >> beam.io.WriteToText(
                f"{job.output_dir}/COMPLETED",
                num_shards=1,
                shard_name_template="",
                header=self._completed_text,
                append_trailing_newlines=False,
            )
        )


# ---------------------------------------------------------------------------------------------
# Resolving flags


@dataclasses.dataclass
class Plan:
    """What `run` does: the jobs, what it skips and says, and the Beam options to run with."""

    jobs: list[CacheJob]
    skipped: list[str]
    notes: list[str]
    registration: dict
    output: str
    options: object
    beam_flags: list[str]
    dry_run: bool


def _parse_splits(text: str | None) -> list[str] | None:
    if text is None:
        return None
    splits = [s.strip() for s in text.split(",")]
    if not all(splits):
        raise UsageError(f"--splits wants names separated by commas, got {text!r}")
    return list(dict.fromkeys(splits))


def _check_dataflow_paths(output: str, registration: dict) -> None:
    """Workers cannot read the launcher's disk: refuse local paths before staging anything."""
    if "://" not in output:
        raise UsageError(
            f"--output {output!r} is a local path, which Dataflow workers cannot write: use gs://"
        )
    for key, value in registration.items():
        if isinstance(value, str) and "://" not in value and os.path.exists(value):
            flag = "--" + key.replace("_", "-")
            raise UsageError(
                f"{flag} {value!r} is a local path, which Dataflow workers cannot read: use gs://"
            )


def _modules_outside_project(modules: list[str]) -> list[str]:
    """Modules that the staged sdist does not carry (workers must get them another way)."""
    root = os.path.dirname(c4.project_file()) + os.sep
    outside = []
    for name in modules:
        path = getattr(sys.modules.get(name), "__file__", None) or ""
        if not os.path.abspath(path).startswith(root):
            outside.append(f"{name} ({path or 'no file'})")
    return outside


def resolve(argv: list[str]) -> Plan:
    """Parses flags, registers tasks and builds the per-task jobs. Raises UsageError."""
    import seqio
    import tensorflow as tf
    from seqio import beam_utils

    from tasks import catalog

    args, rest = build_parser().parse_known_args(argv)
    options = c4.strict_beam_options(rest)
    dataflow = c4.is_dataflow(options)
    dry_run = dataflow and c4.is_dry_run(options)  # other runners ignore --dry_run and run
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
    notes: list[str] = []
    if dataflow:
        _check_dataflow_paths(output, registration)
        from apache_beam.options.pipeline_options import SetupOptions, WorkerOptions

        own_environment = options.view_as(WorkerOptions).sdk_container_image or (
            options.view_as(SetupOptions).extra_packages
        )
        outside = _modules_outside_project(list(args.module))
        if outside and not own_environment:
            notes.append(
                f"--module {', '.join(outside)} is outside this project, so the staged sdist "
                "lacks it: Dataflow workers need it in --sdk_container_image or --extra_package"
            )

    names, selection_notes = select_tasks(args.tasks)
    notes += selection_notes
    jobs, skipped = [], []
    for name in names:
        task = seqio.TaskRegistry.get(name)
        task_dir = f"{output}/{seqio.get_task_dir_from_name(name)}"
        wanted = splits or list(task.splits)
        missing = [s for s in wanted if s not in task.splits]
        if missing:
            raise UsageError(
                f"task {name!r} has no split {missing[0]!r} (it has: {', '.join(task.splits)})"
            )
        if not dry_run and not args.overwrite and tf.io.gfile.exists(f"{task_dir}/COMPLETED"):
            skipped.append(name)
            continue
        seed = task_seed(name, args.base_seed)
        setup = WorkerRegistration(registration, name)
        per_split = {}
        for split in wanted:
            try:
                preprocess = beam_utils.PreprocessTask(
                    task, split, preprocessors_seed=seed, setup_fn=setup
                )
            except FileNotFoundError:
                raise UsageError(f"task {name!r} has no input files for split {split!r}") from None
            n = output_shards(len(preprocess.shards), args.min_shards, args.max_shards)
            per_split[split] = (preprocess, n)
        jobs.append(CacheJob(name, task_dir, seed, per_split))
    return Plan(jobs, skipped, notes, registration, output, options, rest, dry_run)


# ---------------------------------------------------------------------------------------------
# Running


def worker_requirements() -> list[str]:
    """The `tasks` extra's pins, from the pyproject.toml that the staged sdist is built from."""
    with open(c4.project_file(), "rb") as f:
        project = tomllib.load(f)["project"]
    return list(project["optional-dependencies"]["tasks"])


def _stage_for_dataflow(options, scratch_dir: str) -> None:
    """The project sdist, plus the pinned `tasks` extra unless the image brings it (see top)."""
    from apache_beam.options.pipeline_options import SetupOptions, WorkerOptions

    setup = options.view_as(SetupOptions)
    if not setup.setup_file:
        setup.setup_file = c4.project_file()
    if setup.requirements_file or options.view_as(WorkerOptions).sdk_container_image:
        return
    path = os.path.join(scratch_dir, "requirements.txt")
    with open(path, "w") as f:
        f.write("\n".join(worker_requirements()) + "\n")
    setup.requirements_file = path
    if setup.requirements_cache is None:
        setup.requirements_cache = "skip"


def _clear(task_dir: str) -> None:
    import tensorflow as tf

    if tf.io.gfile.exists(task_dir):
        tf.io.gfile.rmtree(task_dir)


def read_stats(job: CacheJob) -> dict[str, dict]:
    import seqio
    import tensorflow as tf

    stats = {}
    for split in job.splits:
        with tf.io.gfile.GFile(seqio.get_cached_stats_path(job.output_dir, split)) as f:
            stats[split] = json.load(f)
    return stats


def summary_text(plan: Plan, stats: dict[str, dict[str, dict]]) -> str:
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
    """Caches the selected tasks. Returns {"cached": {task: {split: stats}}, "skipped", ...}."""
    argv = list(sys.argv[1:] if argv is None else argv)
    plan = resolve(argv)
    for note in plan.notes:
        print(f"note: {note}", file=sys.stderr)
    report = {"output": plan.output, "cached": {}, "skipped": plan.skipped, "dry_run": False}
    if plan.jobs:
        with tempfile.TemporaryDirectory(prefix="c4forge-cache-") as scratch:
            result = _run_pipeline(plan, scratch)
        if plan.dry_run and getattr(result, "job", None) is not None:
            report.update(dry_run=True, job=result.job)
        else:
            report["cached"] = {job.task_name: read_stats(job) for job in plan.jobs}
    report["summary_text"] = summary_text(plan, report["cached"])
    return report


def _runner_defaults(options, beam_flags: list[str]):
    """DirectRunner, one worker process per core, unless the flags say otherwise.

    Flags are read as given: Beam's `drop_default` view would take an explicit
    `--direct_running_mode=in_memory` (its default value) for an absent one.
    """
    from apache_beam.options.pipeline_options import DirectOptions, StandardOptions

    given = {f.split("=", 1)[0].lstrip("-") for f in beam_flags if f.startswith("--")}
    std = options.view_as(StandardOptions)
    if not std.runner:
        std.runner = "DirectRunner"
        direct = options.view_as(DirectOptions)
        if "direct_num_workers" not in given:
            direct.direct_num_workers = 0  # all cores
        if "direct_running_mode" not in given:
            # Workers as fresh processes: TF runs in parallel, and registration is replayed
            # exactly as on a remote runner.
            direct.direct_running_mode = "multi_processing"
    return options


def _run_pipeline(plan: Plan, scratch_dir: str):
    options = _runner_defaults(plan.options, plan.beam_flags)
    if c4.is_dataflow(options):
        _stage_for_dataflow(options, scratch_dir)
    if not plan.dry_run:
        for job in plan.jobs:
            _clear(job.output_dir)  # --overwrite, or a crashed run's partial files
    pipeline = beam.Pipeline(options=options)
    for job in plan.jobs:
        completed = json.dumps(job.settings(plan.registration), indent=2, sort_keys=True)
        _ = pipeline | f"Cache[{job.task_name}]" >> CacheTask(job, completed + "\n")
    result = pipeline.run()
    result.wait_until_finish()
    return result


def _not_about_seqios_generator(record: logging.LogRecord) -> bool:
    # Beam flags PreprocessTask's generator for a bare `return`: seqio's code, and harmless.
    return "Using yield and return" not in record.getMessage()


def main(argv: list[str] | None = None) -> int:
    c4.quiet_beam_logging()
    logging.getLogger("apache_beam.transforms.core").addFilter(_not_about_seqios_generator)
    try:
        report = run(argv)
    except UsageError as e:
        print(f"c4forge tasks cache: error: {e}", file=sys.stderr)
        return 2
    print(report["summary_text"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
