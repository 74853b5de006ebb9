"""Exact region enumeration for two inputs (d = 2) by polygon splitting.

Every cell is a convex polygon kept as its cycle of vertices in
counter-clockwise order, in primitive homogeneous integer coordinates
``(X, Y, t)`` with ``t > 0`` (see :mod:`cpa.polytope`), each edge
labelled by the constraint it lies on.  Layer by layer, neuron by neuron, the
pre-activation of the next neuron is affine on a cell (the earlier patterns
are fixed there): with the integer cell map ``M_l`` of
:mod:`cpa.regions._exact` its value at a vertex ``P`` is the integer
``z = M_l[j] . P``, of the same sign as the real pre-activation.  So, exactly:

* the neuron cuts the cell iff some vertex has ``z > 0`` and some ``z < 0``;
  otherwise it is active on the cell iff some vertex has ``z > 0``;
* the cut meets the edge ``(u, v)`` with ``z(u) z(v) < 0`` at
  ``w = |z(u)| v + |z(v)| u`` (a positive combination, so ``t > 0``);
* walking the cycle once gives the two halves in order, each with the cut as
  one new edge.  A line through a vertex splits there without a new vertex;
  a line that only touches a cell (or runs along one of its edges) does not
  cut it.

This is independent of the general vertex engine (:mod:`cpa.regions._vertex`)
and cross-checked against it in the tests.  The halves of a cut are convex
polygons with no straight angles, so every edge of a final cell is a whole
facet of its region; regions are face-to-face across facets (see
:mod:`cpa.regions._cells`), so two regions are adjacent iff they have an
edge with the same two (exact) endpoints.

Unbounded domains are cut to the box ``[-R, R]^2`` of
:func:`cpa.polytope.radius_bound`, which holds every vertex any
cell could have in its interior; a region is unbounded iff its cell has an
edge on that box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable, Sequence

import numpy as np

from ..domains import Box, Polyhedron, Reals
from ..errors import DomainError, EnumerationLimitError, ShapeError
from ._exact import IntegerNetwork
from .backend import BackendBase
from ._adjacency import pairs_by_facet_keys
from ..polytope import hom, integer_row, radius_bound

__all__ = ["PolygonResult", "PolygonCells", "enumerate_polygon", "polygon_backend"]

Point = tuple[int, int, int]

# edge labels: DOMAIN and ARTIFICIAL edges lie on the boundary of the (cut) domain;
# a neuron's edge has the label NEURON
DOMAIN, ARTIFICIAL, NEURON = 0, 1, 2


@dataclass
class _Cell:
    verts: list[Point]          # counter-clockwise
    labels: list[int]           # labels[k]: edge verts[k] -> verts[k + 1]
    pattern: list[tuple[bool, ...]]
    M: list[tuple[int, int, int]]   # integer cell map of the current layer


@dataclass
class PolygonResult:
    """Raw output of :func:`enumerate_polygon`."""

    inet: IntegerNetwork
    cells: list[_Cell]
    out_maps: list[tuple[tuple[int, ...], ...]]    # integer output maps (scale inet.S[-1])
    stats: dict[str, Any] = field(default_factory=dict)


def _cross_point(u: Point, v: Point, zu: int, zv: int) -> Point:
    """The point of the segment ``[u, v]`` where the affine function with values ``zu, zv``
    (opposite strict signs) vanishes, primitive."""
    a, b = abs(zv), abs(zu)
    X = a * u[0] + b * v[0]
    Y = a * u[1] + b * v[1]
    t = a * u[2] + b * v[2]
    g = math.gcd(math.gcd(X, Y), t)
    return (X // g, Y // g, t // g)


def _split(verts: list[Point], labels: list[int], z: list[int], label: int
           ) -> tuple[tuple[list[Point], list[int]], tuple[list[Point], list[int]]]:
    """Split a polygon by ``z`` (values at its vertices, both strict signs present) into the
    halves ``z >= 0`` and ``z <= 0``, each as (vertices, edge labels), the cut labelled ``label``."""
    pv: list[Point] = []
    pl: list[int] = []
    nv: list[Point] = []
    nl: list[int] = []
    n = len(verts)
    for k in range(n):
        u, zu, lab = verts[k], z[k], labels[k]
        k1 = k + 1 if k + 1 < n else 0
        zv = z[k1]
        if zu > 0:
            pv.append(u)
            pl.append(lab)
            if zv < 0:
                w = _cross_point(u, verts[k1], zu, zv)
                pv.append(w)
                pl.append(label)
                nv.append(w)
                nl.append(lab)
        elif zu < 0:
            nv.append(u)
            nl.append(lab)
            if zv > 0:
                w = _cross_point(u, verts[k1], zu, zv)
                nv.append(w)
                nl.append(label)
                pv.append(w)
                pl.append(lab)
        else:   # on the cut: a vertex of both halves
            pv.append(u)
            pl.append(label if zv < 0 else lab)
            nv.append(u)
            nl.append(label if zv > 0 else lab)
    return (pv, pl), (nv, nl)


def _values(M_row: Sequence[int], verts: Iterable[Point]) -> list[int]:
    a, b, c = M_row
    return [a * X + b * Y + c * t for X, Y, t in verts]


def _initial_polygon(inet: IntegerNetwork, domain: Box | Polyhedron | Reals
                     ) -> tuple[list[Point], list[int]]:
    """The domain (cut to ``[-R, R]^2`` when unbounded) as a counter-clockwise labelled polygon."""
    if isinstance(domain, Box):
        (x0, y0), (x1, y1) = domain.lo, domain.hi
        label = DOMAIN
        A: Sequence[Sequence[Fraction]] = ()
        b: Sequence[Fraction] = ()
    else:
        A, b = domain.constraints()
        rows = [integer_row(list(a) + [-c]) for a, c in zip(A, b)]
        R = Fraction(radius_bound(rows + [(inet.coefficient_bound(),)], 2))
        x0 = y0 = -R
        x1 = y1 = R
        label = ARTIFICIAL
    verts = [hom((x0, y0)), hom((x1, y0)), hom((x1, y1)), hom((x0, y1))]
    labels = [label] * 4
    for a, c in zip(A, b):
        row = integer_row(list(a) + [-c])           # a . x - c <= 0
        z = _values(row, verts)
        if not any(row[:2]):
            if row[2] > 0:
                raise DomainError(f"polyhedron domain in R^2 is empty (a constraint reads 0 <= {c})")
            continue
        if all(v >= 0 for v in z):
            raise DomainError("polyhedron domain in R^2 is empty or not full-dimensional")
        if any(v > 0 for v in z):
            _, (verts, labels) = _split(verts, labels, z, DOMAIN)
    return verts, labels


def enumerate_polygon(net: Any, domain: Box | Polyhedron | Reals, *, max_regions: int | None = None,
                      progress: bool = False) -> PolygonResult:
    """Enumerate the activation regions of a network with two inputs exactly (see the module
    docstring).  Raises :class:`~cpa.errors.EnumerationLimitError` once more than
    ``max_regions`` cells exist (cells only split, so the final count would be larger)."""
    inet = IntegerNetwork(net)
    if inet.d != 2:
        raise ShapeError(f"enumerate_polygon needs a network with two inputs, got {inet.d}")
    if not isinstance(domain, (Box, Polyhedron, Reals)) or domain.dim != 2:
        raise DomainError(f"enumerate_polygon needs a domain in R^2 (Box, Polyhedron or Reals), got {domain!r}")
    verts, labels = _initial_polygon(inet, domain)
    widths = inet.widths
    M0 = [tuple(r) for r in inet.first_map()]
    cells = [_Cell(verts, labels, [], M0)]
    stats = {"cuts": 0}
    bar = None
    if progress and widths:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(widths), desc="regions (2-D)", unit="neuron")
    try:
        for l, n in enumerate(widths):
            bits: list[list[bool]] = [[False] * n for _ in cells]
            for j in range(n):
                new_cells: list[_Cell] = []
                new_bits: list[list[bool]] = []
                for cell, bb in zip(cells, bits):
                    z = _values(cell.M[j], cell.verts)
                    pos = any(v > 0 for v in z)
                    if pos and any(v < 0 for v in z):
                        (pv, pl), (nv, nl) = _split(cell.verts, cell.labels, z, NEURON)
                        on = list(bb)
                        on[j] = True
                        new_cells.append(_Cell(pv, pl, cell.pattern, cell.M))
                        new_bits.append(on)
                        new_cells.append(_Cell(nv, nl, cell.pattern, cell.M))
                        new_bits.append(bb)
                        stats["cuts"] += 1
                    else:
                        bb[j] = pos
                        new_cells.append(cell)
                        new_bits.append(bb)
                cells, bits = new_cells, new_bits
                if bar is not None:
                    bar.update(1)
                if max_regions is not None and len(cells) > max_regions:
                    raise EnumerationLimitError.partial_count(f"more than max_regions={max_regions} regions",
                                                              len(cells), layer=l, neuron=j)
            nxt = []
            for cell, bb in zip(cells, bits):
                active = [k for k, a in enumerate(bb) if a]
                M = [tuple(r) for r in inet.next_map(l + 1, cell.M, active)]
                nxt.append(_Cell(cell.verts, cell.labels, cell.pattern + [tuple(bb)], M))
            cells = nxt
    finally:
        if bar is not None:
            bar.close()
    if not widths:
        out_maps = [tuple(M0)]
    else:
        out_maps = [tuple(c.M) for c in cells]
    return PolygonResult(inet=inet, cells=cells, out_maps=out_maps, stats=stats)


def _dehom(P: Point) -> tuple[Fraction, Fraction]:
    return Fraction(P[0], P[2]), Fraction(P[1], P[2])


def _edge_row(u: Point, v: Point) -> tuple[int, int, int]:
    """Primitive integer ``(a1, a2, beta)`` with ``a . x + beta <= 0`` on the left of ``u -> v``.

    The line through homogeneous points ``u, v`` is their cross product ``u x v``; it is
    positive at points left of the directed segment (``t > 0``), so its negative is returned.
    """
    a = u[1] * v[2] - u[2] * v[1]
    b = u[2] * v[0] - u[0] * v[2]
    c = u[0] * v[1] - u[1] * v[0]
    g = math.gcd(math.gcd(a, b), c)
    return (-a // g, -b // g, -c // g)


class PolygonCells(BackendBase):
    """Backend of :class:`~cpa.regions.RegionComplex` for the polygon engine."""

    def __init__(self, res: PolygonResult):
        self.res = res
        self.stats = res.stats
        self.d = 2
        self.inet = res.inet

    def __len__(self) -> int:
        return len(self.res.cells)

    def pattern(self, i: int) -> tuple[tuple[bool, ...], ...]:
        return tuple(self.res.cells[i].pattern)

    def map_key(self, i: int) -> Any:
        return self.res.out_maps[i]

    def affine_map(self, i: int) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        return self.inet.map_to_fractions(self.res.out_maps[i], self.inet.n_layers - 1)

    def is_bounded(self, i: int) -> bool:
        return ARTIFICIAL not in self.res.cells[i].labels

    def bounded_mask(self) -> np.ndarray:
        return np.array([ARTIFICIAL not in c.labels for c in self.res.cells], dtype=bool)

    def _finite(self, i: int) -> list[Point]:
        """Vertices of cell ``i`` that are not on the artificial box."""
        c = self.res.cells[i]
        return [v for k, v in enumerate(c.verts)
                if c.labels[k] != ARTIFICIAL and c.labels[k - 1] != ARTIFICIAL]

    def vertices(self, i: int) -> tuple[tuple[Fraction, ...], ...]:
        return tuple(_dehom(v) for v in self._finite(i))

    def volume(self, i: int) -> Fraction:
        """Exact area by the shoelace formula."""
        if not self.is_bounded(i):
            raise DomainError(f"region {i} is unbounded and has no finite volume")
        pts = [_dehom(v) for v in self.res.cells[i].verts]
        s = Fraction(0)
        for k in range(len(pts)):
            (x0, y0), (x1, y1) = pts[k - 1], pts[k]
            s += x0 * y1 - x1 * y0
        return s / 2

    def _hrep_int(self, i: int) -> list[tuple[int, int, int]]:
        c = self.res.cells[i]
        n = len(c.verts)
        return [_edge_row(c.verts[k], c.verts[(k + 1) % n]) for k in range(n) if c.labels[k] != ARTIFICIAL]

    def hrep(self, i: int) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        """One row per edge (a facet, since no two consecutive edges are collinear)."""
        rows = self._hrep_int(i)
        return (tuple((Fraction(a), Fraction(b)) for a, b, _ in rows),
                tuple(Fraction(-c) for _, _, c in rows))

    def witness(self, i: int) -> tuple[Fraction, ...]:
        """A simple rational point strictly inside (checked exactly against every facet)."""
        c = self.res.cells[i]
        rows = self._hrep_int(i)
        pts = [_dehom(v) for v in c.verts]
        cen = (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
        finite = [_dehom(v) for v in self._finite(i)]
        if finite and len(finite) < len(pts):
            # every point of the half-open segment (f, cen] is interior; step about 1 from f
            f = (sum(p[0] for p in finite) / len(finite), sum(p[1] for p in finite) / len(finite))
            D = (cen[0] - f[0], cen[1] - f[1])
            big = max(abs(D[0]), abs(D[1]))
            lam = Fraction(1, 1 << max(0, int(big).bit_length()))
            cen = (f[0] + lam * D[0], f[1] + lam * D[1])

        def inside(x: tuple[Fraction, Fraction]) -> bool:
            return all(a * x[0] + b * x[1] + g < 0 for a, b, g in rows)

        for den in (1, 2, 4, 8, 16, 32, 64, 128, 1024, 2 ** 16, 2 ** 32):
            y = (Fraction(round(cen[0] * den), den), Fraction(round(cen[1] * den), den))
            if inside(y):
                return y
        return cen

    def _interior_edges(self, i: int) -> Iterable[tuple[Point, Point]]:
        c = self.res.cells[i]
        n = len(c.verts)
        for k in range(n):
            if c.labels[k] == NEURON:
                u, v = c.verts[k], c.verts[(k + 1) % n]
                yield (u, v) if u < v else (v, u)

    def adjacency(self, subset: Iterable[int] | None = None) -> list[tuple[int, int]]:
        """Pairs of regions with a common edge (among ``subset`` when given)."""
        return pairs_by_facet_keys(len(self), self._interior_edges, subset)


def polygon_backend(net: Any, domain: Box | Polyhedron | Reals, *, max_regions: int | None = None,
                    progress: bool = False, max_memory: int | None = None) -> PolygonCells:
    """Run the 2-D polygon engine (row ``"polygon"`` of the engine table); ``max_memory`` does not
    apply (memory is linear in the number of regions)."""
    return PolygonCells(enumerate_polygon(net, domain, max_regions=max_regions, progress=progress))
