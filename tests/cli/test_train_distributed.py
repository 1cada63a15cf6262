"""`c4forge train` over many devices and many hosts (CPU stand-ins, in subprocesses).

- 8 fake CPU devices (XLA_FLAGS) with fully sharded parameters: the losses are a 1-device run's
  within float tolerance, and a resume from a sharded checkpoint is bit-exact.
- 2 processes x 2 devices joined by jax.distributed on localhost (gloo collectives): each host
  feeds its own shard of the mixture, the checkpoint keeps both hosts' data states, and a
  2-host resume is bit-exact.

A resume is checked by copying a finished run, deleting its last checkpoint and resuming the
copy: the copy must re-train exactly the deleted steps.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _args(c4_dir, spm_model, out: Path, steps: int, every: int) -> list[str]:
    return [
        "train", "--out", str(out), "--steps", str(steps),
        "--mixture", "c4_en_v310_span_corruption", "--model", "t5-tiny", "--batch", "8",
        "--lengths", "64,16", "--c4", str(c4_dir), "--vocab", str(spm_model),
        "--set", "vocab_size=1152", "--set", "log_every=1", "--set", "eval_batches=0",
        "--set", "eval_examples=0", "--set", f"checkpoint_every={every}",
        "--set", "dropout_rate=0.0",
    ]  # fmt: skip


def _env(devices: int) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env["JAX_PLATFORMS"] = "cpu"
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    return env


def _start(args: list[str], devices: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "c4forge", *args],
        cwd=ROOT,
        env=_env(devices),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(*processes: subprocess.Popen) -> None:
    for process in processes:
        _, err = process.communicate(timeout=400)
        if process.returncode:
            raise AssertionError(f"exit {process.returncode}: {err[-3000:]}")


def _losses(run_dir: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return {row["step"]: row["loss"] for row in rows}


def _copy_without_last_checkpoint(run_dir: Path, copy: Path) -> int:
    shutil.copytree(run_dir, copy)
    steps = sorted(int(p) for p in os.listdir(copy / "checkpoints") if p.isdigit())
    shutil.rmtree(copy / "checkpoints" / str(steps[-1]))
    return steps[-2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_fully_sharded_on_eight_devices_matches_one_and_resumes_exactly(
    c4_dir, spm_model, tmp_path
):
    one, eight = tmp_path / "one", tmp_path / "eight"
    sharded = ["--set", "partitioning=fsdp", "--set", "mesh_model=2"]
    _finish(_start(_args(c4_dir, spm_model, one, 6, 3), 1))
    _finish(_start(_args(c4_dir, spm_model, eight, 6, 3) + sharded, 8))

    config = json.loads((eight / "config.json").read_text())
    assert config["devices"]["mesh"] == {"data": 4, "model": 2}
    reference, got = _losses(one), _losses(eight)
    assert sorted(got) == list(range(1, 7))
    np.testing.assert_allclose(
        [got[s] for s in sorted(got)], [reference[s] for s in sorted(got)], rtol=1e-4
    )

    copy = tmp_path / "eight_resumed"
    kept = _copy_without_last_checkpoint(eight, copy)
    assert kept == 3
    _finish(_start(["train", "--resume", "--out", str(copy)], 8))
    assert _losses(copy) == got  # bit for bit, restored sharded


def test_two_hosts_feed_their_own_shards_and_resume_exactly(c4_dir, spm_model, tmp_path):
    run = tmp_path / "hosts"

    def launch(args: list[str]) -> list[subprocess.Popen]:
        port = _free_port()
        return [
            _start(
                [
                    *args,
                    "--coordinator",
                    f"localhost:{port}",
                    "--num-processes",
                    "2",
                    "--process-id",
                    str(i),
                ],
                2,
            )
            for i in range(2)
        ]

    _finish(*launch(_args(c4_dir, spm_model, run, 4, 2)))
    config = json.loads((run / "config.json").read_text())
    assert config["devices"]["processes"] == 2
    assert config["devices"]["count"] == 4
    losses = _losses(run)
    assert sorted(losses) == [1, 2, 3, 4]

    data = json.loads((run / "checkpoints" / "4" / "data" / "metadata").read_text())
    assert len(data["data"]) == 2  # one data state per host

    # Step 1's loss is the initial parameters' loss on the global batch: host 0's first rows
    # from shard 0 of the mixture and host 1's from shard 1.
    first = _first_batch_loss(c4_dir, spm_model, shards=[0, 1])
    assert losses[1] == pytest.approx(first, rel=1e-5)
    assert first != pytest.approx(_first_batch_loss(c4_dir, spm_model, shards=[0, 0]), rel=1e-3)

    copy = tmp_path / "hosts_resumed"
    assert _copy_without_last_checkpoint(run, copy) == 2
    _finish(*launch(["train", "--resume", "--out", str(copy)]))
    assert _losses(copy) == losses


def _first_batch_loss(c4_dir, spm_model, shards: list[int]) -> float:
    import dataclasses

    import jax

    from c4forge.model.config import preset
    from c4forge.model.partitioning import init_fn
    from c4forge.model.train_step import eval_step
    from c4forge.tasks import catalog
    from c4forge.tasks.feed import Feed

    catalog.unregister_all()
    try:
        catalog.register(vocab=str(spm_model), c4=str(c4_dir))
        lengths = {"inputs": 64, "targets": 16}
        rows = [
            next(Feed("c4_en_v310_span_corruption", lengths, 4, shard_index=i, shard_count=2))
            for i in shards
        ]
    finally:
        catalog.unregister_all()
    batch = {key: np.concatenate([r[key] for r in rows]) for key in rows[0]}
    model = dataclasses.replace(preset("t5-tiny"), vocab_size=1152, dropout_rate=0.0)
    params = init_fn(model, jax.random.fold_in(jax.random.key(0), 0))  # the trainer's seed 0
    return float(eval_step(params, batch, config=model, loss_normalization="sum")["loss"])
