"""The coreos-installer fixture ISOs, decompressed once per test session."""

from __future__ import annotations

import lzma
import shutil
from pathlib import Path

from .conftest import THIRD_PARTY

ISO_DIR = THIRD_PARTY / "coreos-installer" / "iso"
LIVE_ISOS = sorted(p.name[: -len(".xz")] for p in ISO_DIR.glob("embed-areas-*.iso.xz"))
# Layouts with kernel-argument areas (2020-09 has none; s390x gained them in 2023-07).
KARGS_ISOS = [n for n in LIVE_ISOS if "2020-09" not in n and "2023-03.s390x" not in n]
NETWORK_ISOS = [n for n in LIVE_ISOS if n >= "embed-areas-2021-12"]

_cache: dict[str, Path] = {}


def pristine(name: str, tmp_root: Path) -> Path:
    """The decompressed fixture (shared, never written)."""
    if name not in _cache:
        out = tmp_root / name
        out.write_bytes(lzma.decompress((ISO_DIR / (name + ".xz")).read_bytes()))
        out.chmod(0o444)
        _cache[name] = out
    return _cache[name]


def working_copy(name: str, tmp_root: Path, dest: Path) -> Path:
    target = dest / name
    shutil.copyfile(pristine(name, tmp_root), target)
    return target
