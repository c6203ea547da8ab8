"""``butane-py images ensure``, ``images copy`` and ``install``: disks for VMs and bare metal.

``ensure`` and ``copy`` join the ``images`` group that :mod:`.images` declares (it calls
:func:`register_images`); ``install`` is a command of its own.
"""

from __future__ import annotations

import sys
from enum import Enum
from ..errors import ButanePyError
from ._options import Option
from ._output import fail_shown, shown

#: Where coreos-installer's ``--copy-network`` takes the keyfiles from by default.
NETWORK_DIR = "/etc/NetworkManager/system-connections/"

URL_UNVERIFIED = ("A literal http(s) URL is downloaded unverified (no digest, no signature) and named by its "
                  "last path segment.")


class DiskFormat(str, Enum):
    raw = "raw"
    qcow2 = "qcow2"


class _EnsureProgress:
    """The download's progress, as ``download`` shows it; once the file is complete, one line
    saying that the disk is being made of it (decompressing and converting show no progress)."""

    def __init__(self, label: str, disk_format: str, quiet: bool) -> None:
        from .images import DownloadProgress

        self.bar = DownloadProgress(quiet)
        self.label, self.disk_format, self.quiet = label, disk_format, quiet
        self.started = self.finished = False

    def __call__(self, done: int, total: int | None) -> None:
        if self.finished:
            return
        if not self.started:
            self.bar.start(self.label)
            self.started = True
        self.bar(done, total)
        if total is not None and done >= total:
            self.bar.stop(complete=True)
            self.finished = True
            if not self.quiet:
                sys.stderr.write(f"{self.bar.name}: verifying, then preparing the {self.disk_format} disk\n")
                sys.stderr.flush()

    def stop(self) -> None:
        if self.started and not self.finished:
            self.bar.stop()


def _ensure(source: str, architecture: str | None, disk_format: str, output: str | None, stream: str | None,
            platform: str | None, stream_base_url: str | None, catalog: str | None, keyring: list[str] | None,
            fetch_retries: int | str | None, quiet: bool):
    """``images.ensure`` with the command line's values: files read, progress shown."""
    from .. import fetch as fetching
    from .. import images

    retries = fetching.parse_retries(fetch_retries)
    ring = fetching.Keyring.from_files(keyring) if keyring else None
    entries = images.load_catalog(catalog) if catalog is not None else None
    progress = _EnsureProgress(source, disk_format, quiet)
    try:
        got = images.ensure(source, architecture, format=disk_format, output=output, stream=stream,
                            platform=platform, base_url=stream_base_url, fetch_retries=retries, keyring=ring,
                            catalog=entries, progress=progress)
    finally:
        progress.stop()
    if got.url is not None and not got.verified:
        sys.stderr.write(f"Warning: {shown(got.url)} was downloaded unverified (a literal URL has no digest "
                         "or signature to check)\n")
    return got


def images_ensure(source: str, architecture: str | None = None, disk_format: str = "raw", output: str | None = None,
                  stream: str | None = None, platform: str | None = None, stream_base_url: str | None = None,
                  catalog: str | None = None, keyring: list[str] | None = None,
                  fetch_retries: int | str | None = 5, quiet: bool = False) -> int:
    """``butane-py images ensure``: print the path of a ready disk (``output`` when given)."""
    try:
        got = _ensure(source, architecture, disk_format, output, stream, platform, stream_base_url, catalog,
                      keyring, fetch_retries, quiet)
    except ButanePyError as exc:
        return fail_shown(exc)
    sys.stdout.write(f"{shown(str(got.path))}\n")
    return 0


#: ``images copy``'s options, parsed by the fast entry too (a copy starts without typer).
COPY_OPTIONS = {
    "size": Option(("--size",), "Bytes, or K, M, G, T (KiB…TiB: powers of 1024). Default: SRC's size.",
                   takes_value=True, metavar="SIZE"),
}


def images_copy(src: str, dst: str, size: str | None = None) -> int:
    """``butane-py images copy``: a sparse, atomic copy of a raw disk, extended to ``size``."""
    from ..images import copy_disk

    try:
        copy_disk(src, dst, size)
    except ButanePyError as exc:
        return fail_shown(exc)
    return 0


def _keyfiles(directory: str) -> list[str]:
    """The regular files of ``directory`` (links followed), as coreos-installer's ``--copy-network``
    takes them; anything else there is skipped."""
    import os

    from ..errors import InputError
    from ..io import os_reason

    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise InputError(f"cannot read the network directory {directory}: {os_reason(exc)}") from None
    return [os.path.join(directory, n) for n in names if os.path.isfile(os.path.join(directory, n))]


def install(
    config: str,
    dest: str,
    image: str,
    stream: str | None = None,
    platform: str | None = None,
    architecture: str | None = None,
    append_karg: list[str] | None = None,
    delete_karg: list[str] | None = None,
    copy_network: bool = False,
    network_dir: str | None = None,
    firstboot_args: str | None = None,
    preserve_on_error: bool = False,
    force: bool = False,
    files_dir: str | None = None,
    strict: bool = False,
    stream_base_url: str | None = None,
    catalog: str | None = None,
    keyring: list[str] | None = None,
    fetch_retries: int | str | None = 5,
    quiet: bool = False,
) -> int:
    """``butane-py install``: CONFIG translated (.bu) or validated (.ign), the image made ready
    (as ``images ensure`` makes it), then written to DEST with the config in it."""
    from .. import images
    from ..errors import UsageError
    from .embed import _config_for_embed

    try:
        if network_dir is not None and not copy_network:
            raise UsageError("--network-dir goes with -n/--copy-network")
        keyfiles = _keyfiles(network_dir or NETWORK_DIR) if copy_network else []
        ignition = _config_for_embed(config, files_dir, strict)
        # A distribution name gives its metal image, as coreos-installer installs; --platform then
        # changes the platform ID written into it. An alias or a file is the image it names.
        source_platform = "metal" if image in images.DISTRIBUTION_NAMES else None
        ready = _ensure(image, architecture, "raw", None, stream, source_platform, stream_base_url, catalog,
                        keyring, fetch_retries, quiet)
        from .images import DownloadProgress

        progress = DownloadProgress(quiet)
        progress.start(f"writing {dest}")
        complete = False
        try:
            done = images.install(
                ready.path, ignition, dest, platform=platform, append_kargs=append_karg or (),
                delete_kargs=delete_karg or (), network_keyfiles=keyfiles, firstboot_args=firstboot_args,
                preserve_on_error=preserve_on_error, force=force, progress=progress,
            )
            complete = True
        finally:
            progress.stop(complete)
    except ButanePyError as exc:
        return fail_shown(exc)
    if not quiet:
        written = ", ".join(done.written) or "nothing"
        sys.stderr.write(f"Wrote {shown(written)} into partition {done.partition} of {shown(dest)} "
                         f"({'Fedora CoreOS' if done.distribution == 'fcos' else 'Flatcar'})\n"
                         "Install complete.\n")
    return 0


def register_images(images_app) -> None:
    """Declare ``ensure`` and ``copy`` on the ``images`` group."""
    import typer

    from .images import CATALOG_HELP

    @images_app.command("ensure", help=(
        "Make a ready disk for a VM and print its path: download an image (verified by digest and signature, "
        "cached), decompress it (xz, gzip, bzip2, zstd) and convert qcow2 to raw. The source is a catalog alias "
        "(fcos-stable-qemu, flatcar-stable-qemu…), a distribution name (fcos: --platform qemu by default; "
        "flatcar: qemu or metal; ubuntu with --stream RELEASE), a URL or a local file. "
        f"{URL_UNVERIFIED} Ready disks are cached under the release and the download's digest, and are "
        "read-only: give -o for a copy of your own.\n\n"
        "Example: butane-py images ensure fcos-stable-qemu -o vm.raw"))
    def images_ensure_cmd(
        source: str = typer.Argument(..., metavar="ALIAS|URL|PATH", help="What to make the disk of."),
        architecture: str | None = typer.Option(None, "-a", "--architecture", "--arch",
                                                   help="Default: this machine's."),
        disk_format: DiskFormat = typer.Option(DiskFormat.raw, "-f", "--format",
                                               help="raw, or qcow2 kept as it is (never made from raw)."),
        output: str | None = typer.Option(None, "-o", "--output", metavar="PATH",
                                             help="Write a sparse copy here (atomically) and print this path."),
        stream: str | None = typer.Option(None, "-s", "--stream",
                                             help="With a distribution name: its stream (ubuntu: the release)."),
        platform: str | None = typer.Option(None, "-p", "--platform",
                                               help="With a distribution name: qemu (default) or metal."),
        stream_base_url: str | None = typer.Option(
            None, "--stream-base-url", metavar="URL",
            help="Base URL of the source (stream metadata, a Flatcar board's releases, a simplestreams mirror)."),
        catalog: str | None = typer.Option(None, "--catalog", metavar="FILE", help=CATALOG_HELP),
        keyring: list[str] = typer.Option([], "--keyring", metavar="PATH",
                                          help="Verify with these OpenPGP keys instead."),
        fetch_retries: str = typer.Option("5", "--fetch-retries", metavar="N|infinite",
                                          help="Retries after failed requests, or 'infinite'."),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress."),
    ) -> None:
        raise typer.Exit(images_ensure(source, architecture, disk_format.value, output, stream, platform,
                                       stream_base_url, catalog, list(keyring) or None, fetch_retries, quiet))

    @images_app.command("copy", help=(
        "Copy a raw disk, sparse (holes stay holes; a reflink where the filesystem has them), and extend it to "
        "--size. The copy is written beside DST and renamed: DST is the whole copy or untouched. Refused: a size "
        "smaller than SRC, and DST being SRC.\n\n"
        "Example: butane-py images copy vm.raw vm-20g.raw --size 20G"))
    def images_copy_cmd(
        src: str = typer.Argument(..., metavar="SRC", help="A raw disk."),
        dst: str = typer.Argument(..., metavar="DST", help="The new disk (a regular file)."),
        size: str | None = COPY_OPTIONS["size"].typer(None),
    ) -> None:
        raise typer.Exit(images_copy(src, dst, size))


def register(app) -> None:
    """Declare ``install`` on the typer ``app``."""
    import typer

    from .images import CATALOG_HELP

    @app.command("install", help=(
        "Write a metal image to DEST (a disk or a disk image file) with CONFIG in it, where the OS reads it on "
        "first boot, without mounting anything: Fedora CoreOS gets ignition/config.ign in its boot filesystem "
        "(and the options below, as coreos-installer install sets them), Flatcar config.ign in its OEM "
        "partition (ext4 only). CONFIG is translated (.bu) or validated (.ign) first. The image is made ready "
        "as images ensure makes it: a distribution name gives its metal image, and a literal URL is downloaded "
        "unverified. DEST's first MiB is written last and read back; on failure DEST's partition "
        "tables are wiped (or a file it created is removed). A mounted or in-use DEST is refused.\n\n"
        "Example: butane-py install --image fcos config.bu /dev/sdb\n\n"
        "Example: butane-py install --image fcos-stable-qemu config.bu vm.raw"))
    def install_cmd(
        config: str = typer.Argument(..., metavar="CONFIG", help="A Butane (.bu) or Ignition (.ign) config."),
        dest: str = typer.Argument(..., metavar="DEST", help="Destination device, or a disk image file."),
        image: str = typer.Option(..., "--image", metavar="ALIAS|PATH",
                                  help="A catalog alias, a distribution name (fcos, flatcar) or a local image."),
        stream: str | None = typer.Option(None, "-s", "--stream", help="Fedora CoreOS stream (with --image fcos)."),
        platform: str | None = typer.Option(None, "-p", "--platform",
                                               help="Override the Ignition platform ID (the image's: metal)."),
        architecture: str | None = typer.Option(None, "-a", "--architecture", "--arch",
                                                   help="Default: this machine's."),
        append_karg: list[str] = typer.Option([], "--append-karg", metavar="ARG",
                                              help="Append default kernel arg (repeatable)."),
        delete_karg: list[str] = typer.Option([], "--delete-karg", metavar="ARG",
                                              help="Delete default kernel arg (repeatable)."),
        copy_network: bool = typer.Option(False, "-n", "--copy-network",
                                          help="Copy the NetworkManager keyfiles of --network-dir for the first "
                                               "boot."),
        network_dir: str | None = typer.Option(None, "--network-dir", metavar="DIR",
                                                  help=f"For use with -n. Default: {NETWORK_DIR}"),
        firstboot_args: str | None = typer.Option(None, "--firstboot-args", metavar="ARGS",
                                                     help="Additional kernel args for the first boot."),
        preserve_on_error: bool = typer.Option(False, "--preserve-on-error",
                                               help="Don't clear partition table on error."),
        force: bool = typer.Option(False, "--force", help="Overwrite a non-empty DEST file."),
        files_dir: str | None = typer.Option(None, "-d", "--files-dir",
                                                help="Allow embedding local files from this directory."),
        strict: bool = typer.Option(False, "--strict", help="Fail on any warning in CONFIG."),
        stream_base_url: str | None = typer.Option(
            None, "--stream-base-url", metavar="URL",
            help="Base URL of the source (stream metadata, a Flatcar board's releases)."),
        catalog: str | None = typer.Option(None, "--catalog", metavar="FILE", help=CATALOG_HELP),
        keyring: list[str] = typer.Option([], "--keyring", metavar="PATH",
                                          help="Verify with these OpenPGP keys instead."),
        fetch_retries: str = typer.Option("5", "--fetch-retries", metavar="N|infinite",
                                          help="Retries after failed requests, or 'infinite'."),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress."),
    ) -> None:
        raise typer.Exit(install(
            config, dest, image, stream, platform, architecture, list(append_karg), list(delete_karg),
            copy_network, network_dir, firstboot_args, preserve_on_error, force, files_dir, strict,
            stream_base_url, catalog, list(keyring) or None, fetch_retries, quiet,
        ))
