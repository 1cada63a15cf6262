"""Shared fixtures. Real data is read from ../shared/data (never copied into the project)."""

from __future__ import annotations

import pytest

import c4_testing


@pytest.fixture(scope="session")
def shared_data():
    if not c4_testing.SHARED_DATA.is_dir():
        pytest.fail(f"shared data not found at {c4_testing.SHARED_DATA}")
    return c4_testing.SHARED_DATA


@pytest.fixture(scope="session")
def sentence_counter(shared_data):
    from corpus.sentences import SentenceCounter

    return SentenceCounter.from_nltk_data(str(c4_testing.NLTK_DATA))


@pytest.fixture(scope="session")
def dolma_wet(tmp_path_factory, shared_data):
    """The 697 real CC-MAIN-2019-30 pages wrapped as one gzip WET file."""
    path = tmp_path_factory.mktemp("dolma") / "dolma.warc.wet.gz"
    c4_testing.write_wet(path, c4_testing.dolma_records())
    return path
