"""The GLUE and SuperGLUE catalog (docs/TASKS.md §2.4): T5's names, weights, labels and metrics,
registration, and every task end to end (tokenize, cache placeholder, EOS) on TFDS's mock data:
random examples from the builders' own feature specs, or hand-written ones where the text must
make sense (WSC/WNLI) or where the exact output is asserted.
"""

from __future__ import annotations

import numpy as np
import pytest
import seqio
import tensorflow as tf
import tensorflow_datasets as tfds
from glue_testing import (
    EOS,
    GLUE_NAMES,
    LENGTHS,
    MITCHELL,
    RECORD,
    RECORD_INPUTS,
    SUPER_GLUE_NAMES,
    as_python,
)

from c4forge.tasks import glue, metrics, registry

# --- registration -----------------------------------------------------------------------------


def test_registers_t5_names(registered):
    assert registered == GLUE_NAMES + SUPER_GLUE_NAMES
    assert all(name in seqio.TaskRegistry.names() for name in registered)


def test_weights_name_registered_tasks(registered):
    assert set(glue.GLUE_WEIGHTS) == set(GLUE_NAMES) - {
        "glue_wnli_v002",
        "glue_wnli_v002_simple_eval",
    }
    assert set(glue.SUPER_GLUE_WEIGHTS) <= set(registered)
    assert set(glue.SUPER_GLUE_SENTINEL_WEIGHTS) <= set(registered)
    assert glue.GLUE_WEIGHTS["glue_mnli_v002"] == 392_702
    assert glue.SUPER_GLUE_WEIGHTS["dpr_v001_simple"] == 1_322
    assert glue.SUPER_GLUE_SENTINEL_WEIGHTS["super_glue_wsc_v102_simple_1_sentinel_train"] == 259


def test_label_classes_match_tfds(registered):
    """Each task's postprocessor gives a label name the class id TFDS stores for it."""
    for builder, prefix, version in [
        ("glue", "glue", "v002"),
        ("super_glue", "super_glue", "v102"),
    ]:
        for config in tfds.builder_cls(builder).builder_configs.values():
            name = f"{prefix}_{config.name}_{version}"
            if name not in registered or config.name in ("stsb", "multirc", "record"):
                continue
            postprocess = seqio.get_mixture_or_task(name).postprocess_fn
            for class_id, label in enumerate(config.label_classes):
                assert postprocess(label, example=None, is_target=False) == class_id, name


def test_metrics_as_t5(registered):
    def metric_fns(name):
        return seqio.get_mixture_or_task(name).metric_fns

    assert metric_fns("glue_cola_v002") == [metrics.matthews_corrcoef]
    assert metric_fns("glue_mrpc_v002") == [metrics.f1_score_with_invalid, metrics.accuracy]
    assert metric_fns("glue_stsb_v002") == [metrics.pearson_corrcoef, metrics.spearman_corrcoef]
    assert metric_fns("glue_ax_v002") == []
    assert metric_fns("super_glue_axb_v102") == []
    assert metric_fns("super_glue_wsc_v102_simple_train") == []
    (f1, accuracy) = metric_fns("super_glue_cb_v102")
    assert set(f1([0, 1, 2], [0, 1, 2])) == {"mean_3class_f1"}
    assert accuracy is metrics.accuracy


def test_registering_twice_is_refused(registered, vocab):
    with pytest.raises(registry.RegistrationError, match=r"glue_cola_v002.*already registered"):
        glue.register_glue(vocab)
    # The refused call took nothing away.
    assert all(name in seqio.TaskRegistry.names() for name in registered)


def test_a_failed_registration_removes_what_it_added(vocab):
    blocker = "super_glue_wsc_v102_simple_eval"
    registry.add_task(
        blocker,
        seqio.FunctionDataSource(lambda split, shuffle_files: None, splits=["test"]),
        [],
        output_features=registry.output_features(vocab),
    )
    try:
        with pytest.raises(registry.RegistrationError, match=blocker):
            glue.register_super_glue(vocab)
        assert not set(SUPER_GLUE_NAMES[:-2]) & set(seqio.TaskRegistry.names())
        assert blocker in seqio.TaskRegistry.names()  # not ours to remove
    finally:
        registry.unregister(blocker)


def test_sentinel_tasks_need_extra_ids():
    with pytest.raises(registry.RegistrationError, match="extra ids"):
        glue.register_super_glue(seqio.ByteVocabulary(extra_ids=0))


def test_sources_read_the_given_data_dir_lazily(vocab, tmp_path):
    # Registration touches no files: a data dir that does not exist is fine until data is read.
    data_dir = str(tmp_path / "absent")
    names = glue.register_glue(vocab, tfds_data_dir=data_dir)
    try:
        source = seqio.get_mixture_or_task("glue_mnli_v002").source
        assert source.tfds_dataset.name == "glue/mnli:2.0.0"
        assert source.tfds_dataset.data_dir == data_dir
        assert list(source.splits) == [
            "train",
            "validation_matched",
            "validation_mismatched",
            "test_matched",
            "test_mismatched",
        ]
    finally:
        registry.unregister(*names)


def test_sentinel_task_name():
    assert glue.sentinel_task_name("super_glue_cb_v102") == "super_glue_cb_v102_1_sentinel"
    assert (
        glue.sentinel_task_name("super_glue_wsc_v102_simple_eval")
        == "super_glue_wsc_v102_simple_1_sentinel_eval"
    )


# --- end to end on TFDS mock data ---------------------------------------------------------------

# Tasks whose heuristics need real sentences run on HAND_DATA instead of random text.
NEEDS_TEXT = ("wsc", "wnli_v002_simple")

# Hand-written examples, by "builder/config", typed by the builder's own feature specs.
HAND_DATA = {
    "glue/cola": [{"sentence": "The book was read.", "label": 1, "idx": 0}],
    "glue/wnli": [
        {
            "sentence1": "The fish ate the worm. It was tasty.",
            "sentence2": "The worm was tasty.",
            "label": 1,
            "idx": 0,
        }
    ],
    "super_glue/boolq": [{"question": "is it?", "passage": "It is.", "label": 1, "idx": 0}],
    "super_glue/record": [RECORD],
    "super_glue/wsc.fixed": [
        {**MITCHELL, "span1_text": "Mitchell", "span1_index": 0, "label": 0, "idx": 0},
        {**MITCHELL, "idx": 1},
    ],
}


def _hand_as_dataset(self, split, **kwargs):
    del split, kwargs
    examples = HAND_DATA[f"{self.name}/{self.builder_config.name}"]
    spec = self.info.features.get_tensor_spec()
    return tf.data.Dataset.from_generator(lambda: iter(examples), output_signature=spec)


def _run(name, split):
    task = seqio.get_mixture_or_task(name)
    # Mocked TFDS has no split sizes, which seqio's in-memory cache decision reads.
    ds = task.get_dataset(LENGTHS, split=split, shuffle=False, try_in_mem_cache=False)
    return [{k: as_python(v) for k, v in ex.items()} for ex in ds.as_numpy_iterator()]


def _check_tokens(name, examples, vocab):
    sentinel = vocab.vocab_size - 1  # <extra_id_0>
    for ex in examples:
        for key in ("inputs", "targets"):
            tokens = ex[key]
            assert tokens.dtype == np.int32
            assert 1 < len(tokens) <= LENGTHS[key]
            assert tokens[-1] == EOS
        if "_1_sentinel" in name:
            assert ex["inputs"][-2] == sentinel
            assert ex["targets"][0] == sentinel


# What every task's inputs start with, by hand from its format.
INPUT_PREFIXES = {
    "glue_cola_v002": "cola sentence: ",
    "glue_sst2_v002": "sst2 sentence: ",
    "glue_mrpc_v002": "mrpc sentence1: ",
    "glue_qqp_v002": "qqp question1: ",
    "glue_stsb_v002": "stsb sentence1: ",
    "glue_mnli_v002": "mnli hypothesis: ",
    "glue_mnli_mismatched_v002": "mnli hypothesis: ",
    "glue_mnli_matched_v002": "mnli hypothesis: ",
    "glue_qnli_v002": "qnli question: ",
    "glue_rte_v002": "rte sentence1: ",
    "glue_wnli_v002": "wnli sentence1: ",
    "glue_ax_v002": "mnli hypothesis: ",
    "super_glue_boolq_v102": "boolq passage: ",
    "super_glue_cb_v102": "cb hypothesis: ",
    "super_glue_copa_v102": "copa choice1: ",
    "super_glue_multirc_v102": "multirc question: ",
    "super_glue_record_v102": "record query: ",
    "super_glue_rte_v102": "rte hypothesis: ",
    "super_glue_wic_v102": "wic sentence1: ",
    "super_glue_axb_v102": "rte hypothesis: ",
    "super_glue_axg_v102": "rte hypothesis: ",
    "dpr_v001_simple": "wsc: ",
    "super_glue_wsc_v102_simple_train": "wsc: Mitchell asked Tom if *he* ",
    "super_glue_wsc_v102_simple_eval": "wsc: Mitchell asked Tom if *he* ",
    "glue_wnli_v002_simple_eval": "wsc: The fish ate the worm. *It* ",
}


@pytest.mark.parametrize("name", GLUE_NAMES + SUPER_GLUE_NAMES)
def test_task_runs_end_to_end_on_mock_data(registered, vocab, name):
    task = seqio.get_mixture_or_task(name)
    # Mocked TFDS serves the same examples for every split name: one split is enough.
    split = task.splits[0]
    if any(k in name for k in NEEDS_TEXT):
        mock = tfds.testing.mock_data(
            policy=tfds.testing.MockPolicy.USE_CODE, as_dataset_fn=_hand_as_dataset
        )
    else:
        mock = tfds.testing.mock_data(policy=tfds.testing.MockPolicy.USE_CODE, num_examples=2)
    with mock:
        examples = _run(name, split)
    assert examples
    _check_tokens(name, examples, vocab)
    prefix = INPUT_PREFIXES[name.replace("_1_sentinel", "")]
    assert all(ex["inputs_pretokenized"].startswith(prefix) for ex in examples)


def test_tasks_end_to_end_on_hand_data(registered, vocab):
    with tfds.testing.mock_data(
        policy=tfds.testing.MockPolicy.USE_CODE, as_dataset_fn=_hand_as_dataset
    ):

        def texts(name, split):
            return [
                (ex["inputs_pretokenized"], ex["targets_pretokenized"]) for ex in _run(name, split)
            ]

        mitchell = "wsc: Mitchell asked Tom if *he* could lend some money."
        assert texts("super_glue_wsc_v102_simple_train", "train") == [(mitchell, "Tom")]
        assert texts("super_glue_wsc_v102_simple_eval", "validation") == [
            (mitchell, "Mitchell"),
            (mitchell, "Tom"),
        ]
        assert texts("glue_wnli_v002_simple_eval", "test") == [
            ("wsc: The fish ate the worm. *It* was tasty.", "The worm")
        ]
        assert texts("glue_cola_v002", "validation") == [
            ("cola sentence: The book was read.", "acceptable")
        ]
        assert texts("super_glue_record_v102", "train") == [
            (RECORD_INPUTS, "penguin"),
            (RECORD_INPUTS, "pigeon"),
        ]

        # The sentinel twin: <extra_id_0> ends the inputs and opens the targets, and is
        # removed again before the label is read.
        twin = seqio.get_mixture_or_task("super_glue_boolq_v102_1_sentinel")
        (ex,) = _run(twin.name, "validation")
        assert ex["inputs_pretokenized"] == "boolq passage: It is. question: is it?"
        assert vocab.decode(ex["targets"].tolist()) == "<extra_id_0> True"
        assert twin.postprocess_fn("<extra_id_0> True", example=ex, is_target=False) == 1
