"""Merge and upward translation against golden files produced by the reference library."""

from __future__ import annotations

import json

import pytest

from butane_py import ignition

from .conftest import ROOT

FIX = ROOT / "fixtures" / "ignition"
MERGES = sorted(p.name for p in (FIX / "merge").iterdir())
TRANSLATES = sorted(p.name[: -len(".in.json")] for p in (FIX / "translate").glob("*.in.json"))


def decoded(data: bytes):
    result = ignition.parse_config(data)
    assert result.ok, str(result.report)
    return result


@pytest.mark.parametrize("name", MERGES)
def test_merge(name: str) -> None:
    d = FIX / "merge" / name
    parent = decoded((d / "parent.ign").read_bytes())
    child = decoded((d / "child.ign").read_bytes())
    transcript = ignition.Transcript()
    merged = ignition.merge(parent.config, child.config, parent.spec.version, transcript)
    expected = json.loads((d / "expected.json").read_text())
    assert json.loads(ignition.to_json(merged, parent.spec.version)) == expected
    assert transcript.mappings, "a merge always records where values came from"
    # Every result path in the transcript exists in the result.
    for m in transcript.mappings:
        node = merged
        for elem in m.to_path:
            node = node[elem]


def test_merge_transcript_sources() -> None:
    parent = decoded(b'{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/a","mode":420}]}}')
    child = decoded(b'{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/b"},{"path":"/a","overwrite":false}]}}')
    t = ignition.Transcript()
    ignition.merge(parent.config, child.config, "3.4.0", t)
    pairs = {(m.source, m.from_path, m.to_path) for m in t.mappings}
    assert ("parent", ("storage", "files", 0, "mode"), ("storage", "files", 0, "mode")) in pairs
    assert ("child", ("storage", "files", 1, "overwrite"), ("storage", "files", 0, "overwrite")) in pairs
    assert ("child", ("storage", "files", 0, "path"), ("storage", "files", 1, "path")) in pairs


@pytest.mark.parametrize("name", TRANSLATES)
def test_translate(name: str) -> None:
    doc = json.loads((FIX / "translate" / f"{name}.in.json").read_text())
    src = decoded(json.dumps(doc["config"]).encode())
    out = ignition.translate(src.config, src.spec.version, doc["to"])
    expected = json.loads((FIX / "translate" / f"{name}.out.json").read_text())
    assert json.loads(ignition.to_json(out, doc["to"])) == expected
    # The translated config is valid at its new version.
    assert ignition.validate(ignition.to_json(out, doc["to"])).is_fatal is False


def test_translate_refuses_downgrade() -> None:
    with pytest.raises(ValueError):
        ignition.translate({}, "3.4.0", "3.2.0")
