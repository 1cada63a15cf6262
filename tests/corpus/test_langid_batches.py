"""corpus.langid's batched path against langdetect 1.0.9: `verdicts` (the lockstep trials of
many pages) on all 697 pages mixed with sentences of every language, edge cases and texts that
hit langdetect's 1000-iteration limit, in shuffled lists of several lengths and with several slot
counts, down to the full 55-float probability lists of langdetect's own detector.
"""

from __future__ import annotations

import random
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langid_testing import (
    ALPHABET,
    EDGE_CASES,
    FULL,
    PREFIX_CASES,
    as_page,
    dolma_pages,
    lingua_texts,
    reference_full,
    reference_predictions,
    reference_verdict,
    verdict_of,
    verdicts_of,
)

from c4forge.corpus.langid import EnglishDetector
from c4forge.corpus.verdict import Verdict, keep

# ---- batches: verdicts() and the lockstep path --------------------------------------------------

# Texts one of whose seven trials stops at langdetect's 1000-iteration limit (checked below).
LIMIT_TEXTS = [
    "AB",
    "Це не просто так!",
    "Но не го направихме!",
    "Mandel Alemaniako udalerria da.",
    "Dette er ein film i kategorien komedie.",
    "Microsoft revela sus planes para la Pax Prime 2014",
]


def hits_iteration_limit(text: str) -> bool:
    """Whether a trial of langdetect's own detector on `text` normalises 201 times: it ran
    1001 updates and stopped at ITERATION_LIMIT (each trial starts with one gauss draw)."""
    import langdetect
    from langdetect import detector_factory

    langdetect.DetectorFactory.seed = 0
    detector_factory.init_factory()
    ld = detector_factory._factory.create()
    ld.append(text)
    counts: list[int] = []
    gauss, normalize = ld.random.gauss, ld._normalize_prob

    def counting_gauss(*args):
        counts.append(0)
        return gauss(*args)

    def counting_normalize(prob):
        counts[-1] += 1
        return normalize(prob)

    ld.random.gauss, ld._normalize_prob = counting_gauss, counting_normalize
    ld.get_probabilities()
    assert len(counts) == 7
    assert max(counts) <= 201
    return max(counts) == 201


@cache
def batch_texts() -> tuple[str, ...]:
    """All 697 pages, lines and long texts of every language (more with C4FORGE_FULL=1), the
    edge cases, long texts past the prefix and texts at the iteration limit: shuffled, so
    languages and lengths mix."""
    texts = [
        *dolma_pages(),
        *(lingua_texts(20, 2) if FULL else lingua_texts(4, 1)),
        *EDGE_CASES,
        *PREFIX_CASES[:4],
        *LIMIT_TEXTS,
    ]
    random.Random(4).shuffle(texts)
    return tuple(texts)


@cache
def one_by_one(detector: EnglishDetector) -> tuple[Verdict, ...]:
    return tuple(verdict_of(detector, text) for text in batch_texts())


def as_pairs(predictions: list | None) -> list[tuple[str, float]] | None:
    return None if predictions is None else [(p.lang, p.prob) for p in predictions]


@pytest.fixture
def lockstep_always(monkeypatch):
    """Lists of 2 or more texts take the lockstep path (by default, lists shorter than
    _MIN_LOCKSTEP go page by page, which is faster there)."""
    from c4forge.corpus import _langdetect_lockstep as fast_module

    monkeypatch.setattr(fast_module, "_MIN_LOCKSTEP", 2)


@pytest.mark.parametrize("text", LIMIT_TEXTS)
def test_limit_texts_hit_the_iteration_limit(detector, lockstep_always, text):
    assert hits_iteration_limit(text)
    assert verdicts_of(detector, [text] * 5, batch_size=2) == [reference_verdict(text)] * 5


@pytest.mark.parametrize("length", [1, 2, 7, 64, 0], ids=["1", "2", "7", "64", "all"])
def test_verdicts_in_shuffled_lists(detector, lockstep_always, length):
    """verdicts() on consecutive lists of `length` texts (0: all at once) == verdict() one by
    one == TFDS's detect_english."""
    texts = list(batch_texts())
    length = length or len(texts)
    got = []
    for at in range(0, len(texts), length):
        got += verdicts_of(detector, texts[at : at + length])
    assert got == list(one_by_one(detector))
    assert got == [reference_verdict(text) for text in texts]


@pytest.mark.parametrize("slots", [2, 3, 7, 64, 256, 1024])
def test_lockstep_langprob_lists(detector, slots):
    """The lockstep path's full 55-float lists, page by page, == langdetect's own
    `Detector.langprob` (None where it raises), with several slot counts."""
    texts = batch_texts()
    got = detector._fast.langprobs(texts, batch_size=slots)
    assert got == [reference_full(text)[0] for text in texts]


def test_batched_predictions_are_plain_langdetect(detector):
    """The sorted, filtered prediction lists of the batched path == `predictions()` (langdetect
    through the detector's own factory) on every text, and == detect_langs."""
    from langdetect.lang_detect_exception import LangDetectException

    texts = batch_texts()
    got = [as_pairs(p) for p in detector._fast_predictions_many(list(texts))]
    assert got == [reference_predictions(text) for text in texts]
    for text, predictions in zip(texts[:150], got, strict=False):
        try:
            want = as_pairs(detector.predictions(text))
        except LangDetectException:
            want = None
        assert predictions == want, text[:200]


def test_verdicts_of_short_lists(detector, monkeypatch):
    from c4forge.corpus import _langdetect_lockstep as fast_module

    assert verdicts_of(detector, []) == []
    english = "hello world, this is English"
    assert detector.verdicts(iter([as_page(english)])) == [
        keep(as_page(english)._replace(language="en"), "en")
    ]
    texts = ["", "12345", *EDGE_CASES[8:12], "Bonjour tout le monde", *LIMIT_TEXTS[:2]]
    for lockstep_from in (fast_module._MIN_LOCKSTEP, 2):
        monkeypatch.setattr(fast_module, "_MIN_LOCKSTEP", lockstep_from)
        for length in range(len(texts) + 1):
            batch = texts[:length]
            want = [reference_verdict(t) for t in batch]
            assert verdicts_of(detector, batch) == want
            assert verdicts_of(detector, batch, batch_size=2) == want


def test_lockstep_with_small_windows(detector, monkeypatch):
    """Tiny first stream windows and n-gram groups: pages widen at load and later, and the
    draw arenas fill, compact and grow many times."""
    from c4forge.corpus import _langdetect_lockstep as fast_module

    monkeypatch.setattr(fast_module, "_WINDOW", 64)
    monkeypatch.setattr(fast_module, "_CHAR_BUDGET", 3_000)
    texts = batch_texts()[:300]
    got = detector._fast.langprobs(texts, batch_size=16)
    assert got == [reference_full(text)[0] for text in texts]


@pytest.mark.parametrize("handoff", [0, 1, 40])
def test_lockstep_hand_off(detector, monkeypatch, handoff):
    """The last `handoff` pages finish one by one, most in the middle of a trial (0: none,
    the lockstep runs down to its last page)."""
    from c4forge.corpus import _langdetect_lockstep as fast_module

    monkeypatch.setattr(fast_module, "_HANDOFF", handoff)
    texts = batch_texts()[:200]
    got = detector._fast.langprobs(texts, batch_size=64)
    assert got == [reference_full(text)[0] for text in texts]


def test_lockstep_with_builtin_sums(detector, monkeypatch):
    """The path taken where the vectorised sum is not the builtin one (Python 3.12+)."""
    monkeypatch.setattr(detector._fast, "seq_sum", False)
    texts = batch_texts()[:150]
    assert detector._fast.langprobs(texts, batch_size=32) == [
        reference_full(text)[0] for text in texts
    ]


def test_lockstep_self_checks(detector):
    import sys

    fast = detector._fast
    assert fast.batch_exact
    assert fast.seq_sum == (sys.version_info < (3, 12))
    assert fast._check_lockstep()


def test_why_the_sum_is_taken_across_pages():
    """numpy sums pairwise along the inner axis (not the builtin sum), but row by row over an
    outer axis (the builtin sum for every column); the self-check tells the two apart."""
    import numpy as np

    gen = np.random.default_rng(0)
    rows = gen.exponential(size=(64, 55)) * 10.0 ** gen.integers(-8, 8, size=(64, 55))
    builtin = [sum(row) for row in rows.tolist()]
    assert np.add.reduce(rows, axis=1).tolist() != builtin
    assert np.add.reduce(np.ascontiguousarray(rows.T), axis=0).tolist() == builtin


def test_verdicts_fall_back(detector, monkeypatch):
    texts = list(batch_texts()[:40])
    want = [reference_verdict(text) for text in texts]
    monkeypatch.setattr(detector._fast, "batch_exact", False)
    assert verdicts_of(detector, texts) == want
    monkeypatch.setattr(detector._fast, "exact", False)
    assert verdicts_of(detector, texts) == want


def test_verdicts_in_threads_and_pickled(detector):
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    texts = list(batch_texts()[:240])
    want = list(one_by_one(detector)[:240])
    chunks = [texts[at : at + 60] for at in range(0, 240, 60)]
    with ThreadPoolExecutor(4) as pool:
        got = [
            v
            for chunk in pool.map(lambda chunk: verdicts_of(detector, chunk), chunks)
            for v in chunk
        ]
    assert got == want
    clone = pickle.loads(pickle.dumps(detector))
    assert verdicts_of(clone, texts[:80], batch_size=8) == want[:80]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.one_of(
            st.text(ALPHABET, max_size=300),
            st.text(max_size=80),
            st.sampled_from(EDGE_CASES[:40] + LIMIT_TEXTS),
        ),
        max_size=14,
    ),
    st.sampled_from([2, 3, 5, 256]),
)
def test_random_batches(detector, lockstep_always, texts, slots):
    assert verdicts_of(detector, texts, batch_size=slots) == [reference_verdict(t) for t in texts]
    assert detector._fast.langprobs(texts, batch_size=slots) == [
        reference_full(text)[0] for text in texts
    ]
