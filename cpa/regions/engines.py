"""The table of region engines: one row per engine, read by :func:`cpa.regions.regions`.

Each row names the engine, the input dimensions it serves, and the function that
runs it.  A run takes the network, the domain and the common options
(``max_regions``, ``progress``, ``max_memory``) and returns a backend
(:class:`~cpa.regions.backend.RegionBackend`) with its ``stats``.  Engine modules are
imported when first run, so ``import cpa`` stays light.

To add an engine: write its module (enumeration plus backend), add a row here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import ArgumentError, ShapeError

__all__ = ["Engine", "ENGINES", "engine_for", "method_names"]


@dataclass(frozen=True)
class Engine:
    """One region engine.

    Attributes
    ----------
    name
        The ``method=`` name.
    summary
        One line: what it does and where it is the right choice.
    min_dim, max_dim
        Input dimensions it serves (``max_dim=None``: any).
    module, function
        Where the run function lives (imported on first use): ``function(net, domain,
        max_regions=, progress=, max_memory=)`` returns a backend.
    """

    name: str
    summary: str
    min_dim: int
    max_dim: int | None
    module: str
    function: str

    def serves(self, d: int) -> bool:
        return d >= self.min_dim and (self.max_dim is None or d <= self.max_dim)

    def runner(self) -> Callable[..., Any]:
        return getattr(importlib.import_module(self.module, __package__), self.function)

    def run(self, net: Any, domain: Any, **options: Any) -> Any:
        if not self.serves(net.input_dim):
            dims = f"{self.min_dim}" if self.max_dim == self.min_dim else \
                f"{self.min_dim} or more" if self.max_dim is None else f"{self.min_dim} to {self.max_dim}"
            raise ShapeError(f"method={self.name!r} needs a network with {dims} inputs, got {net.input_dim}")
        return self.runner()(net, domain, **options)


ENGINES: dict[str, Engine] = {e.name: e for e in (
    Engine("line", "exact breakpoint propagation on homogeneous integer points; d = 1, 2^20 regions in seconds",
           1, 1, "._line", "line_backend"),
    Engine("polygon", "exact polygon splitting; d = 2, an independent cross-check of the vertex engine",
           2, 2, "._polygon", "polygon_backend"),
    Engine("vertex", "vertex-based layer-wise refinement with a certified float filter; fastest up to d = 6, "
           "memory grows with the vertices per region", 1, None, "._cells", "vertex_backend"),
    Engine("lp", "depth-first search with float LPs (a compiled dense simplex; HiGHS from d = 49), every "
           "answer certified exactly; any d, memory "
           "independent of the number of regions (the complex built from it holds the regions)",
           1, None, "._lp_cells", "lp_backend"),
)}


def method_names() -> tuple[str, ...]:
    """``"auto"`` and the names of the engines."""
    return ("auto", *ENGINES)


#: from this input dimension on, ``method="auto"`` counts with the LP engine (``count_regions``
#: without ``on_records`` or ``certify``, with or without pieces): measured on
#: ``random_relu_weights(widths, seed=7)`` over ``[-1, 1]^d`` (CPU seconds,
#: ``benchmarks/regions_lp.py --scaling``), the vertex engine is 2-15 times faster up to d = 6
#: ([6, 12, 12, 1]: 16.6 s against 51.7 s) but needs 1.8 GB there; at d = 7 the LP engine is
#: faster ([7, 8, 8, 1]: 2.8 s against 3.7 s; [7, 12, 12, 1]: 98 s against 111 s) in 47 MB instead
#: of 0.5 and 7.9 GB, and from d = 8 on the vertex engine does not finish in memory.  The pieces
#: add one small record per region and exact facet tests among the regions with equal maps
#: (:mod:`cpa.regions._lp_pieces`).  A complex (``regions``, records, certificates) stays with
#: the vertex engine: the LP engine's regions would rebuild their facets one by one, which at
#: d = 8 costs more than the vertex engine's whole run (160 s on [8, 8, 8, 1])
AUTO_LP_FROM_DIM = 7


def engine_for(method: str, d: int, *, complex: bool = True) -> Engine:
    """The engine for ``method``.  ``"auto"``: line for d = 1, otherwise vertex, except the LP engine
    from d = 7 on (:data:`AUTO_LP_FROM_DIM`) for counts from the search alone (``complex=False``)."""
    if method == "auto":
        if d == 1:
            return ENGINES["line"]
        return ENGINES["lp"] if d >= AUTO_LP_FROM_DIM and not complex else ENGINES["vertex"]
    try:
        return ENGINES[method]
    except KeyError:
        raise ArgumentError(f"method must be one of {', '.join(method_names())}, got {method!r}") from None
