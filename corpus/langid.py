"""English language ID exactly as the reference `detect_english` (docs/C4.md §6).

langdetect 1.0.9 with seed 0 (its `random.Random` is re-seeded for every document, so results do
not depend on call order); a page is English iff the best prediction is "en" with p >= 0.99.
Verdicts use the reference's "english-filter" counter names.

`verdict` runs `corpus._langdetect_fast`, a re-implementation of langdetect's detector that
computes bit-identical probabilities (same n-gram list, same random draws, same float operations
in the same order; its module docstring gives the argument), about 12x faster on real web pages
(bench/bench_langid.py). It then applies the very filter and sort of
`Detector.get_probabilities`, so the (counter, language) pair is the reference's for every
input. `predictions` stays the plain langdetect call. If the re-implementation's start-up
self-checks fail (say, another CPython `random` or numpy), `verdict` falls back to langdetect.
"""

from __future__ import annotations

from typing import NamedTuple

MIN_PROBABILITY = 0.99


class LangVerdict(NamedTuple):
    counter: str  # "passed" or the reference's "filtered:..." name
    language: str  # the best prediction, "" when there is none


class EnglishDetector:
    """Build once per worker: about 1.5 CPU seconds (langdetect's 55 profiles and the fast
    path's tables, ~50 MB). Safe to share between threads."""

    def __init__(self, min_probability: float = MIN_PROBABILITY) -> None:
        from langdetect.detector import Detector
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
        from langdetect.lang_detect_exception import LangDetectException
        from langdetect.language import Language

        from corpus._langdetect_fast import FastLangdetect

        self._factory = DetectorFactory()
        self._factory.load_profile(PROFILES_DIRECTORY)
        self._factory.set_seed(0)
        self._exception = LangDetectException
        self._min_probability = min_probability
        self._fast = FastLangdetect(self._factory)
        self._language = Language
        self._prob_threshold = Detector.PROB_THRESHOLD

    def predictions(self, text: str) -> list:
        """langdetect's `detect_langs(text)` with seed 0: Language(lang, prob), best first."""
        detector = self._factory.create()
        detector.append(text)
        return detector.get_probabilities()

    def _fast_predictions(self, text: str) -> list | None:
        """`predictions(text)` from the fast re-implementation; None where langdetect raises."""
        langprob = self._fast.langprob(text)
        if langprob is None:
            return None
        # Detector._sort_probability: keep p > 0.1, stable sort by prob, best first.
        threshold, language = self._prob_threshold, self._language
        pairs = zip(self._fast.langlist, langprob, strict=True)
        result = [language(lang, p) for lang, p in pairs if p > threshold]
        result.sort(reverse=True)
        return result

    def verdict(self, text: str) -> LangVerdict:
        if self._fast.exact:
            predictions = self._fast_predictions(text)
            if predictions is None:
                return LangVerdict("filtered:langdetect_exception", "")
        else:
            try:
                predictions = self.predictions(text)
            except self._exception:
                return LangVerdict("filtered:langdetect_exception", "")
        if not predictions:
            return LangVerdict("filtered:no_predictions", "")
        best = predictions[0]
        if best.prob < self._min_probability:
            return LangVerdict("filtered:low_confidence", best.lang)
        if best.lang != "en":
            return LangVerdict("filtered:ignored_language", best.lang)
        return LangVerdict("passed", "en")
