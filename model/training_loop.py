"""The training loop: mesh, state (fresh, restored or fine-tuned), steps, checkpoints, reports.

It knows nothing of tasks: batches come from any iterator of feature-converter dicts (numpy,
this host's rows), and `data_state()` says where that iterator stands, to be checkpointed with
the model so `--resume` continues on exactly the next batch (cli/train.py joins it to
`tasks.feed.Feed`). One `TrainConfig` holds every training setting; `c4forge train` writes it,
resolved, next to the checkpoints.

Order of a step s -> s+1: take the next batch, run the jitted step (asynchronously: the next
batch is made while the device works), and every `log_every` steps, before every checkpoint
and at the end, fetch the pending metrics and check them: a NaN/Inf loss or gradient norm stops
training with FloatingPointError before anything after it is saved, so the newest checkpoint on
disk is always one whose every step had finite metrics.

Multi-host (jax.distributed): every host runs this same loop over its own shard of the data;
`put_batch` assembles the global batch from the hosts' rows; checkpoints gather every host's
data state into one JSON, and each host restores its own entry.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jax
import numpy as np

from c4forge.model import finetune, host_memory, partitioning, train_step
from c4forge.model.checkpoint import Checkpointer
from c4forge.model.config import T5Config
from c4forge.model.flops import mfu, peak_flops, training_flops_per_sequence
from c4forge.model.train_step import TrainState

Batch = Mapping[str, np.ndarray]
NORMALIZATIONS = ("sum", "per_token")
DECODE_METHODS = ("greedy", "beam", "sample")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Every training setting; `--set key=value` reaches each field (model/config.override)."""

    steps: int = 1000
    batch_size: int = 128  # global, over all hosts and devices
    inputs_length: int = 512
    targets_length: int = 114
    schedule: str = "rsqrt"  # "rsqrt" (pretraining) or "constant" (fine-tuning)
    learning_rate: float = 0.0  # 0: t5x's default, 1.0 for rsqrt and 1e-3 for constant
    warmup_steps: int = 10_000  # rsqrt is flat at lr / sqrt(warmup_steps) until then
    loss_normalization: str = "sum"  # "sum", "per_token" or a constant number
    z_loss: float = 1e-4
    accumulation_steps: int = 1
    partitioning: str = "data"  # "data", "tensor" (Mesh-TF T5 layout) or "fsdp"
    mesh_model: int = 1  # devices on the mesh's "model" axis; "data" gets the rest
    seed: int = 0  # parameters, dropout and the data order
    checkpoint_every: int = 1000
    keep_checkpoints: int = 3
    log_every: int = 10
    eval_every: int = 0  # 0: evaluate once, at the end
    eval_batches: int = 4  # validation-loss batches per evaluation
    eval_examples: int = 32  # decoded examples per task for the tasks' metrics (0: none)
    decode: str = "greedy"  # "greedy", "beam" or "sample"
    beam_size: int = 4
    peak_tflops: float = 0.0  # per device, for MFU; 0: from the device kind (none on CPU)
    finetune: str = "all"  # "all", "adapters" or "gradual_unfreezing" (model/finetune.py)
    unfreeze_every_steps: int = 0  # gradual_unfreezing's episode; 0: steps / blocks per stack
    data_tokens: int = 0  # > 0: train on the first data_tokens source tokens, repeated (Table 9)

    def __post_init__(self):
        positive = (
            "steps",
            "batch_size",
            "inputs_length",
            "targets_length",
            "accumulation_steps",
            "mesh_model",
            "checkpoint_every",
            "keep_checkpoints",
            "log_every",
            "beam_size",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name} must be >= 1, got {getattr(self, name)}")
        for name in (
            "eval_every",
            "eval_batches",
            "eval_examples",
            "learning_rate",
            "z_loss",
            "unfreeze_every_steps",
            "data_tokens",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"TrainConfig.{name} must be >= 0, got {getattr(self, name)}")
        if self.schedule not in train_step.SCHEDULES:
            raise ValueError(
                f"TrainConfig.schedule must be one of {', '.join(train_step.SCHEDULES)}; "
                f"got {self.schedule!r}"
            )
        if self.partitioning not in partitioning.MODES:
            raise ValueError(
                f"TrainConfig.partitioning must be one of {', '.join(partitioning.MODES)}; "
                f"got {self.partitioning!r}"
            )
        if self.finetune not in finetune.STRATEGIES:
            raise ValueError(
                f"TrainConfig.finetune must be one of {', '.join(finetune.STRATEGIES)}; "
                f"got {self.finetune!r}"
            )
        if self.decode not in DECODE_METHODS:
            raise ValueError(
                f"TrainConfig.decode must be one of {', '.join(DECODE_METHODS)}; "
                f"got {self.decode!r}"
            )
        normalization_value(self.loss_normalization)  # raises on a bad one

    @property
    def lengths(self) -> dict[str, int]:
        return {"inputs": self.inputs_length, "targets": self.targets_length}


def normalization_value(text: str) -> str | float:
    """ "sum" | "per_token" | a positive number (t5x's loss_normalizing_factor)."""
    if text in NORMALIZATIONS:
        return text
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ValueError(
            f"TrainConfig.loss_normalization must be sum, per_token or a positive number; "
            f"got {text!r}"
        )
    return value


def fine_tuning(config: TrainConfig) -> TrainConfig:
    """t5x's finetune.gin defaults: a constant 1e-3 learning rate."""
    return dataclasses.replace(config, schedule="constant", learning_rate=0.0)


class Reporter:
    """Where the loop's numbers go. Subclass and override what you need."""

    def step(self, step: int, metrics: dict[str, float]) -> None:
        """Every step's own metrics (loss, accuracy, ...), in order, at each fetch."""

    def log(self, step: int, scalars: dict[str, float]) -> None:
        """Every `log_every` steps: means since the last log, throughput and MFU."""

    def eval(self, step: int, scalars: dict[str, float]) -> None:
        """Results of an evaluation at `step`."""

    def checkpoint(self, step: int, seconds: float) -> None:
        """A checkpoint of `step` is on disk."""


class Trainer:
    """One run: the mesh, the jitted steps and the checkpoints of `run_dir`."""

    def __init__(
        self,
        model: T5Config,
        config: TrainConfig,
        run_dir: str,
        devices: list[jax.Device] | None = None,
    ):
        self.model, self.config = model, config
        devices = list(jax.devices() if devices is None else devices)
        if host_memory.on_cpu(devices):
            # XLA:CPU's per-step temporaries: reuse, don't re-fault. Fully effective only
            # before JAX and TensorFlow start threads; `c4forge train` calls it at start-up.
            host_memory.keep_freed_memory()
        if len(devices) % config.mesh_model:
            raise ValueError(
                f"mesh_model={config.mesh_model} does not divide the {len(devices)} devices"
            )
        data = len(devices) // config.mesh_model
        self.mesh = partitioning.make_mesh(data, config.mesh_model, devices)
        mode = config.partitioning
        partitioning.validate(model, self.mesh.shape, mode)  # one line, before compiling
        rows = data * config.accumulation_steps
        if config.batch_size % rows:
            raise ValueError(
                f"batch_size {config.batch_size} must be a multiple of data-parallel devices "
                f"({data}) x accumulation_steps ({config.accumulation_steps})"
            )
        if config.batch_size % jax.process_count():
            raise ValueError(
                f"batch_size {config.batch_size} must split evenly over {jax.process_count()} hosts"
            )
        self.optimizer = train_step.make_optimizer(
            config.schedule, config.learning_rate or None, config.warmup_steps
        )
        self._normalizer = normalization_value(config.loss_normalization)
        every = config.unfreeze_every_steps or finetune.default_unfreeze_every(config.steps, model)
        options = {
            "loss_normalization": self._normalizer,
            "z_loss": config.z_loss,
            "trainable": finetune.trainable_fn(model, config.finetune, every),
        }
        self._train_step = train_step.make_train_step(
            model,
            self.optimizer,
            self.mesh,
            mode,
            accumulation_steps=config.accumulation_steps,
            **options,
        )
        self._eval_step = train_step.make_eval_step(
            model, self.mesh, mode, loss_normalization="per_token", z_loss=config.z_loss
        )
        self.shardings = train_step.state_shardings(model, self.optimizer, self.mesh, mode)
        self._batch_sharding = partitioning.batch_sharding(self.mesh)
        self.dropout_rng = jax.random.fold_in(jax.random.key(config.seed), 1)
        self.checkpointer = Checkpointer(run_dir, keep=config.keep_checkpoints)
        kind = devices[0].device_kind
        self.peak = config.peak_tflops * 1e12 if config.peak_tflops else peak_flops(kind)
        self.flops_per_row = training_flops_per_sequence(
            model, config.inputs_length, config.targets_length
        )

    # -- state ---------------------------------------------------------------------------
    def init_state(self, params: Any | None = None) -> TrainState:
        """Step 0: fresh parameters from the seed, or `params` (a tree of arrays, e.g. a
        released checkpoint) with a fresh optimizer state. Both come out already sharded.
        Adapter parameters `params` lacks are initialised from the seed (model/finetune.py)."""
        if params is None:
            return train_step.init_state(
                self.model,
                jax.random.fold_in(jax.random.key(self.config.seed), 0),
                self.optimizer,
                self.mesh,
                self.config.partitioning,
            )
        seed = jax.random.fold_in(jax.random.key(self.config.seed), 0)
        params = finetune.add_adapters(self.model, params, seed)
        check_params(self.model, params)
        params = jax.device_put(params, self.shardings.params)

        def start(p):
            return TrainState(jax.numpy.zeros((), jax.numpy.int32), p, self.optimizer.init(p))

        return jax.jit(start, out_shardings=self.shardings)(params)

    def abstract_state(self) -> TrainState:
        init = functools.partial(train_step._init_state_fn, self.model, self.optimizer)
        shapes = jax.eval_shape(init, jax.random.key(0))
        return jax.tree_util.tree_map(
            lambda s, sharding: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=sharding),
            shapes,
            self.shardings,
        )

    def restore(self) -> tuple[TrainState, dict] | None:
        """The latest checkpoint's state and this host's data state, or None if there is none."""
        if self.checkpointer.latest_step() is None:
            return None
        state, data = self.checkpointer.restore(self.abstract_state())
        hosts = data["data"]
        if len(hosts) != jax.process_count():
            raise ValueError(
                f"the checkpoint was written by {len(hosts)} hosts; resume with as many "
                f"(this run has {jax.process_count()})"
            )
        return state, hosts[jax.process_index()]

    # -- batches ---------------------------------------------------------------------------
    def put_batch(self, batch: Batch) -> dict[str, jax.Array]:
        """This host's rows -> global arrays sharded over the mesh's data axis."""
        return {
            key: jax.make_array_from_process_local_data(self._batch_sharding, np.asarray(value))
            for key, value in batch.items()
        }

    # -- evaluation ------------------------------------------------------------------------
    def validation_loss(self, params, batches: Iterator[Batch], count: int) -> dict[str, float]:
        """Per-token loss and accuracy over `count` batches (teacher forcing, no dropout)."""
        loss = correct = weight = 0.0
        for _ in range(count):
            try:
                batch = next(batches)
            except StopIteration:
                break
            m = jax.device_get(self._eval_step(params, self.put_batch(batch)))
            loss += float(m["loss"]) * float(m["weight_sum"])
            correct += float(m["correct"])
            weight += float(m["weight_sum"])
        if not weight:
            return {}
        return {"loss": loss / weight, "accuracy": correct / weight, "tokens": weight}

    # -- the loop --------------------------------------------------------------------------
    def run(
        self,
        state: TrainState,
        batches: Iterator[Batch],
        data_state: Callable[[], dict],
        *,
        evaluate: Callable[[Any, int], dict[str, float]] | None = None,
        reporter: Reporter | None = None,
    ) -> TrainState:
        """Train from `state.step` to `config.steps`. Raises FloatingPointError on a
        non-finite metric (no checkpoint is written after it)."""
        cfg, reporter = self.config, reporter or Reporter()
        step = int(jax.device_get(state.step))
        pending: list[dict] = []
        clock = _Clock()
        while step < cfg.steps:
            state, metrics = self._train_step(
                state, self.put_batch(next(batches)), self.dropout_rng
            )
            step += 1
            pending.append(metrics)
            save = step % cfg.checkpoint_every == 0 or step == cfg.steps
            do_eval = evaluate is not None and (
                step == cfg.steps or (cfg.eval_every and step % cfg.eval_every == 0)
            )
            if not (save or do_eval or step % cfg.log_every == 0 or clock.compiling):
                continue
            fetched = [_floats(m) for m in jax.device_get(pending)]
            pending = []
            for m in fetched:
                done = int(m.pop("step")) + 1  # metrics carry the step they trained at
                train_step.check_finite(m, done)
                reporter.step(done, m)
            reporter.log(step, self._throughput(fetched, clock.lap()))
            if save:
                started = time.perf_counter()
                self.checkpointer.save(state, {"data": gather_json(data_state())})
                reporter.checkpoint(step, time.perf_counter() - started)
            if do_eval:
                reporter.eval(step, evaluate(state.params, step))
            if save or do_eval:
                clock.restart()  # checkpoint and eval time is not training time
        return state

    def _throughput(self, fetched: list[dict], seconds: float | None) -> dict[str, float]:
        means = {
            key: float(np.mean([m[key] for m in fetched]))
            for key in ("loss", "z_loss", "accuracy", "grad_norm")
        }
        # Whatever the normalisation, also the mean loss per target token (what people read).
        scale = self._normalizer
        per_token = [
            m["loss"]
            if scale == "per_token"
            else m["loss"] * (1.0 if scale == "sum" else scale) / max(m["weight_sum"], 1e-12)
            for m in fetched
        ]
        means["loss_per_token"] = float(np.mean(per_token))
        means["learning_rate"] = fetched[-1]["learning_rate"]
        if seconds:  # None for the first (compiling) step
            rows = self.config.batch_size * len(fetched) / seconds
            means["rows_per_second"] = rows
            means["tokens_per_second"] = rows * (
                self.config.inputs_length + self.config.targets_length
            )
            means["step_seconds"] = seconds / len(fetched)
            flops = rows * self.flops_per_row
            means["model_tflops"] = flops / 1e12
            value = mfu(flops, self.peak, self.mesh.size)
            if value is not None:
                means["mfu"] = value
        return means

    def close(self) -> None:
        self.checkpointer.close()


class _Clock:
    """Wall time per batch of steps; the first step (compilation) and pauses are not timed."""

    def __init__(self):
        self.compiling, self._start = True, None

    def lap(self) -> float | None:
        now = time.perf_counter()
        seconds = None if self._start is None else now - self._start
        self._start, self.compiling = now, False
        return seconds

    def restart(self) -> None:
        self._start = time.perf_counter()


def _floats(metrics: Mapping[str, Any]) -> dict[str, float]:
    return {key: float(np.asarray(value)) for key, value in metrics.items()}


def check_params(model: T5Config, params: Any) -> None:
    """One line if `params` does not have `Transformer(model)`'s tree and shapes."""
    from flax import linen as nn

    from c4forge.model.t5 import abstract_params

    want = {
        jax.tree_util.keystr(path): leaf.shape
        for path, leaf in jax.tree_util.tree_leaves_with_path(nn.unbox(abstract_params(model)))
    }
    have = {
        jax.tree_util.keystr(path): np.shape(leaf)
        for path, leaf in jax.tree_util.tree_leaves_with_path(params)
    }
    for key, shape in want.items():
        if key not in have:
            raise ValueError(f"the checkpoint has no parameter {key}; the model needs it")
        if tuple(have[key]) != tuple(shape):
            raise ValueError(
                f"parameter {key} is {tuple(have[key])} in the checkpoint but the model wants "
                f"{tuple(shape)}: the model config must match the checkpoint's"
            )
    extra = sorted(set(have) - set(want))
    if extra:
        raise ValueError(f"the checkpoint has parameters the model lacks: {', '.join(extra[:3])}")


def gather_json(value: Any) -> list:
    """[every host's `value`], in process order (just [value] on one host)."""
    if jax.process_count() == 1:
        return [value]
    from jax.experimental import multihost_utils

    encoded = np.frombuffer(json.dumps(value).encode(), np.uint8)
    sizes = multihost_utils.process_allgather(np.array([encoded.size], np.int64))
    padded = np.zeros(int(np.max(sizes)), np.uint8)
    padded[: encoded.size] = encoded
    gathered = multihost_utils.process_allgather(padded)
    return [
        json.loads(bytes(row[: int(size)]).decode())
        for row, size in zip(gathered, np.ravel(sizes), strict=True)
    ]
