"""pipelines/downloads.py `open_input`: local files and downloads that survive server faults."""

from __future__ import annotations

import io
import pickle
import zlib
from pathlib import Path

import pytest

from c4forge.pipelines import downloads
from c4forge.pipelines.downloads import (
    DownloadError,
    open_input,
)

from faulty_http import Always, Every, FaultyServer
from input_testing import FAST, WET_GZ, WET_PLAIN, Counts, fetch

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
    monkeypatch.setattr(downloads.tempfile, "tempdir", str(tmp))
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
    downloads._verify_gzip(io.BytesIO(data))
    downloads._verify_gzip(io.BytesIO(data + b"\0" * 10))
    downloads._verify_gzip(io.BytesIO(b"not gzip at all"))  # nothing to check


def test_gzip_check_rejects_every_truncation_and_trailing_garbage():
    data = WET_GZ[-1].read_bytes()
    # (from 2 bytes on: a 1-byte body has no gzip magic; only its length can be checked)
    boundaries = [cut for cut in range(2, len(data)) if _whole_members(data[:cut])]
    assert len(boundaries) == 1  # whirlwind.warc.wet.gz has two members
    for cut in range(2, len(data)):
        if cut in boundaries:
            downloads._verify_gzip(io.BytesIO(data[:cut]))
        else:
            with pytest.raises(downloads._RetryableError):
                downloads._verify_gzip(io.BytesIO(data[:cut]))
    with pytest.raises(downloads._RetryableError, match="trailing garbage"):
        downloads._verify_gzip(io.BytesIO(data + b"\0\0junk"))
    with pytest.raises(zlib.error):
        downloads._verify_gzip(io.BytesIO(data + b"junk"))


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
