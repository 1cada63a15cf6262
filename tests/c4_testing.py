"""Test helpers: shared data locations, WET writing, running builds and reading them back, and a
harness that runs the reference TFDS `c4_utils` functions in plain Python."""

from __future__ import annotations

import collections
import gzip
import hashlib
import json
import re
import zlib
from pathlib import Path

from c4forge.corpus import wet_writer

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
NLTK_DATA = SHARED_DATA / "nltk_data"
BADWORDS_EN = SHARED_DATA / "badwords" / "ldnoobw_25e679f" / "en"
FIXTURE_WET = SHARED_DATA / "c4_fixture" / "c4_wet_files"
DOLMA_JSONL = SHARED_DATA / "cc_text" / "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"

# The warcinfo record that opens every test WET file (the real pages are from CC-MAIN-2019-30).
WARCINFO = wet_writer.warcinfo_record(
    "c4forge-test.warc.wet.gz",
    "2019-07-17T12:15:59Z",
    {"Software-Info": "c4forge tests/c4_testing.py", "isPartOf": "CC-MAIN-2019-30"},
).decode("utf-8")


def wet_record(url: str, date: str, text: str) -> str:
    """One conversion record with Common Crawl's headers (`wet_writer.conversion_record`)."""
    return wet_writer.conversion_record(url, date, text).decode("utf-8")


def write_wet(path: Path, records: list[tuple[str, str, str]], members: bool = True) -> Path:
    """A WET file: warcinfo + one conversion record per (url, date, text); gzip member per record
    (as Common Crawl ships it) unless `members` is False; plain text if the name has no .gz."""
    parts = [WARCINFO.encode("utf-8")] + [wet_writer.conversion_record(*r) for r in records]
    if not str(path).endswith(".gz"):
        path.write_bytes(b"".join(parts))
    elif members:
        wet_writer.write_wet_file(path, parts)
    else:
        path.write_bytes(gzip.compress(b"".join(parts), mtime=0))
    return path


def inflate_members(data: bytes) -> list[bytes]:
    """The inflated gzip members of a file's bytes, one by one (each must be complete)."""
    out = []
    while data:
        d = zlib.decompressobj(wbits=31)
        out.append(d.decompress(data) + d.flush())
        assert d.eof, "truncated gzip member"
        data = d.unused_data
    return out


def parse_warc_record(record: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """(header fields in order, block) of one WARC record, checking its framing: the version
    line, a blank line after the headers, and a block of exactly Content-Length bytes followed
    by the record's closing blank line."""
    assert record.startswith(b"WARC/1.0\r\n")
    head, sep, rest = record.partition(b"\r\n\r\n")
    assert sep
    fields = [tuple(line.split(": ", 1)) for line in head.decode().split("\r\n")[1:]]
    length = int(dict(fields)["Content-Length"])
    assert rest[length:] == b"\r\n\r\n", "Content-Length must frame the block exactly"
    return fields, rest[:length]


def dolma_records() -> list[tuple[str, str, str]]:
    with gzip.open(DOLMA_JSONL, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [(r["metadata"]["warc_url"], r["metadata"]["warc_date"], r["text"]) for r in rows]


def build_args(inputs, output, *extra) -> list[str]:
    args = []
    for i in inputs:
        args += ["--input", str(i)]
    shards = [] if "multilingual" in extra else ["--num-shards", "2,1"]  # mC4 sizes its shards
    return [
        *args,
        "--output",
        str(output),
        "--punkt",
        str(NLTK_DATA),
        "--badwords",
        str(BADWORDS_EN),
        *shards,
        "--direct_running_mode=in_memory",
        "--direct_num_workers=1",
        "--no-report",
        *extra,
    ]


def run_build(inputs, output, *extra) -> dict:
    """`c4forge corpus build` on `inputs` in this process; returns its report (stats.json)."""
    from c4forge.cli import corpus_build

    return corpus_build.run(build_args(inputs, output, *extra))


def read_output(output: Path, fmt: str = "tfrecord") -> dict[str, list[dict]]:
    """split -> list of feature dicts, read back with TensorFlow (tfrecord) or gzip (json)."""
    out: dict[str, list[dict]] = {"train": [], "validation": []}
    for split in out:
        if fmt == "json":
            for path in sorted(output.glob(f"c4-{split}.*.json.gz")):
                with gzip.open(path, "rt", encoding="utf-8") as f:
                    out[split] += [json.loads(line) for line in f]
            continue
        import tensorflow as tf

        files = sorted(str(p) for p in output.glob(f"c4-{split}.tfrecord-*"))
        for raw in tf.data.TFRecordDataset(files):
            ex = tf.train.Example.FromString(raw.numpy())
            out[split].append(
                {k: v.bytes_list.value[0].decode("utf-8") for k, v in ex.features.feature.items()}
            )
    return out


def triples(output_by_split: dict[str, list[dict]]) -> set[tuple[str, str, str]]:
    return {(s, r["url"], r["text"]) for s, rows in output_by_split.items() for r in rows}


# --- the reference ---------------------------------------------------------------------------

CONFIGS = {  # clean, dedupe, badwords fraction
    "en": (True, True, 1.0),
    "en.noclean": (False, False, 0.0),
    "en.noblocklist": (True, True, 0.0),
    "webtextlike": (True, True, 1.0),  # and the join with OpenWebText's URLs
}


class ReferenceC4:
    """TFDS 3.1.0 `c4_utils` run in plain Python, stage by stage in the order of `c4.py`.

    Counters go to `self.counters[namespace][name]` (by patching `get_counter_inc_fn`). URL
    dedup calls `select_newest_page` once per URL (the Beam build also calls it on partial
    groups, which inflates its counters); line dedup emulates `Top.PerKey(1)` + `CoGroupByKey`.
    Use as a context manager: the patches are undone on exit.
    """

    def __init__(
        self, config: str, badwords_path: Path = BADWORDS_EN, webtext_urls: list | None = None
    ) -> None:
        self.clean_pages, self.dedupe, self.fraction = CONFIGS[config]
        self.badwords_path = badwords_path
        self.webtext_urls = webtext_urls  # the URL lines as ReadFromText gives them
        self.counters: dict = collections.defaultdict(collections.Counter)

    def __enter__(self):
        import nltk
        from nltk.tokenize.punkt import PunktTokenizer
        from tensorflow_datasets.text import c4_utils as ref

        if str(NLTK_DATA) not in nltk.data.path:
            nltk.data.path.insert(0, str(NLTK_DATA))
        self.ref = ref
        self._saved = ref.get_counter_inc_fn, ref._load_sentence_tokenizer, ref._SENTENCE_TOKENIZER
        ref.get_counter_inc_fn = self.counter
        ref._load_sentence_tokenizer = lambda: PunktTokenizer("english")
        ref._SENTENCE_TOKENIZER = None
        return self

    def __exit__(self, *exc):
        ref = self.ref
        ref.get_counter_inc_fn, ref._load_sentence_tokenizer, ref._SENTENCE_TOKENIZER = self._saved

    def counter(self, namespace):
        bucket = self.counters[namespace]

        def inc(name, amount=1):
            bucket[name] += amount

        return inc

    def read(self, wet_paths):
        return [p for path in wet_paths for p in self.ref.split_wet_file(str(path))]

    def filter_length(self, pages):
        return [p for p in pages if self.ref.is_valid_length(p)]

    def dedup_urls(self, pages):
        groups: dict = {}
        for p in pages:
            groups.setdefault(p.normalized_url, []).append(p)
        return [self.ref.select_newest_page(g) for g in groups.values()]

    def join_webtext(self, pages):
        """`CoGroupByKey` of pages and normalized OpenWebText URLs + `filter_by_webtextlike`."""
        ref = self.ref
        joined: dict = collections.defaultdict(lambda: {"pages": [], "webtextlike_urls": []})
        for p in pages:
            joined[p.normalized_url]["pages"].append(p)
        for url in self.webtext_urls:
            joined[ref.normalize_url(url)]["webtextlike_urls"].append(ref.PageFeatures())
        return [q for item in joined.items() for q in ref.filter_by_webtextlike(item)]

    def clean(self, pages):
        citation = re.compile(r"\[\d*\]|\[edit\]|\[citation needed\]")
        return [q for p in pages for q in self.ref.clean_page(p, citation)]

    def dedup_lines(self, pages):
        ref = self.ref
        kept = line_owners(ref, pages)
        inc = self.counter("dedupe-lines")
        min_sentences = 3 if self.clean_pages else 0
        return [
            q
            for p in pages
            for q in ref._remove_lines_from_text(
                (p.url, {"pages": [p], "lines": kept[p.url]}), inc, min_sentences
            )
        ]

    def filter_english(self, pages):
        return [q for p in pages for q in self.ref.detect_english(p)]

    def filter_badwords(self, pages):
        words = {w.strip() for w in self.badwords_path.read_text(encoding="utf-8").splitlines()}
        keep = self.ref.get_badwords_filter_fn({"en": words}, self.fraction)
        return [p for p in pages if keep(p)]

    def split(self, pages):
        out = {"train": [], "validation": []}
        for p in pages:
            h = int(hashlib.md5(p.normalized_url.encode("utf-8")).hexdigest(), 16)
            split = "validation" if h % 1000 == 0 else "train"
            self.counters[split]["examples"] += 1
            out[split].append(p)
        return out

    def stages(self):
        out = [("length", self.filter_length), ("url_dedup", self.dedup_urls)]
        if self.webtext_urls is not None:
            out.append(("webtextlike", self.join_webtext))
        if self.clean_pages:
            out.append(("clean", self.clean))
        if self.dedupe:
            out.append(("line_dedup", self.dedup_lines))
        out.append(("english", self.filter_english))
        if self.fraction:
            out.append(("badwords", self.filter_badwords))
        return out


def line_owners(ref, pages) -> dict:
    """The reference's line vote (`Top.PerKey(1)` over `_emit_url_to_lines`, inverted): URL key
    -> the hashes of the lines that page keeps (min md5 of the URL key wins)."""
    owner: dict = {}
    for p in pages:
        for h, url in ref._emit_url_to_lines(p):
            if h not in owner or ref._hash_text(url) < ref._hash_text(owner[h]):
                owner[h] = url
    kept = collections.defaultdict(list)
    for h, url in owner.items():
        kept[url].append(h)
    return kept


def reference_build(wet_paths, config: str, webtext_urls: list | None = None):
    """({(split, url, text)}, {namespace: {name: count}}) of the reference on `wet_paths`."""
    with ReferenceC4(config, webtext_urls=webtext_urls) as ref:
        pages = ref.read(wet_paths)
        for _, stage in ref.stages():
            pages = stage(pages)
        splits = ref.split(pages)
    out = {(split, p.url, p.text) for split, ps in splits.items() for p in ps}
    return out, {ns: dict(c) for ns, c in ref.counters.items() if c}


def run_cli(*argv: str) -> tuple[int, str, str]:
    """`c4forge ARGV...` in this process: (exit code, stdout, stderr)."""
    import contextlib
    import io

    from c4forge.cli import main as cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()
