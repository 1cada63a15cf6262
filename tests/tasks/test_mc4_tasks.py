"""The catalog over a multilingual (mC4) build: a task per language and objective, named
`mc4_<language>_v<version>_<objective>`, reading the build's `L` / `L-validation` splits, and
the languages' span corruption mixed at mT5's rates n_i ** alpha (`tasks.c4_builds`)."""

from __future__ import annotations

import json

import pytest
import seqio

from c4forge.corpus.layout import language_split
from c4forge.corpus.records import decode_example
from c4forge.tasks import catalog, registry
from c4forge.tasks.records import read_records

import c4_testing
import mc4_dirs_testing as mc4

LENGTHS = {"inputs": 64, "targets": 16}
LANGUAGES = ("sw", "zh_latn", "yo", "und")  # TRAIN_DOCS's codes as task names use them


@pytest.fixture
def fresh():
    catalog.unregister_all()
    yield
    catalog.unregister_all()


@pytest.fixture(scope="module")
def mc4_dir(tmp_path_factory):
    return mc4.write_mc4(tmp_path_factory.mktemp("mc4") / "out")


@pytest.fixture(scope="module")
def mc4_vocab(tmp_path_factory):
    """A small SentencePiece model over the build's texts, with seqio's ids."""
    import sentencepiece as spm

    texts = [
        mc4.text_of(language, split, i)
        for language, count in mc4.TRAIN_DOCS.items()
        for split in (language, f"{language}-validation")
        for i in range(count)
    ]
    prefix = tmp_path_factory.mktemp("spm") / "spm"
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_prefix=str(prefix),
        vocab_size=80,
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    return str(prefix.with_suffix(".model"))


def _register(mc4_dir, vocab, **settings) -> list[str]:
    return catalog.register(
        vocab=vocab, c4=str(mc4_dir), downstream=False, sample=False, **settings
    )


def _rates(name: str) -> dict[str, float]:
    mixture = seqio.MixtureRegistry.get(name)
    return {t.name: mixture.get_rate(t) for t in mixture.tasks}


def test_a_task_per_language_and_objective_and_one_mixture(fresh, mc4_dir, mc4_vocab):
    names = _register(mc4_dir, mc4_vocab)
    assert names == [
        *(
            f"mc4_{lang}_v310_{objective}"
            for lang in LANGUAGES
            for objective in catalog.C4_OBJECTIVES
        ),
        "mc4_v310_span_corruption",
    ]
    assert catalog.mc4_task_name("zh-Latn", "3.1.0", "prefix_lm") == "mc4_zh_latn_v310_prefix_lm"
    # No English C4 tasks and none of the English mixtures built on them.
    assert not [n for n in seqio.TaskRegistry.names() if n.startswith("c4_")]
    assert not [n for n in seqio.MixtureRegistry.names() if n.startswith("c4_")]


def test_train_and_validation_read_the_languages_splits(fresh, mc4_dir, mc4_vocab):
    _register(mc4_dir, mc4_vocab)
    task = seqio.TaskRegistry.get("mc4_zh_latn_v310_prefix_lm")
    assert task.splits == ("train", "validation")
    source = task.source
    files = {
        split: [str(mc4_dir / f"c4-{build_split}.tfrecord-0000{i}-of-00002") for i in range(2)]
        for split, build_split in (("train", "zh-Latn"), ("validation", "zh-Latn-validation"))
    }
    assert {split: sorted(source.list_shards(split)) for split in task.splits} == files
    assert source.num_input_examples("train") == 9
    assert source.num_input_examples("validation") == 1
    assert registry.record_feed_source("mc4_zh_latn_v310_prefix_lm").files == files
    # The empty language's task exists (its shards are empty files), with 0 examples.
    assert (
        seqio.TaskRegistry.get("mc4_und_v310_span_corruption").source.num_input_examples("train")
        == 0
    )


@pytest.mark.parametrize(("language", "split"), [("zh-Latn", "train"), ("sw", "validation")])
def test_a_task_yields_its_languages_texts(fresh, mc4_dir, mc4_vocab, language, split):
    _register(mc4_dir, mc4_vocab)
    name = catalog.mc4_task_name(language, "3.1.0", "span_corruption")
    ds = seqio.TaskRegistry.get(name).source.get_dataset(split, shuffle=False)
    texts = sorted(ex["text"].decode() for ex in ds.as_numpy_iterator())
    build_split = language_split(language, split)
    count = (mc4.TRAIN_DOCS if split == "train" else mc4.VALIDATION_DOCS)[language]
    assert texts == sorted(mc4.text_of(language, build_split, i) for i in range(count))
    # The feed reads the same documents from the same files, without tf.data.
    fed = [
        decode_example(record)["text"].decode()
        for path in registry.record_feed_source(name).files[split]
        for record, _ in read_records(path)
    ]
    assert sorted(fed) == texts


def test_a_task_runs_its_objective_on_its_language(fresh, mc4_dir, mc4_vocab):
    _register(mc4_dir, mc4_vocab)
    ds = seqio.get_dataset(
        "mc4_yo_v310_full_lm",
        {"targets": 64},
        seqio.PassThroughFeatureConverter(),
        dataset_split="train",
        shuffle=False,
        seed=0,
    )
    vocab = seqio.SentencePieceVocabulary(mc4_vocab)
    decoded = " ".join(vocab.decode(ex["targets"].tolist()) for ex in ds.as_numpy_iterator())
    assert "yo yo document 0:" in decoded
    assert "sw " not in decoded
    assert "zh-Latn " not in decoded


def test_the_mixture_follows_mt5s_rate(fresh, mc4_dir, mc4_vocab):
    _register(mc4_dir, mc4_vocab)
    # n ** 0.3 by hand: 40 ** 0.3 = e ** (0.3 ln 40) = 3.0243; 9 ** 0.3 = 1.9332; 3 ** 0.3 =
    # 1.3904; `und` has no examples and stays out.
    assert _rates("mc4_v310_span_corruption") == pytest.approx(
        {
            "mc4_sw_v310_span_corruption": 3.0243,
            "mc4_zh_latn_v310_span_corruption": 1.9332,
            "mc4_yo_v310_span_corruption": 1.3904,
        },
        abs=1e-4,
    )
    mixture = seqio.MixtureRegistry.get("mc4_v310_span_corruption")
    shares = {t.name: mixture.get_rate(t) / mixture.total_rate for t in mixture.tasks}
    assert shares["mc4_sw_v310_span_corruption"] == pytest.approx(3.0243 / 6.3479, abs=1e-4)


def test_language_alpha_sets_the_exponent(fresh, mc4_dir, mc4_vocab):
    _register(mc4_dir, mc4_vocab, language_alpha=1.0)  # examples-proportional
    assert _rates("mc4_v310_span_corruption") == {
        "mc4_sw_v310_span_corruption": 40.0,
        "mc4_zh_latn_v310_span_corruption": 9.0,
        "mc4_yo_v310_span_corruption": 3.0,
    }
    catalog.unregister_all()
    _register(mc4_dir, mc4_vocab, language_alpha=0.0)  # uniform
    assert set(_rates("mc4_v310_span_corruption").values()) == {1.0}
    catalog.unregister_all()
    with pytest.raises(registry.RegistrationError, match=r"--language-alpha: .* >= 0, got -1"):
        _register(mc4_dir, mc4_vocab, language_alpha=-1.0)


def test_the_mixture_feeds_training_batches(fresh, mc4_dir, mc4_vocab):
    from c4forge.tasks.feed import Feed

    _register(mc4_dir, mc4_vocab)
    batch = next(Feed("mc4_v310_span_corruption", LENGTHS, batch_size=2, seed=0))
    assert batch["encoder_input_tokens"].shape == (2, 64)


def test_the_version_comes_from_stats_json(fresh, tmp_path, mc4_vocab):
    build = mc4.write_mc4(tmp_path / "v301", train={"sw": 4, "ja-Latn": 2}, version="3.0.1")
    names = _register(build, mc4_vocab)
    assert "mc4_ja_latn_v301_span_corruption" in names
    assert _rates("mc4_v301_span_corruption") == pytest.approx(
        {"mc4_sw_v301_span_corruption": 4**0.3, "mc4_ja_latn_v301_span_corruption": 2**0.3}
    )


def test_without_stats_json_the_file_names_tell(fresh, tmp_path, mc4_vocab, caplog):
    build = mc4.write_mc4(tmp_path / "bare", stats=False)
    names = _register(build, mc4_vocab)
    # Languages in MC4_LANGUAGES order, `und` last; without counts there are no rates.
    assert [n.removesuffix("_v310_span_corruption") for n in names[::5]] == [
        "mc4_sw",
        "mc4_yo",
        "mc4_zh_latn",
        "mc4_und",
    ]
    assert "mc4_v310_span_corruption" not in names
    assert "no example counts in stats.json, so no mc4_v310_span_corruption mixture" in caplog.text


def test_a_json_build_is_not_a_task_source(fresh, tmp_path, mc4_vocab):
    build = mc4.write_mc4(tmp_path / "json", fmt="json")
    with pytest.raises(
        registry.RegistrationError,
        match=r"a multilingual build without c4-<language>\.tfrecord-\* files \(build it with "
        r"--format tfrecord; JSON output is not a task source\)",
    ):
        _register(build, mc4_vocab)
    assert not [n for n in seqio.TaskRegistry.names() if n.startswith("mc4_")]


def _english_build(out):
    """A one-document English build: `c4-train` / `c4-validation` and stats.json."""
    out.mkdir()
    doc = mc4.documents("en", "train", 1)
    mc4.write_split(out, "train", doc, "tfrecord", shards=2)
    mc4.write_split(out, "validation", [], "tfrecord", shards=1)
    stats = {"c4_version": "3.1.0", "config": "en", "counters": {"train": {"examples": 1}}}
    (out / "stats.json").write_text(json.dumps(stats))
    return out


def test_english_builds_keep_their_names(fresh, tmp_path, mc4_vocab):
    build = _english_build(tmp_path / "en")
    names = _register(build, mc4_vocab)
    assert names == [
        *(
            catalog.c4_task_name("en", "3.1.0", o)
            for o in catalog.C4_OBJECTIVES + catalog.STUDY_OBJECTIVES
        ),
        "c4_en_v310_mix",  # T5's en_mix, over English C4 only
    ]
    task = seqio.TaskRegistry.get("c4_en_v310_span_corruption")
    assert task.source.num_input_examples("train") == 1
    assert sorted(task.source.list_shards("train")) == [
        str(build / f"c4-train.tfrecord-0000{i}-of-00002") for i in range(2)
    ]
    catalog.unregister_all()
    with pytest.raises(
        registry.RegistrationError,
        match=r"--language-alpha: .* is an English C4 build; the exponent weighs the languages",
    ):
        _register(build, mc4_vocab, language_alpha=0.3)


def test_tasks_list_shows_the_languages(fresh, mc4_dir, mc4_vocab):
    code, out, err = c4_testing.run_cli(
        "tasks", "list", "--vocab", mc4_vocab, "--c4", str(mc4_dir), "--no-sample"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert "task     mc4_zh_latn_v310_prefix_lm  splits: train, validation" in lines
    assert "task     mc4_und_v310_span_corruption  splits: train, validation" in lines
    assert "mixture  mc4_v310_span_corruption  (3 tasks)" in lines
    catalog.unregister_all()
    code, _, err = c4_testing.run_cli(
        "tasks", "list", "--vocab", mc4_vocab, "--c4", str(mc4_dir), "--language-alpha", "-2"
    )
    assert code == 2
    assert err.strip() == (
        "c4forge tasks: error: --language-alpha: the language sampling exponent must be >= 0, "
        "got -2.0"
    )
