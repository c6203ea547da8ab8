"""Download, verify, cache and decompress images.

Library code: never prints, never exits; progress goes to an optional callback
``progress(done_bytes, total_bytes_or_None)``.

Guarantees of :func:`fetch`:

* The data is streamed, as raw bytes (``Accept-Encoding: identity``; nothing is decoded),
  into a temporary file in the destination directory (or the cache directory), SHA-256 (and
  optionally SHA-512) is computed while streaming, then the detached OpenPGP signature is
  checked over the whole file (see ``_openpgp``), and only then is the file renamed into
  place with mode ``0666 & ~umask``. On any failure, or a signal that unwinds (SIGINT; the
  entry point turns SIGTERM and SIGHUP into SystemExit), the temporary file is removed.
* ``insecure=True`` only tolerates a *missing* signature (HTTP 404/410); a bad, malformed
  or foreign signature is always an error. ``signed_digest=True`` says the expected digest
  itself came from metadata verified with the keyring (simplestreams): no signature is then
  fetched, and the digest is the proof.
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
* Cache: entries live under ``$BUTANE_PY_CACHE`` or the platformdirs user cache dir, at
  ``<cache>/<cache_key>`` (the caller's key, e.g. ``fcos/stable/41.2024/x86_64/name.iso``,
  so a new release is a miss). Each key segment must be a plain file name. An entry is only
  written after full verification, together with ``<entry>.sig`` and ``<entry>.meta.json``
  (url, size, sha256, sha512, mtime_ns). A hit is reused without any request when size and
  mtime still match the metadata and any expected digest given by the caller equals the
  recorded one. It is not re-hashed by default (hashing a 1 GiB image costs seconds);
  ``reverify=True`` re-hashes and re-checks the stored signature. Temporary files hold an
  ``flock`` while in use, so :func:`clean_cache` never removes another process's download.
* ``decompress=True`` writes the decompressed data (xz, gzip or zstd, detected by magic
  bytes; other data is copied unchanged) to ``dest``; truncated or corrupt data is a
  :class:`DecompressionError`. The cache keeps the verified compressed file.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import lzma
import os
import re
import stat
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from ._openpgp import (
    BadSignatureError,
    Keyring,
    KeyringError,
    MalformedSignatureError,
    SignatureError,
    SignatureInfo,
    UnknownKeyError,
    VerificationError,
    load_signature,
    verify_detached_file,
)
from .errors import ButanePyError, InputError
from .images._common import UnsafeNameError, filename_from_url, safe_name
from .io import _umask, os_reason

__all__ = [
    "BadSignatureError",
    "CacheEntry",
    "CacheError",
    "Cleaned",
    "DecompressionError",
    "DigestMismatchError",
    "DownloadError",
    "FetchError",
    "FetchResult",
    "Keyring",
    "KeyringError",
    "MalformedSignatureError",
    "MissingSignatureError",
    "SignatureError",
    "UnknownKeyError",
    "VerificationError",
    "cache_path",
    "clean_cache",
    "decompress_file",
    "default_cache_dir",
    "fetch",
    "filename_from_url",
    "get_metadata",
    "list_cache",
    "metadata_fetcher",
    "metadata_timeout",
    "parse_retries",
    "verify_file",
]

Progress = Callable[[int, "int | None"], None]

CHUNK = 1 << 20
RETRY_STATUS = frozenset({408, 429})
#: Retries after a failed request. coreos-installer's default is 0; butane-py resumes
#: interrupted downloads with Range requests, which only helps when it may retry.
DEFAULT_RETRIES = 5
SIGNATURE_LIMIT = 1 << 20
METADATA_LIMIT = 64 << 20
DEFAULT_METADATA_TIMEOUT = 300.0
#: An unlocked temporary file in the cache older than this is left over from a dead process.
STALE_AFTER = 60.0
_TMP_PREFIX = ".butane-py-"
_TMP_SUFFIX = ".part"
_META_SUFFIX = ".meta.json"
_SIG_SUFFIX = ".sig"


class FetchError(ButanePyError):
    """Base class for download problems."""


class DownloadError(FetchError):
    """The data could not be downloaded (HTTP error, connection, retries exhausted)."""


class DigestMismatchError(VerificationError):
    """The data's SHA-256 or SHA-512 differs from the expected digest."""


class MissingSignatureError(SignatureError):
    """The detached signature does not exist on the server (use insecure to skip)."""


class DecompressionError(FetchError):
    """The verified data could not be decompressed."""


class CacheError(FetchError):
    """A cache key or directory is unusable."""


@dataclass(frozen=True)
class FetchResult:
    path: Path  # the final file (decompressed when requested)
    source: Path  # the verified downloaded file (cache entry, or == path)
    sha256: str  # of the downloaded (compressed) data
    sha512: str | None
    size: int
    signature: (
        SignatureInfo | None
    )  # None when insecure and the signature was missing, or with signed_digest
    from_cache: bool
    requests: int  # HTTP requests made for the data (0 on a cache hit)


@dataclass(frozen=True)
class CacheEntry:
    key: str
    path: Path
    size: int
    sha256: str
    url: str
    fetched_at: float


@dataclass(frozen=True)
class Cleaned:
    """What :func:`clean_cache` removed."""

    files: list[Path]
    bytes: int


# ----------------------------------------------------------------------------- helpers


def default_cache_dir() -> Path:
    env = os.environ.get("BUTANE_PY_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("butane-py"))


def parse_retries(value: int | str | None) -> int | None:
    """``--fetch-retries``: a count, or ``infinite`` (None), as coreos-installer takes it."""
    from .errors import UsageError

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


def cache_path(cache_key: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the entry for ``cache_key`` lives. Each ``/``-separated part must be a plain name."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    parts = cache_key.split("/")
    for part in parts:
        try:
            safe_name(part)
        except UnsafeNameError:
            raise CacheError(f"invalid cache key {cache_key!r}") from None
        if part.startswith(_TMP_PREFIX) or part.endswith((_META_SUFFIX, _SIG_SUFFIX)):
            raise CacheError(f"invalid cache key {cache_key!r}")
    return base.joinpath(*parts)


def _remove(path: Path | str | None) -> None:
    if path is None:
        return
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@contextmanager
def _temp(directory: Path) -> Iterator[Path]:
    """A new empty file in ``directory`` (created if needed), locked (``flock``) while in use
    so that :func:`clean_cache` leaves it alone, and removed unless it was renamed away; the
    directories created for it go too if it was not kept."""
    created = [d for d in (directory, *directory.parents) if not d.exists()]
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where the directory should be
        raise NotADirectoryError(20, "Not a directory", str(directory)) from None
    fd, name = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX, dir=directory)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield Path(name)
    finally:
        os.close(fd)
        if os.path.lexists(name):
            _remove(name)
            for d in created:  # deepest first; stops at one that is not empty
                try:
                    d.rmdir()
                except OSError:
                    break


def _publish(tmp: Path, dest: Path) -> None:
    """Rename a finished temporary file over ``dest`` with the mode a new file gets."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, dest)


def _write_file(path: Path, data: bytes) -> None:
    with _temp(path.parent) as tmp:
        tmp.write_bytes(data)
        _publish(tmp, path)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _check_url(url: str) -> None:
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


# ----------------------------------------------------------------------------- decompression

_MAGIC = {
    b"\xfd7zXZ\x00": "xz",
    b"\x1f\x8b": "gzip",
    b"\x28\xb5\x2f\xfd": "zstd",
}


def _detect(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(6)
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def _check_zstd_frames(path: Path) -> None:
    """Walk the frame and block headers of a zstd file and raise ``EOFError`` if the last
    frame is cut short: python-zstandard's reader reports a truncated frame as a clean end."""
    size = path.stat().st_size
    pos = 0
    with open(path, "rb") as fh:

        def read(n: int) -> bytes:
            fh.seek(pos)
            data = fh.read(n)
            if len(data) < n:
                raise EOFError("compressed data ends inside a frame")
            return data

        while pos < size:
            magic = int.from_bytes(read(4), "little")
            if 0x184D2A50 <= magic <= 0x184D2A5F:  # a skippable frame
                pos += 8 + int.from_bytes(read(8)[4:], "little")
                continue
            if magic != 0xFD2FB528:
                raise ValueError("data after the last frame")
            desc = read(5)[4]
            single_segment = desc >> 5 & 1
            pos += 5 + (0 if single_segment else 1) + (0, 1, 2, 4)[desc & 3]
            pos += (single_segment, 2, 4, 8)[desc >> 6]
            while True:
                header = int.from_bytes(read(3), "little")
                kind, length = header >> 1 & 3, header >> 3
                if kind == 3:
                    raise ValueError("reserved block type")
                pos += 3 + (1 if kind == 1 else length)
                if header & 1:  # the frame's last block
                    break
            pos += 4 * (desc >> 2 & 1)  # content checksum
        if pos > size:
            raise EOFError("compressed data ends inside a frame")


def _open_decompressed(path: Path, kind: str | None):
    if kind == "xz":
        return lzma.open(path, "rb")
    if kind == "gzip":
        return gzip.open(path, "rb")
    if kind == "zstd":
        import zstandard

        _check_zstd_frames(path)
        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), read_across_frames=True, closefd=True)
    return open(path, "rb")


def decompress_file(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> str | None:
    """Stream-decompress ``src`` (xz/gzip/zstd by magic, else copy) into ``dest`` atomically.

    Returns the detected format (None for a plain copy). Truncated or corrupt data is a
    :class:`DecompressionError`; errors writing ``dest`` propagate as ``OSError``.
    """
    import zstandard

    src_p, dest_p = Path(src), Path(dest)
    kind = _detect(src_p)
    with _temp(dest_p.parent) as tmp, open(tmp, "wb") as out:
        try:
            with _open_decompressed(src_p, kind) as reader:
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
        except (EOFError, lzma.LZMAError, zlib.error, zstandard.ZstdError, ValueError, gzip.BadGzipFile) as exc:
            raise DecompressionError(f"{src_p.name}: cannot decompress {kind}: {exc}") from None
        out.flush()
        os.fsync(out.fileno())
        _publish(tmp, dest_p)
    return kind


# ----------------------------------------------------------------------------- cache


def _meta_path(entry: Path) -> Path:
    return entry.with_name(entry.name + _META_SUFFIX)


def _sig_path(entry: Path) -> Path:
    return entry.with_name(entry.name + _SIG_SUFFIX)


def _hex(value: object, length: int) -> bool:
    return isinstance(value, str) and re.fullmatch(f"[0-9a-f]{{{length}}}", value) is not None


def _load_meta(meta_file: Path) -> dict | None:
    """A metadata file this cache wrote, or None (unreadable, or not ours)."""
    try:
        meta = json.loads(meta_file.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if (
        not isinstance(meta, dict)
        or not _hex(meta.get("sha256"), 64)
        or not (meta.get("sha512") is None or _hex(meta.get("sha512"), 128))
        or type(meta.get("size")) is not int
        or type(meta.get("mtime_ns")) is not int
        or not isinstance(meta.get("url"), str)
        or not isinstance(meta.get("fetched_at", 0.0), (int, float))
    ):
        return None
    return meta


def _read_meta(entry: Path) -> dict | None:
    """The metadata of a complete, unchanged entry; None (a miss) otherwise."""
    meta = _load_meta(_meta_path(entry))
    try:
        st = entry.stat()
    except OSError:
        return None
    if meta is None or meta["size"] != st.st_size or meta["mtime_ns"] != st.st_mtime_ns:
        return None
    return meta


def list_cache(cache_dir: str | os.PathLike[str] | None = None) -> list[CacheEntry]:
    """Complete cache entries (those with valid metadata), sorted by key."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    out: list[CacheEntry] = []
    if not base.is_dir():
        return out
    for dirpath, _dirs, files in os.walk(base):
        for name in files:
            if not name.endswith(_META_SUFFIX):
                continue
            entry = Path(dirpath) / name[: -len(_META_SUFFIX)]
            meta = _read_meta(entry)
            if meta is None:
                continue
            out.append(
                CacheEntry(
                    key=entry.relative_to(base).as_posix(),
                    path=entry,
                    size=meta["size"],
                    sha256=meta["sha256"],
                    url=meta["url"],
                    fetched_at=float(meta.get("fetched_at", 0.0)),
                )
            )
    return sorted(out, key=lambda e: e.key)


def _stale_temp(path: Path, now: float) -> bool:
    """A temporary file no running process holds (see :func:`_temp`) and older than a minute."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # a download in progress
    else:
        return now - os.fstat(fd).st_mtime > STALE_AFTER
    finally:
        os.close(fd)


def clean_cache(
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    keep: Callable[[CacheEntry], bool] | None = None,
) -> Cleaned:
    """Remove what the cache wrote: entries (all, or those for which ``keep`` is false) with
    their ``.sig`` and ``.meta.json``, and temporary files left by dead processes. Other
    files (a user's own), symbolic links and running downloads are left alone."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if not base.is_dir():
        return Cleaned([], 0)
    kept = {e.path for e in list_cache(base) if keep is not None and keep(e)}
    now = time.time()
    doomed: list[Path] = []
    for dirpath, _dirs, files in os.walk(base):
        here = Path(dirpath)
        names = set(files)
        for name in files:
            path = here / name
            if name.endswith(_META_SUFFIX):
                entry = here / name[: -len(_META_SUFFIX)]
                if entry not in kept and _load_meta(path) is not None:
                    doomed += [p for p in (entry, _sig_path(entry), path) if p.name in names]
            elif name.startswith(_TMP_PREFIX) and name.endswith(_TMP_SUFFIX) and _stale_temp(path, now):
                doomed.append(path)
    removed: list[Path] = []
    freed = 0
    for path in doomed:
        try:
            st = path.lstat()
            if not stat.S_ISREG(st.st_mode):
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise CacheError(f"cannot remove {path}: {os_reason(exc)}") from None
        removed.append(path)
        freed += st.st_size
    # Directories this clean emptied go too (never the cache directory itself).
    for parent in sorted({p.parent for p in removed}, key=lambda p: len(p.parts), reverse=True):
        while parent != base and base in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
    return Cleaned(sorted(removed), freed)


# ----------------------------------------------------------------------------- fetch


def _check_digests(
    label: str, got256: str, got512: str | None, sha256: str | None, sha512: str | None
) -> None:
    if sha256 is not None and got256 != sha256.strip().lower():
        raise DigestMismatchError(
            f"{label}: SHA-256 mismatch: expected {sha256.strip().lower()}, got {got256}"
        )
    if sha512 is not None and got512 != sha512.strip().lower():
        raise DigestMismatchError(
            f"{label}: SHA-512 mismatch: expected {sha512.strip().lower()}, got {got512}"
        )


def _hash_file(path: Path, with512: bool) -> tuple[str, str | None]:
    h256 = hashlib.sha256()
    h512 = hashlib.sha512() if with512 else None
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h256.update(chunk)
            if h512:
                h512.update(chunk)
    return h256.hexdigest(), (h512.hexdigest() if h512 else None)


def _os_error(exc: OSError, dest: Path, cache: Path | None) -> FetchError | InputError:
    """A clean error naming the file (or, for a temporary file, its directory)."""
    name = exc.filename2 if exc.filename2 is not None else exc.filename
    path = Path(os.fsdecode(name)) if name is not None else dest
    if path.name.startswith(_TMP_PREFIX):
        path = path.parent
    if cache is not None and (path == cache or cache in path.parents):
        return CacheError(f"cache {str(path)!r}: {os_reason(exc)} (BUTANE_PY_CACHE sets its place)")
    return InputError(f"{str(path)!r}: {os_reason(exc)}")


def fetch(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    sha512: str | None = None,
    signature_url: str | None = None,
    keyring: Keyring | None = None,
    insecure: bool = False,
    signed_digest: bool = False,
    decompress: bool = False,
    save_signature: bool = False,
    cache_key: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    reverify: bool = False,
    fetch_retries: int | None = DEFAULT_RETRIES,
    retry_delay: float = 1.0,
    max_retry_delay: float = 600.0,
    timeout: float = 60.0,
    transport: httpx.BaseTransport | None = None,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
) -> FetchResult:
    """Download ``url`` to ``dest`` (decompressed when ``decompress``), verified.

    ``signature_url`` defaults to ``url + ".sig"``; ``keyring`` defaults to the bundled
    Fedora CoreOS and Flatcar keys. ``signed_digest``: the given digest came from metadata
    verified with the keyring, so no signature is fetched. ``save_signature`` writes the
    signature beside ``dest`` as ``dest.sig`` (not with ``decompress``). With ``cache_key``
    the verified download is kept in the cache and ``dest`` is produced from it. Proxies come
    from the environment (httpx ``trust_env``) unless an explicit ``client`` is given.
    Problems writing ``dest`` are :class:`InputError`, in the cache :class:`CacheError`.
    """
    dest_p = Path(dest)
    label = filename_from_url(url)
    if signed_digest and sha256 is None and sha512 is None:
        raise FetchError(f"{label}: no verified digest to check the download against")
    base = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) if cache_key is not None else None
    entry = cache_path(cache_key, base) if cache_key is not None else None
    if dest_p.is_dir() and dest_p != entry:
        raise InputError(f"{str(dest_p)!r}: is a directory")
    try:
        return _fetch(url, dest_p, label, entry, sha256=sha256, sha512=sha512, signature_url=signature_url,
                      keyring=keyring, insecure=insecure, signed_digest=signed_digest, decompress=decompress,
                      save_signature=save_signature and not decompress, reverify=reverify,
                      fetch_retries=fetch_retries, retry_delay=retry_delay, max_retry_delay=max_retry_delay,
                      timeout=timeout, transport=transport, client=client, progress=progress)
    except OSError as exc:
        raise _os_error(exc, dest_p, base) from None


def _fetch(url: str, dest_p: Path, label: str, entry: Path | None, *, sha256, sha512, signature_url, keyring,
           insecure, signed_digest, decompress, save_signature, reverify, fetch_retries, retry_delay,
           max_retry_delay, timeout, transport, client, progress) -> FetchResult:
    sig_url = signature_url if signature_url is not None else url + ".sig"
    ring = keyring if keyring is not None else Keyring.bundled()

    # ---- cache hit
    if entry is not None:
        hit = _cache_lookup(entry, ring, sha256, sha512, insecure, signed_digest, reverify, label)
        if hit is not None:
            meta, info = hit
            _produce(entry, dest_p, decompress)
            if save_signature and info is not None:
                _write_file(_sig_path(dest_p), _sig_path(entry).read_bytes())
            return FetchResult(path=dest_p, source=entry, sha256=meta["sha256"], sha512=meta.get("sha512"),
                               size=meta["size"], signature=info, from_cache=True, requests=0)

    own_client = client is None
    if client is None:
        client = _client(timeout, transport)
    dl = _Downloader(client, fetch_retries=fetch_retries, retry_delay=retry_delay,
                     max_retry_delay=max_retry_delay, progress=progress, timeout=timeout)
    work_dir = entry.parent if entry is not None else dest_p.parent
    try:
        with _temp(work_dir) as tmp:
            hashers = [hashlib.sha256()] + ([hashlib.sha512()] if sha512 is not None else [])
            size = dl.download(url, tmp, hashers)
            got256 = hashers[0].hexdigest()
            got512 = hashers[1].hexdigest() if sha512 is not None else None
            _check_digests(label, got256, got512, sha256, sha512)
            info: SignatureInfo | None = None
            sig_bytes = None if signed_digest else dl.get_small(sig_url, missing_ok=True)
            if sig_bytes is not None:
                info = verify_detached_file(tmp, load_signature(sig_bytes), ring, what=label)
            elif not signed_digest and not insecure:
                raise MissingSignatureError(f"{label}: signature {sig_url} not found (use insecure to skip)")
            if entry is not None:
                if sig_bytes is not None:
                    _write_file(_sig_path(entry), sig_bytes)
                else:
                    _remove(_sig_path(entry))
                _publish(tmp, entry)
                st = entry.stat()
                meta = {
                    "url": url,
                    "size": st.st_size,
                    "mtime_ns": st.st_mtime_ns,
                    "sha256": got256,
                    "sha512": got512,
                    "signed_by": info.certificate if info else None,
                    "signed_digest": signed_digest,
                    "fetched_at": time.time(),
                }
                _write_file(_meta_path(entry), json.dumps(meta, indent=1).encode())
                source = entry
                _produce(entry, dest_p, decompress)
            elif decompress:
                decompress_file(tmp, dest_p)
                source = dest_p
            else:
                _publish(tmp, dest_p)
                source = dest_p
            if save_signature and sig_bytes is not None:
                _write_file(_sig_path(dest_p), sig_bytes)
    finally:
        if own_client:
            client.close()
    return FetchResult(path=dest_p, source=source, sha256=got256, sha512=got512, size=size, signature=info,
                       from_cache=False, requests=dl.requests)


def _produce(entry: Path, dest: Path, decompress: bool) -> None:
    """Write ``dest`` from a verified cache entry (never modifying the entry)."""
    if dest.resolve() == entry.resolve():
        if decompress:
            raise CacheError(f"{dest}: cannot decompress a cache entry onto itself")
        return
    if decompress:
        decompress_file(entry, dest)
        return
    with _temp(dest.parent) as tmp, open(entry, "rb") as src, open(tmp, "wb") as out:
        while chunk := src.read(CHUNK):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
        _publish(tmp, dest)


def _cache_lookup(
    entry: Path,
    ring: Keyring,
    sha256: str | None,
    sha512: str | None,
    insecure: bool,
    signed_digest: bool,
    reverify: bool,
    label: str,
) -> tuple[dict, SignatureInfo | None] | None:
    """A usable entry's metadata and signature details, or None (a miss).

    Usable: signed by a key of ``ring``; or, with ``signed_digest``, equal to the verified
    digest given now; or, with ``insecure``, anything whose digests match."""
    meta = _read_meta(entry)
    if meta is None:
        return None
    if sha256 is not None and meta["sha256"] != sha256.strip().lower():
        return None
    if sha512 is not None and meta.get("sha512") != sha512.strip().lower():
        return None
    sig_file = _sig_path(entry)
    signed_by = meta.get("signed_by")
    signed = sig_file.exists() and isinstance(signed_by, str) and signed_by in ring.fingerprints
    proven = signed_digest and (sha256 is not None or sha512 is not None)
    # insecure only excuses a missing signature, never one by another key
    if not (signed or proven or (insecure and not sig_file.exists())):
        return None
    if reverify:
        got256, got512 = _hash_file(entry, meta.get("sha512") is not None)
        if got256 != meta["sha256"] or (meta.get("sha512") and got512 != meta["sha512"]):
            return None
    if not signed:
        return meta, None
    if not reverify:
        return meta, SignatureInfo(signed_by, "")
    try:
        return meta, verify_detached_file(entry, sig_file.read_bytes(), ring, what=label)
    except SignatureError:
        return None


def verify_file(
    path: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    sha512: str | None = None,
    signature: bytes | None = None,
    keyring: Keyring | None = None,
    insecure: bool = False,
) -> SignatureInfo | None:
    """Check a local file: digests (one streaming pass) and the detached signature.

    ``signature=None`` is an error unless ``insecure``. Returns the signature details.
    """
    p = Path(path)
    label = p.name
    ring = keyring if keyring is not None else Keyring.bundled()
    if signature is not None and (sha256 is not None or sha512 is not None):
        # One read: the digests are computed while the signature is checked; the digest
        # result is checked too before the signature result is returned.
        algos = {"sha256": ""} if sha256 is not None else {}
        if sha512 is not None:
            algos["sha512"] = ""
        info = verify_detached_file(p, signature, ring, what=label, digests=algos)
        _check_digests(
            label, algos.get("sha256", ""), algos.get("sha512"), sha256, sha512
        )
        return info
    if sha256 is not None or sha512 is not None:
        try:
            got256, got512 = _hash_file(p, sha512 is not None)
        except OSError as exc:
            raise InputError(f"cannot read {p}: {exc.strerror}") from None
        _check_digests(label, got256, got512, sha256, sha512)
    if signature is None:
        if insecure:
            return None
        raise MissingSignatureError(
            f"{label}: no signature given (use insecure to skip)"
        )
    return verify_detached_file(p, signature, ring, what=label)
