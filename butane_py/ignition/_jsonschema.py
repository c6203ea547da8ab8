"""JSON Schemas (draft 2020-12) generated from the spec definitions.

They describe structure and types, as editors need. They admit everything the validator
accepts: ``null`` is allowed anywhere and unknown keys are only warnings, so they are
allowed too. Semantic rules (paths, URLs, duplicates…) stay the validator's job.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

from ._spec import BY_VERSION, SPECS, FieldType, Spec

SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"
_JSON_TYPES = {"string": "string", "int": "integer", "bool": "boolean"}


def _type(ft: FieldType) -> dict[str, Any]:
    if ft.kind == "struct":
        return {"anyOf": [{"$ref": f"#/$defs/{ft.struct}"}, {"type": "null"}]}
    if ft.kind == "list":
        return {"type": ["array", "null"], "items": _type(ft.item)}  # type: ignore[arg-type]
    return {"type": [_JSON_TYPES[ft.kind], "null"]}


def schema(spec: Spec) -> dict[str, Any]:
    defs = {}
    for name, st in sorted(spec.compiled.items()):
        defs[name] = {
            "type": "object",
            "properties": {fname: _type(ft) for fname, ft in st.fields},
        }
    root = dict(defs.pop("Config"))
    root["required"] = ["ignition"]
    version_const = {"const": spec.version}
    ignition = defs["Ignition"]
    ignition["properties"]["version"] = {"type": "string", **version_const}
    ignition["required"] = ["version"]
    return {
        "$schema": SCHEMA_URL,
        "$id": f"https://butane-py.invalid/schemas/ignition/{spec.version}.json",
        "title": f"Ignition config, spec {spec.version}",
        **root,
        "$defs": defs,
    }


def render(spec: Spec) -> str:
    return json.dumps(schema(spec), indent=2, sort_keys=False) + "\n"


def all_schemas() -> dict[str, str]:
    """``{relative path: text}`` for every spec, as checked in under ``schemas/``."""
    return {f"ignition/{s.version}.json": render(s) for s in SPECS}


def render_version(version: str) -> str | None:
    """The schema of one spec as checked in, or None for an unknown version."""
    spec = BY_VERSION.get(version)
    return None if spec is None else render(spec)


def schema_for(version: str) -> dict[str, Any]:
    return schema(BY_VERSION[version])
