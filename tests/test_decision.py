"""Decision regions: exact class cells, areas and boundary of 2-input classifiers."""

from __future__ import annotations

from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, strategies as st  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402

import cpa  # noqa: E402
from cpa import Box, ReLUNetwork  # noqa: E402
from cpa.errors import ArgumentError, DomainError, ShapeError  # noqa: E402
from cpa.plotting import plot_decision_regions  # noqa: E402
from strategies import networks  # noqa: E402

SQUARE = Box([-1, -1], [1, 1])
F = Fraction


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def hidden_net(hidden, out_W, out_b):
    """A one-hidden-layer network from rows ``(w1, w2, b)`` of the hidden layer."""
    return ReLUNetwork([([r[:2] for r in hidden], [r[2] for r in hidden]), (out_W, out_b)])


def pts(seg):
    return (seg.start, seg.end), seg.classes


def centre(vertices):
    return tuple(sum(v[i] for v in vertices) / len(vertices) for i in range(2))


# --- known answers -------------------------------------------------------------------------

def test_outputs_x_and_y_split_by_the_diagonal():
    dr = cpa.decision_regions(ReLUNetwork([([[1, 0], [0, 1]], [0, 0])]), SQUARE)
    assert dr.areas == (2, 2) and dr.area(0) == dr.area(1) == 2
    assert [pts(s) for s in dr.boundary_pieces] == [(((-1, -1), (1, 1)), (0, 1))]
    assert dr.num_boundary_pieces == 1 and dr.counts == (1, 1) and dr.cell_counts == (1, 1)
    assert dr.polygons(0) == [((F(-1), F(-1)), (F(1), F(-1)), (F(1), F(1)))]   # x >= y: below the diagonal
    assert dr.classes_at((F(1, 2), 0)) == (0,) and dr.classes_at((0, 0)) == (0, 1)
    assert dr.classes_at((2, 0)) == ()


def test_boundary_merged_across_activation_regions():
    # outputs (x, y) through relu(+-x), relu(+-y), with an unused neuron relu(x + y): 6 regions
    hidden = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (1, 1, 0)]
    dr = cpa.decision_regions(hidden_net(hidden, [[1, -1, 0, 0, 0], [0, 0, 1, -1, 0]], [0, 0]), SQUARE)
    assert len(dr.complex) == 6 and dr.areas == (2, 2)
    assert sorted(pts(s) for s in dr.segments) == [(((-1, -1), (0, 0)), (0, 1)), (((0, 0), (1, 1)), (0, 1))]
    assert [pts(s) for s in dr.boundary_pieces] == [(((-1, -1), (1, 1)), (0, 1))]
    assert dr.counts == (1, 1) and dr.cell_counts == (4, 4)          # half of I and III, two of IV (II)


def test_a_class_winning_inside_and_a_disconnected_class():
    # outputs (|x|, 1/2): class 0 on |x| >= 1/2 (two pieces), class 1 on the band |x| <= 1/2
    dr = cpa.decision_regions(hidden_net([(1, 0, 0), (-1, 0, 0)], [[1, 1], [0, 0]], [0, F(1, 2)]), SQUARE)
    assert dr.areas == (2, 2) and dr.counts == (2, 1) and dr.cell_counts == (2, 2)
    assert len(dr.components(0)) == 2 and len(dr.components(1)) == 1
    assert sorted(pts(s) for s in dr.boundary_pieces) == [
        (((F(-1, 2), -1), (F(-1, 2), 1)), (0, 1)), (((F(1, 2), -1), (F(1, 2), 1)), (0, 1))]


def test_three_classes_meeting_at_a_point():
    # outputs (x, -x, 1/2) on [-1, 1]^2: class 2 on |x| <= 1/2
    dr = cpa.decision_regions(ReLUNetwork([([[1, 0], [-1, 0], [0, 0]], [0, 0, F(1, 2)])]), SQUARE)
    assert dr.areas == (1, 1, 2) and dr.num_boundary_pieces == 2
    assert {s.classes for s in dr.boundary_pieces} == {(0, 2), (1, 2)}
    # outputs (x, y, -x - y): three rays from the origin, the classes tie there
    dr = cpa.decision_regions(ReLUNetwork([([[1, 0], [0, 1], [-1, -1]], [0, 0, 0])]), SQUARE)
    assert sum(dr.areas) == 4 and dr.num_boundary_pieces == 3
    assert dr.classes_at((0, 0)) == (0, 1, 2)


# --- ties and degenerate outputs ------------------------------------------------------------

def test_identical_outputs_go_to_the_smaller_index():
    dr = cpa.decision_regions(ReLUNetwork([([[1, 0], [1, 0]], [0, 0])]), SQUARE)
    assert dr.areas == (4, 0) and dr.counts == (1, 0) and dr.cell_counts == (1, 0)
    assert dr.segments == () and dr.polygons(1) == [] and dr.components(1) == ()


def test_a_class_that_never_wins():
    dr = cpa.decision_regions(ReLUNetwork([([[1, 0], [0, 1], [0, 0]], [0, 0, -5])]), SQUARE)
    assert dr.areas == (2, 2, 0) and dr.counts[2] == 0 and dr.polygons(2) == []
    # a class that wins only on the segment x = 0 (outputs x, -x, 0) has no cell either
    dr = cpa.decision_regions(ReLUNetwork([([[1, 0], [-1, 0], [0, 0]], [0, 0, 0])]), SQUARE)
    assert dr.areas == (2, 2, 0) and dr.cell_counts == (1, 1, 0)
    assert [pts(s) for s in dr.boundary_pieces] == [(((0, -1), (0, 1)), (0, 1))]


def test_tie_along_a_whole_activation_region():
    # outputs (0, relu(x)): equal (both 0) on the region x < 0, which goes to class 0
    net = hidden_net([(1, 0, 0)], [[0], [1]], [0, 0])
    dr = cpa.decision_regions(net, SQUARE)
    assert len(dr.complex) == 2 and dr.areas == (2, 2)
    left = [r.index for r in dr.complex if r.witness[0] < 0][0]
    assert [c.label for c in dr.cells if c.region == left] == [0]
    assert [pts(s) for s in dr.boundary_pieces] == [(((0, -1), (0, 1)), (0, 1))]    # on the region boundary


# --- properties -----------------------------------------------------------------------------

@st.composite
def classifiers(draw):
    return draw(networks(d=2, max_depth=2, max_width=4, out=draw(st.integers(2, 4))))


@given(classifiers())
def test_cells_tile_the_domain_and_the_boundary_ties(net):
    dr = cpa.decision_regions(net, Box([-2, -1], [1, 2]))
    assert sum(dr.areas) == 9                                   # exact: the cells tile the box
    per_region = {}
    for cell in dr.cells:
        per_region[cell.region] = per_region.get(cell.region, 0) + cell.area
        assert cell.area > 0
        y = net(centre(cell.vertices))                          # an interior point of the cell
        assert y[cell.label] == max(y)
    assert all(per_region[r.index] == r.volume() for r in dr.complex)
    for s in dr.segments:
        y = net(centre((s.start, s.end)))
        k, j = s.classes
        assert s.start != s.end and y[k] == y[j] == max(y)
    assert sum(dr.counts) <= len(dr.cells) and dr.num_boundary_pieces <= len(dr.segments)


def test_agrees_with_float_sampling():
    rng = np.random.default_rng(7)
    layers = []
    for m, n in ((2, 8), (8, 8), (8, 4)):
        layers.append(([[F(int(v), 4) for v in row] for row in rng.integers(-6, 7, size=(n, m))],
                       [F(int(v), 4) for v in rng.integers(-6, 7, size=n)]))
    net = ReLUNetwork(layers)
    dr = cpa.decision_regions(net, SQUARE)
    assert sum(dr.areas) == 4 and sum(1 for a in dr.areas if a) >= 2
    X = rng.uniform(-1, 1, size=(300, 2))
    Y = net.evaluate_float(X)
    checked = 0
    for x, y in zip(X, Y):
        top = np.sort(y)[-2:]
        if top[1] - top[0] < 1e-6:                              # too near the boundary for floats
            continue
        assert dr.classes_at((F(x[0]), F(x[1]))) == (int(np.argmax(y)),)
        checked += 1
    assert checked > 250


def test_same_answer_from_the_complex_and_both_2d_engines():
    net = cpa.compile("Max(x, y, 0) - Abs(x - 1/2)", variables="x,y")
    two = cpa.Affine([[1], [-1]], [0, F(1, 3)]) @ net               # outputs (f, 1/3 - f)
    a = cpa.decision_regions(two, SQUARE, method="polygon")
    b = cpa.decision_regions(cpa.regions(two, SQUARE, method="vertex"))
    assert a.areas == b.areas and sum(a.areas) == 4
    assert sorted(map(pts, a.boundary_pieces)) == sorted(map(pts, b.boundary_pieces))
    assert a.counts == b.counts and a.cell_counts == b.cell_counts
    assert b.stats["regions_seconds"] == 0.0


def test_bounded_polyhedron_domain():
    tri = cpa.Polyhedron([[-1, 0], [0, -1], [1, 1]], [0, 0, 1])      # x, y >= 0, x + y <= 1
    dr = cpa.decision_regions(ReLUNetwork([([[1, 0], [0, 1]], [0, 0])]), tri)
    assert dr.areas == (F(1, 4), F(1, 4))
    assert [pts(s) for s in dr.boundary_pieces] == [(((0, 0), (F(1, 2), F(1, 2))), (0, 1))]


# --- refusals -------------------------------------------------------------------------------

@pytest.mark.parametrize("net, domain, error, words", [
    (ReLUNetwork([([[1, 0, 0], [0, 1, 0]], [0, 0])]), Box([0] * 3, [1] * 3), ShapeError, "2 inputs"),
    (ReLUNetwork([([[1]], [0])]), Box([0], [1]), ShapeError, "2 inputs"),
    (ReLUNetwork([([[1, 1]], [0])]), SQUARE, ShapeError, "at least 2 outputs"),
    (ReLUNetwork([([[1, 0], [0, 1]], [0, 0])]), None, DomainError, "bounded domain"),
    (ReLUNetwork([([[1, 0], [0, 1]], [0, 0])]), cpa.Polyhedron([[-1, 0]], [0]), DomainError, "bounded domain"),
    (ReLUNetwork([([[1, 0], [0, 1]], [0, 0])]), Box([0], [1]), DomainError, "dimension"),
])
def test_refusals_say_why_in_one_line(net, domain, error, words):
    with pytest.raises(error, match=words) as info:
        cpa.decision_regions(net, domain)
    assert "\n" not in str(info.value)


def test_refuses_another_domain_for_a_complex_and_bad_class_indices():
    net = ReLUNetwork([([[1, 0], [0, 1]], [0, 0])])
    dr = cpa.decision_regions(cpa.regions(net, SQUARE), SQUARE)
    with pytest.raises(DomainError, match="not the complex's domain"):
        cpa.decision_regions(dr.complex, Box([0, 0], [1, 1]))
    with pytest.raises(ArgumentError, match="0..1"):
        dr.area(2)
    with pytest.raises(ShapeError, match="2 coordinates"):
        dr.classes_at((0, 0, 0))


# --- plot -----------------------------------------------------------------------------------

def test_plot_decision_regions_returns_axes():
    hidden = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (1, 1, 0)]
    net = hidden_net(hidden, [[1, -1, 0, 0, 0], [0, 0, 1, -1, 0], [0, 0, 0, 0, 0]], [0, 0, -5])
    dr = cpa.decision_regions(net, SQUARE)
    fig, ax = plt.subplots()
    assert plot_decision_regions(dr, ax=ax) is ax
    polys = [c for c in ax.collections if isinstance(c, PolyCollection)]
    lines = [c for c in ax.collections if isinstance(c, LineCollection) and not isinstance(c, PolyCollection)]
    assert [len(p.get_paths()) for p in polys] == [len(dr.cells), len(dr.complex)]
    assert len(lines) == 1 and len(lines[0].get_segments()) == dr.num_boundary_pieces
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0 (2)", "class 1 (2)"]
    ax2 = plot_decision_regions(net, SQUARE, show_regions=False, colormap="viridis")
    assert len([c for c in ax2.collections if isinstance(c, PolyCollection)]) == 1
    with pytest.raises(ArgumentError, match="colormap"):
        plot_decision_regions(dr, colormap="no-such-map")


def test_a_plane_of_a_higher_dimensional_classifier():
    """On a plane through three inputs of a 4-input classifier, the classes are those of the
    2-input network composed by hand, and their areas add up to the plane's box."""
    import cpa

    net = ReLUNetwork([([[1, -1, 0, 2], [0, 1, 1, -1], [1, 1, 1, 1]], [0, "1/2", -1]),
                       ([[1, 0, -1], [0, 1, 1], [-1, 1, 0]], [0, 0, "1/3"])])
    plane = cpa.Plane.through([0, 0, 0, 0], [1, 0, 1, 0], [0, 2, 0, 1], margin=1)
    dr = cpa.decision_regions(net, plane)
    by_hand = cpa.decision_regions(net @ plane.affine, plane.domain)
    assert dr.areas == by_hand.areas and sum(dr.areas) == 9
    assert dr.num_boundary_pieces == by_hand.num_boundary_pieces
