"""The T5 encoder-decoder (v1.0 and T5.1.1) in Flax Linen.

Raffel et al. 2020 (JMLR) §2.1 and t5x `t5x/examples/t5/network.py`, with its parameter names
(token_embedder, encoder/layers_N/attention/query, decoder/logits_dense, ...):
- pre-norm residual blocks without biases: x + Dropout(Sublayer(RMSNorm(x)));
- each stack ends with RMSNorm + dropout; one relative-position table per stack, shared by its
  layers, bidirectional in the encoder and causal in the decoder; none in cross-attention;
- one token embedding shared by encoder and decoder; v1.0 ties the logits to it
  (decoder_out @ E^T * d_model**-0.5, float32), T5.1.1 has its own float32 `logits_dense`.

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
        return nn.with_logical_constraint(x, RESIDUAL)


class DecoderLayer(nn.Module):
    config: T5Config

    @nn.compact
    def __call__(
        self,
        x: Array,  # [b, q, d]
        encoded: Array,  # [b, k, d], the final encoder output
        self_bias: Array,  # float32 [b, h, q, q]: positions + the causal, block-diagonal mask
        cross_bias: Array,  # float32 [b, 1, q, k]: the cross-attention mask as -1e10
        deterministic: bool,
        decode: bool = False,
        decode_index: Array | None = None,  # int scalar, the cache slot of this step
    ) -> Array:
        # In a cached step q = 1 and the self-attention keys are the cache's max_length slots:
        # self_bias [1, h, 1, max_length].
        cfg = self.config
        y = _norm(cfg, "pre_self_attention_layer_norm")(x)
        y = _attention(cfg, "self_attention")(
            y, y, None, self_bias, deterministic, decode, decode_index
        )
        x = x + _dropout(cfg, y, deterministic)
        y = _norm(cfg, "pre_cross_attention_layer_norm")(x)
        # No position bias across stacks: encoder and decoder positions are not comparable.
        y = _attention(cfg, "encoder_decoder_attention")(
            y, encoded, None, cross_bias, deterministic
        )
        x = x + _dropout(cfg, y, deterministic)
        y = _norm(cfg, "pre_mlp_layer_norm")(x)
        x = x + _dropout(cfg, _mlp(cfg)(y, deterministic), deterministic)
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
    """Decoder stack and the logits layer; with `decode=True`, one cached step at a time."""

    config: T5Config
    embedder: Embed

    @nn.compact
    def __call__(
        self,
        encoded: Array,  # [b, k, d]
        tokens: Array,  # int [b, q]
        self_mask: Array | None,  # bool [b, 1, q, q]; None: causal (decode mode builds its own)
        cross_mask: Array,  # bool [b, 1, q, k]
        deterministic: bool,
        decode: bool = False,
    ) -> Array:  # float32 [b, q, n]
        cfg = self.config
        relpos_bias = _relative_bias(cfg, bidirectional=False)
        index = None
        if decode and self.has_variable("cache", "cache_index"):
            # One cached step: the query sits at `index`, the keys are every cache slot.
            cache_index = self.variable("cache", "cache_index", jnp.zeros, (), jnp.int32)
            index = cache_index.value
            slots = jnp.arange(self._cache_length())
            position_bias = relpos_bias(index[None], slots)  # [1, h, 1, max_length]
            self_mask = (slots <= index)[None, None, None, :]  # [1, 1, 1, max_length]
            cache_index.value = index + 1
        else:
            if decode:  # init pass: the cache is sized from `tokens`, the index starts at 0
                self.variable("cache", "cache_index", jnp.zeros, (), jnp.int32)
            positions = jnp.arange(tokens.shape[1])
            position_bias = relpos_bias(positions, positions, tokens.shape[0])  # [b, h, q, q]
            if self_mask is None:
                self_mask = make_causal_mask(tokens.shape[1])
        # Masks and positions summed once for all layers.
        self_bias = position_bias + mask_to_bias(self_mask)
        cross_bias = mask_to_bias(cross_mask)
        y = _dropout(cfg, self.embedder(tokens), deterministic)
        for i in range(cfg.num_decoder_layers):
            y = DecoderLayer(cfg, name=f"layers_{i}")(
                y, encoded, self_bias, cross_bias, deterministic, decode, index
            )
        y = _norm(cfg, "decoder_norm")(y)
        y = _dropout(cfg, y, deterministic)
        if cfg.tied_embeddings:
            # Tied logits are rescaled: E ~ N(0, 1) would otherwise give logits of std sqrt(d).
            logits = self.embedder.attend(y) * cfg.d_model**-0.5
        else:
            head = dense(
                cfg.vocab_size, ("embed", "vocab"), jnp.float32, dense_kernel_init, "logits_dense"
            )
            logits = head(y.astype(jnp.float32))
        return nn.with_logical_constraint(logits, ("batch", "length", "vocab"))

    def _cache_length(self) -> int:
        # The max decode length is the cache's length axis; with no layers nothing attends.
        if self.config.num_decoder_layers == 0:
            return 1
        return self.variables["cache"]["layers_0"]["self_attention"]["cached_key"].shape[1]


def _encoder_segments(tokens: Array, segment_ids: Array | None) -> Array:
    # Unpacked inputs: one segment; pad tokens (id 0) become segment 0 either way (as t5x).
    segments = jnp.ones_like(tokens) if segment_ids is None else segment_ids
    return jnp.where(tokens > 0, segments, 0)


class Transformer(nn.Module):
    """T5: `__call__` for teacher-forced logits; `encode` and `decode` for the two halves."""

    config: T5Config

    def setup(self):
        cfg = self.config
        self.token_embedder = Embed(cfg.vocab_size, cfg.d_model, dtype=jnp.dtype(cfg.dtype))
        self.encoder = Encoder(cfg, self.token_embedder)
        self.decoder = Decoder(cfg, self.token_embedder)

    def encode(
        self,
        encoder_input_tokens: Array,  # int [b, k]
        encoder_segment_ids: Array | None = None,  # int [b, k], 0 = padding
        deterministic: bool = True,
    ) -> Array:  # [b, k, d] in the activation dtype
        segments = _encoder_segments(encoder_input_tokens, encoder_segment_ids)
        mask = make_attention_mask(segments, segments)
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
        del decoder_positions
        if (encoder_segment_ids is None) != (decoder_segment_ids is None):
            raise ValueError("packed inputs need both encoder_segment_ids and decoder_segment_ids")
        if decode:
            if decoder_segment_ids is not None:
                raise ValueError("decode=True takes unpacked rows: no segment ids")
            # decoder_input_tokens [b, 1] (the previous output; 0 = start at step 0).
            encoder_segments = _encoder_segments(encoder_input_tokens, None)
            cross_mask = make_attention_mask(jnp.ones_like(decoder_input_tokens), encoder_segments)
            return self.decoder(
                encoded, decoder_input_tokens, None, cross_mask, deterministic, decode=True
            )
        encoder_segments = _encoder_segments(encoder_input_tokens, encoder_segment_ids)
        # The start token is 0, so decoder padding is known only from segment ids; unpacked,
        # padding sits at the end and the causal mask already keeps it from real positions.
        decoder_segments = (
            jnp.ones_like(decoder_input_tokens)
            if decoder_segment_ids is None
            else decoder_segment_ids
        )
        length = decoder_input_tokens.shape[1]
        self_mask = make_attention_mask(decoder_segments, decoder_segments) & make_causal_mask(
            length
        )
        cross_mask = make_attention_mask(decoder_segments, encoder_segments)
        return self.decoder(encoded, decoder_input_tokens, self_mask, cross_mask, deterministic)

    def __call__(
        self,
        encoder_input_tokens: Array,  # int [b, k]
        decoder_input_tokens: Array,  # int [b, q]
        encoder_segment_ids: Array | None = None,
        decoder_segment_ids: Array | None = None,
        encoder_positions: Array | None = None,  # unused, see the module docstring
        decoder_positions: Array | None = None,
        deterministic: bool = True,
    ) -> Array:  # float32 [b, q, n]
        del encoder_positions
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


def init_cache(config: T5Config, batch_size: int, max_decode_length: int):
    """A zero decode cache for `batch_size` rows of up to `max_decode_length` tokens.

    Shapes come from `jax.eval_shape` of an init in decode mode (nothing else is allocated), so
    they always match what `Transformer.decode(..., decode=True)` reads; works under `jit` too.
    """
    if batch_size < 1 or max_decode_length < 1:
        raise ValueError(
            f"init_cache needs batch_size and max_decode_length >= 1, "
            f"got {batch_size} and {max_decode_length}"
        )
    model = Transformer(config)
    encoded = jax.ShapeDtypeStruct((batch_size, 1, config.d_model), jnp.dtype(config.dtype))
    encoder_tokens = jax.ShapeDtypeStruct((batch_size, 1), jnp.int32)
    decoder_tokens = jax.ShapeDtypeStruct((batch_size, max_decode_length), jnp.int32)
    init = functools.partial(model.init, decode=True, method=Transformer.decode)
    shapes = jax.eval_shape(init, jax.random.key(0), encoded, encoder_tokens, decoder_tokens)
    return jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes["cache"])


def abstract_params(config: T5Config):
    """The parameter tree as ShapeDtypeStructs in their logical-axis boxes; nothing allocated."""
    model = Transformer(config)
    tokens = jax.ShapeDtypeStruct((1, 1), jnp.int32)
    init = functools.partial(model.init, deterministic=True)
    return jax.eval_shape(init, jax.random.key(0), tokens, tokens)["params"]
