"""The two shuffles of the C4 build (docs/C4.md §1, §5): URL dedup and global line dedup.

Both decide on fixed-size digests and move compact bytes (`pipelines.wire`), never pickled
pages. URL dedup is a combine keyed by md5(normalized URL) whose accumulator is one packed page,
so a URL crawled a million times costs constant memory (the reference's
`CombinePerKey(select_newest_page)` likewise). Line dedup moves no page text to elect owners:
each page's line digests and its rank travel in batches of 32-byte records, grouped by the
first bits of the line digest into `partitions`; each group elects the smallest rank per line
with one sort; the owned lines go back in batches to the page's partition, where one grouping
brings them together with the packed pages. The per-page rules are `corpus.dedup`'s; the
counting and rejects are `transforms._StageFn`'s.
"""

from __future__ import annotations

import hashlib

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from c4forge.corpus import dedup, versions
from c4forge.corpus.page import Page
from c4forge.pipelines import per_process, wire
from c4forge.pipelines.transforms import REJECTS, _StageFn

DEFAULT_PARTITIONS = 16  # also the fewest: every worker of a small local build gets groups
MAX_PARTITIONS = 1 << 16
# Page text per line-dedup partition. A partition's group holds its pages packed (~15% of the
# text's bytes after clean_page and compression) and its line votes, ~40 MB at this size.
PARTITION_TEXT_BYTES = 256 << 20
# The local runner (Beam's FnApiRunner) holds a grouping in the launcher's memory and, to hand it
# to the stage that reads it, encodes all of it again and sends each worker half as one bundle: a
# grouping costs ~5x its bytes at its peak (5.7 GB of launcher at 2 GB of text), and a flatten
# of pages holds them all once more. Locally URL dedup and line dedup's join are each cut into
# `splits` groupings (one per LOCAL_SPLIT_TEXT_BYTES of WET text), read one after the other, and
# the pages go through the per-page stages in as many branches, never flattened (`pipelines.c4`):
# only one split's copies exist at a time. Same groups, same outputs; Dataflow's shuffle needs
# none (1 there).
LOCAL_SPLIT_TEXT_BYTES = 256 << 20
MAX_LOCAL_SPLITS = 32
_FLUSH_RECORDS = 1 << 18  # an offer batch is sent once it holds this many records (8 MiB)
_PAGE, _LINES = b"P", b"L"  # the two kinds of value in the final grouping


class _UrlSurvivorFn(beam.CombineFn):
    """Keeps the surviving page (packed) and how many pages it stood for.

    Accumulator: (n_pages, packed page) or None: constant size whatever the group size. Pages
    are unpacked, and the survivor key (an md5 of the text) computed, only when two meet.
    """

    def __init__(self, survivor: versions.UrlSurvivor) -> None:
        self.survivor = survivor

    def create_accumulator(self):
        return None

    def _survivor(self, a: bytes, b: bytes) -> bytes:
        pa, pb = wire.unpack_page(a), wire.unpack_page(b)
        return a if dedup.url_survivor(pa, pb, self.survivor) is pa else b

    def add_input(self, acc, packed):
        if acc is None:
            return (1, packed)
        return (acc[0] + 1, self._survivor(acc[1], packed))

    def merge_accumulators(self, accs):
        n, best = 0, None
        for acc in accs:
            if acc is None:
                continue
            n += acc[0]
            best = acc[1] if best is None else self._survivor(best, acc[1])
        return None if best is None else (n, best)

    def extract_output(self, acc):
        return acc


def _url_key(page: Page) -> tuple[bytes, bytes]:
    key = hashlib.md5(page.normalized_url.encode("utf-8")).digest()
    return key, wire.pack_page(page)


class _CountUrlDuplicatesFn(_StageFn):
    namespace = versions.URL_DEDUP

    def process(self, element):
        _, (n, packed) = element
        self.count("filtered", n - 1)
        self.count("passed")
        yield wire.unpack_page(packed)


def local_splits_for(text_bytes: float) -> int:
    """How many groupings each big shuffle is cut into on the local runner (see
    LOCAL_SPLIT_TEXT_BYTES): one per 256 MiB of WET text, 1 to MAX_LOCAL_SPLITS."""
    wanted = int(-(-text_bytes // LOCAL_SPLIT_TEXT_BYTES))
    return min(MAX_LOCAL_SPLITS, max(1, wanted))


def _split_of(key: bytes, splits: int) -> int:
    return int.from_bytes(key[:4], "big") % splits


def _in_splits(keyed, splits: int, label: str) -> list:
    """`keyed` ((digest, value) pairs) cut by digest into `splits` PCollections."""
    if splits == 1:
        return [keyed]
    return list(keyed | label >> beam.Partition(lambda kv, n: _split_of(kv[0], n), splits))


class DedupUrls(beam.PTransform):
    """One page per normalized URL (`select_newest_page`), decided by content, not order.

    Input: a PCollection of pages, or a tuple of them. With `splits` > 1 (`local_splits_for`)
    the URLs are cut by digest into that many groupings and the output is a tuple of that many
    PCollections, which the build carries through its per-page stages separately (a flatten
    would hold all the pages in the local runner's memory at once)."""

    def __init__(self, rules, splits: int = 1):
        super().__init__()
        self._rules = rules
        self._splits = splits

    def expand(self, pages):
        keyed = _flat(pages, "AllInputs") | "KeyByNormalizedUrl" >> beam.Map(_url_key)
        survivors = tuple(
            part
            | f"SelectSurvivor{i or ''}"
            >> beam.CombinePerKey(_UrlSurvivorFn(self._rules.url_survivor))
            | f"Count{i or ''}" >> beam.ParDo(_CountUrlDuplicatesFn(self._rules))
            for i, part in enumerate(_in_splits(keyed, self._splits, "SplitUrls"))
        )
        return survivors if len(survivors) > 1 else survivors[0]


def _flat(pcolls, label: str):
    """A PCollection, or a tuple / list of them flattened (one: itself)."""
    if not isinstance(pcolls, (tuple, list)):
        return pcolls
    return pcolls[0] if len(pcolls) == 1 else tuple(pcolls) | label >> beam.Flatten()


def partitions_for(text_bytes: float) -> int:
    """Line dedup's partitions for about `text_bytes` of WET text (`pipelines.plan`'s estimate):
    a power of two, one per PARTITION_TEXT_BYTES, from DEFAULT_PARTITIONS to MAX_PARTITIONS."""
    wanted = max(1, int(-(-text_bytes // PARTITION_TEXT_BYTES)))
    return min(MAX_PARTITIONS, max(DEFAULT_PARTITIONS, 1 << (wanted - 1).bit_length()))


def _windowed(value) -> WindowedValue:
    return WindowedValue(value, MIN_TIMESTAMP, [GlobalWindow()])


class _OfferLinesFn(_StageFn):
    """Each page's distinct line digests with its rank, batched per line partition; and the
    page itself, packed behind its rank, keyed by its page partition.

    A batch is elected before it is sent (one record per line digest, the smallest rank), so a
    line on every page of a site costs one record per batch, not one per page: what a line
    partition holds grows with the number of batches, not with the pages sharing a line."""

    namespace = versions.LINE_DEDUP

    def __init__(self, rules, partitions: int):
        super().__init__(rules)
        self.bits = wire.partition_bits(partitions)

    def start_bundle(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self._keys: list[bytes] = []
        self._ranks: list[bytes] = []
        self._repeats: list[int] = []
        self._n = 0

    def process(self, page: Page):
        rank = dedup.line_owner_rank(page, self.rules)
        keys = dedup.line_keys(page, self.rules)
        self._keys.extend(keys)
        self._ranks.append(rank)
        self._repeats.append(len(keys))
        self._n += len(keys)
        yield wire.partition_of(rank, self.bits), _PAGE + rank + wire.pack_page(page)
        if self._n >= _FLUSH_RECORDS:
            yield from (beam.pvalue.TaggedOutput("offers", kv) for kv in self._batches())

    def finish_bundle(self):
        batches = self._batches()
        super().finish_bundle()
        for kv in batches:
            yield beam.pvalue.TaggedOutput("offers", _windowed(kv))

    def _batches(self):
        if not self._n:
            return []
        offers = wire.records(b"".join(self._keys), b"".join(self._ranks), self._repeats)
        self._clear()
        recs = wire.elect(offers)
        _count_duplicate_votes(self, len(offers) - len(recs))
        parts = wire.partitions_of(recs["k0"], self.bits)
        return list(wire.split_by_partition(recs, parts))


def _count_duplicate_votes(fn: _StageFn, n: int) -> None:
    """2.2.0 counts every vote for a line beyond its first; 3.x has no such counter."""
    if n and fn.rules.version is versions.C4Version.V2_2_0:
        fn.count("emitted-line-duplicate", n)


class _ElectOwnersFn(_StageFn):
    """One line partition: the smallest rank per line digest; the owned lines in batches to
    the owners' page partitions."""

    namespace = versions.LINE_DEDUP

    def __init__(self, rules, partitions: int):
        super().__init__(rules)
        self.bits = wire.partition_bits(partitions)

    def process(self, element):
        _, blobs = element
        offers = wire.from_blobs(blobs)
        owners = wire.elect(offers)
        _count_duplicate_votes(self, len(offers) - len(owners))
        parts = wire.partitions_of(owners["r0"], self.bits)
        for part, blob in wire.split_by_partition(owners, parts):
            yield part, _LINES + blob


class _RemoveLinesFn(_StageFn):
    namespace = versions.LINE_DEDUP

    def __init__(self, rules, punkt_tables, min_num_sentences, with_rejects=False):
        super().__init__(rules, with_rejects)
        self.punkt_tables = punkt_tables
        self.min_num_sentences = min_num_sentences

    def setup(self) -> None:
        super().setup()
        # Punkt only where pages need a sentence minimum after dedup (not mC4, min 0).
        self.sentences = (
            per_process.sentence_counter(self.punkt_tables) if self.min_num_sentences else None
        )

    def process(self, element):
        _, values = element
        pages, lines = [], []
        for value in values:
            (pages if value[:1] == _PAGE else lines).append(value)
        owned = wire.OwnedLines(wire.from_blobs(blob[1:] for blob in lines))
        for value in pages:
            rank, page = value[1:17], wire.unpack_page(value[17:])
            verdict = dedup.remove_duplicate_lines(
                page,
                owned.keys_of(rank),
                self.count,
                self.sentences,
                self.rules,
                self.min_num_sentences,
            )
            yield from self.judged(page, verdict)


class DedupLines(beam.PTransform):
    """Global line dedup (`remove_duplicate_text`): each line survives only in the page whose URL
    has the smallest md5; then pages are rebuilt from the lines they own."""

    def __init__(
        self,
        rules,
        punkt_tables,
        min_num_sentences,
        with_rejects=False,
        partitions: int = DEFAULT_PARTITIONS,
        splits: int = 1,
    ):
        super().__init__()
        self._rules = rules
        self._partitions = partitions
        self._splits = min(splits, partitions)  # the join's groupings, by page partition
        self._remove = _RemoveLinesFn(rules, punkt_tables, min_num_sentences, with_rejects)

    def expand(self, pages):
        branches = pages if isinstance(pages, (tuple, list)) else (pages,)
        offered = [
            branch
            | f"OfferLines{i or ''}"
            >> beam.ParDo(_OfferLinesFn(self._rules, self._partitions)).with_outputs(
                "offers", main="pages"
            )
            for i, branch in enumerate(branches)
        ]
        owned = (
            _flat([o.offers for o in offered], "AllOffers")
            | "GroupOffers" >> beam.GroupByKey()
            | "ElectOwners" >> beam.ParDo(_ElectOwnersFn(self._rules, self._partitions))
        )
        k = self._splits
        page_parts = [
            _in_partitions(o.pages, k, f"SplitPages{i or ''}") for i, o in enumerate(offered)
        ]
        line_parts = _in_partitions(owned, k, "SplitLines")
        results = [
            (*(parts[j] for parts in page_parts), line_parts[j])
            | f"PagesAndLines{j or ''}" >> beam.Flatten()
            | f"JoinByPartition{j or ''}" >> beam.GroupByKey()
            | f"RemoveLines{j or ''}"
            >> beam.ParDo(self._remove).with_outputs(REJECTS, main="pages")
            for j in range(k)
        ]
        if k == 1:
            return results[0]
        # (rejects, pages of split 0, ..., pages of split k-1): see DedupUrls.
        rejects = [r[REJECTS] for r in results] | "AllRejects" >> beam.Flatten()
        return (rejects, *(r["pages"] for r in results))


def _in_partitions(keyed, splits: int, label: str) -> list:
    """(page partition, value) pairs cut into `splits` PCollections by partition."""
    if splits == 1:
        return [keyed]
    return list(keyed | label >> beam.Partition(lambda kv, n: kv[0] % n, splits))
