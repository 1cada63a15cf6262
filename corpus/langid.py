"""English language ID exactly as the reference `detect_english` (docs/C4.md §6).

langdetect 1.0.9 with seed 0 (its `random.Random` is re-seeded for every document, so results do
not depend on call order); a page is kept iff the best prediction is "en" with p >= 0.99, and
dropped otherwise with the reason the reference counts (`corpus.verdict.Reason`; the detected
language is the verdict's detail).

`verdict` runs `corpus._langdetect_fast`, a re-implementation of langdetect's detector that
computes bit-identical probabilities (same n-gram list, same random draws, same float operations
in the same order; its module docstring gives the argument). It then applies the very filter and
sort of `Detector.get_probabilities`, so the verdict is the reference's for every input.
`verdicts(pages)` is `[verdict(page) for page in pages]` computed by the fast path's batched
mode, which runs the seeded trials of many pages in lockstep on (pages x 55) arrays with the
same float operations per page (lists under 16 go one by one). Speeds are in BENCHMARKS.md
(bench/bench_langid.py). `predictions` stays the plain langdetect call. If the
re-implementation's start-up self-checks fail (say, another CPython `random` or numpy),
`verdict` and `verdicts` fall back to langdetect; if only the lockstep's own checks fail,
`verdicts` runs the pages one by one.
"""

from __future__ import annotations

from collections.abc import Iterable

from c4forge.corpus.page import Page
from c4forge.corpus.verdict import Reason, Verdict, drop, keep

MIN_PROBABILITY = 0.99


class EnglishDetector:
    """Build once per worker: about 1.5 CPU seconds (langdetect's 55 profiles and the fast
    path's tables, ~50 MB). Safe to share between threads."""

    def __init__(self, min_probability: float = MIN_PROBABILITY) -> None:
        from langdetect.detector import Detector
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
        from langdetect.lang_detect_exception import LangDetectException
        from langdetect.language import Language

        from c4forge.corpus._langdetect_fast import BATCH_SIZE, FastLangdetect

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

    def verdict(self, page: Page) -> Verdict:
        """Keeps an English page (its `language` set to "en") or drops it with the reason."""
        if self._fast.exact:
            return self._judge(page, self._fast_predictions(page.text))
        try:
            predictions = self.predictions(page.text)
        except self._exception:
            return drop(Reason.LANGDETECT_EXCEPTION)
        return self._judge(page, predictions)

    def verdicts(self, pages: Iterable[Page], batch_size: int | None = None) -> list[Verdict]:
        """`[self.verdict(page) for page in pages]`, faster: the fast path's lockstep trials
        run `batch_size` pages at a time (default `corpus._langdetect_fast.BATCH_SIZE`, 256).
        The longer the list, the faster per page: pass hundreds of pages where possible."""
        pages = list(pages)
        if not self._fast.exact:
            return [self.verdict(page) for page in pages]
        many = self._fast_predictions_many([page.text for page in pages], batch_size)
        return [self._judge(page, p) for page, p in zip(pages, many, strict=True)]

    def _fast_predictions_many(self, texts: list[str], batch_size: int | None = None) -> list:
        """`_fast_predictions` of every text, through the lockstep path."""
        size = self._batch_size if batch_size is None else batch_size
        return [self._sorted(lp) for lp in self._fast.langprobs(texts, size)]

    def _judge(self, page: Page, predictions: list | None) -> Verdict:
        """detect_english's verdict on a prediction list (None: langdetect raised)."""
        if predictions is None:
            return drop(Reason.LANGDETECT_EXCEPTION)
        if not predictions:
            return drop(Reason.NO_PREDICTIONS)
        best = predictions[0]
        if best.prob < self._min_probability:
            return drop(Reason.LOW_CONFIDENCE, best.lang)
        if best.lang != "en":
            return drop(Reason.IGNORED_LANGUAGE, best.lang)
        return keep(page._replace(language="en"), "en")
