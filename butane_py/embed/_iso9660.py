"""Just enough ISO 9660 to find files: volume descriptors and plain directory records.

Live images are mastered with 8.3 upper-case names (``COREOS/IGNINFO.JSO``), so no Rock
Ridge or Joliet parsing is needed: paths are looked up in upper case.
"""

from __future__ import annotations

import os
import re
import struct

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import BinaryIO, Iterator

from ._errors import ImageFormatError, IncompleteImageError

SECTOR = 2048
_DESCRIPTORS_START = 16
_TYPE_PRIMARY = 1
_TYPE_TERMINATOR = 255


class Record:
    """A directory record: a file or a directory, located by sector and byte length. (Not a
    dataclass: importing dataclasses costs more than ``iso ignition show`` does.)"""

    __slots__ = ("name", "sector", "length", "is_dir")

    def __init__(self, name: str, sector: int, length: int, is_dir: bool) -> None:
        self.name = name
        self.sector = sector
        self.length = length
        self.is_dir = is_dir

    @property
    def offset(self) -> int:
        return self.sector * SECTOR


class NotFound(ImageFormatError):
    """No such path in the ISO 9660 tree."""


def _pread(f: BinaryIO, offset: int, length: int, what: str) -> bytes:
    # Checked before reading: a record may claim 4 GiB, and read() allocates what it is asked.
    if offset + length > os.fstat(f.fileno()).st_size:
        raise IncompleteImageError(f"image is truncated: {what} at byte {offset} is past its end")
    f.seek(offset)
    data = f.read(length)
    if len(data) != length:
        raise IncompleteImageError(f"image is truncated: {what} at byte {offset} is past its end")
    return data


_UNSAFE = re.compile(rb"[\x00-\x1f\x7f-\x9f/]")


def _file_name(raw: bytes) -> str:
    """A record's name, as the image is hostile: names are extracted as files, so one with a
    ``/``, NUL or control character, or a ``.``/``..``, is refused, as the cpio reader does."""
    name = raw
    # ";1" is the version suffix; a trailing "." marks an extension-less 8.3 name.
    if name.endswith(b";1"):
        name = name[:-2]
    if name.endswith(b"."):
        name = name[:-1]
    if name in (b"", b".", b"..") or _UNSAFE.search(name):
        raise ImageFormatError(f"unsafe file name {raw!r} in the ISO 9660 directory")
    return name.decode("latin-1")


def _records(data: bytes, is_root: bool = False) -> Iterator[Record]:
    pos = 0
    end = len(data)
    while pos < end:
        size = data[pos]
        if size == 0:
            # Records never cross a sector boundary: zero padding up to the next sector.
            pos = (pos // SECTOR + 1) * SECTOR
            continue
        if size < 34 or pos + size > end:
            raise ImageFormatError("corrupt ISO 9660 directory record")
        sector, length = struct.unpack_from("<I4xI", data, pos + 2)
        flags = data[pos + 25]
        name_len = data[pos + 32]
        raw = data[pos + 33 : pos + 33 + name_len]
        pos += size
        if name_len == 1 and raw in (b"\0", b"\1"):  # "." and ".."
            if is_root and raw == b"\0":
                yield Record(".", sector, length, True)
            continue
        yield Record(_file_name(raw), sector, length, bool(flags & 2))


class IsoFs:
    """An ISO 9660 file system read from an open binary file."""

    def __init__(self, f: BinaryIO) -> None:
        self.file = f
        size = os.fstat(f.fileno()).st_size if hasattr(f, "fileno") else None
        primary = None
        sector = _DESCRIPTORS_START
        while True:
            desc = _pread(f, sector * SECTOR, SECTOR, "volume descriptor")
            kind = desc[0]
            if kind == _TYPE_TERMINATOR:
                break
            if desc[1:6] != b"CD001":
                raise ImageFormatError("not an ISO 9660 image (no CD001 volume descriptor)")
            if kind == _TYPE_PRIMARY and primary is None:
                primary = desc
            sector += 1
        if primary is None:
            raise ImageFormatError("no primary volume descriptor found in ISO")
        self.volume_id = primary[40:72].decode("latin-1").rstrip(" \0")
        self.volume_sectors = struct.unpack_from("<I", primary, 80)[0]
        if size is not None and self.volume_sectors * SECTOR > size:
            raise IncompleteImageError(
                f"ISO image is incomplete: the volume is {self.volume_sectors * SECTOR} bytes, the file {size}"
            )
        roots = list(_records(primary[156 : 156 + 34], is_root=True))
        if not roots or not roots[0].is_dir:
            raise ImageFormatError("failed to parse the root directory record")
        self.root = roots[0]

    def list_dir(self, directory: Record) -> Iterator[Record]:
        data = _pread(self.file, directory.offset, directory.length, f"directory {directory.name}")
        return _records(data)

    def get(self, path: str) -> Record:
        """The record at ``path`` (case-insensitive; ISO names are upper case)."""
        parts = [p for p in path.upper().split("/") if p not in ("", ".")]
        rec = self.root
        for i, part in enumerate(parts):
            if not rec.is_dir:
                raise NotFound(f"{'/'.join(parts[:i])} is not a directory")
            for child in self.list_dir(rec):
                if child.name == part:
                    rec = child
                    break
            else:
                raise NotFound(f"no {'/'.join(parts[: i + 1])} in the ISO image")
        return rec

    def find(self, path: str) -> Record | None:
        try:
            return self.get(path)
        except NotFound:
            return None

    def read(self, rec: Record) -> bytes:
        return _pread(self.file, rec.offset, rec.length, rec.name)
