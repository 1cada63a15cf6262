"""model/partitioning.py: rule tables, mesh and divisibility errors, shardings (one device).

Sharded-equals-unsharded on 8 fake devices lives in test_train.py (one subprocess for all modes).
"""

from __future__ import annotations

import re

import flax.linen as nn
import jax
import numpy as np
import optax
import pytest
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from c4forge.model import partitioning
from c4forge.model.config import override, preset
from c4forge.model.t5 import abstract_params


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def _mesh_axes(mode, names):
    return tuple(nn.logical_to_mesh_axes(names, partitioning.rules(mode)))


def test_tensor_rules_are_t5x_standard():
    table = dict(partitioning.rules("tensor"))
    assert table["batch"] == "data"
    assert {k for k, v in table.items() if v == "model"} == {"vocab", "mlp", "heads", "joined_kv"}
    assert {k for k, v in table.items() if v is None} >= {"embed", "length", "kv"}


def test_data_rules_replicate_every_parameter():
    table = dict(partitioning.rules("data"))
    assert [k for k, v in table.items() if v is not None] == ["batch"]
    for names in [("vocab", "embed"), ("embed", "mlp"), ("joined_kv", "embed"), ("heads", None)]:
        assert _mesh_axes("data", names) == (None, None)


def test_fsdp_puts_embed_on_data_for_parameters_and_batch_for_activations():
    # Parameters: 2-D sharding. Activations: batch wins `data`, embed stays whole.
    assert _mesh_axes("fsdp", ("vocab", "embed")) == ("model", "data")
    assert _mesh_axes("fsdp", ("embed", "mlp")) == ("data", "model")
    assert _mesh_axes("fsdp", ("embed",)) == ("data",)
    assert _mesh_axes("fsdp", ("batch", "length", "embed")) == ("data", None, None)
    assert _mesh_axes("fsdp", ("batch", "length", "heads", "kv")) == ("data", None, "model", None)
    assert _mesh_axes("tensor", ("vocab", "embed")) == ("model", None)
    assert _mesh_axes("tensor", ("batch", "length", "embed")) == ("data", None, None)


def test_unknown_mode():
    with pytest.raises(
        ValueError, match=exactly("unknown partitioning mode 'zero'; known: data, tensor, fsdp")
    ):
        partitioning.rules("zero")


def test_make_mesh_uses_auto_axes():
    mesh = partitioning.make_mesh(1, 1)
    assert mesh.axis_names == ("data", "model")
    assert dict(mesh.shape) == {"data": 1, "model": 1}
    assert mesh.axis_types == (jax.sharding.AxisType.Auto,) * 2


@pytest.mark.parametrize(
    ("data", "model", "message"),
    [
        (2, 1, "mesh data=2 x model=1 needs 2 devices, but 1 are given"),
        (1, 4, "mesh data=1 x model=4 needs 4 devices, but 1 are given"),
        (0, 1, "mesh sizes must be positive, got data=0 model=1"),
    ],
)
def test_impossible_mesh_shapes(data, model, message):
    with pytest.raises(ValueError, match=exactly(message)):
        partitioning.make_mesh(data, model)


TINY4 = override(preset("t5-tiny"), {"num_heads": 4})  # d 32, ff 64, vocab 128, heads 4


@pytest.mark.parametrize(
    ("config", "sizes", "mode", "message"),
    [
        (
            preset("t5.1.1-tiny"),  # 3 heads
            {"data": 1, "model": 2},
            "tensor",
            "mode 'tensor' shards 'heads' (num_heads=3) over mesh axis 'model' of size 2, "
            "which does not divide it",
        ),
        (
            override(TINY4, {"d_ff": 66}),
            {"data": 2, "model": 4},
            "tensor",
            "mode 'tensor' shards 'mlp' (d_ff=66) over mesh axis 'model' of size 4, "
            "which does not divide it",
        ),
        (
            override(TINY4, {"vocab_size": 130}),
            {"data": 1, "model": 4},
            "fsdp",
            "mode 'fsdp' shards 'vocab' (vocab_size=130) over mesh axis 'model' of size 4, "
            "which does not divide it",
        ),
        (
            TINY4,
            {"data": 3, "model": 1},
            "fsdp",
            "mode 'fsdp' shards 'embed' (d_model=32) over mesh axis 'data' of size 3, "
            "which does not divide it",
        ),
        (
            override(TINY4, {"num_heads": 6}),  # joined_kv 48 divides; the heads do not
            {"data": 1, "model": 4},
            "tensor",
            "mode 'tensor' shards 'heads' (num_heads=6) over mesh axis 'model' of size 4, "
            "which does not divide it",
        ),
        (
            TINY4,
            {"data": 1, "model": 2},
            "data",
            "mode 'data' replicates parameters and has no use for model=2; "
            "use model=1 or mode 'tensor'/'fsdp'",
        ),
    ],
    ids=["heads", "mlp", "vocab", "embed", "heads-not-joined", "data-with-model"],
)
def test_indivisible_dimensions_are_one_line_errors(config, sizes, mode, message):
    with pytest.raises(ValueError, match=exactly(message)):
        partitioning.validate(config, sizes, mode)


@pytest.mark.parametrize(
    ("sizes", "mode"),
    [
        ({"data": 8, "model": 1}, "data"),
        ({"data": 2, "model": 4}, "tensor"),
        ({"data": 4, "model": 4}, "fsdp"),
    ],
)
def test_divisible_shapes_pass(sizes, mode):
    partitioning.validate(TINY4, sizes, mode)  # embed 32 / 4, heads 4 / 4, ff 64 / 4, vocab / 4
    # The data mode replicates parameters: any data size goes.
    partitioning.validate(TINY4, {"data": 7, "model": 1}, "data")


@pytest.mark.parametrize("mode", partitioning.MODES)
def test_param_shardings_mirror_the_parameter_tree(mode):
    config = preset("t5.1.1-tiny")
    mesh = partitioning.make_mesh(1, 1)
    shardings = partitioning.param_shardings(config, mesh, mode)
    shapes = nn.unbox(abstract_params(config))
    assert jax.tree_util.tree_structure(shardings) == jax.tree_util.tree_structure(shapes)
    assert all(isinstance(s, NamedSharding) for s in jax.tree_util.tree_leaves(shardings))
    head = shardings["decoder"]["logits_dense"]["kernel"].spec  # (embed, vocab)
    mlp = shardings["encoder"]["layers_0"]["mlp"]["wi_0"]["kernel"].spec  # (embed, mlp)
    bias = shardings["encoder"]["relpos_bias"]["rel_embedding"].spec  # (heads, relpos_buckets)
    expected = {
        "data": (P(None, None), P(None, None), P(None, None)),
        "tensor": (P(None, "model"), P(None, "model"), P("model", None)),
        "fsdp": (P("data", "model"), P("data", "model"), P("model", None)),
    }[mode]
    assert (head, mlp, bias) == expected


def test_opt_state_shardings_follow_parameters_and_replicate_factored_statistics():
    # d_model = vocab = 128: the embedding and the logits are factored by Adafactor (row and
    # column statistics); everything else keeps a full second moment shaped like its parameter.
    config = override(preset("t5.1.1-tiny"), {"d_model": 128})
    mesh = partitioning.make_mesh(1, 1)
    tx = optax.adafactor(0.01)
    abstract = jax.eval_shape(tx.init, nn.unbox(abstract_params(config)))
    shardings = partitioning.opt_state_shardings(config, abstract, mesh, "fsdp")
    state = shardings[0]
    assert state.v["encoder"]["layers_0"]["mlp"]["wi_0"]["kernel"].spec == P("data", "model")
    assert state.v["token_embedder"]["embedding"].spec == P()  # placeholder (1,)
    assert abstract[0].v_row["token_embedder"]["embedding"].shape == (128,)
    assert state.v_row["token_embedder"]["embedding"].spec == P()
    assert state.v_col["decoder"]["logits_dense"]["kernel"].spec == P()
    assert state.count.spec == P()


def test_init_params_equal_an_unsharded_init():
    config = override(preset("t5-tiny"), {"num_encoder_layers": 1, "num_decoder_layers": 1})
    mesh = partitioning.make_mesh(1, 1)
    rng = jax.random.key(3)
    sharded = partitioning.init_params(config, rng, mesh, "tensor")
    plain = jax.jit(lambda r: partitioning.init_fn(config, r))(rng)
    want = partitioning.param_shardings(config, mesh, "tensor")
    for got, ref, sharding in zip(
        jax.tree_util.tree_leaves(sharded),
        jax.tree_util.tree_leaves(plain),
        jax.tree_util.tree_leaves(want),
        strict=True,
    ):
        assert got.dtype == np.float32
        assert got.sharding == sharding
        np.testing.assert_array_equal(got, ref)


def test_batch_sharding_and_batch_check():
    mesh = partitioning.make_mesh(1, 1)
    assert partitioning.batch_sharding(mesh).spec == P("data")
    partitioning.check_batch(5, mesh)
    fake = jax.sharding.AbstractMesh((4, 2), ("data", "model"))
    with pytest.raises(
        ValueError, match=exactly("batch size 6 is not divisible by mesh axis 'data'=4")
    ):
        partitioning.check_batch(6, fake)
