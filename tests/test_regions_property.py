"""Property tests: the region engines against each other and against a brute-force count.

The brute force walks activation patterns neuron by neuron and keeps a prefix iff
its closed polyhedron (restricted affine maps, exact) is full-dimensional, decided
by :class:`cpa.domains.Polyhedron` -- a different code path from the engines.
Small integer weights make coincident, parallel and concurrent hyperplanes and
hyperplanes through vertices common, which is the point.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpa import ReLUNetwork
from cpa.domains import Box, Polyhedron, Reals
from cpa.regions import count_regions, regions


# --- strategies --------------------------------------------------------------------
def small_rationals(num: int = 3, den: int = 2) -> st.SearchStrategy[Fraction]:
    return st.builds(Fraction, st.integers(-num, num), st.integers(1, den))


@st.composite
def small_networks(draw: st.DrawFn, d: int, max_layers: int = 2, max_width: int = 3) -> ReLUNetwork:
    widths = [d] + draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_layers)) + [1]
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        W = [[draw(small_rationals()) for _ in range(a)] for _ in range(b)]
        c = [draw(small_rationals(2, 2)) for _ in range(b)]
        layers.append((W, c))
    return ReLUNetwork(layers)


# --- brute force -----------------------------------------------------------------------
def _restricted_rows(net: ReLUNetwork, pattern: list[list[bool]], upto_layer: int):
    """Exact (a, beta) of every neuron of layer ``upto_layer`` given the earlier pattern."""
    d = net.input_dim
    layers = net.layers
    # affine map of the current layer's input: x -> M x + m
    M = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
    m = [Fraction(0)] * d
    for l in range(upto_layer + 1):
        W, b = layers[l]
        Z = [[sum((W[i][k] * M[k][j] for k in range(len(M))), Fraction(0)) for j in range(d)] for i in range(len(W))]
        z = [sum((W[i][k] * m[k] for k in range(len(M))), Fraction(0)) + b[i] for i in range(len(W))]
        if l == upto_layer:
            return Z, z
        act = pattern[l]
        M = [Z[i] if act[i] else [Fraction(0)] * d for i in range(len(W))]
        m = [z[i] if act[i] else Fraction(0) for i in range(len(W))]
    raise AssertionError


def brute_count(net: ReLUNetwork, domain, bounded: bool = False):
    """Number of activation regions (and of bounded ones, when ``bounded``)."""
    d = net.input_dim
    A0, b0 = domain.constraints()
    widths = net.widths

    def full_dim(rows_A, rows_b) -> bool:
        A = list(A0) + rows_A
        b = list(b0) + rows_b
        if not A:
            return True
        return Polyhedron(A, b, dim=d).is_full_dimensional()

    count = 0
    nbounded = 0
    stack = [([], [], [])]   # (pattern as list of layers, extra A rows, extra b rows)
    while stack:
        pat, rA, rb = stack.pop()
        if pat and len(pat[-1]) < widths[len(pat) - 1]:
            l = len(pat) - 1
        else:
            l = len(pat)
        if l == len(widths):
            count += 1
            if bounded and (A0 or rA) and Polyhedron(list(A0) + rA, list(b0) + rb, dim=d).is_bounded:
                nbounded += 1
            continue
        if l == len(pat):
            pat = pat + [[]]
        Z, z = _restricted_rows(net, pat, l)
        i = len(pat[l])
        a, beta = Z[i], z[i]
        for active in (True, False):
            if active and all(v == 0 for v in a) and beta == 0:
                continue          # a constant-zero neuron is inactive
            if active:   # a.x + beta >= 0
                nA, nb = rA + [[-v for v in a]], rb + [beta]
            else:
                nA, nb = rA + [list(a)], rb + [-beta]
            if full_dim(nA, nb):
                np_ = [list(p) for p in pat]
                np_[l].append(active)
                stack.append((np_, nA, nb))
    return (count, nbounded) if bounded else count


# --- properties -----------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(small_networks(1, max_layers=3, max_width=3), st.booleans())
def test_line_and_vertex_agree_1d(net, bounded):
    dom = Box([-2], [3]) if bounded else Reals(1)
    a = regions(net, dom, method="line")
    b = regions(net, dom, method="vertex")
    assert a.counts().activation_regions == b.counts().activation_regions
    assert a.num_pieces == b.num_pieces
    assert a.num_bounded == b.num_bounded
    assert sorted(r.pattern for r in a) == sorted(r.pattern for r in b)
    assert a.certify() and b.certify()          # complete: every region right, none missing
    if bounded:
        assert sorted((sorted(r.vertices()), tuple(r.affine_map)) for r in a) == \
        sorted((sorted(r.vertices()), tuple(r.affine_map)) for r in b)


@settings(max_examples=20, deadline=None)
@given(small_networks(2, max_layers=2, max_width=3), st.sampled_from(["box", "reals", "triangle"]))
def test_vertex_matches_brute_force_2d(net, kind):
    dom = {"box": Box([-1, -1], [1, 2]), "reals": Reals(2),
           "triangle": Polyhedron([[-1, 0], [0, -1], [1, 1]], [1, 1, 1])}[kind]
    cx = regions(net, dom)
    assert (len(cx), cx.num_bounded) == brute_count(net, dom, bounded=True)
    cert = cx.certificate()
    assert cert.ok, cert.reason
    if kind != "reals":
        assert cx.total_volume() == dom.volume()


@settings(max_examples=8, deadline=None)
@given(small_networks(3, max_layers=2, max_width=3))
def test_vertex_matches_brute_force_3d(net):
    dom = Box([-1, -1, -1], [1, 1, 1])
    cx = regions(net, dom)
    assert len(cx) == brute_count(net, dom)
    assert cx.total_volume() == 8
    assert cx.certify()


@settings(max_examples=15, deadline=None)
@given(small_networks(2, max_layers=2, max_width=3), st.booleans())
def test_adjacency_by_lexicographic_neighbour(net, bounded):
    """Each interior facet's neighbour, found by an exact infinitesimal step, is a graph neighbour."""
    dom = Box([-1, -1], [2, 1]) if bounded else Reals(2)
    cx = regions(net, dom)
    by_pattern = {r.pattern: r.index for r in cx}
    G = cx.graph
    for r in cx:
        A, b = r.hrep
        verts = r.vertices()
        w = r.witness
        facets = 0
        for row, c in zip(A, b):
            on = [v for v in verts if sum((a * x for a, x in zip(row, v)), Fraction(0)) == c]
            if isinstance(dom, Box) and _is_domain_row(row, c, dom):
                continue
            if len(on) < 2 and r.is_bounded:
                raise AssertionError("a facet of a bounded 2-D region has two vertices")
            if len(on) == 2:
                p = tuple((x + y) / 2 for x, y in zip(*on))
            elif len(on) == 1:   # unbounded facet: step along it away from the region
                p = _point_on_ray(on[0], row, c, A, b)
            else:                # a whole line
                p = _point_on_line(row, c)
            facets += 1
            u = tuple(x - y for x, y in zip(p, w))
            q = _lex_pattern(net, p, u)
            assert q in by_pattern, "the region across a facet must exist"
            assert G.has_edge(r.index, by_pattern[q])
        assert G.degree(r.index) == facets


def _is_domain_row(row, c, dom) -> bool:
    Ad, bd = dom.constraints()
    return any(all(x * c2 == y * c for x, y in zip(row, r2)) and all(x * y >= 0 for x, y in zip(row, r2)) and c * c2 >= 0
               for r2, c2 in zip(Ad, bd)) or any(_parallel_same(row, c, r2, c2) for r2, c2 in zip(Ad, bd))


def _parallel_same(r1, c1, r2, c2) -> bool:
    # same half-space up to a positive factor
    k = None
    for x, y in zip(list(r1) + [c1], list(r2) + [c2]):
        if y == 0:
            if x != 0:
                return False
            continue
        if k is None:
            k = x / y
        elif x != k * y:
            return False
    return k is not None and k > 0


def _point_on_line(row, c):
    a1, a2 = row
    if a2 != 0:
        return (Fraction(0), c / a2)
    return (c / a1, Fraction(0))


def _point_on_ray(v, row, c, A, b):
    a1, a2 = row
    t = (-a2, a1)
    for direction in (t, (-t[0], -t[1])):
        p = tuple(x + y for x, y in zip(v, direction))
        if all(sum((a * x for a, x in zip(r2, p)), Fraction(0)) <= c2 for r2, c2 in zip(A, b)):
            return p
    raise AssertionError("no ray along the facet")


def _lex_pattern(net: ReLUNetwork, p, u):
    """Activation pattern at p + eps u for infinitesimal eps > 0 (exact)."""
    val = list(p)
    der = list(u)
    pat = []
    layers = net.layers
    for l, (W, b) in enumerate(layers[:-1]):
        z = [sum((w * v for w, v in zip(row, val)), Fraction(0)) + c for row, c in zip(W, b)]
        dz = [sum((w * v for w, v in zip(row, der)), Fraction(0)) for row in W]
        act = tuple(zi > 0 or (zi == 0 and di > 0) for zi, di in zip(z, dz))
        pat.append(act)
        val = [zi if a else Fraction(0) for zi, a in zip(z, act)]
        der = [di if a else Fraction(0) for di, a in zip(dz, act)]
    return tuple(pat)


@pytest.mark.parametrize("seed", range(3))
def test_pieces_equal_union_find_on_graph(seed):
    """Pieces from the engine equal connected components of the equal-map subgraph of the full graph."""
    import random

    import networkx as nx

    rng = random.Random(seed)
    W1 = [[Fraction(rng.randint(-2, 2)), Fraction(rng.randint(-2, 2))] for _ in range(4)]
    b1 = [Fraction(rng.randint(-2, 2), 2) for _ in range(4)]
    W2 = [[Fraction(rng.randint(-1, 1)) for _ in range(4)] for _ in range(3)]
    b2 = [Fraction(rng.randint(-1, 1)) for _ in range(3)]
    W3 = [[Fraction(rng.randint(0, 1)) for _ in range(3)]]
    net = ReLUNetwork([(W1, b1), (W2, b2), (W3, [0])])
    cx = regions(net, Box([-2, -2], [2, 2]))
    H = nx.Graph()
    H.add_nodes_from(range(len(cx)))
    H.add_edges_from((i, j) for i, j in cx.graph.edges if cx[i].affine_map == cx[j].affine_map)
    comps = sorted(sorted(c) for c in nx.connected_components(H))
    assert comps == sorted(sorted(p) for p in cx.pieces)


@settings(max_examples=10, deadline=None)
@given(small_networks(2, max_layers=2, max_width=3))
def test_count_regions_matches_complex(net):
    c = count_regions(net, Box([0, 0], [1, 1]))
    cx = regions(net, Box([0, 0], [1, 1]))
    assert (c.activation_regions, c.affine_pieces) == (len(cx), cx.num_pieces)
    assert c.affine_pieces <= c.activation_regions
