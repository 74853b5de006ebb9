"""Regions and affine pieces of a 2-D network as shapely geometries.

:func:`regions_to_shapely` gives one :class:`shapely.Polygon` per activation region,
:func:`pieces_to_shapely` one geometry per affine piece (the union of its regions).
Use them to draw, to measure, to buffer or overlay with other data, or to write the
regions to GIS formats.

Exact first, floats last: each region's outline is computed exactly (its exact
vertices ordered by angle around its exact interior point, or its exact H-representation
clipped to a box) and converted to floats only when the polygon is made.  Neighbouring
regions meet at exact vertices they share (a cut made by a neuron runs across the whole
cell, and continues into the neighbour through the same point), and equal rationals round
to equal floats, so the float polygons tile the domain without slivers and
:func:`shapely.ops.unary_union` merges the regions of a piece into one clean polygon.
Areas agree with the exact :meth:`~cpa.regions.Region.volume` to float precision; the
exact numbers stay the ones of :mod:`cpa.regions`.

Unbounded regions (a domain that is a :class:`~cpa.domains.Polyhedron` or all of R^2)
have no polygon: they are refused with :class:`~cpa.errors.DomainError` unless a box
``clip`` is given, to which every region is then cut (a region outside the box gives an
empty polygon, so the list still has one entry per region).

shapely is imported when one of these functions is called, so ``import cpa.geometry2d``
stays light.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cmp_to_key
from typing import Any, Iterable, Sequence

from .errors import ArgumentTypeError, DomainError, ShapeError

__all__ = ["regions_to_shapely", "pieces_to_shapely", "region_outline", "region_polygon"]

Point = tuple[Fraction, Fraction]


def regions_to_shapely(complex_or_regions: Any, *, clip: Any = None) -> list[Any]:
    """One :class:`shapely.Polygon` per region, in region order.

    Parameters
    ----------
    complex_or_regions
        A :class:`~cpa.regions.RegionComplex` of a network with 2 inputs, or an iterable of
        its :class:`~cpa.regions.Region` objects.
    clip
        None, or a 2-D :class:`~cpa.domains.Box`: every region is cut to it (an empty
        polygon for a region outside it).

    Returns
    -------
    list of shapely.Polygon
        Counter-clockwise exterior rings through the exact vertices, converted to float.

    Raises
    ------
    ShapeError
        If the regions are not 2-D.
    DomainError
        If a region is unbounded and no ``clip`` box is given.
    ArgumentTypeError
        If ``clip`` is not a 2-D box.

    Examples
    --------
    >>> import cpa
    >>> net = cpa.compile("Abs(x) + Abs(y)", variables="x,y")
    >>> cx = cpa.regions(net, cpa.Box([-1, -1], [1, 1]))
    >>> polys = regions_to_shapely(cx)
    >>> len(polys), sum(p.area for p in polys)
    (4, 4.0)
    """
    from shapely.geometry import Polygon

    outlines = _outlines(complex_or_regions, clip)
    return [Polygon([(float(x), float(y)) for x, y in pts]) if len(pts) >= 3 else Polygon() for pts in outlines]


def pieces_to_shapely(cx: Any, *, clip: Any = None) -> list[Any]:
    """One shapely geometry per affine piece of ``cx`` (in the order of ``cx.pieces``).

    Each is :func:`shapely.ops.unary_union` of the polygons of the piece's regions
    (:func:`regions_to_shapely`): a :class:`shapely.Polygon`, possibly with holes (a piece
    around another), or a :class:`shapely.MultiPolygon` if ``clip`` cuts the piece apart.

    Parameters
    ----------
    cx
        A :class:`~cpa.regions.RegionComplex` of a network with 2 inputs.
    clip
        As for :func:`regions_to_shapely`.

    Raises
    ------
    ShapeError, DomainError, ArgumentTypeError
        As :func:`regions_to_shapely`.
    """
    from shapely.ops import unary_union

    polys = regions_to_shapely(cx, clip=clip)
    return [unary_union([polys[i] for i in sorted(piece)]) for piece in cx.pieces]


def region_outline(region: Any, clip: Any = None) -> list[Point]:
    """The exact vertices of a 2-D region's closure, counter-clockwise.

    Without ``clip`` the region must be bounded: its vertices are ordered by angle around
    its witness (an exact interior point, so every vertex is in a different direction).
    With a 2-D box ``clip`` the region is cut to it (:func:`region_polygon`); the result may
    have fewer than 3 points if the region misses the box's interior.

    Parameters
    ----------
    region
        A 2-D region of a :class:`~cpa.regions.complex.RegionComplex` (or any object with
        ``hrep``, ``is_bounded``, ``witness`` and ``vertices()``).
    clip
        A 2-D :class:`~cpa.domains.Box` to cut the region to, or None.

    Returns
    -------
    list of tuple of Fraction
        The vertices, counter-clockwise.

    Raises
    ------
    DomainError
        If ``clip`` is None and the region is unbounded.
    ArgumentTypeError
        If ``clip`` is not a 2-D box.
    """
    if clip is not None:
        return region_polygon(region.hrep, _window(clip))
    if not region.is_bounded:
        raise DomainError(f"region {getattr(region, 'index', '?')} is unbounded, it has no polygon; "
                          f"pass clip=Box(lo, hi) to cut the regions to a box")
    w = region.witness
    return sorted(region.vertices(), key=cmp_to_key(lambda p, q: _by_angle(w, p, q)))


def region_polygon(hrep: Any, window: tuple[Any, Any, Any, Any]) -> list[Point]:
    """Vertices (counter-clockwise, exact) of ``{x : A x <= b}`` clipped to the window rectangle.

    ``window`` is ``(x0, x1, y0, y1)``.  Sutherland-Hodgman clipping of the rectangle by each
    half-plane, in exact rationals.

    Parameters
    ----------
    hrep
        ``(A, b)``: the rows ``(a1, a2)`` of ``A`` and the entries of ``b``, exact rationals.
    window
        The rectangle ``[x0, x1] x [y0, y1]`` as ``(x0, x1, y0, y1)``.

    Returns
    -------
    list of tuple of Fraction
        The vertices of the clipped polygon, counter-clockwise; empty (or fewer than 3 points)
        if the polygon has no interior.
    """
    x0, x1, y0, y1 = (Fraction(t) for t in window)
    poly = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    A, b = hrep
    for (a1, a2), c in zip(A, b):
        if not poly:
            break
        out = []
        n = len(poly)
        for i in range(n):
            p, q = poly[i], poly[(i + 1) % n]
            fp = a1 * p[0] + a2 * p[1] - c
            fq = a1 * q[0] + a2 * q[1] - c
            if fp <= 0:
                out.append(p)
            if (fp < 0 < fq) or (fq < 0 < fp):
                t = fp / (fp - fq)
                out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
        poly = out
    return poly


# --- helpers -----------------------------------------------------------------------------

def _outlines(complex_or_regions: Any, clip: Any) -> list[list[Point]]:
    """The exact counter-clockwise outline of every region."""
    if hasattr(complex_or_regions, "regions") and hasattr(complex_or_regions, "network"):
        d = complex_or_regions.network.input_dim
        if d != 2:
            raise ShapeError(f"shapely polygons are for 2-D regions; this complex has {d} inputs")
        regions: Sequence[Any] = complex_or_regions.regions
    else:
        regions = list(_iterable(complex_or_regions))
        for r in regions:
            if len(r.witness) != 2:
                raise ShapeError(f"shapely polygons are for 2-D regions; a region has {len(r.witness)} coordinates")
    return [region_outline(r, clip) for r in regions]


def _iterable(x: Any) -> Iterable[Any]:
    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        raise ArgumentTypeError(f"expected a RegionComplex or regions, got {type(x).__name__}")
    return x


def _window(clip: Any) -> tuple[Fraction, Fraction, Fraction, Fraction]:
    lo, hi = getattr(clip, "lo", None), getattr(clip, "hi", None)
    if lo is None or hi is None or len(lo) != 2 or len(hi) != 2:
        raise ArgumentTypeError(f"clip must be a 2-D Box, got {type(clip).__name__}")
    return lo[0], hi[0], lo[1], hi[1]


def _by_angle(w: Sequence[Fraction], p: Sequence[Fraction], q: Sequence[Fraction]) -> int:
    """Compare the directions ``p - w`` and ``q - w`` by angle in [0, 2 pi), exactly."""
    px, py, qx, qy = p[0] - w[0], p[1] - w[1], q[0] - w[0], q[1] - w[1]
    hp = 0 if py > 0 or (py == 0 and px > 0) else 1
    hq = 0 if qy > 0 or (qy == 0 and qx > 0) else 1
    if hp != hq:
        return hp - hq
    cross = px * qy - py * qx
    return -1 if cross > 0 else (1 if cross < 0 else 0)
