"""MinHash signatures and LSH bands of a page, and the exact Jaccard check of a candidate pair
(docs/DEDUP.md §1-3). Pure numpy; the Beam stage is `pipelines.near_dedup`.

Shingles are word n-grams of the normalized text (`normalize_words`: lower case, numbers -> "0",
punctuation -> space, diacritics dropped; datatrove's `simplify_text` rules without spaCy, so
words are split on whitespace). Each shingle is hashed to 32 bits (`shingle_hashes`: words are
hashed once with blake2b, n consecutive word hashes are folded and mixed in numpy), then
permuted as datatrove and datasketch do, `((a * h + b) mod (2^61 - 1)) & (2^32 - 1)` with the
uint64 product wrapping (datasketch's `MinHash.update` exactly, so a datasketch `MinHash` given
our permutations and shingle hashes has our signature; tests check it). `a` and `b` come from
`numpy.random.RandomState(seed)` drawn as datatrove draws them (all `a`, then all `b`).

A page with fewer than `ngram` words has no shingles and no signature: it is never a near
duplicate (as in datatrove). Bands: the signature cut into `bands` runs of `rows` values, each
run hashed to 64 bits and keyed with its band number; two pages sharing a (band, hash) are a
candidate pair, found with probability 1 - (1 - s^rows)^bands at Jaccard similarity s.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import sys
import unicodedata
from collections.abc import Sequence

import numpy as np

MERSENNE_61 = (1 << 61) - 1
MAX_HASH_32 = (1 << 32) - 1
_CHUNK = 256  # shingles permuted at once: a (chunk, num_perm) uint64 block stays in cache
_WORD_CACHE_MAX = 1 << 20  # word hashes remembered per process (then forgotten at once)
# Connected-components rounds (large-star + small-star pairs) the near-dedup job unrolls:
# chains of ~1,000 near duplicates converge in 8 (pipelines.near_dedup).
DEFAULT_CLUSTER_ROUNDS = 8


@dataclasses.dataclass(frozen=True)
class MinHashConfig:
    """FineWeb's defaults (datatrove `MinhashConfig`): 5-grams, 14 bands x 8 rows, seed 1.

    `threshold`: candidate pairs are verified; a pair is a near duplicate when the exact Jaccard
    similarity of its shingle-hash sets is at least this. 14 x 8 makes 92% of the pairs at 0.8
    candidates and 99.96% at 0.9 (1 - (1 - s^8)^14)."""

    ngram: int = 5
    bands: int = 14
    rows: int = 8
    seed: int = 1
    threshold: float = 0.8

    def __post_init__(self) -> None:
        for name in ("ngram", "bands", "rows"):
            if getattr(self, name) < 1:
                raise ValueError(f"MinHash {name} must be at least 1, not {getattr(self, name)}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"near-dedup threshold must be in (0, 1], not {self.threshold}")

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """P(two pages at Jaccard `similarity` share a band): the LSH S-curve."""
    return 1.0 - (1.0 - similarity**rows) ** bands


@functools.cache
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b), uint64 arrays of `num_perm`: all `a` then all `b` from RandomState(seed)."""
    rng = np.random.RandomState(seed)
    a = rng.randint(1, MERSENNE_61, size=num_perm, dtype=np.uint64)
    b = rng.randint(0, MERSENNE_61, size=num_perm, dtype=np.uint64)
    return a, b


# --- normalization ------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d+(?:[.,\u060c\u066b\u2396\u2397\u2398]\d+)?")
_NOT_WORD = re.compile(r"[^\w\s]|_")
# The same rule as a `str.translate` table for ASCII text (CPython translates ASCII to ASCII
# 1:1 in a fast loop, ~6x the regex's speed): every ASCII character `_NOT_WORD` matches.
_ASCII_NOT_WORD = {c: " " for c in range(128) if _NOT_WORD.match(chr(c))}


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@functools.cache
def _drop_marks() -> dict[int, None]:
    """A `str.translate` table deleting every nonspacing mark (Unicode category Mn)."""
    return {cp: None for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Mn"}


def normalize_words(text: str) -> list[str]:
    """The words shingles are made of: lower case, each number (with one decimal separator)
    -> "0", diacritics dropped (NFD, then nonspacing marks removed), every character that is
    neither a letter, a digit nor a space -> a space, then split on whitespace."""
    text = _NUMBER.sub("0", text.lower())
    if not text.isascii():
        # Marks and non-ASCII punctuation are non-ASCII: only those runs are looked up. The
        # rules are per character, so applying them run by run changes nothing; what is left
        # is often all ASCII (accents gone, curly quotes now spaces).
        table = _drop_marks()
        nfd = unicodedata.normalize("NFD", text)
        text = _NON_ASCII.sub(lambda run: _NOT_WORD.sub(" ", run.group().translate(table)), nfd)
        if not text.isascii():
            return _NOT_WORD.sub(" ", text).split()
    return text.translate(_ASCII_NOT_WORD).split()


# --- shingles and signatures --------------------------------------------------------------------

# The word-hash fold's multiplier: odd, so each step of the fold is a bijection mod 2^64.
FOLD = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64's finalizer constants
_MIX2 = np.uint64(0x94D049BB133111EB)


_word_hashes: dict[str, int] = {}


def word_hash(word: str) -> int:
    """A word's 64-bit hash: the first 8 bytes of blake2b, little-endian (stable everywhere)."""
    h = _word_hashes.get(word)
    if h is None:
        if len(_word_hashes) >= _WORD_CACHE_MAX:
            _word_hashes.clear()
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        h = _word_hashes[word] = int.from_bytes(digest, "little")
    return h


def word_hashes(words: Sequence[str]) -> np.ndarray:
    """uint64 [len(words)]: each word's `word_hash`."""
    return np.fromiter(map(word_hash, words), dtype=np.uint64, count=len(words))


def fold_ngrams(hashes: np.ndarray, n: int) -> np.ndarray:
    """The hashes (uint64 [len - n + 1]) of every n consecutive word hashes: h = ((w0 * F + w1)
    * F + ...) + w_{n-1} mod 2^64. The one fold of word hashes into n-gram hashes: shingles
    (then mixed, below) and decontamination's eval n-grams both use it."""
    count = hashes.size - n + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    h = hashes[:count].copy()
    with np.errstate(over="ignore"):
        for j in range(1, n):
            h *= FOLD
            h += hashes[j : j + count]
    return h


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX2
    return x ^ (x >> np.uint64(31))


def _shingle_bits(folded: np.ndarray) -> np.ndarray:
    """Folded n-gram hashes -> 32-bit shingle hashes (mixed first, so the low bits depend on
    every word)."""
    return _mix(folded) & np.uint64(MAX_HASH_32)


def shingle_hash(words: tuple[str, ...]) -> int:
    """The 32-bit hash of one shingle (one n-gram of words); `shingle_hashes` vectorizes it."""
    return int(_shingle_bits(fold_ngrams(word_hashes(words), len(words)))[0])


def shingle_hashes(words: list[str], ngram: int) -> np.ndarray:
    """The sorted distinct 32-bit hashes (uint64 array) of the word `ngram`-grams of `words`;
    empty when there are fewer than `ngram` words."""
    if len(words) < ngram:
        return np.empty(0, dtype=np.uint64)
    return np.unique(_shingle_bits(fold_ngrams(word_hashes(words), ngram)))


def signature(hashes: np.ndarray, config: MinHashConfig) -> np.ndarray:
    """The MinHash signature (uint64 array of `num_perm` values < 2^32) of a non-empty set of
    shingle hashes."""
    if hashes.size == 0:
        raise ValueError("a page without shingles has no MinHash signature")
    a, b = permutations(config.num_perm, config.seed)
    p, mask, s61 = np.uint64(MERSENNE_61), np.uint64(MAX_HASH_32), np.uint64(61)
    sig = np.full(config.num_perm, MAX_HASH_32, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, hashes.size, _CHUNK):
            x = hashes[start : start + _CHUNK, None] * a  # (chunk, num_perm), wraps mod 2^64
            x += b
            # x mod p without a division: (x & p) + (x >> 61) is in [0, p + 7]; then minus p
            # where that is >= p (for y < p, y - p wraps above y, so the minimum keeps y).
            y = x & p
            y += x >> s61
            np.minimum(y, y - p, out=y)
            y &= mask
            np.minimum(sig, y.min(axis=0), out=sig)
    return sig


def band_keys(sig: np.ndarray, config: MinHashConfig) -> list[tuple[int, int]]:
    """(band, 64-bit hash of the band's rows) for each band of a signature."""
    rows = sig.astype("<u4").reshape(config.bands, config.rows)
    return [
        (band, int.from_bytes(hashlib.blake2b(rows[band].tobytes(), digest_size=8).digest()))
        for band in range(config.bands)
    ]


def page_shingles(text: str, config: MinHashConfig) -> np.ndarray:
    """`shingle_hashes` of a page's normalized words."""
    return shingle_hashes(normalize_words(text), config.ngram)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted distinct hash arrays (0 for two empty sets)."""
    if a.size == 0 and b.size == 0:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """The signatures' estimate of the Jaccard similarity: the fraction of equal slots."""
    return float(np.count_nonzero(sig_a == sig_b)) / sig_a.size
