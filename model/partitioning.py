"""Mesh, logical-axis rules and shardings for the T5 of model/t5.py (t5x `partitioning.py`).

The model names axes only (`batch`, `embed`, `vocab`, `mlp`, `heads`, `joined_kv`, `kv`, `length`,
`relpos_buckets`); one rule table per mode maps them onto a 2-D mesh ('data', 'model'):
- `data`: data parallelism; batch -> data, every parameter replicated.
- `tensor`: t5x `standard_logical_axis_rules()` (Mesh-TF T5's layout): batch -> data and
  vocab, mlp, heads, joined_kv -> model (Megatron-style tensor parallelism over `model`).
- `fsdp`: the tensor rules plus embed -> data (ZeRO-3 style parameter sharding over `data`;
  t5x `parameter_partitioning_dims=2`).

Flax assigns rules in table order and uses each mesh axis once per array, so `batch` (listed
first) takes `data` in activations [batch, length, embed] while parameters, which have no batch
axis, put `embed` on `data`. Meshes use `AxisType.Auto`: jax 0.10's default (Explicit) makes
Linen's `with_logical_constraint` assert (MODEL.md §5).
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jax
from flax import linen as nn
from jax.sharding import NamedSharding, PartitionSpec

from c4forge.model.config import T5Config
from c4forge.model.t5 import abstract_params, init_variables

AXES = ("data", "model")
MODES = ("data", "tensor", "fsdp")

_REPLICATED = (
    ("length", None),
    ("kv", None),
    ("relpos_buckets", None),
    ("mlp_activations", None),
    ("layers", None),
    ("stack", None),
)
_RULES: dict[str, tuple[tuple[str, str | None], ...]] = {
    "data": (
        ("batch", "data"),
        ("vocab", None),
        ("embed", None),
        ("mlp", None),
        ("heads", None),
        ("joined_kv", None),
        *_REPLICATED,
    ),
    "tensor": (
        ("batch", "data"),
        ("vocab", "model"),
        ("mlp", "model"),
        ("heads", "model"),
        ("joined_kv", "model"),
        ("embed", None),
        *_REPLICATED,
    ),
    "fsdp": (
        ("batch", "data"),  # first: activations keep `data` for the batch, not for `embed`
        ("vocab", "model"),
        ("mlp", "model"),
        ("heads", "model"),
        ("joined_kv", "model"),
        ("embed", "data"),
        *_REPLICATED,
    ),
}

# What each logical axis measures, for error messages.
_FIELDS = {
    "vocab": "vocab_size",
    "embed": "d_model",
    "mlp": "d_ff",
    "heads": "num_heads",
    "joined_kv": "num_heads*d_kv",
    "kv": "d_kv",
    "relpos_buckets": "relative_buckets",
}
_ORDER = ("heads", "kv", "joined_kv", "mlp", "vocab", "embed")


def rules(mode: str) -> tuple[tuple[str, str | None], ...]:
    """The logical-axis rule table of `mode` ("data", "tensor" or "fsdp")."""
    try:
        return _RULES[mode]
    except KeyError:
        raise ValueError(f"unknown partitioning mode {mode!r}; known: {', '.join(MODES)}") from None


def make_mesh(
    data: int, model: int, devices: Sequence[jax.Device] | None = None
) -> jax.sharding.Mesh:
    """A ('data', 'model') mesh of `data` x `model` devices (all of `devices`, default all)."""
    devices = list(jax.devices() if devices is None else devices)
    if data < 1 or model < 1:
        raise ValueError(f"mesh sizes must be positive, got data={data} model={model}")
    if data * model != len(devices):
        raise ValueError(
            f"mesh data={data} x model={model} needs {data * model} devices, "
            f"but {len(devices)} are given"
        )
    auto = (jax.sharding.AxisType.Auto,) * len(AXES)
    return jax.make_mesh((data, model), AXES, axis_types=auto, devices=devices)


@contextlib.contextmanager
def activate(mesh: jax.sharding.Mesh, mode: str) -> Iterator[None]:
    """Mesh and rules in context: Linen's activation constraints resolve while tracing."""
    with jax.set_mesh(mesh), nn.logical_axis_rules(rules(mode)):
        yield


@functools.cache  # configs are frozen; eval_shape of a deep init is not free
def _abstract(config: T5Config):
    return abstract_params(config)


def _mesh_axes(entry: Any) -> tuple[str, ...]:
    if entry is None:
        return ()
    return (entry,) if isinstance(entry, str) else tuple(entry)


def validate(config: T5Config, axis_sizes: Mapping[str, int], mode: str) -> None:
    """Raise one line if `mode` cannot shard `config` over a mesh of `axis_sizes`.

    Walks the logical names of every parameter, so what is checked is what will be sharded:
    heads, joined_kv, mlp and vocab over `model` (tensor, fsdp), embed over `data` (fsdp).
    """
    table = rules(mode)
    sizes = {axis: int(axis_sizes.get(axis, 1)) for axis in AXES}
    if mode == "data" and sizes["model"] != 1:
        raise ValueError(
            f"mode 'data' replicates parameters and has no use for model={sizes['model']}; "
            "use model=1 or mode 'tensor'/'fsdp'"
        )
    failures = {}  # logical axis -> (dimension, mesh axes, number of parts)
    for leaf in jax.tree_util.tree_leaves(
        _abstract(config), is_leaf=lambda x: isinstance(x, nn.Partitioned)
    ):
        spec = nn.logical_to_mesh_axes(leaf.names, table)
        for name, entry, dim in zip(leaf.names, spec, leaf.value.shape, strict=True):
            axes = _mesh_axes(entry)
            parts = math.prod(sizes[axis] for axis in axes)
            if dim % parts:
                failures.setdefault(name, (dim, axes, parts))
    if failures:
        # Report in a fixed order (the config field to change first), not tree order.
        name = min(failures, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
        dim, axes, parts = failures[name]
        raise ValueError(
            f"mode {mode!r} shards {name!r} ({_FIELDS.get(name, name)}={dim}) over mesh axis "
            f"{'x'.join(axes)!r} of size {parts}, which does not divide it"
        )


def param_shardings(config: T5Config, mesh: jax.sharding.Mesh, mode: str):
    """NamedShardings mirroring the (unboxed) parameter tree of `Transformer(config)`."""
    validate(config, mesh.shape, mode)
    specs = nn.get_partition_spec(_abstract(config))
    return nn.logical_to_mesh_sharding(specs, mesh, rules(mode))


def replicated(mesh: jax.sharding.Mesh) -> NamedSharding:
    return NamedSharding(mesh, PartitionSpec())


def batch_sharding(mesh: jax.sharding.Mesh) -> NamedSharding:
    """[batch, length] features: rows split over `data`, replicated over `model`."""
    return NamedSharding(mesh, PartitionSpec("data"))


def check_batch(batch_size: int, mesh: jax.sharding.Mesh) -> None:
    data = mesh.shape["data"]
    if batch_size % data:
        raise ValueError(f"batch size {batch_size} is not divisible by mesh axis 'data'={data}")


def opt_state_shardings(config: T5Config, abstract_opt_state, mesh: jax.sharding.Mesh, mode: str):
    """Shardings for an optimizer state over `Transformer(config)`'s parameters.

    A leaf shaped like a parameter and found at a path ending in that parameter's path
    (Adafactor's unfactored `v`, Adam's moments) takes the parameter's sharding; everything else
    (counts, factored row/column statistics, placeholders) is small and replicated.
    """
    shardings = param_shardings(config, mesh, mode)
    shapes = nn.unbox(_abstract(config))
    by_path = {
        tuple(path): (tuple(shapes_leaf.shape), sharding)
        for (path, sharding), shapes_leaf in zip(
            jax.tree_util.tree_leaves_with_path(shardings),
            jax.tree_util.tree_leaves(shapes),
            strict=True,
        )
    }

    def pick(path, leaf):
        for start in range(len(path)):
            shape, sharding = by_path.get(tuple(path[start:]), (None, None))
            if shape == tuple(leaf.shape):
                return sharding
        return replicated(mesh)

    return jax.tree_util.tree_map_with_path(pick, abstract_opt_state)


def init_params(config: T5Config, rng: jax.Array, mesh: jax.sharding.Mesh, mode: str):
    """Parameters (unboxed, float32) created already sharded: jit of init with out_shardings,
    so no device ever holds more than its shards."""
    shardings = param_shardings(config, mesh, mode)
    return jax.jit(functools.partial(init_fn, config), out_shardings=shardings)(rng)


def init_fn(config: T5Config, rng: jax.Array):
    """Unboxed parameters of `Transformer(config)` from `rng` (shapes do not depend on inputs)."""
    return nn.unbox(init_variables(config, rng)["params"])
