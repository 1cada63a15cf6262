"""The T5 paper's study as grids (Raffel et al. 2020, §3; docs/STUDY.md): its cells, studies,
scale and length rules. `model/study.py` plans and runs them, `model/study_results.py` tables them.

A study is one of the paper's comparisons. Its cells are runs that differ from the paper's
baseline (★) in one factor (STUDY.md §9.1; Table 2 crosses two, the architecture and the
objective), each beside the paper's row for it:

| factor       | baseline (★)                         | studies varying it                    |
|--------------|--------------------------------------|---------------------------------------|
| objective    | i.i.d. replace corrupted spans, 15%  | objectives (Tables 4-5),              |
|              |                                      | corruption-rate (6), span-length (7)  |
| architecture | encoder-decoder, L + L layers        | architectures (Table 2, x objective)  |
| data_set     | C4 (`en`)                            | datasets (Table 8): C4's variants     |
| data_size    | the full data set, nothing repeated  | data-size (Table 9)                   |
| fine_tuning  | all parameters                       | fine-tuning (Table 10)                |
| training     | pre-train on C4, then fine-tune      | mixing (Table 11): multi-task;        |
|              |                                      | multi-task (Table 12): and then tune  |

The baseline objective is the paper's ★, `iid_15_u_u` (our `iid_denoising`), not the span
corruption (μ 3) that §3.7 settles on: that one is Table 7's "3" row, a cell of span-length.
Nothing heavy is imported at module level (`c4forge study --help` stays fast).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

# ---------------------------------------------------------------------------------------------
# The grid: cells, studies.

BASELINE_OBJECTIVE = "iid_denoising"  # T5's iid_15_u_u, the ★ of Tables 1-13
FACTORS = ("objective", "architecture", "data_set", "data_size", "fine_tuning", "training")
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
    data_set: str = "en"  # the C4 config pre-trained on (Table 8; --c4, or --c4-also CONFIG=DIR)
    data_repeats: int = 0  # 0: the full data; else the capped data is seen this often (Table 9)
    fine_tuning: str = "all"  # `model.finetune.STRATEGIES`
    adapter_dim: int = 0  # fine_tuning "adapters": the inner dimension d
    training: str = PRETRAIN_FINETUNE  # or a MIXING_RULES rule: multi-task training
    mixing_cap: int = 0  # K of examples-proportional and temperature mixing
    mixing_temperature: float = 1.0  # T of temperature mixing
    mixing_c4: bool = True  # the multi-task mixture holds the C4 task (Table 12: not supervised)
    mixing_then_finetune: bool = False  # multi-task pre-training, then fine-tuning (Table 12)

    def __post_init__(self):
        if self.training not in (PRETRAIN_FINETUNE, *MIXING_RULES):
            raise ValueError(f"cell {self.name}: training {self.training!r} is no Table 11 rule")
        if not self.multitask and (self.mixing_then_finetune or not self.mixing_c4):
            raise ValueError(f"cell {self.name}: no multi-task mixture to pre-train on")

    def factors(self) -> dict[str, object]:
        """factor -> this cell's value of it (FACTORS order)."""
        return {
            "objective": self.objective,
            "architecture": self.architecture,
            "data_set": self.data_set,
            "data_size": self.data_repeats,
            "fine_tuning": (self.fine_tuning, self.adapter_dim),
            "training": (
                self.training,
                self.mixing_cap,
                self.mixing_temperature,
                self.mixing_c4,
                self.mixing_then_finetune,
            ),
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
    t2, t8, t9, t10, t11, t12 = "Table 2", "Table 8", "Table 9", "Table 10", "Table 11", "Table 12"
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
        # Table 8's C4 variants, each a `c4forge corpus build --config` (its Wikipedia and
        # Wikipedia + TBC rows are no C4 build: not here).
        Study("datasets", "data_set", "§3.4.1, Table 8", (
            _cell("c4", t8, "C4"),
            _cell("c4_unfiltered", t8, "C4, unfiltered", data_set="en.noclean"),
            _cell("realnewslike", t8, "RealNews-like", data_set="realnewslike"),
            _cell("webtextlike", t8, "WebText-like", data_set="webtextlike"),
        )),
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
        # Table 12: multi-task training (Table 11's K = 2^19 row), then fine-tuning after it, on
        # C4 + the tasks or the tasks alone. (Its leave-one-out row needs one pre-training per
        # task without that task: not here.)
        Study("multi-task", "training", "§3.5.3, Table 12", (
            _cell("pretrain_finetune", t12, "Unsupervised pre-training + fine-tuning"),
            _cell("multi_task", t12, "Multi-task training", training="proportional",
                  mixing_cap=2**19),
            _cell("multi_task_finetune", t12, "Multi-task pre-training + fine-tuning",
                  training="proportional", mixing_cap=2**19, mixing_then_finetune=True),
            _cell("supervised_finetune", t12, "Supervised multi-task pre-training",
                  training="proportional", mixing_cap=2**19, mixing_c4=False,
                  mixing_then_finetune=True),
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
    """Table 11's rule over the C4 task (unless the cell leaves it out) and the downstream tasks
    (train examples `sizes`): equal; examples-proportional min(e, K); temperature
    min(e, K) ** (1/T) (`tasks.mixtures`). C4 counts as larger than any K (the paper's C4 never
    repeats), so its rate is K."""
    members = {c4_task: math.inf, **sizes} if cell.mixing_c4 else dict(sizes)
    if cell.training == "equal":
        return {name: 1.0 for name in members}
    from c4forge.tasks import mixtures

    return mixtures.proportional(members, cap=cell.mixing_cap, temperature=cell.mixing_temperature)
