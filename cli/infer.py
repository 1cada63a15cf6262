"""`c4forge infer` and `c4forge eval`: use a trained (or released) T5.

c4forge infer --checkpoint runs/glue "sst2 sentence: a gorgeous, witty film"
echo "translate English to German: That is good." | c4forge infer --checkpoint hf/t5-small -
c4forge eval --checkpoint runs/glue --tasks glue_sst2_v002 [--examples 200]

--checkpoint is a `c4forge train` run (its latest checkpoint), one checkpoint step directory,
or a directory of T5 weights saved by HF transformers (with its spiece.model). Inputs are
tokenized with the run's vocabulary and end with EOS, as the tasks' examples do; decoding uses
the key/value cache (model/decoding.py): greedy, beam search or temperature sampling.
`eval` registers the run's catalog again (or what the catalog flags say) and reports the tasks'
own metrics through seqio's Evaluator (tasks/evaluation.py).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from c4forge.cli.common import UsageError, parse_lengths, parse_or_help, report_usage_errors

EOS_ID = 1


def _decoding_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="run dir, step dir or HF T5 dir")
    parser.add_argument(
        "--decode", choices=("greedy", "beam", "sample"), default="greedy", help="(greedy)"
    )
    parser.add_argument("--beam-size", type=int, default=4, help="(4)")
    parser.add_argument("--alpha", type=float, default=0.6, help="beam length penalty (0.6)")
    parser.add_argument("--temperature", type=float, default=1.0, help="sampling (1.0)")
    parser.add_argument("--top-k", type=int, help="sample from the k most likely (all)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (0)")
    parser.add_argument("--max-length", type=int, default=64, help="decoded tokens (64)")


def build_parser(command: str) -> argparse.ArgumentParser:
    if command == "infer":
        parser = argparse.ArgumentParser(
            prog="c4forge infer", description="Decode text with a T5 checkpoint."
        )
        parser.add_argument("texts", nargs="+", metavar="TEXT", help="inputs; - reads stdin")
        _decoding_args(parser)
        parser.add_argument(
            "--vocab", help="SentencePiece model (default: the run's, or the HF dir's spiece.model)"
        )
        parser.add_argument("--batch", type=int, default=8, help="rows per decode call (8)")
        return parser
    from c4forge.tasks.catalog_flags import add_catalog_args

    parser = argparse.ArgumentParser(
        prog="c4forge eval", description="A checkpoint's metrics on registered tasks."
    )
    parser.add_argument("--tasks", required=True, help="task or mixture name")
    _decoding_args(parser)
    parser.add_argument("--examples", type=int, help="first N examples per task (all)")
    parser.add_argument("--split", default="validation", help="(validation)")
    parser.add_argument("--batch", type=int, default=8, help="rows per decode call (8)")
    parser.add_argument("--lengths", help="INPUTS,TARGETS (default: the run's, else measured)")
    parser.add_argument("--output", help="also write the metrics here as JSON")
    add_catalog_args(parser)
    return parser


def _load(args):
    from c4forge.model.runs import load_model
    from c4forge.tasks.catalog import load_vocab

    try:
        loaded = load_model(args.checkpoint)
    except (FileNotFoundError, ValueError) as e:
        raise UsageError(str(e)) from None
    path = args.vocab or loaded.vocab
    if path is None:
        raise UsageError(f"no vocabulary goes with {args.checkpoint}: pass --vocab")
    try:
        vocabulary = load_vocab(path, loaded.extra_ids)
        size = vocabulary.vocab_size
    except (OSError, ValueError) as e:
        raise UsageError(f"vocabulary {path}: {e}") from None
    if size > loaded.config.vocab_size:
        raise UsageError(
            f"vocabulary {path} has {size} ids but the model only {loaded.config.vocab_size}"
        )
    return loaded, vocabulary


def _predict_fn(args, loaded):
    from c4forge.model.decoding import make_predict_fn

    return make_predict_fn(
        loaded.params,
        loaded.config,
        max_decode_length=args.max_length,
        method=args.decode,
        beam_size=args.beam_size,
        alpha=args.alpha,
        temperature=args.temperature,
        top_k=args.top_k,
        seed=args.seed,
    )


def infer(args, out=None) -> list[str]:
    """Decode each text; prints one output line per input and returns them."""
    import numpy as np

    out = out or sys.stdout
    texts = [
        t for text in args.texts for t in (sys.stdin.read().splitlines() if text == "-" else [text])
    ]
    loaded, vocabulary = _load(args)
    predict = _predict_fn(args, loaded)
    outputs = []
    for start in range(0, len(texts), args.batch):
        chunk = texts[start : start + args.batch]
        ids = [[*list(vocabulary.encode(t)), EOS_ID] for t in chunk]
        width = max(len(row) for row in ids)
        tokens = np.zeros((args.batch, width), np.int32)  # full batches: one compilation
        for i, row in enumerate(ids):
            tokens[i, : len(row)] = row
        rows = predict({"encoder_input_tokens": tokens})[: len(chunk)]
        for row in rows:
            text = vocabulary.decode([t for t in row if t != EOS_ID])
            outputs.append(text)
            print(text, file=out, flush=True)
    return outputs


def evaluate(args, out=None) -> dict:
    from c4forge.model.runs import read_config, run_dir_of
    from c4forge.tasks import catalog, evaluation

    out = out or sys.stdout
    loaded, _ = _load(args)
    flags = catalog.spec(catalog.CatalogConfig())  # the defaults
    given = {
        "vocab": args.vocab,
        "c4": args.c4,
        "tfds_data_dir": args.tfds_data_dir,
        "modules": list(args.module) or None,
        "language_alpha": args.language_alpha,
    }
    settings = dict(loaded.run["catalog"]) if loaded.run else dict(flags, vocab=loaded.vocab)
    settings.update({k: v for k, v in given.items() if v is not None})
    try:
        catalog.register(**settings)
    except ValueError as e:
        raise UsageError(str(e)) from None
    lengths = None
    if args.lengths:
        inputs, targets = parse_lengths(args.lengths)
        lengths = {"inputs": inputs, "targets": targets}
    elif loaded.run:
        train = read_config(run_dir_of(args.checkpoint))["train"]
        lengths = {"inputs": train["inputs_length"], "targets": train["targets_length"]}
    try:
        results = evaluation.evaluate(
            args.tasks,
            _predict_fn(args, loaded),
            feature_lengths=lengths,
            split=args.split,
            num_examples=args.examples,
            batch_size=args.batch,
        )
    except ValueError as e:
        raise UsageError(str(e)) from None
    for task, metrics in results.items():
        for name, value in metrics.items():
            shown = f"{value:.4f}" if isinstance(value, float) and math.isfinite(value) else value
            print(f"{task}  {name}  {shown}", file=out)
    if args.output:
        with open(args.output, "w") as f:
            json.dump(results, f, indent=2, default=str)
    return results


def main(command: list[str], argv: list[str]) -> int:
    name = command[0]
    parser = build_parser(name)
    args = parse_or_help(parser, argv)
    if args is None:
        return 0

    def run() -> int:
        infer(args) if name == "infer" else evaluate(args)
        return 0

    return report_usage_errors(f"c4forge {name}", run)
