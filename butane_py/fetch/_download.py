"""HTTP downloads: one client policy, retries with backoff, resumption, and bounded reads.

* Every request goes through :func:`_client`: redirects followed (at most 20), proxies from
  the environment. httpx is imported on first use: the images layer imports this package
  for its name checks, and must not pay for httpx at start-up.
* Connection errors, timeouts and HTTP 408, 429 and 5xx are retried ``fetch_retries``
  times (None: forever) with exponential backoff (``retry_delay`` doubling up to
  ``max_retry_delay``). After a dropped connection the download resumes with a ``Range``
  request when the server answers ``206`` with a matching ``Content-Range``; otherwise it
  restarts from zero. More bytes than ``Content-Length`` announced is an error.
* Small documents (signatures, stream metadata, version.txt, DIGESTS, simplestreams) are
  read by :func:`get_metadata` / ``_Downloader.get_small``: streamed, decoded (gzip or
  deflate only) with a bound on the *decoded* size, and given an overall deadline of
  ``$BUTANE_PY_METADATA_TIMEOUT`` seconds (default 300) across all attempts, so a server
  dripping bytes cannot hang a command.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ._cache import CHUNK
from ._errors import DownloadError

if TYPE_CHECKING:
    import httpx

Progress = Callable[[int, "int | None"], None]

RETRY_STATUS = frozenset({408, 429})
#: Retries after a failed request. coreos-installer's default is 0; butane-py resumes
#: interrupted downloads with Range requests, which only helps when it may retry.
DEFAULT_RETRIES = 5
SIGNATURE_LIMIT = 1 << 20
METADATA_LIMIT = 64 << 20
DEFAULT_METADATA_TIMEOUT = 300.0


def parse_retries(value: int | str | None) -> int | None:
    """``--fetch-retries``: a count, or ``infinite`` (None), as coreos-installer takes it."""
    if value is None or isinstance(value, int):
        return value
    if value.strip().lower() == "infinite":
        return None
    if not value.strip().isdigit():
        raise UsageError(f"--fetch-retries takes a number or 'infinite', not {value!r}")
    return int(value)


def metadata_timeout() -> float:
    """The overall deadline, in seconds, for fetching one small document (all attempts)."""
    try:
        value = float(os.environ.get("BUTANE_PY_METADATA_TIMEOUT", ""))
    except ValueError:
        return DEFAULT_METADATA_TIMEOUT
    return value if value > 0 else DEFAULT_METADATA_TIMEOUT


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _check_url(url: str) -> None:
    import httpx

    if not url.isprintable():  # it is shown in messages
        raise DownloadError(f"refusing URL with control or invisible characters: {ascii(url)}")
    try:
        scheme = httpx.URL(url).scheme
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise DownloadError(f"invalid URL {url!r}: {exc}") from None
    if scheme not in ("http", "https"):
        raise DownloadError(f"refusing to fetch non-HTTP URL {url!r}")


def _client(timeout: float, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The one client policy: redirects followed (at most 20), proxies from the environment."""
    import httpx

    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        trust_env=True,
        headers={"User-Agent": "butane-py"},
    )


class _Retry(Exception):
    pass


class _Downloader:
    def __init__(
        self,
        client: httpx.Client,
        *,
        fetch_retries: int | None,
        retry_delay: float,
        max_retry_delay: float,
        progress: Progress | None,
        timeout: float = 60.0,
    ) -> None:
        self.client = client
        self.retries = None if fetch_retries is None else max(0, fetch_retries)
        self.delay = retry_delay
        self.max_delay = max_retry_delay
        self.progress = progress
        self.timeout = timeout
        self.requests = 0
        self.sleep = time.sleep

    def _give_up(self, attempt: int) -> bool:
        return self.retries is not None and attempt >= self.retries

    def _backoff(self, attempt: int, deadline: float | None = None) -> None:
        pause = min(self.max_delay, self.delay * (2 ** min(attempt, 60)))
        if deadline is not None:
            pause = min(pause, max(0.0, deadline - time.monotonic()))
        self.sleep(pause)

    def get_small(
        self, url: str, *, missing_ok: bool = False, limit: int = SIGNATURE_LIMIT
    ) -> bytes | None:
        """GET a small document, at most ``limit`` bytes once decoded, within the metadata
        deadline over all attempts. Returns None on 404/410 when ``missing_ok``."""
        import httpx

        _check_url(url)
        allowed = metadata_timeout()
        deadline = time.monotonic() + allowed
        last = ""
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DownloadError(f"{url}: no complete answer within {allowed:g} s ({last or 'too slow'})")
            try:
                with self.client.stream(
                    "GET", url, headers={"Accept-Encoding": "gzip, deflate"},
                    timeout=httpx.Timeout(min(self.timeout, remaining)),
                ) as resp:
                    status = resp.status_code
                    if status in (404, 410) and missing_ok:
                        return None
                    if status in RETRY_STATUS or status >= 500:
                        last = f"HTTP {status}"
                        raise _Retry()
                    if status != 200:
                        raise DownloadError(f"{url}: HTTP {status}")
                    return _read_bounded(resp, url, limit, deadline, allowed)
            except (_Retry, httpx.TransportError) as exc:
                if isinstance(exc, httpx.TransportError):
                    last = _reason(exc)
                if self._give_up(attempt):
                    raise DownloadError(f"{url}: giving up after {attempt + 1} attempts ({last})") from None
                self._backoff(attempt, deadline)
                attempt += 1
            except httpx.HTTPError as exc:  # too many redirects, a bad encoding...
                raise DownloadError(f"{url}: {_reason(exc)}") from None

    def download(self, url: str, out: Path, hashers: list) -> int:
        """Stream ``url`` into ``out`` (created empty), updating hashers. Returns the size."""
        import httpx

        _check_url(url)
        done = 0
        total: int | None = None
        last = ""
        attempt = 0
        with open(out, "r+b") as fh:

            def restart() -> None:
                nonlocal done
                done = 0
                fh.seek(0)
                fh.truncate()
                for i, h in enumerate(hashers):
                    hashers[i] = hashlib.new(h.name)

            while True:
                # Raw bytes only: the digests and the signature are over the file as served.
                headers = {"Accept-Encoding": "identity"}
                if done:
                    headers["Range"] = f"bytes={done}-"
                try:
                    self.requests += 1
                    with self.client.stream("GET", url, headers=headers) as resp:
                        status = resp.status_code
                        if status in RETRY_STATUS or status >= 500:
                            last = f"HTTP {status}"
                            raise _Retry()
                        if done and status == 206:
                            if _range_start(resp) != done:  # wrong range: restart from zero
                                restart()
                                last = "server sent a different range"
                                raise _Retry()
                        elif status == 200:
                            if done:  # server ignored the Range: restart from zero
                                restart()
                            cl = resp.headers.get("content-length", "")
                            total = int(cl) if cl.isdigit() else None
                        else:
                            raise DownloadError(f"{url}: HTTP {status}")
                        # A pre-read response (e.g. httpx.MockTransport) has its content already.
                        # Each network read as it comes: what arrived before a dropped
                        # connection is kept, and the download resumes after it.
                        chunks = [resp.content] if resp.is_stream_consumed else resp.iter_raw()
                        for chunk in chunks:
                            if total is not None and done + len(chunk) > total:
                                raise DownloadError(f"{url}: more data than the announced {total} bytes")
                            fh.write(chunk)
                            for h in hashers:
                                h.update(chunk)
                            done += len(chunk)
                            if self.progress:
                                self.progress(done, total)
                    if total is not None and done != total:
                        last = f"got {done} of {total} bytes"
                        raise _Retry()
                    fh.flush()
                    os.fsync(fh.fileno())
                    return done
                except (_Retry, httpx.TransportError) as exc:
                    if isinstance(exc, httpx.TransportError):
                        last = _reason(exc)
                    if self._give_up(attempt):
                        raise DownloadError(f"{url}: giving up after {attempt + 1} attempts ({last})") from None
                    self._backoff(attempt)
                    attempt += 1
                except httpx.HTTPError as exc:  # too many redirects...
                    raise DownloadError(f"{url}: {_reason(exc)}") from None


def _read_bounded(resp: httpx.Response, url: str, limit: int, deadline: float, allowed: float) -> bytes:
    """The decoded body, refused as soon as it exceeds ``limit`` bytes or the deadline passes.

    Decoding is done here, a bounded amount of output at a time (httpx would inflate each
    network read whole: a small gzip bomb would take gigabytes)."""
    encoding = resp.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        inflate = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflate = zlib.decompressobj(47)  # gzip or zlib header, detected
    else:
        raise DownloadError(f"{url}: unsupported Content-Encoding {encoding!r}")
    body = bytearray()
    # iter_raw() without a size yields each network read as it comes (with a size, httpx
    # would wait for that many bytes, past the deadline).
    chunks = [resp.content] if resp.is_stream_consumed else resp.iter_raw()
    try:
        for chunk in chunks:
            while chunk:
                if inflate is None:
                    body += chunk
                    chunk = b""
                else:  # at most 1 MiB of output at a time
                    body += inflate.decompress(chunk, min(CHUNK, limit + 1 - len(body)))
                    chunk = inflate.unconsumed_tail
                if len(body) > limit:
                    raise DownloadError(f"{url}: larger than {limit} bytes")
            if time.monotonic() > deadline:
                raise DownloadError(f"{url}: no complete answer within {allowed:g} s")
        if inflate is not None and not inflate.eof:
            raise DownloadError(f"{url}: truncated {encoding} data")
    except zlib.error as exc:
        raise DownloadError(f"{url}: bad {encoding} data: {exc}") from None
    return bytes(body)


def _range_start(resp: httpx.Response) -> int | None:
    m = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", resp.headers.get("content-range", "").strip(), re.IGNORECASE)
    return int(m.group(1)) if m else None


def get_metadata(
    url: str,
    *,
    fetch_retries: int | None = DEFAULT_RETRIES,
    timeout: float = 60.0,
    limit: int = METADATA_LIMIT,
    transport: httpx.BaseTransport | None = None,
) -> bytes:
    """A small document (stream metadata, version.txt, DIGESTS, simplestreams): the images
    layer's default fetcher. Bounded in size and in time (see :func:`metadata_timeout`)."""
    with _client(timeout, transport) as client:
        dl = _Downloader(client, fetch_retries=fetch_retries, retry_delay=1.0, max_retry_delay=600.0,
                         progress=None, timeout=timeout)
        data = dl.get_small(url, limit=limit)
    assert data is not None
    return data


def metadata_fetcher(fetch_retries: int | None) -> Callable[[str], bytes]:
    """:func:`get_metadata` with the command's retry count."""
    return lambda url: get_metadata(url, fetch_retries=fetch_retries)

