"""MinHash signatures and LSH bands (corpus.minhash): normalization rules, cross-checks against
datasketch, and the banding S-curve on planted pairs of real pages."""

from __future__ import annotations

import gzip
import math
import random

import numpy as np
import pytest
from datasketch import MinHash

from c4forge.corpus import minhash
from c4forge.corpus.minhash import MinHashConfig

from c4_testing import SHARED_DATA
from near_dup_testing import jaccard as set_jaccard
from near_dup_testing import planted_pairs, shingle_set


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hello, World!", ["hello", "world"]),
        ("Price: 3.14 or 1,000 and 42", ["price", "0", "or", "0", "and", "0"]),
        ("Café crème brûlée", ["cafe", "creme", "brulee"]),
        ("snake_case-and—dashes", ["snake", "case", "and", "dashes"]),
        ("  tabs\tand\nnewlines  ", ["tabs", "and", "newlines"]),
        ("Ελληνικά κείμενα", ["ελληνικα", "κειμενα"]),
        ("«quoted» ‘text’ (here)", ["quoted", "text", "here"]),
        ("", []),
    ],
)
def test_normalize_words(text, words):
    assert minhash.normalize_words(text) == words


def test_permutations_are_datatroves_draws():
    a, b = minhash.permutations(112, 1)
    # DEDUP.md §3: with seed 1, datatrove's a[1] (all of `a` drawn first) is this number.
    assert int(a[1]) == 1758426461858698313
    assert a.dtype == b.dtype == np.uint64
    assert ((a >= 1) & (a < minhash.MERSENNE_61)).all()
    assert (b < minhash.MERSENNE_61).all()


def _ngrams(words, n):
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def test_vectorized_shingle_hashes_equal_the_scalar_hash():
    words = minhash.normalize_words(planted_pairs(limit=3)[2][1])
    expected = sorted({minhash.shingle_hash(g) for g in _ngrams(words, 5)})
    assert minhash.shingle_hashes(words, 5).tolist() == expected
    assert minhash.shingle_hashes(words[:4], 5).size == 0  # fewer words than a shingle


@pytest.mark.parametrize("limit", [1, 6])
def test_signature_equals_datasketch_minhash(limit):
    """datasketch's MinHash, given our permutations and our shingle hash, has our signature."""
    config = MinHashConfig()
    a, b = minhash.permutations(config.num_perm, config.seed)
    for _, text_a, _, text_b, _ in planted_pairs(limit=limit)[-1:]:
        sigs, theirs = [], []
        for text in (text_a, text_b):
            words = minhash.normalize_words(text)
            ds = MinHash(
                num_perm=config.num_perm,
                permutations=np.stack([a, b]),
                hashfunc=minhash.shingle_hash,
            )
            for gram in _ngrams(words, config.ngram):
                ds.update(gram)
            sigs.append(minhash.signature(minhash.shingle_hashes(words, config.ngram), config))
            theirs.append(ds)
            assert len(_ngrams(words, config.ngram)) > 256  # spans several permutation chunks
            np.testing.assert_array_equal(sigs[-1], ds.hashvalues)
        assert minhash.estimated_jaccard(*sigs) == pytest.approx(theirs[0].jaccard(theirs[1]))


def test_signature_ignores_order_and_repeats():
    config = MinHashConfig(bands=4, rows=3)
    hashes = np.array([5, 17, 2**32 - 1, 0, 123456789], dtype=np.uint64)
    shuffled = np.concatenate([hashes[::-1], hashes[:2]])
    np.testing.assert_array_equal(
        minhash.signature(hashes, config), minhash.signature(shuffled, config)
    )
    with pytest.raises(ValueError, match="no MinHash signature"):
        minhash.signature(np.empty(0, dtype=np.uint64), config)


def test_signature_equals_the_textbook_formula_on_python_ints():
    config = MinHashConfig(bands=2, rows=5)
    a, b = minhash.permutations(config.num_perm, config.seed)
    rng = random.Random(3)
    hashes = [rng.randrange(2**32) for _ in range(700)]
    expected = [
        min((((int(ai) * h + int(bi)) % 2**64) % minhash.MERSENNE_61) & 0xFFFFFFFF for h in hashes)
        for ai, bi in zip(a, b, strict=True)
    ]
    got = minhash.signature(np.unique(np.array(hashes, dtype=np.uint64)), config)
    assert got.tolist() == expected


def test_band_keys_depend_on_band_and_rows():
    config = MinHashConfig(bands=3, rows=2)
    sig = np.array([1, 2, 1, 2, 7, 8], dtype=np.uint64)
    keys = minhash.band_keys(sig, config)
    assert [band for band, _ in keys] == [0, 1, 2]
    assert keys[0] != keys[1]  # same rows, other band: another bucket
    other = minhash.band_keys(np.array([1, 2, 9, 9, 7, 8], dtype=np.uint64), config)
    assert [k == o for k, o in zip(keys, other, strict=True)] == [True, False, True]


def test_exact_jaccard_of_hash_sets():
    a = np.array([1, 2, 3, 4], dtype=np.uint64)
    b = np.array([3, 4, 5], dtype=np.uint64)
    assert minhash.jaccard(a, b) == pytest.approx(2 / 5)
    assert minhash.jaccard(a, a) == 1.0
    empty = np.empty(0, dtype=np.uint64)
    assert minhash.jaccard(empty, empty) == 0.0


def test_candidate_probability_matches_published_figures():
    # DEDUP.md §1: 14 x 8 gives 0.924 at 0.8; Lee et al.'s 450 x 20 gives 0.995.
    assert minhash.candidate_probability(0.8, 14, 8) == pytest.approx(0.924, abs=5e-4)
    assert minhash.candidate_probability(0.8, 450, 20) == pytest.approx(0.995, abs=5e-4)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bands", 0, "bands must be at least 1"),
        ("ngram", -1, "ngram must be at least 1"),
        ("threshold", 1.5, "threshold must be in"),
    ],
)
def test_config_rejects_bad_values(field, value, message):
    with pytest.raises(ValueError, match=message):
        MinHashConfig(**{field: value})


def test_hash_set_jaccard_equals_string_shingle_jaccard():
    """32-bit shingle hashes: on real pages, the hash sets' Jaccard is the strings'."""
    for _, text_a, _, text_b, similarity in planted_pairs(limit=40):
        ha = minhash.page_shingles(text_a, MinHashConfig())
        hb = minhash.page_shingles(text_b, MinHashConfig())
        assert ha.size == len(shingle_set(text_a))
        assert minhash.jaccard(ha, hb) == pytest.approx(similarity, abs=1e-3)


def test_candidate_rate_per_similarity_bin_follows_the_s_curve():
    """Pairs of pages become candidates (share a band) as often as 1 - (1 - s^r)^b predicts:
    per bin of exact similarity, the count is within 4 standard deviations of the sum of the
    pairs' probabilities (a Poisson-binomial), across two seeds' worth of permutations."""
    pairs = planted_pairs(seed=1)
    bins: dict[int, list[tuple[float, bool]]] = {}
    for seed in (1, 2):
        config = MinHashConfig(seed=seed)
        for _, text_a, _, text_b, _ in pairs:
            ha, hb = (minhash.page_shingles(t, config) for t in (text_a, text_b))
            if ha.size == 0 or hb.size == 0:
                continue
            s = minhash.jaccard(ha, hb)
            keys_a = set(minhash.band_keys(minhash.signature(ha, config), config))
            keys_b = set(minhash.band_keys(minhash.signature(hb, config), config))
            bins.setdefault(min(int(s * 10), 9), []).append((s, bool(keys_a & keys_b)))
    checked = 0
    for members in bins.values():
        probs = [minhash.candidate_probability(s, 14, 8) for s, _ in members]
        expected = sum(probs)
        sd = math.sqrt(sum(p * (1 - p) for p in probs))
        observed = sum(hit for _, hit in members)
        assert abs(observed - expected) <= 4 * sd + 1, (observed, expected, sd)
        checked += len(members)
    assert checked >= 800
    # The bins that matter hold enough pairs to tell the curve apart from a step.
    assert len(bins[6]) >= 50
    assert len(bins[8]) >= 100
    assert set_jaccard({1}, {1}) == 1.0


def _plain_normalize(text: str) -> list[str]:
    """normalize_words' rule written the plain way: whole-text passes, marks by category."""
    import re
    import unicodedata

    text = re.sub(r"\d+(?:[.,\u060c\u066b\u2396\u2397\u2398]\d+)?", "0", text.lower())
    text = unicodedata.normalize("NFD", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"[^\w\s]|_", " ", text).split()


def test_normalize_words_equals_the_plain_rule_on_real_pages():
    """The fast paths (ASCII translate table, non-ASCII runs only) change nothing: on the
    cc_text pages and OSCAR's lines in 166 languages."""
    from near_dup_testing import real_pages

    pages = [text for _, text in real_pages()]
    for path in sorted((SHARED_DATA / "langid" / "oscar_dummy").glob("*.txt.gz")):
        pages.append(gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))
    assert len(pages) > 850  # the cc_text pages and OSCAR's lines in 166 languages
    assert any(not p.isascii() for p in pages)
    assert any(p.isascii() for p in pages)
    for text in pages:
        assert minhash.normalize_words(text) == _plain_normalize(text)


@pytest.mark.parametrize("seed", range(3))
def test_normalize_words_equals_the_plain_rule_on_random_text(seed):
    rng = random.Random(seed)
    alphabet = [chr(c) for c in range(128)] + list("éè“”—…üßİ١٢٫\u0301\u0308\u00a0\u2028ǅﬁ")
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(60)))
        assert minhash.normalize_words(text) == _plain_normalize(text), repr(text)
