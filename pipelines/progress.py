"""Where a long build is (issue 15 part 4): files read of N, pages per second, the current stage,
elapsed and estimated time left; TFDS builds show nothing for days (tensorflow/datasets#1931).

Worker side (`FileProgress`, called by `transforms.ReadWetFiles` once per WET file, never per
page): Beam counters in namespace `c4forge-progress` (`wet-files-read`, `wet-pages-read`,
`wet-bytes-read`, `wet-files-listed`: live in Dataflow's UI, and under `measures` in
stats.json), one `logging.info` line per file when there is no progress directory (on Dataflow:
the job log), and, for local runs, one line appended to `<progress_dir>/files.log`:

    F <unix time> <pages> <bytes>     a WET file read to its end (or found unreadable)
    L <unix time> <count>             <count> WET file locations listed (one line per bundle)

The `L` lines come from the stage that lists the locations (manifests included), which ends
before any file is read, so N is known when reading starts even when workers expand manifests.
A retried bundle appends its lines again (the local runner rarely retries).

Launcher side (`local_progress`, around `pipeline.run()` on the DirectRunner): a thread prints
one line to stderr every `interval_s` seconds and once at the end:

    [c4forge] 0:12 elapsed · files 8/8 · 10,050 pages · 3,826 pages/s · stage: DedupUrls+Clean
    +DedupLines · ~0:17 left                         (one line; from a 40 MB build on 2 cores)

(" | " instead of " · " where stderr's encoding is not UTF).

The stage is the FnApiRunner's current fused stage, caught from the DEBUG record it logs per
bundle ("Running bundle for stage ...", logger `fn_runner.run_bundle` in apache-beam 2.77) by a
handler on that logger alone (its level set to DEBUG, not propagated, both restored after), so
`launch.quiet_beam_logging`'s WARNING root level stays and nothing else reaches the terminal.
Its label is the fused stage's top-level transform labels joined by "+".

Time left (`time_left`): the FnApiRunner runs one stage at a time over all the data, and the
read stage (WET parsing, the length filter, URL dedup's pre-combine) is a measured share of a
build's processing time (`plan.RATES[config].read_share`). While reading, the read stage's
length is extrapolated from files read of N; after it, it is known; either way the job's
processing time is that length divided by the share, and the time left is that minus the time
since reading began. Before reading, or once the estimate has run out, no estimate is shown.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import BinaryIO, TextIO

import apache_beam as beam
from apache_beam.metrics import Metrics

PROGRESS_NAMESPACE = "c4forge-progress"  # "c4forge-": a measure, not a reference counter
LOG_NAME = "files.log"
DEFAULT_INTERVAL_S = 10.0
# The FnApiRunner's per-bundle DEBUG logger and message (apache-beam 2.77, fn_runner.py).
STAGE_LOGGER = "apache_beam.runners.portability.fn_api_runner.fn_runner.run_bundle"
_STAGE_MESSAGE = "Running bundle for stage"
_MAX_STAGE_LABELS = 4

_LOG = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Worker side


def _append(progress_dir: str, line: str) -> None:
    # One write of a short line with O_APPEND: lines of concurrent worker processes never mix.
    fd = os.open(os.path.join(progress_dir, LOG_NAME), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode("ascii"))
    finally:
        os.close(fd)


class FileProgress:
    """What a WET reader reports per file; build it in `DoFn.setup()`."""

    def __init__(self, progress_dir: str | None) -> None:
        self.progress_dir = progress_dir
        self._files = Metrics.counter(PROGRESS_NAMESPACE, "wet-files-read")
        self._pages = Metrics.counter(PROGRESS_NAMESPACE, "wet-pages-read")
        self._bytes = Metrics.counter(PROGRESS_NAMESPACE, "wet-bytes-read")
        self._listed = Metrics.counter(PROGRESS_NAMESPACE, "wet-files-listed")

    def file_read(self, location: str, pages: int, size: int, seconds: float) -> None:
        """One WET file read to its end: `pages` emitted, `size` bytes as stored."""
        self._files.inc()
        self._pages.inc(pages)
        self._bytes.inc(size)
        if self.progress_dir is None:
            _LOG.info("read %s: %d pages, %d bytes in %.1f s", location, pages, size, seconds)
        else:
            _append(self.progress_dir, f"F {time.time():.3f} {pages} {size}\n")

    def files_listed(self, count: int) -> None:
        if count:
            self._listed.inc(count)
            if self.progress_dir is not None:
                _append(self.progress_dir, f"L {time.time():.3f} {count}\n")


def stream_position(stream: BinaryIO) -> int:
    """Bytes read from `stream` (its position), 0 if it cannot tell."""
    try:
        return stream.tell()
    except (OSError, ValueError, AttributeError):
        return 0


class ListedFilesFn(beam.DoFn):
    """Passes WET file locations through and reports how many per bundle (`files_listed`)."""

    def __init__(self, progress_dir: str | None) -> None:
        self.progress_dir = progress_dir

    def setup(self) -> None:
        self.progress = FileProgress(self.progress_dir)

    def start_bundle(self) -> None:
        self.listed = 0

    def process(self, location: str):
        self.listed += 1
        yield location

    def finish_bundle(self) -> None:
        self.progress.files_listed(self.listed)


# --------------------------------------------------------------------------------------------
# Launcher side: reading the log, naming the stage, the estimate, the line


@dataclasses.dataclass
class Tally:
    """What the workers have reported so far (`read_log` adds to it)."""

    files: int = 0
    pages: int = 0
    bytes: int = 0
    listed: int = 0
    first_read_at: float | None = None  # unix time of the first file read
    offset: int = 0  # bytes of the log already taken in
    pending: str = ""  # a line not yet complete


def read_log(progress_dir: str, tally: Tally) -> Tally:
    """Adds the log's lines written since the last call to `tally`."""
    try:
        with open(os.path.join(progress_dir, LOG_NAME), encoding="ascii") as f:
            f.seek(tally.offset)
            data = f.read()
    except FileNotFoundError:
        return tally
    tally.offset += len(data)
    *lines, tally.pending = (tally.pending + data).split("\n")
    for line in lines:
        kind, stamp, *values = line.split()
        if kind == "F":
            tally.files += 1
            tally.pages += int(values[0])
            tally.bytes += int(values[1])
            if tally.first_read_at is None:
                tally.first_read_at = float(stamp)
        elif kind == "L":
            tally.listed += int(values[0])
    return tally


def stage_label(name: str) -> str:
    """A fused FnApiRunner stage's name -> its top-level transform labels joined by "+".

    "((ReadWet/Reshuffle/.../Read)+(ref_AppliedPTransform_ReadWet-Split_30))+
    (ref_AppliedPTransform_TooLong-ParDo-_LengthFn-..._33)" -> "ReadWet+TooLong"."""
    labels: list[str] = []
    for part in re.findall(r"\(([^()]+)\)", name) or [name]:
        if part.startswith("ref_PCollection"):
            continue
        part = part.removeprefix("ref_AppliedPTransform_")
        label = re.sub(r"_\d+$", "", re.split(r"[/-]", part, maxsplit=1)[0])
        if label and label not in labels:
            labels.append(label)
    if len(labels) > _MAX_STAGE_LABELS:
        labels = [*labels[:_MAX_STAGE_LABELS], "..."]
    return "+".join(labels)


class StageCapture(logging.Handler):
    """Records (unix time, label) each time the FnApiRunner starts a stage of another label."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.stages: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith(_STAGE_MESSAGE) and record.args:
            label = stage_label(str(record.args[0]))
            if not self.stages or self.stages[-1][1] != label:
                self.stages.append((record.created, label))

    @contextlib.contextmanager
    def installed(self) -> Iterator[StageCapture]:
        logger = logging.getLogger(STAGE_LOGGER)
        saved = logger.level, logger.propagate
        logger.setLevel(logging.DEBUG)
        logger.propagate = False  # the DEBUG records reach this handler and nothing else
        logger.addHandler(self)
        try:
            yield self
        finally:
            logger.removeHandler(self)
            logger.setLevel(saved[0])
            logger.propagate = saved[1]


def read_stage_span(
    stages: list[tuple[float, str]], first_read_at: float | None
) -> tuple[float | None, float | None]:
    """(start, end) unix times of the stage that read the first file; end None while it runs.
    Without stage names, reading is taken to start at the first file read."""
    if first_read_at is None:
        return None, None
    index = max((i for i, (t, _) in enumerate(stages) if t <= first_read_at), default=None)
    if index is None:
        return first_read_at, None
    end = stages[index + 1][0] if index + 1 < len(stages) else None
    return stages[index][0], end


def time_left(
    now: float,
    read_start: float | None,
    read_end: float | None,
    files: int,
    total: int | None,
    read_share: float | None,
) -> float | None:
    """Seconds left by the module docstring's rule; None when there is no estimate."""
    if read_start is None or not read_share:
        return None
    if read_end is not None:
        read_seconds = read_end - read_start
    elif total and files:
        read_seconds = (now - read_start) * total / min(files, total)
    else:
        return None
    left = read_seconds / read_share - (now - read_start)
    return left if left > 0 else None


def format_duration(seconds: float) -> str:
    """0:42, 12:05, 3:07:45."""
    s = int(seconds)
    h, m = s // 3600, s // 60 % 60
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


def _separator(stream: TextIO) -> str:
    encoding = (getattr(stream, "encoding", None) or "ascii").lower().replace("-", "")
    return " · " if encoding in ("utf8", "utf16", "utf32") else " | "


class Reporter:
    """The launcher's progress line, printed every `interval_s` seconds by `start()`'s thread
    and once more by `stop()`. `total_files`: N when the launcher knows it (else the workers'
    `L` lines tell); `read_share`: the config's, for the time left (None: no estimate)."""

    def __init__(
        self,
        progress_dir: str,
        interval_s: float,
        total_files: int | None,
        read_share: float | None,
        stream: TextIO | None = None,
    ) -> None:
        self.progress_dir = progress_dir
        self.interval_s = interval_s
        self.total_files = total_files
        self.read_share = read_share
        self.stream = stream if stream is not None else sys.stderr
        self.capture = StageCapture()
        self.tally = Tally()
        self.started_at = time.time()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def line(self, now: float | None = None, final: str | None = None) -> str:
        """One progress line; `final` replaces the stage (e.g. "done")."""
        now = time.time() if now is None else now
        tally = read_log(self.progress_dir, self.tally)
        total = tally.listed or self.total_files
        read_start, read_end = read_stage_span(self.capture.stages, tally.first_read_at)
        parts = [f"{format_duration(now - self.started_at)} elapsed"]
        parts.append(f"files {tally.files:,}/{f'{total:,}' if total else '?'}")
        if tally.files:
            parts.append(f"{tally.pages:,} pages")
            reading = (read_end or now) - (read_start or now)
            if reading > 0:
                parts.append(f"{tally.pages / reading:,.0f} pages/s")
        stage = self.capture.stages[-1][1] if self.capture.stages else None
        if final is not None:
            parts.append(final)
        elif stage:
            parts.append(f"stage: {stage}")
        left = time_left(now, read_start, read_end, tally.files, total, self.read_share)
        if final is None and left is not None:
            parts.append(f"~{format_duration(left)} left")
        return "[c4forge] " + _separator(self.stream).join(parts)

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._print(self.line())
            except Exception as e:  # a progress line is never worth failing the build
                _LOG.warning("no progress line: %s", e)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="c4forge-progress", daemon=True)
        self._thread.start()

    def stop(self, final: str) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._print(self.line(final=final))


def is_local_runner(options) -> bool:
    """The runners whose workers share this machine's filesystem (the DirectRunner's)."""
    from apache_beam.options.pipeline_options import StandardOptions

    runner = options.view_as(StandardOptions).runner
    name = runner if isinstance(runner, str) else type(runner).__name__
    return any(word in str(name or "") for word in ("Direct", "FnApi"))


@contextlib.contextmanager
def local_progress(
    options,
    interval_s: float,
    total_files: int | None,
    read_share: float | None,
    stream: TextIO | None = None,
) -> Iterator[str | None]:
    """Around a local build: yields the progress directory for `BuildSettings.progress_dir`
    and prints the progress line meanwhile. Yields None (no reporting) when `interval_s` is 0
    or the runner is not local (Dataflow reports through counters and the job log)."""
    if interval_s <= 0 or not is_local_runner(options):
        yield None
        return
    progress_dir = tempfile.mkdtemp(prefix="c4forge-progress-")
    reporter = Reporter(progress_dir, interval_s, total_files, read_share, stream)
    final = "stopped"
    try:
        with reporter.capture.installed():
            reporter.start()
            try:
                yield progress_dir
                final = "done"
            finally:
                reporter.stop(final)
    finally:
        shutil.rmtree(progress_dir, ignore_errors=True)
