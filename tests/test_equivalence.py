"""Exact equivalence: proofs of equality, exact counterexamples, and compile(check=True)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings

import cpa
from cpa.domains import Box
from cpa.equivalence import equivalent as network_equivalent
from verify import equivalent

from strategies import breakpoints_1d, expressions, max_affine


def test_core_equivalence_takes_networks_and_verify_takes_specs_too():
    net = cpa.compile("Max(x, 0)")
    assert network_equivalent(net, net) and equivalent(net, "Max(x, 0)")
    with pytest.raises(cpa.CPAError, match="use verify.equivalent"):
        network_equivalent(net, "Max(x, 0)")


def test_equal_on_box_but_not_on_plane():
    f, g = "Max(x, y)", "Max(x, y) + Min(0, 5 - x)"
    assert equivalent(f, g, Box([0, 0], [1, 1]))
    res = equivalent(f, g)
    assert not res and res.counterexample[0] > 5


@pytest.mark.parametrize("bump, dom", [
    ("x + Max(0, 1/1000 - Abs(x - 1/3))", Box([-1], [1])),
    ("x + Max(0, 1/1000 - Abs(x - 1/3) - Abs(y - 2/7))", Box([-1, -1], [1, 1])),
])
def test_tiny_bump_is_found_exactly(bump, dom):
    names = "x" if dom.dim == 1 else "x,y"
    f = cpa.compile("x", variables=names)
    g = cpa.compile(bump, variables=names)
    res = equivalent(f, g, dom)
    assert not res
    x = res.counterexample
    assert f(x) != g(x) and dom.contains(x)


def test_multi_output_difference():
    f = cpa.ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, -1], [1, 1]], [0, 0])])  # (x, |x|)
    g = cpa.ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, -1], [1, 1]], [0, 0])])
    assert equivalent(f, g)
    h = cpa.ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, -1], [1, 0]], [0, 0])])  # (x, relu(x))
    res = equivalent(f, h)
    assert not res and res.counterexample[0] < 0


def test_shape_mismatch_is_reported():
    with pytest.raises(cpa.ShapeError, match="f takes 1 inputs, g takes 2"):
        equivalent(cpa.compile("x"), cpa.compile("x + y"))


@settings(max_examples=30)
@given(max_affine(d=2, max_maps=5))
def test_compile_check_max_affine(spec):
    assert cpa.compile_with_report(spec, check=True)[1].checked


@settings(max_examples=30)
@given(breakpoints_1d())
def test_compile_check_breakpoints(spec):
    assert cpa.compile_with_report(spec, check=True)[1].checked


@settings(max_examples=30)
@given(expressions(("x", "y"), depth=2))
def test_compile_check_expressions(text):
    assert cpa.compile_with_report(cpa.parse(text, "x,y"), check=True)[1].checked


def test_check_catches_a_wrong_network(monkeypatch):
    import sys

    pipeline = sys.modules["cpa.compiler.compile"]

    real = pipeline.shrink

    def broken(net):
        out = real(net)
        W, b = out.layers[-1]
        return cpa.ReLUNetwork([*out.layers[:-1], (W, [b[0] + Fraction(1, 7)])])

    monkeypatch.setattr(pipeline, "shrink", broken)
    with pytest.raises(cpa.NotEquivalentError, match="differs from the spec at x ="):
        cpa.compile("Max(x, y, 0)", variables="x,y", check=True)
