"""`c4forge study`: the grids (one factor per cell), the paper's scores, the cells' flags, and a
reduced study end to end on the real C4 test build, killed between its cells and resumed.

The paper's numbers expected here are typed from docs/STUDY.md (Raffel et al. 2020, §3), and
every row of model/paper_scores.py is also checked against that file where it is present.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import re
from pathlib import Path

import pytest

from c4forge.cli import main as cli
from c4forge.cli import study as study_cli
from c4forge.model import paper_scores, study_results
from c4forge.model import study as runs
from c4forge.model import study_grid as grid

ROOT = Path(__file__).resolve().parents[2]
STUDY_MD = ROOT.parent / "shared" / "docs" / "STUDY.md"
BASELINE = (83.28, 19.24, 80.88, 71.36, 26.98, 39.82, 27.65)  # the ★ row, Tables 1-13


def _call(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as e:
        return 0 if e.code is None else e.code


# ---------------------------------------------------------------------------------------------
# The grids.


@pytest.mark.parametrize("name", list(grid.STUDIES))
def test_every_cell_differs_from_the_baseline_in_the_studys_factor_alone(name):
    study = grid.STUDIES[name]
    baseline = grid.BASELINE.factors()
    first, *others = study.cells
    assert first.factors() == baseline, "each study starts with the baseline cell"
    assert others
    varied = [study.factor] if study.crossed is None else [study.factor, study.crossed]
    seen = set()
    for cell in others:
        changed = [f for f in grid.FACTORS if cell.factors()[f] != baseline[f]]
        assert changed, cell.name
        assert set(changed) <= set(varied), (cell.name, changed)
        seen.add(repr([cell.factors()[f] for f in varied]))
    assert len(seen) == len(others), "no two cells of a study are the same run"
    assert len({c.name for c in study.cells}) == len(study.cells)


def test_the_studies_are_the_papers_tables():
    rows = {name: [c.paper for c in s.cells] for name, s in grid.STUDIES.items()}
    assert rows["objectives"] == [
        ("Table 5", "Replace corrupted spans"),
        ("Table 4", "Prefix language modeling"),
        ("Table 4", "BERT-style"),
        ("Table 4", "Deshuffling"),
        ("Table 5", "MASS-style"),
        ("Table 5", "Drop corrupted tokens"),
    ]
    assert rows["multi-task"] == [
        ("Table 12", "Unsupervised pre-training + fine-tuning"),
        ("Table 12", "Multi-task training"),
        ("Table 12", "Multi-task pre-training + fine-tuning"),
        ("Table 12", "Supervised multi-task pre-training"),
    ]
    assert rows["datasets"] == [
        ("Table 8", "C4"), ("Table 8", "C4, unfiltered"), ("Table 8", "RealNews-like"),
        ("Table 8", "WebText-like"),
    ]  # fmt: skip
    assert [c.data_set for c in grid.STUDIES["datasets"].cells] == [
        "en", "en.noclean", "realnewslike", "webtextlike"
    ]  # fmt: skip
    objectives = {n: [c.objective for c in grid.STUDIES[n].cells] for n in rows}
    assert objectives["corruption-rate"] == [
        "iid_denoising", "iid_denoising_r10", "iid_denoising_r25", "iid_denoising_r50"
    ]  # fmt: skip
    assert objectives["span-length"] == [
        "iid_denoising", "span_corruption_s2", "span_corruption", "span_corruption_s5",
        "span_corruption_s10",
    ]  # fmt: skip
    architectures = ["encoder_decoder", "shared_encoder_decoder", "half_depth", "decoder_only",
                     "prefix_lm"]  # fmt: skip
    table2 = [(c.architecture, c.objective) for c in grid.STUDIES["architectures"].cells]
    assert table2 == [(a, "iid_denoising") for a in architectures] + [
        (a, "prefix_lm") for a in architectures
    ]
    assert grid.STUDIES["architectures"].crossed == "objective"
    assert [c.data_repeats for c in grid.STUDIES["data-size"].cells] == [0, 64, 256, 1024, 4096]
    tuning = [(c.fine_tuning, c.adapter_dim) for c in grid.STUDIES["fine-tuning"].cells]
    assert tuning == [
        ("all", 0), ("adapters", 32), ("adapters", 128), ("adapters", 512), ("adapters", 2048),
        ("gradual_unfreezing", 0),
    ]  # fmt: skip
    mixing = [
        (c.training, c.mixing_cap, c.mixing_temperature) for c in grid.STUDIES["mixing"].cells
    ]
    assert mixing == [
        ("pretrain_finetune", 0, 1.0), ("equal", 0, 1.0),
        *[("proportional", 2**k, 1.0) for k in range(16, 22)],
        ("temperature", 2**21, 2.0), ("temperature", 2**21, 4.0), ("temperature", 2**21, 8.0),
    ]  # fmt: skip


@pytest.mark.parametrize("name", list(grid.STUDIES))
def test_every_cell_has_its_paper_row_and_every_baseline_cell_the_star_row(name):
    study = grid.STUDIES[name]
    for cell in study.cells:
        assert len(paper_scores.row(*cell.paper).scores) == 7
    assert paper_scores.row(*study.cells[0].paper).scores == BASELINE


def test_the_objectives_length_rules():
    # T5's own sizes at 512 inputs (STUDY.md §3.1, §9.3): iid_15_u_u 192, iid_15_d_d 104,
    # span corruption 114, BERT/MASS/deshuffling the full 512; the other i.i.d. gins 103/256/512.
    expected_512 = {
        "iid_denoising": 192, "iid_denoising_r10": 103, "iid_denoising_r25": 256,
        "iid_denoising_r50": 512, "iid_drop_tokens": 104, "span_corruption": 114,
        "bert_style": 512, "mass_style": 512, "deshuffling": 512,
    }  # fmt: skip
    for objective, targets in expected_512.items():
        assert grid.pretrain_lengths(objective, 512) == (512, targets), objective
    assert grid.pretrain_lengths("iid_denoising", 128) == (128, 48)  # 192 * 128 / 512
    assert grid.pretrain_lengths("iid_denoising_r10", 128) == (128, 26)  # ceil(103 / 4)
    with pytest.raises(ValueError, match="no pre-training length rule"):
        grid.pretrain_lengths("iid_denoising_r30", 128)


def test_data_size_cells_repeat_the_data_as_table_9():
    from c4forge.tasks import data_size

    # At the paper's scale the caps are the paper's: 2^35 tokens / 64 = 2^29 ... / 4096 = 2^23.
    paper = _scale(steps=2**19, batch=128, inputs_length=512)
    caps = [grid.data_tokens(paper, c.data_repeats) for c in grid.STUDIES["data-size"].cells[1:]]
    assert caps == [2**29, 2**27, 2**25, 2**23]
    small = _scale(steps=300, batch=32, inputs_length=128)
    for repeats in (64, 256, 1024, 4096):
        tokens = grid.data_tokens(small, repeats)
        assert tokens == 1_228_800 // repeats
        assert data_size.planned_repeats(300, 32, 128, tokens) == repeats


def test_table_11_mixing_rates():
    sizes = {"sample_qa": 5000}
    cells = {c.name: c for c in grid.STUDIES["mixing"].cells}
    # C4 is larger than any K: its rate is K; sample_qa's min(5000, K).
    rates = grid.mixing_rates(cells["proportional_k2e16"], "c4", sizes)
    assert rates == {"c4": 65536.0, "sample_qa": 5000.0}
    rates = grid.mixing_rates(cells["temperature_t2"], "c4", sizes)
    assert math.isclose(rates["c4"], 2**10.5)
    assert math.isclose(rates["sample_qa"], 5000**0.5)
    assert grid.mixing_rates(cells["equal"], "c4", sizes) == {"c4": 1.0, "sample_qa": 1.0}


# ---------------------------------------------------------------------------------------------
# The paper's scores.


def test_paper_score_lookup():
    row = paper_scores.row("Table 5", "Drop corrupted tokens")
    assert row.scores == (84.44, 19.31, 80.52, 68.67, 27.07, 39.76, 27.82)
    assert row.score("SQuAD") == 80.52
    assert row.name == "Table 5: Drop corrupted tokens"
    assert paper_scores.row("Table 2", "Language model, Denoising").as_dict() == {
        "GLUE": 74.70, "CNNDM": 17.93, "SQuAD": 61.14, "SGLUE": 55.02, "EnDe": 25.09,
        "EnFr": 35.28, "EnRo": 25.86,
    }  # fmt: skip
    # Table 10 prints d = 2048 as a copy of d = 128; the true row is Table 16's.
    assert paper_scores.row("Table 10", "Adapter layers, d = 2048").scores == (
        82.62, 18.30, 79.40, 68.61, 25.64, 36.92, 26.93
    )  # fmt: skip
    assert paper_scores.row("Table 11", "Temperature-scaled, T = 8").score("GLUE") == 77.21
    assert paper_scores.BASELINE_SD == (0.235, 0.065, 0.343, 0.416, 0.112, 0.090, 0.108)
    with pytest.raises(KeyError, match="Table 5 has no row 'Nope'; its rows: BERT-style"):
        paper_scores.row("Table 5", "Nope")
    with pytest.raises(KeyError, match="no 'Table 99'"):
        paper_scores.row("Table 99", "x")


def test_paper_columns_of_our_tasks():
    column = paper_scores.column_for_task
    assert column("sample_qa") == "SQuAD"
    assert column("squad_v010_allanswers") == "SQuAD"
    assert column("glue_cola_v002") == "GLUE"
    assert column("super_glue_cb_v102") == "SGLUE"
    assert column("wmt14_enfr_v003") == "EnFr"
    assert column("wmt16_enro_v003") == "EnRo"
    assert column("cnn_dailymail_v002") == "CNNDM"
    assert column("toy_copy") is None
    results = {"glue_cola_v002": {"matthews_corrcoef": 40.0}, "glue_mrpc_v002": {
        "accuracy": 80.0, "f1": 90.0}, "sample_qa": {"em": 30.0, "f1": 41.0}}  # fmt: skip
    assert study_results.our_score(results, "GLUE") == (40.0 + 85.0) / 2  # subtask means, averaged
    assert study_results.our_score(results, "SQuAD") == 30.0
    assert study_results.our_score(results, "EnDe") is None


# STUDY.md heads Tables 2 and 9 with column names where the others carry their number.
_UNNUMBERED = {"Architecture": "Table 2", "Tokens": "Table 9"}


def _study_md_rows() -> dict[str, list[tuple[float, ...]]]:
    """Table -> its rows' seven scores, in order, as STUDY.md prints them."""
    tables: dict[str, list[tuple[float, ...]]] = {}
    current = None
    for line in STUDY_MD.read_text().splitlines():
        if not line.startswith("|"):
            current = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        first = cells[0].strip("*★ ")
        numbered = re.match(r"Table \d+", first)
        name = numbered.group(0) if numbered else _UNNUMBERED.get(first)
        if name and cells[-1] in ("EnRo", ""):  # a header, or a "**Table 5: ...**" row
            current = name
            tables.setdefault(name, [])
            continue
        try:
            scores = tuple(float(c) for c in cells[-7:])
        except ValueError:
            continue
        if current and first != "Baseline SD":  # Table 1's SD: paper_scores.BASELINE_SD
            tables[current].append(scores)
    return tables


def test_every_quoted_row_is_the_one_in_study_md():
    if not STUDY_MD.exists():
        pytest.skip(f"{STUDY_MD} is not on this machine")
    printed = _study_md_rows()
    assert set(printed) == set(paper_scores.TABLES)
    assert printed["Table 1"][0] == BASELINE
    for table, rows in paper_scores.TABLES.items():
        assert list(rows.values()) == printed[table], table


# ---------------------------------------------------------------------------------------------
# A cell's runs as `c4forge train` / `c4forge eval` flags.


def _scale(**change) -> grid.Scale:
    """`c4forge study`'s default scale, but for `change`."""
    scale = grid.Scale(
        model="t5.1.1-mini", layers=2, steps=250, finetune_steps=500, batch=32,
        inputs_length=128, targets_length=16, eval_examples=200, finetune_learning_rate=0.01,
    )  # fmt: skip
    return dataclasses.replace(scale, **change)


def _where(tmp_path) -> runs.Where:
    return runs.Where(
        out=str(tmp_path / "study"),
        catalog_argv=("--c4", "/data/c4", "--vocab", "/data/spm.model"),
        c4_task=lambda data_set, objective: f"c4_{data_set.replace('.', '_')}_v310_{objective}",
        tasks="sample_qa",
        task_sizes={"sample_qa": 5000},
        vocab_size=2176,
    )


def _resolved(argv):
    """What `c4forge train` makes of the flags (its own parser and resolution)."""
    from c4forge.cli import train as train_cli

    return train_cli.resolve(train_cli.build_parser().parse_args(list(argv)))


@pytest.mark.parametrize("name", list(grid.STUDIES))
def test_the_flags_reach_the_trainer_as_the_cell_says(name, tmp_path):
    study, scale, where = grid.STUDIES[name], _scale(), _where(tmp_path)
    plans = runs.plan_cells(study, scale, where)
    assert [p.cell for p in plans] == list(study.cells)
    for plan in plans:
        cell = plan.cell
        kinds = [s.kind for s in plan.stages]
        if not cell.multitask:
            assert kinds == ["pretrain", "finetune", "eval"]
        elif cell.mixing_then_finetune:
            assert kinds == ["multitask", "finetune", "eval"]
        else:
            assert kinds == ["multitask", "eval"]
        first = _resolved(plan.stages[0].argv)
        model, train = first["model"], first["train"]
        want = runs.cell_model(plan.cell, scale, where.vocab_size)
        assert {k: model[k] for k in ("architecture", "num_encoder_layers",
                                      "num_decoder_layers", "vocab_size")} == {
            "architecture": want.architecture, "num_encoder_layers": want.num_encoder_layers,
            "num_decoder_layers": want.num_decoder_layers, "vocab_size": 2176,
        }  # fmt: skip
        assert (train["inputs_length"], train["targets_length"]) == plan.lengths
        assert train["eval_examples"] == 0
        assert (train["schedule"], train["learning_rate"]) == ("rsqrt", 0.0)
        assert train["keep_checkpoints"] == 1
        if cell.multitask:
            # Table 11: the paper's 2^19 + 2^18, pre-train + fine-tune, in one multi-task run;
            # Table 12: 2^19 of it, then fine-tuning
            assert train["steps"] == (250 if cell.mixing_then_finetune else 750)
            base = "c4_en_v310_iid_denoising" if cell.mixing_c4 else "sample_qa"
            assert first["mixture"] == f"{base}_study_{cell.name}"
            rates = dict(plan.stages[0].mixture)
            assert rates == grid.mixing_rates(cell, "c4_en_v310_iid_denoising", {"sample_qa": 5000})
            assert ("c4_en_v310_iid_denoising" in rates) == cell.mixing_c4
        if not cell.multitask or cell.mixing_then_finetune:
            if not cell.multitask:
                data_set = cell.data_set.replace(".", "_")
                assert first["mixture"] == f"c4_{data_set}_v310_{cell.objective}"
                assert train["steps"] == 250
                assert train["data_tokens"] == (
                    grid.data_tokens(scale, cell.data_repeats) if cell.data_repeats else 0
                )
            finetune = plan.stages[1].argv
            assert finetune[finetune.index("--steps") + 1] == "500"
            assert finetune[finetune.index("--init-from") + 1] == plan.stages[0].path
            sets = [finetune[i + 1] for i, a in enumerate(finetune) if a == "--set"]
            assert f"finetune={plan.cell.fine_tuning}" in sets
            assert "learning_rate=0.01" in sets  # fine-tuning's; pre-training keeps rsqrt
            assert ("adapter_dim=32" in sets) == (plan.cell.adapter_dim == 32)
        evaluate = plan.stages[-1].argv
        assert evaluate[evaluate.index("--checkpoint") + 1] == plan.stages[-2].path


def test_half_depth_and_decoder_only_cells():
    plans = {p.cell.name: p for p in runs.plan_cells(grid.STUDIES["architectures"], _scale(),
                                                      _where(Path("/tmp")))}  # fmt: skip
    half = plans["half_depth"].stages[0].argv
    assert "num_encoder_layers=1" in half
    assert "num_decoder_layers=1" in half
    lm = plans["decoder_only"].stages[0].argv
    assert "architecture=decoder_only" in lm
    assert "num_encoder_layers=0" in lm
    assert plans["half_depth"].setting == (
        "half_depth (1+1 layers; params P, cost M/2); objective iid_denoising"
    )
    # Table 2's "LM" rows: the prefix LM objective, learnt whole by the decoder-only LM
    assert plans["half_depth_lm"].setting == (
        "half_depth (1+1 layers; params P, cost M/2); objective prefix_lm"
    )
    for name in ("encoder_decoder_lm", "decoder_only_lm", "prefix_lm_lm"):
        argv = plans[name].stages[0].argv
        assert argv[argv.index("--mixture") + 1] == "c4_en_v310_prefix_lm", name
    assert "architecture=decoder_only" in plans["decoder_only_lm"].stages[0].argv
    assert "architecture=prefix_lm" in plans["prefix_lm_lm"].stages[0].argv
    assert len({p.stages[0].path for p in plans.values()}) == 10, "ten pre-trainings"
    with pytest.raises(ValueError, match="even number of layers"):
        runs.plan_cells(grid.STUDIES["architectures"], _scale(layers=3), _where(Path("/tmp")))


def test_dataset_cells_pre_train_on_their_builds_and_fine_tune_alike(tmp_path):
    plans = {p.cell.name: p for p in runs.plan_cells(grid.STUDIES["datasets"], _scale(),
                                                      _where(tmp_path))}  # fmt: skip
    mixtures = {n: p.stages[0].argv[p.stages[0].argv.index("--mixture") + 1]
                for n, p in plans.items()}  # fmt: skip
    assert mixtures == {
        "c4": "c4_en_v310_iid_denoising",
        "c4_unfiltered": "c4_en_noclean_v310_iid_denoising",
        "realnewslike": "c4_realnewslike_v310_iid_denoising",
        "webtextlike": "c4_webtextlike_v310_iid_denoising",
    }
    assert plans["realnewslike"].setting == "C4 realnewslike"
    assert len({p.stages[0].path for p in plans.values()}) == 4, "one pre-training each"
    finetunes = {p.stages[1].argv[p.stages[1].argv.index("--mixture") + 1] for p in plans.values()}
    assert finetunes == {"sample_qa"}


def test_fine_tuning_cells_share_the_baselines_pre_training(tmp_path):
    plans = runs.plan_cells(grid.STUDIES["fine-tuning"], _scale(), _where(tmp_path))
    shared = {p.stages[0].path for p in plans}
    assert shared == {str(tmp_path / "study" / "all" / "pretrain")}
    assert len({p.stages[1].path for p in plans}) == len(plans)


def _fake_checkpoint(run: Path, step: int) -> None:
    """What a run leaves: its config.json and a finished checkpoint step (a params dir)."""
    (run / "checkpoints" / str(step) / "params").mkdir(parents=True)
    (run / "config.json").write_text("{}")


def test_run_cell_continues_only_what_is_unfinished(tmp_path):
    scale = _scale(steps=3, finetune_steps=2)
    plan = runs.plan_cells(grid.STUDIES["objectives"], scale, _where(tmp_path))[0]
    pretrain, finetune, evaluate = plan.stages
    _fake_checkpoint(Path(pretrain.path), 3)  # finished
    _fake_checkpoint(Path(finetune.path), 1)  # stopped at step 1 of 2
    calls = []

    def train(argv):
        calls.append(("train", argv))
        (Path(finetune.path) / "checkpoints" / "2" / "params").mkdir(parents=True)
        return 0

    def score(argv):
        calls.append(("eval", argv))
        Path(evaluate.path).write_text('{"sample_qa": {"em": 1.0}}')
        return 0

    runner = runs.Runner(train, score, register_mixture=pytest.fail, log=lambda text: None)
    assert runs.run_cell(plan, runner) == ["finetune", "eval"]
    assert calls == [
        ("train", ["--resume", "--out", finetune.path, "--steps", "2"]),
        ("eval", list(evaluate.argv)),
    ]
    assert runs.cell_finished(plan)
    assert runs.run_cell(plan, runner) == []  # finished: nothing runs again
    assert len(calls) == 2
    os.utime(evaluate.path, (0, 0))  # an eval older than its checkpoint is redone
    assert runs.run_cell(plan, runner) == ["eval"]


def test_a_failed_run_stops_the_study_with_its_exit_code(tmp_path):
    plan = runs.plan_cells(grid.STUDIES["objectives"], _scale(), _where(tmp_path))[0]
    runner = runs.Runner(lambda argv: 2, pytest.fail, pytest.fail, log=lambda text: None)
    with pytest.raises(runs.StageError, match="cell iid_denoising: its pretrain run failed") as e:
        runs.run_cell(plan, runner)
    assert e.value.code == 2


# ---------------------------------------------------------------------------------------------
# The command: misuse, --list.


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["objectives", "--cells", "bert_style,nope", "--c4", "x"],
         "--cells: objectives has no cell 'nope'; its cells: iid_denoising, prefix_lm"),
        (["objectives", "--set", "architecture=prefix_lm"], "--set architecture: the study sets"),
        (["objectives", "--set", "no_such_key=1"], "unknown setting 'no_such_key'"),
        (["objectives", "--steps", "0"], "--steps must be positive"),
        (["objectives"], "--c4 is required"),
        (["unknown-study"], "unknown study 'unknown-study'; the studies: objectives,"),
    ],
)  # fmt: skip
def test_misuse_is_one_line_and_exit_2(argv, message, capsys):
    assert _call(["study", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("c4forge study: error: "), err
    assert message in err[0], err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "cell realnewslike pre-trains on C4 realnewslike: pass its build as --c4-also "
             "realnewslike=DIR (or leave the cell out with --cells)"),
        (["--c4-also", "realnewslike"], "--c4-also 'realnewslike': give CONFIG=DIR"),
    ],
)  # fmt: skip
def test_a_dataset_cell_without_its_build_is_one_line(
    extra, message, c4_dir, spm_model, fresh_catalog, capsys
):
    argv = ["study", "datasets", "--c4", str(c4_dir), "--vocab", str(spm_model)]
    assert _call([*argv, "--cells", "c4,realnewslike", *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"c4forge study: error: {message}"]


def test_list_prints_every_cell_with_its_setting_and_paper_row(capsys):
    assert _call(["study", "architectures", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("c4forge study architectures: §3.2, Table 2")
    assert lines[0].endswith("varies the architecture, crossed with the objective")
    assert len(lines) == 1 + 10
    assert lines[3].split() == [
        "half_depth", "half_depth", "(1+1", "layers;", "params", "P,", "cost", "M/2);",
        "objective", "iid_denoising", "128/48", "Table", "2:", "Enc-dec,", "6", "layers,",
        "Denoising",
    ]  # fmt: skip
    assert lines[9].split()[0] == "decoder_only_lm"
    assert lines[9].endswith("128/128  Table 2: Language model, LM")


# ---------------------------------------------------------------------------------------------
# End to end: two cells on the real C4 test build, killed between them, resumed.


class _Killed(Exception):
    pass


@pytest.fixture
def fresh_catalog():
    import seqio

    from c4forge.tasks import catalog, registry

    def forget():
        catalog.unregister_all()
        # The mixing cells' mixtures (`<c4 task>_study_<cell>`) are the study's, not the catalog's.
        registry.unregister(*(n for n in seqio.MixtureRegistry.names() if "_study_" in n))

    forget()
    yield
    forget()


def _mtimes(directory: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_reduced_study_runs_resumes_after_a_kill_and_tables_the_paper(
    c4_dir, spm_model, tmp_path, fresh_catalog, monkeypatch, capsys
):
    out = tmp_path / "out"
    argv = [
        "study", "objectives", "--c4", str(c4_dir), "--vocab", str(spm_model),
        "--model", "t5-tiny", "--steps", "3", "--finetune-steps", "2", "--batch", "4",
        "--lengths", "32,8", "--eval-examples", "4", "--out", str(out),
        "--cells", "iid_denoising,bert_style",
    ]  # fmt: skip
    real_run_cell = runs.run_cell

    def killed_after_the_first_cell(plan, runner):
        real_run_cell(plan, runner)
        raise _Killed(plan.cell.name)

    monkeypatch.setattr(runs, "run_cell", killed_after_the_first_cell)
    with pytest.raises(_Killed, match="iid_denoising"):
        cli.main(argv)
    first, second = out / "objectives" / "iid_denoising", out / "objectives" / "bert_style"
    assert (first / "eval.json").exists()
    assert not second.exists()
    assert runs.finished_step(str(first / "pretrain")) == 3
    assert runs.finished_step(str(first / "finetune")) == 2
    before = _mtimes(first)
    assert any("/checkpoints/" in path for path in before)

    monkeypatch.setattr(runs, "run_cell", real_run_cell)
    capsys.readouterr()
    assert cli.main(argv) == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "iid_denoising: already finished" in printed
    assert "bert_style: ran pretrain, finetune, eval" in printed
    assert _mtimes(first) == before  # not one file of the first cell rewritten

    config = json.loads((second / "pretrain" / "config.json").read_text())
    assert config["mixture"] == "c4_en_v310_bert_style"
    assert (config["train"]["inputs_length"], config["train"]["targets_length"]) == (32, 32)
    assert config["model"]["vocab_size"] == 1152  # 1,000 pieces + 100 sentinels, in 128s
    assert runs.finished_step(str(second / "pretrain")) == 3
    assert runs.finished_step(str(second / "finetune")) == 2
    scored = json.loads((second / "eval.json").read_text())["sample_qa"]
    assert set(scored) == {"em", "f1"}

    with open(out / "objectives" / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["cell"] for r in rows] == ["iid_denoising", "bert_style"]
    assert [r["pretrain lengths"] for r in rows] == ["32/12", "32/32"]
    columns = ("GLUE", "CNNDM", "SQuAD", "SGLUE", "EnDe", "EnFr", "EnRo")
    assert [r["paper row"] for r in rows] == [
        "Table 5: Replace corrupted spans", "Table 4: BERT-style"
    ]  # fmt: skip
    assert tuple(float(rows[0][f"paper {c}"]) for c in columns) == BASELINE
    assert tuple(float(rows[1][f"paper {c}"]) for c in columns) == (
        82.96, 19.17, 80.65, 69.85, 26.78, 40.03, 27.41
    )  # fmt: skip
    assert float(rows[1]["ours sample_qa/em"]) == scored["em"]
    markdown = (out / "objectives" / "results.md").read_text()
    assert markdown.count("\n| iid_denoising |") == 1
    assert markdown.count("\n| bert_style |") == 1
    assert "the paper's SQuAD column (em)" in markdown
    assert (out / "objectives" / "results.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_plan_saved_before_later_cell_fields_still_resumes(tmp_path):
    study = grid.STUDIES["objectives"]
    plan = runs.plan_cells(study, _scale(), _where(tmp_path))[1]
    runs.write_plan(plan)
    path = Path(plan.directory) / runs.PLAN_FILE
    saved = json.loads(path.read_text())
    for field in ("data_set", "mixing_c4", "mixing_then_finetune"):  # added to Cell later
        del saved["cell"][field]
    path.write_text(json.dumps(saved))
    runs.check_plans([plan])  # their defaults are what every earlier cell had
    saved["cell"]["objective"] = "bert_style"
    path.write_text(json.dumps(saved))
    with pytest.raises(ValueError, match=r"cell\.objective: 'bert_style' then, 'prefix_lm' now"):
        runs.check_plans([plan])


def test_a_cell_without_a_mixture_cannot_leave_c4_out_or_fine_tune_after_it():
    with pytest.raises(ValueError, match="cell x: no multi-task mixture to pre-train on"):
        grid.Cell("x", ("Table 12", "?"), mixing_c4=False)
    with pytest.raises(ValueError, match="cell x: no multi-task mixture to pre-train on"):
        grid.Cell("x", ("Table 12", "?"), mixing_then_finetune=True)


def test_a_rerun_at_another_scale_is_refused_before_any_run(tmp_path, monkeypatch, capsys):
    study = grid.STUDIES["objectives"]
    where = _where(tmp_path)
    runs.write_plan(runs.plan_cells(study, _scale(), where)[1])
    monkeypatch.setattr(study_cli, "where_of", lambda args, study, cells, chosen: where)
    monkeypatch.setattr(runs, "run_cell", pytest.fail)  # nothing may start
    assert _call(["study", "objectives", "--c4", "x", "--steps", "400"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"c4forge study: error: {where.out}/prefix_lm was planned with other")
    assert "'250' then, '400' now" in err


def test_a_mixing_cell_trains_one_multi_task_run_at_table_11s_rates(
    c4_dir, spm_model, tmp_path, fresh_catalog, capsys
):
    import seqio

    out = tmp_path / "out"
    argv = [
        "study", "mixing", "--c4", str(c4_dir), "--vocab", str(spm_model), "--model", "t5-tiny",
        "--steps", "2", "--finetune-steps", "1", "--batch", "4", "--lengths", "32,8",
        "--eval-examples", "4", "--out", str(out), "--cells", "proportional_k2e16",
    ]  # fmt: skip
    assert cli.main(argv) == 0, capsys.readouterr().err
    cell = out / "mixing" / "proportional_k2e16"
    assert sorted(p.name for p in cell.iterdir()) == ["cell.json", "eval.json", "multitask"]
    config = json.loads((cell / "multitask" / "config.json").read_text())
    assert config["train"]["steps"] == 3  # pre-training's and fine-tuning's steps together
    mixture = seqio.get_mixture_or_task(config["mixture"])
    rates = {task.name: mixture.get_rate(task) for task in mixture.tasks}
    assert rates == {"c4_en_v310_iid_denoising": 65536.0, "sample_qa": 5000.0}
    with open(out / "mixing" / "results.csv") as f:
        (row,) = list(csv.DictReader(f))
    assert row["paper row"] == "Table 11: Examples-proportional, K = 2^16"
    columns = ("GLUE", "CNNDM", "SQuAD", "SGLUE", "EnDe", "EnFr", "EnRo")
    assert tuple(float(row[f"paper {c}"]) for c in columns) == (
        80.45, 19.04, 77.25, 69.95, 24.35, 34.99, 27.10
    )  # fmt: skip


def test_the_datasets_study_pre_trains_each_cell_on_its_own_build(
    c4_dir, spm_model, tmp_path, fresh_catalog, capsys
):
    import shutil

    realnews = tmp_path / "realnewslike"  # the en build's files, as a realnewslike build
    shutil.copytree(c4_dir, realnews)
    stats = json.loads((realnews / "stats.json").read_text())
    (realnews / "stats.json").write_text(json.dumps({**stats, "config": "realnewslike"}))
    out = tmp_path / "out"
    argv = [
        "study", "datasets", "--c4", str(c4_dir), "--vocab", str(spm_model),
        "--c4-also", f"realnewslike={realnews}", "--model", "t5-tiny", "--steps", "2",
        "--finetune-steps", "1", "--batch", "4", "--lengths", "32,8", "--eval-examples", "4",
        "--out", str(out), "--cells", "c4,realnewslike",
    ]  # fmt: skip
    assert cli.main(argv) == 0, capsys.readouterr().err
    for cell, mixture in (("c4", "c4_en_v310_iid_denoising"),
                          ("realnewslike", "c4_realnewslike_v310_iid_denoising")):  # fmt: skip
        config = json.loads((out / "datasets" / cell / "pretrain" / "config.json").read_text())
        assert config["mixture"] == mixture
        assert config["catalog"]["c4_also"] == [f"realnewslike={realnews}"]
    with open(out / "datasets" / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert [row["paper row"] for row in rows] == ["Table 8: C4", "Table 8: RealNews-like"]


def test_supervised_multi_task_pre_training_then_fine_tuning(
    c4_dir, spm_model, tmp_path, fresh_catalog, capsys
):
    import seqio

    out = tmp_path / "out"
    argv = [
        "study", "multi-task", "--c4", str(c4_dir), "--vocab", str(spm_model), "--model",
        "t5-tiny", "--steps", "2", "--finetune-steps", "1", "--batch", "4", "--lengths", "32,8",
        "--eval-examples", "4", "--out", str(out), "--cells", "supervised_finetune",
    ]  # fmt: skip
    assert cli.main(argv) == 0, capsys.readouterr().err
    cell = out / "multi-task" / "supervised_finetune"
    assert sorted(p.name for p in cell.iterdir()) == [
        "cell.json", "eval.json", "finetune", "multitask"
    ]  # fmt: skip
    multitask = json.loads((cell / "multitask" / "config.json").read_text())
    assert multitask["train"]["steps"] == 2
    mixture = seqio.get_mixture_or_task(multitask["mixture"])
    assert [task.name for task in mixture.tasks] == ["sample_qa"]  # no C4
    finetune = json.loads((cell / "finetune" / "config.json").read_text())
    assert finetune["init_from"] == str(cell / "multitask")
    assert finetune["train"]["steps"] == 1
    with open(out / "multi-task" / "results.csv") as f:
        (row,) = list(csv.DictReader(f))
    assert row["paper row"] == "Table 12: Supervised multi-task pre-training"
