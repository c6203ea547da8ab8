"""What every mirror writer shares: the result and error types, the order in which files are
published, the URLs they are published under, and the pruning of old releases.

Readers must never see metadata that points at files not there yet: each file is written to a
temporary file in its directory and renamed into place, artifacts first, the metadata naming
them last. An interrupted run therefore leaves the previous metadata, and every file it names,
as they were.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from ..errors import ButanePyError, InputError
from ..fetch import Keyring, VerificationError, fetch, verify_file
from ..fetch._cache import _TMP_PREFIX, _TMP_SUFFIX, _stale_temp
from ..fetch._names import safe_name
from ..io import os_reason, replacing, write_all

#: ``progress(path, done, total)``: bytes of the file being downloaded to ``path`` (relative
#: to the mirror's root) so far, and its announced size.
MirrorProgress = Callable[[str, int, "int | None"], None]


class MirrorError(ButanePyError):
    """The mirror cannot be written as asked (a bad base URL, conflicting upstream names)."""


@dataclass
class MirrorResult:
    """What a mirror run did; paths are relative to the mirror's root, in POSIX form."""

    downloaded: list[str] = field(default_factory=list)  # artifacts fetched and verified now
    reused: list[str] = field(default_factory=list)  # artifacts already there, verified again
    metadata: list[str] = field(default_factory=list)  # the documents naming them, written last
    pruned: list[str] = field(default_factory=list)  # release directories removed by ``keep``


def check_base_url(url: str) -> str:
    """``url`` without its trailing slashes, if it can prefix the mirror's files: http or https,
    with a host, and no query or fragment (they would end up inside every location)."""
    parts = urlsplit(url)
    if not url.isprintable() or parts.scheme not in ("http", "https") or not parts.netloc \
            or parts.query or parts.fragment:
        raise MirrorError(f"base URL {url!r} must be an http or https URL without query or fragment")
    return url.rstrip("/")


def url_under(base_url: str, relative: str) -> str:
    """The URL of the mirror file at ``relative`` (POSIX), each segment percent-encoded."""
    return base_url + "/" + quote(relative)


def segment(value: str, what: str) -> str:
    """An upstream name that becomes a path segment or a key of the written metadata."""
    return safe_name(value, what)


def write_document(root: Path, relative: str, data: bytes) -> None:
    """Publish a metadata document: a temporary file beside it, synced, then renamed."""
    path = root / relative
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(str(path), sync=True) as fd:
            write_all(fd, data)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {os_reason(exc)}") from None


@dataclass(frozen=True)
class Download:
    """One upstream file to mirror at ``relative``, with what proves it."""

    relative: str
    url: str
    signature_url: str
    sha256: str | None = None
    sha512: str | None = None


class Fetcher:
    """Mirrors files into ``root``: each verified (digest and detached signature) before it is
    renamed into place, its signature copied beside it as upstream signed it. A file already in
    the mirror is kept when it passes the same checks against its own copied signature."""

    def __init__(self, root: Path, result: MirrorResult, *, keyring: Keyring | None, fetch_retries: int | None,
                 progress: MirrorProgress | None) -> None:
        self.root = root
        self.result = result
        self.keyring = keyring
        self.fetch_retries = fetch_retries
        self.progress = progress
        self._planned: dict[str, tuple[str | None, str | None]] = {}
        self._claimed: set[str] = set()  # the planned files and their signatures
        self._swept: set[Path] = set()

    def plan(self, item: Download) -> bool:
        """Record ``item``; False if the same file is already planned. Checked before anything
        is downloaded: its URLs, and that no two different files share a path (nor a file takes
        another's signature path)."""
        for url in (item.url, item.signature_url):
            if not url.isprintable() or urlsplit(url).scheme not in ("http", "https"):
                raise MirrorError(f"refusing upstream URL {url!r}: not a plain http or https URL")
        digests = (item.sha256, item.sha512)
        if item.relative in self._planned:
            if self._planned[item.relative] != digests:
                raise MirrorError(f"upstream offers two different files named {item.relative!r}")
            return False
        signature = item.relative + ".sig"
        if item.relative in self._claimed or signature in self._claimed:
            raise MirrorError(f"upstream file {item.relative!r} collides with another file or signature")
        self._planned[item.relative] = digests
        self._claimed |= {item.relative, signature}
        return True

    def get(self, item: Download) -> None:
        dest = self.root / item.relative
        self._sweep(dest.parent)
        if self._verified(dest, item):
            self.result.reused.append(item.relative)
            return
        report = None
        if self.progress is not None:
            progress = self.progress
            report = lambda done, total: progress(item.relative, done, total)  # noqa: E731
        fetch(item.url, dest, sha256=item.sha256, sha512=item.sha512, signature_url=item.signature_url,
              keyring=self.keyring, save_signature=True, fetch_retries=self.fetch_retries, progress=report)
        self.result.downloaded.append(item.relative)

    def _sweep(self, directory: Path) -> None:
        """Remove the partial downloads a killed run left in ``directory`` (temporary files no
        process holds any more, as the cache's cleaning finds them)."""
        if directory in self._swept:
            return
        self._swept.add(directory)
        now = time.time()
        try:
            entries = [e for e in os.scandir(directory) if e.name.startswith(_TMP_PREFIX)
                       and e.name.endswith(_TMP_SUFFIX) and e.is_file(follow_symlinks=False)]
            for entry in entries:
                if _stale_temp(Path(entry.path), now):
                    os.unlink(entry.path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise InputError(f"cannot clean {directory}: {os_reason(exc)}") from None

    def _verified(self, dest: Path, item: Download) -> bool:
        sig = dest.with_name(dest.name + ".sig")
        try:
            if not (dest.is_file() and sig.is_file()):
                return False
            signature = sig.read_bytes()
        except OSError:
            return False
        try:
            verify_file(dest, sha256=item.sha256, sha512=item.sha512, signature=signature, keyring=self.keyring)
        except (VerificationError, InputError):
            return False
        return True


def _release_key(name: str) -> tuple:
    """Orders releases as their numbers do (``41.20241109.3.0`` after ``41.20241027.3.0``,
    ``4152.2.3`` after ``3975.2.2``): runs of digits compare as numbers."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.findall(r"\d+|\D+", name))


def prune(root: Path, releases_dir: str, keep: int, current: set[str], result: MirrorResult,
          spare: frozenset[str] = frozenset()) -> None:
    """Remove the release directories under ``releases_dir`` beyond the ``keep`` newest, never
    one of ``current`` (what the metadata just written names) nor a name in ``spare``. Called
    only after the metadata is published, so no published document names what goes."""
    base = root / releases_dir
    try:
        names = [e.name for e in os.scandir(base) if e.is_dir(follow_symlinks=False) and e.name not in spare]
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot list {base}: {os_reason(exc)}") from None
    older = sorted((n for n in names if n not in current), key=_release_key, reverse=True)
    for name in older[max(0, keep - len(current & set(names))):]:
        try:
            shutil.rmtree(base / name)
        except OSError as exc:
            raise InputError(f"cannot remove {base / name}: {os_reason(exc)}") from None
        result.pruned.append(f"{releases_dir}/{name}")
