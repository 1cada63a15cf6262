"""seqio Evaluator wiring: tiny in-memory tasks scored by oracle and wrong predict_fns."""

from __future__ import annotations

import numpy as np
import pytest
import seqio
import tensorflow as tf

from c4forge.tasks import evaluation, generation, metrics, registry

TARGETS = ["yes", "no", "maybe", "yes", "no", "never", "yes", "no", "maybe", "no"]
INPUTS = [f"question {i}: is it so" for i in range(len(TARGETS))]


def _source(rows: dict) -> seqio.FunctionDataSource:
    def dataset_fn(split, shuffle_files, seed=None):
        del split, shuffle_files, seed
        return tf.data.Dataset.from_tensor_slices(rows)

    return seqio.FunctionDataSource(dataset_fn, splits=["validation"])


_CHAIN = [
    seqio.preprocessors.tokenize,
    seqio.CacheDatasetPlaceholder(),
    seqio.preprocessors.append_eos_after_trim,
]


@pytest.fixture(scope="module")
def tiny_task(vocab):
    name = "test_evaluation_tiny"
    registry.add_task(
        name,
        _source({"inputs": INPUTS, "targets": TARGETS}),
        _CHAIN,
        output_features=registry.output_features(vocab),
        metric_fns=[metrics.accuracy],
    )
    yield name
    registry.unregister(name)


@pytest.fixture(scope="module")
def qa_task(vocab):
    """Targets are scored through `generation.qa`, which reads all answers from the example."""
    name = "test_evaluation_qa"

    def with_answers(ds):
        return ds.map(lambda x: {**x, "targets": x["answers"][0]})

    registry.add_task(
        name,
        _source(
            {
                "inputs": ["who sat", "who ran"],
                "answers": [["the cat", "a cat"], ["the dog", "dog"]],
            }
        ),
        [with_answers, *_CHAIN],
        output_features=registry.output_features(vocab),
        postprocess_fn=generation.qa,
        metric_fns=[metrics.squad],
    )
    yield name
    registry.unregister(name)


def oracle(batch):
    # The target ids are in the batch: decoder_target_tokens (EOS, then PAD 0).
    return batch["decoder_target_tokens"]


def test_oracle_scores_100(tiny_task):
    assert evaluation.evaluate(tiny_task, oracle) == {tiny_task: {"accuracy": 100.0}}


def test_wrong_predictions_score_0(tiny_task, vocab):
    wrong = [*vocab.encode("certainly not"), 1]

    def predict(batch):
        return [wrong] * len(batch["encoder_input_tokens"])

    assert evaluation.evaluate(tiny_task, predict) == {tiny_task: {"accuracy": 0.0}}


def test_order_is_kept_and_ragged_outputs_are_fine(tiny_task, vocab):
    # Answer "yes" for every example whose target is "yes", something else otherwise; the
    # outputs differ in length (no EOS on some). 3 of 10 targets are "yes" -> 7 misses.
    yes = vocab.encode("yes")

    def predict(batch):
        out = []
        for row in batch["decoder_target_tokens"]:
            out.append([*yes, 1] if list(row[: len(yes)]) == yes else vocab.encode("nope nope"))
        return out

    assert evaluation.evaluate(tiny_task, predict) == {tiny_task: {"accuracy": 30.0}}


def test_batches_have_a_fixed_size(tiny_task):
    seen = []

    def predict(batch):
        seen.append({k: v.shape for k, v in batch.items()})
        return batch["decoder_target_tokens"]

    result = evaluation.evaluate(tiny_task, predict, batch_size=4)
    assert result == {tiny_task: {"accuracy": 100.0}}
    # 10 examples in batches of 4: 4 + 4 + 2 padded to 4.
    assert len(seen) == 3
    assert {shapes["encoder_input_tokens"][0] for shapes in seen} == {4}
    assert set(seen[0]) == {
        "encoder_input_tokens",
        "decoder_input_tokens",
        "decoder_target_tokens",
        "decoder_loss_weights",
    }


def test_feature_lengths_and_num_examples(tiny_task):
    seen = []

    def predict(batch):
        seen.append(batch)
        return batch["decoder_target_tokens"]

    result = evaluation.evaluate(
        tiny_task, predict, feature_lengths={"inputs": 3, "targets": 5}, num_examples=3
    )
    assert result == {tiny_task: {"accuracy": 100.0}}
    (batch,) = seen
    assert batch["encoder_input_tokens"].shape == (8, 3)
    assert batch["decoder_target_tokens"].shape == (8, 5)
    # Only 3 real rows; the padding rows are all zero.
    assert not batch["decoder_target_tokens"][3:].any()
    assert batch["decoder_target_tokens"][:3].any(axis=1).all()


def test_postprocessor_gets_the_example(qa_task, vocab):
    # Oracle: the first answer; EM 100. Then "cat" for both: matches "a cat" (-> "cat"), misses
    # the dog: EM 50; F1: 1 and 0 -> 50.
    assert evaluation.evaluate(qa_task, oracle) == {qa_task: {"em": 100.0, "f1": 100.0}}
    cat = [*vocab.encode("cat"), 1]
    result = evaluation.evaluate(qa_task, lambda batch: [cat] * len(batch["encoder_input_tokens"]))
    assert result == {qa_task: {"em": 50.0, "f1": 50.0}}


def test_wrong_number_of_outputs_is_one_clear_error(tiny_task):
    with pytest.raises(ValueError, match="predict_fn returned 1 sequences for a batch of 8"):
        evaluation.evaluate(tiny_task, lambda batch: [[1]])


def test_unknown_task_and_missing_split(tiny_task):
    with pytest.raises(ValueError, match="unknown task or mixture 'no_such_task'"):
        evaluation.evaluate("no_such_task", oracle)
    with pytest.raises(ValueError, match="no task with a 'test' split"):
        evaluation.evaluate(tiny_task, oracle, split="test")


def test_batch_predictions_adapter_alone():
    # seqio's contract on its own: an enumerated dataset in, (index, ids) out, padded with 0.
    ds = tf.data.Dataset.from_tensor_slices({"decoder_target_tokens": np.arange(6).reshape(3, 2)})
    outputs = {0: [5], 2: [7, 7, 7]}

    def predict(batch):
        return [outputs.get(int(row[0]) // 2, [9]) for row in batch["decoder_target_tokens"]]

    adapted = evaluation.batch_predictions(predict, batch_size=2)
    assert adapted(ds.enumerate()) == [(0, [5, 0, 0]), (1, [9, 0, 0]), (2, [7, 7, 7])]
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        evaluation.batch_predictions(predict, batch_size=0)
