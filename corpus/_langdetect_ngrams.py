"""Text to langdetect 1.0.9's n-grams, as profile rows (points 1 to 3 of the argument in
`corpus._langdetect_fast`'s docstring).

`_NgramExtractor.rows(text)` is the list `Detector._extract_ngrams()` returns after
`append(text)`, each n-gram as its row in a float matrix of the factory's profile. It applies
Detector.append's URL and e-mail substitutions and NGram.normalize_vi (on a prefix of long
texts), cleaning_text's Latin / non-Latin counts and NGram.normalize (tabulated over the BMP),
then looks up the 1-, 2- and 3-grams that NGram's buffer yields at each position in dense tables
and an exact cuckoo hash. `corpus._langdetect_checks` compares the lists with langdetect's own
on a few probes when the detector is built.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_TEXT_LIMIT = 10_000  # Detector.max_text_length

# How far a regex match attempt can read past its start (point 1 of the argument):
# URL 'https://' + {1,2076} = 2084, e-mail 64 + '@' + 255 + 255 = 575, Vietnamese 2. Rounded up.
_W_URL, _W_MAIL, _W_VI = 2200, 700, 8
_PREFIX = 16_384  # first prefix tried for long texts; leaves >= 10,000 after the three windows

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


class _NgramExtractor:
    """The n-gram lookup tables of a `DetectorFactory`'s profile, and text -> profile rows."""

    def __init__(self, factory: Any, nl: int) -> None:
        from langdetect.detector import Detector
        from langdetect.utils import unicode_block as ub
        from langdetect.utils.ngram import NGram

        self._url_sub = Detector.URL_RE.sub
        self._mail_sub = Detector.MAIL_RE.sub
        self._normalize_vi = NGram.normalize_vi
        self._dmarks = tuple(NGram.DMARK_CLASS)

        # Profile: n-gram -> row of a float64 matrix holding the factory's own floats.
        prob_map = factory.word_lang_prob_map
        grams = [g for g in prob_map if 1 <= len(g) <= 3]
        self.matrix = np.array([prob_map[g][:nl] for g in grams], dtype=np.float64)
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

    def prepared(self, text: str) -> str:
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

    def rows(self, text: str) -> np.ndarray:
        """Profile rows of `Detector._extract_ngrams()` after `append(text)`, in order."""
        a = self._normalized_codes(self.prepared(text))
        if len(a) == 1:
            return np.empty(0, dtype=np.int32)
        rows = self._ngram_table(a).ravel()
        return rows[rows >= 0]

    def rows_many(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """`rows` of every text in one pass: the concatenated rows and the offsets
        (len(texts) + 1) of each text's part. The texts' codes are concatenated, each with its
        leading ' ' (point 3's A); a text's positions then see the same two characters before
        them as alone (its ' ' stops the 3-gram reaching back and the capitalword run), so only
        the rows at each separating ' ' are dropped: the 2- and 3-grams ending there."""
        a, lengths = self._codes_many([self.prepared(text) for text in texts])
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
