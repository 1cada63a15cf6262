"""A bit-exact, faster re-implementation of langdetect 1.0.9's `Detector` (seeded, 7 trials).

`FastLangdetect(factory).langprob(text)` returns the very list `Detector.langprob` that
`factory.create(); append(text); get_probabilities()` computes (before its p > 0.1 filter and
sort), or None where langdetect raises "No features in text." It serves C4's English filter, the
CPU hot spot of the build; `corpus.langid` holds the verdict logic. Pure Python + numpy; its
tables take about 50 MB; scratch buffers are per thread.

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
   holding the factory's own floats.
4. Randomness. The detector re-seeds `random.Random` with 0 for every text, so the stream of
   32-bit Mersenne Twister outputs is the same for every text; we precompute it. `choice(ngrams)`
   is `getrandbits(k)` (= output >> (32 - k), k = len(ngrams).bit_length()) with rejection of
   values >= len(ngrams), one output per attempt; `gauss` takes two `random()` calls (four
   outputs) every other call and returns the cached value in between. We replay exactly that,
   taking the Gaussian values from the real `Random.gauss` at the right stream position. The
   constructor checks these facts about CPython's `random` (and the n-gram lists of a few
   probes against langdetect's); if any fails, `exact` is False and callers use langdetect.
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
"""

from __future__ import annotations

import random
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
        # by how many 2- and 3-grams hold the character; 2-grams of ids < 512 and 3-grams of ids
        # < 64 are read from plain arrays, which stay in cache.
        uses: dict[str, int] = {}
        for g, _ in emitted:
            if len(g) > 1:
                for ch in set(g):
                    uses[ch] = uses.get(ch, 0) + 1
        common = sorted(uses, key=lambda ch: (-uses[ch], ch))[:_DENSE2]
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
        self._local, self._lock = threading.local(), threading.Lock()
        self._state0 = random.Random(0).getstate()
        self._stream_gen = random.Random(0)
        self._stream = np.empty(0, dtype=np.uint32)
        self._extend_stream(_INITIAL_STREAM)
        self._gauss_rng = random.Random()
        self._gauss_cache: dict[int, tuple[float, float]] = {}
        self._uniform = np.full(nl, 1.0 / nl)  # _init_probability: [1.0 / 55] * 55

        self.exact = self._self_check()

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
        self._local, self._lock = threading.local(), threading.Lock()

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
        """' ' + cleaning_text + NGram.normalize of `text`, as int64 code points (points 2, 3)."""
        codes = np.empty(len(text) + 1, dtype=np.int64)
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

    def ngram_rows(self, text: str) -> np.ndarray:
        """Profile rows of `Detector._extract_ngrams()` after `append(text)`, in order."""
        a = self._normalized_codes(self._prepared(text))
        size = len(a) - 1  # positions 1..size of point 3
        if size == 0:
            return np.empty(0, dtype=np.int64)
        out = np.empty((size, 3), dtype=np.int64)
        out[:, 0] = self._unigram.take(a[1:])
        # 2-grams A[i-1..i], i = 1..size, at index i - 1; 3-grams A[i-2..i], i = 2..size, at
        # index i - 2. Dense tables where every character is common, the hash elsewhere.
        ids = self._char_id.take(a).astype(np.int64)
        two = self._dense2.take((ids[:-1] << 9) | ids[1:], mode="clip")
        rare = np.flatnonzero((ids[:-1] | ids[1:]) >= _DENSE2)
        if len(rare):
            two[rare] = self._grams.lookup((a[rare] << 21) | a[rare + 1])
        out[:, 1] = two
        out[0, 2] = -1  # A[0..1] has a space in the middle
        three = self._dense3.take((ids[:-2] << 12) | (ids[1:-1] << 6) | ids[2:], mode="clip")
        rare = np.flatnonzero((ids[:-2] | ids[1:-1] | ids[2:]) >= _DENSE3)
        if len(rare):
            three[rare] = self._grams.lookup((a[rare] << 42) | (a[rare + 1] << 21) | a[rare + 2])
        out[1:, 2] = three
        upper = self._upper.take(a)
        out[upper[1:] & upper[:-1]] = -1  # capitalword
        rows = out.ravel()
        return rows[rows >= 0]

    # ---- the trials (points 4 and 5) --------------------------------------------------------

    def langprob(self, text: str) -> list[float] | None:
        """Detector.langprob after `append(text)`; None where langdetect raises."""
        rows = self.ngram_rows(text)
        n = len(rows)
        if n == 0:
            return None
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
        langprob = np.zeros(self._nl)
        pos = 0  # stream position
        gauss_next: float | None = None
        leader = 0  # index of the last known largest entry; only a hint (point 5)
        tmp, batches = self._scratch()
        view = memoryview(tmp)
        conv, floor = _CONV_THRESHOLD, _LEADER_FLOOR
        for _ in range(_N_TRIAL):
            if gauss_next is None:
                z, gauss_next = self._gauss_pair(pos)
                pos += 4
            else:
                z, gauss_next = gauss_next, None
            weight = (_ALPHA_DEFAULT + z * _ALPHA_WIDTH) / _BASE_FREQ
            first = int(positions.searchsorted(pos))  # the first draw at or after pos
            prob = self._uniform
            done = 0  # updates so far in this trial
            converged = False
            for buf, blocks, outs in batches:
                # buf = [prob, factor rows...]; block b is buf[5b : 5b + 6] and its normalised
                # result overwrites buf[5b + 5], its last (consumed) factor row and the next
                # block's first row. langdetect checks after updates 1, 6, 11, ...: the trial's
                # first block is [prob, 1.0 x 4, first factor], and x * 1.0 == x exactly.
                lead_in = 4 if done == 0 else 0
                count = len(buf) - 1 - lead_in
                lo = first + done
                while lo + count > len(positions):
                    widen()
                buf[0] = prob
                factors = buf[1 + lead_in :]
                take(draws[lo : lo + count], 0, factors, "clip")
                factors += weight
                if lead_in:
                    buf[1:5] = 1.0
                used = 0
                for block, out in zip(blocks, outs, strict=True):
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
                prob = buf[5 * used]
                if converged:
                    break
            # Otherwise the loop ran out at 1001 updates: langdetect's iteration limit.
            pos = int(positions[first + done - 1]) + 1
            langprob += prob / _N_TRIAL
        return langprob.tolist()


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
