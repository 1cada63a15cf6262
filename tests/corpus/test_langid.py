"""corpus.langid against langdetect 1.0.9 itself: the verdict of TFDS's `detect_english`
(`detect_langs` with `DetectorFactory.seed = 0`) and the full prediction list, bit for bit.

The fast path (corpus._langdetect_fast) re-implements langdetect's detector, so every check here
is differential: real web pages, 76 languages of real sentences, long texts around the 10,000
character limit, hand-picked edge cases and hypothesis-generated text. The full sweep (all 697
pages, 20 lines and two long texts per language) runs with C4FORGE_FULL=1; otherwise the
`slow` test takes a short form, and the unmarked tests always check the first 100 pages.

`verdicts` (the batched, lockstep path) is checked on all 697 pages mixed with sentences of every
language, edge cases and texts that hit langdetect's 1000-iteration limit, in shuffled lists of
several lengths and with several slot counts, down to the full 55-float probability lists of
langdetect's own detector.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langid_testing import (
    ALPHABET,
    EDGE_CASES,
    FULL,
    HYPOTHESIS,
    PREFIX_CASES,
    VIETNAMESE,
    check,
    dolma_pages,
    lingua_texts,
    reference_ngrams,
    reference_predictions,
    reference_verdict,
    url,
    verdict_of,
    whatlang_texts,
)

from c4forge.corpus.verdict import verdict_names

# ---- real data ---------------------------------------------------------------------------------


def test_first_100_real_pages(detector):
    pages = dolma_pages()
    assert len(pages) == 697
    check(detector, pages[:100])


def test_first_100_real_pages_ngram_lists(detector):
    for text in dolma_pages()[:100]:
        assert detector._fast.ngram_rows(text).tolist() == reference_ngrams(detector, text)


def test_lingua_sentences_short(detector):
    check(detector, lingua_texts(4, 1))


def test_whatlang_examples(detector):
    check(detector, whatlang_texts())


@pytest.mark.slow
def test_real_data_sweep(detector):
    """All 697 pages and 20 lines + 2 long texts per language with C4FORGE_FULL=1, else a
    short form (every 5th page after the first 100, 8 lines + 1 long text per language)."""
    pages = dolma_pages()
    check(detector, pages if FULL else pages[100::5])
    check(detector, lingua_texts(20, 2) if FULL else lingua_texts(8, 1))


@pytest.mark.parametrize("text", EDGE_CASES, ids=range(len(EDGE_CASES)))
def test_edge_cases(detector, text):
    check(detector, [text])
    assert detector._fast.ngram_rows(text).tolist() == reference_ngrams(detector, text)


def test_normalize_table_is_ngram_normalize_everywhere(detector):
    """The table was built from the BMP; NGram.normalize must leave every other code point."""
    from langdetect.utils.ngram import NGram

    table = detector._fast._table.tolist()
    normalize = NGram.normalize
    assert [cp for cp in range(0x110000) if ord(normalize(chr(cp))) != table[cp]] == []


def test_verdict_counters_cover_every_kind(detector):
    seen = {
        verdict_names(verdict_of(detector, t))[0] for t in EDGE_CASES + list(dolma_pages()[:100])
    }
    assert seen >= {
        "passed",
        "filtered:langdetect_exception",
        "filtered:low_confidence",
        "filtered:ignored_language",
    }


def test_predictions_is_plain_langdetect(detector):
    for text in ["hello world, this is English", "Bonjour tout le monde", "12345"]:
        try:
            got = [(p.lang, p.prob) for p in detector.predictions(text)]
        except Exception:
            got = None
        assert got == reference_predictions(text)


def test_pickled_detector_agrees(detector):
    """A pickled detector (e.g. a DoFn built at construction) rebuilds its scratch views."""
    import pickle

    clone = pickle.loads(pickle.dumps(detector))
    for text in dolma_pages()[:30]:
        assert clone._fast.langprob(text) == detector._fast.langprob(text)


def test_threads_share_one_detector(detector):
    from concurrent.futures import ThreadPoolExecutor

    pages = dolma_pages()[:60]
    want = [detector._fast.langprob(t) for t in pages]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(detector._fast.langprob, pages * 2))
    assert got == want * 2


def test_fallback_when_self_checks_fail(detector, monkeypatch):
    monkeypatch.setattr(detector._fast, "exact", False)
    for text in EDGE_CASES[:20]:
        assert verdict_of(detector, text) == reference_verdict(text)


# ---- the 10,000 character prefix ---------------------------------------------------------------


def full_prepared(text: str) -> str:
    """Detector.append's substitutions over the whole text, then its 10,000 character cut."""
    from langdetect.detector import Detector
    from langdetect.utils.ngram import NGram

    text = Detector.URL_RE.sub(" ", text)
    text = Detector.MAIL_RE.sub(" ", text)
    return NGram.normalize_vi(text)[:10_000]


@pytest.mark.parametrize("text", PREFIX_CASES, ids=range(len(PREFIX_CASES)))
def test_long_text_prefix(detector, text):
    assert len(text) > 16_384
    assert detector._fast._prepared(text) == full_prepared(text)
    check(detector, [text])


pieces = st.one_of(
    st.text(st.sampled_from("abcdefghij ABC\n.-_@/:?&=#~;+"), max_size=300),
    st.integers(1, 2_200).map(url),
    st.builds(
        lambda a, b: f"{a}@{b}.example",
        st.text(st.sampled_from("abcxyz.-_09"), min_size=1, max_size=80),
        st.text(st.sampled_from("abcxyz-_09"), min_size=1, max_size=300),
    ),
    st.just(unicodedata.normalize("NFD", VIETNAMESE)),
    st.text(max_size=200),
)


@HYPOTHESIS
@given(st.lists(pieces, min_size=1, max_size=400).map(" ".join))
def test_prefix_property(detector, text):
    assert detector._fast._prepared(text) == full_prepared(text)


@HYPOTHESIS
@given(st.text(ALPHABET, max_size=400))
def test_random_mixed_text(detector, text):
    check(detector, [text])


@HYPOTHESIS
@given(st.text(max_size=300))
def test_random_unicode_text(detector, text):
    check(detector, [text])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(EDGE_CASES[14:34]), min_size=1, max_size=60).map("\n".join))
def test_random_real_words(detector, text):
    check(detector, [text])
