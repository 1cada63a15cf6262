"""The pure T5 training step and its state, with the t5x recipe (MODEL.md §2).

- Optimizer: Adafactor as t5x (`decay_rate` 0.8, update clipping 1.0, no momentum, parameter
  scaling, factoring from 128, eps 1e-30), i.e. optax's defaults; learning rate
  base / sqrt(max(step, warmup)) for pretraining (base 1.0: 0.01 for 10k steps, then rsqrt
  decay) or a constant 1e-3 for fine-tuning.
- Loss: weighted cross-entropy + z-loss 1e-4 (model/losses.py), normalised by "sum" (t5x's
  default), "per_token" or a constant.
- Precision: parameters and gradients float32; activations in `config.dtype` (bf16 for
  pretraining); logits and loss float32 (model/t5.py).
- Gradient accumulation: the batch is split into micro-batches whose gradients are summed
  before one optimizer update; the normaliser comes from the whole batch, so accumulating is
  the same step as one big batch for every normalisation (up to float summation order).

`train_step`/`eval_step` are pure functions of arrays; `make_train_step`/`make_eval_step` jit
them with shardings from model/partitioning.py. Layout follows flax `examples/lm1b/train.py`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct

from c4forge.model import finetune, losses, partitioning
from c4forge.model.config import T5Config
from c4forge.model.t5 import Transformer

Array = jax.Array
Batch = Mapping[str, Any]

SCHEDULES = ("rsqrt", "constant")
DEFAULT_LEARNING_RATES = {"rsqrt": 1.0, "constant": 1e-3}
# Feature-converter keys the model reads; other keys in a batch are ignored.
MODEL_INPUTS = (
    "encoder_input_tokens",
    "decoder_input_tokens",
    "encoder_segment_ids",
    "decoder_segment_ids",
    "encoder_positions",
    "decoder_positions",
    "decoder_causal_attention",  # prefix LM (seqio's PrefixLMFeatureConverter)
)


class TrainState(struct.PyTreeNode):
    """step: int32 scalar, updates applied so far; params: unboxed float32 tree; opt_state."""

    step: Array
    params: Any
    opt_state: Any


# ---------------------------------------------------------------------------------------------
# Optimizer and schedule.


def make_schedule(
    schedule: str = "rsqrt", learning_rate: float | None = None, warmup_steps: int = 10_000
) -> Callable[[Array], Array]:
    """step -> learning rate. rsqrt: lr / sqrt(max(step, warmup_steps)); constant: lr.

    `learning_rate=None` takes the t5x value: 1.0 for rsqrt (pretrain.gin), 1e-3 for constant
    (finetune.gin). There is no linear warm-up: the rate is flat for `warmup_steps`.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; known: {', '.join(SCHEDULES)}")
    base = DEFAULT_LEARNING_RATES[schedule] if learning_rate is None else float(learning_rate)
    if not base > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    if schedule == "constant":
        return optax.constant_schedule(base)
    if warmup_steps < 1:
        raise ValueError(f"warmup_steps must be >= 1 for the rsqrt schedule, got {warmup_steps}")

    def rsqrt(step):
        step = jnp.asarray(step, jnp.float32)
        return base / jnp.sqrt(jnp.maximum(step, float(warmup_steps)))

    return rsqrt


@dataclasses.dataclass(frozen=True)
class Optimizer:
    """An optax transformation and the schedule it uses (the schedule also feeds the metrics).

    Duck-types `optax.GradientTransformation` (`init`, `update`).
    """

    tx: optax.GradientTransformation
    schedule: Callable[[Array], Array]

    def init(self, params):
        return self.tx.init(params)

    def update(self, grads, opt_state, params=None):
        return self.tx.update(grads, opt_state, params)


def make_optimizer(
    schedule: str = "rsqrt", learning_rate: float | None = None, warmup_steps: int = 10_000
) -> Optimizer:
    """t5x's Adafactor with the pretraining (rsqrt) or fine-tuning (constant) schedule."""
    lr = make_schedule(schedule, learning_rate, warmup_steps)
    tx = optax.adafactor(
        learning_rate=lr,
        decay_rate=0.8,
        clipping_threshold=1.0,
        momentum=None,
        multiply_by_parameter_scale=True,
        min_dim_size_to_factor=128,
        eps=1e-30,
    )
    return Optimizer(tx, lr)


# ---------------------------------------------------------------------------------------------
# State.


def _init_state_fn(config: T5Config, optimizer: Optimizer, rng: Array) -> TrainState:
    params = partitioning.init_fn(config, rng)
    return TrainState(jnp.zeros((), jnp.int32), params, optimizer.init(params))


def state_shardings(
    config: T5Config, optimizer: Optimizer, mesh: jax.sharding.Mesh, mode: str = "data"
) -> TrainState:
    """A TrainState of NamedShardings: parameters by the rules of `mode`, optimizer leaves
    shaped like parameters as their parameter, the rest replicated."""
    abstract = jax.eval_shape(
        functools.partial(_init_state_fn, config, optimizer), jax.random.key(0)
    )
    return TrainState(
        step=partitioning.replicated(mesh),
        params=partitioning.param_shardings(config, mesh, mode),
        opt_state=partitioning.opt_state_shardings(config, abstract.opt_state, mesh, mode),
    )


def init_state(
    config: T5Config,
    rng: Array,
    optimizer: Optimizer,
    mesh: jax.sharding.Mesh | None = None,
    mode: str = "data",
) -> TrainState:
    """Step 0. With a mesh, parameters and optimizer state are created already sharded."""
    init = functools.partial(_init_state_fn, config, optimizer)
    if mesh is None:
        return jax.jit(init)(rng)
    shardings = state_shardings(config, optimizer, mesh, mode)
    return jax.jit(init, out_shardings=shardings)(rng)


# ---------------------------------------------------------------------------------------------
# Steps.


def _loss_weights(batch: Batch) -> Array:
    weights = batch.get("decoder_loss_weights")
    if weights is None:  # unpacked data without weights: every non-pad target counts
        weights = batch["decoder_target_tokens"] > 0
    return jnp.asarray(weights, jnp.float32)


def _sums(config: T5Config, params, batch: Batch, z_loss: float, rng: Array | None):
    """Forward on one (micro-)batch: (loss sum, (z-loss sum, weight sum, weighted hits))."""
    inputs = {k: batch[k] for k in MODEL_INPUTS if k in batch}
    deterministic = rng is None
    logits = Transformer(config).apply(
        {"params": params},
        **inputs,
        deterministic=deterministic,
        rngs=None if deterministic else {"dropout": rng},
    )  # float32 [b, q, n]
    targets, weights = batch["decoder_target_tokens"], _loss_weights(batch)
    loss, z, weight_sum = losses.cross_entropy_with_z_loss(logits, targets, weights, z_loss)
    return loss, (z, weight_sum, losses.weighted_correct(logits, targets, weights))


def _split_micro_batches(batch: Batch, steps: int) -> Batch:
    # Micro-batch i takes rows i, i + steps, i + 2 * steps, ...: a data-sharded batch whose
    # per-device rows divide by `steps` then splits without moving rows between devices.
    def split(x):
        x = jnp.asarray(x)
        return x.reshape(x.shape[0] // steps, steps, *x.shape[1:]).swapaxes(0, 1)

    return {k: split(v) for k, v in batch.items()}


def train_step(
    state: TrainState,
    batch: Batch,
    dropout_rng: Array | None = None,
    *,
    config: T5Config,
    optimizer: Optimizer,
    loss_normalization: str | float = "sum",
    z_loss: float = 1e-4,
    accumulation_steps: int = 1,
    trainable: Callable[[Array], Any] | None = None,
) -> tuple[TrainState, dict[str, Array]]:
    """One optimizer update on `batch` (feature-converter dict of int32 [batch, length]).

    Dropout runs when `config.dropout_rate > 0` and `dropout_rng` is given; the step's key is
    fold_in(dropout_rng, state.step), so one key serves the whole run and a resumed run draws
    the same masks. Metrics: loss and z_loss (normalised as the loss), weight_sum, accuracy
    (weighted), learning_rate (the rate of this update), grad_norm (after normalisation, before
    Adafactor) and step (the step this batch was trained at).

    `trainable` (model/finetune.py: step -> tree of booleans) freezes parameters: they come out
    bit-identical; None trains everything.
    """
    batch_size = batch["decoder_target_tokens"].shape[0]
    if accumulation_steps < 1 or batch_size % accumulation_steps:
        raise ValueError(
            f"batch size {batch_size} is not divisible by accumulation_steps={accumulation_steps}"
        )
    weights = _loss_weights(batch)
    divisor = losses.normalizer(loss_normalization, weights)
    use_dropout = config.dropout_rate > 0 and dropout_rng is not None
    step_rng = jax.random.fold_in(dropout_rng, state.step) if use_dropout else None
    grad_fn = jax.value_and_grad(functools.partial(_sums, config), has_aux=True)

    if accumulation_steps == 1:
        (loss, (z, weight_sum, correct)), grads = grad_fn(state.params, batch, z_loss, step_rng)
    else:
        micro = _split_micro_batches(batch, accumulation_steps)

        def accumulate(carry, xs):
            micro_batch, index = xs
            rng = None if step_rng is None else jax.random.fold_in(step_rng, index)
            (loss, aux), grads = grad_fn(state.params, micro_batch, z_loss, rng)
            sums, total = carry
            return (jax.tree_util.tree_map(jnp.add, sums, (loss, *aux)), _add(total, grads)), None

        zeros = jax.tree_util.tree_map(jnp.zeros_like, state.params)
        init = ((jnp.float32(0),) * 4, zeros)
        indices = jnp.arange(accumulation_steps)
        ((loss, z, weight_sum, correct), grads), _ = jax.lax.scan(
            accumulate, init, (micro, indices)
        )

    grads = jax.tree_util.tree_map(lambda g: g / divisor, grads)
    mask = None if trainable is None else trainable(state.step)
    if mask is not None:
        grads = finetune.drop_frozen_gradients(grads, mask)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    if mask is not None:
        params = finetune.keep_frozen(params, state.params, mask)
    metrics = {
        "loss": loss / divisor,
        "z_loss": z / divisor,
        "weight_sum": weight_sum,
        "accuracy": correct / jnp.maximum(weight_sum, 1e-12),
        "learning_rate": jnp.asarray(optimizer.schedule(state.step), jnp.float32),
        "grad_norm": optax.global_norm(grads),
        "step": state.step,
    }
    new_state = TrainState(state.step + 1, params, opt_state)
    return new_state, metrics


def _add(a, b):
    return jax.tree_util.tree_map(jnp.add, a, b)


def eval_step(
    params,
    batch: Batch,
    *,
    config: T5Config,
    loss_normalization: str | float = "sum",
    z_loss: float = 1e-4,
) -> dict[str, Array]:
    """Teacher-forced loss on `batch`, no dropout. `correct` and `weight_sum` are sums, so
    accuracy over many batches is sum(correct) / sum(weight_sum)."""
    loss, (z, weight_sum, correct) = _sums(config, params, batch, z_loss, None)
    divisor = losses.normalizer(loss_normalization, _loss_weights(batch))
    return {
        "loss": loss / divisor,
        "z_loss": z / divisor,
        "weight_sum": weight_sum,
        "correct": correct,
        "accuracy": correct / jnp.maximum(weight_sum, 1e-12),
    }


# ---------------------------------------------------------------------------------------------
# Jitted, partitioned steps.


def make_train_step(
    config: T5Config,
    optimizer: Optimizer,
    mesh: jax.sharding.Mesh | None = None,
    mode: str = "data",
    *,
    donate: bool = True,
    **options: Any,
) -> Callable[[TrainState, Batch, Array | None], tuple[TrainState, dict[str, Array]]]:
    """`train_step` jitted; with a mesh, state and batch shardings pinned in and out.

    `options` are train_step's loss_normalization, z_loss, accumulation_steps and trainable.
    The state is donated (updated in place) unless `donate=False`.
    """
    step = functools.partial(train_step, config=config, optimizer=optimizer, **options)
    donate_argnums = (0,) if donate else ()
    if mesh is None:
        return jax.jit(step, donate_argnums=donate_argnums)
    shardings = state_shardings(config, optimizer, mesh, mode)
    data, rep = partitioning.batch_sharding(mesh), partitioning.replicated(mesh)
    jitted = jax.jit(
        step,
        in_shardings=(shardings, data, rep),
        out_shardings=(shardings, rep),
        donate_argnums=donate_argnums,
    )

    def run(state, batch, dropout_rng=None):
        partitioning.check_batch(batch["decoder_target_tokens"].shape[0], mesh)
        with partitioning.activate(mesh, mode):
            return jitted(state, batch, dropout_rng)

    return run


def make_eval_step(
    config: T5Config, mesh: jax.sharding.Mesh | None = None, mode: str = "data", **options: Any
) -> Callable[[Any, Batch], dict[str, Array]]:
    """`eval_step` jitted; with a mesh, parameters and batch sharded as in training."""
    step = functools.partial(eval_step, config=config, **options)
    if mesh is None:
        return jax.jit(step)
    params = partitioning.param_shardings(config, mesh, mode)
    jitted = jax.jit(
        step,
        in_shardings=(params, partitioning.batch_sharding(mesh)),
        out_shardings=partitioning.replicated(mesh),
    )

    def run(params, batch):
        partitioning.check_batch(batch["decoder_target_tokens"].shape[0], mesh)
        with partitioning.activate(mesh, mode):
            return jitted(params, batch)

    return run


# ---------------------------------------------------------------------------------------------
# Divergence.


def check_finite(metrics: Mapping[str, Any], step: int | None = None) -> None:
    """Raise FloatingPointError naming the step and the non-finite metrics (loss, z_loss, ...).

    `step` defaults to metrics["step"]. Call it on fetched metrics: it syncs with the device.
    """
    bad = {}
    for name, value in metrics.items():
        array = np.asarray(value)
        if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
            bad[name] = array
    if not bad:
        return
    if step is None and "step" in metrics:
        step = int(np.asarray(metrics["step"]))
    where = "" if step is None else f" at step {step}"
    values = ", ".join(f"{name}={_fmt(value)}" for name, value in bad.items())
    raise FloatingPointError(f"non-finite training metrics{where}: {values}")


def _fmt(value: np.ndarray) -> str:
    return str(float(value)) if value.size == 1 else f"array with {value.size} entries"


__all__ = [
    "Optimizer",
    "TrainState",
    "check_finite",
    "eval_step",
    "init_state",
    "make_eval_step",
    "make_optimizer",
    "make_schedule",
    "make_train_step",
    "state_shardings",
    "train_step",
]
