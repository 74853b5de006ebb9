"""Any CPA as a signed sum of maxima of at most n+1 maps (Wang-Sun), compiled at log3 depth and proved."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cpa
from cpa.compiler.check import spec_counterexample
from cpa.compiler.decompose import cpa_depth, decompose, max_decomposition
from cpa.compiler.shallow_max import log3_bound
from cpa.domains import Box
from strategies import networks, rationals

FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _value(m, x):
    c, d = m
    return sum((a * b for a, b in zip(c, x)), d)


@pytest.mark.parametrize("n, depth", [(1, 1), (2, 2), (3, 2), (4, 2), (5, 2), (6, 3), (10, 3), (11, 3), (17, 3),
                                      (18, 4), (25, 4)])
def test_depth_rule(n, depth):
    """``ceil(log3((n + 1) / 2)) + 1``, at most Bakaev et al.'s ``ceil(log3(n - 1)) + 1`` from n = 3."""
    assert cpa_depth(n) == depth
    if n >= 3:
        assert depth <= log3_bound(n + 1)


def test_hinge_three_maps():
    # max(-x, 1, x) = max(-x, 1) + max(1, x) - 1
    F = Fraction
    assert max_decomposition([((F(-1),), F(0)), ((F(0),), F(1)), ((F(1),), F(0))]) == \
        [(-1, (1,)), (1, (0, 1)), (1, (1, 2))]


@FAST
@given(st.integers(1, 3).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.lists(st.integers(-2, 2), min_size=n, max_size=n).map(tuple), st.integers(-3, 3)),
             min_size=1, max_size=9, unique=True),
    st.lists(st.lists(rationals(20, 5), min_size=n, max_size=n), min_size=8, max_size=8))))
def test_max_identity_at_rational_points(case):
    n, raw, pts = case
    maps = [(tuple(map(Fraction, c)), Fraction(d)) for c, d in raw]
    terms = max_decomposition(maps)
    assert all(len(S) <= n + 1 and s in (1, -1) for s, S in terms)
    for x in pts:
        assert max(_value(m, x) for m in maps) == sum(s * max(_value(maps[i], x) for i in S) for s, S in terms)


def test_degenerate_maps_lower_dimensional_newton_polytope():
    # equal gradients (a vertical segment), collinear gradients and a map that touches the max at a point
    F = Fraction
    maps = [((F(1), F(0)), F(0)), ((F(1), F(0)), F(2)), ((F(2), F(0)), F(0)), ((F(0), F(0)), F(0))]
    terms = max_decomposition(maps)
    for x in ([F(3), F(1)], [F(-5), F(7)], [F(1, 2), F(0)], [F(2), F(-3)]):
        assert max(_value(m, x) for m in maps) == sum(s * max(_value(maps[i], x) for i in S) for s, S in terms)


def _proved_at_depth(spec):
    net, report = cpa.compile_with_report(spec, depth="min")
    assert net.depth <= cpa_depth(spec.input_dim)
    assert report.theoretical["terms"] == decompose(spec).num_terms
    assert spec_counterexample(spec, net) is None
    return net


@FAST
@given(networks(d=2, max_depth=2, max_width=3))
def test_networks_on_the_plane(net):
    spec = cpa.Pieces.from_network(net, Box([-2, -2], [2, 2]), validate=True)
    _proved_at_depth(spec)


@FAST
@given(networks(d=2, max_depth=1, max_width=4))
def test_networks_on_all_of_the_plane(net):
    _proved_at_depth(cpa.Pieces.from_network(net, None, validate=True))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(d=3, max_depth=1, max_width=3))
def test_networks_in_three_dimensions(net):
    spec = cpa.Pieces.from_network(net, Box([-1, -1, -1], [1, 1, 1]), validate=True)
    _proved_at_depth(spec)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.tuples(st.integers(-2, 2), st.integers(-2, 2), st.integers(-2, 2)),
                         min_size=1, max_size=3), min_size=1, max_size=2))
def test_max_min_specs(groups):
    # f = max_S min_{i in S} l_i on a box, as pieces from its network
    text = "Max(" + ", ".join("Min(" + ", ".join(f"{a}*x + {b}*y + {c}" for a, b, c in S) + ")"
                              for S in groups) + ", -100)"
    net = cpa.compile(text, variables=["x", "y"])
    spec = cpa.Pieces.from_network(net, Box([-1, -1], [1, 1]), validate=True)
    _proved_at_depth(spec)


def test_decomposition_value_and_counts():
    net = cpa.ReLUNetwork([([[1, -1], [1, 1], [2, -1], [-1, 3]], [0, -1, 1, 0]), ([[1, -2, 1, -1]], [0])])
    spec = cpa.Pieces.from_network(net, Box([-2, -2], [2, 2]), validate=True)
    dec = decompose(spec)
    assert dec.max_arity <= 3 and dec.raw_terms >= dec.num_terms
    for x in ([Fraction(1, 3), Fraction(-7, 5)], [Fraction(2), Fraction(2)], [Fraction(-1), Fraction(1, 2)]):
        assert dec(x) == spec(x)
    report = cpa.compile_with_report(spec, depth="min", check=True)[1]
    assert report.checked and "maxima" in str(report)


def test_not_pieces():
    with pytest.raises(cpa.SpecError, match="Pieces"):
        decompose(cpa.MaxAffine([[1]], [0]))


def test_concave_spec_is_split_as_minus_a_max():
    # f = min(x, y, 1 - x - y, 2 - x): -f is convex, so no hinge is needed at all
    net = cpa.compile("Min(x, y, 1 - x - y, 2 - x)", variables=["x", "y"])
    spec = cpa.Pieces.from_network(net, Box([-1, -1], [1, 1]), validate=True)
    dec = decompose(spec)
    assert dec.hinges == 0 and dec.num_terms <= 4
    _proved_at_depth(spec)


def test_merged_up_to_shift_and_scale():
    # every term's maps are normalised: they contain the zero map and are not a positive multiple
    # or a translate of another term's maps
    net = cpa.ReLUNetwork([([[1, -1], [1, 1], [2, -1], [-1, 3]], [0, -1, 1, 0]), ([[1, -2, 1, -1]], [0])])
    dec = decompose(cpa.Pieces.from_network(net, Box([-2, -2], [2, 2]), validate=True))
    zero = ((Fraction(0), Fraction(0)), Fraction(0))
    assert all(zero in maps for _, maps in dec.terms)
    assert len({frozenset(maps) for _, maps in dec.terms}) == dec.num_terms


# R^3 -> [4, 3] -> R (He-initialised weights, rounded to denominators <= 20): 26 pieces on R^3;
# whole-hyperplane DC of f gave 4,159 terms, of -f (chosen now) 48
R3_43 = [([["0", "1/4", "-2/9"], ["-8/11", "-7/19", "-13/16"], ["1/20", "12/11", "-2/5"], ["-1/2", "2/5", "5/17"]],
          ["0", "-1/11", "0", "1/14"]),
         ([["-19/20", "-6/19", "-27/20", "-10/11"], ["-13/10", "-1/6", "-17/19", "3/16"],
           ["1/9", "-2/15", "-16/9", "-5/13"]], ["0", "0", "-2/13"]),
         ([["-7/18", "-4/5", "-2/3"]], ["2/19"])]


def test_random_network_on_r3_few_terms_and_proved():
    spec = cpa.Pieces.from_network(cpa.ReLUNetwork(R3_43), None, validate=True)
    dec = decompose(spec)
    assert len(spec.pieces) == 26 and dec.num_terms == 48 and dec.max_arity <= 4
    net, report = cpa.compile_with_report(spec, depth="min", check=True)
    assert report.checked and net.depth == 2
