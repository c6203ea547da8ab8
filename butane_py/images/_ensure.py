"""``ensure``: a ready disk from a catalog alias, a distribution name, a URL or a local file.

The download goes through the verified fetch and its cache. A compressed image (xz, gzip,
bzip2, zstd: by magic bytes) is decompressed, streaming and sparse, and a qcow2 image is
converted to a raw disk (:mod:`._qcow2`). The result is kept in the cache beside the
download, named after the file with the first 12 hex digits of the download's SHA-256:
``fcos/stable/<release>/x86_64/fedora-coreos-<release>-qemu.x86_64.<sha256>.raw``. A new
release is a new directory, a re-published file a new name: a cache miss, never a stale hit.

Cache entries are made as the fetch layer makes them: in ``flock``'d temporary files renamed
into place, with a ``.meta.json`` (whose ``sha256`` is the download's, and ``made_from`` the
download's key or the local file's path). While an entry is made, its directory is locked
(``flock``), so a second ``ensure`` of the same image waits, then finds it made. Ready disks
are read-only (mode ``0444 & ~umask``): they are not handed out for writing, and a disk that
was written to anyway no longer matches its metadata, so it is made again.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ImageError, UnsafeNameError
from ..fetch import CacheError, Keyring, default_cache_dir, fetch, get_metadata, verify_cleartext
from ..fetch._cache import CHUNK, _meta_path, _read_meta, _temp, _write_file, cache_path
from ..fetch._decompress import compression_of, decompress_into
from ..fetch._download import DEFAULT_RETRIES
from ..fetch._names import filename_from_url, safe_name
from ..io import _umask, os_reason, same_file, signals_unwind
from ._common import GetBytes, printable
from ._qcow2 import is_qcow2, qcow2_to_raw
from ._sparse import copy_disk

if TYPE_CHECKING:
    import httpx

    from ._catalog import CatalogEntry

Progress = Callable[[int, "int | None"], None]

FORMATS = ("raw", "qcow2")
_COMPRESSED_SUFFIXES = (".xz", ".gz", ".bz2", ".zst")
_IMAGE_SUFFIXES = (".qcow2", ".img", ".raw", ".bin")
_DIGEST_IN_NAME = 12


@dataclass(frozen=True)
class EnsureResult:
    """A ready disk, and where it came from."""

    path: Path  # the ready disk: in the cache (never to be written), the local file, or ``output``
    format: str  # "raw" or "qcow2"
    source: Path  # what it was made from: the download in the cache, or the local file
    url: str | None  # the download's URL; None for a local file
    release: str | None  # the release or version resolved; None for a URL or a local file
    sha256: str | None  # of the download or local file; None for a local file used as it is
    verified: bool  # the download was verified (digest or signature); False for a URL or file
    from_cache: bool  # nothing was downloaded, decompressed or converted


def ensure(
    source: str | os.PathLike[str],
    arch: str | None = None,
    *,
    format: str = "raw",
    output: str | os.PathLike[str] | None = None,
    stream: str | None = None,
    platform: str | None = None,
    base_url: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    fetch_retries: int | None = DEFAULT_RETRIES,
    keyring: Keyring | None = None,
    catalog: dict[str, CatalogEntry] | None = None,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
    get_bytes: GetBytes | None = None,
) -> EnsureResult:
    """A ready disk of ``format`` (``raw``, or ``qcow2`` kept as it is) from ``source``:

    * a catalog alias (``fcos-stable-qemu``, ``flatcar-stable-qemu``, ``ubuntu-24.04``; of
      ``catalog`` when given) or a distribution name (``fcos``: ``platform`` default ``qemu``,
      ``stream`` default stable; ``flatcar``: platform ``qemu`` or ``metal``; ``ubuntu``:
      ``stream`` is the release), resolved as :func:`butane_py.images.resolve` does (``base_url``
      overrides the metadata's place), then downloaded and verified by digest and signature
      (``keyring``: default the bundled keys) into the cache (``cache_dir``, default
      :func:`butane_py.fetch.default_cache_dir`);
    * a literal ``http://`` or ``https://`` URL: downloaded **unverified** (no digest, no
      signature) and named by its last path segment, as the seed VM tool does; it is downloaded
      once and reused from the cache (``butane-py cache clean`` forgets it);
    * otherwise a local file, which is only read. A raw disk (or a qcow2 one, for ``qcow2``) is
      ready as it is; anything else is made into a disk in the cache, under its SHA-256. A
      name without ``/`` that is an alias or a distribution name is taken as one: a file of
      that name is ``./NAME``.

    Refused: a source that is not one disk (PXE files, an ISO), and a raw disk with
    ``format="qcow2"`` (``ensure`` converts qcow2 to raw only). With ``output``, the ready disk
    is copied there, sparse and atomically (:func:`._sparse.copy_disk`: never over its source),
    and that path is returned. ``progress(done, total)`` follows the download; ``transport``
    and ``get_bytes`` are the fetch layer's (tests serve files through them). An error, Ctrl-C,
    SIGTERM or SIGHUP (see :func:`butane_py.io.signals_unwind`) leaves no partial file, in the
    cache or at ``output``.
    """
    if format not in FORMATS:
        raise ImageError(printable(f"unknown disk format {format!r}; available: {', '.join(FORMATS)}"))
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    name = os.fspath(source)
    with signals_unwind():
        if name.startswith(("http://", "https://")):
            ready = _from_url(name, format, base, fetch_retries, transport, progress)
        elif _is_image_name(name, catalog):
            ready = _from_image(name, arch, format, base, stream=stream, platform=platform, base_url=base_url,
                                fetch_retries=fetch_retries, keyring=keyring, catalog=catalog, progress=progress,
                                transport=transport, get_bytes=get_bytes)
        else:
            ready = _from_file(Path(name), format, base)
        if output is not None:
            copy_disk(ready.path, output)
            ready = replace(ready, path=Path(output))
    return ready


def _is_image_name(name: str, catalog: dict[str, CatalogEntry] | None) -> bool:
    """A catalog alias or distribution name, rather than a local file. A name that is neither
    and names no file is resolved too, so that its error lists the aliases."""
    from . import DISTRIBUTION_NAMES  # lazily, so that the package can import this module
    from ._catalog import _packaged

    if "/" in name:
        return False
    entries = catalog if catalog is not None else _packaged()
    return name in entries or name in DISTRIBUTION_NAMES or not os.path.lexists(name)


def _resolve_choices(dist: str, platform: str | None) -> tuple[str | None, str | None]:
    """The (platform, format) to resolve for a distribution's disk image."""
    if dist == "fcos":
        platform = platform or "qemu"
        return platform, "raw.xz" if platform == "metal" else "qcow2.xz"
    if dist == "flatcar":
        if platform in (None, "qemu"):
            return None, "qemu"
        if platform == "metal":
            return "metal", "image"
        raise ImageError(printable(f"Flatcar disks are for platform qemu or metal, not {platform!r}"))
    return platform, None


def _from_image(name: str, arch: str | None, format: str, base: Path, *, stream, platform, base_url,
                fetch_retries, keyring, catalog, progress, transport, get_bytes) -> EnsureResult:
    from . import DISTRIBUTION_NAMES, resolve  # lazily, so that the package can import this module
    from ._catalog import _packaged

    if get_bytes is None:
        def get_bytes(url: str) -> bytes:
            return get_metadata(url, fetch_retries=fetch_retries, transport=transport)

    disk_format = None
    if catalog is None and name not in _packaged() and name in DISTRIBUTION_NAMES:
        platform, disk_format = _resolve_choices(DISTRIBUTION_NAMES[name], platform)
    verify = None if keyring is None else (lambda data: verify_cleartext(data, keyring))
    artifacts = resolve(name, arch, stream=stream, platform=platform, format=disk_format, get_bytes=get_bytes,
                        base_url=base_url, verify=verify, catalog=catalog)
    if len(artifacts) != 1 or artifacts[0].filename.endswith(".iso"):
        files = ", ".join(a.filename for a in artifacts)
        raise ImageError(printable(f"{name} is not a disk image ({files}): ensure takes a qemu or metal disk"))
    [art] = artifacts
    entry = cache_path(art.cache_key, base)
    with _locked(entry.parent):
        got = fetch(art.url, entry, sha256=art.sha256, sha512=art.sha512,
                    signature_url=art.signature_url or art.url + ".sig", keyring=keyring,
                    signed_digest=art.signed_digest, cache_key=art.cache_key, cache_dir=base,
                    fetch_retries=fetch_retries, transport=transport, progress=progress)
        ready, made = _make_ready(entry, got.sha256, format, _beside(art.cache_key, art.filename, got.sha256,
                                                                      format, base), art.url)
    return EnsureResult(ready, format, entry, art.url, art.release, got.sha256, True, got.from_cache and not made)


def _from_url(url: str, format: str, base: Path, fetch_retries, transport, progress) -> EnsureResult:
    filename = filename_from_url(url)
    key = f"url/{hashlib.sha256(url.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}/{filename}"
    entry = cache_path(key, base)
    with _locked(entry.parent):
        got = fetch(url, entry, unverified=True, cache_key=key, cache_dir=base, fetch_retries=fetch_retries,
                    transport=transport, progress=progress)
        ready, made = _make_ready(entry, got.sha256, format, _beside(key, filename, got.sha256, format, base), url)
    return EnsureResult(ready, format, entry, url, None, got.sha256, False, got.from_cache and not made)


def _beside(key: str, filename: str, sha256: str, format: str, base: Path) -> Path:
    """The ready disk's place beside the download ``key``: its name with the digest."""
    return cache_path(f"{key.rsplit('/', 1)[0]}/{_stem(filename)}.{sha256[:_DIGEST_IN_NAME]}.{format}", base)


def _from_file(path: Path, format: str, base: Path) -> EnsureResult:
    shown = printable(os.fspath(path))
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ImageError(f"{shown} is not a regular file")
        kind = compression_of(path)
        if kind is None and is_qcow2(path) == (format == "qcow2"):  # ready as it is
            return EnsureResult(path, format, path, None, None, None, False, True)
        if kind is None and format == "qcow2":
            raise ImageError(_raw_to_qcow2(shown))
        sha256 = _hash(path)
    except OSError as exc:
        raise ImageError(f"cannot read {shown}: {os_reason(exc)}") from None
    try:
        stem = safe_name(_stem(path.name))
    except UnsafeNameError:
        stem = "disk"
    ready = cache_path(f"local/{sha256[:16]}/{stem}.{format}", base)
    with _locked(ready.parent):
        ready, made = _make_ready(path, sha256, format, ready, path.resolve().as_uri())
    return EnsureResult(ready, format, path, None, None, sha256, False, not made)


def _raw_to_qcow2(shown: str) -> str:
    return f"{shown} is a raw disk: ensure converts qcow2 to raw, not raw to qcow2 (qemu-img convert -O qcow2 does)"


def _stem(filename: str) -> str:
    """The file name without its compression and image suffixes (never empty)."""
    stem = filename
    for suffixes in (_COMPRESSED_SUFFIXES, _IMAGE_SUFFIXES):
        for suffix in suffixes:
            if stem.endswith(suffix) and len(stem) > len(suffix):
                stem = stem[: -len(suffix)]
                break
    return stem


def _hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _make_ready(src: Path, sha256: str, format: str, ready: Path, url: str) -> tuple[Path, bool]:
    """The ready disk made from ``src`` (a download in the cache, or a local file): ``src``
    itself when it is one already, else the cache entry ``ready``, made unless it is there
    (its directory is locked by the caller). Returns it, and whether it was made now."""
    kind = compression_of(src)
    if kind is None and is_qcow2(src) == (format == "qcow2"):
        return src, False
    if kind is None and format == "qcow2":
        raise ImageError(_raw_to_qcow2(printable(src.name)))
    if _read_meta(ready) is not None:
        return ready, False
    try:
        with _temp(ready.parent) as tmp, open(tmp, "r+b") as out:
            if kind is None:
                image = src
            else:
                decompress_into(src, out.fileno(), sparse=True)
                image = tmp
            if is_qcow2(image) and format == "raw":
                with _temp(ready.parent) as raw, open(raw, "r+b") as raw_out:
                    qcow2_to_raw(image, raw_out.fileno())
                    _publish_ready(raw, raw_out.fileno(), ready)
            elif is_qcow2(image) or format == "raw":  # decompressed, and what was asked for
                _publish_ready(tmp, out.fileno(), ready)
            else:
                raise ImageError(_raw_to_qcow2(printable(src.name)))
    except OSError as exc:
        raise _cache_error(ready.parent, exc) from None
    st = ready.stat()
    meta = {"url": url, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256, "sha512": None,
            "made_from": str(src), "fetched_at": time.time()}
    _write_file(_meta_path(ready), json.dumps(meta, indent=1).encode())
    return ready, True


def _publish_ready(tmp: Path, fd: int, ready: Path) -> None:
    """Rename a finished disk into the cache, synced and read-only."""
    os.fsync(fd)
    os.chmod(tmp, 0o444 & ~_umask())
    os.replace(tmp, ready)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``directory`` (created if needed; removed again if it was
    created and is left empty). Where the file system has no locks, entries are still made
    whole, by temporary files and renames: two processes may then both make one."""
    created = [d for d in (directory, *directory.parents) if not d.exists()]
    while True:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise _cache_error(directory, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EBADF, errno.EINVAL):
                break
            os.close(fd)
            raise _cache_error(directory, exc) from None
        except BaseException:  # a signal while waiting
            os.close(fd)
            raise
        # The holder before may have removed the directory it had created: lock the new one.
        try:
            here = os.stat(directory)
        except FileNotFoundError:
            here = None
        there = os.fstat(fd)
        if here is not None and same_file(here, there):
            break
        os.close(fd)
    try:
        yield
    finally:
        for d in created:  # deepest first; stops at one that is not empty
            try:
                d.rmdir()
            except OSError:
                break
        os.close(fd)


def _cache_error(directory: Path, exc: OSError) -> CacheError:
    return CacheError(f"cache {printable(str(directory))!r}: {os_reason(exc)} (BUTANE_PY_CACHE sets its place)")
