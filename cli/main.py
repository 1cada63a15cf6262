"""The `c4forge` command: one entry point for every job of the project.

c4forge corpus build --input 'data/*.warc.wet.gz' --output out/c4 --config en
c4forge corpus decontaminate --c4 out/c4 --tasks 'glue_.*' --output out/c4-clean
c4forge vocab train --corpus out/c4 --size 32000 --output vocab/
c4forge tasks list | show NAME | cache --tasks NAME... --output DIR
c4forge model info t5.1.1-base
c4forge train --mixture NAME --model t5.1.1-small --steps N --batch B --lengths 512,114 --out DIR
c4forge infer --checkpoint DIR "translate English to German: ..."
c4forge eval --checkpoint DIR --tasks NAME
c4forge demo --output out/demo
c4forge study objectives --c4 out/demo/c4 --tasks sample_qa

Each command's module is imported only when that command runs, so `c4forge X --help` loads
neither TensorFlow nor JAX, and the logging environment is set before any library that reads it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from c4forge.cli.common import USAGE_EXIT, quiet_startup

# (words on the command line) -> (module in c4forge.cli, one-line help). Longest match first.
COMMANDS: dict[tuple[str, ...], tuple[str, str]] = {
    ("corpus", "build"): ("corpus_build", "build C4 from Common Crawl WET files"),
    ("corpus", "plan"): ("corpus_plan", "what a build would cost: size, CPU-hours, workers"),
    ("corpus", "decontaminate"): ("corpus_decontaminate", "drop pages holding eval-set n-grams"),
    ("vocab", "train"): ("vocab_train", "train a SentencePiece vocabulary on C4"),
    ("tasks",): ("tasks", "list, show: list and show seqio tasks and mixtures"),
    ("tasks", "cache"): ("tasks_cache", "cache seqio tasks with a Beam job"),
    ("model",): ("model", "T5 architectures: presets, parameter counts"),
    ("train",): ("train", "train T5 on a task or mixture"),
    ("eval",): ("infer", "a checkpoint's metrics on tasks"),
    ("infer",): ("infer", "decode text with a checkpoint"),
    ("demo",): ("demo", "the main job on the bundled sample"),
    ("study",): ("study", "one of the T5 paper's comparisons as a grid of runs"),
}
# Commands that train or decode: glibc keeps freed memory before JAX/TF start their threads.
_MODEL_COMMANDS = {"train", "eval", "infer", "demo", "study"}


def _top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="c4forge",
        description=(
            "C4 corpus builds on Apache Beam (exact to TFDS), a SentencePiece vocabulary, "
            "the seqio task catalog, T5 training and decoding, and the main demo job."
        ),
        epilog="`c4forge COMMAND --help` shows a command's flags. --verbose (before the "
        "command) keeps TensorFlow's, absl's and XLA's start-up lines.",
    )
    parser.add_argument("--verbose", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for word in dict.fromkeys(words[0] for words in COMMANDS):
        texts = [
            (" ".join(words[1:]), text) for words, (_, text) in COMMANDS.items() if words[0] == word
        ]
        help_text = "; ".join(f"{action}: {text}" if action else text for action, text in texts)
        sub.add_parser(word, help=help_text, add_help=False)
    return parser


def _find(argv: list[str]) -> tuple[tuple[str, ...], str] | None:
    for words, (module, _) in sorted(COMMANDS.items(), key=lambda kv: -len(kv[0])):
        if tuple(argv[: len(words)]) == words:
            return words, module
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = bool(argv[:1] == ["--verbose"])
    if verbose:
        argv = argv[1:]
    quiet_startup(verbose)
    found = _find(argv)
    if found is None:
        parser = _top_parser()
        if not argv or argv[0] in ("-h", "--help"):
            parser.print_help()
            return 0
        group = [w for w in COMMANDS if w[0] == argv[0] and len(w) > 1]
        if group and argv[1:2] in ([], ["-h"], ["--help"]):
            print(f"usage: c4forge {argv[0]} {{{','.join(w[1] for w in group)}}} ...\n")
            width = max(len(" ".join(w)) for w in group)
            for words in group:
                print(f"  {' '.join(words):<{width}}  {COMMANDS[words][1]}")
            return 0
        parser.print_usage(sys.stderr)
        print(f"c4forge: error: unknown command {' '.join(argv[:2])!r}", file=sys.stderr)
        return USAGE_EXIT
    words, module_name = found
    if words[0] in _MODEL_COMMANDS:
        # Before TensorFlow or JAX start their threads: glibc then keeps freed host memory for
        # reuse in every thread (c4forge.model.host_memory; set later, threads that already
        # have their own malloc arenas keep faulting XLA:CPU's per-step temporaries in again).
        from c4forge.model import host_memory

        host_memory.keep_freed_memory()
    module = importlib.import_module(f"c4forge.cli.{module_name}")
    if words in (("eval",), ("infer",)):
        return module.main(list(words), argv[len(words) :])
    return module.main(argv[len(words) :])


if __name__ == "__main__":
    sys.exit(main())
