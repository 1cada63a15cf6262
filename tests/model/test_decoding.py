"""model/decoding.py and the decode cache: every result against the full, uncached model.

The references rerun `Transformer.__call__` (itself checked against numpy in test_t5.py) on the
whole prefix: cached steps against full-decoder logits, greedy against a step-by-step argmax,
beam search against a brute-force enumeration over a 4-token vocabulary.

A random tiny model almost never emits id 1, so where rows must stop, EOS is played by a token
the model's greedy paths do emit (every function takes `eos_id`); the brute-force test keeps id 1.
Kernels are scaled up and norm scales drawn at random so that greedy paths vary between rows
instead of repeating one token.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from c4forge.model import decoding
from c4forge.model.config import preset
from c4forge.model.t5 import Transformer, init_cache

PRESETS = ["t5-tiny", "t5.1.1-tiny"]  # v1.0 (tied, relu), T5.1.1 (untied, gated-gelu)
BATCH, ENC_LEN, MAX_LEN = 5, 7, 10


@dataclasses.dataclass(frozen=True)
class Case:
    cfg: object
    params: dict
    apply: object
    enc: np.ndarray  # int [BATCH, ENC_LEN], rows 1 and 3 padded
    eos: int  # an id that stops some greedy rows early and not others


def _jit_apply(model):
    return jax.jit(model.apply, static_argnames=("method", "decode", "mutable"))


@functools.cache
def _random_params(name):
    model = Transformer(preset(name))
    tokens = jnp.ones((1, 4), jnp.int32)
    params = nn.unbox(jax.jit(model.init)(jax.random.key(0), tokens, tokens)["params"])
    leaves, tree = jax.tree_util.tree_flatten_with_path(params)
    keys = jax.random.split(jax.random.key(1), len(leaves))
    out = []
    for (path, leaf), key in zip(leaves, keys, strict=True):
        if path[-1].key == "scale":
            leaf = jax.random.uniform(key, leaf.shape, minval=0.5, maxval=1.5)
        elif path[-1].key == "kernel":
            leaf = leaf * 3.0
        out.append(leaf)
    return jax.tree_util.tree_unflatten(tree, out)


def _first_tokens_only(params, vocab):
    """The same network over the first `vocab` ids: only the vocab-sized tables change."""
    params = jax.tree_util.tree_map(lambda x: x, params)  # a copy of the dict structure
    params["token_embedder"]["embedding"] = params["token_embedder"]["embedding"][:vocab]
    if "logits_dense" in params["decoder"]:
        kernel = params["decoder"]["logits_dense"]["kernel"]
        params["decoder"]["logits_dense"]["kernel"] = kernel[:, :vocab]
    return params


def _log_softmax(logits):
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def naive_greedy(apply, params, enc, max_len, eos_id):
    """Argmax one token at a time, rerunning the full model on the prefix at every step.

    The decoder input keeps a fixed [b, max_len] shape (one compile); positions past the prefix
    hold 0 and the causal mask keeps them out of the logits read at the prefix's end.
    """
    batch = len(enc)
    inputs = np.zeros((batch, max_len), np.int32)  # start id 0, then the outputs so far
    out = np.zeros((batch, max_len), np.int32)
    scores, done = np.zeros(batch), np.zeros(batch, bool)
    for t in range(max_len):
        log_probs = _log_softmax(apply({"params": params}, enc, inputs)[:, t])
        token = np.where(done, 0, log_probs.argmax(-1))
        scores += np.where(done, 0.0, log_probs[np.arange(batch), token])
        out[:, t] = token
        done |= token == eos_id
        if t + 1 < max_len:
            inputs[:, t + 1] = token
    return out, scores


def _pick_eos(paths):
    """The id whose first appearance ends the most rows early, while some row never has it."""
    best, best_count = None, 0
    for token in np.unique(paths):
        first = [list(row).index(token) if token in row else None for row in paths]
        early = sum(f is not None and 1 <= f <= MAX_LEN - 3 for f in first)
        if token != 0 and None in first and early > best_count:
            best, best_count = int(token), early
    assert best is not None, "no token ends some rows early and not others"
    return best


@functools.cache
def _case(name) -> Case:
    cfg = preset(name)
    params = _random_params(name)
    apply = _jit_apply(Transformer(cfg))
    rng = np.random.default_rng(0)
    enc = rng.integers(2, cfg.vocab_size, size=(BATCH, ENC_LEN)).astype(np.int32)
    enc[1, 4:] = 0
    enc[3, 2:] = 0
    free, _ = naive_greedy(apply, params, enc, MAX_LEN, eos_id=None)
    return Case(cfg, params, apply, enc, _pick_eos(free))


@pytest.fixture(params=PRESETS)
def case(request) -> Case:
    return _case(request.param)


# ---------------------------------------------------------------------------------------------
# The cache.


def test_init_cache_shapes():
    cfg = preset("t5.1.1-tiny")
    cache = init_cache(cfg, 3, 11)
    assert cache["decoder"]["cache_index"].shape == ()
    assert int(cache["decoder"]["cache_index"]) == 0
    for i in range(cfg.num_decoder_layers):
        layer = cache["decoder"][f"layers_{i}"]
        assert set(layer) == {"self_attention"}  # cross-attention is not cached
        for name in ("cached_key", "cached_value"):
            array = layer["self_attention"][name]
            assert array.shape == (3, 11, cfg.num_heads, cfg.d_kv)
            assert array.dtype == jnp.float32
            assert not np.asarray(array).any()
    bf16 = init_cache(dataclasses.replace(cfg, dtype="bfloat16"), 1, 2)
    assert bf16["decoder"]["layers_0"]["self_attention"]["cached_key"].dtype == jnp.bfloat16
    with pytest.raises(ValueError, match="init_cache needs batch_size and max_decode_length"):
        init_cache(cfg, 1, 0)


def test_cached_steps_give_the_full_decoder_logits(case):
    # 24 positions: past 16 the causal buckets become logarithmic, so the bias of each step's
    # own index is checked where it is not the identity.
    length = 24
    cfg, params, apply, enc = case.cfg, case.params, case.apply, case.enc
    rng = np.random.default_rng(1)
    dec = rng.integers(0, cfg.vocab_size, size=(BATCH, length)).astype(np.int32)
    dec[:, 0] = 0
    full = np.asarray(apply({"params": params}, enc, dec))  # [b, length, n]
    encoded = apply({"params": params}, enc, method=Transformer.encode)
    cache = init_cache(cfg, BATCH, length)
    for t in range(length):
        logits, state = apply(
            {"params": params, "cache": cache},
            encoded,
            enc,
            dec[:, t : t + 1],
            decode=True,
            mutable=("cache",),
            method=Transformer.decode,
        )
        cache = state["cache"]
        assert logits.shape == (BATCH, 1, cfg.vocab_size)
        # float32 sums in another order; a wrong bias or mask would be off by ~0.1.
        np.testing.assert_allclose(logits[:, 0], full[:, t], rtol=1e-4, atol=1e-4, err_msg=t)
    assert int(cache["decoder"]["cache_index"]) == length


def test_decode_mode_takes_one_unpacked_position():
    case = _case("t5.1.1-tiny")
    encoded = case.apply({"params": case.params}, case.enc, method=Transformer.encode)
    variables = {"params": case.params, "cache": init_cache(case.cfg, BATCH, 4)}
    two = np.zeros((BATCH, 2), np.int32)
    kwargs = {"decode": True, "mutable": ("cache",), "method": Transformer.decode}
    with pytest.raises(ValueError, match="a cached decode step takes one position, got 2"):
        case.apply(variables, encoded, case.enc, two, **kwargs)
    one = np.ones((BATCH, 1), np.int32)
    with pytest.raises(ValueError, match="decode=True takes unpacked rows: no segment ids"):
        case.apply(variables, encoded, case.enc, one, np.ones_like(case.enc), one, **kwargs)


# ---------------------------------------------------------------------------------------------
# Greedy and sampling.


def test_greedy_equals_rerunning_the_full_model(case):
    want, want_scores = naive_greedy(case.apply, case.params, case.enc, MAX_LEN, case.eos)
    got, scores = decoding.greedy(case.params, case.cfg, case.enc, MAX_LEN, eos_id=case.eos)
    assert got.shape == (BATCH, MAX_LEN)
    assert got.dtype == jnp.int32
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5)


def test_rows_stop_at_eos_and_pad_after_it(case):
    got, _ = decoding.greedy(case.params, case.cfg, case.enc, MAX_LEN, eos_id=case.eos)
    got = np.asarray(got)
    stopped = [row for row in got if case.eos in row]
    assert 0 < len(stopped) < BATCH  # the case has rows of both kinds
    for row in stopped:
        end = list(row).index(case.eos)
        assert end < MAX_LEN - 2
        assert not row[end + 1 :].any()
    beams, _ = decoding.beam_search(
        case.params, case.cfg, case.enc, MAX_LEN, beam_size=2, eos_id=case.eos
    )
    for row in np.asarray(beams):
        if case.eos in row:
            assert not row[list(row).index(case.eos) + 1 :].any()


def test_sampling_with_top_k_1_or_temperature_0_is_greedy(case):
    want, want_scores = decoding.greedy(case.params, case.cfg, case.enc, MAX_LEN, eos_id=case.eos)
    for temperature, top_k in [(1.0, 1), (0.0, None)]:
        got, scores = decoding.temperature_sample(
            case.params,
            case.cfg,
            case.enc,
            MAX_LEN,
            temperature=temperature,
            top_k=top_k,
            rng=jax.random.key(7),
            eos_id=case.eos,
        )
        np.testing.assert_array_equal(got, want)
        np.testing.assert_allclose(scores, want_scores, rtol=1e-6)


def test_same_rng_same_sample():
    case = _case("t5.1.1-tiny")

    def sample(seed):
        return decoding.temperature_sample(
            case.params, case.cfg, case.enc, MAX_LEN, rng=jax.random.key(seed), eos_id=case.eos
        )

    (a, a_scores), (b, b_scores), (c, _) = sample(3), sample(3), sample(4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a_scores, b_scores)
    assert not np.array_equal(a, c)
    # The scores are the model's log-probabilities of what was drawn (as greedy's are).
    inputs = np.concatenate([np.zeros((BATCH, 1), np.int32), np.asarray(a)[:, :-1]], axis=1)
    log_probs = _log_softmax(case.apply({"params": case.params}, case.enc, inputs))
    drawn = np.take_along_axis(log_probs, np.asarray(a)[..., None], -1)[..., 0]
    live = np.cumsum(np.asarray(a) == case.eos, axis=1) - (np.asarray(a) == case.eos) == 0
    np.testing.assert_allclose(a_scores, (drawn * live).sum(1), rtol=1e-5)


def test_sampling_follows_the_tempered_top_k_softmax():
    # Many rows with one input, one step: the first tokens' frequencies against softmax(l / T)
    # over the top k of the full model's first-position logits.
    case = _case("t5-tiny")
    rows, temperature, top_k = 4000, 0.7, 5
    enc = np.repeat(case.enc[:1], rows, axis=0)
    got, scores = decoding.temperature_sample(
        case.params,
        case.cfg,
        enc,
        1,
        temperature=temperature,
        top_k=top_k,
        rng=jax.random.key(0),
        eos_id=case.eos,
    )
    logits = np.asarray(
        case.apply({"params": case.params}, case.enc[:1], np.zeros((1, 1), np.int32))
    )[0, 0].astype(np.float64)
    top = np.argsort(-logits)[:top_k]
    want = np.exp(logits[top] / temperature)
    want /= want.sum()
    counts = np.bincount(np.asarray(got)[:, 0], minlength=case.cfg.vocab_size)
    assert counts[top].sum() == rows  # nothing outside the top k
    np.testing.assert_allclose(counts[top] / rows, want, atol=0.03)  # ~4 sigma at 4000 rows
    # Scores are log-probabilities under the untempered, untruncated model.
    np.testing.assert_allclose(scores, _log_softmax(logits)[np.asarray(got)[:, 0]], rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# Beam search.


def test_beam_size_1_without_length_penalty_is_greedy(case):
    want, want_scores = decoding.greedy(case.params, case.cfg, case.enc, MAX_LEN, eos_id=case.eos)
    got, scores = decoding.beam_search(
        case.params, case.cfg, case.enc, MAX_LEN, beam_size=1, alpha=0.0, eos_id=case.eos
    )
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5)


def _brute_force(apply, params, enc, vocab, length, alpha):
    """Every output of `length` tokens over `vocab`: the best length-normalised hypothesis per
    row, and a {hypothesis: score} table. A hypothesis ends at its first EOS (1) or at `length`.
    """
    outputs = np.array(list(itertools.product(range(vocab), repeat=length)), np.int32)
    inputs = np.concatenate([np.zeros((len(outputs), 1), np.int32), outputs[:, :-1]], axis=1)
    best, tables = [], []
    for row in enc:
        log_probs = _log_softmax(apply({"params": params}, np.tile(row, (len(outputs), 1)), inputs))
        cumulative = np.cumsum(np.take_along_axis(log_probs, outputs[..., None], -1)[..., 0], 1)
        table = {}
        for output, cum in zip(outputs, cumulative, strict=True):
            n = list(output).index(1) + 1 if 1 in output else length
            hypothesis = tuple(output[:n]) + (0,) * (length - n)
            table[hypothesis] = cum[n - 1] / ((5 + n) / 6) ** alpha
        tables.append(table)
        best.append(max(table, key=table.get))
    return best, tables


@pytest.mark.parametrize("name", PRESETS)
def test_beam_search_finds_the_brute_force_optimum(name):
    # Vocab 4, 4 steps: 2k >= 3^3 * 4 live candidates, so the search is exhaustive and must
    # return the exact optimum; greedy, one path among all, cannot score higher.
    vocab, length, alpha = 4, 4, 0.6
    cfg = dataclasses.replace(preset(name), vocab_size=vocab)
    params = _first_tokens_only(_random_params(name), vocab)
    apply = _jit_apply(Transformer(cfg))
    enc = np.random.default_rng(3).integers(2, vocab, size=(2, ENC_LEN)).astype(np.int32)
    enc[1, 5:] = 0
    best, tables = _brute_force(apply, params, enc, vocab, length, alpha)
    got, scores = decoding.beam_search(params, cfg, enc, length, beam_size=54, alpha=alpha)
    greedy, _ = decoding.greedy(params, cfg, enc, length)
    for i in range(len(enc)):
        assert tuple(np.asarray(got[i]).tolist()) == best[i]
        np.testing.assert_allclose(scores[i], tables[i][best[i]], rtol=1e-5)
        greedy_score = tables[i][tuple(np.asarray(greedy[i]).tolist())]
        assert float(scores[i]) >= greedy_score - 1e-5 * abs(greedy_score)
    # A narrow beam returns a real hypothesis, scored as the enumeration scores it.
    narrow, narrow_scores = decoding.beam_search(params, cfg, enc, length, beam_size=2)
    for i in range(len(enc)):
        hypothesis = tuple(np.asarray(narrow[i]).tolist())
        np.testing.assert_allclose(narrow_scores[i], tables[i][hypothesis], rtol=1e-5)
        assert float(narrow_scores[i]) <= float(scores[i]) + 1e-5 * abs(float(scores[i]))


def test_beam_search_rows_are_independent():
    case = _case("t5.1.1-tiny")
    kwargs = {"beam_size": 2, "eos_id": case.eos}
    batch, batch_scores = decoding.beam_search(case.params, case.cfg, case.enc, MAX_LEN, **kwargs)
    for i in range(BATCH):
        alone, score = decoding.beam_search(
            case.params, case.cfg, case.enc[i : i + 1], MAX_LEN, **kwargs
        )
        np.testing.assert_array_equal(alone[0], batch[i])
        np.testing.assert_allclose(score[0], batch_scores[i], rtol=1e-5)


def test_brevity_penalty_is_t5x():
    assert float(decoding.brevity_penalty(0.6, 1)) == 1.0
    np.testing.assert_allclose(decoding.brevity_penalty(0.6, 10), (15 / 6) ** 0.6, rtol=1e-6)
    assert float(decoding.brevity_penalty(0.0, 37)) == 1.0


# ---------------------------------------------------------------------------------------------
# API edges.


def test_decoding_composes_with_an_outer_jit():
    case = _case("t5-tiny")

    @jax.jit
    def run(params, enc):
        return decoding.greedy(params, case.cfg, enc, MAX_LEN, eos_id=case.eos)

    want = decoding.greedy(case.params, case.cfg, case.enc, MAX_LEN, eos_id=case.eos)
    got = run(case.params, case.enc)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)


def test_predict_fn_returns_ids_through_eos():
    case = _case("t5.1.1-tiny")
    predict = decoding.make_predict_fn(
        case.params, case.cfg, max_decode_length=MAX_LEN, eos_id=case.eos
    )
    batch = {"encoder_input_tokens": case.enc, "decoder_input_tokens": np.zeros((BATCH, 3))}
    got = predict(batch)
    want, _ = decoding.greedy(case.params, case.cfg, case.enc, MAX_LEN, eos_id=case.eos)
    assert len(got) == BATCH
    for ids, row in zip(got, np.asarray(want).tolist(), strict=True):
        assert all(isinstance(t, int) for t in ids)
        cut = row.index(case.eos) + 1 if case.eos in row else MAX_LEN
        assert ids == row[:cut]
    sample = functools.partial(
        decoding.make_predict_fn,
        case.params,
        case.cfg,
        max_decode_length=MAX_LEN,
        method="sample",
        eos_id=case.eos,
    )
    first, second = sample(seed=5), sample(seed=5)
    assert first(batch) == second(batch)
    with pytest.raises(ValueError, match="unknown decoding method 'topp'; known: greedy, sam"):
        decoding.make_predict_fn(case.params, case.cfg, max_decode_length=4, method="topp")


def test_arguments_are_checked():
    cfg, params = preset("t5-tiny"), {}
    enc = np.ones((1, 3), np.int32)
    rng = jax.random.key(0)
    with pytest.raises(ValueError, match="max_decode_length must be >= 1, got 0"):
        decoding.greedy(params, cfg, enc, 0)
    with pytest.raises(ValueError, match="temperature must be >= 0, got -1"):
        decoding.temperature_sample(params, cfg, enc, 2, temperature=-1.0, rng=rng)
    with pytest.raises(ValueError, match=r"top_k must be in \[1, vocab_size=128\], got 0"):
        decoding.temperature_sample(params, cfg, enc, 2, top_k=0, rng=rng)
    with pytest.raises(ValueError, match="beam_size must be >= 1, got 0"):
        decoding.beam_search(params, cfg, enc, 2, beam_size=0)
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        decoding.beam_search(params, cfg, enc, 2, alpha=-0.5)
