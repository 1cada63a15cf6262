"""T5 building blocks in Flax Linen: RMSNorm, relative position bias, attention, MLP, embedding.

Follows Raffel et al. 2020 (JMLR) §2.1 and t5x `t5x/examples/t5/layers.py`:
- RMSNorm ("T5 LayerNorm"): no mean subtraction, no bias, eps 1e-6, computed in float32.
- Relative position bias: 32 buckets up to distance 128 (Mesh-TF `_relative_position_bucket`),
  one (heads, buckets) table per stack, added to the self-attention logits.
- Attention logits are not scaled by 1/sqrt(d_kv): the factor is folded into the query init,
  which is equivalent under Adafactor (t5x `MultiHeadDotProductAttention`).
- Masks are additive -1e10 biases; softmax runs in float32.
- Dropout as Mesh-TF: one mask broadcast over the length axis (`broadcast_dims=(-2,)`).

Decode mode (`MultiHeadAttention(..., decode=True)`) keeps self-attention keys and values in the
Linen "cache" collection, as t5x and flax do; model/t5.py describes the cache as a whole.

Parameters are float32 with logical axis names (`nn.with_logical_partitioning`); activations carry
`nn.with_logical_constraint`. Both mean nothing until the caller binds a mesh and logical axis
rules; partitioning lives apart from the model.
Shapes: b batch, q/k query/key length, l length, d d_model, h heads, v d_kv, f d_ff, n vocab.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn

Array = jax.Array

MASK_VALUE = -1e10  # t5x: finite, so a fully masked row softmaxes to uniform rather than NaN

# Initializers as t5x: fan-in scaled normal for attention, truncated normal for dense layers.
attention_kernel_init = nn.initializers.variance_scaling(1.0, "fan_in", "normal")
dense_kernel_init = nn.initializers.variance_scaling(1.0, "fan_in", "truncated_normal")
relpos_init = nn.initializers.variance_scaling(1.0, "fan_avg", "uniform")


@jax.custom_vjp
def project(x: Array, kernel: Array) -> Array:
    """x [..., i] @ kernel [i, o] -> [..., o]: the dense layers' matmul, as flax computes it.

    Only the kernel's gradient is arranged by hand. It contracts the N = prod(...) rows of x
    and of the cotangent g [..., o], so XLA:CPU materialises one of them transposed; autodiff
    always picks g (it writes (g^T x)^T), and XLA fuses that strided write into g's producer
    (ReLU and dropout backward, the logits' softmax gradient), where it cost more than the
    matmul itself (~0.1 s per T5-small MLP layer, ~0.3 s for the tied logits). Here the
    narrower of x and g is the transposed one: x in the MLP's wi and the logits, g in wo.
    Same products and sums, so the same values up to float summation order.
    """
    return jax.lax.dot_general(x, kernel, (((x.ndim - 1,), (0,)), ((), ())))


def _project_fwd(x, kernel):
    return project(x, kernel), (x, kernel)


def _project_bwd(residuals, g):  # g [..., o]
    x, kernel = residuals
    dx = jax.lax.dot_general(g, kernel, (((g.ndim - 1,), (1,)), ((), ())))  # [..., i]
    rows = tuple(range(x.ndim - 1))  # contract every axis but the features
    if x.shape[-1] <= g.shape[-1]:
        dkernel = jax.lax.dot_general(x, g, ((rows, rows), ((), ())))  # x^T g [i, o]
    else:
        dkernel = jax.lax.dot_general(g, x, ((rows, rows), ((), ()))).T  # (g^T x)^T [i, o]
    return dx.astype(x.dtype), dkernel.astype(kernel.dtype)


project.defvjp(_project_fwd, _project_bwd)


def _dense_dot_general(lhs, rhs, dimension_numbers, precision=None, **kwargs):
    # nn.Dense's call: contract the last input axis with the kernel's first, nothing batched.
    if dimension_numbers != (((lhs.ndim - 1,), (0,)), ((), ())) or precision or kwargs:
        raise NotImplementedError(f"dense layers project the last axis, got {dimension_numbers}")
    return project(lhs, rhs)


def dense(features: int, names: tuple[str, str], dtype, init=dense_kernel_init, name=None):
    """A bias-free dense layer with a float32 kernel named by logical axes, computed in dtype."""
    return nn.Dense(
        features,
        use_bias=False,
        dtype=dtype,
        param_dtype=jnp.float32,
        kernel_init=nn.with_logical_partitioning(init, names),
        dot_general=_dense_dot_general,
        name=name,
    )


class RMSNorm(nn.Module):
    """y = x * rsqrt(mean(x^2) + eps) * scale, in float32, returned in `dtype`.

    (t5x casts to `dtype` before the scale multiply; HF, like this, scales before the cast.)
    """

    eps: float = 1e-6
    dtype: jnp.dtype = jnp.float32

    @nn.compact
    def __call__(self, x: Array) -> Array:  # [..., d] -> [..., d]
        scale = self.param(
            "scale",
            nn.with_logical_partitioning(nn.initializers.ones, ("embed",)),
            (x.shape[-1],),
            jnp.float32,
        )
        x = x.astype(jnp.float32)
        mean_square = jnp.mean(jnp.square(x), axis=-1, keepdims=True)
        return (x * jax.lax.rsqrt(mean_square + self.eps) * scale).astype(self.dtype)


def relative_position_bucket(
    relative_position, bidirectional: bool = True, num_buckets: int = 32, max_distance: int = 128
) -> Array:
    """Bucket of `key_position - query_position` (any int array shape); values in [0, buckets).

    Bidirectional: half the buckets for keys in the past (incl. distance 0), half for the future.
    Causal: future keys all land in bucket 0 (they are masked anyway). Within each half the first
    `max_exact` distances get a bucket each, the rest log-spaced up to `max_distance`.
    """
    n = -jnp.asarray(relative_position, jnp.int32)  # > 0: key in the past
    ret = jnp.zeros_like(n)
    if bidirectional:
        num_buckets //= 2
        ret = ret + (n < 0).astype(jnp.int32) * num_buckets
        n = jnp.abs(n)
    else:
        n = jnp.maximum(n, 0)
    max_exact = num_buckets // 2
    # float32 log with t5x's eps, so that exact powers (16, 32, 64 ...) do not round down.
    log_ratio = jnp.log(n.astype(jnp.float32) / max_exact + np.finfo(np.float32).eps)
    large = max_exact + (
        log_ratio / np.log(max_distance / max_exact) * (num_buckets - max_exact)
    ).astype(jnp.int32)
    large = jnp.minimum(large, num_buckets - 1)
    return ret + jnp.where(n < max_exact, n, large)


class RelativePositionBias(nn.Module):
    """One learned (heads, buckets) table; a stack builds one and shares it with its layers."""

    num_heads: int
    bidirectional: bool
    num_buckets: int = 32
    max_distance: int = 128

    @nn.compact
    def __call__(self, query_positions: Array, key_positions: Array, batch_size: int = 1) -> Array:
        # query_positions [q], key_positions [k] (ints) -> bias [batch_size, h, q, k] float32.
        # Positions are arguments (not lengths) so a cached decode step can pass its own index.
        table = self.param(
            "rel_embedding",
            nn.with_logical_partitioning(relpos_init, ("heads", "relpos_buckets")),
            (self.num_heads, self.num_buckets),
            jnp.float32,
        )
        relative = key_positions[None, :] - query_positions[:, None]  # [q, k]
        buckets = relative_position_bucket(
            relative, self.bidirectional, self.num_buckets, self.max_distance
        )
        # A one-hot contraction (as t5x) rather than a gather, made per batch row: the forward
        # gives the same numbers (one nonzero term per sum; HIGHEST so that no backend rounds
        # the table), and the table's gradient becomes one [b*h, q*k] x [q*k, n] matmul over
        # the logits gradients of all layers, instead of a scatter-add after a reduction over
        # the batch, which XLA:CPU ran as one strided loop (~1 s of a T5-small step).
        one_hot = jax.nn.one_hot(buckets, self.num_buckets, dtype=jnp.float32)  # [q, k, n]
        tables = jnp.broadcast_to(table, (batch_size, *table.shape))  # [b, h, n]
        return jnp.einsum(
            "bhn,qkn->bhqk", tables, one_hot, precision=jax.lax.Precision.HIGHEST
        )  # [b, h, q, k]


def make_attention_mask(q_segment_ids: Array, kv_segment_ids: Array) -> Array:
    """[b, q], [b, k] -> bool [b, 1, q, k]: same segment, and neither side padding (segment 0)."""
    q = q_segment_ids[:, :, None]
    k = kv_segment_ids[:, None, :]
    return ((q == k) & (q != 0) & (k != 0))[:, None]


def make_causal_mask(length: int) -> Array:
    """bool [1, 1, l, l]: query i sees keys 0..i."""
    idx = jnp.arange(length)
    return (idx[None, :] <= idx[:, None])[None, None]


def make_prefix_mask(causal_attention: Array) -> Array:
    """[b, l] (nonzero in the fully visible region) -> bool [b, 1, l, l]: query and key both in
    it. A prefix LM's self-attention is this or causal (seqio's `decoder_causal_attention`, t5x
    `make_decoder_mask`); packed rows add their segment mask on top."""
    region = causal_attention > 0
    return (region[:, :, None] & region[:, None, :])[:, None]


def mask_to_bias(mask: Array) -> Array:
    """bool mask -> additive float32 bias: 0 where allowed, -1e10 where masked."""
    return jnp.where(mask, 0.0, MASK_VALUE).astype(jnp.float32)


def _sum_to(x: Array, shape: tuple[int, ...]) -> Array:
    """Sum x over the axes where `shape` (same rank) broadcast: the gradient of a broadcast."""
    pairs = enumerate(zip(x.shape, shape, strict=True))
    axes = tuple(i for i, (have, want) in pairs if want == 1 and have != 1)
    return jnp.sum(x, axis=axes, keepdims=True) if axes else x


@jax.custom_vjp
def attend(query: Array, key: Array, value: Array, bias: Array, keep: Array | None) -> Array:
    """softmax(q k^T + bias) [* keep] v for heads-major q [b, h, q, v], k and v [b, h, k, v].

    `bias` (float32, broadcastable to [b, h, q, k]) holds the masks and the position bias,
    added once; `keep` (float32 [b, h, 1, k] of 0 and 1/(1 - rate), or None) is attention
    dropout of whole key columns. Logits and softmax are float32; the products run in the
    inputs' dtype. Returns [b, h, q, v].

    Written out by hand (with its gradient) for speed on CPU, the same function as autodiff's:
    - dropout scales the rows of v instead of the columns of the probabilities
      ((p * keep) v = p (keep^T * v)): no [b, h, q, k] mask or product is materialised;
    - the softmax gradient uses rowsum(dp * p) = rowsum(g * out) (as FlashAttention does),
      a reduction over [b, h, q, v] instead of [b, h, q, k];
    - every matmul multiplies a big [b, h, q, k] operand by a small [b, h, l, v] one taken
      transposed where needed: autodiff's key gradient contracts the query axis of both, which
      XLA:CPU ran as a strided (Eigen) matmul at under half the others' rate (66 vs 147-173
      GFLOP/s alone for T5-small's shapes); a barrier keeps XLA from folding it back.
    BENCHMARKS.md has the before/after of a T5-small step.
    """
    return _attend_fwd(query, key, value, bias, keep)[0]


def _kept(value, keep):  # [b, h, k, v] rows scaled by keep [b, h, 1, k]
    if keep is None:
        return value
    return (value.astype(jnp.float32) * jnp.swapaxes(keep, 2, 3)).astype(value.dtype)


def _attend_fwd(query, key, value, bias, keep):
    logits = jnp.einsum("bhqv,bhkv->bhqk", query, key, preferred_element_type=jnp.float32)
    probs = jax.nn.softmax(logits + bias.astype(jnp.float32), axis=-1)  # float32 [b, h, q, k]
    kept = _kept(value, keep)
    out = jnp.einsum("bhqk,bhkv->bhqv", probs.astype(value.dtype), kept)
    return out, (query, key, kept, bias, keep, probs, out)


def _attend_bwd(residuals, g):  # g [b, h, q, v]
    query, key, kept, bias, keep, probs, out = residuals
    dtype = kept.dtype
    t = functools.partial(jnp.swapaxes, axis1=2, axis2=3)  # [b, h, l, v] <-> [b, h, v, l]
    d_probs = jnp.einsum("bhqv,bhvk->bhqk", g, t(kept), preferred_element_type=jnp.float32)
    row = jnp.sum(g.astype(jnp.float32) * out.astype(jnp.float32), axis=-1, keepdims=True)
    d_logits = probs * (d_probs - row)  # float32 [b, h, q, k]
    d_kept = t(jnp.einsum("bhvq,bhqk->bhvk", t(g), probs.astype(dtype)))
    d_value = _kept(d_kept, keep)
    d_query = jnp.einsum("bhqk,bhkv->bhqv", d_logits.astype(dtype), key)
    # The barrier keeps XLA from folding the transpose back into the dot (which would make it
    # contract the query axis of d_logits again).
    d_key_t = jnp.einsum("bhvq,bhqk->bhvk", t(query), d_logits.astype(dtype))
    d_key = t(jax.lax.optimization_barrier(d_key_t))
    d_bias = _sum_to(d_logits, bias.shape).astype(bias.dtype)
    d_keep = None if keep is None else jnp.zeros_like(keep)  # a mask, not trained
    return d_query.astype(query.dtype), d_key.astype(key.dtype), d_value, d_bias, d_keep


attend.defvjp(_attend_fwd, _attend_bwd)


class MultiHeadAttention(nn.Module):
    """Multi-head dot-product attention without 1/sqrt(d_kv) (folded into the query init)."""

    num_heads: int
    d_kv: int
    dtype: jnp.dtype = jnp.float32
    dropout_rate: float = 0.0

    @nn.compact
    def __call__(
        self,
        inputs_q: Array,  # [b, q, d]
        inputs_kv: Array,  # [b, k, d]
        mask: Array | None = None,  # bool, broadcastable to [b, h, q, k]
        bias: Array | None = None,  # float, broadcastable to [b, h, q, k]: positions (+ masks)
        deterministic: bool = True,
        decode: bool = False,  # self-attention only: keep keys/values in the "cache" collection
        decode_index: Array | None = None,  # int scalar: the cache slot this step writes
    ) -> Array:  # [b, q, d]
        inner = self.num_heads * self.d_kv

        def query_init(key, shape, dtype=jnp.float32):
            return attention_kernel_init(key, shape, dtype) / np.sqrt(self.d_kv).astype(dtype)

        names = ("embed", "joined_kv")
        query = dense(inner, names, self.dtype, query_init, "query")(inputs_q)
        key = dense(inner, names, self.dtype, attention_kernel_init, "key")(inputs_kv)
        value = dense(inner, names, self.dtype, attention_kernel_init, "value")(inputs_kv)

        def split_heads(x):  # [b, l, h * v] -> [b, l, h, v]
            x = x.reshape(*x.shape[:-1], self.num_heads, self.d_kv)
            return nn.with_logical_constraint(x, ("batch", "length", "heads", "kv"))

        query, key, value = split_heads(query), split_heads(key), split_heads(value)
        if decode:
            key, value = self._cached_keys_and_values(key, value, decode_index)

        def heads_major(x):  # [b, l, h, v] -> [b, h, l, v]
            x = jnp.swapaxes(x, 1, 2)
            return nn.with_logical_constraint(x, ("batch", "heads", "length", "kv"))

        # Masks and position bias become one additive float32 bias (the stacks pass theirs
        # already summed, once for all layers); dropout is a keep-multiplier per key column.
        terms = [] if mask is None else [mask_to_bias(mask)]
        terms += [] if bias is None else [bias.astype(jnp.float32)]
        total = functools.reduce(jnp.add, terms) if terms else jnp.zeros((), jnp.float32)
        total = total.reshape((1,) * (4 - total.ndim) + total.shape)
        keep = None
        if not deterministic and self.dropout_rate > 0:
            # Mesh-TF drops whole key columns: one mask per (batch, head, key), shared by every
            # query position (flax's Dropout with broadcast_dims=(-2,)).
            shape = (query.shape[0], self.num_heads, 1, key.shape[1])
            kept = jax.random.bernoulli(self.make_rng("dropout"), 1.0 - self.dropout_rate, shape)
            keep = jnp.where(kept, 1.0 / (1.0 - self.dropout_rate), 0.0).astype(jnp.float32)
            self.sow("intermediates", "dropout_keep", keep)
        out = attend(heads_major(query), heads_major(key), heads_major(value), total, keep)
        out = jnp.swapaxes(out, 1, 2)  # [b, q, h, v]
        out = out.reshape(*out.shape[:-2], inner)  # [b, q, h * v]
        d_model = inputs_q.shape[-1]
        return dense(d_model, ("joined_kv", "embed"), self.dtype, attention_kernel_init, "out")(out)

    def _cached_keys_and_values(
        self, key: Array, value: Array, index: Array | None
    ) -> tuple[Array, Array]:
        """Decode mode. The first (init) pass sizes the cache from `key`: [b, max_length, h, v].

        Afterwards each call brings q positions ([b, q, h, v]: one per step, or a decoder-only
        model's whole prompt at once), writes them at `index`.. and returns the whole cache; the
        caller's mask hides the slots not written yet (still zeros).
        """
        initialized = self.has_variable("cache", "cached_key")
        cached_key = self.variable("cache", "cached_key", jnp.zeros, key.shape, key.dtype)
        cached_value = self.variable("cache", "cached_value", jnp.zeros, value.shape, value.dtype)
        if not initialized:
            return key, value
        if index is None:
            raise ValueError("a cached decode step needs decode_index")
        start = (0, index, 0, 0)
        cached_key.value = jax.lax.dynamic_update_slice(cached_key.value, key, start)
        cached_value.value = jax.lax.dynamic_update_slice(cached_value.value, value, start)
        return cached_key.value, cached_value.value  # [b, max_length, h, v]


class Mlp(nn.Module):
    """v1.0: wo(relu(wi x)); T5.1.1 gated-GELU: wo(gelu(wi_0 x) * wi_1 x), tanh-approximate gelu."""

    d_ff: int
    kind: str = "relu"  # or "gated-gelu"
    dtype: jnp.dtype = jnp.float32
    dropout_rate: float = 0.0
    output_init: nn.initializers.Initializer = dense_kernel_init  # wo's; adapters start at zero

    @nn.compact
    def __call__(self, x: Array, deterministic: bool = True) -> Array:  # [b, l, d] -> [b, l, d]
        names = ("embed", "mlp")
        if self.kind == "relu":
            hidden = nn.relu(dense(self.d_ff, names, self.dtype, name="wi")(x))
        elif self.kind == "gated-gelu":
            gate = nn.gelu(dense(self.d_ff, names, self.dtype, name="wi_0")(x), approximate=True)
            hidden = gate * dense(self.d_ff, names, self.dtype, name="wi_1")(x)
        else:
            raise ValueError(f"unknown MLP kind {self.kind!r}")
        hidden = nn.Dropout(self.dropout_rate, broadcast_dims=(-2,))(hidden, deterministic)
        hidden = nn.with_logical_constraint(hidden, ("batch", "length", "mlp"))  # [b, l, f]
        return dense(x.shape[-1], ("mlp", "embed"), self.dtype, self.output_init, "wo")(hidden)


class Embed(nn.Module):
    """Token embedding shared by encoder and decoder; `attend` gives tied logits in float32."""

    vocab_size: int
    features: int
    dtype: jnp.dtype = jnp.float32

    def setup(self):
        self.embedding = self.param(
            "embedding",
            nn.with_logical_partitioning(nn.initializers.normal(stddev=1.0), ("vocab", "embed")),
            (self.vocab_size, self.features),
            jnp.float32,
        )

    def __call__(self, tokens: Array) -> Array:  # int [b, l] -> [b, l, d]
        x = jnp.take(self.embedding, tokens, axis=0).astype(self.dtype)
        return nn.with_logical_constraint(x, ("batch", "length", "embed"))

    def attend(self, x: Array) -> Array:  # [b, l, d] -> float32 [b, l, n]
        # `project`: the embedding's gradient is then (x^T g)^T, not a transposed [n, b*l] g.
        return project(x.astype(jnp.float32), self.embedding.T)
