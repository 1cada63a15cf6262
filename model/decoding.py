"""Autoregressive decoding for model/t5.py: greedy, temperature sampling, beam search.

All three run the encoder once, then one cached decoder step per position (`Transformer.decode(
..., decode=True)` over the Linen "cache" collection, see model/t5.py) inside `lax.while_loop`,
every row of the batch in parallel, and stop early once every row is done. The decoder starts
from id 0 (PAD doubles as the start token, as in T5); a row stops at its first EOS (id 1), and
positions after it hold 0. Decoder-only models (`config.decoder_only`, Raffel et al. §3.2.1:
"feed the text through `target:` and decode the rest") instead run their prompt, BOS then the
inputs, through `Transformer.lm(..., decode=True)` in one cached call (fully visible for a
prefix LM, causal for an LM), shorter prompts left-padded, and then step the same way. Results
are `(sequences int32 [b, max_decode_length], scores float32 [b])`, jitted with the config,
lengths, `eos_id`, `top_k`, `beam_size` and `alpha` static.

Scores. Greedy and sampling: the sum of the model's log-probabilities of the emitted tokens, EOS
included, under the raw logits (no temperature, no top-k), as t5x `temperature_sample` reports.
Beam search: that sum divided by t5x's brevity penalty ((5 + length) / 6) ** alpha, length =
tokens emitted, EOS included (Wu et al. 2016, §7; t5x `decoding.brevity_penalty`).

Beam search follows t5x `decoding.beam_search`: per row, take the 2k best one-token extensions
of the k live hypotheses; the k best that do not end in EOS stay live (their caches gathered with
them); those ending in EOS join the k finished ones, ranked by the normalised score; stop when no
live hypothesis, even at the smallest penalty, can beat the worst of k finished ones. Two choices
differ from t5x, both so that every returned score means the same thing:
- an EOS extension is finished only when it ranks within the row's top k candidates (as fairseq
  and HF), not top 2k, so `beam_size=1, alpha=0` is exactly greedy;
- a hypothesis that reaches `max_decode_length` without EOS counts as finished, scored with the
  same penalty (t5x returns unnormalised live log-probs, and only when nothing finished).

`make_predict_fn` adapts any of them to `tasks.evaluation.evaluate`.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from c4forge.model.config import T5Config
from c4forge.model.t5 import Transformer, init_cache

Array = jax.Array
Params = Any  # the "params" collection, boxed (nn.LogicallyPartitioned) or not

DECODER_START_ID = 0
EOS_ID = 1
NEG_INF = -1.0e7  # finite as in t5x: dead beams stay comparable instead of producing NaN
MIN_TEMPERATURE = 1e-4  # t5x: below this, sampling is argmax (1/T would overflow the logits)


def brevity_penalty(alpha: float, length) -> Array:
    """t5x / GNMT length normalisation: ((5 + length) / 6) ** alpha; 1 when alpha = 0."""
    return ((5.0 + jnp.asarray(length, jnp.float32)) / 6.0) ** alpha


# ---------------------------------------------------------------------------------------------
# The model seen one step at a time.

Step = Callable[[Array, Any], tuple[Array, Any]]  # (tokens [n], cache) -> (logits [n, V], cache)


def _encode(params: Params, config: T5Config, encoder_input_tokens: Array) -> Array:
    model = Transformer(config)
    return model.apply({"params": params}, encoder_input_tokens, method=Transformer.encode)


def _step_fn(
    params: Params, config: T5Config, encoded: Array | None, encoder_input_tokens: Array | None
) -> Step:
    """(tokens int [n], cache) -> (logits float32 [n, vocab], cache) for the next position."""
    model = Transformer(config)

    def step(tokens: Array, cache: Any) -> tuple[Array, Any]:
        variables = {"params": params, "cache": cache}
        if config.decoder_only:
            logits, state = model.apply(
                variables, tokens[:, None], decode=True, mutable=["cache"], method=Transformer.lm
            )
        else:
            logits, state = model.apply(
                variables,
                encoded,
                encoder_input_tokens,
                tokens[:, None],
                decode=True,
                mutable=["cache"],
                method=Transformer.decode,
            )
        return logits[:, 0], state["cache"]

    return step


def left_aligned_prompts(encoder_input_tokens: Array) -> tuple[Array, Array]:
    """Decoder-only prompts: (tokens, segment ids), int32 [b, k + 1] each.

    Row r with n_r input tokens (up to its last non-zero id) becomes [pad.., 0 (BOS), inputs]:
    right-aligned so that every row's first target is predicted at the same cache slot; the
    k - n_r leading slots have segment id 0. This is the prompt seqio's PrefixLMFeatureConverter
    puts before a target (decoder inputs start with BOS 0; a prefix LM's fully visible region is
    exactly these n_r + 1 positions).
    """
    tokens = jnp.asarray(encoder_input_tokens, jnp.int32)
    width = tokens.shape[1]
    present = jnp.arange(1, width + 1)[None, :] * (tokens != 0)  # [b, k]
    lengths = jnp.max(present, axis=1)  # [b]: n_r
    slots = jnp.arange(width + 1)[None, :]  # [1, k + 1]
    source = slots - (width - lengths)[:, None] - 1  # which input lands in each slot; -1: BOS
    picked = jnp.take_along_axis(tokens, jnp.clip(source, 0, width - 1), axis=1)
    prompt = jnp.where(source >= 0, picked, DECODER_START_ID)
    segments = (source >= -1).astype(jnp.int32)
    return prompt, segments


def _prime(
    params: Params,
    config: T5Config,
    encoder_input_tokens: Array,  # int [b, k]
    max_decode_length: int,
    copies: int = 1,  # rows per example (beams), batch-major
) -> tuple[Array, Any, Step]:
    """(logits of the first output [b * copies, n], cache, step): the model up to its first choice.

    Encoder-decoders encode once and take the start token; decoder-only models run the prompt
    in one cached call (a prefix LM's prefix sees itself whole). The cache has one slot more
    than the outputs need: the loops step once more after their last choice.
    """
    tokens = jnp.asarray(encoder_input_tokens, jnp.int32)
    rows = tokens.shape[0] * copies
    if config.decoder_only:
        prompt, segments = left_aligned_prompts(tokens)
        prompt, segments = jnp.repeat(prompt, copies, 0), jnp.repeat(segments, copies, 0)
        cache = init_cache(config, rows, prompt.shape[1] + max_decode_length)
        logits, state = Transformer(config).apply(
            {"params": params, "cache": cache},
            prompt,
            segments,
            decode=True,
            mutable=["cache"],
            method=Transformer.lm,
        )
        return logits[:, -1], state["cache"], _step_fn(params, config, None, None)
    encoded = jnp.repeat(_encode(params, config, tokens), copies, axis=0)  # [rows, k, d]
    step = _step_fn(params, config, encoded, jnp.repeat(tokens, copies, axis=0))
    cache = init_cache(config, rows, max_decode_length + 1)
    logits, cache = step(jnp.full((rows,), DECODER_START_ID, jnp.int32), cache)
    return logits, cache, step


# ---------------------------------------------------------------------------------------------
# Greedy and temperature sampling: one hypothesis per row.

Chooser = Callable[[Array, Array], Array]  # (logits [b, n], key) -> token ids [b]


def _sample_loop(
    params: Params,
    config: T5Config,
    encoder_input_tokens: Array,  # int [b, k]
    max_decode_length: int,
    eos_id: int,
    choose: Chooser,
    rng: Array,
) -> tuple[Array, Array]:
    tokens = jnp.asarray(encoder_input_tokens, jnp.int32)
    batch = tokens.shape[0]
    logits, cache, step = _prime(params, config, tokens, max_decode_length)
    init = {
        "index": jnp.array(0, jnp.int32),
        "logits": logits,  # [b, n]: the model's next-token logits
        "sequences": jnp.zeros((batch, max_decode_length), jnp.int32),
        "scores": jnp.zeros((batch,), jnp.float32),
        "done": jnp.zeros((batch,), bool),
        "cache": cache,
        "rng": rng,
    }

    def keep_going(state):
        return (state["index"] < max_decode_length) & ~jnp.all(state["done"])

    def body(state):
        logits = state["logits"]
        rng, key = jax.random.split(state["rng"])
        token = choose(logits, key)
        log_prob = jnp.take_along_axis(jax.nn.log_softmax(logits), token[:, None], -1)[:, 0]
        done = state["done"]
        token = jnp.where(done, 0, token)  # finished rows emit padding
        next_logits, cache = step(token, state["cache"])
        return {
            "index": state["index"] + 1,
            "logits": next_logits,
            "sequences": jax.lax.dynamic_update_slice(
                state["sequences"], token[:, None], (0, state["index"])
            ),
            "scores": state["scores"] + jnp.where(done, 0.0, log_prob),
            "done": done | (token == eos_id),
            "cache": cache,
            "rng": rng,
        }

    final = jax.lax.while_loop(keep_going, body, init)
    return final["sequences"], final["scores"]


@functools.partial(jax.jit, static_argnames=("config", "max_decode_length", "eos_id"))
def _greedy(params, config, encoder_input_tokens, max_decode_length, eos_id):
    def argmax(logits, key):
        del key
        return jnp.argmax(logits, axis=-1).astype(jnp.int32)

    return _sample_loop(
        params,
        config,
        encoder_input_tokens,
        max_decode_length,
        eos_id,
        argmax,
        jax.random.key(0),  # unused
    )


def greedy(
    params: Params,
    config: T5Config,
    encoder_input_tokens,  # int [b, k], 0 = padding
    max_decode_length: int,
    *,
    eos_id: int = EOS_ID,
) -> tuple[Array, Array]:
    """Argmax decoding: (sequences int32 [b, max_decode_length], log-prob sums float32 [b])."""
    _check_length(max_decode_length)
    return _greedy(params, config, encoder_input_tokens, max_decode_length, eos_id)


@functools.partial(jax.jit, static_argnames=("config", "max_decode_length", "eos_id", "top_k"))
def _temperature_sample(
    params, config, encoder_input_tokens, max_decode_length, eos_id, temperature, top_k, rng
):
    def sample(logits, key):  # logits [b, n]
        candidates = logits
        if top_k is not None:
            candidates, candidate_ids = jax.lax.top_k(logits, top_k)  # [b, top_k]
        scaled = candidates / jnp.maximum(temperature, MIN_TEMPERATURE)
        token = jax.random.categorical(key, scaled, axis=-1)
        if top_k is not None:
            token = jnp.take_along_axis(candidate_ids, token[:, None], -1)[:, 0]
        # t5x: temperatures below MIN_TEMPERATURE decode greedily.
        token = jnp.where(temperature < MIN_TEMPERATURE, jnp.argmax(logits, axis=-1), token)
        return token.astype(jnp.int32)

    return _sample_loop(
        params, config, encoder_input_tokens, max_decode_length, eos_id, sample, rng
    )


def temperature_sample(
    params: Params,
    config: T5Config,
    encoder_input_tokens,  # int [b, k], 0 = padding
    max_decode_length: int,
    *,
    temperature: float = 1.0,  # may be traced; < 1e-4 means argmax
    top_k: int | None = None,  # sample among the top_k logits only
    rng: Array,
    eos_id: int = EOS_ID,
) -> tuple[Array, Array]:
    """Sampling from softmax(logits / temperature): (sequences [b, L], log-prob sums [b]).

    The same `rng` gives the same samples; scores are under the untempered model.
    """
    _check_length(max_decode_length)
    if isinstance(temperature, int | float) and temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and not 1 <= top_k <= config.vocab_size:
        raise ValueError(f"top_k must be in [1, vocab_size={config.vocab_size}], got {top_k}")
    return _temperature_sample(
        params,
        config,
        encoder_input_tokens,
        max_decode_length,
        eos_id,
        jnp.asarray(temperature, jnp.float32),
        top_k,
        rng,
    )


# ---------------------------------------------------------------------------------------------
# Beam search.


def _gather(x: Array, indices: Array) -> Array:
    """x [b, m, ...], indices int [b, j] -> [b, j, ...]: per row, the listed slots."""
    return jax.vmap(lambda row, idx: row[idx])(x, indices)


@functools.partial(
    jax.jit, static_argnames=("config", "max_decode_length", "beam_size", "alpha", "eos_id")
)
def _beam_search(params, config, encoder_input_tokens, max_decode_length, beam_size, alpha, eos_id):
    tokens = jnp.asarray(encoder_input_tokens, jnp.int32)
    batch, k, length = tokens.shape[0], beam_size, max_decode_length
    # Rows are batch-major, beam-minor: row r * k + j is beam j of example r.
    logits, cache, step = _prime(params, config, tokens, length, copies=k)
    # Only beam 0 is alive at first, so the first step does not pick k copies of one token.
    first = jnp.array([0.0] + [NEG_INF] * (k - 1), jnp.float32)
    init = {
        "index": jnp.array(0, jnp.int32),
        "logits": logits,  # [b * k, n]: each live hypothesis's next-token logits
        "live_seqs": jnp.zeros((batch, k, length), jnp.int32),
        "live_log_probs": jnp.tile(first, (batch, 1)),  # [b, k], unnormalised
        "finished_seqs": jnp.zeros((batch, k, length), jnp.int32),
        "finished_scores": jnp.full((batch, k), NEG_INF, jnp.float32),  # normalised
        "finished_flags": jnp.zeros((batch, k), bool),  # slot holds a real hypothesis
        "cache": cache,
    }
    # Extending a live hypothesis only lowers its log-prob, and a longer one is divided by at
    # most brevity_penalty(length): live / that bounds every score it can still reach.
    max_penalty = brevity_penalty(alpha, length)

    def keep_going(state):
        best_live = jnp.max(state["live_log_probs"], axis=1) / max_penalty  # [b]
        worst_finished = jnp.min(state["finished_scores"], axis=1)
        row_done = jnp.all(state["finished_flags"], axis=1) & (worst_finished > best_live)
        return (state["index"] < length) & ~jnp.all(row_done)

    def body(state):
        index = state["index"]
        vocab = state["logits"].shape[-1]
        log_probs = jax.nn.log_softmax(state["logits"]).reshape(batch, k, vocab)
        log_probs = log_probs + state["live_log_probs"][:, :, None]
        # 2k candidates: even if k of them end in EOS, k remain to stay live.
        top_log_probs, top_ids = jax.lax.top_k(log_probs.reshape(batch, k * vocab), 2 * k)
        parent, token = top_ids // vocab, top_ids % vocab  # [b, 2k]
        seqs = _gather(state["live_seqs"], parent)  # [b, 2k, L]
        seqs = jax.lax.dynamic_update_slice(seqs, token[:, :, None], (0, 0, index))
        is_eos = token == eos_id
        real = top_log_probs > NEG_INF / 2  # not descended from a dead initial beam

        # LIVE: the k best that do not end in EOS, with their parents' caches, one step on.
        live_log_probs, pick = jax.lax.top_k(jnp.where(is_eos, NEG_INF, top_log_probs), k)
        rows = (jnp.arange(batch)[:, None] * k + _gather(parent, pick)).reshape(-1)  # [b * k]
        cache = jax.tree_util.tree_map(lambda x: x[rows] if x.ndim else x, state["cache"])
        live_tokens = _gather(token, pick)  # [b, k]
        next_logits, cache = step(live_tokens.reshape(-1), cache)

        # FINISHED: EOS extensions ranked within the top k, merged with the finished so far.
        ends = is_eos & real & (jnp.arange(2 * k) < k)[None, :]
        scores = jnp.where(ends, top_log_probs / brevity_penalty(alpha, index + 1), NEG_INF)
        finished_scores, finished_seqs, finished_flags = _top_finished(state, scores, seqs, ends, k)
        return {
            "index": index + 1,
            "logits": next_logits,
            "live_seqs": _gather(seqs, pick),
            "live_log_probs": live_log_probs,
            "finished_seqs": finished_seqs,
            "finished_scores": finished_scores,
            "finished_flags": finished_flags,
            "cache": cache,
        }

    final = jax.lax.while_loop(keep_going, body, init)
    # Live hypotheses that reached max_decode_length are complete too (if the loop stopped
    # early, none of them can beat the finished ones and they stay out).
    at_end = (final["index"] == length) & (final["live_log_probs"] > NEG_INF / 2)
    live_scores = jnp.where(at_end, final["live_log_probs"] / max_penalty, NEG_INF)
    scores, seqs, _ = _top_finished(final, live_scores, final["live_seqs"], at_end, 1)
    return seqs[:, 0], scores[:, 0]


def _top_finished(state, scores, seqs, flags, keep):
    """The `keep` best of the finished hypotheses in `state` and the new ones (by score)."""
    all_scores = jnp.concatenate([state["finished_scores"], scores], axis=1)
    all_seqs = jnp.concatenate([state["finished_seqs"], seqs], axis=1)
    all_flags = jnp.concatenate([state["finished_flags"], flags], axis=1)
    top_scores, pick = jax.lax.top_k(all_scores, keep)
    return top_scores, _gather(all_seqs, pick), _gather(all_flags, pick)


def beam_search(
    params: Params,
    config: T5Config,
    encoder_input_tokens,  # int [b, k], 0 = padding
    max_decode_length: int,
    *,
    beam_size: int = 4,
    alpha: float = 0.6,
    eos_id: int = EOS_ID,
) -> tuple[Array, Array]:
    """The best beam per row: (sequences int32 [b, L], length-normalised log-probs float32 [b]).

    T5's setting for translation and summarisation is beam_size=4, alpha=0.6 (Raffel et al.
    2020, §3.1.2).
    """
    _check_length(max_decode_length)
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size}")
    if config.vocab_size < 2:
        raise ValueError(f"beam search needs vocab_size >= 2, got {config.vocab_size}")
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0 (the stopping bound assumes it), got {alpha}")
    return _beam_search(
        params,
        config,
        encoder_input_tokens,
        max_decode_length,
        beam_size,
        float(alpha),
        eos_id,
    )


def _check_length(max_decode_length: int) -> None:
    if max_decode_length < 1:
        raise ValueError(f"max_decode_length must be >= 1, got {max_decode_length}")


# ---------------------------------------------------------------------------------------------
# tasks.evaluation.evaluate's predict_fn.

METHODS = ("greedy", "sample", "beam")


def make_predict_fn(
    params: Params,
    config: T5Config,
    *,
    max_decode_length: int,
    method: str = "greedy",
    beam_size: int = 4,
    alpha: float = 0.6,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int = 0,
    eos_id: int = EOS_ID,
) -> Callable[[Mapping[str, np.ndarray]], list[list[int]]]:
    """`predict_fn(batch) -> [ids per row]` for `tasks.evaluation.evaluate(name, predict_fn)`.

    Reads `batch["encoder_input_tokens"]` only; each row's ids run up to and including its
    first EOS (the whole row when there is none). "sample" draws with `fold_in(key(seed), n)`
    on the n-th call, so one evaluation is reproducible from `seed`.
    """
    if method not in METHODS:
        raise ValueError(f"unknown decoding method {method!r}; known: {', '.join(METHODS)}")
    calls = itertools.count()

    def predict_fn(batch: Mapping[str, np.ndarray]) -> list[list[int]]:
        tokens = np.asarray(batch["encoder_input_tokens"], np.int32)
        if method == "greedy":
            sequences, _ = greedy(params, config, tokens, max_decode_length, eos_id=eos_id)
        elif method == "sample":
            rng = jax.random.fold_in(jax.random.key(seed), next(calls))
            sequences, _ = temperature_sample(
                params,
                config,
                tokens,
                max_decode_length,
                temperature=temperature,
                top_k=top_k,
                rng=rng,
                eos_id=eos_id,
            )
        else:
            sequences, _ = beam_search(
                params,
                config,
                tokens,
                max_decode_length,
                beam_size=beam_size,
                alpha=alpha,
                eos_id=eos_id,
            )
        return [_through_eos(row, eos_id) for row in np.asarray(sequences)]

    return predict_fn


def _through_eos(row: Sequence[int], eos_id: int) -> list[int]:
    ids = [int(t) for t in row]
    return ids[: ids.index(eos_id) + 1] if eos_id in ids else ids
