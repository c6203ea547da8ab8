"""Initrds: newc cpio archives, compressed or not, possibly several concatenated.

Writing matches coreos-installer's embed areas byte for byte: members sorted by path, parent
directories emitted before their first file (mode 040755), files 0100600, uid/gid/mtime 0,
nlink 1, inode = the entry's index, a ``TRAILER!!!`` entry (inode 0), and xz at preset 9 with a
CRC32 check (the kernel's xz decoder does not support CRC64, lzma's default), flushed as
coreos-installer's writer flushes it.
"""

from __future__ import annotations

import fnmatch
import lzma
import os
import re
import zlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import BinaryIO, Callable, Iterable, Iterator, Mapping

from ._errors import InitrdError, UnsafePathError

_NEWC = b"070701"
_NEWC_CRC = b"070702"
_HEADER = 110
_TRAILER = "TRAILER!!!"
_MODE_DIR = 0o40755
_MODE_FILE = 0o100600
_S_IFMT = 0o170000
_S_IFREG = 0o100000
_CHUNK = 1 << 20
# What reading an initrd may keep in memory: the configs and keyfiles asked for, together.
# Far above any real config (an embed area is 256 KiB of xz), far below what an xz bomb of
# that size unpacks to (gigabytes).
LIMIT = 32 << 20

# Control characters (C0, DEL, C1): refused in names written to disk and in kernel arguments.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_XZ_MAGIC = b"\xfd7zXZ\x00"
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _pad4(n: int) -> int:
    return -n % 4


def _header(name: str, ino: int, mode: int, size: int, nlink: int = 1) -> bytes:
    raw = name.encode()
    fields = (ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(raw) + 1, 0)
    head = _NEWC + b"".join(b"%08x" % v for v in fields) + raw + b"\0"
    return head + b"\0" * _pad4(len(head))


def _entries(members: Mapping[str, bytes]) -> Iterator[tuple[bytes, bytes, bytes]]:
    """(header with name, contents, padding) of each entry, the trailer last."""
    ino = 0
    cwd: list[str] = []
    for path in sorted(members):
        contents = members[path]
        parent = path.split("/")[:-1]
        common = 0
        while common < min(len(cwd), len(parent)) and cwd[common] == parent[common]:
            common += 1
        cwd = cwd[:common]
        for part in parent[common:]:
            cwd.append(part)
            yield _header("/".join(cwd), ino, _MODE_DIR, 0), b"", b""
            ino += 1
        yield _header(path, ino, _MODE_FILE, len(contents)), contents, b"\0" * _pad4(len(contents))
        ino += 1
    yield _header(_TRAILER, 0, 0, 0), b"", b""


def cpio_bytes(members: Mapping[str, bytes]) -> bytes:
    """An uncompressed newc archive of ``members`` (path → contents), as coreos-installer writes it."""
    return b"".join(b"".join(entry) for entry in _entries(members))


def xz_cpio(members: Mapping[str, bytes]) -> bytes:
    """The archive xz-compressed as coreos-installer's writer does it: a new xz block after
    every padded file (see :mod:`._xz`)."""
    from ._xz import xz_blocks

    blocks: list[bytes] = []
    current: list[bytes] = []
    for header, contents, pad in _entries(members):
        current += (header, contents, pad)
        if pad:  # coreos-installer's cpio writer flushes the encoder here
            blocks.append(b"".join(current))
            current = []
    blocks.append(b"".join(current))
    return xz_blocks(blocks)


def to_bytes(members: Mapping[str, bytes], compression: str = "xz") -> bytes:
    """An initrd holding ``members``: ``xz`` (live images) or ``gzip`` (Flatcar's OEM initrd)."""
    if compression == "xz":
        return xz_cpio(members)
    data = cpio_bytes(members)
    if compression == "gzip":
        import gzip

        return gzip.compress(data, compresslevel=9, mtime=0)
    if compression == "none":
        return data
    raise ValueError(f"unknown compression {compression!r}")


# -- reading ----------------------------------------------------------------------------------


class _Buffered:
    """Bytes pulled in chunks from ``_chunk()`` (b"" at the end), consumed in order.

    A bytearray with a read position: appending and consuming are amortised linear, so
    multi-hundred-megabyte members cost one pass, and members nobody asked for are skipped
    without being kept.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0
        self._end = False

    def _chunk(self) -> bytes:  # pragma: no cover - overridden
        raise NotImplementedError

    def _avail(self) -> int:
        return len(self._buf) - self._pos

    def _fill(self, n: int) -> bool:
        """Try to buffer ``n`` bytes; False if the input ends first."""
        while self._avail() < n:
            if self._end:
                return False
            chunk = self._chunk()
            if not chunk:
                self._end = True
                return False
            if self._pos > _CHUNK and self._pos * 2 > len(self._buf):
                del self._buf[: self._pos]
                self._pos = 0
            self._buf += chunk
        return True

    def take(self, n: int) -> bytes:
        assert n >= 0
        self._fill(n)
        with memoryview(self._buf) as view:
            out = bytes(view[self._pos : self._pos + n])  # one copy, even for a large member
        self._pos += len(out)
        return out

    def skip(self, n: int) -> int:
        """Consume ``n`` bytes without keeping them; returns how many there were."""
        assert n >= 0
        done = min(n, self._avail())
        self._pos += done
        while done < n and self._fill(1):
            step = min(n - done, self._avail())
            self._pos += step
            done += step
        return done

    def read_some(self, n: int) -> bytes:
        """Up to ``n`` bytes, at least one unless the input has ended."""
        self._fill(1)
        return self.take(min(n, self._avail()))

    def peek(self, n: int) -> bytes:
        self._fill(n)
        return bytes(self._buf[self._pos : self._pos + n])

    def skip_zeros(self) -> bool:
        """Skip zero bytes; True if anything else follows."""
        while self._fill(1):
            view = self._buf[self._pos :]
            stripped = len(view) - len(view.lstrip(b"\0"))
            self._pos += stripped
            if self._avail():
                return True
        return False

    def unread(self, data: bytes) -> None:
        if data:
            self._buf = bytearray(data) + self._buf[self._pos :]
            self._pos = 0


class _Raw(_Buffered):
    """The raw input, from bytes or a binary file."""

    def __init__(self, source: bytes | BinaryIO) -> None:
        super().__init__()
        if isinstance(source, (bytes, bytearray, memoryview)):
            view = memoryview(source)
            self._chunks = (bytes(view[i : i + _CHUNK]) for i in range(0, len(view), _CHUNK))
            self._read = lambda: next(self._chunks, b"")
        else:
            self._read = lambda: source.read(_CHUNK)

    def _chunk(self) -> bytes:
        return self._read()


class _Decoded(_Buffered):
    """The decompressed bytes of one compressed stream, pulled from ``raw`` on demand.

    When the stream ends, what the decompressor did not consume goes back to ``raw``.
    """

    def __init__(self, raw: _Raw, kind: str, budget: "_Budget") -> None:
        super().__init__()
        self.raw = raw
        self.kind = kind
        self.budget = budget
        if kind == "xz":
            self._d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        elif kind == "gzip":
            self._d = zlib.decompressobj(31)
        else:
            import zstandard

            self._d = zstandard.ZstdDecompressor().decompressobj()
        self._pending = b""  # input given to zlib but not yet consumed (unconsumed_tail)
        self._done = False

    def _chunk(self) -> bytes:
        d = self._d
        while not self._done:
            try:
                if self.kind == "xz":
                    data = b"" if not d.needs_input else self.raw.read_some(_CHUNK)
                    if not data and d.needs_input:
                        raise InitrdError("truncated xz stream in initrd")
                    out = d.decompress(data, max_length=_CHUNK)
                elif self.kind == "gzip":
                    data = self._pending or self.raw.read_some(_CHUNK)
                    if not data:
                        raise InitrdError("truncated gzip stream in initrd")
                    out = d.decompress(data, _CHUNK)
                    self._pending = d.unconsumed_tail
                else:
                    # zstd's decompressobj has no output limit; small input slices bound it
                    # (an RLE block turns 4 bytes into 128 KiB: at most 32 MiB per KiB).
                    data = self.raw.read_some(1024)
                    if not data:
                        raise InitrdError("truncated zstd stream in initrd")
                    out = d.decompress(data)
            except (lzma.LZMAError, zlib.error, EOFError) as exc:
                raise InitrdError(f"corrupt {self.kind} stream in initrd: {exc}") from None
            except Exception as exc:  # zstandard.ZstdError
                if type(exc).__name__ == "ZstdError":
                    raise InitrdError(f"corrupt zstd stream in initrd: {exc}") from None
                raise
            if d.eof:
                self._done = True
                self.raw.unread(d.unused_data)
            if out:
                self.budget.unpack(len(out))
                return out
        return b""

    def rest_is_zero(self) -> bool:
        return not self.skip_zeros()


def _detect(head: bytes) -> str | None:
    if head.startswith(_XZ_MAGIC):
        return "xz"
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if head.startswith(_ZSTD_MAGIC):
        return "zstd"
    if head.startswith((_NEWC, _NEWC_CRC)):
        return None
    raise InitrdError("unknown initrd format: neither a newc cpio archive nor gzip, xz or zstd")


class _Budget:
    """Bytes still allowed: ``kept`` for the members kept, ``total`` for every member read (by
    their sizes, before they are unpacked, and by the decompressed bytes)."""

    def __init__(self, kept: int, total: int | None) -> None:
        self.limits = (kept, total)
        self.kept = kept
        self.total = total
        self.unpacked = 0

    def unpack(self, n: int) -> None:
        """Count decompressed bytes, padding included: zeros after the trailer cost time too."""
        self.unpacked += n
        if self.limits[1] is not None and self.unpacked > self.limits[1] + _CHUNK:
            raise InitrdError(f"the archive unpacks to more than {_mib(self.limits[1])}; refusing it")

    def spend(self, name: str, size: int, kept: bool) -> None:
        if self.total is not None:
            self.total -= size
            if self.total < 0:
                raise InitrdError(f"the archive unpacks to more than {_mib(self.limits[1])}; refusing it")
        if kept:
            self.kept -= size
            if self.kept < 0:
                raise InitrdError(f"cpio member {name!r} takes the files read past {_mib(self.limits[0])}; refusing it")


def _mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB"


def _read_archive(src, keep: Callable[[str], bool], members: dict[str, bytes], budget: _Budget) -> None:
    """Read one cpio archive (up to and including its trailer) from ``src``."""
    while True:
        head = src.take(_HEADER)
        if len(head) < _HEADER:
            raise InitrdError("truncated cpio archive in initrd")
        if head[:6] not in (_NEWC, _NEWC_CRC):
            raise InitrdError("bad cpio header in initrd (only newc archives are supported)")
        fields = head[6:]
        if not all(c in _HEX for c in fields):
            raise InitrdError("bad cpio header in initrd (fields must be hexadecimal digits)")
        mode = int(head[14:22], 16)
        size = int(head[54:62], 16)
        name_size = int(head[94:102], 16)
        if name_size > 1 << 16:
            raise InitrdError("bad cpio header in initrd (name too long)")
        raw_name = src.take(name_size + _pad4(_HEADER + name_size))
        if len(raw_name) < name_size:
            raise InitrdError("truncated cpio archive in initrd")
        name = raw_name[:name_size].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        if name == _TRAILER:
            return
        kept = mode & _S_IFMT == _S_IFREG and keep(name)
        budget.spend(name, size, kept)  # before anything is unpacked
        if kept:
            body = src.take(size)
            if len(body) < size:
                raise InitrdError(f"truncated cpio member {name!r} in initrd")
            members[name] = body  # a later copy of a path wins, as the kernel does
        elif src.skip(size) < size:
            raise InitrdError(f"truncated cpio member {name!r} in initrd")
        src.skip(_pad4(size))


def read_members(source: bytes | BinaryIO, patterns: Iterable[str] | None = None,
                 limit: int = LIMIT, total_limit: int | None = None) -> dict[str, bytes]:
    """The regular files of an initrd, path → contents.

    Reads concatenated archives, each plain or gzip/xz/zstd-compressed, with zero padding between
    them; the last copy of a path wins. ``patterns`` (shell globs on the member path, ``*``
    crossing ``/``) limit which contents are kept. The contents kept (every copy counted) may
    not pass ``limit`` bytes, nor all members read ``total_limit``: each member's size is
    checked against them before it is unpacked.
    """
    pats = list(patterns) if patterns is not None else None

    def keep(name: str) -> bool:
        return pats is None or any(fnmatch.fnmatchcase(name, p) for p in pats)

    raw = _Raw(source)
    budget = _Budget(limit, total_limit)
    members: dict[str, bytes] = {}
    while raw.skip_zeros():  # zero padding may sit between archives
        kind = _detect(raw.peek(6))
        if kind is None:
            _read_archive(raw, keep, members, budget)
            continue
        decoded = _Decoded(raw, kind, budget)
        _read_archive(decoded, keep, members, budget)
        if not decoded.rest_is_zero():
            raise InitrdError("found trailing garbage inside compressed archive")
    return members


def safe_member_path(directory: str | os.PathLike[str], name: str) -> str:
    """``directory/name``, refusing absolute names and ``..`` that would leave ``directory``, and
    control characters (a file name holding a terminal escape sequence or a newline)."""
    from ..io import printable

    parts = name.split("/")
    shown = f"'{printable(name)}'"
    if name.startswith("/") or ".." in parts or not name or any(p == "" for p in parts[:-1]):
        raise UnsafePathError(f"archive member {shown} would be written outside {printable(os.fspath(directory))}")
    if CONTROL.search(name):
        raise UnsafePathError(f"archive member {shown} has a control character in its name")
    return os.path.join(os.fspath(directory), *parts)
