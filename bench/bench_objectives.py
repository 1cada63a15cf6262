"""Benchmark: the T5 study's objectives through the fast feed, source tokens per CPU-second.

Every objective of `tasks.catalog.STUDY_OBJECTIVES` (BERT- and MASS-style, drop tokens, i.i.d.
denoising at 10/25/50%, span corruption at 10/25/50% and mean spans 2/5/10, UL2) side by side
with span corruption, T5's default and the baseline, in one process: each registered over the
same C4 build (`catalog.register_c4`) and read by `tasks.feed.Feed` into packed batches, at the
lengths T5's gin objectives used at 512 inputs (docs/STUDY.md §3): span corruption the exact
targets of its length arithmetic (114 at the defaults), i.i.d. denoising 103 / 256 / 512 at
10 / 25 / 50% (`iid_{10,25,50}_u_u.gin`), drop tokens 104 (`iid_15_d_d.gin`), BERT, MASS and
UL2 512 (their targets are whole pieces, or up to 510 tokens).

Data: as bench/bench_tasks.py (our C4 en build of the 697 real pages repeated to `--docs`
documents over 4 TFRecord files; a SentencePiece unigram model of `--vocab` pieces), with 256
extra ids so that every sentinel (up to ~160 runs per example at 50%) is an extra id and can be
told apart from a source token.

Source tokens are counted in the examples the feed packs, each token exactly once: ids that are
neither pad, EOS nor a sentinel in inputs and targets for the denoisers that split the source
between them (span corruption, i.i.d. denoising, drop tokens; for UL2 less its mode tokens, the
first ids of its inputs); the targets alone for BERT and MASS (their targets are the source,
their inputs a corrupted copy). Tokens the targets length cuts off (i.i.d. denoising at T5's
lengths) are not counted. CPU time is `time.process_time`, best of `--repeats`, over
`--batches` batches after one packing window's worth of warm-up; the source tokens are those of
every example made while timing (`timed`: the last packing window is made whole even when the
batches take only its first rows); the objectives take turns within each repeat.

    python bench/bench_objectives.py [--batches 80] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

EXTRA_IDS = 256
INPUTS = 512
BASELINE = "span_corruption"
# Targets lengths of T5's gin objectives where they are not the objective's own arithmetic.
GIN_TARGETS = {"iid_denoising_r10": 103, "iid_denoising_r25": 256, "iid_denoising_r50": 512}
# Objectives whose targets are the source itself (inputs: a corrupted copy).
TARGETS_ARE_SOURCE = ("bert_style", "mass_style")


def lengths_of(objective_name: str) -> dict[str, int]:
    """{inputs: 512, targets: what T5's gin objective used} (module docstring)."""
    from c4forge.tasks import objectives

    if objective_name in GIN_TARGETS:
        return {"inputs": INPUTS, "targets": GIN_TARGETS[objective_name]}
    objective = objectives.parse(objective_name)
    if objective_name == "ul2":
        return {"inputs": INPUTS, "targets": INPUTS}
    return {"inputs": INPUTS, "targets": objective.lengths({"inputs": INPUTS})[1]}


def source_tokens(example, objective_name: str, vocab_size: int, modes: list[list[int]]) -> int:
    """The source tokens of one example as the feed hands it to packing (module docstring)."""
    first_sentinel = vocab_size - EXTRA_IDS

    def ordinary(ids) -> int:
        return int(np.count_nonzero((ids > 1) & (ids < first_sentinel)))

    if objective_name in TARGETS_ARE_SOURCE:
        return ordinary(example["targets"])
    count = ordinary(example["inputs"]) + ordinary(example["targets"])
    if objective_name == "ul2":  # the inputs start with the mode's ids
        head = example["inputs"][: max(map(len, modes))].tolist()
        count -= max(len(m) for m in modes if head[: len(m)] == m)
    return count


class KeptStream:
    """A feed's task stream that keeps the examples it hands out (counted after the clock)."""

    def __init__(self, stream):
        self.stream, self.examples = stream, []

    def state(self):
        return self.stream.state()

    def restore(self, state):
        self.stream.restore(state)

    def __next__(self):
        example = next(self.stream)
        self.examples.append(example)
        return example


def timed(runs: dict, batches: int, repeats: int, count) -> dict[str, tuple[float, int]]:
    """{label: (best CPU seconds for `batches` batches, source tokens in the examples made for
    them)}, after one packing window of warm-up (~8 batches of 64 here).

    Packing makes a window of 512 examples (seqio's rule) when its first row is asked for, and a
    window whose examples share a row has fewer than 512 rows, so a fixed number of batches can
    end just inside a new window: its examples were all made (tokenized, corrupted, packed)
    inside the clock. The source tokens counted are therefore those of every example made
    while timing, not just of those in the batches."""
    best: dict[str, float] = {}
    tokens: dict[str, int] = {}
    for _ in range(repeats):
        for label, make_feed in runs.items():
            f = make_feed()
            for _ in range(-(-INPUTS // f.batch_size)):
                next(f)
            (kept,) = f.streams = [KeptStream(f.streams[0])]
            start = time.process_time()
            for _ in range(batches):
                next(f)
            cpu = time.process_time() - start
            tokens[label] = sum(count(ex, label) for ex in kept.examples)
            best[label] = min(cpu, best.get(label, cpu))
            del f, kept
    return {label: (best[label], tokens[label]) for label in runs}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=4000, help="documents in the corpus")
    parser.add_argument("--vocab", type=int, default=4000, help="SentencePiece pieces")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=80, help="timed batches per objective")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--only", help="comma-separated objectives to run beside span corruption (default: all)"
    )
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)

    import seqio
    from bench_tasks import make_corpus, train_vocab

    from c4forge.tasks import catalog, feed, registry, ul2

    chosen = args.only.split(",") if args.only else catalog.STUDY_OBJECTIVES
    unknown = sorted(set(chosen) - set(catalog.STUDY_OBJECTIVES))
    if unknown:
        parser.error(f"--only: not study objectives: {', '.join(unknown)}")
    objective_names = [BASELINE, *chosen]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        c4_dir, texts = make_corpus(work, args.docs)
        vocab = seqio.SentencePieceVocabulary(train_vocab(work, texts, args.vocab), EXTRA_IDS)
        names = catalog.register_c4(catalog.CatalogConfig(c4=str(c4_dir)), vocab)
        modes = [vocab.encode(ul2.MODE_TOKENS[m]) for m in ul2.MODES]

        def make(name):
            task = catalog.c4_task_name("en", "3.1.0", name)
            return lambda: feed.Feed(task, lengths_of(name), args.batch_size, seed=1)

        runs = {name: make(name) for name in objective_names}
        measured = timed(
            runs,
            args.batches,
            args.repeats,
            lambda example, name: source_tokens(example, name, vocab.vocab_size, modes),
        )
        registry.unregister(*names)

    base_rate = measured[BASELINE][1] / measured[BASELINE][0]
    results = {
        name: {
            "lengths": lengths_of(name),
            "cpu_s": cpu,
            "source_tokens": tokens,
            "tokens_per_cpu_s": tokens / cpu,
            "vs_span_corruption": tokens / cpu / base_rate,
        }
        for name, (cpu, tokens) in measured.items()
    }
    report = {
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        ),
        "batch": args.batch_size,
        "batches": args.batches,
        "repeats": args.repeats,
        "results": results,
    }
    print(
        f"{'objective':<22} {'lengths':>9} {'CPU s':>7} {'source tokens':>14} {'M/CPU-s':>8} vs SC"
    )
    for name, r in results.items():
        lengths = f"{r['lengths']['inputs']}/{r['lengths']['targets']}"
        print(
            f"{name:<22} {lengths:>9} {r['cpu_s']:>7.2f} {r['source_tokens']:>14,} "
            f"{r['tokens_per_cpu_s'] / 1e6:>8.3f} {r['vs_span_corruption']:.2f}x"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
