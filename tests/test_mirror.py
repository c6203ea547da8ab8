"""``butane-py mirror``: a loopback "upstream" (the real-shaped stream fixture, files signed now
with coreos-installer's test key) mirrored into a directory, which a second loopback server
serves to butane-py's own readers, to a shell reproduction of Flatcar's steps, and to gpg."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from butane_py import images, mirror

from ._httpserver import TestServer
from .conftest import ROOT, THIRD_PARTY
from .test_cli_download import VERIFY, sign

STREAM = THIRD_PARTY / "stream-metadata" / "fcos-stream.json"
KEY = str(VERIFY / "test-key.pub.asc")
RELEASES = ("33.20201201.3.0", "33.20201214.3.1", "33.20210104.3.0")


def run(*args: str, cache: Path, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), BUTANE_PY_CACHE=str(cache))
    return subprocess.run([sys.executable, "-m", "butane_py", *args], capture_output=True, text=True, env=env,
                          timeout=300, **kw)


def ok(p: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert p.returncode == 0, p.stderr
    return p


def one_line_error(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr
    assert p.stderr.startswith("Error: ") and p.stderr.count("\n") == 1, p.stderr
    return p.stderr


class Upstream:
    """The fixture stream, served from 127.0.0.1 at the same paths as on its real host, with
    every x86_64 metal artifact replaced by random bytes signed with the test key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.payloads: dict[str, bytes] = {}  # file name -> bytes
        self.srv = TestServer(root).start()

    def publish(self, release: str, edit=None, iso: bytes | None = None) -> dict:
        doc = json.loads(STREAM.read_text())
        old = doc["architectures"]["x86_64"]["artifacts"]["metal"]["release"]
        metal = doc["architectures"]["x86_64"]["artifacts"]["metal"]
        metal["release"] = release
        for fmt, files in metal["formats"].items():
            for name, artifact in files.items():
                path = artifact["location"].split("://", 1)[1].split("/", 1)[1].replace(old, release)
                data = iso if (iso is not None and fmt == "iso") else os.urandom(20_000 + len(self.payloads))
                (self.root / path).parent.mkdir(parents=True, exist_ok=True)
                (self.root / path).write_bytes(data)
                (self.root / f"{path}.sig").write_bytes(sign(data))
                self.payloads[path.rsplit("/", 1)[1]] = data
                artifact.update(location=self.srv.url(path), signature=self.srv.url(path + ".sig"),
                                sha256=hashlib.sha256(data).hexdigest())
        if edit is not None:
            edit(doc)
        (self.root / "streams").mkdir(exist_ok=True)
        (self.root / "streams" / "stable.json").write_text(json.dumps(doc))
        return doc

    @property
    def streams(self) -> str:
        return self.srv.url("streams/")


@pytest.fixture
def upstream(tmp_path):
    up = Upstream(tmp_path / "upstream")
    yield up
    up.srv.stop()


@pytest.fixture
def served(tmp_path):
    """The mirror's directory, and a server for it (started first: its URL is the base URL)."""
    dest = tmp_path / "mirror"
    dest.mkdir()
    with TestServer(dest) as srv:
        yield dest, srv


@pytest.fixture
def gnupg(tmp_path):
    """An empty GNUPGHOME; the gpg-agent that gpg starts in it is stopped afterwards."""
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    yield home
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, timeout=30)


def mirror_fcos(up: Upstream, dest: Path, base: str, *args: str, cache: Path) -> subprocess.CompletedProcess:
    return run("mirror", "fcos", str(dest), "--base-url", base, "--stream-base-url", up.streams, "-a", "x86_64",
               "--keyring", KEY, "--fetch-retries", "0", "-q", *args, cache=cache)


def download_all(mirror_srv: TestServer, formats, out: Path, cache: Path) -> list[Path]:
    """butane-py download against the mirror, each format into ``out``: every file verified."""
    written = []
    for fmt in formats:
        p = ok(run("download", "--stream-base-url", mirror_srv.url("streams/"), "-a", "x86_64", "-f", fmt,
                   "-C", str(out), "--keyring", KEY, "--fetch-retries", "0", "-q", cache=cache))
        written += [Path(x) for x in p.stdout.split()]
    return written


def test_fcos_mirror_is_read_back_and_verified(upstream, served, gnupg, tmp_path) -> None:
    dest, msrv = served
    upstream.publish(RELEASES[0])
    p = ok(mirror_fcos(upstream, dest, msrv.base_url, cache=tmp_path / "c"))
    assert p.stdout.split() == ["streams/stable.json"]
    doc = json.loads((dest / "streams" / "stable.json").read_text())
    stream = images.load_stream(doc, "stable")
    assert [r.platform for r in stream.table()] == ["metal"] * 4, "only what was mirrored is listed"
    assert doc["metadata"]["last-modified"] == "2020-12-17T14:18:43Z"
    builds = dest / "prod" / "streams" / "stable" / "builds" / RELEASES[0] / "x86_64"
    for fmt in stream.formats("x86_64"):
        for art in stream.artifacts("x86_64", "metal", fmt):
            assert art.url == f"{msrv.base_url}/prod/streams/stable/builds/{RELEASES[0]}/x86_64/{art.filename}"
            assert art.signature_url == art.url + ".sig"
            assert (builds / art.filename).read_bytes() == upstream.payloads[art.filename]
            up_sig = next(upstream.root.rglob(art.filename + ".sig")).read_bytes()
            assert (builds / (art.filename + ".sig")).read_bytes() == up_sig, "signatures are copied, not made"
    out = tmp_path / "out"
    asked_upstream = len(upstream.srv.requests)
    written = download_all(msrv, ["4k.raw.xz", "iso", "pxe", "raw.xz"], out, tmp_path / "c2")
    assert len(written) == 6
    for path in written:
        assert path.read_bytes() == upstream.payloads[path.name]
    assert len(upstream.srv.requests) == asked_upstream, "the reader asked the mirror only"
    coreos_installer_reads(msrv.base_url + "/streams/", tmp_path / "ci", gnupg)
    # A second run downloads nothing that is there and verifies; a tampered file is fetched again.
    name = next(iter(sorted(f.name for f in builds.iterdir() if f.name.endswith("-live-rootfs.x86_64.img"))))
    (builds / name).write_bytes(b"tampered")
    before = len(upstream.srv.requests)
    ok(mirror_fcos(upstream, dest, msrv.base_url, cache=tmp_path / "c"))
    fetched = [p for p in upstream.srv.paths_requested()[before:] if not p.endswith(".sig")]
    assert fetched == ["/streams/stable.json", f"/prod/streams/stable/builds/{RELEASES[0]}/x86_64/{name}"]
    assert (builds / name).read_bytes() == upstream.payloads[name]
    assert not [f for f in dest.rglob(".butane-py-*")], "no temporary file is left"


def coreos_installer_reads(stream_base_url: str, work: Path, gnupg: Path) -> None:
    """coreos-installer's reading of a mirror, step by step as its source does it
    (src/source.rs, src/download.rs): the stream URL is the base URL joined with STREAM.json,
    each location and signature is parsed as an absolute URL (no base), and the signature is
    checked by gpg with the keyring alone (the SHA-256 is not used)."""
    from urllib.parse import urljoin, urlsplit

    import httpx

    work.mkdir()
    env = dict(os.environ, GNUPGHOME=str(gnupg))
    subprocess.run(["gpg", "--batch", "--quiet", "--import", KEY], env=env, check=True, capture_output=True)
    doc = httpx.get(urljoin(stream_base_url, "stable.json")).json()
    for fmt, files in doc["architectures"]["x86_64"]["artifacts"]["metal"]["formats"].items():
        for artifact in files.values():
            for url in (artifact["location"], artifact["signature"]):
                assert urlsplit(url).scheme == "http" and urlsplit(url).netloc, url
            name = urlsplit(artifact["location"]).path.rsplit("/", 1)[1]
            (work / name).write_bytes(httpx.get(artifact["location"]).content)
            (work / f"{name}.sig").write_bytes(httpx.get(artifact["signature"]).content)
            p = subprocess.run(["gpg", "--batch", "--verify", str(work / f"{name}.sig"), str(work / name)], env=env,
                               capture_output=True, text=True)
            assert p.returncode == 0 and "Good signature" in p.stderr, p.stderr


def test_embed_iso_from_the_mirror(iso_cache, upstream, served, tmp_path) -> None:
    from ._isos import pristine

    dest, msrv = served
    upstream.publish(RELEASES[0], iso=pristine("embed-areas-2023-07.x86_64.iso", iso_cache).read_bytes())
    ok(mirror_fcos(upstream, dest, msrv.base_url, "-f", "iso", cache=tmp_path / "c"))
    bu = tmp_path / "config.bu"
    bu.write_text("variant: fcos\nversion: 1.5.0\n")
    out = tmp_path / "node.iso"
    ok(run("embed", "--iso", "stable", "--stream-base-url", msrv.url("streams/"), "-a", "x86_64", "--keyring", KEY,
           "-q", str(bu), "-o", str(out), cache=tmp_path / "c2"))
    from butane_py import embed

    assert json.loads(embed.ignition_show(str(out)))["ignition"]["version"] == "3.4.0"


def test_keep_prunes_old_releases(upstream, served, tmp_path) -> None:
    dest, msrv = served
    builds = dest / "prod" / "streams" / "stable" / "builds"
    for release in RELEASES[:2]:
        upstream.publish(release)
        ok(mirror_fcos(upstream, dest, msrv.base_url, "-f", "pxe", "--keep", "2", cache=tmp_path / "c"))
    assert sorted(os.listdir(builds)) == list(RELEASES[:2])
    upstream.publish(RELEASES[2])
    p = ok(mirror_fcos(upstream, dest, msrv.base_url, "-f", "pxe", "--keep", "2", cache=tmp_path / "c"))
    assert sorted(os.listdir(builds)) == list(RELEASES[1:]), "the oldest release goes, after the stream is written"
    p = ok(mirror_fcos(upstream, dest, msrv.base_url, "-f", "pxe", "--keep", "1", cache=tmp_path / "c"))
    assert os.listdir(builds) == [RELEASES[2]]
    download_all(msrv, ["pxe"], tmp_path / "out", tmp_path / "c2")
    assert "--keep" in run("mirror", "fcos", str(dest), "--base-url", msrv.base_url, "--keep", "0",
                           cache=tmp_path / "c").stderr
    assert p.returncode == 0


def _set(path, value):
    def edit(doc):
        node = doc["architectures"]["x86_64"]["artifacts"]["metal"]
        *parents, last = path
        for key in parents:
            node = node[key]
        if last == "KEY":  # rename the artifact "disk" of raw.xz
            node[value] = node.pop("disk")
        else:
            node[last] = value
    return edit


@pytest.mark.parametrize("edit", [
    _set(("formats", "raw.xz", "KEY"), "../disk"),
    _set(("formats", "raw.xz", "KEY"), "a/b"),
    _set(("formats", "raw.xz", "KEY"), "nul\0name"),
    _set(("formats", "raw.xz", "KEY"), "esc\x1b[2Jname"),
    _set(("formats", "raw.xz", "disk", "location"), "http://127.0.0.1:9/a/.."),
    _set(("formats", "raw.xz", "disk", "location"), "http://127.0.0.1:9/a/%2e%2e"),
    _set(("formats", "raw.xz", "disk", "location"), "http://127.0.0.1:9/a/b%2Fc"),
    _set(("formats", "raw.xz", "disk", "location"), "http://127.0.0.1:9/a/x\0y"),
    _set(("formats", "raw.xz", "disk", "location"), "http://127.0.0.1:9/a/x\ny"),
    _set(("formats", "raw.xz", "disk", "location"), "file:///etc/passwd"),
    _set(("release",), "../../../../etc"),
    _set(("release",), "33\u202e0"),
], ids=["name-dotdot", "name-slash", "name-nul", "name-escape", "location-dotdot", "location-encoded-dotdot",
        "location-encoded-slash", "location-nul", "location-newline", "location-file", "release-dotdot",
        "release-bidi"])
def test_hostile_upstream_names_are_refused(upstream, served, tmp_path, edit) -> None:
    dest, msrv = served
    upstream.publish(RELEASES[0], edit=edit)
    err = one_line_error(mirror_fcos(upstream, dest, msrv.base_url, cache=tmp_path / "c"))
    assert "\x1b" not in err and "\u202e" not in err and "\0" not in err
    assert not list(dest.iterdir()), "refused before anything is downloaded"
    assert {p.name for p in tmp_path.iterdir()} <= {"upstream", "mirror", "c"}, "nothing is written outside DEST"


def test_conflicting_upstream_files_are_refused(upstream, served, tmp_path) -> None:
    dest, msrv = served

    def same_name(doc):
        formats = doc["architectures"]["x86_64"]["artifacts"]["metal"]["formats"]
        formats["iso"]["disk"]["location"] = formats["raw.xz"]["disk"]["location"]

    upstream.publish(RELEASES[0], edit=same_name)
    assert "two different files" in one_line_error(mirror_fcos(upstream, dest, msrv.base_url, cache=tmp_path / "c"))
    assert "base URL" in one_line_error(mirror_fcos(upstream, dest, "ftp://x/", cache=tmp_path / "c"))
    assert "base URL" in one_line_error(mirror_fcos(upstream, dest, "http://x/?q=1", cache=tmp_path / "c"))


def test_sigkill_before_the_stream_document_keeps_the_old_one(upstream, served, tmp_path) -> None:
    """A run killed with SIGKILL while it fetches the last file of a new release (the others
    already renamed into place), before its stream document: the old document is untouched
    and everything it names still verifies; the next run completes."""
    dest, msrv = served
    upstream.publish(RELEASES[0])
    ok(mirror_fcos(upstream, dest, msrv.base_url, "-f", "pxe", cache=tmp_path / "c"))
    old = (dest / "streams" / "stable.json").read_bytes()
    doc = upstream.publish(RELEASES[1])
    last = doc["architectures"]["x86_64"]["artifacts"]["metal"]["formats"]["pxe"]["rootfs"]["signature"]
    last_path = "/" + last.split("://", 1)[1].split("/", 1)[1]
    asked, release = threading.Event(), threading.Event()

    def stall(handler):  # the last file's signature: the run is as far as it gets before publishing
        asked.set()
        release.wait(30)
        handler._send_simple(503, b"")

    upstream.srv.hooks[last_path] = stall
    env = dict(os.environ, PYTHONPATH=str(ROOT), BUTANE_PY_CACHE=str(tmp_path / "c"))
    proc = subprocess.Popen([sys.executable, "-m", "butane_py", "mirror", "fcos", str(dest), "--base-url",
                             msrv.base_url, "--stream-base-url", upstream.streams, "-a", "x86_64", "-f", "pxe",
                             "--keyring", KEY, "--fetch-retries", "0", "-q"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert asked.wait(120)
        new = dest / "prod" / "streams" / "stable" / "builds" / RELEASES[1] / "x86_64"
        assert len([f for f in new.iterdir() if f.name.endswith(".sig")]) == 2, "two of three files are in place"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (dest / "streams" / "stable.json").read_bytes() == old
    for path in download_all(msrv, ["pxe"], tmp_path / "out", tmp_path / "c2"):
        assert RELEASES[0] in json.dumps(json.loads(old)) and path.read_bytes() == upstream.payloads[path.name]
    [partial] = new.glob(".butane-py-*.part")
    os.utime(partial, (time.time() - 3600,) * 2)  # left by the killed run an hour ago
    del upstream.srv.hooks[last_path]
    ok(mirror_fcos(upstream, dest, msrv.base_url, "-f", "pxe", cache=tmp_path / "c"))
    assert RELEASES[1] in (dest / "streams" / "stable.json").read_text()
    assert not partial.exists(), "the next run removes the killed run's partial download"


# ---- Flatcar ------------------------------------------------------------------------------------


def flatcar_upstream(root: Path, version: str, names=("flatcar_production_pxe.vmlinuz",
                                                       "flatcar_production_pxe_image.cpio.gz",
                                                       "flatcar_production_image.bin.bz2")) -> dict[str, bytes]:
    """A board directory as Flatcar publishes one: version.txt in current/ and VERSION/, each file
    with a detached .sig and a .DIGESTS (MD5, SHA1, SHA512)."""
    text = (f'FLATCAR_BUILD={version.split(".")[0]}\nFLATCAR_BRANCH=2\nFLATCAR_PATCH=3\nFLATCAR_VERSION={version}\n'
            f'FLATCAR_VERSION_ID={version}\nFLATCAR_BUILD_ID="2025-06-01-1200"\nCOREOS_VERSION={version}\n')
    for d in ("current", version):
        (root / d).mkdir(parents=True, exist_ok=True)
        (root / d / "version.txt").write_text(text)
    payloads = {}
    for name in names:
        data = os.urandom(30_000)
        payloads[name] = data
        (root / version / name).write_bytes(data)
        (root / version / f"{name}.sig").write_bytes(sign(data))
        (root / version / f"{name}.DIGESTS").write_text(
            f"# MD5 HASH\n{hashlib.md5(data).hexdigest()}  {name}\n"
            f"# SHA1 HASH\n{hashlib.sha1(data).hexdigest()}  {name}\n"
            f"# SHA512 HASH\n{hashlib.sha512(data).hexdigest()}  {name}\n")
    return payloads


def mirror_flatcar(up: TestServer, dest: Path, *args: str, cache: Path) -> subprocess.CompletedProcess:
    return run("mirror", "flatcar", str(dest), "--channel", "stable", "-a", "x86_64", "--stream-base-url",
               up.base_url, "--keyring", KEY, "--fetch-retries", "0", "-q", *args, cache=cache)


def test_flatcar_mirror_is_read_by_butane_py_flatcar_steps_and_gpg(served, gnupg, tmp_path) -> None:
    dest, msrv = served
    up_root = tmp_path / "upstream"
    payloads = flatcar_upstream(up_root, "4152.2.3")
    with TestServer(up_root) as up:
        p = ok(mirror_flatcar(up, dest, cache=tmp_path / "c"))
    board = dest / "stable" / "amd64-usr"
    assert p.stdout.split() == ["stable/amd64-usr/4152.2.3/version.txt", "stable/amd64-usr/current/version.txt"]
    for d in ("4152.2.3", "current"):
        assert (board / d / "version.txt").read_bytes() == (up_root / "current" / "version.txt").read_bytes()
        for name, data in payloads.items():
            assert (board / d / name).read_bytes() == data
            for extra in (".sig", ".DIGESTS"):
                assert (board / d / (name + extra)).read_bytes() == (up_root / "4152.2.3" / (name + extra)).read_bytes()
    # butane-py's Flatcar source, pointed at the mirror's board URL
    out = tmp_path / "out"
    written = ok(run("download", "--flatcar", "stable", "--stream-base-url", msrv.url("stable/amd64-usr/"), "-a",
                     "x86_64", "-C", str(out), "--keyring", KEY, "-q", cache=tmp_path / "c2")).stdout.split()
    assert sorted(Path(w).name for w in written) == sorted(n for n in payloads if "_pxe" in n)
    # Flatcar's three steps in shell: version.txt, the versioned path, gpg --verify with the key.
    script = """set -eu
base="$1"; key="$2"; cd "$3"
export GNUPGHOME="$4"
version=$(curl -fsS "$base/current/version.txt" | sed -n 's/^FLATCAR_VERSION=//p')
curl -fsSO "$base/$version/flatcar_production_image.bin.bz2"
curl -fsSO "$base/$version/flatcar_production_image.bin.bz2.sig"
gpg --batch --quiet --import "$key"
gpg --batch --verify flatcar_production_image.bin.bz2.sig flatcar_production_image.bin.bz2
echo "$version"
"""
    work = tmp_path / "shell"
    work.mkdir()
    p = subprocess.run(["bash", "-c", script, "flatcar", msrv.url("stable/amd64-usr"), KEY, str(work), str(gnupg)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "4152.2.3" and "Good signature" in p.stderr
    assert (work / "flatcar_production_image.bin.bz2").read_bytes() == payloads["flatcar_production_image.bin.bz2"]


def test_flatcar_new_version_switches_current_and_keep_prunes(served, tmp_path) -> None:
    dest, msrv = served
    up_root = tmp_path / "upstream"
    board = dest / "stable" / "amd64-usr"
    with TestServer(up_root) as up:
        flatcar_upstream(up_root, "4081.2.1", names=("flatcar_production_iso_image.iso",))
        ok(mirror_flatcar(up, dest, "--image", "iso", cache=tmp_path / "c"))
        payloads = flatcar_upstream(up_root, "4152.2.3")
        ok(mirror_flatcar(up, dest, "--keep", "1", cache=tmp_path / "c"))
        assert sorted(os.listdir(board)) == ["4152.2.3", "current"]
        assert "FLATCAR_VERSION=4152.2.3" in (board / "current" / "version.txt").read_text()
        assert sorted(os.listdir(board / "current")) == sorted(
            ["version.txt", *(n + e for n in payloads for e in ("", ".sig", ".DIGESTS"))]), \
            "the older version's ISO is no longer in current/"
        # An older version, named: mirrored, and current/ follows the run.
        ok(mirror_flatcar(up, dest, "--version", "4081.2.1", "--image", "iso", cache=tmp_path / "c"))
        assert "FLATCAR_VERSION=4081.2.1" in (board / "current" / "version.txt").read_text()
        # A DIGESTS that disagrees with the file: refused, and current/ stays as it was.
        digests = up_root / "4152.2.3" / "flatcar_production_image.bin.bz2.DIGESTS"
        digests.write_text(f"# SHA512 HASH\n{'0' * 128}  flatcar_production_image.bin.bz2\n")
        shutil.rmtree(board / "4152.2.3")
        one_line_error(mirror_flatcar(up, dest, cache=tmp_path / "c"))
        assert "FLATCAR_VERSION=4081.2.1" in (board / "current" / "version.txt").read_text()
        # A channel Flatcar does not have
        assert "channel" in one_line_error(run("mirror", "flatcar", str(dest), "--channel", "edge", "-a", "x86_64",
                                               cache=tmp_path / "c"))


def test_library_api(upstream, served, tmp_path) -> None:
    dest, msrv = served
    upstream.publish(RELEASES[0])
    from butane_py import fetch

    seen = []
    result = mirror.write_stream(dest, msrv.base_url + "/", platforms=["metal"], formats=["pxe"],
                                 architectures=["amd64"], stream_base_url=upstream.streams,
                                 keyring=fetch.Keyring.from_files([KEY]), fetch_retries=0,
                                 progress=lambda path, done, total: seen.append(path))
    assert result.metadata == ["streams/stable.json"] and len(result.downloaded) == 3 and not result.reused
    assert sorted(set(seen)) == sorted(result.downloaded)
    assert json.loads((dest / "streams/stable.json").read_text())["architectures"]["x86_64"]["artifacts"]["metal"][
        "formats"]["pxe"]["kernel"]["location"].startswith(msrv.base_url + "/prod/")
    with pytest.raises(mirror.MirrorError):
        mirror.write_stream(dest, "relative/path", stream_base_url=upstream.streams)
    with pytest.raises(images.UnknownChoiceError):
        mirror.write_stream(dest, msrv.base_url, architectures=["x86_64"], platforms=["nope"],
                            stream_base_url=upstream.streams, keyring=fetch.Keyring.from_files([KEY]))
