"""The download cache, and the temporary files every download and decompression writes.

Entries live under ``$BUTANE_PY_CACHE`` or the platformdirs user cache dir, at
``<cache>/<cache_key>`` (the caller's key, e.g. ``fcos/stable/41.2024/x86_64/name.iso``, so a
new release is a miss). Each key segment must be a plain file name. An entry is only written
after full verification, together with ``<entry>.sig`` and ``<entry>.meta.json`` (url, size,
sha256, sha512, mtime_ns). Temporary files hold an ``flock`` while in use, so
:func:`clean_cache` never removes another process's download. The images layer's ready disks
are entries too, made from a download (their metadata's ``sha256`` is the download's, and
``made_from`` names it).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import UnsafeNameError
from ..io import _umask, cache_root, os_reason
from ._errors import CacheError
from ._names import safe_name

#: The size of each read when streaming a file.
CHUNK = 1 << 20
#: An unlocked temporary file in the cache older than this is left over from a dead process.
STALE_AFTER = 60.0
_TMP_PREFIX = ".butane-py-"
_TMP_SUFFIX = ".part"
_META_SUFFIX = ".meta.json"
_SIG_SUFFIX = ".sig"


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


def default_cache_dir() -> Path:
    return Path(cache_root())


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

