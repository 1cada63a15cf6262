"""Tests of corpus/dedup.py's URL-dedup survivor (docs/C4.md §1): newest, then text md5, then URL;
the reference's `select_newest_page` where timestamps differ; independent of input order."""

from __future__ import annotations

import functools
import hashlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c4forge.corpus.dedup import (
    url_survivor,
    url_survivor_key,
)
from c4forge.corpus.page import Page, Tally
from c4forge.corpus.urls import normalize_url
from c4forge.corpus.versions import UrlSurvivor

# --- URL survivor ----------------------------------------------------------------------------

HYPOTHESIS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def pg(url="http://a.com/x", ts="2019-04-18T10:38:25Z", text="t", ctype="text/plain", clen="1"):
    return Page(url, normalize_url(url), text, ts, ctype, clen)


def survivor(pages, rule):
    return max(pages, key=lambda p: url_survivor_key(p, rule))


@pytest.mark.parametrize(
    ("pages", "rule", "winner"),
    [
        ([pg(ts="2019-01-01"), pg(ts="2019-02-01", text="b")], UrlSurvivor.NEWEST, 1),
        ([pg(ts="2019-02-01", text="a"), pg(ts="2019-01-01")], UrlSurvivor.NEWEST, 0),
        ([pg(ts="2019-01-01T10:00:00Z"), pg(ts="2019-01-01T9:00:00Z")], UrlSurvivor.NEWEST, 1),
        ([pg(ts=""), pg(ts="0")], UrlSurvivor.NEWEST, 1),
    ],
    ids=["newer_second", "newer_first", "string_order_not_time", "empty_oldest"],
)
def test_newest_survivor_by_timestamp_string(pages, rule, winner):
    assert survivor(pages, rule) == pages[winner]
    assert survivor(pages[::-1], rule) == pages[winner]


def test_newest_ties_broken_by_text_md5():
    a, b = pg(text="apple"), pg(text="banana")
    expected = max((a, b), key=lambda p: md5_hex(p.text))
    assert survivor([a, b], UrlSurvivor.NEWEST) == expected
    assert survivor([b, a], UrlSurvivor.NEWEST) == expected


def test_max_text_md5_survivor():
    texts = [f"text {i}" for i in range(10)]
    pages = [pg(text=t, ts=f"2019-01-{i:02d}") for i, t in enumerate(texts, 1)]
    expected = max(pages, key=lambda p: md5_hex(p.text))
    assert survivor(pages, UrlSurvivor.MAX_TEXT_MD5) == expected
    # Same text: the newest wins, then the largest raw URL.
    same = [
        pg(text="same", ts="1"),
        pg(text="same", ts="2"),
        pg("http://a.com/x/", ts="2", text="same"),
    ]
    assert survivor(same, UrlSurvivor.MAX_TEXT_MD5) == same[2]


@pytest.mark.reference
def test_newest_equals_reference_when_timestamps_differ(ref, monkeypatch):
    monkeypatch.setattr(ref, "get_counter_inc_fn", lambda namespace: Tally())
    rng = random.Random(3)
    for _ in range(50):
        stamps = rng.sample([f"2019-04-{d:02d}T00:00:00Z" for d in range(1, 29)], k=5)
        pages = [pg(ts=s, text=f"text {i}") for i, s in enumerate(stamps)]
        feats = [ref.PageFeatures(url=p.url, text=p.text, timestamp=p.timestamp) for p in pages]
        chosen = ref.select_newest_page(feats)
        assert survivor(pages, UrlSurvivor.NEWEST).text == chosen.text


PAGE_GROUP = st.lists(
    st.builds(
        pg,
        url=st.sampled_from(["http://a.com/x", "https://www.a.com/x/", "http://a.com/x?utm_s=1"]),
        ts=st.sampled_from(["", "2019-01-01", "2019-01-02"]),
        text=st.sampled_from(["a", "b", "c", ""]),
        ctype=st.sampled_from(["text/plain", ""]),
        clen=st.sampled_from(["1", "2"]),
    ),
    min_size=1,
    max_size=8,
)


@settings(HYPOTHESIS)
@given(pages=PAGE_GROUP, seed=st.integers(0, 2**32 - 1), rule=st.sampled_from(list(UrlSurvivor)))
def test_survivor_independent_of_order(pages, seed, rule):
    shuffled = list(pages)
    random.Random(seed).shuffle(shuffled)
    assert survivor(shuffled, rule) == survivor(pages, rule)
    folded = functools.reduce(lambda a, b: url_survivor(a, b, rule), shuffled)
    assert folded == survivor(pages, rule)
    # Pairwise: whichever comes first, the same page survives.
    a, b = pages[0], pages[-1]
    assert url_survivor(a, b, rule) == url_survivor(b, a, rule)


@settings(HYPOTHESIS)
@given(pages=PAGE_GROUP)
def test_newest_survivor_has_max_timestamp(pages):
    best = survivor(pages, UrlSurvivor.NEWEST)
    assert best.timestamp == max(p.timestamp for p in pages)
    newest = [p for p in pages if p.timestamp == best.timestamp]
    assert md5_hex(best.text) == max(md5_hex(p.text) for p in newest)
    best_md5 = survivor(pages, UrlSurvivor.MAX_TEXT_MD5)
    assert md5_hex(best_md5.text) == max(md5_hex(p.text) for p in pages)
