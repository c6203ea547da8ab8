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
from .conftest import ROOT, SHARED

VERIFY = SHARED / "fixtures" / "coreos-installer" / "verify"
STREAM = SHARED / "fixtures" / "stream-metadata" / "fcos-stream.json"


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
