"""The decontamination stage (pipelines.decontamination) on a TestPipeline: real pages with eval
examples planted in them and control pages, the pages kept and rejected, the Beam counters,
and contamination.json listing exactly the planted examples."""

from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from c4forge.corpus.decontamination import DecontaminationConfig, build_index
from c4forge.corpus.page import Page
from c4forge.corpus.versions import rules_for
from c4forge.pipelines import decontamination as pd

from decontam_testing import TASKS, control_pages, eval_examples, planted_pages

V310 = rules_for("3.1.0")
CONFIG = DecontaminationConfig()


def run(build):
    """Runs `build(pipeline)`; returns the counters of the decontamination namespace."""
    p = TestPipeline()
    build(p)
    result = p.run()
    result.wait_until_finish()
    query = MetricsFilter().with_namespace(pd.NAMESPACE)
    return {c.key.metric.name: c.committed for c in result.metrics().query(query)["counters"]}


@pytest.fixture(scope="module")
def index():
    return build_index(eval_examples(), CONFIG)


@pytest.fixture(scope="module")
def pages():
    """Planted pages (one example each, then untouched hosts) and control pages, as Pages;
    with the planted (task, id) of each."""
    planted, truth = planted_pages(seed=0)
    controls = [(f"control:{url}", text) for url, text in control_pages(seed=0)]
    rows = planted + controls
    truth = truth + [set() for _ in controls]
    return [Page(url, url, text) for url, text in rows], truth


def test_planted_pages_are_dropped_and_reported_exactly(index, pages, tmp_path):
    all_pages, truth = pages
    dropped = {p.url for p, t in zip(all_pages, truth, strict=True) if t}
    kept = [p.url for p in all_pages if p.url not in dropped]
    report_path = str(tmp_path / pd.REPORT_NAME)

    def build(p):
        out = p | beam.Create(all_pages) | pd.Decontaminate(V310, index, CONFIG, with_rejects=True)
        assert_that(out["pages"] | beam.Map(lambda pg: pg.url), equal_to(kept), label="Kept")
        rejects = out[pd.REJECTS] | beam.Map(
            lambda r: (r["url"], r["stage"], r["reason"], r["contaminated_examples"])
        )
        expected = [(url, "decontamination", "contaminated", 1) for url in dropped]
        assert_that(rejects, equal_to(expected), label="Rejects")
        _ = out | pd.WriteContamination(report_path, index.task_summary(), CONFIG)

    assert run(build) == {"passed": len(kept), "filtered:contaminated": len(dropped)}
    report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    assert report["pages"] == {"scanned": len(all_pages), "dropped": 48}
    assert (report["removal"], report["ngram"], report["min_words"]) == ("whole page", 13, 8)
    planted = {key for t in truth for key in t}
    listed = {(task, i) for task, r in report["tasks"].items() for i in r["contaminated"]}
    assert listed == planted
    for task in TASKS:
        r = report["tasks"][task]
        # 48 examples, every third in each task; each planted in one page.
        assert (r["examples"], r["detectable_examples"]) == (16, 16)
        assert (r["contaminated_examples"], r["clean_examples"]) == (16, 0)
        assert set(r["contaminated"].values()) == {1}


def test_the_index_file_and_keyed_pages(index, pages, tmp_path):
    all_pages, truth = pages
    path = str(tmp_path / pd.INDEX_NAME)
    pd.write_index(index, path)
    keyed = [(f"split{i % 3}", p) for i, p in enumerate(all_pages)]
    expected = [(k, p.url) for (k, p), t in zip(keyed, truth, strict=True) if not t]

    def build(p):
        out = p | beam.Create(keyed) | pd.Decontaminate(V310, path, CONFIG, keyed=True)
        assert_that(out["pages"] | beam.MapTuple(lambda k, pg: (k, pg.url)), equal_to(expected))

    assert run(build)["filtered:contaminated"] == 48


def test_an_example_in_two_pages_counts_two(index):
    (task, ident, text), other = eval_examples()[1], eval_examples()[3]
    docs = [
        Page("a", "a", "Intro.\n" + text),
        Page("b", "b", text.upper() + "\n" + other[2]),
        Page("c", "c", "Nothing of it."),
    ]

    def build(p):
        out = p | beam.Create(docs) | pd.Decontaminate(V310, index, CONFIG)
        expected = [((task, ident), 2), ((other[0], other[1]), 1)]
        assert_that(out[pd.MATCHES], equal_to(expected), label="Matches")
        assert_that(out[pd.TALLIES], equal_to([("scanned", 3), ("dropped", 2)]), label="Tallies")

    assert run(build) == {"passed": 1, "filtered:contaminated": 2}


def test_an_index_for_other_settings_is_refused(index):
    with pytest.raises(ValueError, match="built for"):
        pd.Decontaminate(V310, index, DecontaminationConfig(ngram=10))


def test_contamination_report():
    summary = {
        "rte": {"examples": 5, "detectable_examples": 4, "texts": 10, "short_texts": 2},
        "boolq": {"examples": 2, "detectable_examples": 2, "texts": 4, "short_texts": 0},
    }
    matches = [(("rte", "validation:10"), 1), (("rte", "validation:9"), 3), (("rte", "test:x"), 2)]
    report = pd.contamination_report(summary, matches, CONFIG, {"scanned": 7, "dropped": 4})
    assert report == {
        "removal": "whole page",
        "ngram": 13,
        "min_words": 8,
        "pages": {"scanned": 7, "dropped": 4},
        "tasks": {
            "boolq": {
                "examples": 2,
                "detectable_examples": 2,
                "contaminated_examples": 0,
                "clean_examples": 2,
                "contaminated": {},
            },
            "rte": {
                "examples": 5,
                "detectable_examples": 4,
                "contaminated_examples": 3,
                "clean_examples": 2,
                "contaminated": {"test:x": 2, "validation:9": 3, "validation:10": 1},
            },
        },
    }
    assert list(report["tasks"]["rte"]["contaminated"]) == [
        "test:x",
        "validation:9",
        "validation:10",
    ]


def test_no_pages_give_an_empty_report(index, tmp_path):
    report_path = tmp_path / pd.REPORT_NAME

    def build(p):
        out = p | beam.Create([]).with_output_types(Page) | pd.Decontaminate(V310, index, CONFIG)
        _ = out | pd.WriteContamination(str(report_path), index.task_summary(), CONFIG)

    assert run(build) == {}
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["pages"] == {"scanned": 0, "dropped": 0}
    assert {r["contaminated_examples"] for r in report["tasks"].values()} == {0}
    assert {r["clean_examples"] for r in report["tasks"].values()} == {16}
