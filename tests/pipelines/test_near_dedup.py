"""Near-dedup as Beam stages (pipelines.near_dedup): quality on planted pairs of real pages
against exact Jaccard, connected components against union-find, a hot bucket, determinism."""

from __future__ import annotations

import itertools
import json
import random
import tempfile
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline

from c4forge.corpus import minhash, versions
from c4forge.corpus.page import Page
from c4forge.pipelines.near_dedup import ConnectedComponents, NearDedup, page_key

from near_dup_testing import base_pages, jaccard, planted_pairs, shingle_set

RULES = versions.rules_for("3.1.0")


def _pipeline():
    return TestPipeline(options=PipelineOptions(["--runner=DirectRunner"]))


def _counters(result, namespace=versions.NEAR_DEDUP) -> dict[str, int]:
    return {
        c.key.metric.name: c.committed
        for c in result.metrics().query()["counters"]
        if c.key.metric.namespace == namespace
    }


def _collect(pcoll, label: str, tmp: Path):
    """Writes a PCollection of JSON-able values under `tmp`; read back with `_read`."""
    return (
        pcoll
        | f"{label}Json" >> beam.Map(json.dumps)
        | f"{label}Write" >> beam.io.WriteToText(str(tmp / label))
    )


def _read(tmp: Path, label: str) -> list:
    return [json.loads(line) for f in tmp.glob(f"{label}*") for line in f.read_text().splitlines()]


def _run(pages, config=None, reshuffle=False, **kw):
    """(kept urls, {rejected url: survivor url}, counters, cluster-size distribution)."""
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        p = _pipeline()
        pcoll = p | beam.Create(pages)
        if reshuffle:
            pcoll = pcoll | beam.Reshuffle()
        out = pcoll | NearDedup(RULES, config or minhash.MinHashConfig(), with_rejects=True, **kw)
        _collect(out["pages"] | "Urls" >> beam.Map(lambda page: page.url), "kept", tmp)
        _collect(out["rejects"], "rejected", tmp)
        result = p.run()
        result.wait_until_finish()
        kept, rejected = _read(tmp, "kept"), _read(tmp, "rejected")
    sizes = [d.committed for d in result.metrics().query()["distributions"]]
    return kept, {r["url"]: r["survivor_url"] for r in rejected}, _counters(result), sizes


def _page(url, text):
    return Page(url, url, text)


@pytest.fixture(scope="module")
def planted():
    """Planted pairs for 2/3 of the base pages; the last third stand alone (unrelated)."""
    pairs = planted_pairs(seed=0)
    cut = 2 * len(pairs) // 3
    pages, truth = [], {}
    for url_a, text_a, url_b, text_b, similarity in pairs[:cut]:
        pages += [_page(url_a, text_a), _page(url_b, text_b)]
        truth[frozenset((url_a, url_b))] = similarity
    alone = [_page(url, text) for url, text, *_ in pairs[cut:]]
    return pages + alone, truth, {p.url for p in alone}


@pytest.fixture(scope="module")
def planted_run(planted):
    pages, _, _ = planted
    return _run(pages)


def test_precision_and_recall_against_exact_jaccard(planted, planted_run):
    """A planted pair is predicted a near duplicate when one of its pages was removed; truth is
    exact (string-shingle) Jaccard >= 0.8, the threshold the defaults aim at."""
    pages, truth, _ = planted
    kept, rejected, counters, _ = planted_run
    positives = {pair for pair, s in truth.items() if s >= 0.8}
    predicted = {pair for pair in truth if pair & rejected.keys()}
    assert len(positives) >= 150
    assert len(truth) - len(positives) >= 100
    tp = len(predicted & positives)
    precision, recall = tp / len(predicted), tp / len(positives)
    assert precision >= 0.95, precision
    assert recall >= 0.95, recall
    assert counters["passed"] + counters["filtered:near_duplicate"] == len(pages)
    assert counters["filtered:near_duplicate"] == len(rejected) == len(pages) - len(kept)


def test_removed_pages_are_similar_to_their_survivor(planted, planted_run):
    pages, _, alone = planted
    texts = {p.url: p.text for p in pages}
    kept, rejected, _, _ = planted_run
    assert not alone & rejected.keys()  # pages unrelated to any other page are never removed
    for url, survivor in rejected.items():
        assert survivor in kept
        assert jaccard(shingle_set(texts[url]), shingle_set(texts[survivor])) >= 0.8
        assert page_key(survivor) < page_key(url)  # the smallest key of a cluster survives


def test_cluster_counters(planted_run):
    _, rejected, counters, sizes = planted_run
    assert counters["clusters"] == len(set(rejected.values()))
    assert counters["clustered_pages"] == len(rejected) + counters["clusters"]
    assert counters["verified_pairs"] + counters["identical_pairs"] >= len(rejected)
    (dist,) = sizes
    assert dist.max == 2
    assert dist.count == counters["clusters"]


def test_same_survivors_in_any_order_or_bundling(planted, planted_run):
    pages, _, _ = planted
    shuffled = pages[:]
    random.Random(7).shuffle(shuffled)
    kept, rejected, _, _ = _run(shuffled[::-1], reshuffle=True)
    assert sorted(kept) == sorted(planted_run[0])
    assert rejected == planted_run[1]


def test_hot_bucket_keeps_one_page_and_counts_the_cluster():
    """One page copied 2,000 times (a boilerplate page) next to unrelated pages."""
    (_, text), *others = base_pages()[:40]
    copies = [_page(f"https://copy{i}.example/", text) for i in range(2000)]
    kept, rejected, counters, sizes = _run(copies + [_page(u, t) for u, t in others])
    survivor = min((p.url for p in copies), key=page_key)
    assert sorted(kept) == sorted([survivor] + [u for u, _ in others])
    assert set(rejected.values()) == {survivor}
    assert counters["clusters"] == 1
    assert sizes[0].max == 2000
    assert counters["identical_pairs"] == 1999  # a star, not 2 million pairs
    assert "candidate_pairs" not in counters  # and no shingle set shipped


def test_copies_and_near_copies_in_one_bucket():
    """500 exact copies, and 20 near copies (one word edited) of the same page, one of which
    has the smallest key: one page stays, and only the near copies' sets are verified."""
    (_, text), *_ = base_pages()[:1]
    words = text.split(" ")
    copies = [_page(f"https://copy{i}.example/", text) for i in range(500)]
    near = []
    for i in range(20):
        edited = words[:]
        edited[(7 * i) % len(words)] = f"edited{i}"
        near.append(_page(f"https://near{i}.example/", " ".join(edited)))
    pages = copies + near
    kept, rejected, counters, sizes = _run(pages)
    assert len(rejected) == 519
    assert kept == [min((p.url for p in pages), key=page_key)]
    assert sizes[0].max == 520
    assert counters["identical_pairs"] == 499
    assert counters["verified_pairs"] <= 20 * 14  # near copies and the copies' class, per band
    assert counters.get("unverified_pairs", 0) == 0


def test_short_pages_pass_unhashed():
    pages = [_page("https://a.example/", "one two three four"), _page("https://b.example/", "")]
    pages += [_page("https://c.example/", "one two three four")]
    kept, rejected, counters, _ = _run(pages)
    assert sorted(kept) == sorted(p.url for p in pages)
    assert not rejected
    assert counters["short_pages"] == 3


def test_threshold_is_applied_to_exact_jaccard(planted):
    """With threshold 0.95, no removed page is below 0.95 from its survivor."""
    pages, _, _ = planted
    texts = {p.url: p.text for p in pages}
    _, rejected, counters, _ = _run(pages[:200], config=minhash.MinHashConfig(threshold=0.95))
    assert rejected
    for url, survivor in rejected.items():
        assert jaccard(shingle_set(texts[url]), shingle_set(texts[survivor])) >= 0.95
    assert counters["unverified_pairs"] > 0


def _union_find_labels(edges) -> dict[int, int]:
    parent: dict[int, int] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u, v in edges:
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[max(ru, rv)] = min(ru, rv)
    return {x: find(x) for x in parent if find(x) != x}


def _components(edges, rounds=8):
    with tempfile.TemporaryDirectory() as d:
        p = _pipeline()
        labels = p | beam.Create(edges) | ConnectedComponents(RULES, rounds)
        _collect(labels, "labels", Path(d))
        result = p.run()
        result.wait_until_finish()
        return {v: root for v, root in _read(Path(d), "labels")}, _counters(result)


def _graphs():
    rng = random.Random(11)
    nodes = rng.sample(range(10**9), 700)
    random_graph = [tuple(rng.sample(nodes[:300], 2)) for _ in range(260)]
    path = list(itertools.pairwise(nodes[300:601]))  # a 300-page chain
    star = [(nodes[650], n) for n in nodes[600:650]] + [(n, nodes[600]) for n in nodes[651:700]]
    return {"random": random_graph, "path": path, "stars": star}


@pytest.mark.parametrize("name", ["random", "path", "stars"])
def test_connected_components_equal_union_find(name):
    edges = _graphs()[name]
    labels, counters = _components(edges)
    assert labels == _union_find_labels(edges)
    assert counters.get("cc_unconverged", 0) == 0


def test_too_few_rounds_are_counted_and_never_remove_a_minimum():
    edges = _graphs()["path"]
    labels, counters = _components(edges, rounds=1)
    assert counters["cc_unconverged"] > 0
    truth = _union_find_labels(edges)
    roots = set(truth.values())
    assert not roots & labels.keys()  # the component minimum is never labelled for removal
    assert labels.keys() <= truth.keys()
