"""The T5 paper's study as grids of runs (Raffel et al. 2020, §3; docs/STUDY.md): `c4forge study`.

A study is one of the paper's comparisons. Its cells are runs that differ from the paper's
baseline (★) in exactly one factor (STUDY.md §9.1), each beside the paper's row for it (the
tables and plot: model/study_results.py):

| factor       | baseline (★)                         | studies varying it                    |
|--------------|--------------------------------------|---------------------------------------|
| objective    | i.i.d. replace corrupted spans, 15%  | objectives (Tables 4-5),              |
|              |                                      | corruption-rate (6), span-length (7)  |
| architecture | encoder-decoder, L + L layers        | architectures (Table 2, denoising)    |
| data_size    | the full data set, nothing repeated  | data-size (Table 9)                   |
| fine_tuning  | all parameters                       | fine-tuning (Table 10)                |
| training     | pre-train on C4, then fine-tune      | mixing (Table 11): multi-task         |

The baseline objective is the paper's ★, `iid_15_u_u` (our `iid_denoising`), not the span
corruption (μ 3) that §3.7 settles on: that one is Table 7's "3" row, a cell of span-length.

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
objective task and the tasks under Table 11's rule (`mixing_rates`).

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

# ---------------------------------------------------------------------------------------------
# The grid: cells, studies.

BASELINE_OBJECTIVE = "iid_denoising"  # T5's iid_15_u_u, the ★ of Tables 1-13
FACTORS = ("objective", "architecture", "data_size", "fine_tuning", "training")
PRETRAIN_FINETUNE = "pretrain_finetune"
MIXING_RULES = ("equal", "proportional", "temperature")  # Table 11


@dataclasses.dataclass(frozen=True)
class Cell:
    """One run of a study: its name (a directory name), the paper's row (table, label) and the
    value of every factor; the defaults are the baseline's."""

    name: str
    paper: tuple[str, str]
    objective: str = BASELINE_OBJECTIVE  # a `tasks.objectives.parse` name
    architecture: str = "encoder_decoder"  # a `model.config.STUDY_ARCHITECTURES` row
    data_repeats: int = 0  # 0: the full data; else the capped data is seen this often (Table 9)
    fine_tuning: str = "all"  # `model.finetune.STRATEGIES`
    adapter_dim: int = 0  # fine_tuning "adapters": the inner dimension d
    training: str = PRETRAIN_FINETUNE  # or a MIXING_RULES rule: multi-task training
    mixing_cap: int = 0  # K of examples-proportional and temperature mixing
    mixing_temperature: float = 1.0  # T of temperature mixing

    def __post_init__(self):
        if self.training not in (PRETRAIN_FINETUNE, *MIXING_RULES):
            raise ValueError(f"cell {self.name}: training {self.training!r} is no Table 11 rule")

    def factors(self) -> dict[str, object]:
        """factor -> this cell's value of it (FACTORS order)."""
        return {
            "objective": self.objective,
            "architecture": self.architecture,
            "data_size": self.data_repeats,
            "fine_tuning": (self.fine_tuning, self.adapter_dim),
            "training": (self.training, self.mixing_cap, self.mixing_temperature),
        }

    @property
    def multitask(self) -> bool:
        return self.training != PRETRAIN_FINETUNE


BASELINE = Cell("baseline", ("Table 1", "Baseline average"))


def _cell(name: str, table: str, label: str, **change) -> Cell:
    return dataclasses.replace(BASELINE, name=name, paper=(table, label), **change)


@dataclasses.dataclass(frozen=True)
class Study:
    name: str
    factor: str  # the factor its cells vary (FACTORS)
    source: str  # where the paper has it
    cells: tuple[Cell, ...]  # the baseline first, then the paper's order
    # A second factor of the paper's table, crossed with the first (Table 2: the objective).
    crossed: str | None = None

    def cell(self, name: str) -> Cell:
        for cell in self.cells:
            if cell.name == name:
                return cell
        raise KeyError(name)


def _studies() -> dict[str, Study]:
    t2, t9, t10, t11 = "Table 2", "Table 9", "Table 10", "Table 11"
    studies = [
        Study("objectives", "objective", "§3.3.1-3.3.2, Tables 4-5", (
            _cell("iid_denoising", "Table 5", "Replace corrupted spans"),
            _cell("prefix_lm", "Table 4", "Prefix language modeling", objective="prefix_lm"),
            _cell("bert_style", "Table 4", "BERT-style", objective="bert_style"),
            _cell("deshuffling", "Table 4", "Deshuffling", objective="deshuffling"),
            _cell("mass_style", "Table 5", "MASS-style", objective="mass_style"),
            _cell("iid_drop_tokens", "Table 5", "Drop corrupted tokens",
                  objective="iid_drop_tokens"),
        )),
        Study("corruption-rate", "objective", "§3.3.3, Table 6 (i.i.d. replace spans)", (
            _cell("rate_15", "Table 6", "15%"),
            _cell("rate_10", "Table 6", "10%", objective="iid_denoising_r10"),
            _cell("rate_25", "Table 6", "25%", objective="iid_denoising_r25"),
            _cell("rate_50", "Table 6", "50%", objective="iid_denoising_r50"),
        )),
        Study("span-length", "objective", "§3.3.4, Table 7 (15% corrupted)", (
            _cell("iid", "Table 7", "Baseline (i.i.d.)"),
            _cell("span_2", "Table 7", "2", objective="span_corruption_s2"),
            _cell("span_3", "Table 7", "3", objective="span_corruption"),
            _cell("span_5", "Table 7", "5", objective="span_corruption_s5"),
            _cell("span_10", "Table 7", "10", objective="span_corruption_s10"),
        )),
        # Table 2 crosses the architectures with two objectives: denoising (the baseline's) and
        # "LM", the prefix LM objective (§3.2.3), which the decoder-only LM learns whole, inputs
        # and targets as one text (tasks/packing.py's LM features).
        Study("architectures", "architecture", "§3.2, Table 2", (
            _cell("encoder_decoder", t2, "Encoder-decoder, Denoising"),
            _cell("shared_encoder_decoder", t2, "Enc-dec, shared, Denoising",
                  architecture="shared_encoder_decoder"),
            _cell("half_depth", t2, "Enc-dec, 6 layers, Denoising", architecture="half_depth"),
            _cell("decoder_only", t2, "Language model, Denoising", architecture="decoder_only"),
            _cell("prefix_lm", t2, "Prefix LM, Denoising", architecture="prefix_lm"),
            _cell("encoder_decoder_lm", t2, "Encoder-decoder, LM", objective="prefix_lm"),
            _cell("shared_encoder_decoder_lm", t2, "Enc-dec, shared, LM",
                  architecture="shared_encoder_decoder", objective="prefix_lm"),
            _cell("half_depth_lm", t2, "Enc-dec, 6 layers, LM", architecture="half_depth",
                  objective="prefix_lm"),
            _cell("decoder_only_lm", t2, "Language model, LM", architecture="decoder_only",
                  objective="prefix_lm"),
            _cell("prefix_lm_lm", t2, "Prefix LM, LM", architecture="prefix_lm",
                  objective="prefix_lm"),
        ), crossed="objective"),
        Study("data-size", "data_size", "§3.4.2, Table 9", (
            _cell("full", t9, "Full data set"),
            *(_cell(f"repeat_{r}", t9, f"2^{e}", data_repeats=r)
              for e, r in ((29, 64), (27, 256), (25, 1024), (23, 4096))),
        )),
        Study("fine-tuning", "fine_tuning", "§3.5.1, Table 10", (
            _cell("all", t10, "All parameters"),
            *(_cell(f"adapters_{d}", t10, f"Adapter layers, d = {d}", fine_tuning="adapters",
                    adapter_dim=d) for d in (32, 128, 512, 2048)),
            _cell("gradual_unfreezing", t10, "Gradual unfreezing",
                  fine_tuning="gradual_unfreezing"),
        )),
        Study("mixing", "training", "§3.5.2, Table 11", (
            _cell("pretrain_finetune", t11, "Baseline (pre-train/fine-tune)"),
            _cell("equal", t11, "Equal", training="equal"),
            *(_cell(f"proportional_k2e{e}", t11, f"Examples-proportional, K = 2^{e}",
                    training="proportional", mixing_cap=2**e) for e in range(16, 22)),
            *(_cell(f"temperature_t{t}", t11, f"Temperature-scaled, T = {t}",
                    training="temperature", mixing_cap=2**21, mixing_temperature=float(t))
              for t in (2, 4, 8)),
        )),
    ]  # fmt: skip
    return {study.name: study for study in studies}


STUDIES = _studies()


def select(study: Study, names: Sequence[str] | None) -> list[Cell]:
    """The cells `names` picks (all when None), in the study's order; ValueError naming the
    unknown ones and the cells there are."""
    if not names:
        return list(study.cells)
    known = [c.name for c in study.cells]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"{study.name} has no cell {', '.join(map(repr, unknown))}; its cells: "
            f"{', '.join(known)}"
        )
    return [c for c in study.cells if c.name in names]


# ---------------------------------------------------------------------------------------------
# Scale and the length rules.


@dataclasses.dataclass(frozen=True)
class Scale:
    """What every cell shares: model, steps, batch, lengths (the user's flags)."""

    model: str  # a model/config preset
    layers: int  # layers per stack of the baseline encoder-decoder (0: the preset's)
    steps: int  # pre-training steps (a multi-task run takes steps + finetune_steps)
    finetune_steps: int
    batch: int
    inputs_length: int  # every run's
    targets_length: int  # fine-tuning's (pre-training's follows the objective)
    eval_examples: int
    finetune_learning_rate: float = 0.0  # fine-tuning's constant rate (0: t5x's 1e-3)
    overrides: tuple[str, ...] = ()  # the user's `--set KEY=VALUE`, for every training run


# T5's targets length for i.i.d. replace-spans noise at 512 inputs, by rate (gin
# `objectives/iid_{10,15,25,50}_u_u.gin`: "about 512 * rate * 2"; 192 at 15%): i.i.d. noise
# has no fixed targets length, so T5 sized them and truncated the rare longer ones.
IID_TARGETS_AT_512 = {0.10: 103, 0.15: 192, 0.25: 256, 0.50: 512}


def pretrain_lengths(objective: str, inputs_length: int) -> tuple[int, int]:
    """(inputs, targets) lengths for pre-training with `objective` at `inputs_length`.

    The objective's own rule where it has one (`lengths`: span corruption's
    `random_spans_helper`, BERT/MASS-style's whole piece, drop-tokens' 99.9th percentile);
    the whole piece plus EOS (inputs_length) for deshuffling and the prefix LM, whose targets
    are the piece or its tail (STUDY.md §9.3: BERT, MASS and deshuffling targets are the full
    512); T5's gin sizes, scaled, for i.i.d. replace spans (IID_TARGETS_AT_512).
    ValueError for an objective or length these rules do not cover."""
    from c4forge.tasks import objectives

    objective_ = objectives.parse(objective)
    # (UL2's rule needs its mode tokens' ids, i.e. a vocabulary: no study cell uses it.)
    if hasattr(objective_, "lengths") and objective_.name != "ul2":
        return inputs_length, objective_.lengths({"inputs": inputs_length})[1]
    if isinstance(objective_, objectives.Deshuffling | objectives.PrefixLM):
        return inputs_length, inputs_length
    if isinstance(objective_, objectives.IidDenoising):
        at_512 = IID_TARGETS_AT_512.get(round(objective_.noise_density, 6))
        if at_512 is not None:
            return inputs_length, math.ceil(inputs_length * at_512 / 512)
    raise ValueError(f"no pre-training length rule for objective {objective!r} in a study")


def run_lengths(cell: Cell, scale: Scale) -> tuple[int, int]:
    """(inputs, targets) of the cell's pre-training run; a multi-task run's targets also hold
    the downstream tasks' (the fine-tuning targets length)."""
    inputs, targets = pretrain_lengths(cell.objective, scale.inputs_length)
    return inputs, max(targets, scale.targets_length) if cell.multitask else targets


def data_tokens(scale: Scale, repeats: int) -> int:
    """The cap that makes pre-training see its data `repeats` times (Table 9's accounting,
    `tasks.data_size.planned_repeats`: steps x batch x inputs length / data_tokens)."""
    return max(1, math.ceil(scale.steps * scale.batch * scale.inputs_length / repeats))


def mixing_rates(cell: Cell, c4_task: str, sizes: Mapping[str, int]) -> dict[str, float]:
    """Table 11's rule over the C4 task and the downstream tasks (train examples `sizes`):
    equal; examples-proportional min(e, K); temperature min(e, K) ** (1/T) (`tasks.mixtures`).
    C4 counts as larger than any K (the paper's C4 never repeats), so its rate is K."""
    if cell.training == "equal":
        return {name: 1.0 for name in (c4_task, *sizes)}
    from c4forge.tasks import mixtures

    return mixtures.proportional(
        {c4_task: math.inf, **sizes}, cap=cell.mixing_cap, temperature=cell.mixing_temperature
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
    c4_task: Callable[[str], str]  # objective name -> its registered C4 task
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
    if cell.training == "equal":
        return "multi-task, equal"
    k = f"K = 2^{int(math.log2(cell.mixing_cap))}"
    if cell.training == "proportional":
        return f"multi-task, examples-proportional {k}"
    return f"multi-task, temperature T = {cell.mixing_temperature:g}, {k}"


def _pretrain_key(cell: Cell) -> tuple:
    """What a pre-training run depends on: cells equal here share one."""
    return (cell.objective, cell.architecture, cell.data_repeats)


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
            steps = scale.steps + scale.finetune_steps
            c4_task = where.c4_task(cell.objective)
            rates = mixing_rates(cell, c4_task, where.task_sizes)
            run = os.path.join(directory, "multitask")
            mixture = f"{c4_task}_study_{cell.name}"
            argv = _train_argv(mixture, steps, lengths, run, scale, where,
                               {**model_sets, **common}, model=scale.model)  # fmt: skip
            stages.append(Stage("multitask", run, argv, steps, tuple(rates.items())))
            trained = run
        else:
            key = _pretrain_key(cell)
            pretrain = pretrain_dirs.setdefault(key, os.path.join(directory, "pretrain"))
            extra = dict(model_sets)
            if cell.data_repeats:
                extra[TRAIN_KEYS["data_tokens"]] = data_tokens(scale, cell.data_repeats)
            argv = _train_argv(where.c4_task(cell.objective), scale.steps, lengths, pretrain,
                               scale, where, {**extra, **common}, model=scale.model)  # fmt: skip
            stages.append(Stage("pretrain", pretrain, argv, scale.steps))
            finetune = os.path.join(directory, "finetune")
            strategy = {TRAIN_KEYS["fine_tuning"]: cell.fine_tuning}
            if scale.finetune_learning_rate:
                strategy[TRAIN_KEYS["learning_rate"]] = scale.finetune_learning_rate
            if cell.adapter_dim:
                strategy[TRAIN_KEYS["adapter_dim"]] = cell.adapter_dim
            argv = _train_argv(where.tasks, scale.finetune_steps,
                               (scale.inputs_length, scale.targets_length), finetune, scale,
                               where, {**strategy, **common}, init_from=pretrain)  # fmt: skip
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
            saved = json.load(f)
        new = plan.to_json()
        if saved != new:
            change = _first_difference(saved, new)
            raise ValueError(
                f"{plan.directory} was planned with other settings ({change}): rerun with the "
                "same flags, or pick another --out"
            )


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
