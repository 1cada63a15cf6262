"""The catalog's command-line flags, apart from the catalog so that a parser costs no imports.

`add_catalog_args` adds the flags that choose what `tasks.catalog.register` registers (every
command that reads tasks takes them); `catalog_settings` turns parsed flags into `register`'s
keyword arguments. Nothing here imports seqio or TensorFlow, so `c4forge ... --help` stays fast
and quiet.
"""

from __future__ import annotations

import argparse

DEFAULT_VOCAB = "vocab/spm.model"


def add_catalog_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("catalog")
    group.add_argument("--vocab", help=f"SentencePiece model or dir (default {DEFAULT_VOCAB})")
    group.add_argument("--extra-ids", type=int, default=100, help="sentinel ids (default 100)")
    group.add_argument("--c4", help="our C4 output directory (registers the c4_* tasks)")
    group.add_argument("--c4-version", default="3.1.0", help="its C4 version (default 3.1.0)")
    group.add_argument("--c4-config", default="en", help="its C4 config (default en)")
    group.add_argument(
        "--c4-also",
        action="append",
        default=[],
        metavar="CONFIG=DIR",
        help="another English C4 build, its tasks named by its config (realnewslike=DIR: "
        "c4_realnewslike_v310_*), beside --c4's (repeatable; the T5 paper's Table 8)",
    )
    group.add_argument(
        "--language-alpha",
        type=float,
        metavar="A",
        help="a multilingual --c4 build's mixture samples language i with rate n_i**A, "
        "n_i its train examples (default 0.3, as mT5)",
    )
    group.add_argument("--tfds-data-dir", help="TFDS data dir for the downstream tasks")
    group.add_argument(
        "--no-sample",
        dest="sample",
        action="store_false",
        help="leave out the bundled sample_qa task and its C4 mixture",
    )
    group.add_argument(
        "--module", action="append", default=[], help="import a module that registers tasks"
    )
    group.add_argument(
        "--contamination",
        metavar="FILE",
        help="a decontaminated build's contamination.json: also registers <task>_clean, each "
        "task's eval splits less the examples found in the corpus",
    )


def catalog_settings(args: argparse.Namespace) -> dict:
    """`tasks.catalog.register`'s keyword arguments from the flags above (JSON-able)."""
    return {
        "vocab": args.vocab,
        "extra_ids": args.extra_ids,
        "c4": args.c4,
        "c4_version": args.c4_version,
        "c4_config": args.c4_config,
        "c4_also": list(args.c4_also),
        "tfds_data_dir": args.tfds_data_dir,
        "sample": args.sample,
        "modules": list(args.module),
        "language_alpha": args.language_alpha,
        "contamination": args.contamination,
    }
