"""JSON Schemas (draft 2020-12) generated from the spec definitions.

They describe structure and types, as editors need. They admit everything the validator
accepts: ``null`` is allowed anywhere and unknown keys are only warnings, so they are
allowed too. Semantic rules (paths, URLs, duplicates…) stay the validator's job.
"""

from __future__ import annotations

import json
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


def schema_for(version: str) -> dict[str, Any]:
    return schema(BY_VERSION[version])


_YAML11_BOOLS = [
    v for w in ("yes", "no", "on", "off", "y", "n", "true", "false") for v in (w, w.capitalize(), w.upper())
]

# -- Butane schemas -----------------------------------------------------------------------

def _butane_type(expr: str) -> dict[str, Any]:
    if expr.startswith("*"):
        inner = _butane_type(expr[1:])
        return inner
    if expr.startswith("[]"):
        return {"type": ["array", "null"], "items": _butane_type(expr[2:])}
    if expr == "HTTPHeaders":
        return _butane_type("[]HTTPHeader")
    if expr == "map[string]string":
        return {"type": ["object", "null"], "additionalProperties": {"type": ["string", "number", "boolean"]}}
    if expr == "map[string]any":
        return {"type": ["object", "null"], "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
    from ._spec import NAMED_STRINGS

    # Butane reads YAML as Go's yaml.v3 does, by the field's type: any scalar fills a
    # string, and YAML 1.1's yes/no/on/off fill a boolean.
    if expr == "string" or expr in NAMED_STRINGS:
        return {"type": ["string", "number", "boolean", "null"]}
    if expr == "bool":
        return {"anyOf": [{"type": ["boolean", "null"]}, {"enum": _YAML11_BOOLS}]}
    if expr == "int":
        return {"type": ["integer", "null"]}
    return {"anyOf": [{"$ref": f"#/$defs/{expr}"}, {"type": "null"}]}


def butane_schema(variant: str, version: str) -> dict[str, Any]:
    """The schema of a Butane variant and version: its fields, and no others."""
    from ..butane._pipeline import variant_structs
    from ..butane._variants import REGISTRY

    structs = variant_structs(REGISTRY[(variant, version)])
    defs = {
        name: {
            "type": "object",
            "properties": {f: _butane_type(t) for f, t in fields},
            "additionalProperties": False,
        }
        for name, fields in sorted(structs.items())
    }
    root = dict(defs.pop("Config"))
    root["properties"]["variant"] = {"const": variant}
    root["properties"]["version"] = {"const": version}
    root["required"] = ["variant", "version"]
    return {
        "$schema": SCHEMA_URL,
        "$id": f"https://butane-py.invalid/schemas/butane/{variant}/{version}.json",
        "title": f"Butane config, {variant} {version}",
        **root,
        "$defs": defs,
    }


def all_butane_schemas() -> dict[str, str]:
    from ..butane._variants import REGISTRY

    return {
        f"butane/{variant}/{version}.json": json.dumps(butane_schema(variant, version), indent=2) + "\n"
        for variant, version in sorted(REGISTRY)
    }
