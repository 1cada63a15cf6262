"""Tests of corpus/sentences.py: `SentenceCounter.count(text, limit)` must equal
`min(limit, len(punkt.tokenize(text)))` for NLTK's English Punkt (docs/C4.md §4, §5), which the
reference uses per line in `clean_page` and on whole texts after line dedup; and the loading
errors of the `punkt_tab` tables."""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c4forge.corpus.sentences import PUNKT_SUBDIR, PUNKT_TABLES, SentenceCounter, read_punkt_tables

import c4_testing

HYPOTHESIS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIMITS = (1, 2, 3, 10**6)


@pytest.fixture(scope="module")
def dolma_texts(shared_data):
    return [text for _url, _date, text in c4_testing.dolma_records()]


# (text, number of Punkt sentences), by hand.
CASES = [
    ("", 0, "empty"),
    ("   \n\t", 0, "whitespace"),
    ("Hello.", 1, "one"),
    ("no end mark at all", 1, "no_end_mark"),
    ("One. Two. Three. Four.", 4, "four"),
    ("Is it? Yes! It is.", 3, "question_exclamation"),
    ("Dr. Smith went home. He slept.", 2, "abbreviation"),
    ("It costs 3.5 dollars. Cheap.", 2, "decimal"),
    ("First line.\nSecond line.\n\nThird line.", 3, "newlines"),
    ('He said "Stop." Then he left.', 2, "quote_after_period"),
    ("Wait... What happened here?", 1, "ellipsis_is_no_break"),
    ("one.two.three", 1, "no_space_after_period"),
]


@pytest.mark.parametrize(("text", "n"), [c[:2] for c in CASES], ids=[c[2] for c in CASES])
@pytest.mark.parametrize("limit", [0, *LIMITS])
def test_count_cases(text, n, limit, sentence_counter, punkt):
    assert len(punkt.tokenize(text)) == n
    assert sentence_counter.count(text, limit) == min(limit, n)


@pytest.mark.parametrize("text", [c[0] for c in CASES], ids=[c[2] for c in CASES])
def test_tokenize_is_punkt(text, sentence_counter, punkt):
    assert sentence_counter.tokenize(text) == punkt.tokenize(text)


@pytest.mark.reference
def test_dolma_lines_equal_punkt(dolma_texts, sentence_counter, punkt):
    lines = [line for text in dolma_texts for line in text.splitlines()]
    assert len(lines) > 10_000
    multi = 0
    for line in lines:
        n = len(punkt.tokenize(line))
        multi += n > 1
        for limit in LIMITS:
            assert sentence_counter.count(line, limit) == min(limit, n), (line, limit)
    assert multi > 1000


@pytest.mark.reference
def test_dolma_pages_equal_punkt(dolma_texts, sentence_counter, punkt):
    for text in dolma_texts:
        n = len(punkt.tokenize(text))
        for limit in LIMITS:
            assert sentence_counter.count(text, limit) == min(limit, n)


@pytest.mark.reference
def test_dolma_stripped_line_groups_equal_punkt(dolma_texts, sentence_counter, punkt):
    """Texts like those line dedup counts: groups of stripped lines joined by "\\n"."""
    for text in dolma_texts[::3]:
        lines = [line.strip() for line in text.split("\n")]
        for start in range(0, len(lines), 4):
            joined = "\n".join(lines[start : start + 4])
            n = len(punkt.tokenize(joined))
            assert sentence_counter.count(joined, 3) == min(3, n), joined


WORDS = st.sampled_from(
    [
        "the", "cat", "Dr.", "Mr.", "U.S.", "e.g.", "i.e.", "etc.", "No.", "3.5", "1.", "a.m.",
        "Hello.", "end.", "Yes!", "Why?", "?!", "...", "…", '"', "'", "(", ")", ".)", '."',
        "[1]", "A.", "B", "x.y", ".", "!", "?", "\n", "\n\n", " ", "\t", "\u2028", "。",
    ]
)  # fmt: skip


@settings(HYPOTHESIS)
@given(
    words=st.lists(WORDS, max_size=20),
    sep=st.sampled_from([" ", "", "  "]),
    limit=st.integers(0, 5),
)
def test_generated_text_equals_punkt(words, sep, limit, sentence_counter, punkt):
    text = sep.join(words)
    assert sentence_counter.count(text, limit) == min(limit, len(punkt.tokenize(text)))


@settings(HYPOTHESIS)
@given(text=st.text(max_size=40), limit=st.integers(0, 4))
def test_arbitrary_text_equals_punkt(text, limit, sentence_counter, punkt):
    assert sentence_counter.count(text, limit) == min(limit, len(punkt.tokenize(text)))


# --- loading ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tables(shared_data):
    return read_punkt_tables(str(c4_testing.NLTK_DATA))


def test_read_punkt_tables_reads_the_four_files(tables):
    assert sorted(tables) == sorted(PUNKT_TABLES)
    lang_dir = c4_testing.NLTK_DATA / PUNKT_SUBDIR
    for name, text in tables.items():
        assert text == (lang_dir / name).read_text(encoding="utf-8")


def test_from_tables_equals_punkt(tables, punkt):
    counter = SentenceCounter.from_tables(tables)
    text = "Dr. Smith went to Washington D.C. on Monday. He met Mr. Jones. They ate."
    assert counter.tokenize(text) == punkt.tokenize(text)
    assert counter.count(text, 10) == len(punkt.tokenize(text))


@pytest.mark.parametrize(
    "missing",
    [["collocations.tab"], ["abbrev_types.txt", "sent_starters.txt"], list(PUNKT_TABLES)],
    ids=["one", "two", "all"],
)
def test_from_tables_missing_table(missing, tables):
    partial = {k: v for k, v in tables.items() if k not in missing}
    with pytest.raises(
        ValueError, match="^Punkt tables missing: " + ", ".join(sorted(missing)) + "$"
    ):
        SentenceCounter.from_tables(partial)


def test_read_punkt_tables_bad_dir(tmp_path):
    bad = tmp_path / "no_nltk_data_here"
    with pytest.raises(FileNotFoundError) as info:
        read_punkt_tables(str(bad))
    message = str(info.value)
    assert repr(str(bad)) in message
    assert os.path.join(str(bad), PUNKT_SUBDIR, PUNKT_TABLES[0]) in message


def test_read_punkt_tables_one_file_missing(tmp_path):
    lang_dir = tmp_path / PUNKT_SUBDIR
    shutil.copytree(c4_testing.NLTK_DATA / PUNKT_SUBDIR, lang_dir)
    (lang_dir / "ortho_context.tab").unlink()
    with pytest.raises(FileNotFoundError, match=r"ortho_context\.tab") as info:
        SentenceCounter.from_nltk_data(str(tmp_path))
    assert str(lang_dir / "ortho_context.tab") in str(info.value)
