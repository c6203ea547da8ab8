"""The iso, pxe and embed commands end to end, as a user runs them; `embed --iso stable` fetches a
fixture ISO from a loopback server, signed at test time."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from butane_py import embed

from ._httpserver import TestServer
from ._isos import pristine, working_copy
from .conftest import ROOT, THIRD_PARTY
from .test_cli_download import VERIFY, sign, site  # noqa: F401 - site is a fixture

STREAM = THIRD_PARTY / "stream-metadata" / "fcos-stream.json"
X86 = "embed-areas-2023-07.x86_64.iso"
BUTANE = b"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/hostname\n      contents:\n        inline: node1\n"


def run(*args: str, stdin: bytes | None = None, cache: Path | None = None, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if cache is not None:
        env["BUTANE_PY_CACHE"] = str(cache)
    return subprocess.run([sys.executable, "-m", "butane_py", *args], input=stdin, capture_output=True, env=env,
                          timeout=300, **kw)


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def one_line_error(p: subprocess.CompletedProcess) -> str:
    err = p.stderr.decode()
    assert p.returncode == 1, err
    assert "Traceback" not in err
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    return err


def translated() -> bytes:
    from butane_py import translate

    return (translate(BUTANE).output + "\n").encode()


def test_iso_ignition_commands(iso_cache, tmp_path: Path) -> None:
    iso = working_copy(X86, iso_cache, tmp_path)
    orig = sha(iso)
    config = b'{"ignition": {"version": "3.0.0"}}\n'
    cfg = tmp_path / "c.ign"
    cfg.write_bytes(config)
    streamed = run("iso", "ignition", "embed", "-o", "-", str(iso), stdin=config)
    assert streamed.returncode == 0, streamed.stderr
    out = tmp_path / "out.iso"
    assert run("iso", "ignition", "embed", "-i", str(cfg), "-o", str(out), str(iso)).returncode == 0
    assert run("iso", "ignition", "embed", "-i", str(cfg), str(iso)).returncode == 0
    assert hashlib.sha256(streamed.stdout).hexdigest() == sha(out) == sha(iso) != orig
    shown = run("iso", "ignition", "show", str(iso))
    assert shown.returncode == 0 and shown.stdout == config
    err = one_line_error(run("iso", "ignition", "embed", "-i", str(cfg), str(iso)))
    assert "already has an embedded Ignition config; use -f to force" in err
    assert run("iso", "ignition", "embed", "-f", "-i", str(cfg), str(iso)).returncode == 0
    removed = run("iso", "ignition", "remove", "-o", "-", str(iso))
    assert hashlib.sha256(removed.stdout).hexdigest() == orig
    assert run("iso", "ignition", "remove", str(iso)).returncode == 0
    assert sha(iso) == orig
    assert "No embedded Ignition config" in one_line_error(run("iso", "ignition", "show", str(iso)))


def test_iso_kargs_and_network_commands(iso_cache, tmp_path: Path) -> None:
    iso = working_copy(X86, iso_cache, tmp_path)
    orig = sha(iso)
    assert run("iso", "kargs", "modify", "-a", "foo=1", "-a", "bar", str(iso)).returncode == 0
    shown = run("iso", "kargs", "show", str(iso)).stdout.decode()
    assert shown.endswith(" foo=1 bar\n")
    assert run("iso", "kargs", "modify", "-r", "foo=1=2", "-d", "bar", str(iso)).returncode == 0
    assert run("iso", "kargs", "show", str(iso)).stdout.decode().endswith("ignition.platform.id=metal foo=2\n")
    default = run("iso", "kargs", "show", "--default", str(iso)).stdout.decode()
    assert "foo" not in default
    assert run("iso", "kargs", "reset", str(iso)).returncode == 0
    assert sha(iso) == orig
    key = tmp_path / "eth0.nmconnection"
    key.write_text("[connection]\nid=eth0\n")
    assert run("iso", "network", "embed", "-k", str(key), str(iso)).returncode == 0
    printed = run("iso", "network", "extract", str(iso)).stdout.decode()
    assert printed == "########## eth0.nmconnection ##########\n[connection]\nid=eth0\n"
    out = tmp_path / "keys"
    listed = run("iso", "network", "extract", "-C", str(out), str(iso))
    assert listed.stdout.decode().split() == [str(out / "eth0.nmconnection")]
    assert (out / "eth0.nmconnection").read_text() == "[connection]\nid=eth0\n"
    assert run("iso", "network", "remove", str(iso)).returncode == 0
    assert sha(iso) == orig


def test_refuses_terminal_and_bad_images(iso_cache, tmp_path: Path) -> None:
    iso = working_copy(X86, iso_cache, tmp_path)
    orig = sha(iso)
    master, slave = pty.openpty()
    try:
        p = subprocess.run([sys.executable, "-m", "butane_py", "iso", "ignition", "embed", "-o", "-", str(iso)],
                           input=b"{}", stdout=slave, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                           timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert p.returncode == 1 and b"Refusing to write binary data to terminal" in p.stderr
    assert sha(iso) == orig
    assert "cannot open" in one_line_error(run("iso", "kargs", "show", str(tmp_path / "missing.iso")))
    notiso = tmp_path / "not.iso"
    notiso.write_bytes(b"x" * 100_000)
    one_line_error(run("iso", "ignition", "show", str(notiso)))
    big = b'{"x":"' + __import__("base64").b64encode(os.urandom(300_000)) + b'"}'
    err = one_line_error(run("iso", "ignition", "embed", str(iso), stdin=big))
    assert "config too large for embed area:" in err and "> 262144 bytes" in err
    assert sha(iso) == orig


def test_pxe_wrap_unwrap_and_extract(iso_cache, tmp_path: Path) -> None:
    config = b'{"ignition":{"version":"3.4.0"}}'
    wrapped = run("pxe", "ignition", "wrap", stdin=config)
    assert wrapped.returncode == 0 and wrapped.stdout.startswith(b"\xfd7zXZ")
    img = tmp_path / "config.img"
    cfg = tmp_path / "c.ign"
    cfg.write_bytes(config)
    assert run("pxe", "ignition", "wrap", "-i", str(cfg), "-o", str(img)).returncode == 0
    assert img.read_bytes() == wrapped.stdout
    assert run("pxe", "ignition", "unwrap", str(img)).stdout == config
    assert run("pxe", "ignition", "unwrap", stdin=img.read_bytes()).stdout == config
    trav = THIRD_PARTY / "coreos-installer/initrd/traversal-relative.img"
    assert "couldn't find Ignition config" in one_line_error(run("pxe", "ignition", "unwrap", str(trav)))
    iso = pristine(X86, iso_cache)
    listed = run("iso", "extract", "pxe", "-o", str(tmp_path / "pxe"), str(iso))
    names = sorted(Path(p).name for p in listed.stdout.decode().split())
    assert names == [f"{iso.stem}-initrd.img", f"{iso.stem}-rootfs.img", f"{iso.stem}-vmlinuz"]


def test_embed_local_iso_butane(iso_cache, tmp_path: Path) -> None:
    iso = pristine(X86, iso_cache)
    orig = sha(iso)
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    out = tmp_path / "node.iso"
    p = run("embed", "--iso", str(iso), str(bu), "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert embed.ignition_show(str(out)) == translated()
    assert sha(iso) == orig
    # an invalid config stops before anything is written
    bad = tmp_path / "bad.bu"
    bad.write_text("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: relative\n")
    p = run("embed", "--iso", str(iso), str(bad), "-o", str(tmp_path / "bad.iso"))
    assert p.returncode == 1 and b"Traceback" not in p.stderr
    assert b"path not absolute" in p.stderr and b"bad.bu:5:13" in p.stderr
    assert not (tmp_path / "bad.iso").exists()
    # Ignition input is validated, then embedded as given
    ign = tmp_path / "c.ign"
    ign.write_bytes(b'{"ignition":{"version":"3.4.0"}}\n')
    out2 = tmp_path / "node2.iso"
    assert run("embed", "--iso", str(iso), str(ign), "-o", str(out2)).returncode == 0
    assert embed.ignition_show(str(out2)) == ign.read_bytes()


def test_embed_dest_device(iso_cache, tmp_path: Path) -> None:
    iso = pristine(X86, iso_cache)
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    out = tmp_path / "installer.iso"
    p = run("embed", "--iso", str(iso), "--dest-device", "/dev/sda", "--dest-karg-append", "console=ttyS0",
            str(bu), "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert b"automatically install to /dev/sda" in p.stderr
    from .test_embed_iso import embedded_files

    files = embedded_files(embed.ignition_show(str(out)))
    assert files["/etc/coreos/dest.ign"] == translated()
    assert files["/etc/coreos/installer.d/0000-customize.yaml"] == (
        b"ignition-file: /etc/coreos/dest.ign\nappend-karg:\n- console=ttyS0\ndest-device: /dev/sda\n")


def test_embed_pxe_from_iso(iso_cache, tmp_path: Path) -> None:
    iso = pristine(X86, iso_cache)
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    out = tmp_path / "pxe"
    p = run("embed", "--pxe", str(iso), str(bu), "-o", str(out), "--kargs-append", "console=ttyS0")
    assert p.returncode == 0, p.stderr
    text = p.stdout.decode()
    assert "kernel arguments: ignition.firstboot ignition.platform.id=metal coreos.live.rootfs_url=" in text
    assert text.rstrip().endswith("console=ttyS0")
    assert embed.pxe_unwrap((out / "ignition.img").read_bytes()) == translated()
    assert "already exists" in one_line_error(run("embed", "--pxe", str(iso), str(bu), "-o", str(out)))
    assert run("embed", "--pxe", str(iso), str(bu), "-o", str(out), "-f").returncode == 0
    assert sorted(os.listdir(out)) == sorted([f"{iso.stem}-initrd.img", f"{iso.stem}-rootfs.img",
                                              f"{iso.stem}-vmlinuz", "ignition.img"])


@pytest.fixture
def stream_site(iso_cache, tmp_path):
    """A stream whose metal/iso artifact is a fixture ISO served from 127.0.0.1, signed now."""
    root = tmp_path / "srv"
    root.mkdir()
    doc = json.loads(STREAM.read_text())
    artifact = doc["architectures"]["x86_64"]["artifacts"]["metal"]["formats"]["iso"]["disk"]
    data = pristine(X86, iso_cache).read_bytes()
    with TestServer(root) as srv:
        (root / "live.iso").write_bytes(data)
        (root / "live.iso.sig").write_bytes(sign(data))
        artifact.update(location=srv.url("live.iso"), signature=srv.url("live.iso.sig"),
                        sha256=hashlib.sha256(data).hexdigest())
        (root / "stable.json").write_text(json.dumps(doc))
        yield srv, artifact


def test_embed_iso_stream_end_to_end(stream_site, tmp_path: Path) -> None:
    srv, artifact = stream_site
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    cache = tmp_path / "cache"
    common = ["--stream-base-url", srv.base_url, "-a", "x86_64", "--keyring", str(VERIFY / "test-key.pub.asc"), "-q"]
    out = tmp_path / "node.iso"
    p = run("embed", "--iso", "stable", *common, str(bu), "-o", str(out), cache=cache)
    assert p.returncode == 0, p.stderr
    assert embed.ignition_show(str(out)) == translated()
    cached = [f for f in cache.rglob("*.iso")]
    assert len(cached) == 1 and sha(cached[0]) == artifact["sha256"], "the cached image is never modified"
    before = len(srv.paths_requested())
    streamed = run("embed", "--iso", "stable", *common, str(bu), "-o", "-", cache=cache)
    assert streamed.returncode == 0, streamed.stderr
    assert hashlib.sha256(streamed.stdout).hexdigest() == sha(out)
    assert srv.paths_requested()[before:] == ["/stable.json"], "the second run is served from the cache"


def test_embed_iso_tampered_download(stream_site, tmp_path: Path) -> None:
    srv, artifact = stream_site
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    srv_root = tmp_path / "srv"
    data = bytearray((srv_root / "live.iso").read_bytes())
    data[70000] ^= 1
    (srv_root / "live.iso").write_bytes(bytes(data))
    out = tmp_path / "node.iso"
    p = run("embed", "--iso", "stable", "--stream-base-url", srv.base_url, "-a", "x86_64", "--keyring",
            str(VERIFY / "test-key.pub.asc"), "-q", "--fetch-retries", "0", str(bu), "-o", str(out),
            cache=tmp_path / "cache")
    one_line_error(p)
    assert not out.exists()


def flatcar_channel(root: Path) -> None:
    """A Flatcar channel's PXE files under ``root``, signed with the test key."""
    version = "4152.2.3"
    (root / "current").mkdir(parents=True)
    (root / version).mkdir()
    (root / "current" / "version.txt").write_text(f"FLATCAR_VERSION={version}\nFLATCAR_VERSION_ID={version}\n")
    for name in ("flatcar_production_pxe.vmlinuz", "flatcar_production_pxe_image.cpio.gz"):
        data = os.urandom(50_000)
        (root / version / name).write_bytes(data)
        (root / version / f"{name}.sig").write_bytes(sign(data))
        (root / version / f"{name}.DIGESTS").write_text(f"# SHA512 HASH\n{hashlib.sha512(data).hexdigest()}  {name}\n")


def test_embed_flatcar(tmp_path: Path) -> None:
    root = tmp_path / "srv"
    flatcar_channel(root)
    bu = tmp_path / "config.bu"
    bu.write_text("variant: flatcar\nversion: 1.1.0\npasswd:\n  users:\n    - name: core\n")
    out = tmp_path / "pxe"
    with TestServer(root) as srv:
        common = ["--stream-base-url", srv.base_url, "-a", "x86_64", "--keyring", str(VERIFY / "test-key.pub.asc"),
                  "-q"]
        p = run("embed", "--flatcar", "stable", "--pxe", "-o", str(out), *common, str(bu), cache=tmp_path / "cache")
        assert p.returncode == 0, p.stderr
        again = run("embed", "--flatcar", "stable", "--pxe", str(bu), "-o", str(out), *common, cache=tmp_path / "cache")
        assert "already exists; use --force" in one_line_error(again)
        again = run("embed", "--flatcar", "stable", "--pxe", str(bu), "-o", str(out), "-f", *common,
                    cache=tmp_path / "cache")
        assert again.returncode == 0, again.stderr
        # a channel that does not exist: an error, and no directory left behind
        missing = run("embed", "--flatcar", "beta", "--pxe", "-o", str(tmp_path / "none"), *common[2:],
                      "--stream-base-url", srv.base_url + "/nope", "--fetch-retries", "0", str(bu),
                      cache=tmp_path / "cache")
        one_line_error(missing)
        assert not (tmp_path / "none").exists()
    assert "kernel arguments: flatcar.first_boot=1" in p.stdout.decode()
    oem = out / "flatcar-oem-config.img"
    listing = subprocess.run("gzip -dc | cpio -i --to-stdout --quiet usr/share/oem/config.ign", shell=True,
                             input=oem.read_bytes(), capture_output=True, check=True).stdout
    assert json.loads(listing)["passwd"]["users"] == [{"name": "core"}]
    assert sorted(os.listdir(out)) == ["flatcar-oem-config.img", "flatcar_production_pxe.vmlinuz",
                                       "flatcar_production_pxe_image.cpio.gz"]
    err = one_line_error(run("embed", "--flatcar", "stable", "--iso", "x", str(bu), "-o", str(tmp_path / "f.iso")))
    assert "Flatcar ISOs have no Ignition embed area" in err and "--pxe" in err


OEM_BASE = (b"variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /etc/oem-agent.conf\n"
            b"      contents:\n        inline: region=eu\n")
OEM_DEFAULT = b"variant: flatcar\nversion: 1.1.0\nsystemd:\n  units:\n    - name: oem-cloudinit.service\n      enabled: true\n"
CLOUD_CONFIG = b"#cloud-config\nhostname: node1\n"


def test_embed_flatcar_oem_configs(tmp_path: Path) -> None:
    """A distributor's configs in the OEM initrd, listed and unpacked by the real cpio; the
    translated configs pass validate, the cloud-config is copied as given."""
    root = tmp_path / "srv"
    flatcar_channel(root)
    for name, data in (("base.bu", OEM_BASE), ("default.bu", OEM_DEFAULT), ("cc.yml", CLOUD_CONFIG)):
        (tmp_path / name).write_bytes(data)
    (tmp_path / "config.bu").write_text("variant: flatcar\nversion: 1.1.0\npasswd:\n  users:\n    - name: core\n")
    oem_args = ["--oem-base", str(tmp_path / "base.bu"), "--oem-default", str(tmp_path / "default.bu"),
                "--oem-cloud-config", str(tmp_path / "cc.yml")]
    with TestServer(root) as srv:
        common = ["--stream-base-url", srv.base_url, "-a", "x86_64", "--keyring", str(VERIFY / "test-key.pub.asc"),
                  "-q", "--flatcar", "stable", "--pxe"]
        alone = run("embed", *common, "-o", str(tmp_path / "alone"), *oem_args, cache=tmp_path / "cache")
        assert alone.returncode == 0, alone.stderr
        both = run("embed", *common, "-o", str(tmp_path / "both"), *oem_args, str(tmp_path / "config.bu"),
                   cache=tmp_path / "cache")
        assert both.returncode == 0, both.stderr
    assert "kernel arguments: flatcar.first_boot=1" in alone.stdout.decode()
    oem_files = ["usr/share/oem/base/base.ign", "usr/share/oem/base/default.ign", "usr/share/oem/cloud-config.yml"]
    dirs = ["usr", "usr/share", "usr/share/oem", "usr/share/oem/base"]
    for out, expected in (("alone", oem_files), ("both", [*oem_files, "usr/share/oem/config.ign"])):
        image = (tmp_path / out / "flatcar-oem-config.img").read_bytes()
        listing = subprocess.run("gzip -dc | cpio -t --quiet", shell=True, input=image, capture_output=True,
                                 check=True).stdout.decode().split()
        assert listing == dirs + expected
        unpacked = tmp_path / f"{out}-unpacked"
        unpacked.mkdir()
        subprocess.run("gzip -dc | cpio -i -d --quiet", shell=True, input=image, cwd=unpacked, check=True)
        for name in ("base.ign", "default.ign"):
            p = run("validate", str(unpacked / "usr/share/oem/base" / name))
            assert (p.returncode, p.stdout, p.stderr) == (0, b"", b"")
        assert (unpacked / "usr/share/oem/cloud-config.yml").read_bytes() == CLOUD_CONFIG
        base = json.loads((unpacked / "usr/share/oem/base/base.ign").read_bytes())
        assert base["storage"]["files"][0]["path"] == "/etc/oem-agent.conf"
    assert not (tmp_path / "alone-unpacked/usr/share/oem/config.ign").exists()


def test_embed_flatcar_oem_errors(tmp_path: Path) -> None:
    """Refused before anything is fetched (the server does not exist), leaving no directory."""
    (tmp_path / "fcos.bu").write_bytes(OEM_BASE.replace(b"flatcar", b"fcos", 1).replace(b"1.1.0", b"1.5.0"))
    (tmp_path / "bad.ign").write_bytes(b'{"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "x"}]}}')
    (tmp_path / "script.yml").write_bytes(b"#!/bin/sh\necho hi\n")
    (tmp_path / "ok.yml").write_bytes(CLOUD_CONFIG)
    out = tmp_path / "pxe"
    common = ["embed", "--flatcar", "stable", "--pxe", "-o", str(out), "--stream-base-url", "http://127.0.0.1:9",
              "--fetch-retries", "0", "-q"]
    cases = [
        (["--oem-base", str(tmp_path / "fcos.bu")],
         "fcos.bu has variant fcos: Flatcar's OEM configs need variant flatcar"),
        (["--oem-default", str(tmp_path / "missing.bu")], "no such file or directory"),
        (["--oem-base", str(tmp_path / "bad.ign")], "bad.ign is not a valid Ignition config"),
        (["--oem-cloud-config", str(tmp_path / "script.yml")], "must start with a '#cloud-config' line"),
        (["--oem-cloud-config", str(tmp_path / "missing.yml")], "no such file or directory"),
    ]
    for args, expect in cases:
        p = run(*common, *args)
        assert p.returncode == 1 and "Traceback" not in p.stderr.decode(), p.stderr
        assert p.stderr.decode().splitlines()[-1].startswith("Error: ") and expect in p.stderr.decode(), p.stderr
        assert not out.exists()
    usage = run("embed", "--iso", "stable", "-o", str(tmp_path / "x.iso"), "--oem-cloud-config",
                str(tmp_path / "ok.yml"))
    assert usage.returncode == 2 and b"are for Flatcar" in usage.stderr, usage.stderr
    nothing = run("embed", "--flatcar", "stable", "--pxe", "-o", str(out))
    assert nothing.returncode == 2 and b"missing CONFIG" in nothing.stderr, nothing.stderr
    stdin_twice = run(*common, "--oem-base", "-", "--oem-default", "-")
    assert stdin_twice.returncode == 2 and b"only one input can be standard input" in stdin_twice.stderr


def test_embed_with_coreos_installer_customize_fixtures(iso_cache, tmp_path: Path) -> None:
    """coreos-installer's customize fixtures: dest.bu becomes dest.ign (whose recorded translation is
    dest.ign), with its keyfile, CA and destination kernel argument."""
    from butane_py.ignition import parse_config

    from .test_embed_iso import embedded_files

    custom = THIRD_PARTY / "coreos-installer" / "customize"
    iso = pristine(X86, iso_cache)
    out = tmp_path / "installer.iso"
    p = run("embed", "--iso", str(iso), "--dest-device", "/dev/vda", "--dest-karg-append", "dest-karg",
            "--network-keyfile", str(custom / "installer-test.nmconnection"), "--ignition-ca", str(custom / "cert.pem"),
            str(custom / "dest.bu"), "-o", str(out))
    assert p.returncode == 0, p.stderr
    live = embed.ignition_show(str(out))
    assert parse_config(live).ok
    files = embedded_files(live)
    dest = json.loads(files["/etc/coreos/dest.ign"])
    assert dest["ignition"]["security"]["tls"]["certificateAuthorities"], "the CA reaches the installed system"
    [merged] = dest["ignition"]["config"]["merge"]
    import base64
    import gzip

    user = json.loads(gzip.decompress(base64.b64decode(merged["source"].split(",", 1)[1])))
    assert user == json.loads((custom / "dest.ign").read_text()), "same as the reference butane's translation"
    assert files["/etc/coreos/installer.d/0000-customize.yaml"] == (
        b"ignition-file: /etc/coreos/dest.ign\nappend-karg:\n- dest-karg\ncopy-network: true\ndest-device: /dev/vda\n")
    assert embed.network_files(str(out)) == {
        "installer-test.nmconnection": (custom / "installer-test.nmconnection").read_bytes()}


def test_embed_pxe_stream_end_to_end(site, tmp_path: Path) -> None:
    """--pxe stable: kernel, initramfs and rootfs fetched (verified) into the directory, the config
    initrd beside them, and the rootfs URL of the stream in the printed kernel arguments."""
    srv, root, payloads, formats = site
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    out = tmp_path / "pxe"
    p = run("embed", "--pxe", "stable", str(bu), "-o", str(out), "--stream-base-url", srv.base_url, "-a", "x86_64",
            "--keyring", str(VERIFY / "test-key.pub.asc"), "-q", cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    for name in ("kernel", "initramfs", "rootfs"):
        filename = formats["pxe"][name]["location"].rsplit("/", 1)[1]
        assert (out / filename).read_bytes() == payloads[("pxe", name)]
    assert embed.pxe_unwrap((out / "ignition.img").read_bytes()) == translated()
    rootfs_url = formats["pxe"]["rootfs"]["location"]
    assert f"kernel arguments: ignition.firstboot ignition.platform.id=metal coreos.live.rootfs_url={rootfs_url}\n" \
        in p.stdout.decode()


def test_full_disk_on_standard_output(iso_cache, tmp_path: Path) -> None:
    iso = working_copy(X86, iso_cache, tmp_path)
    embed.ignition_embed(str(iso), b"{}\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for args in (["iso", "ignition", "show", str(iso)], ["iso", "ignition", "embed", "-f", "-o", "-", str(iso)],
                 ["iso", "kargs", "show", str(iso)]):
        with open("/dev/full", "wb") as full:
            p = subprocess.run([sys.executable, "-m", "butane_py", *args], input=b"{}", stdout=full,
                               stderr=subprocess.PIPE, env=env, timeout=60)
        assert p.returncode == 1 and b"Traceback" not in p.stderr, p.stderr
        assert b"no space left on device" in p.stderr


def test_closed_pipe_is_quiet(iso_cache, tmp_path: Path) -> None:
    iso = working_copy(X86, iso_cache, tmp_path)
    big = b'{"x":"' + b"a" * 200_000 + b'"}'
    embed.ignition_embed(str(iso), big)
    p = subprocess.run(f"{sys.executable} -m butane_py iso ignition show {iso} | head -c 10", shell=True,
                       capture_output=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert p.stdout == big[:10]
    assert b"Traceback" not in p.stderr and b"Error" not in p.stderr


def test_failed_pxe_embed_leaves_nothing(iso_cache, tmp_path: Path) -> None:
    iso = pristine(X86, iso_cache)
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    out = tmp_path / "pxe"
    p = run("embed", "--pxe", str(iso), "--network-keyfile", str(tmp_path / "missing.nmconnection"), str(bu),
            "-o", str(out))
    assert "missing.nmconnection" in one_line_error(p)
    assert not out.exists()
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    (out / "ignition.img").write_text("old")
    p = run("embed", "--pxe", str(iso), str(bu), "-o", str(out))
    assert "already exists" in one_line_error(p)
    assert sorted(os.listdir(out)) == ["ignition.img", "keep.txt"], "nothing was extracted"
    assert (out / "ignition.img").read_text() == "old"


def test_missing_local_image_is_not_a_stream(tmp_path: Path) -> None:
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    err = one_line_error(run("embed", "--iso", str(tmp_path / "nope.iso"), str(bu), "-o", str(tmp_path / "o.iso")))
    assert "no such file" in err


def test_iso_customize_and_reset(iso_cache, tmp_path: Path) -> None:
    """coreos-installer's `iso customize` options with its customize fixtures, then `iso reset`."""
    from butane_py.ignition import parse_config

    from .test_embed_iso import embedded_files

    custom = THIRD_PARTY / "coreos-installer" / "customize"
    iso = working_copy(X86, iso_cache, tmp_path)
    orig = sha(iso)
    p = run("iso", "customize", "--dest-device", "/dev/vda", "--dest-ignition", str(custom / "dest.ign"),
            "--dest-ignition", str(custom / "dest-2.ign"), "--dest-karg-append", "dest-karg",
            "--network-keyfile", str(custom / "installer-test.nmconnection"),
            "--live-ignition", str(custom / "live.ign"), "--live-karg-append", "live-karg", str(iso))
    assert p.returncode == 0, p.stderr
    assert b"automatically install to /dev/vda" in p.stderr
    live = embed.ignition_show(str(iso))
    doc = json.loads(live)
    assert parse_config(live).ok
    assert len(doc["ignition"]["config"]["merge"]) == 1, "the live config is merged in"
    files = embedded_files(live)
    dest = json.loads(files["/etc/coreos/dest.ign"])
    assert len(dest["ignition"]["config"]["merge"]) == 2, "two dest configs are merged"
    assert embed.kargs_show(str(iso)).endswith(" live-karg")
    assert "already customized" in one_line_error(run("iso", "customize", "--live-ignition",
                                                      str(custom / "live.ign"), str(iso)))
    bad = tmp_path / "bad.ign"
    bad.write_text('{"ignition":{"version":"9.9.9"}}')
    p = run("iso", "customize", "-f", "--live-ignition", str(bad), str(iso))
    assert p.returncode == 1 and b"not a valid Ignition config" in p.stderr
    assert run("iso", "reset", str(iso)).returncode == 0
    assert sha(iso) == orig


def test_pxe_network_wrap_unwrap(tmp_path: Path) -> None:
    key = tmp_path / "eth0.nmconnection"
    key.write_text("[connection]\nid=eth0\n")
    img = tmp_path / "network.img"
    assert run("pxe", "network", "wrap", "-k", str(key), "-o", str(img)).returncode == 0
    listing = subprocess.run("xz -dc | cpio -it --quiet", shell=True, input=img.read_bytes(), capture_output=True,
                             check=True).stdout.decode().split()
    assert listing == ["etc", "etc/coreos-firstboot-network", "etc/coreos-firstboot-network/eth0.nmconnection"]
    printed = run("pxe", "network", "unwrap", str(img))
    assert printed.stdout == b"########## eth0.nmconnection ##########\n[connection]\nid=eth0\n"
    out = tmp_path / "keys"
    assert run("pxe", "network", "unwrap", "-C", str(out), stdin=img.read_bytes()).returncode == 0
    assert (out / "eth0.nmconnection").read_text() == "[connection]\nid=eth0\n"
    for name in ("traversal-absolute.img", "traversal-relative.img"):
        trav = THIRD_PARTY / "coreos-installer/initrd" / name
        err = one_line_error(run("pxe", "network", "unwrap", "-C", str(tmp_path / "t"), str(trav)))
        assert "No embedded network settings" in err
    assert not (tmp_path / "t").exists()


def test_embed_openshift_config_embeds_ignition(iso_cache, tmp_path: Path) -> None:
    """An openshift Butane config translates to a MachineConfig; embed needs its Ignition config."""
    from butane_py import translate

    bu = tmp_path / "worker.bu"
    bu.write_text("variant: openshift\nversion: 4.14.0\nmetadata:\n  name: 99-worker\n  labels:\n"
                  "    machineconfiguration.openshift.io/role: worker\n")
    out = tmp_path / "node.iso"
    p = run("embed", "--iso", str(pristine(X86, iso_cache)), str(bu), "-o", str(out))
    assert p.returncode == 0, p.stderr
    embedded = embed.ignition_show(str(out))
    assert json.loads(embedded)["ignition"]["version"].startswith("3.")
    assert embedded == (translate(bu.read_bytes(), raw=True).output + "\n").encode()


def test_embed_pxe_stream_reads_features_from_the_initramfs(site, tmp_path: Path) -> None:
    """With --dest-device, what the image supports comes from its initramfs: an image without
    the installer-config feature is refused, and nothing is left in the directory."""
    srv, root, payloads, formats = site
    name = formats["pxe"]["initramfs"]["location"].rsplit("/", 1)[1]
    old = embed.to_bytes({"etc/coreos-live-initramfs": b"", "etc/coreos/features.json": b'{"live-initrd-network": true}'},
                         "gzip")
    (root / name).write_bytes(old)
    (root / f"{name}.sig").write_bytes(sign(old))
    doc = json.loads((root / "stable.json").read_text())
    doc["architectures"]["x86_64"]["artifacts"]["metal"]["formats"]["pxe"]["initramfs"]["sha256"] = \
        hashlib.sha256(old).hexdigest()
    (root / "stable.json").write_text(json.dumps(doc))
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    common = ["--stream-base-url", srv.base_url, "-a", "x86_64", "--keyring", str(VERIFY / "test-key.pub.asc"), "-q"]
    out = tmp_path / "pxe"
    p = run("embed", "--pxe", "stable", "--dest-device", "/dev/sda", str(bu), "-o", str(out), *common,
            cache=tmp_path / "cache")
    assert "installer configuration" in one_line_error(p)
    assert not out.exists()
    key = tmp_path / "eth0.nmconnection"
    key.write_text("[connection]\n")
    p = run("embed", "--pxe", "stable", "--network-keyfile", str(key), str(bu), "-o", str(out), *common,
            cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    assert embed.read_members((out / "ignition.img").read_bytes())["etc/coreos-firstboot-network/eth0.nmconnection"]


def test_embed_argument_checks(iso_cache, tmp_path: Path) -> None:
    iso = pristine(X86, iso_cache)
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    for args, message in (
        (["--iso", str(iso), "--dest-karg-append", "x"], b"--dest-karg-append needs --dest-device"),
        (["--flatcar=stable", "--pxe", str(iso)], b"--pxe takes no value"),
    ):
        p = run("embed", *args, str(bu), "-o", str(tmp_path / "o"))
        assert p.returncode == 2 and message in p.stderr and b"Traceback" not in p.stderr, "usage errors exit 2"
        assert not (tmp_path / "o").exists()
    # an Ignition config on standard input is recognised and validated, not translated
    ign = b'{"ignition":{"version":"3.4.0"}}\n'
    out = tmp_path / "stdin.iso"
    p = run("embed", "--iso", str(iso), "-", "-o", str(out), stdin=ign)
    assert p.returncode == 0, p.stderr
    assert embed.ignition_show(str(out)) == ign
    # -o /dev/stdout gets the image and nothing else
    p = run("embed", "--iso", str(iso), str(bu), "-o", "/dev/stdout")
    assert p.returncode == 0 and len(p.stdout) == iso.stat().st_size
