"""Punkt sentence counting, with the reference's decisions and a fraction of its work.

The reference loads NLTK's English Punkt model and calls `len(tokenize(text))` for every line
that passes `clean_page`, and once more on each page's whole text after line dedup. Both uses
only ask "are there at least 3 sentences?", so we count lazily and stop early:

  * `corpus._punkt_fast.FastPunktCounter` decides the candidate breaks with Punkt's own rules
    and parameters but without Punkt's token objects, and stops once `limit` sentences are
    certain (that module says why it is exact; speeds are in BENCHMARKS.md);
  * for a tokenizer configuration it was not derived from (see `_punkt_fast.supports`), the
    real Punkt runs: a non-empty text holds at least one sentence, and one whose only
    sentence-end character (".", "?", "!") is its last holds exactly one, as Punkt only
    considers a break where an end character is followed by more text (`period_context_re`);
    otherwise its `span_tokenize` generator runs until `limit` sentences are seen.

The model is loaded from NLTK's plain-text `punkt_tab` tables, never from a pickle.
"""

from __future__ import annotations

import io
import itertools
import os
import re

from c4forge.corpus._punkt_fast import FastPunktCounter, supports

PUNKT_SUBDIR = os.path.join("tokenizers", "punkt_tab", "english")
PUNKT_TABLES = ("abbrev_types.txt", "collocations.tab", "ortho_context.tab", "sent_starters.txt")
_END_CHAR_RE = re.compile(r"[.?!]")


class SentenceCounter:
    """Counts Punkt sentences up to a limit. Build once per worker (`from_nltk_data`)."""

    def __init__(self, tokenizer) -> None:
        self._tokenizer = tokenizer
        self._fast = FastPunktCounter.from_tokenizer(tokenizer) if supports(tokenizer) else None

    @classmethod
    def from_tables(cls, tables: dict[str, str]) -> SentenceCounter:
        """Builds English Punkt from the contents of the four `punkt_tab` files."""
        from nltk.tabdata import PunktDecoder
        from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

        missing = sorted(set(PUNKT_TABLES) - set(tables))
        if missing:
            raise ValueError(f"Punkt tables missing: {', '.join(missing)}")
        decoder = PunktDecoder()
        params = PunktParameters()
        params.collocations = set(decoder.tab2tups(io.StringIO(tables["collocations.tab"])))
        params.sent_starters = decoder.txt2set(io.StringIO(tables["sent_starters.txt"]))
        params.abbrev_types = decoder.txt2set(io.StringIO(tables["abbrev_types.txt"]))
        params.ortho_context = decoder.tab2intdict(io.StringIO(tables["ortho_context.tab"]))
        tokenizer = PunktSentenceTokenizer()
        tokenizer._params = params
        return cls(tokenizer)

    @classmethod
    def from_nltk_data(cls, nltk_data_dir: str) -> SentenceCounter:
        """Loads English Punkt from `<nltk_data_dir>/tokenizers/punkt_tab/english/`."""
        return cls.from_tables(read_punkt_tables(nltk_data_dir))

    def count(self, text: str, limit: int) -> int:
        """min(limit, len(punkt.tokenize(text))), computing no more than needed."""
        if limit <= 0:
            return 0
        if self._fast is not None:
            return self._fast.count(text, limit)
        if not text.strip():
            return len(self._tokenizer.tokenize(text))
        if _END_CHAR_RE.search(text, 0, len(text) - 1) is None:
            return 1
        return sum(1 for _ in itertools.islice(self._tokenizer.span_tokenize(text), limit))

    def tokenize(self, text: str) -> list[str]:
        """The reference's full sentence list (used by tests and the benchmark)."""
        return self._tokenizer.tokenize(text)


def read_punkt_tables(nltk_data_dir: str) -> dict[str, str]:
    """The four English `punkt_tab` files of an NLTK data directory, by file name."""
    lang_dir = os.path.join(nltk_data_dir, PUNKT_SUBDIR)
    tables = {}
    for name in PUNKT_TABLES:
        path = os.path.join(lang_dir, name)
        try:
            with open(path, encoding="utf-8") as f:
                tables[name] = f.read()
        except OSError as e:
            raise FileNotFoundError(
                f"no English Punkt tables under {nltk_data_dir!r}: "
                f"cannot read {path} ({e.strerror})"
            ) from None
    return tables
