"""The ``butane-py`` command: parses arguments, calls the library, prints, maps errors to exit codes.

No work lives here; every command is a function of :mod:`butane_py`.
"""

from __future__ import annotations

import sys
import typing
from enum import Enum
from typing import Optional

import typer
import typer.core

from .commands import SUBCOMMANDS
from .errors import ButanePyError

_APP_HELP = (
    "Provision CoreOS-family machines: Butane to Ignition, validation, images.\n\n"
    "Without a command, butane-py translates a Butane config as butane does: butane-py [OPTIONS] [INPUT] "
    "(see butane-py --help)."
)

app = typer.Typer(
    name="butane-py",
    help=_APP_HELP,
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback(help=_APP_HELP)
def _group() -> None:
    pass


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


@app.command(
    "validate",
    help=(
        "Validate an Ignition config (spec 3.0.0 to 3.7.0-experimental) like ignition-validate.\n\n"
        "Example: butane-py validate config.ign"
    ),
)
def validate_cmd(
    config: str = typer.Argument("-", metavar="FILE", help="Ignition config; '-' or nothing reads standard input."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text (the reference's lines) or json."),
) -> None:
    from . import commands

    raise typer.Exit(commands.validate(config, fmt.value))


@app.command(
    "check",
    help=(
        "Check many configs in one process: Butane files (.bu, .yaml, .yml) are translated, "
        "Ignition files (.ign, .json) validated.\n\n"
        "Example: butane-py check --strict configs/*.bu build/*.ign"
    ),
)
def check_cmd(
    files: list[str] = typer.Argument(..., metavar="FILE", help="Configs to check."),
    files_dir: Optional[str] = typer.Option(
        None, "-d", "--files-dir", help="Files directory for local: paths (default: each file's own directory)."
    ),
    strict: bool = typer.Option(False, "-s", "--strict", help="Fail a file on any warning."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format", help="text or json."),
    lint: bool = typer.Option(False, "--lint", help="Add warnings beyond the reference."),
    portable: bool = typer.Option(
        False, "--portable", help="Fail a Butane file that uses butane-py's own sections (sysctl, networkmanager), "
                                  "which the reference Butane ignores."),
) -> None:
    from . import commands

    raise typer.Exit(commands.check(files, files_dir, strict, fmt.value, lint, portable))


@app.command(
    "schema",
    help=(
        "Print the JSON Schema of a Butane variant and version, or of an Ignition spec.\n\n"
        "Example: butane-py schema --variant fcos --version 1.6.0 > fcos-1.6.0.json"
    ),
)
def schema_cmd(
    variant: Optional[str] = typer.Option(None, "--variant", help="Butane variant (fcos, flatcar, openshift, r4e, fiot)."),
    version: Optional[str] = typer.Option(None, "--version", help="Butane version, e.g. 1.6.0."),
    ignition: Optional[str] = typer.Option(None, "--ignition", help="Ignition spec version instead, e.g. 3.5.0."),
) -> None:
    from . import commands
    from .errors import UsageError

    if (ignition is None) == (variant is None or version is None):
        raise UsageError("give either --variant and --version, or --ignition")
    raise typer.Exit(commands.schema(variant, version, ignition))


class HashMethod(str, Enum):
    sha512 = "sha512"
    yescrypt = "yescrypt"


@app.command(
    "hash-password",
    help=(
        "Hash a password for passwd.users[].password_hash (sha512-crypt by default, or yescrypt "
        "where the system's libcrypt has it), or with --grub for grub.users[].password_hash. "
        "Prompts twice without echo, or reads one line from standard input.\n\n"
        "Example: butane-py hash-password --grub"
    ),
)
def hash_password_cmd(
    method: HashMethod = typer.Option(HashMethod.sha512, "--method", help="sha512 or yescrypt."),
    grub: bool = typer.Option(False, "--grub", help="A grub.pbkdf2.sha512 hash for grub.users."),
) -> None:
    from . import commands

    raise typer.Exit(commands.hash_password(method.value, grub))


_CATALOG_HELP = "Look aliases up in this catalog (written by butane-py images lock) instead of the bundled one."


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
    catalog: Optional[str] = typer.Option(None, "--catalog", metavar="FILE", help=_CATALOG_HELP),
) -> None:
    from . import commands

    raise typer.Exit(
        commands.download(stream, architecture, platform, format, image_url, directory, decompress,
                          stream_base_url, insecure, fetch_retries, keyring, flatcar, simplestreams, product,
                          ftype, image, quiet, catalog)
    )


stream_app = typer.Typer(help="Fedora CoreOS stream metadata.", no_args_is_help=True)
app.add_typer(stream_app, name="stream")


@stream_app.command("list", help="List a stream's architectures, platforms and formats.\n\nExample: butane-py stream list -s next")
def stream_list_cmd(
    stream: str = typer.Option("stable", "-s", "--stream"),
    stream_base_url: Optional[str] = typer.Option(None, "--stream-base-url"),
) -> None:
    from . import commands

    raise typer.Exit(commands.stream_list(stream, stream_base_url))


@stream_app.command("images", help="List a stream's cloud images by region.\n\nExample: butane-py stream images -a aarch64")
def stream_images_cmd(
    stream: str = typer.Option("stable", "-s", "--stream"),
    architecture: Optional[str] = typer.Option(None, "-a", "--architecture"),
    stream_base_url: Optional[str] = typer.Option(None, "--stream-base-url"),
) -> None:
    from . import commands

    raise typer.Exit(commands.stream_images(stream, architecture, stream_base_url))


images_app = typer.Typer(help="The pinned image catalog.", no_args_is_help=True)
app.add_typer(images_app, name="images")


@images_app.command("list", help=(
    "List the catalog's aliases: pinned ones (files and digests as of their date) and live ones "
    "(resolved through their verified source at each use).\n\nExample: butane-py images list"))
def images_list_cmd(
    catalog: Optional[str] = typer.Option(None, "--catalog", metavar="FILE", help="List this catalog instead."),
) -> None:
    from . import commands

    raise typer.Exit(commands.images_list(catalog))


@images_app.command("lock", help=(
    "Resolve aliases live through their verified sources and write your own pinned catalog (URLs, "
    "digests per architecture, date) for reproducible builds: pass it to --catalog.\n\n"
    "Example: butane-py images lock fcos-stable-iso flatcar-stable-pxe -o images.lock.json"))
def images_lock_cmd(
    aliases: Optional[list[str]] = typer.Argument(None, metavar="ALIAS",
                                                  help="Aliases to pin (default with --catalog: all of its aliases)."),
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
    from . import commands

    raise typer.Exit(commands.images_lock(list(aliases or []), output, list(architecture), catalog, stream_base_url,
                                          list(keyring) or None, fetch_retries))


cache_app = typer.Typer(help="The download cache (BUTANE_PY_CACHE overrides its place).", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@cache_app.command("list", help="List cached, verified downloads.\n\nExample: butane-py cache list")
def cache_list_cmd() -> None:
    from . import commands

    raise typer.Exit(commands.cache_list())


@cache_app.command("clean", help=(
    "Remove cached downloads (with their .sig and metadata) and temporary files left by dead processes; "
    "other files and running downloads are left alone. Lists what was removed.\n\nExample: butane-py cache clean"))
def cache_clean_cmd() -> None:
    from . import commands

    raise typer.Exit(commands.cache_clean())


# -- live ISO and PXE ------------------------------------------------------------------------

iso_app = typer.Typer(help="Customize CoreOS live ISO images (as coreos-installer iso does).", no_args_is_help=True)
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

_ISO_ARG = typer.Argument(..., metavar="ISO", help="The live ISO image.")
_OUT_HELP = "Write a new image here (atomically; '-' streams it to standard output) instead of modifying ISO in place."


def _out_opt():
    return typer.Option(None, "-o", "--output", metavar="PATH", help=_OUT_HELP)


def _force_opt(help: str = "Overwrite an existing output file."):
    return typer.Option(False, "-f", "--force", help=help)


@iso_ignition_app.command("embed", help=(
    "Embed an Ignition config in a live ISO.\n\n"
    "Example: butane-py iso ignition embed -i config.ign -o custom.iso fedora-coreos-live.x86_64.iso"))
def iso_ignition_embed_cmd(
    iso: str = _ISO_ARG,
    config: Optional[str] = typer.Option(None, "-i", "--ignition-file", metavar="PATH",
                                         help="The config (standard input if omitted), embedded as given."),
    output: Optional[str] = _out_opt(),
    force: bool = _force_opt("Replace an existing config (and an existing output file)."),
) -> None:
    from . import commands

    raise typer.Exit(commands.iso_ignition_embed(iso, config, output, force))


@iso_ignition_app.command("show", help="Print the embedded Ignition config, byte for byte.\n\n"
                          "Example: butane-py iso ignition show custom.iso")
def iso_ignition_show_cmd(iso: str = _ISO_ARG) -> None:
    from . import commands

    raise typer.Exit(commands.iso_ignition_show(iso))


@iso_ignition_app.command("remove", help=(
    "Remove the embedded Ignition config; an emptied area is zeroed as in the original image.\n\n"
    "Example: butane-py iso ignition remove custom.iso"))
def iso_ignition_remove_cmd(
    iso: str = _ISO_ARG,
    output: Optional[str] = _out_opt(),
    force: bool = _force_opt(),
) -> None:
    from . import commands

    raise typer.Exit(commands.iso_ignition_remove(iso, output, force))


@iso_kargs_app.command("modify", help=(
    "Change the live kernel arguments: deletions, then appends, then replacements.\n\n"
    "Example: butane-py iso kargs modify -a console=ttyS0 -r quiet=1=0 live.iso"))
def iso_kargs_modify_cmd(
    iso: str = _ISO_ARG,
    append: list[str] = typer.Option([], "-a", "--append", metavar="ARG", help="Append an argument."),
    delete: list[str] = typer.Option([], "-d", "--delete", metavar="ARG", help="Delete an argument."),
    replace: list[str] = typer.Option([], "-r", "--replace", metavar="KEY=OLD=NEW", help="Replace an argument's value."),
    output: Optional[str] = _out_opt(),
    force: bool = _force_opt(),
) -> None:
    from . import commands

    raise typer.Exit(commands.iso_kargs_modify(iso, append, delete, replace, output, force))


@iso_kargs_app.command("show", help="Print the live kernel arguments.\n\nExample: butane-py iso kargs show --default live.iso")
def iso_kargs_show_cmd(
    iso: str = _ISO_ARG,
    default: bool = typer.Option(False, "-d", "--default", help="Print the image's default arguments instead."),
) -> None:
    from . import commands

    raise typer.Exit(commands.iso_kargs_show(iso, default))


@iso_kargs_app.command("reset", help="Restore the default kernel arguments.\n\nExample: butane-py iso kargs reset live.iso")
def iso_kargs_reset_cmd(
    iso: str = _ISO_ARG,
    output: Optional[str] = _out_opt(),
    force: bool = _force_opt(),
) -> None:
    from . import commands

    raise typer.Exit(commands.iso_kargs_reset(iso, output, force))


@iso_network_app.command("embed", help=(
    "Embed NetworkManager keyfiles for the live system (copied to the installed one with --copy-network).\n\n"
    "Example: butane-py iso network embed -k eth0.nmconnection live.iso"))
def iso_network_embed_cmd(
    iso: str = _ISO_ARG,
    keyfile: list[str] = typer.Option(..., "-k", "--keyfile", metavar="PATH", help="A keyfile; repeat for more."),
    output: Optional[str] = _out_opt(),
    force: bool = _force_opt("Replace existing keyfiles (and an existing output file)."),
) -> None:
    from . import commands

    raise typer.Exit(commands.iso_network_embed(iso, keyfile, output, force))


@iso_network_app.command("extract", help=(
    "Print the embedded keyfiles, or write them into a directory.\n\n"
    "Example: butane-py iso network extract -C keyfiles/ live.iso"))
def iso_network_extract_cmd(
    iso: str = _ISO_ARG,
    directory: Optional[str] = typer.Option(None, "-C", "--directory", metavar="DIR",
                                            help="Write the files here (never over existing ones)."),
) -> None:
    from . import commands

    raise typer.Exit(commands.iso_network_extract(iso, directory))


@iso_network_app.command("remove", help="Remove the embedded keyfiles.\n\nExample: butane-py iso network remove live.iso")
def iso_network_remove_cmd(
    iso: str = _ISO_ARG,
    output: Optional[str] = _out_opt(),
    force: bool = _force_opt(),
) -> None:
    from . import commands

    raise typer.Exit(commands.iso_network_remove(iso, output, force))


@iso_app.command("reset", help=(
    "Remove every customization: config, keyfiles and kernel arguments; the image is the original again.\n\n"
    "Example: butane-py iso reset -o pristine.iso custom.iso"))
def iso_reset_cmd(
    iso: str = _ISO_ARG,
    output: Optional[str] = _out_opt(),
    force: bool = _force_opt(),
) -> None:
    from . import commands

    raise typer.Exit(commands.iso_reset(iso, output, force))


@iso_app.command("customize", help=(
    "Customize a live ISO in one step, with coreos-installer iso customize's options.\n\n"
    "Example: butane-py iso customize --dest-device /dev/sda --dest-ignition config.ign -o installer.iso live.iso"))
def iso_customize_cmd(
    iso: str = _ISO_ARG,
    dest_ignition: list[str] = typer.Option([], "--dest-ignition", metavar="PATH",
                                            help="Ignition config for the installed system (repeatable: merged)."),
    dest_device: Optional[str] = typer.Option(None, "--dest-device", metavar="DEV",
                                              help="Install automatically to this disk."),
    dest_karg_append: list[str] = typer.Option([], "--dest-karg-append", metavar="ARG",
                                               help="Kernel argument for the installed system."),
    network_keyfile: list[str] = typer.Option([], "--network-keyfile", metavar="PATH",
                                              help="NetworkManager keyfile (live system, and copied on install)."),
    ignition_ca: list[str] = typer.Option([], "--ignition-ca", metavar="PATH", help="CA certificate Ignition trusts."),
    live_ignition: list[str] = typer.Option([], "--live-ignition", metavar="PATH",
                                            help="Ignition config for the live system (repeatable: merged)."),
    live_karg_append: list[str] = typer.Option([], "--live-karg-append", metavar="ARG",
                                               help="Kernel argument for the live system."),
    output: Optional[str] = _out_opt(),
    force: bool = _force_opt("Replace existing customizations (and an existing output file)."),
) -> None:
    from . import commands

    raise typer.Exit(commands.iso_customize(iso, dest_ignition, dest_device, dest_karg_append, network_keyfile,
                                            ignition_ca, live_ignition, live_karg_append, output, force))


@iso_extract_app.command("pxe", help=(
    "Copy the PXE kernel, initramfs and rootfs out of a live ISO.\n\n"
    "Example: butane-py iso extract pxe -o pxe/ fedora-coreos-live.x86_64.iso"))
def iso_extract_pxe_cmd(
    iso: str = _ISO_ARG,
    output_dir: str = typer.Option(".", "-o", "--output-dir", metavar="DIR", help="Where to write the files."),
    force: bool = _force_opt("Replace existing files."),
) -> None:
    from . import commands

    raise typer.Exit(commands.iso_extract_pxe(iso, output_dir, force))


@pxe_ignition_app.command("wrap", help=(
    "Wrap an Ignition config in an initrd (xz newc cpio) to load after the live initramfs.\n\n"
    "Example: butane-py pxe ignition wrap -i config.ign -o config.img"))
def pxe_ignition_wrap_cmd(
    config: Optional[str] = typer.Option(None, "-i", "--ignition-file", metavar="PATH",
                                         help="The config (standard input if omitted)."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="PATH",
                                         help="Write here (atomically); standard output if omitted."),
) -> None:
    from . import commands

    raise typer.Exit(commands.pxe_ignition_wrap(config, output))


@pxe_ignition_app.command("unwrap", help=(
    "Print the Ignition config of an initrd (concatenated gzip, xz, zstd or plain archives; the last copy wins).\n\n"
    "Example: butane-py pxe ignition unwrap config.img"))
def pxe_ignition_unwrap_cmd(
    initrd: str = typer.Argument("-", metavar="INITRD", help="The initrd; standard input if omitted."),
) -> None:
    from . import commands

    raise typer.Exit(commands.pxe_ignition_unwrap(initrd))


@pxe_network_app.command("wrap", help=(
    "Wrap NetworkManager keyfiles in an initrd to load after the live initramfs.\n\n"
    "Example: butane-py pxe network wrap -k eth0.nmconnection -o network.img"))
def pxe_network_wrap_cmd(
    keyfile: list[str] = typer.Option(..., "-k", "--keyfile", metavar="PATH", help="A keyfile; repeat for more."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="PATH",
                                         help="Write here (atomically); standard output if omitted."),
) -> None:
    from . import commands

    raise typer.Exit(commands.pxe_network_wrap(keyfile, output))


@pxe_network_app.command("unwrap", help=(
    "Print the keyfiles of an initrd, or write them into a directory.\n\n"
    "Example: butane-py pxe network unwrap -C keyfiles/ network.img"))
def pxe_network_unwrap_cmd(
    initrd: str = typer.Argument("-", metavar="INITRD", help="The initrd; standard input if omitted."),
    directory: Optional[str] = typer.Option(None, "-C", "--directory", metavar="DIR",
                                            help="Write the files here (never over existing ones)."),
) -> None:
    from . import commands

    raise typer.Exit(commands.pxe_network_unwrap(initrd, directory))


@app.command("embed", help=(
    "From a config to a bootable image in one step: translate (.bu) or validate (.ign) the config, fetch the "
    "image (cached, verified) and embed the config. With --iso the result is a new ISO; with --pxe a "
    "directory with kernel, initramfs, rootfs and a config initrd, and the kernel arguments are printed.\n\n"
    "Example: butane-py embed --iso stable config.bu -o node.iso\n\n"
    "Example: butane-py embed --iso stable --dest-device /dev/sda config.bu -o installer.iso\n\n"
    "Example: butane-py embed --flatcar stable --pxe -o pxe/ config.bu"))
def embed_cmd(
    config: Optional[str] = typer.Argument(None, metavar="CONFIG", help="A Butane (.bu) or Ignition (.ign) config."),
    iso: Optional[str] = typer.Option(None, "--iso", metavar="STREAM|ALIAS|PATH",
                                      help="A Fedora CoreOS stream, a catalog alias or a local live ISO."),
    pxe: Optional[str] = typer.Option(None, "--pxe", metavar="STREAM|ALIAS|PATH",
                                      help="Like --iso, for PXE; with --flatcar it takes no value."),
    flatcar: Optional[str] = typer.Option(None, "--flatcar", metavar="CHANNEL",
                                          help="A Flatcar channel (PXE only: an OEM initrd is built)."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="PATH",
                                         help="The new ISO ('-' streams it), or the PXE directory."),
    architecture: Optional[str] = typer.Option(None, "-a", "--architecture", help="Target architecture."),
    files_dir: Optional[str] = typer.Option(None, "-d", "--files-dir", help="Allow embedding local files from this directory."),
    strict: bool = typer.Option(False, "-s", "--strict", help="Fail on any warning."),
    kargs_append: list[str] = typer.Option([], "--kargs-append", metavar="ARG", help="Append a live kernel argument."),
    dest_device: Optional[str] = typer.Option(None, "--dest-device", metavar="DEV",
                                              help="Install automatically to this disk; CONFIG becomes the installed system's."),
    dest_karg_append: list[str] = typer.Option([], "--dest-karg-append", metavar="ARG",
                                               help="Append a kernel argument to the installed system."),
    network_keyfile: list[str] = typer.Option([], "--network-keyfile", metavar="PATH",
                                              help="A NetworkManager keyfile for the live system (and the installed one)."),
    ignition_ca: list[str] = typer.Option([], "--ignition-ca", metavar="PATH",
                                          help="A CA certificate Ignition should trust (PEM)."),
    force: bool = typer.Option(False, "-f", "--force", help="Overwrite existing output."),
    stream_base_url: Optional[str] = typer.Option(None, "--stream-base-url", metavar="URL", help="Base URL of stream metadata."),
    keyring: list[str] = typer.Option([], "--keyring", metavar="PATH", help="Verify with these OpenPGP keys instead."),
    insecure: bool = typer.Option(False, "--insecure", help="Accept a missing signature."),
    fetch_retries: str = typer.Option("5", "--fetch-retries", metavar="N|infinite",
                                      help="Retries after failed requests, or 'infinite'."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress output."),
    catalog: Optional[str] = typer.Option(None, "--catalog", metavar="FILE", help=_CATALOG_HELP),
) -> None:
    from . import commands

    if flatcar is not None and pxe is not None and config is None and pxe not in ("",):
        config, pxe = pxe, ""  # `--flatcar CH --pxe config.bu`: --pxe takes no value with Flatcar
    if config is None:
        sys.stderr.write("Error: missing CONFIG (a .bu or .ign file)\n")
        raise typer.Exit(2)
    raise typer.Exit(commands.embed(
        config, iso, pxe, flatcar, output, architecture, files_dir, strict, kargs_append, dest_device,
        dest_karg_append, network_keyfile, ignition_ca, force, stream_base_url, keyring or None, insecure,
        fetch_retries, quiet, catalog,
    ))


translate_app = typer.Typer(
    name="butane-py",
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class ColorWhen(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


@translate_app.command(
    help=(
        "Translate a Butane config to Ignition, as the reference butane does.\n\n"
        "Other commands: " + ", ".join(SUBCOMMANDS) + " (butane-py COMMAND --help).\n\n"
        "Example: butane-py --pretty --strict --files-dir . config.bu -o config.ign"
    )
)
def translate_cmd(
    input: Optional[str] = typer.Argument(None, metavar="INPUT", help="Butane config; standard input if omitted."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout."),
    pretty: bool = typer.Option(False, "-p", "--pretty", help="Output formatted JSON."),
    strict: bool = typer.Option(False, "-s", "--strict", help="Fail on any warning."),
    check: bool = typer.Option(False, "-c", "--check", help="Check the config without producing output."),
    files_dir: Optional[str] = typer.Option(None, "-d", "--files-dir", help="Allow embedding local files from this directory."),
    raw: bool = typer.Option(False, "-r", "--raw", help="Never wrap in a MachineConfig; force Ignition output."),
    raw_errors: bool = typer.Option(False, "--raw-errors", help="Show raw errors rather than pretty-printing them."),
    color: ColorWhen = typer.Option(ColorWhen.auto, "--color", help="Colour the report: auto, always or never."),
    no_extensions: bool = typer.Option(
        False, "--no-extensions", help="Treat butane-py's own sections (sysctl, networkmanager) as unused keys."
    ),
    lint: bool = typer.Option(False, "--lint", help="Add warnings beyond the reference (passwords, keys, CAs, units)."),
    version: bool = typer.Option(False, "-V", "--version", help="Print the version and exit."),
) -> None:
    from . import __version__, commands

    if version:
        sys.stdout.write(f"butane-py {__version__}\n")
        raise typer.Exit(0)
    raise typer.Exit(
        commands.translate(
            input or "-", output, pretty, strict, check, files_dir, raw, raw_errors, color.value, no_extensions, lint
        )
    )


_TYPE_NAMES = {str: "TEXT", int: "INTEGER", float: "FLOAT"}


def _type_label(param) -> str:
    """What a value looks like, in typer's classic words: TEXT, INTEGER, [text|json]."""
    desc = param.type_descriptor
    if desc.is_choice:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices) + "]"
    annotation = desc.annotation
    if desc.is_list:
        annotation = typing.get_args(annotation)[0] if typing.get_args(annotation) else str
    return _TYPE_NAMES.get(annotation, getattr(annotation, "__name__", "TEXT").upper())


class _Option(typer.core.TyperOption):
    def display_type_rich(self, ctx):
        if self.is_flag or self.count:
            return None  # a switch takes no value: nothing to show beside it
        return self.metavar if self.metavar is not None else _type_label(self)


class _Argument(typer.core.TyperArgument):
    def display_type_rich(self, ctx):
        return _type_label(self)

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")


def _classic(param):
    if type(param) is typer.core.TyperOption:
        param.__class__ = _Option
    elif type(param) is typer.core.TyperArgument:
        param.__class__ = _Argument
    return param


def _classic_help(command) -> None:
    """Give every parameter of ``command`` and its subcommands the look of typer's classic help."""
    for param in command.params:
        _classic(param)
    made = command.get_help_option  # --help is made on first use, with the context's names

    command.get_help_option = lambda ctx: _classic(made(ctx))
    for sub in getattr(command, "commands", {}).values():
        _classic_help(sub)


def command_paths() -> list[str]:
    """Every command a user can run, as typed after ``butane-py``: "validate", "stream list"…"""
    import typer.main

    def walk(command, prefix: str) -> list[str]:
        subs = getattr(command, "commands", None)
        if not subs:
            return [prefix]
        return [p for name, sub in subs.items() for p in walk(sub, f"{prefix} {name}".strip())]

    return walk(typer.main.get_command(app), "")


def suggestion(word: str) -> Optional[str]:
    """The command ``word`` was probably meant to be, or None: ``list-stream`` → ``stream list``.

    Each command is matched as written, hyphenated and hyphenated in reverse order."""
    import difflib

    forms: dict[str, str] = {}
    for path in command_paths():
        parts = path.split()
        forms.setdefault(parts[0], parts[0])  # a group alone: "imags" → images
        for form in (path, "-".join(parts), "-".join(reversed(parts))):
            forms.setdefault(form, path)
    match = difflib.get_close_matches(word.lower(), list(forms), n=1, cutoff=0.75)
    return forms[match[0]] if match else None


def _completion_target():
    """The app whose words a shell completes: a command's, or the default command's when the first
    word is an option or an input (`butane-py --p` → `--pretty`), read as typer's shell scripts
    pass the line (bash: COMP_WORDS and COMP_CWORD; zsh, fish, PowerShell: _TYPER_COMPLETE_ARGS)."""
    import os
    import shlex

    try:
        if "COMP_WORDS" in os.environ:
            words = shlex.split(os.environ["COMP_WORDS"])
            words = words[1:int(os.environ.get("COMP_CWORD", len(words))) + 1]
        else:
            line = os.environ.get("_TYPER_COMPLETE_ARGS", "")
            words = shlex.split(line)[1:] + ([""] if line.endswith(" ") else [])
    except ValueError:  # an open quote, a bad number
        words = []
    if len(words) > 1:
        return app if words[0] in SUBCOMMANDS else translate_app
    return translate_app if words and words[0].startswith("-") else app


def _pxe_without_value(args: list[str]) -> list[str]:
    """``embed --flatcar CH --pxe -o DIR``: there --pxe is a switch, so give it an empty value."""
    if not args or args[0] != "embed" or not any(a == "--flatcar" or a.startswith("--flatcar=") for a in args):
        return args
    out = list(args)
    for i, arg in enumerate(out):
        if arg == "--pxe" and (i + 1 == len(out) or out[i + 1].startswith("-")):
            out.insert(i + 1, "")
            break
    return out


def main(argv: Optional[list[str]] = None) -> int:
    """Console entry point; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    import os

    import typer.main

    completing = any(k.endswith("_COMPLETE") and k.startswith("_BUTANE") for k in os.environ)
    args = _pxe_without_value(args)
    if completing:
        target = _completion_target()
    elif args == ["help"] and not os.path.lexists("help"):  # a file named help is still translated
        target, args = app, ["--help"]
    else:
        target = app if args and args[0] in SUBCOMMANDS else translate_app
    command = typer.main.get_command(target)
    _classic_help(command)
    try:
        rc = command.main(args=args, prog_name="butane-py", standalone_mode=False)
    except ButanePyError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # click's own exits (e.g. --help)
        return exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:
        sys.stderr.write("Aborted.\n")
        return 130
    except Exception as exc:
        # Usage errors from the argument parser (typer vendors its own click).
        show = getattr(exc, "show", None)
        if callable(show) and isinstance(getattr(exc, "exit_code", None), int):
            message = getattr(exc, "message", None)
            if isinstance(message, str):  # pydantic's wording for a bad value: the message alone
                exc.message = message.replace("Value error, ", "", 1)
            show()
            return exc.exit_code  # type: ignore[attr-defined]
        if type(exc).__name__ == "Abort":
            sys.stderr.write("Aborted.\n")
            return 1
        raise
    # Without standalone mode the parser hands back a command's exit code.
    return rc if isinstance(rc, int) else 0
