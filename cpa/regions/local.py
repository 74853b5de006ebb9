"""Regions of a ReLU network around a point, for inputs of any dimension (784 included).

Three questions, all answered exactly (floats only propose; every claim is checked in
integer arithmetic):

* :func:`region_at` -- *point location*: the activation region containing a point, with no
  enumeration: its pattern, exact H-representation, exact affine map and the exact distance
  from the point to the region's boundary, with a point attaining it;
* :func:`grow_regions` -- *local search*: the regions around a point, breadth first across
  facets (as the relucent tool does), up to a budget or inside a ball;
* :func:`local_complexity` -- for many points, the number of regions meeting a small ball
  (optionally inside a random low-dimensional affine subspace through the point) and the
  number of neurons whose zero set meets it.

Conventions are those of :func:`cpa.regions.regions`: a region is a full-dimensional cell on
which the activation pattern is constant, a neuron is *active* iff its pre-activation is
``> 0`` there, so a neuron whose pre-activation is identically zero on the region is
inactive; its H-representation has one row per neuron whose pre-activation is not constant
on it (a constant one gives no inequality), in layer order.

**The region at a boundary point.**  When some pre-activation at ``x`` is exactly zero, ``x``
is in the closure of several regions.  :func:`region_at` then returns the region containing
``x + eps v_1 + eps^2 v_2 + ...`` for all small ``eps > 0``, with ``v_1`` the ``direction``
argument if given, then ``e_1, e_2, ..., e_d``: layer by layer, a neuron with value zero at
``x`` takes the sign of its first nonzero derivative along ``v_1, v_2, ...`` on the cell being
built, and a neuron with all derivatives zero is constant zero there, hence inactive.  The
same rule, with the facet's outward normal first, names the region across a facet.

The search across facets is complete inside a ball: the regions whose interiors meet the
open ball are exactly those reached from the region at its centre through facets whose
relative interiors meet the open ball, the open ball being convex (a generic segment between
two of them crosses region boundaries only at relative interior points of facets), and the
region across a facet is the same from every point of the facet's relative interior.  So
``grow_regions(net, x, radius=r)`` yields exactly the regions of
``cpa.regions(net, Box(x - r, x + r))`` (``norm="linf"``).

The arithmetic: the network is scaled to integers (:mod:`cpa.regions._exact`) and every
hidden row of a region is kept as a combination of the first layer's rows
(:mod:`cpa.regions._local_net`), so values, Gram matrices of the rows' normals and
derivatives are exact python-flint products of the width of the network, not of ``d``;
facets are decided by :mod:`cpa.regions._local_facets` (Gram points, HiGHS LPs certified
exactly, exact simplex).

References
----------
B. Hanin and D. Rolnick, *Deep ReLU networks have surprisingly few activation patterns*,
NeurIPS 2019 (local counts of regions in low-dimensional slices).  A. I. Humayun, R. Balestriero
and R. Baraniuk, *Deep networks always grok and here is why*, ICML 2024 (local complexity as
the number of neurons whose zero set meets a neighbourhood of the data).  B. Tseran and
G. Montufar, *An exact bound on the number of linear regions of ReLU networks*; the relucent
package of B. Tseran and collaborators (breadth-first search across facets from a point).
"""

from __future__ import annotations

import math
import numbers
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterator, Sequence

import numpy as np

from ..affine import Affine
from ..domains import Reals, as_domain
from ..errors import ArgumentError, ArgumentTypeError, CertificateError, DomainError, \
    EnumerationLimitError, ShapeError
from ..network import ReLUNetwork
from ..numbers import to_rational
from ..sparse import SparseMatrix
from ._local_facets import Ball, FacetSearch, short_point
from ._local_net import Cell, dehom, flint_network, hom, primitive
from .api import _as_network, positive_int

__all__ = ["LocalRegion", "RegionAt", "region_at", "grow_regions", "LocalComplexity", "local_complexity"]

NORMS = ("linf", "l1", "l2")


# --- results ------------------------------------------------------------------------------------
class LocalRegion:
    """An activation region found from a point (:func:`region_at`, :func:`grow_regions`).

    Exact and certified: ``witness`` is strictly inside every inequality of ``hrep`` (checked
    in integers), which makes the pattern the pattern of the whole region.  The H-representation
    and the affine map are computed on first access (in ``d = 784`` they are ``10^5`` Fractions).

    Attributes
    ----------
    pattern
        Per hidden layer, per neuron: pre-activation ``> 0`` on the region.
    witness
        An exact rational point strictly inside the region (and inside the ball of the search).
    neurons
        ``(layer, neuron)`` of the rows of :attr:`hrep` after the domain's rows: the neurons
        whose pre-activation is not constant on the region, in order.
    steps
        Facets crossed from the first region of the search (0 for it and for :func:`region_at`).
    """

    __slots__ = ("pattern", "witness", "neurons", "steps", "_cell", "_rows", "_dom", "_hrep", "_amap")

    def __init__(self, cell: Cell, witness: tuple[int, ...], rows: Sequence[int], steps: int = 0,
                 domain_rows: tuple[tuple[tuple[Fraction, ...], Fraction], ...] = ()):
        self._cell = cell
        self.pattern = cell.pattern
        self.witness = dehom(witness)
        self._rows = tuple(rows)
        self.neurons = tuple(cell.neurons[j] for j in rows)
        self.steps = steps
        self._dom = domain_rows
        self._hrep: Any = None
        self._amap: Any = None

    @property
    def hrep(self) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        """Exact ``(A, b)``: the region's closure is ``{x : A x <= b}`` (the domain's rows first,
        then one row per neuron of :attr:`neurons`; possibly redundant)."""
        if self._hrep is None:
            cell = self._cell
            fn = cell.fn
            A = [a for a, _ in self._dom]
            b = [c for _, c in self._dom]
            if self._rows:
                coef_rows = [j for j in self._rows]
                n0 = fn.n0
                ent = cell.K.entries()
                K = fn.fmat(len(coef_rows), n0, [v for j in coef_rows for v in ent[j * n0:(j + 1) * n0]])
                lin = [int(v) for v in (K * fn.M0_lin).entries()]
                d = fn.d
                kap = cell.kappa
                for k, j in enumerate(coef_rows):
                    A.append(tuple(Fraction(v) for v in lin[k * d:(k + 1) * d]))
                    b.append(Fraction(-kap[j]))
            self._hrep = (tuple(A), tuple(b))
        return self._hrep

    @property
    def affine_map(self) -> Affine:
        """The exact :class:`~cpa.affine.Affine` map of the network's output on the region."""
        if self._amap is None:
            A, c, S = self._cell.output_map()
            d = self._cell.fn.d
            self._amap = Affine(SparseMatrix(
                (len(A), d), [tuple((j, Fraction(v, S)) for j, v in enumerate(r) if v) for r in A]),
                tuple(Fraction(v, S) for v in c))
        return self._amap

    def to_record(self) -> dict[str, Any]:
        """The region as a JSON-ready dict of exact ``"p/q"`` strings (the ``--list`` format)."""
        from .complex import region_record

        return region_record(self.pattern, self.witness, self.affine_map, None, None)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"LocalRegion({len(self.neurons)} neuron rows, steps={self.steps})"


class RegionAt(LocalRegion):
    """The region at a point (:func:`region_at`): a :class:`LocalRegion` and the distance from the
    point to its boundary.

    Attributes
    ----------
    point
        The query point, exactly.
    on_boundary
        Whether the point lies on the region's boundary (some row tight there); then the region
        is the one chosen by the lexicographic rule and :attr:`distance` is 0.
    norm
        ``"linf"``, ``"l1"`` or ``"l2"``.
    distance
        The exact distance from the point to the boundary of the region (of the region cut by the
        domain, if one was given) in :attr:`norm`: a Fraction for linf and l1; for l2 an exact
        sympy number (``sqrt`` of :attr:`distance_squared`), or None when sympy is missing.
        None when the region has no boundary (a network with no non-constant neuron on ``R^d``).
    distance_squared
        For l2: the exact square of the distance (a Fraction); otherwise ``distance ** 2``.
    nearest
        An exact rational point of the boundary at that distance (on the row :attr:`facet`, every
        row of :attr:`hrep` holding there).
    facet
        The index of the row of :attr:`hrep` attaining the distance.
    """

    __slots__ = ("point", "on_boundary", "norm", "distance", "distance_squared", "nearest", "facet")

    def __repr__(self) -> str:
        return (f"RegionAt({len(self.neurons)} neuron rows, {self.norm} distance "
                f"{self.distance}, on_boundary={self.on_boundary})")


@dataclass(frozen=True)
class LocalComplexity:
    """The local complexity at one point (:func:`local_complexity`).

    Attributes
    ----------
    regions
        The number of activation regions meeting the ball (in the subspace, if ``dims``).
    hyperplanes
        The number of hidden neurons whose zero set meets the closed ball (in the subspace): the
        pre-activation takes a value ``<= 0`` and a value ``>= 0`` on it.
    """

    regions: int
    hyperplanes: int


# --- argument checks ------------------------------------------------------------------------
def _point(x: Any, d: int, name: str = "x") -> tuple[Fraction, ...]:
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise ShapeError(f"{name} must be a sequence of {d} numbers, got {type(x).__name__}")
    arr = np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x
    if getattr(arr, "ndim", 1) != 1:
        raise ShapeError(f"{name} must be one point (a 1-D sequence of {d} numbers), got shape {np.shape(x)}")
    if len(x) != d:
        raise ShapeError(f"{name} has {len(x)} entries, the network expects {d}")
    return tuple(to_rational(v, f"{name}[{i}]") for i, v in enumerate(list(x)))


def _norm(norm: Any, allowed: Sequence[str]) -> str:
    if not isinstance(norm, str) or norm not in allowed:
        raise ArgumentError(f"norm must be one of {', '.join(repr(n) for n in allowed)}, got {norm!r}")
    return norm


def _radius(radius: Any, required: bool) -> Fraction | None:
    if radius is None:
        if required:
            raise ArgumentError("radius is required: a positive number")
        return None
    if isinstance(radius, bool):
        raise ArgumentTypeError("radius must be a positive number, got a bool")
    r = to_rational(radius, "radius")
    if r <= 0:
        raise ArgumentError(f"radius must be positive, got {radius!r}")
    return r


def _direction(v: Any, d: int, name: str = "direction") -> list[int]:
    q = _point(v, d, name)
    if not any(q):
        raise ArgumentError(f"{name} must be a nonzero vector")
    L = math.lcm(*[t.denominator for t in q])
    return [t.numerator * (L // t.denominator) for t in q]


# --- region at a point ----------------------------------------------------------------------
def region_at(net: Any, x: Sequence[Any], *, norm: str = "linf", domain: Any = None,
              direction: Sequence[Any] | None = None) -> RegionAt:
    """The activation region containing ``x``, found without enumeration, with the exact
    distance from ``x`` to its boundary.

    Parameters
    ----------
    net
        A :class:`~cpa.network.ReLUNetwork` (or layers accepted by its constructor).
    x
        The point: ``d`` numbers read exactly (floats at their binary value, so a float32 image
        is taken as it is stored).
    norm
        ``"linf"`` (default), ``"l1"`` or ``"l2"``: the norm of the distance.
    domain
        Optional :class:`~cpa.domains.Box` or :class:`~cpa.domains.Polyhedron` (or a ``(lo, hi)``
        pair) containing ``x``: its rows come first in the H-representation and count in the
        distance.
    direction
        Optional first perturbation direction for a point on a boundary (see the module
        docstring); by default ``e_1, ..., e_d``, preceded, for a point on the domain's boundary,
        by the direction to the domain's interior point.

    Returns
    -------
    RegionAt
        Pattern, exact witness, lazy exact H-representation and affine map, and the distance.

    Raises
    ------
    ShapeError
        If ``x`` (or ``direction``) does not have ``d`` entries.
    DomainError
        If ``x`` is outside the domain, the domain has the wrong dimension, or the
        perturbation leaves the domain.
    ArgumentError
        For an unknown norm or a zero direction.

    Notes
    -----
    For ``x`` strictly inside ``{y : a_i . y <= b_i}`` the distance to the boundary in a norm is
    ``min_i (b_i - a_i . x) / |a_i|_*`` with the dual norm (``l1`` for linf, ``linf`` for l1,
    ``l2`` for l2), redundant rows included: a row's hyperplane is no nearer than the
    boundary, and the nearest point of the nearest hyperplane, ``x + t sign(a_i)`` (linf),
    ``x + t sign(a_ik) e_k`` with ``|a_ik|`` largest (l1), ``x + t a_i / |a_i|_2`` (l2), satisfies
    every row.  Candidate rows are screened with exact upper bounds of the dual norms (the
    rows are combinations of the first layer's), so only a few rows are formed explicitly.

    Examples
    --------
    >>> from cpa import ReLUNetwork
    >>> absx = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    >>> r = region_at(absx, [Fraction(1, 3)])
    >>> r.pattern, r.distance, r.nearest, r.affine_map
    (((True, False),), Fraction(1, 3), (Fraction(0, 1),), Affine([[1]], [0]))
    >>> region_at(absx, [0]).pattern, region_at(absx, [0], direction=[-1]).pattern
    (((True, False),), ((False, True),))
    """
    network = _as_network(net)
    d = network.input_dim
    norm = _norm(norm, NORMS)
    xq = _point(x, d)
    fn = flint_network(network)
    X = hom(xq)
    dom_rows: list[tuple[tuple[Fraction, ...], Fraction]] = []
    dirs: list[list[int]] = []
    if direction is not None:
        dirs.append(_direction(direction, d))
    if domain is not None:
        dom = as_domain(domain, d)
        if not isinstance(dom, Reals):
            A, b = dom.constraints()
            dom_rows = [(tuple(a), c) for a, c in zip(A, b) if any(a)]
            slack = [c - sum((ai * xi for ai, xi in zip(a, xq)), Fraction(0)) for a, c in dom_rows]
            if any(s < 0 for s in slack):
                raise DomainError("x is outside the domain")
            if direction is None and any(s == 0 for s in slack):
                dirs.append(_direction([ci - xi for ci, xi in zip(dom.interior_point(), xq)], d))
    Z = fn.forward(X)
    pattern, decided = fn.lex_pattern(Z[:-1], [fn.first_derivatives(v) for v in dirs])
    cell = Cell(fn, pattern)
    dom_int = [_integer_row_of(a, c) for a, c in dom_rows]
    W, rows = _witness(cell, X, dirs, decided, dom_int, None)
    out = RegionAt(cell, W, rows, 0, tuple(dom_rows))
    out.point = xq
    out.norm = norm
    _boundary_distance(out, cell, X, rows, dom_rows, norm)
    return out


def _integer_row_of(a: Sequence[Fraction], c: Fraction) -> tuple[int, ...]:
    """``a . x <= c`` as a primitive integer row ``r`` with ``r . (x, 1) <= 0``."""
    from ..polytope import integer_row

    return integer_row(list(a) + [-c])


def _witness(cell: Cell, P: tuple[int, ...], dirs: Sequence[Sequence[int]], decided: Sequence[dict[int, Any]],
             extra: Sequence[tuple[int, ...]], ball: Ball | None) -> tuple[tuple[int, ...], list[int]]:
    """An exact point strictly inside the cell of ``cell.pattern`` (and the extra rows, and the
    open ball) near ``P``, which lies in its closure and is reached by the lexicographic rule
    for ``dirs`` then ``e_1, ..., e_d``; and the cell's non-constant rows.

    With ``T`` the rows tight at ``P`` and ``K`` the last direction index deciding one of them,
    ``U = sum_{k < K} 2^{p (K - 1 - k)} v_k`` has every row of ``T`` decreasing for ``p`` large
    enough (the first nonzero derivative dominates); then ``P + U / q`` with ``q`` past every
    other row's bound (and the ball's) is strictly inside, exactly checked."""
    fn = cell.fn
    d = fn.d
    G = cell.gram
    rows = [j for j in range(cell.N) if G[j][j] > 0]
    t = P[-1]
    vals = cell.values_at(P)
    evals = [sum(a * x for a, x in zip(r, P)) for r in extra]
    tight = [j for j in rows if vals[j] == 0]
    etight = [k for k, v in enumerate(evals) if v == 0]
    if any(vals[j] > 0 for j in rows) or any(v > 0 for v in evals):   # pragma: no cover - by construction
        raise CertificateError("local search: the point is not in the closure of its region")
    if not tight and not etight:
        if ball is not None and ball.bounded and not ball.dist_hom(P) < ball.r:   # pragma: no cover
            raise CertificateError("local search: the point is not inside the ball")
        return P, rows
    nd = len(dirs)
    K = 1
    for j in tight:
        l, k = cell.neurons[j]
        idx = decided[l].get(k)
        if idx is None:   # pragma: no cover - a tight row is not constant
            raise CertificateError("local search: a tight row was not decided")
        K = max(K, idx + 1)
    for k in etight:
        r = extra[k]
        seq = [sum(a * v for a, v in zip(r, D)) for D in dirs] + list(r[:d])
        idx = next((i for i, v in enumerate(seq) if v), None)
        if idx is None or seq[idx] > 0:
            raise DomainError("the perturbation direction leaves the domain")
        K = max(K, idx + 1)

    def direction(k: int) -> list[int]:
        if k < nd:
            return list(dirs[k])
        e = [0] * d
        e[k - nd] = 1
        return e

    p = 1
    while True:
        U = [0] * d
        for k in range(K):
            w = 1 << (p * (K - 1 - k))
            U = [u + w * v for u, v in zip(U, direction(k))]
        dU = cell.values(fn.first_derivatives(U), 0) if any(U) else [0] * cell.N
        eU = [sum(a * v for a, v in zip(r, U)) for r in extra]
        if all(dU[j] < 0 for j in tight) and all(eU[k] < 0 for k in etight):
            break
        p *= 2
        if p > 1 << 16:   # pragma: no cover - the lexicographic signs guarantee termination
            raise CertificateError("local search: no direction into the region")
    # q with q v_j + t dU_j < 0 for the other rows (and the ball)
    bound = Fraction(0)
    for j in rows:
        if vals[j] < 0 and dU[j] > 0:
            bound = max(bound, Fraction(t * dU[j], -vals[j]))
    for k, v in enumerate(evals):
        if v < 0 and eU[k] > 0:
            bound = max(bound, Fraction(t * eU[k], -v))
    if ball is not None and ball.bounded and any(U):
        gap = ball.r - ball.dist_hom(P)
        if gap <= 0:   # pragma: no cover - facet points are inside the open ball
            raise CertificateError("local search: the facet point is not inside the ball")
        nU = max(abs(v) for v in U) if ball.norm == "linf" else sum(abs(v) for v in U)
        bound = max(bound, Fraction(nU) / gap)
    q = 1
    while q <= 2 * bound:
        q <<= 1
    W = primitive([q * x + t * u for x, u in zip(P[:-1], U)] + [q * t])

    def ok(Q: tuple[int, ...]) -> bool:
        v = cell.values_at(Q)
        if any(v[j] >= 0 for j in rows):
            return False
        if any(sum(a * x for a, x in zip(r, Q)) >= 0 for r in extra):
            return False
        return ball is None or not ball.bounded or ball.dist_hom(Q) < ball.r

    if not ok(W):   # pragma: no cover - by construction
        raise CertificateError("local search: the constructed witness is not inside its region")
    return short_point(W, ok), rows


def _boundary_distance(out: RegionAt, cell: Cell, X: tuple[int, ...], rows: list[int],
                       dom_rows: Sequence[tuple[tuple[Fraction, ...], Fraction]], norm: str) -> None:
    """Fill the distance fields of ``out`` (see :func:`region_at`)."""
    t = X[-1]
    x = out.point
    vals = cell.values_at(X)
    G = cell.gram
    nd = len(dom_rows)
    # candidates: (index in hrep, slack numerator >= 0 over t, explicit normal or None)
    best: tuple[Fraction, int, Any] | None = None   # (distance or squared distance, hrep index, normal)

    def dual(a: Sequence[Any]) -> Any:
        if norm == "linf":
            return sum(abs(v) for v in a)
        if norm == "l1":
            return max(abs(v) for v in a)
        return sum(v * v for v in a)

    def dist_of(slack: Fraction, a: Sequence[Any]) -> Fraction:
        n = dual(a)
        return slack * slack / n if norm == "l2" else slack / n

    for k, (a, c) in enumerate(dom_rows):
        s = c - sum((ai * xi for ai, xi in zip(a, x)), Fraction(0))
        dv = dist_of(s, a)
        if best is None or dv < best[0]:
            best = (dv, k, list(a))
    # neuron rows: exact lower bounds first (l2 is exact from the Gram matrix)
    cand = []
    for k, j in enumerate(rows):
        slack = Fraction(-vals[j], t)
        if norm == "l2":
            lb = slack * slack / G[j][j]
        else:
            lb = slack / cell.norm_bound(j, "l1" if norm == "linf" else "max")
        cand.append((lb, k, j, slack))
    cand.sort(key=lambda c: c[0])
    for lb, k, j, slack in cand:
        if best is not None and lb >= best[0] and norm != "l2":
            break
        if norm == "l2":
            dv = lb
            if best is None or dv < best[0]:
                best = (dv, nd + k, None, j)
            continue
        a = cell.row_lin(j)
        dv = dist_of(slack, a)
        if best is None or dv < best[0]:
            best = (dv, nd + k, a)
    if best is None:
        out.on_boundary = False
        out.distance = out.distance_squared = out.nearest = out.facet = None
        return
    dv, idx, a = best[0], best[1], best[2]
    if a is None:
        a = cell.row_lin(best[3])
    if idx < nd:
        slack = dom_rows[idx][1] - sum((ai * xi for ai, xi in zip(dom_rows[idx][0], x)), Fraction(0))
        aq = [Fraction(v) for v in a]
    else:
        j = rows[idx - nd]
        slack = Fraction(-vals[j], t)
        aq = [Fraction(v) for v in a]
    out.on_boundary = slack == 0
    out.facet = idx
    if norm == "linf":
        step = slack / sum(abs(v) for v in aq)
        out.nearest = tuple(xi + step * (1 if v > 0 else -1 if v < 0 else 0) for xi, v in zip(x, aq))
        out.distance = dv
        out.distance_squared = dv * dv
    elif norm == "l1":
        kmax = max(range(len(aq)), key=lambda i: abs(aq[i]))
        y = list(x)
        y[kmax] += slack / aq[kmax]
        out.nearest = tuple(y)
        out.distance = dv
        out.distance_squared = dv * dv
    else:
        nn = sum(v * v for v in aq)
        out.nearest = tuple(xi + slack * v / nn for xi, v in zip(x, aq))
        out.distance_squared = dv
        try:
            import sympy

            out.distance = sympy.sqrt(sympy.Rational(dv.numerator, dv.denominator))
        except ImportError:   # pragma: no cover - sympy is a dependency
            out.distance = None


# --- local search ----------------------------------------------------------------------------
def grow_regions(net: Any, x: Sequence[Any], *, radius: Any = None, norm: str = "linf",
                 max_regions: int | None = None, stats: dict | None = None) -> Iterator[LocalRegion]:
    """Yield the activation regions around ``x``, breadth first across facets, as they are found.

    The first region is :func:`region_at`'s (for a point on a boundary, the lexicographic
    rule's).  Then, from each region, every facet is decided exactly and the region across each
    facet (named by the lexicographic rule from an exact point of the facet's relative interior,
    the outward normal first) is queued if new.  With ``radius``, only facets whose relative
    interior meets the open ball ``|y - x| < radius`` are crossed, so the search yields exactly
    the regions whose interiors meet the ball, and stops by itself.

    Parameters
    ----------
    net
        A :class:`~cpa.network.ReLUNetwork` (any input dimension).
    x
        The starting point (floats at their exact binary value).
    radius
        Optional positive radius of the ball (``None``: no ball, all of ``R^d``).
    norm
        ``"linf"`` (default) or ``"l1"``: the ball's norm.
    max_regions
        Stop after yielding this many regions (a budget; the generator simply ends).
    stats
        If given, filled with counters of the decisions taken (``gram_points``, ``lp_calls``,
        ``exact_simplex``, ...).

    Yields
    ------
    LocalRegion
        Pattern, exact witness (inside the ball), lazy exact H-representation and affine map,
        and ``steps``: the facets crossed from the first region.

    Raises
    ------
    ShapeError
        If ``x`` does not have ``d`` entries.
    ArgumentError, ArgumentTypeError
        For a radius that is not a positive number, an unknown norm, or a bad ``max_regions``.

    Notes
    -----
    A facet of region ``R`` is certified by an exact point ``y`` of its relative interior
    (``r_i(y) = 0``, every other row strict, ``|y - x| < radius``); a row that is not such a
    facet by an exact Farkas combination or the exact simplex (:mod:`cpa.regions._local_facets`).
    Breadth first order is that of the relucent tool (Tseran, Montufar and collaborators).

    Examples
    --------
    >>> from cpa import ReLUNetwork, Box, regions
    >>> net = ReLUNetwork([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])])
    >>> found = sorted(r.pattern for r in grow_regions(net, [0, 0], radius=2))
    >>> found == sorted(r.pattern for r in regions(net, Box([-2, -2], [2, 2])))
    True
    """
    network = _as_network(net)
    d = network.input_dim
    norm = _norm(norm, ("linf", "l1"))
    r = _radius(radius, False)
    budget = positive_int(max_regions, "max_regions")
    xq = _point(x, d)
    return _search(network, xq, r, norm, budget, stats if stats is not None else {}, touch=None)


def _search(network: ReLUNetwork, xq: tuple[Fraction, ...], r: Fraction | None, norm: str,
            budget: int | None, stats: dict, touch: dict | None) -> Iterator[LocalRegion]:
    """The breadth-first search; with ``touch`` (a dict), also records per neuron whether its
    pre-activation reaches ``>= 0`` (``touch[(l, k)] & 1``) and ``<= 0`` (``& 2``) on the closed ball."""
    fn = flint_network(network)
    ball = Ball(xq, r, norm)
    X = ball.C
    Z = fn.forward(X)
    pattern, decided = fn.lex_pattern(Z[:-1], [])
    cell = Cell(fn, pattern)
    W, rows = _witness(cell, X, [], decided, (), ball)
    queue: deque[Any] = deque([(cell, W, rows, 0)])
    seen = {pattern}
    n = 0
    for key in ("regions", "facets", "crossings"):
        stats.setdefault(key, 0)
    while queue:
        item = queue.popleft()
        if len(item) == 4:
            cell, W, rows, steps = item
            item = None
        else:
            pat, thunk, parent, i, dec, steps = item
            cell = Cell(fn, pat)
            Y = thunk()
            W, rows = _witness(cell, Y, [parent.row_lin(i)], dec, (), ball)
        n += 1
        if touch is not None and budget is not None and n > budget:
            raise EnumerationLimitError.partial_count(f"more than max_regions={budget} regions", n,
                                                      unit="regions")
        stats["regions"] = n
        yield LocalRegion(cell, W, rows, steps)
        if budget is not None and n >= budget and touch is None:
            return
        fs = FacetSearch(cell, W, ball, stats)
        G = cell.gram
        touched = set()
        zero = {j for j in range(cell.N) if G[j][j] == 0 and cell.kappa[j] == 0}
        cache: dict = {}
        base = [[1 if a else -1 for a in layer] for layer in cell.pattern]
        for i in fs.reps:
            stats["facets"] += 1
            kind, thunk = fs.decide(i, touch is not None)
            if kind == "none":
                continue
            touched.add(i)
            if kind != "cross":
                continue
            stats["crossings"] += 1
            # the region across: the facet's neurons (and the constant zero ones) are zero at the
            # facet point, every other neuron keeps its sign; the lexicographic rule decides them
            values = [list(v) for v in base]
            for j in zero.union(fs.members[i]):
                l, k = cell.neurons[j]
                values[l][k] = 0
            dZ0 = _normal_first_derivatives(cell, i, cache)
            npat, ndec = fn.lex_pattern(values, [dZ0])
            if npat in seen:
                continue
            seen.add(npat)
            queue.append((npat, thunk, cell, i, ndec, steps + 1))
        if touch is not None:
            kap = cell.kappa
            for j, (l, k) in enumerate(cell.neurons):
                flag = touch.get((l, k), 0)
                if G[j][j] == 0:
                    z = cell.sign[j] * kap[j]            # the neuron's constant value (scaled)
                    flag |= (1 if z >= 0 else 0) | (2 if z <= 0 else 0)
                else:
                    on = cell.pattern[l][k]
                    hit = fs.group_of[j] in touched
                    flag |= (1 if on or hit else 0) | (2 if (not on) or hit else 0)
                touch[(l, k)] = flag
        fs.close()
        cell.release()


def _normal_first_derivatives(cell: Cell, i: int, cache: dict) -> list[int]:
    """``M_0' a_i``: the first layer's derivatives along the normal ``a_i`` of signed row ``i``
    (``G_0 k_i`` with ``k_i`` the row's coefficients over ``M_0``; no d-vector is formed).  All rows
    at once (``G_0 K^T``), kept in ``cache``."""
    cols = cache.get("cols")
    if cols is None:
        fn = cell.fn
        e = [int(v) for v in (fn.G0 * cell.K.transpose()).entries()]
        N = cell.N
        cols = cache["cols"] = [e[k * N:(k + 1) * N] for k in range(fn.n0)]
    return [c[i] for c in cols]


# --- local complexity --------------------------------------------------------------------------
def local_complexity(net: Any, points: Any, radius: Any, norm: str = "linf", dims: int | None = None, *,
                     seed: int = 0, directions: Any = None, executor: Any = None,
                     max_regions: int | None = None) -> list[LocalComplexity]:
    """The local complexity of a network at many points: regions and hyperplanes meeting a ball.

    Parameters
    ----------
    net
        A :class:`~cpa.network.ReLUNetwork`.
    points
        ``n`` points of ``R^d`` (an ``(n, d)`` array or a sequence of points), read exactly.
    radius
        The ball's radius, a positive number.
    norm
        ``"linf"`` (default) or ``"l1"``.
    dims
        None (default): the ball in all of ``R^d`` (the local search of :func:`grow_regions`).
        An integer ``k <= d``: the ball intersected with the affine subspace ``x + span(V)``
        through each point, ``V`` the ``k`` rows of ``directions`` or ``k`` random directions
        drawn from ``seed`` (the same for every point); the count is that of the network
        restricted to the subspace, on the exact polytope ``{t : |V^T t| <= radius}`` in
        subspace coordinates.
    seed
        Seed of the random directions (standard normal float64, each scaled to max-norm 1;
        taken at their exact binary value).
    directions
        A ``(k, d)`` array of directions spanning the subspace (instead of random ones).
    executor
        Any :class:`concurrent.futures.Executor` to spread the points (chunks of points are
        submitted with ``executor.map``); None computes here.
    max_regions
        With ``dims=None``: stop with :class:`~cpa.errors.EnumerationLimitError` when a ball has
        more regions than this.

    Returns
    -------
    list of LocalComplexity
        One record per point: ``regions`` and ``hyperplanes``.

    Raises
    ------
    ShapeError
        If a point does not have ``d`` entries or ``directions`` is not ``(k, d)``.
    ArgumentError, ArgumentTypeError
        For a radius that is not positive, an unknown norm, ``dims`` not in ``1 .. d``,
        directions that do not span a ``k``-dimensional space.

    Notes
    -----
    A neuron's zero set meets a closed convex set iff its (continuous) pre-activation takes a
    value ``<= 0`` and a value ``>= 0`` on it.  On each region (cut by the ball) the
    pre-activation is affine, so in a subspace its extreme values are at the cells' vertices,
    which the exact polygon / vertex enumeration gives; in ``R^d`` it reaches 0 on the closure
    of a region where it is active iff its row's hyperplane meets the region's closure inside
    the ball, decided with the facets (:mod:`cpa.regions._local_facets`).

    Examples
    --------
    >>> from cpa import ReLUNetwork
    >>> net = ReLUNetwork([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])])
    >>> local_complexity(net, [[0, 0], [5, 5]], radius=1)
    [LocalComplexity(regions=5, hyperplanes=3), LocalComplexity(regions=1, hyperplanes=0)]
    """
    network = _as_network(net)
    d = network.input_dim
    norm = _norm(norm, ("linf", "l1"))
    r = _radius(radius, True)
    pts = _points(points, d)
    budget = positive_int(max_regions, "max_regions")
    if dims is not None:
        if isinstance(dims, bool) or not isinstance(dims, numbers.Integral):
            raise ArgumentTypeError(f"dims must be a positive integer or None, got {dims!r}")
        if not 1 <= dims <= d:
            raise ArgumentError(f"dims must be between 1 and the input dimension {d}, got {dims}")
        dims = int(dims)
    if directions is not None:
        from ._local_slice import exact_directions

        V = exact_directions(directions, d, dims)
        dims = len(V)
    elif dims is not None:
        from ._local_slice import random_directions

        V = random_directions(dims, d, seed)
    else:
        V = None
    job = _Job(network, r, norm, V, budget)
    if executor is None or len(pts) <= 1:
        return job(pts)
    size = max(1, -(-len(pts) // (4 * max(1, getattr(executor, "_max_workers", 2) or 2))))
    chunks = [pts[i:i + size] for i in range(0, len(pts), size)]
    out: list[LocalComplexity] = []
    for part in executor.map(job, chunks):
        out.extend(part)
    return out


def _points(points: Any, d: int) -> list[tuple[Fraction, ...]]:
    if isinstance(points, (str, bytes)) or not hasattr(points, "__len__"):
        raise ShapeError(f"points must be a sequence of points of length {d}, got {type(points).__name__}")
    if isinstance(points, np.ndarray):
        if points.ndim != 2:
            raise ShapeError(f"points must be a 2-D array (n, {d}), got shape {points.shape}")
        if points.shape[1] != d:
            raise ShapeError(f"points have {points.shape[1]} coordinates, the network expects {d}")
        if points.dtype.kind == "f":
            return [tuple(Fraction(v) for v in row) for row in points.astype(float).tolist()] \
                if np.all(np.isfinite(points)) else [_point(p, d, f"points[{i}]") for i, p in enumerate(points)]
    return [_point(p, d, f"points[{i}]") for i, p in enumerate(points)]


_WORKER_NETS: dict[str, ReLUNetwork] = {}


class _Job:
    """The per-chunk computation, picklable for executors: the network travels as its sparse
    layers (exact) and is rebuilt once per worker process."""

    def __init__(self, network: ReLUNetwork, r: Fraction, norm: str, V: Any, budget: int | None):
        import uuid

        self.network = network
        self.r = r
        self.norm = norm
        self.V = V
        self.budget = budget
        self.token = uuid.uuid4().hex

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["network"] = [(L.W.shape, L.W.rows, L.b) for L in self.network.affine_layers]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        layers = state["network"]
        net = _WORKER_NETS.get(state["token"])
        if net is None:
            net = ReLUNetwork([(SparseMatrix(shape, rows), b) for shape, rows, b in layers])
            _WORKER_NETS.clear()
            _WORKER_NETS[state["token"]] = net
        self.__dict__.update(state)
        self.network = net

    def __call__(self, pts: Sequence[tuple[Fraction, ...]]) -> list[LocalComplexity]:
        if self.V is not None:
            from ._local_slice import slice_counts

            return [LocalComplexity(*c) for c in slice_counts(self.network, pts, self.V, self.r, self.norm)]
        out = []
        for x in pts:
            touch: dict = {}
            n = sum(1 for _ in _search(self.network, x, self.r, self.norm, self.budget, {}, touch))
            out.append(LocalComplexity(n, sum(1 for v in touch.values() if v == 3)))
        return out
