"""The page stages of one C4 build, in order, for a (variant, version): one description that the
Beam build (`pipelines.c4.build_pages`) and the in-process runner (`corpus.local`) both follow.

The order is the reference `C4._get_pages_pcollection`: (read WET) length, [realnewslike
domains], URL dedup, [webtextlike join], [paragraph filter], [clean_page], [line dedup],
English (langdetect) or mC4's languages (CLD3), [badwords] (then the split). Brackets depend on
the config (docs/C4.md §8); in 2.2.0 badwords is a line rule inside clean_page (docs/C4.md §7),
so the page filter is absent there. mC4's badwords fraction is the version's.
"""

from __future__ import annotations

import dataclasses
import enum

from c4forge.corpus import versions
from c4forge.corpus.variants import Variant
from c4forge.corpus.versions import BadwordsRule, VersionRules

MIN_SENTENCES_AFTER_DEDUP = 3  # the reference's line dedup keeps pages of 3+ sentences (clean)


class Stage(enum.StrEnum):
    LENGTH = "length"
    REALNEWS = "realnews"
    URL_DEDUP = "url_dedup"
    WEBTEXTLIKE = "webtextlike"
    PARAGRAPHS = "paragraphs"
    CLEAN = "clean"
    LINE_DEDUP = "line_dedup"
    ENGLISH = "english"
    LANGUAGES = "languages"
    BADWORDS = "badwords"


# The counter namespace of each stage (3.1.0 names).
NAMESPACES = {
    Stage.LENGTH: versions.TOO_LONG,
    Stage.REALNEWS: versions.REALNEWS,
    Stage.URL_DEDUP: versions.URL_DEDUP,
    Stage.WEBTEXTLIKE: versions.WEBTEXTLIKE,
    Stage.PARAGRAPHS: versions.PARAGRAPHS,
    Stage.CLEAN: versions.CLEAN,
    Stage.LINE_DEDUP: versions.LINE_DEDUP,
    Stage.ENGLISH: versions.ENGLISH,
    Stage.LANGUAGES: versions.LANGUAGE,
    Stage.BADWORDS: versions.BADWORDS,
}


@dataclasses.dataclass(frozen=True)
class PlannedStage:
    """One stage and its parameters.

    `line_badwords`: CLEAN applies the 2.2.0 line badwords rule. `min_num_sentences`:
    LINE_DEDUP drops pages left with fewer Punkt sentences (0: none). `badwords_fraction`:
    BADWORDS drops this fraction of matching pages.
    """

    stage: Stage
    line_badwords: bool = False
    min_num_sentences: int = 0
    badwords_fraction: float = 0.0

    @property
    def namespace(self) -> str:
        return NAMESPACES[self.stage]


def stage_plan(variant: Variant, rules: VersionRules) -> tuple[PlannedStage, ...]:
    """The stages between reading the WET files and the split, in the reference's order."""
    if variant.multilingual and not rules.has_mc4:
        raise ValueError(f"multilingual C4 (mC4) does not exist in C4 {rules.version.value}")
    fraction = rules.mc4_badwords_fraction if variant.multilingual else variant.badwords_fraction
    badwords = fraction > 0
    line_rule = rules.badwords is BadwordsRule.LINE_UNESCAPED
    plan = [PlannedStage(Stage.LENGTH)]
    if variant.realnewslike:
        plan.append(PlannedStage(Stage.REALNEWS))
    plan.append(PlannedStage(Stage.URL_DEDUP))
    if variant.webtextlike:
        plan.append(PlannedStage(Stage.WEBTEXTLIKE))
    if variant.paragraph_filter:
        plan.append(PlannedStage(Stage.PARAGRAPHS))
    if variant.clean:
        plan.append(PlannedStage(Stage.CLEAN, line_badwords=badwords and line_rule))
    if variant.dedupe:
        min_sentences = MIN_SENTENCES_AFTER_DEDUP if variant.clean else 0
        plan.append(PlannedStage(Stage.LINE_DEDUP, min_num_sentences=min_sentences))
    plan.append(PlannedStage(Stage.LANGUAGES if variant.multilingual else Stage.ENGLISH))
    if badwords and not line_rule:
        plan.append(PlannedStage(Stage.BADWORDS, badwords_fraction=fraction))
    return tuple(plan)
