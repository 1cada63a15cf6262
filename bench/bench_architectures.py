"""Benchmark: one training step of each architecture of Raffel et al. §3.2 (Table 2), side by side.

The five rows come from one L+L encoder-decoder (`--model`, default t5-small, with `--layers`
per stack, default 2 so that a CPU run stays within two minutes; 0 keeps the preset's 6) by
`model.config.study_architecture`, so each has the paper's budget: the encoder-decoder 2P
parameters at cost M, the shared encoder-decoder, the LM and the prefix LM P at M, the half-depth
encoder-decoder P at M/2 (P: one stack's parameters; M: an L+L encoder-decoder's FLOPs on one
(input, target) pair). What is timed is `model/train_step.py`'s jitted step (t5x Adafactor,
rsqrt schedule, state donated, dropout 0.1 unless `--dropout`), fp32, on batches of
`--batch` rows shaped like unpacked feed batches with every position real: `--lengths` inputs and
targets for the encoder-decoders, one row of inputs + targets for the decoder-only models, made
by `tasks.packing` as each model's feed makes them (the prefix LM's loss on the targets only).

All five run in one process, one after the other within each round and in a rotated order
every round (`--rounds` rounds of one step each, after `--warmup` steps each, which include
compilation), so a slow spell of the machine hits every row. Reported per row: layers,
parameters (from shapes), training GFLOP per step (model/flops.py, 6 x forward multiply-adds),
median and min seconds per step, and the ratios of parameters, FLOPs and median step time to the
encoder-decoder's beside the paper's (2P/P, M/M/2).

    python bench/bench_architectures.py [--model t5-small] [--layers 2] [--batch 4]
        [--lengths 512,114] [--rounds 3] [--warmup 1] [--dropout 0.1] [--set KEY=VALUE ...]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import numpy as np  # noqa: E402

PAPER_RATIO = {"2P": 1.0, "P": 0.5, "M": 1.0, "M/2": 0.5}


def make_batch(rng, kind: str, batch: int, inputs: int, targets: int, vocab: int) -> dict:
    """One unpacked batch of `kind` features (every position a real token, ids 2..)."""
    from c4forge.tasks import packing

    examples = [
        {
            "inputs": rng.integers(2, vocab, size=inputs, dtype=np.int32),
            "targets": rng.integers(2, vocab, size=targets, dtype=np.int32),
        }
        for _ in range(batch)
    ]
    lengths = {"inputs": inputs, "targets": targets}
    rows = packing.rows_for(examples, lengths, pack=False, kind=kind)
    return packing.model_features(rows, packed=False, kind=kind)


class Row:
    """One architecture's state, jitted step and batch; `run()` times one step (synced)."""

    def __init__(self, name: str, config, args, seed: int = 0):
        import jax

        from c4forge.model import train_step
        from c4forge.model.config import parameter_count
        from c4forge.model.flops import training_flops_per_sequence

        self.jax, self.name, self.config = jax, name, config
        optimizer = train_step.make_optimizer("rsqrt")
        self.state = train_step.init_state(config, jax.random.key(seed), optimizer)
        self.step = train_step.make_train_step(config, optimizer)
        self.rng = jax.random.key(seed + 1) if config.dropout_rate > 0 else None
        inputs, targets = args.lengths
        self.batch = make_batch(
            np.random.default_rng(seed), config.feature_kind, args.batch, inputs, targets,
            config.vocab_size,
        )  # fmt: skip
        self.params = parameter_count(config)
        self.flops = args.batch * training_flops_per_sequence(config, inputs, targets)
        self.times: list[float] = []

    def run(self) -> float:
        start = time.perf_counter()
        self.state, metrics = self.step(self.state, self.batch, self.rng)
        self.jax.block_until_ready((self.state, metrics))
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    from c4forge.model import host_memory
    from c4forge.model.config import (
        STUDY_ARCHITECTURES,
        override,
        parse_assignments,
        preset,
        study_architecture,
    )

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="t5-small")
    parser.add_argument("--layers", type=int, default=2, help="L per stack (0: the preset's)")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--lengths", default="512,114", help="INPUTS,TARGETS")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--dropout", type=float, help="dropout rate (default: the preset's)")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    args.lengths = tuple(int(x) for x in args.lengths.split(","))
    host_memory.keep_freed_memory()  # as `c4forge train` does on CPU

    baseline = override(preset(args.model), parse_assignments(args.overrides))
    if args.dropout is not None:
        baseline = override(baseline, {"dropout_rate": args.dropout})
    if args.layers:
        baseline = override(
            baseline, {"num_encoder_layers": args.layers, "num_decoder_layers": args.layers}
        )
    rows = [Row(n, study_architecture(baseline, n), args) for n in STUDY_ARCHITECTURES]
    for row in rows:
        for _ in range(args.warmup):
            row.run()
    for r in range(args.rounds):
        for row in rows[r % len(rows) :] + rows[: r % len(rows)]:
            row.times.append(row.run())

    import jax

    base = rows[0]
    base_median = statistics.median(base.times)
    results = []
    for row in rows:
        paper_p, paper_m = STUDY_ARCHITECTURES[row.name]
        median = statistics.median(row.times)
        results.append(
            {
                "architecture": row.name,
                "layers": f"{row.config.num_encoder_layers}+{row.config.num_decoder_layers}",
                "parameters": row.params,
                "parameters_ratio": row.params / base.params,
                "paper_parameters": f"{paper_p} ({PAPER_RATIO[paper_p]:.2f})",
                "gflop_per_step": row.flops / 1e9,
                "flops_ratio": row.flops / base.flops,
                "paper_cost": f"{paper_m} ({PAPER_RATIO[paper_m]:.2f})",
                "median_s": median,
                "min_s": min(row.times),
                "time_ratio": median / base_median,
                "times": row.times,
            }
        )
    report = {
        "model": args.model,
        "layers": f"{baseline.num_encoder_layers}+{baseline.num_decoder_layers}",
        "batch": args.batch,
        "lengths": list(args.lengths),
        "dropout": baseline.dropout_rate,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "device": jax.devices()[0].device_kind,
        "rows": results,
    }
    print_table(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return report


def print_table(report: dict) -> None:
    print(
        f"{report['model']} ({report['layers']} layers), batch {report['batch']} x "
        f"{report['lengths'][0]}/{report['lengths'][1]}, dropout {report['dropout']}, "
        f"{report['device']}, "
        f"median of {report['rounds']} steps after {report['warmup']} warm-up"
    )
    print(
        "| architecture | layers | parameters | ratio | paper | GFLOP/step | ratio | paper "
        "| s/step (median) | min | time ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in report["rows"]:
        print(
            f"| {r['architecture']} | {r['layers']} | {r['parameters']:,} | "
            f"{r['parameters_ratio']:.2f} | {r['paper_parameters']} | {r['gflop_per_step']:.3g} | "
            f"{r['flops_ratio']:.2f} | {r['paper_cost']} | {r['median_s']:.3f} | "
            f"{r['min_s']:.3f} | {r['time_ratio']:.2f} |"
        )


if __name__ == "__main__":
    main()
