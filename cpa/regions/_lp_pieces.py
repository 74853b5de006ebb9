"""Affine pieces from the LP engine's search, holding one small record per region instead of the regions.

An affine piece is a connected union of activation regions on which the
network has one affine map, the regions being joined across shared facets
(as for every engine, :meth:`~cpa.regions.backend.BackendBase.piece_labels`).
Two regions can only be joined when their exact maps are equal, and on the
networks people train almost every map is met once: the regions that share a
map are typically the few where everything downstream of some neuron is
inactive (on ``random_relu_weights([8, 8, 8, 1], seed=7)`` over ``[-1, 1]^8``,
104 of the 8,552 regions, all with the constant output map; on
``[10, 8, 8, 1]`` none).

So while the search runs (:meth:`cpa.regions._lp._Engine.run` with
``keys=True``) each region leaves only the hash of its exact integer output
map, its activation pattern as an integer (one bit per hidden neuron) and
the neurons that split its ancestors (another such integer): about a hundred
bytes, instead of its exact H-representation, map and witness.  When the
search is done, the regions of every hash shared by two or more are rebuilt
from these (the domain's rows and the exact rows of the splitting neurons,
signed by the pattern: the very H-representation the search had, and the
exact map), grouped by their *exact* maps (so a hash collision costs time,
never a wrong join), and joined across the facets they share, found exactly
from their vertices (:class:`~cpa.regions._lp_cells.LPCells`).
The pieces are the regions less the joins that merged two sets.

Memory is that of the search (the open branch) plus the one record per region;
the exact geometry is built only for the regions that share a map.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..domains import Box, Polyhedron, Reals
from ..network import ReLUNetwork
from ..polytope import integer_row
from ._adjacency import UnionFind
from ._exact import IntegerNetwork
from ._shared_facet import sign_free, shares_facet

__all__ = ["PieceKeys", "count_lp_pieces"]


class PieceKeys:
    """The one record per region that affine pieces need: map hash to the patterns having it.

    ``add(h, pattern, splits)`` for every region (``h`` the hash of the exact integer output map,
    ``pattern`` an integer with bit ``i`` set iff hidden neuron ``i``, counted over the layers in
    order, is active, ``splits`` the neurons whose rows bound the region, as bits too);
    :meth:`joins` then counts the merges exactly.
    """

    __slots__ = ("first",)

    def __init__(self) -> None:
        self.first: dict[int, Any] = {}      # hash -> (pattern, splits), or a list of them once shared

    def add(self, h: int, pattern: int, splits: int) -> None:
        got = self.first.get(h)
        if got is None:
            self.first[h] = (pattern, splits)
        elif type(got) is list:
            got.append((pattern, splits))
        else:
            self.first[h] = [got, (pattern, splits)]

    def shared(self) -> list[list[tuple[int, int]]]:
        """The groups of regions whose maps have the same hash (two or more regions each)."""
        return [g for g in self.first.values() if type(g) is list]

    def joins(self, net: ReLUNetwork, domain: Box | Polyhedron | Reals) -> int:
        """How many regions are joined to another one into a piece: the number of regions less
        the number of pieces, decided exactly on the regions that share a map hash."""
        groups = self.shared()
        if not groups:
            return 0
        return sum(_joins(net, domain, g) for g in groups)


def _region_rows(inet: IntegerNetwork, domain_rows: Sequence[tuple[int, ...]], pattern: int,
                 splits: int) -> tuple[tuple[tuple[int, ...], ...], list[tuple[int, ...]], list[tuple[int, ...]]]:
    """A region rebuilt exactly from its pattern and splitting neurons: its exact integer output
    map (rows of :math:`M_L`), its rows ``r`` (``r[:d] . x + r[d] <= 0``: the domain's, then one
    per splitting neuron, ``-z`` when active and ``z`` when not, the search's own rows) and the
    pre-activation rows of every hidden neuron on it, in order."""
    active = []
    i = 0
    for w in inet.widths:
        active.append([k for k in range(w) if pattern >> (i + k) & 1])
        i += w
    maps = inet.cell_maps(active)
    rows = list(domain_rows)
    neurons = []
    i = 0
    for layer, M in zip(active, maps):
        on = set(layer)
        for k, row in enumerate(M):
            row = tuple(row)
            neurons.append(row)
            if splits >> i & 1:
                rows.append(tuple(-v for v in row) if k in on else row)
            i += 1
    return tuple(maps[-1]), rows, neurons


def _domain_rows(domain: Box | Polyhedron | Reals) -> list[tuple[int, ...]]:
    A, b = domain.constraints()
    return [integer_row(list(a) + [-c]) for a, c in zip(A, b) if any(a)]


def _joins(net: ReLUNetwork, domain: Box | Polyhedron | Reals, group: Sequence[tuple[int, int]]) -> int:
    """Regions of one map hash joined into pieces: for each exact map, the pairs of regions that
    may share a facet on a hyperplane ``H`` among their splitting rows are tested for it
    (:func:`~cpa.regions._shared_facet.shares_facet`), skipping pairs already joined.

    A pair may share a facet on ``H`` only if every neuron where their patterns differ has, on
    each of the two regions, a pre-activation that vanishes on ``H`` (a multiple of ``H``'s row)
    or is identically zero: at a point of the facet's relative interior off every other
    hyperplane, such a neuron is ``>= 0`` on one side and ``<= 0`` on the other, so it is zero
    there, and its affine pre-activation on either region can only vanish there by vanishing on
    all of ``H``.  On generic networks this leaves the pairs that differ in one neuron."""
    from ._float_lp import _quiet_highs

    inet = IntegerNetwork(net)
    d = inet.d
    dom_rows = _domain_rows(domain)
    n_dom = len(dom_rows)
    by_map: dict[Any, list[tuple[int, list[tuple[int, ...]], list[tuple[int, ...]]]]] = {}
    for p, s in group:
        out, rows, neurons = _region_rows(inet, dom_rows, p, s)
        by_map.setdefault(out, []).append((p, rows, neurons))
    highs = None
    joined = 0
    for regs in by_map.values():            # exact maps: a hash collision splits here
        if len(regs) < 2:
            continue
        buckets: dict[tuple[int, ...], list[tuple[int, int]]] = {}   # H -> (region, neurons that may flip)
        for i, (p, rows, neurons) in enumerate(regs):
            keys = [sign_free(r) for r in neurons]
            zero = 0
            for j, r in enumerate(neurons):
                if not any(r):
                    zero |= 1 << j
            for key in {sign_free(r) for r in rows[n_dom:] if any(r[:d])}:
                flip = zero | sum(1 << j for j, k in enumerate(keys) if k == key)
                buckets.setdefault(key, []).append((i, flip))
        uf = UnionFind(len(regs))
        for key, members in buckets.items():
            # a pair differs only in neurons of fa & fb, a subset of the bucket's union U of
            # flip sets: so it agrees off U, and only members with one pattern off U are paired
            U = 0
            for _, f in members:
                U |= f
            same_off_U: dict[int, list[tuple[int, int]]] = {}
            for a, fa in members:
                same_off_U.setdefault(regs[a][0] & ~U, []).append((a, fa))
            for part in same_off_U.values():
                for x in range(len(part)):
                    a, fa = part[x]
                    for y in range(x + 1, len(part)):
                        b, fb = part[y]
                        if (regs[a][0] ^ regs[b][0]) & ~(fa & fb) or uf.find(a) == uf.find(b):
                            continue
                        if highs is None:
                            highs = _quiet_highs()
                        if shares_facet(regs[a][1] + regs[b][1][n_dom:], key, d, highs):
                            joined += uf.union(a, b)
    return joined


def count_lp_pieces(net: ReLUNetwork, domain: Box | Polyhedron | Reals, *, stats: dict | None = None,
                    max_regions: int | None = None, on_progress: Callable[[int, float], None] | None = None,
                    every: float = 10.0) -> tuple[int, int, int]:
    """``(activation regions, affine pieces, bounded regions)`` of ``net`` on ``domain`` by the LP
    engine's search, with the pieces from one record per region (see the module docstring).

    ``max_regions`` stops with :class:`~cpa.errors.EnumerationLimitError` past that many regions;
    ``on_progress(regions, seconds)`` is called every ``every`` seconds; a KeyboardInterrupt
    carries ``partial_regions``, the regions counted so far (each one certified; the pieces are
    not known until the search ends)."""
    from ._lp import _Engine, tally

    eng = _Engine(net, domain, stats)
    keys = PieceKeys()
    nb = 0

    def add(item: tuple[bool, int, tuple[tuple[int, ...], ...], int]) -> None:
        nonlocal nb
        bounded, pattern, out, splits = item
        nb += bounded
        keys.add(hash(out), pattern, splits)

    n = tally(eng.run(full=False, keys=True), add, max_regions, on_progress, every)
    return n, n - keys.joins(net, domain), nb
