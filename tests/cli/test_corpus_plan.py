"""The cost plan of a build (pipelines/plan.py): `c4forge corpus plan` and `corpus build
--dry_run=True` print it without reading a page (issue 15 part 6); its arithmetic; one-line
errors."""

from __future__ import annotations

import builtins
import io
import json
import math
import subprocess
import sys

import pytest

from c4forge.cli import corpus_build, corpus_plan
from c4forge.pipelines import plan, progress

import c4_testing

WET = [
    c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz",
    c4_testing.FIXTURE_WET / "cc_1.warc.wet.gz",
    c4_testing.FIXTURE_WET / "cc_0.warc.wet",  # plain text: its size is its text
]


def _text_bytes(paths) -> int:
    return sum(
        round(p.stat().st_size * plan.TEXT_PER_GZ_BYTE) if p.suffix == ".gz" else p.stat().st_size
        for p in paths
    )


@pytest.fixture
def no_page_reads(monkeypatch):
    """Any open of a WET file (Python's open, Beam's filesystems, the WET parser) fails."""
    from apache_beam.io.filesystems import FileSystems

    from c4forge.pipelines import transforms

    wet = {str(p) for p in WET}
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        assert str(file) not in wet, f"opened {file}"
        return real_open(file, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("a WET file was read")

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(FileSystems, "open", refuse)
    monkeypatch.setattr(transforms, "split_wet_stream", refuse)


def test_dry_run_prints_the_plan_and_reads_no_page(shared_data, tmp_path, capsys, no_page_reads):
    with pytest.raises(AssertionError, match="opened"), open(WET[0], "rb"):
        pass  # the guard is armed
    out = tmp_path / "out"
    argv = [*c4_testing.build_args(WET, out), "--dry_run=True", "--direct_num_workers=2"]
    assert corpus_build.main(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith("Plan: C4 en 3.1.0 on DirectRunner\n")
    assert not out.exists()  # nothing ran
    result = corpus_build.run(argv)
    got = result["plan"]
    assert result["dry_run"] is True
    assert result["funnel_text"] == text.rstrip("\n")
    stored = sum(p.stat().st_size for p in WET)
    assert got["inputs"] == {
        "files": 3,
        "stored_bytes": stored,
        "text_bytes": _text_bytes(WET),
        "sized_files": 3,
        "notes": [],
    }
    assert f"3 WET files, {stored / 1e3:.1f} kB stored" in text
    assert got["cpu_hours"] == pytest.approx(_text_bytes(WET) / 1e6 / 6.37 / 3600)
    assert got["shuffle_bytes"] == round(_text_bytes(WET) * 0.99)
    assert got["local_cores"] == 2
    assert got["local_hours"] == pytest.approx(got["cpu_hours"] / 2)
    assert (got["machine_type"], got["workers"]) == ("n1-standard-1", 1)


def test_plan_of_a_crawl(capsys):
    argv = ["--crawl", "CC-MAIN-2019-18", "--runner", "DataflowRunner", "--json"]
    argv += ["--worker_machine_type", "n1-standard-2", "--target-hours", "6"]
    assert corpus_plan.main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    files = plan.WET_FILES_PER_CRAWL  # 64,000 (docs/C4.md §12)
    text = files * round(plan.AVG_WET_GZ_BYTES * plan.TEXT_PER_GZ_BYTE)
    assert got["inputs"]["files"] == files
    assert got["inputs"]["stored_bytes"] == files * round(7.62 * 2**40 / 64_000)
    assert got["inputs"]["text_bytes"] == text
    cpu_hours = text / 1e6 / 6.37 / 3600  # ~763 CPU-hours: 17.5 TB of text at 6.37 MB/CPU-s
    assert got["cpu_hours"] == pytest.approx(cpu_hours)
    assert 700 < cpu_hours < 800
    worker_hours = cpu_hours / (2 * 0.8)
    assert got["workers"] == math.ceil(worker_hours / 6)
    assert (got["vcpus"], got["memory_gb"], got["local_cores"]) == (2, 7.5, None)
    prices = plan.EXAMPLE_PRICES
    cost = (
        worker_hours * 2 * prices["vcpu_hour"]
        + worker_hours * 7.5 * prices["memory_gb_hour"]
        + text * 0.99 / 1e9 * prices["shuffle_gb"]
        + worker_hours * 25 * prices["disk_gb_hour"]
    )
    assert got["example_cost_usd"] == pytest.approx(cost)
    assert "not read offline" in got["inputs"]["notes"][0]


def test_plan_text_names_formula_and_example_prices(capsys):
    argv = ["--crawl", "CC-MAIN-2019-18", "--runner", "DataflowRunner", "--max_num_workers", "450"]
    assert corpus_plan.main(argv) == 0
    text = capsys.readouterr().out
    assert "64,000 WET files" in text
    assert plan.PRICE_FORMULA in text
    assert "EXAMPLE prices" in text
    assert "with --max_num_workers 450" in text
    assert "here" not in text.split("\n")[5]  # Dataflow: no local estimate


@pytest.mark.parametrize(
    ("max_files", "files"), [(100, 100), (70_000, 64_000)], ids=["sample", "whole"]
)
def test_max_files_of_a_crawl_is_that_many_average_files(max_files, files):
    out = corpus_plan.run(["--crawl", "CC-MAIN-2019-18", "--max-files", str(max_files)])
    assert out["plan"]["inputs"]["files"] == files
    assert out["plan"]["inputs"]["stored_bytes"] == files * round(plan.AVG_WET_GZ_BYTES)


def test_local_manifest_is_read_and_its_files_sized(tmp_path):
    manifest = tmp_path / "wet.paths"
    remote = ["crawl-data/CC-MAIN-2019-18/segments/1/wet/a.warc.wet.gz", "gs://b/x.warc.wet.gz"]
    manifest.write_text("".join(f"{line}\n" for line in [*map(str, WET), *remote]))
    got = corpus_plan.run(["--input", str(manifest)])["plan"]["inputs"]
    average = round(plan.AVG_WET_GZ_BYTES)
    assert got["files"] == 5
    assert got["sized_files"] == 3
    assert got["stored_bytes"] == sum(p.stat().st_size for p in WET) + 2 * average
    assert "2 file(s) not reachable offline" in got["notes"][0]
    sample = corpus_plan.run(["--input", str(manifest), "--max-files", "2"])["plan"]["inputs"]
    assert sample["files"] == 2  # inputs.sample_evenly's: the same files the build would read


def test_near_dedup_is_noted_as_not_in_the_rates():
    out = corpus_plan.run(["--input", str(WET[0]), "--near-dedup"])
    assert any("--near-dedup is not in the rates" in note for note in out["plan"]["notes"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--target-hours", "0"], "--target-hours must be > 0, got 0.0"),
        (["--worker_machine_type", "huge-1"], "unknown worker machine type 'huge-1'"),
        (["--max-files", "0"], "--max-files must be at least 1, got 0"),
        (["--crawl", "2019-18"], "bad crawl id '2019-18'"),
        (["--no-such-flag"], "unknown flag(s): --no-such-flag"),
    ],
)
def test_bad_plan_flags_are_one_line(extra, message, capsys):
    argv = ["--input", str(WET[0]), *extra]
    assert corpus_plan.main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("c4forge corpus plan: error: ")
    assert message in line


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--dry_run=True", "--target-hours", "0"], "--target-hours must be > 0, got 0.0"),
        (["--progress-interval", "-1"], "--progress-interval must be >= 0 (0: none), got -1"),
    ],
)
def test_bad_build_flags_are_one_line(extra, message, shared_data, tmp_path, capsys):
    argv = [*c4_testing.build_args(WET[:1], tmp_path / "out"), *extra]
    assert corpus_build.main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == f"c4forge corpus build: error: {message}"
    assert not (tmp_path / "out").exists()


def test_parser_defaults_are_the_modules():
    args, _ = corpus_build.build_parser().parse_known_args(["--output", "o"])
    assert args.progress_interval == progress.DEFAULT_INTERVAL_S
    assert args.target_hours == plan.DEFAULT_TARGET_HOURS


def test_every_config_has_a_measured_rate():
    from c4forge.corpus.variants import VARIANTS

    assert set(plan.RATES) == set(VARIANTS)
    assert all(0 < r.read_share < 1 for r in plan.RATES.values())


def test_plan_help_is_fast_and_loads_no_beam():
    probe = (
        "import sys\nfrom c4forge.cli.main import main\n"
        "try:\n    main(['corpus', 'plan', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'apache_beam', 'numpy'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert "usage: c4forge corpus plan" in done.stdout
    assert "--target-hours" in done.stdout
    assert done.stdout.strip().endswith("[]")
