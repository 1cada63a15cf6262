"""Eval examples planted into real pages, and control pages that must stay (issue 14, part 2).

Eval texts are lines of real pages from ../shared/data/cc_text/ (the first half of the English
pages); the hosts are the other half. Ground truth is computed here with Python sets of word
tuples, independently of the code under test's hashing, index and scan; only the word
normalization (`minhash.normalize_words`, tested on its own) is shared.

- `eval_examples()`: (task, example id, text) of 24 short (8-12 words) and 24 long (20-60
  words) lines, none sharing an eval n-gram with any host page or with another eval text.
- `perturb(text, rng)`: the same words with their case, the punctuation around them and the
  whitespace between them changed (the normalized words stay the same; checked).
- `planted_pages(seed)`: hosts with one example each inserted (whole, or a 13-20-word excerpt
  of a long one, cut from its normalized words) -> (pages, the (task, id) planted in each).
- `control_pages(seed)`: hosts holding disjoint 12-word windows of the long texts, all but one
  word of the short ones and 5-word common phrases of both: no eval n-gram (checked).
"""

from __future__ import annotations

import functools
import gzip
import json
import random

from c4forge.corpus.minhash import normalize_words

from c4_testing import SHARED_DATA

CC_TEXT = SHARED_DATA / "cc_text"
NGRAM, MIN_WORDS = 13, 8
TASKS = ("rte_like", "squad_like", "qqp_like")


@functools.cache
def english_pages() -> tuple[tuple[str, str], ...]:
    """(url, text) of the mostly-ASCII real pages with at least 100 words, in file order."""
    pages = []
    for path in sorted(CC_TEXT.glob("dolma*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for row in map(json.loads, f):
                text = row["text"]
                ascii_share = sum(c.isascii() for c in text) / max(1, len(text))
                if ascii_share > 0.98 and len(normalize_words(text)) >= 100:
                    url = row.get("metadata", {}).get("warc_url") or row["id"]
                    pages.append((url, text))
    return tuple(pages)


def sources_and_hosts() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    pages = list(english_pages())
    half = len(pages) // 2
    return pages[:half], pages[half:]


def eval_ngrams(words: list[str]) -> set[tuple[str, ...]]:
    """NeMo Curator's rule, written out: every 13-gram, or the whole text of 8-12 words."""
    if len(words) < MIN_WORDS:
        return set()
    if len(words) < NGRAM:
        return {tuple(words)}
    return {tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)}


def page_grams(words: list[str]) -> set[tuple[str, ...]]:
    """Every word n-gram of a page for n = 8..13 (the lengths eval n-grams can have)."""
    return {
        tuple(words[i : i + n])
        for n in range(MIN_WORDS, NGRAM + 1)
        for i in range(len(words) - n + 1)
    }


def contained(page_text: str, examples) -> set[tuple[str, str]]:
    """The (task, id) of the examples sharing an eval n-gram with the page: the truth."""
    grams = page_grams(normalize_words(page_text))
    return {(t, i) for t, i, text in examples if eval_ngrams(normalize_words(text)) & grams}


@functools.cache
def eval_examples() -> tuple[tuple[str, str, str], ...]:
    """24 short and 24 long real lines as (task, "validation:<n>", text)."""
    sources, hosts = sources_and_hosts()
    host_grams = set().union(*(page_grams(normalize_words(t)) for _, t in hosts))
    short, long_, taken = [], [], set()
    for _, text in sources:
        for line in text.split("\n"):
            words = normalize_words(line)
            letters = sum(w.isalpha() for w in words)
            if letters < 0.8 * max(1, len(words)) or tuple(words) in taken:
                continue
            grams = eval_ngrams(words)
            if not grams or grams & host_grams or any(g in taken for g in grams):
                continue
            if MIN_WORDS <= len(words) < NGRAM and len(short) < 24:
                short.append(line.strip())
            elif 20 <= len(words) <= 60 and len(long_) < 24:
                long_.append(line.strip())
            else:
                continue
            taken |= grams | {tuple(words)}
    assert len(short) == 24, len(short)
    assert len(long_) == 24, len(long_)
    texts = [t for pair in zip(short, long_, strict=True) for t in pair]
    return tuple((TASKS[i % len(TASKS)], f"validation:{i}", text) for i, text in enumerate(texts))


_OPEN, _CLOSE = ["(", '"', "'", "["], [",", ".", ";", ":", "!", "?", '"', "')", "]"]
_SPACES = [" ", "  ", "\n", "\t", " \n ", " \u00a0 "]


def perturb(text: str, rng: random.Random) -> str:
    """Case, punctuation around words and whitespace between them changed at random."""
    out = []
    for word in text.split():
        word = rng.choice([word.upper(), word.lower(), word.title(), word])
        if rng.random() < 0.3:
            word = rng.choice(_OPEN) + word
        if rng.random() < 0.3:
            word += rng.choice(_CLOSE)
        out.append(word)
    changed = "".join(w + rng.choice(_SPACES) for w in out).strip()
    assert normalize_words(changed) == normalize_words(text), (text, changed)
    return changed


def insert_lines(host: str, inserts: list[str], rng: random.Random) -> str:
    """The host's lines with each insert placed as its own line at a random position."""
    lines = host.split("\n")
    for insert in inserts:
        lines.insert(rng.randrange(len(lines) + 1), insert)
    return "\n".join(lines)


def planted_pages(seed: int = 0) -> tuple[list[tuple[str, str]], list[set[tuple[str, str]]]]:
    """One host page per eval example, holding it (perturbed): whole, except every other long
    text (example numbers 3, 7, 11, ...), of which a 13-20-word excerpt; then every other host
    unchanged. Returns (pages, the set of (task, id) planted in each)."""
    rng = random.Random(seed)
    _, hosts = sources_and_hosts()
    examples = eval_examples()
    assert len(hosts) > len(examples)
    pages, planted = [], []
    for n, (task, example_id, text) in enumerate(examples):
        words = normalize_words(text)
        if n % 4 == 3 and len(words) >= 20:
            size = rng.randint(NGRAM, 20)
            start = rng.randrange(len(words) - size + 1)
            text = " ".join(words[start : start + size])
        url, host = hosts[n]
        pages.append((url, insert_lines(host, [perturb(text, rng)], rng)))
        planted.append({(task, example_id)})
    for url, host in hosts[len(examples) :]:
        pages.append((url, host))
        planted.append(set())
    return pages, planted


def control_pages(seed: int = 0) -> list[tuple[str, str]]:
    """Hosts holding pieces of eval texts too short to be an eval n-gram: disjoint 12-word
    windows of long texts, short texts less their last word, 5-word phrases of each."""
    rng = random.Random(seed)
    _, hosts = sources_and_hosts()
    pages = []
    for n, (_, _, text) in enumerate(eval_examples()):
        words = normalize_words(text)
        if len(words) >= NGRAM:
            pieces = [" ".join(words[i : i + 12]) for i in range(0, len(words) - 11, 12)]
        else:
            pieces = [" ".join(words[:-1])]
        pieces += [" ".join(words[i : i + 5]) for i in range(0, len(words) - 4, 7)]
        # Each piece on its own line and followed by a line of other words, so that two pieces
        # landing next to each other never join into a longer run of the eval text.
        url, host = hosts[(n + 7) % len(hosts)]
        inserts = [perturb(p, rng) + "\nRead more" for p in pieces]
        pages.append((url, insert_lines(host, inserts, rng)))
    return pages
