"""OpenWebText's URL list for the `webtextlike` config (docs/C4.md §2 step 8, §8).

The reference reads `OpenWebText/Version 1/URLs/*.txt` from the manually downloaded
`OpenWebText.zip` with `beam.io.ReadFromText` (one URL per line, the trailing "\\n" or "\\r\\n"
removed, nothing else stripped) and keys each line by `normalize_url(line)`. Here the list may be

* that zip (the URL files are read straight out of it, on workers),
* a directory holding its `*.txt` URL files, or
* one text file with a URL per line,

local or on any Beam filesystem. `plan_sources` lists the files on the launcher (a zip's
central directory, a directory's `*.txt`); `OpenWebTextUrls` reads them on workers, so the
~23 million URLs never enter the job graph.
"""

from __future__ import annotations

import fnmatch
import os
import zipfile

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from c4forge.corpus.urls import normalize_url

OPENWEBTEXT_ZIP_URL = "https://mega.nz/#F!EZZD0YwJ!9_PlEQzdMVLaNdKv_ICNVQ"
ZIP_MEMBER_PATTERN = "OpenWebText/Version 1/URLs/*.txt"  # the reference's file pattern
NAMESPACE = "c4forge-openwebtext"  # ours, not a reference counter

MISSING_HINT = (
    "download OpenWebText.zip from " + OPENWEBTEXT_ZIP_URL + " (the reference's manual "
    "download) and pass its path, a directory of its URL .txt files, or a text file of URLs"
)


def plan_sources(path: str) -> list[tuple[str, str]]:
    """[(file, zip member or "")] holding OpenWebText's URLs. ValueError (one line) if none."""
    if not path:
        raise ValueError(f"--openwebtext-urls is required for webtextlike: {MISSING_HINT}")
    if _is_dir(path):
        files = sorted(m.path for m in _match(path.rstrip("/") + "/*.txt"))
        if not files:
            raise ValueError(f"no *.txt URL files in {path!r}: {MISSING_HINT}")
        return [(f, "") for f in files]
    if not _match(path):
        raise ValueError(f"OpenWebText URLs not found at {path!r}: {MISSING_HINT}")
    if not _is_zip(path):
        return [(path, "")]
    with FileSystems.open(path) as f, zipfile.ZipFile(f) as z:
        names = [n for n in z.namelist() if not n.endswith("/")]
    members = [n for n in names if _reference_member(n)]
    if not members:  # a re-zipped list: any text file in it
        members = [n for n in names if n.endswith(".txt")]
    if not members:
        raise ValueError(f"{path!r} holds no URL .txt files: {MISSING_HINT}")
    return [(path, m) for m in sorted(members)]


def _reference_member(name: str) -> bool:
    """Whether `name` matches ZIP_MEMBER_PATTERN as a glob ("*" within one folder)."""
    folder, _, base = name.rpartition("/")
    return folder == ZIP_MEMBER_PATTERN.rpartition("/")[0] and fnmatch.fnmatchcase(base, "*.txt")


def _match(pattern: str) -> list:
    try:
        return FileSystems.match([pattern])[0].metadata_list
    except Exception:  # BeamIOError for a pattern that matches nothing on some filesystems
        return []


def _is_dir(path: str) -> bool:
    if "://" not in path:
        return os.path.isdir(path)
    return path.endswith("/")


def _is_zip(path: str) -> bool:
    with FileSystems.open(path) as f:
        return f.read(4) == b"PK\x03\x04"


def url_lines(stream) -> list[bytes]:
    """The lines of a binary stream as `ReadFromText` gives them: split on "\\n", one trailing
    "\\r" removed, no empty record after a final newline."""
    lines = []
    for raw in stream:
        line = raw[:-1] if raw.endswith(b"\n") else raw
        lines.append(line[:-1] if line.endswith(b"\r") else line)
    return lines


class _ReadUrlsFn(beam.DoFn):
    def setup(self) -> None:
        self.read = Metrics.counter(NAMESPACE, "urls-read")
        self.undecodable = Metrics.counter(NAMESPACE, "undecodable-line")
        self.unreadable = Metrics.counter(NAMESPACE, "unreadable-file")

    def process(self, source):
        path, member = source
        try:
            with FileSystems.open(path) as f:
                if member:
                    with zipfile.ZipFile(f) as z, z.open(member) as m:
                        lines = url_lines(m)
                else:
                    lines = url_lines(f)
        except Exception:
            self.unreadable.inc()
            return
        for line in lines:
            try:
                url = line.decode("utf-8")
            except UnicodeDecodeError:
                self.undecodable.inc()
                continue
            self.read.inc()
            yield normalize_url(url)


class OpenWebTextUrls(beam.PTransform):
    """Pipeline root -> OpenWebText's normalized URLs (duplicates kept: the join groups them)."""

    def __init__(self, sources: list[tuple[str, str]]):
        super().__init__()
        self._sources = sources

    def expand(self, root):
        return (
            root
            | "UrlFiles" >> beam.Create(self._sources, reshuffle=False)
            | "Spread" >> beam.Reshuffle()
            | "ReadUrls" >> beam.ParDo(_ReadUrlsFn())
        )
