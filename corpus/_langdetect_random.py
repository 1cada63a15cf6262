"""The random draws of langdetect 1.0.9's `Detector` after `seed(0)` (point 4 of
`corpus._langdetect_fast`'s docstring).

`Detector._detect_block` re-seeds `random.Random` with 0 for every text, so every text sees
the same stream of 32-bit Mersenne Twister outputs. `_SeededStream` precomputes that stream
(`choice(ngrams)` is one output per attempt, `getrandbits(k)` = output >> (32 - k), with
rejection) and tabulates by stream position the values `gauss(0.0, 1.0)` returns, computed
with random.py's own formula. `corpus._langdetect_checks` verifies both against CPython's
`random` when the detector is built.
"""

from __future__ import annotations

import math
import random
import threading

import numpy as np

_INITIAL_STREAM = 1 << 15  # outputs precomputed at construction; grown on demand


class _SeededStream:
    """The seed-0 output stream (`words`, uint32) and the gauss tables by stream position.
    Both only grow; readers holding an older array still see valid values."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._state0 = random.Random(0).getstate()
        self._stream_gen = random.Random(0)
        self.words = np.empty(0, dtype=np.uint32)
        self.extend(_INITIAL_STREAM)
        self._gauss_rng = random.Random()
        self._gauss_cache: dict[int, tuple[float, float]] = {}
        self._gauss_z = self._gauss_n = np.empty(0)
        self._extend_gauss(_INITIAL_STREAM - 8)

    def __getstate__(self) -> dict:
        # Locks do not survive pickling: a fresh one is made instead.
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def extend(self, size: int) -> None:
        """Grow the precomputed seed-0 output stream to at least `size` 32-bit words."""
        if size <= len(self.words):
            return
        with self._lock:  # the generator must append to the stream it has produced so far
            have = len(self.words)
            if size <= have:
                return
            more = max(size - have, have)
            # getrandbits(32 * m) draws m outputs, the first in the least significant word.
            raw = self._stream_gen.getrandbits(32 * more).to_bytes(4 * more, "little")
            self.words = np.concatenate([self.words, np.frombuffer(raw, dtype="<u4")])

    def gauss_pair(self, pos: int) -> tuple[float, float]:
        """The two `gauss(0.0, 1.0)` values drawn when the stream stands at `pos`, from
        `Random.gauss` itself."""
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
            self.extend(size + 3)
            words = self.words[have : size + 3]
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

    def gauss_tables(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        """The gauss tables (see _extend_gauss), covering stream positions below `size`."""
        if size > len(self._gauss_z):
            self._extend_gauss(size)
        return self._gauss_z, self._gauss_n
