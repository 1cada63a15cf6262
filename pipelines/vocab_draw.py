"""The arithmetic of the vocabulary sample, pure Python (the Beam job is `pipelines.vocab_sample`).

A document's key is the first 128 bits of sha256(seed, url, text); the sample is the documents
whose key is at most their language's threshold. Thresholds are found from weight totals per
(language, bucket of the key's top 16 bits), then the (key, weight) pairs of one bucket.
Languages share the budget at mT5's rate n_i ** alpha (`language_budgets`). Sample records are
lines of JSON (`sample_record`), written in key order to `sample.txt`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping

from c4forge.corpus.records import decode_example
from c4forge.tasks import c4_builds

KEY_BITS = 128  # sample keys: the first 16 bytes of a sha256
BUCKET_BITS = 16  # 65,536 buckets: ~5,600 documents each in C4 en's 365M


def example_document(record: bytes) -> list[tuple[str, str]]:
    """[(url, text)] of one of our tf.train.Example records; [] when it has no text."""
    features = decode_example(record)
    text = features.get("text", b"").decode("utf-8")
    return [(features.get("url", b"").decode("utf-8"), text)] if text else []


def json_document(line: str) -> list[tuple[str, str]]:
    """[(url, text)] of one `c4-*.json.gz` line; [] when it has no text."""
    row = json.loads(line)
    text = row.get("text", "")
    return [(row.get("url", ""), text)] if text else []


def sample_key(seed: int, url: str, text: str) -> int:
    """A document's place in the seed's random order: 128 bits of sha256(seed, url, text)."""
    digest = hashlib.sha256(f"{seed}\x00{url}\x00{text}".encode()).digest()
    return int.from_bytes(digest[: KEY_BITS // 8], "big")


def bucket_of(key: int, bucket_bits: int = BUCKET_BITS) -> int:
    return key >> (KEY_BITS - bucket_bits)


def pick_bucket(totals: list[tuple[int, int]], budget: int) -> tuple[int, int] | None:
    """(bucket where the budget runs out, weight of all lower buckets); None if all fit."""
    before = 0
    for bucket, weight in sorted(totals):
        if before + weight > budget:
            return bucket, before
        before += weight
    return None


def add_pairs(pairs: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """(documents, weight) pairs summed (a combiner: its result is such a pair again)."""
    documents = weight = 0
    for d, w in pairs:
        documents += d
        weight += w
    return documents, weight


def language_budgets(
    totals: Mapping[str, tuple[int, int]], limit: int, alpha: float | None
) -> dict[str, int]:
    """Each language's share of the budget `limit`, from its (documents, weight) `totals`.

    alpha None (an English build, one language): the whole budget. Otherwise language i's share
    is ∝ documents_i ** alpha (mT5's rate); a language whose share is at least all it holds
    gets all it holds, and the rest is shared again among the others. The shares of the
    others are whole numbers summing to what is left: floors, then one more for the largest
    remainders (ties to the smaller code).
    """
    if alpha is None:
        return {language: limit for language in totals}
    rates = c4_builds.language_rates({lang: docs for lang, (docs, _) in totals.items()}, alpha)
    budgets = {language: 0 for language in totals}
    left, open_ = limit, dict(rates)
    while open_:
        total = math.fsum(open_[lang] for lang in sorted(open_))
        full = [lang for lang in sorted(open_) if left * open_[lang] / total >= totals[lang][1]]
        if not full:
            shares = {lang: left * open_[lang] / total for lang in sorted(open_)}
            floors = {lang: math.floor(share) for lang, share in shares.items()}
            spare = min(max(left - sum(floors.values()), 0), len(floors))
            order = sorted(floors, key=lambda lang: (floors[lang] - shares[lang], lang))
            for lang in order[:spare]:
                floors[lang] += 1
            budgets.update(floors)
            break
        for lang in full:
            budgets[lang] = totals[lang][1]
            left -= totals[lang][1]
            del open_[lang]
    return budgets


def pick_threshold(
    edge: list[tuple[int, int]],
    cut: tuple[int, int] | None,
    budget: int,
    bucket_bits: int = BUCKET_BITS,
) -> int | None:
    """The largest key in the sample (None: every document is in it).

    `edge` holds the (key, weight) pairs of bucket `cut[0]`; they are taken in key order
    while the budget lasts, after the `cut[1]` weight of the lower buckets.
    """
    if cut is None:
        return None
    bucket, used = cut
    threshold = (bucket << (KEY_BITS - bucket_bits)) - 1  # every key of the lower buckets
    for key, weight in sorted(edge):
        if used + weight > budget:
            break
        used += weight
        threshold = key
    return threshold


def sample_record(key: int, text: str, language: str = "") -> str:
    """One line of the pipeline's sample shards (text may hold newlines, hence JSON); the
    language, when there is one (a multilingual build), comes third."""
    row = [f"{key:032x}", text, language] if language else [f"{key:032x}", text]
    return json.dumps(row, ensure_ascii=False)


def parse_sample_records(data: str) -> list[tuple]:
    """The (key, text) pairs, or (key, text, language) triples, of one sample shard.

    Split on "\\n" only: JSON leaves U+2028, U+0085 and friends unescaped, and `splitlines`
    would cut records at them.
    """
    rows = []
    for line in data.split("\n"):
        if line:
            key, *rest = json.loads(line)
            rows.append((int(key, 16), *rest))
    return rows


def sample_text(records: list[tuple]) -> str:
    """`sample.txt`: the documents in key order, each line a paragraph, one `\\n` after each
    (records are (key, text[, language]))."""
    return "".join(record[1] + "\n" for record in sorted(records))


def language_shares(records: list[tuple]) -> dict[str, dict[str, int]]:
    """language -> the documents and characters it has in the sample (keys sorted)."""
    shares: dict[str, dict[str, int]] = {}
    for record in records:
        share = shares.setdefault(record[2], {"documents": 0, "characters": 0})
        share["documents"] += 1
        share["characters"] += len(record[1])
    return dict(sorted(shares.items()))
