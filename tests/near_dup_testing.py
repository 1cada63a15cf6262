"""Planted near-duplicate pairs made from the real pages of ../shared/data/cc_text/, and their
exact Jaccard similarities (issue 14's acceptance).

Ground truth is computed here on *string* shingles (tuples of normalized words) with Python
sets, independently of the code under test's hashing, MinHash, banding, verification and
clustering; only the word normalization (`minhash.normalize_words`, tested on its own) is shared.

`base_pages()`: real pages with at least `min_words` words, none similar to another (pairwise
shingle Jaccard below 0.3, so the pairs planted from them are the only near duplicates).
`planted_pairs(seed)`: for each base page one variant: words replaced, lines dropped, lines
reordered or boilerplate added, at strengths spread so the exact Jaccard similarities cover
0.3-1.0.
"""

from __future__ import annotations

import collections
import gzip
import json
import random
from itertools import combinations

from c4forge.corpus.minhash import normalize_words

from c4_testing import SHARED_DATA

CC_TEXT = SHARED_DATA / "cc_text"
NGRAM = 5
BOILERPLATE = [
    "Copyright 2019 All rights reserved. Privacy Policy | Terms of Use | Contact Us",
    "Subscribe to our newsletter to get the latest updates delivered to your inbox.",
    "This website uses cookies to improve your experience. Accept Read More",
    "Share this: Facebook Twitter Pinterest LinkedIn Email Print",
]
KINDS = ("words", "drop_lines", "reorder_lines", "boilerplate")


def shingle_set(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    words = normalize_words(text)
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def real_pages() -> list[tuple[str, str]]:
    """(url, text) of the English real pages in cc_text (dolma's CC pages and HF's C4 dummy)."""
    pages = []
    for path in sorted(CC_TEXT.glob("*.json*.gz")):
        if path.name.startswith("shjwudp"):  # Chinese: one "word" per line, no word n-grams
            continue
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for row in map(json.loads, f):
                url = row.get("url") or row.get("metadata", {}).get("warc_url") or row["id"]
                pages.append((url, row["text"]))
    return pages


def similar_pairs(sets: list[set], threshold: float) -> list[tuple[int, int, float]]:
    """(i, j, Jaccard) of every pair with Jaccard >= threshold, through an inverted index of
    shingles (pairs sharing no shingle have Jaccard 0)."""
    owners = collections.defaultdict(list)
    for i, s in enumerate(sets):
        for shingle in s:
            owners[shingle].append(i)
    shared = collections.Counter()
    for ids in owners.values():
        if len(ids) < 200:  # a shingle on hundreds of pages: common boilerplate, counted below
            shared.update(combinations(ids, 2))
    out = []
    for (i, j), _ in shared.items():
        similarity = jaccard(sets[i], sets[j])
        if similarity >= threshold:
            out.append((i, j, similarity))
    return out


def base_pages(min_words: int = 100) -> list[tuple[str, str]]:
    """Real pages of at least `min_words` words, no two with shingle Jaccard >= 0.3."""
    pages = [(u, t) for u, t in real_pages() if len(normalize_words(t)) >= min_words]
    sets = [shingle_set(t) for _, t in pages]
    drop = {max(i, j) for i, j, _ in similar_pairs(sets, 0.3)}
    return [p for k, p in enumerate(pages) if k not in drop]


def make_variant(text: str, kind: str, strength: float, rng: random.Random) -> str:
    """`text` edited by `kind` at `strength` in [0, 1]."""
    lines = text.split("\n")
    if kind == "words":
        words = text.split(" ")
        for _ in range(max(1, round(strength * len(words) / 5))):
            words[rng.randrange(len(words))] = f"edit{rng.randrange(10**6)}"
        return " ".join(words)
    if kind == "drop_lines":
        keep = [line for line in lines if rng.random() >= strength]
        return "\n".join(keep or lines[:1])
    if kind == "reorder_lines":
        k = max(2, round(strength * len(lines)))
        moved = rng.sample(range(len(lines)), min(k, len(lines)))
        order = sorted(moved)
        shuffled = moved[:]
        rng.shuffle(shuffled)
        out = lines[:]
        for src, dst in zip(shuffled, order, strict=True):
            out[dst] = lines[src]
        return "\n".join(out)
    if kind == "boilerplate":
        extra = BOILERPLATE[: 1 + round(strength * (len(BOILERPLATE) - 1))]
        return "\n".join([extra[0], *lines, *extra[1:]])
    raise ValueError(kind)


def planted_pairs(seed: int = 0, limit: int | None = None):
    """[(url_a, text_a, url_b, text_b, exact Jaccard)]: each base page and one variant."""
    rng = random.Random(seed)
    pairs = []
    for k, (url, text) in enumerate(base_pages()[:limit]):
        kind = KINDS[k % len(KINDS)]
        strength = {"words": 0.45, "drop_lines": 0.35, "reorder_lines": 1.0, "boilerplate": 1.0}[
            kind
        ] * rng.random()
        variant = make_variant(text, kind, strength, rng)
        similarity = jaccard(shingle_set(text), shingle_set(variant))
        pairs.append((url, text, f"{url}#variant-{kind}", variant, similarity))
    return pairs
