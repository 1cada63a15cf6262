"""The c4forge catalog: one explicit, idempotent `register(...)` for every task and mixture.

Nothing is registered at import. `register()` adds, to seqio's registries:

- C4 tasks over *our* corpus output (`c4forge corpus build`), when `c4=` is given:
  `c4_<config>_v<version>_<objective>`, e.g. `c4_en_v310_span_corruption`, for span_corruption,
  iid_denoising, prefix_lm, deshuffling and full_lm (the unsupervised LM view), and the T5
  study's objectives (`STUDY_OBJECTIVES`: bert_style, span_corruption_r50, ..., ul2), each
  declared once as a `tasks.c4_tasks.C4TaskSpec` (T5's chain: rekey text -> targets, tokenize,
  CacheDatasetPlaceholder, objective, append_eos_after_trim).
  Over a `multilingual` build (mC4; `tasks.c4_builds` tells the two apart from stats.json and
  the file names): the same objectives per language, `mc4_<language>_v<version>_<objective>`
  (`mc4_zh_latn_v310_prefix_lm`; train and validation read the build's `zh-Latn` and
  `zh-Latn-validation`), and `mc4_v<version>_span_corruption`, a mixture of the languages' span
  corruption at mT5's rates n_i ** 0.3 (`--language-alpha`; Xue et al. 2021, §2). Their
  version is stats.json's "c4_version" (--c4-version without one); --c4-config is not used.
  More English builds beside it, `c4_also=["realnewslike=DIR", ...]` (`--c4-also`): the same
  tasks over each, named by its config (`c4_realnewslike_v310_prefix_lm`), as Table 8 needs.
- Downstream tasks in T5's formats (GLUE, SuperGLUE, SQuAD, CNN/DailyMail, WMT) on TFDS.
- `sample_qa` (`tasks.sample_qa`), a small reading-comprehension task bundled with the project
  (needs only the vocabulary), unless `sample=False` (`--no-sample`).
- Mixtures (`tasks.mixtures`): GLUE and SuperGLUE proportional and, over English C4, a C4 +
  supervised mixture and C4 span corruption + sample_qa examples-proportional
  (`sample_mixture_name`).

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
import logging
import os
from collections.abc import Sequence

import seqio

from c4forge.corpus.layout import SPLIT_FILES, language_split
from c4forge.tasks import c4_builds, c4_tasks, registry
from c4forge.tasks import objectives as obj
from c4forge.tasks.catalog_flags import DEFAULT_VOCAB, catalog_settings

__all__ = [
    "C4_OBJECTIVES",
    "DEFAULT_VOCAB",
    "STUDY_OBJECTIVES",
    "CatalogConfig",
    "c4_task_name",
    "mc4_mixture_name",
    "mc4_task_name",
    "register",
    "register_c4",
    "register_from_args",
    "replay",
    "unregister_all",
]

C4_OBJECTIVES = ("span_corruption", "iid_denoising", "prefix_lm", "deshuffling", "full_lm")
# The T5 study's objectives (Raffel et al. §3.3, Tables 4-7; docs/STUDY.md §3) and UL2's mixture
# (`tasks.ul2`), as `objectives.parse` names them; registered over English C4 only (per mC4
# language they would add thousands of tasks).
STUDY_OBJECTIVES = (
    "bert_style",
    "mass_style",
    "iid_drop_tokens",
    "iid_denoising_r10",
    "iid_denoising_r25",
    "iid_denoising_r50",
    "span_corruption_r10",
    "span_corruption_r25",
    "span_corruption_r50",
    "span_corruption_s2",
    "span_corruption_s5",
    "span_corruption_s10",
    "ul2",
)


@dataclasses.dataclass(frozen=True)
class CatalogConfig:
    vocab: str | None = None
    extra_ids: int = 100
    c4: str | None = None
    c4_version: str = "3.1.0"
    c4_config: str = "en"
    # More English C4 builds, "CONFIG=DIR": their tasks are named by CONFIG (Table 8's data sets
    # side by side; `c4forge study datasets`).
    c4_also: tuple[str, ...] = ()
    tfds_data_dir: str | None = None
    downstream: bool = True
    sample: bool = True
    modules: tuple[str, ...] = ()
    # mT5's exponent for a multilingual build's mixture (None: 0.3); an error for English C4.
    language_alpha: float | None = None
    # A decontaminated build's contamination.json: registers <task>_clean for its tasks.
    contamination: str | None = None


_STATE: dict[str, object] = {"config": None, "names": []}


def c4_task_name(config: str, version: str, objective: str) -> str:
    return f"c4_{config.replace('.', '_')}_v{version.replace('.', '')}_{objective}"


def mc4_task_name(language: str, version: str, objective: str) -> str:
    """`mc4_zh_latn_v310_span_corruption`: the language code lower-cased, `-` -> `_`."""
    language = c4_builds.task_language(language)
    return f"mc4_{language}_v{version.replace('.', '')}_{objective}"


def mc4_mixture_name(version: str) -> str:
    """`mc4_v310_span_corruption`: every language's span corruption at mT5's rates."""
    return f"mc4_v{version.replace('.', '')}_span_corruption"


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
    return os.path.join(c4_dir, SPLIT_FILES["tfrecord"].format(split=split))


def c4_files(c4_dir: str, split: str) -> list[str]:
    """The split's TFRecord shards, sorted (local paths or gs://, through tf.io.gfile)."""
    return c4_tasks.matching_files(c4_pattern(c4_dir, split))


def _read_stats(c4_dir: str) -> dict | None:
    """The build's stats.json (None if it has none or it is unreadable)."""
    import tensorflow as tf

    try:
        with tf.io.gfile.GFile(os.path.join(c4_dir, "stats.json")) as f:
            return json.load(f)
    except (tf.errors.OpError, ValueError):
        return None


def read_c4_build(c4_dir: str) -> tuple[c4_builds.C4Build, dict[str, list[str]]]:
    """(what the build is, split -> its TFRecord shards) from stats.json and one listing."""
    listed = c4_tasks.matching_files(c4_pattern(c4_dir, "*"))
    files = c4_builds.splits_in(listed)
    return c4_builds.read_build(_read_stats(c4_dir), files), files


def register_c4(config: CatalogConfig, vocabulary: seqio.Vocabulary) -> list[str]:
    """The C4 objective tasks over one corpus output directory (English C4 or mC4)."""
    c4_dir = config.c4
    build, files = read_c4_build(c4_dir)
    if build.multilingual:
        return register_mc4(config, vocabulary, build, files)
    if config.language_alpha is not None:
        raise registry.RegistrationError(
            f"--language-alpha: {c4_dir} is an English C4 build; the exponent weighs the "
            "languages of a multilingual one"
        )
    if not files.get("train"):
        raise registry.RegistrationError(
            f"--c4 {c4_dir}: no c4-train.tfrecord-* files there (build them with "
            "`c4forge corpus build`; JSON output is not a task source)"
        )
    patterns = {
        split: c4_pattern(c4_dir, split) for split in ("train", "validation") if files.get(split)
    }
    counts = None
    if build.counts is not None:
        counts = {split: build.examples(split) for split in ("train", "validation")}
    names = []
    for objective_name in C4_OBJECTIVES + STUDY_OBJECTIVES:
        spec = c4_tasks.C4TaskSpec(
            name=c4_task_name(config.c4_config, config.c4_version, objective_name),
            split_patterns=patterns,
            objective=obj.parse(objective_name),
            vocabulary=vocabulary,
            num_input_examples=counts,
            split_files={split: files[split] for split in patterns},
        )
        c4_tasks.register_c4_task(spec)
        names.append(spec.name)
    return names


def register_mc4(
    config: CatalogConfig,
    vocabulary: seqio.Vocabulary,
    build: c4_builds.C4Build,
    files: dict[str, list[str]],
) -> list[str]:
    """mC4's tasks, per language with TFRecord shards (`mc4_task_name`; the task's train and
    validation splits read the build's `L` and `L-validation`), and mT5's mixture of their span
    corruption (`mc4_mixture_name`): rates n_i ** alpha, n_i the train examples of language i
    in stats.json, languages without examples left out. Without stats.json's counters there are
    no sizes, so no mixture (a warning says so)."""
    c4_dir = config.c4
    alpha = c4_builds.DEFAULT_LANGUAGE_ALPHA
    if config.language_alpha is not None:
        alpha = config.language_alpha
    try:
        c4_builds.check_alpha(alpha)
    except ValueError as e:
        raise registry.RegistrationError(f"--language-alpha: {e}") from None
    version = build.version or config.c4_version
    names: list[str] = []
    sizes: dict[str, int | None] = {}
    for language in build.languages:
        splits = {s: language_split(language, s) for s in ("train", "validation")}
        if not files.get(splits["train"]):
            continue  # listed in stats.json but not here (JSON output, or a partial copy)
        present = {s: name for s, name in splits.items() if files.get(name)}
        counts = None
        if build.counts is not None:
            counts = {s: build.examples(name) for s, name in present.items()}
        for objective_name in C4_OBJECTIVES:
            spec = c4_tasks.C4TaskSpec(
                name=mc4_task_name(language, version, objective_name),
                split_patterns={s: c4_pattern(c4_dir, name) for s, name in present.items()},
                objective=obj.OBJECTIVES[objective_name](),
                vocabulary=vocabulary,
                num_input_examples=counts,
                split_files={s: files[name] for s, name in present.items()},
            )
            c4_tasks.register_c4_task(spec)
            names.append(spec.name)
        sizes[mc4_task_name(language, version, "span_corruption")] = build.examples(language)
    if not names:
        raise registry.RegistrationError(
            f"--c4 {c4_dir}: a multilingual build without c4-<language>.tfrecord-* files "
            "(build it with --format tfrecord; JSON output is not a task source)"
        )
    if build.counts is None:
        logging.warning(
            "--c4 %s: no example counts in stats.json, so no %s mixture (mT5's rates need them)",
            c4_dir,
            mc4_mixture_name(version),
        )
        return names
    rates = c4_builds.language_rates(sizes, alpha)
    if rates:
        registry.add_mixture(mc4_mixture_name(version), list(rates.items()))
        names.append(mc4_mixture_name(version))
    return names


def import_modules(modules: Sequence[str]) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise registry.RegistrationError(f"--module {module}: cannot import ({e})") from e


def register(**settings) -> list[str]:
    """Register the catalog (see the module docstring); returns the names registered."""
    tuples = ("modules", "c4_also")
    config = CatalogConfig(**{k: tuple(v) if k in tuples else v for k, v in settings.items()})
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
        for c4_config, c4_dir in also_builds(config):
            also = dataclasses.replace(
                config, c4=c4_dir, c4_config=c4_config, c4_also=(), language_alpha=None
            )
            names += register_c4(also, vocabulary)
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
        if config.contamination:
            from c4forge.tasks import clean_variants

            names += clean_variants.register_clean_tasks(config.contamination)
    except Exception:
        registry.unregister(*names)
        raise
    _STATE.update(config=config, names=names)
    return names


def also_builds(config: CatalogConfig) -> list[tuple[str, str]]:
    """`c4_also`'s (config, directory) pairs; RegistrationError (one line) for a malformed item,
    an unknown or repeated config (the main build's included), or a build that is not English."""
    from c4forge.corpus.variants import VARIANTS

    pairs: list[tuple[str, str]] = []
    english_main = config.c4 and not read_c4_build(config.c4)[0].multilingual
    taken = {config.c4_config} if english_main else set()
    for item in config.c4_also:
        c4_config, sep, c4_dir = item.partition("=")
        if not sep or not c4_config or not c4_dir:
            raise registry.RegistrationError(f"--c4-also {item!r}: give CONFIG=DIR")
        if c4_config not in VARIANTS or VARIANTS[c4_config].multilingual:
            english = [name for name, v in VARIANTS.items() if not v.multilingual]
            raise registry.RegistrationError(
                f"--c4-also {item}: {c4_config!r} is no English C4 config ({', '.join(english)})"
            )
        if c4_config in taken:
            raise registry.RegistrationError(
                f"--c4-also {item}: C4 {c4_config} is registered already (--c4 or an earlier "
                "--c4-also)"
            )
        taken.add(c4_config)
        build, files = read_c4_build(c4_dir)
        if build.multilingual:
            raise registry.RegistrationError(f"--c4-also {item}: {c4_dir} is a multilingual build")
        if not files.get("train"):
            raise registry.RegistrationError(
                f"--c4-also {item}: no c4-train.tfrecord-* files in {c4_dir}"
            )
        if build.config is not None and build.config != c4_config:
            raise registry.RegistrationError(
                f"--c4-also {item}: {c4_dir} is a C4 {build.config} build (its stats.json)"
            )
        pairs.append((c4_config, c4_dir))
    return pairs


def _c4_main_task(config: CatalogConfig) -> str | None:
    """English C4's span corruption, which T5's en_mix and the sample_qa mixture are built on
    (None without C4, and for mC4: those mixtures are English)."""
    if not config.c4 or read_c4_build(config.c4)[0].multilingual:
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
