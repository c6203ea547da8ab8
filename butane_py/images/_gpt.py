"""Reading a GUID partition table (UEFI spec, chapter 5) from an image or disk.

Every field is hostile: sizes and offsets are bounded by the file, both CRCs are checked, and
partitions must lie inside the usable area without overlapping. Only reading is needed here;
``install`` copies the table as part of the image.
"""

from __future__ import annotations

import os
import struct
import uuid
import zlib
from dataclasses import dataclass

from ._common import printable
from ._install_errors import GptError

SIGNATURE = b"EFI PART"
_HEADER = struct.Struct("<8sIIIIQQQQ16sQIII")  # the 92 bytes every revision has
_ENTRY = struct.Struct("<16s16sQQQ72s")
SECTOR_SIZES = (512, 4096)
# A real table has 128 entries of 128 bytes (16 KiB); anything past 1 MiB is not a disk image.
MAX_ENTRIES_BYTES = 1 << 20


@dataclass(frozen=True)
class Partition:
    number: int  # 1-based, as the kernel names partitions
    type_guid: str  # upper case, as sfdisk and gdisk print it
    guid: str
    first_lba: int
    last_lba: int
    attributes: int
    name: str
    sector_size: int

    @property
    def offset(self) -> int:
        return self.first_lba * self.sector_size

    @property
    def size(self) -> int:
        return (self.last_lba - self.first_lba + 1) * self.sector_size


@dataclass(frozen=True)
class Header:
    lba: int  # where this header is
    alternate_lba: int
    first_usable_lba: int
    last_usable_lba: int
    disk_guid: str
    entries_lba: int
    entry_count: int
    entry_size: int
    entries_crc: int

    def entries_bytes(self) -> int:
        return self.entry_count * self.entry_size


@dataclass(frozen=True)
class Table:
    sector_size: int
    primary: Header
    backup: Header
    partitions: tuple[Partition, ...]

    @property
    def disk_guid(self) -> str:
        return self.primary.disk_guid

    def backup_extent(self) -> tuple[int, int]:
        """Byte offset and length of the backup entries and header, which sit together at the
        end of the disk in every layout tools write."""
        ss = self.sector_size
        start = min(self.backup.entries_lba, self.backup.lba) * ss
        end = max(self.backup.lba + 1, self.backup.entries_lba + _sectors(self.backup.entries_bytes(), ss)) * ss
        return start, end - start


def _sectors(nbytes: int, sector_size: int) -> int:
    return -(-nbytes // sector_size)


def _guid(raw: bytes) -> str:
    return str(uuid.UUID(bytes_le=raw)).upper()


def _pread_exact(fd: int, length: int, offset: int, what: str) -> bytes:
    data = b""
    while len(data) < length:
        chunk = os.pread(fd, length - len(data), offset + len(data))
        if not chunk:
            raise GptError(f"{what} is past the end of the disk (at byte {offset + len(data)})")
        data += chunk
    return data


def _header(fd: int, lba: int, sector_size: int, disk_sectors: int, which: str) -> Header:
    raw = _pread_exact(fd, sector_size, lba * sector_size, f"the {which} GPT header")
    (sig, revision, header_size, crc, _reserved, my_lba, alternate, first_usable, last_usable,
     disk_guid, entries_lba, count, entry_size, entries_crc) = _HEADER.unpack_from(raw)
    if sig != SIGNATURE:
        raise GptError(f"no {which} GPT header at LBA {lba}")
    if revision >> 16 != 1:
        raise GptError(f"the {which} GPT header has revision {revision:#x}, not 1.x")
    if not _HEADER.size <= header_size <= sector_size:
        raise GptError(f"the {which} GPT header says its size is {header_size} bytes")
    computed = zlib.crc32(raw[:16] + b"\0\0\0\0" + raw[20:header_size])
    if computed != crc:
        raise GptError(f"the {which} GPT header's CRC32 is {crc:#010x}, its contents give {computed:#010x}")
    if my_lba != lba:
        raise GptError(f"the {which} GPT header at LBA {lba} says it is at LBA {my_lba}")
    if entry_size < _ENTRY.size or entry_size % 8 or entry_size > MAX_ENTRIES_BYTES:
        raise GptError(f"the {which} GPT header gives partition entries of {entry_size} bytes")
    if count == 0 or count * entry_size > MAX_ENTRIES_BYTES:
        raise GptError(f"the {which} GPT header lists {count} partition entries of {entry_size} bytes")
    entry_sectors = _sectors(count * entry_size, sector_size)
    if not (2 <= entries_lba and entries_lba + entry_sectors <= disk_sectors):
        raise GptError(f"the {which} GPT's partition entries (LBA {entries_lba}) are outside the disk")
    if not 2 <= first_usable <= last_usable < disk_sectors or alternate >= disk_sectors:
        raise GptError(
            f"the {which} GPT header's usable area (LBA {first_usable} to {last_usable}) or "
            f"alternate header (LBA {alternate}) is outside the disk of {disk_sectors} sectors"
        )
    if first_usable <= entries_lba + entry_sectors - 1 and entries_lba <= last_usable:
        raise GptError(f"the {which} GPT's partition entries overlap its usable area")
    return Header(lba, alternate, first_usable, last_usable, _guid(disk_guid), entries_lba, count,
                  entry_size, entries_crc)


def _entries(fd: int, header: Header, sector_size: int, which: str) -> bytes:
    raw = _pread_exact(fd, header.entries_bytes(), header.entries_lba * sector_size,
                       f"the {which} GPT's partition entries")
    computed = zlib.crc32(raw)
    if computed != header.entries_crc:
        raise GptError(
            f"the {which} GPT's partition entries have CRC32 {computed:#010x}, "
            f"the header says {header.entries_crc:#010x}"
        )
    return raw


def _partitions(raw: bytes, header: Header, sector_size: int) -> tuple[Partition, ...]:
    found = []
    for i in range(header.entry_count):
        type_guid, guid, first, last, attributes, name = _ENTRY.unpack_from(raw, i * header.entry_size)
        if type_guid == bytes(16):
            continue
        number = i + 1
        if not header.first_usable_lba <= first <= last <= header.last_usable_lba:
            raise GptError(
                f"partition {number} (LBA {first} to {last}) is outside the usable area "
                f"(LBA {header.first_usable_lba} to {header.last_usable_lba})"
            )
        units = name.decode("utf-16-le", "replace")
        found.append(Partition(number, _guid(type_guid), _guid(guid), first, last, attributes,
                               printable(units.split("\0", 1)[0]), sector_size))
    by_start = sorted(found, key=lambda p: p.first_lba)
    for a, b in zip(by_start, by_start[1:]):
        if b.first_lba <= a.last_lba:
            raise GptError(f"partitions {a.number} and {b.number} overlap")
    return tuple(found)


def detect_sector_size(fd: int) -> int | None:
    """The sector size whose LBA 1 holds a GPT signature, or None."""
    for size in SECTOR_SIZES:
        if os.pread(fd, len(SIGNATURE), size) == SIGNATURE:
            return size
    return None


def read_gpt(fd: int, disk_size: int | None = None) -> Table:
    """The partition table of the disk or image open at ``fd``, checked against ``disk_size``
    bytes (default: the file's size). Both headers and both entry arrays must be valid and
    agree, as they do in every image a build tool writes."""
    if disk_size is None:
        disk_size = os.fstat(fd).st_size
    sector_size = detect_sector_size(fd)
    if sector_size is None:
        raise GptError("no GUID partition table (no 'EFI PART' header at LBA 1)")
    disk_sectors = disk_size // sector_size
    primary = _header(fd, 1, sector_size, disk_sectors, "primary")
    partitions = _partitions(_entries(fd, primary, sector_size, "primary"), primary, sector_size)
    if primary.alternate_lba <= primary.last_usable_lba:
        raise GptError(f"the backup GPT header (LBA {primary.alternate_lba}) is inside the usable area")
    backup = _header(fd, primary.alternate_lba, sector_size, disk_sectors, "backup")
    if (backup.alternate_lba, backup.disk_guid, backup.first_usable_lba, backup.last_usable_lba) != (
        1, primary.disk_guid, primary.first_usable_lba, primary.last_usable_lba,
    ) or backup.entries_crc != primary.entries_crc or backup.entries_bytes() != primary.entries_bytes():
        raise GptError("the backup GPT header does not match the primary one")
    if backup.entries_lba <= backup.last_usable_lba:
        raise GptError("the backup GPT's partition entries are inside the usable area")
    _entries(fd, backup, sector_size, "backup")
    return Table(sector_size, primary, backup, partitions)
