"""The T5 paper's study, run (Raffel et al. 2020, §3; docs/STUDY.md): `c4forge study`.

The grids (cells, studies, scale, length rules) are model/study_grid.py's; this module plans
each cell's runs and runs them; the tables and plot are model/study_results.py's.

Each cell is normal `c4forge train` / `c4forge eval` runs under OUT/<study>/<cell>/:
- `pretrain`: C4 with the cell's objective for `steps` steps, at the inputs length and the
  targets length the objective's own length rule gives (`pretrain_lengths`);
- `finetune`: `--init-from` that run, on the downstream tasks, `finetune_steps` steps (t5x's
  fine-tuning settings, cli/train.py, at the scale's constant learning rate) with the cell's
  strategy;
- `eval.json`: `c4forge eval` of the fine-tuned run on the tasks (greedy, as §3.1-3.6).
Cells whose pre-training is the same share one pretrain run, the first such cell's (the
fine-tuning study's cells all fine-tune the baseline's). A mixing cell has one run instead,
`multitask`: `steps + finetune_steps` steps (the paper's 2^19 + 2^18) on a mixture of the C4
objective task and the tasks under Table 11's rule (`mixing_rates`); Table 12's cells train
`multitask` for `steps` (on C4 and the tasks, or the tasks alone), then `finetune` from it.

Resume: a run is finished when its newest finished checkpoint is its last step, an evaluation
when eval.json is newer than the checkpoint it scored; a rerun does only what is unfinished,
continuing a stopped run from its checkpoint (`c4forge train --resume`). Each cell's plan (every
run's flags) is written to `cell.json` first; a rerun planning anything else for a directory
that has one is refused (`check_plans`), so a result never mixes two scales.

The runs themselves go through injected callables (`Runner`: `c4forge train` and `c4forge eval`
entry points, the mixture registration), so this module neither calls a CLI nor registers
anything itself; it imports nothing heavy at module level (`c4forge study --help` stays fast).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence

from c4forge.model.study_grid import (
    Cell,
    Scale,
    Study,
    data_tokens,
    mixing_rates,
    run_lengths,
)

# ---------------------------------------------------------------------------------------------
# Plans: every run of a cell as `c4forge train` / `c4forge eval` flags.

# `c4forge train --set` keys the study sets itself (T5Config / TrainConfig fields, `c4forge
# train --settings`; cli/train.py, model/finetune.py, tasks/data_size.py): the one place their
# names appear. The model's (architecture, layers, vocabulary) are the T5Config fields that
# `model.config.study_architecture` changes, named by the dataclass itself.
TRAIN_KEYS = {
    "fine_tuning": "finetune",
    "adapter_dim": "adapter_dim",
    "data_tokens": "data_tokens",
    "learning_rate": "learning_rate",  # fine-tuning's (pre-training keeps t5x's rsqrt)
    "eval_examples": "eval_examples",  # 0: no decoding while training; `c4forge eval` scores
    "keep_checkpoints": "keep_checkpoints",  # 1: a cell needs only its runs' last checkpoint
}


@dataclasses.dataclass(frozen=True)
class Stage:
    """One run of a cell: `kind` pretrain / finetune / multitask (`c4forge train`, run dir
    `path`, `steps`) or eval (`c4forge eval`, output `path`)."""

    kind: str
    path: str
    argv: tuple[str, ...]
    steps: int = 0
    mixture: tuple[tuple[str, float], ...] = ()  # multitask: register this mixture first

    @property
    def trains(self) -> bool:
        return self.kind != "eval"


@dataclasses.dataclass(frozen=True)
class CellPlan:
    study: str
    cell: Cell
    directory: str
    setting: str  # the cell's row in words (`setting`)
    lengths: tuple[int, int]  # pre-training's (multi-task: the run's) inputs, targets
    stages: tuple[Stage, ...]

    @property
    def eval_path(self) -> str:
        return self.stages[-1].path

    def to_json(self) -> dict:
        """The plan as cell.json holds it (tuples as lists: equal to what is read back)."""
        plan = {"study": self.study, "cell": self.cell, "setting": self.setting,
                "lengths": self.lengths, "stages": self.stages}  # fmt: skip
        return json.loads(json.dumps(plan, default=dataclasses.asdict))


@dataclasses.dataclass(frozen=True)
class Where:
    """What the runs read and where they write."""

    out: str  # OUT/<study>
    catalog_argv: tuple[str, ...]  # --c4 C4 --vocab VOCAB ... for `c4forge train`
    c4_task: Callable[[str, str], str]  # (C4 config, objective name) -> its registered C4 task
    tasks: str  # the downstream task or mixture (fine-tuned on, evaluated)
    task_sizes: Mapping[str, int]  # its tasks' train examples (mixing)
    vocab_size: int  # the model's (seqio vocabulary + sentinels, rounded up to 128)


def _sets(changes: Mapping[str, object]) -> list[str]:
    out = []
    for key, value in changes.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        out += ["--set", f"{key}={text}"]
    return out


def baseline_model(scale: Scale, vocab_size: int):
    """The baseline encoder-decoder: the preset, its vocabulary and (if given) layers."""
    from c4forge.model.config import preset

    base = dataclasses.replace(preset(scale.model), vocab_size=vocab_size)
    if scale.layers:
        base = dataclasses.replace(base, num_encoder_layers=scale.layers,
                                   num_decoder_layers=scale.layers)  # fmt: skip
    return base


def cell_model(cell: Cell, scale: Scale, vocab_size: int):
    """The cell's T5Config: Table 2's row `cell.architecture` of the baseline (ValueError for
    one the baseline cannot make, e.g. half depth of an odd number of layers)."""
    from c4forge.model.config import study_architecture

    return study_architecture(baseline_model(scale, vocab_size), cell.architecture)


def _model_sets(cell: Cell, scale: Scale, vocab_size: int) -> dict[str, object]:
    """The T5Config fields where the cell's model differs from the preset: --set them."""
    from c4forge.model.config import preset

    start, want = preset(scale.model), cell_model(cell, scale, vocab_size)
    return {
        f.name: getattr(want, f.name)
        for f in dataclasses.fields(want)
        if getattr(want, f.name) != getattr(start, f.name)
    }


def setting(cell: Cell, study: Study, scale: Scale, vocab_size: int = 32128) -> str:
    """The cell's row in words (the table's "setting" column): its value of the study's factor
    and, in a crossed study, of the second factor."""
    words = describe(cell, study.factor, scale, vocab_size)
    if study.crossed is not None:
        words += f"; {study.crossed.replace('_', ' ')} {describe(cell, study.crossed, scale)}"
    return words


def describe(cell: Cell, factor: str, scale: Scale, vocab_size: int = 32128) -> str:
    """The value of `factor` in `cell`, in words."""
    if factor == "objective":
        return cell.objective
    if factor == "architecture":
        from c4forge.model.config import STUDY_ARCHITECTURES

        model = cell_model(cell, scale, vocab_size)
        params, cost = STUDY_ARCHITECTURES[cell.architecture]
        layers = (
            f"{model.num_decoder_layers} layers"
            if model.decoder_only
            else f"{model.num_encoder_layers}+{model.num_decoder_layers} layers"
        )
        return f"{cell.architecture} ({layers}; params {params}, cost {cost})"
    if factor == "data_set":
        return f"C4 {cell.data_set}"
    if factor == "data_size":
        if not cell.data_repeats:
            return "full data (no cap)"
        return (
            f"data_tokens {data_tokens(scale, cell.data_repeats):,} ({cell.data_repeats:,} repeats)"
        )
    if factor == "fine_tuning":
        if cell.fine_tuning == "adapters":
            return f"adapters, d = {cell.adapter_dim}"
        return cell.fine_tuning.replace("_", " ") + (
            "" if cell.fine_tuning != "all" else " parameters"
        )
    if not cell.multitask:
        return "pre-train, then fine-tune"
    mixed = "multi-task" if cell.mixing_c4 else "supervised multi-task (no C4)"
    if cell.training == "equal":
        words = f"{mixed}, equal"
    else:
        k = f"K = 2^{int(math.log2(cell.mixing_cap))}"
        if cell.training == "proportional":
            words = f"{mixed}, examples-proportional {k}"
        else:
            words = f"{mixed}, temperature T = {cell.mixing_temperature:g}, {k}"
    return words + (", then fine-tune" if cell.mixing_then_finetune else "")


def _pretrain_key(cell: Cell) -> tuple:
    """What a pre-training run depends on: cells equal here share one."""
    return (cell.data_set, cell.objective, cell.architecture, cell.data_repeats)


def plan_cells(study: Study, scale: Scale, where: Where) -> list[CellPlan]:
    """Every cell's runs (all cells: shared pre-training runs belong to the first cell that
    needs them, whichever cells run). ValueError for a scale a cell cannot run at."""
    plans, pretrain_dirs = [], {}
    for cell in study.cells:
        directory = os.path.join(where.out, cell.name)
        model_sets = _model_sets(cell, scale, where.vocab_size)
        lengths = run_lengths(cell, scale)
        common = {TRAIN_KEYS["eval_examples"]: 0, TRAIN_KEYS["keep_checkpoints"]: 1}
        stages = []
        if cell.multitask:
            # Table 11: steps + finetune_steps of multi-task training; Table 12: steps of it,
            # then fine-tuning as every other cell.
            steps = scale.steps + (0 if cell.mixing_then_finetune else scale.finetune_steps)
            c4_task = where.c4_task(cell.data_set, cell.objective)
            rates = mixing_rates(cell, c4_task, where.task_sizes)
            run = os.path.join(directory, "multitask")
            mixture = f"{c4_task if cell.mixing_c4 else where.tasks}_study_{cell.name}"
            argv = _train_argv(mixture, steps, lengths, run, scale, where,
                               {**model_sets, **common}, model=scale.model)  # fmt: skip
            stages.append(Stage("multitask", run, argv, steps, tuple(rates.items())))
            trained = run
        else:
            key = _pretrain_key(cell)
            trained = pretrain_dirs.setdefault(key, os.path.join(directory, "pretrain"))
            extra = dict(model_sets)
            if cell.data_repeats:
                extra[TRAIN_KEYS["data_tokens"]] = data_tokens(scale, cell.data_repeats)
            c4_task = where.c4_task(cell.data_set, cell.objective)
            argv = _train_argv(c4_task, scale.steps, lengths, trained, scale, where,
                               {**extra, **common}, model=scale.model)  # fmt: skip
            stages.append(Stage("pretrain", trained, argv, scale.steps))
        if not cell.multitask or cell.mixing_then_finetune:
            finetune = os.path.join(directory, "finetune")
            strategy = {TRAIN_KEYS["fine_tuning"]: cell.fine_tuning}
            if scale.finetune_learning_rate:
                strategy[TRAIN_KEYS["learning_rate"]] = scale.finetune_learning_rate
            if cell.adapter_dim:
                strategy[TRAIN_KEYS["adapter_dim"]] = cell.adapter_dim
            argv = _train_argv(where.tasks, scale.finetune_steps,
                               (scale.inputs_length, scale.targets_length), finetune, scale,
                               where, {**strategy, **common}, init_from=trained)  # fmt: skip
            stages.append(Stage("finetune", finetune, argv, scale.finetune_steps))
            trained = finetune
        output = os.path.join(directory, "eval.json")
        stages.append(Stage("eval", output, (
            "--checkpoint", trained, "--tasks", where.tasks,
            "--examples", str(scale.eval_examples), "--output", output,
            "--max-length", str(scale.targets_length),
        )))  # fmt: skip
        words = setting(cell, study, scale, where.vocab_size)
        plans.append(CellPlan(study.name, cell, directory, words, lengths, tuple(stages)))
    return plans


def _train_argv(mixture, steps, lengths, out, scale, where, sets, *, model=None, init_from=None):
    argv = ["--mixture", mixture, "--steps", str(steps), "--batch", str(scale.batch),
            "--lengths", f"{lengths[0]},{lengths[1]}", "--out", out]  # fmt: skip
    argv += ["--model", model] if model else ["--init-from", init_from]
    argv += list(where.catalog_argv) + _sets(sets)
    for item in scale.overrides:
        argv += ["--set", item]
    return tuple(argv)


# ---------------------------------------------------------------------------------------------
# Resume: what is finished, from what the runs wrote.

PLAN_FILE = "cell.json"


def finished_step(run_dir: str) -> int | None:
    """The newest finished checkpoint's step of a run (None: none yet)."""
    from c4forge.model.checkpoint import step_directory

    try:
        return int(os.path.basename(step_directory(run_dir)))
    except FileNotFoundError:
        return None


def _checkpoint_time(run_dir: str) -> float | None:
    from c4forge.model.checkpoint import step_directory

    try:
        return os.path.getmtime(step_directory(run_dir))
    except FileNotFoundError:
        return None


def stage_finished(stage: Stage, scored: str | None = None) -> bool:
    """A run: its newest finished checkpoint is its last step. An eval: its output is a
    non-empty JSON object written after the checkpoint of `scored` (the run it evaluates)."""
    if stage.trains:
        return finished_step(stage.path) == stage.steps
    trained_at = _checkpoint_time(scored) if scored else None
    if trained_at is None or not os.path.exists(stage.path):
        return False
    try:
        with open(stage.path) as f:
            results = json.load(f)
    except (OSError, ValueError):
        return False
    return (
        bool(results) and isinstance(results, dict) and os.path.getmtime(stage.path) >= trained_at
    )


def cell_finished(plan: CellPlan) -> bool:
    scored = plan.stages[-2].path
    return all(stage_finished(s, scored) for s in plan.stages)


def check_plans(plans: Sequence[CellPlan]) -> None:
    """ValueError (one line) if a cell directory holds the plan of another scale or setting."""
    for plan in plans:
        path = os.path.join(plan.directory, PLAN_FILE)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            saved = _with_later_defaults(json.load(f))
        new = plan.to_json()
        if saved != new:
            change = _first_difference(saved, new)
            raise ValueError(
                f"{plan.directory} was planned with other settings ({change}): rerun with the "
                "same flags, or pick another --out"
            )


def _with_later_defaults(saved):
    """A plan saved before a cell field existed, read as if it had the field's default (the
    value every earlier cell had), so that a study started then still resumes."""
    cell = saved.get("cell") if isinstance(saved, dict) else None
    if not isinstance(cell, dict):
        return saved
    defaults = {
        f.name: f.default for f in dataclasses.fields(Cell) if f.default is not dataclasses.MISSING
    }
    return {**saved, "cell": {**defaults, **cell}}


def _first_difference(old, new, where: str = "") -> str:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                return _first_difference(old.get(key), new.get(key), f"{where}.{key}".strip("."))
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{where}[{i}]")
    return f"{where}: {old!r} then, {new!r} now"


def write_plan(plan: CellPlan) -> None:
    """cell.json, unless it holds this plan already (a finished cell stays untouched)."""
    path = os.path.join(plan.directory, PLAN_FILE)
    text = json.dumps(plan.to_json(), indent=2) + "\n"
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return
    os.makedirs(plan.directory, exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------------------------
# Running cells.


class StageError(Exception):
    """A run of a cell failed (its own message was printed); `code` is its exit code."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


@dataclasses.dataclass(frozen=True)
class Runner:
    """The entry points a cell's runs go through (cli/study.py gives `c4forge train`'s and
    `c4forge eval`'s): each takes its command's argv and returns an exit code."""

    train: Callable[[list[str]], int]
    evaluate: Callable[[list[str]], int]
    register_mixture: Callable[[str, Sequence[tuple[str, float]]], None]
    log: Callable[[str], None] = print


def run_cell(plan: CellPlan, runner: Runner) -> list[str]:
    """Run what is unfinished of `plan`, in order; returns the kinds of stage it ran.

    A run with a config.json continues from its checkpoint (`--resume`); an evaluation after a
    run that trained now is redone. A later run that already has checkpoints when an earlier
    one had to train is stale: StageError (it would be kept, built on the old one)."""
    write_plan(plan)
    ran: list[str] = []
    scored = plan.stages[-2].path
    for stage in plan.stages:
        finished = stage_finished(stage, scored)
        if finished and not (ran and not stage.trains):
            runner.log(f"  {stage.kind}: finished, kept ({stage.path})")
            continue
        if stage.trains and ran and finished_step(stage.path) is not None:
            raise StageError(
                f"{stage.path} predates the {ran[-1]} run just trained: remove it and rerun", 2
            )
        if stage.mixture:
            runner.register_mixture(_mixture_name(stage), stage.mixture)
        if stage.trains:
            resume = os.path.exists(os.path.join(stage.path, "config.json"))
            argv = (
                ["--resume", "--out", stage.path, "--steps", str(stage.steps)]
                if resume
                else list(stage.argv)
            )
            runner.log(f"  {stage.kind}: c4forge train {' '.join(argv)}")
            code = runner.train(argv)
        else:
            runner.log(f"  eval: c4forge eval {' '.join(stage.argv)}")
            code = runner.evaluate(list(stage.argv))
        if code:
            raise StageError(
                f"cell {plan.cell.name}: its {stage.kind} run failed (exit {code}); see its "
                "message above",
                code,
            )
        ran.append(stage.kind)
    return ran


def _mixture_name(stage: Stage) -> str:
    return stage.argv[stage.argv.index("--mixture") + 1]
