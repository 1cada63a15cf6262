"""GLUE, SuperGLUE and the "simple" WSC/DPR tasks in T5's text-to-text formats.

Reference: T5 0.9.4 — `t5/data/glue_utils.py` (which preprocessor, postprocessor and metrics each
benchmark gets; the mixture weights), `t5/data/tasks.py` (task names, TFDS splits, the
WSC/DPR/WNLI "simple" tasks), `t5/data/preprocessors.py` (`glue`, `stsb`, `record`,
`wsc_simple`, `definite_pronoun_resolution_simple`, `wnli_simple`) and
`t5/data/postprocessors.py`; docs/TASKS.md §2.4–2.5. Formats (inputs -> targets):

- GLUE `glue_<cfg>_v002`: `"<cfg> k1: v1 k2: v2"`, the text features sorted by name (`idx` and
  `label` left out) -> the label's name, `<unk>` for label -1 (unlabelled test splits). MNLI's
  matched/mismatched configs and the AX diagnostic are written as `mnli`. STS-B's score becomes
  one of 26 classes: `round(label * 5) / 5` with one decimal (3.86 -> "3.8").
- SuperGLUE `super_glue_<cfg>_v102` the same way; MultiRC orders its fields question, answer,
  paragraph and drops `<br>`/`<b>` markup, WiC uses sentence1, sentence2, word (not the
  offsets); AX-b and AX-g are written as `rte` (AX-b's sentence1 is the premise, sentence2 the
  hypothesis); ReCoRD gives one example per answer (`<unk>` when there is none), keeps every
  answer in `answers` for evaluation and turns the passage's `\\n@highlight\\n` into `. `.
  Each SuperGLUE task has a `_1_sentinel` twin (`seqio.experimental.add_task_with_sentinels`).
- "Simple" coreference as span prediction: `wsc: Mitchell asked Tom if *he* could lend some
  money.` -> `Tom` (SuperGLUE WSC, DPR, and GLUE WNLI for evaluation only).

TFDS versions are the ones tensorflow-datasets 4.9.10 builds by default: SuperGLUE 1.0.2 and
DPR 1.1.0 as T5; GLUE 2.0.0 where T5 read 1.0.0 — the text is the same except glue/qqp, whose
download source 2.0.0 changed (1.0.0 remains a supported version of the builder).

Nothing is registered at import: `register_glue` / `register_super_glue` do it, and return the
names they added (on any error they remove what they added, then raise).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

import seqio
import tensorflow as tf

from tasks import metrics, registry

GLUE_TFDS_VERSION = "2.0.0"
SUPER_GLUE_TFDS_VERSION = "1.0.2"
DPR_TFDS_VERSION = "1.1.0"

UNK = "<unk>"
_AUTOTUNE = tf.data.AUTOTUNE

# T5's mixture weights: training-set sizes. WNLI is left out (T5 trains on WSC/DPR instead);
# rate-0 tasks are only there for evaluation.
GLUE_WEIGHTS: dict[str, float] = {
    "glue_cola_v002": 8_551.0,
    "glue_sst2_v002": 67_349.0,
    "glue_mrpc_v002": 3_668.0,
    "glue_qqp_v002": 363_849.0,
    "glue_stsb_v002": 5_749.0,
    "glue_mnli_v002": 392_702.0,
    "glue_qnli_v002": 104_743.0,
    "glue_rte_v002": 2_490.0,
    "glue_mnli_mismatched_v002": 0.0,
    "glue_mnli_matched_v002": 0.0,
    "glue_ax_v002": 0.0,
}
SUPER_GLUE_WEIGHTS: dict[str, float] = {
    "dpr_v001_simple": 1_322.0,
    "super_glue_wsc_v102_simple_train": 259.0,
    "super_glue_wsc_v102_simple_eval": 0.0,
    "super_glue_boolq_v102": 9_427.0,
    "super_glue_cb_v102": 250.0,
    "super_glue_copa_v102": 400.0,
    "super_glue_multirc_v102": 27_243.0,
    "super_glue_record_v102": 138_854.0,
    "super_glue_rte_v102": 2_490.0,
    "super_glue_wic_v102": 5_428.0,
    "super_glue_axb_v102": 0.0,
    "super_glue_axg_v102": 0.0,
}


def sentinel_task_name(name: str, num_sentinels: int = 1) -> str:
    """The name `seqio.experimental.add_task_with_sentinels` gives a task's sentinel twin.

    `_<n>_sentinel` goes before the first of `_train`, `_dev`, `_test`, `_eval`, `.` found (tried
    in that order), else at the end: `super_glue_wsc_v102_simple_train` ->
    `super_glue_wsc_v102_simple_1_sentinel_train`.
    """
    suffix = f"_{num_sentinels}_sentinel"
    for marker in ("_train", "_dev", "_test", "_eval", "."):
        at = name.find(marker)
        if at >= 0:
            return name[:at] + suffix + name[at:]
    return name + suffix


SUPER_GLUE_SENTINEL_WEIGHTS: dict[str, float] = {
    sentinel_task_name(name): weight for name, weight in SUPER_GLUE_WEIGHTS.items()
}


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


_AXB_LABELS = ("entailment", "not_entailment")


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
    return format_glue(dataset, benchmark_name="rte", label_names=_AXB_LABELS)


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


def _escape_regex(text: tf.Tensor) -> tf.Tensor:
    """`text` as a literal inside an RE2 pattern."""
    return tf.strings.regex_replace(text, r"([\\.^$|?*+()\[\]{}])", r"\\\1")


def _escape_rewrite(text: tf.Tensor) -> tf.Tensor:
    """`text` as a literal inside an RE2 rewrite (only backslashes are special there)."""
    return tf.strings.regex_replace(text, r"\\", r"\\\\")


# T5 blanks these two WSC texts by hand: their span2_index does not point at the pronoun.
_WSC_PONY = (
    "The boy continued to whip the pony , and eventually the pony threw him over. John laughed "
    'out quite loud. "Good for him," he said. '
)
_WSC_PEBBLE = (
    "When they had eventually calmed down a bit , and had gotten home, Mr. Farley put the magic "
    "pebble in an iron safe . Some day they might want to use it , but really for now, what more "
    "could they wish for?"
)
_WSC_BLANKED_BY_HAND = {
    _WSC_PONY: (
        "The boy continued to whip the pony , and eventually the pony threw him over. John "
        'laughed out quite loud. "Good for X ," he said.'
    ),
    _WSC_PEBBLE: (
        "When they had eventually calmed down a bit , and had gotten home, Mr. Farley put the "
        "magic pebble in an iron safe . Some day they might want to use X , but really for now, "
        "what more could they wish for?"
    ),
}


def _blank_pronoun(x: Mapping[str, tf.Tensor]) -> tf.Tensor:
    """The WSC text with its pronoun (word `span2_index`, words split on " ") replaced by X."""
    text = x["text"]
    words = tf.strings.split(text, sep=" ")
    index = tf.cast(x["span2_index"], tf.int32)
    # Like T5, fail loudly on a span that is not where it says (bar the two texts fixed by hand).
    in_range = tf.debugging.Assert(
        tf.logical_and(index > 0, index < tf.size(words)),
        ["WSC span2_index must point past the first word of the text:", index, text],
    )
    with tf.control_dependencies([in_range]):
        index = tf.identity(index)
    by_hand = tf.reduce_any(tf.equal(text, list(_WSC_BLANKED_BY_HAND)))
    is_pronoun = tf.debugging.Assert(
        tf.logical_or(by_hand, tf.equal(words[index], x["span2_text"])),
        ["WSC span2_text is not the word at span2_index:", x["span2_text"], index, text],
    )
    with tf.control_dependencies([is_pronoun]):
        blanked = tf.strings.join(
            [
                tf.strings.reduce_join(words[:index], separator=" "),
                "X",
                tf.strings.reduce_join(words[index + 1 :], separator=" "),
            ],
            separator=" ",
        )
    for original, fixed in _WSC_BLANKED_BY_HAND.items():
        blanked = tf.where(tf.equal(text, original), fixed, blanked)
    return blanked


def format_wsc_simple(
    dataset: tf.data.Dataset, correct_referent_only: bool = False
) -> tf.data.Dataset:
    """SuperGLUE WSC as span prediction: `wsc: ... *he* ...` -> span1_text (the candidate).

    The target is the candidate whether or not it is the pronoun's referent, so training keeps
    only `label` true examples (`correct_referent_only=True`); evaluation keeps all, and
    `label`/`idx` for the `wsc_simple` postprocessor.
    """

    def to_text(x):
        # T5 marks the pronoun by replacing every " X " of the blanked text.
        marked = tf.strings.join([" *", _escape_rewrite(x["span2_text"]), "* "])
        highlighted = tf.strings.regex_replace(_blank_pronoun(x), " X ", marked)
        label = x["label"] if "label" in x else tf.constant(0, tf.int64)
        return {
            "inputs": tf.strings.join(["wsc:", highlighted], separator=" "),
            "targets": tf.reshape(x["span1_text"], []),
            "label": label,
            "idx": x["idx"],
        }

    if correct_referent_only:
        # As T5: a nonzero label (so also an unknown -1) counts as true.
        dataset = dataset.filter(lambda x: tf.cast(x["label"], tf.bool))
    return dataset.map(to_text, num_parallel_calls=_AUTOTUNE)


@seqio.map_over_dataset
def format_dpr_simple(x: Mapping[str, Any]) -> dict[str, tf.Tensor]:
    """DPR as span prediction: `wsc: Bob asked Tom if *he* can lend some money.` -> `Tom`.

    Only the first occurrence of the pronoun is marked (the one the dataset resolves), and only
    where it follows a space and precedes a space, `.` or `,`.
    """
    pattern = tf.strings.join([" (", _escape_regex(x["pronoun"]), r")( |\.|,)"])
    highlighted = tf.strings.regex_replace(x["sentence"], pattern, r" *\1*\2", replace_global=False)
    return {
        "inputs": tf.strings.join(["wsc:", highlighted], separator=" "),
        "targets": tf.gather(x["candidates"], x["label"]),
    }


# --- WNLI -> WSC (T5's `wnli_simple` heuristics, in plain Python) ---------------------------

_PRONOUNS = ("he", "she", "they", "it", "her", "his", "their", "them", "him")
_END_PUNCTUATION = (".", ",", "!", "?")


class _PronounMatch(NamedTuple):
    score: int
    index: int
    candidate: str


def _clean_words(text: str) -> list[str]:
    """Lowercased words (split on " ") without one trailing . , ? or !, empties dropped."""
    words = [re.sub(r"(\.|,|\?|\!)$", "", w) for w in text.strip().lower().split(" ")]
    return [w for w in words if w]


def _prefix_match(hypothesis: list[str], words: list[str]) -> int:
    """Length of the longest prefix of `words` found (as text) in the hypothesis."""
    joined = " ".join(hypothesis)
    for i in range(len(words)):
        if " ".join(words[: i + 1]) not in joined:
            return i
    return len(words)


def _pronoun_match(premise: list[str], hypothesis: list[str], index: int) -> _PronounMatch:
    """How much of the premise around pronoun `index` the hypothesis repeats, and what it puts
    in the pronoun's place."""
    before, after = premise[:index], premise[index + 1 :]
    # The suffix of `before` matched, by matching prefixes of both lists reversed.
    before_size = _prefix_match(hypothesis[::-1], before[::-1])
    after_size = _prefix_match(hypothesis, after)
    score = before_size + after_size
    candidate = ""
    if score:
        before_match = before[len(before) - before_size :]
        after_match = after[:after_size]
        joined = " ".join(hypothesis)
        # T5 puts the words into the pattern unescaped; kept so candidates are the same.
        found = (
            re.search(" ".join([*before_match, "(.+)", *after_match]), joined)
            # The candidate opens the hypothesis ...
            or re.search(" ".join(["^(.+)", *after_match]), joined)
            # ... or closes it.
            or re.search(" ".join([*before_match, "(.+)$"]), joined)
        )
        if found:
            candidate = found.group(1)
    return _PronounMatch(score, index, candidate)


def _highlight(sentence: str, index: int) -> str:
    """`*word*` for word `index` (split on " "), trailing punctuation left outside."""
    words = sentence.split(" ")
    word = words[index]
    marked = f"*{word[:-1]}* {word[-1]}" if word[-1] in _END_PUNCTUATION else f"*{word}*"
    return " ".join([*words[:index], marked, *words[index + 1 :]])


def _candidate_text(candidate: str, hypothesis: str) -> str:
    """The candidate as written in the hypothesis: from its last article, no trailing
    punctuation, not possessive."""
    words = candidate.split(" ")
    start = max([words.index(a) for a in ("a", "an", "the") if a in words] or [0])
    words = words[start:]
    pattern = "({})".format(" ".join(rf"{re.escape(w)}(?:\.|,|\?|\!)?" for w in words))
    found = re.search(pattern, hypothesis, re.IGNORECASE)
    if not found:
        raise ValueError(f"WNLI: candidate {' '.join(words)!r} not in hypothesis {hypothesis!r}")
    text = found.group(1)
    if text and text[-1] in _END_PUNCTUATION:
        text = text[:-1]
    if text.endswith("'"):
        return text[:-1]
    if text.endswith("'s"):
        return text[:-2]
    return text


def wnli_simple_text(premise: str, hypothesis: str, label: str = "wsc:") -> tuple[str, str]:
    """(inputs, targets) of a WNLI pair as WSC simple: the premise's best-matching pronoun is
    highlighted, the target is what the hypothesis says in its place.

    `The fish ate the worm. It was tasty.` / `The worm was tasty.` ->
    (`wsc: The fish ate the worm. *It* was tasty.`, `The worm`).
    """
    premise_words, hypothesis_words = _clean_words(premise), _clean_words(hypothesis)
    matches = [
        _pronoun_match(premise_words, hypothesis_words, i)
        for i, w in enumerate(premise_words)
        if w in _PRONOUNS
    ]
    if not matches:
        raise ValueError(f"WNLI: no pronoun in premise {premise!r}")
    best = max(matches, key=lambda m: m.score)  # the first of equal scores, as T5
    targets = _candidate_text(best.candidate, hypothesis)
    return f"{label} {_highlight(premise, best.index)}", targets


def format_wnli_simple(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """GLUE WNLI as WSC simple (evaluation only: T5 checked the heuristics on dev and test)."""

    def to_text_py(premise, hypothesis):
        return wnli_simple_text(premise.numpy().decode("utf-8"), hypothesis.numpy().decode("utf-8"))

    def to_text(x):
        inputs, targets = tf.py_function(
            to_text_py, inp=[x["sentence1"], x["sentence2"]], Tout=[tf.string, tf.string]
        )
        return {
            "inputs": tf.reshape(inputs, []),
            "targets": tf.reshape(targets, []),
            "premise": x["sentence1"],
            "hypothesis": x["sentence2"],
            "label": x["label"],
            "idx": x["idx"],
        }

    return dataset.map(to_text, num_parallel_calls=_AUTOTUNE)


# --- postprocessors: fn(output_or_target, example=None, is_target=False) --------------------


def _as_text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _class_id(output: Any, example=None, is_target=False, *, label_classes, default) -> int:
    del example, is_target  # the text alone decides
    text = _as_text(output)
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
        return float(_as_text(output))
    except ValueError:
        return default


def _need_example(example, what: str):
    if example is None:
        raise ValueError(f"the {what} postprocessor needs example= (seqio's evaluation passes it)")
    return example


def multirc(output: Any, example=None, is_target: bool = False) -> dict[str, Any]:
    """`{"value": 0/1 (-1 if neither False nor True), "group": question id}`.

    The group comes from the example (always there for targets); metrics group by the targets'.
    """
    if is_target:
        _need_example(example, "multirc")
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
        example = _need_example(example, "record")
        value: Any = [_as_text(a) for a in example["answers"]]
    else:
        value = _as_text(output)
    result: dict[str, Any] = {"value": value}
    if example is not None:
        result["group"] = (int(example["idx/passage"]), int(example["idx/query"]))
    return result


_DETERMINERS = frozenset(
    {
        "a",
        "an",
        "few",
        "her",
        "his",
        "each",
        "every",
        "many",
        "much",
        "my",
        "our",
        "some",
        "that",
        "the",
        "their",
        "these",
        "this",
        "those",
        "which",
        "whose",
        "your",
    }
)


def _without_determiners(text: str) -> str:
    return " ".join(w for w in text.strip().lower().split(" ") if w not in _DETERMINERS)


def wsc_simple(output: Any, example=None, is_target: bool = False) -> int:
    """Targets: the example's label (is the candidate the referent?). Predictions: 1 if the
    prediction names the candidate (`targets_pretokenized`) — same words up to case and
    determiners, one a subset of the other, both or neither possessive — else 0; -1 if empty."""
    example = _need_example(example, "wsc_simple")
    if is_target:
        return int(example["label"])
    prediction = _without_determiners(_as_text(output))
    if not prediction:
        # An empty prediction must not match a 0 label by accident.
        return -1
    referent = _without_determiners(_as_text(example["targets_pretokenized"]))
    if ("'" in prediction) != ("'" in referent):
        # "Bob" does not name "Bob's hat".
        return 0
    said, meant = set(prediction.split(" ")), set(referent.split(" "))
    return int(said <= meant or meant <= said)


# --- the benchmarks ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Benchmark:
    config: str  # TFDS builder config
    label_classes: tuple[str, ...] | None  # None: STS-B's float score
    splits: tuple[str, ...]
    metric_fns: tuple[Callable, ...]
    prefix: str | None = None  # the name written in the inputs (default: config)
    feature_names: tuple[str, ...] | None = None  # default: sorted text features


_SPLITS = ("train", "validation", "test")
_MNLI = ("entailment", "neutral", "contradiction")
_NLI = ("entailment", "not_entailment")
_BOOL = ("False", "True")
_F1_ACC = (metrics.f1_score_with_invalid, metrics.accuracy)
_ACC = (metrics.accuracy,)

GLUE_BENCHMARKS = (
    _Benchmark("cola", ("unacceptable", "acceptable"), _SPLITS, (metrics.matthews_corrcoef,)),
    _Benchmark("sst2", ("negative", "positive"), _SPLITS, _ACC),
    _Benchmark("mrpc", ("not_equivalent", "equivalent"), _SPLITS, _F1_ACC),
    _Benchmark("qqp", ("not_duplicate", "duplicate"), _SPLITS, _F1_ACC),
    _Benchmark("stsb", None, _SPLITS, (metrics.pearson_corrcoef, metrics.spearman_corrcoef)),
    _Benchmark(
        "mnli",
        _MNLI,
        (
            "train",
            "validation_matched",
            "validation_mismatched",
            "test_matched",
            "test_mismatched",
        ),
        _ACC,
    ),
    _Benchmark("mnli_mismatched", _MNLI, ("validation", "test"), _ACC, prefix="mnli"),
    _Benchmark("mnli_matched", _MNLI, ("validation", "test"), _ACC, prefix="mnli"),
    _Benchmark("qnli", _NLI, _SPLITS, _ACC),
    _Benchmark("rte", _NLI, _SPLITS, _ACC),
    _Benchmark("wnli", ("not_entailment", "entailment"), _SPLITS, _ACC),
    # The diagnostic has only an unlabelled test set, read as MNLI.
    _Benchmark("ax", _MNLI, ("test",), (), prefix="mnli"),
)

SUPER_GLUE_BENCHMARKS = (
    _Benchmark("boolq", _BOOL, _SPLITS, _ACC),
    _Benchmark(
        "cb",
        ("entailment", "contradiction", "neutral"),
        _SPLITS,
        (metrics.mean_multiclass_f1(num_classes=3), metrics.accuracy),
    ),
    _Benchmark("copa", ("choice1", "choice2"), _SPLITS, _ACC),
    _Benchmark(
        "multirc",
        _BOOL,
        _SPLITS,
        (metrics.multirc_f1_over_all_answers, metrics.mean_group_metric(metrics.all_match)),
        feature_names=("question", "answer", "paragraph"),
    ),
    _Benchmark("record", None, _SPLITS, (metrics.deduplicate_metric(metrics.squad),)),
    _Benchmark("rte", _NLI, _SPLITS, _ACC),
    # The word's offsets in each sentence are not used.
    _Benchmark("wic", _BOOL, _SPLITS, _ACC, feature_names=("sentence1", "sentence2", "word")),
    _Benchmark("axb", _AXB_LABELS, ("test",), (), prefix="rte"),
    _Benchmark("axg", _NLI, ("test",), (), prefix="rte"),
)


def _format_preprocessor(benchmark: _Benchmark) -> Callable:
    if benchmark.config == "stsb":
        return format_stsb
    if benchmark.config == "record":
        return format_record
    if benchmark.config == "axb":
        return format_axb
    return functools.partial(
        format_glue,
        benchmark_name=benchmark.prefix or benchmark.config,
        label_names=benchmark.label_classes,
        feature_names=benchmark.feature_names,
    )


def _postprocessor(benchmark: _Benchmark) -> Callable:
    if benchmark.config == "stsb":
        return string_to_float
    if benchmark.config == "multirc":
        return multirc
    if benchmark.config == "record":
        return record
    return string_label_to_class_id(benchmark.label_classes)


# --- registration -----------------------------------------------------------------------------


class _Registrar:
    """Adds tasks in T5's chain, remembering their names so a failure can take them back."""

    def __init__(self, vocabulary: seqio.Vocabulary, tfds_data_dir: str | None):
        self.features = registry.output_features(vocabulary)
        self.tfds_data_dir = tfds_data_dir
        self.names: list[str] = []

    def add(
        self,
        name: str,
        tfds_name: str,
        splits: Iterable[str],
        preprocessor: Callable,
        postprocess_fn: Callable | None,
        metric_fns: Iterable[Callable],
    ) -> None:
        source = seqio.TfdsDataSource(
            tfds_name=tfds_name, tfds_data_dir=self.tfds_data_dir, splits=list(splits)
        )
        registry.add_task(
            name,
            source,
            [
                preprocessor,
                seqio.preprocessors.tokenize,
                seqio.CacheDatasetPlaceholder(),
                seqio.preprocessors.append_eos_after_trim,
            ],
            output_features=self.features,
            postprocess_fn=postprocess_fn,
            metric_fns=list(metric_fns),
        )
        self.names.append(name)

    def add_sentinel_twin(self, name: str) -> None:
        """`<extra_id_0>` after the inputs and before the targets (removed again before metrics)."""
        twin = sentinel_task_name(name)
        registry.check_name(twin)  # seqio would only say "duplicate provider"
        seqio.experimental.add_task_with_sentinels(name, num_sentinels=1)
        self.names.append(twin)


def _register(vocabulary, tfds_data_dir, add_all: Callable[[_Registrar], None]) -> list[str]:
    registrar = _Registrar(vocabulary, tfds_data_dir)
    try:
        add_all(registrar)
    except Exception:
        registry.unregister(*registrar.names)
        raise
    return registrar.names


def register_glue(vocabulary: seqio.Vocabulary, tfds_data_dir: str | None = None) -> list[str]:
    """Register `glue_<cfg>_v002` for every GLUE config and `glue_wnli_v002_simple_eval`."""

    def add_all(r: _Registrar) -> None:
        for b in GLUE_BENCHMARKS:
            r.add(
                f"glue_{b.config}_v002",
                f"glue/{b.config}:{GLUE_TFDS_VERSION}",
                b.splits,
                _format_preprocessor(b),
                _postprocessor(b),
                b.metric_fns,
            )
        r.add(
            "glue_wnli_v002_simple_eval",
            f"glue/wnli:{GLUE_TFDS_VERSION}",
            ("validation", "test"),
            format_wnli_simple,
            wsc_simple,
            _ACC,
        )

    return _register(vocabulary, tfds_data_dir, add_all)


def register_super_glue(
    vocabulary: seqio.Vocabulary, tfds_data_dir: str | None = None
) -> list[str]:
    """Register the SuperGLUE tasks (not WSC itself), `dpr_v001_simple`, the WSC simple
    train/eval tasks, and a `_1_sentinel` twin of each."""
    registry.require_extra_ids(vocabulary, 1, "the SuperGLUE _1_sentinel tasks")

    def add_all(r: _Registrar) -> None:
        for b in SUPER_GLUE_BENCHMARKS:
            name = f"super_glue_{b.config}_v102"
            r.add(
                name,
                f"super_glue/{b.config}:{SUPER_GLUE_TFDS_VERSION}",
                b.splits,
                _format_preprocessor(b),
                _postprocessor(b),
                b.metric_fns,
            )
            r.add_sentinel_twin(name)
        r.add(
            "dpr_v001_simple",
            f"definite_pronoun_resolution:{DPR_TFDS_VERSION}",
            ("train", "test"),
            format_dpr_simple,
            None,
            _ACC,
        )
        r.add_sentinel_twin("dpr_v001_simple")
        wsc = f"super_glue/wsc.fixed:{SUPER_GLUE_TFDS_VERSION}"
        r.add(
            "super_glue_wsc_v102_simple_train",
            wsc,
            ("train",),
            functools.partial(format_wsc_simple, correct_referent_only=True),
            None,
            (),
        )
        r.add_sentinel_twin("super_glue_wsc_v102_simple_train")
        r.add(
            "super_glue_wsc_v102_simple_eval",
            wsc,
            ("validation", "test"),
            functools.partial(format_wsc_simple, correct_referent_only=False),
            wsc_simple,
            _ACC,
        )
        r.add_sentinel_twin("super_glue_wsc_v102_simple_eval")

    return _register(vocabulary, tfds_data_dir, add_all)
