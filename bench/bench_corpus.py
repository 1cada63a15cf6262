"""Benchmark: C4 cleaning per CPU-second, ours vs the reference TFDS `c4_utils`, side by side.

On the 697 real CC-MAIN-2019-30 pages (../shared/data/cc_text, each wrapped as a WET conversion
record, one gzip member per record), both implementations run every stage of a C4 config in
one process, in the same run, on the same pages: WET parsing, length filter, URL dedup,
clean_page, line dedup, langdetect, badwords, split. The time of each stage is CPU time
(`time.process_time`), best of `--repeats`. After each stage the two page sets must be
identical (url, text), and so must the final splits and every counter; the script exits
non-zero otherwise. MB are the UTF-8 bytes of page text entering each stage (for parsing: the
uncompressed WET bytes), so MB/s compares work done on the same data.

    python bench/bench_corpus.py [--config en] [--repeats 3] [--json results.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from c4forge.corpus import versions  # noqa: E402
from c4forge.corpus.langid import EnglishDetector  # noqa: E402
from c4forge.corpus.local import LocalBuild  # noqa: E402
from c4forge.corpus.sentences import SentenceCounter  # noqa: E402
from c4forge.corpus.variants import variant  # noqa: E402

import c4_testing  # noqa: E402


def _mb(pages) -> float:
    return sum(len(p.text.encode("utf-8")) for p in pages) / 1e6


def _key(pages) -> set:
    return {(p.url, p.text) for p in pages}


def run_once(impl: str, config: str, wet: Path, words: list[str], heavy: dict):
    """Returns ({stage: (cpu_s, mb_in, pages_in)}, final splits, counters)."""
    timings = {}
    if impl == "reference":
        ctx = c4_testing.ReferenceC4(config)
        ctx.__enter__()
        build = ctx
        read = lambda: ctx.read([wet])  # noqa: E731
    else:
        build = LocalBuild(
            variant=variant(config),
            rules=versions.rules_for("3.1.0"),
            sentences=heavy["sentences"],
            detector=heavy["detector"],
            badwords={"en": words},
        )

        def read():
            with open(wet, "rb") as f:
                return build.read([f])

    try:
        wet_mb = len(gzip.decompress(wet.read_bytes())) / 1e6
        t = time.process_time()
        pages = read()
        timings["parse"] = (time.process_time() - t, wet_mb, len(pages))
        per_stage_pages = {"parse": _key(pages)}
        for name, stage in build.stages():
            mb, n = _mb(pages), len(pages)
            t = time.process_time()
            pages = stage(pages)
            timings[name] = (time.process_time() - t, mb, n)
            per_stage_pages[name] = _key(pages)
        t = time.process_time()
        splits = build.split(pages)
        timings["split"] = (time.process_time() - t, _mb(pages), len(pages))
        counters = {ns: dict(c) for ns, c in build.counters.items() if c}
    finally:
        if impl == "reference":
            ctx.__exit__(None, None, None)
    final = {(s, p.url, p.text) for s, ps in splits.items() for p in ps}
    return timings, final, counters, per_stage_pages


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="en", choices=sorted(c4_testing.CONFIGS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        wet = c4_testing.write_wet(Path(tmp) / "dolma.warc.wet.gz", c4_testing.dolma_records())
        words = sorted(
            {w.strip() for w in c4_testing.BADWORDS_EN.read_text("utf-8").splitlines()} - {""}
        )
        heavy = {
            "sentences": SentenceCounter.from_nltk_data(str(c4_testing.NLTK_DATA)),
            "detector": EnglishDetector(),
        }
        # Warm both sides once (lazy model loads are not what we measure), then measure.
        for impl in ("reference", "ours"):
            run_once(impl, args.config, wet, words, heavy)
        best: dict = {"reference": {}, "ours": {}}
        outputs = {}
        for _ in range(args.repeats):
            for impl in ("reference", "ours"):
                timings, final, counters, stages = run_once(impl, args.config, wet, words, heavy)
                outputs[impl] = (final, counters, stages)
                for stage, value in timings.items():
                    if stage not in best[impl] or value[0] < best[impl][stage][0]:
                        best[impl][stage] = value

    ref_final, ref_counters, ref_stages = outputs["reference"]
    our_final, our_counters, our_stages = outputs["ours"]
    ok = ref_final == our_final and ref_counters == our_counters
    for stage in ref_stages:
        if ref_stages[stage] != our_stages.get(stage):
            print(f"MISMATCH after stage {stage}")
            ok = False

    rows = []
    print(f"C4 {args.config} on 697 real pages, CPU seconds (best of {args.repeats}), 1 core")
    print(
        f"{'stage':<11}{'MB in':>8}{'pages':>7}{'ref s':>9}{'ours s':>9}"
        f"{'ref MB/s':>10}{'ours MB/s':>10}{'speedup':>9}"
    )
    for stage in best["reference"]:
        rs, mb, n = best["reference"][stage]
        os_, _, _ = best["ours"][stage]
        rows.append(
            {"stage": stage, "mb_in": mb, "pages_in": n, "ref_cpu_s": rs, "ours_cpu_s": os_}
        )
        print(
            f"{stage:<11}{mb:>8.3f}{n:>7}{rs:>9.3f}{os_:>9.3f}"
            f"{mb / rs if rs else 0:>10.1f}{mb / os_ if os_ else 0:>10.1f}"
            f"{rs / os_ if os_ else float('inf'):>8.1f}x"
        )
    wet_mb = best["reference"]["parse"][1]
    pages = best["reference"]["parse"][2]
    ref_total = sum(v[0] for v in best["reference"].values())
    our_total = sum(v[0] for v in best["ours"].values())
    print(
        f"{'end to end':<11}{wet_mb:>8.3f}{pages:>7}{ref_total:>9.3f}{our_total:>9.3f}"
        f"{wet_mb / ref_total:>10.2f}{wet_mb / our_total:>10.2f}{ref_total / our_total:>8.1f}x"
    )
    print(f"pages per CPU-second: reference {pages / ref_total:.0f}, ours {pages / our_total:.0f}")
    print("identical output and counters:", "yes" if ok else "NO")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "config": args.config,
                    "repeats": args.repeats,
                    "machine": platform.processor() or platform.machine(),
                    "python": platform.python_version(),
                    "stages": rows,
                    "end_to_end": {
                        "mb": wet_mb,
                        "pages": pages,
                        "ref_cpu_s": ref_total,
                        "ours_cpu_s": our_total,
                    },
                    "identical": ok,
                },
                indent=2,
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
