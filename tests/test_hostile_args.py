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
from cpa.io import to_json
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
    to_json(NET2, path)
    with pytest.raises(SystemExit) as e:
        main(["regions", path, *argv])
    err = capsys.readouterr().err
    assert e.value.code == 2 and argv[0] in err and len(err.strip().splitlines()) == 1


# --- the proof of a max tree is structural and fast --------------------------------------------

def _random_maps(M, d, seed):
    import random

    rng = random.Random(seed)
    return [[rng.randint(-1000, 1000) for _ in range(d)] for _ in range(M)], [rng.randint(-1000, 1000) for _ in range(M)]


@pytest.mark.parametrize("d", [1, 2])
def test_check_of_a_max_of_200_maps_is_fast(d):
    import time

    A, b = _random_maps(200, d, seed=d)
    for spec in (cpa.MaxAffine(A, b), cpa.MinAffine(A, b), cpa.DC(cpa.MaxAffine(A, b), cpa.MaxAffine(A[:37], b[:37]))):
        t0 = time.perf_counter()
        net, report = cpa.compile_with_report(spec, check=True)
        assert report.checked and time.perf_counter() - t0 < 10      # over 100 s with a 199-deep chain


def test_reference_tree_is_balanced():
    from cpa.compiler.reference import reference_network

    A, b = _random_maps(200, 2, seed=3)
    ref = reference_network(cpa.MaxAffine(A, b))
    assert ref.depth == 8 and ref.num_neurons < 4 * 200 + 16
    x = (cpa.to_rational("1/3"), cpa.to_rational(-2))
    assert ref(x)[0] == max(a0 * x[0] + a1 * x[1] + c for (a0, a1), c in zip(A, b))


def test_rewrite_certificate_refuses_a_changed_network():
    from cpa.calculus import affine_network, compose
    from cpa.compiler.reference import tree_reference
    from cpa.equivalence import rewrite_certificate
    from cpa.network import Layer

    from cpa.compiler.prune import prune

    A, b = _random_maps(9, 2, seed=5)
    spec, _ = prune(cpa.MaxAffine(A, b))      # compile builds the tree of the maps that remain
    net = cpa.compile(spec)
    tree = tree_reference(spec)
    assert rewrite_certificate(tree, net) and rewrite_certificate(tree, compose(affine_network([[1]]), net))
    for l in range(net.depth + 1):            # one weight or bias off by 1/7 anywhere: not certified
        layers = list(net.affine_layers)
        W, bias = layers[l].W, layers[l].b
        rows = [dict(r) for r in W.rows]
        j, v = next(iter(rows[0].items()))
        rows[0][j] = v + cpa.to_rational("1/7")
        for changed in (Layer(type(W).from_dicts(rows, W.shape[1]), bias),
                        Layer(W, (bias[0] + cpa.to_rational("1/7"),) + bias[1:])):
            layers[l] = changed
            assert not rewrite_certificate(tree, cpa.ReLUNetwork(layers))


def test_check_still_catches_a_wrong_max_tree(monkeypatch):
    import sys
    from fractions import Fraction

    pipeline = sys.modules["cpa.compiler.compile"]
    real = pipeline.shrink

    def broken(net):
        out = real(net)
        layers = list(out.affine_layers)
        W, b = layers[1].W, layers[1].b
        layers[1] = type(layers[1])(W, (b[0] + Fraction(1, 7),) + b[1:])
        return cpa.ReLUNetwork(layers)

    monkeypatch.setattr(pipeline, "shrink", broken)
    A, b = _random_maps(6, 2, seed=7)
    with pytest.raises(cpa.NotEquivalentError, match="differs from the spec"):
        cpa.compile(cpa.MaxAffine(A, b), check=True)


def test_check_when_shrinking_fuses_a_layer():
    # max(x + y, x + y + 1): relu(-1) is folded, relu(v) - relu(-v) fused (depth 0): no neuron
    # correspondence, so the check falls back to region enumeration, still exact
    from cpa.compiler.reference import tree_reference
    from cpa.equivalence import rewrite_certificate

    spec = cpa.MaxAffine([[1, 1], [1, 1]], [0, 1])
    net, report = cpa.compile_with_report(spec, check=True)
    assert report.checked and net.depth == 0 and not rewrite_certificate(tree_reference(spec), net)


# --- printing a wide sparse network never densifies it -------------------------------------------

_MEASURE = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))    # a dense layer would need ~20 GB
from cpa.cli import main
t0 = time.perf_counter()
code = main(sys.argv[1:])
sys.stdout.flush()
print("MEASURE", code, time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def _run_measured(tmp_path, *argv):
    import subprocess
    import sys

    out = tmp_path / "out.txt"
    with open(out, "w") as fh:
        p = subprocess.run([sys.executable, "-c", _MEASURE, *argv], stdout=fh, stderr=subprocess.PIPE,
                           text=True, timeout=300)
    line = [t for t in p.stderr.splitlines() if t.startswith("MEASURE")]
    assert line, p.stderr[-2000:]
    _, code, seconds, maxrss_kb = line[0].split()
    return int(code), float(seconds), int(maxrss_kb) * 1024, out.read_text(), p.stderr


@pytest.fixture(scope="module")
def max16k(tmp_path_factory):
    import json

    A, b = _random_maps(16_000, 1, seed=16)
    spec = tmp_path_factory.mktemp("wide") / "max16k.json"
    spec.write_text(json.dumps({"type": "max_affine", "A": [[str(a) for a in r] for r in A],
                                "b": [str(v) for v in b]}))
    return str(spec)


def test_compile_prints_a_max_of_16000_maps_in_little_memory(max16k, tmp_path):
    code, seconds, peak, out, _ = _run_measured(tmp_path, "compile", max16k)
    assert code == 0 and seconds < 120 and peak < 1 << 30          # was 19.7 GB
    # 37 duplicate maps pruned first: 15,963 maps, layer 1 is 23559 -> 11973
    assert "nonzero of 282,071,907 entries" in out and "--weights sparse" in out and "W1 =" not in out
    code, seconds, peak, out, _ = _run_measured(tmp_path, "compile", max16k, "--weights", "sparse")
    assert code == 0 and seconds < 120 and peak < 1 << 30
    assert "W1, row by row" in out and len(out.splitlines()) > 47_000
    code, seconds, peak, out, err = _run_measured(tmp_path, "compile", max16k, "-o", str(tmp_path / "big.json"))
    assert code == 2 and "max_work" in err and peak < 1 << 30 and not (tmp_path / "big.json").exists()


def test_compile_prints_small_layers_as_matrices_and_wide_ones_sparsely(capsys):
    from cpa.cli import main

    assert main(["compile", "Max(x, y, 0) - Abs(x - 1/2)", "--vars", "x,y"]) == 0
    out = capsys.readouterr().out
    assert "W0 =" in out and "row by row" not in out
    A, b = _random_maps(40, 2, seed=4)
    spec = cpa.MaxAffine(A, b)
    from cpa.cli.compile_cmd import sparse_dict, weight_lines

    net = cpa.compile(spec, simplify=False)        # all 40 maps (pruning would keep few in R^2)
    text = "\n".join(weight_lines(net))
    # widths 60, 30, 15, 8, 5, 3: W0 (60 x 2) and W4.. are small matrices, W1 (30 x 60) is printed by rows
    assert "W0 =" in text and "W1, row by row" in text and "W1 =" not in text and "W5 =" in text
    assert "(not printed)" in "\n".join(weight_lines(net, "none"))
    doc = sparse_dict(net)
    assert [len(L["rows"]) for L in doc["layers"]] == list(net.widths) + [1]


# --- an interrupted `cpa regions --workers` stops with its workers ----------------------------------

def _children(pid):
    """Live (non-zombie) child processes of ``pid`` (Linux /proc)."""
    import os

    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == str(pid) and fields[0] != "Z":
                kids.append(int(entry))
    return kids


def _alive(pids):
    import os

    out = []
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] != "Z":
                    out.append(p)
        except OSError:
            pass
    return out


@pytest.fixture(scope="module")
def slow_net(tmp_path_factory):
    """A [4, 16, 16, 1] network whose regions take tens of seconds to count by cells."""
    import random

    from cpa.io import save_network

    rng = random.Random(1)

    def layer(m, n):
        return [[rng.randint(-9, 9) for _ in range(n)] for _ in range(m)], [rng.randint(-9, 9) for _ in range(m)]

    path = tmp_path_factory.mktemp("slow") / "n4.json"
    save_network(cpa.ReLUNetwork([layer(16, 4), layer(16, 16), layer(1, 16)]), str(path))
    return str(path)


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "SIGINT to the group", "SIGKILL"])
def test_interrupted_workers_stop_and_leave_no_listing(slow_net, tmp_path, how):
    import os
    import signal
    import subprocess
    import sys
    import time

    listing = tmp_path / "regions.jsonl"
    p = subprocess.Popen([sys.executable, "-m", "cpa.cli", "regions", slow_net, "--workers", "2", "--list",
                          str(listing), "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_children(p.pid)) < 2 and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        time.sleep(1.0)                         # the workers are busy with their first cells
        kids = _children(p.pid)
        assert len(kids) >= 2 and p.poll() is None
        t0 = time.monotonic()
        if how == "SIGINT to the group":        # Ctrl-C in a terminal
            os.killpg(p.pid, signal.SIGINT)
        else:
            p.send_signal(getattr(signal, how))
        _, err = p.communicate(timeout=10)
        while _alive(kids) and time.monotonic() - t0 < 5:
            time.sleep(0.05)
        stopped = time.monotonic() - t0
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert not _alive(kids) and stopped < 5, (how, stopped)
    assert not listing.exists()                 # never a listing that looks complete
    if how == "SIGKILL":
        assert p.returncode == -signal.SIGKILL
        return
    lines = err.strip().splitlines()
    assert p.returncode == 130 and len(lines) == 1, err
    assert "partial count" in lines[0] and "regions.jsonl not written" in lines[0]
    assert ("terminated (SIGTERM)" if how == "SIGTERM" else "interrupted") in lines[0]


def test_listing_is_renamed_when_complete(tmp_path, capsys):
    from cpa.cli import main

    path = str(tmp_path / "n.json")
    from cpa.io import save_network

    save_network(NET2, path)
    for extra in ([], ["--workers", "2"]):
        out = tmp_path / "r.jsonl"
        assert main(["regions", path, "--box", "-1", "1", "--list", str(out), *extra]) == 0
        assert len(out.read_text().splitlines()) == 4
        assert sorted(f.name for f in tmp_path.iterdir()) == ["n.json", "r.jsonl"]     # no temporary left
        out.unlink()
