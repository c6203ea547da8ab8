"""The embed operations as library functions; ``butane_py.commands`` wraps them for the CLI.

Every change is computed and checked in memory first (sizes, existing contents), so a refused
operation leaves the image untouched; only then are the changed areas written.
"""

from __future__ import annotations

import os
import re

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import BinaryIO, Sequence

    from ._customize import Customization

from ..errors import ConfigError, UsageError
from ..io import os_reason, printable
from . import _initrd
from ._errors import (
    AlreadyCustomizedError,
    ImageFormatError,
    NothingEmbeddedError,
    OutputError,
    UnsafePathError,
    UnsupportedError,
)
from ._iso9660 import IsoFs
from ._live import IGNITION_PATH, NETWORK_GLOB, LiveIso
from ._write import new_file, write_image

_REPLACE = re.compile(r"^([^=]+)=([^=]+)=([^=]+)$")
PXE_KARGS = "ignition.firstboot ignition.platform.id=metal"


def edit_kargs(current: str, append: Sequence[str] = (), delete: Sequence[str] = (),
               replace: Sequence[str] = ()) -> str:
    """Kernel-argument edits in coreos-installer's order: delete, then append, then replace.

    ``replace`` items are ``KEY=OLD=NEW``; whole arguments are matched, never substrings.
    """
    from ._customize import check_kargs

    check_kargs([*append, *replace])
    line = f" {current} "
    for arg in delete:
        line = line.replace(f" {arg.strip()} ", " ")
    for arg in append:
        line += arg.strip() + " "
    for arg in replace:
        m = _REPLACE.match(arg)
        if m is None:
            raise UsageError(f"bad --replace {arg!r}: the format is KEY=OLD=NEW")
        line = line.replace(f" {m[1]}={m[2]} ", f" {m[1]}={m[3]} ")
    return line.strip()


def _commit(iso: LiveIso, output: str | None, force_output: bool, stdout: BinaryIO | None) -> None:
    write_image(iso.path, iso.regions(), output, force_output, stdout)


# -- Ignition -----------------------------------------------------------------------------------


def ignition_embed(iso_path: str, config: bytes, output: str | None = None, force: bool = False,
                   stdout: BinaryIO | None = None) -> None:
    """Embed ``config`` (bytes, written as given) as the live system's Ignition config."""
    iso = LiveIso.open(iso_path)
    if iso.ignition is not None and not force:
        raise AlreadyCustomizedError("This ISO image already has an embedded Ignition config; use -f to force.")
    iso.set_ignition(config)
    _commit(iso, output, force, stdout)


def ignition_show(iso_path: str) -> bytes:
    config = LiveIso.open(iso_path).ignition
    if config is None:
        raise NothingEmbeddedError("No embedded Ignition config.")
    return config


def ignition_remove(iso_path: str, output: str | None = None, force: bool = False,
                    stdout: BinaryIO | None = None) -> None:
    """Remove the config; an area left empty is zero-filled, restoring the pristine image."""
    iso = LiveIso.open(iso_path)
    iso.set_ignition(None)
    _commit(iso, output, force, stdout)


# -- kernel arguments ---------------------------------------------------------------------------


def kargs_show(iso_path: str, default: bool = False) -> str:
    iso = LiveIso.open(iso_path)
    return iso.default_kargs if default else iso.kargs


def kargs_modify(iso_path: str, append: Sequence[str] = (), delete: Sequence[str] = (),
                 replace: Sequence[str] = (), output: str | None = None, force: bool = False,
                 stdout: BinaryIO | None = None) -> str:
    iso = LiveIso.open(iso_path)
    iso.set_kargs(edit_kargs(iso.kargs, append, delete, replace))
    _commit(iso, output, force, stdout)
    return iso.kargs


def kargs_reset(iso_path: str, output: str | None = None, force: bool = False,
                stdout: BinaryIO | None = None) -> None:
    iso = LiveIso.open(iso_path)
    iso.set_kargs(iso.default_kargs)
    _commit(iso, output, force, stdout)


# -- network keyfiles ---------------------------------------------------------------------------


def network_embed(iso_path: str, keyfiles: Sequence[str], output: str | None = None, force: bool = False,
                  stdout: BinaryIO | None = None) -> None:
    """Embed NetworkManager keyfiles (for the live system, and copied on install)."""
    iso = LiveIso.open(iso_path)
    if not iso.feature("live-initrd-network"):
        raise UnsupportedError("This OS image does not support customizing network settings.")
    if iso.network and not force:
        raise AlreadyCustomizedError("This ISO image already has embedded network settings; use -f to force.")
    from ._customize import read_keyfiles

    iso.set_network(read_keyfiles(keyfiles))
    _commit(iso, output, force, stdout)


def network_files(iso_path: str) -> dict[str, bytes]:
    """The embedded keyfiles, by file name."""
    found = LiveIso.open(iso_path).network
    if not found:
        raise NothingEmbeddedError("No embedded network settings.")
    return {name.rsplit("/", 1)[-1]: data for name, data in sorted(found.items())}


def network_remove(iso_path: str, output: str | None = None, force: bool = False,
                   stdout: BinaryIO | None = None) -> None:
    iso = LiveIso.open(iso_path)
    iso.set_network({})
    _commit(iso, output, force, stdout)


def _makedirs(directory: str) -> None:
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create directory {directory}: {os_reason(exc)}") from None


def extract_files(files: dict[str, bytes], directory: str) -> list[str]:
    """Write ``files`` (name → bytes) into ``directory``, never over an existing file or outside it.

    The files get mode 0600: network keyfiles hold Wi-Fi and VPN secrets."""
    targets = [(_initrd.safe_member_path(directory, name), data) for name, data in files.items()]
    written = []
    _makedirs(directory)
    for target, data in targets:
        _makedirs(os.path.dirname(target))
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            with open(fd, "wb") as f:
                f.write(data)
        except FileExistsError:
            raise OutputError(f"{printable(target)} already exists") from None
        except OSError as exc:
            raise OutputError(f"cannot write {printable(target)}: {os_reason(exc)}") from None
        written.append(target)
    return written


# -- customizing in one step --------------------------------------------------------------------


def customize(iso_path: str, custom: Customization, output: str | None = None, force: bool = False,
              stdout: BinaryIO | None = None) -> LiveIso:
    """Replace the embed area with ``custom`` (config, installer, network, CAs) and set kargs."""
    iso = LiveIso.open(iso_path)
    # With force nothing old is read: a damaged area is replaced all the same.
    if not force and (iso.ignition is not None or bool(iso.network)
                      or (iso.kargs_supported and iso.kargs != iso.default_kargs)):
        raise AlreadyCustomizedError("This ISO image is already customized; use -f to force.")
    iso.replace_members(custom.members(iso.features))
    if custom.live_karg_append:
        if not iso.kargs_supported:
            raise UnsupportedError("This OS image does not support customizing live kernel arguments.")
        iso.set_kargs(edit_kargs(iso.default_kargs, append=custom.live_karg_append))
    _commit(iso, output, force, stdout)
    return iso


def reset(iso_path: str, output: str | None = None, force: bool = False, stdout: BinaryIO | None = None) -> None:
    """Remove everything embedded and restore the default kernel arguments: the pristine image."""
    iso = LiveIso.open(iso_path)
    iso.replace_members({})
    if iso.kargs_supported:
        iso.set_kargs(iso.default_kargs)
    _commit(iso, output, force, stdout)


# -- PXE ----------------------------------------------------------------------------------------


def pxe_wrap(config: bytes) -> bytes:
    """A separate initrd (xz newc cpio) holding ``config.ign``, to load after the live initramfs."""
    return _initrd.to_bytes({IGNITION_PATH: config})


def pxe_unwrap(source: bytes | BinaryIO) -> bytes:
    """The ``config.ign`` of an initrd (the last copy wins)."""
    found = _initrd.read_members(source, [IGNITION_PATH]).get(IGNITION_PATH)
    if found is None:
        raise NothingEmbeddedError("couldn't find Ignition config in archive")
    return found


def pxe_network_wrap(keyfiles: Sequence[str]) -> bytes:
    """A separate initrd holding NetworkManager keyfiles for the live system."""
    from ._customize import read_keyfiles
    from ._live import NETWORK_DIR

    return _initrd.to_bytes({f"{NETWORK_DIR}/{name}": data for name, data in read_keyfiles(keyfiles).items()})


def pxe_network_files(source: bytes | BinaryIO) -> dict[str, bytes]:
    found = _initrd.read_members(source, [NETWORK_GLOB])
    if not found:
        raise NothingEmbeddedError("No embedded network settings.")
    return {name.rsplit("/", 1)[-1]: data for name, data in sorted(found.items())}


FLATCAR_OEM_CONFIG = "usr/share/oem/config.ign"
# A distributor's configs (Flatcar's notes for distributors): base.ign is merged under the user's
# config, default.ign stands in when the user gives none, cloud-config.yml is run by coreos-cloudinit.
_FLATCAR_OEM_BASE = "usr/share/oem/base/base.ign"
_FLATCAR_OEM_DEFAULT = "usr/share/oem/base/default.ign"
_FLATCAR_OEM_CLOUD_CONFIG = "usr/share/oem/cloud-config.yml"
FLATCAR_KARGS = "flatcar.first_boot=1"


def flatcar_oem_initrd(config: bytes | None = None, *, base: bytes | None = None, default: bytes | None = None,
                       cloud_config: bytes | None = None) -> bytes:
    """Flatcar's OEM initrd: a gzipped newc cpio holding ``usr/share/oem/config.ign`` and, when
    given, a distributor's ``base/base.ign``, ``base/default.ign`` and ``cloud-config.yml``.

    The configs are written as given; ``cloud_config`` must be UTF-8 text whose first line is
    ``#cloud-config``, as coreos-cloudinit recognizes a cloud-config.
    """
    members = {path: data for path, data in ((FLATCAR_OEM_CONFIG, config), (_FLATCAR_OEM_BASE, base),
                                             (_FLATCAR_OEM_DEFAULT, default),
                                             (_FLATCAR_OEM_CLOUD_CONFIG, cloud_config)) if data is not None}
    if not members:
        raise UsageError("nothing to put in the OEM initrd: give a config or a distributor's OEM config")
    if cloud_config is not None:
        _check_cloud_config(cloud_config)
    return _initrd.to_bytes(members, compression="gzip")


def _check_cloud_config(data: bytes) -> None:
    """Refuse what coreos-cloudinit would not run as a cloud-config: its first line, without
    trailing white space, must be ``#cloud-config``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("the cloud-config is not UTF-8 text") from None
    if text.split("\n", 1)[0].rstrip() != "#cloud-config":
        raise ConfigError("the cloud-config must start with a '#cloud-config' line, as coreos-cloudinit requires")


def extract_pxe(iso_path: str, output_dir: str = ".", force: bool = False) -> list[str]:
    """Copy ``images/pxeboot/*`` out of a live ISO as ``<iso stem>-<name>``; returns the paths.

    Existing files are refused unless ``force``, which replaces them atomically.
    """
    from ._iso9660 import NotFound
    from ._live import open_image

    with open_image(iso_path) as f:
        iso = IsoFs(f)
        try:
            pxeboot = iso.get("IMAGES/PXEBOOT")
        except NotFound:
            raise ImageFormatError("Unrecognized CoreOS ISO image: no images/pxeboot directory.") from None
        stem = os.path.splitext(os.path.basename(iso_path))[0]
        files = [(rec, _inside(output_dir, f"{stem}-{rec.name.lower()}"))
                 for rec in iso.list_dir(pxeboot) if not rec.is_dir]
        if not force:
            for _, target in files:
                if os.path.lexists(target):
                    raise OutputError(f"{target} already exists; use --force to overwrite it")
        _makedirs(output_dir)
        written = []
        for rec, target in files:
            _copy_range(f, rec.offset, rec.length, target, force)
            written.append(target)
        return written


def _inside(directory: str, name: str) -> str:
    """``directory/name`` for a plain file name (the ISO reader already refuses others)."""
    if "/" in name or name in (".", ".."):
        raise UnsafePathError(f"ISO file name {name!r} would be written outside {printable(directory)}")
    return os.path.join(directory, name)


def _copy_range(f: BinaryIO, offset: int, length: int, target: str, force: bool = False) -> None:
    # new_file writes through a descriptor of the directory and never follows the final name
    with new_file(target, force) as fd, os.fdopen(fd, "wb", closefd=False) as out:
        f.seek(offset)
        left = length
        while left:
            chunk = f.read(min(left, 1 << 20))
            if not chunk:
                raise ImageFormatError(f"image is truncated: {target} is cut short")
            out.write(chunk)
            left -= len(chunk)


def describe(iso_path: str) -> dict:
    return LiveIso.open(iso_path).describe()



