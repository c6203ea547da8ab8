"""The Butane pipeline, step for step as the reference runs it.

YAML → version and variant → typed decode → unused keys → Butane rules → sugar →
Ignition rules on the output (mapped back through the translation set) → JSON.
Findings keep the reference's order: unused keys, Butane rules, translation, duplicates,
Ignition rules.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Callable

    from ..ignition._walk import Rule

from .._go import yaml as _goyaml
from ..ignition._spec import StructType
from ..ignition._validate import walk as walk_ignition
from ..ignition._walk import Walker
from ..report import Entry, Key, Report
from . import Result, _extensions, _fcos, _filters, _openshift
from ._output import dumps, value
from ._schema import Base
from ._translate import (
    ERR_MOUNT_UNIT_NO_FORMAT,
    ERR_MOUNT_UNIT_NO_PATH,
    ERR_QUADLET_BAD_EXTENSION,
    ERR_TEMPLATE_INSTANCE_CONTENTS,
    ERR_TOO_MANY_RESOURCE_SOURCES,
    ERR_TOO_MANY_SYSTEMD_SOURCES,
    ERR_TREE_NO_LOCAL,
    QUADLET_SUFFIXES,
    Options,
    TranslationSet,
    Translator,
    decimal_mode_warning,
    template_instance,
    validate_embedded_ignition,
)
from ._variants import REGISTRY, REMOVED, VariantVersion

ERR_NO_VARIANT = "error parsing variant; must be specified"
ERR_INVALID_VERSION = "error parsing version; must be a valid semver"
ERR_INVALID_SOURCE = "source config is invalid"
ERR_INVALID_GENERATED = "config generated was invalid"
ERR_STRICT = "Config produced warnings and --strict was specified"


# -- the YAML position tree (vcontext's) -------------------------------------------------------


class _Ctx:
    """Positions as the reference's context tree sees YAML: last duplicate key wins,
    aliases are leaves at their own position, ``<<`` is an ordinary key. Also the
    walk's :class:`~butane_py.ignition._walk.Tree` over the same nodes."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self._maps: dict[int, tuple[dict, dict]] = {}

    def _map(self, node: Any) -> tuple[dict, dict]:
        m = self._maps.get(id(node))
        if m is None:
            children: dict = {}
            keys: dict = {}
            for k, v in node.value:
                name = k.value if k.kind == "scalar" else ""
                children[name] = v
                keys[name] = k
            m = self._maps[id(node)] = (children, keys)
        return m

    def mapping(self, node: Any) -> dict | None:
        return self._map(node)[0] if node.kind == "map" else None

    def items(self, node: Any) -> list | None:
        return node.value if node.kind == "seq" else None

    def child(self, node: Any, elem: Any) -> Any:
        if node is None:
            return None
        if isinstance(elem, Key):
            return self._map(node)[1].get(str(elem)) if node.kind == "map" else None
        if isinstance(elem, str):
            return self._map(node)[0].get(elem) if node.kind == "map" else None
        if node.kind == "seq" and isinstance(elem, int) and 0 <= elem < len(node.value):
            return node.value[elem]
        return None

    def deepest(self, path: tuple) -> Any:
        node = self.root
        for elem in path:
            nxt = self.child(node, elem)
            if nxt is None:
                break
            node = nxt
        return node

    def position(self, path: tuple) -> tuple[int, int] | None:
        node = self.deepest(path)
        if node is None:
            return None
        return node.line, node.column


# -- the Butane rules -------------------------------------------------------------------------


def _resource_rule(vv: VariantVersion, v: dict, path: tuple, r: Report) -> None:
    last = None
    sources = 0
    for key in ("local", "inline", "source"):
        if v.get(key) is not None:
            sources += 1
            last = key
    if sources > 1:
        r.error(path + (last,), ERR_TOO_MANY_RESOURCE_SOURCES)
        return
    if path[:2] == ("ignition", "config") and last == "inline":
        found, ok = validate_embedded_ignition(vv.base.spec, path, v["inline"].encode("utf-8", "surrogateescape"))
        r.merge(found)
        if not ok:
            r.error(path + ("inline",), "config is not valid")


def _file_contents_rule(vv: VariantVersion, v: dict, path: tuple, r: Report) -> None:
    # v0_1's only sugar: its rule blames inline, not the last source as later bases do.
    if v.get("inline") is not None and v.get("source") is not None:
        r.error(path + ("inline",), ERR_TOO_MANY_RESOURCE_SOURCES)


def _filesystem_rule(vv: VariantVersion, v: dict, path: tuple, r: Report) -> None:
    if v.get("with_mount_unit") is True:
        fmt = v.get("format")
        if not fmt:
            r.error(path + ("format",), ERR_MOUNT_UNIT_NO_FORMAT)
        elif (fmt != "swap" or not vv.base.has("swap_units")) and not v.get("path"):
            r.error(path + ("path",), ERR_MOUNT_UNIT_NO_PATH)


def _mode_rule(directory: bool) -> Rule:
    def rule(vv: VariantVersion, v: dict, path: tuple, r: Report) -> None:
        mode = v.get("mode")
        if mode is not None:
            warning = decimal_mode_warning(mode, directory)
            if warning:
                r.warn(path + ("mode",), warning)

    return rule


def _tree_rule(vv: VariantVersion, v: dict, path: tuple, r: Report) -> None:
    if v.get("local", "") == "":
        r.error(path, ERR_TREE_NO_LOCAL)


def _unit_rule(vv: VariantVersion, v: dict, path: tuple, r: Report) -> None:
    if v.get("contents_local") is not None and v.get("contents") is not None:
        r.error(path + ("contents_local",), ERR_TOO_MANY_SYSTEMD_SOURCES)


def _quadlet_rule(vv: VariantVersion, v: dict, path: tuple, r: Report) -> None:
    qname = v.get("name", "")
    if not qname.endswith(QUADLET_SUFFIXES):
        r.error(path + ("name",), ERR_QUADLET_BAD_EXTENSION)
    elif template_instance(qname) is not None:
        for key in ("contents", "contents_local"):
            if v.get(key) is not None:
                r.error(path + (key,), ERR_TEMPLATE_INSTANCE_CONTENTS)
    elif v.get("contents_local") is not None and v.get("contents") is not None:
        r.error(path + ("contents_local",), ERR_TOO_MANY_SYSTEMD_SOURCES)


def _on_features(rule: Callable[[frozenset[str], dict, tuple, Report], None]) -> Rule:
    """A variant's rule, which reads only the variant's features."""
    return lambda vv, v, path, r: rule(vv.features, v, path, r)


_BASE_RULES: dict[str, Rule] = {
    "Resource": _resource_rule,
    "FileContents": _file_contents_rule,
    "Filesystem": _filesystem_rule,
    "File": _mode_rule(False),
    "Directory": _mode_rule(True),
    "Tree": _tree_rule,
    "Unit": _unit_rule,
    "Dropin": _unit_rule,
    "Quadlet": _quadlet_rule,
}
# The base's rules win over a variant's of the same name; openshift's Config has its own
# rule, which hides fcos's.
_RULES: dict[str, Rule] = {
    **{name: _on_features(rule) for name, rule in _fcos.RULES.items()},
    **_BASE_RULES,
    "Config": _on_features(_fcos.config_rule),
}
_OPENSHIFT_RULES: dict[str, Rule] = {
    **{name: _on_features(rule) for name, rule in _openshift.RULES.items()},
    **_RULES,
    "Config": _on_features(_openshift.config_rule),
}


# -- the pipeline ------------------------------------------------------------------------------


def variant_structs(vv: VariantVersion, extensions: bool = True) -> dict:
    structs = dict(vv.base.structs)
    if extensions:
        structs["Config"] = structs["Config"] + _extensions.CONFIG_FIELDS
        structs.update(_extensions.STRUCTS)
    extra = _fcos.extra_structs(vv.features) if vv.variant in ("fcos", "openshift") else {}
    if "FcosConfig" in extra:
        structs["Config"] = structs["Config"] + extra.pop("FcosConfig")
    structs.update(extra)
    if vv.variant == "openshift":
        structs["Config"] = structs["Config"] + _openshift.CONFIG_FIELDS
        structs.update(_openshift.EXTRA_STRUCTS)
    return structs


def _go_type(vv: VariantVersion, structs: dict):
    from ._schema import _go_struct

    pkgs = {k: vv.pkg for k in structs if k not in vv.base.structs or k == "Config"}
    if vv.variant == "openshift":
        # The fcos structs openshift embeds keep the fcos package's name (v1_5.BootDevice).
        pkgs.update(dict.fromkeys(_fcos.extra_structs(vv.features), vv.fcos_pkg))
    return _go_struct("Config", structs, vv.base.name, pkgs, {})


# Butane's structs compiled for the walk: by variant, version and whether extensions are on.
_COMPILED: dict[tuple[str, str, bool], dict[str, StructType]] = {}


def _compiled_structs(vv: VariantVersion, structs: dict, extensions: bool) -> dict[str, StructType]:
    key = (vv.variant, vv.version, extensions)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = {name: StructType(name, fields) for name, fields in structs.items()}
    return compiled


def translate(
    data: bytes,
    options: Options,
    *,
    raw: bool = False,
    pretty: bool = False,
    strict: bool = False,
    extensions: bool = True,
    lint: bool = False,
    trace: dict | None = None,
) -> Result:
    """``trace``, if given, receives what a merge of several translations needs once this one
    succeeds: the Ignition ``config`` and its ``spec``, the MachineConfig ``mc`` (openshift without
    ``raw``, else None), the translation set ``ts`` (output paths to input paths) and ``ctx``
    (input paths to YAML positions)."""
    report = Report()
    try:
        node = _goyaml.parse(data)
        stub = _goyaml.decode(node, _goyaml._COMMON_FIELDS)
    except _goyaml.YAMLError as exc:
        return Result(None, report, f"Error unmarshaling yaml: {exc.message}")
    version, variant = stub.get("version", ""), stub.get("variant", "")
    if variant == "":
        return Result(None, report, ERR_NO_VARIANT)
    from .._go.semver import semver_parse

    sv = semver_parse(version)
    if sv is None:
        return Result(None, report, ERR_INVALID_VERSION)
    canonical = f"{sv[0]}.{sv[1]}.{sv[2]}" + (f"-{sv[3]}" if sv[3] else "") + (f"+{sv[4]}" if sv[4] else "")
    if (variant, canonical) in REMOVED:
        return Result(None, report, REMOVED[(variant, canonical)])
    vv = REGISTRY.get((variant, canonical))
    if vv is None:
        return Result(None, report, f"No translator exists for variant {variant} with version {canonical}")
    structs = variant_structs(vv, extensions)
    try:
        if node is None:
            raise _goyaml.YAMLError("EOF")  # what Decoder.Decode says of an empty stream
        cfg = _goyaml.decode(node, _go_type(vv, structs)) or {}
    except _goyaml.YAMLError as exc:
        return Result(None, report, exc.message, vv.variant, vv.version)
    ctx = _Ctx(node)
    result = Result(None, report, None, vv.variant, vv.version)

    rules = _OPENSHIFT_RULES if "openshift" in vv.features else _RULES
    walker = Walker(_compiled_structs(vv, structs, extensions), rules, vv, ctx)
    walker.struct(cfg, "Config", (), node)
    report.merge(walker.unused)
    report.merge(walker.rules)
    if extensions:
        _extensions.check(cfg, report)
    if lint:
        from ._lint import lint as run_lint

        report.merge(run_lint(cfg))
    if report.is_fatal:
        return _finish(result, ctx, ERR_INVALID_SOURCE)

    if vv.variant == "openshift":
        options = Options(options.files_dir, vv.has("no_auto_compression"), full_translations=True)
    tr = _run_translation(vv, cfg, options)
    config = tr.config  # type: ignore[attr-defined]
    if extensions and not tr.report.is_fatal:
        _extensions.translate(tr, cfg, config)
    mc = None
    if vv.variant == "openshift" and not tr.report.is_fatal:
        mc = _openshift.machine_config(tr, vv.features, cfg, config)
        if raw:
            config = _openshift.raw(tr, mc)
            mc = None
    report.merge(tr.report)
    report.merge(_map_report(tr.out_report, tr.ts))
    if report.is_fatal:
        return _finish(result, ctx, ERR_INVALID_SOURCE)

    spec = vv.base.spec
    # openshift's filters name MachineConfig fields, so with --raw they match nothing.
    if vv.filters and not (vv.variant == "openshift" and raw):
        if mc is not None:
            found = _filters.verify_mc(mc, spec, dict(vv.filters), vv.ignore_zero)
        else:
            found = _filters.verify(config, spec, dict(vv.filters))
        report.merge(_map_report(found, tr.ts))
        if report.is_fatal:
            return _finish(result, ctx, ERR_INVALID_SOURCE)

    ign = walk_ignition(spec, config, ("spec", "config") if mc is not None else ())
    dups = _mc_dups(mc, ign.dups) if mc is not None else ign.dups
    report.merge(_map_report(dups, tr.ts))
    report.merge(_map_report(ign.rules, tr.ts))
    if report.is_fatal:
        return _finish(result, ctx, ERR_INVALID_GENERATED)
    _finish(result, ctx, None)
    if trace is not None:
        trace.update(config=config, spec=spec, mc=mc, ts=tr.ts, ctx=ctx)
    if strict and report.entries:
        result.error = ERR_STRICT
    elif mc is not None:
        result.output = _openshift.to_yaml(mc, spec)
    else:
        result.output = dumps(value(config, spec), pretty)
    return result


def _mc_dups(mc: dict, ignition_dups: Report) -> Report:
    """Duplicates in the MachineConfig's own lists follow those in its Ignition config."""
    out = Report(list(ignition_dups.entries))
    spec = mc["spec"]
    for key in ("kernelArguments", "extensions"):
        seen: set = set()
        for i, v in enumerate(spec.get(key) or ()):
            if v in seen:
                out.error(("spec", key, i), "duplicate entry defined")
            seen.add(v)
    return out


def _run_translation(vv: VariantVersion, cfg: dict, options: Options) -> Translator:
    from ._translate import translate_base

    config, ts, r = translate_base(vv.base, cfg, options)
    tr = Translator(vv.base, options, r, ts)
    if vv.variant in ("fcos", "openshift") and not r.is_fatal:
        config = _fcos.translate(tr, vv.features, cfg, config)
    tr.config = config  # type: ignore[attr-defined]
    return tr


def _map_report(r: Report, ts: TranslationSet) -> Report:
    """Findings about output paths, moved to the input paths they came from."""
    out = Report()
    for e in r.entries:
        out.entries.append(Entry(e.kind, e.message, ts.map_path(e.path)))
    return out


def _finish(result: Result, ctx: _Ctx, error: str | None) -> Result:
    """Place the findings in the YAML, and record why the translation failed, if it did."""
    for e in result.report.entries:
        pos = ctx.position(e.path)
        if pos is not None:
            e.line, e.column = pos
            e.has_marker = True
    result.error = error
    return result


__all__ = ["translate", "variant_structs", "Options", "Base"]
