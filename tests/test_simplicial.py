"""Finite elements: cpa.Simplicial (validation, exact evaluation) and its compile routes (cpa.compiler.fem)."""

from __future__ import annotations

import time
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cpa
from cpa.compiler import fem
from cpa.errors import ShapeError, SpecError
from cpa.network import Layer

SQUARE = [[0, 0], [1, 0], [0, 1], [1, 1]]
values = st.fractions(min_value=-5, max_value=5, max_denominator=6)


# --- validation -------------------------------------------------------------------------
@pytest.mark.parametrize("verts, simplices, vals, match", [
    ([[0, 0], [1, 0], [2, 0], [1, 1]], [[0, 1, 2], [0, 1, 3]], [0] * 4, "simplex 0 is degenerate"),
    (SQUARE, [[0, 1, 2], [0, 1, 3]], [0] * 4, "simplices 0 and 1 overlap: they lie on the same side"),
    ([[0, 0], [4, 0], [0, 4], [1, 1], [2, 1], [1, 2]], [[0, 1, 2], [3, 4, 5]], [0] * 6,
     "simplices 0 and 1 overlap"),
    (SQUARE, [[0, 1, 7]], [0] * 4, r"simplices 0 need 3 distinct vertex indices in 0..3"),
    (SQUARE, [[0, 1, 1]], [0] * 4, "need 3 distinct vertex indices"),
    ([[0, 0], [1, 0], [0, 1], [1, -1], [1, 1]], [[0, 1, 2], [0, 1, 3], [0, 1, 4]], [0] * 5,
     "share the facet"),
])
def test_invalid_meshes_are_named(verts, simplices, vals, match):
    with pytest.raises(SpecError, match=match):
        cpa.Simplicial(verts, simplices, vals)


def test_wrong_value_count():
    with pytest.raises(ShapeError, match="4 vertices but 3 values"):
        cpa.Simplicial(SQUARE, [[0, 1, 3], [0, 3, 2]], [1, 2, 3])


def test_overlap_in_a_nonconvex_mesh():
    # an L-shaped mesh, then a triangle laid across the notch's neighbour
    V = [[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1], [0, 2], [1, 2], ["3/2", "1/2"]]
    S = [[0, 1, 4], [0, 4, 3], [1, 2, 5], [1, 5, 4], [3, 4, 7], [3, 7, 6]]
    L = cpa.Simplicial(V, S, [0] * 9)
    assert L.domain is None and not L.convex
    with pytest.raises(SpecError, match="overlap"):
        cpa.Simplicial(V, S + [[4, 8, 7]], [0] * 9)


# --- evaluation -------------------------------------------------------------------------
def test_exact_evaluation_and_domain():
    f = cpa.Simplicial(SQUARE, [[0, 1, 3], [0, 3, 2]], [0, 1, 2, 4])
    assert [f(v) for v in SQUARE] == [0, 1, 2, 4]
    assert f(["1/2", "1/4"]) == F(5, 4)          # (1/4) f(0,0) + (1/4) f(1,0) + (1/2) f(1,1)
    assert f.domain == cpa.Box([0, 0], [1, 1])
    with pytest.raises(SpecError, match="outside the mesh"):
        f([2, 0])


@given(st.lists(values, min_size=16, max_size=16), st.fractions(0, 1), st.fractions(0, 1))
@settings(max_examples=20, deadline=None)
def test_grid_evaluation_is_barycentric(vals, x, y):
    f = cpa.Simplicial.grid(3, values=vals)
    t = f.locate((x, y))
    s = f.simplices[t]
    lam = f.barycentric(t)
    assert sum(l[0][0] * x + l[0][1] * y + l[1] for l in lam) == 1
    assert f((x, y)) == sum(f.values[i] * (l[0][0] * x + l[0][1] * y + l[1]) for i, l in zip(s, lam))


def test_grid_sizes():
    assert len(cpa.Simplicial.grid(4).simplices) == 32
    g3 = cpa.Simplicial.grid(2, d=3)
    assert (len(g3.vertices), len(g3.simplices), g3.domain) == (27, 48, cpa.Box([0] * 3, [1] * 3))


# --- every route, proved ---------------------------------------------------------------------
def _all_routes_proved(spec: cpa.Simplicial) -> dict:
    built = {}
    for name, r in fem.fem_routes(spec).items():
        if isinstance(r, str):
            continue
        for net in r:
            assert fem.simplicial_counterexample(spec, net) is None, name
        built[name] = r[1]
    return built


@given(st.integers(2, 4).flatmap(lambda k: st.tuples(st.just(k), st.lists(values, min_size=(k + 1) ** 2,
                                                                           max_size=(k + 1) ** 2))))
@settings(max_examples=6, deadline=None)
def test_grids_compile_by_every_route(args):
    k, vals = args
    spec = cpa.Simplicial.grid(k, values=vals)
    built = _all_routes_proved(spec)
    hats = built["sum of hat functions (He et al. 2020)"]
    assert hats.depth <= 2
    assert "difference of convex (Kripfganz-Schulze 1987)" in built


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_triangulations_compile_by_every_route(seed):
    spec = cpa.Simplicial.random(2, seed=seed)
    assert len(_all_routes_proved(spec)) == 3
    net, rep = cpa.compile_with_report(spec, check=True)
    assert rep.checked and rep.neurons == min(r["neurons"] for r in rep.theoretical["routes"].values()
                                              if isinstance(r, dict))


def test_random_triangulation_3x3_hats():
    spec = cpa.Simplicial.random(3, seed=5)
    kinds = fem.hat_promise(spec)["hats"]
    assert kinds["min"] + kinds["lattice"] > 0          # non-convex or asymmetric stars occur
    net = fem.hat_sum_network(spec)
    assert fem.simplicial_counterexample(spec, net) is None


def test_kuhn_grid_in_3d():
    spec = cpa.Simplicial.grid(2, d=3, values=lambda p: p[0] - 2 * p[1] * p[2] + 1)
    assert len(_all_routes_proved(spec)) == 3


def test_nonconvex_mesh_interior_vertex():
    # the 4x4 grid without its upper right quarter; (1/4, 1/4) and (1/4, 3/4) are interior vertices
    base = cpa.Simplicial.grid(4)
    keep = [s for s in base.simplices if not all(base.vertices[i][0] >= F(1, 2) and base.vertices[i][1] >= F(1, 2)
                                                 for i in s)]
    vals = [{(F(1, 4), F(1, 4)): 1, (F(1, 4), F(3, 4)): 2}.get(v, 0) for v in base.vertices]
    spec = cpa.Simplicial(base.vertices, keep, vals)
    assert not spec.convex
    net, rep = cpa.compile_with_report(spec, check=True)
    assert rep.checked
    with pytest.raises(SpecError, match="no hat form for boundary vertex"):
        fem.hat_sum_network(cpa.Simplicial(base.vertices, keep, [1] * 25))


def test_a_wrong_network_is_caught():
    spec = cpa.Simplicial.grid(2, values=range(9))
    net = cpa.compile(spec)
    layers = list(net.affine_layers)
    layers[-1] = Layer(layers[-1].W, tuple(v + F(1, 1000) for v in layers[-1].b))
    bad = cpa.ReLUNetwork(layers)
    x = fem.simplicial_counterexample(spec, bad)
    assert x is not None and bad(x)[0] != spec(x)


def test_depth_min_takes_the_shallowest():
    spec = cpa.Simplicial.grid(2, d=3, values=lambda p: p[0] - 2 * p[1] * p[2] + 1)
    small = cpa.compile(spec)
    shallow = cpa.compile(spec, depth="min")
    sizes = [r for r in fem.route_sizes(spec).values() if isinstance(r, dict)]
    assert shallow.depth == min(r["depth"] for r in sizes)
    assert small.num_neurons == min(r["neurons"] for r in sizes)


# --- acceptance (issue 14): the 8x8 interpolant in 2 hidden layers and 143 neurons, proved -------
def _acceptance_values(p):
    x, y = p
    return 1 + x * y - F(1, 3) * y + F(1, 7) * x * x


def test_eight_by_eight_acceptance():
    spec = cpa.Simplicial.grid(8, values=_acceptance_values)
    t0 = time.perf_counter()
    net, rep = cpa.compile_with_report(spec, check=True)
    seconds = time.perf_counter() - t0
    assert rep.checked and rep.route.startswith("finite elements")
    assert (rep.depth, rep.neurons) == (2, 143)          # 2 x 31 first-layer kinks + 81 hats
    assert rep.depth <= 4 and rep.neurons < 1000 and seconds < 10


# --- JSON specs and the command line -------------------------------------------------------
def _grid_doc(k: int = 2) -> dict:
    from cpa.spec_io import spec_to_dict

    return spec_to_dict(cpa.Simplicial.grid(k, values=lambda p: p[0] * p[1] - p[1] / 3 + F(1, 7)))


def test_json_round_trip():
    from cpa.spec_io import spec_from_dict, spec_to_dict

    doc = _grid_doc(3)
    assert doc["type"] == "simplicial" and doc["values"][1] == "2/63" and doc["simplices"][0] == [0, 4, 5]
    spec = spec_from_dict(doc)
    assert isinstance(spec, cpa.Simplicial) and spec.domain == cpa.Box([0, 0], [1, 1])
    assert spec_to_dict(spec) == doc
    assert spec([F(1, 2), F(1, 5)]) == cpa.Simplicial.grid(3, values=lambda p: p[0] * p[1] - p[1] / 3 + F(1, 7))(
        [F(1, 2), F(1, 5)])


_SQ = {"vertices": [["0", "0"], ["1", "0"], ["0", "1"], ["1", "1"]], "simplices": [[0, 1, 3], [0, 3, 2]],
       "values": ["0", "1", "2", "4"]}


@pytest.mark.parametrize("change, error, message", [
    ({"values": None}, "FormatError", "spec: a simplicial spec needs the field 'values'"),
    ({"simplices": [[0, 1, 3], [0, 3]]}, "FormatError",
     "spec.simplices[1]: expected 3 vertex indices (a simplex in R^2), got 2"),
    ({"simplices": [[0, 1, 3], [0, 3, 9]]}, "FormatError", "spec.simplices[1][2]: vertex index 9 is not in 0..3"),
    ({"simplices": [[0, 1, 3], [0, 3, 2.0]]}, "FormatError",
     "spec.simplices[1][2]: expected a vertex index (an integer), got a number"),
    ({"vertices": [["0", "0"], ["1", "0"], ["2", "0"], ["1", "1"]], "simplices": [[0, 1, 2], [0, 1, 3]]}, "SpecError",
     "spec.simplices: simplex 0 is degenerate: the 3 vertices lie in one hyperplane"),
    ({"vertices": [["0", "0"], ["1", "0"], ["0"], ["1", "1"]]}, "FormatError",
     "spec.vertices[2]: expected 2 coordinates (as vertices[0]), got 1"),
    ({"values": ["0", "1", "2"]}, "FormatError", "spec.values: expected 4 values (one per vertex), got 3"),
    ({"values": ["0", "1", "2", 0.5]}, "FormatError", "spec.values[3]"),
])
def test_bad_documents_refused_in_one_line(tmp_path, change, error, message):
    import json

    from cpa.spec_io import load_spec

    doc = {"type": "simplicial", **{k: v for k, v in {**_SQ, **change}.items() if v is not None}}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(cpa.CPAError) as info:
        load_spec(path)
    text = str(info.value)
    assert type(info.value).__name__ == error and message in text and "\n" not in text


def test_cli_compiles_a_kuhn_grid_file_and_proves_it(tmp_path, capsys):
    import json

    from cpa.cli import main

    path = tmp_path / "grid.json"
    path.write_text(json.dumps(_grid_doc(3)))
    assert main(["compile", str(path), "--check", "--weights", "none"]) == 0
    out = capsys.readouterr().out
    assert "Simplicial(16 vertices, 18 simplices in R^2, convex)" in out and "proved equal to the spec" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "simplicial", **_SQ, "simplices": [[0, 1, 3], [0, 3]]}))
    assert main(["compile", str(bad)]) != 0
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "simplices[1]: expected 3 vertex indices" in err


def test_a_mesh_of_an_interval_compiles_to_one_hidden_layer():
    """d = 1: every mesh vertex a breakpoint, one hidden layer (Arora et al. 2018, Thm 2.2), proved
    on the mesh; a mesh with a gap has no route that covers it and says why."""
    from fractions import Fraction as F

    import cpa
    from cpa.errors import SpecError

    s = cpa.Simplicial([[0], [F(1, 3)], [1], [2]], [[1, 2], [0, 1], [2, 3]], [1, 2, 0, 5])
    net, rep = cpa.compile_with_report(s, check=True)
    assert (net.depth, net.num_neurons, rep.checked) == (1, 3, True)
    assert all(net((x,))[0] == s((x,)) for x in (F(0), F(1, 6), F(1, 3), F(1, 2), F(1), F(7, 4), F(2)))
    mesh = cpa.Simplicial.grid(12, values=lambda v: (v[0] * 7) % 3, d=1)
    net, rep = cpa.compile_with_report(mesh, check=True)
    assert net.depth == 1 and net.num_neurons <= 12 and rep.checked
    gap = cpa.Simplicial([[0], [1], [2], [3]], [[0, 1], [2, 3]], [1, 2, 0, 5])
    with pytest.raises(SpecError, match="cover an interval without gaps"):
        cpa.compile(gap)
