"""T5's generation tasks: SQuAD, CNN/DailyMail and WMT in T5's text formats, on TFDS.

Formats and metrics follow `t5/data/tasks.py`, `t5/data/preprocessors.py` (`squad`, `summarize`,
`translate`) and `t5/data/postprocessors.py` (`qa`) of t5 0.9.4:

- `squad_v010_allanswers` (`squad/v1.1:3.0.0`): `question: <q> context: <c>` -> answers[0];
  postprocess `qa`, metric `squad`;
- `squad_v010_context_free` (same source): `squad trivia question: <q>` -> answers[0]; same;
- `cnn_dailymail_v002` (`cnn_dailymail:3.4.0`): `summarize: <article>` -> highlights; `rouge`;
- `wmt14_ende_v003`, `wmt14_enfr_v003`, `wmt15_enfr_v003`, `wmt16_enro_v003`, `wmt19_ende_v003`,
  `wmt_t2t_ende_v003` (`wmt14_translate/de-en:1.0.0`, …): `translate English to German: <en>`
  -> de (French, Romanian); `bleu`.

SQuAD pads every ASCII punctuation mark with spaces and collapses whitespace in the question,
context and answers (`Who sat?` -> `Who sat ? `), as T5's `_pad_punctuation` (RE2
`[[:punct:]]`, so non-ASCII marks stay as they are); the padded answers are kept in the example
and `qa` hands all of them to the metric as the target. T5 registered `cnn_dailymail:3.1.0`;
TFDS 4.9.10 only builds 3.4.0, whose highlights lose the space before each sentence's period
(3.2.0; sentences are still one per line, so rougeLsum is unaffected) and which adds `publisher`
and `id`.

Nothing is registered at import: `register_generation(vocabulary)` adds the tasks.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import seqio
import tensorflow as tf
import tensorflow_datasets as tfds

from c4forge.tasks import metrics, registry

SQUAD = "squad/v1.1:3.0.0"
CNN_DAILYMAIL = "cnn_dailymail:3.4.0"

# T5 names languages with `babel.Locale(code).english_name`; these are babel's answers for the
# codes used here (babel itself is not a dependency).
LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "ro": "Romanian"}

# Task name -> (TFDS name, source language, target language). The TFDS configs are named
# `<target>-<source>` (`language_pair` = (de, en)); T5 translates from English.
WMT_TASKS = {
    "wmt14_ende_v003": ("wmt14_translate/de-en:1.0.0", "en", "de"),
    "wmt14_enfr_v003": ("wmt14_translate/fr-en:1.0.0", "en", "fr"),
    "wmt15_enfr_v003": ("wmt15_translate/fr-en:1.0.0", "en", "fr"),
    "wmt16_enro_v003": ("wmt16_translate/ro-en:1.0.0", "en", "ro"),
    "wmt19_ende_v003": ("wmt19_translate/de-en:1.0.0", "en", "de"),
    "wmt_t2t_ende_v003": ("wmt_t2t_translate/de-en:1.0.0", "en", "de"),
}


# --- formats --------------------------------------------------------------------------------


def pad_punctuation(text: tf.Tensor) -> tf.Tensor:
    """Spaces around each ASCII punctuation mark, then runs of whitespace -> one space.

    Works elementwise on string tensors of any shape. Leading/trailing spaces stay (one each):
    `"sat."` -> `"sat . "`.
    """
    text = tf.strings.regex_replace(text, r"([[:punct:]])", r" \1 ")
    return tf.strings.regex_replace(text, r"\s+", " ")


def _join(parts: list[Any]) -> tf.Tensor:
    # T5's `_string_join`: space-join, then collapse the doubled spaces padding may leave.
    return tf.strings.regex_replace(tf.strings.join(parts, separator=" "), r"\s+", " ")


@seqio.map_over_dataset
def squad(x: Mapping[str, tf.Tensor], include_context: bool = True) -> dict[str, tf.Tensor]:
    """SQuAD example -> inputs/targets, keeping id, padded context, question and all answers."""
    answers = pad_punctuation(x["answers"]["text"])
    question = pad_punctuation(x["question"])
    context = pad_punctuation(x["context"])
    if include_context:
        inputs = _join(["question:", question, "context:", context])
    else:
        inputs = _join(["squad trivia question:", question])
    return {
        "inputs": inputs,
        "targets": answers[0],
        "id": x["id"],
        "context": context,
        "question": question,
        "answers": answers,
    }


@seqio.map_over_dataset
def summarize(
    x: Mapping[str, tf.Tensor], article_key: str, summary_key: str
) -> dict[str, tf.Tensor]:
    """`summarize: <article>` -> summary (text unchanged otherwise)."""
    return {
        "inputs": tf.strings.join(["summarize:", x[article_key]], separator=" "),
        "targets": x[summary_key],
    }


def translation_prefix(source_language: str, target_language: str) -> str:
    """`translate English to German: ` (with the trailing space) for codes en, de."""
    names = []
    for code in (source_language, target_language):
        if code not in LANGUAGE_NAMES:
            raise ValueError(
                f"no English name for language code {code!r}: add it to LANGUAGE_NAMES"
            )
        names.append(LANGUAGE_NAMES[code])
    return f"translate {names[0]} to {names[1]}: "


@seqio.map_over_dataset
def translate(
    x: Mapping[str, tf.Tensor], source_language: str, target_language: str
) -> dict[str, tf.Tensor]:
    """`translate <Source> to <Target>: <source text>` -> target text."""
    prefix = translation_prefix(source_language, target_language)
    return {
        "inputs": tf.strings.join([prefix, x[source_language]]),
        "targets": x[target_language],
    }


# --- postprocessing -------------------------------------------------------------------------


def qa(answer: str, example: Mapping[str, Any] | None = None, is_target: bool = False) -> Any:
    """A prediction as is; for a target, every (padded) answer of the example, as str."""
    if not is_target:
        return answer
    if example is None or "answers" not in example:
        raise ValueError("qa: a target needs its example with an 'answers' feature")
    return [a.decode("utf-8") if isinstance(a, bytes) else str(a) for a in example["answers"]]


# --- registration ---------------------------------------------------------------------------


def _chain(format_fn) -> list[Any]:
    # T5's chain for every supervised task: format, tokenize, cache point, EOS after trimming.
    return [
        format_fn,
        seqio.preprocessors.tokenize,
        seqio.CacheDatasetPlaceholder(),
        seqio.preprocessors.append_eos_after_trim,
    ]


def builder_exists(tfds_name: str) -> bool:
    """Whether this TFDS install has the builder (`name/config:version` -> `name`)."""
    try:
        tfds.builder_cls(tfds_name.split("/")[0].split(":")[0])
    except tfds.core.registered.DatasetNotFoundError:
        return False
    return True


def generation_specs() -> dict[str, dict[str, Any]]:
    """Task name -> add_task arguments (source TFDS name, format, postprocess, metrics)."""
    specs: dict[str, dict[str, Any]] = {
        "squad_v010_allanswers": {
            "tfds_name": SQUAD,
            "format": squad,
            "postprocess_fn": qa,
            "metric_fns": [metrics.squad],
        },
        "squad_v010_context_free": {
            "tfds_name": SQUAD,
            "format": functools.partial(squad, include_context=False),
            "postprocess_fn": qa,
            "metric_fns": [metrics.squad],
        },
        "cnn_dailymail_v002": {
            "tfds_name": CNN_DAILYMAIL,
            "format": functools.partial(summarize, article_key="article", summary_key="highlights"),
            "postprocess_fn": None,
            "metric_fns": [metrics.rouge],
        },
    }
    for name, (tfds_name, source, target) in WMT_TASKS.items():
        specs[name] = {
            "tfds_name": tfds_name,
            "format": functools.partial(translate, source_language=source, target_language=target),
            "postprocess_fn": None,
            "metric_fns": [metrics.bleu],
        }
    return specs


def register_generation(
    vocabulary: seqio.Vocabulary, tfds_data_dir: str | None = None
) -> list[str]:
    """Register the generation tasks whose TFDS builder exists; returns their names.

    A name already registered is a `RegistrationError` (nothing of this call stays registered).
    """
    features = registry.output_features(vocabulary)
    names: list[str] = []
    try:
        for name, spec in generation_specs().items():
            if not builder_exists(spec["tfds_name"]):
                continue
            registry.add_task(
                name,
                seqio.TfdsDataSource(tfds_name=spec["tfds_name"], tfds_data_dir=tfds_data_dir),
                _chain(spec["format"]),
                output_features=features,
                postprocess_fn=spec["postprocess_fn"],
                metric_fns=spec["metric_fns"],
            )
            names.append(name)
    except Exception:
        registry.unregister(*names)
        raise
    return names
