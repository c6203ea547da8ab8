"""qcow2 to raw (issue 17): images made at test time by Debian's qemu-img and qemu-io, each
converted natively and compared with ``qemu-img convert -O raw`` byte for byte and hole for
hole; then real and altered images that must be refused with a clear error."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from butane_py.images import ImageError
from butane_py.images._qcow2 import Qcow2Error, is_qcow2, qcow2_to_raw, read_header
from butane_py.images._sparse import writing_disk

from ._rss import measured, read_kib
from .conftest import ROOT
from ._disks import AS_A_PROGRAM, assert_quiet_exit, data_map, interrupt

if not shutil.which("qemu-img") or not shutil.which("qemu-io"):
    pytest.skip("qemu-img and qemu-io (Debian's qemu-utils) are needed", allow_module_level=True)

MIB = 1 << 20
SIZE = 24 * MIB


def qemu(*argv: str | Path) -> str:
    p = subprocess.run([str(a) for a in argv], capture_output=True, text=True)
    assert p.returncode == 0, (argv, p.stderr)
    return p.stdout


def qemu_img(*args: str | Path) -> str:
    return qemu("qemu-img", *args)


def qemu_io(image: Path, *commands: str) -> None:
    qemu("qemu-io", *(a for c in commands for a in ("-c", c)), image)


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    """A disk with random data at unaligned offsets, runs of explicit zeros inside data, holes,
    a block that is zero but for its last byte, and data up to the last byte."""
    path = tmp_path_factory.mktemp("raw") / "disk.raw"
    rng = random.Random(17)
    with open(path, "wb") as f:
        f.truncate(SIZE)
        for i, offset in enumerate(range(0, SIZE - MIB, 1536 * 1024 + 4096 + 333)):
            length = rng.randrange(1, 300_000)
            f.seek(offset)  # compressible and incompressible data in turn
            f.write((rng.randbytes(100) * 3000)[:length] if i % 2 == 0 else rng.randbytes(length))
        f.seek(5 * MIB)
        f.write(rng.randbytes(MIB) + bytes(MIB) + rng.randbytes(MIB))  # zeros inside data
        f.seek(9 * MIB)
        f.write(bytes(4095) + b"\1")
        f.seek(SIZE - 3000)
        f.write(rng.randbytes(3000))
    return path


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def convert(image: Path, out: Path) -> None:
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        qcow2_to_raw(image, fd)
        os.fsync(fd)
    finally:
        os.close(fd)


def assert_same_as_qemu(image: Path, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.raw", tmp_path / "qemu.raw"
    convert(image, ours)
    qemu_img("convert", "-O", "raw", image, theirs)
    assert ours.stat().st_size == theirs.stat().st_size
    assert ours.read_bytes() == theirs.read_bytes()
    fsync(theirs)  # ext4 counts a delayed extent block only once it is allocated
    expected, blocks = data_map(theirs), theirs.stat().st_blocks
    with open(ours, "rb") as f:
        zero_start = f.read(4096) == bytes(4096)
    if expected and expected[0][0] == 0 and zero_start and data_map(ours)[:1] != [(0, 4096)]:
        # qemu always allocates the first block of a raw file it creates (to probe the
        # alignment of direct I/O there), even when it is zeros: a hole here is as good.
        expected = ([(4096, expected[0][1])] if expected[0][1] > 4096 else []) + expected[1:]
        blocks -= 4096 // 512
    assert data_map(ours) == expected
    assert ours.stat().st_blocks == blocks
    qemu_img("compare", "-f", "raw", "-F", "qcow2", ours, image)


def kinds(image: Path) -> set[str]:
    """What ``qemu-img map`` finds in an image: data, zero (a zero cluster), hole."""
    found = set()
    for r in json.loads(qemu_img("map", "--output=json", image)):
        found.add("data" if r["data"] else "zero" if r["present"] else "hole")
    return found


# -- images converted from the raw disk ----------------------------------------------------------

CONVERSIONS = {
    "v3": [],
    "v2": ["-o", "compat=0.10"],
    "cluster-512": ["-o", "cluster_size=512"],
    "cluster-4k": ["-o", "cluster_size=4096"],
    "cluster-2m": ["-o", "cluster_size=2M"],
    "zlib": ["-c"],
    "zlib-v2": ["-c", "-o", "compat=0.10"],
    "zlib-cluster-512": ["-c", "-o", "cluster_size=512"],
    "zlib-cluster-2m": ["-c", "-o", "cluster_size=2M"],
    "zstd": ["-c", "-o", "compression_type=zstd"],
    "zstd-cluster-4k": ["-c", "-o", "compression_type=zstd,cluster_size=4096"],
    "zstd-cluster-2m": ["-c", "-o", "compression_type=zstd,cluster_size=2M"],
    "extended-l2": ["-o", "extended_l2=on"],
    "extended-l2-zstd": ["-c", "-o", "extended_l2=on,compression_type=zstd,cluster_size=128k"],
    "preallocated": ["-o", "preallocation=metadata"],
    "preallocated-v2": ["-o", "preallocation=metadata,compat=0.10"],
}


@pytest.mark.parametrize("options", CONVERSIONS.values(), ids=CONVERSIONS.keys())
def test_converted_images(options: list[str], raw: Path, tmp_path: Path) -> None:
    image = tmp_path / "disk.qcow2"
    qemu_img("convert", "-f", "raw", "-O", "qcow2", *options, raw, image)
    assert is_qcow2(image)
    header = read_header(image)
    assert header.virtual_size == SIZE
    assert header.version == (2 if "compat=0.10" in " ".join(options) else 3)
    if "compression_type=zstd" in " ".join(options):
        assert header.compression == "zstd"
    assert_same_as_qemu(image, tmp_path)


def test_zero_clusters_v3(raw: Path, tmp_path: Path) -> None:
    image = tmp_path / "z.qcow2"
    qemu_img("convert", "-f", "raw", "-O", "qcow2", raw, image)
    qemu_io(image, "write -z 1M 2M", "write -z -u 8M 1M", "write -z 20000 70000", "write -z 5M 64k")
    assert "zero" in kinds(image)
    assert_same_as_qemu(image, tmp_path)


def test_zero_writes_v2(raw: Path, tmp_path: Path) -> None:
    """Version 2 has no zero flag: qemu unallocates or writes zeros instead."""
    image = tmp_path / "z.qcow2"
    qemu_img("convert", "-f", "raw", "-O", "qcow2", "-o", "compat=0.10", raw, image)
    qemu_io(image, "write -z 1M 2M", "write -z 20000 70000")
    assert "zero" not in kinds(image)
    assert_same_as_qemu(image, tmp_path)


def test_compressed_and_normal_clusters_mixed(raw: Path, tmp_path: Path) -> None:
    for kind in ("zlib", "zstd"):
        image = tmp_path / f"{kind}.qcow2"
        qemu_img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", f"compression_type={kind}", raw, image)
        qemu_io(image, "write -P 0x5a 100k 300k", "write -z 4M 1M", "write -P 0x01 23M 4k")
        assert_same_as_qemu(image, tmp_path)


def test_subclusters(tmp_path: Path) -> None:
    """Extended L2 entries: allocated, zero and unallocated subclusters in one cluster."""
    image = tmp_path / "sub.qcow2"
    qemu_img("create", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=64k", image, "4M")
    qemu_io(image, "write -P 0xab 4096 6000", "write -P 0xcd 30000 2048", "write -z 2048 2048",
            "write -P 0xef 1M 64k", "write -z 1M 8k", "write -P 0x11 3M 1", "write -P 0x22 4190208 4096")
    assert read_header(image).extended_l2
    assert_same_as_qemu(image, tmp_path)


def test_virtual_size_not_a_cluster_multiple(tmp_path: Path) -> None:
    image = tmp_path / "odd.qcow2"
    qemu_img("create", "-f", "qcow2", image, str(3 * MIB + 1536))
    qemu_io(image, f"write -P 0x77 {3 * MIB} 1536", "write -P 0x66 0 512")
    assert read_header(image).virtual_size == 3 * MIB + 1536
    assert_same_as_qemu(image, tmp_path)
    compressed = tmp_path / "odd-c.qcow2"
    qemu_img("convert", "-c", "-O", "qcow2", image, compressed)
    assert_same_as_qemu(compressed, tmp_path)


def test_empty_and_unwritten_images(tmp_path: Path) -> None:
    for size in (0, 64 << 30):
        image = tmp_path / f"empty-{size}.qcow2"
        qemu_img("create", "-f", "qcow2", image, str(size))
        out = tmp_path / "out.raw"
        convert(image, out)
        assert out.stat().st_size == size
        assert data_map(out) == [] and out.stat().st_blocks == 0
        qemu_img("compare", "-f", "raw", "-F", "qcow2", out, image)


def test_output_is_truncated_first_and_accepts_file_objects(raw: Path, tmp_path: Path) -> None:
    image = tmp_path / "d.qcow2"
    qemu_img("convert", "-f", "raw", "-O", "qcow2", raw, image)
    out = tmp_path / "out.raw"
    out.write_bytes(b"\xff" * (SIZE + 12345))  # stale bytes must not survive in the holes
    with open(image, "rb") as src, open(out, "r+b") as dst:
        header = qcow2_to_raw(src, dst)
    assert header.virtual_size == SIZE
    assert out.read_bytes() == raw.read_bytes()


def test_peak_memory_is_bounded(tmp_path: Path) -> None:
    """A 4 GiB disk with 160 MiB of data, compressed and not: the converter stays small."""
    big = tmp_path / "big.raw"
    with open(big, "wb") as f:
        f.truncate(4 << 30)
        chunk = random.Random(1).randbytes(64 << 10) * 64
        for i in range(40):
            f.seek(i * 97 * MIB)
            f.write(chunk)
    for options in ([], ["-c", "-o", "compression_type=zstd,cluster_size=2M"]):
        image = tmp_path / "big.qcow2"
        qemu_img("convert", "-f", "raw", "-O", "qcow2", *options, big, image)
        rss = tmp_path / "rss"
        script = ("import sys; from butane_py.images._qcow2 import qcow2_to_raw\n"
                  "with open(sys.argv[2], 'wb') as out: qcow2_to_raw(sys.argv[1], out)")
        subprocess.run(measured([sys.executable, "-c", script, str(image), str(tmp_path / "o.raw")], rss),
                       check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert read_kib(rss) < 100 * 1024, read_kib(rss)
        assert data_map(tmp_path / "o.raw") == data_map(big)
        image.unlink()
        (tmp_path / "o.raw").unlink()


# -- refusals --------------------------------------------------------------------------------------


def refused(image: Path, tmp_path: Path) -> str:
    """The error converting ``image`` through an atomic output raises; nothing is left behind."""
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    with pytest.raises(Qcow2Error) as info:
        with writing_disk(str(out_dir / "disk.raw")) as fd:
            qcow2_to_raw(image, fd)
    assert os.listdir(out_dir) == []
    message = str(info.value)
    assert isinstance(info.value, ImageError)
    assert message and "\n" not in message and message.isprintable(), message
    return message


@pytest.fixture()
def image(raw: Path, tmp_path: Path) -> Path:
    """A small v3 image with data, zero clusters and zlib-compressed clusters."""
    path = tmp_path / "img.qcow2"
    qemu_img("convert", "-c", "-f", "raw", "-O", "qcow2", raw, path)
    qemu_io(path, "write -P 0x5a 64k 128k", "write -z 2M 1M")
    return path


def patch(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def header_field(path: Path, offset: int, fmt: str) -> int:
    with open(path, "rb") as f:
        f.seek(offset)
        return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]


def test_backing_file(tmp_path: Path) -> None:
    base = tmp_path / "base.qcow2"
    qemu_img("create", "-f", "qcow2", base, "4M")
    top = tmp_path / "top.qcow2"
    qemu_img("create", "-f", "qcow2", "-b", base, "-F", "qcow2", top)
    message = refused(top, tmp_path)
    assert "backing file" in message and str(base) in message, message


@pytest.mark.parametrize(("options", "method"), [
    ("encrypt.format=aes,encrypt.key-secret=sec0", "AES"),
    ("encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=10", "LUKS"),
])
def test_encrypted(options: str, method: str, tmp_path: Path) -> None:
    image = tmp_path / "enc.qcow2"
    argv = ["qemu-img", "create", "-q", "-f", "qcow2", "--object", "secret,id=sec0,data=secret", "-o", options,
            str(image), "4M"]
    for _ in range(3):  # qemu times its LUKS key derivation (seconds), and may find the timing off
        p = subprocess.run(argv, capture_output=True, text=True)
        if p.returncode == 0 or "Unable to get accurate CPU usage" not in p.stderr:
            break
    assert p.returncode == 0, p.stderr
    assert f"encrypted qcow2 images ({method}) are not supported" in refused(image, tmp_path)


def test_external_data_file(tmp_path: Path) -> None:
    image = tmp_path / "ext.qcow2"
    qemu_img("create", "-f", "qcow2", "-o", f"data_file={tmp_path / 'data.raw'}", image, "4M")
    assert "external data file" in refused(image, tmp_path)


@pytest.mark.parametrize(("bit", "expected"), [
    (0, "marked dirty"),
    (1, "marked corrupt"),
    (5, "incompatible features this reader does not know (bits 5)"),
    (63, "(bits 63)"),
])
def test_incompatible_feature_bits(bit: int, expected: str, image: Path, tmp_path: Path) -> None:
    features = header_field(image, 72, ">Q")
    patch(image, 72, struct.pack(">Q", features | 1 << bit))
    assert expected in refused(image, tmp_path)


def test_l1_table_beyond_the_end(image: Path, tmp_path: Path) -> None:
    patch(image, 40, struct.pack(">Q", image.stat().st_size + (1 << 16)))
    assert "L1 table" in refused(image, tmp_path)


def test_l2_table_beyond_the_end(image: Path, tmp_path: Path) -> None:
    l1 = header_field(image, 40, ">Q")
    patch(image, l1, struct.pack(">Q", (1 << 63) | (image.stat().st_size + (1 << 20))))
    assert "L2 table 0 lies beyond the end of the file" in refused(image, tmp_path)


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.999])
def test_truncated(keep: float, image: Path, tmp_path: Path) -> None:
    os.truncate(image, int(image.stat().st_size * keep))
    assert "truncated" in refused(image, tmp_path)


def test_truncated_uncompressed(raw: Path, tmp_path: Path) -> None:
    image = tmp_path / "plain.qcow2"
    qemu_img("convert", "-f", "raw", "-O", "qcow2", raw, image)
    os.truncate(image, image.stat().st_size - 4096)
    assert "truncated" in refused(image, tmp_path)


HEADER_CHANGES = {
    "magic": (0, b"QFI\xfa", "not a qcow2 image"),
    "version 1": (4, struct.pack(">I", 1), "qcow2 version 1 is not supported"),
    "version 4": (4, struct.pack(">I", 4), "qcow2 version 4 is not supported"),
    "cluster bits 8": (20, struct.pack(">I", 8), "cluster_bits 8 is outside 9..21"),
    "cluster bits 22": (20, struct.pack(">I", 22), "cluster_bits 22 is outside 9..21"),
    "cluster bits huge": (20, struct.pack(">I", 0xFFFFFFFF), "cluster_bits 4294967295"),
    "virtual size 128 TiB": (24, struct.pack(">Q", 1 << 47), "beyond the limit"),
    "virtual size 2^64-1": (24, struct.pack(">Q", (1 << 64) - 1), "beyond the limit"),
    "virtual size beyond L1": (24, struct.pack(">Q", 1 << 40), "does not cover the virtual size"),
    "L1 size huge": (36, struct.pack(">I", 0xFFFFFFFF), "larger than the file allows"),
    "L1 unaligned": (40, struct.pack(">Q", 0x30008), "is not aligned to a cluster"),
    "encryption AES": (32, struct.pack(">I", 1), "(AES) are not supported"),
    "backing offset": (8, struct.pack(">QI", 1 << 40, 10), "backing file are not supported;"),
    "header length short": (100, struct.pack(">I", 72), "header length 72"),
    "compression type 2": (104, b"\2", "compression type 2 is not supported"),
    "zstd without its bit": (104, b"\1", "disagree"),
}


@pytest.mark.parametrize(("offset", "data", "expected"), HEADER_CHANGES.values(), ids=HEADER_CHANGES.keys())
def test_altered_header(offset: int, data: bytes, expected: str, image: Path, tmp_path: Path) -> None:
    patch(image, offset, data)
    assert expected in refused(image, tmp_path)


def test_compression_bit_without_zstd(image: Path, tmp_path: Path) -> None:
    patch(image, 72, struct.pack(">Q", 1 << 3))
    assert "disagree" in refused(image, tmp_path)


def test_short_files(tmp_path: Path) -> None:
    for content, expected in ((b"", "not a qcow2 image"), (b"QFI\xfb", "header is incomplete"),
                              (b"QFI\xfb\0\0\0\3" + bytes(80), "version 3 header is incomplete")):
        path = tmp_path / "short.qcow2"
        path.write_bytes(content)
        assert is_qcow2(path) == bool(content)
        assert expected in refused(path, tmp_path)


def first_l2(image: Path) -> int:
    l1 = header_field(image, 40, ">Q")
    return header_field(image, l1, ">Q") & 0x00FF_FFFF_FFFF_FE00


def test_corrupt_compressed_cluster(image: Path, tmp_path: Path) -> None:
    entry = header_field(image, first_l2(image), ">Q")
    assert entry >> 62 & 1  # the first cluster is compressed
    host = entry & ((1 << 54) - 1)  # 64 KiB clusters: 54 offset bits
    patch(image, host, b"\xff" * 64)
    assert "does not decompress to one cluster" in refused(image, tmp_path)


def test_l2_entries(image: Path, tmp_path: Path) -> None:
    l2 = first_l2(image)
    normal = header_field(image, l2 + 8, ">Q")  # 64k: written uncompressed above
    assert not normal >> 62 & 1 and normal & 0x00FF_FFFF_FFFF_FE00
    for entry, expected in ((normal | 1 << 5, "reserved bits"), (normal | 1 << 57, "reserved bits"),
                            (normal + 512, "not aligned"),
                            (1 << 63 | ((image.stat().st_size >> 16) + 2) << 16, "beyond the end of the file")):
        patch(image, l2 + 8, struct.pack(">Q", entry))
        assert expected in refused(image, tmp_path)


def test_l1_reserved_bits(image: Path, tmp_path: Path) -> None:
    l1 = header_field(image, 40, ">Q")
    patch(image, l1, struct.pack(">Q", header_field(image, l1, ">Q") | 1 << 60))
    assert "L1 entry 0 has reserved bits set" in refused(image, tmp_path)


def test_zstd_frame_declaring_a_huge_size(tmp_path: Path) -> None:
    """A compressed cluster whose zstd frame claims 1 TiB of content is refused, not allocated."""
    image = tmp_path / "z.qcow2"
    qemu_img("create", "-f", "qcow2", "-o", "compression_type=zstd", image, "1M")
    qemu_io(image, "write -c -P 0x42 0 64k")
    entry = header_field(image, first_l2(image), ">Q")
    host = entry & ((1 << 54) - 1)
    frame = header_field(image, host, "<I")
    assert frame == 0xFD2FB528  # a zstd frame
    # Frame header descriptor: content size present (8 bytes), single segment.
    patch(image, host + 4, b"\xe0" + struct.pack("<Q", 1 << 40))
    assert "does not decompress to one cluster" in refused(image, tmp_path)


def test_inflate_bomb_is_bounded(tmp_path: Path) -> None:
    """A deflate stream that would inflate far beyond a cluster yields at most one cluster."""
    image = tmp_path / "bomb.qcow2"
    qemu_img("create", "-f", "qcow2", image, "1M")
    qemu_io(image, "write -c -P 0x42 0 64k")
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = bomb.compress(bytes(64 << 20)) + bomb.flush()
    with open(image, "r+b") as f:
        f.seek(0, 2)
        at = f.tell()
        f.write(data)
    sectors = (at % 512 + len(data) + 511) // 512 - 1
    patch(image, first_l2(image), struct.pack(">Q", 1 << 62 | sectors << 54 | at))
    out = tmp_path / "out.raw"
    convert(image, out)
    assert out.read_bytes() == bytes(1 << 20)


def test_tables_named_over_and_over(tmp_path: Path) -> None:
    """A small file whose L1 entries all name one L2 table, or whose L2 entries all name one
    data cluster, would take hours or fill the disk: both are refused up front."""
    image = tmp_path / "l1.qcow2"
    qemu_img("create", "-f", "qcow2", image, "64G")
    qemu_io(image, "write -P 0x42 0 64k")
    l1 = header_field(image, 40, ">Q")
    patch(image, l1, struct.pack(">Q", header_field(image, l1, ">Q")) * 128)
    assert "names more L2 tables than the file holds" in refused(image, tmp_path)

    image = tmp_path / "l2.qcow2"
    qemu_img("create", "-f", "qcow2", image, "64M")
    qemu_io(image, "write -P 0x42 0 64k")
    l2 = first_l2(image)
    patch(image, l2, struct.pack(">Q", header_field(image, l2, ">Q")) * 1024)
    assert "name more data than the file holds" in refused(image, tmp_path)


def test_not_over_its_own_image(image: Path) -> None:
    with open(image, "r+b") as f, pytest.raises(Qcow2Error, match="over its own qcow2 image"):
        qcow2_to_raw(image, f)
    assert is_qcow2(image)


def test_output_must_be_a_regular_file_not_appended(image: Path, tmp_path: Path) -> None:
    with open(tmp_path / "out.raw", "ab") as f, pytest.raises(Qcow2Error, match="open for appending"):
        qcow2_to_raw(image, f)
    with open(os.devnull, "wb") as f, pytest.raises(Qcow2Error, match="must be written to a regular file"):
        qcow2_to_raw(image, f)


def test_missing_image(tmp_path: Path) -> None:
    with pytest.raises(Qcow2Error, match="cannot open: no such file or directory"):
        read_header(tmp_path / "absent.qcow2")


def test_random_corruption_never_escapes(raw: Path, tmp_path: Path) -> None:
    """Bytes of the header, L1 and L2 tables overwritten at random: each conversion succeeds
    or raises Qcow2Error, nothing else."""
    image = tmp_path / "small.qcow2"
    small = tmp_path / "small.raw"
    with open(raw, "rb") as f:
        small.write_bytes(f.read(6 * MIB))
    qemu_img("convert", "-c", "-f", "raw", "-O", "qcow2", small, image)
    qemu_io(image, "write -P 0x5a 64k 128k", "write -z 2M 1M")
    pristine = image.read_bytes()
    l1 = header_field(image, 40, ">Q")
    l2 = first_l2(image)
    areas = [(0, 112), (l1, l1 + 8), (l2, l2 + 4096), (l2, l2 + 8 * 100)]
    rng = random.Random(1717)
    # Patched in place and restored, written to one open output: truncating and unlinking
    # files is slow on a filesystem mounted with discard.
    outcomes = {"ok": 0, "refused": 0}
    with open(image, "r+b") as f, open(tmp_path / "fuzz.raw", "wb") as out:
        for _ in range(300):
            changed = {}
            for _ in range(rng.choice((1, 1, 2, 4))):
                start, end = rng.choice(areas)
                at = rng.randrange(start, end)
                old = changed.setdefault(at, pristine[at])
                changed[at] = rng.randrange(256) if rng.random() < 0.7 else old ^ (1 << rng.randrange(8))
            for at, value in changed.items():
                os.pwrite(f.fileno(), bytes([value]), at)
            try:
                qcow2_to_raw(image, out)
                outcomes["ok"] += 1
            except Qcow2Error as exc:
                assert "\n" not in str(exc)
                outcomes["refused"] += 1
            for at in changed:
                os.pwrite(f.fileno(), pristine[at : at + 1], at)
    assert outcomes["ok"] > 30 and outcomes["refused"] > 30, outcomes


# -- signals mid-conversion ----------------------------------------------------------------------

# Every read of the image is slowed down, so that the signal lands while the raw disk is being
# written: into a named temporary file beside the destination, which the caller (``replacing``,
# without any signal handling of its own) removes as the exception unwinds.
SIGNAL_CHILD = """
import os, sys, time
import butane_py.io
from butane_py.images._qcow2 import qcow2_to_raw

image, dst = sys.argv[1:3]
butane_py.io._unnamed = lambda dir_fd: None  # a temporary file the test can see
def slow(read):
    def slowly(*args):
        time.sleep(0.05)
        return read(*args)
    return slowly
os.pread, os.preadv = slow(os.pread), slow(os.preadv)
def main():
    with butane_py.io.replacing(dst) as fd:
        qcow2_to_raw(image, fd)
""" + AS_A_PROGRAM


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
@pytest.mark.parametrize("options", [[], ["-c"]], ids=["plain", "zlib"])
def test_signal_mid_conversion(signum: int, options: list[str], raw: Path, tmp_path: Path) -> None:
    """The temporary raw disk is gone, the destination is untouched, and the process ends
    quietly with the signal's status, its writing and inflating threads stopped."""
    image = tmp_path / "d.qcow2"
    qemu_img("convert", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=4096", *options, raw, image)
    out = tmp_path / "out"
    out.mkdir()
    dst = out / "disk.raw"
    dst.write_bytes(b"the disk before")

    def started() -> bool:  # the temporary file has data in it
        return any(f.name != "disk.raw" and f.stat().st_blocks for f in out.iterdir())

    status, err = interrupt(SIGNAL_CHILD, [image, dst], started, signum)
    assert_quiet_exit(signum, status, err)
    assert os.listdir(out) == ["disk.raw"] and dst.read_bytes() == b"the disk before"
