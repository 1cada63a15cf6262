"""The catalog's one entry point, and the `c4forge tasks list/show` commands over it."""

from __future__ import annotations

import pytest
import seqio

from c4forge.tasks import catalog, registry

import c4_testing


@pytest.fixture
def fresh():
    catalog.unregister_all()
    yield
    catalog.unregister_all()


def _cli(*args: str) -> tuple[int, str, str]:
    return c4_testing.run_cli("tasks", *args)


def test_nothing_is_registered_at_import():
    import importlib
    import subprocess
    import sys

    code = (
        "import seqio, tasks.catalog, tasks.glue, tasks.generation, tasks.mixtures, tasks.feed;"
        "print(len(seqio.TaskRegistry.names()), len(seqio.MixtureRegistry.names()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "0"]
    importlib.import_module("c4forge.tasks.catalog")


def test_register_is_idempotent_and_refuses_other_settings(fresh, spm_model, c4_dir):
    names = catalog.register(vocab=str(spm_model), c4=str(c4_dir))
    assert "c4_en_v310_span_corruption" in names
    assert "glue_v002_proportional" in names
    assert "c4_en_v310_mix" in names
    assert catalog.register(vocab=str(spm_model), c4=str(c4_dir)) == names
    with pytest.raises(registry.RegistrationError, match="already registered with other settings"):
        catalog.register(vocab=str(spm_model), c4=str(c4_dir), c4_version="3.0.1")
    catalog.unregister_all()
    assert "c4_en_v310_span_corruption" not in seqio.TaskRegistry.names()
    assert "glue_v002_proportional" not in seqio.MixtureRegistry.names()


def test_c4_mixture_holds_c4_and_supervised_tasks(fresh, spm_model, c4_dir):
    catalog.register(vocab=str(spm_model), c4=str(c4_dir))
    mix = seqio.MixtureRegistry.get("c4_en_v310_mix")
    rates = {t.name: mix.get_rate(t) for t in mix.tasks}
    assert rates["c4_en_v310_span_corruption"] == 1e6  # T5's rate_unsupervised
    assert rates["glue_cola_v002"] == 8551  # examples-proportional on T5's sizes
    assert rates["squad_v010_allanswers"] == 87599
    assert "glue_ax_v002" not in rates  # rate-0 (eval-only) tasks stay out


def test_a_missing_c4_build_is_one_clear_error(fresh, tmp_path, spm_model):
    with pytest.raises(registry.RegistrationError, match=r"no c4-train\.tfrecord-\* files there"):
        catalog.register(vocab=str(spm_model), c4=str(tmp_path))
    assert not [n for n in seqio.TaskRegistry.names() if n.startswith("c4_")]


def test_tasks_list(fresh, spm_model, c4_dir):
    code, out, _ = _cli("list", "--vocab", str(spm_model), "--c4", str(c4_dir))
    assert code == 0
    lines = out.splitlines()
    assert "task     c4_en_v310_span_corruption  splits: train, validation" in lines
    members = len(seqio.MixtureRegistry.get("c4_en_v310_mix").tasks)
    assert f"mixture  c4_en_v310_mix  ({members} tasks)" in lines
    assert any(line.startswith("task     glue_cola_v002") for line in lines)


def test_tasks_show_decodes_examples(fresh, spm_model, c4_dir):
    code, out, err = _cli(
        "show",
        "c4_en_v310_span_corruption",
        "--vocab",
        str(spm_model),
        "--c4",
        str(c4_dir),
        "-n",
        "2",
        "--lengths",
        "64,16",
    )
    assert code == 0, err
    assert out.count("--- example") == 2
    assert "inputs (64 ids): " in out
    assert "<extra_id_0>" in out
    assert "targets (" in out


def test_tasks_show_unknown_name(fresh, spm_model, c4_dir):
    code, _, err = _cli(
        "show", "c4_en_v310_span_corupt", "--vocab", str(spm_model), "--c4", str(c4_dir)
    )
    assert code == 2
    assert err.strip() == (
        "c4forge tasks: error: unknown task or mixture 'c4_en_v310_span_corupt'; did you mean "
        "c4_en_v310_span_corruption, c4_en_v310_span_corruption_s5, c4_en_v310_span_corruption_s2?"
    )


def test_tasks_show_without_a_vocabulary(fresh, c4_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no vocab/spm.model here
    code, _, err = _cli("show", "glue_cola_v002")
    assert code == 2
    assert err.strip() == (
        "c4forge tasks: error: vocabulary model vocab/spm.model not found: train one with "
        "`c4forge vocab train` or pass --vocab PATH"
    )


def _as_config(c4_dir, tmp_path, config: str):
    """A copy of the `en` build whose stats.json says `config` (the files are the same)."""
    import json
    import shutil

    copy = tmp_path / config
    shutil.copytree(c4_dir, copy)
    stats = json.loads((copy / "stats.json").read_text())
    stats["config"] = config
    (copy / "stats.json").write_text(json.dumps(stats))
    return copy


def test_more_builds_register_under_their_configs(fresh, spm_model, c4_dir, tmp_path):
    realnews = _as_config(c4_dir, tmp_path, "realnewslike")
    names = catalog.register(
        vocab=str(spm_model), c4=str(c4_dir), c4_also=[f"realnewslike={realnews}"], sample=False
    )
    for objective in ("span_corruption", "prefix_lm", "iid_denoising"):
        assert f"c4_en_v310_{objective}" in names
        assert f"c4_realnewslike_v310_{objective}" in names
    main = seqio.get_mixture_or_task("c4_en_v310_prefix_lm").source
    also = seqio.get_mixture_or_task("c4_realnewslike_v310_prefix_lm").source
    assert all(str(realnews) not in p for p in main.list_shards("train"))
    assert all(p.startswith(str(realnews)) for p in also.list_shards("train"))
    assert also.num_input_examples("train") == main.num_input_examples("train")
    # the mixtures built on C4 stay the main build's
    rates = seqio.MixtureRegistry.get("c4_en_v310_mix")
    assert "c4_realnewslike_v310_span_corruption" not in {t.name for t in rates.tasks}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("realnewslike", "--c4-also 'realnewslike': give CONFIG=DIR"),
        ("=DIR", "--c4-also '=DIR': give CONFIG=DIR"),
        ("multilingual=X", "'multilingual' is no English C4 config (en, en.noclean,"),
        ("en=X", "--c4-also en=X: C4 en is registered already (--c4 or an earlier --c4-also)"),
        ("webtextlike=MISSING", "--c4-also webtextlike=MISSING: no c4-train.tfrecord-* files in"),
        ("webtextlike=REALNEWS", "is a C4 realnewslike build (its stats.json)"),
    ],
)
def test_more_builds_misuse_is_one_line(fresh, spm_model, c4_dir, tmp_path, item, message):
    realnews = _as_config(c4_dir, tmp_path, "realnewslike")
    item = item.replace("MISSING", str(tmp_path / "missing")).replace("REALNEWS", str(realnews))
    with pytest.raises(registry.RegistrationError) as e:
        catalog.register(vocab=str(spm_model), c4=str(c4_dir), c4_also=[item])
    assert message.replace("MISSING", str(tmp_path / "missing")) in str(e.value)
    assert "\n" not in str(e.value)
    assert not [n for n in seqio.TaskRegistry.names() if n.startswith("c4_")]
