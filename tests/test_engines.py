"""Every engine of the table (cpa.regions.engines.ENGINES) gives the same complex, through the public API.

Same patterns, exact maps, bounded counts, affine pieces, adjacency graph and volumes, and the
complete certificate holds, on boxes, polytopes and all of R^d, for random and degenerate networks.
"""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cpa
from cpa.domains import Box, Polyhedron, Reals
from cpa.regions import count_regions, regions
from cpa.regions.engines import ENGINES, engine_for

from test_regions_property import small_networks


def _engines_for(d: int) -> list[str]:
    return [name for name, e in ENGINES.items() if e.serves(d)]


def _same(a, b) -> None:
    assert sorted(r.pattern for r in a) == sorted(r.pattern for r in b)
    assert {r.pattern: r.affine_map for r in a} == {r.pattern: r.affine_map for r in b}
    assert (a.num_bounded, a.num_pieces) == (b.num_bounded, b.num_pieces)
    ia = {r.index: r.pattern for r in a}
    ib = {r.index: r.pattern for r in b}
    ea = {frozenset((ia[i], ia[j])) for i, j in a.graph.edges}
    eb = {frozenset((ib[i], ib[j])) for i, j in b.graph.edges}
    assert ea == eb
    assert sorted(map(sorted, ({ia[i] for i in p} for p in a.pieces))) == \
        sorted(map(sorted, ({ib[i] for i in p} for p in b.pieces)))


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 3).flatmap(lambda d: st.tuples(st.just(d), small_networks(d, max_layers=2, max_width=3))),
       st.sampled_from(["box", "reals", "polytope"]))
def test_every_engine_gives_the_same_complex(d_net, kind):
    d, net = d_net
    dom = {"box": Box([-1] * d, [2] * d), "reals": Reals(d),
           "polytope": Polyhedron([[-1] + [0] * (d - 1), [1] * d], [1, 1])}[kind]
    ref = regions(net, dom, method="vertex")
    for name in _engines_for(d):
        cx = regions(net, dom, method=name)
        assert cx.method == name
        _same(cx, ref)
        if kind == "box":
            assert cx.total_volume() == dom.volume()
    cert = regions(net, dom, method="lp").certificate()
    assert cert.ok, cert.reason


def test_lp_engine_on_degenerate_constructions():
    from constructions import montufar, sawtooth

    for net, dom in ((sawtooth(4), Box([0], [1])), (montufar(2, (3, 3)), Box([0, 0], [1, 1]))):
        a, b = regions(net, dom, method="lp"), regions(net, dom, method="vertex")
        _same(a, b)
        assert a.certify()


def test_lp_counts_without_pieces_in_bounded_memory():
    from constructions.reference_nets import reference_domain, reference_network

    net, dom = reference_network("R4"), reference_domain("R4")
    c = count_regions(net, dom, method="lp", pieces=False)
    assert (c.activation_regions, c.affine_pieces, c.bounded_regions) == (782, None, 782)
    assert count_regions(net, dom, method="lp").affine_pieces == 774
    with pytest.raises(cpa.EnumerationLimitError):
        count_regions(net, dom, method="lp", pieces=False, max_regions=100)


def test_engine_table_rows():
    assert engine_for("auto", 1).name == "line" and engine_for("auto", 5).name == "vertex"
    assert engine_for("auto", 8, complex=False).name == "lp" and engine_for("auto", 784, complex=False).name == "lp"
    assert engine_for("auto", 8).name == "vertex"
    assert {"line", "polygon", "vertex", "lp"} <= set(ENGINES)
    with pytest.raises(cpa.ShapeError, match="needs a network with 2 inputs"):
        regions(cpa.ReLUNetwork([([[1]], [0])]), method="polygon")
    with pytest.raises(cpa.CPAError, match="method must be one of"):
        regions(cpa.ReLUNetwork([([[1]], [0])]), method="simplex")
    assert nx.is_connected(regions(cpa.ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])]), method="lp").graph)


def test_cli_method_lp(capsys):
    import json

    from cpa.cli import main

    assert main(["regions", "sample:R4", "--box", "-1", "1", "--method", "lp", "--no-pieces", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["activation_regions"] == 782 and doc["affine_pieces"] is None
    assert main(["regions", "sample:R2", "--method", "lp", "--certify", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["certified"] == doc["activation_regions"] == 152 and doc["certificate"] == "complete"
    assert main(["regions", "sample:R2", "--method", "vertex", "--no-pieces"]) == 2


def test_auto_counts_a_box_in_r784_without_its_corners():
    import numpy as np

    rng = np.random.default_rng(0)
    net = cpa.ReLUNetwork([(rng.standard_normal((4, 784)).astype(np.float32), np.zeros(4)),
                           (rng.standard_normal((1, 4)), [0])])
    box = Box([-1] * 784, [1] * 784)
    c = count_regions(net, box, pieces=False)
    assert (c.method, c.activation_regions) == ("lp", 16)   # 4 hyperplanes through 0 in general position
    assert count_regions(net, box, method="lp").affine_pieces == 16


def test_iter_regions_streams_certified_regions():
    from cpa.regions.certificate import CertificateBuilder, certify_region
    from constructions.reference_nets import reference_domain, reference_network

    net, dom = reference_network("R4"), reference_domain("R4")
    it = cpa.iter_regions(net, dom)
    first = next(it)                                   # a region before the search has ended
    assert certify_region(net, dom, first.pattern, first.witness, first.hrep, first.affine_map, first.bounded) is None
    builder = CertificateBuilder(net, dom)
    for r in [first, *it]:
        assert builder.add(r.pattern, r.witness, r.hrep, r.affine_map, r.bounded)
    cert = builder.result()
    assert cert.ok and cert.regions == 782 and cert.covered_volume == 8
    assert isinstance(first.affine_map, cpa.Affine) and first.to_record()["piece"] is None


def test_cli_lp_no_pieces_lists_as_found_and_certifies(tmp_path, capsys):
    import json

    from cpa.cli import main

    out = tmp_path / "r.jsonl"
    code = main(["regions", "sample:R2", "--method", "lp", "--no-pieces", "--list", str(out), "--certify", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["activation_regions"] == doc["certified"] == 152 and doc["affine_pieces"] is None
    lines = out.read_text().splitlines()
    assert len(lines) == 152 and json.loads(lines[0])["index"] == 0


def test_lp_count_killed_and_resumed_gives_the_same_count(tmp_path):
    """A checkpointed count killed with SIGKILL in the middle resumes to the same count."""
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    from constructions.reference_nets import random_relu_weights

    widths = [4, 8, 8, 1]
    net = cpa.ReLUNetwork(random_relu_weights(widths, seed=7))
    box = Box([-1] * 4, [1] * 4)
    want = count_regions(net, box, method="lp", pieces=False)
    ck = tmp_path / "ck"
    # small tasks, so that the kill lands between two of them; the resumed run uses the default budget
    code = ("import cpa; from constructions.reference_nets import random_relu_weights as r; "
            "from cpa.regions._lp_split import count_lp_by_tasks; "
            f"net = cpa.ReLUNetwork(r({widths!r}, seed=7)); "
            f"count_lp_by_tasks(net, cpa.Box([-1] * 4, [1] * 4), checkpoint={str(ck)!r}, budget=20)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=os.path.dirname(os.path.dirname(__file__)))
    state = ck / "lp-count.json"
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if state.exists():
            try:
                doc = json.loads(state.read_text())
            except ValueError:
                continue
            done = doc["tasks_done"]
            if done > 0 and doc["pending"]:
                break
        time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    resumed = count_regions(net, box, method="lp", pieces=False, checkpoint=str(ck))
    assert (resumed.activation_regions, resumed.bounded_regions) == (want.activation_regions, want.bounded_regions)
    doc = json.loads(state.read_text())
    assert doc["pending"] == [] and doc["tasks_done"] >= 2 and done > 0
    with pytest.raises(cpa.CPAError, match="another network"):
        count_regions(cpa.ReLUNetwork(random_relu_weights(widths, seed=8)), box, method="lp", pieces=False,
                      checkpoint=str(ck))


def test_lp_count_by_cells_on_an_executor_matches():
    from concurrent.futures import ThreadPoolExecutor

    from constructions.reference_nets import reference_domain, reference_network

    net, dom = reference_network("R4"), reference_domain("R4")
    with ThreadPoolExecutor(2) as ex:
        c = count_regions(net, dom, method="lp", pieces=False, executor=ex)
    assert (c.activation_regions, c.bounded_regions) == (782, 782)
    assert count_regions(net, dom, method="lp", pieces=False, workers=2).activation_regions == 782


def test_lp_count_on_a_dask_local_cluster_matches_serial():
    distributed = pytest.importorskip("distributed")
    from constructions.reference_nets import reference_domain, reference_network

    net, dom = reference_network("R4"), reference_domain("R4")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        c = count_regions(net, dom, method="lp", pieces=False, executor=client.get_executor())
    assert (c.activation_regions, c.bounded_regions) == (782, 782)


def test_cli_scheduler_counts_on_a_dask_cluster(capsys, tmp_path):
    import json

    distributed = pytest.importorskip("distributed")
    from cpa.cli import main

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        code = main(["regions", "sample:R4", "--box", "-1", "1", "--method", "lp", "--no-pieces", "--json",
                     "--scheduler", cl.scheduler_address, "--checkpoint", str(tmp_path / "ck")])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["activation_regions"] == 782


def test_lp_count_logs_progress(caplog):
    import logging

    from constructions.reference_nets import reference_domain, reference_network
    from cpa.regions.api import _count_lp

    with caplog.at_level(logging.INFO, logger="cpa"):
        c = _count_lp(reference_network("R4"), reference_domain("R4"), None, progress=True, log_every=0.0)
    assert c.activation_regions == 782
    lines = [r.getMessage() for r in caplog.records if "found in" in r.getMessage()]
    assert lines and "random probes" in lines[0] and ("left at this rate" in lines[0] or "more than" in lines[0])


def test_knuth_estimate_is_exact_on_a_balanced_search_and_close_on_others():
    """Every probe of a search whose leaves all lie at the same depth scores the exact count; on
    a reference network the estimate lies within three standard errors of the count."""
    from constructions.reference_nets import reference_domain, reference_network
    from cpa.regions._lp import count_lp, estimate_regions

    zonotope = cpa.ReLUNetwork([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])   # 4 quadrants, 2 splits each
    est = estimate_regions(zonotope, Box([-1, -1], [1, 1]), probes=10)
    assert (est.regions, est.stderr) == (4.0, 0.0)
    net, dom = reference_network("R4"), reference_domain("R4")
    est = estimate_regions(net, dom, probes=100, seed=1)
    assert abs(est.regions - count_lp(net, dom)[0]) <= 3 * est.stderr


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_layers_count_as_dense_ones(seed):
    """Layers with few nonzero weights (convolutions, poolings) take the vertex engine's sparse
    product; the regions are those of the other engines, certified."""
    import numpy as np

    rng = np.random.default_rng(seed)
    W1 = rng.integers(-4, 5, size=(24, 2)).tolist()
    W2 = np.zeros((24, 24), dtype=int)
    for i in range(24):
        W2[i, rng.choice(24, size=2, replace=False)] = rng.integers(-3, 4, size=2)
    W2[5] = 0                                         # an empty row
    W3 = np.zeros((1, 24), dtype=int)
    W3[0, :3] = [1, -2, 1]
    net = cpa.ReLUNetwork([(W1, rng.integers(-2, 3, size=24).tolist()),
                           (W2.tolist(), rng.integers(-2, 3, size=24).tolist()), (W3.tolist(), [0])])
    import importlib

    vertex = importlib.import_module("cpa.regions._vertex")
    assert vertex._sparse_layer(vertex.IntegerNetwork(net), 1) is not None
    box = Box([-2, -2], [2, 2])
    cx = cpa.regions(net, box, method="vertex")
    ref = cpa.regions(net, box, method="polygon")
    assert sorted(r.pattern for r in cx) == sorted(r.pattern for r in ref)
    assert sorted(map(repr, (r.affine_map for r in cx))) == sorted(map(repr, (r.affine_map for r in ref)))
    assert cx.certify()


def test_sparse_layers_with_mixed_magnitudes():
    """The sparse product stays exact with weights of 2^+-500 beside small ones."""
    from fractions import Fraction

    import numpy as np

    rng = np.random.default_rng(5)
    big, tiny = Fraction(2) ** 500, Fraction(1, 2 ** 500)
    scale = [big, tiny, 1, Fraction(1, 3)]
    W1 = [[int(rng.integers(-3, 4)) * scale[(i + k) % 4] for k in range(2)] for i in range(16)]
    W2 = [[0] * 16 for _ in range(16)]
    for i in range(16):
        for j in rng.choice(16, size=2, replace=False):
            W2[i][int(j)] = int(rng.integers(-3, 4)) * scale[(i + int(j)) % 4]
    net = cpa.ReLUNetwork([(W1, [scale[i % 4] * (i % 3 - 1) for i in range(16)]), (W2, [0] * 16),
                           ([[1] * 16], [0])])
    box = Box([-1, -1], [1, 1])
    cx = cpa.regions(net, box, method="vertex")
    ref = cpa.regions(net, box, method="polygon")
    assert sorted(r.pattern for r in cx) == sorted(r.pattern for r in ref)
    assert cx.certify()
