"""`c4forge vocab train`: a SentencePiece vocabulary trained on a deterministic sample of our C4.

    c4forge vocab train --corpus out/c4 --size 32000 --output vocab/ [--sample-docs N]
    c4forge vocab train --corpus out/mc4 --size 250000 --output vocab/ [--language-alpha 0.3]

Over a multilingual build (mC4), the sample takes from each language a share ∝ n_i ** alpha
(n_i its documents; mT5's alpha = 0.3), as `pipelines.vocab_sample` explains.

This module is the command: its flags, their checks (each a one-line `UsageError` before any
work), and the summary line. The job itself, the sample drawn in Beam and the SentencePiece
training, is `pipelines.vocab_sample`, which takes the resolved `VocabSettings`. Flags this
command does not know go to Beam (DirectRunner on all cores by default; Dataflow as for
`c4forge corpus build`); a flag neither knows is an error before anything runs.
"""

from __future__ import annotations

import argparse
import os
import sys

from c4forge.cli.common import UsageError, beam_options, report_usage_errors
from c4forge.corpus.layout import SPLIT_FILES
from c4forge.tasks import vocab as spm_vocab

PROG = "c4forge vocab train"
# ~220 MB of C4 en text (~2,200 characters a document): SentencePiece's trainer holds the whole
# sample in memory, with a suffix array over it, on the launcher.
DEFAULT_SAMPLE_DOCS = 100_000


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Train a SentencePiece vocabulary (seqio's ids: pad 0, eos 1, unk 2, no "
        "bos) on a deterministic sample of a C4 build. Other flags (--runner, --project, "
        "--region, --temp_location, ...) go to Beam.",
    )
    p.add_argument("--corpus", required=True, help="a `c4forge corpus build` output directory")
    p.add_argument(
        "--split", default="train", choices=("train", "validation"), help="(%(default)s)"
    )
    p.add_argument(
        "--format",
        choices=sorted(SPLIT_FILES),
        help="the corpus format (default: whichever the corpus holds)",
    )
    p.add_argument(
        "--size",
        type=int,
        required=True,
        help="pieces, pad/eos/unk included (seqio adds 100 extra ids when loading)",
    )
    p.add_argument("--output", required=True, help="output directory (local, gs://, s3://)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument(
        "--sample-docs",
        type=int,
        metavar="N",
        help=f"sample N documents (default: {DEFAULT_SAMPLE_DOCS:,})",
    )
    budget.add_argument(
        "--sample-chars",
        type=int,
        metavar="N",
        help="sample whole documents, at most N characters in all",
    )
    p.add_argument("--seed", type=int, default=0, help="which sample (%(default)s)")
    p.add_argument(
        "--language-alpha",
        type=float,
        metavar="A",
        help="multilingual builds only: language i's share of the sample is proportional to "
        "n_i**A, n_i its documents (default 0.3, as mT5)",
    )
    p.add_argument(
        "--model-type", default="unigram", choices=spm_vocab.MODEL_TYPES, help="(%(default)s)"
    )
    p.add_argument(
        "--character-coverage",
        type=float,
        default=0.9995,
        metavar="FRACTION",
        help="share of the sample's characters that get a piece; rarer ones are unk (%(default)s)",
    )
    p.add_argument(
        "--num-threads",
        type=int,
        default=spm_vocab.DEFAULT_NUM_THREADS,
        metavar="N",
        help="trainer threads; part of the model's identity (%(default)s)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing vocabulary")
    return p


def _local_or_remote(path: str) -> str:
    """`path` without a trailing slash; local paths made absolute (workers may run elsewhere)."""
    path = path.rstrip("/") or "/"
    return path if "://" in path else os.path.abspath(os.path.expanduser(path))


def resolve(argv: list[str]):
    """(VocabSettings, Beam options) from `train`'s flags, inputs checked. Raises UsageError."""
    args, rest = build_parser().parse_known_args(argv)
    from c4forge.pipelines import vocab_sample
    from c4forge.pipelines.launch import is_dataflow

    options = beam_options(rest)
    corpus, output = _local_or_remote(args.corpus), _local_or_remote(args.output)
    if args.sample_docs is not None and args.sample_docs < 1:
        raise UsageError("--sample-docs must be at least 1")
    if args.sample_chars is not None and args.sample_chars < 1:
        raise UsageError("--sample-chars must be at least 1")
    try:
        trainer = spm_vocab.trainer_options(
            args.size,
            model_type=args.model_type,
            character_coverage=args.character_coverage,
            num_threads=args.num_threads,
        )
    except spm_vocab.VocabularyError as e:
        raise UsageError(str(e)) from None
    if is_dataflow(options):
        local = [p for p in (corpus, output) if "://" not in p]
        if local:
            raise UsageError(
                f"{local[0]!r} is a local path, which Dataflow workers cannot reach: "
                "use a gs:// --corpus and --output"
            )
    languages, alpha = (), None
    try:
        build = vocab_sample.read_corpus_build(corpus)
        if build.multilingual:
            alpha = _language_alpha(args.language_alpha)
            fmt, languages = vocab_sample.language_patterns(
                corpus, build.languages, args.split, args.format
            )
            pattern = vocab_sample.languages_description(corpus, args.split, fmt)
        elif args.language_alpha is not None:
            raise UsageError(
                f"--language-alpha: {corpus} is an English C4 build; the exponent weighs the "
                "languages of a multilingual one"
            )
        else:
            fmt, pattern = vocab_sample.corpus_pattern(corpus, args.split, args.format)
        existing = vocab_sample.existing_outputs(output)
    except vocab_sample.VocabSampleError as e:
        raise UsageError(str(e)) from None
    if existing and not args.overwrite:
        raise UsageError(
            f"{output} already holds {', '.join(existing)}: pass --overwrite to replace them"
        )
    if args.sample_chars is not None:
        budget = vocab_sample.Budget("characters", args.sample_chars)
    else:
        budget = vocab_sample.Budget("documents", args.sample_docs or DEFAULT_SAMPLE_DOCS)
    settings = vocab_sample.VocabSettings(
        corpus=corpus,
        split=args.split,
        format=fmt,
        pattern=pattern,
        output=output,
        budget=budget,
        seed=args.seed,
        trainer=trainer,
        overwrite=args.overwrite,
        languages=languages,
        language_alpha=alpha,
    )
    return settings, options


def _language_alpha(given: float | None) -> float:
    from c4forge.tasks import c4_builds

    alpha = c4_builds.DEFAULT_LANGUAGE_ALPHA if given is None else given
    try:
        c4_builds.check_alpha(alpha)
    except ValueError as e:
        raise UsageError(f"--language-alpha: {e}") from None
    return alpha


def run(argv: list[str] | None = None) -> dict:
    """`train` flags -> the vocabulary in --output; returns vocab.json's content. Raises
    UsageError for bad flags or input (an empty sample, a size the sample cannot support)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    settings, options = resolve(argv)
    from c4forge.pipelines import vocab_sample

    try:
        return vocab_sample.run(settings, options, argv)
    except (vocab_sample.VocabSampleError, spm_vocab.VocabularyError) as e:
        raise UsageError(str(e)) from None


def summary_line(summary: dict) -> str:
    if summary.get("dry_run"):
        return f"{PROG}: dry run: job not submitted"
    sample = summary["sample"]
    return (
        f"{PROG}: {summary['size']} pieces ({summary['seqio_vocab_size']} with "
        f"100 extra ids) from {sample['documents']:,} documents ({sample['characters']:,} "
        f"characters) of {summary['corpus']} {summary['split']}{_languages(sample)}; wrote "
        f"{summary['model']} (sha256 {summary['model_sha256'][:12]}) to {summary['output']}"
    )


def _languages(sample: dict) -> str:
    """` (3 languages, alpha 0.3)` for a multilingual sample, else nothing."""
    if "languages" not in sample:
        return ""
    return f" ({len(sample['languages'])} languages, alpha {sample['language_alpha']:g})"


def _train(argv: list[str]) -> int:
    print(summary_line(run(argv)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """`c4forge vocab train ...` (argv after "vocab train")."""
    argv = list(sys.argv[1:] if argv is None else argv)
    from c4forge.pipelines.launch import quiet_beam_logging

    quiet_beam_logging()
    return report_usage_errors(PROG, lambda: _train(argv))


if __name__ == "__main__":
    sys.exit(main())
