"""What ``install`` refuses: one base class, so a caller can catch every install failure at once."""

from __future__ import annotations

from ._common import ImageError


class InstallError(ImageError):
    """The image could not be written to the destination, or its first-boot files could not."""


class GptError(InstallError):
    """A disk's GUID partition table is missing, damaged or out of bounds."""


class FilesystemError(InstallError):
    """A filesystem inside the image cannot be read or written (bad superblock, debugfs failure)."""


class BootConfigError(InstallError):
    """The boot filesystem's contents do not allow the requested change (no BLS entry, a config
    already there, no platform ID to replace)."""


class DestinationError(InstallError):
    """The destination is refused: mounted, in use, too small, not empty, or the image itself."""


class UnsupportedImageError(InstallError):
    """The image has no filesystem butane-py can write the config into without mounting."""
