"""Exact rationals from user input.

Every number that enters cpa passes through :func:`to_rational`, so the
choice of exact type lives in one place.  The public type is
:class:`fractions.Fraction`.

Accepted: ``int``, :class:`~fractions.Fraction` (and any ``numbers.Rational``,
e.g. ``gmpy2.mpq``), sympy ``Integer``/``Rational``, numpy integers and
floats, Python floats and :class:`~decimal.Decimal` (their exact binary or
decimal value: ``0.1`` is ``3602879701896397/36028797018963968``), and strings
``"3/7"``, ``"-2"``, ``"0.1"`` (= 1/10), ``"1e-3"``.

Rejected with :class:`~cpa.errors.InvalidNumberError`: NaN, infinities,
``bool`` (almost always a mistake), complex numbers and anything else.
"""

from __future__ import annotations

import math
import numbers as _abc
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable, Sequence

from .errors import InvalidNumberError, ShapeError

__all__ = [
    "Rational",
    "to_rational",
    "to_vector",
    "to_matrix",
    "rational_str",
    "parse_rational_str",
    "ZERO",
    "ONE",
]

Rational = Fraction
ZERO = Fraction(0)
ONE = Fraction(1)


def _where(where: str | None) -> str:
    return f" at {where}" if where else ""


def to_rational(x: Any, where: str | None = None) -> Fraction:
    """Return ``x`` as an exact :class:`~fractions.Fraction`.

    Parameters
    ----------
    x
        The value (see the module docstring for what is accepted).
    where
        A location such as ``"layer 1, W[2][0]"`` used in error messages.

    Raises
    ------
    InvalidNumberError
        If ``x`` is NaN, infinite, a bool, complex, or of an unknown type.

    Examples
    --------
    >>> to_rational("3/7"), to_rational("0.1"), to_rational(0.5)
    (Fraction(3, 7), Fraction(1, 10), Fraction(1, 2))
    """
    if type(x) is Fraction:
        return x
    if isinstance(x, bool) or type(x).__name__ in ("bool_", "bool"):
        raise InvalidNumberError(f"bool {x!r}{_where(where)} is not a number; use 0 or 1")
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise InvalidNumberError(f"non-finite value {x!r}{_where(where)}")
        return Fraction(x)
    if isinstance(x, str):
        return _from_string(x, where)
    if isinstance(x, _abc.Rational):
        return Fraction(int(x.numerator), int(x.denominator))
    module = type(x).__module__ or ""
    if module.startswith("sympy"):
        if getattr(x, "is_Rational", False):
            return Fraction(int(x.p), int(x.q))
        raise InvalidNumberError(f"sympy value {x} {type(x).__name__}{_where(where)} is not an exact rational")
    if module == "numpy":
        kind = getattr(getattr(x, "dtype", None), "kind", "")
        if kind in "iu":
            return Fraction(int(x))
        if kind == "f":
            v = float(x)
            if not math.isfinite(v):
                raise InvalidNumberError(f"non-finite value {v!r}{_where(where)}")
            return Fraction(v)
        if kind == "O":
            return to_rational(x.item(), where)
    if isinstance(x, Decimal):
        if not x.is_finite():
            raise InvalidNumberError(f"non-finite value {x!r}{_where(where)}")
        return Fraction(x)
    if isinstance(x, complex) or isinstance(x, _abc.Complex) and not isinstance(x, _abc.Real):
        raise InvalidNumberError(f"complex value {x!r}{_where(where)}; only real rationals are allowed")
    raise InvalidNumberError(f"cannot read {x!r} (type {type(x).__name__}){_where(where)} as an exact rational")


def _from_string(s: str, where: str | None) -> Fraction:
    t = s.strip().replace(" ", "")
    if t.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise InvalidNumberError(f"non-finite value {s!r}{_where(where)}")
    try:
        return Fraction(t)
    except (ValueError, ZeroDivisionError):
        raise InvalidNumberError(f"cannot read {s!r}{_where(where)} as a rational (expected forms like 3, -3/7, 0.1, 1e-3)") from None


def to_vector(v: Any, where: str = "vector", length: int | None = None) -> tuple[Fraction, ...]:
    """Return a 1-D sequence as a tuple of Fractions (a scalar is refused)."""
    if isinstance(v, (str, bytes)) or not _is_sequence(v):
        raise ShapeError(f"{where}: expected a 1-D sequence of numbers, got {type(v).__name__}")
    items = list(v)
    out = []
    for i, x in enumerate(items):
        if _is_sequence(x) and not isinstance(x, str):
            raise ShapeError(f"{where}: expected a 1-D sequence, but entry [{i}] is a sequence")
        out.append(to_rational(x, f"{where}[{i}]"))
    if length is not None and len(out) != length:
        raise ShapeError(f"{where}: expected length {length}, got {len(out)}")
    return tuple(out)


def to_matrix(m: Any, where: str = "matrix", cols: int | None = None) -> tuple[tuple[Fraction, ...], ...]:
    """Return a 2-D sequence as a tuple of rows of Fractions; ragged rows are refused."""
    if isinstance(m, (str, bytes)) or not _is_sequence(m):
        raise ShapeError(f"{where}: expected a 2-D sequence (list of rows), got {type(m).__name__}")
    shape = getattr(m, "shape", None)
    if shape is not None and len(shape) != 2:
        raise ShapeError(f"{where}: expected a 2-D array, got shape {tuple(shape)}")
    rows = []
    width = cols
    for i, row in enumerate(m):
        if isinstance(row, (str, bytes)) or not _is_sequence(row):
            raise ShapeError(f"{where}: row {i} is not a sequence (got {type(row).__name__})")
        r = to_vector(row, f"{where}[{i}]")
        if width is None:
            width = len(r)
        elif len(r) != width:
            raise ShapeError(f"{where}: ragged matrix, row {i} has {len(r)} entries, expected {width}")
        rows.append(r)
    return tuple(rows)


def _is_sequence(x: Any) -> bool:
    if isinstance(x, (list, tuple)):
        return True
    if hasattr(x, "shape") and hasattr(x, "__len__"):
        return len(getattr(x, "shape")) >= 1
    return isinstance(x, Sequence) or (hasattr(x, "__iter__") and hasattr(x, "__len__") and not isinstance(x, dict))


def rational_str(q: Fraction) -> str:
    """Exact text form: ``"3"`` or ``"-3/7"``."""
    return str(q)


def parse_rational_str(s: Any, where: str | None = None) -> Fraction:
    """Read a JSON number field: a ``"p/q"`` string or an integer (floats refused as inexact)."""
    if isinstance(s, str):
        return _from_string(s, where)
    if isinstance(s, int) and not isinstance(s, bool):
        return Fraction(s)
    raise InvalidNumberError(f"expected a rational written as \"p/q\"{_where(where)}, got {s!r}")


def rationals(values: Iterable[Any], where: str = "value") -> list[Fraction]:
    return [to_rational(v, f"{where}[{i}]") for i, v in enumerate(values)]
