"""``cpa regions`` and ``cpa info`` give the same exact answers on every file format.

One small 2-input network with dyadic weights (so float32/float64 files hold
it exactly) is saved as ``.json``, ``.npz``, ``.onnx`` and ``.pt`` with
:func:`cpa.io.save_network`; the CLI, run in-process, must report the exact
region counts of :func:`cpa.count_regions` on the original network and the
same architecture and sizes, whatever the format.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

import cpa
from cpa.cli import main
from cpa.io import load_network, save_network

F = Fraction

EXTENSIONS = [".json", ".npz", ".onnx", ".pt"]

# 2 -> 4 -> 2 -> 1.  Hidden neurons 0 and 1 are relu(x + y) and relu(-x - y),
# whose difference x + y is affine, so some activation regions share an affine
# piece and the two counts differ.
NET = cpa.ReLUNetwork([
    ([[1, 1], [-1, -1], [1, F(-1, 2)], [F(-3, 4), 1]], [0, 0, F(1, 4), F(-1, 8)]),
    ([[1, -1, 0, 0], [0, 0, 1, F(1, 2)]], [0, F(-1, 2)]),
    ([[1, F(3, 2)]], [F(1, 16)]),
])
BOX = cpa.Box([-1, -1], [1, 1])


def _needs(ext: str) -> None:
    if ext == ".onnx":
        pytest.importorskip("onnx")
    if ext == ".pt":
        pytest.importorskip("torch")


def _saved(tmp_path, ext: str):
    _needs(ext)
    path = tmp_path / f"net{ext}"
    assert save_network(NET, path) is True          # dyadic weights: every format is exact
    assert load_network(path) == NET
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def expected():
    c = cpa.count_regions(NET, BOX)
    assert c.activation_regions > c.affine_pieces > 1    # a non-trivial case
    return c


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_regions_same_exact_counts_on_every_format(tmp_path, capsys, ext, expected):
    path = _saved(tmp_path, ext)
    code, out, err = _run(capsys, "regions", str(path), "--box", "-1", "1", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["activation_regions"] == expected.activation_regions
    assert doc["affine_pieces"] == expected.affine_pieces
    assert doc["bounded_regions"] == expected.bounded_regions


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_regions_text_output_on_every_format(tmp_path, capsys, ext, expected):
    path = _saved(tmp_path, ext)
    code, out, err = _run(capsys, "regions", str(path), "--box", "-1", "1")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].split() == ["activation", "regions", str(expected.activation_regions)]
    assert lines[2].split() == ["affine", "pieces", str(expected.affine_pieces)]


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_info_on_every_format(tmp_path, capsys, ext):
    path = _saved(tmp_path, ext)
    code, out, err = _run(capsys, "info", str(path), "--json")
    assert code == 0, err
    doc = json.loads(out)
    expected = NET.size_report()
    expected["architecture"] = list(NET.architecture)
    assert doc == json.loads(json.dumps(expected))
    assert doc["architecture"] == [2, 4, 2, 1]
    code, out, err = _run(capsys, "info", str(path))
    assert code == 0, err
    assert "(2, 4, 2, 1)" in out and "2 hidden layer(s)" in out and f"neurons       {NET.num_neurons}" in out
