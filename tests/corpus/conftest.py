"""Fixtures shared by the corpus tests."""

from __future__ import annotations

import pytest

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
