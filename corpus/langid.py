"""English language ID exactly as the reference `detect_english` (docs/C4.md §6).

langdetect 1.0.9 with seed 0 (its `random.Random` is re-seeded for every document, so results do
not depend on call order); a page is English iff the best prediction is "en" with p >= 0.99.
Verdicts use the reference's "english-filter" counter names.

`verdict` runs `corpus._langdetect_fast`, a re-implementation of langdetect's detector that
computes bit-identical probabilities (same n-gram list, same random draws, same float operations
in the same order; its module docstring gives the argument), about 12x faster on real web pages
(bench/bench_langid.py). It then applies the very filter and sort of
`Detector.get_probabilities`, so the (counter, language) pair is the reference's for every
input. `verdicts(texts)` is `[verdict(text) for text in texts]` computed by the fast path's
batched mode, which runs the seeded trials of many pages in lockstep on (pages x 55) arrays with
the same float operations per page (point 6 of that docstring): about 2.4x faster than `verdict`
on a list of 700 pages, 2.1x on lists of 256, 1.5x on lists of 64 (each call ends with a tail of
a few slow pages; lists under 16 go one by one). `predictions` stays the plain langdetect
call. If the re-implementation's start-up self-checks fail (say, another CPython `random` or
numpy), `verdict` and `verdicts` fall back to langdetect; if only the lockstep's own checks
fail, `verdicts` runs the pages one by one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

MIN_PROBABILITY = 0.99


class LangVerdict(NamedTuple):
    counter: str  # "passed" or the reference's "filtered:..." name
    language: str  # the best prediction, "" when there is none

    @property
    def counters(self) -> tuple[str, ...]:
        """The reference's counter names for this verdict; the last one is the finest reason
        (an ignored language is also counted as "filtered:ignored_language-<xx>")."""
        if self.counter == "filtered:ignored_language":
            return (self.counter, f"{self.counter}-{self.language}")
        return (self.counter,)


class EnglishDetector:
    """Build once per worker: about 1.5 CPU seconds (langdetect's 55 profiles and the fast
    path's tables, ~50 MB). Safe to share between threads."""

    def __init__(self, min_probability: float = MIN_PROBABILITY) -> None:
        from langdetect.detector import Detector
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
        from langdetect.lang_detect_exception import LangDetectException
        from langdetect.language import Language

        from corpus._langdetect_fast import BATCH_SIZE, FastLangdetect

        self._factory = DetectorFactory()
        self._factory.load_profile(PROFILES_DIRECTORY)
        self._factory.set_seed(0)
        self._exception = LangDetectException
        self._min_probability = min_probability
        self._fast = FastLangdetect(self._factory)
        self._batch_size = BATCH_SIZE
        self._language = Language
        self._prob_threshold = Detector.PROB_THRESHOLD

    def predictions(self, text: str) -> list:
        """langdetect's `detect_langs(text)` with seed 0: Language(lang, prob), best first."""
        detector = self._factory.create()
        detector.append(text)
        return detector.get_probabilities()

    def _fast_predictions(self, text: str) -> list | None:
        """`predictions(text)` from the fast re-implementation; None where langdetect raises."""
        return self._sorted(self._fast.langprob(text))

    def _sorted(self, langprob: list[float] | None) -> list | None:
        """Detector._sort_probability of a langprob list (None stays None)."""
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
            return self._judge(self._fast_predictions(text))
        try:
            predictions = self.predictions(text)
        except self._exception:
            return LangVerdict("filtered:langdetect_exception", "")
        return self._judge(predictions)

    def verdicts(self, texts: Iterable[str], batch_size: int | None = None) -> list[LangVerdict]:
        """`[self.verdict(text) for text in texts]`, faster: the fast path's lockstep trials
        run `batch_size` pages at a time (default `corpus._langdetect_fast.BATCH_SIZE`, 256).
        The longer the list, the faster per page: pass hundreds of pages where possible."""
        texts = list(texts)
        if not self._fast.exact:
            return [self.verdict(text) for text in texts]
        return [self._judge(p) for p in self._fast_predictions_many(texts, batch_size)]

    def _fast_predictions_many(self, texts: list[str], batch_size: int | None = None) -> list:
        """`_fast_predictions` of every text, through the lockstep path."""
        size = self._batch_size if batch_size is None else batch_size
        return [self._sorted(lp) for lp in self._fast.langprobs(texts, size)]

    def _judge(self, predictions: list | None) -> LangVerdict:
        """detect_english's verdict on a prediction list (None: langdetect raised)."""
        if predictions is None:
            return LangVerdict("filtered:langdetect_exception", "")
        if not predictions:
            return LangVerdict("filtered:no_predictions", "")
        best = predictions[0]
        if best.prob < self._min_probability:
            return LangVerdict("filtered:low_confidence", best.lang)
        if best.lang != "en":
            return LangVerdict("filtered:ignored_language", best.lang)
        return LangVerdict("passed", "en")
