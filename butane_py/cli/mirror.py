"""``butane-py mirror``: verified images published for private and air-gapped fleets, and local
ones in a simplestreams mirror of one's own."""

from __future__ import annotations

import sys
from typing import Optional

from ..errors import ButanePyError, UsageError
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


PASSPHRASE_VARIABLE = "BUTANE_PY_SIGNING_PASSPHRASE"

# The options that describe each --add, by the attribute they set; each is given once (for
# every --add) or once per --add, in the same order.
_PER_FILE = ("product", "version", "arch", "release", "os", "ftype", "item_name")


def _per_file(files: list[str], given: dict[str, list[str]]) -> list[dict[str, Optional[str]]]:
    """The options of each file: a value given once applies to all of them."""
    out: list[dict[str, Optional[str]]] = [{} for _ in files]
    for name, values in given.items():
        option = "--" + name.replace("_", "-")
        if len(values) not in (0, 1, len(files)):
            raise UsageError(f"{option} is given {len(values)} times for {len(files)} --add: give it once "
                             "(for every file) or once per --add")
        for i, attrs in enumerate(out):
            attrs[name] = values[0] if len(values) == 1 else values[i] if values else None
    for attrs in out:
        for required in ("product", "version"):
            if not attrs[required]:
                raise UsageError(f"--add needs --{required}")
    return out


def _updated():
    """$SOURCE_DATE_EPOCH as the metadata's date, for reproducible metadata; None (now) without it."""
    import datetime
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return None
    try:
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds") from None


def simplestreams(dest: str, add: list[str], given: dict[str, list[str]], content_id: Optional[str] = None,
                  sign: Optional[str] = None, source: Optional[str] = None, keyring: Optional[list[str]] = None,
                  insecure: bool = False, fetch_retries: int | str | None = 5, quiet: bool = False) -> int:
    """``butane-py mirror simplestreams``: publish files, local (``add``) or fetched and verified
    from another simplestreams mirror (``source``), in a simplestreams mirror."""
    import os

    from .. import mirror

    try:
        if bool(add) == bool(source):
            raise UsageError("give the files to publish: --add FILE --product ID --version V, "
                             "or --from MIRROR to publish another mirror's images")
        key = None
        if sign is not None:
            key = mirror.SigningKey.from_file(sign, os.environ.get(PASSPHRASE_VARIABLE))
        kwargs = {
            "signing_key": key, "updated": _updated(),
            "on_written": lambda path: sys.stdout.write(f"{shown(os.path.join(dest, path))}\n"),
            **({"content_id": content_id} if content_id else {}),
        }
        if source:
            published = _publish_upstream(dest, source, given, keyring, insecure, fetch_retries, quiet, kwargs)
        else:
            images = []
            for path, attrs in zip(add, _per_file(add, given)):
                product_attributes = {k: attrs[k] for k in ("arch", "release", "os") if attrs[k]}
                images.append(mirror.ImageFile(path, attrs["product"], attrs["version"], attrs["ftype"],
                                               attrs["item_name"], product_attributes))
            published = mirror.write_simplestreams(dest, images, **kwargs)
    except ButanePyError as exc:
        from ..fetch._errors import PassphraseNeededError

        if isinstance(exc, PassphraseNeededError):
            sys.stderr.write(f"Error: {shown(str(exc))}: set {PASSPHRASE_VARIABLE}\n")
            return exc.exit_code
        return fail_shown(exc)
    for what, pairs in (("added", published.added), ("replaced", published.replaced)):
        for product, version in pairs:
            sys.stderr.write(f"{what} {shown(product)} {shown(version)}\n")
    signed = f", signed by {key.fingerprint.upper()}" if key is not None else ""
    sys.stderr.write(f"index: {shown(os.path.join(dest, 'streams/v1/index.json'))}{signed}\n")
    return 0


def _publish_upstream(dest: str, source: str, given: dict[str, list[str]], keyring: Optional[list[str]],
                      insecure: bool, fetch_retries: int | str | None, quiet: bool, kwargs: dict):
    """Fetch and verify the latest files of the chosen products of the simplestreams mirror
    ``source`` (a URL, or an Ubuntu alias of the catalog), then publish them."""
    import os
    import tempfile

    from .. import fetch as fetching
    from .. import images, mirror
    from .images import _simplestreams_verify, fetch_one

    if given["version"] or given["os"] or given["item_name"]:
        raise UsageError("--from publishes each product's latest version with its own attributes: "
                         "choose with --product, --release, --arch and --ftype")
    if not keyring and not insecure:
        raise UsageError("--from needs --keyring with the key that signs the mirror's metadata (for Ubuntu's, the "
                         "Ubuntu cloud image key), or --insecure to trust its unsigned digests")
    release = given["release"][0] if given["release"] else None
    if len(given["release"]) > 1:
        raise UsageError("--from takes one --release")
    ftypes = given["ftype"]
    if "://" not in source:
        entry = images.catalog().get(source)
        if entry is None or entry.distribution != "ubuntu":
            ubuntu = sorted(a for a, e in images.catalog().items() if e.distribution == "ubuntu")
            raise UsageError(f"--from {source!r}: not a URL, nor an Ubuntu catalog alias ({', '.join(ubuntu)})")
        source = entry.source.removesuffix("streams/v1/index.json")
        release = release or entry.stream
        ftypes = ftypes or [entry.format]
    retries = fetching.parse_retries(fetch_retries)
    ring = fetching.Keyring.from_files(keyring) if keyring else None
    chosen = mirror.upstream_files(
        source, products=given["product"], release=release, arches=given["arch"], ftypes=ftypes,
        get_bytes=fetching.metadata_fetcher(retries), verify=_simplestreams_verify(ring))
    os.makedirs(dest, exist_ok=True)
    progress = DownloadProgress(quiet)
    # Fetched into the mirror's own file system, so that publishing them copies no further.
    with tempfile.TemporaryDirectory(dir=dest, prefix=".butane-py-") as incoming:
        files = []
        for n, upstream in enumerate(chosen):
            art = upstream.artifact
            target = os.path.join(incoming, str(n), art.filename)
            os.mkdir(os.path.dirname(target))
            result = fetch_one(art.url, art, art.filename, target, ring, insecure, retries, progress)
            files.append(upstream.image(str(result.path)))
        return mirror.write_simplestreams(dest, files, **kwargs)


def register(app) -> None:
    """Declare the ``mirror`` group and its ``fcos``, ``flatcar`` and ``simplestreams`` commands on the typer
    ``app``."""
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

    @mirror_app.command("simplestreams", help=(
        "Publish images in an Ubuntu simplestreams mirror: local files, or another mirror's, verified.\n\n"
        "Writes each file into DEST, then DEST/streams/v1/index.json and a products document (image-downloads) "
        "with each file's SHA-256, MD5, size and path, merged into what DEST holds (a version published again is "
        "replaced); the index is written last. --product, --version and the other attributes are given once (for "
        "every --add) or once per --add, in order. With --sign, each document also gets a clearsigned .sjson; a "
        f"protected key's passphrase is read from ${PASSPHRASE_VARIABLE}. $SOURCE_DATE_EPOCH sets the 'updated' "
        "dates. Clients: sstream-query URL/streams/v1/index.sjson, butane-py download --simplestreams URL.\n\n"
        "Example: butane-py mirror simplestreams /srv/mirror --add disk.img --product com.example:server:1:amd64 "
        "--version 20260101 --arch amd64 --release one --sign key.asc"))
    def simplestreams_cmd(
        dest: str = typer.Argument(..., metavar="DEST", help="The mirror's root directory."),
        add: list[str] = typer.Option([], "--add", metavar="FILE", help="A file to publish (repeatable)."),
        product: list[str] = typer.Option([], "--product", metavar="ID",
                                          help="Its product ID, e.g. com.example:server:1:amd64."),
        version: list[str] = typer.Option([], "--version", metavar="V", help="Its version, e.g. 20260101 (sorted "
                                                                             "as text: the greatest is the latest)."),
        arch: list[str] = typer.Option([], "-a", "--arch", "--architecture", metavar="ARCH",
                                       help="The product's architecture (amd64, arm64...)."),
        release: list[str] = typer.Option([], "--release", metavar="NAME", help="The product's release."),
        os_name: list[str] = typer.Option([], "--os", metavar="NAME", help="The product's operating system."),
        ftype: list[str] = typer.Option([], "--ftype", metavar="TYPE",
                                        help="The file's type (default: its name's extension)."),
        item_name: list[str] = typer.Option([], "--item-name", metavar="NAME",
                                            help="The item's name in its version (default: the file type)."),
        content_id: Optional[str] = typer.Option(None, "--content-id", metavar="ID",
                                                 help="The products' content ID (default butane-py:images)."),
        sign: Optional[str] = typer.Option(None, "--sign", metavar="KEYFILE",
                                           help="Clearsign the metadata with this secret OpenPGP key."),
        source: Optional[str] = typer.Option(
            None, "--from", metavar="MIRROR",
            help="Publish the latest version of another simplestreams mirror's products instead (a URL, or an "
                 "Ubuntu alias of butane-py images list), chosen with --product, --release, --arch and --ftype."),
        keyring: list[str] = typer.Option([], "--keyring", metavar="PATH",
                                          help="With --from: the keys that sign its metadata."),
        insecure: bool = typer.Option(False, "--insecure",
                                      help="With --from: trust digests from unsigned metadata."),
        fetch_retries: str = typer.Option("5", "--fetch-retries", metavar="N|infinite",
                                          help="With --from: retries after failed requests, or 'infinite'."),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="With --from: no download progress."),
    ) -> None:
        given = dict(zip(_PER_FILE, (product, version, arch, release, os_name, ftype, item_name)))
        raise typer.Exit(simplestreams(dest, list(add), {k: list(v) for k, v in given.items()}, content_id, sign,
                                       source, list(keyring), insecure, fetch_retries, quiet))
