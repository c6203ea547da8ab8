"""Mirrors for private and air-gapped fleets: verified downloads published in the layouts the
clients read, so any static web server or object store can serve them.

* :func:`write_stream`: Fedora CoreOS artifacts and ``streams/STREAM.json`` (stream metadata).
* :func:`write_flatcar`: a Flatcar channel's ``CHANNEL/BOARD/VERSION/`` and ``current/``.
* :func:`write_simplestreams`: an Ubuntu simplestreams mirror (``streams/v1/index.json`` and a
  ``products:1.0`` document, with clearsigned ``.sjson`` twins when given a
  :class:`SigningKey`), merged into what the mirror already holds (:func:`merge_simplestreams`);
  its files are local ones, or those :func:`upstream_files` picks from another simplestreams
  mirror, fetched and verified.

Files are fetched through ``butane_py.fetch`` (digest and detached signature checked before a
file is kept; signatures are copied, never made, except the simplestreams metadata's, which is
signed with the mirror's own key). Each file is renamed into place, the metadata naming them
last, so readers never see a document that points at a missing file.
Library code: never prints; progress goes to an optional callback.
"""

from __future__ import annotations

from ..fetch._openpgp import SigningKey
from ._flatcar import write_flatcar
from ._publish import MirrorError, MirrorProgress, MirrorResult
from ._simplestreams import (
    ImageFile,
    Published,
    UpstreamFile,
    merge_simplestreams,
    upstream_files,
    write_simplestreams,
)
from ._stream import write_stream

__all__ = [
    "ImageFile",
    "MirrorError",
    "MirrorProgress",
    "MirrorResult",
    "Published",
    "SigningKey",
    "UpstreamFile",
    "merge_simplestreams",
    "upstream_files",
    "write_flatcar",
    "write_simplestreams",
    "write_stream",
]
