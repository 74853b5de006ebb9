"""Counting regions cell by cell of the first hidden layer, in parallel if asked.

The activation pattern of the first hidden layer is part of every region's
pattern, so every region lies in exactly one cell of the arrangement of the
first ``k`` neurons of the first layer, whatever ``k``.  The enumeration tree
therefore splits into independent subtrees, one per cell:

1. the cells ``C_1 .. C_m`` of the first ``k`` neurons on the domain are
   enumerated exactly (their irredundant H-representations), ``k`` the least
   giving at least a few cells per worker (a cell is a whole subproblem; many
   tiny ones would cost more in set-up than they save);
2. each cell is enumerated as a domain of its own by the vertex engine, on a
   process pool or any :class:`concurrent.futures.Executor` (for a cluster, a
   ``dask.distributed`` client's ``get_executor()``);
3. the counts add up: activation regions and bounded regions are sums.  Affine
   pieces are connected across facets, so pieces that meet on a cell boundary
   are joined: regions are face-to-face across facets (:mod:`cpa.regions._cells`),
   so two regions of different cells are adjacent iff they have a facet with
   the same exact vertex set, and their pieces join iff their exact output maps
   are equal.

An unbounded domain is first cut to the box ``[-R, R]^d`` with ``R`` from
:func:`cpa.polytope.radius_bound` (it holds every vertex any region
can have), the same box for every cell, so facet vertex sets agree across
cells; a region is unbounded iff it has a vertex on that box.

Each worker holds one cell's regions at a time, so the peak memory is that of
the largest cell rather than of the whole complex.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, ProcessPoolExecutor
from fractions import Fraction
from typing import Any, Callable, Iterable, NamedTuple

from ..domains import Box, Polyhedron, Reals
from ..network import ReLUNetwork
from ._adjacency import UnionFind
from ._exact import IntegerNetwork
from ..polytope import integer_row, radius_bound

__all__ = ["count_by_first_layer_cells"]

Cell = tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...], tuple[bool, ...]]   # A, b, split row?


class CellCount(NamedTuple):
    """What a worker reports for one first-layer cell."""

    regions: int                      # activation regions in the cell
    bounded: int                      # of which bounded
    pieces: int                       # affine pieces inside the cell (labels 0 .. pieces - 1)
    piece_keys: dict[int, Any]        # label -> (map hash, packed pattern) of a region of the piece
    boundary_facets: list[Any]        # (vertex set, label) of facets on the cell's splitting rows
    records: list[dict[str, Any]]     # the regions as records, when asked for


def _first_layer_cells(net: ReLUNetwork, domain: Box | Polyhedron | Reals, target: int
                       ) -> tuple[list[Cell], int | None]:
    """H-representations of the cells of the first ``k`` neurons on ``domain`` (cut to
    ``[-R, R]^d`` when unbounded; ``k`` the least giving ``target`` cells, or the whole first
    layer), and ``R`` (None for a bounded domain)."""
    from ._cells import vertex_backend

    first_layer = net.affine_layers[0]       # sparse: never densify the later (maybe wide) layers
    W, b = first_layer.W.to_dense(), first_layer.b
    d = net.input_dim
    R: int | None = None
    extra_A: list[tuple[Fraction, ...]] = []
    extra_b: list[Fraction] = []
    if not domain.is_bounded:
        A0, b0 = domain.constraints()
        rows = [integer_row(list(a) + [-c]) for a, c in zip(A0, b0)]
        R = radius_bound(rows + [(IntegerNetwork(net).coefficient_bound(),)], d)
        for i in range(d):
            for s in (1, -1):
                e = [Fraction(0)] * d
                e[i] = Fraction(s)
                extra_A.append(tuple(e))
                extra_b.append(Fraction(R))
    for k in range(1, len(W) + 1):
        first = ReLUNetwork([(W[:k], b[:k]), ([[1] * k], [0])])
        cx = vertex_backend(first, domain)
        if len(cx) >= target:
            break
    splitting = {_direction(list(W[i]) + [-b[i]]) for i in range(k)}
    cells = []
    for i in range(len(cx)):
        A, c = cx.hrep(i)
        split = tuple(_direction(list(a) + [v]) in splitting for a, v in zip(A, c))
        cells.append((tuple(A) + tuple(extra_A), tuple(c) + tuple(extra_b), split + (False,) * len(extra_A)))
    return cells, R


def _direction(row: list[Fraction]) -> tuple[int, ...] | None:
    """The hyperplane ``a . x = beta`` of a row ``(a, beta)`` up to a nonzero factor (None if a = 0)."""
    r = integer_row(row)
    lead = next((v for v in r[:-1] if v), 0)
    if not lead:
        return None
    return r if lead > 0 else tuple(-v for v in r)


_P = (1 << 61) - 1     # a prime: ranks mod _P certify full rank cheaply


def _is_facet(points: list[tuple[int, ...]], points_mod: list[tuple[int, ...]], d: int) -> bool:
    """Whether homogeneous points of one hyperplane span a (d-1)-dimensional affine set, i.e. have
    rank ``d`` (they lie in a d-dimensional linear space, so the rank is at most ``d``).

    Exact: the rank modulo a prime is at most the rational rank, so rank ``d`` mod ``_P`` proves
    it; otherwise the rank is computed over the integers (python-flint).
    """
    import flint

    if len(points) < d:
        return False
    if flint.nmod_mat([list(P) for P in points_mod], _P).rank() == d:
        return True
    return flint.fmpz_mat([list(P) for P in points]).rank() == d


def _pack(pattern: tuple[tuple[bool, ...], ...]) -> tuple[int, ...]:
    return tuple(sum(1 << k for k, a in enumerate(layer) if a) for layer in pattern)


def _record(back: Any, i: int, bounded: bool, checker: Any) -> dict[str, Any]:
    """One region as a JSON-ready record (exact "p/q" strings).  With a ``checker``
    (:mod:`cpa.regions.certificate`) the region is checked completely here, in the worker, and the
    record carries its exact ``volume`` (inside the enclosing box when unbounded) for the caller's
    volume sum."""
    from ..errors import CertificateError
    from .complex import region_record

    pattern = back.pattern(i)
    w = back.witness(i)
    A, c = back.affine_map(i)
    rec = region_record(pattern, w, (A, c), None, bounded)
    if checker is not None:
        fail, vol = checker.region(pattern, w, back.hrep(i), (A, c), bounded)
        if fail is not None:   # pragma: no cover - would be a bug in an engine
            raise CertificateError(f"the certificate of the region with pattern {rec['pattern']} does not hold: "
                                   f"{fail}; please report", reason=fail)
        rec["volume"] = str(vol)
    return rec


def _count_cells(doc: list[tuple[Any, Any]], cells: list[Cell], R: int | None, records: bool = False,
                 certify: Any = None) -> list[CellCount]:
    """Worker: per cell ``(regions, bounded, pieces, piece keys, boundary facets, records)``.

    ``boundary facets`` lists ``(vertex set, local piece)`` for every splitting hyperplane on
    which a region has at least ``d`` vertices (a facet iff they span rank ``d``, which the
    caller checks only for the rare pairs whose maps could join);
    ``piece keys`` gives those local pieces a key ``(map hash, packed pattern of a region)``:
    equal maps have equal hashes, and the pattern lets the caller confirm equality exactly.
    ``records`` (when asked) holds one :func:`_record` per region.
    """
    from ._cells import VertexCells
    from ._vertex import enumerate_vertex

    net = ReLUNetwork(doc)
    d = net.input_dim
    checker = None
    if certify is not None:                 # the original domain: regions are checked against it
        from .certificate import _Checker

        checker = _Checker(net, certify)
    out = []
    for A, c, split in cells:
        res = enumerate_vertex(net, Polyhedron(A, c, dim=d))
        back = VertexCells(res)
        n = len(back)
        labels = back.piece_labels().tolist()
        hashes = res.out_map_hashes()
        coords, masks = res.coords, res.masks
        first_row_bit = 2 * d           # the engine's artificial box takes the first 2 d bits
        split_bit = [first_row_bit + k for k, f in enumerate(split) if f]
        split_mask = sum(1 << b for b in split_bit)
        bounded = 0
        facets = []
        keys: dict[int, Any] = {}
        recs = []
        for i in range(n):
            V = res.cell_verts(i)
            is_bounded = R is None or not any(abs(x) == R * P[-1] for v in V for P in (coords[v],) for x in P[:-1])
            bounded += is_bounded
            if records:
                recs.append(_record(back, i, is_bounded, checker))
            touched = 0
            for v in V:
                touched |= masks[v]
            touched &= split_mask
            emitted: set[frozenset] = set()
            for b in split_bit:
                if not (touched >> b) & 1:
                    continue
                on = frozenset(coords[v] for v in V if (masks[v] >> b) & 1)
                if len(on) >= d and on not in emitted:   # maybe a facet: the caller checks the rank
                    emitted.add(on)                      # if it matters; once per region
                    facets.append((on, labels[i]))
                    if labels[i] not in keys:
                        h = tuple(hashes[i].tolist()) if hashes is not None else back.map_key(i)
                        keys[labels[i]] = (h, _pack(back.pattern(i)))
        out.append(CellCount(n, bounded, max(labels) + 1 if labels else 0, keys, facets, recs))
    return out


def _batches(cells: list[Cell], k: int) -> list[list[Cell]]:
    """``cells`` in ``k`` round-robin batches (neighbouring cells have similar sizes)."""
    return [b for b in (cells[i::k] for i in range(k)) if b]


def count_by_first_layer_cells(net: ReLUNetwork, domain: Box | Polyhedron | Reals, *,
                               workers: int | None = None, executor: Executor | None = None,
                               progress: bool = False,
                               on_records: Callable[[list[dict[str, Any]]], None] | None = None,
                               certify: bool = False) -> tuple[int, int, int]:
    """``(activation regions, affine pieces, bounded regions)`` of ``net`` on ``domain``.

    With ``on_records``, every region is also passed on as a record (pattern, exact witness and
    affine map as "p/q" strings, bounded flag; ``piece`` is None, pieces being global), one
    list per cell, as soon as its batch of cells is done: a listing that streams, with memory
    held for one batch at a time.  ``certify`` checks each region completely in the worker
    (:mod:`cpa.regions.certificate`) and adds its exact ``volume`` to the record, so that the caller
    can finish the complete certificate (distinct patterns, volumes summing to the domain's) with a
    :class:`~cpa.regions.certificate.CertificateBuilder`.

    See the module docstring.  ``executor`` (any :class:`concurrent.futures.Executor`)
    runs the cells; otherwise ``workers`` processes (default: the CPU count) do, or
    this process when ``workers == 1``.  Those processes are stopped at once (not after their
    running cells) when this function is left by an exception; a ``KeyboardInterrupt`` then
    carries ``partial_regions`` (regions of the cells done), ``cells_done`` and ``cells``.
    """
    n_workers = workers or getattr(executor, "_max_workers", None) or os.cpu_count() or 1
    cells, R = _first_layer_cells(net, domain, target=max(8, 4 * n_workers))
    doc = [(L.W, L.b) for L in net.affine_layers]      # sparse exact layers, pickled to the workers
    own_pool = None
    if executor is None and n_workers > 1 and len(cells) > 1:
        own_pool = ProcessPoolExecutor(max_workers=n_workers, initializer=_worker_init, initargs=(os.getpid(),))
        executor = own_pool
    n_jobs = (len(cells) if on_records is not None else 1) if executor is None else \
        min(len(cells), (16 if on_records is not None else 4) * n_workers)
    batches = _batches(cells, max(1, n_jobs))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(cells), desc="regions by cell", unit="cell")
    results: list[CellCount] = []
    want = on_records is not None
    check = domain if certify else None
    try:
        if executor is None:
            parts: Iterable[list[CellCount]] = (_count_cells(doc, b, R, want, check) for b in batches)
        else:
            k = len(batches)
            parts = executor.map(_count_cells, [doc] * k, batches, [R] * k, [want] * k, [check] * k)
        for part in parts:
            for cell in part:
                if on_records is not None:
                    on_records(cell.records)
                results.append(cell._replace(records=[]))
            if bar is not None:
                bar.update(len(part))
    except BaseException as e:       # KeyboardInterrupt (SIGINT, or SIGTERM in the CLI), or an error
        if own_pool is not None:
            _stop_pool(own_pool)
            own_pool = None
        if isinstance(e, KeyboardInterrupt):      # tell the caller how far it got
            e.partial_regions = sum(r.regions for r in results)    # type: ignore[attr-defined]
            e.cells_done, e.cells = len(results), len(cells)  # type: ignore[attr-defined]
        raise
    finally:
        if bar is not None:
            bar.close()
        if own_pool is not None:
            own_pool.shutdown()
    return _combine(net, results)


def _worker_init(parent: int) -> None:
    """Start-up of a pool worker: SIGINT is left to the parent (which stops the pool: a Ctrl-C
    reaches the whole process group), SIGTERM kills (a handler inherited through fork could
    raise in the worker instead), and on Linux the worker is sent SIGTERM if its parent dies
    (``PR_SET_PDEATHSIG``), so a parent killed outright does not leave workers running."""
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)   # PR_SET_PDEATHSIG
        except (OSError, AttributeError):   # pragma: no cover - no prctl
            pass
    if os.getppid() != parent:     # the parent died before prctl took effect
        os._exit(1)


def _stop_pool(pool: ProcessPoolExecutor, grace: float = 1.0) -> None:
    """Stop ``pool`` now: cancel what has not started, terminate the workers (SIGTERM, then SIGKILL
    after ``grace`` seconds) and do not wait for running cells."""
    import time

    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + grace
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():             # pragma: no cover - SIGTERM is not caught in the workers
            p.kill()
            p.join(1.0)


def _combine(net: ReLUNetwork, results: list[CellCount]) -> tuple[int, int, int]:
    """Add the counts and join pieces across cell boundaries (union-find on global piece ids);
    two pieces meeting on a facet join iff their exact output maps are equal (a hash decides
    unequal; equal hashes are confirmed on the exact maps rebuilt from the patterns)."""
    regions = sum(r.regions for r in results)
    bounded = sum(r.bounded for r in results)
    offset = []
    total = 0
    keys: dict[int, Any] = {}
    for r in results:
        offset.append(total)
        keys.update((total + p, k) for p, k in r.piece_keys.items())
        total += r.pieces
    uf = UnionFind(total)
    inet = IntegerNetwork(net)
    exact: dict[tuple[int, ...], Any] = {}

    def exact_map(packed: tuple[int, ...]) -> Any:
        m = exact.get(packed)
        if m is None:
            active = [[k for k in range(w) if (bits >> k) & 1] for w, bits in zip(inet.widths, packed)]
            m = exact[packed] = tuple(inet.cell_maps(active)[-1])
        return m

    # a facet's vertex set is found exactly twice (once from each side); a set of at least d
    # vertices that is not a facet (a lower-dimensional contact) never equals a facet's, and is
    # rejected by the rank test when its two sides' maps agree
    seen: dict[frozenset, int] = {}
    joins = 0
    d = net.input_dim
    for r, off in zip(results, offset):
        for key, p in r.boundary_facets:
            g = off + p
            other = seen.pop(key, None)
            if other is None:
                seen[key] = g
                continue
            (h1, pat1), (h2, pat2) = keys[other], keys[g]
            if h1 == h2 and exact_map(pat1) == exact_map(pat2) and \
                    _is_facet(list(key), [tuple(x % _P for x in P) for P in key], d):
                joins += uf.union(other, g)
    return regions, total - joins, bounded
