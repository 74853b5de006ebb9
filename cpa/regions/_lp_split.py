"""Counting with the LP engine cell by cell: on many processes, on any executor, and resumable.

The domain is cut into the cells of the first ``k`` neurons of the first hidden
layer (``k`` the least giving at least ``target`` cells, or the whole layer),
found exactly by the LP engine itself on the truncated network.  Every
activation region of the network lies in exactly one cell (its first ``k``
signs are those of the cell), so the counts of the cells add up: each cell is
an independent task, counted by :func:`cpa.regions._lp.count_lp` on the cell
as a polyhedral domain.  Tasks run in this process, on ``workers`` processes,
or on any :class:`concurrent.futures.Executor` (a ``dask.distributed`` client's
``get_executor()`` for a cluster).

With ``checkpoint=DIR`` the count of every finished cell is written to
``DIR/lp-count.json`` (atomically: a temporary file renamed over the old one)
together with a fingerprint of the network, the domain and the cells.  A run
killed at any moment resumes from there and counts only the cells not yet
done: no region is lost or counted twice, because a cell's count is recorded
only once it is complete.

The cells come from a depth-first search, which is deterministic, so a resumed
run makes the same cells in the same order (the fingerprint checks it).
Load balance comes from having several cells per worker; a cell much harder
than the others is not split further (a work budget per task, as mplrs does,
is the next step).
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from typing import Any, Callable

from ..domains import Box, Polyhedron, Reals
from ..network import ReLUNetwork

__all__ = ["count_lp_by_cells"]

_FILE = "lp-count.json"


def _cells(net: ReLUNetwork, domain: Box | Polyhedron | Reals, target: int) -> tuple[int, list[Any]]:
    """``(k, cells)`` of the first ``k`` neurons on ``domain``: each cell its exact H-representation
    ``(A, b)`` and witness (an exact interior point, small, from the search)."""
    from ._lp import iter_lp_regions

    first = net.affine_layers[0]
    n = first.output_dim
    cells: list[Any] = []
    for k in range(1, n + 1):
        sub = ReLUNetwork([(first.W.select_rows(range(k)), first.b[:k]), ([[0] * k], [0])])
        cells = [(r.hrep[0], r.hrep[1], r.witness) for r in iter_lp_regions(sub, domain)]
        if len(cells) >= target:
            return k, cells
    return n, cells


def _count_cell(layers: list[Any], A: Any, b: Any, witness: Any, bbox: Any, d: int) -> tuple[int, int]:
    """Worker: ``(regions, bounded regions)`` of the network in one cell.  The cell's own witness
    and the domain's box (which holds the cell) spare the engine computing them from the cell's
    vertices, whose coordinates are large rationals."""
    from ._lp import count_lp

    return count_lp(ReLUNetwork(layers), Polyhedron(A, b, dim=d), witness=witness, bbox=bbox)


def _fingerprint(net: ReLUNetwork, domain: Any, k: int, cells: list[Any]) -> str:
    from ..io import to_json

    h = hashlib.sha256(to_json(net).encode())
    h.update(repr(domain).encode())
    h.update(repr((k, [(tuple(map(tuple, A)), tuple(b)) for A, b, _ in cells])).encode())
    return h.hexdigest()


def _load(path: str, key: str) -> dict[str, list[int]]:
    from ..errors import FormatError

    if not os.path.exists(path):
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as e:
        raise FormatError(f"checkpoint {path!r} cannot be read ({e}); remove it to start again") from None
    if not isinstance(doc, dict) or doc.get("fingerprint") != key or not isinstance(doc.get("done"), dict):
        raise FormatError(f"checkpoint {path!r} belongs to another network, domain or split; use another "
                          f"folder or remove it")
    return {str(i): list(v) for i, v in doc["done"].items()}


def _save(path: str, key: str, cells: int, done: dict[str, list[int]]) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"fingerprint": key, "cells": cells, "done": done}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def count_lp_by_cells(net: ReLUNetwork, domain: Box | Polyhedron | Reals, *, workers: int | None = None,
                      executor: Executor | None = None, checkpoint: str | os.PathLike[str] | None = None,
                      on_cell: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """``(activation regions, bounded regions)`` of ``net`` on ``domain``, cell by cell (see the
    module docstring).  ``on_cell(done, total)`` is called after every finished cell."""
    n_workers = workers or getattr(executor, "_max_workers", None) or 1
    k, cells = _cells(net, domain, target=max(8, 4 * n_workers))
    done: dict[str, list[int]] = {}
    path = key = None
    if checkpoint is not None:
        os.makedirs(checkpoint, exist_ok=True)
        path = os.path.join(os.fspath(checkpoint), _FILE)
        key = _fingerprint(net, domain, k, cells)
        done = _load(path, key)
    todo = [i for i in range(len(cells)) if str(i) not in done]
    layers = [(L.W, L.b) for L in net.affine_layers]
    d = net.input_dim
    bbox = (tuple(domain.lo), tuple(domain.hi)) if isinstance(domain, Box) else None

    def finish(i: int, result: tuple[int, int]) -> None:
        done[str(i)] = [int(result[0]), int(result[1])]
        if path is not None:
            _save(path, key, len(cells), done)      # type: ignore[arg-type]
        if on_cell is not None:
            on_cell(len(done), len(cells))

    own_pool = None
    if executor is None and n_workers > 1 and len(todo) > 1:
        from ._split import _worker_init

        own_pool = ProcessPoolExecutor(max_workers=n_workers, initializer=_worker_init, initargs=(os.getpid(),))
        executor = own_pool
    try:
        if executor is None:
            for i in todo:
                A, b, w = cells[i]
                finish(i, _count_cell(layers, A, b, w, bbox, d))
        else:
            futures = {executor.submit(_count_cell, layers, *cells[i], bbox, d): i for i in todo}
            for fut in as_completed(futures):
                finish(futures[fut], fut.result())
    except BaseException:
        if own_pool is not None:
            from ._split import _stop_pool

            _stop_pool(own_pool)
            own_pool = None
        raise
    finally:
        if own_pool is not None:
            own_pool.shutdown()
    return sum(v[0] for v in done.values()), sum(v[1] for v in done.values())
