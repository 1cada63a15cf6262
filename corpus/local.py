"""The whole C4 chain in one process, without Beam: for small inputs, tests and benchmarks.

The stages are those of `corpus.stages.stage_plan`, which the Beam build follows too, each a
function over a list of pages. Counters go to `counters[namespace][name]` with the names the
Beam build gives them for the rules' version (page verdicts through `verdict_counters`, line
counts through `versions.counter_key`). Line dedup is done with a dict instead of a shuffle; its
result is the same because the vote (smallest md5 of the URL) does not depend on order.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Iterable

from c4forge.corpus import dedup, versions
from c4forge.corpus.badwords import BadwordsFilter, compile_badwords
from c4forge.corpus.clean import CleanConfig, clean_page
from c4forge.corpus.layout import language_splits
from c4forge.corpus.length import check_length
from c4forge.corpus.page import Page
from c4forge.corpus.paragraphs import check_paragraphs
from c4forge.corpus.sentences import SentenceCounter
from c4forge.corpus.stages import PlannedStage, Stage, stage_plan
from c4forge.corpus.urls import RealnewsDomains, language_split_of, split_of
from c4forge.corpus.variants import Variant
from c4forge.corpus.verdict import Verdict, verdict_counters
from c4forge.corpus.versions import VersionRules
from c4forge.corpus.wet import split_wet_stream


@dataclasses.dataclass
class LocalBuild:
    """Heavy objects built once: Punkt, the English detector (or mC4's CLD3 identifier), the
    badwords lists (language -> words), the RealNews domain list (`realnewslike` only).
    `languages`: mC4's splits to build (None: English train / validation)."""

    variant: Variant
    rules: VersionRules
    sentences: SentenceCounter | None
    detector: object  # corpus.langid.EnglishDetector, or corpus.cld3.LanguageIdentifier (mC4)
    badwords: dict[str, list[str]] | None = None
    realnews_domains: dict | None = None
    languages: tuple[str, ...] | None = None
    counters: dict = dataclasses.field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )

    def counter(self, namespace: str) -> Callable[..., None]:
        """`count(name, amount)` in `namespace` (3.1.0 names), renamed for the version."""
        version = self.rules.version
        keys: dict[str, tuple[str, str] | None] = {}  # name -> its key in this version

        def count(name: str, amount: int = 1) -> None:
            if name not in keys:
                keys[name] = versions.counter_key(version, namespace, name)
            key = keys[name]
            if key is not None:
                self.counters[key[0]][key[1]] += amount

        return count

    def judged(self, namespace: str, verdicts: Iterable[Verdict]) -> list[Page]:
        """Counts each verdict as the reference does; returns the pages kept."""
        out = []
        for verdict in verdicts:
            for ns, name in verdict_counters(self.rules.version, namespace, verdict):
                self.counters[ns][name] += 1
            if verdict.page is not None:
                out.append(verdict.page)
        return out

    # --- stages -------------------------------------------------------------------------------

    def read(self, streams: Iterable) -> list[Page]:
        count = self.counter(versions.SPLIT_WET)
        need_ts = self.rules.page_requires_timestamp
        return [p for s in streams for p in split_wet_stream(s, count, require_timestamp=need_ts)]

    def filter_length(self, pages: list[Page]) -> list[Page]:
        return self.judged(versions.TOO_LONG, (check_length(p) for p in pages))

    def filter_realnews(self, pages: list[Page]) -> list[Page]:
        if self.realnews_domains is None:
            raise ValueError("the realnewslike config needs the RealNews domain list")
        rule = RealnewsDomains.with_bundled_suffixes(self.realnews_domains)
        return self.judged(versions.REALNEWS, (rule.check(p) for p in pages))

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

    def clean(self, pages: list[Page], line_badwords: bool = False) -> list[Page]:
        count = self.counter(versions.CLEAN)
        line_re = None
        if line_badwords and self.badwords:
            line_re = compile_badwords(self.badwords["en"], self.rules.badwords)
        config = CleanConfig()
        return self.judged(
            versions.CLEAN, (clean_page(p, count, self.sentences, config, line_re) for p in pages)
        )

    def dedup_lines(self, pages: list[Page], min_num_sentences: int = 0) -> list[Page]:
        count = self.counter(versions.LINE_DEDUP)
        owner: dict[bytes, tuple[bytes, str]] = {}
        offers: collections.Counter = collections.Counter()
        for p in pages:
            offer = (dedup.line_owner_rank(p, self.rules), p.url)
            for key in dedup.line_keys(p, self.rules):
                offers[key] += 1
                if key not in owner or offer < owner[key]:
                    owner[key] = offer
        owned: dict[str, set] = collections.defaultdict(set)
        for key, (_, url) in owner.items():
            owned[url].add(key)
            if offers[key] > 1 and self.rules.version is versions.C4Version.V2_2_0:
                count("emitted-line-duplicate", offers[key] - 1)  # a 2.2.0 counter
        verdicts = (
            dedup.remove_duplicate_lines(
                p, owned[p.url], count, self.sentences, self.rules, min_num_sentences
            )
            for p in pages
        )
        return self.judged(versions.LINE_DEDUP, verdicts)

    def filter_english(self, pages: list[Page]) -> list[Page]:
        return self.judged(versions.ENGLISH, self.detector.verdicts(pages))

    def filter_paragraphs(self, pages: list[Page]) -> list[Page]:
        return self.judged(versions.PARAGRAPHS, (check_paragraphs(p) for p in pages))

    def filter_languages(self, pages: list[Page]) -> list[Page]:
        kept = self.judged(versions.LANGUAGE, (self.detector.verdict(p) for p in pages))
        if self.languages is None:
            return kept
        return [p for p in kept if p.language in self.languages]

    def filter_badwords(self, pages: list[Page], fraction: float = 1.0) -> list[Page]:
        rule = BadwordsFilter(
            self.badwords or {}, self.rules.badwords, fraction, self.rules.bare_badwords_languages
        )
        return self.judged(versions.BADWORDS, (rule.check(p) for p in pages))

    def split(self, pages: list[Page]) -> dict[str, list[Page]]:
        """split -> pages: train / validation, or mC4's `<lang>` / `<lang>-validation`."""
        names = (
            ["train", "validation"] if self.languages is None else language_splits(self.languages)
        )
        out: dict[str, list[Page]] = {name: [] for name in names}
        for p in pages:
            split = split_of(p.normalized_url) if self.languages is None else language_split_of(p)
            self.counters[split]["examples"] += 1
            out[split].append(p)
        return out

    def stage_fn(self, planned: PlannedStage) -> Callable[[list[Page]], list[Page]]:
        """The function that runs one planned stage over a list of pages."""
        stage = planned.stage
        if stage is Stage.LENGTH:
            return self.filter_length
        if stage is Stage.REALNEWS:
            return self.filter_realnews
        if stage is Stage.URL_DEDUP:
            return self.dedup_urls
        if stage is Stage.PARAGRAPHS:
            return self.filter_paragraphs
        if stage is Stage.LANGUAGES:
            return self.filter_languages
        if stage is Stage.CLEAN:
            return lambda pages: self.clean(pages, planned.line_badwords)
        if stage is Stage.LINE_DEDUP:
            return lambda pages: self.dedup_lines(pages, planned.min_num_sentences)
        if stage is Stage.ENGLISH:
            return self.filter_english
        if stage is Stage.BADWORDS:
            return lambda pages: self.filter_badwords(pages, planned.badwords_fraction)
        raise ValueError(f"no local function for stage {stage!r}")

    def stages(self) -> list[tuple[str, Callable[[list[Page]], list[Page]]]]:
        """(name, function) of the stages after reading, as this variant and version run them."""
        return [(p.stage.value, self.stage_fn(p)) for p in stage_plan(self.variant, self.rules)]

    def run(self, streams: Iterable) -> dict[str, list[Page]]:
        pages = self.read(streams)
        for _, stage in self.stages():
            pages = stage(pages)
        return self.split(pages)
