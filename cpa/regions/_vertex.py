"""General-dimension exact region enumeration by vertex-based layer-wise refinement.

Every cell is a bounded convex polytope kept by its vertices (exact homogeneous
integer coordinates, shared in one table) and its edges.  Each vertex carries
its *tight set*: the constraints (domain facets and processed neurons) that
vanish there.  Neurons are processed one at a time, layer by layer.  On a cell
the pre-activation ``z`` of the next neuron is affine (the earlier patterns are
fixed), so:

* ``z`` cuts the cell iff the cell has vertices with ``z > 0`` and with
  ``z < 0`` (an affine function on a polytope takes its extremes at vertices);
  a hyperplane that only touches the cell does not cut it;
* a cut makes the new vertices exactly, one on each edge whose ends have
  opposite strict signs: ``w = z(u) v - z(v) u`` in homogeneous coordinates;
* the edges of the two halves are the old edges on each side, the halves of
  the cut edges, and the edges of the new facet ``{z = 0}``, found from the
  tight sets by the combinatorial test of the double-description method, which
  is valid in degenerate position (coincident hyperplanes, hyperplanes through
  vertices) too.

Signs at vertices come from a certified float64 filter
(:mod:`cpa.regions._float`); a sign that the filter cannot prove is computed
exactly.  No decision rests on a float alone.

Unbounded domains (``R^d``, unbounded polyhedra) are cut to the box
``[-R, R]^d`` where ``R`` bounds every vertex of every cell that the network
could ever create (Cramer's rule and Hadamard's inequality on the integer
scaled hyperplanes over all activation patterns, see
:func:`cpa.regions._geometry.radius_bound`).  That box meets every region in a
full-dimensional set, meets every shared facet in a (d-1)-dimensional one, and
a region is unbounded iff its cut cell touches the box.  Regions and their
adjacency are therefore in one-to-one correspondence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain
from typing import Any, Callable

import numpy as np

from ..domains import Box, Polyhedron, Reals
from ..errors import DomainError, EnumerationLimitError
from ._exact import IntegerNetwork
from ._float import FloatFilter, scaled_floats
from ._geometry import box_vrep, clip, edges_in_face, integer_row, primitive, radius_bound

__all__ = ["VertexResult", "enumerate_vertex"]

_log = logging.getLogger("cpa")


@dataclass
class VertexResult:
    """Raw output of :func:`enumerate_vertex` (consumed by :class:`~cpa.regions.RegionComplex`)."""

    inet: IntegerNetwork
    d: int
    coords: list[tuple[int, ...]]            # homogeneous integer vertices
    masks: list[int]                          # tight sets (bitmasks)
    cell_verts: list[list[int]]
    patterns: list[tuple[tuple[bool, ...], ...]]
    out_maps: list[tuple[tuple[int, ...], ...]]   # integer output maps, scale inet.S[-1]
    domain_bits: int                          # bits of real domain facets
    artificial_bits: int                      # bits of the artificial box (unbounded domains)
    domain_rows: list[tuple[Fraction, ...]]   # (a_1..a_d, beta) meaning a.x + beta <= 0, per bit
    neuron_bit0: list[int]                    # first bit of each hidden layer
    stats: dict[str, Any] = field(default_factory=dict)


def _domain_setup(inet: IntegerNetwork, domain: Box | Polyhedron | Reals):
    """Initial polytope: (verts, masks, edges, domain_bits, artificial_bits, rows_by_bit, n_bits)."""
    d = inet.d
    rows_by_bit: list[tuple[Fraction, ...]] = []
    if isinstance(domain, Box):
        lo, hi = domain.lo, domain.hi
        artificial = 0
        for i in range(d):
            up = [Fraction(0)] * d
            up[i] = Fraction(1)
            rows_by_bit.append(tuple(up) + (-hi[i],))
            dn = [Fraction(0)] * d
            dn[i] = Fraction(-1)
            rows_by_bit.append(tuple(dn) + (lo[i],))
        A, b = (), ()
    else:
        A, b = domain.constraints()
        int_rows = [integer_row(list(a) + [-c]) for a, c in zip(A, b)]
        B = inet.coefficient_bound()
        R = radius_bound(int_rows + [(B,)], d)
        lo, hi = [Fraction(-R)] * d, [Fraction(R)] * d
        artificial = (1 << (2 * d)) - 1
        for i in range(d):
            up = [Fraction(0)] * d
            up[i] = Fraction(1)
            rows_by_bit.append(tuple(up) + (Fraction(-R),))
            dn = [Fraction(0)] * d
            dn[i] = Fraction(-1)
            rows_by_bit.append(tuple(dn) + (Fraction(-R),))
    verts, masks, edges = box_vrep(lo, hi)
    nb = 2 * d
    for a, c in zip(A, b):
        rows_by_bit.append(tuple(a) + (-c,))
        r = integer_row(list(a) + [-c])
        if any(r[:-1]):
            res = clip(verts, masks, edges, r, nb, d)
            if res is None:
                raise DomainError(f"polyhedron domain in R^{d} is empty or not full-dimensional")
            verts, masks, edges = res
        elif r[-1] > 0:
            raise DomainError(f"polyhedron domain in R^{d} is empty (a constraint reads 0 <= {-c})")
        nb += 1
    domain_bits = ((1 << nb) - 1) & ~artificial
    return verts, masks, edges, domain_bits, artificial, rows_by_bit, nb


def enumerate_vertex(net: Any, domain: Box | Polyhedron | Reals, *, max_regions: int | None = None,
                     progress: bool = False) -> VertexResult:
    """Enumerate the activation regions of ``net`` on ``domain`` exactly (any input dimension).

    Returns a :class:`VertexResult`.  Raises :class:`~cpa.errors.EnumerationLimitError` when
    more than ``max_regions`` cells exist at some stage (cells only ever split, so the final
    count would exceed the limit too).
    """
    inet = IntegerNetwork(net)
    d = inet.d
    widths = inet.widths
    L = len(widths)
    verts0, masks0, edges0, domain_bits, artificial, rows_by_bit, nb = _domain_setup(inet, domain)

    # global vertex table
    coords: list[tuple[int, ...]] = list(verts0)
    masks: list[int] = list(masks0)
    index: dict[tuple[int, ...], int] = {P: i for i, P in enumerate(coords)}
    Ph = np.array([scaled_floats(P) for P in coords], dtype=float)

    neuron_bit0 = []
    acc = nb
    for w in widths:
        neuron_bit0.append(acc)
        acc += w

    filt = FloatFilter(inet.Wf, inet.bf)
    stats = {"exact_signs": 0, "float_signs": 0, "cuts": 0, "vertices": 0}

    # cells: parallel structures
    cell_verts: list[list[int]] = [list(range(len(coords)))]
    cell_edges: list[list[tuple[int, int]]] = [list(edges0)]
    counts = np.array([len(coords)], dtype=np.int64)
    flat = np.arange(len(coords), dtype=np.int64)
    mapid = np.zeros(1, dtype=np.int64)           # index into maps / hist of the layer-start cell
    maps: list[list[tuple[int, ...]]] = [inet.first_map()] if L else []
    hist: list[tuple[np.ndarray, ...]] = [()]

    bar = None
    if progress and L:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(widths), desc="regions", unit="neuron")

    try:
        for l in range(L):
            n = widths[l]
            pats = np.zeros((len(cell_verts), n), dtype=bool)
            if l == 0:
                Zf, Ef = filt.first(Ph)
            else:
                Zf, Ef = filt.step(l, Zf, Ef, Ph[:, -1])
            exact_cache: dict[int, list[int]] = {}
            for j in range(n):
                bit = 1 << (neuron_bit0[l] + j)
                # --- signs at all vertices -------------------------------------------
                s = FloatFilter.signs(Zf[:, j], Ef[:, j])
                undecided = np.flatnonzero(s == 0)
                stats["float_signs"] += len(s) - len(undecided)
                stats["exact_signs"] += len(undecided)
                for v in undecided.tolist():
                    Zx = exact_cache.get(v)
                    if Zx is None:
                        Zx = inet.forward(coords[v], l)
                        exact_cache[v] = Zx
                    z = Zx[j]
                    if z:
                        s[v] = 1 if z > 0 else -1
                    else:
                        masks[v] |= bit
                sl = s.tolist()
                # --- which cells are cut --------------------------------------------
                starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
                sv = s[flat]
                mn = np.minimum.reduceat(sv, starts)
                mx = np.maximum.reduceat(sv, starts)
                cut = (mn < 0) & (mx > 0)
                keep = ~cut
                pats[keep & (mx > 0), j] = True
                cut_idx = np.flatnonzero(cut).tolist()
                if cut_idx:
                    hval: dict[int, int] = {}
                    ecache: dict[tuple[int, int], int] = {}
                    pending: list[int] = []
                    new_verts: list[list[int]] = []
                    new_edges: list[list[tuple[int, int]]] = []
                    for i in cut_idx:
                        row = maps[mapid[i]][j]
                        (pv, pe), (nv, ne) = _split(cell_verts[i], cell_edges[i], sl, row, bit, d,
                                                    coords, masks, index, hval, ecache, pending)
                        new_verts.append(pv)
                        new_edges.append(pe)
                        new_verts.append(nv)
                        new_edges.append(ne)
                    stats["cuts"] += len(cut_idx)
                    keep_idx = np.flatnonzero(keep)
                    cell_verts = [cell_verts[i] for i in keep_idx.tolist()] + new_verts
                    cell_edges = [cell_edges[i] for i in keep_idx.tolist()] + new_edges
                    child_pats = np.repeat(pats[cut_idx], 2, axis=0)
                    child_pats[0::2, j] = True
                    pats = np.concatenate([pats[keep], child_pats])
                    mapid = np.concatenate([mapid[keep], np.repeat(mapid[cut_idx], 2)])
                    child_counts = np.fromiter((len(v) for v in new_verts), dtype=np.int64,
                                               count=len(new_verts))
                    flat = np.concatenate([flat[np.repeat(keep, counts)],
                                           np.fromiter(chain.from_iterable(new_verts), dtype=np.int64,
                                                       count=int(child_counts.sum()))])
                    counts = np.concatenate([counts[keep], child_counts])
                    if pending:
                        Pn = np.array([scaled_floats(coords[v]) for v in pending], dtype=float)
                        Zn, En = filt.upto(l, Pn)
                        Ph = np.concatenate([Ph, Pn])
                        Zf = np.concatenate([Zf, Zn])
                        Ef = np.concatenate([Ef, En])
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(cells=len(cell_verts), refresh=False)
                if max_regions is not None and len(cell_verts) > max_regions:
                    raise EnumerationLimitError(
                        f"more than max_regions={max_regions} regions: {len(cell_verts)} cells after "
                        f"neuron {j} of hidden layer {l} (the final count can only be larger)",
                        partial={"lower_bound": len(cell_verts), "layer": l, "neuron": j},
                        count=len(cell_verts))
            # --- close layer l: maps of the next layer ----------------------------------
            maps = _next_maps(inet, l + 1, maps, mapid, pats)
            hist = [hist[m] + (p,) for m, p in zip(mapid.tolist(), pats)]
            mapid = np.arange(len(cell_verts), dtype=np.int64)
    finally:
        if bar is not None:
            bar.close()

    if L == 0:
        out_maps = [tuple(inet.first_map())]
        patterns: list[tuple[tuple[bool, ...], ...]] = [()]
    else:
        out_maps = [tuple(m) for m in maps]
        patterns = [tuple(tuple(bool(x) for x in row) for row in h) for h in hist]
    stats["vertices"] = len(coords)
    return VertexResult(inet=inet, d=d, coords=coords, masks=masks, cell_verts=cell_verts,
                        patterns=patterns, out_maps=out_maps, domain_bits=domain_bits,
                        artificial_bits=artificial, domain_rows=rows_by_bit, neuron_bit0=neuron_bit0,
                        stats=stats)


def _next_maps(inet: IntegerNetwork, l: int, maps: list[list[tuple[int, ...]]], mapid: np.ndarray,
               pats: np.ndarray) -> list[list[tuple[int, ...]]]:
    """Cell maps ``M_l`` of all cells, one object-array product per parent map."""
    d = inet.d
    W = inet.Wdense[l]
    bias = np.array([c * inet.S[l - 1] for c in inet.b[l]], dtype=object)
    out: list[Any] = [None] * len(mapid)
    order = np.argsort(mapid, kind="stable")
    ms = mapid[order]
    bounds = np.flatnonzero(np.diff(ms)) + 1
    for grp in np.split(order, bounds):
        M = np.array(maps[int(mapid[grp[0]])], dtype=object)     # n_{l-1} x (d+1)
        D = pats[grp].astype(object)                              # k x n_{l-1}
        # rows of all cells: (W * D_c) @ M, stacked: (k, n_l, n_{l-1}) @ (n_{l-1}, d+1)
        WD = W[None, :, :] * D[:, None, :]
        R = WD @ M
        R[:, :, d] += bias
        for c, r in zip(grp.tolist(), R.tolist()):
            out[c] = [tuple(x) for x in r]
    return out


def _split(verts: list[int], edges: list[tuple[int, int]], sl: list[int], row: tuple[int, ...], bit: int,
           d: int, coords: list[tuple[int, ...]], masks: list[int], index: dict[tuple[int, ...], int],
           hval: dict[int, int], ecache: dict[tuple[int, int], int], pending: list[int]):
    """Cut one cell by the hyperplane ``row . P = 0`` (signs ``sl`` at its vertices are exact)."""
    pos: list[int] = []
    neg: list[int] = []
    zer: list[int] = []
    for v in verts:
        s = sl[v]
        if s > 0:
            pos.append(v)
        elif s < 0:
            neg.append(v)
        else:
            zer.append(v)
    Ep: list[tuple[int, int]] = []
    En: list[tuple[int, int]] = []
    new: list[int] = []
    for e in edges:
        u, v = e
        a = sl[u]
        b = sl[v]
        if a >= 0 and b >= 0:
            if a or b:
                Ep.append(e)
        elif a <= 0 and b <= 0:
            if a or b:
                En.append(e)
        else:
            if a < 0:
                u, v = v, u
            key = (u, v)
            wid = ecache.get(key)
            if wid is not None:
                Ep.append((u, wid))
                En.append((v, wid))
                new.append(wid)
                continue
            hu = hval.get(u)
            if hu is None:
                hu = sum(x * y for x, y in zip(row, coords[u]))
                hval[u] = hu
            hv = hval.get(v)
            if hv is None:
                hv = sum(x * y for x, y in zip(row, coords[v]))
                hval[v] = hv
            if hu <= 0 or hv >= 0:  # pragma: no cover - would be an internal inconsistency
                raise AssertionError("exact cut values disagree with the certified signs")
            Pu = coords[u]
            Pv = coords[v]
            w = primitive([hu * y - hv * x for x, y in zip(Pu, Pv)])
            wid = index.get(w)
            if wid is None:
                wid = len(coords)
                coords.append(w)
                masks.append((masks[u] & masks[v]) | bit)
                index[w] = wid
                pending.append(wid)
            ecache[key] = wid
            Ep.append((u, wid))
            En.append((v, wid))
            new.append(wid)
    z0 = zer + new
    E0 = edges_in_face(z0, masks, d)
    return (pos + z0, Ep + E0), (neg + z0, En + E0)
