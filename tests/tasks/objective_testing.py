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
