"""Exact queries on the cells produced by the vertex engine (:mod:`cpa.regions._vertex`).

For region ``i`` with vertex ids ``V`` and tight sets ``T``:

* facets are the maximal proper sets ``{v in V : c in T(v)}``
  (:func:`cpa.polytope.facets`); a facet lies on the domain boundary
  iff one of its constraints is a domain facet, and facets of the artificial
  box that stands in for an unbounded domain are not facets of the region;
* the irredundant H-representation has one inequality per facet, the neuron's
  exact restricted affine function (from the activation pattern) or the
  domain's row;
* two regions share a (d-1)-dimensional facet iff they have an interior facet
  with the same vertex set.  Across a facet ``F`` of a region ``R`` every
  neuron is either nonzero on all of ``relint F`` or zero on all of ``F`` (else
  ``R`` would be cut), so the region on the other side is the same all along
  ``F`` and ``F`` is a facet of it too: the complex is face-to-face across
  facets, and every interior facet is found exactly twice (this is checked);
* the witness is the average of the vertices (strictly interior), replaced by a
  simpler rational close to it when that one is also strictly interior
  (checked exactly);
* the volume comes from an exact triangulation.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import DomainError
from ._adjacency import pairs_by_facet_keys
from ..polytope import centroid, dehom, facets, integer_row, primitive, volume
from ._vertex import VertexResult, enumerate_vertex
from .backend import BackendBase

__all__ = ["VertexCells", "vertex_backend"]


class VertexCells(BackendBase):
    """Backend of :class:`~cpa.regions.RegionComplex` for the vertex engine."""

    def __init__(self, res: VertexResult):
        self.res = res
        self.stats = res.stats
        self.d = res.d
        self.inet = res.inet
        self._facets: dict[int, list[tuple[int, int]]] = {}
        self._boundary_bits = res.domain_bits | res.artificial_bits

    def __len__(self) -> int:
        return len(self.res)

    # --- per-region data ------------------------------------------------------
    def pattern(self, i: int) -> tuple[tuple[bool, ...], ...]:
        return self.res.pattern(i)

    def map_key(self, i: int) -> Any:
        return self.res.out_map(i)

    def affine_map(self, i: int) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        return self.inet.map_to_fractions(self.res.out_map(i), self.inet.n_layers - 1)

    def equal_map_groups(self) -> list[list[int]]:
        """Groups (size >= 2) of regions with exactly equal output maps.

        Candidates come from the maps modulo two primes (vectorised); equality is then
        decided on the exact integer maps.
        """
        n = len(self)
        if n < 2:
            return []
        H = self.res.out_map_hashes()
        if H is None:
            keys: dict[Any, list[int]] = {}
            for i in range(n):
                keys.setdefault(self.res.out_map(i), []).append(i)
            return [m for m in keys.values() if len(m) > 1]
        _, inv = np.unique(H, axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        order = np.argsort(inv, kind="stable")
        bounds = np.flatnonzero(np.diff(inv[order])) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [n]))
        out = []
        for s0, s1 in zip(starts[ends - starts >= 2].tolist(), ends[ends - starts >= 2].tolist()):
            members = order[s0:s1].tolist()
            exact: dict[Any, list[int]] = {}
            for i in members:
                exact.setdefault(self.res.out_map(i), []).append(i)
            out.extend(m for m in exact.values() if len(m) > 1)
        return out

    def is_bounded(self, i: int) -> bool:
        art = self.res.artificial_bits
        if not art:
            return True
        masks = self.res.masks
        return not any(masks[v] & art for v in self.res.cell_verts(i))

    def bounded_mask(self) -> np.ndarray:
        """Bounded flag of every region (vectorised over the tight-set words)."""
        res = self.res
        n = len(res)
        art = res.artificial_bits
        if not art or n == 0:
            return np.ones(n, dtype=bool)
        nw = res.mk.shape[1]
        words = np.array([(art >> (64 * k)) & 0xFFFFFFFFFFFFFFFF for k in range(nw)], dtype=np.uint64)
        hit = (res.mk[res.flat] & words[None, :]).any(axis=1).astype(np.int8)
        starts = np.concatenate(([0], np.cumsum(res.counts)[:-1]))
        return np.maximum.reduceat(hit, starts) == 0

    def vertices(self, i: int) -> tuple[tuple[Fraction, ...], ...]:
        art = self.res.artificial_bits
        masks = self.res.masks
        coords = self.res.coords
        return tuple(dehom(coords[v]) for v in self.res.cell_verts(i) if not masks[v] & art)

    def volume(self, i: int) -> Fraction:
        if not self.is_bounded(i):
            raise DomainError(f"region {i} is unbounded and has no finite volume")
        return volume(self.res.coords, self.res.cell_verts(i), self.res.masks, self.d)

    def facets(self, i: int) -> list[tuple[int, int]]:
        f = self._facets.get(i)
        if f is None:
            f = facets(self.res.cell_verts(i), self.res.masks)
            self._facets[i] = f
        return f

    def _layer_maps(self, i: int) -> list[list[tuple[int, ...]]]:
        """Integer cell maps ``M_0 .. M_{L-1}`` of region ``i`` (from its pattern)."""
        pat = self.res.pattern(i)
        return self.inet.cell_maps([[k for k, a in enumerate(layer) if a] for layer in pat[:-1]])

    def _neuron_of_bit(self, b: int) -> tuple[int, int]:
        starts = self.res.neuron_bit0
        for l in range(len(starts) - 1, -1, -1):
            if b >= starts[l]:
                return l, b - starts[l]
        raise KeyError(b)

    def hrep(self, i: int) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        """Irredundant ``(A, b)`` with the region's closure ``= {x : A x <= b}`` (one row per facet)."""
        rows = self._hrep_int(i)
        A = tuple(tuple(Fraction(v) for v in r[:-1]) for r in rows)
        b = tuple(Fraction(-r[-1]) for r in rows)
        return A, b

    def _hrep_int(self, i: int) -> list[tuple[int, ...]]:
        """Primitive integer rows ``(a, beta)`` meaning ``a . x + beta <= 0``, one per facet."""
        res = self.res
        out = []
        maps = None
        pat = res.pattern(i)
        for _S, bits in self.facets(i):
            if bits & res.artificial_bits:
                continue
            dom = bits & res.domain_bits
            if dom:
                b = (dom & -dom).bit_length() - 1
                row = res.domain_rows[b]
                out.append(integer_row(row))
                continue
            low = bits & -bits
            l, j = self._neuron_of_bit(low.bit_length() - 1)
            if maps is None:
                maps = self._layer_maps(i)
            r = maps[l][j]
            if pat[l][j]:          # active: z >= 0  <=>  -z <= 0
                r = tuple(-v for v in r)
            out.append(primitive(r))
        return out

    def witness(self, i: int) -> tuple[Fraction, ...]:
        rows = self._hrep_int(i)
        V = self.res.cell_verts(i)
        c = centroid(self.res.coords, V)
        art = self.res.artificial_bits
        if art:
            masks = self.res.masks
            finite = [v for v in V if not masks[v] & art]
            if finite and len(finite) < len(V):
                # c is interior and the finite centroid f lies in the closure, so every point of
                # the half-open segment (f, c] is interior; step from f towards c by about 1.
                f = centroid(self.res.coords, finite)
                D = [a - b for a, b in zip(c, f)]
                big = max(abs(x) for x in D)
                lam = Fraction(1, 1 << max(0, int(big).bit_length()))
                c = tuple(b + lam * x for b, x in zip(f, D))

        def strictly_inside(x: Sequence[Fraction]) -> bool:
            return all(sum((a * v for a, v in zip(r[:-1], x)), Fraction(0)) + r[-1] < 0 for r in rows)

        for den in (1, 2, 4, 8, 16, 32, 64, 128, 1024, 2 ** 16, 2 ** 32):
            y = tuple(Fraction(round(v * den), den) for v in c)
            if strictly_inside(y):
                return y
        return c

    # --- adjacency --------------------------------------------------------------
    def interior_facet_keys(self, i: int) -> Iterable[frozenset[int]]:
        V = self.res.cell_verts(i)
        for S, bits in self.facets(i):
            if bits & self._boundary_bits:
                continue
            yield frozenset(V[p] for p in range(len(V)) if (S >> p) & 1)

    def adjacency(self, subset: Iterable[int] | None = None) -> list[tuple[int, int]]:
        """Pairs of regions sharing a facet (among ``subset`` when given)."""
        return pairs_by_facet_keys(len(self), self.interior_facet_keys, subset)


def vertex_backend(net: Any, domain: Any, *, max_regions: int | None = None, progress: bool = False,
                   max_memory: int | None = None) -> VertexCells:
    """Run the vertex engine (row ``"vertex"`` of the engine table)."""
    return VertexCells(enumerate_vertex(net, domain, max_regions=max_regions, progress=progress,
                                        max_memory=max_memory))
