"""``butane-py mirror simplestreams``: the mirror it writes is read by Canonical's own client
(python-simplestreams' ``sstream-query`` finds and filters the products, verifies the signed
ones, and ``sstream-mirror`` checks every file's checksums), and by butane-py's own reader and
``download`` over a loopback HTTP server; merges, replacements and a write killed between the
products and the index."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from butane_py import fetch, images
from butane_py.errors import MetadataError
from butane_py.mirror import ImageFile, MirrorError, SigningKey, merge_simplestreams, write_simplestreams

from ._httpserver import TestServer
from .conftest import ROOT, THIRD_PARTY

VERIFY = THIRD_PARTY / "coreos-installer" / "verify"
AMD64 = "com.example:server:1.0:amd64"
ARM64 = "com.example:server:1.0:arm64"
EPOCH = "1767225600"  # 2026-01-01


def _tool(name: str) -> str | None:
    """A python-simplestreams command: beside this Python (pip install) or on PATH (apt)."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def need_sstream() -> None:
    """Skip the calling test without python-simplestreams; every such skip is raised here, so
    pytest's summary folds them into one line."""
    if _tool("sstream-query") is None or _tool("sstream-mirror") is None:
        pytest.skip("sstream-query not found (pip install python-simplestreams): Canonical's client cross-checks "
                    "skipped")


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "BUTANE_PY_SIGNING_PASSPHRASE"}
    full.update(PYTHONPATH=str(ROOT), SOURCE_DATE_EPOCH=EPOCH, **(env or {}))
    return subprocess.run([sys.executable, "-m", "butane_py", *args], capture_output=True, text=True, env=full,
                          timeout=120)


def sstream(tool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([_tool(tool), *args], capture_output=True, text=True, timeout=120)


def query(url: str, *filters: str, keyring: Path | None = None) -> list[dict]:
    verify = ["--keyring", str(keyring)] if keyring else ["--no-verify"]
    p = sstream("sstream-query", *verify, "--json", url, *filters)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    out = {}
    for name in ("one-amd64.img", "one-arm64.img", "one-amd64.iso"):
        out[name] = tmp_path / "in" / name
        out[name].parent.mkdir(exist_ok=True)
        out[name].write_bytes(os.urandom(100_000))
    return out


@pytest.fixture
def keyring(tmp_path) -> Path:
    """The test key's public certificate as a binary keyring, as gpgv reads one."""
    path = tmp_path / "keyring.gpg"
    path.write_bytes(SigningKey.from_file(VERIFY / "test-key.priv.asc").certificate)
    return path


def publish(dest: Path, files: dict[str, Path], *extra: str) -> subprocess.CompletedProcess:
    p = cli("mirror", "simplestreams", str(dest),
            "--add", str(files["one-amd64.img"]), "--add", str(files["one-arm64.img"]),
            "--add", str(files["one-amd64.iso"]),
            "--product", AMD64, "--product", ARM64, "--product", AMD64,
            "--version", "20260101", "--arch", "amd64", "--arch", "arm64", "--arch", "amd64",
            "--release", "one", "--os", "example", "--ftype", "disk1.img", "--ftype", "disk1.img", "--ftype", "iso",
            *extra)
    assert p.returncode == 0, p.stderr
    return p


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sstream_query_finds_and_filters(tmp_path, files) -> None:
    need_sstream()
    dest = tmp_path / "mirror"
    p = publish(dest, files)
    assert p.stderr.splitlines() == [f"added {AMD64} 20260101", f"added {ARM64} 20260101",
                                     f"index: {dest}/streams/v1/index.json"]
    written = p.stdout.splitlines()
    assert written[-2:] == [f"{dest}/streams/v1/butane-py:images.json", f"{dest}/streams/v1/index.json"]
    assert all(Path(w).is_file() for w in written) and len(written) == 5, "three files, products, index"

    items = query(f"file://{dest}/streams/v1/index.json")
    assert sorted((i["product_name"], i["item_name"]) for i in items) == [
        (AMD64, "disk1.img"), (AMD64, "iso"), (ARM64, "disk1.img")]
    for item in items:
        assert (item["datatype"], item["os"], item["release"], item["version_name"]) == (
            "image-downloads", "example", "one", "20260101")
        local = Path(item["item_url"].removeprefix("file://"))
        assert item["sha256"] == sha256(local) and int(item["size"]) == local.stat().st_size
        assert item["md5"] == hashlib.md5(local.read_bytes()).hexdigest()
    by_name = {(i["product_name"], i["ftype"]): i for i in items}
    assert sha256(files["one-arm64.img"]) == by_name[(ARM64, "disk1.img")]["sha256"]

    [arm] = query(f"file://{dest}/streams/v1/index.json", "arch=arm64")
    assert arm["product_name"] == ARM64
    assert [i["ftype"] for i in query(f"file://{dest}/streams/v1/index.json", "ftype=iso")] == ["iso"]


def test_signed_mirror_verifies_with_sstream(tmp_path, files, keyring) -> None:
    need_sstream()
    dest = tmp_path / "mirror"
    p = publish(dest, files, "--sign", str(VERIFY / "test-key.priv.asc"))
    assert p.stderr.endswith(", signed by 1A304569BFADFB3E3F96F0C3AA2A69A46EC352FC\n")
    v1 = dest / "streams" / "v1"
    assert json.loads(images.clearsigned_text((v1 / "index.sjson").read_bytes()))["index"]["butane-py:images"][
        "path"] == "streams/v1/butane-py:images.sjson", "the signed index names the signed products"

    items = query(f"file://{v1}/index.sjson", "arch=amd64", keyring=keyring)
    assert sorted(i["ftype"] for i in items) == ["disk1.img", "iso"]
    # sstream-mirror copies the mirror, checking the signatures and every file's size and checksums.
    copy = sstream("sstream-mirror", "--keyring", str(keyring), f"file://{v1}/index.sjson", str(tmp_path / "copy"))
    assert copy.returncode == 0, copy.stderr
    for item in items:
        assert (tmp_path / "copy" / item["path"]).read_bytes() == (dest / item["path"]).read_bytes()

    # Another key, or a signed document changed after signing, does not verify.
    other = tmp_path / "other.gpg"
    other.write_bytes(_other_cert())
    assert sstream("sstream-query", "--keyring", str(other), f"file://{v1}/index.sjson").returncode != 0
    text = (v1 / "butane-py:images.sjson").read_bytes()
    (v1 / "butane-py:images.sjson").write_bytes(text.replace(b'"amd64"', b'"arm64"', 1))
    assert sstream("sstream-query", "--keyring", str(keyring), f"file://{v1}/index.sjson").returncode != 0


def _other_cert() -> bytes:
    import pysequoia

    return bytes(pysequoia.Tsk.generate("Other <other@example.com>").extract_certificate())


def test_own_reader_and_download_over_http(tmp_path, files) -> None:
    dest = tmp_path / "mirror"
    publish(dest, files, "--sign", str(VERIFY / "test-key.priv.asc"))
    ring = fetch.Keyring.from_files([VERIFY / "test-key.pub.asc"])
    with TestServer(dest) as srv:
        art, verified = images.fetch_product(AMD64, "iso", mirror=srv.base_url, signed=True,
                                             verify=lambda data: fetch.verify_cleartext(data, ring),
                                             get_bytes=fetch.metadata_fetcher(0))
        assert verified and art.signed_digest and art.sha256 == sha256(files["one-amd64.iso"])
        latest, _ = images.fetch_latest("one", "aarch64", "disk1.img", mirror=srv.base_url,
                                        get_bytes=fetch.metadata_fetcher(0))
        assert latest.sha256 == sha256(files["one-arm64.img"])
        for product, ftype, source in ((AMD64, "disk1.img", "one-amd64.img"), (AMD64, "iso", "one-amd64.iso"),
                                       (ARM64, "disk1.img", "one-arm64.img")):
            out = tmp_path / "out" / product.replace(":", "_") / ftype
            p = cli("download", "--simplestreams", srv.base_url, "--product", product, "--ftype", ftype,
                    "--keyring", str(VERIFY / "test-key.pub.asc"), "-C", str(out), "-q",
                    env={"BUTANE_PY_CACHE": str(tmp_path / "cache")})
            assert p.returncode == 0, p.stderr
            assert Path(p.stdout.strip()).read_bytes() == files[source].read_bytes()
        assert "/streams/v1/index.sjson" in srv.paths_requested()


def _products(dest: Path) -> dict:
    return json.loads((dest / "streams" / "v1" / "butane-py:images.json").read_text())


def test_merge_keeps_other_products_and_replaces_a_version(tmp_path, files) -> None:
    dest = tmp_path / "mirror"
    write_simplestreams(dest, [ImageFile(str(files["one-amd64.img"]), AMD64, "20260101", "disk1.img")])
    write_simplestreams(dest, [ImageFile(str(files["one-arm64.img"]), ARM64, "20260101", "disk1.img")])
    write_simplestreams(dest, [ImageFile(str(files["one-amd64.img"]), AMD64, "20260102", "disk1.img")])
    assert {p: sorted(v["versions"]) for p, v in _products(dest)["products"].items()} == {
        AMD64: ["20260101", "20260102"], ARM64: ["20260101"]}
    index = json.loads((dest / "streams" / "v1" / "index.json").read_text())
    assert index["index"]["butane-py:images"]["products"] == [AMD64, ARM64]

    # The same version again: replaced whole (its old item is gone), the others kept.
    old = _products(dest)["products"][AMD64]["versions"]["20260101"]["items"]["disk1.img"]
    result = write_simplestreams(dest, [ImageFile(str(files["one-amd64.iso"]), AMD64, "20260101", "iso")])
    assert result.replaced == ((AMD64, "20260101"),) and result.added == ()
    versions = _products(dest)["products"][AMD64]["versions"]
    assert list(versions["20260101"]["items"]) == ["iso"]
    assert list(versions["20260102"]["items"]) == ["disk1.img"]
    assert (dest / old["path"]).is_file(), "readers of the previous metadata still find its files"


def test_rewrites_are_deterministic(tmp_path, files) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    publish(a, files)
    publish(b, files)
    publish(b, files)  # the same inputs again: the same bytes
    for name in ("index.json", "butane-py:images.json"):
        assert (a / "streams" / "v1" / name).read_bytes() == (b / "streams" / "v1" / name).read_bytes()
    text = (a / "streams" / "v1" / "butane-py:images.json").read_text()
    assert json.dumps(json.loads(text), indent=1, sort_keys=True, ensure_ascii=False) + "\n" == text
    assert "Thu, 01 Jan 2026 00:00:00 +0000" in text, "SOURCE_DATE_EPOCH sets 'updated'"


def test_other_content_in_the_index_is_kept(tmp_path, files) -> None:
    dest = tmp_path / "mirror"
    v1 = dest / "streams" / "v1"
    v1.mkdir(parents=True)
    ids = {"format": "index:1.0", "index": {"com.example:ids": {
        "datatype": "image-ids", "format": "products:1.0", "path": "streams/v1/ids.json", "products": ["x"]}}}
    (v1 / "index.json").write_text(json.dumps(ids))
    write_simplestreams(dest, [ImageFile(str(files["one-amd64.img"]), AMD64, "20260101")])
    index = json.loads((v1 / "index.json").read_text())["index"]
    assert index["com.example:ids"] == ids["index"]["com.example:ids"]
    assert index["butane-py:images"]["products"] == [AMD64]


_KILLED_WRITER = r"""
import sys
from butane_py.mirror import ImageFile, write_simplestreams

def pause(path):
    if path.endswith("butane-py:images.json"):
        print("products written", flush=True)
        sys.stdin.readline()  # blocks: the parent kills this process here

write_simplestreams(sys.argv[1], [ImageFile(sys.argv[2], sys.argv[3], "20260102", "disk1.img")], on_written=pause)
"""


def test_write_killed_between_products_and_index_leaves_the_old_index_valid(tmp_path, files) -> None:
    dest = tmp_path / "mirror"
    write_simplestreams(dest, [ImageFile(str(files["one-amd64.img"]), AMD64, "20260101", "disk1.img")])
    index = (dest / "streams" / "v1" / "index.json").read_bytes()
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(dest), str(files["one-arm64.img"]), ARM64],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert child.stdout.readline() == "products written\n"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert (dest / "streams" / "v1" / "index.json").read_bytes() == index, "the index was not touched"
    assert ARM64 in _products(dest)["products"], "the new products document is in place"
    # Every item the old index leads to is there, with its digest: the old index is still valid.
    with TestServer(dest) as srv:
        art, _ = images.fetch_product(AMD64, "disk1.img", mirror=srv.base_url, get_bytes=fetch.metadata_fetcher(0))
        got = fetch.fetch(art.url, tmp_path / "got.img", sha256=art.sha256, insecure=True)
        assert Path(got.path).read_bytes() == files["one-amd64.img"].read_bytes()
    assert not [p for p in dest.rglob("*") if p.name.startswith(".butane-py-")], "no temporary file is left"
    # The next write completes the mirror.
    write_simplestreams(dest, [ImageFile(str(files["one-arm64.img"]), ARM64, "20260102", "disk1.img")])
    assert json.loads((dest / "streams" / "v1" / "index.json").read_text())["index"]["butane-py:images"][
        "products"] == [AMD64, ARM64]


def test_merge_simplestreams_keeps_inherited_attributes() -> None:
    existing = {"format": "products:1.0", "content_id": "c", "os": "example", "_aliases": {"x": {}},
                "products": {"p": {"arch": "amd64", "versions": {"1": {"items": {"a": {"path": "a"}}}}}}}
    new = {"format": "products:1.0", "content_id": "c", "updated": "now",
           "products": {"p": {"release": "two", "versions": {"2": {"items": {"b": {"path": "b"}}}}}}}
    merged = merge_simplestreams(existing, new)
    assert merged["os"] == "example" and merged["_aliases"] == {"x": {}} and merged["updated"] == "now"
    assert merged["products"]["p"] == {"arch": "amd64", "release": "two", "versions": {
        "1": {"items": {"a": {"path": "a"}}}, "2": {"items": {"b": {"path": "b"}}}}}
    assert "2" not in existing["products"]["p"]["versions"], "the arguments are not changed"
    with pytest.raises(MetadataError, match="cannot merge content"):
        merge_simplestreams(existing, dict(new, content_id="d"))


def test_refusals(tmp_path, files) -> None:
    dest = tmp_path / "mirror"
    publish(dest, files, "--sign", str(VERIFY / "test-key.priv.asc"))
    before = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    sign = ["--sign", str(VERIFY / "test-key.priv.asc")]
    cases = [
        (["--add", str(files["one-amd64.img"]), "--product", AMD64, "--version", "2"],
         f"Error: {dest} has a signed index (streams/v1/index.sjson): sign this write too, or remove the .sjson "
         "files to publish unsigned"),
        (["--add", str(files["one-amd64.img"]), "--product", "a/b", "--version", "2", *sign],
         "Error: product ID 'a/b': use letters, digits and . _ : + ~ - (starting with a letter or digit)"),
        (["--add", str(tmp_path / "missing.img"), "--product", AMD64, "--version", "2", *sign],
         f"Error: cannot read {tmp_path}/missing.img: no such file or directory"),
        (["--add", str(files["one-amd64.img"]), "--version", "2", *sign], "Error: --add needs --product"),
        (["--add", "a", "--add", "b", "--add", "c", "--product", "p", "--product", "q", "--version", "1"],
         "Error: --product is given 2 times for 3 --add: give it once (for every file) or once per --add"),
        (["--add", str(files["one-amd64.img"]), "--product", AMD64, "--version", "2", "--sign",
          str(VERIFY / "test-key.pub.asc")],
         f"Error: signing key {VERIFY}/test-key.pub.asc holds no secret key (it is a public key "
         "1A304569BFADFB3E3F96F0C3AA2A69A46EC352FC)"),
    ]
    for args, message in cases:
        p = cli("mirror", "simplestreams", str(dest), *args)
        assert p.returncode in (1, 2), args
        assert p.stderr == message + "\n", p.stderr
        assert "Traceback" not in p.stderr
    assert {p: p.read_bytes() for p in dest.rglob("*") if p.is_file()} == before, "a refused write writes nothing"
    with pytest.raises(MirrorError, match="nothing to publish"):
        write_simplestreams(dest, [])


@pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg not found: passphrase-protected key not made")
def test_passphrase_protected_key(tmp_path, files, monkeypatch) -> None:
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", "s3cret"]
    key = tmp_path / "key.asc"
    try:
        subprocess.run([*gpg, "--quick-gen-key", "Mirror <mirror@example.com>", "ed25519", "sign", "1y"],
                       check=True, capture_output=True, timeout=60)
        key.write_bytes(subprocess.run([*gpg, "--armor", "--export-secret-keys"], check=True, capture_output=True,
                                       timeout=60).stdout)
    finally:  # the gpg-agent that gpg started for this home
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, timeout=30)
    args = ["mirror", "simplestreams", str(tmp_path / "m"), "--add", str(files["one-amd64.img"]), "--product", AMD64,
            "--version", "1", "--sign", str(key)]
    p = cli(*args)
    assert p.returncode == 1
    assert p.stderr == (f"Error: signing key {key} is protected by a passphrase, and none was given: "
                        "set BUTANE_PY_SIGNING_PASSPHRASE\n")
    p = cli(*args, env={"BUTANE_PY_SIGNING_PASSPHRASE": "wrong"})
    assert p.stderr == f"Error: signing key {key}: the passphrase does not unlock it\n"
    assert "s3cret" not in p.stderr + p.stdout and "PRIVATE" not in p.stderr
    p = cli(*args, env={"BUTANE_PY_SIGNING_PASSPHRASE": "s3cret"})
    assert p.returncode == 0, p.stderr
    signing = SigningKey.from_file(key, "s3cret")
    assert "PRIVATE" not in repr(signing) and signing.fingerprint.upper() in repr(signing)
    ring = fetch.Keyring.from_bytes(signing.certificate)
    fetch.verify_cleartext((tmp_path / "m" / "streams" / "v1" / "index.sjson").read_bytes(), ring)


def test_from_a_verified_upstream_mirror(tmp_path, files) -> None:
    """--from: the latest version of the chosen products of another mirror, fetched and verified
    (its signed metadata's SHA-256 is each file's proof), then published with their attributes."""
    upstream = tmp_path / "upstream"
    publish(upstream, files, "--sign", str(VERIFY / "test-key.priv.asc"))
    old = tmp_path / "old.img"
    old.write_bytes(b"an older version")
    write_simplestreams(upstream, [ImageFile(str(old), AMD64, "20251201", "disk1.img")],
                        signing_key=SigningKey.from_file(VERIFY / "test-key.priv.asc"))
    dest = tmp_path / "mirror"
    cache = {"BUTANE_PY_CACHE": str(tmp_path / "cache")}
    with TestServer(upstream) as srv:
        base = ["mirror", "simplestreams", str(dest), "--from", srv.base_url, "-q"]
        p = cli(*base, "--product", AMD64, env=cache)
        assert p.returncode == 2 and "--from needs --keyring" in p.stderr
        p = cli(*base, "--arch", "x86_64", "--ftype", "disk1.img", "--keyring", str(VERIFY / "test-key.pub.asc"),
                env=cache)
        assert p.returncode == 0, p.stderr
        assert p.stderr.splitlines() == [f"added {AMD64} 20260101", f"index: {dest}/streams/v1/index.json"]
        requested = srv.paths_requested()
        assert "/streams/v1/index.sjson" in requested and not any(r.endswith(".sig") for r in requested)
        # A file that does not match its signed digest is refused, and nothing is published.
        [iso] = [p for p in upstream.rglob("*.iso")]
        iso.write_bytes(b"not the image")
        before = (dest / "streams" / "v1" / "butane-py:images.json").read_bytes()
        p = cli(*base, "--product", AMD64, "--keyring", str(VERIFY / "test-key.pub.asc"), env=cache)
        assert p.returncode == 1 and p.stderr.startswith("Error: one-amd64.iso: SHA-256 mismatch: "), p.stderr
        assert (dest / "streams" / "v1" / "butane-py:images.json").read_bytes() == before
        assert not [p for p in dest.iterdir() if p.name.startswith(".butane-py-")], "the downloads are removed"
    [item] = _products(dest)["products"][AMD64]["versions"]["20260101"]["items"].values()
    assert item["sha256"] == sha256(files["one-amd64.img"]) and item["ftype"] == "disk1.img"
    assert {k: v for k, v in _products(dest)["products"][AMD64].items() if k != "versions"} == {
        "arch": "amd64", "os": "example", "release": "one"}
    assert list(_products(dest)["products"]) == [AMD64], "only the chosen architecture"
