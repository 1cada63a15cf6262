"""`c4forge vocab train`: a SentencePiece vocabulary trained on a deterministic sample of our C4.

    run(["--corpus", "out/c4", "--size", "32000", "--output", "vocab/"])  # flags after `train`

The Beam pipeline reads one split of a C4 build (`pipelines/outputs.py`: TFRecords of
tf.train.Example, or the `--format json` JSON lines), keys every document by
sha256(seed, url, text), keeps the documents with the smallest keys up to the budget
(`--sample-docs N` documents or `--sample-chars N` characters) and writes them out. The
launcher then writes the sample in key order to `sample.txt` and trains SentencePiece on it
with seqio's ids (`tasks.vocab.train_sentencepiece`).

Same seed, same sample, whatever the sharding or the order of the corpus: a document is in the
sample iff its key <= a threshold, and the threshold depends only on the multiset of
(key, weight) pairs. It is found in two passes that never gather the corpus in one place: weight
totals per bucket (the key's top bits) locate the bucket where the budget runs out, then only
that bucket's (key, weight) pairs are sorted. Same sample + same options -> same model bytes.

Outputs in --output: spm.model, spm.vocab, sample.txt and vocab.json (size, sample size, seed,
corpus, sha256 of the model and the sample, the trainer options). Flags this module does not
know go to Beam (DirectRunner on all cores by default; Dataflow as in `pipelines/c4.py`, where
the sample is drawn on workers and the model is trained on the launcher); a flag neither knows
is an error before anything runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipelines.c4 import (
    UsageError,
    default_runner_options,
    is_dataflow,
    is_dry_run,
    quiet_beam_logging,
    strict_beam_options,
)
from tasks import vocab as spm_vocab
from tasks.records import example_bytes_features

# Where `pipelines/c4.py` writes each split, per --format.
PATTERNS = {"tfrecord": "c4-{split}.tfrecord-*", "json": "c4-{split}.*.json.gz"}
OUTPUT_FILES = ("spm.model", "spm.vocab", "sample.txt", "vocab.json")
SCRATCH = ".sample-parts"  # the sample shards under a remote --output; removed after use
KEY_BITS = 128  # sample keys: the first 16 bytes of a sha256
BUCKET_BITS = 16  # 65,536 buckets: ~5,600 documents each in C4 en's 365M
# ~220 MB of C4 en text (~2,200 characters a document): SentencePiece's trainer holds the whole
# sample in memory, with a suffix array over it, on the launcher.
DEFAULT_SAMPLE_DOCS = 100_000


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="c4forge vocab train",
        description="Train a SentencePiece vocabulary (seqio's ids: pad 0, eos 1, unk 2, no "
        "bos) on a deterministic sample of a C4 build. Other flags (--runner, --project, "
        "--region, --temp_location, ...) go to Beam.",
    )
    p.add_argument("--corpus", required=True, help="a `c4forge corpus build` output directory")
    p.add_argument(
        "--split", default="train", choices=("train", "validation"), help="(%(default)s)"
    )
    p.add_argument(
        "--format",
        choices=sorted(PATTERNS),
        help="the corpus format (default: whichever the corpus holds)",
    )
    p.add_argument(
        "--size",
        type=int,
        required=True,
        help="pieces, pad/eos/unk included (seqio adds 100 extra ids when loading)",
    )
    p.add_argument("--output", required=True, help="output directory (local, gs://, s3://)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument(
        "--sample-docs",
        type=int,
        metavar="N",
        help=f"sample N documents (default: {DEFAULT_SAMPLE_DOCS:,})",
    )
    budget.add_argument(
        "--sample-chars",
        type=int,
        metavar="N",
        help="sample whole documents, at most N characters in all",
    )
    p.add_argument("--seed", type=int, default=0, help="which sample (%(default)s)")
    p.add_argument(
        "--model-type", default="unigram", choices=spm_vocab.MODEL_TYPES, help="(%(default)s)"
    )
    p.add_argument(
        "--character-coverage",
        type=float,
        default=0.9995,
        metavar="FRACTION",
        help="share of the sample's characters that get a piece; rarer ones are unk (%(default)s)",
    )
    p.add_argument(
        "--num-threads",
        type=int,
        default=spm_vocab.DEFAULT_NUM_THREADS,
        metavar="N",
        help="trainer threads; part of the model's identity (%(default)s)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing vocabulary")
    return p


@dataclasses.dataclass(frozen=True)
class Budget:
    """How much to sample: `limit` documents (unit "documents") or characters ("characters")."""

    unit: str
    limit: int

    def weight(self, text: str) -> int:
        return 1 if self.unit == "documents" else len(text)


@dataclasses.dataclass(frozen=True)
class VocabSettings:
    corpus: str
    split: str
    format: str
    pattern: str
    output: str
    budget: Budget
    seed: int
    trainer: dict
    overwrite: bool


# --- pure helpers ----------------------------------------------------------------------------


def example_document(record: bytes) -> list[tuple[str, str]]:
    """[(url, text)] of one of our tf.train.Example records; [] when it has no text."""
    features = example_bytes_features(record)
    text = features.get("text", b"").decode("utf-8")
    return [(features.get("url", b"").decode("utf-8"), text)] if text else []


def json_document(line: str) -> list[tuple[str, str]]:
    """[(url, text)] of one `c4-*.json.gz` line; [] when it has no text."""
    row = json.loads(line)
    text = row.get("text", "")
    return [(row.get("url", ""), text)] if text else []


def sample_key(seed: int, url: str, text: str) -> int:
    """A document's place in the seed's random order: 128 bits of sha256(seed, url, text)."""
    digest = hashlib.sha256(f"{seed}\x00{url}\x00{text}".encode()).digest()
    return int.from_bytes(digest[: KEY_BITS // 8], "big")


def bucket_of(key: int, bucket_bits: int = BUCKET_BITS) -> int:
    return key >> (KEY_BITS - bucket_bits)


def pick_bucket(totals: list[tuple[int, int]], budget: int) -> tuple[int, int] | None:
    """(bucket where the budget runs out, weight of all lower buckets); None if all fit."""
    before = 0
    for bucket, weight in sorted(totals):
        if before + weight > budget:
            return bucket, before
        before += weight
    return None


def pick_threshold(
    edge: list[tuple[int, int]],
    cut: tuple[int, int] | None,
    budget: int,
    bucket_bits: int = BUCKET_BITS,
) -> int | None:
    """The largest key in the sample (None: every document is in it).

    `edge` holds the (key, weight) pairs of bucket `cut[0]`; they are taken in key order
    while the budget lasts, after the `cut[1]` weight of the lower buckets.
    """
    if cut is None:
        return None
    bucket, used = cut
    threshold = (bucket << (KEY_BITS - bucket_bits)) - 1  # every key of the lower buckets
    for key, weight in sorted(edge):
        if used + weight > budget:
            break
        used += weight
        threshold = key
    return threshold


def sample_record(key: int, text: str) -> str:
    """One line of the pipeline's sample shards (text may hold newlines, hence JSON)."""
    return json.dumps([f"{key:032x}", text], ensure_ascii=False)


def parse_sample_records(data: str) -> list[tuple[int, str]]:
    """The (key, text) pairs of one sample shard.

    Split on "\\n" only: JSON leaves U+2028, U+0085 and friends unescaped, and `splitlines`
    would cut records at them.
    """
    rows = []
    for line in data.split("\n"):
        if line:
            key, text = json.loads(line)
            rows.append((int(key, 16), text))
    return rows


def sample_text(records: list[tuple[int, str]]) -> str:
    """`sample.txt`: the documents in key order, each line a paragraph, one `\\n` after each."""
    return "".join(text + "\n" for _, text in sorted(records))


# --- Beam ----------------------------------------------------------------------------------


class ReadCorpus(beam.PTransform):
    """(url, text) of every document in the C4 files matching `pattern` (`fmt`: tfrecord, json)."""

    def __init__(self, pattern: str, fmt: str):
        super().__init__()
        self.pattern, self.fmt = pattern, fmt

    def expand(self, root):
        # No validation here: `resolve` has matched the files once already, on the launcher.
        if self.fmt == "tfrecord":
            read = beam.io.ReadFromTFRecord(self.pattern, validate=False)
            return root | "ReadTFRecord" >> read | "Decode" >> beam.FlatMap(example_document)
        lines = root | "ReadJson" >> beam.io.ReadFromText(self.pattern, validate=False)
        return lines | "Decode" >> beam.FlatMap(json_document)


class DrawSample(beam.PTransform):
    """(url, text) -> (key, text) of the sample: the smallest keys while the budget lasts.

    Counts the documents it sees as `vocab/corpus-documents`.
    """

    def __init__(self, budget: Budget, seed: int, bucket_bits: int = BUCKET_BITS):
        super().__init__()
        self.budget, self.seed, self.bucket_bits = budget, seed, bucket_bits

    def expand(self, docs):
        budget, seed, bits = self.budget, self.seed, self.bucket_bits
        seen = Metrics.counter("vocab", "corpus-documents")

        def key(doc):
            seen.inc()
            return sample_key(seed, *doc), doc[1]

        def in_edge_bucket(kw, cut):
            return cut is not None and bucket_of(kw[0], bits) == cut[0]

        keyed = docs | "Key" >> beam.Map(key)
        weights = keyed | "Weigh" >> beam.Map(lambda kt: (kt[0], budget.weight(kt[1])))
        cut = (
            weights
            | "ByBucket" >> beam.Map(lambda kw: (bucket_of(kw[0], bits), kw[1]))
            | "SumBuckets" >> beam.CombinePerKey(sum)
            | "AllBuckets" >> beam.combiners.ToList()
            | "PickBucket" >> beam.Map(pick_bucket, budget.limit)
        )
        cut_side = beam.pvalue.AsSingleton(cut)
        threshold = (
            weights
            | "InEdgeBucket" >> beam.Filter(in_edge_bucket, cut_side)
            | "EdgeBucket" >> beam.combiners.ToList()
            | "PickThreshold" >> beam.Map(pick_threshold, cut_side, budget.limit, bits)
        )
        return keyed | "Keep" >> beam.Filter(
            lambda kt, t: t is None or kt[0] <= t, beam.pvalue.AsSingleton(threshold)
        )


# --- flags and files -------------------------------------------------------------------------


def _match(pattern: str) -> list[str]:
    """Paths matching `pattern` (local, gs://, s3://); UsageError if it cannot be listed."""
    from apache_beam.io.filesystem import BeamIOError
    from apache_beam.io.filesystems import FileSystems

    try:
        return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
    except BeamIOError as e:
        causes = "; ".join(str(x) for x in (e.exception_details or {}).values())
        raise UsageError(f"cannot list {pattern}: {causes or e}") from None
    except ValueError as e:  # an unknown scheme
        raise UsageError(f"cannot list {pattern}: {e}") from None


def _local_or_remote(path: str) -> str:
    """`path` without a trailing slash; local paths made absolute (workers may run elsewhere)."""
    path = path.rstrip("/") or "/"
    return path if "://" in path else os.path.abspath(os.path.expanduser(path))


def _corpus_pattern(corpus: str, split: str, fmt: str | None) -> tuple[str, str]:
    """(format, file pattern) of the split's files in `corpus`; UsageError if there are none."""
    found = {
        name: f"{corpus}/{pattern.format(split=split)}"
        for name, pattern in PATTERNS.items()
        if fmt in (None, name) and _match(f"{corpus}/{pattern.format(split=split)}")
    }
    if not found:
        wanted = " or ".join(p.format(split=split) for n, p in PATTERNS.items() if fmt in (None, n))
        raise UsageError(f"{corpus} holds no C4 {split} files ({wanted})")
    if len(found) > 1:
        raise UsageError(f"{corpus} holds both tfrecord and json {split} files: pass --format")
    return next(iter(found.items()))


def resolve(argv: list[str]):
    """Parses `train` flags and checks inputs. Raises UsageError on any problem."""
    args, rest = build_parser().parse_known_args(argv)
    options = strict_beam_options(rest)
    corpus, output = _local_or_remote(args.corpus), _local_or_remote(args.output)
    if args.sample_docs is not None and args.sample_docs < 1:
        raise UsageError("--sample-docs must be at least 1")
    if args.sample_chars is not None and args.sample_chars < 1:
        raise UsageError("--sample-chars must be at least 1")
    try:
        trainer = spm_vocab.trainer_options(
            args.size,
            model_type=args.model_type,
            character_coverage=args.character_coverage,
            num_threads=args.num_threads,
        )
    except spm_vocab.VocabularyError as e:
        raise UsageError(str(e)) from None
    if is_dataflow(options):
        local = [p for p in (corpus, output) if "://" not in p]
        if local:
            raise UsageError(
                f"{local[0]!r} is a local path, which Dataflow workers cannot reach: "
                "use a gs:// --corpus and --output"
            )
    fmt, pattern = _corpus_pattern(corpus, args.split, args.format)
    existing = [name for name in OUTPUT_FILES if _match(f"{output}/{name}")]
    if existing and not args.overwrite:
        raise UsageError(
            f"{output} already holds {', '.join(existing)}: pass --overwrite to replace them"
        )
    if args.sample_chars is not None:
        budget = Budget("characters", args.sample_chars)
    else:
        budget = Budget("documents", args.sample_docs or DEFAULT_SAMPLE_DOCS)
    settings = VocabSettings(
        corpus=corpus,
        split=args.split,
        format=fmt,
        pattern=pattern,
        output=output,
        budget=budget,
        seed=args.seed,
        trainer=trainer,
        overwrite=args.overwrite,
    )
    return settings, options


def _delete(paths: list[str]) -> None:
    from apache_beam.io.filesystems import FileSystems

    if paths:
        FileSystems.delete(paths)


def _read_sample(scratch: str) -> list[tuple[int, str]]:
    from apache_beam.io.filesystems import CompressionTypes, FileSystems

    rows = []
    for path in _match(f"{scratch}/part-*"):
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            rows += parse_sample_records(f.read().decode("utf-8"))
    return rows


def _write(path: str, data: bytes) -> None:
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(path) as f:
        f.write(data)


def _counter(result, name: str) -> int | None:
    from apache_beam.metrics.metric import MetricsFilter

    try:
        found = result.metrics().query(MetricsFilter().with_name(name))["counters"]
    except (NotImplementedError, KeyError):
        return None
    return sum(c.committed for c in found) if found else 0


def train_model(text: str, trainer: dict) -> tuple[bytes, bytes]:
    """(spm.model, spm.vocab) bytes trained on `text` in a local scratch directory."""
    with tempfile.TemporaryDirectory(prefix="c4forge-vocab-") as tmp:
        sample_path = os.path.join(tmp, "sample.txt")
        with open(sample_path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        try:
            model_path = spm_vocab.train_sentencepiece(
                sample_path,
                os.path.join(tmp, "spm"),
                trainer["vocab_size"],
                model_type=trainer["model_type"],
                character_coverage=trainer["character_coverage"],
                num_threads=trainer["num_threads"],
                max_sentence_length=trainer["max_sentence_length"],
            )
        except spm_vocab.VocabularyError as e:
            raise UsageError(str(e)) from None
        with open(model_path, "rb") as f:
            model = f.read()
        with open(os.path.join(tmp, "spm.vocab"), "rb") as f:
            return model, f.read()


def summarize(
    s: VocabSettings,
    rows: list[tuple[int, str]],
    sample_bytes: bytes,
    model: bytes,
    corpus_documents: int | None,
    argv: list[str],
) -> dict:
    """vocab.json: what was trained, on what, and how (enough to train it again)."""
    import sentencepiece

    size = s.trainer["vocab_size"]
    return {
        "size": size,
        "seqio_vocab_size": size + 100,  # with load_vocabulary's default of 100 extra ids
        "model": "spm.model",
        "model_sha256": hashlib.sha256(model).hexdigest(),
        "corpus": s.corpus,
        "split": s.split,
        "format": s.format,
        "corpus_documents": corpus_documents,
        "seed": s.seed,
        "output": s.output,
        "sample": {
            "file": "sample.txt",
            "sha256": hashlib.sha256(sample_bytes).hexdigest(),
            "documents": len(rows),
            "characters": sum(len(text) for _, text in rows),
            "budget": {s.budget.unit: s.budget.limit},
        },
        "trainer_options": s.trainer,
        "sentencepiece_version": sentencepiece.__version__,
        "argv": argv,
    }


def _empty_sample_error(s: VocabSettings, corpus_documents: int | None) -> UsageError:
    if s.budget.unit == "characters" and corpus_documents:
        return UsageError(
            f"the sample is empty: every document of {s.pattern} is longer than "
            f"--sample-chars {s.budget.limit}"
        )
    return UsageError(f"the sample is empty: {s.pattern} holds no documents")


def train(rows: list[tuple[int, str]], s: VocabSettings, corpus_documents, argv) -> dict:
    """Sorts the sample into sample.txt, trains, writes the four outputs; returns vocab.json."""
    if not rows:
        raise _empty_sample_error(s, corpus_documents)
    text = sample_text(rows)
    sample_bytes = text.encode("utf-8")
    model, vocab_file = train_model(text, s.trainer)
    summary = summarize(s, rows, sample_bytes, model, corpus_documents, argv)
    if "://" not in s.output:
        os.makedirs(s.output, exist_ok=True)
    _write(f"{s.output}/sample.txt", sample_bytes)
    _write(f"{s.output}/spm.model", model)
    _write(f"{s.output}/spm.vocab", vocab_file)
    # Written last: a vocab.json means the vocabulary beside it is complete.
    _write(f"{s.output}/vocab.json", (json.dumps(summary, indent=2) + "\n").encode())
    return summary


def run(argv: list[str] | None = None) -> dict:
    """`train` flags -> the vocabulary in --output. Returns vocab.json's content."""
    argv = list(sys.argv[1:] if argv is None else argv)
    s, options = resolve(argv)
    options = default_runner_options(options)
    scratch = _scratch_dir(s.output)
    pipeline = beam.Pipeline(options=options)
    _ = (
        pipeline
        | "ReadCorpus" >> ReadCorpus(s.pattern, s.format)
        | "DrawSample" >> DrawSample(s.budget, s.seed)
        | "Record" >> beam.MapTuple(sample_record)
        | "WriteSample" >> beam.io.WriteToText(f"{scratch}/part", file_name_suffix=".jsonl")
    )
    try:
        result = pipeline.run()
        result.wait_until_finish()
        if getattr(result, "job", None) is not None and is_dry_run(options):
            return {"dry_run": True, "job": result.job}
        rows = _read_sample(scratch)
        return train(rows, s, _counter(result, "corpus-documents"), argv)
    finally:
        _remove_scratch(scratch)


def _scratch_dir(output: str) -> str:
    """Where the pipeline writes the sample shards: a local temporary directory for a local
    output (only local runners can write there), else `<output>/.sample-parts`, emptied first
    of an interrupted run's shards."""
    if "://" not in output:
        return tempfile.mkdtemp(prefix="c4forge-vocab-sample-")
    scratch = f"{output}/{SCRATCH}"
    _delete(_match(f"{scratch}/part-*"))
    return scratch


def _remove_scratch(scratch: str) -> None:
    if "://" in scratch:
        _delete(_match(f"{scratch}/part-*"))
    else:
        shutil.rmtree(scratch, ignore_errors=True)


def _print_help() -> None:
    print(
        "usage: c4forge vocab train --corpus DIR --size N --output DIR [options]\n\n"
        "Train a SentencePiece vocabulary on a deterministic sample of a C4 build.\n"
        "See `c4forge vocab train --help` for every option."
    )


def main(argv: list[str] | None = None) -> int:
    """`c4forge vocab ...` (argv after "vocab")."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        _print_help()
        return 0
    if argv[0] != "train":
        print(f"c4forge vocab: error: unknown action {argv[0]!r} (try `train`)", file=sys.stderr)
        return 2
    quiet_beam_logging()
    try:
        summary = run(argv[1:])
    except UsageError as e:
        print(f"c4forge vocab train: error: {e}", file=sys.stderr)
        return 2
    if summary.get("dry_run"):
        print("c4forge vocab train: dry run: job not submitted")
        return 0
    sample = summary["sample"]
    print(
        f"c4forge vocab train: {summary['size']} pieces ({summary['seqio_vocab_size']} with "
        f"100 extra ids) from {sample['documents']:,} documents ({sample['characters']:,} "
        f"characters) of {summary['corpus']} {summary['split']}; wrote "
        f"{summary['model']} (sha256 {summary['model_sha256'][:12]}) to {summary['output']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
