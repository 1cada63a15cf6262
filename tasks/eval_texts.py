"""The texts that decontamination looks for: evaluation examples of catalog tasks, or of a file
(issue 14, part 2; `corpus.decontamination` indexes them).

**From the catalog** (`select_eval_tasks`, then `eval_texts`): task names, mixture names (their
tasks) or regexes over whole task names, resolved against seqio's registries after the catalog
is registered. Each task's evaluation splits (`eval_splits`: those named `validation*` or
`test*`, e.g. MNLI's `validation_matched`) are read from the task's *source*, the raw examples
before T5's formatting (`task.source.get_dataset(split, shuffle=False)`), and every string of
every example is one text: each string feature, and each string of a string-list feature
(SQuAD's answers, ReCoRD's entities); numbers and labels are not text. A task's prompt words
("rte sentence1:") are therefore never part of an eval text.

**Example ids** (`example_id`): `<split>:<idx>` with the example's integer `idx` feature (GLUE,
most of SuperGLUE: the example's number in the released file), else `<split>:<position>`, its
place in the split read in order (SQuAD, CNN/DailyMail; ReCoRD and MultiRC, whose `idx` is a
dict). `tasks.clean_variants` filters evaluation splits by the same rule.

**From a file** (`read_eval_file`): JSON lines `{"task": ..., "id": ..., "text": ...}`, for
eval sets outside the catalog; a bad line is one error naming its line number.

Every problem is a `ValueError` with a one-line message (the command line shows it as is).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import seqio

from c4forge.tasks import registry

EVAL_SPLIT_PREFIXES = ("validation", "test")
FILE_FIELDS = ("task", "id", "text")


# --- which tasks ---------------------------------------------------------------------------------


def _selectors(selectors: Sequence[str]) -> list[str]:
    """Each argument, split on commas (`glue_v002_proportional,squad_v010_allanswers`)."""
    return [part.strip() for text in selectors for part in text.split(",") if part.strip()]


def resolve_tasks(selectors: Sequence[str]) -> list[str]:
    """Registered task names for task names, mixture names (their tasks, sub-mixtures
    included) and regexes matching whole task names; in the order given, without repeats."""
    chosen: dict[str, None] = {}
    for selector in _selectors(selectors):
        try:
            names, _ = registry.selected_tasks(selector)
        except ValueError as e:
            raise ValueError(f"eval task {e}") from None
        if not names:
            tasks, mixtures = seqio.TaskRegistry.names(), seqio.MixtureRegistry.names()
            raise ValueError(
                f"eval task {selector!r} matches no registered task or mixture "
                f"({len(tasks)} tasks and {len(mixtures)} mixtures are registered; "
                "`c4forge tasks list` shows them)"
            )
        chosen.update(dict.fromkeys(names))
    return list(chosen)


def eval_splits(task: seqio.Task) -> list[str]:
    """The task's evaluation splits, in its own order: names starting validation or test."""
    try:
        splits = list(task.splits)
    except ValueError as e:  # a TFDS source lists its splits from data that is not there
        raise ValueError(f"task {task.name}: cannot list its splits ({e})") from None
    return [s for s in splits if s.startswith(EVAL_SPLIT_PREFIXES)]


def select_eval_tasks(selectors: Sequence[str]) -> list[str]:
    """`resolve_tasks`, keeping the tasks that have evaluation splits (error if none has)."""
    names = resolve_tasks(selectors)
    with_eval = [n for n in names if eval_splits(seqio.TaskRegistry.get(n))]
    if not with_eval:
        raise ValueError(
            f"eval tasks {', '.join(_selectors(selectors))}: none of the {len(names)} tasks "
            "matched has a validation or test split"
        )
    return with_eval


# --- texts and ids -------------------------------------------------------------------------------


def example_id(split: str, example: Mapping[str, Any], position: int) -> str:
    """`<split>:<idx>` (the example's integer `idx`), else `<split>:<position>`."""
    idx = example.get("idx")
    if isinstance(idx, int | np.integer) and not isinstance(idx, bool):
        return f"{split}:{int(idx)}"
    return f"{split}:{position}"


def example_texts(example: Mapping[str, Any]) -> list[str]:
    """Every string of a raw example (as TFDS gives it: bytes, arrays of bytes, nested dicts),
    in sorted feature order, each string of a list on its own."""
    texts: list[str] = []
    for key in sorted(example):
        value = example[key]
        if isinstance(value, Mapping):
            texts += example_texts(value)
        elif isinstance(value, bytes | str):
            texts.append(_text(value))
        elif isinstance(value, np.ndarray) and value.dtype.kind in "OSU":
            texts += [_text(v) for v in value.ravel() if isinstance(v, bytes | str)]
    return texts


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def eval_texts(task_names: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    """(task, example id, text) for every text of every example of each task's evaluation
    splits, read from the task's source in order. A split that cannot be read is a
    ValueError naming the task and split (e.g. TFDS data not prepared: --tfds-data-dir)."""
    for name in task_names:
        task = seqio.TaskRegistry.get(name)
        for split in eval_splits(task):
            try:
                examples = task.source.get_dataset(split=split, shuffle=False).as_numpy_iterator()
                for position, example in enumerate(examples):
                    ident = example_id(split, example, position)
                    for text in example_texts(example):
                        yield name, ident, text
            except Exception as e:  # TF, TFDS and seqio raise many kinds; say where, in one line
                detail = " ".join(str(e).split())[:300]
                raise ValueError(
                    f"task {name}: cannot read its {split} split ({type(e).__name__}: {detail})"
                ) from e


# --- files ----------------------------------------------------------------------------------------


def read_eval_file(path: str) -> list[tuple[str, str, str]]:
    """(task, id, text) of each line of a JSON-lines file (local or gs://); blank lines are
    skipped. `id` may be a string or an integer (kept as its decimal string)."""
    import tensorflow as tf

    try:
        with tf.io.gfile.GFile(path, "rb") as f:
            data = f.read()
    except (tf.errors.OpError, OSError) as e:
        detail = getattr(e, "message", None) or str(e)
        raise ValueError(f"eval file {path}: cannot read it ({detail})") from None
    rows = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.strip():
            rows.append(_parse_line(path, number, line))
    if not rows:
        raise ValueError(f"eval file {path}: no eval texts in it")
    return rows


def _parse_line(path: str, number: int, line: bytes) -> tuple[str, str, str]:
    where = f"eval file {path} line {number}"
    try:
        row = json.loads(line)
    except ValueError as e:  # JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"{where}: not a JSON object ({e})") from None
    need = 'needs a JSON object with string "task" and "text" and a string or integer "id"'
    if not isinstance(row, dict):
        raise ValueError(f"{where}: {need}")
    task, ident, text = (row.get(k) for k in FILE_FIELDS)
    id_ok = isinstance(ident, str) or (isinstance(ident, int) and not isinstance(ident, bool))
    if not (isinstance(task, str) and task and id_ok and isinstance(text, str)):
        raise ValueError(f"{where}: {need}, got keys {sorted(row)}")
    return task, str(ident), text
