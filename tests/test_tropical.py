"""Tropical F - G (Zhang, Naitzat, Lim 2018), the 1-D DC split, the max-min index sets (Ovchinnikov 2002)
and the max-tree proof by induction: exact identities and worked counts."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructions import (courant_hat_2d, dc_split_1d, sawtooth, sawtooth_telgarsky, serra_zigzag,
                           tropical_decomposition)
from constructions.dc_split import breakpoints_of_max_affine_1d
from constructions.tropical import _hull_sum, upper_hull_terms
from cpa import DC, Box, EnumerationLimitError, MaxAffine, Reals, ReLUNetwork, ShapeError, compile
from cpa.compiler.reference import reference_network
from verify import equivalent
from strategies import breakpoints_1d, networks, rationals
from verify.identities import identity_failures, index_sets_1d, max_tree_failures

F_ = Fraction

# the hand-made Serra-style (1; 3,3) zigzag
SERRA_33 = ReLUNetwork([([[1], [1], [-1]], [F_(-1, 6), F_(-1, 3), F_(2, 3)]),
                        ([[-12, 9, -6], [-12, 9, -6], [12, -9, 6]], [F_(15, 4), F_(7, 2), F_(-13, 4)]),
                        ([[1, -3, 2]], [0])])


def _terms(F: MaxAffine) -> list[tuple[Fraction, ...]]:
    return [(*a, c) for a, c in zip(F.A, F.b)]


def _assert_exact_identity(net: ReLUNetwork, F: MaxAffine, G: MaxAffine, box: Box) -> None:
    res = equivalent(net, DC(F, G), box)
    assert res, f"net != F - G at {res.counterexample}"
    assert res.counterexample is None


# --- tropical term counts -------------------------------------------------------------

def test_serra_weights_are_the_hand_made_ones():
    assert serra_zigzag([3, 3]) == SERRA_33


@pytest.mark.parametrize("name, net, nF, nG", [
    ("sawtooth k=3 (compact)", sawtooth(3), 6, 8),
    ("sawtooth k=3 (Telgarsky form)", sawtooth_telgarsky(3), 6, 8),
    ("Serra (1;3,3), zigzag weights", SERRA_33, 11, 8),
])
def test_tropical_term_counts(name, net, nF, nG):
    F, G = tropical_decomposition(net)
    assert (F.num_maps, G.num_maps) == (nF, nG), name
    _assert_exact_identity(net, F, G, Box([-3], [4]))
    assert equivalent(net, reference_network(DC(F, G)), Reals(1))  # independent reference, all of R


def test_sawtooth_terms_match_upper_hull():
    # after pruning every term is an upper-hull vertex: slopes strictly increase and each term wins somewhere
    for k in range(1, 7):
        F, G = tropical_decomposition(sawtooth(k))
        for H in (F, G):
            pts = [(a[0], c) for a, c in zip(H.A, H.b)]
            assert upper_hull_terms(pts) == pts
            assert all(p[0] < q[0] for p, q in zip(pts, pts[1:]))


# --- exact identity net = F - G ---------------------------------------------------------

@pytest.mark.parametrize("net", [sawtooth(1), sawtooth(2), sawtooth(5), sawtooth_telgarsky(2),
                                 serra_zigzag([3, 3, 3]), serra_zigzag([4, 4])])
def test_identity_1d(net):
    F, G = tropical_decomposition(net)
    _assert_exact_identity(net, F, G, Box([-2], [3]))
    assert equivalent(net, DC(F, G), Reals(1))


def test_identity_courant_hat():
    hat = courant_hat_2d()
    F, G = tropical_decomposition(hat)
    _assert_exact_identity(hat, F, G, Box([-2, -2], [2, 2]))
    assert equivalent(hat, DC(F, G))  # all of R^2


@settings(max_examples=25)
@given(networks(d=1, max_depth=3, max_width=3))
def test_identity_random_1d(net):
    F, G = tropical_decomposition(net)
    _assert_exact_identity(net, F, G, Box([-5], [5]))
    assert equivalent(net, DC(F, G), Reals(1))
    for H in (F, G):  # 1-D: pruned to the upper hull
        pts = [(a[0], c) for a, c in zip(H.A, H.b)]
        assert upper_hull_terms(pts) == pts


@settings(max_examples=10)
@given(networks(d=2, max_depth=2, max_width=2))
def test_identity_random_2d(net):
    F, G = tropical_decomposition(net)
    _assert_exact_identity(net, F, G, Box([-3, -3], [3, 3]))
    assert len(set(map(tuple, F.A))) == F.num_maps  # d >= 2: one term per gradient at most


def test_multi_output_and_cap():
    with pytest.raises(ShapeError):
        tropical_decomposition(ReLUNetwork([([[1], [2]], [0, 0])]))
    net = ReLUNetwork([([[1, 2], [3, -1], [-2, 1], [1, 1]], [0, 1, -1, 2]),
                       ([[1, -1, 2, 1], [-1, 1, 1, -2], [2, 1, -1, 1]], [0, 1, 0]),
                       ([[1, -2, 1]], [0])])
    with pytest.raises(EnumerationLimitError, match="max_terms"):
        tropical_decomposition(net, max_terms=10)
    F, G = tropical_decomposition(net)  # the default cap is far higher
    assert (F.num_maps, G.num_maps) == (170, 28)  # d = 2: not pruned to the hull, so many terms
    assert all(net(x)[0] == F(x) - G(x) for x in ([0, 0], [1, -2], [F_(1, 3), F_(5, 2)], [-7, 4]))


# --- the 1-D hull machinery ---------------------------------------------------------

terms_1d = st.lists(st.tuples(rationals(6, 3), rationals(6, 3)), min_size=1, max_size=8)


def _env(terms, x):
    return max(a * x + c for a, c in terms)


def _test_points(terms):
    cuts = {(c2 - c1) / (a1 - a2) for a1, c1 in terms for a2, c2 in terms if a1 != a2}
    pts = sorted(cuts) or [F_(0)]
    return pts + [pts[0] - 1, pts[-1] + 1] + [(u + v) / 2 for u, v in zip(pts, pts[1:])]


@given(terms_1d)
def test_upper_hull_is_exact_and_minimal(terms):
    hull = upper_hull_terms(terms)
    for x in _test_points(terms):  # both envelopes are affine between consecutive crossings
        assert _env(hull, x) == _env(terms, x)
    # every hull term is the strict maximum somewhere (between its crossings with its neighbours)
    xs = [(c1 - c2) / (a2 - a1) for (a1, c1), (a2, c2) in zip(hull, hull[1:])]
    assert all(u < v for u, v in zip(xs, xs[1:]))
    probes = ([xs[0] - 1] + [(u + v) / 2 for u, v in zip(xs, xs[1:])] + [xs[-1] + 1]) if xs else [F_(0)]
    for (a, c), x in zip(hull, probes):
        assert all(a * x + c > a2 * x + c2 for a2, c2 in hull if (a2, c2) != (a, c))


@given(terms_1d, terms_1d)
def test_hull_minkowski_sum_by_merging_edges(s, t):
    S = tuple(((a,), c) for a, c in upper_hull_terms(s))
    T = tuple(((a,), c) for a, c in upper_hull_terms(t))
    merged = [(a[0], c) for a, c in _hull_sum(S, T)]
    brute = upper_hull_terms([(a1[0] + a2[0], c1 + c2) for a1, c1 in S for a2, c2 in T])
    assert merged == brute


# --- DC split --------------------------------------------------------------

def test_dc_split_example():
    from cpa import Breakpoints1D

    f = Breakpoints1D.from_slopes([-1, 0, F_(1, 2), 2], [1, -2, 3, 0, -1], 0)
    dc = dc_split_1d(f)
    assert breakpoints_of_max_affine_1d(dc.g) == {0: 5}
    assert breakpoints_of_max_affine_1d(dc.h) == {-1: 3, F_(1, 2): 3, 2: 1}
    assert equivalent(compile(dc), reference_network(f), Reals(1))


@settings(max_examples=30)
@given(breakpoints_1d())
def test_dc_split_random(f):
    dc = dc_split_1d(f)
    jumps = {t: s2 - s1 for t, s1, s2 in zip(f.breakpoints, f.slopes, f.slopes[1:]) if s2 != s1}
    assert breakpoints_of_max_affine_1d(dc.g) == {t: j for t, j in jumps.items() if j > 0}
    assert breakpoints_of_max_affine_1d(dc.h) == {t: -j for t, j in jumps.items() if j < 0}
    assert equivalent(compile(dc), reference_network(f), Reals(1))


# --- max-min index sets and the max tree ---------------------------------

def test_index_sets_example():
    from cpa import Breakpoints1D

    f = Breakpoints1D.from_slopes([-1, 0, F_(1, 2), 2], [1, -2, 3, 0, -1], 0)
    maps = [(F_(1), F_(1)), (F_(-2), F_(-2)), (F_(3), F_(-2)), (F_(0), F_(-1, 2)), (F_(-1), F_(3, 2))]
    for (a, c), x in zip(maps, (-2, F_(-1, 2), F_(1, 4), 1, 3)):  # each map is f on its piece
        assert a * x + c == f([x])
    assert index_sets_1d(maps, f) == {frozenset({0, 1, 3, 4}), frozenset({0, 1, 4}), frozenset({0, 2, 3, 4})}


@pytest.mark.parametrize("M", range(1, 10))
def test_max_tree_proof_by_induction(M):
    assert max_tree_failures(M, direct=M <= 4) == []


def test_max_tree_proof_catches_a_wrong_tree(monkeypatch):
    import constructions

    good = constructions.max_tree

    def broken(M):
        net = good(M)
        if M != 3:
            return net
        (W1, b1), *rest = net.layers
        b1 = list(b1)
        b1[0] = F_(1, 100)  # relu(x1 - x2 + 1/100): wrong near x1 = x2
        return ReLUNetwork([(W1, b1), *rest])

    monkeypatch.setattr(constructions, "max_tree", broken)
    assert max_tree_failures(6) != []  # 6 -> 3 -> 2: the broken level is found in the recursion
    assert max_tree_failures(3) != []


def test_identity_failures_counts_counterexamples():
    from constructions import abs_net, identity_net

    assert identity_failures([("abs vs id", abs_net(), identity_net(1)), ("id", identity_net(1), identity_net(1))]) == 1
