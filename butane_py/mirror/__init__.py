"""Mirrors of one's own: publishing images and their metadata for private and air-gapped
fleets, on any static web server or object store.

``write_simplestreams`` writes an Ubuntu simplestreams mirror (``streams/v1/index.json`` and a
``products:1.0`` document, with clearsigned ``.sjson`` twins when given a ``SigningKey``),
merged into what the mirror already holds (``merge_simplestreams``). ``upstream_files`` picks the
files of another simplestreams mirror to publish again once fetched and verified.

Library code: never prints, never exits.
"""

from __future__ import annotations

from ..fetch._openpgp import SigningKey
from ._simplestreams import (
    ImageFile,
    Published,
    UpstreamFile,
    merge_simplestreams,
    upstream_files,
    write_simplestreams,
)

__all__ = [
    "ImageFile",
    "Published",
    "SigningKey",
    "UpstreamFile",
    "merge_simplestreams",
    "upstream_files",
    "write_simplestreams",
]
