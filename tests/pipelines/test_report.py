"""The end-of-build report on hand-made counter dicts: funnel rows per config, the mC4
per-language table, reference counters kept apart from our measures, and the PNGs."""

from __future__ import annotations

import json
import struct
from types import SimpleNamespace

import pytest

from c4forge.corpus import mc4
from c4forge.corpus.versions import C4Version, rules_for
from c4forge.pipelines import report
from c4forge.pipelines.inputs import InputPlan

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

EN = {
    "split-wet-file": {"passed": 1000, "wet-file": 2},
    "too-long-filter": {"filtered": 10, "passed": 990},
    "duplicate-url-filter": {"filtered": 90, "passed": 900},
    "clean-page": {"line-passed": 5000, "passed": 400},
    "dedupe-lines": {"line-passed": 4800, "passed": 380},
    "english-filter": {"filtered:low_confidence": 80, "passed": 300},
    "badwords-filter": {"filtered": 30, "passed": 270},
    "badwords-filter-en": {"filtered": 30, "passed": 270},
    "train": {"examples": 269},
    "validation": {"examples": 1},
}

WEBTEXTLIKE = {
    **EN,
    "webtextlike-filter": {"filtered": 840, "missing-page": 3, "passed": 60},
    "clean-page": {"passed": 40},
    "dedupe-lines": {"passed": 38},
    "english-filter": {"passed": 30},
    "badwords-filter": {"filtered": 2, "passed": 28},
    "train": {"examples": 28},
    "validation": {"examples": 0},
}

# An mC4 build of sw, yo, ig, und: no clean_page, CLD3, 0.999 soft badwords.
MULTILINGUAL = {
    "split-wet-file": {"passed": 1000},
    "too-long-filter": {"filtered": 10, "passed": 990},
    "duplicate-url-filter": {"filtered": 90, "passed": 900},
    "paragraph-filter": {"filtered": 500, "passed": 400},
    "dedupe-lines": {"filtered:empty": 20, "passed": 380},
    "language-filter": {
        "filtered:ignored_language": 170,
        "passed": 210,
        "passed:sw": 100,
        "passed:und": 60,
        "passed:yo": 50,
    },
    "badwords-filter": {"filtered": 10, "passed": 198, "soft-passed": 2},
    "badwords-filter-sw": {"filtered": 10, "passed": 88, "soft-passed": 2},
    "sw": {"examples": 89},
    "sw-validation": {"examples": 1},
    "yo": {"examples": 50},
    "und": {"examples": 60},
    "fr": {"examples": 7},  # not built: not in any row
}
MULTILINGUAL_MEASURES = {
    "c4forge-split-chars": {"sw": 89_000, "sw-validation": 1_000, "yo": 25_000, "und": 6_000}
}
LANGUAGES = ("sw", "yo", "ig", "und")

EN_TOP = [
    ("read from WET", 1000),
    ("length <= 190k chars", 990),
    ("unique URL", 900),
]


@pytest.mark.parametrize(
    ("counters", "languages", "expected"),
    [
        pytest.param(
            EN,
            None,
            [
                *EN_TOP,
                ("clean_page", 400),
                ("line dedup", 380),
                ("English (langdetect)", 300),
                ("no badwords", 270),
                ("train examples", 269),
                ("validation examples", 1),
            ],
            id="en",
        ),
        pytest.param(
            WEBTEXTLIKE,
            None,
            [
                *EN_TOP,
                ("WebText-like URL", 60),
                ("clean_page", 40),
                ("line dedup", 38),
                ("English (langdetect)", 30),
                ("no badwords", 28),
                ("train examples", 28),
                ("validation examples", 0),
            ],
            id="webtextlike",
        ),
        pytest.param(
            MULTILINGUAL,
            LANGUAGES,
            [
                *EN_TOP,
                ("paragraph filter", 400),
                ("line dedup", 380),
                ("language ID (CLD3)", 210),
                ("no badwords", 200),  # passed + soft-passed
                ("examples (all splits)", 200),  # sw 89 + 1, yo 50, und 60; fr not built
            ],
            id="multilingual",
        ),
    ],
)
def test_funnel_rows(counters, languages, expected):
    assert report.funnel(counters, C4Version.V3_1_0, languages) == expected


def test_funnel_shows_what_languages_kept():
    """A --languages build: the pages CLD3 gave other languages leave before badwords."""
    measures = {"c4forge-languages": {"filtered:not_selected": 10}}
    rows = report.funnel(MULTILINGUAL, C4Version.V3_1_0, LANGUAGES, measures)
    labels = [label for label, _ in rows]
    i = labels.index("language ID (CLD3)")
    assert rows[i : i + 2] == [("language ID (CLD3)", 210), ("in --languages", 200)]
    assert "in --languages" not in dict(report.funnel(MULTILINGUAL, C4Version.V3_1_0, LANGUAGES))


def test_measures_leave_the_reference_counters():
    counters = {
        **MULTILINGUAL,
        **MULTILINGUAL_MEASURES,
        "c4forge-other": {"x": 1},
    }
    reference, measures = report.separate_measures(counters)
    assert reference == MULTILINGUAL
    assert measures == {**MULTILINGUAL_MEASURES, "c4forge-other": {"x": 1}}


def test_language_table():
    table = report.language_table(MULTILINGUAL, MULTILINGUAL_MEASURES, LANGUAGES)
    # 200 pages in all, fr (not built) left out; ig built but empty: a 0 row, last.
    assert table == [
        {"language": "sw", "pages": 90, "validation": 1, "characters": 90_000, "share": 0.45},
        {"language": "und", "pages": 60, "validation": 0, "characters": 6_000, "share": 0.3},
        {"language": "yo", "pages": 50, "validation": 0, "characters": 25_000, "share": 0.25},
        {"language": "ig", "pages": 0, "validation": 0, "characters": 0, "share": 0.0},
    ]


def test_language_table_breaks_ties_by_code_and_shares_nothing_when_empty():
    counters = {"zu": {"examples": 5}, "af": {"examples": 5}, "af-validation": {"examples": 0}}
    table = report.language_table(counters, {}, ("zu", "yo", "af", "am"))
    assert [(r["language"], r["pages"]) for r in table] == [
        ("af", 5),
        ("zu", 5),
        ("am", 0),
        ("yo", 0),
    ]
    assert [r["share"] for r in table] == [0.5, 0.5, 0.0, 0.0]
    assert all(r["characters"] == 0 for r in table)  # no measures: 0, not an error

    empty = report.language_table({}, {}, ("sw", "und"))
    assert [(r["language"], r["pages"], r["share"]) for r in empty] == [
        ("sw", 0, 0.0),
        ("und", 0, 0.0),
    ]


@pytest.mark.parametrize(
    ("languages", "restricted", "sw_share"),
    [(LANGUAGES, True, "45.00%"), (mc4.MC4_CODES, False, "43.48%")],  # fr: 90 / 207
)
def test_languages_text(languages, restricted, sw_share):
    table = report.language_table(MULTILINGUAL, MULTILINGUAL_MEASURES, languages)
    text = report.languages_text(table, MULTILINGUAL)
    assert text.splitlines()[0] == f"mC4 languages: {len(languages)} built"
    assert ("--languages restricted the build to 4 of the 108" in text) is restricted
    assert "language-filter/filtered:ignored_language" in text
    lines = text.splitlines()
    sw = next(ln for ln in lines if ln.split()[:1] == ["sw"])
    assert sw.split() == ["sw", "90", "1", "90,000", sw_share]
    if restricted:
        assert "no pages: ig" in text
        assert "more languages" not in text
    else:  # 108 languages: the top 20, then one line for the rest
        assert f"... {len(languages) - report.TOP_LANGUAGES} more languages, 0 pages" in text


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _table(n: int, spread: int) -> list[dict]:
    """n languages with pages 1, spread, spread**2, ... (0 for every fifth)."""
    rows = [
        {"language": code, "pages": 0 if i % 5 == 4 else spread ** (i % 6)}
        for i, code in enumerate(mc4.MC4_CODES[:n])
    ]
    return [{**r, "validation": 0, "characters": 0, "share": 0.0} for r in rows]


@pytest.mark.parametrize("spread", [1, 10], ids=["linear", "log"])
def test_languages_png_grows_with_the_languages(spread):
    small_w, small_h = _png_size(report.plot_languages_png(_table(4, spread)))
    all_w, all_h = _png_size(report.plot_languages_png(_table(108, spread)))
    assert small_w == all_w
    assert all_h > 5 * small_h  # ~0.18 in per bar: 108 bars stay readable
    assert all_h >= 108 * 15  # at least 15 px per bar at 100 dpi


def test_funnel_png_is_png():
    rows = report.funnel(EN, C4Version.V3_1_0)
    assert _png_size(report.plot_png(rows))[0] > 0


# A finished Beam result as `collect_counters` reads it.
def _metric(namespace, name, committed, attempted=None):
    key = SimpleNamespace(metric=SimpleNamespace(namespace=namespace, name=name))
    return SimpleNamespace(key=key, committed=committed, attempted=attempted)


class FakeResult:
    def __init__(self, counters: dict, distributions: list | None = None):
        self._metrics = [
            _metric(ns, name, value)
            for ns, names in counters.items()
            for name, value in names.items()
        ]
        self._distributions = distributions or []

    def metrics(self):
        return self

    def query(self):
        return {"counters": self._metrics, "distributions": self._distributions, "gauges": []}


def test_collect_counters_sums_and_falls_back_to_attempted():
    result = FakeResult({"a": {"y": 2, "x": 1}})
    # The same counter from two steps is summed; no committed value: the attempted one.
    result._metrics += [_metric("a", "x", None, attempted=4), _metric("b", "z", 0)]
    assert report.collect_counters(result) == {"a": {"x": 5, "y": 2}, "b": {"z": 0}}


def _settings(tmp_path, config, languages=None):
    return SimpleNamespace(
        rules=rules_for("3.1.0"),
        variant=SimpleNamespace(name=config),
        format="json",
        num_shards=(2, 1),
        badwords={"en": ["a", "b"], "de": ["c"]},
        output=str(tmp_path),
        languages=languages,
        near_dedup=None,
        decontamination=None,
        shuffle_partitions=16,
        local_splits=1,
    )


def test_write_report_multilingual(tmp_path):
    result = FakeResult({**MULTILINGUAL, **MULTILINGUAL_MEASURES})
    settings = _settings(tmp_path, "multilingual", languages=LANGUAGES)
    plan = InputPlan(files=("a.wet.gz",), manifests=("m/wet.paths.gz",))
    returned = report.write_report(result, settings, plan, ["--config", "multilingual"])

    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["counters"] == MULTILINGUAL
    assert stats["measures"] == MULTILINGUAL_MEASURES
    assert stats["languages"] == list(LANGUAGES)
    assert (stats["input_files"], stats["input_manifests"]) == (1, 1)
    assert stats["badwords_count"] == 3  # words over every language's list
    assert [r["language"] for r in stats["language_table"]] == ["sw", "und", "yo", "ig"]
    assert stats["funnel"][-1] == {"stage": "examples (all splits)", "pages": 200}
    text = (tmp_path / "funnel.txt").read_text()
    assert "mC4 languages: 4 built" in text
    assert text.rstrip("\n") == returned["funnel_text"]
    for png in ("funnel.png", "languages.png"):
        assert (tmp_path / png).read_bytes()[:8] == PNG_MAGIC


def test_write_report_english_without_languages(tmp_path):
    measures = {"c4forge-split-chars": {"train": 1234, "validation": 5}}
    settings = _settings(tmp_path, "en")  # English: languages None
    plan = InputPlan(files=(), manifests=())
    report.write_report(FakeResult({**EN, **measures}), settings, plan, [], plot=False)

    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["counters"] == EN
    assert stats["measures"] == measures
    assert "language_table" not in stats
    assert "languages" not in stats
    assert [r["stage"] for r in stats["funnel"][-2:]] == ["train examples", "validation examples"]
    assert "mC4 languages" not in (tmp_path / "funnel.txt").read_text()
    assert not (tmp_path / "funnel.png").exists()
    assert not (tmp_path / "languages.png").exists()


def test_every_mc4_code_counts_as_unrestricted():
    assert len(mc4.MC4_CODES) == len(mc4.MC4_LANGUAGES) + 1 == 108


def test_write_report_near_dedup(tmp_path):
    from c4forge.corpus.minhash import MinHashConfig

    counters = {
        **EN,
        "near-dedup": {"passed": 70, "filtered:near_duplicate": 5, "clusters": 3},
    }
    sizes = SimpleNamespace(count=3, sum=8, min=2, max=4)
    result = FakeResult(counters, [_metric("near-dedup", "cluster_size", sizes)])
    settings = _settings(tmp_path, "en")
    settings.near_dedup = MinHashConfig(bands=20, rows=13)
    settings.near_dedup_rounds = 8
    plan = InputPlan(files=("a.wet.gz",), manifests=())
    report.write_report(result, settings, plan, ["--near-dedup"], plot=False)
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["near_dedup"] == {
        "ngram": 5, "bands": 20, "rows": 13, "seed": 1, "threshold": 0.8,
        "cluster_rounds": 8, "largest_cluster": 4,
    }  # fmt: skip
    assert {"stage": "not a near duplicate", "pages": 70} in stats["funnel"]
    text = (tmp_path / "funnel.txt").read_text()
    assert "near-dedup (pages, pairs and clusters)" in text
    assert "largest near-duplicate cluster: 4 pages" in text
