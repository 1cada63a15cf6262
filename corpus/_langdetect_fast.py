"""A bit-exact, faster re-implementation of langdetect 1.0.9's `Detector` (seeded, 7 trials).

`FastLangdetect(factory).langprob(text)` returns the very list `Detector.langprob` that
`factory.create(); append(text); get_probabilities()` computes (before its p > 0.1 filter and
sort), or None where langdetect raises "No features in text." `langprobs(texts)` returns
`[langprob(text) for text in texts]`, faster again on a list of pages: it runs the trials of
many pages in lockstep (point 6; speeds are in BENCHMARKS.md). It serves C4's English filter,
the CPU hot spot of the build; `corpus.langid` holds the verdict logic. Pure Python + numpy;
scratch buffers are per thread (per call for `langprobs`).

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
   from the start. Each page's draws come in windows of the stream (1024 outputs first, then
   4x), kept in shared arenas. The constructor also
   runs the lockstep on the probes (and on two texts that hit the iteration limit, with no
   hand-off) against the one-page path; if any of its checks fails, `batch_exact` is False and
   `langprobs` takes the pages one by one.

The parts: this module (constants, `FastLangdetect`: the settings checks, `langprob` and the
one-page trials of points 4 and 5, `langprobs`), `corpus._langdetect_ngrams` (points 1 to 3:
text to n-gram rows), `corpus._langdetect_random` (point 4: the seed-0 stream and gauss
tables), `corpus._langdetect_checks` (the construction checks of points 4 to 6) and
`corpus._langdetect_lockstep` (point 6).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from c4forge.corpus._langdetect_checks import check_lockstep, self_check
from c4forge.corpus._langdetect_ngrams import _TEXT_LIMIT, _NgramExtractor
from c4forge.corpus._langdetect_random import _SeededStream

_N_TRIAL = 7  # Detector.n_trial
_ITERATION_LIMIT = 1000
_CONV_THRESHOLD = 0.99999
_BASE_FREQ = 10000
_ALPHA_DEFAULT = 0.5
_ALPHA_WIDTH = 0.05

# A normalised entry this large rules out any other entry above the convergence threshold.
_LEADER_FLOOR = 1e-4

# Blocks per batch of a trial: the first block is the first update alone, then blocks of 5, so
# 201 blocks make 1 + 5 * 200 = 1001 updates, langdetect's iteration limit (it stops when
# i >= 1000 at a check). Most trials converge within the first batch.
_BLOCKS = (13, 28, 160)
_LIMIT_BLOCKS = sum(_BLOCKS)  # 201

# Pages per lockstep batch (point 6), the default of `langprobs`.
BATCH_SIZE = 256


class FastLangdetect:
    """langdetect 1.0.9's seeded detector for one `DetectorFactory`'s profiles, exactly."""

    def __init__(self, factory: Any) -> None:
        from langdetect.detector import Detector
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
        # Text to n-gram rows (points 1 to 3); the rows index `_matrix`, the profile's floats.
        self._ngrams = _NgramExtractor(factory, nl)
        self._matrix = self._ngrams.matrix
        self.row_of: dict[str, int] = self._ngrams.row_of
        # The Mersenne Twister stream after seed(0), and Gaussian values by stream position.
        self._stream = _SeededStream()
        self._local = threading.local()
        self._uniform = np.full(nl, 1.0 / nl)  # _init_probability: [1.0 / 55] * 55

        self.exact = self_check(self)
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
        # Thread-locals (the scratch buffers and their views) do not survive pickling: each
        # thread rebuilds its own instead.
        state = self.__dict__.copy()
        del state["_local"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def _check_lockstep(self) -> bool:
        """The lockstep's construction checks (`corpus._langdetect_checks.check_lockstep`)."""
        return check_lockstep(self)

    # ---- text to n-grams (points 1 to 3, corpus._langdetect_ngrams) -------------------------

    @property
    def _table(self) -> np.ndarray:
        """NGram.normalize by code point."""
        return self._ngrams._table

    def _prepared(self, text: str) -> str:
        """Detector.append's text (its first 10,000 characters), see point 1."""
        return self._ngrams.prepared(text)

    def ngram_rows(self, text: str) -> np.ndarray:
        """Profile rows of `Detector._extract_ngrams()` after `append(text)`, in order."""
        return self._ngrams.rows(text)

    def ngram_rows_many(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """`ngram_rows` of every text in one pass: the concatenated rows and the offsets
        (len(texts) + 1) of each text's part."""
        return self._ngrams.rows_many(texts)

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

        stream = self._stream

        def accepted(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
            """Stream positions in [lo, hi) whose draw is accepted, and the drawn rows."""
            stream.extend(hi)
            values = stream.words[lo:hi] >> shift
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
                    fresh, cached = stream.gauss_tables(pos + 1)
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
        # Imported here: the lockstep module imports this one at its top.
        from c4forge.corpus._langdetect_lockstep import langprobs

        return langprobs(self, texts, batch_size)
