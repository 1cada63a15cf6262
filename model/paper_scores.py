"""The T5 paper's published scores, as data: Raffel et al., JMLR 21(140), 2020, §3.

Quoted from docs/STUDY.md (which read them off the paper), table by table, so that
`c4forge study` can put our scores beside the paper's row for each cell. Facts, not results of
this code: every number below is the paper's, validation sets, one model per row (the baseline
is the mean of 10 runs, its standard deviation in `BASELINE_SD`).

Columns (§3.1.5, STUDY.md "Score columns"): GLUE and SuperGLUE are subtask averages, CNNDM is
ROUGE-2-F, SQuAD exact match, EnDe/EnFr/EnRo SacreBLEU.

Table 10's printed d = 2048 row is a copy of its d = 128 row (an erratum); the d = 2048 values
here are the paper's full-score Table 16 row (STUDY.md §5).
"""

from __future__ import annotations

import dataclasses
import fnmatch

COLUMNS = ("GLUE", "CNNDM", "SQuAD", "SGLUE", "EnDe", "EnFr", "EnRo")
# What each column measures, in our metric names (tasks/metrics.py): the metric of one of our
# tasks that matches the column (`column_for_task`); GLUE/SGLUE average their subtasks' metrics.
COLUMN_METRICS = {
    "GLUE": "average over subtasks",
    "CNNDM": "rouge2",
    "SQuAD": "em",
    "SGLUE": "average over subtasks",
    "EnDe": "bleu",
    "EnFr": "bleu",
    "EnRo": "bleu",
}

_BASELINE = (83.28, 19.24, 80.88, 71.36, 26.98, 39.82, 27.65)

# table -> {row label (as the paper prints it) -> scores in COLUMNS order}.
TABLES: dict[str, dict[str, tuple[float, ...]]] = {
    "Table 1": {
        "Baseline average": _BASELINE,
        "No pre-training": (66.22, 17.60, 50.31, 53.04, 25.86, 39.77, 24.04),
    },
    # §3.2, architectures x objectives (Params and Cost in model/config.STUDY_ARCHITECTURES).
    "Table 2": {
        "Encoder-decoder, Denoising": _BASELINE,
        "Enc-dec, shared, Denoising": (82.81, 18.78, 80.63, 70.73, 26.72, 39.03, 27.46),
        "Enc-dec, 6 layers, Denoising": (80.88, 18.97, 77.59, 68.42, 26.38, 38.40, 26.95),
        "Language model, Denoising": (74.70, 17.93, 61.14, 55.02, 25.09, 35.28, 25.86),
        "Prefix LM, Denoising": (81.82, 18.61, 78.94, 68.11, 26.43, 37.98, 27.39),
        "Encoder-decoder, LM": (79.56, 18.59, 76.02, 64.29, 26.27, 39.17, 26.86),
        "Enc-dec, shared, LM": (79.60, 18.13, 76.35, 63.50, 26.62, 39.17, 27.05),
        "Enc-dec, 6 layers, LM": (78.67, 18.26, 75.32, 64.06, 26.13, 38.42, 26.89),
        "Language model, LM": (73.78, 17.54, 53.81, 56.51, 25.23, 34.31, 25.38),
        "Prefix LM, LM": (79.68, 17.84, 76.87, 64.86, 26.28, 37.51, 26.76),
    },
    # §3.3, objectives.
    "Table 4": {
        "Prefix language modeling": (80.69, 18.94, 77.99, 65.27, 26.86, 39.73, 27.49),
        "BERT-style": (82.96, 19.17, 80.65, 69.85, 26.78, 40.03, 27.41),
        "Deshuffling": (73.17, 18.59, 67.61, 58.47, 26.11, 39.30, 25.62),
    },
    "Table 5": {
        "BERT-style": (82.96, 19.17, 80.65, 69.85, 26.78, 40.03, 27.41),
        "MASS-style": (82.32, 19.16, 80.10, 69.28, 26.79, 39.89, 27.55),
        "Replace corrupted spans": _BASELINE,
        "Drop corrupted tokens": (84.44, 19.31, 80.52, 68.67, 27.07, 39.76, 27.82),
    },
    "Table 6": {
        "10%": (82.82, 19.00, 80.38, 69.55, 26.87, 39.28, 27.44),
        "15%": _BASELINE,
        "25%": (83.00, 19.54, 80.96, 70.48, 27.04, 39.83, 27.47),
        "50%": (81.27, 19.32, 79.80, 70.33, 27.01, 39.90, 27.49),
    },
    "Table 7": {
        "Baseline (i.i.d.)": _BASELINE,
        "2": (83.54, 19.39, 82.09, 72.20, 26.76, 39.99, 27.63),
        "3": (83.49, 19.62, 81.84, 72.53, 26.86, 39.65, 27.62),
        "5": (83.40, 19.24, 82.05, 72.23, 26.88, 39.40, 27.53),
        "10": (82.85, 19.33, 81.84, 70.44, 26.79, 39.49, 27.69),
    },
    # §3.4, pre-training data sets and their size.
    "Table 8": {
        "C4": _BASELINE,
        "C4, unfiltered": (81.46, 19.14, 78.78, 68.04, 26.55, 39.34, 27.21),
        "RealNews-like": (83.83, 19.23, 80.39, 72.38, 26.75, 39.90, 27.48),
        "WebText-like": (84.03, 19.31, 81.42, 71.40, 26.80, 39.74, 27.59),
        "Wikipedia": (81.85, 19.31, 81.29, 68.01, 26.94, 39.69, 27.67),
        "Wikipedia + TBC": (83.65, 19.28, 82.08, 73.24, 26.77, 39.63, 27.57),
    },
    "Table 9": {
        "Full data set": _BASELINE,
        "2^29": (82.87, 19.19, 80.97, 72.03, 26.83, 39.74, 27.63),
        "2^27": (82.62, 19.20, 79.78, 69.97, 27.02, 39.71, 27.33),
        "2^25": (79.55, 18.57, 76.27, 64.76, 26.38, 39.56, 26.80),
        "2^23": (76.34, 18.33, 70.92, 59.29, 26.37, 38.84, 25.81),
    },
    # §3.5, fine-tuning strategies and multi-task training.
    "Table 10": {
        "All parameters": _BASELINE,
        "Adapter layers, d = 32": (80.52, 15.08, 79.32, 60.40, 13.84, 17.88, 15.54),
        "Adapter layers, d = 128": (81.51, 16.62, 79.47, 63.03, 19.83, 27.50, 22.63),
        "Adapter layers, d = 512": (81.54, 17.78, 79.18, 64.30, 23.45, 33.98, 25.81),
        "Adapter layers, d = 2048": (82.62, 18.30, 79.40, 68.61, 25.64, 36.92, 26.93),
        "Gradual unfreezing": (82.50, 18.95, 79.17, 70.79, 26.71, 39.02, 26.93),
    },
    "Table 11": {
        "Baseline (pre-train/fine-tune)": _BASELINE,
        "Equal": (76.13, 19.02, 76.51, 63.37, 23.89, 34.31, 26.78),
        "Examples-proportional, K = 2^16": (80.45, 19.04, 77.25, 69.95, 24.35, 34.99, 27.10),
        "Examples-proportional, K = 2^17": (81.56, 19.12, 77.00, 67.91, 24.36, 35.00, 27.25),
        "Examples-proportional, K = 2^18": (81.67, 19.07, 78.17, 67.94, 24.57, 35.19, 27.39),
        "Examples-proportional, K = 2^19": (81.42, 19.24, 79.78, 67.30, 25.21, 36.30, 27.76),
        "Examples-proportional, K = 2^20": (80.80, 19.24, 80.36, 67.38, 25.66, 36.93, 27.68),
        "Examples-proportional, K = 2^21": (79.83, 18.79, 79.50, 65.10, 25.82, 37.22, 27.13),
        "Temperature-scaled, T = 2": (81.90, 19.28, 79.42, 69.92, 25.42, 36.72, 27.20),
        "Temperature-scaled, T = 4": (80.56, 19.22, 77.99, 69.54, 25.04, 35.82, 27.45),
        "Temperature-scaled, T = 8": (77.21, 19.10, 77.14, 66.07, 24.55, 35.35, 27.17),
    },
    "Table 12": {
        "Unsupervised pre-training + fine-tuning": _BASELINE,
        "Multi-task training": (81.42, 19.24, 79.78, 67.30, 25.21, 36.30, 27.76),
        "Multi-task pre-training + fine-tuning": (83.11, 19.12, 80.26, 71.03, 27.08, 39.80, 28.07),
        "Leave-one-out multi-task training": (81.98, 19.05, 79.97, 71.68, 26.93, 39.79, 27.87),
        "Supervised multi-task pre-training": (79.93, 18.96, 77.38, 65.36, 26.81, 40.13, 28.04),
    },
    # §3.6, scaling.
    "Table 13": {
        "Baseline": _BASELINE,
        "1x size, 4x training steps": (85.33, 19.33, 82.45, 74.72, 27.08, 40.66, 27.93),
        "1x size, 4x batch size": (84.60, 19.42, 82.52, 74.64, 27.07, 40.60, 27.84),
        "2x size, 2x training steps": (86.18, 19.66, 84.18, 77.18, 27.52, 41.03, 28.19),
        "4x size, 1x training steps": (85.91, 19.73, 83.86, 78.04, 27.47, 40.71, 28.10),
        "4x ensembled": (84.77, 20.10, 83.09, 71.74, 28.05, 40.53, 28.57),
        "4x ensembled, fine-tune only": (84.05, 19.57, 82.36, 71.55, 27.55, 40.22, 28.09),
    },
}

# Table 1: the standard deviation of the baseline over its 10 runs, the paper's only variance
# estimate (a score is bold in the paper when within 2 SD of its table's best).
BASELINE_SD = (0.235, 0.065, 0.343, 0.416, 0.112, 0.090, 0.108)


@dataclasses.dataclass(frozen=True)
class PaperRow:
    """One published row: where it is (`table`, `label`) and its scores by column."""

    table: str
    label: str
    scores: tuple[float, ...]

    @property
    def name(self) -> str:
        """`Table 5: Drop corrupted tokens`."""
        return f"{self.table}: {self.label}"

    def score(self, column: str) -> float:
        return self.scores[COLUMNS.index(column)]

    def as_dict(self) -> dict[str, float]:
        return dict(zip(COLUMNS, self.scores, strict=True))


def row(table: str, label: str) -> PaperRow:
    """The paper's row `label` of `table`; KeyError naming the known ones otherwise."""
    if table not in TABLES:
        raise KeyError(f"no {table!r} among the paper's tables ({', '.join(TABLES)})")
    rows = TABLES[table]
    if label not in rows:
        raise KeyError(f"{table} has no row {label!r}; its rows: {', '.join(rows)}")
    return PaperRow(table, label, rows[label])


# Our task names -> the paper column that scores the same kind of task with the same metric
# (first match wins). sample_qa is SQuAD-format reading comprehension scored with SQuAD's exact
# match (tasks/sample_qa.py), so it sits beside the paper's SQuAD column.
TASK_COLUMNS = (
    ("sample_qa", "SQuAD"),
    ("squad_*", "SQuAD"),
    ("glue_*", "GLUE"),
    ("super_glue_*", "SGLUE"),
    ("cnn_dailymail_*", "CNNDM"),
    ("wmt*_ende_*", "EnDe"),
    ("wmt*_enfr_*", "EnFr"),
    ("wmt*_enro_*", "EnRo"),
)


def column_for_task(task: str) -> str | None:
    """The paper column matching our task `task` (TASK_COLUMNS), or None."""
    for pattern, column in TASK_COLUMNS:
        if fnmatch.fnmatchcase(task, pattern):
            return column
    return None
