"""The pipeline's input layer: which WET files to read, and how to open one.

``plan_inputs`` turns what the user typed (``--input``, repeatable, ``--crawl``, several, and
``--max-files``) into an ``InputPlan``: the WET file locations resolved on the launcher
(``files``) and the Common Crawl manifests left for the workers to read (``manifests``, see
``pipelines.wet_sources.WetLocations``). One dump lists 64k-90k WET files, so reading the 86
manifests of mC4 on the launcher would put ~6M paths into the job graph, far over Dataflow's
10 MB (tensorflow/datasets#2711, docs/C4.md §14); the reference TFDS ``c4.py:630-637`` reads
its manifests inside the pipeline too (``ReadAllFromText``). ``expand_inputs`` is the same
expansion done entirely on the launcher: the sorted, de-duplicated list of WET file locations.
The rules both follow:

* **Local paths, ``gs://`` and ``s3://`` paths, and globs over any of them** are expanded with
  ``apache_beam.io.filesystems.FileSystems.match`` (one pattern at a time, since Beam picks the
  filesystem from the first pattern of a call). Local matches are made absolute so that they
  mean the same thing in every worker. A pattern that matches nothing is an error:
  ``ValueError("no input matches 'PATTERN'")``.
* **``http://`` and ``https://`` URLs** of WET files are kept as they are; they are fetched
  (with retries) only when the pipeline opens them.
* **Common Crawl manifests**: an input whose name ends in ``wet.paths`` or ``wet.paths.gz``
  (local, ``gs://``/``s3://``, a file a glob matched, or an http(s) URL) is read — gunzipped when it
  starts with the gzip magic — and each non-blank line becomes ``cc_base_url + "/" + line``.
  A line that already carries a scheme (``https://…``, ``gs://…``) or is an absolute path
  (``/…``) is taken as it is.
* **``crawls=["CC-MAIN-YYYY-WW", ...]``** (``expand_inputs``: also ``crawl=`` for one) adds
  the manifest ``{cc_base_url}/crawl-data/{crawl}/wet.paths.gz`` of each crawl. An id must
  match ``^CC-MAIN-\\d{4}-\\d{2}$``.
* ``plan_inputs`` opens no manifest (no network, no launcher memory per WET file) unless
  ``max_files`` is given: a sample needs the full list, so then every manifest is read on the
  launcher, the sample is taken as below and the plan has ``manifests=()``. A plan with no
  files and no manifests is an error.
* ``cc_base_url`` defaults to ``CC_BASE_URL`` (``https://data.commoncrawl.org``). The command
  line reads ``C4FORGE_CC_BASE_URL`` at call time (see ``cc_base_url_from_env``) and passes it
  in, so tests can point the crawl at a local server.
* **``max_files=N``** keeps a deterministic, evenly spaced sample of the sorted list: with ``M``
  files and ``N < M``, the files at indices ``i * M // N`` for ``i = 0 … N-1`` (the first file is
  always kept; the spacing is ``M / N``). ``N >= M`` keeps everything; ``N < 1`` is an error.
  The same inputs and ``N`` always give the same sample, and the sample does not depend on the
  order in which the inputs were given.
* An empty final list is an error. All of these errors are ``ValueError``s with a one-line
  message, including a manifest that cannot be read or downloaded (``cannot read the manifest
  'LOCATION': REASON``).

Opening one location (local or remote, downloads verified and retried) is
``pipelines.downloads``.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import re
import zlib
from collections.abc import Mapping

from apache_beam.io.filesystem import BeamIOError
from apache_beam.io.filesystems import FileSystems

from c4forge.pipelines.downloads import (
    DEFAULT_ATTEMPTS,
    DEFAULT_BACKOFF_S,
    DEFAULT_TIMEOUT_S,
    is_url,
    open_input,
)

__all__ = [
    "CC_BASE_URL",
    "CC_BASE_URL_ENV",
    "CRAWL_ID_RE",
    "InputPlan",
    "cc_base_url_from_env",
    "crawl_manifest_url",
    "expand_inputs",
    "has_scheme",
    "is_manifest",
    "manifest_locations",
    "plan_inputs",
    "sample_evenly",
]

CC_BASE_URL = "https://data.commoncrawl.org"
CC_BASE_URL_ENV = "C4FORGE_CC_BASE_URL"
CRAWL_ID_RE = re.compile(r"^CC-MAIN-\d{4}-\d{2}$")


_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB_CHARS = frozenset("*?[")
_GZIP_MAGIC = b"\x1f\x8b"


# --------------------------------------------------------------------------------------------
# Classification of locations


def has_scheme(location: str) -> bool:
    return bool(_SCHEME_RE.match(location))


def is_manifest(location: str) -> bool:
    """True for Common Crawl path lists: names ending in ``wet.paths`` or ``wet.paths.gz``."""
    path = location.split("?", 1)[0].split("#", 1)[0] if is_url(location) else location
    return path.endswith(("wet.paths", "wet.paths.gz"))


def _is_glob(location: str) -> bool:
    return any(c in _GLOB_CHARS for c in location)


def cc_base_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``$C4FORGE_CC_BASE_URL`` when set and non-empty, else ``CC_BASE_URL``."""
    env = os.environ if environ is None else environ
    return env.get(CC_BASE_URL_ENV) or CC_BASE_URL


def crawl_manifest_url(crawl: str, cc_base_url: str = CC_BASE_URL) -> str:
    """The WET manifest of a Common Crawl crawl, e.g. ``CC-MAIN-2019-18``."""
    if not isinstance(crawl, str) or not CRAWL_ID_RE.match(crawl):
        raise ValueError(
            f"bad crawl id {crawl!r}: expected the form CC-MAIN-YYYY-WW, e.g. CC-MAIN-2019-18"
        )
    return f"{cc_base_url.rstrip('/')}/crawl-data/{crawl}/wet.paths.gz"


# --------------------------------------------------------------------------------------------
# plan_inputs and expand_inputs


def sample_evenly(items: list[str], n: int) -> list[str]:
    """``n`` items evenly spaced over ``items`` (indices ``i * len // n``), order kept."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"max_files must be an integer >= 1, got {n!r}")
    m = len(items)
    if n >= m:
        return list(items)
    return [items[i * m // n] for i in range(n)]


def _match(pattern: str) -> list[str]:
    shown = pattern
    if not has_scheme(pattern):
        # Beam's local filesystem does not match relative globs ("*.gz" lists nothing)
        pattern = os.path.abspath(os.path.expanduser(pattern))
    try:
        results = FileSystems.match([pattern])
    except BeamIOError as e:
        causes = "; ".join(f"{exc}" for exc in (e.exception_details or {}).values())
        raise ValueError(f"cannot match input {shown!r}: {causes or e}") from e
    paths = [m.path for result in results for m in result.metadata_list]
    if not paths:
        raise ValueError(f"no input matches {shown!r}")
    return paths


def _manifest_lines(data: bytes) -> list[str]:
    if data[:2] == _GZIP_MAGIC:
        data = gzip.decompress(data)
    text = data.decode("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _resolve(line: str, cc_base_url: str) -> str:
    if has_scheme(line) or line.startswith("/"):
        return line
    return f"{cc_base_url.rstrip('/')}/{line.lstrip('/')}"


def manifest_locations(data: bytes, cc_base_url: str = CC_BASE_URL) -> list[str]:
    """The WET file locations a manifest's raw bytes list, in the manifest's order.

    Gunzipped when ``data`` starts with the gzip magic; each non-blank line, stripped, is put
    under ``cc_base_url`` unless it has a scheme or is an absolute path. Raises ``zlib.error``,
    ``EOFError`` or ``UnicodeDecodeError`` on a corrupt manifest.
    """
    return [_resolve(line, cc_base_url) for line in _manifest_lines(data)]


def _read_manifest(location: str, cc_base_url: str, **download_kw) -> list[str]:
    try:
        with open_input(location, **download_kw) as f:
            data = f.read()
        files = manifest_locations(data, cc_base_url)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as e:  # DownloadError included
        raise ValueError(f"cannot read the manifest {location!r}: {e}") from e
    if not files:
        raise ValueError(f"manifest {location!r} lists no files")
    return files


@dataclasses.dataclass(frozen=True)
class InputPlan:
    """Where the WET files come from: resolved on the launcher, or listed by manifests.

    ``files``: WET file locations, sorted and de-duplicated (local matches absolute, ``gs://``,
    ``s3://``, http(s) URLs). ``manifests``: ``wet.paths(.gz)`` locations, sorted and
    de-duplicated, not opened yet: each worker that gets one lists its WET files.
    """

    files: tuple[str, ...]
    manifests: tuple[str, ...]


_NO_INPUT = "no input files: give --input PATH|GLOB|URL|MANIFEST or --crawl ID"


def _check_max_files(max_files: int | None) -> None:
    if max_files is not None and (
        isinstance(max_files, bool) or not isinstance(max_files, int) or max_files < 1
    ):
        raise ValueError(f"max_files must be an integer >= 1, got {max_files!r}")


def plan_inputs(
    inputs: list[str],
    crawls: list[str] | tuple[str, ...] = (),
    max_files: int | None = None,
    cc_base_url: str = CC_BASE_URL,
    *,
    scratch_dir: str | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff_s: float = DEFAULT_BACKOFF_S,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> InputPlan:
    """The ``InputPlan`` of ``inputs`` and ``crawls``; manifests stay unread (see module doc).

    Globs are matched here (a pattern matching nothing is an error now, not on a worker).
    With ``max_files`` every manifest is read here (the keyword-only arguments are then used
    to download them, see ``downloads.open_input``) and the plan holds the sample alone.
    """
    if isinstance(inputs, str):  # a lone string would otherwise be iterated character-wise
        inputs = [inputs]
    if isinstance(crawls, str):
        crawls = [crawls]
    _check_max_files(max_files)
    manifests = {crawl_manifest_url(crawl, cc_base_url) for crawl in crawls or ()}
    files: set[str] = set()
    for raw in inputs or []:
        location = raw.strip()
        if not location:
            continue
        for path in [location] if is_url(location) else _match(location):
            (manifests if is_manifest(path) else files).add(path)
    if max_files is not None:
        download_kw = {
            "scratch_dir": scratch_dir,
            "attempts": attempts,
            "backoff_s": backoff_s,
            "timeout_s": timeout_s,
        }
        for manifest in sorted(manifests):
            files.update(_read_manifest(manifest, cc_base_url, **download_kw))
        manifests = set()
        if not files:
            raise ValueError(_NO_INPUT)
        return InputPlan(files=tuple(sample_evenly(sorted(files), max_files)), manifests=())
    if not files and not manifests:
        raise ValueError(_NO_INPUT)
    return InputPlan(files=tuple(sorted(files)), manifests=tuple(sorted(manifests)))


def expand_inputs(
    inputs: list[str],
    crawl: str | None = None,
    max_files: int | None = None,
    cc_base_url: str = CC_BASE_URL,
    *,
    crawls: list[str] | tuple[str, ...] = (),
    scratch_dir: str | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff_s: float = DEFAULT_BACKOFF_S,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> list[str]:
    """The sorted, de-duplicated WET file locations named by ``inputs``, ``crawl`` and
    ``crawls``, every manifest read here, on the launcher.

    See the module docstring for the rules. The keyword-only arguments are used when a
    manifest has to be downloaded (see ``downloads.open_input``). For a job over many crawls use
    ``plan_inputs`` and ``WetLocations``, which leave the manifests to the workers.
    """
    if isinstance(crawls, str):
        crawls = [crawls]
    all_crawls = [*([] if crawl is None else [crawl]), *crawls]
    download_kw = {
        "scratch_dir": scratch_dir,
        "attempts": attempts,
        "backoff_s": backoff_s,
        "timeout_s": timeout_s,
    }
    plan = plan_inputs(inputs, all_crawls, max_files, cc_base_url, **download_kw)
    found = set(plan.files)  # with max_files the plan is the sample and has no manifests
    for manifest in plan.manifests:
        found.update(_read_manifest(manifest, cc_base_url, **download_kw))
    return sorted(found)
