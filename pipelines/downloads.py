"""Opening one input location: a local or Beam-filesystem file, or an http(s) download that is
verified and retried (the WET files, the manifests and the public data of a build).

``open_input`` is a context manager yielding a readable *binary* file object with the raw
(still compressed) bytes; the caller does the gzip decoding itself:

* local, ``gs://``, ``s3://``: ``FileSystems.open(location, compression_type=UNCOMPRESSED)``;
* ``http://``/``https://``: the body is downloaded (stdlib ``urllib.request``) to a temporary
  file in ``scratch_dir`` (default ``tempfile.gettempdir()``) and verified before it is handed
  out: HTTP 200; the body length equals ``Content-Length`` when the header is present; and,
  when the body starts with the gzip magic, every gzip member inflates without error with its
  CRC-32 and length checked (a body that ends inside a member is truncated; trailing bytes that
  are not a gzip member, other than zero padding, are corruption). A body that is not gzip has
  no checksum, so only its length can be checked.
* ``timeout_s`` bounds each socket operation (connecting, each read), not the whole transfer.
* A failed attempt (HTTP 5xx, 408 or 429, a reset or refused connection, a timeout, a short
  body, a corrupt gzip stream) is retried after ``min(backoff_s * 2**k, max_backoff_s)``
  seconds (``k`` = 0 for the first retry) plus up to 10 % random jitter, up to ``attempts``
  attempts in all. Any other HTTP 4xx (404, 403, …) fails at once. Giving up raises
  ``DownloadError("could not download URL after N attempts: REASON")`` (an ``OSError``;
  picklable, with ``.url``, ``.attempts`` and ``.reason``).
* A partly downloaded or unverified file is never handed out; the temporary file is removed
  when the attempt fails and when the context exits.
* ``count(name, amount=1)``, when given, is told about ``"downloaded"`` (one per verified
  download), ``"retried"`` (one per failed attempt that is followed by another),
  ``"download-failed"`` (one per URL given up on) and ``"bytes"`` (the size of each verified
  download).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from c4forge.corpus.page import no_count

DEFAULT_ATTEMPTS = 6
DEFAULT_BACKOFF_S = 1.0
DEFAULT_TIMEOUT_S = 120.0
MAX_BACKOFF_S = 30.0

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_USER_AGENT = "c4forge (+https://github.com/; C4 corpus builder)"

Count = Callable[..., None]


def is_url(location: str) -> bool:
    """True for ``http://`` and ``https://`` locations."""
    return location.lower().startswith(("http://", "https://"))


class DownloadError(OSError):
    """An http(s) input could not be downloaded intact."""

    def __init__(self, url: str, attempts: int, reason: str):
        noun = "attempt" if attempts == 1 else "attempts"
        super().__init__(f"could not download {url} after {attempts} {noun}: {reason}")
        self.url = url
        self.attempts = attempts
        self.reason = reason

    def __str__(self) -> str:  # OSError's str() would prefix an errno
        return self.args[0]

    def __reduce__(self):  # picklable across Beam workers
        return (type(self), (self.url, self.attempts, self.reason))


class _RetryableError(Exception):
    """One attempt failed in a way another attempt may fix."""


class _FatalError(Exception):
    """One attempt failed in a way no retry will fix (HTTP 404, 403, …)."""


# --------------------------------------------------------------------------------------------
# open_input


@contextlib.contextmanager
def open_input(
    location: str,
    *,
    scratch_dir: str | None = None,
    count: Count | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff_s: float = DEFAULT_BACKOFF_S,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_backoff_s: float = MAX_BACKOFF_S,
) -> Iterator[BinaryIO]:
    """Open one input for reading its raw bytes (see the module docstring)."""
    if not is_url(location):
        f = FileSystems.open(location, compression_type=CompressionTypes.UNCOMPRESSED)
        try:
            yield f
        finally:
            f.close()
        return
    path = download(
        location,
        scratch_dir=scratch_dir,
        count=count,
        attempts=attempts,
        backoff_s=backoff_s,
        timeout_s=timeout_s,
        max_backoff_s=max_backoff_s,
    )
    try:
        with open(path, "rb") as f:
            yield f
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def download(
    url: str,
    *,
    scratch_dir: str | None = None,
    count: Count | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff_s: float = DEFAULT_BACKOFF_S,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_backoff_s: float = MAX_BACKOFF_S,
) -> str:
    """Download ``url`` into a new temporary file, verified; return its path.

    The caller owns the file and must remove it. Raises ``DownloadError``.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be >= 1, got {attempts!r}")
    if count is None:
        count = no_count
    directory = scratch_dir or tempfile.gettempdir()
    os.makedirs(directory, exist_ok=True)
    reason = "no attempt made"
    for k in range(attempts):
        fd, path = tempfile.mkstemp(prefix="c4forge-dl-", suffix=".part", dir=directory)
        try:
            with os.fdopen(fd, "w+b") as out:
                size = _fetch_once(url, out, timeout_s)
                out.seek(0)
                _verify_gzip(out)
        except _FatalError as e:
            _remove(path)
            count("download-failed")
            raise DownloadError(url, k + 1, str(e)) from None
        except (_RetryableError, OSError, http.client.HTTPException, zlib.error, EOFError) as e:
            _remove(path)
            reason = _describe(e)
            if k + 1 < attempts:
                count("retried")
                delay = min(backoff_s * 2**k, max_backoff_s)
                time.sleep(delay + random.uniform(0, 0.1 * delay))
            continue
        except BaseException:
            _remove(path)
            raise
        count("downloaded")
        count("bytes", size)
        return path
    count("download-failed")
    raise DownloadError(url, attempts, reason)


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _describe(e: BaseException) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code} {e.reason}"
    if isinstance(e, urllib.error.URLError):
        return f"{type(e.reason).__name__}: {e.reason}"
    if isinstance(e, _RetryableError):
        return str(e)
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def _fetch_once(url: str, out: BinaryIO, timeout_s: float) -> int:
    """One GET of ``url`` into ``out``; returns the body length. Raises on any failure."""
    request = urllib.request.Request(
        url, headers={"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    )
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as e:
        e.close()
        if e.code in (408, 429) or e.code >= 500:
            raise _RetryableError(f"HTTP {e.code} {e.reason}") from None
        raise _FatalError(f"HTTP {e.code} {e.reason}") from None
    with response:
        status = response.status
        if status != 200:
            raise _RetryableError(f"HTTP {status} {response.reason} (expected 200)")
        expected = response.headers.get("Content-Length")
        size = 0
        while True:
            chunk = response.read(_CHUNK)
            if not chunk:
                break
            out.write(chunk)
            size += len(chunk)
    out.flush()
    if expected is not None:
        try:
            want = int(expected)
        except ValueError:
            raise _RetryableError(f"bad Content-Length header {expected!r}") from None
        if size != want:
            raise _RetryableError(f"short body: got {size} of {want} bytes")
    return size


def _verify_gzip(f: BinaryIO) -> None:
    """If ``f`` starts with the gzip magic, inflate every member (CRC checked) or raise."""
    head = f.read(2)
    f.seek(0)
    if head != _GZIP_MAGIC:
        return
    d = zlib.decompressobj(31)
    in_member = False  # bytes of the current member have been fed to ``d``
    members = 0
    padding = False  # zero bytes after the last member, as gzip(1) tolerates
    while data := f.read(_CHUNK):
        while data:
            if padding or (not in_member and members and data[0] == 0):
                if data.strip(b"\0"):
                    raise _RetryableError("trailing garbage after the last gzip member")
                padding = True
                break
            in_member = True
            d.decompress(data, _CHUNK)  # output is discarded; bounded per call
            while d.unconsumed_tail and not d.eof:
                d.decompress(d.unconsumed_tail, _CHUNK)
            if d.eof:
                data = d.unused_data
                d = zlib.decompressobj(31)
                in_member = False
                members += 1
            else:
                data = b""
    if in_member:
        raise _RetryableError(f"truncated gzip stream (inside member {members + 1})")


def read_all(location: str, **kw) -> bytes:
    """The raw bytes of one input (convenience for small files such as manifests)."""
    with open_input(location, **kw) as f:
        return f.read()
