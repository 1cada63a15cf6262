"""Training checkpoints with orbax: parameters, optimizer state, step, and the data state.

Layout: `<run>/checkpoints/<step>/` with orbax items
- `params` (float32 tree) and `train` ({opt_state, step}): orbax's standard (tensorstore)
  format, saved and restored sharded: each host writes and reads only its shards;
- `data`: JSON, the input pipeline's state per host (`tasks.feed.Feed.state()`), so a resumed
  run continues on exactly the next batch, plus anything else the trainer keeps (metrics).

All items of a step are written into a temporary directory that orbax renames to `<step>` only
when every item is complete (and records `commit_success.txt`), so a process killed mid-write
leaves a `<step>.orbax-checkpoint-tmp-*` directory that `latest_step` ignores: the previous
checkpoint stays the latest usable one. Saves are synchronous: the trainer does not step on
while a checkpoint is half written, which keeps "checkpoint at step s" = "state after s steps".

`load_params` reads just the parameters, for fine-tuning and inference.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import jax
import orbax.checkpoint as ocp

CHECKPOINTS = "checkpoints"


class Checkpointer:
    """Saves and restores `TrainState`s (+ JSON data) under `<run_dir>/checkpoints`."""

    def __init__(self, run_dir: str, keep: int = 3):
        if keep < 1:
            raise ValueError(f"keep_checkpoints must be >= 1, got {keep}")
        self.directory = os.path.join(os.path.abspath(run_dir), CHECKPOINTS)
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, enable_async_checkpointing=False, create=True
        )
        self._manager = ocp.CheckpointManager(self.directory, options=options)

    def steps(self) -> Sequence[int]:
        return self._manager.all_steps()

    def latest_step(self) -> int | None:
        return self._manager.latest_step()

    def save(self, state, data: dict) -> None:
        """Write `state` (a TrainState) at its step, with `data` (JSON-able) beside it."""
        step = int(jax.device_get(state.step))
        items = {
            "params": ocp.args.StandardSave(state.params),
            "train": ocp.args.StandardSave({"opt_state": state.opt_state, "step": state.step}),
            "data": ocp.args.JsonSave(data),
        }
        self._manager.save(step, args=ocp.args.Composite(**items), force=True)
        self._manager.wait_until_finished()

    def restore(self, abstract_state, step: int | None = None) -> tuple[Any, dict]:
        """(state, data) of `step` (default: the latest). `abstract_state` is a TrainState of
        jax.ShapeDtypeStruct with shardings: arrays come back laid out as those say."""
        step = self.latest_step() if step is None else step
        if step is None:
            raise FileNotFoundError(f"no checkpoint in {self.directory}")
        train = {"opt_state": abstract_state.opt_state, "step": abstract_state.step}
        items = {
            "params": ocp.args.StandardRestore(abstract_state.params),
            "train": ocp.args.StandardRestore(train),
            "data": ocp.args.JsonRestore(),
        }
        restored = self._manager.restore(step, args=ocp.args.Composite(**items))
        state = abstract_state.replace(params=restored["params"], **restored["train"])
        return state, restored["data"]

    def close(self) -> None:
        self._manager.close()


def step_directory(path: str) -> str:
    """A checkpoint step directory from a run dir (its latest step), a `checkpoints` dir, or a
    step dir itself. One-line FileNotFoundError when there is none."""
    path = os.path.abspath(path)
    if os.path.isdir(os.path.join(path, "params")):
        return path
    base = path if os.path.basename(path) == CHECKPOINTS else os.path.join(path, CHECKPOINTS)
    steps = _finished_steps(base)
    if not steps:
        raise FileNotFoundError(f"no finished checkpoint under {path}")
    return os.path.join(base, str(max(steps)))


def _finished_steps(base: str) -> list[int]:
    if not os.path.isdir(base):
        return []
    return [
        int(name)
        for name in os.listdir(base)
        if name.isdigit() and os.path.isdir(os.path.join(base, name, "params"))
    ]


def load_params(path: str, abstract_params=None) -> Any:
    """The parameters of the checkpoint at `path` (see `step_directory`), as numpy arrays, or
    laid out as `abstract_params` (ShapeDtypeStructs with shardings) says."""
    directory = os.path.join(step_directory(path), "params")
    with ocp.StandardCheckpointer() as checkpointer:
        if abstract_params is None:
            return checkpointer.restore(directory)
        return checkpointer.restore(directory, abstract_params)
