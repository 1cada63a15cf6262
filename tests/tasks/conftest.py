"""Fixtures for the task catalog: a small SentencePiece vocabulary (over `c4_texts`).

It is made once per session from the shared real pages (never copied into the project).
"""

from __future__ import annotations

import pytest


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
