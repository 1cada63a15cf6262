"""Shared by the language ID tests: the reference (langdetect 1.0.9 as TFDS calls it), the
comparison helpers, the test data and the hand-picked edge cases."""

from __future__ import annotations

import gzip
import json
import os
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from c4forge.corpus.langid import MIN_PROBABILITY, EnglishDetector
from c4forge.corpus.page import Page
from c4forge.corpus.verdict import Reason, Verdict, drop, keep

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


def as_page(text: str) -> Page:
    return Page("http://example.com/", "example.com", text)


def reference_verdict(text: str) -> Verdict:
    """tensorflow_datasets c4_utils.detect_english on the page `as_page(text)`, as a verdict."""
    predictions = reference_predictions(text)
    if predictions is None:
        return drop(Reason.LANGDETECT_EXCEPTION)
    if not predictions:
        return drop(Reason.NO_PREDICTIONS)
    lang, prob = predictions[0]
    if prob < MIN_PROBABILITY:
        return drop(Reason.LOW_CONFIDENCE, lang)
    if lang != "en":
        return drop(Reason.IGNORED_LANGUAGE, lang)
    return keep(as_page(text)._replace(language="en"), "en")


def verdict_of(detector: EnglishDetector, text: str) -> Verdict:
    return detector.verdict(as_page(text))


def verdicts_of(detector: EnglishDetector, texts, batch_size: int | None = None) -> list[Verdict]:
    """`detector.verdicts` of the pages `as_page(text)`, handed over as an iterator."""
    return detector.verdicts((as_page(text) for text in texts), batch_size)


def reference_ngrams(detector: EnglishDetector, text: str) -> list[int]:
    """Profile rows of langdetect's own `_extract_ngrams` after `append(text)`."""
    ld = detector._factory.create()
    ld.append(text)
    ld.cleaning_text()
    return [detector._fast.row_of[g] for g in ld._extract_ngrams()]


def ours(detector: EnglishDetector, text: str) -> tuple[Verdict, list | None]:
    fast = detector._fast_predictions(text)
    return verdict_of(detector, text), None if fast is None else [(p.lang, p.prob) for p in fast]


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


# ---- long texts around the 10,000 character prefix ----------------------------------------------


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


# ---- random text -------------------------------------------------------------------------------

ALPHABET = st.sampled_from(
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ   .,;'-\n\t0123456789@:/"
    "àéèêëïîôöüçñßøåæœ"
    "ĂăÂâÊêÔôƠơƯưĐđ\u0300\u0301\u0303\u0309\u0323ẠạẶặỳ"
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя АБВГД"
    "αβγδεζηθ ΑΒΓΔ אבגד ابتثجح یۀ हिन्दी 中文字漢字 ひらがなカタカナ 한국어 ㄅㄆ"
    "\u00a0\u2003\u3000\u1680\x85«»°"
)
