"""SentencePiece training with seqio's ids and the checked loader, on the real C4 build."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from c4forge.tasks import vocab as v

SEQIO_TEST_MODEL_DIR = Path(__import__("seqio").__file__).parent / "test_data" / "sentencepiece"
SIZE = 800


@pytest.fixture(scope="module")
def texts_file(tmp_path_factory, c4_texts) -> Path:
    path = tmp_path_factory.mktemp("texts") / "sample.txt"
    path.write_text("".join(t + "\n" for t in c4_texts["train"]), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, texts_file) -> Path:
    out = tmp_path_factory.mktemp("trained")
    return Path(v.train_sentencepiece(str(texts_file), str(out / "spm"), SIZE))


def _processor(path: Path):
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(path))


def test_model_has_seqio_ids_and_no_bos(trained):
    sp = _processor(trained)
    assert (sp.pad_id(), sp.eos_id(), sp.unk_id(), sp.bos_id()) == (0, 1, 2, -1)
    assert [sp.id_to_piece(i) for i in range(3)] == ["<pad>", "</s>", "<unk>"]
    assert sp.get_piece_size() == SIZE
    assert not any("extra_id" in sp.id_to_piece(i) for i in range(SIZE))


def test_vocab_file_lists_every_piece_in_id_order(trained):
    sp = _processor(trained)
    lines = trained.with_suffix(".vocab").read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[0] for line in lines] == [sp.id_to_piece(i) for i in range(SIZE)]
    assert lines[:3] == ["<pad>\t0", "</s>\t0", "<unk>\t0"]
    assert float(lines[3].split("\t")[1]) == pytest.approx(sp.get_score(3), abs=1e-4)


def test_same_text_and_options_give_identical_model_bytes(trained, texts_file, tmp_path):
    # Another directory and file name: nothing of the paths may end up in the model.
    copy = tmp_path / "other.txt"
    copy.write_bytes(texts_file.read_bytes())
    again = v.train_sentencepiece(str(copy), str(tmp_path / "again"), SIZE)
    assert Path(again).read_bytes() == trained.read_bytes()


def test_thread_count_is_part_of_the_model(trained, texts_file, tmp_path):
    one = v.train_sentencepiece(str(texts_file), str(tmp_path / "one"), SIZE, num_threads=1)
    assert Path(one).read_bytes() != trained.read_bytes()


def test_load_vocabulary_adds_sentinels_at_the_end(trained):
    vocab = v.load_vocabulary(str(trained))
    assert vocab.vocab_size == SIZE + 100
    assert vocab.encode("<extra_id_0>") == [vocab.vocab_size - 1]
    assert vocab.encode("<extra_id_99>") == [SIZE]
    assert (vocab.pad_id, vocab.eos_id, vocab.unk_id) == (0, 1, 2)


def test_load_vocabulary_accepts_a_directory_holding_spm_model(trained, tmp_path):
    (tmp_path / "spm.model").write_bytes(trained.read_bytes())
    vocab = v.load_vocabulary(str(tmp_path), extra_ids=10)
    assert vocab.vocab_size == SIZE + 10
    assert vocab.encode("<extra_id_0>") == [SIZE + 9]


def test_load_vocabulary_accepts_t5_style_directories():
    # seqio's own test model, named like T5's cc_all.32000/sentencepiece.model.
    vocab = v.load_vocabulary(str(SEQIO_TEST_MODEL_DIR))
    assert vocab.vocab_size == 26 + 100


def _plain(line: str) -> bool:
    """Lines SentencePiece's nmt_nfkc normalization leaves as they are."""
    return unicodedata.normalize("NFKC", line) == line and " ".join(line.split()) == line


def test_real_c4_text_round_trips(trained, c4_texts):
    vocab = v.load_vocabulary(str(trained))
    lines = [line for t in c4_texts["train"] for line in t.split("\n") if _plain(line)]
    round_trips = [vocab.decode(vocab.encode(line)) == line for line in lines]
    # Only lines with characters outside the 99.95% coverage (-> unk) may fail.
    failures = [line for line, ok in zip(lines, round_trips, strict=True) if not ok]
    assert all(2 in vocab.encode(line) for line in failures)
    assert len(failures) < 0.02 * len(lines)
    assert len(lines) > 1000


def test_load_vocabulary_rejects_other_special_ids(c4_texts, tmp_path):
    import sentencepiece as spm

    prefix = tmp_path / "bos0"
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(c4_texts["train"][:20]),
        model_prefix=str(prefix),
        vocab_size=300,
        character_coverage=0.98,
        pad_id=-1,
        bos_id=0,
        eos_id=1,
        unk_id=2,
        num_threads=1,
        minloglevel=2,
    )
    path = f"{prefix}.model"
    with pytest.raises(v.VocabularyError) as e:
        v.load_vocabulary(path)
    assert str(e.value) == (
        f"{path}: seqio needs pad 0, eos 1, unk 2; this model has pad -1, eos 1, unk 2, bos 0 "
        "(-1: none)"
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.model", "no SentencePiece model at {path}"),
        (lambda d: d, "{path} is a directory without spm.model or sentencepiece.model"),
        (lambda d: _write(d / "x.model", b"not a model"), "{path} is not a SentencePiece model"),
    ],
)
def test_load_vocabulary_errors(make, message, tmp_path):
    path = str(make(tmp_path))
    with pytest.raises(v.VocabularyError) as e:
        v.load_vocabulary(path)
    assert str(e.value) == message.format(path=path)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_size_too_small_for_the_characters(texts_file, tmp_path):
    with pytest.raises(v.VocabularyError) as e:
        v.train_sentencepiece(str(texts_file), str(tmp_path / "small"), 50)
    m = re.fullmatch(
        r"size 50 is too small for the sample's characters: they need (\d+) pieces with pad, "
        r"eos and unk at character coverage 0\.9995; raise the size or lower the character "
        r"coverage",
        str(e.value),
    )
    assert m, str(e.value)
    assert int(m.group(1)) > 50
    assert not list(tmp_path.iterdir())


def test_size_too_large_for_the_sample(tmp_path):
    texts = tmp_path / "tiny.txt"
    texts.write_text("the cat sat on the mat\nthe dog sat on the log\n", encoding="utf-8")
    with pytest.raises(v.VocabularyError) as e:
        v.train_sentencepiece(str(texts), str(tmp_path / "big"), 5000)
    assert re.fullmatch(
        r"size 5000 is too large for the sample: at most \d+ pieces can be learned from it; "
        r"sample more text or lower the size",
        str(e.value),
    ), str(e.value)


def test_empty_text_is_refused(tmp_path):
    texts = tmp_path / "empty.txt"
    texts.write_text("\n\n", encoding="utf-8")
    with pytest.raises(v.VocabularyError, match=r"^the sample has no text to train on$"):
        v.train_sentencepiece(str(texts), str(tmp_path / "none"), 100)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 3}, "size 3 leaves no room for pieces: pad, eos and unk take 3"),
        (
            {"model_type": "wordpiece"},
            "model type 'wordpiece' is not one of unigram, bpe, char, word",
        ),
        ({"character_coverage": 0.0}, "character coverage must be in (0, 1], got 0.0"),
        ({"num_threads": 0}, "num_threads must be at least 1, got 0"),
    ],
)
def test_trainer_options_reject_bad_values(kwargs, message):
    kwargs = {"size": 100, **kwargs}
    with pytest.raises(v.VocabularyError) as e:
        v.trainer_options(kwargs.pop("size"), **kwargs)
    assert str(e.value) == message


def test_trainer_options_pin_what_makes_training_deterministic():
    options = v.trainer_options(32000)
    assert options["input_sentence_size"] == 0
    assert options["num_threads"] == v.DEFAULT_NUM_THREADS
    assert {k: options[k] for k in v.SEQIO_IDS} == v.SEQIO_IDS
