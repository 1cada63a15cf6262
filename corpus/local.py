"""The whole C4 chain in one process, without Beam: for small inputs, tests and benchmarks.

Each stage is a function over a list of pages, in the reference order, counting into
`counters[namespace][name]` with the same names as the Beam build. Line dedup is done with a
dict instead of a shuffle; its result is the same because the vote (smallest md5 of the URL)
does not depend on order.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Iterable

from corpus import dedup, versions
from corpus.badwords import BadwordsFilter, compile_badwords
from corpus.clean import CleanConfig, clean_page
from corpus.page import Page
from corpus.sentences import SentenceCounter
from corpus.urls import split_of
from corpus.variants import Variant
from corpus.versions import VersionRules
from corpus.wet import DEFAULT_MAX_PAGE_CHARS, split_wet_stream


@dataclasses.dataclass
class LocalBuild:
    """Heavy objects built once: Punkt, the English detector, the badwords list."""

    variant: Variant
    rules: VersionRules
    sentences: SentenceCounter | None
    detector: object  # corpus.langid.EnglishDetector
    badwords: list[str] | None = None
    counters: dict = dataclasses.field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )

    def counter(self, namespace: str) -> Callable[..., None]:
        bucket = self.counters[namespace]

        def count(name: str, amount: int = 1) -> None:
            bucket[name] += amount

        return count

    # --- stages -------------------------------------------------------------------------------

    def read(self, streams: Iterable) -> list[Page]:
        count = self.counter(versions.SPLIT_WET)
        need_ts = self.rules.page_requires_timestamp
        return [p for s in streams for p in split_wet_stream(s, count, require_timestamp=need_ts)]

    def filter_length(self, pages: list[Page]) -> list[Page]:
        count = self.counter(versions.TOO_LONG)
        out = []
        for p in pages:
            ok = len(p.text) <= DEFAULT_MAX_PAGE_CHARS
            count("passed" if ok else "filtered")
            if ok:
                out.append(p)
        return out

    def dedup_urls(self, pages: list[Page]) -> list[Page]:
        count = self.counter(versions.URL_DEDUP)
        best: dict[str, Page] = {}
        n: collections.Counter = collections.Counter()
        for p in pages:
            n[p.normalized_url] += 1
            other = best.get(p.normalized_url)
            if other is None:
                best[p.normalized_url] = p
            else:
                best[p.normalized_url] = dedup.url_survivor(other, p, self.rules.url_survivor)
        for url in best:
            count("filtered", n[url] - 1)
            count("passed")
        return list(best.values())

    def clean(self, pages: list[Page]) -> list[Page]:
        count = self.counter(versions.CLEAN)
        line_re = None
        if self.badwords and self.rules.badwords is versions.BadwordsRule.LINE_UNESCAPED:
            line_re = compile_badwords(self.badwords, self.rules.badwords)
        config = CleanConfig()
        out = []
        for p in pages:
            cleaned = clean_page(p, count, self.sentences, config, line_re)
            if cleaned is not None:
                out.append(cleaned)
        return out

    def dedup_lines(self, pages: list[Page]) -> list[Page]:
        count = self.counter(versions.LINE_DEDUP)
        owner: dict[bytes, tuple[bytes, str]] = {}
        for p in pages:
            offer = (dedup.line_owner_rank(p, self.rules), p.url)
            for key in dedup.line_keys(p, self.rules):
                if key not in owner or offer < owner[key]:
                    owner[key] = offer
        owned: dict[str, set] = collections.defaultdict(set)
        for key, (_, url) in owner.items():
            owned[url].add(key)
        min_sentences = 3 if self.variant.clean else 0
        out = []
        for p in pages:
            kept = dedup.remove_duplicate_lines(
                p, owned[p.url], count, self.sentences, self.rules, min_sentences
            )
            if kept is not None:
                out.append(kept)
        return out

    def filter_english(self, pages: list[Page]) -> list[Page]:
        count = self.counter(versions.ENGLISH)
        out = []
        for p, verdict in zip(pages, self.detector.verdicts([p.text for p in pages]), strict=True):
            for name in verdict.counters:
                count(name)
            if verdict.counter == "passed":
                out.append(p._replace(language="en"))
        return out

    def filter_badwords(self, pages: list[Page]) -> list[Page]:
        count = self.counter(versions.BADWORDS)
        count_lang = self.counter(versions.BADWORDS + "-en")
        rule = BadwordsFilter(self.badwords, self.rules.badwords, self.variant.badwords_fraction)
        out = []
        for p in pages:
            verdict = rule.verdict(p.text, p.normalized_url)
            count(verdict)
            count_lang(verdict)
            if verdict != "filtered":
                out.append(p)
        return out

    def split(self, pages: list[Page]) -> dict[str, list[Page]]:
        out: dict[str, list[Page]] = {"train": [], "validation": []}
        for p in pages:
            split = split_of(p.normalized_url)
            self.counters[split]["examples"] += 1
            out[split].append(p)
        return out

    def stages(self) -> list[tuple[str, Callable]]:
        """(name, function) of the stages after reading, as this variant and version run them."""
        out = [("length", self.filter_length), ("url_dedup", self.dedup_urls)]
        if self.variant.clean:
            out.append(("clean", self.clean))
        if self.variant.dedupe:
            out.append(("line_dedup", self.dedup_lines))
        out.append(("english", self.filter_english))
        line_rule = self.rules.badwords is versions.BadwordsRule.LINE_UNESCAPED
        if self.variant.badwords_fraction > 0 and not line_rule:
            out.append(("badwords", self.filter_badwords))
        return out

    def run(self, streams: Iterable) -> dict[str, list[Page]]:
        pages = self.read(streams)
        for _, stage in self.stages():
            pages = stage(pages)
        return self.split(pages)
