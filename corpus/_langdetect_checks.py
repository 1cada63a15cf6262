"""The facts `corpus._langdetect_fast` relies on, checked when the detector is built.

`self_check` verifies what points 3 to 5 of that module's docstring assume about CPython's
`random` (`Random.choice` is getrandbits with rejection, one output per attempt; `gauss` takes
four outputs for a fresh pair and none for its cached value; the gauss tables equal
`Random.gauss`), about numpy (multiply.reduce along axis 0 is the in-order product) and about
langdetect (the n-gram lists of a few probes equal `Detector._extract_ngrams()`). If one fails,
the detector's `exact` is False and callers use langdetect itself. `check_lockstep` does the
same for the lockstep path (point 6): the array facts for many slot counts, and the lockstep
against the one-page path; if one fails, `batch_exact` is False and pages go one by one.
`arrays_ok` also serves the lockstep at run time, for slot counts not checked here.
"""

from __future__ import annotations

import random
import sys
from typing import TYPE_CHECKING

import numpy as np

from c4forge.corpus._langdetect_random import _INITIAL_STREAM

if TYPE_CHECKING:
    from c4forge.corpus._langdetect_fast import FastLangdetect

# Slot counts whose array facts are checked at construction (others on first use).
_CHECKED_SLOTS = [*range(2, 70), 127, 128, 129, 255, 256, 300, 511, 512, 1000, 1024]

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


def self_check(fast: FastLangdetect) -> bool:
    """Verify the CPython `random`, numpy and langdetect facts the fast path relies on."""
    stream = fast._stream.words
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
        if pair != fast._stream.gauss_pair(pos) or pair[0] != first:
            return False
    # The gauss tables against Random.gauss itself.
    for pos in [*range(40), 999, 4096, 12_345, 30_000, _INITIAL_STREAM - 9]:
        z, n = fast._stream.gauss_tables(pos + 1)
        if (float(z[pos]), float(n[pos])) != fast._stream.gauss_pair(pos):
            return False
    # multiply.reduce along axis 0 == in-order element-wise products.
    gen = np.random.default_rng(0)
    for _ in range(20):
        block = np.exp(gen.uniform(-130.0, 10.0, size=(6, fast._nl)))  # to subnormals
        seq = block[0].copy()
        for r in range(1, 6):
            seq *= block[r]
        if not np.array_equal(np.multiply.reduce(block, axis=0), seq):
            return False
    # The n-gram list on a few probes, against langdetect's own extraction.
    index = fast.row_of
    for text in _PROBES:
        detector = fast._factory.create()
        detector.append(text)
        detector.cleaning_text()
        want = [index[g] for g in detector._extract_ngrams()]
        if fast.ngram_rows(text).tolist() != want:
            return False
    return True


def arrays_ok(fast: FastLangdetect, pages: int) -> tuple[bool, bool]:
    """For `pages` slots (>= 2): whether multiply.reduce over axis 0 of (6, pages, nl) is
    the five in-order products, and whether add.reduce over axis 0 of (nl, pages) is the
    builtin `sum` of each column, i.e. row by row with no pairwise summation (which numpy
    uses along the inner axis; Python 3.12's `sum` is compensated). On random data with
    subnormal, zero and huge values; cached per slot count (point 6)."""
    known = fast._arrays_checked.get(pages)
    if known is not None:
        return known
    nl, gen = fast._nl, np.random.default_rng(pages)
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
    fast._arrays_checked[pages] = known = (products, sums)
    return known


def check_lockstep(fast: FastLangdetect) -> bool:
    """The array facts for a range of slot counts, and the lockstep path == the one-page
    path on the probes (with empty texts in between)."""
    # Imported here: the lockstep module imports this one (arrays_ok) at its top.
    from c4forge.corpus._langdetect_lockstep import _HANDOFF, _Lockstep

    checked = [arrays_ok(fast, pages) for pages in _CHECKED_SLOTS]
    fast.seq_sum = all(sums for _, sums in checked)
    if not all(products for products, _ in checked):
        return False
    # "AB" and the Ukrainian line hit the 1000-iteration limit.
    probes = ["AB", "Це не просто так!"]
    probes += [text for probe in _PROBES for text in (probe, probe * 3, "")]
    want = [fast.langprob(text) for text in probes]
    for handoff in (0, _HANDOFF):  # all in lockstep; the last pages handed off
        lockstep = _Lockstep(fast, probes, 8)
        lockstep.handoff = handoff
        if lockstep.run() != want:
            return False
    return True
