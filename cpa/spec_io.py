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
    {"type": "simplicial", "vertices": [["0", "0"], ["1", "0"], ["0", "1"]], "simplices": [[0, 1, 2]],
     "values": ["0", "1", "1/2"]}                  (a P1 interpolant, :class:`~cpa.simplicial.Simplicial`)

Reading never evaluates code: expressions go through cpa's own parser.  A
missing field, a field of the wrong type, an unknown field (a misspelt
``left_slope`` would otherwise silently default to 0) and a number that is not
exact are refused with a :class:`~cpa.errors.FormatError` naming the field
(``spec.g.A[1][0]``); the file's size, nesting and numbers are bounded by
:mod:`cpa.limits` (:class:`~cpa.errors.LimitError`).
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any

from .errors import CPAError, FormatError, InvalidNumberError, LimitError
from .specs import DC, Breakpoints1D, Expression, MaxAffine, MinAffine, Spec, parse

__all__ = ["spec_from_dict", "spec_to_dict", "load_spec"]

#: spec type -> (required fields, optional fields), besides "type"
_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "max_affine": (("A", "b"), ()),
    "min_affine": (("A", "b"), ()),
    "dc": (("g", "h"), ()),
    "breakpoints1d": (("breakpoints",), ("values", "left_slope", "right_slope", "slopes", "value")),
    "pieces": (("pieces",), ("box",)),
    "expression": (("expr",), ("variables",)),
    "simplicial": (("vertices", "simplices", "values"), ()),
}


def _kind_of(v: Any) -> str:
    return {bool: "a bool", type(None): "null", list: "a list", dict: "an object", str: "a string",
            int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def _num(v: Any, where: str) -> Fraction:
    from .io._guard import read_number

    try:
        return read_number(v, where)
    except InvalidNumberError as e:
        raise FormatError(str(e)) from None


def _nums(v: Any, where: str) -> list[Fraction]:
    if not isinstance(v, list):
        raise FormatError(f"{where}: expected a list of numbers, got {_kind_of(v)}")
    return [_num(t, f"{where}[{i}]") for i, t in enumerate(v)]


def _mat(v: Any, where: str) -> list[list[Fraction]]:
    if not isinstance(v, list):
        raise FormatError(f"{where}: expected a list of rows, got {_kind_of(v)}")
    return [_nums(r, f"{where}[{i}]") for i, r in enumerate(v)]


def _check_fields(doc: dict[str, Any], kind: str, where: str) -> None:
    from .io._guard import listing

    required, optional = _FIELDS[kind]
    missing = [k for k in required if k not in doc]
    if missing:
        raise FormatError(f"{where}: a {kind} spec needs the field{'s' if len(missing) > 1 else ''} "
                          f"{', '.join(repr(k) for k in missing)}")
    stray = [k for k in doc if k != "type" and k not in required and k not in optional]
    if stray:
        raise FormatError(f"{where}: unknown field{'s' if len(stray) > 1 else ''} {listing(map(repr, stray))} "
                          f"in a {kind} spec (its fields: {', '.join(required + optional)})")


def spec_from_dict(doc: Any, where: str = "spec") -> Spec:
    """Build a spec from its JSON form (see the module docstring).

    Parameters
    ----------
    doc
        The parsed JSON document: an object with a ``"type"`` field.
    where
        The name of the document in error messages.

    Returns
    -------
    Spec
        The spec.

    Raises
    ------
    FormatError
        For a document that is not a spec: the message names the field.
    LimitError
        For a number beyond :mod:`cpa.limits`.
    SpecError, ShapeError, ...
        For a well-formed document whose spec is invalid (unsorted breakpoints, ...),
        with ``where`` in front of the message.
    """
    from .io._guard import short

    if not isinstance(doc, dict) or "type" not in doc:
        raise FormatError(f"{where}: expected an object with a \"type\" field")
    kind = doc["type"]
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise FormatError(f"{where}: unknown spec type {short(kind, 40)!r} (expected max_affine, min_affine, dc, "
                          "breakpoints1d, pieces, simplicial or expression)")
    _check_fields(doc, kind, where)
    try:
        return _build(doc, kind, where)
    except (FormatError, LimitError):
        raise
    except CPAError as e:
        if str(e).startswith(where):      # from a part (dc's g, h): already says where
            raise
        raise type(e)(f"{where}: {e}") from None
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, ArithmeticError, RecursionError) as e:
        raise FormatError(f"{where}: cannot build the {kind} spec "
                          f"({type(e).__name__}: {short(str(e), 120)})") from None


def _build(doc: dict[str, Any], kind: str, where: str) -> Spec:
    if kind in ("max_affine", "min_affine"):
        cls = MaxAffine if kind == "max_affine" else MinAffine
        return cls(_mat(doc["A"], f"{where}.A"), _nums(doc["b"], f"{where}.b"))
    if kind == "dc":
        parts = []
        for name in ("g", "h"):
            part = doc[name]
            if not isinstance(part, dict) or part.get("type") != "max_affine":
                got = f"type {str(part.get('type'))[:40]!r}" if isinstance(part, dict) else _kind_of(part)
                raise FormatError(f"{where}.{name}: a dc spec needs two max_affine specs, got {got}")
            parts.append(spec_from_dict(part, f"{where}.{name}"))
        return DC(*parts)  # type: ignore[arg-type]
    if kind == "breakpoints1d":
        t = _nums(doc["breakpoints"], f"{where}.breakpoints")
        if "slopes" in doc:
            clash = [k for k in ("values", "left_slope", "right_slope") if k in doc]
            if clash:
                raise FormatError(f"{where}: give either \"slopes\" (and \"value\") or \"values\" (and the end "
                                  f"slopes), not both: found \"slopes\" and {', '.join(repr(k) for k in clash)}")
            return Breakpoints1D.from_slopes(t, _nums(doc["slopes"], f"{where}.slopes"),
                                             _num(doc.get("value", 0), f"{where}.value"))
        if "values" not in doc:
            raise FormatError(f"{where}: a breakpoints1d spec needs \"values\" (or \"slopes\" and \"value\")")
        if "value" in doc:
            raise FormatError(f"{where}: \"value\" goes with \"slopes\"; with \"values\" give the end slopes "
                              "\"left_slope\" and \"right_slope\"")
        return Breakpoints1D(t, _nums(doc["values"], f"{where}.values"),
                             _num(doc.get("left_slope", 0), f"{where}.left_slope"),
                             _num(doc.get("right_slope", 0), f"{where}.right_slope"))
    if kind == "pieces":
        return _pieces(doc, where)
    if kind == "simplicial":
        return _simplicial(doc, where)
    expr = doc["expr"]
    if not isinstance(expr, str):
        raise FormatError(f"{where}.expr: expected a string, got {_kind_of(expr)}")
    variables = doc.get("variables")
    if variables is not None and not isinstance(variables, str) and not (
            isinstance(variables, list) and all(isinstance(v, str) for v in variables)):
        raise FormatError(f"{where}.variables: expected a list of variable names (strings) or a string "
                          f"\"x,y\", got {_kind_of(variables)}")
    return parse(expr, variables)


def _pieces(doc: dict[str, Any], where: str) -> Spec:
    from .pieces import Pieces

    raw = doc["pieces"]
    if not isinstance(raw, list):
        raise FormatError(f"{where}.pieces: expected a list of pieces, got {_kind_of(raw)}")
    pieces = []
    for k, pc in enumerate(raw):
        at = f"{where}.pieces[{k}]"
        if not isinstance(pc, dict):
            raise FormatError(f"{at}: expected an object with A, b, c, d, got {_kind_of(pc)}")
        missing = [f for f in ("A", "b", "c") if f not in pc]
        stray = [f for f in pc if f not in ("A", "b", "c", "d")]
        if missing or stray:
            from .io._guard import listing

            raise FormatError(f"{at}: " + (f"missing {', '.join(repr(f) for f in missing)}" if missing else
                                           f"unknown field {listing(map(repr, stray))}")
                              + " (a piece has A, b, c and optionally d)")
        pieces.append((_mat(pc["A"], f"{at}.A"), _nums(pc["b"], f"{at}.b"), _nums(pc["c"], f"{at}.c"),
                       _num(pc.get("d", 0), f"{at}.d")))
    domain = None
    if "box" in doc:
        from .domains import Box

        box = doc["box"]
        if not isinstance(box, list) or len(box) != 2:
            raise FormatError(f"{where}.box: expected [lo, hi], two lists of numbers, got "
                              + (f"a list of {len(box)}" if isinstance(box, list) else _kind_of(box)))
        domain = Box(_nums(box[0], f"{where}.box[0]"), _nums(box[1], f"{where}.box[1]"))
    return Pieces(pieces, domain)


def _simplicial(doc: dict[str, Any], where: str) -> Spec:
    """A :class:`~cpa.simplicial.Simplicial` from its fields; shapes are checked here, naming the position.

    Vertices must all have ``d`` coordinates (those of ``vertices[0]``), every simplex ``d + 1``
    integer indices and ``values`` one number per vertex; the mesh itself (distinct indices in
    range, no degenerate or overlapping simplices) is then validated exactly by ``Simplicial``,
    whose message is put after ``where.simplices``.
    """
    from .errors import SpecError
    from .simplicial import Simplicial

    verts = _mat(doc["vertices"], f"{where}.vertices")
    if not verts:
        raise FormatError(f"{where}.vertices: expected at least one vertex, got an empty list")
    d = len(verts[0])
    if d == 0:
        raise FormatError(f"{where}.vertices[0]: expected at least one coordinate, got none")
    for i, v in enumerate(verts):
        if len(v) != d:
            raise FormatError(f"{where}.vertices[{i}]: expected {d} coordinates (as vertices[0]), got {len(v)}")
    raw = doc["simplices"]
    if not isinstance(raw, list) or not raw:
        raise FormatError(f"{where}.simplices: expected a nonempty list of index lists, got "
                          + ("an empty list" if isinstance(raw, list) else _kind_of(raw)))
    simplices = []
    for k, s in enumerate(raw):
        at = f"{where}.simplices[{k}]"
        if not isinstance(s, list):
            raise FormatError(f"{at}: expected a list of {d + 1} vertex indices, got {_kind_of(s)}")
        if len(s) != d + 1:
            raise FormatError(f"{at}: expected {d + 1} vertex indices (a simplex in R^{d}), got {len(s)}")
        for j, i in enumerate(s):
            if isinstance(i, bool) or not isinstance(i, int):
                raise FormatError(f"{at}[{j}]: expected a vertex index (an integer), got {_kind_of(i)}")
            if not 0 <= i < len(verts):
                raise FormatError(f"{at}[{j}]: vertex index {i} is not in 0..{len(verts) - 1}")
        simplices.append(s)
    values = _nums(doc["values"], f"{where}.values")
    if len(values) != len(verts):
        raise FormatError(f"{where}.values: expected {len(verts)} values (one per vertex), got {len(values)}")
    try:
        return Simplicial(verts, simplices, values)
    except SpecError as e:
        raise type(e)(f"{where}.simplices: {e}") from None


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    """The JSON form of a spec (exact).

    Parameters
    ----------
    spec
        A :class:`~cpa.specs.MaxAffine`, :class:`~cpa.specs.MinAffine`, :class:`~cpa.specs.DC`,
        :class:`~cpa.specs.Breakpoints1D`, :class:`~cpa.simplicial.Simplicial` or
        :class:`~cpa.specs.Expression`.

    Returns
    -------
    dict
        The JSON form, with a ``"type"`` field and every number a ``"p/q"`` string.

    Raises
    ------
    FormatError
        For a spec of another type.
    LimitError
        If a number has more than ``max_digits`` digits.
    """
    from .io._guard import number_text

    def q(v: Any) -> str:
        return number_text(v, "spec")
    if isinstance(spec, (MaxAffine, MinAffine)):
        return {"type": "max_affine" if isinstance(spec, MaxAffine) else "min_affine",
                "A": [[q(v) for v in r] for r in spec.A], "b": [q(v) for v in spec.b]}
    if isinstance(spec, DC):
        return {"type": "dc", "g": spec_to_dict(spec.g), "h": spec_to_dict(spec.h)}
    if isinstance(spec, Breakpoints1D):
        return {"type": "breakpoints1d", "breakpoints": [q(v) for v in spec.breakpoints],
                "values": [q(v) for v in spec.values], "left_slope": q(spec.left_slope),
                "right_slope": q(spec.right_slope)}
    from .simplicial import Simplicial

    if isinstance(spec, Simplicial):
        return {"type": "simplicial", "vertices": [[q(v) for v in p] for p in spec.vertices],
                "simplices": [list(s) for s in spec.simplices], "values": [q(v) for v in spec.values]}
    if isinstance(spec, Expression):
        return {"type": "expression", "expr": str(spec), "variables": list(spec.variables)}
    raise FormatError(f"no JSON form for {type(spec).__name__}")


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Read a spec JSON file.

    Parameters
    ----------
    path
        The file to read.

    Returns
    -------
    Spec
        The spec.

    Raises
    ------
    FormatError
        If the file cannot be read, is not JSON, or is not a spec (the message
        names the file and the field).
    LimitError
        If the file, its nesting or a number exceeds :mod:`cpa.limits`.
    """
    from .io._guard import prefixed, read_json_file

    name = os.fspath(path)
    if not os.path.isfile(name):
        raise FormatError(f"cannot read spec file {name!r}: no such file")
    doc = read_json_file(name, "spec file")
    try:
        return spec_from_dict(doc)
    except (FormatError, LimitError) as e:
        raise prefixed(repr(name), e) from None
