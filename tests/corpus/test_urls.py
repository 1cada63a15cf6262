"""Tests of corpus/urls.py: `normalize_url` (docs/C4.md §3), the md5 split (§2.14) and the
realnewslike domain rule (§8). Expected values are derived by hand from the reference's regexes;
differential tests compare with TFDS `c4_utils.normalize_url`."""

from __future__ import annotations

import collections
import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c4forge.corpus.page import Page
from c4forge.corpus.urls import (
    VALIDATION_MODULUS,
    RealnewsDomains,
    md5_hex,
    normalize_url,
    split_of,
    url_hash_int,
)
from c4forge.corpus.verdict import reason_name

HYPOTHESIS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def ref():
    from tensorflow_datasets.text import c4_utils

    return c4_utils


# (url, normalized): each derived from the three steps of §3 by hand.
NORMALIZE_CASES = [
    ("http://www.example.com/", "example.com", "scheme_and_www"),
    ("https://example.com/a/b//", "example.com/a/b", "trailing_slashes"),
    ("http://example.com///", "example.com", "only_slashes_after_host"),
    ("HTTP://WWW.Example.com/Path/", "HTTP://WWW.Example.com/Path", "case_kept_scheme_too"),
    ("https://www.www.a.com/", "www.a.com", "one_www_removed"),
    ("http://www2.a.com/x", "www2.a.com/x", "www2_kept"),
    ("ftp://www.a.com/", "ftp://www.a.com", "other_scheme_kept"),
    ("http:/a.com/", "http:/a.com", "malformed_scheme_kept"),
    ("http://", "", "scheme_only"),
    ("http://a.com/r?to=https://www.b.com/x", "a.com/r?to=b.com/x", "scheme_removed_in_query"),
    ("a.com/http://http://x", "a.com/x", "every_scheme_removed"),
    ("http://a.com/p?utm_source=x&b=1", "a.com/p", "utm_query"),
    ("http://a.com/?utm_source=x", "a.com", "utm_then_rstrip"),
    ("http://a.com/x/?ref=1", "a.com/x", "ref_then_rstrip"),
    ("http://a.com/p?referrer=1", "a.com/p", "ref_prefix"),
    ("http://a.com/p?feedback=1", "a.com/p", "feed_prefix"),
    ("http://a.com/p?a=1&utm_source=x", "a.com/p?a=1&utm_source=x", "ampersand_utm_kept"),
    ("http://a.com/p?a=1?ref=2", "a.com/p?a=1", "second_question_mark"),
    ("http://a.com/p?UTM_source=x", "a.com/p?UTM_source=x", "utm_case_sensitive"),
    ("http://a.com/p?utm", "a.com/p?utm", "utm_needs_underscore"),
    ("http://a.com/#frag/", "a.com/#frag", "fragment_kept"),
    ("http://a.com/x#?utm_a", "a.com/x#", "utm_after_fragment"),
    ("http://a.com/?", "a.com/?", "bare_question_mark"),
    ("http://a.com/ /", "a.com/ ", "space_not_stripped"),
    ("http://ex.com/é/", "ex.com/é", "unicode_path"),
]


@pytest.mark.parametrize(
    ("url", "expected"), [c[:2] for c in NORMALIZE_CASES], ids=[c[2] for c in NORMALIZE_CASES]
)
def test_normalize_url(url, expected, ref):
    assert normalize_url(url) == expected
    assert ref.normalize_url(url) == expected


URL_PIECES = st.sampled_from(
    [
        "http://",
        "https://",
        "www.",
        "http://www.",
        "?utm_",
        "?ref",
        "?feed",
        "&utm_",
        "?",
        "&",
        "/",
        "//",
        "#",
        "a.com",
        "x",
        "é",
        " ",
        "HTTP://",
    ]
)


@settings(HYPOTHESIS)
@given(url=st.lists(URL_PIECES | st.text(max_size=3), max_size=12).map("".join))
def test_normalize_url_equals_reference(url, ref):
    assert normalize_url(url) == ref.normalize_url(url)


def _reference_split(normalized: str) -> str:
    value = int(hashlib.md5(normalized.encode("utf-8")).hexdigest(), 16)
    return "validation" if value % 1000 == 0 else "train"


@pytest.mark.parametrize(
    ("normalized", "expected"),
    [
        ("fake.com/url/370", "validation"),  # the TFDS fixture's validation page
        ("fake.com/url/4", "train"),
        ("fake.com/url/1", "train"),
        ("fake/url/370", "train"),  # the split hashes the *normalized* URL only
    ],
    ids=["fixture_370", "fixture_4", "fixture_1", "unnormalized_host"],
)
def test_split_of_fixture_urls(normalized, expected):
    assert _reference_split(normalized) == expected
    assert split_of(normalized) == expected


def test_fixture_url_normalizes_to_validation():
    assert split_of(normalize_url("http://fake.com/url/370")) == "validation"


def test_split_of_matches_md5_rule_on_many_urls():
    urls = [f"example.com/page/{i}" for i in range(20_000)]
    splits = collections.Counter(split_of(u) for u in urls)
    assert all(split_of(u) == _reference_split(u) for u in urls)
    assert VALIDATION_MODULUS == 1000
    # ~0.1% validation: 20 expected, binomial sd ~4.5.
    assert 2 <= splits["validation"] <= 45


@settings(HYPOTHESIS)
@given(url=st.text(max_size=40))
def test_url_hash_int_and_md5_hex(url):
    hexdigest = hashlib.md5(url.encode("utf-8")).hexdigest()
    assert md5_hex(url) == hexdigest
    assert url_hash_int(url) == int(hexdigest, 16)
    assert split_of(url) == _reference_split(url)


Extract = collections.namedtuple("Extract", "subdomain domain suffix")

# A stand-in for tldextract: "sub.domain.suffix" with a one-label suffix.
FAKE_EXTRACT = {
    "nytimes.com/a": Extract("", "nytimes", "com"),
    "www.nytimes.com/a": Extract("www", "nytimes", "com"),
    "blog.bbc.co.uk/x": Extract("blog", "bbc", "co.uk"),
    "news.bbc.co.uk/x": Extract("news", "bbc", "co.uk"),
    "example.org/x": Extract("", "example", "org"),
}
ALLOWED = {"nytimes.com": True, "bbc.co.uk": ["news", "www"]}


@pytest.mark.parametrize(
    ("url", "verdict"),
    [
        ("nytimes.com/a", "passed"),
        ("www.nytimes.com/a", "passed"),
        ("news.bbc.co.uk/x", "passed"),
        ("blog.bbc.co.uk/x", "filtered:bad_subdomain"),
        ("example.org/x", "filtered:bad_domain"),
    ],
    ids=["any_subdomain", "www_any", "listed_subdomain", "unlisted_subdomain", "bad_domain"],
)
def test_realnews_domains(url, verdict):
    rule = RealnewsDomains(ALLOWED, FAKE_EXTRACT.__getitem__)
    page = Page("http://" + url, url, "text")
    got = rule.check(page)
    assert reason_name(got) == verdict
    assert got.page == (page if verdict == "passed" else None)
