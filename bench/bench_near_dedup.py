"""Benchmark: near-duplicate removal per CPU-second (issue 14).

Input: the real English pages of ../shared/data/cc_text (`tests/near_dup_testing.real_pages`)
copied until the input reaches `--mb` MB. Copy k of a page has a fraction of its words
replaced by fresh tokens: `--dup-fraction` of the copies lightly (1 word in 100: a near
duplicate of the page, Jaccard ~0.9), the rest heavily (1 word in 3: a distinct page, Jaccard
< 0.1), so the duplication is controlled and every page is distinct text.

Measured, one core:
1. *Signatures*, one process: normalize, shingle, MinHash and band every page
   (`corpus.minhash`, what `_BandsFn` runs). MB per CPU-second.
2. *The Beam stage*, DirectRunner in memory, one worker, each run in a child process: the
   pages read from JSON lines, through `NearDedup`, counted; and the same read and count
   without it. The stage costs the difference; CPU seconds from building the pipeline to its
   end, peak RSS of the process. The run checks the removed count against the planted copies
   (exits non-zero if a heavy copy was removed or fewer than 95% of light copies were).

    python bench/bench_near_dedup.py [--mb 100] [--dup-fraction 0.3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from c4forge.corpus import minhash  # noqa: E402

LIGHT, HEAVY = 100, 3  # one word in LIGHT (near duplicate) or in HEAVY (distinct page) replaced


def _edit(text: str, every: int, rng: random.Random) -> str:
    words = text.split(" ")
    for i in rng.sample(range(len(words)), max(1, len(words) // every)):
        words[i] = f"x{rng.randrange(10**9)}"
    return " ".join(words)


def make_pages(mb: float, dup_fraction: float, seed: int = 0) -> list[tuple[str, str, str]]:
    """[(url, text, kind)]: kind "base", "light" (a near duplicate of its base) or "heavy"."""
    import near_dup_testing

    rng = random.Random(seed)
    bases = [(u, t) for u, t in near_dup_testing.real_pages() if len(t.split()) >= 50]
    out, size, k = [], 0, 0
    while size < mb * 1e6:
        for url, text in bases:
            if k == 0:
                page = (url, text, "base")
            elif rng.random() < dup_fraction:
                page = (f"{url}#light{k}", _edit(text, LIGHT, rng), "light")
            else:
                page = (f"{url}#heavy{k}", _edit(text, HEAVY, rng), "heavy")
            out.append(page)
            size += len(page[1].encode("utf-8"))
        k += 1
    return out


def signatures_cpu(texts: list[str]) -> float:
    config = minhash.MinHashConfig()
    minhash.normalize_words("é")  # the table of marks is built once per process
    t = time.process_time()
    for text in texts:
        hashes = minhash.page_shingles(text, config)
        if hashes.size:
            minhash.band_keys(minhash.signature(hashes, config), config)
    return time.process_time() - t


def child(jsonl: str, with_stage: bool) -> None:
    """One Beam run in this process; prints {cpu_s, wall_s, max_rss_mb, removed}."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from c4forge.corpus import versions
    from c4forge.corpus.page import Page
    from c4forge.pipelines.near_dedup import NearDedup

    out = tempfile.mkdtemp()
    runner = ["--runner=DirectRunner", "--direct_running_mode=in_memory", "--direct_num_workers=1"]
    rules = versions.rules_for("3.1.0")

    def to_page(line):
        row = json.loads(line)
        return Page(row["url"], row["url"], row["text"])

    cpu, wall = time.process_time(), time.perf_counter()
    with beam.Pipeline(options=PipelineOptions(runner)) as p:
        pages = p | beam.io.ReadFromText(jsonl) | beam.Map(to_page)
        if with_stage:
            pages = (pages | NearDedup(rules, minhash.MinHashConfig()))["pages"]
        _ = pages | beam.combiners.Count.Globally() | beam.io.WriteToText(out + "/count")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    kept = int(next(Path(out).glob("count*")).read_text())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"cpu_s": cpu, "wall_s": wall, "max_rss_mb": rss, "kept": kept}))


def run_child(jsonl: Path, with_stage: bool) -> dict:
    argv = [sys.executable, __file__, "--child", str(jsonl), "1" if with_stage else "0"]
    done = subprocess.run(argv, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=100.0, help="MB of page text (%(default)s)")
    ap.add_argument("--dup-fraction", type=float, default=0.3, help="light copies' share")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1] == "1")
        return 0
    pages = make_pages(args.mb, args.dup_fraction)
    mb = sum(len(t.encode("utf-8")) for _, t, _ in pages) / 1e6
    kinds = {k: sum(1 for *_, kind in pages if kind == k) for k in ("base", "light", "heavy")}
    sig_cpu = signatures_cpu([t for _, t, _ in pages])
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "pages.jsonl"
        with open(jsonl, "w", encoding="utf-8") as f:
            for url, text, _ in pages:
                f.write(json.dumps({"url": url, "text": text}) + "\n")
        base = run_child(jsonl, with_stage=False)
        stage = run_child(jsonl, with_stage=True)
    stage_cpu = stage["cpu_s"] - base["cpu_s"]
    removed = len(pages) - stage["kept"]
    # A base page and its light copies form one cluster, of which one page stays: as many
    # pages go as there are light copies. Heavy copies (Jaccard < 0.1 with anything) all stay.
    expected = kinds["light"]
    ok = 0.95 * expected <= removed <= expected
    print(f"near-dedup, {len(pages):,} pages, {mb:.1f} MB ({kinds}), 1 core, CPU s")
    print(f"  signatures (functions)  {sig_cpu:7.2f}  {mb / sig_cpu:6.2f} MB/CPU-s")
    print(f"  Beam: read + count      {base['cpu_s']:7.2f}  peak RSS {base['max_rss_mb']:,.0f} MB")
    print(
        f"  Beam: + NearDedup       {stage['cpu_s']:7.2f}  peak RSS {stage['max_rss_mb']:,.0f} MB"
    )
    print(f"  the stage               {stage_cpu:7.2f}  {mb / stage_cpu:6.2f} MB/CPU-s")
    print(f"  removed {removed:,} of {expected:,} light copies: {'ok' if ok else 'WRONG'}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "mb": mb,
                    "pages": kinds,
                    "signatures_cpu_s": sig_cpu,
                    "beam_read_count": base,
                    "beam_near_dedup": stage,
                    "stage_cpu_s": stage_cpu,
                    "removed": removed,
                    "expected_removed": expected,
                },
                indent=2,
            )
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
