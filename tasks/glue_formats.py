"""GLUE and SuperGLUE in T5's text-to-text formats: the tf.data preprocessors and the
postprocessors that turn decoded text back into labels.

Reference: T5 0.9.4 `t5/data/preprocessors.py` (`glue`, `stsb`, `record`) and
`t5/data/postprocessors.py` (`string_label_to_class_id`, `string_to_float`, `multirc`,
`record`); docs/TASKS.md §2.4. Formats (inputs -> targets):

- GLUE: `"<cfg> k1: v1 k2: v2"`, the text features sorted by name (`idx` and `label` left out)
  -> the label's name, `<unk>` for label -1 (unlabelled test splits). STS-B's score becomes one
  of 26 classes: `round(label * 5) / 5` with one decimal (3.86 -> "3.8").
- SuperGLUE the same way; MultiRC orders its fields question, answer, paragraph and drops
  `<br>`/`<b>` markup; AX-b is written as `rte` (sentence1 the premise, sentence2 the
  hypothesis); ReCoRD gives one example per answer (`<unk>` when there is none), keeps every
  answer in `answers` for evaluation and turns the passage's `\\n@highlight\\n` into `. `.

Postprocessors have seqio's signature `fn(output_or_target, example=None, is_target=False)`.
Which benchmark gets which is `tasks.glue`; the coreference tasks are `tasks.coreference`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import seqio
import tensorflow as tf

UNK = "<unk>"
AXB_LABELS = ("entailment", "not_entailment")
_AUTOTUNE = tf.data.AUTOTUNE


# --- preprocessors (tf.data, usable as seqio preprocessors) ---------------------------------


def _label_name(label: tf.Tensor, label_names: Iterable[str]) -> tf.Tensor:
    """The class name of `label`; -1 (an unlabelled test example) gives `<unk>`."""
    # Shifting by one puts -1 on the leading "<unk>".
    names = tf.constant((UNK, *label_names))
    return tf.gather(names, tf.cast(label, tf.int64) + 1)


@seqio.map_over_dataset
def format_glue(
    x: Mapping[str, Any],
    benchmark_name: str,
    label_names: Iterable[str],
    feature_names: Iterable[str] | None = None,
) -> dict[str, tf.Tensor]:
    """T5's `glue` preprocessor: `"<benchmark> k1: v1 k2: v2"` -> label name.

    Without `feature_names`, every feature but `idx` and `label` is used, sorted by name.
    MultiRC additionally loses its HTML markup (`<br>` -> space, `<b>`/`</b>` removed) and keeps
    its three ids as `idx/paragraph`, `idx/question` (the evaluation groups) and `idx/answer`.
    """
    keys = list(feature_names or sorted(set(x) - {"idx", "label"}))
    parts = [benchmark_name]
    for key in keys:
        parts += [f"{key}:", x[key]]
    inputs = tf.strings.join(parts, separator=" ")
    out = {}
    if benchmark_name == "multirc":
        inputs = tf.strings.regex_replace(inputs, "<br>", " ")
        inputs = tf.strings.regex_replace(inputs, "</?b>", "")
        for part in ("paragraph", "question", "answer"):
            out[f"idx/{part}"] = x["idx"][part]
    elif "idx" in x:
        out["idx"] = x["idx"]
    out["inputs"] = inputs
    out["targets"] = _label_name(x["label"], label_names)
    return out


@seqio.map_over_dataset
def format_stsb(x: Mapping[str, Any]) -> dict[str, tf.Tensor]:
    """STS-B as 26 classes: the score rounded to a multiple of 0.2, one decimal (3.86 -> "3.8")."""
    inputs = tf.strings.join(
        ["stsb sentence1:", x["sentence1"], "sentence2:", x["sentence2"]], separator=" "
    )
    # tf.round sends halves to the even integer, as in T5 (float32 0.1 * 5 == 0.5 -> "0.0").
    score = tf.round(tf.cast(x["label"], tf.float32) * 5) / 5
    return {
        "inputs": inputs,
        "targets": tf.strings.as_string(score, precision=1),
        "idx": x["idx"],
    }


def format_axb(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """SuperGLUE AX-b as RTE: `rte hypothesis: <sentence2> premise: <sentence1>`."""

    def as_rte(x):
        return {
            "premise": x["sentence1"],
            "hypothesis": x["sentence2"],
            "label": x["label"],
            "idx": x["idx"],
        }

    dataset = dataset.map(as_rte, num_parallel_calls=_AUTOTUNE)
    return format_glue(dataset, benchmark_name="rte", label_names=AXB_LABELS)


def format_record(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """ReCoRD: one example per answer (training sees each), all answers kept in `answers`.

    `record query: <query> entities: e1, e2 passage: <passage>`; the passage's highlight
    separators become sentence breaks: after . ? ! " or ' just a space, otherwise `. `. A query
    without answers (test split) gives one example with target `<unk>`.
    """

    def one_per_answer(x):
        answers = x["answers"]
        copies = tf.maximum(tf.size(answers), 1)

        def repeat(t):
            return tf.broadcast_to(t, tf.concat([[copies], tf.shape(t)], axis=0))

        return {
            "passage": repeat(x["passage"]),
            "query": repeat(x["query"]),
            "entities": repeat(x["entities"]),
            "answers": repeat(answers),
            "targets": tf.cond(tf.size(answers) > 0, lambda: answers, lambda: tf.constant([UNK])),
            "idx/passage": repeat(x["idx"]["passage"]),
            "idx/query": repeat(x["idx"]["query"]),
        }

    def to_text(x):
        passage = tf.strings.regex_replace(x["passage"], "([.?!\"'])\n@highlight\n", r"\1 ")
        passage = tf.strings.regex_replace(passage, "\n@highlight\n", ". ")
        entities = tf.strings.reduce_join(x["entities"], separator=", ")
        inputs = tf.strings.join(
            ["record query:", x["query"], "entities:", entities, "passage:", passage],
            separator=" ",
        )
        return {
            "idx/passage": x["idx/passage"],
            "idx/query": x["idx/query"],
            "inputs": inputs,
            "targets": x["targets"],
            "answers": x["answers"],
        }

    dataset = dataset.map(one_per_answer, num_parallel_calls=_AUTOTUNE).unbatch()
    return dataset.map(to_text, num_parallel_calls=_AUTOTUNE)


# --- postprocessors: fn(output_or_target, example=None, is_target=False) --------------------


def as_text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _class_id(output: Any, example=None, is_target=False, *, label_classes, default) -> int:
    del example, is_target  # the text alone decides
    text = as_text(output)
    return label_classes.index(text) if text in label_classes else default


def string_label_to_class_id(label_classes: Iterable[str], default: int = -1) -> Callable:
    """A postprocessor mapping a label name to its index in `label_classes` (else `default`)."""
    return functools.partial(_class_id, label_classes=tuple(label_classes), default=default)


def string_to_float(
    output: Any, example=None, is_target: bool = False, default: float = -1.0
) -> float:
    """The text as a float, `default` when it is not one (STS-B)."""
    del example, is_target
    try:
        return float(as_text(output))
    except ValueError:
        return default


def need_example(example, what: str):
    if example is None:
        raise ValueError(f"the {what} postprocessor needs example= (seqio's evaluation passes it)")
    return example


def multirc(output: Any, example=None, is_target: bool = False) -> dict[str, Any]:
    """`{"value": 0/1 (-1 if neither False nor True), "group": question id}`.

    The group comes from the example (always there for targets); metrics group by the targets'.
    """
    if is_target:
        need_example(example, "multirc")
    result: dict[str, Any] = {
        "value": _class_id(output, label_classes=("False", "True"), default=-1)
    }
    if example is not None:
        result["group"] = int(example["idx/question"])
    return result


def record(output: Any, example=None, is_target: bool = False) -> dict[str, Any]:
    """Targets: `{"value": every answer, "group": (passage id, query id)}`; predictions:
    `{"value": text}` (plus the group when the example is given)."""
    if is_target:
        example = need_example(example, "record")
        value: Any = [as_text(a) for a in example["answers"]]
    else:
        value = as_text(output)
    result: dict[str, Any] = {"value": value}
    if example is not None:
        result["group"] = (int(example["idx/passage"]), int(example["idx/query"]))
    return result
