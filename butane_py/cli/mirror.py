"""``butane-py mirror``: verified images published for private and air-gapped fleets."""

from __future__ import annotations

import sys
from typing import Optional

from ..errors import ButanePyError
from ._output import fail_shown, shown
from .images import DownloadProgress


class _FileProgress:
    """The library's per-file progress calls shown as ``download`` shows them: one bar (or
    plain lines) per file, then its summary line."""

    def __init__(self, quiet: bool) -> None:
        self.shown = DownloadProgress(quiet)
        self.path: str | None = None

    def __call__(self, path: str, done: int, total: int | None) -> None:
        if path != self.path:
            self.finish()
            self.path = path
            self.shown.start(path)
        self.shown(done, total)

    def finish(self, complete: bool = True) -> None:
        if self.path is not None:
            self.shown.stop(complete)
            self.path = None


def _run(write, quiet: bool, fetch_retries: str, keyring: list[str] | None, **kwargs) -> int:
    """Run a mirror writer with the options every mirror command shares, and say what it did."""
    from .. import fetch as fetching

    progress = _FileProgress(quiet)
    complete = False
    try:
        result = write(
            keyring=fetching.Keyring.from_files(keyring) if keyring else None,
            fetch_retries=fetching.parse_retries(fetch_retries),
            get_bytes=fetching.metadata_fetcher(fetching.parse_retries(fetch_retries)),
            progress=progress,
            **kwargs,
        )
        complete = True
    except ButanePyError as exc:
        return fail_shown(exc)
    finally:
        progress.finish(complete)
    for path in result.metadata:
        sys.stdout.write(f"{shown(path)}\n")
    if not quiet:
        sys.stderr.write(
            f"{len(result.downloaded)} files downloaded, {len(result.reused)} already there and verified"
            + (f", {len(result.pruned)} old releases removed" if result.pruned else "") + "\n")
    return 0


def mirror_fcos(dest: str, base_url: str, streams: list[str], architectures: list[str], platforms: list[str],
                formats: list[str], keep: int | None, stream_base_url: str | None, keyring: list[str] | None,
                fetch_retries: str, quiet: bool) -> int:
    """``butane-py mirror fcos``."""
    from .. import images, mirror

    return _run(mirror.write_stream, quiet, fetch_retries, keyring, dest=dest, base_url=base_url,
                streams=streams or [images.DEFAULT_STREAM], architectures=architectures or None,
                platforms=platforms or [images.DEFAULT_PLATFORM], formats=formats or None, keep=keep,
                stream_base_url=stream_base_url or images.DEFAULT_STREAM_BASE)


def mirror_flatcar(dest: str, channel: str, architecture: str | None, version: str | None, image: list[str],
                   keep: int | None, stream_base_url: str | None, keyring: list[str] | None, fetch_retries: str,
                   quiet: bool) -> int:
    """``butane-py mirror flatcar``."""
    from .. import mirror
    from ..mirror._flatcar import DEFAULT_IMAGES

    return _run(mirror.write_flatcar, quiet, fetch_retries, keyring, dest=dest, channel=channel,
                architecture=architecture, version=version, images=image or DEFAULT_IMAGES, keep=keep,
                upstream_url=stream_base_url)


def register(app) -> None:
    """Declare the ``mirror`` group and its ``fcos`` and ``flatcar`` commands on the typer ``app``."""
    import typer

    mirror_app = typer.Typer(
        help="Publish verified images for private and air-gapped fleets, served by any static host.",
        no_args_is_help=True)
    app.add_typer(mirror_app, name="mirror")

    retries_help = "Retries after failed requests, or 'infinite'."
    keyring_help = "Verify against these keys instead of the bundled ones."

    @mirror_app.command("fcos", help=(
        "Mirror Fedora CoreOS streams for clients that take --stream-base-url.\n\n"
        "Downloads and verifies the chosen artifacts into DEST (laid out as on "
        "builds.coreos.fedoraproject.org), then writes DEST/streams/STREAM.json with every location under "
        "--base-url. Clients then take --stream-base-url BASE_URL/streams/ (butane-py download and embed, "
        "coreos-installer). Files already in DEST that verify are kept; the stream documents are written last.\n\n"
        "Example: butane-py mirror fcos /srv/fcos --base-url https://mirror.example.com/fcos -f pxe -f raw.xz"))
    def fcos_cmd(
        dest: str = typer.Argument(..., metavar="DEST", help="The mirror's directory (created if needed)."),
        base_url: str = typer.Option(..., "--base-url", metavar="URL",
                                     help="Where DEST will be served; every location is under it."),
        stream: list[str] = typer.Option([], "-s", "--stream", metavar="NAME",
                                         help="Stream (repeatable; default stable)."),
        architecture: list[str] = typer.Option([], "-a", "--arch", "--architecture", metavar="ARCH",
                                               help="Architecture (repeatable; default: this machine's)."),
        platform: list[str] = typer.Option([], "-p", "--platform", metavar="NAME",
                                           help="Platform (repeatable; default metal)."),
        format: list[str] = typer.Option([], "-f", "--format", metavar="NAME",
                                         help="Format (repeatable; default: every format of each platform)."),
        keep: Optional[int] = typer.Option(None, "--keep", metavar="N", min=1,
                                           help="Afterwards, remove releases beyond the N newest of each stream."),
        stream_base_url: Optional[str] = typer.Option(None, "--stream-base-url", metavar="URL",
                                                      help="Upstream stream metadata base."),
        keyring: Optional[list[str]] = typer.Option(None, "--keyring", metavar="PATH", help=keyring_help),
        fetch_retries: str = typer.Option("5", "--fetch-retries", metavar="N|infinite", help=retries_help),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress."),
    ) -> None:
        raise typer.Exit(mirror_fcos(dest, base_url, stream, architecture, platform, format, keep, stream_base_url,
                                     keyring, fetch_retries, quiet))

    @mirror_app.command("flatcar", help=(
        "Mirror a Flatcar channel in the layout Flatcar's tools read.\n\n"
        "Downloads and verifies the chosen images of one version (default: the "
        "channel's current one) into DEST/CHANNEL/BOARD/VERSION/ with their .sig and .DIGESTS, then switches "
        "DEST/CHANNEL/BOARD/current/ to it (version.txt last). Clients take the board URL: butane-py download "
        "--flatcar CHANNEL --stream-base-url URL/CHANNEL/BOARD/, flatcar-install -b URL/CHANNEL/BOARD.\n\n"
        "Example: butane-py mirror flatcar /srv/flatcar --channel stable --image pxe --image image"))
    def flatcar_cmd(
        dest: str = typer.Argument(..., metavar="DEST", help="The mirror's directory (created if needed)."),
        channel: str = typer.Option("stable", "--channel", metavar="NAME", help="alpha, beta, stable or lts."),
        architecture: Optional[str] = typer.Option(None, "-a", "--arch", "--architecture", metavar="ARCH",
                                                   help="Default: this machine's."),
        version: Optional[str] = typer.Option(None, "--version", metavar="V", help="Default: the current one."),
        image: list[str] = typer.Option([], "--image", metavar="NAME", help=(
            "pxe, iso, qemu, qemu_uefi, image or a flatcar_production_* file name (repeatable; default pxe and "
            "image).")),
        keep: Optional[int] = typer.Option(None, "--keep", metavar="N", min=1,
                                           help="Afterwards, remove versions beyond the N newest."),
        stream_base_url: Optional[str] = typer.Option(None, "--stream-base-url", metavar="URL",
                                                      help="Upstream board URL (default the channel's)."),
        keyring: Optional[list[str]] = typer.Option(None, "--keyring", metavar="PATH", help=keyring_help),
        fetch_retries: str = typer.Option("5", "--fetch-retries", metavar="N|infinite", help=retries_help),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress."),
    ) -> None:
        raise typer.Exit(mirror_flatcar(dest, channel, architecture, version, image, keep, stream_base_url,
                                        keyring, fetch_retries, quiet))
