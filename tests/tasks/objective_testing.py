"""What the objective tests share: T5's EOS id, and undoing sentinels to check an example
against the tokens it was made from."""

from __future__ import annotations

import numpy as np

EOS = 1
# Random docs use piece ids in [3, 1000) and a vocabulary so large that any id >= 1000 can only be
# a sentinel, however many spans a piece has.
BIG_VOCAB = 1_000_000


def merge_sentinels(inputs, targets, first_sentinel):
    """Put each sentinel's target tokens back in its place in the inputs (T5's decoding)."""
    fill, current = {}, None
    for t in np.asarray(targets).tolist():
        if t >= first_sentinel:
            current = t
            fill[current] = []
        else:
            fill[current].append(t)
    return [x for t in np.asarray(inputs).tolist() for x in fill.get(t, [t])]


def merge_runs(inputs, targets, first_sentinel):
    """Put the i-th noise run of the targets (runs split by sentinels) at the i-th sentinel of
    the inputs. Works whichever kind of span comes first (iid masks may start with noise, and
    then the targets start with noise tokens, as in T5)."""
    runs, current = [], []
    for t in np.asarray(targets).tolist():
        if t >= first_sentinel:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(t)
    if current:
        runs.append(current)
    runs = iter(runs)
    return [
        x for t in np.asarray(inputs).tolist() for x in (next(runs) if t >= first_sentinel else [t])
    ]


def sentinels(ids, first_sentinel):
    return [t for t in np.asarray(ids).tolist() if t >= first_sentinel]


def is_interleaving(a, b, c) -> bool:
    """Whether `c` is `a` and `b` interleaved, each kept in order (dynamic programming: ok[j]
    says whether c[: i + j] interleaves a[:i] and b[:j], for the current i)."""
    a, b, c = (np.asarray(x).tolist() for x in (a, b, c))
    if len(a) + len(b) != len(c):
        return False
    ok = [True] * (len(b) + 1)
    for j in range(1, len(b) + 1):
        ok[j] = ok[j - 1] and b[j - 1] == c[j - 1]
    for i in range(1, len(a) + 1):
        ok[0] = ok[0] and a[i - 1] == c[i - 1]
        for j in range(1, len(b) + 1):
            ok[j] = (ok[j] and a[i - 1] == c[i + j - 1]) or (ok[j - 1] and b[j - 1] == c[i + j - 1])
    return ok[len(b)]


def assert_binomial(count: int, n: int, p: float, z: float = 4.5) -> None:
    """`count` successes of `n` trials of probability `p`, within z standard deviations of the
    mean (z = 4.5: a false alarm about once in 150,000 runs; the seeds are fixed anyway)."""
    sd = (n * p * (1 - p)) ** 0.5
    assert abs(count - n * p) <= z * sd, (count, n * p, sd)
