"""A Flatcar mirror: one channel's board directory laid out as on
``CHANNEL.release.flatcar-linux.net``, which Flatcar's tools and butane-py read:

    CHANNEL/BOARD/VERSION/   version.txt, and each chosen file with its .sig and .DIGESTS
    CHANNEL/BOARD/current/   the same files, version.txt written last

Readers resolve ``current/version.txt`` first and then fetch from ``VERSION/`` (butane-py's
Flatcar source, ``flatcar-install -b``), so a new version becomes visible only when its
``version.txt`` lands in ``current/``, after every file it names. ``current/`` also holds the
files (hard links where the file system allows), because PXE setups boot straight from
``current/``. The board URL, ``BASE/CHANNEL/BOARD/``, is what ``download --flatcar
--stream-base-url`` and ``flatcar-install -b`` take.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError
from ..fetch import Keyring
from ..fetch._download import DEFAULT_RETRIES
from ..images import GetBytes, flatcar_artifacts, normalize_arch, parse_version_txt, sha512_for
from ..images._common import call_fetcher
from ..images._flatcar import board_for, channel_base_url, fetch_flatcar_version
from ..io import os_reason, replacing, write_all
from ._publish import (
    Download,
    Fetcher,
    MirrorError,
    MirrorProgress,
    MirrorResult,
    prune,
    segment,
    write_document,
)

#: Formats mirrored when none is named: what a PXE boot and a disk install need.
DEFAULT_IMAGES = ("pxe", "image")


def write_flatcar(
    dest: str | os.PathLike[str],
    channel: str = "stable",
    *,
    architecture: str | None = None,
    version: str | None = None,
    images: Iterable[str] = DEFAULT_IMAGES,
    keep: int | None = None,
    upstream_url: str | None = None,
    keyring: Keyring | None = None,
    fetch_retries: int | None = DEFAULT_RETRIES,
    get_bytes: GetBytes | None = None,
    progress: MirrorProgress | None = None,
) -> MirrorResult:
    """Mirror one Flatcar version (default: the channel's current one) of one board into
    ``dest/CHANNEL/BOARD/``.

    ``images`` are Flatcar formats (``pxe``, ``iso``, ``qemu``, ``qemu_uefi``, ``image``) or
    ``flatcar_production_*`` file names. Each file is checked against the SHA-512 of its
    ``.DIGESTS`` and its detached signature (``keyring``, default the bundled keys) before it
    is kept; ``.sig`` and ``.DIGESTS`` are copied as upstream published them. ``upstream_url``
    replaces the board URL upstream (``https://CHANNEL.release.flatcar-linux.net/BOARD/``).
    ``current/`` is switched to this version last. With ``keep``, version directories beyond the
    ``keep`` newest are removed afterwards (never this one).
    """
    root = Path(dest)
    if keep is not None and keep < 1:
        raise MirrorError(f"keep must be at least 1, not {keep}")
    arch = normalize_arch(architecture)
    official = channel_base_url(channel, arch)  # refuses a channel Flatcar does not have
    upstream = upstream_url if upstream_url is not None else official
    if not upstream.endswith("/"):
        upstream += "/"
    board = f"{segment(channel, 'channel')}/{board_for(arch)}"
    if version is None:
        version = fetch_flatcar_version(channel, arch, get_bytes=get_bytes, base_url=upstream).version
    version_txt = call_fetcher(get_bytes, f"{upstream}{version}/version.txt")
    stated = parse_version_txt(version_txt).version
    if stated != version:
        raise MirrorError(f"{upstream}{version}/version.txt is for version {stated!r}, not {version!r}")

    result = MirrorResult()
    fetcher = Fetcher(root, result, keyring=keyring, fetch_retries=fetch_retries, progress=progress)
    release = f"{board}/{segment(version, 'version')}"
    planned: list[tuple[Download, bytes]] = []
    for image in dict.fromkeys(images):
        for art in flatcar_artifacts(channel, version, arch, image, base_url=upstream):
            assert art.digests_url is not None and art.signature_url is not None
            digests = call_fetcher(get_bytes, art.digests_url)
            item = Download(f"{release}/{art.filename}", art.url, art.signature_url,
                            sha512=sha512_for(digests, art.filename))
            if fetcher.plan(item):
                planned.append((item, digests))
    for item, digests in planned:
        fetcher.get(item)
        write_document(root, item.relative + ".DIGESTS", digests)
    write_document(root, f"{release}/version.txt", version_txt)

    # current/: the files first, version.txt last, then what the previous version left there.
    current = f"{board}/current"
    names = {"version.txt"}
    for item, _ in planned:
        name = item.relative.rsplit("/", 1)[1]
        for file in (name, name + ".sig", name + ".DIGESTS"):
            _link(root / release / file, root / current / file)
            names.add(file)
    write_document(root, f"{current}/version.txt", version_txt)
    result.metadata += [f"{release}/version.txt", f"{current}/version.txt"]
    _remove_others(root / current, names)
    if keep is not None:
        prune(root, board, keep, {version}, result, spare=frozenset({"current"}))
    return result


def _link(source: Path, target: Path) -> None:
    """Put ``source``'s content at ``target`` by a rename: a hard link to it where the file
    system allows, else a copy."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".butane-py-link-{os.getpid()}-{target.name}")
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        try:
            os.link(source, tmp)
        except OSError:
            with open(source, "rb") as src, replacing(str(target), sync=True) as fd:
                while chunk := src.read(1 << 20):
                    write_all(fd, chunk)
            return
        os.replace(tmp, target)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {os_reason(exc)}") from None


def _remove_others(directory: Path, keep: set[str]) -> None:
    """Remove the regular files of ``directory`` not in ``keep``: an older version's images."""
    try:
        for entry in os.scandir(directory):
            if entry.name not in keep and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
    except OSError as exc:
        raise InputError(f"cannot clean {directory}: {os_reason(exc)}") from None
