"""The architectures of Raffel et al. §3.2 (Table 2, STUDY.md §2): encoder-decoder, shared,
half depth, decoder-only LM and prefix LM (model/config.py, model/t5.py, model/decoding.py).

References are independent of the code under test: parameter counts by formula; a float64 numpy
forward pass of the decoder-only stack written here; the effective attention pattern measured by
perturbing one token at a time on seqio's packed PrefixLM example; the shared encoder-decoder
against an encoder-decoder given copies of the decoder's parameters; cached decoding against
rerunning the full model; sharded against unsharded steps on 8 fake CPU devices (subprocess).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import textwrap
from pathlib import Path

import flax.linen as nn
import jax
import numpy as np
import pytest
from device_testing import run_on_8_devices

from c4forge.cli import main as cli
from c4forge.model import decoding, train_step
from c4forge.model.config import (
    STUDY_ARCHITECTURES,
    T5Config,
    override,
    parameter_counts,
    preset,
    study_architecture,
)
from c4forge.model.flops import forward_macs
from c4forge.model.t5 import Transformer, init_variables
from c4forge.tasks import packing

ROOT = Path(__file__).resolve().parents[2]
PRESETS = ["t5-tiny", "t5.1.1-tiny"]  # v1.0 (relu, tied) and T5.1.1 (gated-gelu, untied)
ROWS = list(STUDY_ARCHITECTURES)


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


# ---------------------------------------------------------------------------------------------
# Parameter counts by formula (MODEL.md §1 shapes; no code from model/).


def expected_counts(cfg: T5Config) -> dict[str, int]:
    d, hk, ff, v = cfg.d_model, cfg.num_heads * cfg.d_kv, cfg.d_ff, cfg.vocab_size
    attention = 4 * d * hk  # query, key, value [d, hk] and out [hk, d]
    mlp = (3 if cfg.mlp == "gated-gelu" else 2) * d * ff  # wi (wi_0, wi_1) and wo
    table = cfg.num_heads * cfg.relative_buckets  # one position table per stack
    self_only = 2 * d + attention + mlp  # norms before self-attention and the MLP
    with_cross = 3 * d + 2 * attention + mlp

    def stack(layers, per_layer):
        return layers * per_layer + table + d  # + the final norm

    encoder = decoder = 0
    if cfg.architecture == "encoder_decoder":
        encoder = stack(cfg.num_encoder_layers, self_only)
        decoder = stack(cfg.num_decoder_layers, with_cross)
    elif cfg.architecture == "shared_encoder_decoder":  # the encoder owns nothing
        decoder = stack(cfg.num_decoder_layers, with_cross)
    else:  # one stack, no cross-attention
        decoder = stack(cfg.num_decoder_layers, self_only)
    return {
        "embedding": v * d,
        "encoder": encoder,
        "decoder": decoder,
        "logits": 0 if cfg.tied_embeddings else d * v,
    }


@pytest.mark.parametrize("name", [*PRESETS, "t5-base", "t5.1.1-base"])
@pytest.mark.parametrize("row", ROWS)
def test_parameter_counts_from_shapes_match_the_formula(name, row):
    cfg = study_architecture(preset(name), row)
    assert parameter_counts(cfg) == expected_counts(cfg)


def test_study_rows_have_the_papers_shape():
    base = preset("t5-base")  # 12 + 12, the paper's baseline
    rows = {row: study_architecture(base, row) for row in ROWS}
    assert rows["encoder_decoder"] == base
    layers = {r: (c.num_encoder_layers, c.num_decoder_layers) for r, c in rows.items()}
    assert layers == {
        "encoder_decoder": (12, 12),
        "shared_encoder_decoder": (12, 12),
        "half_depth": (6, 6),
        "decoder_only": (0, 12),
        "prefix_lm": (0, 12),
    }
    # P: the LM has exactly the parameters of the baseline's encoder stack plus the embedding.
    lm = parameter_counts(rows["decoder_only"])
    assert lm["decoder"] == parameter_counts(base)["encoder"]
    # The shared model has one parameter set: the baseline's decoder and embedding.
    assert sum(parameter_counts(rows["shared_encoder_decoder"]).values()) == (
        parameter_counts(base)["embedding"] + parameter_counts(base)["decoder"]
    )


def test_parameter_trees_keep_the_baseline_names():
    base = preset("t5.1.1-tiny")
    tree = {row: nn.unbox(init_variables(study_architecture(base, row), jax.random.key(0)))
            for row in ROWS}  # fmt: skip
    baseline = tree["encoder_decoder"]["params"]
    assert set(tree["shared_encoder_decoder"]["params"]) == {"token_embedder", "decoder"}
    assert jax.tree_util.tree_structure(
        tree["shared_encoder_decoder"]["params"]["decoder"]
    ) == jax.tree_util.tree_structure(baseline["decoder"])
    for row in ("decoder_only", "prefix_lm"):
        params = tree[row]["params"]
        assert set(params) == {"token_embedder", "decoder"}
        assert set(params["decoder"]["layers_0"]) == {
            "pre_self_attention_layer_norm",
            "self_attention",
            "pre_mlp_layer_norm",
            "mlp",
        }
        assert set(params["decoder"]) == set(baseline["decoder"])  # logits_dense, norm, table


# ---------------------------------------------------------------------------------------------
# Config validation: one line each.


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"architecture": "lm"},
            "T5Config.architecture must be one of encoder_decoder, shared_encoder_decoder, "
            "decoder_only, prefix_lm; got 'lm'",
        ),
        (
            {"architecture": "prefix_lm"},
            "T5Config.num_encoder_layers must be 0 for architecture 'prefix_lm' (one stack of "
            "num_decoder_layers layers); got 2: set num_encoder_layers=0",
        ),
        (
            {"architecture": "shared_encoder_decoder", "num_encoder_layers": "1"},
            "T5Config.num_encoder_layers must equal num_decoder_layers for architecture "
            "'shared_encoder_decoder' (encoder layer i runs decoder layer i); got 1 and 2",
        ),
    ],
)
def test_bad_combinations_are_one_line(changes, message):
    with pytest.raises(ValueError, match=exactly(message)):
        override(preset("t5-tiny"), changes)


def test_overrides_give_every_row():
    base = preset("t5-tiny")
    for row in ROWS:
        changes = {
            "half_depth": {"num_encoder_layers": "1", "num_decoder_layers": "1"},
            "decoder_only": {"architecture": "decoder_only", "num_encoder_layers": "0"},
            "prefix_lm": {"architecture": "prefix_lm", "num_encoder_layers": "0"},
        }.get(row, {"architecture": row})
        assert override(base, changes) == study_architecture(base, row)
    assert override(
        base, {"architecture": "prefix_lm", "num_encoder_layers": "0"}
    ).feature_kind == ("prefix_lm")


def test_study_architecture_errors():
    with pytest.raises(ValueError, match="half_depth needs an even number of layers per stack"):
        study_architecture(preset("t5.1.1-mini"), "half_depth")  # 3 + 3
    with pytest.raises(ValueError, match="unknown study architecture 'lm'; known: encoder_decoder"):
        study_architecture(preset("t5-tiny"), "lm")
    lm = study_architecture(preset("t5-tiny"), "decoder_only")
    with pytest.raises(ValueError, match="derive from an L\\+L encoder-decoder"):
        study_architecture(lm, "prefix_lm")


# ---------------------------------------------------------------------------------------------
# The decoder-only forward pass against numpy.


def _bucket(relative: int, bidirectional: bool, buckets: int = 32, max_distance: int = 128) -> int:
    # T5's relative position bucket (MODEL.md §1): key - query; exact up to buckets/4 (or /2).
    n = -relative
    if bidirectional:
        buckets //= 2
        ret, n = (buckets if n < 0 else 0), abs(n)
    else:
        ret, n = 0, max(n, 0)
    exact = buckets // 2
    if n < exact:
        return ret + n
    scaled = math.log(n / exact) / math.log(max_distance / exact) * (buckets - exact)
    return ret + min(buckets - 1, exact + int(scaled))


def numpy_decoder_only(params, cfg, tokens, segments, region=None):
    """float64 forward of one packed row: tokens, segments (0 = padding) [l]; region [l] bool
    (prefix LM's fully visible positions) or None. Returns logits [l, vocab]."""
    p = jax.tree_util.tree_map(lambda x: np.asarray(x, np.float64), nn.unbox(params))
    emb, dec = p["token_embedder"]["embedding"], p["decoder"]
    length = len(tokens)
    idx = np.arange(length)
    allowed = (segments[:, None] == segments[None, :]) & (segments[:, None] > 0)
    visible = idx[None, :] <= idx[:, None]
    if region is not None:
        visible = visible | (region[:, None] & region[None, :])
    buckets = np.array([[_bucket(j - i, False) for j in idx] for i in idx])
    bias = dec["relpos_bias"]["rel_embedding"][:, buckets]  # [h, l, l]
    bias = bias + np.where(allowed & visible, 0.0, -1e10)

    def norm(x, scale):
        return x / np.sqrt(np.mean(x**2, -1, keepdims=True) + 1e-6) * scale

    def attention(a, x):
        h, v = cfg.num_heads, cfg.d_kv
        q, k, val = ((x @ a[n]["kernel"]).reshape(length, h, v) for n in ("query", "key", "value"))
        logits = np.einsum("qhv,khv->hqk", q, k) + bias
        w = np.exp(logits - logits.max(-1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
        return np.einsum("hqk,khv->qhv", w, val).reshape(length, h * v) @ a["out"]["kernel"]

    def mlp(m, x):
        if cfg.mlp == "relu":
            hidden = np.maximum(x @ m["wi"]["kernel"], 0)
        else:
            a = x @ m["wi_0"]["kernel"]
            gelu = 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a**3)))
            hidden = gelu * (x @ m["wi_1"]["kernel"])
        return hidden @ m["wo"]["kernel"]

    x = emb[tokens]
    for i in range(cfg.num_decoder_layers):
        layer = dec[f"layers_{i}"]
        x = x + attention(
            layer["self_attention"], norm(x, layer["pre_self_attention_layer_norm"]["scale"])
        )
        x = x + mlp(layer["mlp"], norm(x, layer["pre_mlp_layer_norm"]["scale"]))
    y = norm(x, dec["decoder_norm"]["scale"])
    if cfg.tied_embeddings:
        return y @ emb.T / np.sqrt(cfg.d_model)
    return y @ dec["logits_dense"]["kernel"]


def _jit_apply(model):
    return jax.jit(model.apply, static_argnames=("method", "decode", "mutable", "deterministic"))


@functools.cache
def _model(name: str, row: str):
    cfg = study_architecture(preset(name), row)
    params = init_variables(cfg, jax.random.key(0))["params"]
    return cfg, nn.unbox(params), _jit_apply(Transformer(cfg))


def _examples(rng, count, inputs, targets, vocab):
    out = []
    for _ in range(count):
        n_in, n_out = int(rng.integers(2, inputs + 1)), int(rng.integers(2, targets + 1))
        out.append(
            {
                "inputs": np.append(rng.integers(2, vocab, n_in - 1), 1).astype(np.int32),
                "targets": np.append(rng.integers(2, vocab, n_out - 1), 1).astype(np.int32),
            }
        )
    return out


def packed_batch(kind: str, rows: int = 4, inputs: int = 12, targets: int = 6, vocab: int = 128):
    """`rows` packed rows of `kind` features (several examples each) from fixed examples."""
    examples = _examples(np.random.default_rng(0), 8 * rows, inputs, targets, vocab)
    lengths = {"inputs": inputs, "targets": targets}
    packed = packing.rows_for(examples, lengths, True, kind)
    batch = packing.model_features(packed, True, kind)
    assert len(batch["decoder_target_tokens"]) >= rows
    return {k: v[:rows] for k, v in batch.items()}


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("row", ["decoder_only", "prefix_lm"])
def test_decoder_only_logits_match_numpy(name, row):
    cfg, params, apply = _model(name, row)
    batch = packed_batch(cfg.feature_kind)
    inputs = {k: batch[k] for k in train_step.MODEL_INPUTS if k in batch}
    assert "encoder_input_tokens" not in inputs
    assert ("decoder_causal_attention" in inputs) == (row == "prefix_lm")
    logits = np.asarray(apply({"params": params}, **inputs))
    segments = batch["decoder_segment_ids"]
    assert segments.max() >= 2  # packed: more than one example per row
    for r in range(len(segments)):
        region = batch["decoder_causal_attention"][r] > 0 if row == "prefix_lm" else None
        want = numpy_decoder_only(
            params, cfg, batch["decoder_input_tokens"][r], segments[r], region
        )
        real = segments[r] > 0
        np.testing.assert_allclose(logits[r][real], want[real], rtol=2e-4, atol=2e-5)


# ---------------------------------------------------------------------------------------------
# Masks on packed examples, measured: which input tokens change which positions' logits.

# seqio's PrefixLMFeatureConverter docstring example: two packed examples and one pad.
PACKED_TOKENS = [0, 7, 8, 5, 1, 3, 9, 0, 8, 4, 9, 3, 1, 4, 0]
PACKED_SEGMENTS = [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 0]
PACKED_REGION = [1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0]


def measured_visibility(row: str) -> np.ndarray:
    """[q, k] bool: does changing input token k change the logits at position q?"""
    cfg, params, apply = _model("t5.1.1-tiny", row)
    length = len(PACKED_TOKENS)
    tokens = np.tile(np.array(PACKED_TOKENS, np.int32), (length + 1, 1))
    for k in range(length):  # row k changes token k; the last row is the original
        tokens[k, k] = (tokens[k, k] + 17) % cfg.vocab_size
    inputs = {
        "decoder_input_tokens": tokens,
        "decoder_segment_ids": np.tile(np.array(PACKED_SEGMENTS, np.int32), (length + 1, 1)),
    }
    if row == "prefix_lm":
        inputs["decoder_causal_attention"] = np.tile(
            np.array(PACKED_REGION, np.int32), (length + 1, 1)
        )
    logits = np.asarray(apply({"params": params}, **inputs))
    changed = np.abs(logits[:length] - logits[length][None]).max(-1) > 1e-5  # [k, q]
    return changed.T


def expected_visibility(prefix: bool) -> np.ndarray:
    """Fig. 3 of the paper within each segment: causal, or fully visible inside the region."""
    seg, region = np.array(PACKED_SEGMENTS), np.array(PACKED_REGION) > 0
    q, k = np.meshgrid(np.arange(len(seg)), np.arange(len(seg)), indexing="ij")
    same = (seg[q] == seg[k]) & (seg[q] > 0)
    return same & ((k <= q) | (prefix & region[q] & region[k]))


@pytest.mark.parametrize("row", ["decoder_only", "prefix_lm"])
def test_masks_on_packed_examples(row):
    got = measured_visibility(row)
    want = expected_visibility(prefix=row == "prefix_lm")
    real = np.array(PACKED_SEGMENTS) > 0
    np.testing.assert_array_equal(got[real], want[real])
    if row == "prefix_lm":
        # The first example's input "7 8 5 1" (positions 1-4) sees its last token; its target
        # (positions 5, 6) does not leak back into the prefix.
        assert got[1, 4]
        assert not got[4, 5]
        assert not got[1, 8]


def test_prefix_lm_needs_its_region_and_lm_refuses_one():
    for row, inputs, message in [
        ("prefix_lm", {}, "a prefix_lm needs decoder_causal_attention"),
        (
            "decoder_only",
            {"decoder_causal_attention": np.ones((1, 3), np.int32)},
            "architecture 'decoder_only' is causal everywhere",
        ),
        (
            "decoder_only",
            {"encoder_input_tokens": np.ones((1, 3), np.int32)},
            "architecture='decoder_only' has no encoder",
        ),
    ]:
        cfg, params, _ = _model("t5-tiny", row)
        tokens = {"decoder_input_tokens": np.ones((1, 3), np.int32), **inputs}
        with pytest.raises(ValueError, match=re.escape(message)):
            Transformer(cfg).apply({"params": params}, **tokens)
    cfg, params, _ = _model("t5-tiny", "prefix_lm")
    with pytest.raises(ValueError, match=r"Transformer\.encode is for encoder-decoder models"):
        Transformer(cfg).apply({"params": params}, np.ones((1, 3), np.int32), method="encode")


# ---------------------------------------------------------------------------------------------
# The shared encoder-decoder is an encoder-decoder whose encoder is a copy of its decoder.


@pytest.mark.parametrize("name", PRESETS)
def test_shared_equals_an_encoder_decoder_with_copied_parameters(name):
    cfg, shared, apply = _model(name, "shared_encoder_decoder")
    plain = dataclasses.replace(cfg, architecture="encoder_decoder")
    dec = shared["decoder"]
    encoder = {
        f"layers_{i}": {
            "pre_attention_layer_norm": dec[f"layers_{i}"]["pre_self_attention_layer_norm"],
            "attention": dec[f"layers_{i}"]["self_attention"],
            "pre_mlp_layer_norm": dec[f"layers_{i}"]["pre_mlp_layer_norm"],
            "mlp": dec[f"layers_{i}"]["mlp"],
        }
        for i in range(cfg.num_decoder_layers)
    }
    encoder["relpos_bias"] = dec["relpos_bias"]  # one table: bidirectional buckets here
    encoder["encoder_norm"] = dec["decoder_norm"]
    copied = {**shared, "encoder": encoder}
    batch = packed_batch("encdec")
    inputs = {k: batch[k] for k in train_step.MODEL_INPUTS if k in batch}
    want = _jit_apply(Transformer(plain))({"params": copied}, **inputs)
    got = apply({"params": shared}, **inputs)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Every architecture trains: a tiny model overfits one packed batch.


@pytest.mark.parametrize("row", ROWS)
def test_each_architecture_overfits_one_batch(row):
    cfg = study_architecture(preset("t5.1.1-tiny"), row)
    optimizer = train_step.make_optimizer("constant", 0.01)
    state = train_step.init_state(cfg, jax.random.key(0), optimizer)
    step = train_step.make_train_step(cfg, optimizer, donate=False)
    batch = packed_batch(cfg.feature_kind)
    # The prefix LM's loss covers the targets only; the LM's every token.
    weights = batch["decoder_loss_weights"].sum()
    if row == "prefix_lm":
        assert weights < (batch["decoder_target_tokens"] > 0).sum()
    if row == "decoder_only":
        assert weights == (batch["decoder_target_tokens"] > 0).sum()
        # An example's first token follows BOS alone, the same context for every example, so
        # no model predicts it: overfitting is judged on the tokens that have a context.
        batch["decoder_loss_weights"] = batch["decoder_loss_weights"] * (
            batch["decoder_positions"] > 0
        )
    per_token = []
    for _ in range(80):
        state, metrics = step(state, batch)
        train_step.check_finite(metrics)
        per_token.append(float(metrics["loss"] / metrics["weight_sum"]))
    assert abs(per_token[0] - math.log(cfg.vocab_size)) < 1.5  # about uniform at init
    assert per_token[-1] < 0.1, per_token[::10]
    assert float(metrics["accuracy"]) > 0.98


# ---------------------------------------------------------------------------------------------
# Decoding with the KV cache equals rerunning the full decoder-only model.

BATCH, ENC_LEN, MAX_LEN = 4, 6, 7


@functools.cache
def _decode_case(row: str):
    """Random parameters with kernels scaled up (varied greedy paths), and prompts of several
    lengths (rows 1 and 3 padded)."""
    cfg, params, apply = _model("t5.1.1-tiny", row)
    keys = iter(jax.random.split(jax.random.key(1), 64))

    def scale(path, leaf):
        if path[-1].key == "scale":
            return jax.random.uniform(next(keys), leaf.shape, minval=0.5, maxval=1.5)
        return leaf * 3.0 if path[-1].key == "kernel" else leaf

    params = jax.tree_util.tree_map_with_path(scale, params)
    rng = np.random.default_rng(2)
    enc = rng.integers(2, cfg.vocab_size, size=(BATCH, ENC_LEN)).astype(np.int32)
    enc[1, 3:] = 0
    enc[3, 1:] = 0
    return cfg, params, apply, enc


def naive_decoder_only(cfg, params, apply, enc, max_len, eos_id):
    """Greedy by full recomputation: each row [0, inputs, outputs so far], right-padded to one
    width; the logits at the row's last real position choose the next token."""
    batch, width = enc.shape[0], enc.shape[1] + 1 + max_len
    lengths = [int(np.max(np.nonzero(row)[0], initial=-1)) + 1 for row in enc]
    seq = np.zeros((batch, width), np.int32)
    for r, n in enumerate(lengths):
        seq[r, 1 : n + 1] = enc[r, :n]
    region = (np.arange(width)[None, :] < np.array(lengths)[:, None] + 1).astype(np.int32)
    extra = {"decoder_causal_attention": region} if cfg.architecture == "prefix_lm" else {}
    out, scores = np.zeros((batch, max_len), np.int32), np.zeros(batch)
    done = np.zeros(batch, bool)
    for t in range(max_len):
        logits = np.asarray(
            apply({"params": params}, decoder_input_tokens=seq, **extra), np.float64
        )
        for r, n in enumerate(lengths):
            row = logits[r, n + t]
            log_probs = row - row.max() - np.log(np.exp(row - row.max()).sum())
            token = 0 if done[r] else int(np.argmax(row))
            scores[r] += 0.0 if done[r] else log_probs[token]
            out[r, t] = token
            done[r] |= token == eos_id
            seq[r, n + 1 + t] = token
    return out, scores


def test_left_aligned_prompts():
    enc = np.array([[5, 6, 1], [7, 1, 0], [0, 0, 0]], np.int32)
    prompt, segments = decoding.left_aligned_prompts(enc)
    np.testing.assert_array_equal(prompt, [[0, 5, 6, 1], [0, 0, 7, 1], [0, 0, 0, 0]])
    np.testing.assert_array_equal(segments, [[1, 1, 1, 1], [0, 1, 1, 1], [0, 0, 0, 1]])


@pytest.mark.parametrize("row", ["decoder_only", "prefix_lm"])
def test_cached_greedy_equals_full_recomputation(row):
    cfg, params, apply, enc = _decode_case(row)
    paths, _ = naive_decoder_only(cfg, params, apply, enc, MAX_LEN, eos_id=-1)
    eos = int(paths[0, 2])  # stops row 0 at step 2 at the latest
    want, want_scores = naive_decoder_only(cfg, params, apply, enc, MAX_LEN, eos)
    got, scores = decoding.greedy(params, cfg, enc, MAX_LEN, eos_id=eos)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-4, atol=1e-4)
    assert (want == 0).any()  # some row stopped early
    assert len({tuple(r) for r in want}) > 1  # rows differ
    # Beam search of width 1 without a length penalty is greedy; sampling at top-1 too.
    beam, beam_scores = decoding.beam_search(
        params, cfg, enc, MAX_LEN, beam_size=1, alpha=0.0, eos_id=eos
    )
    np.testing.assert_array_equal(beam, want)
    np.testing.assert_allclose(beam_scores, want_scores, rtol=1e-4, atol=1e-4)
    sampled, _ = decoding.temperature_sample(
        params, cfg, enc, MAX_LEN, top_k=1, rng=jax.random.key(3), eos_id=eos
    )
    np.testing.assert_array_equal(sampled, want)


@pytest.mark.parametrize("row", ["decoder_only", "prefix_lm"])
def test_beam_search_scores_are_the_full_models(row):
    # Each returned beam's score is its log-probability under the full model (alpha = 0).
    cfg, params, apply, enc = _decode_case(row)
    seqs, scores = decoding.beam_search(params, cfg, enc, MAX_LEN, beam_size=3, alpha=0.0)
    lengths = [int(np.max(np.nonzero(r)[0], initial=-1)) + 1 for r in enc]
    width = ENC_LEN + 1 + MAX_LEN
    seq = np.zeros((BATCH, width), np.int32)
    for r, n in enumerate(lengths):
        seq[r, 1 : n + 1] = enc[r, :n]
        seq[r, n + 1 : n + 1 + MAX_LEN] = seqs[r]
    region = (np.arange(width)[None, :] < np.array(lengths)[:, None] + 1).astype(np.int32)
    extra = {"decoder_causal_attention": region} if row == "prefix_lm" else {}
    logits = np.asarray(apply({"params": params}, decoder_input_tokens=seq, **extra), np.float64)
    for r, n in enumerate(lengths):
        emitted = list(seqs[r])
        count = emitted.index(1) + 1 if 1 in emitted else MAX_LEN
        total = 0.0
        for t in range(count):
            row_logits = logits[r, n + t]
            shifted = row_logits - row_logits.max()
            total += shifted[emitted[t]] - np.log(np.exp(shifted).sum())
        np.testing.assert_allclose(scores[r], total, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------------------------
# FLOPs and `c4forge model info`.


def test_decoder_only_flops_are_one_stack_over_inputs_and_targets():
    cfg = study_architecture(preset("t5-tiny"), "prefix_lm")
    s, d, hk, ff = 64 + 16, 32, 32, 64
    per_layer = s * (4 * d * hk + 2 * d * ff) + 2 * s * s * hk  # projections, relu MLP, q.k, a.v
    assert forward_macs(cfg, 64, 16) == 2 * per_layer + s * d * 128  # + logits everywhere
    # Half depth halves the encoder-decoder's layers (not its logits); sharing changes nothing.
    base = preset("t5-base")
    full = forward_macs(base, 512, 114)
    logits = 114 * 768 * 32128
    assert forward_macs(study_architecture(base, "half_depth"), 512, 114) == (
        (full - logits) // 2 + logits
    )
    assert forward_macs(study_architecture(base, "shared_encoder_decoder"), 512, 114) == full


def test_cli_info_prints_the_papers_accounting(capsys):
    argv = ["model", "info", "t5-base", "--set", "architecture=decoder_only"]
    assert cli.main([*argv, "--set", "num_encoder_layers=0"]) == 0
    out = capsys.readouterr().out
    counts = {r: expected_counts(study_architecture(preset("t5-base"), r)) for r in ROWS}
    total = {r: sum(c.values()) for r, c in counts.items()}
    assert f"parameters {total['decoder_only']:>18,}" in out
    assert "training FLOPs at 512/114" in out
    lines = {line.split()[0].lstrip("*"): line for line in out.splitlines() if "(" in line}
    for row, (params, cost) in STUDY_ARCHITECTURES.items():
        assert f"{total[row]:,}" in lines[row]
        assert f"{total[row] / total['encoder_decoder']:.2f}" in lines[row]
        assert f"{params} ({0.5 if params == 'P' else 1.0:.2f})" in lines[row]
        assert f"{cost} ({0.5 if cost == 'M/2' else 1.0:.2f})" in lines[row]
    assert lines["decoder_only"].startswith(" *")
    assert "ignores encoder-decoder attention" in out
    # Half depth through --set is the half_depth row.
    argv = ["model", "info", "t5-base", "--set", "num_encoder_layers=6"]
    assert cli.main([*argv, "--set", "num_decoder_layers=6", "--lengths", "64,16"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines() if line.startswith(" *")] == [
        "*half_depth"
    ]
    assert "training FLOPs at 64/16" in out


# ---------------------------------------------------------------------------------------------
# Sharded == unsharded on 8 fake CPU devices (a subprocess: JAX is already up with one here).

SHARDED_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax, numpy as np
    from c4forge.model import partitioning, train_step
    from c4forge.model.config import override, preset, study_architecture

    # Divisible by 4 everywhere (heads 4, d_ff 64, vocab 128, d_model 128); one layer per stack.
    base = override(preset("t5.1.1-tiny"), {
        "num_heads": 4, "d_ff": 64, "d_model": 128, "dropout_rate": 0.1,
        "num_encoder_layers": 1, "num_decoder_layers": 1})
    optimizer = train_step.make_optimizer("constant", 0.01)
    out = {"devices": jax.device_count()}
    for row in sys.argv[2:]:
        config = study_architecture(base, row)
        batch = dict(np.load(f"{sys.argv[1]}/{config.feature_kind}.npz"))

        def run(mesh, mode):
            state = train_step.init_state(config, jax.random.key(0), optimizer, mesh, mode)
            step = train_step.make_train_step(config, optimizer, mesh, mode)
            losses = []
            for _ in range(2):
                state, metrics = step(state, batch, jax.random.key(1))  # dropout on
                losses.append(float(metrics["loss"]))
            return losses

        out[row] = {"single": run(None, "data")}
        for mode, shape in [("data", (8, 1)), ("tensor", (2, 4)), ("fsdp", (4, 2))]:
            out[row][mode] = run(partitioning.make_mesh(*shape), mode)
    print(json.dumps(out))
    """
)
SHARDED_ROWS = ["shared_encoder_decoder", "decoder_only", "prefix_lm"]


@pytest.fixture(scope="module")
def sharded_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sharded")
    for kind in ("encdec", "lm", "prefix_lm"):
        np.savez(folder / f"{kind}.npz", **packed_batch(kind, rows=8))
    return run_on_8_devices(SHARDED_SCRIPT, [str(folder), *SHARDED_ROWS], timeout=540)


@pytest.mark.parametrize("row", SHARDED_ROWS)
def test_sharded_equals_unsharded_on_8_devices(sharded_runs, row):
    assert sharded_runs["devices"] == 8
    runs = sharded_runs[row]
    for mode in ("data", "tensor", "fsdp"):
        np.testing.assert_allclose(runs[mode], runs["single"], rtol=1e-5, err_msg=mode)
    assert runs["single"][1] < runs["single"][0]  # it trains
