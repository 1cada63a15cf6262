"""A deterministic sample of a C4 build, and a SentencePiece vocabulary trained on it (Beam).

The job behind `c4forge vocab train` (`cli/vocab_train.py` parses its flags into
`VocabSettings`). The pipeline reads one split of a C4 build (files named by `corpus.layout`:
TFRecords of tf.train.Example decoded by `corpus.records`, or the `--format json` JSON lines),
keys every document by sha256(seed, url, text), keeps the documents with the smallest keys up
to the budget (documents or characters) and writes them out; that arithmetic (keys, buckets,
thresholds, per-language budgets) is `pipelines.vocab_draw`, pure Python. The launcher then
writes the sample in key order to `sample.txt` and trains SentencePiece on it with seqio's ids
(`tasks.vocab.train_sentencepiece`).

A multilingual build (mC4, `tasks.c4_builds`) is sampled per language with mT5's rate: language
i gets a budget ∝ n_i ** alpha (n_i its documents in the split read; alpha 0.3 unless
--language-alpha says otherwise), a language holding less than its share gives all it has and
the rest is shared out again among the others, by the same rate (`language_budgets`). Each
language's sample is then its smallest keys within its budget. An English build is one language
with the whole budget.

Same seed, same sample, whatever the sharding or the order of the corpus: a document is in the
sample iff its key <= its language's threshold, and the thresholds depend only on the multiset
of (language, key, weight) triples. They are found in two passes that never gather the corpus
in one place: weight totals per language and bucket (the key's top bits) locate the bucket where
each language's budget runs out, then only that bucket's (key, weight) pairs are sorted.
Same sample + same options -> same model bytes.

Outputs in the output directory: spm.model, spm.vocab, sample.txt and vocab.json (size, sample
size, seed, corpus, sha256 of the model and the sample, the trainer options). On Dataflow the
sample is drawn on workers and the model is trained on the launcher. Bad input (no corpus files,
an empty sample, a size SentencePiece refuses) is a `VocabSampleError` or
`tasks.vocab.VocabularyError`, both ValueErrors with a one-line message.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable

import apache_beam as beam
from apache_beam.metrics import Metrics

from c4forge.corpus.layout import MC4_SPLIT_FILES, SPLIT_FILES, language_split
from c4forge.pipelines.launch import default_runner_options, is_dry_run
from c4forge.pipelines.vocab_draw import (
    BUCKET_BITS,
    add_pairs,
    bucket_of,
    example_document,
    json_document,
    language_budgets,
    language_shares,
    parse_sample_records,
    pick_bucket,
    pick_threshold,
    sample_key,
    sample_record,
    sample_text,
)
from c4forge.tasks import c4_builds
from c4forge.tasks import vocab as spm_vocab

OUTPUT_FILES = ("spm.model", "spm.vocab", "sample.txt", "vocab.json")
SCRATCH = ".sample-parts"  # the sample shards under a remote output; removed after use


class VocabSampleError(ValueError):
    """The corpus or the sample cannot give a vocabulary; the message says why, in one line."""


@dataclasses.dataclass(frozen=True)
class Budget:
    """How much to sample: `limit` documents (unit "documents") or characters ("characters")."""

    unit: str
    limit: int

    def weight(self, text: str) -> int:
        return 1 if self.unit == "documents" else len(text)


@dataclasses.dataclass(frozen=True)
class VocabSettings:
    """A resolved `vocab train`: the corpus files (`pattern`, in `format`), the budget, the seed,
    SentencePiece's trainer options (`tasks.vocab.trainer_options`) and the output directory.

    For a multilingual build, `languages` holds (language, its split's file pattern) pairs,
    `language_alpha` the exponent of the per-language shares, and `pattern` only describes the
    files (for messages)."""

    corpus: str
    split: str
    format: str
    pattern: str
    output: str
    budget: Budget
    seed: int
    trainer: dict
    overwrite: bool
    languages: tuple[tuple[str, str], ...] = ()
    language_alpha: float | None = None


# --- Beam ----------------------------------------------------------------------------------


class ReadCorpus(beam.PTransform):
    """(language, url, text) of every document in the C4 files matching `pattern` (`fmt`:
    tfrecord, json), language "" (an English build); or, given `languages` ((language, file
    pattern) pairs of a multilingual build), of every language's files, each document tagged
    with the language its file name says."""

    def __init__(self, pattern: str, fmt: str, languages: tuple[tuple[str, str], ...] = ()):
        super().__init__()
        self.pattern, self.fmt, self.languages = pattern, fmt, languages

    def expand(self, root):
        # No validation here: `corpus_pattern` / `language_patterns` have matched the files once
        # already, on the launcher.
        if self.languages:
            return self._expand_languages(root)
        if self.fmt == "tfrecord":
            read = beam.io.ReadFromTFRecord(self.pattern, validate=False)
            records = root | "ReadTFRecord" >> read
            return records | "Decode" >> beam.FlatMap(lambda r: tag("", example_document(r)))
        lines = root | "ReadJson" >> beam.io.ReadFromText(self.pattern, validate=False)
        return lines | "Decode" >> beam.FlatMap(lambda x: tag("", json_document(x)))

    def _expand_languages(self, root):
        # One read over every language's files, with file names: 108 reads would make a graph
        # of 108 sources; the file name's split (`sw`, `sw-validation`) gives the language.
        language_of = {
            c4_builds.split_of_file(pattern): language for language, pattern in self.languages
        }
        decode = example_document if self.fmt == "tfrecord" else json_document
        if self.fmt == "tfrecord":
            read = beam.io.ReadAllFromTFRecord(with_filename=True)
        else:
            read = beam.io.ReadAllFromText(with_filename=True)
        return (
            root
            | "Patterns" >> beam.Create([pattern for _, pattern in self.languages])
            | "ReadAll" >> read
            | "Decode"
            >> beam.FlatMapTuple(
                lambda path, data: tag(language_of[c4_builds.split_of_file(path)], decode(data))
            )
        )


def tag(language: str, docs: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(url, text) documents -> (language, url, text)."""
    return [(language, url, text) for url, text in docs]


class DrawSample(beam.PTransform):
    """(language, url, text) -> (key, text, language) of the sample: per language, the smallest
    keys while its budget lasts (`language_budgets`: the whole budget for one language, mT5's
    shares with `language_alpha`).

    Counts the documents it sees as `vocab/corpus-documents`.
    """

    def __init__(
        self,
        budget: Budget,
        seed: int,
        bucket_bits: int = BUCKET_BITS,
        language_alpha: float | None = None,
    ):
        super().__init__()
        self.budget, self.seed, self.bucket_bits = budget, seed, bucket_bits
        self.language_alpha = language_alpha

    def expand(self, docs):
        budget, seed, bits, alpha = self.budget, self.seed, self.bucket_bits, self.language_alpha
        seen = Metrics.counter("vocab", "corpus-documents")

        def key(doc):
            seen.inc()
            language, url, text = doc
            return language, sample_key(seed, url, text), text

        def in_edge_bucket(lkw, cuts):
            cut = cuts.get(lkw[0])
            return cut is not None and bucket_of(lkw[1], bits) == cut[0]

        def pick_cut(language_buckets, budgets):
            language, buckets = language_buckets
            return language, pick_bucket(list(buckets), budgets[language])

        def pick_language_threshold(language_edge, cuts, budgets):
            language, edge = language_edge
            return language, pick_threshold(list(edge), cuts[language], budgets[language], bits)

        def keep(lkt, thresholds):
            threshold = thresholds.get(lkt[0])
            return threshold is None or lkt[1] <= threshold

        keyed = docs | "Key" >> beam.Map(key)
        weights = keyed | "Weigh" >> beam.Map(lambda lkt: (*lkt[:2], budget.weight(lkt[2])))
        # (language, bucket) -> (documents, weight)
        buckets = (
            weights
            | "ByBucket" >> beam.Map(lambda lkw: ((lkw[0], bucket_of(lkw[1], bits)), (1, lkw[2])))
            | "SumBuckets" >> beam.CombinePerKey(add_pairs)
        )
        budgets = beam.pvalue.AsSingleton(
            buckets
            | "ByLanguage" >> beam.MapTuple(lambda lb, dw: (lb[0], dw))
            | "SumLanguages" >> beam.CombinePerKey(add_pairs)
            | "AllLanguages" >> beam.combiners.ToList()
            | "Budgets" >> beam.Map(lambda t: language_budgets(dict(t), budget.limit, alpha))
        )
        cuts = beam.pvalue.AsDict(
            buckets
            | "BucketWeights" >> beam.MapTuple(lambda lb, dw: (lb[0], (lb[1], dw[1])))
            | "AllBuckets" >> beam.GroupByKey()
            | "PickBucket" >> beam.Map(pick_cut, budgets)
        )
        thresholds = beam.pvalue.AsDict(
            weights
            | "InEdgeBucket" >> beam.Filter(in_edge_bucket, cuts)
            | "KeyWeights" >> beam.Map(lambda lkw: (lkw[0], lkw[1:]))
            | "EdgeBucket" >> beam.GroupByKey()
            | "PickThreshold" >> beam.Map(pick_language_threshold, cuts, budgets)
        )
        return (
            keyed
            | "Keep" >> beam.Filter(keep, thresholds)
            | "Sampled" >> beam.Map(lambda lkt: (lkt[1], lkt[2], lkt[0]))
        )


# --- files ----------------------------------------------------------------------------------


def match_files(pattern: str) -> list[str]:
    """Paths matching `pattern` (local, gs://, s3://); VocabSampleError if it cannot be listed."""
    from apache_beam.io.filesystem import BeamIOError
    from apache_beam.io.filesystems import FileSystems

    try:
        return sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
    except BeamIOError as e:
        causes = "; ".join(str(x) for x in (e.exception_details or {}).values())
        raise VocabSampleError(f"cannot list {pattern}: {causes or e}") from None
    except ValueError as e:  # an unknown scheme
        raise VocabSampleError(f"cannot list {pattern}: {e}") from None


def corpus_pattern(corpus: str, split: str, fmt: str | None) -> tuple[str, str]:
    """(format, file pattern) of the split's files in `corpus`; VocabSampleError if none."""
    found = {
        name: f"{corpus}/{pattern.format(split=split)}"
        for name, pattern in SPLIT_FILES.items()
        if fmt in (None, name) and match_files(f"{corpus}/{pattern.format(split=split)}")
    }
    if not found:
        wanted = " or ".join(
            p.format(split=split) for n, p in SPLIT_FILES.items() if fmt in (None, n)
        )
        raise VocabSampleError(f"{corpus} holds no C4 {split} files ({wanted})")
    if len(found) > 1:
        raise VocabSampleError(
            f"{corpus} holds both tfrecord and json {split} files: pass --format"
        )
    return next(iter(found.items()))


def read_corpus_build(corpus: str) -> c4_builds.C4Build:
    """What `corpus` is (English C4 or mC4: `tasks.c4_builds`), from its stats.json and the
    names of its `c4-*.tfrecord-*` shards."""
    from apache_beam.io.filesystems import CompressionTypes, FileSystems

    stats = None
    if match_files(f"{corpus}/stats.json"):
        try:
            with FileSystems.open(
                f"{corpus}/stats.json", compression_type=CompressionTypes.UNCOMPRESSED
            ) as f:
                stats = json.loads(f.read())
        except (OSError, ValueError):
            stats = None
    names = match_files(f"{corpus}/c4-*.tfrecord-?????-of-?????*")
    present = {*c4_builds.splits_in(names, "tfrecord"), *c4_builds.splits_in(names, "json")}
    return c4_builds.read_build(stats, present)


def language_patterns(
    corpus: str, languages: Iterable[str], split: str, fmt: str | None
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(format, ((language, file pattern of its `split`), ...)) of the languages of a
    multilingual build that have files there; VocabSampleError if none has."""
    names = match_files(f"{corpus}/c4-*.tfrecord-?????-of-?????*")
    found = {}
    for name, files in MC4_SPLIT_FILES.items():
        present = c4_builds.splits_in(names, name)
        pairs = tuple(
            (lang, f"{corpus}/{files.format(split=language_split(lang, split))}")
            for lang in languages
            if language_split(lang, split) in present
        )
        if fmt in (None, name) and pairs:
            found[name] = pairs
    if not found:
        wanted = " or ".join(
            files.format(split=language_split("<language>", split))
            for name, files in MC4_SPLIT_FILES.items()
            if fmt in (None, name)
        )
        raise VocabSampleError(f"{corpus} holds no multilingual C4 {split} files ({wanted})")
    if len(found) > 1:
        raise VocabSampleError(
            f"{corpus} holds both tfrecord and json {split} files: pass --format"
        )
    return next(iter(found.items()))


def languages_description(corpus: str, split: str, fmt: str) -> str:
    """How messages name the files of a multilingual build's split."""
    split_name = language_split("<language>", split)
    return f"{corpus}/{MC4_SPLIT_FILES[fmt].format(split=split_name)}"


def existing_outputs(output: str) -> list[str]:
    """Which of `OUTPUT_FILES` the output directory already holds."""
    return [name for name in OUTPUT_FILES if match_files(f"{output}/{name}")]


def _delete(paths: list[str]) -> None:
    from apache_beam.io.filesystems import FileSystems

    if paths:
        FileSystems.delete(paths)


def _read_sample(scratch: str) -> list[tuple]:
    from apache_beam.io.filesystems import CompressionTypes, FileSystems

    rows = []
    for path in match_files(f"{scratch}/part-*"):
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
        model_path = spm_vocab.train_sentencepiece(
            sample_path,
            os.path.join(tmp, "spm"),
            trainer["vocab_size"],
            model_type=trainer["model_type"],
            character_coverage=trainer["character_coverage"],
            num_threads=trainer["num_threads"],
            max_sentence_length=trainer["max_sentence_length"],
        )
        with open(model_path, "rb") as f:
            model = f.read()
        with open(os.path.join(tmp, "spm.vocab"), "rb") as f:
            return model, f.read()


def summarize(
    s: VocabSettings,
    rows: list[tuple],
    sample_bytes: bytes,
    model: bytes,
    corpus_documents: int | None,
    argv: list[str],
) -> dict:
    """vocab.json: what was trained, on what, and how (enough to train it again)."""
    import sentencepiece

    size = s.trainer["vocab_size"]
    sample = {
        "file": "sample.txt",
        "sha256": hashlib.sha256(sample_bytes).hexdigest(),
        "documents": len(rows),
        "characters": sum(len(row[1]) for row in rows),
        "budget": {s.budget.unit: s.budget.limit},
    }
    if s.languages:
        sample["language_alpha"] = s.language_alpha
        sample["languages"] = language_shares(rows)
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
        "sample": sample,
        "trainer_options": s.trainer,
        "sentencepiece_version": sentencepiece.__version__,
        "argv": argv,
    }


def _empty_sample_error(s: VocabSettings, corpus_documents: int | None) -> VocabSampleError:
    if s.budget.unit == "characters" and corpus_documents:
        return VocabSampleError(
            f"the sample is empty: every document of {s.pattern} is longer than "
            f"--sample-chars {s.budget.limit}"
        )
    return VocabSampleError(f"the sample is empty: {s.pattern} holds no documents")


def train(rows: list[tuple], s: VocabSettings, corpus_documents, argv) -> dict:
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


def run(s: VocabSettings, options, argv: list[str]) -> dict:
    """The sample and the vocabulary in `s.output`; returns vocab.json's content (`argv`, the
    command's flags, is recorded there). With Dataflow's --dry_run: {"dry_run": True, "job"}."""
    options = default_runner_options(options)
    scratch = _scratch_dir(s.output)
    pipeline = beam.Pipeline(options=options)
    _ = (
        pipeline
        | "ReadCorpus" >> ReadCorpus(s.pattern, s.format, s.languages)
        | "DrawSample" >> DrawSample(s.budget, s.seed, language_alpha=s.language_alpha)
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
    _delete(match_files(f"{scratch}/part-*"))
    return scratch


def _remove_scratch(scratch: str) -> None:
    if "://" in scratch:
        _delete(match_files(f"{scratch}/part-*"))
    else:
        shutil.rmtree(scratch, ignore_errors=True)
