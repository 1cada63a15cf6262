"""model/t5.py: a numpy forward pass, packing, tying, logical axes, jit, bf16."""

from __future__ import annotations

import dataclasses
import functools
import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from c4forge.model.config import preset
from c4forge.model.t5 import Transformer

PRESETS = ["t5-tiny", "t5.1.1-tiny"]


def _bucket(relative: int, bidirectional: bool) -> int:
    # MODEL.md §1 pseudo-code (32 buckets, max distance 128).
    n, nb = -relative, 32
    if bidirectional:
        nb //= 2
        ret, n = (nb if n < 0 else 0), abs(n)
    else:
        ret, n = 0, max(n, 0)
    exact = nb // 2
    if n < exact:
        return ret + n
    return ret + min(
        nb - 1, exact + int(math.log(n / exact) / math.log(128 / exact) * (nb - exact))
    )


def numpy_t5(params, cfg, enc_tokens, dec_tokens):
    """The T5 forward of MODEL.md §1 in float64 numpy, one unpacked example (no padding)."""
    p = jax.tree_util.tree_map(lambda x: np.asarray(x, np.float64), nn.unbox(params))
    emb = p["token_embedder"]["embedding"]

    def norm(x, scale):
        return x / np.sqrt(np.mean(x**2, -1, keepdims=True) + 1e-6) * scale

    def rel_bias(table, length, bidirectional):
        buckets = [[_bucket(j - i, bidirectional) for j in range(length)] for i in range(length)]
        return table[:, np.array(buckets)]  # [h, q, k]

    def attend(a, xq, xkv, bias, causal):
        heads, d_kv = cfg.num_heads, cfg.d_kv
        q = (xq @ a["query"]["kernel"]).reshape(len(xq), heads, d_kv)
        k = (xkv @ a["key"]["kernel"]).reshape(len(xkv), heads, d_kv)
        v = (xkv @ a["value"]["kernel"]).reshape(len(xkv), heads, d_kv)
        logits = np.einsum("qhv,khv->hqk", q, k) + bias
        if causal:
            logits = logits + np.where(np.tril(np.ones((len(xq), len(xq)))) > 0, 0, -1e10)
        w = np.exp(logits - logits.max(-1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
        return np.einsum("hqk,khv->qhv", w, v).reshape(len(xq), -1) @ a["out"]["kernel"]

    def mlp(m, x):
        if cfg.mlp == "relu":
            h = np.maximum(x @ m["wi"]["kernel"], 0)
        else:
            a = x @ m["wi_0"]["kernel"]
            gelu = 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a**3)))
            h = gelu * (x @ m["wi_1"]["kernel"])
        return h @ m["wo"]["kernel"]

    enc = p["encoder"]
    x = emb[enc_tokens]
    bias = rel_bias(enc["relpos_bias"]["rel_embedding"], len(enc_tokens), True)
    for i in range(cfg.num_encoder_layers):
        layer = enc[f"layers_{i}"]
        y = norm(x, layer["pre_attention_layer_norm"]["scale"])
        x = x + attend(layer["attention"], y, y, bias, causal=False)
        x = x + mlp(layer["mlp"], norm(x, layer["pre_mlp_layer_norm"]["scale"]))
    encoded = norm(x, enc["encoder_norm"]["scale"])

    dec = p["decoder"]
    x = emb[dec_tokens]
    bias = rel_bias(dec["relpos_bias"]["rel_embedding"], len(dec_tokens), False)
    for i in range(cfg.num_decoder_layers):
        layer = dec[f"layers_{i}"]
        y = norm(x, layer["pre_self_attention_layer_norm"]["scale"])
        x = x + attend(layer["self_attention"], y, y, bias, causal=True)
        y = norm(x, layer["pre_cross_attention_layer_norm"]["scale"])
        x = x + attend(layer["encoder_decoder_attention"], y, encoded, 0.0, causal=False)
        x = x + mlp(layer["mlp"], norm(x, layer["pre_mlp_layer_norm"]["scale"]))
    y = norm(x, dec["decoder_norm"]["scale"])
    if cfg.tied_embeddings:
        return y @ emb.T / np.sqrt(cfg.d_model)
    return y @ dec["logits_dense"]["kernel"]


# Most calls share one shape, so each compiled program is reused across tests (XLA compiles
# dominate the runtime on CPU; Linen's op-by-op eager mode is slower still).
ENC_LEN, DEC_LEN = 10, 8


@functools.cache
def _tiny(name: str):
    cfg = preset(name)
    model = Transformer(cfg)
    tokens = jnp.ones((1, 4), jnp.int32)
    params = jax.jit(model.init)(jax.random.key(0), tokens, tokens)["params"]
    return cfg, _jit_apply(model), params


def _jit_apply(model):
    return jax.jit(
        model.apply, static_argnames=("method", "capture_intermediates", "deterministic")
    )


def _tokens(rng, cfg, length, start=False):
    tokens = rng.integers(2, cfg.vocab_size, size=length)
    if start:
        tokens[0] = 0  # decoder start token
    return tokens


@pytest.fixture(params=PRESETS)
def tiny(request):
    return _tiny(request.param)


def test_forward_matches_numpy(tiny):
    cfg, apply, params = tiny
    rng = np.random.default_rng(0)
    enc, dec = _tokens(rng, cfg, ENC_LEN), _tokens(rng, cfg, DEC_LEN, start=True)
    logits = apply({"params": params}, enc[None], dec[None])
    assert logits.shape == (1, DEC_LEN, cfg.vocab_size)
    assert logits.dtype == jnp.float32
    np.testing.assert_allclose(logits[0], numpy_t5(params, cfg, enc, dec), rtol=2e-4, atol=2e-5)


def _packed(enc_parts, dec_parts):
    """One row laid out as EncDecFeatureConverter(pack=True) does: segments 1, 2, ..., padding 0."""

    def pack(parts, length):
        tokens = np.zeros((1, length), np.int64)
        segments = np.zeros((1, length), np.int64)
        positions = np.zeros((1, length), np.int64)
        at = 0
        for i, part in enumerate(parts):
            tokens[0, at : at + len(part)] = part
            segments[0, at : at + len(part)] = i + 1
            positions[0, at : at + len(part)] = np.arange(len(part))
            at += len(part)
        return tokens, segments, positions

    enc, enc_seg, enc_pos = pack(enc_parts, ENC_LEN)
    dec, dec_seg, dec_pos = pack(dec_parts, DEC_LEN)
    features = {
        "encoder_segment_ids": enc_seg,
        "decoder_segment_ids": dec_seg,
        "encoder_positions": enc_pos,
        "decoder_positions": dec_pos,
    }
    return enc, dec, features


def test_packed_row_equals_each_example_alone(tiny):
    cfg, apply, params = tiny
    rng = np.random.default_rng(1)
    enc_a, dec_a = _tokens(rng, cfg, 5), _tokens(rng, cfg, 4, start=True)
    enc_b, dec_b = _tokens(rng, cfg, 3), _tokens(rng, cfg, 3, start=True)
    enc, dec, features = _packed([enc_a, enc_b], [dec_a, dec_b])
    packed = apply({"params": params}, enc, dec, **features)
    alone_a = apply({"params": params}, enc_a[None], dec_a[None])
    alone_b = apply({"params": params}, enc_b[None], dec_b[None])
    np.testing.assert_allclose(packed[0, :4], alone_a[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(packed[0, 4:7], alone_b[0], rtol=1e-5, atol=1e-5)
    # The lone runs are right in themselves.
    want_b = numpy_t5(params, cfg, enc_b, dec_b)
    np.testing.assert_allclose(alone_b[0], want_b, rtol=2e-4, atol=2e-5)


def test_padding_does_not_change_real_positions(tiny):
    cfg, apply, params = tiny
    rng = np.random.default_rng(2)
    enc, dec = _tokens(rng, cfg, 5), _tokens(rng, cfg, 4, start=True)
    alone = apply({"params": params}, enc[None], dec[None])
    # Unpacked: pad id 0 at the end, no segment ids.
    enc_padded = np.pad(enc, (0, ENC_LEN - 5))[None]
    dec_padded = np.pad(dec, (0, DEC_LEN - 4))[None]
    padded = apply({"params": params}, enc_padded, dec_padded)
    np.testing.assert_allclose(padded[0, :4], alone[0], rtol=1e-5, atol=1e-5)
    # Packed with a single segment: segment ids 0 on the padding.
    enc_packed, dec_packed, features = _packed([enc], [dec])
    padded = apply({"params": params}, enc_packed, dec_packed, **features)
    np.testing.assert_allclose(padded[0, :4], alone[0], rtol=1e-5, atol=1e-5)


def test_other_segments_and_padding_do_not_leak(tiny):
    # Changing segment 2 or what sits under segment 0 must leave segment 1 alone (all three
    # masks); changing a token of segment 1 must change it.
    cfg, apply, params = tiny
    rng = np.random.default_rng(3)
    enc_a, dec_a = _tokens(rng, cfg, 4), _tokens(rng, cfg, 3, start=True)
    enc_b, dec_b = _tokens(rng, cfg, 4), _tokens(rng, cfg, 4, start=True)
    enc, dec, features = _packed([enc_a, enc_b], [dec_a, dec_b])
    base = apply({"params": params}, enc, dec, **features)
    enc2, dec2 = enc.copy(), dec.copy()
    enc2[0, 4:] = (enc2[0, 4:] + 1) % cfg.vocab_size  # segment 2 and the encoder padding
    dec2[0, 3:] = (dec2[0, 3:] + 1) % cfg.vocab_size  # segment 2 and the decoder padding
    other = apply({"params": params}, enc2, dec2, **features)
    np.testing.assert_allclose(other[0, :3], base[0, :3], rtol=1e-5, atol=1e-5)
    assert not np.allclose(other[0, 3:7], base[0, 3:7], atol=1e-4)
    enc3 = enc.copy()
    enc3[0, 1] = enc3[0, 1] % (cfg.vocab_size - 2) + 2 if enc3[0, 1] != 2 else 3
    changed = apply({"params": params}, enc3, dec, **features)
    assert not np.allclose(changed[0, :3], base[0, :3], atol=1e-4)
    np.testing.assert_allclose(changed[0, 3:7], base[0, 3:7], rtol=1e-5, atol=1e-5)


def test_segment_ids_must_come_in_pairs(tiny):
    _, apply, params = tiny
    tokens = np.ones((1, 3), np.int32)
    with pytest.raises(ValueError, match="need both encoder_segment_ids and decoder_segment_ids"):
        apply({"params": params}, tokens, tokens, encoder_segment_ids=tokens)


def test_encode_then_decode_equals_call():
    cfg, apply, params = _tiny("t5.1.1-tiny")
    rng = np.random.default_rng(4)
    enc, dec = _tokens(rng, cfg, ENC_LEN)[None], _tokens(rng, cfg, DEC_LEN, start=True)[None]
    encoded = apply({"params": params}, enc, method=Transformer.encode)
    assert encoded.shape == (1, ENC_LEN, cfg.d_model)
    logits = apply({"params": params}, encoded, enc, dec, method=Transformer.decode)
    np.testing.assert_allclose(logits, apply({"params": params}, enc, dec), rtol=1e-5, atol=1e-6)


def _decoder_hidden(apply, params, enc, dec):
    logits, state = apply({"params": params}, enc, dec, capture_intermediates=True)
    return logits, np.asarray(state["intermediates"]["decoder"]["decoder_norm"]["__call__"][0])


def _bump_embedding_row(params, row):
    table = params["token_embedder"]["embedding"]
    bumped = table.replace_boxed(table.unbox().at[row].add(1.0))
    return {**params, "token_embedder": {"embedding": bumped}}


def test_v1_0_ties_logits_to_the_embedding():
    cfg, apply, params = _tiny("t5-tiny")
    assert "logits_dense" not in params["decoder"]
    rng = np.random.default_rng(5)
    enc, dec = _tokens(rng, cfg, ENC_LEN)[None], _tokens(rng, cfg, DEC_LEN, start=True)[None]
    logits, hidden = _decoder_hidden(apply, params, enc, dec)
    emb = np.asarray(params["token_embedder"]["embedding"].unbox())
    np.testing.assert_allclose(logits, hidden @ emb.T * cfg.d_model**-0.5, rtol=1e-5, atol=1e-6)
    # A row no input uses still moves its own logit column, and only that column.
    unused = next(t for t in range(2, cfg.vocab_size) if t not in enc and t not in dec)
    changed = apply({"params": _bump_embedding_row(params, unused)}, enc, dec)
    assert not np.allclose(changed[..., unused], logits[..., unused])
    others = np.arange(cfg.vocab_size) != unused
    np.testing.assert_array_equal(changed[..., others], logits[..., others])


def test_v1_1_has_an_untied_fp32_logits_dense():
    cfg, apply, params = _tiny("t5.1.1-tiny")
    kernel = params["decoder"]["logits_dense"]["kernel"]
    assert kernel.unbox().shape == (cfg.d_model, cfg.vocab_size)
    assert kernel.unbox().dtype == jnp.float32
    assert kernel.names == ("embed", "vocab")
    rng = np.random.default_rng(6)
    enc, dec = _tokens(rng, cfg, ENC_LEN)[None], _tokens(rng, cfg, DEC_LEN, start=True)[None]
    logits, hidden = _decoder_hidden(apply, params, enc, dec)
    assert logits.dtype == jnp.float32
    np.testing.assert_allclose(logits, hidden @ np.asarray(kernel.unbox()), rtol=1e-5, atol=1e-6)
    # No rescale, no tie: an embedding row no input uses changes nothing.
    unused = next(t for t in range(2, cfg.vocab_size) if t not in enc and t not in dec)
    changed = apply({"params": _bump_embedding_row(params, unused)}, enc, dec)
    np.testing.assert_array_equal(changed, logits)


EXPECTED_AXES = {
    "embedding": ("vocab", "embed"),
    "rel_embedding": ("heads", "relpos_buckets"),
    "scale": ("embed",),
}


def _expected_axes(path: tuple[str, ...]) -> tuple[str, ...]:
    if path[-1] in EXPECTED_AXES:
        return EXPECTED_AXES[path[-1]]
    module = path[-2]
    return {
        "query": ("embed", "joined_kv"),
        "key": ("embed", "joined_kv"),
        "value": ("embed", "joined_kv"),
        "out": ("joined_kv", "embed"),
        "wi": ("embed", "mlp"),
        "wi_0": ("embed", "mlp"),
        "wi_1": ("embed", "mlp"),
        "wo": ("mlp", "embed"),
        "logits_dense": ("embed", "vocab"),
    }[module]


@pytest.mark.parametrize("name", PRESETS)
def test_every_parameter_has_logical_axis_names(name):
    from c4forge.model.t5 import abstract_params

    params = abstract_params(preset(name))
    specs = nn.get_partition_spec(params)
    flat = jax.tree_util.tree_flatten_with_path(
        specs, is_leaf=lambda x: isinstance(x, jax.sharding.PartitionSpec)
    )[0]
    shapes = dict(jax.tree_util.tree_flatten_with_path(nn.unbox(params))[0])
    assert len(flat) == len(shapes) > 0
    for path, spec in flat:
        keys = tuple(k.key for k in path)
        assert isinstance(spec, jax.sharding.PartitionSpec), keys
        assert tuple(spec) == _expected_axes(keys), keys
        assert len(spec) == len(shapes[path].shape), keys


def test_jit_of_the_gradient_works():
    cfg, apply, params = _tiny("t5-tiny")  # tied: the embedding gets gradient from both ends
    rng = np.random.default_rng(7)
    enc, dec = _tokens(rng, cfg, ENC_LEN)[None], _tokens(rng, cfg, DEC_LEN, start=True)[None]
    targets = np.roll(dec, -1, axis=1)

    def loss(p):
        logits = apply({"params": p}, enc, dec)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), targets[..., None], -1))

    value, grads = jax.jit(jax.value_and_grad(loss))(params)
    # A random init predicts about uniformly: log(vocab) per token.
    assert abs(float(value) - math.log(cfg.vocab_size)) < 1.5
    assert jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(params)
    leaves = jax.tree_util.tree_leaves(nn.unbox(grads))
    assert all(bool(jnp.isfinite(g).all()) for g in leaves)
    assert all(float(jnp.abs(g).max()) > 0 for g in leaves)


def test_runs_under_a_mesh_with_logical_rules():
    # jax 0.10 meshes default to Explicit axes, under which Linen's logical constraints assert.
    cfg, apply, params = _tiny("t5.1.1-tiny")
    mesh = jax.make_mesh((1, 1), ("data", "model"), axis_types=(jax.sharding.AxisType.Auto,) * 2)
    rules = (("batch", "data"), ("vocab", "model"), ("mlp", "model"), ("heads", "model"))
    rng = np.random.default_rng(8)
    enc, dec = _tokens(rng, cfg, ENC_LEN)[None], _tokens(rng, cfg, DEC_LEN, start=True)[None]
    with jax.set_mesh(mesh), nn.logical_axis_rules(rules):
        out = _jit_apply(Transformer(cfg))({"params": params}, enc, dec)
    np.testing.assert_allclose(out, apply({"params": params}, enc, dec), rtol=1e-5, atol=1e-5)


def test_bf16_activations_stay_close_to_fp32(tiny):
    cfg, apply, params = tiny
    apply16 = _jit_apply(Transformer(dataclasses.replace(cfg, dtype="bfloat16")))
    rng = np.random.default_rng(9)
    enc, dec = _tokens(rng, cfg, ENC_LEN)[None], _tokens(rng, cfg, DEC_LEN, start=True)[None]
    fp32 = np.asarray(apply({"params": params}, enc, dec))
    bf16 = apply16({"params": params}, enc, dec)
    assert bf16.dtype == jnp.float32  # logits stay float32
    err = np.abs(np.asarray(bf16) - fp32)
    assert 0 < err.max() < 0.05 * np.abs(fp32).max()


def test_dropout_needs_an_rng_and_changes_the_logits():
    cfg, apply, params = _tiny("t5-tiny")  # dropout 0.1
    rng = np.random.default_rng(10)
    enc, dec = _tokens(rng, cfg, ENC_LEN)[None], _tokens(rng, cfg, DEC_LEN, start=True)[None]
    clean = apply({"params": params}, enc, dec)
    key = jax.random.key(1)
    noisy = apply({"params": params}, enc, dec, deterministic=False, rngs={"dropout": key})
    again = apply({"params": params}, enc, dec, deterministic=False, rngs={"dropout": key})
    assert not np.allclose(noisy, clean)
    np.testing.assert_array_equal(noisy, again)
