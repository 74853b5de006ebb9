"""A ReLU network scaled to integers, for exact homogeneous evaluation.

Layer ``l`` (``W_l``, ``b_l``) is multiplied by ``s_l``, the least common
multiple of its denominators (a power of two for float weights), giving
integer ``Wi_l``, ``bi_l``.  With ``S_{-1} = 1`` and ``S_l = s_l S_{l-1}``, a
point with homogeneous integer coordinates ``P = (X, t)`` (``x = X / t``,
``t >= 0``) has the integer pre-activations

.. math:: Z_0 = Wi_0 X + bi_0 t, \\qquad
          Z_l = Wi_l\\,\\mathrm{relu}(Z_{l-1}) + bi_l S_{l-1} t,

and ``Z_l = S_l t z_l(x)``: same signs as the true pre-activations ``z_l``.
On a set where the activation pattern of layers ``< l`` is fixed, ``Z_l`` is
linear in ``P``: ``Z_l = M_l P`` with the integer *cell map*
``M_l = Wi_l D_{l-1} M_{l-1} + (bi_l S_{l-1}) e_t``, ``M_0 = [Wi_0 | bi_0]``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import numpy as np

import scipy.sparse as sp

from ..network import ReLUNetwork
from ..sparse import float_or_inf
from ..polytope import lcm_denominator
from ._float import _SPARSE_BELOW

_PREFIX_MAPS = 64          # cell maps kept by IntegerNetwork.cell_maps, keyed by the patterns before them

__all__ = ["IntegerNetwork"]


class IntegerNetwork:
    """Integer-scaled copy of a :class:`~cpa.network.ReLUNetwork` (see the module docstring)."""

    def __init__(self, net: ReLUNetwork):
        self.net = net
        self.d = net.input_dim
        self.widths = tuple(net.widths)
        self.n_layers = len(net.affine_layers)       # hidden layers + output layer
        self.W: list[list[list[tuple[int, int]]]] = []   # sparse integer rows: (col, value)
        self.b: list[list[int]] = []
        self.shapes: list[tuple[int, int]] = []
        self._nonzeros: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._nnz: dict[int, int] = {}
        self._first: tuple[tuple[int, ...], ...] | None = None
        self._prefix_maps: dict[tuple, list[tuple[int, ...]]] = {}   # see cell_maps
        self.s: list[int] = []
        self.S: list[int] = []                        # S[l] = s_0 ... s_l
        S = 1
        for L in net.affine_layers:
            vals = [v for row in L.W.rows for _, v in row] + list(L.b)
            s = lcm_denominator(vals)
            self.s.append(s)
            S *= s
            self.S.append(S)
            self.W.append([[(j, v.numerator * (s // v.denominator)) for j, v in row] for row in L.W.rows])
            self.b.append([v.numerator * (s // v.denominator) for v in L.b])
            self.shapes.append(L.W.shape)
        self.Wdense = _DenseLayers(self)               # object arrays of Python ints, built on first use
        # float copies (nearest float64) for the float filter, as sparse CSR matrices
        self.Wf = [_float_csr(L.W) for L in net.affine_layers]
        self.bf = [np.array([float_or_inf(v) for v in L.b], dtype=float) for L in net.affine_layers]

    def nnz(self, l: int) -> int:
        """Number of nonzero weights of layer ``l``."""
        n = self._nnz.get(l)
        if n is None:
            n = self._nnz[l] = sum(len(r) for r in self.W[l])
        return n

    def is_sparse(self, l: int) -> bool:
        """Whether layer ``l`` has fewer nonzero weights than one in eight (convolutions, poolings,
        max gadgets): its products are then taken over the nonzero weights only."""
        m, n = self.shapes[l]
        return self.nnz(l) < _SPARSE_BELOW * m * n

    def nonzeros(self, l: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Layer ``l``'s nonzero integer weights in row order: ``(rows, cols, values)`` (values an
        object array of Python ints), built once."""
        cache = self._nonzeros
        if l not in cache:
            rows = self.W[l]
            ri = np.array([i for i, r in enumerate(rows) for _ in r], dtype=np.int64)
            ci = np.array([j for r in rows for j, _ in r], dtype=np.int64)
            vals = np.empty(len(ri), dtype=object)
            vals[:] = [v for r in rows for _, v in r]
            cache[l] = (ri, ci, vals)
        return cache[l]

    def S_before(self, l: int) -> int:
        """``S_{l-1}`` (1 for the first layer)."""
        return self.S[l - 1] if l > 0 else 1

    # --- exact evaluation ------------------------------------------------------
    def forward(self, P: Sequence[int], upto: int) -> list[int]:
        """Integer pre-activations ``Z_upto`` at the homogeneous point ``P``."""
        X = P[:-1]
        t = P[-1]
        Z = [sum(v * X[j] for j, v in row) + c * t for row, c in zip(self.W[0], self.b[0])]
        for l in range(1, upto + 1):
            H = [z if z > 0 else 0 for z in Z]
            St = self.S[l - 1] * t
            Z = [sum(v * H[j] for j, v in row) + c * St for row, c in zip(self.W[l], self.b[l])]
        return Z

    def first_map(self) -> list[tuple[int, ...]]:
        """``M_0 = [Wi_0 | bi_0]`` as rows of Python ints (built once)."""
        if self._first is not None:
            return list(self._first)
        d = self.d
        out = []
        for row, c in zip(self.W[0], self.b[0]):
            r = [0] * (d + 1)
            for j, v in row:
                r[j] = v
            r[d] = c
            out.append(tuple(r))
        self._first = tuple(out)
        return list(out)

    def next_map(self, l: int, prev: Sequence[Sequence[int]], active: Sequence[int]) -> list[tuple[int, ...]]:
        """``M_l`` from ``M_{l-1}`` (rows ``prev``) and the active neurons of layer ``l - 1``."""
        d = self.d
        n = len(self.b[l])
        bias = [c * self.S[l - 1] for c in self.b[l]]
        if not active:
            return [(0,) * d + (bias[i],) for i in range(n)]
        if n <= 4:      # a narrow layer (an output): plain integers beat an object-array product
            on = set(active)
            out = []
            for row, c in zip(self.W[l], bias):
                acc = [0] * (d + 1)
                for j, v in row:
                    if j in on:
                        acc = [a + v * m for a, m in zip(acc, prev[j])]
                acc[d] += c
                out.append(tuple(acc))
            return out
        if self.is_sparse(l):
            ri, ci, vals = self.nonzeros(l)
            on = np.zeros(len(prev), dtype=bool)
            on[list(active)] = True
            keep = on[ci]
            ri, ci, vals = ri[keep], ci[keep], vals[keep]
            M = np.zeros((n, d + 1), dtype=object)
            M[...] = 0
            if len(vals):
                P = np.empty((len(prev), d + 1), dtype=object)
                P[...] = [list(r) for r in prev]
                starts = np.flatnonzero(np.r_[True, ri[1:] != ri[:-1]])
                M[ri[starts]] = np.add.reduceat(vals[:, None] * P[ci], starts, axis=0)
        else:
            Wsub = self.Wdense[l][:, list(active)]
            Msub = np.array([prev[i] for i in active], dtype=object)
            M = Wsub @ Msub
        M[:, d] += np.array(bias, dtype=object)
        return [tuple(r) for r in M.tolist()]

    def cell_maps(self, active: Sequence[Sequence[int]]) -> list[list[tuple[int, ...]]]:
        """``M_0 .. M_k`` for the active neuron indices of hidden layers ``0 .. k-1`` (``k = len(active)``);
        with ``k`` the number of hidden layers the last one is the output map.

        Regions asked for one after the other often share the patterns of their first layers
        (siblings, neighbours on a small window): the maps of the last few prefixes are kept.
        """
        maps = [self.first_map()]
        key: tuple = ()
        for l, act in enumerate(active):
            key = key + (tuple(act),)
            M = self._prefix_maps.get(key)
            if M is None:
                M = self.next_map(l + 1, maps[-1], act)
                if len(self._prefix_maps) >= _PREFIX_MAPS:
                    del self._prefix_maps[next(iter(self._prefix_maps))]
                self._prefix_maps[key] = M
            maps.append(M)
        return maps

    def map_to_fractions(self, M: Sequence[Sequence[int]], l: int) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        """The affine map ``x -> A x + c`` of the integer map ``M_l`` (divide by ``S_l``)."""
        S = self.S[l]
        A = tuple(tuple(Fraction(v, S) for v in r[:-1]) for r in M)
        c = tuple(Fraction(r[-1], S) for r in M)
        return A, c

    def coefficient_bound(self) -> int:
        """A bound on the absolute entries of every cell map ``M_l`` of a hidden layer, over all patterns."""
        B = 1
        prev = None
        for l in range(self.n_layers - 1):
            if l == 0:
                cur = max([abs(v) for row in self.W[0] for _, v in row] + [abs(c) for c in self.b[0]] + [1])
            else:
                rowsum = max([sum(abs(v) for _, v in row) for row in self.W[l]] + [0])
                cur = rowsum * prev + max([abs(c) for c in self.b[l]] + [0]) * self.S[l - 1]
            prev = max(cur, 1)
            B = max(B, prev)
        return B


class _DenseLayers:
    """``Wdense[l]``: layer ``l``'s integer weights as a dense object array, built on first use
    (a convolution unrolled to 5408 x 5408 has 8,112 nonzeros; most engines only need those)."""

    def __init__(self, inet: IntegerNetwork):
        self._inet = inet
        self._cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self._inet.n_layers

    def __getitem__(self, l: int) -> np.ndarray:
        if l < 0:
            l += len(self)
        if not 0 <= l < len(self):
            raise IndexError(l)
        A = self._cache.get(l)
        if A is None:
            m, n = self._inet.shapes[l]
            A = np.zeros((m, n), dtype=object)
            A[...] = 0
            for i, row in enumerate(self._inet.W[l]):
                for j, v in row:
                    A[i, j] = v
            self._cache[l] = A
        return A

    def __iter__(self):
        return (self[l] for l in range(len(self)))


def _float_csr(W) -> sp.csr_matrix:
    """The nearest float64 of every weight of an exact sparse matrix, as a CSR matrix."""
    m, n = W.shape
    indptr = np.zeros(m + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in W.rows])
    indices = np.array([j for r in W.rows for j, _ in r], dtype=np.int64)
    try:    # int / int is correctly rounded, as float(Fraction) is
        data = np.array([v.numerator / v.denominator for r in W.rows for _, v in r], dtype=float)
    except OverflowError:
        data = np.array([float_or_inf(v) for r in W.rows for _, v in r], dtype=float)
    return sp.csr_matrix((data, indices, indptr), shape=(m, n))
