"""Mirrors of one's own: publishing images and their metadata for private and air-gapped
fleets, on any static web server or object store.

``write_simplestreams`` writes an Ubuntu simplestreams mirror (``streams/v1/index.json`` and a
``products:1.0`` document, with clearsigned ``.sjson`` twins when given a ``SigningKey``),
merged into what the mirror already holds (``merge_simplestreams``).

Library code: never prints, never exits.
"""

from __future__ import annotations

from ..fetch._openpgp import SigningKey
from ._simplestreams import ImageFile, Published, merge_simplestreams, write_simplestreams

__all__ = [
    "ImageFile",
    "Published",
    "SigningKey",
    "merge_simplestreams",
    "write_simplestreams",
]
