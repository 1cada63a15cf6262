"""`<task>_clean`: a catalog task whose evaluation splits hold only the examples that
decontamination did not find in the corpus (issue 14, part 2), for reporting clean scores
beside the usual ones (GPT-3's clean/dirty split, Brown et al. 2020 App. C).

`register_clean_tasks(report)` reads a `contamination.json` (`pipelines.decontamination`) and,
for each task it lists that is registered, adds `<task>_clean` (`glue_rte_v002_clean`): the
same preprocessors, features, postprocessor and metrics, over the task's source with the found
examples of each split left out. Examples are told apart by `tasks.eval_texts.example_id`'s
rule (the integer `idx` feature, else the position in the split read in order), computed here
in TensorFlow; the source is therefore always read in order. Splits without found examples
(and the train split) are the task's own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import seqio
import tensorflow as tf

from c4forge.tasks import registry

SUFFIX = "_clean"


def clean_task_name(name: str) -> str:
    return name + SUFFIX


def read_report(path: str) -> dict:
    """A contamination.json's content (local or gs://); ValueError if unreadable."""
    try:
        with tf.io.gfile.GFile(path) as f:
            report = json.load(f)
    except (tf.errors.OpError, ValueError) as e:
        raise ValueError(f"contamination report {path}: cannot read it ({e})") from None
    if not isinstance(report, dict) or not isinstance(report.get("tasks"), dict):
        raise ValueError(f'contamination report {path}: no "tasks" in it')
    return report


def found_by_split(contaminated: Mapping[str, int]) -> dict[str, list[str]]:
    """`{"validation:12": 3, ...}` (example id -> pages) -> {"validation": ["12", ...]}."""
    out: dict[str, list[str]] = {}
    for ident in contaminated:
        split, _, rest = ident.rpartition(":")
        out.setdefault(split, []).append(rest)
    return {split: sorted(rests) for split, rests in out.items()}


def _filtered_source(source: seqio.DataSource, found: dict[str, list[str]]) -> seqio.DataSource:
    def dataset_fn(split: str, shuffle_files: bool, seed: int | None = None) -> tf.data.Dataset:
        del shuffle_files, seed  # positions are ids: always read in order
        ds = source.get_dataset(split=split, shuffle=False)
        if not found.get(split):
            return ds
        drop = tf.constant(found[split])
        idx_spec = ds.element_spec.get("idx") if isinstance(ds.element_spec, dict) else None
        by_idx = (
            isinstance(idx_spec, tf.TensorSpec)
            and idx_spec.shape.rank == 0
            and idx_spec.dtype.is_integer
        )

        def keep(position, example):
            number = example["idx"] if by_idx else position
            return tf.logical_not(tf.reduce_any(tf.equal(tf.strings.as_string(number), drop)))

        return ds.enumerate().filter(keep).map(lambda _, example: example)

    try:
        splits = list(source.splits)
    except ValueError as e:  # a TFDS source without listed splits reads them from its data
        raise registry.RegistrationError(f"cannot list the source's splits ({e})") from None
    return seqio.FunctionDataSource(dataset_fn, splits=splits)


def register_clean_tasks(report: Mapping | str, tasks: Sequence[str] | None = None) -> list[str]:
    """Register `<task>_clean` for `tasks` (default: every task of the report registered in
    seqio; a named task that is not in the report or not registered is a RegistrationError).
    Returns the names added (none stay registered if one fails)."""
    if isinstance(report, str):
        report = read_report(report)
    listed = report["tasks"]
    if tasks is None:
        tasks = [name for name in sorted(listed) if name in seqio.TaskRegistry.names()]
    names: list[str] = []
    try:
        for name in tasks:
            if name not in listed:
                raise registry.RegistrationError(f"{name!r} is not in the contamination report")
            base = registry.get_provider(name)
            if not isinstance(base, seqio.Task):
                raise registry.RegistrationError(f"{name!r} is a mixture: name its tasks")
            found = found_by_split(listed[name].get("contaminated", {}))
            registry.add_task(
                clean_task_name(name),
                _filtered_source(base.source, found),
                list(base.preprocessors),
                output_features=base.output_features,
                postprocess_fn=base.postprocessor,
                metric_fns=list(base.metric_fns),
                shuffle_buffer_size=base.shuffle_buffer_size,
            )
            names.append(clean_task_name(name))
    except Exception:
        registry.unregister(*names)
        raise
    return names
