"""Evaluate a model on registered tasks with seqio's `Evaluator`, from a plain batch function.

seqio's `Evaluator` (TASKS §1.7) caches a task's eval split once, converts it with a feature
converter, and hands a model an *enumerated* `tf.data.Dataset`, expecting `[(index, ids), ...]`
back; it then decodes the ids up to EOS, runs the task's `postprocess_fn` on predictions and
on targets (`targets_pretokenized` when present, with `example=` and `is_target=True`), and calls
each metric fn as `fn(targets, predictions)`.

A model here only sees numpy batches: `predict_fn(batch) -> token id sequences`, where `batch`
is what `seqio.EncDecFeatureConverter(pack=False)` makes of the task (`encoder_input_tokens`,
`decoder_input_tokens`, `decoder_target_tokens`, `decoder_loss_weights`, each
[batch_size, length]). `evaluate` adapts that function to seqio's contract:

- every batch has exactly `batch_size` rows (the last one is padded with all-zero rows whose
  outputs are dropped), so a jitted model compiles once;
- outputs are paired with the example indices seqio enumerated, so order is kept;
- outputs may differ in length; they are right-padded with 0 (PAD, which decodes to nothing)
  because seqio stacks them into one array before decoding.

Metrics run in the calling thread (`async_compute_metrics=False`): `evaluate` returns numbers,
not futures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import seqio
import tensorflow as tf

Batch = dict[str, np.ndarray]
PredictFn = Callable[[Batch], Sequence[Sequence[int]] | np.ndarray]


def batch_predictions(
    predict_fn: PredictFn, batch_size: int
) -> Callable[..., list[tuple[int, list[int]]]]:
    """seqio's `predict_fn(ds) -> [(index, ids)]` from a function over fixed-size numpy batches."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")

    def seqio_predict_fn(dataset: tf.data.Dataset, model_feature_shapes=None):
        del model_feature_shapes  # lengths are in the batch itself
        indexed: list[tuple[int, np.ndarray]] = []
        for indices, batch in dataset.batch(batch_size).as_numpy_iterator():
            rows = len(indices)
            outputs = predict_fn(_pad_rows(batch, batch_size))
            if len(outputs) != batch_size:
                raise ValueError(
                    f"predict_fn returned {len(outputs)} sequences for a batch of {batch_size}"
                )
            indexed += [
                (int(i), np.asarray(out, dtype=np.int64).reshape(-1))
                for i, out in zip(indices, outputs[:rows], strict=True)
            ]
        width = max((len(ids) for _, ids in indexed), default=0)
        return [(i, np.pad(ids, (0, width - len(ids))).tolist()) for i, ids in indexed]

    return seqio_predict_fn


def _pad_rows(batch: Mapping[str, np.ndarray], batch_size: int) -> Batch:
    # All-zero rows are pure padding (every token PAD, loss weight 0).
    return {
        key: np.pad(value, [(0, batch_size - len(value))] + [(0, 0)] * (value.ndim - 1))
        for key, value in batch.items()
    }


def evaluate(
    name: str,
    predict_fn: PredictFn,
    *,
    feature_lengths: Mapping[str, int] | None = None,
    split: str = "validation",
    num_examples: int | None = None,
    batch_size: int = 8,
    seed: int = 42,
) -> dict[str, dict[str, float]]:
    """Metrics of `predict_fn` on a registered task or mixture: {task name: {metric: value}}.

    `feature_lengths` ({"inputs": n, "targets": m}) trims features; None measures the longest
    example. `num_examples` takes that many examples from the start of each task's split.
    """
    if name not in seqio.TaskRegistry.names() and name not in seqio.MixtureRegistry.names():
        raise ValueError(f"unknown task or mixture {name!r}: register it first")
    adapted = batch_predictions(predict_fn, batch_size)
    evaluator = seqio.Evaluator(
        name,
        feature_converter=seqio.EncDecFeatureConverter(pack=False),
        eval_split=split,
        seed=seed,
        sequence_length=dict(feature_lengths) if feature_lengths is not None else None,
        num_examples=num_examples,
        shuffle=False,
        async_compute_metrics=False,
    )
    if not evaluator.eval_tasks:
        raise ValueError(f"{name!r}: no task with a {split!r} split and metric functions")
    try:
        future, _ = evaluator.evaluate(compute_metrics=True, predict_fn=adapted)
        results = future.result()
    finally:
        evaluator.close()
    return {
        task: {key: _number(value) for key, value in task_metrics.items()}
        for task, task_metrics in results.items()
    }


def _number(value: Any) -> Any:
    # Our metric fns give Python/numpy floats; anything else (a clu MetricValue) passes as is.
    try:
        return float(value)
    except (TypeError, ValueError):
        return value
