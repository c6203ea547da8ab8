"""Sparse disk copies (issue 17): holes stay holes, the size is extended, the copy is atomic
and never lands on its source, and a signal mid-copy leaves nothing behind."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from butane_py.images import ImageError
from butane_py.images import _sparse
from butane_py.images._sparse import DiskError, copy_disk, parse_size

from .conftest import ROOT
from ._disks import AS_A_PROGRAM, assert_quiet_exit, data_map, interrupt

MIB = 1 << 20


def make_sparse(path: Path, size: int = 64 * MIB, tail: bool = False) -> Path:
    """Data at a few offsets (one a single byte), holes between, and data at the very end
    with ``tail``."""
    with open(path, "wb") as f:
        f.truncate(size)
        for offset, length in ((0, 5000), (3 * MIB + 17, 2 * MIB), (20 * MIB, 1), (40 * MIB, 7 * MIB)):
            f.seek(offset)
            f.write(os.urandom(length))
        if tail:
            f.seek(size - 4096)
            f.write(os.urandom(4096))
        f.flush()
        os.fsync(f.fileno())
    return path


@pytest.fixture()
def src(tmp_path: Path) -> Path:
    return make_sparse(tmp_path / "src.raw")


def same_content(a: Path, b: Path, length: int | None = None) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        remaining = length if length is not None else max(a.stat().st_size, b.stat().st_size)
        while remaining > 0:
            n = min(remaining, 4 * MIB)
            if fa.read(n) != fb.read(n):
                return False
            remaining -= n
    return True


@pytest.mark.parametrize("tail", [False, True])
def test_copy_keeps_holes(tail: bool, tmp_path: Path) -> None:
    src = make_sparse(tmp_path / "src.raw", tail=tail)
    dst = tmp_path / "dst.raw"
    how = copy_disk(src, dst)
    assert how in ("reflink", "copy_file_range", "read-write")
    assert dst.stat().st_size == src.stat().st_size
    assert same_content(src, dst)
    assert data_map(dst) == data_map(src)
    assert dst.stat().st_blocks == src.stat().st_blocks
    assert sorted(os.listdir(tmp_path)) == ["dst.raw", "src.raw"]


@pytest.mark.parametrize("size", ["1G", "1GiB", 1 << 30, str(1 << 30)])
def test_copy_is_extended(size: int | str, src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "dst.raw"
    copy_disk(str(src), str(dst), size)
    assert dst.stat().st_size == 1 << 30
    assert same_content(src, dst, src.stat().st_size)
    assert data_map(dst) == data_map(src)  # the extension is a hole
    assert dst.stat().st_blocks == src.stat().st_blocks


def test_copy_to_20g(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "vm.raw"
    copy_disk(src, dst, "20G")
    assert dst.stat().st_size == 20 << 30
    assert dst.stat().st_blocks == src.stat().st_blocks


def test_same_size_is_accepted_and_smaller_refused(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "dst.raw"
    copy_disk(src, dst, src.stat().st_size)
    assert dst.stat().st_size == src.stat().st_size
    dst.unlink()
    for size in (src.stat().st_size - 1, "1M", 0):
        with pytest.raises(DiskError, match=r"is smaller than the source disk \(67108864 bytes\)"):
            copy_disk(src, dst, size)
        assert not dst.exists()
    with pytest.raises(DiskError, match="larger than a file can be"):
        copy_disk(src, dst, 1 << 63)


def test_never_over_the_source(src: Path, tmp_path: Path) -> None:
    before = (src.read_bytes(), src.stat().st_ino)
    (tmp_path / "hard.raw").hardlink_to(src)
    (tmp_path / "link.raw").symlink_to("src.raw")
    (tmp_path / "sub").mkdir()
    for dst in (src, tmp_path / "hard.raw", tmp_path / "link.raw", tmp_path / "sub" / ".." / "src.raw",
                Path(os.path.relpath(src))):
        with pytest.raises(DiskError, match="over its own source"):
            copy_disk(src, dst, "1G")
    assert (src.read_bytes(), src.stat().st_ino) == before
    assert sorted(os.listdir(tmp_path)) == ["hard.raw", "link.raw", "src.raw", "sub"]


def test_destination_replaced_and_links_followed(src: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.raw"
    old.write_bytes(b"old contents")
    link = tmp_path / "vm.raw"
    link.symlink_to("old.raw")
    copy_disk(src, link, "128M")
    assert link.is_symlink() and old.stat().st_size == 128 * MIB
    assert same_content(src, old, src.stat().st_size)


def test_bad_destinations_and_sources(src: Path, tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    cases = [
        (src, tmp_path / "dir", "cannot write .*: is a directory"),
        (src, tmp_path / "fifo", "cannot write .*: not a regular file"),
        (src, tmp_path / "missing" / "dst.raw", "cannot write .*: no such file or directory"),
        (tmp_path / "absent.raw", tmp_path / "dst.raw", "cannot open .*absent.raw: no such file or directory"),
        (tmp_path / "dir", tmp_path / "dst.raw", "is not a regular file"),
    ]
    for s, d, message in cases:
        with pytest.raises(DiskError, match=message) as info:
            copy_disk(s, d)
        assert isinstance(info.value, ImageError) and "\n" not in str(info.value)
    assert not (tmp_path / "dst.raw").exists()


def test_without_copy_file_range(src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(*args: object) -> int:
        raise OSError(errno.EXDEV, "cross-device")

    def no_reflink(*args: object) -> int:
        raise OSError(errno.EOPNOTSUPP, "no reflinks")

    import fcntl

    monkeypatch.setattr(fcntl, "ioctl", no_reflink)
    monkeypatch.setattr(os, "copy_file_range", unsupported)
    dst = tmp_path / "dst.raw"
    assert copy_disk(src, dst, "256M") == "read-write"
    assert same_content(src, dst, src.stat().st_size) and dst.stat().st_size == 256 * MIB
    assert data_map(dst) == data_map(src)


def test_without_seek_data(src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the filesystem cannot tell data from holes the whole file is copied."""
    real_lseek = os.lseek

    def lseek(fd: int, pos: int, how: int) -> int:
        if how in (os.SEEK_DATA, os.SEEK_HOLE):
            raise OSError(errno.EINVAL, "unsupported")
        return real_lseek(fd, pos, how)

    monkeypatch.setattr(os, "lseek", lseek)
    assert list(_sparse._data_extents(os.open(src, os.O_RDONLY), 1000)) == [(0, 1000)]
    dst = tmp_path / "dst.raw"
    copy_disk(src, dst)
    assert same_content(src, dst)


def test_source_shrinking_during_the_copy(src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "copy_file_range", lambda *args: 0)
    import fcntl

    monkeypatch.setattr(fcntl, "ioctl", lambda *args: (_ for _ in ()).throw(OSError(errno.EOPNOTSUPP, "")))
    with pytest.raises(DiskError, match="changed .* while it was copied"):
        copy_disk(src, tmp_path / "dst.raw")
    assert os.listdir(tmp_path) == ["src.raw"]


def test_signal_handlers_are_restored(src: Path, tmp_path: Path) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    copy_disk(src, tmp_path / "dst.raw")
    with pytest.raises(DiskError):
        copy_disk(src, tmp_path / "dst.raw", 1)
    assert {s: signal.getsignal(s) for s in before} == before


SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


@pytest.fixture()
def btrfs(tmp_path: Path):
    """A directory on a fresh btrfs filesystem (a loop mount: root only), which has reflinks."""
    mkfs, mount = shutil.which("mkfs.btrfs", path=SBIN), shutil.which("mount", path=SBIN)
    if os.geteuid() != 0 or not mkfs or not mount or not os.path.exists("/dev/loop-control"):
        pytest.skip("needs root, btrfs-progs and loop devices")
    image, where = tmp_path / "btrfs.img", tmp_path / "btrfs"
    with open(image, "wb") as f:
        f.truncate(512 * MIB)
    subprocess.run([mkfs, "-q", str(image)], check=True, capture_output=True)
    where.mkdir()
    done = subprocess.run([mount, "-o", "loop", str(image), str(where)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a btrfs image: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_reflink_on_btrfs(btrfs: Path) -> None:
    """The copy shares the source's blocks: the filesystem's free space does not move."""
    src = make_sparse(btrfs / "src.raw", tail=True)
    free = os.statvfs(btrfs)
    assert copy_disk(src, btrfs / "vm.raw", "20G") == "reflink"
    after = os.statvfs(btrfs)
    assert (free.f_bfree - after.f_bfree) * free.f_frsize < MIB  # the source holds 9 MiB
    dst = btrfs / "vm.raw"
    assert dst.stat().st_size == 20 << 30
    assert same_content(src, dst, src.stat().st_size)
    assert data_map(dst) == data_map(src) and dst.stat().st_blocks == src.stat().st_blocks


SIZES = {
    "20G": 20 << 30, "20g": 20 << 30, "20GiB": 20 << 30, "20gib": 20 << 30, "512": 512, "0": 0,
    "1K": 1024, "1k": 1024, "1KiB": 1024, "3M": 3 << 20, "3MiB": 3 << 20, "2T": 2 << 40, "2TiB": 2 << 40,
}


@pytest.mark.parametrize(("text", "size"), SIZES.items())
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "G", "1.5G", "20GB", "20gb", "20 G", " 20G", "20G ", "-1", "+1", "1_000",
                                  "0x10", "20P", "20Gi", "20iB", "١٢", "9" * 30])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(DiskError) as info:
        parse_size(text)
    assert "\n" not in str(info.value) and str(info.value).isprintable()


# -- signals mid-copy ---------------------------------------------------------------------------

# The child copies slowly (1 MiB per copy_file_range call, 20 ms apart) so that the signal
# lands mid-copy, after a marker file says the copy has begun.
CHILD = """
import fcntl, os, sys, time
import butane_py.io
from butane_py.images._sparse import copy_disk

src, dst, marker, mode = sys.argv[1:5]
def no_reflink(*args):
    raise OSError(95, "no reflinks here")
fcntl.ioctl = no_reflink
real = os.copy_file_range
def slow(fd_in, fd_out, count, offset_in, offset_out):
    n = real(fd_in, fd_out, min(count, 1 << 20), offset_in, offset_out)
    open(marker, "w").close()
    time.sleep(0.02)
    return n
os.copy_file_range = slow
if mode == "named":
    butane_py.io._unnamed = lambda dir_fd: None  # as on a filesystem without O_TMPFILE
if mode == "handler":  # the program's own handler, which the library leaves alone
    import signal
    def own(signum, frame):
        raise SystemExit(7)
    signal.signal(signal.SIGTERM, own)
def main():
    copy_disk(src, dst, "2G")
""" + AS_A_PROGRAM


@pytest.mark.parametrize(("signum", "mode"), [
    (signal.SIGTERM, "unnamed"),
    (signal.SIGTERM, "named"),
    (signal.SIGHUP, "named"),
    (signal.SIGINT, "named"),
    (signal.SIGTERM, "handler"),
    (signal.SIGKILL, "unnamed"),
])
@pytest.mark.parametrize("existing", [False, True])
def test_signal_mid_copy_leaves_nothing(signum: int, mode: str, existing: bool, tmp_path: Path) -> None:
    """The temporary file is gone, the source and an existing destination are untouched, and
    the process ends quietly with the signal's status."""
    work = tmp_path / "work"
    work.mkdir()
    src = make_sparse(work / "src.raw")  # 9 MiB of data: the copy takes 10 slow calls or more
    before = (src.stat().st_mtime_ns, hashlib.sha256(src.read_bytes()).hexdigest())
    dst = work / "vm.raw"
    if existing:
        dst.write_bytes(b"the disk before")
    marker = tmp_path / "started"

    def started() -> bool:
        if not marker.exists():
            return False
        if mode == "named":
            assert len(os.listdir(work)) == 2 + existing  # and the hidden temporary file
        return True

    status, err = interrupt(CHILD, [src, dst, marker, mode], started, signum)
    if mode == "handler":
        assert (status, err) == (7, "")
    else:
        assert_quiet_exit(signum, status, err)
    assert sorted(os.listdir(work)) == ["src.raw", "vm.raw"][: 1 + existing]
    assert (src.stat().st_mtime_ns, hashlib.sha256(src.read_bytes()).hexdigest()) == before
    if existing:
        assert dst.read_bytes() == b"the disk before"


UNWIND_CHILD = """
import os, signal, threading, time
from butane_py.io import Terminated, signals_unwind

def elsewhere():  # outside the main thread nothing is taken over (and nothing fails)
    with signals_unwind():
        seen.append(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
seen = []
cleaned = False
try:
    with signals_unwind():
        try:
            with signals_unwind():  # nested: the outer block keeps the handlers
                thread = threading.Thread(target=elsewhere)
                thread.start()
                thread.join()
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(10)
        finally:
            os.kill(os.getpid(), signal.SIGHUP)  # a second signal does not cut the clean-up short
            time.sleep(0.1)
            cleaned = True
except Terminated as exc:
    print(exc.signum, exc.code, cleaned, seen == [False],
          signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, signal.getsignal(signal.SIGHUP) is signal.SIG_DFL)
"""


def test_signals_unwind() -> None:
    p = subprocess.run([sys.executable, "-c", UNWIND_CHILD], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                       capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stdout, p.stderr) == (0, "15 143 True True True True\n", "")
