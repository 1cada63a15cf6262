"""`<task>_clean` catalog variants (tasks.clean_variants) on TFDS mock data: the evaluation
splits lose exactly the examples a contamination report lists, by `idx` or by position; the
rest of the task is the base task's."""

from __future__ import annotations

import json

import pytest
import seqio
import tensorflow_datasets as tfds

from c4forge.tasks import clean_variants, glue, registry

from eval_testing import HAND, hand_as_dataset

REPORT = {
    "tasks": {
        "glue_rte_v002": {"contaminated": {"validation:7": 2}},
        "super_glue_record_v102": {"contaminated": {"test:1": 1}},
        "my_file_task": {"contaminated": {"x:1": 1}},  # not a registered task: left out
    }
}
LENGTHS = {"inputs": 512, "targets": 128}


@pytest.fixture(scope="module")
def catalog():
    vocab = seqio.ByteVocabulary(extra_ids=100)
    names = glue.register_glue(vocab) + glue.register_super_glue(vocab)
    yield names
    registry.unregister(*names)


@pytest.fixture
def clean(catalog):
    with tfds.testing.mock_data(
        policy=tfds.testing.MockPolicy.USE_CODE, as_dataset_fn=hand_as_dataset
    ):
        names = clean_variants.register_clean_tasks(REPORT)
        yield names
        registry.unregister(*names)


def _raw(name, split, key):
    source = seqio.TaskRegistry.get(name).source
    return [ex[key] for ex in source.get_dataset(split=split, shuffle=False).as_numpy_iterator()]


def test_registers_the_reports_registered_tasks(clean):
    assert clean == ["glue_rte_v002_clean", "super_glue_record_v102_clean"]


def test_found_examples_leave_their_split_by_idx(clean):
    assert _raw("glue_rte_v002", "validation", "idx") == [41, 7]
    assert _raw("glue_rte_v002_clean", "validation", "idx") == [41]
    assert _raw("glue_rte_v002_clean", "test", "idx") == [41, 7]  # nothing found in test
    assert _raw("glue_rte_v002_clean", "train", "idx") == [41, 7]


def test_found_examples_leave_their_split_by_position(clean):
    first, _ = HAND["super_glue/record"]
    passages = _raw("super_glue_record_v102_clean", "test", "passage")
    assert [p.decode("utf-8") for p in passages] == [first["passage"]]
    assert len(_raw("super_glue_record_v102_clean", "validation", "passage")) == 2


def test_a_clean_task_formats_and_scores_as_its_base(clean):
    base = seqio.TaskRegistry.get("glue_rte_v002")
    task = seqio.TaskRegistry.get("glue_rte_v002_clean")
    assert task.metric_fns == base.metric_fns
    assert task.postprocessor is base.postprocessor
    assert task.output_features == base.output_features

    def inputs(t):
        ds = t.get_dataset(LENGTHS, split="validation", shuffle=False, try_in_mem_cache=False)
        return [ex["inputs_pretokenized"] for ex in ds.as_numpy_iterator()]

    assert inputs(task) == inputs(base)[:1]  # the example with idx 41 only


def test_named_tasks_must_be_in_the_report(catalog):
    with pytest.raises(registry.RegistrationError, match="'glue_cola_v002' is not in the"):
        clean_variants.register_clean_tasks(REPORT, tasks=["glue_rte_v002", "glue_cola_v002"])
    assert "glue_rte_v002_clean" not in seqio.TaskRegistry.names()  # nothing left behind


def test_a_report_file(catalog, tmp_path):
    path = tmp_path / "contamination.json"
    path.write_text(json.dumps(REPORT), encoding="utf-8")
    names = clean_variants.register_clean_tasks(str(path), tasks=["glue_rte_v002"])
    try:
        assert names == ["glue_rte_v002_clean"]
        with pytest.raises(registry.RegistrationError, match="already registered"):
            clean_variants.register_clean_tasks(str(path), tasks=["glue_rte_v002"])
    finally:
        registry.unregister(*names)
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match=r'contamination report .*: no "tasks" in it'):
        clean_variants.register_clean_tasks(str(path))
