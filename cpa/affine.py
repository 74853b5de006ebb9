"""Exact affine maps ``x -> A x + b`` from ``Q^d`` to ``Q^c``.

An :class:`Affine` is the building block of everything else: a network layer
before its ReLU, the output map of a linear region, one term of a max of
affine maps.  It is frozen and hashable; entries are :class:`~fractions.Fraction`.

Algebra (all exact):

* evaluation ``f(x) = A x + b``;
* composition ``(f @ g)(x) = f(g(x))``, i.e. ``A_f A_g x + (A_f b_g + b_f)``;
* sum and difference ``(f + g)(x) = (A_f + A_g) x + (b_f + b_g)``, negation;
* scaling by a rational ``r``: ``r f``;
* equality of maps (two affine maps are equal as functions iff their
  coefficients are, so ``==`` is equality of functions).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from .errors import ShapeError
from .numbers import to_matrix, to_rational, to_vector

__all__ = ["Affine"]


class Affine:
    """The affine map ``x -> A x + b`` with exact rational ``A`` (``c x d``) and ``b`` (length ``c``).

    Parameters
    ----------
    A
        Rows of numbers accepted by :func:`cpa.numbers.to_rational` (``"3/7"``, ints,
        Fractions, floats at their exact binary value, ...).  A map from ``R^d`` with
        ``c = 0`` outputs is not allowed.
    b
        The offset; defaults to zeros.

    Examples
    --------
    >>> f = Affine([[1, 2], [0, "1/2"]], [3, 0])
    >>> f([1, 1])
    (Fraction(6, 1), Fraction(1, 2))
    >>> g = Affine([[1, -1]])            # R^2 -> R
    >>> (g @ f)([1, 1]), (g @ f)
    ((Fraction(11, 2),), Affine([[1, 3/2]], [3]))
    >>> f + f == 2 * f
    True
    """

    __slots__ = ("A", "b")

    A: tuple[tuple[Fraction, ...], ...]
    b: tuple[Fraction, ...]

    def __init__(self, A: Any, b: Any = None):
        rows = to_matrix(A, "Affine A")
        if not rows:
            raise ShapeError("Affine A: needs at least one row (output)")
        d = len(rows[0])
        vec = (Fraction(0),) * len(rows) if b is None else to_vector(b, "Affine b")
        if len(vec) != len(rows):
            raise ShapeError(f"Affine: A has {len(rows)} rows but b has length {len(vec)}")
        object.__setattr__(self, "A", rows)
        object.__setattr__(self, "b", vec)
        if d == 0 and rows:
            object.__setattr__(self, "A", tuple(() for _ in rows))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Affine is immutable")

    # --- shape -------------------------------------------------------------------
    @property
    def input_dim(self) -> int:
        """``d``: the map is defined on ``R^d``."""
        return len(self.A[0])

    @property
    def output_dim(self) -> int:
        """``c``: the map takes values in ``R^c``."""
        return len(self.A)

    @classmethod
    def identity(cls, d: int) -> "Affine":
        """The identity map of ``R^d``."""
        return cls([[int(i == j) for j in range(d)] for i in range(d)])

    @classmethod
    def constant(cls, values: Sequence[Any], d: int) -> "Affine":
        """The constant map ``R^d -> R^c``, ``x -> values``."""
        vals = to_vector(values, "Affine.constant values")
        return cls([[0] * d for _ in vals], vals)

    # --- algebra -------------------------------------------------------------------
    def __call__(self, x: Sequence[Any]) -> tuple[Fraction, ...]:
        """``A x + b`` exactly; ``x`` is read with :func:`cpa.numbers.to_rational`."""
        xs = to_vector(x, "point")
        if len(xs) != self.input_dim:
            raise ShapeError(f"Affine of input dimension {self.input_dim} evaluated at a point of length {len(xs)}")
        return tuple(sum((a * v for a, v in zip(row, xs)), Fraction(0)) + c for row, c in zip(self.A, self.b))

    def __matmul__(self, other: "Affine") -> "Affine":
        """Composition ``self o other``: ``x -> A_self (A_other x + b_other) + b_self``."""
        if not isinstance(other, Affine):
            return NotImplemented
        if self.input_dim != other.output_dim:
            raise ShapeError(f"cannot compose: the outer map takes R^{self.input_dim}, "
                             f"the inner one gives R^{other.output_dim}")
        cols = list(zip(*other.A)) if other.input_dim else []
        A = [[sum((a * c for a, c in zip(row, col)), Fraction(0)) for col in cols] for row in self.A]
        b = [sum((a * c for a, c in zip(row, other.b)), Fraction(0)) + c0 for row, c0 in zip(self.A, self.b)]
        return _make(A, b, other.input_dim)

    def _check_same(self, other: "Affine", op: str) -> None:
        if (self.input_dim, self.output_dim) != (other.input_dim, other.output_dim):
            raise ShapeError(f"cannot {op} maps R^{self.input_dim} -> R^{self.output_dim} and "
                             f"R^{other.input_dim} -> R^{other.output_dim}")

    def __add__(self, other: "Affine") -> "Affine":
        if not isinstance(other, Affine):
            return NotImplemented
        self._check_same(other, "add")
        A = [[x + y for x, y in zip(r, s)] for r, s in zip(self.A, other.A)]
        return _make(A, [x + y for x, y in zip(self.b, other.b)], self.input_dim)

    def __neg__(self) -> "Affine":
        return _make([[-x for x in r] for r in self.A], [-x for x in self.b], self.input_dim)

    def __sub__(self, other: "Affine") -> "Affine":
        if not isinstance(other, Affine):
            return NotImplemented
        self._check_same(other, "subtract")
        return self + (-other)

    def __mul__(self, r: Any) -> "Affine":
        if isinstance(r, Affine):
            return NotImplemented
        s = to_rational(r, "scalar")
        return _make([[s * x for x in row] for row in self.A], [s * x for x in self.b], self.input_dim)

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Affine) and self.A == other.A and self.b == other.b

    def __hash__(self) -> int:
        return hash((self.A, self.b))

    def __repr__(self) -> str:
        rows = ", ".join("[" + ", ".join(str(v) for v in r) + "]" for r in self.A)
        return f"Affine([{rows}], [{', '.join(str(v) for v in self.b)}])"

    # --- conversions -------------------------------------------------------------------
    def to_network(self) -> Any:
        """This map as a :class:`~cpa.network.ReLUNetwork` with no hidden layer."""
        from .network import ReLUNetwork

        return ReLUNetwork([(self.A, self.b)])


def _make(A: list[list[Fraction]], b: list[Fraction], d: int) -> Affine:
    """Build an Affine from already exact entries (``d`` keeps the shape when ``d = 0``)."""
    f = Affine.__new__(Affine)
    object.__setattr__(f, "A", tuple(tuple(r) for r in A) if d else tuple(() for _ in A))
    object.__setattr__(f, "b", tuple(b))
    return f
