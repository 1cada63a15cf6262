"""T5's evaluation metrics with seqio's signature `fn(targets, predictions) -> {name: float}`.

Behaviour follows `t5/evaluation/metrics.py` and `t5/evaluation/qa_utils.py` (t5 0.9.4):

- scores are percentages (×100) wherever T5 multiplies by 100 — all of them here;
- `f1_score_with_invalid` turns a prediction outside {0, 1} into the opposite of its target
  (a postprocessor gives -1 for text that is not a label), so it always counts as wrong;
- `squad` normalises as the official SQuAD v1.1 script (lowercase, drop ASCII punctuation, drop
  the articles a/an/the, collapse whitespace) and takes the best answer per question;
- `bleu` is sacrebleu's `corpus_bleu` with T5's settings (intl tokenizer, exp smoothing with
  value 0.0, case kept, no effective order);
- `rouge` scores rouge1/rouge2/rougeLsum with rouge_score's default tokenizer and **no
  stemming** (T5 builds `RougeScorer(score_keys, tokenizer=None)`), writes `" . "` as `" .\\n"`
  so rougeLsum sees sentences, and reports the bootstrap "mid" F-measure. rouge_score's
  `BootstrapAggregator` draws from numpy's global RNG, so T5's number moves from run to run;
  here the same resampling (1,000 resamples with replacement, median of the means) runs on a
  seeded local generator, so one input always gives one score.

The grouped metrics (`mean_group_metric`, `deduplicate_metric`, `multirc_f1_over_all_answers`)
take targets and predictions that are dicts `{"group": id, "value": v}` (SuperGLUE MultiRC and
ReCoRD postprocessors produce them).
"""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sacrebleu
import scipy.stats
import sklearn.metrics
from rouge_score import rouge_scorer

MetricFn = Callable[[Sequence[Any], Sequence[Any]], dict[str, float]]

# rouge_score's BootstrapAggregator defaults: 1,000 resamples; "mid" is the 50th percentile.
_ROUGE_RESAMPLES = 1000
_ROUGE_KEYS = ("rouge1", "rouge2", "rougeLsum")


def accuracy(targets: Sequence[Any], predictions: Sequence[Any]) -> dict[str, float]:
    return {"accuracy": 100 * float(sklearn.metrics.accuracy_score(targets, predictions))}


def exact_match(targets: Sequence[Any], predictions: Sequence[Any]) -> dict[str, float]:
    """Share of predictions equal to their target (T5's `sequence_accuracy`, as seqio names it)."""
    _check_lengths(targets, predictions)
    same = [t == p for t, p in zip(targets, predictions, strict=True)]
    return {"exact_match": 100 * float(np.mean(same))}


def all_match(targets: Sequence[Any], predictions: Sequence[Any]) -> dict[str, float]:
    """100 if every prediction equals its target, else 0 (MultiRC's per-question score)."""
    return {"exact_match": 100 * float(np.array_equal(targets, predictions))}


def f1_score_with_invalid(targets: Sequence[int], predictions: Sequence[int]) -> dict[str, float]:
    """Binary F1 where a prediction outside {0, 1} is always wrong."""
    t = np.asarray(targets)
    # A copy: T5 writes into the predictions array, which may be the caller's.
    p = np.array(predictions)
    invalid = (p != 0) & (p != 1)
    # The opposite of the target makes the invalid prediction an error of the matching kind
    # (a false negative for target 1, a false positive for target 0).
    p[invalid] = 1 - t[invalid]
    return {"f1": 100 * float(sklearn.metrics.f1_score(t, p))}


def matthews_corrcoef(targets: Sequence[Any], predictions: Sequence[Any]) -> dict[str, float]:
    return {
        "matthews_corrcoef": 100 * float(sklearn.metrics.matthews_corrcoef(targets, predictions))
    }


def pearson_corrcoef(targets: Sequence[float], predictions: Sequence[float]) -> dict[str, float]:
    return {"pearson_corrcoef": 100 * float(scipy.stats.pearsonr(targets, predictions)[0])}


def spearman_corrcoef(targets: Sequence[float], predictions: Sequence[float]) -> dict[str, float]:
    return {"spearman_corrcoef": 100 * float(scipy.stats.spearmanr(targets, predictions)[0])}


def mean_multiclass_f1(num_classes: int) -> MetricFn:
    """Macro F1 over classes 0..num_classes-1 (labels outside that range only count as misses)."""

    def mean_class_f1(targets: Sequence[int], predictions: Sequence[int]) -> dict[str, float]:
        f1 = sklearn.metrics.f1_score(
            targets, predictions, labels=list(range(num_classes)), average="macro"
        )
        return {f"mean_{num_classes}class_f1": 100 * float(f1)}

    return mean_class_f1


# --- SQuAD ----------------------------------------------------------------------------------

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_squad(answer: str) -> str:
    """The official SQuAD v1.1 answer normalisation (order matters: punctuation before articles)."""
    text = answer.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def _token_f1(target: str, prediction: str) -> float:
    pred_tokens, target_tokens = prediction.split(), target.split()
    common = collections.Counter(pred_tokens) & collections.Counter(target_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(target_tokens)
    return 2 * precision * recall / (precision + recall)


def squad(targets: Sequence[Sequence[str] | str], predictions: Sequence[str]) -> dict[str, float]:
    """Exact match and token F1, each the best over a question's answers, averaged, ×100."""
    _check_lengths(targets, predictions)
    em, f1 = [], []
    for answers, prediction in zip(targets, predictions, strict=True):
        # A lone string is one answer (iterating it would give characters).
        answers = [answers] if isinstance(answers, str) else list(answers)
        if not answers:
            raise ValueError("squad: a target has no answers")
        refs = [normalize_squad(a) for a in answers]
        pred = normalize_squad(prediction)
        em.append(max(float(r == pred) for r in refs))
        f1.append(max(_token_f1(r, pred) for r in refs))
    return {"em": 100 * float(np.mean(em)), "f1": 100 * float(np.mean(f1))}


# --- generation -----------------------------------------------------------------------------


def bleu(targets: Sequence[str | Sequence[str]], predictions: Sequence[str]) -> dict[str, float]:
    """Corpus BLEU; a target is one reference string or a list of references."""
    _check_lengths(targets, predictions)
    if len(targets) and not isinstance(targets[0], str):
        # sacrebleu wants reference *streams* (one list per reference position); examples with
        # fewer references are padded with None, which sacrebleu skips.
        width = max(len(t) for t in targets)
        streams = [[t[i] if i < len(t) else None for t in targets] for i in range(width)]
    else:
        streams = [list(targets)]
    score = sacrebleu.corpus_bleu(
        list(predictions),
        streams,
        smooth_method="exp",
        smooth_value=0.0,
        force=False,
        lowercase=False,
        tokenize="intl",
        use_effective_order=False,
    )
    return {"bleu": float(score.score)}


def _sentences_per_line(summary: str) -> str:
    # rougeLsum splits summaries on newlines; T5's detokenised summaries separate sentences
    # with " . ", so each becomes a line (the period stays, the tokenizer drops it).
    return summary.replace(" . ", " .\n")


def _bootstrap_mid(values: np.ndarray, seed: int) -> float:
    """rouge_score's bootstrap "mid": the median over resamples of the resampled mean."""
    rng = np.random.default_rng(seed)
    n = len(values)
    means = values[rng.integers(0, n, size=(_ROUGE_RESAMPLES, n))].mean(axis=1)
    return float(np.percentile(means, 50))


def rouge(
    targets: Sequence[str],
    predictions: Sequence[str],
    *,
    score_keys: Sequence[str] = _ROUGE_KEYS,
    seed: int = 0,
) -> dict[str, float]:
    """ROUGE F-measures ×100: rouge1, rouge2, rougeLsum (bootstrap mid over examples)."""
    _check_lengths(targets, predictions)
    if not targets:
        raise ValueError("rouge: no examples to score")
    scorer = rouge_scorer.RougeScorer(list(score_keys), use_stemmer=False)
    fmeasures = collections.defaultdict(list)
    for target, prediction in zip(targets, predictions, strict=True):
        scores = scorer.score(
            target=_sentences_per_line(target), prediction=_sentences_per_line(prediction)
        )
        for key in score_keys:
            fmeasures[key].append(scores[key].fmeasure)
    return {
        key: 100 * _bootstrap_mid(np.asarray(fmeasures[key], dtype=np.float64), seed)
        for key in score_keys
    }


# --- grouped (SuperGLUE MultiRC, ReCoRD) ----------------------------------------------------


def multirc_f1_over_all_answers(
    targets: Sequence[Mapping[str, Any]], predictions: Sequence[Mapping[str, Any]]
) -> dict[str, float]:
    """`f1_score_with_invalid` over the "value" of every answer, ignoring the grouping."""
    return f1_score_with_invalid([t["value"] for t in targets], [p["value"] for p in predictions])


def mean_group_metric(
    metric_fn: MetricFn, group_key: str = "group", value_key: str = "value"
) -> MetricFn:
    """`metric_fn` on each group's values (groups come from the targets), then the plain mean."""

    def grouped_metric(
        targets: Sequence[Mapping[str, Any]], predictions: Sequence[Mapping[str, Any]]
    ) -> dict[str, float]:
        _check_lengths(targets, predictions)
        groups: dict[Any, tuple[list[Any], list[Any]]] = {}
        for target, prediction in zip(targets, predictions, strict=True):
            group_targets, group_predictions = groups.setdefault(target[group_key], ([], []))
            group_targets.append(target[value_key])
            group_predictions.append(prediction[value_key])
        scores = collections.defaultdict(list)
        for group_targets, group_predictions in groups.values():
            for name, value in metric_fn(group_targets, group_predictions).items():
                scores[name].append(value)
        return {name: float(np.mean(values)) for name, values in scores.items()}

    return grouped_metric


def deduplicate_metric(
    metric_fn: MetricFn, group_key: str = "group", value_key: str = "value"
) -> MetricFn:
    """`metric_fn` on the first example of each group only.

    ReCoRD repeats an input once per answer for training; at evaluation each question must count
    once (its target value already holds every answer).
    """

    def first_per_group(
        targets: Sequence[Mapping[str, Any]], predictions: Sequence[Mapping[str, Any]]
    ) -> dict[str, float]:
        _check_lengths(targets, predictions)
        seen = set()
        kept_targets, kept_predictions = [], []
        for target, prediction in zip(targets, predictions, strict=True):
            if target[group_key] in seen:
                continue
            seen.add(target[group_key])
            kept_targets.append(target[value_key])
            kept_predictions.append(prediction[value_key])
        return metric_fn(kept_targets, kept_predictions)

    return first_per_group


def _check_lengths(targets: Sequence[Any], predictions: Sequence[Any]) -> None:
    if len(targets) != len(predictions):
        raise ValueError(
            f"{len(targets)} targets but {len(predictions)} predictions: they must pair up"
        )
