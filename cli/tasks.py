"""`c4forge tasks list | show NAME`: what the catalog holds, and what a task's examples look like.

c4forge tasks list [--c4 out/c4] [--module my_tasks]
c4forge tasks show c4_en_v310_span_corruption --c4 out/c4 --vocab vocab/ [-n 3]

`show` runs the task's seqio pipeline (`Task.get_dataset`, or the mixture's) and prints a few
preprocessed examples, decoded with the task's vocabulary (sentinels shown as <extra_id_N>).
(`c4forge tasks cache` is cli/tasks_cache.py.) Building the parser imports no seqio or TensorFlow
(`tasks.catalog_flags`), so `--help` is immediate.
"""

from __future__ import annotations

import argparse
import sys

from c4forge.cli.common import UsageError, parse_lengths, parse_or_help, report_usage_errors
from c4forge.tasks.catalog_flags import add_catalog_args


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="c4forge tasks",
        description="The seqio task catalog: list tasks and mixtures, show examples, cache.",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = sub.add_parser("list", help="registered tasks and mixtures")
    add_catalog_args(listing)
    show = sub.add_parser("show", help="a few preprocessed examples of a task, decoded")
    show.add_argument("name")
    show.add_argument("-n", "--examples", type=int, default=3, help="how many (default 3)")
    show.add_argument("--split", default="train")
    show.add_argument("--seed", type=int, default=0)
    show.add_argument(
        "--lengths",
        default="512,114",
        help="inputs,targets sequence lengths (default 512,114)",
    )
    add_catalog_args(show)
    sub.add_parser("cache", help="preprocess tasks as a Beam job (`c4forge tasks cache --help`)")
    return parser


def list_tasks(out=None) -> None:
    import seqio

    out = out or sys.stdout

    for name in sorted(seqio.MixtureRegistry.names()):
        mixture = seqio.MixtureRegistry.get(name)
        print(f"mixture  {name}  ({len(mixture.tasks)} tasks)", file=out)
    for name in sorted(seqio.TaskRegistry.names()):
        task = seqio.TaskRegistry.get(name)
        try:
            splits = ", ".join(task.splits)
        except ValueError:  # a TFDS dataset that is not prepared (or mocked) here
            splits = "TFDS (not prepared here)"
        print(f"task     {name}  splits: {splits}", file=out)


def show(name, count, split, seed, lengths, out=None) -> None:
    import seqio

    out = out or sys.stdout

    from c4forge.tasks.catalog import require_vocab_file

    provider = seqio.get_mixture_or_task(name)
    features = provider.output_features
    for feature in features.values():
        require_vocab_file(feature.vocabulary)
    ds = provider.get_dataset(lengths, split=split, shuffle=False, seed=seed)
    for i, example in enumerate(ds.take(count).as_numpy_iterator()):
        print(f"--- example {i}", file=out)
        for key in sorted(features):
            if key not in example:
                continue
            ids = example[key].tolist()
            text = features[key].vocabulary.decode(ids)
            print(f"{key} ({len(ids)} ids): {text}", file=out)


def _run(args: argparse.Namespace) -> int:
    from c4forge.tasks.catalog import register_from_args
    from c4forge.tasks.registry import RegistrationError, get_provider

    if args.action == "show":
        inputs, targets = parse_lengths(args.lengths)  # before any work
    try:
        register_from_args(args)
        if args.action == "list":
            list_tasks()
        elif args.action == "show":
            get_provider(args.name)  # an unknown name: one line, with the nearest names
            lengths = {"inputs": inputs, "targets": targets}
            show(args.name, args.examples, args.split, args.seed, lengths)
    except RegistrationError as e:
        raise UsageError(str(e)) from None
    return 0


def main(argv: list[str]) -> int:
    parser = _parser()
    args = parse_or_help(parser, argv)
    if args is None:
        return 0
    return report_usage_errors("c4forge tasks", lambda: _run(args))
