"""The users' Dataflow job, built offline with Beam's dry run (no credentials, nothing sent).

The job graph must hold every stage, and workers must receive this project as an sdist (built
from pyproject.toml) whose requirements pin the libraries C4 parity depends on.
"""

from __future__ import annotations

import tarfile

import pytest

from c4forge.cli import corpus_build

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
    assert {"Writetrain", "Writevalidation"} <= top
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
