"""Eval texts for decontamination (tasks.eval_texts): resolving task names, mixtures and regexes;
evaluation splits; every string of every raw example with its id, on TFDS mock data; the JSON
lines file and its one-line errors; and the catalog's texts found in real pages."""

from __future__ import annotations

import json
import random

import pytest
import seqio
import tensorflow_datasets as tfds

from c4forge.corpus.decontamination import DecontaminationConfig, build_index, find_contamination
from c4forge.tasks import eval_texts, glue, registry

from decontam_testing import insert_lines, perturb, sources_and_hosts
from eval_testing import HAND, LONG, SHORT, hand_as_dataset


@pytest.fixture(scope="module")
def catalog():
    """GLUE and SuperGLUE (a byte vocabulary: no model file needed) and one mixture."""
    vocab = seqio.ByteVocabulary(extra_ids=100)
    names = glue.register_glue(vocab) + glue.register_super_glue(vocab)
    registry.add_mixture("rte_and_cb", [("glue_rte_v002", 1.0), ("super_glue_cb_v102", 1.0)])
    yield names
    registry.unregister(*names, "rte_and_cb")


@pytest.fixture
def hand_data():
    with tfds.testing.mock_data(
        policy=tfds.testing.MockPolicy.USE_CODE, as_dataset_fn=hand_as_dataset
    ):
        yield


# --- which tasks ---------------------------------------------------------------------------------


def test_names_mixtures_and_regexes(catalog):
    resolve = eval_texts.resolve_tasks
    assert resolve(["glue_rte_v002"]) == ["glue_rte_v002"]
    assert resolve(["rte_and_cb"]) == ["glue_rte_v002", "super_glue_cb_v102"]
    assert resolve(["glue_mnli.*"]) == [
        "glue_mnli_matched_v002",
        "glue_mnli_mismatched_v002",
        "glue_mnli_v002",
    ]
    # Comma lists and repeats: in the order given, once each.
    assert resolve(["glue_rte_v002,rte_and_cb", "super_glue_cb_v102"]) == [
        "glue_rte_v002",
        "super_glue_cb_v102",
    ]


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("glue_nope.*", r"^eval task 'glue_nope\.\*' matches no registered task or mixture \("),
        ("glue_(", r"^eval task 'glue_\(' is neither a registered name nor a regex \("),
    ],
)
def test_a_selector_matching_nothing_is_one_short_line(catalog, selector, message):
    with pytest.raises(ValueError, match=message) as e:
        eval_texts.resolve_tasks([selector])
    text = str(e.value)
    assert "\n" not in text
    assert len(text) < 200
    if "matches no" in text:
        assert f"{len(seqio.TaskRegistry.names())} tasks" in text
        assert "`c4forge tasks list`" in text


def test_eval_splits_are_validation_and_test(catalog):
    splits = eval_texts.eval_splits
    assert splits(seqio.TaskRegistry.get("glue_mnli_v002")) == [
        "validation_matched",
        "validation_mismatched",
        "test_matched",
        "test_mismatched",
    ]
    assert splits(seqio.TaskRegistry.get("glue_ax_v002")) == ["test"]
    assert splits(seqio.TaskRegistry.get("super_glue_wsc_v102_simple_train")) == []
    # A regex's tasks come in name order.
    assert eval_texts.select_eval_tasks(["super_glue_wsc_v102_simple_.*"]) == [
        "super_glue_wsc_v102_simple_1_sentinel_eval",
        "super_glue_wsc_v102_simple_eval",
    ]
    with pytest.raises(ValueError, match="none of the 2 tasks matched has a validation or test"):
        eval_texts.select_eval_tasks(["super_glue_wsc_v102_simple(_1_sentinel)?_train"])


# --- texts and ids -------------------------------------------------------------------------------


def test_every_string_of_every_eval_example_with_its_idx(catalog, hand_data):
    rows = list(eval_texts.eval_texts(["glue_rte_v002"]))
    expected = [
        ("glue_rte_v002", f"{split}:{ex['idx']}", ex[key])
        for split in ("validation", "test")
        for ex in HAND["glue/rte"]
        for key in ("sentence1", "sentence2")
    ]
    assert rows == expected


def test_a_dict_idx_gives_positions_and_lists_give_each_string(catalog, hand_data):
    rows = list(eval_texts.eval_texts(["super_glue_record_v102"]))
    a, b = HAND["super_glue/record"]
    per_split = [
        ("0", "penguin"),  # answers, entities (in order), passage, query
        ("0", "penguin"),
        ("0", "potato"),
        ("0", a["passage"]),
        ("0", a["query"]),
        ("1", b["passage"]),
        ("1", b["query"]),
    ]
    expected = [
        ("super_glue_record_v102", f"{split}:{n}", text)
        for split in ("validation", "test")
        for n, text in per_split
    ]
    assert rows == expected


def test_catalog_texts_are_found_in_real_pages(catalog, hand_data):
    config = DecontaminationConfig()
    index = build_index(eval_texts.eval_texts(["glue_rte_v002"]), config)
    summary = index.task_summary()["glue_rte_v002"]
    # 2 examples x 2 splits; 8 texts, of which "Too short." (twice) is skipped.
    assert summary == {"examples": 4, "detectable_examples": 4, "texts": 8, "short_texts": 2}
    _, hosts = sources_and_hosts()
    rng = random.Random(0)
    page = insert_lines(hosts[0][1], [perturb(LONG[1], rng)], rng)
    found = {(m.task, m.example_id) for m in find_contamination(page, index, config)}
    assert found == {("glue_rte_v002", "validation:7"), ("glue_rte_v002", "test:7")}
    page = insert_lines(hosts[1][1], [perturb(SHORT[0], rng)], rng)
    found = {(m.task, m.example_id) for m in find_contamination(page, index, config)}
    assert found == {("glue_rte_v002", "validation:41"), ("glue_rte_v002", "test:41")}


# --- files ---------------------------------------------------------------------------------------


def test_eval_file(tmp_path):
    path = tmp_path / "evals.jsonl"
    rows = [{"task": "mine", "id": 3, "text": "one"}, {"task": "mine", "id": "b", "text": "two"}]
    path.write_text(json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1]) + "\n", encoding="utf-8")
    assert eval_texts.read_eval_file(str(path)) == [("mine", "3", "one"), ("mine", "b", "two")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"task": "t", "id": 1, "text": "x"}\n{"task": "t", "id": 2,', r"line 2: not a JSON"),
        ('{"task": "t", "id": 1, "text": "x"}\n[1, 2]\n', r"line 2: needs a JSON object"),
        ('\n\n{"task": "t", "text": "x"}\n', r"line 3: needs .* got keys \['task', 'text'\]$"),
        ('{"task": "t", "id": true, "text": "x"}\n', r"line 1: needs"),
        ('{"task": "", "id": 1, "text": "x"}\n', r"line 1: needs"),
        ('{"task": "t", "id": 1, "text": 5}\n', r"line 1: needs"),
        ("\n \n", r"no eval texts in it$"),
    ],
)
def test_a_bad_eval_file_is_one_line_naming_the_line(tmp_path, content, message):
    path = tmp_path / "evals.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as e:
        eval_texts.read_eval_file(str(path))
    assert str(e.value).startswith(f"eval file {path}")
    assert "\n" not in str(e.value)


def test_a_missing_eval_file_is_one_line(tmp_path):
    path = tmp_path / "absent.jsonl"
    with pytest.raises(ValueError, match=f"^eval file {path}: cannot read it") as e:
        eval_texts.read_eval_file(str(path))
    assert "\n" not in str(e.value)
