"""The command line on slices of input space: ``cpa regions --plane``, ``--decision`` and ``cpa path``."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

import cpa
from cpa.cli import main


@pytest.fixture()
def classifier(tmp_path):
    """A 6-input, 3-output network with float32 weights in a .npz, and three float32 points."""
    rng = np.random.default_rng(3)
    layers = []
    for a, b in [(6, 8), (8, 8), (8, 3)]:
        W = (rng.standard_normal((b, a)) / np.sqrt(a)).astype(np.float32).astype(float)
        c = (0.1 * rng.standard_normal(b)).astype(np.float32).astype(float)
        layers.append((W, c))
    net = cpa.ReLUNetwork(layers)
    cpa.io.write_npz(net, str(tmp_path / "mlp.npz"))
    X = rng.random((3, 6)).astype(np.float32)
    for i in range(3):
        np.save(tmp_path / f"x{i}.npy", X[i])
    return net, X, tmp_path


def test_regions_on_a_plane_match_the_library(classifier, capsys):
    net, X, d = classifier
    code = main(["regions", str(d / "mlp.npz"), "--plane", *(str(d / f"x{i}.npy") for i in range(3)),
                 "--margin", "1/2", "--json"])
    doc = json.loads(capsys.readouterr().out)
    want = cpa.count_regions(net, cpa.Plane.through(*X, margin=Fraction(1, 2)))
    assert code == 0 and doc["activation_regions"] == want.activation_regions
    assert doc["affine_pieces"] == want.affine_pieces and doc["domain"] == "Box(lo=[-1/2, -1/2], hi=[3/2, 3/2])"


def test_plane_points_as_comma_lists_and_decision_areas(classifier, capsys, tmp_path):
    net, X, d = classifier
    pts = [",".join(repr(float(v)) for v in x) for x in X]
    code = main(["regions", str(d / "mlp.npz"), "--plane", *pts, "--decision", "--json",
                 "--plot", str(tmp_path / "classes.png")])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and (tmp_path / "classes.png").stat().st_size > 0
    assert sum(Fraction(a) for a in doc["class_areas_exact"].values()) == 1      # the unit square
    dr = cpa.decision_regions(net, cpa.Plane.through(*X))
    assert doc["decision_boundary_pieces"] == dr.num_boundary_pieces


@pytest.mark.parametrize("argv, message", [
    (["--plane", "x0.npy", "x1.npy", "x1.npy"], "collinear"),
    (["--plane", "x0.npy", "1,2", "x2.npy"], "has 2 entries, the network takes 6 inputs"),
    (["--plane", "x0.npy", "x1.npy", "x2.npy", "--box", "0", "1"], "give one domain"),
    (["--plane", "x0.npy", "x1.npy", "nope.npy"], "no such"),
    (["--decision", "--plane", "x0.npy", "x1.npy", "x2.npy", "--method", "lp", "--no-pieces"], "whole complex"),
])
def test_bad_planes_are_refused_in_one_line(classifier, capsys, monkeypatch, argv, message):
    _, _, d = classifier
    monkeypatch.chdir(d)
    code = main(["regions", "mlp.npz", *argv])
    err = capsys.readouterr().err
    assert code in (1, 2) and message in err and len(err.strip().splitlines()) == 1


def test_path_breakpoints_are_the_library_s(classifier, capsys, tmp_path):
    net, X, d = classifier
    code = main(["path", str(d / "mlp.npz"), str(d / "x0.npy"), str(d / "x1.npy"), str(d / "x2.npy"), "--json",
                 "--plot", str(tmp_path / "path.png")])
    doc = json.loads(capsys.readouterr().out)
    tr = cpa.breakpoints(net, cpa.Path(list(X)))
    assert code == 0 and doc["activation_regions"] == tr.activation_regions
    assert [Fraction(t) for t in doc["breakpoints"]] == list(tr.parameters)
    assert (tmp_path / "path.png").stat().st_size > 0
    assert main(["path", str(d / "mlp.npz"), str(d / "x0.npy"), str(d / "x1.npy")]) == 0
    assert "activation regions" in capsys.readouterr().out


def test_path_refuses_one_point_and_equal_ends(classifier, capsys):
    _, _, d = classifier
    assert main(["path", str(d / "mlp.npz"), str(d / "x0.npy")]) == 2
    assert "at least two points" in capsys.readouterr().err
    assert main(["path", str(d / "mlp.npz"), str(d / "x0.npy"), str(d / "x0.npy")]) == 2
    assert "same point" in capsys.readouterr().err


def test_local_complexity_command_is_the_library_s(classifier, capsys, tmp_path):
    net, X, d = classifier
    np.save(tmp_path / "pts.npy", X)
    code = main(["local-complexity", str(d / "mlp.npz"), str(tmp_path / "pts.npy"), "--radius", "1/10",
                 "--dims", "2", "--json", "--plot", str(tmp_path / "lc.png")])
    doc = json.loads(capsys.readouterr().out)
    recs = cpa.local_complexity(net, X, Fraction(1, 10), dims=2)
    assert code == 0 and doc["regions"] == [r.regions for r in recs]
    assert doc["hyperplanes"] == [r.hyperplanes for r in recs] and (tmp_path / "lc.png").stat().st_size > 0
    assert main(["local-complexity", str(d / "mlp.npz"), str(tmp_path / "pts.npy"), "--radius", "0.05"]) == 0
    assert "regions meeting a ball" in capsys.readouterr().out
