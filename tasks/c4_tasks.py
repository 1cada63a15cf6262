"""C4 pretraining tasks, each declared once (`C4TaskSpec`) and registered from that declaration.

A C4 task is T5's chain over tf.train.Example records (docs/TASKS.md §2; `t5.data.tasks`,
`c4_v220_span_corruption` and friends):

    rekey text -> targets, tokenize, CacheDatasetPlaceholder, objective, append_eos_after_trim

Two things are derived from one `C4TaskSpec`:
- `seqio_preprocessors` / `seqio_source` / `output_features`: the seqio Task (tf.data);
- `record_feed_source`: what the training feed (`tasks.feed`) needs to make the same examples
  straight from the TFRecords in numpy: the files matching each split's pattern, sorted (the
  order seqio's `FileDataSource` reads them in), the text feature, the objective.
  The feed applies the objective where the chain does, right after the placeholder, with the
  seed seqio gives that step (`seqio_compat.post_cache_seed_offset` of the registered task).

`register_c4_task(spec)` registers the seqio Task together with its feed source.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import seqio

from c4forge.tasks import registry
from c4forge.tasks.preprocessors import objective_preprocessor


@dataclasses.dataclass(frozen=True)
class C4TaskSpec:
    """One C4 task: where its documents are, which objective, which vocabulary.

    `split_patterns` maps split -> the glob of its TFRecord files of tf.train.Example (as
    `c4forge corpus build` writes them: local paths or gs://); `text_key` is the bytes feature
    holding the document; `objective` is one of `tasks.objectives`; `num_input_examples`
    (split -> documents) feeds seqio's examples-proportional mixing rates. `split_files`, the
    files each pattern matches (sorted) when the caller has listed them already, spares the
    feed source a listing per split and task (mC4 has 108 languages).
    """

    name: str
    split_patterns: Mapping[str, str]
    objective: Any
    vocabulary: seqio.Vocabulary
    text_key: str = "text"
    num_input_examples: Mapping[str, int] | None = None
    split_files: Mapping[str, Sequence[str]] | None = None

    def output_features(self) -> dict[str, seqio.Feature]:
        """T5's features; `targets` alone, without EOS, for a targets-only objective (full_lm)."""
        if self.objective.features == ("targets",):
            return {"targets": seqio.Feature(self.vocabulary, add_eos=False)}
        return registry.output_features(self.vocabulary)

    def seqio_source(self) -> seqio.TFExampleDataSource:
        import tensorflow as tf

        return seqio.TFExampleDataSource(
            split_to_filepattern=dict(self.split_patterns),
            feature_description={self.text_key: tf.io.FixedLenFeature([], tf.string)},
            num_input_examples=(
                None if self.num_input_examples is None else dict(self.num_input_examples)
            ),
        )

    def seqio_preprocessors(self) -> list:
        """T5's chain (module docstring); the objective is the first seeded step after the
        placeholder, which is the step `record_feed_source` stands for."""
        return [
            _rekey_to_targets(self.text_key),
            seqio.preprocessors.tokenize,
            seqio.CacheDatasetPlaceholder(),
            objective_preprocessor(self.objective),
            seqio.preprocessors.append_eos_after_trim,
        ]

    def record_feed_source(self) -> registry.RecordFeedSource:
        listed = self.split_files or {}
        return registry.RecordFeedSource(
            files={
                split: list(listed[split]) if split in listed else matching_files(p)
                for split, p in self.split_patterns.items()
            },
            text_key=self.text_key,
            objective=self.objective,
        )


def matching_files(pattern: str) -> list[str]:
    """The files matching `pattern`, sorted (local or gs://, through tf.io.gfile); [] if the
    directory does not exist."""
    import tensorflow as tf

    try:
        return sorted(tf.io.gfile.glob(pattern))
    except tf.errors.NotFoundError:
        return []


def _rekey_to_targets(text_key: str):
    def rekey_text(dataset):
        """text -> targets (T5 also makes an empty `inputs`; the objectives write their own)."""
        return dataset.map(lambda ex: {"targets": ex[text_key]})

    return rekey_text


def register_c4_task(spec: C4TaskSpec) -> seqio.Task:
    """The seqio Task and its feed source, both from `spec` (refusing a vocabulary without the
    sentinels the objective writes)."""
    needed = spec.objective.sentinels_needed
    if needed:
        registry.require_extra_ids(spec.vocabulary, needed, spec.objective.name)
    return registry.add_task(
        spec.name,
        spec.seqio_source(),
        spec.seqio_preprocessors(),
        output_features=spec.output_features(),
        feed_source=spec.record_feed_source(),
    )
