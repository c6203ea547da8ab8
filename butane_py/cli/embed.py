"""``butane-py iso``, ``pxe`` and ``embed``: configs embedded in live ISO images and PXE initrds."""

from __future__ import annotations

import sys

from ..errors import ButanePyError
from ._output import fail, shown, use_color
from .validate import IGNITION_SUFFIXES


def _read_config_arg(path: str | None) -> bytes:
    """A config given with ``-i PATH`` (or standard input), written as given."""
    from ..io import read_input

    return read_input(path or "-")


def _write_binary(make, output: str | None) -> None:
    """``make()``'s bytes to ``output`` (atomically) or to standard output, never to a terminal;
    the terminal is checked before ``make`` runs, as it may read standard input."""
    from ..embed._write import check_not_tty
    from ..io import write_output, write_stdout

    if output in (None, "-"):
        check_not_tty(sys.stdout.buffer)
        write_stdout(make())
    else:
        write_output(output, make())


def _call(work, *args, show=None) -> int:
    """Run a library call; print ``show(result)`` (bytes) if given; map errors to exit codes."""
    from ..io import write_stdout

    try:
        result = work(*args)
        if show is not None:
            write_stdout(show(result))
    except ButanePyError as exc:
        return fail(exc)
    return 0


def _lib():
    """The embedding library, imported when a command runs."""
    from .. import embed

    return embed


def iso_ignition_embed(iso: str, config: str | None = None, output: str | None = None, force: bool = False) -> int:
    return _call(lambda: _lib().ignition_embed(iso, _read_config_arg(config), output, force))


def iso_ignition_show(iso: str) -> int:
    return _call(_lib().ignition_show, iso, show=lambda data: data)


def iso_ignition_remove(iso: str, output: str | None = None, force: bool = False) -> int:
    return _call(_lib().ignition_remove, iso, output, force)


def iso_kargs_modify(iso: str, append: list[str], delete: list[str], replace: list[str],
                     output: str | None = None, force: bool = False) -> int:
    return _call(_lib().kargs_modify, iso, append, delete, replace, output, force)


def iso_kargs_show(iso: str, default: bool = False) -> int:
    return _call(_lib().kargs_show, iso, default, show=lambda kargs: (kargs + "\n").encode())


def iso_kargs_reset(iso: str, output: str | None = None, force: bool = False) -> int:
    return _call(_lib().kargs_reset, iso, output, force)


def iso_network_embed(iso: str, keyfiles: list[str], output: str | None = None, force: bool = False) -> int:
    return _call(_lib().network_embed, iso, keyfiles, output, force)


def _listing(paths: list[str]) -> bytes:
    """Paths one a line, escaped (see io.printable): names come from images and archives."""
    from ..io import printable

    return "".join(printable(p) + "\n" for p in paths).encode()


def _network_listing(files: dict[str, bytes], directory: str | None) -> bytes:
    """Keyfiles written into ``directory`` (their paths listed), or printed with headers."""
    from ..io import printable

    if directory is not None:
        return _listing(_lib().extract_files(files, directory))
    return b"\n".join(f"########## {printable(name)} ##########\n".encode() + data for name, data in files.items())


def iso_network_extract(iso: str, directory: str | None = None) -> int:
    return _call(lambda: _network_listing(_lib().network_files(iso), directory), show=lambda out: out)


def iso_network_remove(iso: str, output: str | None = None, force: bool = False) -> int:
    return _call(_lib().network_remove, iso, output, force)


def iso_extract_pxe(iso: str, output_dir: str = ".", force: bool = False) -> int:
    return _call(_lib().extract_pxe, iso, output_dir, force, show=_listing)


def iso_reset(iso: str, output: str | None = None, force: bool = False) -> int:
    return _call(_lib().reset, iso, output, force)


def _looks_like_ignition(data: bytes) -> bool:
    """A JSON object with an "ignition" key and no Butane "variant": an Ignition config."""
    import json

    if not data.lstrip().startswith(b"{"):
        return False
    try:
        doc = json.loads(data)
    except ValueError:
        return False
    return isinstance(doc, dict) and "ignition" in doc and "variant" not in doc


def _ignition_file(path: str, strict: bool = False) -> bytes:
    """An Ignition config read from ``path`` and validated (any spec version); its warnings go
    to standard error, and fail it with ``strict``."""
    from ..io import read_input

    return _checked_ignition(read_input(path), path, strict)


def _checked_ignition(data: bytes, path: str, strict: bool) -> bytes:
    from ..errors import ConfigError
    from ..ignition import parse_config

    parsed = parse_config(data)
    if parsed.report:
        sys.stderr.write(parsed.report.reference_text())
    if not parsed.ok:
        detail = f": {parsed.error}" if parsed.error is not None else ""
        raise ConfigError(f"{path} is not a valid Ignition config{detail}")
    if strict and parsed.report.entries:
        raise ConfigError("Config produced warnings and --strict was specified")
    return data


def iso_customize(iso: str, dest_ignition: list[str], dest_device: str | None, dest_karg_append: list[str],
                  network_keyfile: list[str], ignition_ca: list[str], live_ignition: list[str],
                  live_karg_append: list[str], output: str | None = None, force: bool = False) -> int:
    """``butane-py iso customize``: coreos-installer's options for one-step customization."""
    from .. import embed

    try:
        custom = embed.Customization(
            dest_device=dest_device, dest_karg_append=list(dest_karg_append),
            network_keyfiles=list(network_keyfile), ignition_ca=list(ignition_ca),
            live_karg_append=list(live_karg_append),
            live_configs=[_ignition_file(p) for p in live_ignition],
            dest_configs=[_ignition_file(p) for p in dest_ignition],
        )
        embed.customize(iso, custom, output, force)
    except ButanePyError as exc:
        return fail(exc)
    _say_installs(custom)
    return 0


def pxe_ignition_wrap(config: str | None = None, output: str | None = None) -> int:
    return _call(_write_binary, lambda: _lib().pxe_wrap(_read_config_arg(config)), output)


def _read_initrd(initrd: str, read):
    """``read(stream)`` on ``initrd``, or on standard input for ``-``."""
    if initrd == "-":
        return read(sys.stdin.buffer)
    from ..errors import InputError
    from ..io import os_reason

    try:
        f = open(initrd, "rb")
    except OSError as exc:
        raise InputError(f"cannot open {initrd}: {os_reason(exc)}") from None
    with f:
        return read(f)


def pxe_ignition_unwrap(initrd: str = "-") -> int:
    return _call(_read_initrd, initrd, _lib().pxe_unwrap, show=lambda data: data)


def pxe_network_wrap(keyfiles: list[str], output: str | None = None) -> int:
    return _call(_write_binary, lambda: _lib().pxe_network_wrap(keyfiles), output)


def pxe_network_unwrap(initrd: str = "-", directory: str | None = None) -> int:
    return _call(lambda: _network_listing(_read_initrd(initrd, _lib().pxe_network_files), directory),
                 show=lambda out: out)


def _config_for_embed(path: str, files_dir: str | None, strict: bool, variant: str | None = None) -> bytes:
    """The Ignition config to embed: a Butane file translated (of ``variant`` if given), or an
    Ignition file validated."""
    import os

    from ..errors import ConfigError
    from ..io import read_input

    if path.endswith(IGNITION_SUFFIXES):
        return _ignition_file(path, strict)
    data = read_input(path)
    if path == "-" and _looks_like_ignition(data):
        return _checked_ignition(data, "<stdin>", strict)
    from ..butane import translate as do_translate

    directory = files_dir if files_dir is not None else (os.path.dirname(path) if path != "-" else None)
    # raw: an openshift config gives its Ignition config, not a MachineConfig, to embed.
    res = do_translate(data, files_dir=directory or ".", strict=strict, raw=True)
    if variant is not None and res.variant is not None and res.variant != variant:
        raise ConfigError(f"{path} has variant {res.variant}: Flatcar's OEM configs need variant {variant}")
    if res.report.entries:
        from ..report import render_pretty

        sys.stderr.write(render_pretty(res.report, "<stdin>" if path == "-" else path, data, use_color("auto")))
    if res.error is not None:
        raise ConfigError(f"translating {path}: {res.error}")
    if strict and res.report.entries:
        raise ConfigError("Config produced warnings and --strict was specified")
    return (res.output + "\n").encode("utf-8", "surrogateescape")


def _fetch_image(name: str, architecture: str | None, fmt: str, stream_base_url: str | None,
                 keyring: list[str] | None, insecure: bool, fetch_retries: int | str | None, quiet: bool,
                 flatcar: bool, directory: str | None, force: bool = False, catalog=None) -> list:
    """Resolve and fetch an image's files; returns (artifact, local path) pairs.

    ``name`` is a catalog alias (of ``catalog``, a user's loaded catalog, when given: then
    nothing else), else a Flatcar channel (``flatcar``) or a Fedora CoreOS stream.
    ``directory`` None keeps the files in the cache (used read-only); else they are copied there.
    Errors carry no raw control or bidirectional characters from a server.
    """
    try:
        return _fetch_image_files(name, architecture, fmt, stream_base_url, keyring, insecure, fetch_retries,
                                  quiet, flatcar, directory, force, catalog)
    except ButanePyError as exc:
        exc.args = (shown(str(exc)),)
        raise


def _fetch_image_files(name, architecture, fmt, stream_base_url, keyring, insecure, fetch_retries, quiet,
                       flatcar, directory, force, catalog) -> list:
    import os

    from .. import fetch as fetching
    from .. import images

    retries = fetching.parse_retries(fetch_retries)
    get_bytes = fetching.metadata_fetcher(retries)
    ring = fetching.Keyring.from_files(keyring) if keyring else None
    entry = _alias_entry(name, catalog)
    if entry is not None or catalog is not None:
        artifacts = images.resolve(name, architecture, format=fmt, base_url=stream_base_url, get_bytes=get_bytes,
                                   catalog=catalog)
    elif flatcar:
        artifacts = images.resolve("flatcar", architecture, stream=name, format=fmt, base_url=stream_base_url,
                                   get_bytes=get_bytes)
    else:
        from ..images._stream import STREAMS

        if stream_base_url is None and name not in STREAMS:
            # A typo is told at once, not after a request for a stream that cannot exist; another
            # server (--stream-base-url) may offer other streams.
            raise images.UnknownChoiceError("stream", name, STREAMS, sort=False)
        artifacts = images.resolve("fcos", architecture, stream=name, platform="metal", format=fmt,
                                   base_url=stream_base_url, get_bytes=get_bytes)
    dests = [fetching.cache_path(art.cache_key) if directory is None else os.path.join(directory, art.filename)
             for art in artifacts]
    if directory is not None:
        for dest in dests:
            _refuse_existing(dest, force)
    from .images import DownloadProgress, fetch_one

    progress = DownloadProgress(quiet)
    out = []
    for art, dest in zip(artifacts, dests):
        result = fetch_one(art.url, art, art.filename, dest, ring, insecure, retries, progress)
        out.append((art, str(result.path)))
    return out


def _oem_configs(base: str | None, default: str | None, cloud_config: str | None, files_dir: str | None,
                 strict: bool) -> dict[str, bytes]:
    """A distributor's Flatcar OEM configs, as ``flatcar_oem_initrd`` takes them: Butane files
    (variant flatcar) translated, Ignition files validated, the cloud-config read as given."""
    from ..io import read_input

    configs = {name: _config_for_embed(path, files_dir, strict, variant="flatcar")
               for name, path in (("base", base), ("default", default)) if path is not None}
    if cloud_config is not None:
        configs["cloud_config"] = read_input(cloud_config)
    return configs


def embed(
    config: str | None,
    iso: str | None = None,
    pxe: str | None = None,
    flatcar: str | None = None,
    output: str | None = None,
    architecture: str | None = None,
    files_dir: str | None = None,
    strict: bool = False,
    kargs_append: list[str] | None = None,
    dest_device: str | None = None,
    dest_karg_append: list[str] | None = None,
    network_keyfile: list[str] | None = None,
    ignition_ca: list[str] | None = None,
    force: bool = False,
    stream_base_url: str | None = None,
    keyring: list[str] | None = None,
    insecure: bool = False,
    fetch_retries: int = 5,
    quiet: bool = False,
    catalog: str | None = None,
    oem_base: str | None = None,
    oem_default: str | None = None,
    oem_cloud_config: str | None = None,
) -> int:
    """``butane-py embed``: from a Butane (or Ignition) file to a bootable live ISO or PXE set;
    for Flatcar, also a distributor's OEM configs (``oem_*``), with or without a user's config."""
    import os

    from .. import embed as emb
    from ..errors import UsageError
    from ..io import output_target, printable

    try:
        if (iso is None) == (pxe is None):
            raise UsageError("give exactly one of --iso or --pxe")
        if output is None:
            raise UsageError("-o/--output is required (an ISO file, '-' for standard output, or a PXE directory)")
        if flatcar is not None and iso is not None:
            raise emb.NoEmbedAreaError(emb._live.FLATCAR_HINT)
        if flatcar is not None and pxe:
            raise UsageError(f"with --flatcar, --pxe takes no value (got {pxe!r})")
        if dest_karg_append and dest_device is None:
            raise UsageError("--dest-karg-append needs --dest-device (the disk to install to)")
        oem_paths = [p for p in (oem_base, oem_default, oem_cloud_config) if p is not None]
        if config is None and not oem_paths:
            raise UsageError("missing CONFIG (a .bu or .ign file)")
        if [config, *oem_paths].count("-") > 1:
            raise UsageError("only one input can be standard input ('-')")
        entries = None
        if catalog is not None:
            from ..images import load_catalog

            entries = load_catalog(catalog)
        # A Flatcar alias is a Flatcar image (an OEM initrd, no ISO embedding); Ubuntu has no
        # live image to embed into.
        source_name = iso if iso is not None else pxe
        entry = None if flatcar is not None or _local_image(source_name) else _alias_entry(source_name, entries)
        if entry is not None and entry.distribution == "ubuntu":
            raise UsageError(f"{source_name} is an Ubuntu image: embed works on Fedora CoreOS and Flatcar live images")
        if entry is not None and entry.distribution == "flatcar":
            if iso is not None:
                raise emb.NoEmbedAreaError(emb._live.FLATCAR_HINT)
            flatcar, pxe = pxe, ""
        if oem_paths and flatcar is None:
            raise UsageError("--oem-base, --oem-default and --oem-cloud-config are for Flatcar: "
                             "use them with --flatcar CHANNEL --pxe")
        if output == "-":
            from ..embed._write import check_not_tty

            check_not_tty(sys.stdout.buffer)  # before anything is fetched
        ign = _config_for_embed(config, files_dir, strict) if config is not None else None
        oem_configs = _oem_configs(oem_base, oem_default, oem_cloud_config, files_dir, strict)
        custom = emb.Customization(
            config=ign, dest_device=dest_device, dest_karg_append=list(dest_karg_append or []),
            network_keyfiles=list(network_keyfile or []), ignition_ca=list(ignition_ca or []),
            live_karg_append=list(kargs_append or []),
        )
        fetch_args = (architecture, stream_base_url, keyring, insecure, fetch_retries, quiet, entries)
        if iso is not None:
            if _local_image(iso):
                source = iso
            else:
                [(_, source)] = _fetch_image(iso, architecture, "iso", *fetch_args[1:6], False, None, catalog=entries)
            if output != "-" and os.path.exists(output) and os.path.samefile(output, source):
                raise UsageError("the output must not be the source image (it is never modified)")
            emb.customize(source, custom, output, force)
            _say_installs(custom)
            if output != "-" and not output_target(output)[0]:  # not for a pipe or /dev/stdout: the image went there
                sys.stdout.write(f"{printable(output)}\n")
            return 0
        return _embed_pxe(pxe, flatcar, custom, oem_configs, output, fetch_args, force)
    except ButanePyError as exc:
        return fail(exc)


def _say_installs(custom) -> None:
    if custom.installs:
        if custom.dest_device:
            sys.stderr.write(f"Boot media will automatically install to {custom.dest_device} without confirmation.\n")
        else:
            sys.stderr.write("Boot media will automatically run installer.\n")


def _embed_pxe(source: str, flatcar: str | None, custom, oem_configs: dict[str, bytes], output: str,
               fetch_args: tuple, force: bool) -> int:
    """Run the PXE case; on failure remove whatever this run added to the directory."""
    import os

    from ..embed import OutputError
    from ..errors import UsageError
    from ..io import os_reason

    if output == "-":
        raise UsageError("--pxe writes several files: -o must be a directory")
    created = not os.path.exists(output)
    try:
        os.makedirs(output, exist_ok=True)
        before = set(os.listdir(output))
    except OSError as exc:
        raise OutputError(f"cannot use directory {output}: {os_reason(exc)}") from None
    try:
        return _embed_pxe_into(source, flatcar, custom, oem_configs, output, fetch_args, force)
    except BaseException:
        for name in set(os.listdir(output)) - before:
            try:
                os.unlink(os.path.join(output, name))
            except OSError:
                pass
        if created and not os.listdir(output):
            os.rmdir(output)
        raise


def _embed_pxe_into(source: str, flatcar: str | None, custom, oem_configs: dict[str, bytes], output: str,
                    fetch_args: tuple, force: bool) -> int:
    import os

    from .. import embed as emb
    from ..errors import UsageError
    from ..io import write_output

    architecture, stream_base_url, keyring, insecure, fetch_retries, quiet, entries = fetch_args
    if flatcar is not None:
        if custom.installs or custom.network_keyfiles or custom.ignition_ca:
            raise UsageError("--dest-device, --network-keyfile and --ignition-ca are for CoreOS live images, not Flatcar")
        oem = os.path.join(output, "flatcar-oem-config.img")
        _refuse_existing(oem, force)
        oem_bytes = emb.flatcar_oem_initrd(custom.config, **oem_configs)
        fetched = _fetch_image(flatcar, architecture, "pxe", stream_base_url, keyring, insecure, fetch_retries,
                               quiet, True, output, force, entries)
        write_output(oem, oem_bytes)
        files = {art.name: path for art, path in fetched}
        _check_pxe_set(files, flatcar)
        _print_boot(files, oem, [emb.FLATCAR_KARGS, *custom.live_karg_append])
        return 0
    # Everything that can be refused (keyfiles, CAs, features, existing files) is checked
    # before any image file is written.
    local = _local_image(source)
    config_img = os.path.join(output, "ignition.img")
    _refuse_existing(config_img, force)
    rootfs_url = None
    if local:
        config_bytes = emb.to_bytes(custom.members(emb.LiveIso.open(source).features))
        paths = emb.extract_pxe(source, output, force)
        kinds = {"kernel": "vmlinuz", "initramfs": "initrd.img", "rootfs": "rootfs.img"}
        files = {k: p for k, v in kinds.items() for p in paths if p.endswith("-" + v)}
        _check_pxe_set(files, source)
    else:
        custom.check_inputs()  # unreadable keyfiles or CAs fail before the download
        fetched = _fetch_image(source, architecture, "pxe", stream_base_url, keyring, insecure, fetch_retries,
                               quiet, False, output, force, entries)
        files = {art.name: path for art, path in fetched}
        _check_pxe_set(files, source)
        rootfs_url = next((art.url for art, _ in fetched if art.name == "rootfs"), None)
        # What the image supports is in its initramfs, read only when the customization needs it.
        needs = custom.installs or custom.network_keyfiles
        features = _initramfs_features(files["initramfs"]) if needs else {}
        config_bytes = emb.to_bytes(custom.members(features))
    write_output(config_img, config_bytes)
    rootfs = rootfs_url or f"http://SERVER/{os.path.basename(files.get('rootfs') or 'rootfs.img')}"
    _print_boot(files, config_img, [emb.PXE_KARGS, f"coreos.live.rootfs_url={rootfs}", *custom.live_karg_append])
    _say_installs(custom)
    return 0


def _check_pxe_set(files: dict, source: str) -> None:
    from ..embed import ImageFormatError

    missing = [k for k in ("kernel", "initramfs") if k not in files]
    if missing:
        raise ImageFormatError(f"{source} gives no {' and no '.join(missing)}: a PXE boot needs a kernel and an initramfs")


def _print_boot(files: dict, config_initrd: str, kargs: list[str]) -> None:
    """What to boot: kernel, the initrds in load order, the rootfs if any, the kernel arguments."""
    from ..io import printable

    lines = [f"kernel: {files['kernel']}", f"initrd: {files['initramfs']}", f"initrd: {config_initrd}"]
    if "rootfs" in files:
        lines.append(f"rootfs: {files['rootfs']}")
    lines.append(f"kernel arguments: {' '.join(kargs)}")
    sys.stdout.write("".join(printable(line) + "\n" for line in lines))


def _initramfs_features(path: str) -> dict:
    """``etc/coreos/features.json`` of a live initramfs; empty for images older than it."""
    import json

    from ..embed import ImageFormatError, read_members

    with open(path, "rb") as f:
        found = read_members(f, ["etc/coreos/features.json"]).get("etc/coreos/features.json")
    if found is None:
        return {}
    try:
        features = json.loads(found)
    except ValueError as exc:
        raise ImageFormatError(f"cannot parse etc/coreos/features.json in {path}: {exc}") from None
    return features if isinstance(features, dict) else {}


def _alias_entry(name: str, catalog=None):
    """The catalog entry ``name`` names (in ``catalog``, a user's loaded catalog, when given,
    else in the bundled one), or None."""
    from ..images import catalog as bundled

    return (bundled() if catalog is None else catalog).get(name)


def _local_image(source: str) -> bool:
    """Whether --iso/--pxe names a local file (else a stream or catalog alias).

    Something that looks like a path but does not exist is an error, not a stream name."""
    import os

    from ..errors import InputError

    if os.path.exists(source) and not os.path.isdir(source):
        return True
    if os.sep in source or source.endswith((".iso", ".img")):
        raise InputError(f"cannot open {source}: no such file or directory")
    return False


def _refuse_existing(path: str, force: bool) -> None:
    import os

    from ..embed import OutputError

    if not force and os.path.exists(path):
        raise OutputError(f"{path} already exists; use --force to overwrite it")


def register(app) -> None:
    """Declare the ``iso`` and ``pxe`` groups and ``embed`` on the typer ``app``."""
    import typer

    from .images import CATALOG_HELP

    iso_app = typer.Typer(help="Customize CoreOS live ISO images (as coreos-installer iso does).",
                          no_args_is_help=True)
    app.add_typer(iso_app, name="iso")
    iso_ignition_app = typer.Typer(help="The Ignition config embedded in a live ISO.", no_args_is_help=True)
    iso_app.add_typer(iso_ignition_app, name="ignition")
    iso_kargs_app = typer.Typer(help="The live kernel arguments of an ISO.", no_args_is_help=True)
    iso_app.add_typer(iso_kargs_app, name="kargs")
    iso_network_app = typer.Typer(help="NetworkManager keyfiles embedded in a live ISO.", no_args_is_help=True)
    iso_app.add_typer(iso_network_app, name="network")
    iso_extract_app = typer.Typer(help="Extract files from a live ISO.", no_args_is_help=True)
    iso_app.add_typer(iso_extract_app, name="extract")
    pxe_app = typer.Typer(help="Customize CoreOS PXE boots with extra initrds.", no_args_is_help=True)
    app.add_typer(pxe_app, name="pxe")
    pxe_ignition_app = typer.Typer(help="Ignition configs in initrds.", no_args_is_help=True)
    pxe_app.add_typer(pxe_ignition_app, name="ignition")
    pxe_network_app = typer.Typer(help="NetworkManager keyfiles in initrds.", no_args_is_help=True)
    pxe_app.add_typer(pxe_network_app, name="network")

    iso_arg = typer.Argument(..., metavar="ISO", help="The live ISO image.")
    out_help = ("Write a new image here (atomically; '-' streams it to standard output) instead of modifying ISO "
                "in place.")

    def out_opt():
        return typer.Option(None, "-o", "--output", metavar="PATH", help=out_help)

    def force_opt(help: str = "Overwrite an existing output file."):
        return typer.Option(False, "-f", "--force", help=help)

    @iso_ignition_app.command("embed", help=(
        "Embed an Ignition config in a live ISO.\n\n"
        "Example: butane-py iso ignition embed -i config.ign -o custom.iso fedora-coreos-live.x86_64.iso"))
    def iso_ignition_embed_cmd(
        iso: str = iso_arg,
        config: str | None = typer.Option(None, "-i", "--ignition-file", metavar="PATH",
                                          help="The config (standard input if omitted), embedded as given."),
        output: str | None = out_opt(),
        force: bool = force_opt("Replace an existing config (and an existing output file)."),
    ) -> None:
        raise typer.Exit(iso_ignition_embed(iso, config, output, force))

    @iso_ignition_app.command("show", help="Print the embedded Ignition config, byte for byte.\n\n"
                              "Example: butane-py iso ignition show custom.iso")
    def iso_ignition_show_cmd(iso: str = iso_arg) -> None:
        raise typer.Exit(iso_ignition_show(iso))

    @iso_ignition_app.command("remove", help=(
        "Remove the embedded Ignition config; an emptied area is zeroed as in the original image.\n\n"
        "Example: butane-py iso ignition remove custom.iso"))
    def iso_ignition_remove_cmd(
        iso: str = iso_arg,
        output: str | None = out_opt(),
        force: bool = force_opt(),
    ) -> None:
        raise typer.Exit(iso_ignition_remove(iso, output, force))

    @iso_kargs_app.command("modify", help=(
        "Change the live kernel arguments: deletions, then appends, then replacements.\n\n"
        "Example: butane-py iso kargs modify -a console=ttyS0 -r quiet=1=0 live.iso"))
    def iso_kargs_modify_cmd(
        iso: str = iso_arg,
        append: list[str] = typer.Option([], "-a", "--append", metavar="ARG", help="Append an argument."),
        delete: list[str] = typer.Option([], "-d", "--delete", metavar="ARG", help="Delete an argument."),
        replace: list[str] = typer.Option([], "-r", "--replace", metavar="KEY=OLD=NEW",
                                          help="Replace an argument's value."),
        output: str | None = out_opt(),
        force: bool = force_opt(),
    ) -> None:
        raise typer.Exit(iso_kargs_modify(iso, append, delete, replace, output, force))

    @iso_kargs_app.command("show", help=(
        "Print the live kernel arguments.\n\nExample: butane-py iso kargs show --default live.iso"))
    def iso_kargs_show_cmd(
        iso: str = iso_arg,
        default: bool = typer.Option(False, "-d", "--default", help="Print the image's default arguments instead."),
    ) -> None:
        raise typer.Exit(iso_kargs_show(iso, default))

    @iso_kargs_app.command("reset", help=(
        "Restore the default kernel arguments.\n\nExample: butane-py iso kargs reset live.iso"))
    def iso_kargs_reset_cmd(
        iso: str = iso_arg,
        output: str | None = out_opt(),
        force: bool = force_opt(),
    ) -> None:
        raise typer.Exit(iso_kargs_reset(iso, output, force))

    @iso_network_app.command("embed", help=(
        "Embed NetworkManager keyfiles for the live system (copied to the installed one with --copy-network).\n\n"
        "Example: butane-py iso network embed -k eth0.nmconnection live.iso"))
    def iso_network_embed_cmd(
        iso: str = iso_arg,
        keyfile: list[str] = typer.Option(..., "-k", "--keyfile", metavar="PATH",
                                          help="A keyfile; repeat for more."),
        output: str | None = out_opt(),
        force: bool = force_opt("Replace existing keyfiles (and an existing output file)."),
    ) -> None:
        raise typer.Exit(iso_network_embed(iso, keyfile, output, force))

    @iso_network_app.command("extract", help=(
        "Print the embedded keyfiles, or write them into a directory.\n\n"
        "Example: butane-py iso network extract -C keyfiles/ live.iso"))
    def iso_network_extract_cmd(
        iso: str = iso_arg,
        directory: str | None = typer.Option(None, "-C", "--directory", metavar="DIR",
                                             help="Write the files here (never over existing ones)."),
    ) -> None:
        raise typer.Exit(iso_network_extract(iso, directory))

    @iso_network_app.command("remove", help=(
        "Remove the embedded keyfiles.\n\nExample: butane-py iso network remove live.iso"))
    def iso_network_remove_cmd(
        iso: str = iso_arg,
        output: str | None = out_opt(),
        force: bool = force_opt(),
    ) -> None:
        raise typer.Exit(iso_network_remove(iso, output, force))

    @iso_app.command("reset", help=(
        "Remove every customization: config, keyfiles and kernel arguments; the image is the original again.\n\n"
        "Example: butane-py iso reset -o pristine.iso custom.iso"))
    def iso_reset_cmd(
        iso: str = iso_arg,
        output: str | None = out_opt(),
        force: bool = force_opt(),
    ) -> None:
        raise typer.Exit(iso_reset(iso, output, force))

    @iso_app.command("customize", help=(
        "Customize a live ISO in one step, with coreos-installer iso customize's options.\n\n"
        "Example: butane-py iso customize --dest-device /dev/sda --dest-ignition config.ign -o installer.iso "
        "live.iso"))
    def iso_customize_cmd(
        iso: str = iso_arg,
        dest_ignition: list[str] = typer.Option([], "--dest-ignition", metavar="PATH",
                                                help="Ignition config for the installed system (repeatable: merged)."),
        dest_device: str | None = typer.Option(None, "--dest-device", metavar="DEV",
                                               help="Install automatically to this disk."),
        dest_karg_append: list[str] = typer.Option([], "--dest-karg-append", metavar="ARG",
                                                   help="Kernel argument for the installed system."),
        network_keyfile: list[str] = typer.Option([], "--network-keyfile", metavar="PATH",
                                                  help="NetworkManager keyfile (live system, and copied on install)."),
        ignition_ca: list[str] = typer.Option([], "--ignition-ca", metavar="PATH",
                                              help="CA certificate Ignition trusts."),
        live_ignition: list[str] = typer.Option([], "--live-ignition", metavar="PATH",
                                                help="Ignition config for the live system (repeatable: merged)."),
        live_karg_append: list[str] = typer.Option([], "--live-karg-append", metavar="ARG",
                                                   help="Kernel argument for the live system."),
        output: str | None = out_opt(),
        force: bool = force_opt("Replace existing customizations (and an existing output file)."),
    ) -> None:
        raise typer.Exit(iso_customize(iso, dest_ignition, dest_device, dest_karg_append, network_keyfile,
                                       ignition_ca, live_ignition, live_karg_append, output, force))

    @iso_extract_app.command("pxe", help=(
        "Copy the PXE kernel, initramfs and rootfs out of a live ISO.\n\n"
        "Example: butane-py iso extract pxe -o pxe/ fedora-coreos-live.x86_64.iso"))
    def iso_extract_pxe_cmd(
        iso: str = iso_arg,
        output_dir: str = typer.Option(".", "-o", "--output-dir", metavar="DIR",
                                       help="Where to write the files."),
        force: bool = force_opt("Replace existing files."),
    ) -> None:
        raise typer.Exit(iso_extract_pxe(iso, output_dir, force))

    @pxe_ignition_app.command("wrap", help=(
        "Wrap an Ignition config in an initrd (xz newc cpio) to load after the live initramfs.\n\n"
        "Example: butane-py pxe ignition wrap -i config.ign -o config.img"))
    def pxe_ignition_wrap_cmd(
        config: str | None = typer.Option(None, "-i", "--ignition-file", metavar="PATH",
                                          help="The config (standard input if omitted)."),
        output: str | None = typer.Option(None, "-o", "--output", metavar="PATH",
                                          help="Write here (atomically); standard output if omitted."),
    ) -> None:
        raise typer.Exit(pxe_ignition_wrap(config, output))

    @pxe_ignition_app.command("unwrap", help=(
        "Print the Ignition config of an initrd (concatenated gzip, xz, zstd or plain archives; the last copy "
        "wins).\n\n"
        "Example: butane-py pxe ignition unwrap config.img"))
    def pxe_ignition_unwrap_cmd(
        initrd: str = typer.Argument("-", metavar="INITRD", help="The initrd; standard input if omitted."),
    ) -> None:
        raise typer.Exit(pxe_ignition_unwrap(initrd))

    @pxe_network_app.command("wrap", help=(
        "Wrap NetworkManager keyfiles in an initrd to load after the live initramfs.\n\n"
        "Example: butane-py pxe network wrap -k eth0.nmconnection -o network.img"))
    def pxe_network_wrap_cmd(
        keyfile: list[str] = typer.Option(..., "-k", "--keyfile", metavar="PATH",
                                          help="A keyfile; repeat for more."),
        output: str | None = typer.Option(None, "-o", "--output", metavar="PATH",
                                          help="Write here (atomically); standard output if omitted."),
    ) -> None:
        raise typer.Exit(pxe_network_wrap(keyfile, output))

    @pxe_network_app.command("unwrap", help=(
        "Print the keyfiles of an initrd, or write them into a directory.\n\n"
        "Example: butane-py pxe network unwrap -C keyfiles/ network.img"))
    def pxe_network_unwrap_cmd(
        initrd: str = typer.Argument("-", metavar="INITRD", help="The initrd; standard input if omitted."),
        directory: str | None = typer.Option(None, "-C", "--directory", metavar="DIR",
                                             help="Write the files here (never over existing ones)."),
    ) -> None:
        raise typer.Exit(pxe_network_unwrap(initrd, directory))

    @app.command("embed", help=(
        "From a config to a bootable image in one step: translate (.bu) or validate (.ign) the config, fetch the "
        "image (cached, verified) and embed the config. With --iso the result is a new ISO; with --pxe a "
        "directory with kernel, initramfs, rootfs and a config initrd, and the kernel arguments are printed.\n\n"
        "Example: butane-py embed --iso stable config.bu -o node.iso\n\n"
        "Example: butane-py embed --iso stable --dest-device /dev/sda config.bu -o installer.iso\n\n"
        "Example: butane-py embed --flatcar stable --pxe -o pxe/ config.bu\n\n"
        "Example: butane-py embed --flatcar stable --pxe -o pxe/ --oem-base base.bu --oem-cloud-config cc.yml"))
    def embed_cmd(
        config: str | None = typer.Argument(None, metavar="CONFIG",
                                            help="A Butane (.bu) or Ignition (.ign) config (optional with "
                                                 "--oem-*)."),
        iso: str | None = typer.Option(None, "--iso", metavar="STREAM|ALIAS|PATH",
                                       help="A Fedora CoreOS stream, a catalog alias or a local live ISO."),
        pxe: str | None = typer.Option(None, "--pxe", metavar="STREAM|ALIAS|PATH",
                                       help="Like --iso, for PXE; with --flatcar it takes no value."),
        flatcar: str | None = typer.Option(None, "--flatcar", metavar="CHANNEL",
                                           help="A Flatcar channel (PXE only: an OEM initrd is built)."),
        output: str | None = typer.Option(None, "-o", "--output", metavar="PATH",
                                          help="The new ISO ('-' streams it), or the PXE directory."),
        architecture: str | None = typer.Option(None, "-a", "--architecture", help="Target architecture."),
        files_dir: str | None = typer.Option(None, "-d", "--files-dir",
                                             help="Allow embedding local files from this directory."),
        strict: bool = typer.Option(False, "-s", "--strict", help="Fail on any warning."),
        kargs_append: list[str] = typer.Option([], "--kargs-append", metavar="ARG",
                                               help="Append a live kernel argument."),
        dest_device: str | None = typer.Option(
         None, "--dest-device", metavar="DEV",
         help="Install automatically to this disk; CONFIG becomes the installed system's."),
        dest_karg_append: list[str] = typer.Option([], "--dest-karg-append", metavar="ARG",
                                                   help="Append a kernel argument to the installed system."),
        network_keyfile: list[str] = typer.Option(
            [], "--network-keyfile", metavar="PATH",
            help="A NetworkManager keyfile for the live system (and the installed one)."),
        ignition_ca: list[str] = typer.Option([], "--ignition-ca", metavar="PATH",
                                              help="A CA certificate Ignition should trust (PEM)."),
        force: bool = typer.Option(False, "-f", "--force", help="Overwrite existing output."),
        stream_base_url: str | None = typer.Option(None, "--stream-base-url", metavar="URL",
                                                   help="Base URL of stream metadata."),
        keyring: list[str] = typer.Option([], "--keyring", metavar="PATH",
                                          help="Verify with these OpenPGP keys instead."),
        insecure: bool = typer.Option(False, "--insecure", help="Accept a missing signature."),
        fetch_retries: str = typer.Option("5", "--fetch-retries", metavar="N|infinite",
                                          help="Retries after failed requests, or 'infinite'."),
        quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress output."),
        catalog: str | None = typer.Option(None, "--catalog", metavar="FILE", help=CATALOG_HELP),
        oem_base: str | None = typer.Option(
         None, "--oem-base", metavar="PATH",
         help="Flatcar: a distributor's base config (.bu of variant flatcar, or .ign), merged under the user's; "
              "written to usr/share/oem/base/base.ign in the OEM initrd."),
        oem_default: str | None = typer.Option(
         None, "--oem-default", metavar="PATH",
         help="Flatcar: a distributor's default config (.bu or .ign), for when the user gives none; "
              "written to usr/share/oem/base/default.ign. Flatcar's initrd stopped reading it with "
              "Ignition v3 (release 3227), so only images of your own that read it use it."),
        oem_cloud_config: str | None = typer.Option(
         None, "--oem-cloud-config", metavar="PATH",
         help="Flatcar: a distributor's cloud-config (first line '#cloud-config'), the legacy way, written as "
              "given to usr/share/oem/cloud-config.yml."),
    ) -> None:
        if flatcar is not None and pxe is not None and config is None and pxe not in ("",):
            config, pxe = pxe, ""  # `--flatcar CH --pxe config.bu`: --pxe takes no value with Flatcar
        if config is None and oem_base is None and oem_default is None and oem_cloud_config is None:
            sys.stderr.write("Error: missing CONFIG (a .bu or .ign file)\n")
            raise typer.Exit(2)
        raise typer.Exit(embed(
            config, iso, pxe, flatcar, output, architecture, files_dir, strict, kargs_append, dest_device,
            dest_karg_append, network_keyfile, ignition_ca, force, stream_base_url, keyring or None, insecure,
            fetch_retries, quiet, catalog, oem_base, oem_default, oem_cloud_config,
        ))
