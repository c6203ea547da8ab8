"""Butane's ``MakeDataURL`` (base/util/url.go): the shortest data URL for file contents."""

from __future__ import annotations

import base64

from .._go.dataurl import UNRESERVED, escape
from .._go.flate import b64_len, go_gzip, gzip_may_win


def make_data_url(contents: bytes, current_compression: str | None,
                  allow_compression: bool) -> tuple[str, str | None]:
    """Butane's ``MakeDataURL(contents, currentCompression, allowCompression)``.

    Returns ``(uri, compression)``: ``compression`` is ``""`` when
    ``current_compression`` is None or empty (``"gzip"`` if gzip was chosen),
    and None when the user specified a compression (Go returns a nil
    pointer then).  ``uri`` is ``url.URL{Scheme: "data", Opaque: ...}.String()``,
    i.e. ``"data:" + opaque``.
    """
    contents = bytes(contents)
    n = len(contents)
    user_compressed = bool(current_compression)
    compression: str | None = None if user_compressed else ""
    reserved = len(contents.translate(None, UNRESERVED))
    esc_len = 1 + n + 2 * reserved
    base64_len = 8 + b64_len(n)
    use_b64 = base64_len < esc_len
    opaque_len = base64_len if use_b64 else esc_len
    if not user_compressed and allow_compression and gzip_may_win(contents, opaque_len):
        gz = go_gzip(contents)
        if 8 + b64_len(len(gz)) + 4 < opaque_len:
            return "data:;base64," + base64.b64encode(gz).decode("ascii"), "gzip"
    if use_b64:
        return "data:;base64," + base64.b64encode(contents).decode("ascii"), compression
    return "data:," + escape(contents), compression
