"""General CPA by pieces: exact validation (cover, overlap, continuity) and the lattice compile route."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings

import cpa
from cpa.domains import Box
from verify import equivalent

from strategies import expressions, networks

PYRAMID = [([[1, -1], [-1, -1]], [0, 0], [0, -1], 1), ([[-1, 1], [1, 1]], [0, 0], [0, 1], 1),
           ([[-1, 1], [-1, -1]], [0, 0], [-1, 0], 1), ([[1, -1], [1, 1]], [0, 0], [1, 0], 1)]


def test_pyramid_compiles_and_is_proved_equal():
    spec = cpa.Pieces(PYRAMID, Box([-1, -1], [1, 1]))
    net, report = cpa.compile_with_report(spec, check=True)
    assert report.checked and net.depth == 2
    assert net([Fraction(1, 3), Fraction(-1, 2)]) == (Fraction(1, 2),)


def test_abs_on_the_line():
    spec = cpa.Pieces([([[1]], [0], [-1], 0), ([[-1]], [0], [1], 0)])
    net = cpa.compile(spec, check=True)
    assert [net([x])[0] for x in (-2, 0, 3)] == [2, 0, 3]


def test_discontinuity_names_the_boundary_and_a_point():
    with pytest.raises(cpa.DiscontinuousSpecError,
                       match=r"boundary \{1\*x1 = 0\} between pieces 0 and 1 at x = \(0\): piece 0 gives 0, piece 1 gives 1"):
        cpa.Pieces([([[1]], [0], [-1], 0), ([[-1]], [0], [1], 1)])


def test_discontinuity_in_the_plane():
    bad = list(PYRAMID)
    bad[3] = ([[1, -1], [1, 1]], [0, 0], [1, 0], 2)
    with pytest.raises(cpa.DiscontinuousSpecError, match="between pieces"):
        cpa.Pieces(bad, Box([-1, -1], [1, 1]))


def test_gap_and_overlap_and_empty_piece():
    with pytest.raises(cpa.SpecError, match="do not cover the domain: no piece contains x = \\(1/2\\)"):
        cpa.Pieces([([[1]], [0], [-1], 0), ([[-1]], [-1], [1], 1)])
    with pytest.raises(cpa.SpecError, match="pieces 0 and 1 overlap"):
        cpa.Pieces([([[1]], [1], [-1], 0), ([[-1]], [0], [1], 0)])
    with pytest.raises(cpa.SpecError, match="piece 1 does not have interior"):
        cpa.Pieces([([[1]], [0], [-1], 0), ([[-1], [1]], [0, -1], [1], 0)])


@settings(max_examples=25)
@given(networks(d=2, max_depth=2, max_width=3))
def test_network_to_pieces_to_network_round_trip(net):
    box = Box([-2, -2], [2, 2])
    spec = cpa.Pieces.from_network(net, box, validate=True)
    back = cpa.compile(spec)
    assert equivalent(back, net, box)


@settings(max_examples=25)
@given(expressions(("x",), depth=3))
def test_univariate_pieces_round_trip(text):
    f = cpa.compile(text, variables="x")
    spec = cpa.Pieces.from_network(f, None, validate=True)
    assert equivalent(cpa.compile(spec), f)
