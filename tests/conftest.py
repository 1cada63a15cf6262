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
    from c4forge.corpus.sentences import SentenceCounter

    return SentenceCounter.from_nltk_data(str(c4_testing.NLTK_DATA))


@pytest.fixture(scope="session")
def dolma_wet(tmp_path_factory, shared_data):
    """The 697 real CC-MAIN-2019-30 pages wrapped as one gzip WET file."""
    path = tmp_path_factory.mktemp("dolma") / "dolma.warc.wet.gz"
    c4_testing.write_wet(path, c4_testing.dolma_records())
    return path


@pytest.fixture(scope="session")
def c4_dir(tmp_path_factory, dolma_wet):
    """C4 en (3.1.0) built by our pipeline from the 697 real pages: c4-{train,validation}.*"""
    out = tmp_path_factory.mktemp("c4")
    c4_testing.run_build([dolma_wet], out, "--config", "en")
    return out


@pytest.fixture(scope="session")
def c4_texts(c4_dir):
    """The documents of that build, by split."""
    return {
        split: [row["text"] for row in rows]
        for split, rows in c4_testing.read_output(c4_dir).items()
    }


@pytest.fixture(scope="session")
def spm_model(tmp_path_factory, c4_texts):
    """A 1,000-piece unigram model with seqio's ids (pad 0, eos 1, unk 2, no bos)."""
    import sentencepiece as spm

    texts = c4_texts["train"]
    prefix = tmp_path_factory.mktemp("spm") / "spm"
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_prefix=str(prefix),
        vocab_size=1000,
        model_type="unigram",
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        input_sentence_size=20000,
        shuffle_input_sentence=False,
        character_coverage=0.995,
        num_threads=1,
        minloglevel=2,
    )
    return prefix.with_suffix(".model")


@pytest.fixture(scope="session")
def vocab(spm_model):
    """seqio's vocabulary over the test model with T5's 100 sentinels (size 1,100)."""
    import seqio

    return seqio.SentencePieceVocabulary(str(spm_model), extra_ids=100)
