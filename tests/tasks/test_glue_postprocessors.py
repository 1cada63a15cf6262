"""The GLUE/SuperGLUE/WSC postprocessors (T5's `t5/data/postprocessors.py`), alone and feeding
each task's own metrics."""

from __future__ import annotations

import numpy as np
import pytest
import seqio
from glue_testing import RECORD

from c4forge.tasks import coreference, glue_formats

# --- postprocessors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "expected"),
    [("duplicate", 1), ("not_duplicate", 0), (b"duplicate", 1), ("maybe", -1), ("", -1)],
)
def test_string_label_to_class_id(output, expected):
    postprocess = glue_formats.string_label_to_class_id(("not_duplicate", "duplicate"))
    assert postprocess(output, example=None, is_target=False) == expected


@pytest.mark.parametrize(
    ("output", "expected"), [("3.8", 3.8), ("5.0", 5.0), (b"0.2", 0.2), ("high", -1.0), ("", -1.0)]
)
def test_string_to_float(output, expected):
    assert glue_formats.string_to_float(output) == expected


def test_multirc_postprocessor():
    example = {"idx/question": np.int32(7)}
    assert glue_formats.multirc("True", example=example, is_target=True) == {"value": 1, "group": 7}
    assert glue_formats.multirc("False", example=example, is_target=False) == {
        "value": 0,
        "group": 7,
    }
    assert glue_formats.multirc("Maybe") == {"value": -1}
    with pytest.raises(ValueError, match="needs example="):
        glue_formats.multirc("True", is_target=True)


def test_record_postprocessor():
    example = {
        "answers": np.array([b"penguin", b"pigeon"], dtype=object),
        "idx/passage": np.int32(3),
        "idx/query": np.int32(9),
    }
    assert glue_formats.record("penguin", example=example, is_target=True) == {
        "value": ["penguin", "pigeon"],
        "group": (3, 9),
    }
    assert glue_formats.record("pigeon", example=example) == {"value": "pigeon", "group": (3, 9)}
    assert glue_formats.record("pigeon") == {"value": "pigeon"}


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
    assert coreference.wsc_simple(prediction, example=example) == expected
    assert coreference.wsc_simple(referent, example=example, is_target=True) == 0


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
