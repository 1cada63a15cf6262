"""T5's unsupervised objectives over groups of tokenized documents, in numpy.

Raffel et al. 2019 §3.3 and T5's preprocessors (docs/TASKS.md §2.2-2.3). Each objective turns a
*group* of consecutive documents (token id arrays, no EOS) into training examples
`{"inputs": ids, "targets": ids}` without EOS (seqio's `append_eos_after_trim` adds it):

- `SpanCorruption` (T5's default): `select_random_chunk` (65,536 tokens) per document, the
  group's chunks concatenated with no separator (T5's `reduce_concat_tokens(128)`), split into
  pieces of `random_spans_helper(inputs_length)` raw tokens (568 for 512/114), and each piece
  corrupted: noise spans -> sentinels `vocab_size-1, vocab_size-2, ...` in inputs, the
  complement in targets.
- `IidDenoising`: the same chunking, pieces of inputs_length-1 tokens, i.i.d. noise mask.
- `PrefixLM`: per document (no concatenation), pieces of inputs_length-1 tokens, a random
  split point; inputs = prefix, targets = the rest.
- `Deshuffling`: per document, pieces of inputs_length-1 tokens; inputs = the tokens shuffled,
  targets = the original order.
- `FullLM`: the unsupervised LM view: EOS after each document, concatenated, split into pieces of
  targets_length tokens (targets only; pair it with an LM feature converter).

Randomness: one `numpy.random.Generator` per group, seeded by
`(seed, shard_index, shard_count, epoch, group_index)` (`group_rng`), so a group's examples
depend only on its documents and that key: the same in seqio's tf.data path
(`tasks.preprocessors`) and the fast feed (`tasks.feed`), independent of batching or restarts.
The random draws are our own (numpy), not TensorFlow's: distributions match T5's, bits do not.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np

from c4forge.tasks import spans

Example = dict[str, np.ndarray]

# T5's defaults (t5.data.preprocessors): 65,536-token chunks, 128 documents per concatenation.
CHUNK_TOKENS = 65536
DOCS_PER_GROUP = 128


def group_rng(
    seed: int, group_index: int, *, shard_index: int = 0, shard_count: int = 1, epoch: int = 0
) -> np.random.Generator:
    """The generator for one group of documents (see the module docstring)."""
    key = [int(seed) % (1 << 63), shard_index, shard_count, epoch, group_index]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))


def select_random_chunk(doc: np.ndarray, max_length: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly chosen aligned window of `max_length` tokens (the whole doc if it fits)."""
    n = len(doc)
    if n <= max_length:
        return doc
    start = max_length * int(rng.integers(math.ceil(n / max_length)))
    return doc[start : start + max_length]


def split_pieces(tokens: np.ndarray, length: int) -> list[np.ndarray]:
    """Consecutive pieces of `length` tokens; the last one is shorter (T5's `split_tokens`)."""
    return [tokens[i : i + length] for i in range(0, len(tokens), length)]


def _chunks(docs: Sequence[np.ndarray], chunk_tokens: int, rng) -> list[np.ndarray]:
    # Empty documents are dropped before anything is drawn for them (as T5 does).
    return [select_random_chunk(d, chunk_tokens, rng) for d in docs if len(d)]


def _concat(chunks: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(chunks) if chunks else np.zeros(0, np.int32)


def _denoised(piece: np.ndarray, mask: np.ndarray, vocab_size: int) -> Example:
    """T5's denoise, unique sentinels: noise spans -> sentinels in inputs, the rest in targets."""
    return {
        "inputs": spans.noise_span_to_unique_sentinel(piece, mask, vocab_size),
        "targets": spans.nonnoise_span_to_unique_sentinel(piece, mask, vocab_size),
    }


@dataclasses.dataclass(frozen=True)
class SpanCorruption:
    noise_density: float = 0.15
    mean_noise_span_length: float = 3.0
    chunk_tokens: int = CHUNK_TOKENS
    docs_per_group: int = DOCS_PER_GROUP
    name: str = "span_corruption"
    sentinels_needed: int = 100
    features: tuple[str, ...] = ("inputs", "targets")

    def lengths(self, sequence_length: Mapping[str, int]) -> tuple[int, int]:
        """(raw tokens per example, targets length with EOS) for the inputs length."""
        raw, targets = spans.random_spans_helper(
            sequence_length["inputs"], self.noise_density, self.mean_noise_span_length
        )
        if sequence_length.get("targets", targets) < targets:
            raise ValueError(
                f"span corruption at inputs length {sequence_length['inputs']} makes targets of "
                f"{targets} tokens; the targets length is {sequence_length['targets']}"
            )
        return raw, targets

    def examples(
        self, docs: Sequence[np.ndarray], rng, sequence_length: Mapping[str, int], vocab_size: int
    ) -> list[Example]:
        raw, _ = self.lengths(sequence_length)
        blob = _concat(_chunks(docs, self.chunk_tokens, rng))
        # All full pieces have the same length, hence the same noise and span counts: their
        # masks and sentinels are made together as [rows, raw] arrays; the short tail alone.
        full = len(blob) // raw
        out = []
        if full:
            tokens = blob[: full * raw].reshape(full, raw)
            mask = spans.random_spans_noise_masks(
                full, raw, self.noise_density, rng, self.mean_noise_span_length
            )
            inputs = spans.spans_to_sentinels_rows(tokens, mask, vocab_size)
            targets = spans.spans_to_sentinels_rows(tokens, ~mask, vocab_size)
            out = [{"inputs": i, "targets": t} for i, t in zip(inputs, targets, strict=True)]
        tail = blob[full * raw :]
        if len(tail):
            mask = spans.random_spans_noise_mask(
                len(tail), self.noise_density, rng, self.mean_noise_span_length
            )
            out.append(_denoised(tail, mask, vocab_size))
        return out


@dataclasses.dataclass(frozen=True)
class IidDenoising:
    noise_density: float = 0.15
    chunk_tokens: int = CHUNK_TOKENS
    docs_per_group: int = DOCS_PER_GROUP
    name: str = "iid_denoising"
    sentinels_needed: int = 100
    features: tuple[str, ...] = ("inputs", "targets")

    def examples(self, docs, rng, sequence_length, vocab_size) -> list[Example]:
        blob = _concat(_chunks(docs, self.chunk_tokens, rng))
        out = []
        for piece in split_pieces(blob, sequence_length["inputs"] - 1):
            mask = rng.random(len(piece)) < self.noise_density
            out.append(_denoised(piece, mask, vocab_size))
        return out


@dataclasses.dataclass(frozen=True)
class PrefixLM:
    noise_density: float = 0.5
    chunk_tokens: int = CHUNK_TOKENS
    docs_per_group: int = DOCS_PER_GROUP
    name: str = "prefix_lm"
    sentinels_needed: int = 0
    features: tuple[str, ...] = ("inputs", "targets")

    def __post_init__(self):
        if not 0.0 <= self.noise_density <= 0.5:
            raise ValueError(
                f"prefix_lm noise_density must be in [0, 0.5], got {self.noise_density}"
            )

    def examples(self, docs, rng, sequence_length, vocab_size) -> list[Example]:
        out = []
        for chunk in _chunks(docs, self.chunk_tokens, rng):
            for piece in split_pieces(chunk, sequence_length["inputs"] - 1):
                # T5's random_prefix_noise_mask: the prefix keeps between round((1-2d)(L-1))
                # (at least 1) and L-1 tokens, uniformly.
                longest = len(piece) - 1
                shortest = min(longest, max(1, round((1 - 2 * self.noise_density) * longest)))
                cut = int(rng.integers(shortest, longest + 1))
                out.append({"inputs": piece[:cut], "targets": piece[cut:]})
        return out


@dataclasses.dataclass(frozen=True)
class Deshuffling:
    chunk_tokens: int = CHUNK_TOKENS
    docs_per_group: int = DOCS_PER_GROUP
    name: str = "deshuffling"
    sentinels_needed: int = 0
    features: tuple[str, ...] = ("inputs", "targets")

    def examples(self, docs, rng, sequence_length, vocab_size) -> list[Example]:
        out = []
        for chunk in _chunks(docs, self.chunk_tokens, rng):
            for piece in split_pieces(chunk, sequence_length["inputs"] - 1):
                out.append({"inputs": rng.permutation(piece), "targets": piece})
        return out


@dataclasses.dataclass(frozen=True)
class FullLM:
    eos_id: int = 1
    chunk_tokens: int = CHUNK_TOKENS
    docs_per_group: int = DOCS_PER_GROUP
    name: str = "full_lm"
    sentinels_needed: int = 0
    features: tuple[str, ...] = ("targets",)

    def examples(self, docs, rng, sequence_length, vocab_size) -> list[Example]:
        eos = np.array([self.eos_id], np.int32)
        chunks = _chunks(docs, self.chunk_tokens, rng)
        blob = _concat([part for c in chunks for part in (c, eos)])
        return [{"targets": p} for p in split_pieces(blob, sequence_length["targets"])]


OBJECTIVES = {
    "span_corruption": SpanCorruption,
    "iid_denoising": IidDenoising,
    "prefix_lm": PrefixLM,
    "deshuffling": Deshuffling,
    "full_lm": FullLM,
}
