"""Packaging: the sdist holds the whole project, the wheel what the commands read at run time.

Everything runs offline: the build uses the installed setuptools (no build isolation) and the
wheel goes into a fresh virtual environment that borrows the already installed dependencies.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

TOOLS = ("build", "twine")
needs_tools = pytest.mark.skipif(any(importlib.util.find_spec(t) is None for t in TOOLS),
                                 reason="build and twine are not installed (pip install -e '.[test]')")
# Directories of the project that the sdist must carry whole.
SDIST_TREES = ("tests", "fixtures", "docs", "schemas", "scripts", "bench", ".ci")
SDIST_FILES = ("LICENSE", "README.md", "CHANGELOG.md", "mkdocs.yml", "pyproject.toml", "MANIFEST.in",
               ".pre-commit-hooks.yaml", "setup.py", "butane_py/_go/_flate.c")
JUNK = ("__pycache__", ".pytest_cache", "build", "dist", "site", ".git")
# The optional C extension (Go's level-9 compressor) is built when the C compiler is there.
C_EXTENSION = "butane_py/_go/_flate" + sysconfig.get_config_var("EXT_SUFFIX")
HAVE_CC = shutil.which((sysconfig.get_config_var("CC") or "cc").split()[0]) is not None


def _env() -> dict[str, str]:
    """The environment without anything that would put this checkout on the import path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def _run(argv, cwd, timeout=300, env=None) -> subprocess.CompletedProcess:
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env or _env())
    assert p.returncode == 0, f"{argv}: rc={p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


def _source_files(top: Path) -> set[str]:
    out = set()
    for tree in SDIST_TREES:
        for path in (top / tree).rglob("*"):
            rel = path.relative_to(top)
            if path.is_file() and not any(part in JUNK or part.endswith(".egg-info") for part in rel.parts) \
                    and path.suffix not in (".pyc", ".pyo"):
                out.add(rel.as_posix())
    return out | set(SDIST_FILES)


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict:
    """sdist and wheel built from a copy of the project (the checkout stays untouched)."""
    top = tmp_path_factory.mktemp("pkg")
    src = top / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(*JUNK, "*.egg-info", "*.pyc", "*.so", "*.pyd"))
    out = top / "dist"
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)], cwd=top)
    sdist, = out.glob("butane_py-*.tar.gz")
    wheel, = out.glob("butane_py-*.whl")
    return {"top": top, "src": src, "sdist": sdist, "wheel": wheel}


@needs_tools
def test_twine_accepts_both(dists) -> None:
    p = _run([sys.executable, "-m", "twine", "check", "--strict", str(dists["sdist"]), str(dists["wheel"])],
             cwd=dists["top"])
    assert p.stdout.count("PASSED") == 2, p.stdout


@needs_tools
def test_sdist_holds_the_whole_project(dists) -> None:
    with tarfile.open(dists["sdist"]) as tar:
        names = tar.getnames()
    prefix = names[0].split("/")[0] + "/"
    have = {n[len(prefix):] for n in names if n.startswith(prefix)}
    missing = sorted(_source_files(dists["src"]) - have)
    assert not missing, missing[:20]
    assert "fixtures/third_party/coreos-installer/iso/synthetic.iso.xz" in have
    assert not [n for n in have if "__pycache__" in n or n.endswith(".pyc")]


@needs_tools
def test_wheel_holds_the_runtime_data_and_metadata(dists) -> None:
    with zipfile.ZipFile(dists["wheel"]) as zf:
        names = set(zf.namelist())
        meta_name, = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = zf.read(meta_name).decode()
    for need in ("butane_py/py.typed", "butane_py/images/catalog.json",
                 "butane_py/data/keys/fedora-coreos-signing-keys.asc",
                 "butane_py/data/keys/flatcar-image-signing-key.asc",
                 "butane_py/models/fcos_1_6.py", "butane_py/models/ignition_3_5.py", "butane_py/models/_modules.py"):
        assert need in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not [n for n in names if n.startswith(("tests/", "fixtures/", "docs/"))]
    assert (C_EXTENSION in names) == HAVE_CC
    assert not [n for n in names if n.endswith(".c")]
    assert "License-Expression: Apache-2.0" in meta
    requires = [line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    runtime = [r for r in requires if "extra ==" not in r]
    # Only what butane_py/ imports: nothing the tests alone need.
    assert not [r for r in runtime if r.split(">")[0].split("=")[0].strip() in ("jsonschema", "pytest")]


@needs_tools
def test_installed_wheel_works_on_its_own(dists, tmp_path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], cwd=tmp_path)
    py = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps", "--no-index",
          "--disable-pip-version-check", str(dists["wheel"])], cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    where = _run([str(py), "-c", "import butane_py; print(butane_py.__file__)"], cwd=work).stdout.strip()
    assert Path(where).is_relative_to(venv), where  # the wheel, not this checkout
    exe = str(venv / "bin" / "butane-py")

    p = _run([exe, "schema", "--ignition", "3.4.0"], cwd=work)
    assert p.stdout == (ROOT / "schemas" / "ignition" / "3.4.0.json").read_text()
    p = _run([exe, "images", "list"], cwd=work)
    assert "fedora-coreos" in p.stdout or "fcos" in p.stdout, p.stdout[:500]
    shutil.copy(ROOT / "fixtures" / "examples" / "hello.bu", work / "hello.bu")
    p = _run([exe, "hello.bu"], cwd=work)
    here = _run([sys.executable, "-m", "butane_py", "hello.bu"], cwd=work, env=dict(_env(), PYTHONPATH=str(ROOT)))
    assert json.loads(p.stdout) == json.loads(here.stdout)
    assert json.loads(p.stdout)["storage"]["files"][0]["path"] == "/etc/hostname"
    p = _run([str(py), "-c", "from butane_py.fetch import Keyring; print(len(Keyring.bundled().certs))"], cwd=work)
    assert int(p.stdout) >= 2
    p = _run([str(py), "-c", "from butane_py._go import flate; print(flate.BACKEND)"], cwd=work)
    assert p.stdout.strip() == ("c" if HAVE_CC else "python")


# Contents that gzip wins for, so that the translation runs the compressor.
GZIP_BU = """variant: fcos
version: 1.6.0
storage:
  files:
    - path: /etc/repeated.conf
      contents:
        inline: |
""" + "".join(f"          key{i % 37} = value {i * 7 % 101}\n" for i in range(400))


@needs_tools
def test_without_a_compiler_it_installs_and_translates(dists, tmp_path) -> None:
    """CC=false: the extension is skipped with a warning, and the pure-Python compressor gives the
    same output as this checkout."""
    src = tmp_path / "src"
    shutil.copytree(dists["src"], src, ignore=shutil.ignore_patterns(*JUNK, "*.egg-info", "*.so", "*.pyd"))
    out = tmp_path / "dist"
    p = _run([sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(out), str(src)],
             cwd=tmp_path, env=dict(_env(), CC="false"))
    assert "_flate" in p.stdout + p.stderr and "failed" in p.stdout + p.stderr  # the warning
    wheel, = out.glob("butane_py-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert C_EXTENSION not in zf.namelist()
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], cwd=tmp_path)
    py = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps", "--no-index",
          "--disable-pip-version-check", str(wheel)], cwd=tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    p = _run([str(py), "-c", "from butane_py._go import flate; print(flate.BACKEND, flate.__file__)"], cwd=work)
    backend, where = p.stdout.split()
    assert backend == "python" and Path(where).is_relative_to(venv), p.stdout
    (work / "gzip.bu").write_text(GZIP_BU)
    p = _run([str(venv / "bin" / "butane-py"), "gzip.bu"], cwd=work)
    here = _run([sys.executable, "-m", "butane_py", "gzip.bu"], cwd=work, env=dict(_env(), PYTHONPATH=str(ROOT)))
    assert p.stdout == here.stdout
    assert json.loads(p.stdout)["storage"]["files"][0]["contents"]["compression"] == "gzip"


@needs_tools
def test_tests_run_from_the_unpacked_sdist(dists, tmp_path) -> None:
    """No ../shared beside it: the project's own fixtures suffice, the corpora skip in one line."""
    with tarfile.open(dists["sdist"]) as tar:
        tar.extractall(tmp_path, filter="data")
    top, = tmp_path.iterdir()
    assert not (top.parent / "shared").exists()
    p = _run([sys.executable, "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider",
              # third-party fixtures (stream metadata, initrds), schemas, and the corpora that skip
              "tests/test_images.py", "tests/test_initrd.py", "tests/test_schemas.py",
              "tests/test_ignition_conformance.py", "tests/test_butane_conformance.py"], cwd=top, timeout=600)
    skips = [line for line in p.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skips) == 1 and "../shared/conformance not found" in skips[0], skips
    assert " passed" in p.stdout.splitlines()[-1]


def test_only_the_conformance_corpora_come_from_shared() -> None:
    """Tests read the project's own fixtures, and the corpora only behind need_conformance()
    (which skips them in one line), so that a clone alone runs every other test."""
    for path in (ROOT / "tests").glob("test_*.py"):
        if path.name == "test_packaging.py":
            continue
        text = path.read_text()
        assert "SHARED" not in text, f"{path.name} reads ../shared directly"
        assert "CONFORMANCE" not in text or "need_conformance(" in text, f"{path.name} needs the corpora"


HELP = [["--help"], ["validate", "--help"], ["check", "--help"], ["schema", "--help"], ["images", "--help"],
        ["embed", "--help"], ["iso", "--help"], ["iso", "kargs", "--help"], ["pxe", "--help"], ["download", "--help"]]


@pytest.mark.parametrize("args", HELP, ids=" ".join)
def test_help_never_crashes(args) -> None:
    """Smoke test of the installed typer (run by .ci/run with the lowest allowed versions too)."""
    p = subprocess.run([sys.executable, "-m", "butane_py", *args], capture_output=True, text=True, timeout=60,
                       env=dict(_env(), PYTHONPATH=str(ROOT)), stdin=subprocess.DEVNULL)
    assert "Traceback" not in p.stderr, p.stderr
    assert p.returncode in (0, 2), (p.returncode, p.stderr)
    assert "Usage" in p.stdout + p.stderr


@pytest.mark.parametrize("args", [["validate", "--nonsense"], ["validate", "--format", "yaml", "x.ign"],
                                  ["images", "nonsense"], ["--files-dir"]])
def test_usage_error_is_one_clean_message(args) -> None:
    p = subprocess.run([sys.executable, "-m", "butane_py", *args], capture_output=True, text=True, timeout=60,
                       env=dict(_env(), PYTHONPATH=str(ROOT)), stdin=subprocess.DEVNULL)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr and "Error" in p.stderr, p.stderr


def test_runtime_dependencies_are_what_the_code_imports() -> None:
    """Every runtime dependency is imported by butane_py/, and every third-party import is declared."""
    import ast
    import tomllib

    declared = {}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for req in pyproject["project"]["dependencies"]:
        name = req.split(";")[0]
        for sep in "<>=!~[ ":
            name = name.split(sep)[0]
        declared[name.lower()] = req
    # Distribution name -> the top-level modules that need it. ruamel.yaml.clib's module imports
    # ruamel.yaml itself without declaring it, so ruamel.yaml is needed through it.
    modules = {"ruamel.yaml": {"_ruamel_yaml"}, "ruamel.yaml.clib": {"_ruamel_yaml"}, "libpass": {"passlib"}}
    probe = "import sys, _ruamel_yaml; print('ruamel.yaml' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "True"
    imported = set()
    for path in (ROOT / "butane_py").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                imported.add(node.module.split(".")[0])
    provided = {dist: modules.get(dist, {dist}) for dist in declared}
    unused = [dist for dist, mods in provided.items() if not mods & imported]
    assert not unused, f"declared but never imported by butane_py/: {unused}"
    third_party = {m for m in imported if m not in sys.stdlib_module_names and m != "butane_py"}
    undeclared = third_party - set().union(*provided.values())
    assert not undeclared, f"imported but not declared: {sorted(undeclared)}"


def _tree(n):
    from butane_py._go.yaml import NODE_MAP, SEQ

    if n.kind is NODE_MAP:
        kids = [_tree(x) for kv in n.value for x in kv]
    elif n.kind is SEQ:
        kids = [_tree(x) for x in n.value]
    else:
        kids = n.value
    return (n.kind, n.tag, n.style, n.line, n.column, n.anchor, kids)


def test_installed_clib_drives_the_fast_yaml_path() -> None:
    """The ruamel.yaml.clib series pinned in pyproject.toml still parses for _goyaml's fast path."""
    import _ruamel_yaml
    import ruamel.yaml.events

    from butane_py._go import yaml as _goyaml

    data = b"a: &x [1, '2', \"3\", {k: *x}]\nb: {<<: *x}\nc: |\n  lit\nd: >-\n  fold\n" * 3
    assert _goyaml._fast_ok(data)
    assert _tree(_goyaml._parse_fast(data)) == _tree(_goyaml._parse_slow(data))
    assert _ruamel_yaml.ScalarEvent is ruamel.yaml.events.ScalarEvent  # ruamel's own classes are back


def test_fast_yaml_path_is_safe_across_threads() -> None:
    """Parsing in many threads at once gives the right trees and leaves ruamel's module as it was."""
    import threading

    import _ruamel_yaml
    import ruamel.yaml.events

    from butane_py._go import yaml as _goyaml

    data = b"".join(b"k%d: [a, {b: c}, 'd']\n" % i for i in range(400))
    want = _tree(_goyaml._parse_slow(data))
    wrong = []

    def work():
        for _ in range(10):
            try:
                got = _tree(_goyaml._parse_fast(data))
            except _goyaml._NeedSlow:
                got = "fell back to the slow path"
            if got != want:
                wrong.append(got if isinstance(got, str) else "different tree")

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong, wrong[:3]
    for name in _goyaml._EVENT_STANDINS:
        assert getattr(_ruamel_yaml, name) is getattr(ruamel.yaml.events, name), name
