"""Exact sparse matrices: the storage of network weights.

Compiled networks are sparse (a max tree of M maps has about 6 nonzeros per
row beyond its first layer), so weights are stored row by row as sorted
``(column, Fraction)`` pairs with only nonzero entries.  Dense views are
built on demand.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterable, Sequence

import numpy as np

from .errors import ShapeError
from .numbers import ONE, ZERO

__all__ = ["SparseMatrix", "Row", "float_or_inf"]


def float_or_inf(v: Fraction) -> float:
    """The nearest float64 to an exact rational (correctly rounded), ``±inf`` beyond the float64 range.

    For float filters only: an infinity makes every value it touches undecided.

    Parameters
    ----------
    v
        The exact rational.

    Returns
    -------
    float
        ``float(v)``, or ``inf`` / ``-inf`` if ``v`` is beyond the float64 range.
    """
    try:
        return float(v)
    except OverflowError:
        return float("inf") if v > 0 else float("-inf")

Row = tuple[tuple[int, Fraction], ...]


class SparseMatrix:
    """An exact ``m x n`` matrix stored as sorted nonzero ``(j, value)`` rows.

    Immutable and hashable.  Entries are :class:`fractions.Fraction`.

    Parameters
    ----------
    shape
        ``(m, n)``.
    rows
        One row per line of the matrix, each a tuple of ``(j, value)`` pairs: the
        column index and the nonzero entry, sorted by ``j``.  They are stored as given.

    Raises
    ------
    ShapeError
        If the number of rows is not ``m``.
    """

    __slots__ = ("shape", "rows", "_hash")

    def __init__(self, shape: tuple[int, int], rows: Sequence[Row]):
        m, n = shape
        if len(rows) != m:
            raise ShapeError(f"sparse matrix: {len(rows)} rows given for shape {shape}")
        self.shape = (int(m), int(n))
        self.rows: tuple[Row, ...] = tuple(rows)
        self._hash: int | None = None

    # construction -------------------------------------------------------
    @classmethod
    def from_dense(cls, dense: Sequence[Sequence[Fraction]], ncols: int | None = None) -> "SparseMatrix":
        rows = [tuple((j, v) for j, v in enumerate(r) if v) for r in dense]
        if ncols is None:
            ncols = len(dense[0]) if len(dense) else 0
        return cls((len(rows), ncols), rows)

    @classmethod
    def from_dicts(cls, dicts: Sequence[dict[int, Fraction]], ncols: int) -> "SparseMatrix":
        return cls((len(dicts), ncols), [tuple(sorted((j, v) for j, v in d.items() if v)) for d in dicts])

    @classmethod
    def identity(cls, n: int) -> "SparseMatrix":
        return cls((n, n), [((i, ONE),) for i in range(n)])

    @classmethod
    def zeros(cls, m: int, n: int) -> "SparseMatrix":
        return cls((m, n), [()] * m)

    @staticmethod
    def vstack(blocks: Sequence["SparseMatrix"]) -> "SparseMatrix":
        """Rows of all blocks one after another (same number of columns)."""
        n = blocks[0].shape[1]
        rows: list[Row] = []
        for B in blocks:
            if B.shape[1] != n:
                raise ShapeError(f"vstack: column counts differ ({B.shape[1]} vs {n})")
            rows.extend(B.rows)
        return SparseMatrix((len(rows), n), rows)

    @staticmethod
    def block_diag(blocks: Sequence["SparseMatrix"]) -> "SparseMatrix":
        rows: list[Row] = []
        off = 0
        for B in blocks:
            rows.extend(tuple((j + off, v) for j, v in r) for r in B.rows)
            off += B.shape[1]
        return SparseMatrix((len(rows), off), rows)

    @staticmethod
    def hstack(blocks: Sequence["SparseMatrix"]) -> "SparseMatrix":
        m = blocks[0].shape[0]
        dicts: list[list[tuple[int, Fraction]]] = [[] for _ in range(m)]
        off = 0
        for B in blocks:
            if B.shape[0] != m:
                raise ShapeError(f"hstack: row counts differ ({B.shape[0]} vs {m})")
            for i, r in enumerate(B.rows):
                dicts[i].extend((j + off, v) for j, v in r)
            off += B.shape[1]
        return SparseMatrix((m, off), [tuple(r) for r in dicts])

    # views ----------------------------------------------------------------
    @property
    def nnz(self) -> int:
        return sum(len(r) for r in self.rows)

    def to_dense(self) -> tuple[tuple[Fraction, ...], ...]:
        n = self.shape[1]
        out = []
        for r in self.rows:
            row = [ZERO] * n
            for j, v in r:
                row[j] = v
            out.append(tuple(row))
        return tuple(out)

    def to_float(self) -> np.ndarray:
        """Nearest float64 of every entry (correctly rounded); ``±inf`` beyond the float64 range."""
        A = np.zeros(self.shape, dtype=float)
        for i, r in enumerate(self.rows):
            for j, v in r:
                A[i, j] = float_or_inf(v)
        return A

    def row_dict(self, i: int) -> dict[int, Fraction]:
        return dict(self.rows[i])

    def column_counts(self) -> list[int]:
        cnt = [0] * self.shape[1]
        for r in self.rows:
            for j, _ in r:
                cnt[j] += 1
        return cnt

    # algebra --------------------------------------------------------------
    def apply(self, x: Sequence[Fraction]) -> list[Fraction]:
        """Exact ``A @ x``."""
        return [sum((v * x[j] for j, v in r), ZERO) for r in self.rows]

    def matmul(self, other: "SparseMatrix") -> "SparseMatrix":
        """Exact product ``self @ other``."""
        if self.shape[1] != other.shape[0]:
            raise ShapeError(f"matmul: shapes {self.shape} and {other.shape} do not fit")
        orows = other.rows
        out: list[Row] = []
        for r in self.rows:
            if len(r) == 1:
                k, a = r[0]
                out.append(_scaled(a, orows[k]))
            elif len(r) == 2:
                (k1, a1), (k2, a2) = r
                out.append(_merge(_scaled(a1, orows[k1]), _scaled(a2, orows[k2])))
            else:
                acc: dict[int, Fraction] = {}
                for k, a in r:
                    for j, v in orows[k]:
                        acc[j] = acc.get(j, ZERO) + a * v
                out.append(tuple(sorted((j, v) for j, v in acc.items() if v)))
        return SparseMatrix((self.shape[0], other.shape[1]), out)

    def scale_rows(self, factors: Sequence[Fraction]) -> "SparseMatrix":
        return SparseMatrix(self.shape, [tuple((j, f * v) for j, v in r) if f != 1 else r
                                         for f, r in zip(factors, self.rows)])

    def __add__(self, other: "SparseMatrix") -> "SparseMatrix":
        """Exact sum of two matrices of the same shape."""
        if not isinstance(other, SparseMatrix):
            return NotImplemented
        if self.shape != other.shape:
            raise ShapeError(f"add: shapes {self.shape} and {other.shape} differ")
        return SparseMatrix(self.shape, [_merge(x, y) for x, y in zip(self.rows, other.rows)])

    def __neg__(self) -> "SparseMatrix":
        return SparseMatrix(self.shape, [tuple((j, -v) for j, v in r) for r in self.rows])

    def select_rows(self, idx: Iterable[int]) -> "SparseMatrix":
        rows = [self.rows[i] for i in idx]
        return SparseMatrix((len(rows), self.shape[1]), rows)

    def select_columns(self, idx: Sequence[int]) -> "SparseMatrix":
        """Keep the columns ``idx`` in that order (each at most once)."""
        pos = {j: k for k, j in enumerate(idx)}
        rows = [tuple(sorted((pos[j], v) for j, v in r if j in pos)) for r in self.rows]
        return SparseMatrix((self.shape[0], len(idx)), rows)

    def transpose(self) -> "SparseMatrix":
        cols: list[list[tuple[int, Fraction]]] = [[] for _ in range(self.shape[1])]
        for i, r in enumerate(self.rows):
            for j, v in r:
                cols[j].append((i, v))
        return SparseMatrix((self.shape[1], self.shape[0]), [tuple(c) for c in cols])

    # identity -------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return isinstance(other, SparseMatrix) and self.shape == other.shape and self.rows == other.rows

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self.shape, self.rows))
        return self._hash

    def __repr__(self) -> str:
        return f"SparseMatrix(shape={self.shape}, nnz={self.nnz})"


def _scaled(a: Fraction, row: Row) -> Row:
    if a == 1:
        return row
    if a == -1:
        return tuple((j, -v) for j, v in row)
    return tuple((j, a * v) for j, v in row)


def _merge(x: Row, y: Row) -> Row:
    """Sum of two sorted sparse rows."""
    if not x:
        return y
    if not y:
        return x
    out = []
    i = k = 0
    nx, ny = len(x), len(y)
    while i < nx and k < ny:
        jx, jy = x[i][0], y[k][0]
        if jx == jy:
            v = x[i][1] + y[k][1]
            if v:
                out.append((jx, v))
            i += 1
            k += 1
        elif jx < jy:
            out.append(x[i])
            i += 1
        else:
            out.append(y[k])
            k += 1
    out.extend(x[i:])
    out.extend(y[k:])
    return tuple(out)
