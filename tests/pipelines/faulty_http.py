"""A small HTTP file server with a deterministic fault plan, for download and pipeline tests.

    from faulty_http import Always, Every, FaultyServer

    with FaultyServer(tmp_path, faults={"a.warc.wet.gz": ["reset", "truncate"]}) as srv:
        url = srv.url("a.warc.wet.gz")   # 1st GET: reset mid-body, 2nd: truncated, then OK
        ...
        assert srv.hits("a.warc.wet.gz") == 3

The server listens on 127.0.0.1 on an ephemeral port and serves the files under ``root``
(subdirectories included: ``srv.url("crawl-data/CC-MAIN-2019-18/wet.paths.gz")``). Missing
files get a plain 404.

Fault kinds (``KINDS``):

* ``"500"``, ``"503"``, ``"429"``, ``"403"``, ``"404"`` — that HTTP status with a short body;
* ``"reset"`` — full ``Content-Length``, half the body, then the socket is reset (RST);
* ``"truncate"`` — full ``Content-Length``, half the body, then a clean close (FIN);
* ``"corrupt"`` — the full length, with up to 16 bytes in the middle flipped (XOR 0xFF);
* ``"slow"`` — waits ``slow_s`` seconds before answering (the client should time out first),
  then serves the file correctly if the client is still there.

Fault plans (the values of ``faults``, keyed by the path relative to ``root``):

* a sequence of kinds, e.g. ``["500", "reset"]`` — request *i* (1-based) of that path fails
  with the *i*-th kind; later requests are served correctly;
* ``Always(kind)`` — every request of that path fails;
* ``Every(n, kind)`` — requests n, 2n, 3n, … of that path fail.

``share=Every(n, kind)`` applies to the requests of every path *not* named in ``faults``,
counted server-wide (requests n, 2n, … to the server fail whichever file they ask for): a way
to make a share of a whole pipeline's downloads fail without naming files. With concurrent
clients *which* file gets the fault depends on timing, but how many faults there are does not.

Every request is logged in ``srv.log`` (``Request(n, path, fault)``, ``fault`` ``None`` when
served correctly). Everything is bounded in time: connections time out after
``socket_timeout_s``, ``slow`` waits end at shutdown, and ``__exit__`` stops the server and
joins its threads.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import struct
import sys
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

KINDS = frozenset({"500", "503", "429", "403", "404", "reset", "truncate", "corrupt", "slow"})


@dataclass(frozen=True)
class Always:
    """Every request fails with ``kind``."""

    kind: str


@dataclass(frozen=True)
class Every:
    """Requests ``n``, ``2n``, ``3n``, … (1-based) fail with ``kind``."""

    n: int
    kind: str


@dataclass(frozen=True)
class Request:
    """One request: its number for that path (1-based), the path, and the fault or None."""

    n: int
    path: str
    fault: str | None


FaultPlan = Sequence[str] | Always | Every


def _check_plan(plan: FaultPlan) -> None:
    if isinstance(plan, (Always, Every)):
        kinds = [plan.kind]
        if isinstance(plan, Every) and plan.n < 1:
            raise ValueError(f"Every(n) needs n >= 1, got {plan.n}")
    elif isinstance(plan, str):
        raise TypeError(f"a fault plan is a list of kinds, Always or Every, not {plan!r}")
    else:
        kinds = list(plan)
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(KINDS)}")


class FaultyServer:
    """A threaded HTTP server over ``root`` with a deterministic fault plan (see module doc)."""

    def __init__(
        self,
        root: str | Path,
        faults: Mapping[str, FaultPlan] | None = None,
        *,
        share: Every | None = None,
        slow_s: float = 2.0,
        socket_timeout_s: float = 10.0,
    ):
        self.root = Path(root).resolve()
        self.faults = {k.lstrip("/"): v for k, v in (faults or {}).items()}
        for plan in self.faults.values():
            _check_plan(plan)
        if share is not None:
            if not isinstance(share, Every):
                raise TypeError("share must be an Every(n, kind)")
            _check_plan(share)
        self.share = share
        self.slow_s = slow_s
        self.socket_timeout_s = socket_timeout_s
        self.log: list[Request] = []
        self.errors: list[str] = []  # server-side exceptions other than client disconnects
        self._lock = threading.Lock()
        self._hits: dict[str, int] = {}
        self._shared_hits = 0
        self._stop = threading.Event()
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> FaultyServer:
        handler = _make_handler(self)
        httpd = _Server(("127.0.0.1", 0), handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()  # joins the request threads (all bounded in time)
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- addresses and the log

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{urllib.parse.quote(path.lstrip('/'))}"

    def hits(self, path: str | None = None) -> int:
        """How many requests asked for ``path`` (all requests when None)."""
        with self._lock:
            if path is None:
                return len(self.log)
            return self._hits.get(path.lstrip("/"), 0)

    def faults_served(self, path: str | None = None) -> list[str]:
        """The faults served so far (for ``path``, or for all), in order."""
        with self._lock:
            return [
                r.fault
                for r in self.log
                if r.fault is not None and (path is None or r.path == path.lstrip("/"))
            ]

    # ---- the plan

    def _next(self, path: str) -> str | None:
        """Record one request of ``path``; return the fault to serve, or None."""
        with self._lock:
            n = self._hits.get(path, 0) + 1
            self._hits[path] = n
            plan = self.faults.get(path)
            fault: str | None = None
            if plan is None:
                if self.share is not None:
                    self._shared_hits += 1
                    if self._shared_hits % self.share.n == 0:
                        fault = self.share.kind
            elif isinstance(plan, Always):
                fault = plan.kind
            elif isinstance(plan, Every):
                fault = plan.kind if n % plan.n == 0 else None
            elif n <= len(plan):
                fault = plan[n - 1]
            self.log.append(Request(n, path, fault))
            return fault


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins the request threads
    allow_reuse_address = True
    owner: FaultyServer

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
            return  # the client went away, which faults provoke on purpose
        self.owner.errors.append(f"{type(exc).__name__}: {exc}")


def _make_handler(server: FaultyServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection
        timeout = server.socket_timeout_s
        server_version = "FaultyServer/1"

        def log_message(self, format, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            rel = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/")
            fault = server._next(rel)
            target = (server.root / rel).resolve()
            inside = target == server.root or server.root in target.parents
            if fault in {"500", "503", "429", "403", "404"}:
                self._status(int(fault))
                return
            if not inside or not target.is_file():
                self._status(404)
                return
            body = target.read_bytes()
            if fault == "slow":
                if server._stop.wait(server.slow_s):
                    return
            elif fault == "corrupt":
                body = _corrupt(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if fault in ("reset", "truncate"):
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                if fault == "reset":
                    _reset(self.connection)
                self.close_connection = True
                return
            self.wfile.write(body)

        def _status(self, code: int) -> None:
            body = f"fault {code}\n".encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _corrupt(body: bytes) -> bytes:
    """Flip up to 16 bytes in the middle of ``body``, keeping its length."""
    if not body:
        return body
    data = bytearray(body)
    mid = len(data) // 2
    for i in range(mid, min(mid + 16, len(data))):
        data[i] ^= 0xFF
    return bytes(data)


def _reset(sock: socket.socket) -> None:
    """Close ``sock`` with an RST instead of a FIN (SO_LINGER with a zero timeout)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
