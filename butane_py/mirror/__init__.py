"""Mirrors for private and air-gapped fleets: verified downloads published in the layouts the
clients read, so any static web server or object store can serve them.

* :func:`write_stream`: Fedora CoreOS artifacts and ``streams/STREAM.json`` (stream metadata).
* :func:`write_flatcar`: a Flatcar channel's ``CHANNEL/BOARD/VERSION/`` and ``current/``.

Files are fetched through ``butane_py.fetch`` (digest and detached signature checked before a
file is kept; signatures are copied, never made). Each file is renamed into place, the
metadata naming them last, so readers never see a document that points at a missing file.
Library code: never prints; progress goes to an optional callback.
"""

from __future__ import annotations

from ._flatcar import write_flatcar
from ._publish import MirrorError, MirrorProgress, MirrorResult
from ._stream import write_stream

__all__ = [
    "MirrorError",
    "MirrorProgress",
    "MirrorResult",
    "write_flatcar",
    "write_stream",
]
