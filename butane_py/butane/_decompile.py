"""Ignition (or an openshift MachineConfig) back to idiomatic Butane.

First the structural decompile: every Ignition field under its Butane name, text data URLs
as ``inline:``, gzip undone, modes in octal, values the output leaves out dropped. Then the
sugar (:mod:`._decompile_sugar`). Nothing is trusted on sight: every candidate config is
translated again and kept only if it gives back the input (the round trip), so the result
translates to the config it came from.

Unless one is given, the version is chosen among those of the variant whose Ignition spec
has every field the config uses and that round-trip: one whose Ignition spec warns of nothing
the input's did not (setuid bits do nothing before spec 3.6), then the one with the most
sugar, then the fewest warnings, then stable, then with the fewest contents re-encoded, then
the oldest.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import urllib.parse
import zlib
from dataclasses import dataclass, field
from typing import Any

from .._go.dataurl import escape as data_url_escape
from .._go.semver import semver_parse
from ..ignition._spec import Spec
from ..report import Report
from ._dataurl import make_data_url
from ._decompile_yaml import Octal, dump, load
from ._openshift import MC_API_VERSION, MC_KIND
from ._output import value as ignition_value
from ._schema import snake
from ._variants import REGISTRY, VariantVersion

ERR_NOT_CONFIG = "input is neither an Ignition config (JSON) nor a MachineConfig"
ERR_INVALID_INPUT = "input is not a valid Ignition config"
ERR_OPENSHIFT_NEEDS_MC = "variant openshift needs a MachineConfig as input"
ERR_MC_VARIANT = "a MachineConfig decompiles only to variant openshift"
MSG_REENCODED = "contents are written as inline text; Butane encodes them as a different data URL of the same bytes"
MSG_DROPPED = "field has no Butane equivalent and is left out"

# The MachineConfig spec fields Butane writes, and their Butane names under ``openshift``.
MC_FIELDS = (("kernelArguments", "kernel_arguments"), ("extensions", "extensions"), ("fips", "fips"),
             ("kernelType", "kernel_type"))
# Identifying keys go first in a struct, as in the Butane docs; the rest keep schema order.
_LEAD_KEYS = ("path", "name", "device")
_FIPS_CIPHER = ["--cipher", "aes-cbc-essiv:sha256"]
# Text that inline holds: valid UTF-8 without control characters other than tab and line ends.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@dataclass
class DecompileResult:
    """A decompile: ``yaml`` (Butane text, or None on failure), the findings, ``error``
    (why it failed), the ``variant`` and ``version`` chosen, and the sugar recognised."""

    yaml: str | None
    report: Report
    error: str | None = None
    variant: str | None = None
    version: str | None = None
    sugar: tuple[str, ...] = ()
    # Whether the Butane translates back to the input exactly (else: the same bytes in
    # differently encoded data URLs; see MSG_REENCODED).
    exact: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Input:
    """What is decompiled: the Ignition config as Butane writes it (camelCase, empty values
    dropped), its spec, and for a MachineConfig its metadata and MachineConfig fields."""

    config: dict
    spec: Spec
    machine_config: dict | None = None
    report: Report = field(default_factory=Report)
    # Keep each data URL that Butane would encode differently, rather than inline text.
    exact: bool = False


def decompile(source: bytes | str | dict, *, variant: str | None = None, version: str | None = None,
              exact: bool = False) -> DecompileResult:
    """See :func:`butane_py.butane.decompile`."""
    report = Report()
    try:
        inp = _read_input(source, variant)
    except _Failure as exc:
        return DecompileResult(None, exc.report or report, exc.message)
    inp.exact = exact
    report.merge(inp.report)
    variant = variant or ("openshift" if inp.machine_config is not None else "fcos")
    candidates = _candidates(variant, version)
    if not candidates:
        what = f"{variant} {version}" if version else variant
        return DecompileResult(None, report, f"no Butane version of {what}")
    target = _target(inp)
    from ._decompile_sugar import apply_sugar, sugar_hints

    wanted = sugar_hints(_needs(inp))
    best: _Attempt | None = None
    reason = ""
    for vv in _order(candidates, inp):
        attempt = _attempt(inp, vv, target)
        if attempt.error:
            reason = reason or f"{vv.variant} {vv.version}: {attempt.error}"
            continue
        attempt = apply_sugar(attempt, lambda bu, vv=vv: _check(bu, vv, target))
        if best is None or attempt.rank < best.rank:
            best = attempt
        if best.rank[0] == 0 and best.rank[2:] == (0, False, 0) and wanted <= set(best.sugar):
            break  # nothing later can do better
    if best is None:
        if version:
            why = reason.split(": ", 1)[1] if reason else "its Ignition spec lacks fields the config uses"
            return DecompileResult(None, report, f"{variant} {version} cannot express this config: {why}", variant, version)
        why = f" ({reason})" if reason else ": no version's Ignition spec has every field it uses"
        return DecompileResult(None, report, f"no {variant} version can express this config{why}", variant)
    report.merge(best.report)
    return DecompileResult(dump(best.butane), report, None, best.vv.variant, best.vv.version, tuple(best.sugar),
                           best.exact)


class _Failure(Exception):
    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.report = report


# -- input --------------------------------------------------------------------------------


def _read_input(source: bytes | str | dict, variant: str | None) -> _Input:
    from ..ignition import parse_config

    if isinstance(source, dict):
        doc: Any = source
        raw = None
    else:
        raw = source.encode("utf-8") if isinstance(source, str) else bytes(source)
        doc = _parse_document(raw)
    if not isinstance(doc, dict):
        raise _Failure(ERR_NOT_CONFIG)
    mc = None
    report = Report()
    if doc.get("kind") == MC_KIND:
        if variant not in (None, "openshift"):
            raise _Failure(ERR_MC_VARIANT)
        mc = _machine_config(doc, report)
        config = (doc.get("spec") or {}).get("config")
        if not isinstance(config, dict):
            raise _Failure("MachineConfig has no spec.config")
        raw = None
        doc = config
    elif variant == "openshift":
        raise _Failure(ERR_OPENSHIFT_NEEDS_MC)
    parsed = parse_config(raw if raw is not None else json.dumps(doc).encode("utf-8"))
    if not parsed.ok or parsed.config is None or parsed.spec is None:
        if parsed.error is not None and not parsed.report.is_fatal:
            parsed.report.error((), f"couldn't parse config: {parsed.error}")
        raise _Failure(ERR_INVALID_INPUT, parsed.report)
    report.merge(parsed.report)
    return _Input(ignition_value(parsed.config, parsed.spec), parsed.spec, mc, report)


def _parse_document(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        pass
    # Not JSON: a MachineConfig in YAML, as ``oc get -o yaml`` and Butane write it.
    from .._go.yaml import YAMLError

    try:
        doc = load(raw.decode("utf-8"))
    except (YAMLError, UnicodeDecodeError, RecursionError):
        raise _Failure(ERR_NOT_CONFIG) from None
    if not isinstance(doc, dict) or doc.get("kind") != MC_KIND:
        raise _Failure(ERR_NOT_CONFIG)
    return _integral(doc)


def _integral(v: Any) -> Any:
    """YAML numbers as JSON would carry them: Butane writes large ints as floats (``1e+06``)."""
    if isinstance(v, dict):
        return {k: _integral(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_integral(x) for x in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


# The shapes of the MachineConfig fields Butane writes.
_MC_SHAPES = {"metadata.name": (str,), "kernelArguments": (list, str), "extensions": (list, str), "fips": (bool,),
              "kernelType": (str,)}


def _shape_ok(v: Any, shape: tuple) -> bool:
    return v is None or isinstance(v, shape[0]) and (len(shape) == 1 or all(isinstance(x, shape[1]) for x in v))


def _machine_config(doc: dict, report: Report) -> dict:
    """The MachineConfig fields Butane writes; anything else is reported as left out."""
    if doc.get("apiVersion") != MC_API_VERSION:
        report.warn(("apiVersion",), f"apiVersion is not {MC_API_VERSION}")
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    if not isinstance(meta, dict) or not isinstance(spec, dict):
        raise _Failure("MachineConfig metadata and spec must be mappings")
    labels = meta.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise _Failure("MachineConfig metadata.labels must map names to strings")
    for name, shape in _MC_SHAPES.items():
        if not _shape_ok(meta.get("name") if name == "metadata.name" else spec.get(name), shape):
            what = "a list of strings" if shape[0] is list else {str: "a string", bool: "a boolean"}[shape[0]]
            raise _Failure(f"MachineConfig {name if '.' in name else 'spec.' + name} must be {what}")
    for key in meta:
        if key not in ("name", "labels"):
            report.warn(("metadata", key), MSG_DROPPED)
    for key in spec:
        if key != "config" and key not in dict(MC_FIELDS):
            report.warn(("spec", key), MSG_DROPPED)
    for key in doc:
        if key not in ("apiVersion", "kind", "metadata", "spec"):
            report.warn((key,), MSG_DROPPED)
    out: dict = {"metadata": {"name": meta.get("name") or "", "labels": dict(labels)}}
    for key, _ in MC_FIELDS:
        v = spec.get(key)
        if v is not None and v != []:
            out[key] = v
    return out


def _target(inp: _Input) -> Any:
    """The translation to reproduce, as it is compared (without the Ignition spec version)."""
    config = _without_version(inp.config)
    mc = inp.machine_config
    if mc is None:
        return config
    meta: dict = {"name": mc["metadata"]["name"]}
    if mc["metadata"]["labels"]:
        meta["labels"] = mc["metadata"]["labels"]
    spec = {"config": config, **{k: mc[k] for k, _ in MC_FIELDS if k in mc}}
    return {"apiVersion": MC_API_VERSION, "kind": MC_KIND, "metadata": meta, "spec": spec}


def _without_version(config: dict) -> dict:
    out = dict(config)
    ign = {k: v for k, v in (out.get("ignition") or {}).items() if k != "version"}
    out["ignition"] = ign
    return out


# -- versions -----------------------------------------------------------------------------


def _candidates(variant: str, version: str | None) -> list[VariantVersion]:
    if version is not None:
        sv = semver_parse(version)
        if sv is None:
            return []
        canonical = f"{sv[0]}.{sv[1]}.{sv[2]}" + (f"-{sv[3]}" if sv[3] else "")
        vv = REGISTRY.get((variant, canonical))
        return [vv] if vv is not None else []
    found = [vv for (v, _), vv in REGISTRY.items() if v == variant]
    # Stable versions oldest first, then the experimental ones.
    return sorted(found, key=lambda vv: ("-" in vv.version, semver_parse(vv.version)[:3]))


def _fits(spec: Spec, name: str, v: dict) -> bool:
    """Whether every field of ``v`` exists in struct ``name`` of ``spec``."""
    st = spec.compiled.get(name)
    if st is None:
        return False
    for key, x in v.items():
        ft = st.by_name.get(key)
        if ft is None:
            return False
        item = ft.item if ft.kind == "list" else ft
        if item is not None and item.kind == "struct":
            for sub in (x if ft.kind == "list" else [x]):
                if isinstance(sub, dict) and not _fits(spec, item.struct, sub):  # type: ignore[arg-type]
                    return False
    return True


def _needs(inp: _Input) -> set[str]:
    """The Butane features the idiomatic forms of this config would use (hints for the order)."""
    needs = set()
    text = json.dumps(inp.config)
    if '"data:' in text:
        needs.add("resource_local")
    for unit in (inp.config.get("systemd") or {}).get("units") or ():
        if str(unit.get("contents", "")).startswith("# Generated by Butane\n"):
            needs.add("swap_units" if unit.get("name", "").endswith(".swap") else "mount_units")
    storage = inp.config.get("storage") or {}
    if any(lk.get("label") == "luks-root" for lk in storage.get("luks") or ()) or any(
            r.get("name") in ("md-boot", "md-root") for r in storage.get("raid") or ()):
        needs.add("boot_device")
    if any(f.get("path") == "/boot/grub2/user.cfg" for f in storage.get("files") or ()):
        needs.add("grub")
    return needs


def _order(candidates: list[VariantVersion], inp: _Input) -> list[VariantVersion]:
    """Versions whose spec has every field, those with the wanted forms first."""
    fitting = [vv for vv in candidates if _fits(vv.base.spec, "Config", inp.config)]

    needs = _needs(inp)

    def has(vv: VariantVersion) -> set[str]:
        return {n for n in needs if vv.base.has(n) or vv.has(n)}

    wanted = set().union(*(has(vv) for vv in fitting)) if fitting else set()
    return [vv for vv in fitting if has(vv) == wanted] + [vv for vv in fitting if has(vv) != wanted]


# -- one version --------------------------------------------------------------------------


@dataclass
class _Attempt:
    vv: VariantVersion
    butane: dict
    report: Report
    exact: bool = True
    warnings: int = 0
    error: str | None = None
    sugar: list[str] = field(default_factory=list)
    output: dict = field(default_factory=dict)  # the Ignition config it translates to
    losses: int = 0  # warnings of its Ignition spec that the input's spec did not give

    @property
    def rank(self) -> tuple:
        """Lowest is best: nothing lost to the spec, the most sugar, the fewest warnings, a
        stable version, the fewest contents re-encoded."""
        return (self.losses, -len(self.sugar), self.warnings, "-" in self.vv.version, sum(e.message == MSG_REENCODED for e in self.report))


def _attempt(inp: _Input, vv: VariantVersion, target: Any) -> _Attempt:
    from ..ignition import validate

    report = Report()
    butane = _structural(inp, vv, report)
    attempt = _check(butane, vv, target)
    attempt.report = report
    if attempt.error is None:
        # What the chosen spec warns about and the input's did not: a field that does nothing
        # in this version (setuid bits before 3.6), which no sugar is worth.
        had = [e.message for e in inp.report.warnings]
        for e in validate(json.dumps(attempt.output)).warnings:
            if e.message in had:
                had.remove(e.message)
            else:
                attempt.losses += 1
    return attempt


def _check(butane: dict, vv: VariantVersion, target: Any) -> _Attempt:
    """Translate ``butane`` and compare it with ``target``: the round trip."""
    from . import translate

    result = translate(dump(butane))
    attempt = _Attempt(vv, butane, Report(), warnings=len(result.report.warnings))
    if not result.ok or result.output is None:
        first = next((e for e in result.report.errors), None)
        # One line: a YAML error can span several.
        error = " ".join(result.error.split())
        attempt.error = error + (f": {first.json_path}: {first.message}" if first else "")
        return attempt
    if vv.variant == "openshift":
        out = load(result.output)
        attempt.output = out["spec"]["config"]
        out["spec"]["config"] = _without_version(out["spec"]["config"])
    else:
        attempt.output = json.loads(result.output)
        out = _without_version(attempt.output)
    if out == target:
        return attempt
    attempt.exact = False
    if _semantic(out) != _semantic(target):
        attempt.error = f"the translation differs at {_first_difference(out, target)}"
    return attempt


def _semantic(v: Any) -> Any:
    """``v`` with data URLs decoded and gzip undone, so that encodings compare equal."""
    if isinstance(v, list):
        return [_semantic(x) for x in v]
    if not isinstance(v, dict):
        return v
    out = {k: _semantic(x) for k, x in v.items()}
    src = out.get("source")
    if isinstance(src, str) and src.startswith("data:") and out.get("compression") in (None, "", "gzip"):
        data = decode_data_url(src)
        if data is not None and out.get("compression") == "gzip":
            data = _gunzip(data)
        if data is not None:
            out["source"] = ("data", data)
            out.pop("compression", None)
    return out


def _first_difference(a: Any, b: Any, path: str = "$") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{path}.{i}")
    return path


# -- the structural decompile -----------------------------------------------------------------


def _structural(inp: _Input, vv: VariantVersion, report: Report) -> dict:
    out: dict = {"variant": vv.variant, "version": vv.version}
    mc = inp.machine_config
    if mc is not None:
        out["metadata"] = {k: v for k, v in mc["metadata"].items() if v}
    config = inp.config
    if mc is not None and mc.get("fips") is True and vv.has("fips_luks"):
        config = _without_fips_ciphers(config)
    out.update(to_butane(vv, "Config", config, (), report, inp.exact))
    if mc is not None:
        o = {name: mc[key] for key, name in MC_FIELDS if key in mc}
        if o:
            out["openshift"] = o
    return out


def to_butane(vv: VariantVersion, name: str, v: dict, path: tuple, report: Report, exact_only: bool = False) -> dict:
    """Ignition struct ``name`` (value ``v``, as Butane writes it) in Butane form and key order
    (``exact_only``: see :func:`_inline`)."""
    spec, base = vv.base.spec, vv.base
    out: dict = {}
    for key, ft in spec.compiled[name].fields:
        if key not in v or (name == "Ignition" and key == "version"):
            continue
        x = v[key]
        p = path + (key,)
        if ft.kind == "struct":
            x = to_butane(vv, ft.struct, x, p, report, exact_only)  # type: ignore[arg-type]
        elif ft.kind == "list" and ft.item.kind == "struct":  # type: ignore[union-attr]
            x = [to_butane(vv, ft.item.struct, y, p + (i,), report, exact_only)  # type: ignore[union-attr]
                 for i, y in enumerate(x)]
        elif key == "mode" and isinstance(x, int):
            x = Octal(x)
        if x != {} and x != []:
            out[snake(key)] = x
    butane_fields = [k for k, _ in base.structs.get(name, ())]
    if "inline" in butane_fields:
        _inline(vv, out, path, report, exact_only)
    order = {k: i for i, k in enumerate(butane_fields)}
    for i, k in enumerate(_LEAD_KEYS):
        if k in order:
            order[k] = i - len(_LEAD_KEYS)
            break
    return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], len(order))))


def _inline(vv: VariantVersion, out: dict, path: tuple, report: Report, exact_only: bool) -> None:
    """A text data URL as ``inline:`` (gzip undone), when Butane writes the same bytes back;
    with ``exact_only``, only when Butane writes the same data URL back."""
    src = out.get("source")
    if not isinstance(src, str) or not src.startswith("data:"):
        return
    data = decode_data_url(src)
    compression = out.get("compression")
    if data is not None and compression == "gzip":
        data = _gunzip(data)
    elif compression not in (None, ""):
        return
    text = as_text(data)
    if text is None or data is None:
        return
    if path[:2] == ("ignition", "config") and not _valid_embedded(vv, path, data):
        return  # Butane checks an inline config, and refuses one that is not valid
    if vv.base.has("resource_local"):
        url, written = make_data_url(data, None, not vv.has("no_auto_compression"))
    else:
        url, written = "data:," + data_url_escape(data), None
    # v0_1 copies a compression the config sets, even "", and writes none itself.
    keep_compression = compression == "" and not vv.base.has("resource_local")
    if keep_compression:
        written = compression
    exact = url == src and written == compression
    if not exact and (exact_only or out.get("verification")):
        return  # asked to keep the input's encoding; or the hash is of the bytes as they are encoded
    out.pop("source")
    if not keep_compression:
        out.pop("compression", None)
    out["inline"] = text
    if not exact:
        report.info(path + ("source",), MSG_REENCODED)


def _valid_embedded(vv: VariantVersion, path: tuple, data: bytes) -> bool:
    from ._translate import validate_embedded_ignition

    found, ok = validate_embedded_ignition(vv.base.spec, path, data)
    return ok and not found.entries


def _without_fips_ciphers(config: dict) -> dict:
    """The LUKS volumes without the cipher options that ``openshift.fips`` adds back."""
    luks = (config.get("storage") or {}).get("luks")
    if not luks:
        return config
    volumes = []
    for lk in luks:
        options = lk.get("options") or []
        if options[-2:] == _FIPS_CIPHER and not any(
                o == "--cipher" or o.startswith("--cipher=") or o == "-c" for o in options[:-2]):
            lk = {k: v for k, v in lk.items() if k != "options"}
            if options[:-2]:
                lk["options"] = options[:-2]
        volumes.append(lk)
    return {**config, "storage": {**config["storage"], "luks": volumes}}


# -- data URLs ------------------------------------------------------------------------------


def decode_data_url(url: str) -> bytes | None:
    """The bytes of an RFC 2397 data URL, or None when it is not one."""
    header, sep, data = url[len("data:"):].partition(",")
    if not sep:
        return None
    try:
        raw = urllib.parse.unquote_to_bytes(data)
        if header.endswith(";base64"):
            return base64.b64decode(raw, validate=True)
        return raw
    except (ValueError, TypeError):
        return None


def _gunzip(data: bytes | None) -> bytes | None:
    if data is None:
        return None
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return None


def as_text(data: bytes | None) -> str | None:
    """``data`` as text for ``inline:``, or None when it is binary."""
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _NOT_TEXT.search(text) else text
