"""Generation tasks: T5's formats by hand, and every task end to end on mocked TFDS (offline)."""

from __future__ import annotations

import functools
import re
import string

import numpy as np
import pytest
import seqio
import tensorflow as tf
import tensorflow_datasets as tfds

from c4forge.tasks import generation, metrics, registry

NAMES = [
    "squad_v010_allanswers",
    "squad_v010_context_free",
    "cnn_dailymail_v002",
    "wmt14_ende_v003",
    "wmt14_enfr_v003",
    "wmt15_enfr_v003",
    "wmt16_enro_v003",
    "wmt19_ende_v003",
    "wmt_t2t_ende_v003",
]
LENGTHS = {"inputs": 64, "targets": 16}


@pytest.fixture(scope="module")
def registered(vocab, tmp_path_factory):
    names = generation.register_generation(vocab, str(tmp_path_factory.mktemp("tfds")))
    yield names
    registry.unregister(*names)


def _one(format_fn, example: dict) -> dict:
    """Run a dataset-level preprocessor on one in-memory example; strings come back as str."""
    out = next(iter(format_fn(tf.data.Dataset.from_tensors(example)).as_numpy_iterator()))
    return {
        k: v.decode() if isinstance(v, bytes) else [a.decode() for a in v] for k, v in out.items()
    }


def _pad_punctuation_py(text: str) -> str:
    # The same rule written with Python's re: ASCII punctuation padded, whitespace collapsed.
    text = re.sub(f"([{re.escape(string.punctuation)}])", r" \1 ", text)
    return re.sub(r"\s+", " ", text)


# --- formats by hand ------------------------------------------------------------------------

SQUAD_EXAMPLE = {
    "id": "q1",
    "title": "Cats",
    "question": "Who sat?",
    "context": "The cat (a pet) sat.",
    "answers": {"text": ["The cat", "cat (a pet)"], "answer_start": [0, 4]},
}


def test_squad_format_pads_punctuation():
    out = _one(generation.squad, SQUAD_EXAMPLE)
    # Every mark gets a space each side; doubled spaces collapse; the final " . " keeps its space.
    assert out["inputs"] == "question: Who sat ? context: The cat ( a pet ) sat . "
    assert out["targets"] == "The cat"
    assert out["answers"] == ["The cat", "cat ( a pet ) "]
    assert out["question"] == "Who sat ? "
    assert out["context"] == "The cat ( a pet ) sat . "
    assert out["id"] == "q1"
    assert "title" not in out


def test_squad_context_free_format():
    out = _one(functools.partial(generation.squad, include_context=False), SQUAD_EXAMPLE)
    assert out["inputs"] == "squad trivia question: Who sat ? "
    assert out["targets"] == "The cat"


@pytest.mark.parametrize(
    ("raw", "padded"),
    [
        ("a_b-c", "a _ b - c"),  # _ and - are punctuation
        ("it's 3.5$", "it ' s 3 . 5 $ "),
        ("x\t\n  y", "x y"),  # any whitespace run -> one space
        ("  lead", " lead"),  # leading space kept (one)
        ("Café—“x”", "Café—“x”"),  # non-ASCII marks are not [[:punct:]]
        ("", ""),
    ],
)
def test_pad_punctuation(raw, padded):
    assert generation.pad_punctuation(tf.constant(raw)).numpy().decode() == padded


def test_pad_punctuation_matches_python_rule_on_every_ascii_mark():
    text = "w" + "w".join(string.punctuation) + "w"
    got = generation.pad_punctuation(tf.constant(text)).numpy().decode()
    assert got == _pad_punctuation_py(text)
    assert got.split(" ")[1::2] == list(string.punctuation)


def test_summarize_format_keeps_text_as_is():
    fn = functools.partial(generation.summarize, article_key="article", summary_key="highlights")
    out = _one(fn, {"article": "Rain  fell. More?", "highlights": "It rained .", "id": "1"})
    assert out == {"inputs": "summarize: Rain  fell. More?", "targets": "It rained ."}


@pytest.mark.parametrize(
    ("source", "target", "prefix"),
    [
        ("en", "de", "translate English to German: "),
        ("en", "fr", "translate English to French: "),
        ("en", "ro", "translate English to Romanian: "),
        ("de", "en", "translate German to English: "),
    ],
)
def test_translate_format(source, target, prefix):
    fn = functools.partial(generation.translate, source_language=source, target_language=target)
    texts = {"en": "That is good.", "de": "Das ist gut.", "fr": "C'est bon.", "ro": "E bine."}
    out = _one(fn, {source: texts[source], target: texts[target]})
    assert out == {"inputs": prefix + texts[source], "targets": texts[target]}


def test_translate_unknown_language_is_one_clear_error():
    with pytest.raises(ValueError, match="no English name for language code 'xx'"):
        generation.translation_prefix("en", "xx")


def test_qa_postprocessor():
    example = {"answers": np.array([b"The cat", b"cat ( a pet ) "], dtype=object)}
    assert generation.qa("the cat", example=example, is_target=False) == "the cat"
    assert generation.qa("The cat", example=example, is_target=True) == [
        "The cat",
        "cat ( a pet ) ",
    ]
    with pytest.raises(ValueError, match="needs its example"):
        generation.qa("x", example=None, is_target=True)


# --- registration ---------------------------------------------------------------------------


def test_registers_every_task_with_t5_chain(registered, vocab):
    assert registered == NAMES
    for name in NAMES:
        task = seqio.TaskRegistry.get(name)
        steps = task.preprocessors
        assert len(steps) == 4
        assert steps[1] is seqio.preprocessors.tokenize
        assert isinstance(steps[2], seqio.CacheDatasetPlaceholder)
        assert steps[3] is seqio.preprocessors.append_eos_after_trim
        assert set(task.output_features) == {"inputs", "targets"}
        assert task.output_features["targets"].vocabulary == vocab
        assert not task.output_features["inputs"].required


@pytest.mark.parametrize(
    ("name", "tfds_name", "metric", "postprocess"),
    [
        ("squad_v010_allanswers", "squad/v1.1:3.0.0", metrics.squad, generation.qa),
        ("squad_v010_context_free", "squad/v1.1:3.0.0", metrics.squad, generation.qa),
        ("cnn_dailymail_v002", "cnn_dailymail:3.4.0", metrics.rouge, None),
        ("wmt14_ende_v003", "wmt14_translate/de-en:1.0.0", metrics.bleu, None),
        ("wmt14_enfr_v003", "wmt14_translate/fr-en:1.0.0", metrics.bleu, None),
        ("wmt15_enfr_v003", "wmt15_translate/fr-en:1.0.0", metrics.bleu, None),
        ("wmt16_enro_v003", "wmt16_translate/ro-en:1.0.0", metrics.bleu, None),
        ("wmt19_ende_v003", "wmt19_translate/de-en:1.0.0", metrics.bleu, None),
        ("wmt_t2t_ende_v003", "wmt_t2t_translate/de-en:1.0.0", metrics.bleu, None),
    ],
)
def test_task_source_metric_postprocess(registered, name, tfds_name, metric, postprocess):
    task = seqio.TaskRegistry.get(name)
    assert task.source.tfds_dataset.name == tfds_name
    assert task.metric_fns == [metric]
    assert task.postprocessor is postprocess


def test_registering_twice_is_an_error_and_keeps_the_first(registered, vocab):
    first = seqio.TaskRegistry.get("squad_v010_allanswers")
    with pytest.raises(registry.RegistrationError, match="already registered"):
        generation.register_generation(vocab)
    assert seqio.TaskRegistry.get("squad_v010_allanswers") is first
    assert set(NAMES) <= set(seqio.TaskRegistry.names())


def test_builder_exists():
    assert generation.builder_exists("squad/v1.1:3.0.0")
    assert not generation.builder_exists("no_such_dataset/x:1.0.0")


# --- end to end on mocked TFDS ----------------------------------------------------------------


def _expected(name: str, raw: dict) -> tuple[str, str]:
    """The (inputs, targets) text T5 makes of one raw TFDS example, written independently."""
    text = {k: v.decode() for k, v in raw.items() if isinstance(v, bytes)}
    if name.startswith("squad"):
        q, c = _pad_punctuation_py(text["question"]), _pad_punctuation_py(text["context"])
        joined = (
            f"question: {q} context: {c}" if "allanswers" in name else f"squad trivia question: {q}"
        )
        return re.sub(r"\s+", " ", joined), _pad_punctuation_py(raw["answers"]["text"][0].decode())
    if name.startswith("cnn"):
        return "summarize: " + text["article"], text["highlights"]
    target = {"de": "German", "fr": "French", "ro": "Romanian"}[name.split("_")[-2][2:]]
    return f"translate English to {target}: " + text["en"], text[name.split("_")[-2][2:]]


@pytest.mark.parametrize("name", NAMES)
def test_task_end_to_end_on_mock_tfds(registered, vocab, name):
    task = seqio.TaskRegistry.get(name)
    with tfds.testing.mock_data(policy=tfds.testing.MockPolicy.USE_CODE, num_examples=3):
        raw = list(tfds.as_numpy(tfds.load(task.source.tfds_dataset.name, split="validation")))
        # Mocked TFDS knows no split sizes, so seqio must not ask for them (in-memory cache).
        ds = task.get_dataset(LENGTHS, split="validation", shuffle=False, try_in_mem_cache=False)
        examples = list(ds.as_numpy_iterator())
    assert len(examples) == 3
    for got, source in zip(examples, raw, strict=True):
        inputs, targets = _expected(name, source)
        assert got["inputs_pretokenized"].decode() == inputs
        assert got["targets_pretokenized"].decode() == targets
        for key, text in (("inputs", inputs), ("targets", targets)):
            # tokenize, trim to length − 1, then EOS (append_eos_after_trim).
            ids = [*list(vocab.encode(text))[: LENGTHS[key] - 1], 1]
            assert got[key].tolist() == ids


def test_squad_task_scores_through_qa_postprocessor(registered):
    """Real SQuAD text through the registered task, then T5's postprocess + metric path."""

    def as_dataset(builder, split, **kwargs):
        return tf.data.Dataset.from_tensors(SQUAD_EXAMPLE)

    task = seqio.TaskRegistry.get("squad_v010_allanswers")
    with tfds.testing.mock_data(policy=tfds.testing.MockPolicy.USE_CODE, as_dataset_fn=as_dataset):
        ds = task.get_dataset(LENGTHS, split="validation", shuffle=False, try_in_mem_cache=False)
        (example,) = list(ds.as_numpy_iterator())
    assert (
        example["inputs_pretokenized"] == b"question: Who sat ? context: The cat ( a pet ) sat . "
    )
    target = task.postprocess_fn("", example=example, is_target=True)
    assert target == ["The cat", "cat ( a pet ) "]
    # "Cat (a pet)" normalises to "cat pet", as does the padded second answer: EM 100.
    prediction = task.postprocess_fn("Cat (a pet)", example=example, is_target=False)
    assert metrics.squad([target], [prediction]) == {"em": 100.0, "f1": 100.0}
