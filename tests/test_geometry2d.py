"""Regions and pieces as shapely geometries: float areas match the exact volumes, pieces are clean unions."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import shapely

import cpa
from constructions import courant_hat_2d
from constructions.reference_nets import reference_domain, reference_network
from constructions.sawtooth import sawtooth
from cpa.errors import ArgumentTypeError, DomainError, ShapeError
from cpa.geometry2d import pieces_to_shapely, region_outline, regions_to_shapely

BOX = cpa.Box([-1, -1], [1, 1])


def _close(a: float, b: Fraction) -> bool:
    return math.isclose(a, float(b), rel_tol=1e-12, abs_tol=1e-15)


@pytest.fixture(scope="module")
def small():
    net = cpa.compile("Max(x, y, 0) - Abs(x - 1/2)", variables="x,y")
    return cpa.regions(net, BOX)


@pytest.fixture(scope="module")
def deep():
    """Two hidden layers of 8: 131 regions cut by bent hyperplanes."""
    return cpa.regions(reference_network("R2"), reference_domain("R2"))


@pytest.fixture(scope="module")
def hat():
    """The Courant hat on [-2, 2]^2: 12 regions, 7 pieces, the zero piece a square with a hexagonal hole."""
    return cpa.regions(courant_hat_2d(), cpa.Box([-2, -2], [2, 2]))


@pytest.mark.parametrize("which", ["small", "deep", "hat"])
def test_region_areas_are_the_exact_volumes(which, request):
    cx = request.getfixturevalue(which)
    polys = regions_to_shapely(cx)
    assert len(polys) == len(cx)
    for p, r in zip(polys, cx):
        assert p.is_valid and shapely.is_ccw(p.exterior) and _close(p.area, r.volume())
    assert _close(math.fsum(p.area for p in polys), cx.total_volume())
    assert _close(shapely.union_all(polys).area, cx.domain.volume())


@pytest.mark.parametrize("which", ["small", "deep", "hat"])
def test_pieces_are_unions_of_their_regions(which, request):
    cx = request.getfixturevalue(which)
    pieces = pieces_to_shapely(cx)
    assert len(pieces) == len(cx.pieces)
    for g, piece in zip(pieces, cx.pieces):
        # a piece is connected: one polygon, and its area is the exact sum of its regions' volumes
        assert g.geom_type == "Polygon" and g.is_valid
        assert _close(g.area, sum((cx[i].volume() for i in piece), Fraction(0)))
    assert _close(shapely.union_all(pieces).area, cx.domain.volume())
    assert _close(math.fsum(g.area for g in pieces), cx.domain.volume())
    assert sum(len(g.interiors) for g in pieces) == (1 if which == "hat" else 0)


def test_outline_is_ordered_around_the_witness(small):
    for r in small:
        pts = region_outline(r)
        assert sorted(pts) == sorted(r.vertices())
        n = len(pts)
        area2 = sum(pts[k][0] * pts[(k + 1) % n][1] - pts[(k + 1) % n][0] * pts[k][1] for k in range(n))
        assert area2 == 2 * r.volume()                   # counter-clockwise, exactly


def test_a_list_of_regions(small):
    polys = regions_to_shapely(list(small)[:3])
    assert [p.area for p in polys] == [float(r.volume()) for r in list(small)[:3]]


def test_unbounded_regions_need_a_clip_box():
    net = cpa.compile("Max(x, y, 0) - Abs(x - 1/2)", variables="x,y")
    cx = cpa.regions(net)
    with pytest.raises(DomainError, match="unbounded.*clip=Box"):
        regions_to_shapely(cx)
    clip = cpa.Box([-3, -3], [3, 3])
    polys = regions_to_shapely(cx, clip=clip)
    assert len(polys) == len(cx) and math.fsum(p.area for p in polys) == pytest.approx(36, rel=1e-12)
    assert shapely.union_all(pieces_to_shapely(cx, clip=clip)).area == pytest.approx(36, rel=1e-12)
    far = regions_to_shapely(cx, clip=cpa.Box([100, -101], [101, -100]))
    assert sum(not p.is_empty for p in far) == 1 and sum(p.area for p in far) == pytest.approx(1)


def test_wrong_dimension_and_arguments(small):
    with pytest.raises(ShapeError, match="2-D"):
        regions_to_shapely(cpa.regions(sawtooth(2), cpa.Box([0], [1])))
    with pytest.raises(ArgumentTypeError, match="clip"):
        regions_to_shapely(small, clip=(0, 1, 0, 1))
    with pytest.raises(ArgumentTypeError):
        regions_to_shapely(5)


def test_plot_draws_the_piece_outlines(small):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    from cpa.plotting import plot_regions

    try:
        for color_by, outlines in (("piece", len(small.pieces)), ("region", 0)):
            fig, ax = plt.subplots()
            plot_regions(small, color_by=color_by, ax=ax)
            lines = [c for c in ax.collections if isinstance(c, LineCollection)]
            assert sum(len(c.get_segments()) for c in lines) == outlines
    finally:
        plt.close("all")
