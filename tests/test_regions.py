"""Exact region counts: reference networks, theorem constructions, degenerate networks, API."""

from __future__ import annotations

import random
from fractions import Fraction
from math import comb

import pytest

from constructions.reference_nets import REFERENCE_SPECS, reference_domain, reference_network
from constructions.sawtooth import sawtooth
import cpa
from cpa import EnumerationLimitError, ReLUNetwork
from cpa.domains import Box, Polyhedron, Reals
from cpa.regions import Region, RegionComplex, RegionCount, count_regions, regions

H = Fraction(1, 2)


# --- reference networks ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["R1", "R2", "R3", "R4", "R6"])
def test_reference_counts(name):
    c = count_regions(reference_network(name), reference_domain(name))
    assert c.activation_regions == REFERENCE_SPECS[name][2]
    assert c.bounded_regions == c.activation_regions and c.unbounded_regions == 0
    assert c.affine_pieces <= c.activation_regions


@pytest.mark.slow
def test_reference_count_R5():
    c = count_regions(reference_network("R5"), reference_domain("R5"))
    assert c.activation_regions == 12202


def test_reference_pieces():
    assert count_regions(reference_network("R6"), reference_domain("R6")).affine_pieces == 64
    assert count_regions(reference_network("R2"), reference_domain("R2")).affine_pieces == 131


@pytest.mark.parametrize("name", ["R1", "R2", "R4"])
def test_volumes_sum_to_domain(name):
    dom = reference_domain(name)
    cx = regions(reference_network(name), dom)
    assert cx.total_volume() == dom.volume()


def test_reference_certificates_R2():
    cx = regions(reference_network("R2"), reference_domain("R2"))
    assert cx.certify()


# --- hyperplane arrangements (one hidden layer) ----------------------------------------------
def _generic_one_layer(d: int, n: int, seed: int) -> ReLUNetwork:
    rng = random.Random(seed)
    W = [[Fraction(rng.randint(-10**6, 10**6), 997) for _ in range(d)] for _ in range(n)]
    b = [Fraction(rng.randint(-10**6, 10**6), 991) for _ in range(n)]
    out = [[Fraction(rng.randint(1, 10**6), 983) for _ in range(n)]]
    return ReLUNetwork([(W, b), (out, [0])])


@pytest.mark.parametrize("d,n", [(1, 1), (1, 5), (2, 1), (2, 3), (2, 6), (3, 4), (3, 6)])
def test_zaslavsky_general_position(d, n):
    c = count_regions(_generic_one_layer(d, n, 10 * d + n))
    assert c.activation_regions == sum(comb(n, j) for j in range(d + 1))
    assert c.affine_pieces == c.activation_regions
    assert c.bounded_regions == comb(n - 1, d)


# --- theorem constructions -----------------------------------------------------------
@pytest.mark.parametrize("k", range(1, 7))
def test_sawtooth(k):
    net = sawtooth(k)
    c = count_regions(net, Box([0], [1]))
    assert (c.activation_regions, c.affine_pieces) == (2 ** k, 2 ** k)
    r = count_regions(net)
    expected = 3 if k == 1 else 2 ** k + 2
    assert (r.activation_regions, r.affine_pieces) == (expected, expected)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_sawtooth_vertex_engine(k):
    assert count_regions(sawtooth(k), Box([0], [1]), method="vertex").affine_pieces == 2 ** k
    expected = 3 if k == 1 else 2 ** k + 2
    assert count_regions(sawtooth(k), Reals(1), method="vertex").affine_pieces == expected


def montufar_2_44() -> ReLUNetwork:
    return ReLUNetwork([
        ([[1, 0], [1, 0], [0, 1], [0, 1]], [0, -H, 0, -H]),
        ([[2, -4, 4, -8], [4, -8, 2, -4], [2, -4, -2, 4], [-6, 12, 2, -4]],
         [Fraction(-7, 5), Fraction(-7, 5), Fraction(1, 10), Fraction(13, 10)]),
        ([[1, 2, -3, 5]], [0]),
    ])


def test_montufar_2_4_4():
    net = montufar_2_44()
    c = count_regions(net, Box([0, 0], [1, 1]))
    assert (c.activation_regions, c.affine_pieces) == (44, 44)
    r = count_regions(net)
    assert (r.activation_regions, r.affine_pieces) == (59, 59)


def montufar_1_222(flip: bool = False) -> ReLUNetwork:
    third = Fraction(1, 3)
    last = ([[2, -4], [2, -4]], [-third, -2 * third]) if flip else ([[-2, 4], [2, -4]], [third, -2 * third])
    return ReLUNetwork([([[1], [1]], [0, -H]), ([[2, -4], [2, -4]], [0, -H]), last, ([[1, 2]], [0])])


@pytest.mark.parametrize("method", ["line", "vertex"])
def test_montufar_1_2_2_2(method):
    c = count_regions(montufar_1_222(), Box([0], [1]), method=method)
    assert (c.activation_regions, c.affine_pieces) == (12, 12)
    r = count_regions(montufar_1_222(), method=method)
    assert (r.activation_regions, r.affine_pieces) == (14, 14)
    # the other orientation of the last layer merges the two zero pieces around 1/2
    f = count_regions(montufar_1_222(flip=True), Box([0], [1]), method=method)
    assert (f.activation_regions, f.affine_pieces) == (12, 11)


def test_montufar_1_3_3():
    q = Fraction
    net = ReLUNetwork([([[1], [1], [1]], [0, -q(1, 3), -q(2, 3)]),
                       ([[3, -6, 6], [3, -6, 6], [-3, 6, -6]], [-q(1, 4), -q(1, 2), q(3, 4)]),
                       ([[1, -3, 2]], [0])])
    assert count_regions(net, Box([0], [1])).affine_pieces == 12
    assert count_regions(net).activation_regions == 13


def serra(extra_layers: int) -> ReLUNetwork:
    q = Fraction
    zig = [[-12, 9, -6], [-12, 9, -6], [12, -9, 6]]
    layers = [([[1], [1], [-1]], [-q(1, 6), -q(1, 3), q(2, 3)])]
    for _ in range(extra_layers):
        layers.append((zig, [q(23, 6), q(11, 3), -q(10, 3)]))
    layers.append((zig, [q(15, 4), q(7, 2), -q(13, 4)]))
    layers.append(([[1, -3, 2]], [0]))
    return ReLUNetwork(layers)


@pytest.mark.parametrize("method", ["line", "vertex"])
def test_serra_1_3_3(method):
    c = count_regions(serra(0), method=method)
    assert (c.activation_regions, c.affine_pieces) == (16, 16)
    assert count_regions(serra(1), method=method).activation_regions == 64


# --- degenerate networks ---------------------------------------------------------------------------
def test_identity_two_regions_one_piece():
    net = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, -1]], [0])])   # relu(x) - relu(-x) = x
    for dom in (Box([-1], [1]), None):
        for method in ("line", "vertex"):
            c = count_regions(net, dom, method=method)
            assert (c.activation_regions, c.affine_pieces) == (2, 1)


def test_identity_2d():
    # x + y through relu(s) - relu(-s) on both coordinates: 4 regions, 1 piece
    net = ReLUNetwork([([[1, 0], [-1, 0], [0, 1], [0, -1]], [0] * 4), ([[1, -1, 1, -1]], [0])])
    c = count_regions(net, Box([-1, -1], [1, 1]))
    assert (c.activation_regions, c.affine_pieces) == (4, 1)
    r = count_regions(net)
    assert (r.activation_regions, r.affine_pieces, r.bounded_regions) == (4, 1, 0)


def test_zero_rows_and_dead_neurons():
    net = ReLUNetwork([
        ([[0, 0], [1, 1], [0, 0], [1, -1]], [0, 0, -1, 0]),     # zero row, zero row with bias -1 (dead)
        ([[0, 0, 0, 0], [1, 0, 0, 1], [1, 0, 0, -1]], [0, -5, 0]),   # zero row, dead on the box
        ([[1, 1, 1]], [0]),
    ])
    cx = regions(net, Box([-1, -1], [1, 1]))
    # the two lines x+y=0, x-y=0 (4 cells); layer 2: relu(x+y) - relu(x-y) = 0 only on some cells
    assert cx.total_volume() == 4
    assert cx.certify()
    for r in cx:
        assert r.pattern[0][0] is False and r.pattern[0][2] is False
        assert r.pattern[1][0] is False and r.pattern[1][1] is False


def test_duplicated_and_coincident_neurons():
    # the same hyperplane three times (two orientations) and a positive multiple
    net = ReLUNetwork([([[1, 2], [1, 2], [-1, -2], [2, 4]], [1, 1, -1, 2]), ([[1, -1, 2, 3]], [0])])
    c = count_regions(net, Box([-3, -3], [3, 3]))
    assert c.activation_regions == 2
    assert count_regions(net).activation_regions == 2


def test_parallel_hyperplanes_on_reals():
    net = ReLUNetwork([([[1, 1], [1, 1], [1, 1]], [0, -1, -2]), ([[1, -2, 1]], [0])])
    c = count_regions(net)
    assert (c.activation_regions, c.bounded_regions) == (4, 0)
    assert c.affine_pieces == 4


def test_hyperplane_through_box_corner():
    # x + y = 2 touches [0,1]^2 only at the corner (1,1): no split
    net = ReLUNetwork([([[1, 1], [1, -1]], [-2, 0]), ([[1, 1]], [0])])
    cx = regions(net, Box([0, 0], [1, 1]))
    assert len(cx) == 2
    assert cx.total_volume() == 1
    # through a box corner and cutting: x - y = 0 meets corners (0,0), (1,1)
    assert all(r.volume() == H for r in cx)


def test_hyperplane_along_box_facet():
    net = ReLUNetwork([([[1, 0], [0, 1]], [0, -H]), ([[1, 1]], [0])])   # x = 0 is a box facet
    cx = regions(net, Box([0, 0], [1, 1]))
    assert len(cx) == 2
    for r in cx:
        assert len(r.hrep[0]) == 4     # irredundant: 4 facets, x = 0 counted once


def test_constant_neuron_after_restriction():
    # layer 2 neuron relu(x) - relu(x) + 1 is the constant 1 everywhere; another is 0 on x < 0
    net = ReLUNetwork([([[1], [1]], [0, 0]), ([[1, -1], [1, 0]], [1, 0]), ([[1, 1]], [0])])
    c = count_regions(net, Box([-1], [1]), method="vertex")
    assert c.activation_regions == 2
    cl = count_regions(net, Box([-1], [1]), method="line")
    assert (cl.activation_regions, cl.affine_pieces) == (c.activation_regions, c.affine_pieces)


def test_neuron_touching_zero_does_not_split():
    # layer 2: relu(x) + relu(-x) = |x| >= 0 touches zero at 0; layer 1 splits at 0 anyway
    # layer 3: |x| - 1 changes sign at +-1
    net = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0]), ([[1]], [-1]), ([[1]], [0])])
    assert count_regions(net, Box([-2], [2])).activation_regions == 4
    # a neuron equal to x^2-like bump touching zero inside a region of its own layer
    net2 = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0]), ([[1]], [0])])
    for m in ("line", "vertex"):
        c = count_regions(net2, Box([-1], [1]), method=m)
        assert c.activation_regions == 2


def test_affine_network_single_region():
    net = ReLUNetwork([([[1, 2]], [3])])
    for dom in (Box([0, 0], [1, 1]), None):
        c = count_regions(net, dom)
        assert (c.activation_regions, c.affine_pieces) == (1, 1)
    cx = regions(net, Box([0, 0], [1, 1]))
    assert cx[0].pattern == ()
    assert tuple(cx[0].affine_map) == (((Fraction(1), Fraction(2)),), (Fraction(3),))
    assert cx[0].affine_map == cpa.Affine([[1, 2]], [3])


def test_multi_output_pieces_compare_whole_map():
    # outputs (x, 0) via the identity gadget: 2 regions, 1 piece; (x, |x|): 2 pieces
    one = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, -1], [0, 0]], [0, 0])])
    two = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, -1], [1, 1]], [0, 0])])
    for m in ("line", "vertex"):
        assert count_regions(one, Box([-1], [1]), method=m).affine_pieces == 1
        assert count_regions(two, Box([-1], [1]), method=m).affine_pieces == 2


# --- API -------------------------------------------------------------------------------------
def test_region_api_2d():
    net = ReLUNetwork([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, -1, 2]], [0])])
    cx = regions(net, Box([-1, -1], [1, 1]))
    assert isinstance(cx, RegionComplex) and isinstance(cx[0], Region)
    assert len(cx) == cx.num_regions == 5
    assert sum(r.volume() for r in cx) == 4
    for r in cx:
        assert r.is_bounded
        assert net.activation_pattern(r.witness) == r.pattern
        A, b = r.hrep
        assert len(A) == len(r.vertices())            # a polygon has as many edges as vertices
        assert r.certify()
    assert cx.graph.number_of_nodes() == 5
    assert cx.graph.number_of_edges() == 5       # the corner triangle touches only its diagonal
    assert cx.num_pieces == len(cx.pieces) == 5
    assert isinstance(cx.counts(), RegionCount)


def test_unbounded_regions_api():
    net = ReLUNetwork([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
    cx = regions(net)
    assert len(cx) == 4 and cx.num_bounded == 0
    for r in cx:
        assert not r.is_bounded
        assert r.vertices() == ((Fraction(0), Fraction(0)),)
        assert len(r.hrep[0]) == 2
        assert r.certify()
        with pytest.raises(Exception, match="unbounded"):
            r.volume()


def test_unbounded_polyhedron_domain():
    net = ReLUNetwork([([[1, 0], [0, 1], [1, -1]], [-1, -1, 0]), ([[1, 1, 1]], [0])])
    quadrant = Polyhedron([[-1, 0], [0, -1]], [0, 0])
    cx = regions(net, quadrant)
    # x = 1, y = 1 and x = y cut the quadrant into 6 regions, one bounded ([0,1]^2 split by x = y)
    assert len(cx) == 6
    assert cx.num_bounded == 2
    assert sum(r.volume() for r in cx if r.is_bounded) == 1
    assert cx.certify()


def test_bounded_polyhedron_domain_volume():
    tri = Polyhedron([[-1, 0], [0, -1], [1, 1]], [0, 0, 1])
    cx = regions(montufar_2_44(), tri)
    assert cx.total_volume() == H
    assert cx.certify()


def test_domain_as_pair():
    net = sawtooth(2)
    assert count_regions(net, ([0], [1])).activation_regions == 4


def test_max_regions():
    with pytest.raises(EnumerationLimitError) as ei:
        count_regions(reference_network("R2"), reference_domain("R2"), max_regions=50)
    assert ei.value.count is not None and ei.value.count > 50
    assert "max_regions=50" in str(ei.value)
    with pytest.raises(EnumerationLimitError) as ei:
        count_regions(sawtooth(8), Box([0], [1]), max_regions=100)
    assert ei.value.count > 100
    assert count_regions(sawtooth(3), Box([0], [1]), max_regions=8).activation_regions == 8


def test_progress_bar_and_silence(capsys):
    count_regions(reference_network("R2"), reference_domain("R2"))
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    count_regions(reference_network("R2"), reference_domain("R2"), progress=True)
    assert capsys.readouterr().out == ""


# --- bad input --------------------------------------------------------------------------------
def test_wrong_dimension():
    from cpa import DomainError

    with pytest.raises(DomainError, match="dimension 3.*input dimension 2"):
        count_regions(reference_network("R2"), Box([0, 0, 0], [1, 1, 1]))
    with pytest.raises(DomainError, match="dimension 1"):
        regions(reference_network("R2"), Reals(1))


def test_bad_domains():
    from cpa import DomainError

    net = sawtooth(1)
    with pytest.raises(DomainError, match="empty box"):
        count_regions(net, Box([1], [0]))
    with pytest.raises(DomainError, match="not finite"):
        count_regions(net, Box([0], [float("inf")]))
    with pytest.raises(DomainError, match="empty"):
        count_regions(net, Polyhedron([[1], [-1]], [0, -1]))
    with pytest.raises(DomainError, match="not full-dimensional"):
        count_regions(net, Polyhedron([[1], [-1]], [0, 0]))
    with pytest.raises(DomainError, match="empty"):
        count_regions(montufar_2_44(), Polyhedron([[1, 0], [-1, 0]], [0, -1]))
    with pytest.raises(DomainError, match="not full-dimensional"):
        count_regions(montufar_2_44(), Polyhedron([[1, 1], [-1, -1]], [1, -1]))
    with pytest.raises(ValueError, match="method"):
        count_regions(net, method="simplex")


def test_half_line_domain_both_engines():
    half = Polyhedron([[-1]], [0])                      # x >= 0
    for m in ("line", "vertex"):
        c = count_regions(sawtooth(2), half, method=m)
        assert (c.activation_regions, c.affine_pieces, c.bounded_regions) == (5, 5, 4)


def test_reference_R2_on_the_plane_matches_brute_force():
    from test_regions_property import brute_count

    net = reference_network("R2")
    cx = regions(net)
    assert (len(cx), cx.num_bounded) == brute_count(net, Reals(2), bounded=True) == (152, 118)


def test_pickle_domains():
    import pickle

    for dom in (Box([0, 0], [1, 2]), Reals(3), Polyhedron([[1, 0], [0, 1], [-1, -1]], [1, 1, 1])):
        assert pickle.loads(pickle.dumps(dom)) == dom


def _duplicate(net: ReLUNetwork, k: int) -> ReLUNetwork:
    """Each hidden neuron copied k times with positive scales; the function is unchanged."""
    layers = net.layers
    out = []
    prev_scale = None   # scale of each incoming copy
    for l, (W, b) in enumerate(layers):
        hidden = l < len(layers) - 1
        rows, bias, scales = [], [], []
        for i, (row, c) in enumerate(zip(W, b)):
            copies = range(k) if hidden else [0]
            for r in copies:
                s = Fraction(r + 1) if hidden else Fraction(1)
                if prev_scale is None:
                    new_row = [s * v for v in row]
                else:   # split the weight of input i among its k copies (each scaled by prev_scale)
                    new_row = [s * row[j // k] / (k * prev_scale[j]) for j in range(len(row) * k)]
                rows.append(new_row)
                bias.append(s * c)
                scales.append(s)
        out.append((rows, bias))
        prev_scale = scales
    return ReLUNetwork(out)


def test_many_neurons_multiword_masks():
    base = montufar_2_44()
    big = _duplicate(base, 9)                     # 72 hidden neurons: tight sets need two words
    assert big.num_neurons == 72
    x = (Fraction(1, 3), Fraction(2, 7))
    assert big(x) == base(x)
    c = count_regions(big, Box([0, 0], [1, 1]))
    assert (c.activation_regions, c.affine_pieces) == (44, 44)
    r = count_regions(big)
    assert (r.activation_regions, r.affine_pieces) == (59, 59)
