"""``--files-dir`` against a hostile tree: links swapped in while translating, paths with
NUL bytes, FIFOs, trees deeper than Python's recursion limit.

Whatever is read must be the object that was checked: a file or directory swapped for a
link to an outside secret between the check and the read must never be embedded.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import threading
import urllib.parse

import pytest

import butane_py

from .conftest import ROOT

SECRET = b"TOPSECRET-d41d8cd98f00b204"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "butane_py", *args], input=stdin, capture_output=True, env=env, timeout=120
    )


def embedded(output: str) -> list[bytes]:
    """Every file's decoded contents in an Ignition config."""
    out = []
    for f in json.loads(output).get("storage", {}).get("files", []):
        contents = f.get("contents") or {}
        source = contents.get("source") or ""
        head, _, body = source.partition(",")
        data = base64.b64decode(body) if head.endswith(";base64") else urllib.parse.unquote_to_bytes(body)
        if contents.get("compression") == "gzip":
            data = gzip.decompress(data)
        out.append(data)
    return out


def bu(body: str) -> bytes:
    return ("variant: fcos\nversion: 1.5.0\n" + body).encode()


LOCAL_CFG = bu(
    "storage:\n  files:\n"
    "    - path: /etc/a\n      contents:\n        local: tree/f\n"
    "    - path: /etc/b\n      contents:\n        local: tree/d/g\n"
)
TREE_CFG = bu("storage:\n  trees:\n    - local: tree\n      path: /t\n")
TREE_ROOT_CFG = bu("storage:\n  trees:\n    - local: tree/d\n      path: /u\n")


@pytest.fixture
def layout(tmp_path):
    """files/tree/{f, d/g, gone}; outside/{secret, f, g} (the link targets)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(SECRET)
    (outside / "f").write_bytes(SECRET)
    (outside / "g").write_bytes(SECRET)
    tree = tmp_path / "files" / "tree"
    (tree / "d").mkdir(parents=True)
    (tree / "f").write_bytes(b"inside f\n")
    (tree / "d" / "g").write_bytes(b"inside g\n")
    (tree / "gone").write_bytes(b"here and gone\n")
    return tmp_path


def swapper(root, stop: threading.Event, rounds: int) -> threading.Thread:
    """Swap tree/f and tree/d for links to the outside (and back), and remove and recreate
    tree/gone, as fast as it can, for at most ``rounds`` rounds."""
    tree = root / "files" / "tree"
    outside = root / "outside"

    def loop() -> None:
        for _ in range(rounds):
            if stop.is_set():
                return
            os.symlink(outside / "secret", tree / "f.new")
            os.replace(tree / "f.new", tree / "f")
            (tree / "f.new").write_bytes(b"inside f\n")
            os.replace(tree / "f.new", tree / "f")
            os.rename(tree / "d", tree / "d.real")
            os.symlink(outside, tree / "d")
            os.unlink(tree / "d")
            os.rename(tree / "d.real", tree / "d")
            os.unlink(tree / "gone")
            (tree / "gone").write_bytes(b"here and gone\n")

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    return t


# The child translates in a loop (one process, so that hundreds of attempts fit in a few
# seconds) and prints each result; any exception ends it with a traceback.
CHILD = """
import json, sys, traceback
import butane_py
cfgs = [c.encode() for c in json.loads(sys.argv[2])]
for _ in range(int(sys.argv[3])):
    for cfg in cfgs:
        try:
            r = butane_py.translate(cfg, files_dir=sys.argv[1])
        except Exception:
            print(json.dumps({"exception": traceback.format_exc()}))
            continue
        print(json.dumps({"output": r.output, "messages": [e.message for e in r.report.entries]}))
"""


def test_swapped_links_never_leak_the_outside(layout) -> None:
    stop = threading.Event()
    t = swapper(layout, stop, rounds=100_000)
    try:
        cfgs = json.dumps([c.decode() for c in (LOCAL_CFG, TREE_CFG, TREE_ROOT_CFG)])
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        p = subprocess.run(
            [sys.executable, "-c", CHILD, str(layout / "files"), cfgs, "600"],
            capture_output=True, env=env, timeout=300,
        )
    finally:
        stop.set()
        t.join()
    assert p.returncode == 0, p.stderr.decode()[-3000:]
    assert b"Traceback" not in p.stderr
    results = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(results) == 1800
    crashes = [r["exception"] for r in results if "exception" in r]
    assert not crashes, f"{len(crashes)} crashes, e.g. {crashes[0]}"
    leaks = [r["output"] for r in results if r["output"] and any(SECRET in d for d in embedded(r["output"]))]
    assert not leaks, f"{len(leaks)} outputs embed the outside secret, e.g. {leaks[0]}"
    for r in results:
        assert all("\n" not in m for m in r["messages"]), r
    # The swapper did race with the translations (some refused), and not every one failed.
    ok = sum(r["output"] is not None for r in results)
    assert 0 < ok < len(results)


def test_cli_under_swaps_fails_cleanly(layout) -> None:
    stop = threading.Event()
    t = swapper(layout, stop, rounds=100_000)
    try:
        for cfg in (LOCAL_CFG, TREE_CFG) * 3:
            p = run("-d", str(layout / "files"), stdin=cfg)
            err = p.stderr.decode()
            assert p.returncode in (0, 1), err
            assert "Traceback" not in err
            assert SECRET.decode() not in err
            if p.returncode == 0:
                assert all(SECRET not in d for d in embedded(p.stdout.decode()))
            else:
                assert p.stdout == b""
    finally:
        stop.set()
        t.join()


def test_links_that_stay_inside_still_work(layout) -> None:
    files = layout / "files"
    (files / "rel").symlink_to("tree/d")
    (files / "abs").symlink_to(files / "tree" / "f")
    (files / "tree" / "d" / "up").symlink_to("../f")
    cfg = bu(
        "storage:\n  files:\n"
        "    - path: /a\n      contents:\n        local: rel/g\n"
        "    - path: /b\n      contents:\n        local: abs\n"
        "    - path: /c\n      contents:\n        local: rel/up\n"
    )
    r = butane_py.translate(cfg, files_dir=str(files))
    assert r.error is None, r
    assert embedded(r.output) == [b"inside g\n", b"inside f\n", b"inside f\n"]
    # In a tree a link stays a link, as in the reference.
    r = butane_py.translate(bu("storage:\n  trees:\n    - local: tree/d\n      path: /u\n"), files_dir=str(files))
    assert json.loads(r.output)["storage"]["links"] == [{"path": "/u/up", "target": "../f"}]


@pytest.mark.parametrize(
    "target",
    ["outside", "absolute", "chain"],
)
def test_links_out_refused_at_any_step(layout, target: str) -> None:
    files = layout / "files"
    if target == "outside":
        (files / "l").symlink_to("../outside/secret")
    elif target == "absolute":
        (files / "l").symlink_to(layout / "outside" / "secret")
    else:
        # In through a link, out through a second one, back in through a third.
        (layout / "outside" / "back").symlink_to(files / "tree" / "f")
        (files / "hop").symlink_to("../outside")
        (files / "l").symlink_to("hop/back")
    for local in ("l", "tree/../l"):
        r = butane_py.translate(bu(f"storage:\n  files:\n    - path: /a\n      contents:\n        local: {local}\n"),
                                files_dir=str(files))
        assert r.output is None
        assert [e.message for e in r.report.entries] == ["local file path traverses outside the files directory"]


@pytest.mark.parametrize(
    "body, where",
    [
        ('storage:\n  files:\n    - path: /a\n      contents:\n        local: "tree\\0f"\n', "local"),
        ('storage:\n  trees:\n    - local: "tr\\0ee"\n', "trees"),
        ('passwd:\n  users:\n    - name: core\n      ssh_authorized_keys_local: ["k\\0"]\n', "ssh"),
        ('systemd:\n  units:\n    - name: a.service\n      contents_local: "\\0"\n', "unit"),
    ],
)
def test_nul_in_a_local_path(layout, body: str, where: str) -> None:
    files = str(layout / "files")
    r = butane_py.translate(bu(body), files_dir=files)
    assert r.output is None and r.error == "source config is invalid"
    (msg,) = [e.message for e in r.report.entries]
    assert msg.endswith(": invalid argument") and "\\x00" in msg and "\0" not in msg
    p = run("-d", files, stdin=bu(body))
    err = p.stderr.decode()
    assert p.returncode == 1 and p.stdout == b""
    assert "Traceback" not in err and "invalid argument" in err and "\0" not in err


def test_fifo_is_refused_without_hanging(layout) -> None:
    files = layout / "files"
    os.mkfifo(files / "tree" / "d" / "pipe")
    p = run("-d", str(files), stdin=bu("storage:\n  files:\n    - path: /a\n      contents:\n        local: tree/d/pipe\n"))
    assert p.returncode == 1
    assert "tree/d/pipe: not a regular file" in p.stderr.decode()
    p = run("-d", str(files), stdin=bu("storage:\n  trees:\n    - local: tree/d\n"))
    assert p.returncode == 1
    assert "trees may only contain files, directories, and symlinks" in p.stderr.decode()


def flatten(top) -> None:
    """Move each level of a deep chain of ``d`` directories up beside ``top`` (pytest's
    recursive clean-up cannot remove it)."""
    cur, k = top, 0
    while (cur / "d").is_dir():
        flat = top.parent / f"flat{k}"
        os.rename(cur / "d", flat)
        cur, k = flat, k + 1


def test_tree_deeper_than_the_recursion_limit(tmp_path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    depth = 1100
    fd = os.open(files, os.O_RDONLY)
    try:
        for name in ["tree"] + ["d"] * depth:
            os.mkdir(name, dir_fd=fd)
            nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        with open(os.open("f", os.O_WRONLY | os.O_CREAT, 0o755, dir_fd=fd), "wb") as f:
            f.write(b"deep\n")
    finally:
        os.close(fd)
    cfg = bu("storage:\n  trees:\n    - local: tree\n      path: /t\n      dir_mode: 0700\n").replace(b"1.5.0", b"1.7.0")
    try:
        p = run("-d", str(files), stdin=cfg)
    finally:
        flatten(files / "tree")
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    storage = json.loads(p.stdout)["storage"]
    dirs = ["/t"] + ["/t" + "/d" * n for n in range(1, depth + 1)]
    assert [d["path"] for d in storage["directories"]] == dirs
    assert {d["mode"] for d in storage["directories"]} == {0o700}
    (f,) = storage["files"]
    assert f["path"] == "/t" + "/d" * depth + "/f" and f["mode"] == 0o755
    assert embedded(p.stdout.decode()) == [b"deep\n"]
