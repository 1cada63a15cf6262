"""Near-duplicate removal as Beam stages (docs/DEDUP.md §1, §6): MinHash LSH candidates, each
verified by the exact Jaccard similarity of the two pages' shingle sets, then connected
components, keeping one page per cluster.

Pages are keyed by the first 8 bytes of md5(URL) (unique after URL dedup); a cluster keeps its
page with the smallest key, whatever the sharding or input order. The steps, each a shuffle of
small keys except where noted:

1. `_BandsFn`: per page, its `bands` band keys ((band, hash), (page key, digest of its shingle
   set)), and its shingle hashes (uint32 bytes, about 4 bytes per word) keyed by page.
2. Group by band key (`_ProposeFn`). Pages of a bucket with one shingle set (exact copies
   after normalization) are linked to the smallest of them without verification (band 0's
   buckets only: each such pair once). The smallest page of each other set is proposed to
   the bucket's smallest page: a star, not all pairs, so a page copied a million times costs
   a million identical-set edges and no shipped set; the group is read twice, never held
   (apart from one entry per distinct set).
3. Proposals meet shingle sets (group by page), then each proposed page's set travels to its
   bucket minimum, which compares it with its own (exact Jaccard; verified, because 14 x 8 bands
   make 21% of the pairs at J = 0.6 candidates). Star verification links a page to the bucket
   minimum only; a pair similar to each other and not to the minimum of any bucket they share
   is missed (a recall cost, measured by the tests on planted pairs).
4. Connected components of the verified edges: alternating large-star and small-star rounds
   (Kiveris et al., SoCC 2014), a fixed number unrolled into the graph; each round a group by
   node whose iterable is read twice, never held. Edges not yet a star after the last round
   are counted (`cc_unconverged`); the component minimum is never removed.
5. Every page that is not its component's minimum is dropped (pages: one shuffle, the final
   join), with its survivor's URL in the reject.
"""

from __future__ import annotations

import hashlib

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from c4forge.corpus import minhash, versions
from c4forge.pipelines.transforms import REJECTS, _StageFn, reject_record

NAMESPACE = versions.NEAR_DEDUP
_SETS = "sets"
_EDGES = "edges"


def page_key(url: str) -> int:
    """A page's key in the near-dedup graph: md5(URL)'s first 8 bytes, big-endian; the
    smallest key of a cluster survives."""
    return int.from_bytes(hashlib.md5(url.encode("utf-8")).digest()[:8], "big")


class _CountingFn(_StageFn):
    """Counts in the near-dedup namespace (`transforms._StageFn`'s buffered counters)."""

    namespace = NAMESPACE


class _BandsFn(_CountingFn):
    """(key, page) -> ((band, band hash), (key, set digest)) per band; tagged: (key, the
    shingle hashes as uint32 bytes)."""

    def __init__(self, rules, config: minhash.MinHashConfig) -> None:
        super().__init__(rules)
        self.config = config

    def process(self, element):
        key, page = element
        hashes = minhash.page_shingles(page.text, self.config)
        if hashes.size == 0:
            self.count("short_pages")  # fewer words than a shingle: never a near duplicate
            return
        data = hashes.astype("<u4").tobytes()
        digest = hashlib.blake2b(data, digest_size=8).digest()  # equal sets, equal digests
        for band in minhash.band_keys(minhash.signature(hashes, self.config), self.config):
            yield band, (key, digest)
        yield beam.pvalue.TaggedOutput(_SETS, (key, data))


class _ProposeFn(_CountingFn):
    """A bucket's pages, (key, set digest) each -> proposals and the edges of identical sets.

    Pages with one shingle set (equal digests: exact copies after normalization) are one
    class; each class is linked to its smallest key directly (Jaccard 1, nothing verified),
    in band 0's buckets only (identical sets share every band, so band 0 sees every such
    pair, once). Each class's smallest page is proposed to the bucket's smallest page
    ("to", m), which is asked for its own set ("rep"). So a page copied a million times costs
    one class and no shipped sets. Memory: one entry per class of the bucket."""

    def process(self, element):
        (band, _), members = element
        smallest, smallest_digest = None, None
        class_min: dict[bytes, int] = {}
        for key, digest in members:
            if smallest is None or key < smallest:
                smallest, smallest_digest = key, digest
            if key < class_min.get(digest, key + 1):
                class_min[digest] = key
        if band == 0:
            for key, digest in members:
                if key != class_min[digest]:
                    self.count("identical_pairs")
                    yield beam.pvalue.TaggedOutput(_EDGES, (class_min[digest], key))
        proposed = 0
        for digest, key in class_min.items():
            if digest != smallest_digest:
                proposed += 1
                yield key, ("to", smallest)
        if proposed:
            yield smallest, ("rep", None)


class _SendSetsFn(_CountingFn):
    """At each page asked: its set to each bucket minimum it was proposed to, and to itself
    (key None) when it is a minimum."""

    def process(self, element):
        key, joined = element
        asks = list(joined["ask"])  # at most one "to" and one "rep" per band
        if not asks:
            return
        sets = list(joined["set"])
        if len(sets) != 1:  # not reachable: one set per key, asked keys have one
            self.count("error:missing_set")
            return
        hashes = sets[0]
        targets = {m for tag, m in asks if tag == "to"}
        self.count("candidate_pairs", len(targets))
        for m in targets:
            yield m, (key, hashes)
        if any(tag == "rep" for tag, _ in asks):
            yield key, (None, hashes)


class _VerifyFn(_CountingFn):
    """At a bucket minimum m: (m, x) for each proposed x whose Jaccard with m is >= threshold."""

    def __init__(self, rules, threshold: float) -> None:
        super().__init__(rules)
        self.threshold = threshold

    def process(self, element):
        m, offers = element
        own = next((hashes for x, hashes in offers if x is None), None)
        if own is None:  # not reachable: a minimum always sends its own set
            self.count("error:missing_set")
            return
        mine = np.frombuffer(own, dtype="<u4")
        for x, hashes in offers:
            if x is None:
                continue
            similarity = minhash.jaccard(mine, np.frombuffer(hashes, dtype="<u4"))
            if similarity >= self.threshold:
                self.count("verified_pairs")
                yield m, x
            else:
                self.count("unverified_pairs")


def _both_ways(edge):
    u, v = edge
    yield u, v
    yield v, u


def _large_star(element):
    """Node u and its neighbours: each neighbour above u is linked to the smallest of them all."""
    u, neighbours = element
    m = min(u, min(neighbours))
    for v in neighbours:
        if v > u:
            yield v, m


def _to_larger(edge):
    u, v = edge
    return (u, v) if v < u else (v, u)


def _small_star(element):
    """Node u and its neighbours below it: all of them and u are linked to the smallest."""
    u, smaller = element
    m = min(smaller)
    for v in smaller:
        if v != m:
            yield v, m
    yield u, m


class ConnectedComponents(beam.PTransform):
    """Undirected edges (u, v) of ints -> (v, root) for each node v that is not the smallest
    node of its component, `root` being that smallest node, after `rounds` large-star and
    small-star pairs (converged for any graph whose components are small-diameter; the rest
    is counted as `cc_unconverged`)."""

    def __init__(self, rules, rounds: int = minhash.DEFAULT_CLUSTER_ROUNDS) -> None:
        super().__init__()
        self._rules = rules
        self._rounds = rounds

    def expand(self, edges):
        for i in range(self._rounds):
            edges = (
                edges
                | f"LargeStarOut{i}" >> beam.FlatMap(_both_ways)
                | f"LargeStarGroup{i}" >> beam.GroupByKey()
                | f"LargeStar{i}" >> beam.FlatMap(_large_star)
                | f"SmallStarOut{i}" >> beam.Map(_to_larger)
                | f"SmallStarGroup{i}" >> beam.GroupByKey()
                | f"SmallStar{i}" >> beam.FlatMap(_small_star)
            )
        # A star forest: every edge is (child, root), no root is a child. Collapse duplicates
        # and count the edges whose target is itself a child (not converged).
        children = edges | "Children" >> beam.Distinct()
        return (
            {
                "as_child": children,
                "as_root": children | "ByRoot" >> beam.Map(lambda e: (e[1], e[0])),
            }
            | "CheckStars" >> beam.CoGroupByKey()
            | "Labels" >> beam.ParDo(_LabelFn(self._rules))
        )


class _LabelFn(_CountingFn):
    def process(self, element):
        v, joined = element
        roots = list(joined["as_child"])
        if roots:  # else v is a root
            if len(roots) > 1 or next(iter(joined["as_root"]), None) is not None:
                self.count("cc_unconverged")
            yield v, min(roots)


class _SurvivorUrlFn(_CountingFn):
    """At a root: its URL to each of its cluster's other pages; the cluster counters."""

    def setup(self) -> None:
        super().setup()
        self.sizes = Metrics.distribution(NAMESPACE, "cluster_size")

    def process(self, element):
        _, joined = element  # keyed by the cluster's root
        urls = list(joined["url"])
        url = urls[0] if urls else ""
        n = 0
        for child in joined["child"]:
            n += 1
            yield child, url
        if n:
            self.count("clusters")
            self.count("clustered_pages", n + 1)
            self.sizes.update(n + 1)


class _FilterFn(_CountingFn):
    def process(self, element):
        _, joined = element
        survivor = next(iter(joined["survivor"]), None)
        for page in joined["page"]:
            if survivor is None:
                self.count("passed")
                yield page
                continue
            self.count("filtered:near_duplicate")
            if self.with_rejects:
                record = reject_record(NAMESPACE, "near_duplicate", page)
                record["survivor_url"] = survivor
                yield beam.pvalue.TaggedOutput(REJECTS, record)


class NearDedup(beam.PTransform):
    """Pages -> {"pages": one page per near-duplicate cluster, "rejects": the others}."""

    def __init__(
        self,
        rules: versions.VersionRules,
        config: minhash.MinHashConfig,
        with_rejects: bool = False,
        cc_rounds: int | None = None,  # None: minhash.DEFAULT_CLUSTER_ROUNDS
    ) -> None:
        super().__init__()
        self._rules = rules
        self._config = config
        self._with_rejects = with_rejects
        self._cc_rounds = minhash.DEFAULT_CLUSTER_ROUNDS if cc_rounds is None else cc_rounds

    def expand(self, pages):
        rules = self._rules
        keyed = pages | "KeyByUrlHash" >> beam.Map(lambda p: (page_key(p.url), p))
        banded = keyed | "MinHash" >> beam.ParDo(_BandsFn(rules, self._config)).with_outputs(
            _SETS, main="bands"
        )
        proposed = (
            banded.bands
            | "GroupBands" >> beam.GroupByKey()
            | "Propose" >> beam.ParDo(_ProposeFn(rules)).with_outputs(_EDGES, main="asks")
        )
        asks = proposed.asks
        offers = (
            {"set": banded[_SETS], "ask": asks}
            | "SetsMeetAsks" >> beam.CoGroupByKey()
            | "SendSets" >> beam.ParDo(_SendSetsFn(rules))
        )
        edges = (
            offers
            | "GroupAtMinimum" >> beam.GroupByKey()
            | "Verify" >> beam.ParDo(_VerifyFn(rules, self._config.threshold))
        )
        edges = (edges, proposed[_EDGES]) | "AllEdges" >> beam.Flatten()
        labels = edges | "Clusters" >> ConnectedComponents(rules, self._cc_rounds)
        urls = keyed | "Urls" >> beam.Map(lambda kp: (kp[0], kp[1].url))
        survivors = (
            {"url": urls, "child": labels | "ByLabel" >> beam.Map(lambda vl: (vl[1], vl[0]))}
            | "RootsMeetUrls" >> beam.CoGroupByKey()
            | "SurvivorUrls" >> beam.ParDo(_SurvivorUrlFn(rules))
        )
        return (
            {"page": keyed, "survivor": survivors}
            | "PagesMeetVerdicts" >> beam.CoGroupByKey()
            | "Filter"
            >> beam.ParDo(_FilterFn(rules, self._with_rejects)).with_outputs(REJECTS, main="pages")
        )
