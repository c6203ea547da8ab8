"""JSON as the reference reads it, at C speed where possible: Go 1.27's ``encoding/json``
for what is accepted, and Ignition's context tree for where things are.

The document is parsed once with the stdlib's C scanner into a light tree: objects are
tuples of ``(key, value)`` pairs (order and duplicate keys kept, as Go's decoder sees
them), arrays are lists, and float literals keep their text (:class:`Num`) so that type
errors can quote them as Go does.

Positions are needed only for findings, so they are computed lazily: :class:`Locator`
re-scans just the containers on the way to a path, indexing each one once.
Where the stdlib refuses input (syntax errors, NaN, a BOM), Go's exact message and
offset come from :mod:`butane_py._go.json_errors`.

Go source:

- Acceptance, nesting limit and U+FFFD replacement: Go 1.27 ``encoding/json.Unmarshal``
  (``src/encoding/json/v2_decode.go``: ``Unmarshal``; ``jsontext/state.go``:
  ``maxNestingDepth``), which is v2-backed in Go 1.27 (see :mod:`.json_errors`).
- Positions: ``github.com/coreos/go-json`` v0.0.0-20230131223807-18775e0fb4fb (``decode.go``:
  ``Node``, ``objectNode``, ``arrayNode``, ``literalNode`` record where each value and key
  starts) turned into a tree by ``github.com/coreos/vcontext`` v0.0.0-20230201181013-d72178a18687
  (``json/json.go``: ``UnmarshalToContext``, ``fromJsonNode``; ``tree/tree.go``: ``MapNode.Get``,
  ``SliceNode.Get``, ``FixLineColumn``; ``report/report.go``: ``Correlate``,
  ``getDeepestNode``), all as vendored in Butane v0.29.0.
"""

from __future__ import annotations

import json
import re
import sys
from json import decoder as _jd

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (start-up time)
if TYPE_CHECKING:
    from typing import Any, Callable, Sequence, TypeVar

    T = TypeVar("T")

from ..report import Key

# jsontext/state.go: maxNestingDepth
# Go's decoder nests at most this deep.
MAX_DEPTH = 10000


class Num(str):
    """A JSON number literal that is not a plain integer, kept as its source text."""

    __slots__ = ()


class JSONSyntaxError(ValueError):
    """Go's ``*json.SyntaxError``: message and byte offset."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _parse_int(text: str) -> Any:
    # Past Python's int-from-text digit limit a literal stays text; such a number is far
    # out of range for every integer field, which is what Go then reports.
    return int(text) if len(text) <= 4000 else Num(text)


_DECODER = json.JSONDecoder(object_pairs_hook=tuple, parse_float=Num, parse_constant=_reject_constant)
# For documents the fast decoder refuses but Go accepts (deep nesting, huge integers).
_SLOW_DECODER = json.JSONDecoder(
    object_pairs_hook=tuple, parse_float=Num, parse_int=_parse_int, parse_constant=_reject_constant
)
_SCAN_ONCE = _SLOW_DECODER.scan_once  # only skips values; any literal Go accepts
_SCANSTRING = _jd.scanstring
_WS = re.compile(r"[ \t\n\r]*")
# Compiled on first use (re caches it): only text that is not all ASCII can hold one.
_SURROGATE = "[\ud800-\udfff]"


def decode_text(data: bytes) -> str:
    """Bytes to text, one character per invalid byte so offsets stay countable."""
    return data.decode("utf-8", "surrogateescape")


# v2_decode.go: Unmarshal (accept or reject; syntax errors from json_errors)
def parse(data: bytes) -> tuple[str, Any, bool]:
    """Parse ``data`` as Go would accept it; raise :class:`JSONSyntaxError` if Go would not.

    Returns the decoded text (for positions), the value tree, and whether the document
    nests so deep that further work on it must go through :func:`run_deep`.
    """
    text = decode_text(data)
    deep = False
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError):
        from .json_errors import syntax_error

        err = syntax_error(data)
        if err is not None:
            raise JSONSyntaxError(*err) from None
        # Valid for Go but not for the stdlib: nesting deeper than our recursion budget, or
        # an integer with more digits than int() converts.
        value = run_deep(lambda: _SLOW_DECODER.decode(text), deep=True)
        deep = True
    if (not text.isascii() and re.search(_SURROGATE, text)) or "\\u" in text and re.search(r"\\u[dD][89a-fA-F]", text):
        # Go replaces invalid UTF-8 and lone surrogate escapes with U+FFFD.
        value = run_deep(lambda: _replace_surrogates(value), deep)
    return text, value, deep


def run_deep(fn: Callable[[], T], deep: bool = False) -> T:
    """Run ``fn``; with ``deep``, on a big stack with room for Go's nesting limit."""
    if not deep:
        return fn()
    result: list = []
    error: list = []

    def target() -> None:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, 4 * MAX_DEPTH + 1000))
        try:
            result.append(fn())
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)
        finally:
            sys.setrecursionlimit(old)

    import threading  # here: only deep documents need it, and importing it costs start-up time

    old_size = threading.stack_size()
    threading.stack_size(512 * 1024 * 1024)
    try:
        t = threading.Thread(target=target)
        t.start()
        t.join()
    finally:
        threading.stack_size(old_size)
    if error:
        raise error[0]
    return result[0]


def _replace_surrogates(v: Any) -> Any:
    if type(v) is str:
        return re.sub(_SURROGATE, "\ufffd", v)
    if type(v) is tuple:
        return tuple((_replace_surrogates(k), _replace_surrogates(x)) for k, x in v)
    if type(v) is list:
        return [_replace_surrogates(x) for x in v]
    return v


# -- positions ---------------------------------------------------------------------------


class Occurrence(tuple):
    """A path element naming the ``n``-th occurrence of a (possibly duplicated) key."""

    __slots__ = ()

    def __new__(cls, key: str, n: int) -> "Occurrence":
        return tuple.__new__(cls, (key, n))


# go-json decode.go: objectNode, arrayNode, literalNode; vcontext json.go: fromJsonNode,
# tree.go: MapNode.Get, SliceNode.Get; report.go: getDeepestNode
class Locator:
    """Maps paths to source positions the way the reference's context tree does.

    Objects keep the last of duplicated keys; a path that leaves the tree resolves to
    the deepest node on it. Containers start just after their bracket, scalars at their
    first character, keys at their opening quote.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._objects: dict[int, tuple[dict[str, tuple[int, int]], list[tuple[str, int, int]]]] = {}
        self._arrays: dict[int, list[int]] = {}
        self._root = _WS.match(text, 0).end()
        self._byte_chunks: list[int] | None = None

    # navigation

    def _object(self, pos: int) -> tuple[dict[str, tuple[int, int]], list[tuple[str, int, int]]]:
        idx = self._objects.get(pos)
        if idx is None:
            text = self.text
            last: dict[str, tuple[int, int]] = {}
            order: list[tuple[str, int, int]] = []
            i = _WS.match(text, pos + 1).end()
            if text[i] != "}":
                while True:
                    key_pos = i
                    key, i = _SCANSTRING(text, i + 1)
                    if not key.isascii():
                        key = re.sub(_SURROGATE, "\ufffd", key)  # as parse() spells keys
                    i = _WS.match(text, i).end() + 1  # the colon
                    i = _WS.match(text, i).end()
                    last[key] = (key_pos, i)
                    order.append((key, key_pos, i))
                    i = self._skip(i)
                    i = _WS.match(text, i).end()
                    if text[i] == "}":
                        break
                    i = _WS.match(text, i + 1).end()
            idx = self._objects[pos] = (last, order)
        return idx

    def _array(self, pos: int) -> list[int]:
        idx = self._arrays.get(pos)
        if idx is None:
            text = self.text
            starts: list[int] = []
            i = _WS.match(text, pos + 1).end()
            if text[i] != "]":
                while True:
                    starts.append(i)
                    i = _WS.match(text, self._skip(i)).end()
                    if text[i] == "]":
                        break
                    i = _WS.match(text, i + 1).end()
            idx = self._arrays[pos] = starts
        return idx

    def _skip(self, i: int) -> int:
        c = self.text[i]
        if c == '"':
            return _SCANSTRING(self.text, i + 1)[1]
        if c == "{" or c == "[":
            # Index it on the way: a later lookup inside is then free.
            if c == "{":
                last, order = self._object(i)
                end = order[-1][2] if order else i
            else:
                starts = self._array(i)
                end = starts[-1] if starts else i
            if end == i:
                j = _WS.match(self.text, i + 1).end()
                return j + 1
            j = _WS.match(self.text, self._skip(end)).end()
            return j + 1
        return _SCAN_ONCE(self.text, i)[1]

    def value_start(self, path: Sequence[Any]) -> tuple[int, bool]:
        """Index of the deepest node on ``path`` and whether ``path`` was found whole.

        A trailing :class:`~butane_py.report.Key` resolves to that key's position.
        """
        text = self.text
        pos = self._root
        for n, elem in enumerate(path):
            c = text[pos] if pos < len(text) else ""
            if isinstance(elem, Occurrence):
                if c != "{":
                    return pos, False
                key, occ = elem
                hits = [v for k, _, v in self._object(pos)[1] if k == key]
                if occ >= len(hits):
                    return pos, False
                pos = hits[occ]
            elif isinstance(elem, Key):
                if c != "{":
                    return pos, False
                hit = self._object(pos)[0].get(elem)
                if hit is None:
                    return pos, False
                return hit[0], n == len(path) - 1
            elif isinstance(elem, str):
                if c != "{":
                    return pos, False
                hit = self._object(pos)[0].get(elem)
                if hit is None:
                    return pos, False
                pos = hit[1]
            else:
                if c != "[":
                    return pos, False
                starts = self._array(pos)
                if not 0 <= elem < len(starts):
                    return pos, False
                pos = starts[elem]
        return pos, True

    def marker(self, path: Sequence[Any]) -> int:
        """The reference's marker index for ``path``: containers start after their bracket."""
        pos, _ = self.value_start(path)
        if path and isinstance(path[-1], Key) and _:
            return pos
        if pos < len(self.text) and self.text[pos] in "{[":
            return pos + 1
        return pos

    # tree.go: FixLineColumn (lines and byte columns, both from 1)
    def line_col(self, index: int) -> tuple[int, int]:
        """1-based line and byte column of the character at ``index``."""
        text = self.text
        line = text.count("\n", 0, index) + 1
        start = text.rfind("\n", 0, index) + 1
        if text.isascii():
            return line, index - start + 1
        return line, self.byte_offset(index) - self.byte_offset(start) + 1

    def byte_offset(self, index: int) -> int:
        chunk = 1 << 14
        if self._byte_chunks is None:
            acc = [0]
            for s in range(0, len(self.text), chunk):
                acc.append(acc[-1] + len(self.text[s : s + chunk].encode("utf-8", "surrogateescape")))
            self._byte_chunks = acc
        c = index // chunk
        return self._byte_chunks[c] + len(self.text[c * chunk : index].encode("utf-8", "surrogateescape"))

    def position(self, path: Sequence[Any]) -> tuple[int, int]:
        return self.line_col(self.marker(path))


# vcontext tree.go: FixLineColumn of the marker Ignition's util.HandleParseErrors makes
# (ignition config/util/parsingErrors.go) from an error's Offset
def offset_line_col(data: bytes, offset: int) -> tuple[int, int]:
    """Line and column of byte ``offset`` as the reference prints it (0, 0 past the end)."""
    if offset < 0 or offset >= len(data):
        return 0, 0
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1
