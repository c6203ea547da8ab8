"""Scoring helpers shared by the in-process conformance tests (mirrors shared/conformance)."""

from __future__ import annotations

import re

RAW = re.compile(r"^(error|warning|info) at (\$[^,:\s]*)?(?:,? ?line (\d+) col (\d+))?:", re.M)
PRETTY = re.compile(r"^(error|warning|info)\[(\$[^\]]*)\]:\s*\n\s*--> [^\n]*?:(\d+):(\d+)", re.M)


def findings(text: str) -> set[tuple[str, str, str]]:
    out = set()
    for k, p, line, col in RAW.findall(text or ""):
        out.add((k, p or "", f"{line}:{col}" if line else ""))
    for k, p, line, col in PRETTY.findall(text or ""):
        out.add((k, p, f"{line}:{col}"))
    return out


def read_known(path) -> set[str]:
    if not path.exists():
        return set()
    return {line.split("#")[0].strip() for line in path.read_text().splitlines() if line.split("#")[0].strip()}
