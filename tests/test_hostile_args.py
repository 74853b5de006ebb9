"""Hostile arguments: every bad argument is a cpa error with a one-line message naming it;
printing a wide sparse network stays small; the proof of a max tree is fast; an interrupted
``cpa regions --workers`` stops with its workers and leaves no listing that looks complete."""

from __future__ import annotations

import math

import pytest

import cpa
from cpa import gadgets
from cpa.domains import Box, Polyhedron
from cpa.errors import ArgumentError, ArgumentTypeError, CPAError, DomainError, ShapeError
from cpa.pieces import Pieces

NET2 = cpa.ReLUNetwork([([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0])])
NET1 = cpa.ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])


def _one_line(e: BaseException, word: str) -> None:
    msg = str(e)
    assert "\n" not in msg and word in msg, msg


@pytest.mark.parametrize("name", ["max_regions", "max_memory"])
@pytest.mark.parametrize("value, err", [
    (True, ArgumentTypeError), (False, ArgumentTypeError), (1.5, ArgumentTypeError), (2.0, ArgumentTypeError),
    (math.inf, ArgumentTypeError), (math.nan, ArgumentTypeError), ("10", ArgumentTypeError),
    (0, ArgumentError), (-1, ArgumentError),
])
def test_regions_limits_are_checked(name, value, err):
    for fn in (cpa.regions, cpa.count_regions):
        with pytest.raises(err) as e:
            fn(NET2, Box([-1, -1], [1, 1]), **{name: value})
        _one_line(e.value, name)


@pytest.mark.parametrize("value, err", [
    (True, ArgumentTypeError), (2.0, ArgumentTypeError), (math.nan, ArgumentTypeError),
    (math.inf, ArgumentTypeError), (0, ArgumentError), (-2, ArgumentError),
])
def test_workers_checked(value, err):
    with pytest.raises(err) as e:
        cpa.count_regions(NET2, workers=value)
    _one_line(e.value, "workers")


def test_method_checked():
    with pytest.raises(ArgumentError, match="method"):
        cpa.regions(NET2, method="fast")
    with pytest.raises(ArgumentTypeError, match="method"):
        cpa.regions(NET2, method=["vertex"])
    with pytest.raises(ShapeError, match="line"):
        cpa.regions(NET2, method="line")
    with pytest.raises(ArgumentTypeError, match="executor"):
        cpa.count_regions(NET2, executor=3)


def test_numpy_integers_are_accepted():
    np = pytest.importorskip("numpy")
    c = cpa.count_regions(NET2, Box([-1, -1], [1, 1]), max_regions=np.int64(10), max_memory=np.int64(2**40))
    assert c.activation_regions == 4
    assert Polyhedron([], [], dim=np.int64(2)).dim == 2


def test_network_argument_checked():
    with pytest.raises(ArgumentTypeError, match="net"):
        cpa.regions(5)
    from cpa.equivalence import equivalent
    with pytest.raises(ArgumentTypeError):
        equivalent(5, NET2)


@pytest.mark.parametrize("dim, err", [("2", ArgumentTypeError), (2.5, ArgumentTypeError),
                                      (True, ArgumentTypeError), (0, DomainError), (-1, DomainError)])
def test_polyhedron_dim(dim, err):
    with pytest.raises(err) as e:
        Polyhedron([], [], dim=dim)
    _one_line(e.value, "dim" if err is ArgumentTypeError else "dimension")


def test_polyhedron_matrix_not_a_sequence():
    with pytest.raises(DomainError, match="A must be"):
        Polyhedron(5, [1])


def test_pieces_arguments():
    with pytest.raises(ArgumentTypeError, match="Pieces"):
        Pieces(5)
    with pytest.raises(ArgumentTypeError, match="Pieces"):
        Pieces({"A": 1})
    with pytest.raises(CPAError):
        Pieces([(5, 5, 5, 5)])
    with pytest.raises(ArgumentTypeError, match="validate"):
        Pieces([([[1]], [0], [1], 0)], validate="no")


@pytest.mark.parametrize("M, err", [(0, ArgumentError), (-3, ArgumentError), (2.5, ArgumentTypeError),
                                    (True, ArgumentTypeError), ("3", ArgumentTypeError)])
def test_gadget_tree_size(M, err):
    for fn in (gadgets.max_of, gadgets.min_of, gadgets.max_tree_widths):
        with pytest.raises(err) as e:
            fn(M)
        _one_line(e.value, "M")


def test_hat_nodes():
    with pytest.raises(ArgumentError, match="a < b < c"):
        gadgets.hat_1d(1, 0, 2)


def test_plotting_arguments():
    import matplotlib

    matplotlib.use("Agg")
    from cpa.plotting import plot_function_1d, plot_regions, plot_surface

    box = Box([-1, -1], [1, 1])
    with pytest.raises(ArgumentError, match="color_by"):
        plot_regions(NET2, box, color_by="colour")
    with pytest.raises(ArgumentError, match="cmap"):
        plot_regions(NET2, box, cmap="no-such-map")
    with pytest.raises(ArgumentError, match="resolution"):
        plot_surface(NET2, resolution=1)
    with pytest.raises(ArgumentError, match="output"):
        plot_surface(NET2, output=3)
    with pytest.raises(ArgumentTypeError, match="output"):
        plot_function_1d(NET1, output=0.5)


def test_engines_refuse_wrong_dimension():
    from cpa.regions._line import enumerate_line
    from cpa.regions._polygon import enumerate_polygon

    with pytest.raises(ShapeError, match="one input"):
        enumerate_line(NET2, Box([-1, -1], [1, 1]))
    with pytest.raises(ShapeError, match="two inputs"):
        enumerate_polygon(NET1, Box([-1], [1]))
    with pytest.raises(DomainError, match="R\\^1"):
        enumerate_line(NET1, Box([-1, -1], [1, 1]))
    with pytest.raises(DomainError, match="R\\^2"):
        enumerate_polygon(NET2, Box([-1], [1]))


@pytest.mark.parametrize("argv", [
    ["--workers", "0"], ["--workers", "1.5"], ["--max-regions", "0"], ["--max-regions", "-4"],
    ["--max-memory", "nan"], ["--max-memory", "inf"], ["--max-memory", "-1"], ["--max-memory", "0"],
])
def test_cli_numeric_options(tmp_path, capsys, argv):
    from cpa.cli import main

    path = str(tmp_path / "n.json")
    NET2.to_json(path)
    with pytest.raises(SystemExit) as e:
        main(["regions", path, *argv])
    err = capsys.readouterr().err
    assert e.value.code == 2 and argv[0] in err and len(err.strip().splitlines()) == 1
