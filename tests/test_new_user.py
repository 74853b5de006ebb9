"""What a new user or a researcher meets first: the README's examples run as written, its JSON
snippets are what the commands print, the shipped samples are what they claim, every command
has help, bad arguments and file errors end in one line with the documented exit code, and
long runs say what they are doing on stderr only."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from cpa.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def run(capsys, *argv):
    """``cpa ARGV`` in this process: (exit code, stdout, stderr); argparse's exits included."""
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def readme_blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def readme_commands() -> list[tuple[list[str], str]]:
    """Every ``cpa ...`` command of the README's bash blocks (also after ``&&``), in order, with its
    comment."""
    cmds = []
    for block in readme_blocks("bash"):
        for line in block.splitlines():
            comment = line.split("#", 1)[1] if "#" in line else ""
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith("cpa "):
                    cmds.append((shlex.split(part, comments=True), comment))
    return cmds


# --- 1. every README example runs as written ------------------------------------------------------

def test_readme_has_the_commands_a_user_reads_first():
    names = {tuple(argv[:2]) for argv, _ in readme_commands()}
    for cmd in ("demo", "samples", "compile", "info", "eval", "regions", "plot", "bounds", "theorems", "convert"):
        assert ("cpa", cmd) in names, cmd


def test_readme_commands_run_as_written(tmp_path, monkeypatch, capsys):
    """In an empty folder, every command of the README in order: the README's own first lines
    make the files the later ones read.  Exit code 0, or 3 where the comment says so."""
    pytest.importorskip("onnx")
    pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    outputs = {}
    for argv, comment in readme_commands():
        code, out, err = run(capsys, *argv[1:])
        want = 3 if "exit code 3" in comment else 0
        assert code == want, (argv, code, err[-2000:])
        if want == 3:
            assert len(err.strip().splitlines()) == 1 and "partial count" in err, err
        outputs[" ".join(argv)] = out
    # what the comments promise
    assert outputs["cpa eval net.json 1/3 2"].strip() == "11/6"
    from cpa._version import __version__

    assert outputs["cpa --version"].strip() == f"cpa {__version__}"
    saw = outputs["cpa regions sample:sawtooth3 --box 0 1"]
    assert re.search(r"activation regions\s+8\b", saw) and re.search(r"affine pieces\s+8\b", saw)
    assert (tmp_path / "sawtooth.png").exists() and (tmp_path / "regions.png").exists()
    assert (tmp_path / "cpa-demo" / "net.json").exists()

    # 2. the README's JSON snippets are what the commands print
    snippets = [json.loads(b) for b in readme_blocks("json")]
    counts = next(s for s in snippets if isinstance(s, dict) and "activation_regions" in s)
    real = json.loads(outputs["cpa regions net.json --box -1 1 --json"])
    assert list(real) == list(counts)
    assert {k: v for k, v in real.items() if k != "seconds"} == {k: v for k, v in counts.items() if k != "seconds"}
    line = next(s for s in snippets if isinstance(s, dict) and "witness" in s)
    first = json.loads((tmp_path / "regions.jsonl").read_text().splitlines()[0])
    assert list(first) == list(line)
    rec = {k: v for k, v in first.items() if k != "certified"}
    assert rec == line


def _literal(comment: str):
    """The value a README comment states, if it is a Python literal (``p/q`` read as Fractions)."""
    text = re.sub(r"(-?\d+)/(\d+)", r"Fraction(\1, \2)", comment.strip())
    try:
        return True, eval(text, {"Fraction": Fraction, "__builtins__": {}})
    except Exception:
        return False, None


def test_readme_python_block_runs_and_its_comments_hold(tmp_path, monkeypatch):
    """The "Python in five minutes" block runs as written; where a line's comment is a value
    (``net(["1/3", 2])  # (Fraction(11, 6),)``), the line's value is that value."""
    pytest.importorskip("onnx")
    monkeypatch.chdir(tmp_path)
    import matplotlib

    matplotlib.use("Agg")
    (block,) = readme_blocks("python")
    ns: dict = {}
    checked = 0
    for line in block.splitlines():
        code, _, comment = line.partition("  #")
        if not code.strip() or code.startswith("#"):
            continue
        if code.startswith((" ", "print(")) or "=" in code.split("(")[0] or code.startswith(("from ", "import ")):
            exec(code, ns)
            continue
        value = eval(code, ns)
        ok, want = _literal(comment)
        if ok:
            assert value == want, (code, value, want)
            checked += 1
    assert checked >= 5
    assert os.path.exists(tmp_path / "net.onnx")


# --- 1. the shipped samples ----------------------------------------------------------------------

def test_shipped_samples_are_what_build_samples_makes(tmp_path):
    from cpa.cli.samples_cmd import SAMPLES, build_samples, data_dir
    from cpa.io import load_network

    build_samples(str(tmp_path))
    for file in SAMPLES:
        shipped, made = Path(data_dir()) / file, tmp_path / file
        if file.endswith(".json"):
            assert shipped.read_bytes() == made.read_bytes(), file
        assert load_network(shipped) == load_network(made), file
    assert sorted(os.listdir(data_dir())) == sorted(SAMPLES)


def test_samples_are_the_constructions():
    from constructions import sawtooth
    from constructions.reference_nets import reference_network

    from cpa.cli.common import load_network

    assert load_network("sample:sawtooth3") == sawtooth(3)
    for name in ("R1", "R2", "R3", "R4", "R5", "R6"):
        assert load_network(f"sample:{name}") == reference_network(name)
    assert load_network("sample:R2.npz") == load_network("sample:R2.json") == reference_network("R2")


def test_samples_command(tmp_path, capsys):
    code, out, _ = run(capsys, "samples", "--json")
    rows = json.loads(out)
    assert code == 0 and {r["name"] for r in rows} >= {"sample:sawtooth3", "sample:R2", "sample:R2.npz"}
    assert next(r for r in rows if r["name"] == "sample:R2")["architecture"] == [2, 8, 8, 1]
    code, out, _ = run(capsys, "samples", "--write", str(tmp_path / "new"))
    assert code == 0 and (tmp_path / "new" / "R2.json").exists() and (tmp_path / "new" / "R2.npz").exists()
    code, out, _ = run(capsys, "regions", "sample:R2", "--box", "-1", "1", "--json")
    assert code == 0 and json.loads(out)["activation_regions"] == 131


def test_sample_names_in_help(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "sample:NAME" in out and "Exit codes" in out
    code, out, _ = run(capsys, "info", "--help")
    assert "sample:NAME" in out


# --- 4. help for every argument, --version ---------------------------------------------------------

def _subparsers():
    import argparse

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub, sub.choices


def test_every_command_and_argument_has_help():
    sub, commands = _subparsers()
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, p in commands.items():
        assert helps.get(name), f"cpa --help has no line for {name}"
        assert p.description, f"cpa {name} has no description"
        for action in p._actions:
            assert action.help, f"cpa {name} {action.option_strings or action.dest} has no help"


def test_version(capsys):
    from cpa import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"cpa {__version__}"


# --- 5. limits end in one line with the partial count ----------------------------------------------

def _one_line(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)


def test_tiny_max_memory_stops_with_partial_count(capsys):
    code, _, err = run(capsys, "regions", "sample:R5", "--box", "-1", "1", "--max-memory", "0.0001")
    assert code == 3
    _one_line(err, "cpa regions: stopped:", "max_memory", "partial count")


def test_memory_error_is_one_line(monkeypatch, capsys):
    import importlib

    engine = importlib.import_module("cpa.regions")   # the package (cpa.regions is also a function)

    def boom(*a, **k):
        raise MemoryError()

    monkeypatch.setattr(engine, "regions", boom)
    code, _, err = run(capsys, "regions", "sample:R2")
    assert code == 3
    _one_line(err, "cpa regions: stopped: out of memory", "partial count", "--max-memory")


def test_limit_outside_cpa_regions_is_one_line(monkeypatch, tmp_path, capsys):
    import importlib

    from cpa.errors import EnumerationLimitError

    def limit(*a, **k):
        raise EnumerationLimitError("memory budget reached (max_memory)", count=1234)

    monkeypatch.setattr(importlib.import_module("cpa.plotting"), "plot_regions", limit)
    code, _, err = run(capsys, "plot", "sample:R2", "-o", str(tmp_path / "r.png"))
    assert code == 3
    _one_line(err, "cpa plot: stopped:", "(partial count 1234)")


# --- 6. bad arguments exit 2, file errors exit 1, every one in one line ----------------------------

BAD_ARGUMENTS = [
    ["demo", "--bogus"],
    ["compile", "x*y"],
    ["compile", "Max(x, z)", "--vars", "x,y"],
    ["compile", "x", "-o", "net.xyz"],
    ["info", "net.xyz"],
    ["info", "sample:nope"],
    ["info", "BAD"],
    ["info"],
    ["eval", "NET", "1"],
    ["eval", "NET", "abc", "1"],
    ["eval", "NET", "nan", "1"],
    ["regions", "NET", "--box", "1", "-1"],
    ["regions", "NET", "--box", "0,0,0", "1"],
    ["regions", "NET", "--max-regions", "0"],
    ["regions", "NET", "--max-memory", "-1"],
    ["regions", "NET", "--method", "simplex"],
    ["regions", "BAD"],
    ["regions", "NET", "--plane", "0,0", "1,0", "2,0"],
    ["regions", "NET", "--plane", "0,0", "1,0", "0,1,2"],
    ["path", "NET", "0,0"],
    ["path", "NET", "0,0", "0,0"],
    ["path", "NET", "0,0", "1,2,3"],
    ["path", "NET", "0,0", "1,1", "--plot", "x.xyz"],
    ["path", "BAD", "0,0", "1,1"],
    ["local-complexity", "NET", "PTS", "--radius", "-1"],
    ["local-complexity", "NET", "PTS", "--radius", "1", "--norm", "l3"],
    ["local-complexity", "NET", "PTS", "--radius", "1", "--dims", "3"],
    ["local-complexity", "NET", "pts.txt", "--radius", "1"],
    ["local-complexity", "NET", "PTS"],
    ["plot", "NET", "-o", "x.xyz"],
    ["plot", "NET", "-o", "x.png", "--kind", "pie"],
    ["plot", "NET"],
    ["plot", "NET", "-o", "x.png", "--box", "1", "0"],
    ["bounds", "2", "x"],
    ["bounds", "2"],
    ["bounds", "0", "3"],
    ["theorems", "--bogus"],
    ["convert", "NET", "out.xyz"],
    ["convert", "NET"],
    ["convert", "BAD", "out.json"],
    ["samples", "--bogus"],
]

FILE_ERRORS = [
    (["compile", "missing.json"], "missing.json"),
    (["compile", "x", "-o", "nodir/net.json"], "nodir"),
    (["info", "missing.json"], "missing.json"),
    (["info", "FOLDER.json"], "is a folder"),
    (["eval", "missing.json", "1"], "missing.json"),
    (["regions", "missing.onnx"], "missing.onnx"),
    (["regions", "NET", "--list", "nodir/r.jsonl"], "nodir"),
    (["path", "missing.json", "0,0", "1,1"], "missing.json"),
    (["path", "NET", "missing.npy", "1,1"], "missing.npy"),
    (["path", "NET", "0,0", "1,1", "--plot", "nodir/x.png"], "nodir"),
    (["local-complexity", "missing.json", "PTS", "--radius", "1"], "missing.json"),
    (["local-complexity", "NET", "missing.npy", "--radius", "1"], "missing.npy"),
    (["plot", "missing.json", "-o", "x.png"], "missing.json"),
    (["plot", "NET", "-o", "nodir/x.png"], "nodir"),
    (["convert", "missing.pt", "out.json"], "missing.pt"),
    (["convert", "NET", "nodir/out.json"], "nodir"),
    (["convert", "NET", "FOLDER.json"], "is a folder"),
    (["demo", "--out", "NET"], "not a folder"),
    (["samples", "--write", "NET"], "not a folder"),
]


@pytest.fixture()
def files(tmp_path, monkeypatch):
    from constructions.reference_nets import reference_network

    from cpa.io import to_json

    monkeypatch.chdir(tmp_path)
    to_json(reference_network("R2"), "net.json")
    Path("bad.json").write_text('{"format": "cpa.relu_network", "layers": [}')
    Path("FOLDER.json").mkdir()
    import numpy as np

    np.save("pts.npy", np.array([[0.25, -0.5], [0.5, 0.5]]))
    return {"NET": "net.json", "BAD": "bad.json", "PTS": "pts.npy"}


def test_every_subcommand_is_in_the_tables():
    _, commands = _subparsers()
    assert {a[0] for a in BAD_ARGUMENTS} == set(commands)
    # bounds and theorems read no file
    assert {a[0] for a, _ in FILE_ERRORS} == set(commands) - {"bounds", "theorems"}


@pytest.mark.parametrize("argv", BAD_ARGUMENTS, ids=lambda a: " ".join(a))
def test_bad_argument_exits_2_in_one_line(files, capsys, argv):
    argv = [files.get(a, a) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2, err
    _one_line(err, f"cpa {argv[0]}: error: ")
    assert not out


@pytest.mark.parametrize("argv, word", FILE_ERRORS, ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_file_error_exits_1_in_one_line(files, capsys, argv, word):
    argv = [files.get(a, a) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 1, err
    _one_line(err, f"cpa {argv[0]}: error: ", word)


# --- 3. cpa theorems shows progress on stderr only ---------------------------------------------------

def _fake_theorems(monkeypatch, n=4, pause=0.15):
    import importlib
    import time

    vt = importlib.import_module("verify.theorems")   # the module (verify.theorems is also a function)

    def theorems(quick=False, progress=None):
        rows = []
        for i in range(n):
            time.sleep(pause)
            row = vt.TheoremRow(f"row {i}", "statement", "source", i, "activation_regions", i, True)
            rows.append(row)
            if progress is not None:
                progress(row)
        return rows

    monkeypatch.setattr(vt, "theorems", theorems)


@pytest.mark.parametrize("json_out", [False, True])
def test_theorems_progress_goes_to_stderr(monkeypatch, capsys, json_out):
    from cpa.cli import theorems_cmd

    _fake_theorems(monkeypatch)
    monkeypatch.setattr(theorems_cmd, "LOG_EVERY", 0.1)
    code, out, err = run(capsys, "theorems", *(["--json"] if json_out else []))
    assert code == 0
    lines = [l for l in err.splitlines() if l.startswith("cpa theorems: ")]
    assert len(lines) >= 2 and "rows checked" in lines[-1] and "last done: row" in lines[-1], err
    assert "rows checked" not in out
    if json_out:
        assert [r["name"] for r in json.loads(out)] == [f"row {i}" for i in range(4)]
    code, out, err = run(capsys, "theorems", "--no-progress")
    assert code == 0 and err == ""


def test_theorems_progress_bar_on_a_terminal(monkeypatch):
    import importlib
    import io

    from cpa.cli.theorems_cmd import Progress

    stream = io.StringIO()
    vt = importlib.import_module("verify.theorems")
    with Progress(stream, tty=True) as p:
        p.row(vt.TheoremRow("Montufar row", "s", "src", 1, "activation_regions", 1, True))
    assert "theorems" in stream.getvalue() and p.done == 1


# --- 7. the notebooks cite papers, not a file the reader does not have ------------------------------

def test_notebooks_do_not_cite_theory_sections():
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        assert "THEORY" not in nb.read_text(encoding="utf-8"), nb.name


def test_closed_stdout_is_quiet():
    """``cpa bounds 2 8 8 | head -0``: no traceback, no "Exception ignored" when the reader has gone."""
    import subprocess

    p = subprocess.Popen([sys.executable, "-m", "cpa.cli", "bounds", "2", "8", "8"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait() in (0, 141) and err == "", err


def test_info_json_keys_are_the_help_s(capsys):
    code, out, _ = run(capsys, "info", "sample:R2", "--json")
    _, commands = _subparsers()
    (action,) = [a for a in commands["info"]._actions if a.dest == "json"]
    assert code == 0 and all(k in action.help for k in json.loads(out))
