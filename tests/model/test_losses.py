"""model/losses.py against a float64 numpy reference and hand-worked values."""

from __future__ import annotations

import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from c4forge.model.losses import (
    MESH_TF_NORMALIZER,
    argmax_hits,
    cross_entropy_with_z_loss,
    normalizer,
    weighted_correct,
)


def numpy_loss(logits, targets, weights, z_loss):
    """(sum of w * (ce + z lse^2), sum of w * z lse^2, sum of w) in float64."""
    x = np.asarray(logits, np.float64)
    top = x.max(-1, keepdims=True)
    lse = (top + np.log(np.exp(x - top).sum(-1, keepdims=True)))[..., 0]
    log_softmax = x - lse[..., None]
    ce = -np.take_along_axis(log_softmax, targets[..., None], -1)[..., 0]
    z = z_loss * lse**2
    w = np.asarray(weights, np.float64)
    return (w * (ce + z)).sum(), (w * z).sum(), w.sum()


def numpy_grad(logits, targets, weights, z_loss):
    """d loss / d logits: w * (softmax - onehot + 2 z lse softmax)."""
    x = np.asarray(logits, np.float64)
    e = np.exp(x - x.max(-1, keepdims=True))
    softmax = e / e.sum(-1, keepdims=True)
    lse = np.log(np.exp(x).sum(-1))
    onehot = np.eye(x.shape[-1])[targets]
    per_token = softmax - onehot + 2 * z_loss * lse[..., None] * softmax
    return np.asarray(weights, np.float64)[..., None] * per_token


def _example(seed=0, shape=(3, 5), vocab=11, scale=3.0):
    rng = np.random.default_rng(seed)
    logits = (rng.normal(size=(*shape, vocab)) * scale + rng.normal(size=(*shape, 1)) * 4).astype(
        np.float32
    )  # per-token offsets so log Z is far from 0 and the z-term matters
    targets = rng.integers(0, vocab, shape).astype(np.int32)
    weights = (rng.random(shape) < 0.7).astype(np.float32)
    weights[0, 0] = 0.5  # fractional weights are weights too
    return logits, targets, weights


@pytest.mark.parametrize("z_loss", [0.0, 1e-4, 0.1])
def test_matches_numpy_reference(z_loss):
    logits, targets, weights = _example()
    total, z, weight_sum = cross_entropy_with_z_loss(logits, targets, weights, z_loss)
    ref_total, ref_z, ref_w = numpy_loss(logits, targets, weights, z_loss)
    assert total.dtype == z.dtype == weight_sum.dtype == jnp.float32
    np.testing.assert_allclose(total, ref_total, rtol=1e-5)
    np.testing.assert_allclose(z, ref_z, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(weight_sum, ref_w, rtol=1e-6)
    if z_loss == 0:
        assert float(z) == 0.0


def test_uniform_logits_by_hand():
    # n equal logits c: cross-entropy log n, log Z = c + log n; 4 tokens, weights 1, 1, 0, 2.
    n, c = 8, 1.5
    logits = np.full((1, 4, n), c, np.float32)
    weights = np.array([[1, 1, 0, 2]], np.float32)
    total, z, weight_sum = cross_entropy_with_z_loss(logits, np.zeros((1, 4), np.int32), weights)
    lse = c + math.log(n)
    assert float(weight_sum) == 4.0
    np.testing.assert_allclose(z, 4 * 1e-4 * lse**2, rtol=1e-6)
    np.testing.assert_allclose(total, 4 * (math.log(n) + 1e-4 * lse**2), rtol=1e-6)


def test_gradient_matches_the_closed_form():
    logits, targets, weights = _example(seed=1)
    grad = jax.grad(lambda x: cross_entropy_with_z_loss(x, targets, weights, 0.1)[0])(logits)
    np.testing.assert_allclose(grad, numpy_grad(logits, targets, weights, 0.1), atol=1e-5)


def test_no_weights_means_every_token():
    logits, targets, _ = _example(seed=2)
    ones = np.ones(targets.shape, np.float32)
    got = cross_entropy_with_z_loss(logits, targets, None)
    want = cross_entropy_with_z_loss(logits, targets, ones)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    assert float(got[2]) == targets.size


@pytest.mark.parametrize(
    ("normalization", "divisor"),
    [("sum", 1.0), ("per_token", None), (MESH_TF_NORMALIZER, 233472.0), (2.5, 2.5)],
)
def test_normalisation_options(normalization, divisor):
    logits, targets, weights = _example(seed=3)
    ref_total, ref_z, ref_w = numpy_loss(logits, targets, weights, 1e-4)
    divisor = ref_w if divisor is None else divisor
    total, z, weight_sum = cross_entropy_with_z_loss(
        logits, targets, weights, normalization=normalization
    )
    np.testing.assert_allclose(total, ref_total / divisor, rtol=1e-5)
    np.testing.assert_allclose(z, ref_z / divisor, rtol=1e-5)
    np.testing.assert_allclose(weight_sum, ref_w, rtol=1e-6)  # never normalised


def test_per_token_on_an_all_padding_batch_is_zero_not_nan():
    logits, targets, _ = _example(seed=4)
    total, z, weight_sum = cross_entropy_with_z_loss(
        logits, targets, np.zeros(targets.shape, np.float32), normalization="per_token"
    )
    assert (float(total), float(z), float(weight_sum)) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("bad", ["mean", 0.0, -1.0, True])
def test_unknown_normalisation_is_one_line(bad):
    message = f"loss normalization must be one of sum, per_token or a positive number; got {bad!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        normalizer(bad, jnp.ones((2, 3)))


def test_bfloat16_logits_are_computed_in_float32():
    logits, targets, weights = _example(seed=5)
    low = jnp.asarray(logits, jnp.bfloat16)
    total, _, _ = cross_entropy_with_z_loss(low, targets, weights)
    assert total.dtype == jnp.float32
    ref_total, _, _ = numpy_loss(np.asarray(low.astype(jnp.float32)), targets, weights, 1e-4)
    np.testing.assert_allclose(total, ref_total, rtol=1e-5)


def test_weighted_correct_by_hand():
    logits = np.array([[[0, 2, 1], [3, 0, 0], [0, 0, 5], [1, 0, 0]]], np.float32)
    targets = np.array([[1, 0, 1, 0]], np.int32)  # argmax 1, 0, 2, 0: hits at 0, 1, 3
    weights = np.array([[1, 0.5, 1, 0]], np.float32)
    assert float(weighted_correct(logits, targets, weights)) == 1.5
    assert float(weighted_correct(logits, targets)) == 3.0


@pytest.mark.parametrize("dtype", [np.float32, jnp.bfloat16])
def test_argmax_hits_equal_numpy_argmax_with_ties(dtype):
    # Logits from {0, 1, 2}: most rows have tied maxima; numpy's argmax takes the first.
    rng = np.random.default_rng(3)
    logits = rng.integers(0, 3, size=(4, 50, 7)).astype(np.float32)
    targets = rng.integers(0, 7, size=(4, 50)).astype(np.int32)
    expected = logits.argmax(-1) == targets
    assert 0 < expected.sum() < expected.size
    hits = argmax_hits(jnp.asarray(logits, dtype), targets)
    np.testing.assert_array_equal(np.asarray(hits), expected)
    # Every target at the first maximum of an all-equal row is a hit, later ones are not.
    flat = np.zeros((1, 3, 5), np.float32)
    np.testing.assert_array_equal(
        np.asarray(argmax_hits(flat, np.array([[0, 1, 4]], np.int32))), [[True, False, False]]
    )
