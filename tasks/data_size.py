"""Pre-training on a capped amount of data, repeated: the T5 study's data-set size (Table 9).

Raffel et al. 2020 §3.4.2 (STUDY.md §4): C4 truncated to 2^29, 2^27, 2^25 or 2^23 tokens and
repeated over the 2^35-token pre-training (2^19 steps x 128 rows x 512 tokens), i.e. 64 to
4,096 repeats. Here the cap is `data_tokens` source tokens, the SentencePiece ids of the
documents (no EOS) in the order the fast feed reads them (`tasks.feed.RecordTaskStream`):
- each epoch takes exactly the first `data_tokens` of them, the document that reaches the cap
  cut short, so every epoch sees the same tokens; the objective's noise differs per epoch (the
  epoch is part of its seed), as when T5 repeats a truncated data set through its preprocessors;
- on shard i of k (one per host) the cap is split over the shards (`shard_share`), each shard
  taking the first tokens of its own files, so the shards together take `data_tokens`;
- in a mixture every task is capped at `data_tokens` on its own.
`planned_repeats` is the paper's accounting of the repeats (Table 9's "Repeats" column);
`passes` counts the passes read so far from the feed's task streams.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["passes", "planned_repeats", "shard_share", "take_tokens"]


def shard_share(data_tokens: int, shard_index: int, shard_count: int) -> int:
    """Shard `shard_index`'s part of the cap: equal parts, the remainder to the first shards."""
    if data_tokens < shard_count:
        raise ValueError(
            f"data_tokens={data_tokens} cannot be split over {shard_count} shards: "
            f"use 0 (no cap) or at least {shard_count}"
        )
    return data_tokens // shard_count + (shard_index < data_tokens % shard_count)


def take_tokens(docs: Sequence[Sequence[int]], budget: int) -> list[Sequence[int]]:
    """The first `budget` tokens of `docs` (lists of ids, in order), the last document cut."""
    out, left = [], budget
    for doc in docs:
        if left <= 0:
            break
        out.append(doc[:left])
        left -= len(out[-1])
    return out


def planned_repeats(steps: int, batch_size: int, inputs_length: int, data_tokens: int) -> float:
    """steps x batch_size x inputs_length / data_tokens: the paper's repeats (2^35 / 2^29 = 64).

    The paper counts each pre-training row as inputs_length tokens (2^16 = 128 x 512 per step).
    """
    if data_tokens < 1:
        raise ValueError(f"data_tokens must be >= 1 to count repeats, got {data_tokens}")
    return steps * batch_size * inputs_length / data_tokens


def passes(
    stream_states: Sequence[Mapping], data_tokens: int, shard_index: int = 0, shard_count: int = 1
) -> float:
    """Passes read so far over the capped data, from the states of a feed's task streams:
    epochs + the part of the epoch before the current group of documents; the largest over a
    mixture's tasks."""
    cap = shard_share(data_tokens, shard_index, shard_count)
    records = [s for s in stream_states if "tokens" in s]  # record streams only
    return max((s["epoch"] + s["tokens"] / cap for s in records), default=0.0)
