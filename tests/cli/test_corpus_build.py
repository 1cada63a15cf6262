"""`c4forge corpus build`'s flags: inputs after one flag or repeated, one-line errors."""

from __future__ import annotations

import pytest

from c4forge.cli import corpus_build

import c4_testing


def test_input_takes_several_paths_after_one_flag_and_repeats():
    args, _ = corpus_build.build_parser().parse_known_args(
        ["--input", "a.gz", "b.gz", "--input", "c.gz", "--output", "out"]
    )
    assert args.input == ["a.gz", "b.gz", "c.gz"]


def test_several_inputs_after_one_flag_reach_the_build(shared_data, tmp_path):
    wet = sorted((c4_testing.FIXTURE_WET).glob("*.warc.wet.gz"))
    assert len(wet) >= 2
    argv = c4_testing.build_args([], tmp_path / "out")
    settings, plan, _, _, _ = corpus_build.resolve(
        ["--input", *map(str, wet), *argv, "--config", "en.noclean"]
    )
    assert plan.files == tuple(str(p) for p in wet)
    assert plan.manifests == ()
    assert settings.variant.name == "en.noclean"


def test_no_input_is_one_line(capsys, tmp_path):
    assert corpus_build.main(["--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["c4forge corpus build: error: give --input PATH... or --crawl CC-MAIN-YYYY-WW"]


@pytest.mark.parametrize("shards", ["3", "a,b", "0,1"])
def test_bad_shard_counts_are_one_line(shards, capsys, tmp_path):
    argv = ["--input", str(c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz")]
    argv += [*c4_testing.build_args([], tmp_path / "out"), "--num-shards", shards]
    assert corpus_build.main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("c4forge corpus build: error: --num-shards")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--crawl", "CC-MAIN-2019-18"], ["CC-MAIN-2019-18"]),
        (["--crawl", "CC-MAIN-2019-18,CC-MAIN-2019-22", "--crawl", "CC-MAIN-2018-34"], None),
        (["--crawl", "all", "--config", "webtextlike"], None),
    ],
)
def test_crawls_are_manifests_for_the_workers(flags, expected, shared_data, tmp_path):
    from c4forge.corpus import mc4

    argv = [*c4_testing.build_args([], tmp_path / "out"), *flags]
    if "webtextlike" in flags:
        argv += ["--openwebtext-urls", str(c4_testing.BADWORDS_EN)]  # any text file will do
    _, plan, _, _, _ = corpus_build.resolve(argv)
    crawls = [m.split("/crawl-data/")[1].split("/")[0] for m in plan.manifests]
    if expected is None and "webtextlike" in flags:
        expected = sorted(f"CC-MAIN-{d}" for d in mc4.OPENWEBTEXT_CC_VERSIONS)
    elif expected is None:
        expected = ["CC-MAIN-2018-34", "CC-MAIN-2019-18", "CC-MAIN-2019-22"]
    assert crawls == expected
    assert plan.files == ()
