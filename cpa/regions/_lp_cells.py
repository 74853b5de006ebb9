"""Backend of :class:`~cpa.regions.RegionComplex` for the LP engine (:mod:`cpa.regions._lp`).

The LP engine yields each region with its pattern, witness, exact (possibly
redundant) H-representation, map and bounded flag, in memory that does not grow
with the number of regions.  A complex needs more (vertices, volumes, adjacency
for the graph and the affine pieces); those are rebuilt per region from its
H-representation, exactly, when first asked for: the rows clip a box that holds
the region's part that matters (the domain's box, or on an unbounded domain the
box of :func:`cpa.regions.certificate.enclosing_radius`, which holds every vertex
the network can make), keeping the tight constraints of every vertex
(:func:`cpa.polytope.clip`).  Facets are then the maximal tight sets
(:func:`cpa.polytope.facets`), and two regions are adjacent iff they have an
interior facet with the same exact vertex set: activation regions are
face-to-face across facets (see :mod:`cpa.regions._cells`).

Counting alone (``count_regions(method="lp")``) never builds any of this but the
piece labels, and those only compare regions that have equal maps.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Iterable

import numpy as np

from ..domains import Box, Polyhedron, Reals
from ..errors import DomainError
from ..polytope import box_vrep, clip, dehom, facets, integer_row, volume
from ._adjacency import pairs_by_facet_keys
from ._exact import IntegerNetwork
from .backend import BackendBase

__all__ = ["LPCells", "lp_backend"]


class LPCells(BackendBase):
    """The regions found by the LP engine, with exact geometry on demand (see the module docstring)."""

    def __init__(self, regions: list[Any], net: Any, domain: Box | Polyhedron | Reals, stats: dict[str, Any]):
        self.regs = regions
        self.stats = stats
        self.d = net.input_dim
        self.domain = domain
        n_dom = len(domain.constraints()[0])
        self._n_domain_rows = n_dom
        if isinstance(domain, Box):
            self._lo, self._hi = list(domain.lo), list(domain.hi)
            self._artificial = False
        else:
            from .certificate import enclosing_radius

            A, b = domain.constraints()
            R = enclosing_radius(IntegerNetwork(net), [integer_row(list(a) + [-c]) for a, c in zip(A, b)])
            self._lo, self._hi = [Fraction(-R)] * self.d, [Fraction(R)] * self.d
            self._artificial = True
        self._geometry: dict[int, tuple[list[tuple[int, ...]], list[int]]] = {}

    def __len__(self) -> int:
        return len(self.regs)

    # --- what the engine gave ---------------------------------------------------------
    def pattern(self, i: int) -> tuple[tuple[bool, ...], ...]:
        return self.regs[i].pattern

    def affine_map(self, i: int) -> Any:
        return self.regs[i].affine_map

    def map_key(self, i: int) -> Any:
        return self.regs[i].affine_map

    def hrep(self, i: int) -> Any:
        return self.regs[i].hrep

    def witness(self, i: int) -> tuple[Fraction, ...]:
        return self.regs[i].witness

    def is_bounded(self, i: int) -> bool:
        return bool(self.regs[i].bounded)

    def bounded_mask(self) -> np.ndarray:
        return np.array([r.bounded for r in self.regs], dtype=bool)

    # --- exact geometry from the H-representation ---------------------------------------------
    def _polytope(self, i: int) -> tuple[list[tuple[int, ...]], list[int]]:
        """Vertices (homogeneous integers) and tight sets of region ``i`` cut to the box; bits
        ``0 .. 2d-1`` are the box's facets, ``2d + k`` the region's row ``k``."""
        got = self._geometry.get(i)
        if got is None:
            d = self.d
            verts, masks, edges = box_vrep(self._lo, self._hi)
            A, b = self.regs[i].hrep
            for k, (a, c) in enumerate(zip(A, b)):
                row = integer_row(list(a) + [-c])
                if not any(row[:-1]):
                    continue
                res = clip(verts, masks, edges, row, 2 * d + k, d)
                if res is None:   # pragma: no cover - the engine certified a witness inside
                    raise AssertionError("an LP region is not full-dimensional; please report this network")
                verts, masks, edges = res
            got = self._geometry[i] = (verts, masks)
        return got

    def vertices(self, i: int) -> tuple[tuple[Fraction, ...], ...]:
        verts, masks = self._polytope(i)
        box = (1 << (2 * self.d)) - 1 if self._artificial else 0
        return tuple(dehom(P) for P, m in zip(verts, masks) if not m & box)

    def volume(self, i: int) -> Fraction:
        if not self.is_bounded(i):
            raise DomainError("an unbounded region has no finite volume")
        verts, masks = self._polytope(i)
        return volume(verts, range(len(verts)), masks, self.d)

    def interior_facet_keys(self, i: int) -> Iterable[frozenset[tuple[int, ...]]]:
        """The exact vertex sets of the facets of region ``i`` that are not on the domain's boundary
        (nor on the artificial box)."""
        verts, masks = self._polytope(i)
        boundary = ((1 << (2 * self.d)) - 1) | (((1 << self._n_domain_rows) - 1) << (2 * self.d))
        for S, bits in facets(list(range(len(verts))), masks):
            if bits & boundary:
                continue
            yield frozenset(verts[p] for p in range(len(verts)) if (S >> p) & 1)

    def adjacency(self, subset: Iterable[int] | None = None) -> list[tuple[int, int]]:
        """Pairs of regions sharing a facet (among ``subset`` when given)."""
        return pairs_by_facet_keys(len(self), self.interior_facet_keys, subset)


def lp_backend(net: Any, domain: Box | Polyhedron | Reals, *, max_regions: int | None = None,
               progress: bool = False, max_memory: int | None = None) -> LPCells:
    """Run the LP engine (row ``"lp"`` of the engine table) and keep its regions for a complex.

    ``max_regions`` stops the search with :class:`~cpa.errors.EnumerationLimitError` once more
    regions than that are found; ``max_memory`` does not apply (the search itself holds only the
    open branch; the complex holds the regions it is asked for).
    """
    from ..errors import EnumerationLimitError
    from ._lp import iter_lp_regions

    stats: dict[str, Any] = {}
    regions = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="regions (lp)", unit="region")
    try:
        for r in iter_lp_regions(net, domain, stats=stats):
            regions.append(r)
            if bar is not None:
                bar.update(1)
            if max_regions is not None and len(regions) > max_regions:
                raise EnumerationLimitError.partial_count(f"more than max_regions={max_regions} regions",
                                                          len(regions), unit="regions")
    finally:
        if bar is not None:
            bar.close()
    return LPCells(regions, net, domain, stats)
