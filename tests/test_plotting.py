"""Plots: the figures draw what the exact enumeration found (counts, polygons, breakpoints)."""

from __future__ import annotations

from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

import cpa  # noqa: E402
from constructions.sawtooth import sawtooth  # noqa: E402
from cpa.errors import ShapeError  # noqa: E402
from cpa.plotting import plot_function_1d, plot_regions, plot_surface, region_polygon  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_plot_function_1d_marks_every_breakpoint():
    ax = plot_function_1d(sawtooth(3), (0, 1))
    line, dots = ax.lines
    assert list(line.get_xdata()) == [k / 8 for k in range(9)]          # exact breakpoints k/8
    assert list(line.get_ydata()) == [0, 1, 0, 1, 0, 1, 0, 1, 0]
    assert len(dots.get_xdata()) == 7 and "7 breakpoints" in dots.get_label()


def test_plot_regions_one_collection_coloured_by_region_or_piece():
    net = cpa.compile("Max(x, y, 0) - Abs(x - 1/2)", variables="x,y")
    cx = cpa.regions(net, cpa.Box([-1, -1], [1, 1]))
    label = {i: k for k, piece in enumerate(cx.pieces) for i in piece}
    for color_by in ("region", "piece"):
        fig, ax = plt.subplots()
        out = plot_regions(cx, color_by=color_by, ax=ax)
        assert out is ax
        colls = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(colls) == 1 and len(colls[0].get_paths()) == len(cx)
        col = [tuple(c) for c in colls[0].get_facecolors()]
        for a, b in cx.graph.edges:        # neighbours differ, unless one piece when colouring pieces
            assert (col[a] == col[b]) == (color_by == "piece" and label[a] == label[b])
        if color_by == "piece":
            assert all(col[i] == col[min(p)] for p in cx.pieces for i in p)
    assert f"{len(cx)} regions" in ax.get_title()
    with pytest.raises(ValueError, match="color_by"):
        plot_regions(cx, color_by="neuron")


def test_region_polygons_tile_the_box_exactly():
    net = cpa.compile("Max(x, y, 0) - Abs(x - 1/2)", variables="x,y")
    cx = cpa.regions(net, cpa.Box([-1, -1], [1, 1]))
    window = (Fraction(-1), Fraction(1), Fraction(-1), Fraction(1))
    total = Fraction(0)
    for r in cx:
        poly = region_polygon(r.hrep, window)
        area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1])) / 2
        assert abs(area) == r.volume()
        total += abs(area)
    assert total == 4


def test_plot_surface_and_wrong_dimensions():
    net = cpa.compile("Max(x, y, 0)", variables="x,y")
    ax = plot_surface(net, resolution=10)
    assert ax.name == "3d"
    with pytest.raises(ShapeError, match="2 inputs"):
        plot_surface(sawtooth(2))
    with pytest.raises(ShapeError, match="2-D region maps"):
        plot_regions(sawtooth(2), cpa.Box([0], [1]))
