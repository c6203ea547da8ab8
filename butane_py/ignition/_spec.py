"""Ignition spec versions as data.

Spec 3.0.0 is written out in full; every later version is a delta over its predecessor:
the structs it redefines, and the feature switches its validation rules read.

A struct is an ordered list of ``(json_name, type)`` in the reference's Go field order
(embedded structs flattened), which is also the order findings are reported in.
Type notation: ``*T`` pointer (``null`` clears it), ``[]T`` list, ``string``/``int``/``bool``,
a struct name, or a named string type (``Device``…). ``HTTPHeaders`` is a named list.
"""

from __future__ import annotations

from functools import cached_property

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Mapping

# Go's named string types: decoded like "string", printed with their own name in type errors.
NAMED_STRINGS = frozenset(
    {
        "Device",
        "FilesystemOption",
        "Group",
        "KernelArgument",
        "LuksOption",
        "MountOption",
        "NoProxyItem",
        "OpenOption",
        "RaidOption",
        "SSHAuthorizedKey",
    }
)
# Go's named list types.
NAMED_LISTS = {"HTTPHeaders": "[]HTTPHeader"}

Fields = tuple[tuple[str, str], ...]

_NODE: Fields = (("group", "NodeGroup"), ("overwrite", "*bool"), ("path", "string"), ("user", "NodeUser"))

STRUCTS_3_0: dict[str, Fields] = {
    "Config": (("ignition", "Ignition"), ("passwd", "Passwd"), ("storage", "Storage"), ("systemd", "Systemd")),
    "Ignition": (
        ("config", "IgnitionConfig"),
        ("security", "Security"),
        ("timeouts", "Timeouts"),
        ("version", "string"),
    ),
    "IgnitionConfig": (("merge", "[]ConfigReference"), ("replace", "ConfigReference")),
    "ConfigReference": (("source", "*string"), ("verification", "Verification")),
    "CaReference": (("source", "string"), ("verification", "Verification")),
    "Security": (("tls", "TLS"),),
    "TLS": (("certificateAuthorities", "[]CaReference"),),
    "Timeouts": (("httpResponseHeaders", "*int"), ("httpTotal", "*int")),
    "Verification": (("hash", "*string"),),
    "Passwd": (("groups", "[]PasswdGroup"), ("users", "[]PasswdUser")),
    "PasswdGroup": (("gid", "*int"), ("name", "string"), ("passwordHash", "*string"), ("system", "*bool")),
    "PasswdUser": (
        ("gecos", "*string"),
        ("groups", "[]Group"),
        ("homeDir", "*string"),
        ("name", "string"),
        ("noCreateHome", "*bool"),
        ("noLogInit", "*bool"),
        ("noUserGroup", "*bool"),
        ("passwordHash", "*string"),
        ("primaryGroup", "*string"),
        ("sshAuthorizedKeys", "[]SSHAuthorizedKey"),
        ("shell", "*string"),
        ("system", "*bool"),
        ("uid", "*int"),
    ),
    "Storage": (
        ("directories", "[]Directory"),
        ("disks", "[]Disk"),
        ("files", "[]File"),
        ("filesystems", "[]Filesystem"),
        ("links", "[]Link"),
        ("raid", "[]Raid"),
    ),
    "Directory": _NODE + (("mode", "*int"),),
    "File": _NODE + (("append", "[]FileContents"), ("contents", "FileContents"), ("mode", "*int")),
    "FileContents": (("compression", "*string"), ("source", "*string"), ("verification", "Verification")),
    "Link": _NODE + (("hard", "*bool"), ("target", "string")),
    "NodeGroup": (("id", "*int"), ("name", "*string")),
    "NodeUser": (("id", "*int"), ("name", "*string")),
    "Disk": (("device", "string"), ("partitions", "[]Partition"), ("wipeTable", "*bool")),
    "Partition": (
        ("guid", "*string"),
        ("label", "*string"),
        ("number", "int"),
        ("shouldExist", "*bool"),
        ("sizeMiB", "*int"),
        ("startMiB", "*int"),
        ("typeGuid", "*string"),
        ("wipePartitionEntry", "*bool"),
    ),
    "Filesystem": (
        ("device", "string"),
        ("format", "*string"),
        ("label", "*string"),
        ("options", "[]FilesystemOption"),
        ("path", "*string"),
        ("uuid", "*string"),
        ("wipeFilesystem", "*bool"),
    ),
    "Raid": (
        ("devices", "[]Device"),
        ("level", "string"),
        ("name", "string"),
        ("options", "[]RaidOption"),
        ("spares", "*int"),
    ),
    "Systemd": (("units", "[]Unit"),),
    "Unit": (
        ("contents", "*string"),
        ("dropins", "[]Dropin"),
        ("enabled", "*bool"),
        ("mask", "*bool"),
        ("name", "string"),
    ),
    "Dropin": (("contents", "*string"), ("name", "string")),
}


class Features:
    """Switches the validation rules read; each version flips a few. The class attributes are
    the defaults; an instance holds what differs (a plain class rather than a dataclass for
    start-up time: see :class:`~butane_py.report.Entry`). Never changed once made."""

    url_schemes: frozenset[str] = frozenset({"http", "https", "tftp", "s3", "data"})
    hash_functions: Mapping[str, int] = {"sha512": 128}
    fs_formats: frozenset[str] = frozenset({"ext4", "btrfs", "xfs", "swap", "vfat"})
    # Spec < 3.6 warns that setuid/setgid/sticky bits do nothing.
    special_mode_bits_warn: bool = True
    # Merge entries and CAs must name a source (3.1+, where they became Resources).
    sources_required: bool = False
    # mountOptions count as "other" fields for the format-is-empty rule (3.1+).
    fs_mount_options: bool = False
    # 3.3-3.5 reject a custom clevis pin other than tpm2, tang or sss.
    clevis_pin_names: frozenset[str] | None = None
    # Link.target and Raid.level became optional pointers in 3.3, with "required" rules.
    link_target_required: bool = False
    raid_level_required: bool = False
    tang_advertisement: bool = False
    luks_cex: bool = False
    # 3.7: virtiofs device tags and block-device-only filesystem fields.
    fs_virtiofs: bool = False

    def __init__(self, **switches) -> None:
        for name, value in switches.items():
            if not hasattr(Features, name):
                raise TypeError(f"unknown feature switch {name!r}")
            setattr(self, name, value)

    def replace(self, **switches) -> Features:
        """These switches with some changed."""
        return Features(**{**vars(self), **switches})


class Spec:
    """One spec version: its structs and feature switches (never changed once made)."""

    def __init__(self, version: str, structs: Mapping[str, Fields], features: Features,
                 previous: Spec | None = None) -> None:
        self.version = version
        self.structs = structs
        self.features = features
        self.previous = previous

    def __repr__(self) -> str:
        return f"Spec({self.version!r})"

    @property
    def semver(self) -> tuple:
        major, minor, rest = self.version.split(".", 2)
        patch, _, pre = rest.partition("-")
        return (int(major), int(minor), int(patch), pre, "")

    @property
    def experimental(self) -> bool:
        return "-" in self.version

    def derive(self, version: str, structs: Mapping[str, Fields | None] = {}, **features) -> "Spec":
        merged = dict(self.structs)
        for name, fields in structs.items():
            if fields is None:
                merged.pop(name, None)
            else:
                merged[name] = fields
        return Spec(version, merged, self.features.replace(**features), self)

    @cached_property
    def compiled(self) -> dict[str, "StructType"]:
        return {name: StructType(name, fields) for name, fields in self.structs.items()}


class StructType:
    """A struct with its fields resolved for fast decoding."""

    __slots__ = ("name", "fields", "by_name", "by_fold", "names")

    def __init__(self, name: str, fields: Fields) -> None:
        self.name = name
        self.fields = tuple((n, FieldType.parse(t)) for n, t in fields)
        self.by_name = dict(self.fields)
        self.names = frozenset(self.by_name)
        self.by_fold: dict[str, str] = {}
        for n, _ in self.fields:
            self.by_fold.setdefault(n.lower(), n)


class FieldType:
    """A parsed type expression. ``kind`` is one of string/int/bool/struct/list, or map
    (``map[string]T``, which only Butane's structs use)."""

    __slots__ = ("expr", "kind", "pointer", "item", "struct", "go_name")
    _cache: dict[str, "FieldType"] = {}

    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.pointer = expr.startswith("*")
        base = expr[1:] if self.pointer else expr
        self.item: FieldType | None = None
        self.struct: str | None = None
        named_list = NAMED_LISTS.get(base)
        if base.startswith("[]") or named_list:
            self.kind = "list"
            self.item = FieldType.parse((named_list or base)[2:])
            self.go_name = f"types.{base}" if named_list else f"[]{self.item.go_name}"
        elif base in ("string", "int", "bool"):
            self.kind = base
            self.go_name = base
        elif base in NAMED_STRINGS:
            self.kind = "string"
            self.go_name = f"types.{base}"
        elif base.startswith("map["):
            self.kind = "map"
            self.go_name = base
        else:
            self.kind = "struct"
            self.struct = base
            self.go_name = f"types.{base}"

    @classmethod
    def parse(cls, expr: str) -> "FieldType":
        t = cls._cache.get(expr)
        if t is None:
            t = cls._cache[expr] = cls(expr)
        return t


def _luks(extra: Fields = ()) -> Fields:
    return tuple(
        sorted(
            (
                ("clevis", "Clevis"),
                ("device", "*string"),
                ("keyFile", "Resource"),
                ("label", "*string"),
                ("name", "string"),
                ("options", "[]LuksOption"),
                ("uuid", "*string"),
                ("wipeVolume", "*bool"),
            )
            + extra,
            key=lambda f: f[0].lower(),
        )
    )


_RESOURCE: Fields = (
    ("compression", "*string"),
    ("httpHeaders", "HTTPHeaders"),
    ("source", "*string"),
    ("verification", "Verification"),
)

V3_0 = Spec("3.0.0", STRUCTS_3_0, Features())

V3_1 = V3_0.derive(
    "3.1.0",
    {
        "ConfigReference": None,
        "CaReference": None,
        "FileContents": None,
        "Resource": _RESOURCE,
        "HTTPHeader": (("name", "string"), ("value", "*string")),
        "Proxy": (("httpProxy", "*string"), ("httpsProxy", "*string"), ("noProxy", "[]NoProxyItem")),
        "Ignition": (
            ("config", "IgnitionConfig"),
            ("proxy", "Proxy"),
            ("security", "Security"),
            ("timeouts", "Timeouts"),
            ("version", "string"),
        ),
        "IgnitionConfig": (("merge", "[]Resource"), ("replace", "Resource")),
        "TLS": (("certificateAuthorities", "[]Resource"),),
        "File": _NODE + (("append", "[]Resource"), ("contents", "Resource"), ("mode", "*int")),
        "Filesystem": (
            ("device", "string"),
            ("format", "*string"),
            ("label", "*string"),
            ("mountOptions", "[]MountOption"),
            ("options", "[]FilesystemOption"),
            ("path", "*string"),
            ("uuid", "*string"),
            ("wipeFilesystem", "*bool"),
        ),
    },
    hash_functions={"sha512": 128, "sha256": 64},
    fs_mount_options=True,
    sources_required=True,
)

V3_2 = V3_1.derive(
    "3.2.0",
    {
        "Clevis": (("custom", "*Custom"), ("tang", "[]Tang"), ("threshold", "*int"), ("tpm2", "*bool")),
        "Custom": (("config", "string"), ("needsNetwork", "*bool"), ("pin", "string")),
        "Tang": (("thumbprint", "*string"), ("url", "string")),
        "Luks": tuple((n, "*Clevis" if n == "clevis" else t) for n, t in _luks()),
        "Partition": tuple(
            sorted(V3_1.structs["Partition"] + (("resize", "*bool"),), key=lambda f: f[0].lower())
        ),
        "PasswdGroup": (
            ("gid", "*int"),
            ("name", "string"),
            ("passwordHash", "*string"),
            ("shouldExist", "*bool"),
            ("system", "*bool"),
        ),
        "PasswdUser": V3_1.structs["PasswdUser"][:11] + (("shouldExist", "*bool"),) + V3_1.structs["PasswdUser"][11:],
        "Storage": tuple(sorted(V3_1.structs["Storage"] + (("luks", "[]Luks"),))),
    },
    url_schemes=V3_1.features.url_schemes | {"gs"},
    clevis_pin_names=frozenset({"tpm2", "tang", "sss"}),
)

V3_3 = V3_2.derive(
    "3.3.0",
    {
        "Custom": None,
        "Clevis": (("custom", "ClevisCustom"), ("tang", "[]Tang"), ("threshold", "*int"), ("tpm2", "*bool")),
        "ClevisCustom": (("config", "*string"), ("needsNetwork", "*bool"), ("pin", "*string")),
        "Luks": _luks(),
        "Config": (
            ("ignition", "Ignition"),
            ("kernelArguments", "KernelArguments"),
            ("passwd", "Passwd"),
            ("storage", "Storage"),
            ("systemd", "Systemd"),
        ),
        "KernelArguments": (("shouldExist", "[]KernelArgument"), ("shouldNotExist", "[]KernelArgument")),
        "Link": _NODE + (("hard", "*bool"), ("target", "*string")),
        "Raid": (
            ("devices", "[]Device"),
            ("level", "*string"),
            ("name", "string"),
            ("options", "[]RaidOption"),
            ("spares", "*int"),
        ),
    },
    fs_formats=V3_2.features.fs_formats | {"none"},
    link_target_required=True,
    raid_level_required=True,
)

V3_4 = V3_3.derive(
    "3.4.0",
    {
        "Luks": _luks((("discard", "*bool"), ("openOptions", "[]OpenOption"))),
        "Tang": (("advertisement", "*string"), ("thumbprint", "*string"), ("url", "string")),
    },
    url_schemes=V3_3.features.url_schemes | {"arn"},
    tang_advertisement=True,
)

V3_5 = V3_4.derive(
    "3.5.0",
    {
        "Cex": (("enabled", "*bool"),),
        "Luks": (("cex", "Cex"),) + V3_4.structs["Luks"],
    },
    luks_cex=True,
)

V3_6 = V3_5.derive("3.6.0", special_mode_bits_warn=False, clevis_pin_names=None)

V3_7_EXP = V3_6.derive(
    "3.7.0-experimental",
    fs_formats=V3_6.features.fs_formats | {"virtiofs"},
    fs_virtiofs=True,
)

# The reference Butane (v0.29.0) vendors Ignition v2.26.0, whose 3.7.0-experimental is 3.6.0
# under a new version string (no virtiofs yet). Butane translation validates against it, so
# that butane-py refuses what the reference refuses.
BUTANE_V3_7_EXP = V3_6.derive("3.7.0-experimental")

SPECS: tuple[Spec, ...] = (V3_0, V3_1, V3_2, V3_3, V3_4, V3_5, V3_6, V3_7_EXP)
BY_VERSION: dict[str, Spec] = {s.version: s for s in SPECS}
BY_SEMVER: dict[tuple, Spec] = {s.semver: s for s in SPECS}
LATEST_STABLE = V3_6
