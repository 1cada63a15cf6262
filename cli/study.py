"""`c4forge study NAME`: one of the T5 paper's comparisons (Raffel et al. 2020, §3) as a grid of
runs, each cell = pre-train on a C4 build + fine-tune + evaluate, our scores beside the paper's.

c4forge study objectives --c4 out/demo/c4 --tasks sample_qa          # the default small scale
c4forge study architectures --c4 out/c4 --vocab vocab/ --model t5.1.1-base \\
    --steps 524288 --finetune-steps 262144 --batch 128 --lengths 512,114 --set dtype=bfloat16
c4forge study fine-tuning --list                                     # the cells and settings
c4forge study datasets --c4 out/c4 --c4-also en.noclean=out/c4_noclean \
    --c4-also realnewslike=out/c4_realnews --c4-also webtextlike=out/c4_webtext --tasks sample_qa

NAME: objectives, corruption-rate, span-length, architectures, datasets, data-size, fine-tuning,
mixing, multi-task
(model/study_grid.py has the grids, model/study.py the runs). Every cell is a normal run directory,
OUT/<study>/<cell>/{pretrain,finetune}, through `c4forge train`'s and `c4forge eval`'s own entry
points in this process; a rerun continues with what is unfinished. After each cell,
OUT/<study>/results.{md,csv,png} hold the finished cells beside the paper's rows
(model/paper_scores.py). Anything wrong with the flags is one `c4forge study: error:` line
before any run starts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from c4forge.cli.common import (
    USAGE_EXIT,
    UsageError,
    add_settings_flag,
    parse_lengths,
    parse_or_help,
)
from c4forge.model import study as runs
from c4forge.model import study_grid as grid
from c4forge.model import study_results

DEFAULT_MODEL = "t5.1.1-mini"
DEFAULT_LAYERS = 2  # with the default model: even, so the architectures' half depth exists
DEMO_VOCAB = os.path.join("..", "vocab", "spm.model")  # the demo's, beside its c4/


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="c4forge study",
        description="Run one of the T5 paper's comparisons (§3) as a grid of runs that differ "
        "from the baseline in one factor (architectures: in the architecture and the "
        "objective, as Table 2); write our scores beside the paper's.",
    )
    # Checked by `study_of`, not argparse's choices: a misspelt flag is then the error named.
    p.add_argument("name", metavar="NAME", help=f"the comparison: {', '.join(grid.STUDIES)}")
    p.add_argument("--c4", help="a `c4forge corpus build` of English C4 (e.g. out/demo/c4)")
    p.add_argument(
        "--c4-also",
        action="append",
        default=[],
        metavar="CONFIG=DIR",
        help="another C4 build for the datasets study (en.noclean, realnewslike, webtextlike; "
        "repeatable)",
    )
    p.add_argument("--vocab", help=f"SentencePiece model or dir (default C4/{DEMO_VOCAB})")
    scale = p.add_argument_group("scale (every cell's)")
    scale.add_argument("--model", default=DEFAULT_MODEL, help="preset (default %(default)s)")
    scale.add_argument(
        "--layers",
        type=int,
        help=f"layers per stack of the baseline (default {DEFAULT_LAYERS} with the default "
        "--model, else the preset's)",
    )
    scale.add_argument("--steps", type=int, default=250, help="pre-training (default %(default)s)")
    scale.add_argument(
        "--finetune-steps", type=int, default=500, help="fine-tuning (default %(default)s)"
    )
    scale.add_argument(
        "--finetune-lr",
        type=float,
        default=0.01,
        help="fine-tuning's constant learning rate (default %(default)s: in a few hundred steps "
        "only the pre-training's 0.01 learns the task; the paper's is 0.001 over 2^18 steps)",
    )
    scale.add_argument("--batch", type=int, default=32, help="rows per step (default %(default)s)")
    scale.add_argument(
        "--lengths",
        default="128,16",
        help="INPUTS,TARGETS: every run's inputs; fine-tuning's targets, also the longest "
        "decoded answer; pre-training's targets follow each objective (default %(default)s)",
    )
    scale.add_argument(
        "--eval-examples", type=int, default=200, help="scored per task (default %(default)s)"
    )
    add_settings_flag(scale, "any other `c4forge train` setting, every run (e.g. dtype=bfloat16)")
    p.add_argument(
        "--tasks",
        default="sample_qa",
        help="task or mixture to tune and score (default %(default)s)",
    )
    p.add_argument("--out", default="out/study", help="writes OUT/NAME/ (default %(default)s)")
    p.add_argument("--cells", help="comma-separated cells to run (default all)")
    p.add_argument("--list", action="store_true", help="print the cells and their settings")
    p.add_argument("--tfds-data-dir", help="TFDS data dir for the downstream tasks")
    p.add_argument("--module", action="append", default=[], help="import a module of tasks")
    return p


# ---------------------------------------------------------------------------------------------
# Checks: everything before any run.


def study_of(args: argparse.Namespace) -> grid.Study:
    if args.name not in grid.STUDIES:
        raise UsageError(f"unknown study {args.name!r}; the studies: {', '.join(grid.STUDIES)}")
    return grid.STUDIES[args.name]


def scale_of(args: argparse.Namespace) -> grid.Scale:
    for flag in ("steps", "finetune_steps", "batch", "eval_examples"):
        if getattr(args, flag) < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be positive")
    if not args.finetune_lr > 0:
        raise UsageError("--finetune-lr must be positive")
    if args.layers is not None and args.layers < 1:
        raise UsageError("--layers must be positive")
    inputs, targets = parse_lengths(args.lengths)
    from c4forge.model.config import preset

    try:
        preset(args.model)
    except ValueError as e:
        raise UsageError(f"--model: {e}") from None
    layers = args.layers or (DEFAULT_LAYERS if args.model == DEFAULT_MODEL else 0)
    _check_overrides(args.overrides)
    return grid.Scale(
        model=args.model,
        layers=layers,
        steps=args.steps,
        finetune_steps=args.finetune_steps,
        batch=args.batch,
        inputs_length=inputs,
        targets_length=targets,
        eval_examples=args.eval_examples,
        finetune_learning_rate=args.finetune_lr,
        overrides=tuple(args.overrides),
    )


# What the study sets itself, per cell or for the whole grid: not a user's --set.
_STUDY_SET = {
    "architecture", "num_encoder_layers", "num_decoder_layers", "vocab_size",
    "steps", "batch_size", "inputs_length", "targets_length", *runs.TRAIN_KEYS.values(),
}  # fmt: skip


def _check_overrides(items: list[str]) -> None:
    """A user's --set: a `c4forge train` setting (train's own strict check), and not one the
    study sets itself."""
    from c4forge.cli import train as train_cli

    try:
        model, train = train_cli.split_overrides(items)
    except ValueError as e:  # a malformed KEY=VALUE
        raise UsageError(str(e)) from None
    taken = sorted((set(model) | set(train)) & _STUDY_SET)
    if taken:
        raise UsageError(
            f"--set {taken[0]}: the study sets it (use --model, --layers, --steps, --batch, "
            "--lengths; the cells set the rest)"
        )


def vocab_path(args: argparse.Namespace) -> str:
    """--vocab, or the demo's vocabulary beside --c4 (OUTPUT/c4 -> OUTPUT/vocab/spm.model)."""
    if args.vocab:
        if not os.path.exists(args.vocab):
            raise UsageError(f"--vocab {args.vocab}: no such file or directory")
        return os.path.abspath(args.vocab)
    beside = os.path.normpath(os.path.join(os.path.abspath(args.c4), DEMO_VOCAB))
    if not os.path.exists(beside):
        raise UsageError(f"no vocabulary beside --c4 {args.c4} ({beside}): pass --vocab")
    return beside


def catalog_argv(args: argparse.Namespace, vocab: str) -> list[str]:
    """The catalog flags every `c4forge train` of the study gets (so all register the same)."""
    argv = ["--c4", os.path.abspath(args.c4), "--vocab", vocab]
    for item in args.c4_also:
        argv += ["--c4-also", item]
    if args.tfds_data_dir:
        argv += ["--tfds-data-dir", args.tfds_data_dir]
    for module in args.module:
        argv += ["--module", module]
    return argv


def register_catalog(argv: list[str]) -> dict:
    """Register the catalog exactly as `c4forge train` with these flags will (the registries
    are process-global: the runs then find it, and the study's mixtures, registered)."""
    from c4forge.cli import train as train_cli
    from c4forge.tasks import catalog
    from c4forge.tasks.registry import RegistrationError

    settings = train_cli.catalog_settings(train_cli.build_parser().parse_args(argv))
    try:
        catalog.register(**settings)
    except (RegistrationError, ValueError) as e:
        raise UsageError(str(e)) from None
    return settings


def where_of(
    args: argparse.Namespace, study: grid.Study, cells: list[grid.Cell], chosen: list[grid.Cell]
) -> runs.Where:
    """Register the catalog and read what the plan of `cells` needs from it: the C4 objective
    tasks (those of the `chosen` cells must be registered), the downstream tasks and their
    sizes, the vocabulary's size. UsageError for what is missing."""
    import seqio

    from c4forge.tasks import catalog, registry

    if not args.c4:
        raise UsageError("--c4 is required: a `c4forge corpus build` output (e.g. out/demo/c4)")
    if not os.path.isdir(args.c4):
        raise UsageError(f"--c4 {args.c4}: no such directory")
    vocab = vocab_path(args)
    argv = catalog_argv(args, vocab)
    settings = register_catalog(argv)

    def c4_task(data_set: str, objective: str) -> str:
        return catalog.c4_task_name(data_set, settings["c4_version"], objective)

    for cell in chosen:
        if c4_task(cell.data_set, cell.objective) in seqio.TaskRegistry.names():
            continue
        if cell.data_set != settings["c4_config"]:
            raise UsageError(
                f"cell {cell.name} pre-trains on C4 {cell.data_set}: pass its build as "
                f"--c4-also {cell.data_set}=DIR (or leave the cell out with --cells)"
            )
        raise UsageError(
            f"--c4 {args.c4}: no task {c4_task(cell.data_set, cell.objective)} "
            "(is it an English C4 build?)"
        )
    try:
        tasks, _ = registry.selected_tasks(args.tasks)
        registry.get_provider(args.tasks)
    except (registry.RegistrationError, ValueError) as e:
        raise UsageError(f"--tasks: {e}") from None
    sizes = {}
    if any(cell.multitask for cell in cells):
        for name in tasks:
            size = seqio.get_mixture_or_task(name).num_input_examples("train")
            if not size:
                raise UsageError(f"--tasks: {name} has no train size for Table 11's mixing rates")
            sizes[name] = int(size)
    vocabulary = catalog.load_vocab(vocab, settings["extra_ids"])
    model_vocab = 128 * -(-vocabulary.vocab_size // 128)  # rounded up to 128s, as T5's 32128
    return runs.Where(
        out=os.path.abspath(os.path.join(args.out, study.name)),
        catalog_argv=tuple(argv),
        c4_task=c4_task,
        tasks=args.tasks,
        task_sizes=sizes,
        vocab_size=model_vocab,
    )


def plan(args: argparse.Namespace):
    """(study, scale, where, every cell's plan, the chosen cells' plans): every check, no run."""
    study, scale = study_of(args), scale_of(args)
    names = [n.strip() for n in args.cells.split(",") if n.strip()] if args.cells else None
    try:
        cells = grid.select(study, names)
    except ValueError as e:
        raise UsageError(f"--cells: {e}") from None
    where = where_of(args, study, list(study.cells), cells)
    try:
        plans = runs.plan_cells(study, scale, where)
        runs.check_plans(plans)
    except ValueError as e:
        raise UsageError(str(e)) from None
    chosen = [p for p in plans if p.cell in cells]
    return study, scale, where, plans, chosen


# ---------------------------------------------------------------------------------------------
# The command.


def list_cells(args: argparse.Namespace, out=None) -> None:
    """The study's cells: name, setting, pre-training lengths, the paper's row."""
    out = out or sys.stdout
    study, scale = study_of(args), scale_of(args)
    factor = study.factor.replace("_", " ")
    if study.crossed is not None:
        factor += f", crossed with the {study.crossed.replace('_', ' ')}"
    print(f"c4forge study {study.name}: {study.source}; varies the {factor}", file=out)
    rows = []
    for cell in study.cells:
        try:
            setting = runs.setting(cell, study, scale)
            inputs, targets = grid.run_lengths(cell, scale)
            lengths = f"{inputs}/{targets}"
        except ValueError as e:
            setting, lengths = f"cannot run at this scale: {e}", "-"
        rows.append((cell.name, setting, lengths, f"{cell.paper[0]}: {cell.paper[1]}"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        padded = [value.ljust(width) for value, width in zip(row, widths, strict=False)]
        print("  " + "  ".join(padded) + "  " + row[3], file=out)


def register_mixture(name: str, rates) -> None:
    from c4forge.tasks import registry

    registry.unregister(name)  # a rerun in this process registers the same again
    registry.add_mixture(name, list(rates))


def runner() -> runs.Runner:
    from c4forge.cli import infer as infer_cli
    from c4forge.cli import train as train_cli

    return runs.Runner(
        train=train_cli.main,
        evaluate=lambda argv: infer_cli.main(["eval"], argv),
        register_mixture=register_mixture,
        log=lambda text: print(text, flush=True),
    )


def run(args: argparse.Namespace, stages: runs.Runner | None = None) -> dict:
    """Plan and check everything, then run the unfinished chosen cells one after another,
    rewriting the results after each; returns the results' paths."""
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.ERROR)  # seqio's advice lines; errors still show
    study, scale, where, plans, chosen = plan(args)
    stages = stages or runner()
    paths: dict = {}
    for number, cell_plan in enumerate(chosen, 1):
        name = cell_plan.cell.name
        print(f"\n[study {number}/{len(chosen)}] {name}: {cell_plan.setting}", flush=True)
        started = time.perf_counter()
        ran = runs.run_cell(cell_plan, stages)
        seconds = time.perf_counter() - started
        done = f"ran {', '.join(ran)}" if ran else "already finished"
        print(f"[study {number}/{len(chosen)}] {name}: {done} in {seconds:.1f} s", flush=True)
        paths = study_results.write_results(study, plans, scale, where.out)
    if paths:
        print(f"\nresults: {paths['md']}, {paths['csv']}, {paths['png']}", flush=True)
        with open(paths["md"]) as f:
            print(f.read(), flush=True)
    return paths


def main(argv: list[str]) -> int:
    args = parse_or_help(build_parser(), argv)
    if args is None:
        return 0
    try:
        if args.list:
            list_cells(args)
        else:
            run(args)
    except UsageError as e:
        print(f"c4forge study: error: {e}", file=sys.stderr)
        return USAGE_EXIT
    except runs.StageError as e:
        print(f"c4forge study: error: {e}", file=sys.stderr)
        return e.code
    return 0
