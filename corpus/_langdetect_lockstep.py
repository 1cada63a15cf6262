"""The lockstep path of `corpus._langdetect_fast` (point 6 of its docstring): the seeded
trials of many pages advance together, one block of every page per step, on (pages x 55)
arrays.

langdetect's `Detector._detect_block` re-seeds its `random.Random` for every text, so pages do
not interact, and per page a step does exactly the float operations of the one-page path
(`FastLangdetect._trials`, point 5): the same products, the builtin `sum` order, the same
divisions and convergence test. `langprobs` is `FastLangdetect.langprobs`; it takes the pages
one by one where the lockstep's construction checks failed (`batch_exact`) or the list is short.
"""

from __future__ import annotations

import numpy as np

from c4forge.corpus._langdetect_checks import arrays_ok
from c4forge.corpus._langdetect_fast import (
    _ALPHA_DEFAULT,
    _ALPHA_WIDTH,
    _BASE_FREQ,
    _CONV_THRESHOLD,
    _N_TRIAL,
    FastLangdetect,
)
from c4forge.corpus._langdetect_ngrams import _TEXT_LIMIT

# The largest slot count, the first stream window per page (most pages use fewer outputs), how
# often the windows are checked, the free slots that trigger a refill, the characters of text
# whose n-grams are extracted in one go, and the page counts below which the one-page path is
# cheaper (a whole call, or the last pages of one).
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
_FRESH = np.arange(_N_TRIAL) % 2 == 0  # trials that draw a new gauss pair
_GAUSS_OUTPUTS = np.where(_FRESH, 4, 0)  # the stream outputs they take


def langprobs(fast: FastLangdetect, texts: list[str], batch_size: int) -> list[list[float] | None]:
    """`[fast.langprob(text) for text in texts]`, the trials of up to `batch_size` pages at a
    time run in lockstep."""
    texts = list(texts)
    if not fast.batch_exact or len(texts) < _MIN_LOCKSTEP or batch_size < 2:
        return [fast.langprob(text) for text in texts]
    return _Lockstep(fast, texts, min(batch_size, len(texts), _MAX_BATCH)).run()


class _Lockstep:
    """The seeded trials of many pages in lockstep.

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
        values = fast._stream.words[None, :_WINDOW] >> shift[:, None]
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
        gz, gn = self.fast._stream.gauss_tables(int(pend.max()) + 1)
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
        self.fast._stream.extend(hi)
        values = self.fast._stream.words[lo:hi] >> np.uint32(32 - n.bit_length())
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
        # A power of two (>= 2: the sum needs two slots), padded with free slots, so
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
                products_ok, sums_ok = arrays_ok(fast, count)
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
