"""Exact decision regions of a network with two inputs and several outputs (classes).

A network ``f : R^2 -> R^c`` with ``c >= 2`` outputs classifies a point ``x`` by the
argmax of its outputs.  On each activation region ``R`` (:mod:`cpa.regions`) the outputs
are affine maps ``f_1, ..., f_c``, so the *class cell* of ``k`` in ``R``,

.. math::

    C_k(R) = \\{x \\in R : f_k(x) \\ge f_j(x) \\text{ for all } j\\},

is a convex polygon: ``R`` cut by the half-planes ``f_k - f_j >= 0``.
:func:`decision_regions` computes every cell with exact rational arithmetic (Python
integers in homogeneous coordinates, as in :mod:`cpa.regions._polygon`), and from the
cells the exact class areas, the exact decision boundary and the connected class cells.

Ties, exactly:

* a point where several classes attain the maximum lies in the closed cells of all of
  them: it is on the decision boundary.  The listed cells are closed polygons with
  pairwise disjoint interiors that cover the domain;
* a class whose cell in ``R`` has empty interior (it never wins there, or only on a
  segment or a point) is not listed for ``R``;
* if two outputs are identical on ``R`` (``f_k = f_j`` as affine maps), the cell belongs
  to the smaller index; the larger one is not listed for ``R``.  So no boundary is drawn
  inside a region where two classes tie everywhere.

The domain must be bounded (the cells have areas): a :class:`~cpa.domains.Box` or a
bounded :class:`~cpa.domains.Polyhedron`.  For a network with more inputs, decide on a
plane slice: with an affine map ``P : R^2 -> R^n`` onto the plane, ``net @ P`` is a network
with two inputs (:meth:`cpa.network.ReLUNetwork.__matmul__`).

Floats are never used: the areas sum exactly to the domain's area (tested), and the
plot (:func:`cpa.plotting.plot_decision_regions`) converts to float only to draw.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple, Sequence

from ..domains import Box, Polyhedron, Reals, as_domain
from ..errors import ArgumentError, ArgumentTypeError, DomainError, ShapeError
from ..numbers import to_rational
from ..polytope import lcm_denominator
from ..slices import Plane
from ._adjacency import UnionFind
from ._polygon import _edge_row, _split
from .api import _as_network, regions
from .complex import RegionComplex

__all__ = ["decision_regions", "DecisionRegions", "ClassCell", "BoundarySegment"]

Point = tuple[Fraction, Fraction]
HomPoint = tuple[int, int, int]


class ClassCell(NamedTuple):
    """The cell of one class in one activation region: a closed convex polygon.

    Attributes
    ----------
    region
        Index of the activation region (in :attr:`DecisionRegions.complex`).
    label
        The class (output index, from 0) that attains the maximum on the cell.
    vertices
        Exact vertices, counter-clockwise, with no two consecutive edges collinear.
    area
        Exact area (shoelace formula).
    """

    region: int
    label: int
    vertices: tuple[Point, ...]
    area: Fraction


class BoundarySegment(NamedTuple):
    """A segment of the decision boundary between two classes.

    Attributes
    ----------
    start, end
        Exact end points.
    classes
        The two classes on either side, smaller first; on the segment both attain the
        maximum of the outputs (``f_k = f_j = max_i f_i``).
    """

    start: Point
    end: Point
    classes: tuple[int, int]


@dataclass(frozen=True, eq=False)
class DecisionRegions:
    """The exact decision regions of a network on a bounded 2-D domain.

    Built by :func:`decision_regions`; see the module docstring for the tie rules.

    Attributes
    ----------
    network, domain
        What was decided.
    complex
        The :class:`~cpa.regions.RegionComplex` of the activation regions.
    num_classes
        ``c``, the number of outputs.
    cells
        Every :class:`ClassCell`, grouped by activation region (in region order), and
        within a region by class.
    segments
        The decision boundary as :class:`BoundarySegment` s, finest: each is a maximal
        segment along which the same two cells meet, so it lies in the closure of one
        activation region on each side.
    boundary_pieces
        The decision boundary as maximal segments: consecutive collinear segments of
        :attr:`segments` between the same two classes (on either side) that share an end
        point are merged, across activation regions.
    counts
        Per class, the number of its connected cells: cells of the class are joined when
        they share an edge of positive length (across activation regions too); cells that
        only touch at a point are not joined, as for :attr:`cpa.regions.RegionComplex.pieces`.
    cell_counts
        Per class, the number of activation regions in which it has a cell.
    stats
        Seconds spent on the regions (``"regions_seconds"``; 0 when a complex was given)
        and on the split (``"split_seconds"``), and counters.
    """

    network: Any
    domain: Box | Polyhedron
    complex: RegionComplex
    num_classes: int
    cells: tuple[ClassCell, ...]
    segments: tuple[BoundarySegment, ...]
    boundary_pieces: tuple[BoundarySegment, ...]
    counts: tuple[int, ...]
    cell_counts: tuple[int, ...]
    stats: dict[str, Any] = field(default_factory=dict)
    _components: tuple[tuple[frozenset[int], ...], ...] = field(default=(), repr=False)
    _hom: tuple[tuple[HomPoint, ...], ...] = field(default=(), repr=False)

    @property
    def num_boundary_pieces(self) -> int:
        """Number of maximal boundary segments (:attr:`boundary_pieces`)."""
        return len(self.boundary_pieces)

    @property
    def areas(self) -> tuple[Fraction, ...]:
        """Exact area of every class (0 for a class that never wins on an open set)."""
        out = [Fraction(0)] * self.num_classes
        for cell in self.cells:
            out[cell.label] += cell.area
        return tuple(out)

    def area(self, k: int) -> Fraction:
        """Exact area of the decision region of class ``k``."""
        return self.areas[self._label(k)]

    def polygons(self, k: int) -> list[tuple[Point, ...]]:
        """Exact vertex lists (counter-clockwise) of the cells of class ``k``, one per activation region."""
        k = self._label(k)
        return [c.vertices for c in self.cells if c.label == k]

    def components(self, k: int) -> tuple[frozenset[int], ...]:
        """The connected cells of class ``k`` (see :attr:`counts`), each as the set of the indices
        in :attr:`cells` of the cells it is made of: the exact merge of the cells per class."""
        return self._components[self._label(k)]

    def classes_at(self, x: Sequence[Any]) -> tuple[int, ...]:
        """The classes whose closed cell contains the exact point ``x`` (several on the boundary;
        where two outputs are identical on a whole region, only the smaller index: the tie rules).

        Parameters
        ----------
        x
            A point of the domain: two numbers :func:`cpa.numbers.to_rational` accepts.

        Returns
        -------
        tuple of int
            Sorted classes; empty outside the domain.
        """
        if isinstance(x, (str, bytes)) or not hasattr(x, "__len__") or len(x) != 2:
            raise ShapeError(f"classes_at needs a point with 2 coordinates, got {x!r}")
        P = _hom([to_rational(v, f"x[{i}]") for i, v in enumerate(x)])
        found = {c.label for c, H in zip(self.cells, self._hom) if _contains(H, P)}
        return tuple(sorted(found))

    def to_shapely(self) -> list[Any]:
        """One shapely geometry per class: the float union of its cells (for drawing and GIS only;
        the exact answers are :attr:`cells` and :meth:`components`)."""
        from shapely.geometry import Polygon
        from shapely.ops import unary_union

        polys: list[list[Any]] = [[] for _ in range(self.num_classes)]
        for c in self.cells:
            polys[c.label].append(Polygon([(float(a), float(b)) for a, b in c.vertices]))
        return [unary_union(p) if p else Polygon() for p in polys]

    def _label(self, k: Any) -> int:
        if isinstance(k, bool) or not isinstance(k, int):
            raise ArgumentTypeError(f"class must be an integer index, got {k!r}")
        if not 0 <= k < self.num_classes:
            raise ArgumentError(f"class must be an index in 0..{self.num_classes - 1}, got {k}")
        return k

    def __repr__(self) -> str:
        return (f"DecisionRegions({self.num_classes} classes, {len(self.cells)} cells in {len(self.complex)} "
                f"regions, {self.num_boundary_pieces} boundary pieces, on {self.domain!r})")


def decision_regions(net_or_complex: Any, domain: Any = None, *, method: str = "auto") -> DecisionRegions:
    """Split the activation regions of a 2-input, ``c``-output network by the exact argmax.

    For a classifier with more inputs, decide on a plane slice: pass a :class:`~cpa.slices.Plane`
    of its input space as the domain (``cpa.Plane.through(x0, x1, x2)``), and the classes are
    found in plane coordinates ``(s, t)`` of the network restricted to the plane, exactly
    (``net @ plane.affine``; ``plane.to_input`` maps a point back).

    Parameters
    ----------
    net_or_complex
        A :class:`~cpa.network.ReLUNetwork` with 2 inputs and at least 2 outputs (or layers
        its constructor accepts), or a :class:`~cpa.regions.RegionComplex` of one.
    domain
        A bounded domain: :class:`~cpa.domains.Box`, bounded :class:`~cpa.domains.Polyhedron`
        or a ``(lo, hi)`` pair; or a :class:`~cpa.slices.Plane` of a network with any number of
        inputs.  With a complex, None (its domain) or the complex's domain.
    method
        The region engine (see :func:`cpa.regions.regions`); ignored for a complex.

    Returns
    -------
    DecisionRegions
        The class cells, areas, decision boundary and counts.

    Raises
    ------
    ShapeError
        If the network does not have 2 inputs, or has a single output.
    DomainError
        If the domain is unbounded, invalid, or not the complex's domain.
    ArgumentError, ArgumentTypeError
        As :func:`cpa.regions.regions`.

    Examples
    --------
    >>> from cpa import ReLUNetwork, Box
    >>> xy = ReLUNetwork([([[1, 0], [0, 1]], [0, 0])])      # outputs (x, y)
    >>> dr = decision_regions(xy, Box([-1, -1], [1, 1]))
    >>> dr.areas, dr.num_boundary_pieces
    ((Fraction(2, 1), Fraction(2, 1)), 1)
    >>> p = dr.boundary_pieces[0]
    >>> [tuple(map(str, q)) for q in (p.start, p.end)], p.classes
    ([('-1', '-1'), ('1', '1')], (0, 1))

    Notes
    -----
    On an activation region ``R`` with outputs ``f_1..f_c`` (rows of the exact region map,
    identical rows merged into the smallest index), a class ``k`` can have a cell with
    interior only if for every other ``j`` the affine function ``f_k - f_j`` is positive at
    some vertex of ``R`` (an affine function ``<= 0`` at every vertex is ``<= 0`` on ``R``).
    If a single class passes, its cell is all of ``R`` (the cells with interior cover ``R``).
    Otherwise each remaining class clips ``R`` by the half-planes ``f_k - f_j >= 0``
    (Sutherland-Hodgman, exact, on homogeneous integer points, by the polygon engine's splitter); a half-plane that holds at
    every vertex is skipped, one that fails at every vertex empties the cell.

    The boundary is read off the cells: every edge lies on a line; on each line the edges of
    the cells on its two sides are overlaid (exact parameters along the line), and where a
    cell of class ``k`` faces a cell of class ``j != k`` the common part is a boundary
    segment (continuity of the network gives ``f_k = f_j = max`` there, also across an edge
    between two activation regions).  Same-class cells facing each other are joined for
    :attr:`DecisionRegions.counts` (union-find).

    References
    ----------
    Zhang, Naitzat, Lim, "Tropical geometry of deep neural networks", ICML 2018 (the decision
    boundary of a ReLU network lies in a tropical hypersurface); Sutherland, Hodgman,
    "Reentrant polygon clipping", Comm. ACM 17(1), 1974 (the clipping); Andrew, "Another
    efficient algorithm for convex hulls in two dimensions", Inform. Process. Lett. 9(5),
    1979 (the vertex order).
    """
    t0 = time.perf_counter()
    cx = _complex(net_or_complex, domain, method)
    t1 = time.perf_counter()
    c = cx.network.output_dim
    backend = cx._backend
    cells: list[ClassCell] = []
    homs: list[tuple[HomPoint, ...]] = []
    clipped = 0
    for i in range(len(cx)):
        A, b = backend.affine_map(i)
        poly = _convex_hull([_hom(v) for v in backend.vertices(i)])
        pieces, did_clip = _split_region(poly, _integer_rows(A, b))
        clipped += did_clip
        for k, verts in pieces:
            homs.append(verts)
            cells.append(ClassCell(i, k, tuple((Fraction(X, t), Fraction(Y, t)) for X, Y, t in verts),
                                   _area(verts)))
    segments, joins = _overlay(homs, [cell.label for cell in cells])
    comps = _components(len(cells), joins, [cell.label for cell in cells], c)
    t2 = time.perf_counter()
    cell_counts = [0] * c
    for cell in cells:
        cell_counts[cell.label] += 1
    stats = {"regions_seconds": t1 - t0 if cx is not net_or_complex else 0.0, "split_seconds": t2 - t1,
             "regions": len(cx), "cells": len(cells), "regions_clipped": clipped}
    return DecisionRegions(network=cx.network, domain=cx.domain, complex=cx, num_classes=c, cells=tuple(cells),
                           segments=tuple(segments), boundary_pieces=tuple(_merge_pieces(segments)),
                           counts=tuple(len(p) for p in comps), cell_counts=tuple(cell_counts), stats=stats,
                           _components=comps, _hom=tuple(homs))


# --- input checks ----------------------------------------------------------------------

def _complex(net_or_complex: Any, domain: Any, method: str) -> RegionComplex:
    """The region complex to split, after checking the network's shape and the domain."""
    if isinstance(net_or_complex, RegionComplex):
        net = net_or_complex.network
        _check_network(net)
        if domain is not None and domain != net_or_complex.domain:
            raise DomainError(f"domain {domain!r} is not the complex's domain {net_or_complex.domain!r}; "
                              f"pass the network to decide on another domain")
        _check_bounded(net_or_complex.domain)
        return net_or_complex
    net = _as_network(net_or_complex)
    if isinstance(domain, Plane):
        cx = regions(net, domain, method=method)
        _check_network(cx.network)
        return cx
    _check_network(net)
    dom = as_domain(domain, 2)
    _check_bounded(dom)
    return regions(net, dom, method=method)


def _check_network(net: Any) -> None:
    if net.input_dim != 2:
        raise ShapeError(f"decision_regions needs a network with 2 inputs (regions of the plane), this one has "
                         f"{net.input_dim}; decide on a plane of its inputs: domain=cpa.Plane.through(x0, x1, x2)")
    if net.output_dim < 2:
        raise ShapeError("decision_regions needs at least 2 outputs (one per class), this network has 1; "
                         "for a one-logit classifier use Affine([[0], [1]]) @ net (outputs 0 and f)")


def _check_bounded(dom: Any) -> None:
    if isinstance(dom, Reals) or not dom.is_bounded:
        raise DomainError(f"decision_regions needs a bounded domain (the classes have areas), got {dom!r}; "
                          f"pass a Box or a bounded Polyhedron")


# --- one activation region ---------------------------------------------------------------

def _integer_rows(A: Sequence[Sequence[Fraction]], b: Sequence[Fraction]) -> list[tuple[int, int, int]]:
    """The output rows ``(a1, a2, b)`` times one positive integer (so the argmax is unchanged)."""
    rows = [(row[0], row[1], c) for row, c in zip(A, b)]
    m = lcm_denominator(v for r in rows for v in r)
    return [(r[0].numerator * (m // r[0].denominator), r[1].numerator * (m // r[1].denominator),
             r[2].numerator * (m // r[2].denominator)) for r in rows]


def _hom(p: Sequence[Fraction]) -> HomPoint:
    """Primitive homogeneous integer coordinates ``(X, Y, t)``, ``t > 0``, of a rational point."""
    x, y = p[0], p[1]
    t = lcm_denominator((x, y))
    return (x.numerator * (t // x.denominator), y.numerator * (t // y.denominator), t)


def _convex_hull(points: list[HomPoint]) -> list[HomPoint]:
    """The vertices of the convex hull of homogeneous points, counter-clockwise, no collinear
    triples (Andrew's monotone chain on exact points)."""
    T = 1
    for P in points:
        T = T * P[2] // math.gcd(T, P[2])
    pts = sorted({(X * (T // t), Y * (T // t)) for X, Y, t in points})
    if len(pts) < 3:
        return [(x, y, T) for x, y in pts]

    def half(seq: list[tuple[int, int]]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for p in seq:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (p[1] - out[-2][1])
                                     - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    hull = lower[:-1] + upper[:-1]
    return [_primitive((x, y, T)) for x, y in hull]


def _primitive(P: HomPoint) -> HomPoint:
    g = math.gcd(math.gcd(P[0], P[1]), P[2])
    return (P[0] // g, P[1] // g, P[2] // g) if g > 1 else P


def _split_region(poly: list[HomPoint], rows: list[tuple[int, int, int]]
                  ) -> tuple[list[tuple[int, tuple[HomPoint, ...]]], bool]:
    """The cells ``(class, vertices)`` of one region (see the Notes of :func:`decision_regions`),
    and whether any clipping was needed."""
    reps: list[int] = []                      # first index of every distinct row
    seen: set[tuple[int, int, int]] = set()
    for k, r in enumerate(rows):
        if r not in seen:
            seen.add(r)
            reps.append(k)
    if len(reps) == 1:
        return [(reps[0], tuple(poly))], False
    vals = {k: [rows[k][0] * X + rows[k][1] * Y + rows[k][2] * t for X, Y, t in poly] for k in reps}
    # a class that is a (weak) maximum at every vertex is the maximum on all of R
    top = None
    for k in reps:
        vk = vals[k]
        if all(all(a >= b for a, b in zip(vk, vals[j])) for j in reps if j != k):
            top = k
            break
    if top is not None:
        return [(top, tuple(poly))], False
    cands = [k for k in reps
             if all(any(a > b for a, b in zip(vals[k], vals[j])) for j in reps if j != k)]
    if len(cands) == 1:
        return [(cands[0], tuple(poly))], False
    out = []
    for k in cands:
        cell = _cell(poly, rows, k, [j for j in reps if j != k])
        if cell:
            out.append((k, tuple(cell)))
    return out, True


def _cell(poly: list[HomPoint], rows: list[tuple[int, int, int]], k: int, others: list[int]) -> list[HomPoint]:
    """``poly`` clipped by ``f_k - f_j >= 0`` for every ``j`` in ``others``; empty if that has no interior."""
    a1, a2, c = rows[k]
    for j in others:
        b1, b2, d = rows[j]
        row = (a1 - b1, a2 - b2, c - d)
        z = [row[0] * X + row[1] * Y + row[2] * t for X, Y, t in poly]
        if all(v >= 0 for v in z):
            continue
        if all(v <= 0 for v in z):
            return []
        (poly, _), _ = _split(poly, [0] * len(poly), z, 0)
    return poly


def _area(verts: Sequence[HomPoint]) -> Fraction:
    """Exact area of a counter-clockwise polygon in homogeneous coordinates (shoelace)."""
    T = 1
    for P in verts:
        T = T * P[2] // math.gcd(T, P[2])
    pts = [(X * (T // t), Y * (T // t)) for X, Y, t in verts]
    s = 0
    for k in range(len(pts)):
        (x0, y0), (x1, y1) = pts[k - 1], pts[k]
        s += x0 * y1 - x1 * y0
    return Fraction(s, 2 * T * T)


def _contains(verts: Sequence[HomPoint], P: HomPoint) -> bool:
    """Whether the closed counter-clockwise polygon contains ``P`` (exact)."""
    n = len(verts)
    for k in range(n):
        a, b, c = _edge_row(verts[k], verts[(k + 1) % n])
        if a * P[0] + b * P[1] + c * P[2] > 0:
            return False
    return True


# --- the boundary: overlay of the cell edges on each line ----------------------------------

def _overlay(homs: Sequence[Sequence[HomPoint]], labels: Sequence[int]
             ) -> tuple[list[BoundarySegment], list[tuple[int, int]]]:
    """Boundary segments (in order along each line) and pairs of same-class cells sharing an edge."""
    lines: dict[tuple[int, int, int], tuple[list, list]] = {}
    for ci, verts in enumerate(homs):
        n = len(verts)
        for k in range(n):
            u, v = verts[k], verts[(k + 1) % n]
            a, b, c = _edge_row(u, v)             # the cell is on the side a.x + c <= 0
            side = 0
            if a < 0 or (a == 0 and b < 0):
                a, b, c, side = -a, -b, -c, 1
            s0 = Fraction(-b * u[0] + a * u[1], u[2])
            s1 = Fraction(-b * v[0] + a * v[1], v[2])
            if s0 > s1:
                s0, s1 = s1, s0
            lines.setdefault((a, b, c), ([], []))[side].append((s0, s1, ci))
    segments: list[BoundarySegment] = []
    joins: list[tuple[int, int]] = []
    for (a, b, c), (neg, pos) in lines.items():
        if not neg or not pos:
            continue
        stops = sorted({s for s0, s1, _ in neg + pos for s in (s0, s1)})
        owner = [[-1] * (len(stops) - 1), [-1] * (len(stops) - 1)]
        rank = {s: r for r, s in enumerate(stops)}
        for side, ivs in enumerate((neg, pos)):
            for s0, s1, ci in ivs:
                for e in range(rank[s0], rank[s1]):
                    owner[side][e] = ci
        run: list[Any] = []                        # [s0, s1, cell_neg, cell_pos] of the open segment
        for e in range(len(stops) - 1):
            p, q = owner[0][e], owner[1][e]
            if p < 0 or q < 0:
                continue
            if labels[p] == labels[q]:
                joins.append((p, q))
                continue
            if run and run[1] == stops[e] and run[2] == p and run[3] == q:
                run[1] = stops[e + 1]
                continue
            if run:
                segments.append(_segment(a, b, c, run, labels))
            run = [stops[e], stops[e + 1], p, q]
        if run:
            segments.append(_segment(a, b, c, run, labels))
    return segments, joins


def _segment(a: int, b: int, c: int, run: list[Any], labels: Sequence[int]) -> BoundarySegment:
    k, j = labels[run[2]], labels[run[3]]
    return BoundarySegment(_on_line(a, b, c, run[0]), _on_line(a, b, c, run[1]), (min(k, j), max(k, j)))


def _on_line(a: int, b: int, c: int, s: Fraction) -> Point:
    """The point of the line ``a x + b y + c = 0`` with parameter ``s = -b x + a y``."""
    n = a * a + b * b
    return (Fraction(-a * c, n) - b * s / n, a * s / n - Fraction(b * c, n))


def _merge_pieces(segments: Sequence[BoundarySegment]) -> list[BoundarySegment]:
    """Merge consecutive collinear segments between the same two classes (``segments`` is in order
    along each line, lines one after the other)."""
    out: list[BoundarySegment] = []
    for s in segments:
        if out:
            last = out[-1]
            if last.end == s.start and last.classes == s.classes and _collinear(last.start, last.end, s.end):
                out[-1] = BoundarySegment(last.start, s.end, s.classes)
                continue
        out.append(s)
    return out


def _collinear(p: Point, q: Point, r: Point) -> bool:
    return (q[0] - p[0]) * (r[1] - p[1]) == (q[1] - p[1]) * (r[0] - p[0])


def _components(n: int, joins: Sequence[tuple[int, int]], labels: Sequence[int], c: int
                ) -> tuple[tuple[frozenset[int], ...], ...]:
    """Connected cells per class: union-find over the joins."""
    uf = UnionFind(n)
    for p, q in joins:
        uf.union(p, q)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    per: list[list[frozenset[int]]] = [[] for _ in range(c)]
    for members in groups.values():
        per[labels[members[0]]].append(frozenset(members))
    return tuple(tuple(sorted(p, key=min)) for p in per)
