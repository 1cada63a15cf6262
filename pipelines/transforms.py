"""The C4 stages as composite Beam transforms over `corpus` functions (docs/C4.md §2); the two
dedup shuffles are `pipelines.dedup_stages`'.

Each DoFn builds its heavy objects (Punkt, langdetect profiles, regexes) in `setup()` from data
shipped by value and runs a `corpus` rule, which returns a `corpus.verdict.Verdict`. It counts
through `_Counters` (buffered per bundle): page verdicts through the one adapter
`corpus.verdict.verdict_counters`, line counts renamed per C4 version by `counter_key`; and,
when asked, sends what it drops to the "rejects" output with the stage and reason.
"""

from __future__ import annotations

import collections
import time

import apache_beam as beam
from apache_beam.metrics import Metrics

from c4forge.corpus import badwords as badwords_lib
from c4forge.corpus import versions
from c4forge.corpus.clean import CleanConfig, clean_page
from c4forge.corpus.length import check_length
from c4forge.corpus.page import Page
from c4forge.corpus.paragraphs import check_paragraphs
from c4forge.corpus.urls import RealnewsDomains, language_split_of, split_of
from c4forge.corpus.verdict import Reason, Verdict, drop, keep, reason_name, verdict_counters
from c4forge.corpus.versions import VersionRules
from c4forge.corpus.wet import DEFAULT_MAX_PAGE_CHARS, split_wet_stream
from c4forge.pipelines import per_process, progress, report

REJECTS = "rejects"


class _Counters:
    """`count(name, amount)` for one namespace (3.1.0 names) and `verdict(v)` for a page
    verdict of the stage counting in it: buffered, flushed to Beam metrics per bundle."""

    def __init__(self, namespace: str, version: versions.C4Version) -> None:
        self._namespace = namespace
        self._version = version
        self._pending: collections.Counter = collections.Counter()  # name -> amount
        self._keyed: collections.Counter = collections.Counter()  # (namespace, name) -> amount
        self._metrics: dict[tuple[str, str], object] = {}

    def __call__(self, name: str, amount: int = 1) -> None:
        self._pending[name] += amount

    def verdict(self, verdict: Verdict) -> None:
        for key in verdict_counters(self._version, self._namespace, verdict):
            self._keyed[key] += 1

    def flush(self) -> None:
        for name, amount in self._pending.items():
            key = versions.counter_key(self._version, self._namespace, name)
            if key is not None:
                self._keyed[key] += amount
        for key, amount in self._keyed.items():
            metric = self._metrics.get(key)
            if metric is None:
                metric = self._metrics[key] = Metrics.counter(*key)
            metric.inc(amount)
        self._pending.clear()
        self._keyed.clear()


class _StageFn(beam.DoFn):
    """A DoFn with counters in one namespace and an optional rejects output."""

    namespace = ""

    def __init__(self, rules: VersionRules, with_rejects: bool = False) -> None:
        self.rules = rules
        self.with_rejects = with_rejects

    def setup(self) -> None:
        self.count = _Counters(self.namespace, self.rules.version)

    def finish_bundle(self) -> None:
        self.count.flush()

    def judged(self, page: Page, verdict: Verdict):
        """Counts a rule's verdict on `page`; the outputs: the page kept, or the reject."""
        self.count.verdict(verdict)
        if verdict.page is not None:
            return [verdict.page]
        return self.reject(page, verdict)

    def reject(self, page: Page, verdict: Verdict):
        if self.with_rejects:
            record = reject_record(self.namespace, reason_name(verdict), page)
            return [beam.pvalue.TaggedOutput(REJECTS, record)]
        return []


def reject_record(stage: str, reason: str, page: Page) -> dict:
    return {"stage": stage, "reason": reason, "url": page.url, "text": page.text}


class _ReadWetFn(_StageFn):
    namespace = versions.SPLIT_WET

    def __init__(
        self,
        rules,
        max_page_chars,
        scratch_dir=None,
        attempts=6,
        backoff_s=1.0,
        progress_dir=None,
    ):
        super().__init__(rules)
        self.max_page_chars = max_page_chars
        self.download = {"scratch_dir": scratch_dir, "attempts": attempts, "backoff_s": backoff_s}
        self.progress_dir = progress_dir

    def setup(self) -> None:
        super().setup()
        self.download_count = _Counters(versions.DOWNLOAD, self.rules.version)
        self.progress = progress.FileProgress(self.progress_dir)

    def finish_bundle(self) -> None:
        super().finish_bundle()
        self.download_count.flush()

    def process(self, location: str):
        from c4forge.pipelines.downloads import open_input

        start, pages, size = time.monotonic(), 0, 0
        try:
            with open_input(location, count=self.download_count, **self.download) as stream:
                for page in split_wet_stream(
                    stream,
                    self.count,
                    require_timestamp=self.rules.page_requires_timestamp,
                    max_page_chars=self.max_page_chars,
                ):
                    pages += 1
                    yield page
                size = progress.stream_position(stream)
        except Exception:
            self.count("unreadable-file")
        self.progress.file_read(location, pages, size, time.monotonic() - start)


class ReadWetFiles(beam.PTransform):
    """WET file locations -> pages (`split_wet_file`), files spread over workers. Each file
    read, and the number listed, is reported (`pipelines.progress`; local runs: to
    `progress_dir`)."""

    def __init__(
        self,
        rules,
        max_page_chars=DEFAULT_MAX_PAGE_CHARS,
        scratch_dir=None,
        attempts=6,
        backoff_s=1.0,
        progress_dir=None,
    ):
        super().__init__()
        self._fn = _ReadWetFn(rules, max_page_chars, scratch_dir, attempts, backoff_s, progress_dir)
        self._listed = progress.ListedFilesFn(progress_dir)

    def expand(self, locations):
        # Spread the files over workers; the pages of a file then flow on in the same bundle
        # (a shuffle of every raw page would cost more than it balances).
        return (
            locations
            | "CountFiles" >> beam.ParDo(self._listed)
            | "Reshuffle" >> beam.Reshuffle()
            | "Split" >> beam.ParDo(self._fn)
        )


class _LengthFn(_StageFn):
    namespace = versions.TOO_LONG

    def __init__(self, rules, max_page_chars, with_rejects=False):
        super().__init__(rules, with_rejects)
        self.max_page_chars = max_page_chars

    def process(self, page: Page):
        return self.judged(page, check_length(page, self.max_page_chars))


class FilterLength(beam.PTransform):
    """Drops pages of more than `max_page_chars` code points (`is_valid_length`)."""

    def __init__(self, rules, max_page_chars=DEFAULT_MAX_PAGE_CHARS, with_rejects=False):
        super().__init__()
        self._fn = _LengthFn(rules, max_page_chars, with_rejects)

    def expand(self, pages):
        return pages | beam.ParDo(self._fn).with_outputs(REJECTS, main="pages")


class _RealnewsFn(_StageFn):
    namespace = versions.REALNEWS

    def __init__(self, rules, domains: dict, with_rejects=False):
        super().__init__(rules, with_rejects)
        self.domains = domains

    def setup(self) -> None:
        super().setup()
        # The suffix list snapshot bundled with tldextract: no network on workers.
        self.rule = RealnewsDomains.with_bundled_suffixes(self.domains)

    def process(self, page: Page):
        return self.judged(page, self.rule.check(page))


class FilterRealnewsDomains(beam.PTransform):
    def __init__(self, rules, domains, with_rejects=False):
        super().__init__()
        self._fn = _RealnewsFn(rules, domains, with_rejects)

    def expand(self, pages):
        return pages | beam.ParDo(self._fn).with_outputs(REJECTS, main="pages")


class _ParagraphsFn(_StageFn):
    namespace = versions.PARAGRAPHS

    def process(self, page: Page):
        return self.judged(page, check_paragraphs(page))


class FilterParagraphs(beam.PTransform):
    """mC4's `paragraph_filter`: 3+ lines, the 3 longest of 200+ characters."""

    def __init__(self, rules, with_rejects=False):
        super().__init__()
        self._fn = _ParagraphsFn(rules, with_rejects)

    def expand(self, pages):
        return pages | beam.ParDo(self._fn).with_outputs(REJECTS, main="pages")


class _WebtextlikeFn(_StageFn):
    """`filter_by_webtextlike` on one normalized URL: its pages (at most one after URL dedup)
    and whether OpenWebText lists it."""

    namespace = versions.WEBTEXTLIKE

    def process(self, element):
        _, joined = element
        pages = list(joined["pages"])
        listed = any(True for _ in joined["urls"])
        if not pages:
            if listed:
                self.count("missing-page")
            return
        for page in pages:
            verdict = keep(page) if listed else drop(Reason.NOT_WEBTEXT)
            yield from self.judged(page, verdict)


class JoinWebtextlike(beam.PTransform):
    """Keeps the pages whose normalized URL is one of OpenWebText's (normalized) URLs: the
    reference's CoGroupByKey + `filter_by_webtextlike`, after URL dedup."""

    def __init__(self, rules, urls, with_rejects=False):
        super().__init__()
        self._urls = urls  # PCollection of normalized URLs
        self._fn = _WebtextlikeFn(rules, with_rejects)

    def expand(self, pages):
        # Each URL once (a combine): no key then holds more than a page and a URL, however often
        # the list repeats a URL; the counters are per key, so nothing else changes.
        keyed_urls = (
            self._urls
            | "UniqueUrls" >> beam.Distinct()
            | "KeyUrls" >> beam.Map(lambda url: (url, None))
        )
        keyed_pages = pages | "KeyPages" >> beam.Map(lambda p: (p.normalized_url, p))
        return (
            {"pages": keyed_pages, "urls": keyed_urls}
            | "JoinUrls" >> beam.CoGroupByKey()
            | "Filter" >> beam.ParDo(self._fn).with_outputs(REJECTS, main="pages")
        )


class _CleanFn(_StageFn):
    namespace = versions.CLEAN

    def __init__(self, rules, punkt_tables, badwords=None, with_rejects=False):
        super().__init__(rules, with_rejects)
        self.punkt_tables = punkt_tables
        self.badwords = badwords

    def setup(self) -> None:
        super().setup()
        self.sentences = per_process.sentence_counter(self.punkt_tables)
        self.badword_line_re = (
            badwords_lib.compile_badwords(self.badwords, versions.BadwordsRule.LINE_UNESCAPED)
            if self.badwords
            else None
        )
        self.config = CleanConfig()

    def process(self, page: Page):
        verdict = clean_page(page, self.count, self.sentences, self.config, self.badword_line_re)
        return self.judged(page, verdict)


class CleanPages(beam.PTransform):
    """`clean_page` on every page. `badwords` (2.2.0 only): the line-level badwords rule."""

    def __init__(self, rules, punkt_tables, badwords=None, with_rejects=False):
        super().__init__()
        self._fn = _CleanFn(rules, punkt_tables, badwords, with_rejects)

    def expand(self, pages):
        return pages | beam.ParDo(self._fn).with_outputs(REJECTS, main="pages")


class _EnglishFn(_StageFn):
    """langdetect in batches: the detector runs many pages' trials in lockstep, which is what
    makes it fast. Pages wait in a per-bundle buffer and leave with their own window."""

    namespace = versions.ENGLISH
    batch_size = 256  # pages per lockstep batch (corpus._langdetect_fast.BATCH_SIZE)

    def setup(self) -> None:
        super().setup()
        self.detector = per_process.english_detector()

    def start_bundle(self) -> None:
        self.buffer: list = []

    def process(self, page: Page, window=beam.DoFn.WindowParam, ts=beam.DoFn.TimestampParam):
        self.buffer.append((page, ts, window))
        if len(self.buffer) >= self.batch_size:
            yield from self._flush()

    def finish_bundle(self):
        yield from self._flush()
        super().finish_bundle()

    def _flush(self):
        from apache_beam.utils.windowed_value import WindowedValue

        buffered, self.buffer = self.buffer, []
        verdicts = self.detector.verdicts([page for page, _, _ in buffered])
        for (page, ts, window), verdict in zip(buffered, verdicts, strict=True):
            for out in self.judged(page, verdict):
                if isinstance(out, beam.pvalue.TaggedOutput):
                    yield beam.pvalue.TaggedOutput(out.tag, WindowedValue(out.value, ts, [window]))
                else:
                    yield WindowedValue(out, ts, [window])


class FilterEnglish(beam.PTransform):
    """langdetect (seed 0) p >= 0.99 English (`detect_english`)."""

    def __init__(self, rules, with_rejects=False):
        super().__init__()
        self._fn = _EnglishFn(rules, with_rejects)

    def expand(self, pages):
        return pages | beam.ParDo(self._fn).with_outputs(REJECTS, main="pages")


class _LanguagesFn(_StageFn):
    """CLD3 per page (`detect_languages`); then the `--languages` selection, if any, which
    drops the other languages' pages under the project's own counter (not the reference's)."""

    namespace = versions.LANGUAGE

    def __init__(self, rules, selected=None, with_rejects=False):
        super().__init__(rules, with_rejects)
        self.selected = None if selected is None else frozenset(selected)

    def setup(self) -> None:
        from c4forge.corpus.cld3 import LanguageIdentifier
        from c4forge.corpus.mc4 import MC4_LANGUAGES

        super().setup()
        self.identifier = LanguageIdentifier(MC4_LANGUAGES, self.rules.mc4_min_probability)
        self.unselected = Metrics.counter(report.SELECTION, "filtered:not_selected")

    def process(self, page: Page):
        for out in self.judged(page, self.identifier.verdict(page)):
            unselected = self.selected is not None and isinstance(out, Page)
            if unselected and out.language not in self.selected:
                self.unselected.inc()
                continue
            yield out


class FilterLanguages(beam.PTransform):
    """mC4's language ID: CLD3, pages tagged with their language or "und"; `selected`: keep
    only these languages (None: all of mC4's)."""

    def __init__(self, rules, selected=None, with_rejects=False):
        super().__init__()
        self._fn = _LanguagesFn(rules, selected, with_rejects)

    def expand(self, pages):
        return pages | beam.ParDo(self._fn).with_outputs(REJECTS, main="pages")


class _BadwordsFn(_StageFn):
    namespace = versions.BADWORDS

    def __init__(self, rules, lists, fraction, with_rejects=False):
        super().__init__(rules, with_rejects)
        self.lists = lists
        self.fraction = fraction

    def setup(self) -> None:
        super().setup()
        self.filter = badwords_lib.BadwordsFilter(
            self.lists, self.rules.badwords, self.fraction, self.rules.bare_badwords_languages
        )

    def process(self, page: Page):
        return self.judged(page, self.filter.check(page))


class FilterBadwords(beam.PTransform):
    """The 3.x final badwords filter: `lists` maps a language to its words."""

    def __init__(self, rules, lists, fraction, with_rejects=False):
        super().__init__()
        self._fn = _BadwordsFn(rules, lists, fraction, with_rejects)

    def expand(self, pages):
        return pages | beam.ParDo(self._fn).with_outputs(REJECTS, main="pages")


def _count_split(split: str, page: Page) -> None:
    Metrics.counter(split, "examples").inc()
    Metrics.counter(report.SPLIT_CHARS, split).inc(len(page.text))


SPLITS = ("train", "validation")


class _SplitFn(beam.DoFn):
    def __init__(self, pairs: bool):
        self.pairs = pairs

    def process(self, page: Page):
        split = split_of(page.normalized_url)
        _count_split(split, page)
        yield (split, page) if self.pairs else beam.pvalue.TaggedOutput(split, page)


class SplitPages(beam.PTransform):
    """train / validation by md5(normalized URL) % 1000 (validation when 0): one output per
    split, or with `pairs` one output of (split, page) (what the writer takes: no flatten)."""

    def __init__(self, pairs: bool = False):
        super().__init__()
        self._pairs = pairs

    def expand(self, pages):
        if self._pairs:
            return pages | beam.ParDo(_SplitFn(pairs=True))
        return pages | beam.ParDo(_SplitFn(pairs=False)).with_outputs(*SPLITS)


class _LanguageSplitFn(beam.DoFn):
    def process(self, page: Page):
        split = language_split_of(page)
        _count_split(split, page)
        yield split, page


class SplitLanguages(beam.PTransform):
    """mC4: (split, page) with split `<lang>` or `<lang>-validation` (md5 % 1000 == 0)."""

    def expand(self, pages):
        return pages | beam.ParDo(_LanguageSplitFn())
