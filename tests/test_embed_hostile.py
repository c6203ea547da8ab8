"""The embed commands against hostile images, archives, paths and signals (issue 12): each test
runs the real CLI in a child process on a real fixture ISO with altered bytes."""

from __future__ import annotations

import json
import lzma
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from butane_py import embed

from ._isos import pristine, working_copy
from ._rss import measured, read_kib
from .conftest import ROOT
from .test_cli_download import VERIFY, site  # noqa: F401 - site is a fixture
from .test_embed_cli import BUTANE, X86, one_line_error, run, sha

ENV = dict(os.environ, PYTHONPATH=str(ROOT))
CONFIG = b'{"ignition": {"version": "3.0.0"}}\n'


def popen(*args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "butane_py", *args], env=kw.pop("env", ENV),
                            stdout=kw.pop("stdout", subprocess.PIPE), stderr=subprocess.PIPE, **kw)


def area(iso: Path) -> tuple[int, int]:
    a = embed.LiveIso.open(iso).ignition_area
    return a.offset, a.length


def patch(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` and its contents (None for a directory)."""
    out = {}
    for p in sorted(root.rglob("*")):
        out[str(p.relative_to(root))] = None if p.is_dir() else p.read_bytes()
    return out


# -- 1: ISO 9660 names -------------------------------------------------------------------------


def evil_iso(iso_cache, dest: Path) -> Path:
    """The fixture with images/pxeboot/ROOTFS.IMG;1 renamed to a same-length traversal."""
    iso = working_copy(X86, iso_cache, dest)
    data = iso.read_bytes()
    old, new = b"\x0cROOTFS.IMG;1", b"\x0c/../../X.TXT"
    assert data.count(old) == 1
    patch(iso, data.index(old), new)
    evil = dest / "evil.iso"
    iso.rename(evil)
    return evil


def test_iso_names_never_leave_the_output_directory(iso_cache, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    evil = evil_iso(iso_cache, tmp_path)
    victim = work / "x.txt"  # where out/evil-/../../x.txt lands when the name is trusted
    victim.write_bytes(b"victim")
    (tmp_path / "x.txt").write_bytes(b"victim")
    bu = tmp_path / "c.bu"
    bu.write_bytes(BUTANE)
    before = tree(tmp_path)
    for args in (["iso", "extract", "pxe", "-o", str(work / "out"), str(evil)],
                 ["embed", "--pxe", str(evil), str(bu), "-o", str(work / "out")],
                 ["embed", "--pxe", str(evil), str(bu), "-o", str(work / "out"), "-f"]):
        err = one_line_error(run(*args, cwd=work))
        assert "unsafe file name b'/../../X.TXT'" in err, err
        assert tree(tmp_path) == before, args


def test_extract_pxe_target_is_checked_too(tmp_path: Path) -> None:
    """Behind the reader's check, the extraction refuses any name that is not a plain file name."""
    from butane_py.embed import _ops

    for name in ("a/b", "..", ".", "/x"):
        with pytest.raises(embed.UnsafePathError):
            _ops._inside(str(tmp_path), name)


# -- 2: -o through symbolic links, /dev/stdout and /proc/self/fd -------------------------------


def run_to_file(out: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    with open(out, "wb") as f:
        return subprocess.run([sys.executable, "-m", "butane_py", *args], stdout=f, stderr=subprocess.PIPE,
                              env=ENV, timeout=300, **kw)


@pytest.mark.parametrize("target", ["link", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_output_through_stdout_links(target: str, iso_cache, tmp_path: Path) -> None:
    if not os.path.islink("/dev/stdout"):
        pytest.skip("/dev/stdout is not a symbolic link here")
    stdout_link = os.readlink("/dev/stdout")
    link = tmp_path / "link"
    link.symlink_to("/proc/self/fd/1")
    dest = str(link) if target == "link" else target
    bu = tmp_path / "c.bu"
    bu.write_bytes(BUTANE)
    got = tmp_path / "got"
    p = run_to_file(got, "-o", dest, str(bu))
    assert p.returncode == 0, p.stderr
    assert json.loads(got.read_bytes())["storage"]["files"][0]["path"] == "/etc/hostname"
    iso = pristine(X86, iso_cache)
    (tmp_path / "c.ign").write_bytes(CONFIG)
    for args, config in ((["iso", "ignition", "embed", "-i", str(tmp_path / "c.ign"), "-o", dest, str(iso)], CONFIG),
                         (["embed", "--iso", str(iso), str(bu), "-o", dest], b'"/etc/hostname"')):
        p = run_to_file(got, *args)
        assert p.returncode == 0, p.stderr
        assert got.stat().st_size == iso.stat().st_size, "the image and nothing else"
        assert config in embed.ignition_show(str(got))
    assert os.path.islink("/dev/stdout") and os.readlink("/dev/stdout") == stdout_link
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".butane-py-")]


def test_output_symlink_to_a_file_replaces_the_target(iso_cache, tmp_path: Path) -> None:
    iso = pristine(X86, iso_cache)
    real = tmp_path / "dir" / "real.iso"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "link.iso"
    link.symlink_to("dir/real.iso")  # relative, resolved from the link's directory
    cfg = tmp_path / "c.ign"
    cfg.write_bytes(CONFIG)
    assert "already exists" in one_line_error(run("iso", "ignition", "embed", "-i", str(cfg), "-o", str(link), str(iso)))
    p = run("iso", "ignition", "embed", "-f", "-i", str(cfg), "-o", str(link), str(iso))
    assert p.returncode == 0, p.stderr
    assert link.is_symlink() and os.readlink(link) == "dir/real.iso"
    assert embed.ignition_show(str(real)) == CONFIG
    tlink = tmp_path / "out.ign"
    (tmp_path / "dir" / "t.ign").write_bytes(b"old")
    tlink.symlink_to(tmp_path / "dir" / "t.ign")
    bu = tmp_path / "c.bu"
    bu.write_bytes(BUTANE)
    assert run("-o", str(tlink), str(bu)).returncode == 0
    assert tlink.is_symlink() and b"/etc/hostname" in (tmp_path / "dir" / "t.ign").read_bytes()
    assert sorted(os.listdir(tmp_path / "dir")) == ["real.iso", "t.ign"]


# -- 12: modes ---------------------------------------------------------------------------------


def test_output_modes_follow_the_umask(iso_cache, tmp_path: Path) -> None:
    iso = pristine(X86, iso_cache)  # mode 0444: the output's mode does not come from it
    bu = tmp_path / "c.bu"
    bu.write_bytes(BUTANE)
    key = tmp_path / "eth0.nmconnection"
    key.write_text("[connection]\npsk=secret\n")

    def mode(p: Path) -> int:
        return stat.S_IMODE(p.stat().st_mode)

    for umask, expect in ((0o022, 0o644), (0o027, 0o640)):
        out = tmp_path / f"u{umask:o}"
        out.mkdir()
        kw = {"preexec_fn": lambda: os.umask(umask)}
        assert run("embed", "--iso", str(iso), str(bu), "-o", str(out / "a.iso"), **kw).returncode == 0
        assert run("iso", "ignition", "embed", "-i", str(tmp_path / "c.bu"), "-o", str(out / "b.iso"), str(iso),
                   **kw).returncode == 0
        assert run("embed", "--pxe", str(iso), str(bu), "-o", str(out / "pxe"), **kw).returncode == 0
        assert run("pxe", "network", "wrap", "-k", str(key), "-o", str(out / "net.img"), **kw).returncode == 0
        assert run("-o", str(out / "c.ign"), str(bu), **kw).returncode == 0
        files = [out / "a.iso", out / "b.iso", out / "net.img", out / "c.ign", *(out / "pxe").iterdir()]
        assert len(files) == 8
        assert {f.name: mode(f) for f in files} == {f.name: expect for f in files}
        # Extracted keyfiles hold secrets (Wi-Fi and VPN keys): 0600 whatever the umask.
        p = run("pxe", "network", "unwrap", "-C", str(out / "keys"), str(out / "net.img"), **kw)
        assert p.returncode == 0, p.stderr
        assert mode(out / "keys" / "eth0.nmconnection") == 0o600
    # Replacing a file keeps its permissions.
    (tmp_path / "u22" / "a.iso").chmod(0o600)
    assert run("embed", "--iso", str(iso), str(bu), "-o", str(tmp_path / "u22" / "a.iso"), "-f").returncode == 0
    assert mode(tmp_path / "u22" / "a.iso") == 0o600


# -- 8: decompression bombs --------------------------------------------------------------------

BOMB_SIZE = 512 << 20


def newc(name: bytes, size: int, mode: int = 0o100644) -> bytes:
    fields = (1, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name) + 1, 0)
    head = b"070701" + b"".join(b"%08x" % v for v in fields) + name + b"\0"
    return head + b"\0" * (-len(head) % 4)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """An xz cpio whose config.ign unpacks to 512 MiB of zeros: 78 KB, less than an embed area."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.img"
    c = lzma.LZMACompressor(format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, preset=0)
    parts = [c.compress(newc(b"config.ign", BOMB_SIZE))]
    zeros = bytes(16 << 20)
    parts += [c.compress(zeros) for _ in range(BOMB_SIZE // len(zeros))]
    parts += [c.compress(newc(b"TRAILER!!!", 0, 0)), c.flush()]
    path.write_bytes(b"".join(parts))
    return path


def peak_rss(tmp_path: Path, *args: str) -> tuple[int, bytes, int]:
    """(exit code, stderr, peak RSS in MiB) of a child run."""
    rss_file = tmp_path / "rss"
    p = subprocess.run(measured([sys.executable, "-m", "butane_py", *args], rss_file),
                       capture_output=True, env=ENV, timeout=300)
    return p.returncode, p.stderr, read_kib(rss_file) // 1024


def test_xz_bomb_in_the_embed_area(bomb: Path, iso_cache, tmp_path: Path) -> None:
    iso = working_copy(X86, iso_cache, tmp_path)
    offset, length = area(iso)
    data = bomb.read_bytes()
    assert len(data) < length
    patch(iso, offset, data)
    code, err, rss = peak_rss(tmp_path, "iso", "ignition", "show", str(iso))
    assert code == 1 and err.startswith(b"Error: ") and b"unpacks to more than 32 MiB" in err, err
    assert rss < 200, f"{rss} MiB"
    code, err, rss = peak_rss(tmp_path, "iso", "kargs", "show", str(iso))  # needs no embed area at all
    assert code == 0 and rss < 200, (err, rss)
    code, err, rss = peak_rss(tmp_path, "pxe", "ignition", "unwrap", str(bomb))
    assert code == 1 and b"past 32 MiB" in err and rss < 200, (err, rss)
    assert run("iso", "reset", str(iso)).returncode == 0  # the area is zeroed, never decoded
    assert sha(iso) == sha(pristine(X86, iso_cache))


def test_many_small_members_are_capped_too() -> None:
    """No member is large, yet together they pass the limit: refused before the rest is read."""
    members = {f"etc/coreos-firstboot-network/k{i}": bytes(1 << 20) for i in range(40)}
    data = embed.to_bytes(members, "gzip")
    with pytest.raises(embed.InitrdError, match="past 32 MiB"):
        embed.pxe_network_files(data)
    assert len(embed.read_members(data, ["*/k1"])) == 1  # members not kept do not count


def test_zero_padding_bomb_in_the_embed_area(iso_cache, tmp_path: Path) -> None:
    """A small config followed, inside the xz stream, by 128 MiB of zero padding: decoding stops
    at the limit instead of spending seconds per hundred MiB."""
    c = lzma.LZMACompressor(format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32, preset=0)
    parts = [c.compress(newc(b"config.ign", 3) + b"{}\n\0" + newc(b"TRAILER!!!", 0, 0))]
    zeros = bytes(16 << 20)
    parts += [c.compress(zeros) for _ in range(8)] + [c.flush()]
    iso = working_copy(X86, iso_cache, tmp_path)
    patch(iso, area(iso)[0], b"".join(parts))
    with pytest.raises(embed.ImageFormatError, match="unpacks to more than 32 MiB"):
        embed.ignition_show(str(iso))


# -- 10: in-place edits --------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_during_the_patch_leaves_areas_that_agree(signum: int, iso_cache, tmp_path: Path) -> None:
    """The test hook pauses between the two kargs areas' writes; the signal sent there is held
    until the patch is complete."""
    iso = working_copy(X86, iso_cache, tmp_path)
    marker = tmp_path / "paused"
    p = popen("iso", "kargs", "modify", "-a", "foo=bar", str(iso),
              env=dict(ENV, _BUTANE_PY_TEST_PATCH_PAUSE=str(marker)))
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert p.poll() is None, p.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    p.send_signal(signum)
    p.wait(120)
    assert p.returncode != 0
    shown = run("iso", "kargs", "show", str(iso))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.decode().endswith(" foo=bar\n")


def test_iso_reset_repairs_damaged_areas(iso_cache, tmp_path: Path) -> None:
    orig = sha(pristine(X86, iso_cache))
    for command in (["iso", "reset"], ["iso", "kargs", "reset"]):
        iso = working_copy(X86, iso_cache, tmp_path)
        second = embed.describe(str(iso))["kargs"]["areas"][1]["offset"]
        patch(iso, second, b"garbage\n")
        assert "kargs don't match" in one_line_error(run("iso", "kargs", "show", str(iso)))
        assert "kargs don't match" in one_line_error(run("iso", "kargs", "modify", "-a", "x", str(iso)))
        assert run(*command, str(iso)).returncode == 0
        assert sha(iso) == orig
    iso = working_copy(X86, iso_cache, tmp_path)
    patch(iso, second, b"\xff\xfe")  # not UTF-8 either
    patch(iso, area(iso)[0], b"\xfd7zXZ\x00 corrupt")
    assert "cannot decode the Ignition embed area" in one_line_error(run("iso", "ignition", "show", str(iso)))
    assert run("iso", "reset", str(iso)).returncode == 0
    assert sha(iso) == orig
    patch(iso, area(iso)[0], b"\xfd7zXZ\x00 corrupt")
    bu = tmp_path / "c.bu"
    bu.write_bytes(BUTANE)
    assert "cannot decode" in one_line_error(run("iso", "customize", "--live-karg-append", "a", str(iso)))
    assert run("iso", "customize", "-f", "--live-karg-append", "a", str(iso)).returncode == 0


def sparse_copy(src: Path, dest: Path) -> None:
    """``src`` with every all-zero 4 KiB block left as a hole."""
    data = src.read_bytes()
    with open(dest, "wb") as f:
        for i in range(0, len(data), 4096):
            block = data[i : i + 4096]
            if block.count(0) != len(block):
                f.seek(i)
                f.write(block)
        f.truncate(len(data))


@pytest.fixture
def full_fs(tmp_path: Path):
    """A 4 MiB tmpfs (mounting needs root; skipped elsewhere), filled by the test."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def fill(directory: Path, leave: int) -> None:
    """Fill the file system but for ``leave`` bytes."""
    with open(directory / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\1" * 4096)
        except OSError:
            pass
        f.truncate(f.tell() - leave)


def test_full_disk_in_place_changes_nothing(full_fs: Path, iso_cache, tmp_path: Path) -> None:
    iso = full_fs / "sparse.iso"
    sparse_copy(pristine(X86, iso_cache), iso)
    assert iso.stat().st_blocks * 512 < iso.stat().st_size - area(iso)[1], "the embed area is a hole"
    fill(full_fs, 64 << 10)  # room for a quarter of the area: a plain write stops half-way
    orig = sha(iso)
    cfg = tmp_path / "c.ign"
    cfg.write_bytes(CONFIG)
    assert "no space left on device" in one_line_error(run("iso", "ignition", "embed", "-i", str(cfg), str(iso)))
    assert "no space left on device" in one_line_error(
        run("iso", "ignition", "embed", "-i", str(cfg), "-o", str(full_fs / "out.iso"), str(iso)))
    assert sha(iso) == orig
    assert sorted(os.listdir(full_fs)) == ["filler", "sparse.iso"]
    assert "No embedded Ignition config" in one_line_error(run("iso", "ignition", "show", str(iso)))
    for args in (["iso", "kargs", "show"], ["iso", "reset"], ["iso", "ignition", "remove"]):
        assert run(*args, str(iso)).returncode == 0, args
    os.unlink(full_fs / "filler")
    assert run("iso", "ignition", "embed", "-i", str(cfg), str(iso)).returncode == 0
    assert embed.ignition_show(str(iso)) == CONFIG


# -- 11: signals during a -o copy --------------------------------------------------------------


@pytest.fixture(scope="module")
def big_iso(iso_cache, tmp_path_factory) -> Path:
    """The fixture followed by 512 MiB of data (not holes), so that copying it takes a while."""
    path = tmp_path_factory.mktemp("big") / "big.iso"
    with open(path, "wb") as f:
        f.write(pristine(X86, iso_cache).read_bytes())
        chunk = b"\1" * (1 << 20)
        for _ in range(512):
            f.write(chunk)
    return path


def writing_into(pid: int, directory: Path) -> bool:
    """Whether process ``pid`` has a file of ``directory`` open: a named temporary file, or an
    unnamed one (O_TMPFILE: ``/dir/#123 (deleted)``)."""
    if os.listdir(directory):
        return True
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(f"{directory}/"):
                return True
        except OSError:
            pass
    return False


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM, signal.SIGKILL])
def test_signal_during_copy_leaves_nothing(signum: int, big_iso: Path, tmp_path: Path) -> None:
    before = (big_iso.stat().st_mtime_ns, big_iso.stat().st_size)
    cfg = tmp_path / "c.ign"
    cfg.write_bytes(CONFIG)
    out = tmp_path / "out" / "node.iso"
    out.parent.mkdir()
    p = popen("iso", "ignition", "embed", "-i", str(cfg), "-o", str(out), str(big_iso))
    deadline = time.monotonic() + 120
    while not writing_into(p.pid, out.parent):
        assert p.poll() is None, p.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.002)
    named = os.listdir(out.parent)
    p.send_signal(signum)
    p.wait(120)
    assert p.returncode in (128 + signum, -signum), p.stderr.read()
    if signum == signal.SIGKILL and named:
        pytest.skip("no O_TMPFILE here: a SIGKILL leaves the named temporary file")
    assert os.listdir(out.parent) == []
    assert (big_iso.stat().st_mtime_ns, big_iso.stat().st_size) == before
    with pytest.raises(embed.NothingEmbeddedError):
        embed.ignition_show(str(big_iso))


# -- clear errors instead of tracebacks --------------------------------------------------------


def test_non_utf8_keyfile_names(iso_cache, tmp_path: Path) -> None:
    iso = working_copy(X86, iso_cache, tmp_path)
    orig = sha(iso)
    key = os.fsencode(tmp_path) + b"/eth\xff.nmconnection"
    with open(key, "wb") as f:
        f.write(b"[connection]\n")
    bu = tmp_path / "c.bu"
    bu.write_bytes(BUTANE)
    for args in ([b"iso", b"network", b"embed", b"-k", key, os.fsencode(iso)],
                 [b"pxe", b"network", b"wrap", b"-k", key, b"-o", os.fsencode(tmp_path / "n.img")],
                 [b"embed", b"--iso", os.fsencode(iso), os.fsencode(bu), b"--network-keyfile", key, b"-o",
                  os.fsencode(tmp_path / "o.iso")],
                 [b"embed", b"--pxe", os.fsencode(iso), os.fsencode(bu), b"--network-keyfile", key, b"-o",
                  os.fsencode(tmp_path / "pxe")]):
        err = one_line_error(run(*args))
        assert "eth\\xff.nmconnection" in err and "not valid UTF-8" in err, err
    assert sha(iso) == orig
    assert sorted(os.listdir(tmp_path)) == sorted([iso.name, "c.bu", os.fsdecode(b"eth\xff.nmconnection")])


def test_non_utf8_output_directory(iso_cache, tmp_path: Path) -> None:
    iso = pristine(X86, iso_cache)
    out = os.fsencode(tmp_path) + b"/pxe\xff"
    p = run(b"iso", b"extract", b"pxe", b"-o", out, os.fsencode(iso))
    assert p.returncode == 0, p.stderr
    assert len(os.listdir(out)) == 3
    assert p.stdout.decode().count("/pxe\\xff/") == 3


def test_hostile_cpio_names_are_escaped(tmp_path: Path) -> None:
    name = "etc/coreos-firstboot-network/Z\x1b[31mred.nmconnection"
    data = embed.cpio_bytes({name: b"[connection]\n"}).replace(b"Z\x1b", b"\xff\x1b")
    initrd = tmp_path / "net.img"
    initrd.write_bytes(data)
    p = run("pxe", "network", "unwrap", str(initrd))
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"########## \\xff\\x1b[31mred.nmconnection ##########\n[connection]\n"
    err = one_line_error(run("pxe", "network", "unwrap", "-C", str(tmp_path / "keys"), str(initrd)))
    assert "\x1b" not in err and "\\x1b" in err
    assert not (tmp_path / "keys").exists()


@pytest.mark.parametrize("bad", ["foo\nbar", "a\x1b[2Jb", "tab\there", "nul\x00"])
def test_control_characters_in_kargs_are_refused(bad: str, iso_cache, tmp_path: Path) -> None:
    if "\x00" in bad:
        bad = bad.replace("\x00", "\x7f")  # argv cannot hold NUL; DEL is a control character too
    iso = working_copy(X86, iso_cache, tmp_path)
    orig = sha(iso)
    bu = tmp_path / "c.bu"
    bu.write_bytes(BUTANE)
    for args in (["iso", "kargs", "modify", "-a", bad, str(iso)],
                 ["iso", "kargs", "modify", "-r", f"ignition.platform.id=metal={bad}", str(iso)],
                 ["iso", "customize", "--live-karg-append", bad, str(iso)],
                 ["iso", "customize", "--dest-device", "/dev/sda", "--dest-karg-append", bad, str(iso)],
                 ["embed", "--iso", str(iso), str(bu), "--kargs-append", bad, "-o", str(tmp_path / "o.iso")],
                 ["embed", "--iso", str(iso), str(bu), "--dest-device", "/dev/sda", "--dest-karg-append", bad,
                  "-o", str(tmp_path / "o.iso")],
                 ["embed", "--pxe", str(iso), str(bu), "--kargs-append", bad, "-o", str(tmp_path / "pxe")]):
        p = run(*args)
        err = p.stderr.decode()
        assert p.returncode == 2 and "Traceback" not in err and err.count("\n") == 1, err
        assert "contains a control character" in err and "\x1b" not in err
    assert sha(iso) == orig
    assert sorted(os.listdir(tmp_path)) == sorted([iso.name, "c.bu"])


def test_pxe_stream_without_initramfs(site, tmp_path: Path) -> None:
    """A stream whose PXE set lacks the initramfs cannot boot: a clear error, nothing left."""
    srv, root, payloads, formats = site
    doc = json.loads((root / "stable.json").read_text())
    del doc["architectures"]["x86_64"]["artifacts"]["metal"]["formats"]["pxe"]["initramfs"]
    (root / "stable.json").write_text(json.dumps(doc))
    bu = tmp_path / "c.bu"
    bu.write_bytes(BUTANE)
    common = ["--stream-base-url", srv.base_url, "-a", "x86_64", "--keyring", str(VERIFY / "test-key.pub.asc"), "-q"]
    out = tmp_path / "pxe"
    for extra in ([], ["--dest-device", "/dev/sda"]):
        p = run("embed", "--pxe", "stable", *extra, str(bu), "-o", str(out), *common, cache=tmp_path / "cache")
        assert "a PXE boot needs a kernel and an initramfs" in one_line_error(p)
        assert not out.exists()
