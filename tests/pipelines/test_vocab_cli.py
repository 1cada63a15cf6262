"""`c4forge vocab train` on a real C4 build: the sample, the model, determinism, errors."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import re
import unicodedata
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from c4forge.cli import main as cli
from c4forge.cli import vocab_train
from c4forge.corpus import records
from c4forge.corpus.page import Page
from c4forge.pipelines import outputs
from c4forge.pipelines import vocab_draw as vd
from c4forge.pipelines import vocab_sample as pv
from c4forge.tasks import vocab as tv

import c4_testing

IN_MEMORY = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]
FAST = ["--runner", "BundleBasedDirectRunner"]  # same sample (checked below), less start-up
SIZE = 800
DOCS = 120


@pytest.fixture(scope="module")
def c4_rows(c4_dir) -> list[dict]:
    return c4_testing.read_output(c4_dir)["train"]


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["vocab", *args])
    return code, out.getvalue(), err.getvalue()


def _train(corpus, output, *extra: str) -> tuple[int, str, str]:
    return _cli("train", "--corpus", str(corpus), "--output", str(output), *extra)


@pytest.fixture(scope="module")
def built(c4_dir, tmp_path_factory):
    """The CLI on the default (portable) DirectRunner: 120 documents, 800 pieces, seed 0."""
    out = tmp_path_factory.mktemp("vocab") / "v"
    code, printed, err = _train(
        c4_dir, out, "--size", str(SIZE), "--sample-docs", str(DOCS), "--seed", "0", *IN_MEMORY
    )
    assert code == 0, err
    return out, printed


def reference_sample(rows, budget: pv.Budget, seed: int) -> list[tuple[int, str]]:
    """The definition, in plain Python: smallest keys first while the budget lasts."""
    keyed = sorted((vd.sample_key(seed, r["url"], r["text"]), r["text"]) for r in rows)
    out, used = [], 0
    for key, text in keyed:
        if used + budget.weight(text) > budget.limit:
            break
        used += budget.weight(text)
        out.append((key, text))
    return out


# --- the end-to-end run ----------------------------------------------------------------------


def test_cli_writes_a_seqio_vocabulary(built, c4_dir, c4_rows):
    out, printed = built
    assert sorted(p.name for p in out.iterdir()) == sorted(pv.OUTPUT_FILES)  # scratch removed
    summary = json.loads((out / "vocab.json").read_text())
    chars = summary["sample"]["characters"]
    sha = hashlib.sha256((out / "spm.model").read_bytes()).hexdigest()
    assert printed == (
        f"c4forge vocab train: {SIZE} pieces ({SIZE + 100} with 100 extra ids) from {DOCS} "
        f"documents ({chars:,} characters) of {c4_dir} train; wrote spm.model "
        f"(sha256 {sha[:12]}) to {out}\n"
    )
    vocab = tv.load_vocabulary(str(out))
    sp = vocab.tokenizer
    assert (sp.pad_id(), sp.eos_id(), sp.unk_id(), sp.bos_id()) == (0, 1, 2, -1)
    assert vocab.vocab_size == SIZE + 100
    assert vocab.encode("<extra_id_0>") == [vocab.vocab_size - 1]
    line = "The results are in, and the town council will meet again next week."
    assert vocab.decode(vocab.encode(line)) == line
    # Real lines of the sample come back as they were, but for characters left out of the
    # 99.95% coverage (-> unk) and for what NFKC and whitespace folding change.
    lines = [x for x in (out / "sample.txt").read_text(encoding="utf-8").split("\n") if x]
    lines = [x for x in lines if unicodedata.normalize("NFKC", x) == " ".join(x.split()) == x]
    failures = [x for x in lines if vocab.decode(vocab.encode(x)) != x]
    assert all(vocab.unk_id in vocab.encode(x) for x in failures)
    assert len(failures) < 0.05 * len(lines)
    assert len(lines) > 500


def test_sample_is_the_smallest_keys_and_vocab_json_says_so(built, c4_dir, c4_rows):
    out, _ = built
    expected = reference_sample(c4_rows, pv.Budget("documents", DOCS), seed=0)
    sample = (out / "sample.txt").read_text(encoding="utf-8")
    assert sample == vd.sample_text(expected)
    summary = json.loads((out / "vocab.json").read_text())
    assert summary["sample"] == {
        "file": "sample.txt",
        "sha256": hashlib.sha256(sample.encode()).hexdigest(),
        "documents": DOCS,
        "characters": sum(len(t) for _, t in expected),
        "budget": {"documents": DOCS},
    }
    assert summary["model_sha256"] == hashlib.sha256((out / "spm.model").read_bytes()).hexdigest()
    assert summary["corpus_documents"] == len(c4_rows)
    assert (summary["size"], summary["seed"], summary["split"]) == (SIZE, 0, "train")
    assert (summary["corpus"], summary["format"]) == (str(c4_dir), "tfrecord")
    assert summary["trainer_options"] == tv.trainer_options(SIZE)


def _json_corpus(rows, directory: Path, shards: int) -> Path:
    """The same documents as `--format json` output, reversed and dealt into `shards` files."""
    directory.mkdir()
    rows = rows[::-1]
    for i in range(shards):
        lines = [
            outputs.json_line(Page(r["url"], "", r["text"], r["timestamp"]))
            for r in rows[i::shards]
        ]
        path = directory / f"c4-train.{i:05d}-of-{shards:05d}.json.gz"
        path.write_bytes(gzip.compress("".join(x + "\n" for x in lines).encode(), mtime=0))
    return directory


def test_same_seed_same_model_whatever_the_format_order_sharding_and_runner(
    built, c4_rows, tmp_path
):
    corpus = _json_corpus(c4_rows, tmp_path / "json", shards=3)
    out = tmp_path / "again"
    code, _, err = _train(
        corpus, out, "--size", str(SIZE), "--sample-docs", str(DOCS), "--seed", "0", *FAST
    )
    assert code == 0, err
    first, _ = built
    assert (out / "sample.txt").read_bytes() == (first / "sample.txt").read_bytes()
    assert (out / "spm.model").read_bytes() == (first / "spm.model").read_bytes()
    assert json.loads((out / "vocab.json").read_text())["format"] == "json"


def test_another_seed_draws_another_sample(c4_dir, c4_rows, tmp_path):
    out = tmp_path / "seed1"
    code, _, err = _train(c4_dir, out, "--size", "400", "--sample-docs", "40", "--seed", "1", *FAST)
    assert code == 0, err
    budget = pv.Budget("documents", 40)
    seed1 = reference_sample(c4_rows, budget, seed=1)
    assert (out / "sample.txt").read_text(encoding="utf-8") == vd.sample_text(seed1)
    seed0 = reference_sample(c4_rows, budget, seed=0)
    assert {t for _, t in seed1} != {t for _, t in seed0}
    assert len(seed1) == 40


def test_sample_chars_is_a_character_budget(c4_dir, c4_rows, tmp_path):
    limit = 60_000
    code, _, err = _train(
        c4_dir, tmp_path / "v", "--size", "600", "--sample-chars", str(limit), *FAST
    )
    assert code == 0, err
    summary = json.loads((tmp_path / "v" / "vocab.json").read_text())
    expected = reference_sample(c4_rows, pv.Budget("characters", limit), seed=0)
    assert (tmp_path / "v" / "sample.txt").read_text(encoding="utf-8") == vd.sample_text(expected)
    assert summary["sample"]["characters"] <= limit
    assert summary["sample"]["documents"] == len(expected) < len(c4_rows)
    next_doc = sorted(vd.sample_key(0, r["url"], r["text"]) for r in c4_rows)[len(expected)]
    next_len = next(
        len(r["text"]) for r in c4_rows if vd.sample_key(0, r["url"], r["text"]) == next_doc
    )
    assert summary["sample"]["characters"] + next_len > limit  # the budget really ran out


def test_overwrite_replaces_a_vocabulary(built, c4_dir, tmp_path):
    out = tmp_path / "v"
    out.mkdir()
    for name in pv.OUTPUT_FILES:
        (out / name).write_bytes((built[0] / name).read_bytes())
    code, _, err = _train(c4_dir, out, "--size", "400", "--sample-docs", "30", "--overwrite", *FAST)
    assert code == 0, err
    summary = json.loads((out / "vocab.json").read_text())
    assert (summary["size"], summary["sample"]["documents"]) == (400, 30)
    assert sorted(p.name for p in out.iterdir()) == sorted(pv.OUTPUT_FILES)


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--bogus-flag"], "unknown flag(s): --bogus-flag (see --help)"),
        (["--size", "3"], "size 3 leaves no room for pieces: pad, eos and unk take 3"),
        (["--character-coverage", "1.5"], "character coverage must be in (0, 1], got 1.5"),
        (["--sample-docs", "0"], "--sample-docs must be at least 1"),
        (["--format", "json"], "{corpus} holds no C4 train files (c4-train.*.json.gz)"),
        (
            ["--runner", "DataflowRunner", "--project", "p", "--region", "r"],
            "'{corpus}' is a local path, which Dataflow workers cannot reach: use a gs:// "
            "--corpus and --output",
        ),
    ],
)
def test_bad_flags_fail_in_one_line_before_work(extra, message, c4_dir, tmp_path):
    out = tmp_path / "v"
    code, printed, err = _train(c4_dir, out, "--size", "800", *extra)
    assert code == 2
    assert printed == ""
    assert err == f"c4forge vocab train: error: {message.format(corpus=c4_dir)}\n"
    assert not out.exists()


def test_a_directory_without_c4_files_is_refused(tmp_path):
    code, _, err = _train(tmp_path, tmp_path / "v", "--size", "800")
    assert code == 2
    assert err == (
        f"c4forge vocab train: error: {tmp_path} holds no C4 train files "
        "(c4-train.tfrecord-?????-of-????? or c4-train.*.json.gz)\n"
    )


def test_an_existing_vocabulary_needs_overwrite(built, c4_dir):
    out, _ = built
    before = (out / "spm.model").read_bytes()
    code, _, err = _train(c4_dir, out, "--size", "800")
    assert code == 2
    assert err == (
        f"c4forge vocab train: error: {out} already holds spm.model, spm.vocab, sample.txt, "
        "vocab.json: pass --overwrite to replace them\n"
    )
    assert (out / "spm.model").read_bytes() == before


def test_a_size_too_small_for_the_characters_fails_in_one_line(c4_dir, tmp_path):
    out = tmp_path / "v"
    code, _, err = _train(c4_dir, out, "--size", "50", "--sample-docs", "40", *FAST)
    assert code == 2
    assert re.fullmatch(
        r"c4forge vocab train: error: size 50 is too small for the sample's characters: they "
        r"need \d+ pieces with pad, eos and unk at character coverage 0\.9995; raise the size "
        r"or lower the character coverage\n",
        err,
    ), err
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        # Our 697 pages put no document in validation; its one shard is an empty file.
        (
            ["--split", "validation"],
            "the sample is empty: {corpus}/c4-validation.tfrecord-?????-of-????? holds no "
            "documents",
        ),
        (
            ["--sample-chars", "5"],
            "the sample is empty: every document of {corpus}/c4-train.tfrecord-?????-of-????? is "
            "longer than --sample-chars 5",
        ),
    ],
)
def test_an_empty_sample_is_refused(extra, message, c4_dir, tmp_path):
    code, _, err = _train(c4_dir, tmp_path / "v", "--size", "800", *extra, *FAST)
    assert code == 2
    assert err == f"c4forge vocab train: error: {message.format(corpus=c4_dir)}\n"
    assert not (tmp_path / "v").exists()


def test_vocab_help_and_unknown_action():
    # `c4forge vocab` and its actions are listed by the top-level command (cli/main.py).
    code, printed, _ = _cli("--help")
    assert code == 0
    assert "vocab train  train a SentencePiece vocabulary on C4" in printed
    code, _, err = _cli("fit")
    assert code == 2
    assert err.endswith("c4forge: error: unknown command 'vocab fit'\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        cli.main(["vocab", "train", "--help"])
    assert done.value.code == 0
    assert out.getvalue().startswith("usage: c4forge vocab train [-h] --corpus CORPUS")


# --- the pieces ------------------------------------------------------------------------------


def test_example_features_are_read_without_tensorflow():
    import tensorflow as tf

    page = Page("https://a.example/x", "a.example/x", "Line one.\nLine two ü.", "2019-07-17")
    assert vd.example_document(outputs.example_bytes(page)) == [(page.url, page.text)]
    example = tf.train.Example(
        features=tf.train.Features(
            feature={
                "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"first", b"2nd"])),
                "url": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"u"])),
                "n": tf.train.Feature(int64_list=tf.train.Int64List(value=[300, -1])),
                "f": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5])),
            }
        )
    )
    assert records.decode_example(example.SerializeToString()) == {"text": b"first", "url": b"u"}
    no_text = tf.train.Example(
        features=tf.train.Features(
            feature={"url": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"u"]))}
        )
    )
    assert vd.example_document(no_text.SerializeToString()) == []


def test_pick_bucket_and_threshold_by_hand():
    # Buckets 0, 1, 3 weigh 4, 5, 1; a budget of 6 runs out in bucket 1, after 4.
    assert vd.pick_bucket([(3, 1), (0, 4), (1, 5)], 6) == (1, 4)
    assert vd.pick_bucket([(3, 1), (0, 4), (1, 5)], 10) is None  # everything fits
    bits = 2
    low = 1 << (vd.KEY_BITS - bits)  # the first key of bucket 1
    edge = [(low + 7, 1), (low + 3, 1), (low + 9, 5)]
    assert vd.pick_threshold(edge, (1, 4), 6, bits) == low + 7  # 4 + 1 + 1, then 5 is too much
    assert vd.pick_threshold(edge, (1, 4), 4, bits) == low - 1  # only the lower buckets
    assert vd.pick_threshold([], None, 4, bits) is None


DOCS_SYNTHETIC = [(f"https://ex.org/{i}", f"document {i} " * (i % 13 + 1)) for i in range(300)]


# (unit, limit, bucket bits): few bits put many documents in the bucket where the budget ends.
# (The production 16 bits are checked end to end above, against the same reference.)
DRAW_CASES = [
    ("documents", 137, 3),  # 8 buckets: the edge bucket holds ~37 documents
    ("documents", 1000, 3),  # more than there are
    ("characters", 9_000, 2),
    ("characters", 5, 2),  # smaller than any document: an empty sample
]


def test_draw_sample_is_the_smallest_keys_within_budget():
    rows = [{"url": u, "text": t} for u, t in DOCS_SYNTHETIC]
    # One pipeline, one branch per case: a Beam start-up costs more than all the cases.
    with TestPipeline(options=PipelineOptions(IN_MEMORY)) as p:
        docs = p | beam.Create([("", url, text) for url, text in DOCS_SYNTHETIC[::-1]])
        for unit, limit, bits in DRAW_CASES:
            budget = pv.Budget(unit, limit)
            name = f"{unit}{limit}bits{bits}"
            got = docs | f"Draw{name}" >> pv.DrawSample(budget, seed=7, bucket_bits=bits)
            expected = [(k, t, "") for k, t in reference_sample(rows, budget, seed=7)]
            assert_that(got, equal_to(expected), label=f"Check{name}")


def test_sample_records_survive_unicode_line_separators():
    texts = ["one\ntwo", "NEL\x85 and LS\u2028 and PS\u2029 inside", "cr\rlf\r\n", "ü ∑ 🙂"]
    data = "".join(vd.sample_record(i, t) + "\n" for i, t in enumerate(texts))
    assert vd.parse_sample_records(data) == list(enumerate(texts))


def test_dataflow_job_is_built_offline(monkeypatch):
    """A dry run: the graph is built and the project sdist staged; nothing runs or is sent."""
    corpus = "gs://my-bucket/c4"

    def fake_match(pattern: str) -> list[str]:  # no GCS offline: the corpus holds one shard
        return [f"{corpus}/c4-train.tfrecord-00000-of-00001"] if "tfrecord" in pattern else []

    monkeypatch.setattr(pv, "match_files", fake_match)
    flags = ["--corpus", corpus, "--size", "32000", "--output", "gs://my-bucket/vocab"]
    dataflow = ["--runner", "DataflowRunner", "--project", "my-project", "--region", "us-central1"]
    result = vocab_train.run(
        [*flags, *dataflow, "--temp_location", "gs://my-bucket/tmp", "--dry_run=True"]
    )
    assert result["dry_run"] is True
    proto = result["job"].proto_pipeline
    top = {t.unique_name for t in proto.components.transforms.values() if "/" not in t.unique_name}
    assert {"ReadCorpus", "DrawSample", "Record", "WriteSample"} <= top
