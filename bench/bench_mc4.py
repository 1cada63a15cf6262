"""Benchmark: multilingual C4 (mC4) per CPU-second, ours vs the reference TFDS `c4_utils`.

Two measurements on the same real multilingual pages (`tests/mc4_reference.mc4_records`: the
lingua sentences in 75 languages, OSCAR lines in 166, the 697 CC-MAIN-2019-30 pages and 100
Chinese WET records, 1,344 pages), C4 `multilingual` 3.1.0:

1. **Stage by stage, one process, side by side.** The reference functions (`c4_utils`, called
   as `c4.py` wires them; Beam's shuffles emulated with dicts, `tests/mc4_reference`) and ours
   (`corpus/local.py`, the functions the Beam DoFns call) run every stage: WET parsing, length,
   URL dedup, paragraph filter, line dedup, CLD3, badwords, split. CPU time per stage, best of
   `--repeats`. After each stage the page sets must be equal (url, text), and at the end the
   splits and every counter; the script exits non-zero otherwise.
2. **The Beam pipelines users run**, each in a child process on the pages copied `--copies`
   times under distinct URLs, on the same runner (DirectRunner in memory, one worker): ours,
   `c4forge corpus build --config multilingual` (writing its shards and report), and the
   reference's own graph, `C4._get_pages_pcollection` of TFDS's `c4.py` for `multilingual`
   (WET path list, download step finding the file present, every stage; its pages counted per
   language, not written). CPU seconds from just before the pipeline is built to its end, wall
   time and peak RSS; the copies also run through both sides' stage functions. The copies'
   text is identical (line dedup empties all but the first) or, with `--distinct-lines`, made
   distinct line by line (every copy reaches CLD3, as issue 15's workload).

    python bench/bench_mc4.py [--repeats 3] [--copies 8] [--distinct-lines] [--json results.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from c4forge.corpus.cld3 import LanguageIdentifier, load_gcld3  # noqa: E402

load_gcld3()  # before anything imports TensorFlow

from c4forge.corpus import mc4, versions  # noqa: E402
from c4forge.corpus.local import LocalBuild  # noqa: E402
from c4forge.corpus.variants import variant  # noqa: E402
from c4forge.pipelines.resources import load_badwords_lists  # noqa: E402

import c4_testing  # noqa: E402
import mc4_reference  # noqa: E402

VERSION = "3.1.0"


def _mb(texts) -> float:
    return sum(len(t.encode("utf-8")) for t in texts) / 1e6


def wet_mb(wet: Path) -> float:
    """Uncompressed size of a (multi-member) gzip WET file, in MB."""
    with gzip.open(wet, "rb") as f:
        return sum(len(chunk) for chunk in iter(lambda: f.read(1 << 20), b"")) / 1e6


def our_build(lists: dict) -> LocalBuild:
    rules = versions.rules_for(VERSION)
    return LocalBuild(
        variant=variant("multilingual"),
        rules=rules,
        sentences=None,
        detector=LanguageIdentifier(mc4.MC4_LANGUAGES, rules.mc4_min_probability),
        badwords=lists,
        languages=mc4.MC4_CODES,
    )


def run_once(impl: str, wet: Path, lists: dict):
    """({stage: (cpu_s, mb_in, pages_in)}, {(split, url, text)}, counters, {stage: pages})."""
    if impl == "reference":
        build = mc4_reference.ReferenceMC4(VERSION).__enter__()
        url_text = build.url_text

        def read():
            return build.read([wet])
    else:
        build = our_build(lists)

        def url_text(p):
            return p.url, p.text

        def read():
            with open(wet, "rb") as f:
                return build.read([f])

    try:
        timings, seen = {}, {}
        t = time.process_time()
        pages = read()
        timings["parse"] = (time.process_time() - t, wet_mb(wet), len(pages))
        seen["parse"] = {url_text(p) for p in pages}
        for name, stage in build.stages():
            texts = [url_text(p)[1] for p in pages]
            t = time.process_time()
            pages = stage(pages)
            timings[name] = (time.process_time() - t, _mb(texts), len(texts))
            seen[name] = {url_text(p) for p in pages}
        t = time.process_time()
        splits = build.split(pages)
        timings["split"] = (time.process_time() - t, 0.0, len(pages))
        final = {(s, *url_text(p)) for s, ps in splits.items() for p in ps}
        counters = {ns: dict(c) for ns, c in build.counters.items() if c}
    finally:
        if impl == "reference":
            build.__exit__(None, None, None)
    return timings, final, counters, seen


def stage_by_stage(wet: Path, lists: dict, repeats: int) -> tuple[dict, bool]:
    for impl in ("reference", "ours"):  # warm-up: lazy loads are not what we measure
        run_once(impl, wet, lists)
    best: dict = {"reference": {}, "ours": {}}
    outputs = {}
    for _ in range(repeats):
        for impl in ("reference", "ours"):
            timings, final, counters, seen = run_once(impl, wet, lists)
            outputs[impl] = (final, counters, seen)
            for stage, value in timings.items():
                if stage not in best[impl] or value[0] < best[impl][stage][0]:
                    best[impl][stage] = value
    (rf, rc, rs), (of, oc, os_) = outputs["reference"], outputs["ours"]
    ok = rf == of and rc == oc
    for stage in rs:
        if rs[stage] != os_.get(stage):
            print(f"MISMATCH after stage {stage}")
            ok = False
    return best, ok


def copies_wet(path: Path, copies: int, distinct_lines: bool) -> Path:
    """The test pages `copies` times, each copy under its own URLs (URL dedup sees new pages).

    With `distinct_lines`, copy k's line i starts with the token `<k>-<i>`, so line dedup keeps
    every copy and CLD3 runs on every copy (its text cleaner drops digits, so the verdicts are
    the originals'); otherwise line dedup empties every copy but the first.
    """
    records = mc4_reference.mc4_records()

    def edit(k: int, text: str) -> str:
        if not distinct_lines:
            return text
        return "\n".join(f"{k}-{i} {line}" for i, line in enumerate(text.split("\n")))

    rows = [
        (url.replace("://", f"://copy{k}.", 1), date, edit(k, text))
        for k in range(copies)
        for url, date, text in records
    ]
    return c4_testing.write_wet(path, rows)


def beam_child(side: str, wet: str) -> None:
    """Runs one side's Beam pipeline in this process; prints {cpu_s, wall_s, max_rss_mb}."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    tmp = Path(tempfile.mkdtemp())
    runner = ["--runner=DirectRunner", "--direct_running_mode=in_memory", "--direct_num_workers=1"]
    if side == "ours":
        # Imports before the clock, as on the reference side (which imported Beam and TFDS).
        from c4forge.cli import corpus_build
        from c4forge.pipelines import c4, inputs, report, sharded_write, transforms  # noqa: F401

        argv = [
            *("--input", wet, "--output", str(tmp / "out"), "--config", "multilingual"),
            *("--c4-version", VERSION, "--badwords", str(c4_testing.BADWORDS_EN)),
            *("--badwords-dir", str(mc4_reference.BADWORDS_DIR), "--no-report", *runner),
        ]
        cpu, wall = time.process_time(), time.perf_counter()
        corpus_build.run(argv)
    else:
        import types

        from tensorflow_datasets.text import c4 as c4_ref

        from c4forge.corpus.badwords import BADWORDS_LANGS

        dl = tmp / "dl"
        (dl / "c4_wet_files").mkdir(parents=True)
        (dl / "c4_wet_files" / "x.warc.wet.gz").symlink_to(wet)
        (tmp / "wet.paths").write_text("x.warc.wet.gz\n")
        badwords = {
            n: str(c4_testing.BADWORDS_EN if n == "en" else mc4_reference.BADWORDS_DIR / n)
            for n in BADWORDS_LANGS
        }
        builder = c4_ref.C4(config="multilingual", data_dir=str(tmp / "data"))
        paths = {"wet_path_urls": [str(tmp / "wet.paths")], "badwords": badwords}
        cpu, wall = time.process_time(), time.perf_counter()
        with beam.Pipeline(options=PipelineOptions(runner)) as p:
            pages = builder._get_pages_pcollection(p, paths, types.SimpleNamespace(download_dir=dl))
            _ = (
                pages
                | beam.Map(lambda page: (page.language, 1))
                | beam.CombinePerKey(sum)
                | beam.io.WriteToText(str(tmp / "counts"))
            )
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"cpu_s": cpu, "wall_s": wall, "max_rss_mb": rss}))


def beam_run(side: str, wet: Path) -> dict:
    argv = [sys.executable, __file__, "--child", side, str(wet)]
    done = subprocess.run(argv, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def reference_cpu(wet: Path) -> float:
    t = time.process_time()
    mc4_reference.reference_mc4([wet], VERSION)
    return time.process_time() - t


def ours_cpu(wet: Path, lists: dict) -> float:
    build = our_build(lists)
    t = time.process_time()
    with open(wet, "rb") as f:
        build.run([f])
    return time.process_time() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--copies", type=int, default=8, help="copies of the pages for the Beam run")
    ap.add_argument(
        "--distinct-lines",
        action="store_true",
        help="make every copy's lines distinct (line dedup and CLD3 then work on every copy)",
    )
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--child", nargs=2, metavar=("SIDE", "WET"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        beam_child(*args.child)
        return 0
    rules = versions.rules_for(VERSION)
    lists = load_badwords_lists(
        str(c4_testing.BADWORDS_EN), str(mc4_reference.BADWORDS_DIR), None, rules.badwords_allowlist
    )
    with tempfile.TemporaryDirectory() as tmp:
        wet = mc4_reference.write_mc4_wet(Path(tmp) / "mc4.warc.wet.gz")
        best, ok = stage_by_stage(wet, lists, args.repeats)
        big = copies_wet(Path(tmp) / "copies.warc.wet.gz", args.copies, args.distinct_lines)
        big_mb = wet_mb(big)
        beam = {side: beam_run(side, big) for side in ("reference", "ours")}
        functions = {"reference": reference_cpu(big), "ours": ours_cpu(big, lists)}

    print(f"mC4 {VERSION}, {best['reference']['parse'][2]} real pages, CPU s (best of "
          f"{args.repeats}), 1 core")  # fmt: skip
    print(f"{'stage':<11}{'MB in':>8}{'pages':>7}{'ref s':>9}{'ours s':>9}{'speedup':>9}")
    rows = []
    for stage in best["reference"]:
        rs, mb, n = best["reference"][stage]
        os_ = best["ours"][stage][0]
        rows.append(
            {"stage": stage, "mb_in": mb, "pages_in": n, "ref_cpu_s": rs, "ours_cpu_s": os_}
        )
        speed = f"{rs / os_:>8.1f}x" if os_ > 0.0005 else f"{'-':>9}"
        print(f"{stage:<11}{mb:>8.3f}{n:>7}{rs:>9.3f}{os_:>9.3f}{speed}")
    mb, pages = best["reference"]["parse"][1], best["reference"]["parse"][2]
    ref_total = sum(v[0] for v in best["reference"].values())
    our_total = sum(v[0] for v in best["ours"].values())
    print(f"{'end to end':<11}{mb:>8.3f}{pages:>7}{ref_total:>9.3f}{our_total:>9.3f}"
          f"{ref_total / our_total:>8.1f}x")  # fmt: skip
    print(f"MB per CPU-second: reference {mb / ref_total:.2f}, ours {mb / our_total:.2f}")
    cld3 = best["reference"]["languages"][0]
    print(f"CLD3 is {cld3 / ref_total:.0%} of the reference's time: with the same CLD3 calls, "
          f"no implementation can beat it by more than {ref_total / cld3:.1f}x here")  # fmt: skip
    print("identical pages after every stage, splits and counters:", "yes" if ok else "NO")
    kind = "distinct-line" if args.distinct_lines else "identical"
    print(f"On {args.copies} {kind} copies ({big_mb:.1f} MB of WET), CPU s, 1 core:")
    for name, ref, ours in (
        ("Beam pipeline", beam["reference"]["cpu_s"], beam["ours"]["cpu_s"]),
        ("stage functions", functions["reference"], functions["ours"]),
    ):
        print(f"  {name:<16} reference {ref:6.2f} ({big_mb / ref:5.2f} MB/s)  ours {ours:6.2f} "
              f"({big_mb / ours:5.2f} MB/s)  {ref / ours:.1f}x")  # fmt: skip
    print(f"  peak RSS: reference {beam['reference']['max_rss_mb']:.0f} MB, "
          f"ours {beam['ours']['max_rss_mb']:.0f} MB")  # fmt: skip
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "version": VERSION,
                    "machine": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(),
                    "stages": rows,
                    "end_to_end": {"mb": mb, "ref_cpu_s": ref_total, "ours_cpu_s": our_total},
                    "copies": {
                        "mb": big_mb,
                        "distinct_lines": args.distinct_lines,
                        "beam": beam,
                        "functions": functions,
                    },
                    "identical": ok,
                },
                indent=2,
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
