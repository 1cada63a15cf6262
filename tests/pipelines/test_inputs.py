"""pipelines/inputs.py: paths, globs, URLs, Common Crawl manifests and --max-files."""

from __future__ import annotations

import dataclasses
import gzip
import random
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c4forge.pipelines import inputs
from c4forge.pipelines.inputs import (
    CC_BASE_URL,
    InputPlan,
    cc_base_url_from_env,
    expand_inputs,
    plan_inputs,
    sample_evenly,
)

from faulty_http import FaultyServer
from input_testing import CRAWL, FAST, SHARED_DATA, WET_GZ, fetch, make_tree

# --------------------------------------------------------------------------------------------
# expand_inputs: paths, globs, URLs


def test_glob_expands_sorted_deduplicated_absolute(tmp_path, monkeypatch):
    files = make_tree(tmp_path, ["b.warc.wet.gz", "a.warc.wet.gz", "c.warc.wet.gz", "notes.txt"])
    want = sorted(str(p) for p in files if p.name.endswith(".gz"))
    assert expand_inputs([str(tmp_path / "*.warc.wet.gz")]) == want
    # relative globs and repeated/overlapping inputs give the same, de-duplicated list
    monkeypatch.chdir(tmp_path)
    got = expand_inputs(["*.warc.wet.gz", "a.warc.wet.gz", str(tmp_path / "c.warc.wet.gz")])
    assert got == want


def test_glob_over_the_shared_fixtures():
    pattern = str(SHARED_DATA / "c4_fixture" / "c4_wet_files" / "*.warc.wet.gz")
    assert expand_inputs([pattern]) == [str(p) for p in WET_GZ[:2]]


@pytest.mark.parametrize("pattern", ["nothing-here/*.warc.wet.gz", "missing.warc.wet.gz"])
def test_pattern_that_matches_nothing_is_an_error(tmp_path, pattern):
    make_tree(tmp_path, ["a.warc.wet.gz"])
    full = str(tmp_path / pattern)
    with pytest.raises(ValueError, match="no input matches") as info:
        expand_inputs([str(tmp_path / "a.warc.wet.gz"), full])
    assert str(info.value) == f"no input matches {full!r}"
    assert "\n" not in str(info.value)


def test_http_urls_are_kept_as_they_are(tmp_path):
    urls = ["https://example.org/b.warc.wet.gz", "http://example.org/a.warc.wet.gz?x=1"]
    local = make_tree(tmp_path, ["c.warc.wet.gz"])[0]
    assert expand_inputs([*urls, str(local), urls[0]]) == sorted([*urls, str(local)])


@pytest.mark.parametrize("given_inputs", [[], [""], ["  "]])
def test_empty_final_list_is_an_error(given_inputs):
    with pytest.raises(ValueError, match="no input files"):
        expand_inputs(given_inputs)


# --------------------------------------------------------------------------------------------
# manifests and --crawl

MANIFEST_LINES = [
    f"crawl-data/{CRAWL}/segments/1555578517558.8/wet/CC-MAIN-20190418101243-00000.warc.wet.gz",
    f"crawl-data/{CRAWL}/segments/1555578517558.8/wet/CC-MAIN-20190418101243-00001.warc.wet.gz",
    f"crawl-data/{CRAWL}/segments/1555578517639.17/wet/CC-MAIN-20190418121317-00002.warc.wet.gz",
]


def manifest_bytes(lines: list[str], gz: bool) -> bytes:
    # out of order, with blank lines and CRLF/trailing space, as hand-edited lists may be
    text = "\r\n".join(["", lines[2], "  ", lines[0] + " ", lines[1], ""]) + "\n"
    data = text.encode()
    return gzip.compress(data, mtime=0) if gz else data


@pytest.mark.parametrize("name", ["wet.paths", "wet.paths.gz"])
def test_local_manifest_becomes_urls_under_the_base_url(tmp_path, name):
    (tmp_path / name).write_bytes(manifest_bytes(MANIFEST_LINES, name.endswith(".gz")))
    got = expand_inputs([str(tmp_path / name)])
    assert got == [f"{CC_BASE_URL}/{line}" for line in MANIFEST_LINES]
    got = expand_inputs([str(tmp_path / name)], cc_base_url="http://mirror.test/cc/")
    assert got == [f"http://mirror.test/cc/{line}" for line in MANIFEST_LINES]


def test_manifest_lines_with_a_scheme_or_absolute_path_are_kept(tmp_path):
    lines = ["gs://bucket/x.warc.wet.gz", "https://h.test/y.warc.wet.gz", "/data/z.warc.wet.gz"]
    (tmp_path / "mine.wet.paths").write_text("\n".join([*lines, MANIFEST_LINES[0]]))
    got = expand_inputs([str(tmp_path / "mine.wet.paths")], cc_base_url="http://m.test")
    assert got == sorted([*lines, f"http://m.test/{MANIFEST_LINES[0]}"])


def test_manifest_glob_and_files_combine(tmp_path):
    (tmp_path / "a.wet.paths").write_text(MANIFEST_LINES[0] + "\n")
    (tmp_path / "b.wet.paths.gz").write_bytes(gzip.compress(MANIFEST_LINES[1].encode()))
    local = make_tree(tmp_path, ["local.warc.wet.gz"])[0]
    got = expand_inputs([str(tmp_path / "*.wet.paths*"), str(local)], cc_base_url="http://m")
    assert got == sorted(
        [f"http://m/{MANIFEST_LINES[0]}", f"http://m/{MANIFEST_LINES[1]}", str(local)]
    )


@pytest.mark.parametrize("name", ["wet.paths", "wet.paths.gz"])
def test_manifest_served_over_http(served, scratch, name):
    (served / name).write_bytes(manifest_bytes(MANIFEST_LINES, name.endswith(".gz")))
    with FaultyServer(served, faults={name: ["503", "truncate"]}) as srv:
        got = expand_inputs(
            [srv.url(name)], cc_base_url="http://m.test", scratch_dir=str(scratch), **FAST
        )
        assert srv.hits(name) == 3
        assert not srv.errors
    assert got == [f"http://m.test/{line}" for line in MANIFEST_LINES]
    assert list(scratch.iterdir()) == []


def test_unreadable_manifest_is_a_value_error(served, scratch, tmp_path):
    with FaultyServer(served) as srv:
        url = srv.url(f"crawl-data/{CRAWL}/wet.paths.gz")
        with pytest.raises(ValueError, match=r"cannot read the manifest .* HTTP 404") as info:
            expand_inputs([], crawl=CRAWL, cc_base_url=srv.base_url, **FAST)
        assert srv.hits() == 1
    assert url in str(info.value)
    (tmp_path / "bad.wet.paths.gz").write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(ValueError, match="cannot read the manifest"):
        expand_inputs([str(tmp_path / "bad.wet.paths.gz")])
    (tmp_path / "empty.wet.paths").write_text("\n \n")
    with pytest.raises(ValueError, match="lists no files"):
        expand_inputs([str(tmp_path / "empty.wet.paths")])


def test_crawl_expands_against_a_local_server(served, scratch, monkeypatch):
    # lay out a miniature Common Crawl: the manifest and the WET files it names
    originals = {}
    for line, src in zip(MANIFEST_LINES, WET_GZ, strict=True):
        (served / line).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, served / line)
        originals[line] = src.read_bytes()
    manifest = served / "crawl-data" / CRAWL / "wet.paths.gz"
    manifest.write_bytes(manifest_bytes(MANIFEST_LINES, gz=True))

    with FaultyServer(served, faults={f"crawl-data/{CRAWL}/wet.paths.gz": ["reset"]}) as srv:
        monkeypatch.setenv("C4FORGE_CC_BASE_URL", srv.base_url)
        base = cc_base_url_from_env()
        assert base == srv.base_url
        urls = expand_inputs([], crawl=CRAWL, cc_base_url=base, scratch_dir=str(scratch), **FAST)
        assert urls == [srv.url(line) for line in MANIFEST_LINES]
        for line, url in zip(MANIFEST_LINES, urls, strict=True):
            assert fetch(url, scratch) == originals[line]
        # a sample of the crawl, as --max-files does
        assert expand_inputs([], crawl=CRAWL, max_files=2, cc_base_url=base, **FAST) == [
            urls[0],
            urls[1],
        ]
        assert not srv.errors


def test_cc_base_url_from_env(monkeypatch):
    monkeypatch.delenv("C4FORGE_CC_BASE_URL", raising=False)
    assert cc_base_url_from_env() == CC_BASE_URL == "https://data.commoncrawl.org"
    monkeypatch.setenv("C4FORGE_CC_BASE_URL", "http://127.0.0.1:9")
    assert cc_base_url_from_env() == "http://127.0.0.1:9"
    assert cc_base_url_from_env({"C4FORGE_CC_BASE_URL": ""}) == CC_BASE_URL


def test_crawl_manifest_url():
    assert inputs.crawl_manifest_url(CRAWL) == (
        f"https://data.commoncrawl.org/crawl-data/{CRAWL}/wet.paths.gz"
    )
    assert inputs.crawl_manifest_url(CRAWL, "http://h:1/") == (
        f"http://h:1/crawl-data/{CRAWL}/wet.paths.gz"
    )


@pytest.mark.parametrize(
    "crawl",
    ["CC-MAIN-2019-1", "cc-main-2019-18", "CC-MAIN-2019-18/", "2019-18", "", "CC-MAIN-19-18"],
)
def test_bad_crawl_id_is_an_error(crawl):
    with pytest.raises(ValueError, match=r"expected the form CC-MAIN-YYYY-WW"):
        expand_inputs([], crawl=crawl)


# --------------------------------------------------------------------------------------------
# max_files


def test_max_files_is_an_evenly_spaced_deterministic_sample(tmp_path):
    files = make_tree(tmp_path, [f"f{i:02d}.warc.wet.gz" for i in range(10)])
    names = [str(p) for p in files]
    pattern = str(tmp_path / "*.warc.wet.gz")
    assert expand_inputs([pattern], max_files=3) == [names[0], names[3], names[6]]
    assert expand_inputs([pattern], max_files=5) == names[::2]
    assert expand_inputs([pattern], max_files=10) == names
    assert expand_inputs([pattern], max_files=99) == names
    # the same whatever order or grouping the inputs come in
    shuffled = names[:]
    random.Random(7).shuffle(shuffled)
    assert expand_inputs(shuffled, max_files=3) == [names[0], names[3], names[6]]
    assert expand_inputs([*shuffled, pattern], max_files=4) == expand_inputs([pattern], max_files=4)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_max_files_must_be_positive(tmp_path, bad):
    make_tree(tmp_path, ["a.warc.wet.gz"])
    with pytest.raises(ValueError, match="max_files"):
        expand_inputs([str(tmp_path / "a.warc.wet.gz")], max_files=bad)


@given(m=st.integers(0, 300), n=st.integers(1, 400))
def test_sample_evenly_properties(m, n):
    items = [f"{i:04d}" for i in range(m)]
    got = sample_evenly(items, n)
    assert len(got) == min(m, n)
    assert got == sorted(set(got))  # distinct, order kept
    if got:
        assert got[0] == items[0]
    assert got == sample_evenly(items, n)


# --------------------------------------------------------------------------------------------
# plan_inputs: files resolved here, manifests left to the workers

CRAWLS = ["CC-MAIN-2019-18", "CC-MAIN-2013-20", "CC-MAIN-2022-27"]


@pytest.fixture
def no_manifest_opened(monkeypatch):
    """Fails the test if anything opens an input (a manifest read on the launcher)."""

    def refuse(location, **kw):
        raise AssertionError(f"opened {location} while planning")

    monkeypatch.setattr(inputs, "open_input", refuse)


def test_plan_leaves_manifests_unread(tmp_path, no_manifest_opened):
    # a corrupt manifest plans fine: nothing reads it here
    (tmp_path / "a.wet.paths.gz").write_bytes(b"\x1f\x8bnot really gzip")
    (tmp_path / "b.wet.paths").write_text(MANIFEST_LINES[0])
    wet = make_tree(tmp_path, ["x.warc.wet.gz", "y.warc.wet.gz"])
    url = "https://example.org/z.warc.wet.gz"
    remote = "https://mirror.test/crawl-data/CC-MAIN-2014-10/wet.paths"
    plan = plan_inputs(
        [str(tmp_path / "*.wet.paths*"), str(tmp_path / "*.warc.wet.gz"), url, remote, url],
        crawls=CRAWLS,
        cc_base_url="http://127.0.0.1:9",  # nothing listens there: planning must not connect
    )
    assert plan.files == (*sorted(str(p) for p in wet), url)
    assert plan.manifests == tuple(
        sorted(
            [
                str(tmp_path / "a.wet.paths.gz"),
                str(tmp_path / "b.wet.paths"),
                remote,
                *(f"http://127.0.0.1:9/crawl-data/{c}/wet.paths.gz" for c in CRAWLS),
            ]
        )
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.files = ()


def test_plan_of_all_86_mc4_dumps_is_86_manifest_urls(no_manifest_opened):
    from c4forge.corpus.mc4 import ALL_CC_VERSIONS

    crawls = [f"CC-MAIN-{v}" for v in ALL_CC_VERSIONS]
    plan = plan_inputs([], crawls=[*crawls, crawls[0]])  # a repeated crawl counts once
    assert plan == InputPlan(
        files=(), manifests=tuple(sorted(inputs.crawl_manifest_url(c) for c in crawls))
    )
    assert len(plan.manifests) == 86


def test_plan_takes_a_lone_crawl_or_input_string(tmp_path, no_manifest_opened):
    assert plan_inputs([], crawls=CRAWL).manifests == (inputs.crawl_manifest_url(CRAWL),)
    wet = make_tree(tmp_path, ["x.warc.wet.gz"])[0]
    assert plan_inputs(str(wet)) == InputPlan(files=(str(wet),), manifests=())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"crawls": [CRAWL, "2019-18"]}, "bad crawl id '2019-18': expected the form CC-MAIN-"),
        ({"max_files": 0}, "max_files must be an integer >= 1, got 0"),
        ({"inputs": ["  "]}, "no input files: give --input"),
    ],
)
def test_plan_errors_are_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        plan_inputs(**{"inputs": [], **kwargs})
    assert "\n" not in str(info.value)


def test_plan_glob_matching_nothing_is_an_error(tmp_path):
    pattern = str(tmp_path / "*.wet.paths.gz")
    with pytest.raises(ValueError, match="no input matches") as info:
        plan_inputs([pattern], crawls=[CRAWL])
    assert str(info.value) == f"no input matches {pattern!r}"


def test_plan_with_max_files_reads_the_manifests_and_keeps_only_the_sample(tmp_path):
    (tmp_path / "a.wet.paths.gz").write_bytes(manifest_bytes(MANIFEST_LINES, gz=True))
    wet = make_tree(tmp_path, [f"f{i}.warc.wet.gz" for i in range(4)])
    given = [str(tmp_path / "a.wet.paths.gz"), *(str(p) for p in wet)]
    for n in (1, 3, 7, 99):
        plan = plan_inputs(given, max_files=n, cc_base_url="http://m.test")
        assert plan.manifests == ()
        assert list(plan.files) == expand_inputs(given, max_files=n, cc_base_url="http://m.test")
        assert len(plan.files) == min(n, 7)
    # every manifest is read for the sample: an unreadable one is the usual error
    (tmp_path / "b.wet.paths").write_text("\n")
    with pytest.raises(ValueError, match="lists no files"):
        plan_inputs([*given, str(tmp_path / "b.wet.paths")], max_files=2)


def test_expand_inputs_reads_several_crawls_and_crawl(served, scratch):
    # two miniature crawls on a local server, named with `crawls=` and the older `crawl=`
    other = "CC-MAIN-2013-20"
    for crawl, lines in ((CRAWL, MANIFEST_LINES[:2]), (other, MANIFEST_LINES[2:])):
        manifest = served / "crawl-data" / crawl / "wet.paths.gz"
        manifest.parent.mkdir(parents=True)
        manifest.write_bytes(gzip.compress("\n".join(lines).encode()))
    with FaultyServer(served) as srv:
        want = sorted(srv.url(line) for line in MANIFEST_LINES)
        kw = {"cc_base_url": srv.base_url, "scratch_dir": str(scratch), **FAST}
        assert expand_inputs([], crawls=[CRAWL, other], **kw) == want
        assert expand_inputs([], crawl=other, crawls=[CRAWL], **kw) == want
        assert not srv.errors
