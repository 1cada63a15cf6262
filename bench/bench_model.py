"""Benchmark: one T5 training step (forward, backward, optimizer update) on CPU, ours vs HF.

Side by side in one run, each side in its own worker process, on the same batches:
- `ours`: model/train_step.py's jitted `train_step` (no mesh): `make_optimizer("rsqrt")` (t5x
  Adafactor through optax), `init_state`, `make_train_step(config, optimizer)` with the state
  donated; loss = cross-entropy + z-loss summed over the targets (t5x's default);
- `hf`: transformers' `T5ForConditionalGeneration` in fp32 eager mode (its default attention,
  SDPA), built from the same T5Config (model/hf.py's `config_to_hf`), with
  `transformers.optimization.Adafactor(scale_parameter=True, relative_step=False, lr=1e-3,
  warmup_init=False)`, i.e. the same factored optimizer with parameter scaling, update
  clipping 1.0 and no momentum; loss = `model(input_ids, attention_mask, decoder_input_ids,
  labels).loss`, then backward, step, zero_grad.

Both train on the same random batches shaped like packed feed batches (every position a real
token, no padding): `encoder_input_tokens` [batch, inputs], `decoder_target_tokens` [batch,
targets], `decoder_input_tokens` (targets shifted right, 0 first) and all-ones
`decoder_loss_weights`. Dropout is the preset's rate (0.1 for v1.0) on both sides unless
`--dropout` says otherwise; each side applies it as its reference does (ours: Mesh-TF's masks
shared along the length axis; HF: element-wise). Precision fp32 on both sides.

Timing: wall-clock per step, measured inside the worker, until the results are on hand
(`jax.block_until_ready` on the new state and metrics; torch is synchronous on CPU). The parent
steps one side at a time: after `--warmup` steps of each side (the first of ours also
compiles), `--rounds` rounds of `--steps` steps per side, alternating the sides every step
(`--interleave step`, the default) or every round (`--interleave round`), the side that goes
first swapping every round, so a slow spell of the machine hits both. Separate processes,
because in one process each framework's allocator and thread pools slowed the other (measured:
ours 1.4x and HF 1.1x slower per step than each alone). torch runs
`torch.set_num_threads(os.cpu_count())` threads; XLA's CPU client uses every core by default.

Reported per side: median and min seconds per step, the ours/HF ratio of medians, tokens per
second counting every encoder input and decoder target position ((inputs + targets) * batch
per step), and per step (medians) the worker's CPU seconds, its kernel (sys) seconds and minor
page faults, and "others": CPU seconds the rest of the machine ran during the step (from
/proc/stat), which should be ~0; when it is not, the run was shared and its numbers are not
comparable.

Memory: ours runs as the trainer does on CPU, with glibc set (mallopt, model/host_memory.py) to keep
freed memory mapped: XLA:CPU allocates each step's ~3 GB of temporaries afresh and, with
glibc's defaults, page-faulting them in again cost 2-4 CPU-s per step on this VM
(BENCHMARKS.md, "Model step time on CPU"). `C4FORGE_KEEP_FREED_MEMORY=0` runs ours without
it. HF runs with glibc's defaults, as users run it; `--malloc-reuse` starts both workers with
the same setting as environment variables (MALLOC_REUSE), for a like-for-like comparison.

    python bench/bench_model.py [--model t5-small] [--batch 8] [--lengths 512,114]
        [--rounds 4] [--steps 2] [--warmup 3] [--dropout 0.1] [--interleave step|round]
        [--malloc-reuse] [--only ours|hf] [--json out.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import numpy as np  # noqa: E402


def make_batches(rng, count: int, batch: int, inputs: int, targets: int, vocab: int):
    """`count` feed-shaped batches of random real tokens (ids 2.., no padding), int32 numpy."""
    out = []
    for _ in range(count):
        enc = rng.integers(2, vocab, size=(batch, inputs), dtype=np.int32)
        tgt = rng.integers(2, vocab, size=(batch, targets), dtype=np.int32)
        dec = np.concatenate([np.zeros((batch, 1), np.int32), tgt[:, :-1]], axis=1)
        out.append(
            {
                "encoder_input_tokens": enc,
                "decoder_input_tokens": dec,
                "decoder_target_tokens": tgt,
                "decoder_loss_weights": np.ones((batch, targets), np.int32),
            }
        )
    return out


class Ours:
    """model/train_step.py's step; `run(batch)` returns the per-token loss (a float, synced)."""

    def __init__(self, config, seed: int = 0):
        import jax

        from c4forge.model import host_memory, train_step

        self.jax = jax
        # As the trainer does on CPU (model/host_memory.py); C4FORGE_KEEP_FREED_MEMORY=0: off.
        self.keeps_freed_memory = host_memory.keep_freed_memory()
        optimizer = train_step.make_optimizer("rsqrt")
        self.state = train_step.init_state(config, jax.random.key(seed), optimizer)
        self.step = train_step.make_train_step(config, optimizer)
        self.dropout_rng = jax.random.key(seed + 1) if config.dropout_rate > 0 else None

    def run(self, batch) -> float:
        self.state, metrics = self.step(self.state, batch, self.dropout_rng)
        self.jax.block_until_ready((self.state, metrics))
        return float(metrics["loss"]) / float(metrics["weight_sum"])


class HuggingFace:
    """transformers' T5 with its Adafactor; `run(batch)` returns the mean token loss."""

    def __init__(self, config, seed: int = 0):
        import torch
        import transformers
        from transformers.optimization import Adafactor

        from c4forge.model.hf import config_to_hf

        self.torch = torch
        torch.set_num_threads(os.cpu_count() or 1)
        torch.manual_seed(seed)
        hf_config = transformers.T5Config(
            **{k: v for k, v in config_to_hf(config).items() if k != "scale_decoder_outputs"}
        )
        self.model = transformers.T5ForConditionalGeneration(hf_config).train()
        self.optimizer = Adafactor(
            self.model.parameters(),
            lr=1e-3,
            scale_parameter=True,
            relative_step=False,
            warmup_init=False,
        )

    def run(self, batch) -> float:
        torch = self.torch
        enc = torch.from_numpy(batch["encoder_input_tokens"]).long()
        loss = self.model(
            input_ids=enc,
            attention_mask=enc != 0,
            decoder_input_ids=torch.from_numpy(batch["decoder_input_tokens"]).long(),
            labels=torch.from_numpy(batch["decoder_target_tokens"]).long(),
        ).loss
        loss.backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())


SIDES = {"ours": Ours, "hf": HuggingFace}
# glibc settings for --malloc-reuse: one arena, no mmap for big blocks, no trimming. Freed memory
# then stays mapped and the next step reuses it instead of page-faulting it in again.
MALLOC_REUSE = {
    "MALLOC_ARENA_MAX": "1",
    "MALLOC_MMAP_MAX_": "0",
    "MALLOC_TRIM_THRESHOLD_": str(64 << 30),
    "MALLOC_TOP_PAD_": str(1 << 30),
}


def worker(name: str, config, args, conn) -> None:
    """One side in its own process: build it, make the shared batches, then run the step the
    parent asks for and send back (wall s, own CPU s, others' CPU s, loss, sys s and faults)."""
    side = SIDES[name](config)
    inputs, targets = args.lengths
    count = args.warmup + args.rounds * args.steps
    batches = make_batches(
        np.random.default_rng(0), count, args.batch, inputs, targets, config.vocab_size
    )
    conn.send(("ready", getattr(side, "keeps_freed_memory", False)))
    while (index := conn.recv()) is not None:
        busy, usage = machine_busy_s(), resource.getrusage(resource.RUSAGE_SELF)
        wall, cpu = time.perf_counter(), time.process_time()
        loss = side.run(batches[index])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        after = resource.getrusage(resource.RUSAGE_SELF)
        kernel = {
            "sys_s": after.ru_stime - usage.ru_stime,
            "faults": after.ru_minflt - usage.ru_minflt,
        }
        conn.send((wall, cpu, machine_busy_s() - busy - cpu, loss, kernel))
    conn.close()


def machine_busy_s() -> float:
    """CPU seconds all processes of the machine have run so far (Linux /proc/stat; else 0).
    Minus the worker's own CPU time, it shows how much else ran during a step."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def summary(walls: list[float], cpus: list[float], others: list[float], tokens: int) -> dict:
    median = statistics.median(walls)
    return {
        "median_s": median,
        "min_s": min(walls),
        "max_s": max(walls),
        "median_cpu_s": statistics.median(cpus),
        "median_other_cpu_s": statistics.median(others),
        "tokens_per_s": tokens / median,
        "steps_s": walls,
        "other_cpu_s": others,
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def parse_lengths(text: str) -> tuple[int, int]:
    try:
        inputs, targets = (int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--lengths wants INPUTS,TARGETS, got {text!r}") from None
    return inputs, targets


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="t5-small", help="preset name (model/config.py)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lengths", type=parse_lengths, default=(512, 114), help="512,114")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps", type=int, default=2, help="timed steps per side per round")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per side first")
    parser.add_argument("--dropout", type=float, help="both sides' rate (default: the preset's)")
    parser.add_argument(
        "--interleave",
        choices=("step", "round"),
        default="step",
        help="alternate the sides every step, or every round of --steps steps",
    )
    parser.add_argument("--only", choices=("ours", "hf"), help="time one side alone")
    parser.add_argument(
        "--malloc-reuse",
        action="store_true",
        help="start both workers with glibc keeping freed memory mapped (MALLOC_REUSE): like "
        "for like, since ours sets the same through mallopt itself (model/host_memory.py)",
    )
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)

    from c4forge.model.config import preset

    threads = os.cpu_count() or 1
    config = preset(args.model)
    if args.dropout is not None:
        config = dataclasses.replace(config, dropout_rate=args.dropout)
    inputs, targets = args.lengths
    tokens = (inputs + targets) * args.batch

    # One process per side, stepped in turn by this one: in a single process, each
    # framework's allocator and thread pools slowed the other (ours 10.1 s vs 7.3 s alone).
    names = [args.only] if args.only else list(SIDES)
    if args.malloc_reuse:  # read by glibc when each (spawned) worker starts
        os.environ.update(MALLOC_REUSE)
    keeps_freed = {}
    context = multiprocessing.get_context("spawn")
    conns, procs = {}, {}
    for name in names:
        conns[name], child = context.Pipe()
        procs[name] = context.Process(target=worker, args=(name, config, args, child))
        procs[name].start()
        ready, keeps_freed[name] = conns[name].recv()
        if ready != "ready":
            raise RuntimeError(f"{name} worker failed to start")

    def step(name: str, index: int) -> tuple[float, float, float, float, dict]:
        conns[name].send(index)
        return conns[name].recv()

    first_loss = {}
    start = time.perf_counter()
    for name in names:
        for i in range(args.warmup):
            wall, _, _, loss, _ = step(name, i)
            first_loss.setdefault(name, loss)
            print(f"warm-up {name} step {i}: {wall:.2f} s, loss/token {loss:.3f}", flush=True)

    walls = {name: [] for name in names}
    cpus = {name: [] for name in names}
    others = {name: [] for name in names}
    kernel = {name: [] for name in names}
    order = list(names)
    for r in range(args.rounds):
        indices = [args.warmup + r * args.steps + s for s in range(args.steps)]
        if args.interleave == "step":  # ours, hf, ours, hf, ...
            turns = [(name, i) for i in indices for name in order]
        else:  # "round": all of this round's steps of one side, then the other's
            turns = [(name, i) for name in order for i in indices]
        for name, index in turns:
            wall, cpu, other, _, sys_use = step(name, index)
            kernel[name].append(sys_use)
            walls[name].append(wall)
            cpus[name].append(cpu)
            others[name].append(other)
        order.reverse()
        times = ", ".join(f"{n} {statistics.median(w):.2f} s" for n, w in walls.items())
        print(f"round {r + 1}/{args.rounds}: medians so far {times}", flush=True)
    for name in names:
        conns[name].send(None)
        procs[name].join()

    results = {name: summary(walls[name], cpus[name], others[name], tokens) for name in names}
    for name in names:
        results[name]["median_sys_s"] = statistics.median(k["sys_s"] for k in kernel[name])
        results[name]["median_page_faults"] = statistics.median(k["faults"] for k in kernel[name])
    report = {
        "machine": f"{cpu_model()}, {threads} CPUs, {platform.machine()}",
        "versions": _versions(),
        "model": args.model,
        "config": dataclasses.asdict(config),
        "batch": args.batch,
        "lengths": {"inputs": inputs, "targets": targets},
        "tokens_per_step": tokens,
        "torch_threads": threads,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "malloc_env": {k: os.environ[k] for k in sorted(os.environ) if k.startswith("MALLOC_")},
        "ours_keeps_freed_memory": keeps_freed.get("ours"),
        "warmup": args.warmup,
        "rounds": args.rounds,
        "steps": args.steps,
        "interleave": args.interleave,
        "first_loss_per_token": first_loss,
        "total_s": time.perf_counter() - start,
        "results": results,
    }
    if len(names) == 2:
        report["ratio_ours_over_hf"] = results["ours"]["median_s"] / results["hf"]["median_s"]

    print(f"{config.dropout_rate=}, batch {args.batch} x {inputs}/{targets}, {tokens} tokens/step")
    print(
        f"{'side':<6} {'median s':>9} {'min s':>7} {'CPU s':>7} {'sys s':>6} {'faults':>8} "
        f"{'others s':>8} {'tokens/s':>9}"
    )
    for name, r in results.items():
        print(
            f"{name:<6} {r['median_s']:>9.3f} {r['min_s']:>7.3f} {r['median_cpu_s']:>7.2f} "
            f"{r['median_sys_s']:>6.2f} {r['median_page_faults']:>8.0f} "
            f"{r['median_other_cpu_s']:>8.2f} {r['tokens_per_s']:>9.0f}"
        )
    if "ratio_ours_over_hf" in report:
        print(f"ours / HF (median step time): {report['ratio_ours_over_hf']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("jax", "jaxlib", "flax", "optax", "torch", "transformers")}


if __name__ == "__main__":
    sys.exit(main())
