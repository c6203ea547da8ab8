"""butane_py._go.yaml against golden data recorded from Go (gopkg.in/yaml.v3 as vendored in Butane).

The fixtures in fixtures/go/yaml/ were produced by a Go program decoding each input with
yaml.v3: ``yaml.Unmarshal`` into Butane's ``commonFields`` stub ("stub"), into a
``yaml.Node`` ("node": every node's kind, tag, style, value, line, column, anchor),
``yaml.NewDecoder(...).Decode`` into the struct types of types.json ("dec") and into an
``interface{}`` ("any"). Values are recorded as Go sees them: struct fields that are zero are
left out, a non-nil pointer is {"p": value}, interface{} scalars are typed.
"""

from __future__ import annotations

import base64
import datetime
import json
import random
import re
import time

import pytest

from butane_py._go import yaml as g
from butane_py._go.types import ANY_T, BOOL_T, INT_T, STRING_T, GoType, ptr, slice_of

from .conftest import ROOT

FIX = ROOT / "fixtures" / "go" / "yaml"
KIND = {"map": 4, "seq": 2, "scalar": 8, "alias": 16}


def load_types(path=FIX / "types.json"):
    spec = json.loads(path.read_text())
    named = set(spec["named_strings"])
    cache: dict[str, GoType] = {}

    def expr(e):
        if e.startswith("*"):
            return ptr(expr(e[1:]))
        if e.startswith("[]"):
            return slice_of(expr(e[2:]))
        if e.startswith("map[string]"):
            el = expr(e[len("map[string]"):])
            return GoType("map", "map[string]" + el.name, el)
        if e == "string":
            return STRING_T
        if e == "int":
            return INT_T
        if e == "bool":
            return BOOL_T
        if e == "any":
            return ANY_T
        if e in named:
            return GoType("string", "main." + e)
        return struct(e)

    def struct(name):
        if name not in cache:
            cache[name] = GoType("struct", "main." + name, None,
                                 tuple((k, expr(t)) for k, t in spec["structs"][name]))
        return cache[name]

    return struct(spec["root"])


CONFIG = load_types()


def data_of(case):
    x = case["in"]
    return base64.b64decode(x["b64"]) if isinstance(x, dict) else x.encode("utf-8")


def text_out(s):
    b = s.encode("utf-8", "surrogateescape")
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return {"bytes": base64.b64encode(b).decode()}


def node_tree(n):
    out = {"k": KIND[n.kind], "t": n.tag, "s": n.style,
           "v": text_out(n.value) if n.kind in ("scalar", "alias") else "", "l": n.line, "c": n.column}
    if n.anchor:
        out["a"] = n.anchor
    if n.kind == "alias":
        out["al"] = [n.alias.line, n.alias.column]
    if n.kind == "map" and n.value:
        out["ch"] = [node_tree(x) for kv in n.value for x in kv]
    if n.kind == "seq" and n.value:
        out["ch"] = [node_tree(c) for c in n.value]
    return out


def any_value(v):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, g.GoUint64):
        return {"uint64": str(int(v))}
    if isinstance(v, int):
        return {"int": str(v)}
    if isinstance(v, float):
        return {"float": v}
    if isinstance(v, str):
        return text_out(v)
    if isinstance(v, datetime.datetime):
        return {"time": v}
    if isinstance(v, list):
        return [any_value(x) for x in v]
    if isinstance(v, g.GoAnyMap):
        pairs = [[any_value(k), any_value(x)] for k, x in v.items()]
        return {"imap": sorted(pairs, key=lambda p: json.dumps(norm(p), sort_keys=True))}
    if isinstance(v, dict):
        return {"smap": {k: any_value(x) for k, x in v.items()}}
    raise AssertionError("unexpected value %r" % (v,))


_ABSENT = object()


def go_is_zero(t, v):
    if v is _ABSENT or v is None:
        return True
    k = t.kind
    if k == "struct":
        return all(go_is_zero(ft, v.get(fk, _ABSENT)) for fk, ft in t.fields)
    if k in ("ptr", "slice", "map", "any"):
        return False
    return v == "" if k == "string" else (v == 0 if k == "int" else v is False)


def go_value(t, v):
    """The Go harness's rendering of a decoded value of type t."""
    k = t.kind
    if k == "struct":
        d = {} if v is _ABSENT or v is None else v
        return {fk: go_value(ft, d.get(fk, _ABSENT)) for fk, ft in t.fields if not go_is_zero(ft, d.get(fk, _ABSENT))}
    if v is _ABSENT or v is None:
        return None if k in ("ptr", "slice", "map", "any") else go_value(t, {"string": "", "int": 0, "bool": False}[k])
    if k == "ptr":
        return {"p": go_value(t.elem, v)}
    if k == "slice":
        return [go_value(t.elem, x) for x in v]
    if k == "map":
        return {kk: go_value(t.elem, x) for kk, x in v.items()}
    if k == "any":
        return any_value(v)
    if k == "string":
        return text_out(v)
    return v


def norm(x):
    """Floats compared by value; times to microseconds (Python's datetime resolution)."""
    if isinstance(x, dict):
        if set(x) == {"float"}:
            f = x["float"]
            if isinstance(f, str):
                f = float({"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(f, f))
            return {"float": "nan" if f != f else repr(f)}
        if set(x) == {"time"}:
            t = x["time"]
            if isinstance(t, str):
                m = re.match(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", t)
                frac = (m.group(2) or "")[1:7].rstrip("0")
                tz = "+00:00" if m.group(3) == "Z" else m.group(3)
                return {"time": m.group(1) + ("." + frac if frac else "") + tz}
            frac = ("%06d" % t.microsecond).rstrip("0")
            secs = int(t.utcoffset().total_seconds())
            tz = "%s%02d:%02d" % ("-" if secs < 0 else "+", abs(secs) // 3600, abs(secs) % 3600 // 60)
            return {"time": "%04d" % t.year + t.strftime("-%m-%dT%H:%M:%S") + ("." + frac if frac else "") + tz}
        return {k: norm(v) for k, v in x.items()}
    if isinstance(x, list):
        return [norm(v) for v in x]
    return x


def outcome(f):
    try:
        return {"val": f()}
    except g.GoPanic as e:
        return {"panic": e.message}
    except g.YAMLError as e:
        return {"err": text_out(e.message)}


def run(data, what, parse=g.parse):
    res = {}
    if "stub" in what:
        def stub():
            v = g.decode(parse(data), g._COMMON_FIELDS)
            return [text_out(v.get("version", "")), text_out(v.get("variant", ""))]
        res["stub"] = outcome(stub)
    if "node" in what:
        res["node"] = outcome(lambda: (lambda n: "empty" if n is None else node_tree(n))(parse(data)))
    if "dec" in what:
        def dec():
            n = parse(data)
            if n is None:
                raise g.YAMLError("EOF")
            return go_value(CONFIG, g.decode(n, CONFIG))
        res["dec"] = outcome(dec)
    if "any" in what:
        def anyv():
            n = parse(data)
            if n is None:
                raise g.YAMLError("EOF")
            return any_value(g.decode(n, ANY_T))
        res["any"] = outcome(anyv)
    return res


def load(name):
    cases = json.loads((FIX / name).read_text())["cases"]
    return [pytest.param(c, id="%s-%d" % (name.split(".")[0], i)) for i, c in enumerate(cases)]


def check(case, parse=g.parse):
    data = data_of(case)
    want = norm(case["go"])
    got = norm(run(data, set(want), parse))
    for part in want:
        assert got[part] == want[part], "%s differs for %r" % (part, data[:200])


@pytest.mark.parametrize("case", load("positions.json"))
def test_positions(case):
    check(case)


@pytest.mark.parametrize("case", load("decode.json"))
def test_decode(case):
    check(case)


@pytest.mark.parametrize("case", load("errors.json"))
def test_errors(case):
    check(case)


@pytest.mark.parametrize("name", ["positions.json", "decode.json", "errors.json"])
def test_port_alone(name):
    """The pure-Python port (used for errors and odd inputs) agrees with Go on every fixture."""
    bad = []
    for p in load(name):
        case = p.values[0]
        want = norm(case["go"])
        got = norm(run(data_of(case), set(want), g._parse_slow))
        if got != want:
            bad.append(data_of(case)[:80])
    assert not bad


def big_config(n=8000):
    lines = ["variant: fcos", "version: 1.5.0", "storage:", "  files:"]
    for i in range(n):
        lines += [f"    - path: /e/{i:05d}", "      mode: 0644", "      overwrite: true",
                  f"      contents: {{inline: x{i}}}"]
    return ("\n".join(lines) + "\n").encode()


def test_big_config_fast():
    data = big_config()
    assert 550_000 < len(data) < 800_000, len(data)
    assert g._fast_ok(data)
    best = 1e9
    for _ in range(3):
        t = time.perf_counter()
        v = g.decode(g.parse(data), CONFIG)
        best = min(best, time.perf_counter() - t)
    files = v["storage"]["files"]
    assert len(files) == 8000
    assert files[7999] == {"path": "/e/07999", "mode": 420, "overwrite": True, "contents": {"inline": "x7999"}}
    assert best < 1.0  # about 0.15 s on the development machine


def test_fast_and_port_build_the_same_tree():
    data = big_config(300) + b"x: &a [1, '2', \"3\", {k: *a}]\ny: {<<: *a}\nz: |\n  lit\n   eral\nw: >-\n  fold\n  ed\n"
    assert g._fast_ok(data)
    fast = g._parse_fast(data)
    assert node_tree(fast) == node_tree(g._parse_slow(data))


def scalar_documents(n=300):
    """Documents of long scalars in every style (seeded): block scalars with empty,
    blank-only and more-indented lines, folded paragraphs and chomping indicators; plain and
    quoted scalars over several lines, with blanks, comments, escapes and line continuations."""
    rnd = random.Random(16)
    words = ["alpha", "b", "c-d", "e:f", "g#h", "'q'", '"dq"', "é", "x" * 30]

    def line():
        return " ".join(rnd.choice(words) for _ in range(rnd.randrange(1, 8)))

    docs = []
    for _ in range(n):
        ind = rnd.choice([2, 4])
        pad = " " * ind
        out = []
        for k in range(rnd.randrange(1, 4)):
            style = rnd.choice(["|", "|-", "|+", ">", ">-", ">+", "|2", "plain", "double", "single"])
            lines = []
            for _ in range(rnd.randrange(1, 60)):
                r = rnd.random()
                if r < 0.65:
                    lines.append(line())
                elif r < 0.75:
                    lines.append(" " * rnd.randrange(1, 4) + line())
                elif r < 0.85:
                    lines.append("")
                elif r < 0.92:
                    lines.append(" " * rnd.randrange(0, ind + 3) + "\t" * rnd.randrange(2))
                else:
                    lines.append(line() + "  ")
            if style in ("plain", "double", "single"):
                lines = [x.strip() for x in lines if not x.strip().startswith(("#", "-", "?", ":", "'", '"'))]
                lines = [x.replace(": ", ":").replace(" #", "#") for x in lines] or ["v"]
                if style == "double":
                    # Quotes become escapes: a "\\n", or an escaped line break.
                    lines = ['"' + lines[0].replace('"', "\\n")] + [x.replace('"', "\\\n" + pad) for x in lines[1:]]
                    lines[-1] += '"'
                elif style == "single":
                    lines = [x.replace("'", "''") for x in lines]
                    lines[0], lines[-1] = "'" + lines[0], lines[-1] + "'"
                out.append(f"k{k}: " + ("\n" + pad).join(lines).rstrip(" ") + rnd.choice(["", "  # c"]))
            else:
                out.append(f"k{k}: {style}" + "".join("\n" + (pad + x if x.strip() else x) for x in lines))
        docs.append(("\n".join(out) + rnd.choice(["\n", "\n\n", "", "\nnext: 1\n"])).encode())
    return docs


def test_long_scalars_read_in_runs(monkeypatch):
    """The port reads scalars a run at a time: it builds libyaml's trees where libyaml is
    used, and the same trees (or errors) when the reader's refills are emulated throughout
    (as they are when the input has a BOM or a reader error)."""
    docs = scalar_documents()
    fast_checked = 0
    results = []
    for data in docs:
        port = outcome(lambda: node_tree(g._parse_slow(data)))
        results.append(port)
        if g._fast_ok(data):
            try:
                fast = g._parse_fast(data)
            except g._NeedSlow:
                continue
            assert {"val": node_tree(fast)} == port, data
            fast_checked += 1
    assert fast_checked > 100
    prepare = g._Scanner._prepare_text

    def with_refills(self):
        prepare(self)
        self.avail = 0

    monkeypatch.setattr(g._Scanner, "_prepare_text", with_refills)
    for data, port in zip(docs, results):
        assert outcome(lambda: node_tree(g._parse_slow(data))) == port, data


def billion_laughs(levels=9, width=9, target=b"t_any"):
    lines = [b"l0: &l0 [" + b",".join([b"lol"] * width) + b"]"]
    for i in range(1, levels):
        lines.append(b"l%d: &l%d [" % (i, i) + b",".join([b"*l%d" % (i - 1)] * width) + b"]")
    return b"\n".join(lines + [target + b": *l%d" % (levels - 1)]) + b"\n"


@pytest.mark.parametrize("target", [b"t_any", b"t_anys", b"t_nested"])
def test_billion_laughs_refused_quickly(target):
    t = time.perf_counter()
    with pytest.raises(g.YAMLError) as e:
        g.decode(g.parse(billion_laughs(target=target)), CONFIG)
    assert time.perf_counter() - t < 1.0
    if target != b"t_nested":
        assert e.value.message == "yaml: document contains excessive aliasing"


def test_aliases_allowed_within_the_ratio():
    # 4000 plain nodes then 3800 expansions of 101 nodes: under yaml.v3's 99% alias ratio.
    data = b"a: &a [" + b",".join([b"x"] * 100) + b"]\nt_anys: [" + b",".join([b"x"] * 4000 + [b"*a"] * 3800) + b"]\n"
    v = g.decode(g.parse(data), CONFIG)
    assert len(v["t_anys"]) == 7800 and v["t_anys"][-1] == ["x"] * 100


def test_empty_inputs():
    for data in (b"", b"\n", b"# just a comment\n", b"\xef\xbb\xbf"):
        assert g.parse(data) is None
        assert g.stub_decode(data) == ("", "")
        assert g.unmarshal(data, CONFIG) == {}
        with pytest.raises(g.YAMLError) as e:
            g.decoder_decode(data, CONFIG)
        assert e.value.message == "EOF"
    # An explicit empty document is a null node, not "no document".
    n = g.parse(b"---\n")
    assert n is not None and n.tag == "!!null" and (n.line, n.column) == (2, 1)
    assert g.decoder_decode(b"---\n", CONFIG) == {}


def test_stub_decode():
    assert g.stub_decode(b"variant: fcos\nversion: 1.4.0\nstorage: {files: [{path: a, path: b}]}\n") == ("1.4.0", "fcos")
    assert g.stub_decode(b"version: 1.0\nvariant: ~\n") == ("1.0", "")
    with pytest.raises(g.YAMLError) as e:
        g.stub_decode(b"- a\n")
    assert e.value.message == "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into config.commonFields"
    with pytest.raises(g.YAMLError) as e:
        g.stub_decode(b"variant: fcos\nversion: 1.0.0\nstorage:\n  files:\n  - path: /a\n     mode: 0644\n")
    assert e.value.message == "yaml: line 6: mapping values are not allowed in this context"


def test_null_into_kinds():
    v = g.decode(g.parse(b"t_pint: ~\nt_int: ~\nt_str:\nt_strs: ~\nt_map: null\nt_any: ~\nt_struct: ~\nt_pstruct: ~\n"
                         b"t_pstrs: [a, ~]\n"), CONFIG)
    assert v == {"t_pstrs": ["a", None]}
    v = g.decode(g.parse(b"t_strs: [a, ~, b]\nt_structs: [~, {id: 1}]\nt_pstructs: [~]\nt_map: {a: ~}\nt_anys: [~]\n"),
                 CONFIG)
    assert v == {"t_strs": ["a", "b"], "t_structs": [{"id": 1}], "t_pstructs": [None], "t_map": {"a": ""},
                 "t_anys": [None]}


def test_merge_precedence():
    v = g.decode(g.parse(b"a: &a {t_int: 1, t_str: a}\nb: &b {t_int: 2, t_bool: true, t_str: b}\n"
                         b"<<: [*a, *b]\nt_str: own\n"), CONFIG)
    assert v == {"t_int": 1, "t_str": "own", "t_bool": True}


def test_scalar_resolution():
    n = g.parse(b"[0644, 0o644, 0x1a4, 0b1, +1, 1_000, 1e3, 1.5, yes, ~, '', 2001-12-14, .inf, <<, !!str 1]")
    assert [c.tag for c in n.value] == ["!!int", "!!int", "!!int", "!!int", "!!int", "!!int", "!!float", "!!float",
                                        "!!str", "!!null", "!!str", "!!timestamp", "!!float", "!!merge", "!!str"]
    assert g.decode(n, slice_of(ANY_T))[:8] == [420, 420, 420, 1, 1, 1000, 1000.0, 1.5]
