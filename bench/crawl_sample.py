"""A crawl-sized WET sample from real pages, for benchmarking the Beam job (issue 15).

The 697 real CC-MAIN-2019-30 pages (`tests/c4_testing.dolma_records`) copied until the WET
holds `--mb` MB, each copy under its own URLs and with every line made distinct by a word edit
(copy k replaces one word of each line of two words or more with `w<k>`), so that URL dedup,
line dedup and langdetect all have real work on every copy, as they would on a crawl. One gzip
member per record, as Common Crawl ships WET; `--files N` spreads the records over N files.

    python bench/crawl_sample.py --mb 300 --files 8 --output /tmp/crawl300
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import c4_testing  # noqa: E402


def edit_lines(text: str, copy: int) -> str:
    """Copy `copy` of a page: in each line of 2+ words, the word at position copy % n becomes
    `w<copy>` (copy 0 is the page itself)."""
    if copy == 0:
        return text
    lines = []
    for line in text.split("\n"):
        words = line.split(" ")
        if len(words) >= 2:
            words[copy % len(words)] = f"w{copy}"
        lines.append(" ".join(words))
    return "\n".join(lines)


def records(mb: float):
    """(url, date, text) rows until their text holds `mb` MB."""
    pages = c4_testing.dolma_records()
    size, copy = 0, 0
    while size < mb * 1e6:
        for url, date, text in pages:
            row = (url.replace("://", f"://copy{copy}.", 1), date, edit_lines(text, copy))
            size += len(row[2].encode("utf-8"))
            yield row
        copy += 1


def write_sample(output: Path, mb: float, files: int) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    rows = list(records(mb))
    paths = []
    for i in range(files):
        path = output / f"sample-{i:05d}.warc.wet.gz"
        c4_testing.write_wet(path, rows[i::files])
        paths.append(path)
    return paths


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=300.0, help="MB of page text (%(default)s)")
    ap.add_argument("--files", type=int, default=8, help="WET files (%(default)s)")
    ap.add_argument("--output", required=True, help="directory for the WET files")
    args = ap.parse_args(argv)
    paths = write_sample(Path(args.output), args.mb, args.files)
    total = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{len(paths)} WET files, {total:.1f} MB gzipped, in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
