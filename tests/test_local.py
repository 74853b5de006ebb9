"""Point location, local search and local complexity (:mod:`cpa.regions.local`) against full enumeration.

Every comparison is exact: ``region_at`` names a region of ``regions(net, box)`` (the one whose
pattern is the network's pattern at ``x + eps e_1 + eps^2 e_2 + ...`` for a tiny exact ``eps``),
its distance is recomputed from its H-representation and attained; ``grow_regions`` with a radius
finds exactly the patterns of the enumeration on the ball; ``local_complexity`` counts the same
regions and, for the hyperplanes, the same neurons as a brute force over the exact vertices of the
enumerated regions.  Small integer weights and duplicated or opposite neurons make points on
boundaries, coincident hyperplanes and neurons touching the ball common, which is the point.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("highspy")
pytest.importorskip("flint")

import cpa  # noqa: E402
from cpa import Box, Polyhedron, ReLUNetwork, regions  # noqa: E402
from cpa.errors import ArgumentError, ArgumentTypeError, DomainError, ShapeError  # noqa: E402
from cpa.regions.local import LocalComplexity, grow_regions, local_complexity, region_at  # noqa: E402
from cpa.regions._local_slice import random_directions, slice_counts, slice_polytope  # noqa: E402

EPS = Fraction(1, 2 ** 80)


# --- strategies -----------------------------------------------------------------------------
def small(num: int = 3, den: int = 2) -> st.SearchStrategy[Fraction]:
    return st.builds(Fraction, st.integers(-num, num), st.integers(1, den))


@st.composite
def nets(draw: st.DrawFn, d: int | None = None, max_layers: int = 2, max_width: int = 3) -> ReLUNetwork:
    """Small networks; integer weights half of the time, and sometimes a duplicated and a negated
    neuron in a layer (coincident hyperplanes)."""
    d = d or draw(st.integers(1, 3))
    ints = draw(st.booleans())
    num = small(2, 1) if ints else small()
    widths = [d] + draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_layers)) + [1]
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        W = [[draw(num) for _ in range(a)] for _ in range(b)]
        c = [draw(num) for _ in range(b)]
        if b >= 2 and draw(st.booleans()):
            W[1], c[1] = list(W[0]), c[0]
            if b >= 3:
                W[2], c[2] = [-v for v in W[0]], -c[0]
        layers.append((W, c))
    return ReLUNetwork(layers)


def point(d: int) -> st.SearchStrategy[list[Fraction]]:
    return st.lists(small(3, 2), min_size=d, max_size=d)


@st.composite
def cases(draw: st.DrawFn, max_d: int = 3) -> tuple[ReLUNetwork, list[Fraction], Fraction]:
    d = draw(st.integers(1, max_d))
    return draw(nets(d)), draw(point(d)), draw(st.sampled_from([Fraction(1, 2), Fraction(1), Fraction(2)]))


# --- references -------------------------------------------------------------------------------
def ball(x, r, norm):
    d = len(x)
    if norm == "linf":
        return Box([v - r for v in x], [v + r for v in x])
    A = [list(s) for s in itertools.product((1, -1), repeat=d)]
    return Polyhedron(A, [r + sum(a * v for a, v in zip(s, x)) for s in A])


def lex_pattern(net, x, first=None):
    """The pattern at ``x + eps v + eps^2 e_1 + ...`` for a tiny exact ``eps`` (the lexicographic rule)."""
    d = len(x)
    y = list(x)
    k = 1
    dirs = ([list(first)] if first is not None else []) + [[int(i == j) for j in range(d)] for i in range(d)]
    for v in dirs:
        y = [a + EPS ** k * Fraction(b) for a, b in zip(y, v)]
        k += 1
    return net.activation_pattern(y)


def brute_hyperplanes(net, cx):
    """Neurons whose pre-activation takes a value <= 0 and one >= 0 at the exact vertices of the regions."""
    flags: dict = {}
    for v in {v for R in cx for v in R.vertices()}:
        h = list(v)
        for l, L in enumerate(net.affine_layers[:-1]):
            z = L.apply(h)
            for k, q in enumerate(z):
                flags[(l, k)] = flags.get((l, k), 0) | (q >= 0) | (2 * (q <= 0))
            h = [q if q > 0 else 0 for q in z]
    return sum(1 for f in flags.values() if f == 3)


def dual(a, norm):
    return {"linf": sum(abs(v) for v in a), "l1": max(abs(v) for v in a), "l2": sum(v * v for v in a)}[norm]


def dist(y, x, norm):
    diff = [a - b for a, b in zip(y, x)]
    return {"linf": max(map(abs, diff)), "l1": sum(map(abs, diff)), "l2": sum(v * v for v in diff)}[norm]


def strictly_inside(hrep, w):
    A, b = hrep
    return all(sum(a * v for a, v in zip(r, w)) < c for r, c in zip(A, b))


# --- region_at ---------------------------------------------------------------------------------
@given(cases(), st.sampled_from(["linf", "l1", "l2"]))
@settings(max_examples=40)
def test_region_at_is_the_lexicographic_region_of_the_enumeration(case, norm):
    net, x, r = case
    got = region_at(net, x, norm=norm)
    assert got.pattern == lex_pattern(net, x)
    cx = regions(net, Box([v - r for v in x], [v + r for v in x]))
    match = [R for R in cx if R.pattern == got.pattern]
    assert len(match) == 1
    assert tuple(got.affine_map.A) == tuple(match[0].affine_map.A)
    assert got.affine_map.b == match[0].affine_map.b
    # the witness certifies the pattern; the H-representation has one row per non-constant neuron
    assert strictly_inside(got.hrep, got.witness)
    assert net.activation_pattern(got.witness) == got.pattern
    A, b = got.hrep
    assert len(A) == len(got.neurons)
    assert all(sum(a * v for a, v in zip(row, x)) <= c for row, c in zip(A, b))      # x in the closure


@given(cases(), st.sampled_from(["linf", "l1", "l2"]))
@settings(max_examples=40)
def test_region_at_distance_is_exact_and_attained(case, norm):
    net, x, _ = case
    got = region_at(net, x, norm=norm)
    A, b = got.hrep
    rows = [(a, c) for a, c in zip(A, b) if any(a)]
    if not rows:
        assert got.distance is None and got.nearest is None
        return
    slacks = [c - sum(ai * xi for ai, xi in zip(a, x)) for a, c in rows]
    want = min((s * s if norm == "l2" else s) / dual(a, norm) for s, (a, c) in zip(slacks, rows))
    value = got.distance_squared if norm == "l2" else got.distance
    assert value == want
    assert got.on_boundary == (want == 0)
    y = got.nearest
    assert dist(y, x, norm) == value                                              # attained
    assert all(sum(ai * yi for ai, yi in zip(a, y)) <= c for a, c in zip(A, b))    # on the closure
    a, c = A[got.facet], b[got.facet]
    assert sum(ai * yi for ai, yi in zip(a, y)) == c                               # on the boundary
    if norm == "l2":
        import sympy

        assert got.distance == sympy.sqrt(sympy.Rational(want.numerator, want.denominator))


def test_region_at_on_boundaries_and_duplicated_neurons():
    # |x| with a duplicated and a negated neuron: x = 0 lies on all three hyperplanes
    net = ReLUNetwork([([[1], [1], [-1]], [0, 0, 0]), ([[1, 1, 1]], [0])])
    at0 = region_at(net, [0])
    assert at0.pattern == ((True, True, False),) and at0.on_boundary and at0.distance == 0
    assert at0.witness[0] > 0
    left = region_at(net, [0], direction=[-1])
    assert left.pattern == ((False, False, True),) and left.witness[0] < 0
    # a neuron identically zero on a region is inactive there (the engines' convention)
    dead = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1], [0, 0]], [0, 0]), ([[1, 1]], [0])])
    r = region_at(dead, [Fraction(1, 2)])
    assert r.pattern == ((True, False), (True, False))
    assert r.neurons == ((0, 0), (0, 1), (1, 0))                       # the constant one has no row
    # integer weights, a point on two hyperplanes of a plane network
    net2 = ReLUNetwork([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])])
    r2 = region_at(net2, [1, 0])
    assert r2.pattern == lex_pattern(net2, [1, 0]) and r2.on_boundary
    assert r2.pattern in {R.pattern for R in regions(net2, Box([-2, -2], [2, 2]))}


def test_region_at_with_a_domain():
    net = ReLUNetwork([([[1, -1]], [0]), ([[1]], [0])])
    dom = Box([0, 0], [1, 1])
    r = region_at(net, [Fraction(1, 2), Fraction(1, 4)], domain=dom)
    assert len(r.hrep[0]) == 5 and r.distance == Fraction(1, 8)           # to the diagonal x = y
    corner = region_at(net, [0, 0], domain=dom)                           # on the domain's corner
    assert corner.on_boundary and dom.contains(corner.witness) and strictly_inside(corner.hrep, corner.witness)
    with pytest.raises(DomainError, match="outside the domain"):
        region_at(net, [2, 0], domain=dom)
    with pytest.raises(DomainError, match="leaves the domain"):
        region_at(net, [0, 0], domain=dom, direction=[-1, 0])


def test_region_at_float32_input_is_exact():
    rng = np.random.default_rng(0)
    layers = [(rng.standard_normal((6, 40)).astype(np.float32), rng.standard_normal(6).astype(np.float32)),
              (rng.standard_normal((5, 6)).astype(np.float32), rng.standard_normal(5).astype(np.float32)),
              (rng.standard_normal((2, 5)).astype(np.float32), np.zeros(2, np.float32))]
    net = ReLUNetwork(layers)
    x = rng.random(40).astype(np.float32)
    r = region_at(net, x)
    xq = [Fraction(float(v)) for v in x]
    assert r.pattern == net.activation_pattern(xq) and r.witness == tuple(xq)
    assert r.affine_map(xq) == net(xq)
    assert strictly_inside(r.hrep, xq) and r.distance > 0


# --- local search --------------------------------------------------------------------------------
@given(cases(), st.sampled_from(["linf", "l1"]))
@settings(max_examples=40)
def test_grow_regions_with_a_radius_is_the_enumeration_on_the_ball(case, norm):
    net, x, r = case
    found = list(grow_regions(net, x, radius=r, norm=norm))
    pats = [R.pattern for R in found]
    assert len(set(pats)) == len(pats)
    assert sorted(pats) == sorted(R.pattern for R in regions(net, ball(x, r, norm)))
    for R in found:
        assert strictly_inside(R.hrep, R.witness) and dist(R.witness, x, norm) < r
    assert found[0].steps == 0 and found[0].pattern == lex_pattern(net, x)
    assert [R.steps for R in found] == sorted(R.steps for R in found)         # breadth first


@given(cases(max_d=2))
@settings(max_examples=20)
def test_grow_regions_without_a_radius_finds_every_region(case):
    net, x, _ = case
    pats = [R.pattern for R in grow_regions(net, x)]
    assert sorted(pats) == sorted(R.pattern for R in regions(net))


def test_grow_regions_budget_and_records():
    net = ReLUNetwork([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])])
    stats: dict = {}
    first = list(grow_regions(net, [0, 0], max_regions=3, stats=stats))
    assert len(first) == 3 and stats["regions"] == 3
    rec = first[0].to_record()
    assert rec["pattern"] == ["".join("1" if a else "0" for a in first[0].pattern[0])]


def test_grow_regions_in_high_dimension():
    """d = 60: the first layer's rows are independent, so facets are decided in its coordinates."""
    rng = np.random.default_rng(1)
    layers = [(rng.standard_normal((8, 60)).astype(np.float32), rng.standard_normal(8).astype(np.float32)),
              (rng.standard_normal((6, 8)).astype(np.float32), rng.standard_normal(6).astype(np.float32)),
              (rng.standard_normal((1, 6)).astype(np.float32), np.zeros(1, np.float32))]
    net = ReLUNetwork(layers)
    x = rng.random(60).astype(np.float32)
    found = list(grow_regions(net, x, max_regions=6))
    assert len({R.pattern for R in found}) == 6
    for R in found:
        assert net.activation_pattern(R.witness) == R.pattern and strictly_inside(R.hrep, R.witness)
    near = list(grow_regions(net, x, radius=Fraction(1, 20)))
    for R in near:
        assert dist(R.witness, [Fraction(float(v)) for v in x], "linf") < Fraction(1, 20)


# --- local complexity ---------------------------------------------------------------------------
@given(cases(), st.sampled_from(["linf", "l1"]))
@settings(max_examples=30)
def test_local_complexity_is_the_enumeration_on_the_ball(case, norm):
    net, x, r = case
    got = local_complexity(net, [x], r, norm=norm)[0]
    cx = regions(net, ball(x, r, norm))
    assert got.regions == len(cx)
    assert got.hyperplanes == brute_hyperplanes(net, cx)


@given(st.integers(2, 4).flatmap(lambda d: st.tuples(nets(d, max_width=4), point(d))),
       st.sampled_from(["linf", "l1"]), st.integers(1, 4))
@settings(max_examples=30)
def test_local_complexity_in_a_subspace(case, norm, k):
    net, x = case
    d = net.input_dim
    k = min(k, d)
    r = Fraction(3, 2)
    V = [[Fraction(((7 * i + 3 * j) % 5) - 2, 1 + (i + j) % 2) for j in range(d)] for i in range(k)]
    V = [[Fraction(int(i == j)) if i < d else 0 for j in range(d)] for i in range(k)] if k == d else V
    try:
        got = local_complexity(net, [x], r, norm=norm, directions=V)[0]
    except ArgumentError:          # dependent directions
        return
    # the restricted network, enumerated on the polytope by the public engine
    dom = slice_polytope(V, r, norm)
    W0, b0 = net.layers[0]
    first = ([[sum(W0[i][j] * V[a][j] for j in range(d)) for a in range(k)] for i in range(len(W0))],
             [b0[i] + sum(W0[i][j] * x[j] for j in range(d)) for i in range(len(W0))])
    sub = ReLUNetwork([first, *net.affine_layers[1:]])
    cx = regions(sub, dom)
    assert (got.regions, got.hyperplanes) == (len(cx), brute_hyperplanes(sub, cx))
    if k == 2:
        assert [tuple(c) for c in slice_counts(net, [x], V, r, norm, method="generic")] == [(got.regions, got.hyperplanes)]


def test_local_complexity_identity_directions_and_executor():
    net = ReLUNetwork([([[1, 0], [0, 1], [1, 1], [1, -1]], [0, 0, -1, 0]), ([[1, 1, 1, 1]], [0])])
    pts = [[0, 0], [Fraction(1, 2), Fraction(1, 3)], [5, -7], [1, 0]]
    full = local_complexity(net, pts, 1)
    assert full == local_complexity(net, pts, 1, directions=[[1, 0], [0, 1]])
    with ThreadPoolExecutor(2) as ex:
        assert local_complexity(net, pts, 1, executor=ex) == full
        assert local_complexity(net, pts, 1, dims=1, executor=ex) == local_complexity(net, pts, 1, dims=1)
    with ProcessPoolExecutor(2) as ex:           # the network travels as its exact sparse layers
        assert local_complexity(net, pts, 1, executor=ex) == full
    assert full[2] == LocalComplexity(regions=1, hyperplanes=0)
    cx = regions(net, Box([-1, -1], [1, 1]))
    assert full[0].regions == len(cx) and full[0].hyperplanes == brute_hyperplanes(net, cx)


def test_local_complexity_random_plane_in_high_dimension():
    rng = np.random.default_rng(2)
    layers = [(rng.standard_normal((10, 100)).astype(np.float32), rng.standard_normal(10).astype(np.float32)),
              (rng.standard_normal((10, 10)).astype(np.float32), rng.standard_normal(10).astype(np.float32)),
              (rng.standard_normal((3, 10)).astype(np.float32), np.zeros(3, np.float32))]
    net = ReLUNetwork(layers)
    X = rng.random((4, 100)).astype(np.float32)
    a = local_complexity(net, X, 0.05, dims=2, seed=3)
    V = random_directions(2, 100, 3)
    b = [LocalComplexity(*c)
         for c in slice_counts(net, [[Fraction(float(v)) for v in x] for x in X], V, Fraction(0.05), "linf",
                               method="generic")]
    assert a == b and all(c.regions >= 1 for c in a)


# --- refused input ------------------------------------------------------------------------------
def test_bad_input_is_refused_clearly():
    net = ReLUNetwork([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
    with pytest.raises(ShapeError, match="expects 2"):
        region_at(net, [1, 2, 3])
    with pytest.raises(ArgumentError, match="norm"):
        region_at(net, [1, 2], norm="l3")
    with pytest.raises(ArgumentError, match="nonzero"):
        region_at(net, [0, 0], direction=[0, 0])
    with pytest.raises(ArgumentError, match="positive"):
        list(grow_regions(net, [0, 0], radius=0))
    with pytest.raises(ArgumentError, match="positive"):
        list(grow_regions(net, [0, 0], radius=-1))
    with pytest.raises(ArgumentError, match="norm"):
        list(grow_regions(net, [0, 0], radius=1, norm="l2"))
    with pytest.raises(ArgumentTypeError, match="max_regions"):
        list(grow_regions(net, [0, 0], max_regions=1.5))
    with pytest.raises(ArgumentError, match="positive"):
        local_complexity(net, [[0, 0]], 0)
    with pytest.raises(ArgumentError, match="dims"):
        local_complexity(net, [[0, 0]], 1, dims=3)
    with pytest.raises(ArgumentError, match="dims"):
        local_complexity(net, [[0, 0]], 1, dims=0)
    with pytest.raises(ShapeError, match="expects 2"):
        local_complexity(net, np.zeros((3, 5)), 1)
    with pytest.raises(ShapeError):
        local_complexity(net, [[0, 0], [1]], 1)
    with pytest.raises(ArgumentError, match="independent"):
        local_complexity(net, [[0, 0]], 1, directions=[[1, 1], [2, 2]])
    with pytest.raises(ShapeError):
        local_complexity(net, [[0, 0]], 1, directions=[[1, 1, 1]])
    with pytest.raises(ArgumentError, match="norm"):
        local_complexity(net, [[0, 0]], 1, norm="max")


def test_exported_from_cpa():
    assert cpa.region_at is region_at and cpa.grow_regions is grow_regions
    assert cpa.local_complexity is local_complexity
    assert {"region_at", "grow_regions", "local_complexity"} <= set(cpa.__all__)
