"""The T5 study's fine-tuning strategies: which parameters train, and from which step.

Raffel et al. 2020 §3.5.1, Table 10 (STUDY.md §5):
- `all`: every parameter (the baseline).
- `adapters` (Houlsby 2019; Bapna 2019): a DenseReluDense of inner size `T5Config.adapter_dim`
  after every MLP block (model/t5.py); "only the adapter layer and layer normalization
  parameters are updated": the adapters and every RMSNorm scale (the adapters' own, the blocks'
  and the stacks' final ones). T5's `task_adapter.gin` trains only the adapter scope; we follow
  the paper's text. Adapter parameters a checkpoint lacks are initialised from the seed
  (`add_adapters`); the output projection starts at zero, so training starts from the checkpoint.
- `gradual_unfreezing` (Howard & Ruder 2018): encoder and decoder unfrozen in parallel from the
  top, one more block every `every` steps; in episode e (steps e*every ... (e+1)*every - 1,
  from 0) a stack of L blocks trains blocks L-1-e ... L-1. The paper cuts 2^18 steps into 12
  episodes of 2^18/12 steps (`default_unfreeze_every`). Trained throughout: the shared
  embedding and the output matrix (as the paper says), and the stacks' final layer norms (they
  sit above the top block: our choice). A stack's relative-position table unfreezes with its
  block 0, the block that holds it in Mesh-TF checkpoints (`block_000/.../relative_attention_bias`).

A schedule is a table path -> the step from which that parameter trains (`unfreeze_steps`;
NEVER: frozen). `trainable_fn` turns it into step -> tree of booleans, evaluated inside the
jitted step; `drop_frozen_gradients` and `keep_frozen` apply it there (model/train_step.py).
Frozen parameters are carried over unchanged by `jnp.where`, so they are bit-identical after
any number of steps whatever Adafactor does. Parameters frozen for the whole run (a static
False) also get a zero gradient, so XLA drops the matmuls that would compute it; blocks still
waiting to unfreeze keep their gradient, so Adafactor's second-moment estimates are warm when
they start to move.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
from flax import traverse_util

from c4forge.model.config import T5Config

STRATEGIES = ("all", "adapters", "gradual_unfreezing")
NEVER = -1  # in a schedule: never trained
Path = tuple[str, ...]

_BLOCK = re.compile(r"layers_(\d+)")


def _paths(config: T5Config) -> list[Path]:
    from flax import linen as nn

    from c4forge.model.t5 import abstract_params

    flat = traverse_util.flatten_dict(nn.unbox(abstract_params(config)))
    return list(flat)


def is_adapter(path: Path) -> bool:
    """An adapter block's parameter (its DenseReluDense or its pre-norm)."""
    return "adapter" in path or "pre_adapter_layer_norm" in path


def is_layer_norm(path: Path) -> bool:
    # RMSNorm modules are named *_norm (pre_mlp_layer_norm, encoder_norm, ...); `scale` is theirs.
    return len(path) >= 2 and path[-2].endswith("norm") and path[-1] == "scale"


def _block_of(path: Path) -> tuple[Path, int] | None:
    """(stack, block index) of a parameter inside a block or owned by one; None outside."""
    for i, key in enumerate(path):
        match = _BLOCK.fullmatch(key)
        if match:
            return path[:i], int(match.group(1))
        if key == "relpos_bias":  # the stack's shared table: block 0's in Mesh-TF
            return path[:i], 0
    return None


def unfreeze_steps(config: T5Config, strategy: str, every: int = 0) -> dict[Path, int]:
    """path -> first step at which that parameter trains (0: from the start; NEVER: frozen)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"finetune must be one of {', '.join(STRATEGIES)}; got {strategy!r}")
    paths = _paths(config)
    if strategy == "all":
        return dict.fromkeys(paths, 0)
    if strategy == "adapters":
        if not config.adapter_dim:
            raise ValueError(
                "finetune=adapters needs adapter_dim > 0 (the paper: 32, 128, 512 or 2048)"
            )
        return {p: 0 if is_adapter(p) or is_layer_norm(p) else NEVER for p in paths}
    if every < 1:
        raise ValueError(
            f"finetune=gradual_unfreezing needs unfreeze_every_steps >= 1, got {every}"
        )
    depth: dict[Path, int] = {}  # stack -> number of blocks
    for p in paths:
        where = _block_of(p)
        if where and p[len(where[0])] != "relpos_bias":
            depth[where[0]] = max(depth.get(where[0], 0), where[1] + 1)
    table = {}
    for p in paths:
        where = _block_of(p)
        if where is None or where[0] not in depth:  # embedding, logits, final norms
            table[p] = 0
        else:
            table[p] = (depth[where[0]] - 1 - where[1]) * every
    return table


def default_unfreeze_every(steps: int, config: T5Config) -> int:
    """The paper's episode length: fine-tuning steps / blocks per stack (2^18 / 12), at least 1."""
    return max(1, steps // max(1, config.num_encoder_layers, config.num_decoder_layers))


def trainable_fn(
    config: T5Config, strategy: str, every: int = 0
) -> Callable[[jax.Array], Any] | None:
    """step -> tree (like the params) of booleans: True where the parameter trains at `step`.

    Leaves are Python bools where the answer never changes (so XLA can prune) and traced
    `step >= start` where it does. None for `all`: nothing to mask.
    """
    if strategy == "all":
        return None
    table = unfreeze_steps(config, strategy, every)

    def trainable(step: jax.Array) -> Any:
        flat = {
            p: start == 0 if start in (0, NEVER) else jnp.asarray(step) >= start
            for p, start in table.items()
        }
        return traverse_util.unflatten_dict(flat)

    return trainable


def drop_frozen_gradients(grads: Any, mask: Any) -> Any:
    """Zero gradients of parameters frozen for the whole run (a static False in `mask`)."""
    return jax.tree_util.tree_map(lambda g, m: jnp.zeros_like(g) if m is False else g, grads, mask)


def keep_frozen(new_params: Any, old_params: Any, mask: Any) -> Any:
    """`new_params` where the mask trains, `old_params` (bit for bit) everywhere else."""

    def pick(new, old, m):
        if m is True:
            return new
        if m is False:
            return old
        return jnp.where(m, new, old)

    return jax.tree_util.tree_map(pick, new_params, old_params, mask)


def add_adapters(config: T5Config, params: Mapping[str, Any], rng: jax.Array) -> Any:
    """`params` (e.g. a checkpoint without adapters) plus the adapter parameters `config` wants
    and it lacks, initialised from `rng`. Anything else missing is left for `check_params`."""
    have = traverse_util.flatten_dict(params)
    missing = [p for p in _paths(config) if p not in have and is_adapter(p)]
    if not missing:
        return params
    from c4forge.model.partitioning import init_fn

    def fresh(key):
        # Only the missing leaves leave the jit: XLA drops the rest of the initialisation.
        flat = traverse_util.flatten_dict(init_fn(config, key))
        return {p: flat[p] for p in missing}

    new = jax.device_get(jax.jit(fresh)(rng))
    return traverse_util.unflatten_dict({**have, **new})


def trained_fraction(config: T5Config, strategy: str) -> tuple[int, int]:
    """(parameters trained at the end of fine-tuning, all parameters): for the run's log."""
    import math

    from flax import linen as nn

    from c4forge.model.t5 import abstract_params

    shapes = traverse_util.flatten_dict(nn.unbox(abstract_params(config)))
    table = unfreeze_steps(config, strategy, 1)
    trained = sum(math.prod(shapes[p].shape) for p, s in table.items() if s != NEVER)
    return trained, sum(math.prod(s.shape) for s in shapes.values())


__all__ = [
    "NEVER",
    "STRATEGIES",
    "add_adapters",
    "default_unfreeze_every",
    "drop_frozen_gradients",
    "is_adapter",
    "is_layer_norm",
    "keep_frozen",
    "trainable_fn",
    "trained_fraction",
    "unfreeze_steps",
]
