"""Butane configs: translate YAML to Ignition as the reference Butane does.

>>> from butane_py import butane
>>> result = butane.translate("variant: fcos\\nversion: 1.5.0\\n")
>>> result.output
'{"ignition":{"version":"3.4.0"}}'
"""

from __future__ import annotations

import gc

from ..report import Record, Report

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from ._decompile import DecompileResult
    from ._fragments import FragmentSource, FragmentsResult
    from typing import Iterable

Source = str | bytes


class Result(Record):
    """A translation: ``output`` (Ignition JSON, or None on failure), the findings, and
    ``error``, the reason the reference prints after ``Error translating config:``;
    ``variant`` and ``version`` once the config's are known."""

    __match_args__ = ("output", "report", "error", "variant", "version")

    def __init__(self, output: str | None, report: Report, error: str | None = None, variant: str | None = None,
                 version: str | None = None) -> None:
        self.output = output
        self.report = report
        self.error = error
        self.variant = variant
        self.version = version

    @property
    def ok(self) -> bool:
        return self.error is None


def translate(
    source: Source,
    *,
    files_dir: str | None = None,
    strict: bool = False,
    raw: bool = False,
    pretty: bool = False,
    extensions: bool = True,
    lint: bool = False,
) -> Result:
    """Translate a Butane config to Ignition. Never prints; bad input is a failed Result.

    With ``strict``, any finding fails the translation, as ``butane --strict`` does.
    ``extensions=False`` turns butane-py's own sections (``sysctl``, ``networkmanager``)
    off, so that they are unused keys, exactly as in the reference. ``lint=True`` adds
    warnings beyond the reference (plain-text passwords, bad SSH keys, expired CAs,
    misspelt unit sections).
    """
    from ._pipeline import translate as run
    from ._translate import Options

    data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
    # A translation builds many small objects without cycles: collections while it runs
    # only cost time (a sixth of it on a config of thousands of files).
    gc_was = gc.isenabled()
    gc.disable()
    try:
        return run(data, Options(files_dir=files_dir), raw=raw, pretty=pretty, strict=strict, extensions=extensions, lint=lint)
    finally:
        if gc_was:
            gc.enable()


def decompile(source: str | bytes | dict, *, variant: str | None = None, version: str | None = None,
              exact: bool = False) -> "DecompileResult":
    """An Ignition config (JSON text or a decoded dict), or an openshift MachineConfig (JSON or
    YAML), as idiomatic Butane YAML. Never prints; bad input is a failed result.

    ``variant`` defaults to fcos (openshift for a MachineConfig). Without ``version`` the
    version is chosen among those that can express the config: the most sugar, then no
    warnings, then stable, then the oldest. Every result is checked by translating it back:
    it gives the input's config again, exactly, or with text contents in differently
    encoded data URLs (an info finding names each, and ``result.exact`` is False). With
    ``exact``, such contents keep their data URL, so the translation is the input itself.
    """
    from ._decompile import decompile as run

    gc_was = gc.isenabled()
    gc.disable()
    try:
        return run(source, variant=variant, version=version, exact=exact)
    finally:
        if gc_was:
            gc.enable()


def translate_many(
    sources: "Iterable[FragmentSource]",
    *,
    files_dir: str | None = None,
    strict: bool = False,
    raw: bool = False,
    pretty: bool = False,
    extensions: bool = True,
    lint: bool = False,
) -> "FragmentsResult":
    """Translate Butane fragments each on its own and merge them in order, as Ignition merges
    configs (``ignition.config.merge``): later fragments over earlier ones. Never prints.

    ``sources`` are paths (``-`` is standard input) or ``(name, text)`` pairs. A fragment's local
    files (``local:``) are looked up in ``files_dir``, else, for a path, in the path's directory;
    a pair without ``files_dir`` embeds no local files. Each fragment keeps its own variant and
    version; all must be of one variant. The output is at the newest Ignition spec among them,
    written as :func:`translate` writes it (one openshift MachineConfig around the merged config,
    whose fragments must agree on ``metadata``). A value a later fragment replaces with a
    different one is a warning in that fragment's report, naming the earlier one's position;
    with ``strict`` any finding fails. One source gives exactly :func:`translate`'s result.
    Raises :class:`~butane_py.errors.InputError` for an unreadable path.
    """
    from ._fragments import translate_many as run

    return run(sources, files_dir=files_dir, strict=strict, raw=raw, pretty=pretty, extensions=extensions, lint=lint)


def __getattr__(name: str):
    if name == "FragmentsResult":
        from ._fragments import FragmentsResult

        return FragmentsResult
    if name == "DecompileResult":
        from ._decompile import DecompileResult

        return DecompileResult
    raise AttributeError(name)


__all__ = ["DecompileResult", "FragmentsResult", "Result", "decompile", "translate", "translate_many"]
