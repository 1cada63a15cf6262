"""SentencePiece vocabularies for the T5 tasks: train one with seqio's ids, load one checked.

seqio's `SentencePieceVocabulary` assumes pad 0, eos 1, unk 2 (docs/TASKS.md §1.3) yet only logs
a warning when pad differs and never looks at eos or unk, so a model with other ids trains
silently wrong. `load_vocabulary` refuses such a model with one error naming the ids it found.

`train_sentencepiece` trains with exactly those ids, no BOS, and no sentinels in the model:
seqio appends `▁<extra_id_i>` pieces when it loads the model, in reverse, so `<extra_id_0>` is
the last id (T5's 32000 pieces + 100 extra ids = 32100).

The model bytes depend only on the text and the options, which is what makes a vocabulary
reproducible from its sample:
- the text is streamed in and the model handed back in memory, so no file path is recorded in
  the model's trainer spec (training from `input=`/`model_prefix=` records both);
- every sentence is used (`input_sentence_size=0`): SentencePiece draws no random sample, and
  its random seed then has no effect on the model (checked: seeds 1 and 2, same bytes);
- the thread count is fixed, not the machine's: the unigram EM sums expected counts per
  thread, and another grouping of the float sums gives other scores (1, 4 and 16 threads give
  three different models; the same count gives the same bytes every run).

Heavy imports (sentencepiece, seqio, TensorFlow) happen inside the functions that need them.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import seqio

# seqio's ids: PAD_ID = 0 is hard-wired in its feature converters, EOS 1 ends every target,
# UNK 2 replaces out-of-range ids in decode(). T5's cc_all.32000 has no BOS; nor do we.
SEQIO_IDS = {"pad_id": 0, "eos_id": 1, "unk_id": 2, "bos_id": -1}
MODEL_TYPES = ("unigram", "bpe", "char", "word")
# The file names a vocabulary directory may hold: ours, then T5's (gs://t5-data/vocabs/...).
MODEL_NAMES = ("spm.model", "sentencepiece.model")
DEFAULT_NUM_THREADS = 16  # part of the model's identity (see the module docstring)
DEFAULT_MAX_SENTENCE_BYTES = 4192  # SentencePiece's own default; longer lines are skipped

_TOO_SMALL = re.compile(r"Vocabulary size is smaller than required_chars\. (\d+) vs (\d+)")
_TOO_LARGE = re.compile(r"Vocabulary size too high \((\d+)\)\. Please set it to a value <= (\d+)")


class VocabularyError(ValueError):
    """A vocabulary cannot be trained or loaded; the message says why, in one line."""


def trainer_options(
    size: int,
    *,
    model_type: str = "unigram",
    character_coverage: float = 0.9995,
    num_threads: int = DEFAULT_NUM_THREADS,
    max_sentence_length: int = DEFAULT_MAX_SENTENCE_BYTES,
) -> dict[str, Any]:
    """The SentencePiece trainer options for a seqio vocabulary of `size` pieces (no extra ids).

    Raises VocabularyError for values SentencePiece would reject mid-training.
    """
    if size <= len(SEQIO_IDS) - 1:
        raise VocabularyError(f"size {size} leaves no room for pieces: pad, eos and unk take 3")
    if model_type not in MODEL_TYPES:
        raise VocabularyError(f"model type {model_type!r} is not one of {', '.join(MODEL_TYPES)}")
    if not 0 < character_coverage <= 1:
        raise VocabularyError(f"character coverage must be in (0, 1], got {character_coverage}")
    if num_threads < 1:
        raise VocabularyError(f"num_threads must be at least 1, got {num_threads}")
    return {
        "model_type": model_type,
        "vocab_size": size,
        "character_coverage": character_coverage,
        **SEQIO_IDS,
        "input_sentence_size": 0,  # every sentence: no random sampling inside SentencePiece
        "shuffle_input_sentence": False,
        "max_sentence_length": max_sentence_length,
        "num_threads": num_threads,
    }


def _sentences(texts_file: str) -> Iterator[str]:
    """The non-empty lines of `texts_file` (one paragraph of a document per line).

    Lines end at "\\n" only, as the sample is written; a stray "\\r" stays inside its line.
    """
    with open(texts_file, encoding="utf-8", newline="\n") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                yield line


def _training_error(message: str, options: dict[str, Any]) -> VocabularyError:
    """SentencePiece's check failures, said in terms of what to change."""
    size = options["vocab_size"]
    if m := _TOO_SMALL.search(message):
        return VocabularyError(
            f"size {size} is too small for the sample's characters: they need {m.group(2)} "
            f"pieces with pad, eos and unk at character coverage "
            f"{options['character_coverage']}; raise the size or lower the character coverage"
        )
    if m := _TOO_LARGE.search(message):
        return VocabularyError(
            f"size {size} is too large for the sample: at most {m.group(2)} pieces can be "
            "learned from it; sample more text or lower the size"
        )
    if "!sentences_.empty()" in message:
        return VocabularyError("the sample has no text to train on")
    return VocabularyError(f"SentencePiece training failed: {message.strip()}")


def vocab_lines(model_bytes: bytes) -> str:
    """The `.vocab` file SentencePiece writes beside a model: `piece<TAB>score` per line."""
    from sentencepiece import sentencepiece_model_pb2

    model = sentencepiece_model_pb2.ModelProto.FromString(model_bytes)
    # `{:g}` is C++'s default stream format for floats, which SentencePiece uses.
    return "".join(f"{p.piece}\t{p.score:g}\n" for p in model.pieces)


def train_sentencepiece(
    texts_file: str,
    output_prefix: str,
    size: int,
    *,
    model_type: str = "unigram",
    character_coverage: float = 0.9995,
    num_threads: int = DEFAULT_NUM_THREADS,
    max_sentence_length: int = DEFAULT_MAX_SENTENCE_BYTES,
) -> str:
    """Trains on the lines of local `texts_file`; writes `<prefix>.model` and `<prefix>.vocab`.

    Returns the model's path. Same text + same options -> same model bytes. Raises
    VocabularyError (too small or too large a size for the text, no text) before writing.
    """
    import sentencepiece as spm

    options = trainer_options(
        size,
        model_type=model_type,
        character_coverage=character_coverage,
        num_threads=num_threads,
        max_sentence_length=max_sentence_length,
    )
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=_sentences(texts_file),
            model_writer=model,
            minloglevel=2,  # SentencePiece's progress log is thousands of lines
            **options,
        )
    except RuntimeError as e:
        raise _training_error(str(e), options) from None
    model_bytes = model.getvalue()
    model_path = f"{output_prefix}.model"
    with open(model_path, "wb") as f:
        f.write(model_bytes)
    with open(f"{output_prefix}.vocab", "w", encoding="utf-8") as f:
        f.write(vocab_lines(model_bytes))
    return model_path


def model_file(path: str) -> str:
    """`path` itself if it is a file, else the `spm.model` (or T5's `sentencepiece.model`) in it."""
    import tensorflow as tf

    if not tf.io.gfile.exists(path):
        raise VocabularyError(f"no SentencePiece model at {path}")
    if not tf.io.gfile.isdir(path):
        return path
    for name in MODEL_NAMES:
        candidate = os.path.join(path, name)
        if tf.io.gfile.exists(candidate):
            return candidate
    raise VocabularyError(f"{path} is a directory without {' or '.join(MODEL_NAMES)}")


def special_ids(model_bytes: bytes, where: str) -> dict[str, int]:
    """pad, eos, unk and bos ids of a serialized model (-1: the model has none)."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor()
    try:
        sp.LoadFromSerializedProto(model_bytes)
    except RuntimeError:
        raise VocabularyError(f"{where} is not a SentencePiece model") from None
    return {
        "pad_id": sp.pad_id(),
        "eos_id": sp.eos_id(),
        "unk_id": sp.unk_id(),
        "bos_id": sp.bos_id(),
    }


def check_special_ids(found: dict[str, int], where: str) -> None:
    """Raises unless pad, eos and unk are seqio's 0, 1, 2 (bos may be anything)."""
    wanted = {k: v for k, v in SEQIO_IDS.items() if k != "bos_id"}
    if all(found[k] == v for k, v in wanted.items()):
        return
    has = ", ".join(f"{k.removesuffix('_id')} {found[k]}" for k in SEQIO_IDS)
    raise VocabularyError(
        f"{where}: seqio needs pad 0, eos 1, unk 2; this model has {has} (-1: none)"
    )


def load_vocabulary(path: str, extra_ids: int = 100) -> seqio.SentencePieceVocabulary:
    """seqio's vocabulary over the model at `path` (a `.model` file or a directory holding one),
    with `extra_ids` sentinels appended at load time (`<extra_id_0>` = vocab_size - 1).

    Raises VocabularyError if there is no model, it does not load, or its pad/eos/unk ids are
    not seqio's 0/1/2.
    """
    import seqio
    import tensorflow as tf

    if extra_ids < 0:
        raise VocabularyError(f"extra_ids must be >= 0, got {extra_ids}")
    path = model_file(path)
    with tf.io.gfile.GFile(path, "rb") as f:
        model_bytes = f.read()
    check_special_ids(special_ids(model_bytes, path), path)
    vocabulary = seqio.SentencePieceVocabulary(path, extra_ids=extra_ids)
    try:
        vocabulary.load_model()  # seqio loads lazily; a bad model should fail here, not mid-run
    except RuntimeError as e:
        raise VocabularyError(
            f"{path}: seqio cannot load it with {extra_ids} extra ids: {e}"
        ) from None
    return vocabulary
