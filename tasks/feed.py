"""Training input: a task or mixture -> packed `EncDecFeatureConverter` batches as numpy, resumable.

`Feed(name, feature_lengths, batch_size, shard_index=, shard_count=, seed=)` is what the trainer
iterates. Each batch is a dict of int32 [batch_size, length] arrays (`encoder_input_tokens`,
`decoder_target_tokens`, `decoder_input_tokens`, `decoder_loss_weights`, and segment ids and
positions when packed). `feed.state()` is a small JSON-able dict taken between batches;
`Feed(..., state=s)` continues with exactly the batch that would have come next.

Two ways to make a task's examples, same examples either way:
- straight from TFRecords, for tasks registered with a `registry.RecordFeedSource` (our C4
  tasks, derived from their `tasks.c4_tasks.C4TaskSpec`): records read in seqio's order
  (`tasks.records`) and decoded by `corpus.records`, SentencePiece on whole groups of documents,
  the objective in numpy with the seed seqio gives it (`tasks.seqio_compat`), seqio's EOS and
  trimming rules; no tf.data. Its state is the reader's file offsets and the group/offset
  within it, so restoring costs one group.
- seqio's own `Task.get_dataset` (any task); restoring replays the examples before the state.
Both are then packed exactly as seqio's `EncDecFeatureConverter(pack=True)` packs
(`tasks.packing`, windows of max(lengths) examples). For one task, shard 0 of 1, epoch 0, the
TFRecord path equals `seqio.get_dataset(name, lengths, EncDecFeatureConverter(pack=True),
shuffle=False, seed=seed)` batch for batch (tested).

`data_tokens=N` trains on each task's first N source tokens only, repeated epoch after epoch (the
T5 study's data-set size, `tasks.data_size`); a stream's state counts its epoch's source tokens.

`features="lm"` or `"prefix_lm"` (a decoder-only model's `T5Config.feature_kind`) packs each
example's inputs and targets concatenated instead, as seqio's `PrefixLMFeatureConverter` does
(`tasks.packing`), into rows of inputs + targets length: equal to `seqio.get_dataset(name,
lengths, PrefixLMFeatureConverter(pack=True, loss_on_targets_only=...))` batch for batch (tested;
"lm" puts the loss on every token and has no `decoder_causal_attention`).

Mixtures sample tasks with seqio's normalised rates (`Mixture.get_rate`) from a counter-keyed
generator, so the choice for example k depends only on (seed, shard, k). Tasks repeat forever
(the epoch enters the objective's seed); a task whose split is missing is left out, as seqio does.
Differences from seqio, by design: no example shuffle buffer (documents are mixed by the C4
build already; groups are random chunks), and different random bits (see `tasks.objectives`).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator, Mapping

import numpy as np
import seqio

from c4forge.corpus.records import decode_feature
from c4forge.tasks import data_size, packing, registry, seqio_compat
from c4forge.tasks.objectives import for_vocabulary, group_rng
from c4forge.tasks.records import InterleavedReader

_CHOICE_BLOCK = 4096


def _finish(example: Mapping[str, np.ndarray], features, lengths) -> dict[str, np.ndarray]:
    """seqio's `append_eos_after_trim` then the Task's trim, for the features being fed."""
    out = {}
    for key, length in lengths.items():
        value = example[key]
        if features[key].add_eos:
            value = value[: length - 1]
            done = np.empty(len(value) + 1, np.int32)
            done[:-1] = value
            done[-1] = features[key].vocabulary.eos_id
            out[key] = done
        else:
            out[key] = np.asarray(value[:length], np.int32)
    return out


class RecordTaskStream:
    """Examples of one task with a `RecordFeedSource`, on one shard, forever (epoch after
    epoch)."""

    def __init__(
        self,
        task: seqio.Task,
        spec: registry.RecordFeedSource,
        split,
        lengths,
        seed,
        shard,
        data_tokens: int = 0,
    ):
        files = list(spec.files.get(split, ()))
        self.shard_index, self.shard_count = shard
        if len(files) < self.shard_count:
            raise ValueError(
                f"{task.name}: {len(files)} {split} files cannot feed {self.shard_count} shards"
            )
        self.files = files[self.shard_index :: self.shard_count]
        self.spec = spec
        self.lengths = lengths
        self.features = task.output_features
        self.vocab = self.features["targets"].vocabulary
        # What the objective takes from the vocabulary (UL2's mode tokens), as the seqio path.
        self.objective = for_vocabulary(spec.objective, self.vocab)
        if hasattr(self.objective, "lengths"):  # impossible lengths: an error now, not mid-run
            self.objective.lengths(lengths)
        # The objective runs where the task's chain runs it: right after the cache placeholder.
        self.seed = seed + seqio_compat.post_cache_seed_offset(task)
        self.reader = InterleavedReader(self.files)
        # data_tokens: source tokens per epoch on this shard (tasks/data_size.py); 0: all.
        self.name, self.cap = task.name, 0
        if data_tokens:
            self.cap = data_size.shard_share(data_tokens, self.shard_index, self.shard_count)
        self._state = {"epoch": 0, "group": 0, "offset": 0, "reader": self.reader.state()}
        self._state["tokens"] = 0  # source tokens of this epoch before the current group
        self._examples: list[dict] | None = None
        self._group_tokens = 0

    def state(self) -> dict:
        return copy.deepcopy(self._state)

    def restore(self, state: dict) -> None:
        self._state = copy.deepcopy(state)
        self._state.setdefault("tokens", 0)  # states saved before data_tokens existed
        self.reader.restore(self._state["reader"])
        self._examples = None

    def _read_group(self) -> list[bytes]:
        texts = []
        for record in self.reader:
            texts.append(decode_feature(record, self.spec.text_key) or b"")
            if len(texts) == self.spec.objective.docs_per_group:
                break
        return texts

    def _load_group(self) -> None:
        capped = self.cap and self._state["tokens"] >= self.cap
        texts = [] if capped else self._read_group()
        if not texts:  # end of epoch (or of the capped data): start again from the first file
            if self.cap and not capped:
                raise ValueError(
                    f"{self.name}: data_tokens asks for {self.cap} source tokens per epoch "
                    f"(shard {self.shard_index} of {self.shard_count}) but its files hold "
                    f"{self._state['tokens']}: lower data_tokens, or 0 for no cap"
                )
            self._state.update(epoch=self._state["epoch"] + 1, group=0, tokens=0)
            self.reader.restore(InterleavedReader(self.files).state())
            self._state["reader"] = self.reader.state()
            texts = self._read_group()
            if not texts:
                raise ValueError(f"no documents in {self.files}")
        ids = self.vocab.tokenizer.encode([t.decode("utf-8") for t in texts], out_type=int)
        if self.cap:
            ids = data_size.take_tokens(ids, self.cap - self._state["tokens"])
        self._group_tokens = sum(map(len, ids))
        # One conversion for the whole group, then views per document.
        flat = np.fromiter(itertools.chain.from_iterable(ids), np.int32, self._group_tokens)
        docs = np.split(flat, np.cumsum([len(d) for d in ids[:-1]]))
        st = self._state
        rng = group_rng(
            self.seed,
            st["group"],
            shard_index=self.shard_index,
            shard_count=self.shard_count,
            epoch=st["epoch"],
        )
        made = self.objective.examples(docs, rng, self.lengths, self.vocab.vocab_size)
        self._examples = [_finish(ex, self.features, self.lengths) for ex in made]

    def __next__(self) -> dict[str, np.ndarray]:
        while True:
            if self._examples is None:
                self.reader.restore(self._state["reader"])
                self._load_group()
            st = self._state
            if st["offset"] < len(self._examples):
                example = self._examples[st["offset"]]
                st["offset"] += 1
                return example
            # Next group: remember where the reader is, so a restore re-reads just that group.
            st.update(group=st["group"] + 1, offset=0, reader=self.reader.state())
            st["tokens"] += self._group_tokens
            self._examples = None


class SeqioTaskStream:
    """Examples of any seqio task from `Task.get_dataset`; restore replays up to the position."""

    def __init__(self, task: seqio.Task, split, lengths, seed, shard):
        self.task, self.split, self.lengths, self.seed = task, split, lengths, seed
        self.shard = seqio.ShardInfo(index=shard[0], num_shards=shard[1])
        self.restore({"seen": 0})

    def state(self) -> dict:
        return {"seen": self._seen}

    def restore(self, state: dict) -> None:
        ds = self.task.get_dataset(
            self.lengths,
            split=self.split,
            shuffle=False,
            seed=self.seed,
            shard_info=self.shard,
            num_epochs=None,
        )
        self._it = ds.as_numpy_iterator()
        self._seen = 0
        for _ in range(state["seen"]):
            next(self)

    def __next__(self) -> dict[str, np.ndarray]:
        example = next(self._it)
        self._seen += 1
        return {k: np.asarray(example[k], np.int32) for k in self.lengths}


def _stream(task, split, lengths, seed, shard, data_tokens=0):
    spec = registry.record_feed_source(task.name)
    if spec is not None and split in spec.files:
        return RecordTaskStream(task, spec, split, lengths, seed, shard, data_tokens)
    if data_tokens:  # its source tokens are not visible before its preprocessors
        raise ValueError(
            f"data_tokens caps tasks fed from their TFRecords (a RecordFeedSource); "
            f"{task.name} has none: use data_tokens=0"
        )
    return SeqioTaskStream(task, split, lengths, seed, shard)


class Feed(Iterator[dict[str, np.ndarray]]):
    """Packed (or padded) encoder-decoder batches of a registered task or mixture."""

    def __init__(
        self,
        name: str,
        feature_lengths: Mapping[str, int],
        batch_size: int,
        *,
        shard_index: int = 0,
        shard_count: int = 1,
        seed: int = 0,
        split: str = "train",
        pack: bool = True,
        state: dict | None = None,
        data_tokens: int = 0,
        features: str = "encdec",  # T5Config.feature_kind: "encdec", "lm" or "prefix_lm"
    ):
        packing.check_feature_kind(features)
        if not 0 <= shard_index < shard_count:
            raise ValueError(f"shard_index {shard_index} is not in [0, {shard_count})")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        try:
            provider = seqio.get_mixture_or_task(name)
        except ValueError:
            raise ValueError(f"unknown task or mixture {name!r}") from None
        self.lengths = {
            "inputs": int(feature_lengths["inputs"]),
            "targets": int(feature_lengths["targets"]),
        }
        self.batch_size, self.pack, self.seed = batch_size, pack, seed
        self.features = features
        self.shard = (shard_index, shard_count)
        tasks = list(provider.tasks) if isinstance(provider, seqio.Mixture) else [provider]
        rates = (
            [provider.get_rate(t) for t in tasks] if isinstance(provider, seqio.Mixture) else [1.0]
        )
        chosen = [(t, r) for t, r in zip(tasks, rates, strict=True) if r > 0 and split in t.splits]
        if not chosen:
            raise ValueError(f"{name}: no task with a positive rate has a {split!r} split")
        for task, _ in chosen:
            if "inputs" not in task.output_features:
                raise ValueError(
                    f"{task.name} has no 'inputs' feature: it is not an encoder-decoder task"
                )
        self.tasks = [t for t, _ in chosen]
        total = sum(r for _, r in chosen)
        self.probabilities = np.array([r / total for _, r in chosen])
        self.streams = [
            _stream(t, split, self.lengths, seed, self.shard, data_tokens) for t in self.tasks
        ]
        window = max(packing.packed_lengths(self.lengths, features).values())
        self._window_size = window if pack else batch_size
        self._choices: tuple[int, np.ndarray] | None = None
        self.restore(
            state or {"examples": 0, "streams": [s.state() for s in self.streams], "rows_done": 0}
        )

    # -- state --------------------------------------------------------------------------
    def state(self) -> dict:
        """Where the next batch starts: the window's start and the rows already batched."""
        return {
            "examples": self._window_start["examples"],
            "streams": copy.deepcopy(self._window_start["streams"]),
            "rows_done": self._rows_done,
        }

    def restore(self, state: dict) -> None:
        if len(state["streams"]) != len(self.streams):
            raise ValueError("this state belongs to a different task or mixture")
        self._examples_made = state["examples"]
        for stream, s in zip(self.streams, state["streams"], strict=True):
            stream.restore(s)
        self._window_start = {
            "examples": state["examples"],
            "streams": copy.deepcopy(state["streams"]),
        }
        self._rows: dict[str, np.ndarray] | None = None
        self._rows_done = 0
        if state["rows_done"]:
            self._make_window()
            self._rows_done = state["rows_done"]

    # -- making examples ----------------------------------------------------------------
    def _choose(self, k: int) -> int:
        if len(self.streams) == 1:
            return 0
        block = k // _CHOICE_BLOCK
        if self._choices is None or self._choices[0] != block:
            rng = np.random.default_rng([self.seed % (1 << 63), *self.shard, block])
            self._choices = (
                block,
                rng.choice(len(self.streams), _CHOICE_BLOCK, p=self.probabilities),
            )
        return int(self._choices[1][k % _CHOICE_BLOCK])

    def _next_example(self) -> dict[str, np.ndarray]:
        index = self._choose(self._examples_made)
        self._examples_made += 1
        return next(self.streams[index])

    def _make_window(self) -> None:
        self._window_start = {
            "examples": self._examples_made,
            "streams": [s.state() for s in self.streams],
        }
        examples = [self._next_example() for _ in range(self._window_size)]
        self._rows = packing.rows_for(examples, self.lengths, self.pack, self.features)
        self._rows_done = 0

    def _take_rows(self, n: int) -> dict[str, np.ndarray]:
        if self._rows is None or self._rows_done == len(self._rows["targets"]):
            self._make_window()
        take = min(n, len(self._rows["targets"]) - self._rows_done)
        part = {k: v[self._rows_done : self._rows_done + take] for k, v in self._rows.items()}
        self._rows_done += take
        return part

    def __next__(self) -> dict[str, np.ndarray]:
        parts, have = [], 0
        while have < self.batch_size:
            part = self._take_rows(self.batch_size - have)
            parts.append(part)
            have += len(part["targets"])
        rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        return packing.model_features(rows, self.pack, self.features)


def training_input(
    name: str, feature_lengths: Mapping[str, int], batch_size: int, **options
) -> Feed:
    """The trainer's entry point: `Feed(name, feature_lengths, batch_size, **options)`.

    options: shard_index, shard_count, seed, split, pack, state, data_tokens, features (see
    `Feed`).
    """
    return Feed(name, feature_lengths, batch_size, **options)
