"""Compile then verify equal: specs and their networks agree exactly at random points and at kinks."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import pytest
from hypothesis import given, strategies as st

import cpa
from cpa.compiler.prune import prune
from cpa.compiler.check import spec_counterexample
from cpa.expr import Abs, Max, Min, Scale, Sum, affine_part, lin_vector
from cpa.gadgets import max_tree_widths

from strategies import breakpoints_1d, expressions, max_affine, points, rationals


def _project(p: list[Fraction], a: list[Fraction], c: Fraction) -> list[Fraction] | None:
    """Orthogonal projection of p onto the hyperplane a.x + c = 0 (exact)."""
    nn = sum(t * t for t in a)
    if nn == 0:
        return None
    t = (sum(x * y for x, y in zip(a, p)) + c) / nn
    return [x - t * y for x, y in zip(p, a)]


def _tie_points(A, b, base):
    out = []
    for i, j in combinations(range(len(A)), 2):
        a = [x - y for x, y in zip(A[i], A[j])]
        for p in base[:2]:
            q = _project(p, a, b[i] - b[j])
            if q is not None:
                out.append(q)
    return out


def _expr_hyperplanes(e, names):
    """Hyperplanes where the innermost Max/Min/Abs nodes of ``e`` kink."""
    planes = []
    if isinstance(e, (Max, Min)):
        lins = [affine_part(t) for t in e.args]
        known = [lin_vector(p, names) for p in lins if p is not None]
        for (a1, c1), (a2, c2) in combinations(known, 2):
            planes.append(([x - y for x, y in zip(a1, a2)], c1 - c2))
        for t in e.args:
            planes += _expr_hyperplanes(t, names)
    elif isinstance(e, Abs):
        p = affine_part(e.arg)
        if p is not None:
            planes.append(lin_vector(p, names))
        planes += _expr_hyperplanes(e.arg, names)
    elif isinstance(e, Sum):
        for t in e.terms:
            planes += _expr_hyperplanes(t, names)
    elif isinstance(e, Scale):
        planes += _expr_hyperplanes(e.arg, names)
    return planes


def _assert_equal_at(net, spec, pts):
    for p in pts:
        assert net(p)[0] == spec(p), f"differ at {p}"


@given(max_affine(), points(3, 6))
def test_max_affine_compiles_exactly(spec, pts):
    pts = [p[: spec.input_dim] for p in pts]
    net = cpa.compile(spec)
    _assert_equal_at(net, spec, pts + _tie_points(spec.A, spec.b, pts))
    assert net.depth <= max(0, (spec.num_maps - 1).bit_length())


@given(max_affine(), points(3, 4))
def test_min_affine_compiles_exactly(spec, pts):
    spec = cpa.MinAffine(spec.A, spec.b)
    pts = [p[: spec.input_dim] for p in pts]
    _assert_equal_at(cpa.compile(spec), spec, pts + _tie_points(spec.A, spec.b, pts))


@given(st.integers(1, 3).flatmap(lambda d: st.tuples(max_affine(d), max_affine(d))), points(3, 4))
def test_dc_compiles_exactly(gh, pts):
    g, h = gh
    spec = cpa.DC(g, h)
    pts = [p[: spec.input_dim] for p in pts]
    kinks = _tie_points(g.A, g.b, pts) + _tie_points(h.A, h.b, pts)
    net, report = cpa.compile_with_report(spec)
    _assert_equal_at(net, spec, pts + kinks)
    small, _ = prune(spec)     # the compiler drops maps that are never the max first
    assert net.depth == max((small.g.num_maps - 1).bit_length(), (small.h.num_maps - 1).bit_length())


@given(breakpoints_1d(), st.lists(rationals(40, 9), min_size=3, max_size=6))
def test_breakpoints_compile_with_at_most_p_neurons(spec, xs):
    net = cpa.compile(spec)
    assert net.depth <= 1
    assert net.num_neurons <= spec.num_pieces
    for x in list(xs) + list(spec.breakpoints) + [spec.breakpoints[0] - 1, spec.breakpoints[-1] + 1]:
        assert net([x])[0] == spec(x)


def _all_kink_points(spec, box):
    """Every vertex of every region of the spec's independent reference network on ``box``.

    Each node of the expression (Max, Min, Abs at any depth) is a neuron of the reference
    network (cpa.compiler.reference), so every kink of the spec lies on a region boundary;
    the vertices are the kink points in 1-D and the corners of the kink set in 2-D, exact.
    """
    from cpa.compiler.reference import reference_network
    from cpa.regions import regions

    return sorted({v for r in regions(reference_network(spec), box) for v in r.vertices()})


@given(expressions(("x", "y")), points(2, 5))
def test_parsed_expressions_compile_exactly(text, pts):
    spec = cpa.parse(text, "x,y")
    net = cpa.compile(spec)
    kinks = []
    for a, c in _expr_hyperplanes(spec.expr, spec.variables):
        for p in pts[:2]:
            q = _project(p, a, c)
            if q is not None:
                kinks.append(q)
    kinks += _all_kink_points(spec, cpa.Box([-4, -4], [4, 4]))
    _assert_equal_at(net, spec, pts + kinks)


@given(expressions(("x", "y")))
def test_parsed_expressions_proved_equal_everywhere(text):
    """The exact proof on all of R^2: the difference with an independent network is 0 on every region."""
    spec = cpa.parse(text, "x,y")
    assert spec_counterexample(spec, cpa.compile(spec)) is None


@given(expressions(("x",), depth=4), st.lists(rationals(30, 8), min_size=5, max_size=8))
def test_univariate_expressions_compile_exactly(text, xs):
    spec = cpa.parse(text, ["x"])
    net = cpa.compile(spec)
    kinks = _all_kink_points(spec, cpa.Box([-60], [60]))
    _assert_equal_at(net, spec, [[x] for x in xs] + [list(k) for k in kinks])


def test_unshrunk_and_shrunk_agree():
    spec = cpa.parse("Max(x, y, 0, 2*x - y) - Abs(x - 1/2) + Min(Abs(y), 3)", "x,y")
    a = cpa.compile(spec, simplify=False)
    b = cpa.compile(spec)
    assert b.num_neurons <= a.num_neurons
    for i in range(-6, 7):
        for j in range(-6, 7):
            p = [Fraction(i, 3), Fraction(j, 2)]
            assert a(p) == b(p) == (spec(p),)


# --- sizes -----------------------------------------------------------------
MAX_TREE_SIZES = {2: ([3], 3), 3: ([5, 3], 8), 4: ([6, 3], 9), 5: ([8, 5, 3], 16), 6: ([9, 5, 3], 17),
                  7: ([11, 6, 3], 20), 8: ([12, 6, 3], 21), 9: ([14, 8, 5, 3], 30)}


@pytest.mark.parametrize("M", sorted(MAX_TREE_SIZES))
def test_max_tree_sizes(M):
    widths, neurons = MAX_TREE_SIZES[M]
    spec = cpa.MaxAffine([[i + 1, (i * i) % 5 - 2] for i in range(M)], list(range(M)))
    net = cpa.compile(spec, simplify=False)
    assert list(net.widths) == widths and net.num_neurons == neurons
    assert net.depth == (M - 1).bit_length()
    assert cpa.compile(spec).num_neurons <= neurons


@pytest.mark.parametrize("M", [10, 16, 17, 33, 100, 129])
def test_max_tree_general_formula(M):
    widths, k = [], M
    while k > 1:
        widths.append(3 * (k // 2) + 2 * (k % 2))
        k = -(-k // 2)
    assert max_tree_widths(M) == widths
    # (i + 1) x - i^2: every map is the max somewhere, so pruning keeps all M
    spec = cpa.MaxAffine([[i + 1] for i in range(M)], [-i * i for i in range(M)])
    net, report = cpa.compile_with_report(spec)
    assert report.pruned == 0
    assert net.depth == (M - 1).bit_length() == report.theoretical["depth"]
    assert net.num_neurons == sum(widths) == report.theoretical["neurons"]


@pytest.mark.parametrize("p", [2, 3, 5, 9])
def test_breakpoints_one_hidden_layer_p_neurons(p):
    ts = list(range(p - 1))
    slopes = [(-1) ** k * (k + 1) for k in range(p)]
    spec = cpa.Breakpoints1D.from_slopes(ts, slopes, 1)
    net, report = cpa.compile_with_report(spec)
    assert net.depth == 1 and net.num_neurons <= p
    assert report.theoretical == {"depth": 1, "neurons": p, "rule": report.theoretical["rule"]}


def test_affine_expression_has_depth_zero():
    net = cpa.compile("2*x - y/3 + 1", variables="x,y")
    assert net.depth == 0 and net.layers == ((((Fraction(2), Fraction(-1, 3)),), (Fraction(1),)),)


def test_compile_example_from_readme():
    net = cpa.compile("Max(x, y, 0) - Abs(x - 1/2)", variables="x,y")
    assert net([Fraction(1, 3), 2]) == (Fraction(11, 6),)
    assert net([0, 0]) == (Fraction(-1, 2),)
