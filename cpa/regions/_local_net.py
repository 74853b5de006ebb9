"""Integer cell maps in python-flint matrices, for point location and local search.

The network is scaled to integers as in :mod:`cpa.regions._exact` (``Z_l = S_l t z_l`` at a
homogeneous point ``P = (X, t)``, ``t > 0``).  On the cell of an activation pattern every
hidden pre-activation is linear in ``P`` and, because every later layer only recombines the
first layer's outputs, it is a combination of the rows of the first layer's map
``M_0 = [Wi_0 | bi_0]``:

.. math:: Z_l = K_l\\,M_0 P + \\beta_l t, \\qquad
          K_0 = I,\\; \\beta_0 = 0, \\qquad
          K_l = Wi_l D_{l-1} K_{l-1}, \\; \\beta_l = Wi_l D_{l-1} \\beta_{l-1} + bi_l S_{l-1},

with ``D_{l-1}`` the 0/1 diagonal of the pattern.  A cell is therefore held by the small
integer matrix ``K`` (all hidden neurons, ``N x n_0``) and the vector ``beta``, never by its
``N x (d + 1)`` rows: the values of every neuron at a point cost one product ``M_0 P``
(``n_0 x (d + 1)``) and one ``K`` product, and the Gram matrix of the rows' normals is
``K G_0 K^T`` with ``G_0 = M_0' M_0'^T`` (``M_0'``: the linear part), computed once per
network.  So ``a_j . a_k``, ``|a_j|^2`` (zero iff the neuron is constant on the cell), the
parallel rows and the derivative of every neuron along a row's normal are exact integers of
size ``N``, whatever ``d`` is.

Row convention (as in :mod:`cpa.regions._exact_lp`): the *signed* row of a neuron is
``sigma (K M_0 + beta e_t)`` with ``sigma = -1`` for an active neuron and ``+1`` for an
inactive one, so the region's closure is ``{x : row . (x, 1) <= 0}``.

The *lexicographic* pattern at a point ``P`` for directions ``v_1, v_2, ...`` is the pattern
of ``P + eps v_1 + eps^2 v_2 + ...`` for small ``eps > 0``: a neuron with ``Z = 0`` at ``P``
takes the sign of the first nonzero derivative along ``v_1, v_2, ...`` in the cell being
built (layer by layer), then along ``e_1, ..., e_d`` (the first nonzero coefficient of its
linear part); a neuron that is still zero is constant zero on the cell, hence inactive.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from ..errors import CertificateError, MissingExtraError
from ..network import ReLUNetwork
from ._exact import IntegerNetwork

__all__ = ["FlintNetwork", "Cell", "flint_network", "hom", "dehom", "primitive"]

_CACHE: "OrderedDict[int, tuple[ReLUNetwork, FlintNetwork]]" = OrderedDict()
_CACHE_SIZE = 4


def _flint() -> Any:
    try:
        import flint
    except ImportError:   # pragma: no cover - python-flint is a dependency
        raise MissingExtraError("local region search needs python-flint: pip install python-flint") from None
    return flint


def flint_network(net: ReLUNetwork) -> "FlintNetwork":
    """The :class:`FlintNetwork` of ``net``, cached for the last few networks (by identity)."""
    key = id(net)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is net:
        _CACHE.move_to_end(key)
        return hit[1]
    fn = FlintNetwork(net)
    _CACHE[key] = (net, fn)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return fn


def primitive(P: Sequence[int]) -> tuple[int, ...]:
    """``P`` divided by the gcd of its entries."""
    g = math.gcd(*P)
    return tuple(P) if g <= 1 else tuple(v // g for v in P)


def hom(x: Sequence[Fraction]) -> tuple[int, ...]:
    """Primitive homogeneous integer coordinates ``(X, t)``, ``t > 0``, of a rational point."""
    t = math.lcm(*[v.denominator for v in x]) if x else 1
    return primitive([v.numerator * (t // v.denominator) for v in x] + [t])


def dehom(P: Sequence[int]) -> tuple[Fraction, ...]:
    """The rational point of homogeneous coordinates ``P``."""
    t = P[-1]
    return tuple(Fraction(v, t) for v in P[:-1])


def _ints(M: Any) -> list[int]:
    return [int(v) for v in M.entries()]


class FlintNetwork:
    """A :class:`~cpa.network.ReLUNetwork` scaled to integers, in python-flint matrices
    (see the module docstring)."""

    def __init__(self, net: ReLUNetwork):
        flint = _flint()
        self.fmat = flint.fmpz_mat
        inet = IntegerNetwork(net)
        self.net = net
        self.d = d = inet.d
        self.widths = tuple(inet.widths)
        self.depth = len(self.widths)
        self.S = list(inet.S)
        first = inet.first_map()
        self.n0 = n0 = len(first)
        self.M0_rows = [tuple(r) for r in first]
        self.M0 = self.fmat(first)
        self.M0_lin = self.fmat([list(r[:d]) for r in first])
        self.kappa0 = [r[d] for r in first]
        self.G0 = self.M0_lin * self.M0_lin.transpose()
        # exact norms of the first layer's rows (for exact upper bounds of later rows' norms)
        self.row_l1 = [sum(abs(v) for v in r[:d]) for r in first]
        self.row_max = [max((abs(v) for v in r[:d]), default=0) for r in first]
        self.W_rows: list[Any] = [None]
        self.W_mat: list[Any] = [None]
        self.bias: list[Any] = [None]
        for l in range(1, len(inet.W)):
            rows = [[int(v) for v in row] for row in inet.Wdense[l].tolist()]
            self.W_rows.append(rows)
            self.W_mat.append(self.fmat(rows))
            Sb = inet.S[l - 1]
            self.bias.append([c * Sb for c in inet.b[l]])
        with np.errstate(over="ignore"):
            self.M0f = np.array([[_f(v) for v in r] for r in first], dtype=float).reshape(n0, d + 1)
        # the first layer's rows independent: every cell is a cylinder over a polyhedron of R^n0,
        # and facet LPs without a ball run in the first layer's coordinates
        self.full_row_rank = n0 <= d and _rank_mod_p(first, d) == n0
        self._pinv: Any = None

    @property
    def pinv(self) -> np.ndarray:
        """Float pseudo-inverse of the first layer's linear part (``d x n0``; for lifting only)."""
        if self._pinv is None:
            self._pinv = np.linalg.pinv(self.M0f[:, :-1])
        return self._pinv

    # --- points -----------------------------------------------------------------------------
    def column(self, P: Sequence[int]) -> Any:
        return self.fmat(len(P), 1, list(P))

    def first_values(self, P: Sequence[int]) -> list[int]:
        """``M_0 P``: the first layer's integer pre-activations at the homogeneous point ``P``."""
        return _ints(self.M0 * self.column(P))

    def first_derivatives(self, U: Sequence[int]) -> list[int]:
        """``M_0' U``: the first layer's derivatives along the integer direction ``U`` (length d)."""
        return _ints(self.M0_lin * self.column(U))

    def forward(self, P: Sequence[int]) -> list[list[int]]:
        """Integer pre-activations ``Z_0, ..., Z_L`` (hidden layers, then the output) at ``P``."""
        t = P[-1]
        Z = self.first_values(P)
        out = [Z]
        for l in range(1, self.depth + 1):
            H = self.fmat(len(Z), 1, [z if z > 0 else 0 for z in Z])
            Z = [int(v) + c * t for v, c in zip((self.W_mat[l] * H).entries(), self.bias[l])]
            out.append(Z)
        return out

    def propagate(self, l: int, prev: Sequence[int], active: Sequence[bool]) -> list[int]:
        """``Wi_l D prev``: derivatives of layer ``l`` from those of layer ``l - 1`` on a cell."""
        v = self.fmat(len(prev), 1, [q if a else 0 for q, a in zip(prev, active)])
        return _ints(self.W_mat[l] * v)

    # --- cells ------------------------------------------------------------------------------
    def masked(self, l: int, active: Sequence[bool]) -> Any:
        """``Wi_l D`` with the columns of the inactive neurons of layer ``l - 1`` zeroed."""
        rows = self.W_rows[l]
        flat = [w if a else 0 for row in rows for w, a in zip(row, active)]
        return self.fmat(len(rows), len(active), flat)

    def derivatives(self, pattern: Sequence[Sequence[bool]], dZ0: list[int], upto: int) -> list[list[int]]:
        """Derivatives ``dZ_0, ..., dZ_upto`` of the layers on the cell of ``pattern`` (its layers
        ``< upto`` are used) along a direction whose first-layer derivatives are ``dZ0``."""
        out = [list(dZ0)]
        cur = list(dZ0)
        for l in range(1, upto + 1):
            cur = self.propagate(l, cur, pattern[l - 1])
            out.append(cur)
        return out

    def lex_pattern(self, values: Sequence[Sequence[int]], dirs0: Sequence[list[int]],
                    explicit: bool = True) -> tuple[tuple[tuple[bool, ...], ...], list[Any]]:
        """The lexicographic pattern (see the module docstring) at a point where the hidden
        pre-activations are ``values`` (per layer), for the directions whose first-layer
        derivatives are ``dirs0``, then ``e_1, ..., e_d``.

        Returns the pattern and, per layer, ``{neuron: k}`` for the neurons with value zero:
        ``k`` the index of the direction that decided (``len(dirs0) + j`` for ``e_j``) or None
        when the neuron is constant zero on the cell.
        """
        pattern: list[tuple[bool, ...]] = []
        decided: list[dict[int, Any]] = []
        derivs: list[list[list[int]]] = [[list(v)] for v in dirs0]   # per direction, per layer
        nd = len(dirs0)
        for l in range(self.depth):
            z = values[l]
            signs = [v > 0 for v in z]
            ties = [k for k, v in enumerate(z) if v == 0]
            dec: dict[int, Any] = {}
            if ties:
                for dv in derivs:                      # bring the derivatives up to layer l
                    while len(dv) <= l:
                        m = len(dv)
                        dv.append(self.propagate(m, dv[m - 1], pattern[m - 1]))
                rest = []
                for k in ties:
                    for j, dv in enumerate(derivs):
                        g = dv[l][k]
                        if g:
                            signs[k] = g > 0
                            dec[k] = j
                            break
                    else:
                        rest.append(k)
                if rest:
                    if not explicit:
                        raise CertificateError("local search: a neuron zero on a facet is constant along "
                                               "its normal")
                    cell = Cell(self, tuple(pattern) + ((False,) * len(z),) * (self.depth - l), upto=l)
                    for k in rest:
                        row = cell.neuron_lin(l, k)
                        j = next((j for j, v in enumerate(row) if v), None)
                        if j is None:
                            signs[k] = False
                            dec[k] = None
                        else:
                            signs[k] = row[j] > 0
                            dec[k] = nd + j
            pattern.append(tuple(signs))
            decided.append(dec)
        return tuple(pattern), decided


def _rank_mod_p(rows: Sequence[Sequence[int]], d: int) -> int:
    """The rank of the linear parts of ``rows`` modulo a 61-bit prime (a lower bound of the rank
    over Q; equal to it unless the prime divides some minor)."""
    flint = _flint()
    p = (1 << 61) - 1
    return flint.nmod_mat([[v % p for v in r[:d]] for r in rows], p).rank()


def _f(v: int) -> float:
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


class Cell:
    """The integer maps of one activation pattern (see the module docstring).

    Attributes
    ----------
    K
        ``N x n_0`` flint matrix of the *signed* hidden rows over ``M_0`` (``N`` hidden neurons
        of the layers ``< upto``).
    beta
        The signed constants ``beta`` (Python ints).
    neurons
        ``(layer, index)`` of each hidden neuron, in order.
    """

    def __init__(self, fn: FlintNetwork, pattern: Sequence[Sequence[bool]], upto: int | None = None):
        self.fn = fn
        self.pattern = tuple(tuple(p) for p in pattern)
        depth = fn.depth if upto is None else upto
        n0 = fn.n0
        fmat = fn.fmat
        Ks: list[Any] = []          # unsigned K_l, l = 1 .. depth (output included when upto is None)
        betas: list[list[int]] = [[0] * n0]
        prev = None
        last = fn.depth if upto is None else upto
        for l in range(1, last + 1):
            Wm = fn.masked(l, self.pattern[l - 1])
            Kl = Wm if prev is None else Wm * prev
            bl = [v + c for v, c in zip(fn.propagate(l, betas[-1], self.pattern[l - 1]), fn.bias[l])]
            Ks.append(Kl)
            betas.append(bl)
            prev = Kl
        self._Kl = Ks
        self._betas = betas
        self.depth = depth
        self.neurons = [(l, k) for l in range(depth) for k in range(fn.widths[l])]
        sign = []
        for l in range(depth):
            sign.extend(-1 if a else 1 for a in self.pattern[l])
        self.sign = sign
        flat: list[Any] = []
        for l in range(depth):
            if l == 0:
                for k in range(n0):
                    row = [0] * n0
                    row[k] = sign[k]
                    flat.extend(row)
            else:
                s0 = len(flat) // n0
                ent = Ks[l - 1].entries()
                w = n0
                for k in range(fn.widths[l]):
                    s = sign[s0 + k]
                    seg = ent[k * w:(k + 1) * w]
                    flat.extend(seg if s > 0 else [-v for v in seg])
        self.N = len(self.neurons)
        self.K = fmat(self.N, n0, flat) if self.N else None
        beta: list[int] = []
        for l in range(depth):
            beta.extend(s * b for s, b in zip(sign[len(beta):len(beta) + len(betas[l])], betas[l]))
        self.beta = beta
        self._gram: list[list[int]] | None = None
        self._kappa: list[int] | None = None
        self._lin: dict[int, list[int]] = {}
        self._kint: list[list[int]] | None = None
        self._zgram: list[list[int]] | None = None

    def release(self) -> None:
        """Drop the caches only the facet search of this cell needs (the Gram matrix and the rows
        already formed stay: facet points handed out still use them)."""
        self._zgram = None
        self._kint = None

    @property
    def kint(self) -> list[list[int]]:
        """``K`` as rows of Python ints (cached)."""
        if self._kint is None:
            e = _ints(self.K) if self.N else []
            n0 = self.fn.n0
            self._kint = [e[j * n0:(j + 1) * n0] for j in range(self.N)]
        return self._kint

    # --- rows -------------------------------------------------------------------------------
    def values(self, Z0: Sequence[int], t: int) -> list[int]:
        """Signed row values ``row . P`` of every hidden neuron, given ``Z0 = M_0 P`` and ``t``."""
        if not self.N:
            return []
        v = _ints(self.K * self.fn.fmat(len(Z0), 1, list(Z0)))
        return [a + b * t for a, b in zip(v, self.beta)] if t else v

    def values_at(self, P: Sequence[int]) -> list[int]:
        return self.values(self.fn.first_values(P), P[-1])

    @property
    def kappa(self) -> list[int]:
        """Signed constants ``row . e_t`` (the rows' values at the origin)."""
        if self._kappa is None:
            self._kappa = self.values(self.fn.kappa0, 1)
        return self._kappa

    @property
    def gram(self) -> list[list[int]]:
        """``a_j . a_k`` of the signed rows' normals (exact, ``N x N``)."""
        if self._gram is None:
            if not self.N:
                self._gram = []
            else:
                G = self.K * self.fn.G0 * self.K.transpose()
                e = _ints(G)
                N = self.N
                self._gram = [e[i * N:(i + 1) * N] for i in range(N)]
        return self._gram

    @property
    def zgram(self) -> list[list[int]]:
        """``K_j . K_k`` (the Gram matrix of the rows in the first layer's coordinates)."""
        if getattr(self, "_zgram", None) is None:
            e = _ints(self.K * self.K.transpose()) if self.N else []
            N = self.N
            self._zgram = [e[i * N:(i + 1) * N] for i in range(N)]
        return self._zgram

    def combination_lin(self, coef: Sequence[int]) -> list[int]:
        """``sum_j coef_j a_j`` (the linear part of a combination of signed rows), explicit."""
        c = self.fn.fmat(1, self.N, list(coef)) * self.K
        return _ints(c * self.fn.M0_lin)

    def row_lin(self, j: int) -> list[int]:
        """The explicit normal ``a_j`` of signed row ``j`` (length d, cached)."""
        r = self._lin.get(j)
        if r is None:
            coef = [0] * self.N
            coef[j] = 1
            r = self.combination_lin(coef)
            self._lin[j] = r
        return r

    def neuron_lin(self, l: int, k: int) -> list[int]:
        """The linear part of the *unsigned* pre-activation of neuron ``k`` of layer ``l`` (the cell
        must have been built with ``upto >= l``)."""
        fn = self.fn
        if l == 0:
            return list(fn.M0_rows[k][:fn.d])
        n0 = fn.n0
        seg = self._Kl[l - 1].entries()[k * n0:(k + 1) * n0]
        return _ints(fn.fmat(1, n0, seg) * fn.M0_lin)

    def norm_bound(self, j: int, which: str) -> int:
        """An exact upper bound of ``|a_j|_1`` (``which="l1"``) or ``|a_j|_inf`` (``"max"``):
        ``sum_i |K_ji| |M_0 row i|``."""
        base = self.fn.row_l1 if which == "l1" else self.fn.row_max
        return sum(abs(v) * b for v, b in zip(self.kint[j], base) if v)

    def k_float(self, rows: Sequence[int]) -> np.ndarray:
        """Float copies of the coefficient rows ``K_j`` (``len(rows) x n_0``)."""
        K = self.kint
        return np.array([[_f(v) for v in K[j]] for j in rows], dtype=float).reshape(len(rows), self.fn.n0)

    def row_float(self, rows: Sequence[int]) -> np.ndarray:
        """Float copies (for LPs and screening only) of the signed rows ``rows``: ``len(rows) x (d + 1)``."""
        fn = self.fn
        with np.errstate(over="ignore", invalid="ignore"):
            F = self.k_float(rows) @ fn.M0f
            F[:, -1] += np.array([_f(self.beta[j]) for j in rows])
        return F

    # --- output -----------------------------------------------------------------------------
    def output_map(self) -> tuple[list[list[int]], list[int], int]:
        """``(A, c, S)``: the output is ``(A x + c) / S`` on the cell (exact integers)."""
        fn = self.fn
        S = fn.S[-1]
        if fn.depth == 0:
            return [list(r[:fn.d]) for r in fn.M0_rows], list(fn.kappa0), S
        K = self._Kl[-1]
        A = _ints(K * fn.M0_lin)
        d = fn.d
        rows = [A[i * d:(i + 1) * d] for i in range(K.nrows())]
        c0 = _ints(K * fn.fmat(fn.n0, 1, fn.kappa0))
        c = [a + b for a, b in zip(c0, self._betas[-1])]
        return rows, c, S
