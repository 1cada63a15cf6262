"""Coreference as span prediction, T5's "simple" WSC, DPR and WNLI tasks.

Reference: T5 0.9.4 `t5/data/preprocessors.py` (`wsc_simple`,
`definite_pronoun_resolution_simple`, `wnli_simple`) and `t5/data/postprocessors.py`
(`wsc_simple`); docs/TASKS.md §2.4. The pronoun is highlighted in the text and the target is
the noun phrase it refers to:

    `wsc: Mitchell asked Tom if *he* could lend some money.` -> `Tom`

SuperGLUE WSC and DPR are trained this way; GLUE WNLI is rewritten into the same form for
evaluation only (`wnli_simple_text`: T5's heuristics, which find the premise's pronoun that the
hypothesis replaces). The `wsc_simple` postprocessor scores a prediction by whether it names
the candidate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

import seqio
import tensorflow as tf

from c4forge.tasks.glue_formats import as_text, need_example

_AUTOTUNE = tf.data.AUTOTUNE


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


# --- postprocessor ---------------------------------------------------------------------------


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
    example = need_example(example, "wsc_simple")
    if is_target:
        return int(example["label"])
    prediction = _without_determiners(as_text(output))
    if not prediction:
        # An empty prediction must not match a 0 label by accident.
        return -1
    referent = _without_determiners(as_text(example["targets_pretokenized"]))
    if ("'" in prediction) != ("'" in referent):
        # "Bob" does not name "Bob's hat".
        return 0
    said, meant = set(prediction.split(" ")), set(referent.split(" "))
    return int(said <= meant or meant <= said)
