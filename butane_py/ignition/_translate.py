"""Upward translation between spec versions, and JSON output.

Most steps only restamp the version; the few that change data follow the reference,
quirks included (3.4 → 3.5 drops Tang advertisements; 3.5 → 3.6 clears special mode bits).
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Callable

from ._spec import BY_VERSION, SPECS, FieldType, Spec


def _each(items: Any):
    return items or ()


def _to_3_1(cfg: dict) -> None:
    for ca in _each(cfg.get("ignition", {}).get("security", {}).get("tls", {}).get("certificateAuthorities")):
        ca.setdefault("source", "")  # a plain string became a pointer


def _to_3_3(cfg: dict) -> None:
    storage = cfg.get("storage", {})
    for raid in _each(storage.get("raid")):
        raid.setdefault("level", "")
    for link in _each(storage.get("links")):
        link.setdefault("target", "")
    for luks in _each(storage.get("luks")):
        clevis = luks.get("clevis")
        if clevis is None:
            luks.pop("clevis", None)
            continue
        custom = clevis.get("custom")
        if custom is None:
            clevis.pop("custom", None)
        else:
            custom.setdefault("config", "")
            custom.setdefault("pin", "")


def _to_3_5(cfg: dict) -> None:
    for luks in _each(cfg.get("storage", {}).get("luks")):
        for tang in _each(luks.get("clevis", {}).get("tang")):
            tang.pop("advertisement", None)


def _to_3_6(cfg: dict) -> None:
    storage = cfg.get("storage", {})
    for kind in ("files", "directories"):
        for node in _each(storage.get(kind)):
            if node.get("mode") is not None:
                node["mode"] &= ~0o7000


STEPS: dict[str, Callable[[dict], None]] = {"3.1.0": _to_3_1, "3.3.0": _to_3_3, "3.5.0": _to_3_5, "3.6.0": _to_3_6}


def translate(config: dict, from_version: str, to_version: str) -> dict:
    """Translate a decoded config from one spec version up to a later one (a deep copy)."""
    order = [s.version for s in SPECS]
    try:
        start, end = order.index(from_version), order.index(to_version)
    except ValueError as exc:
        raise ValueError(f"unknown spec version: {exc}") from None
    if end < start:
        raise ValueError(f"cannot translate down from {from_version} to {to_version}")
    out = json.loads(json.dumps(config))
    for version in order[start + 1 : end + 1]:
        step = STEPS.get(version)
        if step is not None:
            step(out)
    out.setdefault("ignition", {})["version"] = to_version
    return out


def to_json_value(config: dict, version: str) -> dict:
    """Order fields as the reference does and drop unset, empty and all-zero values."""
    spec = BY_VERSION[version]
    return _struct(spec, "Config", config) or {}


def _struct(spec: Spec, name: str, v: dict) -> dict | None:
    out: dict = {}
    for fname, ft in spec.compiled[name].fields:
        x = json_value(spec, ft, v.get(fname))
        if x is not None:
            out[fname] = x
    return out or None


def json_value(spec: Spec, ft: FieldType, v: Any) -> Any:
    """A decoded value of type ``ft`` as the reference writes it; None when it is omitted."""
    if v is None:
        return None
    if ft.kind == "struct":
        return _struct(spec, ft.struct, v)  # type: ignore[arg-type]
    if ft.kind == "list":
        if not v:
            return None
        item: FieldType = ft.item  # type: ignore[assignment]
        return [(json_value(spec, item, x) if item.kind == "struct" else x) or ({} if item.kind == "struct" else x) for x in v]
    if not ft.pointer and not v:
        return None
    return v
