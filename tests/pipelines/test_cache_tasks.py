"""`c4forge tasks cache`: seqio's cache format, written by our Beam job and read back by seqio.

A toy `--module` (written to a temp dir; its import registers the tasks) tokenizes text lines
with seqio's ByteVocabulary, so token counts are byte counts and can be checked by hand. The
main run uses DirectRunner subprocess workers, which have only what the registration replay
gives them: the toy tasks are not in their registry until `WorkerRegistration` runs.
"""

from __future__ import annotations

import collections
import hashlib
import importlib
import json
import os
import shutil
import sys
import tarfile
import textwrap

import pytest

from c4forge.cli import tasks_cache
from c4forge.pipelines import cache_tasks

MODULE = "toy_cache_tasks"
# Beam's in-process runner, without the DirectRunner's attempt to fetch Prism first.
IN_PROCESS = "apache_beam.runners.portability.fn_api_runner.FnApiRunner"
LINES = "toy_tasks:lines"  # cached in toy_tasks/lines/
SEEDED = "toy_seeded"  # a seeded step before the placeholder
TRAIN = [
    ["the cat sat", "a dog ran far", "hi"],
    ["seqio caches tasks", "beam writes shards"],
    ["x", "tokens are bytes plus three", "", "last line"],
]
VALIDATION = ["one validation line", "two"]

TOY_MODULE = """
import os

import seqio
import tensorflow as tf

with open({pids!r}, "a") as f:  # which processes registered the toy tasks
    f.write(f"{{os.getpid()}}\\n")

VOCAB = seqio.ByteVocabulary()
FEATURES = {{
    "inputs": seqio.Feature(VOCAB, add_eos=True, required=False),
    "targets": seqio.Feature(VOCAB, add_eos=True),
}}
SPLITS = {{"train": {train!r}, "validation": {validation!r}}}


def to_example(dataset):
    return dataset.map(lambda line: {{"inputs": tf.strings.substr(line, 0, 2), "targets": line}})


@seqio.map_over_dataset(num_seeds=1)
def random_inputs(ex, seed):
    ex["inputs"] = tf.random.stateless_uniform([4], seed, minval=3, maxval=259, dtype=tf.int32)
    return ex


def add(name, steps, splits=SPLITS):
    seqio.TaskRegistry.add(
        name,
        seqio.TextLineDataSource(splits),
        preprocessors=[to_example, seqio.preprocessors.tokenize, *steps],
        output_features=FEATURES,
    )


add("{lines}", [seqio.CacheDatasetPlaceholder(), seqio.preprocessors.append_eos_after_trim])
add("{seeded}", [random_inputs, seqio.CacheDatasetPlaceholder()])
add("toy_uncached", [seqio.preprocessors.append_eos_after_trim])
add("toy_empty", [seqio.CacheDatasetPlaceholder()], splits={{"train": {empty!r}}})
seqio.MixtureRegistry.add("toy_mix", ["{lines}", "{seeded}"], default_rate=1.0)
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """Writes the source files and the toy module, importable here and in worker processes."""
    root = tmp_path_factory.mktemp("toy")
    for i, lines in enumerate(TRAIN):
        (root / f"train-{i}.txt").write_text("".join(f"{line}\n" for line in lines))
    (root / "validation.txt").write_text("".join(f"{line}\n" for line in VALIDATION))
    code = TOY_MODULE.format(
        train=str(root / "train-*.txt"),
        validation=str(root / "validation.txt"),
        empty=str(root / "nothing-*.txt"),
        lines=LINES,
        seeded=SEEDED,
        pids=str(root / "pids.txt"),
    )
    (root / f"{MODULE}.py").write_text(textwrap.dedent(code))
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(root))
        # DirectRunner subprocess workers inherit the environment.
        mp.setenv("PYTHONPATH", os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
        yield root
        import seqio

        for name in (LINES, SEEDED, "toy_uncached", "toy_empty"):
            seqio.TaskRegistry.remove(name)
        seqio.MixtureRegistry.remove("toy_mix")
        sys.modules.pop(MODULE, None)


@pytest.fixture(autouse=True)
def fresh_catalog():
    """The catalog registers once per process and settings; tests here use several settings."""
    from c4forge.tasks import catalog

    catalog.unregister_all()
    yield
    catalog.unregister_all()


def _argv(output, *extra):
    return ["--tasks", *extra, "--output", str(output), "--module", MODULE]


def _examples(task_name, split, use_cached):
    """A multiset of examples (seqio reshuffles what it caches)."""
    import seqio

    task = seqio.TaskRegistry.get(task_name)
    ds = task.get_dataset(None, split=split, use_cached=use_cached, shuffle=False)
    return collections.Counter(
        tuple(sorted((k, v.tobytes() if hasattr(v, "tobytes") else v) for k, v in ex.items()))
        for ex in ds.as_numpy_iterator()
    )


@pytest.fixture(scope="module")
def cached(toy, tmp_path_factory):
    """Both toy tasks cached by a subprocess worker, 3 shards at least, base seed 7, over the
    debris of a crashed run (a stale shard and no COMPLETED)."""
    out = tmp_path_factory.mktemp("cache")
    (out / "toy_tasks" / "lines").mkdir(parents=True)
    (out / "toy_tasks" / "lines" / "train.tfrecord-00007-of-00009").write_bytes(b"stale")
    argv = [*_argv(out, LINES, SEEDED), "--min-shards", "3", "--base-seed", "7"]
    return out, tasks_cache.run([*argv, "--direct_num_workers=1"])


@pytest.fixture
def cache_dirs(cached):
    import seqio

    saved = list(seqio.utils.get_global_cache_dirs())
    seqio.utils.set_global_cache_dirs([str(cached[0])])
    for name in (LINES, SEEDED):
        seqio.TaskRegistry.get(name)._cache_dir = None  # seqio memoizes where it found a cache
    yield cached[0]
    seqio.utils.set_global_cache_dirs(saved)


def test_cache_layout_is_seqios(cached):
    out, report = cached
    task_dir = out / "toy_tasks" / "lines"
    assert sorted(p.name for p in task_dir.iterdir()) == [
        "COMPLETED",
        "info.train.json",
        "info.validation.json",
        "stats.train.json",
        "stats.validation.json",
        *[f"train.tfrecord-0000{i}-of-00003" for i in range(3)],  # the stale shard is gone
        *[f"validation.tfrecord-0000{i}-of-00003" for i in range(3)],
    ]
    info = json.loads((task_dir / "info.train.json").read_text())
    assert info["num_shards"] == 3
    assert info["features"]["targets"] == {"shape": [None], "dtype": "int32"}
    assert info["features"]["targets_pretokenized"] == {"shape": [], "dtype": "string"}
    completed = json.loads((task_dir / "COMPLETED").read_text())
    assert completed["task"] == LINES
    assert completed["splits"] == {"train": {"num_shards": 3}, "validation": {"num_shards": 3}}
    assert completed["registration"]["modules"] == [MODULE]
    assert report["skipped"] == []


def test_workers_registered_the_tasks_by_replay(cached, toy):
    """Worker processes started without the toy tasks; replaying the registration imported
    the --module there (nothing else would)."""
    pids = set((toy / "pids.txt").read_text().split())
    assert str(os.getpid()) in pids
    assert len(pids) >= 2


def test_stats_count_bytes_without_eos(cached):
    out, report = cached
    lines = [line for shard in TRAIN for line in shard]
    expected = {
        "examples": len(lines),
        "targets_tokens": sum(len(line) for line in lines),
        "targets_max_tokens": max(len(line) for line in lines),
        "inputs_tokens": sum(min(len(line), 2) for line in lines),
        "inputs_max_tokens": 2,
    }
    stats = json.loads((out / "toy_tasks" / "lines" / "stats.train.json").read_text())
    assert stats == expected
    assert report["cached"][LINES]["train"] == expected
    assert report["cached"][LINES]["validation"]["examples"] == 2
    assert report["cached"][LINES]["validation"]["targets_tokens"] == 22
    summary = report["summary_text"].splitlines()
    assert f"  {LINES} train: 9 examples  inputs 15 tokens (max 2)  targets 99 tokens (max 27)" in (
        summary
    )


def test_seqio_reads_the_cache_back_as_the_uncached_dataset(cache_dirs):
    import seqio

    task = seqio.TaskRegistry.get(LINES)
    assert task.cache_dir == str(cache_dirs / "toy_tasks" / "lines")
    for split in ("train", "validation"):
        cached = _examples(LINES, split, use_cached=True)
        assert cached == _examples(LINES, split, use_cached=False)
        assert sum(cached.values()) == (2 if split == "validation" else 9)
    assert task.get_cached_stats("train")["examples"] == 9


def test_shard_seeds_match_seqio_cache_tasks(cache_dirs):
    """--base-seed 7 gives seqio_cache_tasks' seeds: md5(name) + 7, then md5(name + shard i)."""
    import seqio
    from seqio import beam_utils

    task = seqio.TaskRegistry.get(SEEDED)
    task_offset = int.from_bytes(hashlib.md5(SEEDED.encode()).digest(), "little") + 7
    reference = beam_utils.PreprocessTask(task, "train", preprocessors_seed=task_offset)
    expected = collections.Counter()
    for shard in reference.shards:
        for ex in reference._emit_examples(shard):
            expected[(ex["targets_pretokenized"].numpy(), ex["inputs"].numpy().tobytes())] += 1
    got = collections.Counter(
        (ex["targets_pretokenized"], ex["inputs"].tobytes())
        for ex in task.get_dataset(
            None, "train", use_cached=True, shuffle=False
        ).as_numpy_iterator()
    )
    assert got == expected
    assert len({inputs for _, inputs in got}) == 9  # the seeded step really ran, per example


def test_already_cached_is_skipped_without_a_job(cached, capsys):
    out, _ = cached
    before = {p: p.stat().st_mtime_ns for p in (out / "toy_tasks" / "lines").iterdir()}
    assert tasks_cache.main(_argv(out, "toy_mix")) == 0
    assert capsys.readouterr().out == (
        f"skipped 2 task(s) already cached in {out} (--overwrite to redo): {SEEDED}, {LINES}\n"
    )
    assert {p: p.stat().st_mtime_ns for p in (out / "toy_tasks" / "lines").iterdir()} == before


def test_overwrite_starts_from_an_empty_directory(cached, tmp_path):
    """Stale shards of another shard count would be read back by seqio's glob: they must go."""
    out = tmp_path / "cache"
    shutil.copytree(cached[0], out)
    task_dir = out / "toy_tasks" / "lines"
    (task_dir / "marker").write_text("")
    argv = [*_argv(out, LINES), "--splits", "train", "--max-shards", "1", "--overwrite"]
    report = tasks_cache.run([*argv, f"--runner={IN_PROCESS}"])
    assert sorted(p.name for p in task_dir.iterdir()) == [
        "COMPLETED",
        "info.train.json",
        "stats.train.json",
        "train.tfrecord-00000-of-00001",
    ]
    assert report["cached"][LINES]["train"] == cached[1]["cached"][LINES]["train"]
    assert (out / "toy_seeded" / "COMPLETED").exists()  # other tasks are left alone


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["toy_taks:lines"],
            "--tasks 'toy_taks:lines' matches no registered task or mixture; "
            "nearest: toy_tasks:lines",
        ),
        (
            ["toy_uncached"],
            "task 'toy_uncached' has no CacheDatasetPlaceholder, so there is nothing to cache "
            "(seqio preprocesses it on the fly)",
        ),
        (
            ["toy_unc.*"],
            "--tasks 'toy_unc.*' matches only tasks without a CacheDatasetPlaceholder: "
            "toy_uncached",
        ),
        (
            ["toy_(x"],
            "--tasks 'toy_(x' is neither a registered name nor a regex "
            "(missing ), unterminated subpattern at position 4)",
        ),
        (
            [LINES, "--splits", "train,test"],
            "task 'toy_tasks:lines' has no split 'test' (it has: train, validation)",
        ),
        (["toy_empty"], "task 'toy_empty' has no input files for split 'train'"),
        ([LINES, "--max-shards", "-1"], "--min-shards and --max-shards must be >= 0"),
        ([LINES, "--no-such-flag=1"], "unknown flag(s): --no-such-flag=1 (see --help)"),
    ],
)
def test_bad_input_is_one_clear_error(toy, tmp_path, capsys, extra, message):
    assert tasks_cache.main(_argv(tmp_path, *extra)) == 2
    assert capsys.readouterr().err == f"c4forge tasks cache: error: {message}\n"
    assert list(tmp_path.iterdir()) == []


def test_a_module_that_does_not_import_is_one_clear_error(toy, tmp_path, capsys):
    argv = ["--tasks", LINES, "--output", str(tmp_path), "--module", "no_such_tasks_module"]
    assert tasks_cache.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("c4forge tasks cache: error: --module no_such_tasks_module: ")
    assert err.count("\n") == 1


def test_regexes_leave_out_uncached_tasks_with_a_note(toy):
    importlib.import_module(MODULE)  # registers the toy tasks
    names, notes = cache_tasks.select_tasks(["toy_.*", LINES])
    assert names == ["toy_empty", SEEDED, LINES]
    assert notes == ["'toy_.*': left out 1 task(s) without a CacheDatasetPlaceholder: toy_uncached"]


DATAFLOW = [
    "--runner=DataflowRunner",
    "--project=my-project",
    "--region=us-central1",
    "--temp_location=gs://my-bucket/tmp",
    "--dry_run=True",
]


def _staged(job) -> dict[str, str]:
    """Staged name -> local file, for every artifact the Dataflow job hands its workers."""
    from apache_beam.portability.api import beam_runner_api_pb2

    staged = {}
    for env in job.proto_pipeline.components.environments.values():
        for dep in env.dependencies:
            path = beam_runner_api_pb2.ArtifactFilePayload.FromString(dep.type_payload).path
            role = beam_runner_api_pb2.ArtifactStagingToRolePayload.FromString(dep.role_payload)
            staged[role.staged_name] = path
    return staged


def test_dataflow_dry_run_builds_the_graph_and_stages_the_tasks_extra(toy, capsys):
    report = tasks_cache.run([*_argv("gs://my-bucket/cache", LINES), *DATAFLOW])
    assert report["dry_run"] is True
    assert report["summary_text"] == "dry run: job graph for 1 task(s) built; nothing ran"
    assert capsys.readouterr().err.startswith(f"note: --module {MODULE} (")
    labels = {t.unique_name for t in report["job"].proto_pipeline.components.transforms.values()}
    for split in ("train", "validation"):
        for stage in ("Preprocess", "WriteExamples", "WriteInfo", "WriteStats"):
            assert f"Cache[{LINES}]/{stage}[{split}]" in labels
    assert f"Cache[{LINES}]/WriteCompleted" in labels
    staged = _staged(report["job"])
    assert "requirements.txt" in staged  # its file was a temp file, gone with the launch
    pins = cache_tasks.worker_requirements()
    assert {"seqio==0.0.20", "tensorflow==2.21.0", "tensorflow-text==2.21.1"} <= set(pins)
    with tarfile.open(staged["workflow.tar.gz"]) as tar:
        names = tar.getnames()
    for module in ("pipelines/cache_tasks.py", "tasks/catalog.py"):
        assert any(n.endswith(module) for n in names), module


def test_dataflow_with_a_container_image_stages_no_requirements(toy, capsys):
    image = ["--sdk_container_image=us-docker.pkg.dev/my-project/c4forge/tasks:1"]
    report = tasks_cache.run([*_argv("gs://my-bucket/cache", LINES), *DATAFLOW, *image])
    assert capsys.readouterr().err == ""  # the image carries --module too: no note
    staged = _staged(report["job"])
    assert "workflow.tar.gz" in staged
    assert "requirements.txt" not in staged


def test_dataflow_refuses_local_paths(toy, tmp_path, capsys):
    from c4forge.tasks import catalog

    assert tasks_cache.main([*_argv(tmp_path, LINES), *DATAFLOW]) == 2
    assert capsys.readouterr().err == (
        f"c4forge tasks cache: error: --output {str(tmp_path)!r} is a local path, which "
        "Dataflow workers cannot write: use gs://\n"
    )
    argv = [*_argv("gs://b/cache", LINES), "--tfds-data-dir", str(tmp_path), *DATAFLOW]
    catalog.unregister_all()  # registered above with other settings
    assert tasks_cache.main(argv) == 2
    assert capsys.readouterr().err == (
        f"c4forge tasks cache: error: --tfds-data-dir {str(tmp_path)!r} is a local path, which "
        "Dataflow workers cannot read: use gs://\n"
    )
