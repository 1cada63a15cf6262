"""T5's unsupervised objectives over groups of tokenized documents, in numpy.

Raffel et al. 2019 §3.3 and T5's preprocessors and gin objectives (docs/TASKS.md §2.2-2.3,
docs/STUDY.md §3). Each objective turns a *group* of consecutive documents (token id arrays, no
EOS) into training examples `{"inputs": ids, "targets": ids}` without EOS (seqio's
`append_eos_after_trim` adds it):

- `SpanCorruption` (T5's default): `select_random_chunk` (65,536 tokens) per document, the
  group's chunks concatenated with no separator (T5's `reduce_concat_tokens(128)`), split into
  pieces of `random_spans_helper(inputs_length)` raw tokens (568 for 512/114), and each piece
  corrupted: noise spans -> sentinels `vocab_size-1, vocab_size-2, ...` in inputs, the
  complement in targets. Any rate and mean span (`span_corruption_r50_s10`).
- `IidDenoising` (`iid_{10,15,25,50}_u_u`): the same chunking, pieces of inputs_length-1
  tokens, an i.i.d. noise mask, each run of noise -> one unique sentinel.
- `BertStyle` (`iid_15_r10s90_f`) and `MassStyle` (`iid_15_m_f`): the same pieces, 15% of the
  tokens i.i.d. replaced (BERT: 10% of them by a random id in [3, vocab_size), 90% by the one
  shared sentinel vocab_size-1; MASS: all by the sentinel); targets = the whole piece.
- `IidDropTokens` (`iid_15_d_d`): the same pieces; the noise tokens dropped from the inputs,
  and they, in order, are the targets.
- `PrefixLM`: per document (no concatenation), pieces of inputs_length-1 tokens, a random
  split point; inputs = prefix, targets = the rest.
- `Deshuffling`: per document, pieces of inputs_length-1 tokens; inputs = the tokens shuffled,
  targets = the original order.
- `FullLM`: the unsupervised LM view: EOS after each document, concatenated, split into pieces of
  targets_length tokens (targets only; pair it with an LM feature converter).
- UL2's mixture of denoisers lives in `tasks.ul2`.

Every objective has a canonical `name` that spells its non-default parameters, and `parse(name)`
is the one way back from a name to an objective (module docstring of `parse`). Objectives whose
examples have a known size have `lengths(sequence_length) -> (raw tokens per example, targets
length needed)`, which refuses a targets length too small for them (one-line ValueError).
Sentinels count down from vocab_size-1 without end, as in T5: an example with more spans than
the vocabulary's extra ids (≈128 at 50% and 512 inputs, T5 had 100) writes its last sentinels
over ordinary pieces, as T5's iid_50_u_u did.

Randomness: one `numpy.random.Generator` per group, seeded by
`(seed, shard_index, shard_count, epoch, group_index)` (`group_rng`), so a group's examples
depend only on its documents and that key: the same in seqio's tf.data path
(`tasks.preprocessors`) and the fast feed (`tasks.feed`), independent of batching or restarts.
The random draws are our own (numpy), not TensorFlow's: distributions match T5's, bits do not.
Pieces of equal length are corrupted together as [rows, length] arrays.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np

from c4forge.tasks import spans

Example = dict[str, np.ndarray]

# T5's defaults (t5.data.preprocessors): 65,536-token chunks, 128 documents per concatenation.
CHUNK_TOKENS = 65536
DOCS_PER_GROUP = 128
# T5's `num_reserved_tokens` (pad, EOS, unk): BERT-style random ids are drawn above them.
RESERVED_IDS = 3


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


def _blocks(blob: np.ndarray, length: int) -> list[np.ndarray]:
    """`split_pieces(blob, length)` as 2-D blocks: [full, length] (the full pieces), then the
    short tail as one [1, n] row. Drawing over a block consumes the generator as drawing piece
    by piece would (row-major order)."""
    full = len(blob) // length
    blocks = [blob[: full * length].reshape(full, length)] if full else []
    if len(blob) > full * length:
        blocks.append(blob[full * length :][None, :])
    return blocks


def _denoised(piece: np.ndarray, mask: np.ndarray, vocab_size: int) -> Example:
    """T5's denoise, unique sentinels: noise spans -> sentinels in inputs, the rest in targets."""
    return {
        "inputs": spans.noise_span_to_unique_sentinel(piece, mask, vocab_size),
        "targets": spans.nonnoise_span_to_unique_sentinel(piece, mask, vocab_size),
    }


def corrupt_spans(
    tokens: np.ndarray, noise_density: float, mean_noise_span_length: float, rng, vocab_size: int
) -> list[Example]:
    """T5's span corruption of each row of `tokens` [rows, length] (T5's `denoise` with
    `random_spans_noise_mask` and unique sentinels). Rows of equal length have equal noise and
    span counts, so their masks and sentinels are made together."""
    rows, length = tokens.shape
    if length < 2:  # one token: no noise (the mask's rule), one mask each
        return [
            _denoised(t, spans.random_spans_noise_mask(length, noise_density, rng), vocab_size)
            for t in tokens
        ]
    mask = spans.random_spans_noise_masks(rows, length, noise_density, rng, mean_noise_span_length)
    inputs = spans.spans_to_sentinels_rows(tokens, mask, vocab_size)
    targets = spans.spans_to_sentinels_rows(tokens, ~mask, vocab_size)
    return [{"inputs": i, "targets": t} for i, t in zip(inputs, targets, strict=True)]


def prefix_bounds(length: int, noise_density: float) -> tuple[int, int]:
    """(shortest, longest) prefix of a `length`-token piece, T5's `random_prefix_noise_mask`:
    between round((1-2d)(L-1)) (at least 1) and L-1 tokens, chosen uniformly."""
    longest = length - 1
    return min(longest, max(1, round((1 - 2 * noise_density) * longest))), longest


def binomial_quantile(n: int, p: float, q: float) -> int:
    """The smallest k with P(Binomial(n, p) <= k) >= q (what scipy's `binom.ppf` gives)."""
    if n == 0:
        return 0
    k = np.arange(1, n + 1)
    # log pmf(k) = log pmf(k-1) + log((n-k+1)/k) + log(p/(1-p)), from pmf(0) = (1-p)^n; in
    # logs, so that long pieces do not underflow.
    steps = np.log((n - k + 1) / k) + math.log(p / (1 - p))
    log_pmf = n * math.log1p(-p) + np.concatenate([[0.0], np.cumsum(steps)])
    return int(min(np.searchsorted(np.cumsum(np.exp(log_pmf)), q), n))


def _targets_length(sequence_length: Mapping[str, int], needed: int) -> int:
    return sequence_length.get("targets", needed)


def _percent(x: float) -> str:
    # 0.15 -> "15", 0.125 -> "12.5": round first, so that 100 * 0.15 = 15.000000000000002 is 15.
    return f"{round(100 * float(x), 6):g}"


def _rate(x: float, default: float) -> str:
    return "" if x == default else f"_r{_percent(x)}"


def _span(x: float, default: float = 3.0) -> str:
    return "" if x == default else f"_s{round(float(x), 6):g}"


def _check_density(name: str, noise_density: float) -> None:
    if not 0.0 < noise_density < 1.0:
        raise ValueError(f"{name} noise_density must be in (0, 1), got {noise_density}")


@dataclasses.dataclass(frozen=True)
class SpanCorruption:
    noise_density: float = 0.15
    mean_noise_span_length: float = 3.0
    chunk_tokens: int = CHUNK_TOKENS
    docs_per_group: int = DOCS_PER_GROUP
    sentinels_needed: int = 100
    features: tuple[str, ...] = ("inputs", "targets")

    @property
    def name(self) -> str:
        """`span_corruption`, `span_corruption_r50`, `span_corruption_s10`, ..."""
        return (
            "span_corruption" + _rate(self.noise_density, 0.15) + _span(self.mean_noise_span_length)
        )

    def lengths(self, sequence_length: Mapping[str, int]) -> tuple[int, int]:
        """(raw tokens per example, targets length with EOS) for the inputs length."""
        raw, targets = spans.random_spans_helper(
            sequence_length["inputs"], self.noise_density, self.mean_noise_span_length
        )
        if _targets_length(sequence_length, targets) < targets:
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
        out = []
        for block in _blocks(blob, raw):
            if len(block[0]) == raw:  # all full pieces have the same noise and span counts
                out += corrupt_spans(
                    block, self.noise_density, self.mean_noise_span_length, rng, vocab_size
                )
            else:  # the short tail: its own counts
                mask = spans.random_spans_noise_mask(
                    len(block[0]), self.noise_density, rng, self.mean_noise_span_length
                )
                out.append(_denoised(block[0], mask, vocab_size))
        return out


@dataclasses.dataclass(frozen=True)
class IidDenoising:
    noise_density: float = 0.15
    chunk_tokens: int = CHUNK_TOKENS
    docs_per_group: int = DOCS_PER_GROUP
    sentinels_needed: int = 100
    features: tuple[str, ...] = ("inputs", "targets")

    @property
    def name(self) -> str:
        """`iid_denoising`, `iid_denoising_r50`, ..."""
        return "iid_denoising" + _rate(self.noise_density, 0.15)

    def examples(self, docs, rng, sequence_length, vocab_size) -> list[Example]:
        # No length check: how many tokens and runs are noise is random; T5 truncates targets
        # past the targets length (its gin sizes them 103/192/256/512 at 10/15/25/50%).
        blob = _concat(_chunks(docs, self.chunk_tokens, rng))
        out = []
        for block in _blocks(blob, sequence_length["inputs"] - 1):
            mask = rng.random(block.shape) < self.noise_density
            inputs = spans.spans_to_sentinels_ragged(block, mask, vocab_size)
            targets = spans.spans_to_sentinels_ragged(block, ~mask, vocab_size)
            out += [{"inputs": i, "targets": t} for i, t in zip(inputs, targets, strict=True)]
        return out


@dataclasses.dataclass(frozen=True)
class BertStyle:
    """BERT-style (T5's `iid_15_r10s90_f`): of the i.i.d. noise tokens, 10% become a random id
    uniform in [3, vocab_size) (sentinels included, as T5), the rest the one shared sentinel
    vocab_size-1; no "leave unchanged" branch. Targets: the whole piece."""

    noise_density: float = 0.15
    chunk_tokens: int = CHUNK_TOKENS
    docs_per_group: int = DOCS_PER_GROUP
    sentinels_needed: int = 1
    features: tuple[str, ...] = ("inputs", "targets")
    # T5's `noise_token_to_random_token_or_sentinel(random_prob=0.1)`.
    random_token_rate: ClassVar[float] = 0.1
    base_name: ClassVar[str] = "bert_style"

    def __post_init__(self):
        _check_density(self.base_name, self.noise_density)

    @property
    def name(self) -> str:
        return self.base_name + _rate(self.noise_density, 0.15)

    def lengths(self, sequence_length: Mapping[str, int]) -> tuple[int, int]:
        """(inputs_length - 1, inputs_length): pieces of inputs_length - 1 tokens (T5's
        `split_tokens_to_inputs_length`), so inputs and targets, the piece + EOS, fill exactly
        inputs_length."""
        length = sequence_length["inputs"]
        if length < 2:
            raise ValueError(f"{self.name}: inputs length must be at least 2, got {length}")
        if _targets_length(sequence_length, length) < length:
            raise ValueError(
                f"{self.name} at inputs length {length} makes targets of {length} tokens (the "
                f"whole piece); the targets length is {sequence_length['targets']}"
            )
        return length - 1, length

    def examples(self, docs, rng, sequence_length, vocab_size) -> list[Example]:
        raw, _ = self.lengths(sequence_length)
        blob = _concat(_chunks(docs, self.chunk_tokens, rng))
        out = []
        for block in _blocks(blob, raw):
            mask = rng.random(block.shape) < self.noise_density
            inputs = np.where(mask, vocab_size - 1, block)  # [rows, raw]
            if self.random_token_rate:
                noise = np.flatnonzero(mask)  # T5 draws per token; only noise tokens matter
                swapped = noise[rng.random(len(noise)) < self.random_token_rate]
                inputs.reshape(-1)[swapped] = rng.integers(RESERVED_IDS, vocab_size, len(swapped))
            out += [{"inputs": i, "targets": t} for i, t in zip(inputs, block, strict=True)]
        return out


@dataclasses.dataclass(frozen=True)
class MassStyle(BertStyle):
    """MASS-style (T5's `iid_15_m_f`): BERT-style without the random swaps, every noise token
    -> the shared sentinel vocab_size-1; targets: the whole piece."""

    random_token_rate: ClassVar[float] = 0.0
    base_name: ClassVar[str] = "mass_style"


@dataclasses.dataclass(frozen=True)
class IidDropTokens:
    """Drop corrupted tokens (T5's `iid_15_d_d`): pieces of inputs_length-1 tokens (as T5's
    gin, so inputs never pass inputs_length: ≈ 0.85 of it on average), the i.i.d. noise tokens
    dropped from them; targets: those tokens in order.

    The noise count is Binomial(inputs_length-1, density), so targets have no fixed length:
    `lengths` asks for room for 99.9% of pieces, T5's rule for its 104 at 512 (the gin: "104 is
    the 99.9th percentile of expected target length with 15% drop prob"); the rarer longer
    targets are truncated, as T5's were."""

    noise_density: float = 0.15
    chunk_tokens: int = CHUNK_TOKENS
    docs_per_group: int = DOCS_PER_GROUP
    sentinels_needed: int = 0
    features: tuple[str, ...] = ("inputs", "targets")
    targets_quantile: ClassVar[float] = 0.999

    def __post_init__(self):
        _check_density("iid_drop_tokens", self.noise_density)

    @property
    def name(self) -> str:
        return "iid_drop_tokens" + _rate(self.noise_density, 0.15)

    def lengths(self, sequence_length: Mapping[str, int]) -> tuple[int, int]:
        """(inputs_length - 1, the 99.9th percentile of the noise count + EOS): 511 / 104."""
        length = sequence_length["inputs"]
        if length < 2:
            raise ValueError(f"{self.name}: inputs length must be at least 2, got {length}")
        raw = length - 1
        targets = binomial_quantile(raw, self.noise_density, self.targets_quantile) + 1
        if _targets_length(sequence_length, targets) < targets:
            raise ValueError(
                f"{self.name} at inputs length {length} makes targets of up to {targets} tokens "
                f"(99.9% of pieces); the targets length is {sequence_length['targets']}"
            )
        return raw, targets

    def examples(self, docs, rng, sequence_length, vocab_size) -> list[Example]:
        raw, _ = self.lengths(sequence_length)
        blob = _concat(_chunks(docs, self.chunk_tokens, rng))
        out = []
        for block in _blocks(blob, raw):
            mask = rng.random(block.shape) < self.noise_density
            noise = mask.sum(axis=1)
            # Row-major boolean indexing keeps each row's tokens in order, rows one after another.
            kept = np.split(block[~mask], np.cumsum(block.shape[1] - noise)[:-1])
            dropped = np.split(block[mask], np.cumsum(noise)[:-1])
            out += [{"inputs": i, "targets": t} for i, t in zip(kept, dropped, strict=True)]
        return out


@dataclasses.dataclass(frozen=True)
class PrefixLM:
    noise_density: float = 0.5
    chunk_tokens: int = CHUNK_TOKENS
    docs_per_group: int = DOCS_PER_GROUP
    sentinels_needed: int = 0
    features: tuple[str, ...] = ("inputs", "targets")

    def __post_init__(self):
        if not 0.0 <= self.noise_density <= 0.5:
            raise ValueError(
                f"prefix_lm noise_density must be in [0, 0.5], got {self.noise_density}"
            )

    @property
    def name(self) -> str:
        return "prefix_lm" + _rate(self.noise_density, 0.5)

    def examples(self, docs, rng, sequence_length, vocab_size) -> list[Example]:
        out = []
        for chunk in _chunks(docs, self.chunk_tokens, rng):
            for piece in split_pieces(chunk, sequence_length["inputs"] - 1):
                shortest, longest = prefix_bounds(len(piece), self.noise_density)
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


# The five objectives of T5's C4 tasks, by their (default-parameter) names.
OBJECTIVES = {
    "span_corruption": SpanCorruption,
    "iid_denoising": IidDenoising,
    "prefix_lm": PrefixLM,
    "deshuffling": Deshuffling,
    "full_lm": FullLM,
}

_RATED = {
    "span_corruption": SpanCorruption,
    "iid_denoising": IidDenoising,
    "bert_style": BertStyle,
    "mass_style": MassStyle,
    "iid_drop_tokens": IidDropTokens,
    "prefix_lm": PrefixLM,
}
_NUMBER = r"\d+(?:\.\d+)?"
_NAME = re.compile(
    rf"(?P<base>{'|'.join(_RATED)})(?:_r(?P<rate>{_NUMBER}))?(?:_s(?P<span>{_NUMBER}))?"
)
NAME_FORMS = (
    "span_corruption[_r<percent>][_s<mean span>], iid_denoising[_r<percent>], "
    "bert_style[_r<percent>], mass_style[_r<percent>], iid_drop_tokens[_r<percent>], "
    "prefix_lm[_r<percent>], deshuffling, full_lm, ul2"
)


def parse(name: str):
    """The objective a name stands for: `span_corruption_r50_s10` is
    `SpanCorruption(noise_density=0.5, mean_noise_span_length=10.0)`; a part left out keeps its
    default (`span_corruption` is T5's 15% / 3). Forms: NAME_FORMS. `parse(o.name)` equals `o`.
    Anything else: ValueError naming the forms."""
    if name in ("deshuffling", "full_lm"):
        return OBJECTIVES[name]()
    if name == "ul2":
        from c4forge.tasks.ul2 import UL2  # ul2 builds on this module

        return UL2()
    match = _NAME.fullmatch(name) if isinstance(name, str) else None
    if match is None or (match["span"] and match["base"] != "span_corruption"):
        raise ValueError(f"unknown objective {name!r}: use one of {NAME_FORMS}")
    settings = {}
    if match["rate"]:
        percent = float(match["rate"])
        prefix = match["base"] == "prefix_lm"  # a prefix LM's density is at most one half
        if not (0 < percent <= 50 if prefix else 0 < percent < 100):
            allowed = "(0, 50]" if prefix else "(0, 100)"
            raise ValueError(
                f"objective {name!r}: the rate must be a percent in {allowed}, got {match['rate']}"
            )
        settings["noise_density"] = percent / 100
    if match["span"]:
        if float(match["span"]) <= 0:
            raise ValueError(f"objective {name!r}: the mean span must be positive")
        settings["mean_noise_span_length"] = float(match["span"])
    return _RATED[match["base"]](**settings)


def for_vocabulary(objective, vocabulary):
    """`objective` with what it takes from the task's vocabulary (UL2's mode-token ids); the
    others come back as they are. The seqio preprocessor and the feed call it, each with the
    task's `targets` vocabulary, before they check lengths or make examples."""
    bind = getattr(objective, "for_vocabulary", None)
    return objective if bind is None else bind(vocabulary)
