"""The c4forge catalog: one explicit, idempotent `register(...)` for every task and mixture.

Nothing is registered at import. `register()` adds, to seqio's registries:

- C4 tasks over *our* corpus output (`c4forge corpus build`), when `c4=` is given:
  `c4_<config>_v<version>_<objective>`, e.g. `c4_en_v310_span_corruption`, for span_corruption,
  iid_denoising, prefix_lm, deshuffling and full_lm (the unsupervised LM view), each declared
  once as a `tasks.c4_tasks.C4TaskSpec` (T5's chain: rekey text -> targets, tokenize,
  CacheDatasetPlaceholder, objective, append_eos_after_trim).
- Downstream tasks in T5's formats (GLUE, SuperGLUE, SQuAD, CNN/DailyMail, WMT) on TFDS.
- `sample_qa` (`tasks.sample_qa`), a small reading-comprehension task bundled with the project
  (needs only the vocabulary), unless `sample=False` (`--no-sample`).
- Mixtures (`tasks.mixtures`): GLUE and SuperGLUE proportional, a C4 + supervised mixture, and
  C4 span corruption + sample_qa examples-proportional (`sample_mixture_name`).

Calling it again with the same settings does nothing; with other settings it is an error (the
registries are process-global): `unregister_all()` first. Users add their own tasks with
`tasks.registry.add_task` (README). The command-line flags that choose these settings are in
`tasks.catalog_flags` (light to import: `--help` loads no TensorFlow).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
from collections.abc import Sequence

import seqio

from c4forge.tasks import c4_tasks, registry
from c4forge.tasks import objectives as obj
from c4forge.tasks.catalog_flags import DEFAULT_VOCAB, catalog_settings

__all__ = [
    "C4_OBJECTIVES",
    "DEFAULT_VOCAB",
    "CatalogConfig",
    "c4_task_name",
    "register",
    "register_c4",
    "register_from_args",
    "replay",
    "unregister_all",
]

C4_OBJECTIVES = ("span_corruption", "iid_denoising", "prefix_lm", "deshuffling", "full_lm")


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
    from c4forge.tasks.vocab import load_vocabulary

    return load_vocabulary(path, extra_ids=extra_ids)


def require_vocab_file(vocabulary: seqio.Vocabulary) -> None:
    """Commands that tokenize call this first: a missing model is one clear error."""
    path = getattr(vocabulary, "sentencepiece_model_file", None)
    if path is not None and not os.path.exists(path):
        raise registry.RegistrationError(
            f"vocabulary model {path} not found: train one with `c4forge vocab train` "
            "or pass --vocab PATH"
        )


def c4_pattern(c4_dir: str, split: str) -> str:
    """The glob of a split's TFRecord shards in a `c4forge corpus build` output."""
    return os.path.join(c4_dir, f"c4-{split}.tfrecord-*")


def c4_files(c4_dir: str, split: str) -> list[str]:
    """The split's TFRecord shards, sorted (local paths or gs://, through tf.io.gfile)."""
    return c4_tasks.matching_files(c4_pattern(c4_dir, split))


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
    c4_dir = config.c4
    if not c4_files(c4_dir, "train"):
        raise registry.RegistrationError(
            f"--c4 {c4_dir}: no c4-train.tfrecord-* files there (build them with "
            "`c4forge corpus build`; JSON output is not a task source)"
        )
    patterns = {
        split: c4_pattern(c4_dir, split)
        for split in ("train", "validation")
        if c4_files(c4_dir, split)
    }
    counts = _c4_counts(c4_dir)
    names = []
    for objective_name in C4_OBJECTIVES:
        spec = c4_tasks.C4TaskSpec(
            name=c4_task_name(config.c4_config, config.c4_version, objective_name),
            split_patterns=patterns,
            objective=obj.OBJECTIVES[objective_name](),
            vocabulary=vocabulary,
            num_input_examples=counts,
        )
        c4_tasks.register_c4_task(spec)
        names.append(spec.name)
    return names


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
            from c4forge.tasks import generation, glue

            names += glue.register_glue(vocabulary, config.tfds_data_dir)
            names += glue.register_super_glue(vocabulary, config.tfds_data_dir)
            names += generation.register_generation(vocabulary, config.tfds_data_dir)
        if config.sample:
            from c4forge.tasks import sample_qa

            names += sample_qa.register_sample_qa(vocabulary)
        from c4forge.tasks import mixtures

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
    from c4forge.tasks import mixtures

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


def register_from_args(args: argparse.Namespace) -> dict:
    """Register what the flags say; returns the settings (JSON-able) to `replay` elsewhere."""
    settings = catalog_settings(args)
    register(**settings)
    return settings
