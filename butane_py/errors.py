"""The exception hierarchy. Each class carries the process exit code the CLI maps it to."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from .report import Report


class ButanePyError(Exception):
    """Base class: anything butane-py refuses to do, with a one-line message."""

    exit_code = 1


class UsageError(ButanePyError):
    """The command line itself is wrong."""

    exit_code = 2


class InputError(ButanePyError):
    """An input cannot be read (missing, a directory, permission denied)."""


class ConfigError(ButanePyError):
    """A config was read but is not acceptable; ``report`` holds the findings."""

    def __init__(self, message: str, report: "Report | None" = None) -> None:
        super().__init__(message)
        from .report import Report

        self.report = report if report is not None else Report()


class ParseError(ConfigError):
    """The config could not be parsed (syntax, types, version)."""


class ValidationError(ConfigError):
    """The config parsed but has errors."""


# The image layer's errors live here, below both images and fetch: fetch refuses an unsafe
# local name with UnsafeNameError, which users catch as images.MetadataError.


class ImageError(ButanePyError):
    """Base class for everything the image layer refuses."""


class MetadataError(ImageError):
    """A metadata document could not be fetched or does not have the expected shape."""


class UnsafeNameError(MetadataError):
    """A name that would become a local path is not a plain file name."""
