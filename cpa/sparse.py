"""Exact sparse matrices: the storage of network weights.

Compiled networks are sparse (a max tree of M maps has about 6 nonzeros per
row beyond its first layer), so weights are stored row by row as sorted
``(column, Fraction)`` pairs with only nonzero entries.  Dense views are
built on demand.
"""

from __future__ import annotations

import math
import operator
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

    __slots__ = ("shape", "rows", "_hash", "_ints")

    def __init__(self, shape: tuple[int, int], rows: Sequence[Row]):
        m, n = shape
        if len(rows) != m:
            raise ShapeError(f"sparse matrix: {len(rows)} rows given for shape {shape}")
        self.shape = (int(m), int(n))
        self.rows: tuple[Row, ...] = tuple(rows)
        self._hash: int | None = None
        self._ints: _IntegerRows | None = None          # integer rows, for products (cached)

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
        """Exact product ``self @ other`` (see :meth:`matmul_and_apply` for the integer fast path)."""
        if self.shape[1] != other.shape[0]:
            raise ShapeError(f"matmul: shapes {self.shape} and {other.shape} do not fit")
        if self._integer_product_pays(other, 0):
            return self._integer_product(other, None)[0]
        return self._fraction_product(other)

    def matmul_and_apply(self, other: "SparseMatrix", x: Sequence[Fraction]) -> tuple["SparseMatrix", list[Fraction]]:
        """Exact ``(self @ other, self @ x)`` in one pass: the linear part and the offset of a composition.

        Parameters
        ----------
        other
            A ``k x n`` matrix, ``k`` the number of columns of ``self``.
        x
            A vector of ``k`` Fractions.

        Returns
        -------
        tuple
            The product as a :class:`SparseMatrix` and ``self @ x`` as a list of Fractions,
            identical to ``(self.matmul(other), self.apply(x))``.

        Notes
        -----
        For large products (a dense first layer composed with a plane or a segment) the
        rows of ``self`` and the columns of ``[other | x]`` are scaled to integers by the
        least common multiple of their denominators (a power of two for float data),
        ``self_i = a_i / L_i``, ``[other | x]_j = c_j / D_j``; then
        ``(self [other | x])_ij = (a_i . c_j) / (L_i D_j)`` with one Fraction per output
        entry.  The integer dot products are exact: when every integer is below ``2^61``
        (float32 data, and most float64 data) they are sums of float64 products of short
        limbs whose every partial sum is an integer below ``2^53`` (numpy / BLAS, any
        summation order), otherwise products of Python integers in numpy object arrays.
        The integer rows of ``self`` are cached on the (immutable) matrix, so composing
        one layer with many slices pays for them once.

        Examples
        --------
        >>> A = SparseMatrix.from_dense([[Fraction(1, 2), Fraction(1, 3)]])
        >>> B = SparseMatrix.from_dense([[Fraction(1)], [Fraction(3, 4)]])
        >>> P, y = A.matmul_and_apply(B, [Fraction(2), Fraction(3)])
        >>> P.to_dense(), y
        (((Fraction(3, 4),),), [Fraction(2, 1)])
        """
        if self.shape[1] != other.shape[0] or len(x) != self.shape[1]:
            raise ShapeError(f"matmul: shapes {self.shape}, {other.shape} and vector of length {len(x)} do not fit")
        if self._integer_product_pays(other, 1):
            P, y = self._integer_product(other, x)
            return P, y  # type: ignore[return-value]
        return self._fraction_product(other), self.apply(x)

    def _integer_product_pays(self, other: "SparseMatrix", extra: int) -> bool:
        """Whether the integer product is cheaper than the Fraction one (estimated operation counts:
        a Fraction multiply-add costs about as much as 30 integer ones); never when the dense
        integer copy of ``other`` would be large."""
        m, k = self.shape
        n = other.shape[1] + extra
        nnz = self.nnz
        if nnz < 64 or k == 0 or m == 0 or k * n > 4_000_000:
            return False
        fraction_ops = 30 * nnz * (other.nnz + extra * k) / k
        integer_ops = 8 * nnz + nnz * n + 300 * m + 8 * (other.nnz + extra * k) + k * n + 30 * m * n
        return integer_ops < fraction_ops

    def _integer_rows(self) -> "_IntegerRows":
        """The rows scaled to integers (cached; see :meth:`matmul_and_apply`)."""
        if self._ints is None:
            counts = [len(r) for r in self.rows]
            indptr = np.zeros(len(counts) + 1, dtype=np.intp)
            np.cumsum(counts, out=indptr[1:])
            indices = np.array([j for r in self.rows for j, _ in r], dtype=np.intp)
            nums, dens = _integer_ratios([v for r in self.rows for _, v in r])
            bounds = indptr.tolist()
            scales = [math.lcm(*set(dens[a:b])) if b > a else 1 for a, b in zip(bounds[:-1], bounds[1:])]
            data = _scaled_numerators(nums, dens, scales, np.repeat(np.arange(len(counts)), counts))
            self._ints = _IntegerRows(scales, indptr, indices, data, self.shape[1])
        return self._ints

    def _integer_product(self, other: "SparseMatrix",
                         x: Sequence[Fraction] | None) -> tuple["SparseMatrix", list[Fraction] | None]:
        """``self @ other`` (and ``self @ x``) exactly through integer dot products (see
        :meth:`matmul_and_apply`)."""
        k, n = other.shape
        ncol = n + (x is not None)
        at_row = [i for i, r in enumerate(other.rows) for _ in r]
        at_col = [j for r in other.rows for j, _ in r]
        values = [v for r in other.rows for _, v in r]
        if x is not None:
            nz = [i for i, v in enumerate(x) if v]
            at_row += nz
            at_col += [n] * len(nz)
            values += [x[i] for i in nz]
        nums, dens = _integer_ratios(values)
        rows_of = np.array(at_row, dtype=np.intp)
        cols_of = np.array(at_col, dtype=np.intp)
        per_col: list[list[int]] = [[] for _ in range(ncol)]
        for j, d in zip(cols_of.tolist(), dens):
            per_col[j].append(d)
        D = [math.lcm(*set(c)) if c else 1 for c in per_col]
        entries = _scaled_numerators(nums, dens, D, cols_of)
        B = np.zeros((k, ncol), dtype=entries.dtype)
        B[rows_of, cols_of] = entries
        ints = self._integer_rows()
        dots = ints.times(B)
        out: list[Row] = []
        image: list[Fraction] = []
        for L, row in zip(ints.scales, dots):
            out.append(tuple((j, Fraction(row[j], L * D[j])) for j in range(n) if row[j]))
            if x is not None:
                image.append(Fraction(row[n], L * D[n]))
        return SparseMatrix((self.shape[0], n), out), (image if x is not None else None)

    def _fraction_product(self, other: "SparseMatrix") -> "SparseMatrix":
        """``self @ other`` with Fraction arithmetic, row by row (best for sparse rows)."""
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


class _IntegerRows:
    """A matrix with row ``i`` equal to ``(integer row i) / scales[i]``, the integer rows in CSR form.

    :meth:`times` multiplies the integer rows by an integer matrix ``B`` exactly.  When every
    integer has magnitude below ``2^61`` it splits them into signed limbs of ``s`` bits,
    ``a = sum_p a_p 2^(s p)`` with ``|a_p| < 2^s``, where ``s = floor((53 - bitlength(r)) / 2)``
    for ``r`` the most nonzeros in a row: a limb product is below ``2^(2s)`` and a row's sum of
    them below ``r 2^(2s) <= 2^53``, so float64 products and sums of limbs (in any order, BLAS
    included) are exact integers; ``A B = sum_{p,q} (A_p B_q) 2^(s (p + q))`` is recombined in
    Python integers.  Otherwise it multiplies Python integers in numpy object arrays.
    """

    __slots__ = ("scales", "indptr", "indices", "data", "ncols", "_int64", "_limbs")

    def __init__(self, scales: list[int], indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                 ncols: int):
        self.scales = scales
        self.indptr = indptr
        self.indices = indices
        self.data = data
        self.ncols = ncols
        self._int64 = _as_small_int64(data)
        self._limbs: tuple[int, list[np.ndarray], bool] | None = None

    def times(self, B: np.ndarray) -> list[list[int]]:
        """Exact ``(integer rows) @ B`` for an int64 or object array ``B`` of integers, as lists of ints."""
        m = len(self.scales)
        n = B.shape[1]
        B64 = _as_small_int64(B)
        if self._int64 is not None and B64 is not None and len(self.data):
            return self._limb_times(B64).tolist()
        full = np.zeros((m, n), dtype=object)
        if len(self.data):
            nonempty = np.flatnonzero(np.diff(self.indptr))
            prod = self.data.astype(object)[:, None] * B.astype(object)[self.indices]
            full[nonempty] = np.add.reduceat(prod, self.indptr[nonempty], axis=0)
        return full.tolist()

    def _limb_times(self, B: np.ndarray) -> np.ndarray:
        """``(integer rows) @ B`` by exact float64 products of limbs (see the class docstring)."""
        if self._limbs is None:
            m, k = len(self.scales), self.ncols
            s = (53 - int(np.diff(self.indptr).max()).bit_length()) // 2
            limbs = _limbs(self._int64, s)
            dense = 4 * len(self.data) >= m * k          # dense rows: BLAS products of (m x k) limbs
            if dense:
                rows = np.repeat(np.arange(m), np.diff(self.indptr))
                mats = []
                for a in limbs:
                    M = np.zeros((m, k))
                    M[rows, self.indices] = a
                    mats.append(M)
                limbs = mats
            self._limbs = (s, limbs, dense)
        s, la, dense = self._limbs
        lb = _limbs(B, s)
        nonempty = np.flatnonzero(np.diff(self.indptr))
        starts = self.indptr[nonempty]
        acc: dict[int, np.ndarray] = {}
        for p, Ap in enumerate(la):
            for q, Bq in enumerate(lb):
                if dense:
                    part = (Ap @ Bq).astype(np.int64)
                else:
                    part = np.zeros((len(self.scales), B.shape[1]), dtype=np.int64)
                    part[nonempty] = np.add.reduceat(Ap[:, None] * Bq[self.indices], starts, axis=0)
                acc[p + q] = acc[p + q] + part if p + q in acc else part
        out = np.zeros((len(self.scales), B.shape[1]), dtype=object)
        for r, part in acc.items():
            out += part.astype(object) * (1 << (s * r))
        return out


def _integer_ratios(values: Sequence[Fraction]) -> tuple[list[int], list[int]]:
    """Numerators and denominators of Fractions (read through ``map``: no tuple per entry)."""
    return list(map(_NUMERATOR, values)), list(map(_DENOMINATOR, values))


# the public ``numerator`` / ``denominator`` of a Fraction are properties over the slots ``_numerator`` /
# ``_denominator`` (CPython and PyPy); reading the slots is four times faster on a large matrix
_SLOTS = hasattr(Fraction(1), "_numerator") and hasattr(Fraction(1), "_denominator")
_NUMERATOR = operator.attrgetter("_numerator" if _SLOTS else "numerator")
_DENOMINATOR = operator.attrgetter("_denominator" if _SLOTS else "denominator")


def _scaled_numerators(nums: list[int], dens: list[int], scales: list[int], group: np.ndarray) -> np.ndarray:
    """``nums[e] * (scales[group[e]] // dens[e])`` for every entry ``e``, exactly: an int64 array when every
    result has magnitude below ``2^62`` (the usual case for float data), else an object array of ints."""
    try:
        N = np.array(nums, dtype=np.int64)
        q = np.array(scales, dtype=np.int64)[group] // np.array(dens, dtype=np.int64)
    except OverflowError:
        pass
    else:
        if (np.abs(N.astype(np.float64)) * q.astype(np.float64) < 2.0 ** 61).all():
            return N * q
    out = np.empty(len(nums), dtype=object)
    out[:] = [p * (scales[g] // d) for p, d, g in zip(nums, dens, group.tolist())]
    return out


def _as_small_int64(values: np.ndarray) -> np.ndarray | None:
    """``values`` (int64 or object array of Python ints) as int64 when every one has magnitude below
    ``2^61`` (the float64 test has room for its rounding), else None."""
    if values.dtype != np.int64:
        try:
            values = values.astype(np.int64)
        except OverflowError:
            return None
    if values.size and not (np.abs(values.astype(np.float64)) < 2.0 ** 61).all():
        return None
    return values


def _limbs(x: np.ndarray, s: int) -> list[np.ndarray]:
    """Signed ``s``-bit limbs of an int64 array (magnitudes below ``2^61``) as exact float64 arrays."""
    mag = np.abs(x)
    sign = np.sign(x)
    bits = int(mag.max()).bit_length() if mag.size else 0
    mask = (1 << s) - 1
    return [(((mag >> (s * p)) & mask) * sign).astype(np.float64) for p in range(max(1, -(-bits // s)))]
