"""pipelines/wet_sources.py: `WetLocations` lists the manifests on workers, exactly as
`expand_inputs` lists them on the launcher, and skips (and counts) one it cannot read."""

from __future__ import annotations

import gzip

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from c4forge.pipelines.inputs import InputPlan, expand_inputs, plan_inputs
from c4forge.pipelines.wet_sources import MANIFEST_NAMESPACE, WetLocations

from faulty_http import FaultyServer
from input_testing import CRAWL, FAST, make_tree

BASE = "http://mirror.test/cc"
RELATIVE = [
    f"crawl-data/{CRAWL}/segments/1555578517558.8/wet/CC-MAIN-20190418101243-00000.warc.wet.gz",
    f"crawl-data/{CRAWL}/segments/1555578517558.8/wet/CC-MAIN-20190418101243-00001.warc.wet.gz",
    f"crawl-data/{CRAWL}/segments/1555578517639.17/wet/CC-MAIN-20190418121317-00002.warc.wet.gz",
]
ABSOLUTE = ["gs://bucket/x.warc.wet.gz", "https://h.test/y.warc.wet.gz", "/data/z.warc.wet.gz"]


def run_locations(plan: InputPlan, want: list[str], **kw) -> dict[str, int]:
    """Asserts that `WetLocations(plan)` gives `want` (as a multiset); returns its
    "c4forge-wet-manifest" counters."""
    p = TestPipeline()
    locations = p | "Inputs" >> WetLocations(plan, **kw)
    assert_that(locations, equal_to(want))
    result = p.run()
    result.wait_until_finish()
    query = MetricsFilter().with_namespace(MANIFEST_NAMESPACE)
    return {c.key.metric.name: c.committed for c in result.metrics().query(query)["counters"]}


@pytest.fixture
def manifests(tmp_path):
    """A gzip manifest of relative lines and a plain one of absolute lines (blank lines, CRLF,
    stray spaces as hand-edited lists have), a local WET file, and the inputs naming them."""
    gz_text = "\r\n".join(["", RELATIVE[2], "  ", RELATIVE[0] + " ", RELATIVE[1], ""]) + "\n"
    (tmp_path / "a.wet.paths.gz").write_bytes(gzip.compress(gz_text.encode(), mtime=0))
    (tmp_path / "b.wet.paths").write_text("\n".join(["", *ABSOLUTE, "", RELATIVE[0]]) + "\n\n")
    local = make_tree(tmp_path, ["local.warc.wet.gz"])[0]
    return [str(tmp_path / "*.wet.paths*"), str(local)]


def test_locations_equal_the_launcher_expansion(manifests):
    plan = plan_inputs(manifests, cc_base_url=BASE)
    assert len(plan.manifests) == 2
    assert len(plan.files) == 1
    want = expand_inputs(manifests, cc_base_url=BASE)
    assert len(want) == 7
    # RELATIVE[0] is in both manifests: listed (and later read) twice, never dropped
    counters = run_locations(plan, [*want, f"{BASE}/{RELATIVE[0]}"], cc_base_url=BASE)
    assert counters == {"manifest-read": 2, "wet-files-listed": 3 + 4}


def test_crawl_manifest_downloaded_on_the_worker_with_retries(served, scratch, tmp_path):
    manifest = served / "crawl-data" / CRAWL / "wet.paths.gz"
    manifest.parent.mkdir(parents=True)
    manifest.write_bytes(gzip.compress("\n".join(RELATIVE).encode()))
    faults = {f"crawl-data/{CRAWL}/wet.paths.gz": ["503", "reset"]}
    with FaultyServer(served, faults=faults) as srv:
        plan = plan_inputs([], crawls=[CRAWL], cc_base_url=srv.base_url)
        assert srv.hits() == 0  # planning opened nothing
        want = [srv.url(line) for line in RELATIVE]
        counters = run_locations(
            plan, want, cc_base_url=srv.base_url, scratch_dir=str(scratch), **FAST
        )
        assert srv.hits() == 3
        assert not srv.errors
    assert counters["manifest-read"] == 1
    assert counters["wet-files-listed"] == 3
    assert counters["retried"] == 2
    assert counters["downloaded"] == 1
    assert list(scratch.iterdir()) == []  # the download is removed once listed


def test_unreadable_manifests_are_counted_and_skipped(tmp_path, scratch):
    good = tmp_path / "good.wet.paths"
    good.write_text("\n".join(RELATIVE))
    (tmp_path / "corrupt.wet.paths.gz").write_bytes(b"\x1f\x8bnot really gzip")
    (tmp_path / "latin1.wet.paths").write_bytes("caf\xe9.warc.wet.gz\n".encode("latin-1"))
    (tmp_path / "empty.wet.paths").write_text("\n \n")
    plan = InputPlan(
        files=("/data/explicit.warc.wet.gz",),
        manifests=(
            str(good),
            str(tmp_path / "gone.wet.paths"),  # deleted after planning
            str(tmp_path / "corrupt.wet.paths.gz"),
            str(tmp_path / "latin1.wet.paths"),
            str(tmp_path / "empty.wet.paths"),
            "http://127.0.0.1:9/crawl-data/CC-MAIN-2099-01/wet.paths.gz",  # nothing listens
        ),
    )
    want = ["/data/explicit.warc.wet.gz", *(f"{BASE}/{line}" for line in RELATIVE)]
    counters = run_locations(
        plan, want, cc_base_url=BASE, scratch_dir=str(scratch), attempts=2, backoff_s=0.01
    )
    assert counters == {
        "unreadable-manifest": 4,
        "manifest-read": 2,
        "empty-manifest": 1,
        "wet-files-listed": 3,
        "retried": 1,
        "download-failed": 1,
    }


def test_graph_labels_and_the_one_shuffle():
    plan = InputPlan(files=("gs://b/x.warc.wet.gz",), manifests=("gs://b/wet.paths.gz",))
    p = beam.Pipeline()
    _ = p | "Inputs" >> WetLocations(plan)
    transforms = p.to_runner_api().components.transforms.values()
    names = {t.unique_name for t in transforms}
    for label in ("WetFiles", "Manifests", "SpreadManifests", "ListWetFiles", "AllWetFiles"):
        assert f"Inputs/{label}" in names
    # the only shuffle is the one spreading the manifests: the WET locations are not shuffled
    shuffles = [t.unique_name for t in transforms if t.spec.urn == "beam:transform:group_by_key:v1"]
    assert len(shuffles) == 1
    assert shuffles[0].startswith("Inputs/SpreadManifests/")


def test_an_empty_plan_side_still_builds():
    # only files, then only manifests: the same labels, an empty Create on the other side
    for plan in (InputPlan(("/d/a.warc.wet.gz",), ()), InputPlan((), ())):
        assert run_locations(plan, list(plan.files)) == {}


def test_wants_an_input_plan():
    with pytest.raises(TypeError, match="WetLocations wants an InputPlan, got list"):
        WetLocations(["gs://b/wet.paths.gz"])
