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
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from flax import linen as nn

from model.config import T5Config
from model.layers import (
    Embed,
    Mlp,
    MultiHeadAttention,
    RelativePositionBias,
    RMSNorm,
    dense,
    dense_kernel_init,
    make_attention_mask,
    make_causal_mask,
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
    def __call__(self, x: Array, mask: Array, position_bias: Array, deterministic: bool):
        # x [b, l, d]; mask bool [b, 1, l, l]; position_bias [1, h, l, l]
        cfg = self.config
        y = _norm(cfg, "pre_attention_layer_norm")(x)
        y = _attention(cfg, "attention")(y, y, mask, position_bias, deterministic)
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
        self_mask: Array,  # bool [b, 1, q, q], causal and block-diagonal
        cross_mask: Array,  # bool [b, 1, q, k]
        position_bias: Array,  # [1, h, q, q]
        deterministic: bool,
    ) -> Array:
        cfg = self.config
        y = _norm(cfg, "pre_self_attention_layer_norm")(x)
        y = _attention(cfg, "self_attention")(y, y, self_mask, position_bias, deterministic)
        x = x + _dropout(cfg, y, deterministic)
        y = _norm(cfg, "pre_cross_attention_layer_norm")(x)
        # No position bias across stacks: encoder and decoder positions are not comparable.
        y = _attention(cfg, "encoder_decoder_attention")(
            y, encoded, cross_mask, None, deterministic
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
        position_bias = _relative_bias(cfg, bidirectional=True)(positions, positions)
        x = _dropout(cfg, self.embedder(tokens), deterministic)
        for i in range(cfg.num_encoder_layers):
            x = EncoderLayer(cfg, name=f"layers_{i}")(x, mask, position_bias, deterministic)
        x = _norm(cfg, "encoder_norm")(x)
        return _dropout(cfg, x, deterministic)


class Decoder(nn.Module):
    """Decoder stack and the logits layer. A KV cache would enter through `self_attention` and
    the query positions given to `relpos_bias` (one step at the cache index)."""

    config: T5Config
    embedder: Embed

    @nn.compact
    def __call__(
        self,
        encoded: Array,  # [b, k, d]
        tokens: Array,  # int [b, q]
        self_mask: Array,  # bool [b, 1, q, q]
        cross_mask: Array,  # bool [b, 1, q, k]
        deterministic: bool,
    ) -> Array:  # float32 [b, q, n]
        cfg = self.config
        positions = jnp.arange(tokens.shape[1])
        position_bias = _relative_bias(cfg, bidirectional=False)(positions, positions)
        y = _dropout(cfg, self.embedder(tokens), deterministic)
        for i in range(cfg.num_decoder_layers):
            y = DecoderLayer(cfg, name=f"layers_{i}")(
                y, encoded, self_mask, cross_mask, position_bias, deterministic
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
    ) -> Array:  # float32 [b, q, n]
        del decoder_positions
        if (encoder_segment_ids is None) != (decoder_segment_ids is None):
            raise ValueError("packed inputs need both encoder_segment_ids and decoder_segment_ids")
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


def abstract_params(config: T5Config):
    """The parameter tree as ShapeDtypeStructs in their logical-axis boxes; nothing allocated."""
    model = Transformer(config)
    tokens = jax.ShapeDtypeStruct((1, 1), jnp.int32)
    init = functools.partial(model.init, deterministic=True)
    return jax.eval_shape(init, jax.random.key(0), tokens, tokens)["params"]
