"""The bundled WET sample: where its files are (`pipelines/sample_data/`, package data).

Three gzip WET files of pages written by the project, shaped like a Common Crawl crawl; the
demo builds C4 from them. They are written by a developer tool that is not installed
(`python -m tools.make_wet_sample --output pipelines/sample_data`, from the repository root),
and a test checks the committed files equal a fresh generation byte for byte.
"""

from __future__ import annotations

import os

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_data")
NUM_FILES = 3


def file_name(index: int) -> str:
    """The name of the sample's file number `index`."""
    return f"sample-{index:02d}.warc.wet.gz"


def wet_files(data_dir: str = DATA_DIR, num_files: int = NUM_FILES) -> list[str]:
    """The paths of the sample's WET files, in order."""
    return [os.path.join(data_dir, file_name(i)) for i in range(num_files)]
