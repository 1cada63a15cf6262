"""The `c4forge` command: one entry point for every job of the project.

c4forge corpus build --input 'data/*.warc.wet.gz' --output out/c4 --config en
c4forge vocab train --corpus out/c4 --size 32000 --output vocab/
c4forge tasks list | show NAME | cache --tasks NAME... --output DIR
c4forge model info t5.1.1-base
c4forge train --mixture NAME --model t5.1.1-small --steps N --batch B --lengths 512,114 --out DIR
c4forge infer --checkpoint DIR "translate English to German: ..."
c4forge eval --checkpoint DIR --tasks NAME
c4forge demo --output out/demo
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="c4forge",
        description=(
            "C4 corpus builds on Apache Beam (exact to TFDS), a SentencePiece vocabulary, "
            "the seqio task catalog, T5 training and decoding, and the main demo job."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    corpus = sub.add_parser("corpus", help="build C4 from Common Crawl WET files")
    corpus_sub = corpus.add_subparsers(dest="action", metavar="ACTION")
    corpus_sub.add_parser(
        "build", help="run the C4 pipeline (see `c4forge corpus build --help`)", add_help=False
    )
    sub.add_parser(
        "vocab",
        help="train a SentencePiece vocabulary on C4 (`c4forge vocab train --help`)",
        add_help=False,
    )
    sub.add_parser(
        "tasks", help="list, show and cache seqio tasks (`c4forge tasks --help`)", add_help=False
    )
    sub.add_parser("model", help="T5 architectures (`c4forge model info NAME`)", add_help=False)
    sub.add_parser("train", help="train T5 on a mixture (`c4forge train --help`)", add_help=False)
    sub.add_parser(
        "eval", help="a checkpoint's metrics on tasks (`c4forge eval --help`)", add_help=False
    )
    sub.add_parser(
        "infer", help="decode text with a checkpoint (`c4forge infer --help`)", add_help=False
    )
    sub.add_parser("demo", help="the main job on the bundled sample", add_help=False)

    if argv[:1] in (["train"], ["eval"], ["infer"], ["demo"]):
        # Before TensorFlow or JAX start their threads: glibc then keeps freed host memory for
        # reuse in every thread (model/host.py; set later, threads that already have their own
        # malloc arenas would keep faulting XLA:CPU's per-step temporaries in again).
        from model import host

        host.keep_freed_memory()
    if argv[:2] == ["corpus", "build"]:
        from pipelines import c4

        return c4.main(argv[2:])
    if argv[:1] == ["vocab"]:
        from pipelines import vocab

        return vocab.main(argv[1:])
    if argv[:2] == ["tasks", "cache"]:
        from pipelines import cache_tasks

        return cache_tasks.main(argv[2:])
    if argv[:1] == ["tasks"]:
        from pipelines import tasks_cli

        return tasks_cli.main(argv[1:])
    if argv[:1] == ["model"]:
        from pipelines import model_cli

        return model_cli.main(argv[1:])
    if argv[:1] == ["train"]:
        from pipelines import train_cli

        return train_cli.main(argv[1:])
    if argv[:1] in (["infer"], ["eval"]):
        from pipelines import infer_cli

        return infer_cli.main(argv[:1], argv[1:])
    if argv[:1] == ["demo"]:
        from pipelines import demo

        return demo.main(argv[1:])
    if argv[:1] == ["corpus"] and argv[1:2] in ([], ["-h"], ["--help"]):
        corpus.print_help()
        return 0
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0
    parser.print_usage(sys.stderr)
    print(f"c4forge: error: unknown command {' '.join(argv[:2])!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
