"""Exact identities and sizes of the theorem constructions (constructions/*).

Region and piece counts are asserted in tests/test_theorems.py; here every
construction is checked pointwise, exactly, against the function it claims.
"""

from __future__ import annotations

import itertools
from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

import constructions as C
from constructions._arrangement import cyclic_arrangement
from constructions.serra import zigzag_layer
from cpa import ReLUNetwork, SpecError, gadgets
from cpa.errors import ArgumentError, ArgumentTypeError

rationals = st.fractions(min_value=-5, max_value=5, max_denominator=60)


def relu(t):
    return t if t > 0 else F(0)


def tent(x):
    if 0 <= x <= F(1, 2):
        return 2 * x
    if F(1, 2) < x <= 1:
        return 2 * (1 - x)
    return F(0)


def det(M):
    import sympy

    return sympy.Matrix(M).det()


# --- gadgets ------------------------------------------------------------------

@given(rationals)
def test_one_dimensional_gadgets(x):
    assert C.abs_net()([x]) == (abs(x),)
    assert C.identity_net()([x]) == (x,)
    assert C.clipped_ramp()([x]) == (min(max(x, F(0)), F(1)),)
    for lam in (F(0), F(1, 3), F(2)):
        s = (1 if x > 0 else -1) * max(abs(x) - lam, F(0))
        assert C.soft_threshold(lam)([x]) == (s,)


@given(st.lists(rationals, min_size=3, max_size=3))
def test_identity_net_d(xs):
    net = C.identity_net(3)
    assert net(xs) == tuple(xs) and net.widths == (6,)


@pytest.mark.parametrize("M,widths", [(2, (3,)), (3, (5, 3)), (4, (6, 3)), (5, (8, 5, 3)), (6, (9, 5, 3)),
                                      (7, (11, 6, 3)), (8, (12, 6, 3)), (9, (14, 8, 5, 3))])
def test_max_tree_size(M, widths):
    net = C.max_tree(M)
    assert net.widths == widths and net.num_neurons == sum(widths)


@given(st.integers(2, 9).flatmap(lambda M: st.lists(rationals, min_size=M, max_size=M)))
def test_max_tree_identity(xs):
    assert C.max_tree(len(xs))(xs) == (max(xs),)


def test_gadgets_are_the_ones_of_cpa_gadgets():
    # one definition each, in cpa.gadgets; constructions re-exports it
    assert (C.identity_net, C.abs_net, C.max_tree) == (gadgets.relu_identity, gadgets.abs_1d, gadgets.max_of)
    assert (C.hat_1d, C.soft_threshold, C.clipped_ramp) == (gadgets.hat_1d, gadgets.soft_threshold,
                                                            gadgets.clipped_ramp)


@pytest.mark.parametrize("bad, err", [
    (lambda: C.soft_threshold(-1), ArgumentError), (lambda: C.max_tree(0), ArgumentError),
    (lambda: C.identity_net(0), ArgumentError), (lambda: C.hat_1d(0, 2, 1), ArgumentError),
    (lambda: C.max_tree(2.0), ArgumentTypeError), (lambda: C.identity_net("2"), ArgumentTypeError),
])
def test_gadget_errors(bad, err):
    with pytest.raises(err) as e:
        bad()
    assert "\n" not in str(e.value)


def test_construction_errors():
    for bad in (lambda: C.sawtooth(0), lambda: C.sawtooth_telgarsky(0)):
        with pytest.raises(SpecError):
            bad()


# --- hats -----------------------------------------------------------------------

@given(rationals)
def test_hat_1d(x):
    a, b, c = F(0), F(1, 2), F(2)
    want = (x - a) / (b - a) if a <= x <= b else (c - x) / (c - b) if b < x <= c else F(0)
    net = C.hat_1d(a, b, c)
    assert net(x) == (want,) and net.widths == (3,)


def test_hat_1d_nodes():
    net = C.hat_1d(-1, F(1, 3), 5)
    assert [net([t])[0] for t in (-1, F(1, 3), 5, -2, 7)] == [0, 1, 0, 0, 0]


@given(rationals, rationals)
def test_courant_hat(x, y):
    want = relu(1 - max(abs(x), abs(y), abs(x - y)))
    assert C.courant_hat_2d()([x, y]) == (want,)


def test_courant_hat_architecture():
    net = C.courant_hat_2d()
    assert net.depth == 2 and net.widths == (6, 1)


FREUDENTHAL = ([(0, 0), (1, 0), (1, 1), (0, 1), (-1, 0), (-1, -1), (0, -1)],
               [(0, 1, 2), (0, 2, 3), (0, 3, 4), (0, 4, 5), (0, 5, 6), (0, 6, 1)])
# a small mesh: interior vertex 0 with a convex star, plus one more triangle outside the star
CONVEX_MESH = ([(F(1, 3), F(1, 5)), (2, 0), (3, 2), (0, 3), (-2, 1), (-1, -2), (4, 4)],
               [(0, 1, 2), (0, 2, 3), (0, 3, 4), (0, 4, 5), (0, 5, 1), (2, 6, 3)])
# interior vertex 0 whose star is not convex (reflex link vertex (1, 1/4))
NONCONVEX_MESH = ([(0, 0), (2, 0), (1, F(1, 4)), (2, 2), (-1, 1), (-1, -1), (1, -2)],
                  [(0, 1, 2), (0, 2, 3), (0, 3, 4), (0, 4, 5), (0, 5, 6), (0, 6, 1)])


def _barycentric_points(tri):
    a, b, c = [tuple(F(t) for t in p) for p in tri]
    for l1, l2 in ((F(1, 3), F(1, 3)), (F(1, 7), F(2, 7)), (F(5, 9), F(1, 9)), (F(0), F(1, 2)), (F(1), F(0))):
        l0 = 1 - l1 - l2
        yield (l0, l1, l2), (l0 * a[0] + l1 * b[0] + l2 * c[0], l0 * a[1] + l1 * b[1] + l2 * c[1])


@pytest.mark.parametrize("mesh", [FREUDENTHAL, CONVEX_MESH, NONCONVEX_MESH], ids=["freudenthal", "convex", "nonconvex"])
def test_fem_hat(mesh):
    V, T = mesh
    net = C.fem_hat_2d(V, T, 0)
    assert net([F(t) for t in V[0]]) == (1,)
    for p in V[1:]:
        assert net([F(t) for t in p]) == (0,)
    for tri in T:  # affine on every triangle: the nodal interpolant of (1 at vertex 0, 0 elsewhere)
        nodal = [F(1) if i == 0 else F(0) for i in tri]
        for lam, pt in _barycentric_points([V[i] for i in tri]):
            assert net(pt) == (sum(l * v for l, v in zip(lam, nodal)),)
    for pt in [(10, 10), (-7, 3), (F(1, 2), -9), (100, -100)]:  # outside the star
        assert net(pt) == (0,)


def test_fem_hat_freudenthal_is_courant():
    net = C.fem_hat_2d(*FREUDENTHAL, 0)
    c = C.courant_hat_2d()
    for x, y in itertools.product([F(k, 5) for k in range(-8, 9)], repeat=2):
        assert net([x, y]) == c([x, y])
    assert net.depth == 4  # min of 6 (3 levels) + the outer relu


def test_fem_hat_errors():
    V, T = FREUDENTHAL
    with pytest.raises(SpecError, match="boundary vertex"):
        C.fem_hat_2d(V, T, 1)
    with pytest.raises(SpecError, match="boundary vertex"):
        C.fem_hat_2d(V, T[:-1], 0)
    with pytest.raises(SpecError, match="degenerate"):
        C.fem_hat_2d(V + [(2, 0)], T + [(1, 7, 0)], 0)
    with pytest.raises(SpecError, match="no triangle"):
        C.fem_hat_2d(V + [(5, 5)], T, 7)
    with pytest.raises(SpecError, match="out of range"):
        C.fem_hat_2d(V, T, 9)


# --- sawtooth ---------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 3, 4, 6])
def test_sawtooth_values_and_breakpoints(k):
    compact, telg = C.sawtooth(k), C.sawtooth_telgarsky(k)
    n = 2 ** k
    for i in range(n + 1):  # 0 at even, 1 at odd multiples of 2^-k
        x = F(i, n)
        assert compact([x]) == telg([x]) == (F(i % 2),)
    for i in range(n):  # affine between consecutive breakpoints
        for s in (F(1, 3), F(1, 2), F(5, 7)):
            x = F(i, n) + s / n
            want = (1 - s) * (i % 2) + s * ((i + 1) % 2)
            assert compact([x]) == telg([x]) == (want,)


@given(st.integers(1, 5), rationals)
def test_sawtooth_is_iterated_tent(k, x):
    want = x
    for _ in range(k):
        want = tent(want)
    assert C.sawtooth_telgarsky(k)([x]) == (want,)
    if 0 <= x <= 1:
        assert C.sawtooth(k)([x]) == (want,)


def test_sawtooth_architectures():
    assert C.sawtooth(4).widths == (2, 2, 2, 2)
    assert C.sawtooth_telgarsky(3).widths == (2, 1, 2, 1, 2, 1)
    assert C.tent_map().widths == (2, 1)
    assert [C.tent_map()([x])[0] for x in (-1, 0, F(1, 4), F(1, 2), F(3, 4), 1, 2)] == [0, 0, F(1, 2), 1, F(1, 2), 0, 0]


# --- Montufar ---------------------------------------------------------------------

def test_montufar_reference_weights():
    net = C.montufar_reference(1, [2, 2, 2])
    assert net.layers[2] == (((-2, 4), (2, -4)), (F(1, 3), F(-2, 3)))
    assert C.montufar_reference(2, [4, 4]).layers[1][1] == (F(-7, 5), F(-7, 5), F(1, 10), F(13, 10))
    with pytest.raises(SpecError, match="no reference"):
        C.montufar_reference(2, [8, 8])


def test_montufar_generator_matches_the_hand_made_weights():
    ref, gen = C.montufar_reference(1, [3, 3]), C.montufar(1, [3, 3])
    assert gen.layers[:2] == ref.layers[:2]  # the output weights differ (both generic)


@pytest.mark.parametrize("n0,widths", [(1, [2, 2, 2]), (2, [4, 4]), (2, [5, 3, 3]), (3, [6, 7]), (2, [8, 8])])
def test_montufar_architecture(n0, widths):
    net = C.montufar(n0, widths)
    assert net.input_dim == n0 and list(net.widths) == widths and net.output_dim == 1


def test_montufar_needs_wide_layers():
    with pytest.raises(SpecError, match="n_l >= n0"):
        C.montufar(3, [6, 2])


@pytest.mark.parametrize("p", [1, 2, 3, 4, 5])
def test_montufar_fold_maps_each_interval_onto_unit(p):
    # one folding layer then the identity: the folded coordinate u on [0, 1]
    net = C.montufar(1, [p, 1])
    W, b = net.layers[1]
    fold = ReLUNetwork([net.layers[0], (W, [0])])  # the last unit's normal is 1: this is u itself
    for k in range(p):
        lo, hi = fold([F(k, p)])[0], fold([F(k + 1, p)])[0]
        assert {lo, hi} == {0, 1}
        assert fold([F(2 * k + 1, 2 * p)])[0] == F(1, 2)


@pytest.mark.parametrize("n,d", [(3, 1), (5, 1), (3, 2), (8, 2), (6, 3), (7, 3), (6, 4)])
def test_cyclic_arrangement(n, d):
    normals, offsets, signs = cyclic_arrangement(n, d)
    assert all(v > 0 for a in normals for v in a)  # all components nonzero
    for S in itertools.combinations(range(n), d):  # vertices exist and lie in (0, 1)^d
        A = [normals[i] for i in S]
        assert det(A) != 0
        import sympy

        x = sympy.Matrix(A).LUsolve(sympy.Matrix([offsets[i] for i in S]))
        assert all(0 < v < 1 for v in x)
    for S in itertools.combinations(range(n), d + 1):  # no d + 1 through one point
        assert det([normals[i] + [offsets[i]] for i in S]) != 0
    # the all-inactive sign vector is not realised: Farkas certificate from the last d + 1 units
    last = range(n - d - 1, n)
    ts = [F(i + 1, n + 1) for i in range(n)]
    lam = [abs(1 / _prod(ts[i] - ts[k] for k in last if k != i)) for i in last]
    combo = [sum(l * signs[i] * normals[i][j] for l, i in zip(lam, last)) for j in range(d)]
    rhs = sum(l * signs[i] * offsets[i] for l, i in zip(lam, last))
    assert combo == [0] * d and rhs < 0


def _prod(it):
    out = F(1)
    for v in it:
        out *= v
    return out


# --- Serra zigzag --------------------------------------------------------------------

def test_serra_zigzag_hand_made_weights():
    net = C.serra_zigzag([3, 3])
    assert net.layers == (
        (((1,), (1,), (-1,)), (F(-1, 6), F(-1, 3), F(2, 3))),
        (((-12, 9, -6), (-12, 9, -6), (12, -9, 6)), (F(15, 4), F(7, 2), F(-13, 4))),
        (((1, -3, 2),), (0,)))
    deep = C.serra_zigzag([3, 3, 3])
    assert deep.layers[1] == (((-12, 9, -6), (-12, 9, -6), (12, -9, 6)), (F(23, 6), F(11, 3), F(-10, 3)))


@pytest.mark.parametrize("n", [3, 4, 5, 6, 9])
def test_zigzag_layer_alternates(n):
    ts, orient, weights, c = zigzag_layer(n)
    g = lambda y: c + sum(w * relu(o * (y - t)) for t, o, w in zip(ts, orient, weights))  # noqa: E731
    pts = [F(0)] + ts + [F(1)]
    assert [g(p) for p in pts] == [F(i % 2) for i in range(n + 2)]
    assert sum(1 for o in orient if o < 0) == 1


def test_serra_zigzag_errors_and_shape():
    with pytest.raises(SpecError, match="n_l >= 3"):
        C.serra_zigzag([3, 2])
    assert C.serra_zigzag([4, 5, 3]).widths == (4, 5, 3)


# --- Arora zonotope ----------------------------------------------------------------------

def _zigzag_w(w, y):
    start = F(w % 2 == 0)
    first = w if start == 0 else -w
    val, prev = start, F(0)
    for j in range(w):  # piece j on [j/w, (j+1)/w] (the last one unbounded)
        hi = F(j + 1, w) if j < w - 1 else None
        seg_end = y if hi is None or y <= hi else hi
        if seg_end > prev:
            val += first * (-1) ** j * (seg_end - prev)
        prev = hi if hi is not None else prev
        if hi is None or y <= hi:
            break
    return val


@pytest.mark.parametrize("n,k,w,m", [(2, 1, 2, 3), (3, 2, 3, 4), (2, 2, 3, 3), (1, 3, 2, 1), (2, 0, 2, 4)])
def test_arora_zonotope(n, k, w, m):
    net = C.arora_zonotope(n, k, w, m)
    assert net.depth == k + 1 and net.num_neurons == 2 * m + w * k
    gens = [[F(i) ** e for e in range(n)] for i in range(1, m + 1)]
    for x in itertools.product([F(-3, 2), F(1, 7), F(2, 5)], repeat=n):
        gamma = sum(abs(sum(g * v for g, v in zip(b, x))) for b in gens)
        y = gamma
        for _ in range(k):
            y = _zigzag_w(w, y)
        assert net(list(x)) == (y,)


# --- one hidden layer ---------------------------------------------------------------------

@pytest.mark.parametrize("n,d", [(1, 1), (5, 1), (6, 2), (5, 3)])
def test_one_hidden_layer_general_position(n, d):
    net = C.one_hidden_layer_general_position(n, d)
    assert net.widths == (n,) and net.input_dim == d
    W, b = net.layers[0]
    for S in itertools.combinations(range(n), min(d, n)):
        sub = [list(W[i][:len(S)]) for i in S]
        assert det(sub) != 0
    for S in itertools.combinations(range(n), d + 1):
        assert det([list(W[i]) + [b[i]] for i in S]) != 0
    assert all(v != 0 for v in net.layers[1][0][0])  # counts: tests/test_theorems.py
