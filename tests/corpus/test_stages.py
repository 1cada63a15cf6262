"""Tests of corpus/stages.py: the stage plan of every (version, config), as the reference
`C4._get_pages_pcollection` runs its stages (docs/C4.md §1, §7, §8)."""

from __future__ import annotations

import pytest

from c4forge.corpus.stages import PlannedStage, Stage, stage_plan
from c4forge.corpus.variants import VARIANTS, variant
from c4forge.corpus.versions import C4Version, rules_for

L, R, U, C, D, E, B = (
    Stage.LENGTH,
    Stage.REALNEWS,
    Stage.URL_DEDUP,
    Stage.CLEAN,
    Stage.LINE_DEDUP,
    Stage.ENGLISH,
    Stage.BADWORDS,
)
W, P, G = Stage.WEBTEXTLIKE, Stage.PARAGRAPHS, Stage.LANGUAGES
PLANS = {
    # 3.x: badwords is the final page filter.
    ("3.1.0", "en"): [L, U, C, D, E, B],
    ("3.1.0", "en.noclean"): [L, U, E],
    ("3.1.0", "en.noblocklist"): [L, U, C, D, E],
    ("3.1.0", "realnewslike"): [L, R, U, C, D, E, B],
    ("3.0.1", "en"): [L, U, C, D, E, B],
    ("3.0.1", "en.noclean"): [L, U, E],
    ("3.0.1", "en.noblocklist"): [L, U, C, D, E],
    ("3.0.1", "realnewslike"): [L, R, U, C, D, E, B],
    # 2.2.0: badwords is a line rule inside clean_page, never a page filter.
    ("2.2.0", "en"): [L, U, C, D, E],
    ("2.2.0", "en.noclean"): [L, U, E],
    ("2.2.0", "en.noblocklist"): [L, U, C, D, E],
    ("2.2.0", "realnewslike"): [L, R, U, C, D, E],
    # webtextlike: the join with OpenWebText's URLs right after URL dedup.
    ("3.1.0", "webtextlike"): [L, U, W, C, D, E, B],
    ("3.0.1", "webtextlike"): [L, U, W, C, D, E, B],
    ("2.2.0", "webtextlike"): [L, U, W, C, D, E],
    # mC4: paragraph filter, line dedup without the sentence minimum, CLD3, badwords.
    ("3.1.0", "multilingual"): [L, U, P, D, G, B],
    ("3.0.1", "multilingual"): [L, U, P, D, G, B],
}


def test_every_version_and_config_is_listed():
    mc4_220 = ("2.2.0", "multilingual")  # mC4 did not exist: refused
    assert set(PLANS) | {mc4_220} == {(v.value, c) for v in C4Version for c in VARIANTS}


def test_mc4_badwords_fraction_is_the_versions():
    mc4 = variant("multilingual")
    assert stage_plan(mc4, rules_for("3.1.0"))[-1].badwords_fraction == 0.999
    assert stage_plan(mc4, rules_for("3.0.1"))[-1].badwords_fraction == 1.0
    assert all(p.min_num_sentences == 0 for p in stage_plan(mc4, rules_for("3.1.0")))
    with pytest.raises(ValueError, match=r"does not exist in C4 2\.2\.0"):
        stage_plan(mc4, rules_for("2.2.0"))


@pytest.mark.parametrize(("version", "config"), sorted(PLANS))
def test_plan_lists_exactly_the_expected_stages(version, config):
    plan = stage_plan(variant(config), rules_for(version))
    assert [p.stage for p in plan] == PLANS[version, config]


@pytest.mark.parametrize("version", ["2.2.0", "3.0.1", "3.1.0"])
def test_stage_parameters(version):
    en = {p.stage: p for p in stage_plan(variant("en"), rules_for(version))}
    assert en[Stage.LINE_DEDUP].min_num_sentences == 3
    assert en[Stage.CLEAN].line_badwords == (version == "2.2.0")
    if version != "2.2.0":
        assert en[Stage.BADWORDS].badwords_fraction == 1.0
    noblock = {p.stage: p for p in stage_plan(variant("en.noblocklist"), rules_for(version))}
    assert not noblock[Stage.CLEAN].line_badwords  # no list: no line rule either


def test_dedupe_without_clean_keeps_pages_of_any_sentence_count():
    """A variant that dedupes lines without cleaning (not a TFDS config) asks for no minimum."""
    import dataclasses

    var = dataclasses.replace(variant("en.noclean"), name="dedupe-only", dedupe=True)
    plan = stage_plan(var, rules_for("3.1.0"))
    assert PlannedStage(Stage.LINE_DEDUP, min_num_sentences=0) in plan


def test_namespaces_are_the_reference_counter_namespaces():
    names = {p.stage: p.namespace for p in stage_plan(variant("realnewslike"), rules_for("3.1.0"))}
    assert names == {
        Stage.LENGTH: "too-long-filter",
        Stage.REALNEWS: "realnews-domain-filter",
        Stage.URL_DEDUP: "duplicate-url-filter",
        Stage.CLEAN: "clean-page",
        Stage.LINE_DEDUP: "dedupe-lines",
        Stage.ENGLISH: "english-filter",
        Stage.BADWORDS: "badwords-filter",
    }
