"""ISO embedding on every fixture image of coreos-installer (2020 to 2023 layouts, x86_64 and
s390x), cross-checked with dd, xz and cpio."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from butane_py import embed

from ._isos import KARGS_ISOS, LIVE_ISOS, NETWORK_ISOS, pristine, working_copy
from .conftest import THIRD_PARTY

CONFIG = b'{"ignition": {"version": "3.0.0"}}\n'


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(params=LIVE_ISOS)
def iso(request, iso_cache, tmp_path) -> Path:
    return working_copy(request.param, iso_cache, tmp_path)


def area_bytes(path: Path, offset: int, length: int) -> bytes:
    """The area as dd reads it."""
    return subprocess.run(
        ["dd", f"if={path}", f"skip={offset}", f"count={length}", "iflag=skip_bytes,count_bytes", "bs=65536",
         "status=none"], check=True, capture_output=True).stdout


def cpio_extract(area: bytes, member: str) -> bytes:
    """xz -dc | cpio -i --to-stdout MEMBER, with the real tools."""
    xz = subprocess.run(["xz", "-dc"], input=area, check=True, capture_output=True).stdout
    return subprocess.run(["cpio", "-i", "--to-stdout", "--quiet", member], input=xz, check=True,
                          capture_output=True).stdout


def test_every_layout_is_found() -> None:
    assert len(LIVE_ISOS) == 10
    assert any("s390x" in n for n in LIVE_ISOS)


def test_embed_show_and_cross_check(iso: Path) -> None:
    orig = sha(iso)
    embed.ignition_embed(str(iso), CONFIG)
    assert embed.ignition_show(str(iso)) == CONFIG
    info = embed.describe(str(iso))["ignition"]
    assert info["length"] == 262144
    area = area_bytes(iso, info["offset"], info["length"])
    assert cpio_extract(area, "config.ign") == CONFIG
    stream = iso.parent / "area.xz"
    stream.write_bytes(area.rstrip(b"\0"))
    listing = subprocess.run(["xz", "--robot", "--list", str(stream)], capture_output=True, text=True, check=True)
    assert "\tCRC32\t" in listing.stdout, "the kernel's decoder needs a CRC32 check"
    stream.unlink()
    embed.ignition_remove(str(iso))
    assert sha(iso) == orig, "removing the config restores the original image"


def test_three_outputs_are_identical(iso: Path, tmp_path: Path) -> None:
    orig = sha(iso)
    streamed = io.BytesIO()
    embed.ignition_embed(str(iso), CONFIG, "-", stdout=streamed)
    copy = tmp_path / "copy.iso"
    embed.ignition_embed(str(iso), CONFIG, str(copy))
    assert sha(iso) == orig, "-o never touches the input"
    embed.ignition_embed(str(iso), CONFIG)
    hashes = {hashlib.sha256(streamed.getvalue()).hexdigest(), sha(copy), sha(iso)}
    assert len(hashes) == 1
    assert orig not in hashes
    # remove, in all three ways, gives the original back
    out = io.BytesIO()
    embed.ignition_remove(str(iso), "-", stdout=out)
    assert hashlib.sha256(out.getvalue()).hexdigest() == orig
    removed = tmp_path / "removed.iso"
    embed.ignition_remove(str(iso), str(removed))
    assert sha(removed) == orig
    embed.ignition_remove(str(iso))
    assert sha(iso) == orig


def test_existing_config_needs_force(iso: Path, tmp_path: Path) -> None:
    embed.ignition_embed(str(iso), CONFIG)
    before = sha(iso)
    for output in (None, str(tmp_path / "o.iso"), "-"):
        sink = io.BytesIO()
        with pytest.raises(embed.AlreadyCustomizedError, match="already has an embedded Ignition config"):
            embed.ignition_embed(str(iso), b"{}", output, stdout=sink)
        assert sink.getvalue() == b""
    assert sha(iso) == before
    assert not (tmp_path / "o.iso").exists()
    embed.ignition_embed(str(iso), b"{}\n", force=True)
    assert embed.ignition_show(str(iso)) == b"{}\n"


def test_too_large_config_changes_nothing(iso: Path, tmp_path: Path) -> None:
    big = b'{"ignition":{"version":"3.0.0"},"x":"' + __import__("base64").b64encode(os.urandom(262_144)) + b'"}'
    before = sha(iso)
    for output in (None, str(tmp_path / "o.iso"), "-"):
        sink = io.BytesIO()
        with pytest.raises(embed.AreaFullError) as err:
            embed.ignition_embed(str(iso), big, output, stdout=sink)
        assert str(err.value).startswith("config too large for embed area: ")
        assert str(err.value).endswith(" > 262144 bytes")
        assert sink.getvalue() == b""
    assert sha(iso) == before
    assert os.listdir(tmp_path) == [iso.name], "no output or temporary file is left"


def test_network_keyfiles(iso: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.nmconnection"
    one.write_text("foo=baz\n")
    two = tmp_path / "two.nmconnection"
    two.write_text("bar=baz\n")
    if iso.name not in NETWORK_ISOS:
        with pytest.raises(embed.UnsupportedError, match="does not support customizing network"):
            embed.network_embed(str(iso), [str(one)])
        return
    orig = sha(iso)
    embed.network_embed(str(iso), [str(one), str(two)])
    with pytest.raises(embed.NothingEmbeddedError, match="No embedded Ignition config"):
        embed.ignition_show(str(iso))
    with pytest.raises(embed.AlreadyCustomizedError, match="network settings"):
        embed.network_embed(str(iso), [str(one)])
    embed.ignition_embed(str(iso), CONFIG)  # keeps the keyfiles
    assert embed.network_files(str(iso)) == {"one.nmconnection": b"foo=baz\n", "two.nmconnection": b"bar=baz\n"}
    info = embed.describe(str(iso))["ignition"]
    area = area_bytes(iso, info["offset"], info["length"])
    assert cpio_extract(area, "etc/coreos-firstboot-network/two.nmconnection") == b"bar=baz\n"
    out = tmp_path / "extracted"
    written = embed.extract_files(embed.network_files(str(iso)), str(out))
    assert sorted(os.listdir(out)) == ["one.nmconnection", "two.nmconnection"] and len(written) == 2
    with pytest.raises(embed.OutputError, match="already exists"):
        embed.extract_files(embed.network_files(str(iso)), str(out))
    embed.ignition_remove(str(iso))
    embed.network_remove(str(iso))
    assert sha(iso) == orig, "an emptied area is zeroed, not an empty archive"


@pytest.mark.parametrize("name", KARGS_ISOS)
def test_kargs(name: str, iso_cache, tmp_path: Path) -> None:
    iso = working_copy(name, iso_cache, tmp_path)
    orig = sha(iso)
    default = embed.kargs_show(str(iso), default=True)
    assert embed.kargs_show(str(iso)) == default
    assert "ignition.platform.id=metal" in default
    streamed = io.BytesIO()
    embed.kargs_modify(str(iso), append=["foobar=oldval", "dodo"], output="-", stdout=streamed)
    embed.kargs_modify(str(iso), append=["foobar=oldval", "dodo"])
    assert embed.kargs_show(str(iso)) == default + " foobar=oldval dodo"
    assert hashlib.sha256(streamed.getvalue()).hexdigest() == sha(iso)
    embed.kargs_modify(str(iso), replace=["foobar=oldval=newval"])
    assert embed.kargs_show(str(iso)).endswith(" foobar=newval dodo")
    embed.kargs_modify(str(iso), delete=["foobar=newval", "dodo"])
    assert sha(iso) == orig
    # the bytes of every area: kargs, the end character, then padding
    embed.kargs_modify(str(iso), append=["foobar=val"])
    info = embed.describe(str(iso))["kargs"]
    for area in info["areas"]:
        raw = area_bytes(iso, area["offset"], area["length"])
        text = (default + " foobar=val").encode()
        end, pad = area.get("end", "\n").encode(), area.get("pad", "#").encode()
        assert raw == text + end + pad * (area["length"] - len(text) - 1)
    # the largest argument that fits, and one byte more
    usable = info["size"] - len(default) - 1 - 1
    embed.kargs_reset(str(iso))
    embed.kargs_modify(str(iso), append=["k" * usable])
    embed.kargs_reset(str(iso))
    with pytest.raises(embed.AreaFullError, match="kargs too large for area"):
        embed.kargs_modify(str(iso), append=["k" * (usable + 1)])
    assert sha(iso) == orig
    embed.kargs_modify(str(iso), append=["x"])
    out = tmp_path / "reset.iso"
    embed.kargs_reset(str(iso), str(out))
    assert sha(out) == orig


def test_kargs_on_images_without_areas(iso_cache, tmp_path: Path) -> None:
    for name in sorted(set(LIVE_ISOS) - set(KARGS_ISOS)):
        iso = working_copy(name, iso_cache, tmp_path)
        with pytest.raises(embed.UnsupportedError, match="No karg embed areas"):
            embed.kargs_show(str(iso))


def test_known_layout_offsets(iso_cache) -> None:
    """The areas are where coreos-installer finds them (its own unit test's numbers)."""
    info = embed.describe(str(pristine("embed-areas-2021-09.iso", iso_cache)))
    assert (info["ignition"]["offset"], info["ignition"]["length"]) == (102400, 262144)
    assert [(a["offset"], a["length"]) for a in info["kargs"]["areas"]] == [(98126, 1139), (371658, 1139)]
    s390x = embed.describe(str(pristine("embed-areas-2023-07.s390x.iso", iso_cache)))
    assert s390x["ignition"]["found_by"] == "igninfo.json"
    assert s390x["kargs"]["areas"][0]["pad"] == "\0"


def test_legacy_coreiso_header(iso_cache, tmp_path: Path) -> None:
    """Without images/ignition.img the coreiso+ header at byte 32744 locates the area."""
    iso = working_copy("embed-areas-2020-09.iso", iso_cache, tmp_path)
    want = embed.describe(str(iso))["ignition"]
    data = bytearray(iso.read_bytes())
    assert data[32744:32752] == b"coreiso+"
    at = data.find(b"IGNITION.IMG;1")
    assert at > 0
    data[at : at + 8] = b"IGNXXXON"  # hide the file from the directory
    iso.write_bytes(bytes(data))
    got = embed.describe(str(iso))["ignition"]
    assert got["found_by"] == "coreiso+ header"
    assert (got["offset"], got["length"]) == (want["offset"], want["length"])
    embed.ignition_embed(str(iso), CONFIG)
    assert embed.ignition_show(str(iso)) == CONFIG


def test_legacy_corekarg_header(iso_cache, tmp_path: Path) -> None:
    iso = working_copy("embed-areas-2021-01.iso", iso_cache, tmp_path)
    assert embed.describe(str(iso))["kargs"]["found_by"] == "coreKarg header"
    # 2021-09 has both: with kargs.json the header is not needed, and zeroing it changes nothing.
    iso2 = working_copy("embed-areas-2021-09.iso", iso_cache, tmp_path)
    before = embed.describe(str(iso2))["kargs"]
    with open(iso2, "r+b") as f:
        f.seek(32672)
        f.write(bytes(8))
    assert embed.describe(str(iso2))["kargs"]["areas"] == before["areas"]


def test_no_embed_area(iso_cache, tmp_path: Path) -> None:
    import lzma

    iso = tmp_path / "synthetic.iso"
    iso.write_bytes(lzma.decompress((THIRD_PARTY / "coreos-installer/iso/synthetic.iso.xz").read_bytes()))
    before = sha(iso)
    with pytest.raises(embed.NoEmbedAreaError, match="not a CoreOS live ISO"):
        embed.ignition_embed(str(iso), CONFIG)
    assert sha(iso) == before


def test_flatcar_iso_points_to_pxe(tmp_path: Path) -> None:
    """A Flatcar-like ISO (built with xorriso) has no embed area; the error names the OEM route."""
    root = tmp_path / "root"
    (root / "flatcar").mkdir(parents=True)
    (root / "flatcar" / "vmlinuz").write_bytes(b"kernel")
    iso = tmp_path / "flatcar.iso"
    subprocess.run(["xorriso", "-as", "mkisofs", "-V", "Flatcar", "-o", str(iso), str(root)], check=True,
                   capture_output=True)
    with pytest.raises(embed.NoEmbedAreaError, match="--flatcar CHANNEL --pxe"):
        embed.ignition_embed(str(iso), CONFIG)


def test_truncated_image(iso_cache, tmp_path: Path) -> None:
    iso = working_copy("embed-areas-2023-07.x86_64.iso", iso_cache, tmp_path)
    size = iso.stat().st_size
    os.truncate(iso, size // 2)
    before = sha(iso)
    with pytest.raises(embed.IncompleteImageError, match="incomplete"):
        embed.ignition_embed(str(iso), CONFIG)
    assert sha(iso) == before
    os.truncate(iso, 40000)  # inside the directory tree
    with pytest.raises(embed.ImageFormatError):
        embed.ignition_embed(str(iso), CONFIG)


def test_output_never_clobbers(iso_cache, tmp_path: Path) -> None:
    iso = working_copy("embed-areas-2023-07.x86_64.iso", iso_cache, tmp_path)
    out = tmp_path / "out.iso"
    out.write_bytes(b"precious")
    with pytest.raises(embed.OutputError, match="already exists; use --force"):
        embed.ignition_embed(str(iso), CONFIG, str(out))
    assert out.read_bytes() == b"precious"
    embed.ignition_embed(str(iso), CONFIG, str(out), force=True)
    assert embed.ignition_show(str(out)) == CONFIG
    assert sorted(os.listdir(tmp_path)) == sorted([iso.name, "out.iso"])


def test_sparse_copy_keeps_holes(iso_cache, tmp_path: Path) -> None:
    """-o copies data extents only: a mostly-empty 1 GiB image stays sparse."""
    iso = working_copy("embed-areas-2023-07.x86_64.iso", iso_cache, tmp_path)
    os.truncate(iso, 1 << 30)
    out = tmp_path / "out.iso"
    embed.ignition_embed(str(iso), CONFIG, str(out))
    assert out.stat().st_size == 1 << 30
    assert out.stat().st_blocks * 512 < 64 << 20
    embed.ignition_remove(str(out), force=True)
    assert sha(out) == sha(iso)


def test_customize_dest_device(iso_cache, tmp_path: Path) -> None:
    """--dest-device: the config becomes /etc/coreos/dest.ign and an installer config names the disk."""
    import base64
    import gzip

    from butane_py.ignition import parse_config

    iso = working_copy("embed-areas-2023-07.x86_64.iso", iso_cache, tmp_path)
    key = tmp_path / "eth0.nmconnection"
    key.write_text("[connection]\nid=eth0\n")
    ca = THIRD_PARTY / "coreos-installer/customize/cert.pem"
    custom = embed.Customization(config=CONFIG, dest_device="/dev/sda", dest_karg_append=["console=ttyS0"],
                                 network_keyfiles=[str(key)], ignition_ca=[str(ca)], live_karg_append=["quiet"])
    out = tmp_path / "installer.iso"
    embed.customize(str(iso), custom, str(out))
    live = embed.ignition_show(str(out))
    parsed = parse_config(live)
    assert parsed.ok and not parsed.report.entries, parsed.report.reference_text()
    doc = json.loads(live)
    assert doc["ignition"]["version"] == "3.3.0"
    files = {f["path"]: f for f in doc["storage"]["files"]}

    def contents(f):
        assert f["contents"]["compression"] == "gzip"
        return gzip.decompress(base64.b64decode(f["contents"]["source"].split(",", 1)[1]))

    dest = files["/etc/coreos/dest.ign"]
    assert dest["mode"] == 0o600
    dest_doc = json.loads(contents(dest))
    assert dest_doc["ignition"]["config"]["merge"], "the user config is merged under the CA wrapper"
    assert contents(files["/etc/coreos/installer.d/0000-customize.yaml"]) == (
        b"ignition-file: /etc/coreos/dest.ign\nappend-karg:\n- console=ttyS0\ncopy-network: true\n"
        b"dest-device: /dev/sda\n"
    )
    cas = doc["ignition"]["security"]["tls"]["certificateAuthorities"]
    assert gzip.decompress(base64.b64decode(cas[0]["source"].split(",", 1)[1])) == ca.read_bytes()
    assert embed.network_files(str(out)) == {"eth0.nmconnection": b"[connection]\nid=eth0\n"}
    assert embed.kargs_show(str(out)).endswith(" quiet")
    with pytest.raises(embed.AlreadyCustomizedError, match="already customized"):
        embed.customize(str(out), custom, None)


def test_customize_without_installer_feature(iso_cache, tmp_path: Path) -> None:
    iso = working_copy("embed-areas-2021-09.iso", iso_cache, tmp_path)
    before = sha(iso)
    with pytest.raises(embed.UnsupportedError, match="installer configuration"):
        embed.customize(str(iso), embed.Customization(config=CONFIG, dest_device="/dev/vda"))
    assert sha(iso) == before


def test_extract_pxe(iso: Path, tmp_path: Path) -> None:
    out = tmp_path / "pxe"
    written = embed.extract_pxe(str(iso), str(out))
    names = sorted(Path(p).name for p in written)
    stem = iso.stem
    assert f"{stem}-vmlinuz" in names and f"{stem}-initrd.img" in names and f"{stem}-rootfs.img" in names
    listing = subprocess.run(["xorriso", "-indev", str(iso), "-find", "/images/pxeboot", "-type", "f"],
                             capture_output=True, text=True, check=True).stdout
    assert len([x for x in listing.splitlines() if x.strip()]) == len(written)
    for path in written:
        name = Path(path).name[len(stem) + 1 :]
        extracted = subprocess.run(
            ["xorriso", "-osirrox", "on", "-indev", str(iso), "-extract", f"/images/pxeboot/{name}",
             str(tmp_path / "x")], capture_output=True, check=True)
        assert extracted.returncode == 0
        assert (tmp_path / "x").read_bytes() == Path(path).read_bytes()
        (tmp_path / "x").chmod(0o600)
        (tmp_path / "x").unlink()
    with pytest.raises(embed.OutputError, match="already exists"):
        embed.extract_pxe(str(iso), str(out))


def embedded_files(live_config: bytes) -> dict[str, bytes]:
    """The files of a live config made by customize, decoded from their gzip data URLs."""
    import base64
    import gzip

    out = {}
    for f in json.loads(live_config)["storage"]["files"]:
        out[f["path"]] = gzip.decompress(base64.b64decode(f["contents"]["source"].split(",", 1)[1]))
    return out


# -- found in review: each of these once damaged an image, hung or crashed -------------------


def test_non_ascii_kargs_are_measured_in_bytes(iso_cache, tmp_path: Path) -> None:
    iso = working_copy("embed-areas-2023-07.x86_64.iso", iso_cache, tmp_path)
    before = sha(iso)
    with pytest.raises(embed.AreaFullError, match="kargs too large for area"):
        embed.kargs_modify(str(iso), append=["x=" + "é" * 600])  # 600 characters, 1200 bytes
    assert sha(iso) == before
    embed.kargs_modify(str(iso), append=["x=é"])
    assert embed.kargs_show(str(iso)).endswith(" x=é")


def _patch_file(iso: Path, name: str, data: bytes) -> None:
    """Overwrite a file of the ISO in place, space-padded to its length."""
    with open(iso, "r+b") as f:
        from butane_py.embed._iso9660 import IsoFs

        rec = IsoFs(f).get(name)
        assert len(data) <= rec.length
        f.seek(rec.offset)
        f.write(data + b" " * (rec.length - len(data)))


@pytest.mark.parametrize("bad", [
    {"pad": "##"}, {"end": 1}, {"offset": -5}, {"offset": "12"}, {"offset": 2**64}, {"path": 5},
])
def test_malformed_kargs_json(bad: dict, iso_cache, tmp_path: Path) -> None:
    iso = working_copy("embed-areas-2023-07.x86_64.iso", iso_cache, tmp_path)
    with open(iso, "rb") as f:
        from butane_py.embed._iso9660 import IsoFs

        fs = IsoFs(f)
        info = json.loads(fs.read(fs.get("COREOS/KARGS.JSO")))
    info["files"][0].update(bad)
    _patch_file(iso, "COREOS/KARGS.JSO", json.dumps(info).encode())
    before = sha(iso)
    with pytest.raises(embed.ImageFormatError):
        embed.kargs_modify(str(iso), append=["foo"])
    assert sha(iso) == before


def test_broken_features_json_only_matters_where_used(iso_cache, tmp_path: Path) -> None:
    iso = working_copy("embed-areas-2023-07.x86_64.iso", iso_cache, tmp_path)
    _patch_file(iso, "COREOS/FEATURES.JSO", b"[[[")
    embed.ignition_embed(str(iso), CONFIG)
    assert embed.ignition_show(str(iso)) == CONFIG
    key = tmp_path / "k.nmconnection"
    key.write_text("x")
    with pytest.raises(embed.ImageFormatError, match="features"):
        embed.network_embed(str(iso), [str(key)])


def test_negative_cpio_size_is_refused_not_looped() -> None:
    def header(name: bytes, size: bytes) -> bytes:
        head = b"070701" + b"00000000" + b"000081a4" + b"00000000" * 4 + size + b"00000000" * 4
        head += b"%08x" % (len(name) + 1) + b"00000000" + name + b"\0"
        return head + b"\0" * (-len(head) % 4)

    data = header(b"a", b"-0000070") + header(b"TRAILER!!!", b"00000000")
    with pytest.raises(embed.InitrdError, match="hexadecimal"):
        embed.read_members(data)


def test_fifo_output_is_streamed_not_replaced(iso_cache, tmp_path: Path) -> None:
    import threading

    iso = working_copy("embed-areas-2023-07.x86_64.iso", iso_cache, tmp_path)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = {}

    def read() -> None:
        with open(fifo, "rb") as f:
            got["data"] = f.read()

    reader = threading.Thread(target=read)
    reader.start()
    embed.ignition_embed(str(iso), CONFIG, str(fifo), force=True)
    reader.join(30)
    assert stat_is_fifo(fifo), "the FIFO is written into, not replaced"
    streamed = io.BytesIO()
    embed.ignition_embed(str(iso), CONFIG, "-", stdout=streamed)
    assert got["data"] == streamed.getvalue()
    with pytest.raises(embed.OutputError, match="is a directory"):
        embed.ignition_embed(str(iso), CONFIG, str(tmp_path), force=True)
    import socket

    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    with pytest.raises(embed.OutputError, match="not a regular file, a device or a pipe"):
        embed.ignition_embed(str(iso), CONFIG, str(tmp_path / "sock"), force=True)
    sock.close()


def stat_is_fifo(path: Path) -> bool:
    import stat

    return stat.S_ISFIFO(os.lstat(path).st_mode)


def test_image_must_be_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "in.iso"
    os.mkfifo(fifo)
    from butane_py.errors import InputError

    with pytest.raises(InputError, match="not a regular file"):
        embed.ignition_show(str(fifo))
    with pytest.raises(InputError, match="is a directory|not a regular file"):
        embed.ignition_show(str(tmp_path))
