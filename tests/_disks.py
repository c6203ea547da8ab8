"""Helpers for tests (and bench/) that look at disk images."""

from __future__ import annotations

import os
from pathlib import Path


def data_map(path: str | os.PathLike[str]) -> list[tuple[int, int]]:
    """The data extents ``(start, end)`` of a file, as SEEK_DATA/SEEK_HOLE report them.

    Written independently of the library's own extent walk, so that it can check it."""
    extents = []
    fd = os.open(Path(path), os.O_RDONLY)
    try:
        size, pos = os.fstat(fd).st_size, 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:  # ENXIO: no data after pos
                break
            pos = os.lseek(fd, start, os.SEEK_HOLE)
            extents.append((start, pos))
    finally:
        os.close(fd)
    return extents
