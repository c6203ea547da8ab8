"""The checks on local names made from server-controlled strings (file names, releases,
versions): the cache's key segments, and the images layer's file names and cache keys."""

from __future__ import annotations

from ..errors import UnsafeNameError

#: The longest file name Linux file systems take, in bytes.
NAME_MAX = 255


def safe_name(value: str, what: str = "name") -> str:
    """``value`` if it can be one local path component; :class:`UnsafeNameError` otherwise.

    Server-controlled strings (file names, releases, versions) become file and cache
    directory names: refuse separators, dot names, control and invisible or bidirectional
    characters (which could disguise what is printed) and names the file system cannot hold.
    """
    if (
        not value
        or value in (".", "..")
        or "/" in value
        or "\\" in value
        or not value.isprintable()
        or len(value.encode("utf-8", "surrogatepass")) > NAME_MAX
    ):
        shown = value if len(value) <= 80 else value[:80] + "..."
        raise UnsafeNameError(f"refusing {what} {shown!r}: not a plain file name of at most {NAME_MAX} bytes")
    return value


def filename_from_url(url: str) -> str:
    """The last path segment of a URL, percent-decoded once (query and fragment ignored); it
    must be a plain file name (see :func:`safe_name`)."""
    from urllib.parse import unquote, urlsplit

    segment = urlsplit(url).path.rsplit("/", 1)[-1]
    if not segment:
        raise UnsafeNameError(f"URL has no file name: {url!r}")
    return safe_name(unquote(segment, errors="surrogateescape"), "file name")
