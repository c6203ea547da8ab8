"""Every command that downloads, against one loopback server that misbehaves on demand.

The server (tests/_httpserver.py) serves a Fedora CoreOS stream, a Flatcar channel and an
Ubuntu simplestreams mirror, all signed at test time with coreos-installer's test key; a
hook on any path swaps in a misbehaviour: endless bodies, gzip bombs sent with
Content-Encoding, redirect loops, lying Content-Range, bodies that change between requests,
drip feeds, huge or hostile names, deeply nested JSON. Each run is a real child process;
each must fail with exit 1 and one ``Error:`` line, no traceback, nothing left behind in -C,
-o or the cache, within bounded memory (the child's peak RSS from wait4) and, for drip feeds,
bounded time (BUTANE_PY_METADATA_TIMEOUT is 3 s here).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pysequoia
import pytest

from ._httpserver import TestServer
from ._rss import measured, read_kib
from .conftest import ROOT, THIRD_PARTY

VERIFY = THIRD_PARTY / "coreos-installer" / "verify"
STREAM = THIRD_PARTY / "stream-metadata" / "fcos-stream.json"
KEY = str(VERIFY / "test-key.pub.asc")
BUTANE = b"variant: fcos\nversion: 1.5.0\n"
PRODUCT = "com.ubuntu.cloud:server:24.04:amd64"
FLATCAR_VERSION = "4152.2.3"
MIB = 1024  # ru_maxrss is in KiB
# Well above an idle child (about 70 MiB), well below what an unbounded read of the bombs takes.
RSS_LIMIT = 200 * MIB


def _signer():
    return pysequoia.Tsk.from_file(str(VERIFY / "test-key.priv.asc")).signer()


def sign(data: bytes, clear: bool = False) -> bytes:
    mode = pysequoia.SignatureMode.CLEAR if clear else pysequoia.SignatureMode.DETACHED
    return pysequoia.sign(_signer(), data, mode=mode)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """400 MiB of zeros as about 400 KiB of gzip."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return b"".join(z.compress(zeros) for _ in range(400)) + z.flush()


# --------------------------------------------------------------------------- misbehaviours


def endless(h) -> None:
    """200 with a chunked body that never ends."""
    h.send_response(200)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    block = b"[" * 65536
    chunk = b"%x\r\n" % len(block) + block + b"\r\n"
    while True:
        h.wfile.write(chunk)


def gzip_bomb(data: bytes):
    def answer(h) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return answer


def bad_encoding(h) -> None:
    """Claims gzip, is not."""
    body = b"this is not gzip at all" * 10
    h.send_response(200)
    h.send_header("Content-Encoding", "gzip")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def redirect_loop(h) -> None:
    h.send_response(302)
    h.send_header("Location", h.path)
    h.send_header("Content-Length", "0")
    h.end_headers()


def drip(h) -> None:
    """Announces 1000 bytes and sends one every half second."""
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    for _ in range(1000):
        h.wfile.write(b" ")
        h.wfile.flush()
        time.sleep(0.5)


def deep_json(h) -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    h.send_response(200)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def lying_range(h) -> None:
    """The first answer stops half way; a resumed request gets 206 with the asked-for
    Content-Range but the bytes from the start of the file."""
    data = h.served(h.path)
    rng = h.headers.get("Range")
    h.send_response(206 if rng else 200)
    if rng:
        start = int(rng.split("=")[1].rstrip("-"))
        h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        body = data[: len(data) - start]
    else:
        body = data
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body if rng else body[: len(body) // 2])
    h.close_connection = True


def changing_body(h) -> None:
    """Different bytes (same length) on every request, each cut short half way."""
    size = len(h.served(h.path))
    rng = h.headers.get("Range")
    start = int(rng.split("=")[1].rstrip("-")) if rng else 0
    body = os.urandom(size - start)
    h.send_response(206 if rng else 200)
    if rng:
        h.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body[: max(1, len(body) // 2)])
    h.close_connection = True


def serve_bytes(body: bytes):
    def answer(h) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return answer


# --------------------------------------------------------------------------- the site


@dataclass
class Site:
    srv: TestServer
    root: Path
    stream: dict  # the served stable.json, to alter and re-serve with publish()
    files: dict[str, str]  # (format/artifact) -> served path

    def publish(self) -> None:
        (self.root / "stable.json").write_text(json.dumps(self.stream))

    def artifact(self, fmt: str, name: str) -> dict:
        return self.stream["architectures"]["x86_64"]["artifacts"]["metal"]["formats"][fmt][name]


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "srv"
    root.mkdir()
    doc = json.loads(STREAM.read_text())
    payloads = {
        ("raw.xz", "disk"): (VERIFY / "1M.xz").read_bytes(),
        ("iso", "disk"): os.urandom(300_000),
        ("pxe", "kernel"): os.urandom(200_000),
        ("pxe", "initramfs"): os.urandom(200_000),
        ("pxe", "rootfs"): os.urandom(200_000),
    }
    with TestServer(root, timeout=30) as srv:
        site = Site(srv, root, doc, {})
        for (fmt, name), data in payloads.items():
            artifact = site.artifact(fmt, name)
            filename = artifact["location"].rsplit("/", 1)[1]
            (root / filename).write_bytes(data)
            (root / f"{filename}.sig").write_bytes(sign(data))
            artifact.update(location=srv.url(filename), signature=srv.url(f"{filename}.sig"),
                            sha256=hashlib.sha256(data).hexdigest())
            site.files[f"{fmt}/{name}"] = "/" + filename
        site.publish()
        _flatcar(root)
        _simplestreams(root)
        yield site


def _flatcar(root: Path) -> None:
    board = root / "flatcar"
    (board / "current").mkdir(parents=True)
    (board / FLATCAR_VERSION).mkdir()
    (board / "current" / "version.txt").write_text(f"FLATCAR_VERSION={FLATCAR_VERSION}\n")
    for name in ("flatcar_production_pxe.vmlinuz", "flatcar_production_pxe_image.cpio.gz"):
        data = os.urandom(100_000)
        (board / FLATCAR_VERSION / name).write_bytes(data)
        (board / FLATCAR_VERSION / f"{name}.sig").write_bytes(sign(data))
        (board / FLATCAR_VERSION / f"{name}.DIGESTS").write_text(
            f"# SHA512 HASH\n{hashlib.sha512(data).hexdigest()}  {name}\n")


IMG_PATH = "server/releases/noble/release-20250601/ubuntu-24.04-server-cloudimg-amd64.img"


def simplestreams_docs(data: bytes, path: str = IMG_PATH, release: str = "noble") -> tuple[dict, dict]:
    products = {
        "content_id": "com.ubuntu.cloud:released:download", "format": "products:1.0", "datatype": "image-downloads",
        "products": {PRODUCT: {"arch": "amd64", "os": "ubuntu", "release": release, "version": "24.04", "versions": {
            "20250601": {"items": {"disk1.img": {"ftype": "disk1.img", "path": path,
                                                  "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}}},
        }}},
    }
    index = {"format": "index:1.0", "index": {"com.ubuntu.cloud:released:download": {
        "datatype": "image-downloads", "format": "products:1.0", "path": "streams/v1/download.json",
        "products": [PRODUCT]}}}
    return index, products


def _simplestreams(root: Path) -> None:
    """Shaped like cloud-images.ubuntu.com: signed .sjson metadata, no per-image signature."""
    mirror = root / "ubuntu"
    (mirror / "streams" / "v1").mkdir(parents=True)
    data = os.urandom(150_000)
    (mirror / IMG_PATH).parent.mkdir(parents=True)
    (mirror / IMG_PATH).write_bytes(data)
    index, products = simplestreams_docs(data)
    for name, doc in (("index", index), ("download", products)):
        text = json.dumps(doc).encode()
        (mirror / "streams" / "v1" / f"{name}.json").write_bytes(text)
        (mirror / "streams" / "v1" / f"{name}.sjson").write_bytes(sign(text, clear=True))


# --------------------------------------------------------------------------- running and checking


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    rss_kib: int
    seconds: float


def run(*args: str, cache: Path, logs: Path, prefix: tuple[str, ...] = (), timeout: float = 120,
        send: tuple[int, float, Path] | None = None, **env_extra: str) -> Run:
    """Run butane-py as a child; ``send`` = (signal, at most seconds, a directory in which a
    ``.part`` file must appear first) delivers a signal mid-download."""
    logs.mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), BUTANE_PY_CACHE=str(cache), BUTANE_PY_METADATA_TIMEOUT="3",
               **env_extra)
    with open(logs / "out", "w+") as out, open(logs / "err", "w+") as err:
        start = time.monotonic()
        argv = [sys.executable, "-m", "butane_py", *args]
        rss_file = logs / "rss"
        rss_file.unlink(missing_ok=True)
        if send is None:  # a signal must reach butane-py itself, not the measuring parent
            argv = measured(argv, rss_file)
        child = subprocess.Popen([*prefix, *argv], stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        if send is not None:
            signum, within, where = send
            deadline = time.monotonic() + within
            while time.monotonic() < deadline and not any(
                    p.name.endswith(".part") and p.stat().st_size > 0 for p in where.rglob(".butane-py-*")):
                time.sleep(0.05)
            child.send_signal(signum)
        _, status, _ = os.wait4(child.pid, 0)
        timer.cancel()
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        rss = read_kib(rss_file) if rss_file.exists() else 0
        return Run(child.returncode, out.read(), err.read(), rss, seconds)


def snapshot(*dirs: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for d in dirs:
        if d.exists():
            for p in d.rglob("*"):
                st = p.lstat()
                found[str(p)] = (st.st_size, st.st_mtime_ns)
    return found


def one_line_error(r: Run) -> str:
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, r.stderr
    return r.stderr


@pytest.fixture
def dirs(tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    out.mkdir()
    cache.mkdir()
    (tmp_path / "logs").mkdir()
    return out, cache, tmp_path / "logs"


def download_args(site: Site, kind: str, out: Path) -> list[str]:
    base = ["download", "-a", "x86_64", "-C", str(out), "--keyring", KEY, "--fetch-retries", "1", "-q"]
    if kind == "fcos":
        return [*base, "--stream-base-url", site.srv.base_url]
    if kind == "flatcar":
        return [*base, "--flatcar", "stable", "--stream-base-url", site.srv.url("flatcar/")]
    if kind == "simplestreams":
        return [*base, "--simplestreams", site.srv.url("ubuntu/"), "--product", PRODUCT]
    raise AssertionError(kind)


# --------------------------------------------------------------------------- the tests


def test_the_site_works(site, dirs) -> None:
    """The unaltered site downloads, so each failure below is the misbehaviour's doing."""
    out, cache, logs = dirs
    for kind in ("fcos", "flatcar", "simplestreams"):
        r = run(*download_args(site, kind, out), cache=cache, logs=logs)
        assert r.returncode == 0, (kind, r.stderr)
    assert any(p.name.endswith(".raw.xz.sig") for p in out.iterdir()), "the signature is saved beside the image"
    assert not any(p.startswith("/ubuntu/server/") and p.endswith(".sig") for p in site.srv.paths_requested()), \
        "the verified SHA-256 is the image's proof: no per-image signature is asked for"


METADATA_MISBEHAVIOURS = ["endless", "gzip_bomb", "bad_encoding", "redirect_loop", "drip", "deep_json"]


def _hook(name: str, bomb: bytes):
    return gzip_bomb(bomb) if name == "gzip_bomb" else globals()[name]


@pytest.mark.parametrize("misbehaviour", METADATA_MISBEHAVIOURS)
@pytest.mark.parametrize("command", ["download", "stream list"])
def test_stream_metadata(site, dirs, bomb, command, misbehaviour) -> None:
    out, cache, logs = dirs
    site.srv.hooks["/stable.json"] = _hook(misbehaviour, bomb)
    before = snapshot(out, cache)
    if command == "download":
        args = download_args(site, "fcos", out)
    else:
        args = ["stream", "list", "--stream-base-url", site.srv.base_url]
    r = run(*args, cache=cache, logs=logs)
    one_line_error(r)
    assert snapshot(out, cache) == before
    assert r.rss_kib < RSS_LIMIT, f"peak RSS {r.rss_kib // MIB} MiB"
    assert r.seconds < 30, "a drip feed is cut off by the metadata deadline"


@pytest.mark.parametrize("misbehaviour", ["endless", "gzip_bomb", "bad_encoding", "redirect_loop", "drip"])
@pytest.mark.parametrize("kind", ["fcos", "flatcar"])
def test_signature(site, dirs, bomb, kind, misbehaviour) -> None:
    out, cache, logs = dirs
    path = site.files["raw.xz/disk"] if kind == "fcos" else f"/flatcar/{FLATCAR_VERSION}/flatcar_production_pxe.vmlinuz"
    site.srv.hooks[path + ".sig"] = _hook(misbehaviour, bomb)
    before = snapshot(out, cache)
    r = run(*download_args(site, kind, out), cache=cache, logs=logs)
    one_line_error(r)
    assert snapshot(out, cache) == before
    assert r.rss_kib < RSS_LIMIT, f"peak RSS {r.rss_kib // MIB} MiB"
    assert r.seconds < 30


@pytest.mark.parametrize("what", ["version.txt", "DIGESTS"])
@pytest.mark.parametrize("misbehaviour", ["gzip_bomb", "drip", "endless"])
def test_flatcar_metadata(site, dirs, bomb, what, misbehaviour) -> None:
    out, cache, logs = dirs
    path = ("/flatcar/current/version.txt" if what == "version.txt"
            else f"/flatcar/{FLATCAR_VERSION}/flatcar_production_pxe.vmlinuz.DIGESTS")
    site.srv.hooks[path] = _hook(misbehaviour, bomb)
    before = snapshot(out, cache)
    r = run(*download_args(site, "flatcar", out), cache=cache, logs=logs)
    one_line_error(r)
    assert snapshot(out, cache) == before
    assert r.rss_kib < RSS_LIMIT and r.seconds < 30


@pytest.mark.parametrize("doc", ["index.sjson", "download.sjson"])
@pytest.mark.parametrize("misbehaviour", ["gzip_bomb", "drip", "deep_json", "plain_json"])
def test_simplestreams_metadata(site, dirs, bomb, doc, misbehaviour) -> None:
    out, cache, logs = dirs
    v1 = site.root / "ubuntu" / "streams" / "v1"
    if misbehaviour == "plain_json":  # unsigned metadata under the signed name: refused with a keyring
        hook = serve_bytes((v1 / doc.replace(".sjson", ".json")).read_bytes())
    else:
        hook = _hook(misbehaviour, bomb)
    site.srv.hooks["/ubuntu/streams/v1/" + doc] = hook
    before = snapshot(out, cache)
    r = run(*download_args(site, "simplestreams", out), cache=cache, logs=logs)
    err = one_line_error(r)
    if misbehaviour == "plain_json":
        assert "not clearsigned" in err
    assert snapshot(out, cache) == before
    assert r.rss_kib < RSS_LIMIT and r.seconds < 30


@pytest.mark.parametrize("misbehaviour", ["redirect_loop", "lying_range", "changing_body", "gzip_encoded"])
@pytest.mark.parametrize("kind", ["fcos", "url"])
def test_image(site, dirs, kind, misbehaviour) -> None:
    out, cache, logs = dirs
    path = site.files["raw.xz/disk"]
    if misbehaviour == "gzip_encoded":  # the raw bytes are kept: they are not what was signed
        hook = gzip_bomb(gzip.compress((site.root / path.lstrip("/")).read_bytes()))
    else:
        hook = globals()[misbehaviour]
    site.srv.hooks[path] = hook
    before = snapshot(out, cache)
    if kind == "fcos":
        args = download_args(site, "fcos", out)
    else:
        args = ["download", "-u", site.srv.url(path.lstrip("/")), "-C", str(out), "--keyring", KEY,
                "--fetch-retries", "2", "-q"]
    r = run(*args, cache=cache, logs=logs)
    one_line_error(r)
    assert snapshot(out, cache) == before


@pytest.mark.parametrize("segment", ["a%2F..%2F..%2Fescaped", "..", "%2e%2e", "a%00b", "a%0Ab", "%E2%80%AEgpj.exe",
                                     "x" * 256, "%FF"])
def test_url_names(site, dirs, tmp_path, segment) -> None:
    """-u names the file after the URL's last segment, decoded once: a plain name or nothing."""
    out, cache, logs = dirs
    before = snapshot(tmp_path.parent)
    n = len(site.srv.requests)
    r = run("download", "-u", site.srv.url(segment), "-C", str(out), "-q", cache=cache, logs=logs)
    one_line_error(r)
    assert len(site.srv.requests) == n, "refused before any request"
    after = snapshot(tmp_path.parent)
    assert {k: v for k, v in after.items() if "/logs" not in k} == \
        {k: v for k, v in before.items() if "/logs" not in k}, "nothing created anywhere (not even out/a)"


HOSTILE_NAMES = ["r" * 300, "41.2\nError: all good", "41.\u202egpj", "..", "a/b"]


@pytest.mark.parametrize("release", HOSTILE_NAMES)
def test_stream_release_names(site, dirs, release) -> None:
    out, cache, logs = dirs
    site.stream["architectures"]["x86_64"]["artifacts"]["metal"]["release"] = release
    site.publish()
    before = snapshot(out, cache)
    r = run(*download_args(site, "fcos", out), cache=cache, logs=logs)
    err = one_line_error(r)
    assert "\u202e" not in err and snapshot(out, cache) == before
    listing = run("stream", "list", "--stream-base-url", site.srv.base_url, cache=cache, logs=logs)
    assert listing.returncode == 0
    assert "\u202e" not in listing.stdout and "Error: all good" not in listing.stdout.splitlines(), \
        "printed escaped, one row per line"


@pytest.mark.parametrize("name", ["f" * 300 + ".raw.xz", "a%2F..%2Fb.raw.xz", "%E2%80%AE.raw.xz"])
def test_stream_file_names(site, dirs, name) -> None:
    out, cache, logs = dirs
    artifact = site.artifact("raw.xz", "disk")
    artifact["location"] = site.srv.url(name)
    site.publish()
    before = snapshot(out, cache)
    one_line_error(run(*download_args(site, "fcos", out), cache=cache, logs=logs))
    assert snapshot(out, cache) == before


@pytest.mark.parametrize("version", ["1" + ".0" * 200, "1.0\n", "1.0+\u202e"])
def test_flatcar_versions(site, dirs, version) -> None:
    out, cache, logs = dirs
    site.srv.hooks["/flatcar/current/version.txt"] = serve_bytes(f"FLATCAR_VERSION='{version}'\n".encode())
    before = snapshot(out, cache)
    one_line_error(run(*download_args(site, "flatcar", out), cache=cache, logs=logs))
    assert snapshot(out, cache) == before


@pytest.mark.parametrize("change", ["long_file", "long_release", "bidi_release"])
def test_simplestreams_names(site, dirs, change) -> None:
    out, cache, logs = dirs
    data = (site.root / "ubuntu" / IMG_PATH).read_bytes()
    path, release = IMG_PATH, "noble"
    if change == "long_file":
        path = "server/" + "u" * 300 + ".img"
    elif change == "long_release":
        release = "n" * 300
    else:
        release = "noble\u202e"
    index, products = simplestreams_docs(data, path, release)
    products["products"][PRODUCT]["version"] = release if change != "long_file" else "24.04"
    v1 = site.root / "ubuntu" / "streams" / "v1"
    (v1 / "download.sjson").write_bytes(sign(json.dumps(products).encode(), clear=True))
    before = snapshot(out, cache)
    one_line_error(run(*download_args(site, "simplestreams", out), cache=cache, logs=logs))
    assert snapshot(out, cache) == before


# --------------------------------------------------------------------------- embed


@pytest.mark.parametrize("mode", ["iso", "pxe"])
@pytest.mark.parametrize("misbehaviour", ["gzip_bomb", "redirect_loop", "lying_range", "deep_json"])
def test_embed(site, dirs, bomb, tmp_path, mode, misbehaviour) -> None:
    out, cache, logs = dirs
    first = site.files["iso/disk" if mode == "iso" else "pxe/kernel"]
    if misbehaviour == "gzip_bomb":
        site.srv.hooks[first + ".sig"] = gzip_bomb(bomb)
    elif misbehaviour == "deep_json":
        site.srv.hooks["/stable.json"] = deep_json
    else:
        site.srv.hooks[first] = globals()[misbehaviour]
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    target = out / ("node.iso" if mode == "iso" else "pxe")
    before = snapshot(out, cache)
    r = run("embed", f"--{mode}", "stable", "--stream-base-url", site.srv.base_url, "-a", "x86_64", "--keyring", KEY,
            "--fetch-retries", "1", "-q", str(bu), "-o", str(target), cache=cache, logs=logs)
    one_line_error(r)
    assert not target.exists()
    assert snapshot(out, cache) == before
    assert r.rss_kib < RSS_LIMIT


def _tmpfs_prefix(directory: Path, options: str) -> tuple[str, ...]:
    """Run the child with a tmpfs mounted over ``directory`` in a private mount namespace."""
    unshare = shutil.which("unshare")
    probe = unshare and subprocess.run([unshare, "-m", "true"], capture_output=True).returncode == 0
    if not probe:
        pytest.skip("no private mount namespace here")
    return (unshare, "-m", "sh", "-c", f'mount -t tmpfs -o {options} none "{directory}" && exec "$@"', "sh")


def _readonly_prefix(directory: Path) -> tuple[str, ...]:
    """Run the child with ``directory`` read-only: chmod for a normal user; for root (who
    ignores modes) a read-only tmpfs over it."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        return ()
    return _tmpfs_prefix(directory, "ro")


def test_embed_alias_with_a_read_only_cache(dirs, tmp_path) -> None:
    out, cache, logs = dirs
    bu = tmp_path / "config.bu"
    bu.write_bytes(BUTANE)
    r = run("embed", "--iso", "fcos-stable-iso", "-a", "x86_64", "-q", str(bu), "-o", str(out / "node.iso"),
            cache=cache, logs=logs, prefix=_readonly_prefix(cache))
    err = one_line_error(r)
    assert "cache" in err and ("read-only file system" in err or "permission denied" in err)
    assert list(out.iterdir()) == []


def test_download_into_a_read_only_directory(site, dirs) -> None:
    out, cache, logs = dirs
    r = run("download", "-u", site.srv.url(site.files["iso/disk"].lstrip("/")), "-C", str(out), "--keyring", KEY,
            "-q", cache=cache, logs=logs, prefix=_readonly_prefix(out))
    err = one_line_error(r)
    assert str(out) in err


@pytest.mark.parametrize("full", ["out", "cache"])
def test_full_disk(site, dirs, full) -> None:
    """A 100 KiB file system for a 300 kB image: a clear error, no temporary file left."""
    out, cache, logs = dirs
    where = out if full == "out" else cache
    if full == "out":
        args = ["download", "-u", site.srv.url(site.files["iso/disk"].lstrip("/")), "-C", str(out), "--keyring", KEY,
                "-q"]
    else:
        args = [*download_args(site, "fcos", out), "-f", "iso"]
    inner = ("sh", "-c", 'r=0; "$@" || r=$?; ls -A "$D"; exit $r', "sh")
    r = run(*args, cache=cache, logs=logs, prefix=(*_tmpfs_prefix(where, "size=100k"), *inner), D=str(where))
    err = r.stderr.splitlines()[0] if r.stderr else ""
    assert r.returncode == 1 and err.startswith("Error: ") and "no space left on device" in err, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout.strip() == "", f"left in the full file system: {r.stdout}"
    assert list(out.iterdir()) == []


# --------------------------------------------------------------------------- signals


def slow(h) -> None:
    """The file at a trickle (64 KiB every 0.1 s): long enough to be interrupted."""
    data = h.served(h.path)
    h.send_response(200)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    for i in range(0, len(data), 65536):
        h.wfile.write(data[i:i + 65536])
        h.wfile.flush()
        time.sleep(0.1)


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("kind", ["fcos", "url"])
def test_signal_mid_download_leaves_nothing(site, dirs, signum, kind) -> None:
    out, cache, logs = dirs
    path = site.files["iso/disk"]
    (site.root / path.lstrip("/")).write_bytes(big := os.urandom(8 << 20))
    (site.root / (path.lstrip("/") + ".sig")).write_bytes(sign(big))
    site.artifact("iso", "disk")["sha256"] = hashlib.sha256(big).hexdigest()
    site.publish()
    site.srv.hooks[path] = slow
    if kind == "fcos":
        args = [*download_args(site, "fcos", out), "-f", "iso"]
    else:
        args = ["download", "-u", site.srv.url(path.lstrip("/")), "-C", str(out), "--keyring", KEY, "-q"]
    before = snapshot(out, cache)
    r = run(*args, cache=cache, logs=logs, send=(signum, 20, cache if kind == "fcos" else out))
    assert r.returncode == 128 + signum and "Traceback" not in r.stderr, (r.returncode, r.stderr)
    assert r.seconds < 20, "the signal, not the end of the download, ended the run"
    assert snapshot(out, cache) == before, "no .butane-py-* or .part file is left"
