"""The package is layered: each layer imports only from the layers below it.

    cli (commands by area, typer app, fast entry)            top: may import anything
    embed, mirror    images ← fetch                          beside translation
    butane ← ignition ← _go                                  translation
    errors, report, io                                       foundation

Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "butane_py"

# layer -> the layers it may import from (besides itself)
ALLOWED: dict[str, set[str]] = {
    "report": set(),
    "errors": {"report"},
    "io": {"errors", "report"},
    "passwords": {"errors"},
    "_go": {"report"},  # report.Key only: JSON paths are located by key
    "ignition": {"_go", "errors", "report", "io"},
    "butane": {"ignition", "_go", "errors", "report", "io"},
    "fetch": {"errors", "report", "io"},
    "images": {"fetch", "errors", "report", "io"},
    "embed": {"images", "fetch", "errors", "report", "io"},
    "mirror": {"images", "fetch", "errors", "report", "io"},
    "models": {"butane", "ignition", "report", "errors", "_go"},
}
TOP = {"cli", "__main__", "__init__"}


def _layer(parts: tuple[str, ...]) -> str:
    """The layer of a module given as its parts below butane_py."""
    return parts[0].removesuffix(".py") if parts else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    rel = path.relative_to(PACKAGE).with_suffix("").parts
    package = rel[:-1] if rel[-1] != "__init__" else rel[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package)[: len(package) - (node.level - 1)] if node.level > 1 else list(package)
                target = base + (node.module.split(".") if node.module else [])
                if not target:  # "from .. import x": x is a layer of its own
                    found += [(node.lineno, alias.name) for alias in node.names]
                    continue
                found.append((node.lineno, target[0]))
            elif node.module and node.module.split(".")[0] == "butane_py":
                parts = node.module.split(".")[1:]
                names = [parts[0]] if parts else [a.name for a in node.names]
                found += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "butane_py" and len(parts) > 1:
                    found.append((node.lineno, parts[1]))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    for path in MODULES:
        layer = _layer(path.relative_to(PACKAGE).parts)
        assert layer in ALLOWED or layer in TOP, f"{path.relative_to(PACKAGE)}: add its layer to ALLOWED"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    layer = _layer(path.relative_to(PACKAGE).parts)
    if layer in TOP:
        return
    wrong = [
        f"{path.relative_to(PACKAGE)}:{line} imports {target}"
        for line, target in _imports(path)
        if target != layer and target not in ALLOWED[layer]
    ]
    assert not wrong, f"{layer} may import only from {sorted(ALLOWED[layer])}: " + "; ".join(wrong)
