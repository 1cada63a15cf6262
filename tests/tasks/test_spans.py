"""Span corruption arithmetic and masks (docs/TASKS.md §2.2); expected values worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c4forge.tasks.spans import (
    noise_span_to_unique_sentinel,
    nonnoise_span_to_unique_sentinel,
    random_spans_helper,
    random_spans_noise_mask,
)


@pytest.mark.parametrize(
    ("inputs_length", "density", "mean_span", "expected"),
    [
        # T5's defaults: 568 raw tokens -> 85 noise tokens in 28 spans -> 483 + 28 + 1 = 512
        # inputs and 85 + 28 + 1 = 114 targets.
        (512, 0.15, 3.0, (568, 114)),
        # t = 141: noise round(21.15) = 21, spans 7, inputs 141 - 21 + 7 + 1 = 128; t = 142
        # gives 129.
        (128, 0.15, 3.0, (141, 29)),
        # t = 767: noise round(383.5) = 384 (to even), spans 128, inputs 512, targets 513 > 512:
        # density 0.5 takes one token less and targets 512.
        (512, 0.5, 3.0, (766, 512)),
    ],
)
def test_random_spans_helper(inputs_length, density, mean_span, expected):
    assert random_spans_helper(inputs_length, density, mean_span) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1, 0.15, 3.0), "inputs_length must be at least 2"),
        ((512, 0.0, 3.0), "noise_density must be in"),
        ((512, 0.15, 0.0), "mean_noise_span_length must be positive"),
    ],
)
def test_random_spans_helper_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        random_spans_helper(*args)


def _runs(mask):
    """(value, length) of each run of equal values."""
    edges = np.flatnonzero(np.diff(mask.astype(int))) + 1
    return [(bool(r[0]), len(r)) for r in np.split(mask, edges)]


def test_mask_at_t5_defaults():
    mask = random_spans_noise_mask(568, 0.15, seed=0)
    runs = _runs(mask)
    assert mask.sum() == 85
    assert sum(1 for noise, _ in runs if noise) == 28
    assert runs[0][0] is False  # starts with non-noise
    assert runs[-1][0] is True  # ends with noise


def test_mask_is_a_function_of_the_seed():
    a = random_spans_noise_mask(568, 0.15, seed=(1, 2))
    assert np.array_equal(a, random_spans_noise_mask(568, 0.15, seed=(1, 2)))
    assert not np.array_equal(a, random_spans_noise_mask(568, 0.15, seed=(1, 3)))


def test_one_token_gets_no_noise():
    assert random_spans_noise_mask(1, 0.15, seed=0).tolist() == [False]


@settings(max_examples=200, deadline=None)
@given(
    length=st.integers(2, 2000),
    density=st.floats(0.01, 0.99),
    mean_span=st.floats(1.0, 10.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_mask_counts(length, density, mean_span, seed):
    mask = random_spans_noise_mask(length, density, seed, mean_span)
    noise = min(max(round(length * density), 1), length - 1)
    spans = min(max(round(noise / mean_span), 1), noise, length - noise)
    runs = _runs(mask)
    assert len(mask) == length
    assert mask.sum() == noise
    assert [noise for noise, _ in runs] == [False, True] * spans  # alternating, non-noise first


def test_sentinels_match_and_decode_back():
    vocab_size = 32100
    tokens = np.arange(10, 40)
    mask = random_spans_noise_mask(len(tokens), 0.3, seed=7)
    inputs = noise_span_to_unique_sentinel(tokens, mask, vocab_size)
    targets = nonnoise_span_to_unique_sentinel(tokens, mask, vocab_size)
    spans = sum(1 for noise, _ in _runs(mask) if noise)
    sentinels = list(range(vocab_size - 1, vocab_size - 1 - spans, -1))
    assert [t for t in inputs if t >= vocab_size - 100] == sentinels
    # targets: <X0> n0 <X1> n1 ...; the non-noise spans become sentinels in the same order.
    assert [t for t in targets if t >= vocab_size - 100] == sentinels
    assert inputs.tolist()[0] < vocab_size - 100  # inputs start with non-noise
    # Replace each sentinel of the inputs by the target tokens that follow the same sentinel.
    fill = {}
    current = None
    for t in targets.tolist():
        if t >= vocab_size - 100:
            current = t
            fill[current] = []
        else:
            fill[current].append(t)
    decoded = [x for t in inputs.tolist() for x in fill.get(t, [t])]
    assert decoded == tokens.tolist()
