"""``butane-py download``, ``stream``, ``images`` and ``cache``: images found, fetched and verified
(the disk commands of ``images``, ``ensure`` and ``copy``, are :mod:`.disks`')."""

from __future__ import annotations

import sys
from typing import Optional

from ..errors import ButanePyError, InputError
from ._output import fail_shown, shown, table

CATALOG_HELP = "Look aliases up in this catalog (written by butane-py images lock) instead of the bundled one."


def size(n: float) -> str:
    """A byte count as people read it: 812.3 MiB."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


class DownloadProgress:
    """Download progress on standard error.

    On a terminal, a bar with size, speed and time left (rich's), replaced when the file is
    complete by one summary line that stays. Elsewhere (a log, CI), a plain line every few
    seconds or each tenth of the file, then the same summary; nothing before data arrives."""

    EVERY = 3.0  # seconds between plain lines

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self._bar = None
        self._task = None
        self.name = ""

    def start(self, name: str) -> None:
        import time

        self.name = shown(name)
        self._done = 0
        self._started = self._last = time.monotonic()
        self._tenth = 0
        if self.quiet or not self.tty:
            return
        from rich.console import Console
        from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                                   TransferSpeedColumn)

        self._bar = Progress(
            TextColumn("{task.description}", markup=False), BarColumn(), DownloadColumn(binary_units=True),
            TransferSpeedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.name, total=None)

    def __call__(self, done: int, total: int | None) -> None:
        import time

        self._done = done
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)
            return
        if not done or (total and done >= total):
            return  # no data yet; at the end the summary says it
        now = time.monotonic()
        tenth = done * 10 // total if total else 0
        if now - self._last >= self.EVERY or tenth > self._tenth:
            self._last, self._tenth = now, tenth
            of = f" of {size(total)} ({done * 100 // total}%)" if total else ""
            sys.stderr.write(f"{self.name}: {size(done)}{of}\n")
            sys.stderr.flush()

    def stop(self, complete: bool = False) -> None:
        """Remove the bar; with ``complete``, say what this run downloaded and how fast."""
        import time

        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        if complete and not self.quiet and self._done:
            took = max(time.monotonic() - self._started, 1e-3)
            elapsed = f"{took:.0f} s" if took >= 10 else f"{took:.1f} s"
            sys.stderr.write(f"{self.name}: {size(self._done)} in {elapsed} ({size(self._done / took)}/s)\n")
            sys.stderr.flush()


def download(
    stream: str = "stable",
    architecture: str | None = None,
    platform: str = "metal",
    format: str | None = None,
    image_url: str | None = None,
    directory: str = ".",
    decompress: bool = False,
    stream_base_url: str | None = None,
    insecure: bool = False,
    fetch_retries: int | str | None = 5,
    keyring: list[str] | None = None,
    flatcar: str | None = None,
    simplestreams: str | None = None,
    product: str | None = None,
    ftype: str | None = None,
    image: str | None = None,
    quiet: bool = False,
    catalog: str | None = None,
) -> int:
    """``butane-py download``: resolve the image, then fetch and verify every file of it.

    Each file is written to ``-C`` under the last segment of its URL, with its signature
    beside it as ``FILE.sig`` unless ``-d`` (as coreos-installer does)."""
    import os

    from .. import fetch as fetching
    from .. import images

    try:
        retries = fetching.parse_retries(fetch_retries)
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise InputError(f"-C {directory!r}: not a directory")
        ring = fetching.Keyring.from_files(keyring) if keyring else None
        get_bytes = fetching.metadata_fetcher(retries)
        if catalog is not None and not image:
            sys.stderr.write("Error: --catalog names the file --image ALIAS is looked up in; give --image\n")
            return 2
        if image_url:
            artifacts = [None]
        elif image:
            entries = images.load_catalog(catalog) if catalog is not None else None
            entry = images.catalog().get(image) if entries is None else entries.get(image)
            if entry is not None and entry.distribution == "ubuntu" and not entry.pinned and ring is None \
                    and not insecure:
                # Ubuntu publishes no per-image signature: only signed metadata can prove the image,
                # so say so before a download that could never be kept.
                raise InputError(
                    f"{image} resolves live through Ubuntu simplestreams, whose metadata is verified only with the "
                    "Ubuntu cloud image key: give it with --keyring (or --insecure to go unverified)")
            artifacts = images.resolve(
                image, architecture, get_bytes=get_bytes, base_url=stream_base_url, verify=_simplestreams_verify(ring),
                catalog=entries,
            )
        elif flatcar:
            artifacts = images.resolve(
                "flatcar", architecture, stream=flatcar, format=format or "pxe", base_url=stream_base_url,
                get_bytes=get_bytes,
            )
        elif simplestreams:
            if not product:
                sys.stderr.write("Error: --simplestreams needs --product\n")
                return 2
            art, _ = images.fetch_product(
                product, ftype or "disk1.img", mirror=simplestreams, get_bytes=get_bytes, signed=ring is not None,
                verify=_simplestreams_verify(ring),
            )
            artifacts = [art]
        else:
            artifacts = images.resolve(
                "fcos", architecture, stream=stream, platform=platform, format=format or "raw.xz",
                base_url=stream_base_url, get_bytes=get_bytes,
            )
        progress = DownloadProgress(quiet)
        for art in artifacts:
            url = image_url if art is None else art.url
            filename = fetching.filename_from_url(url)
            if decompress:
                for suffix in (".xz", ".gz", ".zst"):
                    if filename.endswith(suffix) and filename[: -len(suffix)] not in ("", ".", ".."):
                        filename = filename[: -len(suffix)]
            dest = os.path.join(directory, filename)
            result = fetch_one(url, art, filename, dest, ring, insecure, retries, progress, decompress,
                               save_signature=not decompress)
            sys.stdout.write(f"{shown(str(result.path))}\n")
    except ButanePyError as exc:
        return fail_shown(exc)
    return 0


def _simplestreams_verify(ring):
    """With a key, only signed simplestreams documents (.sjson) are read, and each must verify
    against it; an image's SHA-256 from them is then its proof. None without a key."""
    if ring is None:
        return None
    from ..fetch import verify_cleartext

    return lambda data: verify_cleartext(data, ring)


def fetch_one(url: str, art, label: str, dest: str, ring, insecure: bool, fetch_retries: int | None,
              progress: DownloadProgress, decompress: bool = False, save_signature: bool = False):
    """Fetch and verify one file: an artifact's (digests, signature or signed digest, cache key)
    or, with ``art`` None, a bare URL's (its ``.sig`` only), showing ``label`` in the progress."""
    from .. import fetch as fetching

    progress.start(label)
    complete = False
    try:
        result = fetching.fetch(
            url,
            dest,
            sha256=None if art is None else art.sha256,
            sha512=None if art is None else art.sha512,
            signature_url=(url + ".sig") if art is None else (art.signature_url or url + ".sig"),
            keyring=ring,
            insecure=insecure,
            signed_digest=art is not None and art.signed_digest,
            decompress=decompress,
            save_signature=save_signature,
            cache_key=None if art is None else art.cache_key,
            fetch_retries=fetch_retries,
            progress=progress,
        )
        complete = True
        return result
    finally:
        progress.stop(complete)


def stream_list(stream: str = "stable", stream_base_url: str | None = None) -> int:
    """``butane-py stream list``: the architecture/platform/format table of a stream."""
    from .. import images

    try:
        s = images.fetch_stream(stream, base_url=stream_base_url or images.DEFAULT_STREAM_BASE)
        rows = [("ARCHITECTURE", "PLATFORM", "FORMAT", "RELEASE")]
        rows += [(r.arch, r.platform, r.format, r.release) for r in s.table()]
    except ButanePyError as exc:
        return fail_shown(exc)
    table(rows)
    return 0


def stream_images(stream: str = "stable", architecture: str | None = None, stream_base_url: str | None = None) -> int:
    """``butane-py stream images``: cloud images by platform and region."""
    from .. import images

    try:
        s = images.fetch_stream(stream, base_url=stream_base_url or images.DEFAULT_STREAM_BASE)
        rows = [("PLATFORM", "REGION", "IMAGE", "RELEASE")]
        rows += [(c.platform, c.region or "-", c.image, c.release or "-")
                 for c in s.cloud_images(images.normalize_arch(architecture))]
    except ButanePyError as exc:
        return fail_shown(exc)
    table(rows)
    return 0


def images_list(catalog: str | None = None) -> int:
    """``butane-py images list``: the bundled catalog (or ``catalog``), pinned or live."""
    from .. import images

    try:
        entries = images.load_catalog(catalog) if catalog is not None else images.catalog()
    except ButanePyError as exc:
        return fail_shown(exc)
    rows = [("ALIAS", "DISTRIBUTION", "STREAM", "FORMAT", "PINNED", "VERSION", "ARCHITECTURES")]
    for alias, entry in sorted(entries.items()):
        if entry.pinned:
            rows.append((alias, entry.distribution, entry.stream, entry.format, f"pinned {entry.snapshot}",
                         entry.version, ",".join(sorted(entry.architectures))))
        else:
            rows.append((alias, entry.distribution, entry.stream, entry.format, "live", "-", "-"))
    table(rows)
    pinned = sum(e.pinned for e in entries.values())
    sys.stdout.write(f"{pinned} pinned (files and digests as of the date shown), {len(entries) - pinned} live "
                     "(resolved through their verified source at each use); "
                     "pin your own with: butane-py images lock ALIAS... -o images.lock.json\n")
    return 0


def images_lock(aliases: list[str], output: str | None = None, architectures: list[str] | None = None,
                catalog: str | None = None, stream_base_url: str | None = None, keyring: list[str] | None = None,
                fetch_retries: int | str | None = 5) -> int:
    """``butane-py images lock``: resolve aliases live and write a catalog pinning them."""
    import datetime
    import json

    from .. import fetch as fetching
    from .. import images
    from ..io import write_output

    try:
        entries = images.load_catalog(catalog) if catalog is not None else images.catalog()
        if not aliases:
            if catalog is None:
                sys.stderr.write("Error: name the aliases to lock (see butane-py images list), "
                                 "or give --catalog FILE to lock every alias of FILE again\n")
                return 2
            aliases = list(entries)
        ring = fetching.Keyring.from_files(keyring) if keyring else None
        doc = images.lock(
            aliases, entries, architectures or None,
            snapshot=datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
            get_bytes=fetching.metadata_fetcher(fetching.parse_retries(fetch_retries)),
            base_url=stream_base_url, verify=_simplestreams_verify(ring),
        )
        write_output(output or "-", (json.dumps(doc, indent=2) + "\n").encode("utf-8"))
    except ButanePyError as exc:
        return fail_shown(exc)
    if output is not None and output != "-":
        sys.stderr.write(f"pinned {len(doc['images'])} aliases in {shown(output)}\n")
    return 0


def cache_list() -> int:
    """``butane-py cache list``: what the cache holds, verified."""
    from ..fetch import default_cache_dir, list_cache

    entries = list_cache()
    rows = [("SIZE", "FETCHED", "KEY")]
    import datetime

    rows += [
        (f"{e.size / 1048576:.1f} MiB",
         datetime.datetime.fromtimestamp(e.fetched_at, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M") if e.fetched_at else "-",
         e.key)
        for e in entries
    ]
    table(rows)
    sys.stdout.write(f"{len(entries)} files in {shown(str(default_cache_dir()))}\n")
    return 0


def cache_clean() -> int:
    """``butane-py cache clean``: remove what the cache wrote, and say what that was."""
    from ..fetch import clean_cache, default_cache_dir

    base = default_cache_dir()
    try:
        cleaned = clean_cache(base)
    except ButanePyError as exc:
        return fail_shown(exc)
    for path in cleaned.files:
        sys.stdout.write(f"removed {shown(path.relative_to(base).as_posix())}\n")
    sys.stdout.write(f"removed {len(cleaned.files)} files, {cleaned.bytes / 1048576:.1f} MiB, from {shown(str(base))}\n")
    return 0


def register(app) -> None:
    """Declare ``download`` and the ``stream``, ``images`` and ``cache`` groups on the typer ``app``."""
    import typer

    @app.command(
        "download",
        help=(
            "Download and verify an image: Fedora CoreOS from a stream (default), Flatcar "
            "(--flatcar CHANNEL), Ubuntu simplestreams (--simplestreams URL --product ID), a "
            "catalog alias (--image), or any URL (-u). Checks SHA-256 (or SHA-512) and the "
            "OpenPGP signature before a file is kept; verified files are cached. FILE.sig is saved beside "
            "FILE unless -d. Small documents (signatures, metadata) must arrive within "
            "$BUTANE_PY_METADATA_TIMEOUT seconds (default 300).\n\n"
            "Example: butane-py download -s stable -p metal -f iso -C ~/images"
        ),
    )
    def download_cmd(
        stream: str = typer.Option("stable", "-s", "--stream", help="Fedora CoreOS stream."),
        architecture: Optional[str] = typer.Option(None, "-a", "--architecture", help="Default: this machine's."),
        platform: str = typer.Option("metal", "-p", "--platform", help="Fedora CoreOS platform."),
        format: Optional[str] = typer.Option(None, "-f", "--format", help="raw.xz (default), iso, pxe, qcow2.xz…"),
        image_url: Optional[str] = typer.Option(None, "-u", "--image-url", help="Any URL; its signature is URL.sig."),
        directory: str = typer.Option(".", "-C", "--directory", help="Where to write the files."),
        decompress: bool = typer.Option(False, "-d", "--decompress", help="Decompress xz, gzip or zstd."),
        stream_base_url: Optional[str] = typer.Option(
            None, "--stream-base-url", help="Base URL of stream metadata (with --flatcar: of the board's releases)."
        ),
        insecure: bool = typer.Option(False, "--insecure", help="Allow a missing signature (never a bad one)."),
        fetch_retries: str = typer.Option(
            "5", "--fetch-retries", metavar="N|infinite",
            help="Retries on connection errors and 408/429/5xx, or 'infinite'. Default 5, not coreos-installer's 0: "
                 "an interrupted download resumes where it stopped, which needs a retry.",
        ),
        keyring: Optional[list[str]] = typer.Option(None, "--keyring", help="Verify against these keys instead."),
        flatcar: Optional[str] = typer.Option(None, "--flatcar", help="Flatcar channel: alpha, beta, stable or lts."),
        simplestreams: Optional[str] = typer.Option(None, "--simplestreams", help="A simplestreams mirror URL."),
        product: Optional[str] = typer.Option(None, "--product", help="Simplestreams product ID."),
        ftype: Optional[str] = typer.Option(None, "--ftype", help="Simplestreams file type (default disk1.img)."),
        image: Optional[str] = typer.Option(None, "--image", help="A catalog alias (see butane-py images list)."),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress."),
        catalog: Optional[str] = typer.Option(None, "--catalog", metavar="FILE", help=CATALOG_HELP),
    ) -> None:
        raise typer.Exit(
            download(stream, architecture, platform, format, image_url, directory, decompress, stream_base_url,
                     insecure, fetch_retries, keyring, flatcar, simplestreams, product, ftype, image, quiet, catalog)
        )

    stream_app = typer.Typer(help="Fedora CoreOS stream metadata.", no_args_is_help=True)
    app.add_typer(stream_app, name="stream")

    @stream_app.command("list", help=(
        "List a stream's architectures, platforms and formats.\n\nExample: butane-py stream list -s next"))
    def stream_list_cmd(
        stream: str = typer.Option("stable", "-s", "--stream"),
        stream_base_url: Optional[str] = typer.Option(None, "--stream-base-url"),
    ) -> None:
        raise typer.Exit(stream_list(stream, stream_base_url))

    @stream_app.command("images", help=(
        "List a stream's cloud images by region.\n\nExample: butane-py stream images -a aarch64"))
    def stream_images_cmd(
        stream: str = typer.Option("stable", "-s", "--stream"),
        architecture: Optional[str] = typer.Option(None, "-a", "--architecture"),
        stream_base_url: Optional[str] = typer.Option(None, "--stream-base-url"),
    ) -> None:
        raise typer.Exit(stream_images(stream, architecture, stream_base_url))

    images_app = typer.Typer(help="The image catalog, and disks made ready for VMs.", no_args_is_help=True)
    app.add_typer(images_app, name="images")
    from .disks import register_images

    register_images(images_app)

    @images_app.command("list", help=(
        "List the catalog's aliases: pinned ones (files and digests as of their date) and live ones "
        "(resolved through their verified source at each use).\n\nExample: butane-py images list"))
    def images_list_cmd(
        catalog: Optional[str] = typer.Option(None, "--catalog", metavar="FILE", help="List this catalog instead."),
    ) -> None:
        raise typer.Exit(images_list(catalog))

    @images_app.command("lock", help=(
        "Resolve aliases live through their verified sources and write your own pinned catalog (URLs, "
        "digests per architecture, date) for reproducible builds: pass it to --catalog.\n\n"
        "Example: butane-py images lock fcos-stable-iso flatcar-stable-pxe -o images.lock.json"))
    def images_lock_cmd(
        aliases: Optional[list[str]] = typer.Argument(
            None, metavar="ALIAS", help="Aliases to pin (default with --catalog: all of its aliases)."),
        output: Optional[str] = typer.Option(None, "-o", "--output", metavar="FILE",
                                             help="Write here (atomically); standard output if omitted."),
        architecture: list[str] = typer.Option([], "-a", "--architecture", metavar="ARCH",
                                               help="Pin only these (repeatable; default: all the source offers)."),
        catalog: Optional[str] = typer.Option(None, "--catalog", metavar="FILE",
                                              help="Take the aliases from this catalog (e.g. to refresh a lock)."),
        stream_base_url: Optional[str] = typer.Option(
            None, "--stream-base-url", metavar="URL",
            help="Base URL of the source (stream metadata, a Flatcar board's releases, a simplestreams mirror)."),
        keyring: list[str] = typer.Option([], "--keyring", metavar="PATH",
                                          help="OpenPGP keys; Ubuntu aliases need the Ubuntu cloud image key."),
        fetch_retries: str = typer.Option("5", "--fetch-retries", metavar="N|infinite",
                                          help="Retries after failed requests, or 'infinite'."),
    ) -> None:
        raise typer.Exit(images_lock(list(aliases or []), output, list(architecture), catalog, stream_base_url,
                                     list(keyring) or None, fetch_retries))

    cache_app = typer.Typer(help="The download cache (BUTANE_PY_CACHE overrides its place).",
                            no_args_is_help=True)
    app.add_typer(cache_app, name="cache")

    @cache_app.command("list", help="List cached, verified downloads.\n\nExample: butane-py cache list")
    def cache_list_cmd() -> None:
        raise typer.Exit(cache_list())

    @cache_app.command("clean", help=(
        "Remove cached downloads (with their .sig and metadata) and temporary files left by dead processes; "
        "other files and running downloads are left alone. Lists what was removed.\n\n"
        "Example: butane-py cache clean"))
    def cache_clean_cmd() -> None:
        raise typer.Exit(cache_clean())
