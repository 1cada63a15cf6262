"""GLUE, SuperGLUE and WSC/DPR in T5's formats (docs/TASKS.md §2.4); expected values by hand.

Formats are checked by feeding small in-memory examples through each *registered* task's format
preprocessor; every task then runs end to end (tokenize, cache placeholder, EOS) on TFDS's mock
data: random examples from the builders' own feature specs, or hand-written ones where the text
must make sense (WSC/WNLI) or where the exact output is asserted.
"""

from __future__ import annotations

import numpy as np
import pytest
import seqio
import tensorflow as tf
import tensorflow_datasets as tfds

from tasks import glue, metrics, registry

LENGTHS = {"inputs": 512, "targets": 128}
EOS = 1

GLUE_NAMES = [
    "glue_cola_v002",
    "glue_sst2_v002",
    "glue_mrpc_v002",
    "glue_qqp_v002",
    "glue_stsb_v002",
    "glue_mnli_v002",
    "glue_mnli_mismatched_v002",
    "glue_mnli_matched_v002",
    "glue_qnli_v002",
    "glue_rte_v002",
    "glue_wnli_v002",
    "glue_ax_v002",
    "glue_wnli_v002_simple_eval",
]
SUPER_GLUE_BASE = [
    "super_glue_boolq_v102",
    "super_glue_cb_v102",
    "super_glue_copa_v102",
    "super_glue_multirc_v102",
    "super_glue_record_v102",
    "super_glue_rte_v102",
    "super_glue_wic_v102",
    "super_glue_axb_v102",
    "super_glue_axg_v102",
]
SUPER_GLUE_NAMES = [
    *[n for base in SUPER_GLUE_BASE for n in (base, base + "_1_sentinel")],
    "dpr_v001_simple",
    "dpr_v001_simple_1_sentinel",
    "super_glue_wsc_v102_simple_train",
    "super_glue_wsc_v102_simple_1_sentinel_train",
    "super_glue_wsc_v102_simple_eval",
    "super_glue_wsc_v102_simple_1_sentinel_eval",
]


@pytest.fixture
def registered(vocab):
    """Both catalogs registered for one test, then removed (no registry state leaks)."""
    names = glue.register_glue(vocab) + glue.register_super_glue(vocab)
    yield names
    registry.unregister(*names)


def _tensor(key, value):
    """A feature as TFDS types it: labels int64 (STS-B float32), ids int32, text as strings."""
    if isinstance(value, dict):
        return {k: _tensor(k, v) for k, v in value.items()}
    if isinstance(value, float):
        return np.float32(value)
    if isinstance(value, int):
        return np.int64(value) if key == "label" else np.int32(value)
    if isinstance(value, list):
        return tf.constant(value, tf.string)
    return value


def _dataset(examples):
    tensors = [{k: _tensor(k, v) for k, v in ex.items()} for ex in examples]
    ds = tf.data.Dataset.from_tensors(tensors[0])
    for t in tensors[1:]:
        ds = ds.concatenate(tf.data.Dataset.from_tensors(t))
    return ds


def _py(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.dtype == object:
        return [_py(v) for v in value]
    return value


def _format(task_name, examples):
    """The task's format preprocessor (its first step) on in-memory examples, as Python."""
    preprocess = seqio.get_mixture_or_task(task_name).preprocessors[0]
    out = preprocess(_dataset(examples))
    return [{k: _py(v) for k, v in ex.items()} for ex in out.as_numpy_iterator()]


def _pairs(task_name, examples):
    return [(ex["inputs"], ex["targets"]) for ex in _format(task_name, examples)]


MITCHELL = {
    "text": "Mitchell asked Tom if he could lend some money.",
    "span1_text": "Tom",
    "span1_index": 2,
    "span2_text": "he",
    "span2_index": 4,
    "label": 1,
    "idx": 0,
}

# (task, raw TFDS example, expected (inputs, targets)): T5's documented examples and the rules
# of docs/TASKS.md §2.4, written out by hand.
FORMAT_CASES = [
    (
        "glue_cola_v002",
        {"sentence": "The book was read.", "label": 1, "idx": 0},
        ("cola sentence: The book was read.", "acceptable"),
    ),
    (
        "glue_cola_v002",
        {"sentence": "The book was read.", "label": -1, "idx": 0},
        ("cola sentence: The book was read.", "<unk>"),
    ),
    (
        "glue_sst2_v002",
        {"sentence": "it 's a charming journey .", "label": 1, "idx": 3},
        ("sst2 sentence: it 's a charming journey .", "positive"),
    ),
    (
        "glue_mrpc_v002",
        {"sentence1": "He left.", "sentence2": "He went away.", "label": 0, "idx": 0},
        ("mrpc sentence1: He left. sentence2: He went away.", "not_equivalent"),
    ),
    (
        "glue_qqp_v002",
        {
            "question1": "Why do I easily get bored of my friends?",
            "question2": "Why do I get bored of friends so quickly?",
            "label": 1,
            "idx": 10,
        },
        (
            "qqp question1: Why do I easily get bored of my friends? "
            "question2: Why do I get bored of friends so quickly?",
            "duplicate",
        ),
    ),
    (
        "glue_stsb_v002",
        {
            "sentence1": "Three more US soldiers killed in Afghanistan",
            "sentence2": "NATO Soldier Killed in Afghanistan",
            "label": 1.8,
            "idx": 0,
        },
        (
            "stsb sentence1: Three more US soldiers killed in Afghanistan "
            "sentence2: NATO Soldier Killed in Afghanistan",
            "1.8",
        ),
    ),
    # Keys sorted: hypothesis before premise.
    (
        "glue_mnli_v002",
        {"premise": "P.", "hypothesis": "H.", "label": 2, "idx": 0},
        ("mnli hypothesis: H. premise: P.", "contradiction"),
    ),
    (
        "glue_mnli_matched_v002",
        {"premise": "P.", "hypothesis": "H.", "label": 1, "idx": 0},
        ("mnli hypothesis: H. premise: P.", "neutral"),
    ),
    (
        "glue_mnli_mismatched_v002",
        {"premise": "P.", "hypothesis": "H.", "label": 0, "idx": 0},
        ("mnli hypothesis: H. premise: P.", "entailment"),
    ),
    (
        "glue_ax_v002",
        {"premise": "P.", "hypothesis": "H.", "label": -1, "idx": 0},
        ("mnli hypothesis: H. premise: P.", "<unk>"),
    ),
    (
        "glue_qnli_v002",
        {"question": "Who?", "sentence": "Him.", "label": 1, "idx": 0},
        ("qnli question: Who? sentence: Him.", "not_entailment"),
    ),
    (
        "glue_rte_v002",
        {"sentence1": "S1.", "sentence2": "S2.", "label": 0, "idx": 0},
        ("rte sentence1: S1. sentence2: S2.", "entailment"),
    ),
    # WNLI's classes are the other way round.
    (
        "glue_wnli_v002",
        {"sentence1": "S1.", "sentence2": "S2.", "label": 0, "idx": 0},
        ("wnli sentence1: S1. sentence2: S2.", "not_entailment"),
    ),
    (
        "super_glue_boolq_v102",
        {"question": "is it?", "passage": "It is.", "label": 1, "idx": 0},
        ("boolq passage: It is. question: is it?", "True"),
    ),
    (
        "super_glue_cb_v102",
        {"premise": "P.", "hypothesis": "H.", "label": 1, "idx": 0},
        ("cb hypothesis: H. premise: P.", "contradiction"),
    ),
    (
        "super_glue_copa_v102",
        {
            "premise": "My body cast a shadow over the grass.",
            "choice1": "The sun was rising.",
            "choice2": "The grass was cut.",
            "question": "cause",
            "label": 0,
            "idx": 0,
        },
        (
            "copa choice1: The sun was rising. choice2: The grass was cut. "
            "premise: My body cast a shadow over the grass. question: cause",
            "choice1",
        ),
    ),
    # Question, answer, paragraph; <br> -> space, <b> and </b> dropped.
    (
        "super_glue_multirc_v102",
        {
            "paragraph": "<b>Sent 1: </b>Joe ran.<br><b>Sent 2: </b>He fell.<br>",
            "question": "Who fell?",
            "answer": "Joe",
            "label": 1,
            "idx": {"paragraph": 0, "question": 5, "answer": 2},
        },
        (
            "multirc question: Who fell? answer: Joe paragraph: Sent 1: Joe ran. Sent 2: He fell. ",
            "True",
        ),
    ),
    (
        "super_glue_rte_v102",
        {"premise": "P.", "hypothesis": "H.", "label": 1, "idx": 0},
        ("rte hypothesis: H. premise: P.", "not_entailment"),
    ),
    # Only sentence1, sentence2, word (not the offsets).
    (
        "super_glue_wic_v102",
        {
            "word": "place",
            "sentence1": "Come to my place.",
            "sentence2": "No place for them.",
            "start1": 11,
            "start2": 3,
            "end1": 16,
            "end2": 8,
            "label": 0,
            "idx": 0,
        },
        ("wic sentence1: Come to my place. sentence2: No place for them. word: place", "False"),
    ),
    # AX-b as RTE: sentence2 is the hypothesis, sentence1 the premise.
    (
        "super_glue_axb_v102",
        {
            "sentence1": "The cat sat on the mat.",
            "sentence2": "The cat did not sit on the mat.",
            "label": 1,
            "idx": 0,
        },
        (
            "rte hypothesis: The cat did not sit on the mat. premise: The cat sat on the mat.",
            "not_entailment",
        ),
    ),
    (
        "super_glue_axg_v102",
        {"premise": "P.", "hypothesis": "H.", "label": 0, "idx": 0},
        ("rte hypothesis: H. premise: P.", "entailment"),
    ),
    (
        "dpr_v001_simple",
        {
            "sentence": "Bob asked Tom if he can lend some money.",
            "pronoun": "he",
            "candidates": ["Bob", "Tom"],
            "label": 1,
        },
        ("wsc: Bob asked Tom if *he* can lend some money.", "Tom"),
    ),
    # Only the first occurrence is marked.
    (
        "dpr_v001_simple",
        {
            "sentence": "John told Bill he thinks he is right.",
            "pronoun": "he",
            "candidates": ["John", "Bill"],
            "label": 0,
        },
        ("wsc: John told Bill *he* thinks he is right.", "John"),
    ),
    # Punctuation after the pronoun stays outside the stars.
    (
        "dpr_v001_simple",
        {
            "sentence": "Sue paid Amy because she, frankly, was rich.",
            "pronoun": "she",
            "candidates": ["Sue", "Amy"],
            "label": 0,
        },
        ("wsc: Sue paid Amy because *she*, frankly, was rich.", "Sue"),
    ),
    (
        "super_glue_wsc_v102_simple_eval",
        MITCHELL,
        ("wsc: Mitchell asked Tom if *he* could lend some money.", "Tom"),
    ),
    # Evaluation keeps wrong candidates (the label says so); training does not.
    (
        "super_glue_wsc_v102_simple_eval",
        {**MITCHELL, "span1_text": "Mitchell", "span1_index": 0, "label": 0},
        ("wsc: Mitchell asked Tom if *he* could lend some money.", "Mitchell"),
    ),
    (
        "super_glue_wsc_v102_simple_train",
        MITCHELL,
        ("wsc: Mitchell asked Tom if *he* could lend some money.", "Tom"),
    ),
    (
        "glue_wnli_v002_simple_eval",
        {
            "sentence1": "The fish ate the worm. It was tasty.",
            "sentence2": "The worm was tasty.",
            "label": 1,
            "idx": 0,
        },
        ("wsc: The fish ate the worm. *It* was tasty.", "The worm"),
    ),
]


@pytest.mark.parametrize(
    ("task_name", "example", "expected"),
    FORMAT_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(FORMAT_CASES)],
)
def test_format(registered, task_name, example, expected):
    assert _pairs(task_name, [example]) == [expected]


@pytest.mark.parametrize(
    ("score", "target"),
    [
        (3.86, "3.8"),  # 19.3 -> 19
        (5.0, "5.0"),
        (1.8, "1.8"),
        (0.7, "0.8"),  # float32 0.7 * 5 is 3.5: the half goes to 4 (even)
        (0.1, "0.0"),  # float32 0.1 * 5 is 0.5: the half goes to 0 (even)
        (-1.0, "-1.0"),  # unlabelled test example: T5 writes the score as is
    ],
)
def test_stsb_rounds_to_a_fifth(registered, score, target):
    example = {"sentence1": "a", "sentence2": "b", "label": score, "idx": 0}
    assert _pairs("glue_stsb_v002", [example]) == [("stsb sentence1: a sentence2: b", target)]


def test_wsc_simple_train_keeps_only_the_referent(registered):
    wrong = {**MITCHELL, "span1_text": "Mitchell", "span1_index": 0, "label": 0}
    assert _pairs("super_glue_wsc_v102_simple_train", [wrong, MITCHELL]) == [
        ("wsc: Mitchell asked Tom if *he* could lend some money.", "Tom")
    ]


def test_wsc_simple_keeps_label_and_idx_for_evaluation(registered):
    (out,) = _format("super_glue_wsc_v102_simple_eval", [{**MITCHELL, "label": 0, "idx": 7}])
    assert (out["label"], out["idx"]) == (0, 7)


def test_wsc_simple_texts_blanked_by_hand(registered):
    # T5 fixes this text by hand: "him," is not the word "him" at span2_index.
    example = {**MITCHELL, "text": glue._WSC_PONY, "span2_text": "him", "span2_index": 20}
    (inputs, _) = _pairs("super_glue_wsc_v102_simple_eval", [example])[0]
    assert inputs == (
        "wsc: The boy continued to whip the pony , and eventually the pony threw him over. "
        'John laughed out quite loud. "Good for *him* ," he said.'
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"span2_text": "she"},  # not the word at span2_index
        {"span2_index": 0},  # T5 needs a word before the pronoun
        {"span2_index": 9},  # past the end
    ],
)
def test_wsc_simple_rejects_a_misplaced_pronoun(registered, bad):
    with pytest.raises(tf.errors.InvalidArgumentError, match="WSC span2"):
        _format("super_glue_wsc_v102_simple_eval", [{**MITCHELL, **bad}])


def test_multirc_keeps_its_ids(registered):
    example = {
        "paragraph": "P.",
        "question": "Q?",
        "answer": "A.",
        "label": -1,
        "idx": {"paragraph": 1, "question": 2, "answer": 3},
    }
    (out,) = _format("super_glue_multirc_v102", [example])
    assert (out["idx/paragraph"], out["idx/question"], out["idx/answer"]) == (1, 2, 3)
    assert out["targets"] == "<unk>"


RECORD = {
    "passage": "This is the passage.",
    "query": "A @placeholder is a bird.",
    "entities": ["penguin", "potato", "pigeon"],
    "answers": ["penguin", "pigeon"],
    "idx": {"passage": 3, "query": 9},
}
RECORD_INPUTS = (
    "record query: A @placeholder is a bird. entities: penguin, potato, pigeon "
    "passage: This is the passage."
)


def test_record_gives_one_example_per_answer(registered):
    out = _format("super_glue_record_v102", [RECORD])
    assert [(ex["inputs"], ex["targets"]) for ex in out] == [
        (RECORD_INPUTS, "penguin"),
        (RECORD_INPUTS, "pigeon"),
    ]
    # Every copy carries all answers (the evaluation target) and the ids (its group).
    for ex in out:
        assert ex["answers"] == ["penguin", "pigeon"]
        assert (ex["idx/passage"], ex["idx/query"]) == (3, 9)


def test_record_without_answers_gives_unk(registered):
    out = _format("super_glue_record_v102", [{**RECORD, "answers": []}])
    assert [(ex["inputs"], ex["targets"], ex["answers"]) for ex in out] == [
        (RECORD_INPUTS, "<unk>", [])
    ]


@pytest.mark.parametrize(
    ("passage", "written"),
    [
        # No sentence end before the highlight: ". ".
        ("Storm hits\n@highlight\nMany hurt", "Storm hits. Many hurt"),
        # After . ? ! " ' only a space.
        ("Storm hits.\n@highlight\nMany hurt", "Storm hits. Many hurt"),
        ("Who?\n@highlight\nHim!\n@highlight\nNo", "Who? Him! No"),
        ('He said "no"\n@highlight\nThen', 'He said "no" Then'),
    ],
)
def test_record_highlights_become_sentences(registered, passage, written):
    (out, _) = _format("super_glue_record_v102", [{**RECORD, "passage": passage}])
    assert out["inputs"].endswith(f"passage: {written}")


@pytest.mark.parametrize(
    ("premise", "hypothesis", "expected"),
    [
        (
            "The fish ate the worm. It was tasty.",
            "The worm was tasty.",
            ("wsc: The fish ate the worm. *It* was tasty.", "The worm"),
        ),
        # The hypothesis repeats what follows "it"; the candidate is what precedes it.
        (
            "The trophy doesn't fit into the brown suitcase because it is too large.",
            "The trophy is too large.",
            (
                "wsc: The trophy doesn't fit into the brown suitcase because *it* is too large.",
                "The trophy",
            ),
        ),
        # "his" matches nothing of the hypothesis, "he" matches six words: "he" is resolved.
        (
            "Tom threw his schoolbag down to Ray after he reached the top of the stairs.",
            "Tom reached the top of the stairs.",
            (
                "wsc: Tom threw his schoolbag down to Ray after *he* reached the top of the "
                "stairs.",
                "Tom",
            ),
        ),
        # Targets are never possessive.
        (
            "Sam took Bob's hat because it was cold.",
            "Bob's was cold.",
            ("wsc: Sam took Bob's hat because *it* was cold.", "Bob"),
        ),
    ],
)
def test_wnli_simple_text(premise, hypothesis, expected):
    assert glue.wnli_simple_text(premise, hypothesis) == expected


def test_wnli_simple_text_needs_a_pronoun():
    with pytest.raises(ValueError, match="no pronoun"):
        glue.wnli_simple_text("The fish ate the worm.", "The worm was tasty.")


# --- postprocessors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "expected"),
    [("duplicate", 1), ("not_duplicate", 0), (b"duplicate", 1), ("maybe", -1), ("", -1)],
)
def test_string_label_to_class_id(output, expected):
    postprocess = glue.string_label_to_class_id(("not_duplicate", "duplicate"))
    assert postprocess(output, example=None, is_target=False) == expected


@pytest.mark.parametrize(
    ("output", "expected"), [("3.8", 3.8), ("5.0", 5.0), (b"0.2", 0.2), ("high", -1.0), ("", -1.0)]
)
def test_string_to_float(output, expected):
    assert glue.string_to_float(output) == expected


def test_multirc_postprocessor():
    example = {"idx/question": np.int32(7)}
    assert glue.multirc("True", example=example, is_target=True) == {"value": 1, "group": 7}
    assert glue.multirc("False", example=example, is_target=False) == {"value": 0, "group": 7}
    assert glue.multirc("Maybe") == {"value": -1}
    with pytest.raises(ValueError, match="needs example="):
        glue.multirc("True", is_target=True)


def test_record_postprocessor():
    example = {
        "answers": np.array([b"penguin", b"pigeon"], dtype=object),
        "idx/passage": np.int32(3),
        "idx/query": np.int32(9),
    }
    assert glue.record("penguin", example=example, is_target=True) == {
        "value": ["penguin", "pigeon"],
        "group": (3, 9),
    }
    assert glue.record("pigeon", example=example) == {"value": "pigeon", "group": (3, 9)}
    assert glue.record("pigeon") == {"value": "pigeon"}


@pytest.mark.parametrize(
    ("prediction", "referent", "expected"),
    [
        ("Tom", "Tom", 1),
        ("the dog", "The Dog", 1),  # case and determiners do not count
        ("fuzzy bunny", "bunny", 1),  # one names a subset of the other
        ("bunny", "the fuzzy bunny", 1),
        ("Bob", "Bob's hat", 0),  # possessive on one side only
        ("cat", "dog", 0),
        ("", "dog", -1),  # empty never matches
        ("the", "dog", -1),  # nothing left after the determiners
    ],
)
def test_wsc_simple_postprocessor(prediction, referent, expected):
    example = {"targets_pretokenized": referent.encode(), "label": np.int64(0)}
    assert glue.wsc_simple(prediction, example=example) == expected
    assert glue.wsc_simple(referent, example=example, is_target=True) == 0


def test_grouped_metrics_round_trip(registered):
    """MultiRC and ReCoRD: postprocessed targets/predictions fed to the task's own metrics."""
    task = seqio.get_mixture_or_task("super_glue_multirc_v102")
    # Question 1 has answers True, False (both predicted right); question 2 one True (missed).
    rows = [(1, "True", "True"), (1, "False", "False"), (2, "True", "False")]
    targets = [
        task.postprocess_fn(t, example={"idx/question": q}, is_target=True) for q, t, _ in rows
    ]
    predictions = [task.postprocess_fn(p, example={"idx/question": q}) for q, _, p in rows]
    scores = {}
    for metric_fn in task.metric_fns:
        scores.update(metric_fn(targets, predictions))
    # All answers: targets 1 0 1, predictions 1 0 0 -> F1 2/3; per question 100 and 0.
    assert scores == pytest.approx({"f1": 200 / 3, "exact_match": 50.0})

    task = seqio.get_mixture_or_task("super_glue_record_v102")
    example = {"answers": [b"penguin", b"pigeon"], "idx/passage": 3, "idx/query": 9}
    # The query appears twice (one copy per answer) but counts once.
    targets = [task.postprocess_fn(a, example=example, is_target=True) for a in RECORD["answers"]]
    predictions = [task.postprocess_fn(p, example=example) for p in ("pigeon", "potato")]
    (metric_fn,) = task.metric_fns
    assert metric_fn(targets, predictions) == {"em": 100.0, "f1": 100.0}


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
    return [{k: _py(v) for k, v in ex.items()} for ex in ds.as_numpy_iterator()]


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
