"""Butane base sugar: from a decoded Butane config to an Ignition config.

Fields that Butane shares with Ignition are renamed (snake_case → camelCase) and copied.
The sugar (inline/local resources, trees, mount units, local unit contents and SSH keys,
quadlets) is expanded here. Every generated value is recorded in a
:class:`TranslationSet` (Ignition path → Butane path) so that findings about the output
point back at the YAML that caused them; a path not in the set maps to itself, in snake case.
"""

from __future__ import annotations

import errno
import os
import re
import stat

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Iterator

from .._go.dataurl import escape as data_url_escape
from ._dataurl import make_data_url
from ..ignition._merge import CHILD, Transcript, merge as ignition_merge
from ..ignition._spec import FieldType, Spec
from ..report import Entry, Report
from ._schema import Base, snake

ERR_TOO_MANY_RESOURCE_SOURCES = "only one of the following can be set: inline, local, source"
ERR_FILES_DIR_ESCAPE = "local file path traverses outside the files directory"
ERR_FILE_TYPE = "trees may only contain files, directories, and symlinks"
ERR_NODE_EXISTS = "matching filesystem node has existing contents or different type"
ERR_NO_FILES_DIR = "local file paths are relative to a files directory that must be specified with -d/--files-dir"
ERR_TREE_NOT_DIRECTORY = "root of tree must be a directory"
ERR_TREE_NO_LOCAL = "local is required"
ERR_DECIMAL_MODE = "unreasonable mode would be reasonable if specified in octal; remember to add a leading zero"
ERR_TOO_MANY_SYSTEMD_SOURCES = "only one of the following can be set: contents, contents_local"
ERR_QUADLET_BAD_EXTENSION = (
    "unsupported file extension for quadlet: must be one of .container, .volume, .network, .kube, "
    ".image, .build, .pod, or .artifact"
)
ERR_TEMPLATE_INSTANCE_CONTENTS = "template instances cannot have contents or contents_local"
ERR_MOUNT_UNIT_NO_PATH = "path is required if with_mount_unit is true and format is not swap"
ERR_MOUNT_UNIT_NO_FORMAT = "format is required if with_mount_unit is true"
ERR_UNKNOWN_IGNITION_VERSION = "skipping validation for the merge/replace ignition config due to an unkown version"


class LocalFileError(Exception):
    """A ``local:`` path that cannot be used; the message is the reference's."""


class Options:
    """How to translate (plain classes here, not dataclasses: see :class:`~butane_py.report.Entry`)."""

    def __init__(self, files_dir: str | None = None, no_auto_compression: bool = False,
                 full_translations: bool = False) -> None:
        self.files_dir = files_dir
        # openshift 4.8 and 4.9 turn automatic compression off.
        self.no_auto_compression = no_auto_compression
        # Record every copied field in the translation set, as the reference does. Only
        # needed when output paths are re-rooted (a MachineConfig); otherwise implied.
        self.full_translations = full_translations


class TranslationSet:
    """Ignition output path → Butane input path."""

    __slots__ = ("set",)

    def __init__(self) -> None:
        self.set: dict[tuple, tuple] = {}

    def add(self, frm: tuple, to: tuple) -> None:
        self.set[to] = frm

    def get(self, to: tuple) -> tuple | None:
        return self.set.get(to)

    def merge(self, other: "TranslationSet") -> None:
        self.set.update(other.set)

    def map_path(self, to: tuple) -> tuple:
        """Where a finding at output path ``to`` belongs in the input."""
        frm = self.set.get(to)
        if frm is not None:
            return frm
        return tuple(snake(p) if isinstance(p, str) else p for p in to)

    def add_common_source(self, common: tuple, to_prefix: tuple, value: Any, ft: FieldType, spec: Spec) -> None:
        """Every path inside ``value`` (zero fields included) comes from ``common``."""
        for p in all_paths(value, ft, spec):
            self.add(common, to_prefix + p)
        self.add(common, to_prefix)


def all_paths(value: Any, ft: FieldType, spec: Spec, include_zero: bool = True) -> Iterator[tuple]:
    """Go's ``getAllPaths``: the paths of every field, element and nested value."""
    if value is None:
        return
    if ft.kind == "list":
        for i, x in enumerate(value):
            for p in all_paths(x, ft.item, spec, include_zero):  # type: ignore[arg-type]
                yield (i,) + p
            yield (i,)
    elif ft.kind == "struct":
        for name, sub in spec.compiled[ft.struct].fields:  # type: ignore[index]
            v = value.get(name)
            if v is None and not include_zero:
                continue
            if v is not None or sub.kind == "struct" and not sub.pointer:
                inner = v if v is not None else {}
                for p in all_paths(inner, sub, spec, include_zero):
                    yield (name,) + p
            yield (name,)


def identity_set(config: dict, spec: Spec) -> TranslationSet:
    """The set Go's generic translator records for a config copied field by field."""
    ts = TranslationSet()
    for p in _identity_paths(config, FieldType.parse("Config"), spec):
        ts.add(tuple(snake(x) if isinstance(x, str) else x for x in p), p)
    return ts


def _identity_paths(value: Any, ft: FieldType, spec: Spec) -> Iterator[tuple]:
    if ft.kind == "list":
        if value is None:
            return
        for i, x in enumerate(value):
            for p in _identity_paths(x, ft.item, spec):  # type: ignore[arg-type]
                yield (i,) + p
        yield ()
    elif ft.kind == "struct":
        if value is None:
            return
        for name, sub in spec.compiled[ft.struct].fields:  # type: ignore[index]
            v = value.get(name)
            if sub.kind == "struct" and not sub.pointer and v is None:
                continue
            for p in _identity_paths(v, sub, spec):
                yield (name,) + p
        if value:
            yield ()
    else:
        if value is None and ft.pointer:
            return
        yield ()


# -- local files --------------------------------------------------------------------------


def ensure_within(path: str, files_dir: str) -> None:
    base = os.path.abspath(files_dir)
    full = os.path.abspath(path)
    if full != base and not full.startswith(base + os.sep):
        raise LocalFileError(ERR_FILES_DIR_ESCAPE)


def _os_error(exc: OSError, path: str, op: str = "open") -> str:
    from ..io import os_reason

    reason = os_reason(exc)
    if isinstance(exc, IsADirectoryError):
        return f"read {_shown(path)}: is a directory"
    return f"{op} {_shown(path)}: {reason}"


def go_join(*parts: str) -> str:
    """Go's filepath.Join: an absolute later part does not restart the path."""
    import posixpath

    joined = "/".join(p for p in parts if p)
    if not joined:
        return ""
    cleaned = posixpath.normpath(joined)
    return cleaned[1:] if cleaned.startswith("//") else cleaned


_O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# Non-blocking so that a FIFO cannot hang the translation; it is refused after fstat.
_O_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_MAX_LINKS = 40  # as Linux, per lookup


def _shown(path: str) -> str:
    """``path`` for a one-line message: control characters (a NUL, a newline) escaped."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", path)


def _os_name(name: str) -> bytes:
    """A path as the OS takes it; a NUL or an unencodable character is EINVAL, as for Go."""
    try:
        raw = os.fsencode(name)
    except UnicodeError:
        raw = b"\0"
    if b"\0" in raw:
        raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
    return raw


def open_beneath(files_dir: str, path: str, flags: int = _O_FILE) -> int:
    """Open ``path`` (lexically inside ``files_dir``) without ever leaving ``files_dir``.

    Each component is opened with O_NOFOLLOW relative to the directory descriptor before
    it, and symbolic links are resolved here, so what is opened is what was checked: a
    link (or a chain of them) that leads out of ``files_dir`` at any step is refused, with
    no window for swapping a file for a link. Links that stay inside are followed, as the
    reference follows them.
    """
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(files_dir))
    todo = _os_name(rel).split(b"/")[::-1]
    # The files directory itself is the user's choice: a link there is followed.
    stack = [os.open(_os_name(files_dir), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)]
    links = 0
    try:
        while todo:
            name = todo.pop()
            if name in (b"", b"."):
                continue
            if name == b"..":
                if len(stack) == 1:
                    raise LocalFileError(ERR_FILES_DIR_ESCAPE)
                os.close(stack.pop())
                continue
            last = not any(p not in (b"", b".") for p in todo)
            try:
                fd = os.open(name, flags if last else _O_DIR, dir_fd=stack[-1])
            except OSError as exc:
                # O_NOFOLLOW on a link: ELOOP, or ENOTDIR with O_DIRECTORY.
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                try:
                    target = os.readlink(name, dir_fd=stack[-1])
                except OSError:
                    raise exc from None
                links += 1
                if links > _MAX_LINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP)) from None
                if target.startswith(b"/"):
                    base = os.fsencode(os.path.realpath(files_dir)).rstrip(b"/") + b"/"
                    if not (target + b"/").startswith(base):
                        raise LocalFileError(ERR_FILES_DIR_ESCAPE) from None
                    target = target[len(base) :]
                    while len(stack) > 1:
                        os.close(stack.pop())
                todo.extend(target.split(b"/")[::-1])
                continue
            if last:
                return fd
            stack.append(fd)
        # The path names a directory already open (the files directory itself, or after "..").
        return os.open(".", flags & ~os.O_NOFOLLOW, dir_fd=stack[-1])
    finally:
        for fd in stack:
            os.close(fd)


def _read_regular(fd: int, path: str) -> bytes:
    """All of the regular file open at ``fd`` (closed here)."""
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if not stat.S_ISREG(mode):
            raise LocalFileError(f"read {_shown(path)}: not a regular file")
        return f.read()


def read_local_file(config_path: str, files_dir: str | None) -> bytes:
    """Read ``config_path`` below ``files_dir`` as the reference does, refusing escapes."""
    if not files_dir:
        raise LocalFileError(ERR_NO_FILES_DIR)
    full = go_join(files_dir, config_path)
    ensure_within(full, files_dir)
    try:
        return _read_regular(open_beneath(files_dir, full), full)
    except OSError as exc:
        raise LocalFileError(_os_error(exc, full)) from None


# -- modes ---------------------------------------------------------------------------------


def _typical_mode(mode: int, directory: bool) -> bool:
    if mode == 0:
        return True
    had_r = had_w = had_x = False
    for perm in (mode & 0o7, (mode & 0o70) >> 3, (mode & 0o700) >> 6):
        r, w, x = perm & 4 != 0, perm & 2 != 0, perm & 1 != 0
        if (not r and had_r) or (not w and had_w) or (not x and had_x):
            return False
        if x and had_r and not had_x:
            return False
        if (w or x) and not r:
            return False
        had_r, had_w, had_x = had_r or r, had_w or w, had_x or x
    if not had_r:
        return False
    if directory:
        if not had_x or mode & 0o4000 or (mode & 0o3000 and not had_w):
            return False
    else:
        if mode & 0o6000 and (not had_x or mode & 2):
            return False
        if mode & 0o1000:
            return False
    return True


def decimal_mode_warning(mode: int, directory: bool) -> str | None:
    if mode < 0 or mode > 7777:
        return None
    octal = 0
    for divisor in (1000, 100, 10, 1):
        digit = (mode // divisor) % 10
        if digit > 7:
            return None
        octal = (octal << 3) | digit
    if not _typical_mode(mode, directory) and _typical_mode(octal, directory):
        return ERR_DECIMAL_MODE
    return None


# -- systemd helpers -----------------------------------------------------------------------

_UNIT_ALLOWED = frozenset(b":_.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def unit_name_path_escape(path: str) -> str:
    """go-systemd's UnitNamePathEscape."""
    out: list[str] = []
    in_slashes = False
    start = True
    for c in path.encode("utf-8", "surrogateescape"):
        if c == 0x2F:
            in_slashes = True
            continue
        if in_slashes:
            in_slashes = False
            if not start:
                out.append("-")
        if (start and c == 0x2E) or c not in _UNIT_ALLOWED:
            out.append(f"\\x{c:x}")
        else:
            out.append(chr(c))
        start = False
    return "".join(out) or "-"


def mount_unit(fs: dict, remote: bool, swap_units: bool) -> dict:
    device = fs.get("device", "")
    options = list(fs.get("mount_options") or ())
    if remote:
        options.append("_netdev")
    opt_line = ["Options=" + ",".join(options)] if options else []
    escaped = unit_name_path_escape(device)
    swap = swap_units and fs.get("format") == "swap"
    if swap:
        lines = ["# Generated by Butane", "[Swap]", f"What={device}", *opt_line, "", "[Install]", "RequiredBy=swap.target"]
        name = escaped + ".swap"
    else:
        lines = [
            "# Generated by Butane",
            "[Unit]",
            f"Requires=systemd-fsck@{escaped}.service",
            f"After=systemd-fsck@{escaped}.service",
            "",
            "[Mount]",
            f"Where={fs.get('path', '')}",
            f"What={device}",
            f"Type={fs.get('format', '')}",
            *opt_line,
            "",
            "[Install]",
            "RequiredBy=remote-fs.target" if remote else "RequiredBy=local-fs.target",
        ]
        name = unit_name_path_escape(fs.get("path", "")) + ".mount"
    return {"contents": "\n".join(lines), "enabled": True, "name": name}


QUADLET_SUFFIXES = (".container", ".volume", ".network", ".kube", ".image", ".build", ".pod", ".artifact")


def template_instance(name: str) -> str | None:
    """``foo@bar.container`` → ``foo@.container``; None when not a template instance."""
    at = name.find("@")
    if at == -1:
        return None
    dot = name.rfind(".")
    if dot == -1 or at + 1 == dot:
        return None
    return f"{name[:at]}@.{name[dot + 1:]}"


# -- the translator ------------------------------------------------------------------------


class Translator:
    def __init__(self, base: Base, options: Options, report: Report | None = None,
                 ts: TranslationSet | None = None) -> None:
        self.base = base
        self.options = options
        # Findings at input (Butane) paths, and at output (Ignition) paths to map back.
        self.report = Report() if report is None else report
        self.ts = TranslationSet() if ts is None else ts
        self.out_report = Report()

    @property
    def spec(self) -> Spec:
        return self.base.spec

    def error(self, path: tuple, message: str) -> None:
        self.report.error(path, message)

    def data_url(self, contents: bytes, compression: str | None) -> tuple[str, str | None]:
        return make_data_url(contents, compression, not self.options.no_auto_compression)

    # generic copy

    def struct(self, name: str, v: dict, path: tuple) -> dict:
        handler = getattr(self, f"_t_{name}", None)
        out = self._copy(name, v, path)
        if handler is not None:
            handler(v, out, path)
        return out

    def _copy(self, name: str, v: dict, path: tuple) -> dict:
        names = self.base.ignition_names.get(name, {})
        out: dict = {}
        ign = self.spec.compiled[name]
        for key, value in v.items():
            ign_key = names.get(key)
            if ign_key is None:
                continue
            ft = ign.by_name[ign_key]
            out[ign_key] = self.value(ft, value, path + (key,))
        return out

    def value(self, ft: FieldType, v: Any, path: tuple) -> Any:
        if ft.kind == "struct":
            return self.struct(ft.struct, v, path)  # type: ignore[arg-type]
        if ft.kind == "list":
            item = ft.item
            if item.kind == "struct":  # type: ignore[union-attr]
                return [self.struct(item.struct, x, path + (i,)) for i, x in enumerate(v)]  # type: ignore[union-attr, arg-type]
            return list(v)
        return v

    # sugar on individual structs

    def _resource(self, v: dict, out: dict, path: tuple) -> None:
        local, inline = v.get("local"), v.get("inline")
        if local is not None:
            c = path + ("local",)
            try:
                contents = read_local_file(local, self.options.files_dir)
            except LocalFileError as exc:
                self.error(c, str(exc))
                return
            # The reference means to validate local configs under ignition.config here,
            # but compares a relative path, so it never does; neither do we.
            self._set_source(out, contents, path, c)
        if inline is not None:
            self._set_source(out, inline.encode("utf-8", "surrogateescape"), path, path + ("inline",))

    def _set_source(self, out: dict, contents: bytes, path: tuple, c: tuple) -> None:
        if not self.base.has("resource_local"):
            # v0_1 only percent-encodes inline contents, and never compresses them.
            out["source"] = "data:," + data_url_escape(contents)
            self.ts.add(c, path + ("source",))
            return
        url, compression = self.data_url(contents, out.get("compression"))
        out["source"] = url
        self.ts.add(c, path + ("source",))
        if compression is not None:
            out["compression"] = compression
            self.ts.add(c, path + ("compression",))

    _t_Resource = _resource
    _t_FileContents = _resource

    def _t_PasswdUser(self, v: dict, out: dict, path: tuple) -> None:
        local = v.get("ssh_authorized_keys_local")
        if not local:
            return
        c = path + ("ssh_authorized_keys_local",)
        self.ts.add(c, path + ("sshAuthorizedKeys",))
        if not self.options.files_dir:
            self.error(c, ERR_NO_FILES_DIR)
            return
        keys = out.setdefault("sshAuthorizedKeys", [])
        for i, name in enumerate(local):
            try:
                data = read_local_file(name, self.options.files_dir)
            except LocalFileError as exc:
                self.error(c + (i,), str(exc))
                continue
            for line in re.split("\r?\n", data.decode("utf-8", "surrogateescape")):
                if line:
                    self.ts.add(c + (i,), path + ("sshAuthorizedKeys", len(keys)))
                    keys.append(line)

    def _contents_local(self, v: dict, out: dict, path: tuple) -> None:
        local = v.get("contents_local")
        if not local:
            return
        c = path + ("contents_local",)
        try:
            data = read_local_file(local, self.options.files_dir)
        except LocalFileError as exc:
            self.error(c, str(exc))
            return
        self.ts.add(c, path + ("contents",))
        out["contents"] = data.decode("utf-8", "surrogateescape")

    _t_Unit = _contents_local
    _t_Dropin = _contents_local


def validate_embedded_ignition(spec: Spec, c: tuple, raw: bytes) -> tuple[Report, bool]:
    """Check an inline config under ``ignition.config`` as the reference does.

    Returns its findings and whether it parsed. The findings keep paths relative to the
    embedded config, as the reference's do (and are then placed in the YAML by them).
    """
    from .._go import json as _gojson
    from ..ignition._decode import Decoder, DecodeTypeError
    from .._go.semver import semver_parse
    from ..ignition._validate import _type_entry, check

    r = Report()
    try:
        text, value, _ = _gojson.parse(raw)
    except _gojson.JSONSyntaxError as exc:
        r.error((), exc.message)
        return r, False
    try:
        decoded = Decoder(spec).decode(value)
    except DecodeTypeError as exc:
        entry = _type_entry(raw, _gojson.Locator(text), exc, "Config")
        r.entries.append(Entry(entry.kind, entry.message, ()))
        return r, False
    sv = semver_parse(decoded.get("ignition", {}).get("version", ""))
    if sv is not None and sv != spec.semver:
        r.warn(c + ("version",), ERR_UNKNOWN_IGNITION_VERSION)
        return r, True
    for e in check(spec, decoded, value).entries:
        r.entries.append(Entry(e.kind, e.message, e.path))
    return r, True


# -- whole-config passes ---------------------------------------------------------------------


def add_mount_units(tr: Translator, cfg: dict, config: dict) -> dict:
    """Generate mount and swap units for filesystems with ``with_mount_unit``, merged under the user's."""
    filesystems = cfg.get("storage", {}).get("filesystems") or ()
    if not filesystems:
        return config
    units = []
    rendered_ts = TranslationSet()
    rendered_ts.add(("storage", "filesystems"), ("systemd",))
    rendered_ts.add(("storage", "filesystems"), ("systemd", "units"))
    luks = cfg.get("storage", {}).get("luks") or ()
    spec = tr.spec
    for i, fs in enumerate(filesystems):
        if fs.get("with_mount_unit") is not True:
            continue
        device = fs.get("device", "")
        remote = False
        if tr.base.has("tang_netdev") and device.startswith(("/dev/mapper/", "/dev/disk/by-id/dm-name-")):
            for lk in luks:
                name = lk.get("name", "")
                if device in (f"/dev/mapper/{name}", f"/dev/disk/by-id/dm-name-{name}"):
                    if (lk.get("clevis") or {}).get("tang"):
                        remote = True
                        break
        unit = mount_unit(fs, remote, tr.base.has("swap_units"))
        rendered_ts.add_common_source(
            ("storage", "filesystems", i, "with_mount_unit"),
            ("systemd", "units", len(units)),
            unit,
            FieldType.parse("Unit"),
            spec,
        )
        units.append(unit)
    # Merged even with no units: the merge re-derives the translation set, which then
    # lacks the paths of zero values, as the reference's does.
    rendered = {"systemd": {"units": units}} if units else {}
    return merge_translated(spec, rendered, rendered_ts, config, tr)


def merge_translated(spec: Spec, parent: dict, parent_ts: TranslationSet, child: dict, tr: Translator) -> dict:
    """Merge ``child`` over ``parent`` and re-point the translation set (MergeTranslatedConfigs)."""
    child_ts = identity_set(child, spec)
    child_ts.merge(tr.ts)
    transcript = Transcript()
    result = ignition_merge(spec, parent, child, transcript)
    merged = TranslationSet()
    for m in transcript.mappings:
        left = child_ts if m.source == CHILD else parent_ts
        frm = left.set.get(m.from_path)
        if frm is None:
            continue
        if m.to_path in merged.set and m.source != CHILD:
            continue
        merged.add(frm, m.to_path)
    tr.ts = merged
    return result


class NodeTracker:
    """The files, directories and links of a config, by path, for sugar that adds nodes."""

    def __init__(self, config: dict) -> None:
        storage = config.setdefault("storage", {})
        self.lists = {k: storage.setdefault(k, []) for k in ("files", "directories", "links")}
        self.index = {k: {n.get("path", ""): i for i, n in enumerate(v)} for k, v in self.lists.items()}

    def exists(self, path: str) -> bool:
        return any(path in m for m in self.index.values())

    def get(self, kind: str, path: str) -> tuple[int, dict | None]:
        i = self.index[kind].get(path)
        return (i, self.lists[kind][i]) if i is not None else (0, None)

    def add(self, kind: str, node: dict) -> tuple[int, dict]:
        lst = self.lists[kind]
        i = len(lst)
        lst.append(node)
        self.index[kind][node["path"]] = i
        return i, node

    def prune(self, config: dict) -> None:
        storage = config["storage"]
        for k in ("files", "directories", "links"):
            if not storage[k]:
                del storage[k]
        if not storage:
            del config["storage"]


def _node(dest: str, user: dict, group: dict) -> dict:
    node: dict = {"path": dest}
    if user:
        node["user"] = {k: user[k] for k in ("id", "name") if k in user}
    if group:
        node["group"] = {k: group[k] for k in ("id", "name") if k in group}
    return node


def process_trees(tr: Translator, cfg: dict, config: dict) -> None:
    trees = cfg.get("storage", {}).get("trees") or ()
    if not trees:
        return
    t = NodeTracker(config)
    spec = tr.spec
    for i, tree in enumerate(trees):
        yp = ("storage", "trees", i)
        if not tr.options.files_dir:
            tr.error(yp, ERR_NO_FILES_DIR)
            break
        src_base = go_join(tr.options.files_dir, tree.get("local", ""))
        try:
            ensure_within(src_base, tr.options.files_dir)
            entries = _tree_entries(tr.options.files_dir, src_base)
        except LocalFileError as exc:
            tr.error(yp, str(exc))
            continue
        except OSError as exc:
            from ..io import os_reason

            tr.error(yp, f"stat {_shown(src_base)}: {os_reason(exc)}")
            continue
        dest_base = tree.get("path") or "/"
        _walk_tree(tr, t, spec, yp, entries, dest_base, tree)
    t.prune(config)


class _TreeError(Exception):
    """An entry of a tree that cannot be read; reported at the tree, the walk goes on."""


def _tree_entries(files_dir: str, src_base: str) -> Iterator[tuple[str, str, Any]]:
    """The tree at ``src_base`` in filepath.Walk order (lexical, a directory before its
    contents, links not followed): ``(relative path, kind, detail)``.

    ``kind`` is "dir", "link" (detail: the target), "file" (detail: a function returning
    the contents and mode of what was read), "other", or "error" (detail: the message).
    The root is checked (OSError, LocalFileError) before this returns; the walk itself
    is iterative (any depth) and holds one directory descriptor: each entry is opened
    relative to its directory without following links, and returning to a parent
    checks that it is still the directory that was left.
    """
    top = open_beneath(files_dir, src_base)
    try:
        if not stat.S_ISDIR(os.fstat(top).st_mode):
            raise LocalFileError(ERR_TREE_NOT_DIRECTORY)
        target = _root_link(files_dir, src_base)
    except BaseException:
        os.close(top)
        raise
    if target is not None:
        os.close(top)
        return iter([("", "link", target)])
    return _walk_fd(top, src_base)


def _root_link(files_dir: str, src_base: str) -> str | None:
    """The target when the tree's root is itself a link: filepath.Walk makes it one link."""
    if os.path.abspath(src_base) == os.path.abspath(files_dir):
        # The files directory, as the user named it.
        return os.readlink(src_base) if os.path.islink(src_base) else None
    parent, name = os.path.split(os.path.abspath(src_base))
    pfd = open_beneath(files_dir, parent, _O_DIR)
    try:
        if stat.S_ISLNK(os.stat(name, dir_fd=pfd, follow_symlinks=False).st_mode):
            return os.readlink(name, dir_fd=pfd)
        return None
    finally:
        os.close(pfd)


def _walk_fd(fd: int, src_base: str) -> Iterator[tuple[str, str, Any]]:
    from ..io import os_reason as reason

    def where(rel: str) -> str:
        return _shown(os.path.join(src_base, rel) if rel else src_base)

    try:
        yield "", "dir", None
        frames: list[tuple[os.stat_result, str, Iterator[str]]] = []
        try:
            frames.append((os.fstat(fd), "", iter(sorted(os.listdir(fd)))))
        except OSError as exc:
            yield "", "error", f"open {where('')}: {reason(exc)}"
        while frames:
            _, dir_rel, names = frames[-1]
            name = next(names, None)
            if name is None:
                frames.pop()
                if not frames:
                    break
                up = frames[-1][0]
                try:
                    parent = os.open("..", _O_DIR, dir_fd=fd)
                except OSError as exc:
                    yield dir_rel, "error", f"open {where(dir_rel)}/..: {reason(exc)}"
                    return
                os.close(fd)
                fd = parent
                st = os.fstat(fd)
                if (st.st_dev, st.st_ino) != (up.st_dev, up.st_ino):
                    yield frames[-1][1], "error", f"walk {where(frames[-1][1])}: directory moved during the walk"
                    return
                continue
            rel = os.path.join(dir_rel, name) if dir_rel else name
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError as exc:
                yield rel, "error", f"lstat {where(rel)}: {reason(exc)}"
                continue
            mode = st.st_mode
            if stat.S_ISDIR(mode):
                yield rel, "dir", None
                try:
                    child = os.open(name, _O_DIR, dir_fd=fd)
                except OSError as exc:
                    yield rel, "error", f"open {where(rel)}: {reason(exc)}"
                    continue
                try:
                    entry = (os.fstat(child), rel, iter(sorted(os.listdir(child))))
                except OSError as exc:
                    os.close(child)
                    yield rel, "error", f"open {where(rel)}: {reason(exc)}"
                    continue
                os.close(fd)
                fd = child
                frames.append(entry)
            elif stat.S_ISREG(mode):
                yield rel, "file", lambda dfd=fd, n=name, r=rel: _read_entry(dfd, n, where(r))
            elif stat.S_ISLNK(mode):
                try:
                    target = os.readlink(name, dir_fd=fd)
                except OSError as exc:
                    yield rel, "error", f"readlink {where(rel)}: {reason(exc)}"
                    continue
                yield rel, "link", target
            else:
                yield rel, "other", None
    finally:
        os.close(fd)


def _read_entry(dir_fd: int, name: str, shown: str) -> tuple[bytes, int]:
    """Contents and mode of the regular file ``name`` in ``dir_fd``, as opened (not as listed)."""
    from ..io import os_reason

    try:
        fd = os.open(name, _O_FILE, dir_fd=dir_fd)
    except OSError as exc:
        # A link here was a file when listed: the tree changed under the walk.
        raise _TreeError(f"open {shown}: {os_reason(exc)}") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _TreeError(f"read {shown}: not a regular file (the tree changed during the walk)")
        try:
            return f.read(), st.st_mode
        except OSError as exc:
            raise _TreeError(f"read {shown}: {os_reason(exc)}") from None


def _walk_tree(tr: Translator, t: NodeTracker, spec: Spec, yp: tuple, entries, dest_base: str, tree: dict) -> None:
    import posixpath

    user, group = tree.get("user") or {}, tree.get("group") or {}
    file_mode, dir_mode = tree.get("file_mode"), tree.get("dir_mode")
    for rel, kind, detail in entries:
        dest = posixpath.normpath(posixpath.join(dest_base, rel.replace(os.sep, "/")))
        if dest.startswith("//"):
            dest = dest[1:]
        if kind == "error":
            tr.error(yp, detail)
        elif kind == "dir":
            if dir_mode is None and not user and not group:
                continue
            if t.exists(dest):
                tr.error(yp, ERR_NODE_EXISTS)
                continue
            node = _node(dest, user, group)
            node["mode"] = dir_mode if dir_mode is not None else 0o755
            i, _ = t.add("directories", node)
            tr.ts.add_common_source(yp, ("storage", "directories", i), node, FieldType.parse("Directory"), spec)
            if i == 0:
                tr.ts.add(yp, ("storage", "directories"))
        elif kind == "file":
            claimed = _tree_node(tr, t, yp, "files", dest, user, group, lambda f: f.get("contents", {}).get("source"))
            if claimed is None:
                continue
            i, f = claimed
            try:
                data, mode = detail()
            except _TreeError as exc:
                tr.error(yp, str(exc))
                continue
            fp = ("storage", "files", i)
            _set_contents(tr, f, fp, data, yp, yp)
            if f.get("mode") is None:
                f["mode"] = file_mode if file_mode is not None else (0o755 if mode & 0o111 else 0o644)
                tr.ts.add(yp, fp + ("mode",))
        elif kind == "link":
            claimed = _tree_node(tr, t, yp, "links", dest, user, group, lambda link: link.get("target"))
            if claimed is None:
                continue
            i, link = claimed
            link["target"] = detail.replace(os.sep, "/")
            tr.ts.add(yp, ("storage", "links", i, "target"))
        else:
            tr.error(yp, ERR_FILE_TYPE)


_NODE_TYPES = {"files": "File", "links": "Link", "directories": "Directory"}


def _tree_node(tr: Translator, t: NodeTracker, yp: tuple, kind: str, dest: str, user: dict, group: dict, occupied):
    """The node a tree entry fills: an existing empty one of the same kind, or a new one.

    None (after reporting) when ``dest`` is taken by contents or by another kind of node.
    """
    i, node = t.get(kind, dest)
    if node is not None:
        if occupied(node):
            tr.error(yp, ERR_NODE_EXISTS)
            return None
        return i, node
    if t.exists(dest):
        tr.error(yp, ERR_NODE_EXISTS)
        return None
    i, node = t.add(kind, _node(dest, user, group))
    tr.ts.add_common_source(yp, ("storage", kind, i), node, FieldType.parse(_NODE_TYPES[kind]), tr.spec)
    if i == 0:
        tr.ts.add(yp, ("storage", kind))
    return i, node


def _set_contents(tr: Translator, f: dict, fp: tuple, data: bytes, source_from: tuple, compression_from: tuple) -> None:
    """Embed ``data`` as file ``f``'s contents (at output path ``fp``), recording where it came from."""
    contents = f.setdefault("contents", {})
    url, compression = tr.data_url(data, contents.get("compression"))
    contents["source"] = url
    tr.ts.add(source_from, fp + ("contents", "source"))
    if compression is not None:
        contents["compression"] = compression
        tr.ts.add(compression_from, fp + ("contents", "compression"))
    tr.ts.add(source_from, fp + ("contents",))


def process_quadlets(tr: Translator, cfg: dict, config: dict) -> None:
    quadlets = cfg.get("systemd", {}).get("quadlets") or ()
    if not quadlets:
        return
    t = NodeTracker(config)
    tr.ts.add(("systemd", "quadlets"), ("storage",))
    for qi, q in enumerate(quadlets):
        qp = ("systemd", "quadlets", qi)
        name = q.get("name", "")
        base = "/etc/containers/systemd" if q.get("rootful") else "/etc/containers/systemd/users"
        dest = f"{base}/{name}" if name else base
        template = template_instance(name)
        if template is not None:
            i, link = t.get("links", dest)
            if link is not None or t.exists(dest):
                tr.error(qp, ERR_NODE_EXISTS)
            else:
                i, link = t.add("links", {"path": dest, "target": template})
                if i == 0:
                    tr.ts.add(qp, ("storage", "links"))
                tr.ts.add_common_source(qp, ("storage", "links", i), link, FieldType.parse("Link"), tr.spec)
                tr.ts.add(qp + ("name",), ("storage", "links", i, "path"))
                tr.ts.add(qp, ("storage", "links", i, "target"))
        else:
            _add_file_with_contents(tr, t, q, dest, qp)
        for di, dropin in enumerate(q.get("dropins") or ()):
            _add_file_with_contents(tr, t, dropin, f"{dest}.d/{dropin.get('name', '')}", qp + ("dropins", di))
    t.prune(config)


def _add_file_with_contents(tr: Translator, t: NodeTracker, v: dict, dest: str, cp: tuple) -> None:
    i, f = t.get("files", dest)
    if (f is not None and f.get("contents", {}).get("source")) or t.exists(dest):
        tr.error(cp, ERR_NODE_EXISTS)
        return
    i, f = t.add("files", {"path": dest})
    if i == 0:
        tr.ts.add(cp, ("storage", "files"))
    tr.ts.add_common_source(cp, ("storage", "files", i), f, FieldType.parse("File"), tr.spec)
    tr.ts.add(cp + ("name",), ("storage", "files", i, "path"))
    data = b""
    content_path = cp
    if v.get("contents_local"):
        content_path = cp + ("contents_local",)
        try:
            data = read_local_file(v["contents_local"], tr.options.files_dir)
        except LocalFileError as exc:
            tr.error(content_path, str(exc))
            return
    if v.get("contents"):
        content_path = cp + ("contents",)
        data = v["contents"].encode("utf-8", "surrogateescape")
    fp = ("storage", "files", i)
    _set_contents(tr, f, fp, data, content_path, cp)
    if f.get("mode") is None:
        f["mode"] = 0o644
        tr.ts.add(cp, fp + ("mode",))


def translate_base(base: Base, cfg: dict, options: Options) -> tuple[dict, TranslationSet, Report]:
    """ToIgn3_xUnvalidated of a base version: the Ignition config, its translations, the report."""
    tr = Translator(base, options)
    config: dict = {}
    for key in ("ignition", "kernel_arguments", "passwd", "storage", "systemd"):
        v = cfg.get(key)
        ign_key = base.ignition_names["Config"].get(key)
        if v is None or ign_key is None:
            continue
        config[ign_key] = tr.struct(base.spec.compiled["Config"].by_name[ign_key].struct, v, (key,))  # type: ignore[arg-type]
    config.setdefault("ignition", {})["version"] = base.spec.version
    if options.full_translations:
        full = identity_set(config, base.spec)
        full.merge(tr.ts)
        tr.ts = full
    tr.ts.add(("version",), ("ignition", "version"))
    tr.ts.add(("ignition",), ("ignition",))
    if base.has("mount_units"):
        config = add_mount_units(tr, cfg, config)
    if base.has("trees"):
        process_trees(tr, cfg, config)
    if base.has("quadlets"):
        process_quadlets(tr, cfg, config)
    return config, tr.ts, tr.report
