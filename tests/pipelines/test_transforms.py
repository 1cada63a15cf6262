"""Each stage's composite transform on a TestPipeline: output and Beam counters."""

from __future__ import annotations

import hashlib

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from c4forge.corpus.page import Page
from c4forge.corpus.sentences import read_punkt_tables
from c4forge.corpus.urls import normalize_url
from c4forge.corpus.versions import rules_for
from c4forge.pipelines import dedup_stages as ds
from c4forge.pipelines import transforms as t

import c4_testing

V310 = rules_for("3.1.0")


def page(url, text, timestamp="2019-04-18T10:00:00Z"):
    return Page(url, normalize_url(url), text, timestamp)


def run(build, namespace):
    """Runs `build(pipeline)` and returns the counters of `namespace`."""
    p = TestPipeline()
    build(p)
    result = p.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_namespace(namespace))["counters"]
    return {c.key.metric.name: c.committed for c in counters}


@pytest.fixture(scope="module")
def punkt(shared_data):
    return read_punkt_tables(str(c4_testing.NLTK_DATA))


def test_read_wet_files(shared_data):
    path = str(c4_testing.FIXTURE_WET / "cc_0.warc.wet.gz")

    def build(p):
        urls = p | beam.Create([path]) | t.ReadWetFiles(V310) | beam.Map(lambda pg: pg.url)
        # The six conversion records of the TFDS fixture (its warcinfo record has no URL).
        expected = [f"http://fake.com/url/{s}" for s in ("1", "2", "de", "de-786", "und", "und-27")]
        assert_that(urls, equal_to(expected))

    counters = run(build, "split-wet-file")
    assert counters == {"wet-file": 1, "passed": 6, "filtered:no_url": 1}


def test_filter_length():
    pages = [page("a.com/1", "x" * 190_000), page("a.com/2", "x" * 190_001)]

    def build(p):
        kept = (p | beam.Create(pages) | t.FilterLength(V310)).pages
        assert_that(kept | beam.Map(lambda pg: pg.url), equal_to(["a.com/1"]))

    assert run(build, "too-long-filter") == {"passed": 1, "filtered": 1}


@pytest.mark.parametrize(
    ("version", "winner"),
    [("3.1.0", "newest"), ("3.0.1", "max-md5"), ("2.2.0", "max-md5")],
)
def test_dedup_urls(version, winner):
    texts = ["first text", "second text", "third text"]
    pages = [
        page("http://www.a.com/x", texts[0], "2019-04-18T10:00:00Z"),
        page("https://a.com/x/", texts[1], "2019-04-19T10:00:00Z"),  # the newest
        page("a.com/x?utm_source=feed", texts[2], "2019-04-17T10:00:00Z"),
        page("http://b.com/", "other", "2019-04-18T10:00:00Z"),
    ]
    if winner == "newest":
        expected = "second text"
    else:
        expected = max(texts, key=lambda s: hashlib.md5(s.encode()).hexdigest())

    def build(p):
        out = p | beam.Create(pages) | ds.DedupUrls(rules_for(version))
        assert_that(out | beam.Map(lambda pg: pg.text), equal_to([expected, "other"]))

    namespace = "dedupe-urls" if version == "2.2.0" else "duplicate-url-filter"
    counters = run(build, namespace)
    if version == "2.2.0":
        assert counters == {"filtered-url-duplicate": 2, "unique-url": 2}
    else:
        assert counters == {"filtered": 2, "passed": 2}


def test_dedup_urls_equal_timestamps_do_not_depend_on_order():
    a = page("http://a.com/x", "text a")
    b = page("https://www.a.com/x", "text b")
    expected = max(["text a", "text b"], key=lambda s: hashlib.md5(s.encode()).hexdigest())
    for order in ([a, b], [b, a]):

        def build(p, order=order):
            out = p | beam.Create(order) | ds.DedupUrls(V310)
            assert_that(out | beam.Map(lambda pg: pg.text), equal_to([expected]))

        run(build, "duplicate-url-filter")


def test_clean_pages(punkt):
    text = "\n".join(
        [
            "Home",
            "The first sentence of this page is here. And a second one follows it.",
            "Please enable javascript to see the whole of this page.",
            "A third sentence is the last one that this page will need.",
        ]
    )
    pages = [page("a.com/1", text), page("a.com/2", "Too short a page with one sentence.")]

    def build(p):
        out = (p | beam.Create(pages) | t.CleanPages(V310, punkt)).pages
        expected = [
            "The first sentence of this page is here. And a second one follows it.\n"
            "A third sentence is the last one that this page will need."
        ]
        assert_that(out | beam.Map(lambda pg: pg.text), equal_to(expected))

    assert run(build, "clean-page") == {
        "line-filtered:no_endmark": 1,
        "line-filtered:javascript": 1,
        "line-passed": 3,
        "passed": 1,
        "filtered:too_few_sentences": 1,
    }


def _md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def test_dedup_lines_keeps_each_line_in_the_page_with_the_smallest_url_md5(punkt):
    shared = "This line appears on every one of the three pages."
    urls = ["a.com/1", "a.com/2", "a.com/3"]
    owner = min(urls, key=_md5)
    pages = [
        page(u, f"{shared}\nPage {u} has its own sentence here.\nAnd one more line of {u}.")
        for u in urls
    ]

    def build(p):
        out = (p | beam.Create(pages) | ds.DedupLines(V310, punkt, 0)).pages
        got = out | beam.Map(lambda pg: (pg.url, shared in pg.text.split("\n")))
        assert_that(got, equal_to([(u, u == owner) for u in urls]))

    assert run(build, "dedupe-lines") == {
        "line-filtered:global_duplicate": 2,
        "line-passed": 7,
        "passed": 3,
    }


def test_dedup_lines_drops_repeats_and_pages_left_too_short(punkt):
    pages = [
        page("a.com/1", "One sentence here.\nOne sentence here.\nTwo sentences. Here they are."),
        page("a.com/2", "Just one line that will lose to another page."),
        page("a.com/3", "Just one line that will lose to another page."),
    ]
    loser = max(["a.com/2", "a.com/3"], key=_md5)

    def build(p):
        out = (p | beam.Create(pages) | ds.DedupLines(V310, punkt, 3)).pages
        assert_that(out | beam.Map(lambda pg: pg.url), equal_to(["a.com/1"]))

    counters = run(build, "dedupe-lines")
    assert counters == {
        "line-filtered:local_duplicate": 1,
        "line-filtered:global_duplicate": 1,
        "line-passed": 3,
        "filtered:empty": 1,  # the loser
        "filtered:too_few_sentences": 1,  # the winner: one sentence
        "passed": 1,
    }
    assert loser


def test_filter_english():
    pages = [
        page("a.com/en", "This is a plain English sentence about the weather and the sea."),
        page("a.com/de", "Das ist ein einfacher deutscher Satz über das Wetter und das Meer."),
        page("a.com/num", "12345 67890"),
    ]

    def build(p):
        out = (p | beam.Create(pages) | t.FilterEnglish(V310)).pages
        assert_that(
            out | beam.Map(lambda pg: (pg.url, pg.language)), equal_to([("a.com/en", "en")])
        )

    assert run(build, "english-filter") == {
        "passed": 1,
        "filtered:ignored_language": 1,
        "filtered:ignored_language-de": 1,
        "filtered:langdetect_exception": 1,
    }


def test_filter_badwords_soft_fraction():
    words = {"en": ["badword"]}
    pages = [page(f"a.com/{i}", f"text {i} with a badword inside.") for i in range(40)]
    pages.append(page("a.com/clean", "nothing to see here."))
    pages = [pg._replace(language="en") for pg in pages]  # as the English filter leaves them
    soft = [pg.url for pg in pages[:40] if int(_md5(pg.normalized_url), 16) % 2 >= 1]

    def build(p):
        out = (p | beam.Create(pages) | t.FilterBadwords(V310, words, 0.5)).pages
        assert_that(out | beam.Map(lambda pg: pg.url), equal_to([*soft, "a.com/clean"]))

    counters = run(build, "badwords-filter")
    assert counters == {"soft-passed": len(soft), "filtered": 40 - len(soft), "passed": 1}


def test_split_pages():
    pages = [page("http://fake.com/url/370", "v"), page("http://fake.com/url/4", "t")]

    def build(p):
        splits = p | beam.Create(pages) | t.SplitPages()
        assert_that(
            splits.validation | "V" >> beam.Map(lambda pg: pg.url),
            equal_to([pages[0].url]),
            label="val",
        )
        assert_that(
            splits.train | "T" >> beam.Map(lambda pg: pg.url),
            equal_to([pages[1].url]),
            label="train",
        )

    assert run(build, "validation") == {"examples": 1}


# One line shared by N pages: each batch of votes is elected before it is sent, so a popular
# line costs one record per batch, not one per page (the 2.2.0 GroupByKey held all N URLs).
POPULAR_PAGES = 100_000


def test_line_votes_are_elected_per_batch():
    from c4forge.pipelines import wire

    line = hashlib.md5(b"a footer line").digest()
    ranks = [hashlib.md5(f"u{i}".encode()).digest() for i in range(POPULAR_PAGES)]
    other = hashlib.md5(b"a line of its own").digest()
    keys = line * POPULAR_PAGES + other
    votes = wire.records(keys, b"".join(ranks) + ranks[7], [1] * POPULAR_PAGES + [1])
    owners = wire.elect(votes)
    assert len(owners) == 2
    by_line = {r.tobytes()[:16]: r.tobytes()[16:] for r in owners}
    assert by_line == {line: min(ranks), other: ranks[7]}
    # Elected again with another batch's winners: the same owner, whatever the order.
    halves = [wire.elect(votes[: POPULAR_PAGES // 2]), wire.elect(votes[POPULAR_PAGES // 2 :])]
    merged = wire.elect(wire.from_blobs([h.tobytes() for h in reversed(halves)]))
    assert merged.tobytes() == owners.tobytes()


def test_popular_line_in_many_pages(punkt):
    n = POPULAR_PAGES
    shared = "This one line is repeated on every page of a very large site."
    owner = min((f"site.com/{i}" for i in range(n)), key=_md5)

    def make(i):
        return page(f"site.com/{i}", f"{shared}\nPage number {i} says something of its own.")

    def build(p):
        out = (p | beam.Create(range(n)) | beam.Map(make) | ds.DedupLines(V310, punkt, 0)).pages
        holders = (
            out | beam.Filter(lambda pg: pg.text.startswith(shared)) | beam.Map(lambda pg: pg.url)
        )
        assert_that(holders, equal_to([owner]))

    counters = run(build, "dedupe-lines")
    assert counters["line-filtered:global_duplicate"] == n - 1
    assert counters["passed"] == n


def test_filter_realnews_domains(shared_data):
    import json

    domains = json.loads(
        (c4_testing.SHARED_DATA / "realnews" / "domain_to_allowed_subdomains.json").read_text()
    )
    assert domains["herefordtimes.com"] is True
    assert "sports" in domains["gather.com"]
    pages = [
        page("http://www.herefordtimes.com/news/1", "a"),  # listed domain, any subdomain
        page("http://sports.gather.com/story", "b"),  # listed subdomain
        page("http://recipes.gather.com/story", "c"),  # subdomain not listed
        page("http://www.example.com/story", "d"),  # domain not listed
    ]

    def build(p):
        out = (p | beam.Create(pages) | t.FilterRealnewsDomains(V310, domains)).pages
        assert_that(out | beam.Map(lambda pg: pg.text), equal_to(["a", "b"]))

    assert run(build, "realnews-domain-filter") == {
        "passed": 2,
        "filtered:bad_subdomain": 1,
        "filtered:bad_domain": 1,
    }
