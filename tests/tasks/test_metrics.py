"""T5's metrics: every expected value is worked out by hand in the comment beside it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from c4forge.tasks import metrics


def test_accuracy():
    # 3 of 4 right.
    assert metrics.accuracy([0, 1, 1, 0], [0, 1, 0, 0]) == {"accuracy": 75.0}


def test_exact_match_on_strings():
    assert metrics.exact_match(["a b", "c", "d"], ["a b", "c ", "d"]) == pytest.approx(
        {"exact_match": 200 / 3}
    )


def test_all_match():
    assert metrics.all_match([1, 0, 1], [1, 0, 1]) == {"exact_match": 100.0}
    assert metrics.all_match([1, 0, 1], [1, 1, 1]) == {"exact_match": 0.0}


def test_f1_counts_invalid_predictions_as_wrong():
    # Index 2: target 1, prediction 2 -> becomes 0, a false negative.
    # Index 3: target 0, prediction -1 -> becomes 1, a false positive.
    # TP 1, FP 1, FN 1: F1 = 2TP / (2TP + FP + FN) = 2/4.
    predictions = np.array([1, 0, 2, -1])
    assert metrics.f1_score_with_invalid([1, 0, 1, 0], predictions) == {"f1": 50.0}
    # The caller's array is left alone (T5 writes into it).
    assert predictions.tolist() == [1, 0, 2, -1]


def test_f1_all_valid():
    # TP 2 (idx 0, 1), FP 1 (idx 3), FN 0: F1 = 4/5.
    assert metrics.f1_score_with_invalid([1, 1, 0, 0], [1, 1, 0, 1]) == pytest.approx({"f1": 80.0})


def test_matthews_corrcoef_on_a_2x2_table():
    # TP 3 (0, 1, 7), FN 1 (2), TN 3 (3, 4, 6), FP 1 (5):
    # MCC = (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (9 − 1) / sqrt(4⁴) = 0.5.
    targets = [1, 1, 1, 0, 0, 0, 0, 1]
    predictions = [1, 1, 0, 0, 0, 1, 0, 1]
    assert metrics.matthews_corrcoef(targets, predictions) == pytest.approx(
        {"matthews_corrcoef": 50.0}
    )


def test_pearson_on_three_points():
    # x − x̄ = (−1, 0, 1); y − ȳ = (−4/3, −1/3, 5/3); Σ dx·dy = 3; Σ dx² = 2; Σ dy² = 42/9.
    # r = 3 / sqrt(2 · 42/9) = 9 / sqrt(84).
    result = metrics.pearson_corrcoef([1, 2, 3], [1, 2, 4])
    assert result == pytest.approx({"pearson_corrcoef": 100 * 9 / math.sqrt(84)})


def test_spearman_on_four_points():
    # Rank differences (0, 1, 1, 0): rho = 1 − 6·2 / (4·(16 − 1)) = 0.8.
    result = metrics.spearman_corrcoef([1, 2, 3, 4], [1, 3, 2, 4])
    assert result == pytest.approx({"spearman_corrcoef": 80.0})


def test_mean_multiclass_f1_is_macro():
    # class 0: TP 1, FN 1 -> 2/3; class 1: TP 0 -> 0; class 2: TP 1, FP 1 -> 2/3. Mean 4/9.
    fn = metrics.mean_multiclass_f1(3)
    assert fn([0, 1, 2, 0], [0, 2, 2, 1]) == pytest.approx({"mean_3class_f1": 400 / 9})


def test_mean_multiclass_f1_invalid_label_is_a_miss():
    # Prediction -1 is no class: class 0 has TP 1, FN 1 -> 2/3; class 1 TP 1 -> 1. Mean 5/6.
    fn = metrics.mean_multiclass_f1(2)
    assert fn([0, 0, 1], [0, -1, 1]) == pytest.approx({"mean_2class_f1": 250 / 3})


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("The Cat!", "cat"),
        ("  an   apple, a pear ", "apple pear"),
        ("Theatre", "theatre"),  # articles only as whole words
        ("U.S.A.", "usa"),
        ("the-the", "thethe"),  # punctuation goes first, so the hyphen joins the words
        ("A", ""),
    ],
)
def test_normalize_squad(raw, normalized):
    assert metrics.normalize_squad(raw) == normalized


def test_squad_best_answer_em_and_f1():
    # 1: "Dog!" -> "dog" equals "a dog" -> "dog": EM 1, F1 1.
    # 2: "big red cat" vs "red cat sat": 2 common, P = R = 2/3, F1 2/3; EM 0.
    targets = [["The cat", "a dog"], ["the big red cat"]]
    predictions = ["Dog!", "red cat sat"]
    assert metrics.squad(targets, predictions) == pytest.approx({"em": 50.0, "f1": 250 / 3})


def test_squad_takes_f1_and_em_maxima_separately():
    # Answers "red cat" (F1 with "red cat sat": P 2/3, R 1 -> 0.8) and "sat" (P 1/3, R 1 -> 0.5).
    assert metrics.squad([["red cat", "sat"]], ["red cat sat"]) == pytest.approx(
        {"em": 0.0, "f1": 80.0}
    )


def test_squad_length_mismatch_is_one_clear_error():
    with pytest.raises(ValueError, match="2 targets but 1 predictions"):
        metrics.squad([["a"], ["b"]], ["a"])


def test_bleu_one_substitution():
    # Unigram 4/5, bigram 3/4, trigram 2/3, 4-gram 1/2; equal lengths so BP = 1.
    # BLEU = (4/5 · 3/4 · 2/3 · 1/2)^(1/4) = 0.2^(1/4).
    result = metrics.bleu(["a b c d f"], ["a b c d e"])
    assert result == pytest.approx({"bleu": 100 * 0.2**0.25})


def test_bleu_brevity_penalty():
    # All n-grams match; hypothesis 5 tokens, reference 7: BP = exp(1 − 7/5).
    result = metrics.bleu(["a b c d e f g"], ["a b c d e"])
    assert result == pytest.approx({"bleu": 100 * math.exp(-0.4)})


def test_bleu_multiple_references_clip_against_the_best():
    # Every n-gram of "a b c d e" is in one of the two references: 5/5, 4/4, 3/3, 2/2 -> 100.
    result = metrics.bleu([["a b c d f", "x b c d e"]], ["a b c d e"])
    assert result == pytest.approx({"bleu": 100.0})


def test_bleu_is_corpus_level_not_a_mean():
    # Counts add over sentences: 1-grams 5/6 (4+1 of 5+1), 2-grams 3/4 (3+0 of 4+0),
    # 3-grams 2/3, 4-grams 1/2; lengths 6 vs 6 so BP = 1.
    # BLEU = (5/6 · 3/4 · 2/3 · 1/2)^(1/4) = (5/24)^(1/4); the mean of sentence BLEUs differs.
    result = metrics.bleu(["a b c d f", "g"], ["a b c d e", "g"])
    assert result == pytest.approx({"bleu": 100 * (5 / 24) ** 0.25})


def test_bleu_keeps_case():
    # lowercase=False: "A" is not "a", so 4 of 5 unigrams, 3/4, 2/3, 1/2 as above.
    assert metrics.bleu(["a b c d e"], ["b c d e A"])["bleu"] < 100


def test_rouge_on_one_pair():
    # Reference: the cat sat on the mat (6 tokens); prediction: the cat sat (3).
    # rouge1: 3 common, P 1, R 1/2 -> F 2/3. rouge2: 2 of the reference's 5 bigrams,
    # P 1, R 2/5 -> F 4/7. rougeLsum (one sentence): LCS 3 -> 2/3.
    result = metrics.rouge(["the cat sat on the mat"], ["the cat sat"])
    assert result == pytest.approx({"rouge1": 200 / 3, "rouge2": 400 / 7, "rougeLsum": 200 / 3})


def test_rouge_lsum_sees_sentences_split_at_space_period_space():
    # " . " becomes a line break, so rougeLsum matches sentence by sentence: both
    # reference sentences are found whole -> 100. (As one sentence the LCS would be 2 of 4.)
    # rouge2 over the whole text: bigrams {one two, two three, three four} vs
    # {three four, four one, one two}: 2 common, P = R = 2/3.
    result = metrics.rouge(["one two . three four"], ["three four . one two"])
    assert result == pytest.approx({"rouge1": 100.0, "rouge2": 200 / 3, "rougeLsum": 100.0})


def test_rouge_does_not_stem():
    # T5 builds its scorer without a stemmer: "cats" and "cat" differ -> rouge1 = 1/2.
    assert metrics.rouge(["cats sat"], ["cat sat"])["rouge1"] == pytest.approx(50.0)


def test_rouge_mid_of_two_examples_is_their_mean():
    # Resampled means of two scores a, b are a, (a+b)/2 or b with odds 1/4, 1/2, 1/4; the median
    # of 1,000 of them is (a+b)/2. rouge1: example 1 scores 100, example 2 scores 0.
    result = metrics.rouge(["a b", "c d"], ["a b", "x y"])
    assert result["rouge1"] == pytest.approx(50.0)
    assert result == metrics.rouge(["a b", "c d"], ["a b", "x y"])  # seeded: same input, same score


def test_multirc_f1_over_all_answers():
    # Values 1, 0, 1 vs 1, 1, 0: TP 1, FP 1, FN 1 -> F1 1/2.
    targets = [{"group": 0, "value": 1}, {"group": 0, "value": 0}, {"group": 1, "value": 1}]
    predictions = [{"group": 0, "value": 1}, {"group": 0, "value": 1}, {"group": 1, "value": 0}]
    assert metrics.multirc_f1_over_all_answers(targets, predictions) == {"f1": 50.0}


def test_mean_group_metric_averages_per_group():
    # Group 0 all right (100), group 1 one wrong (0), group 2 right (100): mean 200/3.
    targets = [
        {"group": 0, "value": 1},
        {"group": 0, "value": 0},
        {"group": 1, "value": 1},
        {"group": 1, "value": 1},
        {"group": 2, "value": 0},
    ]
    predictions = [{"value": 1}, {"value": 0}, {"value": 1}, {"value": 0}, {"value": 0}]
    fn = metrics.mean_group_metric(metrics.all_match)
    assert fn(targets, predictions) == pytest.approx({"exact_match": 200 / 3})


def test_mean_group_metric_custom_keys():
    # Groups "q1" (1 of 2 right: 50) and "q2" (1 of 1: 100): mean 75.
    targets = [{"q": "q1", "v": 1}, {"q": "q1", "v": 0}, {"q": "q2", "v": 1}]
    predictions = [{"v": 1}, {"v": 1}, {"v": 1}]
    fn = metrics.mean_group_metric(metrics.accuracy, group_key="q", value_key="v")
    assert fn(targets, predictions) == pytest.approx({"accuracy": 75.0})


def test_deduplicate_metric_keeps_the_first_of_each_group():
    # Group 1's second copy (a miss) is dropped; group 1 hits, group 2 misses: EM 50.
    targets = [
        {"group": 1, "value": ["a", "b"]},
        {"group": 1, "value": ["a", "b"]},
        {"group": 2, "value": ["c"]},
    ]
    predictions = [{"value": "b"}, {"value": "x"}, {"value": "d"}]
    fn = metrics.deduplicate_metric(metrics.squad)
    assert fn(targets, predictions) == pytest.approx({"em": 50.0, "f1": 50.0})


def test_metric_signatures_fit_seqio():
    # seqio dispatches on the names of required positional parameters.
    import seqio

    for fn in [
        metrics.accuracy,
        metrics.squad,
        metrics.bleu,
        metrics.rouge,
        metrics.mean_multiclass_f1(3),
        metrics.mean_group_metric(metrics.all_match),
        metrics.deduplicate_metric(metrics.squad),
    ]:
        metric = seqio.metrics.PassthroughLegacyMetric.from_metric_fn(fn)
        assert metric.model_output_type == seqio.metrics.ModelOutputType.PREDICTION
