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
:func:`cpa.polytope.radius_bound`).  That box meets every region in a
full-dimensional set, meets every shared facet in a (d-1)-dimensional one, and
a region is unbounded iff its cut cell touches the box.  Regions and their
adjacency are therefore in one-to-one correspondence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..domains import Box, Polyhedron, Reals
from ..errors import DomainError, EnumerationLimitError
from ._exact import IntegerNetwork
from ._float import FloatFilter, scaled_floats
from ..polytope import box_vrep, clip, integer_row, radius_bound
from ._memory import default_budget, resident_bytes

__all__ = ["VertexResult", "enumerate_vertex"]

_log = logging.getLogger("cpa")


@dataclass
class VertexResult:
    """Raw output of :func:`enumerate_vertex` (consumed by :class:`~cpa.regions.RegionComplex`).

    Patterns are stored per hidden layer (``layer_pats[l]`` indexed by the cells existing
    when layer ``l`` was finished, ``layer_parent[l]`` giving each such cell's index at the end
    of layer ``l - 1``); :meth:`pattern` and :meth:`out_map` rebuild a region's data on demand.
    """

    inet: IntegerNetwork
    d: int
    coords: list[tuple[int, ...]]            # homogeneous integer vertices
    mk: np.ndarray                            # tight sets: (V, words) uint64 bitmasks
    flat: np.ndarray                          # vertex ids of all cells, concatenated
    counts: np.ndarray                        # number of vertices of each cell
    layer_pats: list[np.ndarray]
    layer_parent: list[np.ndarray]
    last_maps: np.ndarray | None              # object (cells alive when layer L-1 began, n, d+1): M_{L-1},
                                              # or None when they are formed on demand from `pre_maps`
    domain_bits: int                          # bits of real domain facets
    artificial_bits: int                      # bits of the artificial box (unbounded domains)
    domain_rows: list[tuple[Fraction, ...]]   # (a_1..a_d, beta) meaning a.x + beta <= 0, per bit
    neuron_bit0: list[int]                    # first bit of each hidden layer
    stats: dict[str, Any] = field(default_factory=dict)
    pre_maps: np.ndarray | None = None        # M_{L-2} (object), when last_maps is None
    pre_parent: np.ndarray | None = None      # index into pre_maps of each cell alive when layer L-1 began

    def __len__(self) -> int:
        return len(self.counts)

    @property
    def masks(self) -> list[int]:
        """Tight sets as Python ints (built on first use)."""
        m = self.__dict__.get("_masks")
        if m is None:
            m = [sum(int(w) << (64 * k) for k, w in enumerate(row)) for row in self.mk.tolist()]
            self.__dict__["_masks"] = m
        return m

    def cell_verts(self, i: int) -> list[int]:
        """Vertex ids of cell ``i``."""
        st = self.__dict__.get("_starts")
        if st is None:
            st = np.concatenate(([0], np.cumsum(self.counts)))
            self.__dict__["_starts"] = st
        return self.flat[st[i]:st[i + 1]].tolist()

    def pattern(self, i: int) -> tuple[tuple[bool, ...], ...]:
        rows = []
        c = i
        for l in range(len(self.layer_pats) - 1, -1, -1):
            rows.append(tuple(bool(x) for x in self.layer_pats[l][c]))
            c = int(self.layer_parent[l][c])
        return tuple(reversed(rows))

    def out_map(self, i: int) -> tuple[tuple[int, ...], ...]:
        """Exact integer output map (scale ``inet.S[-1]``) of region ``i``."""
        inet = self.inet
        L = len(self.layer_pats)
        if L == 0:
            return tuple(inet.first_map())
        M = self.last_map(int(self.layer_parent[L - 1][i]))
        active = np.flatnonzero(self.layer_pats[L - 1][i]).tolist()
        return tuple(inet.next_map(L, M, active))

    def last_map(self, c: int) -> Any:
        """``M_{L-1}`` of cell ``c`` among those alive when the last hidden layer began."""
        if self.last_maps is not None:
            return self.last_maps[c]
        L = len(self.layer_pats)
        active = np.flatnonzero(self.layer_pats[L - 2][c]).tolist()
        return self.inet.next_map(L - 1, self.pre_maps[int(self.pre_parent[c])], active)

    def _last_maps_mod(self, p: int) -> np.ndarray:
        """``M_{L-1} mod p`` for the cells alive when the last hidden layer began (int64)."""
        if self.last_maps is not None:
            return (self.last_maps % p).astype(np.int64)
        inet = self.inet
        L = len(self.layer_pats)
        Mp = (self.pre_maps % p).astype(np.int64)[self.pre_parent]               # cells x n x (d+1)
        Mp = Mp * self.layer_pats[L - 2][:, :, None]
        out = _product_mod(inet, L - 1, Mp, p)
        bp = np.array([(c * inet.S[L - 2]) % p for c in inet.b[L - 1]], dtype=np.int64)
        out[:, :, -1] = (out[:, :, -1] + bp[None, :]) % p
        return out

    def out_map_hashes(self) -> np.ndarray | None:
        """Output maps modulo two primes below 2^26, one row per region (equal maps give equal
        rows), or None when the last hidden layer is too wide for int64 sums."""
        inet = self.inet
        L = len(self.layer_pats)
        n = len(self)
        if L == 0:
            return np.zeros((n, 1), dtype=np.int64)
        if max(inet.widths[-2:]) > 2000:
            return None
        parent = self.layer_parent[L - 1]
        pats = self.layer_pats[L - 1].astype(np.int64)
        cols = []
        for p in (67108859, 67108837):
            Mp = self._last_maps_mod(p)
            bp = np.array([(c * inet.S[L - 1]) % p for c in inet.b[L]], dtype=np.int64)
            out = _product_mod(inet, L, Mp[parent] * pats[:, :, None], p)
            out[:, :, -1] = (out[:, :, -1] + bp[None, :]) % p
            cols.append(out.reshape(n, -1))
        return np.concatenate(cols, axis=1)


def _product_mod(inet: IntegerNetwork, l: int, Mp: np.ndarray, p: int) -> np.ndarray:
    """``Wi_l @ Mp[c] mod p`` for every cell (``Mp``: int64 ``(cells, n_{l-1}, k)`` below ``p < 2^26``).

    Rows hold at most 2000 terms (the caller's width guard), each a product below ``2^52``,
    so int64 sums do not overflow.  Sparse layers multiply their nonzero weights only, in
    chunks of cells.
    """
    cells, n, k = Mp.shape
    m = inet.shapes[l][0]
    if not inet.is_sparse(l):
        Wp = np.array([[v % p for v in r] for r in inet.Wdense[l].tolist()], dtype=np.int64).reshape(m, n)
        return np.einsum("hk,ckj->chj", Wp, Mp) % p
    ri, ci, vals = inet.nonzeros(l)
    out = np.zeros((cells, m, k), dtype=np.int64)
    if not len(vals):
        return out
    vp = np.array([v % p for v in vals.tolist()], dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, ri[1:] != ri[:-1]])
    step = max(1, _CHUNK_OBJECTS // max(1, len(vals) * k))
    for lo in range(0, cells, step):
        prod = Mp[lo:lo + step][:, ci, :] * vp[None, :, None]
        out[lo:lo + step, ri[starts], :] = np.add.reduceat(prod, starts, axis=1) % p
    return out


_BYTES_PER_INCIDENCE = 220     # measured at the peak of a step (see cpa.regions._memory)


def _check_corners(d: int, budget: int | None) -> None:
    """Refuse at once when the ``2^d`` corners of the starting box cannot fit in the budget (the
    engine holds every vertex of every cell; a box in R^784 would otherwise hang)."""
    if d <= 16 or (budget is not None and d < 64 and (1 << d) * _BYTES_PER_INCIDENCE <= budget):
        return      # few corners: the engine's own memory guard words any stop
    if budget is None and d <= 30:
        return
    raise EnumerationLimitError(
        f"the vertex engine starts from the 2^{d} corners of a box in R^{d}, more than fit in memory: count "
        f"with the LP engine (cpa.count_regions(net, box), method='lp'; CLI cpa regions without --list, --certify "
        f"or --plot), or work on a plane or a segment through the inputs (cpa.Plane, cpa.Segment)", count=0)


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
                     progress: bool = False, max_memory: int | None = None) -> VertexResult:
    """Enumerate the activation regions of ``net`` on ``domain`` exactly (any input dimension).

    Returns a :class:`VertexResult`.  Raises :class:`~cpa.errors.EnumerationLimitError` when
    more than ``max_regions`` cells exist at some stage (cells only ever split, so the final
    count would exceed the limit too).
    """
    return _Engine(net, domain, max_regions, progress, max_memory).run()


_ROW_BY_ROW_MIN = 256  # n_{L-1} n_{L-2} from which the last layer's maps are formed row by row
_CHUNK = 1 << 22      # candidate pairs (or pair-vertex tests) handled at once by _face_edges


def _size(n: int) -> str:
    if n >= 2**30:
        return f"{n / 2**30:.1f} GiB"
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{max(1, round(n / 2**10))} KiB"


def _words(m: int, nw: int) -> list[int]:
    return [(m >> (64 * k)) & 0xFFFFFFFFFFFFFFFF for k in range(nw)]


def _scaled_rows(W: np.ndarray) -> np.ndarray:
    """Rows of an object array of ints scaled by powers of two into [-1, 1], as float64."""
    try:
        F = W.astype(float)
    except OverflowError:
        return np.array([scaled_floats(r) for r in W.tolist()], dtype=float)
    m = np.abs(F).max(axis=1)
    e = np.frexp(m)[1]
    return np.ldexp(F, -e[:, None])


def _pairs_in_groups(starts: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All position pairs ``(a, b)``, ``a < b``, inside each group ``[start, start + size)``."""
    n = int(sizes.sum())
    if n == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e
    pos = np.arange(n, dtype=np.int64)
    grp_end = np.repeat(starts + sizes, sizes)
    partners = grp_end - pos - 1
    total = int(partners.sum())
    if total == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e
    a = np.repeat(pos, partners)
    first = np.cumsum(partners) - partners
    b = np.arange(total, dtype=np.int64) - np.repeat(first, partners) + a + 1
    return a, b


class _Engine:
    """State of one enumeration (see the module docstring); arrays are indexed by vertex id."""

    def __init__(self, net: Any, domain: Box | Polyhedron | Reals, max_regions: int | None, progress: bool,
                 max_memory: int | None = None):
        self.inet = inet = IntegerNetwork(net)
        self.d = inet.d
        self.max_regions = max_regions
        self.max_memory = max_memory if max_memory is not None else default_budget()
        self.progress = progress
        _check_corners(self.d, self.max_memory)
        verts0, masks0, edges0, self.domain_bits, self.artificial, self.rows_by_bit, nb = \
            _domain_setup(inet, domain)
        self.neuron_bit0 = []
        acc = nb
        for w in inet.widths:
            self.neuron_bit0.append(acc)
            acc += w
        self.nw = max(1, (acc + 63) // 64)
        # global vertex table
        self.coords: list[tuple[int, ...]] = list(verts0)
        self.index: dict[tuple[int, ...], int] = {P: i for i, P in enumerate(self.coords)}
        self.C = np.empty((len(verts0), self.d + 1), dtype=object)
        self.C[:, :] = [list(P) for P in verts0]
        self.mk = np.array([_words(m, self.nw) for m in masks0], dtype=np.uint64).reshape(-1, self.nw)
        self.Ph = _scaled_rows(self.C)
        self.filt = FloatFilter(inet.Wf, inet.bf)
        self.stats = {"exact_signs": 0, "float_signs": 0, "cuts": 0, "vertices": 0}
        # cells (CSR over vertices and over edges)
        nv0 = len(verts0)
        self.flat = np.arange(nv0, dtype=np.int64)
        self.counts = np.array([nv0], dtype=np.int64)
        e = np.array(edges0, dtype=np.int64).reshape(-1, 2)
        self.eu = e[:, 0].copy()
        self.ev = e[:, 1].copy()
        self.ecounts = np.array([len(e)], dtype=np.int64)
        self.mapid = np.zeros(1, dtype=np.int64)
        self.maps = np.array([inet.first_map()], dtype=object).reshape(1, -1, self.d + 1) \
            if inet.widths else np.zeros((0, 0, self.d + 1), dtype=object)
        self.layer_pats: list[np.ndarray] = []
        self.layer_parent: list[np.ndarray] = []
        self.pre: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None   # see run()

    @property
    def ncells(self) -> int:
        return len(self.counts)

    # --- driver ---------------------------------------------------------------------------
    def run(self) -> VertexResult:
        inet = self.inet
        widths = inet.widths
        bar = None
        if self.progress and widths:
            from tqdm.auto import tqdm

            bar = tqdm(total=sum(widths), desc="regions", unit="neuron")
        try:
            for l, n in enumerate(widths):
                self._layer_now = l
                self.pats = np.zeros((self.ncells, n), dtype=bool)
                if l == 0:
                    self.Zf, self.Ef = self.filt.first(self.Ph)
                else:
                    self.Zf, self.Ef = self.filt.step(l, self.Zf, self.Ef, self.Ph[:, -1])
                for j in range(n):
                    self._neuron_now = j
                    before = self.ncells
                    try:
                        self._neuron(l, j)
                    except MemoryError:
                        raise EnumerationLimitError.partial_count(
                            "out of memory", self.ncells, layer=l, neuron=j, hint="Use a smaller domain") from None
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(cells=self.ncells, refresh=False)
                    if self.max_regions is not None and self.ncells > self.max_regions:
                        raise EnumerationLimitError.partial_count(
                            f"more than max_regions={self.max_regions} regions", self.ncells, layer=l, neuron=j)
                    if self.ncells != before or j % 64 == 0:     # memory grows only with cuts
                        self._check_memory(l, j)
                self.layer_pats.append(self.pats)
                self.layer_parent.append(self.mapid)
                if l + 2 == len(widths) and widths[-1] * widths[-2] >= _ROW_BY_ROW_MIN:
                    # a wide last hidden layer: its cell maps are formed row by row, only for the cells a
                    # neuron cuts (most (cell, neuron) pairs are never cut); M_{L-2} is kept instead.
                    # For narrow layers the batched product is cheaper (R5, 12 x 12: 0.28 s vs 0.31 s)
                    self.pre = (self.maps, self.mapid, self.pats)
                    self.mapid = np.arange(self.ncells, dtype=np.int64)
                elif l + 1 < len(widths):
                    self.maps = _next_maps(inet, l + 1, self.maps, self.mapid, self.pats)
                    self.mapid = np.arange(self.ncells, dtype=np.int64)
        finally:
            if bar is not None:
                bar.close()
        self.stats["vertices"] = len(self.coords)
        _log.debug("vertex engine: %d cells, %s", self.ncells, self.stats)
        return VertexResult(inet=inet, d=self.d, coords=self.coords, mk=self.mk, flat=self.flat,
                            counts=self.counts,
                            layer_pats=self.layer_pats, layer_parent=self.layer_parent,
                            last_maps=None if self.pre is not None else self.maps,
                            pre_maps=self.pre[0] if self.pre is not None else None,
                            pre_parent=self.pre[1] if self.pre is not None else None,
                            domain_bits=self.domain_bits,
                            artificial_bits=self.artificial, domain_rows=self.rows_by_bit,
                            neuron_bit0=self.neuron_bit0, stats=self.stats)

    def _check_memory(self, l: int, j: int) -> None:
        """Stop with EnumerationLimitError once the process holds more than ``max_memory`` bytes."""
        if self.max_memory is None:
            return
        rss = resident_bytes()
        if rss is not None and rss > self.max_memory:
            raise EnumerationLimitError.partial_count(
                f"memory budget reached: {_size(rss)} held, budget {_size(self.max_memory)} (max_memory)",
                self.ncells, layer=l, neuron=j, detail=f"with {len(self.flat)} cell-vertex incidences",
                hint="Use a smaller domain, or raise max_memory", resident_bytes=rss)

    # --- one neuron -----------------------------------------------------------------------------
    def _signs(self, l: int, j: int) -> np.ndarray:
        """Exact signs of neuron ``j`` of layer ``l`` at all vertices (float filter + exact fallback).

        A sign the filter leaves undecided is that of ``M_l[j] . P``: row ``j`` of the integer map
        of a cell holding the vertex ``P``, one exact dot product.  The pre-activation is
        continuous and equals the cell's map on the cell's closure, so any cell holding ``P``
        gives the same value (at a vertex where an earlier neuron vanishes, its two linear
        pieces agree).
        """
        s = FloatFilter.signs(self.Zf[:, j], self.Ef[:, j])
        undecided = np.flatnonzero(s == 0)
        self.stats["float_signs"] += len(s) - len(undecided)
        self.stats["exact_signs"] += len(undecided)
        if len(undecided):
            bitpos = self.neuron_bit0[l] + j
            word, b = divmod(bitpos, 64)
            owner = np.full(len(s), -1, dtype=np.int64)
            owner[self.flat] = np.repeat(np.arange(self.ncells, dtype=np.int64), self.counts)
            own = owner[undecided]
            held = own >= 0
            z = np.zeros(len(undecided), dtype=object)
            if held.any():
                R = self._map_rows(j, own[held])
                z[held] = (R * self.C[undecided[held]]).sum(axis=1)
            for k in np.flatnonzero(~held).tolist():     # pragma: no cover - every vertex stays in a cell
                z[k] = self.inet.forward(self.coords[int(undecided[k])], l)[j]
            pos = (z > 0).astype(bool)
            neg = (z < 0).astype(bool)
            s[undecided[pos]] = 1
            s[undecided[neg]] = -1
            zeros = undecided[~(pos | neg)]
            if len(zeros):
                self.mk[zeros, word] |= np.uint64(1 << b)
        return s

    def _neuron(self, l: int, j: int) -> None:
        d = self.d
        s = self._signs(l, j)
        counts = self.counts
        C = self.ncells
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        sv = s[self.flat]
        mn = np.minimum.reduceat(sv, starts)
        mx = np.maximum.reduceat(sv, starts)
        cut = (mn < 0) & (mx > 0)
        keep = ~cut
        self.pats[keep & (mx > 0), j] = True
        cut_idx = np.flatnonzero(cut)
        ncut = len(cut_idx)
        if ncut == 0:
            return
        self.stats["cuts"] += ncut
        rank = np.full(C, -1, dtype=np.int64)
        rank[cut_idx] = np.arange(ncut)
        bitpos = self.neuron_bit0[l] + j
        word, bb = divmod(bitpos, 64)
        bitval = np.uint64(1 << bb)

        # vertices of cut cells
        vcell = np.repeat(np.arange(C, dtype=np.int64), counts)
        vin = cut[vcell]
        cv = self.flat[vin]
        cr = rank[vcell[vin]]
        cs = sv[vin]
        # edges of cut cells
        ecounts = self.ecounts
        ecell = np.repeat(np.arange(C, dtype=np.int64), ecounts)
        ein = cut[ecell]
        eu = self.eu[ein]
        ev = self.ev[ein]
        er = rank[ecell[ein]]
        su = s[eu]
        sw = s[ev]
        e_plus = (su >= 0) & (sw >= 0) & ((su > 0) | (sw > 0))
        e_minus = (su <= 0) & (sw <= 0) & ((su < 0) | (sw < 0))
        e_cross = (su * sw) < 0
        # orient crossing edges: p positive, q negative
        cu = eu[e_cross]
        cw = ev[e_cross]
        flip = s[cu] < 0
        p = np.where(flip, cw, cu)
        q = np.where(flip, cu, cw)
        xr = er[e_cross]
        wid = self._new_vertices(p, q, xr, cut_idx, j, word, bitval)

        # facet {z = 0}: old zero vertices and the new vertices, per cut cell
        zsel = cs == 0
        z_r = np.concatenate([cr[zsel], xr])
        z_v = np.concatenate([cv[zsel], wid])
        f_r, f_a, f_b = self._face_edges(z_r, z_v, d)

        # assemble children: plus child of rank r is 2r, minus child 2r + 1
        pv_sel = cs >= 0
        nv_sel = cs <= 0
        child_v = np.concatenate([2 * cr[pv_sel], 2 * cr[nv_sel] + 1, 2 * xr, 2 * xr + 1])
        child_vid = np.concatenate([cv[pv_sel], cv[nv_sel], wid, wid])
        o = np.argsort(child_v, kind="stable")
        child_flat = child_vid[o]
        child_counts = np.bincount(child_v, minlength=2 * ncut)

        child_e = np.concatenate([2 * er[e_plus], 2 * er[e_minus] + 1, 2 * xr, 2 * xr + 1, 2 * f_r, 2 * f_r + 1])
        child_eu = np.concatenate([eu[e_plus], eu[e_minus], p, q, f_a, f_a])
        child_ev = np.concatenate([ev[e_plus], ev[e_minus], wid, wid, f_b, f_b])
        o = np.argsort(child_e, kind="stable")
        child_ecounts = np.bincount(child_e, minlength=2 * ncut)

        vkeep = ~vin
        ekeep = ~ein
        self.flat = np.concatenate([self.flat[vkeep], child_flat])
        self.counts = np.concatenate([counts[keep], child_counts])
        self.eu = np.concatenate([self.eu[ekeep], child_eu[o]])
        self.ev = np.concatenate([self.ev[ekeep], child_ev[o]])
        self.ecounts = np.concatenate([ecounts[keep], child_ecounts])
        child_pats = np.repeat(self.pats[cut_idx], 2, axis=0)
        child_pats[0::2, j] = True
        self.pats = np.concatenate([self.pats[keep], child_pats])
        self.mapid = np.concatenate([self.mapid[keep], np.repeat(self.mapid[cut_idx], 2)])

    def _map_rows(self, j: int, cells: np.ndarray) -> np.ndarray:
        """Row ``j`` of the integer cell map of the current layer on ``cells`` (object, cells x (d+1)).

        In the last hidden layer ``l`` the row is ``Wi_l[j] D M_{l-1} + bi_l[j] S_{l-1} e_t`` with the
        parent's map ``M_{l-1}`` and pattern ``D``, formed here for these cells only.
        """
        if self.pre is None:
            return self.maps[self.mapid[cells], j, :]
        pre_maps, pre_parent, pre_pats = self.pre
        l = self._layer_now
        c = self.mapid[cells]
        row = self.inet.W[l][j]                                           # (column, weight) pairs
        R = np.zeros((len(cells), self.d + 1), dtype=object)
        R[...] = 0
        if row:
            cols = np.array([k for k, _ in row], dtype=np.int64)
            w = np.empty(len(row), dtype=object)
            w[:] = [v for _, v in row]
            coef = w[None, :] * pre_pats[c[:, None], cols[None, :]]       # cells x nonzeros
            R = R + (coef[:, :, None] * pre_maps[pre_parent[c][:, None], cols[None, :], :]).sum(axis=1)
        R[:, self.d] += self.inet.b[l][j] * self.inet.S[l - 1]
        return R

    def _new_vertices(self, p: np.ndarray, q: np.ndarray, xr: np.ndarray, cut_idx: np.ndarray, j: int,
                      word: int, bitval: np.uint64) -> np.ndarray:
        """Exact vertices on the crossing edges ``(p, q)`` (``z(p) > 0 > z(q)``); their ids."""
        if len(p) == 0:
            return np.zeros(0, dtype=np.int64)
        nv = len(self.coords)
        key = p * nv + q
        ukey, first, inv = np.unique(key, return_index=True, return_inverse=True)
        up = p[first]
        uq = q[first]
        cells = cut_idx[xr[first]]
        R = self._map_rows(j, cells)
        Pp = self.C[up]
        Pq = self.C[uq]
        hp = (R * Pp).sum(axis=1)
        hq = (R * Pq).sum(axis=1)
        if not ((hp > 0).all() and (hq < 0).all()):   # pragma: no cover - internal consistency
            raise AssertionError("exact cut values disagree with the certified signs")
        W = hp[:, None] * Pq - hq[:, None] * Pp
        g = np.gcd.reduce(W, axis=1)
        W = W // g[:, None]
        ids = np.empty(len(up), dtype=np.int64)
        index = self.index
        coords = self.coords
        fresh = []
        for k, row in enumerate(W.tolist()):
            t = tuple(row)
            vid = index.get(t)
            if vid is None:
                vid = len(coords)
                coords.append(t)
                index[t] = vid
                fresh.append(k)
            ids[k] = vid
        if fresh:
            fr = np.array(fresh, dtype=np.int64)
            Wn = W[fr]
            mkn = self.mk[up[fr]] & self.mk[uq[fr]]
            mkn[:, word] |= bitval
            Pn = _scaled_rows(Wn)
            Zn, En = self.filt.upto(self._layer_now, Pn)
            self.C = np.concatenate([self.C, Wn])
            self.mk = np.concatenate([self.mk, mkn])
            self.Ph = np.concatenate([self.Ph, Pn])
            self.Zf = np.concatenate([self.Zf, Zn])
            self.Ef = np.concatenate([self.Ef, En])
        return ids[inv]

    def _face_edges(self, z_r: np.ndarray, z_v: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Edges of the new facets: pairs of ``z_v`` in the same cell ``z_r`` that are adjacent.

        The candidate pairs of a cell are quadratic in its facet's vertices (and their test is
        linear in them again), which in high dimensions is large: cells are taken in chunks of
        about ``_CHUNK`` pairs, and the memory budget is checked between chunks.
        """
        e = np.zeros(0, dtype=np.int64)
        if len(z_r) < 2:
            return e, e, e
        o = np.argsort(z_r, kind="stable")
        zr = z_r[o]
        zv = z_v[o]
        bounds = np.flatnonzero(np.diff(zr)) + 1
        gstart = np.concatenate(([0], bounds))
        gsize = np.diff(np.concatenate((gstart, [len(zr)])))
        npairs = gsize * (gsize - 1) // 2
        total = int(npairs.sum())
        if total <= _CHUNK:
            return self._face_edges_in(zr, zv, gstart, gsize, d)
        cuts = np.searchsorted(np.cumsum(npairs), np.arange(_CHUNK, total, _CHUNK), side="right")
        edges = [[], [], []]
        lo = 0
        for hi in list(np.unique(cuts)) + [len(gstart)]:
            if hi <= lo:
                continue
            s0 = int(gstart[lo])
            s1 = int(gstart[hi]) if hi < len(gstart) else len(zr)
            part = self._face_edges_in(zr[s0:s1], zv[s0:s1], gstart[lo:hi] - s0, gsize[lo:hi], d)
            for acc, arr in zip(edges, part):
                acc.append(arr)
            self._check_memory(self._layer_now, self._neuron_now)
            lo = hi
        return tuple(np.concatenate(acc) for acc in edges)  # type: ignore[return-value]

    def _face_edges_in(self, zr: np.ndarray, zv: np.ndarray, gstart: np.ndarray, gsize: np.ndarray,
                       d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`_face_edges` on sorted groups ``zr``/``zv`` (group starts and sizes given)."""
        e = np.zeros(0, dtype=np.int64)
        a, b = _pairs_in_groups(gstart, gsize)
        if len(a) == 0:
            return e, e, e
        M = self.mk[zv]
        pc = np.bitwise_count(M).sum(axis=1, dtype=np.int64)
        simple_v = pc == d
        gsimple = np.minimum.reduceat(simple_v.astype(np.int8), gstart).astype(bool)
        grp_of = np.repeat(np.arange(len(gstart)), gsize)
        cm = M[a] & M[b]
        pcc = np.bitwise_count(cm).sum(axis=1, dtype=np.int64)
        ga = grp_of[a]
        simple_pair = gsimple[ga]
        ok = np.zeros(len(a), dtype=bool)
        ok[simple_pair] = pcc[simple_pair] == d - 1
        cand_all = np.flatnonzero(~simple_pair & (pcc >= d - 1))
        # a candidate is blocked by a third vertex whose tight set holds their common one;
        # the test expands each candidate over its group, so candidates go in slices
        reps_all = gsize[ga[cand_all]]
        cum = np.cumsum(reps_all)
        slices = np.searchsorted(cum, np.arange(_CHUNK, int(cum[-1]) if len(cum) else 0, _CHUNK), side="right")
        lo = 0
        for hi in list(np.unique(slices)) + [len(cand_all)]:
            if hi <= lo:
                continue
            cand = cand_all[lo:hi]
            cg = ga[cand]
            reps = gsize[cg]
            pair_of = np.repeat(np.arange(len(cand)), reps)
            first = np.cumsum(reps) - reps
            w = np.arange(int(reps.sum()), dtype=np.int64) - np.repeat(first, reps) + np.repeat(gstart[cg], reps)
            ca = np.repeat(a[cand], reps)
            cb = np.repeat(b[cand], reps)
            cmr = cm[cand][pair_of]
            contained = ((cmr & ~M[w]) == 0).all(axis=1) & (w != ca) & (w != cb)
            blocked = np.bincount(pair_of, weights=contained, minlength=len(cand)) > 0
            ok[cand] = ~blocked
            lo = hi
        return zr[a[ok]], zv[a[ok]], zv[b[ok]]


def _next_maps(inet: IntegerNetwork, l: int, maps: np.ndarray, mapid: np.ndarray,
               pats: np.ndarray) -> np.ndarray:
    """Cell maps ``M_l = Wi_l D M_{l-1} + bias`` of all cells in one batched object product.

    ``maps`` is the object array ``(parents, n_{l-1}, d + 1)``; the result is
    ``(cells, n_l, d + 1)``.
    """
    d = inet.d
    bias = np.array([c * inet.S[l - 1] for c in inet.b[l]], dtype=object)
    Mm = np.where(pats[:, :, None], maps[mapid], 0)
    out = _layer_product(inet, l, Mm)
    out[:, :, d] += bias
    return out


_CHUNK_OBJECTS = 1 << 22   # object products held at once by the sparse product


def _sparse_layer(inet: IntegerNetwork, l: int) -> Any:
    """Layer ``l``'s nonzero weights (:meth:`IntegerNetwork.nonzeros`), or None for a dense layer.
    Convolutions, poolings and their max gadgets are sparse: multiplying their dense object
    matrices costs ``n_l n_{l-1}`` products per cell, almost all by zero."""
    if not inet.is_sparse(l):
        return None
    return inet.nonzeros(l)


def _layer_product(inet: IntegerNetwork, l: int, Mm: np.ndarray) -> np.ndarray:
    """``Wi_l @ Mm[c]`` for every cell ``c`` (``Mm``: ``(cells, n_{l-1}, d + 1)`` Python ints).

    Cells that meet a small part of the input space share most rows of ``D M_{l-1}``: only
    the neurons whose hyperplanes cross the part differ (a CNN on a plane window of side
    1/200: 8 rows in 5,408).  So the product is taken once for the first cell, and for the
    others as ``Wi_l Mm[0] + Wi_l (Mm[c] - Mm[0])`` where the difference has few nonzero rows,
    each multiplied by its column of ``Wi_l``.  That is exact integer arithmetic too, and is
    used when it is at most half the work of the plain product.
    """
    cells, n, k = Mm.shape
    m = inet.shapes[l][0]
    full = cells * (inet.nnz(l) if inet.is_sparse(l) else m * n)
    if cells > 1:
        ref = Mm[0]
        c_idx, k_idx = np.nonzero((Mm[1:] != ref[None]).any(axis=2))
        colcount = np.bincount(inet.nonzeros(l)[1], minlength=n)
        if 2 * (int(colcount[k_idx].sum()) + cells * m) <= full:
            return _product_by_differences(inet, l, Mm, c_idx + 1, k_idx, m, _sparse_or_dense(inet, l, ref[None], m))
    return _sparse_or_dense(inet, l, Mm, m)


def _sparse_or_dense(inet: IntegerNetwork, l: int, Mm: np.ndarray, m: int) -> np.ndarray:
    sparse = _sparse_layer(inet, l)
    if sparse is None:
        return np.matmul(inet.Wdense[l], Mm)
    return _sparse_matmul(sparse, Mm, m)


def _product_by_differences(inet: IntegerNetwork, l: int, Mm: np.ndarray, c_idx: np.ndarray, k_idx: np.ndarray,
                            m: int, Y0: np.ndarray) -> np.ndarray:
    """``Wi_l @ Mm[c]`` from ``Y0 = Wi_l @ Mm[0]`` and the rows ``(c_idx, k_idx)`` where ``Mm[c]`` differs
    from ``Mm[0]`` (see :func:`_layer_product`)."""
    cells, n, k = Mm.shape
    ri, ci, vals = inet.nonzeros(l)
    order = np.argsort(ci, kind="stable")              # the weights by column
    crow = ri[order]
    cval = vals[order]
    colcount = np.bincount(ci, minlength=n)
    colptr = np.concatenate(([0], np.cumsum(colcount)))
    out = np.empty((cells, m, k), dtype=object)
    out[...] = Y0
    flat = out.reshape(cells * m, k)
    reps_all = colcount[k_idx]
    cum = np.cumsum(reps_all)
    bounds = np.searchsorted(cum, np.arange(_CHUNK_OBJECTS // k, int(cum[-1]) if len(cum) else 0,
                                            _CHUNK_OBJECTS // k), side="right")
    lo = 0
    for hi in list(np.unique(bounds)) + [len(k_idx)]:
        if hi <= lo:
            continue
        cc, kk, reps = c_idx[lo:hi], k_idx[lo:hi], reps_all[lo:hi]
        lo = hi
        total = int(reps.sum())
        if not total:
            continue
        pair_of = np.repeat(np.arange(len(kk)), reps)
        e = np.repeat(colptr[kk], reps) + np.arange(total) - np.repeat(np.cumsum(reps) - reps, reps)
        delta = Mm[cc, kk, :] - Mm[0][kk, :]                          # pairs x k
        contrib = cval[e][:, None] * delta[pair_of]
        key = cc[pair_of] * m + crow[e]
        o = np.argsort(key, kind="stable")
        key = key[o]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        flat[key[starts]] += np.add.reduceat(contrib[o], starts, axis=0)
    return out


def _sparse_matmul(sparse: Any, Mm: np.ndarray, m: int) -> np.ndarray:
    """``W @ Mm`` over the cells (``Mm``: ``(cells, n, d + 1)`` objects) from W's nonzero entries,
    in chunks of cells so that the products held stay bounded."""
    ri, ci, vals = sparse
    cells, _, k = Mm.shape
    out = np.zeros((cells, m, k), dtype=object)
    out[...] = 0
    if not len(vals):
        return out
    starts = np.flatnonzero(np.r_[True, ri[1:] != ri[:-1]])
    targets = ri[starts]
    step = max(1, _CHUNK_OBJECTS // max(1, len(vals) * k))
    for lo in range(0, cells, step):
        prod = Mm[lo:lo + step][:, ci, :] * vals[None, :, None]
        out[lo:lo + step, targets, :] = np.add.reduceat(prod, starts, axis=1)
    return out
