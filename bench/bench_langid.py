"""Benchmark: English language ID per CPU-second, ours vs the reference, side by side.

The reference is TFDS's `detect_english`: `langdetect.detect_langs(text)` with
`DetectorFactory.seed = 0`, and its (counter, language) verdict. Ours is
`corpus.langid.EnglishDetector().verdict(text)`. Both run in this one process on the 697 real
CC-MAIN-2019-30 pages (../shared/data/cc_text), timed with `time.process_time()` (CPU seconds,
best of `--repeats`; each side runs over all pages in turn, so neither pollutes the other's
caches). Every page's verdict must be identical, or the script exits non-zero. It then repeats
the timing on the English subset (pages whose reference verdict is "passed"), which is what
langdetect mostly sees in C4. MB are the UTF-8 bytes of the input texts.

    python bench/bench_langid.py [--repeats 3] [--json results.json]
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

from corpus.langid import MIN_PROBABILITY, EnglishDetector, LangVerdict  # noqa: E402

DOLMA_JSONL = (
    ROOT.parent
    / "shared"
    / "data"
    / "cc_text"
    / "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"
)


def reference_verdict(text: str) -> LangVerdict:
    """tensorflow_datasets c4_utils.detect_english as a (counter, language) pair."""
    import langdetect
    from langdetect.lang_detect_exception import LangDetectException

    langdetect.DetectorFactory.seed = 0
    try:
        predictions = langdetect.detect_langs(text)
    except LangDetectException:
        return LangVerdict("filtered:langdetect_exception", "")
    if not predictions:
        return LangVerdict("filtered:no_predictions", "")
    best = predictions[0]
    if best.prob < MIN_PROBABILITY:
        return LangVerdict("filtered:low_confidence", best.lang)
    if best.lang != "en":
        return LangVerdict("filtered:ignored_language", best.lang)
    return LangVerdict("passed", "en")


def timed(fn, texts: list[str], repeats: int) -> tuple[float, list[LangVerdict]]:
    """Best CPU seconds over `repeats` passes, and the verdicts of the last pass."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        verdicts = [fn(t) for t in texts]
        best = min(best, time.process_time() - start)
    return best, verdicts


def compare(name: str, texts: list[str], ours, repeats: int) -> tuple[dict, list[LangVerdict]]:
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    ref_s, ref_v = timed(reference_verdict, texts, repeats)
    our_s, our_v = timed(ours.verdict, texts, repeats)
    bad = [i for i, (a, b) in enumerate(zip(ref_v, our_v, strict=True)) if a != b]
    row = {
        "set": name,
        "pages": len(texts),
        "mb": round(mb, 3),
        "reference_cpu_s": round(ref_s, 3),
        "ours_cpu_s": round(our_s, 3),
        "reference_pages_per_s": round(len(texts) / ref_s, 1),
        "ours_pages_per_s": round(len(texts) / our_s, 1),
        "reference_mb_per_s": round(mb / ref_s, 3),
        "ours_mb_per_s": round(mb / our_s, 3),
        "speedup": round(ref_s / our_s, 2),
        "mismatches": len(bad),
    }
    for i in bad[:20]:
        print(f"MISMATCH {name} page {i}: reference {ref_v[i]} ours {our_v[i]}", file=sys.stderr)
    return row, ref_v


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=1, help="best of N passes per side")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    with gzip.open(DOLMA_JSONL, "rt", encoding="utf-8") as f:
        pages = [json.loads(line)["text"] for line in f]

    start = time.process_time()
    ours = EnglishDetector()
    init_s = time.process_time() - start
    # Load the reference's profiles, and warm both sides, outside the timed passes.
    reference_verdict(pages[0])
    ours.verdict(pages[0])

    rows = []
    row, ref_verdicts = compare("all pages", pages, ours, args.repeats)
    rows.append(row)
    english = [t for t, v in zip(pages, ref_verdicts, strict=True) if v.counter == "passed"]
    rows.append(compare("English subset", english, ours, args.repeats)[0])

    counters = collections.Counter(v.counter for v in ref_verdicts)
    print(f"python {platform.python_version()}, {platform.machine()}, repeats={args.repeats}")
    print(f"EnglishDetector() construction: {init_s:.2f} CPU s (once per worker)")
    print("reference verdicts on all pages:", dict(sorted(counters.items())))
    header = f"{'set':<15} {'pages':>5} {'MB':>6}  {'':<9} {'CPU s':>7} {'pages/s':>8} {'MB/s':>7}"
    print(header)
    for r in rows:
        for side in ("reference", "ours"):
            print(
                f"{r['set'] if side == 'reference' else '':<15} "
                f"{r['pages'] if side == 'reference' else '':>5} "
                f"{r['mb'] if side == 'reference' else '':>6}  {side:<9} "
                f"{r[side + '_cpu_s']:>7.3f} {r[side + '_pages_per_s']:>8.1f} "
                f"{r[side + '_mb_per_s']:>7.3f}"
            )
        print(f"{'':<15} speedup {r['speedup']:.2f}x, mismatching verdicts: {r['mismatches']}")
    if args.json:
        args.json.write_text(json.dumps({"init_cpu_s": init_s, "rows": rows}, indent=2) + "\n")
    if any(r["mismatches"] for r in rows):
        print("FAILED: verdicts differ from the reference", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
