"""Benchmark: eval-set decontamination MB per CPU-second, the pure page scan and the Beam stage
(issue 14's target: >= 10 MB per CPU-second), against an index the size of the full GLUE +
SuperGLUE + SQuAD evaluation sets.

**The index.** Mock eval examples, as many as each evaluation split really has, with as many
text bytes: `EVAL_SETS` lists every (TFDS config, split) the catalog evaluates on, with its
example count and size in bytes from Hugging Face datasets' `dataset_infos.json`
(huggingface/datasets @ 040102f, `datasets/{glue,super_glue,squad}/dataset_infos.json`: the
same files TFDS's builders download; `num_bytes` is the split's Arrow size, string bytes plus a
few bytes of integer fields per example). Each example's bytes are shared among its text
features in the proportions of `FEATURES` (passages and premises long, questions and hypotheses
short, ids and entity names a word or two), each text's length varied uniformly by +-50%, and
filled with words drawn Zipf-like from the vocabulary of the 697 real pages, so that eval
n-grams are built from the words pages use. Every text is distinct, which gives an upper bound
on the n-gram count: SQuAD, MultiRC and ReCoRD repeat their passages across questions, and the
catalog lists MNLI's matched/mismatched splits twice, so the real index is smaller.

**The pages.** C4 `en` (3.1.0) built in-process (`corpus.local`, as bench/bench_corpus.py) from
the 697 real CC-MAIN-2019-30 pages of ../shared/data/cc_text, repeated `--copies` times, with
one eval example planted in 1% of the pages (so that hits are confirmed and pages dropped). MB
are the UTF-8 bytes of the page texts.

**Timings**, CPU seconds of this process (`time.process_time`), best of `--repeats`:
- scan: `find_contamination_batch` over batches of 256 pages; with the share of it spent in
  `minhash.normalize_words` (measured alone on the same pages);
- Beam: `Decontaminate` (index from its file, as `corpus decontaminate` ships it) on the
  DirectRunner, in-memory, one worker, minus the same pipeline without the stage (reading the
  pages from a JSON-lines file and counting them), after a warm-up run has loaded the index in
  the process (a worker loads it once; the load is reported on its own).

    python bench/bench_decontamination.py [--scale 1.0] [--copies 8] [--repeats 3] [--json F]

Keep runs short on shared machines: --scale 0.25 builds a quarter-size index in ~1/4 of the time.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402

from c4forge.corpus import decontamination as dc  # noqa: E402
from c4forge.corpus.minhash import normalize_words  # noqa: E402

import c4_testing  # noqa: E402

# (TFDS builder/config, split, examples, bytes): Hugging Face datasets' dataset_infos.json.
EVAL_SETS = (
    ("glue/cola", "validation", 1_043, 60_850),
    ("glue/cola", "test", 1_063, 61_049),
    ("glue/sst2", "validation", 872, 106_692),
    ("glue/sst2", "test", 1_821, 217_556),
    ("glue/mrpc", "validation", 408, 106_142),
    ("glue/mrpc", "test", 1_725, 443_498),
    ("glue/qqp", "validation", 40_430, 5_653_794),
    ("glue/qqp", "test", 390_965, 55_171_431),
    ("glue/stsb", "validation", 1_500, 217_012),
    ("glue/stsb", "test", 1_379, 170_847),
    ("glue/mnli", "validation_matched", 9_815, 1_839_926),
    ("glue/mnli", "validation_mismatched", 9_832, 1_955_384),
    ("glue/mnli", "test_matched", 9_796, 1_854_787),
    ("glue/mnli", "test_mismatched", 9_847, 1_956_866),
    ("glue/qnli", "validation", 5_463, 1_371_727),
    ("glue/qnli", "test", 5_463, 1_376_516),
    ("glue/rte", "validation", 277, 90_911),
    ("glue/rte", "test", 3_000, 975_936),
    ("glue/wnli", "validation", 71, 12_215),
    ("glue/wnli", "test", 146, 37_992),
    ("glue/ax", "test", 1_104, 238_392),
    ("super_glue/boolq", "validation", 3_270, 2_118_505),
    ("super_glue/boolq", "test", 3_245, 2_107_997),
    ("super_glue/cb", "validation", 56, 21_894),
    ("super_glue/cb", "test", 250, 93_660),
    ("super_glue/copa", "validation", 100, 12_586),
    ("super_glue/copa", "test", 500, 60_303),
    ("super_glue/multirc", "validation", 4_848, 7_758_918),
    ("super_glue/multirc", "test", 9_693, 14_996_451),
    ("super_glue/record", "validation", 10_000, 17_479_084),
    ("super_glue/record", "test", 10_000, 17_200_575),
    ("super_glue/rte", "validation", 277, 90_899),
    ("super_glue/rte", "test", 3_000, 975_799),
    ("super_glue/wic", "validation", 638, 82_623),
    ("super_glue/wic", "test", 1_400, 180_593),
    ("super_glue/wsc.fixed", "validation", 104, 21_637),
    ("super_glue/wsc.fixed", "test", 146, 31_568),
    ("super_glue/axb", "test", 1_104, 238_392),
    ("super_glue/axg", "test", 356, 53_581),
    ("squad/v1.1", "validation", 10_570, 10_472_653),
)
_PAIR = (("a", 0.5), ("b", 0.5))
_NLI = (("premise", 0.67), ("hypothesis", 0.33))
# Text features and their share of an example's words (the TFDS builders' string features).
FEATURES = {
    "glue/cola": (("sentence", 1.0),),
    "glue/sst2": (("sentence", 1.0),),
    "glue/mnli": _NLI,
    "glue/ax": _NLI,
    "super_glue/cb": _NLI,
    "super_glue/rte": _NLI,
    "super_glue/axg": _NLI,
    "super_glue/boolq": (("passage", 0.9), ("question", 0.1)),
    "super_glue/copa": (("premise", 0.36), ("choice1", 0.3), ("choice2", 0.3), ("q", 0.04)),
    "super_glue/multirc": (("paragraph", 0.9), ("question", 0.07), ("answer", 0.03)),
    "super_glue/record": (("passage", 0.8), ("query", 0.12), ("entities", 0.08)),
    "super_glue/wic": (("sentence1", 0.45), ("sentence2", 0.45), ("word", 0.1)),
    "super_glue/wsc.fixed": (("text", 0.9), ("span1", 0.05), ("span2", 0.05)),
    "squad/v1.1": (("context", 0.86), ("question", 0.09), ("answer", 0.03), ("id", 0.02)),
}


def english_pages() -> list[str]:
    """The C4 en pages our build keeps of the 697 real pages (built in-process)."""
    from c4forge.corpus import versions
    from c4forge.corpus.langid import EnglishDetector
    from c4forge.corpus.local import LocalBuild
    from c4forge.corpus.sentences import SentenceCounter
    from c4forge.corpus.variants import variant

    words = sorted(
        {w.strip() for w in c4_testing.BADWORDS_EN.read_text("utf-8").splitlines()} - {""}
    )
    build = LocalBuild(
        variant=variant("en"),
        rules=versions.rules_for("3.1.0"),
        sentences=SentenceCounter.from_nltk_data(str(c4_testing.NLTK_DATA)),
        detector=EnglishDetector(),
        badwords={"en": words},
    )
    with tempfile.TemporaryDirectory() as tmp:
        wet = c4_testing.write_wet(Path(tmp) / "dolma.warc.wet.gz", c4_testing.dolma_records())
        with open(wet, "rb") as f:
            splits = build.run([f])
    return [p.text for pages in splits.values() for p in pages]


def mock_eval_texts(pages: list[str], scale: float, seed: int = 0):
    """(task, id, text) of the mock eval sets (module docstring), lazily; and their bytes.
    Words are drawn from the vocabulary of all 697 real pages (any language), bytes per word
    are the C4 `pages`'."""
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}
    for _, _, text in c4_testing.dolma_records():
        for w in normalize_words(text):
            counts[w] = counts.get(w, 0) + 1
    vocab = np.array(sorted(counts, key=lambda w: -counts[w]), dtype=object)
    weights = 1.0 / np.arange(1, vocab.size + 1)  # Zipf over the pages' own frequency ranks
    weights /= weights.sum()
    page_bytes = sum(len(t.encode("utf-8")) for t in pages)
    bytes_per_word = page_bytes / sum(map(len, map(normalize_words, pages)))

    def texts():
        for config, split, examples, size in EVAL_SETS:
            n = max(1, round(examples * scale))
            words_per_example = size / examples / bytes_per_word
            features = FEATURES.get(config, _PAIR)
            shares = np.array([share for _, share in features])
            lengths = words_per_example * shares * rng.uniform(0.5, 1.5, (n, len(features)))
            lengths = np.maximum(1, np.rint(lengths)).astype(int)
            drawn = iter(rng.choice(vocab, size=int(lengths.sum()), p=weights))
            for i in range(n):
                for length in lengths[i]:
                    yield config, f"{split}:{i}", " ".join(next(drawn) for _ in range(length))

    total = sum(size * scale for _, _, _, size in EVAL_SETS)
    return texts(), total


def plant(pages: list[str], index: dc.EvalIndex, share: float, seed: int = 0) -> list[str]:
    """`share` of the pages with one indexed eval n-gram's words appended."""
    rng = np.random.default_rng(seed)
    out = list(pages)
    for i in rng.choice(len(pages), size=max(1, int(len(pages) * share)), replace=False):
        start = int(index.occ_start[rng.integers(index.occ_start.size)])
        words = [index.words[w - 1] for w in index.corpus[start : start + index.config.ngram]]
        # Not upper-cased: for a few words of other scripts (German ß, ligatures) upper-casing
        # changes what normalization gives back, and they must still match.
        out[i] = out[i] + "\n" + " ".join(words) + "."
    return out


def best_cpu(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def scan(pages: list[str], index, batch: int = 256) -> int:
    dropped = 0
    for i in range(0, len(pages), batch):
        found = dc.find_contamination_batch(pages[i : i + batch], index, index.config)
        dropped += sum(map(bool, found))
    return dropped


def page_of_line(line: str):
    from c4forge.corpus.page import Page

    row = json.loads(line)
    return Page(row["url"], "", row["text"])


def beam_cpu(pages_file: str, index_path: str | None, config) -> float:
    """CPU seconds of one DirectRunner run (in-memory, one worker): JSON lines -> pages ->
    [the stage] -> count. (Read from a file: `beam.Create` would pickle and bz2 the pages into
    the job graph, a cost that is not the stage's and would drown it.)"""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from c4forge.corpus.versions import rules_for
    from c4forge.pipelines.decontamination import Decontaminate

    options = PipelineOptions(
        ["--direct_running_mode=in_memory", "--direct_num_workers=1", "--runner=DirectRunner"]
    )
    t = time.process_time()
    with beam.Pipeline(options=options) as p:
        pcoll = p | beam.io.ReadFromText(pages_file) | beam.Map(page_of_line)
        if index_path is not None:
            pcoll = (pcoll | Decontaminate(rules_for("3.1.0"), index_path, config))["pages"]
        _ = pcoll | beam.combiners.Count.Globally()
    return time.process_time() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="eval set size (1.0 = real)")
    ap.add_argument("--copies", type=int, default=8, help="copies of the C4 pages scanned")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    config = dc.DecontaminationConfig()

    base = english_pages()
    texts, eval_bytes = mock_eval_texts(base, args.scale)
    texts = list(texts)
    t = time.process_time()
    index = dc.build_index(texts, config)
    build_s = time.process_time() - t
    index_bytes = index.to_bytes()
    pages = plant(base * args.copies, index, share=0.01)
    mb = sum(len(p.encode("utf-8")) for p in pages) / 1e6

    scan_s = best_cpu(lambda: scan(pages, index), args.repeats)
    norm_s = best_cpu(lambda: [normalize_words(p) for p in pages], args.repeats)
    dropped = scan(pages, index)
    with tempfile.TemporaryDirectory() as tmp:
        from c4forge.pipelines import decontamination as pd

        path = str(Path(tmp) / "eval_index.npz")
        Path(path).write_bytes(index_bytes)
        t = time.process_time()
        pd.read_index(path)
        load_s = time.process_time() - t
        lines = [json.dumps({"url": f"u{i}", "text": text}) for i, text in enumerate(pages)]
        pages_file = Path(tmp) / "pages.jsonl"
        pages_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        (Path(tmp) / "warm.jsonl").write_text(lines[0] + "\n", encoding="utf-8")
        beam_cpu(str(Path(tmp) / "warm.jsonl"), path, config)  # the process loads the index
        with_stage = min(beam_cpu(str(pages_file), path, config) for _ in range(args.repeats))
        without = min(beam_cpu(str(pages_file), None, config) for _ in range(args.repeats))
    stage_s = with_stage - without

    ngrams, size_mb = index.ngram_count, len(index_bytes) / 1e6
    print(f"eval index: {eval_bytes / 1e6:.1f} MB of mock eval text (scale {args.scale}):")
    print(f"  {ngrams:,} distinct n-grams, {len(index.words):,} words, {size_mb:.0f} MB on file;")
    print(f"  built in {build_s:.1f} CPU s, loaded from file in {load_s:.2f} CPU s")
    print(f"pages: {len(pages):,} ({mb:.1f} MB; {args.copies} copies of {len(base)} C4 en pages)")
    print(f"  dropped {dropped:,} (planted in 1%)")
    print(f"{'':<34}{'CPU s':>8}{'MB/CPU-s':>10}")
    rows = [
        ("scan (find_contamination_batch)", scan_s),
        ("  of which normalize_words", norm_s),
        ("  scan less normalize_words", scan_s - norm_s),
        ("Beam stage (DirectRunner)", stage_s),
        ("  Beam run with the stage", with_stage),
        ("  Beam run without it", without),
    ]
    for label, seconds in rows:
        print(f"{label:<34}{seconds:>8.2f}{mb / seconds:>10.1f}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "machine": platform.processor() or platform.machine(),
                    "python": platform.python_version(),
                    "scale": args.scale,
                    "eval_mb": eval_bytes / 1e6,
                    "ngrams": ngrams,
                    "index_mb": size_mb,
                    "index_build_cpu_s": build_s,
                    "index_load_cpu_s": load_s,
                    "pages": len(pages),
                    "pages_mb": mb,
                    "dropped": dropped,
                    "cpu_s": {label.strip(): seconds for label, seconds in rows},
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
