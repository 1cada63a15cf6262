"""The GLUE and SuperGLUE task catalog in T5's text-to-text formats: names, benchmarks, weights.

Reference: T5 0.9.4 `t5/data/glue_utils.py` (which preprocessor, postprocessor and metrics each
benchmark gets; the mixture weights) and `t5/data/tasks.py` (task names, TFDS splits, the
WSC/DPR/WNLI "simple" tasks); docs/TASKS.md §2.4–2.5. The formats themselves are in
`tasks.glue_formats` (GLUE, SuperGLUE) and `tasks.coreference` (WSC, DPR, WNLI as span
prediction). Tasks (T5's chain: format, tokenize, CacheDatasetPlaceholder,
append_eos_after_trim):

- GLUE `glue_<cfg>_v002` for every config; MNLI's matched/mismatched configs and the AX
  diagnostic are written as `mnli`; `glue_wnli_v002_simple_eval` (WNLI as WSC, evaluation only).
- SuperGLUE `super_glue_<cfg>_v102` (WiC uses sentence1, sentence2, word, not the offsets; AX-b
  and AX-g are written as `rte`), `dpr_v001_simple`, `super_glue_wsc_v102_simple_{train,eval}`;
  each has a `_1_sentinel` twin (`seqio.experimental.add_task_with_sentinels`).

TFDS versions are the ones tensorflow-datasets 4.9.10 builds by default: SuperGLUE 1.0.2 and
DPR 1.1.0 as T5; GLUE 2.0.0 where T5 read 1.0.0 — the text is the same except glue/qqp, whose
download source 2.0.0 changed (1.0.0 remains a supported version of the builder).

Nothing is registered at import: `register_glue` / `register_super_glue` do it, and return the
names they added (on any error they remove what they added, then raise).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable

import seqio

from c4forge.tasks import metrics, registry
from c4forge.tasks.coreference import (
    format_dpr_simple,
    format_wnli_simple,
    format_wsc_simple,
    wsc_simple,
)
from c4forge.tasks.glue_formats import (
    AXB_LABELS,
    format_axb,
    format_glue,
    format_record,
    format_stsb,
    multirc,
    record,
    string_label_to_class_id,
    string_to_float,
)

GLUE_TFDS_VERSION = "2.0.0"
SUPER_GLUE_TFDS_VERSION = "1.0.2"
DPR_TFDS_VERSION = "1.1.0"

# T5's mixture weights: training-set sizes. WNLI is left out (T5 trains on WSC/DPR instead);
# rate-0 tasks are only there for evaluation.
GLUE_WEIGHTS: dict[str, float] = {
    "glue_cola_v002": 8_551.0,
    "glue_sst2_v002": 67_349.0,
    "glue_mrpc_v002": 3_668.0,
    "glue_qqp_v002": 363_849.0,
    "glue_stsb_v002": 5_749.0,
    "glue_mnli_v002": 392_702.0,
    "glue_qnli_v002": 104_743.0,
    "glue_rte_v002": 2_490.0,
    "glue_mnli_mismatched_v002": 0.0,
    "glue_mnli_matched_v002": 0.0,
    "glue_ax_v002": 0.0,
}
SUPER_GLUE_WEIGHTS: dict[str, float] = {
    "dpr_v001_simple": 1_322.0,
    "super_glue_wsc_v102_simple_train": 259.0,
    "super_glue_wsc_v102_simple_eval": 0.0,
    "super_glue_boolq_v102": 9_427.0,
    "super_glue_cb_v102": 250.0,
    "super_glue_copa_v102": 400.0,
    "super_glue_multirc_v102": 27_243.0,
    "super_glue_record_v102": 138_854.0,
    "super_glue_rte_v102": 2_490.0,
    "super_glue_wic_v102": 5_428.0,
    "super_glue_axb_v102": 0.0,
    "super_glue_axg_v102": 0.0,
}


def sentinel_task_name(name: str, num_sentinels: int = 1) -> str:
    """The name `seqio.experimental.add_task_with_sentinels` gives a task's sentinel twin.

    `_<n>_sentinel` goes before the first of `_train`, `_dev`, `_test`, `_eval`, `.` found (tried
    in that order), else at the end: `super_glue_wsc_v102_simple_train` ->
    `super_glue_wsc_v102_simple_1_sentinel_train`.
    """
    suffix = f"_{num_sentinels}_sentinel"
    for marker in ("_train", "_dev", "_test", "_eval", "."):
        at = name.find(marker)
        if at >= 0:
            return name[:at] + suffix + name[at:]
    return name + suffix


SUPER_GLUE_SENTINEL_WEIGHTS: dict[str, float] = {
    sentinel_task_name(name): weight for name, weight in SUPER_GLUE_WEIGHTS.items()
}


# --- the benchmarks ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Benchmark:
    config: str  # TFDS builder config
    label_classes: tuple[str, ...] | None  # None: STS-B's float score
    splits: tuple[str, ...]
    metric_fns: tuple[Callable, ...]
    prefix: str | None = None  # the name written in the inputs (default: config)
    feature_names: tuple[str, ...] | None = None  # default: sorted text features


_SPLITS = ("train", "validation", "test")
_MNLI = ("entailment", "neutral", "contradiction")
_NLI = ("entailment", "not_entailment")
_BOOL = ("False", "True")
_F1_ACC = (metrics.f1_score_with_invalid, metrics.accuracy)
_ACC = (metrics.accuracy,)

GLUE_BENCHMARKS = (
    _Benchmark("cola", ("unacceptable", "acceptable"), _SPLITS, (metrics.matthews_corrcoef,)),
    _Benchmark("sst2", ("negative", "positive"), _SPLITS, _ACC),
    _Benchmark("mrpc", ("not_equivalent", "equivalent"), _SPLITS, _F1_ACC),
    _Benchmark("qqp", ("not_duplicate", "duplicate"), _SPLITS, _F1_ACC),
    _Benchmark("stsb", None, _SPLITS, (metrics.pearson_corrcoef, metrics.spearman_corrcoef)),
    _Benchmark(
        "mnli",
        _MNLI,
        (
            "train",
            "validation_matched",
            "validation_mismatched",
            "test_matched",
            "test_mismatched",
        ),
        _ACC,
    ),
    _Benchmark("mnli_mismatched", _MNLI, ("validation", "test"), _ACC, prefix="mnli"),
    _Benchmark("mnli_matched", _MNLI, ("validation", "test"), _ACC, prefix="mnli"),
    _Benchmark("qnli", _NLI, _SPLITS, _ACC),
    _Benchmark("rte", _NLI, _SPLITS, _ACC),
    _Benchmark("wnli", ("not_entailment", "entailment"), _SPLITS, _ACC),
    # The diagnostic has only an unlabelled test set, read as MNLI.
    _Benchmark("ax", _MNLI, ("test",), (), prefix="mnli"),
)

SUPER_GLUE_BENCHMARKS = (
    _Benchmark("boolq", _BOOL, _SPLITS, _ACC),
    _Benchmark(
        "cb",
        ("entailment", "contradiction", "neutral"),
        _SPLITS,
        (metrics.mean_multiclass_f1(num_classes=3), metrics.accuracy),
    ),
    _Benchmark("copa", ("choice1", "choice2"), _SPLITS, _ACC),
    _Benchmark(
        "multirc",
        _BOOL,
        _SPLITS,
        (metrics.multirc_f1_over_all_answers, metrics.mean_group_metric(metrics.all_match)),
        feature_names=("question", "answer", "paragraph"),
    ),
    _Benchmark("record", None, _SPLITS, (metrics.deduplicate_metric(metrics.squad),)),
    _Benchmark("rte", _NLI, _SPLITS, _ACC),
    # The word's offsets in each sentence are not used.
    _Benchmark("wic", _BOOL, _SPLITS, _ACC, feature_names=("sentence1", "sentence2", "word")),
    _Benchmark("axb", AXB_LABELS, ("test",), (), prefix="rte"),
    _Benchmark("axg", _NLI, ("test",), (), prefix="rte"),
)


def _format_preprocessor(benchmark: _Benchmark) -> Callable:
    if benchmark.config == "stsb":
        return format_stsb
    if benchmark.config == "record":
        return format_record
    if benchmark.config == "axb":
        return format_axb
    return functools.partial(
        format_glue,
        benchmark_name=benchmark.prefix or benchmark.config,
        label_names=benchmark.label_classes,
        feature_names=benchmark.feature_names,
    )


def _postprocessor(benchmark: _Benchmark) -> Callable:
    if benchmark.config == "stsb":
        return string_to_float
    if benchmark.config == "multirc":
        return multirc
    if benchmark.config == "record":
        return record
    return string_label_to_class_id(benchmark.label_classes)


# --- registration -----------------------------------------------------------------------------


class _Registrar:
    """Adds tasks in T5's chain, remembering their names so a failure can take them back."""

    def __init__(self, vocabulary: seqio.Vocabulary, tfds_data_dir: str | None):
        self.features = registry.output_features(vocabulary)
        self.tfds_data_dir = tfds_data_dir
        self.names: list[str] = []

    def add(
        self,
        name: str,
        tfds_name: str,
        splits: Iterable[str],
        preprocessor: Callable,
        postprocess_fn: Callable | None,
        metric_fns: Iterable[Callable],
    ) -> None:
        source = seqio.TfdsDataSource(
            tfds_name=tfds_name, tfds_data_dir=self.tfds_data_dir, splits=list(splits)
        )
        registry.add_task(
            name,
            source,
            [
                preprocessor,
                seqio.preprocessors.tokenize,
                seqio.CacheDatasetPlaceholder(),
                seqio.preprocessors.append_eos_after_trim,
            ],
            output_features=self.features,
            postprocess_fn=postprocess_fn,
            metric_fns=list(metric_fns),
        )
        self.names.append(name)

    def add_sentinel_twin(self, name: str) -> None:
        """`<extra_id_0>` after the inputs and before the targets (removed again before metrics)."""
        twin = sentinel_task_name(name)
        registry.check_name(twin)  # seqio would only say "duplicate provider"
        seqio.experimental.add_task_with_sentinels(name, num_sentinels=1)
        self.names.append(twin)


def _register(vocabulary, tfds_data_dir, add_all: Callable[[_Registrar], None]) -> list[str]:
    registrar = _Registrar(vocabulary, tfds_data_dir)
    try:
        add_all(registrar)
    except Exception:
        registry.unregister(*registrar.names)
        raise
    return registrar.names


def register_glue(vocabulary: seqio.Vocabulary, tfds_data_dir: str | None = None) -> list[str]:
    """Register `glue_<cfg>_v002` for every GLUE config and `glue_wnli_v002_simple_eval`."""

    def add_all(r: _Registrar) -> None:
        for b in GLUE_BENCHMARKS:
            r.add(
                f"glue_{b.config}_v002",
                f"glue/{b.config}:{GLUE_TFDS_VERSION}",
                b.splits,
                _format_preprocessor(b),
                _postprocessor(b),
                b.metric_fns,
            )
        r.add(
            "glue_wnli_v002_simple_eval",
            f"glue/wnli:{GLUE_TFDS_VERSION}",
            ("validation", "test"),
            format_wnli_simple,
            wsc_simple,
            _ACC,
        )

    return _register(vocabulary, tfds_data_dir, add_all)


def register_super_glue(
    vocabulary: seqio.Vocabulary, tfds_data_dir: str | None = None
) -> list[str]:
    """Register the SuperGLUE tasks (not WSC itself), `dpr_v001_simple`, the WSC simple
    train/eval tasks, and a `_1_sentinel` twin of each."""
    registry.require_extra_ids(vocabulary, 1, "the SuperGLUE _1_sentinel tasks")

    def add_all(r: _Registrar) -> None:
        for b in SUPER_GLUE_BENCHMARKS:
            name = f"super_glue_{b.config}_v102"
            r.add(
                name,
                f"super_glue/{b.config}:{SUPER_GLUE_TFDS_VERSION}",
                b.splits,
                _format_preprocessor(b),
                _postprocessor(b),
                b.metric_fns,
            )
            r.add_sentinel_twin(name)
        r.add(
            "dpr_v001_simple",
            f"definite_pronoun_resolution:{DPR_TFDS_VERSION}",
            ("train", "test"),
            format_dpr_simple,
            None,
            _ACC,
        )
        r.add_sentinel_twin("dpr_v001_simple")
        wsc = f"super_glue/wsc.fixed:{SUPER_GLUE_TFDS_VERSION}"
        r.add(
            "super_glue_wsc_v102_simple_train",
            wsc,
            ("train",),
            functools.partial(format_wsc_simple, correct_referent_only=True),
            None,
            (),
        )
        r.add_sentinel_twin("super_glue_wsc_v102_simple_train")
        r.add(
            "super_glue_wsc_v102_simple_eval",
            wsc,
            ("validation", "test"),
            functools.partial(format_wsc_simple, correct_referent_only=False),
            wsc_simple,
            _ACC,
        )
        r.add_sentinel_twin("super_glue_wsc_v102_simple_eval")

    return _register(vocabulary, tfds_data_dir, add_all)
