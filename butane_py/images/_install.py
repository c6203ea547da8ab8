"""``install``: a raw metal image written to a disk or a disk image file, with the Ignition config
(and coreos-installer's other first-boot settings) written into it, all without mounting.

The disk is never bootable half-written. Its first MiB (protective MBR, primary GPT) and the
image's backup GPT are zeroed first, as is the old backup GPT at the end of a larger device; the
rest is copied, the first-boot files are written and read back, and only then do the backup GPT
and the first MiB go in, to be read back from the device. Any failure, Ctrl-C, SIGTERM or SIGHUP
(see :func:`butane_py.io.signals_unwind`) wipes those areas again, or removes a file that
``install`` created; SIGKILL leaves them zeroed.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Callable

from ..io import os_reason, printable, same_file, signals_unwind
from ._bootfs import BootChanges, Plan, plan_coreos, plan_flatcar
from ._ext4 import Ext4, probe
from ._gpt import Partition, Table, read_gpt
from ._install_errors import (
    DestinationError,
    FilesystemError,
    GptError,
    InstallError,
    UnsupportedImageError,
)

Progress = Callable[[int, "int | None"], None]

HEAD = 1 << 20  # written last: protective MBR, primary GPT, and the rest of the first MiB
_CHUNK = 4 << 20
_ZEROS = bytes(_CHUNK)
_ZERO_VIEW = memoryview(_ZEROS)
MAX_KEYFILE = 1 << 20
_BLKSSZGET = 0x1268  # logical sector size
_BLKRRPART = 0x125F  # re-read the partition table


@dataclass(frozen=True)
class InstallResult:
    """What ``install`` did, for the caller to report."""

    distribution: str  # "fcos" or "flatcar"
    partition: int  # number of the partition whose filesystem was written into
    written: tuple[str, ...]  # paths inside that filesystem, written or rewritten
    image_size: int


def install(
    image_path: str | os.PathLike[str],
    ignition_bytes: bytes | None,
    dest: str | os.PathLike[str],
    *,
    platform: str | None = None,
    append_kargs: Iterable[str] = (),
    delete_kargs: Iterable[str] = (),
    network_keyfiles: Iterable[str | os.PathLike[str]] = (),
    firstboot_args: str | None = None,
    preserve_on_error: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> InstallResult:
    """Write the raw (decompressed) metal image at ``image_path`` to ``dest``, a block device or
    a file, then the Ignition config ``ignition_bytes`` where the OS reads it on first boot.

    Fedora CoreOS: ``ignition/config.ign`` in the ``boot`` filesystem, plus ``platform``, kernel
    argument edits, ``firstboot_args`` and ``network_keyfiles`` (copied by base name), as
    coreos-installer does. Flatcar: ``config.ign`` in the ``OEM`` filesystem, as
    ``flatcar-install -i`` does; a btrfs OEM filesystem (current images) is refused.

    A block device must be unmounted and unused; it is held open exclusively throughout. A
    file is created (mode 0600) or, with ``force``, truncated; an existing non-empty file is
    refused without it. Everything is checked before the first byte is written. On failure the
    partition tables are wiped, or a file ``install`` created is removed; with
    ``preserve_on_error`` the disk is left as it is, with its partition table once the copy has
    finished. SIGTERM and SIGHUP count as failures (they raise :class:`butane_py.io.Terminated`
    here). ``progress(done, total)`` follows the copy.
    """
    image_name, dest_name = printable(os.fspath(image_path)), printable(os.fspath(dest))
    changes = BootChanges(platform, tuple(append_kargs), tuple(delete_kargs), firstboot_args,
                          _read_keyfiles(network_keyfiles))
    changes.check()
    if ignition_bytes is not None:
        try:
            json.loads(ignition_bytes)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InstallError(f"the Ignition config is not JSON: {printable(str(exc))}") from None
    try:
        image_fd = os.open(image_path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise InstallError(f"cannot open {image_name}: {os_reason(exc)}") from None
    try:
        try:
            source = _read_image(image_fd, image_name, ignition_bytes, changes)
        except OSError as exc:
            raise InstallError(f"cannot read {image_name}: {os_reason(exc)}") from None
        with signals_unwind(), _Destination(os.fspath(dest), dest_name, image_fd, source.size,
                                            source.table.sector_size, force) as target:
            _write(image_fd, target, source, progress, preserve_on_error)
    finally:
        os.close(image_fd)
    plan = source.plan
    return InstallResult(source.distribution, source.part.number, plan.paths() if plan else (), source.size)


@dataclass(frozen=True)
class _Source:
    """The image, read and checked, and the first-boot changes planned from it."""

    size: int
    table: Table
    distribution: str
    part: Partition
    plan: Plan | None
    head: bytes  # the first MiB
    tail: bytes  # the backup GPT, at table.backup_extent()


def _read_image(fd: int, name: str, config: bytes | None, changes: BootChanges) -> _Source:
    mode = os.fstat(fd).st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISBLK(mode)):
        raise InstallError(f"{name} is not a disk image file")
    size = os.lseek(fd, 0, os.SEEK_END)
    try:
        table = read_gpt(fd, size)
    except GptError as exc:
        raise GptError(f"{name}: {exc}") from None
    distribution, part = _find_target(fd, table, name)
    plan = _plan(fd, part, distribution, config, changes, f"partition {part.number} of {name}")
    tail_offset, tail_length = table.backup_extent()
    if tail_offset < HEAD:
        raise GptError(f"{name}: the backup GPT is inside the first MiB")
    return _Source(size, table, distribution, part, plan, _pread_exact(fd, HEAD, 0),
                   _pread_exact(fd, tail_length, tail_offset))


def _read_keyfiles(paths: Iterable[str | os.PathLike[str]]) -> tuple[tuple[str, bytes], ...]:
    found = []
    for path in paths:
        name = printable(os.fspath(path))
        try:
            with open(path, "rb") as f:
                if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                    raise InstallError(f"network keyfile {name} is not a regular file")
                data = f.read(MAX_KEYFILE + 1)
        except OSError as exc:
            raise InstallError(f"cannot read network keyfile {name}: {os_reason(exc)}") from None
        if len(data) > MAX_KEYFILE:
            raise InstallError(f"network keyfile {name} is larger than 1 MiB")
        found.append((os.path.basename(os.fspath(path)), data))
    return tuple(found)


_FLATCAR_BTRFS = (
    "Flatcar's OEM filesystem (partition {n}) is btrfs, which butane-py cannot write without "
    "mounting it; give the config through QEMU's fw_cfg (-fw_cfg name=opt/org.flatcar-linux/config,"
    "file=config.ign), PXE (kernel arguments flatcar.first_boot=1 ignition.config.url=URL, or an "
    "extra initrd holding usr/share/oem/config.ign), or flatcar-install -i on the machine"
)


def _find_target(fd: int, table: Table, image_name: str) -> tuple[str, Partition]:
    """The first-boot filesystem: the one ext4 labelled ``boot`` (Fedora CoreOS), else the one
    partition labelled ``OEM`` by its filesystem or its GPT name (Flatcar)."""
    probed = [(p, probe(fd, p.offset, p.size)) for p in table.partitions]
    boots = [(p, sb) for p, sb in probed if sb is not None and sb.kind == "ext4" and sb.label == "boot"]
    oems = [(p, sb) for p, sb in probed if (sb is not None and sb.label == "OEM") or p.name == "OEM"]
    for found, distribution in ((boots, "fcos"), (oems, "flatcar")):
        if len(found) > 1:
            numbers = ", ".join(str(p.number) for p, _sb in found)
            label = "boot" if distribution == "fcos" else "OEM"
            raise UnsupportedImageError(f"{image_name}: partitions {numbers} are all labelled {label}; "
                                        "exactly one must be")
        if not found:
            continue
        part, sb = found[0]
        if sb is None:
            raise UnsupportedImageError(f"{image_name}: partition {part.number} (OEM) holds no filesystem "
                                        "butane-py knows")
        if sb.kind == "btrfs":
            raise UnsupportedImageError(f"{image_name}: " + _FLATCAR_BTRFS.format(n=part.number))
        if sb.size > part.size:
            raise FilesystemError(f"{image_name}: the filesystem in partition {part.number} says it spans "
                                  f"{sb.size} bytes, more than the partition's {part.size}")
        if sb.needs_recovery:
            raise FilesystemError(f"{image_name}: the filesystem in partition {part.number} needs journal "
                                  "recovery (e2fsck)")
        return distribution, part
    raise UnsupportedImageError(f"{image_name}: no filesystem labelled boot (Fedora CoreOS) nor partition "
                                "labelled OEM (Flatcar): not a metal image")


def _plan(fd: int, part: Partition, distribution: str, config: bytes | None, changes: BootChanges,
          where: str) -> Plan | None:
    """What to write into the first-boot filesystem, worked out from the image; None for nothing."""
    if distribution == "flatcar" and changes:
        raise UnsupportedImageError("platform, kernel arguments, first-boot arguments and network keyfiles "
                                    "apply to Fedora CoreOS images only")
    if config is None and not changes:
        return None
    with Ext4(fd, part.offset, where) as fs:
        if distribution == "flatcar":
            assert config is not None  # checked above: no changes, so a config
            plan = plan_flatcar(fs, config)
        else:
            plan = plan_coreos(fs, config, changes)
    return plan if plan.dirs or plan.files else None


class _Destination:
    """DEST checked and held open: a block device exclusively, a file created or truncated later."""

    def __init__(self, path: str, name: str, image_fd: int, image_size: int, sector_size: int,
                 force: bool) -> None:
        self.path, self.name = path, name
        self.created = False
        self.is_block = False
        self.device_size = 0
        image = os.fstat(image_fd)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise DestinationError(f"cannot use {name}: {os_reason(exc)}") from None
        if st is not None and same_file(st, image):
            raise DestinationError(f"{name} is the image itself")
        if st is None:
            try:
                self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                raise DestinationError(f"cannot create {name}: {os_reason(exc)}") from None
            self.created = True
        elif stat.S_ISREG(st.st_mode):
            if st.st_size and not force:
                raise DestinationError(f"{name} is a non-empty file; force overwrites it")
            loop = _loop_backed_by(st)
            if loop:
                raise DestinationError(f"{name} is attached to {loop}")
            self.fd = self._open(os.O_RDWR)
            if not same_file(os.fstat(self.fd), st):
                self.close()
                raise DestinationError(f"{name} changed while it was being checked")
        elif stat.S_ISBLK(st.st_mode):
            self.is_block = True
            busy = _block_device_users(st.st_rdev)
            if busy:
                raise DestinationError(f"{name} is in use: {'; '.join(busy)}")
            self.fd = self._open(os.O_RDWR | os.O_EXCL)
            try:
                size = os.lseek(self.fd, 0, os.SEEK_END)
                if size < image_size:
                    raise DestinationError(f"{name} holds {size} bytes, less than the image's {image_size}")
                logical, = struct.unpack("i", fcntl.ioctl(self.fd, _BLKSSZGET, b"\0" * 4))
                if logical != sector_size:
                    raise DestinationError(f"{name} has {logical}-byte sectors, the image "
                                           f"{sector_size}-byte ones")
            except BaseException:
                self.close()
                raise
            self.device_size = size
        else:
            raise DestinationError(f"{name} is neither a block device nor a regular file")

    def _open(self, flags: int) -> int:
        try:
            return os.open(self.path, flags | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno == errno.EBUSY:
                raise DestinationError(f"{self.name} is in use (mounted, or held by another program)") from None
            raise DestinationError(f"cannot open {self.name}: {os_reason(exc)}") from None

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> "_Destination":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _unescape(field: str) -> str:
    """A path from /proc/self/mountinfo or /proc/swaps, where space, tab, newline and backslash
    are written as octal escapes."""
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except OSError:
        return ""


def _rdev_of(path: str) -> int | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_rdev if stat.S_ISBLK(st.st_mode) else None


def _block_device_users(rdev: int) -> list[str]:
    """Why the block device ``rdev`` cannot be written: it is a partition, or it or one of its
    partitions is mounted, used as swap, or held by another device (LVM, RAID, dm-crypt)."""
    node = f"/sys/dev/block/{os.major(rdev)}:{os.minor(rdev)}"
    sysdir = os.path.realpath(node)
    if os.path.exists(os.path.join(sysdir, "partition")):
        return ["it is a partition, not a whole disk"]
    devices = {rdev: os.path.basename(sysdir)}
    try:
        children = os.listdir(sysdir)
    except OSError:
        children = []
    for child in children:
        path = os.path.join(sysdir, child)
        if os.path.exists(os.path.join(path, "partition")):
            major, _, minor = _read_text(os.path.join(path, "dev")).strip().partition(":")
            if major.isdigit() and minor.isdigit():
                devices[os.makedev(int(major), int(minor))] = child
    users = []
    for line in _read_text("/proc/self/mountinfo").splitlines():
        fields = line.split(" ")
        if len(fields) < 5 or " - " not in line:
            continue
        major, _, minor = fields[2].partition(":")
        source = line.split(" - ", 1)[1].split(" ")
        dev = os.makedev(int(major), int(minor)) if major.isdigit() and minor.isdigit() else None
        if dev not in devices and len(source) > 1 and source[1].startswith("/"):
            dev = _rdev_of(_unescape(source[1]))
        if dev in devices:
            users.append(f"{devices[dev]} is mounted on {printable(_unescape(fields[4]))}")
    for line in _read_text("/proc/swaps").splitlines()[1:]:
        dev = _rdev_of(_unescape(line.split()[0])) if line.split() else None
        if dev in devices:
            users.append(f"{devices[dev]} is a swap device")
    for dev, name in devices.items():
        base = sysdir if dev == rdev else os.path.join(sysdir, name)
        try:
            holders = sorted(os.listdir(os.path.join(base, "holders")))
        except OSError:
            holders = []
        users += [f"{name} is held by {printable(h)}" for h in holders]
    return users


def _loop_backed_by(st: os.stat_result) -> str | None:
    """The loop device whose backing file is the file ``st``, if any."""
    try:
        loops = sorted(n for n in os.listdir("/sys/block") if n.startswith("loop"))
    except OSError:
        return None
    for loop in loops:
        backing = _read_text(f"/sys/block/{loop}/loop/backing_file").rstrip("\n").removesuffix(" (deleted)")
        if not backing:
            continue
        try:
            if same_file(os.stat(backing), st):
                return f"/dev/{loop}"
        except OSError:
            continue
    return None


def _extents(fd: int, start: int, end: int) -> Iterator[tuple[int, int, bool]]:
    """``(offset, length, is_data)`` covering ``[start, end)`` of ``fd``: holes, where the
    filesystem reports them, need not be read."""
    pos = start
    while pos < end:
        try:
            data = min(os.lseek(fd, pos, os.SEEK_DATA), end)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # no hole support: read it all
                yield pos, end - pos, True
                return
            data = end  # only a hole is left
        if data > pos:
            yield pos, data - pos, False
        if data >= end:
            return
        hole = min(os.lseek(fd, data, os.SEEK_HOLE), end)
        yield data, hole - data, True
        pos = hole


def _pwrite_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view = view[n:]
        offset += n


def _pread_exact(fd: int, length: int, offset: int) -> bytes:
    data = b""
    while len(data) < length:
        chunk = os.pread(fd, length - len(data), offset + len(data))
        if not chunk:
            raise OSError(errno.EIO, "unexpected end of file")
        data += chunk
    return data


def _all_zero(buffer: bytearray, n: int) -> bool:
    # Whole buffers compare with memcmp; a memoryview comparison is twenty times slower.
    return buffer == _ZEROS if n == len(buffer) else buffer[:n] == _ZEROS[:n]


class _Copy:
    """The image's bytes copied to DEST, in bounded chunks. A fresh file gets holes where the
    image has holes or zeros; a device gets every byte, as stale data must not show through."""

    def __init__(self, image_fd: int, target: _Destination, total: int, progress: Progress | None) -> None:
        self.image_fd, self.target, self.total, self.progress = image_fd, target, total, progress
        self.sparse = not target.is_block
        self.buffer = bytearray(_CHUNK)

    def _read(self, offset: int, n: int) -> memoryview:
        view = memoryview(self.buffer)[:n]
        try:
            got = os.preadv(self.image_fd, [view], offset)
        except OSError as exc:
            raise InstallError(f"cannot read the image: {os_reason(exc)}") from None
        if got != n:
            raise InstallError("the image shrank while it was being copied")
        return view

    def _advanced(self, position: int) -> None:
        if self.progress is not None:
            self.progress(position, self.total)

    def copy(self, start: int, end: int) -> None:
        for offset, length, is_data in _extents(self.image_fd, start, end):
            if not is_data and self.sparse:  # a hole stays a hole
                self._advanced(offset + length)
                continue
            for at in range(offset, offset + length, _CHUNK):
                n = min(_CHUNK, offset + length - at)
                if not is_data:
                    _pwrite_all(self.target.fd, _ZERO_VIEW[:n], at)
                else:
                    view = self._read(at, n)
                    if not (self.sparse and _all_zero(self.buffer, n)):
                        _pwrite_all(self.target.fd, view, at)
                self._advanced(at + n)


def _write(image_fd: int, target: _Destination, source: _Source, progress: Progress | None,
           preserve_on_error: bool) -> None:
    image_size, table, part, plan, head, tail = (source.size, source.table, source.part, source.plan,
                                                 source.head, source.tail)
    tail_offset, tail_length = table.backup_extent()
    held_back = [(0, HEAD), (tail_offset, tail_length)]
    if target.is_block and target.device_size > image_size:
        # where the backup GPT of an earlier, resized install is
        held_back.append((max(target.device_size - HEAD, 0), min(HEAD, target.device_size)))
    fd = target.fd
    copied = finished = False
    try:
        if not target.is_block:
            os.ftruncate(fd, 0)
        for offset, length in held_back:
            _pwrite_all(fd, _ZERO_VIEW[:length], offset)
        os.fsync(fd)
        copy = _Copy(image_fd, target, image_size, progress)
        copy.copy(HEAD, tail_offset)
        copy.copy(tail_offset + tail_length, image_size)
        if not target.is_block:
            os.ftruncate(fd, image_size)
        os.fsync(fd)
        copied = True
        if plan is not None:
            with Ext4(fd, part.offset, f"partition {part.number} of {target.name}") as fs:
                fs.apply(plan.dirs, plan.files)
                fs.verify(plan.dirs, plan.files)
        os.fsync(fd)
        _pwrite_all(fd, tail, tail_offset)
        _pwrite_all(fd, head, 0)
        os.fsync(fd)
        finished = True
        _verify_tables(fd, table, image_size, head, tail, tail_offset, target.name)
        if progress is not None:
            progress(image_size, image_size)
    except BaseException as exc:
        _clean_up(target, held_back, head, tail, tail_offset, preserve_on_error, copied, finished)
        if isinstance(exc, OSError):
            raise InstallError(f"cannot write {target.name}: {os_reason(exc)}") from None
        raise
    if target.is_block:
        _reread_partitions(fd)


def _verify_tables(fd: int, table: Table, image_size: int, head: bytes, tail: bytes, tail_offset: int,
                   name: str) -> None:
    """Read the first MiB and the backup GPT back from the device, past the page cache."""
    for offset, length in ((0, HEAD), (tail_offset, len(tail))):
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)
    if _pread_exact(fd, HEAD, 0) != head or _pread_exact(fd, len(tail), tail_offset) != tail:
        raise InstallError(f"{name} did not read back the partition tables written to it")
    try:
        written = read_gpt(fd, image_size)
    except GptError as exc:
        raise InstallError(f"{name} did not read back a valid partition table: {exc}") from None
    if written != table:
        raise InstallError(f"{name} did not read back the image's partition table")


def _clean_up(target: _Destination, held_back: list[tuple[int, int]], head: bytes, tail: bytes,
              tail_offset: int, preserve: bool, copied: bool, finished: bool) -> None:
    """After a failure: wipe the partition tables (or remove a file ``install`` created), or with
    ``preserve`` complete them once the copy was complete, for inspection. Best effort: the
    original error is what the caller sees."""
    fd = target.fd
    try:
        if preserve:
            if copied and not finished:
                _pwrite_all(fd, tail, tail_offset)
                _pwrite_all(fd, head, 0)
                os.fsync(fd)
        elif target.created and _is_still(target.path, fd):
            os.unlink(target.path)
        else:
            for offset, length in held_back:
                _pwrite_all(fd, _ZERO_VIEW[:length], offset)
            os.fsync(fd)
            if target.is_block:
                _reread_partitions(fd)
    except OSError:
        pass


def _is_still(path: str, fd: int) -> bool:
    """Whether ``path`` still names the file open at ``fd``."""
    try:
        return same_file(os.stat(path), os.fstat(fd))
    except OSError:
        return False


def _reread_partitions(fd: int) -> None:
    """Ask the kernel to read the device's new partition table, so its partitions appear; a
    device without partitions support refuses, which changes nothing."""
    try:
        fcntl.ioctl(fd, _BLKRRPART)
    except OSError:
        pass
