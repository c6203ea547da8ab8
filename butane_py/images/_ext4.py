"""Filesystems inside a partition: superblock probing, and ext4 read and changed without mounting.

Changes go through e2fsprogs' ``debugfs`` on ``/dev/fd/N?offset=BYTES``: the open file or block
device is passed down (so a path holding ``?`` or swapped after the checks cannot redirect it),
and the offset selects the partition. debugfs exits 0 after most failures and reports them on
standard error, so anything there besides its version banner is an error. Commands go through a
file given with ``-f``; every argument is double-quoted (a quote doubled), and arguments that a
command line cannot hold (newline, carriage return, NUL) are refused.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field

from ..io import printable
from ._install_errors import FilesystemError

EXT4_MAGIC = 0xEF53
BTRFS_MAGIC = b"_BHRfS_M"
_EXT4_INCOMPAT_RECOVER = 0x4  # the journal holds changes not yet applied
_EXT4_INCOMPAT_JOURNAL_DEV = 0x8  # an external journal, not a filesystem
_EXT4_INCOMPAT_64BIT = 0x80
# debugfs is in sbin, which an ordinary user's PATH often lacks.
_SBIN = ("/usr/sbin", "/sbin")
# Files read out of a filesystem (BLS entries, platforms.json, grub.cfg) are small; a larger one
# is not what it claims to be.
MAX_READ = 4 << 20
# A damaged filesystem must not hang install; a real boot filesystem takes well under a second.
_TIMEOUT = 300


@dataclass(frozen=True)
class Superblock:
    kind: str  # "ext4" (any ext2/3/4) or "btrfs"
    label: str
    size: int  # bytes the filesystem says it spans
    needs_recovery: bool = False


def probe(fd: int, offset: int, length: int) -> Superblock | None:
    """The ext4 or btrfs filesystem at ``offset`` of ``fd`` (a partition of ``length`` bytes), or None."""
    sb = os.pread(fd, 1024, offset + 1024) if length >= 2048 else b""
    if len(sb) == 1024 and struct.unpack_from("<H", sb, 56)[0] == EXT4_MAGIC:
        blocks_lo, = struct.unpack_from("<I", sb, 4)
        log_block, = struct.unpack_from("<I", sb, 24)
        incompat, = struct.unpack_from("<I", sb, 96)
        blocks_hi = struct.unpack_from("<I", sb, 0x150)[0] if incompat & _EXT4_INCOMPAT_64BIT else 0
        if log_block > 6 or incompat & _EXT4_INCOMPAT_JOURNAL_DEV:
            return None
        size = ((blocks_hi << 32) | blocks_lo) * (1024 << log_block)
        label = sb[120:136].split(b"\0", 1)[0].decode("utf-8", "replace")
        return Superblock("ext4", label, size, bool(incompat & _EXT4_INCOMPAT_RECOVER))
    sb = os.pread(fd, 4096, offset + 65536) if length >= 65536 + 4096 else b""
    if len(sb) == 4096 and sb[64:72] == BTRFS_MAGIC:
        size, = struct.unpack_from("<Q", sb, 0x70)
        label = sb[0x12B:0x12B + 256].split(b"\0", 1)[0].decode("utf-8", "replace")
        return Superblock("btrfs", label, size)
    return None


def debugfs_path() -> str:
    found = shutil.which("debugfs") or shutil.which("debugfs", path=os.pathsep.join(_SBIN))
    if found is None:
        raise FilesystemError("debugfs not found: install e2fsprogs (Debian, Fedora: e2fsprogs)")
    return found


def quote(arg: str | bytes) -> bytes:
    """``arg`` as one debugfs argument."""
    raw = os.fsencode(arg)
    if any(c in raw for c in b"\n\r\0"):
        shown = printable(os.fsdecode(raw))
        raise FilesystemError(f"cannot pass {shown!r} to debugfs: it holds a line break or NUL")
    return b'"' + raw.replace(b'"', b'""') + b'"'


@dataclass(frozen=True)
class Entry:
    """One directory entry as ``ls -p`` shows it."""

    inode: int
    mode: int  # with the file type bits
    uid: int
    gid: int
    size: int

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.mode)


@dataclass(frozen=True)
class Inode:
    """What ``stat`` shows of one inode, with its extended attributes' values."""

    mode: int  # permission bits only
    uid: int
    gid: int
    links: int
    xattrs: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class NewDir:
    path: str
    mode: int
    xattrs: dict[str, bytes]


@dataclass(frozen=True)
class NewFile:
    """A file to write; ``replace`` removes the one already there first."""

    path: str
    data: bytes
    mode: int
    uid: int
    gid: int
    xattrs: dict[str, bytes]
    replace: bool = False


# ls -p: /inode/mode/uid/gid/name/size/ (a directory's size is empty). A name cannot hold "/",
# so a name with a line break cannot forge a line that matches.
_LS_LINE = re.compile(rb"^/(\d+)/([0-7]+)/(\d+)/(\d+)/([^/]*)/(\d*)/$")
_NOT_FOUND = "File not found by ext2_lookup"  # e2fsprogs' message for EXT2_ET_FILE_NOT_FOUND
_BANNER = re.compile(r"^debugfs \S+ \(.*\)$")
_XATTR_LINE = re.compile(r"^  (.+?) \((\d+)\)(?: = .*)?$")


class Ext4:
    """The ext4 filesystem at byte ``offset`` of the open file or block device ``fd``."""

    def __init__(self, fd: int, offset: int, where: str) -> None:
        self.fd = fd
        self.offset = offset
        self.where = where  # for messages: "partition 3 (boot) of IMAGE"
        self.debugfs = debugfs_path()
        self._tmp = tempfile.TemporaryDirectory(prefix="butane-py-debugfs-")
        self._count = 0

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> "Ext4":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _local(self, data: bytes | None = None) -> str:
        """A fresh path in the scratch directory, holding ``data`` when given."""
        self._count += 1
        path = os.path.join(self._tmp.name, str(self._count))
        if data is not None:
            with open(path, "wb") as f:
                f.write(data)
        return path

    def run(self, commands: list[list[str | bytes]], write: bool = False) -> tuple[bytes, list[str]]:
        """Standard output and the error lines of one debugfs run of ``commands``."""
        # The command name is ours and bare; its arguments are quoted.
        script = self._local(b"".join(b" ".join([os.fsencode(name), *map(quote, args)]) + b"\n"
                                      for name, *args in commands))
        device = f"/dev/fd/{self.fd}?offset={self.offset}"
        argv = [self.debugfs, *(["-w"] if write else []), "-f", script, device]
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, pass_fds=(self.fd,),
                                  env={**os.environ, "LC_ALL": "C", "DEBUGFS_PAGER": "__none__"},
                                  timeout=_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise FilesystemError(f"debugfs did not finish within {_TIMEOUT} s on {self.where}") from None
        except OSError as exc:
            raise FilesystemError(f"cannot run debugfs: {exc.strerror}") from None
        errors = [line for line in done.stderr.decode("utf-8", "replace").splitlines()
                  if line.strip() and not _BANNER.match(line)]
        if done.returncode and not errors:
            errors = [f"debugfs exited with status {done.returncode}"]
        return done.stdout, errors

    def _check(self, errors: list[str], doing: str) -> None:
        if errors:
            detail = "; ".join(printable(e.strip()) for e in list(dict.fromkeys(errors))[:3])
            if any("unsupported feature" in e for e in errors):
                detail += " (the filesystem is newer than this e2fsprogs: upgrade e2fsprogs)"
            raise FilesystemError(f"{doing} in {self.where}: {detail}")

    def listdir(self, path: str) -> dict[str, Entry] | None:
        """The entries of directory ``path`` (symlinks followed except in the last part), or
        None when it does not exist."""
        out, errors = self.run([["ls", "-p", path]])
        if errors and all(_NOT_FOUND in e for e in errors):
            return None
        self._check(errors, f"cannot list {path}")
        found = {}
        for line in out.splitlines():
            m = _LS_LINE.match(line)
            if m and m[5] not in (b".", b".."):
                found[os.fsdecode(m[5])] = Entry(int(m[1]), int(m[2], 8), int(m[3]), int(m[4]), int(m[6] or 0))
        return found

    def lookup(self, path: str) -> Entry | None:
        parent, _, name = path.rpartition("/")
        entries = self.listdir(parent or "/")
        return entries.get(name) if entries is not None else None

    def read(self, path: str, entry: Entry) -> bytes:
        """The contents of regular file ``path`` (``entry`` is its directory entry)."""
        if not entry.is_file:
            raise FilesystemError(f"{path} in {self.where} is not a regular file")
        if entry.size > MAX_READ:
            raise FilesystemError(f"{path} in {self.where} is {entry.size} bytes, more than a boot file holds")
        local = self._local()
        _out, errors = self.run([["dump", path, local]])
        self._check(errors, f"cannot read {path}")
        with open(local, "rb") as f:
            data = f.read(MAX_READ + 1)
        os.unlink(local)
        return data

    def inode(self, path: str) -> Inode:
        """Mode, owner, link count and extended attributes of ``path``."""
        out, errors = self.run([["stat", path]])
        self._check(errors, f"cannot stat {path}")
        text = out.decode("utf-8", "surrogateescape")
        text = text[text.find("\nInode: ") + 1:]  # past the echoed command, which holds the path
        mode = re.search(r"\bMode:\s+([0-7]+)", text)
        owner = re.search(r"\bUser:\s+(\d+)\s+Group:\s+(\d+)", text)
        links = re.search(r"\bLinks:\s+(\d+)", text)
        if not (mode and owner and links):
            raise FilesystemError(f"cannot read the inode of {path} in {self.where}: unexpected debugfs output")
        names = []
        if "\nExtended attributes:\n" in text:
            for line in text.split("\nExtended attributes:\n", 1)[1].splitlines():
                m = _XATTR_LINE.match(line)
                if not m:
                    break
                names.append(m[1])
        xattrs = {}
        if names:
            locals_ = [self._local() for _ in names]
            pairs = list(zip(locals_, names))
            _out, errors = self.run([["ea_get", "-f", local, path, name] for local, name in pairs])
            self._check(errors, f"cannot read the extended attributes of {path}")
            for local, name in pairs:
                with open(local, "rb") as f:
                    xattrs[name] = f.read()
                os.unlink(local)
        return Inode(int(mode[1], 8), int(owner[1]), int(owner[2]), int(links[1]), xattrs)

    def apply(self, dirs: list[NewDir], files: list[NewFile]) -> None:
        """Create ``dirs`` (in order), then write ``files``, in one writable debugfs run."""
        commands: list[list[str | bytes]] = []

        def attributes(path: str, mode: int, uid: int, gid: int, xattrs: dict[str, bytes]) -> None:
            commands.extend([["sif", path, "mode", f"0{mode:o}"], ["sif", path, "uid", str(uid)],
                             ["sif", path, "gid", str(gid)]])
            commands.extend(["ea_set", "-f", self._local(value), path, name] for name, value in xattrs.items())

        for d in dirs:
            commands.append(["mkdir", d.path])
            attributes(d.path, stat.S_IFDIR | d.mode, 0, 0, d.xattrs)
        for f in files:
            if f.replace:
                commands.append(["rm", f.path])
            commands.append(["write", self._local(f.data), f.path])
            attributes(f.path, stat.S_IFREG | f.mode, f.uid, f.gid, f.xattrs)
        _out, errors = self.run(commands, write=True)
        self._check(errors, "cannot write")

    def verify(self, dirs: list[NewDir], files: list[NewFile]) -> None:
        """Read back what :meth:`apply` wrote: contents, modes, owners and extended attributes."""
        for d in dirs:
            got = self.inode(d.path)
            entry = self.lookup(d.path)
            attributes = (got.mode, got.uid, got.gid, got.xattrs)
            if entry is None or not entry.is_dir or attributes != (d.mode, 0, 0, d.xattrs):
                raise FilesystemError(f"{d.path} in {self.where} did not read back as written")
        for f in files:
            entry = self.lookup(f.path)
            if entry is None or self.read(f.path, entry) != f.data:
                raise FilesystemError(f"{f.path} in {self.where} did not read back as written")
            got = self.inode(f.path)
            if (got.mode, got.uid, got.gid, got.xattrs) != (f.mode, f.uid, f.gid, f.xattrs):
                raise FilesystemError(f"{f.path} in {self.where} did not read back with its mode, owner "
                                      f"and attributes")
