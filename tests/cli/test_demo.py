"""The main job: `c4forge demo` on the bundled sample, reduced (few steps), every stage checked."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from c4forge.cli import demo
from c4forge.cli import main as cli
from tools.wet_sample import funnel as sample

import c4_testing

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"
STEPS, VOCAB, EXAMPLES = 12, 1000, 16
STREAMS: dict[str, str] = {}  # what the reduced demo printed


def test_demo_prints_no_library_start_up_lines(demo_run):
    # TensorFlow, absl, XLA and CUDA lines look like failures to a newcomer.
    from test_startup import NOISE

    printed = STREAMS["stdout"] + STREAMS["stderr"]
    assert "[demo 6/6] summary done" in printed
    noisy = [line for line in printed.splitlines() if NOISE.search(line)]
    assert not noisy, "\n".join(noisy[:10])


@pytest.fixture(scope="module")
def demo_run(shared_data, tmp_path_factory):
    """One reduced demo in a fresh process, as a user runs it: (output dir, stdout)."""
    out = tmp_path_factory.mktemp("demo") / "out"
    argv = [
        sys.executable, "-m", "c4forge", "demo", "--output", str(out),
        "--punkt", str(c4_testing.NLTK_DATA), "--badwords", str(c4_testing.BADWORDS_EN),
        "--steps", str(STEPS), "--batch", "8", "--lengths", "128,32",
        "--vocab-size", str(VOCAB), "--eval-examples", str(EXAMPLES),
    ]  # fmt: skip
    done = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, timeout=900, env=dict(os.environ)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    STREAMS["stdout"], STREAMS["stderr"] = done.stdout, done.stderr
    return out, done.stdout


def test_corpus_stage_builds_the_expected_funnel(demo_run):
    out, printed = demo_run
    stats = json.loads((out / "c4" / "stats.json").read_text())
    expected = sample.expected_funnel()
    for split in ("train", "validation"):
        assert stats["counters"][split]["examples"] == expected[split]["examples"]
    docs = c4_testing.read_output(out / "c4")
    assert len(docs["train"]) == expected["train"]["examples"]
    assert (out / "c4" / "funnel.png").read_bytes().startswith(PNG)
    assert list((out / "c4" / "rejects").glob("*.gz")), "dropped pages with reasons"
    assert "C4 funnel" in printed


def test_vocab_stage_trains_on_our_c4(demo_run):
    import sentencepiece as spm

    out, _ = demo_run
    model = spm.SentencePieceProcessor(model_file=str(out / "vocab" / "spm.model"))
    assert model.get_piece_size() == VOCAB
    assert (model.pad_id(), model.eos_id(), model.unk_id()) == (0, 1, 2)  # seqio's ids
    # Trained on the sample's English text: its common words are single pieces.
    assert len(model.encode("the")) == 1


def test_tasks_stage_mixes_c4_span_corruption_and_sample_qa(demo_run):
    out, _ = demo_run
    summary = json.loads((out / "summary.json").read_text())
    rates = summary["tasks"]["rates"]
    assert summary["tasks"]["mixture"] == "c4_en_v310_sample_mix"
    assert set(rates) == {"c4_en_v310_span_corruption", "sample_qa"}
    # Examples-proportional: C4 train documents against the task's 5,000 questions.
    c4_docs = sample.expected_funnel()["train"]["examples"]
    assert math.isclose(rates["c4_en_v310_span_corruption"], c4_docs / (c4_docs + 5000))


def test_train_stage_writes_a_run(demo_run):
    out, _ = demo_run
    run = out / "run"
    config = json.loads((run / "config.json").read_text())
    assert config["mixture"] == "c4_en_v310_sample_mix"
    assert config["model"]["vocab_size"] == 1152  # 1000 + 100 sentinels, rounded up to 128s
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, STEPS + 1))
    assert all(math.isfinite(r["loss"]) for r in rows)
    assert (run / "checkpoints" / str(STEPS)).is_dir()
    assert list((run / "tensorboard").iterdir())


def test_eval_stage_scores_sample_qa(demo_run):
    out, printed = demo_run
    metrics = json.loads((out / "eval.json").read_text())["sample_qa"]
    assert set(metrics) == {"em", "f1"}
    assert 0 <= metrics["em"] <= metrics["f1"] <= 100
    decoded = json.loads((out / "summary.json").read_text())["eval"]["decoded"]
    assert len(decoded) == 3
    assert all(isinstance(d["prediction"], str) and d["inputs"] in printed for d in decoded)


def test_summary_names_every_output(demo_run):
    out, printed = demo_run
    assert (out / "loss.png").read_bytes().startswith(PNG)
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["stage_seconds"]) == [
        "corpus", "vocab", "tasks", "train", "eval", "summary"
    ]  # fmt: skip
    losses = summary["train"]["loss"]
    assert losses[0][0] == 1
    assert losses[-1][0] == STEPS
    text = (out / "summary.txt").read_text()
    assert text.strip() in printed
    expected = sample.expected_funnel()
    pages = expected["split-wet-file"]["passed"]
    kept = expected["badwords-filter"]["passed"]
    assert f"pages: {pages:,} read from WET -> " in text
    assert f"-> {kept:,} no badwords\n" in text
    for path in ("c4/funnel.png", "loss.png", "vocab/spm.model", "run/checkpoints", "tensorboard"):
        assert path in text, path
    for stage in range(1, 7):
        assert f"[demo {stage}/6]" in printed


def test_refuses_an_output_dir_it_did_not_write(tmp_path, capsys):
    (tmp_path / "thesis.tex").write_text("precious")
    assert cli.main(["demo", "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "thesis.tex" in err[0]
    assert (tmp_path / "thesis.tex").read_text() == "precious"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--steps", "0"], "--steps must be positive"),
        (["--lengths", "128"], "--lengths wants INPUTS,TARGETS"),
        (["--beam-flag-nobody-knows=1"], "unknown flag"),
    ],
)
def test_bad_flags_are_one_line_before_any_work(tmp_path, capsys, flags, message):
    out = tmp_path / "new"
    assert cli.main(["demo", "--output", str(out), *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert message in err[0]
    assert not out.exists()


def test_rerun_replaces_only_its_own_outputs(tmp_path):
    for name in demo.OWN_ENTRIES[:3]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "old").write_text("x")
    demo.prepare_output(str(tmp_path))
    assert list(tmp_path.iterdir()) == []
