"""The users' Dataflow job, built offline with Beam's dry run (no credentials, nothing sent).

The job graph must hold every stage, and workers must receive this project as an sdist (built
from pyproject.toml) whose requirements pin the libraries C4 parity depends on. The job must
stay under Dataflow's 10 MB graph limit whatever the number of Common Crawl dumps: TFDS put
every WET path of mC4's dumps into the graph, 38 MB (tensorflow/datasets#2711, docs/C4.md §14);
here the manifests are read on workers (pipelines/wet_sources.py), so 86 dumps cost 86 URLs.
"""

from __future__ import annotations

import json
import random
import tarfile

import pytest

from c4forge.cli import corpus_build
from c4forge.corpus.mc4 import ALL_CC_VERSIONS

import c4_testing

DATAFLOW = [
    "--runner",
    "DataflowRunner",
    "--project",
    "my-project",
    "--region",
    "us-central1",
    "--temp_location",
    "gs://my-bucket/tmp",
    "--dry_run=True",
]


def _argv(*extra):
    return [
        "--input",
        "https://data.commoncrawl.org/crawl-data/CC-MAIN-2019-18/x.warc.wet.gz",
        "--output",
        "gs://my-bucket/c4",
        "--punkt",
        str(c4_testing.NLTK_DATA),
        "--badwords",
        str(c4_testing.BADWORDS_EN),
        *DATAFLOW,
        *extra,
    ]


@pytest.fixture(scope="module")
def dry_run(shared_data):
    return corpus_build.run(_argv())


def test_job_graph_has_every_stage(dry_run):
    assert dry_run["dry_run"] is True
    proto = dry_run["job"].proto_pipeline
    top = {t.unique_name for t in proto.components.transforms.values() if "/" not in t.unique_name}
    for stage in ("ReadWet", "TooLong", "DedupUrls", "Clean", "DedupLines", "English", "Badwords"):
        assert stage in top
    assert "Write" in top  # both splits through one deterministic writer (sharded_write)
    assert dry_run["job"].proto.type_.name == "JOB_TYPE_BATCH"


def test_workers_get_the_project_sdist_with_pinned_dependencies(dry_run):
    from apache_beam.portability.api import beam_runner_api_pb2

    proto = dry_run["job"].proto_pipeline
    paths = [
        beam_runner_api_pb2.ArtifactFilePayload.FromString(d.type_payload).path
        for env in proto.components.environments.values()
        for d in env.dependencies
    ]
    sdists = [p for p in paths if p.endswith(".tar.gz") and "c4forge" in p]
    assert len(sdists) == 1, paths
    with tarfile.open(sdists[0]) as tar:
        names = tar.getnames()
        requires = next(n for n in names if n.endswith("requires.txt"))
        pins = tar.extractfile(requires).read().decode()
    for module in ("corpus/wet.py", "corpus/clean.py", "pipelines/transforms.py"):
        assert any(n.endswith(module) for n in names), module
    assert not any("/tests/" in n for n in names)
    for pin in ("langdetect==1.0.9", "nltk==3.10.0", "apache-beam[aws,gcp]==2.77.0"):
        assert pin in pins


def test_local_paths_are_refused_on_dataflow(shared_data):
    argv = _argv()
    argv[1] = str(c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz")
    with pytest.raises(
        corpus_build.UsageError, match="local path, which Dataflow workers cannot read"
    ):
        corpus_build.run(argv)


def test_unknown_flag_is_one_clear_error(shared_data):
    with pytest.raises(corpus_build.UsageError, match=r"unknown flag\(s\): --no-such-flag"):
        corpus_build.run([*_argv(), "--no-such-flag=1"])


# --------------------------------------------------------------------------------------------
# The size of the job graph

# Dataflow refuses a job whose graph is over 10 MB ("The job graph is too large").
DATAFLOW_GRAPH_LIMIT_BYTES = 10_000_000
ALL_CRAWLS = [f"CC-MAIN-{v}" for v in ALL_CC_VERSIONS]
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens: the launcher must fetch no manifest


def job_graph_bytes(job) -> int:
    """The bytes Dataflow receives for the job a dry run built (`result.job`, Beam's
    `apiclient.Job`): the Runner API pipeline, serialized as it is staged to `pipeline.pb` (the
    graph Dataflow translates; every `Create`d value is pickled inside it), plus the CreateJob
    request's JSON (with Runner v2 it holds no steps, so it is small)."""
    return len(job.proto_pipeline.SerializeToString()) + len(job.json().encode())


def dry_run_job(build):
    """The job of the pipeline `build(root)` adds to, built by Dataflow's dry run."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    pipeline = beam.Pipeline(options=PipelineOptions(DATAFLOW))
    build(pipeline)
    return pipeline.run().job


def small_job(plan):
    """WetLocations + a trivial ParDo + WriteToText: the input side of a build."""
    import apache_beam as beam

    from c4forge.pipelines.wet_sources import WetLocations

    def build(root):
        _ = (
            root
            | "Inputs" >> WetLocations(plan, cc_base_url=UNREACHABLE)
            | "Upper" >> beam.Map(str.upper)
            | "Write" >> beam.io.WriteToText("gs://my-bucket/out/locations")
        )

    return dry_run_job(build)


def wet_paths(n: int, crawl: str = "CC-MAIN-2019-18") -> list[str]:
    """`n` WET URLs shaped like a manifest's lines (100 segments, per-file timestamps)."""
    rng = random.Random(0)
    segments = [f"{rng.randrange(10**13):013d}.{rng.randrange(100)}" for _ in range(100)]
    paths = []
    for i in range(n):
        stamp = f"2019{rng.randrange(10**10):010d}"
        paths.append(
            f"https://data.commoncrawl.org/crawl-data/{crawl}/segments/{segments[i % 100]}"
            f"/wet/CC-MAIN-{stamp}-{stamp}-{i % 640:05d}.warc.wet.gz"
        )
    return paths


def test_job_graph_of_86_dumps_is_as_small_as_of_one():
    from c4forge.pipelines.inputs import plan_inputs

    one = job_graph_bytes(
        small_job(plan_inputs([], crawls=ALL_CRAWLS[:1], cc_base_url=UNREACHABLE))
    )
    plan = plan_inputs([], crawls=ALL_CRAWLS, cc_base_url=UNREACHABLE)
    assert len(plan.manifests) == 86
    every = job_graph_bytes(small_job(plan))
    assert every < DATAFLOW_GRAPH_LIMIT_BYTES
    # each further dump adds its manifest URL (~70 bytes, compressed in the pickled Create)
    assert every - one < 85 * 100
    assert every < 1.1 * one


def test_job_graph_measure_counts_the_paths_a_create_holds():
    """The measure sees what TFDS did: a WET path list in the graph grows it per path."""
    import apache_beam as beam

    def with_paths(paths):
        def build(root):
            _ = (
                root
                | "WetFiles" >> beam.Create(paths, reshuffle=False)
                | "Upper" >> beam.Map(str.upper)
                | "Write" >> beam.io.WriteToText("gs://my-bucket/out/locations")
            )

        return job_graph_bytes(dry_run_job(build))

    n = 20_000  # a quarter of one dump; 86 dumps list ~6M
    grown = with_paths(wet_paths(n)) - with_paths(wet_paths(1))
    assert grown > n * 10  # ~30 bytes a path: 86 dumps would be ~180 MB


def _crawl_argv(*crawl_flags):
    return [
        "--config",
        "multilingual",
        *crawl_flags,
        "--output",
        "gs://my-bucket/mc4",
        "--punkt",
        str(c4_testing.NLTK_DATA),
        "--badwords",
        str(c4_testing.BADWORDS_EN),
        "--badwords-dir",
        str(c4_testing.SHARED_DATA / "badwords" / "ldnoobw_5faf2ba"),
        *DATAFLOW,
    ]


def test_multilingual_job_over_every_dump_fits_dataflow(shared_data, monkeypatch):
    monkeypatch.setenv("C4FORGE_CC_BASE_URL", UNREACHABLE)
    every = corpus_build.run(_crawl_argv("--crawl", "all"))["job"]
    one = corpus_build.run(_crawl_argv("--crawl", ALL_CRAWLS[0]))["job"]
    # the manifests are read by workers: the graph lists them, not their WET files
    names = {t.unique_name for t in every.proto_pipeline.components.transforms.values()}
    assert any(name.endswith("/ListWetFiles") for name in names)
    one_bytes, every_bytes = job_graph_bytes(one), job_graph_bytes(every)
    assert every_bytes < DATAFLOW_GRAPH_LIMIT_BYTES
    assert every_bytes - one_bytes < 85 * 100
    assert every_bytes < 1.1 * one_bytes


def test_near_dedup_job_graph_is_small(shared_data):
    """--near-dedup adds its shuffles and the unrolled clustering rounds to the same job."""
    done = corpus_build.run(_argv("--near-dedup"))
    proto = done["job"].proto_pipeline
    names = {t.unique_name for t in proto.components.transforms.values()}
    assert "NearDedup" in names
    assert "NearDedup/Clusters/SmallStar7" in names  # 8 rounds unrolled
    assert job_graph_bytes(done["job"]) < DATAFLOW_GRAPH_LIMIT_BYTES / 10


def test_decontamination_job_reads_the_index_from_the_output(shared_data, tmp_path):
    """The eval index is far too big for a job graph: workers read it from a file under the
    output, which a dry run only names. 20,000 eval texts (160,000 n-grams, several MB of
    index) leave the graph as small as without them."""
    rng = random.Random(0)
    words = ["".join(rng.choices("abcdefghijklmnop", k=7)) for _ in range(5000)]
    evals = tmp_path / "evals.jsonl"
    with open(evals, "w") as f:
        for i in range(20_000):
            text = " ".join(rng.choices(words, k=20))
            f.write(json.dumps({"task": "t", "id": str(i), "text": text}) + "\n")
    done = corpus_build.run(_argv("--decontaminate-file", str(evals)))
    proto = done["job"].proto_pipeline
    names = {t.unique_name for t in proto.components.transforms.values()}
    assert {"Decontaminate", "ContaminationReport"} <= names
    assert job_graph_bytes(done["job"]) < 1_000_000


def test_dataflow_dry_run_prints_the_plan_then_builds_the_job_offline(shared_data):
    result = corpus_build.run(_argv("--target-hours", "2"))
    assert result["job"] is not None  # the graph, built offline as before
    text = result["funnel_text"]
    assert text.startswith("Plan: C4 en 3.1.0 on DataflowRunner\n")
    assert text.endswith("dry run: job graph built offline, not submitted")
    assert result["plan"]["inputs"]["files"] == 1
    assert result["plan"]["target_hours"] == 2
