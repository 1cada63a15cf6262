"""Shared by the tests of pipelines/inputs.py: the real WET files, fast retry settings, a
counting callable and a one-call fetch through `open_input`."""

from __future__ import annotations

import collections
from pathlib import Path

from c4forge.pipelines.downloads import open_input

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
WET_GZ = [
    *sorted((SHARED_DATA / "c4_fixture" / "c4_wet_files").glob("*.warc.wet.gz")),
    SHARED_DATA / "wet" / "whirlwind.warc.wet.gz",  # two gzip members
]
WET_PLAIN = SHARED_DATA / "c4_fixture" / "c4_wet_files" / "cc_0.warc.wet"
CRAWL = "CC-MAIN-2019-18"

# Fast retries for tests; the client timeout only matters for the "slow" fault.
FAST = {"attempts": 6, "backoff_s": 0.01, "timeout_s": 5.0}

# The shared data must be there (tests/conftest.py): a missing file fails, never skips.


class Counts(collections.Counter):
    def __call__(self, name: str, amount: int = 1) -> None:
        self[name] += amount


def fetch(url: str, scratch: Path, counts: Counts | None = None, **kw) -> bytes:
    with open_input(url, scratch_dir=str(scratch), count=counts, **{**FAST, **kw}) as f:
        return f.read()


def make_tree(root: Path, names: list[str]) -> list[Path]:
    paths = []
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
        paths.append(p)
    return paths
