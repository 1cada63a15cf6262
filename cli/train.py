"""`c4forge train`: launch mixture training. The one module that joins `tasks` and `model`.

c4forge train --mixture c4_en_v310_mix --model t5.1.1-small --steps 10000 --batch 128 \\
    --lengths 512,114 --out runs/small --c4 out/c4 --vocab vocab/ [--set key=value ...]
c4forge train --resume --out runs/small                # after a crash: the exact next batch
c4forge train --init-from runs/small --mixture glue_v002_proportional --out runs/glue ...
c4forge train --distributed ...                        # every host of a pod slice, same command

Settings: the preset (`--model`) or the checkpoint's model (`--init-from`), then `--set` for any
T5Config or TrainConfig field (model/training_loop.py), strictly (unknown key -> error). Fine-tuning
(`--init-from`) starts from t5x's finetune.gin: constant learning rate 1e-3, dropout 0.1, and
may train only part of the model: `--set finetune=adapters --set adapter_dim=512` or
`--set finetune=gradual_unfreezing [--set unfreeze_every_steps=N]` (model/finetune.py);
`--set data_tokens=N` pre-trains on the first N source tokens, repeated (tasks/data_size.py). The
resolved settings are written to OUT/config.json before anything is compiled; `--resume` reads
them back (only --steps may change). Everything that can be wrong with the input (unknown
mixture, vocabulary larger than the model's, mesh that cannot shard the model, batch that does
not split, a checkpoint of another shape) is one `c4forge train: error:` line, exit 2, before
any compilation.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys

from c4forge.cli.common import (
    FAILED_EXIT,
    USAGE_EXIT,
    UsageError,
    add_settings_flag,
    parse_lengths,
    parse_or_help,
)

DIVERGED_EXIT = FAILED_EXIT
DEFAULT_MODEL = "t5.1.1-small"


def build_parser() -> argparse.ArgumentParser:
    from c4forge.tasks.catalog_flags import add_catalog_args

    parser = argparse.ArgumentParser(
        prog="c4forge train",
        description="Train T5 on a seqio task or mixture (CPU, GPU or TPU; one or many hosts).",
    )
    parser.add_argument("--mixture", help="registered task or mixture to train on (required)")
    parser.add_argument(
        "--model", help=f"preset, see `c4forge model list` (default {DEFAULT_MODEL})"
    )
    parser.add_argument("--steps", type=int, help="train up to this step (default 1000)")
    parser.add_argument("--batch", type=int, help="global batch size in rows (default 128)")
    parser.add_argument("--lengths", help="INPUTS,TARGETS sequence lengths (default 512,114)")
    parser.add_argument("--out", help="run directory: config, checkpoints, logs (required)")
    add_settings_flag(
        parser,
        "any model or training setting, e.g. --set dropout_rate=0.1 --set "
        "partitioning=fsdp (repeatable; `c4forge train --settings` lists them)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue OUT from its latest checkpoint"
    )
    parser.add_argument(
        "--init-from",
        metavar="PATH",
        help="fine-tune: start from this run, checkpoint or HF T5 weights directory",
    )
    parser.add_argument(
        "--eval-mixture", help="evaluate on this task or mixture (default: --mixture)"
    )
    parser.add_argument(
        "--settings",
        action="store_true",
        help="list every --set key with its type and default, and exit",
    )
    hosts = parser.add_argument_group("multi-host")
    hosts.add_argument(
        "--distributed",
        action="store_true",
        help="call jax.distributed.initialize() (TPU pods and SLURM find their peers)",
    )
    hosts.add_argument("--coordinator", help="HOST:PORT of process 0 (elsewhere)")
    hosts.add_argument("--num-processes", type=int, help="hosts in all (with --coordinator)")
    hosts.add_argument("--process-id", type=int, help="this host's index (with --coordinator)")
    add_catalog_args(parser)
    return parser


# ---------------------------------------------------------------------------------------------
# Settings.


def split_overrides(items: list[str]) -> tuple[dict, dict]:
    """--set KEY=VALUE items as (model changes, training changes); an unknown key is a
    `UsageError` naming every setting (`c4forge study` checks its --set with this too)."""
    from c4forge.model.config import T5Config, field_types, parse_assignments
    from c4forge.model.training_loop import TrainConfig

    changes = parse_assignments(items)
    model_keys, train_keys = field_types(T5Config), field_types(TrainConfig)
    for key in changes:
        if key not in model_keys and key not in train_keys:
            raise UsageError(
                f"unknown setting {key!r}; model: {', '.join(model_keys)}; "
                f"training: {', '.join(train_keys)}"
            )
    return (
        {k: v for k, v in changes.items() if k in model_keys},
        {k: v for k, v in changes.items() if k in train_keys},
    )


def catalog_settings(args: argparse.Namespace) -> dict:
    """The catalog flags as the run's settings, with local paths made absolute so the run can
    be resumed or decoded from anywhere."""
    from c4forge.tasks import catalog_flags

    settings = catalog_flags.catalog_settings(args)
    settings["vocab"] = settings["vocab"] or catalog_flags.DEFAULT_VOCAB
    for key in ("vocab", "c4", "tfds_data_dir"):
        path = settings[key]
        if path and "://" not in path:
            settings[key] = os.path.abspath(path)
    also = []
    for item in settings["c4_also"]:
        name, sep, path = item.partition("=")
        local = sep and path and "://" not in path
        also.append(f"{name}={os.path.abspath(path)}" if local else item)
    settings["c4_also"] = also
    return settings


def resolve(args: argparse.Namespace) -> dict:
    """The run's settings as JSON: from the flags, or from OUT/config.json with --resume."""
    if args.resume:
        return _resume_settings(args)
    from c4forge.model.config import override, preset
    from c4forge.model.training_loop import TrainConfig, fine_tuning

    if not args.mixture:
        raise UsageError("--mixture is required (see `c4forge tasks list`)")
    model_changes, train_changes = split_overrides(args.overrides)
    train = TrainConfig()
    if args.init_from:
        if args.model:
            raise UsageError(
                "--init-from takes the model from the checkpoint; drop --model "
                "(--set may still change dropout_rate or dtype)"
            )
        from c4forge.model.runs import load_model

        try:
            base = load_model(args.init_from).config
        except (FileNotFoundError, ValueError) as e:
            raise UsageError(str(e)) from None
        base = dataclasses.replace(base, dropout_rate=0.1)  # t5x finetune.gin
        train = fine_tuning(train)
    else:
        base = preset(args.model or DEFAULT_MODEL)
    if args.steps is not None:
        train = dataclasses.replace(train, steps=args.steps)
    if args.batch is not None:
        train = dataclasses.replace(train, batch_size=args.batch)
    if args.lengths:
        inputs, targets = parse_lengths(args.lengths)
        train = dataclasses.replace(train, inputs_length=inputs, targets_length=targets)
    model = override(base, model_changes)
    train = override(train, train_changes)
    train = _fine_tuning_strategy(train, model, args.init_from)
    return {
        "mixture": args.mixture,
        "eval_mixture": args.eval_mixture or args.mixture,
        "model_preset": None if args.init_from else (args.model or DEFAULT_MODEL),
        "init_from": os.path.abspath(args.init_from) if args.init_from else None,
        "model": dataclasses.asdict(model),
        "train": dataclasses.asdict(train),
        "catalog": catalog_settings(args),
    }


def _fine_tuning_strategy(train, model, init_from: str | None):
    """`finetune` other than all needs a checkpoint; gradual unfreezing's episode length is
    resolved now (model/finetune.py), so that a resume with more --steps keeps the schedule."""
    from c4forge.model import finetune

    if train.finetune != "all" and not init_from:
        raise UsageError(
            f"finetune={train.finetune} fine-tunes a checkpoint: add --init-from PATH "
            "(or leave finetune=all)"
        )
    if train.finetune == "gradual_unfreezing" and not train.unfreeze_every_steps:
        every = finetune.default_unfreeze_every(train.steps, model)
        train = dataclasses.replace(train, unfreeze_every_steps=every)
    return train


def _resume_settings(args: argparse.Namespace) -> dict:
    from c4forge.model.runs import read_config

    try:
        saved = read_config(args.out)
    except FileNotFoundError as e:
        raise UsageError(f"--resume: {e}") from None
    given = {
        "--mixture": (args.mixture, saved["mixture"]),
        "--model": (args.model, saved.get("model_preset")),
        "--batch": (args.batch, saved["train"]["batch_size"]),
        "--init-from": (
            args.init_from and os.path.abspath(args.init_from),
            saved.get("init_from"),
        ),
    }
    if args.lengths:
        want = (saved["train"]["inputs_length"], saved["train"]["targets_length"])
        given["--lengths"] = (parse_lengths(args.lengths), want)
    for flag, (value, kept) in given.items():
        if value is not None and value != kept:
            raise UsageError(
                f"{flag} {value} differs from the run's {kept}: a resumed run keeps its "
                "settings (only --steps may change)"
            )
    if args.overrides:
        raise UsageError("--set cannot change a resumed run (only --steps may change)")
    if args.steps is not None:
        saved["train"]["steps"] = args.steps
    return saved


def _check_inputs(settings: dict, model, train) -> None:
    """Mixture known, vocabulary fits the model: one line each, before compiling."""
    import seqio

    from c4forge.tasks.catalog import require_vocab_file
    from c4forge.tasks.registry import RegistrationError, get_provider

    for key in ("mixture", "eval_mixture"):
        try:
            provider = get_provider(settings[key])
        except RegistrationError as e:
            raise UsageError(f"{e} (`c4forge tasks list` shows them)") from None
        tasks = provider.tasks if isinstance(provider, seqio.Mixture) else [provider]
        for task in tasks:
            vocabulary = task.output_features["targets"].vocabulary
            require_vocab_file(vocabulary)
            size = vocabulary.vocab_size
            if size > model.vocab_size:
                rounded = 128 * math.ceil(size / 128)
                raise UsageError(
                    f"{task.name}'s vocabulary has {size} ids (sentinels included) but the "
                    f"model's vocab_size is {model.vocab_size}: --set vocab_size={rounded}"
                )


# ---------------------------------------------------------------------------------------------
# The command.


def _start_distributed(args: argparse.Namespace) -> None:
    import jax

    if args.coordinator:
        jax.distributed.initialize(args.coordinator, args.num_processes, args.process_id)
    elif args.distributed:
        jax.distributed.initialize()


def prepare(args: argparse.Namespace):
    """Everything before the first step: settings, tasks, checks, mesh, state, data.
    Raises UsageError (one line) for anything wrong with the input."""
    from c4forge.model.runs import load_model, model_config, write_config
    from c4forge.model.training_loop import TrainConfig
    from c4forge.tasks.catalog import register
    from c4forge.tasks.registry import RegistrationError

    try:
        settings = resolve(args)
        model = model_config(settings["model"])
        train_config = TrainConfig(**settings["train"])
        register(**settings["catalog"])
        _check_inputs(settings, model, train_config)
    except (ValueError, RegistrationError) as e:
        raise UsageError(str(e)) from None

    import jax

    from c4forge.model.training_loop import Trainer
    from c4forge.tasks.feed import Feed

    run_dir = args.out
    checkpoints = os.path.join(run_dir, "checkpoints")
    if not args.resume and os.path.isdir(checkpoints) and os.listdir(checkpoints):
        raise UsageError(f"{run_dir} already has checkpoints: add --resume, or pick another --out")
    try:
        trainer = Trainer(model, train_config, run_dir)  # mesh, sharding and batch checks
        lead = jax.process_index() == 0
        settings["devices"] = {
            "count": jax.device_count(),
            "kind": jax.devices()[0].device_kind,
            "processes": jax.process_count(),
            "mesh": dict(trainer.mesh.shape),
        }
        if train_config.data_tokens:
            settings["data_repeats"] = _planned_repeats(train_config)
        notes = _strategy_notes(settings, model, train_config)
        if lead:
            write_config(run_dir, settings)
            for note in notes:
                print(f"c4forge train: {note}", file=sys.stderr)
        feed_state = None
        restored = trainer.restore() if args.resume else None
        if restored is not None:
            state, feed_state = restored
        elif settings["init_from"]:
            state = trainer.init_state(load_model(settings["init_from"]).params)
        else:
            state = trainer.init_state()
        shard = (jax.process_index(), jax.process_count())
        feed = Feed(
            settings["mixture"],
            train_config.lengths,
            train_config.batch_size // shard[1],
            shard_index=shard[0],
            shard_count=shard[1],
            seed=train_config.seed,
            state=feed_state,
            data_tokens=train_config.data_tokens,
            features=model.feature_kind,
        )
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    from c4forge.cli.train_reports import RunReporter, make_evaluate

    evaluate = make_evaluate(trainer, settings, model, train_config, shard)
    start = int(jax.device_get(state.step))
    reporter = RunReporter(run_dir, train_config.steps, start, enabled=lead)
    if train_config.data_tokens:
        reporter = _DataPasses(reporter, feed, train_config.data_tokens, shard)
    return trainer, state, feed, evaluate, reporter


def _planned_repeats(train) -> float:
    from c4forge.tasks import data_size

    return data_size.planned_repeats(
        train.steps, train.batch_size, train.inputs_length, train.data_tokens
    )


def _strategy_notes(settings: dict, model, train) -> list[str]:
    """One line each: what the fine-tuning strategy trains, the data cap's planned repeats."""
    from c4forge.model import finetune

    notes = []
    if train.finetune == "adapters":
        trained, total = finetune.trained_fraction(model, train.finetune)
        notes.append(f"finetune=adapters trains {trained:,} of {total:,} parameters")
    if train.finetune == "gradual_unfreezing":
        every = train.unfreeze_every_steps
        last = max(finetune.unfreeze_steps(model, train.finetune, every).values())
        notes.append(
            f"finetune=gradual_unfreezing: one more block per stack every {every} steps, "
            f"all from step {last}"
        )
    if "data_repeats" in settings:
        notes.append(
            f"data_tokens={train.data_tokens}: {settings['data_repeats']:,.4g} repeats planned "
            "(steps x batch x inputs length / data_tokens)"
        )
    return notes


class _DataPasses:
    """A reporter whose log rows also carry `data_passes`: passes over the capped data read so
    far (the feed reads ahead of the trained batches by at most one packing window)."""

    def __init__(self, reporter, feed, data_tokens: int, shard: tuple[int, int]):
        self._reporter, self._feed, self._cap, self._shard = reporter, feed, data_tokens, shard

    def __getattr__(self, name):  # step, eval, checkpoint, close: as the wrapped reporter
        return getattr(self._reporter, name)

    def log(self, step: int, scalars: dict) -> None:
        from c4forge.tasks import data_size

        streams = [stream.state() for stream in self._feed.streams]
        passes = data_size.passes(streams, self._cap, *self._shard)
        self._reporter.log(step, {**scalars, "data_passes": passes})


def train(args: argparse.Namespace) -> None:
    """Run (or resume) the training the flags describe."""
    trainer, state, feed, evaluate, reporter = prepare(args)
    try:
        trainer.run(state, feed, feed.state, evaluate=evaluate, reporter=reporter)
    finally:
        reporter.close()
        trainer.close()


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parse_or_help(parser, argv)
    if args is None:
        return 0
    if args.settings:
        return _print_settings()
    if not args.out:
        parser.print_usage(sys.stderr)
        print("c4forge train: error: --out is required", file=sys.stderr)
        return USAGE_EXIT
    try:
        _start_distributed(args)
        train(args)
    except UsageError as e:
        print(f"c4forge train: error: {e}", file=sys.stderr)
        return USAGE_EXIT
    except FloatingPointError as e:
        print(
            f"c4forge train: error: training diverged: {e}; {_last_good(args.out)}",
            file=sys.stderr,
        )
        return DIVERGED_EXIT
    return 0


def _last_good(run_dir: str) -> str:
    from c4forge.model.checkpoint import Checkpointer

    step = Checkpointer(run_dir).latest_step()
    if step is None:
        return "no checkpoint was written before it"
    return f"the last good checkpoint is step {step} in {os.path.join(run_dir, 'checkpoints')}"


def _print_settings() -> int:
    from c4forge.model.config import T5Config
    from c4forge.model.training_loop import TrainConfig

    for cls in (T5Config, TrainConfig):
        print(f"{cls.__name__}:")
        for field in dataclasses.fields(cls):
            default = field.default if field.default is not dataclasses.MISSING else "(preset)"
            print(f"  {field.name:<22} {field.type:<6} {default}")
    return 0
