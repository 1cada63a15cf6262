"""Fixtures shared by the corpus tests."""

from __future__ import annotations

import gzip

import pytest
from wet_testing import fields

from c4forge.corpus.page import Tally
from c4forge.corpus.sentences import SentenceCounter

import c4_testing


@pytest.fixture(scope="module")
def ref(shared_data):
    """TFDS `c4_utils` with its Punkt loader replaced by NLTK's `PunktTokenizer('english')`."""
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer
    from tensorflow_datasets.text import c4_utils

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nltk.data, "path", [str(c4_testing.NLTK_DATA), *nltk.data.path])
        tokenizer = PunktTokenizer("english")
        mp.setattr(c4_utils, "_load_sentence_tokenizer", lambda: tokenizer)
        mp.setattr(c4_utils, "_SENTENCE_TOKENIZER", None)
        yield c4_utils


@pytest.fixture(scope="module")
def punkt(shared_data):
    """NLTK's own English Punkt, loaded the way the reference harness loads it."""
    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nltk.data, "path", [str(c4_testing.NLTK_DATA), *nltk.data.path])
        yield PunktTokenizer("english")


@pytest.fixture(scope="module")
def detector():
    """corpus.langid's detector, its fast path's self-checks passed."""
    from c4forge.corpus.langid import EnglishDetector

    det = EnglishDetector()
    assert det._fast.exact, "the fast path's self-checks failed; verdict() would fall back"
    assert det._fast.batch_exact, "the lockstep's self-checks failed; verdicts() would fall back"
    return det


@pytest.fixture(scope="module")
def reference_split(tmp_path_factory):
    """Runs TFDS `c4_utils.split_wet_file` on bytes (gzipped unless `raw`): (pages, counters)."""
    from tensorflow_datasets.text import c4_utils

    path = tmp_path_factory.mktemp("reference_wet") / "file.warc.wet.gz"

    def run(data: bytes, raw: bool = False) -> tuple[list[tuple], dict]:
        path.write_bytes(data if raw else gzip.compress(data, mtime=0))
        tally = Tally()
        pages = [fields(p) for p in c4_utils.split_wet_file(str(path), counter_inc_fn=tally)]
        return pages, tally.counts

    return run


@pytest.fixture(scope="module")
def counter(shared_data):
    """A counter of this module's own (its caches and statistics start empty)."""
    counter = SentenceCounter.from_nltk_data(str(c4_testing.NLTK_DATA))
    assert counter._fast is not None
    return counter
