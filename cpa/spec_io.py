"""Specs as JSON documents (for ``cpa compile spec.json``).

Numbers are ``"p/q"`` strings or integers.  Forms::

    {"type": "max_affine", "A": [["1", "2"], ...], "b": ["0", ...]}
    {"type": "min_affine", "A": ..., "b": ...}
    {"type": "dc", "g": {max_affine}, "h": {max_affine}}
    {"type": "breakpoints1d", "breakpoints": [...], "values": [...], "left_slope": "0", "right_slope": "1"}
    {"type": "breakpoints1d", "breakpoints": [...], "slopes": [...], "value": "0"}
    {"type": "expression", "expr": "Max(x, y) - Abs(x)", "variables": ["x", "y"]}
    {"type": "pieces", "pieces": [{"A": [["1"]], "b": ["0"], "c": ["-1"], "d": "0"}, ...],
     "box": [["-1"], ["1"]]}                       (box optional: default all of R^d)

Reading never evaluates code: expressions go through cpa's own parser.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import CPAError, FormatError
from .numbers import parse_rational_str
from .specs import DC, Breakpoints1D, Expression, MaxAffine, MinAffine, Spec, parse

__all__ = ["spec_from_dict", "spec_to_dict", "load_spec"]


def _nums(v: Any, where: str) -> list[Any]:
    if not isinstance(v, list):
        raise FormatError(f"{where}: expected a list")
    return [parse_rational_str(t, f"{where}[{i}]") for i, t in enumerate(v)]


def _mat(v: Any, where: str) -> list[list[Any]]:
    if not isinstance(v, list):
        raise FormatError(f"{where}: expected a list of rows")
    return [_nums(r, f"{where}[{i}]") for i, r in enumerate(v)]


def spec_from_dict(doc: Any, where: str = "spec") -> Spec:
    """Build a spec from its JSON form (see the module docstring)."""
    if not isinstance(doc, dict) or "type" not in doc:
        raise FormatError(f"{where}: expected an object with a \"type\" field")
    kind = doc["type"]
    try:
        if kind in ("max_affine", "min_affine"):
            cls = MaxAffine if kind == "max_affine" else MinAffine
            return cls(_mat(doc.get("A"), f"{where}.A"), _nums(doc.get("b"), f"{where}.b"))
        if kind == "dc":
            g, h = spec_from_dict(doc.get("g"), f"{where}.g"), spec_from_dict(doc.get("h"), f"{where}.h")
            return DC(g, h)  # type: ignore[arg-type]
        if kind == "breakpoints1d":
            t = _nums(doc.get("breakpoints"), f"{where}.breakpoints")
            if "slopes" in doc:
                return Breakpoints1D.from_slopes(t, _nums(doc["slopes"], f"{where}.slopes"),
                                                 parse_rational_str(doc.get("value", 0), f"{where}.value"))
            return Breakpoints1D(t, _nums(doc.get("values"), f"{where}.values"),
                                 parse_rational_str(doc.get("left_slope", 0), f"{where}.left_slope"),
                                 parse_rational_str(doc.get("right_slope", 0), f"{where}.right_slope"))
        if kind == "pieces":
            from .pieces import Pieces

            raw = doc.get("pieces")
            if not isinstance(raw, list):
                raise FormatError(f"{where}.pieces: expected a list of pieces")
            pieces = []
            for k, pc in enumerate(raw):
                if not isinstance(pc, dict):
                    raise FormatError(f"{where}.pieces[{k}]: expected an object with A, b, c, d")
                pieces.append((_mat(pc.get("A"), f"{where}.pieces[{k}].A"), _nums(pc.get("b"), f"{where}.pieces[{k}].b"),
                               _nums(pc.get("c"), f"{where}.pieces[{k}].c"),
                               parse_rational_str(pc.get("d", 0), f"{where}.pieces[{k}].d")))
            domain = None
            if "box" in doc:
                from .domains import Box

                domain = Box(_nums(doc["box"][0], f"{where}.box[0]"), _nums(doc["box"][1], f"{where}.box[1]"))
            return Pieces(pieces, domain)
        if kind == "expression":
            expr = doc.get("expr")
            if not isinstance(expr, str):
                raise FormatError(f"{where}.expr: expected a string")
            return parse(expr, doc.get("variables"))
    except FormatError:
        raise
    except CPAError as e:
        raise type(e)(f"{where}: {e}") from None
    raise FormatError(f"{where}: unknown spec type {kind!r} (expected max_affine, min_affine, dc, "
                      "breakpoints1d, pieces or expression)")


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    """The JSON form of a spec (exact)."""
    def q(v: Any) -> str:
        return str(v)
    if isinstance(spec, (MaxAffine, MinAffine)):
        return {"type": "max_affine" if isinstance(spec, MaxAffine) else "min_affine",
                "A": [[q(v) for v in r] for r in spec.A], "b": [q(v) for v in spec.b]}
    if isinstance(spec, DC):
        return {"type": "dc", "g": spec_to_dict(spec.g), "h": spec_to_dict(spec.h)}
    if isinstance(spec, Breakpoints1D):
        return {"type": "breakpoints1d", "breakpoints": [q(v) for v in spec.breakpoints],
                "values": [q(v) for v in spec.values], "left_slope": q(spec.left_slope),
                "right_slope": q(spec.right_slope)}
    if isinstance(spec, Expression):
        return {"type": "expression", "expr": str(spec), "variables": list(spec.variables)}
    raise FormatError(f"no JSON form for {type(spec).__name__}")


def load_spec(path: str) -> Spec:
    """Read a spec JSON file."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except OSError as e:
        raise FormatError(f"cannot read spec file {path!r}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise FormatError(f"malformed JSON in {path!r}: {e.msg} at line {e.lineno}") from None
    return spec_from_dict(doc)
