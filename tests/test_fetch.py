"""Tests for butane_py.fetch, its OpenPGP checks included, against a loopback HTTP server."""

from __future__ import annotations

import gzip
import hashlib
import os
import time
import warnings
from pathlib import Path

import httpx
import pysequoia
import pytest
from pysequoia.packet import PacketPile, Tag

from butane_py import fetch as F
from butane_py.errors import ButanePyError
from butane_py.fetch import BadSignatureError, Keyring, KeyringError, MalformedSignatureError, UnknownKeyError
from butane_py.fetch._openpgp import load_signature, verify_detached_file

from ._httpserver import TestServer
from .conftest import THIRD_PARTY

VERIFY = THIRD_PARTY / "coreos-installer" / "verify"
TEST_PRIV = VERIFY / "test-key.priv.asc"
TEST_PUB = VERIFY / "test-key.pub.asc"
FLATCAR_PRIMARY = "f88cfedeff29a5b4d9523864e25d9aed0593b34a"
TEST_SUBKEY = "fc51ac9fed914ecad67edb2a5fbda8071bf24b78"

FAST = {"retry_delay": 0.001, "max_retry_delay": 0.01, "timeout": 10.0}


@pytest.fixture(scope="module")
def signer():
    return pysequoia.Tsk.from_file(str(TEST_PRIV)).signer()


@pytest.fixture(scope="module")
def ring() -> Keyring:
    return Keyring.from_files([TEST_PUB])


def sign(signer, data: bytes, armor: bool = False) -> bytes:
    return pysequoia.sign(
        signer, data, mode=pysequoia.SignatureMode.DETACHED, armor=armor
    )


@pytest.fixture
def site(tmp_path, signer):
    root = tmp_path / "srv"
    root.mkdir()
    data = os.urandom(3 * 1024 * 1024 + 17)
    (root / "image.raw").write_bytes(data)
    (root / "image.raw.sig").write_bytes(sign(signer, data))
    return root, data


@pytest.fixture
def server(site):
    root, _ = site
    with TestServer(root) as srv:
        yield srv


@pytest.fixture
def out(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    return d


def leftovers(*dirs: Path) -> list[str]:
    return sorted(str(p) for d in dirs if d.exists() for p in d.rglob("*"))


# --------------------------------------------------------------------------- happy path


def test_download_verifies_and_renames(server, site, out, ring):
    _, data = site
    seen = []
    res = F.fetch(
        server.url("image.raw"),
        out / "image.raw",
        sha256=hashlib.sha256(data).hexdigest(),
        sha512=hashlib.sha512(data).hexdigest(),
        keyring=ring,
        progress=lambda done, total: seen.append((done, total)),
        **FAST,
    )
    assert (out / "image.raw").read_bytes() == data
    assert leftovers(out) == [str(out / "image.raw")]
    assert res.sha256 == hashlib.sha256(data).hexdigest()
    assert (
        res.signature is not None
        and res.signature.certificate == "1a304569bfadfb3e3f96f0c3aa2a69a46ec352fc"
    )
    assert seen[-1] == (len(data), len(data))
    assert res.requests == 1
    assert server.paths_requested() == ["/image.raw", "/image.raw.sig"]


def test_armored_signature_accepted(server, site, out, ring, signer):
    root, data = site
    (root / "image.raw.asc").write_bytes(sign(signer, data, armor=True))
    res = F.fetch(
        server.url("image.raw"),
        out / "x",
        signature_url=server.url("image.raw.asc"),
        keyring=ring,
        **FAST,
    )
    assert res.signature is not None and (out / "x").read_bytes() == data


# --------------------------------------------------------------------------- failures leave nothing


def test_tampered_byte(server, site, out, ring):
    root, data = site
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 1
    (root / "image.raw").write_bytes(bytes(bad))
    with pytest.raises(BadSignatureError, match="bad signature"):
        F.fetch(server.url("image.raw"), out / "image.raw", keyring=ring, **FAST)
    assert leftovers(out) == []


def test_truncated_body(server, out, ring):
    server.truncate["/image.raw"] = 100
    with pytest.raises(F.DownloadError, match="giving up after 3 attempts") as ei:
        F.fetch(
            server.url("image.raw"),
            out / "image.raw",
            keyring=ring,
            fetch_retries=2,
            **FAST,
        )
    assert "\n" not in str(ei.value)
    assert ei.value.exit_code == 1 and isinstance(ei.value, ButanePyError)
    assert leftovers(out) == []


def test_missing_signature_is_an_error(server, site, out, ring):
    root, data = site
    (root / "image.raw.sig").unlink()
    with pytest.raises(F.MissingSignatureError, match="not found"):
        F.fetch(server.url("image.raw"), out / "image.raw", keyring=ring, **FAST)
    assert leftovers(out) == []
    res = F.fetch(
        server.url("image.raw"), out / "image.raw", keyring=ring, insecure=True, **FAST
    )
    assert res.signature is None and (out / "image.raw").read_bytes() == data


def test_insecure_never_accepts_a_bad_signature(server, site, out, ring):
    root, _ = site
    (root / "image.raw.sig").write_bytes(b"\x89\x02garbage")
    with pytest.raises(MalformedSignatureError):
        F.fetch(
            server.url("image.raw"),
            out / "image.raw",
            keyring=ring,
            insecure=True,
            **FAST,
        )
    assert leftovers(out) == []


def test_signature_by_another_key(server, site, out, ring):
    root, data = site
    other = pysequoia.Tsk.generate("Mallory <m@example.invalid>")
    (root / "image.raw.sig").write_bytes(sign(other.signer(), data))
    with pytest.raises(UnknownKeyError, match="unknown key"):
        F.fetch(
            server.url("image.raw"),
            out / "image.raw",
            keyring=ring,
            insecure=True,
            **FAST,
        )
    assert leftovers(out) == []


def test_bundled_keyring_rejects_test_key(server, out):
    with pytest.raises(UnknownKeyError):
        F.fetch(server.url("image.raw"), out / "image.raw", **FAST)
    assert leftovers(out) == []


def test_sha256_mismatch(server, out, ring):
    with pytest.raises(F.DigestMismatchError, match="SHA-256 mismatch"):
        F.fetch(
            server.url("image.raw"),
            out / "image.raw",
            sha256="00" * 32,
            keyring=ring,
            **FAST,
        )
    assert leftovers(out) == []
    # the signature is not even fetched when the digest is wrong
    assert "/image.raw.sig" not in server.paths_requested()


def test_sha512_mismatch(server, site, out, ring):
    _, data = site
    with pytest.raises(F.DigestMismatchError, match="SHA-512"):
        F.fetch(
            server.url("image.raw"),
            out / "i",
            sha256=hashlib.sha256(data).hexdigest(),
            sha512="ab" * 64,
            keyring=ring,
            **FAST,
        )
    assert leftovers(out) == []


def test_http_404_is_download_error(server, out, ring):
    with pytest.raises(F.DownloadError, match="HTTP 404"):
        F.fetch(server.url("nope.raw"), out / "nope.raw", keyring=ring, **FAST)
    assert leftovers(out) == []


# --------------------------------------------------------------------------- retries and resume


def test_500_then_success(server, site, out, ring):
    _, data = site
    server.fail_500["/image.raw"] = 2
    server.fail_500["/image.raw.sig"] = 1
    res = F.fetch(
        server.url("image.raw"),
        out / "image.raw",
        keyring=ring,
        fetch_retries=3,
        **FAST,
    )
    assert (out / "image.raw").read_bytes() == data
    assert server.paths_requested().count("/image.raw") == 3
    assert res.requests == 3


def test_500_exhausts_retries(server, out, ring):
    server.fail_500["/image.raw"] = 10
    with pytest.raises(F.DownloadError, match="HTTP 500"):
        F.fetch(
            server.url("image.raw"),
            out / "image.raw",
            keyring=ring,
            fetch_retries=1,
            **FAST,
        )
    assert server.paths_requested().count("/image.raw") == 2
    assert leftovers(out) == []


def test_backoff_doubles(server, out, ring, monkeypatch):
    server.fail_500["/image.raw"] = 3
    delays = []
    monkeypatch.setattr(time, "sleep", lambda s: delays.append(s))
    F.fetch(
        server.url("image.raw"),
        out / "image.raw",
        keyring=ring,
        fetch_retries=3,
        retry_delay=1.0,
        max_retry_delay=3.0,
    )
    assert delays == [1.0, 2.0, 3.0]


def test_dropped_connection_resumes_with_range(server, site, out, ring):
    _, data = site
    server.drop_half["/image.raw"] = 1
    res = F.fetch(
        server.url("image.raw"),
        out / "image.raw",
        keyring=ring,
        sha256=hashlib.sha256(data).hexdigest(),
        **FAST,
    )
    assert (out / "image.raw").read_bytes() == data
    ranges = [r for _, p, r in server.requests if p == "/image.raw"]
    assert ranges[0] is None
    assert (
        len(ranges) == 2
        and ranges[1] is not None
        and ranges[1].startswith("bytes=")
        and ranges[1] != "bytes=0-"
    )
    assert res.signature is not None


@pytest.mark.parametrize("mode", ["ignore_range", "wrong_range"])
def test_resume_not_honoured_restarts(server, site, out, ring, mode):
    _, data = site
    setattr(server, mode, True)
    server.drop_half["/image.raw"] = 1
    F.fetch(
        server.url("image.raw"),
        out / "image.raw",
        keyring=ring,
        sha256=hashlib.sha256(data).hexdigest(),
        **FAST,
    )
    assert (out / "image.raw").read_bytes() == data


# --------------------------------------------------------------------------- transport injection


def test_injected_transport(site, out, ring):
    root, data = site
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        name = request.url.path.lstrip("/")
        p = root / name
        return (
            httpx.Response(200, content=p.read_bytes())
            if p.exists()
            else httpx.Response(404)
        )

    res = F.fetch(
        "http://images.invalid/image.raw",
        out / "image.raw",
        keyring=ring,
        transport=httpx.MockTransport(handler),
        **FAST,
    )
    assert calls == ["/image.raw", "/image.raw.sig"]
    assert res.path.read_bytes() == data


# --------------------------------------------------------------------------- cache


def test_cache_hit_skips_download(server, site, tmp_path, out, ring, monkeypatch):
    _, data = site
    cache = tmp_path / "cache"
    monkeypatch.setenv("BUTANE_PY_CACHE", str(cache))
    key = "fcos/stable/41.1/x86_64/image.raw"
    r1 = F.fetch(
        server.url("image.raw"), out / "a.raw", keyring=ring, cache_key=key, **FAST
    )
    assert not r1.from_cache and r1.source == cache / key
    n = len(server.requests)
    r2 = F.fetch(
        server.url("image.raw"),
        out / "b.raw",
        keyring=ring,
        cache_key=key,
        sha256=hashlib.sha256(data).hexdigest(),
        **FAST,
    )
    assert r2.from_cache and r2.requests == 0
    assert len(server.requests) == n  # the server saw nothing
    assert (out / "b.raw").read_bytes() == data
    # reverify re-hashes and re-checks the stored signature, still without requests
    r3 = F.fetch(
        server.url("image.raw"),
        out / "c.raw",
        keyring=ring,
        cache_key=key,
        reverify=True,
        **FAST,
    )
    assert r3.from_cache and r3.signature is not None and len(server.requests) == n
    # a new release is a different key: a miss
    r4 = F.fetch(
        server.url("image.raw"),
        out / "d.raw",
        keyring=ring,
        cache_key="fcos/stable/41.2/x86_64/image.raw",
        **FAST,
    )
    assert not r4.from_cache and len(server.requests) > n
    entries = F.list_cache()
    assert [e.key for e in entries] == [
        "fcos/stable/41.1/x86_64/image.raw",
        "fcos/stable/41.2/x86_64/image.raw",
    ]
    assert entries[0].sha256 == hashlib.sha256(data).hexdigest()
    cleaned = F.clean_cache(keep=lambda e: e.key.startswith("fcos/stable/41.2"))
    assert cleaned.bytes >= len(data)
    old = cache / "fcos/stable/41.1/x86_64/image.raw"
    assert cleaned.files == sorted([old, old.with_name("image.raw.meta.json"), old.with_name("image.raw.sig")])
    assert [e.key for e in F.list_cache()] == ["fcos/stable/41.2/x86_64/image.raw"]
    F.clean_cache()
    assert F.list_cache() == [] and leftovers(cache) == []


def test_cache_tampered_entry_is_refetched_with_reverify(
    server, site, tmp_path, out, ring
):
    _, data = site
    cache = tmp_path / "cache"
    key = "x/image.raw"
    F.fetch(
        server.url("image.raw"),
        out / "a",
        keyring=ring,
        cache_key=key,
        cache_dir=cache,
        **FAST,
    )
    entry = cache / key
    st = entry.stat()
    raw = bytearray(entry.read_bytes())
    raw[0] ^= 0xFF
    entry.write_bytes(bytes(raw))
    os.utime(
        entry, ns=(st.st_atime_ns, st.st_mtime_ns)
    )  # same size and mtime: cheap check passes
    n = len(server.requests)
    r = F.fetch(
        server.url("image.raw"),
        out / "b",
        keyring=ring,
        cache_key=key,
        cache_dir=cache,
        reverify=True,
        **FAST,
    )
    assert not r.from_cache and len(server.requests) > n
    assert (out / "b").read_bytes() == data and entry.read_bytes() == data


def test_cache_failure_leaves_no_entry(server, tmp_path, out, ring):
    cache = tmp_path / "cache"
    with pytest.raises(F.DigestMismatchError):
        F.fetch(
            server.url("image.raw"),
            out / "a",
            keyring=ring,
            cache_key="k/image.raw",
            cache_dir=cache,
            sha256="11" * 32,
            **FAST,
        )
    assert leftovers(cache) == [] and leftovers(out) == [], "not even the directories made for it"


@pytest.mark.parametrize("key", ["../evil", "a//b", "a/./b", "", "x.meta.json"])
def test_bad_cache_keys(key, tmp_path):
    with pytest.raises(F.CacheError):
        F.cache_path(key, tmp_path)


# --------------------------------------------------------------------------- decompression


@pytest.fixture
def verify_server():
    with TestServer(VERIFY) as srv:
        yield srv


@pytest.mark.parametrize("ext", ["xz", "gz", "zst"])
def test_decompress_fixtures(verify_server, tmp_path, out, ring, ext):
    cache = tmp_path / "cache"
    res = F.fetch(
        verify_server.url(f"1M.{ext}"),
        out / "1M",
        keyring=ring,
        decompress=True,
        cache_key=f"t/1M.{ext}",
        cache_dir=cache,
        **FAST,
    )
    plain = (out / "1M").read_bytes()
    assert len(plain) == 1024 * 1024
    assert res.signature is not None and res.signature.signing_key == TEST_SUBKEY
    # the cache keeps the verified compressed file
    assert (cache / f"t/1M.{ext}").read_bytes() == (VERIFY / f"1M.{ext}").read_bytes()
    # the uncompressed fixture has its own signature (1M.sig) over the same 1 MiB
    verify_detached_file(out / "1M", (VERIFY / "1M.sig").read_bytes(), ring)
    assert leftovers(out) == [str(out / "1M")]


def test_decompress_without_cache(verify_server, out, ring):
    F.fetch(
        verify_server.url("1M.gz"), out / "1M", keyring=ring, decompress=True, **FAST
    )
    assert (out / "1M").read_bytes() == gzip.decompress((VERIFY / "1M.gz").read_bytes())
    assert leftovers(out) == [str(out / "1M")]


def test_corrupt_compressed_data(tmp_path, signer, ring, out):
    root = tmp_path / "srv2"
    root.mkdir()
    bad = b"\xfd7zXZ\x00" + os.urandom(1000)
    (root / "bad.xz").write_bytes(bad)
    (root / "bad.xz.sig").write_bytes(sign(signer, bad))
    with TestServer(root) as srv:
        with pytest.raises(F.DecompressionError, match="cannot decompress xz"):
            F.fetch(
                srv.url("bad.xz"), out / "bad", keyring=ring, decompress=True, **FAST
            )
    assert leftovers(out) == []


# --------------------------------------------------------------------------- OpenPGP unit tests


def test_fixture_signatures(ring):
    info = verify_detached_file(
        VERIFY / "1M.xz", (VERIFY / "1M.xz.sig").read_bytes(), ring
    )
    assert (
        info.signing_key == TEST_SUBKEY
    )  # made by the signing subkey, not the primary
    with pytest.raises(BadSignatureError):
        verify_detached_file(
            VERIFY / "1M.gz", (VERIFY / "1M.xz.sig").read_bytes(), ring
        )
    # test-key.priv.asc.random.sig is by a key that is not the test key
    with pytest.raises(UnknownKeyError):
        verify_detached_file(
            TEST_PRIV, (VERIFY / "test-key.priv.asc.random.sig").read_bytes(), ring
        )
    verify_detached_file(
        TEST_PRIV, (VERIFY / "test-key.priv.asc.sig").read_bytes(), ring
    )


def test_malformed_signatures(tmp_path, ring):
    f = tmp_path / "f"
    f.write_bytes(b"data")
    for junk in (
        b"",
        b"not a signature",
        b"-----BEGIN PGP SIGNATURE-----\n\nxx\n-----END PGP SIGNATURE-----\n",
    ):
        with pytest.raises(MalformedSignatureError):
            verify_detached_file(f, junk, ring)
    with pytest.raises(MalformedSignatureError):
        load_signature(b"\x89")


def test_generated_key_with_signing_subkey(tmp_path):
    """Flatcar-style: a primary certification key and a separate signing subkey."""
    tsk = pysequoia.Tsk.generate("Flatcar-ish <f@example.invalid>")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pub = tsk.extract_certificate()
    keyring = Keyring([pub])
    f = tmp_path / "f"
    f.write_bytes(os.urandom(100_000))
    sig = sign(tsk.signer(), f.read_bytes())
    info = verify_detached_file(f, sig, keyring)
    assert info.certificate == pub.fingerprint.lower()
    assert info.signing_key != info.certificate  # signed by the subkey
    assert load_signature(sig).issuer_fingerprint.lower() == info.signing_key


def test_bundled_keyring():
    ring = Keyring.bundled()
    assert FLATCAR_PRIMARY in ring.fingerprints
    assert len(ring.fingerprints) == 5  # four Fedora keys + Flatcar
    tags = [p.tag for c in ring.certs for p in PacketPile.from_bytes(bytes(c))]
    assert (
        Tag.SecretKey not in tags
        and Tag.SecretSubkey not in tags
        and Tag.PublicSubkey in tags
    )
    # Flatcar's signing subkeys (rotated yearly) are all recognised
    flatcar = [c for c in ring.certs if c.fingerprint.lower() == FLATCAR_PRIMARY][0]
    subkeys = [
        p.fingerprint
        for p in PacketPile.from_bytes(bytes(flatcar))
        if p.tag == Tag.PublicSubkey
    ]
    assert len(subkeys) >= 5
    assert all(ring.has_key(s) for s in subkeys)
    assert not ring.has_key("0" * 40)


def test_keyring_errors(tmp_path):
    with pytest.raises(KeyringError, match="cannot read keyring"):
        Keyring.from_files([tmp_path / "missing.asc"])
    (tmp_path / "junk.asc").write_bytes(b"junk")
    with pytest.raises(KeyringError):
        Keyring.from_files([tmp_path / "junk.asc"])


# --------------------------------------------------------------------------- large-file path (FIFO feeder)


@pytest.fixture
def force_pipe(monkeypatch):
    import butane_py.fetch._openpgp as O

    monkeypatch.setattr(O, "MMAP_LIMIT", 0)


def test_pipe_path_verifies_and_detects_tampering(force_pipe, tmp_path, signer, ring):
    f = tmp_path / "big"
    data = os.urandom(2_000_000)
    f.write_bytes(data)
    sig = sign(signer, data)
    assert verify_detached_file(f, sig, ring).certificate == ring.fingerprints[0]
    bad = bytearray(data)
    bad[-1] ^= 1
    f.write_bytes(bytes(bad))
    with pytest.raises(BadSignatureError):
        verify_detached_file(f, sig, ring)


def test_pipe_path_in_fetch_dropped_connection(force_pipe, server, site, out, ring):
    _, data = site
    server.drop_half["/image.raw"] = 1
    res = F.fetch(server.url("image.raw"), out / "image.raw", keyring=ring, **FAST)
    assert res.signature is not None and (out / "image.raw").read_bytes() == data


def test_verify_file_single_pass(tmp_path, signer, ring):
    f = tmp_path / "img"
    data = os.urandom(500_000)
    f.write_bytes(data)
    sig = sign(signer, data)
    info = F.verify_file(
        f,
        sha256=hashlib.sha256(data).hexdigest(),
        sha512=hashlib.sha512(data).hexdigest(),
        signature=sig,
        keyring=ring,
    )
    assert info is not None
    with pytest.raises(F.DigestMismatchError, match="SHA-256"):
        F.verify_file(f, sha256="0" * 64, signature=sig, keyring=ring)
    with pytest.raises(F.MissingSignatureError):
        F.verify_file(f, sha256=hashlib.sha256(data).hexdigest(), keyring=ring)
    assert (
        F.verify_file(
            f, sha256=hashlib.sha256(data).hexdigest(), keyring=ring, insecure=True
        )
        is None
    )
    with pytest.raises(F.DigestMismatchError):
        F.verify_file(f, sha256="1" * 64, keyring=ring, insecure=True)


# --------------------------------------------------------------------------- cache hygiene


def _entry(cache: Path, key: str, data: bytes) -> Path:
    """A cache entry as fetch() writes it (data, signature, metadata)."""
    import json

    entry = cache / key
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(data)
    entry.with_name(entry.name + ".sig").write_bytes(b"sig")
    st = entry.stat()
    meta = {"url": "http://x/" + entry.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "sha256": hashlib.sha256(data).hexdigest(), "sha512": None, "signed_by": None, "fetched_at": 1.0}
    entry.with_name(entry.name + ".meta.json").write_text(json.dumps(meta))
    return entry


def test_clean_cache_removes_only_its_own_files(tmp_path):
    import fcntl
    import json

    cache = tmp_path / "cache"
    entry = _entry(cache, "fcos/stable/1/x86_64/a.iso", b"A" * 1000)
    mine = [cache / "notes.txt", cache / "fcos" / "my.iso", cache / "fcos" / "x.sig", cache / "other.meta.json"]
    for p in mine:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps({"mine": True}))
    # another process's download in progress: locked
    busy = cache / "fcos" / ".butane-py-busy.part"
    busy.write_bytes(b"x" * 10)
    old = time.time() - 3600
    os.utime(busy, (old, old))
    fd = os.open(busy, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    # a dead process's leftover: unlocked and old; and a fresh one (may be just starting)
    stale = cache / "fcos" / ".butane-py-dead.part"
    stale.write_bytes(b"y" * 20)
    os.utime(stale, (old, old))
    fresh = cache / ".butane-py-new.part"
    fresh.write_bytes(b"z")
    try:
        cleaned = F.clean_cache(cache)
    finally:
        os.close(fd)
    assert sorted(cleaned.files) == sorted([entry, entry.with_name("a.iso.sig"), entry.with_name("a.iso.meta.json"),
                                           stale])
    assert cleaned.bytes > 1000 + 3 + 20
    for p in (*mine, busy, fresh):
        assert p.exists(), p
    assert not (cache / "fcos" / "stable").exists(), "directories it emptied go too"


def test_cache_clean_command_lists_what_it_removed(tmp_path):
    import subprocess
    import sys

    from .conftest import ROOT

    cache = tmp_path / "cache"
    _entry(cache, "fcos/stable/1/x86_64/a.iso", b"A" * 1000)
    (cache / "keep.txt").write_text("mine")
    env = dict(os.environ, PYTHONPATH=str(ROOT), BUTANE_PY_CACHE=str(cache))
    p = subprocess.run([sys.executable, "-m", "butane_py", "cache", "clean"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "removed fcos/stable/1/x86_64/a.iso\n" in p.stdout
    assert "removed 3 files" in p.stdout
    assert (cache / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("meta", ['{"size": 3}', "[[[[", "[" * 100000, "no sha256", "sha256 not a string"])
def test_broken_cache_metadata_is_a_miss(server, site, tmp_path, out, ring, meta):
    """Metadata that is unreadable or lacks a field is a miss, never a KeyError."""
    import json

    _, data = site
    cache = tmp_path / "cache"
    key = "k/image.raw"
    (cache / "k").mkdir(parents=True)
    (cache / key).write_bytes(b"old")
    st = (cache / key).stat()
    complete = {"url": "u", "size": st.st_size, "mtime_ns": st.st_mtime_ns, "signed_by": None}
    if meta == "no sha256":
        meta = json.dumps(complete)
    elif meta == "sha256 not a string":
        meta = json.dumps({**complete, "sha256": 5})
    (cache / "k" / "image.raw.meta.json").write_text(meta)
    (cache / "k" / "image.raw.sig").write_bytes(b"x")
    assert F.list_cache(cache) == []
    r = F.fetch(server.url("image.raw"), out / "a", keyring=ring, cache_key=key, cache_dir=cache, **FAST)
    assert not r.from_cache and (out / "a").read_bytes() == data


def test_infinite_retries(server, site, out, ring, monkeypatch):
    _, data = site
    server.fail_500["/image.raw"] = 12
    monkeypatch.setattr(time, "sleep", lambda s: None)
    res = F.fetch(server.url("image.raw"), out / "image.raw", keyring=ring, fetch_retries=None, **FAST)
    assert res.path.read_bytes() == data
    assert F.parse_retries("infinite") is None and F.parse_retries("7") == 7


def test_zstd_frames_and_skippable_frames(tmp_path):
    import zstandard

    c = zstandard.ZstdCompressor()
    skippable = (0x184D2A53).to_bytes(4, "little") + (5).to_bytes(4, "little") + b"hello"
    data = c.compress(b"a" * 1000) + skippable + c.compress(b"b" * 1000)
    (tmp_path / "x.zst").write_bytes(data)
    assert F.decompress_file(tmp_path / "x.zst", tmp_path / "x") == "zstd"
    assert (tmp_path / "x").read_bytes() == b"a" * 1000 + b"b" * 1000
    (tmp_path / "y.zst").write_bytes(data[:-3])
    with pytest.raises(F.DecompressionError, match="ends inside a frame"):
        F.decompress_file(tmp_path / "y.zst", tmp_path / "y")
    assert not (tmp_path / "y").exists()


def test_bzip2_by_magic_several_streams_and_sparse(tmp_path):
    """pbzip2 writes one stream per block; a name without .bz2 is still found by its magic."""
    import bz2

    data = b"a" * 5000 + bytes(3 << 20) + b"b" * 5000
    (tmp_path / "disk").write_bytes(bz2.compress(data[:4096]) + bz2.compress(data[4096:]))
    assert F.decompress_file(tmp_path / "disk", tmp_path / "plain") == "bzip2"
    assert (tmp_path / "plain").read_bytes() == data
    from butane_py.fetch._decompress import decompress_into

    fd = os.open(tmp_path / "sparse", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        assert decompress_into(tmp_path / "disk", fd, sparse=True) == "bzip2"
        os.fsync(fd)
        assert os.fstat(fd).st_blocks * 512 <= 4 * 4096, "only the four blocks holding data are written"
    finally:
        os.close(fd)
    assert (tmp_path / "sparse").read_bytes() == data
    (tmp_path / "cut").write_bytes((tmp_path / "disk").read_bytes()[:-20])
    with pytest.raises(F.DecompressionError, match="cut: cannot decompress bzip2"):
        F.decompress_file(tmp_path / "cut", tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_unverified_asks_for_nothing_but_the_url(server, site, tmp_path):
    root, data = site
    (root / "image.raw.sig").write_bytes(b"by nobody we know")
    cache = tmp_path / "cache"
    res = F.fetch(server.url("image.raw"), tmp_path / "x", unverified=True, cache_key="u/image.raw",
                  cache_dir=cache, **FAST)
    assert res.signature is None and res.path.read_bytes() == data
    assert server.paths_requested() == ["/image.raw"]
    again = F.fetch(server.url("image.raw"), tmp_path / "y", unverified=True, cache_key="u/image.raw",
                    cache_dir=cache, **FAST)
    assert again.from_cache and server.paths_requested() == ["/image.raw"]
    with pytest.raises(F.DigestMismatchError):
        F.fetch(server.url("image.raw"), tmp_path / "z", unverified=True, sha256="0" * 64, **FAST)
