"""Errors of the embed layer. All are one-line messages with exit code 1."""

from __future__ import annotations

from ..errors import ButanePyError


class EmbedError(ButanePyError):
    """Base class of everything the embed layer refuses."""


class ImageFormatError(EmbedError):
    """The image is not what it should be (not ISO 9660, not a live image, corrupt)."""


class IncompleteImageError(ImageFormatError):
    """The image is shorter than its own volume says: a truncated download."""


class NoEmbedAreaError(ImageFormatError):
    """The ISO has no Ignition embed area (not a CoreOS live ISO, or Flatcar's)."""


class AreaFullError(EmbedError):
    """What should be embedded does not fit in the area."""


class AlreadyCustomizedError(EmbedError):
    """The image already holds what would be embedded; ``--force`` replaces it."""


class NothingEmbeddedError(EmbedError):
    """Asked to show or extract something the image does not hold."""


class UnsupportedError(EmbedError):
    """The OS image lacks a feature (kargs areas, initrd network, installer config)."""


class InitrdError(EmbedError):
    """An initrd (cpio archive, maybe compressed) cannot be read."""


class UnsafePathError(EmbedError):
    """An archive member would be written outside the target directory."""


class OutputError(EmbedError):
    """The output cannot be written (exists, a terminal, no parent directory)."""
