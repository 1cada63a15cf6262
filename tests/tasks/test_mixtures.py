"""Mixing rates (T5 §3.5.2, docs/TASKS.md §1.6) and the registry's checks, with exact messages."""

from __future__ import annotations

import math
import re

import pytest
import seqio
import tensorflow as tf

from c4forge.tasks import catalog, mixtures, registry


def _source(train=300, validation=40):
    def dataset_fn(split, shuffle_files):
        return tf.data.Dataset.from_tensors({"targets": tf.constant("x")})

    return seqio.FunctionDataSource(
        dataset_fn,
        splits=["train", "validation"],
        num_input_examples={"train": train, "validation": validation},
    )


@pytest.fixture
def tasks(vocab):
    """Three small tasks with T5's features (sizes 300, 1200, 5000) and a byte-vocabulary one."""
    names = {"mixtest_alpha": 300, "mixtest_beta": 1200, "mixtest_gamma": 5000}
    for name, size in names.items():
        registry.add_task(name, _source(size), [], output_features=registry.output_features(vocab))
    registry.add_task(
        "mixtest_bytes",
        _source(),
        [],
        output_features=registry.output_features(seqio.ByteVocabulary()),
    )
    registry.add_task(
        "mixtest_targets_only",
        _source(),
        [],
        output_features={"targets": seqio.Feature(vocab, add_eos=True)},
    )
    added = [*names, "mixtest_bytes", "mixtest_targets_only"]
    yield list(names)
    registry.unregister(*added, "mixtest_mix")


def exactly(message):
    """A `match` pattern for the whole message."""
    return "^" + re.escape(message) + "$"


# -- rate formulas ------------------------------------------------------------------------


def test_proportional_with_cap_and_temperature():
    sizes = {"a": 100, "b": 400, "c": 0, "d": 2000}
    # K = 1000: min(e, K) = 100, 400, 0, 1000.
    assert mixtures.proportional(sizes, cap=1000) == {"a": 100, "b": 400, "c": 0.0, "d": 1000}
    # T = 2: square roots 10, 20, 0, sqrt(1000).
    rates = mixtures.proportional(sizes, cap=1000, temperature=2)
    assert rates == pytest.approx({"a": 10.0, "b": 20.0, "c": 0.0, "d": math.sqrt(1000)})
    total = 30 + math.sqrt(1000)
    assert mixtures.normalized(rates) == pytest.approx(
        {"a": 10 / total, "b": 20 / total, "c": 0.0, "d": math.sqrt(1000) / total}
    )
    # The paper's r_m = min(e_m, K) / sum_n min(e_n, K) with K = 1000: 100/1500, 400/1500, ...
    assert mixtures.normalized(mixtures.proportional(sizes, cap=1000)) == pytest.approx(
        {"a": 1 / 15, "b": 4 / 15, "c": 0.0, "d": 10 / 15}
    )
    # scale applies before the cap: 2000 * 0.25 = 500 < 1000; 400 * 0.25 = 100.
    assert mixtures.proportional({"b": 400, "d": 2000}, cap=1000, scale=0.25) == {
        "b": 100,
        "d": 500,
    }
    # No cap, T = 4: 10000 ** (1/4) = 10.
    assert mixtures.proportional({"x": 10000}, temperature=4) == pytest.approx({"x": 10.0})


def test_rate_errors():
    with pytest.raises(ValueError, match=exactly("temperature must be positive, got 0")):
        mixtures.proportional({"a": 1}, temperature=0)
    with pytest.raises(ValueError, match=exactly("all rates are zero")):
        mixtures.normalized({"a": 0.0, "b": 0.0})


def test_registered_mixture_rates_match(tasks):
    sizes = {"mixtest_alpha": 300, "mixtest_beta": 1200, "mixtest_gamma": 5000}
    rates = mixtures.proportional(sizes, cap=2000, temperature=2)
    mixture = registry.add_mixture("mixtest_mix", list(rates.items()))
    assert seqio.get_mixture_or_task("mixtest_mix") is mixture
    # sqrt(300), sqrt(1200) = 2 sqrt(300), sqrt(2000).
    total = 3 * math.sqrt(300) + math.sqrt(2000)
    expected = {
        "mixtest_alpha": math.sqrt(300) / total,
        "mixtest_beta": 2 * math.sqrt(300) / total,
        "mixtest_gamma": math.sqrt(2000) / total,
    }
    got = {t.name: mixture.get_rate(t) / mixture.total_rate for t in mixture.tasks}
    assert got == pytest.approx(expected)


def test_rate_num_examples_uses_the_sources_sizes(tasks):
    alpha = seqio.get_mixture_or_task("mixtest_alpha")
    assert mixtures.rate_num_examples()(alpha) == 300
    assert mixtures.rate_num_examples(maximum=200)(alpha) == 200
    assert mixtures.rate_num_examples(scale=0.5)(alpha) == 150
    # min(300 * 2, 400) ** (1/2) = 20.
    assert mixtures.rate_num_examples(maximum=400, scale=2, temperature=2)(alpha) == (
        pytest.approx(20.0)
    )
    mixture = registry.add_mixture(
        "mixtest_mix", tasks, default_rate=mixtures.rate_num_examples(maximum=1000)
    )
    got = {t.name: mixture.get_rate(t) / mixture.total_rate for t in mixture.tasks}
    # min(300, 1000), min(1200, 1000), min(5000, 1000) over 2300.
    assert got == pytest.approx(
        {"mixtest_alpha": 3 / 23, "mixtest_beta": 10 / 23, "mixtest_gamma": 10 / 23}
    )


def test_rate_num_examples_reads_the_split(tasks):
    # BUG: rate_num_examples drops its `split` argument (it never reaches seqio), so the rate
    # of the validation split is the train size (300) instead of 40.
    alpha = seqio.get_mixture_or_task("mixtest_alpha")
    assert mixtures.rate_num_examples(split="validation")(alpha) == 40


def test_rate_num_examples_on_the_c4_build(c4_dir, vocab, c4_texts):
    names = catalog.register_c4(catalog.CatalogConfig(c4=str(c4_dir)), vocab)
    try:
        task = seqio.get_mixture_or_task(names[0])
        # The build's stats count the train documents.
        assert mixtures.rate_num_examples()(task) == len(c4_texts["train"]) == 155
    finally:
        registry.unregister(*names)


def test_constant_rates(tasks):
    alpha = seqio.get_mixture_or_task("mixtest_alpha")
    assert mixtures.rate_unsupervised()(alpha) == 1e6
    assert mixtures.rate_unsupervised(5.0)(alpha) == 5.0
    assert mixtures.equal(alpha) == 1.0
    mixture = registry.add_mixture("mixtest_mix", tasks, default_rate=mixtures.equal)
    assert [mixture.get_rate(t) / mixture.total_rate for t in mixture.tasks] == (
        pytest.approx([1 / 3] * 3)
    )


# -- registry errors ----------------------------------------------------------------------


def test_duplicate_name(tasks, vocab):
    with pytest.raises(
        registry.RegistrationError,
        match=exactly(
            "'mixtest_alpha' is already registered; call "
            "c4forge.tasks.registry.unregister('mixtest_alpha') first to replace it"
        ),
    ):
        registry.add_task("mixtest_alpha", _source(), [], output_features={})
    registry.add_mixture("mixtest_mix", [("mixtest_alpha", 1.0)])
    with pytest.raises(registry.RegistrationError, match="'mixtest_mix' is already registered"):
        registry.add_mixture("mixtest_mix", [("mixtest_alpha", 1.0)])
    # A task cannot take a mixture's name either.
    with pytest.raises(registry.RegistrationError, match="'mixtest_mix' is already registered"):
        registry.add_task("mixtest_mix", _source(), [], output_features={})


def test_invalid_name():
    with pytest.raises(
        registry.RegistrationError,
        match=exactly("invalid task/mixture name 'bad name': use letters, digits and . : _ # only"),
    ):
        registry.add_task("bad name", _source(), [], output_features={})


def test_unknown_task_in_a_mixture(tasks):
    # The nearest names by difflib's ratio 2M/T (M matching characters, T both lengths), top 3:
    # mixtest_alpha 2*12/26 = 0.92 ("mixtest_alp" and one of "ah"), mixtest_gamma 2*10/26 = 0.77
    # ("mixtest_" and two "a"), mixtest_beta 2*9/25 = 0.72 ("mixtest_" and one "a").
    with pytest.raises(
        registry.RegistrationError,
        match=exactly(
            "mixture 'mixtest_mix': unknown task or mixture 'mixtest_alpah'; "
            "did you mean mixtest_alpha, mixtest_gamma, mixtest_beta?"
        ),
    ):
        registry.add_mixture("mixtest_mix", [("mixtest_alpha", 1.0), ("mixtest_alpah", 1.0)])
    with pytest.raises(
        registry.RegistrationError,
        match=exactly("mixture 'mixtest_mix': unknown task or mixture 'qqqqqqqqqqqq'"),
    ):
        registry.add_mixture("mixtest_mix", [("qqqqqqqqqqqq", 1.0)])
    assert "mixtest_mix" not in seqio.MixtureRegistry.names()


def test_mixture_needs_tasks_and_rates(tasks):
    with pytest.raises(
        registry.RegistrationError, match=exactly("mixture 'mixtest_mix' has no tasks")
    ):
        registry.add_mixture("mixtest_mix", [])
    with pytest.raises(
        registry.RegistrationError,
        match=exactly("mixture 'mixtest_mix': no rate for mixtest_beta and no default_rate"),
    ):
        registry.add_mixture("mixtest_mix", [("mixtest_alpha", 1.0), "mixtest_beta"])


def test_mismatched_output_features(tasks):
    sp = "SentencePieceVocabulary size 1100, eos=True, int32"
    byte = "ByteVocabulary size 259, eos=True, int32"
    with pytest.raises(
        registry.RegistrationError,
        match=exactly(
            "mixture 'mixtest_mix': output features differ between 'mixtest_alpha' "
            f"[inputs({sp}), targets({sp})] and 'mixtest_bytes' "
            f"[inputs({byte}), targets({byte})]"
        ),
    ):
        registry.add_mixture("mixtest_mix", [("mixtest_alpha", 1.0), ("mixtest_bytes", 1.0)])
    with pytest.raises(
        registry.RegistrationError,
        match=exactly(
            "mixture 'mixtest_mix': output features differ between 'mixtest_alpha' "
            f"[inputs({sp}), targets({sp})] and 'mixtest_targets_only' [targets({sp})]"
        ),
    ):
        registry.add_mixture("mixtest_mix", [("mixtest_alpha", 1.0), ("mixtest_targets_only", 1.0)])
    assert "mixtest_mix" not in seqio.MixtureRegistry.names()


def test_vocabulary_without_extra_ids(spm_model, c4_dir):
    plain = seqio.SentencePieceVocabulary(str(spm_model), extra_ids=0)
    message = (
        "span_corruption needs a vocabulary with at least 100 extra ids (sentinels); "
        "this one has 0: load it with extra_ids=100"
    )
    with pytest.raises(registry.RegistrationError, match=exactly(message)):
        registry.require_extra_ids(plain, 100, "span_corruption")
    some = seqio.SentencePieceVocabulary(str(spm_model), extra_ids=10)
    with pytest.raises(registry.RegistrationError, match="this one has 10: load it"):
        registry.require_extra_ids(some, 100, "iid_denoising")
    registry.require_extra_ids(some, 10, "iid_denoising")  # enough
    # Registering the C4 tasks with it fails before anything is registered.
    with pytest.raises(registry.RegistrationError, match=exactly(message)):
        catalog.register_c4(catalog.CatalogConfig(c4=str(c4_dir)), plain)
    assert not [n for n in seqio.TaskRegistry.names() if n.startswith("c4_en_v310_")]
