"""Benchmark: the C4 Beam job end to end, ours vs the TFDS reference pipeline, side by side.

What users run and pay for is the Beam job (issue 15). On a WET sample made by
`bench/crawl_sample.py` (the real pages copied under their own URLs, every line of each copy
edited), in one run:

* **ours**: `c4forge corpus build --config en` with the default runner (DirectRunner,
  multi-processing on all cores), in a child process;
* **reference**: TFDS `c4.py`'s stage list (`C4._get_pages_pcollection`, with `c4_utils`' own
  Beam transforms `CombinePerKey(select_newest_page)` and `remove_duplicate_text`), its
  `_emit_examples` split and the examples written as TFRecords, on the same runner and input;
* **functions**: our stage functions in one process (`corpus.local.LocalBuild`), no Beam.

For each Beam side: CPU seconds including the workers (the child's rusage once all its
processes are waited for), MB of page text per CPU-second, wall seconds, the peak resident
memory of every process (polled from /proc), and the bytes and elements that went through each
shuffle (every GroupByKey, CombinePerKey and CoGroupByKey: the runner's grouping buffers are
metered in the process that runs them). The run then checks that both sides wrote the same
documents (url, text) in each split, and exits non-zero otherwise.

    python bench/crawl_sample.py --mb 300 --files 8 --output /tmp/crawl300
    python bench/bench_beam.py --input /tmp/crawl300 [--sides ours,reference,functions]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

SHARED = ROOT.parent / "shared" / "data"
NLTK_DATA = SHARED / "nltk_data"
BADWORDS_EN = SHARED / "badwords" / "ldnoobw_25e679f" / "en"

# Loaded by the reference side's processes (launcher and workers, through PYTHONPATH): the
# reference loads Punkt from a pickle it downloads; here it gets the same model from the
# punkt_tab tables, with no download (as tests/c4_testing.ReferenceC4 does in one process).
_SITECUSTOMIZE = """
import nltk
nltk.download = lambda *a, **k: True
_load = nltk.data.load
def _punkt_tab(resource, *a, **k):
    if resource.endswith("punkt/english.pickle"):
        from nltk.tokenize.punkt import PunktTokenizer
        return PunktTokenizer("english")
    return _load(resource, *a, **k)
nltk.data.load = _punkt_tab
"""


# --- measurements ---------------------------------------------------------------------------


def install_shuffle_meter(count_elements: bool) -> dict:
    """Counts the bytes (and, when asked, the elements: a decode of each, not free) written
    into each of the FnApiRunner's grouping buffers (one per GroupByKey, by transform name) in
    this process: {name: [bytes, elements]}."""
    from apache_beam.coders.coder_impl import create_InputStream
    from apache_beam.runners.portability.fn_api_runner import execution

    meter: dict = collections.defaultdict(lambda: [0, 0])
    get_buffer = execution.BundleContextManager.get_buffer
    append = execution.GroupingBuffer.append

    def metered_get_buffer(self, buffer_id, transform_id):
        buffer = get_buffer(self, buffer_id, transform_id)
        if isinstance(buffer, execution.GroupingBuffer) and not hasattr(buffer, "_c4_name"):
            buffer._c4_name = buffer_id.decode("utf-8", "replace").split(":", 1)[-1]
        return buffer

    def metered_append(self, elements_data):
        entry = meter[getattr(self, "_c4_name", "?")]
        entry[0] += len(elements_data)
        if not count_elements:
            return append(self, elements_data)
        stream = create_InputStream(elements_data)
        coder = self._pre_grouped_coder.get_impl()
        n = 0
        while stream.size() > 0:
            coder.decode_from_stream(stream, True)
            n += 1
        entry[1] += n
        return append(self, elements_data)

    execution.BundleContextManager.get_buffer = metered_get_buffer
    execution.GroupingBuffer.append = metered_append
    return meter


class ProcessTreePoller:
    """Polls /proc for every descendant of `pid`: peak RSS (VmHWM) and CPU seconds per pid."""

    def __init__(self, pid: int, interval_s: float = 0.2) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak_kb: dict[int, int] = {}
        self.cpu_s: dict[int, float] = {}  # the last seen user + system time of each pid
        self.names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _children(self) -> list[int]:
        pids, frontier = [], [self.pid]
        while frontier:
            pid = frontier.pop()
            pids.append(pid)
            try:
                tasks = os.listdir(f"/proc/{pid}/task")
                for task in tasks:
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        frontier.extend(int(c) for c in f.read().split())
            except OSError:
                continue
        return pids

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self._children():
                try:
                    with open(f"/proc/{pid}/status") as f:
                        status = f.read()
                except OSError:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                hwm = int(fields.get("VmHWM", "0 kB").split()[0])
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        ticks = f.read().rsplit(")", 1)[1].split()[11:13]
                    self.cpu_s[pid] = sum(int(t) for t in ticks) / os.sysconf("SC_CLK_TCK")
                except (OSError, IndexError):
                    pass
                self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), hwm)
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
                self.names.setdefault(pid, "worker" if "sdk_worker" in cmd else "launcher")
            self._stop.wait(self.interval_s)

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds seen per role (launcher, worker): a lower bound (polled)."""
        out: dict[str, float] = collections.Counter()
        for pid, cpu in self.cpu_s.items():
            out[self.names.get(pid, "?")] += cpu
        return dict(out)

    def peaks_mb(self) -> list[tuple[str, float]]:
        """(role, peak MB) of every process seen, largest first."""
        rows = [(self.names.get(p, "?"), kb / 1024) for p, kb in self.peak_kb.items()]
        return sorted(rows, key=lambda r: -r[1])


def run_child(side: str, wet_dir: Path, work: Path, runner: list[str], count: bool) -> dict:
    """Runs one Beam side in a child process; its CPU (workers included), wall, peaks, meter."""
    env = dict(os.environ)
    if side == "reference":
        site = work / "site"
        site.mkdir(parents=True, exist_ok=True)
        (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
        env["NLTK_DATA"] = str(NLTK_DATA)
    meter_file = work / f"{side}-meter.json"
    argv = [sys.executable, __file__, "--child", side, "--input", str(wet_dir)]
    argv += ["--work", str(work), "--meter", str(meter_file)]
    argv += [*(["--count-elements"] if count else []), "--", *runner]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    with ProcessTreePoller(proc.pid) as poller:
        out, _ = proc.communicate()
    wall = time.perf_counter() - wall
    if proc.returncode:
        raise SystemExit(f"{side}: the child failed with exit code {proc.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "cpu_s": cpu,
        "wall_s": wall,
        "peaks_mb": poller.peaks_mb(),
        "cpu_by_role": poller.cpu_by_role(),
        "shuffles": json.loads(meter_file.read_text()),
        "child": json.loads(out.strip().splitlines()[-1]),
    }


# --- the sides ------------------------------------------------------------------------------


def child_ours(wet_dir: Path, out: Path, runner: list[str]) -> dict:
    from c4forge.cli import corpus_build

    argv = [
        *("--input", *sorted(glob.glob(str(wet_dir / "*.warc.wet.gz")))),
        *("--output", str(out), "--config", "en", "--punkt", str(NLTK_DATA)),
        *("--badwords", str(BADWORDS_EN), "--no-report", *runner),
    ]
    corpus_build.run(argv)
    return {"output": str(out)}


def child_reference(wet_dir: Path, out: Path, runner: list[str]) -> dict:
    import types

    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from tensorflow_datasets.text import c4 as c4_ref
    from tensorflow_datasets.text import c4_utils

    from c4forge.corpus.records import encode_example
    from c4forge.pipelines.launch import default_runner_options
    from c4forge.pipelines.outputs import page_features  # the reference's feature names

    tmp = out.parent / "reference-dl"
    (tmp / "c4_wet_files").mkdir(parents=True, exist_ok=True)
    names = sorted(p.name for p in wet_dir.glob("*.warc.wet.gz"))
    for name in names:
        link = tmp / "c4_wet_files" / name
        if not link.exists():
            link.symlink_to(wet_dir / name)
    (tmp / "wet.paths").write_text("".join(n + "\n" for n in names))
    builder = c4_ref.C4(config="en", data_dir=str(tmp / "data"))
    paths = {"wet_path_urls": [str(tmp / "wet.paths")], "badwords": {"en": str(BADWORDS_EN)}}
    download = types.SimpleNamespace(download_dir=tmp)
    options = PipelineOptions(runner)
    default_runner_options(options)  # the runner ours gets: DirectRunner on all cores
    with beam.Pipeline(options=options) as p:
        pages = builder._get_pages_pcollection(p, paths, download)
        for split, keep in (
            ("train", lambda h: h % 1000 != 0),
            ("validation", lambda h: h % 1000 == 0),
        ):
            # c4.py's `_split_generators` predicates, through c4_utils' own filter function.
            _ = (
                pages
                | f"filter_{split}" >> beam.Filter(c4_utils.get_hashed_url_filter_fn(keep))
                | f"emit_{split}" >> beam.Map(lambda page: encode_example(page_features(page)))
                | f"write_{split}"
                >> beam.io.WriteToTFRecord(
                    str(out / f"c4-{split}.tfrecord"),
                    num_shards=8 if split == "train" else 1,
                )
            )
    return {"output": str(out)}


def functions_side(wet_dir: Path) -> dict:
    """Our stage functions in this process: CPU seconds and the documents per split."""
    from c4forge.corpus import versions
    from c4forge.corpus.langid import EnglishDetector
    from c4forge.corpus.local import LocalBuild
    from c4forge.corpus.sentences import SentenceCounter
    from c4forge.corpus.variants import variant
    from c4forge.pipelines.resources import load_badwords, load_punkt_tables

    build = LocalBuild(
        variant=variant("en"),
        rules=versions.rules_for("3.1.0"),
        sentences=SentenceCounter.from_tables(load_punkt_tables(str(NLTK_DATA))),
        detector=EnglishDetector(),
        badwords={"en": load_badwords(str(BADWORDS_EN))},
    )
    files = sorted(wet_dir.glob("*.warc.wet.gz"))
    t = time.process_time()
    with contextlib.ExitStack() as stack:
        splits = build.run([stack.enter_context(open(f, "rb")) for f in files])
    cpu = time.process_time() - t
    docs = {s: {(p.url, p.text) for p in ps} for s, ps in splits.items()}
    return {"cpu_s": cpu, "docs": docs}


def read_documents(out: Path) -> dict[str, set]:
    """split -> {(url, text)} of the TFRecord files a side wrote."""
    from c4forge.corpus.records import decode_example
    from c4forge.tasks.records import read_records

    docs: dict[str, set] = {}
    for split in ("train", "validation"):
        rows = set()
        for path in sorted(out.glob(f"c4-{split}.tfrecord*")):
            for record, _ in read_records(str(path)):
                ex = decode_example(record)
                rows.add((ex["url"].decode("utf-8"), ex["text"].decode("utf-8")))
        docs[split] = rows
    return docs


def text_mb(wet_dir: Path) -> tuple[float, float, int]:
    """(MB of page text, MB of gzipped WET, pages) of the sample."""
    from c4forge.corpus.wet import split_wet_stream

    text, pages = 0, 0
    for path in sorted(wet_dir.glob("*.warc.wet.gz")):
        with open(path, "rb") as f:
            for page in split_wet_stream(f):
                text += len(page.text.encode("utf-8"))
                pages += 1
    gz = sum(p.stat().st_size for p in wet_dir.glob("*.warc.wet.gz"))
    return text / 1e6, gz / 1e6, pages


# --- report ---------------------------------------------------------------------------------


def shuffle_rows(meter: dict, mb_in: float) -> list[str]:
    rows = []
    for name, (nbytes, n) in sorted(meter.items(), key=lambda kv: -kv[1][0]):
        rows.append(f"| {name} | {n:,} | {nbytes / 1e6:,.1f} | {nbytes / 1e6 / mb_in:.3f} |")
    total = sum(b for b, _ in meter.values())
    rows.append(
        f"| **total** | {sum(n for _, n in meter.values()):,} | {total / 1e6:,.1f} | "
        f"{total / 1e6 / mb_in:.3f} |"
    )
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True, type=Path, help="a crawl_sample.py directory")
    ap.add_argument("--sides", default="ours,reference,functions")
    ap.add_argument("--work", type=Path, help="scratch directory (default: a new temp dir)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument(
        "--count-elements",
        action="store_true",
        help="also count the elements of each shuffle (decodes them: costs launcher CPU)",
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--meter", type=Path, help=argparse.SUPPRESS)
    args, runner = ap.parse_known_args(argv)
    runner = [r for r in runner if r != "--"]
    if args.child:
        from c4forge.pipelines.launch import quiet_beam_logging

        quiet_beam_logging()
        meter = install_shuffle_meter(args.count_elements)
        out = args.work / f"{args.child}-out"
        side = child_ours if args.child == "ours" else child_reference
        result = side(args.input, out, runner)
        args.meter.write_text(json.dumps(dict(meter)))
        print(json.dumps(result))
        return 0

    sides = args.sides.split(",")
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-beam-"))
    mb, gz_mb, n_pages = text_mb(args.input)
    print(f"input: {n_pages:,} pages, {mb:,.1f} MB of page text, {gz_mb:,.1f} MB gzipped WET")
    results: dict = {"input": {"pages": n_pages, "text_mb": mb, "gz_mb": gz_mb}}
    docs = {}
    for side in ("ours", "reference"):
        if side in sides:
            r = run_child(side, args.input, work, runner, args.count_elements)
            results[side] = r
            docs[side] = read_documents(Path(r["child"]["output"]))
            peak = r["peaks_mb"][0] if r["peaks_mb"] else ("?", 0)
            print(
                f"{side}: {r['cpu_s']:.1f} CPU s incl. workers ({mb / r['cpu_s']:.2f} MB/CPU-s), "
                f"{r['wall_s']:.1f} s wall, largest process {peak[1]:,.0f} MB ({peak[0]}), "
                f"shuffled {sum(b for b, _ in r['shuffles'].values()) / 1e6:,.1f} MB"
            )
            roles = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["cpu_by_role"].items()))
            print(f"  CPU s by process role (polled): {roles}; peaks MB: {r['peaks_mb']}")
    if "functions" in sides:
        f = functions_side(args.input)
        results["functions"] = {"cpu_s": f["cpu_s"]}
        docs["functions"] = f["docs"]
        print(f"functions: {f['cpu_s']:.1f} CPU s ({mb / f['cpu_s']:.2f} MB/CPU-s)")
    for side in ("ours", "reference"):
        if side in results:
            print(f"\nshuffles of {side} (bytes into the runner's grouping buffers)")
            print("| shuffle | elements | MB | bytes per input byte |\n|---|---|---|---|")
            print("\n".join(shuffle_rows(results[side]["shuffles"], mb)))
    names = list(docs)
    same = all(docs[a] == docs[names[0]] for a in names)
    sizes = {n: {s: len(d) for s, d in docs[n].items()} for n in names}
    print(f"\ndocuments per split: {sizes}; identical: {same}")
    results["identical"] = same
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
