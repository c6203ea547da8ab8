"""The catalog for every alias: live resolution of unpinned aliases, ``images lock`` and
``--catalog`` against loopback sources (a signed stream, a Flatcar channel, a signed
simplestreams mirror) signed at test time with coreos-installer's test key; ``images list``;
``check --portable``."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pysequoia
import pytest

from ._httpserver import TestServer
from .conftest import ROOT
from .test_cli_download import STREAM, VERIFY, sign
from .test_embed_cli import BUTANE, one_line_error, stream_site, translated  # noqa: F401 - stream_site is a fixture

KEY = str(VERIFY / "test-key.pub.asc")
FLATCAR_VERSION = "4152.2.3"
UBUNTU_PATH = "server/releases/noble/release-20250601/ubuntu-24.04-server-cloudimg-amd64.img"


def run(*args: str, cache: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), BUTANE_PY_CACHE=str(cache))
    return subprocess.run([sys.executable, "-m", "butane_py", *args], capture_output=True, env=env, timeout=300,
                          input=stdin)


def ok(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 0, p.stderr.decode()
    assert b"Traceback" not in p.stderr
    return p.stdout.decode()


def today() -> str:
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


# --- loopback sources -----------------------------------------------------------------------


@pytest.fixture
def fcos_site(tmp_path):
    """The stable stream (also served as testing) with x86_64 metal pxe, files signed now."""
    root = tmp_path / "fcos"
    root.mkdir()
    doc = json.loads(STREAM.read_text())
    formats = doc["architectures"]["x86_64"]["artifacts"]["metal"]["formats"]
    payloads = {name: os.urandom(100_000) for name in ("kernel", "initramfs", "rootfs")}
    with TestServer(root) as srv:
        for name, data in payloads.items():
            artifact = formats["pxe"][name]
            filename = artifact["location"].rsplit("/", 1)[1]
            (root / filename).write_bytes(data)
            (root / f"{filename}.sig").write_bytes(sign(data))
            artifact.update(location=srv.url(filename), signature=srv.url(f"{filename}.sig"),
                            sha256=hashlib.sha256(data).hexdigest())
        (root / "stable.json").write_text(json.dumps(doc))
        (root / "testing.json").write_text(json.dumps(dict(doc, stream="testing")))
        yield srv, root, formats["pxe"], doc["architectures"]["x86_64"]["artifacts"]["metal"]["release"]


@pytest.fixture
def flatcar_site(tmp_path):
    root = tmp_path / "flatcar"
    (root / "current").mkdir(parents=True)
    (root / FLATCAR_VERSION).mkdir()
    (root / "current" / "version.txt").write_text(f"FLATCAR_VERSION={FLATCAR_VERSION}\n")
    payloads = {"flatcar_production_pxe.vmlinuz": os.urandom(60_000),
                "flatcar_production_pxe_image.cpio.gz": os.urandom(80_000)}
    for name, data in payloads.items():
        (root / FLATCAR_VERSION / name).write_bytes(data)
        (root / FLATCAR_VERSION / f"{name}.sig").write_bytes(sign(data))
        (root / FLATCAR_VERSION / f"{name}.DIGESTS").write_text(
            f"# SHA512 HASH\n{hashlib.sha512(data).hexdigest()}  {name}\n")
    with TestServer(root) as srv:
        yield srv, root, payloads


@pytest.fixture
def ubuntu_site(tmp_path):
    """A simplestreams mirror whose index and products are clearsigned with the test key."""
    root = tmp_path / "ubuntu"
    (root / "streams" / "v1").mkdir(parents=True)
    data = os.urandom(90_000)
    (root / UBUNTU_PATH).parent.mkdir(parents=True)
    (root / UBUNTU_PATH).write_bytes(data)
    product = "com.ubuntu.cloud:server:24.04:amd64"
    products = {
        "content_id": "com.ubuntu.cloud:released:download", "format": "products:1.0", "datatype": "image-downloads",
        "products": {product: {"arch": "amd64", "os": "ubuntu", "release": "noble", "version": "24.04", "versions": {
            "20250601": {"items": {"disk1.img": {"ftype": "disk1.img", "path": UBUNTU_PATH,
                                                  "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}}},
        }}},
    }
    index = {"format": "index:1.0", "index": {"com.ubuntu.cloud:released:download": {
        "datatype": "image-downloads", "format": "products:1.0", "path": "streams/v1/download.json",
        "products": [product]}}}
    signer = pysequoia.Tsk.from_file(str(VERIFY / "test-key.priv.asc")).signer()
    for name, doc in (("index", index), ("download", products)):
        text = json.dumps(doc).encode()
        (root / "streams" / "v1" / f"{name}.json").write_bytes(text)
        (root / "streams" / "v1" / f"{name}.sjson").write_bytes(
            pysequoia.sign(signer, text, mode=pysequoia.SignatureMode.CLEAR))
    with TestServer(root) as srv:
        yield srv, root, data


def lock(srv, tmp_path: Path, *aliases: str, extra: tuple[str, ...] = ()) -> tuple[Path, dict]:
    out = tmp_path / "images.lock.json"
    p = run("images", "lock", *aliases, "-o", str(out), "--stream-base-url", srv.base_url, "-a", "x86_64",
            "--fetch-retries", "0", *extra, cache=tmp_path / "lock-cache")
    ok(p)
    return out, json.loads(out.read_text())


# --- images lock, then download --catalog ---------------------------------------------------


def test_lock_stream_alias_then_download_uses_only_the_pins(fcos_site, tmp_path) -> None:
    srv, root, pxe, release = fcos_site
    path, doc = lock(srv, tmp_path, "fcos-stable-pxe")
    entry = doc["images"]["fcos-stable-pxe"]
    assert entry["snapshot"] == today() and entry["version"] == release and entry["absent"] is None
    assert entry["source"] == srv.url("stable.json")
    files = entry["architectures"]["x86_64"]
    assert [f["name"] for f in files] == ["kernel", "initramfs", "rootfs"]
    assert [(f["url"], f["sha256"], f["signature"]) for f in files] == [
        (pxe[n]["location"], pxe[n]["sha256"], pxe[n]["signature"]) for n in ("kernel", "initramfs", "rootfs")]
    assert list(entry["architectures"]) == ["x86_64"], "only the architecture asked for"

    # The lock is the source now: no metadata is read, only the files and their signatures.
    (root / "stable.json").write_text("{ this stream is gone")
    out = tmp_path / "out"
    out.mkdir()
    before = len(srv.paths_requested())
    args = ("download", "--image", "fcos-stable-pxe", "--catalog", str(path), "-a", "x86_64", "--keyring", KEY,
            "--fetch-retries", "0", "-q")
    written = ok(run(*args, "-C", str(out), cache=tmp_path / "cache")).split()
    assert [Path(w).read_bytes() for w in written] == [(root / Path(pxe[n]["location"]).name).read_bytes()
                                                       for n in ("kernel", "initramfs", "rootfs")]
    names = {Path(pxe[n]["location"]).name for n in ("kernel", "initramfs", "rootfs")}
    assert set(srv.paths_requested()[before:]) == {f"/{n}" for n in names} | {f"/{n}.sig" for n in names}

    # The server's image changes (and is even signed again): the pinned SHA-256 refuses it.
    kernel = Path(pxe["kernel"]["location"]).name
    new = os.urandom(100_000)
    (root / kernel).write_bytes(new)
    (root / f"{kernel}.sig").write_bytes(sign(new))
    out2 = tmp_path / "out2"
    out2.mkdir()
    p = run(*args, "-C", str(out2), cache=tmp_path / "cache2")
    assert p.returncode == 1 and b"SHA-256 mismatch" in p.stderr and b"Traceback" not in p.stderr
    assert not (out2 / kernel).exists()

    # Aliases come only from the given catalog; it says which it has.
    p = run("download", "--image", "fcos-stable", "--catalog", str(path), "-C", str(out2), cache=tmp_path / "c")
    assert p.returncode == 1 and b"fcos-stable-pxe" in p.stderr and p.stderr.count(b"\n") == 1


def test_lock_flatcar_alias_then_download(flatcar_site, tmp_path) -> None:
    srv, root, payloads = flatcar_site
    path, doc = lock(srv, tmp_path, "flatcar-stable-pxe")
    entry = doc["images"]["flatcar-stable-pxe"]
    assert entry["version"] == FLATCAR_VERSION and entry["snapshot"] == today()
    files = entry["architectures"]["x86_64"]
    for f in files:
        name = Path(f["url"]).name
        assert f["url"] == srv.url(f"{FLATCAR_VERSION}/{name}") and f["signature"] == f["url"] + ".sig"
        assert f["sha512"] == hashlib.sha512(payloads[name]).hexdigest()
    out = tmp_path / "out"
    out.mkdir()
    before = len(srv.paths_requested())
    written = ok(run("download", "--image", "flatcar-stable-pxe", "--catalog", str(path), "-a", "x86_64", "-C",
                     str(out), "--keyring", KEY, "--fetch-retries", "0", "-q", cache=tmp_path / "cache")).split()
    assert sorted(Path(w).name for w in written) == sorted(payloads)
    requested = srv.paths_requested()[before:]
    assert not [r for r in requested if r.endswith(("version.txt", ".DIGESTS"))], "no metadata is read"
    # Changed on the server and signed again: the pinned SHA-512 refuses it.
    name = "flatcar_production_pxe.vmlinuz"
    (root / FLATCAR_VERSION / name).write_bytes(b"changed")
    (root / FLATCAR_VERSION / f"{name}.sig").write_bytes(sign(b"changed"))
    p = run("download", "--image", "flatcar-stable-pxe", "--catalog", str(path), "-a", "x86_64", "-C",
            str(tmp_path), "--keyring", KEY, "--fetch-retries", "0", "-q", cache=tmp_path / "cache2")
    assert p.returncode == 1 and b"SHA-512 mismatch" in p.stderr


def test_lock_ubuntu_alias_needs_signed_metadata(ubuntu_site, tmp_path) -> None:
    srv, root, data = ubuntu_site
    # Without the key nothing verifies the simplestreams metadata: no SHA-256 is pinned from it.
    p = run("images", "lock", "ubuntu-24.04", "-o", str(tmp_path / "x.json"), "--stream-base-url", srv.base_url,
            "-a", "x86_64", "--fetch-retries", "0", cache=tmp_path / "c")
    assert p.returncode == 1 and b"--keyring" in p.stderr and p.stderr.count(b"\n") == 1
    assert not (tmp_path / "x.json").exists()
    path, doc = lock(srv, tmp_path, "ubuntu-24.04", extra=("--keyring", KEY))
    [f] = doc["images"]["ubuntu-24.04"]["architectures"]["x86_64"]
    assert f == {"name": "disk1.img", "url": srv.url(UBUNTU_PATH), "sha256": hashlib.sha256(data).hexdigest()}
    assert "/streams/v1/index.sjson" in srv.paths_requested()
    out = tmp_path / "out"
    out.mkdir()
    before = len(srv.paths_requested())
    [written] = ok(run("download", "--image", "ubuntu-24.04", "--catalog", str(path), "-a", "x86_64", "-C",
                       str(out), "--fetch-retries", "0", "-q", cache=tmp_path / "cache")).split()
    assert Path(written).read_bytes() == data
    assert srv.paths_requested()[before:] == [f"/{UBUNTU_PATH}"], "only the image: its pinned SHA-256 is the proof"
    (root / UBUNTU_PATH).write_bytes(os.urandom(90_000))
    p = run("download", "--image", "ubuntu-24.04", "--catalog", str(path), "-a", "x86_64", "-C", str(tmp_path),
            "--fetch-retries", "0", "-q", cache=tmp_path / "cache2")
    assert p.returncode == 1 and b"SHA-256 mismatch" in p.stderr
    assert not (tmp_path / Path(UBUNTU_PATH).name).exists()


def test_lock_refreshes_a_catalog_and_every_line_is_checked(fcos_site, tmp_path) -> None:
    srv, root, pxe, release = fcos_site
    path, doc = lock(srv, tmp_path, "fcos-stable-pxe", "fcos-testing-pxe")
    assert set(doc["images"]) == {"fcos-stable-pxe", "fcos-testing-pxe"}
    # Locking again from the lock itself (no aliases) pins the same aliases.
    again = tmp_path / "again.json"
    ok(run("images", "lock", "--catalog", str(path), "-o", str(again), "--stream-base-url", srv.base_url,
           "-a", "x86_64", cache=tmp_path / "c"))
    assert json.loads(again.read_text()) == doc
    # images list shows a user's catalog, pinned with its date.
    listed = ok(run("images", "list", "--catalog", str(path), cache=tmp_path / "c"))
    assert f"pinned {today()}" in listed and release in listed
    # A damaged or hostile catalog is a one-line error, never a traceback.
    for text in ("{", json.dumps({"format": "butane-py-catalog:1", "images": {"x": {"distribution": "fcos"}}}),
                 "[" * 100_000):
        path.write_text(text)
        p = run("download", "--image", "x", "--catalog", str(path), cache=tmp_path / "c")
        assert p.returncode == 1 and p.stderr.startswith(b"Error: ") and p.stderr.count(b"\n") == 1, p.stderr
    bad = json.loads(again.read_text())
    bad["images"]["fcos-stable-pxe"]["architectures"]["x86_64"][0]["url"] = "file:///etc/passwd"
    path.write_text(json.dumps(bad))
    p = run("download", "--image", "fcos-stable-pxe", "--catalog", str(path), cache=tmp_path / "c")
    assert p.returncode == 1 and b"http(s) URL" in p.stderr
    p = run("download", "--catalog", str(path), cache=tmp_path / "c")
    assert p.returncode == 2 and b"--image" in p.stderr


# --- live aliases ---------------------------------------------------------------------------


def test_unpinned_alias_resolves_live_and_its_cache_key_has_the_version(fcos_site, flatcar_site, tmp_path) -> None:
    srv, root, pxe, release = fcos_site
    out = tmp_path / "out"
    out.mkdir()
    cache = tmp_path / "cache"
    ok(run("download", "--image", "fcos-testing-pxe", "--stream-base-url", srv.base_url, "-a", "x86_64", "-C",
           str(out), "--keyring", KEY, "--fetch-retries", "0", "-q", cache=cache))
    assert "/testing.json" in srv.paths_requested()
    kernel = Path(pxe["kernel"]["location"]).name
    assert (cache / "fcos" / "testing" / release / "x86_64" / kernel).is_file()
    # A tampered file from a live source fails its signature, as any download does.
    (root / kernel).write_bytes(os.urandom(100_000))
    p = run("download", "--image", "fcos-testing-pxe", "--stream-base-url", srv.base_url, "-a", "x86_64", "-C",
            str(tmp_path), "--keyring", KEY, "--fetch-retries", "0", "-q", cache=tmp_path / "cache2")
    assert p.returncode == 1 and b"SHA-256 mismatch" in p.stderr

    fsrv, froot, payloads = flatcar_site
    ok(run("download", "--image", "flatcar-stable-pxe", "--stream-base-url", fsrv.base_url, "-a", "x86_64", "-C",
           str(out), "--keyring", KEY, "--fetch-retries", "0", "-q", cache=cache))
    for name in payloads:
        assert (cache / "flatcar" / "stable" / FLATCAR_VERSION / "x86_64" / name).is_file()
    listed = ok(run("cache", "list", cache=cache))
    assert f"flatcar/stable/{FLATCAR_VERSION}/x86_64/" in listed and f"fcos/testing/{release}/" in listed


def test_images_list_says_what_is_pinned_and_from_when(tmp_path) -> None:
    out = ok(run("images", "list", cache=tmp_path))
    rows = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    assert "pinned 2020-12-17" in rows["fcos-stable-iso"] and "33.20201201.3.0" in rows["fcos-stable-iso"]
    for alias in ("flatcar-stable", "fcos-testing", "ubuntu-24.04"):
        assert " live " in rows[alias], rows[alias]
    assert "4 pinned" in out.splitlines()[-1] and "images lock" in out.splitlines()[-1]


# --- embed with aliases ---------------------------------------------------------------------


def test_embed_iso_from_a_lock(stream_site, tmp_path) -> None:
    srv, artifact = stream_site
    path, doc = lock(srv, tmp_path, "fcos-stable-iso")
    assert doc["images"]["fcos-stable-iso"]["architectures"]["x86_64"][0]["sha256"] == artifact["sha256"]
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    before = len(srv.paths_requested())
    node = tmp_path / "node.iso"
    ok(run("embed", "--iso", "fcos-stable-iso", "--catalog", str(path), "-a", "x86_64", "--keyring", KEY, "-q",
           str(bu), "-o", str(node), cache=tmp_path / "cache"))
    from butane_py import embed

    assert embed.ignition_show(str(node)) == translated()
    assert sorted(set(srv.paths_requested()[before:])) == ["/live.iso", "/live.iso.sig"]


def test_embed_flatcar_alias_builds_the_oem_initrd(flatcar_site, tmp_path) -> None:
    srv, root, payloads = flatcar_site
    bu = tmp_path / "config.bu"
    bu.write_text("variant: flatcar\nversion: 1.1.0\npasswd:\n  users:\n    - name: core\n")
    out = tmp_path / "pxe"
    p = run("embed", "--pxe", "flatcar-stable-pxe", "--stream-base-url", srv.base_url, "-a", "x86_64", "--keyring",
            KEY, "-q", str(bu), "-o", str(out), cache=tmp_path / "cache")
    assert "flatcar.first_boot=1" in ok(p)
    assert sorted(os.listdir(out)) == sorted(["flatcar-oem-config.img", *payloads])
    err = one_line_error(run("embed", "--iso", "flatcar-stable-iso", str(bu), "-o", str(tmp_path / "f.iso"),
                             cache=tmp_path / "cache"))
    assert "Flatcar ISOs have no Ignition embed area" in err
    p = run("embed", "--iso", "ubuntu-24.04", str(bu), "-o", str(tmp_path / "u.iso"), cache=tmp_path / "cache")
    assert p.returncode == 2 and b"Ubuntu" in p.stderr and not (tmp_path / "u.iso").exists()


# --- check --portable -----------------------------------------------------------------------


def test_check_portable(tmp_path) -> None:
    ext = tmp_path / "ext.bu"
    ext.write_text("variant: fcos\nversion: 1.5.0\nsysctl:\n  vm.swappiness: 10\n"
                   "networkmanager:\n  connections:\n    - name: eth0\n      type: ethernet\n")
    plain = tmp_path / "plain.bu"
    plain.write_text("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/sysctl.d/90.conf\n"
                     "      contents:\n        inline: vm.swappiness=10\n")
    p = run("check", "--portable", str(ext), str(plain), cache=tmp_path)
    out = p.stdout.decode()
    assert p.returncode == 1, out
    assert f"{ext}:3:1: error: sysctl is a butane-py extension" in out
    assert f"{ext}:5:1: error: networkmanager is a butane-py extension" in out
    assert "checked 2 files: 1 failed" in out
    assert ok(run("check", "--portable", str(plain), cache=tmp_path)).endswith("checked 1 file: 0 failed\n")
    # Without --portable the extensions are fine.
    assert ok(run("check", str(ext), cache=tmp_path)).endswith("0 failed\n")
    j = json.loads(run("check", "--portable", "--format", "json", str(ext), cache=tmp_path).stdout)
    assert [(f["kind"], f["path"], f["line"]) for f in j["files"][0]["findings"]] == [
        ("error", "$.sysctl", 3), ("error", "$.networkmanager", 5)]


def test_unpinned_ubuntu_alias_needs_the_key_before_any_download(ubuntu_site, tmp_path) -> None:
    srv, root, data = ubuntu_site
    args = ("download", "--image", "ubuntu-24.04", "--stream-base-url", srv.base_url, "-a", "x86_64", "-C",
            str(tmp_path), "--fetch-retries", "0", "-q")
    p = run(*args, cache=tmp_path / "cache")
    assert p.returncode == 1 and b"--keyring" in p.stderr and p.stderr.count(b"\n") == 1
    assert srv.paths_requested() == [], "refused before anything is fetched"
    [written] = ok(run(*args, "--keyring", KEY, cache=tmp_path / "cache")).split()
    assert Path(written).read_bytes() == data
    assert srv.paths_requested()[:2] == ["/streams/v1/index.sjson", "/streams/v1/download.sjson"]
    assert f"/{UBUNTU_PATH}.sig" not in srv.paths_requested()
    assert (tmp_path / "cache" / "ubuntu" / "noble" / "20250601" / "amd64" / Path(UBUNTU_PATH).name).is_file()


@pytest.mark.parametrize("location", ["file:///etc/passwd", "https://x/a\u202egpj.iso", "https://x/..", "https://x/"])
def test_lock_refuses_hostile_metadata_and_keeps_the_old_lock(fcos_site, tmp_path, location) -> None:
    srv, root, pxe, release = fcos_site
    path, doc = lock(srv, tmp_path, "fcos-stable-pxe")
    before = path.read_bytes()
    hostile = json.loads((root / "stable.json").read_text())
    hostile["architectures"]["x86_64"]["artifacts"]["metal"]["formats"]["pxe"]["kernel"]["location"] = location
    (root / "stable.json").write_text(json.dumps(hostile))
    p = run("images", "lock", "fcos-stable-pxe", "-o", str(path), "--stream-base-url", srv.base_url, "-a", "x86_64",
            "--fetch-retries", "0", cache=tmp_path / "c")
    assert p.returncode == 1 and p.stderr.startswith(b"Error: ") and p.stderr.count(b"\n") == 1, p.stderr
    assert "\u202e".encode() not in p.stderr, "server text is printed escaped"
    assert path.read_bytes() == before, "a failed lock leaves the old one as it was"
    assert sorted(x.name for x in tmp_path.iterdir() if x.name.startswith("images.lock")) == ["images.lock.json"]


def test_lock_to_a_full_disk(fcos_site, tmp_path) -> None:
    srv, *_ = fcos_site
    p = run("images", "lock", "fcos-stable-pxe", "-o", "/dev/full", "--stream-base-url", srv.base_url, "-a",
            "x86_64", cache=tmp_path / "c")
    assert p.returncode == 1 and b"/dev/full" in p.stderr and p.stderr.count(b"\n") == 1, p.stderr
