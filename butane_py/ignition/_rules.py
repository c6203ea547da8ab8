"""Ignition's semantic rules, one function per struct type, switched by spec features.

Each rule receives the decoded struct (a dict of the fields that were set), its path and
the report. Messages are the reference's wording, character for character.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Callable

from ..report import Report
from .._go.arn import arn_is_arn, arn_parse
from .._go.dataurl import dataurl_error
from .._go.path import path_clean, path_ext, path_join
from .._go.semver import semver_parse
from .._go.strconv import go_quote
from .._go import systemd as _systemd
from .._go.url import url_parse, url_query_values
from ._spec import Spec

# -- messages ----------------------------------------------------------------------------
ERR_DUPLICATE = "duplicate entry defined"
ERR_INVALID_VERSION = "invalid config version (couldn't parse)"
ERR_UNKNOWN_VERSION = "unsupported config version"
ERR_COMPRESSION = "invalid compression method"
ERR_FILE_USED_SYMLINK = "file path includes link in config"
ERR_DIR_USED_SYMLINK = "directory path includes link in config"
ERR_LINK_USED_SYMLINK = "link path includes link in config"
ERR_LINK_TARGET_REQUIRED = "link target is required"
ERR_HARD_LINK_TO_DIR = "hard link target is a directory"
ERR_HARD_LINK_OWNER = "user/group ignored for hard link"
ERR_DISK_DEVICE_REQUIRED = "disk device is required"
ERR_PARTITION_NUMBERS_COLLIDE = "partition numbers collide"
ERR_PARTITIONS_OVERLAP = "partitions overlap"
ERR_OVERWRITE_NIL_SOURCE = "overwrite must be false if source is unspecified"
ERR_VERIFICATION_NIL_SOURCE = "source must be specified if verification is specified"
ERR_FS_INVALID_FORMAT = "invalid filesystem format"
ERR_LABEL_NEEDS_FORMAT = "filesystem must specify format if label is specified"
ERR_FORMAT_NIL_WITH_OTHERS = (
    "format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified"
)
FS_LABEL_LIMITS = {"ext4": 16, "btrfs": 256, "xfs": 12, "swap": 15, "vfat": 11}
ERR_VIRTIOFS_LABEL = "filesystem labels cannot be set when using virtiofs"
ERR_VIRTIOFS_TAG_TOO_LONG = "virtiofs device tag cannot be longer than 36 bytes"
ERR_UUID_NOT_BLOCK = "filesystem uuid cannot be set for non-block-device filesystems"
ERR_WIPE_NOT_BLOCK = "wipeFilesystem cannot be set for non-block-device filesystems"
ERR_MKFS_OPTIONS_NOT_BLOCK = "filesystem options (mkfs) cannot be set for non-block-device filesystems"
ERR_LUKS_LABEL_TOO_LONG = "luks device labels cannot be longer than 47 characters"
ERR_LUKS_NAME_SLASH = "device names cannot contain slashes"
ERR_LUKS_KEY_FILE = "invalid key-file source"
ERR_CLEVIS_PIN_REQUIRED = "missing required custom clevis pin"
ERR_CLEVIS_UNKNOWN_PIN = "unsupported clevis pin"
ERR_CLEVIS_CONFIG_REQUIRED = "missing required custom clevis config"
ERR_CLEVIS_CUSTOM_WITH_OTHERS = "cannot use custom clevis config with tpm2, tang, or threshold"
ERR_TANG_THUMBPRINT = "thumbprint is required"
ERR_TANG_ADVERTISEMENT = "advertisement is not valid JSON"
ERR_ILLEGAL_MODE = "illegal file mode"
ERR_MODE_SPECIAL_BITS = "setuid/setgid/sticky bits are not supported or functional in spec versions older than 3.6.0"
ERR_ID_AND_NAME = "cannot set both id and name"
ERR_PART_LABEL_TOO_LONG = "partition labels may not exceed 36 characters"
ERR_GUID = 'doesn\'t match the form "01234567-89AB-CDEF-EDCB-A98765432101"'
ERR_PART_LABEL_COLON = "partition label will be truncated to text before the colon"
ERR_NO_PATH = "path not specified"
ERR_PATH_RELATIVE = "path not absolute"
ERR_DIRTY_PATH = "path is not fully simplified"
ERR_NO_DEVICE = "device not specified"
ERR_PARTITIONS_OVERWRITTEN = "filesystem overwrites partitioned device"
ERR_FS_IMPLICIT_WIPE = "device matches disk with wipeTable enabled; filesystem will be wiped"
ERR_RAID_LEVEL_REQUIRED = "raid level is required"
ERR_SPARES_UNSUPPORTED = "spares unsupported for linear and raid0 arrays"
ERR_RAID_LEVEL_UNKNOWN = "unrecognized raid level"
ERR_RAID_DEVICES_REQUIRED = "raid devices required"
ERR_SHOULD_NOT_EXIST_WITH_OTHERS = "shouldExist specified false with other options also specified"
ERR_NEED_LABEL_OR_NUMBER = "a partition number >= 1 or a label must be specified"
ERR_DUPLICATE_LABELS = "cannot use the same partition label twice"
ERR_INVALID_PROXY = "proxies must be http(s)"
ERR_INSECURE_PROXY = "insecure plaintext HTTP proxy specified for HTTPS resources"
ERR_PATH_CONFLICTS_SYSTEMD = "path conflicts with systemd unit or dropin"
ERR_CEX_WITH_CLEVIS = "cannot use cex with clevis"
ERR_CEX_WITH_KEY_FILE = "cannot use key file with cex"
ERR_SYSTEMD_EXT = "invalid systemd unit extension"
ERR_SYSTEMD_DROPIN_EXT = "invalid systemd drop-in extension"
ERR_SOURCE_REQUIRED = "source is required"
ERR_INVALID_SCHEME = "invalid url scheme"
ERR_INVALID_URL = "unable to parse url"
ERR_INVALID_HTTP_HEADER = "unable to parse HTTP header"
ERR_EMPTY_HEADER_NAME = "HTTP header name can't be empty"
ERR_HEADERS_SCHEME = "cannot use HTTP headers with this source scheme"
ERR_HASH_MALFORMED = "malformed hash specifier"
ERR_HASH_WRONG_SIZE = "incorrect size for hash sum"
ERR_HASH_UNRECOGNIZED = "unrecognized hash function"
ERR_S3_ARN = "invalid S3 ARN format"
ERR_S3_VERSION_ID = "invalid S3 object VersionId"

UNIT_SUFFIXES = frozenset(
    {
        ".service",
        ".socket",
        ".device",
        ".mount",
        ".automount",
        ".swap",
        ".target",
        ".path",
        ".timer",
        ".snapshot",
        ".slice",
        ".scope",
    }
)
RAID_LEVELS = frozenset({"raid1", "1", "mirror", "raid4", "4", "raid5", "5", "raid6", "6", "raid10", "10"})
RAID_LEVELS_NO_SPARES = frozenset({"linear", "raid0", "0", "stripe"})
_GUID = re.compile(r"(|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\Z")
_INSTANCE_UNIT = re.compile(r"(.+?)@(.+?)\.service\Z")

if TYPE_CHECKING:
    Rule = Callable[[Spec, dict, tuple, Report], None]


def _empty(s: str | None) -> bool:
    return not s


def _blen(s: str) -> int:
    """Go's len(): bytes, not characters."""
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogatepass"))


# -- shared checks -----------------------------------------------------------------------


def path_error(p: str) -> str | None:
    if p == "":
        return ERR_NO_PATH
    if not p.startswith("/"):
        return ERR_PATH_RELATIVE
    if path_clean(p) != p:
        return ERR_DIRTY_PATH
    return None


def url_error(spec: Spec, s: str) -> str | None:
    u = url_parse(s)
    if u is None:
        return ERR_INVALID_URL
    scheme = u.scheme
    if scheme not in spec.features.url_schemes:
        return ERR_INVALID_SCHEME
    if scheme == "s3":
        return _version_id_error(u.raw_query)
    if scheme == "arn":
        full = scheme + ":" + u.opaque
        if not arn_is_arn(full):
            return ERR_S3_ARN
        try:
            _, service, _, _, resource = arn_parse(full)
        except ValueError as exc:
            return str(exc)
        if service != "s3":
            return ERR_S3_ARN
        parts = full.split("/")
        if resource.startswith("accesspoint/"):
            if len(parts) < 3:
                return ERR_S3_ARN
        elif len(parts) < 2:
            return ERR_S3_ARN
        return _version_id_error(u.raw_query)
    if scheme == "data":
        return dataurl_error(s)
    return None


def _version_id_error(raw_query: str) -> str | None:
    if "versionId" not in raw_query:
        return None
    values = url_query_values(raw_query).get("versionId")
    if values is not None and (not values or values[0] == ""):
        return ERR_S3_VERSION_ID
    return None


def _url_nil_ok(spec: Spec, s: str | None) -> str | None:
    return None if _empty(s) else url_error(spec, s)  # type: ignore[arg-type]


def _required_source(spec: Spec, res: dict) -> str | None:
    src = res.get("source")
    if _empty(src):
        return ERR_SOURCE_REQUIRED
    return url_error(spec, src)


def _mode_checks(spec: Spec, v: dict, path: tuple, r: Report) -> None:
    mode = v.get("mode")
    if mode is None:
        return
    if mode < 0 or mode > 0o7777:
        r.error(path + ("mode",), ERR_ILLEGAL_MODE)
    if spec.features.special_mode_bits_warn and (mode & 0xFFFFFFFF) & 0o7000:
        r.warn(path + ("mode",), ERR_MODE_SPECIAL_BITS)


def _on(r: Report, path: tuple, err: str | None) -> None:
    if err:
        r.error(path, err)


def unit_options(contents: str | None) -> tuple[list | None, str | None]:
    """Parse unit contents: (options, None) or (None, the reference's error message)."""
    if contents is None:
        return [], None
    try:
        return _systemd.unit_options(contents), None
    except _systemd.UnitParseError as exc:
        return None, f"invalid unit content: {exc}"


# -- rules by struct ---------------------------------------------------------------------


def config_rule(spec: Spec, cfg: dict, path: tuple, r: Report) -> None:
    unit_paths = set()
    for unit in cfg.get("systemd", {}).get("units") or ():
        name = unit.get("name", "")
        if not _empty(unit.get("contents")):
            unit_paths.add("/etc/systemd/system/" + name)
        for dropin in unit.get("dropins") or ():
            if not _empty(dropin.get("contents")):
                unit_paths.add("/etc/systemd/system/" + name + ".d/" + dropin.get("name", ""))
    if not unit_paths:
        return
    storage = cfg.get("storage", {})
    for kind in ("files", "directories", "links"):
        for i, node in enumerate(storage.get(kind) or ()):
            if node.get("path", "") in unit_paths:
                r.error(path + ("storage", kind, i, "path"), ERR_PATH_CONFLICTS_SYSTEMD)


def ignition_rule(spec: Spec, ign: dict, path: tuple, r: Report) -> None:
    # A whole config's version was checked before decoding, so this fires only for a config
    # inlined in Butane's ignition.config, which is decoded whatever its version says.
    sv = semver_parse(ign.get("version", ""))
    if sv is None:
        r.error(path + ("version",), ERR_INVALID_VERSION)
    elif sv != spec.semver:
        r.error(path + ("version",), ERR_UNKNOWN_VERSION)


def ignition_config_rule(spec: Spec, ic: dict, path: tuple, r: Report) -> None:
    if not spec.features.sources_required:
        return
    for i, res in enumerate(ic.get("merge") or ()):
        _on(r, path + ("merge", i), _required_source(spec, res))


def tls_rule(spec: Spec, tls: dict, path: tuple, r: Report) -> None:
    if not spec.features.sources_required:
        return
    for i, res in enumerate(tls.get("certificateAuthorities") or ()):
        _on(r, path + ("certificateAuthorities", i), _required_source(spec, res))


def config_reference_rule(spec: Spec, ref: dict, path: tuple, r: Report) -> None:
    _on(r, path + ("source",), _url_nil_ok(spec, ref.get("source")))


def ca_reference_rule(spec: Spec, ref: dict, path: tuple, r: Report) -> None:
    _on(r, path + ("source",), url_error(spec, ref.get("source", "")))


def resource_rule(spec: Spec, res: dict, path: tuple, r: Report) -> None:
    comp = res.get("compression")
    if comp is not None and comp not in ("", "gzip"):
        r.error(path + ("compression",), ERR_COMPRESSION)
    src = res.get("source")
    if res.get("verification", {}).get("hash") is not None and src is None:
        r.error(path + ("verification", "hash"), ERR_VERIFICATION_NIL_SOURCE)
    _on(r, path + ("source",), _url_nil_ok(spec, src))
    if res.get("httpHeaders"):
        if _empty(src):
            err: str | None = ERR_INVALID_URL
        else:
            u = url_parse(src)  # type: ignore[arg-type]
            if u is None:
                err = ERR_INVALID_URL
            else:
                err = None if u.scheme in ("http", "https") else ERR_HEADERS_SCHEME
        _on(r, path + ("httpHeaders",), err)


def http_header_rule(spec: Spec, h: dict, path: tuple, r: Report) -> None:
    if h.get("name", "") == "":
        r.error(path + ("name",), ERR_EMPTY_HEADER_NAME)
    if h.get("value") == "":
        r.error(path + ("value",), ERR_INVALID_HTTP_HEADER)


def proxy_rule(spec: Spec, p: dict, path: tuple, r: Report) -> None:
    for key, http_ok in (("httpProxy", True), ("httpsProxy", False)):
        s = p.get(key)
        if s is None:
            continue
        u = url_parse(s)
        if u is None:
            r.error(path + (key,), ERR_INVALID_URL)
        elif u.scheme not in ("http", "https"):
            r.error(path + (key,), ERR_INVALID_PROXY)
        elif u.scheme == "http" and not http_ok:
            r.warn(path + (key,), ERR_INSECURE_PROXY)


def verification_rule(spec: Spec, v: dict, path: tuple, r: Report) -> None:
    h = v.get("hash")
    if h is None:
        return
    fn, sep, digest = h.partition("-")
    at = path + ("hash",)
    if not sep:
        r.error(at, ERR_HASH_MALFORMED)
        return
    size = spec.features.hash_functions.get(fn)
    if size is None:
        r.error(at, ERR_HASH_UNRECOGNIZED)
    elif _blen(digest) != size:
        r.error(at, ERR_HASH_WRONG_SIZE)


def node_rule(spec: Spec, n: dict, path: tuple, r: Report) -> None:
    _on(r, path + ("path",), path_error(n.get("path", "")))


def file_rule(spec: Spec, f: dict, path: tuple, r: Report) -> None:
    node_rule(spec, f, path, r)
    _mode_checks(spec, f, path, r)
    if f.get("overwrite") is True and f.get("contents", {}).get("source") is None:
        r.error(path + ("overwrite",), ERR_OVERWRITE_NIL_SOURCE)


def directory_rule(spec: Spec, d: dict, path: tuple, r: Report) -> None:
    node_rule(spec, d, path, r)
    _mode_checks(spec, d, path, r)


def owner_rule(spec: Spec, o: dict, path: tuple, r: Report) -> None:
    if o.get("id") is not None and not _empty(o.get("name")):
        r.error(path, ERR_ID_AND_NAME)


def device_rule(spec: Spec, d: str, path: tuple, r: Report) -> None:
    _on(r, path, path_error(d))


def disk_rule(spec: Spec, d: dict, path: tuple, r: Report) -> None:
    device = d.get("device", "")
    if device == "":
        r.error(path + ("device",), ERR_DISK_DEVICE_REQUIRED)
        return
    _on(r, path + ("device",), path_error(device))
    parts = d.get("partitions") or ()
    # Numbers: the reference walks a Go map, so with several collisions any may be named.
    by_number: dict[int, list[int]] = {}
    for i, p in enumerate(parts):
        if p.get("number", 0):
            by_number.setdefault(p["number"], []).append(i)
    for idxs in by_number.values():
        if len(idxs) > 1:
            r.error(path + ("partitions", idxs[1]), ERR_PARTITION_NUMBERS_COLLIDE)
            break
    hit = _partitions_overlap(parts)
    if hit is not None:
        r.error(path + ("partitions", hit), ERR_PARTITIONS_OVERLAP)
    labels: set[str] = set()
    for i, p in enumerate(parts):
        label = p.get("label")
        if label is not None:
            if label in labels:
                r.error(path + ("partitions", i), ERR_DUPLICATE_LABELS)
                break
            labels.add(label)


def _partitions_overlap(parts) -> int | None:
    def end(p: dict) -> int:
        return p["startMiB"] if p["sizeMiB"] == 0 else p["startMiB"] + p["sizeMiB"] - 1

    sized = [
        (j, p) for j, p in enumerate(parts) if p.get("startMiB") is not None and p.get("sizeMiB") is not None
    ]
    for j, p in sized:
        if p["startMiB"] == 0:
            continue
        for i, o in sized:
            if i == j or o["startMiB"] == 0:
                continue
            ps, pe, os_, oe = p["startMiB"], end(p), o["startMiB"], end(o)
            if os_ <= ps <= oe or os_ <= pe <= oe or (ps < os_ and pe > oe):
                return i
    return None


def partition_rule(spec: Spec, p: dict, path: tuple, r: Report) -> None:
    label = p.get("label")
    if p.get("shouldExist") is False and (
        label is not None
        or not _empty(p.get("typeGuid"))
        or not _empty(p.get("guid"))
        or p.get("startMiB") is not None
        or p.get("sizeMiB") is not None
    ):
        r.error(path, ERR_SHOULD_NOT_EXIST_WITH_OTHERS)
    if p.get("number", 0) == 0 and label is None:
        r.error(path, ERR_NEED_LABEL_OR_NUMBER)
    if label is not None:
        if _blen(label) > 36:
            r.error(path + ("label",), ERR_PART_LABEL_TOO_LONG)
        elif ":" in label:
            r.error(path + ("label",), ERR_PART_LABEL_COLON)
    for key in ("guid", "typeGuid"):
        g = p.get(key)
        if g is not None and not _GUID.match(g):
            r.error(path + (key,), ERR_GUID)


def filesystem_rule(spec: Spec, f: dict, path: tuple, r: Report) -> None:
    feat = spec.features
    fmt = f.get("format")
    device = f.get("device", "")
    label = f.get("label")
    _on(r, path + ("path",), None if _empty(f.get("path")) else path_error(f["path"]))
    if feat.fs_virtiofs and fmt == "virtiofs":
        if device == "":
            r.error(path + ("device",), ERR_NO_DEVICE)
        elif _blen(device) > 36:
            r.error(path + ("device",), ERR_VIRTIOFS_TAG_TOO_LONG)
    else:
        _on(r, path + ("device",), path_error(device))
    if _empty(fmt):
        if (
            not _empty(f.get("path"))
            or not _empty(label)
            or not _empty(f.get("uuid"))
            or f.get("wipeFilesystem") is True
            or (feat.fs_mount_options and f.get("mountOptions"))
            or f.get("options")
        ):
            r.error(path + ("format",), ERR_FORMAT_NIL_WITH_OTHERS)
    elif fmt not in feat.fs_formats:
        r.error(path + ("format",), ERR_FS_INVALID_FORMAT)
    if not _empty(label):
        if _empty(fmt):
            r.error(path + ("label",), ERR_LABEL_NEEDS_FORMAT)
        elif fmt in FS_LABEL_LIMITS:
            if _blen(label) > FS_LABEL_LIMITS[fmt]:  # type: ignore[arg-type]
                limit = FS_LABEL_LIMITS[fmt]
                r.error(path + ("label",), f"filesystem labels cannot be longer than {limit} characters when using {fmt}")
        elif feat.fs_virtiofs and fmt == "virtiofs":
            r.error(path + ("label",), ERR_VIRTIOFS_LABEL)
    if feat.fs_virtiofs and fmt == "virtiofs":
        if not _empty(f.get("uuid")):
            r.error(path + ("uuid",), ERR_UUID_NOT_BLOCK)
        if f.get("wipeFilesystem") is True:
            r.error(path + ("wipeFilesystem",), ERR_WIPE_NOT_BLOCK)
        if f.get("options"):
            r.error(path + ("options",), ERR_MKFS_OPTIONS_NOT_BLOCK)


def _clevis_present(clevis: dict) -> bool:
    threshold = clevis.get("threshold")
    return (
        not _empty(clevis.get("custom", {}).get("pin"))
        or bool(clevis.get("tang"))
        or clevis.get("tpm2") is True
        or (threshold is not None and threshold != 0)
    )


def luks_rule(spec: Spec, lk: dict, path: tuple, r: Report) -> None:
    if "/" in lk.get("name", ""):
        r.error(path + ("name",), ERR_LUKS_NAME_SLASH)
    label = lk.get("label")
    if not _empty(label) and _blen(label) > 47:  # type: ignore[arg-type]
        r.error(path + ("label",), ERR_LUKS_LABEL_TOO_LONG)
    device = lk.get("device")
    if _empty(device):
        r.error(path + ("device",), ERR_DISK_DEVICE_REQUIRED)
    else:
        _on(r, path + ("device",), path_error(device))  # type: ignore[arg-type]
    clevis = lk.get("clevis")
    if clevis is not None:
        threshold = clevis.get("threshold")
        others = bool(clevis.get("tang")) or clevis.get("tpm2") is True or (threshold is not None and threshold != 0)
        custom = clevis.get("custom")
        if spec.features.clevis_pin_names is not None and "Custom" in spec.structs:
            has_custom = custom is not None  # 3.2: a pointer
        else:
            has_custom = custom is not None and not _empty(custom.get("pin"))
        if has_custom and others:
            r.error(path + ("clevis",), ERR_CLEVIS_CUSTOM_WITH_OTHERS)
    if _url_nil_ok(spec, lk.get("keyFile", {}).get("source")):
        # The reference names a field that does not exist here.
        r.error(path + ("keys",), ERR_LUKS_KEY_FILE)
    if spec.features.luks_cex and lk.get("cex", {}).get("enabled") is True:
        if clevis is not None and _clevis_present(clevis):
            r.error(path + ("cex",), ERR_CEX_WITH_CLEVIS)
        if not _empty(lk.get("keyFile", {}).get("source")):
            r.error(path + ("cex",), ERR_CEX_WITH_KEY_FILE)


def custom_rule(spec: Spec, cu: dict, path: tuple, r: Report) -> None:
    """Spec 3.2's clevis ``custom`` (plain strings)."""
    pin, config = cu.get("pin", ""), cu.get("config", "")
    if pin == "" and config == "":
        return
    if pin not in ("tpm2", "tang", "sss"):
        r.error(path + ("pin",), ERR_CLEVIS_UNKNOWN_PIN)
    if config == "":
        r.error(path + ("config",), ERR_CLEVIS_CONFIG_REQUIRED)


def clevis_custom_rule(spec: Spec, cu: dict, path: tuple, r: Report) -> None:
    pin, config = cu.get("pin"), cu.get("config")
    if _empty(pin) and _empty(config) and cu.get("needsNetwork") is not True:
        return
    names = spec.features.clevis_pin_names
    if _empty(pin):
        r.error(path + ("pin",), ERR_CLEVIS_PIN_REQUIRED)
    elif names is not None and pin not in names:
        r.error(path + ("pin",), ERR_CLEVIS_UNKNOWN_PIN)
    if _empty(config):
        r.error(path + ("config",), ERR_CLEVIS_CONFIG_REQUIRED)


def tang_rule(spec: Spec, t: dict, path: tuple, r: Report) -> None:
    u = url_parse(t.get("url", ""))
    if u is None:
        r.error(path + ("url",), ERR_INVALID_URL)
    elif u.scheme not in ("http", "https"):
        r.error(path + ("url",), ERR_INVALID_SCHEME)
    if _empty(t.get("thumbprint")):
        r.error(path + ("thumbprint",), ERR_TANG_THUMBPRINT)
    adv = t.get("advertisement")
    if spec.features.tang_advertisement and not _empty(adv):
        from .._go.json_errors import json_valid_any

        if not json_valid_any(adv.encode("utf-8", "surrogatepass")):  # type: ignore[union-attr]
            r.error(path + ("advertisement",), ERR_TANG_ADVERTISEMENT)


def raid_rule(spec: Spec, ra: dict, path: tuple, r: Report) -> None:
    level = ra.get("level")
    err = None
    if spec.features.raid_level_required and _empty(level):
        err = ERR_RAID_LEVEL_REQUIRED
    else:
        level = level or ""
        if level in RAID_LEVELS_NO_SPARES:
            spares = ra.get("spares")
            if spares is not None and spares != 0:
                err = ERR_SPARES_UNSUPPORTED
        elif level not in RAID_LEVELS:
            err = ERR_RAID_LEVEL_UNKNOWN
    _on(r, path + ("level",), err)
    if not ra.get("devices"):
        r.error(path + ("devices",), ERR_RAID_DEVICES_REQUIRED)


def unit_rule(spec: Spec, u: dict, path: tuple, r: Report) -> None:
    name = u.get("name", "")
    if path_ext(name) not in UNIT_SUFFIXES:
        r.error(path + ("name",), ERR_SYSTEMD_EXT)
    contents = u.get("contents")
    opts, err = unit_options(contents)
    at = path + ("contents",)
    _on(r, at, err)
    if u.get("enabled") is True and not _empty(contents) and opts is not None:
        if not any(section == "Install" for section, _, _ in opts):
            r.warn(at, f"unit {go_quote(name)} is enabled, but has no install section so enable does nothing")


def dropin_rule(spec: Spec, d: dict, path: tuple, r: Report) -> None:
    _, err = unit_options(d.get("contents"))
    _on(r, path + ("contents",), err)
    if path_ext(d.get("name", "")) != ".conf":
        r.error(path + ("name",), ERR_SYSTEMD_DROPIN_EXT)


def systemd_rule(spec: Spec, s: dict, path: tuple, r: Report) -> None:
    units = s.get("units") or ()
    by_name = {u.get("name", ""): u for u in units}
    for i, unit in enumerate(units):
        name = unit.get("name", "")
        if unit.get("enabled") is not True:
            continue
        m = _INSTANCE_UNIT.match(name)
        if not m:
            continue
        template = m.group(1) + "@.service"
        tu = by_name.get(template)
        if tu is None or _empty(tu.get("contents")):
            continue
        opts, err = unit_options(tu["contents"])
        if err is not None:
            continue
        if not any(section == "Install" for section, _, _ in opts):  # type: ignore[union-attr]
            r.warn(
                path + ("units", i, "contents"),
                f"template unit {go_quote(template)} for {go_quote(name)} doesn't have Install section",
            )


def storage_rule(spec: Spec, s: dict, path: tuple, r: Report) -> None:
    links = s.get("links") or ()
    link_prefixes = [l.get("path", "") + "/" for l in links]
    if link_prefixes:
        for kind, err in (("directories", ERR_DIR_USED_SYMLINK), ("files", ERR_FILE_USED_SYMLINK)):
            for i, node in enumerate(s.get(kind) or ()):
                p = node.get("path", "")
                for prefix in link_prefixes:
                    if p.startswith(prefix):
                        r.error(path + (kind, i), err)
    dirs = s.get("directories") or ()
    for i, l1 in enumerate(links):
        p1 = l1.get("path", "")
        for prefix in link_prefixes:
            if p1.startswith(prefix):
                r.error(path + ("links", i), ERR_LINK_USED_SYMLINK)
        target = l1.get("target")
        if spec.features.link_target_required:
            if _empty(target):
                r.error(path + ("links", i, "target"), ERR_LINK_TARGET_REQUIRED)
                continue
        elif target is None:
            target = ""
        if l1.get("hard") is not True:
            continue
        resolved = path_clean(target)
        if not resolved.startswith("/"):
            resolved = path_join(p1, target)
        for d in dirs:
            if resolved == d.get("path", ""):
                r.error(path + ("links", i), ERR_HARD_LINK_TO_DIR)
        for owner in ("user", "group"):
            o = l1.get(owner, {})
            for key in ("id", "name"):
                if o.get(key) is not None:
                    r.warn(path + ("links", i, owner, key), ERR_HARD_LINK_OWNER)
    disks = {d.get("device", ""): d for d in s.get("disks") or ()}
    if disks:
        for i, f in enumerate(s.get("filesystems") or ()):
            disk = disks.get(f.get("device", ""))
            if disk is None:
                continue
            if disk.get("partitions"):
                r.warn(path + ("filesystems", i, "device"), ERR_PARTITIONS_OVERWRITTEN)
            elif f.get("wipeFilesystem") is not True and disk.get("wipeTable") is True:
                r.warn(path + ("filesystems", i, "device"), ERR_FS_IMPLICIT_WIPE)


RULES: dict[str, Rule] = {
    "Config": config_rule,
    "Ignition": ignition_rule,
    "IgnitionConfig": ignition_config_rule,
    "TLS": tls_rule,
    "ConfigReference": config_reference_rule,
    "CaReference": ca_reference_rule,
    "FileContents": resource_rule,
    "Resource": resource_rule,
    "HTTPHeader": http_header_rule,
    "Proxy": proxy_rule,
    "Verification": verification_rule,
    "File": file_rule,
    "Directory": directory_rule,
    "Link": node_rule,
    "NodeUser": owner_rule,
    "NodeGroup": owner_rule,
    "Device": device_rule,  # type: ignore[dict-item]
    "Disk": disk_rule,
    "Partition": partition_rule,
    "Filesystem": filesystem_rule,
    "Luks": luks_rule,
    "Custom": custom_rule,
    "ClevisCustom": clevis_custom_rule,
    "Tang": tang_rule,
    "Raid": raid_rule,
    "Unit": unit_rule,
    "Dropin": dropin_rule,
    "Systemd": systemd_rule,
    "Storage": storage_rule,
}

# Lists whose duplicates are allowed, by the struct holding them.
IGNORE_DUPLICATES: dict[str, frozenset[str]] = {
    "File": frozenset({"append"}),
    "Filesystem": frozenset({"options", "mountOptions"}),
    "Luks": frozenset({"options"}),
    "Raid": frozenset({"options"}),
}
# Lists that share one namespace for duplicates, by the struct holding them.
MERGED_KEYS: dict[str, dict[str, str]] = {
    "Storage": {"directories": "Node", "files": "Node", "links": "Node"},
    "KernelArguments": {"shouldExist": "KernelArgument", "shouldNotExist": "KernelArgument"},
}


def _source_key(v: dict) -> str:
    return v.get("source") or ""


def _partition_key(p: dict) -> str:
    n = p.get("number", 0)
    if n != 0:
        return f"number:{n}"
    label = p.get("label")
    return "" if label is None else f"label:{label}"


# The key each list item is compared by, by item struct type.
ITEM_KEYS: dict[str, Callable[[dict], Any]] = {
    "Directory": lambda v: v.get("path", ""),
    "File": lambda v: v.get("path", ""),
    "Link": lambda v: v.get("path", ""),
    "Disk": lambda v: v.get("device", ""),
    "Filesystem": lambda v: v.get("device", ""),
    "Luks": lambda v: v.get("name", ""),
    "Raid": lambda v: v.get("name", ""),
    "Partition": _partition_key,
    "PasswdUser": lambda v: v.get("name", ""),
    "PasswdGroup": lambda v: v.get("name", ""),
    "Unit": lambda v: v.get("name", ""),
    "Dropin": lambda v: v.get("name", ""),
    "Resource": _source_key,
    "ConfigReference": _source_key,
    "FileContents": _source_key,
    "CaReference": lambda v: v.get("source", ""),
    "HTTPHeader": lambda v: v.get("name", ""),
    "Tang": lambda v: v.get("url", ""),
}
