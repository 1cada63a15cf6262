"""The counters C4 en 3.1.0 must report on the WET sample, from the pages' labels alone.

No corpus code runs here: each stage's counters follow from the fates and labels the sample
was written with (docs/C4.md §2, §4, §5, §10), so a build of the bundled files can be compared
with them counter by counter.
"""

from __future__ import annotations

import collections

from c4forge.pipelines.bundled_sample import NUM_FILES
from tools.wet_sample.assembly import sample_pages
from tools.wet_sample.fates import (
    BADWORD,
    FEW_SENTENCES,
    OLDER_CAPTURE,
    PAGE_KILLS,
    TOO_LONG,
    TRAIN,
    VALIDATION,
)


def expected_funnel(num_files: int = NUM_FILES) -> dict[str, dict[str, int]]:
    """The counters (namespace -> name -> count) C4 en 3.1.0 reports on the sample written as
    `num_files` files, from the pages' labels alone (docs/C4.md §2, §4, §5, §10)."""
    pages = sample_pages()
    c: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    c["split-wet-file"].update(
        {"wet-file": num_files, "filtered:no_url": num_files, "passed": len(pages)}
    )
    stage = [p for p in pages if p.label != TOO_LONG]
    c["too-long-filter"].update({"passed": len(stage), "filtered": len(pages) - len(stage)})
    newest = [p for p in stage if p.label != OLDER_CAPTURE]
    c["duplicate-url-filter"].update({"passed": len(newest), "filtered": len(stage) - len(newest)})
    cleaned = []
    for p in newest:
        for _, fate in p.lines:
            c["clean-page"][fate] += 1
            if fate in PAGE_KILLS:
                break
        if p.label[0] != "clean-page":
            c["clean-page"]["passed"] += 1
            cleaned.append(p)
        elif p.label == FEW_SENTENCES:
            c["clean-page"][FEW_SENTENCES[1]] += 1
    # Line dedup: each distinct line (stripped, lowercased) survives once; the other copies
    # in other pages are global duplicates, those in the same page local ones. (The sample
    # never repeats within a page a line that another page also has: then which page keeps
    # it would decide the split between the two.)
    pages_with: collections.Counter = collections.Counter()
    repeated_within: set[str] = set()
    for p in cleaned:
        keys = collections.Counter(line.strip().lower() for line in p.kept)
        pages_with.update(keys.keys())
        repeated_within.update(k for k, n in keys.items() if n > 1)
        c["dedupe-lines"]["line-filtered:local_duplicate"] += sum(keys.values()) - len(keys)
    if any(pages_with[k] > 1 for k in repeated_within):
        raise AssertionError("a line repeated within a page is also in another page")
    c["dedupe-lines"]["line-passed"] += len(pages_with)
    c["dedupe-lines"]["line-filtered:global_duplicate"] += sum(pages_with.values()) - len(
        pages_with
    )
    deduped = []
    for p in cleaned:
        if p.label[0] == "dedupe-lines":
            c["dedupe-lines"][p.label[1]] += 1
        else:
            c["dedupe-lines"]["passed"] += 1
            deduped.append(p)
    english = []
    for p in deduped:
        if p.label[0] == "english-filter":
            c["english-filter"]["filtered:ignored_language"] += 1
            c["english-filter"][p.label[1]] += 1
        else:
            c["english-filter"]["passed"] += 1
            english.append(p)
    for p in english:
        verdict = "filtered" if p.label == BADWORD else "passed"
        c["badwords-filter"][verdict] += 1
        c["badwords-filter-en"][verdict] += 1
        if p.label in (TRAIN, VALIDATION):
            c[p.label[0]][p.label[1]] += 1
    return {ns: {k: v for k, v in sorted(names.items()) if v} for ns, names in sorted(c.items())}


def expected_documents() -> dict[str, list[str]]:
    """split -> URLs of the documents C4 keeps, in record order."""
    out: dict[str, list[str]] = {"train": [], "validation": []}
    for p in sample_pages():
        if p.label in (TRAIN, VALIDATION):
            out[p.label[0]].append(p.url)
    return out
