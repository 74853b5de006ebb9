"""Counting by first-layer cells (serial, process pool, any executor) gives the serial counts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cpa
from constructions.reference_nets import reference_network
from cpa.domains import Box, Polyhedron, Reals

from test_regions_property import small_networks

DOMAINS = {
    "box": Box([-1, -1], [1, 2]),
    "reals": Reals(2),
    "triangle": Polyhedron([[-1, 0], [0, -1], [1, 1]], [1, 1, 1]),
    "wedge": Polyhedron([[-1, 0], [1, -2]], [0, 1]),
}


@settings(max_examples=40, deadline=None)
@given(small_networks(2, max_layers=3, max_width=4), st.sampled_from(sorted(DOMAINS)))
def test_split_counts_equal_serial_2d(net, kind):
    dom = DOMAINS[kind]
    assert cpa.count_regions(net, dom, workers=1).as_dict() | {"method": ""} == \
        cpa.count_regions(net, dom).as_dict() | {"method": ""}


@settings(max_examples=15, deadline=None)
@given(small_networks(3, max_layers=2, max_width=4), st.booleans())
def test_split_counts_equal_serial_3d(net, bounded):
    dom = Box([-1, -1, -1], [1, 1, 2]) if bounded else Reals(3)
    a, b = cpa.count_regions(net, dom, workers=1), cpa.count_regions(net, dom)
    assert (a.activation_regions, a.affine_pieces, a.bounded_regions) == \
        (b.activation_regions, b.affine_pieces, b.bounded_regions)


def test_split_on_reference_network_with_pieces_joined_across_cells():
    net = reference_network("R4")                  # 1015 regions, 1005 pieces, 665 bounded on R^3
    serial = cpa.count_regions(net)
    assert (serial.activation_regions, serial.affine_pieces, serial.bounded_regions) == (1015, 1005, 665)
    pool = cpa.count_regions(net, workers=2)
    with ThreadPoolExecutor(3) as ex:
        threads = cpa.count_regions(net, executor=ex)
    for c in (pool, threads):
        assert (c.activation_regions, c.affine_pieces, c.bounded_regions) == (1015, 1005, 665)
        assert c.method == "vertex, by first-layer cells"


def test_workers_must_be_positive():
    with pytest.raises(ValueError, match="workers"):
        cpa.count_regions(reference_network("R2"), workers=0)


def test_split_joins_pieces_across_a_duplicated_first_layer_neuron():
    # relu(x) - relu(x) + relu(y) = relu(y): 4 regions, 2 pieces joined across x = 0
    net = cpa.ReLUNetwork([([[1, 0], [1, 0], [0, 1]], [0, 0, 0]), ([[1, -1, 1]], [0])])
    for dom in (Box([-1, -1], [1, 1]), None):
        for kw in ({}, {"workers": 1}):
            c = cpa.count_regions(net, dom, **kw)
            assert (c.activation_regions, c.affine_pieces) == (4, 2)
