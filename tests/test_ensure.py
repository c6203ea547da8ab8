"""images.ensure (issue 17, item 1): a ready raw disk from an alias, a distribution name, a URL
or a local file. Stream metadata, Flatcar channels and images are served from a loopback HTTP
server, the images made at test time by qemu-img and xz, gzip, bzip2 and zstd, and signed with
coreos-installer's test key. Every raw disk must equal ``qemu-img convert -O raw``'s, hole for
hole."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pysequoia
import pytest

from butane_py.errors import ButanePyError, ImageError
from butane_py.fetch import DecompressionError, DigestMismatchError, Keyring, clean_cache, list_cache
from butane_py.images._catalog import CatalogEntry, CatalogFile
from butane_py.images._ensure import EnsureResult, ensure
from butane_py.images._install import install
from butane_py.images._sparse import DiskError

from ._httpserver import TestServer
from .conftest import ROOT, THIRD_PARTY
from .test_install import BOOT, CONFIG, cat, metal_image, tool
from .test_install import TOOLS as INSTALL_TOOLS
from ._disks import AS_A_PROGRAM, assert_quiet_exit, data_map, interrupt

TOOLS = ("qemu-img", "xz", "gzip", "bzip2", "zstd")
if not all(shutil.which(t) for t in TOOLS):
    pytest.skip(f"needs {', '.join(TOOLS)}", allow_module_level=True)

VERIFY = THIRD_PARTY / "coreos-installer" / "verify"
MIB = 1 << 20
SIZE = 24 * MIB
RELEASE = "41.20250101.3.0"
QEMU_NAME = f"fedora-coreos-{RELEASE}-qemu.x86_64.qcow2.xz"
COMPRESS = {"xz": ["xz", "-T1", "-0", "-c"], "gz": ["gzip", "-1", "-c"], "bz2": ["bzip2", "-1", "-c"],
            "zst": ["zstd", "-q", "-1", "-c"]}


def run(*argv: str | Path, stdin: bytes | None = None) -> bytes:
    p = subprocess.run([str(a) for a in argv], input=stdin, capture_output=True)
    assert p.returncode == 0, (argv, p.stderr)
    return p.stdout


def compress(path: Path, ext: str) -> Path:
    out = path.with_name(f"{path.name}.{ext}")
    out.write_bytes(run(*COMPRESS[ext], path))
    return out


def sign(data: bytes) -> bytes:
    signer = pysequoia.Tsk.from_file(str(VERIFY / "test-key.priv.asc")).signer()
    return pysequoia.sign(signer, data, mode=pysequoia.SignatureMode.DETACHED)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_files(cache: Path) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if not p.is_dir())


@pytest.fixture(scope="module")
def disk(tmp_path_factory) -> Path:
    """A raw disk with random and compressible data, zeros inside data, and holes."""
    path = tmp_path_factory.mktemp("disk") / "disk.raw"
    rng = random.Random(17)
    with open(path, "wb") as f:
        f.truncate(SIZE)
        for i, offset in enumerate(range(0, SIZE - MIB, 3 * MIB + 4096 + 333)):
            f.seek(offset)
            length = rng.randrange(1, 400_000)
            f.write((rng.randbytes(100) * 4000)[:length] if i % 2 else rng.randbytes(length))
        f.seek(5 * MIB)
        f.write(rng.randbytes(MIB) + bytes(MIB) + rng.randbytes(MIB))
        f.seek(SIZE - 3000)
        f.write(rng.randbytes(3000))
    return path


@pytest.fixture(scope="module")
def qcow2(disk: Path) -> Path:
    out = disk.with_name("disk.qcow2")
    run("qemu-img", "convert", "-c", "-O", "qcow2", disk, out)
    return out


def qemu_raw(image: Path, out: Path) -> Path:
    """``qemu-img convert -O raw`` of ``image``, synced (so that its blocks are counted)."""
    run("qemu-img", "convert", "-O", "raw", image, out)
    fd = os.open(out, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    return out


@pytest.fixture(scope="module")
def expected(qcow2: Path) -> Path:
    return qemu_raw(qcow2, qcow2.with_name("qemu.raw"))


@pytest.fixture(scope="module")
def expected_raw(disk: Path) -> Path:
    """What qemu-img makes of the raw disk: its zeros inside data become holes too."""
    return qemu_raw(disk, disk.with_name("qemu-from-raw.raw"))


def assert_same_disk(ours: Path, theirs: Path) -> None:
    """Byte for byte, and hole for hole (qemu-img allocates the first block of a raw file it
    makes, zeros or not: a hole there is as good)."""
    assert ours.stat().st_size == theirs.stat().st_size
    assert ours.read_bytes() == theirs.read_bytes()
    fd = os.open(ours, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    mine, qemu = data_map(ours), data_map(theirs)
    if qemu and qemu[0][0] == 0 and mine[:1] != qemu[:1] and theirs.read_bytes()[:4096] == bytes(4096):
        qemu = ([(4096, qemu[0][1])] if qemu[0][1] > 4096 else []) + qemu[1:]
    assert mine == qemu


class Site:
    """A stream document and its files on a loopback server."""

    def __init__(self, root: Path, srv: TestServer) -> None:
        self.root, self.srv = root, srv
        self.ring = Keyring.from_files([str(VERIFY / "test-key.pub.asc")])

    def publish(self, name: str, data: bytes, *, signed: bool = True) -> str:
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        (self.root / name).write_bytes(data)
        if signed:
            (self.root / f"{name}.sig").write_bytes(sign(data))
        return self.srv.url(name)

    def stream(self, filename: str, data: bytes, release: str = RELEASE, sha: str | None = None) -> None:
        """``stable.json`` whose x86_64 qemu qcow2.xz disk is ``data`` served as ``filename``."""
        url = self.publish(filename, data)
        disk = {"location": url, "signature": url + ".sig", "sha256": sha or hashlib.sha256(data).hexdigest()}
        doc = {"stream": "stable", "metadata": {"last-modified": "2025-01-01T00:00:00Z"},
               "architectures": {"x86_64": {"artifacts": {"qemu": {
                   "release": release, "formats": {"qcow2.xz": {"disk": disk}}}}}}}
        (self.root / "stable.json").write_text(json.dumps(doc))

    def ensure(self, source: str = "fcos", cache: Path | None = None, **kw) -> EnsureResult:
        kw.setdefault("base_url", self.srv.base_url)
        return ensure(source, "x86_64", cache_dir=cache, keyring=self.ring, fetch_retries=0, **kw)

    def requested(self) -> list[str]:
        return self.srv.paths_requested()


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "srv"
    root.mkdir()
    with TestServer(root) as srv:
        yield Site(root, srv)


def unpinned(alias: str, distribution: str, stream: str, platform: str, format: str) -> dict[str, CatalogEntry]:
    """A catalog whose alias resolves live through its source (the loopback server)."""
    return {alias: CatalogEntry(alias, distribution, stream, None, None, "loopback", platform, format,
                                "resolved live", {})}


# -- aliases and distribution names -------------------------------------------------------------


@pytest.mark.parametrize("ext", ["xz", "gz", "zst", "bz2"])
def test_stream_qemu_disk_is_converted_like_qemu_img(ext, site, qcow2, expected, tmp_path) -> None:
    """The stream's qcow2.xz entry, compressed with each tool: found by its magic bytes, not its
    name (the file is always named .xz, as in the stream)."""
    packed = compress(qcow2, ext).read_bytes()
    site.stream(QEMU_NAME, packed)
    cache = tmp_path / "cache"
    got = site.ensure("fcos", cache)
    digest = hashlib.sha256(packed).hexdigest()
    assert got.path == cache / "fcos" / "stable" / RELEASE / "x86_64" / \
        f"fedora-coreos-{RELEASE}-qemu.x86_64.{digest[:12]}.raw"
    assert got.source == cache / "fcos" / "stable" / RELEASE / "x86_64" / QEMU_NAME
    assert (got.format, got.release, got.sha256, got.verified, got.from_cache) == ("raw", RELEASE, digest, True, False)
    assert_same_disk(got.path, expected)
    assert stat.S_IMODE(got.path.stat().st_mode) & 0o222 == 0, "the cached disk is not for writing"
    assert {e.key for e in list_cache(cache)} == {
        f"fcos/stable/{RELEASE}/x86_64/{QEMU_NAME}", str(got.path.relative_to(cache))}
    assert not [f for f in cache_files(cache) if ".butane-py-" in f]


def test_second_call_is_a_cache_hit(site, qcow2, expected, tmp_path) -> None:
    site.stream(QEMU_NAME, compress(qcow2, "xz").read_bytes())
    cache = tmp_path / "cache"
    first = site.ensure("fcos", cache)
    before = len(site.requested())
    again = site.ensure("fcos", cache)
    assert again.path == first.path and again.from_cache
    assert site.requested()[before:] == ["/stable.json"], "only the stream is read again"
    assert_same_disk(again.path, expected)


def test_pinned_alias_hit_makes_no_request(site, qcow2, expected, tmp_path) -> None:
    packed = compress(qcow2, "xz").read_bytes()
    url = site.publish(QEMU_NAME, packed)
    pinned = {"my-qemu": CatalogEntry(
        "my-qemu", "fcos", "stable", RELEASE, "2025-01-01", "loopback", "qemu", "qcow2.xz", None,
        {"x86_64": (CatalogFile("disk", url, hashlib.sha256(packed).hexdigest(), None, url + ".sig"),)})}
    cache = tmp_path / "cache"
    first = site.ensure("my-qemu", cache, catalog=pinned)
    assert first.release == RELEASE and not first.from_cache
    before = len(site.requested())
    again = site.ensure("my-qemu", cache, catalog=pinned)
    assert again.path == first.path and again.from_cache
    assert site.requested()[before:] == [], "no request reaches the server"
    assert_same_disk(again.path, expected)


def test_a_new_release_is_a_miss(site, qcow2, disk, tmp_path) -> None:
    cache = tmp_path / "cache"
    site.stream(QEMU_NAME, compress(qcow2, "xz").read_bytes())
    old = site.ensure("fcos", cache)
    newer = "41.20250115.3.0"
    changed = tmp_path / "changed.raw"
    shutil.copyfile(disk, changed)
    with open(changed, "r+b") as f:
        f.write(b"new release")
    run("qemu-img", "convert", "-O", "qcow2", changed, tmp_path / "changed.qcow2")
    name = f"fedora-coreos-{newer}-qemu.x86_64.qcow2.xz"
    site.stream(name, compress(tmp_path / "changed.qcow2", "xz").read_bytes(), release=newer)
    new = site.ensure("fcos", cache)
    assert new.path != old.path and newer in new.path.parts and not new.from_cache
    assert f"/{name}" in site.requested()
    assert new.path.read_bytes() == changed.read_bytes()
    assert old.path.read_bytes() != new.path.read_bytes()


def test_a_republished_file_is_a_miss(site, qcow2, disk, tmp_path) -> None:
    """The same release with other bytes (a user's catalog, a re-spin): the digest in the name differs."""
    cache = tmp_path / "cache"
    site.stream(QEMU_NAME, compress(qcow2, "xz").read_bytes())
    old = site.ensure("fcos", cache)
    site.stream(QEMU_NAME, compress(qcow2, "gz").read_bytes())
    new = site.ensure("fcos", cache)
    assert new.path != old.path and new.path.parent == old.path.parent and not new.from_cache


def test_digest_mismatch_leaves_no_cache_entry(site, qcow2, tmp_path) -> None:
    site.stream(QEMU_NAME, compress(qcow2, "xz").read_bytes(), sha="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(DigestMismatchError, match="SHA-256 mismatch"):
        site.ensure("fcos", cache)
    assert not cache.exists() or cache_files(cache) == []
    assert list_cache(cache) == []


def test_bad_signature_leaves_no_cache_entry(site, qcow2, tmp_path) -> None:
    packed = compress(qcow2, "xz").read_bytes()
    site.stream(QEMU_NAME, packed)
    (site.root / f"{QEMU_NAME}.sig").write_bytes(sign(packed + b"x"))
    cache = tmp_path / "cache"
    with pytest.raises(ButanePyError):
        site.ensure("fcos", cache)
    assert not cache.exists() or cache_files(cache) == []


def test_unpinned_alias_resolves_through_the_stream(site, qcow2, expected, tmp_path) -> None:
    site.stream(QEMU_NAME, compress(qcow2, "xz").read_bytes())
    got = site.ensure("fcos-stable-qemu", tmp_path / "cache",
                      catalog=unpinned("fcos-stable-qemu", "fcos", "stable", "qemu", "qcow2.xz"))
    assert got.release == RELEASE
    assert_same_disk(got.path, expected)


def flatcar_channel(site: Site, filename: str, data: bytes, version: str = "4081.2.0") -> str:
    """A Flatcar-like channel: current/version.txt, the versioned file, its .sig and .DIGESTS."""
    site.publish("amd64-usr/current/version.txt", f"FLATCAR_VERSION={version}\n".encode(), signed=False)
    url = site.publish(f"amd64-usr/{version}/{filename}", data)
    digests = f"# SHA512 HASH\n{hashlib.sha512(data).hexdigest()}  {filename}\n".encode()
    site.publish(f"amd64-usr/{version}/{filename}.DIGESTS", digests, signed=False)
    return url


def test_flatcar_metal_bin_bz2_is_the_raw_disk(site, disk, expected_raw, tmp_path) -> None:
    """Flatcar's flatcar_production_image.bin.bz2, SHA-512 from .DIGESTS: decompressed, sparse."""
    flatcar_channel(site, "flatcar_production_image.bin.bz2", compress(disk, "bz2").read_bytes())
    cache = tmp_path / "cache"
    got = site.ensure("flatcar", cache, platform="metal", base_url=site.srv.url("amd64-usr/"))
    assert got.path.parent == cache / "flatcar" / "stable" / "4081.2.0" / "x86_64"
    assert got.path.name.startswith("flatcar_production_image.") and got.path.suffix == ".raw"
    assert_same_disk(got.path, expected_raw)


def test_flatcar_qemu_img_bz2(site, qcow2, expected, tmp_path) -> None:
    """A qcow2 ``.img.bz2`` named as a Flatcar format of its own."""
    flatcar_channel(site, "flatcar_production_qemu_image.img.bz2", compress(qcow2, "bz2").read_bytes())
    catalog = unpinned("flatcar-qemu-bz2", "flatcar", "stable", "metal", "flatcar_production_qemu_image.img.bz2")
    got = site.ensure("flatcar-qemu-bz2", tmp_path / "cache", catalog=catalog, base_url=site.srv.url("amd64-usr/"))
    assert got.path.name.startswith("flatcar_production_qemu_image.")
    assert_same_disk(got.path, expected)


def test_not_a_disk_is_refused(tmp_path) -> None:
    with pytest.raises(ImageError, match="fcos-stable-pxe is not a disk image .*kernel"):
        ensure("fcos-stable-pxe", "x86_64", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_unknown_name_lists_the_aliases(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ImageError, match="unknown image 'fcos-stabel-qemu'.*fcos-stable-qemu"):
        ensure("fcos-stabel-qemu", cache_dir=tmp_path / "cache")


def test_format_qcow2_keeps_a_qcow2_and_refuses_raw(site, qcow2, tmp_path) -> None:
    site.stream(QEMU_NAME, compress(qcow2, "xz").read_bytes())
    cache = tmp_path / "cache"
    got = site.ensure("fcos", cache, format="qcow2")
    assert got.path.suffix == ".qcow2" and got.path.read_bytes() == qcow2.read_bytes()
    raw = tmp_path / "plain.raw"
    raw.write_bytes(b"\1" * 4096)
    with pytest.raises(ImageError, match="is a raw disk: ensure converts qcow2 to raw, not raw to qcow2"):
        ensure(raw, format="qcow2", cache_dir=cache)
    with pytest.raises(ImageError, match="is a raw disk"):
        ensure(compress(raw, "gz"), format="qcow2", cache_dir=cache)
    with pytest.raises(ImageError, match="unknown disk format 'vmdk'"):
        ensure(raw, format="vmdk", cache_dir=cache)


# -- literal URLs and local files -----------------------------------------------------------------


def test_literal_url_is_unverified_and_named_by_its_basename(site, qcow2, expected, tmp_path) -> None:
    url = site.publish("images/my-disk.qcow2.zst", compress(qcow2, "zst").read_bytes(), signed=False)
    cache = tmp_path / "cache"
    got = ensure(url, cache_dir=cache, fetch_retries=0)
    assert site.requested() == ["/images/my-disk.qcow2.zst"], "no signature is asked for"
    assert (got.verified, got.release, got.url) == (False, None, url)
    assert got.source.name == "my-disk.qcow2.zst" and got.source.parent.parent == cache / "url"
    assert got.path.name == f"my-disk.{got.sha256[:12]}.raw"
    assert_same_disk(got.path, expected)
    again = ensure(url, cache_dir=cache, fetch_retries=0)
    assert again.path == got.path and again.from_cache and len(site.requested()) == 1


def test_literal_url_ignores_a_signature_by_an_unknown_key(site, disk, expected_raw, tmp_path) -> None:
    url = site.publish("plain.raw.gz", compress(disk, "gz").read_bytes())
    (site.root / "plain.raw.gz.sig").write_bytes(b"not a signature")
    got = ensure(url, cache_dir=tmp_path / "cache", fetch_retries=0)
    assert_same_disk(got.path, expected_raw)


@pytest.mark.parametrize("ext", ["xz", "gz", "bz2", "zst", None])
def test_local_file_is_read_only(ext, qcow2, expected, tmp_path) -> None:
    src = tmp_path / "mine.qcow2"
    shutil.copyfile(qcow2, src)
    if ext:
        src = compress(src, ext)
    before = (sha256(src), src.stat().st_mtime_ns, stat.S_IMODE(src.stat().st_mode))
    cache = tmp_path / "cache"
    got = ensure(src, cache_dir=cache)
    assert (sha256(src), src.stat().st_mtime_ns, stat.S_IMODE(src.stat().st_mode)) == before
    assert got.source == src and not got.verified and got.sha256 == before[0]
    assert got.path == cache / "local" / before[0][:16] / "mine.raw"
    assert_same_disk(got.path, expected)
    assert ensure(src, cache_dir=cache).from_cache


def test_cache_clean_removes_ready_disks(qcow2, tmp_path) -> None:
    cache = tmp_path / "cache"
    got = ensure(compress(qcow2, "zst"), cache_dir=cache)
    cleaned = clean_cache(cache)
    assert sorted(cleaned.files) == [got.path, got.path.with_name(got.path.name + ".meta.json")]
    assert cache_files(cache) == []


def test_local_raw_disk_is_ready_as_it_is(disk, tmp_path) -> None:
    got = ensure(disk, cache_dir=tmp_path / "cache")
    assert got.path == disk and got.from_cache and got.sha256 is None
    assert not (tmp_path / "cache").exists()


def test_output_gets_a_sparse_copy(qcow2, expected, tmp_path) -> None:
    cache = tmp_path / "cache"
    out = tmp_path / "vm" / "disk.raw"
    out.parent.mkdir()
    got = ensure(compress(qcow2, "xz"), cache_dir=cache, output=out)
    assert got.path == out
    assert_same_disk(out, expected)
    assert stat.S_IMODE(out.stat().st_mode) & 0o200, "the copy is the caller's to write"
    [ready] = [e.path for e in list_cache(cache)]
    with pytest.raises(DiskError, match="over its own source"):
        ensure(compress(qcow2, "xz"), cache_dir=cache, output=ready)
    assert_same_disk(ready, expected)
    with pytest.raises(DiskError, match="over its own source"):
        ensure(expected, output=expected)


def test_missing_and_odd_local_files(tmp_path) -> None:
    with pytest.raises(ImageError, match="cannot read .*nowhere.qcow2: no such file"):
        ensure(tmp_path / "nowhere.qcow2", cache_dir=tmp_path / "cache")
    with pytest.raises(ImageError, match="is not a regular file"):
        ensure(tmp_path, cache_dir=tmp_path / "cache")


# -- failures leave nothing -----------------------------------------------------------------------


def test_truncated_xz_leaves_nothing(qcow2, tmp_path) -> None:
    whole = compress(qcow2, "xz").read_bytes()
    cut = tmp_path / "cut.qcow2.xz"
    cut.write_bytes(whole[: len(whole) // 2])
    cache = tmp_path / "cache"
    with pytest.raises(DecompressionError, match="cut.qcow2.xz: cannot decompress xz"):
        ensure(cut, cache_dir=cache)
    assert not cache.exists(), "no entry, no temporary file, no directory"


def test_corrupt_bz2_and_qcow2_leave_nothing(qcow2, tmp_path) -> None:
    data = bytearray(compress(qcow2, "bz2").read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "bad.bz2"
    bad.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    with pytest.raises(DecompressionError, match="bad.bz2: cannot decompress bzip2"):
        ensure(bad, cache_dir=cache)
    header = bytearray(qcow2.read_bytes())
    header[4:8] = (9).to_bytes(4, "big")  # an unknown qcow2 version
    odd = tmp_path / "odd.qcow2"
    odd.write_bytes(bytes(header))
    with pytest.raises(ImageError, match="version"):
        ensure(compress(odd, "gz"), cache_dir=cache)
    assert not cache.exists()


CHILD = textwrap.dedent("""
    import os, resource, sys, time
    from butane_py.errors import ButanePyError
    from butane_py.images import _ensure

    mode, src, cache = sys.argv[1:4]
    if mode.startswith("fsize="):
        limit = int(mode[6:])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    elif mode != "plain":  # stop in the middle of a stage, its output part written
        real = getattr(_ensure, mode)

        def stalled(src, fd, **kw):
            os.pwrite(fd, b"partial" * 1000, 0)
            print("started", flush=True)
            time.sleep(60)

        setattr(_ensure, mode, stalled)
    try:
        got = _ensure.ensure(src, cache_dir=cache)
    except ButanePyError as exc:
        print(f"{type(exc).__name__}: {exc}")
        sys.exit(1)
    except KeyboardInterrupt:  # as the CLI does
        sys.exit(130)
    print(got.path, got.from_cache)
""")


def child(mode: str, src: Path, cache: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", CHILD, mode, str(src), str(cache)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("content", ["zeros", "data"])
def test_a_bomb_past_the_space_left_stops_cleanly(content, tmp_path) -> None:
    """64 MiB from a small xz, against an 8 MiB file size limit (RLIMIT_FSIZE, as a full disk
    would stop it): a one-line error, and nothing left in the cache."""
    raw = tmp_path / "bomb.raw"
    with open(raw, "wb") as f:
        if content == "zeros":
            f.truncate(64 * MIB)
        else:
            f.write(b"0123456789abcdef" * (4 * MIB))
    packed = compress(raw, "xz")
    raw.unlink()
    assert packed.stat().st_size < MIB
    cache = tmp_path / "cache"
    p = child(f"fsize={8 * MIB}", packed, cache)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 1, (out, err)
    assert out.startswith("CacheError: cache ") and "file too large" in out and "Traceback" not in err
    assert not cache.exists() or cache_files(cache) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("stage", ["decompress_into", "qcow2_to_raw"])
def test_signal_mid_way_leaves_nothing(stage, signum, qcow2, tmp_path) -> None:
    src = compress(qcow2, "xz")
    cache = tmp_path / "cache"
    p = child(stage, src, cache)
    assert p.stdout.readline() == "started\n"
    assert [f for f in cache_files(cache) if ".butane-py-" in f], "a temporary file is being written"
    p.send_signal(signum)
    out, err = p.communicate(timeout=30)
    assert_quiet_exit(signum, p.returncode, out + err)
    assert not cache.exists() or cache_files(cache) == []


# The download trickles in (64 KiB every 20 ms), so that the signal lands while it is written
# into the cache; the ready disk would then be copied over an existing output.
DOWNLOAD_CHILD = """
import sys
from butane_py.images._ensure import ensure

url, cache, output = sys.argv[1:4]
def main():
    ensure(url, cache_dir=cache, output=output)
""" + AS_A_PROGRAM


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_mid_download_leaves_nothing(signum, qcow2, tmp_path) -> None:
    data = compress(qcow2, "gz").read_bytes()
    root = tmp_path / "srv"
    root.mkdir()

    def trickle(h) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        for i in range(0, len(data), 64 << 10):
            h.wfile.write(data[i:i + (64 << 10)])
            h.wfile.flush()
            time.sleep(0.02)

    cache, output = tmp_path / "cache", tmp_path / "vm.raw"
    output.write_bytes(b"the disk before")
    with TestServer(root) as srv:
        srv.hooks["/disk.qcow2.gz"] = trickle

        def started() -> bool:  # part of the download is in the cache
            return cache.exists() and any(f.stat().st_size for f in cache.rglob("*") if f.is_file())

        status, err = interrupt(DOWNLOAD_CHILD, [srv.url("disk.qcow2.gz"), cache, output], started, signum)
    assert_quiet_exit(signum, status, err)
    assert not cache.exists() or cache_files(cache) == []
    assert sorted(set(os.listdir(tmp_path)) - {"cache"}) == ["srv", "vm.raw"]
    assert output.read_bytes() == b"the disk before"


def test_two_at_once_make_one_entry(qcow2, expected, tmp_path) -> None:
    src = compress(qcow2, "gz")
    cache = tmp_path / "cache"
    procs = [child("plain", src, cache) for _ in range(2)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    paths, hits = zip(*(out.split() for out, _ in results))
    assert paths[0] == paths[1]
    assert sorted(hits) == ["False", "True"], "the second waited for the first, then found its disk"
    assert cache_files(cache) == [f"local/{sha256(src)[:16]}/disk.raw", f"local/{sha256(src)[:16]}/disk.raw.meta.json"]
    assert_same_disk(Path(paths[0]), expected)


# -- end to end: a VM disk with its Ignition config ---------------------------------------------


@pytest.mark.skipif(not all(INSTALL_TOOLS.values()), reason="needs fdisk (sfdisk) and e2fsprogs")
def test_ensure_then_install_the_config(site, tmp_path) -> None:
    """fcos-stable-qemu from the loopback stream (a metal-like GPT disk, as qcow2.xz), then the
    config installed into a copy of the ready disk, as on a VMM without fw_cfg."""
    metal = metal_image(tmp_path / "metal.raw")
    run("qemu-img", "convert", "-c", "-O", "qcow2", metal, tmp_path / "metal.qcow2")
    site.stream(QEMU_NAME, compress(tmp_path / "metal.qcow2", "xz").read_bytes())
    catalog = unpinned("fcos-stable-qemu", "fcos", "stable", "qemu", "qcow2.xz")
    got = site.ensure("fcos-stable-qemu", tmp_path / "cache", catalog=catalog)
    assert got.path.read_bytes() == metal.read_bytes()
    cached = sha256(got.path)
    vm = tmp_path / "vm.raw"
    done = install(got.path, CONFIG, vm, platform="qemu")
    assert done.distribution == "fcos" and "ignition/config.ign" in done.written
    assert cat(vm, BOOT, "/ignition/config.ign") == CONFIG
    assert tool("sfdisk", "--verify", str(vm)).returncode == 0
    assert sha256(got.path) == cached, "the cached disk is only read"
