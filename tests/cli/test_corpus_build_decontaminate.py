"""`c4forge corpus build --decontaminate-file`: eval examples planted in real pages leave the
build, contamination.json lists them, the funnel and stats show the stage (issue 14)."""

from __future__ import annotations

import json

import pytest

from c4forge.cli import corpus_build

import c4_testing
from decontam_testing import control_pages, eval_examples, planted_pages

CONFIG = ("--config", "en.noclean", "--format", "json")


@pytest.fixture(scope="module")
def wet_and_truth(tmp_path_factory):
    planted, truth = planted_pages(seed=2)
    rows = planted + [(f"{url}?control", text) for url, text in control_pages(seed=2)]
    truth = truth + [set()] * (len(rows) - len(planted))
    records = [(url, "2019-07-17T12:00:00Z", text) for url, text in rows]
    path = tmp_path_factory.mktemp("dc") / "planted.warc.wet.gz"
    return c4_testing.write_wet(path, records), dict(zip((u for u, _ in rows), truth, strict=True))


@pytest.fixture(scope="module")
def eval_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("evals") / "evals.jsonl"
    rows = [{"task": t, "id": i, "text": text} for t, i, text in eval_examples()]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _urls(output) -> set[str]:
    return {r["url"] for rows in c4_testing.read_output(output, "json").values() for r in rows}


@pytest.fixture(scope="module")
def builds(wet_and_truth, eval_file, tmp_path_factory):
    wet, _ = wet_and_truth
    plain, clean = tmp_path_factory.mktemp("plain"), tmp_path_factory.mktemp("clean")
    corpus_build.run(c4_testing.build_args([wet], plain, *CONFIG))
    argv = c4_testing.build_args([wet], clean, *CONFIG, "--decontaminate-file", str(eval_file))
    stats = corpus_build.run([a for a in argv if a != "--no-report"])
    return plain, clean, stats


def test_planted_pages_leave_and_nothing_else(wet_and_truth, builds):
    _, truth = wet_and_truth
    plain, clean, stats = builds
    before, after = _urls(plain), _urls(clean)
    planted = {url for url in before if truth[url]}
    assert planted  # the English hosts reach the stage
    assert after == before - planted
    assert stats["counters"]["decontamination"] == {
        "passed": len(after),
        "filtered:contaminated": len(planted),
    }
    contamination = json.loads((clean / "contamination.json").read_text(encoding="utf-8"))
    listed = {(t, i) for t, r in contamination["tasks"].items() for i in r["contaminated"]}
    assert listed == {key for url in planted for key in truth[url]}
    assert not (clean / ".decontamination").exists()  # the index file is gone


def test_report_has_the_stage(builds):
    _, clean, stats = builds
    row = next(r for r in stats["funnel"] if r["stage"] == "no eval n-grams")
    assert row["pages"] == stats["counters"]["decontamination"]["passed"]
    assert stats["decontamination"]["ngram"] == 13
    assert stats["decontamination"]["report"] == "contamination.json"
    assert "no eval n-grams" in (clean / "funnel.txt").read_text()


def test_a_bad_eval_file_is_one_line(tmp_path, shared_data, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task": "t", "id": "1", "text": "fine text"}\nnot json\n', encoding="utf-8")
    argv = c4_testing.build_args(
        [c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz"],
        tmp_path / "o",
        "--decontaminate-file",
        str(bad),
    )
    assert corpus_build.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "--decontaminate-file" in err[0]
    assert "line 2" in err[0]
    assert not (tmp_path / "o").exists()
