"""Package ``github.com/coreos/go-semver/semver`` of go-semver v0.3.1 (as vendored in Butane
v0.29.0): ``NewVersion``, with which Butane and Ignition parse config versions.

Go source: ``semver/semver.go``: ``NewVersion`` and ``Version.Set`` (with ``splitOff``,
``validateIdentifier`` and its ``reIdentifier``, and ``strconv.ParseInt`` for the numbers).
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------------------
# github.com/coreos/go-semver (v0.3.1)
# ---------------------------------------------------------------------------

_SEMVER_IDENT = re.compile(r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*")
_DECIMAL = re.compile(r"[0-9]+")
_INT64_MAX = (1 << 63) - 1


# semver.go: NewVersion, Version.Set
def semver_parse(s: str) -> tuple[int, int, int, str, str] | None:
    """semver.NewVersion: (major, minor, patch, prerelease, metadata) or None on error.

    Tuples compare equal exactly when Go's Version structs do.
    """
    version, plus, metadata = s.partition("+")
    version, dash, pre = version.partition("-")
    parts = version.split(".", 2)
    if len(parts) != 3:
        return None
    for ident in (pre, metadata):
        if ident and not _SEMVER_IDENT.fullmatch(ident):
            return None
    nums = []
    for p in parts:
        # '+' and '-' were split off above, so ParseInt only sees unsigned text.
        if not _DECIMAL.fullmatch(p):
            return None
        v = int(p)
        if v > _INT64_MAX:
            return None
        nums.append(v)
    return nums[0], nums[1], nums[2], pre, metadata
