"""Progress of a build (pipelines/progress.py): what the WET reader reports per file, the line the
launcher prints, and a build over a local manifest showing it on stderr (issue 15 part 4)."""

from __future__ import annotations

import io
import json
import logging
import re

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline

from c4forge.cli import corpus_build
from c4forge.corpus.versions import rules_for
from c4forge.pipelines import progress
from c4forge.pipelines import transforms as t

import c4_testing

# Stage names as the FnApiRunner of apache-beam 2.77 logs them for a C4 `en` build.
READ_STAGE = (
    "(((((((ReadWet/Reshuffle/ReshufflePerKey/GroupByKey/Read)+(ref_AppliedPTransform_ReadWet-"
    "Reshuffle-ReshufflePerKey-FlatMap-restore_metadata_default_window-_28))+(ref_AppliedPTransfor"
    "m_ReadWet-Reshuffle-RemoveRandomKeys_29))+(ref_AppliedPTransform_ReadWet-Split_30))+(ref_Appl"
    "iedPTransform_TooLong-ParDo-_LengthFn-ParDo-_LengthFn-_33))+(ref_AppliedPTransform_DedupUrls-"
    "KeyByNormalizedUrl_35))+(DedupUrls/SelectSurvivor/Precombine))+(DedupUrls/SelectSurvivor/Grou"
    "p/Write)"
)
WRITE_STAGE = (
    "((ref_PCollection_PCollection_50/Read)+(ref_AppliedPTransform_Writetrain-Write-WriteImpl-"
    "PreFinalize_84))+(ref_PCollection_PCollection_56/Write)"
)
SPLIT_STAGE = (
    "((((DedupLines/JoinByUrl/CoGroupByKeyImpl/GroupByKey/Read)+(ref_AppliedPTransform_English-"
    "ParDo_60))+(ref_AppliedPTransform_Badwords-ParDo_62))+(ref_AppliedPTransform_Split-Tag_64))+"
    "(ref_AppliedPTransform_Tagtrain_70)+(ref_AppliedPTransform_Tagvalidation_71)"
)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        (READ_STAGE, "ReadWet+TooLong+DedupUrls"),
        (WRITE_STAGE, "Writetrain"),
        (SPLIT_STAGE, "DedupLines+English+Badwords+Split+..."),
        ("Inputs/WetFiles/Read", "Inputs"),
    ],
)
def test_stage_label_is_the_top_level_transforms(name, label):
    assert progress.stage_label(name) == label


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (42.9, "0:42"), (725, "12:05"), (11265, "3:07:45")]
)
def test_format_duration(seconds, text):
    assert progress.format_duration(seconds) == text


@pytest.mark.parametrize(
    ("now", "read_start", "read_end", "files", "total", "share", "left"),
    [
        # reading, 2 of 8 files in 10 s: the read stage takes 40 s, the job 40 / 0.1 = 400 s
        (110, 100, None, 2, 8, 0.1, 390),
        (110, 100, None, 10, 8, 0.1, 90),  # retried files counted twice: at most N of N
        (150, 100, 120, 8, 8, 0.1, 150),  # read in 20 s: 200 s in all, 50 s gone
        (400, 100, 120, 8, 8, 0.1, None),  # the estimate has run out: none shown
        (110, 100, None, 2, None, 0.1, None),  # N not known yet
        (110, 100, None, 0, 8, 0.1, None),  # no file read yet
        (110, None, None, 0, 8, 0.1, None),  # reading has not started
        (150, 100, 120, 8, 8, None, None),  # no measured share for the config
    ],
)
def test_time_left(now, read_start, read_end, files, total, share, left):
    got = progress.time_left(now, read_start, read_end, files, total, share)
    assert got == (pytest.approx(left) if left is not None else None)


def test_read_stage_is_the_stage_running_when_the_first_file_was_read():
    stages = [(10.0, "Inputs"), (12.0, "ReadWet+TooLong"), (20.0, "DedupUrls+Clean")]
    assert progress.read_stage_span(stages, 13.5) == (12.0, 20.0)
    assert progress.read_stage_span(stages[:2], 13.5) == (12.0, None)
    assert progress.read_stage_span([], 13.5) == (13.5, None)  # no stage names: first file
    assert progress.read_stage_span(stages, None) == (None, None)


def test_read_log_takes_complete_lines_once(tmp_path):
    log = tmp_path / progress.LOG_NAME
    log.write_text("L 100.0 3\nF 101.5 10 2000\nF 102.0 5 10")
    tally = progress.read_log(str(tmp_path), progress.Tally())
    assert (tally.listed, tally.files, tally.pages, tally.bytes) == (3, 1, 10, 2000)
    assert tally.first_read_at == 101.5
    with log.open("a") as f:
        f.write("00\nF 103.0 1 1\n")  # the rest of the torn line, and one more
    progress.read_log(str(tmp_path), tally)
    assert (tally.files, tally.pages, tally.bytes) == (3, 16, 3001)
    assert progress.read_log(str(tmp_path / "none"), progress.Tally()) == progress.Tally()


class Terminal(io.StringIO):
    """A captured stream with the encoding of a terminal's."""

    def __init__(self, encoding: str = "utf-8") -> None:
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:
        return self._encoding


def test_reporter_line(tmp_path):
    (tmp_path / progress.LOG_NAME).write_text(
        "L 1000.0 8\n" + "".join(f"F {1010 + i} 6000 100000\n" for i in range(5))
    )
    reporter = progress.Reporter(str(tmp_path), 10, None, 0.1, Terminal())
    reporter.started_at = 958.0
    reporter.capture.stages = [(990.0, "Inputs"), (1000.0, "ReadWet+TooLong+DedupUrls")]
    # 5 of 8 files in the 20 s since reading began: 32 s of reading, 320 s of processing.
    assert reporter.line(now=1020.0) == (
        "[c4forge] 1:02 elapsed · files 5/8 · 30,000 pages · 1,500 pages/s · "
        "stage: ReadWet+TooLong+DedupUrls · ~5:00 left"
    )
    reporter.stream = Terminal("ascii")  # LANG=C: no middle dot
    assert reporter.line(now=1020.0, final="done") == (
        "[c4forge] 1:02 elapsed | files 5/8 | 30,000 pages | 1,500 pages/s | done"
    )


def test_reporter_line_before_any_file(tmp_path):
    reporter = progress.Reporter(str(tmp_path), 10, 3, 0.1, io.StringIO())
    reporter.started_at = 100.0
    assert reporter.line(now=105.0) == "[c4forge] 0:05 elapsed | files 0/3"
    reporter.total_files = None
    assert reporter.line(now=105.0) == "[c4forge] 0:05 elapsed | files 0/?"


def test_stage_capture_hears_the_runner_and_restores_its_logger():
    logger = logging.getLogger(progress.STAGE_LOGGER)
    before = logger.level, logger.propagate, list(logger.handlers)
    capture = progress.StageCapture()
    with capture.installed():
        logger.debug("Running bundle for stage %s\n\tExpected outputs: %s", READ_STAGE, {})
        logger.debug("Running bundle for stage %s\n\tExpected outputs: %s", READ_STAGE, {})
        logger.debug("Update: %s %s", "pc", 1)
        logger.debug("Running bundle for stage %s\n\tExpected outputs: %s", WRITE_STAGE, {})
    assert [label for _, label in capture.stages] == ["ReadWet+TooLong+DedupUrls", "Writetrain"]
    assert (logger.level, logger.propagate, list(logger.handlers)) == before


def test_no_progress_off_a_local_runner_or_at_interval_zero():
    from apache_beam.options.pipeline_options import PipelineOptions

    dataflow = PipelineOptions(["--runner", "DataflowRunner"])
    direct = PipelineOptions(["--runner", "DirectRunner"])
    assert progress.is_local_runner(direct)
    assert not progress.is_local_runner(dataflow)
    for options, interval in ((dataflow, 10), (direct, 0)):
        with progress.local_progress(options, interval, 1, 0.1) as progress_dir:
            assert progress_dir is None


def test_the_wet_reader_reports_each_file_and_the_files_listed(shared_data, tmp_path):
    paths = [str(c4_testing.FIXTURE_WET / f"cc_{i}.warc.wet.gz") for i in (0, 1)]
    p = TestPipeline()
    _ = (
        p
        | beam.Create([*paths, str(tmp_path / "missing.warc.wet.gz")])
        | t.ReadWetFiles(rules_for("3.1.0"), progress_dir=str(tmp_path))
    )
    result = p.run()
    result.wait_until_finish()

    def counters(namespace):
        query = result.metrics().query(MetricsFilter().with_namespace(namespace))["counters"]
        return {c.key.metric.name: c.committed for c in query}

    read = counters("split-wet-file")
    tally = progress.read_log(str(tmp_path), progress.Tally())
    sizes = sum((c4_testing.FIXTURE_WET / f"cc_{i}.warc.wet.gz").stat().st_size for i in (0, 1))
    # The missing file is reported too (0 pages): it is done with.
    assert (tally.listed, tally.files, tally.pages, tally.bytes) == (3, 3, read["passed"], sizes)
    assert counters(progress.PROGRESS_NAMESPACE) == {
        "wet-files-listed": 3,
        "wet-files-read": 3,
        "wet-pages-read": read["passed"],
        "wet-bytes-read": sizes,
    }


def test_the_wet_reader_logs_each_file_without_a_progress_dir(shared_data, caplog):
    path = str(c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz")
    p = TestPipeline()
    _ = p | beam.Create([path]) | t.ReadWetFiles(rules_for("3.1.0"))
    with caplog.at_level(logging.INFO, logger=progress.__name__):
        p.run().wait_until_finish()
    assert any(
        re.match(rf"read {re.escape(path)}: 6 pages, \d+ bytes", r.message) for r in caplog.records
    )


# --------------------------------------------------------------------------------------------
# A build over a local manifest (the acceptance test of issue 15 part 4)

LINE = re.compile(r"^\[c4forge\] \d+:\d\d elapsed (·|\|) files \d+/(\d+|\?)")


def _manifest(tmp_path):
    """A wet.paths listing three local WET files (absolute paths, as inputs.py resolves)."""
    wet = [
        c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz",
        c4_testing.FIXTURE_WET / "cc_1.warc.wet.gz",
        c4_testing.SHARED_DATA / "wet" / "whirlwind.warc.wet.gz",
    ]
    manifest = tmp_path / "wet.paths"
    manifest.write_text("".join(f"{p}\n" for p in wet))
    return manifest


@pytest.mark.parametrize("max_files", [2, None])
def test_a_build_over_a_local_manifest_shows_progress(max_files, shared_data, tmp_path, capsys):
    out = tmp_path / "out"
    sample = ["--max-files", str(max_files)] if max_files else []
    argv = c4_testing.build_args([_manifest(tmp_path)], out, "--progress-interval", "0.05", *sample)
    assert corpus_build.main(argv) == 0
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.startswith("[c4forge]")]
    assert len(lines) >= 2, captured.err
    assert all(LINE.match(line) for line in lines), lines
    assert "[c4forge]" not in captured.out  # the funnel on stdout is unchanged
    n = max_files or 3  # without --max-files, the workers list the manifest's files
    passed = json.loads((out / "stats.json").read_text())["counters"]["split-wet-file"]["passed"]
    sep = r" (?:·|\|) "
    assert re.search(
        rf"files {n}/{n}{sep}{passed:,} pages{sep}[\d,]+ pages/s{sep}done$", lines[-1]
    ), lines[-1]
    stages = {m.group(1) for line in lines for m in [re.search(r"stage: (\S+)", line)] if m}
    assert stages, lines
    assert all(re.fullmatch(r"\w+(\+(\w+|\.\.\.))*", stage) for stage in stages), stages
