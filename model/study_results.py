"""The results of a `c4forge study` (model/study.py): our scores beside the paper's rows.

One row per finished cell (`result_rows`): its setting, pre-training lengths, our metrics from
its eval.json and the paper's row for it (`model.paper_scores`), written as `results.md`,
`results.csv` and `results.png` under the study's directory (`write_results`).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
from collections.abc import Mapping, Sequence

from c4forge.model.study import CellPlan, cell_finished
from c4forge.model.study_grid import Scale, Study


@dataclasses.dataclass(frozen=True)
class ResultRow:
    plan: CellPlan
    results: dict[str, dict[str, float]]  # eval.json: task -> metric -> value
    paper: object  # paper_scores.PaperRow

    @property
    def ours(self) -> dict[str, float]:
        """ "task/metric" -> value, the numbers of `results`."""
        return {
            f"{task}/{metric}": float(value)
            for task, metrics in self.results.items()
            for metric, value in metrics.items()
            if isinstance(value, int | float)
        }


def result_rows(plans: Sequence[CellPlan]) -> list[ResultRow]:
    """One row per finished cell, in the study's order."""
    from c4forge.model.paper_scores import row

    rows = []
    for plan in plans:
        if cell_finished(plan):
            with open(plan.eval_path) as f:
                rows.append(ResultRow(plan, json.load(f), row(*plan.cell.paper)))
    return rows


def our_score(results: Mapping[str, Mapping[str, float]], column: str) -> float | None:
    """Our number for a paper column: each task matching it (`paper_scores.column_for_task`)
    by the column's metric (GLUE, SGLUE: the mean of the task's metrics), averaged over them."""
    from c4forge.model.paper_scores import COLUMN_METRICS, column_for_task

    values = []
    for task, metrics in results.items():
        numbers = {k: float(v) for k, v in metrics.items() if isinstance(v, int | float)}
        if column_for_task(task) != column or not numbers:
            continue
        metric = COLUMN_METRICS[column]
        values.append(
            numbers[metric] if metric in numbers else sum(numbers.values()) / len(numbers)
        )
    return sum(values) / len(values) if values else None


def plot_column(rows: Sequence[ResultRow]) -> str | None:
    """The paper column the PNG compares with: the first evaluated task's that has one."""
    from c4forge.model.paper_scores import column_for_task

    columns = [column_for_task(task) for r in rows for task in r.results]
    return next((c for c in columns if c), None)


def table(rows: Sequence[ResultRow]) -> tuple[list[str], list[list[object]]]:
    """(header, rows) of the results: the cell, its setting and pre-training lengths, our
    metrics, the paper's row and its seven scores."""
    from c4forge.model.paper_scores import COLUMNS

    ours = list(dict.fromkeys(key for r in rows for key in r.ours))
    header = ["cell", "setting", "pretrain lengths"] + [f"ours {k}" for k in ours]
    header += ["paper row"] + [f"paper {c}" for c in COLUMNS]
    body = []
    for r in rows:
        lengths = f"{r.plan.lengths[0]}/{r.plan.lengths[1]}"
        line = [r.plan.cell.name, r.plan.setting, lengths] + [r.ours.get(k) for k in ours]
        body.append([*line, r.paper.name, *r.paper.scores])
    return header, body


def write_results(study: Study, plans: Sequence[CellPlan], scale: Scale, out: str) -> dict:
    """results.md, results.csv and results.png under `out` for the finished cells; returns
    their paths ({} and nothing written before any cell has finished)."""
    rows = result_rows(plans)
    if not rows:
        return {}
    header, body = table(rows)
    paths = {kind: os.path.join(out, f"results.{kind}") for kind in ("md", "csv", "png")}
    with open(paths["csv"], "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in line] for line in body])
    column = plot_column(rows)
    with open(paths["md"], "w") as f:
        f.write(markdown(study, scale, header, body, column))
    plot(study, rows, column, paths["png"])
    return paths


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value).replace("|", "\\|")


def _varied(study: Study) -> str:
    factor = study.factor.replace("_", " ")
    if study.crossed is None:
        return factor
    return f"{factor}, crossed with the {study.crossed.replace('_', ' ')}"


def markdown(study: Study, scale: Scale, header, body, column: str | None) -> str:
    from c4forge.model.paper_scores import BASELINE_SD, COLUMN_METRICS, COLUMNS

    layers = f", {scale.layers}+{scale.layers} layers" if scale.layers else ""
    lines = [
        f"# c4forge study {study.name}: {study.source}",
        "",
        f"Varies the {_varied(study)}; everything else is the baseline's. Ours: "
        f"{scale.model}{layers}, {scale.steps} pre-training + {scale.finetune_steps} "
        f"fine-tuning steps (constant learning rate {scale.finetune_learning_rate or 0.001:g}) "
        f"of {scale.batch} rows, inputs {scale.inputs_length} tokens, "
        f"fine-tuning targets {scale.targets_length}, {scale.eval_examples} examples scored "
        "per task, greedy decoding, the final checkpoint. The paper's (quoted, Raffel et al. "
        "2020 §3.1): a 220 M-parameter T5, 2^19 + 2^18 steps of 128 x 512 tokens, fine-tuning "
        "at 0.001, the best checkpoint per task.",
        "",
    ]
    if column:
        lines += [
            f"results.png: our score beside the paper's {column} column "
            f"({COLUMN_METRICS[column]}), the paper column that scores our task's kind of task "
            "with the same metric.",
            "",
        ]
    spread = ", ".join(f"{c} {sd:g}" for c, sd in zip(COLUMNS, BASELINE_SD, strict=True))
    lines += [
        f"Ours are single runs. The paper's only variance estimate is its baseline's standard "
        f"deviation over 10 runs (Table 1): {spread}.",
        "",
    ]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(_text(v) for v in line) + " |" for line in body]
    return "\n".join(lines) + "\n"


def plot(study: Study, rows: Sequence[ResultRow], column: str | None, path: str) -> None:
    """Per cell, our score and the paper's `column` side by side (left), and each one's change
    from the study's baseline cell in points (right; the effect of the one factor)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    if column:
        from c4forge.model.paper_scores import COLUMN_METRICS, column_for_task

        ours = [our_score(r.results, column) for r in rows]
        paper = [r.paper.score(column) for r in rows]
        tasks = sorted({t for r in rows for t in r.results if column_for_task(t) == column})
        metric = COLUMN_METRICS[column]
        labels = (f"ours: {', '.join(tasks)} ({metric})", f"paper: {column} ({metric})")
    else:  # no paper column matches: our first metric alone
        first = next(iter(rows[0].ours))
        ours, paper = [r.ours.get(first) for r in rows], [None] * len(rows)
        labels = (f"ours {first}", "paper: no matching column")
    ours_, paper_ = (np.array([np.nan if v is None else v for v in s]) for s in (ours, paper))
    names = [r.plan.cell.name for r in rows]
    x, width = np.arange(len(rows)), 0.4
    fig, axes = plt.subplots(1, 2, figsize=(max(9.0, 1.5 * len(rows) + 4), 5.0), dpi=100)
    axes[0].bar(x - width / 2, ours_, width, label=labels[0])
    axes[0].bar(x + width / 2, paper_, width, label=labels[1])
    axes[0].set_title("score")
    if rows[0].plan.cell == study.cells[0]:
        axes[1].bar(x - width / 2, ours_ - ours_[0], width, label=labels[0])
        axes[1].bar(x + width / 2, paper_ - paper_[0], width, label=labels[1])
        axes[1].axhline(0.0, color="black", linewidth=0.8)
        axes[1].set_title(f"change from {names[0]} (points)")
    else:
        axes[1].set_title(f"change from {study.cells[0].name}: that cell has not run")
    for ax in axes:
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"c4forge study {study.name}: {study.source}")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))  # room for the legend below
    fig.savefig(path)
    plt.close(fig)
