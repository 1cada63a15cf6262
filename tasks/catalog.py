"""The c4forge catalog: one explicit, idempotent `register(...)` for every task and mixture.

Nothing is registered at import. `register()` adds, to seqio's registries:

- C4 tasks over *our* corpus output (`c4forge corpus build`), when `c4=` is given:
  `c4_<config>_v<version>_<objective>`, e.g. `c4_en_v310_span_corruption`, for span_corruption,
  iid_denoising, prefix_lm, deshuffling and full_lm (the unsupervised LM view). T5's chain:
  rekey text -> targets, tokenize, CacheDatasetPlaceholder, objective, append_eos_after_trim.
- Downstream tasks in T5's formats (GLUE, SuperGLUE, SQuAD, CNN/DailyMail, WMT) on TFDS.
- `sample_qa` (`tasks.sample_qa`), a small reading-comprehension task bundled with the project
  (needs only the vocabulary), unless `sample=False` (`--no-sample`).
- Mixtures (`tasks.mixtures`): GLUE and SuperGLUE proportional, a C4 + supervised mixture, and
  C4 span corruption + sample_qa examples-proportional (`sample_mixture_name`).

Calling it again with the same settings does nothing; with other settings it is an error (the
registries are process-global): `unregister_all()` first. Users add their own tasks with
`tasks.registry.add_task` (README).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
from collections.abc import Sequence

import seqio

from tasks import objectives as obj
from tasks import registry
from tasks.preprocessors import objective_preprocessor

DEFAULT_VOCAB = "vocab/spm.model"
C4_OBJECTIVES = ("span_corruption", "iid_denoising", "prefix_lm", "deshuffling", "full_lm")
# The chain is [rekey, tokenize, CacheDatasetPlaceholder, objective, append_eos_after_trim]:
# seqio seeds the steps after the placeholder with seed + 42 * (index of the placeholder).
C4_CACHE_STEP = 2


@dataclasses.dataclass(frozen=True)
class CatalogConfig:
    vocab: str | None = None
    extra_ids: int = 100
    c4: str | None = None
    c4_version: str = "3.1.0"
    c4_config: str = "en"
    tfds_data_dir: str | None = None
    downstream: bool = True
    sample: bool = True
    modules: tuple[str, ...] = ()


_STATE: dict[str, object] = {"config": None, "names": []}


def c4_task_name(config: str, version: str, objective: str) -> str:
    return f"c4_{config.replace('.', '_')}_v{version.replace('.', '')}_{objective}"


def load_vocab(path: str | None, extra_ids: int) -> seqio.SentencePieceVocabulary:
    """The vocabulary at `path` (a .model file or a dir with spm.model); loaded lazily if absent."""
    if path is None:
        return seqio.SentencePieceVocabulary(DEFAULT_VOCAB, extra_ids=extra_ids)
    from tasks.vocab import load_vocabulary

    return load_vocabulary(path, extra_ids=extra_ids)


def require_vocab_file(vocabulary: seqio.Vocabulary) -> None:
    """Commands that tokenize call this first: a missing model is one clear error."""
    path = getattr(vocabulary, "sentencepiece_model_file", None)
    if path is not None and not os.path.exists(path):
        raise registry.RegistrationError(
            f"vocabulary model {path} not found: train one with `c4forge vocab train` "
            "or pass --vocab PATH"
        )


def c4_files(c4_dir: str, split: str) -> list[str]:
    """The split's TFRecord shards, sorted (local paths or gs://, through tf.io.gfile)."""
    import tensorflow as tf

    try:
        return sorted(tf.io.gfile.glob(os.path.join(c4_dir, f"c4-{split}.tfrecord-*")))
    except tf.errors.NotFoundError:
        return []


def _c4_counts(c4_dir: str) -> dict[str, int] | None:
    import tensorflow as tf

    try:
        with tf.io.gfile.GFile(os.path.join(c4_dir, "stats.json")) as f:
            counters = json.load(f)["counters"]
    except (tf.errors.OpError, ValueError, KeyError):
        return None
    return {
        split: int(counters.get(split, {}).get("examples", 0)) for split in ("train", "validation")
    }


def register_c4(config: CatalogConfig, vocabulary: seqio.Vocabulary) -> list[str]:
    """The C4 objective tasks over one corpus output directory."""
    import tensorflow as tf

    c4_dir = config.c4
    if not c4_files(c4_dir, "train"):
        raise registry.RegistrationError(
            f"--c4 {c4_dir}: no c4-train.tfrecord-* files there (build them with "
            "`c4forge corpus build`; JSON output is not a task source)"
        )
    splits = {s: os.path.join(c4_dir, f"c4-{s}.tfrecord-*") for s in ("train", "validation")}
    splits = {s: p for s, p in splits.items() if c4_files(c4_dir, s)}
    source = seqio.TFExampleDataSource(
        split_to_filepattern=splits,
        feature_description={"text": tf.io.FixedLenFeature([], tf.string)},
        num_input_examples=_c4_counts(c4_dir),
    )
    names = []
    for objective_name in C4_OBJECTIVES:
        objective = obj.OBJECTIVES[objective_name]()
        if objective.sentinels_needed:
            registry.require_extra_ids(vocabulary, objective.sentinels_needed, objective_name)
        if objective.features == ("targets",):
            features = {"targets": seqio.Feature(vocabulary, add_eos=False)}
        else:
            features = registry.output_features(vocabulary)
        name = c4_task_name(config.c4_config, config.c4_version, objective_name)
        registry.add_task(
            name,
            source,
            [
                _rekey_text,
                seqio.preprocessors.tokenize,
                seqio.CacheDatasetPlaceholder(),
                objective_preprocessor(objective),
                seqio.preprocessors.append_eos_after_trim,
            ],
            output_features=features,
            fast=registry.FastSpec(
                files={s: c4_files(c4_dir, s) for s in splits},
                text_key="text",
                objective=objective,
                seed_offset=42 * C4_CACHE_STEP,
            ),
        )
        names.append(name)
    return names


def _rekey_text(dataset):
    """text -> targets (T5 also makes an empty `inputs`; the objectives write their own)."""
    return dataset.map(lambda ex: {"targets": ex["text"]})


def import_modules(modules: Sequence[str]) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise registry.RegistrationError(f"--module {module}: cannot import ({e})") from e


def register(**settings) -> list[str]:
    """Register the catalog (see the module docstring); returns the names registered."""
    config = CatalogConfig(**{k: tuple(v) if k == "modules" else v for k, v in settings.items()})
    if _STATE["config"] == config:
        return list(_STATE["names"])
    if _STATE["config"] is not None:
        raise registry.RegistrationError(
            f"the catalog is already registered with other settings ({_STATE['config']}); "
            "call tasks.catalog.unregister_all() first"
        )
    vocabulary = load_vocab(config.vocab, config.extra_ids)
    names: list[str] = []
    try:
        if config.c4:
            names += register_c4(config, vocabulary)
        if config.downstream:
            from tasks import generation, glue

            names += glue.register_glue(vocabulary, config.tfds_data_dir)
            names += glue.register_super_glue(vocabulary, config.tfds_data_dir)
            names += generation.register_generation(vocabulary, config.tfds_data_dir)
        if config.sample:
            from tasks import sample_qa

            names += sample_qa.register_sample_qa(vocabulary)
        from tasks import mixtures

        names += mixtures.register_mixtures(c4_task=_c4_main_task(config))
        import_modules(config.modules)
    except Exception:
        registry.unregister(*names)
        raise
    _STATE.update(config=config, names=names)
    return names


def _c4_main_task(config: CatalogConfig) -> str | None:
    if not config.c4:
        return None
    return c4_task_name(config.c4_config, config.c4_version, "span_corruption")


def sample_mixture_name(config: CatalogConfig) -> str | None:
    """The C4 + sample_qa mixture `register` adds for these settings (None without C4 or sample)."""
    main = _c4_main_task(config)
    if main is None or not config.sample:
        return None
    from tasks import mixtures

    return mixtures.sample_mixture_name(main)


def unregister_all() -> None:
    registry.unregister(*_STATE["names"])
    _STATE.update(config=None, names=[])


def spec(config: CatalogConfig) -> dict:
    """A JSON-able form of the settings, to `replay` in another process (e.g. Beam workers)."""
    return {
        k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()
    }


def replay(settings: dict) -> list[str]:
    return register(**settings)


def add_catalog_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("catalog")
    group.add_argument("--vocab", help=f"SentencePiece model or dir (default {DEFAULT_VOCAB})")
    group.add_argument("--extra-ids", type=int, default=100, help="sentinel ids (default 100)")
    group.add_argument("--c4", help="our C4 output directory (registers the c4_* tasks)")
    group.add_argument("--c4-version", default="3.1.0", help="its C4 version (default 3.1.0)")
    group.add_argument("--c4-config", default="en", help="its C4 config (default en)")
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


def register_from_args(args: argparse.Namespace) -> dict:
    """Register what the flags say; returns the settings (JSON-able) to `replay` elsewhere."""
    settings = {
        "vocab": args.vocab,
        "extra_ids": args.extra_ids,
        "c4": args.c4,
        "c4_version": args.c4_version,
        "c4_config": args.c4_config,
        "tfds_data_dir": args.tfds_data_dir,
        "sample": args.sample,
        "modules": list(args.module),
    }
    register(**settings)
    return settings
