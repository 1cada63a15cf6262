"""seqio's offline cache for registered tasks, as one Beam job (`c4forge tasks cache`).

`cli/tasks_cache.py` parses the command's flags, registers the catalog and builds a `Plan`
(`select_tasks`, `plan_jobs`); `run(plan)` runs it. For each selected task and split, seqio's own
`beam_utils` transforms run the preprocessors up to the task's `CacheDatasetPlaceholder`
(`PreprocessTask`), shuffle globally, and write seqio's cache format in
`<output>/<task name, ':' -> '/'>/` (docs/TASKS.md §1.8, `seqio/scripts/cache_tasks_main.py`):

    {split}.tfrecord-SSSSS-of-NNNNN   tf.Examples (WriteExampleTfRecord)
    info.{split}.json                 feature shapes and dtypes, shard count (GetInfo)
    stats.{split}.json                examples, <feature>_tokens, <feature>_max_tokens (GetStats)
    COMPLETED                         written last; holds the resolved settings as JSON

so that `seqio.add_global_cache_dirs([output])` and `task.get_dataset(..., use_cached=True)`
read it back. Same as `seqio_cache_tasks`: N = max(source shards, min shards), capped by max
shards; shard i of a task is preprocessed with seed md5(name + f"shard{i}") (+ the task's base
seed offset, md5(name) + S, when S is not 0 or -1), so equal settings give byte-identical
examples to seqio's script. Unlike it: a name that matches nothing, or an explicitly named task
without a placeholder, is an error (`CacheTasksError`, not a log line); only `<output>` is
checked for an existing cache (COMPLETED there: skipped unless overwriting); a task directory
without COMPLETED (a crashed run) is deleted first, since seqio reads `{split}.tfrecord*` and
stale shards of another shard count would be read too; COMPLETED holds settings, not seqio
0.0.20's `output_format` value (which `cache_tasks_main` passes in by mistake).

Registration on workers. seqio's PreprocessTask looks its task up in the *worker's* registry; its
`modules_to_import` only imports modules, which registers nothing under this project's rule of
explicit registration (and is a no-op where the module was already imported). So the launcher
registers through `tasks.catalog.register_from_args`, which returns a JSON-able spec, and hands
PreprocessTask a `setup_fn` (`WorkerRegistration`) that calls `tasks.catalog.replay(spec)` in
any worker process whose registry lacks the task: DirectRunner subprocesses, Dataflow VMs.

Dataflow workers get this project as an sdist built from pyproject.toml (as `corpus build`),
plus a generated requirements file holding the `tasks` extra's exact pins from pyproject.toml,
staged with `--requirements_cache=skip`: the launcher downloads nothing (it may be offline, and
it does not upload TensorFlow's wheels), and workers `pip install` the manylinux wheels from
PyPI at start-up. That costs minutes per worker start and needs PyPI access from workers; for
large jobs, or workers without internet, build an image with `pip install c4forge[tasks]` and
pass `--sdk_container_image`: then no requirements are staged. A `--setup_file` or
`--requirements_file` of your own is left as given. `--module` modules and every path the
catalog reads (--vocab, --c4, ...) must exist on workers: ship modules in this project or the
image, and use gs:// paths (a local path is refused). With `--dry_run=True` the job graph and
staging are built offline and nothing is read from or written to the output.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import tempfile
import threading
import tomllib

import apache_beam as beam

from c4forge.pipelines import launch
from c4forge.tasks import registry
from c4forge.tasks.registry import nearest_provider_names

# Guards registration replay where several DoFn threads share one worker process.
_REGISTRATION_LOCK = threading.Lock()


class CacheTasksError(ValueError):
    """Tasks cannot be cached as asked; the message says why, in one line."""


# ---------------------------------------------------------------------------------------------
# Selecting tasks


def select_tasks(patterns: list[str]) -> tuple[list[str], list[str]]:
    """Task names to cache, in order, and notes about tasks left out. Raises CacheTasksError.

    A pattern is a task name, a mixture name (all its tasks) or a regex over whole task names.
    A named task or mixture task without a CacheDatasetPlaceholder is an error; tasks a regex
    matches without one are left out with a note (error if that leaves none).
    """
    import seqio

    chosen: list[str] = []
    notes: list[str] = []

    def add(names):
        chosen.extend(n for n in names if n not in chosen)

    for pattern in patterns:
        try:
            matched, exact = registry.selected_tasks(pattern)
        except ValueError as e:
            raise CacheTasksError(f"--tasks {e}") from None
        if exact:
            uncacheable = [n for n in matched if not seqio.TaskRegistry.get(n).supports_caching]
            if uncacheable:
                raise CacheTasksError(
                    f"task {uncacheable[0]!r} has no CacheDatasetPlaceholder, so there is "
                    "nothing to cache (seqio preprocesses it on the fly)"
                )
            add(matched)
            continue
        if not matched:
            near = nearest_provider_names(pattern)
            hint = f"nearest: {', '.join(near)}" if near else "`c4forge tasks list` shows them"
            raise CacheTasksError(
                f"--tasks {pattern!r} matches no registered task or mixture; {hint}"
            )
        cacheable = [n for n in matched if seqio.TaskRegistry.get(n).supports_caching]
        left_out = [n for n in matched if n not in cacheable]
        if not cacheable:
            raise CacheTasksError(
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

        from c4forge.tasks import catalog

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
# Planning


@dataclasses.dataclass
class Plan:
    """What `run` does: the jobs, what it skips and says, and the Beam options to run with."""

    jobs: list[CacheJob]
    skipped: list[str]
    notes: list[str]
    registration: dict
    output: str
    options: object
    dry_run: bool


def check_dataflow_paths(output: str, registration: dict) -> None:
    """Workers cannot read the launcher's disk: refuse local paths before staging anything."""
    if "://" not in output:
        raise CacheTasksError(
            f"--output {output!r} is a local path, which Dataflow workers cannot write: use gs://"
        )
    for key, value in registration.items():
        if isinstance(value, str) and "://" not in value and os.path.exists(value):
            flag = "--" + key.replace("_", "-")
            raise CacheTasksError(
                f"{flag} {value!r} is a local path, which Dataflow workers cannot read: use gs://"
            )


def modules_outside_project(modules: list[str]) -> list[str]:
    """Modules that the staged sdist does not carry (workers must get them another way)."""
    root = os.path.dirname(launch.project_file()) + os.sep
    outside = []
    for name in modules:
        path = getattr(sys.modules.get(name), "__file__", None) or ""
        if not os.path.abspath(path).startswith(root):
            outside.append(f"{name} ({path or 'no file'})")
    return outside


def dataflow_notes(output: str, registration: dict, options) -> list[str]:
    """Checks a Dataflow launch (CacheTasksError for local paths); notes what workers lack."""
    from apache_beam.options.pipeline_options import SetupOptions, WorkerOptions

    check_dataflow_paths(output, registration)
    own_environment = options.view_as(WorkerOptions).sdk_container_image or (
        options.view_as(SetupOptions).extra_packages
    )
    outside = modules_outside_project(list(registration.get("modules", [])))
    if outside and not own_environment:
        return [
            f"--module {', '.join(outside)} is outside this project, so the staged sdist "
            "lacks it: Dataflow workers need it in --sdk_container_image or --extra_package"
        ]
    return []


def plan_jobs(
    names: list[str],
    *,
    output: str,
    splits: list[str] | None,
    registration: dict,
    base_seed: int | None,
    min_shards: int,
    max_shards: int,
    overwrite: bool,
    dry_run: bool,
) -> tuple[list[CacheJob], list[str]]:
    """(jobs, names skipped as already cached in `output`). Raises CacheTasksError.

    `splits` None: every split of each task; a task lacking a named split is an error.
    """
    import seqio
    import tensorflow as tf
    from seqio import beam_utils

    jobs, skipped = [], []
    for name in names:
        task = seqio.TaskRegistry.get(name)
        task_dir = f"{output}/{seqio.get_task_dir_from_name(name)}"
        wanted = splits or list(task.splits)
        missing = [s for s in wanted if s not in task.splits]
        if missing:
            raise CacheTasksError(
                f"task {name!r} has no split {missing[0]!r} (it has: {', '.join(task.splits)})"
            )
        if not dry_run and not overwrite and tf.io.gfile.exists(f"{task_dir}/COMPLETED"):
            skipped.append(name)
            continue
        seed = task_seed(name, base_seed)
        setup = WorkerRegistration(registration, name)
        per_split = {}
        for split in wanted:
            try:
                preprocess = beam_utils.PreprocessTask(
                    task, split, preprocessors_seed=seed, setup_fn=setup
                )
            except FileNotFoundError:
                raise CacheTasksError(
                    f"task {name!r} has no input files for split {split!r}"
                ) from None
            n = output_shards(len(preprocess.shards), min_shards, max_shards)
            per_split[split] = (preprocess, n)
        jobs.append(CacheJob(name, task_dir, seed, per_split))
    return jobs, skipped


# ---------------------------------------------------------------------------------------------
# Running


def worker_requirements() -> list[str]:
    """The `tasks` extra's pins, from the pyproject.toml that the staged sdist is built from."""
    with open(launch.project_file(), "rb") as f:
        project = tomllib.load(f)["project"]
    return list(project["optional-dependencies"]["tasks"])


def stage_for_dataflow(options, scratch_dir: str) -> None:
    """The project sdist, plus the pinned `tasks` extra unless the image brings it (see top)."""
    from apache_beam.options.pipeline_options import SetupOptions, WorkerOptions

    setup = options.view_as(SetupOptions)
    if not setup.setup_file:
        setup.setup_file = launch.project_file()
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


def run(plan: Plan) -> dict:
    """Runs the plan's jobs. Returns {"output", "cached": {task: {split: stats}}, "skipped",
    "dry_run"} (and "job" for a Dataflow dry run)."""
    report = {"output": plan.output, "cached": {}, "skipped": plan.skipped, "dry_run": False}
    if plan.jobs:
        with tempfile.TemporaryDirectory(prefix="c4forge-cache-") as scratch:
            result = _run_pipeline(plan, scratch)
        if plan.dry_run and getattr(result, "job", None) is not None:
            report.update(dry_run=True, job=result.job)
        else:
            report["cached"] = {job.task_name: read_stats(job) for job in plan.jobs}
    return report


def _run_pipeline(plan: Plan, scratch_dir: str):
    # DirectRunner with one worker process per core unless the flags say otherwise: TF runs in
    # parallel, and registration is replayed exactly as on a remote runner.
    options = launch.default_runner_options(plan.options)
    if launch.is_dataflow(options):
        stage_for_dataflow(options, scratch_dir)
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
