"""Download progress as a user sees it: plain lines in a log, a bar and a summary on a terminal.

A real ``butane-py download`` against a loopback server (the signed stream of
tests/test_cli_download.py), off a terminal through pipes and on one through a pty.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .test_cli_download import VERIFY, run, site  # noqa: F401  (site is a fixture)

SUMMARY = re.compile(r"^(\S+): (\d+\.\d) KiB in \d+(\.\d)? s \(\d+(\.\d)? (B|KiB|MiB|GiB)/s\)$")


def args(srv, out: Path, *extra: str) -> list[str]:
    return ["--stream-base-url", srv.base_url, "-a", "x86_64", "-C", str(out), "--keyring",
            str(VERIFY / "test-key.pub.asc"), "--fetch-retries", "1", *extra]


def test_off_a_terminal_plain_lines_and_a_summary(site, tmp_path) -> None:  # noqa: F811
    srv, root, payloads, formats = site
    p = run(*args(srv, tmp_path, "-f", "pxe"), cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    lines = p.stderr.splitlines()
    assert "0.0 of 0.0" not in p.stderr and "\r" not in p.stderr and "\x1b" not in p.stderr
    names = [formats["pxe"][k]["location"].rsplit("/", 1)[1] for k in ("kernel", "initramfs", "rootfs")]
    summaries = [m for m in map(SUMMARY.match, lines) if m]
    assert [m[1] for m in summaries] == names, lines
    sizes = {n: len(payloads[("pxe", k)]) for n, k in zip(names, ("kernel", "initramfs", "rootfs"))}
    for m in summaries:
        assert float(m[2]) == round(sizes[m[1]] / 1024, 1)
    # Between summaries only "NAME: SIZE of TOTAL (N%)" lines, never the finished file (the summary says it).
    for line in lines:
        if not SUMMARY.match(line):
            assert re.fullmatch(r"\S+: \d+\.\d KiB of \d+\.\d KiB \(\d{1,2}%\)", line), line


def test_off_a_terminal_cached_file_says_nothing(site, tmp_path) -> None:  # noqa: F811
    srv, root, payloads, formats = site
    assert run(*args(srv, tmp_path / "a", "-f", "pxe"), cache=tmp_path / "cache").returncode == 0
    p = run(*args(srv, tmp_path / "b", "-f", "pxe"), cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    assert p.stderr == "", "nothing was downloaded: no progress and no summary"


def test_off_a_terminal_unknown_size_prints_the_size_so_far(site, tmp_path) -> None:  # noqa: F811
    """A chunked answer has no total: lines give what arrived, never 'of 0.0'."""
    from butane_py.cli.images import DownloadProgress

    srv, root, payloads, formats = site
    name = formats["pxe"]["kernel"]["location"].rsplit("/", 1)[1]
    data = payloads[("pxe", "kernel")]

    def chunked(h) -> None:
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for i in range(0, len(data), 50_000):
            piece = data[i:i + 50_000]
            h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            h.wfile.flush()
            if i == 0:
                import time

                time.sleep(DownloadProgress.EVERY + 0.5)  # the plain line's interval passes mid-download
        h.wfile.write(b"0\r\n\r\n")

    srv.hooks[f"/{name}"] = chunked
    p = run(*args(srv, tmp_path, "-u", srv.url(name), "--insecure"), cache=tmp_path / "cache")
    assert p.returncode == 0, p.stderr
    assert " of " not in p.stderr
    lines = [line for line in p.stderr.splitlines() if line.startswith(f"{name}:")]
    assert lines and SUMMARY.match(lines[-1]), p.stderr
    for line in lines[:-1]:
        assert re.fullmatch(rf"{re.escape(name)}: \d+\.\d KiB", line), line
    assert len(lines) >= 2, "a line before the end gives the size so far"


def test_on_a_terminal_bar_then_summary(site, tmp_path) -> None:  # noqa: F811
    pexpect = pytest.importorskip("pexpect")
    srv, root, payloads, formats = site
    name = formats["pxe"]["rootfs"]["location"].rsplit("/", 1)[1]
    env = dict(os.environ, PYTHONPATH=str(ROOT), BUTANE_PY_CACHE=str(tmp_path / "cache"), TERM="xterm",
               COLUMNS="120")
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(sys.executable, ["-m", "butane_py", "download", *args(srv, tmp_path, "-f", "pxe")],
                          env=env, timeout=60, encoding="utf-8", dimensions=(24, 120))
    child.expect(pexpect.EOF)
    child.close()
    out = child.before
    assert child.exitstatus == 0, out
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out).replace("\r", "\n")
    summaries = [line.strip() for line in plain.splitlines() if SUMMARY.match(line.strip())]
    assert len(summaries) == 3, out
    assert summaries[-1].startswith(f"{name}: {len(payloads[('pxe', 'rootfs')]) / 1024:.1f} KiB in ")
    assert str(tmp_path / name) in plain
