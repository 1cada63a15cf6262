"""Tests of corpus/cld3.py (docs/C4.md §6): mC4's language ID verdicts and their reference
counters, CLD3 itself on real sentences, and the TensorFlow trap (a CLD3 identifier built after
TensorFlow was imported crashed the process)."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from c4forge.corpus import cld3, versions
from c4forge.corpus.page import Page
from c4forge.corpus.verdict import Reason, verdict_counters

import c4_testing
import mc4_reference

V310 = versions.C4Version.V3_1_0


def _fake_gcld3(language, probability, reliable):
    result = types.SimpleNamespace(language=language, probability=probability, is_reliable=reliable)

    class Identifier:
        def __init__(self, min_num_bytes, max_num_bytes):
            assert (min_num_bytes, max_num_bytes) == (100, 10_000)  # the reference's

        def FindLanguage(self, text):  # CLD3's name
            return result

    return types.SimpleNamespace(NNetLanguageIdentifier=Identifier)


PAGE = Page("http://x.org/a", "x.org/a", "some text")


@pytest.mark.parametrize(
    ("result", "min_probability", "language", "counters"),
    [
        (("sw", 0.99, True), 0.95, "sw", ["passed", "passed:sw"]),
        (("sw", 0.99, False), 0.95, "und", ["filtered:no_predictions", "passed", "passed:und"]),
        (("sw", 0.9, True), 0.95, "und", ["filtered:low_confidence", "passed", "passed:und"]),
        (("sw", 0.9, True), 0.7, "sw", ["passed", "passed:sw"]),  # 3.0.1's threshold
        (("hr", 0.99, True), 0.95, None, ["filtered:ignored_language"]),
        (("ja-Latn", 0.99, True), 0.95, "ja-Latn", ["passed", "passed:ja-Latn"]),
    ],
)
def test_verdicts_and_reference_counters(result, min_probability, language, counters, monkeypatch):
    monkeypatch.setattr(cld3, "load_gcld3", lambda: _fake_gcld3(*result))
    identifier = cld3.LanguageIdentifier(["sw", "ja-Latn"], min_probability)
    verdict = identifier.verdict(PAGE)
    assert (verdict.page.language if verdict.kept else None) == language
    if language is None:
        assert verdict.reason is Reason.IGNORED_LANGUAGE
    names = [name for _, name in verdict_counters(V310, versions.LANGUAGE, verdict)]
    assert names == counters
    assert PAGE.language == ""  # the input page is not changed


@pytest.mark.parametrize("lang", ["de", "sw", "ja", "ru", "ko", "zh"])
def test_cld3_names_real_sentences(lang, shared_data):
    identifier = cld3.LanguageIdentifier([lang], 0.95)
    text = " ".join(mc4_reference.lingua_sentences(lang)[:15])
    verdict = identifier.verdict(Page("u", "u", text))
    assert verdict.page.language == lang


def test_short_text_is_und(shared_data):
    # Under min_num_bytes (100) CLD3 gives no reliable answer.
    verdict = cld3.LanguageIdentifier(["en"], 0.95).verdict(Page("u", "u", "Hello there."))
    assert verdict.page.language == "und"
    assert verdict.detail == "no_predictions"


def test_identifier_builds_after_tensorflow_was_imported(shared_data):
    """The trap: TensorFlow imported first, then CLD3 (the launcher of a local build)."""
    code = (
        "import tensorflow\n"
        "from c4forge.corpus.cld3 import LanguageIdentifier\n"
        "from c4forge.corpus.page import Page\n"
        "v = LanguageIdentifier(['de'], 0.95).verdict(Page('u', 'u', "
        + repr(" ".join(mc4_reference.lingua_sentences("de")[:10]))
        + "))\n"
        "print(v.page.language, tensorflow.constant(2).numpy() + 1)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=c4_testing.ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["de", "3"]
