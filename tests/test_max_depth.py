"""The max of n numbers with ceil(log3(n - 2)) + 1 hidden layers (Bakaev et al. 2025), proved exactly."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

import cpa
from cpa.compiler import compile_with_report
from cpa.compiler.check import spec_counterexample
from cpa.calculus import compose, parallel
from cpa.compiler.shallow_max import (MAX5_PAIRS, MAX5_TERMS, log3_bound, max5_head, shallow_max,
                                      shallow_max_depth, shallow_max_parts)
from cpa.errors import ArgumentError
from cpa.gadgets import max_tree_widths


def _identity(n: int) -> cpa.MaxAffine:
    return cpa.MaxAffine([[1 if j == i else 0 for j in range(n)] for i in range(n)], [0] * n)


def _select(subset: tuple[int, ...], n: int) -> cpa.MaxAffine:
    return cpa.MaxAffine([[1 if j == i else 0 for j in range(n)] for i in subset], [0] * len(subset))


def test_five_number_identity_pointwise() -> None:
    rng = random.Random(0)
    for _ in range(2000):
        x = [Fraction(rng.randint(-5, 5)) for _ in range(5)]
        m = {(p, q): max(x[p], x[q]) for p in range(5) for q in range(5)}
        value = sum(c * max(sum(m[pq] for pq in F), sum(m[pq] for pq in G)) for c, F, G in MAX5_TERMS)
        assert value == max(x)


@pytest.mark.parametrize("n, expected", [(4, 2), (5, 2), (6, 3), (9, 3), (11, 3), (12, 4), (26, 4), (29, 4)])
def test_log3_bound(n: int, expected: int) -> None:
    assert log3_bound(n) == expected


@pytest.mark.parametrize("n", range(4, 27))
def test_depth_meets_the_log3_bound_up_to_26(n: int) -> None:
    assert shallow_max_depth(n) == log3_bound(n) == shallow_max(n).depth


@pytest.mark.parametrize("n", [27, 28, 29])
def test_depth_one_above_the_bound_from_27(n: int) -> None:  # a known gap of this recursion
    assert shallow_max_depth(n) == log3_bound(n) + 1


@pytest.mark.parametrize("n", range(4, 9))
def test_compile_min_depth_proved_equal(n: int) -> None:
    """Region-wise proof on R^n (n = 6..8 are trees, proved by certificate)."""
    spec = _identity(n)
    net, report = compile_with_report(spec, depth="min")
    assert net.depth == log3_bound(n) == report.depth == report.theoretical["depth"]
    assert net.depth <= len(max_tree_widths(n))
    assert spec_counterexample(spec, net) is None


@pytest.mark.parametrize("n", [9, 10])
def test_min_depth_proved_by_composition(n: int) -> None:
    """A region-wise proof on R^9 takes minutes; prove the parts instead.

    ``shallow_max(n) = compose(head, parallel(atoms))`` weight for weight; each atom is
    proved equal to the max of its subset on R^n; the head composed with the pairwise
    maxima of five numbers is ``shallow_max(5)``, proved equal to the max on R^5 (the
    proof for n = 5 above; repeated here); compose and parallel are exact.
    """
    head, subsets, atoms = shallow_max_parts(n)
    net = cpa.compile(_identity(n), depth="min", simplify=False)
    assert net == compose(head, parallel(atoms))
    assert net.depth == log3_bound(n)
    for sub, atom in zip(subsets, atoms):
        assert atom.depth <= log3_bound(n) - 1
        assert spec_counterexample(_select(sub, n), atom) is None
    top, pair_subsets, pair_atoms = shallow_max_parts(5)
    assert top == head and pair_subsets == list(MAX5_PAIRS)
    assert spec_counterexample(_identity(5), compose(top, parallel(pair_atoms))) is None


def test_default_is_still_the_tree() -> None:
    net, report = compile_with_report(_identity(5))
    assert (net.depth, report.route) == (3, "max tree")
    net, report = compile_with_report(_identity(5), depth="min")
    assert net.depth == 2 and "Bakaev" in report.route


def test_affine_maps_and_check() -> None:
    A = [[1, 2], [-1, 0], [0, 3], [2, -1], [Fraction(1, 2), 1]]
    b = [0, 1, -2, Fraction(1, 3), 4]
    net = cpa.compile(cpa.MaxAffine(A, b), depth="min", check=True)
    assert net.depth == 2


@pytest.mark.parametrize("n", [12, 20, 30])
def test_larger_n_pointwise(n: int) -> None:
    rng = random.Random(n)
    net = shallow_max(n)
    for _ in range(50):
        x = [Fraction(rng.randint(-9, 9), rng.randint(1, 3)) for _ in range(n)]
        assert net(x)[0] == max(x)


def test_bad_depth_argument() -> None:
    with pytest.raises(ArgumentError):
        cpa.compile(_identity(3), depth="max")
