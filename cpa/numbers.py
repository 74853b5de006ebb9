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

import contextlib
import math
import numbers as _abc
import re
import sys
import threading
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterable, Iterator, Sequence

from . import limits
from .errors import InvalidNumberError, ShapeError

__all__ = [
    "Rational",
    "to_rational",
    "to_vector",
    "to_matrix",
    "rational_str",
    "parse_rational_str",
    "abbreviate",
    "int_to_str",
    "str_to_int",
    "power",
    "ZERO",
    "ONE",
]

Rational = Fraction
ZERO = Fraction(0)
ONE = Fraction(1)


def _where(where: str | None) -> str:
    return f" at {where}" if where else ""


# --- text of big numbers -------------------------------------------------------
#
# Python refuses int <-> str conversions of more than 4300 digits
# (sys.get_int_max_str_digits) with a ValueError.  cpa supports numbers of up to
# cpa.limits.max_digits digits, so the conversions below lift Python's limit for
# the one conversion (under a lock, restoring it after) and refuse beyond
# max_digits with a LimitError instead.

_INT_STR_LOCK = threading.RLock()
_PY_LIMIT_SAFE_BITS = 13_000  # below 4300 decimal digits: Python's own conversion is allowed


@contextlib.contextmanager
def allow_int_str_digits(n_digits: int) -> Iterator[None]:
    """Inside the block, Python converts ints of up to ``n_digits`` digits to and from text.

    Python's process-wide limit (:func:`sys.set_int_max_str_digits`, 4300 by default) is
    raised only if it is lower, and restored on exit.  Use it around ``json.dumps`` of a
    document holding big ints; single numbers go through :func:`int_to_str` and
    :func:`str_to_int`.
    """
    getter = getattr(sys, "get_int_max_str_digits", None)
    if getter is None:  # Python < 3.11 has no limit
        yield
        return
    with _INT_STR_LOCK:
        old = getter()
        if old == 0 or old >= n_digits:
            yield
            return
        sys.set_int_max_str_digits(max(int(n_digits), 640))
        try:
            yield
        finally:
            sys.set_int_max_str_digits(old)


def _approx_digits(n: int) -> int:
    """An upper bound on the decimal digits of ``|n|`` (exceeds the truth by at most 1)."""
    return int(n.bit_length() * 0.30103) + 1


def int_to_str(n: int, what: str = "a number") -> str:
    """Decimal text of the integer ``n``, whatever Python's int/str limit.

    Raises :class:`~cpa.errors.LimitError` if ``n`` has more than
    ``cpa.limits.current().max_digits`` digits.

    Parameters
    ----------
    n
        The integer to write.
    what
        What ``n`` is, named in the error message if it is refused.

    Returns
    -------
    str
        The decimal text of ``n``.

    Raises
    ------
    LimitError
        If ``n`` has more than ``max_digits`` digits.
    """
    if n.bit_length() <= _PY_LIMIT_SAFE_BITS:
        return str(n)
    limits.check_int(n, what)
    with allow_int_str_digits(_approx_digits(n) + 1):
        return str(n)


def str_to_int(s: str, where: str | None = None) -> int:
    """The integer written in ``s`` (optional sign, then ASCII digits 0-9 only).

    Unlike ``int()``, Unicode digits (``"١"``, ``"１"``) are refused, and Python's
    4300-digit limit does not apply: up to ``max_digits`` digits are read, more are
    refused with :class:`~cpa.errors.LimitError`.

    Parameters
    ----------
    s
        The text; surrounding whitespace is ignored.
    where
        A location used in error messages.

    Returns
    -------
    int
        The integer written in ``s``.

    Raises
    ------
    InvalidNumberError
        If ``s`` is not an optionally signed string of ASCII digits (non-ASCII digits are
        named in the message).
    LimitError
        If ``s`` has more than ``max_digits`` digits.
    """
    t = s.strip()
    body = t[1:] if t[:1] in ("+", "-") else t
    if not body or not (body.isascii() and body.isdigit()):
        _refuse_unicode_digits(s, where)
        raise InvalidNumberError(f"cannot read '{abbreviate(s)}'{_where(where)} as an integer")
    n = _digits_to_int(body, f"the integer '{abbreviate(s)}'{_where(where)}")
    return -n if t[0] == "-" else n


def _long_digits_to_int(digits: str, what: str) -> int:
    limits.check_digits(len(digits), what)
    with allow_int_str_digits(len(digits) + 1):
        return int(digits)


def _refuse_unicode_digits(s: str, where: str | None) -> None:
    for ch in s:
        if not ch.isascii() and (ch.isdigit() or ch.isnumeric()):
            try:
                import unicodedata

                name = unicodedata.name(ch)
            except ValueError:
                name = "unnamed"
            raise InvalidNumberError(
                f"'{abbreviate(s)}'{_where(where)} contains the non-ASCII digit {ch!r} (U+{ord(ch):04X} {name}); "
                f"write numbers with the ASCII digits 0-9")


def abbreviate(value: Any, limit: int = 60) -> str:
    """A one-line text of ``value`` for an error message: at most ``limit`` characters of it.

    Longer text keeps its first ``limit`` characters and says how long it was:
    ``"1234567890... (5001 characters)"``.  Control characters (newlines) are
    escaped, so the result is always one line.  Big ints and Fractions are
    abbreviated without converting all their digits.

    Parameters
    ----------
    value
        Any value; strings are used as they are, Fractions and ints are abbreviated
        from their digits, anything else through ``str(value)``.
    limit
        The number of characters of the text kept.

    Returns
    -------
    str
        One line of at most ``limit`` characters of the text, followed by its length
        when it was cut.

    Examples
    --------
    >>> abbreviate("1" * 100, limit=10)
    '1111111111... (100 characters)'
    >>> abbreviate(10 ** 5000, limit=10)
    '1000000000... (about 5001 digits)'
    """
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return abbreviate(value.numerator, limit)
        p, q = value.numerator, value.denominator
        if max(p.bit_length(), q.bit_length()) <= _PY_LIMIT_SAFE_BITS:
            return abbreviate(f"{p}/{q}", limit)
        half = max(limit // 2, 1)
        return f"{abbreviate(p, half)}/{abbreviate(q, half)}"
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() <= _PY_LIMIT_SAFE_BITS:
            text = str(value)
            return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
        digits = _approx_digits(value)
        sign = "-" if value < 0 else ""
        if digits > 1_000_000:  # not worth dividing for the leading digits
            return f"{sign}<an integer of about {digits} digits>"
        head = abs(value) // 10 ** max(digits - limit - 2, 0)  # a short quotient: linear time
        return f"{sign}{str(head)[:limit]}... (about {digits} digits)"
    if isinstance(value, str):
        text = value
    else:
        try:
            text = str(value)
        except ValueError:  # e.g. a number type whose text exceeds Python's limit
            return f"<{type(value).__name__}>"
    n = len(text)
    head = text if n <= limit else text[:limit]
    if not head.isprintable():
        head = "".join(c if c.isprintable() else repr(c)[1:-1] for c in head)
    return head if n <= limit else f"{head}... ({n} characters)"


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
        return _from_decimal(x, where)
    if isinstance(x, complex) or isinstance(x, _abc.Complex) and not isinstance(x, _abc.Real):
        raise InvalidNumberError(f"complex value {x!r}{_where(where)}; only real rationals are allowed")
    raise InvalidNumberError(f"cannot read {x!r} (type {type(x).__name__}){_where(where)} as an exact rational")


# sign, then p/q or a decimal with an exponent; ASCII digits only (re.ASCII), as
# fractions.Fraction reads them otherwise (underscores between digits included)
_NUMBER = re.compile(r"""
    (?P<sign>[-+]?)
    (?=\d|\.\d)
    (?P<num>\d*|\d+(?:_\d+)*)
    (?:
        (?:/(?P<den>\d+(?:_\d+)*))?
      |
        (?:\.(?P<frac>\d*|\d+(?:_\d+)*))?
        (?:[eE](?P<exp>[-+]?\d+(?:_\d+)*))?
    )
    \Z""", re.VERBOSE | re.ASCII)


def _from_string(s: str, where: str | None) -> Fraction:
    t = "".join(s.split())  # "1 000", " 3 / 7 " as fractions.Fraction reads them
    if t.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise InvalidNumberError(f"non-finite value '{abbreviate(s)}'{_where(where)}")
    m = _NUMBER.match(t)
    if m is None:
        _refuse_unicode_digits(s, where)
        raise InvalidNumberError(f"cannot read '{abbreviate(s)}'{_where(where)} as a rational "
                                 f"(expected forms like 3, -3/7, 0.1, 1e-3)")
    what = f"the number '{abbreviate(s)}'{_where(where)}"
    negative = m.group("sign") == "-"
    num = m.group("num").replace("_", "")
    if m.group("den") is not None:
        den = m.group("den").replace("_", "").lstrip("0")
        if not den:
            raise InvalidNumberError(f"'{abbreviate(s)}'{_where(where)} has a zero denominator")
        q = Fraction(_digits_to_int(num, what), _digits_to_int(den, what))
    else:
        frac = (m.group("frac") or "").replace("_", "")
        q = _scaled(num + frac, m.group("exp"), len(frac), what)
    return -q if negative else q


def _digits_to_int(digits: str, what: str) -> int:
    digits = digits.lstrip("0") or "0"
    if len(digits) <= 4000:
        limits.check_digits(len(digits), what)
        return int(digits)
    return _long_digits_to_int(digits, what)


def _scaled(mantissa: str, exp_text: str | None, frac_len: int, what: str) -> Fraction:
    """``int(mantissa) * 10**(exp - frac_len)``, refused before it is computed if too large."""
    mantissa = mantissa.lstrip("0")
    if not mantissa:
        return ZERO  # 0e99999999 is 0: the exponent is never used
    shift = -frac_len
    if exp_text is not None:
        e = exp_text.replace("_", "")
        sign = -1 if e[:1] == "-" else 1
        e = e.lstrip("+-").lstrip("0") or "0"
        cap = limits.current().max_exponent
        if len(e) > len(str(cap)) or int(e) > cap:
            raise limits.refuse(f"the exponent of {what}", "max_exponent",
                                f"{'-' if sign < 0 else ''}{abbreviate(e, 20)}")
        shift += sign * int(e)
    stripped = mantissa.rstrip("0")
    shift += len(mantissa) - len(stripped)
    return _decimal_value(stripped, shift, what)


def _decimal_value(digits: str, shift: int, what: str) -> Fraction:
    """``int(digits) * 10**shift`` for a digit string without leading or trailing zeros."""
    if shift >= 0:
        limits.check_digits(len(digits) + shift, what)
        return Fraction(_digits_to_int(digits, what) * 10 ** shift)
    limits.check_digits(len(digits), what)
    limits.check_digits(1 - shift, f"the denominator of {what}")
    return Fraction(_digits_to_int(digits, what), 10 ** -shift)


def _from_decimal(x: Decimal, where: str | None) -> Fraction:
    if not x.is_finite():
        raise InvalidNumberError(f"non-finite value {abbreviate(x)}{_where(where)}")
    sign, digits, exp = x.as_tuple()
    text = "".join(map(str, digits)).lstrip("0")
    if not text:
        return ZERO
    what = f"the Decimal {abbreviate(x)}{_where(where)}"
    if abs(exp) > limits.current().max_exponent:
        raise limits.refuse(f"the exponent of {what}", "max_exponent", exp)
    stripped = text.rstrip("0")
    q = _decimal_value(stripped, int(exp) + len(text) - len(stripped), what)
    return -q if sign else q


def power(base: Fraction, exponent: int, what: str = "a power") -> Fraction:
    """``base ** exponent`` exactly, refused *before* it is computed if the result would be too large.

    Raises :class:`~cpa.errors.LimitError` when ``|exponent|`` exceeds ``max_exponent``
    (unless ``base`` is 0 or +-1) or the result would have more than ``max_digits``
    digits; ``ZeroDivisionError``-free: ``0 ** -k`` raises :class:`InvalidNumberError`.

    Parameters
    ----------
    base
        The base, any value :func:`to_rational` accepts.
    exponent
        The integer exponent (negative exponents give the reciprocal power).
    what
        What the power is, named in error messages.

    Returns
    -------
    Fraction
        ``base ** exponent``.

    Raises
    ------
    LimitError
        If ``|exponent|`` exceeds ``max_exponent`` (unless ``base`` is 0 or +-1) or the result
        would have more than ``max_digits`` digits.
    InvalidNumberError
        If ``base`` is 0 and ``exponent`` is negative, or ``base`` is not a number
        :func:`to_rational` accepts.
    """
    base = to_rational(base)
    exponent = int(exponent)
    if exponent == 0:
        return ONE
    if base == 0:
        if exponent < 0:
            raise InvalidNumberError(f"{what} divides by zero")
        return ZERO
    if base.denominator == 1 and abs(base.numerator) == 1:
        return Fraction(-1) if base < 0 and exponent % 2 else ONE
    cap = limits.current().max_exponent
    if abs(exponent) > cap:
        raise limits.refuse(what, "max_exponent", f"exponent {abbreviate(exponent, 20)}")
    size = max(abs(base.numerator), base.denominator)
    limits.check_digits(int(abs(exponent) * math.log10(size)) + 1, what)
    return base ** exponent
def to_vector(v: Any, where: str = "vector", length: int | None = None) -> tuple[Fraction, ...]:
    """Return a 1-D sequence as a tuple of Fractions (a scalar is refused).

    Parameters
    ----------
    v
        A 1-D sequence (list, tuple, 1-D array, ...) of numbers :func:`to_rational` accepts.
    where
        The name of the vector in error messages; entry ``i`` is named ``where[i]``.
    length
        The required length, or None for any length.

    Returns
    -------
    tuple of Fraction
        The entries of ``v``, exactly.

    Raises
    ------
    ShapeError
        If ``v`` is a string, a scalar or not a sequence, an entry is itself a sequence,
        or ``v`` does not have ``length`` entries.
    InvalidNumberError
        If an entry is not a number :func:`to_rational` accepts.
    """
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
    """Return a 2-D sequence as a tuple of rows of Fractions; ragged rows are refused.

    Parameters
    ----------
    m
        A 2-D sequence (list of rows, 2-D array, ...) of numbers :func:`to_rational` accepts.
    where
        The name of the matrix in error messages; row ``i`` is named ``where[i]``.
    cols
        The required number of columns, or None for the length of the first row.

    Returns
    -------
    tuple of tuple of Fraction
        The rows of ``m``, exactly.

    Raises
    ------
    ShapeError
        If ``m`` is not a 2-D sequence, a row is not a sequence, or the rows do not all have
        the same length (``cols`` when given).
    InvalidNumberError
        If an entry is not a number :func:`to_rational` accepts.
    """
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
    """Exact text form: ``"3"`` or ``"-3/7"`` (numbers beyond Python's 4300 digits too).

    Parameters
    ----------
    q
        The rational number.

    Returns
    -------
    str
        ``"p"`` when ``q`` is an integer, ``"p/q"`` otherwise (in lowest terms).

    Raises
    ------
    LimitError
        If the numerator or denominator has more than ``max_digits`` digits.
    """
    if q.denominator == 1:
        return int_to_str(q.numerator)
    return int_to_str(q.numerator) + "/" + int_to_str(q.denominator)


def parse_rational_str(s: Any, where: str | None = None) -> Fraction:
    """Read a JSON number field: a ``"p/q"`` string or an integer (floats refused as inexact).

    Parameters
    ----------
    s
        The field: a string (read as :func:`to_rational` reads strings, e.g. ``"3/7"``,
        ``"0.1"``) or an int.
    where
        A location used in error messages.

    Returns
    -------
    Fraction
        The number written in ``s``.

    Raises
    ------
    InvalidNumberError
        If ``s`` is neither a string nor an int (floats and bools are refused), or the
        string is not a rational number.
    LimitError
        If the number is too large for the current limits.
    """
    if isinstance(s, str):
        return _from_string(s, where)
    if isinstance(s, int) and not isinstance(s, bool):
        return Fraction(s)
    raise InvalidNumberError(f"expected a rational written as \"p/q\"{_where(where)}, got {s!r}")


def rationals(values: Iterable[Any], where: str = "value") -> list[Fraction]:
    return [to_rational(v, f"{where}[{i}]") for i, v in enumerate(values)]
