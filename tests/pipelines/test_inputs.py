"""Tests of pipelines/inputs.py: input expansion and fault-tolerant downloads."""

from __future__ import annotations

import collections
import gzip
import io
import pickle
import random
import shutil
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines import inputs
from pipelines.inputs import (
    CC_BASE_URL,
    DownloadError,
    cc_base_url_from_env,
    expand_inputs,
    open_input,
    sample_evenly,
)

from faulty_http import Always, Every, FaultyServer

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
WET_GZ = [
    *sorted((SHARED_DATA / "c4_fixture" / "c4_wet_files").glob("*.warc.wet.gz")),
    SHARED_DATA / "wet" / "whirlwind.warc.wet.gz",  # two gzip members
]
WET_PLAIN = SHARED_DATA / "c4_fixture" / "c4_wet_files" / "cc_0.warc.wet"
CRAWL = "CC-MAIN-2019-18"

# Fast retries for tests; the client timeout only matters for the "slow" fault.
FAST = {"attempts": 6, "backoff_s": 0.01, "timeout_s": 5.0}

# The shared data must be there (tests/conftest.py): a missing file fails, never skips.


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def served(tmp_path) -> Path:
    """A directory holding copies of the shared WET files, to serve over HTTP."""
    root = tmp_path / "served"
    root.mkdir()
    for src in [*WET_GZ, WET_PLAIN]:
        shutil.copyfile(src, root / src.name)
    return root


@pytest.fixture
def scratch(tmp_path) -> Path:
    d = tmp_path / "scratch"
    d.mkdir()
    return d


class Counts(collections.Counter):
    def __call__(self, name: str, amount: int = 1) -> None:
        self[name] += amount


def fetch(url: str, scratch: Path, counts: Counts | None = None, **kw) -> bytes:
    with open_input(url, scratch_dir=str(scratch), count=counts, **{**FAST, **kw}) as f:
        return f.read()


def make_tree(root: Path, names: list[str]) -> list[Path]:
    paths = []
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
        paths.append(p)
    return paths


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
# open_input: local files


def test_open_local_gives_the_raw_compressed_bytes():
    src = WET_GZ[0]
    with open_input(str(src)) as f:
        assert f.read() == src.read_bytes()


# --------------------------------------------------------------------------------------------
# open_input: downloads under faults

FILES = [p.name for p in WET_GZ]


@pytest.mark.parametrize("name", FILES)
def test_clean_download(served, scratch, name):
    counts = Counts()
    with FaultyServer(served) as srv:
        assert fetch(srv.url(name), scratch, counts) == (served / name).read_bytes()
        assert srv.hits(name) == 1
    assert counts == {"downloaded": 1, "bytes": (served / name).stat().st_size}


@pytest.mark.parametrize("kind", ["500", "503", "429", "reset", "truncate", "corrupt", "slow"])
@pytest.mark.parametrize("name", FILES)
def test_every_fault_kind_is_retried_until_the_bytes_are_exact(served, scratch, kind, name):
    counts = Counts()
    original = (served / name).read_bytes()
    with FaultyServer(served, faults={name: [kind, kind]}, slow_s=0.5) as srv:
        got = fetch(srv.url(name), scratch, counts, timeout_s=0.2 if kind == "slow" else 5.0)
        assert srv.faults_served(name) == [kind, kind]
        assert srv.hits(name) == 3
        assert not srv.errors
    assert got == original
    assert counts == {"retried": 2, "downloaded": 1, "bytes": len(original)}
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("kind", ["reset", "truncate"])
def test_short_bodies_of_uncompressed_files_are_caught_by_length(served, scratch, kind):
    counts = Counts()
    with FaultyServer(served, faults={WET_PLAIN.name: [kind]}) as srv:
        assert fetch(srv.url(WET_PLAIN.name), scratch, counts) == WET_PLAIN.read_bytes()
        assert srv.hits(WET_PLAIN.name) == 2
    assert counts["retried"] == 1


def test_mixed_fault_plan_uses_every_attempt(served, scratch):
    name = "whirlwind.warc.wet.gz"
    plan = ["reset", "truncate", "corrupt", "500", "503"]
    counts = Counts()
    with FaultyServer(served, faults={name: plan}) as srv:
        assert fetch(srv.url(name), scratch, counts, attempts=6) == (served / name).read_bytes()
        assert [r.fault for r in srv.log] == [*plan, None]
    assert counts["retried"] == 5
    assert counts["downloaded"] == 1


@pytest.mark.parametrize("kind", ["503", "reset", "corrupt", "truncate"])
def test_always_failing_server_gives_up_after_exactly_attempts(served, scratch, kind):
    name = FILES[0]
    counts = Counts()
    with FaultyServer(served, faults={name: Always(kind)}) as srv:
        url = srv.url(name)
        with pytest.raises(DownloadError) as info:
            fetch(url, scratch, counts, attempts=4)
        assert srv.hits(name) == 4
    message = str(info.value)
    assert message.startswith(f"could not download {url} after 4 attempts: ")
    if kind == "503":
        assert message.endswith("HTTP 503 Service Unavailable")
    assert info.value.url == url
    assert info.value.attempts == 4
    assert counts == {"retried": 3, "download-failed": 1}
    assert list(scratch.iterdir()) == []


def test_unreachable_server_gives_up(scratch):
    with FaultyServer(scratch) as srv:
        url = srv.url("x.warc.wet.gz")
    # the server is gone: connection refused on every attempt
    counts = Counts()
    with pytest.raises(DownloadError, match="after 3 attempts: ConnectionRefusedError"):
        fetch(url, scratch, counts, attempts=3)
    assert counts == {"retried": 2, "download-failed": 1}


@pytest.mark.parametrize(("fault", "code"), [(None, 404), ("404", 404), ("403", 403)])
def test_not_found_and_forbidden_fail_at_once(served, scratch, fault, code):
    name = "missing.warc.wet.gz" if fault is None else FILES[0]
    counts = Counts()
    with FaultyServer(served, faults={name: Always(fault)} if fault else None) as srv:
        with pytest.raises(DownloadError, match=f"after 1 attempt: HTTP {code}"):
            fetch(srv.url(name), scratch, counts)
        assert srv.hits(name) == 1
    assert counts == {"download-failed": 1}
    assert list(scratch.iterdir()) == []


def test_temp_file_lives_in_scratch_dir_only_while_open(served, scratch):
    name = FILES[0]
    with FaultyServer(served, faults={name: ["truncate"]}) as srv:
        with open_input(srv.url(name), scratch_dir=str(scratch), **FAST) as f:
            present = list(scratch.iterdir())
            assert len(present) == 1
            assert f.name == str(present[0])
            assert f.read() == (served / name).read_bytes()
        assert list(scratch.iterdir()) == []
        # also when the body of the with-block raises
        with pytest.raises(RuntimeError), open_input(srv.url(name), scratch_dir=str(scratch)):
            raise RuntimeError("boom")
        assert list(scratch.iterdir()) == []


def test_default_scratch_dir_is_the_temp_dir(served, tmp_path, monkeypatch):
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    monkeypatch.setattr(inputs.tempfile, "tempdir", str(tmp))
    with FaultyServer(served) as srv, open_input(srv.url(FILES[0]), **FAST) as f:
        assert Path(f.name).parent == tmp
    assert list(tmp.iterdir()) == []


def test_share_mode_fails_every_nth_request(served, scratch):
    counts = Counts()
    with FaultyServer(served, share=Every(2, "reset")) as srv:
        for name in FILES:
            assert fetch(srv.url(name), scratch, counts) == (served / name).read_bytes()
        # server-wide requests 1..5: a ok, b reset, b ok, c reset, c ok
        assert [(r.path, r.fault) for r in srv.log] == [
            (FILES[0], None),
            (FILES[1], "reset"),
            (FILES[1], None),
            (FILES[2], "reset"),
            (FILES[2], None),
        ]
    assert counts["retried"] == 2


def test_every_plan_per_path(served, scratch):
    name = FILES[0]
    with FaultyServer(served, faults={name: Every(2, "503")}) as srv:
        for _ in range(3):
            fetch(srv.url(name), scratch)
        assert [r.fault for r in srv.log] == [None, "503", None, "503", None]


def test_server_rejects_unknown_fault_kinds(tmp_path):
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultyServer(tmp_path, faults={"x": ["explode"]})
    with pytest.raises(TypeError):
        FaultyServer(tmp_path, faults={"x": "reset"})


def test_concurrent_downloads(served, scratch):
    from concurrent.futures import ThreadPoolExecutor

    counts = Counts()
    with FaultyServer(served, share=Every(3, "truncate")) as srv:
        with ThreadPoolExecutor(4) as pool:
            names = FILES * 4
            got = list(pool.map(lambda n: fetch(srv.url(n), scratch, counts), names))
        assert got == [(served / n).read_bytes() for n in names]
        assert counts["retried"] == len(srv.faults_served())
        assert not srv.errors
    assert list(scratch.iterdir()) == []


# --------------------------------------------------------------------------------------------
# the gzip check and the error type


def test_gzip_check_accepts_whole_multi_member_streams_and_zero_padding():
    data = WET_GZ[-1].read_bytes()
    inputs._verify_gzip(io.BytesIO(data))
    inputs._verify_gzip(io.BytesIO(data + b"\0" * 10))
    inputs._verify_gzip(io.BytesIO(b"not gzip at all"))  # nothing to check


def test_gzip_check_rejects_every_truncation_and_trailing_garbage():
    data = WET_GZ[-1].read_bytes()
    # (from 2 bytes on: a 1-byte body has no gzip magic; only its length can be checked)
    boundaries = [cut for cut in range(2, len(data)) if _whole_members(data[:cut])]
    assert len(boundaries) == 1  # whirlwind.warc.wet.gz has two members
    for cut in range(2, len(data)):
        if cut in boundaries:
            inputs._verify_gzip(io.BytesIO(data[:cut]))
        else:
            with pytest.raises(inputs._RetryableError):
                inputs._verify_gzip(io.BytesIO(data[:cut]))
    with pytest.raises(inputs._RetryableError, match="trailing garbage"):
        inputs._verify_gzip(io.BytesIO(data + b"\0\0junk"))
    with pytest.raises(zlib.error):
        inputs._verify_gzip(io.BytesIO(data + b"junk"))


def _whole_members(data: bytes) -> bool:
    """True when ``data`` is a whole number of gzip members (a valid stream)."""
    while data:
        d = zlib.decompressobj(31)
        try:
            d.decompress(data)
        except zlib.error:
            return False
        if not d.eof:
            return False
        data = d.unused_data
    return True


def test_download_error_pickles():
    e = DownloadError("http://h/x", 6, "HTTP 503 Service Unavailable")
    back = pickle.loads(pickle.dumps(e))
    assert (
        str(back)
        == str(e)
        == "could not download http://h/x after 6 attempts: HTTP 503 Service Unavailable"
    )
    assert isinstance(back, OSError)
    assert (back.url, back.attempts, back.reason) == (e.url, e.attempts, e.reason)


def test_attempts_must_be_positive(scratch):
    with pytest.raises(ValueError, match="attempts"):
        fetch("http://127.0.0.1:9/x", scratch, attempts=0)
