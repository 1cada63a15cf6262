"""Eval-set decontamination, the pure core (docs/DEDUP.md §5-§6; issue 14, part 2).

A page is contaminated when it shares a normalized word n-gram with an evaluation example's
text; a contaminated page is dropped **whole** (datatrove's `NGramsDecontFilter`, dolma's
mixer). GPT-3's and NeMo Curator's alternative, cutting the match plus 200 characters on each
side out of the page and splitting it, is not what this does, nor their "ignore n-grams seen in
more than 10 documents" rule (it needs a second pass over the corpus and would spare an eval
example copied into many pages).

- **Words**: `minhash.normalize_words` (lower case, numbers -> "0", punctuation -> space,
  diacritics dropped, split on whitespace): datatrove's `simplify_text` without spaCy, and
  GPT-3's "lowercase, whitespace delimited word with no punctuation".
- **Eval n-grams** (NeMo Curator's `_update_ngrams(min_ngram_size=8, max_ngram_size=13)`): a
  text of at least `ngram` words gives every `ngram`-gram; a text of `min_words` .. `ngram - 1`
  words is one whole-text n-gram; a shorter text is skipped and counted per task (it can never
  be found).
- **Hashes**: an n-gram's 64-bit hash folds its words' hashes (`minhash.word_hash`: blake2b, 8
  bytes, little-endian), h = sum of w_j * F^(n-1-j) mod 2^64 (`minhash.fold_ngrams`, which the
  index and the scan both call, so they agree by construction; shingles use it too).
- **Exact matches**: a hash hit counts only after the page's normalized words are compared with
  the eval n-gram's words (as ids of the index's vocabulary, one id per word), so a hash
  collision never drops a page: no Bloom-filter false positives (the Bloom filter below only
  chooses where to look).
- **Scan** (`find_contamination_batch`, vectorized over a batch of pages): words -> vocabulary
  ids (0 for a word no eval text has: no n-gram holding it can match) -> word hashes -> the
  P-gram hash at every position (P = the shortest indexed n-gram) -> a two-probe Bloom filter
  of the eval n-grams' P-word prefixes (16 bits per n-gram: 1.4% of positions pass by chance)
  -> for those positions only, the full-length hashes by extending the fold, one binary search
  in the sorted key array, and the few hits confirmed word by word in Python.
"""

from __future__ import annotations

import bisect
import collections
import dataclasses
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from typing import NamedTuple

import numpy as np

from c4forge.corpus.minhash import FOLD, fold_ngrams, normalize_words, word_hashes

_BITS_PER_NGRAM = 16  # prefix Bloom filter: ~1.4% of page positions are false candidates
_UNKNOWN = 0  # the word id of every word outside the index's vocabulary (and of separators)


@dataclasses.dataclass(frozen=True)
class DecontaminationConfig:
    """NeMo Curator's defaults: 13-grams; texts of 8-12 words are one whole-text n-gram; texts
    under 8 words are skipped (GPT-3's measurement also used 8 as its shortest n-gram)."""

    ngram: int = 13
    min_words: int = 8

    def __post_init__(self) -> None:
        for name in ("ngram", "min_words"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"decontamination {name} must be a positive integer, not {value!r}"
                )

    @property
    def shortest(self) -> int:
        """The fewest words an indexed n-gram has."""
        return min(self.min_words, self.ngram)


class Match(NamedTuple):
    """One eval example found in a page: its task, its id, and the page's normalized n-gram
    (words joined by spaces) that matched it first."""

    task: str
    example_id: str
    ngram: str


def ngram_hash(words: Sequence[str]) -> int:
    """The hash of one n-gram (any n >= 1): `fold_ngrams` of its word hashes."""
    return int(fold_ngrams(word_hashes(words), len(words))[0])


class EvalIndex:
    """The eval n-grams of a set of (task, example id, text) triples, for `find_contamination`.

    Compact and picklable (numpy arrays, lists of strings; the word -> id dict is rebuilt after
    unpickling): distinct normalized texts are stored once as word ids (`corpus`); each n-gram
    as its hash (`keys`, sorted) and, at the same place of `occ_start`, its start in `corpus`.
    `to_bytes`/`from_bytes` give a file form (numpy's npz, no pickle). Build it with
    `build_index`."""

    _ARRAYS = (
        "word_hashes", "corpus", "text_starts", "keys", "occ_start", "prefix_bits",
        "text_example_starts", "text_examples", "example_task",
    )  # fmt: skip

    def __init__(self, config: DecontaminationConfig, arrays: Mapping[str, np.ndarray], meta):
        self.config = config
        for name in self._ARRAYS:
            setattr(self, name, arrays[name])
        self.words: tuple[str, ...] = tuple(meta["words"])  # id i + 1 is words[i]
        self.tasks: tuple[str, ...] = tuple(meta["tasks"])
        self.example_ids: list[str] = list(meta["example_ids"])
        self.task_stats: dict[str, dict[str, int]] = dict(meta["task_stats"])
        self.lengths: tuple[int, ...] = tuple(meta["lengths"])  # the n-gram lengths present
        self.prefix_shift = np.uint64(meta["prefix_shift"])
        self.ngram_count: int = int(meta["ngrams"])  # distinct eval n-grams (by hash)
        self._vocab: dict[str, int] | None = None

    @property
    def vocab(self) -> dict[str, int]:
        """word -> id (1 ..), built on first use."""
        if self._vocab is None:
            self._vocab = {w: i for i, w in enumerate(self.words, start=1)}
        return self._vocab

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_vocab"] = None  # rebuilt where it is used: smaller to ship
        return state

    def task_summary(self) -> dict[str, dict[str, int]]:
        """task -> examples (all read), detectable_examples (with a text of at least
        `min_words` words), texts, short_texts (skipped)."""
        return {task: dict(self.task_stats[task]) for task in self.tasks}

    def _meta(self) -> dict:
        return {
            "config": dataclasses.asdict(self.config),
            "words": list(self.words),
            "tasks": list(self.tasks),
            "example_ids": self.example_ids,
            "task_stats": self.task_stats,
            "lengths": list(self.lengths),
            "prefix_shift": int(self.prefix_shift),
            "ngrams": self.ngram_count,
        }

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        meta = np.frombuffer(json.dumps(self._meta()).encode("utf-8"), dtype=np.uint8)
        np.savez(out, meta=meta, **{name: getattr(self, name) for name in self._ARRAYS})
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> EvalIndex:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            meta = json.loads(npz["meta"].tobytes().decode("utf-8"))
            arrays = {name: npz[name] for name in cls._ARRAYS}
        return cls(DecontaminationConfig(**meta["config"]), arrays, meta)


def build_index(texts: Iterable[tuple[str, str, str]], config: DecontaminationConfig) -> EvalIndex:
    """The index of (task, example_id, text) triples; an example may give several texts (one
    per text feature). Texts under `min_words` normalized words are skipped and counted."""
    vocab: dict[str, int] = {}
    distinct: dict[bytes, int] = {}  # word ids of a normalized text -> its text number
    pieces: list[np.ndarray] = []
    examples: dict[tuple[str, str], int] = {}
    links: set[tuple[int, int]] = set()  # (text, example)
    stats: dict[str, collections.Counter] = {}
    for task, example_id, text in texts:
        key = (task, str(example_id))
        task_stats = stats.setdefault(task, collections.Counter())
        example = examples.get(key)
        if example is None:
            example = examples[key] = len(examples)
            task_stats["examples"] += 1
        task_stats["texts"] += 1
        words = normalize_words(text)
        if len(words) < config.min_words:
            task_stats["short_texts"] += 1
            continue
        ids = np.array([vocab.setdefault(w, len(vocab) + 1) for w in words], dtype=np.int32)
        number = distinct.setdefault(ids.tobytes(), len(distinct))
        if number == len(pieces):
            pieces.append(ids)
        links.add((number, example))
    return _assemble(config, vocab, pieces, examples, links, stats)


def _assemble(config, vocab, pieces, examples, links, stats) -> EvalIndex:
    """The arrays of `EvalIndex` from what `build_index` gathered."""
    lens = np.array([p.size for p in pieces], dtype=np.int64)
    text_starts = np.zeros(lens.size + 1, dtype=np.int64)
    np.cumsum(lens, out=text_starts[1:])
    corpus = np.concatenate(pieces) if pieces else np.empty(0, dtype=np.int32)
    hashes = np.zeros(len(vocab) + 1, dtype=np.uint64)
    hashes[1:] = word_hashes(list(vocab))  # dicts keep insertion order: id order
    h_all = hashes[corpus]  # [W]
    ngram_len = np.minimum(lens, config.ngram)  # every text's n-gram length
    lengths = sorted({int(n) for n in ngram_len})
    shortest = config.shortest
    prefix = fold_ngrams(h_all, shortest)  # [W - P + 1]: P-gram hash at every position
    keys, starts = [], []
    h = prefix
    for length in range(shortest, config.ngram + 1):
        if length > shortest:
            with np.errstate(over="ignore"):
                h = h[:-1] * FOLD + h_all[length - 1 :]
        chosen = np.flatnonzero(ngram_len == length)
        if chosen.size == 0:
            continue
        per_text = lens[chosen] - length + 1  # n-grams of each chosen text
        # Every start of an n-gram inside its text: text_start + 0 .. per_text - 1, for all the
        # chosen texts at once (arange over the total, minus each text's offset in it).
        offset = np.cumsum(per_text) - per_text
        positions = np.repeat(text_starts[chosen] - offset, per_text) + np.arange(per_text.sum())
        keys.append(h[positions])
        starts.append(positions)
    all_keys = np.concatenate(keys) if keys else np.empty(0, dtype=np.uint64)
    occ_start = np.concatenate(starts) if starts else np.empty(0, dtype=np.int64)
    order = np.argsort(all_keys, kind="stable")
    all_keys, occ_start = all_keys[order], occ_start[order]
    distinct = int(np.count_nonzero(np.diff(all_keys))) + 1 if all_keys.size else 0
    prefix_bits, shift = _prefix_bitmap(prefix[occ_start], distinct)
    pairs = np.array(sorted(links), dtype=np.int64).reshape(-1, 2)
    text_example_starts = np.searchsorted(pairs[:, 0], np.arange(lens.size + 1))
    tasks = sorted(stats)
    task_number = {task: i for i, task in enumerate(tasks)}
    example_keys = list(examples)
    # An example is detectable when one of its texts was indexed.
    detectable = collections.Counter(example_keys[e][0] for e in np.unique(pairs[:, 1]).tolist())
    for task in tasks:
        stats[task]["detectable_examples"] = detectable[task]
    arrays = {
        "word_hashes": hashes,
        "corpus": corpus,
        "text_starts": _compact(text_starts),
        "keys": all_keys,  # sorted; a hash held by several n-grams appears once for each
        "occ_start": _compact(occ_start),
        "prefix_bits": prefix_bits,
        "text_example_starts": _compact(text_example_starts),
        "text_examples": pairs[:, 1].astype(np.int32),
        "example_task": np.array([task_number[k[0]] for k in example_keys], dtype=np.int32),
    }
    meta = {
        "words": list(vocab),
        "tasks": tasks,
        "example_ids": [k[1] for k in example_keys],
        "task_stats": {t: {k: int(stats[t][k]) for k in _STAT_NAMES} for t in tasks},
        "lengths": lengths,
        "prefix_shift": shift,
        "ngrams": distinct,
    }
    return EvalIndex(config, arrays, meta)


_STAT_NAMES = ("examples", "detectable_examples", "texts", "short_texts")


def _compact(positions: np.ndarray) -> np.ndarray:
    """int32 when every value fits (halves the largest arrays of the index), else int64."""
    if positions.size == 0 or int(positions.max()) < 2**31:
        return positions.astype(np.int32)
    return positions.astype(np.int64)


def _prefix_bitmap(prefixes: np.ndarray, ngrams: int) -> tuple[np.ndarray, int]:
    """A two-probe Bloom filter of the prefix hashes: a bitmap (uint8, little-endian bit order)
    of the next power of two >= `_BITS_PER_NGRAM` bits per n-gram, each prefix setting the bit
    numbered by its top bits and the one numbered by its low bits (a page position passes by
    chance with probability ~(1 - e^(-2/16))^2 = 1.4%); and the shift giving the top bits."""
    bits = max(1 << 10, 1 << int(np.ceil(np.log2(max(1, ngrams * _BITS_PER_NGRAM)))))
    shift = 64 - int(np.log2(bits))
    bitmap = np.zeros(bits // 8, dtype=np.uint8)
    for numbers in _bit_numbers(prefixes, shift, bits):
        numbers = np.unique(numbers)
        np.bitwise_or.at(
            bitmap,
            (numbers >> np.uint64(3)).astype(np.intp),
            np.left_shift(1, (numbers & np.uint64(7)).astype(np.uint8)).astype(np.uint8),
        )
    return bitmap, shift


def _bit_numbers(prefixes: np.ndarray, shift, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The two bit numbers of each prefix hash (uint64 arrays)."""
    return prefixes >> np.uint64(shift), prefixes & np.uint64(bits - 1)


def _in_bitmap(bitmap: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """Whether each bit number's bit is set (uint8 0/1)."""
    by = bitmap[(numbers >> np.uint64(3)).astype(np.intp)]
    return (by >> (numbers & np.uint64(7)).astype(np.uint8)) & np.uint8(1)


def find_contamination(text: str, index: EvalIndex, config: DecontaminationConfig) -> list[Match]:
    """The eval examples (one `Match` each, sorted by task and id) whose n-grams occur in the
    page's text, every hit confirmed on the words. Any match means the whole page is dropped."""
    return find_contamination_batch([text], index, config)[0]


def find_contamination_batch(
    texts: Sequence[str], index: EvalIndex, config: DecontaminationConfig
) -> list[list[Match]]:
    """`find_contamination` of each text, scanning the batch as one array (much cheaper per page
    than one call each: numpy's per-call cost is paid once per batch)."""
    if config != index.config:
        raise ValueError(f"the eval index was built for {index.config}, not {config}")
    vocab_get = index.vocab.get
    words_of: list[list[str]] = []
    starts: list[int] = []  # each page's first position in `ids`
    flat: list[int] = []
    for text in texts:
        words = normalize_words(text)
        words_of.append(words)
        starts.append(len(flat))
        flat.extend(map(vocab_get, words, repeat(_UNKNOWN)))
        flat.append(_UNKNOWN)  # a separator: an n-gram across two pages holds an unknown word
    flat.extend(repeat(_UNKNOWN, config.ngram))  # room to extend the fold past the last page
    ids = np.array(flat, dtype=np.int32)
    found: list[dict[tuple[str, str], str]] = [{} for _ in texts]
    for position, length, first in _hits(ids, index):
        page = bisect.bisect_right(starts, position) - 1
        for example in _confirmed(ids, position, length, first, index):
            match_key = (index.tasks[index.example_task[example]], index.example_ids[example])
            if match_key not in found[page]:
                offset = position - starts[page]
                found[page][match_key] = " ".join(words_of[page][offset : offset + length])
    return [[Match(t, e, ngram) for (t, e), ngram in sorted(page.items())] for page in found]


def _hits(ids: np.ndarray, index: EvalIndex) -> list[tuple[int, int, int]]:
    """(position, n-gram length, first place of the hash in `index.keys`) of every position
    whose n-gram hash is a key, in page order."""
    if index.keys.size == 0:
        return []
    h_all = index.word_hashes[ids]
    shortest = index.config.shortest
    prefix = fold_ngrams(h_all, shortest)
    top, low = _bit_numbers(prefix, index.prefix_shift, index.prefix_bits.size * 8)
    candidate = _in_bitmap(index.prefix_bits, top)
    candidate &= _in_bitmap(index.prefix_bits, low)
    positions = np.flatnonzero(candidate)
    # An n-gram starting on an unknown word cannot match; this also keeps every position a page
    # word, at least `ngram` places before the end (the padding), so extending stays in bounds.
    positions = positions[ids[positions] != _UNKNOWN]
    if positions.size == 0:
        return []
    # The full-length hash of each candidate, for each n-gram length the index has; then one
    # binary search over all of them, sorted (numpy's search then walks the keys forward,
    # mostly in cache, ~10x faster than in page order).
    h = prefix[positions]
    queries, query_pos, query_len = [], [], []
    with np.errstate(over="ignore"):
        for length in range(shortest, index.config.ngram + 1):
            if length > shortest:
                h = h * FOLD + h_all[positions + (length - 1)]
            if length in index.lengths:
                queries.append(h)
                query_pos.append(positions)
                query_len.append(np.full(positions.size, length, dtype=np.int64))
    queries_all = np.concatenate(queries)
    order = np.argsort(queries_all)
    sorted_queries = queries_all[order]
    keys = index.keys
    at = np.minimum(np.searchsorted(keys, sorted_queries), keys.size - 1)
    ok = np.flatnonzero(keys[at] == sorted_queries)
    found = order[ok]
    # In page order, so that a page's first match is its earliest n-gram.
    return sorted(
        zip(
            np.concatenate(query_pos)[found].tolist(),
            np.concatenate(query_len)[found].tolist(),
            at[ok].tolist(),
            strict=True,
        )
    )


def _confirmed(ids: np.ndarray, position: int, length: int, first: int, index: EvalIndex):
    """The examples whose text holds, as one of its indexed n-grams, exactly the page's words
    ids[position : position + length] (a hash hit checked word by word). `first`: the first
    place of the hash in the sorted keys; the n-grams sharing it follow."""
    window = ids[position : position + length]
    keys = index.keys
    occurrence = first
    while occurrence < keys.size and keys[occurrence] == keys[first]:
        start = int(index.occ_start[occurrence])
        occurrence += 1
        text = int(np.searchsorted(index.text_starts, start, side="right")) - 1
        text_len = int(index.text_starts[text + 1] - index.text_starts[text])
        if min(text_len, index.config.ngram) != length:
            continue
        if np.array_equal(window, index.corpus[start : start + length]):
            first, last = index.text_example_starts[text], index.text_example_starts[text + 1]
            yield from index.text_examples[first:last].tolist()
