"""Eval-set decontamination's pure core (corpus.decontamination): the n-gram rules, the hash
fold against a direct big-integer reference, exact confirmation of hash hits, and recall and
precision on eval examples planted into real pages (issue 14's acceptance)."""

from __future__ import annotations

import hashlib
import pickle
import random

import numpy as np
import pytest

from c4forge.corpus import decontamination as dc
from c4forge.corpus import minhash
from c4forge.corpus.decontamination import DecontaminationConfig, Match

from decontam_testing import (
    contained,
    control_pages,
    eval_examples,
    planted_pages,
)

CONFIG = DecontaminationConfig()
NATO = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november"
NATO += " oscar papa quebec romeo sierra tango uniform"
WORDS13, WORDS8 = NATO.split()[:13], NATO.split()[13:]


def matched(text, index, config=CONFIG):
    return {(m.task, m.example_id) for m in dc.find_contamination(text, index, config)}


# --- configuration ------------------------------------------------------------------------------


def test_defaults_are_nemo_curators():
    assert (CONFIG.ngram, CONFIG.min_words) == (13, 8)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ngram": 0}, "decontamination ngram must be a positive integer, not 0"),
        ({"min_words": -1}, "decontamination min_words must be a positive integer, not -1"),
        ({"ngram": True}, "decontamination ngram must be a positive integer, not True"),
        ({"ngram": "13"}, "decontamination ngram must be a positive integer, not '13'"),
    ],
)
def test_bad_settings_are_one_clear_error(settings, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        DecontaminationConfig(**settings)


# --- hashing ------------------------------------------------------------------------------------


def _reference_hash(words):
    """sum of blake2b_8(w_j) * F^(n-1-j) mod 2^64, in Python integers."""
    f = 0x9E3779B97F4A7C15
    h = 0
    for w in words:
        digest = hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest()
        h = (h * f + int.from_bytes(digest, "little")) % (1 << 64)
    return h


def test_ngram_hashes_fold_blake2b_word_hashes():
    words = ["the", "café", "0", *WORDS13]
    for n in (1, 8, 13):
        expected = [_reference_hash(words[i : i + n]) for i in range(len(words) - n + 1)]
        assert minhash.fold_ngrams(minhash.word_hashes(words), n).tolist() == expected
        assert dc.ngram_hash(words[:n]) == expected[0]
    assert minhash.fold_ngrams(minhash.word_hashes(WORDS8), 9).size == 0


# --- which eval n-grams --------------------------------------------------------------------------


def test_long_texts_give_every_13_gram_and_short_texts_their_whole_text():
    long_text = " ".join([*WORDS13, "november", "oscar"])  # 15 words: three 13-grams
    index = dc.build_index(
        [("t", "long", long_text), ("t", "short", " ".join(WORDS8)), ("t", "tiny", "a b c")],
        CONFIG,
    )
    assert index.ngram_count == 4
    assert index.task_summary() == {
        "t": {"examples": 3, "detectable_examples": 2, "texts": 3, "short_texts": 1}
    }
    middle = " ".join([*WORDS13[2:], "november", "oscar"])  # the last 13-gram alone
    assert matched(f"Intro. {middle}. Outro.", index) == {("t", "long")}
    assert matched(" ".join(WORDS13[1:]), index) == set()  # 12 words of it only
    assert matched(f"x {' '.join(WORDS8)} y", index) == {("t", "short")}
    assert matched(" ".join(WORDS8[:7]), index) == set()  # 7 of the 8 words
    assert matched("a b c " * 5, index) == set()  # the tiny text was not indexed


def test_settings_change_the_n_grams():
    config = DecontaminationConfig(ngram=5, min_words=3)
    index = dc.build_index([("t", "1", " ".join(WORDS13)), ("t", "2", "x y z")], config)
    assert matched("hotel india juliett kilo lima", index, config) == {("t", "1")}
    assert matched("oh x y z", index, config) == {("t", "2")}
    assert matched("hotel india juliett kilo", index, config) == set()


def test_the_match_is_the_pages_earliest_normalized_n_gram():
    index = dc.build_index([("t", "1", " ".join(WORDS13 + WORDS13))], CONFIG)
    (m,) = dc.find_contamination("Start: " + " ".join(WORDS13[3:] + WORDS13).upper(), index, CONFIG)
    assert m == Match("t", "1", " ".join(WORDS13[3:] + WORDS13[:3]))


def test_one_text_shared_by_examples_of_several_tasks_finds_them_all():
    text = " ".join(WORDS13)
    index = dc.build_index([("a", "v:1", text), ("b", "t:2", text), ("a", "v:3", text)], CONFIG)
    assert index.corpus.size == 13  # the text is stored once
    found = dc.find_contamination(text, index, CONFIG)
    assert [(m.task, m.example_id) for m in found] == [("a", "v:1"), ("a", "v:3"), ("b", "t:2")]


# --- exactness ----------------------------------------------------------------------------------


def test_hash_hits_are_confirmed_on_the_words(monkeypatch):
    # Every word hashed alike: every n-gram of a length has the same hash, so every position of
    # every page is a hash hit, and only the word comparison can tell a real match.
    monkeypatch.setattr(dc, "word_hashes", lambda words: np.ones(len(words), dtype=np.uint64))
    index = dc.build_index([("t", "1", " ".join(WORDS13)), ("t", "2", " ".join(WORDS8))], CONFIG)
    assert index.ngram_count == 2  # one hash per length (8 and 13)
    other = " ".join(f"w{i}" for i in range(40))
    assert matched(other + " " + " ".join(WORDS13[:12]) + " " + other, index) == set()
    assert matched(other + " " + " ".join(WORDS13) + " " + other, index) == {("t", "1")}


def test_no_n_gram_spans_two_pages_of_a_batch():
    index = dc.build_index([("t", "1", " ".join(WORDS13))], CONFIG)
    pages = [" ".join(WORDS13[:6]), " ".join(WORDS13[6:]), " ".join(WORDS13)]
    found = dc.find_contamination_batch(pages, index, CONFIG)
    assert [[(m.task, m.example_id) for m in ms] for ms in found] == [[], [], [("t", "1")]]


def test_an_index_scans_only_with_its_own_settings():
    index = dc.build_index([("t", "1", " ".join(WORDS13))], CONFIG)
    with pytest.raises(ValueError, match=r"built for .*ngram=13.* not .*ngram=12"):
        dc.find_contamination("x", index, DecontaminationConfig(ngram=12))


def test_an_empty_index_finds_nothing():
    index = dc.build_index([("t", "1", "too short")], CONFIG)
    assert index.ngram_count == 0
    assert dc.find_contamination(" ".join(WORDS13), index, CONFIG) == []


# --- planted into real pages ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def index():
    return dc.build_index(eval_examples(), CONFIG)


def test_every_planted_example_is_found_and_nothing_else(index):
    pages, planted = planted_pages(seed=0)
    # The truth, from word tuples alone: each page holds exactly what was planted in it.
    assert [contained(text, eval_examples()) for _, text in pages] == planted
    found = dc.find_contamination_batch([text for _, text in pages], index, CONFIG)
    assert [{(m.task, m.example_id) for m in ms} for ms in found] == planted
    assert sum(map(len, planted)) == 48  # recall 100% on 48 planted examples


def test_pages_sharing_only_12_grams_or_phrases_are_kept(index):
    pages = control_pages(seed=0)
    assert all(contained(text, eval_examples()) == set() for _, text in pages)
    found = dc.find_contamination_batch([text for _, text in pages], index, CONFIG)
    assert found == [[] for _ in pages]


@pytest.mark.parametrize("seed", [1, 2])
def test_batching_does_not_change_matches(index, seed):
    pages, _ = planted_pages(seed=seed)
    texts = [text for _, text in pages]
    random.Random(seed).shuffle(texts)
    one_by_one = [dc.find_contamination(text, index, CONFIG) for text in texts]
    assert dc.find_contamination_batch(texts, index, CONFIG) == one_by_one


def test_pickled_and_file_forms_scan_alike(index):
    pages, _ = planted_pages(seed=3)
    texts = [text for _, text in pages]
    expected = dc.find_contamination_batch(texts, index, CONFIG)
    for copy in (pickle.loads(pickle.dumps(index)), dc.EvalIndex.from_bytes(index.to_bytes())):
        assert copy.task_summary() == index.task_summary()
        assert dc.find_contamination_batch(texts, copy, CONFIG) == expected
