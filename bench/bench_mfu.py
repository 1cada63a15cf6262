"""Training throughput and MFU of the jitted train step on the local accelerator.

python bench/bench_mfu.py                                  # T5.1.1-base, bf16, 128 x 512/114
python bench/bench_mfu.py --model t5.1.1-tiny --batch 8 --steps 3   # a smoke run on a CPU

Times `c4forge.model.train_step.make_train_step` (forward, backward, Adafactor update; the state
donated) on random packed-shaped batches already on the device, so the input pipeline is not
in the figure (tasks/feed.py is measured on its own in bench_tasks.py). Compilation and
`--warmup` steps are excluded; the clock stops after `block_until_ready` on the last step's
loss. Model FLOPs per row as docs/MODEL.md §3 (model/flops.py); MFU against the device's
dense bf16 peak (none on CPUs). With several devices the batch is split over a data-parallel
mesh.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time

import jax
import numpy as np

from c4forge.model import partitioning, train_step
from c4forge.model.config import override, parse_assignments, preset
from c4forge.model.flops import mfu, peak_flops, training_flops_per_sequence


def _batch(rows: int, inputs: int, targets: int, vocab: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    targets_ids = rng.integers(2, vocab, (rows, targets), dtype=np.int32)
    decoder_inputs = np.concatenate([np.zeros((rows, 1), np.int32), targets_ids[:, :-1]], 1)
    return {
        "encoder_input_tokens": rng.integers(2, vocab, (rows, inputs), dtype=np.int32),
        "decoder_input_tokens": decoder_inputs,
        "decoder_target_tokens": targets_ids,
        "decoder_loss_weights": np.ones((rows, targets), np.int32),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="t5.1.1-base")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lengths", default="512,114")
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--steps", type=int, default=20, help="timed steps")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args(argv)
    inputs, targets = (int(x) for x in args.lengths.split(","))
    config = override(preset(args.model), {"dtype": args.dtype, "dropout_rate": 0.0})
    config = override(config, parse_assignments(args.overrides))

    mesh = partitioning.make_mesh(jax.device_count(), 1)
    optimizer = train_step.make_optimizer("rsqrt")
    state = train_step.init_state(config, jax.random.key(0), optimizer, mesh)
    step = train_step.make_train_step(config, optimizer, mesh)
    batch = jax.device_put(
        _batch(args.batch, inputs, targets, config.vocab_size), partitioning.batch_sharding(mesh)
    )

    started = time.perf_counter()
    state, metrics = step(state, batch)
    jax.block_until_ready(metrics["loss"])
    compile_seconds = time.perf_counter() - started
    for _ in range(args.warmup):
        state, metrics = step(state, batch)
    jax.block_until_ready(metrics["loss"])

    times = []
    for _ in range(args.steps):
        started = time.perf_counter()
        state, metrics = step(state, batch)
        jax.block_until_ready(metrics["loss"])
        times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    flops = args.batch * training_flops_per_sequence(config, inputs, targets) / seconds
    device = jax.devices()[0]
    result = {
        "model": args.model,
        "config": dataclasses.asdict(config),
        "batch": args.batch,
        "lengths": [inputs, targets],
        "devices": jax.device_count(),
        "device_kind": device.device_kind,
        "compile_seconds": compile_seconds,
        "median_step_seconds": seconds,
        "min_step_seconds": min(times),
        "tokens_per_second": args.batch * (inputs + targets) / seconds,
        "model_tflops_per_second": flops / 1e12,
        "mfu": mfu(flops, peak_flops(device.device_kind), jax.device_count()),
        "final_loss": float(metrics["loss"]),
    }
    shown = (
        "n/a (no known peak for this device)"
        if result["mfu"] is None
        else (f"{100 * result['mfu']:.1f}%")
    )
    print(
        f"{args.model} {args.dtype} batch {args.batch} x {inputs}/{targets} on "
        f"{jax.device_count()} x {device.device_kind}: {seconds:.3f} s/step (median of "
        f"{args.steps}), {result['tokens_per_second']:,.0f} tokens/s, "
        f"{result['model_tflops_per_second']:.1f} model TFLOP/s, MFU {shown}"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
