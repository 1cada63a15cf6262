"""The two shuffles of the C4 build (docs/C4.md §1, §5): URL dedup and global line dedup.

Both are combines keyed by a hash, never a grouping of lists, so a URL crawled a million times
or a footer line on a million pages costs constant memory per key (the reference's
`CombinePerKey(select_newest_page)` and `Top.PerKey(1)` likewise). The per-page rules are
`corpus.dedup`'s; the counting and rejects are `transforms._StageFn`'s.
"""

from __future__ import annotations

import apache_beam as beam

from c4forge.corpus import dedup, versions
from c4forge.corpus.page import Page
from c4forge.corpus.sentences import SentenceCounter
from c4forge.pipelines.transforms import REJECTS, _StageFn


class _UrlSurvivorFn(beam.CombineFn):
    """Keeps the surviving page and how many pages it stood for.

    Accumulator: (n_pages, page) or None: constant size whatever the group size. The survivor
    key (an md5 of the text) is only computed when two pages meet.
    """

    def __init__(self, survivor: versions.UrlSurvivor) -> None:
        self.survivor = survivor

    def create_accumulator(self):
        return None

    def add_input(self, acc, page):
        if acc is None:
            return (1, page)
        return (acc[0] + 1, dedup.url_survivor(acc[1], page, self.survivor))

    def merge_accumulators(self, accs):
        n, best = 0, None
        for acc in accs:
            if acc is None:
                continue
            n += acc[0]
            best = acc[1] if best is None else dedup.url_survivor(best, acc[1], self.survivor)
        return None if best is None else (n, best)

    def extract_output(self, acc):
        return acc


class _CountUrlDuplicatesFn(_StageFn):
    namespace = versions.URL_DEDUP

    def process(self, element):
        _, (n, page) = element
        self.count("filtered", n - 1)
        self.count("passed")
        yield page


class DedupUrls(beam.PTransform):
    """One page per normalized URL (`select_newest_page`), decided by content, not order."""

    def __init__(self, rules):
        super().__init__()
        self._rules = rules

    def expand(self, pages):
        return (
            pages
            | "KeyByNormalizedUrl" >> beam.Map(lambda p: (p.normalized_url, p))
            | "SelectSurvivor" >> beam.CombinePerKey(_UrlSurvivorFn(self._rules.url_survivor))
            | "Count" >> beam.ParDo(_CountUrlDuplicatesFn(self._rules))
        )


class _LineOwnerFn(beam.CombineFn):
    """Per line key: the smallest (rank, url) offered, and how many pages offered it.

    Accumulator: (n_pages, rank, url) or None: constant size, so a line shared by millions of
    pages costs no more memory than a unique one (the reference's `Top.PerKey(1)` likewise).
    """

    def create_accumulator(self):
        return None

    def add_input(self, acc, offer):
        rank, url = offer
        if acc is None:
            return (1, rank, url)
        if (rank, url) < (acc[1], acc[2]):
            return (acc[0] + 1, rank, url)
        return (acc[0] + 1, acc[1], acc[2])

    def merge_accumulators(self, accs):
        best = None
        n = 0
        for acc in accs:
            if acc is None:
                continue
            n += acc[0]
            if best is None or (acc[1], acc[2]) < (best[1], best[2]):
                best = acc
        return None if best is None else (n, best[1], best[2])

    def extract_output(self, acc):
        return acc


class _OfferLinesFn(beam.DoFn):
    def __init__(self, rules):
        self.rules = rules

    def process(self, page: Page):
        rank = dedup.line_owner_rank(page, self.rules)
        offer = (rank, page.url)
        for key in dedup.line_keys(page, self.rules):
            yield key, offer


class _RemoveLinesFn(_StageFn):
    namespace = versions.LINE_DEDUP

    def __init__(self, rules, punkt_tables, min_num_sentences, with_rejects=False):
        super().__init__(rules, with_rejects)
        self.punkt_tables = punkt_tables
        self.min_num_sentences = min_num_sentences

    def setup(self) -> None:
        super().setup()
        # Punkt only where pages need a sentence minimum after dedup (not mC4, min 0).
        self.sentences = (
            SentenceCounter.from_tables(self.punkt_tables) if self.min_num_sentences else None
        )

    def process(self, element):
        _, joined = element
        pages = list(joined["pages"])
        if len(pages) != 1:
            # Not reachable after URL dedup (raw URLs are unique); counted, never fatal.
            self.count("error:page_count", max(len(pages), 1))
            return
        page = pages[0]
        kept_keys = set(joined["lines"])
        verdict = dedup.remove_duplicate_lines(
            page, kept_keys, self.count, self.sentences, self.rules, self.min_num_sentences
        )
        yield from self.judged(page, verdict)


class _CountLineVotesFn(_StageFn):
    namespace = versions.LINE_DEDUP

    def process(self, element):
        key, (n, _, url) = element
        if n > 1 and self.rules.version is versions.C4Version.V2_2_0:
            self.count("emitted-line-duplicate", n - 1)  # a 2.2.0 counter; 3.x has none
        yield url, key


class DedupLines(beam.PTransform):
    """Global line dedup (`remove_duplicate_text`): each line survives only in the page whose URL
    has the smallest md5; then pages are rebuilt from the lines they own."""

    def __init__(self, rules, punkt_tables, min_num_sentences, with_rejects=False):
        super().__init__()
        self._rules = rules
        self._remove = _RemoveLinesFn(rules, punkt_tables, min_num_sentences, with_rejects)

    def expand(self, pages):
        owned = (
            pages
            | "OfferLines" >> beam.ParDo(_OfferLinesFn(self._rules))
            | "ElectOwner" >> beam.CombinePerKey(_LineOwnerFn())
            | "ByOwner" >> beam.ParDo(_CountLineVotesFn(self._rules))
        )
        by_url = pages | "KeyByUrl" >> beam.Map(lambda p: (p.url, p))
        return (
            {"pages": by_url, "lines": owned}
            | "JoinByUrl" >> beam.CoGroupByKey()
            | "RemoveLines" >> beam.ParDo(self._remove).with_outputs(REJECTS, main="pages")
        )
