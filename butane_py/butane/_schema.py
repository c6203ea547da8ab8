"""Butane base versions as data, derived from the Ignition spec they target.

A Butane base version is its Ignition spec's structs with snake_case keys, without
``ignition.version`` (Butane writes it), with ``version`` and ``variant`` at the top,
plus the sugar fields that base version adds (``inline``, ``local``, ``trees``…).
"""

from __future__ import annotations

import re
from functools import cache, cached_property

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Mapping

from .._go.types import BOOL_T, INT_T, STRING_T, GoType, ptr, slice_of
from ..ignition._spec import BUTANE_V3_7_EXP, BY_VERSION, FieldType, Fields, Spec

_SNAKE = re.compile(r"(MiB|[A-Z])")


@cache  # a few hundred names, converted once for each struct of each version that has them
def snake(name: str) -> str:
    """Butane's camelCase → snake_case (``sizeMiB`` → ``size_mib``)."""
    return _SNAKE.sub(r"_\1", name).lower()


class Base:
    """One Butane base version (a plain class, not a dataclass: see
    :class:`~butane_py.report.Entry`); never changed once made."""

    def __init__(self, name: str, spec: Spec, overrides: Mapping[str, Fields] | None = None,
                 features: frozenset[str] = frozenset()) -> None:
        self.name = name  # Go package name, e.g. "v0_5"
        self.spec = spec
        # Structs whose field list is replaced outright (in Go order, Butane names and types).
        self.overrides = {} if overrides is None else overrides
        self.features = features

    @cached_property
    def structs(self) -> dict[str, Fields]:
        """Butane structs: name → ((yaml key, type expr), …) in Go order."""
        out: dict[str, Fields] = {}
        for name, fields in self.spec.structs.items():
            converted = tuple((snake(n), t) for n, t in fields)
            if name == "Ignition":
                converted = tuple(f for f in converted if f[0] != "version")
            if name == "Config":
                converted = (("version", "string"), ("variant", "string")) + converted
            out[name] = converted
        out.update(self.overrides)
        return out

    @cached_property
    def ignition_names(self) -> dict[str, dict[str, str]]:
        """For each struct, Butane key → Ignition key for the fields that carry over."""
        out = {}
        for name, fields in self.spec.structs.items():
            out[name] = {snake(n): n for n, _ in fields}
        return out

    def has(self, feature: str) -> bool:
        return feature in self.features

    def go_type(self, name: str, extra: Mapping[str, Fields] = {}, pkg: str | None = None) -> GoType:
        """The Go type of struct ``name`` for the YAML decoder (type names as Go prints them)."""
        structs = dict(self.structs)
        structs.update(extra)
        cache: dict[str, GoType] = {}
        return _go_struct(name, structs, self.name, {k: pkg or self.name for k in extra}, cache)


# Named list types of structs: the name → the item struct.
NAMED_LISTS = {"HTTPHeaders": "HTTPHeader"}
_NAMED = {"Device", "Group", "KernelArgument", "SSHAuthorizedKey", "FilesystemOption", "RaidOption", "LuksOption",
          "MountOption", "NoProxyItem", "OpenOption"}


def _go_struct(name: str, structs: Mapping[str, Fields], base_pkg: str, pkgs: Mapping[str, str],
               cache: dict) -> GoType:
    """``pkgs``: the Go package of each struct not defined by the base (``base_pkg``)."""
    key = name
    if key in cache:
        return cache[key]
    own = pkgs.get(name, base_pkg)
    fields = []
    for fname, expr in structs[name]:
        fields.append((fname, _go_expr(expr, structs, base_pkg, pkgs, cache)))
    t = GoType("struct", f"{own}.{name}", None, tuple(fields))
    cache[key] = t
    return t


def _go_expr(expr: str, structs, base_pkg: str, pkgs: Mapping[str, str], cache) -> GoType:
    if expr.startswith("*"):
        return ptr(_go_expr(expr[1:], structs, base_pkg, pkgs, cache))
    if expr in ("map[string]string", "map[string]any"):
        from .._go.types import ANY_T, MAP

        return GoType(MAP, expr.replace("any", "interface {}"), STRING_T if expr.endswith("string") else ANY_T)
    if expr in NAMED_LISTS:
        return slice_of(_go_expr(NAMED_LISTS[expr], structs, base_pkg, pkgs, cache), f"{base_pkg}.{expr}")
    if expr.startswith("[]"):
        return slice_of(_go_expr(expr[2:], structs, base_pkg, pkgs, cache))
    if expr == "string":
        return STRING_T
    if expr == "int":
        return INT_T
    if expr == "bool":
        return BOOL_T
    if expr in _NAMED:
        return GoType("string", f"{base_pkg}.{expr}")
    return _go_struct(expr, structs, base_pkg, pkgs, cache)


# Butane keeps plain string lists where Ignition has named string types (only type-error
# messages can tell): from v0_2 for these, and from v0_5 for every options list.
_STRING_LISTS_V0_2 = {("Filesystem", "mount_options"), ("Filesystem", "options"), ("Proxy", "no_proxy")}
_STRING_LISTS_V0_5 = _STRING_LISTS_V0_2 | {("Luks", "open_options"), ("Luks", "options"), ("Raid", "options")}


def _with_string_lists(structs: Mapping[str, Fields], which: set) -> dict[str, Fields]:
    out = {}
    for sname in {s for s, _ in which}:
        if sname in structs:
            out[sname] = tuple((n, "[]string" if (sname, n) in which else t) for n, t in structs[sname])
    return out


_RESOURCE_SUGAR = (("inline", "*string"), ("local", "*string"))
_TREE_V0_2: Fields = (("local", "string"), ("path", "*string"))
_TREE_V0_7: Fields = (
    ("group", "NodeGroup"),
    ("local", "string"),
    ("path", "*string"),
    ("user", "NodeUser"),
    ("file_mode", "*int"),
    ("dir_mode", "*int"),
)
_QUADLET: Fields = (
    ("contents", "*string"),
    ("contents_local", "*string"),
    ("name", "string"),
    ("rootful", "bool"),
    ("dropins", "[]Dropin"),
)


def _insert_after(fields: Fields, after: str, new: Fields) -> Fields:
    i = next(i for i, (n, _) in enumerate(fields) if n == after)
    return fields[: i + 1] + new + fields[i + 1 :]


def _make_base(name: str, spec_version: str, features: set[str]) -> Base:
    spec = BUTANE_SPECS.get(spec_version) or BY_VERSION[spec_version]
    b = Base(name, spec, features=frozenset(features))
    s = b.structs
    over: dict[str, Fields] = {}
    if "resource_local" in features:
        over["Resource"] = _insert_after(s["Resource"], "source", _RESOURCE_SUGAR)
    else:
        over["FileContents"] = _insert_after(s["FileContents"], "source", (("inline", "*string"),))
    if "trees" in features:
        over["Storage"] = s["Storage"] + (("trees", "[]Tree"),)
        over["Tree"] = _TREE_V0_7 if "tree_owners" in features else _TREE_V0_2
        over["Filesystem"] = s["Filesystem"] + (("with_mount_unit", "*bool"),)
    if "contents_local" in features:
        over["Unit"] = _insert_after(s["Unit"], "contents", (("contents_local", "*string"),))
        over["Dropin"] = _insert_after(s["Dropin"], "contents", (("contents_local", "*string"),))
        user = s["PasswdUser"]
        over["PasswdUser"] = _insert_after(user, "ssh_authorized_keys", (("ssh_authorized_keys_local", "[]string"),))
    if "quadlets" in features:
        over["Systemd"] = s["Systemd"] + (("quadlets", "[]Quadlet"),)
        over["Quadlet"] = _QUADLET
    merged = {**s, **over}
    if "contents_local" in features:
        over.update(_with_string_lists(merged, _STRING_LISTS_V0_5))
    elif "trees" in features:
        over.update(_with_string_lists(merged, _STRING_LISTS_V0_2))
    return Base(name, spec, over, frozenset(features))


# Where the Ignition that the reference Butane vendors differs from ignition-validate's.
BUTANE_SPECS = {"3.7.0-experimental": BUTANE_V3_7_EXP}
_F2 = {"resource_local", "trees", "mount_units"}
BASES: dict[str, Base] = {
    "v0_1": _make_base("v0_1", "3.0.0", set()),
    "v0_2": _make_base("v0_2", "3.1.0", _F2),
    "v0_3": _make_base("v0_3", "3.2.0", _F2 | {"tang_netdev"}),
    "v0_4": _make_base("v0_4", "3.3.0", _F2 | {"tang_netdev", "swap_units"}),
    "v0_5": _make_base("v0_5", "3.4.0", _F2 | {"tang_netdev", "swap_units", "contents_local"}),
    "v0_6": _make_base("v0_6", "3.5.0", _F2 | {"tang_netdev", "swap_units", "contents_local"}),
    "v0_7": _make_base("v0_7", "3.6.0", _F2 | {"tang_netdev", "swap_units", "contents_local", "tree_owners"}),
    "v0_8_exp": _make_base(
        "v0_8_exp",
        "3.7.0-experimental",
        _F2 | {"tang_netdev", "swap_units", "contents_local", "tree_owners", "quadlets"},
    ),
}


__all__ = ["BASES", "Base", "FieldType", "snake"]
