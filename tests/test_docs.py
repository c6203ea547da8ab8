"""The documentation builds with mkdocs in strict mode, and every page is in its navigation."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT


@pytest.mark.skipif(shutil.which("mkdocs") is None, reason="mkdocs is not installed")
def test_docs_build_strict(tmp_path) -> None:
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (tmp_path / "site" / "translate" / "index.html").exists()


def test_every_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = sorted(str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md"))
    missing = [p for p in pages if p not in nav]
    assert not missing, missing


def _blocks(text: str, lang: str) -> list[str]:
    import re

    return re.findall(rf"^```{lang}\n(.*?)^```$", text, re.M | re.S)


def test_translate_page_report_is_real_output(tmp_path) -> None:
    """docs/translate.md's report is what butane-py prints for the config shown beside it."""
    import os

    page = (ROOT / "docs" / "translate.md").read_text()
    [config] = _blocks(page, "yaml")
    [report] = _blocks(page, "text")
    (tmp_path / "config.bu").write_text(config)
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    p = subprocess.run([sys.executable, "-m", "butane_py", "config.bu"], cwd=tmp_path, capture_output=True,
                       text=True, env=env, timeout=120)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr == report


def test_translate_page_options_exist() -> None:
    """Every option the page's table and usage line name is one the command takes."""
    import re

    import typer.main

    from butane_py.cli import _app

    page = (ROOT / "docs" / "translate.md").read_text()
    command = typer.main.get_command(_app.translate_app)
    declared = {opt for p in command.params for opt in p.opts}
    named = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", page.split("## The report")[0]))
    assert named, "the page names options"
    assert named - {"-"} <= declared, named - declared
