"""Counting with the LP engine as budgeted tasks: on many processes, on any executor, and resumable.

A *task* is a cell of the search: the domain cut by some exact rows, with an
exact witness strictly inside.  A worker runs the LP engine's depth-first
search (:mod:`cpa.regions._lp`) on its cell for at most ``budget`` regions.
If the cell holds more, the search stops there and hands back its unexplored
frontier, the pending siblings of its open branch (at most one per hidden
neuron), as new cells; the regions it found and the regions of the new cells
are exactly the regions of the cell, because the explored leaves and the
pending siblings partition the cell into pieces with disjoint interiors.  This
is the work-budget scheme of mplrs (Avis and Jordan) applied to the activation
search tree: a subtree that turns out to be a thousand times larger than its
siblings is cut into tasks as it goes, so the load stays balanced however
uneven the tree is, and no task runs longer than its budget.

The first task (the whole domain) gets a small budget, so that its frontier
fills the workers at once; after that a task's budget is ``budget`` while the
queue holds enough work, and small again when it runs dry.  The count is the
same whatever the number of workers, the budgets and the order of completion.

With ``checkpoint=DIR`` the state is written to ``DIR/lp-count.json`` after
every finished task (atomically: a temporary file renamed over the old one):
the regions counted so far and the cells not yet finished (queued or
running), together with a fingerprint of the network and the domain.  A run
killed at any moment resumes from there: a cell's regions are added to the
count in the same write that removes the cell and adds its frontier, so no
region is lost or counted twice.

References
----------
D. Avis and C. Jordan, *mplrs: A scalable parallel vertex/facet enumeration
code*, Mathematical Programming Computation 10 (2018), 267-302.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from fractions import Fraction
from typing import Any, Callable, Sequence

from ..domains import Box, Polyhedron, Reals
from ..network import ReLUNetwork

__all__ = ["count_lp_by_tasks", "DEFAULT_BUDGET"]

_FILE = "lp-count.json"
DEFAULT_BUDGET = 8000       # regions per task: about a second of search at d = 8 (dask costs ~20 ms a task)
_FIRST_BUDGET = 32          # the first tasks: hand a frontier back soon, to fill the workers

Cell = tuple[tuple[tuple[int, ...], ...], tuple[int, ...] | None]   # (rows, homogeneous witness)


def _cell_domain(domain: Box | Polyhedron | Reals, rows: Sequence[Sequence[int]], d: int) -> Polyhedron:
    """The polyhedron of a cell: the domain's rows (a box's are kept by the engine's ``bbox``
    instead) and the cell's rows ``r[:d] . x + r[d] <= 0``."""
    A: list[Any] = [] if isinstance(domain, (Box, Reals)) else list(domain.A)
    b: list[Any] = [] if isinstance(domain, (Box, Reals)) else list(domain.b)
    for r in rows:
        A.append(r[:d])
        b.append(-r[d])
    return Polyhedron(A, b, dim=d)


def _run_task(layers: list[Any], domain: Box | Polyhedron | Reals, bbox: Any, cell: Cell,
              budget: int | None, keys: int | None = None
              ) -> tuple[int, int, list[Cell], list[tuple[int, int, int]], list[int]]:
    """Worker: ``(regions, bounded regions, frontier, records, frontier neurons)`` of the network
    in one cell, searched for at most ``budget`` regions (then the frontier holds the cells left
    to search).  With ``keys`` (the neurons that gave the cell's rows, as bits), ``records``
    holds each region's ``(map hash, pattern, splitting neurons)`` for
    :class:`~cpa.regions._lp_pieces.PieceKeys`, the cell's neurons counted among the splitting
    ones, and ``frontier neurons`` the same bits for each frontier cell."""
    from ._lp import Frontier, _Engine

    net = ReLUNetwork(layers)
    d = net.input_dim
    rows, hom = cell
    if hom is None:
        eng = _Engine(net, domain, None)
    else:
        witness = [Fraction(v, hom[d]) for v in hom[:d]]
        eng = _Engine(net, _cell_domain(domain, rows, d), None, witness=witness, bbox=bbox)
    n = nb = 0
    frontier: list[Cell] = []
    records: list[tuple[int, int, int]] = []
    masks: list[int] = []
    for item in eng.run(full=False, budget=budget, keys=keys is not None):
        if isinstance(item, Frontier):
            frontier = [(tuple(rows) + tuple(extra), w) for extra, w in item.cells]
            masks = [m | (keys or 0) for m in item.neurons]
        elif keys is not None:
            bounded, pattern, out, splits = item
            n += 1
            nb += bounded
            records.append((hash(out), pattern, splits | keys))
        else:
            n += 1
            nb += item
    return n, nb, frontier, records, masks


def _bbox(domain: Box | Polyhedron | Reals) -> Any:
    """A box holding the domain (exact), or None if it is unbounded."""
    if isinstance(domain, Box):
        return tuple(domain.lo), tuple(domain.hi)
    if isinstance(domain, Polyhedron) and domain.is_bounded:
        vs = domain.vertices()
        d = domain.dim
        return tuple(min(v[k] for v in vs) for k in range(d)), tuple(max(v[k] for v in vs) for k in range(d))
    return None


def _fingerprint(net: ReLUNetwork, domain: Any) -> str:
    from ..io import to_json

    h = hashlib.sha256(to_json(net).encode())
    h.update(repr(domain).encode())
    return h.hexdigest()


def _load(path: str, key: str) -> tuple[list[int], list[Cell]] | None:
    from ..errors import FormatError

    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        if not isinstance(doc, dict) or doc.get("fingerprint") != key:
            raise FormatError(f"checkpoint {path!r} belongs to another network or domain; use another folder "
                              f"or remove it")
        counted = [int(doc["counted"][0]), int(doc["counted"][1])]
        cells = [(tuple(tuple(int(v) for v in r) for r in rows), None if w is None else tuple(int(v) for v in w))
                 for rows, w in doc["pending"]]
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        raise FormatError(f"checkpoint {path!r} cannot be read ({type(e).__name__}: {e}); remove it to start "
                          f"again") from None
    return counted, cells


def _save(path: str, key: str, counted: list[int], pending: list[Cell], tasks_done: int) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"fingerprint": key, "counted": counted, "tasks_done": tasks_done,
                   "pending": [[[list(r) for r in rows], None if w is None else list(w)] for rows, w in pending]}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def count_lp_by_tasks(net: ReLUNetwork, domain: Box | Polyhedron | Reals, *, workers: int | None = None,
                      executor: Executor | None = None, checkpoint: str | os.PathLike[str] | None = None,
                      budget: int | None = None,
                      on_task: Callable[[int, int, int], None] | None = None,
                      keys: Any = None) -> tuple[int, int]:
    """``(activation regions, bounded regions)`` of ``net`` on ``domain`` by budgeted tasks (see
    the module docstring).

    Parameters
    ----------
    net, domain
        The network and its domain (:class:`~cpa.domains.Box`, :class:`~cpa.domains.Polyhedron`
        or :class:`~cpa.domains.Reals`).
    workers
        Processes to start (None or 1 with no ``executor``: this process).
    executor
        Any :class:`concurrent.futures.Executor` (a dask client's ``get_executor()``).
    checkpoint
        A folder for the resumable state.
    budget
        Regions a task searches before handing its frontier back (default
        :data:`DEFAULT_BUDGET`).
    on_task
        Called as ``on_task(regions counted, tasks done, tasks pending)`` after every task.
    keys
        A :class:`~cpa.regions._lp_pieces.PieceKeys` to receive every region's record, for the
        affine pieces (not with ``checkpoint``: the records are not saved).
    """
    if keys is not None and checkpoint is not None:
        raise ValueError("count_lp_by_tasks: records for the pieces are not checkpointed")
    budget = budget or DEFAULT_BUDGET
    n_workers = workers or getattr(executor, "_max_workers", None) or 1
    layers = [(L.W, L.b) for L in net.affine_layers]
    bbox = _bbox(domain)
    counted = [0, 0]
    pending: list[Cell] = [((), None)]
    path = key = None
    tasks_done = 0
    if checkpoint is not None:
        os.makedirs(checkpoint, exist_ok=True)
        path = os.path.join(os.fspath(checkpoint), _FILE)
        key = _fingerprint(net, domain)
        state = _load(path, key)
        if state is not None:
            counted, pending = state
    queue = deque(pending)
    running: dict[Any, Cell] = {}

    def budget_now() -> int:
        return budget if len(queue) >= 2 * n_workers else min(budget, _FIRST_BUDGET * n_workers)

    cell_neurons: dict[Cell, int] = {((), None): 0}     # with keys: the neurons of each cell's rows

    def finish(cell: Cell, result: tuple[int, int, list[Cell], list[tuple[int, int, int]], list[int]]) -> None:
        nonlocal tasks_done
        n, nb, frontier, records, masks = result
        if keys is not None:
            for h, pattern, splits in records:
                keys.add(h, pattern, splits)
            cell_neurons.pop(cell, None)
            cell_neurons.update(zip(frontier, masks))
        counted[0] += n
        counted[1] += nb
        queue.extend(frontier)
        tasks_done += 1
        if path is not None:
            _save(path, key, counted, [*running.values(), *queue], tasks_done)   # type: ignore[arg-type]
        if on_task is not None:
            on_task(counted[0], tasks_done, len(queue) + len(running))

    own_pool = None
    if executor is None and n_workers > 1:
        from ._split import _worker_init

        own_pool = ProcessPoolExecutor(max_workers=n_workers, initializer=_worker_init, initargs=(os.getpid(),))
        executor = own_pool
    try:
        if executor is None:
            # one process: without a checkpoint there is nothing to hand back to
            one_budget = None if path is None and on_task is None else budget
            while queue:
                cell = queue.popleft()
                running[0] = cell
                result = _run_task(layers, domain, bbox, cell, one_budget,
                                   cell_neurons[cell] if keys is not None else None)
                del running[0]
                finish(cell, result)
        else:
            futures: dict[Future, Cell] = {}
            while queue or futures:
                while queue and len(futures) < 2 * n_workers:
                    cell = queue.popleft()
                    fut = executor.submit(_run_task, layers, domain, bbox, cell, budget_now(),
                                          cell_neurons[cell] if keys is not None else None)
                    futures[fut] = cell
                    running[fut] = cell
                done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
                for fut in done:
                    cell = futures.pop(fut)
                    result = fut.result()
                    del running[fut]
                    finish(cell, result)
    except BaseException:
        if own_pool is not None:
            from ._split import _stop_pool

            _stop_pool(own_pool)
            own_pool = None
        raise
    finally:
        if own_pool is not None:
            own_pool.shutdown()
    return counted[0], counted[1]
