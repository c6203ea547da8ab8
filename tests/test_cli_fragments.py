"""``butane-py A.bu B.bu ...``: Butane fragments merged at transpile time, as golden cases, and
``butane_py.translate_many`` as the library gives it."""

from __future__ import annotations

import pytest

from butane_py import translate, translate_many
from butane_py.errors import InputError

from .conftest import ROOT
from .test_cli_translate import run

GOLDEN = ROOT / "fixtures" / "cli" / "fragments"


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.args")))
def test_golden(name: str) -> None:
    """NAME.args holds the options and the fragments (files beside it); NAME.stdout, NAME.stderr
    and NAME.rc what the command gives."""
    p = run(*(GOLDEN / f"{name}.args").read_text().split(), cwd=GOLDEN)
    assert p.stderr.decode() == (GOLDEN / f"{name}.stderr").read_text()
    assert p.stdout == (GOLDEN / f"{name}.stdout").read_bytes()
    assert p.returncode == int((GOLDEN / f"{name}.rc").read_text())


def test_one_source_is_a_single_translation() -> None:
    text = (GOLDEN / "warning.bu").read_text()
    single = translate(text, pretty=True)
    many = translate_many([("warning.bu", text)], pretty=True)
    assert (many.output, many.error, many.version) == (single.output, single.error, single.version)
    assert many.fragments == [("warning.bu", single)]


def test_pairs_and_paths() -> None:
    base = (GOLDEN / "base.bu").read_text()
    result = translate_many([("base.bu", base), GOLDEN / "conflict.bu"], strict=False)
    assert result.ok and result.version == "1.5.0" and result.variant == "fcos"
    assert result.output == (GOLDEN / "conflict.stdout").read_text().rstrip("\n")
    conflicts = [(name, e.path, e.line, e.column, e.message) for name, e in result.findings]
    assert conflicts == [
        (str(GOLDEN / "conflict.bu"), ("storage", "files", 0, "contents", "inline"), 8, 17,
         "overrides storage.files[path=/etc/hostname].contents.source of base.bu:17:17"),
        (str(GOLDEN / "conflict.bu"), ("systemd", "units", 0, "enabled"), 12, 16,
         "overrides systemd.units[name=chronyd.service].enabled of base.bu:21:16"),
    ]
    strict = translate_many([("base.bu", base), GOLDEN / "conflict.bu"], strict=True)
    assert strict.output is None and strict.error == "Config produced warnings and --strict was specified"


def test_pairs_embed_no_local_files_without_files_dir() -> None:
    site = (GOLDEN / "site" / "site.bu").read_text()
    assert not translate_many([("site.bu", site), ("b.bu", "variant: fcos\nversion: 1.5.0\n")]).ok
    result = translate_many([("site.bu", site), ("b.bu", "variant: fcos\nversion: 1.5.0\n")],
                            files_dir=str(GOLDEN / "site"))
    assert result.ok and "region%3Deu-west" in result.output


def test_entry_moved_to_a_sibling_list() -> None:
    """A directory replacing a file of the same path: the warning is at the directory."""
    file = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/x\n"
    directory = "variant: fcos\nversion: 1.5.0\nstorage:\n  directories:\n    - path: /etc/x\n"
    result = translate_many([("a.bu", file), ("b.bu", directory)])
    assert result.ok
    [(name, e)] = result.findings
    assert (name, e.path, e.line) == ("b.bu", ("storage", "directories", 0), 5)
    assert e.message == "overrides storage.files[path=/etc/x] of a.bu:5:7"


def test_unreadable_path() -> None:
    with pytest.raises(InputError, match="failed to open nope.bu: open nope.bu: no such file or directory"):
        translate_many(["nope.bu"])


def test_no_sources() -> None:
    with pytest.raises(ValueError):
        translate_many([])


def test_openshift_scalar_override() -> None:
    head = ("variant: openshift\nversion: 4.17.0\nmetadata:\n  name: m\n  labels:\n"
            "    machineconfiguration.openshift.io/role: worker\nopenshift:\n")
    result = translate_many([("a.bu", head + "  kernel_type: realtime\n  extensions: [usbguard]\n"),
                             ("b.bu", head + "  kernel_type: default\n  extensions: [usbguard, kerberos]\n")])
    assert result.ok, result.error
    assert result.output.count("kind: MachineConfig") == 1
    assert "kernelType: default" in result.output and "- usbguard\n    - kerberos" in result.output
    [(name, e)] = result.findings
    assert (name, e.path, e.line) == ("b.bu", ("openshift", "kernel_type"), 8)
    assert e.message == "overrides spec.kernelType of a.bu:8:16"
