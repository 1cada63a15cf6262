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

import gzip
import json
import os
import random
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.langid import MIN_PROBABILITY, EnglishDetector, LangVerdict

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DOLMA_JSONL = SHARED_DATA / "cc_text" / "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"
LINGUA = SHARED_DATA / "langid" / "lingua_sentences"
WHATLANG = SHARED_DATA / "langid" / "whatlang" / "examples.json"
FULL = os.environ.get("C4FORGE_FULL") == "1"
HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# ---- the reference -----------------------------------------------------------------------------


@cache
def reference_full(text: str) -> tuple[list[float] | None, list[tuple[str, float]] | None]:
    """langdetect.detect_langs as TFDS calls it (seed 0; the same calls, on the same detector):
    the detector's full `langprob` list and the predictions; None, None where it raises."""
    import langdetect
    from langdetect import detector_factory
    from langdetect.lang_detect_exception import LangDetectException

    langdetect.DetectorFactory.seed = 0
    detector_factory.init_factory()
    ld = detector_factory._factory.create()
    ld.append(text)
    try:
        predictions = ld.get_probabilities()
    except LangDetectException:
        return None, None
    return list(ld.langprob), [(p.lang, p.prob) for p in predictions]


def reference_predictions(text: str) -> list[tuple[str, float]] | None:
    """langdetect.detect_langs as TFDS calls it; None where it raises LangDetectException."""
    return reference_full(text)[1]


def reference_verdict(text: str) -> LangVerdict:
    """tensorflow_datasets c4_utils.detect_english, as a (counter, language) pair."""
    predictions = reference_predictions(text)
    if predictions is None:
        return LangVerdict("filtered:langdetect_exception", "")
    if not predictions:
        return LangVerdict("filtered:no_predictions", "")
    lang, prob = predictions[0]
    if prob < MIN_PROBABILITY:
        return LangVerdict("filtered:low_confidence", lang)
    if lang != "en":
        return LangVerdict("filtered:ignored_language", lang)
    return LangVerdict("passed", "en")


def reference_ngrams(detector: EnglishDetector, text: str) -> list[int]:
    """Profile rows of langdetect's own `_extract_ngrams` after `append(text)`."""
    ld = detector._factory.create()
    ld.append(text)
    ld.cleaning_text()
    return [detector._fast.row_of[g] for g in ld._extract_ngrams()]


@pytest.fixture(scope="module")
def detector() -> EnglishDetector:
    det = EnglishDetector()
    assert det._fast.exact, "the fast path's self-checks failed; verdict() would fall back"
    assert det._fast.batch_exact, "the lockstep's self-checks failed; verdicts() would fall back"
    return det


def ours(detector: EnglishDetector, text: str) -> tuple[LangVerdict, list | None]:
    fast = detector._fast_predictions(text)
    return detector.verdict(text), None if fast is None else [(p.lang, p.prob) for p in fast]


def check(detector: EnglishDetector, texts) -> None:
    """Same verdict and the same predictions (langs and float probabilities) for every text."""
    for text in texts:
        verdict, predictions = ours(detector, text)
        assert predictions == reference_predictions(text), text[:200]
        assert verdict == reference_verdict(text), text[:200]


# ---- data --------------------------------------------------------------------------------------


@cache
def dolma_pages() -> tuple[str, ...]:
    if not DOLMA_JSONL.is_file():
        pytest.fail(f"shared data not found: {DOLMA_JSONL}")
    with gzip.open(DOLMA_JSONL, "rt", encoding="utf-8") as f:
        return tuple(json.loads(line)["text"] for line in f)


@cache
def lingua_texts(lines_per_language: int, long_texts: int) -> tuple[str, ...]:
    """Evenly spaced lines of every language, plus long texts (> 10,000 characters) made of
    consecutive lines, so the 10,000 character cut falls inside real text."""
    files = sorted(LINGUA.glob("*.txt"))
    if not files:
        pytest.fail(f"shared data not found: {LINGUA}")
    texts = []
    for path in files:
        lines = [ln for ln in path.read_text("utf-8").splitlines() if ln.strip()]
        step = max(1, len(lines) // lines_per_language)
        texts += lines[::step][:lines_per_language]
        for k in range(long_texts):
            chunk, start = [], k * 300
            while sum(map(len, chunk)) < 10_500 and start + len(chunk) < len(lines):
                chunk.append(lines[start + len(chunk)])
            texts.append((" " if k % 2 else "\n").join(chunk))
    return tuple(texts)


def whatlang_texts() -> list[str]:
    if not WHATLANG.is_file():
        pytest.fail(f"shared data not found: {WHATLANG}")
    return list(json.loads(WHATLANG.read_text("utf-8")).values())


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


# ---- edge cases --------------------------------------------------------------------------------

VIETNAMESE = "Tiếng Việt là ngôn ngữ của người Việt và là ngôn ngữ chính thức tại Việt Nam."
EDGE_CASES = [
    "",
    " ",
    "   \n\t  \r\n ",
    "0123456789 3.14159 +1 (555) 010-9999",
    "!!! ??? ... --- *** ### $$$ %%% &&& ((( ))) [[[ ]]] {{{ }}}",
    "http://example.com/path?q=1&r=2 https://www.example.org/a/b/c#frag",
    "someone@example.com another.person+tag@mail.example.co.uk",
    "http://a.example https://b.example x@y.example",
    "a",
    "I",
    "hello",
    "Hello",
    "HELLO WORLD THIS IS ALL CAPS TEXT WITH SOME WORDS",
    "NASA and the FBI met the CEO of IBM at the UN in NYC on a Monday.",
    "iPhone McDonald's eBay YouTube LaTeX GmbH AbCdEfGh aBCDe",
    "The quick brown fox jumps over the lazy dog. " * 5,
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Le renard brun rapide saute par-dessus le chien paresseux.",
    VIETNAMESE,
    unicodedata.normalize("NFD", VIETNAMESE),  # combining marks: normalize_vi's job
    "Ặ ặ Ẹ ẹ Ỳ ỳ Ễ ễ ḁ Ḁ ẞ",  # Latin Extended Additional
    "A ẠẠẠ",  # ... which cleaning_text counts as non-Latin (1.0.9 compares int with str)
    "A\u0391\u0300A\u0323",  # found by hypothesis: the same, via normalize_vi
    "这是一个中文句子，用于测试语言检测。我们在北京。",
    "これは日本語の文です。カタカナとひらがな。",
    "한국어 문장입니다. 서울에서 만나요.",
    "ㄅㄆㄇㄈ 注音符號",
    "Привет, мир! Это русский текст. hello world",
    "Привет мир abc",  # Latin dropped by cleaning_text
    "abc Привет",
    "Γειά σου Κόσμε. ΑΥΤΟ ΕΙΝΑΙ ΚΕΦΑΛΑΙΑ.",
    "مرحبا بالعالم. یہ اردو ہے۔ فارسی ی",
    "नमस्ते दुनिया, यह हिंदी है।",
    "Şcoala şi ţara, școala și țara",  # Romanian comma/cedilla
    "naïve café « déjà vu » ° ± ß æ ø å",
    "\u00a0non\u00a0breaking\u00a0spaces\u2003em\u2009thin\u3000ideographic\u1680ogham\x85nel",
    "mixed English and 中文 and русский and العربية in one line",
    "\ud800 lone surrogate \udfff in text",
    "𝐁𝐨𝐥𝐝 𝐌𝐚𝐭𝐡 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 😀🎉 emoji 𠀀 ext-B",
    "ǅemal ǈubljana ǋ ǲ titlecase letters",
    "x" * 20_000,
    "word " * 2_500,
    ("English words around the limit. " * 400)[:9_999] + " tail",
    ("a" * 9_998) + " bc def",
    ("a " * 4_999) + "Z" * 10,
    "http://" + "x" * 2_070 + " then english text follows here " * 20,
    ("see http://example.com/" + "p" * 40 + " ") * 600,
    ("mail x" + "y" * 60 + "@example.com ") * 400 + "and english words at the end",
    " ".join(["Grüße aus München"] * 800),
]


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
    seen = {detector.verdict(t).counter for t in EDGE_CASES + list(dolma_pages()[:100])}
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
        assert detector.verdict(text) == reference_verdict(text)


# ---- the 10,000 character prefix ---------------------------------------------------------------


def full_prepared(text: str) -> str:
    """Detector.append's substitutions over the whole text, then its 10,000 character cut."""
    from langdetect.detector import Detector
    from langdetect.utils.ngram import NGram

    text = Detector.URL_RE.sub(" ", text)
    text = Detector.MAIL_RE.sub(" ", text)
    return NGram.normalize_vi(text)[:10_000]


def url(n: int) -> str:
    return "https://" + ("abc/def?x=1&y=2" * (n // 15 + 1))[:n]


PREFIX_CASES = [
    # A URL straddling every place where a 16,384-character prefix or a trimmed window ends.
    *("w " * (k // 2) + url(2_100) + " english text" * 2_000 for k in range(11_000, 16_500, 613)),
    # So many URLs and e-mails that the first prefix leaves fewer than 10,000 characters.
    " ".join(url(300) for _ in range(200)) + " words" * 3_000,
    " ".join(f"user{i}@host{i}.example.com" for i in range(3_000)) + " after",
    " ".join(url(2_076 + i % 20) + " x" for i in range(60)),
    # Vietnamese combining marks across the cut, and a text that is almost all URL.
    unicodedata.normalize("NFD", VIETNAMESE) * 300,
    url(50_000),
    "http://" + "a" * 30_000 + "@b.example and tail",
]


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


# ---- random text -------------------------------------------------------------------------------

ALPHABET = st.sampled_from(
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ   .,;'-\n\t0123456789@:/"
    "àéèêëïîôöüçñßøåæœ"
    "ĂăÂâÊêÔôƠơƯưĐđ\u0300\u0301\u0303\u0309\u0323ẠạẶặỳ"
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя АБВГД"
    "αβγδεζηθ ΑΒΓΔ אבגד ابتثجح یۀ हिन्दी 中文字漢字 ひらがなカタカナ 한국어 ㄅㄆ"
    "\u00a0\u2003\u3000\u1680\x85«»°"
)


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
def one_by_one(detector: EnglishDetector) -> tuple[LangVerdict, ...]:
    return tuple(detector.verdict(text) for text in batch_texts())


def as_pairs(predictions: list | None) -> list[tuple[str, float]] | None:
    return None if predictions is None else [(p.lang, p.prob) for p in predictions]


@pytest.fixture
def lockstep_always(monkeypatch):
    """Lists of 2 or more texts take the lockstep path (by default, lists shorter than
    _MIN_LOCKSTEP go page by page, which is faster there)."""
    from corpus import _langdetect_fast as fast_module

    monkeypatch.setattr(fast_module, "_MIN_LOCKSTEP", 2)


@pytest.mark.parametrize("text", LIMIT_TEXTS)
def test_limit_texts_hit_the_iteration_limit(detector, lockstep_always, text):
    assert hits_iteration_limit(text)
    assert detector.verdicts([text] * 5, batch_size=2) == [reference_verdict(text)] * 5


@pytest.mark.parametrize("length", [1, 2, 7, 64, 0], ids=["1", "2", "7", "64", "all"])
def test_verdicts_in_shuffled_lists(detector, lockstep_always, length):
    """verdicts() on consecutive lists of `length` texts (0: all at once) == verdict() one by
    one == TFDS's detect_english."""
    texts = list(batch_texts())
    length = length or len(texts)
    got = []
    for at in range(0, len(texts), length):
        got += detector.verdicts(texts[at : at + length])
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
    from corpus import _langdetect_fast as fast_module

    assert detector.verdicts([]) == []
    english = "hello world, this is English"
    assert detector.verdicts(iter([english])) == [LangVerdict("passed", "en")]
    texts = ["", "12345", *EDGE_CASES[8:12], "Bonjour tout le monde", *LIMIT_TEXTS[:2]]
    for lockstep_from in (fast_module._MIN_LOCKSTEP, 2):
        monkeypatch.setattr(fast_module, "_MIN_LOCKSTEP", lockstep_from)
        for length in range(len(texts) + 1):
            batch = texts[:length]
            want = [reference_verdict(t) for t in batch]
            assert detector.verdicts(batch) == want
            assert detector.verdicts(batch, batch_size=2) == want


def test_lockstep_with_small_windows(detector, monkeypatch):
    """Tiny first stream windows and n-gram groups: pages widen at load and later, and the
    draw arenas fill, compact and grow many times."""
    from corpus import _langdetect_fast as fast_module

    monkeypatch.setattr(fast_module, "_WINDOW", 64)
    monkeypatch.setattr(fast_module, "_CHAR_BUDGET", 3_000)
    texts = batch_texts()[:300]
    got = detector._fast.langprobs(texts, batch_size=16)
    assert got == [reference_full(text)[0] for text in texts]


@pytest.mark.parametrize("handoff", [0, 1, 40])
def test_lockstep_hand_off(detector, monkeypatch, handoff):
    """The last `handoff` pages finish one by one, most in the middle of a trial (0: none,
    the lockstep runs down to its last page)."""
    from corpus import _langdetect_fast as fast_module

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
    assert detector.verdicts(texts) == want
    monkeypatch.setattr(detector._fast, "exact", False)
    assert detector.verdicts(texts) == want


def test_verdicts_in_threads_and_pickled(detector):
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    texts = list(batch_texts()[:240])
    want = list(one_by_one(detector)[:240])
    chunks = [texts[at : at + 60] for at in range(0, 240, 60)]
    with ThreadPoolExecutor(4) as pool:
        got = [v for chunk in pool.map(detector.verdicts, chunks) for v in chunk]
    assert got == want
    clone = pickle.loads(pickle.dumps(detector))
    assert clone.verdicts(texts[:80], batch_size=8) == want[:80]


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
    assert detector.verdicts(texts, batch_size=slots) == [reference_verdict(t) for t in texts]
    assert detector._fast.langprobs(texts, batch_size=slots) == [
        reference_full(text)[0] for text in texts
    ]
