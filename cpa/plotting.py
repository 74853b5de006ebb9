"""Plots of CPA functions and their linear regions (matplotlib, imported lazily).

Every function takes ``ax=None`` (a new figure is made) and returns the axes.
Drawing uses floats; the regions and breakpoints drawn are the exact ones,
converted to floats only for display.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .errors import ArgumentError, ArgumentTypeError, ShapeError
from .geometry2d import region_polygon
from .numbers import ONE

__all__ = ["plot_function_1d", "plot_trajectory", "plot_surface", "plot_regions", "plot_decision_regions",
           "region_polygon"]


def _axes(ax: Any, projection: str | None = None) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6, 4.5))
    return fig.add_subplot(111, projection=projection) if projection else fig.add_subplot(111)


def _check_output(net: Any, output: Any) -> None:
    if isinstance(output, bool) or not isinstance(output, int):
        raise ArgumentTypeError(f"output must be an integer index, got {output!r}")
    if not 0 <= output < net.output_dim:
        raise ArgumentError(f"output must be an index in 0..{net.output_dim - 1}, got {output}")


def _colormap(name: Any) -> Any:
    import matplotlib

    try:
        return matplotlib.colormaps[name]
    except (KeyError, TypeError, ValueError):
        raise ArgumentError(f"cmap {name!r} is not a matplotlib colormap") from None


def _lo_hi(domain: Any, default: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    if domain is None:
        return np.array([default[0]]), np.array([default[1]])
    if hasattr(domain, "lo") and hasattr(domain, "hi"):
        return np.array([_plot_float(t) for t in domain.lo]), np.array([_plot_float(t) for t in domain.hi])
    lo, hi = domain
    return np.atleast_1d(np.array(lo, dtype=float)), np.atleast_1d(np.array(hi, dtype=float))


def plot_function_1d(net: Any, domain: Any = (-1.0, 1.0), *, output: int = 0, breakpoints: bool = True,
                     ax: Any = None, **line_kwargs: Any) -> Any:
    """Graph of a univariate network on ``domain`` (``(lo, hi)`` or a :class:`~cpa.domains.Box`).

    The graph is drawn through the exact breakpoints (found by exact region
    enumeration), so it is exact up to display; breakpoints are marked.

    Parameters
    ----------
    net
        A network with one input.
    domain
        The interval: a ``(lo, hi)`` pair or a 1-D :class:`~cpa.domains.Box`.
    output
        The index of the output to draw.
    breakpoints
        Draw the graph through the exact breakpoints and mark them; if False, only the
        two end points are joined.
    ax
        The matplotlib axes to draw on, or None for a new figure.
    **line_kwargs
        Passed to ``ax.plot`` for the graph.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ArgumentTypeError, ArgumentError
        If ``output`` is not an integer index of an output.
    """
    _check_output(net, output)
    ax = _axes(ax)
    lo, hi = _lo_hi(domain, (-1.0, 1.0))
    xs = [_plot_float(lo[0]), _plot_float(hi[0])]
    if breakpoints:
        from .domains import Box
        from .regions import regions

        cx = regions(net, Box([lo[0]], [hi[0]]))
        bps = sorted({_plot_float(v[0]) for r in cx.regions for v in r.vertices()})
        inner = [b for b in bps if xs[0] < b < xs[1]]
        xs = sorted(set(xs + inner))
    grid = np.array(xs)
    ys = _finite_values(net.evaluate_float(grid.reshape(-1, 1))[:, output])
    ax.plot(grid, ys, **({"color": "C0", "lw": 1.8} | line_kwargs))
    if breakpoints and len(grid) > 2:
        ax.plot(grid[1:-1], ys[1:-1], "o", color="C3", ms=3.5, label=f"{len(grid) - 2} breakpoints")
        ax.legend(loc="best", fontsize=8)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    return ax


def plot_trajectory(net: Any, path: Any, trajectory: Any = None, *, outputs: Any = None, ax: Any = None) -> Any:
    """The outputs of a network along a segment or a path of its input space, against ``t``.

    Along a :class:`~cpa.slices.Segment` or :class:`~cpa.slices.Path` the outputs are affine
    in ``t`` between consecutive breakpoints and path vertices, so they are drawn through their
    exact values there (computed on the network composed with each segment's parametrisation)
    and the polyline is the graph.  Breakpoints of the activation pattern are thin vertical
    lines; the path's own vertices are dashed.

    Parameters
    ----------
    net
        A network whose input dimension is the path's.
    path
        A :class:`~cpa.slices.Segment` or :class:`~cpa.slices.Path`.
    trajectory
        ``cpa.breakpoints(net, path)`` if already computed.
    outputs
        Indices of the outputs to draw (default: all, up to 10).
    ax
        The matplotlib axes to draw on, or None for a new figure.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from fractions import Fraction

    from .regions.trajectory import breakpoints
    from .slices import Segment

    tr = trajectory if trajectory is not None else breakpoints(net, path)
    segs = [path] if isinstance(path, Segment) else list(path.segments)
    m = len(segs)
    if outputs is None:
        outputs = list(range(min(net.output_dim, 10)))
    for k in outputs:
        _check_output(net, k)
    ax = _axes(ax)
    ts: list[float] = []
    ys: list[list[float]] = []
    for i, seg in enumerate(segs):
        lo, hi = Fraction(i, m), Fraction(i + 1, m)
        knots = [lo, *[t for t in tr.parameters if lo < t < hi], hi]
        sub = net @ seg.affine
        for t in knots:
            y = sub([(t - lo) * m])
            ts.append(float(t))
            ys.append([_plot_float(y[k]) for k in outputs])
    Y = np.array(ys)
    for j, k in enumerate(outputs):
        ax.plot(ts, Y[:, j], lw=1.5, label=f"output {k}")
    for t in tr.parameters:
        ax.axvline(float(t), color="0.75", lw=0.5, zorder=0)
    for i in range(1, m):
        ax.axvline(i / m, color="0.3", lw=0.8, ls="--", zorder=0)
    ax.set_xlabel(f"t ({tr.activation_regions} activation regions, {len(tr.parameters)} breakpoints)")
    ax.set_ylabel("output")
    if len(outputs) > 1:
        ax.legend(loc="best", fontsize=7)
    return ax


def plot_surface(net: Any, domain: Any = ((-1.0, -1.0), (1.0, 1.0)), *, output: int = 0, resolution: int = 80,
                 ax: Any = None, **surf_kwargs: Any) -> Any:
    """3-D surface of a network with two inputs and (at least) one output.

    Parameters
    ----------
    net
        A network with two inputs.
    domain
        The rectangle: a ``(lo, hi)`` pair of 2-vectors or a 2-D :class:`~cpa.domains.Box`.
    output
        The index of the output to draw.
    resolution
        Grid points per axis (at least 2) at which the network is evaluated in float64.
    ax
        A matplotlib 3-D axes to draw on, or None for a new figure.
    **surf_kwargs
        Passed to ``ax.plot_surface``.

    Returns
    -------
    mpl_toolkits.mplot3d.axes3d.Axes3D
        The axes drawn on.

    Raises
    ------
    ShapeError
        If the network does not have two inputs.
    ArgumentTypeError, ArgumentError
        If ``output`` is not an integer index of an output, or ``resolution`` is not an
        integer >= 2.
    """
    if net.input_dim != 2:
        raise ShapeError(f"plot_surface needs a network with 2 inputs, this one has {net.input_dim}")
    _check_output(net, output)
    if isinstance(resolution, bool) or not isinstance(resolution, int):
        raise ArgumentTypeError(f"resolution must be an integer, got {resolution!r}")
    if resolution < 2:
        raise ArgumentError(f"resolution must be at least 2 grid points per axis, got {resolution}")
    ax = _axes(ax, projection="3d")
    lo, hi = _lo_hi(domain, (-1.0, 1.0))
    u = np.linspace(lo[0], hi[0], resolution)
    v = np.linspace(lo[1], hi[1], resolution)
    U, V = np.meshgrid(u, v)
    Z = _finite_values(net.evaluate_float(np.column_stack([U.ravel(), V.ravel()]))[:, output]).reshape(U.shape)
    ax.plot_surface(U, V, Z, **({"cmap": "viridis", "linewidth": 0, "antialiased": True} | surf_kwargs))
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    return ax


def plot_regions(complex_or_net: Any, domain: Any = None, *, color_by: str = "region", ax: Any = None,
                 edgecolor: str = "k", linewidth: float = 0.4, cmap: str = "tab20") -> Any:
    """The linear regions of a 2-D network, drawn as one collection of polygons.

    Parameters
    ----------
    complex_or_net
        A :class:`~cpa.regions.RegionComplex` with 2 inputs, or a network (then
        ``domain`` is enumerated).
    color_by
        ``"region"`` (one colour per activation region) or ``"piece"`` (one per affine piece;
        the outline of each piece, the union of its regions by :func:`cpa.geometry2d.pieces_to_shapely`,
        is drawn over the regions in ``edgecolor``, three times as thick).
    """
    from matplotlib.collections import LineCollection, PolyCollection

    if color_by not in ("region", "piece"):
        raise ArgumentError(f"color_by must be 'region' or 'piece', got {color_by!r}")
    colormap = _colormap(cmap)
    cx = complex_or_net
    if not hasattr(cx, "regions"):
        from .regions import regions

        cx = regions(complex_or_net, domain)
    if cx.network.input_dim != 2:
        raise ShapeError(f"plot_regions draws 2-D region maps; this complex has {cx.network.input_dim} inputs")
    ax = _axes(ax)
    window = _window(cx, domain)
    polys = [[(_plot_float(x), _plot_float(y)) for x, y in region_polygon(r.hrep, window)] for r in cx.regions]
    colors = _map_colors(cx, color_by, colormap)
    coll = PolyCollection(polys, facecolors=colors, edgecolors=edgecolor, linewidths=linewidth)
    ax.add_collection(coll)
    if color_by == "piece":
        ax.add_collection(LineCollection(_piece_outlines(cx, window), colors=edgecolor, linewidths=3 * linewidth))
    xs = [p[0] for poly in polys for p in poly]
    ys = [p[1] for poly in polys for p in poly]
    if xs:
        ax.set_xlim(min(xs), max(xs))
        ax.set_ylim(min(ys), max(ys))
    ax.set_aspect("equal")
    ax.locator_params(nbins=6)
    ax.set_title(f"{len(polys)} regions" + (f", {len(cx.pieces)} pieces" if color_by == "piece" else ""))
    return ax


def plot_decision_regions(result_or_net: Any, domain: Any = None, *, ax: Any = None, colormap: str = "tab10",
                          show_regions: bool = True) -> Any:
    """The decision regions of a 2-input classifier: class cells filled, boundary in bold.

    The cells and the boundary are the exact ones of :func:`cpa.decision_regions`, converted
    to floats only to draw: the cells as one collection coloured by class (with a legend of
    the classes that win somewhere, with their exact areas as floats), the activation regions
    as thin grey lines over the fill, the decision boundary as black bold lines on top.

    Parameters
    ----------
    result_or_net
        A :class:`~cpa.regions.decision.DecisionRegions`, or a network with 2 inputs and at
        least 2 outputs, or its :class:`~cpa.regions.RegionComplex` (then it is decided on
        ``domain``).
    domain
        The bounded domain when a network is given (see :func:`cpa.decision_regions`).
    ax
        The matplotlib axes to draw on, or None for a new figure.
    colormap
        A matplotlib colormap name; class ``k`` gets its ``k``-th colour (listed colormaps
        such as ``"tab10"``, cycling beyond their length) or the colour at ``k / (c - 1)``
        (continuous ones).
    show_regions
        Draw the outlines of the activation regions.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.

    Raises
    ------
    ShapeError, DomainError
        As :func:`cpa.decision_regions`.
    ArgumentError
        If ``colormap`` is not a matplotlib colormap.
    """
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.patches import Patch

    from .regions.decision import DecisionRegions, decision_regions

    cmap = _colormap(colormap)
    res = result_or_net if isinstance(result_or_net, DecisionRegions) else decision_regions(result_or_net, domain)
    c = res.num_classes
    colors = [cmap(k % cmap.N) if cmap.N <= 64 else cmap(k / max(c - 1, 1)) for k in range(c)]
    ax = _axes(ax)
    polys = [[(_plot_float(x), _plot_float(y)) for x, y in cell.vertices] for cell in res.cells]
    fills = [colors[cell.label] for cell in res.cells]
    ax.add_collection(PolyCollection(polys, facecolors=fills, edgecolors=fills, linewidths=0.3, zorder=1))
    if show_regions:
        from .geometry2d import region_outline

        outlines = [[(_plot_float(x), _plot_float(y)) for x, y in region_outline(r)] for r in res.complex.regions]
        ax.add_collection(PolyCollection(outlines, facecolors="none", edgecolors="0.35", linewidths=0.3,
                                         zorder=2))
    segs = [[(_plot_float(s.start[0]), _plot_float(s.start[1])), (_plot_float(s.end[0]), _plot_float(s.end[1]))]
            for s in res.boundary_pieces]
    ax.add_collection(LineCollection(segs, colors="k", linewidths=2.2, zorder=3))
    areas = res.areas
    handles = [Patch(facecolor=colors[k], edgecolor="k", linewidth=0.5, label=f"class {k} ({float(areas[k]):.3g})")
               for k in range(c) if areas[k] > 0]
    ax.legend(handles=handles, loc="best", fontsize=8, title="class (area)", title_fontsize=8)
    xs = [p[0] for poly in polys for p in poly]
    ys = [p[1] for poly in polys for p in poly]
    if xs:
        ax.set_xlim(min(xs), max(xs))
        ax.set_ylim(min(ys), max(ys))
    ax.set_aspect("equal")
    ax.locator_params(nbins=6)
    ax.set_title(f"{sum(1 for a in areas if a > 0)} of {c} classes, {len(res.complex)} regions, "
                 f"{res.num_boundary_pieces} boundary pieces")
    return ax


def _piece_outlines(cx: Any, window: tuple[Fraction, Fraction, Fraction, Fraction]) -> list[np.ndarray]:
    """The boundary rings (exteriors and holes) of the affine pieces, cut to the window, as float arrays."""
    import shapely

    from .domains import Box
    from .geometry2d import pieces_to_shapely

    x0, x1, y0, y1 = window
    rings = []
    for piece in pieces_to_shapely(cx, clip=Box([x0, y0], [x1, y1])):
        for line in shapely.get_parts(piece.boundary):
            rings.append(np.asarray(line.coords))
    return rings


def _map_colors(cx: Any, color_by: str, colormap: Any, palette_size: int = 20) -> list[Any]:
    """One colour per region such that regions (or pieces) sharing a facet differ.

    Regions (or pieces) are coloured in index order, each with the least used colour of
    the palette that no already coloured neighbour has, so all colours are used evenly
    and neighbours differ whenever the palette is larger than the degree; all regions of
    one affine piece share a colour when ``color_by`` is ``"piece"``.
    """
    import networkx as nx

    G = cx.graph
    if color_by == "piece":
        label = {i: k for k, piece in enumerate(cx.pieces) for i in piece}
        H = nx.Graph()
        H.add_nodes_from(range(len(cx.pieces)))
        H.add_edges_from((label[a], label[b]) for a, b in G.edges if label[a] != label[b])
    else:
        label = {i: i for i in range(len(cx))}
        H = G
    P = min(palette_size, colormap.N)
    palette = [colormap(k / (P - 1) if colormap.N > 64 else k) for k in range(P)] if P > 1 else [colormap(0)]
    used = [0] * len(palette)
    cls: dict[int, int] = {}
    for v in sorted(H.nodes):
        banned = {cls[u] for u in H.neighbors(v) if u in cls}
        free = [c for c in range(len(palette)) if c not in banned] or list(range(len(palette)))
        c = min(free, key=lambda k: (used[k], k))
        cls[v] = c
        used[c] += 1
    return [palette[cls[label[i]]] for i in range(len(cx))]


def _window(cx: Any, domain: Any) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    """The drawing window (x0, x1, y0, y1): the domain if bounded, else a box around every finite vertex."""
    dom = domain if domain is not None else cx.domain
    if getattr(dom, "is_bounded", False) and hasattr(dom, "lo"):
        (x0, y0), (x1, y1) = dom.lo, dom.hi
        return x0, x1, y0, y1
    pts = [v for r in cx.regions for v in r.vertices()]
    if hasattr(dom, "vertices"):
        pts += list(dom.vertices())
    if not pts:
        return -ONE, ONE, -ONE, ONE
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    pad = max(max(xs) - min(xs), max(ys) - min(ys), ONE) / 4
    return min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad


def _plot_float(q: Any) -> float:
    """A coordinate as a float for drawing; a :class:`~cpa.errors.DomainError` beyond the float64 range."""
    from .errors import DomainError
    from .numbers import abbreviate

    try:
        v = float(q)
    except OverflowError:
        v = float("inf")
    if not np.isfinite(v) or abs(v) > 1e300:
        raise DomainError(f"cannot draw a coordinate of {abbreviate(q, 40)}: beyond what float64 can plot; "
                          f"plot a smaller box (the exact results do not depend on the plot)")
    return v


def _finite_values(y: np.ndarray) -> np.ndarray:
    """Network values for a plot; a :class:`~cpa.errors.DomainError` if some overflow float64."""
    from .errors import DomainError

    if not np.isfinite(y).all():
        raise DomainError("the network's values overflow float64 on this box (weights or inputs too large "
                          "to draw); the exact results (cpa regions, cpa eval) are not affected")
    return y
