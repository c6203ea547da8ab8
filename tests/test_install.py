"""images.install (issue 17, item 3): a metal image written to a file or block device, with the
Ignition config and coreos-installer's first-boot settings written into its boot filesystem by
debugfs. The disks are made here with sfdisk and mkfs.ext4, laid out like Fedora CoreOS's x86_64
metal image (coreos-assembler's create_disk.sh): BIOS-BOOT, EFI-SYSTEM, boot (ext4, label
``boot``) and root, disk GUID 00000000-0000-4000-a000-000000000001."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from butane_py.errors import ButanePyError
from butane_py.images import _bootfs, _ext4, _gpt
from butane_py.images._install import HEAD, InstallResult, install
from butane_py.images._install_errors import (
    BootConfigError,
    DestinationError,
    FilesystemError,
    GptError,
    InstallError,
    UnsupportedImageError,
)

from ._disks import AS_A_PROGRAM, assert_quiet_exit, interrupt

SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
TOOLS = {name: shutil.which(name, path=SBIN) for name in ("sfdisk", "mkfs.ext4", "debugfs", "e2fsck")}
pytestmark = pytest.mark.skipif(not all(TOOLS.values()), reason="needs fdisk (sfdisk) and e2fsprogs")

MIB = 1 << 20
SECTOR = 512
CONFIG = b'{"ignition": {"version": "3.4.0"}, "passwd": {"users": [{"name": "core"}]}}\n'
BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649"
ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
DISK_GUID = "00000000-0000-4000-A000-000000000001"
BOOT_UUID = "96d15588-3596-4b3c-adca-a2ff7279ea63"
LABEL = b"system_u:object_r:boot_t:s0\0"
OPTIONS = ("mitigations=auto,nosmt ignition.platform.id=metal $ignition_firstboot "
           "ostree=/ostree/boot.1/fedora-coreos/0123/0 root=UUID=910678ff-f77e-4a7d-8d53-86f2ac47a823 rw "
           "rootflags=prjquota boot=UUID=96d15588-3596-4b3c-adca-a2ff7279ea63")
BLS = ("title Fedora CoreOS 41.20241027.3.0 (ostree:0)\nversion 1\n"
       f"options {OPTIONS}\n"
       "linux /ostree/fedora-coreos-0123/vmlinuz-6.11.5-300.fc41.x86_64\n"
       "initrd /ostree/fedora-coreos-0123/initramfs-6.11.5-300.fc41.x86_64.img\n")
GRUB = ("set pager=1\n# CONSOLE-SETTINGS-START\n# CONSOLE-SETTINGS-END\n"
        "blscfg\n")
CONSOLE_CFG = "serial\n# CONSOLE-SETTINGS-START\n# CONSOLE-SETTINGS-END\n"
QEMU_GRUB = ["serial --speed=115200", "terminal_input serial console", "terminal_output serial console"]
PLATFORMS = {
    "metal": {"grub_commands": [], "kernel_arguments": []},
    "qemu": {"grub_commands": QEMU_GRUB, "kernel_arguments": ["console=tty0", "console=ttyS0,115200n8"]},
    "aws": {"kernel_arguments": ["console=ttyS0,115200n8"]},
}
# (name, size in MiB, type); boot is number 3, as in the real image.
LAYOUT = [("BIOS-BOOT", 1, BIOS_BOOT), ("EFI-SYSTEM", 8, ESP), ("boot", 24, LINUX), ("root", 16, LINUX)]


def tool(name: str, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([TOOLS.get(name) or name, *args], input=input, capture_output=True, check=check)


def boot_tree(root: Path, *, platforms: bool = True, console_cfg: bool = False) -> Path:
    (root / "loader.1" / "entries").mkdir(parents=True)
    (root / "loader.1" / "entries" / "ostree-1.conf").write_text(BLS)
    (root / "loader").symlink_to("loader.1")
    (root / "ignition.firstboot").write_bytes(b"")
    (root / "grub2").mkdir(mode=0o700)
    (root / "grub2" / "grub.cfg").write_text(GRUB)
    if console_cfg:
        (root / "grub2" / "console.cfg").write_text(CONSOLE_CFG)
    if platforms:
        (root / "coreos").mkdir()
        (root / "coreos" / "platforms.json").write_text(json.dumps(PLATFORMS))
    return root


def make_disk(path: Path, layout=LAYOUT, label_id: str = DISK_GUID) -> list[int]:
    """A GPT disk with ``layout``; returns each partition's byte offset."""
    size = (1 + sum(mib for _n, mib, _t in layout) + 1) * MIB
    with open(path, "wb") as f:
        f.truncate(size)
    lines = ["label: gpt", f"label-id: {label_id}"]
    for i, (name, mib, type_guid) in enumerate(layout):
        lines.append(f'{"start=2048, " if i == 0 else ""}size={mib}MiB, type={type_guid}, name="{name}"')
    tool("sfdisk", "-q", str(path), input="\n".join(lines).encode() + b"\n")
    offsets, at = [], MIB
    for _n, mib, _t in layout:
        offsets.append(at)
        at += mib * MIB
    return offsets


def fill(path: Path, offset: int, seed: int, length: int) -> None:
    """Incompressible bytes at ``offset``, a different pattern per ``seed``."""
    block = b"".join(zlib.crc32(struct.pack("<II", seed, i)).to_bytes(4, "little") for i in range(length // 4))
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(block)


def mkfs(path: Path, offset: int, mib: int, tree: Path, label: str = "boot", uuid: str = BOOT_UUID) -> None:
    tool("mkfs.ext4", "-q", "-F", "-L", label, "-U", uuid, "-d", str(tree), "-E", f"offset={offset},nodiscard",
         str(path), f"{mib}M")


def debugfs(path: Path, offset: int, *commands: str, write: bool = False) -> str:
    script = path.parent / "debugfs.cmds"
    script.write_text("".join(c + "\n" for c in commands))
    done = tool("debugfs", *(["-w"] if write else []), "-f", str(script), f"{path}?offset={offset}")
    return done.stdout.decode()


def cat(path: Path, offset: int, name: str) -> bytes:
    return tool("debugfs", "-R", f"cat {name}", f"{path}?offset={offset}").stdout


def stat_of(path: Path, offset: int, name: str) -> str:
    return tool("debugfs", "-R", f"stat {name}", f"{path}?offset={offset}").stdout.decode()


def xattr(path: Path, offset: int, name: str, key: str = "security.selinux") -> bytes:
    out = path.parent / "xattr.out"
    debugfs(path, offset, f"ea_get -f {out} {name} {key}")
    return out.read_bytes() if out.exists() else b""


def metal_image(path: Path, **tree_options) -> Path:
    """A Fedora CoreOS-like metal image: data in BIOS-BOOT, EFI-SYSTEM and root (with holes), an
    ext4 ``boot`` holding a BLS entry, ignition.firstboot, grub.cfg and platforms.json, with
    SELinux labels."""
    offsets = make_disk(path)
    fill(path, offsets[0], 1, 64 * 1024)
    fill(path, offsets[1], 2, MIB)
    fill(path, offsets[3], 4, 4 * MIB)
    tree = boot_tree(path.parent / f"{path.name}.boot", **tree_options)
    mkfs(path, offsets[2], 24, tree)
    lf = path.parent / "label"
    lf.write_bytes(LABEL)
    labelled = ("/", "loader.1/entries/ostree-1.conf", "ignition.firstboot", "grub2/grub.cfg")
    debugfs(path, offsets[2], *(f"ea_set -f {lf} {p} security.selinux" for p in labelled), write=True)
    return path


BOOT = MIB + 9 * MIB  # the boot partition's offset in LAYOUT
ENTRY = "loader/entries/ostree-1.conf"


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    return metal_image(tmp_path_factory.mktemp("metal") / "metal.raw")


def partition_bytes(path: Path, index: int) -> bytes:
    offset = MIB + sum(mib for _n, mib, _t in LAYOUT[:index]) * MIB
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(LAYOUT[index][1] * MIB)


# -- the config, byte for byte, and everything else untouched ---------------------------------


def test_config_written_into_the_boot_filesystem(image: Path, tmp_path: Path) -> None:
    dest = tmp_path / "disk.raw"
    seen = []
    result = install(image, CONFIG, dest, progress=lambda done, total: seen.append((done, total)))
    assert result == InstallResult("fcos", 3, ("ignition/config.ign",), image.stat().st_size)
    assert cat(dest, BOOT, "/ignition/config.ign") == CONFIG
    assert "Mode:  0700" in stat_of(dest, BOOT, "/ignition")
    info = stat_of(dest, BOOT, "/ignition/config.ign")
    assert "Type: regular    Mode:  0600" in info and "User:     0   Group:     0" in info
    # new inodes take their parent's SELinux label, as under the policy on a mounted filesystem
    assert xattr(dest, BOOT, "ignition") == LABEL and xattr(dest, BOOT, "ignition/config.ign") == LABEL
    assert tool("sfdisk", "--verify", str(dest)).returncode == 0
    assert tool("e2fsck", "-fn", f"{dest}?offset={BOOT}").returncode == 0
    assert dest.stat().st_size == image.stat().st_size
    for index in (0, 1, 3):
        assert partition_bytes(dest, index) == partition_bytes(image, index), LAYOUT[index][0]
    with open(dest, "rb") as d, open(image, "rb") as i:
        assert d.read(HEAD) == i.read(HEAD)
        d.seek(-HEAD, os.SEEK_END)
        i.seek(-HEAD, os.SEEK_END)
        assert d.read() == i.read()
    # the image itself is not touched, and the copy keeps its holes
    assert cat(image, BOOT, "/ignition/config.ign") == b""
    assert dest.stat().st_blocks <= image.stat().st_blocks + 64
    assert seen[-1] == (image.stat().st_size,) * 2
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    assert oct(dest.stat().st_mode & 0o777) == "0o600"


def test_boot_filesystem_only_changes_where_written(image: Path, tmp_path: Path) -> None:
    dest = tmp_path / "disk.raw"
    install(image, CONFIG, dest)
    listing = ("ls -p /", "ls -p loader/entries", "ls -p grub2", "ls -p coreos")
    before, after = debugfs(image, BOOT, *listing), debugfs(dest, BOOT, *listing)
    [added] = set(after.splitlines()) - set(before.splitlines())
    assert re.fullmatch(r"/\d+/040700/0/0/ignition//", added)
    assert set(before.splitlines()) <= set(after.splitlines())
    assert cat(dest, BOOT, "loader/entries/ostree-1.conf").decode() == BLS


def test_no_config_and_no_changes_copies_the_image(image: Path, tmp_path: Path) -> None:
    dest = tmp_path / "disk.raw"
    assert install(image, None, dest).written == ()
    assert dest.read_bytes() == image.read_bytes()


# -- coreos-installer's other first-boot settings ---------------------------------------------


def options_line(dest: Path) -> str:
    entry = cat(dest, BOOT, "loader/entries/ostree-1.conf").decode()
    [line] = [l for l in entry.splitlines() if l.startswith("options ")]
    return line[len("options "):]


def test_platform_kargs_and_grub_console(image: Path, tmp_path: Path) -> None:
    dest = tmp_path / "disk.raw"
    result = install(image, CONFIG, dest, platform="qemu")
    assert result.written == ("ignition/config.ign", "loader/entries/ostree-1.conf", "grub2/grub.cfg")
    assert options_line(dest) == OPTIONS.replace("platform.id=metal", "platform.id=qemu") + \
        " console=tty0 console=ttyS0,115200n8"
    assert cat(dest, BOOT, "grub2/grub.cfg").decode() == GRUB.replace(
        "START\n", "START\n" + "".join(c + "\n" for c in QEMU_GRUB))
    # a rewritten file keeps its mode, owner and label
    for name in ("loader/entries/ostree-1.conf", "grub2/grub.cfg"):
        assert "Mode:  0644" in stat_of(dest, BOOT, name)
        assert xattr(dest, BOOT, name) == LABEL
    assert tool("e2fsck", "-fn", f"{dest}?offset={BOOT}").returncode == 0


def test_platform_without_grub_commands_leaves_grub_alone(image: Path, tmp_path: Path) -> None:
    dest = tmp_path / "disk.raw"
    assert install(image, CONFIG, dest, platform="aws").written == ("ignition/config.ign", ENTRY)
    assert options_line(dest) == OPTIONS.replace("=metal", "=aws") + " console=ttyS0,115200n8"


def test_platform_metal_changes_nothing(image: Path, tmp_path: Path) -> None:
    dest = tmp_path / "disk.raw"
    assert install(image, CONFIG, dest, platform="metal").written == ("ignition/config.ign",)
    assert options_line(dest) == OPTIONS


def test_console_cfg_is_preferred_to_grub_cfg(tmp_path: Path) -> None:
    img = metal_image(tmp_path / "m.raw", console_cfg=True)
    dest = tmp_path / "disk.raw"
    assert install(img, None, dest, platform="qemu").written == ("loader/entries/ostree-1.conf", "grub2/console.cfg")
    assert cat(dest, BOOT, "grub2/console.cfg").decode() == CONSOLE_CFG.replace(
        "START\n", "START\n" + "".join(c + "\n" for c in QEMU_GRUB))
    assert cat(dest, BOOT, "grub2/grub.cfg").decode() == GRUB


def test_without_platforms_json_only_the_platform_id_changes(tmp_path: Path) -> None:
    img = metal_image(tmp_path / "m.raw", platforms=False)
    dest = tmp_path / "disk.raw"
    assert install(img, CONFIG, dest, platform="qemu").written == ("ignition/config.ign", ENTRY)
    assert options_line(dest) == OPTIONS.replace("=metal", "=qemu")


def test_append_delete_and_firstboot_args(image: Path, tmp_path: Path) -> None:
    dest = tmp_path / "disk.raw"
    install(image, CONFIG, dest, append_kargs=["nosmt", "  console=hvc0 "],
            delete_kargs=["mitigations=auto,nosmt", "rw"], firstboot_args="ip=dhcp rd.neednet=1")
    expected = OPTIONS.replace("mitigations=auto,nosmt ", "").replace(" rw ", " ") + " nosmt console=hvc0"
    assert options_line(dest) == expected
    assert cat(dest, BOOT, "ignition.firstboot") == b'set ignition_network_kcmdline="ip=dhcp rd.neednet=1"\n'
    assert xattr(dest, BOOT, "ignition.firstboot") == LABEL


def test_kargs_without_a_config(image: Path, tmp_path: Path) -> None:
    dest = tmp_path / "disk.raw"
    assert install(image, None, dest, append_kargs=["quiet"]).written == ("loader/entries/ostree-1.conf",)
    assert options_line(dest) == OPTIONS + " quiet"
    assert cat(dest, BOOT, "/ignition/config.ign") == b""


def test_edit_kargs_matches_coreos_installer_semantics() -> None:
    edit = _bootfs.edit_kargs
    assert edit("foo bar foobar", delete=["foo bar"]) == "foobar"
    assert edit("foo=val bar baz=val", delete=["   foo=val"]) == "bar baz=val"
    assert edit("a a a", delete=["a"]) == "a"  # non-overlapping matches, as str::replace
    assert edit("a b", append=["c  "], delete=["a"]) == "b c"
    assert edit("x k=1 k=10", replace=[("k", "1", "2")]) == "x k=2 k=10"


def test_options_line_rules() -> None:
    same = _bootfs.edit_options_line
    assert same("title t  \r\noptions  a b \nlinux x", lambda o: o, "e") == "title t\noptions a b\nlinux x\n"
    with pytest.raises(BootConfigError, match="more than one 'options'"):
        same("options a\noptions b\n", lambda o: o, "e")
    with pytest.raises(BootConfigError, match="no 'options' line"):
        same("title x\noptionsa\n", lambda o: o, "e")


def test_console_markers() -> None:
    cfg = "a\n# CONSOLE-SETTINGS-START\nold\n# CONSOLE-SETTINGS-END\nb\n# CONSOLE-SETTINGS-END\nc\n"
    # the last end marker after the start one, as a greedy match finds it
    expected = "a\n# CONSOLE-SETTINGS-START\nx\n# CONSOLE-SETTINGS-END\nc\n"
    assert _bootfs.set_console_commands(cfg, ["x"], "g") == expected
    assert _bootfs.set_console_commands("\n# CONSOLE-SETTINGS-START\n# CONSOLE-SETTINGS-END\n", [], "g") == \
        "\n# CONSOLE-SETTINGS-START\n# CONSOLE-SETTINGS-END\n"
    with pytest.raises(BootConfigError, match="no CONSOLE-SETTINGS markers"):
        _bootfs.set_console_commands("# CONSOLE-SETTINGS-START\n# CONSOLE-SETTINGS-END\n", [], "g")


def test_network_keyfiles_with_awkward_names(image: Path, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    names = ["Wired connection 1.nmconnection", 'a"b.nmconnection', "c'd;e\\f#g.nmconnection", "-rf"]
    paths = []
    for i, name in enumerate(names):
        (keys / name).write_bytes(f"[connection]\nid={i}\n".encode())
        paths.append(keys / name)
    dest = tmp_path / "disk.raw"
    result = install(image, CONFIG, dest, network_keyfiles=paths)
    assert result.written == ("ignition/config.ign", *(f"coreos-firstboot-network/{n}" for n in names))
    out = dest.parent / "got"
    for i, name in enumerate(names):
        quoted = '"' + f"coreos-firstboot-network/{name}".replace('"', '""') + '"'
        debugfs(dest, BOOT, f'dump {quoted} {out}')
        assert out.read_bytes() == f"[connection]\nid={i}\n".encode(), name
        out.unlink()
    assert "Mode:  0755" in stat_of(dest, BOOT, "coreos-firstboot-network")
    assert tool("e2fsck", "-fn", f"{dest}?offset={BOOT}").returncode == 0


@pytest.mark.parametrize("name", ["a\nb", "..", ".", "bad\rname", "tab\there"])
def test_hostile_keyfile_names_are_refused_before_writing(name: str, image: Path, tmp_path: Path) -> None:
    dest = tmp_path / "disk.raw"
    with pytest.raises(BootConfigError, match="not a plain file name"):
        _bootfs.BootChanges(network_keyfiles=((name, b""),)).check()
    if name not in (".", ".."):  # a file can be named so; the name is still refused
        key = tmp_path / name
        key.write_bytes(b"[connection]\n")
        with pytest.raises(BootConfigError, match="not a plain file name"):
            install(image, CONFIG, dest, network_keyfiles=[key])
    else:  # only a directory has such a name
        with pytest.raises(InstallError, match="cannot read network keyfile .*: is a directory"):
            install(image, CONFIG, dest, network_keyfiles=[tmp_path / name])
    assert not dest.exists()


def test_debugfs_arguments_cannot_break_out() -> None:
    assert _ext4.quote('a "b" c') == b'"a ""b"" c"'
    for bad in ("a\nmkdir x", "a\rb", "a\0b"):
        with pytest.raises(FilesystemError, match="line break or NUL"):
            _ext4.quote(bad)


@pytest.mark.parametrize("kwargs, message", [
    ({"platform": "qemu metal"}, "not a platform ID"),
    ({"platform": "a=b"}, "not a platform ID"),
    ({"append_kargs": ["a\nlinux /evil"]}, "control character"),
    ({"firstboot_args": 'ip=dhcp" evil="'}, "quote, backslash"),
    ({"firstboot_args": "a\nb"}, "quote, backslash or control"),
])
def test_values_that_would_break_boot_files(kwargs, message, image: Path, tmp_path: Path) -> None:
    with pytest.raises(BootConfigError, match=message):
        install(image, CONFIG, tmp_path / "disk.raw", **kwargs)
    assert not (tmp_path / "disk.raw").exists()


def test_not_json_is_refused(image: Path, tmp_path: Path) -> None:
    with pytest.raises(InstallError, match="not JSON"):
        install(image, b"<html>", tmp_path / "disk.raw")
    assert not (tmp_path / "disk.raw").exists()


# -- refusals read from the image, before DEST is touched -------------------------------------


def test_existing_config_is_refused(tmp_path: Path) -> None:
    img = metal_image(tmp_path / "m.raw")
    cfg = tmp_path / "old.ign"
    cfg.write_bytes(b"{}")
    debugfs(img, BOOT, "mkdir ignition", f"write {cfg} ignition/config.ign", write=True)
    with pytest.raises(BootConfigError, match="already holds ignition/config.ign"):
        install(img, CONFIG, tmp_path / "disk.raw")
    assert not (tmp_path / "disk.raw").exists()


def test_platform_without_metal_id_is_refused(tmp_path: Path) -> None:
    img = metal_image(tmp_path / "m.raw")
    entry = tmp_path / "entry"
    entry.write_text(BLS.replace("ignition.platform.id=metal ", ""))
    debugfs(img, BOOT, "rm loader/entries/ostree-1.conf", f"write {entry} loader/entries/ostree-1.conf", write=True)
    with pytest.raises(BootConfigError, match="no ignition.platform.id=metal"):
        install(img, CONFIG, tmp_path / "disk.raw", platform="qemu")
    assert not (tmp_path / "disk.raw").exists()


def test_an_image_built_for_the_platform_is_left_as_it_is(tmp_path: Path) -> None:
    """A qemu image (from images ensure) has ignition.platform.id=qemu and qemu's consoles."""
    img = metal_image(tmp_path / "m.raw")
    entry = tmp_path / "entry"
    entry.write_text(BLS.replace("=metal", "=qemu"))
    debugfs(img, BOOT, "rm loader/entries/ostree-1.conf", f"write {entry} loader/entries/ostree-1.conf", write=True)
    dest = tmp_path / "disk.raw"
    assert install(img, CONFIG, dest, platform="qemu").written == ("ignition/config.ign",)
    assert options_line(dest) == OPTIONS.replace("=metal", "=qemu")
    with pytest.raises(BootConfigError, match="no ignition.platform.id=metal"):
        install(img, CONFIG, tmp_path / "other.raw", platform="aws")


def test_the_default_bls_entry_is_the_last_by_name(tmp_path: Path) -> None:
    img = metal_image(tmp_path / "m.raw")
    entry = tmp_path / "entry"
    entry.write_text(BLS.replace("version 1", "version 2"))
    debugfs(img, BOOT, f"write {entry} loader/entries/ostree-2.conf", f"write {entry} loader/entries/.conf",
            f"write {entry} loader/entries/z.conf.bak", write=True)
    dest = tmp_path / "disk.raw"
    assert install(img, None, dest, append_kargs=["x"]).written == ("loader/entries/ostree-2.conf",)
    assert cat(dest, BOOT, "loader/entries/ostree-1.conf").decode() == BLS


def test_firstboot_args_need_ignition_firstboot(tmp_path: Path) -> None:
    img = metal_image(tmp_path / "m.raw")
    debugfs(img, BOOT, "rm ignition.firstboot", write=True)
    with pytest.raises(BootConfigError, match="no ignition.firstboot"):
        install(img, CONFIG, tmp_path / "disk.raw", firstboot_args="ip=dhcp")


def test_two_boot_filesystems(tmp_path: Path) -> None:
    img = tmp_path / "m.raw"
    offsets = make_disk(img, LAYOUT + [("boot2", 8, LINUX)])
    tree = boot_tree(tmp_path / "tree")
    mkfs(img, offsets[2], 24, tree)
    mkfs(img, offsets[4], 8, tree, uuid="11111111-2222-3333-4444-555555555555")
    with pytest.raises(UnsupportedImageError, match="partitions 3, 5 are all labelled boot"):
        install(img, CONFIG, tmp_path / "disk.raw")


def test_no_boot_filesystem(tmp_path: Path) -> None:
    img = tmp_path / "m.raw"
    make_disk(img)
    with pytest.raises(UnsupportedImageError, match="no filesystem labelled boot"):
        install(img, CONFIG, tmp_path / "disk.raw")


def test_filesystem_larger_than_its_partition(tmp_path: Path) -> None:
    img = tmp_path / "m.raw"
    offsets = make_disk(img)
    mkfs(img, offsets[2], 32, boot_tree(tmp_path / "tree"))  # 32 MiB into a 24 MiB partition
    fill(img, offsets[3], 4, MIB)  # over the backup superblock that spilled into root
    with pytest.raises(FilesystemError, match="more than the partition's"):
        install(img, CONFIG, tmp_path / "disk.raw")


def test_damaged_boot_filesystem_is_refused_before_writing(tmp_path: Path) -> None:
    img = metal_image(tmp_path / "m.raw")
    with open(img, "r+b") as f:
        f.seek(BOOT + 2048)  # the group descriptors, right after the superblock (1 KiB blocks)
        f.write(b"\xff" * 1024)
    with pytest.raises(FilesystemError, match=r"cannot list / in partition 3 of .*m\.raw: "):
        install(img, CONFIG, tmp_path / "disk.raw")
    assert not (tmp_path / "disk.raw").exists()


def test_an_old_debugfs_says_so(image: Path, tmp_path: Path, monkeypatch) -> None:
    fake = tmp_path / "debugfs"
    fake.write_text("#!/bin/sh\necho 'debugfs 1.46.5 (30-Dec-2021)' >&2\n"
                    "echo 'debugfs: Filesystem has unsupported feature(s) while trying to open x' >&2\n")
    fake.chmod(0o755)
    monkeypatch.setattr(_ext4, "debugfs_path", lambda: str(fake))
    with pytest.raises(FilesystemError, match="unsupported feature.*upgrade e2fsprogs"):
        install(image, CONFIG, tmp_path / "disk.raw")


def test_missing_debugfs_is_a_clear_error(image: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(_ext4, "_SBIN", ())
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FilesystemError, match="debugfs not found: install e2fsprogs"):
        install(image, CONFIG, tmp_path / "disk.raw")
    assert not (tmp_path / "disk.raw").exists()


# -- hostile partition tables ------------------------------------------------------------------


def gpt_patch(img: Path, offset: int, data: bytes, *, fix_header_crc: bool = False,
              fix_entries_crc: bool = False) -> None:
    """``data`` written at ``offset``, then the primary header's CRCs made to match if asked."""
    with open(img, "r+b") as f:
        f.seek(offset)
        f.write(data)
        if fix_entries_crc:
            f.seek(SECTOR + 80)
            count, size = struct.unpack("<II", f.read(8))
            f.seek(2 * SECTOR)
            crc = zlib.crc32(f.read(count * size))
            f.seek(SECTOR + 88)
            f.write(struct.pack("<I", crc))
        if fix_header_crc or fix_entries_crc:
            f.seek(SECTOR)
            header = bytearray(f.read(92))
            header[16:20] = b"\0\0\0\0"
            f.seek(SECTOR + 16)
            f.write(struct.pack("<I", zlib.crc32(header)))


ENTRY3 = 2 * SECTOR + 2 * 128  # partition 3's entry


@pytest.mark.parametrize("change, message", [
    (lambda img: gpt_patch(img, SECTOR + 24, b"\x02"), "header's CRC32"),
    (lambda img: gpt_patch(img, ENTRY3 + 40, struct.pack("<Q", 1 << 40)), "partition entries have CRC32"),
    (lambda img: gpt_patch(img, ENTRY3 + 40, struct.pack("<Q", 1 << 40), fix_entries_crc=True),
     "outside the usable area"),
    (lambda img: gpt_patch(img, ENTRY3 + 32, struct.pack("<Q", 4096), fix_entries_crc=True), "overlap"),
    (lambda img: gpt_patch(img, SECTOR + 80, struct.pack("<I", 1 << 24), fix_header_crc=True),
     "lists 16777216 partition entries"),
    (lambda img: gpt_patch(img, SECTOR + 72, struct.pack("<Q", 1 << 50), fix_header_crc=True), "outside the disk"),
    (lambda img: gpt_patch(img, SECTOR + 32, struct.pack("<Q", 1 << 40), fix_header_crc=True), "alternate header"),
    (lambda img: gpt_patch(img, SECTOR, b"EFI PARX"), "no GUID partition table"),
    (lambda img: os.truncate(img, 30 * MIB), "outside the disk"),
    (lambda img: gpt_patch(img, os.path.getsize(img) - SECTOR, bytes(SECTOR)), "no backup GPT header"),
])
def test_hostile_gpt(change, message, image: Path, tmp_path: Path) -> None:
    img = tmp_path / "m.raw"
    shutil.copyfile(image, img)
    change(img)
    with pytest.raises(GptError, match=message) as info:
        install(img, CONFIG, tmp_path / "disk.raw")
    assert str(info.value).startswith(f"{img}: ") and "\n" not in str(info.value)
    assert not (tmp_path / "disk.raw").exists()


def test_gpt_parser_reads_sfdisk_layouts(image: Path, tmp_path: Path) -> None:
    fd = os.open(image, os.O_RDONLY)
    try:
        table = _gpt.read_gpt(fd)
    finally:
        os.close(fd)
    assert table.disk_guid == DISK_GUID and table.sector_size == 512
    assert [(p.number, p.name, p.type_guid, p.offset, p.size) for p in table.partitions] == [
        (1, "BIOS-BOOT", BIOS_BOOT, MIB, MIB), (2, "EFI-SYSTEM", ESP, 2 * MIB, 8 * MIB),
        (3, "boot", LINUX, 10 * MIB, 24 * MIB), (4, "root", LINUX, 34 * MIB, 16 * MIB)]
    assert table.backup_extent() == (image.stat().st_size - 33 * SECTOR, 33 * SECTOR)


# -- DEST --------------------------------------------------------------------------------------


def test_non_empty_file_needs_force(image: Path, tmp_path: Path) -> None:
    dest = tmp_path / "disk.raw"
    dest.write_bytes(b"precious")
    with pytest.raises(DestinationError, match="non-empty file; force overwrites it"):
        install(image, CONFIG, dest)
    assert dest.read_bytes() == b"precious"
    install(image, CONFIG, dest, force=True)
    assert cat(dest, BOOT, "/ignition/config.ign") == CONFIG
    assert dest.stat().st_size == image.stat().st_size
    empty = tmp_path / "empty.raw"
    empty.write_bytes(b"")
    install(image, CONFIG, empty)
    assert cat(empty, BOOT, "/ignition/config.ign") == CONFIG


def test_image_itself_is_refused(image: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(image)
    before = image.read_bytes()
    for dest in (image, link):
        with pytest.raises(DestinationError, match="is the image itself"):
            install(image, CONFIG, dest, force=True)
    assert image.read_bytes() == before


def test_directory_and_fifo_are_refused(image: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for dest in (tmp_path, fifo):
        with pytest.raises(DestinationError, match="neither a block device nor a regular file"):
            install(image, CONFIG, dest, force=True)


def test_failure_while_writing_the_boot_filesystem_wipes(image: Path, tmp_path: Path, monkeypatch) -> None:
    """debugfs failing on DEST (after the copy): the partition tables are wiped, or the file
    install created is removed; with preserve_on_error the table is there for inspection."""
    fake = tmp_path / "debugfs"
    fake.write_text(f'#!/bin/sh\ncase "$1" in -w) echo "write: Could not allocate block" >&2; exit 0;; esac\n'
                    f'exec {TOOLS["debugfs"]} "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(_ext4, "debugfs_path", lambda: str(fake))
    created = tmp_path / "new.raw"
    with pytest.raises(FilesystemError, match="cannot write in partition 3 of .*Could not allocate block"):
        install(image, CONFIG, created)
    assert not created.exists()

    existing = tmp_path / "old.raw"
    shutil.copyfile(image, existing)
    with pytest.raises(FilesystemError):
        install(image, CONFIG, existing, force=True)
    assert_wiped(existing, image)

    kept = tmp_path / "kept.raw"
    with pytest.raises(FilesystemError):
        install(image, CONFIG, kept, preserve_on_error=True)
    assert tool("sfdisk", "--verify", str(kept)).returncode == 0


def assert_wiped(dest: Path, image: Path) -> None:
    size = image.stat().st_size
    with open(dest, "rb") as f:
        assert f.read(HEAD) == bytes(HEAD)
        f.seek(size - 33 * SECTOR)
        assert f.read(33 * SECTOR) == bytes(33 * SECTOR)
    assert b"label: gpt" not in tool("sfdisk", "-d", str(dest), check=False).stdout


SCRIPT = """
import os, sys, time
from butane_py.images._install import install

image, dest, marker = sys.argv[1:]

def progress(done, total):
    if done > 20 << 20 and not os.path.exists(marker):
        open(marker, "w").close()
        time.sleep(60)

def main():
    install(image, b"{}", dest, force=True, progress=progress)
""" + AS_A_PROGRAM


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL])
@pytest.mark.parametrize("existing", [False, True])
def test_signal_mid_write_leaves_no_bootable_disk(signum: int, existing: bool, image: Path, tmp_path: Path) -> None:
    """Without a handler of the program's own: the library's turns SIGTERM and SIGHUP into a
    quiet exit, after the disk is wiped (or the file it created removed)."""
    dest, marker = tmp_path / "disk.raw", tmp_path / "marker"
    if existing:  # a previous install of the same image: its partition tables must not survive
        shutil.copyfile(image, dest)
    status, err = interrupt(SCRIPT, [image, dest, marker], marker.exists, signum)
    assert_quiet_exit(signum, status, err)
    if signum != signal.SIGKILL and not existing:
        assert not dest.exists()
    else:
        assert_wiped(dest, image)


# -- block devices (loop devices; root only) --------------------------------------------------


def _loop_capable() -> bool:
    return (os.geteuid() == 0 and shutil.which("losetup", path=SBIN) is not None
            and os.path.exists("/dev/loop-control"))


@pytest.fixture
def loop(tmp_path: Path):
    """Attach files to loop devices; every device attached here is detached afterwards."""
    if not _loop_capable():
        pytest.skip("needs root and loop devices")
    attached: list[str] = []
    mounted: list[Path] = []

    def attach(backing: Path, partitions: bool = False) -> str:
        done = tool("losetup", "--show", "-f", *(["-P"] if partitions else []), str(backing), check=False)
        if done.returncode:
            pytest.skip(f"losetup failed: {done.stderr.decode().strip()}")
        attached.append(done.stdout.decode().strip())
        return attached[-1]

    def mount(device: str, where: Path) -> None:
        where.mkdir()
        done = tool("mount", device, str(where), check=False)
        if done.returncode:
            pytest.skip(f"mount failed: {done.stderr.decode().strip()}")
        mounted.append(where)

    yield attach, mount
    for where in reversed(mounted):
        tool("umount", str(where), check=False)
    for device in reversed(attached):
        tool("losetup", "-d", device, check=False)


def test_install_to_a_block_device(image: Path, tmp_path: Path, loop) -> None:
    attach, _mount = loop
    backing = tmp_path / "device"
    with open(backing, "wb") as f:
        f.truncate(image.stat().st_size + 8 * MIB)
    # an old backup GPT at the device's end, as a resized earlier install leaves one
    tool("sfdisk", "-q", str(backing), input=b"label: gpt\nstart=2048, size=4096, name=old\n")
    device = attach(backing)
    result = install(image, CONFIG, device, platform="qemu")
    assert result.partition == 3
    assert cat(backing, BOOT, "/ignition/config.ign") == CONFIG
    assert tool("sfdisk", "--verify", str(backing)).returncode == 0
    for index in (0, 1, 3):
        assert partition_bytes(backing, index) == partition_bytes(image, index)
    with open(backing, "rb") as f:
        f.seek(-HEAD, os.SEEK_END)
        assert f.read() == bytes(HEAD)  # the old backup GPT is gone
    with pytest.raises(DestinationError, match="attached to /dev/loop"):
        install(image, CONFIG, backing, force=True)


def test_mounted_block_device_is_refused(image: Path, tmp_path: Path, loop) -> None:
    attach, mount = loop
    backing = tmp_path / "device"
    shutil.copyfile(image, backing)
    device = attach(backing, partitions=True)
    if not os.path.exists(f"{device}p3"):
        pytest.skip("no partition devices for loop devices here")
    mount(f"{device}p3", tmp_path / "mnt")
    before = backing.read_bytes()
    with pytest.raises(DestinationError, match=r"is in use: .*p3 is mounted on .*mnt"):
        install(image, CONFIG, device, force=True)
    with pytest.raises(DestinationError, match="is a partition, not a whole disk"):
        install(image, CONFIG, f"{device}p1", force=True)
    assert backing.read_bytes() == before


def test_mounted_whole_device_is_refused(image: Path, tmp_path: Path, loop) -> None:
    attach, mount = loop
    backing = tmp_path / "device"
    with open(backing, "wb") as f:
        f.truncate(image.stat().st_size)
    tool("mkfs.ext4", "-q", "-F", str(backing))
    device = attach(backing)
    mount(device, tmp_path / "mnt")
    with pytest.raises(DestinationError, match=r"is in use: loop\d+ is mounted on .*mnt"):
        install(image, CONFIG, device, force=True)
    assert tool("e2fsck", "-fn", device).returncode == 0


def test_4k_sectors(image: Path, tmp_path: Path, loop) -> None:
    """A GPT written by sfdisk on a 4096-byte-sector device is read with that sector size, and a
    512-byte-sector image is not written to such a device."""
    attach, _mount = loop
    backing = tmp_path / "device"
    with open(backing, "wb") as f:
        f.truncate(image.stat().st_size + 8 * MIB)
    done = tool("losetup", "--show", "-f", "-b", "4096", str(backing), check=False)
    if done.returncode:
        pytest.skip(f"losetup -b 4096 failed: {done.stderr.decode().strip()}")
    device = done.stdout.decode().strip()
    try:
        tool("sfdisk", "-q", device, input=b"label: gpt\nstart=256, size=512, name=x\n")
        with pytest.raises(DestinationError, match="has 4096-byte sectors, the image 512-byte ones"):
            install(image, CONFIG, device)
    finally:
        tool("losetup", "-d", device, check=False)
    fd = os.open(backing, os.O_RDONLY)
    try:
        table = _gpt.read_gpt(fd)
    finally:
        os.close(fd)
    assert table.sector_size == 4096
    assert [(p.offset, p.size, p.name) for p in table.partitions] == [(MIB, 2 * MIB, "x")]


# -- Flatcar -----------------------------------------------------------------------------------

# Flatcar's nine partitions (sizes shrunk but OEM's); OEM is number 6.
COREOS_USR = "5DFBF5F4-2848-4BAC-AA5E-0D9A20B745A6"
COREOS_RESERVED = "C95DC21A-DF0E-4340-8D7B-26CBFA9A03E0"
FLATCAR = [("EFI-SYSTEM", 4, ESP), ("BIOS-BOOT", 1, BIOS_BOOT), ("USR-A", 4, COREOS_USR), ("USR-B", 4, COREOS_USR),
           ("ROOT-C", 1, LINUX), ("OEM", 128, LINUX), ("OEM-CONFIG", 1, COREOS_RESERVED),
           ("coreos-reserved", 1, COREOS_RESERVED), ("ROOT", 8, "3884DD41-8582-4404-B9A8-E9B84F2DF50E")]
OEM = MIB + sum(mib for _n, mib, _t in FLATCAR[:5]) * MIB


def test_flatcar_ext4_oem_gets_config_ign(tmp_path: Path) -> None:
    img = tmp_path / "flatcar.raw"
    offsets = make_disk(img, FLATCAR, label_id="11111111-2222-3333-4444-555555555555")
    tree = tmp_path / "oem"
    tree.mkdir()
    (tree / "grub.cfg").write_text('set oem_id="qemu"\n')
    mkfs(img, offsets[5], 128, tree, label="OEM", uuid="22222222-2222-3333-4444-555555555555")
    dest = tmp_path / "disk.raw"
    assert install(img, CONFIG, dest) == InstallResult("flatcar", 6, ("config.ign",), img.stat().st_size)
    assert cat(dest, OEM, "/config.ign") == CONFIG
    assert cat(dest, OEM, "/grub.cfg") == b'set oem_id="qemu"\n'
    # flatcar-install's cp replaces a config already there
    install(dest, b'{"ignition": {"version": "3.3.0"}}', tmp_path / "again.raw")
    assert cat(tmp_path / "again.raw", OEM, "/config.ign") == b'{"ignition": {"version": "3.3.0"}}'
    with pytest.raises(UnsupportedImageError, match="Fedora CoreOS images only"):
        install(img, CONFIG, tmp_path / "x.raw", platform="qemu")


def test_flatcar_btrfs_oem_is_refused_with_the_routes(tmp_path: Path) -> None:
    mkfs_btrfs = shutil.which("mkfs.btrfs", path=SBIN)
    if mkfs_btrfs is None:
        pytest.skip("needs btrfs-progs")
    img = tmp_path / "flatcar.raw"
    offsets = make_disk(img, FLATCAR)
    oem = tmp_path / "oem.btrfs"
    with open(oem, "wb") as f:
        f.truncate(128 * MIB)
    subprocess.run([mkfs_btrfs, "-q", "-L", "OEM", str(oem)], check=True, capture_output=True)
    with open(img, "r+b") as f:
        f.seek(offsets[5])
        f.write(oem.read_bytes())
    with pytest.raises(UnsupportedImageError) as info:
        install(img, CONFIG, tmp_path / "disk.raw")
    message = str(info.value)
    assert "partition 6) is btrfs" in message and "opt/org.flatcar-linux/config" in message
    assert "flatcar.first_boot=1 ignition.config.url=" in message and "\n" not in message
    assert not (tmp_path / "disk.raw").exists()


def test_every_refusal_is_a_butane_py_error() -> None:
    for cls in (InstallError, GptError, FilesystemError, BootConfigError, DestinationError, UnsupportedImageError):
        assert issubclass(cls, ButanePyError)
