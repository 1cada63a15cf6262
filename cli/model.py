"""`c4forge model list | info NAME [--set KEY=VALUE ...]`: the T5 presets and their sizes.

c4forge model list
c4forge model info t5.1.1-base --set dtype=bfloat16 --set dropout_rate=0.1
c4forge model info t5-base --set architecture=prefix_lm --set num_encoder_layers=0 --lengths 512,114

`info` prints every architecture field, then the parameter count per component, read from the
shapes of an abstract init (`jax.eval_shape`): no weights are allocated, so t5-11b is instant.
Then the training FLOPs of one (inputs, targets) pair and per token (model/flops.py), and the
rows of Raffel et al. Table 2 built from the preset's encoder-decoder (same widths, the
`--set` changes other than architecture and layer counts): each one's parameters and FLOPs,
their ratios to that encoder-decoder, and the paper's accounting (§3.2.2: 2P / M for the
encoder-decoder, P / M for the shared one, the LM and the prefix LM, P / M/2 for half depth),
which ignores encoder-decoder attention (~10% of the parameters) and so differs from ours.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from c4forge.cli.common import (
    USAGE_EXIT,
    UsageError,
    add_settings_flag,
    parse_lengths,
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
    info.add_argument(
        "--lengths", default="512,114", help="INPUTS,TARGETS for the FLOPs (default 512,114)"
    )
    return parser


# `--set` keys that choose among Table 2's rows; the others also shape the baseline.
_ARCHITECTURE_KEYS = ("architecture", "num_encoder_layers", "num_decoder_layers")
_PAPER_RATIOS = {"2P": 1.0, "P": 0.5, "M": 1.0, "M/2": 0.5}


def info(name: str, overrides: list[str], out=None, lengths: tuple[int, int] = (512, 114)) -> None:
    """Print the resolved config, its parameter counts and FLOPs, and Table 2's accounting;
    ValueError on a bad name/override."""
    from c4forge.model.config import override, parameter_counts, parse_assignments, preset
    from c4forge.model.flops import training_flops_per_sequence

    out = out or sys.stdout
    changes = parse_assignments(overrides)
    config = override(preset(name), changes)
    print(name, file=out)
    for field in dataclasses.fields(config):
        print(f"  {field.name:<22} {getattr(config, field.name)}", file=out)
    counts = parameter_counts(config)
    print(f"parameters {sum(counts.values()):>18,}", file=out)
    for part, count in counts.items():
        note = "  (tied to the embedding)" if part == "logits" and config.tied_embeddings else ""
        if part == "encoder" and config.architecture == "shared_encoder_decoder":
            note = "  (runs the decoder's layers)"
        print(f"  {part:<9} {count:>18,}{note}", file=out)
    inputs, targets = lengths
    flops = training_flops_per_sequence(config, inputs, targets)
    print(f"training FLOPs at {inputs}/{targets} (6 x forward multiply-adds):", file=out)
    print(f"  per sequence pair {flops:>14.4g}", file=out)
    print(f"  per token         {flops / (inputs + targets):>14.4g}", file=out)
    baseline = override(
        preset(name), {k: v for k, v in changes.items() if k not in _ARCHITECTURE_KEYS}
    )
    _print_study_rows(config, baseline, lengths, out)


def _print_study_rows(config, baseline, lengths: tuple[int, int], out) -> None:
    """Table 2's rows from `baseline` (an L+L encoder-decoder): ours beside the paper's."""
    from c4forge.model.config import STUDY_ARCHITECTURES, parameter_count, study_architecture
    from c4forge.model.flops import training_flops_per_sequence

    layers = baseline.num_decoder_layers
    print(
        f"Raffel et al. Table 2 from this preset's {layers}+{layers}-layer encoder-decoder "
        f"(* = this model):",
        file=out,
    )
    head = f"  {'architecture':<24} {'parameters':>14} {'ratio':>6} {'paper':>11}"
    print(f"{head} {'FLOPs/token':>12} {'ratio':>6} {'paper':>13}", file=out)
    base_params = parameter_count(baseline)
    base_flops = training_flops_per_sequence(baseline, *lengths)
    per_token = 1 / sum(lengths)
    for row, (params_name, cost_name) in STUDY_ARCHITECTURES.items():
        paper_p = f"{params_name} ({_PAPER_RATIOS[params_name]:.2f})"
        paper_m = f"{cost_name} ({_PAPER_RATIOS[cost_name]:.2f})"
        try:
            variant = study_architecture(baseline, row)
        except ValueError as e:  # e.g. half depth of an odd number of layers
            print(f"  {row:<24} {'-':>14} {'':>6} {paper_p:>11}  ({e})", file=out)
            continue
        params, flops = parameter_count(variant), training_flops_per_sequence(variant, *lengths)
        mark = "*" if variant == config else " "
        print(
            f" {mark}{row:<24} {params:>14,} {params / base_params:>6.2f} {paper_p:>11} "
            f"{flops * per_token:>12.4g} {flops / base_flops:>6.2f} {paper_m:>13}",
            file=out,
        )
    print(
        "  the paper ignores encoder-decoder attention (~10% of the parameters); ours count it,\n"
        "  the embedding and the logits, and decoder-only models compute logits at every position",
        file=out,
    )


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
                info(args.name, args.overrides, lengths=parse_lengths(args.lengths))
            except ValueError as e:
                raise UsageError(str(e)) from None
        return 0

    return report_usage_errors("c4forge model", run)
