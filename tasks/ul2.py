"""UL2's mixture of denoisers (Tay et al. 2022, §3.1.2; docs/STUDY.md §8), in numpy.

Seven denoisers, each T5's span corruption or T5's prefix LM, and a mode token per family
prepended to the inputs:

- R (regular, `[NLU]`): mean span 3 and 8, both at 15%.
- X (extreme, `[NLG]`): (mean span 3, 50%), (8, 50%), (64, 15%), (64, 50%).
- S (sequential, `[S2S]`): prefix LM, no sentinel.

Mode tokens are *text*, `[NLU]`, `[S2S]` and `[NLG]` tokenized by the task's vocabulary, as the
released UL2 20B and U-PaLM use them (`prepend_prompt` encodes the string; sentinel ids were
tried by users and gave garbage, google-research#1100). An objective otherwise sees only
vocab_size, so `UL2.for_vocabulary(vocabulary)` (through `objectives.for_vocabulary`, which the
seqio preprocessor and the feed call with the task's vocabulary) fills in `mode_ids`; a `UL2()`
registered on any task is bound when its dataset or feed is built.

Pinned choices, where the sources disagree (STUDY.md §8):
- Proportions R 33% (16.5% per denoiser), S 34%, X 33% (8.25% each): the split the public
  reproductions use (flashT5, the UL2.5 collator), and the one that gives the three paradigms
  equal weight as the paper describes them. The appendix code's uniform 1/7 per denoiser would
  give S only 14%; U-PaLM's 50/25/25 is for continued training of a decoder-only model.
- S splits as the released code does (the appendix's `ul2_objective` runs T5's `prefix_lm`):
  the prefix length uniform in [1, n-1] of an n-token piece (`objectives.prefix_bounds` at
  density 0.5), not the reproductions' μ = L/4 at 25%, which no released code of Google's has.

Each piece of the group's concatenated stream draws its denoiser from the group's generator
(`objectives.group_rng`), then takes that denoiser's raw length; lengths are exact per
denoiser: with an m-token mode, a span denoiser's pieces are `random_spans_helper(L - m)` raw
tokens, so mode + inputs + EOS fill exactly L; S pieces are L - m tokens, so the longest prefix
fills L and targets take at most L - m. `lengths` refuses a targets length below what any
denoiser makes (UL2's code raises likewise), one line naming the denoiser.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from c4forge.tasks import spans
from c4forge.tasks.objectives import (
    CHUNK_TOKENS,
    DOCS_PER_GROUP,
    Example,
    _chunks,
    _concat,
    _denoised,
    corrupt_spans,
    prefix_bounds,
)

MODES = ("R", "S", "X")
MODE_TOKENS = {"R": "[NLU]", "S": "[S2S]", "X": "[NLG]"}


@dataclasses.dataclass(frozen=True)
class Denoiser:
    """One denoiser: its mode, its share of the examples, and T5's span corruption parameters
    (`mean_noise_span_length` None: the S denoiser, T5's prefix LM at `noise_density` 0.5)."""

    mode: str
    share: float
    noise_density: float = 0.5
    mean_noise_span_length: float | None = None

    @property
    def label(self) -> str:
        if self.mean_noise_span_length is None:
            return f"{self.mode} (prefix LM)"
        rate = f"{round(100 * self.noise_density, 6):g}%"
        return f"{self.mode} (mean span {self.mean_noise_span_length:g}, {rate})"


DENOISERS = (
    Denoiser("R", 0.165, 0.15, 3.0),
    Denoiser("R", 0.165, 0.15, 8.0),
    Denoiser("S", 0.34),
    Denoiser("X", 0.0825, 0.5, 3.0),
    Denoiser("X", 0.0825, 0.5, 8.0),
    Denoiser("X", 0.0825, 0.15, 64.0),
    Denoiser("X", 0.0825, 0.5, 64.0),
)
SHARES = np.array([d.share for d in DENOISERS])


@dataclasses.dataclass(frozen=True)
class UL2:
    """UL2's mixture of denoisers (module docstring); `mode_ids` are the R, S and X mode tokens'
    ids in the task's vocabulary (`for_vocabulary`)."""

    mode_ids: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None = None
    chunk_tokens: int = CHUNK_TOKENS
    docs_per_group: int = DOCS_PER_GROUP
    sentinels_needed: int = 100
    features: tuple[str, ...] = ("inputs", "targets")

    @property
    def name(self) -> str:
        return "ul2"

    def for_vocabulary(self, vocabulary) -> UL2:
        """This mixture with the mode tokens encoded by `vocabulary` (plain text, as UL2)."""
        ids = tuple(tuple(int(i) for i in vocabulary.encode(MODE_TOKENS[m])) for m in MODES)
        return dataclasses.replace(self, mode_ids=ids)

    def _modes(self) -> dict[str, np.ndarray]:
        if self.mode_ids is None:
            raise ValueError(
                "ul2 has no mode-token ids: bind it to the task's vocabulary with "
                "objectives.for_vocabulary(objective, vocabulary)"
            )
        return {m: np.asarray(ids, np.int32) for m, ids in zip(MODES, self.mode_ids, strict=True)}

    def denoiser_lengths(self, sequence_length: Mapping[str, int]) -> list[tuple[int, int]]:
        """(raw tokens per example, targets length with EOS) of each denoiser, in `DENOISERS`
        order; ValueError when the targets length cannot hold one of them."""
        length = sequence_length["inputs"]
        modes = self._modes()
        out = []
        for d in DENOISERS:
            room = length - len(modes[d.mode])  # inputs left after the mode tokens
            if room < 2:
                taken = length - room
                raise ValueError(
                    f"ul2 at inputs length {length}: the {d.mode} mode token takes {taken} of "
                    f"them; the inputs length must be at least {taken + 2}"
                )
            if d.mean_noise_span_length is None:
                raw, targets = room, room
            else:
                raw, targets = spans.random_spans_helper(
                    room, d.noise_density, d.mean_noise_span_length
                )
            if sequence_length.get("targets", targets) < targets:
                raise ValueError(
                    f"ul2 at inputs length {length}: its {d.label} denoiser makes targets of "
                    f"{targets} tokens; the targets length is {sequence_length['targets']}"
                )
            out.append((raw, targets))
        return out

    def lengths(self, sequence_length: Mapping[str, int]) -> tuple[int, int]:
        """(most raw tokens per example, targets length needed) over the denoisers."""
        table = self.denoiser_lengths(sequence_length)
        return max(r for r, _ in table), max(t for _, t in table)

    def _denoise(self, d: Denoiser, tokens: np.ndarray, rng, vocab_size: int) -> list[Example]:
        """Denoiser `d` on each row of `tokens` [rows, n], mode tokens not yet prepended."""
        if d.mean_noise_span_length is not None:
            return corrupt_spans(tokens, d.noise_density, d.mean_noise_span_length, rng, vocab_size)
        shortest, longest = prefix_bounds(tokens.shape[1], d.noise_density)
        cuts = rng.integers(shortest, longest + 1, size=len(tokens))
        return [
            {"inputs": t[:c], "targets": t[c:]} for t, c in zip(tokens, cuts.tolist(), strict=True)
        ]

    def _denoise_tail(self, d: Denoiser, piece: np.ndarray, rng, vocab_size: int) -> Example:
        if d.mean_noise_span_length is not None:
            mask = spans.random_spans_noise_mask(
                len(piece), d.noise_density, rng, d.mean_noise_span_length
            )
            return _denoised(piece, mask, vocab_size)
        return self._denoise(d, piece[None, :], rng, vocab_size)[0]

    def examples(self, docs, rng, sequence_length, vocab_size) -> list[Example]:
        modes = self._modes()
        raw = np.array([r for r, _ in self.denoiser_lengths(sequence_length)])
        blob = _concat(_chunks(docs, self.chunk_tokens, rng))
        if not len(blob):
            return []
        # Every piece draws its denoiser, which sets its length: draw enough for the blob even
        # if every piece were the shortest kind, and keep those that cover it.
        picks = rng.choice(len(DENOISERS), size=len(blob) // int(raw.min()) + 1, p=SHARES)
        ends = np.cumsum(raw[picks])
        count = int(np.searchsorted(ends, len(blob))) + 1  # the first piece reaching the end
        picks = picks[:count]
        starts = ends[:count] - raw[picks]
        tail = bool(ends[count - 1] > len(blob))  # the last piece is short
        out: list[Example | None] = [None] * count
        for j, d in enumerate(DENOISERS):
            rows = np.flatnonzero(picks[: count - 1 if tail else count] == j)
            if not len(rows):
                continue
            tokens = blob[starts[rows, None] + np.arange(raw[j])]  # [rows, raw[j]]
            for i, ex in zip(rows.tolist(), self._denoise(d, tokens, rng, vocab_size), strict=True):
                out[i] = ex
        if tail:
            d = DENOISERS[picks[-1]]
            out[-1] = self._denoise_tail(d, blob[starts[-1] :], rng, vocab_size)
        for i, ex in enumerate(out):
            mode = modes[DENOISERS[picks[i]].mode]
            out[i] = {"inputs": np.concatenate([mode, ex["inputs"]]), "targets": ex["targets"]}
        return out
