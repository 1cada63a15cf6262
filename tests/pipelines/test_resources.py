"""Public data fetched at run time (served here from 127.0.0.1) or read from a local path."""

from __future__ import annotations

import zipfile

import pytest

from c4forge.pipelines import resources

import c4_testing
from faulty_http import FaultyServer


@pytest.fixture
def served(tmp_path, shared_data):
    """The badwords list, a punkt_tab zip and the RealNews list, served with a fault first."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "en").write_bytes(c4_testing.BADWORDS_EN.read_bytes())
    (root / "tampered").write_bytes(c4_testing.BADWORDS_EN.read_bytes() + b"extra\n")
    with zipfile.ZipFile(root / "punkt_tab.zip", "w") as z:
        for table in (c4_testing.NLTK_DATA / "tokenizers" / "punkt_tab" / "english").iterdir():
            z.write(table, f"punkt_tab/english/{table.name}")
    realnews = c4_testing.SHARED_DATA / "realnews" / "domain_to_allowed_subdomains.json"
    (root / "realnews.json").write_bytes(realnews.read_bytes())
    faults = {"en": ["503"], "punkt_tab.zip": ["truncate"]}
    with FaultyServer(root, faults=faults) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch):
    from c4forge.pipelines import downloads

    real = downloads.open_input
    monkeypatch.setattr(downloads, "open_input", lambda url, **kw: real(url, backoff_s=0.01, **kw))
    monkeypatch.setenv("NLTK_DATA", "")
    monkeypatch.setattr(resources, "_nltk_search_path", lambda: [])


def test_badwords_fetched_and_checked(served, monkeypatch):
    monkeypatch.setattr(resources, "EN_BADWORDS_URL", served.url("en"))
    words = resources.load_badwords(None)
    assert len(words) == 377
    assert served.faults_served("en") == ["503"]


def test_badwords_with_a_wrong_checksum_are_refused(served, monkeypatch):
    monkeypatch.setattr(resources, "EN_BADWORDS_URL", served.url("tampered"))
    with pytest.raises(resources.ResourceError, match="sha256"):
        resources.load_badwords(None)


def test_punkt_tables_fetched_from_the_package_zip(served, monkeypatch):
    from c4forge.corpus.sentences import SentenceCounter

    monkeypatch.setattr(resources, "PUNKT_TAB_URL", served.url("punkt_tab.zip"))
    tables = resources.load_punkt_tables(None)
    assert tables == resources.load_punkt_tables(str(c4_testing.NLTK_DATA))
    assert SentenceCounter.from_tables(tables).count("One. Two here. Three there.", 5) == 3


def test_punkt_found_on_the_nltk_search_path(monkeypatch):
    monkeypatch.setattr(
        resources, "_nltk_search_path", lambda: ["/nonexistent", str(c4_testing.NLTK_DATA)]
    )
    monkeypatch.setattr(resources, "PUNKT_TAB_URL", "http://127.0.0.1:9/unreachable.zip")
    assert set(resources.load_punkt_tables(None)) == set(resources.PUNKT_TABLE_SHA256)


def test_realnews_domains_fetched(served, monkeypatch):
    monkeypatch.setattr(resources, "REALNEWS_DOMAINS_URL", served.url("realnews.json"))
    assert len(resources.load_realnews_domains(None)) == 5036


def test_unreachable_public_data_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(resources, "EN_BADWORDS_URL", "http://127.0.0.1:9/en")
    with pytest.raises(resources.ResourceError, match=r"cannot fetch http://127.0.0.1:9/en"):
        resources.load_badwords(None)


BADWORDS_5FAF2BA = c4_testing.SHARED_DATA / "badwords" / "ldnoobw_5faf2ba"


def test_every_languages_lists_fetched_at_their_pins(tmp_path, shared_data, monkeypatch):
    """Without --badwords-dir each list is fetched at 5faf2ba (English at 25e679f) and checked."""
    root = tmp_path / "www"
    root.mkdir()
    for path in BADWORDS_5FAF2BA.iterdir():
        (root / path.name).write_bytes(path.read_bytes())
    (root / "en").write_bytes(c4_testing.BADWORDS_EN.read_bytes())
    (root / "ja").write_bytes((BADWORDS_5FAF2BA / "ja").read_bytes() + b"extra\n")  # tampered
    with FaultyServer(root, faults={"de": ["503"]}) as srv:
        monkeypatch.setattr(resources, "badwords_url", srv.url)
        monkeypatch.setattr(resources, "EN_BADWORDS_URL", srv.url("en"))
        lists = resources.load_badwords_lists(None, None, ["de", "fr", "en", "sw"], True)
        assert srv.faults_served("de") == ["503"]
        with pytest.raises(resources.ResourceError, match=r"'ja'.*sha256"):
            resources.load_badwords_lists(None, None, ["ja-Latn"], True)
    assert sorted(lists) == ["de", "en", "fr"]  # sw has no list; fr-CA-u-sd-caqc joins fr
    local = resources.load_badwords_lists(
        str(c4_testing.BADWORDS_EN), str(BADWORDS_5FAF2BA), ["de", "fr", "en"], True
    )
    assert local == lists
    assert "tabarnak" in lists["fr"]  # from the fr-CA-u-sd-caqc file


def test_badwords_dir_missing_files_are_named(tmp_path, shared_data):
    (tmp_path / "de").write_bytes((BADWORDS_5FAF2BA / "de").read_bytes())
    with pytest.raises(resources.ResourceError, match=r"lacks the LDNOOBW list files fr, fr-CA"):
        resources.load_badwords_lists(str(c4_testing.BADWORDS_EN), str(tmp_path), ["de", "fr"])
