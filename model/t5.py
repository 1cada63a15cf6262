"""The T5 encoder-decoder (v1.0 and T5.1.1) and its §3.2 variants in Flax Linen.

Raffel et al. 2020 (JMLR) §2.1 and t5x `t5x/examples/t5/network.py`, with its parameter names
(token_embedder, encoder/layers_N/attention/query, decoder/logits_dense, ...):
- pre-norm residual blocks without biases: x + Dropout(Sublayer(RMSNorm(x)));
- each stack ends with RMSNorm + dropout; one relative-position table per stack, shared by its
  layers, bidirectional in the encoder and causal in the decoder; none in cross-attention;
- one token embedding shared by encoder and decoder; v1.0 ties the logits to it
  (decoder_out @ E^T * d_model**-0.5, float32), T5.1.1 has its own float32 `logits_dense`;
- with `adapter_dim > 0`, an adapter block after every MLP block (`_adapter_block`, STUDY.md §5;
  which parameters then train: model/finetune.py).

Packed batches (seqio `EncDecFeatureConverter(pack=True)`) carry segment ids, 0 for padding:
encoder self-attention, decoder self-attention (and causal) and cross-attention are then
block-diagonal. Relative positions come from arange(length); the bias depends only on distance,
so within a segment it equals the example's own, and `*_positions` are accepted but not needed.

Incremental decoding (t5x `decode=True`) uses Linen's "cache" collection, as t5x and flax do,
rather than a cache pytree threaded through every call: the modules stay the same code for
training and decoding, and to the caller the collection is still a plain pytree (decoding.py
reorders it between beams with `tree_map`). `init_cache(config, batch, max_decode_length)` makes
it: per decoder layer `self_attention/{cached_key,cached_value}` [b, max_decode_length, h, v] in
the activation dtype, and one `decoder/cache_index` (int32 scalar, the next position). Each
`decode(..., decode=True)` call then takes one token per row ([b, 1]), writes its keys/values at
`cache_index`, attends to slots 0..cache_index, adds the causal relative bias of query position
`cache_index` against every slot, and increments the index. Cross-attention is not cached: its
keys/values are recomputed from the encoder output each step (as t5x); the encoder runs once.
Decode mode is for unpacked rows (all rows share one index); packed segment ids are refused.

The architectures of Raffel et al. §3.2 (`config.architecture`, STUDY.md §2) reuse these
modules, names and logical axes:
- shared_encoder_decoder: no `encoder` parameters; `encode` runs the decoder stack itself
  (`Decoder(..., as_encoder=True)`: its layers without cross-attention, its position table with
  bidirectional buckets, its final norm), as Mesh-TF does when both stacks share one variable
  scope (gin `bi_v1_shared.gin`);
- decoder_only / prefix_lm: no `encoder`, and decoder layers without cross-attention. `lm` reads
  seqio's (Prefix)LMFeatureConverter features: inputs and targets concatenated, segment ids,
  and for the prefix LM `decoder_causal_attention` (its fully visible region). Decoding caches
  the same way, plus `decoder/cached_segment_ids` [b, max_length]: the first cached call takes
  the whole prompt (left-padded rows, padding marked 0) and later calls one token each.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from flax import linen as nn

from c4forge.model.config import T5Config
from c4forge.model.layers import (
    Embed,
    Mlp,
    MultiHeadAttention,
    RelativePositionBias,
    RMSNorm,
    dense,
    dense_kernel_init,
    make_attention_mask,
    make_causal_mask,
    make_prefix_mask,
    mask_to_bias,
)

Array = jax.Array
RESIDUAL = ("batch", "length", "embed")


def _dropout(config: T5Config, x: Array, deterministic: bool) -> Array:
    # Mesh-TF: one mask per example, shared along the length axis.
    return nn.Dropout(config.dropout_rate, broadcast_dims=(-2,))(x, deterministic)


def _norm(config: T5Config, name: str) -> RMSNorm:
    return RMSNorm(eps=config.layer_norm_eps, dtype=jnp.dtype(config.dtype), name=name)


def _attention(config: T5Config, name: str) -> MultiHeadAttention:
    return MultiHeadAttention(
        num_heads=config.num_heads,
        d_kv=config.d_kv,
        dtype=jnp.dtype(config.dtype),
        dropout_rate=config.dropout_rate,
        name=name,
    )


def _mlp(config: T5Config) -> Mlp:
    return Mlp(
        d_ff=config.d_ff,
        kind=config.mlp,
        dtype=jnp.dtype(config.dtype),
        dropout_rate=config.dropout_rate,
        name="mlp",
    )


def _adapter_block(config: T5Config, x: Array, deterministic: bool) -> Array:
    # STUDY.md §5 (task_adapter.gin): a DenseReluDense of inner size adapter_dim after the MLP,
    # wrapped like every Mesh-TF sublayer: x + Dropout(Adapter(RMSNorm(x))). Its output
    # projection starts at zero, so an adapted checkpoint starts as the checkpoint itself.
    if not config.adapter_dim:
        return x
    y = _norm(config, "pre_adapter_layer_norm")(x)
    adapter = Mlp(
        d_ff=config.adapter_dim,
        kind="relu",
        dtype=jnp.dtype(config.dtype),
        dropout_rate=config.dropout_rate,
        output_init=nn.initializers.zeros,
        name="adapter",
    )
    return x + _dropout(config, adapter(y, deterministic), deterministic)


class EncoderLayer(nn.Module):
    config: T5Config

    @nn.compact
    def __call__(self, x: Array, bias: Array, deterministic: bool):
        # x [b, l, d]; bias float32 [b, h, l, l]: relative positions + the mask's -1e10
        cfg = self.config
        y = _norm(cfg, "pre_attention_layer_norm")(x)
        y = _attention(cfg, "attention")(y, y, None, bias, deterministic)
        x = x + _dropout(cfg, y, deterministic)
        y = _norm(cfg, "pre_mlp_layer_norm")(x)
        x = x + _dropout(cfg, _mlp(cfg)(y, deterministic), deterministic)
        x = _adapter_block(cfg, x, deterministic)
        return nn.with_logical_constraint(x, RESIDUAL)


class DecoderLayer(nn.Module):
    config: T5Config

    @nn.compact
    def __call__(
        self,
        x: Array,  # [b, q, d]
        encoded: Array | None,  # [b, k, d], the final encoder output; None: no cross-attention
        self_bias: Array,  # float32 [b, h, q, q]: positions + the causal, block-diagonal mask
        cross_bias: Array | None,  # float32 [b, 1, q, k]: the cross-attention mask as -1e10
        deterministic: bool,
        decode: bool = False,
        decode_index: Array | None = None,  # int scalar, the cache slot of this step
    ) -> Array:
        # In a cached step the self-attention keys are the cache's max_length slots:
        # self_bias [b or 1, h, q, max_length]. Without `encoded` (decoder-only models, and the
        # shared encoder-decoder's encoder pass) the layer has no cross-attention sublayer at all.
        cfg = self.config
        y = _norm(cfg, "pre_self_attention_layer_norm")(x)
        y = _attention(cfg, "self_attention")(
            y, y, None, self_bias, deterministic, decode, decode_index
        )
        x = x + _dropout(cfg, y, deterministic)
        if encoded is not None:
            y = _norm(cfg, "pre_cross_attention_layer_norm")(x)
            # No position bias across stacks: encoder and decoder positions are not comparable.
            y = _attention(cfg, "encoder_decoder_attention")(
                y, encoded, None, cross_bias, deterministic
            )
            x = x + _dropout(cfg, y, deterministic)
        y = _norm(cfg, "pre_mlp_layer_norm")(x)
        x = x + _dropout(cfg, _mlp(cfg)(y, deterministic), deterministic)
        x = _adapter_block(cfg, x, deterministic)
        return nn.with_logical_constraint(x, RESIDUAL)


def _relative_bias(config: T5Config, bidirectional: bool) -> RelativePositionBias:
    return RelativePositionBias(
        num_heads=config.num_heads,
        bidirectional=bidirectional,
        num_buckets=config.relative_buckets,
        max_distance=config.relative_max_distance,
        name="relpos_bias",
    )


class Encoder(nn.Module):
    config: T5Config
    embedder: Embed

    @nn.compact
    def __call__(self, tokens: Array, mask: Array, deterministic: bool) -> Array:
        # tokens int [b, l]; mask bool [b, 1, l, l] -> [b, l, d]
        cfg = self.config
        positions = jnp.arange(tokens.shape[1])
        position_bias = _relative_bias(cfg, bidirectional=True)(
            positions, positions, tokens.shape[0]
        )  # [b, h, l, l]
        bias = position_bias + mask_to_bias(mask)  # once for all layers
        x = _dropout(cfg, self.embedder(tokens), deterministic)
        for i in range(cfg.num_encoder_layers):
            x = EncoderLayer(cfg, name=f"layers_{i}")(x, bias, deterministic)
        x = _norm(cfg, "encoder_norm")(x)
        return _dropout(cfg, x, deterministic)


class Decoder(nn.Module):
    """The decoder stack and the logits layer; with `decode=True`, cached steps.

    Called three ways: with `encoded`, the encoder-decoder's decoder; with `encoded=None`, the
    one stack of a decoder-only model (no cross-attention sublayers); with `as_encoder=True`
    (and `encoded=None`), the shared encoder-decoder's encoder pass over the same parameters:
    bidirectional position buckets from the same table, the caller's fully visible mask, and
    the normalised output [b, q, d] instead of logits.
    """

    config: T5Config
    embedder: Embed

    @nn.compact
    def __call__(
        self,
        encoded: Array | None,  # [b, k, d]; None: no cross-attention
        tokens: Array,  # int [b, q]
        self_mask: Array | None,  # bool [b, 1, q, q]; None: causal (decode mode builds its own)
        cross_mask: Array | None,  # bool [b, 1, q, k]
        deterministic: bool,
        decode: bool = False,
        *,
        as_encoder: bool = False,
        decode_segment_ids: Array | None = None,  # decode mode, decoder-only: [b, q], 0 = pad
    ) -> Array:  # float32 [b, q, n] logits ([b, q, d] activations with as_encoder)
        cfg = self.config
        relpos_bias = _relative_bias(cfg, bidirectional=as_encoder)
        index = None
        if decode and self.has_variable("cache", "cache_index"):
            index, position_bias, self_mask = self._cached_positions(
                relpos_bias, tokens, decode_segment_ids
            )
        else:
            if decode:  # init pass: the cache is sized from `tokens`, the index starts at 0
                self.variable("cache", "cache_index", jnp.zeros, (), jnp.int32)
                if cfg.decoder_only:  # which slots hold a token (1) or left padding (0)
                    self.variable("cache", "cached_segment_ids", jnp.zeros, tokens.shape, jnp.int32)
            positions = jnp.arange(tokens.shape[1])
            position_bias = relpos_bias(positions, positions, tokens.shape[0])  # [b, h, q, q]
            if self_mask is None:
                self_mask = make_causal_mask(tokens.shape[1])
        # Masks and positions summed once for all layers.
        self_bias = position_bias + mask_to_bias(self_mask)
        cross_bias = None if cross_mask is None else mask_to_bias(cross_mask)
        y = _dropout(cfg, self.embedder(tokens), deterministic)
        for i in range(cfg.num_decoder_layers):
            y = DecoderLayer(cfg, name=f"layers_{i}")(
                y, encoded, self_bias, cross_bias, deterministic, decode, index
            )
        y = _norm(cfg, "decoder_norm")(y)
        y = _dropout(cfg, y, deterministic)
        if as_encoder:
            return y
        if cfg.tied_embeddings:
            # Tied logits are rescaled: E ~ N(0, 1) would otherwise give logits of std sqrt(d).
            logits = self.embedder.attend(y) * cfg.d_model**-0.5
        else:
            head = dense(
                cfg.vocab_size, ("embed", "vocab"), jnp.float32, dense_kernel_init, "logits_dense"
            )
            logits = head(y.astype(jnp.float32))
        return nn.with_logical_constraint(logits, ("batch", "length", "vocab"))

    def _cached_positions(
        self, relpos_bias: RelativePositionBias, tokens: Array, segment_ids: Array | None
    ) -> tuple[Array, Array, Array]:
        """A cached call's (index, position bias [1, h, q, S], mask [b or 1, 1, q, S]).

        Its q tokens sit at slots index .. index+q-1 and the keys are all S cache slots: causal,
        except that in a prefix LM the tokens of one call see each other whole (the first call
        is the prefix; later calls bring one token). Decoder-only models also keep each slot's
        segment id (0 for a prompt's left padding), so padding is never attended to.
        """
        cache_index = self.variable("cache", "cache_index", jnp.zeros, (), jnp.int32)
        index, length = cache_index.value, tokens.shape[1]
        slots = jnp.arange(self._cache_length())  # [S]
        queries = index + jnp.arange(length)  # [q]
        visible = slots[None, :] <= queries[:, None]  # [q, S]
        if self.config.architecture == "prefix_lm":
            visible = visible | (slots < index + length)[None, :]
        mask = visible[None, None]  # [1, 1, q, S]
        if self.config.decoder_only:
            segments = jnp.ones_like(tokens) if segment_ids is None else segment_ids
            cached = self.variable("cache", "cached_segment_ids", jnp.zeros, (1, 1), jnp.int32)
            cached.value = jax.lax.dynamic_update_slice(
                cached.value, segments.astype(jnp.int32), (0, index)
            )
            mask = mask & make_attention_mask(segments, cached.value)  # [b, 1, q, S]
        cache_index.value = index + length
        return index, relpos_bias(queries, slots), mask

    def _cache_length(self) -> int:
        # The max decode length is the cache's length axis; with no layers nothing attends.
        if self.config.decoder_only:
            return self.variables["cache"]["cached_segment_ids"].shape[1]
        if self.config.num_decoder_layers == 0:
            return 1
        return self.variables["cache"]["layers_0"]["self_attention"]["cached_key"].shape[1]


def _encoder_segments(tokens: Array, segment_ids: Array | None) -> Array:
    # Unpacked inputs: one segment; pad tokens (id 0) become segment 0 either way (as t5x).
    segments = jnp.ones_like(tokens) if segment_ids is None else segment_ids
    return jnp.where(tokens > 0, segments, 0)


class Transformer(nn.Module):
    """T5 in any `config.architecture`: `__call__` for teacher-forced logits; `encode` and
    `decode` for the two halves of the encoder-decoders; `lm` for the decoder-only ones."""

    config: T5Config

    def setup(self):
        cfg = self.config
        self.token_embedder = Embed(cfg.vocab_size, cfg.d_model, dtype=jnp.dtype(cfg.dtype))
        if cfg.architecture == "encoder_decoder":
            self.encoder = Encoder(cfg, self.token_embedder)
        self.decoder = Decoder(cfg, self.token_embedder)

    def _require(self, decoder_only: bool, method: str) -> None:
        if self.config.decoder_only != decoder_only:
            kind = "decoder-only" if decoder_only else "encoder-decoder"
            raise ValueError(
                f"Transformer.{method} is for {kind} models; this one is "
                f"architecture={self.config.architecture!r}"
            )

    def encode(
        self,
        encoder_input_tokens: Array,  # int [b, k]
        encoder_segment_ids: Array | None = None,  # int [b, k], 0 = padding
        deterministic: bool = True,
    ) -> Array:  # [b, k, d] in the activation dtype
        self._require(False, "encode")
        segments = _encoder_segments(encoder_input_tokens, encoder_segment_ids)
        mask = make_attention_mask(segments, segments)
        if self.config.architecture == "shared_encoder_decoder":
            return self.decoder(
                None, encoder_input_tokens, mask, None, deterministic, as_encoder=True
            )
        return self.encoder(encoder_input_tokens, mask, deterministic)

    def decode(
        self,
        encoded: Array,  # [b, k, d]
        encoder_input_tokens: Array,  # int [b, k]; only for the cross-attention mask
        decoder_input_tokens: Array,  # int [b, q]; 0 (start) at each segment's first position
        encoder_segment_ids: Array | None = None,
        decoder_segment_ids: Array | None = None,
        decoder_positions: Array | None = None,  # unused: the bias comes from arange(q)
        deterministic: bool = True,
        decode: bool = False,  # one cached step per call; needs `init_cache` and mutable "cache"
    ) -> Array:  # float32 [b, q, n]
        self._require(False, "decode")
        del decoder_positions
        if (encoder_segment_ids is None) != (decoder_segment_ids is None):
            raise ValueError("packed inputs need both encoder_segment_ids and decoder_segment_ids")
        if decode:
            if decoder_segment_ids is not None:
                raise ValueError("decode=True takes unpacked rows: no segment ids")
            stepping = self.decoder.has_variable("cache", "cache_index")  # not the init pass
            if decoder_input_tokens.shape[1] != 1 and stepping:
                raise ValueError(
                    f"a cached decode step takes one position, got {decoder_input_tokens.shape[1]}"
                )
            # decoder_input_tokens [b, 1] (the previous output; 0 = start at step 0).
            encoder_segments = _encoder_segments(encoder_input_tokens, None)
            cross_mask = make_attention_mask(jnp.ones_like(decoder_input_tokens), encoder_segments)
            return self.decoder(
                encoded, decoder_input_tokens, None, cross_mask, deterministic, decode=True
            )
        encoder_segments = _encoder_segments(encoder_input_tokens, encoder_segment_ids)
        decoder_segments = _decoder_segments(decoder_input_tokens, decoder_segment_ids)
        length = decoder_input_tokens.shape[1]
        self_mask = make_attention_mask(decoder_segments, decoder_segments) & make_causal_mask(
            length
        )
        cross_mask = make_attention_mask(decoder_segments, encoder_segments)
        return self.decoder(encoded, decoder_input_tokens, self_mask, cross_mask, deterministic)

    def lm(
        self,
        decoder_input_tokens: Array,  # int [b, l]: inputs and targets concatenated, shifted
        decoder_segment_ids: Array | None = None,  # int [b, l], 0 = padding
        decoder_causal_attention: Array | None = None,  # [b, l], prefix_lm: 1 = fully visible
        deterministic: bool = True,
        decode: bool = False,  # cached calls; needs `init_cache` and mutable "cache"
    ) -> Array:  # float32 [b, l, n]
        """The decoder-only models' one stack, as seqio's (Prefix)LMFeatureConverter feeds it.

        Self-attention is causal within each segment; a prefix LM also lets every position of
        the region `decoder_causal_attention` marks (the inputs, plus the position that reads
        their last token) see the whole region. In decode mode the first call brings the
        prompt (BOS and the inputs: the prefix of a prefix LM) and each later call one token;
        `decoder_segment_ids` then marks left padding of the prompt with 0 (rows share one
        cache index, so shorter prompts are padded on the left; relative positions make that
        exact).
        """
        self._require(True, "lm")
        prefix = self.config.architecture == "prefix_lm"
        if decode:
            if decoder_causal_attention is not None:
                raise ValueError(
                    "decode=True needs no decoder_causal_attention: a prefix LM's "
                    "first cached call is its prefix"
                )
            return self.decoder(
                None,
                decoder_input_tokens,
                None,
                None,
                deterministic,
                decode=True,
                decode_segment_ids=decoder_segment_ids,
            )
        if prefix and decoder_causal_attention is None:
            raise ValueError(
                "a prefix_lm needs decoder_causal_attention (seqio's PrefixLMFeatureConverter "
                "makes it): without it the model would train as a plain LM"
            )
        if not prefix and decoder_causal_attention is not None:
            raise ValueError(
                "architecture 'decoder_only' is causal everywhere; decoder_causal_attention "
                "is for architecture 'prefix_lm'"
            )
        segments = _decoder_segments(decoder_input_tokens, decoder_segment_ids)
        visible = make_causal_mask(decoder_input_tokens.shape[1])
        if prefix:
            visible = visible | make_prefix_mask(decoder_causal_attention)
        self_mask = make_attention_mask(segments, segments) & visible
        return self.decoder(None, decoder_input_tokens, self_mask, None, deterministic)

    def __call__(
        self,
        encoder_input_tokens: Array | None = None,  # int [b, k]; None for decoder-only models
        decoder_input_tokens: Array | None = None,  # int [b, q]
        encoder_segment_ids: Array | None = None,
        decoder_segment_ids: Array | None = None,
        encoder_positions: Array | None = None,  # unused, see the module docstring
        decoder_positions: Array | None = None,
        deterministic: bool = True,
        decoder_causal_attention: Array | None = None,  # prefix_lm only
    ) -> Array:  # float32 [b, q, n]
        del encoder_positions
        if decoder_input_tokens is None:
            raise ValueError("Transformer needs decoder_input_tokens")
        if self.config.decoder_only:
            if encoder_input_tokens is not None or encoder_segment_ids is not None:
                raise ValueError(
                    f"architecture={self.config.architecture!r} has no encoder: feed inputs and "
                    "targets concatenated (feature_kind "
                    f"{self.config.feature_kind!r}), not encoder_* features"
                )
            return self.lm(
                decoder_input_tokens, decoder_segment_ids, decoder_causal_attention, deterministic
            )
        if encoder_input_tokens is None:
            raise ValueError(
                f"architecture={self.config.architecture!r} needs encoder_input_tokens"
            )
        if decoder_causal_attention is not None:
            raise ValueError("decoder_causal_attention is for architecture 'prefix_lm'")
        encoded = self.encode(encoder_input_tokens, encoder_segment_ids, deterministic)
        return self.decode(
            encoded,
            encoder_input_tokens,
            decoder_input_tokens,
            encoder_segment_ids,
            decoder_segment_ids,
            decoder_positions,
            deterministic,
        )


def _decoder_segments(tokens: Array, segment_ids: Array | None) -> Array:
    # The start token is 0, so decoder padding is known only from segment ids; unpacked,
    # padding sits at the end and the causal mask already keeps it from real positions.
    return jnp.ones_like(tokens) if segment_ids is None else segment_ids


def init_cache(config: T5Config, batch_size: int, max_decode_length: int):
    """A zero decode cache for `batch_size` rows of up to `max_decode_length` tokens (a
    decoder-only model's prompt included).

    Shapes come from `jax.eval_shape` of an init in decode mode (nothing else is allocated), so
    they always match what `Transformer.decode` / `Transformer.lm` (`decode=True`) read; works
    under `jit` too.
    """
    if batch_size < 1 or max_decode_length < 1:
        raise ValueError(
            f"init_cache needs batch_size and max_decode_length >= 1, "
            f"got {batch_size} and {max_decode_length}"
        )
    model = Transformer(config)
    decoder_tokens = jax.ShapeDtypeStruct((batch_size, max_decode_length), jnp.int32)
    if config.decoder_only:
        init = functools.partial(model.init, decode=True, method=Transformer.lm)
        shapes = jax.eval_shape(init, jax.random.key(0), decoder_tokens)
    else:
        encoded = jax.ShapeDtypeStruct((batch_size, 1, config.d_model), jnp.dtype(config.dtype))
        encoder_tokens = jax.ShapeDtypeStruct((batch_size, 1), jnp.int32)
        init = functools.partial(model.init, decode=True, method=Transformer.decode)
        shapes = jax.eval_shape(init, jax.random.key(0), encoded, encoder_tokens, decoder_tokens)
    return jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes["cache"])


def init_variables(config: T5Config, rng: Array):
    """`Transformer(config).init` on the smallest inputs of its architecture (parameter shapes
    do not depend on them): {"params": boxed tree}."""
    tokens = jnp.ones((1, 1), jnp.int32)
    if config.decoder_only:
        prefix = tokens if config.architecture == "prefix_lm" else None
        inputs = {"decoder_input_tokens": tokens, "decoder_causal_attention": prefix}
    else:
        inputs = {"encoder_input_tokens": tokens, "decoder_input_tokens": tokens}
    return Transformer(config).init(rng, **inputs, deterministic=True)


def abstract_params(config: T5Config):
    """The parameter tree as ShapeDtypeStructs in their logical-axis boxes; nothing allocated."""
    init = functools.partial(init_variables, config)
    return jax.eval_shape(init, jax.random.key(0))["params"]
