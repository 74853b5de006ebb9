"""A small expression language for CPA functions: the IR behind :func:`cpa.parse`.

Nodes (frozen, hashable, exact; constructors keep what the user wrote):

* :class:`Lin`  -- an affine form ``sum_i c_i x_i + c0`` (leaf),
* :class:`Sum`  -- ``e_1 + ... + e_k``,
* :class:`Scale` -- ``c * e`` for a rational ``c``,
* :class:`Max`, :class:`Min` -- of one or more arguments,
* :class:`Abs`  -- ``|e|``.

Every node is continuous piecewise affine, and so is every tree of them:
affine maps are CPA, and CPA functions are closed under sums, rational
multiples, max, min and abs.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Mapping, Sequence

from .numbers import ZERO, rational_str

__all__ = ["Expr", "Lin", "Sum", "Scale", "Max", "Min", "Abs", "evaluate", "to_sympy", "variables_of", "children", "to_text"]


class Expr:
    """Base class of expression nodes."""

    __slots__ = ()


@dataclass(frozen=True)
class Lin(Expr):
    """Affine form ``sum c_i x_i + const``; ``coeffs`` is a sorted tuple of (name, coefficient)."""

    coeffs: tuple[tuple[str, Fraction], ...]
    const: Fraction = ZERO

    @staticmethod
    def of(coeffs: Mapping[str, Fraction], const: Fraction = ZERO) -> "Lin":
        return Lin(tuple(sorted((k, v) for k, v in coeffs.items() if v)), Fraction(const))

    @property
    def is_constant(self) -> bool:
        return not self.coeffs


@dataclass(frozen=True)
class Sum(Expr):
    terms: tuple[Expr, ...]


@dataclass(frozen=True)
class Scale(Expr):
    factor: Fraction
    arg: Expr


@dataclass(frozen=True)
class Max(Expr):
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Min(Expr):
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Abs(Expr):
    arg: Expr


def evaluate(e: Expr, point: Mapping[str, Fraction]) -> Fraction:
    """Exact value of ``e`` at ``point`` (a mapping from variable name to Fraction).

    Parameters
    ----------
    e
        The expression.
    point
        The value of each variable of ``e``, by name.

    Returns
    -------
    Fraction
        The value of ``e`` at ``point``.
    """
    if isinstance(e, Lin):
        return sum((c * point[k] for k, c in e.coeffs), e.const)
    if isinstance(e, Sum):
        return sum((evaluate(t, point) for t in e.terms), ZERO)
    if isinstance(e, Scale):
        return e.factor * evaluate(e.arg, point)
    if isinstance(e, Max):
        return max(evaluate(t, point) for t in e.args)
    if isinstance(e, Min):
        return min(evaluate(t, point) for t in e.args)
    if isinstance(e, Abs):
        return abs(evaluate(e.arg, point))
    raise TypeError(f"not an expression node: {e!r}")


def variables_of(e: Expr) -> set[str]:
    """Names of the variables that occur in ``e``.

    Parameters
    ----------
    e
        The expression.

    Returns
    -------
    set of str
        The variable names.
    """
    if isinstance(e, Lin):
        return {k for k, _ in e.coeffs}
    out: set[str] = set()
    for t in children(e):
        out |= variables_of(t)
    return out


def children(e: Expr) -> tuple[Expr, ...]:
    """The subexpressions of ``e``; ``()`` for a leaf (:class:`Lin`, or a node type of another module).

    Parameters
    ----------
    e
        The expression node.

    Returns
    -------
    tuple of Expr
        The direct subexpressions of ``e``, in order.
    """
    if isinstance(e, Sum):
        return e.terms
    if isinstance(e, (Max, Min)):
        return e.args
    if isinstance(e, (Scale, Abs)):
        return (e.arg,)
    return ()


def to_sympy(e: Expr, symbols: Mapping[str, Any] | None = None) -> Any:
    """The expression as a sympy expression (``Max``, ``Min``, ``Abs`` kept unevaluated).

    Parameters
    ----------
    e
        The expression.
    symbols
        The sympy symbol of each variable, by name; a variable not in it becomes a real
        ``sympy.Symbol`` of its name.

    Returns
    -------
    sympy.Expr
        The sympy expression, with exact rational coefficients.
    """
    import sympy

    symbols = dict(symbols or {})

    def sym(name: str) -> Any:
        if name not in symbols:
            symbols[name] = sympy.Symbol(name, real=True)
        return symbols[name]

    def q(v: Fraction) -> Any:
        return sympy.Rational(v.numerator, v.denominator)

    def go(n: Expr) -> Any:
        if isinstance(n, Lin):
            return sympy.Add(*[q(c) * sym(k) for k, c in n.coeffs], q(n.const))
        if isinstance(n, Sum):
            return sympy.Add(*[go(t) for t in n.terms])
        if isinstance(n, Scale):
            return q(n.factor) * go(n.arg)
        if isinstance(n, Max):
            return sympy.Max(*[go(t) for t in n.args])
        if isinstance(n, Min):
            return sympy.Min(*[go(t) for t in n.args])
        return sympy.Abs(go(n.arg))

    return go(e)


def to_text(e: Expr) -> str:
    """A readable text form that :func:`cpa.parse` reads back to the same function.

    Parameters
    ----------
    e
        The expression.

    Returns
    -------
    str
        The text.
    """
    return _text(e, top=True)


def _coef_term(c: Fraction, body: str) -> str:
    if c == 1:
        return body
    if c == -1:
        return "-" + body
    return f"{rational_str(c)}*{body}"


def _join(parts: list[str]) -> str:
    out = parts[0]
    for p in parts[1:]:
        out += f" - {p[1:]}" if p.startswith("-") else f" + {p}"
    return out


def _text(e: Expr, top: bool = False) -> str:
    if isinstance(e, Lin):
        parts = [_coef_term(c, k) for k, c in e.coeffs]
        if e.const or not parts:
            parts.append(rational_str(e.const))
        s = _join(parts)
        return s if top or len(parts) == 1 else f"({s})"
    if isinstance(e, Sum):
        s = _join([_text(t) for t in e.terms])
        return s if top else f"({s})"
    if isinstance(e, Scale):
        return _coef_term(e.factor, _text(e.arg))
    if isinstance(e, Max):
        return "Max(" + ", ".join(_text(t, True) for t in e.args) + ")"
    if isinstance(e, Min):
        return "Min(" + ", ".join(_text(t, True) for t in e.args) + ")"
    return f"Abs({_text(e.arg, True)})"


def lin_add(a: Lin, b: Lin, sign: int = 1) -> Lin:
    acc = dict(a.coeffs)
    for k, c in b.coeffs:
        acc[k] = _checked(acc.get(k, ZERO) + sign * c)
    return Lin.of(acc, _checked(a.const + sign * b.const))


def lin_scale(a: Lin, c: Fraction) -> Lin:
    return Lin.of({k: _checked(c * v) for k, v in a.coeffs}, _checked(c * a.const))


def _checked(q: Fraction) -> Fraction:
    """``q``, refused with :class:`~cpa.errors.LimitError` past ``limits.max_digits`` digits
    (sums and products of coefficients cannot grow without bound)."""
    from . import limits

    cap = limits.current().max_digits * 3.33
    if q.numerator.bit_length() > cap or q.denominator.bit_length() > cap:
        limits.check_int(q.numerator, "a coefficient of the expression")
        limits.check_int(q.denominator, "a coefficient of the expression")
    return q


def affine_part(e: Expr) -> Lin | None:
    """``e`` as a :class:`Lin` if it is affine (no Max/Min/Abs), else None."""
    if isinstance(e, Lin):
        return e
    if isinstance(e, Scale):
        inner = affine_part(e.arg)
        return None if inner is None else lin_scale(inner, e.factor)
    if isinstance(e, Sum):
        acc = Lin((), ZERO)
        for t in e.terms:
            p = affine_part(t)
            if p is None:
                return None
            acc = lin_add(acc, p)
        return acc
    return None


def lin_vector(a: Lin, variables: Sequence[str]) -> tuple[list[Fraction], Fraction]:
    """Coefficient vector of ``a`` in the order ``variables``, and its constant."""
    pos = {v: i for i, v in enumerate(variables)}
    vec = [ZERO] * len(variables)
    for k, c in a.coeffs:
        vec[pos[k]] = c
    return vec, a.const
