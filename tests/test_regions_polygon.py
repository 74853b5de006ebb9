"""The 2-D polygon-splitting engine against the general vertex engine, and on degenerate nets."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructions.reference_nets import reference_domain, reference_network
from cpa import ReLUNetwork
from cpa.domains import Box, Polyhedron, Reals
from cpa.errors import DomainError, EnumerationLimitError, ShapeError
from cpa.regions import count_regions, regions

from test_regions import montufar_2_44
from test_regions_property import small_networks

H = Fraction(1, 2)
DOMAINS = {
    "box": Box([-1, -1], [1, 2]),
    "reals": Reals(2),
    "triangle": Polyhedron([[-1, 0], [0, -1], [1, 1]], [1, 1, 1]),
    "wedge": Polyhedron([[-1, 0], [1, -2]], [0, 1]),          # unbounded polyhedron
}


def by_pattern(cx):
    """pattern -> (affine map, bounded, sorted finite vertices, volume or None)."""
    return {r.pattern: (r.affine_map, r.is_bounded, tuple(sorted(r.vertices())),
                        r.volume() if r.is_bounded else None) for r in cx}


def graph_by_pattern(cx):
    return {frozenset((cx[a].pattern, cx[b].pattern)) for a, b in cx.graph.edges}


def assert_same_complex(a, b):
    assert len(a) == len(b)
    assert by_pattern(a) == by_pattern(b)
    assert graph_by_pattern(a) == graph_by_pattern(b)
    assert a.num_pieces == b.num_pieces
    assert a.num_bounded == b.num_bounded


@pytest.mark.parametrize("name,count", [("R2", 131), ("R3", 1030)])
def test_reference_networks(name, count):
    net, dom = reference_network(name), reference_domain(name)
    p = regions(net, dom, method="polygon")
    assert len(p) == count
    assert p.total_volume() == dom.volume()
    assert_same_complex(p, regions(net, dom, method="vertex"))


def test_reference_R2_certificates_and_plane():
    net = reference_network("R2")
    p = regions(net, Reals(2), method="polygon")
    assert p.certify()
    assert_same_complex(p, regions(net, Reals(2), method="vertex"))


@settings(max_examples=40, deadline=None)
@given(small_networks(2, max_layers=3, max_width=3), st.sampled_from(sorted(DOMAINS)))
def test_polygon_agrees_with_vertex(net, kind):
    dom = DOMAINS[kind]
    p = regions(net, dom, method="polygon")
    assert_same_complex(p, regions(net, dom, method="vertex"))
    assert all(r.certify() for r in p)
    if dom.is_bounded:
        assert p.total_volume() == dom.volume()


def test_montufar_2_4_4():
    net = montufar_2_44()
    c = count_regions(net, Box([0, 0], [1, 1]), method="polygon")
    assert (c.activation_regions, c.affine_pieces) == (44, 44)
    r = count_regions(net, method="polygon")
    assert (r.activation_regions, r.affine_pieces) == (59, 59)


def test_degenerate_lines():
    # corner touch, line through two corners, line along a facet, duplicated and zero rows
    net = ReLUNetwork([([[1, 1], [1, -1], [1, 0], [1, -1], [0, 0], [-2, 2]], [-2, 0, 0, 0, 1, 0]),
                       ([[1, 1, 1, 1, 1, 1]], [0])])
    cx = regions(net, Box([0, 0], [1, 1]), method="polygon")
    assert len(cx) == 2 and [r.volume() for r in cx] == [H, H]
    for r in cx:
        assert len(r.hrep[0]) == 3           # triangles: the facet x = 0 is counted once
        assert r.certify()


def test_errors_and_limits():
    net = reference_network("R2")
    with pytest.raises(ShapeError, match="needs a network with 2 inputs, got 3"):
        regions(reference_network("R4"), method="polygon")
    with pytest.raises(DomainError, match="empty"):
        regions(net, Polyhedron([[1, 0], [-1, 0]], [0, -1], dim=2), method="polygon")
    with pytest.raises(EnumerationLimitError) as e:
        regions(net, Box([-1, -1], [1, 1]), method="polygon", max_regions=20)
    assert e.value.count > 20
