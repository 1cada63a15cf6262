"""Tests of corpus/dedup.py: URL-dedup survivor keys and line dedup (docs/C4.md §1, §5).

Line keys, owner ranks and the per-page step are compared with the reference's `_hash_text`,
`_emit_url_to_lines` and `_remove_lines_from_text` (TFDS 3.1.0, Punkt from the shared data);
2.2.0 rules, which TFDS 4.9.10 no longer has, are derived by hand from §1.
"""

from __future__ import annotations

import collections
import hashlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c4forge.corpus.dedup import (
    line_key,
    line_keys,
    line_owner_rank,
    remove_duplicate_lines,
)
from c4forge.corpus.page import Page, Tally
from c4forge.corpus.urls import normalize_url
from c4forge.corpus.verdict import verdict_names
from c4forge.corpus.versions import RULES, C4Version

import c4_testing

HYPOTHESIS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
V220, V301, V310 = (RULES[v] for v in (C4Version.V2_2_0, C4Version.V3_0_1, C4Version.V3_1_0))


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


# --- line keys -------------------------------------------------------------------------------

# (a, b, same key in 3.x, same key in 2.2.0): by §1, 3.x strips and lower-cases the str (Unicode),
# 2.2.0 the UTF-8 bytes (ASCII whitespace and ASCII letters only).
KEY_CASES = [
    ("Hello World", "hello world", True, True),
    ("  hello\t", "hello", True, True),
    ("\x0bhello\x0c\r", "hello", True, True),
    ("É", "é", True, False),
    ("ÉCOLE", "école", True, False),
    ("Straße", "STRASSE", False, False),
    ("\xa0hello", "hello", True, False),
    ("hello\u3000", "hello", True, False),
    ("\x85hello\x1c", "hello", True, False),
    ("İ", "i̇", True, False),
    ("hello", "hell0", False, False),
]


@pytest.mark.parametrize(
    ("a", "b", "same_v3", "same_v220"),
    KEY_CASES,
    ids=["ascii_case", "ascii_ws", "ascii_vt_ff_cr", "e_acute", "word_accents", "eszett",
         "nbsp", "ideographic_space", "nel_fs", "dotted_i", "different"],
)  # fmt: skip
def test_line_key_folding(a, b, same_v3, same_v220):
    assert (line_key(a) == line_key(b)) == same_v3
    assert (line_key(a, on_bytes=True) == line_key(b, on_bytes=True)) == same_v220


@pytest.fixture(scope="module")
def dolma_pages(shared_data):
    return [
        Page(url, normalize_url(url), text, date) for url, date, text in c4_testing.dolma_records()
    ]


@pytest.mark.reference
def test_line_key_equals_reference_on_dolma_lines(dolma_pages, ref):
    for p in dolma_pages:
        feats = ref.PageFeatures(url=p.url, text=p.text)
        expected = [h for h, _url in ref._emit_url_to_lines(feats)]
        assert [line_key(line).hex() for line in p.text.split("\n")] == expected
        assert {bytes.fromhex(h) for h in expected} == line_keys(p, V310) == line_keys(p, V301)


def test_line_key_v220_is_bytes_md5(dolma_pages):
    for p in dolma_pages[:100]:
        for line in p.text.split("\n"):
            expected = hashlib.md5(line.encode("utf-8").strip().lower()).digest()
            assert line_key(line, on_bytes=True) == expected
        assert line_keys(p, V220) == {
            hashlib.md5(line.encode("utf-8").strip().lower()).digest()
            for line in p.text.split("\n")
        }


@pytest.mark.reference
@settings(HYPOTHESIS)
@given(line=st.text(max_size=30))
def test_line_key_equals_reference(line, ref):
    assert line_key(line).hex() == ref._hash_text(line.strip().lower())
    assert line_key(line, on_bytes=True) == hashlib.md5(line.encode().strip().lower()).digest()


# --- owner rank --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "uses"),
    [(V220, "normalized"), (V301, "normalized"), (V310, "raw")],
    ids=["2.2.0", "3.0.1", "3.1.0"],
)
def test_line_owner_rank_url_per_version(rules, uses, ref):
    page = Page("https://www.a.com/x/?utm_source=y", "a.com/x", "text")
    url = page.url if uses == "raw" else page.normalized_url
    assert line_owner_rank(page, rules).hex() == ref._hash_text(url)


@settings(HYPOTHESIS)
@given(a=st.text(max_size=20), b=st.text(max_size=20))
def test_owner_rank_orders_like_md5_hex(a, b):
    """The reference takes the smallest md5 *hex string*; digests must order the same way."""
    ra = line_owner_rank(Page(a, a, ""), V310)
    rb = line_owner_rank(Page(b, b, ""), V310)
    assert (ra < rb) == (md5_hex(a) < md5_hex(b))
    assert (ra == rb) == (a == b)


# --- remove_duplicate_lines ------------------------------------------------------------------


def owners(pages: list[Page], rules) -> dict[str, set[bytes]]:
    """url -> the line keys that page owns, from our keys and ranks (smallest rank wins)."""
    best: dict[bytes, Page] = {}
    for p in pages:
        for key in line_keys(p, rules):
            if key not in best or line_owner_rank(p, rules) < line_owner_rank(best[key], rules):
                best[key] = p
    kept: dict[str, set[bytes]] = collections.defaultdict(set)
    for key, p in best.items():
        kept[p.url].add(key)
    return kept


def reference_owners(ref, pages: list[Page]) -> dict[str, list[str]]:
    """url -> kept line hashes, as `Top.PerKey(1, key=_hash_text, reverse=True)` selects them."""
    owner: dict[str, str] = {}
    for p in pages:
        for h, url in ref._emit_url_to_lines(ref.PageFeatures(url=p.url, text=p.text)):
            if h not in owner or ref._hash_text(url) < ref._hash_text(owner[h]):
                owner[h] = url
    kept: dict[str, list[str]] = collections.defaultdict(list)
    for h, url in owner.items():
        kept[url].append(h)
    return kept


def run_ours(pages, sentence_counter, rules, min_num_sentences):
    tally = Tally()
    kept = owners(pages, rules)
    out = {}
    for p in pages:
        verdict = remove_duplicate_lines(
            p, kept[p.url], tally, sentence_counter, rules, min_num_sentences
        )
        for name in verdict_names(verdict):  # the page verdict, as the stage counts it
            tally(name)
        q = verdict.page
        if q is not None:
            assert q == p._replace(text=q.text)
            out[p.url] = q.text
    return out, tally.counts


def run_reference(ref, pages, min_num_sentences):
    tally = Tally()
    kept = reference_owners(ref, pages)
    out = {}
    for p in pages:
        feats = ref.PageFeatures(url=p.url, normalized_url=p.normalized_url, text=p.text)
        el = (p.url, {"pages": [feats], "lines": kept[p.url]})
        for q in ref._remove_lines_from_text(el, tally, min_num_sentences):
            out[p.url] = q.text
    return out, tally.counts


def _hand_normalized(url: str) -> str:
    """normalize_url for the plain "http://host/" URLs of these tests (§3)."""
    return url.removeprefix("http://").rstrip("/")


def _urls_by_md5(n: int, normalized: bool) -> list[str]:
    """n URLs sorted by md5 hex of the raw (3.1.0) or normalized (2.2.0, 3.0.1) URL: the first
    owns every line it shares."""
    urls = [f"http://site{i}.com/" for i in range(n)]
    return sorted(urls, key=lambda u: md5_hex(_hand_normalized(u) if normalized else u))


U1, U2 = _urls_by_md5(2, normalized=False)
W1, W2 = _urls_by_md5(2, normalized=True)
S1 = "The first sentence is here."
S2 = "The second sentence is here."
S3 = "The third sentence is here."
S4 = "A fourth sentence is here."


def mk(url: str, *lines: str) -> Page:
    return Page(url, _hand_normalized(url), "\n".join(lines))


# (id, pages, min_num_sentences, expected texts by URL, expected counters) for 3.x.
DEDUP_CASES = [
    (
        "no_duplicates",
        [mk(U1, S1, S2, S3)],
        3,
        {U1: "\n".join([S1, S2, S3])},
        {"line-passed": 3, "passed": 1},
    ),
    (
        "global_duplicate_smallest_md5_keeps",
        [mk(U2, S1, S2, S3, S4), mk(U1, S4, S1, S2, S3)],
        3,
        {U1: "\n".join([S4, S1, S2, S3])},
        {
            "line-passed": 4,
            "line-filtered:global_duplicate": 4,
            "filtered:empty": 1,
            "passed": 1,
        },
    ),
    (
        "case_and_space_insensitive",
        [mk(U1, S1, S2, S3), mk(U2, "  " + S1.upper(), S4, S2.lower() + "\t", S3, S1)],
        0,
        {U1: "\n".join([S1, S2, S3]), U2: S4},
        {"line-passed": 4, "line-filtered:global_duplicate": 4, "passed": 2},
    ),
    (
        "local_duplicate_kept_once_unstripped",
        [mk(U1, S1, " " + S1.upper(), S2, S1, S3)],
        3,
        {U1: "\n".join([S1, S2, S3])},
        {"line-passed": 3, "line-filtered:local_duplicate": 2, "passed": 1},
    ),
    (
        "first_occurrence_keeps_its_own_spelling",
        [mk(U1, " " + S1.upper(), S1, S2, S3)],
        3,
        {U1: "\n".join([" " + S1.upper(), S2, S3])},
        {"line-passed": 3, "line-filtered:local_duplicate": 1, "passed": 1},
    ),
    (
        "too_few_sentences_after_dedup",
        [mk(U1, S1, S2), mk(U2, S1, S2, S3, S4)],
        3,
        {},
        {
            "line-passed": 4,
            "line-filtered:global_duplicate": 2,
            "filtered:too_few_sentences": 2,
        },
    ),
    (
        "sentences_counted_over_whole_text",
        [mk(U1, "One. Two. Three.")],
        3,
        {U1: "One. Two. Three."},
        {"line-passed": 1, "passed": 1},
    ),
    (
        "min_num_sentences_0_keeps_short_pages",
        [mk(U1, S1), mk(U2, S1, S2)],
        0,
        {U1: S1, U2: S2},
        {"line-passed": 2, "line-filtered:global_duplicate": 1, "passed": 2},
    ),
    (
        "empty_lines_are_lines_too",
        [mk(U1, S1, "", S2, "", S3), mk(U2, "", S4)],
        0,
        {U1: "\n".join([S1, "", S2, S3]), U2: S4},
        {
            "line-passed": 5,
            "line-filtered:local_duplicate": 1,
            "line-filtered:global_duplicate": 1,
            "passed": 2,
        },
    ),
    (
        "empty_page",
        [mk(U1, "")],
        0,
        {},
        {"line-passed": 1, "filtered:empty": 1},
    ),
]


@pytest.mark.parametrize(
    ("pages", "min_num_sentences", "texts", "counts"),
    [c[1:] for c in DEDUP_CASES],
    ids=[c[0] for c in DEDUP_CASES],
)
def test_remove_duplicate_lines(pages, min_num_sentences, texts, counts, sentence_counter):
    assert run_ours(pages, sentence_counter, V310, min_num_sentences) == (texts, counts)


def test_v301_owner_uses_normalized_url(sentence_counter):
    pages = [mk(W2, S1, S2, S3), mk(W1, S1, S2, S3)]
    texts = {W1: "\n".join([S1, S2, S3])}
    counts = {
        "line-passed": 3,
        "line-filtered:global_duplicate": 3,
        "filtered:empty": 1,
        "passed": 1,
    }
    assert run_ours(pages, sentence_counter, V301, 3) == (texts, counts)


@pytest.mark.reference
@pytest.mark.parametrize(
    ("pages", "min_num_sentences", "texts", "counts"),
    [c[1:] for c in DEDUP_CASES],
    ids=[c[0] for c in DEDUP_CASES],
)
def test_remove_duplicate_lines_cases_equal_reference(pages, min_num_sentences, texts, counts, ref):
    assert run_reference(ref, pages, min_num_sentences) == (texts, counts)


# 2.2.0: repeated lines within a page are kept, an emptied page is not dropped for being empty,
# lines are hashed as bytes and owned by the smallest md5(normalized URL).
V220_CASES = [
    (
        "local_duplicates_kept",
        [mk(W1, S1, S1.upper(), S2, S3)],
        3,
        {W1: "\n".join([S1, S1.upper(), S2, S3])},
        {"line-passed": 4, "passed": 1},
    ),
    (
        "emptied_page_kept_without_sentence_rule",
        [mk(W2, S1), mk(W1, S1)],
        0,
        {W1: S1, W2: ""},
        {"line-passed": 1, "line-filtered:global_duplicate": 1, "passed": 2},
    ),
    (
        "emptied_page_fails_sentence_rule",
        [mk(W1, S1, S2, S3), mk(W2, S1)],
        3,
        {W1: "\n".join([S1, S2, S3])},
        {
            "line-passed": 3,
            "line-filtered:global_duplicate": 1,
            "passed": 1,
            "filtered:too_few_sentences": 1,
        },
    ),
    (
        # "ÉCOLE" and "École" fold alike (only the ASCII letters change), "école" does not.
        "ascii_only_folding",
        [mk(W1, "École est ici.", S2, S3), mk(W2, "école est ici.", "ÉCOLE EST ICI.")],
        0,
        {W1: "\n".join(["École est ici.", S2, S3]), W2: "école est ici."},
        {"line-passed": 4, "line-filtered:global_duplicate": 1, "passed": 2},
    ),
]


@pytest.mark.parametrize(
    ("pages", "min_num_sentences", "texts", "counts"),
    [c[1:] for c in V220_CASES],
    ids=[c[0] for c in V220_CASES],
)
def test_remove_duplicate_lines_v220(pages, min_num_sentences, texts, counts, sentence_counter):
    assert run_ours(pages, sentence_counter, V220, min_num_sentences) == (texts, counts)


def test_line_owner_raw_vs_normalized_url():
    b = Page("http://y.com/", "y.com", S1)
    for i in range(100):  # a pair whose raw and normalized md5 orders disagree
        a = Page(f"http://www.x{i}.com/", f"x{i}.com", S1)
        by_raw = min((a, b), key=lambda p: md5_hex(p.url))
        by_normalized = min((a, b), key=lambda p: md5_hex(p.normalized_url))
        if by_raw is not by_normalized:
            break
    else:
        pytest.fail("no URL pair with different raw and normalized md5 orders")
    assert owners([a, b], V310) == {by_raw.url: {line_key(S1)}}
    assert owners([a, b], V301) == {by_normalized.url: {line_key(S1)}}
    assert owners([a, b], V220) == {by_normalized.url: {line_key(S1, on_bytes=True)}}


@pytest.fixture(scope="module")
def dolma_with_copies(dolma_pages):
    """The real pages plus, for every 3rd page, a page on another URL that repeats some of its
    lines (shuffled, re-cased, re-spaced, and some twice) and lines of its neighbour."""
    rng = random.Random(20190717)
    extra = []
    for i in range(0, len(dolma_pages) - 1, 3):
        lines = dolma_pages[i].text.split("\n") + dolma_pages[i + 1].text.split("\n")[:3]
        picked = rng.sample(lines, k=min(len(lines), 8))
        picked += picked[:2]
        picked = [rng.choice([s, s.upper(), " " + s + " ", s.lower()]) for s in picked]
        rng.shuffle(picked)
        url = f"http://copies.example/{i}"
        extra.append(Page(url, normalize_url(url), "\n".join(picked)))
    return dolma_pages + extra


@pytest.mark.reference
@pytest.mark.parametrize("min_num_sentences", [0, 3])
def test_dolma_dedup_equals_reference(min_num_sentences, dolma_with_copies, sentence_counter, ref):
    pages = dolma_with_copies
    assert {u: sorted(k) for u, k in owners(pages, V310).items()} == {
        u: sorted(bytes.fromhex(h) for h in hs) for u, hs in reference_owners(ref, pages).items()
    }
    got = run_ours(pages, sentence_counter, V310, min_num_sentences)
    expected = run_reference(ref, pages, min_num_sentences)
    assert got == expected
    counts = expected[1]
    assert counts["line-filtered:global_duplicate"] > 100
    assert counts["line-filtered:local_duplicate"] > 100
