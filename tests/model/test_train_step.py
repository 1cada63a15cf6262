"""model/train_step.py: schedule, Adafactor by hand, the step against numpy, overfitting one batch,
gradient accumulation, dropout, bf16, divergence checks, and sharded == unsharded on 8 fake
CPU devices (in a subprocess: this process has already initialised JAX with one device)."""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import textwrap
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from device_testing import run_on_8_devices

from c4forge.model import train_step
from c4forge.model.config import override, preset
from c4forge.model.t5 import Transformer, abstract_params

ROOT = Path(__file__).resolve().parents[2]


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def packed_batch(rng, batch=4, enc_len=16, dec_len=8, vocab=128):
    """Feed-shaped features: two packed examples per row, EOS-terminated targets, padding."""
    names = ("tokens", "segment_ids", "positions")
    feats = {f"encoder_{k}" if k != "tokens" else "encoder_input_tokens": None for k in names}
    feats = {k: np.zeros((batch, enc_len), np.int32) for k in feats}
    for key in ("decoder_input_tokens", "decoder_target_tokens", "decoder_segment_ids"):
        feats[key] = np.zeros((batch, dec_len), np.int32)
    feats["decoder_positions"] = np.zeros((batch, dec_len), np.int32)
    feats["decoder_loss_weights"] = np.zeros((batch, dec_len), np.int32)
    for row in range(batch):
        e = d = 0
        for segment in (1, 2):
            n_in, n_out = rng.integers(3, enc_len // 2 + 1), rng.integers(2, dec_len // 2 + 1)
            targets = np.append(rng.integers(2, vocab, n_out - 1), 1)  # EOS = 1
            feats["encoder_input_tokens"][row, e : e + n_in] = rng.integers(2, vocab, n_in)
            feats["encoder_segment_ids"][row, e : e + n_in] = segment
            feats["encoder_positions"][row, e : e + n_in] = np.arange(n_in)
            feats["decoder_target_tokens"][row, d : d + n_out] = targets
            feats["decoder_input_tokens"][row, d : d + n_out] = np.append(0, targets[:-1])
            feats["decoder_segment_ids"][row, d : d + n_out] = segment
            feats["decoder_positions"][row, d : d + n_out] = np.arange(n_out)
            feats["decoder_loss_weights"][row, d : d + n_out] = 1
            e, d = e + n_in, d + n_out
    return feats


def numpy_metrics(logits, batch, z_loss=1e-4):
    """Loss sum (ce + z lse^2), weight sum and weighted accuracy in float64 numpy."""
    x = np.asarray(logits, np.float64)
    lse = np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1)) + x.max(-1)
    targets = batch["decoder_target_tokens"]
    w = batch["decoder_loss_weights"].astype(np.float64)
    ce = lse - np.take_along_axis(x, targets[..., None], -1)[..., 0]
    hits = (x.argmax(-1) == targets) * w
    return (w * (ce + z_loss * lse**2)).sum(), w.sum(), hits.sum() / w.sum()


# ---------------------------------------------------------------------------------------------
# Schedule and optimizer.


@pytest.mark.parametrize(("step", "lr"), [(0, 0.01), (9999, 0.01), (10000, 0.01), (40000, 0.005)])
def test_rsqrt_schedule(step, lr):
    assert float(train_step.make_schedule("rsqrt")(step)) == pytest.approx(lr, rel=1e-6)
    assert float(train_step.make_optimizer().schedule(step)) == pytest.approx(lr, rel=1e-6)


def test_constant_schedule_and_custom_values():
    assert float(train_step.make_schedule("constant")(123456)) == pytest.approx(1e-3)
    custom = train_step.make_schedule("rsqrt", learning_rate=0.5, warmup_steps=100)
    assert float(custom(0)) == pytest.approx(0.05)
    assert float(custom(400)) == pytest.approx(0.025)
    with pytest.raises(
        ValueError, match=exactly("unknown schedule 'cosine'; known: rsqrt, constant")
    ):
        train_step.make_schedule("cosine")


def test_adafactor_updates_by_hand():
    """Two updates of an unfactored [3, 4] matrix, following MODEL.md §2 step by step."""
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(3, 4)).astype(np.float32)
    g1, g2 = rng.normal(size=(2, 3, 4)).astype(np.float32)
    lr, eps = 0.1, 1e-30
    opt = train_step.make_optimizer("constant", lr)
    state = opt.init({"w": w0})

    def rms(x):
        return np.sqrt(np.mean(np.square(x, dtype=np.float64)))

    def expected(u, w):
        u = u / max(1.0, rms(u))  # update clipping at block RMS 1.0
        return -lr * max(rms(w), 1e-3) * u  # relative step: times the parameter's RMS

    # Step 0: beta2 = 1 - 1^-0.8 = 0, so v = g^2 + eps and u = g / |g| (RMS 1, no clipping).
    up1, state = opt.update({"w": g1}, state, {"w": w0})
    np.testing.assert_allclose(up1["w"], expected(np.sign(g1), w0), rtol=1e-5)
    w1 = w0 + np.asarray(up1["w"])
    # Step 1: beta2 = 1 - 2^-0.8.
    beta2 = 1 - 2**-0.8
    v = beta2 * (g1.astype(np.float64) ** 2 + eps) + (1 - beta2) * (g2.astype(np.float64) ** 2)
    up2, _ = opt.update({"w": g2}, state, {"w": w1})
    np.testing.assert_allclose(up2["w"], expected(g2 / np.sqrt(v), w1), rtol=1e-5)


def test_adafactor_factors_only_matrices_from_128():
    opt = train_step.make_optimizer()
    shapes = {"big": (128, 256), "thin": (127, 256), "vector": (512,)}
    state = opt.init({k: jnp.zeros(s) for k, s in shapes.items()})[0]
    assert (state.v_row["big"].shape, state.v_col["big"].shape) == ((128,), (256,))
    assert state.v["big"].shape == (1,)  # factored: no full second moment
    assert (state.v["thin"].shape, state.v["vector"].shape) == ((127, 256), (512,))


# ---------------------------------------------------------------------------------------------
# The step on one device.


@pytest.fixture(scope="module")
def tiny():
    """t5-tiny (dropout 0.1), a packed batch of 4, step 0 and one jitted (undonated) step."""
    config = preset("t5-tiny")
    optimizer = train_step.make_optimizer()
    state = train_step.init_state(config, jax.random.key(0), optimizer)
    step = train_step.make_train_step(config, optimizer, donate=False)
    return config, optimizer, state, step, packed_batch(np.random.default_rng(0))


def test_init_state(tiny):
    config, optimizer, state, _, _ = tiny
    assert (int(state.step), state.step.dtype) == (0, jnp.int32)
    shapes = nn.unbox(abstract_params(config))
    assert jax.tree_util.tree_structure(state.params) == jax.tree_util.tree_structure(shapes)
    for leaf, shape in zip(
        jax.tree_util.tree_leaves(state.params), jax.tree_util.tree_leaves(shapes), strict=True
    ):
        assert (leaf.shape, leaf.dtype) == (shape.shape, jnp.float32)
    expected = jax.eval_shape(optimizer.init, state.params)
    assert jax.tree_util.tree_structure(state.opt_state) == jax.tree_util.tree_structure(expected)


def test_first_step_metrics_match_numpy(tiny):
    config, _, state, step, batch = tiny
    new, metrics = step(state, batch)

    @jax.jit
    def forward(params, batch):
        inputs = {k: batch[k] for k in train_step.MODEL_INPUTS if k in batch}
        logits = Transformer(config).apply({"params": params}, **inputs)
        evaluate = functools.partial(train_step.eval_step, params, batch, config=config)
        return logits, evaluate(), evaluate(loss_normalization="per_token")

    logits, evaluated, per_token = forward(state.params, batch)
    loss, weight_sum, accuracy = numpy_metrics(logits, batch)
    np.testing.assert_allclose(metrics["loss"], loss, rtol=1e-5)
    assert float(metrics["weight_sum"]) == batch["decoder_loss_weights"].sum()
    np.testing.assert_allclose(metrics["accuracy"], accuracy, rtol=1e-6)
    assert 0 < float(metrics["z_loss"]) < 1e-2 * float(metrics["loss"])
    assert float(metrics["learning_rate"]) == pytest.approx(0.01)
    assert (int(metrics["step"]), int(new.step)) == (0, 1)
    assert float(metrics["grad_norm"]) > 0
    # eval_step is the same forward; per-token normalisation divides by the weights.
    np.testing.assert_allclose(evaluated["loss"], loss, rtol=1e-5)
    np.testing.assert_allclose(evaluated["correct"], accuracy * weight_sum, rtol=1e-6)
    np.testing.assert_allclose(per_token["loss"], loss / weight_sum, rtol=1e-5)
    # Every parameter moved and stayed float32.
    for before, after in zip(
        jax.tree_util.tree_leaves(state.params), jax.tree_util.tree_leaves(new.params), strict=True
    ):
        assert after.dtype == jnp.float32
        assert not np.array_equal(before, after)


def test_overfits_one_batch(tiny):
    # The t5x pretraining recipe as is (rsqrt: 0.01 for these steps): ~5.4 -> <0.3 per token.
    _, _, state, step, batch = tiny
    per_token = []
    for _ in range(30):
        state, metrics = step(state, batch)
        train_step.check_finite(metrics)
        per_token.append(float(metrics["loss"] / metrics["weight_sum"]))
    assert abs(per_token[0] - math.log(128)) < 1.5  # about uniform at init
    assert per_token[-1] < 0.1 * per_token[0]
    assert float(metrics["accuracy"]) > 0.95
    assert int(state.step) == 30


def test_dropout_needs_a_key_and_a_rate(tiny):
    config, optimizer, state, step, batch = tiny
    plain = float(step(state, batch)[1]["loss"])
    a = float(step(state, batch, jax.random.key(1))[1]["loss"])
    again = float(step(state, batch, jax.random.key(1))[1]["loss"])
    other = float(step(state, batch, jax.random.key(2))[1]["loss"])
    assert a == again
    assert len({plain, a, other}) == 3
    # The key is folded with the step: the same key draws new masks at the next step.
    later = float(step(state.replace(step=state.step + 1), batch, jax.random.key(1))[1]["loss"])
    assert later != a

    # Rate 0: a key changes nothing; the traced step draws no random bits at all.
    def traced(cfg):
        step = functools.partial(train_step.train_step, config=cfg, optimizer=optimizer)
        return str(jax.make_jaxpr(step)(state, batch, jax.random.key(1)))

    assert "random_bits" in traced(config)
    assert "random_bits" not in traced(dataclasses.replace(config, dropout_rate=0.0))


def test_bf16_activations_keep_float32_parameters(tiny):
    config, optimizer, state, step, batch = tiny
    fp32 = step(state, batch)[1]
    bf16 = dataclasses.replace(config, dtype="bfloat16")
    new, metrics = jax.jit(
        functools.partial(train_step.train_step, config=bf16, optimizer=optimizer)
    )(state, batch)
    assert {x.dtype for x in jax.tree_util.tree_leaves(new.params)} == {jnp.dtype(jnp.float32)}
    assert metrics["loss"].dtype == jnp.float32
    np.testing.assert_allclose(metrics["loss"], fp32["loss"], rtol=2e-2)
    assert metrics["loss"] != fp32["loss"]  # the activations really were bf16


def test_accumulating_two_micro_batches_is_one_big_step():
    # Plain SGD (lr 1) makes the parameter change the gradient itself. Adafactor's first step
    # is sign(g), which would turn float round-off in near-zero gradients into full steps.
    config = override(preset("t5-tiny"), {"num_encoder_layers": 1, "num_decoder_layers": 1})
    sgd = train_step.Optimizer(optax.sgd(1.0), optax.constant_schedule(1.0))
    state = train_step.init_state(config, jax.random.key(4), sgd)
    batch = packed_batch(np.random.default_rng(5), batch=4)
    batch["decoder_loss_weights"][1] = 0  # uneven weights across the two micro-batches
    weight_sum = batch["decoder_loss_weights"].sum()

    def run(steps, normalization="sum"):
        return jax.jit(
            functools.partial(
                train_step.train_step,
                config=config,
                optimizer=sgd,
                loss_normalization=normalization,
                accumulation_steps=steps,
            )
        )(state, batch)

    (one, m1), (two, m2) = run(1), run(2)
    for key in ("loss", "z_loss", "weight_sum", "accuracy", "grad_norm"):
        np.testing.assert_allclose(m2[key], m1[key], rtol=1e-5, err_msg=key)
    assert float(m1["weight_sum"]) == weight_sum
    leaves = [jax.tree_util.tree_leaves(s.params) for s in (state, one, two)]
    for _, p1, p2 in zip(*leaves, strict=True):
        np.testing.assert_allclose(p2, p1, rtol=1e-5, atol=1e-6)
    # Per-token normalisation, accumulated: the normaliser is the whole batch's weight sum, so
    # loss and gradient are the summed ones divided by it.
    per_token, m3 = run(2, "per_token")
    np.testing.assert_allclose(m3["loss"], m1["loss"] / weight_sum, rtol=1e-5)
    np.testing.assert_allclose(m3["z_loss"], m1["z_loss"] / weight_sum, rtol=1e-5)
    for p0, p1, p3 in zip(*leaves[:2], jax.tree_util.tree_leaves(per_token.params), strict=True):
        np.testing.assert_allclose(p3, p0 - (p0 - p1) / weight_sum, rtol=1e-5, atol=1e-6)


def test_accumulation_steps_must_divide_the_batch(tiny):
    config, optimizer, state, _, batch = tiny
    with pytest.raises(
        ValueError, match=exactly("batch size 4 is not divisible by accumulation_steps=3")
    ):
        train_step.train_step(
            state, batch, config=config, optimizer=optimizer, accumulation_steps=3
        )


def test_check_finite():
    train_step.check_finite({"loss": np.float32(2.5), "step": np.int32(3), "weight_sum": 4.0})
    with pytest.raises(
        FloatingPointError, match=exactly("non-finite training metrics at step 7: loss=nan")
    ):
        train_step.check_finite({"loss": np.float32("nan"), "z_loss": 1e-4, "step": np.int32(7)})
    with pytest.raises(
        FloatingPointError,
        match=exactly("non-finite training metrics at step 12: loss=inf, z_loss=inf"),
    ):
        train_step.check_finite({"loss": jnp.inf, "z_loss": np.inf, "step": 3}, step=12)
    with pytest.raises(FloatingPointError, match=exactly("non-finite training metrics: loss=-inf")):
        train_step.check_finite({"loss": -np.inf})


# ---------------------------------------------------------------------------------------------
# Sharded == unsharded on 8 fake CPU devices.

SHARDED_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax, numpy as np
    from c4forge.model import partitioning, train_step
    from c4forge.model.config import override, preset

    # Tiny but divisible by 4 everywhere: heads 4, d_ff 64, vocab 128, d_model 128 (the
    # embedding and logits are then factored by Adafactor). One layer each: compile time.
    config = override(preset("t5.1.1-tiny"), {
        "num_heads": 4, "d_ff": 64, "d_model": 128, "dropout_rate": 0.1,
        "num_encoder_layers": 1, "num_decoder_layers": 1})
    batch = dict(np.load(sys.argv[1]))
    optimizer = train_step.make_optimizer("constant", 0.01)

    def run(mesh, mode):
        state = train_step.init_state(config, jax.random.key(0), optimizer, mesh, mode)
        step = train_step.make_train_step(config, optimizer, mesh, mode)
        losses = []
        for _ in range(3):
            state, metrics = step(state, batch, jax.random.key(1))  # dropout on
            losses.append(float(metrics["loss"]))
        return state, losses

    def describe(x):
        return {"spec": [a for a in x.sharding.spec] + [None] * (x.ndim - len(x.sharding.spec)),
                "shard": list(x.addressable_shards[0].data.shape),
                "devices": len(x.sharding.device_set)}

    single, out = run(None, "data"), {"devices": jax.device_count()}
    out["single"] = single[1]
    out["single_eval"] = float(train_step.make_eval_step(config)(single[0].params, batch)["loss"])
    for mode, shape in [("data", (8, 1)), ("tensor", (2, 4)), ("fsdp", (4, 2))]:
        state, losses = run(partitioning.make_mesh(*shape), mode)
        moments = state.opt_state[0]
        out[mode] = {
            "losses": losses,
            "logits": describe(state.params["decoder"]["logits_dense"]["kernel"]),
            "wi": describe(state.params["encoder"]["layers_0"]["mlp"]["wi_0"]["kernel"]),
            "wi_v": describe(moments.v["encoder"]["layers_0"]["mlp"]["wi_0"]["kernel"]),
            "embed_v_row": describe(moments.v_row["token_embedder"]["embedding"]),
        }
        if mode == "fsdp":  # evaluation takes the same shardings
            evaluate = train_step.make_eval_step(config, partitioning.make_mesh(*shape), mode)
            out["fsdp_eval"] = float(evaluate(state.params, batch)["loss"])
    try:
        train_step.make_train_step(preset("t5.1.1-tiny"), optimizer, partitioning.make_mesh(2, 4),
                              "tensor")
    except ValueError as error:
        out["error"] = str(error)
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def sharded_runs(tmp_path_factory):
    path = tmp_path_factory.mktemp("sharded") / "batch.npz"
    np.savez(path, **packed_batch(np.random.default_rng(0), batch=8))
    return run_on_8_devices(SHARDED_SCRIPT, [str(path)], timeout=300)


# (spec, local shard shape) of: logits kernel [128 embed, 128 vocab], wi_0 [128 embed, 64 mlp],
# its full second moment, and the embedding's factored row statistics [128].
LAYOUTS = {
    "data": {
        "logits": ([None, None], [128, 128]),
        "wi": ([None, None], [128, 64]),
        "wi_v": ([None, None], [128, 64]),
        "embed_v_row": ([None], [128]),
    },
    "tensor": {
        "logits": ([None, "model"], [128, 32]),
        "wi": ([None, "model"], [128, 16]),
        "wi_v": ([None, "model"], [128, 16]),
        "embed_v_row": ([None], [128]),
    },
    "fsdp": {
        "logits": (["data", "model"], [32, 64]),
        "wi": (["data", "model"], [32, 32]),
        "wi_v": (["data", "model"], [32, 32]),
        "embed_v_row": ([None], [128]),
    },
}


@pytest.mark.parametrize("mode", ["data", "tensor", "fsdp"])
def test_sharded_equals_unsharded_on_8_devices(sharded_runs, mode):
    assert sharded_runs["devices"] == 8
    run = sharded_runs[mode]
    np.testing.assert_allclose(run["losses"], sharded_runs["single"], rtol=1e-5)
    assert run["losses"][2] < run["losses"][0]  # it trains
    for name, (spec, shard) in LAYOUTS[mode].items():
        assert (run[name]["spec"], run[name]["shard"]) == (spec, shard), name
        assert run[name]["devices"] == 8


def test_sharded_eval_step(sharded_runs):
    np.testing.assert_allclose(sharded_runs["fsdp_eval"], sharded_runs["single_eval"], rtol=1e-5)
    assert sharded_runs["single_eval"] < sharded_runs["single"][2]  # after the third update


def test_indivisible_heads_fail_before_compiling(sharded_runs):
    assert sharded_runs["error"] == (
        "mode 'tensor' shards 'heads' (num_heads=3) over mesh axis 'model' of size 4, "
        "which does not divide it"
    )
