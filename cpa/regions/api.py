"""Public entry points: :func:`regions` and :func:`count_regions`.

Both are exact and certified.  The engines are the rows of
:data:`cpa.regions.engines.ENGINES`:

* ``"line"`` (``d = 1``): breakpoint propagation on homogeneous integer points
  (:mod:`cpa.regions._line`), fast enough for 2^20 regions;
* ``"polygon"`` (``d = 2``): exact polygon splitting (:mod:`cpa.regions._polygon`),
  an independent implementation used to cross-check the general engine;
* ``"vertex"`` (any ``d``): vertex-based layer-wise refinement
  (:mod:`cpa.regions._vertex`) with a certified float64 filter and exact fallback;
* ``"lp"`` (any ``d``): depth-first search with float LPs whose every answer is
  certified exactly (:mod:`cpa.regions._lp`), in memory that does not grow with
  the number of regions.

``method="auto"`` takes the line engine for ``d = 1`` and the vertex engine
otherwise, except that counts without pieces (``count_regions(..., pieces=False)``)
take the LP engine from ``d = 8`` on (measured crossover, see
:data:`cpa.regions.engines.AUTO_LP_FROM_DIM`); a named method forces an engine
(tests compare them).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import numbers
import time
from fractions import Fraction
from typing import Any, Callable, Iterator, NamedTuple

from ..domains import Box, Polyhedron, Reals, as_domain
from ..errors import ArgumentError, ArgumentTypeError, DomainError
from ..network import ReLUNetwork
from ..slices import Path, Plane, Segment
from ..affine import Affine
from ..sparse import SparseMatrix
from .complex import RegionComplex, RegionCount, region_record
from .engines import engine_for, method_names

__all__ = ["regions", "count_regions", "iter_regions", "FoundRegion"]

_log = logging.getLogger("cpa")



def _as_network(net: Any) -> ReLUNetwork:
    if isinstance(net, ReLUNetwork):
        return net
    if isinstance(net, (str, bytes, dict)) or not hasattr(net, "__iter__"):
        raise ArgumentTypeError(f"net must be a ReLUNetwork or a sequence of (W, b) layers, "
                                f"got {type(net).__name__}")
    return ReLUNetwork(net)


def _resolve_slice(net: ReLUNetwork, domain: Any) -> tuple[ReLUNetwork, Any, Plane | Segment | None]:
    """For a :class:`~cpa.slices.Plane` or :class:`~cpa.slices.Segment` domain: the network on the
    slice's coordinates (``net @ slice.affine``, exact), the slice's box and the slice; any other
    domain comes back unchanged with None."""
    if isinstance(domain, (Plane, Segment)):
        if domain.dim != net.input_dim:
            raise DomainError(f"the {type(domain).__name__.lower()} lies in R^{domain.dim} but the network "
                              f"has input dimension {net.input_dim}")
        return net @ domain.affine, domain.domain, domain
    if isinstance(domain, Path):
        raise DomainError("a Path is only piecewise affine, not a domain for regions; walk it with "
                          "cpa.breakpoints(net, path), or pass one of its segments (path.segments[i])")
    return net, domain, None


def positive_int(value: Any, name: str, unit: str = "") -> int | None:
    """``value`` as an int when it is None or a positive integer; otherwise
    :class:`~cpa.errors.ArgumentTypeError` (a bool, float, string, ...) or
    :class:`~cpa.errors.ArgumentError` (zero, negative), each naming ``name``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        what = "NaN" if isinstance(value, float) and math.isnan(value) else repr(value)
        raise ArgumentTypeError(f"{name} must be a positive integer{unit} or None, got {what} "
                                f"({type(value).__name__})")
    if value < 1:
        raise ArgumentError(f"{name} must be a positive integer{unit}, got {value}")
    return int(value)


def _check_method(method: Any) -> str:
    if not isinstance(method, str):
        raise ArgumentTypeError(f"method must be a string, one of {', '.join(method_names())}; "
                                f"got {type(method).__name__}")
    if method not in method_names():
        raise ArgumentError(f"method must be one of {', '.join(method_names())}, got {method!r}")
    return method


def regions(net: Any, domain: Box | Polyhedron | Reals | Plane | Segment | tuple | None = None, *,
            max_regions: int | None = None, progress: bool = False, method: str = "auto",
            max_memory: int | None = None) -> RegionComplex:
    """Enumerate the activation regions of a ReLU network exactly.

    Parameters
    ----------
    net
        A :class:`~cpa.network.ReLUNetwork` (or layers accepted by its constructor).
    domain
        :class:`~cpa.domains.Box`, :class:`~cpa.domains.Polyhedron`, :class:`~cpa.domains.Reals`,
        a ``(lo, hi)`` pair, or None for all of ``R^d``; or a :class:`~cpa.slices.Plane` or
        :class:`~cpa.slices.Segment` of ``R^d``: the regions of the network restricted to the slice,
        ``net @ slice.affine`` on ``slice.domain`` (exact), in slice coordinates ``(s, t)`` (or
        ``t``); ``slice.to_input`` maps a witness or vertex back to ``R^d``, and the complex keeps
        the slice as ``cx.slice``.
    max_regions
        Stop with :class:`~cpa.errors.EnumerationLimitError` (carrying the partial count)
        once more regions than this are certain.
    progress
        Show a tqdm progress bar (the library never prints otherwise).
    method
        ``"auto"`` (default: line for d = 1, vertex otherwise), ``"line"`` (d = 1 only),
        ``"polygon"`` (d = 2 only), ``"vertex"`` or ``"lp"`` (any d).
    max_memory
        Bytes the process may hold before the vertex engine stops with
        :class:`~cpa.errors.EnumerationLimitError` (default: 40% of physical memory), so a
        too large enumeration ends with a message instead of being killed by the system.

    Returns
    -------
    RegionComplex
        With ``slice`` the Plane or Segment given as the domain (None otherwise).

    Raises
    ------
    DomainError
        If the domain's dimension differs from the network's input dimension, or the
        domain is empty, not full-dimensional or has non-finite bounds, or is a
        :class:`~cpa.slices.Path` (walk paths with :func:`cpa.breakpoints`).
    EnumerationLimitError
        If ``max_regions`` or ``max_memory`` is exceeded.
    ArgumentError, ArgumentTypeError
        If ``method`` is not one of the engines, or ``max_regions`` / ``max_memory`` is not a
        positive integer (bools, floats, NaN and infinities are refused).

    Examples
    --------
    >>> from cpa import ReLUNetwork
    >>> from cpa.domains import Box
    >>> absx = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    >>> cx = regions(absx, Box([-1], [1]))
    >>> len(cx), cx.num_pieces, [r.volume() for r in cx]
    (2, 2, [Fraction(1, 1), Fraction(1, 1)])
    """
    method = _check_method(method)
    max_regions = positive_int(max_regions, "max_regions")
    max_memory = positive_int(max_memory, "max_memory", " of bytes")
    network, domain, slice_ = _resolve_slice(_as_network(net), domain)
    dom = as_domain(domain, network.input_dim)
    engine = engine_for(method, network.input_dim)
    t0 = time.perf_counter()
    backend = engine.run(network, dom, max_regions=max_regions, progress=progress, max_memory=max_memory)
    use = engine.name
    stats = dict(backend.stats, seconds=time.perf_counter() - t0)
    _log.debug("regions: %d regions of %r on %r by %s in %.3fs", len(backend), network, dom, use,
               stats["seconds"])
    cx = RegionComplex(network, dom, backend, use, stats)
    cx.slice = slice_
    return cx


class FoundRegion(NamedTuple):
    """One region yielded by :func:`iter_regions`, exact and certified by the search.

    Attributes
    ----------
    pattern
        Per hidden layer, per neuron: pre-activation ``> 0`` on the region.
    witness
        An exact rational point strictly inside the region.
    hrep
        Exact ``(A, b)``: the region's closure is ``{x : A x <= b}`` (the domain's rows, then
        one row per neuron that split it; possibly redundant).
    affine_map
        The exact :class:`~cpa.affine.Affine` map of the network's output on the region.
    bounded
        Whether the region is bounded.
    """

    pattern: tuple[tuple[bool, ...], ...]
    witness: tuple[Fraction, ...]
    hrep: tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]
    affine_map: Affine
    bounded: bool

    @property
    def is_bounded(self) -> bool:
        return self.bounded

    def to_record(self) -> dict[str, Any]:
        """The region as a JSON-ready dict of exact ``"p/q"`` strings (the ``--list`` format; ``piece``
        is None: pieces need all the regions)."""
        return region_record(self.pattern, self.witness, self.affine_map, None, self.bounded)


def iter_regions(net: Any, domain: Box | Polyhedron | Reals | Plane | Segment | tuple | None = None, *,
                 progress: bool = False, log_every: float = 10.0) -> Iterator[FoundRegion]:
    """Yield the activation regions of a network one by one, as they are found, for any input dimension.

    The search is the LP engine's (:mod:`cpa.regions._lp`): depth first over the neurons, float
    LPs whose every answer is certified exactly, holding only the open branch, so memory does not
    grow with the number of regions and a run can be stopped at any moment with every region found
    so far already yielded.

    Parameters
    ----------
    net, domain
        As for :func:`regions`.
    progress
        Show the regions found so far: a tqdm counter when stderr is a terminal, otherwise a log
        line (``logging.getLogger("cpa")``, level INFO) every ``log_every`` seconds.

    Yields
    ------
    FoundRegion
        Pattern, exact witness, exact H-representation, exact :class:`~cpa.affine.Affine` map and
        bounded flag; :func:`cpa.regions.certificate.certify_region` re-checks one completely.

    Examples
    --------
    >>> from cpa import ReLUNetwork
    >>> from cpa.domains import Box
    >>> absx = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    >>> [(r.pattern, r.affine_map) for r in iter_regions(absx, Box([-1], [1]))]
    [(((True, False),), Affine([[1]], [0])), (((False, True),), Affine([[-1]], [0]))]
    """
    import sys

    from ._lp import iter_lp_regions

    network, domain, _ = _resolve_slice(_as_network(net), domain)
    dom = as_domain(domain, network.input_dim)
    bar = None
    if progress and sys.stderr.isatty():
        from tqdm.auto import tqdm

        bar = tqdm(desc="regions", unit="region")
    t0 = last = time.monotonic()
    n = 0
    try:
        for r in iter_lp_regions(network, dom):
            A, c = r.affine_map
            yield FoundRegion(r.pattern, r.witness, r.hrep,
                              Affine(SparseMatrix.from_dense(A, network.input_dim), tuple(c)), r.bounded)
            n += 1
            if bar is not None:
                bar.update(1)
            elif progress and time.monotonic() - last >= log_every:
                last = time.monotonic()
                _log.info("regions: %d found in %.0f s (search still running)", n, last - t0)
    finally:
        if bar is not None:
            bar.close()


def _count_lp(network: ReLUNetwork, domain: Any, max_regions: int | None, progress: bool = False,
              log_every: float = 10.0, pieces: bool = False) -> RegionCount:
    """Activation regions, bounded regions and (with ``pieces``) affine pieces by the LP engine's
    search alone (:mod:`cpa.regions._lp_pieces` for the pieces); with ``progress``, a log line
    (``logging.getLogger("cpa")``, INFO) every ``log_every`` seconds."""
    from ._lp import count_lp
    from ._lp_pieces import count_lp_pieces

    dom = as_domain(domain, network.input_dim)
    log = _ProgressLog(network, dom)
    on_progress = log if progress else None
    if pieces:
        n, n_pieces, nb = count_lp_pieces(network, dom, max_regions=max_regions, on_progress=on_progress,
                                          every=log_every)
    else:
        n, nb = count_lp(network, dom, max_regions=max_regions, on_progress=on_progress, every=log_every)
        n_pieces = None
    return RegionCount(activation_regions=n, affine_pieces=n_pieces, bounded_regions=nb,  # type: ignore[arg-type]
                       unbounded_regions=n - nb, input_dim=network.input_dim, domain=repr(dom), method="lp")


class _ProgressLog:
    """Log lines for a long LP count: regions found, and from the first line on an estimate of
    the total (:func:`cpa.regions._lp.estimate_regions`, computed once, when the count has run
    for a while) with the time left at the rate so far."""

    def __init__(self, network: ReLUNetwork, domain: Any, probes: int = 64):
        self.network, self.domain, self.probes = network, domain, probes
        self.estimate: Any = None

    def __call__(self, n: int, seconds: float, detail: str = "") -> None:
        from ._lp import estimate_regions

        if self.estimate is None:
            self.estimate = estimate_regions(self.network, self.domain, probes=self.probes)
        est = self.estimate
        if n >= est.regions:
            guess = f"more than the estimated {est.regions:,.0f}"
        else:
            left = seconds * (est.regions - n) / max(n, 1)
            guess = f"of {est} in all: roughly {_duration(left)} left at this rate"
        _log.info("regions: %s found in %s%s, %s", f"{n:,}", _duration(seconds), detail, guess)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def each_region(cx: RegionComplex, emit: Callable[[Any], None], certify: bool, regions: Any = None) -> Any:
    """Call ``emit(region)`` for every region of ``cx`` in order (``regions``: the same iterable
    wrapped, e.g. in a progress bar), checking the complete certificate on the way when
    ``certify``; returns the certificate, proved, or None without ``certify``.

    Raises :class:`~cpa.errors.CertificateError` with the failed check if the certificate does
    not hold (it never should)."""
    builder = cx.certificate_builder() if certify else None
    for r in cx.regions if regions is None else regions:
        if builder is not None and not builder.add(r.pattern, r.witness, r.hrep, r.affine_map, r.is_bounded):
            break
        emit(r)
    return None if builder is None else builder.result().require()


def _stream_complex(cx: RegionComplex, on_records: Callable[[list[dict[str, Any]]], None] | None,
                    certify: bool, chunk: int = 256) -> Any:
    """Pass the regions of an enumerated complex on as records (in chunks), checking the complete
    certificate on the way when ``certify``."""
    batch: list[dict[str, Any]] = []

    def emit(r: Any) -> None:
        if on_records is not None:
            batch.append(r.to_record())
            if len(batch) >= chunk:
                on_records(batch[:])
                batch.clear()

    cert = each_region(cx, emit, certify)
    if batch and on_records is not None:
        on_records(batch)
    return cert


def count_regions(net: Any, domain: Box | Polyhedron | Reals | Plane | Segment | tuple | None = None, *,
                  max_regions: int | None = None, progress: bool = False, method: str = "auto",
                  max_memory: int | None = None, workers: int | None = None,
                  executor: Any = None, on_records: Callable[[list[dict[str, Any]]], None] | None = None,
                  certify: bool = False, pieces: bool = True,
                  checkpoint: str | None = None) -> RegionCount:
    """Count activation regions, affine pieces and bounded regions exactly.

    Same parameters as :func:`regions`, and:

    workers, executor
        Count on ``workers`` processes, or on ``executor`` (any
        :class:`concurrent.futures.Executor`, such as a ``dask.distributed`` client's
        ``get_executor()``).  The LP engine runs its search as budgeted tasks
        (:mod:`cpa.regions._lp_split`; pieces included); the vertex engine counts cell by cell
        of the first hidden layer (:mod:`cpa.regions._split`), and there ``workers=1`` runs
        the cells one after another in this process, which also lowers the peak memory to
        that of the largest cell.  The counts are the same as without (tests check this);
        ``max_regions`` and ``max_memory`` do not apply to this mode.  (To stream every
        region as it is made, pass ``on_records``.)
    on_records
        Called with lists of regions as JSON-ready records (pattern, exact witness and affine
        map as ``"p/q"`` strings, bounded flag, piece), so a listing can be written while the
        count runs.  With ``workers``/``executor`` the records of each batch of first-layer
        cells come as soon as the batch is done (memory held for one batch; ``piece`` is None,
        pieces being global); otherwise after the enumeration, in chunks of 256.
    pieces
        Count the affine pieces too (the default).  With the LP engine (``method="lp"``, or
        ``"auto"`` from d = 7 on), without ``on_records`` and ``certify``, the count runs on the
        LP engine's own search (:func:`cpa.regions._lp.count_lp`), whose memory does not grow
        with the number of regions; the pieces then cost one small record per region (its
        map's hash and its pattern, :mod:`cpa.regions._lp_pieces`) and, at the end, the exact
        facets shared by the regions whose maps are equal.  With ``pieces=False`` there are no
        records at all and ``affine_pieces`` is None.
    checkpoint
        With the LP engine and ``pieces=False`` (the pieces' records are not saved): a folder where the regions counted so far and
        the cells of the search not yet finished are recorded after every task
        (:mod:`cpa.regions._lp_split`), so that a run killed at any moment resumes from there
        with the same final count; ``workers`` / ``executor`` run the tasks in parallel.
    certify
        Check the complete certificate (:mod:`cpa.regions.certificate`) on the way: every region
        in its worker, distinct patterns and the volume sum here.  Raises
        :class:`~cpa.errors.CertificateError` if it does not hold.

    Returns a :class:`~cpa.regions.RegionCount` with ``activation_regions``, ``affine_pieces``,
    ``bounded_regions`` and ``unbounded_regions`` (on a bounded domain every region is bounded).

    Examples
    --------
    >>> from cpa import ReLUNetwork
    >>> from cpa.domains import Box
    >>> tent = ReLUNetwork([([[1], [1]], [0, "-1/2"]), ([[2, -4]], [0])])   # 2x, then 2 - 2x
    >>> c = count_regions(tent, Box([0], [1]))
    >>> c.activation_regions, c.affine_pieces
    (2, 2)
    >>> count_regions(tent).affine_pieces        # on all of R: x < 0 is a third piece
    3
    """
    method = _check_method(method)
    max_regions = positive_int(max_regions, "max_regions")
    max_memory = positive_int(max_memory, "max_memory", " of bytes")
    workers = positive_int(workers, "workers")
    if executor is not None and not callable(getattr(executor, "map", None)):
        raise ArgumentTypeError(f"executor must be a concurrent.futures.Executor (with a map method), "
                                f"got {type(executor).__name__}")
    if on_records is not None and not callable(on_records):
        raise ArgumentTypeError(f"on_records must be a function of a list of records, got {type(on_records).__name__}")
    network, domain, _ = _resolve_slice(_as_network(net), domain)
    search = on_records is None and not certify           # a count from the search alone, no complex
    lp = method == "lp" or (method == "auto" and engine_for("auto", network.input_dim, complex=not search).name == "lp")
    if checkpoint is not None and (pieces or not lp or not search):
        raise ArgumentError("checkpoint= needs the LP engine without pieces, records or certificate: "
                            "count_regions(net, domain, method='lp', pieces=False, checkpoint=DIR)")
    if lp and search:
        if workers is None and executor is None and checkpoint is None:
            return _count_lp(network, domain, max_regions, progress, pieces=pieces)
        from ._lp_pieces import PieceKeys
        from ._lp_split import count_lp_by_tasks

        dom = as_domain(domain, network.input_dim)
        log = _ProgressLog(network, dom)
        t0 = last = time.perf_counter()

        def on_task(n: int, done: int, left: int) -> None:
            nonlocal last
            now = time.perf_counter()
            if now - last >= 10.0:
                last = now
                log(n, now - t0, f" ({done:,} tasks done, {left:,} to go)")

        keys = PieceKeys() if pieces else None
        n, nb = count_lp_by_tasks(network, dom, workers=workers, executor=executor, checkpoint=checkpoint,
                                  on_task=on_task if progress else None, keys=keys)
        n_pieces = n - keys.joins(network, dom) if keys is not None else None
        return RegionCount(activation_regions=n, affine_pieces=n_pieces, bounded_regions=nb,  # type: ignore[arg-type]
                           unbounded_regions=n - nb, input_dim=network.input_dim, domain=repr(dom),
                           method="lp, by budgeted tasks")
    split = (workers is not None or executor is not None) and network.input_dim >= 2 and network.depth >= 1 \
        and (method == "vertex" or (method == "auto" and not lp))
    if not split:
        cx = regions(network, domain, max_regions=max_regions, progress=progress, method=method,
                     max_memory=max_memory)
        cert = _stream_complex(cx, on_records, certify) if on_records is not None or certify else None
        return dataclasses.replace(cx.counts(), certificate=cert)
    from ._split import count_by_first_layer_cells

    dom = as_domain(domain, network.input_dim)
    builder = None
    if certify:
        from .certificate import CertificateBuilder

        builder = CertificateBuilder(network, dom)

    def checked(records: list[dict[str, Any]]) -> None:
        if builder is not None:
            for rec in records:          # checked in the worker; distinct patterns and volumes here
                builder.add_checked(tuple(rec["pattern"]), Fraction(rec.pop("volume")))
        if on_records is not None:
            on_records(records)

    want = on_records is not None or certify
    n, pieces, bounded = count_by_first_layer_cells(network, dom, workers=workers, executor=executor,
                                                    progress=progress, on_records=checked if want else None,
                                                    certify=certify)
    cert = None
    if builder is not None:
        cert = builder.result().require()
    return RegionCount(activation_regions=n, affine_pieces=pieces, bounded_regions=bounded,
                       unbounded_regions=n - bounded, input_dim=network.input_dim, domain=repr(dom),
                       method="vertex, by first-layer cells", certificate=cert)
