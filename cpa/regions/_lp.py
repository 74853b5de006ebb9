"""Exact, certified region enumeration by linear programming, for any input dimension.

The activation regions of a ReLU network are enumerated depth first over the
hidden neurons in order, layer by layer.  A node of the search is a *cell*
``C``: the domain cut by one half-space per neuron that split an ancestor, held
as exact integer rows (homogeneous, from the integer cell maps of
:class:`~cpa.regions._exact.IntegerNetwork`), together with an exact rational
*witness* strictly inside ``C``.  On ``C`` the next neuron's pre-activation
``z`` is affine (the earlier neurons' signs are fixed), with an exact integer
row.  Its sign at the witness settles one side:

* ``z`` constant on ``C`` (zero linear part): no split; a neuron that is
  identically zero is inactive;
* ``z(w) = 0``: ``z`` is not constant and ``w`` is interior, so both sides
  exist; their witnesses are ``w`` moved a little along ``+-grad z``
  (:func:`~cpa.regions._exact_lp.combine`, exact);
* otherwise the question is whether ``C`` has a point on the *other* side.

The answer is decided in floating point and every claim is certified exactly:

1. **cheap filter**: on a bounded domain, the exact maximum of ``z`` over a
   box holding the cell (the domain's bounding box, or the cell's, see
   below); if it is ``<= 0`` no LP is needed (a Farkas certificate on the box
   rows alone);
2. **float LP** (:mod:`cpa.regions._float_lp`): up to ``d = 48`` a dense
   primal simplex compiled with numba, started at the cell's witness (no model
   kept: rows are written into an array as the search descends and cut back as
   it backtracks); beyond that, or where it gives up, HiGHS, one model kept
   alive along the search with the basis of every open branch saved and
   restored, so each LP is warm started;
3. **"the other side exists"** is certified by an exact point strictly inside
   ``C`` with ``z`` of the other strict sign: the LP's optimal vertex ``v`` is
   rounded to a rational and combined with the witness, ``p = (1-l) w + l v``
   with ``l`` chosen from the exact admissible interval (every row of ``C``
   strict, ``z(p)`` of the right sign).  ``p`` becomes the child's witness;
4. **"no cut"** (``max z <= 0`` over ``C``) is certified by a Farkas
   certificate ``mu >= 0`` with ``sum mu_i a_i = grad z`` and
   ``sum mu_i (-beta_i) + z_0 <= 0``: the LP's row duals (dyadic numbers, taken
   exactly) for the rows they are given for, and exact multipliers on the
   bounding-box rows that absorb the residual (Neumaier and Shcherbina's safe
   bound, evaluated in integers);
5. if neither certificate checks, the **exact basis**: the LP's final basis
   names ``d`` tight constraints; the vertex and the duals of that basis are
   solved exactly (python-flint) and checked for primal feasibility (a vertex
   with ``z > 0`` certifies a cut) and dual feasibility (a Farkas certificate);
6. last, an **exact simplex** (Bland's rule, rationals,
   :func:`~cpa.regions._exact_lp.exact_max`) decides, with both certificates
   checked exactly.

Two things keep the number of LPs down.  When the search enters a layer, and
again below every split, it decides every still undecided neuron of that layer
on the current cell: a neuron that does not split a cell splits no cell below
it, so it is never looked at again in that subtree.  And a *pool* of points
met on the way (LP vertices, and exact interior points with the exact values
of the cell's rows there) certifies most cuts without an LP: a pool point
where ``z`` has the other sign is screened in floats and then certified
exactly (an interior point is itself the other child's witness; a vertex is
combined with the witness).  At the entry of a layer with at least ``4 d``
neurons the cell's bounding box is certified by ``2 d`` LPs (each bound from a
Farkas certificate as in 4.), which settles most neurons of narrow deep
networks by the exact box bound.

``stats`` counts how often each path is taken: ``decisions`` (cell, neuron
questions), ``constant``, ``box_filter``, ``both_sides``, ``pool_point`` and
``pool_vertex`` (cuts certified from the pool), ``lp_calls`` (float LPs for
decisions; ``box_lps`` and ``bounded_lp_calls`` count the others),
``cut_vertex``, ``cut_ray`` and ``nocut_dual`` (certificates from the float
LP), ``cut_basis`` and ``nocut_basis`` (exact basis), ``exact_simplex`` with
its outcomes ``cut_exact`` and ``nocut_exact``, ``bounded_exact`` (exact
simplex for boundedness), ``lp_fallback`` (LPs the dense simplex handed to
HiGHS), ``regions``, ``max_witness_bits`` and ``max_stack``
(the most pending siblings held at once: at most one per neuron).

The search holds only the open branch: the rows and the witness of the
current cell, one pending sibling per neuron at most (its witness, saved
basis and a bounded pool of points) and the cell maps of the current path;
memory is polynomial in depth, width and ``d`` and does not grow with the
number of regions, which are yielded as they are found.

Unbounded domains (``R^d``, unbounded polyhedra) need no enclosing box: an
unbounded LP gives a ray ``y``, which is combined with the witness like a
vertex.  Whether a region is bounded is certified at its leaf: bounded iff
``max u . x`` is finite over it for each ``u`` of the positive basis
``e_1, ..., e_d, -(e_1 + ... + e_d)`` (each by a Farkas certificate
``u = sum mu_i a_i``, ``mu >= 0``, so the rows' normals positively span
``R^d``); unbounded iff some ``u`` has an exact ray ``y`` with ``A y <= 0``,
``u . y > 0``.  Both come from the float LP: the multipliers by exact row
reduction on the rows with positive duals, the ray as the LP's ray projected
exactly onto the rows it runs along; the exact simplex decides otherwise.  A
bounded cell bounds every cell below it, so boundedness is also certified at
layer entries and then inherited.

The regions are those of the other engines: full-dimensional cells with one
activation pattern (active iff the pre-activation is ``> 0``); a hyperplane
that only touches a cell does not cut it.  The H-representation of a region
is the domain's rows followed by one row per neuron that split one of its
ancestors; it is exact but may be **redundant** (a split row can stop being a
facet further down).

References
----------
A. Neumaier and O. Shcherbina, *Safe bounds in linear and mixed-integer linear
programming*, Mathematical Programming 99 (2004), 283-296 (the safe bound of
4.).  R. G. Bland, *New finite pivoting rules for the simplex method*,
Mathematics of Operations Research 2 (1977), 103-107 (the pivoting rule of 6.).
"""

from __future__ import annotations

import logging
import math
from fractions import Fraction
from operator import mul
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from ..domains import Box, Polyhedron, Reals
from ..errors import CertificateError, DomainError, MissingExtraError
from ..network import ReLUNetwork
from ._exact import IntegerNetwork
from ._float_lp import _BIG, OPTIMAL, UNBOUNDED, float_lp
from ._exact_lp import combine_values, dot, exact_max, float_point, hom_point, integer_vector, \
    nonnegative_combination, primitive_point, project_direction, rounded_point, solve_square
from ..polytope import integer_row

__all__ = ["LPRegion", "iter_lp_regions", "count_lp", "estimate_regions", "RegionEstimate"]

_log = logging.getLogger("cpa")

_INF = math.inf
_EAGER = True        # decide every neuron of a layer when the search enters it (see _Engine.run)
_EAGER_SPLIT = True  # ... and again below every split
_POOL: int | None = None   # LP vertices kept per cell to certify cuts without an LP (None: 2 d + 8)
_CELL_BOX_MIN = 2          # bound the cell by 2 d LPs at a layer entry when the layer has >= this times 2 d neurons
_POOL_INTERIOR = 16        # exact interior points kept per cell, for the same
# primal simplex: after an objective change the basis stays primal feasible (measured 15% faster here)


class LPRegion(NamedTuple):
    """One activation region found by :func:`iter_lp_regions`.

    Attributes
    ----------
    pattern
        Per hidden layer, per neuron: pre-activation ``> 0`` on the region.
    witness
        An exact rational point strictly inside the region.
    hrep
        Exact ``(A, b)`` with the region's closure ``{x : A x <= b}``: the domain's rows,
        then one row per neuron that split an ancestor cell (possibly redundant).
    affine_map
        Exact ``(A, c)``: the network's output is ``A x + c`` on the region.
    bounded
        Whether the region is bounded (always True on a bounded domain).
    """

    pattern: tuple[tuple[bool, ...], ...]
    witness: tuple[Fraction, ...]
    hrep: tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]
    affine_map: tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]
    bounded: bool

    @property
    def is_bounded(self) -> bool:
        """Same as :attr:`bounded` (the name :func:`cpa.regions.certificate.certify_complex` reads)."""
        return self.bounded


def iter_lp_regions(net: ReLUNetwork, domain: Box | Polyhedron | Reals, *,
                    stats: dict | None = None) -> Iterator[LPRegion]:
    """Yield the activation regions of ``net`` on ``domain``, exactly and certified, as they are found.

    Parameters
    ----------
    net
        A :class:`~cpa.network.ReLUNetwork` (any input dimension).
    domain
        :class:`~cpa.domains.Box`, :class:`~cpa.domains.Polyhedron` (possibly unbounded) or
        :class:`~cpa.domains.Reals` of the network's input dimension.
    stats
        If given, filled (while the search runs) with counters of the decisions and of the
        certificate paths taken (see the module docstring).

    Yields
    ------
    LPRegion
        In depth-first order of the activation patterns.

    Examples
    --------
    >>> from cpa import ReLUNetwork
    >>> absx = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    >>> [(r.pattern, r.witness, r.affine_map) for r in iter_lp_regions(absx, Box([-1], [1]))]
    [(((True, False),), (Fraction(1, 2),), (((Fraction(1, 1),),), (Fraction(0, 1),))), \
(((False, True),), (Fraction(-1, 2),), (((Fraction(-1, 1),),), (Fraction(0, 1),)))]
    >>> count_lp(absx, Reals(1))
    (2, 0)
    """
    eng = _Engine(net, domain, stats)
    return eng.run(full=True)


def count_lp(net: ReLUNetwork, domain: Box | Polyhedron | Reals, *, stats: dict | None = None,
             witness: Sequence[Fraction] | None = None,
             bbox: tuple[Sequence[Fraction], Sequence[Fraction]] | None = None,
             max_regions: int | None = None, on_progress: Any = None,
             every: float = 10.0) -> tuple[int, int]:
    """``(regions, bounded regions)`` of ``net`` on ``domain``, by the same search as
    :func:`iter_lp_regions` without building the maps, H-representations and witnesses
    as Fractions.

    ``max_regions`` stops with :class:`~cpa.errors.EnumerationLimitError` past that many regions;
    ``on_progress(regions, seconds)`` is called every ``every`` seconds; a KeyboardInterrupt
    carries ``partial_regions``, the regions counted so far (each one certified)."""
    eng = _Engine(net, domain, stats, witness=witness, bbox=bbox)
    nb = 0

    def add(bounded: bool) -> None:
        nonlocal nb
        nb += bounded

    n = tally(eng.run(full=False), add, max_regions, on_progress, every)
    return n, nb


def tally(found: Iterator[Any], add: Any, max_regions: int | None, on_progress: Any, every: float) -> int:
    """Count the items of a search, passing each to ``add``: stop with
    :class:`~cpa.errors.EnumerationLimitError` past ``max_regions``, call
    ``on_progress(count, seconds)`` every ``every`` seconds, and give a KeyboardInterrupt the
    count so far as ``partial_regions`` (each region counted is certified)."""
    import time

    n = 0
    t0 = last = time.perf_counter()
    try:
        for item in found:
            n += 1
            add(item)
            if max_regions is not None and n > max_regions:
                from ..errors import EnumerationLimitError

                raise EnumerationLimitError.partial_count(f"more than max_regions={max_regions} regions", n,
                                                          unit="regions")
            if on_progress is not None and time.perf_counter() - last >= every:
                last = time.perf_counter()
                on_progress(n, last - t0)
    except KeyboardInterrupt as e:
        e.partial_regions = n      # type: ignore[attr-defined]
        raise
    return n


class RegionEstimate(NamedTuple):
    """An unbiased estimate of the number of activation regions, from random probes."""

    regions: float
    stderr: float
    probes: int

    def __str__(self) -> str:
        return f"about {self.regions:,.0f} regions (+- {self.stderr:,.0f}, {self.probes} random probes)"


def estimate_regions(net: ReLUNetwork, domain: Box | Polyhedron | Reals, *, probes: int = 64,
                     seed: int = 0) -> RegionEstimate:
    """Estimate the number of activation regions without enumerating them (Knuth's estimator).

    Each probe follows one random path of the LP engine's search from the domain to a region,
    taking either side of every split with probability 1/2, and scores ``2^s`` for the ``s``
    splits on its path.  The expected score is the number of leaves of the search tree, that is
    the number of regions (Knuth 1975), so the mean over probes is unbiased; ``stderr`` is the
    standard error of that mean.  Every decision on the way is the engine's, certified exactly,
    so only the sampling is random.  A probe costs one root-to-leaf descent (about one LP per
    hidden neuron); the estimate is what progress reports of long counts extrapolate from.

    References
    ----------
    D. E. Knuth, *Estimating the efficiency of backtrack programs*, Mathematics of Computation
    29 (1975), 121-136.

    Examples
    --------
    >>> from cpa import ReLUNetwork
    >>> absx = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    >>> estimate_regions(absx, Box([-1], [1]), probes=8).regions
    2.0
    """
    import random

    eng = _Engine(net, domain, None)
    rng = random.Random(seed)
    scores = [float(next(eng.run(full=False, probe=rng))) for _ in range(probes)]
    mean = sum(scores) / probes
    var = sum((v - mean) ** 2 for v in scores) / (probes - 1) if probes > 1 else 0.0
    return RegionEstimate(mean, math.sqrt(var / probes), probes)


def _log_done(stats: dict) -> None:
    _log.debug("LP engine: %d regions, %d LPs, %d exact simplex calls; %s", stats.get("regions", 0),
               stats.get("lp_calls", 0), stats.get("exact_simplex", 0), stats)


# --- helpers ------------------------------------------------------------------------------------
def _fscale(v: int, e: int) -> float:
    """``v / 2^e`` correctly rounded to float64 (Python's int / int is; infinite beyond range)."""
    try:
        return v / (1 << e) if e >= 0 else float(v << -e)
    except OverflowError:
        return _INF if v > 0 else -_INF


def _float_q(q: Fraction) -> float:
    """A rational as a float (nearest), or +-inf beyond the float range."""
    try:
        return float(q)
    except OverflowError:
        return _INF if q > 0 else -_INF


def _fscaled(vals: Any, e: int) -> list[float]:
    """``[v / 2^e for v in vals]``, each correctly rounded (infinite beyond the float range)."""
    D = 1 << e
    try:
        return [v / D for v in vals]
    except OverflowError:
        return [_fscale(v, e) for v in vals]


def _neg(r: tuple[int, ...]) -> tuple[int, ...]:
    return tuple([-v for v in r])


def _lin_exp(r: tuple[int, ...], d: int) -> int:
    """Bit length of the largest linear coefficient (0 if all are zero)."""
    m = 0
    for v in r[:d]:
        b = v.bit_length() if v >= 0 else (-v).bit_length()
        if b > m:
            m = b
    return m


class _Engine:
    """One enumeration (see the module docstring)."""

    def __init__(self, net: ReLUNetwork, domain: Box | Polyhedron | Reals, stats: dict | None,
                 witness: Sequence[Fraction] | None = None,
                 bbox: tuple[Sequence[Fraction], Sequence[Fraction]] | None = None):
        """``witness`` and ``bbox`` (with a polyhedral ``domain``) give a known exact interior point and
        a box holding the polyhedron, which skips computing them from its vertices (a cell of a first
        split: :mod:`cpa.regions._lp_split`); the witness is checked exactly."""
        if not isinstance(net, ReLUNetwork):
            net = ReLUNetwork(net)
        if not isinstance(domain, (Box, Polyhedron, Reals)):
            raise DomainError(f"unsupported domain {domain!r}: use Box, Polyhedron or Reals")
        self.inet = inet = IntegerNetwork(net)
        self.d = d = inet.d
        if domain.dim != d:
            raise DomainError(f"domain has dimension {domain.dim} but the network has input dimension {d}")
        self.domain = domain
        self.eager = _EAGER
        self.eager_split = _EAGER_SPLIT
        self.pool_size = _POOL if _POOL is not None else 2 * d + 8
        self.pool_interior = _POOL_INTERIOR
        self.cell_box_min = _CELL_BOX_MIN
        self.stats = stats if stats is not None else {}
        for k in ("decisions", "constant", "box_filter", "both_sides", "lp_calls", "cut_vertex", "nocut_dual",
                  "cut_ray", "cut_basis", "nocut_basis", "exact_simplex", "cut_exact", "nocut_exact",
                  "regions", "bounded_lp_calls", "bounded_exact", "max_witness_bits", "pool_point", "pool_vertex",
                  "box_lps", "max_stack"):
            self.stats.setdefault(k, 0)
        # --- domain: exact rows, bounding box, root witness ---
        self.hrep_dom: list[tuple[tuple[Fraction, ...], Fraction]] = []
        poly_rows: list[tuple[int, ...]] = []
        bbox = (list(bbox[0]), list(bbox[1])) if bbox is not None else None
        if isinstance(domain, Box):
            A, b = domain.constraints()
            self.hrep_dom = list(zip(A, b))
            bbox = (list(domain.lo), list(domain.hi))
            self.bounded_domain = True
            root = hom_point(domain.interior_point())
        elif isinstance(domain, Polyhedron):
            if witness is None:
                domain.check()
            for a, c in zip(domain.A, domain.b):
                r = integer_row(list(a) + [-c])
                if not any(r[:-1]):
                    if r[-1] > 0:
                        raise DomainError(f"polyhedron domain in R^{d} is empty (a constraint reads 0 <= {-c})")
                    continue
                poly_rows.append(r)
                self.hrep_dom.append((tuple(a), c))
            if witness is not None:
                x = tuple(Fraction(v) for v in witness)
                if len(x) != d or not all(sum((ai * xi for ai, xi in zip(a, x)), Fraction(0)) < c
                                          for a, c in zip(domain.A, domain.b)):
                    raise DomainError("the given witness is not strictly inside the polyhedron")
                root = hom_point(x)
                self.bounded_domain = bbox is not None
            else:
                self.bounded_domain = domain.is_bounded
                if self.bounded_domain:
                    vs = domain.vertices()
                    bbox = ([min(v[k] for v in vs) for k in range(d)], [max(v[k] for v in vs) for k in range(d)])
                root = hom_point(domain.interior_point())
        else:
            self.bounded_domain = False
            root = (0,) * d + (1,)
        self.box_rows: list[tuple[int, ...]] = []
        if bbox is not None:
            lo, hi = bbox
            D = 1
            for v in lo + hi:
                q = v.denominator
                if D % q:
                    D = D * q // math.gcd(D, q)
            self.D = D
            self.LO = [int(v * D) for v in lo]
            self.HI = [int(v * D) for v in hi]
            for k in range(d):
                up = [0] * (d + 1)
                up[k] = D
                up[d] = -self.HI[k]
                dn = [0] * (d + 1)
                dn[k] = -D
                dn[d] = self.LO[k]
                self.box_rows.append(tuple(up))
                self.box_rows.append(tuple(dn))
            # u-space for the float LPs: x = c + h u, u in [-1, 1]^d
            c = [(a + b) / 2 for a, b in zip(lo, hi)]
            h = [(b - a) / 2 for a, b in zip(lo, hi)]
            self.ident = all(v == 0 for v in c) and all(v == 1 for v in h)
            self.Dc = math.lcm(*[v.denominator for v in c])
            self.Dh = math.lcm(*[v.denominator for v in h])
            self.Cn = [int(v * self.Dc) for v in c]
            self.Hn = [int(v * self.Dh) for v in h]
            self.cf = [_float_q(v) for v in c]
            self.hf = [_float_q(v) for v in h]
            self.unit = D == 1 and all(v == -1 for v in self.LO) and all(v == 1 for v in self.HI)
        else:
            self.ident = True
            self.unit = False
        self.has_box = bbox is not None
        self.base_rows: list[tuple[int, ...]] = self.box_rows + poly_rows
        self.n_base = len(self.base_rows)
        for r in self.base_rows:
            if dot(r, root) >= 0:
                raise DomainError("the domain's interior point is not strictly inside it (not full-dimensional?)")
        self.root = root
        # --- the float LP (u-space; box bounds [-1, 1]^d when the domain is bounded) ---
        self.lp = float_lp(d, self.has_box, self.stats)
        self._start_of: Any = None      # the witness whose u-space floats are self._start
        self._start: Any = None
        # model rows: exact x-space row and float scaling exponent, in model order
        self.model_rows: list[tuple[int, ...]] = []
        self.model_exps: list[int] = []
        self.model_float: list[list[float]] = []
        for r in poly_rows:
            self._add_model_row(r)
        self.n_poly = len(poly_rows)
        self.rows: list[tuple[int, ...]] = list(self.base_rows)    # exact rows of the current cell
        self.split_neurons: list[int] = []       # the hidden neuron of each split row, in order

    # --- float LP model -----------------------------------------------------------------------
    def _u_row(self, r: tuple[int, ...]) -> tuple[int, ...]:
        """The row in u-space (``x = c + h u``), a positive multiple of ``r`` as a function."""
        if self.ident:
            return r
        d = self.d
        Dc, Dh = self.Dc, self.Dh
        ua = [r[k] * self.Hn[k] * Dc for k in range(d)]
        ub = Dh * sum(r[k] * self.Cn[k] for k in range(d)) + r[d] * Dc * Dh
        return tuple(ua) + (ub,)

    def _x_point(self, U: tuple[int, ...]) -> tuple[int, ...]:
        """Homogeneous u-space point (``t > 0``) to x-space."""
        if self.ident:
            return U
        d = self.d
        T = U[d]
        Dc, Dh = self.Dc, self.Dh
        X = [self.Cn[k] * Dh * T + self.Hn[k] * Dc * U[k] for k in range(d)]
        return primitive_point(X + [Dc * Dh * T])

    def _add_model_row(self, r: tuple[int, ...], fl: tuple[list[float], float, int] | None = None) -> None:
        """Add the exact row ``r`` to the LP as a scaled u-space float row (``fl``: its floats, if
        already known: coefficients, constant, exponent)."""
        d = self.d
        if fl is None:
            u = self._u_row(r)
            e = _lin_exp(u, d)
            vals = _fscaled(u[:d], e)
            c0 = _fscale(u[d], e)
            if not math.isfinite(c0):
                c0 = math.copysign(_BIG, c0)
        else:
            vals, c0, e = fl
        self.lp.add_row(vals, -c0)
        self.model_rows.append(r)
        self.model_exps.append(e)
        self.model_float.append(vals + [c0])

    def _push_row(self, r: tuple[int, ...], fl: tuple[list[float], float, int] | None = None,
                  neuron: int = -1) -> list[float]:
        """Add the split row of hidden neuron ``neuron`` to the cell and the LP; its scaled u-space
        float copy."""
        self.rows.append(r)
        self.split_neurons.append(neuron)
        self._add_model_row(r, fl)
        return self.model_float[-1]

    def _truncate(self, npath: int, basis: Any) -> None:
        """Back to the cell with ``npath`` split rows; restore its saved basis."""
        cur = len(self.rows) - self.n_base
        if cur > npath:
            first = self.n_poly + npath
            del self.rows[self.n_base + npath:]
            del self.split_neurons[npath:]
            del self.model_rows[first:]
            del self.model_exps[first:]
            del self.model_float[first:]
        self.lp.truncate(self.n_poly + npath, basis)

    def _solve(self, c: list[float], W: tuple[int, ...]) -> int:
        """Maximise ``c . u`` over the current cell, whose exact witness is ``W`` (float LP);
        :data:`~cpa.regions._float_lp.OPTIMAL`, ``UNBOUNDED`` or ``OTHER``.  The witness's floats,
        the solver's start, are computed once per witness (a cell's decisions share it)."""
        if W is not self._start_of:
            self._start_of, self._start = W, np.array(self._u_floats(W))
        return self.lp.solve(c, self._start)

    # --- exact row values and points -------------------------------------------------------------
    def _values(self, P: tuple[int, ...]) -> list[int]:
        """Exact values ``r . P`` of the current cell's rows at the homogeneous point ``P``."""
        d = self.d
        rows = self.rows
        if self.has_box:
            t = P[d]
            out = []
            if self.unit:
                for k in range(d):
                    x = P[k]
                    out.append(x - t)
                    out.append(-x - t)
            else:
                D, LO, HI = self.D, self.LO, self.HI
                for k in range(d):
                    x = D * P[k]
                    out.append(x - HI[k] * t)
                    out.append(LO[k] * t - x)
            out.extend([sum(map(mul, r, P)) for r in rows[2 * d:]])
            return out
        return [sum(map(mul, r, P)) for r in rows]

    def _combine(self, W: tuple[int, ...], sW: list[int], V: tuple[int, ...],
                 z: tuple[int, ...]) -> tuple[tuple[int, ...], list[int]] | None:
        return combine_values(W, sW, V, self._values(V), z)

    def _u_floats(self, P: tuple[int, ...]) -> list[float]:
        """Float u-space coordinates of an exact point (for screening only)."""
        d = self.d
        t = P[d]
        try:
            x = [v / t for v in P[:d]]
        except OverflowError:
            return [0.0] * d
        if self.ident:
            return x
        return [(a - c) / h for a, c, h in zip(x, self.cf, self.hf)]

    # --- certificates -------------------------------------------------------------------------
    def _cut_from_floats(self, x, W, sW, z, pool, entry):
        """The LP's vertex ``x`` (u-space floats), rounded to a short rational and then taken at its
        exact dyadic value, combined with the witness: ``(P, sP)`` or None."""
        for conv in (rounded_point, float_point):
            U = conv(x)
            if U is None:
                continue
            V = self._x_point(U)
            if conv is rounded_point and entry is not None:
                pool.set_exact(entry, V)
            res = self._combine(W, sW, V, z)
            if res is not None:
                return res
        return None

    def _nocut_from_duals(self, duals: list[tuple[int, float]], e_g: int, z: tuple[int, ...]) -> bool:
        """Farkas certificate from the LP's row duals, the residual absorbed by the box rows."""
        b = self._dual_bound(duals, e_g, z)
        return b is not None and b[0] <= 0

    def _dual_bound(self, duals: list[tuple[int, float]], e_g: int, z: tuple[int, ...]) -> tuple[int, int] | None:
        """An exact upper bound ``num / den`` of ``z`` over the current cell from the LP's row
        duals ``y >= 0`` (``(row, y)`` pairs, dyadic, taken exactly): ``2^E z = R + sum mu_i r_i`` with
        ``mu_i = y_i 2^(e_g - e_i)`` and the residual ``R`` bounded over the (bounding) box,
        i.e. a Farkas certificate whose box-row multipliers are ``max(+-R_k, 0)``."""
        d = self.d
        terms = []
        ymax = max((y for _, y in duals), default=0.0)
        if not math.isfinite(ymax):
            return None
        cut = ymax * 1e-13
        smin = 0
        exps = self.model_exps
        rows = self.model_rows
        for i, y in duals:
            if y > cut:
                m, q = math.frexp(y)
                s = q - 53 + e_g - exps[i]
                terms.append((int(math.ldexp(m, 53)), s, rows[i]))
                if s < smin:
                    smin = s
        E = -smin
        R = [v << E for v in z]
        for M, s, r in terms:
            c = M << (s + E)
            R = [a - c * b for a, b in zip(R, r)]
        bound = self.D * R[d]
        for k in range(d):
            v = R[k]
            bound += v * self.HI[k] if v > 0 else v * self.LO[k]
        return bound, self.D << E

    def _cell_box(self, W: tuple[int, ...]) -> tuple[list[int], list[int], int]:
        """A box containing the current cell, certified: ``2 d`` LPs, each bound from a Farkas
        certificate (:meth:`_dual_bound`), rounded outwards to a grid of ``1 / (D 2^48)``; the
        domain's box where an LP gives no certificate.  Returns integer ``(LO, HI, scale)``."""
        d = self.d
        S = self.D << 48
        LO = [v << 48 for v in self.LO]
        HI = [v << 48 for v in self.HI]
        st = self.stats
        for k in range(d):
            for sgn in (1, -1):
                z = tuple(sgn if i == k else 0 for i in range(d)) + (0,)
                F, E, _, _ = self._layer_floats([z])
                st["box_lps"] += 1
                if self._solve(F[0][:d].tolist(), W) != OPTIMAL:
                    continue
                b = self._dual_bound(self.lp.duals(), E[0], z)
                if b is None:
                    continue
                num, den = b          # sgn x_k <= num / den
                if sgn > 0:
                    v = -((-num * S) // den)      # ceil
                    if v < HI[k]:
                        HI[k] = v
                else:
                    v = (-num * S) // den         # floor of -num / den
                    if v > LO[k]:
                        LO[k] = v
        return LO, HI, S

    def _basis_rows(self) -> list[tuple[int, ...]] | None:
        """The ``d`` tight constraints of the float LP's final basis as exact rows, or None."""
        tight = self.lp.tight()
        if tight is None:
            return None
        # -1 - 2k: u_k <= 1 (box row 2k); -2 - 2k: u_k >= -1 (box row 2k + 1)
        return [self.model_rows[i] if i >= 0 else self.box_rows[-1 - i] for i in tight]

    def _decide_basis(self, W, sW, z):
        """Tier 2: ``(decided, result)``; result None = no cut certified, else ``(P, sP)``."""
        N = self._basis_rows()
        if N is None:
            return False, None
        d = self.d
        A = [r[:d] for r in N]
        mu = solve_square([[A[i][k] for i in range(d)] for k in range(d)], z[:d])
        if mu is not None and all(v >= 0 for v in mu):
            bound = sum((m * -r[d] for m, r in zip(mu, N)), Fraction(z[d]))
            if bound <= 0:
                self.stats["nocut_basis"] += 1
                return True, None
        x = solve_square(A, [-r[d] for r in N])
        if x is not None:
            X = hom_point(x)
            if dot(z, X) > 0:
                sX = self._values(X)
                if all(v <= 0 for v in sX):
                    res = combine_values(W, sW, X, sX, z)
                    if res is not None:
                        self.stats["cut_basis"] += 1
                        return True, res
        return False, None

    def _decide_exact(self, W, sW, z):
        """Tier 3: the exact simplex decides; None (no cut) or ``(P, sP)``."""
        st = self.stats
        st["exact_simplex"] += 1
        d = self.d
        res = exact_max(self.rows, z[:d])
        if res[0] == "optimal":
            value, x = res[1], res[2]
            if value + z[d] <= 0:
                st["nocut_exact"] += 1
                return None
            V = hom_point(x)
        else:
            y = res[1]
            L = math.lcm(*[v.denominator for v in y])
            V = primitive_point([v.numerator * (L // v.denominator) for v in y] + [0])
        out = self._combine(W, sW, V, z)
        if out is None:
            raise CertificateError("LP engine: an exact optimal vertex or ray gave no interior point")
        st["cut_exact"] += 1
        return out

    def _other_side(self, W, sW, z, obj, pool):
        """Tiers 1-3 for a cell where ``z(W) < 0``: None when ``z <= 0`` on the whole cell
        (certified), else an exact point strictly inside with ``z > 0`` and its row values.
        The LP's optimal vertex joins ``pool``."""
        st = self.stats
        c, c0, e_g = obj
        st["lp_calls"] += 1
        status = self._solve(c, W)
        lp = self.lp
        if status == OPTIMAL:
            x = lp.x
            est = sum(map(float.__mul__, c, x)) + c0
            entry = pool.add_vertex(x)
            for what in (("cut", "nocut") if est > 0 else ("nocut", "cut")):
                if what == "cut":
                    res = self._cut_from_floats(x, W, sW, z, pool, entry)
                    if res is not None:
                        st["cut_vertex"] += 1
                        return res
                elif self.has_box and self._nocut_from_duals(lp.duals(), e_g, z):
                    st["nocut_dual"] += 1
                    return None
            done, res = self._decide_basis(W, sW, z)
            if done:
                return res
        elif status == UNBOUNDED:
            ray = lp.ray()
            if ray is not None:
                U = float_point(ray, t_one=False)
                if U is not None:
                    res = self._combine(W, sW, U, z)      # no box: u-space is x-space
                    if res is not None:
                        st["cut_ray"] += 1
                        return res
        return self._decide_exact(W, sW, z)

    def _bounded(self, W: tuple[int, ...]) -> bool:
        """Whether the current cell, with witness ``W``, is bounded (certified; see the module
        docstring)."""
        if self.bounded_domain:
            return True
        d = self.d
        st = self.stats
        dirs = [tuple(1 if k == i else 0 for k in range(d)) for i in range(d)] + [(-1,) * d]
        rows = self.rows
        for u in dirs:
            st["bounded_lp_calls"] += 1
            status = self._solve([float(v) for v in u], W)
            verdict = None
            if status == UNBOUNDED:
                ray = self.lp.ray()
                if ray is not None:
                    verdict = False if self._certify_ray(ray, u) else None
            elif status == OPTIMAL:
                # Farkas: u a nonnegative combination of the rows the LP's duals name, exactly
                duals = self.lp.duals()
                ymax = max((y for _, y in duals), default=0.0)
                S = [i for i, y in duals if y > 1e-9 * ymax] if math.isfinite(ymax) else []
                if S and nonnegative_combination([self.model_rows[i][:d] for i in S], u) is not None:
                    verdict = True
            if verdict is None:
                st["bounded_exact"] += 1
                verdict = exact_max(rows, u)[0] == "optimal"
            if not verdict:
                return False
        return True

    def _certify_ray(self, ray: list[float], u: tuple[int, ...]) -> bool:
        """An exact direction ``y`` with ``a . y <= 0`` for every row and ``u . y > 0`` from the
        LP's ray: its dyadic value, projected exactly onto the rows it (nearly) runs along."""
        d = self.d
        if not all(map(math.isfinite, ray)) or not any(ray):
            return False
        y = [Fraction(v) for v in ray]
        rows = [r[:d] for r in self.rows]
        scale = max(abs(v) for v in ray)
        tight = []
        for a in rows:
            af = [float(v) for v in a] if max(map(abs, a)).bit_length() < 1000 else None
            if af is None:
                tight.append(a)
                continue
            norm = max(map(abs, af)) or 1.0
            if sum(map(float.__mul__, af, ray)) >= -1e-9 * norm * scale:
                tight.append(a)
        for cand in (y, project_direction(y, tight) if tight else None):
            if cand is None:
                continue
            Y = integer_vector(cand)
            if dot(u, Y) > 0 and all(dot(r, Y) <= 0 for r in rows):
                return True
        return False

    # --- the search ---------------------------------------------------------------------------
    def _layer_floats(self, M: list[tuple[int, ...]]) -> tuple[Any, list[int]]:
        """Scaled u-space float copies of a layer's cell-map rows (for screening and LP objectives)
        and their scaling exponents."""
        d = self.d
        F = []
        E = []
        for row in M:
            u = row if self.ident else self._u_row(row)
            e = _lin_exp(u, d)
            f = _fscaled(u, e)
            if not math.isfinite(f[d]):
                f[d] = math.copysign(_BIG, f[d])
            F.append(f)
            E.append(e)
        return np.array(F, dtype=float).reshape(len(M), d + 1), E, F, [any(row[:d]) for row in M]

    def _pass(self, ks: list[int], M: list[tuple[int, ...]], lf: Any, W: tuple[int, ...],
              sW: list[int], pool: "_Pool", fixed: list[Any], found: dict[int, Any], box: Any) -> None:
        """Decide the neurons ``ks`` (rows ``M[k]``) on the current cell with witness ``W``.

        Sets ``fixed[k]`` to the neuron's activity when it does not split the cell (then it splits
        no cell below this one either), else ``found[k] = (side of W, (P, sP), None)`` with an
        exact point strictly inside on the other side, or, when ``z(W) = 0``,
        ``(None, (P+, sP+), (P-, sP-))``.  At a layer's entry the exact bound of the row over a box
        holding the cell is tried first (``box``: integer ``(LO, HI, scale)``, or None).
        Points on the other side come from the pool, else from an LP.
        """
        st = self.stats
        d = self.d
        Mf, Me, Mfl, nonconst = lf
        todo = []
        st["decisions"] += len(ks)
        for k in ks:
            row = M[k]
            if not nonconst[k]:
                st["constant"] += 1
                fixed[k] = row[d] > 0
                continue
            if box is not None:      # exact bounds of the row over a box holding the cell
                BL, BH, BS = box
                hi = lo = BS * row[d]
                for v, a, b in zip(row, BL, BH):
                    if v > 0:
                        hi += v * b
                        lo += v * a
                    else:
                        hi += v * a
                        lo += v * b
                if hi <= 0 or lo >= 0:
                    st["box_filter"] += 1
                    fixed[k] = lo >= 0 and hi > 0
                    continue
            zw = dot(row, W)
            if zw == 0:
                st["both_sides"] += 1
                g = row[:d] + (0,)
                res_p = self._combine(W, sW, g, row)
                res_m = self._combine(W, sW, _neg(g), _neg(row))
                if res_p is None or res_m is None:
                    raise CertificateError("LP engine: no point beside a witness on a hyperplane")
                found[k] = (None, res_p, res_m)
                continue
            todo.append((k, zw > 0))
        if not todo:
            return
        npool = len(pool.uf)
        cols = None
        if npool:
            sel = Mf[[k for k, _ in todo]]
            sgn = np.array([-1.0 if pos else 1.0 for _, pos in todo])
            vals = pool.array() @ (sel * sgn[:, None]).T          # z at the pool points, per neuron
            hit = vals > 1e-12
            cols = [np.flatnonzero(c).tolist() if any_ else None
                    for c, any_ in zip(hit.T, hit.any(axis=0).tolist())]
        for t, (k, pos) in enumerate(todo):
            row = M[k]
            z = _neg(row) if pos else row
            f = Mfl[k] if not pos else [-v for v in Mfl[k]]
            res = None
            if cols is not None and cols[t] is not None:
                idx = cols[t]
                col = vals[:, t].tolist()
                res = self._from_pool(pool, idx, [col[i] for i in idx], W, sW, z)
            n_now = len(pool.uf)
            if res is None and n_now > npool:        # points added during this pass
                idx = []
                vs = []
                for i in range(npool, n_now):
                    v = sum(map(float.__mul__, pool.uf[i], f))
                    if v > 1e-12:
                        idx.append(i)
                        vs.append(v)
                if idx:
                    res = self._from_pool(pool, idx, vs, W, sW, z)
            if res is None:
                res = self._other_side(W, sW, z, (f[:d], f[d], Me[k]), pool)
                if res is not None:
                    pool.add_interior(res[0], res[1], self._u_floats(res[0]))
            if res is None:
                fixed[k] = pos
            else:
                found[k] = (pos, res, None)

    def _from_pool(self, pool: "_Pool", idx: list[int], vals: list[float], W, sW, z):
        """A point on the positive side of ``z`` from the pool entries ``idx`` (float screening
        values ``vals`` > 0), or None.  Interior points first (one exact product), then vertices
        (an exact combination with the witness)."""
        st = self.stats
        sv = pool.sv
        order = sorted(range(len(idx)), key=lambda t: (sv[idx[t]] is None, -vals[t]))[:3]
        for t in order:
            i = idx[t]
            sQ = sv[i]
            if sQ is not None:           # an interior point: itself the other child's witness
                Q = pool.ex[i]
                if dot(z, Q) > 0:
                    st["pool_point"] += 1
                    return Q, sQ
                continue
            V = pool.exact(i, self)
            if V is not None:
                res = self._combine(W, sW, V, z)
                if res is not None:
                    st["pool_vertex"] += 1
                    pool.add_interior(res[0], res[1], self._u_floats(res[0]))
                    return res
        return None

    def run(self, full: bool, budget: int | None = None, probe: Any = None, keys: bool = False) -> Iterator[Any]:
        """Yield the regions (``full``: :class:`LPRegion`; ``keys``: ``(bounded, pattern, map,
        splits)`` with the pattern as an integer, bit ``i`` for hidden neuron ``i`` in order, the
        exact integer output map :math:`M_L` as a tuple of rows, equal for two regions iff their
        affine maps are, and the neurons whose rows complete the domain's to the region's
        H-representation (those that split an ancestor) as an integer of the same bits; else
        whether each is bounded).  With
        ``budget``, stop once that many regions are found and yield, last, the unexplored part of
        the search as a :class:`Frontier`.  With ``probe`` (a :class:`random.Random`), follow one
        random root-to-leaf path instead, taking either side of every split with probability 1/2,
        and yield ``2^(splits on the path)`` (Knuth's estimator: its mean is the number of regions)."""
        inet = self.inet
        d = self.d
        widths = inet.widths
        L = len(widths)
        N = sum(widths)
        layer_of = [l for l, w in enumerate(widths) for _ in range(w)]
        start = [sum(widths[:l]) for l in range(L)]
        bits = [False] * N
        maps: list[Any] = [None] * max(L, 1)
        mfl: list[Any] = [None] * max(L, 1)
        if L:
            maps[0] = inet.first_map()
            mfl[0] = self._layer_floats(maps[0])
        st = self.stats
        lp = self.lp
        eager = self.eager
        eager_split = self.eager and self.eager_split
        fixed: list[Any] = []
        found: dict[int, Any] = {}
        root = self.root
        self._truncate(0, None)        # a run stopped early (a probe, a budget) leaves its rows
        stack: list[Any] = [(0, None, root, self._values(root), 0, None, fixed,
                             _Pool(self.pool_size, self.pool_interior), None, self.bounded_domain)]
        found_here = 0
        weight = 1
        while stack:
            if budget is not None and found_here >= budget:
                yield self._frontier(stack, maps, layer_of, start)
                return
            # bnd: the cell is known to be bounded (then so is every cell below it)
            p, side, W, sW, npath, basis, fixed, pool, flB, bnd = stack.pop()
            self._truncate(npath, basis)
            found = {}
            if side is not None:
                l = layer_of[p]
                row = maps[l][p - start[l]]
                r = _neg(row) if side else row
                self._push_row(r, flB, p)
                sW.append(dot(r, W))
                bits[p] = side
                p += 1
            recheck = side is not None and eager_split
            while p < N:
                l = layer_of[p]
                j = p - start[l]
                n = widths[l]
                if j == 0:
                    if l > 0:
                        s0 = start[l - 1]
                        active = [k for k in range(widths[l - 1]) if bits[s0 + k]]
                        maps[l] = inet.next_map(l, maps[l - 1], active)
                        mfl[l] = self._layer_floats(maps[l])
                    fixed = [None] * n
                    found = {}
                    if not bnd and l > 0:       # unbounded domain: a bounded cell bounds its subtree
                        bnd = self._bounded(W)
                    box = None
                    if self.has_box:
                        if l > 0 and n >= self.cell_box_min * 2 * d:
                            box = self._cell_box(W)
                        else:
                            box = (self.LO, self.HI, self.D)
                    self._pass(list(range(n)) if eager else [0], maps[l], mfl[l], W, sW, pool,
                               fixed, found, box)
                    recheck = False
                elif recheck:
                    recheck = False
                    ks = [k for k in range(j, n) if fixed[k] is None and k not in found]
                    if ks:
                        self._pass(ks, maps[l], mfl[l], W, sW, pool, fixed, found, None)
                if fixed[j] is not None:
                    bits[p] = fixed[j]
                    p += 1
                    continue
                got = found.get(j)
                if got is None:
                    self._pass([j], maps[l], mfl[l], W, sW, pool, fixed, found,
                               None if eager or not self.has_box else (self.LO, self.HI, self.D))
                    if fixed[j] is not None:
                        bits[p] = fixed[j]
                        p += 1
                        continue
                    got = found[j]
                sgn, res, res_m = got
                row = maps[l][j]
                if sgn is None:        # z(W) = 0: both sides, new witnesses on each
                    (W, sW), (Pb, sPb), here = res, res_m, True
                else:
                    (Pb, sPb), here = res, sgn
                # the row of this side is -z <= 0 (active) or z <= 0
                rA = _neg(row) if here else row
                npath = len(self.rows) - self.n_base
                basis = lp.save()
                fz = mfl[l][2][j]              # the row's scaled u-space floats, as in the LP's objective
                fA = self._push_row(rA, ([-v for v in fz[:d]], -fz[d], mfl[l][1][j]) if here
                                    else (fz[:d], fz[d], mfl[l][1][j]), p)
                poolA, poolB = pool.split(rA, fA)
                flB = ([-v for v in fA[:d]], -fA[d], self.model_exps[-1])
                stack.append((p, not here, Pb, sPb, npath, basis, list(fixed), poolB, flB, bnd))
                if probe is not None:
                    weight *= 2
                    if probe.random() < 0.5:
                        break              # down the other side: the sibling just pushed
                    stack.pop()
                if len(stack) > st["max_stack"]:
                    st["max_stack"] = len(stack)
                sW = sW + [dot(rA, W)]
                pool = poolA
                # a cut found on the parent stays certified here if its point lies on this side (W is kept)
                keep = {}
                for k, (sg, res_k, _) in (found.items() if sgn is not None else ()):
                    if k > j and sg is not None:
                        P, sP = res_k
                        e = dot(rA, P)
                        if e < 0:
                            keep[k] = (sg, (P, sP + [e]), None)
                found = keep
                bits[p] = here
                p += 1
                recheck = eager_split
            if p < N:
                continue                   # a probe left this branch for its sibling
            if probe is not None:
                yield weight
                return
            st["regions"] += 1
            found_here += 1
            wb = max(map(abs, W)).bit_length()
            if wb > st["max_witness_bits"]:
                st["max_witness_bits"] = wb
            bounded = bnd or self._bounded(W)
            if keys:
                s0 = start[L - 1] if L else 0
                out = inet.next_map(L, maps[L - 1], [k for k in range(widths[L - 1]) if bits[s0 + k]]) \
                    if L else inet.first_map()
                yield (bounded, sum(1 << i for i in range(N) if bits[i]), tuple(out),
                       sum(1 << i for i in self.split_neurons))
                continue
            if not full:
                yield bounded
                continue
            pattern = tuple(tuple(bits[start[l]:start[l] + widths[l]]) for l in range(L))
            active = [[k for k in range(widths[l]) if bits[start[l] + k]] for l in range(L)]
            if L:
                out = inet.next_map(L, maps[L - 1], active[L - 1])
            else:
                out = inet.first_map()
            amap = inet.map_to_fractions(out, L)
            t = W[d]
            witness = tuple(Fraction(v, t) for v in W[:d])
            A = [a for a, _ in self.hrep_dom]
            b = [c for _, c in self.hrep_dom]
            for r in self.rows[self.n_base:]:
                A.append(tuple(Fraction(v) for v in r[:d]))
                b.append(Fraction(-r[d]))
            yield LPRegion(pattern, witness, (tuple(A), tuple(b)), amap, bounded)
        _log_done(st)


    def _frontier(self, stack: list[Any], maps: list[Any], layer_of: list[int], start: list[int]) -> "Frontier":
        """The pending siblings of the open branch as cells: each one's split rows (those of its
        ancestors, then its own side of its neuron) and its exact witness.  Every pending sibling
        branched off the current path, so the cell maps of its layer are the current ones."""
        cells = []
        neurons = []
        for p, side, W, _sW, npath, *_ in stack:
            l = layer_of[p]
            row = maps[l][p - start[l]]
            own = _neg(row) if side else row
            cells.append((tuple(self.rows[self.n_base:self.n_base + npath]) + (own,), W))
            neurons.append(sum(1 << i for i in self.split_neurons[:npath]) | 1 << p)
        return Frontier(tuple(cells), tuple(neurons))


class Frontier(NamedTuple):
    """The unexplored rest of a search stopped at its work budget: cells, each ``(rows, witness)``
    with ``rows`` the exact integer rows ``r`` (``r[:d] . x + r[d] <= 0``) added to the domain's
    and ``witness`` a homogeneous integer point strictly inside.  With the regions already
    yielded, the cells' regions are exactly the domain's (the cells and the explored part of the
    search have disjoint interiors and cover the domain).  ``neurons[i]`` has bit ``j`` set iff
    hidden neuron ``j`` gave one of the rows of cell ``i``."""

    cells: tuple[tuple[tuple[tuple[int, ...], ...], tuple[int, ...]], ...]
    neurons: tuple[int, ...] = ()


class _Pool:
    """Points met on the way, kept to find a point on the other side of a neuron without an LP.

    Two kinds: *interior* points (exact, strictly inside the current cell, with the exact values
    of the cell's rows there: a point with ``z > 0`` is at once the other child's witness) and LP
    *vertices* (floats, near the cell's closure; rounded to an exact point on first use and
    certified by :func:`combine_values`).  All are screened with float u-space coordinates; no
    decision rests on the screening.
    """

    __slots__ = ("cap_v", "cap_i", "uf", "ex", "sv", "arr")

    def __init__(self, cap_v: int, cap_i: int, uf: list | None = None, ex: list | None = None,
                 sv: list | None = None):
        self.cap_v = cap_v
        self.cap_i = cap_i
        self.uf: list[list[float]] = uf if uf is not None else []
        self.ex: list[Any] = ex if ex is not None else []
        self.sv: list[Any] = sv if sv is not None else []
        self.arr: Any = None

    def trim(self) -> "_Pool":
        """Keep the most recent ``cap_v`` vertices and ``cap_i`` interior points (done at splits only,
        so that indices stay valid while a cell is being decided)."""
        nv = sum(1 for v in self.sv if v is None)
        ni = len(self.sv) - nv
        if nv <= self.cap_v and ni <= self.cap_i:
            return self
        drop_v, drop_i = nv - self.cap_v, ni - self.cap_i
        keep = []
        for v in self.sv:
            if v is None:
                keep.append(drop_v <= 0)
                drop_v -= 1
            else:
                keep.append(drop_i <= 0)
                drop_i -= 1
        self.uf = [u for u, k in zip(self.uf, keep) if k]
        self.ex = [u for u, k in zip(self.ex, keep) if k]
        self.sv = [u for u, k in zip(self.sv, keep) if k]
        self.arr = None
        return self

    def add_vertex(self, u: list[float]) -> int | None:
        if self.cap_v <= 0 or not all(map(math.isfinite, u)):
            return None
        self.uf.append(u + [1.0])
        self.ex.append(None)
        self.sv.append(None)
        self.arr = None
        return len(self.uf) - 1

    def add_interior(self, P: tuple[int, ...], sP: list[int], u: list[float]) -> None:
        if self.cap_i <= 0 or not all(map(math.isfinite, u)):
            return
        self.uf.append(u + [1.0])
        self.ex.append(P)
        self.sv.append(sP)
        self.arr = None

    def set_exact(self, i: int, V: tuple[int, ...]) -> None:
        if 0 <= i < len(self.ex) and self.sv[i] is None:
            self.ex[i] = V

    def exact(self, i: int, eng: Any) -> tuple[int, ...] | None:
        V = self.ex[i]
        if V is None:
            U = rounded_point(self.uf[i][:-1])
            if U is None:
                return None
            V = eng._x_point(U)
            self.ex[i] = V
        return V

    def array(self) -> Any:
        if self.arr is None:
            self.arr = np.array(self.uf)
        return self.arr

    def split(self, rA: tuple[int, ...], rf: list[float]) -> tuple["_Pool", "_Pool"]:
        """The points on each side of the row ``rA <= 0`` (float ``rf``): interior points by their
        exact sign (their values gain the new row: ``rA`` on this side, ``-rA`` on the other),
        vertices within a tolerance."""
        A = _Pool(self.cap_v, self.cap_i)
        B = _Pool(self.cap_v, self.cap_i)
        if not self.uf:
            return A, B
        vals = (self.array() @ np.array(rf)).tolist()
        for u, P, sP, v in zip(self.uf, self.ex, self.sv, vals):
            if sP is not None:
                e = dot(rA, P)
                if e < 0:
                    A.uf.append(u)
                    A.ex.append(P)
                    A.sv.append(sP + [e])
                elif e > 0:
                    B.uf.append(u)
                    B.ex.append(P)
                    B.sv.append(sP + [-e])
            else:
                if v <= 1e-9:
                    A.uf.append(u)
                    A.ex.append(P)
                    A.sv.append(None)
                if v >= -1e-9:
                    B.uf.append(u)
                    B.ex.append(P)
                    B.sv.append(None)
        return A.trim(), B.trim()
