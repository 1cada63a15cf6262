"""GLUE, SuperGLUE and WSC/DPR/WNLI in T5's formats (docs/TASKS.md §2.4); expected values by hand.

Formats are checked by feeding small in-memory examples through each *registered* task's format
preprocessor (`tasks.glue_formats`, `tasks.coreference`); WNLI's rewrite into WSC is checked on
T5's own examples.
"""

from __future__ import annotations

import pytest
import tensorflow as tf
from glue_testing import MITCHELL, RECORD, RECORD_INPUTS, format_examples, format_pairs

from c4forge.tasks import coreference

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
    assert format_pairs(task_name, [example]) == [expected]


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
    assert format_pairs("glue_stsb_v002", [example]) == [("stsb sentence1: a sentence2: b", target)]


def test_wsc_simple_train_keeps_only_the_referent(registered):
    wrong = {**MITCHELL, "span1_text": "Mitchell", "span1_index": 0, "label": 0}
    assert format_pairs("super_glue_wsc_v102_simple_train", [wrong, MITCHELL]) == [
        ("wsc: Mitchell asked Tom if *he* could lend some money.", "Tom")
    ]


def test_wsc_simple_keeps_label_and_idx_for_evaluation(registered):
    (out,) = format_examples(
        "super_glue_wsc_v102_simple_eval", [{**MITCHELL, "label": 0, "idx": 7}]
    )
    assert (out["label"], out["idx"]) == (0, 7)


def test_wsc_simple_texts_blanked_by_hand(registered):
    # T5 fixes this text by hand: "him," is not the word "him" at span2_index.
    example = {**MITCHELL, "text": coreference._WSC_PONY, "span2_text": "him", "span2_index": 20}
    (inputs, _) = format_pairs("super_glue_wsc_v102_simple_eval", [example])[0]
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
        format_examples("super_glue_wsc_v102_simple_eval", [{**MITCHELL, **bad}])


def test_multirc_keeps_its_ids(registered):
    example = {
        "paragraph": "P.",
        "question": "Q?",
        "answer": "A.",
        "label": -1,
        "idx": {"paragraph": 1, "question": 2, "answer": 3},
    }
    (out,) = format_examples("super_glue_multirc_v102", [example])
    assert (out["idx/paragraph"], out["idx/question"], out["idx/answer"]) == (1, 2, 3)
    assert out["targets"] == "<unk>"


def test_record_gives_one_example_per_answer(registered):
    out = format_examples("super_glue_record_v102", [RECORD])
    assert [(ex["inputs"], ex["targets"]) for ex in out] == [
        (RECORD_INPUTS, "penguin"),
        (RECORD_INPUTS, "pigeon"),
    ]
    # Every copy carries all answers (the evaluation target) and the ids (its group).
    for ex in out:
        assert ex["answers"] == ["penguin", "pigeon"]
        assert (ex["idx/passage"], ex["idx/query"]) == (3, 9)


def test_record_without_answers_gives_unk(registered):
    out = format_examples("super_glue_record_v102", [{**RECORD, "answers": []}])
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
    (out, _) = format_examples("super_glue_record_v102", [{**RECORD, "passage": passage}])
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
    assert coreference.wnli_simple_text(premise, hypothesis) == expected


def test_wnli_simple_text_needs_a_pronoun():
    with pytest.raises(ValueError, match="no pronoun"):
        coreference.wnli_simple_text("The fish ate the worm.", "The worm was tasty.")
