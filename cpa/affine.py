"""Exact affine maps ``x -> A x + b`` from ``Q^d`` to ``Q^c``: the one affine type of cpa.

An :class:`Affine` is the building block of everything else: a network layer
before its ReLU (:attr:`cpa.network.ReLUNetwork.affine_layers`), the output map
of a linear region (:attr:`cpa.regions.Region.affine_map`), a slice of input
space composed in front of a network (``net @ Affine(...)``), one term of a max
of affine maps.  It is frozen and hashable; entries are
:class:`~fractions.Fraction`, stored sparsely (:class:`~cpa.sparse.SparseMatrix`),
so a wide layer costs its nonzero weights only; :attr:`Affine.A` is the dense view.

Algebra (all exact):

* evaluation ``f(x) = A x + b``;
* composition ``(f @ g)(x) = f(g(x))``, i.e. ``A_f A_g x + (A_f b_g + b_f)``;
  with a network, ``f @ net`` and ``net @ f`` are networks;
* sum and difference ``(f + g)(x) = (A_f + A_g) x + (b_f + b_g)``, negation;
* scaling by a rational ``r``: ``r f``;
* equality of maps (two affine maps are equal as functions iff their
  coefficients are, so ``==`` is equality of functions).

An affine map unpacks as the pair ``(A, b)`` (``A, b = f``), the form used in
files and records.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Iterator, Sequence

from .errors import ShapeError
from .numbers import ZERO, to_matrix, to_rational, to_vector
from .sparse import SparseMatrix

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

    __slots__ = ("W", "b", "_dense")

    W: SparseMatrix
    b: tuple[Fraction, ...]

    def __init__(self, A: Any, b: Any = None):
        if isinstance(A, SparseMatrix):
            W = A
            if any(not v for r in W.rows for _, v in r):       # explicit zeros: drop (equality is of maps)
                W = SparseMatrix(W.shape, [tuple((j, v) for j, v in r if v) for r in W.rows])
        else:
            rows = to_matrix(A, "Affine A")
            ncols = len(rows[0]) if rows else _ncols(A)
            W = SparseMatrix.from_dense(rows, ncols)
        if W.shape[0] == 0:
            raise ShapeError("Affine A: needs at least one row (output)")
        vec = (ZERO,) * W.shape[0] if b is None else tuple(b) if _exact_vector(b) else to_vector(b, "Affine b")
        if len(vec) != W.shape[0]:
            raise ShapeError(f"Affine: A has {W.shape[0]} rows but b has length {len(vec)}")
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "b", vec)
        object.__setattr__(self, "_dense", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Affine is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the constructor's arguments (process pools and dask ship affine maps and
        networks to workers); the immutability guard would refuse the default slot restore."""
        return (Affine, (self.W, self.b))

    @property
    def A(self) -> tuple[tuple[Fraction, ...], ...]:
        """The dense matrix (rows of Fractions), built on first use."""
        if self._dense is None:
            object.__setattr__(self, "_dense", self.W.to_dense())
        return self._dense  # type: ignore[return-value]

    @property
    def shape(self) -> tuple[int, int]:
        """``(c, d)``: outputs and inputs."""
        return self.W.shape

    def __iter__(self) -> Iterator[Any]:
        """Unpack as ``(A, b)`` with dense ``A``."""
        return iter((self.A, self.b))

    # --- shape -------------------------------------------------------------------
    @property
    def input_dim(self) -> int:
        """``d``: the map is defined on ``R^d``."""
        return self.W.shape[1]

    @property
    def output_dim(self) -> int:
        """``c``: the map takes values in ``R^c``."""
        return self.W.shape[0]

    @classmethod
    def identity(cls, d: int) -> "Affine":
        """The identity map of ``R^d``."""
        return cls(SparseMatrix.identity(d))

    @classmethod
    def constant(cls, values: Sequence[Any], d: int) -> "Affine":
        """The constant map ``R^d -> R^c``, ``x -> values``."""
        vals = to_vector(values, "Affine.constant values")
        return cls([[0] * d for _ in vals], vals)

    # --- algebra -------------------------------------------------------------------
    def apply(self, x: Sequence[Fraction]) -> list[Fraction]:
        """``A x + b`` for a point already made of Fractions (no checks; the fast path)."""
        return [s + c for s, c in zip(self.W.apply(x), self.b)]

    def __call__(self, x: Sequence[Any]) -> tuple[Fraction, ...]:
        """``A x + b`` exactly; ``x`` is read with :func:`cpa.numbers.to_rational`."""
        xs = to_vector(x, "point")
        if len(xs) != self.input_dim:
            raise ShapeError(f"Affine of input dimension {self.input_dim} evaluated at a point of length {len(xs)}")
        return tuple(self.apply(xs))

    def __matmul__(self, other: Any) -> Any:
        """Composition ``self o other``: ``x -> A_self (A_other x + b_other) + b_self``; with a
        :class:`~cpa.network.ReLUNetwork` ``other``, the network followed by this map."""
        if not isinstance(other, Affine):
            return NotImplemented if not hasattr(other, "affine_layers") else other.__rmatmul__(self)
        if self.input_dim != other.output_dim:
            raise ShapeError(f"cannot compose: the outer map takes R^{self.input_dim}, "
                             f"the inner one gives R^{other.output_dim}")
        W, shift = self.W.matmul_and_apply(other.W, other.b)
        return Affine(W, tuple(s + c for s, c in zip(shift, self.b)))

    def _check_same(self, other: "Affine", op: str) -> None:
        if self.shape != other.shape:
            raise ShapeError(f"cannot {op} maps R^{self.input_dim} -> R^{self.output_dim} and "
                             f"R^{other.input_dim} -> R^{other.output_dim}")

    def __add__(self, other: "Affine") -> "Affine":
        if not isinstance(other, Affine):
            return NotImplemented
        self._check_same(other, "add")
        return Affine(self.W + other.W, [x + y for x, y in zip(self.b, other.b)])

    def __neg__(self) -> "Affine":
        return Affine(-self.W, [-x for x in self.b])

    def __sub__(self, other: "Affine") -> "Affine":
        if not isinstance(other, Affine):
            return NotImplemented
        self._check_same(other, "subtract")
        return self + (-other)

    def __mul__(self, r: Any) -> "Affine":
        if isinstance(r, Affine):
            return NotImplemented
        s = to_rational(r, "scalar")
        return Affine(self.W.scale_rows([s] * self.output_dim), [s * x for x in self.b])

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Affine) and self.W == other.W and self.b == other.b

    def __hash__(self) -> int:
        return hash((self.W, self.b))

    def __repr__(self) -> str:
        if self.output_dim * self.input_dim > 400:
            return f"Affine(R^{self.input_dim} -> R^{self.output_dim}, nnz={self.W.nnz})"
        rows = ", ".join("[" + ", ".join(str(v) for v in r) + "]" for r in self.A)
        return f"Affine([{rows}], [{', '.join(str(v) for v in self.b)}])"


def _ncols(A: Any) -> int:
    shape = getattr(A, "shape", None)
    return int(shape[1]) if shape is not None and len(shape) == 2 else 0


def _exact_vector(b: Any) -> bool:
    return isinstance(b, tuple) and all(type(v) is Fraction for v in b)
