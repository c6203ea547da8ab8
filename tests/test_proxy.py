"""Every request goes through one httpx client that takes its proxy from the environment, as
users expect: HTTP_PROXY/HTTPS_PROXY are used, NO_PROXY is honoured."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ._httpserver import TestServer
from .conftest import ROOT, THIRD_PARTY

STREAM = THIRD_PARTY / "stream-metadata" / "fcos-stream.json"
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
              "no_proxy")


def stream_list(base_url: str, tmp_path: Path, **proxy_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update(PYTHONPATH=str(ROOT), BUTANE_PY_CACHE=str(tmp_path / "cache"), BUTANE_PY_METADATA_TIMEOUT="20",
               **proxy_env)
    return subprocess.run([sys.executable, "-m", "butane_py", "stream", "list", "--stream-base-url", base_url],
                          capture_output=True, text=True, env=env, timeout=120)


def test_stream_metadata_goes_through_the_proxy(tmp_path: Path) -> None:
    root = tmp_path / "proxy"
    root.mkdir()
    shutil.copy(STREAM, root / "stable.json")
    with TestServer(root) as proxy:
        # streams.invalid resolves nowhere: only a proxy can answer for it.
        p = stream_list("http://streams.invalid/", tmp_path, HTTP_PROXY=proxy.base_url)
        assert p.returncode == 0, p.stderr
        assert "x86_64" in p.stdout and "metal" in p.stdout
        assert ("GET", "/stable.json", None) in proxy.requests


def test_no_proxy_is_honoured(tmp_path: Path) -> None:
    direct_root, proxy_root = tmp_path / "direct", tmp_path / "proxy"
    direct_root.mkdir()
    proxy_root.mkdir()
    shutil.copy(STREAM, direct_root / "stable.json")
    with TestServer(direct_root) as direct, TestServer(proxy_root) as proxy:
        p = stream_list(direct.base_url, tmp_path, HTTP_PROXY=proxy.base_url, NO_PROXY="127.0.0.1")
        assert p.returncode == 0, p.stderr
        assert proxy.requests == [] and direct.requests
