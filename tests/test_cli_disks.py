"""``butane-py images ensure``, ``images copy`` and ``install`` as a user runs them (issue 17):
the loopback stream server of tests/test_ensure.py, the small metal image of
tests/test_install.py, and the real tools (qemu-img, xz, sfdisk, debugfs) to check the result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ._disks import data_map
from .conftest import ROOT
from .test_ensure import QEMU_NAME, RELEASE, VERIFY, compress, run as tool_run, site  # noqa: F401  (a fixture)
from .test_install import BOOT, CONFIG, TOOLS, cat, metal_image, tool

pytestmark = pytest.mark.skipif(not all(TOOLS.values()), reason="needs fdisk (sfdisk) and e2fsprogs")

MIB = 1 << 20
BUTANE = b"variant: fcos\nversion: 1.5.0\npasswd:\n  users:\n    - name: core\n      groups: [wheel]\n"


def cli(*args: str | Path, cache: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), BUTANE_PY_CACHE=str(cache))
    return subprocess.run([sys.executable, "-m", "butane_py", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def one_error_line(p: subprocess.CompletedProcess, *words: str) -> None:
    """A refusal: exit code 1, one ``Error:`` line naming ``words``, nothing on standard output."""
    assert p.returncode == 1, p.stderr
    assert p.stdout == "" and p.stderr.startswith("Error: ") and p.stderr.count("\n") == 1, p.stderr
    for word in words:
        assert word in p.stderr


@pytest.fixture(scope="module")
def metal(tmp_path_factory) -> Path:
    return metal_image(tmp_path_factory.mktemp("metal") / "metal.raw")


@pytest.fixture
def config(tmp_path: Path) -> tuple[Path, bytes]:
    """A Butane config, and the Ignition config the translate command makes of it."""
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    p = cli("--raw", bu, cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    return bu, p.stdout.encode()


def live_catalog(path: Path, alias: str, source: str) -> Path:
    """A catalog file whose ``alias`` (a Fedora CoreOS qemu disk) resolves live through ``source``."""
    path.write_text(json.dumps({"format": "butane-py-catalog:1", "images": {alias: {
        "distribution": "fcos", "stream": "stable", "version": None, "snapshot": None, "source": source,
        "platform": "qemu", "format": "qcow2.xz", "absent": "served by the test", "architectures": {}}}}))
    return path


# -- end to end: from the stream to a VM disk holding the config ---------------------------------


def test_ensure_alias_then_install_the_config(site, metal, config, tmp_path) -> None:  # noqa: F811
    """fcos-stable-qemu from the loopback stream (a metal-like GPT disk, as qcow2.xz) made a raw
    disk with ``images ensure -o``, then a Butane config installed into a VM disk from it."""
    tool_run("qemu-img", "convert", "-c", "-O", "qcow2", metal, tmp_path / "metal.qcow2")
    site.stream(QEMU_NAME, compress(tmp_path / "metal.qcow2", "xz").read_bytes())
    catalog = live_catalog(tmp_path / "catalog.json", "fcos-stable-qemu", site.srv.url("stable.json"))
    cache = tmp_path / "cache"
    fetching = ["--catalog", catalog, "--stream-base-url", site.srv.base_url, "-a", "x86_64", "--keyring",
                VERIFY / "test-key.pub.asc", "--fetch-retries", "0"]
    base = tmp_path / "base.raw"
    p = cli("images", "ensure", "fcos-stable-qemu", *fetching, "-o", base, cache=cache)
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"{base}\n"
    assert base.read_bytes() == metal.read_bytes()
    assert "Traceback" not in p.stderr and f"{QEMU_NAME}" not in p.stdout
    assert "fcos-stable-qemu: verifying, then preparing the raw disk" in p.stderr

    bu, ignition = config
    vm = tmp_path / "vm.raw"
    p = cli("install", "--image", base, "--platform", "qemu", bu, vm, cache=cache)
    assert p.returncode == 0, p.stderr
    assert p.stderr.endswith("Install complete.\n") and p.stdout == ""
    assert cat(vm, BOOT, "/ignition/config.ign") == ignition
    assert tool("sfdisk", "--verify", str(vm)).returncode == 0
    assert base.read_bytes() == metal.read_bytes(), "the image is only read"

    # The alias straight into install: the ready disk in the cache is used, nothing downloaded again.
    before = len(site.requested())
    direct = tmp_path / "direct.raw"
    p = cli("install", "--image", "fcos-stable-qemu", *fetching, "-q", bu, direct, cache=cache)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert site.requested()[before:] == ["/stable.json"]
    assert cat(direct, BOOT, "/ignition/config.ign") == ignition
    assert tool("sfdisk", "--verify", str(direct)).returncode == 0

    p = cli("images", "ensure", "fcos-stable-qemu", *fetching, "-q", cache=cache)
    assert p.returncode == 0 and p.stderr == ""
    [ready] = p.stdout.splitlines()
    assert Path(ready).parent == cache / "fcos" / "stable" / RELEASE / "x86_64" and ready.endswith(".raw")


def test_literal_url_is_unverified_and_says_so(site, metal, tmp_path) -> None:  # noqa: F811
    url = site.publish("disks/my-disk.raw.zst", compress(metal, "zst").read_bytes(), signed=False)
    p = cli("images", "ensure", url, "--fetch-retries", "0", "-q", cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    assert Path(p.stdout.strip()).name.startswith("my-disk.") and Path(p.stdout.strip()).read_bytes() == \
        metal.read_bytes()
    assert p.stderr == f"Warning: {url} was downloaded unverified (a literal URL has no digest or signature to " \
                       "check)\n"
    assert site.requested() == ["/disks/my-disk.raw.zst"], "no signature is asked for"


def test_ensure_refusals_are_one_line(tmp_path) -> None:
    cache = tmp_path / "cache"
    one_error_line(cli("images", "ensure", "fcos-stabel-qemu", cache=cache, cwd=tmp_path), "unknown image",
                   "fcos-stable-qemu")
    one_error_line(cli("images", "ensure", "fcos-stable-pxe", cache=cache), "not a disk image")
    raw = tmp_path / "plain.raw"
    raw.write_bytes(b"\1" * 4096)
    one_error_line(cli("images", "ensure", raw, "--format", "qcow2", cache=cache), "is a raw disk")
    p = cli("images", "ensure", raw, "--format", "vmdk", cache=cache)
    assert p.returncode == 2 and "vmdk" in p.stderr and "Traceback" not in p.stderr
    assert not cache.exists()


# -- images copy ----------------------------------------------------------------------------------


def test_copy_is_sparse_and_extended(metal, tmp_path) -> None:
    dst = tmp_path / "vm" / "disk.raw"
    dst.parent.mkdir()
    p = cli("images", "copy", metal, dst, "--size", "64M", cache=tmp_path / "cache")
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "", p.stderr
    assert dst.stat().st_size == 64 * MIB
    with open(dst, "rb") as f:
        assert f.read(metal.stat().st_size) == metal.read_bytes()
        assert f.read() == bytes(64 * MIB - metal.stat().st_size)
    fd = os.open(dst, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    assert data_map(dst)[-1][1] <= metal.stat().st_size, "the extension is a hole"


def test_copy_refusals(metal, tmp_path) -> None:
    cache = tmp_path / "cache"
    dst = tmp_path / "small.raw"
    one_error_line(cli("images", "copy", metal, dst, "--size", "1M", cache=cache), "smaller than the source")
    one_error_line(cli("images", "copy", metal, dst, "--size", "1.5G", cache=cache), "invalid size '1.5G'")
    assert not dst.exists()
    mine = tmp_path / "mine.raw"
    mine.write_bytes(metal.read_bytes())
    one_error_line(cli("images", "copy", mine, mine, "--size", "64M", cache=cache), "over its own source")
    (tmp_path / "link.raw").symlink_to(mine)
    one_error_line(cli("images", "copy", mine, tmp_path / "link.raw", cache=cache), "over its own source")
    assert mine.read_bytes() == metal.read_bytes()
    one_error_line(cli("images", "copy", tmp_path / "nowhere.raw", dst, cache=cache), "cannot open")


# -- install ----------------------------------------------------------------------------------------


def test_force_overwrites_a_non_empty_file(metal, tmp_path) -> None:
    cache = tmp_path / "cache"
    ign = tmp_path / "config.ign"
    ign.write_bytes(CONFIG)
    dest = tmp_path / "disk.raw"
    dest.write_bytes(b"precious" * 1000)
    one_error_line(cli("install", "--image", metal, ign, dest, cache=cache), "non-empty file")
    assert dest.read_bytes() == b"precious" * 1000
    p = cli("install", "--image", metal, "--force", "-q", ign, dest, cache=cache)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert cat(dest, BOOT, "/ignition/config.ign") == CONFIG
    assert dest.stat().st_size == metal.stat().st_size
    assert tool("sfdisk", "--verify", str(dest)).returncode == 0


def test_kargs_firstboot_args_and_network(metal, tmp_path) -> None:
    cache = tmp_path / "cache"
    ign = tmp_path / "config.ign"
    ign.write_bytes(CONFIG)
    net = tmp_path / "net"
    net.mkdir()
    (net / "eth0.nmconnection").write_text("[connection]\nid=eth0\n")
    (net / "skipped-dir").mkdir()
    dest = tmp_path / "disk.raw"
    p = cli("install", "--image", metal, "--append-karg", "quiet", "--delete-karg", "rw", "--firstboot-args",
            "ip=dhcp", "-n", "--network-dir", net, "-q", ign, dest, cache=cache)
    assert p.returncode == 0, p.stderr
    entry = cat(dest, BOOT, "/loader/entries/ostree-1.conf").decode()
    options = [line for line in entry.splitlines() if line.startswith("options ")][0].split()
    assert "quiet" in options and "rw" not in options
    assert b'set ignition_network_kcmdline="ip=dhcp"' in cat(dest, BOOT, "/ignition.firstboot")
    assert cat(dest, BOOT, "/coreos-firstboot-network/eth0.nmconnection") == b"[connection]\nid=eth0\n"
    p = cli("install", "--image", metal, "--network-dir", net, ign, tmp_path / "other.raw", cache=cache)
    assert p.returncode == 2 and p.stderr == "Error: --network-dir goes with -n/--copy-network\n"
    one_error_line(cli("install", "--image", metal, "-n", "--network-dir", tmp_path / "none", ign,
                       tmp_path / "other.raw", cache=cache), "cannot read the network directory")
    assert not (tmp_path / "other.raw").exists()


def test_bad_configs_are_refused_before_anything_is_written(metal, tmp_path) -> None:
    cache = tmp_path / "cache"
    dest = tmp_path / "disk.raw"
    bad_ign = tmp_path / "bad.ign"
    bad_ign.write_text('{"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "relative"}]}}')
    p = cli("install", "--image", metal, bad_ign, dest, cache=cache)
    assert p.returncode == 1 and "path not absolute" in p.stderr and "Traceback" not in p.stderr
    assert p.stderr.splitlines()[-1].startswith("Error: ") and "is not a valid Ignition config" in p.stderr
    bad_bu = tmp_path / "bad.bu"
    bad_bu.write_text("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: relative\n")
    p = cli("install", "--image", metal, bad_bu, dest, cache=cache)
    assert p.returncode == 1 and "path not absolute" in p.stderr and "Traceback" not in p.stderr
    assert p.stderr.splitlines()[-1] == f"Error: translating {bad_bu}: config generated was invalid"
    one_error_line(cli("install", "--image", tmp_path / "nowhere.raw", bad_ign.with_name("none.ign"), dest,
                       cache=cache), "couldn't read config")
    assert not dest.exists()


def test_install_refuses_the_image_itself_and_a_non_disk(metal, tmp_path) -> None:
    cache = tmp_path / "cache"
    ign = tmp_path / "config.ign"
    ign.write_bytes(CONFIG)
    mine = tmp_path / "mine.raw"
    mine.write_bytes(metal.read_bytes())
    one_error_line(cli("install", "--image", mine, "--force", ign, mine, cache=cache), "is the image itself")
    assert mine.read_bytes() == metal.read_bytes()
    empty = tmp_path / "empty.raw"
    empty.write_bytes(bytes(4 * MIB))
    one_error_line(cli("install", "--image", empty, ign, tmp_path / "disk.raw", cache=cache), "empty.raw")
    assert not (tmp_path / "disk.raw").exists()
