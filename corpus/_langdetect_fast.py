"""A bit-exact, faster re-implementation of langdetect 1.0.9's `Detector` (seeded, 7 trials).

`FastLangdetect(factory).langprob(text)` returns the very list `Detector.langprob` that
`factory.create(); append(text); get_probabilities()` computes (before its p > 0.1 filter and
sort), or None where langdetect raises "No features in text." `langprobs(texts)` returns
`[langprob(text) for text in texts]`, about twice as fast again on a list of pages: it runs the
trials of many pages in lockstep (point 6). It serves C4's English filter, the CPU hot spot of
the build; `corpus.langid` holds the verdict logic. Pure Python + numpy; its tables take about
50 MB; scratch buffers are per thread (per call for `langprobs`).

Why it is exact (each point restates what the reference does, then what we do instead):

1. Text preparation. The reference runs URL_RE.sub, MAIL_RE.sub and NGram.normalize_vi over the
   whole text, keeps the first 10,000 characters and collapses runs of ' '. We call the same
   three substitutions (langdetect's own compiled patterns and normalize_vi), skipping one only
   when it cannot match (no "http" / no "@" / no Vietnamese combining mark). Texts longer than
   16,384 characters go through on a prefix: a match attempt at position s reads at most W
   characters from s (2084 for URLs, 575 for e-mails, 2 for Vietnamese; we use larger W), so the
   scan over the prefix is the full text's scan up to input position len(prefix) - W, and only
   the last W characters of the prefix's output can differ; we drop them after each stage and
   double the prefix until 10,000 exact characters remain. The ' ' collapsing is skipped:
   repeated spaces yield no n-gram and change no count.
2. cleaning_text counts 'A'..'z' and non-Latin characters and drops 'A'..'z' when the latter are
   more than twice the former: the same counts, on a numpy array of code points (an ASCII text
   has no character >= U+0300, so it never changes). Non-Latin is meant as ">= U+0300 outside
   Latin Extended Additional", but 1.0.9 compares the block's int id with a block name, so every
   character >= U+0300 counts; the constructor asks cleaning_text which behaviour it has.
3. N-grams. NGram.normalize is a per-character function that only changes BMP characters (every
   block it touches is in the BMP); we tabulate it by calling it on every BMP code point. With
   A = ' ' + the normalised text (the NGram buffer starts as ' ', restarts at every space and
   keeps at most 3 characters), the buffer after adding A[i] is A[i-2..i] if A[i-1] != ' ',
   A[i-1..i] if A[i-1] == ' ' != A[i], and ' ' if both are spaces. So position i yields, in
   this order, the 1-gram A[i] unless it is ' ', the 2-gram A[i-1..i] unless both are ' ', the
   3-gram A[i-2..i] if A[i-1] != ' ', each only if it is in the profile; and nothing at all if
   A[i] and A[i-1] are both upper case (`capitalword` is set exactly then: any non-upper
   character and the restart clear it). We leave the never-emitted keys (' ', '  ', 'x y') out
   of our lookup tables, look up every position's three candidates with numpy (direct tables
   for 1-grams and for 2-/3-grams of common characters, an exact cuckoo hash of packed code
   points for the rest) and keep the hits in position order: the same list, as rows of a matrix
   holding the factory's own floats. `ngram_rows_many` does this for many texts at once on their
   concatenation, each text with its own leading ' ': a text's positions then see the same
   characters before them as alone (its ' ' ends any 3-gram reaching back, and no capitalword
   run crosses it), so only the rows at each separating ' ' (the 2- and 3-grams that end there)
   are dropped; cleaning_text's counts are taken per text.
4. Randomness. The detector re-seeds `random.Random` with 0 for every text, so the stream of
   32-bit Mersenne Twister outputs is the same for every text; we precompute it. `choice(ngrams)`
   is `getrandbits(k)` (= output >> (32 - k), k = len(ngrams).bit_length()) with rejection of
   values >= len(ngrams), one output per attempt; `gauss` takes two `random()` calls (four
   outputs) every other call and returns the cached value in between. We replay exactly that,
   taking the Gaussian values from tables by stream position: random.py's own formula (mu + z *
   sigma, z = cos(x2pi) * g2rad, the cached sin(x2pi) * g2rad, with math's libm functions) on
   random() = (a * 2**26 + b) / 2**53 of two outputs, which numpy computes exactly. The
   constructor checks these facts about CPython's `random` (the tables against the real
   `Random.gauss`, and the n-gram lists of a few probes against langdetect's); if any fails,
   `exact` is False and callers use langdetect.
5. Arithmetic. `prob[i] *= weight + p[i]` and `prob[i] / sump` are single IEEE operations per
   element, so numpy's element-wise ops give the same doubles. The five updates between two
   normalisations are applied in order: a multiply.reduce along axis 0 multiplies row by row
   (checked at construction too); the trial's first block, a single update, is padded with four
   rows of 1.0 before it, and x * 1.0 == x exactly. `sum(prob)` is the builtin `sum` over the
   same floats in the same order (read through a memoryview, which yields Python floats; so it
   also matches 3.12's compensated `sum`). The convergence test only needs to know whether
   max(prob) / sump > 0.99999: division by a positive number is monotone, so that is
   max(prob) / sump; and since the float sum of 55 non-negative doubles is within a relative
   1e-14 of the exact one, an entry >= 1e-4 * sump leaves every other entry below 0.99999 *
   sump, so the full max is only taken when the last leader falls under 1e-4. `langprob +=
   prob / 7` runs trial by trial, as in the reference.
6. Lockstep (`langprobs`, `_Lockstep`). Pages do not interact (the detector re-seeds for each),
   so the trials of many pages can advance together, each in a "slot" with its own n-gram rows,
   its own accepted draws and their positions in the shared stream (point 4), its own trial,
   block, weight and Gaussian cache. One step runs one block of every slot on (slots x 55)
   arrays, with per slot exactly the operations of point 5:
   - the block's factor rows are gathered into buf[1:6] of a (6, slots, 55) array and the
     slot's weight added element-wise (weight + p[i] is one IEEE addition either way); a trial's
     first block has four rows of 1.0 before its one factor row (x * 1.0 == x);
   - `multiply.reduce` over axis 0 of [prob, five factor rows] multiplies row by row for every
     slot;
   - `sum(prob)`: the products are copied transposed to (55, slots) and `add.reduce` over
     axis 0 adds row by row, so each slot's 55 entries are added left to right from the first:
     CPython 3.11's builtin `sum` over floats, which is plain double addition (numpy sums
     pairwise only along the inner axis; reducing the outer axis needs >= 2 slots, so the
     lockstep never runs fewer);
   - both facts are checked on random data (with zeros, subnormal and huge values) against
     in-order products and the builtin `sum`, at construction for 2..69 slots and more up to
     1024 (the most used), and for any other slot count the first time it occurs. Where the
     sum check fails, or on Python 3.12+ (whose `sum` is compensated), each slot's row goes
     through the builtin `sum` instead; where the product check fails, the pages go one by
     one;
   - the element-wise divide is langdetect's normalisation; the convergence test compares
     max(products) / sum, which is the max of the quotients (division by a positive number is
     monotone), with 0.99999;
   - a trial ends at convergence or at its 201st block (1001 updates); then `langprob += prob /
     7` for that slot, and its next trial starts at the stream position after its last draw:
     trials 0, 2, 4, 6 take a fresh Gaussian pair there (and skip the accepted draws among the
     four outputs it consumes), trials 1, 3, 5 the cached value.
   A slot whose page finishes takes the next text (1/8 of the slots are refilled at a time);
   once no text is left, the arrays shrink to the next power of two above the pages left
   (free slots pad them and never end a trial), and the last 12 pages finish on the one-page
   path of point 5 where they stand (in the middle of a trial: its normalised row, blocks done,
   weight and next draw, its Gaussian cache and langprob so far): with so few pages a step
   costs more than their blocks one by one, and lists of fewer than 16 texts go one by one
   from the start. Each page's draws come in windows
   of the stream (1024 outputs first, then 4x), kept in shared arenas. The constructor also
   runs the lockstep on the probes (and on two texts that hit the iteration limit, with no
   hand-off) against the one-page path; if any of its checks fails, `batch_exact` is False and
   `langprobs` takes the pages one by one.
"""

from __future__ import annotations

import math
import random
import sys
import threading
from typing import Any

import numpy as np

_TEXT_LIMIT = 10_000  # Detector.max_text_length
_N_TRIAL = 7  # Detector.n_trial
_ITERATION_LIMIT = 1000
_CONV_THRESHOLD = 0.99999
_BASE_FREQ = 10000
_ALPHA_DEFAULT = 0.5
_ALPHA_WIDTH = 0.05

# How far a regex match attempt can read past its start (point 1 of the module docstring):
# URL 'https://' + {1,2076} = 2084, e-mail 64 + '@' + 255 + 255 = 575, Vietnamese 2. Rounded up.
_W_URL, _W_MAIL, _W_VI = 2200, 700, 8
_PREFIX = 16_384  # first prefix tried for long texts; leaves >= 10,000 after the three windows

# A normalised entry this large rules out any other entry above the convergence threshold.
_LEADER_FLOOR = 1e-4

# Blocks per batch of a trial: the first block is the first update alone, then blocks of 5, so
# 201 blocks make 1 + 5 * 200 = 1001 updates, langdetect's iteration limit (it stops when
# i >= 1000 at a check). Most trials converge within the first batch.
_BLOCKS = (13, 28, 160)
_LIMIT_BLOCKS = sum(_BLOCKS)  # 201

_SPACE = 0x20
_DENSE2, _DENSE3 = 512, 64  # character ids with dense 2-gram / 3-gram tables (powers of 2)
_NOT_DENSE = 0x7FFF  # the id of every other character
_HASH_BITS = 18  # cuckoo table slots: 2 ** 18 for ~85,000 2- and 3-grams
_HASH_MULTIPLIERS = (  # odd 64-bit constants; the next pair is tried if insertion fails
    0x9E3779B97F4A7C15,
    0xC2B2AE3D27D4EB4F,
    0x165667B19E3779F9,
    0xD6E8FEB86659FD93,
    0xFF51AFD7ED558CCD,
    0xC4CEB9FE1A85EC53,
)
_INITIAL_STREAM = 1 << 15

# The lockstep path (point 6): default slots, the first stream window per page (most pages use
# fewer outputs), how often the windows are checked, the free slots that trigger a refill, the
# characters of text whose n-grams are extracted in one go, and the page counts below which the
# one-page path is cheaper (a whole call, or the last pages of one).
BATCH_SIZE = 256
_MAX_BATCH = 1024  # the largest slot count the construction checks cover
_WINDOW = 1024
_CHECK_EVERY = 4
_SLACK = 9 + 5 * _CHECK_EVERY  # draws a page must have left at a check (see _Lockstep.run)
_REFILL = 8  # refill when a 1/_REFILL of the slots are free
_CHAR_BUDGET = 1 << 16
_MIN_LOCKSTEP = 16
_HANDOFF = 12
_IDLE_WEIGHT = 2.0**60  # a free slot's weight: w + p == w for every p <= 1 (see _release)
_FAR = 1 << 62  # the deadline of a free slot: never due
_CHECKED_SLOTS = [*range(2, 70), 127, 128, 129, 255, 256, 300, 511, 512, 1000, 1024]
_FRESH = np.arange(_N_TRIAL) % 2 == 0  # trials that draw a new gauss pair
_GAUSS_OUTPUTS = np.where(_FRESH, 4, 0)  # the stream outputs they take


def _gram_code(gram: str) -> int:
    """Code points packed 21 bits apiece; 2-gram codes < 2**42 <= 3-gram codes (no NUL)."""
    code = 0
    for ch in gram:
        code = (code << 21) | ord(ch)
    return code


def _as_int64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


class _CuckooTable:
    """An exact int64 -> row map for numpy arrays of keys: every key sits in one of its two
    slots, so a lookup is two gathers and two comparisons (-1 where absent)."""

    def __init__(self, items: list[tuple[int, int]]) -> None:
        size = 1 << _HASH_BITS
        for first, second in zip(_HASH_MULTIPLIERS[::2], _HASH_MULTIPLIERS[1::2], strict=True):
            placed = self._build(items, size, first, second)
            if placed is not None:
                break
        else:  # pragma: no cover - the profiles fill a third of the table
            raise RuntimeError("could not build the n-gram hash table")
        keys, rows = placed
        # (key, row) side by side: one gather fetches both from the same cache line.
        self._table = np.array([keys, rows], dtype=np.int64).T.copy()
        self._m1, self._m2 = np.int64(_as_int64(first)), np.int64(_as_int64(second))
        self._shift, self._mask = np.int64(64 - _HASH_BITS), np.int64(size - 1)

    @staticmethod
    def _slot(key: int, multiplier: int) -> int:
        # Bits 46..63 of the wrapped 64-bit product, as the numpy lookup computes them.
        return ((key * multiplier) & 0xFFFF_FFFF_FFFF_FFFF) >> (64 - _HASH_BITS)

    def _build(
        self, items: list[tuple[int, int]], size: int, first: int, second: int
    ) -> tuple[list[int], list[int]] | None:
        keys, rows = [-1] * size, [-1] * size
        slot = self._slot
        for item in items:
            key, row = item
            at = slot(key, first)
            for _ in range(500):
                if keys[at] == -1:
                    keys[at], rows[at] = key, row
                    break
                (key, row), (keys[at], rows[at]) = (keys[at], rows[at]), (key, row)
                one, two = slot(key, first), slot(key, second)
                at = two if at == one else one
            else:
                return None
        return keys, rows

    def lookup(self, codes: np.ndarray) -> np.ndarray:
        """Rows of int64 `codes`, -1 where a code is not a key (int64 products wrap)."""
        one = codes * self._m1
        one >>= self._shift
        one &= self._mask
        two = codes * self._m2
        two >>= self._shift
        two &= self._mask
        first = self._table.take(one, 0)
        second = self._table.take(two, 0)
        found = np.where(second[:, 0] == codes, second[:, 1], -1)
        return np.where(first[:, 0] == codes, first[:, 1], found)


class FastLangdetect:
    def __init__(self, factory: Any) -> None:
        from langdetect.detector import Detector
        from langdetect.utils import unicode_block as ub
        from langdetect.utils.ngram import NGram

        self.langlist: list[str] = list(factory.langlist)
        nl = len(self.langlist)
        self._nl = nl
        probe = factory.create()
        settings = (probe.max_text_length, probe.n_trial, probe.alpha, probe.prior_map)
        if settings != (_TEXT_LIMIT, _N_TRIAL, _ALPHA_DEFAULT, None) or NGram.N_GRAM != 3:
            raise RuntimeError("unexpected langdetect detector settings")
        for name, want in (
            ("ITERATION_LIMIT", _ITERATION_LIMIT),
            ("CONV_THRESHOLD", _CONV_THRESHOLD),
            ("BASE_FREQ", _BASE_FREQ),
            ("ALPHA_DEFAULT", _ALPHA_DEFAULT),
            ("ALPHA_WIDTH", _ALPHA_WIDTH),
        ):
            if getattr(Detector, name) != want:
                raise RuntimeError(f"unexpected langdetect constant {name}")
        self._factory = factory
        self._url_sub = Detector.URL_RE.sub
        self._mail_sub = Detector.MAIL_RE.sub
        self._normalize_vi = NGram.normalize_vi
        self._dmarks = tuple(NGram.DMARK_CLASS)

        # Profile: n-gram -> row of a float64 matrix holding the factory's own floats.
        prob_map = factory.word_lang_prob_map
        grams = [g for g in prob_map if 1 <= len(g) <= 3]
        self._matrix = np.array([prob_map[g][:nl] for g in grams], dtype=np.float64)
        self.row_of: dict[str, int] = {g: row for row, g in enumerate(grams)}
        # Keys langdetect never emits (point 3) are left out, so lookups need no masks.
        emitted = [
            (g, row)
            for row, g in enumerate(grams)
            if g != " " and g != "  " and not (len(g) == 3 and g[1] == " ")
        ]
        self._unigram = np.full(0x110000, -1, dtype=np.int32)
        for g, row in emitted:
            if len(g) == 1:
                self._unigram[ord(g)] = row
        self._grams = _CuckooTable([(_gram_code(g), row) for g, row in emitted if len(g) > 1])
        # Dense tables for n-grams of common characters (the cuckoo table covers the rest): ids
        # for Latin letters, then by how many 2- and 3-grams hold the character; 2-grams of
        # ids < 512 and 3-grams of ids < 64 are read from plain arrays, which stay in cache.
        uses: dict[str, int] = {}
        for g, _ in emitted:
            if len(g) > 1:
                for ch in set(g):
                    uses[ch] = uses.get(ch, 0) + 1

        # Latin letters first (' ', ASCII, then Latin-1 and Extended-A), so that the 3-grams of
        # Latin-script text are mostly dense; then by use.
        def rank(ch: str) -> tuple[int, int, str]:
            script = 0 if ch == " " or ch.isascii() else 1 if "\xc0" <= ch <= "\u017f" else 2
            return script, -uses[ch], ch

        common = sorted(uses, key=rank)[:_DENSE2]
        self._char_id = np.full(0x110000, _NOT_DENSE, dtype=np.int16)
        for ident, ch in enumerate(common):
            self._char_id[ord(ch)] = ident
        self._dense2 = np.full(_DENSE2 * _DENSE2, -1, dtype=np.int32)
        self._dense3 = np.full(_DENSE3**3, -1, dtype=np.int32)
        for g, row in emitted:
            ids = [int(self._char_id[ord(ch)]) for ch in g]
            if len(g) == 2 and max(ids) < _DENSE2:
                self._dense2[ids[0] * _DENSE2 + ids[1]] = row
            elif len(g) == 3 and max(ids) < _DENSE3:
                self._dense3[(ids[0] * _DENSE3 + ids[1]) * _DENSE3 + ids[2]] = row

        # NGram.normalize tabulated over the BMP by calling it; identity elsewhere.
        table = np.arange(0x110000, dtype=np.int32)
        normalize = NGram.normalize
        for cp in range(0x10000):
            out = normalize(chr(cp))
            if out != chr(cp):
                table[cp] = ord(out)
        self._table = table
        self._ascii_table = table[:128].astype(np.uint8)
        self._upper = np.array([chr(cp).isupper() for cp in range(0x110000)], dtype=bool)
        # cleaning_text means to skip Latin Extended Additional in its non-Latin count, but it
        # compares unicode_block()'s int to a block *name*, so in 1.0.9 every character
        # >= U+0300 counts. Ask it: 'A' + 3 such characters loses its 'A' only if they count.
        (lea,) = [b for b in ub._unicode_blocks if b[0] == ub.UNICODE_LATIN_EXTENDED_ADDITIONAL]
        probe = factory.create()
        probe.text = "A" + chr(lea[1]) * 3
        probe.cleaning_text()
        self._lea_range = None if probe.text == chr(lea[1]) * 3 else (lea[1], lea[2])

        # The Mersenne Twister stream after seed(0), and Gaussian pairs by stream position.
        self._local, self._lock = threading.local(), threading.RLock()
        self._state0 = random.Random(0).getstate()
        self._stream_gen = random.Random(0)
        self._stream = np.empty(0, dtype=np.uint32)
        self._extend_stream(_INITIAL_STREAM)
        self._gauss_rng = random.Random()
        self._gauss_cache: dict[int, tuple[float, float]] = {}
        self._gauss_z = self._gauss_n = np.empty(0)
        self._extend_gauss(_INITIAL_STREAM - 8)
        self._uniform = np.full(nl, 1.0 / nl)  # _init_probability: [1.0 / 55] * 55

        self.exact = self._self_check()
        # The lockstep path's own facts (point 6): in-order products over the factor axis, and
        # whether the sum over the outer axis is the builtin sum (else the builtin per slot).
        self._arrays_checked: dict[int, tuple[bool, bool]] = {}
        self.seq_sum = False
        self.batch_exact = self.exact and self._check_lockstep()

    def _scratch(self) -> tuple[np.ndarray, list]:
        """This thread's reusable buffers: a row, and per batch of a trial its buffer, the
        overlapping (blocks, 6, nl) view of it and the rows where each block's normalised result
        goes (see langprob)."""
        try:
            return self._local.tmp, self._local.batches
        except AttributeError:
            pass
        nl = self._nl
        batches = []
        for n_blocks in _BLOCKS:
            buf = np.empty((5 * n_blocks + 1, nl))
            row, col = buf.strides
            blocks = np.ndarray(
                (n_blocks, 6, nl), dtype=buf.dtype, buffer=buf, strides=(5 * row, row, col)
            )
            batches.append((buf, blocks, buf[5::5]))
        self._local.tmp, self._local.batches = np.empty(nl), batches
        return self._local.tmp, batches

    def __getstate__(self) -> dict:
        # Buffer views, thread-locals and locks do not survive pickling: rebuild them instead.
        state = self.__dict__.copy()
        del state["_local"], state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._local, self._lock = threading.local(), threading.RLock()

    # ---- the stream of random draws (point 4) -----------------------------------------------

    def _extend_stream(self, size: int) -> None:
        """Grow the precomputed seed-0 output stream to at least `size` 32-bit words."""
        if size <= len(self._stream):
            return
        with self._lock:  # the generator must append to the stream it has produced so far
            have = len(self._stream)
            if size <= have:
                return
            more = max(size - have, have)
            # getrandbits(32 * m) draws m outputs, the first in the least significant word.
            raw = self._stream_gen.getrandbits(32 * more).to_bytes(4 * more, "little")
            self._stream = np.concatenate([self._stream, np.frombuffer(raw, dtype="<u4")])

    def _gauss_pair(self, pos: int) -> tuple[float, float]:
        """The two `gauss(0.0, 1.0)` values drawn when the stream stands at `pos`."""
        pair = self._gauss_cache.get(pos)
        if pair is None:
            with self._lock:
                rng = self._gauss_rng
                rng.setstate(self._state0)
                if pos:
                    rng.getrandbits(32 * pos)
                pair = (rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0))
                if len(self._gauss_cache) > 100_000:
                    self._gauss_cache.clear()
                self._gauss_cache[pos] = pair
        return pair

    def _extend_gauss(self, size: int) -> None:
        """Grow the tables of `gauss(0.0, 1.0)` values by stream position to cover positions
        below `size`: `_gauss_z[p]` is the value a fresh call returns when the stream stands at
        p, `_gauss_n[p]` the one the next call returns from the cache. This is random.py's
        gauss (mu + z * sigma, z = cos(x2pi) * g2rad, the cached sin(x2pi) * g2rad) on its
        random() = (a * 2**26 + b) / 2**53, a and b two outputs shifted by 5 and 6; numpy
        computes random() exactly (integers below 2**53, a power-of-two scale) and math's libm
        functions the rest, as random.py does. Checked against `Random.gauss` at construction."""
        if size <= len(self._gauss_z):
            return
        with self._lock:
            have = len(self._gauss_z)
            if size <= have:
                return
            size = max(size, 2 * have)
            self._extend_stream(size + 3)
            words = self._stream[have : size + 3]
            hi = (words[:-1] >> np.uint32(5)).astype(np.float64)
            lo = (words[1:] >> np.uint32(6)).astype(np.float64)
            uniform = ((hi * 67108864.0 + lo) * (1.0 / 9007199254740992.0)).tolist()
            cos, sin, log, sqrt, twopi = math.cos, math.sin, math.log, math.sqrt, random.TWOPI
            fresh, cached = [], []
            mu, sigma = 0.0, 1.0
            for x, y in zip(uniform[:-2], uniform[2:], strict=True):  # random() at p, p + 2
                x2pi = x * twopi
                g2rad = sqrt(-2.0 * log(1.0 - y))
                fresh.append(mu + cos(x2pi) * g2rad * sigma)
                cached.append(mu + sin(x2pi) * g2rad * sigma)
            # Readers hold the old arrays or the new ones, both valid.
            self._gauss_z = np.concatenate([self._gauss_z, fresh])
            self._gauss_n = np.concatenate([self._gauss_n, cached])

    def _gauss_tables(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """The gauss tables (see _extend_gauss), covering stream positions below `size`."""
        if size > len(self._gauss_z):
            self._extend_gauss(size)
        return self._gauss_z, self._gauss_n

    def _arrays_ok(self, pages: int) -> tuple[bool, bool]:
        """For `pages` slots (>= 2): whether multiply.reduce over axis 0 of (6, pages, nl) is
        the five in-order products, and whether add.reduce over axis 0 of (nl, pages) is the
        builtin `sum` of each column, i.e. row by row with no pairwise summation (which numpy
        uses along the inner axis; Python 3.12's `sum` is compensated). On random data with
        subnormal, zero and huge values; cached per slot count (point 6)."""
        known = self._arrays_checked.get(pages)
        if known is not None:
            return known
        nl, gen = self._nl, np.random.default_rng(pages)
        block = np.exp(gen.uniform(-130.0, 10.0, size=(6, pages, nl)))
        seq = block[0].copy()
        for r in range(1, 6):
            seq *= block[r]
        out = np.empty_like(seq)
        np.multiply.reduce(block, 0, out=out)
        products = bool(np.array_equal(out, seq))
        sums = sys.version_info < (3, 12)
        for scale in (1.0, 1e-300, 1e300):
            rows = np.exp(gen.uniform(-30.0, 5.0, size=(pages, nl))) * scale
            rows[gen.uniform(size=rows.shape) < 0.2] = 0.0
            total = np.empty(pages)
            np.add.reduce(np.ascontiguousarray(rows.T), 0, out=total)
            sums = sums and total.tolist() == [sum(row) for row in rows.tolist()]
        self._arrays_checked[pages] = known = (products, sums)
        return known

    def _check_lockstep(self) -> bool:
        """The array facts for a range of slot counts, and the lockstep path == the one-page
        path on the probes (with empty texts in between)."""
        checked = [self._arrays_ok(pages) for pages in _CHECKED_SLOTS]
        self.seq_sum = all(sums for _, sums in checked)
        if not all(products for products, _ in checked):
            return False
        # "AB" and the Ukrainian line hit the 1000-iteration limit.
        probes = ["AB", "Це не просто так!"]
        probes += [text for probe in _PROBES for text in (probe, probe * 3, "")]
        want = [self.langprob(text) for text in probes]
        for handoff in (0, _HANDOFF):  # all in lockstep; the last pages handed off
            lockstep = _Lockstep(self, probes, 8)
            lockstep.handoff = handoff
            if lockstep.run() != want:
                return False
        return True

    def _self_check(self) -> bool:
        """Verify the CPython `random`, numpy and langdetect facts the fast path relies on."""
        stream = self._stream
        # choice(seq) == seq[output >> (32 - k)] with rejection, one output per attempt.
        for n in (1, 2, 3, 5, 64, 65, 1000, 4097, 30011):
            rng = random.Random(0)
            got = [rng.choice(range(n)) for _ in range(300)]
            k = n.bit_length()
            values = (stream[:2000] >> np.uint32(32 - k)).tolist()
            if got != [v for v in values if v < n][:300]:
                return False
        # gauss: four outputs for a fresh pair, none for the cached second value.
        for pos in (0, 1, 7, 1000):
            one, two = random.Random(0), random.Random(0)
            if pos:
                one.getrandbits(32 * pos)
                two.getrandbits(32 * pos)
            first = one.gauss(0.0, 1.0)
            if one.getrandbits(32) != int(stream[pos + 4]):
                return False
            pair = (two.gauss(0.0, 1.0), two.gauss(0.0, 1.0))
            if two.getrandbits(32) != int(stream[pos + 4]):
                return False
            if pair != self._gauss_pair(pos) or pair[0] != first:
                return False
        # The gauss tables against Random.gauss itself.
        for pos in [*range(40), 999, 4096, 12_345, 30_000, _INITIAL_STREAM - 9]:
            z, n = self._gauss_tables(pos + 1)
            if (float(z[pos]), float(n[pos])) != self._gauss_pair(pos):
                return False
        # multiply.reduce along axis 0 == in-order element-wise products.
        gen = np.random.default_rng(0)
        for _ in range(20):
            block = np.exp(gen.uniform(-130.0, 10.0, size=(6, self._nl)))  # to subnormals
            seq = block[0].copy()
            for r in range(1, 6):
                seq *= block[r]
            if not np.array_equal(np.multiply.reduce(block, axis=0), seq):
                return False
        # The n-gram list on a few probes, against langdetect's own extraction.
        index = self.row_of
        for text in _PROBES:
            detector = self._factory.create()
            detector.append(text)
            detector.cleaning_text()
            want = [index[g] for g in detector._extract_ngrams()]
            if self.ngram_rows(text).tolist() != want:
                return False
        return True

    # ---- text to n-grams (points 1 to 3) ----------------------------------------------------

    def _prepared(self, text: str) -> str:
        """Detector.append's text (its first 10,000 characters), see point 1."""
        if len(text) <= _PREFIX:
            return self._substitute(text, exact_tail=True)[:_TEXT_LIMIT]
        limit = _PREFIX
        while limit < len(text):
            out = self._substitute(text[:limit], exact_tail=False)
            if len(out) >= _TEXT_LIMIT:
                return out[:_TEXT_LIMIT]
            limit *= 2
        return self._substitute(text, exact_tail=True)[:_TEXT_LIMIT]

    def _substitute(self, text: str, exact_tail: bool) -> str:
        # On a proper prefix, drop the last W characters of each stage's output (they may differ
        # from the full text's); what remains is a prefix of the full text's output.
        if "http" in text:
            text = self._url_sub(" ", text)
        if not exact_tail:
            text = text[: max(len(text) - _W_URL, 0)]
        if "@" in text:
            text = self._mail_sub(" ", text)
        if not exact_tail:
            text = text[: max(len(text) - _W_MAIL, 0)]
        if not text.isascii() and any(mark in text for mark in self._dmarks):
            text = self._normalize_vi(text)
        if not exact_tail:
            text = text[: max(len(text) - _W_VI, 0)]
        return text

    def _normalized_codes(self, text: str) -> np.ndarray:
        """' ' + cleaning_text + NGram.normalize of `text`, as int32 code points (points 2, 3)."""
        codes = np.empty(len(text) + 1, dtype=np.int32)
        codes[0] = _SPACE
        if text.isascii():
            # No character >= U+0300, so cleaning_text keeps everything.
            raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
            codes[1:] = self._ascii_table.take(raw)
            return codes
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        latin = (cps >= 0x41) & (cps <= 0x7A)  # 'A' <= ch <= 'z'
        n_latin = int(np.count_nonzero(latin))
        n_non_latin = int(np.count_nonzero(cps >= 0x300))
        if self._lea_range is not None:
            lo, hi = self._lea_range
            n_non_latin -= int(np.count_nonzero((cps >= lo) & (cps <= hi)))
        if n_latin * 2 < n_non_latin:
            cps = cps[~latin]
            codes = codes[: len(cps) + 1]
        codes[1:] = self._table.take(cps)
        return codes

    def _codes_many(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """`_normalized_codes` of every text, concatenated (each text's own ' ' first), and the
        length of each text's part. cleaning_text's counts are taken per part."""
        lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.intp, count=len(texts))
        joined = " " + " ".join(texts)
        if joined.isascii():
            raw = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
            return self._ascii_table.take(raw).astype(np.int32), lengths
        cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        non_latin = cps >= 0x300
        if self._lea_range is not None:
            lo, hi = self._lea_range
            non_latin &= (cps < lo) | (cps > hi)
        if non_latin.any():
            latin = (cps >= 0x41) & (cps <= 0x7A)  # 'A' <= ch <= 'z'
            starts = np.cumsum(lengths) - lengths  # no part is empty
            n_latin = np.add.reduceat(latin, starts, dtype=np.intp)
            n_non_latin = np.add.reduceat(non_latin, starts, dtype=np.intp)
            drop = n_latin * 2 < n_non_latin
            if drop.any():
                cps = cps[~(latin & np.repeat(drop, lengths))]
                lengths = lengths - n_latin * drop
        return self._table.take(cps), lengths

    def ngram_rows(self, text: str) -> np.ndarray:
        """Profile rows of `Detector._extract_ngrams()` after `append(text)`, in order."""
        a = self._normalized_codes(self._prepared(text))
        if len(a) == 1:
            return np.empty(0, dtype=np.int32)
        rows = self._ngram_table(a).ravel()
        return rows[rows >= 0]

    def ngram_rows_many(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """`ngram_rows` of every text in one pass: the concatenated rows and the offsets
        (len(texts) + 1) of each text's part. The texts' codes are concatenated, each with its
        leading ' ' (point 3's A); a text's positions then see the same two characters before
        them as alone (its ' ' stops the 3-gram reaching back and the capitalword run), so only
        the rows at each separating ' ' are dropped: the 2- and 3-grams ending there."""
        a, lengths = self._codes_many([self._prepared(text) for text in texts])
        offsets = np.zeros(len(texts) + 1, dtype=np.intp)
        if len(a) == 1:
            return np.empty(0, dtype=np.int32), offsets
        out = self._ngram_table(a)
        starts = np.cumsum(lengths) - lengths  # where each text's ' ' sits
        out[starts[1:] - 1] = -1  # table row i - 1 is position i
        # Text t has table rows starts[t] .. starts[t + 1] - 1 (the last one masked). One more
        # masked row keeps the last text's part non-empty for reduceat.
        found = np.zeros((len(out) + 1, 3), dtype=bool)
        np.greater_equal(out, 0, out=found[:-1])
        counts = np.add.reduceat(found.reshape(-1), 3 * starts, dtype=np.intp)
        np.cumsum(counts, out=offsets[1:])
        return out[found[:-1]], offsets

    def _ngram_table(self, a: np.ndarray) -> np.ndarray:
        """(len(a) - 1, 3) profile rows of the 1-, 2- and 3-grams at positions 1.. of `a` (point
        3), -1 where none is emitted."""
        size = len(a) - 1  # positions 1..size of point 3
        out = np.empty((size, 3), dtype=np.int32)
        self._unigram.take(a[1:], out=out[:, 0], mode="clip")
        # 2-grams A[i-1..i], i = 1..size, at index i - 1; 3-grams A[i-2..i], i = 2..size, at
        # index i - 2. Dense tables where every character is common, the hash elsewhere.
        ids = self._char_id.take(a).astype(np.int32)
        key = ids[:-1] << 9
        key |= ids[1:]
        two = self._dense2.take(key, mode="clip")
        either = ids[:-1] | ids[1:]
        rare = np.flatnonzero(either >= _DENSE2)
        if len(rare):
            wide = a.astype(np.int64)
            two[rare] = self._grams.lookup((wide[rare] << 21) | wide[rare + 1])
        out[:, 1] = two
        out[0, 2] = -1  # A[0..1] has a space in the middle
        key = ids[:-2] << 12
        key |= ids[1:-1] << 6
        key |= ids[2:]
        three = self._dense3.take(key, mode="clip")
        either = either[:-1]
        either |= ids[2:]
        rare = np.flatnonzero(either >= _DENSE3)
        if len(rare):
            wide = a.astype(np.int64)
            three[rare] = self._grams.lookup(
                (wide[rare] << 42) | (wide[rare + 1] << 21) | wide[rare + 2]
            )
        out[1:, 2] = three
        upper = self._upper.take(a)
        out[upper[1:] & upper[:-1]] = -1  # capitalword
        return out

    # ---- the trials (points 4 and 5) --------------------------------------------------------

    def langprob(self, text: str) -> list[float] | None:
        """Detector.langprob after `append(text)`; None where langdetect raises."""
        rows = self.ngram_rows(text)
        if len(rows) == 0:
            return None
        return self._trials(rows, 0, 0, None, np.zeros(self._nl))

    def _trials(
        self,
        rows: np.ndarray,
        trial: int,
        pos: int,
        gauss_next: float | None,
        langprob: np.ndarray,
        resume: tuple[np.ndarray, int, int, float] | None = None,
    ) -> list[float]:
        """Trials `trial`.. of the page with n-gram `rows`, from stream position `pos` with the
        Gaussian cache `gauss_next` and the sum `langprob` of the earlier trials. With `resume`
        = (prob, first, blocks, weight), trial `trial` is under way instead: `blocks` (>= 1)
        blocks done from its first draw `first` (an index into the page's accepted draws),
        `prob` the normalised row after them, `weight` its weight; `gauss_next` is the cache
        after its gauss draw, and `pos` is unused."""
        n = len(rows)
        shift = np.uint32(32 - n.bit_length())

        def accepted(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
            """Stream positions in [lo, hi) whose draw is accepted, and the drawn rows."""
            self._extend_stream(hi)
            values = self._stream[lo:hi] >> shift
            at = np.flatnonzero(values < n)
            return at + lo, rows.take(values.take(at))

        # The draws of choice(ngrams) for the stream's first `window` outputs, grown on demand.
        window = 2048
        positions, draws = accepted(0, window)

        def widen() -> None:
            nonlocal positions, draws, window
            more_positions, more_draws = accepted(window, window * 4)
            positions = np.concatenate([positions, more_positions])
            draws = np.concatenate([draws, more_draws])
            window *= 4

        take = self._matrix.take
        reduce = np.multiply.reduce
        divide = np.divide
        leader = 0  # index of the last known largest entry; only a hint (point 5)
        tmp, batches = self._scratch()
        view = memoryview(tmp)
        conv, floor = _CONV_THRESHOLD, _LEADER_FLOOR
        for t in range(trial, _N_TRIAL):
            if resume is not None and t == trial:
                prob, first, blocks_done, weight = resume
                done = 5 * blocks_done - 4  # updates so far in this trial
                blocks_left = _LIMIT_BLOCKS - blocks_done
            else:
                if gauss_next is None:
                    fresh, cached = self._gauss_tables(pos + 1)
                    z, gauss_next = float(fresh[pos]), float(cached[pos])
                    pos += 4
                else:
                    z, gauss_next = gauss_next, None
                weight = (_ALPHA_DEFAULT + z * _ALPHA_WIDTH) / _BASE_FREQ
                while window < pos:  # every position below pos must be known
                    widen()
                first = int(positions.searchsorted(pos))  # the first draw at or after pos
                prob = self._uniform
                done = 0
                blocks_left = _LIMIT_BLOCKS
            converged = False
            for buf, blocks, outs in batches:
                # buf = [prob, factor rows...]; block b is buf[5b : 5b + 6] and its normalised
                # result overwrites buf[5b + 5], its last (consumed) factor row and the next
                # block's first row. langdetect checks after updates 1, 6, 11, ...: the trial's
                # first block is [prob, 1.0 x 4, first factor], and x * 1.0 == x exactly.
                lead_in = 4 if done == 0 else 0
                k = min(len(blocks), blocks_left)  # the batch's blocks this trial may run
                count = 5 * k - lead_in
                lo = first + done
                while lo + count > len(positions):
                    widen()
                buf[0] = prob
                factors = buf[1 + lead_in : 1 + 5 * k]
                take(draws[lo : lo + count], 0, factors, "clip")
                factors += weight
                if lead_in:
                    buf[1:5] = 1.0
                used = 0
                for block, out in zip(blocks[:k], outs[:k], strict=True):
                    reduce(block, 0, None, tmp)
                    # The reference's builtin sum over the same floats in the same order (a
                    # memoryview yields them as Python floats without building a list).
                    total = sum(view)
                    divide(tmp, total, out)
                    used += 1
                    lead = view[leader] / total
                    if lead > conv:
                        converged = True
                        break
                    if lead < floor:
                        top = max(view)
                        leader = tmp.tolist().index(top)
                        if top / total > conv:
                            converged = True
                            break
                done += 5 * used - lead_in
                blocks_left -= used
                prob = buf[5 * used]
                if converged or not blocks_left:
                    break
            # Otherwise the trial ran 201 blocks, 1001 updates: langdetect's iteration limit.
            pos = int(positions[first + done - 1]) + 1
            langprob += prob / _N_TRIAL
        return langprob.tolist()

    def langprobs(self, texts: list[str], batch_size: int = BATCH_SIZE) -> list[list[float] | None]:
        """`[self.langprob(text) for text in texts]`, the trials of up to `batch_size` pages at a
        time run in lockstep (point 6)."""
        texts = list(texts)
        if not self.batch_exact or len(texts) < _MIN_LOCKSTEP or batch_size < 2:
            return [self.langprob(text) for text in texts]
        return _Lockstep(self, texts, min(batch_size, len(texts), _MAX_BATCH)).run()


# Short texts whose n-gram lists the constructor compares with langdetect's own.
_PROBES = (
    "",
    "   ",
    "Hello World, THIS is A test of CAPITAL words: NASA, iPhone, McDonald's.",
    "Ceci n'est pas une pipe — « ça » coûte 10 € à Paris.",
    "Tiếng Việt có dấu: Hà Nội, thành phố Hồ Chí Minh.",
    "Москва — столица России. ΑΘΗΝΑ Ελλάδα. 東京は日本の首都です。한국어 텍스트",
    "see http://example.com/a?b=c and mail me@example.org now",
    "ǅemal ǈubljana ǋ ΣΑΣ ÀÉÎ ÕÜ x y z ß ſ",
    "A ẠẠẠ",
    "ab ẠẶ cd",
)


class _Lockstep:
    """The seeded trials of many pages in lockstep (point 6 of the module docstring).

    Each slot holds a page. Per slot arrays (length A) hold its state; `buf` (6, A, nl) its
    probability row (buf[0]) and the five factor rows of its next block (buf[1:]). A page's
    accepted draws (profile rows) and their stream positions fill a segment [seg_start,
    seg_end) of the arenas `draws` and `where`; `start` is the index of the first draw of the
    slot's next block, minus 4 for a trial's first block (whose first four factor rows are set
    to 1.0). Segments are appended at `used`; a full arena is compacted (and grown).
    """

    def __init__(self, fast: FastLangdetect, texts: list[str], slots: int) -> None:
        self.fast = fast
        self.texts = texts
        self.next_text = 0
        self.results: list[list[float] | None] = [None] * len(texts)
        # Segments start at index 4 or later, so that a trial's first block (start = first draw
        # - 4) never reads before index 0.
        self.used = 4
        self.draws = np.zeros(2 * slots * _WINDOW, dtype=np.intp)
        self.where = np.zeros(2 * slots * _WINDOW, dtype=np.int64)
        self.pages: list[tuple[int, np.ndarray, int] | None] = [None] * slots  # text, rows, window
        self.n_active = 0
        self.handoff = _HANDOFF  # finish this many last pages one by one
        self.limit_at: dict[int, list[np.ndarray]] = {}  # step -> slots at their 201st block
        self.lead: list[np.ndarray] = []  # slots whose next block is their trial's first
        nl = fast._nl
        self.active = np.zeros(slots, dtype=bool)
        self.start = np.zeros(slots, dtype=np.intp)
        self.lim = np.full(slots, -1, dtype=np.intp)  # start at the trial's 201st block
        self.seg_start = np.zeros(slots, dtype=np.intp)
        self.seg_end = np.zeros(slots, dtype=np.intp)
        self.deadline = np.full(slots, _FAR, dtype=np.intp)
        self.inc = np.zeros(slots, dtype=np.intp)  # 5 for an active slot, else 0
        self.weight = np.full((slots, nl), _IDLE_WEIGHT)  # the trial's weight, per entry
        self.trial = np.zeros(slots, dtype=np.int64)
        self.tpos = np.zeros(slots, dtype=np.int64)  # stream position before the trial's gauss
        self.gnext = np.zeros(slots)  # gauss's cached value after the last fresh pair
        self.lp = np.zeros((slots, nl))  # langprob of the finished trials
        self.buf = np.empty((6, slots, nl))
        self.buf[0] = 1.0 / nl
        self._ar4 = np.arange(4)[:, None]

    # ---- pages in and out -------------------------------------------------------------------

    def _load(self, step: int) -> None:
        """Fill free slots with the next texts' pages; texts with no n-gram get None."""
        free = np.flatnonzero(~self.active)
        texts, first = self.texts, self.next_text
        last, chars = first, 0
        while last < len(texts) and last - first < len(free) and chars < _CHAR_BUDGET:
            chars += min(len(texts[last]), _TEXT_LIMIT)
            last += 1
        self.next_text = last
        rows, offsets = self.fast.ngram_rows_many(texts[first:last])
        counts = np.diff(offsets)
        live = np.flatnonzero(counts)
        if not len(live):
            return
        fast = self.fast
        slots = free[: len(live)]
        n = counts[live]
        shift = np.array([32 - k.bit_length() for k in n.tolist()], dtype=np.uint32)
        # The first _WINDOW stream outputs: draw values, accepted ones (row-major = by page).
        values = fast._stream[None, :_WINDOW] >> shift[:, None]
        accepted = values < n[:, None]
        per_page = np.count_nonzero(accepted, axis=1)
        page, column = np.nonzero(accepted)
        drawn = rows.take(offsets[live].take(page) + values[accepted])
        base = self._alloc(len(page))
        self.draws[base : base + len(page)] = drawn
        self.where[base : base + len(page)] = column
        seg_end = np.cumsum(per_page)
        seg_end += base
        self.seg_start[slots] = seg_end - per_page
        self.seg_end[slots] = seg_end
        self.deadline[slots] = seg_end - _SLACK
        self.active[slots] = True
        self.inc[slots] = 5
        self.lp[slots] = 0.0
        self.n_active += len(slots)
        bounds = offsets.tolist()
        for s, i in zip(slots.tolist(), live.tolist(), strict=True):
            self.pages[s] = (first + i, rows[bounds[i] : bounds[i + 1]], _WINDOW)
        for s in slots[per_page < _SLACK + 4].tolist():  # never seen in practice
            while self.seg_end[s] - self.seg_start[s] < _SLACK + 4:
                self._widen(s)
        pend, trial = np.zeros(len(slots), dtype=np.int64), np.zeros(len(slots), dtype=np.int64)
        self._begin_trials(slots, self.seg_start[slots], pend, trial, step)

    def _begin_trials(
        self, slots: np.ndarray, nxt: np.ndarray, pend: np.ndarray, trial: np.ndarray, step: int
    ) -> None:
        """Start trial `trial` of `slots`, whose next unused draw is at arena index `nxt` and
        whose stream stands at `pend`; their first block runs at `step`. Updates `nxt` and
        `pend` in place."""
        fresh = _FRESH.take(trial)  # trials 0, 2, 4, 6 draw a new gauss pair
        gz, gn = self.fast._gauss_tables(int(pend.max()) + 1)
        cached = self.gnext[slots]
        z = np.where(fresh, gz.take(pend), cached)
        self.gnext[slots] = np.where(fresh, gn.take(pend), cached)
        self.tpos[slots] = pend
        self.trial[slots] = trial
        # The trial's first draw is the first at or after pend (+ 4 if gauss drew): skip the
        # at most four accepted ones that gauss consumed.
        pend += _GAUSS_OUTPUTS.take(trial)
        ahead = self.where.take(self._ar4 + nxt)  # (4, slots)
        nxt += np.add.reduce(ahead < pend, 0, dtype=np.intp)
        nxt -= 4
        self.start[slots] = nxt
        nxt += 1000
        self.lim[slots] = nxt  # start at the 201st block
        z *= _ALPHA_WIDTH
        z += _ALPHA_DEFAULT
        z /= _BASE_FREQ
        self.weight[slots] = z[:, None]
        self.buf[0, slots] = 1.0 / self.fast._nl
        self.lead.append(slots)
        self.limit_at.setdefault(step + 200, []).append(slots)

    def _end_trials(self, slots: np.ndarray, step: int) -> None:
        """The trials of `slots` ended at `step` - 1 (start already advanced)."""
        nxt = self.start[slots]
        pend = self.where.take(nxt - 1)
        pend += 1
        lp = self.lp[slots]
        lp += self.buf[0, slots] / _N_TRIAL
        self.lp[slots] = lp
        trial = self.trial[slots]
        trial += 1
        done = trial == _N_TRIAL
        if done.any():
            finished = slots[done]
            results, pages = self.results, self.pages
            for s, row in zip(finished.tolist(), lp[done].tolist(), strict=True):
                results[pages[s][0]] = row
                pages[s] = None
            self._release(finished)
            going = ~done
            slots, nxt, pend, trial = slots[going], nxt[going], pend[going], trial[going]
            if not len(slots):
                return
        self._begin_trials(slots, nxt, pend, trial, step)

    def _release(self, slots: np.ndarray) -> None:
        """Free `slots`. A free slot still computes (on draws 0..4), but never ends a trial:
        with weight 2**60 all its factors are equal (p <= 1 is below half an ulp of 2**60), so
        its uniform row stays uniform (equal entries, 1/55 after each normalisation); and its
        start (0) never equals its lim (-1, or a former page's, >= 1000)."""
        self.active[slots] = False
        self.inc[slots] = 0
        self.start[slots] = 0
        self.deadline[slots] = _FAR
        self.weight[slots] = _IDLE_WEIGHT
        self.buf[0, slots] = 1.0 / self.fast._nl
        self.n_active -= len(slots)

    def _widen(self, s: int) -> None:
        """Move slot s's page to a new segment with the accepted draws of the next stream window
        (4x) appended."""
        text, rows, window = self.pages[s]
        n = len(rows)
        lo, hi = window, window * 4
        self.fast._extend_stream(hi)
        values = self.fast._stream[lo:hi] >> np.uint32(32 - n.bit_length())
        at = np.flatnonzero(values < n)
        old, end = int(self.seg_start[s]), int(self.seg_end[s])
        base = self._alloc(end - old + len(at), keep=s)
        old, end = int(self.seg_start[s]), int(self.seg_end[s])  # the arena may have moved
        mid = base + end - old
        for arena, more in ((self.draws, rows.take(values.take(at))), (self.where, at + lo)):
            arena[base:mid] = arena[old:end]
            arena[mid : mid + len(at)] = more
        moved = base - old
        self.start[s] += moved
        self.lim[s] += moved
        self.seg_start[s] = base
        self.seg_end[s] = mid + len(at)
        self.deadline[s] = mid + len(at) - _SLACK
        self.pages[s] = (text, rows, hi)

    def _alloc(self, size: int, keep: int = -1) -> int:
        """Room for `size` entries at the end of the arenas; compacts them (the segments of the
        active slots and of slot `keep`, in place, in order) or grows them when full."""
        if self.used + size <= len(self.draws):
            base = self.used
            self.used += size
            return base
        live = self.active.copy()
        if keep >= 0:
            live[keep] = True
        slots = np.flatnonzero(live)
        first, last = self.seg_start[slots], self.seg_end[slots]
        lengths = last - first
        moved = np.cumsum(lengths) - lengths - first  # new segment start - old
        order = np.arange(int(lengths.sum()))
        order -= np.repeat(moved, lengths)  # the old index of each new entry
        moved += 4
        capacity = len(self.draws)
        while capacity < 2 * (len(order) + size + 4):
            capacity *= 2
        for name in ("draws", "where"):
            arena = getattr(self, name)
            fresh = np.zeros(capacity, dtype=arena.dtype)
            fresh[4 : 4 + len(order)] = arena.take(order)
            setattr(self, name, fresh)
        for arr in (self.start, self.lim, self.seg_start, self.seg_end, self.deadline):
            arr[slots] += moved
        self.used = 4 + len(order) + size
        return 4 + len(order)

    def _compact(self) -> None:
        """Keep only the active slots (the texts are all loaded)."""
        keep = np.flatnonzero(self.active)
        # A power of two (>= 2: the sum needs two slots, point 6), padded with free slots, so
        # that few slot counts occur.
        size = max(2, 1 << (len(keep) - 1).bit_length())
        keep = np.union1d(keep, np.flatnonzero(~self.active)[: size - len(keep)])
        renum = np.full(len(self.active), -1)
        renum[keep] = np.arange(len(keep))
        for name in (
            "active", "start", "lim", "seg_start", "seg_end", "deadline", "inc", "weight",
            "trial", "tpos", "gnext", "lp",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name)[keep])
        self.buf = np.ascontiguousarray(self.buf[:, keep])
        self.pages = [self.pages[s] for s in keep.tolist()]

        def remap(groups: list[np.ndarray]) -> list[np.ndarray]:
            moved = [renum[g] for g in groups]
            return [g[g >= 0] for g in moved]

        self.lead = remap(self.lead)
        self.limit_at = {k: remap(v) for k, v in self.limit_at.items()}

    def _abandon(self) -> None:
        """Finish every page (started or not) on the one-page path."""
        self._handoff()
        for text in range(self.next_text, len(self.texts)):
            self.results[text] = self.fast.langprob(self.texts[text])
        self.next_text = len(self.texts)

    def _handoff(self) -> None:
        """Finish the last pages one by one, each where it stands: in the middle of its
        current trial, or at its start."""
        fast = self.fast
        for s in np.flatnonzero(self.active).tolist():
            text, rows, _ = self.pages[s]
            trial = int(self.trial[s])
            begun = int(self.lim[s]) - 1000  # the start of the trial's first block
            blocks = (int(self.start[s]) - begun) // 5
            if blocks:  # the draws after the trial's first: page-local indices
                first = begun + 4 - int(self.seg_start[s])
                resume = (self.buf[0, s].copy(), first, blocks, float(self.weight[s, 0]))
                gauss_next = None if trial & 1 else float(self.gnext[s])
                self.results[text] = fast._trials(
                    rows, trial, 0, gauss_next, self.lp[s].copy(), resume
                )
            else:
                gauss_next = float(self.gnext[s]) if trial & 1 else None
                self.results[text] = fast._trials(
                    rows, trial, int(self.tpos[s]), gauss_next, self.lp[s].copy()
                )
        self._release(np.flatnonzero(self.active))

    # ---- the steps ----------------------------------------------------------------------------

    def run(self) -> list[list[float] | None]:
        """Invariant at every _CHECK_EVERY-th step: start <= seg_end - _SLACK for each active
        slot. A step advances start by 5 and a new trial starts at most 5 draws further on, so
        the draws a block and the trial change after it read (start + 9) stay in the page's
        storage until the next check."""
        fast = self.fast
        matrix, conv, nl = fast._matrix, _CONV_THRESHOLD, fast._nl
        ar5 = np.arange(5)[:, None]
        total_texts = len(self.texts)
        refill = max(1, len(self.active) // _REFILL)
        step = 0
        stale = True
        while True:
            while self.next_text < total_texts and (
                len(self.active) - self.n_active >= refill or not self.n_active
            ):
                self._load(step)
            if not self.n_active:
                break
            if self.next_text >= total_texts:
                if self.n_active <= self.handoff:
                    self._handoff()
                    break
                if self.n_active <= len(self.active) // 2 and len(self.active) > 2:
                    self._compact()
                    stale = True
            if stale:
                count = len(self.active)
                products_ok, sums_ok = fast._arrays_ok(count)
                if not products_ok:  # not seen: the constructor checks many counts
                    self._abandon()
                    break
                seq_sum = fast.seq_sum and sums_ok
                start, inc, lim = self.start, self.inc, self.lim
                buf, weight = self.buf, self.weight[None]
                prob, factors = buf[0], buf[1:]
                product = np.empty((count, nl))
                by_lang = np.empty((nl, count))  # product, transposed
                total = np.empty(count)
                total_col = total[:, None]
                top = np.empty(count)
                over = np.empty(count, dtype=bool)
                idx = np.empty((5, count), dtype=np.intp)
                rows = np.empty((5, count), dtype=np.intp)
                stale = False
            if step % _CHECK_EVERY == 0:
                for s in np.flatnonzero(start > self.deadline).tolist():
                    while start[s] > self.deadline[s]:
                        self._widen(s)
            np.add(ar5, start, out=idx)
            self.draws.take(idx, out=rows, mode="clip")
            matrix.take(rows, 0, out=factors, mode="clip")
            np.add(factors, weight, out=factors)
            if self.lead:
                lead = self.lead[0] if len(self.lead) == 1 else np.concatenate(self.lead)
                factors[:4, lead] = 1.0
                self.lead = []
            np.multiply.reduce(buf, 0, out=product)
            np.copyto(by_lang, product.T)
            if seq_sum:
                np.add.reduce(by_lang, 0, out=total)
            else:
                total[:] = [sum(row) for row in product.tolist()]
            np.divide(product, total_col, out=prob)
            np.maximum.reduce(by_lang, 0, out=top)
            np.divide(top, total, out=top)
            np.greater(top, conv, out=over)
            limited = self.limit_at.pop(step, None)
            if limited is not None:  # (a free slot has start 0 < lim)
                limited = limited[0] if len(limited) == 1 else np.concatenate(limited)
                over[limited[start.take(limited) == lim.take(limited)]] = True
            np.add(start, inc, out=start)
            ended = np.flatnonzero(over)  # no free slot (see _release)
            step += 1
            if len(ended):
                self._end_trials(ended, step)
        return self.results
