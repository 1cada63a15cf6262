"""Benchmark: C4 span corruption -> packed 512/114 batches, source tokens per CPU-second.

Side by side, in one process, on the same documents and vocabulary:
- `reference`: seqio + T5's span_corruption in TensorFlow ops (bench/t5_reference.py, a
  benchmark-only re-implementation of t5.data.preprocessors) through
  `seqio.get_dataset(..., EncDecFeatureConverter(pack=True))`: the stack whose published rate
  (BENCHMARKS.md) is the anchor;
- `seqio_path`: our registered task `c4_en_v310_span_corruption` through the same seqio call
  (our numpy objective inside tf.data, seqio's tokenizer and packing);
- `feed`: our `tasks.feed.Feed` (the trainer's input): numpy end to end.

Documents: the C4 en build of the 697 real CC-MAIN-2019-30 pages (our pipeline), repeated to
`--docs` documents over 4 TFRecord files. Vocabulary: a SentencePiece unigram model of `--vocab`
pieces trained on them, + 100 sentinels. Source tokens are counted in the batches themselves:
ids that are neither pad, EOS nor a sentinel, in inputs and targets (each source token lands in
exactly one of them). CPU time is `time.process_time` (all threads of the process), best of
`--repeats`; one packing window of batches is taken before timing starts (graph building, file
opening), so the timed batches start on a window boundary.

Where the time goes (`--breakdown`): tokenize (SentencePiece on whole groups), objective (chunk,
concatenate, split, masks, sentinels, EOS) and packing (seqio's greedy packing + the
EncDecFeatureConverter features), each timed alone on the same data.

    python bench/bench_tasks.py [--batches 160] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

LENGTHS = {"inputs": 512, "targets": 114}


def make_corpus(work: Path, docs: int) -> tuple[Path, list[str]]:
    """Our C4 en build of the real pages, repeated to `docs` documents in 4 TFRecord files."""
    import tensorflow as tf

    from c4forge.corpus.page import Page
    from c4forge.pipelines.outputs import example_bytes

    import c4_testing

    wet = work / "dolma.warc.wet.gz"
    c4_testing.write_wet(wet, c4_testing.dolma_records())
    build = work / "build"
    # In a child process: Beam's DirectRunner leaves threads behind, and process_time would
    # count their CPU against whichever pipeline is timed next.
    args = c4_testing.build_args([wet], build, "--config", "en")
    subprocess.run(
        [sys.executable, "-m", "c4forge", "corpus", "build", *args],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    rows = c4_testing.read_output(build)["train"]
    texts = [r["text"] for r in rows]
    out = work / "c4"
    out.mkdir()
    writers = [
        tf.io.TFRecordWriter(str(out / f"c4-train.tfrecord-{i:05d}-of-00004")) for i in range(4)
    ]
    for i in range(docs):
        r = rows[i % len(rows)]
        page = Page(
            url=r["url"],
            normalized_url=r["url"],
            text=r["text"],
            timestamp=r["timestamp"],
            content_type=r["content-type"],
            content_length=r["content-length"],
        )
        writers[i % 4].write(example_bytes(page))
    for w in writers:
        w.close()
    return out, texts


def train_vocab(work: Path, texts: list[str], size: int) -> str:
    import sentencepiece as spm

    prefix = work / "spm"
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_prefix=str(prefix),
        vocab_size=size,
        model_type="unigram",
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        character_coverage=0.9995,
        num_threads=1,
        minloglevel=2,
    )
    return str(prefix) + ".model"


def source_tokens(batch, vocab_size: int, extra_ids: int) -> int:
    first_sentinel = vocab_size - extra_ids
    n = 0
    for key in ("encoder_input_tokens", "decoder_target_tokens"):
        ids = batch[key]
        n += int(np.count_nonzero((ids > 1) & (ids < first_sentinel)))
    return n


def timed(runs: dict, batches: int, warmup: int, repeats: int, vocab_size: int, extra_ids: int):
    """{label: (best CPU seconds for `batches` batches after `warmup`, source tokens in them)}.

    Packing works on windows of max(lengths) examples (seqio's and ours alike), made when the
    first of their rows is asked for: the warm-up is one window's worth of batches, so the timed
    batches start on a window boundary and their work is all done inside the timing. The
    pipelines take turns within each repeat, so a slow spell of the machine hits all of them.
    """
    best: dict[str, float] = {}
    tokens: dict[str, int] = {}
    for _ in range(repeats):
        for label, make_iter in runs.items():
            it = make_iter()
            for _ in range(warmup):
                next(it)
            start = time.process_time()
            got = [next(it) for _ in range(batches)]
            cpu = time.process_time() - start
            tokens[label] = sum(source_tokens(b, vocab_size, extra_ids) for b in got)
            best[label] = min(cpu, best.get(label, cpu))
            del it, got
    return {label: (best[label], tokens[label]) for label in runs}


def breakdown(task_name: str, text_bytes: float) -> dict[str, float]:
    """CPU seconds of our feed's three parts, each alone, on `text_bytes` of documents."""
    import seqio

    from c4forge.tasks import feed as feed_mod
    from c4forge.tasks import packing, registry
    from c4forge.tasks.objectives import group_rng
    from c4forge.tasks.records import InterleavedReader

    task = seqio.TaskRegistry.get(task_name)
    stream = feed_mod.RecordTaskStream(
        task, registry.record_feed_source(task_name), "train", LENGTHS, 1, (0, 1)
    )
    objective, vocab = stream.spec.objective, stream.vocab
    groups, have = [], 0
    while have < text_bytes:  # enough raw groups of documents
        texts = stream._read_group()
        if not texts:  # past the end of the corpus: go round again
            stream.reader = InterleavedReader(stream.files)
            continue
        groups.append([t.decode("utf-8") for t in texts])
        have += sum(len(t) for t in texts)
    t0 = time.process_time()
    tokenized = [
        [np.asarray(d, np.int32) for d in vocab.tokenizer.encode(g, out_type=int)] for g in groups
    ]
    t1 = time.process_time()
    examples = []
    for i, docs in enumerate(tokenized):
        rng = group_rng(1, i)
        made = objective.examples(docs, rng, LENGTHS, vocab.vocab_size)
        examples += [feed_mod._finish(ex, task.output_features, LENGTHS) for ex in made]
    t2 = time.process_time()
    window = max(LENGTHS.values())
    for start in range(0, len(examples) - window + 1, window):
        rows = packing.pack_window(examples[start : start + window], LENGTHS)
        packing.encdec_features(rows, True)
    t3 = time.process_time()
    return {
        "tokenize": t1 - t0,
        "objective": t2 - t1,
        "packing": t3 - t2,
        "source_tokens": sum(len(d) for g in tokenized for d in g),
    }


def packed_dataset(name: str, batch_size: int | None = None):
    """seqio's packed encoder-decoder batches of a task, unshuffled, seed 1, repeating."""
    import seqio

    return seqio.get_dataset(
        name,
        LENGTHS,
        seqio.EncDecFeatureConverter(pack=True),
        shuffle=False,
        seed=1,
        num_epochs=None,
        batch_size=batch_size,
    )


def reference_breakdown(name: str, tokens: int, vocab_size: int) -> dict[str, float]:
    """CPU seconds of the reference's stages: three truncated pipelines, each run until it has
    passed `tokens` source tokens; tokenize = A, objective = B - A, packing = C - B."""
    import seqio

    task = seqio.TaskRegistry.get(name)
    first_sentinel = vocab_size - 100

    def count(ids) -> int:
        return int(np.count_nonzero((ids > 1) & (ids < first_sentinel)))

    def run(ds, keys) -> float:
        it = ds.as_numpy_iterator()
        next(it)
        start, seen = time.process_time(), 0
        while seen < tokens:
            example = next(it)
            seen += sum(count(example[k]) for k in keys)
        return time.process_time() - start

    def tokenized():
        ds = task.source.get_dataset("train", shuffle=False).repeat()
        for step in task.preprocessors[:2]:  # rekey, tokenize
            ds = seqio.utils.add_kwargs_to_transform(
                step, output_features=task.output_features, sequence_length=LENGTHS
            )(ds)
        return ds

    a = run(tokenized(), ["targets"])
    b = run(
        task.get_dataset(LENGTHS, shuffle=False, seed=1, num_epochs=None), ["inputs", "targets"]
    )
    c = run(packed_dataset(name), ["encoder_input_tokens", "decoder_target_tokens"])
    return {"tokenize": a, "objective": max(0.0, b - a), "packing": max(0.0, c - b)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=4000, help="documents in the corpus")
    parser.add_argument("--vocab", type=int, default=4000, help="SentencePiece pieces")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=160, help="timed batches per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-breakdown", action="store_true")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)

    import seqio
    import tensorflow as tf

    from c4forge.tasks import catalog, feed, registry

    from t5_reference import register_reference_task

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        c4_dir, texts = make_corpus(work, args.docs)
        model = train_vocab(work, texts, args.vocab)
        vocab = seqio.SentencePieceVocabulary(model, extra_ids=100)
        names = catalog.register_c4(catalog.CatalogConfig(c4=str(c4_dir)), vocab)
        ours = names[0]
        source = seqio.TFExampleDataSource(
            {"train": str(c4_dir / "c4-train.tfrecord-*")},
            feature_description={"text": tf.io.FixedLenFeature([], tf.string)},
        )
        register_reference_task("t5_reference_span_corruption", source, vocab)
        size, extra = vocab.vocab_size, 100
        text_bytes = sum(len(t.encode()) for t in texts)
        text_tokens = sum(len(ids) for ids in vocab.tokenizer.encode(texts))

        def seqio_iter(name):
            return lambda: packed_dataset(name, args.batch_size).as_numpy_iterator()

        runs = {
            "reference": seqio_iter("t5_reference_span_corruption"),
            "seqio_path": seqio_iter(ours),
            "feed": lambda: feed.Feed(ours, LENGTHS, args.batch_size, seed=1),
        }
        results = {}
        warmup = max(1, max(LENGTHS.values()) // args.batch_size)
        measured = timed(runs, args.batches, warmup, args.repeats, size, extra)
        for label, (cpu, tokens) in measured.items():
            results[label] = {
                "cpu_s": cpu,
                "source_tokens": tokens,
                "tokens_per_cpu_s": tokens / cpu,
            }
        report = {
            "machine": (
                f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
            ),
            "vocab_pieces": size,
            "bytes_per_token": text_bytes / text_tokens,
            "batch": [args.batch_size, LENGTHS],
            "results": results,
            "speedup_feed_vs_reference": results["feed"]["tokens_per_cpu_s"]
            / results["reference"]["tokens_per_cpu_s"],
            "speedup_seqio_path_vs_reference": results["seqio_path"]["tokens_per_cpu_s"]
            / results["reference"]["tokens_per_cpu_s"],
        }
        if not args.no_breakdown:
            report["breakdown_feed_cpu_s"] = breakdown(
                ours, results["feed"]["source_tokens"] * report["bytes_per_token"]
            )
            report["breakdown_reference_cpu_s"] = reference_breakdown(
                "t5_reference_span_corruption", results["feed"]["source_tokens"], size
            )
        registry.unregister(*names, "t5_reference_span_corruption")

    print(f"{'pipeline':<12} {'CPU s':>8} {'source tokens':>14} {'M tokens/CPU-s':>15}")
    for label, r in report["results"].items():
        print(
            f"{label:<12} {r['cpu_s']:>8.2f} {r['source_tokens']:>14,} "
            f"{r['tokens_per_cpu_s'] / 1e6:>15.3f}"
        )
    print(
        f"feed vs reference: {report['speedup_feed_vs_reference']:.2f}x; "
        f"seqio path vs reference: {report['speedup_seqio_path_vs_reference']:.2f}x "
        f"({report['bytes_per_token']:.2f} bytes/token, {report['vocab_pieces']} ids)"
    )
    for key in ("breakdown_feed_cpu_s", "breakdown_reference_cpu_s"):
        if key in report:
            parts = {k: v for k, v in report[key].items() if k != "source_tokens"}
            total = sum(parts.values())
            shares = ", ".join(f"{k} {v:.2f}s ({100 * v / total:.0f}%)" for k, v in parts.items())
            print(f"{key.removeprefix('breakdown_').removesuffix('_cpu_s')}: {shares}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
