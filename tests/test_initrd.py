"""Initrds: reading coreos-installer's edge-case fixtures, and the exact archive layout we write,
cross-checked with GNU cpio, gzip, xz and zstd."""

from __future__ import annotations

import gzip
import hashlib
import lzma
import os
import subprocess
from pathlib import Path

import pytest
import zstandard

import butane_py.errors
from butane_py import embed

from .conftest import THIRD_PARTY

INITRD = THIRD_PARTY / "coreos-installer" / "initrd"


def fixture(name: str) -> bytes:
    data = (INITRD / name).read_bytes()
    return lzma.decompress(data) if name.endswith(".xz") else data


def parse_newc(data: bytes) -> list[dict]:
    """An independent reading of newc headers, keeping every field."""
    names = ("ino", "mode", "uid", "gid", "nlink", "mtime", "filesize", "devmajor", "devminor", "rdevmajor",
             "rdevminor", "namesize", "check")
    out, pos = [], 0
    while True:
        assert data[pos : pos + 6] == b"070701"
        fields = {n: int(data[pos + 6 + 8 * i : pos + 14 + 8 * i], 16) for i, n in enumerate(names)}
        name_at = pos + 110
        fields["name"] = data[name_at : name_at + fields["namesize"] - 1].decode()
        assert data[name_at + fields["namesize"] - 1] == 0
        body_at = name_at + fields["namesize"]
        body_at += -body_at % 4
        fields["body"] = data[body_at : body_at + fields["filesize"]]
        fields["offset"] = pos
        out.append(fields)
        pos = body_at + fields["filesize"]
        pos += -pos % 4
        if fields["name"] == "TRAILER!!!":
            assert pos == len(data), "nothing follows the trailer"
            return out


def test_concatenated_compressed_archives() -> None:
    members = embed.read_members(fixture("compressed.img.xz"))
    expected = {}
    for kind in ("uncompressed-1", "uncompressed-2", "gzip", "xz", "zstd"):
        expected[f"{kind}/hello"] = b"HELLO\n"
        expected[f"{kind}/world"] = b"WORLD\n"
    assert members == expected


def test_last_copy_wins() -> None:
    assert embed.read_members(fixture("redundant.img.xz"))["data/file"] == b"third\n"


def test_padded_names() -> None:
    members = embed.read_members(fixture("padded-names.img.xz"))
    assert members == {"dir/hello": b"z" * 5000, "dir/world": b"q" * 4500}


def test_glob_filter() -> None:
    data = fixture("compressed.img.xz")
    assert sorted(embed.read_members(data, ["gzip/*"])) == ["gzip/hello", "gzip/world"]
    assert len(embed.read_members(data, ["*/hello"])) == 5
    assert embed.read_members(data, ["z"]) == {}


@pytest.mark.parametrize("name", ["traversal-absolute.img", "traversal-relative.img"])
def test_traversal_is_never_written_outside(name: str, tmp_path: Path) -> None:
    members = embed.read_members(fixture(name))
    [member] = members
    assert member.startswith("/") or member.startswith("..")
    target = tmp_path / "out"
    with pytest.raises(embed.UnsafePathError, match="outside"):
        embed.extract_files(members, str(target))
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    with pytest.raises(embed.NothingEmbeddedError):
        embed.pxe_unwrap(fixture(name))


def test_layout_matches_coreos_installer() -> None:
    """Sorted paths, parents before files (040755), files 0100600, ino = index, zeros elsewhere."""
    data = embed.cpio_bytes({"c/f": b"", "c/a/b/d/f": b"", "d": b"1", "c/g": b"22", "c/a/c/f": b"333",
                             "a/b/c/d/e/f": b"4444"})
    entries = parse_newc(data)
    assert [(e["mode"] == 0o40755, e["name"]) for e in entries[:-1]] == [
        (True, "a"), (True, "a/b"), (True, "a/b/c"), (True, "a/b/c/d"), (True, "a/b/c/d/e"), (False, "a/b/c/d/e/f"),
        (True, "c"), (True, "c/a"), (True, "c/a/b"), (True, "c/a/b/d"), (False, "c/a/b/d/f"), (True, "c/a/c"),
        (False, "c/a/c/f"), (False, "c/f"), (False, "c/g"), (False, "d"),
    ]
    for i, e in enumerate(entries[:-1]):
        assert e["ino"] == i
        assert e["mode"] in (0o40755, 0o100600)
        assert (e["uid"], e["gid"], e["mtime"], e["nlink"], e["check"]) == (0, 0, 0, 1, 0)
        assert e["offset"] % 4 == 0
    trailer = entries[-1]
    assert (trailer["ino"], trailer["mode"], trailer["nlink"], trailer["filesize"]) == (0, 0, 1, 0)
    assert entries[5]["body"] == b"4444"


def test_gnu_cpio_reads_our_archive(tmp_path: Path) -> None:
    members = {"config.ign": b'{"ignition":{"version":"3.4.0"}}\n',
               "etc/coreos-firstboot-network/eth0.nmconnection": b"[connection]\n"}
    listing = subprocess.run(["cpio", "-itv", "--quiet"], input=embed.cpio_bytes(members), capture_output=True,
                             check=True).stdout.decode()
    lines = listing.splitlines()
    assert [line.split()[-1] for line in lines] == [
        "config.ign", "etc", "etc/coreos-firstboot-network", "etc/coreos-firstboot-network/eth0.nmconnection"]
    assert lines[0].startswith("-rw-------") and lines[1].startswith("drwxr-xr-x")
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["cpio", "-id", "--quiet"], input=embed.cpio_bytes(members), cwd=out, check=True)
    assert (out / "config.ign").read_bytes() == members["config.ign"]
    assert oct((out / "config.ign").stat().st_mode & 0o777) == "0o600"


def test_wrap_unwrap_round_trip(tmp_path: Path) -> None:
    config = b'{"ignition":{"version":"3.4.0"}}'
    wrapped = embed.pxe_wrap(config)
    assert wrapped.startswith(b"\xfd7zXZ\x00")
    assert lzma.LZMADecompressor().decompress(wrapped) and _xz_check(wrapped) == lzma.CHECK_CRC32
    assert embed.pxe_unwrap(wrapped) == config
    via_tools = subprocess.run("xz -dc | cpio -i --to-stdout --quiet config.ign", shell=True, input=wrapped,
                               capture_output=True, check=True).stdout
    assert via_tools == config
    # appended to a live initramfs made of other compressions, the last config wins
    newer = b'{"ignition":{"version":"3.5.0"}}'
    other = embed.cpio_bytes({"usr/lib/x": b"y" * 1000})
    stacked = (gzip.compress(other) + b"\0" * 512 + zstandard.ZstdCompressor().compress(other) + wrapped
               + bytes(3) + embed.to_bytes({"config.ign": newer}, "gzip") + other)
    assert embed.pxe_unwrap(stacked) == newer


def _xz_check(data: bytes) -> int:
    # Stream flags, byte 7 of the header: the check type.
    return data[7] & 0x0F


def test_flatcar_oem_initrd() -> None:
    image = embed.flatcar_oem_initrd(b"{}")
    assert image[:2] == b"\x1f\x8b"
    listing = subprocess.run("gzip -dc | cpio -it --quiet", shell=True, input=image, capture_output=True,
                             check=True).stdout.decode().split()
    assert listing == ["usr", "usr/share", "usr/share/oem", "usr/share/oem/config.ign"]
    assert embed.read_members(image) == {"usr/share/oem/config.ign": b"{}"}
    # The bytes written before the distributor's configs existed, unchanged.
    assert hashlib.sha256(image).hexdigest() == "5b4d3cc29960737ba39c9cd9529d17a44b192cf59d9314b2ed41e239a6d95869"


def test_flatcar_oem_initrd_distributor_configs() -> None:
    image = embed.flatcar_oem_initrd(base=b"{}", cloud_config=b"#cloud-config \r\nhostname: a\n")
    assert embed.read_members(image) == {"usr/share/oem/base/base.ign": b"{}",
                                         "usr/share/oem/cloud-config.yml": b"#cloud-config \r\nhostname: a\n"}
    listing = subprocess.run("gzip -dc | cpio -itv --quiet", shell=True, input=image, capture_output=True,
                             check=True).stdout.decode().splitlines()
    assert [(line.split()[0], line.split()[-1]) for line in listing] == [
        ("drwxr-xr-x", "usr"), ("drwxr-xr-x", "usr/share"), ("drwxr-xr-x", "usr/share/oem"),
        ("drwxr-xr-x", "usr/share/oem/base"), ("-rw-------", "usr/share/oem/base/base.ign"),
        ("-rw-------", "usr/share/oem/cloud-config.yml"),
    ]
    with pytest.raises(butane_py.errors.UsageError, match="nothing to put in the OEM initrd"):
        embed.flatcar_oem_initrd()
    for bad, message in ((b"hostname: a\n", "must start with a '#cloud-config' line"),
                         (b"#cloud-config-x\n", "must start with a '#cloud-config' line"),
                         (b"#cloud-config\n\xff", "not UTF-8 text")):
        with pytest.raises(butane_py.errors.ConfigError, match=message):
            embed.flatcar_oem_initrd(b"{}", cloud_config=bad)


def test_bad_archives() -> None:
    with pytest.raises(embed.InitrdError, match="unknown initrd format"):
        embed.read_members(b"hello world")
    wrapped = embed.pxe_wrap(b"{}")
    with pytest.raises(embed.InitrdError):
        embed.read_members(wrapped[: len(wrapped) // 2])
    with pytest.raises(embed.InitrdError, match="trailing garbage"):
        embed.read_members(lzma.compress(embed.cpio_bytes({"a": b"b"}) + b"junk", check=lzma.CHECK_CRC32))
    assert embed.read_members(b"\0" * 1024) == {}
    assert os.path.basename(embed.safe_member_path("/x", "a/b")) == "b"


GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "embed" / "initrd"


@pytest.mark.parametrize("case", sorted(p.stem for p in GOLDEN.glob("*.json")))
def test_archive_bytes_match_coreos_installer(case: str) -> None:
    import json

    members = {k: v.encode() for k, v in json.loads((GOLDEN / f"{case}.json").read_text()).items()}
    expected = (GOLDEN / f"{case}.cpio.xz").read_bytes()
    assert embed.to_bytes(members) == expected
    assert embed.read_members(expected) == members


def test_flushes_matter() -> None:
    """The recorded archives are not what a single lzma.compress call makes: the per-file flushes
    of coreos-installer's writer are reproduced, not just the archive's contents."""
    import json

    members = {k: v.encode() for k, v in json.loads((GOLDEN / "nested-directories.json").read_text()).items()}
    plain = lzma.compress(embed.cpio_bytes(members), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, preset=9)
    assert plain != (GOLDEN / "nested-directories.cpio.xz").read_bytes()
    assert lzma.decompress(plain) == lzma.decompress((GOLDEN / "nested-directories.cpio.xz").read_bytes())



def test_xz_container_is_read_by_xz() -> None:
    """Several blocks, each checked: xz itself lists and decodes them."""
    members = {f"f{i}": b"x" * i for i in range(1, 9)}  # sizes 1..8: six padded files, so seven blocks
    data = embed.to_bytes(members)
    listing = subprocess.run(["xz", "--robot", "--list", "--verbose", "-"], input=data, capture_output=True)
    if listing.returncode != 0:  # older xz cannot list standard input
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".xz") as f:
            f.write(data)
            f.flush()
            listing = subprocess.run(["xz", "--robot", "--list", "--verbose", f.name], capture_output=True,
                                     check=True)
    blocks = [line for line in listing.stdout.decode().splitlines() if line.startswith("block")]
    assert len(blocks) == 7 and all("CRC32" in b for b in blocks)
    assert subprocess.run(["xz", "-dc"], input=data, capture_output=True, check=True).stdout == embed.cpio_bytes(members)


def test_both_encoders_give_the_same_bytes(monkeypatch) -> None:
    """liblzma through ctypes (fast) and the lzma module (fallback) write identical streams."""
    import json

    from butane_py.embed import _xz

    assert _xz._liblzma_encoder() is not None, "liblzma loads on Linux"
    members = {k: v.encode() for k, v in json.loads((GOLDEN / "config-and-keyfiles.json").read_text()).items()}
    monkeypatch.setattr(_xz, "_encoder", None)
    assert embed.to_bytes(members) == (GOLDEN / "config-and-keyfiles.cpio.xz").read_bytes()
    big = os.urandom(300_000) + b"a" * 300_000
    fallback = _xz.xz_blocks([big])
    monkeypatch.setattr(_xz, "_encoder", False)
    assert _xz.xz_blocks([big]) == fallback
    assert lzma.decompress(fallback) == big


def test_installer_yaml_reads_back_as_strings() -> None:
    """Values a YAML reader would take for a mapping, comment, number or boolean are quoted."""
    from ruamel.yaml import YAML

    values = ["ip=10.0.0.2::10.0.0.1:255.255.255.0:myhost:ens2:none:", "a\t#b", "a #b", "1", "true", "0x1F",
              "1e3", ".inf", "- x", "a: b", "'q'", "x'y", "", "#c", "console=ttyS0,115200n8", "é", "yes"]
    text = embed.installer_yaml({"append-karg": values, "dest-device": "/dev/sda", "copy-network": True})
    assert YAML(typ="safe").load(text) == {"append-karg": values, "dest-device": "/dev/sda", "copy-network": True}
    assert text.startswith(b"append-karg:\n- 'ip=10.0.0.2::10.0.0.1:255.255.255.0:myhost:ens2:none:'\n")
    assert b"\n- console=ttyS0,115200n8\n" in text and b"\ndest-device: /dev/sda\n" in text
