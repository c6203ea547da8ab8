"""A small threaded HTTP server on 127.0.0.1 for download tests (no network needed).

Serves files from a directory with Range support, and can inject faults, each counted
down per path so that a fault happens a given number of times and then stops:

* ``fail_500[path] = n``   answer 500 the first n times
* ``drop_half[path] = n``  send headers and half the body, then close the connection
* ``truncate[path] = n``   announce the full Content-Length, send fewer bytes, close
* ``ignore_range = True``  answer Range requests with 200 and the whole file
* ``wrong_range = True``   answer Range requests with 206 starting at byte 0
* ``hooks[path] = fn``     answer with ``fn(handler)`` instead (any misbehaviour: see
  ``tests/test_hostile_server.py``); ``handler.served(path)`` gives the file's bytes

Every request is recorded in ``requests`` as ``(method, path, range_header)``. Missing
files are 404 (so a missing ``.sig`` is 404). Use as a context manager; ``stop()`` shuts
down the server and its threads, with a timeout on each socket.
"""

from __future__ import annotations

import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _take(self, table: dict[str, int], path: str) -> bool:
        with self.server.lock:
            n = table.get(path, 0)
            if n > 0:
                table[path] = n - 1
                return True
            return False

    def _serve(self, head: bool) -> None:
        owner = self.server.owner
        path = unquote(urlsplit(self.path).path)
        rng = self.headers.get("Range")
        with self.server.lock:
            owner.requests.append((self.command, path, rng))
        hook = owner.hooks.get(path)
        if hook is not None:
            try:
                hook(self)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up: fine
                self.close_connection = True
            return
        if self._take(owner.fail_500, path):
            self._send_simple(500, b"injected failure\n")
            return
        target = (owner.root / path.lstrip("/")).resolve()
        if owner.root not in target.parents or not target.is_file():
            self._send_simple(404, b"not found\n")
            return
        data = target.read_bytes()
        start = 0
        status = 200
        if rng and not owner.ignore_range:
            m = re.fullmatch(r"bytes=(\d+)-", rng.strip())
            if not m or int(m.group(1)) >= len(data):
                self._send_simple(416, b"bad range\n")
                return
            start = 0 if owner.wrong_range else int(m.group(1))
            status = 206
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header(
                "Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}"
            )
        self.end_headers()
        if head:
            return
        if self._take(owner.drop_half, path) or self._take(owner.truncate, path):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def served(self, path: str) -> bytes:
        """The bytes of the file at ``path`` under the server's root."""
        return (self.server.owner.root / path.lstrip("/")).read_bytes()

    def _send_simple(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: TestServer
    lock: threading.Lock


class TestServer:
    __test__ = False  # not a pytest test class

    def __init__(self, root: str | os.PathLike[str], *, timeout: float = 10.0) -> None:
        self.root = Path(root).resolve()
        self.requests: list[tuple[str, str, str | None]] = []
        self.fail_500: dict[str, int] = {}
        self.drop_half: dict[str, int] = {}
        self.truncate: dict[str, int] = {}
        self.ignore_range = False
        self.wrong_range = False
        self.hooks: dict[str, object] = {}
        _Handler.timeout = timeout  # per-connection socket timeout: threads cannot hang
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._httpd.lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def paths_requested(self) -> list[str]:
        return [p for _, p, _ in self.requests]

    def start(self) -> TestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
