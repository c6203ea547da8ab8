"""What goes into an image's first-boot filesystem, worked out from what it already holds.

Fedora CoreOS (the ext4 filesystem labelled ``boot``), as coreos-installer's ``install`` leaves it:

* ``ignition/config.ign`` (directory 0700, file 0600; the file must not exist yet);
* ``--platform P``: ``ignition.platform.id=metal`` becomes ``=P`` on the ``options`` line of the
  default BLS entry (the last ``loader/entries/*.conf`` by name), P's console arguments from
  ``coreos/platforms.json`` replace metal's, and P's GRUB console commands go between the
  ``CONSOLE-SETTINGS`` markers of ``grub2/console.cfg`` (else ``grub2/grub.cfg``). An image
  already built for P (``ignition.platform.id=P``, a qemu image) is left as it is;
* ``--firstboot-args``: a ``set ignition_network_kcmdline="ARGS"`` line appended to
  ``ignition.firstboot``;
* ``--append-karg``/``--delete-karg`` on the same ``options`` line (deletions first);
* network keyfiles into ``coreos-firstboot-network/`` (0600).

Flatcar (the partition labelled ``OEM``), as ``flatcar-install -i``: ``config.ign`` at its root.

A changed file keeps its mode, owner and extended attributes (the SELinux label above all); a
new file or directory takes its parent directory's SELinux label, as it would on a mounted
filesystem under the policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..io import printable
from ._ext4 import Entry, Ext4, NewDir, NewFile
from ._install_errors import BootConfigError

SELINUX = "security.selinux"
PLATFORM_KARG = "ignition.platform.id"
_PLATFORM = re.compile(r"[A-Za-z0-9_.-]+")
_CONSOLE_START = "\n# CONSOLE-SETTINGS-START\n"
_CONSOLE_END = "# CONSOLE-SETTINGS-END\n"


@dataclass(frozen=True)
class BootChanges:
    """The first-boot changes asked for besides the config (all optional)."""

    platform: str | None = None
    append_kargs: tuple[str, ...] = ()
    delete_kargs: tuple[str, ...] = ()
    firstboot_args: str | None = None
    network_keyfiles: tuple[tuple[str, bytes], ...] = ()  # (file name, contents)

    def __bool__(self) -> bool:
        return bool(self.platform or self.append_kargs or self.delete_kargs
                    or self.firstboot_args is not None or self.network_keyfiles)

    def check(self) -> None:
        """Refuse values that would break the files they go into."""
        if self.platform is not None and not _PLATFORM.fullmatch(self.platform):
            raise BootConfigError(f"platform {printable(self.platform)!r} is not a platform ID "
                                  "(letters, digits, '_', '.', '-')")
        for karg in (*self.append_kargs, *self.delete_kargs):
            if not karg.isprintable():
                raise BootConfigError(f"kernel argument {printable(karg)!r} holds a control character")
        args = self.firstboot_args
        if args is not None and (not args.isprintable() or '"' in args or "\\" in args):
            raise BootConfigError(f"first-boot arguments {printable(args)!r} hold a quote, backslash or "
                                  "control character, which GRUB's double-quoted string cannot hold")
        seen = set()
        for name, _data in self.network_keyfiles:
            if not _plain_name(name):
                raise BootConfigError(f"network keyfile name {printable(name)!r} is not a plain file name")
            if name in seen:
                raise BootConfigError(f"two network keyfiles are named {printable(name)!r}")
            seen.add(name)


def _plain_name(name: str) -> bool:
    """Whether ``name`` names a file in a directory, printably, within ext4's 255 bytes."""
    return (name not in ("", ".", "..") and "/" not in name and name.isprintable()
            and len(name.encode("utf-8")) <= 255)


@dataclass
class Plan:
    """Directories to create and files to write, in order, and what they amount to."""

    dirs: list[NewDir]
    files: list[NewFile]

    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)


def _label(xattrs: dict[str, bytes]) -> dict[str, bytes]:
    """The attributes a new child inherits: the SELinux label only."""
    return {k: v for k, v in xattrs.items() if k == SELINUX}


def _replacement(fs: Ext4, path: str, data: bytes) -> NewFile:
    """``path`` rewritten with ``data``, keeping its mode, owner and extended attributes."""
    inode = fs.inode(path)
    if inode.links != 1:
        raise BootConfigError(f"{path} has {inode.links} hard links; rewriting it would split them")
    return NewFile(path, data, inode.mode, inode.uid, inode.gid, inode.xattrs, replace=True)


def _text(fs: Ext4, path: str, entry: Entry) -> str:
    try:
        return fs.read(path, entry).decode("utf-8")
    except UnicodeDecodeError:
        raise BootConfigError(f"{path} in {fs.where} is not UTF-8 text") from None


def edit_kargs(options: str, delete: Sequence[str] = (), append: Sequence[str] = (),
               replace: Sequence[tuple[str, str, str]] = ()) -> str:
    """Kernel arguments ``options`` with ``delete`` removed (each a whole space-separated match,
    several words allowed), ``append`` added at the end, then each ``(key, old, new)`` of
    ``replace`` turning ``key=old`` into ``key=new``: coreos-installer's plain substring edit."""
    padded = f" {options} "
    for karg in delete:
        padded = padded.replace(f" {karg.strip()} ", " ")
    for karg in append:
        padded += karg.strip() + " "
    for key, old, new in replace:
        padded = padded.replace(f" {key}={old} ", f" {key}={new} ")
    return padded.strip()


def _lines(text: str) -> list[str]:
    """``text`` split as Rust's ``str::lines`` does: at ``\\n``, a ``\\r`` before it dropped,
    no empty last line after a final newline."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def edit_options_line(entry_text: str, edit: Callable[[str], str], path: str) -> str:
    """BLS entry ``entry_text`` with its one ``options`` line passed through ``edit``. Every
    line comes out with trailing whitespace removed and a newline, as coreos-installer writes it."""
    out = []
    found = False
    for line in _lines(entry_text):
        if not line.startswith("options "):
            out.append(line.rstrip())
        elif found:
            raise BootConfigError(f"{path} has more than one 'options' line")
        else:
            found = True
            out.append("options " + edit(line[len("options "):].strip()).strip())
    if not found:
        raise BootConfigError(f"{path} has no 'options' line")
    return "".join(line + "\n" for line in out)


def set_console_commands(cfg: str, commands: Sequence[str], path: str) -> str:
    """GRUB config ``cfg`` with the lines between its ``CONSOLE-SETTINGS`` markers replaced by
    ``commands`` (the first start marker and the last end marker after it)."""
    start = cfg.find(_CONSOLE_START)
    if start != -1:
        body = start + len(_CONSOLE_START)
        end = cfg.rfind("\n" + _CONSOLE_END, body - 1)
        if end != -1:
            return cfg[:body] + "".join(c + "\n" for c in commands) + cfg[end + 1:]
    raise BootConfigError(f"{path} has no CONSOLE-SETTINGS markers to put the platform's console commands "
                          "between")


@dataclass(frozen=True)
class PlatformSpec:
    grub_commands: tuple[str, ...] = ()
    kernel_arguments: tuple[str, ...] = ()


def parse_platforms(data: bytes, path: str) -> dict[str, PlatformSpec]:
    """``coreos/platforms.json``: platform ID → GRUB console commands and kernel arguments."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BootConfigError(f"{path} is not JSON: {printable(str(exc))}") from None
    if not isinstance(doc, dict):
        raise BootConfigError(f"{path} is not a JSON object")
    specs = {}
    for name, spec in doc.items():
        if not isinstance(spec, dict):
            raise BootConfigError(f"{path}: platform {printable(name)!r} is not an object")
        fields = {}
        for key in ("grub_commands", "kernel_arguments"):
            value = spec.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise BootConfigError(f"{path}: {printable(name)}.{key} is not a list of strings")
            fields[key] = tuple(value)
        specs[name] = PlatformSpec(**fields)
    return specs


def _default_bls_entry(fs: Ext4) -> tuple[str, Entry]:
    """The default BLS entry: the last ``*.conf`` by name, as ostree sorts them newest last."""
    entries = fs.listdir("loader/entries")
    if entries is None:
        raise BootConfigError(f"{fs.where} has no loader/entries directory")

    def is_conf(name: str) -> bool:
        stem, dot, ext = name.rpartition(".")
        return bool(dot) and bool(stem) and ext == "conf"

    names = sorted((n for n in entries if is_conf(n)), key=lambda n: n.encode("utf-8", "surrogateescape"))
    if not names:
        raise BootConfigError(f"{fs.where} has no BLS entry in loader/entries")
    return f"loader/entries/{names[-1]}", entries[names[-1]]


def _options(text: str, path: str) -> str:
    """The ``options`` value of BLS entry ``text``."""
    found: list[str] = []

    def keep(options: str) -> str:
        found.append(options)
        return options

    edit_options_line(text, keep, path)
    return found[0]


def _kernel_arguments_and_console(fs: Ext4, changes: BootChanges, plan: Plan) -> None:
    """Edit the default BLS entry's options, then GRUB's console settings for the platform."""
    platform = changes.platform if changes.platform != "metal" else None
    if platform is None and not changes.append_kargs and not changes.delete_kargs:
        return
    path, entry = _default_bls_entry(fs)
    text = _text(fs, path, entry)
    if platform is not None and f"{PLATFORM_KARG}={platform}" in _options(text, path).split(" "):
        # An image built for the platform (qemu) has its ID and consoles already.
        platform = None
    platforms: dict[str, PlatformSpec] = {}
    if platform is not None:
        def set_platform(options: str) -> str:
            changed = edit_kargs(options, replace=[(PLATFORM_KARG, "metal", platform)])
            if changed == options:
                raise BootConfigError(f"{path} has no {PLATFORM_KARG}=metal to replace")
            return changed

        text = edit_options_line(text, set_platform, path)
        table = fs.lookup("coreos/platforms.json")
        if table is not None:
            platforms = parse_platforms(fs.read("coreos/platforms.json", table), "coreos/platforms.json")
        spec, metal = platforms.get(platform, PlatformSpec()), platforms.get("metal", PlatformSpec())
        if spec.kernel_arguments or metal.kernel_arguments:
            consoles = spec.kernel_arguments
            text = edit_options_line(
                text, lambda o: edit_kargs(o, delete=metal.kernel_arguments, append=consoles), path)
    if changes.append_kargs or changes.delete_kargs:
        text = edit_options_line(
            text, lambda o: edit_kargs(o, delete=changes.delete_kargs, append=changes.append_kargs), path)
    if platform is not None or changes.append_kargs or changes.delete_kargs:
        plan.files.append(_replacement(fs, path, text.encode("utf-8")))
    if platform is not None:
        _grub_console(fs, platform, platforms, plan)


def _grub_console(fs: Ext4, platform: str, platforms: dict[str, PlatformSpec], plan: Plan) -> None:
    spec, metal = platforms.get(platform, PlatformSpec()), platforms.get("metal", PlatformSpec())
    if spec.grub_commands == metal.grub_commands:
        return
    for path in ("grub2/console.cfg", "grub2/grub.cfg"):
        entry = fs.lookup(path)
        if entry is not None:
            break
    else:
        raise BootConfigError(f"{fs.where} has neither grub2/console.cfg nor grub2/grub.cfg")
    cfg = set_console_commands(_text(fs, path, entry), spec.grub_commands, path)
    plan.files.append(_replacement(fs, path, cfg.encode("utf-8")))


def plan_coreos(fs: Ext4, config: bytes | None, changes: BootChanges) -> Plan:
    """What to write into a Fedora CoreOS boot filesystem; refuses before anything is written."""
    plan = Plan([], [])
    root = fs.listdir("/")
    if root is None:
        raise BootConfigError(f"cannot list the root of {fs.where}")
    root_label = _label(fs.inode("/").xattrs)

    if config is not None:
        existing = root.get("ignition")
        if existing is None:
            plan.dirs.append(NewDir("ignition", 0o700, root_label))
            parent_label = root_label
        elif not existing.is_dir:
            raise BootConfigError(f"ignition in {fs.where} is not a directory")
        else:
            if "config.ign" in (fs.listdir("ignition") or {}):
                raise BootConfigError(f"{fs.where} already holds ignition/config.ign: the image has a config")
            parent_label = _label(fs.inode("ignition").xattrs)
        plan.files.append(NewFile("ignition/config.ign", config, 0o600, 0, 0, parent_label))

    _kernel_arguments_and_console(fs, changes, plan)

    if changes.firstboot_args is not None:
        entry = root.get("ignition.firstboot")
        if entry is None:
            raise BootConfigError(f"{fs.where} has no ignition.firstboot: not a first-boot image")
        line = f'set ignition_network_kcmdline="{changes.firstboot_args}"\n'.encode("utf-8")
        plan.files.append(_replacement(fs, "ignition.firstboot", fs.read("ignition.firstboot", entry) + line))

    if changes.network_keyfiles:
        directory = "coreos-firstboot-network"
        existing = root.get(directory)
        if existing is None:
            plan.dirs.append(NewDir(directory, 0o755, root_label))
            present: dict[str, Entry] = {}
            dir_label = root_label
        elif not existing.is_dir:
            raise BootConfigError(f"{directory} in {fs.where} is not a directory")
        else:
            present = fs.listdir(directory) or {}
            dir_label = _label(fs.inode(directory).xattrs)
        for name, data in changes.network_keyfiles:
            old = present.get(name)
            if old is not None and not old.is_file:
                raise BootConfigError(f"{directory}/{printable(name)} in {fs.where} is not a regular file")
            plan.files.append(NewFile(f"{directory}/{name}", data, 0o600, 0, 0, dir_label,
                                      replace=old is not None))
    return plan


def plan_flatcar(fs: Ext4, config: bytes) -> Plan:
    """``config.ign`` at the root of a Flatcar OEM filesystem, replacing one already there."""
    root = fs.listdir("/")
    if root is None:
        raise BootConfigError(f"cannot list the root of {fs.where}")
    old = root.get("config.ign")
    if old is not None and not old.is_file:
        raise BootConfigError(f"config.ign in {fs.where} is not a regular file")
    label = _label(fs.inode("/").xattrs)
    return Plan([], [NewFile("config.ign", config, 0o600, 0, 0, label, replace=old is not None)])
