"""JSON Schemas (draft 2020-12) of the Butane variants and versions, for editors.

They describe each variant's fields and no others, with the scalar types yaml.v3 accepts for
each Go type; the rules stay the translator's job.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any

from ..ignition._jsonschema import SCHEMA_URL
from ..ignition._spec import NAMED_STRINGS
from ._pipeline import variant_structs
from ._variants import REGISTRY

_YAML11_BOOLS = [
    v for w in ("yes", "no", "on", "off", "y", "n", "true", "false") for v in (w, w.capitalize(), w.upper())
]

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


def render_butane(variant: str, version: str) -> str | None:
    """The schema as checked in under ``schemas/``, or None for an unknown variant or version."""
    if (variant, version) not in REGISTRY:
        return None
    return json.dumps(butane_schema(variant, version), indent=2) + "\n"


def all_butane_schemas() -> dict[str, str]:
    return {
        f"butane/{variant}/{version}.json": render_butane(variant, version)  # type: ignore[misc]
        for variant, version in sorted(REGISTRY)
    }
