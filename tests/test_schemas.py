"""The checked-in JSON Schemas match the code, and admit every config the validator accepts."""

from __future__ import annotations

import json

import jsonschema
import pytest

from butane_py.ignition import VERSIONS, parse_config
from butane_py.butane._jsonschema import all_butane_schemas, butane_schema
from butane_py.ignition._jsonschema import all_schemas, schema_for

from .conftest import CONFORMANCE, ROOT, need_conformance

CASES = CONFORMANCE / "ignition" / "cases"


SCHEMAS = {**all_schemas(), **all_butane_schemas()}


@pytest.mark.parametrize("rel", sorted(SCHEMAS))
def test_checked_in_schema_matches_code(rel: str) -> None:
    text = SCHEMAS[rel]
    path = ROOT / "schemas" / rel
    assert path.exists(), f"{rel} missing: run scripts/gen_schemas.py"
    assert path.read_text() == text, f"{rel} drifted: run scripts/gen_schemas.py"


def test_every_version_has_a_schema() -> None:
    assert sorted(all_schemas()) == sorted(f"ignition/{v}.json" for v in VERSIONS)
    from butane_py.butane._variants import REGISTRY

    assert sorted(all_butane_schemas()) == sorted(f"butane/{a}/{b}.json" for a, b in REGISTRY)


def test_butane_schemas_include_extensions() -> None:
    from butane_py.butane._variants import REGISTRY

    for variant, version in REGISTRY:
        props = butane_schema(variant, version)["properties"]
        assert {"sysctl", "sysctl_file", "networkmanager"} <= set(props), (variant, version)


def test_butane_schema_catches_unknown_keys_and_types() -> None:
    v = jsonschema.Draft202012Validator(butane_schema("fcos", "1.5.0"))
    assert v.is_valid({"variant": "fcos", "version": "1.5.0", "storage": {"files": [{"path": "/a", "mode": 420}]}})
    assert not v.is_valid({"variant": "fcos", "version": "1.5.0", "storage": {"filez": []}})
    assert not v.is_valid({"variant": "fcos", "version": "1.5.0", "storage": {"files": [{"mode": "0644"}]}})
    assert not v.is_valid({"variant": "fcos", "version": "1.4.0"})


def test_accepted_conformance_configs_pass_their_schema() -> None:
    need_conformance()
    validators = {}
    checked = 0
    for path in sorted(CASES.glob("*.ign")):
        data = path.read_bytes()
        result = parse_config(data)
        if not result.ok:
            continue
        if _has_duplicate_keys(data):
            continue  # JSON Schema's data model has no duplicate keys to merge
        version = result.spec.version
        if version not in validators:
            validators[version] = jsonschema.Draft202012Validator(schema_for(version))
        errors = list(validators[version].iter_errors(json.loads(data)))
        assert not errors, f"{path.name}: {errors[0].message}"
        checked += 1
    assert checked > 500


def _has_duplicate_keys(data: bytes) -> bool:
    dup = False

    def hook(pairs):
        nonlocal dup
        dup = dup or len({k for k, _ in pairs}) != len(pairs)
        return dict(pairs)

    json.loads(data, object_pairs_hook=hook)
    return dup


def test_schema_rejects_wrong_types() -> None:
    validator = jsonschema.Draft202012Validator(schema_for("3.4.0"))
    assert not validator.is_valid({"ignition": {"version": "3.4.0"}, "storage": {"files": [{"mode": "0644"}]}})
    assert not validator.is_valid({"ignition": {"version": "3.3.0"}})
    assert validator.is_valid({"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "/a", "mode": None}]}})


def test_warning_free_corpus_configs_pass_their_butane_schema() -> None:
    """Every config the reference translates without a warning fits its Butane schema."""
    import os

    from ruamel.yaml import YAML

    need_conformance()
    cases = CONFORMANCE / "butane" / "cases"
    loader = YAML(typ="safe", pure=True)
    validators: dict = {}
    checked = 0
    for path in sorted(cases.glob("*.bu")):
        base = str(path)[:-3]
        if (cases / f"{path.stem}.rc").read_text().strip() != "0" or os.path.exists(base + ".stderr"):
            continue
        doc = loader.load(path.read_bytes().decode("utf-8-sig"))
        key = (doc["variant"], str(doc["version"]))
        if key not in validators:
            validators[key] = jsonschema.Draft202012Validator(butane_schema(*key))
        errors = list(validators[key].iter_errors(doc))
        assert not errors, f"{path.name}: {errors[0].message[:200]}"
        checked += 1
    assert checked > 600


def test_schema_command_prints_the_checked_in_files() -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(ROOT))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "butane_py", "schema", *args], capture_output=True,
                              text=True, env=env, timeout=60)

    p = run("--variant", "fcos", "--version", "1.6.0")
    assert p.returncode == 0
    assert p.stdout == (ROOT / "schemas" / "butane" / "fcos" / "1.6.0.json").read_text()
    p = run("--ignition", "3.5.0")
    assert p.stdout == (ROOT / "schemas" / "ignition" / "3.5.0.json").read_text()
    assert run("--variant", "fcos", "--version", "9.9.9").returncode == 1
    assert run().returncode == 2
