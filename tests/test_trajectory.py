"""Breakpoints along segments and paths, and the certified transition counts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpa import Path, ReLUNetwork, Segment, breakpoints, transitions
from cpa.domains import Box
from cpa.errors import ArgumentTypeError, DomainError, InvalidNumberError, ShapeError
from cpa.regions import regions

from strategies import networks, rationals


def float_net(rng, dims, scale=1.0):
    return ReLUNetwork([(rng.standard_normal((dims[i + 1], dims[i])) * scale, rng.standard_normal(dims[i + 1]))
                        for i in range(len(dims) - 1)])


def sampled_changes(net, path, samples=400):
    """Pattern changes between consecutive exact patterns at ``samples`` float parameters inside ``(0, 1)``
    (at the ends a neuron can be exactly zero, which is no region)."""
    vertices = set(path.vertex_parameters) if isinstance(path, Path) else set()   # a path can touch zero there
    ts = [Fraction(float(t)) for t in (np.arange(samples) + 0.5) / samples]
    pats = [net.activation_pattern(path.to_input(t)) for t in ts if t not in vertices]
    return sum(a != b for a, b in zip(pats, pats[1:])), pats


def exact_counts(net, A, B):
    return [breakpoints(net, Segment(a, b)).activation_regions for a, b in zip(A, B)]


# --- breakpoints ------------------------------------------------------------------------------------
@given(st.data())
def test_breakpoints_agree_with_the_line_engine_and_sampling(data):
    d = data.draw(st.integers(1, 4), label="d")
    net = data.draw(networks(d=d, max_depth=3, max_width=4), label="net")
    a = data.draw(st.lists(rationals(6, 3), min_size=d, max_size=d), label="a")
    b = data.draw(st.lists(rationals(6, 3), min_size=d, max_size=d), label="b")
    if a == b:
        b[0] += 1
    seg = Segment(a, b)
    tr = breakpoints(net, seg)
    cx = regions(net @ seg.affine, Box([0], [1]), method="line")
    assert tr.activation_regions == len(cx) == len(tr.parameters) + 1 == len(tr.patterns)
    assert tr.affine_pieces == cx.num_pieces
    assert list(tr.parameters) == [r.vertices()[0][0] for r in cx][1:]
    assert all(0 < t < 1 for t in tr.parameters) and list(tr.parameters) == sorted(set(tr.parameters))
    changes, _ = sampled_changes(net, seg, 200)
    assert changes <= tr.activation_regions - 1
    for i, (lo, hi) in enumerate(tr.intervals()):
        assert tr.pattern(i) == net.activation_pattern(seg.to_input((lo + hi) / 2)) == cx[i].pattern


def test_breakpoints_of_a_known_network():
    tent = ReLUNetwork([([[1], [1]], [0, "-1/2"]), ([[2, -4]], [0])])     # 2x, then 2 - 2x
    tr = breakpoints(tent, Segment([-1], [1]))
    assert tr.parameters == (Fraction(1, 2), Fraction(3, 4))
    assert (tr.activation_regions, tr.affine_pieces) == (3, 3)
    assert tr.piece_parameters == tr.parameters
    identity = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, -1]], [0])])   # relu(x) - relu(-x) = x
    tr = breakpoints(identity, Segment([-1], [3]))
    assert (tr.activation_regions, tr.affine_pieces, tr.piece_parameters) == (2, 1, ())


def test_touching_zero_is_not_a_breakpoint():
    # relu(x) - relu(-x) ... the second hidden neuron relu(h1 + h2) is zero only at x = 0, positive around it
    net = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0]), ([[1]], [0])])
    tr = breakpoints(net, Segment([-1], [1]))
    assert tr.parameters == (Fraction(1, 2),)        # the first layer changes; |x| only touches zero
    flat = ReLUNetwork([([[1, 0]], [0]), ([[1]], [0])])
    tr = breakpoints(flat, Segment([-1, 0], [1, 0]))
    assert tr.parameters == (Fraction(1, 2),)
    along = breakpoints(flat, Segment([0, -1], [0, 1]))            # inside the hyperplane x = 0
    assert along.parameters == () and along.pattern(0) == ((False,),)


def test_path_joins_segments_at_vertices():
    net = ReLUNetwork([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])     # relu(x) + relu(y)
    # vertex (1, 0) lies on y = 0 and the path crosses there: a breakpoint at t = 1/2
    crossing = Path([[1, -1], [1, 0], [1, 1]])
    tr = breakpoints(net, crossing)
    assert tr.parameters == (Fraction(1, 2),) and tr.activation_regions == 2
    # vertex (1, 1) inside one region, with a kink of the path: same pattern, not the same affine map in t
    kink = Path([[1, 1], [2, 1], [2, 3]])
    tr = breakpoints(net, kink)
    assert tr.parameters == () and tr.activation_regions == 1
    assert tr.piece_parameters == (Fraction(1, 2),) and tr.affine_pieces == 2
    # going to y = 0 and back: the vertex touches the hyperplane, the pattern is the same on both sides
    back = Path([[1, 1], [1, 0], [2, 1]])
    assert breakpoints(net, back).parameters == ()
    # global parameters: vertex i at i / m, breakpoints of segment i mapped into [i/m, (i+1)/m]
    path = Path([[-1, 1], [1, 1], [1, -1], [-3, -1]])
    tr = breakpoints(net, path)
    assert tr.parameters == (Fraction(1, 6), Fraction(1, 2), Fraction(2, 3) + Fraction(1, 12))
    changes, pats = sampled_changes(net, path, 600)
    assert changes == 3 and pats[0] == tr.pattern(0) and pats[-1] == tr.pattern(3)


@given(st.data())
def test_path_agrees_with_sampling(data):
    net = data.draw(networks(d=2, max_depth=2, max_width=4), label="net")
    pts = data.draw(st.lists(st.lists(rationals(5, 2), min_size=2, max_size=2), min_size=2, max_size=5), label="pts")
    pts = [p for i, p in enumerate(pts) if i == 0 or p != pts[i - 1]]
    if len(pts) < 2:
        pts.append([pts[0][0] + 1, pts[0][1]])
    path = Path(pts)
    tr = breakpoints(net, path)
    assert tr.activation_regions == len(tr.patterns) == len(tr.parameters) + 1
    changes, _ = sampled_changes(net, path, 150)
    assert changes <= len(tr.parameters)
    for i, (lo, hi) in enumerate(tr.intervals()):
        inside = next(t for t in (lo + (hi - lo) * Fraction(k, 7) for k in range(1, 7))
                      if t not in path.vertex_parameters)
        assert tr.pattern(i) == net.activation_pattern(path.to_input(inside))


# --- transitions ------------------------------------------------------------------------------------
@given(st.data())
def test_transitions_agree_with_breakpoints_on_rational_networks(data):
    d = data.draw(st.integers(1, 4), label="d")
    net = data.draw(networks(d=d, max_depth=3, max_width=4), label="net")
    n = data.draw(st.integers(1, 6), label="n")
    A = [data.draw(st.lists(rationals(6, 3), min_size=d, max_size=d)) for _ in range(n)]
    B = [data.draw(st.lists(rationals(6, 3), min_size=d, max_size=d)) for _ in range(n)]
    B = [[b[0] + 1, *b[1:]] if a == b else b for a, b in zip(A, B)]
    assert transitions(net, A, B).tolist() == exact_counts(net, A, B)


@pytest.mark.parametrize("seed", range(4))
def test_transitions_on_float_networks_are_certified_and_exact(seed):
    rng = np.random.default_rng(seed)
    d = [3, 20, 60, 5][seed]
    net = float_net(rng, [d, 12, 10, 8, 1], scale=1 / np.sqrt(d))
    A = rng.random((40, d)).astype(np.float32)
    B = rng.standard_normal((40, d)).astype(np.float32)
    stats = {}
    counts = transitions(net, A, B, batch=16, stats=stats)
    assert counts.tolist() == exact_counts(net, A, B)
    assert stats["segments"] == 40 and stats["certified"] >= 36 and stats["certified"] + stats["exact"] == 40
    assert counts.dtype == np.int64 and counts.min() >= 1


def test_transitions_degenerate_cases_are_exact():
    # integer weights, duplicated neurons (rows 0 and 1), a neuron with zero weights and bias, and
    # hyperplanes x = 0, y = 0, x = y meeting at the origin
    net = ReLUNetwork([([[1, 0], [1, 0], [0, 1], [1, -1], [0, 0]], [0, 0, 0, 0, 0]),
                       ([[1, 1, -1, 2, 1], [0, 1, 1, -1, 0], [1, -1, 0, 0, 3]], [0, -1, 1]),
                       ([[1, 1, 1]], [0])])
    A = [[-1, -1],    # through the origin, where three hyperplanes meet
         [0, -2],     # inside the hyperplane x = 0 (the duplicated neurons are zero all along)
         [-2, -2],    # inside the hyperplane x = y
         [0, 0],      # starting at the intersection
         [-3, 1],     # generic, integer ends
         [1, 1]]
    B = [[1, 1], [0, 2], [3, 3], [2, -1], [4, -2], [-1, -1]]
    stats = {}
    counts = transitions(net, np.array(A), np.array(B), stats=stats)
    assert counts.tolist() == exact_counts(net, A, B)
    assert stats["exact"] >= 4       # every degenerate one went to the exact engine
    dup = ReLUNetwork([([[2, 1], [2, 1], [-1, 3]], [1, 1, 0]), ([[1, -1, 1]], [0])])
    rng = np.random.default_rng(5)
    A, B = rng.standard_normal((30, 2)), rng.standard_normal((30, 2))
    assert transitions(dup, A, B).tolist() == exact_counts(dup, A, B)


def test_near_coincident_hyperplanes_are_told_apart():
    eps = Fraction(1, 10 ** 30)
    net = ReLUNetwork([([[1], [1]], [Fraction(-1, 2), Fraction(-1, 2) - eps]), ([[1, -1]], [0])])
    # float64 cannot tell the two biases apart; the exact count has two breakpoints
    assert transitions(net, [[0]], [[1]]).tolist() == [3]
    assert breakpoints(net, Segment([0], [1])).parameters == (Fraction(1, 2), Fraction(1, 2) + eps)


def test_transitions_read_exact_inputs():
    net = ReLUNetwork([([[1], [-1], [3]], [0, "1/3", -1]), ([[1, 1, 1]], [0])])
    A = [["-1/3"], [Fraction(1, 3)], [0.25]]
    B = [["1/3"], [1], [-0.5]]
    assert transitions(net, A, B).tolist() == exact_counts(net, A, B)
    assert transitions(net, np.array([[-2], [0]], dtype=np.int64), [[2], [1]]).tolist() == \
        exact_counts(net, [[-2], [0]], [[2], [1]])
    assert transitions(net, np.zeros((0, 1)), np.zeros((0, 1))).shape == (0,)
    depth0 = ReLUNetwork([([[1, 2]], [3])])
    assert transitions(depth0, [[0, 0], [1, 1]], [[1, 0], [2, 2]]).tolist() == [1, 1]


def test_transitions_high_dimensional_float32():
    rng = np.random.default_rng(11)
    dims = [200, 16, 16, 4]
    net = ReLUNetwork([((rng.standard_normal((dims[i + 1], dims[i])) * np.sqrt(2 / dims[i])).astype(np.float32)
                        .astype(float), np.zeros(dims[i + 1])) for i in range(3)])
    A, B = rng.random((12, 200)).astype(np.float32), rng.random((12, 200)).astype(np.float32)
    stats = {}
    assert transitions(net, A, B, stats=stats).tolist() == exact_counts(net, A, B)
    assert stats["exact"] == 0


@pytest.mark.parametrize("starts,ends,error,words", [
    ([0, 0], [[1, 1]], ShapeError, "2-D array"),
    ([[0, 0, 0]], [[1, 1, 1]], ShapeError, "3 columns"),
    ([[0, 0], [1, 1]], [[1, 1]], ShapeError, "starts has shape (2, 2) but ends has shape (1, 2)"),
    ([[0, 0], [1]], [[1, 1], [2, 2]], ShapeError, "different lengths"),
    ([[0, float("nan")]], [[1, 1]], InvalidNumberError, "starts[0][1]"),
    ([[0, 1], [2, 3]], [[1, 1], [2, 3]], DomainError, "segment 1 has equal ends"),
    ([["1/2", 0]], [["1/2", 0]], DomainError, "segment 0"),
    (np.array([[True, False]]), [[1, 1]], InvalidNumberError, "bool"),
])
def test_transitions_refuse_bad_input(starts, ends, error, words):
    net = ReLUNetwork([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
    with pytest.raises(error) as e:
        transitions(net, starts, ends)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_breakpoints_refuse_bad_input():
    net = ReLUNetwork([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
    with pytest.raises(DomainError, match=r"R\^3"):
        breakpoints(net, Segment([0, 0, 0], [1, 1, 1]))
    with pytest.raises(ArgumentTypeError, match="Segment or a Path"):
        breakpoints(net, [[0, 0], [1, 1]])
    with pytest.raises(ArgumentTypeError, match="batch"):
        transitions(net, [[0, 0]], [[1, 1]], batch=1.5)


def test_transitions_with_mixed_magnitudes_agree_with_breakpoints():
    """Weights of 2^+-500 beside small ones: the float walk certifies only what its bound allows."""
    from fractions import Fraction

    import numpy as np

    import cpa

    rng = np.random.default_rng(11)
    scale = [Fraction(2) ** 500, Fraction(1, 2 ** 500), Fraction(1), Fraction(1, 3)]
    W1 = [[int(rng.integers(-3, 4)) * scale[(i + k) % 4] for k in range(3)] for i in range(8)]
    W2 = [[int(rng.integers(-3, 4)) * scale[(i * j) % 4] for j in range(8)] for i in range(8)]
    net = cpa.ReLUNetwork([(W1, [scale[i % 4] * (i % 3 - 1) for i in range(8)]), (W2, [1] * 8),
                           ([[1] * 8], [0])])
    A = rng.uniform(-2, 2, size=(40, 3))
    B = rng.uniform(-2, 2, size=(40, 3))
    got = cpa.transitions(net, A, B)
    want = [cpa.breakpoints(net, cpa.Segment(a, b)).activation_regions for a, b in zip(A, B)]
    assert got.tolist() == want
