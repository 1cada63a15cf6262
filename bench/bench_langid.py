"""Benchmark: English language ID per CPU-second, the reference vs ours one by one vs batched.

The reference is TFDS's `detect_english`: `langdetect.detect_langs(text)` with
`DetectorFactory.seed = 0`, and its verdict. Ours is
`corpus.langid.EnglishDetector`: `verdict(page)` page by page, and `verdicts(pages)`, which
runs the seeded trials of up to `--batch-size` pages in lockstep (corpus._langdetect_fast, point
6), given the whole list at once or, with `--chunk N`, lists of N pages. All three run in this
one process on the 697 real CC-MAIN-2019-30 pages (../shared/data/cc_text), timed with
`time.process_time()` (CPU seconds, best of `--repeats`; each side runs over all pages in turn,
so none pollutes another's caches). Every page's verdict must be the same on all three sides, or
the script exits non-zero. It then repeats the timing on the English subset (pages whose
reference verdict keeps them), which is what langdetect mostly sees in C4. MB are the UTF-8
bytes of the input texts.

    python bench/bench_langid.py [--repeats 3] [--batch-size 256] [--chunk N] [--json out.json]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from c4forge.corpus._langdetect_fast import BATCH_SIZE  # noqa: E402
from c4forge.corpus.langid import MIN_PROBABILITY, EnglishDetector  # noqa: E402
from c4forge.corpus.page import Page  # noqa: E402
from c4forge.corpus.verdict import Reason, Verdict, drop, keep, verdict_names  # noqa: E402

DOLMA_JSONL = (
    ROOT.parent
    / "shared"
    / "data"
    / "cc_text"
    / "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"
)
SIDES = ("reference", "one_by_one", "batched")


def reference_verdict(page: Page) -> Verdict:
    """tensorflow_datasets c4_utils.detect_english, as a verdict."""
    import langdetect
    from langdetect.lang_detect_exception import LangDetectException

    langdetect.DetectorFactory.seed = 0
    try:
        predictions = langdetect.detect_langs(page.text)
    except LangDetectException:
        return drop(Reason.LANGDETECT_EXCEPTION)
    if not predictions:
        return drop(Reason.NO_PREDICTIONS)
    best = predictions[0]
    if best.prob < MIN_PROBABILITY:
        return drop(Reason.LOW_CONFIDENCE, best.lang)
    if best.lang != "en":
        return drop(Reason.IGNORED_LANGUAGE, best.lang)
    return keep(page._replace(language="en"), "en")


def timed(run, texts: list[Page], repeats: int) -> tuple[float, list[Verdict]]:
    """Best CPU seconds of `run(texts)` over `repeats` passes, and the last pass's verdicts."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        verdicts = run(texts)
        best = min(best, time.process_time() - start)
    return best, verdicts


def compare(name: str, texts: list[Page], runs: dict, repeats: int) -> tuple[dict, list]:
    mb = sum(len(t.text.encode("utf-8")) for t in texts) / 1e6
    row: dict = {"set": name, "pages": len(texts), "mb": round(mb, 3)}
    verdicts = {}
    for side in SIDES:
        seconds, verdicts[side] = timed(runs[side], texts, repeats)
        reference_s = row["reference"]["cpu_s"] if side != "reference" else seconds
        row[side] = {
            "cpu_s": round(seconds, 4),
            "pages_per_s": round(len(texts) / seconds, 1),
            "mb_per_s": round(mb / seconds, 3),
            "speedup": round(reference_s / seconds, 2),
        }
    row["batched_vs_one_by_one"] = round(row["one_by_one"]["cpu_s"] / row["batched"]["cpu_s"], 2)
    want = verdicts["reference"]
    bad = sorted({i for side in SIDES[1:] for i, v in enumerate(verdicts[side]) if v != want[i]})
    row["mismatches"] = len(bad)
    for i in bad[:20]:
        print(
            f"MISMATCH {name} page {i}: reference {want[i]} one by one "
            f"{verdicts['one_by_one'][i]} batched {verdicts['batched'][i]}",
            file=sys.stderr,
        )
    return row, want


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=1, help="best of N passes per side")
    ap.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="pages in lockstep")
    ap.add_argument("--chunk", type=int, default=0, help="pages per verdicts() call (0: all)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    with gzip.open(DOLMA_JSONL, "rt", encoding="utf-8") as f:
        pages = [
            Page(f"http://page/{i}", f"page/{i}", json.loads(line)["text"])
            for i, line in enumerate(f)
        ]

    start = time.process_time()
    ours = EnglishDetector()
    init_s = time.process_time() - start

    def batched(texts: list[Page]) -> list[Verdict]:
        chunk = args.chunk or max(len(texts), 1)
        out: list[Verdict] = []
        for at in range(0, len(texts), chunk):
            out += ours.verdicts(texts[at : at + chunk], batch_size=args.batch_size)
        return out

    runs = {
        "reference": lambda texts: [reference_verdict(t) for t in texts],
        "one_by_one": lambda texts: [ours.verdict(t) for t in texts],
        "batched": batched,
    }
    # Load the reference's profiles, and warm all sides, outside the timed passes.
    for run in runs.values():
        run(pages[:8])

    rows = []
    row, ref_verdicts = compare("all pages", pages, runs, args.repeats)
    rows.append(row)
    english = [t for t, v in zip(pages, ref_verdicts, strict=True) if v.kept]
    rows.append(compare("English subset", english, runs, args.repeats)[0])

    counters = collections.Counter(verdict_names(v)[0] for v in ref_verdicts)
    chunk = f"lists of {args.chunk}" if args.chunk else "one list"
    print(f"python {platform.python_version()}, {platform.machine()}, repeats={args.repeats}")
    print(f"EnglishDetector() construction: {init_s:.2f} CPU s (once per worker)")
    print(f"batched: verdicts({chunk}, batch_size={args.batch_size})")
    print("reference verdicts on all pages:", dict(sorted(counters.items())))
    print(
        f"{'set':<15} {'pages':>5} {'MB':>6}  {'side':<10} {'CPU s':>7} {'pages/s':>8} "
        f"{'MB/s':>7} {'speedup':>8}"
    )
    for r in rows:
        for k, side in enumerate(SIDES):
            head = f"{r['set']:<15} {r['pages']:>5} {r['mb']:>6}" if k == 0 else " " * 28
            s = r[side]
            print(
                f"{head}  {side:<10} {s['cpu_s']:>7.3f} {s['pages_per_s']:>8.1f} "
                f"{s['mb_per_s']:>7.3f} {s['speedup']:>7.2f}x"
            )
        print(
            f"{'':<15} batched vs one by one {r['batched_vs_one_by_one']:.2f}x, "
            f"mismatching verdicts: {r['mismatches']}"
        )
    if args.json:
        result = {"init_cpu_s": init_s, "batch_size": args.batch_size, "chunk": args.chunk}
        args.json.write_text(json.dumps({**result, "rows": rows}, indent=2) + "\n")
    if any(r["mismatches"] for r in rows):
        print("FAILED: verdicts differ from the reference", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
