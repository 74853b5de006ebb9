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

from ..network import ReLUNetwork
from ..sparse import float_or_inf
from ..polytope import lcm_denominator

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
        self.Wdense: list[np.ndarray] = []           # object arrays of Python ints
        self._nonzeros: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.s: list[int] = []
        self.S: list[int] = []                        # S[l] = s_0 ... s_l
        S = 1
        for L in net.affine_layers:
            vals = [v for row in L.W.rows for _, v in row] + list(L.b)
            s = lcm_denominator(vals)
            self.s.append(s)
            S *= s
            self.S.append(S)
            rows = [[(j, int(v * s)) for j, v in row] for row in L.W.rows]
            self.W.append(rows)
            self.b.append([int(v * s) for v in L.b])
            m, n = L.W.shape
            dense = np.zeros((m, n), dtype=object)
            dense[...] = 0
            for i, row in enumerate(rows):
                for j, v in row:
                    dense[i, j] = v
            self.Wdense.append(dense)
        # float copies (nearest float64) for the float filter
        self.Wf = [L.W.to_float() for L in net.affine_layers]
        self.bf = [np.array([float_or_inf(v) for v in L.b], dtype=float) for L in net.affine_layers]

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
        """``M_0 = [Wi_0 | bi_0]`` as rows of Python ints."""
        d = self.d
        out = []
        for row, c in zip(self.W[0], self.b[0]):
            r = [0] * (d + 1)
            for j, v in row:
                r[j] = v
            r[d] = c
            out.append(tuple(r))
        return out

    def next_map(self, l: int, prev: Sequence[Sequence[int]], active: Sequence[int]) -> list[tuple[int, ...]]:
        """``M_l`` from ``M_{l-1}`` (rows ``prev``) and the active neurons of layer ``l - 1``."""
        d = self.d
        n = len(self.b[l])
        bias = [c * self.S[l - 1] for c in self.b[l]]
        if not active:
            return [(0,) * d + (bias[i],) for i in range(n)]
        Wsub = self.Wdense[l][:, list(active)]
        Msub = np.array([prev[i] for i in active], dtype=object)
        M = Wsub @ Msub
        M[:, d] += np.array(bias, dtype=object)
        return [tuple(r) for r in M.tolist()]

    def cell_maps(self, active: Sequence[Sequence[int]]) -> list[list[tuple[int, ...]]]:
        """``M_0 .. M_k`` for the active neuron indices of hidden layers ``0 .. k-1`` (``k = len(active)``);
        with ``k`` the number of hidden layers the last one is the output map."""
        maps = [self.first_map()]
        for l, act in enumerate(active):
            maps.append(self.next_map(l + 1, maps[-1], act))
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
