"""End-to-end builds on temp files: faults over HTTP, damaged inputs, formats, reports, errors."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c4forge.cli import corpus_build

import c4_testing
from faulty_http import Every, FaultyServer


def _split_dolma(directory, parts=4):
    records = c4_testing.dolma_records()
    return [
        c4_testing.write_wet(directory / f"part-{i}.warc.wet.gz", records[i::parts])
        for i in range(parts)
    ]


@pytest.fixture(scope="module")
def dolma_parts(tmp_path_factory):
    return _split_dolma(tmp_path_factory.mktemp("parts"))


@pytest.fixture(scope="module")
def clean_build(dolma_parts, tmp_path_factory):
    out = tmp_path_factory.mktemp("clean")
    stats = c4_testing.run_build(dolma_parts, out)
    return c4_testing.triples(c4_testing.read_output(out)), stats


def _without(counters, *namespaces):
    return {ns: names for ns, names in counters.items() if ns not in namespaces}


def test_http_faults_give_the_fault_free_output(dolma_parts, clean_build, tmp_path, monkeypatch):
    """A crawl manifest and its WET files served over HTTP: a share of responses fail (reset,
    truncated, corrupted, 503): every download is retried until verified, same output."""
    root = tmp_path / "www"
    seg = root / "crawl-data" / "CC-MAIN-2019-30" / "segments" / "wet"
    seg.mkdir(parents=True)
    names = []
    for p in dolma_parts:
        shutil.copy(p, seg / p.name)
        names.append(f"crawl-data/CC-MAIN-2019-30/segments/wet/{p.name}")
    manifest = root / "crawl-data" / "CC-MAIN-2019-30" / "wet.paths.gz"
    manifest.write_bytes(gzip.compress(("\n".join(names) + "\n").encode()))
    faults = {
        names[0]: ["reset", "truncate"],
        names[1]: ["corrupt", "503"],
        names[2]: ["truncate"],
    }
    with FaultyServer(root, faults=faults, share=Every(3, "reset")) as srv:
        monkeypatch.setenv("C4FORGE_CC_BASE_URL", srv.base_url)
        out = tmp_path / "out"
        argv = c4_testing.build_args([], out, "--crawl", "CC-MAIN-2019-30")
        stats = corpus_build.run([*argv, "--download-attempts", "6", "--download-backoff", "0.01"])
        assert not srv.errors
        assert len(srv.faults_served()) >= 5
    expected, expected_stats = clean_build
    assert c4_testing.triples(c4_testing.read_output(out)) == expected
    assert stats["counters"]["download_wet_url"]["downloaded"] == len(names)
    assert stats["counters"]["download_wet_url"]["retried"] >= 5
    assert _without(stats["counters"], "download_wet_url") == expected_stats["counters"]


def test_damaged_inputs_are_counted_and_skipped(dolma_parts, tmp_path):
    """Truncated gzip, a corrupt member, a record that is not UTF-8, an empty file, binary
    garbage and an unreachable URL: the build completes and keeps every intact record."""
    good = dolma_parts[0]
    records = c4_testing.dolma_records()[0::4]
    data = good.read_bytes()
    members = [gzip.compress(m.encode(), mtime=0) for m in _members(records)]
    assert b"".join(members) == data
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    # A corrupt member in the middle: record 10 is lost, all others survive.
    broken = bytearray(members[11])
    broken[len(broken) // 2] ^= 0xFF
    broken[len(broken) // 2 + 1] ^= 0xFF
    (damaged / "corrupt.warc.wet.gz").write_bytes(b"".join([*members[:11], broken, *members[12:]]))
    # Truncated inside the last member: the last record is lost.
    (damaged / "truncated.warc.wet.gz").write_bytes(data[: len(data) - len(members[-1]) // 2])
    # A record whose body is not UTF-8: that record is lost.
    bad_utf8 = list(members)
    raw = _members(records)
    bad_utf8[6] = gzip.compress(raw[6].encode()[:-8] + b"\xff\xfe ok.\r\n\r\n", mtime=0)
    (damaged / "utf8.warc.wet.gz").write_bytes(b"".join(bad_utf8))
    (damaged / "empty.warc.wet.gz").write_bytes(b"")
    (damaged / "garbage.warc.wet.gz").write_bytes(bytes(range(256)) * 40)
    out_damaged = tmp_path / "out_damaged"
    stats = c4_testing.run_build(
        [damaged / "*.gz", "http://127.0.0.1:9/missing.warc.wet.gz"],
        out_damaged,
        "--config",
        "en.noclean",
        "--download-attempts",
        "1",
    )
    # The same records, minus the two damaged ones, as clean inputs.
    intact = tmp_path / "intact"
    intact.mkdir()
    kept = [r for i, r in enumerate(records) if i not in (10, len(records) - 1)]
    c4_testing.write_wet(intact / "a.warc.wet.gz", kept)
    c4_testing.write_wet(intact / "b.warc.wet.gz", records[:-1])
    c4_testing.write_wet(intact / "c.warc.wet.gz", records[:5] + records[6:])
    out_intact = tmp_path / "out_intact"
    c4_testing.run_build([intact / "*.gz"], out_intact, "--config", "en.noclean")
    got = c4_testing.triples(c4_testing.read_output(out_damaged))
    assert got == c4_testing.triples(c4_testing.read_output(out_intact))
    split = stats["counters"]["split-wet-file"]
    # A damaged gzip member is dropped whole (one member per record, as Common Crawl writes).
    assert split["corrupt-gzip-member"] == 1
    assert split["truncated-gzip"] == 1
    assert split["invalid-utf8-line"] > 1  # that record's line and the garbage file's lines
    assert split["filtered:damaged_record"] == 2  # that record and the garbage file's one
    assert split["unreadable-file"] == 1
    assert split["wet-file"] == 5  # the unreachable URL never became a file
    # The printed funnel shows the damage next to the pages.
    funnel = stats["funnel_text"].splitlines()
    shown = dict(_label_value(ln) for ln in funnel[funnel.index(DAMAGE_HEADING) + 1 :])
    for name in (
        "corrupt-gzip-member",
        "truncated-gzip",
        "invalid-utf8-line",
        "filtered:damaged_record",
        "unreadable-file",
    ):
        assert shown[f"split-wet-file/{name}"] == split[name]
    assert "split-wet-file/line-too-long" not in stats["funnel_text"]  # zero: not shown


DAMAGE_HEADING = "damaged, skipped or retried inputs"


def _label_value(line: str) -> tuple[str, int]:
    label, value = line.split()
    return label, int(value.replace(",", ""))


def test_intact_build_shows_no_damage(clean_build):
    assert "damaged" not in clean_build[1]["funnel_text"]


def _members(records):
    return [c4_testing.WARCINFO] + [c4_testing.wet_record(*r) for r in records]


def test_json_layout_holds_the_same_documents(dolma_parts, clean_build, tmp_path):
    stats = c4_testing.run_build(dolma_parts, tmp_path, "--format", "json")
    names = sorted(p.name for p in tmp_path.glob("c4-*.json.gz"))
    assert names == [
        "c4-train.00000-of-00002.json.gz",
        "c4-train.00001-of-00002.json.gz",
        "c4-validation.00000-of-00001.json.gz",
    ]
    rows = c4_testing.read_output(tmp_path, "json")
    assert all(list(r) == ["url", "text", "timestamp"] for s in rows.values() for r in s)
    assert c4_testing.triples(rows) == clean_build[0]
    assert stats["counters"] == clean_build[1]["counters"]


def test_input_order_does_not_matter(dolma_parts, clean_build, tmp_path):
    stats = c4_testing.run_build(list(reversed(dolma_parts)), tmp_path)
    assert c4_testing.triples(c4_testing.read_output(tmp_path)) == clean_build[0]
    assert stats["counters"] == clean_build[1]["counters"]


def test_rejects_hold_every_dropped_page_with_its_reason(dolma_parts, clean_build, tmp_path):
    stats = c4_testing.run_build(dolma_parts, tmp_path, "--rejects")
    rejects = []
    for path in (tmp_path / "rejects").glob("*.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            rejects += [json.loads(line) for line in f]
    counters = stats["counters"]
    read = counters["split-wet-file"]["passed"]
    kept = sum(counters.get(s, {}).get("examples", 0) for s in ("train", "validation"))
    url_dups = counters["duplicate-url-filter"]["filtered"]
    assert len(rejects) == read - kept - url_dups
    by_stage: dict = {}
    for r in rejects:
        by_stage.setdefault(r["stage"], {}).setdefault(r["reason"], 0)
        by_stage[r["stage"]][r["reason"]] += 1
    for stage, reasons in by_stage.items():
        for reason, n in reasons.items():
            assert counters[stage][reason] == n, (stage, reason)
    assert {"url", "text"} <= set(rejects[0])


def test_report_files(dolma_parts, tmp_path):
    corpus_build.run(
        [a for a in c4_testing.build_args(dolma_parts, tmp_path) if a != "--no-report"]
    )
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["config"] == "en"
    assert stats["c4_version"] == "3.1.0"
    assert stats["input_files"] == len(dolma_parts)
    assert stats["funnel"][0] == {
        "stage": "read from WET",
        "pages": stats["counters"]["split-wet-file"]["passed"],
    }
    pages = [row["pages"] for row in stats["funnel"][:-2]]
    assert pages == sorted(pages, reverse=True)  # a funnel only narrows
    assert (tmp_path / "funnel.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "clean_page" in (tmp_path / "funnel.txt").read_text()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--input", "/nonexistent/*.wet.gz"], "no input matches"),
        (["--badwords", "/nonexistent/en"], "cannot read the badwords file"),
        (["--punkt", "/nonexistent"], "no English Punkt tables"),
        (["--num-shards", "3"], "--num-shards wants TRAIN,VALIDATION"),
        (["--crawl", "2019-18"], "CC-MAIN-YYYY-WW"),
        (["--bogus-flag"], "unknown flag(s): --bogus-flag"),
    ],
)
def test_bad_flags_fail_in_one_line_before_work(extra, message, shared_data, tmp_path, capsys):
    argv = c4_testing.build_args([c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz"], tmp_path / "o")
    argv = argv + extra
    if extra[0] == "--input":
        argv = argv[2:]  # only the bad input
    assert corpus_build.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert message in err[0]
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def small_wet(tmp_path_factory):
    """Twelve real pages as one WET file (gzip member per record) and its intact build."""
    d = tmp_path_factory.mktemp("small")
    path = c4_testing.write_wet(d / "small.warc.wet.gz", c4_testing.dolma_records()[:12])
    out = d / "out"
    c4_testing.run_build([path], out, "--config", "en.noclean")
    return path.read_bytes(), c4_testing.read_output(out)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), min_size=1, max_size=4),
    cut=st.one_of(st.none(), st.floats(0.05, 1)),
)
def test_corrupt_wet_bytes_never_crash_a_build(small_wet, tmp_path_factory, flips, cut):
    """Random byte flips and a random cut: the build completes, every page it writes is an
    intact page, and every lost record is counted as damage."""
    data, intact = small_wet
    bad = bytearray(data)
    for where, xor in flips:
        bad[min(int(where * len(bad)), len(bad) - 1)] ^= xor
    if cut is not None:
        bad = bad[: int(cut * len(bad))]
    d = tmp_path_factory.mktemp("bad")
    (d / "bad.warc.wet.gz").write_bytes(bytes(bad))
    stats = c4_testing.run_build([d / "bad.warc.wet.gz"], d / "out", "--config", "en.noclean")
    got = c4_testing.read_output(d / "out")
    expected = {(r["url"], r["text"]) for rows in intact.values() for r in rows}
    assert {(r["url"], r["text"]) for rows in got.values() for r in rows} <= expected
    split = stats["counters"]["split-wet-file"]
    damage = sum(
        split.get(name, 0)
        for name in ("corrupt-gzip-member", "truncated-gzip", "filtered:damaged_record")
    )
    lost = 12 - split.get("passed", 0)
    assert damage >= (1 if lost else 0)


# --- the in-process runner and the Beam build follow one stage plan ---------------------------


def _realnews_records():
    """Real pages moved to a listed domain, a listed subdomain, an unlisted subdomain and an
    unlisted domain (grover's list), so the realnewslike stage keeps some and drops some."""
    hosts = (
        "http://www.herefordtimes.com/news/",
        "http://sports.gather.com/story/",
        "http://recipes.gather.com/story/",
        "http://www.example.com/story/",
    )
    records = c4_testing.dolma_records()[:160]
    return [(hosts[i % 4] + str(i), date, text) for i, (_, date, text) in enumerate(records)]


def _local_build(paths, config, version):
    from c4forge.corpus.badwords import parse_badwords
    from c4forge.corpus.langid import EnglishDetector
    from c4forge.corpus.local import LocalBuild
    from c4forge.corpus.sentences import SentenceCounter
    from c4forge.corpus.variants import variant
    from c4forge.corpus.versions import rules_for

    domains = json.loads((c4_testing.SHARED_DATA / "realnews" / REALNEWS_JSON).read_text())
    build = LocalBuild(
        variant=variant(config),
        rules=rules_for(version),
        sentences=SentenceCounter.from_nltk_data(str(c4_testing.NLTK_DATA)),
        detector=EnglishDetector(),
        badwords={"en": parse_badwords(c4_testing.BADWORDS_EN.read_bytes())},
        realnews_domains=domains,
    )
    streams = [open(p, "rb") for p in paths]  # noqa: SIM115
    try:
        splits = build.run(streams)
    finally:
        for f in streams:
            f.close()
    pages = {(split, p.url, p.text) for split, ps in splits.items() for p in ps}
    return pages, {ns: dict(c) for ns, c in build.counters.items() if c}


REALNEWS_JSON = "domain_to_allowed_subdomains.json"


@pytest.mark.parametrize(
    ("config", "version"), [("realnewslike", "3.1.0"), ("en", "2.2.0"), ("realnewslike", "2.2.0")]
)
def test_local_runner_equals_beam_build(config, version, dolma_parts, tmp_path):
    paths = [*dolma_parts[:2]]
    if config == "realnewslike":
        paths.append(c4_testing.write_wet(tmp_path / "news.warc.wet.gz", _realnews_records()))
    extra = ["--config", config, "--c4-version", version]
    if config == "realnewslike":
        extra += ["--realnews-domains", str(c4_testing.SHARED_DATA / "realnews" / REALNEWS_JSON)]
    stats = c4_testing.run_build(paths, tmp_path / "out", *extra)
    beam_pages = c4_testing.triples(c4_testing.read_output(tmp_path / "out"))
    local_pages, local_counters = _local_build(paths, config, version)
    assert beam_pages
    assert local_pages == beam_pages
    assert local_counters == stats["counters"]
    if config == "realnewslike":
        news = stats["counters"]["realnews-domain-filter"]
        assert news["passed"] > 0
        assert news["filtered:bad_domain"] > 0
        assert news["filtered:bad_subdomain"] > 0
