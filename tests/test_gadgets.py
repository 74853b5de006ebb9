"""The seed identities, each checked exactly on a grid of rationals (including the kinks)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from cpa import gadgets
from cpa.errors import ArgumentError, ArgumentTypeError, InvalidNumberError

GRID = [Fraction(i, 4) for i in range(-12, 13)]


def relu(t):
    return max(t, Fraction(0))


def test_identity_is_relu_x_minus_relu_minus_x():
    net = gadgets.relu_identity()
    assert all(net([x])[0] == relu(x) - relu(-x) == x for x in GRID) and net.num_neurons == 2
    net3 = gadgets.relu_identity(3)
    assert net3.widths == (6,) and net3([1, Fraction(-2, 3), 0]) == (1, Fraction(-2, 3), 0)


def test_abs():
    net = gadgets.abs_1d()
    assert all(net([x])[0] == abs(x) for x in GRID) and net.num_neurons == 2


def test_max2_three_neuron_form():
    net = gadgets.max2()
    assert net.num_neurons == 3
    assert net.layers[0][0] == ((1, -1), (0, 1), (0, -1)) and net.layers[1][0] == ((1, 1, -1),)
    assert all(net([u, v])[0] == max(u, v) == relu(u - v) + relu(v) - relu(-v) for u in GRID for v in GRID[::3])


def test_min2():
    net = gadgets.min2()
    assert net.num_neurons == 3
    assert all(net([u, v])[0] == min(u, v) for u in GRID for v in GRID[::3])


@pytest.mark.parametrize("M", range(1, 10))
def test_max_and_min_of_m(M):
    data = [[Fraction((7 * i + 3 * s) % 11 - 5, 1 + s % 3) for i in range(M)] for s in range(15)]
    mx, mn = gadgets.max_of(M), gadgets.min_of(M)
    for x in data:
        assert mx(x)[0] == max(x) and mn(x)[0] == min(x)


def test_hat():
    net = gadgets.hat_1d(0, Fraction(1, 2), 2)
    def phi(x):
        if x <= 0 or x >= 2:
            return Fraction(0)
        return x / Fraction(1, 2) if x <= Fraction(1, 2) else (2 - x) / Fraction(3, 2)
    assert all(net([x])[0] == phi(x) for x in GRID) and net.num_neurons == 3


def test_hat_relu_form():
    # relu(x-1) - 2 relu(x) + relu(x+1) is the hat with nodes -1, 0, 1 (peak value 1 at 0)
    net = gadgets.hat_1d(-1, 0, 1)
    assert all(net([x])[0] == relu(x - 1) - 2 * relu(x) + relu(x + 1) for x in GRID)


def test_soft_threshold():
    lam = Fraction(1, 2)
    net = gadgets.soft_threshold(lam)
    def s(x):
        return x - lam if x > lam else (x + lam if x < -lam else Fraction(0))
    assert all(net([x])[0] == s(x) == relu(x - lam) - relu(-x - lam) for x in GRID)


def test_clipped_ramp():
    net = gadgets.clipped_ramp()
    assert all(net([x])[0] == min(max(x, Fraction(0)), Fraction(1)) == relu(x) - relu(x - 1) for x in GRID)


def test_bad_hat_nodes():
    with pytest.raises(ArgumentError, match="a < b < c"):
        gadgets.hat_1d(1, 0, 2)


@pytest.mark.parametrize("make, err, word", [
    (lambda: gadgets.soft_threshold(-1), ArgumentError, "lam >= 0"),
    (lambda: gadgets.soft_threshold(float("nan")), InvalidNumberError, "lam"),
    (lambda: gadgets.relu_identity(0), ArgumentError, "d must be >= 1"),
    (lambda: gadgets.relu_identity(True), ArgumentTypeError, "integer"),
    (lambda: gadgets.max_of(0), ArgumentError, "M must be >= 1"),
    (lambda: gadgets.min_of(1.5), ArgumentTypeError, "integer"),
])
def test_bad_arguments(make, err, word):
    with pytest.raises(err, match=word):
        make()
