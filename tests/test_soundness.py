"""Soundness under hostile magnitudes: every engine, the complete certificate and ``equivalent``.

Networks here mix dyadic weights of ``2^±500`` with small integers, on tiny and huge
boxes, unbounded polyhedra and all of ``R^d``.  Float filters that are not careful
about scaling fail exactly here (a floored coordinate turns a certified sign into a
wrong one).  Every engine must agree with every other, and every complex must pass
the complete certificate (:mod:`cpa.regions.certificate`), which is independent of
the engines.
"""

from __future__ import annotations

import importlib
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpa import ReLUNetwork
from cpa.domains import Box, Polyhedron, Reals
from cpa.regions import count_regions, regions
from verify import equivalent

P500 = Fraction(2) ** 500


def the_issue_network() -> ReLUNetwork:
    """The reproducer of the miscount: weights 2^500, 2^30, 2^-40 and 2^-500 (float64 .npz values)."""
    t = Fraction(2)
    return ReLUNetwork([
        ([[P500, 0], [0, 0]], [0, P500]),
        ([[1, 0], [-t ** 30, t ** -40]], [0, t ** -500]),
        ([[t ** -500, 1]], [-t ** -40]),
        ([[0]], [0]),
    ])


# --- strategies --------------------------------------------------------------------------
@st.composite
def magnitudes(draw: st.DrawFn) -> Fraction:
    """A dyadic or small rational, of magnitude anywhere in 2^-500 .. 2^500, or zero."""
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return Fraction(0)
    sign = draw(st.sampled_from([-1, 1]))
    if kind == 1:
        return sign * Fraction(draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    e = draw(st.sampled_from([-500, -300, -60, -40, -1, 1, 30, 60, 300, 500]))
    return sign * Fraction(draw(st.integers(1, 3))) * Fraction(2) ** e


@st.composite
def mixed_networks(draw: st.DrawFn, d: int, max_layers: int = 2, max_width: int = 3) -> ReLUNetwork:
    widths = [d] + draw(st.lists(st.integers(1, max_width), min_size=1, max_size=max_layers)) + [1]
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        W = [[draw(magnitudes()) for _ in range(a)] for _ in range(b)]
        c = [draw(magnitudes()) for _ in range(b)]
        layers.append((W, c))
    return ReLUNetwork(layers)


@st.composite
def mixed_domains(draw: st.DrawFn, d: int):
    kind = draw(st.sampled_from(["unit", "tiny", "huge", "reals", "halfspace", "cone"]))
    if kind == "unit":
        return Box([-1] * d, [1] * d)
    if kind == "tiny":
        s = Fraction(2) ** -draw(st.sampled_from([40, 300, 500]))
        return Box([-s] * d, [s] * d)
    if kind == "huge":
        s = Fraction(10) ** 400 if draw(st.booleans()) else Fraction(2) ** 500
        return Box([-s] * d, [s] * d)
    if kind == "reals":
        return Reals(d)
    if kind == "halfspace":
        a = [draw(magnitudes()) for _ in range(d)]
        if not any(a):
            a[0] = Fraction(1)
        return Polyhedron([a], [draw(magnitudes())])
    # an unbounded cone x_0 >= 0, x_0 >= x_1 (d >= 2) shifted by a huge offset
    A = [[-1] + [0] * (d - 1)]
    b = [P500]
    if d >= 2:
        A.append([-1, 1] + [0] * (d - 2))
        b.append(Fraction(0))
    return Polyhedron(A, b)


# --- the reproducer -----------------------------------------------------------------------
def test_issue_network_counts_five_regions_in_every_engine():
    net = the_issue_network()
    box = Box([-1, -1], [1, 1])
    for method in ("vertex", "polygon"):
        cx = regions(net, box, method=method)
        assert len(cx) == 5
        cert = cx.certificate()
        assert cert.ok, cert.reason
        assert cert.covered_volume == cert.domain_volume == 4


def test_issue_network_from_float64_npz(tmp_path):
    from cpa.io import load_network

    P = 2.0 ** 500
    np.savez(tmp_path / "w.npz", W0=np.array([[P, 0], [0, 0]]), b0=np.array([0, P]),
             W1=np.array([[1, 0], [-2.0 ** 30, 2.0 ** -40]]), b1=np.array([0, 2.0 ** -500]),
             W2=np.array([[2.0 ** -500, 1]]), b2=np.array([-2.0 ** -40]), W3=np.zeros((1, 1)), b3=np.zeros(1))
    net = load_network(tmp_path / "w.npz")
    assert count_regions(net, Box([-1, -1], [1, 1])).activation_regions == 5


def test_the_old_shifting_filter_is_caught_by_the_complete_certificate(monkeypatch):
    """With the old scaling (low bits shifted off), the engine missed regions and every listed region
    still passed the per-region check; the complete certificate refuses that complex."""
    vertex = importlib.import_module("cpa.regions._vertex")

    def shifting(P):
        e = max(abs(v) for v in P).bit_length()
        if e <= 60:
            return [math.ldexp(float(v), -e) for v in P]
        return [math.ldexp(float(v >> (e - 60)), -60) for v in P]

    monkeypatch.setattr(vertex, "scaled_floats", shifting)
    cx = regions(the_issue_network(), Box([-1, -1], [1, 1]), method="vertex")
    assert len(cx) == 3                       # the wrong count the issue reported
    cert = cx.certificate()
    assert not cert.ok and "pattern does not hold" in cert.reason
    assert not cx.certify()


def test_equivalent_sees_the_nonzero_network():
    net = ReLUNetwork(the_issue_network().layers[:3])      # without the zero last layer
    # the network is not zero: at (2^-60, 0) it is -1048575/2^60
    assert net([Fraction(2) ** -60, 0]) == (Fraction(-1048575, 2 ** 60),)
    zero = ReLUNetwork([([[0, 0]], [0])])
    res = equivalent(net, zero, Box([-1, -1], [1, 1]))
    assert not res.equal
    x = res.counterexample
    assert net(x) != zero(x)


def test_box_bound_1e400_and_unbounded_polyhedra():
    net = the_issue_network()
    big = Fraction(10) ** 400
    for dom in (Box([-big, -big], [big, big]), Reals(2), Polyhedron([[1, 1]], [P500])):
        a = regions(net, dom, method="vertex")
        b = regions(net, dom, method="polygon")
        assert sorted(r.pattern for r in a) == sorted(r.pattern for r in b)
        assert a.num_bounded == b.num_bounded
        cert = a.certificate()
        assert cert.ok, cert.reason


def test_float_filter_scaling_is_correctly_rounded():
    from cpa.regions._float import scaled_floats

    P = [2 ** 5000 + 1, 3, -(2 ** 4000), 0, 1]
    out = scaled_floats(P)
    e = max(abs(v) for v in P).bit_length()
    for v, f in zip(P, out):
        exact = Fraction(v, 2 ** e)
        assert abs(Fraction(f) - exact) <= abs(exact) * Fraction(1, 2 ** 53) + Fraction(1, 2 ** 1074)


def test_weights_beyond_float64_are_counted_exactly():
    big = Fraction(10) ** 400
    net = ReLUNetwork([([[big, 1], [1, -big]], [0, 1]), ([[1, 1]], [0])])
    cx = regions(net, Box([-1, -1], [1, 1]))
    assert len(cx) == 4 and cx.certify()
    assert len(regions(net, Box([-1, -1], [1, 1]), method="polygon")) == 4


# --- properties: every engine agrees and is certified --------------------------------------
@settings(max_examples=30, deadline=None)
@given(st.data())
def test_mixed_magnitudes_2d_vertex_equals_polygon_and_certified(data):
    net = data.draw(mixed_networks(2))
    dom = data.draw(mixed_domains(2))
    a = regions(net, dom, method="vertex")
    b = regions(net, dom, method="polygon")
    assert sorted(r.pattern for r in a) == sorted(r.pattern for r in b)
    assert sorted(tuple(r.affine_map) for r in a) == sorted(tuple(r.affine_map) for r in b)
    assert (a.num_bounded, a.num_pieces) == (b.num_bounded, b.num_pieces)
    for cx in (a, b):
        cert = cx.certificate()
        assert cert.ok, cert.reason


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_mixed_magnitudes_1d_vertex_equals_line_and_certified(data):
    net = data.draw(mixed_networks(1, max_layers=3))
    dom = data.draw(mixed_domains(1))
    a = regions(net, dom, method="vertex")
    b = regions(net, dom, method="line")
    assert sorted(r.pattern for r in a) == sorted(r.pattern for r in b)
    assert (a.num_bounded, a.num_pieces) == (b.num_bounded, b.num_pieces)
    for cx in (a, b):
        cert = cx.certificate()
        assert cert.ok, cert.reason


@settings(max_examples=12, deadline=None)
@given(st.data())
def test_mixed_magnitudes_3d_certified_and_sampled(data):
    net = data.draw(mixed_networks(3))
    dom = data.draw(st.sampled_from([Box([-1] * 3, [1] * 3), Reals(3),
                                     Box([-Fraction(2) ** -300] * 3, [Fraction(2) ** -300] * 3)]))
    cx = regions(net, dom, method="vertex")
    cert = cx.certificate()
    assert cert.ok, cert.reason
    # exact sampling: the pattern at every sample point is one of the listed regions' patterns
    pats = {r.pattern for r in cx}
    lo = dom.lo if isinstance(dom, Box) else [Fraction(-(2 ** 520))] * 3
    hi = dom.hi if isinstance(dom, Box) else [Fraction(2 ** 520)] * 3
    seed = data.draw(st.integers(0, 2 ** 16))
    rng = np.random.default_rng(seed)
    for _ in range(20):
        x = [a + (b - a) * Fraction(int(k), 997) for a, b, k in zip(lo, hi, rng.integers(0, 998, size=3))]
        assert net.activation_pattern(x) in pats or _on_a_boundary(net, x)


def _on_a_boundary(net: ReLUNetwork, x) -> bool:
    """A sample on a hyperplane has a pattern of a lower-dimensional cell; it is not a region."""
    v = [Fraction(t) for t in x]
    for W, b in net.layers[:-1]:
        z = [sum((w * t for w, t in zip(row, v)), Fraction(0)) + c for row, c in zip(W, b)]
        if any(t == 0 for t in z):
            return True
        v = [t if t > 0 else Fraction(0) for t in z]
    return False


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_equivalent_is_sound_under_mixed_magnitudes(data):
    net = data.draw(mixed_networks(2))
    dom = data.draw(st.sampled_from([Box([-1, -1], [1, 1]), Reals(2)]))
    assert equivalent(net, net, dom).equal
    # add a tiny bump that is nonzero somewhere: the difference must be found exactly
    eps = Fraction(2) ** -data.draw(st.sampled_from([40, 300, 520]))
    bumped = ReLUNetwork(list(net.layers[:-1]) + [(net.layers[-1][0], [net.layers[-1][1][0] + eps])])
    res = equivalent(net, bumped, dom)
    assert not res.equal and net(res.counterexample) != bumped(res.counterexample)


@pytest.mark.parametrize("d", [2, 3])
def test_complete_certificate_rejects_a_missing_or_duplicated_region(d):
    net = ReLUNetwork([([[1] + [0] * (d - 1), [0, 1] + [0] * (d - 2)], [0, 0]), ([[1, 1]], [0])])
    cx = regions(net, Box([-1] * d, [1] * d))
    assert len(cx) == 4 and cx.certify()
    from cpa.regions.certificate import certify_complex

    cert = certify_complex(net, cx.domain, cx.regions[1:])
    assert not cert.ok and "volumes sum" in cert.reason
    cert = certify_complex(net, cx.domain, list(cx.regions) + [cx.regions[0]])
    assert not cert.ok and "same activation pattern" in cert.reason


# --- the CLI's --certify checks the complete certificate ----------------------------------------
def _issue_npz(tmp_path):
    P = 2.0 ** 500
    path = tmp_path / "w.npz"
    np.savez(path, W0=np.array([[P, 0], [0, 0]]), b0=np.array([0, P]),
             W1=np.array([[1, 0], [-2.0 ** 30, 2.0 ** -40]]), b1=np.array([0, 2.0 ** -500]),
             W2=np.array([[2.0 ** -500, 1]]), b2=np.array([-2.0 ** -40]), W3=np.zeros((1, 1)), b3=np.zeros(1))
    return str(path)


@pytest.mark.parametrize("extra", [[], ["--workers", "2"], ["--method", "polygon"]])
def test_cli_certify_is_complete(tmp_path, capsys, extra):
    import json

    from cpa.cli import main

    code = main(["regions", _issue_npz(tmp_path), "--box", "-1", "1", "--certify", "--json", *extra])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["activation_regions"] == doc["certified"] == 5
    assert doc["certificate"] == "complete" and doc["covered_volume"] == doc["domain_volume"] == "4"


def test_cli_certify_refuses_an_incomplete_complex(tmp_path, capsys, monkeypatch):
    from cpa.cli import main

    vertex = importlib.import_module("cpa.regions._vertex")

    def shifting(P):
        e = max(abs(v) for v in P).bit_length()
        return [math.ldexp(float(v >> (e - 60)), -60) if e > 60 else math.ldexp(float(v), -e) for v in P]

    monkeypatch.setattr(vertex, "scaled_floats", shifting)
    code = main(["regions", _issue_npz(tmp_path), "--box", "-1", "1", "--certify", "--method", "vertex"])
    err = capsys.readouterr().err
    assert code != 0 and "certificate does not hold" in err and "pattern does not hold" in err
    assert len(err.strip().splitlines()) == 1


def test_boxes_beyond_pythons_digit_limit_print_and_count():
    big = Fraction(10) ** 5000
    box = Box([-big, -big], [1, 1])
    assert "5001 digits" in repr(box) and len(repr(box)) < 300
    assert count_regions(the_issue_network(), box).activation_regions == 5
    with pytest.raises(Exception) as e:
        Box([big], [1])
    assert "empty box" in str(e.value) and len(str(e.value)) < 200


# --- one affine type: layers, region maps, composition with networks ----------------------------
def test_affine_is_the_layer_and_region_map_type():
    from cpa import Affine

    net = ReLUNetwork([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [0])])      # |x_0|
    assert all(isinstance(L, Affine) for L in net.affine_layers)
    cx = regions(net, Box([-1, -1], [1, 1]))
    maps = {r.affine_map for r in cx}
    assert maps == {Affine([[1, 0]], [0]), Affine([[-1, 0]], [0])}
    A, c = cx[0].affine_map                                   # unpacks as (A, c)
    assert len(A) == 1 and len(c) == 1
    line = Affine([[2], [1]], [0, 1])                         # t -> (2t, t + 1)
    sliced = net @ line
    assert sliced.input_dim == 1 and sliced.depth == net.depth
    assert all(sliced([t]) == net(line([t])) for t in (-3, Fraction(1, 3), 0, 5))
    scaled = Affine([[3]], [1]) @ net
    assert scaled([Fraction(-2), 7]) == (Fraction(7),)
    assert count_regions(sliced, Box([-1], [1])).activation_regions == 2
    with pytest.raises(Exception, match="cannot compose"):
        net @ Affine([[1, 2, 3]])


def test_plots_refuse_what_float64_cannot_draw(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from cpa.errors import DomainError
    from cpa.plotting import plot_function_1d, plot_regions

    big = Fraction(10) ** 400
    with pytest.raises(DomainError, match="overflow float64"):
        plot_function_1d(ReLUNetwork([([[big], [1]], [0, 1]), ([[1, 1]], [0])]), (-1, 1))
    cx = regions(the_issue_network(), Box([-big, -big], [big, big]))
    with pytest.raises(DomainError, match="plot a smaller box"):
        plot_regions(cx)


@pytest.mark.parametrize("workers", [None, 2])
def test_count_regions_streams_records_and_certifies(workers):
    from constructions.reference_nets import reference_domain, reference_network

    net, dom = reference_network("R2"), reference_domain("R2")
    got: list = []
    c = count_regions(net, dom, workers=workers, on_records=got.extend, certify=True)
    assert c.activation_regions == len(got) == 131
    assert c.certificate.ok and c.certificate.covered_volume == dom.volume()
    assert len({tuple(r["pattern"]) for r in got}) == 131 and "volume" not in got[0]
