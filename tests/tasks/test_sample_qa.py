"""The bundled `sample_qa` task: its data, its seqio task, its metric and its C4 mixture."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys

import pytest
import seqio

from c4forge.tasks import catalog, evaluation, metrics, registry, sample_qa
from tools import make_qa_sample

import c4_testing

LENGTHS = {"inputs": 128, "targets": 32}


@pytest.fixture(scope="module")
def rows():
    return {split: sample_qa.read_split(split) for split in sample_qa.SPLITS}


@pytest.fixture(scope="module")
def task(vocab):
    catalog.unregister_all()
    registry.unregister(sample_qa.TASK_NAME)
    sample_qa.register_sample_qa(vocab)
    yield seqio.get_mixture_or_task(sample_qa.TASK_NAME)
    registry.unregister(sample_qa.TASK_NAME)


@pytest.fixture
def fresh():
    registry.unregister(sample_qa.TASK_NAME)
    catalog.unregister_all()
    yield
    catalog.unregister_all()


def _cli(*args: str) -> tuple[int, str, str]:
    return c4_testing.run_cli("tasks", *args)


# -- the data ---------------------------------------------------------------------------------


def test_regenerating_gives_the_committed_files_byte_for_byte(tmp_path):
    written = make_qa_sample.write_data(str(tmp_path))
    for split, committed in sample_qa.data_files().items():
        with open(written[split], "rb") as f:
            new = f.read()
        with open(committed, "rb") as f:
            old = f.read()
        # The content first (the clearer failure), then the gzip bytes: mtime 0, no file name.
        assert gzip.decompress(new) == gzip.decompress(old), split
        assert new[:10] == bytes.fromhex("1f8b08000000000002ff")
        assert new == old, split


def test_sizes_ids_and_fields(rows):
    assert {split: len(r) for split, r in rows.items()} == {"train": 5000, "validation": 200}
    assert sample_qa.SPLIT_SIZES == {"train": 5000, "validation": 200}
    for split, split_rows in rows.items():
        assert [r["id"] for r in split_rows] == [
            f"sample_qa-{split}-{i:05d}" for i in range(len(split_rows))
        ]
    assert set(rows["train"][0]) == {
        "id", "context", "question", "answers", "inputs", "targets"
    }  # fmt: skip


def test_every_answer_is_copied_from_its_context(rows):
    for split_rows in rows.values():
        for row in split_rows:
            (answer,) = row["answers"]["text"]
            (start,) = row["answers"]["answer_start"]
            assert row["context"][start : start + len(answer)] == answer
            # Every value in a context is different: the answer occurs once as a phrase.
            pattern = rf"(?<![\w]){re.escape(answer)}(?![\w])"
            assert len(re.findall(pattern, row["context"])) == 1, row
            # And the model sees it in its padded inputs, as its target.
            assert row["targets"] in row["inputs"]


def test_contexts_have_one_to_three_sentences(rows):
    counts = {len(r["context"].split(". ")) for r in rows["train"]}
    assert counts == {1, 2, 3}


def test_train_and_validation_are_disjoint(rows):
    def sentences(split):
        return {s.rstrip(".") for r in rows[split] for s in r["context"].split(". ")}

    assert not {r["inputs"] for r in rows["train"]} & {r["inputs"] for r in rows["validation"]}
    # No fact (a sentence states one) of validation is stated anywhere in train.
    assert not sentences("train") & sentences("validation")
    # Within a split, no example is repeated.
    for split_rows in rows.values():
        assert len({r["inputs"] for r in split_rows}) == len(split_rows)


def test_inputs_and_targets_are_t5s_squad_format(rows):
    first = rows["train"][1]
    assert first["context"] == (
        "In 1990, Iris Korrin was born in Carrowby. The Harbor 4 is a pink bicycle made by "
        "Northgale."
    )
    assert first["inputs"] == (
        "question: What colour is the Harbor 4 ? context: In 1990 , Iris Korrin was born in "
        "Carrowby . The Harbor 4 is a pink bicycle made by Northgale . "
    )
    assert first["targets"] == "pink"


def _run_python(code: str) -> str:
    """stdout of `python -c CODE` in a fresh process, from the repository root (for `tools`)."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=c4_testing.ROOT,
    )
    return done.stdout


def test_generating_needs_no_tensorflow_and_registers_nothing_at_import():
    code = "import seqio, c4forge.tasks.sample_qa; print(len(seqio.TaskRegistry.names()))"
    assert _run_python(code).split()[-1] == "0"
    for module in ("c4forge.tasks.sample_qa", "tools.make_qa_sample"):
        code = f"import sys, {module}; print('tensorflow' in sys.modules, 'seqio' in sys.modules)"
        assert _run_python(code).strip() == "False False", module


def test_generator_entry_point_writes_both_splits(tmp_path, capsys):
    assert make_qa_sample.main(["--output", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        os.path.basename(p) for p in sample_qa.data_files().values()
    )
    assert "validation: 200 examples" in capsys.readouterr().out


# -- the seqio task ---------------------------------------------------------------------------


def test_task_yields_tokenized_inputs_and_targets_with_eos(task, rows, vocab):
    assert task.source.num_input_examples("train") == 5000
    assert task.source.num_input_examples("validation") == 200
    assert task.metric_fns == [metrics.squad]
    ds = task.get_dataset(LENGTHS, split="validation", shuffle=False)
    examples = list(ds.as_numpy_iterator())
    assert len(examples) == 200
    for example, row in zip(examples, rows["validation"], strict=True):
        assert example["inputs_pretokenized"].decode() == row["inputs"]
        assert example["targets_pretokenized"].decode() == row["targets"]
        assert [a.decode() for a in example["answers"]] == [row["targets"]]
        for key in ("inputs", "targets"):
            ids = example[key].tolist()
            assert ids[-1] == vocab.eos_id
            assert vocab.eos_id not in ids[:-1]
            assert len(ids) <= LENGTHS[key]
        assert vocab.decode(example["targets"].tolist()) == row["targets"]


def test_inputs_fit_the_demo_lengths(task, rows, vocab):
    # A 1,000-piece vocabulary of real web text splits the made-up names finely; still, no
    # question is cut at 128/32.
    inputs = max(len(vocab.encode(r["inputs"])) for r in rows["train"])
    targets = max(len(vocab.encode(r["targets"])) for r in rows["train"])
    assert inputs < LENGTHS["inputs"]
    assert targets < LENGTHS["targets"]


def test_oracle_scores_100_and_wrong_answers_less(task, vocab):
    def oracle(batch):
        return batch["decoder_target_tokens"]

    assert evaluation.evaluate(sample_qa.TASK_NAME, oracle, feature_lengths=LENGTHS) == {
        "sample_qa": {"em": 100.0, "f1": 100.0}
    }
    wrong = [*vocab.encode("Tarnwick"), vocab.eos_id]

    def always_tarnwick(batch):
        return [wrong] * len(batch["encoder_input_tokens"])

    result = evaluation.evaluate(sample_qa.TASK_NAME, always_tarnwick, feature_lengths=LENGTHS)
    result = result["sample_qa"]
    assert result["em"] < 5
    assert result["f1"] < 5


def test_partly_right_answers_get_partial_f1(task, vocab):
    # Only the first word of each answer: exact on one-word answers, half F1 on two-word ones.
    def first_word(batch):
        out = []
        for row in batch["decoder_target_tokens"]:
            text = vocab.decode([t for t in row.tolist() if t not in (0, vocab.eos_id)])
            out.append([*vocab.encode(text.split(" ")[0]), vocab.eos_id])
        return out

    result = evaluation.evaluate(sample_qa.TASK_NAME, first_word, feature_lengths=LENGTHS)
    em, f1 = result["sample_qa"]["em"], result["sample_qa"]["f1"]
    assert 40 < em < 100
    assert em < f1 < 100


def test_missing_data_is_one_clear_error(tmp_path, vocab):
    missing = tmp_path / "sample_qa-train.jsonl.gz"
    before = set(seqio.TaskRegistry.names())
    registry.unregister(sample_qa.TASK_NAME)
    try:
        with pytest.raises(
            registry.RegistrationError,
            match=re.escape(
                f"sample_qa: bundled data {missing}, {tmp_path / 'sample_qa-validation.jsonl.gz'} "
                f"not found; write it with `python -m tools.make_qa_sample --output {tmp_path}`"
            ),
        ):
            sample_qa.register_sample_qa(vocab, data_dir=str(tmp_path))
        assert sample_qa.TASK_NAME not in seqio.TaskRegistry.names()
    finally:
        if sample_qa.TASK_NAME in before:
            sample_qa.register_sample_qa(vocab)


# -- the catalog and the mixture --------------------------------------------------------------


def test_catalog_registers_sample_qa_and_the_c4_mixture(fresh, spm_model, c4_dir, c4_texts):
    names = catalog.register(vocab=str(spm_model), c4=str(c4_dir))
    assert "sample_qa" in names
    config = catalog.CatalogConfig(vocab=str(spm_model), c4=str(c4_dir))
    name = catalog.sample_mixture_name(config)
    assert name == "c4_en_v310_sample_mix"
    assert name in names
    mixture = seqio.MixtureRegistry.get(name)
    assert [t.name for t in mixture.tasks] == ["c4_en_v310_span_corruption", "sample_qa"]
    # Examples-proportional: C4's train documents and sample_qa's train questions.
    rates = {t.name: mixture.get_rate(t) for t in mixture.tasks}
    assert rates == {"c4_en_v310_span_corruption": len(c4_texts["train"]), "sample_qa": 5000}


def test_the_mixture_feeds_training_batches(fresh, spm_model, c4_dir):
    from c4forge.tasks.feed import Feed

    catalog.register(vocab=str(spm_model), c4=str(c4_dir))
    batch = next(Feed("c4_en_v310_sample_mix", LENGTHS, batch_size=4, seed=0))
    assert batch["encoder_input_tokens"].shape == (4, 128)
    assert batch["decoder_target_tokens"].shape == (4, 32)


def test_without_sample_or_c4(fresh, spm_model, c4_dir):
    names = catalog.register(vocab=str(spm_model), c4=str(c4_dir), sample=False)
    assert "sample_qa" not in names
    assert not [n for n in names if n.endswith("_sample_mix")]
    assert catalog.sample_mixture_name(catalog.CatalogConfig(c4=str(c4_dir), sample=False)) is None
    catalog.unregister_all()
    names = catalog.register(vocab=str(spm_model))
    assert "sample_qa" in names
    assert catalog.sample_mixture_name(catalog.CatalogConfig(vocab=str(spm_model))) is None


def test_tasks_list_shows_them_and_no_sample_leaves_them_out(fresh, spm_model, c4_dir):
    code, out, err = _cli("list", "--vocab", str(spm_model), "--c4", str(c4_dir))
    assert code == 0, err
    lines = out.splitlines()
    assert "mixture  c4_en_v310_sample_mix  (2 tasks)" in lines
    assert "task     sample_qa  splits: train, validation" in lines
    catalog.unregister_all()
    code, out, err = _cli("list", "--vocab", str(spm_model), "--c4", str(c4_dir), "--no-sample")
    assert code == 0, err
    assert "sample" not in out


def test_json_lines_are_squad_fields():
    with gzip.open(sample_qa.data_files()["validation"], "rt") as f:
        row = json.loads(f.readline())
    assert list(row) == ["id", "context", "question", "answers"]
    assert list(row["answers"]) == ["text", "answer_start"]
