"""Real multilingual pages for mC4 tests, and the reference mC4 build in plain Python.

Pages (`mc4_records`) are assembled from real text: the lingua sentences (75 languages), OSCAR
lines (166), the 697 CC-MAIN-2019-30 pages and the 100 raw Chinese WET records of
`../shared/data`. Besides ordinary pages they include, on purpose: pages the paragraph filter
drops (short lines), pages whose every line another page owns (dropped empty after line
dedup), mixed-language pages, pages CLD3 is unsure of (`und`), languages outside mC4's list,
badword pages, one of them kept by 3.1.0's 0.999 hash rule, and pages whose URL hashes to
`<lang>-validation`.

`reference_mc4(wet_paths, version)` runs the reference `c4_utils` of that version (3.1.0: the
installed TFDS; 3.0.1: TFDS 4.6.0's, read from its wheel) stage by stage in `c4.py`'s order.
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import json
import re
import types
import zipfile
from pathlib import Path

import c4_testing

LANGID = c4_testing.SHARED_DATA / "langid"
CHINESE_JSONL = c4_testing.SHARED_DATA / "cc_text" / "shjwudp_Chinese_docs_random-100.jsonl.gz"
BADWORDS_DIR = c4_testing.SHARED_DATA / "badwords" / "ldnoobw_5faf2ba"
# TFDS 4.6.0 (C4 3.0.1): `make setup` downloads its wheel here (never installed).
REFERENCE_WHEELS = c4_testing.ROOT / ".venv" / "reference"
DATE = "2019-07-17T12:{:02d}:{:02d}Z"

FRACTION_0999 = (0.999).as_integer_ratio()


def _md5_int(text: str) -> int:
    return int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16)


def _url_where(prefix: str, predicate) -> str:
    """The first `https://{prefix}{i}` whose normalized URL's md5 satisfies `predicate`."""
    i = 0
    while True:
        url = f"https://{prefix}{i}"
        if predicate(_md5_int(url[len("https://") :])):
            return url
        i += 1


def _lines_of(sentences: list[str], min_chars: int) -> list[str]:
    """Consecutive sentences joined with spaces into lines of at least `min_chars` each."""
    lines, current = [], ""
    for s in sentences:
        current = f"{current} {s}".strip()
        if len(current) >= min_chars:
            lines.append(current)
            current = ""
    return lines


def lingua_sentences(lang: str) -> list[str]:
    path = LANGID / "lingua_sentences" / f"{lang}.txt"
    return [s.strip() for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]


def oscar_lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def mc4_records() -> list[tuple[str, str, str]]:
    """(url, WARC-Date, text) of every test page, in a fixed order."""
    records: list[tuple[str, str, str]] = []
    n = 0

    def add(url: str, text: str) -> None:
        nonlocal n
        records.append((url, DATE.format(n // 60 % 60, n % 60), text))
        n += 1

    langs = sorted(p.stem for p in (LANGID / "lingua_sentences").glob("*.txt"))
    for lang in langs:
        sentences = lingua_sentences(lang)
        long_lines = _lines_of(sentences[:60], 220)
        add(f"https://lingua.example/{lang}/long", "\n".join(long_lines[:6]))
        # Short lines only: the paragraph filter drops it.
        add(f"https://lingua.example/{lang}/short", "\n".join(sentences[60:66]))
        # Every line is also in /long; whichever URL owns them, one page loses them all.
        add(f"https://lingua.example/{lang}/copy", "\n".join(long_lines[:6]))
        # A page of the language that lands in `<lang>-validation`.
        url = _url_where(f"lingua.example/{lang}/v", lambda h: h % 1000 == 0)
        add(url, "\n".join(_lines_of(sentences[100:160], 220)[:5]))
    # Mixed-language pages: lines alternating between two languages.
    for a, b in zip(langs, langs[1:] + langs[:1], strict=True):
        la = _lines_of(lingua_sentences(a)[200:240], 210)[:3]
        lb = _lines_of(lingua_sentences(b)[200:240], 210)[:3]
        add(
            f"https://mixed.example/{a}-{b}",
            "\n".join(x for pair in zip(la, lb, strict=False) for x in pair),
        )
    # CLD3 unsure: long lines of digits and symbols (-> und).
    for i in range(3):
        line = " ".join(f"{(i + 1) * k:07d} -- {k % 97:02d}/{k % 13:02d} ##" for k in range(20))
        add(f"https://numbers.example/{i}", "\n".join([line, line[::-1], line.upper()]))
    # OSCAR: one page per language.
    for path in sorted((LANGID / "oscar_dummy").glob("*.txt.gz")):
        lines = oscar_lines(path)
        add(f"https://oscar.example/{path.name.split('.')[0]}", "\n".join(lines[:8]))
    # Badword pages: German and Japanese lists; one kept by the 0.999 rule in 3.1.0.
    de = _lines_of(lingua_sentences("de")[300:400], 220)
    add("https://bad.example/de/dropped", "\n".join([*de[:3], de[3] + " Das ist scheiße."]))
    num, den = FRACTION_0999
    spared = _url_where("bad.example/de/spared", lambda h: h % den >= num)
    add(spared, "\n".join([*de[4:7], de[7] + " Das ist scheiße."]))
    ja_words = (BADWORDS_DIR / "ja").read_text(encoding="utf-8").split()
    clean_ja = [s for s in lingua_sentences("ja")[300:500] if not any(w in s for w in ja_words)]
    ja = _lines_of(clean_ja, 220)
    add("https://bad.example/ja/allow", "\n".join([*ja[:3], ja[3] + "女の子"]))  # allowlisted
    # The real pages.
    for url, date, text in c4_testing.dolma_records():
        records.append((url, date, text))
    with gzip.open(CHINESE_JSONL, "rt", encoding="utf-8") as f:
        for row in map(json.loads, f):
            records.append((row["url"], row["timestamp"], row["text"]))
    return records


def write_mc4_wet(path: Path) -> Path:
    return c4_testing.write_wet(path, mc4_records())


# --- the reference -----------------------------------------------------------------------------


def reference_module(version: str):
    """`c4_utils` of C4 `version`: the installed one (3.1.0) or TFDS 4.6.0's (3.0.1)."""
    if version == "3.1.0":
        from tensorflow_datasets.text import c4_utils

        return c4_utils
    wheels = sorted(REFERENCE_WHEELS.glob("tensorflow_datasets-4.6.0-*.whl"))
    if not wheels:
        raise FileNotFoundError(
            f"the TFDS 4.6.0 wheel (C4 3.0.1) is not in {REFERENCE_WHEELS}: run `make setup`"
        )
    with zipfile.ZipFile(wheels[0]) as z:
        source = z.read("tensorflow_datasets/text/c4_utils.py").decode("utf-8")
    module = types.ModuleType("c4_utils_v301")
    module.__file__ = f"{wheels[0]}/tensorflow_datasets/text/c4_utils.py"
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


class _FakeBeam:
    """Just enough of Beam for `detect_languages` to run its DoFn in this process."""

    DoFn = object

    @staticmethod
    def ParDo(fn):  # Beam's name
        return fn


class _Pages(list):
    def __or__(self, fn):
        fn.start_bundle()
        return [q for p in self for q in fn.process(p)]


def reference_badwords(version: str) -> dict[str, set[str]]:
    """The reference's per-language lists: every `_BADWORDS_LANGS` file at 5faf2ba, English at
    25e679f, merged by code before "-", minus the 3.1.0 allowlist."""
    from c4forge.corpus.badwords import BADWORDS_LANGS

    lists: dict[str, set[str]] = collections.defaultdict(set)
    for name in BADWORDS_LANGS:
        path = c4_testing.BADWORDS_EN if name == "en" else BADWORDS_DIR / name
        with open(path, encoding="utf-8") as f:
            lists[name.split("-")[0]].update(line.strip() for line in f)
    if version == "3.1.0":
        for lang, allowed in {"ja": {"sm", "グロ", "女の子"}, "zh": {"性"}}.items():
            lists[lang] -= allowed
    return lists


class ReferenceMC4:
    """The reference `c4_utils` of `version` stage by stage in `c4.py`'s mC4 order, in plain
    Python (Beam's shuffles emulated with dicts); counters in `self.counters`. A context
    manager: the reference module's patches are undone on exit."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.counters: dict = collections.defaultdict(collections.Counter)

    def __enter__(self):
        from c4forge.corpus.cld3 import load_gcld3

        gcld3 = load_gcld3()  # before the reference module imports TensorFlow's protobuf
        self.ref = ref = reference_module(self.version)
        self._saved = ref.get_counter_inc_fn, ref.tfds
        ref.get_counter_inc_fn = self.counter
        lazy = types.SimpleNamespace(apache_beam=_FakeBeam, gcld3=gcld3)
        ref.tfds = types.SimpleNamespace(core=types.SimpleNamespace(lazy_imports=lazy))
        self.badwords = reference_badwords(self.version)
        return self

    def __exit__(self, *exc):
        self.ref.get_counter_inc_fn, self.ref.tfds = self._saved

    def counter(self, namespace):
        bucket = self.counters[namespace]

        def inc(name, amount=1):
            bucket[name] += amount

        return inc

    @property
    def v310(self) -> bool:
        return self.version == "3.1.0"

    def read(self, wet_paths):
        return [p for path in wet_paths for p in self.ref.split_wet_file(str(path))]

    def filter_length(self, pages):
        return [p for p in pages if self.ref.is_valid_length(p)]

    def dedup_urls(self, pages):
        ref, groups = self.ref, {}
        if self.v310:
            for p in pages:
                groups.setdefault(p.normalized_url, []).append(p)
            return [ref.select_newest_page(g) for g in groups.values()]
        for p in pages:
            url, features = ref.normalize_url(p)
            groups.setdefault(url, []).append(features)
        return [ref.dedupe_urls(item) for item in groups.items()]

    def filter_paragraphs(self, pages):
        return [p for p in pages if self.ref.paragraph_filter(p)]

    def dedup_lines(self, pages):
        ref, inc = self.ref, self.counter("dedupe-lines")
        kept = c4_testing.line_owners(ref, pages)
        if self.v310:
            joined = ((p.url, {"pages": [p], "lines": kept[p.url]}) for p in pages)
        else:
            joined = ((p[0], {"features": [p[1]], "lines": kept[p[0]]}) for p in pages)
        return [q for el in joined for q in ref._remove_lines_from_text(el, inc, 0)]

    def detect_languages(self, pages):
        from c4forge.corpus.mc4 import MC4_LANGUAGES

        return self.ref.detect_languages(_Pages(pages), valid_languages=list(MC4_LANGUAGES))

    def filter_badwords(self, pages):
        if self.v310:
            keep = self.ref.get_badwords_filter_fn(self.badwords, filter_fraction=0.999)
        else:
            keep = self.ref.get_badwords_filter_fn(self.badwords)
        return [p for p in pages if keep(p)]

    def stages(self):
        return [
            ("length", self.filter_length),
            ("url_dedup", self.dedup_urls),
            ("paragraphs", self.filter_paragraphs),
            ("line_dedup", self.dedup_lines),
            ("languages", self.detect_languages),
            ("badwords", self.filter_badwords),
        ]

    def split(self, pages):
        """split -> pages (`<lang>` / `<lang>-validation`), counting "examples"."""
        out = collections.defaultdict(list)
        for p in pages:
            lang, key = self.language_and_key(p)
            split = lang + ("-validation" if _md5_int(key) % 1000 == 0 else "")
            self.counters[split]["examples"] += 1
            out[split].append(p)
        return dict(out)

    def language_and_key(self, page):
        if self.v310:
            return page.language, page.normalized_url
        key, features = page
        return features["language"], key

    def url_text(self, page) -> tuple[str, str]:
        if self.v310:
            return page.url, page.text
        return page[1]["url"], page[1]["text"]


def reference_mc4(wet_paths, version: str):
    """({(split, url, text)}, {namespace: {name: count}}) of the reference mC4 build."""
    with ReferenceMC4(version) as ref:
        pages = ref.read(wet_paths)
        for _, stage in ref.stages():
            pages = stage(pages)
        splits = ref.split(pages)
        out = {(s, *ref.url_text(p)) for s, ps in splits.items() for p in ps}
    return out, {ns: dict(c) for ns, c in ref.counters.items() if c}


def read_splits(output: Path, fmt: str = "tfrecord") -> dict[str, list[dict]]:
    """split -> records of an mC4 build directory (TFRecord via corpus.records, or JSON)."""
    from c4forge.corpus.records import decode_example
    from c4forge.tasks.records import read_records

    out: dict[str, list[dict]] = collections.defaultdict(list)
    pattern = re.compile(r"c4-(.+)\.tfrecord-\d{5}-of-\d{5}(\.json\.gz)?$")
    for path in sorted(output.iterdir()):
        m = pattern.match(path.name)
        if not m or bool(m.group(2)) != (fmt == "json"):
            continue
        if fmt == "json":
            with gzip.open(path, "rt", encoding="utf-8") as f:
                out[m.group(1)] += [json.loads(line) for line in f]
        else:
            for record, _ in read_records(str(path)):
                ex = decode_example(record)
                out[m.group(1)].append({k: v.decode("utf-8") for k, v in ex.items()})
    return dict(out)


def triples(by_split: dict[str, list[dict]]) -> set[tuple[str, str, str]]:
    return {(s, r["url"], r["text"]) for s, rows in by_split.items() for r in rows}


class ReferenceEnglishV301:
    """C4 3.0.1's English configs (en, en.noclean, en.noblocklist, webtextlike) with TFDS
    4.6.0's `c4_utils`, stage by stage in its `c4.py` order, on (url, features) tuples keyed by
    the normalized URL after URL dedup. `webtext_urls`: the URL lines for webtextlike."""

    def __init__(self, config: str, webtext_urls: list | None = None) -> None:
        self.clean_pages, self.dedupe, self.fraction = c4_testing.CONFIGS[config]
        self.webtext_urls = webtext_urls
        self.counters: dict = collections.defaultdict(collections.Counter)

    def __enter__(self):
        import langdetect
        import nltk
        from nltk.tokenize.punkt import PunktTokenizer

        if str(c4_testing.NLTK_DATA) not in nltk.data.path:
            nltk.data.path.insert(0, str(c4_testing.NLTK_DATA))
        self.ref = ref = reference_module("3.0.1")
        self._saved = ref.get_counter_inc_fn, ref.tfds, ref._load_sentence_tokenizer
        ref.get_counter_inc_fn = self.counter
        ref.tfds = types.SimpleNamespace(
            core=types.SimpleNamespace(lazy_imports=types.SimpleNamespace(langdetect=langdetect))
        )
        ref._load_sentence_tokenizer = lambda: PunktTokenizer("english")
        ref._SENTENCE_TOKENIZER = None
        return self

    def __exit__(self, *exc):
        self.ref.get_counter_inc_fn, self.ref.tfds, self.ref._load_sentence_tokenizer = self._saved

    def counter(self, namespace):
        bucket = self.counters[namespace]

        def inc(name, amount=1):
            bucket[name] += amount

        return inc

    def run(self, wet_paths):
        """({(split, url, text)}, {namespace: {name: count}})."""
        ref = self.ref
        pages = [p for path in wet_paths for p in ref.split_wet_file(str(path))]
        pages = [p for p in pages if ref.is_valid_length(p)]
        groups: dict = {}
        for p in pages:
            url, features = ref.normalize_url(p)
            groups.setdefault(url, []).append(features)
        pages = [ref.dedupe_urls(item) for item in groups.items()]
        if self.webtext_urls is not None:
            joined: dict = collections.defaultdict(lambda: {"text": [], "webtextlike_urls": []})
            for url, features in pages:
                joined[url]["text"].append(features)
            for line in self.webtext_urls:
                url, _ = ref.normalize_url((line, ""))
                joined[url]["webtextlike_urls"].append("")
            pages = [q for item in joined.items() for q in ref.filter_by_webtextlike(item)]
        if self.clean_pages:
            citation = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
            pages = [q for p in pages for q in ref.clean_page(p, citation)]
        if self.dedupe:
            inc, kept = self.counter("dedupe-lines"), c4_testing.line_owners(ref, pages)
            minimum = 3 if self.clean_pages else 0
            joined_pages = ((p[0], {"features": [p[1]], "lines": kept[p[0]]}) for p in pages)
            pages = [
                q for el in joined_pages for q in ref._remove_lines_from_text(el, inc, minimum)
            ]
        pages = [q for p in pages for q in ref.detect_english(p)]
        if self.fraction:
            words = {w.strip() for w in c4_testing.BADWORDS_EN.read_text("utf-8").splitlines()}
            keep = ref.get_badwords_filter_fn({"en": words})
            pages = [p for p in pages if keep(p)]
        out = set()
        for key, features in pages:
            split = "validation" if _md5_int(key) % 1000 == 0 else "train"
            self.counters[split]["examples"] += 1
            out.add((split, features["url"], features["text"]))
        return out, {ns: dict(c) for ns, c in self.counters.items() if c}
