"""Download, verify, cache and decompress images.

Library code: never prints, never exits; progress goes to an optional callback
``progress(done_bytes, total_bytes_or_None)``.

Guarantees of :func:`fetch`:

* The data is streamed into a temporary file in the destination directory (or the cache
  directory), SHA-256 (and optionally SHA-512) is computed while streaming, then the
  detached OpenPGP signature is checked over the whole file (see ``_openpgp``), and only
  then is the file renamed into place. On any failure the temporary file is removed.
* ``insecure=True`` only tolerates a *missing* signature (HTTP 404/410); a bad, malformed
  or foreign signature is always an error.
* Connection errors, timeouts and HTTP 408, 429 and 5xx are retried ``fetch_retries``
  times with exponential backoff (``retry_delay`` doubling up to ``max_retry_delay``).
  After a dropped connection the download resumes with a ``Range`` request when the server
  answers ``206`` with a matching ``Content-Range``; otherwise it restarts from zero.
* Cache: entries live under ``$BUTANE_PY_CACHE`` or the platformdirs user cache dir, at
  ``<cache>/<cache_key>`` (the caller's key, e.g. ``fcos/stable/41.2024/x86_64/name.iso``,
  so a new release is a miss). An entry is only written after full verification, together
  with ``<entry>.sig`` and ``<entry>.meta.json`` (url, size, sha256, sha512, mtime_ns).
  A hit is reused without any request when size and mtime still match the metadata and
  any expected digest given by the caller equals the recorded one. It is not re-hashed by
  default (hashing a 1 GiB image costs seconds); ``reverify=True`` re-hashes and re-checks
  the stored signature.
* ``decompress=True`` writes the decompressed data (xz, gzip or zstd, detected by magic
  bytes; other data is copied unchanged) to ``dest``; the cache keeps the verified
  compressed file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import lzma
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

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

__all__ = [
    "BadSignatureError",
    "CacheEntry",
    "CacheError",
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
    "list_cache",
    "verify_file",
]

Progress = Callable[[int, "int | None"], None]

CHUNK = 1 << 20
RETRY_STATUS = frozenset({408, 429})
_TMP_PREFIX = ".butane-py-"
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
    )  # None only when insecure and the signature was missing
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


# ----------------------------------------------------------------------------- helpers


def filename_from_url(url: str) -> str:
    """The last path segment of a URL (how coreos-installer names downloads)."""
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if not name or name in (".", ".."):
        raise DownloadError(f"cannot derive a file name from {url}")
    return name


def default_cache_dir() -> Path:
    env = os.environ.get("BUTANE_PY_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("butane-py"))


def cache_path(cache_key: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where the entry for ``cache_key`` lives. Each ``/``-separated part must be a plain name."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    parts = cache_key.split("/")
    for part in parts:
        if (
            not part
            or part in (".", "..")
            or "\\" in part
            or "\0" in part
            or part.startswith(_TMP_PREFIX)
            or part.endswith((_META_SUFFIX, _SIG_SUFFIX))
        ):
            raise CacheError(f"invalid cache key {cache_key!r}")
    return base.joinpath(*parts)


def _remove(path: Path | str | None) -> None:
    if path is None:
        return
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _tempfile(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".part", dir=directory)
    os.close(fd)
    return Path(name)


class _Downloader:
    def __init__(
        self,
        client: httpx.Client,
        *,
        fetch_retries: int,
        retry_delay: float,
        max_retry_delay: float,
        progress: Progress | None,
    ) -> None:
        self.client = client
        self.retries = max(0, fetch_retries)
        self.delay = retry_delay
        self.max_delay = max_retry_delay
        self.progress = progress
        self.requests = 0
        self.sleep = time.sleep

    def _backoff(self, attempt: int) -> None:
        self.sleep(min(self.max_delay, self.delay * (2**attempt)))

    def get_small(
        self, url: str, *, missing_ok: bool = False, limit: int = 1 << 20
    ) -> bytes | None:
        """GET a small resource (a signature). Returns None on 404/410 when missing_ok."""
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._backoff(attempt - 1)
            try:
                resp = self.client.get(url)
            except httpx.TransportError as exc:
                last = (
                    f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                )
                continue
            if resp.status_code in (404, 410) and missing_ok:
                return None
            if resp.status_code in RETRY_STATUS or resp.status_code >= 500:
                last = f"HTTP {resp.status_code}"
                continue
            if resp.status_code != 200:
                raise DownloadError(f"{url}: HTTP {resp.status_code}")
            if len(resp.content) > limit:
                raise DownloadError(f"{url}: response larger than {limit} bytes")
            return resp.content
        raise DownloadError(
            f"{url}: giving up after {self.retries + 1} attempts ({last})"
        )

    def download(self, url: str, out: Path, hashers: list) -> int:
        """Stream ``url`` into ``out`` (created empty), updating hashers. Returns the size."""
        done = 0
        total: int | None = None
        last = ""
        attempt = 0
        with open(out, "r+b") as fh:
            while True:
                headers = {"Range": f"bytes={done}-"} if done else {}
                try:
                    self.requests += 1
                    with self.client.stream("GET", url, headers=headers) as resp:
                        status = resp.status_code
                        if status in RETRY_STATUS or status >= 500:
                            last = f"HTTP {status}"
                            raise _Retry()
                        if done and status == 206:
                            if (
                                _range_start(resp) != done
                            ):  # wrong range: restart from zero
                                done = 0
                                fh.seek(0)
                                fh.truncate()
                                for i, h in enumerate(hashers):
                                    hashers[i] = hashlib.new(h.name)
                                last = "server sent a different range"
                                raise _Retry()
                        elif status == 200:
                            if done:  # server ignored the Range: restart from zero
                                done = 0
                                fh.seek(0)
                                fh.truncate()
                                for i, h in enumerate(hashers):
                                    hashers[i] = hashlib.new(h.name)
                            cl = resp.headers.get("content-length")
                            total = int(cl) if cl and cl.isdigit() else None
                        else:
                            raise DownloadError(f"{url}: HTTP {status}")
                        # A pre-read response (e.g. httpx.MockTransport) has its content already.
                        chunks = (
                            [resp.content]
                            if resp.is_stream_consumed
                            else resp.iter_raw(CHUNK)
                        )
                        for chunk in chunks:
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
                        last = (
                            f"{type(exc).__name__}: {exc}"
                            if str(exc)
                            else type(exc).__name__
                        )
                    if attempt >= self.retries:
                        raise DownloadError(
                            f"{url}: giving up after {attempt + 1} attempts ({last})"
                        ) from None
                    self._backoff(attempt)
                    attempt += 1


class _Retry(Exception):
    pass


def _range_start(resp: httpx.Response) -> int | None:
    cr = resp.headers.get("content-range", "")
    # "bytes START-END/TOTAL"
    try:
        unit, rest = cr.split(" ", 1)
        if unit.lower() != "bytes":
            return None
        return int(rest.split("-", 1)[0])
    except ValueError:
        return None


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


def _open_decompressed(path: Path, kind: str | None):
    if kind == "xz":
        return lzma.open(path, "rb")
    if kind == "gzip":
        return gzip.open(path, "rb")
    if kind == "zstd":
        import zstandard

        raw = open(path, "rb")
        reader = zstandard.ZstdDecompressor().stream_reader(
            raw, read_across_frames=True, closefd=True
        )
        return reader
    return open(path, "rb")


def decompress_file(
    src: str | os.PathLike[str], dest: str | os.PathLike[str]
) -> str | None:
    """Stream-decompress ``src`` (xz/gzip/zstd by magic, else copy) into ``dest`` atomically.

    Returns the detected format (None for a plain copy).
    """
    src_p, dest_p = Path(src), Path(dest)
    kind = _detect(src_p)
    tmp = _tempfile(dest_p.parent)
    try:
        with _open_decompressed(src_p, kind) as reader, open(tmp, "wb") as out:
            shutil.copyfileobj(reader, out, CHUNK)
        os.replace(tmp, dest_p)
    except ButanePyError:
        _remove(tmp)
        raise
    except (OSError, EOFError, lzma.LZMAError, ValueError) as exc:
        _remove(tmp)
        raise DecompressionError(
            f"{src_p.name}: cannot decompress {kind}: {exc}"
        ) from None
    except BaseException:
        _remove(tmp)
        raise
    return kind


# ----------------------------------------------------------------------------- cache


def _meta_path(entry: Path) -> Path:
    return entry.with_name(entry.name + _META_SUFFIX)


def _sig_path(entry: Path) -> Path:
    return entry.with_name(entry.name + _SIG_SUFFIX)


def _read_meta(entry: Path) -> dict | None:
    try:
        meta = json.loads(_meta_path(entry).read_text())
        st = entry.stat()
    except (OSError, ValueError):
        return None
    if (
        not isinstance(meta, dict)
        or meta.get("size") != st.st_size
        or meta.get("mtime_ns") != st.st_mtime_ns
    ):
        return None
    return meta


def list_cache(cache_dir: str | os.PathLike[str] | None = None) -> list[CacheEntry]:
    """Complete cache entries (those with valid metadata), sorted by key."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    out: list[CacheEntry] = []
    if not base.is_dir():
        return out
    for meta_file in base.rglob("*" + _META_SUFFIX):
        entry = meta_file.with_name(meta_file.name[: -len(_META_SUFFIX)])
        meta = _read_meta(entry)
        if meta is None:
            continue
        out.append(
            CacheEntry(
                key=entry.relative_to(base).as_posix(),
                path=entry,
                size=meta["size"],
                sha256=meta["sha256"],
                url=meta.get("url", ""),
                fetched_at=meta.get("fetched_at", 0.0),
            )
        )
    return sorted(out, key=lambda e: e.key)


def clean_cache(
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    keep: Callable[[CacheEntry], bool] | None = None,
) -> int:
    """Remove cache entries (all, or those for which ``keep`` is false), stale metadata and
    leftover temporary files. Returns the number of bytes freed."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if not base.is_dir():
        return 0
    kept = {e.path for e in list_cache(base) if keep is not None and keep(e)}
    keep_files = set()
    for p in kept:
        keep_files |= {p, _meta_path(p), _sig_path(p)}
    freed = 0
    for p in sorted(base.rglob("*"), reverse=True):
        if p.is_file() and p not in keep_files:
            freed += p.stat().st_size
            p.unlink()
        elif p.is_dir():
            try:
                p.rmdir()
            except OSError:
                pass
    return freed


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


def fetch(
    url: str,
    dest: str | os.PathLike[str],
    *,
    sha256: str | None = None,
    sha512: str | None = None,
    signature_url: str | None = None,
    keyring: Keyring | None = None,
    insecure: bool = False,
    decompress: bool = False,
    cache_key: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    reverify: bool = False,
    fetch_retries: int = 5,
    retry_delay: float = 1.0,
    max_retry_delay: float = 600.0,
    timeout: float = 60.0,
    transport: httpx.BaseTransport | None = None,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
) -> FetchResult:
    """Download ``url`` to ``dest`` (decompressed when ``decompress``), verified.

    ``signature_url`` defaults to ``url + ".sig"``; ``keyring`` defaults to the bundled
    Fedora CoreOS and Flatcar keys. With ``cache_key`` the verified download is kept in the
    cache and ``dest`` is produced from it. Proxies come from the environment (httpx
    ``trust_env``) unless an explicit ``client`` is given.
    """
    dest_p = Path(dest)
    label = filename_from_url(url) if urlsplit(url).path.rsplit("/", 1)[-1] else url
    sig_url = signature_url if signature_url is not None else url + ".sig"
    ring = keyring if keyring is not None else Keyring.bundled()

    entry: Path | None = (
        cache_path(cache_key, cache_dir) if cache_key is not None else None
    )

    # ---- cache hit
    if entry is not None:
        hit = _cache_lookup(entry, ring, sha256, sha512, insecure, reverify, label)
        if hit is not None:
            meta, info = hit
            _produce(entry, dest_p, decompress)
            return FetchResult(
                path=dest_p,
                source=entry,
                sha256=meta["sha256"],
                sha512=meta.get("sha512"),
                size=meta["size"],
                signature=info,
                from_cache=True,
                requests=0,
            )

    own_client = client is None
    if client is None:
        client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            trust_env=True,
        )
    dl = _Downloader(
        client,
        fetch_retries=fetch_retries,
        retry_delay=retry_delay,
        max_retry_delay=max_retry_delay,
        progress=progress,
    )
    work_dir = entry.parent if entry is not None else dest_p.parent
    tmp = _tempfile(work_dir)
    try:
        hashers = [hashlib.sha256()] + (
            [hashlib.sha512()] if sha512 is not None else []
        )
        size = dl.download(url, tmp, hashers)
        got256 = hashers[0].hexdigest()
        got512 = hashers[1].hexdigest() if sha512 is not None else None
        _check_digests(label, got256, got512, sha256, sha512)
        sig_bytes = dl.get_small(sig_url, missing_ok=True)
        info: SignatureInfo | None
        if sig_bytes is None:
            if not insecure:
                raise MissingSignatureError(
                    f"{label}: signature {sig_url} not found (use insecure to skip)"
                )
            info = None
        else:
            info = verify_detached_file(
                tmp, load_signature(sig_bytes), ring, what=label
            )
        if entry is not None:
            if sig_bytes is not None:
                _atomic_write(_sig_path(entry), sig_bytes)
            else:
                _remove(_sig_path(entry))
            os.replace(tmp, entry)
            st = entry.stat()
            meta = {
                "url": url,
                "size": st.st_size,
                "mtime_ns": st.st_mtime_ns,
                "sha256": got256,
                "sha512": got512,
                "signed_by": info.certificate if info else None,
                "fetched_at": time.time(),
            }
            _atomic_write(_meta_path(entry), json.dumps(meta, indent=1).encode())
            source = entry
            _produce(entry, dest_p, decompress)
        elif decompress:
            try:
                decompress_file(tmp, dest_p)
            finally:
                _remove(tmp)
            source = dest_p
        else:
            os.replace(tmp, dest_p)
            source = dest_p
    except BaseException:
        _remove(tmp)
        raise
    finally:
        if own_client:
            client.close()
    return FetchResult(
        path=dest_p,
        source=source,
        sha256=got256,
        sha512=got512,
        size=size,
        signature=info,
        from_cache=False,
        requests=dl.requests,
    )


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = _tempfile(path.parent)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def _produce(entry: Path, dest: Path, decompress: bool) -> None:
    """Write ``dest`` from a verified cache entry (never modifying the entry)."""
    if dest.resolve() == entry.resolve():
        if decompress:
            raise CacheError(f"{dest}: cannot decompress a cache entry onto itself")
        return
    if decompress:
        decompress_file(entry, dest)
        return
    tmp = _tempfile(dest.parent)
    try:
        shutil.copyfile(entry, tmp)
        os.replace(tmp, dest)
    except BaseException:
        _remove(tmp)
        raise


def _cache_lookup(
    entry: Path,
    ring: Keyring,
    sha256: str | None,
    sha512: str | None,
    insecure: bool,
    reverify: bool,
    label: str,
) -> tuple[dict, SignatureInfo | None] | None:
    meta = _read_meta(entry)
    if meta is None:
        return None
    if sha256 is not None and meta.get("sha256") != sha256.strip().lower():
        return None
    if sha512 is not None and meta.get("sha512") != sha512.strip().lower():
        return None
    sig_file = _sig_path(entry)
    if not sig_file.exists():
        if not insecure:
            return None  # cached without a signature: not acceptable now
        if not reverify:
            return meta, None
    if not reverify:
        signed_by = meta.get("signed_by")
        if signed_by and signed_by not in ring.fingerprints:
            return None  # cached under another keyring
        return meta, None if not sig_file.exists() else SignatureInfo(
            signed_by or "", ""
        )
    got256, got512 = _hash_file(entry, meta.get("sha512") is not None)
    if got256 != meta["sha256"] or (meta.get("sha512") and got512 != meta["sha512"]):
        return None
    info = None
    if sig_file.exists():
        try:
            info = verify_detached_file(entry, sig_file.read_bytes(), ring, what=label)
        except SignatureError:
            return None
    return meta, info


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
