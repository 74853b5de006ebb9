"""Local complexity in a random affine subspace through each point (``local_complexity(dims=k)``).

The subspace through ``x`` spanned by the rows ``v_1, ..., v_k`` of ``V`` is parametrised by
``t -> x + V^T t``.  The ball ``|y - x| <= rho`` meets it in the polytope

* ``linf``: ``P = {t : |V^T t|_inf <= rho} = {t : |c_j . t| <= rho for every column c_j of V}``;
* ``l1``:  ``P = {t : sum_j |c_j . t| <= rho}``, a polytope whose facets are the cells of the
  central arrangement of the lines (hyperplanes) ``c_j . t = 0``,

the same for every point.  The network restricted to the subspace is the network whose first
layer is ``W_0 V^T`` with bias ``W_0 x + b_0`` (composed exactly, in integers); its regions on
``P`` are those counted.  A neuron's zero set meets ``P`` iff its pre-activation takes a value
``<= 0`` and a value ``>= 0`` on ``P``; it is affine on each region, so this is read off the
exact values at the regions' vertices.

For ``k = 2``, ``P`` is computed as a polygon directly (``linf``: the polar of the convex hull of
``+-c_j``; ``l1``: the convex hull of the points ``rho u / sum_j |c_j . u|`` for ``u`` normal to a
``c_j``), and the regions are found by exact polygon splitting as in
:mod:`cpa.regions._polygon`, where the values of every neuron at the vertices of every cell are
computed anyway: the hyperplane count costs nothing more.  For other ``k`` the restricted network
goes to :func:`cpa.regions.regions` on ``P`` as a :class:`~cpa.domains.Polyhedron`.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from ..domains import Box, Polyhedron
from ..errors import ArgumentError, ShapeError
from ..network import ReLUNetwork
from ..numbers import to_rational
from ._local_net import FlintNetwork, flint_network, hom, primitive

__all__ = ["random_directions", "exact_directions", "slice_counts", "slice_polytope"]


def random_directions(k: int, d: int, seed: int) -> list[tuple[Fraction, ...]]:
    """``k`` random directions of ``R^d``: standard normal float64 rows from ``seed``, each divided
    by its largest absolute entry, taken at their exact binary value; independent (checked)."""
    rng = np.random.default_rng(seed)
    for _ in range(8):
        V = rng.standard_normal((k, d))
        V /= np.max(np.abs(V), axis=1, keepdims=True)
        out = [tuple(Fraction(v) for v in row) for row in V.tolist()]
        if _rank(out) == k:
            return out
    raise ArgumentError(f"could not draw {k} independent directions in R^{d}")   # pragma: no cover


def exact_directions(directions: Any, d: int, dims: int | None) -> list[tuple[Fraction, ...]]:
    """The rows of a ``(k, d)`` array as exact rationals, checked independent (and ``k == dims``)."""
    if isinstance(directions, (str, bytes)) or not hasattr(directions, "__len__"):
        raise ShapeError(f"directions must be a (k, {d}) array, got {type(directions).__name__}")
    rows = list(directions)
    if not rows:
        raise ShapeError(f"directions must be a (k, {d}) array with k >= 1, got no rows")
    out = []
    for i, r in enumerate(rows):
        if isinstance(r, (str, bytes)) or not hasattr(r, "__len__") or len(r) != d:
            raise ShapeError(f"directions[{i}] must have {d} entries")
        out.append(tuple(to_rational(v, f"directions[{i}][{j}]") for j, v in enumerate(list(r))))
    if dims is not None and len(out) != dims:
        raise ShapeError(f"directions has {len(out)} rows but dims={dims}")
    if len(out) > d:
        raise ArgumentError(f"directions: {len(out)} directions in R^{d} cannot be independent")
    if _rank(out) != len(out):
        raise ArgumentError("directions must be linearly independent")
    return out


def _rank(V: Sequence[Sequence[Fraction]]) -> int:
    import flint

    return flint.fmpq_mat([[flint.fmpq(v.numerator, v.denominator) for v in r] for r in V]).rank()


def _int_rows(V: Sequence[Sequence[Fraction]]) -> tuple[list[list[int]], int]:
    """``V = Vi / D`` with integer ``Vi`` and ``D > 0``."""
    D = math.lcm(*[v.denominator for r in V for v in r])
    return [[v.numerator * (D // v.denominator) for v in r] for r in V], D


# --- the polytope ---------------------------------------------------------------------------------
def _hull2(points: Sequence[tuple[Fraction, Fraction]]) -> list[tuple[Fraction, Fraction]]:
    """The vertices of the convex hull of rational points in the plane, counter-clockwise
    (Andrew's monotone chain, exact; collinear points dropped)."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: Any, a: Any, b: Any) -> Fraction:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Any] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Any] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def slice_polygon(V: Sequence[Sequence[Fraction]], r: Fraction, norm: str) -> list[tuple[Fraction, Fraction]]:
    """The vertices of ``P`` (``k = 2``), counter-clockwise (see the module docstring)."""
    cols = [(V[0][j], V[1][j]) for j in range(len(V[0]))]
    cols = [c for c in cols if c[0] or c[1]]
    if norm == "linf":
        Q = _hull2(cols + [(-a, -b) for a, b in cols])
        out = []
        n = len(Q)
        for k in range(n):
            p, q = Q[k], Q[(k + 1) % n]
            det = p[0] * q[1] - p[1] * q[0]
            out.append((r * (q[1] - p[1]) / det, r * (p[0] - q[0]) / det))
        return out
    pts = []
    for a, b in cols:
        for u in ((-b, a), (b, -a)):
            g = sum((abs(c0 * u[0] + c1 * u[1]) for c0, c1 in cols), Fraction(0))
            pts.append((r * u[0] / g, r * u[1] / g))
    return _hull2(pts)


def slice_polytope(V: Sequence[Sequence[Fraction]], r: Fraction, norm: str) -> Box | Polyhedron:
    """``P`` as a domain of ``R^k`` (see the module docstring)."""
    k = len(V)
    d = len(V[0])
    cols = [tuple(V[i][j] for i in range(k)) for j in range(d)]
    cols = [c for c in cols if any(c)]
    if k == 1:
        s = max(abs(c[0]) for c in cols) if norm == "linf" else sum(abs(c[0]) for c in cols)
        return Box([-r / s], [r / s])
    if k == 2:
        verts = slice_polygon(V, r, norm)
        n = len(verts)
        A, b = [], []
        for i in range(n):
            p, q = verts[i], verts[(i + 1) % n]
            a = (q[1] - p[1], p[0] - q[0])                    # outward normal of a counter-clockwise edge
            A.append(a)
            b.append(a[0] * p[0] + a[1] * p[1])
        return Polyhedron(A, b)
    if norm == "linf":
        rows: dict[tuple[int, ...], None] = {}
        for c in cols:
            for s in (1, -1):
                rows[primitive_row([s * v for v in c] + [-r])] = None
        return Polyhedron([list(rw[:-1]) for rw in rows], [Fraction(-rw[-1]) for rw in rows])
    # l1, k >= 3: one row per cell of the central arrangement of the hyperplanes c_j . t = 0
    from .api import regions

    arr = ReLUNetwork([([list(c) for c in cols], [0] * len(cols)), ([[0] * len(cols)], [0])])
    A, b = [], []
    for R in regions(arr, Box([-1] * k, [1] * k)):
        sig = [1 if a else -1 for a in R.pattern[0]]
        A.append([sum((s * c[i] for s, c in zip(sig, cols)), Fraction(0)) for i in range(k)])
        b.append(r)
    return Polyhedron(A, b)


def primitive_row(v: Sequence[Fraction]) -> tuple[int, ...]:
    D = math.lcm(*[q.denominator for q in v])
    return primitive([q.numerator * (D // q.denominator) for q in v])


# --- counting ---------------------------------------------------------------------------------------
def slice_counts(net: ReLUNetwork, points: Sequence[Sequence[Fraction]], V: Sequence[Sequence[Fraction]],
                 r: Fraction, norm: str, method: str = "auto") -> list[tuple[int, int]]:
    """``(regions, hyperplanes)`` at each point (see the module docstring); ``method="generic"``
    forces the path through :func:`cpa.regions.regions` for ``k = 2`` too (tests compare)."""
    fn = flint_network(net)
    k = len(V)
    Vi, DV = _int_rows(V)
    # the composed first layer's linear part, M_0' Vi^T (n0 x k), in integers
    A1 = fn.M0_lin * fn.fmat(Vi).transpose()
    A1i = [int(v) for v in A1.entries()]
    A1rows = [A1i[i * k:(i + 1) * k] for i in range(fn.n0)]
    if k == 2 and method == "auto" and fn.depth >= 1:
        verts = slice_polygon(V, r, norm)
        poly = [hom(p) for p in verts]
        return [_polygon_counts(fn, A1rows, DV, hom(x), poly) for x in points]
    dom = slice_polytope(V, r, norm)
    out = []
    for x in points:
        out.append(_generic_counts(fn, A1rows, DV, hom(x), dom))
    return out


def _first_map(fn: FlintNetwork, A1rows: Sequence[Sequence[int]], DV: int, X: Sequence[int]) -> tuple[list[tuple[int, ...]], int]:
    """The restricted network's first integer map ``[t_x A1 | D_V Z_0(x)]`` (rows over ``(t, tau)``)
    and the factor ``c = t_x D_V`` of the later layers' biases (see :func:`_polygon_counts`)."""
    tx = X[-1]
    Z0 = fn.first_values(X)
    rows = [tuple(tx * a for a in A) + (DV * z,) for A, z in zip(A1rows, Z0)]
    return rows, tx * DV


def _polygon_counts(fn: FlintNetwork, A1rows: Any, DV: int, X: Sequence[int],
                    poly: list[tuple[int, ...]]) -> tuple[int, int]:
    """Exact polygon splitting of ``P`` by the restricted network (``k = 2``).

    At the point ``x + V^T t`` with ``t = T / tau`` the integer pre-activations are
    ``theta S_l z_l`` with ``theta = t_x D_V tau``: layer 0 is ``[t_x A1 | D_V Z_0(x)] (T, tau)`` and
    layer ``l`` is ``Wi_l relu(.) + bi_l S_{l-1} c tau`` with ``c = t_x D_V``; on a cell the map of
    layer ``l`` is ``Wi_l D M_{l-1} + (bi_l S_{l-1} c) e_tau`` (as in :mod:`cpa.regions._exact`)."""
    M0, c = _first_map(fn, A1rows, DV, X)
    widths = fn.widths
    fmat = fn.fmat
    flags = []
    cells = [(poly, M0)]
    for l, n in enumerate(widths):
        bits = [[False] * n for _ in cells]
        lay_flags = [0] * n
        for j in range(n):
            new_cells = []
            new_bits = []
            f = 0
            for (verts, M), bb in zip(cells, bits):
                a, b, e = M[j]
                z = [a * X_ + b * Y_ + e * t_ for X_, Y_, t_ in verts]
                pos = neg = False
                for v in z:
                    if v > 0:
                        pos = True
                    elif v < 0:
                        neg = True
                    else:
                        f = 3
                if pos:
                    f |= 1
                if neg:
                    f |= 2
                if pos and neg:
                    pv, nv = _split(verts, z)
                    on = list(bb)
                    on[j] = True
                    new_cells.append((pv, M))
                    new_bits.append(on)
                    new_cells.append((nv, M))
                    new_bits.append(bb)
                else:
                    bb[j] = pos
                    new_cells.append((verts, M))
                    new_bits.append(bb)
            cells, bits = new_cells, new_bits
            lay_flags[j] = f
        flags.extend(lay_flags)
        if l + 1 < len(widths):
            Wl = fn.W_mat[l + 1]
            bias = [bv * c for bv in fn.bias[l + 1]]
            nxt = []
            for (verts, M), bb in zip(cells, bits):
                DM = fmat(n, 3, [v if a else 0 for row, a in zip(M, bb) for v in row])
                e = [int(v) for v in (Wl * DM).entries()]
                Mn = [(e[3 * i], e[3 * i + 1], e[3 * i + 2] + bias[i]) for i in range(len(bias))]
                nxt.append((verts, Mn))
            cells = nxt
    return len(cells), sum(1 for f in flags if f == 3)


def _split(verts: list[tuple[int, ...]], z: list[int]) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """The halves ``z >= 0`` and ``z <= 0`` of a convex polygon (counter-clockwise homogeneous
    vertices, both strict signs present), each counter-clockwise."""
    pv: list[tuple[int, ...]] = []
    nv: list[tuple[int, ...]] = []
    n = len(verts)
    for k in range(n):
        u, zu = verts[k], z[k]
        k1 = k + 1 if k + 1 < n else 0
        zv = z[k1]
        if zu > 0:
            pv.append(u)
        elif zu < 0:
            nv.append(u)
        else:
            pv.append(u)
            nv.append(u)
        if (zu > 0 and zv < 0) or (zu < 0 and zv > 0):
            v = verts[k1]
            a, b = abs(zv), abs(zu)
            w = primitive([a * p + b * q for p, q in zip(u, v)])
            pv.append(w)
            nv.append(w)
    return pv, nv


def _generic_counts(fn: FlintNetwork, A1rows: Any, DV: int, X: Sequence[int], dom: Any) -> tuple[int, int]:
    """The restricted network built as a :class:`~cpa.network.ReLUNetwork`, its regions on ``P`` from
    :func:`cpa.regions.regions`, and the neurons' values at every vertex of every region."""
    from .api import regions

    net = fn.net
    tx = X[-1]
    S0 = fn.S[0]
    Z0 = fn.first_values(X)
    first = ([[Fraction(a, DV * S0) for a in A] for A in A1rows], [Fraction(z, tx * S0) for z in Z0])
    sub = ReLUNetwork([first, *net.affine_layers[1:]])
    cx = regions(sub, dom)
    verts = {v for R in cx for v in R.vertices()}
    flags: dict[tuple[int, int], int] = {}
    layers = sub.affine_layers[:-1]
    for v in verts:
        h = list(v)
        for l, L in enumerate(layers):
            z = L.apply(h)
            for kk, zz in enumerate(z):
                flags[(l, kk)] = flags.get((l, kk), 0) | (1 if zz >= 0 else 0) | (2 if zz <= 0 else 0)
            h = [q if q > 0 else 0 for q in z]
    return len(cx), sum(1 for f in flags.values() if f == 3)
