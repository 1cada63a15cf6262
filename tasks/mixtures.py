"""Mixing rates (T5 §3.5.2) and the catalog's mixtures.

Rates are relative weights; seqio normalises them (`Mixture.get_rate(task) / total_rate`):
- examples-proportional with an artificial limit K: r_m = min(e_m * scale, K);
- temperature scaling: r_m ** (1 / T) (T5 used T in {2, 4, 8}, K = 2**21);
- equal: 1.0 each.
`rate_num_examples` is seqio's own `mixing_rate_num_examples` (cached stats, else the source's
`num_input_examples`); `proportional` is the same formula on given sizes (T5's fixed GLUE and
SuperGLUE training sizes).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import seqio

from c4forge.tasks import registry


def proportional(
    sizes: Mapping[str, float],
    *,
    cap: float | None = None,
    temperature: float = 1.0,
    scale: float = 1.0,
) -> dict[str, float]:
    """min(n * scale, cap) ** (1 / temperature) per task (relative rates)."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    out = {}
    for name, n in sizes.items():
        rate = n * scale
        if cap is not None:
            rate = min(rate, cap)
        out[name] = rate ** (1.0 / temperature) if rate > 0 else 0.0
    return out


def normalized(rates: Mapping[str, float]) -> dict[str, float]:
    total = sum(rates.values())
    if total <= 0:
        raise ValueError("all rates are zero")
    return {name: r / total for name, r in rates.items()}


def rate_num_examples(maximum=None, temperature=1.0, scale=1.0, split="train"):
    """seqio's examples-proportional rate function, as a mixture rate."""
    return functools.partial(
        seqio.mixing_rate_num_examples,
        maximum=maximum,
        temperature=temperature,
        scale=scale,
        split=split,
    )


def rate_unsupervised(value: float = 1e6):
    """T5's constant rate for the unsupervised task in a multi-task mixture."""
    return lambda task: value


def equal(task) -> float:
    return 1.0


def sample_mixture_name(c4_task: str) -> str:
    """`c4_en_v310_span_corruption` -> `c4_en_v310_sample_mix` (C4 + the bundled sample_qa)."""
    return c4_task.removesuffix("_span_corruption") + "_sample_mix"


def register_mixtures(c4_task: str | None = None) -> list[str]:
    """GLUE/SuperGLUE proportional (T5's weights) and, with C4, a multi-task pre-training mix
    and C4 + `sample_qa` examples-proportional (the demo's mixture)."""
    from c4forge.tasks.glue import GLUE_WEIGHTS, SUPER_GLUE_SENTINEL_WEIGHTS, SUPER_GLUE_WEIGHTS
    from c4forge.tasks.sample_qa import TASK_NAME as SAMPLE_TASK

    names = []
    known = set(seqio.TaskRegistry.names())
    glue = {n: w for n, w in GLUE_WEIGHTS.items() if n in known}
    super_glue = {n: w for n, w in SUPER_GLUE_WEIGHTS.items() if n in known}
    if glue:
        registry.add_mixture("glue_v002_proportional", list(glue.items()))
        names.append("glue_v002_proportional")
    if super_glue:
        registry.add_mixture("super_glue_v102_proportional", list(super_glue.items()))
        names.append("super_glue_v102_proportional")
    sentinel = {n: w for n, w in SUPER_GLUE_SENTINEL_WEIGHTS.items() if n in known}
    if sentinel:
        registry.add_mixture("super_glue_v102_proportional_sentinel", list(sentinel.items()))
        names.append("super_glue_v102_proportional_sentinel")
    if c4_task is not None and c4_task in known:
        # T5's en_mix: the unsupervised task at 1e6, supervised tasks examples-proportional.
        supervised = {n: w for n, w in {**glue, **super_glue}.items() if w > 0}
        if "squad_v010_allanswers" in known:
            supervised["squad_v010_allanswers"] = 87599
        name = c4_task.removesuffix("_span_corruption") + "_mix"
        registry.add_mixture(name, [(c4_task, 1e6), *proportional(supervised).items()])
        names.append(name)
    if c4_task is not None and c4_task in known and SAMPLE_TASK in known:
        # Both rates are example counts: C4's is its train documents (before span corruption
        # splits them), sample_qa's its 5,000 questions (seqio reads num_input_examples).
        name = sample_mixture_name(c4_task)
        registry.add_mixture(name, [c4_task, SAMPLE_TASK], default_rate=rate_num_examples())
        names.append(name)
    return names
