"""model/layers.py against numpy references and the hand-listed values of docs MODEL.md §1."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from c4forge.model.layers import (
    MASK_VALUE,
    Embed,
    Mlp,
    MultiHeadAttention,
    RelativePositionBias,
    RMSNorm,
    attend,
    make_attention_mask,
    make_causal_mask,
    mask_to_bias,
    relative_position_bucket,
)


def jitted(module):
    # Compiled applies: Linen's op-by-op eager mode is slower on CPU than one XLA compile.
    return jax.jit(
        module.apply,
        static_argnames=("method", "capture_intermediates", "deterministic", "mutable"),
    )


# ---------------------------------------------------------------------------------------------
# Relative position buckets.


def reference_bucket(relative_position: int, bidirectional: bool, nb=32, max_distance=128) -> int:
    """MODEL.md's pseudo-code, one Python int at a time, float64 logs."""
    n = -relative_position
    if bidirectional:
        nb //= 2
        ret = nb if n < 0 else 0
        n = abs(n)
    else:
        ret = 0
        n = max(n, 0)
    max_exact = nb // 2
    if n < max_exact:
        return ret + n
    large = max_exact + int(
        math.log(n / max_exact) / math.log(max_distance / max_exact) * (nb - max_exact)
    )
    return ret + min(nb - 1, large)


# First distance of each bucket (MODEL.md §1, "Bucket start distances").
BIDIRECTIONAL_STARTS = [*range(8), 8, 12, 16, 23, 32, 46, 64, 91]
CAUSAL_STARTS = [*range(16), 16, 19, 21, 24, 27, 31, 35, 40, 46, 52, 59, 67, 77, 87, 99, 113]
DISTANCES = np.arange(0, 400)
RELATIVE = np.arange(-400, 401)


@functools.cache
def model_buckets(bidirectional: bool) -> np.ndarray:
    """relative_position_bucket over RELATIVE (numpy ints in); index with `relative + 400`."""
    return np.asarray(relative_position_bucket(RELATIVE, bidirectional, 32, 128))


def hand_bucket(distance: int, starts: list[int]) -> int:
    return sum(start <= distance for start in starts) - 1


@pytest.mark.parametrize("bidirectional", [True, False])
def test_bucket_matches_reference_everywhere(bidirectional):
    want = [reference_bucket(int(r), bidirectional) for r in RELATIVE]
    np.testing.assert_array_equal(model_buckets(bidirectional), want)


@pytest.mark.parametrize("impl", ["model", "reference"])
def test_bidirectional_buckets_start_at_the_listed_distances(impl):
    def bucket(relative):
        if impl == "model":
            return model_buckets(True)[relative + 400]
        return np.array([reference_bucket(int(r), True) for r in relative])

    past = bucket(-DISTANCES)  # key before the query
    future = bucket(DISTANCES)
    np.testing.assert_array_equal(past, [hand_bucket(d, BIDIRECTIONAL_STARTS) for d in DISTANCES])
    # The bucket changes between d-1 and d exactly at the listed starts.
    changes = [int(d) for d in DISTANCES[1:] if past[d] != past[d - 1]]
    assert changes == BIDIRECTIONAL_STARTS[1:]
    assert past[91] == 15
    assert past[90] == 14
    assert past[399] == 15
    # Future: the same +16, except distance 0, which is bucket 0; bucket 16 is never used.
    assert future[0] == 0
    np.testing.assert_array_equal(future[1:], past[1:] + 16)
    assert future[1] == 17
    assert future[91] == 31
    assert 16 not in set(past) | set(future)


@pytest.mark.parametrize("impl", ["model", "reference"])
def test_causal_buckets_start_at_the_listed_distances(impl):
    def bucket(relative):
        if impl == "model":
            return model_buckets(False)[relative + 400]
        return np.array([reference_bucket(int(r), False) for r in relative])

    past = bucket(-DISTANCES)
    np.testing.assert_array_equal(past, [hand_bucket(d, CAUSAL_STARTS) for d in DISTANCES])
    changes = [int(d) for d in DISTANCES[1:] if past[d] != past[d - 1]]
    assert changes == CAUSAL_STARTS[1:]
    assert (past[113], past[112], past[399]) == (31, 30, 31)
    np.testing.assert_array_equal(bucket(DISTANCES[1:]), 0)  # future keys -> bucket 0


def test_relative_position_bias_gathers_the_table_by_bucket():
    module = RelativePositionBias(num_heads=3, bidirectional=True)
    q_pos, k_pos = jnp.arange(5), jnp.arange(7)
    params = jax.jit(module.init)(jax.random.key(0), q_pos, k_pos)["params"]
    table = np.asarray(params["rel_embedding"].unbox())
    assert table.shape == (3, 32)
    bias = np.asarray(jitted(module)({"params": params}, q_pos, k_pos))
    assert bias.shape == (1, 3, 5, 7)
    for i in range(5):
        for j in range(7):
            np.testing.assert_array_equal(bias[0, :, i, j], table[:, reference_bucket(j - i, True)])


# ---------------------------------------------------------------------------------------------
# RMSNorm.


def test_rms_norm_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 16)).astype(np.float32) * 3
    scale = rng.normal(size=(16,)).astype(np.float32)
    norm = RMSNorm()
    y = jitted(norm)({"params": {"scale": scale}}, x)
    want = x / np.sqrt(np.mean(x.astype(np.float64) ** 2, -1, keepdims=True) + 1e-6) * scale
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)


def test_rms_norm_eps_is_1e_minus_6():
    # Hand-worked: x = c = 1e-3 everywhere -> c / sqrt(c^2 + 1e-6) = 1 / sqrt(2).
    x = jnp.full((1, 4), 1e-3, jnp.float32)
    y = jitted(RMSNorm())({"params": {"scale": jnp.ones(4)}}, x)
    np.testing.assert_allclose(y, np.full((1, 4), 1 / math.sqrt(2)), rtol=1e-6)
    # All-zero input stays finite (0), no NaN from the rsqrt.
    zero = jitted(RMSNorm())({"params": {"scale": jnp.ones(4)}}, jnp.zeros((1, 4)))
    np.testing.assert_array_equal(zero, 0.0)


def test_rms_norm_bf16_input_is_normalized_in_fp32():
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.normal(size=(4, 64)) * 50, jnp.bfloat16)
    scale = rng.uniform(0.5, 2.0, size=(64,)).astype(np.float32)
    y = jitted(RMSNorm(dtype=jnp.bfloat16))({"params": {"scale": scale}}, x)
    assert y.dtype == jnp.bfloat16
    x32 = np.asarray(x, np.float64)
    want = x32 / np.sqrt(np.mean(x32**2, -1, keepdims=True) + 1e-6) * scale
    # Within one bf16 rounding of the float32/64 result: the statistics were not taken in bf16.
    np.testing.assert_array_less(np.abs(np.asarray(y, np.float64) - want), 2**-8 * np.abs(want))


# ---------------------------------------------------------------------------------------------
# Masks and attention.


def test_attention_mask_is_block_diagonal_and_masks_padding():
    q = jnp.array([[1, 1, 2, 0]])
    k = jnp.array([[1, 2, 2]])
    mask = np.asarray(make_attention_mask(q, k))
    assert mask.shape == (1, 1, 4, 3)
    want = [[1, 0, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]]
    np.testing.assert_array_equal(mask[0, 0], np.array(want, bool))
    causal = np.asarray(make_causal_mask(3))[0, 0]
    np.testing.assert_array_equal(causal, np.array([[1, 0, 0], [1, 1, 0], [1, 1, 1]], bool))
    bias = np.asarray(mask_to_bias(jnp.array([True, False])))
    np.testing.assert_array_equal(bias, np.array([0.0, -1e10], np.float32))
    assert MASK_VALUE == -1e10


def numpy_attention(params, xq, xkv, mask, bias, heads, d_kv, keep=1.0):
    def project(x, name):
        y = x.astype(np.float64) @ np.asarray(params[name]["kernel"].unbox(), np.float64)
        return y.reshape(*y.shape[:-1], heads, d_kv)

    q, k, v = project(xq, "query"), project(xkv, "key"), project(xkv, "value")
    logits = np.einsum("bqhv,bkhv->bhqk", q, k)  # no 1/sqrt(d_kv)
    logits = logits + np.where(mask, 0.0, -1e10) + bias
    logits -= logits.max(-1, keepdims=True)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True) * keep
    out = np.einsum("bhqk,bkhv->bqhv", probs, v).reshape(*xq.shape[:-1], heads * d_kv)
    return out @ np.asarray(params["out"]["kernel"].unbox(), np.float64)


def test_attention_matches_numpy_with_packing_masks():
    rng = np.random.default_rng(2)
    heads, d_kv, d = 3, 4, 8  # heads * d_kv != d_model
    x = rng.normal(size=(2, 6, d)).astype(np.float32)
    memory = rng.normal(size=(2, 5, d)).astype(np.float32)
    q_seg = jnp.array([[1, 1, 1, 2, 2, 0], [1, 1, 1, 1, 0, 0]])
    kv_seg = jnp.array([[1, 1, 2, 2, 2], [1, 1, 1, 0, 0]])
    bias = rng.normal(size=(1, heads, 6, 6)).astype(np.float32)
    attention = MultiHeadAttention(num_heads=heads, d_kv=d_kv)
    params = jax.jit(attention.init)(jax.random.key(0), x, x)["params"]

    # Padding queries see no key at all: their output is finite but meaningless, so compare
    # the real positions only.
    real = np.asarray(q_seg) != 0

    self_mask = make_attention_mask(q_seg, q_seg) & make_causal_mask(6)
    got = np.asarray(jitted(attention)({"params": params}, x, x, self_mask, bias))
    want = numpy_attention(params, x, x, np.asarray(self_mask), bias, heads, d_kv)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got[real], want[real], rtol=1e-4, atol=1e-5)

    cross_mask = make_attention_mask(q_seg, kv_seg)
    got = np.asarray(jitted(attention)({"params": params}, x, memory, cross_mask))
    want = numpy_attention(params, x, memory, np.asarray(cross_mask), 0.0, heads, d_kv)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got[real], want[real], rtol=1e-4, atol=1e-5)


def test_attention_init_folds_1_over_sqrt_d_kv_into_the_query():
    d, heads, d_kv = 256, 4, 64
    x = jnp.zeros((1, 1, d))
    params = jax.jit(MultiHeadAttention(num_heads=heads, d_kv=d_kv).init)(jax.random.key(3), x, x)
    params = params["params"]
    std = {name: float(np.std(params[name]["kernel"].unbox())) for name in params}
    assert std["query"] == pytest.approx((d**-0.5) * d_kv**-0.5, rel=0.05)
    assert std["key"] == pytest.approx(d**-0.5, rel=0.05)
    assert std["value"] == pytest.approx(d**-0.5, rel=0.05)
    assert std["out"] == pytest.approx((heads * d_kv) ** -0.5, rel=0.05)


def test_attention_dropout_drops_whole_key_columns():
    rate = 0.5
    heads, d_kv = 2, 8
    x = np.random.default_rng(4).normal(size=(2, 8, 16)).astype(np.float32)
    attention = MultiHeadAttention(num_heads=heads, d_kv=d_kv, dropout_rate=rate)
    params = jax.jit(attention.init)(jax.random.key(0), x, x)["params"]
    got, state = jitted(attention)(
        {"params": params},
        x,
        x,
        deterministic=False,
        rngs={"dropout": jax.random.key(5)},
        mutable="intermediates",
    )
    # One keep-multiplier per (batch, head, key), shared by every query row.
    keep = np.asarray(state["intermediates"]["dropout_keep"][0])
    assert keep.shape == (2, heads, 1, 8)
    assert set(np.unique(keep).tolist()) == {0.0, 1 / (1 - rate)}
    want = numpy_attention(params, x, x, True, 0.0, heads, d_kv, keep=keep)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    clean = jitted(attention)({"params": params}, x, x)
    assert not np.allclose(got, clean, atol=1e-3)  # the mask changed the output


def reference_attend(q, k, v, bias, keep):
    logits = jnp.einsum("bhqv,bhkv->bhqk", q, k) + bias
    probs = jax.nn.softmax(logits, axis=-1)
    return jnp.einsum("bhqk,bhkv->bhqv", probs if keep is None else probs * keep, v)


@pytest.mark.parametrize("bias_shape", [(2, 3, 5, 7), (1, 3, 5, 7), (2, 1, 5, 7), (1, 1, 1, 7)])
@pytest.mark.parametrize("dropout", [False, True])
def test_attend_gradient_equals_autodiff_of_the_formula(bias_shape, dropout):
    # attend's hand-written backward against jax autodiff of softmax(q k^T + bias) [* keep] v,
    # with masked (-1e10) entries and broadcast biases summed back to their own shape.
    rng = np.random.default_rng(7)
    shapes = [(2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4)]
    q, k, v = (jnp.asarray(rng.normal(size=s), jnp.float32) for s in shapes)
    bias = rng.normal(size=bias_shape)
    bias = jnp.asarray(np.where(rng.random(bias_shape) < 0.2, MASK_VALUE, bias), jnp.float32)
    keep = None
    if dropout:
        keep = jnp.asarray(np.where(rng.random((2, 3, 1, 7)) < 0.7, 1 / 0.7, 0.0), jnp.float32)
    cotangent = jnp.asarray(rng.normal(size=(2, 3, 5, 4)), jnp.float32)

    def loss(fn):
        return lambda q, k, v, b: jnp.sum(fn(q, k, v, b, keep) * cotangent)

    got = jax.jit(jax.value_and_grad(loss(attend), argnums=(0, 1, 2, 3)))(q, k, v, bias)
    want = jax.jit(jax.value_and_grad(loss(reference_attend), argnums=(0, 1, 2, 3)))(q, k, v, bias)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5)
    for g, w, name in zip(got[1], want[1], ["query", "key", "value", "bias"], strict=True):
        assert g.shape == w.shape, name
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, err_msg=name)


def test_attend_with_bfloat16_inputs_keeps_their_dtype_and_a_float32_bias_gradient():
    rng = np.random.default_rng(8)
    q, k, v = (jnp.asarray(rng.normal(size=(1, 2, 3, 4)), jnp.bfloat16) for _ in range(3))
    bias = jnp.asarray(rng.normal(size=(1, 1, 1, 3)), jnp.float32)
    out = jax.jit(attend)(q, k, v, bias, None)
    assert out.dtype == jnp.bfloat16
    grads = jax.jit(
        jax.grad(lambda *a: jnp.sum(attend(*a, None).astype(jnp.float32)), (0, 1, 2, 3))
    )(q, k, v, bias)
    assert [g.dtype for g in grads] == [jnp.bfloat16] * 3 + [jnp.float32]
    want = reference_attend(*(x.astype(jnp.float32) for x in (q, k, v)), bias, None)
    np.testing.assert_allclose(out.astype(jnp.float32), want, rtol=2e-2, atol=2e-2)


# ---------------------------------------------------------------------------------------------
# MLP and embedding.


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


@pytest.mark.parametrize("kind", ["relu", "gated-gelu"])
def test_mlp_matches_numpy(kind):
    x = np.random.default_rng(6).normal(size=(2, 5, 8)).astype(np.float32)
    mlp = Mlp(d_ff=12, kind=kind)
    params = jax.jit(mlp.init)(jax.random.key(0), x)["params"]
    kernel = {name: np.asarray(p["kernel"].unbox(), np.float64) for name, p in params.items()}
    if kind == "relu":
        assert sorted(kernel) == ["wi", "wo"]
        hidden = np.maximum(x @ kernel["wi"], 0)
    else:
        assert sorted(kernel) == ["wi_0", "wi_1", "wo"]
        hidden = gelu_tanh(x @ kernel["wi_0"]) * (x @ kernel["wi_1"])
    got = jitted(mlp)({"params": params}, x)
    np.testing.assert_allclose(got, hidden @ kernel["wo"], rtol=1e-4, atol=1e-6)


def test_embed_looks_up_and_attends_in_fp32():
    embed = Embed(vocab_size=10, features=4, dtype=jnp.bfloat16)
    tokens = jnp.array([[3, 0, 9]])
    params = jax.jit(embed.init)(jax.random.key(0), tokens)["params"]
    table = np.asarray(params["embedding"].unbox())
    assert np.std(table) == pytest.approx(1.0, abs=0.5)  # N(0, 1) init
    looked_up = jitted(embed)({"params": params}, tokens)
    assert looked_up.dtype == jnp.bfloat16
    np.testing.assert_array_equal(looked_up, table[[[3, 0, 9]]].astype(jnp.bfloat16))
    query = jnp.asarray(np.random.default_rng(7).normal(size=(1, 2, 4)), jnp.bfloat16)
    logits = jitted(embed)({"params": params}, query, method=Embed.attend)
    assert logits.dtype == jnp.float32
    np.testing.assert_allclose(logits, np.asarray(query, np.float32) @ table.T, rtol=1e-5)
