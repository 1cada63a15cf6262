"""`c4forge demo`: the main job on the bundled sample, end to end (BENCHMARKS.md has its times).

Stages, each through the same code path its own command runs:
1. corpus  - C4 `en` (3.1.0) from the bundled WET sample (`pipelines/sample_data/`, written by
             `tools/make_wet_sample.py`) on Beam's DirectRunner   (`c4forge corpus build`);
2. vocab   - a SentencePiece vocabulary trained on that C4   (`c4forge vocab train`);
3. tasks   - the catalog over our C4 and that vocabulary: C4 span corruption, the bundled
             supervised task `sample_qa` and their examples-proportional mixture;
4. train   - a small T5.1.1 on the mixture                    (`c4forge train`);
5. eval    - SQuAD-style exact match / F1 on `sample_qa`'s validation split with greedy
             decoding, and a few decoded examples          (`c4forge eval`, `c4forge infer`);
6. summary - the funnel, vocabulary, loss curve (PNG), metrics, where everything is, and the
             commands to try next; also written to OUTPUT/summary.json and summary.txt.

`--real DIR_OR_FILE` adds the 697 real CC-MAIN-2019-30 pages of the shared data (JSON lines
with metadata.warc_url / warc_date), wrapped as WET records. Flags the demo does not know go to
Beam for the corpus stage (e.g. --direct_num_workers=1).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shlex
import shutil
import sys
import time

from c4forge.cli.common import USAGE_EXIT, UsageError, beam_options, parse_lengths
from c4forge.corpus import wet_writer
from c4forge.pipelines import bundled_sample

DOLMA_NAME = "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"
# What the demo writes under --output; a rerun replaces exactly these.
OWN_ENTRIES = (
    "sample",
    "c4",
    "vocab",
    "run",
    "eval.json",
    "loss.png",
    "summary.json",
    "summary.txt",
)
SAMPLE_TASK = "sample_qa"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="c4forge demo",
        description="The main job on the bundled sample: C4 -> vocabulary -> tasks -> T5 "
        "training -> evaluation -> summary. Other flags go to Beam (corpus stage).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--output", default="out/demo", help="where the demo writes")
    p.add_argument("--punkt", help="NLTK data dir with punkt_tab (default: found or fetched)")
    p.add_argument("--badwords", help="LDNOOBW English list (default: fetched)")
    p.add_argument("--real", metavar="PATH", help=f"also build from real pages ({DOLMA_NAME})")
    p.add_argument("--vocab-size", type=int, default=2000, help="SentencePiece pieces")
    p.add_argument("--model", default="t5.1.1-mini", help="model preset")
    p.add_argument("--steps", type=int, default=1200, help="training steps")
    p.add_argument("--batch", type=int, default=32, help="training batch (rows)")
    p.add_argument("--lengths", default="128,32", help="INPUTS,TARGETS token lengths")
    p.add_argument(
        "--eval-examples", type=int, default=200, help=f"{SAMPLE_TASK} validation examples"
    )
    return p


def _check(args: argparse.Namespace, beam_args: list[str]) -> tuple[int, int]:
    """Bad flags or an output directory the demo must not touch: UsageError (one line)."""
    beam_options(beam_args)  # a flag neither the demo nor Beam knows
    for flag in ("vocab_size", "steps", "batch", "eval_examples"):
        if getattr(args, flag) < 1:
            raise UsageError(f"--{flag.replace('_', '-')} must be positive")
    inputs, targets = parse_lengths(args.lengths)
    if args.real and not os.path.exists(args.real):
        raise UsageError(f"--real {args.real}: no such file or directory")
    return inputs, targets


def prepare_output(directory: str) -> None:
    """Remove the demo's own outputs from an earlier run; refuse a directory holding other
    things, so that a mistyped --output never deletes a user's files."""
    if os.path.isdir(directory):
        foreign = sorted(set(os.listdir(directory)) - set(OWN_ENTRIES))
        if foreign:
            raise UsageError(
                f"--output {directory} holds files the demo did not write ({', '.join(foreign[:3])}"
                f"{', ...' if len(foreign) > 3 else ''}): pick an empty or new directory"
            )
        for name in OWN_ENTRIES:
            path = os.path.join(directory, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
    os.makedirs(directory, exist_ok=True)


def write_real_pages(jsonl_path: str, out_path: str) -> str:
    """The real pages (JSON lines with metadata.warc_url / warc_date) as one gzip WET file."""
    if os.path.isdir(jsonl_path):
        jsonl_path = os.path.join(jsonl_path, DOLMA_NAME)
    with gzip.open(jsonl_path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    info = wet_writer.warcinfo_record(
        os.path.basename(out_path),
        "2019-07-17T12:15:59Z",
        {"Software-Info": "c4forge demo", "isPartOf": "CC-MAIN-2019-30"},
    )
    pages = [
        wet_writer.conversion_record(
            r["metadata"]["warc_url"], r["metadata"]["warc_date"], r["text"]
        )
        for r in rows
    ]
    return wet_writer.write_wet_file(out_path, [info, *pages])


class Stages:
    """Numbered stage headers on stdout and wall time per stage."""

    def __init__(self, names: list[str]):
        self.names, self.seconds = names, {}

    @contextlib.contextmanager
    def run(self, name: str, what: str):
        number = self.names.index(name) + 1
        print(f"\n[demo {number}/{len(self.names)}] {name}: {what}", flush=True)
        started = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - started, 1)
        print(
            f"[demo {number}/{len(self.names)}] {name} done in {self.seconds[name]:.1f} s",
            flush=True,
        )


def _fail(stage: str, code: int) -> None:
    if code:
        raise StageError(f"the {stage} stage failed (exit {code}); see its message above", code)


class StageError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def stage_corpus(args, paths: dict, beam_args: list[str]) -> dict:
    from c4forge.cli import corpus_build

    inputs = bundled_sample.wet_files()
    if args.real:
        os.makedirs(paths["sample"], exist_ok=True)
        real = os.path.join(paths["sample"], "real.warc.wet.gz")
        inputs = [*inputs, write_real_pages(args.real, real)]
    build = ["--output", paths["c4"], "--config", "en", "--num-shards", "2,1", "--rejects"]
    for path in inputs:
        build += ["--input", path]
    for flag, value in (("--punkt", args.punkt), ("--badwords", args.badwords)):
        if value:
            build += [flag, value]
    size = sum(os.path.getsize(p) for p in inputs)
    print(f"{len(inputs)} WET files, {size / 1e6:.1f} MB gzip'd", flush=True)
    _fail("corpus", corpus_build.main(build + beam_args))
    with open(os.path.join(paths["c4"], "stats.json")) as f:
        stats = json.load(f)
    counters = stats["counters"]
    docs = {s: int(counters.get(s, {}).get("examples", 0)) for s in ("train", "validation")}
    return {"inputs": inputs, "documents": docs, "funnel": stats.get("funnel", [])}


def stage_vocab(args, paths: dict) -> dict:
    from c4forge.cli import vocab_train as vocab

    try:
        summary = vocab.run(
            ["--corpus", paths["c4"], "--size", str(args.vocab_size), "--output", paths["vocab"]]
        )
    except vocab.UsageError as e:  # e.g. a --vocab-size the sample cannot support
        raise UsageError(f"vocab stage: {e}") from None
    print(
        f"{summary['size']} pieces ({summary['seqio_vocab_size']} with the 100 sentinels) from "
        f"{summary['sample']['documents']:,} documents; {summary['model']}",
        flush=True,
    )
    return summary


def catalog_settings(paths: dict) -> dict:
    """Exactly what the train stage's `c4forge train --c4 C4 --vocab VOCAB` registers, so the
    tasks stage's registration is the one training finds (the catalog is process-global)."""
    from c4forge.cli import train as train_cli

    flags = train_cli.build_parser().parse_args(["--c4", paths["c4"], "--vocab", paths["spm"]])
    return train_cli.catalog_settings(flags)


def stage_tasks(paths: dict) -> dict:
    import seqio

    from c4forge.tasks import catalog

    settings = catalog_settings(paths)
    catalog.register(**settings)
    mixture_name = catalog.sample_mixture_name(
        catalog.CatalogConfig(**{**settings, "modules": tuple(settings["modules"])})
    )
    mixture = seqio.get_mixture_or_task(mixture_name)
    total = sum(mixture.get_rate(t) for t in mixture.tasks)
    rates = {t.name: mixture.get_rate(t) / total for t in mixture.tasks}
    for name, rate in rates.items():
        print(f"  {name:<32} {rate:6.1%} of training examples", flush=True)
    print(f"mixture {mixture_name}", flush=True)
    return {"mixture": mixture_name, "rates": rates}


def stage_train(args, paths: dict, mixture: str, vocab_size: int) -> None:
    from c4forge.cli import train as train_cli

    model_vocab = -(-vocab_size // 128) * 128  # rounded up to a multiple of 128, as T5's
    argv = [
        "--mixture", mixture, "--model", args.model, "--steps", str(args.steps),
        "--batch", str(args.batch), "--lengths", args.lengths, "--out", paths["run"],
        "--c4", paths["c4"], "--vocab", paths["spm"],
        "--set", f"vocab_size={model_vocab}", "--set", "log_every=20",
        "--set", f"checkpoint_every={args.steps}", "--set", "keep_checkpoints=1",
    ]  # fmt: skip
    print("c4forge train " + " ".join(argv), flush=True)
    _fail("train", train_cli.main(argv))


def stage_eval(args, paths: dict, examples: list[dict]) -> dict:
    from c4forge.cli import infer as infer_cli

    argv = ["--checkpoint", paths["run"], "--tasks", SAMPLE_TASK, "--examples",
            str(args.eval_examples), "--output", paths["eval"]]  # fmt: skip
    _fail("eval", infer_cli.main(["eval"], argv))
    with open(paths["eval"]) as f:
        metrics = json.load(f)
    inputs = [e["inputs"] for e in examples]
    with open(os.devnull, "w") as quiet:
        decoded = infer_cli.infer(
            infer_cli.build_parser("infer").parse_args(["--checkpoint", paths["run"], *inputs]),
            out=quiet,
        )
    shown = []
    for example, prediction in zip(examples, decoded, strict=True):
        shown.append({**example, "prediction": prediction})
        print(f"  {example['inputs']}\n    -> {prediction!r} (answer {example['targets']!r})")
    return {"metrics": metrics, "examples": shown}


def plot_loss(log_path: str, png_path: str) -> list[tuple[int, float]]:
    """Loss per target token against step from the run's log.jsonl, as a PNG."""
    points = []
    with open(log_path) as f:
        for line in f:
            row = json.loads(line)
            if not row.get("eval") and "loss_per_token" in row:
                points.append((int(row["step"]), float(row["loss_per_token"])))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot([p[0] for p in points], [p[1] for p in points], marker=".")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss per target token")
    ax.set_title("c4forge demo: T5 on C4 span corruption + sample_qa")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path)
    plt.close(fig)
    return points


def validation_examples(count: int) -> list[dict]:
    from c4forge.tasks import sample_qa

    return [
        {"inputs": r["inputs"], "targets": r["targets"]}
        for r in sample_qa.read_split("validation")[:count]
    ]


def summary_text(s: dict) -> str:
    docs = s["corpus"]["documents"]
    c4_dir = s["paths"]["c4"]
    loss = s["train"]["loss"]
    decoded = s["eval"]["decoded"]
    example = decoded[0]["inputs"].strip() if decoded else "question: ... context: ..."
    lines = [
        "c4forge demo: summary",
        f"  corpus      {docs['train']:,} train + {docs['validation']:,} validation documents "
        f"in {c4_dir}",
        "              pages: "
        + " -> ".join(
            f"{row['pages']:,} {row['stage']}"
            for row in s["corpus"]["funnel"]
            if not row["stage"].endswith(" examples")
        ),
        f"              funnel: {c4_dir}/funnel.txt, {c4_dir}/funnel.png; dropped pages with "
        f"reasons: {c4_dir}/rejects/",
        f"  vocabulary  {s['vocab']['size']:,} pieces (+100 sentinels): {s['paths']['spm']}",
        f"  mixture     {s['tasks']['mixture']}: "
        + ", ".join(f"{n} {r:.0%}" for n, r in s["tasks"]["rates"].items()),
        f"  training    {s['train']['model']}, {s['train']['steps']} steps: loss per token "
        f"{loss[0][1]:.2f} (step {loss[0][0]}) -> {loss[-1][1]:.2f} (step {loss[-1][0]}); "
        f"curve {s['paths']['loss_png']}",
        f"  eval        {SAMPLE_TASK} validation ({s['eval']['examples_scored']} examples): "
        + ", ".join(f"{k} {v:.1f}" for k, v in s["eval"]["metrics"].items()),
        f"  checkpoint  {s['paths']['run']}/checkpoints/",
        f"  tensorboard tensorboard --logdir {s['paths']['run']}/tensorboard",
        "  stage times "
        + ", ".join(f"{k} {v:.0f} s" for k, v in s["stage_seconds"].items())
        + f" (total {s['total_seconds']:.0f} s)",
        "next:",
        f"  c4forge infer --checkpoint {s['paths']['run']} {shlex.quote(example)}",
        f"  c4forge eval --checkpoint {s['paths']['run']} --tasks {SAMPLE_TASK}",
        f"  c4forge tasks list --c4 {c4_dir} --vocab {s['paths']['spm']}",
        f"  c4forge train --resume --out {s['paths']['run']} --steps {2 * s['train']['steps']}",
        "  c4forge corpus build --crawl CC-MAIN-2019-18 --max-files 2 --output out/c4-real",
    ]
    return "\n".join(lines)


def _flat_metrics(metrics: dict) -> dict[str, float]:
    task = metrics.get(SAMPLE_TASK, metrics)
    return {k: float(v) for k, v in task.items() if isinstance(v, int | float)}


def run(args, beam_args: list[str]) -> dict:
    _check(args, beam_args)
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.ERROR)  # seqio's advice lines; errors still show
    out = args.output
    prepare_output(out)
    paths = {
        "sample": os.path.join(out, "sample"),
        "c4": os.path.join(out, "c4"),
        "vocab": os.path.join(out, "vocab"),
        "spm": os.path.join(out, "vocab", "spm.model"),
        "run": os.path.join(out, "run"),
        "eval": os.path.join(out, "eval.json"),
        "loss_png": os.path.join(out, "loss.png"),
    }
    stages = Stages(["corpus", "vocab", "tasks", "train", "eval", "summary"])
    started = time.perf_counter()
    s: dict = {"paths": paths}
    with stages.run("corpus", "C4 en 3.1.0 from the bundled WET sample (DirectRunner)"):
        s["corpus"] = stage_corpus(args, paths, beam_args)
    with stages.run("vocab", f"SentencePiece, {args.vocab_size} pieces, on our C4"):
        s["vocab"] = stage_vocab(args, paths)
    with stages.run("tasks", "register C4 span corruption, sample_qa and their mixture"):
        s["tasks"] = stage_tasks(paths)
    with stages.run("train", f"{args.model}, {args.steps} steps of {args.batch} x {args.lengths}"):
        stage_train(args, paths, s["tasks"]["mixture"], s["vocab"]["seqio_vocab_size"])
    with stages.run("eval", f"{SAMPLE_TASK} validation, greedy decoding"):
        evaluated = stage_eval(args, paths, validation_examples(3))
    with stages.run("summary", "loss curve and summary"):
        loss = plot_loss(os.path.join(paths["run"], "log.jsonl"), paths["loss_png"])
        s["train"] = {"model": args.model, "steps": args.steps, "loss": loss}
        s["eval"] = {
            "metrics": _flat_metrics(evaluated["metrics"]),
            "examples_scored": args.eval_examples,
            "decoded": evaluated["examples"],
        }
    s["stage_seconds"] = stages.seconds
    s["total_seconds"] = round(time.perf_counter() - started, 1)
    text = summary_text(s)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(s, f, indent=2)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(text + "\n")
    print("\n" + text, flush=True)
    return s


def main(argv: list[str] | None = None) -> int:
    args, beam_args = build_parser().parse_known_args(argv)
    try:
        run(args, beam_args)
    except UsageError as e:
        print(f"c4forge demo: error: {e}", file=sys.stderr)
        return USAGE_EXIT
    except StageError as e:
        print(f"c4forge demo: error: {e}", file=sys.stderr)
        return e.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
