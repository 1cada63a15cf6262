"""The bundled sample: Common Crawl-shaped WET files whose every page c4forge writes itself.

`python -m tools.make_wet_sample --output DIR [--files N]` (from the repository root) writes the
sample; the committed copy is `pipelines/sample_data/` (`c4forge.pipelines.bundled_sample`), and
a test checks it equals a fresh generation byte for byte. The pages are generated from the
templates and word lists of `tools.wet_sample` with a seeded `random.Random`, so the same code
always gives the same bytes. Nothing is copied from real pages: the sites, places and people are
invented (domains use the reserved `.example` TLD).

Shape (docs/C4.md): one gzip member per record, a warcinfo record first, then `conversion`
records with the WET header set Common Crawl writes (WARC-Record-ID, WARC-Refers-To,
WARC-Block-Digest, ...), written by `c4forge.corpus.wet_writer`. Most pages are English
articles of twenty invented sites (how-to posts, news, recipes, reviews, an encyclopedia, forum
threads, FAQs) wrapped in the boilerplate C4's rules exist for: navigation, bylines, cookie and
policy banners, "enable JavaScript" notices, short lines, citation markers, teasers ending in
"...", site footers and a network-wide footer repeated on many pages. Around them: pages in six
other languages, pages with too few sentences, "lorem ipsum" theme demos, code pages with `{`,
pages with a blocklisted word (the innocent false positives the blocklist is known for), mirrors
and syndicated copies that line dedup empties, URLs crawled twice on two dates, an over-long
page, and articles whose URL hashes to the validation split.

Every page carries, by construction, the fate C4 (3.1.0, `en`) gives it: each line the
`clean-page` counter it hits, each page the stage and reason that drops it, or its split.
`tools.wet_sample.funnel.expected_funnel()` turns those labels into the counters a build must
report, without running any of the corpus code; `tests/pipelines/test_sample.py` builds C4 from
the bundled files and compares.
"""

from __future__ import annotations

import argparse
import os
import sys

from c4forge.corpus import wet_writer
from c4forge.pipelines.bundled_sample import NUM_FILES, file_name
from tools.wet_sample.assembly import sample_pages, sample_records
from tools.wet_sample.funnel import expected_documents, expected_funnel

__all__ = ["expected_documents", "expected_funnel", "main", "write_sample"]

CRAWL = "CC-MAIN-2019-18"  # the crawl the sample is shaped like
WARCINFO_DATE = "2019-04-26T19:04:32Z"
WARCINFO_FIELDS = {
    "Software-Info": "c4forge tools/make_wet_sample.py",
    "Extracted-Date": WARCINFO_DATE,
    "isPartOf": f"c4forge-sample (shaped like {CRAWL})",
    "operator": "c4forge",
    "description": "Synthetic pages written by c4forge, shaped like a Common Crawl WET file",
    "publisher": "c4forge",
}


def write_sample(directory: str, num_files: int = NUM_FILES) -> list[str]:
    """Writes the sample as `num_files` gzip WET files (record `i` in file `i % num_files`, each
    file opening with its warcinfo record) and returns their paths."""
    os.makedirs(directory, exist_ok=True)
    records = sample_records()
    paths = []
    for f in range(num_files):
        name = file_name(f)
        info = wet_writer.warcinfo_record(name, WARCINFO_DATE, WARCINFO_FIELDS)
        pages = [wet_writer.conversion_record(*r) for r in records[f::num_files]]
        paths.append(wet_writer.write_wet_file(os.path.join(directory, name), [info, *pages]))
    return paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m tools.make_wet_sample", description=__doc__.split("\n")[0]
    )
    p.add_argument("--output", required=True, help="directory for the WET files")
    p.add_argument("--files", type=int, default=NUM_FILES, help="number of files (%(default)s)")
    args = p.parse_args(argv)
    if args.files < 1:
        p.error("--files must be at least 1")
    paths = write_sample(args.output, args.files)
    size = sum(os.path.getsize(path) for path in paths)
    docs = expected_documents()
    print(
        f"wrote {len(paths)} files ({size / 1e6:.2f} MB) to {args.output}: "
        f"{len(sample_pages())} pages; C4 en keeps {len(docs['train'])} train and "
        f"{len(docs['validation'])} validation documents"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
