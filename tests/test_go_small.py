"""Golden tests for the small Go packages in butane_py._go (net/url, dataurl, path, semver, ARNs, strconv.Quote, the systemd unit parser).

Every expected value in fixtures/go/small/ was produced by running the real Go
code (net/url, path, strconv, dataurl v1.0.0, aws arn, go-semver v0.3.1,
go-systemd v22.7.0 as vendored by Ignition, built with go1.27.3 and
ignition's go.mod, i.e. DefaultGODEBUG urlstrictcolons=0).

Inputs longer than a few hundred characters are stored run-length encoded
as ``input_rle``: a list of ``[text, count]`` pairs to concatenate; long
strings in expected unit options use the same ``[[text, count], ...]`` form.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from butane_py._go import arn, dataurl, path, semver, strconv, systemd, url

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "go" / "small"


def _load(name: str) -> list[Any]:
    cases = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert cases, name
    return [pytest.param(c, id=str(i)) for i, c in enumerate(cases)]


def _text(v: str | list[list[Any]]) -> str:
    return v if isinstance(v, str) else "".join(text * count for text, count in v)


def _input(case: dict[str, Any]) -> Any:
    if "input_rle" in case:
        return _text(case["input_rle"])
    if "input_hex" in case:
        return bytes.fromhex(case["input_hex"])
    return case["input"]


@pytest.mark.parametrize("case", _load("url_parse.json"))
def test_url_parse(case: dict[str, Any]) -> None:
    got = url.url_parse(_input(case))
    assert (None if got is None else got._asdict()) == case["expected"]


@pytest.mark.parametrize("case", _load("url_query_values.json"))
def test_url_query_values(case: dict[str, Any]) -> None:
    assert url.url_query_values(_input(case)) == case["expected"]


@pytest.mark.parametrize("case", _load("dataurl_error.json"))
def test_dataurl_error(case: dict[str, Any]) -> None:
    assert dataurl.dataurl_error(_input(case)) == case["expected"]


@pytest.mark.parametrize("case", _load("arn.json"))
def test_arn_is_arn(case: dict[str, Any]) -> None:
    assert arn.arn_is_arn(_input(case)) is case["is_arn"]


@pytest.mark.parametrize("case", _load("arn.json"))
def test_arn_parse(case: dict[str, Any]) -> None:
    if case["error"] is None:
        assert list(arn.arn_parse(_input(case))) == case["parts"]
    else:
        with pytest.raises(ValueError) as exc:
            arn.arn_parse(_input(case))
        assert str(exc.value) == case["error"]


@pytest.mark.parametrize("case", _load("semver_parse.json"))
def test_semver_parse(case: dict[str, Any]) -> None:
    got = semver.semver_parse(_input(case))
    if case["expected"] is None:
        assert got is None
    else:
        assert got == tuple(case["expected"])
        hash(got)  # used as a dict key by the caller


@pytest.mark.parametrize("case", _load("path.json"))
def test_path_clean(case: dict[str, Any]) -> None:
    assert path.path_clean(_input(case)) == case["clean"]


@pytest.mark.parametrize("case", _load("path.json"))
def test_path_is_abs(case: dict[str, Any]) -> None:
    assert path.path_is_abs(_input(case)) is case["is_abs"]


@pytest.mark.parametrize("case", _load("path.json"))
def test_path_ext(case: dict[str, Any]) -> None:
    assert path.path_ext(_input(case)) == case["ext"]


@pytest.mark.parametrize("case", _load("path.json"))
def test_path_dir(case: dict[str, Any]) -> None:
    assert path.path_dir(_input(case)) == case["dir"]


@pytest.mark.parametrize("case", _load("path_join.json"))
def test_path_join(case: dict[str, Any]) -> None:
    assert path.path_join(*_input(case)) == case["expected"]


@pytest.mark.parametrize("case", _load("go_quote.json"))
def test_go_quote(case: dict[str, Any]) -> None:
    assert strconv.go_quote(_input(case)) == case["expected"]


@pytest.mark.parametrize("case", _load("unit_options.json"))
def test_unit_options(case: dict[str, Any]) -> None:
    expected = case["expected"]
    if "error" in expected:
        with pytest.raises(systemd.UnitParseError) as exc:
            systemd.unit_options(_input(case))
        assert str(exc.value) == expected["error"]
    else:
        want = [[_text(field) for field in opt] for opt in expected["options"]]
        assert [list(o) for o in systemd.unit_options(_input(case))] == want
