"""`c4forge train / infer / eval` on a tiny T5 over the real C4 test build.

Runs that must die (SIGKILL mid-run, mid-checkpoint) are subprocesses; losses are compared as
exact floats (bit for bit) against one uninterrupted run of the same settings.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from c4forge.cli import infer as infer_cli
from c4forge.cli import train as train_cli

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests" / "cli"
STEPS = 12


@pytest.fixture
def base_args(c4_dir, spm_model):
    """A t5-tiny run on C4 span corruption: 8 rows of 64/16 tokens, 1,100-id vocabulary."""
    return [
        "--mixture", "c4_en_v310_span_corruption",
        "--model", "t5-tiny",
        "--batch", "8",
        "--lengths", "64,16",
        "--c4", str(c4_dir),
        "--vocab", str(spm_model),
        "--set", "vocab_size=1152",
        "--set", "log_every=1",
        "--set", "eval_batches=0",
        "--set", "eval_examples=0",
    ]  # fmt: skip


@pytest.fixture
def fresh_catalog():
    from c4forge.tasks import catalog

    catalog.unregister_all()
    yield
    catalog.unregister_all()
    from c4forge.tasks import registry

    registry.unregister("toy_copy")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(ROOT), env.get("PYTHONPATH", "")])
    env["JAX_PLATFORMS"] = "cpu"
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "c4forge", *args]


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        _command(*args), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300
    )
    if check and done.returncode:
        raise AssertionError(f"exit {done.returncode}: {done.stderr[-3000:]}")
    return done


def _losses(run_dir: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return {row["step"]: row["loss"] for row in rows}


def _finished_steps(run_dir: Path) -> list[int]:
    from c4forge.model.checkpoint import Checkpointer

    return list(Checkpointer(str(run_dir)).steps())


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, c4_dir, spm_model):
    """Losses of STEPS steps in one go (every step logged)."""
    out = tmp_path_factory.mktemp("runs") / "whole"
    args = [
        "train", "--out", str(out), "--steps", str(STEPS),
        "--mixture", "c4_en_v310_span_corruption", "--model", "t5-tiny", "--batch", "8",
        "--lengths", "64,16", "--c4", str(c4_dir), "--vocab", str(spm_model),
        "--set", "vocab_size=1152", "--set", "log_every=1", "--set", "eval_batches=0",
        "--set", "eval_examples=0", "--set", "checkpoint_every=4",
    ]  # fmt: skip
    _run(*args)
    return out, args


def _kill_when(process: subprocess.Popen, ready, limit: float = 240) -> None:
    deadline = time.monotonic() + limit
    while not ready():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before it could be killed: {process.returncode}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("timed out waiting for the moment to kill")
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _resumed_losses_equal(uninterrupted, out: Path) -> None:
    whole, _ = uninterrupted
    _run("train", "--resume", "--out", str(out), "--steps", str(STEPS))
    expected, got = _losses(whole), _losses(out)
    assert sorted(got) == list(range(1, STEPS + 1))
    assert got == expected  # exact float equality, every step


# ---------------------------------------------------------------------------------------------
# Resume.


def test_resume_after_sigkill_continues_bit_for_bit(uninterrupted, tmp_path):
    _, args = uninterrupted
    out = tmp_path / "killed"
    argv = [a if a != str(uninterrupted[0]) else str(out) for a in args]
    argv[argv.index("--steps") + 1] = "1000"  # it must not finish before the kill
    process = subprocess.Popen(
        _command(*argv), cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def past_a_checkpoint():
        path = out / "metrics.jsonl"
        return path.exists() and len(path.read_text().splitlines()) >= 6

    _kill_when(process, past_a_checkpoint)
    assert process.returncode == -signal.SIGKILL
    finished = _finished_steps(out)
    assert finished
    assert max(finished) < STEPS
    _resumed_losses_equal(uninterrupted, out)


def test_kill_during_checkpoint_write_leaves_the_previous_one_usable(uninterrupted, tmp_path):
    _, args = uninterrupted
    for attempt in range(5):
        out = tmp_path / f"ckpt_kill_{attempt}"
        argv = [a if a != str(uninterrupted[0]) else str(out) for a in args]
        argv[argv.index("--steps") + 1] = "1000"
        argv[argv.index("checkpoint_every=4")] = "checkpoint_every=1"
        process = subprocess.Popen(
            _command(*argv),
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def writing(out=out):
            return bool(glob.glob(str(out / "checkpoints" / "*tmp*"))) and bool(
                _finished_digits(out)
            )

        _kill_when(process, writing)
        if glob.glob(str(out / "checkpoints" / "*tmp*")):
            break  # killed with a checkpoint half written
    else:
        pytest.fail("never caught a checkpoint mid-write in 5 attempts")
    finished = _finished_steps(out)
    assert finished
    assert max(finished) < STEPS
    _resumed_losses_equal(uninterrupted, out)


def _finished_digits(out: Path) -> list[str]:
    return [p for p in os.listdir(out / "checkpoints") if p.isdigit()]


# ---------------------------------------------------------------------------------------------
# A run's outputs.


def test_train_writes_config_metrics_checkpoints_and_tensorboard(
    base_args, tmp_path, fresh_catalog, capsys
):
    out = tmp_path / "run"
    argv = [*base_args, "--out", str(out), "--steps", "6", "--set", "checkpoint_every=3"]
    argv += ["--set", "dropout_rate=0.0", "--set", "warmup_steps=100"]
    assert train_cli.main(argv) == 0

    config = json.loads((out / "config.json").read_text())
    assert config["model"]["d_model"] == 32  # t5-tiny
    assert config["model"]["dropout_rate"] == 0.0  # --set reached the model
    assert config["model"]["vocab_size"] == 1152
    assert config["train"]["warmup_steps"] == 100  # ... and the training settings
    assert config["train"]["steps"] == 6
    assert config["train"]["batch_size"] == 8
    assert (config["train"]["inputs_length"], config["train"]["targets_length"]) == (64, 16)
    assert config["mixture"] == "c4_en_v310_span_corruption"
    assert config["devices"]["count"] >= 1

    losses = _losses(out)
    assert sorted(losses) == [1, 2, 3, 4, 5, 6]
    assert all(np.isfinite(v) for v in losses.values())
    assert _finished_steps(out) == [3, 6]
    # learning rate: 1 / sqrt(max(step, 100)) = 0.1 while step < 100
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["learning_rate"] == pytest.approx(0.1)

    import tensorflow as tf

    tags = {}
    for path in glob.glob(str(out / "tensorboard" / "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append(
                    (event.step, float(tf.make_ndarray(value.tensor)))
                )
    assert "train/loss_per_token" in tags
    assert "train/tokens_per_second" in tags
    assert [step for step, _ in tags["train/loss"]] == [1, 2, 3, 4, 5, 6]
    assert dict(tags["train/loss"]) == pytest.approx(losses)
    assert "step 6/6" in capsys.readouterr().err  # the progress line


def test_training_reduces_the_loss(base_args, tmp_path, fresh_catalog):
    out = tmp_path / "learn"
    argv = [*base_args, "--out", str(out), "--steps", "30", "--set", "dropout_rate=0.0"]
    assert train_cli.main(argv) == 0
    losses = _losses(out)
    assert np.mean([losses[s] for s in range(26, 31)]) < 0.9 * np.mean(
        [losses[s] for s in range(1, 6)]
    )


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(
    base_args, tmp_path, fresh_catalog, capsys
):
    out = tmp_path / "nan"
    argv = [*base_args, "--out", str(out), "--steps", "20"]
    argv += ["--set", "checkpoint_every=1", "--set", "learning_rate=1e30"]
    assert train_cli.main(argv) == train_cli.DIVERGED_EXIT
    err = capsys.readouterr().err.strip().splitlines()[-1]
    steps = _finished_steps(out)
    assert steps, "a finite step should have been checkpointed first"
    assert "training diverged: non-finite training metrics at step" in err
    assert f"the last good checkpoint is step {max(steps)}" in err
    bad_step = int(err.split("at step ")[1].split(":")[0])
    assert max(steps) == bad_step - 1  # nothing saved at or after the bad step

    from c4forge.model.checkpoint import load_params

    params = load_params(str(out))
    import jax

    assert all(np.all(np.isfinite(np.asarray(x))) for x in jax.tree_util.tree_leaves(params))


# ---------------------------------------------------------------------------------------------
# Fine-tuning, evaluation and decoding.


def test_fine_tune_onto_another_mixture_then_eval_and_infer(
    base_args, tmp_path, fresh_catalog, capsys
):
    pre = tmp_path / "pre"
    assert train_cli.main([*base_args, "--out", str(pre), "--steps", "4"]) == 0
    from c4forge.tasks import catalog

    catalog.unregister_all()  # one process per run in real use; here: other catalog flags
    fine = tmp_path / "fine"
    argv = [a for a in base_args if a not in ("--model", "t5-tiny")]
    argv[argv.index("c4_en_v310_span_corruption")] = "toy_copy"
    argv.remove("vocab_size=1152")
    argv.remove(argv[argv.index("--set")])  # the --set of vocab_size: it comes from `pre`
    argv += ["--module", "toy_tasks", "--init-from", str(pre), "--out", str(fine)]
    argv[argv.index("eval_batches=0")] = "eval_batches=2"
    argv += ["--steps", "3", "--set", "eval_examples=4", "--set", "checkpoint_every=3"]
    assert train_cli.main(argv) == 0, capsys.readouterr().err

    config = json.loads((fine / "config.json").read_text())
    assert config["init_from"] == str(pre)
    assert config["model"]["d_model"] == 32
    assert config["model"]["vocab_size"] == 1152
    assert config["model"]["dropout_rate"] == 0.1  # t5x fine-tuning
    assert config["train"]["schedule"] == "constant"
    rows = [json.loads(line) for line in (fine / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["learning_rate"] == pytest.approx(1e-3)
    evals = [json.loads(line) for line in (fine / "log.jsonl").read_text().splitlines()]
    evals = [row for row in evals if row.get("eval")]
    assert evals
    assert "toy_copy/accuracy" in evals[-1]
    assert 0.0 <= evals[-1]["toy_copy/accuracy"] <= 100.0
    assert evals[-1]["validation_loss"] > 0

    # The fine-tuned run starts from `pre`'s parameters: step 0 of `fine` equals them.
    from c4forge.model.checkpoint import load_params
    from c4forge.model.config import preset
    from c4forge.model.training_loop import TrainConfig, Trainer

    pre_params = load_params(str(pre))
    import dataclasses

    import jax

    model = dataclasses.replace(preset("t5-tiny"), vocab_size=1152)
    trainer = Trainer(model, TrainConfig(batch_size=8, steps=1), str(tmp_path / "probe"))
    state = trainer.init_state(pre_params)
    for a, b in zip(
        jax.tree_util.tree_leaves(state.params), jax.tree_util.tree_leaves(pre_params), strict=True
    ):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    trainer.close()

    capsys.readouterr()
    assert infer_cli.main(["eval"], ["--checkpoint", str(fine), "--tasks", "toy_copy"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("toy_copy  accuracy") for line in lines)

    texts = ["copy: river", "copy: garden", "copy: planet"]
    args = ["--checkpoint", str(fine), "--max-length", "5", *texts]
    assert infer_cli.main(["infer"], args) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3  # one line per input


# ---------------------------------------------------------------------------------------------
# Bad input: one line, exit 2, before compiling.


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"--mixture": "c4_en_v310_span_corruptoin"},
            "unknown task or mixture 'c4_en_v310_span_corruptoin'; "
            "did you mean c4_en_v310_span_corruption",
        ),
        (
            {"vocab_size=1152": "vocab_size=128"},
            "c4_en_v310_span_corruption's vocabulary has 1100 ids (sentinels included) but "
            "the model's vocab_size is 128: --set vocab_size=1152",
        ),
        ({"log_every=1": "hidden_size=3"}, "unknown setting 'hidden_size'; model: d_model"),
        ({"log_every=1": "mesh_model=3"}, "mesh_model=3 does not divide the"),
        (
            {"log_every=1": "accumulation_steps=3"},
            "batch_size 8 must be a multiple of data-parallel devices (1) x accumulation_steps (3)",
        ),
        ({"log_every=1": "schedule=cosine"}, "TrainConfig.schedule must be one of rsqrt"),
        ({"log_every=1": "steps=ten"}, "TrainConfig.steps wants int, got 'ten'"),
        ({"--lengths": "64"}, "--lengths wants INPUTS,TARGETS, got '64'"),
    ],
)
def test_bad_input_is_one_line_before_training(
    base_args, tmp_path, fresh_catalog, capsys, change, message
):
    argv = [*base_args, "--out", str(tmp_path / "bad"), "--steps", "2"]
    for old, new in change.items():
        argv[argv.index(old) + (1 if old.startswith("--") else 0)] = new
    assert train_cli.main(argv) == train_cli.USAGE_EXIT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("c4forge train: error: ")
    assert message in err[0]
    assert not (tmp_path / "bad" / "checkpoints").exists() or not os.listdir(
        tmp_path / "bad" / "checkpoints"
    )


def test_run_dir_rules(base_args, tmp_path, fresh_catalog, capsys):
    out = tmp_path / "rules"
    assert train_cli.main(["--resume", "--out", str(out)]) == train_cli.USAGE_EXIT
    assert "--resume: " in capsys.readouterr().err
    assert train_cli.main([*base_args, "--out", str(out), "--steps", "2"]) == 0
    capsys.readouterr()
    # a second fresh start into the same run is refused; --resume may not change settings
    assert train_cli.main([*base_args, "--out", str(out), "--steps", "2"]) == 2
    assert "already has checkpoints: add --resume" in capsys.readouterr().err
    assert train_cli.main(["--resume", "--out", str(out), "--batch", "16"]) == 2
    assert "--batch 16 differs from the run's 8" in capsys.readouterr().err
    argv = [*base_args, "--out", str(tmp_path / "x"), "--init-from", str(out)]
    assert train_cli.main(argv) == 2
    assert "--init-from takes the model from the checkpoint; drop --model" in (
        capsys.readouterr().err
    )
    assert train_cli.main(["--settings"]) == 0
    listing = capsys.readouterr().out
    assert "T5Config:" in listing
    assert "TrainConfig:" in listing
    assert "z_loss" in listing


def test_impossible_mesh_on_eight_devices_is_one_line(base_args, tmp_path):
    argv = [*base_args, "--out", str(tmp_path / "mesh"), "--steps", "2"]
    argv += ["--set", "partitioning=tensor", "--set", "mesh_model=8"]
    env = _env()
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    done = subprocess.run(
        _command("train", *argv), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        "c4forge train: error: mode 'tensor' shards 'heads' (num_heads=4) over mesh axis "
        "'model' of size 8, which does not divide it"
    )


def test_infer_and_fine_tune_from_hf_weights(base_args, tmp_path, fresh_catalog, capsys):
    """A run exported in HF's layout (with its spiece.model) decodes as the run itself does,
    and `--init-from` takes it as the starting point of a fine-tuning run."""
    pytest.importorskip("safetensors")
    import shutil

    from c4forge.model import hf
    from c4forge.model.checkpoint import load_params
    from c4forge.model.runs import model_config

    run = tmp_path / "run"
    assert train_cli.main([*base_args, "--out", str(run), "--steps", "3"]) == 0
    config = model_config(json.loads((run / "config.json").read_text())["model"])
    exported = tmp_path / "hf"
    hf.export(config, load_params(str(run)), exported)
    vocab = base_args[base_args.index("--vocab") + 1]
    shutil.copy(vocab, exported / "spiece.model")
    capsys.readouterr()

    texts = ["The river runs", "A garden of"]
    assert infer_cli.main(["infer"], ["--checkpoint", str(run), "--max-length", "6", *texts]) == 0
    from_run = capsys.readouterr().out
    assert (
        infer_cli.main(["infer"], ["--checkpoint", str(exported), "--max-length", "6", *texts]) == 0
    )
    assert capsys.readouterr().out == from_run

    from c4forge.tasks import catalog

    catalog.unregister_all()
    argv = [a for a in base_args if a not in ("--model", "t5-tiny")]
    argv.remove("vocab_size=1152")
    argv.remove(argv[argv.index("--set")])
    argv += ["--init-from", str(exported), "--out", str(tmp_path / "ft"), "--steps", "2"]
    assert train_cli.main(argv) == 0
    saved = json.loads((tmp_path / "ft" / "config.json").read_text())
    assert saved["model"]["vocab_size"] == 1152
    assert saved["model"]["tied_embeddings"] is True
