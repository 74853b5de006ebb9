"""Planes, segments and paths of input space; regions on a slice; the exact fast composition."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import cpa
from cpa import Affine, Path, Plane, ReLUNetwork, Segment
from cpa.domains import Box
from cpa.errors import DomainError, InvalidNumberError, ShapeError
from cpa.regions import count_regions, iter_regions, regions
from cpa.sparse import SparseMatrix

from strategies import networks, rationals


def compose_by_hand(net: ReLUNetwork, origin, directions) -> ReLUNetwork:
    """``net`` on the coordinates of ``origin + sum_k c_k directions[k]``, first layer folded by hand."""
    (W0, b0), *rest = net.layers
    W = [[sum((w * d[i] for i, w in enumerate(row)), Fraction(0)) for d in directions] for row in W0]
    b = [sum((w * o for w, o in zip(row, origin)), Fraction(0)) + c for row, c in zip(W0, b0)]
    return ReLUNetwork([(W, b), *rest])


def vec(d: int):
    return st.lists(rationals(6, 4), min_size=d, max_size=d)


# --- construction -------------------------------------------------------------------------------
def test_plane_through_float32_points_is_exact():
    rng = np.random.default_rng(3)
    X = rng.random((3, 50)).astype(np.float32)
    p = Plane.through(X[0], X[1], X[2], margin=1)
    exact = [tuple(Fraction(float(v)) for v in x) for x in X]
    assert p.to_input([0, 0]) == exact[0]
    assert p.to_input([1, 0]) == exact[1]
    assert p.to_input([0, 1]) == exact[2]
    assert p.dim == 50 and p.domain == Box([-1, -1], [2, 2])
    assert p.affine.shape == (50, 2)
    assert p.affine([Fraction(1, 3), 2]) == p.to_input([Fraction(1, 3), 2])
    assert p == Plane(exact[0], [a - b for a, b in zip(exact[1], exact[0])],
                      [a - b for a, b in zip(exact[2], exact[0])], ((-1, -1), (2, 2)))
    assert hash(p) == hash(Plane.through(X[0], X[1], X[2], margin=1))


def test_plane_box_and_default():
    p = Plane([0, 0, 1], [1, 0, 0], [0, 1, 0])
    assert p.domain == Box([0, 0], [1, 1])
    q = Plane([0, 0, 1], [1, 0, 0], [0, 1, 0], box=Box([-2, 0], [2, "1/2"]))
    assert q.domain.hi == (2, Fraction(1, 2))
    assert "Plane(" in repr(p) and "R^100" in repr(Plane.through([0] * 100, [1] + [0] * 99, [0, 1] + [0] * 98))


def test_segment_and_path():
    s = Segment([0, 0], [2, "1/2"])
    assert s.affine == Affine([[2], ["1/2"]], [0, 0])
    assert s.to_input(Fraction(1, 2)) == (1, Fraction(1, 4)) == s.to_input([Fraction(1, 2)])
    assert s.domain == Box([0], [1]) and s.dim == 2 and s.direction == (2, Fraction(1, 2))
    p = Path([[0, 0], [1, 0], [1, 1], [0, 1]])
    assert p.num_segments == 3 and p.vertex_parameters == (0, Fraction(1, 3), Fraction(2, 3), 1)
    assert p.to_input(Fraction(1, 3)) == (1, 0)
    assert p.to_input(Fraction(1, 2)) == (1, Fraction(1, 2))
    assert p.to_input(1) == (0, 1)
    assert p.segments[1] == Segment([1, 0], [1, 1])


@pytest.mark.parametrize("make,error,words", [
    (lambda: Plane.through([0, 0, 0], [1, 1, 1], [2, 2, 2]), DomainError, "collinear"),
    (lambda: Plane.through([0, 0, 0], [0, 0, 0], [2, 2, 2]), DomainError, "x1 equals x0"),
    (lambda: Plane.through([0, 0, 0], [1, 0], [0, 1, 0]), ShapeError, "x1 has length 2"),
    (lambda: Plane.through([0, 0], [1, 0], [0, 1], margin="-1/2"), DomainError, "margin"),
    (lambda: Plane([0, 0], [0, 0], [0, 1]), DomainError, "u is the zero vector"),
    (lambda: Plane([0, 0], [1, 2], [0, 0]), DomainError, "v is the zero vector"),
    (lambda: Plane([0, 0, 0], [1, 2, 3], ["1/2", 1, "3/2"]), DomainError, "linearly dependent"),
    (lambda: Plane([0, 0], [1, 0, 0], [0, 1]), ShapeError, "u has length 3"),
    (lambda: Plane([0, 0], [1, 0], [0, 1], box=((0, 0), (0, 1))), DomainError, ""),
    (lambda: Plane([0, 0], [1, 0], [0, 1], box=((0, 0, 0), (1, 1, 1))), DomainError, "R^2"),
    (lambda: Plane([0, float("nan")], [1, 0], [0, 1]), InvalidNumberError, "origin[1]"),
    (lambda: Segment([1, 2], [1, 2]), DomainError, "same point"),
    (lambda: Segment([1, 2], [1, 2, 3]), ShapeError, "b has length 3"),
    (lambda: Path([[1, 2]]), ShapeError, "at least two points"),
    (lambda: Path([[1, 2], [3, 4], [3, 4]]), DomainError, "points 1 and 2 are equal"),
    (lambda: Path([[1, 2], [3, 4, 5]]), ShapeError, "point 1 has length 3"),
])
def test_bad_slices_refused_in_one_line(make, error, words):
    with pytest.raises(error) as e:
        make()
    assert words in str(e.value) and "\n" not in str(e.value)


def test_regions_refuse_paths_and_wrong_dimensions():
    net = ReLUNetwork([([[1, 0, 0], [0, 1, 1]], [0, 0]), ([[1, 1]], [0])])
    with pytest.raises(DomainError, match="breakpoints"):
        count_regions(net, Path([[0, 0, 0], [1, 0, 0]]))
    with pytest.raises(DomainError, match=r"lies in R\^2 but the network has input dimension 3"):
        regions(net, Plane([0, 0], [1, 0], [0, 1]))
    with pytest.raises(DomainError, match=r"R\^2"):
        list(iter_regions(net, Segment([0, 0], [1, 1])))


# --- regions on a slice -----------------------------------------------------------------------------
@given(st.data())
def test_plane_count_agrees_across_engines_and_by_hand(data):
    d = data.draw(st.integers(3, 6), label="d")
    net = data.draw(networks(d=d, max_depth=2, max_width=4), label="net")
    o, u, v = data.draw(vec(d), label="origin"), data.draw(vec(d), label="u"), data.draw(vec(d), label="v")
    assume(any(u) and any(v))
    assume(any(a * b2 != b * a2 for a, b in zip(u, v) for a2, b2 in zip(u, v)))
    plane = Plane(o, u, v, box=((-1, -1), (2, 2)))
    by_vertex = count_regions(net, plane, method="vertex")
    by_polygon = count_regions(net @ plane.affine, plane.domain, method="polygon")
    by_hand = count_regions(compose_by_hand(net, o, [u, v]), plane.domain, method="polygon")
    assert by_vertex.activation_regions == by_polygon.activation_regions == by_hand.activation_regions
    assert by_vertex.affine_pieces == by_polygon.affine_pieces == by_hand.affine_pieces
    assert (net @ plane.affine) == compose_by_hand(net, o, [u, v])


def test_complex_on_a_plane_keeps_the_slice_and_maps_back():
    rng = np.random.default_rng(0)
    layers = [(rng.standard_normal((6, 5)), rng.standard_normal(6)),
              (rng.standard_normal((4, 6)), rng.standard_normal(4)), (rng.standard_normal((1, 4)), [0])]
    net = ReLUNetwork(layers)
    X = rng.random((3, 5)).astype(np.float32)
    plane = Plane.through(*X, margin=2)
    cx = regions(net, plane)
    assert cx.slice is plane and cx.network.input_dim == 2 and cx.domain == plane.domain
    assert regions(net, Box([0] * 5, [1] * 5)).slice is None
    for r in cx:
        x = plane.to_input(r.witness)
        assert net.activation_pattern(x) == r.pattern
        assert r.affine_map(r.witness) == net(x)
    assert sum(1 for _ in iter_regions(net, plane)) == len(cx) == count_regions(net, plane).activation_regions
    assert cx.certify()


def test_segment_as_a_domain():
    net = ReLUNetwork([([[1, -1], [1, 1], [0, 2]], [0, -1, "-1/2"]), ([[1, -2, 1]], [0])])
    seg = Segment([-2, 0], [2, 1])
    cx = regions(net, seg)
    assert cx.slice is seg and cx.method == "line"
    assert len(cx) == cpa.breakpoints(net, seg).activation_regions
    assert count_regions(net, seg, method="vertex").activation_regions == len(cx)


# --- exact fast composition -------------------------------------------------------------------------
def entries():
    return st.one_of(
        rationals(9, 9),
        st.floats(-1e6, 1e6, allow_nan=False, width=32).map(Fraction),
        st.builds(Fraction, st.integers(-2 ** 80, 2 ** 80), st.integers(1, 2 ** 70)),
        st.sampled_from([Fraction(0), Fraction(2 ** 62), Fraction(-2 ** 62 + 1), Fraction(-2 ** 63)]),
    )


@given(st.data())
def test_integer_product_equals_fraction_product(data):
    m, k, n = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 30)), data.draw(st.integers(1, 4))
    sparse = data.draw(st.booleans(), label="sparse")
    pick = st.one_of(st.just(Fraction(0)), entries()) if sparse else entries()
    A = [[data.draw(pick) for _ in range(k)] for _ in range(m)]
    B = [[data.draw(pick) for _ in range(n)] for _ in range(k)]
    x = [data.draw(pick) for _ in range(k)]
    SA, SB = SparseMatrix.from_dense(A, k), SparseMatrix.from_dense(B, n)
    P, y = SA._integer_product(SB, x)
    assert P == SA._fraction_product(SB)
    assert y == SA.apply(x)
    assert SA.matmul_and_apply(SB, x) == (P, y)


def test_composition_of_a_wide_float32_layer_is_exact():
    rng = np.random.default_rng(1)
    W = (rng.standard_normal((16, 300)) * 0.05).astype(np.float32)
    W[3, :] = 0                                                          # an empty row
    layer = Affine(W.astype(float), rng.standard_normal(16).astype(np.float32).astype(float))
    X = rng.random((3, 300)).astype(np.float32)
    plane = Plane.through(*X)
    fast = layer @ plane.affine
    slow = Affine(layer.W._fraction_product(plane.affine.W),
                  [s + c for s, c in zip(layer.W.apply(plane.affine.b), layer.b)])
    assert fast == slow
    assert layer.W._integer_product_pays(plane.affine.W, 1)
