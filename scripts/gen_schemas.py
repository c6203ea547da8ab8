#!/usr/bin/env python3
"""Regenerate schemas/ from the spec definitions (a test fails when they drift)."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from butane_py.butane._jsonschema import all_butane_schemas  # noqa: E402
from butane_py.ignition._jsonschema import all_schemas  # noqa: E402


def main() -> None:
    for rel, text in {**all_schemas(), **all_butane_schemas()}.items():
        path = ROOT / "schemas" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
