"""The max of n numbers with ceil(log3(n - 2)) + 1 hidden layers (Bakaev et al. 2025), proved exactly."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

import cpa
from cpa.compiler import compile_with_report
from cpa.compiler.check import spec_counterexample
from cpa.calculus import affine_network, compose, parallel
from cpa.compiler.shallow_max import (MAX5_PAIRS, MAX5_TERMS, MAX6_PAIRS, MAX6_TERMS, log3_bound, log3_half_bound, max5_head,
                                      max6_head, shallow_max, shallow_max_depth, shallow_max_parts)
from cpa.errors import ArgumentError
from cpa.gadgets import max_tree_widths


def _identity(n: int) -> cpa.MaxAffine:
    return cpa.MaxAffine([[1 if j == i else 0 for j in range(n)] for i in range(n)], [0] * n)


def _select(subset: tuple[int, ...], n: int) -> cpa.MaxAffine:
    return cpa.MaxAffine([[1 if j == i else 0 for j in range(n)] for i in subset], [0] * len(subset))


def _selection(subset: tuple[int, ...], n: int) -> cpa.ReLUNetwork:
    return affine_network([[1 if j == i else 0 for j in range(n)] for i in subset], [0] * len(subset))


@pytest.mark.parametrize("k, terms", [(5, MAX5_TERMS), (6, MAX6_TERMS)])
def test_identity_pointwise(k: int, terms: tuple) -> None:
    rng = random.Random(k)
    for _ in range(2000):
        x = [Fraction(rng.randint(-5, 5), rng.randint(1, 2)) for _ in range(k)]
        m = {(p, q): max(x[p], x[q]) for p in range(k) for q in range(k)}
        value = sum(c * max(sum(m[pq] for pq in F), sum(m[pq] for pq in G)) for c, F, G in terms)
        assert value == max(x)


# The six-number identity is proved on R^6 region by region (about 100 s) once in the suite, as a row
# of the full theorem table (tests/test_theorems.py::test_every_full_row_holds).


@pytest.mark.parametrize("n, expected", [(4, 2), (5, 2), (6, 3), (9, 3), (11, 3), (12, 4), (26, 4), (29, 4)])
def test_log3_bound(n: int, expected: int) -> None:
    assert log3_bound(n) == expected


def test_depth_is_at_most_the_log3_bound() -> None:
    """By depth arithmetic alone (nothing is built): ``ceil(log3(n/2)) + 1`` for every n up to
    20,000, at most the paper's ``ceil(log3(n-2)) + 1``, and one below it exactly for
    n = 6, 12..18, 30..54, 84..162 up to 200."""
    assert all(shallow_max_depth(n) == log3_half_bound(n) <= log3_bound(n) for n in range(4, 20001))
    below = [n for n in range(4, 201) if shallow_max_depth(n) < log3_bound(n)]
    assert below == [6, *range(12, 19), *range(30, 55), *range(84, 163)]
    assert shallow_max_depth(4096) == 8 < log3_bound(4096) == 9 < len(max_tree_widths(4096)) == 12


@pytest.mark.parametrize("n", [*range(4, 46), 83])
def test_network_depth(n: int) -> None:
    assert shallow_max(n).depth == shallow_max_depth(n) == log3_half_bound(n)


@pytest.mark.parametrize("n", [*range(10, 46), 83])
def test_induction_over_levels(n: int) -> None:
    """``shallow_max(n)`` is a proved head over exact maxima of group unions, weight for weight.

    Either the tree (proved by its certificate), or ``compose(head, parallel(atoms))`` with
    ``head`` the five- or six-number head (each proved on R^5 / R^6 above), the subsets
    exactly ``G_p u G_q`` over the head's pairs for a partition ``G_0, ..., G_{k-1}`` of the
    inputs, and every atom ``shallow_max(|sub|)`` read on ``sub`` (by induction on ``n``,
    the max of ``sub``), one layer shallower than the whole.
    """
    net = shallow_max(n)
    parts = shallow_max_parts(n)
    if parts is None:
        assert net.depth == len(max_tree_widths(n))
        assert spec_counterexample(_identity(n), net) is None
        return
    head, subsets, atoms = parts
    assert head in (max5_head(), max6_head())
    k, pairs = (5, MAX5_PAIRS) if head == max5_head() else (6, MAX6_PAIRS)
    assert len(subsets) == len(pairs)
    groups = [set.intersection(*(set(sub) for sub, pq in zip(subsets, pairs) if p in pq)) for p in range(k)]
    assert sorted(i for g in groups for i in g) == list(range(n))
    assert [set(sub) for sub in subsets] == [groups[p] | groups[q] for p, q in pairs]
    assert net == compose(head, parallel(atoms))
    for sub, atom in zip(subsets, atoms):
        assert atom == compose(shallow_max(len(sub)), _selection(sub, n))
        assert atom.depth <= net.depth - 1 and len(sub) < n


@pytest.mark.parametrize("n", range(4, 9))
def test_compile_min_depth_proved_equal(n: int) -> None:
    """Region-wise proof on R^n (n = 7, 8 are trees, proved by certificate); n = 6, the
    six-number identity in two hidden layers, is proved once in the suite, as a row of the
    full theorem table (about 100 s)."""
    spec = _identity(n)
    net, report = compile_with_report(spec, depth="min")
    assert net.depth == shallow_max_depth(n) == report.depth == report.theoretical["depth"]
    assert net.depth <= min(log3_bound(n), len(max_tree_widths(n)))
    if n != 6:
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


@pytest.mark.parametrize("n, points", [(12, 50), (20, 50), (29, 50), (83, 5)])
def test_larger_n_pointwise(n: int, points: int) -> None:
    rng = random.Random(n)
    net = shallow_max(n)
    assert net.depth == log3_half_bound(n) <= log3_bound(n)
    for _ in range(points):
        x = [Fraction(rng.randint(-9, 9), rng.randint(1, 3)) for _ in range(n)]
        assert net(x)[0] == max(x)


def test_bad_depth_argument() -> None:
    with pytest.raises(ArgumentError):
        cpa.compile(_identity(3), depth="max")
