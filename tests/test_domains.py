"""Exact domains: boxes, polyhedra, R^d."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpa import DomainError
from cpa.domains import Box, Polyhedron, Reals, as_domain


def test_box_basics():
    B = Box([0, "-1/2"], [1, 0.5])
    assert B.lo == (Fraction(0), Fraction(-1, 2)) and B.hi == (Fraction(1), Fraction(1, 2))
    assert B.dim == 2 and B.is_bounded
    assert B.volume() == 1
    assert B.interior_point() == (Fraction(1, 2), Fraction(0))
    assert len(B.vertices()) == 4
    assert B.contains([1, 0]) and not B.contains([2, 0])
    assert hash(B) == hash(Box([0, Fraction(-1, 2)], [1, Fraction(1, 2)]))
    assert B == Box([0, -0.5], [1, "1/2"])
    with pytest.raises(Exception):
        B.lo = (Fraction(3),)   # frozen


@pytest.mark.parametrize("lo,hi,msg", [
    ([1], [0], r"empty box: lo\[0\] = 1 > hi\[0\] = 0"),
    ([0, 0], [1], "different lengths"),
    ([0], [float("inf")], "not finite"),
    ([float("nan")], [1], "not finite"),
    ([0, 2], [1, 2], "not full-dimensional"),
    ([], [], "at least one coordinate"),
    (["x"], [1], "cannot read"),
])
def test_box_errors(lo, hi, msg):
    with pytest.raises(DomainError, match=msg):
        Box(lo, hi)


def test_reals():
    R = Reals(3)
    assert R.dim == 3 and not R.is_bounded
    assert R.constraints() == ((), ())
    with pytest.raises(DomainError, match="unbounded"):
        R.volume()
    with pytest.raises(DomainError):
        Reals(0)
    assert Reals(2) == Reals(2) and hash(Reals(2)) == hash(Reals(2))


def test_polyhedron_triangle():
    P = Polyhedron([[-1, 0], [0, -1], [1, 1]], [0, 0, 1])
    assert P.is_full_dimensional() and not P.is_empty() and P.is_bounded
    assert P.volume() == Fraction(1, 2)
    assert sorted(P.vertices()) == [(0, 0), (0, 1), (1, 0)]
    x = P.interior_point()
    assert all(sum(a * v for a, v in zip(r, x)) < c for r, c in zip(P.A, P.b))
    assert P.contains([0, 0]) and not P.contains([1, 1])
    assert hash(P) == hash(Polyhedron([[-1, 0], [0, -1], [1, 1]], [0, 0, 1]))


def test_polyhedron_unbounded_and_redundant():
    Q = Polyhedron([[-1, 0], [0, -1], [-1, -1]], [0, 0, 5])    # quadrant, last row redundant
    assert not Q.is_bounded
    assert Q.vertices() == ((Fraction(0), Fraction(0)),)
    with pytest.raises(DomainError, match="unbounded"):
        Q.volume()
    H = Polyhedron([[1, 1]], [3])                                # half-plane: no vertex
    assert not H.is_bounded and H.vertices() == ()
    assert H.contains(H.interior_point())


def test_polyhedron_empty_and_flat():
    E = Polyhedron([[1, 0], [-1, 0]], [0, -1])                   # x <= 0 and x >= 1
    assert E.is_empty() and not E.is_full_dimensional()
    with pytest.raises(DomainError, match="is empty"):
        E.check()
    F = Polyhedron([[1, 1], [-1, -1], [1, 0], [-1, 0]], [1, -1, 5, 5])   # a segment of x + y = 1
    assert not F.is_empty() and not F.is_full_dimensional()
    with pytest.raises(DomainError, match="not full-dimensional"):
        F.volume()
    Z = Polyhedron([[0, 0]], [-1])                               # 0 <= -1
    assert Z.is_empty()
    assert Polyhedron([[0, 0]], [1]).is_full_dimensional()       # 0 <= 1: all of R^2


def test_polyhedron_errors():
    with pytest.raises(DomainError, match="2 rows but b has 1"):
        Polyhedron([[1, 0], [0, 1]], [1])
    with pytest.raises(DomainError, match="ragged"):
        Polyhedron([[1, 0], [1]], [1, 1])
    with pytest.raises(DomainError, match="not finite"):
        Polyhedron([[1, 0]], [float("inf")])
    with pytest.raises(DomainError, match="dim="):
        Polyhedron([], [])
    assert Polyhedron([], [], dim=2).is_full_dimensional()


def test_as_domain():
    assert as_domain(None, 3) == Reals(3)
    assert as_domain(([0], [1]), 1) == Box([0], [1])
    with pytest.raises(DomainError, match="dimension 2 but the network has input dimension 3"):
        as_domain(Box([0, 0], [1, 1]), 3)
    with pytest.raises(DomainError, match="unsupported domain"):
        as_domain("box", 2)
    with pytest.raises(DomainError, match="empty"):
        as_domain(Polyhedron([[1], [-1]], [0, -1]), 1)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(-4, 4)), min_size=1, max_size=6))
def test_polyhedron_volume_matches_box_clipping(rows):
    """Volume of {x in [-2,2]^2 : rows} from Polyhedron equals the sum of region volumes of a
    network whose hyperplanes are the rows (two independent exact computations)."""
    from cpa import ReLUNetwork
    from cpa.regions import regions

    A = [[1, 0], [-1, 0], [0, 1], [0, -1]] + [[a, b] for a, b, _ in rows]
    b = [2, 2, 2, 2] + [c for _, _, c in rows]
    P = Polyhedron(A, b)
    if not P.is_full_dimensional():
        return
    net = ReLUNetwork([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
    cx = regions(net, P)
    assert cx.total_volume() == P.volume()
    assert all(P.contains(r.witness) for r in cx)
