"""The bundled sample (`pipelines/sample_data/`, written by `python -m tools.make_wet_sample`).

The committed files equal a fresh generation byte for byte; every record has Common Crawl's WET
shape; every feature the sample promises is there; and C4 en 3.1.0 built from it by our
pipeline reports exactly the funnel that the sample's labels predict (`expected_funnel()`,
computed without any corpus code), with the same documents as the TFDS reference.
"""

from __future__ import annotations

import collections
import os
import re

import pytest

from c4forge.corpus import wet_writer
from c4forge.pipelines import bundled_sample
from tools import make_wet_sample
from tools.wet_sample import assembly, fates, funnel, tables, writer

import c4_testing

REGENERATE = "python -m tools.make_wet_sample --output pipelines/sample_data"
CONVERSION_HEADERS = [
    "WARC-Type",
    "WARC-Target-URI",
    "WARC-Date",
    "WARC-Record-ID",
    "WARC-Refers-To",
    "WARC-Block-Digest",
    "Content-Type",
    "Content-Length",
]


# --- the files ------------------------------------------------------------------------------


def test_bundled_files_equal_a_fresh_generation(tmp_path):
    bundled = bundled_sample.wet_files()
    assert all(os.path.isfile(p) for p in bundled), f"missing: run `{REGENERATE}`"
    fresh = make_wet_sample.write_sample(str(tmp_path), num_files=len(bundled))
    assert [os.path.basename(p) for p in fresh] == [os.path.basename(p) for p in bundled]
    for new, old in zip(fresh, bundled, strict=True):
        with open(new, "rb") as f:
            new_bytes = f.read()
        with open(old, "rb") as f:
            old_bytes = f.read()
        assert c4_testing.inflate_members(new_bytes) == c4_testing.inflate_members(old_bytes), (
            f"{old} no longer matches tools/make_wet_sample.py: run `{REGENERATE}`"
        )
        assert new_bytes == old_bytes, f"same records, other gzip bytes in {old} (zlib?)"


def test_bundled_sample_is_a_few_megabytes():
    size = sum(os.path.getsize(p) for p in bundled_sample.wet_files())
    assert 1_000_000 < size < 5_000_000


def test_same_seed_same_pages():
    a = assembly.SampleBuilder(seed=7).build(120)
    b = assembly.SampleBuilder(seed=7).build(120)
    assert a == b
    assert a != assembly.SampleBuilder(seed=8).build(120)


def test_records_have_common_crawls_wet_shape():
    """One gzip member per record, the warcinfo first, then one conversion record per page with
    its own id and the block digest of its text. (The header set and the digest are the
    writer's: `tests/corpus/test_wet_writer.py` checks them against real Common Crawl files.)"""
    with open(bundled_sample.wet_files()[0], "rb") as f:
        records = [c4_testing.parse_warc_record(m) for m in c4_testing.inflate_members(f.read())]
    pages = {(p.url, p.timestamp): p for p in assembly.sample_pages()}
    (info_fields, info_body), *conversions = records
    info = dict(info_fields)
    assert info["WARC-Type"] == "warcinfo"
    assert info["WARC-Filename"] == bundled_sample.file_name(0)
    assert info["WARC-Block-Digest"] == wet_writer.block_digest(info_body)
    assert b"Software-Info: c4forge tools/make_wet_sample.py\r\n" in info_body
    assert len(conversions) > 500
    ids = set()
    for fields, body in conversions:
        h = dict(fields)
        assert [k for k, _ in fields] == CONVERSION_HEADERS
        assert h["WARC-Type"] == "conversion"
        assert h["Content-Type"] == "text/plain"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", h["WARC-Date"])
        assert re.fullmatch(r"<urn:uuid:[0-9a-f-]{36}>", h["WARC-Record-ID"])
        assert h["WARC-Block-Digest"] == wet_writer.block_digest(body)
        ids.add(h["WARC-Record-ID"])
        assert body.decode("utf-8") == pages[h["WARC-Target-URI"], h["WARC-Date"]].text
    assert len(ids) == len(conversions)


def test_module_entry_point_writes_the_files(tmp_path, capsys):
    assert make_wet_sample.main(["--output", str(tmp_path), "--files", "2"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [bundled_sample.file_name(0), bundled_sample.file_name(1)]
    urls = [
        dict(c4_testing.parse_warc_record(m)[0]).get("WARC-Target-URI")
        for p in sorted(tmp_path.iterdir())
        for m in c4_testing.inflate_members(p.read_bytes())
    ]
    assert sorted(u for u in urls if u) == sorted(p.url for p in assembly.sample_pages())
    assert "wrote 2 files" in capsys.readouterr().out
    assert funnel.expected_funnel(2)["split-wet-file"]["wet-file"] == 2


# --- what the sample holds ------------------------------------------------------------------


def _pages_with(pred) -> list[fates.SamplePage]:
    return [p for p in assembly.sample_pages() if any(pred(line, fate) for line, fate in p.lines)]


def test_every_feature_is_there_many_times():
    pages = assembly.sample_pages()
    labels = collections.Counter(p.label for p in pages)
    kept = [p for p in pages if p.label in (fates.TRAIN, fates.VALIDATION)]
    assert labels[fates.TRAIN] > 2000
    assert labels[fates.VALIDATION] >= 20
    languages = {
        label[1].rsplit("-", 1)[1]: n for label, n in labels.items() if "language" in label[1]
    }
    assert len(languages) >= 5
    assert all(n >= 20 for n in languages.values())
    for label in (
        fates.BADWORD,
        fates.LOREM_PAGE,
        fates.SQUIGGLY_PAGE,
        fates.FEW_SENTENCES,
        fates.OLDER_CAPTURE,
        fates.DEDUP_EMPTY,
        fates.DEDUP_FEW_SENTENCES,
        fates.TOO_LONG,
    ):
        assert labels[label] >= 1, label
    # Line features, each in many pages C4 keeps.
    citation = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
    features = {
        "navigation": lambda line, fate: fate == fates.NO_ENDMARK and len(line.split()) < 4,
        "policy": lambda line, fate: fate == fates.POLICY,
        "javascript": lambda line, fate: fate == fates.JAVASCRIPT,
        "short": lambda line, fate: fate == fates.TOO_SHORT and len(line.split()) < 3,
        "citation": lambda line, fate: fate == fates.PASSED and citation.search(line),
        "edit marker": lambda line, fate: line.endswith("[edit]"),
        "ellipsis": lambda line, fate: line.endswith("...") and len(line.split()) >= 5,
        "network footer": lambda line, fate: line == tables.FOOTER[-1],
        "notice": lambda line, fate: line == tables.NOTICE,
        "code": lambda line, fate: "{" in line and fate == fates.NO_ENDMARK,
        "too long word": lambda line, fate: fate == fates.TOO_LONG_WORD,
    }
    kept_urls = {p.url for p in kept}
    for name, pred in features.items():
        n = sum(p.url in kept_urls for p in _pages_with(pred))
        assert n >= 5, name
    # A URL crawled twice: the older capture shares its normalized URL with a kept page.
    newest = {writer.normalized_url(p.url): p for p in kept}
    for p in pages:
        if p.label == fates.OLDER_CAPTURE:
            assert p.timestamp < newest[writer.normalized_url(p.url)].timestamp
    # Lines repeated across many pages: the network and site footers.
    repeats = collections.Counter(line for p in kept for line in set(p.kept))
    assert repeats[tables.FOOTER[-1]] > 100
    assert sum(n > 10 for n in repeats.values()) >= 15


def test_english_text_is_sizeable_and_varied():
    kept = [p for p in assembly.sample_pages() if p.label in (fates.TRAIN, fates.VALIDATION)]
    text = "\n".join(line for p in kept for line in p.kept)
    words = collections.Counter(re.findall(r"[a-z']+", text.lower()))
    assert len(text) > 2_500_000
    assert len(words) > 2000


def test_blocklisted_words_only_where_intended(shared_data):
    """The LDNOOBW rule of 3.1.0 (docs/C4.md §1) on each English page's kept lines: it fires on
    the badword pages, and on no other English page."""
    words = [w.strip() for w in c4_testing.BADWORDS_EN.read_text("utf-8").splitlines() if w]
    regex = re.compile(r"(?:\W|^)({})(?:\W|$)".format("|".join(map(re.escape, words))))
    english = (fates.TRAIN, fates.VALIDATION, fates.BADWORD)
    hits = {
        p.url: p.label
        for p in assembly.sample_pages()
        if p.label in english and regex.search("\n".join(p.kept).lower())
    }
    assert sorted(hits.values()) == [fates.BADWORD] * 3


# --- C4 built from it -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_data):
    """C4 en 3.1.0 built by our pipeline from the bundled files: (stats, documents by split)."""
    out = tmp_path_factory.mktemp("sample_c4")
    stats = c4_testing.run_build(bundled_sample.wet_files(), out, "--config", "en")
    return stats, c4_testing.read_output(out)


def test_build_reports_the_expected_funnel(built):
    stats, docs = built
    assert stats["counters"] == funnel.expected_funnel()
    expected = funnel.expected_documents()
    for split in ("train", "validation"):
        assert sorted(r["url"] for r in docs[split]) == sorted(expected[split]), split


def test_documents_hold_their_own_lines(built):
    """Each document is its page's kept lines, minus lines line dedup gave to another page:
    lines no other page has are all there, in order."""
    _, docs = built
    kept = (fates.TRAIN, fates.VALIDATION)
    pages = {p.url: p for p in assembly.sample_pages() if p.label in kept}
    owners = collections.Counter(
        key
        for p in assembly.sample_pages()
        if p.label[0] not in ("clean-page", "duplicate-url-filter", "too-long-filter")
        for key in {line.strip().lower() for line in p.kept}
    )
    texts = []
    for rows in docs.values():
        for row in rows:
            page = pages[row["url"]]
            assert row["timestamp"] == page.timestamp
            lines = [line.strip() for line in row["text"].split("\n")]
            own = list(dict.fromkeys(line.strip() for line in page.kept))  # local repeats go
            assert lines == [line for line in own if line in set(lines)]
            assert {line for line in own if owners[line.lower()] == 1} <= set(lines)
            texts.append(row["text"])
    text = "\n".join(texts)
    assert text.count(tables.FOOTER[-1]) == 1  # line dedup keeps the shared footer once
    assert tables.NOTICE not in text
    assert "lorem ipsum" not in text.lower()


@pytest.mark.reference
def test_build_equals_the_reference(built):
    """TFDS 3.1.0 `c4_utils` on the same files: same (split, url, text), same counters."""
    stats, docs = built
    expected, expected_counters = c4_testing.reference_build(bundled_sample.wet_files(), "en")
    assert c4_testing.triples(docs) == expected
    assert stats["counters"] == expected_counters
