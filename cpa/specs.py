"""CPA specs: descriptions of continuous piecewise affine functions that compile to ReLU networks.

* :class:`MaxAffine` -- ``x -> max_i (A_i . x + b_i)``, the convex CPA functions.
* :class:`MinAffine` -- ``x -> min_i (A_i . x + b_i)``, the concave ones.
* :class:`DC`        -- ``g - h`` with ``g``, ``h`` convex (every CPA function is one:
  Kripfganz & Schulze, *Optimization* 18, 1987).
* :class:`Breakpoints1D` -- a univariate CPA function by breakpoints and values or slopes.
* :class:`Expression` -- a tree of ``+``, rational scalars, ``Max``, ``Min``, ``Abs``
  (made by :func:`parse`).

Every spec is scalar-valued and evaluates exactly: ``spec(x)`` returns a Fraction.
"""

from __future__ import annotations

from bisect import bisect_left
from fractions import Fraction
from typing import Any, Sequence

from .errors import ShapeError, SpecError
from .expr import Expr, evaluate, to_sympy, to_text
from .numbers import abbreviate, to_matrix, to_rational, to_vector
from .expr_parser import check_variables, read_expression

__all__ = ["Spec", "MaxAffine", "MinAffine", "DC", "Breakpoints1D", "Expression", "parse"]



class Spec:
    """Base class: a scalar CPA function on R^d given symbolically."""

    input_dim: int

    def __call__(self, x: Sequence[Any]) -> Fraction:
        raise NotImplementedError

    def _point(self, x: Any) -> list[Fraction]:
        if not hasattr(x, "__len__") or isinstance(x, str):
            x = [x]
        v = [to_rational(t, f"input[{i}]") for i, t in enumerate(x)]
        if len(v) != self.input_dim:
            raise ShapeError(f"input has {len(v)} entries, the spec expects {self.input_dim}")
        return v


class _AffineFamily(Spec):
    """Shared storage of ``M`` affine maps ``A_i . x + b_i`` on R^d."""

    __slots__ = ("A", "b", "input_dim")

    def __init__(self, A: Any, b: Any):
        name = type(self).__name__
        self.A = to_matrix(A, f"{name} A")
        if not self.A:
            raise SpecError(f"{name} needs at least one affine map (A has no rows)")
        self.b = to_vector(b, f"{name} b")
        if len(self.b) != len(self.A):
            raise ShapeError(f"{name}: A has {len(self.A)} rows but b has {len(self.b)} entries")
        self.input_dim = len(self.A[0])
        if self.input_dim == 0:
            raise ShapeError(f"{name}: A has no columns (input dimension 0)")

    @property
    def num_maps(self) -> int:
        return len(self.A)

    def values(self, x: Sequence[Any]) -> list[Fraction]:
        v = self._point(x)
        return [sum((a * t for a, t in zip(row, v)), c) for row, c in zip(self.A, self.b)]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and (self.A, self.b) == (other.A, other.b)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.A, self.b))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(maps={len(self.A)}, input_dim={self.input_dim})"


class MaxAffine(_AffineFamily):
    """The convex CPA function ``x -> max_i (A[i] . x + b[i])``."""

    def __call__(self, x: Sequence[Any]) -> Fraction:
        return max(self.values(x))


class MinAffine(_AffineFamily):
    """The concave CPA function ``x -> min_i (A[i] . x + b[i])``."""

    def __call__(self, x: Sequence[Any]) -> Fraction:
        return min(self.values(x))


class DC(Spec):
    """``x -> g(x) - h(x)`` with ``g`` and ``h`` convex (:class:`MaxAffine`).

    Parameters
    ----------
    g, h
        :class:`MaxAffine` specs with the same input dimension.

    Raises
    ------
    SpecError
        If ``g`` or ``h`` is not a :class:`MaxAffine`.
    ShapeError
        If their input dimensions differ.
    """

    __slots__ = ("g", "h", "input_dim")

    def __init__(self, g: MaxAffine, h: MaxAffine):
        for name, f in (("g", g), ("h", h)):
            if not isinstance(f, MaxAffine):
                raise SpecError(f"DC: {name} must be a MaxAffine (convex), got {type(f).__name__}")
        if g.input_dim != h.input_dim:
            raise ShapeError(f"DC: g has input dimension {g.input_dim}, h has {h.input_dim}")
        self.g, self.h = g, h
        self.input_dim = g.input_dim

    def __call__(self, x: Sequence[Any]) -> Fraction:
        return self.g(x) - self.h(x)

    def __repr__(self) -> str:
        return f"DC(g={self.g!r}, h={self.h!r})"


class Breakpoints1D(Spec):
    """A univariate CPA function with breakpoints ``t_1 < ... < t_{p-1}`` (p pieces).

    Use :meth:`from_slopes` to give the slopes of the pieces instead of the values.

    Parameters
    ----------
    breakpoints
        Strictly increasing, at least one.
    values
        ``f(t_k)`` at each breakpoint.
    left_slope, right_slope
        Slopes on ``(-inf, t_1]`` and ``[t_{p-1}, inf)``.
    """

    __slots__ = ("breakpoints", "values", "left_slope", "right_slope", "input_dim")

    def __init__(self, breakpoints: Sequence[Any], values: Sequence[Any], left_slope: Any = 0, right_slope: Any = 0):
        self.breakpoints = to_vector(breakpoints, "breakpoints")
        self.values = to_vector(values, "values")
        if not self.breakpoints:
            raise SpecError("Breakpoints1D needs at least one breakpoint (use MaxAffine or parse for an affine map)")
        if len(self.values) != len(self.breakpoints):
            raise ShapeError(f"Breakpoints1D: {len(self.breakpoints)} breakpoints but {len(self.values)} values")
        for k in range(1, len(self.breakpoints)):
            if not self.breakpoints[k - 1] < self.breakpoints[k]:
                raise SpecError(f"breakpoints must increase strictly: breakpoints[{k - 1}] = "
                                f"{abbreviate(self.breakpoints[k - 1])} is not < breakpoints[{k}] = "
                                f"{abbreviate(self.breakpoints[k])}")
        self.left_slope = to_rational(left_slope, "left_slope")
        self.right_slope = to_rational(right_slope, "right_slope")
        self.input_dim = 1

    @classmethod
    def from_slopes(cls, breakpoints: Sequence[Any], slopes: Sequence[Any], value: Any) -> "Breakpoints1D":
        """From the slopes ``s_0..s_{p-1}`` of the p pieces and the value at the first breakpoint."""
        t = to_vector(breakpoints, "breakpoints")
        s = to_vector(slopes, "slopes")
        if len(s) != len(t) + 1:
            raise ShapeError(f"{len(t)} breakpoints need {len(t) + 1} slopes, got {len(s)}")
        if not t:
            raise SpecError("Breakpoints1D needs at least one breakpoint")
        vals = [to_rational(value, "value")]
        for k in range(1, len(t)):
            vals.append(vals[-1] + s[k] * (t[k] - t[k - 1]))
        return cls(t, vals, s[0], s[-1])

    @property
    def slopes(self) -> tuple[Fraction, ...]:
        t, v = self.breakpoints, self.values
        inner = [(v[k] - v[k - 1]) / (t[k] - t[k - 1]) for k in range(1, len(t))]
        return (self.left_slope, *inner, self.right_slope)

    @property
    def num_pieces(self) -> int:
        """Number of affine pieces (breakpoints where the slope does not change are not counted)."""
        s = self.slopes
        return 1 + sum(1 for k in range(1, len(s)) if s[k] != s[k - 1])

    def __call__(self, x: Any) -> Fraction:
        (u,) = self._point(x)
        t, v = self.breakpoints, self.values
        if u <= t[0]:
            return v[0] + self.left_slope * (u - t[0])
        if u >= t[-1]:
            return v[-1] + self.right_slope * (u - t[-1])
        k = bisect_left(t, u)
        lam = (u - t[k - 1]) / (t[k] - t[k - 1])
        return v[k - 1] + lam * (v[k] - v[k - 1])

    def __repr__(self) -> str:
        return f"Breakpoints1D(breakpoints={len(self.breakpoints)}, pieces={self.num_pieces})"


class Expression(Spec):
    """A CPA expression tree over named variables (see :func:`parse`).

    Parameters
    ----------
    expr
        The expression tree (:mod:`cpa.expr` nodes).
    variables
        The variable names, in input order (at least one).

    Raises
    ------
    SpecError
        If ``variables`` is empty.
    """

    __slots__ = ("expr", "variables", "input_dim")

    def __init__(self, expr: Expr, variables: Sequence[str]):
        self.expr = expr
        self.variables = tuple(variables)
        self.input_dim = len(self.variables)
        if self.input_dim == 0:
            raise SpecError("expression has no variables; declare them with variables=[...]")

    def __call__(self, x: Any) -> Fraction:
        v = self._point(x)
        return evaluate(self.expr, dict(zip(self.variables, v)))

    def to_sympy(self) -> Any:
        return to_sympy(self.expr)

    def __str__(self) -> str:
        return to_text(self.expr)

    def __repr__(self) -> str:
        return f"Expression({to_text(self.expr)!r}, variables={self.variables})"


def parse(expr: Any, variables: Sequence[Any] | str | None = None) -> Expression:
    """Read a CPA expression from text or sympy.

    Parameters
    ----------
    expr
        A string such as ``"Max(x, y, 0) - Abs(x - 1/2)"`` or a sympy expression
        built from ``+``, ``-``, rational scalars, ``Max``, ``Min``, ``Abs``, nested
        to any depth.  Text is parsed by cpa's own parser (never ``eval``).
    variables
        The input order, as names or sympy symbols or a comma-separated string;
        default: the variables in alphabetical order.

    Raises
    ------
    NotPiecewiseAffineError
        For terms that are not CPA (``x*y``, ``x**2``, ``sin(x)``, ``Heaviside(x)``): one error naming
        every such term with its reason, in one line.
    UnknownVariableError
        For variables not in ``variables``, all named in one error.
    SpecError
        For malformed text or an empty ``Max``/``Min``.

    Examples
    --------
    >>> f = parse("Max(x, y, 0) - Abs(x - 1/2)", "x,y")
    >>> f([1, 2])
    Fraction(3, 2)
    """
    if isinstance(variables, str):
        variables = [v.strip() for v in variables.split(",") if v.strip()]
    if isinstance(expr, Expression):
        tree, names = expr.expr, check_variables(expr.expr, variables)
    else:
        tree, names = read_expression(expr, variables)
    return Expression(tree, names)
