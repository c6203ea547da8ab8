"""The typed models (butane_py.models) agree with the spec data: the checked-in modules are what
the generator writes, every accepted corpus config loads and dumps back, and the models' JSON
Schemas have the properties of the checked-in schemas (differences: docs/models.md)."""

from __future__ import annotations

import json
import os

import pydantic
import pytest

from butane_py import models
from butane_py.butane._jsonschema import butane_schema
from butane_py.butane._variants import REGISTRY
from butane_py.ignition import VERSIONS, parse_config
from butane_py.ignition._jsonschema import schema_for
from butane_py.models._generate import HERE, generate

from .conftest import CONFORMANCE, ROOT, need_conformance

GENERATED = generate()
_YAML11 = {w: b for b, words in ((True, ("yes", "on", "y", "true")), (False, ("no", "off", "n", "false")))
           for w in words}


def test_checked_in_models_match_the_generator() -> None:
    for name, text in GENERATED.items():
        path = HERE / name
        assert path.exists() and path.read_text() == text, f"{name} drifted: run python -m butane_py.models._generate"
    on_disk = {p.name for p in HERE.glob("*.py")} - {"__init__.py", "_base.py", "_generate.py"}
    assert on_disk == set(GENERATED), "stale model modules"


def test_every_variant_version_and_spec_has_a_model() -> None:
    from butane_py.models._modules import BUTANE, IGNITION

    assert set(BUTANE) == set(REGISTRY)
    assert tuple(IGNITION) == VERSIONS
    assert BUTANE[("fcos", "1.6.0")] == "fcos_1_6" and IGNITION["3.7.0-experimental"] == "ignition_3_7_exp"


def test_keys_that_cannot_be_attributes_get_aliases() -> None:
    from butane_py.models._generate import _attr

    assert _attr("password_hash") == ("password_hash", "")
    assert _attr("sizeMiB") == ("sizeMiB", "")
    assert _attr("class") == ("class_", "class")
    assert _attr("x-y") == ("x_y_", "x-y")
    assert _attr("translate") == ("translate_", "translate")


def _same(orig, dumped) -> bool:
    """``dumped`` is ``orig`` read as the model reads it: nulls left out, scalars given for a
    string field as their text, YAML 1.1 bool words as bools."""
    if isinstance(orig, dict):
        orig = {k: v for k, v in orig.items() if v is not None}
        return isinstance(dumped, dict) and orig.keys() == dumped.keys() and all(
            _same(v, dumped[k]) for k, v in orig.items())
    if isinstance(orig, list):
        return isinstance(dumped, list) and len(orig) == len(dumped) and all(map(_same, orig, dumped))
    if isinstance(dumped, str) and not isinstance(orig, str):
        return dumped == (str(orig).lower() if isinstance(orig, bool) else str(orig))
    if isinstance(dumped, bool) and isinstance(orig, str):
        return _YAML11.get(orig.lower()) is dumped
    return type(orig) is type(dumped) and orig == dumped


def _load_butane(path):
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(path.read_bytes().decode("utf-8-sig"))


def _round_trip(doc: dict, name: str) -> None:
    cls = models.butane_config(doc["variant"], str(doc["version"]))
    model = cls.model_validate(doc)
    assert _same(doc, model.to_dict()), name
    assert cls.model_validate(model.to_dict()) == model, name


def test_warning_free_butane_corpus_configs_round_trip() -> None:
    need_conformance()
    cases = CONFORMANCE / "butane" / "cases"
    checked = 0
    for path in sorted(cases.glob("*.bu")):
        if (cases / f"{path.stem}.rc").read_text().strip() != "0" or os.path.exists(str(path)[:-3] + ".stderr"):
            continue  # refused, or warned (unknown keys are warnings in Butane and errors in the models)
        _round_trip(_load_butane(path), path.name)
        checked += 1
    assert checked > 600


def _without_nulls(doc):
    if isinstance(doc, dict):
        return {k: _without_nulls(v) for k, v in doc.items() if v is not None}
    return [_without_nulls(v) for v in doc] if isinstance(doc, list) else doc


def test_models_translate_the_butane_corpus_as_its_yaml_does() -> None:
    """Decoded as Butane decodes YAML (into generic values), loaded into its model and written
    back as YAML, every warning-free corpus config translates to the same Ignition; except where
    a non-string scalar fills a string field (``gecos: True``), whose YAML spelling generic
    values do not keep (the model writes ``true``)."""
    import butane_py
    from butane_py._go.types import ANY_T
    from butane_py._go.yaml import unmarshal
    import importlib.util

    need_conformance()
    # The corpus's files directory with its symbolic links restored, as the conformance test has it.
    spec = importlib.util.spec_from_file_location("conformance_check", CONFORMANCE / "check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    files = check.restore_links(str(CONFORMANCE / "butane" / "files"), str(CONFORMANCE / "butane" / "links.txt"))
    cases = CONFORMANCE / "butane" / "cases"
    same = respelled = 0
    for path in sorted(cases.glob("*.bu")):
        if (cases / f"{path.stem}.rc").read_text().strip() != "0" or os.path.exists(str(path)[:-3] + ".stderr"):
            continue
        doc = unmarshal(path.read_bytes(), ANY_T)
        model = models.butane_config(doc["variant"], doc["version"]).model_validate(doc)
        got = model.translate(files_dir=files)
        if got.output == butane_py.translate(path.read_bytes(), files_dir=files).output and not got.report.entries:
            same += 1
        else:
            assert _without_nulls(doc) != model.to_dict(), path.name  # a scalar was respelled
            respelled += 1
    assert same > 600 and respelled < 20, (same, respelled)


@pytest.mark.parametrize("path", sorted((ROOT / "fixtures").glob("[ed]*/*.bu")), ids=lambda p: p.name)
def test_fixture_configs_round_trip(path) -> None:
    _round_trip(_load_butane(path), path.name)


def test_accepted_ignition_corpus_configs_round_trip() -> None:
    need_conformance()
    checked = 0
    for path in sorted((CONFORMANCE / "ignition" / "cases").glob("*.ign")):
        data = path.read_bytes()
        result = parse_config(data)
        if not result.ok or result.report.entries or _has_duplicate_keys(data):
            continue
        doc = json.loads(data)
        model = models.ignition_config(result.spec.version).model_validate(doc)
        assert _same(doc, model.to_dict()), path.name
        checked += 1
    assert checked > 400


def _has_duplicate_keys(data: bytes) -> bool:
    dup = False

    def hook(pairs):
        nonlocal dup
        dup = dup or len({k for k, _ in pairs}) != len(pairs)
        return dict(pairs)

    json.loads(data, object_pairs_hook=hook)
    return dup


# Required in the checked-in schemas, filled in by default in the models (docs/models.md).
DEFAULTED = {"variant", "version", "ignition"}


def _shape(schema: dict) -> dict[str, tuple[set, set]]:
    """``{object: (property names, required)}``, the root as ``Config``."""
    defs = {name: d for name, d in schema.get("$defs", {}).items()}
    defs["Config"] = schema
    return {name: (set(d["properties"]), set(d.get("required", ()))) for name, d in defs.items()}


def _compare(model_schema: dict, checked_in: dict) -> None:
    ours, theirs = _shape(model_schema), _shape(checked_in)
    assert set(ours) <= set(theirs)
    for name, (props, required) in ours.items():
        assert props == theirs[name][0], name
        assert required == theirs[name][1] - DEFAULTED, name


@pytest.mark.parametrize("key", sorted(REGISTRY), ids="-".join)
def test_butane_models_have_the_schemas_properties(key) -> None:
    schema = butane_schema(*key)
    _compare(models.butane_config(*key).model_json_schema(), schema)


@pytest.mark.parametrize("version", VERSIONS)
def test_ignition_models_have_the_schemas_properties(version) -> None:
    _compare(models.ignition_config(version).model_json_schema(), schema_for(version))


def test_models_build_translate_and_report_butane_paths() -> None:
    import butane_py
    from butane_py.models import fcos_1_6

    cfg = fcos_1_6.Config(
        passwd=fcos_1_6.Passwd(users=[fcos_1_6.PasswdUser(name="core", password_hash="$y$x")]),
        storage=fcos_1_6.Storage(files=[fcos_1_6.File(path="/etc/motd", mode=0o644,
                                                      contents=fcos_1_6.Resource(inline="hi\n"))]),
    )
    text = cfg.to_butane()
    assert "variant: fcos" in text and "version: 1.6.0" in text and "password_hash" in text
    result = cfg.translate()
    assert result.ok and result.output == butane_py.translate(text).output
    assert json.loads(result.output)["storage"]["files"][0]["mode"] == 0o644
    with pytest.raises(pydantic.ValidationError) as exc:
        fcos_1_6.Config.model_validate({"storage": {"files": [{"path": "/a", "mode": "0644"}]}, "bogus": 1})
    paths = [p for p, _ in models.butane_paths(exc.value)]
    assert paths == ["$.storage.files.0.mode", "$.bogus"]
    assert models.format_errors(exc.value).startswith("error at $.storage.files.0.mode: ")
    with pytest.raises(pydantic.ValidationError):
        fcos_1_6.Config(variant="flatcar")
    assert fcos_1_6.File.model_fields["mode"].description.startswith("Ignition ``mode``")


def test_ignition_models_are_strict_json() -> None:
    from butane_py.models import ignition_3_5

    cfg = ignition_3_5.Config(storage=ignition_3_5.Storage(files=[ignition_3_5.File(path="/a", mode=420)]))
    assert json.loads(cfg.to_json()) == {"ignition": {"version": "3.5.0"},
                                         "storage": {"files": [{"path": "/a", "mode": 420}]}}
    assert parse_config(cfg.to_json()).ok
    with pytest.raises(pydantic.ValidationError):
        ignition_3_5.File(path=1)


def test_pydantic_loads_with_a_model_module_only() -> None:
    import subprocess
    import sys

    code = ("import sys, butane_py, butane_py.butane, butane_py.models\n"
            "assert 'pydantic' not in sys.modules\n"
            "from butane_py.models import fcos_1_6\n"
            "assert 'pydantic' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
