"""Each command as a function: read inputs, call the library, print, return the exit code.

The typer app in :mod:`butane_py.cli` and the fast path in :mod:`butane_py._entry` both
call these, so a command behaves the same however it was parsed.
"""

from __future__ import annotations

import sys

from .errors import ButanePyError

VALIDATE_FORMATS = ("text", "json")
# Commands beside the default one (Butane translation); anything else is its input.
SUBCOMMANDS = (
    "validate", "check", "schema", "hash-password", "download", "stream", "images", "cache", "iso", "pxe", "embed",
)


def validate(config: str = "-", fmt: str = "text") -> int:
    """``butane-py validate``: the reference's report lines, exit 0 (valid) or 1."""
    from .ignition import parse_config
    from .io import read_input

    try:
        data = read_input(config)
    except ButanePyError as exc:
        sys.stderr.write(f"{exc}\n")
        return exc.exit_code
    result = parse_config(data)
    if fmt == "json":
        import json

        entries = [e.to_dict() for e in result.report]
        if result.error is not None:
            entries.append(
                {"kind": "error", "path": None, "line": None, "column": None,
                 "message": f"couldn't parse config: {result.error}"}
            )
        sys.stdout.write(json.dumps({"valid": result.ok, "findings": entries}, ensure_ascii=False) + "\n")
    else:
        if result.report:
            sys.stdout.write(result.report.reference_text())
        if not result.report.is_fatal and result.error is not None:
            sys.stderr.write(f"couldn't parse config: {result.error}\n")
    sys.stdout.flush()
    return 0 if result.ok else 1


COLOR_WHEN = ("auto", "always", "never")


def _use_color(when: str) -> bool:
    import os

    if when in ("always", "yes"):
        return True
    if when in ("never", "no"):
        return False
    return "NO_COLOR" not in os.environ and sys.stderr.isatty()


import errno as _errno

# Errors that only writing data gives (the file is open by then).
_WRITE_ERRNOS = (_errno.ENOSPC, _errno.EDQUOT, _errno.EFBIG, _errno.EIO)


def translate(
    input: str = "-",
    output: str | None = None,
    pretty: bool = False,
    strict: bool = False,
    check: bool = False,
    files_dir: str | None = None,
    raw: bool = False,
    raw_errors: bool = False,
    color: str = "auto",
    no_extensions: bool = False,
    lint: bool = False,
) -> int:
    """The default command: Butane to Ignition, as the reference ``butane`` does it."""
    from .butane import translate as do_translate
    from .io import os_reason, read_bytes, write_file
    from .report import render_pretty

    try:
        data = read_bytes(input)
    except IsADirectoryError:
        sys.stderr.write(f"failed to read {input}: read {input}: is a directory\n")  # the reference's words
        return 1
    except OSError as exc:
        sys.stderr.write(f"failed to open {input}: open {input}: {os_reason(exc)}\n")
        hint = _command_hint(input) if isinstance(exc, FileNotFoundError) else None
        if hint is not None:
            sys.stderr.write(f"did you mean 'butane-py {hint}'?\n")
        return 1
    result = do_translate(data, files_dir=files_dir, raw=raw, pretty=pretty, extensions=not no_extensions, lint=lint)
    if result.report.entries:
        if raw_errors:
            sys.stderr.write(str(result.report))
        else:
            name = "<stdin>" if input == "-" else input
            sys.stderr.write(render_pretty(result.report, name, data, _use_color(color)))
    if result.error is not None:
        sys.stderr.write(f"Error translating config: {result.error}\n")
        return 1
    if strict and result.report.entries:
        sys.stderr.write("Config produced warnings and --strict was specified\n")
        return 1
    if not check:
        assert result.output is not None
        try:
            write_file(output or "-", (result.output + "\n").encode("utf-8", "surrogateescape"))
        except BrokenPipeError:
            raise
        except OSError as exc:
            # The reference's words: it opens the file, then writes it (standard output is /dev/stdout).
            name = "/dev/stdout" if output in (None, "-") else output
            if exc.errno in _WRITE_ERRNOS:
                sys.stderr.write(f"Failed to write config to {name}: write {name}: {os_reason(exc)}\n")
            else:
                sys.stderr.write(f"failed to open {name}: open {name}: {os_reason(exc)}\n")
            return 1
    return 0


def _command_hint(word: str) -> str | None:
    """The command a missing input's name is close to (``list-stream`` → ``stream list``)."""
    if "/" in word or "." in word:
        return None  # a path, not a mistyped command
    from .cli import suggestion

    return suggestion(word)


# Anything else (.bu, .yaml, .yml …) is read as Butane.
IGNITION_SUFFIXES = (".ign", ".json")


def check(
    files: list[str], files_dir: str | None = None, strict: bool = False, fmt: str = "text", lint: bool = False,
    portable: bool = False,
) -> int:
    """``butane-py check``: translate or validate many files in one process, by extension.

    ``portable``: Butane files are read as the reference Butane reads them (no extensions),
    and each extension section is an error at its key."""
    import json
    import os

    from .butane import translate as do_translate
    from .ignition import parse_config
    from .io import read_input

    results = []
    failed = 0
    for name in files:
        entry: dict = {"file": name, "ok": False, "findings": [], "error": None}
        try:
            data = read_input(name)
        except ButanePyError as exc:
            entry["error"] = str(exc)
        else:
            if name.endswith(IGNITION_SUFFIXES):
                parsed = parse_config(data)
                report, error, ok = parsed.report, parsed.error, parsed.ok
                if error is not None:
                    error = f"couldn't parse config: {error}"
                elif not ok:
                    error = "config is invalid"  # its error findings say why
            else:
                directory = files_dir if files_dir is not None else (os.path.dirname(name) or ".")
                res = do_translate(data, files_dir=directory, strict=strict, lint=lint, extensions=not portable)
                report, error, ok = res.report, res.error, res.ok
                if portable and _not_portable(report):
                    ok, error = False, error or "uses butane-py's own sections, which the reference Butane ignores"
            if strict and report.entries and ok:  # a failed file is not blamed on warnings
                ok, error = False, "Config produced warnings and --strict was specified"
            entry.update(ok=ok, error=error, findings=[e.to_dict() for e in report])
        failed += not entry["ok"]
        results.append(entry)
    if fmt == "json":
        sys.stdout.write(json.dumps({"files": results, "failed": failed}, ensure_ascii=False) + "\n")
    else:
        out = []
        for entry in results:
            for f in entry["findings"]:
                where = f"{entry['file']}:{f['line']}:{f['column']}" if f["line"] else entry["file"]
                path = f" ({f['path']})" if f["path"] else ""
                out.append(f"{where}: {f['kind']}: {f['message']}{path}\n")
            if entry["error"]:
                out.append(f"{entry['file']}: error: {entry['error']}\n")
        noun = "file" if len(results) == 1 else "files"
        out.append(f"checked {len(results)} {noun}: {failed} failed\n")
        sys.stdout.write("".join(out))
    return 1 if failed else 0


def _not_portable(report) -> bool:
    """Turn the reference's "unused key" warning on each butane-py extension section into an
    error (at the key's position, which the warning already carries); whether there was one."""
    from .butane._extensions import CONFIG_FIELDS
    from .report import Kind

    found = False
    for e in report.entries:
        key = e.path[0] if len(e.path) == 1 else None
        if key in {name for name, _ in CONFIG_FIELDS} and e.kind is Kind.WARNING:
            e.kind = Kind.ERROR
            e.message = (f"{key} is a butane-py extension: the reference Butane ignores it, so this config is not "
                         "portable (write the files it stands for under storage.files instead)")
            found = True
    return found


def schema(variant: str | None, version: str | None, ignition: str | None) -> int:
    """``butane-py schema``: print the JSON Schema of a Butane version or an Ignition spec."""
    # Only the schema asked for is built: the others cost start-up time for nothing.
    if ignition is not None:
        from .ignition._jsonschema import render_version

        text = render_version(ignition)
        what = f"Ignition spec {ignition}"
    else:
        from .butane._jsonschema import render_butane

        text = render_butane(variant or "", version or "")
        what = f"{variant} {version}"
    if text is None:
        sys.stderr.write(f"Error: no schema for {what}\n")
        return 1
    sys.stdout.write(text)
    return 0


def hash_password(method: str = "sha512", grub: bool = False) -> int:
    """``butane-py hash-password``: prompt twice without echo, or read standard input."""
    from .passwords import grub_hash, hash_password as make_hash

    if sys.stdin.isatty():
        import getpass

        try:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Password (again): ")
        except EOFError:
            sys.stderr.write("Error: no password given\n")
            return 1
        if first != second:
            sys.stderr.write("Error: the passwords do not match\n")
            return 1
        password = first
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        sys.stderr.write("Error: the password is empty\n")
        return 1
    try:
        sys.stdout.write((grub_hash(password) if grub else make_hash(password, method)) + "\n")
    except ButanePyError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    return 0


# -- images and downloads ---------------------------------------------------------------------


def _size(n: float) -> str:
    """A byte count as people read it: 812.3 MiB."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


class _Progress:
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

        self.name = _shown(name)
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
            of = f" of {_size(total)} ({done * 100 // total}%)" if total else ""
            sys.stderr.write(f"{self.name}: {_size(done)}{of}\n")
            sys.stderr.flush()

    def stop(self, complete: bool = False) -> None:
        """Remove the bar; with ``complete``, say what this run downloaded and how fast."""
        import time

        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        if complete and not self.quiet and self._done:
            took = max(time.monotonic() - self._started, 1e-3)
            shown = f"{took:.0f} s" if took >= 10 else f"{took:.1f} s"
            sys.stderr.write(f"{self.name}: {_size(self._done)} in {shown} ({_size(self._done / took)}/s)\n")
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

    from . import fetch as fetching
    from . import images

    try:
        retries = fetching.parse_retries(fetch_retries)
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise fetching.InputError(f"-C {directory!r}: not a directory")
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
                raise fetching.InputError(
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
        progress = _Progress(quiet)
        for art in artifacts:
            url = image_url if art is None else art.url
            filename = fetching.filename_from_url(url)
            if decompress:
                for suffix in (".xz", ".gz", ".zst"):
                    if filename.endswith(suffix) and filename[: -len(suffix)] not in ("", ".", ".."):
                        filename = filename[: -len(suffix)]
            dest = os.path.join(directory, filename)
            result = _fetch_one(url, art, filename, dest, ring, insecure, retries, progress, decompress,
                                save_signature=not decompress)
            sys.stdout.write(f"{_shown(str(result.path))}\n")
    except ButanePyError as exc:
        return _fetch_failed(exc)
    return 0


def _simplestreams_verify(ring):
    """With a key, only signed simplestreams documents (.sjson) are read, and each must verify
    against it; an image's SHA-256 from them is then its proof. None without a key."""
    if ring is None:
        return None
    from .fetch import verify_cleartext

    return lambda data: verify_cleartext(data, ring)


def _shown(text: str) -> str:
    from .images import printable

    return printable(text)


def _fetch_failed(exc: ButanePyError) -> int:
    """One line on standard error, whatever a server put in the message."""
    sys.stderr.write(f"Error: {_shown(str(exc))}\n")
    return exc.exit_code


def _fetch_one(url: str, art, label: str, dest: str, ring, insecure: bool, fetch_retries: int | None,
               progress: _Progress, decompress: bool = False, save_signature: bool = False):
    """Fetch and verify one file: an artifact's (digests, signature or signed digest, cache key)
    or, with ``art`` None, a bare URL's (its ``.sig`` only), showing ``label`` in the progress."""
    from . import fetch as fetching

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
    from . import images

    try:
        s = images.fetch_stream(stream, base_url=stream_base_url or images.DEFAULT_STREAM_BASE)
        rows = [("ARCHITECTURE", "PLATFORM", "FORMAT", "RELEASE")]
        rows += [(r.arch, r.platform, r.format, r.release) for r in s.table()]
    except ButanePyError as exc:
        return _fetch_failed(exc)
    _table(rows)
    return 0


def stream_images(stream: str = "stable", architecture: str | None = None, stream_base_url: str | None = None) -> int:
    """``butane-py stream images``: cloud images by platform and region."""
    from . import images

    try:
        s = images.fetch_stream(stream, base_url=stream_base_url or images.DEFAULT_STREAM_BASE)
        rows = [("PLATFORM", "REGION", "IMAGE", "RELEASE")]
        rows += [(c.platform, c.region or "-", c.image, c.release or "-")
                 for c in s.cloud_images(images.normalize_arch(architecture))]
    except ButanePyError as exc:
        return _fetch_failed(exc)
    _table(rows)
    return 0


def images_list(catalog: str | None = None) -> int:
    """``butane-py images list``: the bundled catalog (or ``catalog``), pinned or live."""
    from . import images

    try:
        entries = images.load_catalog(catalog) if catalog is not None else images.catalog()
    except ButanePyError as exc:
        return _fetch_failed(exc)
    rows = [("ALIAS", "DISTRIBUTION", "STREAM", "FORMAT", "PINNED", "VERSION", "ARCHITECTURES")]
    for alias, entry in sorted(entries.items()):
        if entry.pinned:
            rows.append((alias, entry.distribution, entry.stream, entry.format, f"pinned {entry.snapshot}",
                         entry.version, ",".join(sorted(entry.architectures))))
        else:
            rows.append((alias, entry.distribution, entry.stream, entry.format, "live", "-", "-"))
    _table(rows)
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

    from . import fetch as fetching
    from . import images
    from .io import write_output

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
        return _fetch_failed(exc)
    if output is not None and output != "-":
        sys.stderr.write(f"pinned {len(doc['images'])} aliases in {_shown(output)}\n")
    return 0


def cache_list() -> int:
    from .fetch import default_cache_dir, list_cache

    entries = list_cache()
    rows = [("SIZE", "FETCHED", "KEY")]
    import datetime

    rows += [
        (f"{e.size / 1048576:.1f} MiB",
         datetime.datetime.fromtimestamp(e.fetched_at, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M") if e.fetched_at else "-",
         e.key)
        for e in entries
    ]
    _table(rows)
    sys.stdout.write(f"{len(entries)} files in {_shown(str(default_cache_dir()))}\n")
    return 0


def cache_clean() -> int:
    """``butane-py cache clean``: remove what the cache wrote, and say what that was."""
    from .fetch import clean_cache, default_cache_dir

    base = default_cache_dir()
    try:
        cleaned = clean_cache(base)
    except ButanePyError as exc:
        return _fetch_failed(exc)
    for path in cleaned.files:
        sys.stdout.write(f"removed {_shown(path.relative_to(base).as_posix())}\n")
    sys.stdout.write(f"removed {len(cleaned.files)} files, {cleaned.bytes / 1048576:.1f} MiB, from {_shown(str(base))}\n")
    return 0


def _table(rows: list[tuple]) -> None:
    rows = [tuple(_shown(str(c)) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n")


# -- live ISO and PXE embedding ---------------------------------------------------------------


def _fail(exc: ButanePyError) -> int:
    sys.stderr.write(f"Error: {exc}\n")
    return exc.exit_code


def _read_config_arg(path: str | None) -> bytes:
    """A config given with ``-i PATH`` (or standard input), written as given."""
    from .io import read_input

    return read_input(path or "-")


def _write_binary(make, output: str | None) -> None:
    """``make()``'s bytes to ``output`` (atomically) or to standard output, never to a terminal;
    the terminal is checked before ``make`` runs, as it may read standard input."""
    from .embed._write import check_not_tty
    from .io import write_output, write_stdout

    if output in (None, "-"):
        check_not_tty(sys.stdout.buffer)
        write_stdout(make())
    else:
        write_output(output, make())


def _call(work, *args, show=None) -> int:
    """Run a library call; print ``show(result)`` (bytes) if given; map errors to exit codes."""
    from .io import write_stdout

    try:
        result = work(*args)
        if show is not None:
            write_stdout(show(result))
    except ButanePyError as exc:
        return _fail(exc)
    return 0


def _embed():
    from . import embed

    return embed


def iso_ignition_embed(iso: str, config: str | None = None, output: str | None = None, force: bool = False) -> int:
    return _call(lambda: _embed().ignition_embed(iso, _read_config_arg(config), output, force))


def iso_ignition_show(iso: str) -> int:
    return _call(_embed().ignition_show, iso, show=lambda data: data)


def iso_ignition_remove(iso: str, output: str | None = None, force: bool = False) -> int:
    return _call(_embed().ignition_remove, iso, output, force)


def iso_kargs_modify(iso: str, append: list[str], delete: list[str], replace: list[str],
                     output: str | None = None, force: bool = False) -> int:
    return _call(_embed().kargs_modify, iso, append, delete, replace, output, force)


def iso_kargs_show(iso: str, default: bool = False) -> int:
    return _call(_embed().kargs_show, iso, default, show=lambda kargs: (kargs + "\n").encode())


def iso_kargs_reset(iso: str, output: str | None = None, force: bool = False) -> int:
    return _call(_embed().kargs_reset, iso, output, force)


def iso_network_embed(iso: str, keyfiles: list[str], output: str | None = None, force: bool = False) -> int:
    return _call(_embed().network_embed, iso, keyfiles, output, force)


def _listing(paths: list[str]) -> bytes:
    """Paths one a line, escaped (see io.printable): names come from images and archives."""
    from .io import printable

    return "".join(printable(p) + "\n" for p in paths).encode()


def _network_listing(files: dict[str, bytes], directory: str | None) -> bytes:
    """Keyfiles written into ``directory`` (their paths listed), or printed with headers."""
    from .io import printable

    if directory is not None:
        return _listing(_embed().extract_files(files, directory))
    return b"\n".join(f"########## {printable(name)} ##########\n".encode() + data for name, data in files.items())


def iso_network_extract(iso: str, directory: str | None = None) -> int:
    return _call(lambda: _network_listing(_embed().network_files(iso), directory), show=lambda out: out)


def iso_network_remove(iso: str, output: str | None = None, force: bool = False) -> int:
    return _call(_embed().network_remove, iso, output, force)


def iso_extract_pxe(iso: str, output_dir: str = ".", force: bool = False) -> int:
    return _call(_embed().extract_pxe, iso, output_dir, force, show=_listing)


def iso_reset(iso: str, output: str | None = None, force: bool = False) -> int:
    return _call(_embed().reset, iso, output, force)


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
    from .io import read_input

    return _checked_ignition(read_input(path), path, strict)


def _checked_ignition(data: bytes, path: str, strict: bool) -> bytes:
    from .errors import ConfigError
    from .ignition import parse_config

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
    from . import embed

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
        return _fail(exc)
    _say_installs(custom)
    return 0


def pxe_ignition_wrap(config: str | None = None, output: str | None = None) -> int:
    return _call(_write_binary, lambda: _embed().pxe_wrap(_read_config_arg(config)), output)


def _read_initrd(initrd: str, read):
    """``read(stream)`` on ``initrd``, or on standard input for ``-``."""
    if initrd == "-":
        return read(sys.stdin.buffer)
    from .errors import InputError
    from .io import os_reason

    try:
        f = open(initrd, "rb")
    except OSError as exc:
        raise InputError(f"cannot open {initrd}: {os_reason(exc)}") from None
    with f:
        return read(f)


def pxe_ignition_unwrap(initrd: str = "-") -> int:
    return _call(_read_initrd, initrd, _embed().pxe_unwrap, show=lambda data: data)


def pxe_network_wrap(keyfiles: list[str], output: str | None = None) -> int:
    return _call(_write_binary, lambda: _embed().pxe_network_wrap(keyfiles), output)


def pxe_network_unwrap(initrd: str = "-", directory: str | None = None) -> int:
    return _call(lambda: _network_listing(_read_initrd(initrd, _embed().pxe_network_files), directory),
                 show=lambda out: out)


def _config_for_embed(path: str, files_dir: str | None, strict: bool) -> bytes:
    """The Ignition config to embed: a Butane file translated, or an Ignition file validated."""
    import os

    from .errors import ConfigError
    from .io import read_input

    if path.endswith(IGNITION_SUFFIXES):
        return _ignition_file(path, strict)
    data = read_input(path)
    if path == "-" and _looks_like_ignition(data):
        return _checked_ignition(data, "<stdin>", strict)
    from .butane import translate as do_translate

    directory = files_dir if files_dir is not None else (os.path.dirname(path) if path != "-" else None)
    # raw: an openshift config gives its Ignition config, not a MachineConfig, to embed.
    res = do_translate(data, files_dir=directory or ".", strict=strict, raw=True)
    if res.report.entries:
        from .report import render_pretty

        sys.stderr.write(render_pretty(res.report, "<stdin>" if path == "-" else path, data, _use_color("auto")))
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
        exc.args = (_shown(str(exc)),)
        raise


def _fetch_image_files(name, architecture, fmt, stream_base_url, keyring, insecure, fetch_retries, quiet,
                       flatcar, directory, force, catalog) -> list:
    import os

    from . import fetch as fetching
    from . import images

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
        from .images._stream import STREAMS

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
    progress = _Progress(quiet)
    out = []
    for art, dest in zip(artifacts, dests):
        result = _fetch_one(art.url, art, art.filename, dest, ring, insecure, retries, progress)
        out.append((art, str(result.path)))
    return out


def embed(
    config: str,
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
) -> int:
    """``butane-py embed``: from a Butane (or Ignition) file to a bootable live ISO or PXE set."""
    import os

    from . import embed as emb
    from .errors import UsageError
    from .io import output_target, printable

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
        entries = None
        if catalog is not None:
            from .images import load_catalog

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
        if output == "-":
            from .embed._write import check_not_tty

            check_not_tty(sys.stdout.buffer)  # before anything is fetched
        ign = _config_for_embed(config, files_dir, strict)
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
        return _embed_pxe(pxe, flatcar, custom, output, fetch_args, force)
    except ButanePyError as exc:
        return _fail(exc)


def _say_installs(custom) -> None:
    if custom.installs:
        if custom.dest_device:
            sys.stderr.write(f"Boot media will automatically install to {custom.dest_device} without confirmation.\n")
        else:
            sys.stderr.write("Boot media will automatically run installer.\n")


def _embed_pxe(source: str, flatcar: str | None, custom, output: str, fetch_args: tuple, force: bool) -> int:
    """Run the PXE case; on failure remove whatever this run added to the directory."""
    import os

    from .embed import OutputError
    from .errors import UsageError
    from .io import os_reason

    if output == "-":
        raise UsageError("--pxe writes several files: -o must be a directory")
    created = not os.path.exists(output)
    try:
        os.makedirs(output, exist_ok=True)
        before = set(os.listdir(output))
    except OSError as exc:
        raise OutputError(f"cannot use directory {output}: {os_reason(exc)}") from None
    try:
        return _embed_pxe_into(source, flatcar, custom, output, fetch_args, force)
    except BaseException:
        for name in set(os.listdir(output)) - before:
            try:
                os.unlink(os.path.join(output, name))
            except OSError:
                pass
        if created and not os.listdir(output):
            os.rmdir(output)
        raise


def _embed_pxe_into(source: str, flatcar: str | None, custom, output: str, fetch_args: tuple, force: bool) -> int:
    import os

    from . import embed as emb
    from .errors import UsageError
    from .io import write_output

    architecture, stream_base_url, keyring, insecure, fetch_retries, quiet, entries = fetch_args
    if flatcar is not None:
        if custom.installs or custom.network_keyfiles or custom.ignition_ca:
            raise UsageError("--dest-device, --network-keyfile and --ignition-ca are for CoreOS live images, not Flatcar")
        oem = os.path.join(output, "flatcar-oem-config.img")
        _refuse_existing(oem, force)
        oem_bytes = emb.flatcar_oem_initrd(custom.config)
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
    from .embed import ImageFormatError

    missing = [k for k in ("kernel", "initramfs") if k not in files]
    if missing:
        raise ImageFormatError(f"{source} gives no {' and no '.join(missing)}: a PXE boot needs a kernel and an initramfs")


def _print_boot(files: dict, config_initrd: str, kargs: list[str]) -> None:
    """What to boot: kernel, the initrds in load order, the rootfs if any, the kernel arguments."""
    from .io import printable

    lines = [f"kernel: {files['kernel']}", f"initrd: {files['initramfs']}", f"initrd: {config_initrd}"]
    if "rootfs" in files:
        lines.append(f"rootfs: {files['rootfs']}")
    lines.append(f"kernel arguments: {' '.join(kargs)}")
    sys.stdout.write("".join(printable(line) + "\n" for line in lines))


def _initramfs_features(path: str) -> dict:
    """``etc/coreos/features.json`` of a live initramfs; empty for images older than it."""
    import json

    from .embed import ImageFormatError, read_members

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
    from .images import catalog as bundled

    return (bundled() if catalog is None else catalog).get(name)


def _local_image(source: str) -> bool:
    """Whether --iso/--pxe names a local file (else a stream or catalog alias).

    Something that looks like a path but does not exist is an error, not a stream name."""
    import os

    from .errors import InputError

    if os.path.exists(source) and not os.path.isdir(source):
        return True
    if os.sep in source or source.endswith((".iso", ".img")):
        raise InputError(f"cannot open {source}: no such file or directory")
    return False


def _refuse_existing(path: str, force: bool) -> None:
    import os

    from .embed import OutputError

    if not force and os.path.exists(path):
        raise OutputError(f"{path} already exists; use --force to overwrite it")
