"""Exact numbers, the network type, its formats, and the network calculus."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, strategies as st

import cpa
from cpa.calculus import compose, linear_combination, pad_to_depth, parallel
from cpa.gadgets import relu_identity
from cpa.io import from_json, read_npz, to_json, write_npz
from cpa.numbers import to_matrix, to_rational

from strategies import networks, points


@pytest.mark.parametrize("value, expected", [
    (3, Fraction(3)), (Fraction(3, 7), Fraction(3, 7)), (sympy.Rational(3, 7), Fraction(3, 7)),
    (sympy.Integer(-4), Fraction(-4)), ("3/7", Fraction(3, 7)), ("0.1", Fraction(1, 10)),
    (" -2 ", Fraction(-2)), ("1e-3", Fraction(1, 1000)), (0.5, Fraction(1, 2)),
    (0.1, Fraction(3602879701896397, 36028797018963968)), (np.float32(0.1), Fraction(13421773, 134217728)),
    (np.int64(7), Fraction(7)), (Decimal("0.25"), Fraction(1, 4)),
])
def test_to_rational_accepts(value, expected):
    assert to_rational(value) == expected and type(to_rational(value)) is Fraction


@pytest.mark.parametrize("value, word", [
    (float("nan"), "non-finite"), (float("inf"), "non-finite"), ("inf", "non-finite"), (True, "bool"),
    (1 + 2j, "complex"), (None, "cannot read"), ("abc", "cannot read"), (sympy.sqrt(2), "not an exact rational"),
    (np.float64("nan"), "non-finite"),
])
def test_to_rational_refuses(value, word):
    with pytest.raises(cpa.InvalidNumberError, match=word):
        to_rational(value, "W[0][1]")


def test_network_basic_properties():
    net = cpa.ReLUNetwork([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, -1, 0]], [0]),
                           ([[2]], ["1/2"])])
    assert net.widths == (3, 1) and net.depth == 2 and net.num_neurons == 4
    assert net.num_connections == 4 + 2 + 1
    assert net.input_dim == 2 and net.output_dim == 1
    assert net([Fraction(1, 3), 0]) == (Fraction(7, 6),)
    assert net.layers[2] == (((Fraction(2),),), (Fraction(1, 2),))
    X = np.array([[1 / 3, 0.0], [2.0, 5.0]])
    assert np.allclose(net.evaluate_float(X)[:, 0], [float(net(x)[0]) for x in [[Fraction(1, 3), 0], [2, 5]]])


@given(networks())
def test_json_round_trip_is_exact(net):
    back = from_json(to_json(net))
    assert back == net and back.layers == net.layers


def test_npz_round_trip(tmp_path):
    net = cpa.ReLUNetwork([(np.array([[0.1, -2.5]]), np.array([0.3])), ([[3]], [0])])
    path = str(tmp_path / "n.npz")
    assert write_npz(net, path) is True
    assert read_npz(path) == net


def test_to_sympy_and_latex():
    net = cpa.ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    x = sympy.Symbol("x1")
    assert sympy.simplify(net.to_sympy([x]) - (sympy.Max(0, x) + sympy.Max(0, -x))) == 0
    assert "\\begin{pmatrix}" in net.to_latex() and "W^{(1)}" in net.to_latex()
    assert "\\tfrac{1}{2}" in cpa.ReLUNetwork([([[Fraction(1, 2)]], [0])]).to_latex()


# --- calculus preserves functions ------------------------------------------
@given(st.integers(1, 2).flatmap(lambda d: st.tuples(networks(d=d), networks(d=d))), points(2, 4))
def test_parallel_and_linear_combination_preserve_functions(fg, pts):
    f, g = fg
    pts = [p[: f.input_dim] for p in pts]
    par = parallel([f, g])
    lc = linear_combination([Fraction(2, 3), -1], [f, g], 5)
    for p in pts:
        assert par(p) == f(p) + g(p)
        assert lc(p)[0] == Fraction(2, 3) * f(p)[0] - g(p)[0] + 5


@given(st.integers(1, 2).flatmap(lambda d: networks(d=d)), st.integers(0, 3), points(2, 4))
def test_padding_preserves_function(f, extra, pts):
    pts = [p[: f.input_dim] for p in pts]
    g = pad_to_depth(f, f.depth + extra)
    assert g.depth == f.depth + extra
    for p in pts:
        assert g(p) == f(p)


@given(st.integers(1, 2).flatmap(lambda d: networks(d=d)), networks(d=1), points(2, 4))
def test_composition_preserves_function_and_fuses(f, g, pts):
    pts = [p[: f.input_dim] for p in pts]
    h = compose(g, f)
    assert h.depth == f.depth + g.depth
    for p in pts:
        assert h(p) == g(f(p))


def test_identity_through_relu():
    ident = relu_identity(3)
    for p in ([1, -2, Fraction(1, 3)], [0, 0, 0], [-5, 7, -1]):
        assert ident(p) == tuple(Fraction(t) for t in p)


# --- bad input --------------------------------------------------------------
def test_nan_weight_is_refused():
    with pytest.raises(cpa.InvalidNumberError, match=r"non-finite value nan at layer 0 W\[0\]\[1\]"):
        cpa.ReLUNetwork([([[1, float("nan")]], [0])])


def test_inf_bias_is_refused():
    with pytest.raises(cpa.InvalidNumberError, match=r"layer 1 b\[0\]"):
        cpa.ReLUNetwork([([[1]], [0]), ([[1]], [float("inf")])])


def test_ragged_matrix_is_refused():
    with pytest.raises(cpa.ShapeError, match="ragged matrix, row 1 has 1 entries, expected 2"):
        cpa.ReLUNetwork([([[1, 2], [3]], [0, 0])])
    with pytest.raises(cpa.ShapeError, match="ragged"):
        to_matrix([[1, 2], [3, 4, 5]])


def test_layer_shape_mismatch_names_the_layer():
    with pytest.raises(cpa.ShapeError, match="layer 2: W has 3 columns but layer 1 has 2 outputs"):
        cpa.ReLUNetwork([([[1]], [0]), ([[1], [2]], [0, 0]), ([[1, 2, 3]], [0])])
    with pytest.raises(cpa.ShapeError, match="layer 0: W has 2 rows but b has 1 entries"):
        cpa.ReLUNetwork([([[1], [2]], [0])])


@pytest.mark.parametrize("text, word", [
    ("{not json", "malformed JSON network"),
    ("no-such-file.json", "cannot read network file"),
    ('{"layers": 3}', "non-empty list"),
    ('{"layers": [{"W": [["1"]]}]}', "layer 0"),
    ('{"layers": [{"W": [["1/0"]], "b": ["0"]}]}', "layer 0 W"),
    ('{"layers": [{"W": [["x"]], "b": ["0"]}]}', "layer 0 W"),
    ('{"layers": [{"W": [[0.5]], "b": ["0"]}]}', "p/q"),
    ('{"layers": [{"W": [["1"]], "b": ["0"]}, {"W": [["1", "2"]], "b": ["0"]}]}', "layer 1"),
    ('{"format": "other", "layers": []}', "unknown format"),
])
def test_malformed_json_network_is_refused(text, word):
    with pytest.raises(cpa.FormatError, match=word):
        from_json(text)


def test_npz_with_object_arrays_is_refused_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    path = str(tmp_path / "evil.npz")

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    np.savez(path, W0=np.array([Evil()], dtype=object), b0=np.array([0.0]))
    with pytest.raises(cpa.FormatError, match="W0"):
        read_npz(path)
    assert not marker.exists()


# --- Affine --------------------------------------------------------------------------------
def test_affine_algebra_exact():
    from cpa import Affine

    f = cpa.Affine([[1, 2], [0, "1/2"]], [3, 0])
    g = Affine([[1, -1]], ["1/3"])
    x = [Fraction(1, 3), Fraction(-2)]
    assert f(x) == (Fraction(1, 3) - 4 + 3, Fraction(-1))
    assert (g @ f)(x) == g(f(x))
    assert (g @ f) == Affine([[1, Fraction(3, 2)]], [Fraction(10, 3)])
    assert (f + f)(x) == tuple(2 * v for v in f(x))
    assert f + f == 2 * f == f * 2
    assert f - f == Affine([[0, 0], [0, 0]])
    assert -f == (-1) * f
    assert Affine.identity(2) @ f == f == f @ Affine.identity(2)
    assert Affine.constant([5], 2)([7, 8]) == (5,)
    assert hash(f) == hash(Affine([["1", 2.0], [0, 0.5]], [3, 0]))
    assert f.input_dim == 2 and f.output_dim == 2
    net = cpa.ReLUNetwork([f])
    assert net(x) == f(x) and net.depth == 0
    with pytest.raises(AttributeError):
        f.A = ((1,),)


def test_affine_errors_name_the_problem():
    from cpa import Affine, InvalidNumberError, ShapeError

    with pytest.raises(ShapeError, match="2 rows but b has length 1"):
        Affine([[1], [2]], [0])
    with pytest.raises(ShapeError, match="compose"):
        Affine([[1, 2]]) @ Affine([[1, 2]])
    with pytest.raises(ShapeError, match="add"):
        Affine([[1, 2]]) + Affine([[1]])
    with pytest.raises(ShapeError, match="length 3"):
        Affine([[1, 2]])([1, 2, 3])
    with pytest.raises(InvalidNumberError, match="nan"):
        Affine([[float("nan")]])


# --- errors ------------------------------------------------------------------
def test_enumeration_limit_error_partial_count():
    from cpa.errors import EnumerationLimitError

    e = EnumerationLimitError.partial_count("memory budget reached", 12, layer=0, neuron=3,
                                            detail="with 40 vertices", hint="Use a smaller domain", resident_bytes=9)
    assert str(e) == ("memory budget reached: 12 cells after neuron 3 of hidden layer 0 with 40 vertices "
                      "(the final count can only be larger). Use a smaller domain")
    assert e.count == 12 and e.partial == {"lower_bound": 12, "layer": 0, "neuron": 3, "resident_bytes": 9}
    f = EnumerationLimitError.partial_count("more than max_regions=5 regions", 7, unit="regions", final=True)
    assert str(f) == "more than max_regions=5 regions: 7 regions" and f.partial == {"lower_bound": 7}
    assert isinstance(f, RuntimeError) and isinstance(f, cpa.CPAError)


def test_affine_maps_and_networks_pickle_for_process_pools():
    """Process pools and dask ship maps and networks to workers by pickle."""
    import pickle

    from cpa import Affine, ReLUNetwork

    f = Affine([[1, "2/3"], [0, -5]], ["1/7", 0])
    assert pickle.loads(pickle.dumps(f)) == f
    net = ReLUNetwork([([[1, 2]], [3]), ([[1]], ["-1/2"])])
    back = pickle.loads(pickle.dumps(net))
    assert back == net and back([1, 1]) == net([1, 1])
