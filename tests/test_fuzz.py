"""Property-based fuzzing of every reader of hostile bytes.

Each property: whatever the input, the library either succeeds or raises a
:class:`~butane_py.errors.ButanePyError` (a clean error); never another exception. Inputs
start from valid documents, images and archives and are mutated (bytes flipped, inserted,
deleted, tokens spliced in). Seeds are fixed (``derandomize``) and budgets small, so a run
is reproducible and quick (``BUTANE_PY_FUZZ_SCALE=N`` for N times the examples); no
example database is written, and Hypothesis's caches live in the temporary directory.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

import butane_py
from butane_py import embed, fetch, ignition
from butane_py.embed._iso9660 import IsoFs
from butane_py.errors import ButanePyError
from butane_py.fetch._cache import _meta_path, _sig_path
from butane_py.fetch._verify import _cache_lookup

from ._isos import LIVE_ISOS, pristine
from .conftest import ROOT

# BUTANE_PY_FUZZ_SCALE=N runs N times the examples (same seed), for a longer hunt.
SCALE = int(os.environ.get("BUTANE_PY_FUZZ_SCALE", "1"))


def budget(n: int) -> int:
    return n * SCALE


# Hypothesis's own caches go to a temporary directory, not the checkout.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "butane-py-hypothesis"))
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=budget(150),
    # No shrinking: a failure is reported as found, at once (a shrink of a CLI example
    # would run the CLI hundreds of times).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
SECRET = b"FUZZ-OUTSIDE-SECRET-7c1a"


# -- mutation ------------------------------------------------------------------------------

TOKENS = [
    b"\0", b"\xff", b"\xc3", b'"', b"'", b"\\", b"\\u0000", b"\\ud800", b"1" * 5000, b"1e999",
    b"-0", b"0x1F", b"[" * 200, b"{" * 200, b"]", b"}", b"null", b"true", b"~", b'"a":', b"..",
    b"/", b"\n", b"\r\n", b"\t", b": ", b"- ", b"&a ", b"*a", b"!!binary ", b"<<: ", b"%YAML 1.1\n",
    b"\xef\xbb\xbf", b"? ", b"|\n", b">-\n", b"#", b"0644", b"-1", b"9" * 25,
]


@st.composite
def mutated(draw, seeds: list[bytes], max_ops: int = 6) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "token", "splice"]))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            pos = min(pos, len(data) - 1)
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 16))]
        elif op == "token":
            data[pos:pos] = draw(st.sampled_from(TOKENS))
        elif op == "splice" and data:
            start = draw(st.integers(0, len(data) - 1))
            data[pos:pos] = data[start : start + draw(st.integers(1, 32))]
    return bytes(data)


def embedded_contents(output: str) -> list[bytes]:
    """The decoded contents of every file of an Ignition config."""
    out = []
    for f in json.loads(output).get("storage", {}).get("files", []):
        contents = f.get("contents") or {}
        head, _, body = (contents.get("source") or "").partition(",")
        if not head.startswith("data:"):
            continue
        data = base64.b64decode(body) if head.endswith(";base64") else urllib.parse.unquote_to_bytes(body)
        if contents.get("compression") == "gzip":
            data = gzip.decompress(data)
        out.append(data)
    return out


# -- Ignition JSON -------------------------------------------------------------------------

IGN_SEEDS = [
    (ROOT / "fixtures" / "examples" / "hello.ign").read_bytes(),
    b'{"ignition":{"version":"3.4.0","config":{"merge":[{"source":"data:,x","verification":{"hash":"sha512-00"}}]}},'
    b'"storage":{"files":[{"path":"/a","mode":420,"overwrite":true,"contents":{"source":"data:,hi",'
    b'"compression":"gzip"}}],"links":[{"path":"/b","target":"/a"}],"disks":[{"device":"/dev/sda",'
    b'"partitions":[{"number":1,"sizeMiB":10,"label":"x"}]}]},"systemd":{"units":[{"name":"a.service",'
    b'"enabled":true,"dropins":[{"name":"b.conf","contents":"[Unit]"}]}]},"passwd":{"users":[{"name":"core",'
    b'"sshAuthorizedKeys":["ssh-ed25519 AAAA"]}]}}',
    b'{"ignition":{"version":"3.0.0"},"storage":{"luks":[{"name":"r","device":"/dev/sdb"}]}}',
    b'{"ignition":{"version":"3.7.0-experimental"},"kernelArguments":{"shouldExist":["a"]}}',
]


@FUZZ
@given(mutated(IGN_SEEDS))
def test_ignition_parse_and_validate(data: bytes) -> None:
    for fn in (ignition.parse_config, ignition.validate):
        try:
            fn(data)
        except ButanePyError:
            pass


# -- Butane YAML ---------------------------------------------------------------------------

BU_SEEDS = [
    b"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n"
    b"      contents:\n        inline: hello\n  directories:\n    - path: /d\n  links:\n    - path: /l\n"
    b"      target: /etc/motd\n",
    b"variant: fcos\nversion: 1.6.0\npasswd:\n  users:\n    - name: core\n      ssh_authorized_keys:\n"
    b"        - ssh-ed25519 AAAA\n      password_hash: $y$j9T$\nsystemd:\n  units:\n    - name: a.service\n"
    b"      enabled: true\n      contents: |\n        [Unit]\n        Description=a\n",
    b"variant: fcos\nversion: 1.5.0\nboot_device:\n  mirror:\n    devices: [/dev/sda, /dev/sdb]\n  luks:\n"
    b"    tpm2: true\nstorage:\n  filesystems:\n    - device: /dev/vdb\n      path: /var\n      format: xfs\n"
    b"      with_mount_unit: true\n",
    b"variant: openshift\nversion: 4.14.0\nmetadata:\n  name: x\n  labels:\n"
    b"    machineconfiguration.openshift.io/role: worker\nopenshift:\n  kernel_arguments: [a]\n",
    b"variant: fcos\nversion: 1.5.0\nsysctl:\n  vm.swappiness: 10\nnetworkmanager:\n  hostname: h\n"
    b"  connections:\n    - name: eth0\n      type: ethernet\n      ipv4:\n        method: auto\n",
    b"variant: flatcar\nversion: 1.1.0\nstorage:\n  trees:\n    - local: sub\n      path: /t\n",
]

# Pieces of ``local:`` paths: fine ones, escapes, links out and in, special files.
LOCAL_PIECES = ["ok.txt", "sub", "sub/ok.txt", "..", ".", "", "link-out", "link-in", "dir-out", "dir-in",
                "loop", "fifo", "abs-out", "/ok.txt", "a\0b", "\t", "x" * 300, "\udc80", "nope"]
LOCAL_FIELDS = [
    "storage:\n  files:\n    - path: /a\n      contents:\n        local: {p}\n",
    "storage:\n  files:\n    - path: /a\n      append:\n        - local: {p}\n",
    "storage:\n  trees:\n    - local: {p}\n      path: /t\n",
    "systemd:\n  units:\n    - name: a.service\n      contents_local: {p}\n",
    "passwd:\n  users:\n    - name: core\n      ssh_authorized_keys_local: [{p}]\n",
    "ignition:\n  config:\n    merge:\n      - local: {p}\n",
    "networkmanager:\n  connections:\n    - name: c\n      keyfile_local: {p}\n",
]


@pytest.fixture(scope="module")
def files_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fuzzfiles")
    (root / "secret").write_bytes(SECRET)
    files = root / "files"
    (files / "sub").mkdir(parents=True)
    (files / "ok.txt").write_bytes(b"inside\n")
    (files / "sub" / "ok.txt").write_bytes(b"inside sub\n")
    (files / "link-out").symlink_to("../secret")
    (files / "abs-out").symlink_to(root / "secret")
    (files / "link-in").symlink_to("ok.txt")
    (files / "dir-out").symlink_to("..")
    (files / "dir-in").symlink_to("sub")
    (files / "loop").symlink_to("loop")
    os.mkfifo(files / "fifo")
    return files


@st.composite
def local_configs(draw) -> bytes:
    path = "/".join(draw(st.lists(st.sampled_from(LOCAL_PIECES), min_size=1, max_size=4)))
    field = draw(st.sampled_from(LOCAL_FIELDS))
    quoted = json.dumps(path)  # a JSON string is a YAML double-quoted scalar
    return ("variant: fcos\nversion: 1.5.0\n" + field.format(p=quoted)).encode("utf-8", "surrogatepass")


def _translate_never_crashes(data: bytes, files_dir: Path) -> None:
    try:
        r = butane_py.translate(data, files_dir=str(files_dir))
    except ButanePyError:
        return
    if r.output is not None and r.output.startswith("{"):
        for contents in embedded_contents(r.output):
            assert SECRET not in contents
    for e in r.report.entries:
        assert "\n" not in e.message and "\0" not in e.message, e


@FUZZ
@given(mutated(BU_SEEDS))
def test_butane_translate_mutated_yaml(files_dir, data: bytes) -> None:
    _translate_never_crashes(data, files_dir)


@FUZZ
@given(st.one_of(local_configs(), mutated([b"variant: fcos\nversion: 1.5.0\nstorage:\n  trees:\n    - local: sub\n"
                                           b"  files:\n    - path: /a\n      contents:\n        local: dir-in/ok.txt\n"])))
def test_butane_local_paths(files_dir, data: bytes) -> None:
    _translate_never_crashes(data, files_dir)


# -- live ISO ------------------------------------------------------------------------------

def _iso_regions(path: Path) -> list[tuple[int, int]]:
    """Byte ranges worth mutating: volume descriptors, directories, the coreos/ files, the
    embed area's header, the kargs areas."""
    regions = [(0x8000, 0x8800)]
    with open(path, "rb") as f:
        fs = IsoFs(f)
        regions.append((fs.root.offset, fs.root.offset + fs.root.length))
        for d in fs.list_dir(fs.root):
            regions.append((d.offset, d.offset + min(d.length, 4096)))
            if d.is_dir and d.name == "COREOS":
                for rec in fs.list_dir(d):
                    regions.append((rec.offset, rec.offset + min(rec.length, 4096)))
    live = embed.LiveIso.open(path)
    area = live.ignition_area
    regions.append((area.offset, area.offset + min(area.length, 1024)))
    if live.kargs_areas is not None:
        for r in live.kargs_areas.regions:
            regions.append((r.offset, r.offset + r.length))
    return [r for r in regions if r[0] < r[1]]


@pytest.fixture(scope="module")
def isos(tmp_path_factory) -> list[tuple[bytes, list[tuple[int, int]]]]:
    cache = tmp_path_factory.mktemp("fuzzisos")
    out = []
    for name in (LIVE_ISOS[0], LIVE_ISOS[-1]):
        p = pristine(name, cache)
        out.append((p.read_bytes(), _iso_regions(p)))
    return out


@st.composite
def iso_mutations(draw, isos) -> bytes:
    image, regions = draw(st.sampled_from(isos))
    data = bytearray(image)
    for _ in range(draw(st.integers(1, 8))):
        start, end = draw(st.sampled_from(regions))
        pos = draw(st.integers(start, end - 1))
        data[pos] = draw(st.one_of(st.integers(0, 255), st.sampled_from([0, 0xFF, 0x7F, 0x80])))
    if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:
        del data[draw(st.integers(0x8000, len(data))) :]  # truncated
    return bytes(data)


@pytest.fixture
def iso_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzziso") / "image.iso"


@settings(FUZZ, max_examples=budget(120))
@given(st.data())
def test_iso_readers(isos, iso_file, draw) -> None:
    data = draw.draw(iso_mutations(isos))
    iso_file.write_bytes(data)
    for fn in (embed.LiveIso.open, embed.ignition_show, embed.kargs_show, embed.describe):
        try:
            fn(str(iso_file))
        except ButanePyError:
            pass


@settings(FUZZ, max_examples=budget(60))
@given(st.data())
def test_iso_refusal_leaves_the_image_alone(isos, iso_file, draw) -> None:
    data = draw.draw(iso_mutations(isos))
    iso_file.write_bytes(data)
    try:
        embed.ignition_embed(str(iso_file), b'{"ignition":{"version":"3.4.0"}}', force=True)
    except ButanePyError:
        assert iso_file.read_bytes() == data


# -- initrd --------------------------------------------------------------------------------

def _initrd_seeds() -> list[bytes]:
    import zstandard

    members = {"config.ign": b'{"ignition":{"version":"3.4.0"}}',
               "etc/NetworkManager/system-connections/a.nmconnection": b"[connection]\nid=a\n"}
    plain = embed.cpio_bytes(members)
    return [
        plain,
        embed.to_bytes(members, "xz"),
        gzip.compress(plain),
        zstandard.ZstdCompressor().compress(plain),
        plain + b"\0" * 8 + gzip.compress(plain),
    ]


INITRD_SEEDS = _initrd_seeds()


@FUZZ
@given(st.one_of(mutated(INITRD_SEEDS, max_ops=4), st.binary(max_size=512)))
def test_initrd_readers(data: bytes) -> None:
    for fn in (embed.read_members, embed.pxe_unwrap, embed.pxe_network_files):
        try:
            fn(data)
        except ButanePyError:
            pass
        try:
            fn(io.BytesIO(data))
        except ButanePyError:
            pass


# -- download cache ------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
CACHE_NAMES = st.text(alphabet="ab./\\-_ .json.sig\0\udc80", min_size=1, max_size=24)
META_KEYS = ["size", "mtime_ns", "sha256", "sha512", "url", "fetched_at", "signed_by"]

RING = fetch.Keyring.bundled()


@st.composite
def cache_entries(draw) -> list[tuple[str, bytes, dict | bytes, bool]]:
    """(name, contents, meta, whether meta matches the file's size and mtime, signature)."""
    out = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(CACHE_NAMES)
        body = draw(st.binary(max_size=64))
        if draw(st.booleans()):
            meta = draw(st.binary(max_size=64))
        else:
            meta = {k: draw(JSON_VALUES) for k in draw(st.lists(st.sampled_from(META_KEYS), unique=True))}
        out.append((name, body, meta, draw(st.booleans()), draw(st.none() | st.binary(max_size=64))))
    return out


@pytest.fixture
def cache_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzzcache")


@settings(FUZZ, max_examples=budget(120))
@given(cache_entries())
def test_cache_listing_and_lookup(cache_root, entries) -> None:
    base = cache_root / "c"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir()
    (cache_root / "outside").write_bytes(b"keep me")
    made = []
    for name, body, meta, matching, sig in entries:
        try:
            entry = fetch.cache_path(name, base)
        except ButanePyError:
            continue
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            entry.write_bytes(body)
        except OSError:
            continue
        if isinstance(meta, dict) and matching:
            st_ = entry.stat()
            meta = dict(meta, size=st_.st_size, mtime_ns=st_.st_mtime_ns)
        raw = meta if isinstance(meta, bytes) else json.dumps(meta).encode()
        _meta_path(entry).write_bytes(raw)
        if sig is not None:
            _sig_path(entry).write_bytes(sig)
        made.append(entry)
    try:
        fetch.list_cache(base)
    except ButanePyError:
        pass
    for entry in made:
        for insecure, signed_digest, reverify in ((True, False, False), (False, False, True), (True, False, True),
                                                  (False, True, True)):
            try:
                _cache_lookup(entry, RING, None, None, insecure, signed_digest, reverify, "x")
            except ButanePyError:
                pass
    try:
        fetch.clean_cache(base, keep=lambda e: True)
    except ButanePyError:
        pass
    assert (cache_root / "outside").read_bytes() == b"keep me"


# -- the real CLI --------------------------------------------------------------------------

def _cli(args: list[str], stdin: bytes | None, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "butane_py", *args], input=stdin, capture_output=True, env=env,
                          cwd=cwd, timeout=120)


@settings(FUZZ, max_examples=budget(3))
@given(cache_entries())
def test_cli_cache_list(tmp_path_factory, entries) -> None:
    base = tmp_path_factory.mktemp("clicache")
    for name, body, meta, _, _ in entries:
        try:
            entry = fetch.cache_path(name, base)
            entry.parent.mkdir(parents=True, exist_ok=True)
            entry.write_bytes(body)
        except (ButanePyError, OSError):
            continue
        if isinstance(meta, dict):
            st_ = entry.stat()
            meta = json.dumps(dict(meta, size=st_.st_size, mtime_ns=st_.st_mtime_ns)).encode()
        _meta_path(entry).write_bytes(meta)
    before = _snapshot(base)
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1", BUTANE_PY_CACHE=str(base))
    p = subprocess.run([sys.executable, "-m", "butane_py", "cache", "list"], capture_output=True, env=env, timeout=120)
    _clean_exit(p)
    assert _snapshot(base) == before


def _clean_exit(p: subprocess.CompletedProcess, report_on_stdout: bool = False) -> None:
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode in (0, 1), (p.returncode, err)
    assert "Traceback" not in err, err
    if p.returncode == 1:
        said = err + (p.stdout.decode("utf-8", "replace") if report_on_stdout else "")
        lines = [ln for ln in said.splitlines() if ln.strip()]
        assert lines, "a failure says why"
        if not report_on_stdout:
            # The report's findings (a line or a snippet each), then one "Error ...: reason" line.
            assert lines[-1].startswith("Error"), err


def _snapshot(d: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for p in sorted(d.rglob("*")):
        rel = str(p.relative_to(d))
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = p.read_bytes()
        else:
            out[rel] = "dir" if p.is_dir() else "other"
    return out


@settings(FUZZ, max_examples=budget(3))
@given(mutated(BU_SEEDS), mutated(IGN_SEEDS), local_configs())
def test_cli_translate_and_validate(files_dir, tmp_path_factory, bu: bytes, ign: bytes, local: bytes) -> None:
    before = _snapshot(files_dir.parent)
    work = tmp_path_factory.mktemp("cli")
    for cfg in (bu, local):
        p = _cli(["-d", str(files_dir), "-o", "out.ign", "-"], cfg, work)
        _clean_exit(p)
        assert sorted(os.listdir(work)) == (["out.ign"] if p.returncode == 0 else [])
        if p.returncode == 0 and (work / "out.ign").read_bytes().startswith(b"{"):
            assert all(SECRET not in c for c in embedded_contents((work / "out.ign").read_text()))
        shutil.rmtree(work)
        work.mkdir()
    (work / "c.ign").write_bytes(ign)
    _clean_exit(_cli(["validate", "c.ign"], None, work), report_on_stdout=True)
    assert os.listdir(work) == ["c.ign"]
    assert _snapshot(files_dir.parent) == before


@settings(FUZZ, max_examples=budget(3))
@given(st.data())
def test_cli_iso_show(isos, tmp_path_factory, draw) -> None:
    data = draw.draw(iso_mutations(isos))
    work = tmp_path_factory.mktemp("cliiso")
    (work / "i.iso").write_bytes(data)
    for args in (["iso", "ignition", "show", "i.iso"], ["iso", "ignition", "embed", "-i", "/dev/null", "-f", "i.iso"]):
        p = _cli(args, None, work)
        _clean_exit(p)
        if p.returncode == 1:
            assert (work / "i.iso").read_bytes() == data
        assert os.listdir(work) == ["i.iso"]
