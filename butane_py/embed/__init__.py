"""Embedding configs into live ISO and PXE images, byte-compatible with coreos-installer.

The ISO's Ignition embed area holds an xz-compressed newc cpio archive with ``config.ign`` (and
network keyfiles); its kargs areas hold the live kernel arguments. Every function here computes
and checks the change first and writes only then: in place (``output=None``, only the changed
areas), to a new file (``output=PATH``, atomic, never clobbering without ``force``) or to a
binary stream (``output="-"``).
"""

from __future__ import annotations

from ._errors import (
    AlreadyCustomizedError,
    AreaFullError,
    EmbedError,
    ImageFormatError,
    IncompleteImageError,
    InitrdError,
    NoEmbedAreaError,
    NothingEmbeddedError,
    OutputError,
    UnsafePathError,
    UnsupportedError,
)
from ._initrd import cpio_bytes, read_members, safe_member_path, to_bytes
from ._live import IGNITION_PATH, NETWORK_DIR, LiveIso
from ._ops import (
    FLATCAR_KARGS,
    FLATCAR_OEM_CONFIG,
    PXE_KARGS,
    customize,
    describe,
    edit_kargs,
    extract_files,
    extract_pxe,
    flatcar_oem_initrd,
    ignition_embed,
    ignition_remove,
    ignition_show,
    kargs_modify,
    kargs_reset,
    kargs_show,
    network_embed,
    network_files,
    network_remove,
    pxe_network_files,
    pxe_network_wrap,
    pxe_unwrap,
    pxe_wrap,
    reset,
)
from ._write import write_image

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from ._customize import Customization, installer_yaml


def __getattr__(name: str):
    # The customization code (with gzip, base64 and dataclasses) loads on first use: most
    # commands on images never need it, and `iso ignition show` should start quickly.
    if name in ("Customization", "installer_yaml"):
        from . import _customize

        return getattr(_customize, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FLATCAR_KARGS",
    "FLATCAR_OEM_CONFIG",
    "IGNITION_PATH",
    "NETWORK_DIR",
    "PXE_KARGS",
    "AlreadyCustomizedError",
    "AreaFullError",
    "Customization",
    "EmbedError",
    "ImageFormatError",
    "IncompleteImageError",
    "InitrdError",
    "LiveIso",
    "NoEmbedAreaError",
    "NothingEmbeddedError",
    "OutputError",
    "UnsafePathError",
    "UnsupportedError",
    "cpio_bytes",
    "customize",
    "describe",
    "edit_kargs",
    "extract_files",
    "extract_pxe",
    "flatcar_oem_initrd",
    "ignition_embed",
    "ignition_remove",
    "ignition_show",
    "installer_yaml",
    "kargs_modify",
    "kargs_reset",
    "kargs_show",
    "network_embed",
    "network_files",
    "network_remove",
    "pxe_network_files",
    "pxe_network_wrap",
    "pxe_unwrap",
    "pxe_wrap",
    "read_members",
    "reset",
    "safe_member_path",
    "to_bytes",
    "write_image",
]
