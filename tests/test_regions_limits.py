"""Limits of long enumerations: the memory budget, and chunked facet-edge tests in high dimension."""

from __future__ import annotations

import importlib

import pytest
from hypothesis import given, settings

import cpa
from constructions.reference_nets import reference_domain, reference_network
from cpa.errors import EnumerationLimitError
from cpa.io import to_json
from test_regions_property import small_networks

vertex = importlib.import_module("cpa.regions._vertex")


def test_memory_budget_stops_with_partial_count():
    net, dom = reference_network("R5"), reference_domain("R5")
    with pytest.raises(EnumerationLimitError, match=r"memory budget reached: .* after neuron 0 of hidden layer 0") as e:
        cpa.count_regions(net, dom, max_memory=1)
    assert e.value.count == 2 and e.value.partial["resident_bytes"] > 1


def test_cli_memory_budget_exits_3(tmp_path, capsys):
    from cpa.cli import main

    path = tmp_path / "r4.json"
    to_json(reference_network("R4"), str(path))
    assert main(["regions", str(path), "--box", "-1", "1", "--max-memory", "0.000001"]) == 3
    err = capsys.readouterr().err
    assert "memory budget reached" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name,domain", [("R3", None), ("R4", None), ("R4", "box")])
def test_chunked_face_edges_give_the_same_complex(monkeypatch, name, domain):
    net = reference_network(name)
    dom = reference_domain(name) if domain else None
    whole = cpa.regions(net, dom)
    monkeypatch.setattr(vertex, "_CHUNK", 29)      # every facet-edge computation in many slices
    chunked = cpa.regions(net, dom)
    assert chunked.counts() == whole.counts()
    assert sorted(r.pattern for r in chunked) == sorted(r.pattern for r in whole)
    assert chunked.graph.number_of_edges() == whole.graph.number_of_edges()


@settings(max_examples=30, deadline=None)
@given(small_networks(2, max_layers=3, max_width=3))
def test_last_layer_maps_row_by_row_agree(net):
    """The last hidden layer's maps formed row by row (wide layers) or in one batch: same complex."""
    dom = cpa.Box([-1, -1], [1, 2])
    batch = cpa.regions(net, dom)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vertex, "_ROW_BY_ROW_MIN", 0)
        rows = cpa.regions(net, dom)
    assert rows.counts() == batch.counts()
    assert {r.pattern: r.affine_map for r in rows} == {r.pattern: r.affine_map for r in batch}
    assert all(r.certify() for r in rows)


def test_a_box_in_high_dimension_is_refused_at_once_by_the_vertex_engine():
    """A box in R^784 has 2^784 corners: the vertex engine (a complex) says so in one line instead
    of hanging, and the count (the LP engine, pieces included) answers."""
    import time

    import numpy as np

    import cpa

    rng = np.random.default_rng(0)
    net = cpa.ReLUNetwork([(rng.integers(-3, 4, size=(5, 784)).tolist(), [0] * 5), ([[1] * 5], [0])])
    box = cpa.Box([-1] * 784, [1] * 784)
    t0 = time.perf_counter()
    with pytest.raises(cpa.EnumerationLimitError, match=r"2\^784 corners") as e:
        cpa.regions(net, box)
    assert "\n" not in str(e.value) and time.perf_counter() - t0 < 5
    c = cpa.count_regions(net, box)
    ref = cpa.count_regions(net, box, method="lp", pieces=False)
    assert c.method == "lp" and c.activation_regions == ref.activation_regions >= c.affine_pieces >= 1
    small = cpa.Box([-1] * 40, [1] * 40)
    with pytest.raises(cpa.EnumerationLimitError, match="2\\^40 corners"):
        cpa.regions(cpa.ReLUNetwork([([[1] * 40], [0]), ([[1]], [0])]), small, method="vertex", max_memory=10**9)
