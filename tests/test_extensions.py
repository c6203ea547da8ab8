"""butane-py's own sections: sysctl and networkmanager.

The examples of docs/extensions.md are golden files: their Ignition is checked by our
validator and every generated keyfile parses back as an INI file. Each error case has
its expected report (positions included) as a file.
"""

from __future__ import annotations

import base64
import configparser
import gzip
import json
import urllib.parse

import pytest

from butane_py import butane, ignition

from .conftest import ROOT

FIX = ROOT / "fixtures" / "extensions"
EXAMPLES = sorted(p.stem for p in FIX.glob("*.bu"))
ERRORS = sorted(p.stem for p in (FIX / "errors").glob("*.bu"))
DOCS = (ROOT / "docs" / "extensions.md").read_text()


def decode(source: str) -> bytes:
    head, _, data = source[len("data:"):].partition(",")
    raw = base64.b64decode(data) if head.endswith(";base64") else urllib.parse.unquote_to_bytes(data)
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


@pytest.mark.parametrize("name", EXAMPLES)
def test_example(name: str) -> None:
    source = (FIX / f"{name}.bu").read_text()
    assert source.strip() in DOCS, f"docs/extensions.md must show {name}.bu verbatim"
    result = butane.translate(source, pretty=True)
    assert result.ok, result.error
    assert not result.report.entries, str(result.report)
    assert json.loads(result.output) == json.loads((FIX / f"{name}.ign").read_text())
    assert not ignition.validate(result.output).is_fatal
    files = json.loads(result.output)["storage"]["files"]
    for f in files:
        data = decode(f["contents"]["source"]).decode()
        if f["path"].endswith(".nmconnection"):
            assert f["mode"] == 0o600
            ini = configparser.ConfigParser(interpolation=None)
            ini.read_string(data)
            assert ini["connection"]["id"] == f["path"].rsplit("/", 1)[1][: -len(".nmconnection")]
            assert ini["connection"]["type"] in ("ethernet", "bond", "bridge", "vlan", "team")
            if "master" not in ini["connection"]:
                assert ini["ipv4"]["method"] in ("auto", "manual", "disabled")
        else:
            assert f["mode"] == 0o644


def test_static_ip_keyfile_contents() -> None:
    result = butane.translate((FIX / "static-ip.bu").read_text())
    files = {f["path"]: decode(f["contents"]["source"]).decode() for f in json.loads(result.output)["storage"]["files"]}
    ini = configparser.ConfigParser(interpolation=None)
    ini.read_string(files["/etc/NetworkManager/system-connections/ens2.nmconnection"])
    assert ini["ipv4"]["address1"] == "192.0.2.10/24,192.0.2.1"
    assert ini["ipv4"]["dns"] == "192.0.2.53;192.0.2.54;"
    assert ini["ipv6"]["method"] == "disabled"
    assert files["/etc/hostname"] == "node1.example.com\n"


def test_sysctl_sorted_and_named() -> None:
    result = butane.translate((FIX / "sysctl.bu").read_text())
    [f] = json.loads(result.output)["storage"]["files"]
    assert f["path"] == "/etc/sysctl.d/80-tuning.conf"
    lines = decode(f["contents"]["source"]).decode().splitlines()
    assert lines == sorted(lines) and "vm.swappiness = 10" in lines


@pytest.mark.parametrize("name", ERRORS)
def test_error_case(name: str) -> None:
    result = butane.translate((FIX / "errors" / f"{name}.bu").read_text())
    expected = (FIX / "errors" / f"{name}.stderr").read_text().splitlines()
    got = [str(e) for e in result.report]
    if result.error:
        got.append(f"Error translating config: {result.error}")
    assert got == expected
    assert (0 if result.ok else 1) == int((FIX / "errors" / f"{name}.rc").read_text())


def test_off_switch_restores_reference_behaviour() -> None:
    source = (FIX / "static-ip.bu").read_text()
    result = butane.translate(source, extensions=False)
    assert result.ok
    assert json.loads(result.output) == {"ignition": {"version": "3.4.0"}}
    assert [(e.kind, e.json_path, e.message) for e in result.report] == [
        ("warning", "$.networkmanager", "unused key networkmanager")
    ]
