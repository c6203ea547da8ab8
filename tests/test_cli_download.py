"""``butane-py download`` end to end: a stream document on a loopback server, files signed
at test time with coreos-installer's test key, and the cache."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pysequoia
import pytest

from ._httpserver import TestServer
from .conftest import ROOT, THIRD_PARTY

VERIFY = THIRD_PARTY / "coreos-installer" / "verify"
STREAM = THIRD_PARTY / "stream-metadata" / "fcos-stream.json"


def sign(data: bytes) -> bytes:
    signer = pysequoia.Tsk.from_file(str(VERIFY / "test-key.priv.asc")).signer()
    return pysequoia.sign(signer, data, mode=pysequoia.SignatureMode.DETACHED)


@pytest.fixture
def site(tmp_path):
    """The stable stream with x86_64 metal pxe and raw.xz served from 127.0.0.1."""
    root = tmp_path / "srv"
    root.mkdir()
    doc = json.loads(STREAM.read_text())
    formats = doc["architectures"]["x86_64"]["artifacts"]["metal"]["formats"]
    payloads = {
        ("pxe", "kernel"): os.urandom(200_000),
        ("pxe", "initramfs"): os.urandom(300_000),
        ("pxe", "rootfs"): os.urandom(400_000),
        ("raw.xz", "disk"): (VERIFY / "1M.xz").read_bytes(),
    }
    with TestServer(root) as srv:
        for (fmt, name), data in payloads.items():
            artifact = formats[fmt][name]
            filename = artifact["location"].rsplit("/", 1)[1]
            (root / filename).write_bytes(data)
            (root / f"{filename}.sig").write_bytes(sign(data))
            artifact["location"] = srv.url(filename)
            artifact["signature"] = srv.url(f"{filename}.sig")
            artifact["sha256"] = hashlib.sha256(data).hexdigest()
        (root / "stable.json").write_text(json.dumps(doc))
        yield srv, root, payloads, formats


def run(*args: str, cache: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), BUTANE_PY_CACHE=str(cache))
    return subprocess.run([sys.executable, "-m", "butane_py", "download", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def common(srv, out: Path) -> list[str]:
    return ["--stream-base-url", srv.base_url, "-a", "x86_64", "-C", str(out), "--keyring",
            str(VERIFY / "test-key.pub.asc"), "--fetch-retries", "1", "-q"]


def test_pxe_gives_every_artifact_and_caches(site, tmp_path) -> None:
    srv, root, payloads, formats = site
    out = tmp_path / "out"
    out.mkdir()
    p = run(*common(srv, out), "-f", "pxe", cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    written = p.stdout.split()
    assert len(written) == 3
    for path, name in zip(written, ("kernel", "initramfs", "rootfs")):
        assert Path(path).read_bytes() == payloads[("pxe", name)]
        assert Path(path).name == formats["pxe"][name]["location"].rsplit("/", 1)[1]
    before = len(srv.paths_requested())
    p = run(*common(srv, out), "-f", "pxe", cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    requested = srv.paths_requested()[before:]
    assert requested == ["/stable.json"], "cached and verified files are not downloaded again"


def test_decompress(site, tmp_path) -> None:
    srv, root, payloads, formats = site
    out = tmp_path / "out"
    out.mkdir()
    p = run(*common(srv, out), "-d", cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    [path] = p.stdout.split()
    assert not path.endswith(".xz")
    import lzma

    assert Path(path).read_bytes() == lzma.decompress(payloads[("raw.xz", "disk")])


def test_tampered_file_leaves_nothing(site, tmp_path) -> None:
    srv, root, payloads, formats = site
    name = formats["pxe"]["rootfs"]["location"].rsplit("/", 1)[1]
    data = bytearray((root / name).read_bytes())
    data[1000] ^= 1
    (root / name).write_bytes(bytes(data))
    out = tmp_path / "out"
    out.mkdir()
    p = run(*common(srv, out), "-f", "pxe", cache=tmp_path / "cache")
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    assert p.stderr.startswith("Error: ")
    assert not (out / name).exists()
    assert not any(f.name.startswith(".") for f in out.iterdir()), "no temporary files left behind"


def test_unknown_format(site, tmp_path) -> None:
    srv, *_ = site
    p = run(*common(srv, tmp_path), "-f", "vhd.xz", cache=tmp_path / "cache")
    assert p.returncode == 1
    assert "vhd.xz" in p.stderr and "raw.xz" in p.stderr, "the error lists what is available"


def test_flatcar_channel(tmp_path) -> None:
    """version.txt is read from current/, the files from the versioned directory, and both
    the signature and the SHA-512 of .DIGESTS are checked."""
    root = tmp_path / "srv"
    version = "4152.2.3"
    (root / "current").mkdir(parents=True)
    (root / version).mkdir()
    (root / "current" / "version.txt").write_text(
        f'FLATCAR_BUILD=4152\nFLATCAR_VERSION={version}\nFLATCAR_VERSION_ID={version}\nFLATCAR_BUILD_ID="2025-06-01-1200"\n'
    )
    payloads = {"flatcar_production_pxe.vmlinuz": os.urandom(150_000),
                "flatcar_production_pxe_image.cpio.gz": os.urandom(250_000)}
    for name, data in payloads.items():
        (root / version / name).write_bytes(data)
        (root / version / f"{name}.sig").write_bytes(sign(data))
        (root / version / f"{name}.DIGESTS").write_text(
            f"# MD5 HASH\n{hashlib.md5(data).hexdigest()}  {name}\n"
            f"# SHA1 HASH\n{hashlib.sha1(data).hexdigest()}  {name}\n"
            f"# SHA512 HASH\n{hashlib.sha512(data).hexdigest()}  {name}\n"
        )
        # A decoy in current/ that must never be used.
        (root / "current" / name).write_bytes(b"decoy")
    out = tmp_path / "out"
    out.mkdir()
    with TestServer(root) as srv:
        args = ["--flatcar", "stable", "--stream-base-url", srv.base_url, "-a", "x86_64", "-C", str(out),
                "--keyring", str(VERIFY / "test-key.pub.asc"), "-q"]
        p = run(*args, cache=tmp_path / "cache")
        assert p.returncode == 0, p.stderr
        assert sorted(Path(x).name for x in p.stdout.split()) == sorted(payloads)
        for name, data in payloads.items():
            assert (out / name).read_bytes() == data
        assert not any(path.startswith("/current/flatcar_production") for path in srv.paths_requested())
        # A DIGESTS file that disagrees fails the download, and nothing is left behind.
        name = "flatcar_production_pxe.vmlinuz"
        (root / version / f"{name}.DIGESTS").write_text(f"# SHA512 HASH\n{'0' * 128}  {name}\n")
        (out / name).unlink()
        p = run(*args, "-f", "pxe", cache=tmp_path / "cache2")
        assert p.returncode == 1
        assert not (out / name).exists()


def test_simplestreams_mirror(tmp_path) -> None:
    root = tmp_path / "srv"
    (root / "streams" / "v1").mkdir(parents=True)
    data = os.urandom(120_000)
    path = "server/releases/noble/release-20250601/ubuntu-24.04-server-cloudimg-amd64.img"
    (root / path).parent.mkdir(parents=True)
    (root / path).write_bytes(data)  # no per-image signature, as on cloud-images.ubuntu.com
    product = "com.ubuntu.cloud:server:24.04:amd64"
    products = {
        "content_id": "com.ubuntu.cloud:released:download", "format": "products:1.0", "datatype": "image-downloads",
        "products": {product: {"arch": "amd64", "os": "ubuntu", "release": "noble", "version": "24.04", "versions": {
            "20250101": {"items": {"disk1.img": {"ftype": "disk1.img", "path": "old.img", "sha256": "0" * 64}}},
            "20250601": {"items": {"disk1.img": {"ftype": "disk1.img", "path": path,
                                                  "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}}},
        }}},
    }
    (root / "streams" / "v1" / "download.json").write_text(json.dumps(products))
    index = {"format": "index:1.0", "index": {"com.ubuntu.cloud:released:download": {
        "datatype": "image-downloads", "format": "products:1.0", "path": "streams/v1/download.json",
        "products": [product]}}}
    (root / "streams" / "v1" / "index.json").write_text(json.dumps(index))
    signer = pysequoia.Tsk.from_file(str(VERIFY / "test-key.priv.asc")).signer()
    for name in ("index", "download"):
        text = (root / "streams" / "v1" / f"{name}.json").read_bytes()
        clear = pysequoia.sign(signer, text, mode=pysequoia.SignatureMode.CLEAR)
        (root / "streams" / "v1" / f"{name}.sjson").write_bytes(clear)
    out = tmp_path / "out"
    out.mkdir()
    with TestServer(root) as srv:
        p = run("--simplestreams", srv.base_url, "--product", product, "--ftype", "disk1.img", "-C", str(out),
                "--keyring", str(VERIFY / "test-key.pub.asc"), "-q", cache=tmp_path / "cache")
        assert p.returncode == 0, p.stderr
        [written] = p.stdout.split()
        assert Path(written).read_bytes() == data, "the latest version is chosen and verified"
        assert "/streams/v1/index.sjson" in srv.paths_requested(), "with a key, the signed index is read"
        assert f"/{path}.sig" not in srv.paths_requested(), "the SHA-256 from verified metadata is the proof"
        # A signed index whose text was altered after signing is refused.
        signed = (root / "streams" / "v1" / "index.sjson").read_bytes()
        (root / "streams" / "v1" / "index.sjson").write_bytes(signed.replace(b"image-downloads", b"image-downloadz", 1))
        p = run("--simplestreams", srv.base_url, "--product", product, "-C", str(out), "--keyring",
                str(VERIFY / "test-key.pub.asc"), "-q", cache=tmp_path / "cache2")
        assert p.returncode == 1
        assert "signature" in p.stderr


def test_outputs_signature_and_modes(site, tmp_path) -> None:
    """Outputs (and cache entries) get 0666 & ~umask, as coreos-installer's do; FILE.sig is saved
    beside FILE unless -d."""
    srv, root, payloads, formats = site
    out = tmp_path / "out"
    env_umask = os.umask(0o027)
    try:
        p = run(*common(srv, out), cache=tmp_path / "cache")
    finally:
        os.umask(env_umask)
    assert p.returncode == 0, p.stderr
    [path] = map(Path, p.stdout.split())
    sig = path.with_name(path.name + ".sig")
    assert sig.read_bytes() == (root / f"{path.name}.sig").read_bytes()
    for f in (path, sig, *(tmp_path / "cache").rglob("*.raw.xz")):
        assert f.stat().st_mode & 0o777 == 0o640, f
    # from the cache, the signature is written too
    path.unlink()
    sig.unlink()
    p = run(*common(srv, out), cache=tmp_path / "cache")
    assert p.returncode == 0 and sig.exists()
    # with -d, no signature (it would not match the decompressed file)
    out2 = tmp_path / "out2"
    p = run(*common(srv, out2), "-d", cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    assert [f.name for f in out2.iterdir()] == [Path(p.stdout.strip()).name]


@pytest.mark.parametrize("value, ok", [("infinite", True), ("0", True), ("3", True), ("-1", False), ("lots", False)])
def test_fetch_retries_values(site, tmp_path, value, ok) -> None:
    srv, *_ = site
    args = [a for a in common(srv, tmp_path / "out") if a not in ("--fetch-retries", "1")]
    p = run(*args, "--fetch-retries", value, cache=tmp_path / "cache")
    assert "Traceback" not in p.stderr
    assert (p.returncode == 0) if ok else (p.returncode == 2 and "infinite" in p.stderr), p.stderr


def test_directory_problems(site, tmp_path) -> None:
    srv, root, payloads, formats = site
    a_file = tmp_path / "a-file"
    a_file.write_text("mine")
    p = run(*common(srv, a_file), cache=tmp_path / "cache")
    assert p.returncode == 1 and p.stderr.startswith("Error: ") and "not a directory" in p.stderr, p.stderr
    assert a_file.read_text() == "mine"
    # the target name is taken by a directory: refused before anything is downloaded
    out = tmp_path / "out"
    name = formats["raw.xz"]["disk"]["location"].rsplit("/", 1)[1]
    (out / name).mkdir(parents=True)
    n = len(srv.requests)
    p = run("-u", srv.url(name), "-C", str(out), "--keyring", str(VERIFY / "test-key.pub.asc"), "-q",
            cache=tmp_path / "cache")
    assert p.returncode == 1 and "is a directory" in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert len(srv.requests) == n
    assert sorted(x.name for x in out.iterdir()) == [name]


def _compressed(kind: str, data: bytes) -> bytes:
    import gzip
    import lzma

    import zstandard

    return {"xz": lzma.compress, "gz": gzip.compress, "zst": zstandard.ZstdCompressor().compress}[kind](data)


@pytest.mark.parametrize("kind", ["xz", "gz", "zst"])
@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_damaged_compressed_image(tmp_path, kind, damage) -> None:
    """Validly signed but truncated or corrupt data: with -d a clear error, nothing left behind."""
    root = tmp_path / "srv"
    root.mkdir()
    data = bytearray(_compressed(kind, os.urandom(100_000) + bytes(100_000)))
    if damage == "truncated":
        del data[-100:]
    else:
        data[len(data) // 2 : len(data) // 2 + 64] = bytes(range(64))
        if kind == "zst":
            data[6] = 0xFF  # block header: reserved block type
    name = f"image.{kind}"
    (root / name).write_bytes(bytes(data))
    (root / f"{name}.sig").write_bytes(sign(bytes(data)))
    out = tmp_path / "out"
    out.mkdir()
    with TestServer(root) as srv:
        p = run("-u", srv.url(name), "-C", str(out), "-d", "--keyring", str(VERIFY / "test-key.pub.asc"), "-q",
                cache=tmp_path / "cache")
    assert p.returncode == 1 and p.stderr.startswith("Error: ") and "Traceback" not in p.stderr, p.stderr
    assert "decompress" in p.stderr
    assert list(out.iterdir()) == []
