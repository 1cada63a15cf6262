"""`c4forge corpus build --near-dedup`: the whole build with near-duplicate removal on WET made
of real pages and planted variants (issue 14): output, report, rejects, bad flags."""

from __future__ import annotations

import gzip
import json

import pytest

from c4forge.cli import corpus_build
from c4forge.pipelines.near_dedup import page_key

import c4_testing
from near_dup_testing import jaccard, planted_pairs, shingle_set

CONFIG = ("--config", "en.noclean")  # no line dedup: variants reach near-dedup whole


@pytest.fixture(scope="module")
def planted_wet(tmp_path_factory):
    """Real pages and one variant each (WET, one gzip member per record), and the pairs."""
    pairs = planted_pairs(seed=3, limit=120)
    records = []
    for url_a, text_a, url_b, text_b, _ in pairs:
        records += [
            (url_a, "2019-07-17T12:00:00Z", text_a),
            (url_b, "2019-07-17T12:00:00Z", text_b),
        ]
    path = tmp_path_factory.mktemp("nd") / "planted.warc.wet.gz"
    return c4_testing.write_wet(path, records), pairs


def _argv(wet, out, *extra):
    args = c4_testing.build_args([wet], out, *CONFIG, "--format", "json", *extra)
    return [a for a in args if a != "--no-report"]


@pytest.fixture(scope="module")
def builds(planted_wet, tmp_path_factory):
    wet, _ = planted_wet
    plain = tmp_path_factory.mktemp("plain")
    nd = tmp_path_factory.mktemp("nd_out")
    corpus_build.run(_argv(wet, plain))
    stats = corpus_build.run(_argv(wet, nd, "--near-dedup", "--rejects"))
    return plain, nd, stats


def _urls(output) -> dict[str, str]:
    return {
        r["url"]: r["text"]
        for rows in c4_testing.read_output(output, "json").values()
        for r in rows
    }


def test_near_duplicates_leave_the_output(planted_wet, builds):
    _, pairs = planted_wet
    plain, nd, stats = builds
    before, after = _urls(plain), _urls(nd)
    removed = before.keys() - after.keys()
    assert after.keys() <= before.keys()
    assert removed
    assert len(removed) == stats["counters"]["near-dedup"]["filtered:near_duplicate"]
    for url_a, _, url_b, _, similarity in pairs:
        if url_a in before and url_b in before and similarity >= 0.9:
            assert (url_a in after) != (url_b in after)  # exactly one of the two is kept
        if similarity < 0.7:
            assert url_a not in removed
            assert url_b not in removed


def test_rejects_name_the_survivor(builds):
    _, nd, _ = builds
    rows = []
    for path in (nd / "rejects").glob("*.jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            rows += [json.loads(line) for line in f]
    near = [r for r in rows if r["stage"] == "near-dedup"]
    assert near
    kept = _urls(nd)
    for r in near:
        assert r["reason"] == "near_duplicate"
        assert r["survivor_url"] in kept
        assert page_key(r["survivor_url"]) < page_key(r["url"])
        assert jaccard(shingle_set(r["text"]), shingle_set(kept[r["survivor_url"]])) >= 0.8


def test_report_has_the_stage_and_the_clusters(builds):
    _, nd, stats = builds
    counters = stats["counters"]["near-dedup"]
    row = next(r for r in stats["funnel"] if r["stage"] == "not a near duplicate")
    assert row["pages"] == counters["passed"]
    assert stats["near_dedup"]["ngram"] == 5
    assert (stats["near_dedup"]["bands"], stats["near_dedup"]["rows"]) == (14, 8)
    assert stats["near_dedup"]["largest_cluster"] == 2  # planted pairs, nothing else similar
    assert counters["clusters"] == counters["filtered:near_duplicate"]
    text = (nd / "funnel.txt").read_text()
    assert "not a near duplicate" in text
    assert "largest near-duplicate cluster: 2 pages" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--minhash-bands", "0"], "bands must be at least 1"),
        (["--near-dedup-threshold", "0"], "threshold must be in (0, 1]"),
        (["--near-dedup-rounds", "0"], "--near-dedup-rounds must be at least 1"),
    ],
)
def test_bad_near_dedup_flags_are_one_line(extra, message, shared_data, tmp_path, capsys):
    argv = c4_testing.build_args(
        [c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz"], tmp_path / "o", "--near-dedup", *extra
    )
    assert corpus_build.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert message in err[0]
    assert not (tmp_path / "o").exists()


def test_same_output_for_any_file_order_and_worker_count(planted_wet, builds, tmp_path):
    """The planted pages in two WET files, given in the other order to two worker processes:
    the same documents as the one-file, one-worker build."""
    _, pairs = planted_wet
    records = [
        (u, "2019-07-17T12:00:00Z", t) for a, ta, b, tb, _ in pairs for u, t in ((a, ta), (b, tb))
    ]
    half = len(records) // 2
    first = c4_testing.write_wet(tmp_path / "a.warc.wet.gz", records[half:])
    second = c4_testing.write_wet(tmp_path / "b.warc.wet.gz", records[:half][::-1])
    out = tmp_path / "out"
    argv = c4_testing.build_args(
        [second, first],
        out,
        *CONFIG,
        "--format",
        "json",
        "--near-dedup",
    )
    argv = [a for a in argv if not a.startswith("--direct_")]
    argv += ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
    corpus_build.run(argv)
    assert _urls(out) == _urls(builds[1])


def test_flag_defaults_are_the_configs():
    """The parser spells its defaults (so that --help loads no numpy); they must be the
    configs'."""
    from c4forge.corpus.decontamination import DecontaminationConfig
    from c4forge.corpus.minhash import DEFAULT_CLUSTER_ROUNDS, MinHashConfig

    args, _ = corpus_build.build_parser().parse_known_args(["--input", "x", "--output", "y"])
    defaults = MinHashConfig()
    assert (
        args.minhash_ngram,
        args.minhash_bands,
        args.minhash_rows,
        args.minhash_seed,
        args.near_dedup_threshold,
    ) == (defaults.ngram, defaults.bands, defaults.rows, defaults.seed, defaults.threshold)
    assert args.near_dedup_rounds == DEFAULT_CLUSTER_ROUNDS
    assert args.decontaminate_ngram == DecontaminationConfig().ngram


def test_help_loads_no_numpy(tmp_path):
    """The near-dedup and decontamination flags keep `corpus build --help` free of numpy."""
    import subprocess
    import sys

    probe = (
        "import sys\nfrom c4forge.cli.main import main\n"
        "try:\n    main(['corpus', 'build', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('NUMPY=' + str('numpy' in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--near-dedup" in done.stdout
    assert done.stdout.rsplit("NUMPY=", 1)[1].strip() == "False"
