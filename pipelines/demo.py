"""`c4forge demo`: the main job on the bundled sample, end to end.

Writes the project's own WET sample (`pipelines/sample.py`), builds C4 `en` from it with the
same pipeline users run on Common Crawl, prints the funnel and a few documents, and says where
everything is. `--real DIR_OR_FILE` adds the 697 real CC-MAIN-2019-30 pages of the shared data
(JSON lines with metadata.warc_url / warc_date), wrapped as WET records.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys

from pipelines import sample

DOLMA_NAME = "dolma_CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="c4forge demo", description=__doc__.splitlines()[0])
    p.add_argument("--output", default="out/demo", help="where the demo writes (%(default)s)")
    p.add_argument("--punkt", help="NLTK data dir with punkt_tab (else found or fetched)")
    p.add_argument("--badwords", help="LDNOOBW English list (else fetched)")
    p.add_argument("--real", metavar="PATH", help=f"also build from real pages ({DOLMA_NAME})")
    p.add_argument("--c4-version", default=None, help="C4 version (default: 3.1.0)")
    return p


def write_real_pages(jsonl_path: str, out_path: str) -> str:
    if os.path.isdir(jsonl_path):
        jsonl_path = os.path.join(jsonl_path, DOLMA_NAME)
    with gzip.open(jsonl_path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    with open(out_path, "wb") as out:
        out.write(gzip.compress(sample.WARCINFO, mtime=0))
        for r in rows:
            meta = r["metadata"]
            out.write(gzip.compress(sample._record(meta["warc_url"], meta["warc_date"], r["text"])))
    return out_path


def main(argv: list[str] | None = None) -> int:
    from pipelines import c4

    args, beam_args = build_parser().parse_known_args(argv)
    sample_dir = os.path.join(args.output, "sample")
    inputs = sample.write_sample(sample_dir)
    if args.real:
        inputs.append(write_real_pages(args.real, os.path.join(sample_dir, "real.warc.wet.gz")))
    corpus_dir = os.path.join(args.output, "c4")
    build = ["--output", corpus_dir, "--config", "en", "--num-shards", "2,1", "--rejects"]
    for path in inputs:
        build += ["--input", path]
    for flag, value in (("--punkt", args.punkt), ("--badwords", args.badwords)):
        if value:
            build += [flag, value]
    if args.c4_version:
        build += ["--c4-version", args.c4_version]
    print(f"[demo] wrote {len(inputs)} WET files to {sample_dir}")
    code = c4.main(build + beam_args)
    if code:
        return code
    with open(os.path.join(corpus_dir, "stats.json")) as f:
        stats = json.load(f)
    examples = {s: stats["counters"].get(s, {}).get("examples", 0) for s in ("train", "validation")}
    print(
        f"[demo] C4 written to {corpus_dir}: {examples['train']} train, "
        f"{examples['validation']} validation documents"
    )
    print(
        f"[demo] report: {corpus_dir}/stats.json, funnel.txt, funnel.png; "
        f"dropped pages with reasons: {corpus_dir}/rejects/"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
