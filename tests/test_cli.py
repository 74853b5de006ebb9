"""The command line: compile, info, eval, regions, plot, demo; bad input exits 2 with one line."""

from __future__ import annotations

import json

import pytest

from cpa.cli import main
from cpa.io import from_json, to_json


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def net_file(tmp_path, capsys):
    path = str(tmp_path / "net.json")
    code, out, _ = run(capsys, "compile", "Max(x, y, 0) - Abs(x - 1/2)", "--vars", "x,y", "-o", path)
    assert code == 0 and "wrote" in out
    return path


def test_compile_prints_weights_and_report(capsys):
    code, out, _ = run(capsys, "compile", "Max(x, y, 0) - Abs(x - 1/2)", "--vars", "x,y", "--check")
    assert code == 0
    assert "route: structural recursion" in out and "proved equal to the spec" in out and "W0 =" in out


def test_compile_json_and_spec_file(tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"type": "max_affine", "A": [["1"], ["-1"], ["1/2"]], "b": ["0", "0", "1"]}))
    code, out, _ = run(capsys, "compile", str(spec), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["report"]["depth"] == 2 and doc["network"]["format"] == "cpa.relu_network"


def test_info_and_eval(net_file, capsys):
    code, out, _ = run(capsys, "info", net_file, "--json")
    assert code == 0 and json.loads(out)["architecture"][0] == 2
    code, out, _ = run(capsys, "eval", net_file, "1/3", "2")
    assert code == 0 and out.strip() == "11/6"
    code, out, _ = run(capsys, "eval", net_file, "0.5", "0", "--json")
    assert json.loads(out)["y"] == ["1/2"]


def test_regions_json_list_and_plot(net_file, tmp_path, capsys):
    lst, png = str(tmp_path / "r.jsonl"), str(tmp_path / "r.png")
    code, out, _ = run(capsys, "regions", net_file, "--box", "-1", "1", "--json", "--list", lst, "--plot", png)
    doc = json.loads(out)
    assert code == 0
    assert {"activation_regions", "affine_pieces", "domain", "seconds"} <= set(doc)
    lines = open(lst).read().splitlines()
    assert len(lines) == doc["activation_regions"]
    rec = json.loads(lines[0])
    assert set(rec) >= {"pattern", "witness", "affine_map"} and all(isinstance(v, str) for v in rec["witness"])
    assert open(png, "rb").read(4) == b"\x89PNG"
    # every record is exact: "p/q" strings that reproduce the network's value at the witness
    from fractions import Fraction

    from cpa import ReLUNetwork

    net = from_json(net_file)
    for line in lines:
        rec = json.loads(line)
        A, c = rec["affine_map"]["A"], rec["affine_map"]["c"]
        assert all(isinstance(v, str) for row in A for v in row) and all(isinstance(v, str) for v in c)
        x = [Fraction(v) for v in rec["witness"]]
        y = sum(Fraction(a) * xi for a, xi in zip(A[0], x)) + Fraction(c[0])
        assert net(x) == (y,)
        assert rec["pattern"] == ["".join("1" if a else "0" for a in layer) for layer in net.activation_pattern(x)]


def test_regions_certify_and_method(net_file, capsys):
    counts = set()
    for method in ("vertex", "polygon"):
        code, out, _ = run(capsys, "regions", net_file, "--box", "-1", "1", "--json", "--certify", "--method", method)
        doc = json.loads(out)
        assert code == 0 and doc["method"] == method and doc["certified"] == doc["activation_regions"]
        counts.add((doc["activation_regions"], doc["affine_pieces"]))
    assert len(counts) == 1


def test_regions_limit_exits_nonzero_with_partial_count(net_file, capsys):
    code, _, err = run(capsys, "regions", net_file, "--max-regions", "2")
    assert code == 3
    assert "more than max_regions=2 regions: 4 cells after neuron 1 of hidden layer 0" in err
    assert err.strip().endswith("(partial count 4)")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv", [["regions", "net.json", "--box", "0"], ["eval"],
                                  ["regions", "net.json", "--method", "simplex"]])
def test_usage_errors_are_one_line(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    _, err = capsys.readouterr()
    assert e.value.code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith(f"cpa {argv[0]}: error: ")


def test_plot_surface(net_file, tmp_path, capsys):
    png = str(tmp_path / "s.png")
    code, _, _ = run(capsys, "plot", net_file, "-o", png, "--kind", "surface")
    assert code == 0 and open(png, "rb").read(4) == b"\x89PNG"


@pytest.mark.parametrize("argv, word", [
    (["compile", "x*y"], "term 'x*y' is not piecewise affine"),
    (["compile", "Max(x, z)", "--vars", "x,y"], "unknown variable 'z'"),
    (["compile", "Max()"], "at least one argument"),
    (["eval", "NET", "nan", "1"], "non-finite"),
    (["eval", "NET", "1"], "input has 1 entries, the network expects 2"),
    (["regions", "NET", "--box", "1", "-1"], "lo"),
    (["regions", "NET", "--box", "0,0,0", "1"], "3 coordinates"),
])
def test_bad_input_exit_2_one_line(net_file, capsys, argv, word):
    argv = [net_file if a == "NET" else a for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and word in err and "Traceback" not in err


@pytest.mark.parametrize("argv, word", [
    (["info", "no-such-file.json"], "no-such-file.json: no such network file"),
    (["compile", "no-such-spec.json"], "no-such-spec.json: no such spec file"),
    (["info", "TMP"], "is a folder"),
])
def test_file_errors_exit_1_one_line(tmp_path, capsys, argv, word):
    (tmp_path / "folder.json").mkdir()
    argv = [str(tmp_path / "folder.json") if a == "TMP" else a for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and word in err and "Traceback" not in err


def test_demo_runs(tmp_path, capsys):
    code, out, _ = run(capsys, "demo", "--out", str(tmp_path / "demo"))
    assert code == 0 and "FAIL" not in out and "proved equal to the spec" in out
    assert (tmp_path / "demo" / "regions.png").exists()


def test_regions_workers_counts_like_serial(net_file, capsys):
    outs = []
    for extra in ([], ["--workers", "1"], ["--workers", "2"]):
        code, out, _ = run(capsys, "regions", net_file, "--json", *extra)
        doc = json.loads(out)
        assert code == 0
        outs.append((doc["activation_regions"], doc["affine_pieces"], doc["bounded_regions"]))
    assert outs == [(8, 5, 1)] * 3
    code, _, err = run(capsys, "regions", net_file, "--workers", "2", "--plot", "x.png")
    assert code == 2 and "--workers does not take --plot" in err


@pytest.mark.parametrize("box", [[], ["--box", "-1", "1"]])
def test_regions_workers_stream_the_same_certified_regions(tmp_path, capsys, box):
    from constructions.reference_nets import reference_network

    path = str(tmp_path / "r4.json")
    to_json(reference_network("R4"), path)
    serial, split = str(tmp_path / "serial.jsonl"), str(tmp_path / "split.jsonl")
    assert run(capsys, "regions", path, *box, "--list", serial)[0] == 0
    code, out, _ = run(capsys, "regions", path, *box, "--workers", "2", "--list", split, "--certify", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["certified"] == doc["activation_regions"] == (782 if box else 1015)

    def key(rec):
        return tuple(rec["pattern"]), json.dumps(rec["affine_map"]), rec["bounded"]

    a = [json.loads(line) for line in open(serial)]
    b = [json.loads(line) for line in open(split)]
    assert sorted(map(key, a)) == sorted(map(key, b))
    assert [r["index"] for r in b] == list(range(len(b))) and all(r["piece"] is None for r in b)


def test_regions_refuses_workers_with_max_memory_and_bad_outputs_before_work(tmp_path, capsys):
    code, _, err = run(capsys, "regions", "sample:R2", "--workers", "2", "--max-memory", "1")
    assert code == 2 and "--workers does not take --max-memory" in err
    code, _, err = run(capsys, "regions", "sample:R2", "--list", str(tmp_path / "no" / "r.jsonl"))
    assert code == 1 and "cannot write the listing" in err and ".partial" not in err


def test_python_dash_m_cpa():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "cpa", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("cpa ")


def test_regions_counts_pieces_with_the_lp_engine_from_seven_inputs(tmp_path, capsys):
    """From 7 inputs on ``cpa regions`` counts by the LP search, pieces included, and agrees with the
    vertex engine's complex."""
    import cpa
    from constructions.reference_nets import random_relu_weights
    from cpa.io.files import save_network

    net = cpa.ReLUNetwork(random_relu_weights([7, 5, 4, 1], seed=3))
    path = tmp_path / "net.json"
    save_network(net, path)
    assert main(["regions", str(path), "--box", "-1", "1", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    ref = cpa.count_regions(net, cpa.Box([-1] * 7, [1] * 7), method="vertex")
    assert got["method"] == "lp"
    assert (got["activation_regions"], got["affine_pieces"]) == (ref.activation_regions, ref.affine_pieces)
    assert main(["regions", str(path), "--box", "-1", "1", "--method", "lp", "--workers", "2", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["activation_regions"], again["affine_pieces"]) == (ref.activation_regions, ref.affine_pieces)
