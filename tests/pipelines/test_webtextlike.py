"""`--config webtextlike` (docs/C4.md §2 step 8): C4 en joined with OpenWebText's URLs after
URL dedup, against the reference (`filter_by_webtextlike` after a CoGroupByKey with the
normalized URLs that `ReadFromText` reads), for each form of `--openwebtext-urls`: the zip users
download, a directory of its URL files, one text file."""

from __future__ import annotations

import io
import json
import zipfile

import apache_beam as beam
import pytest

from c4forge.pipelines import openwebtext

import c4_testing


def _url_files() -> dict[str, bytes]:
    """Two URL files written from the real pages: every second page's URL, some in other forms
    that normalize to the same key, CRLF endings, a blank line, a URL with no page."""
    urls = [url for url, _, _ in c4_testing.dolma_records()][::2]
    half = len(urls) // 2
    first = [*urls[:half], urls[0].replace("://", "://www.", 1), urls[1] + "?utm_source=x"]
    second = [*urls[half:], "", "https://not-crawled.example/page", "  " + urls[2]]
    return {
        "RS_2011-01.bz2.deduped.txt": "\n".join(first).encode() + b"\n",
        "RS_2011-02.bz2.deduped.txt": "\r\n".join(second).encode(),  # no final newline
    }


def _read_from_text(pattern: str, tmp_path) -> list[str]:
    """The reference's reader: `beam.io.ReadFromText` over the URL files."""
    out = tmp_path / "lines"
    with beam.Pipeline() as p:
        _ = p | beam.io.ReadFromText(pattern) | beam.Map(json.dumps) | beam.io.WriteToText(str(out))
    return sorted(
        json.loads(line)
        for path in tmp_path.glob("lines*")
        for line in path.read_text().splitlines()
    )


@pytest.fixture(scope="module")
def url_files(tmp_path_factory, shared_data):
    root = tmp_path_factory.mktemp("owt")
    files = _url_files()
    folder = root / "URLs"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OpenWebText/Version 1/README.txt", b"not a URL file\n")
        for name, data in files.items():
            z.writestr(f"OpenWebText/Version 1/URLs/{name}", data)
    (root / "OpenWebText.zip").write_bytes(buf.getvalue())
    (root / "urls.txt").write_bytes(
        b"".join(d if d.endswith(b"\n") else d + b"\n" for d in files.values())
    )
    return root


@pytest.fixture(scope="module")
def url_lines(url_files, tmp_path_factory):
    return _read_from_text(str(url_files / "URLs" / "*.txt"), tmp_path_factory.mktemp("read"))


@pytest.fixture(scope="module")
def expected(url_lines, dolma_wet):
    return c4_testing.reference_build([dolma_wet], "webtextlike", webtext_urls=url_lines)


@pytest.mark.reference
@pytest.mark.parametrize("form", ["OpenWebText.zip", "URLs", "urls.txt"])
def test_webtextlike_equals_reference(form, url_files, url_lines, expected, dolma_wet, tmp_path):
    expected_triples, expected_counters = expected
    stats = c4_testing.run_build(
        [dolma_wet],
        tmp_path,
        "--config",
        "webtextlike",
        "--openwebtext-urls",
        str(url_files / form),
    )
    assert c4_testing.triples(c4_testing.read_output(tmp_path)) == expected_triples
    assert stats["counters"] == expected_counters
    joined = stats["counters"]["webtextlike-filter"]
    assert joined["passed"] > 50
    assert joined["filtered"] > 50
    assert joined["missing-page"] >= 2  # the uncrawled URL and the blank line
    assert stats["measures"]["c4forge-openwebtext"]["urls-read"] == len(url_lines)


def test_url_lines_are_read_as_read_from_text(tmp_path):
    data = b"a\r\nb\n\n c \rd\n\r\ne"
    (tmp_path / "u.txt").write_bytes(data)
    ours = [line.decode() for line in openwebtext.url_lines(io.BytesIO(data))]
    assert ours == ["a", "b", "", " c \rd", "", "e"]  # a lone "\r" does not end a line
    assert sorted(ours) == _read_from_text(str(tmp_path / "u.txt"), tmp_path / "r")


def test_sources_of_each_form(url_files):
    zipped = openwebtext.plan_sources(str(url_files / "OpenWebText.zip"))
    assert [m for _, m in zipped] == [
        "OpenWebText/Version 1/URLs/RS_2011-01.bz2.deduped.txt",
        "OpenWebText/Version 1/URLs/RS_2011-02.bz2.deduped.txt",
    ]
    assert [p.rsplit("/", 1)[1] for p, _ in openwebtext.plan_sources(str(url_files / "URLs"))] == [
        "RS_2011-01.bz2.deduped.txt",
        "RS_2011-02.bz2.deduped.txt",
    ]
    assert openwebtext.plan_sources(str(url_files / "urls.txt")) == [
        (str(url_files / "urls.txt"), "")
    ]


@pytest.mark.parametrize("given", [None, "missing.zip"])
def test_missing_list_says_where_to_get_it(given, dolma_wet, tmp_path):
    flags = ["--openwebtext-urls", str(tmp_path / given)] if given else []
    code, _, err = c4_testing.run_cli(
        "corpus",
        "build",
        "--input",
        str(dolma_wet),
        "--output",
        str(tmp_path / "out"),
        "--config",
        "webtextlike",
        *flags,
    )
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "download OpenWebText.zip from https://mega.nz/" in err
