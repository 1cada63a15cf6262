"""`c4forge train / eval / infer` end to end for each architecture of Raffel et al. §3.2 at tiny
scale: t5-tiny with `--set architecture=...`, trained on the toy copy task over the real C4 test
build (its vocabulary), evaluated while training and afterwards from the checkpoint.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from c4forge.cli import infer as infer_cli
from c4forge.cli import train as train_cli

ARCHITECTURES = {
    "shared_encoder_decoder": ["--set", "architecture=shared_encoder_decoder"],
    "half_depth": ["--set", "num_encoder_layers=1", "--set", "num_decoder_layers=1"],
    "decoder_only": ["--set", "architecture=decoder_only", "--set", "num_encoder_layers=0"],
    "prefix_lm": ["--set", "architecture=prefix_lm", "--set", "num_encoder_layers=0"],
}


@pytest.fixture
def fresh_catalog():
    from c4forge.tasks import catalog, registry

    def forget():
        catalog.unregister_all()
        registry.unregister("toy_copy")
        sys.modules.pop("toy_tasks", None)  # `--module toy_tasks` registers it again next time

    forget()  # an earlier test may have imported toy_tasks and unregistered its task
    yield
    forget()


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_train_then_eval_and_infer(name, c4_dir, spm_model, tmp_path, fresh_catalog, capsys):
    run = tmp_path / name
    argv = [
        "--mixture", "toy_copy", "--module", "toy_tasks",
        "--model", "t5-tiny", "--batch", "8", "--lengths", "16,8", "--steps", "3",
        "--c4", str(c4_dir), "--vocab", str(spm_model), "--out", str(run),
        "--set", "vocab_size=1152", "--set", "log_every=1", "--set", "eval_batches=1",
        "--set", "eval_examples=4", "--set", "checkpoint_every=3",
        *ARCHITECTURES[name],
    ]  # fmt: skip
    assert train_cli.main(argv) == 0, capsys.readouterr().err

    config = json.loads((run / "config.json").read_text())
    model = config["model"]
    want = "encoder_decoder" if name == "half_depth" else name
    assert model["architecture"] == want
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [1, 2, 3]
    assert all(np.isfinite(row["loss"]) for row in rows)
    evals = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    final = [row for row in evals if row.get("eval")][-1]
    assert final["validation_loss"] > 0  # teacher-forced loss on this architecture's batches
    assert 0.0 <= final["toy_copy/accuracy"] <= 100.0  # decoded with the cache

    capsys.readouterr()
    assert infer_cli.main(["eval"], ["--checkpoint", str(run), "--tasks", "toy_copy"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("toy_copy  accuracy") for line in lines)
    args = ["--checkpoint", str(run), "--max-length", "4", "--decode", "beam", "copy: river"]
    assert infer_cli.main(["infer"], args) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
