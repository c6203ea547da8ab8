"""Go's ``path`` package (Go 1.27): ``Clean``, ``IsAbs``, ``Ext``, ``Join`` and ``Dir``, the
slash-separated path functions Ignition's validation uses (node paths, unit name suffixes).

Go source: ``src/path/path.go``, one Python function per Go function.
"""

from __future__ import annotations


# ---------------------------------------------------------------------------
# path
# ---------------------------------------------------------------------------


# path.go: Clean
def path_clean(p: str) -> str:
    """path.Clean: lexical shortest equivalent of a slash-separated path."""
    if p == "":
        return "."
    rooted = p[0] == "/"
    out: list[str] = []
    # Leading ".." elements of a relative path can never be removed.
    fixed = 0
    for elem in p.split("/"):
        if elem == "" or elem == ".":
            continue
        if elem == "..":
            if len(out) > fixed:
                out.pop()
            elif not rooted:
                out.append("..")
                fixed += 1
            continue
        out.append(elem)
    if rooted:
        return "/" + "/".join(out)
    return "/".join(out) or "."


# path.go: IsAbs
def path_is_abs(p: str) -> bool:
    """path.IsAbs."""
    return p.startswith("/")


# path.go: Ext
def path_ext(p: str) -> str:
    """path.Ext: suffix from the last dot in the final element, or ""."""
    for i in range(len(p) - 1, -1, -1):
        c = p[i]
        if c == "/":
            break
        if c == ".":
            return p[i:]
    return ""


# path.go: Join
def path_join(*parts: str) -> str:
    """path.Join: join the non-empty parts with "/" and Clean; "" if all are empty."""
    joined = "/".join(x for x in parts if x)
    return path_clean(joined) if joined else ""


# path.go: Dir
def path_dir(p: str) -> str:
    """path.Dir: everything up to the last slash, cleaned."""
    return path_clean(p[: p.rfind("/") + 1])
