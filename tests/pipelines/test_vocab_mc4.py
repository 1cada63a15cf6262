"""`c4forge vocab train` on a multilingual (mC4) build: each language's share of the sample
follows mT5's rate n_i ** alpha (`pipelines.vocab_sample.language_budgets`), the same seed
draws the same sample, and --language-alpha is refused for an English build."""

from __future__ import annotations

import contextlib
import io
import json
from collections import defaultdict

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from c4forge.cli import main as cli
from c4forge.corpus.layout import language_split
from c4forge.pipelines import vocab_draw as vd
from c4forge.pipelines import vocab_sample as pv

import mc4_dirs_testing as mc4

FAST = ["--runner", "BundleBasedDirectRunner"]
SIZE = "50"


def _train(corpus, output, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = ["vocab", "train", "--corpus", str(corpus), "--output", str(output), *extra]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def _docs(split: str = "train") -> list[tuple[str, str, str]]:
    """(language, url, text) of every document of the `mc4_dirs_testing` build's `split`."""
    counts = mc4.TRAIN_DOCS if split == "train" else mc4.VALIDATION_DOCS
    return [
        (language, d["url"], d["text"])
        for language, count in counts.items()
        for d in mc4.documents(language, language_split(language, split), count)
    ]


def reference_sample(docs, budget: pv.Budget, seed: int, alpha: float | None) -> list[tuple]:
    """The definition in plain Python: per language, the smallest keys within its budget."""
    by_language = defaultdict(list)
    for language, url, text in docs:
        by_language[language].append((vd.sample_key(seed, url, text), text))
    totals = {
        lang: (len(rows), sum(budget.weight(t) for _, t in rows))
        for lang, rows in by_language.items()
    }
    budgets = vd.language_budgets(totals, budget.limit, alpha)
    out = []
    for language, rows in by_language.items():
        used = 0
        for key, text in sorted(rows):
            if used + budget.weight(text) > budgets[language]:
                break
            used += budget.weight(text)
            out.append((key, text, language))
    return out


@pytest.fixture(scope="module")
def mc4_dir(tmp_path_factory):
    return mc4.write_mc4(tmp_path_factory.mktemp("mc4") / "out")


# --- the shares --------------------------------------------------------------------------------

# sw 40, zh-Latn 9, yo 3 documents: n ** 0.3 = 3.0243, 1.9332, 1.3904 (sum 6.3479).
TOTALS = {"sw": (40, 40), "zh-Latn": (9, 9), "yo": (3, 3)}


def test_budgets_by_hand():
    # 12 * n**0.3 / 6.3479 = 5.717, 3.654, 2.628: floors 5 + 3 + 2 = 10, and the two largest
    # remainders (sw .717, zh-Latn .654) get one more.
    assert vd.language_budgets(TOTALS, 12, 0.3) == {"sw": 6, "zh-Latn": 4, "yo": 2}
    # 30 * share: zh-Latn 9.14 >= its 9 and yo 6.57 >= its 3 documents: all of both, and
    # sw the 18 left.
    assert vd.language_budgets(TOTALS, 30, 0.3) == {"sw": 18, "zh-Latn": 9, "yo": 3}
    # alpha 1 is examples-proportional: 12 * 40/52 = 9.23, 2.08, 0.69 -> 9, 2, 1.
    assert vd.language_budgets(TOTALS, 12, 1.0) == {"sw": 9, "zh-Latn": 2, "yo": 1}
    # alpha 0 is uniform.
    assert vd.language_budgets(TOTALS, 9, 0.0) == {"sw": 3, "zh-Latn": 3, "yo": 3}
    # More than all there is: everything.
    assert vd.language_budgets(TOTALS, 100, 0.3) == {"sw": 40, "zh-Latn": 9, "yo": 3}
    # An English build (no alpha): its one language gets the whole budget.
    assert vd.language_budgets({"": (40, 40)}, 12, None) == {"": 12}
    # A character budget is shared by documents' rates and capped by each language's
    # characters: zh-Latn's 30% of 1000 is more than its 200 characters.
    chars = {"sw": (40, 4000), "zh-Latn": (9, 200), "yo": (3, 3000)}
    budgets = vd.language_budgets(chars, 1000, 0.3)
    assert budgets["zh-Latn"] == 200
    # The 800 left: sw 800 * 3.0243 / 4.4147 = 548.04, yo 251.96 -> 548, 252.
    assert budgets == {"sw": 548, "zh-Latn": 200, "yo": 252}


def test_draw_sample_per_language_is_the_smallest_keys_within_each_budget():
    docs = _docs()
    cases = [("documents", 12, 0.3, 2), ("documents", 30, 0.3, 1), ("characters", 1500, 0.3, 2)]
    cases.append(("documents", 12, 1.0, 3))
    with TestPipeline(options=PipelineOptions(["--direct_running_mode=in_memory"])) as p:
        created = p | beam.Create(docs[::-1])
        for unit, limit, alpha, bits in cases:
            budget = pv.Budget(unit, limit)
            name = f"{unit}{limit}alpha{alpha}bits{bits}"
            draw = pv.DrawSample(budget, seed=3, bucket_bits=bits, language_alpha=alpha)
            got = created | f"Draw{name}" >> draw
            expected = reference_sample(docs, budget, seed=3, alpha=alpha)
            assert_that(got, equal_to(expected), label=f"Check{name}")


# --- the command --------------------------------------------------------------------------------


def _shares(out) -> dict[str, int]:
    summary = json.loads((out / "vocab.json").read_text())
    return {lang: s["documents"] for lang, s in summary["sample"]["languages"].items()}


def test_shares_follow_alpha_and_the_same_seed_draws_the_same_sample(mc4_dir, tmp_path):
    code, printed, err = _train(
        mc4_dir, tmp_path / "a", "--size", SIZE, "--sample-docs", "12", "--seed", "5", *FAST
    )
    assert code == 0, err
    assert _shares(tmp_path / "a") == {"sw": 6, "yo": 2, "zh-Latn": 4}  # test_budgets_by_hand
    assert f"of {mc4_dir} train (3 languages, alpha 0.3); wrote spm.model" in printed
    expected = reference_sample(_docs(), pv.Budget("documents", 12), seed=5, alpha=0.3)
    sample = (tmp_path / "a" / "sample.txt").read_text(encoding="utf-8")
    assert sample == vd.sample_text(expected)
    summary = json.loads((tmp_path / "a" / "vocab.json").read_text())
    assert summary["sample"]["language_alpha"] == 0.3
    assert summary["corpus_documents"] == 52  # `und`'s empty shards add nothing

    # The same documents as --format json, in 3 shards each: the same sample, the same model.
    as_json = mc4.write_mc4(tmp_path / "json", fmt="json", shards=3)
    code, _, err = _train(
        as_json, tmp_path / "b", "--size", SIZE, "--sample-docs", "12", "--seed", "5", *FAST
    )
    assert code == 0, err
    assert (tmp_path / "b" / "sample.txt").read_text(encoding="utf-8") == sample
    assert (tmp_path / "b" / "spm.model").read_bytes() == (
        tmp_path / "a" / "spm.model"
    ).read_bytes()


def test_language_alpha_flag(mc4_dir, tmp_path):
    code, _, err = _train(
        mc4_dir, tmp_path / "v", "--size", SIZE, "--sample-docs", "12", "--language-alpha", "1",
        *FAST,
    )  # fmt: skip
    assert code == 0, err
    assert _shares(tmp_path / "v") == {"sw": 9, "yo": 1, "zh-Latn": 2}
    summary = json.loads((tmp_path / "v" / "vocab.json").read_text())
    assert summary["sample"]["language_alpha"] == 1.0


def test_validation_split_and_a_build_without_stats_json(tmp_path):
    bare = mc4.write_mc4(tmp_path / "bare", stats=False)
    code, _, err = _train(
        bare, tmp_path / "v", "--size", "30", "--split", "validation", "--sample-docs", "10",
        *FAST,
    )  # fmt: skip
    assert code == 0, err
    assert _shares(tmp_path / "v") == {"sw": 2, "zh-Latn": 1}  # all the validation documents
    expected = reference_sample(_docs("validation"), pv.Budget("documents", 10), seed=0, alpha=0.3)
    assert (tmp_path / "v" / "sample.txt").read_text(encoding="utf-8") == vd.sample_text(expected)


# --- errors -------------------------------------------------------------------------------------


def _english_build(out):
    out.mkdir()
    mc4.write_split(out, "train", mc4.documents("en", "train", 3), "tfrecord", shards=1)
    (out / "stats.json").write_text(json.dumps({"config": "en", "c4_version": "3.1.0"}))
    return out


@pytest.mark.parametrize(
    ("build", "extra", "message"),
    [
        (
            "en",
            ["--language-alpha", "0.3"],
            "--language-alpha: {corpus} is an English C4 build; the exponent weighs the "
            "languages of a multilingual one",
        ),
        (
            "mc4",
            ["--language-alpha", "-1"],
            "--language-alpha: the language sampling exponent must be >= 0, got -1.0",
        ),
        (
            "mc4",
            ["--format", "json"],
            "{corpus} holds no multilingual C4 train files "
            "(c4-<language>.tfrecord-?????-of-?????.json.gz)",
        ),
    ],
)
def test_bad_flags_fail_in_one_line_before_work(build, extra, message, mc4_dir, tmp_path):
    corpus = _english_build(tmp_path / "en") if build == "en" else mc4_dir
    code, printed, err = _train(corpus, tmp_path / "v", "--size", SIZE, *extra)
    assert code == 2
    assert printed == ""
    assert err == f"c4forge vocab train: error: {message.format(corpus=corpus)}\n"
    assert not (tmp_path / "v").exists()


def test_both_formats_need_format(mc4_dir, tmp_path):
    both = mc4.write_mc4(tmp_path / "both", fmt="json")
    mc4.write_mc4(both, fmt="tfrecord")
    code, _, err = _train(both, tmp_path / "v", "--size", SIZE)
    assert code == 2
    assert err == (
        f"c4forge vocab train: error: {both} holds both tfrecord and json train files: "
        "pass --format\n"
    )
