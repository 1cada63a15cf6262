"""`c4forge model list | info NAME [--set KEY=VALUE ...]`: the T5 presets and their sizes.

c4forge model list
c4forge model info t5.1.1-base --set dtype=bfloat16 --set dropout_rate=0.1

`info` prints every architecture field, then the parameter count per component, read from the
shapes of an abstract init (`jax.eval_shape`): no weights are allocated, so t5-11b is instant.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from c4forge.cli.common import (
    USAGE_EXIT,
    UsageError,
    add_settings_flag,
    parse_or_help,
    report_usage_errors,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="c4forge model", description="T5 architectures: presets and parameter counts."
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="preset names")
    info = sub.add_parser("info", help="a preset's fields and parameter counts")
    info.add_argument("name", help="preset name (see `c4forge model list`)")
    add_settings_flag(info, "override a field, e.g. --set d_model=256 (repeatable)")
    return parser


def info(name: str, overrides: list[str], out=None) -> None:
    """Print the resolved config and its parameter counts; ValueError on a bad name/override."""
    from c4forge.model.config import override, parameter_counts, parse_assignments, preset

    out = out or sys.stdout
    config = override(preset(name), parse_assignments(overrides))
    print(name, file=out)
    for field in dataclasses.fields(config):
        print(f"  {field.name:<22} {getattr(config, field.name)}", file=out)
    counts = parameter_counts(config)
    print(f"parameters {sum(counts.values()):>18,}", file=out)
    for part, count in counts.items():
        note = "  (tied to the embedding)" if part == "logits" and config.tied_embeddings else ""
        print(f"  {part:<9} {count:>18,}{note}", file=out)


def main(argv: list[str]) -> int:
    parser = _parser()
    args = parse_or_help(parser, argv)
    if args is None:
        return 0
    if args.action is None:
        parser.print_usage(sys.stderr)
        return USAGE_EXIT

    def run() -> int:
        if args.action == "list":
            from c4forge.model.config import PRESETS

            print("\n".join(PRESETS))
        else:
            try:
                info(args.name, args.overrides)
            except ValueError as e:
                raise UsageError(str(e)) from None
        return 0

    return report_usage_errors("c4forge model", run)
