"""The house rules of the package layout, checked.

* ``import cpa`` stays light: no torch, onnx, matplotlib, and none of the packages
  above it (``constructions``, ``verify``).
* Layers point down only: no import cycle among the modules of ``cpa``, counting
  imports inside functions too (a lazy import is still a dependency).  The CLI is the
  top of the package and is left out: it may import anything lazily.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1] / "cpa"


def test_import_cpa_is_light():
    code = ("import sys, cpa; heavy = [m for m in ('torch', 'onnx', 'onnxruntime', 'matplotlib', 'constructions',"
            " 'verify', 'tqdm', 'highspy', 'numba', 'dask') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"import cpa loads {out}"


def test_lazy_submodules_are_reachable():
    import cpa

    assert cpa.bounds.montufar2014_lower(2, (8, 8)) == 592
    assert callable(cpa.io.load_network)
    assert cpa.__version__ and cpa.__version__[0].isdigit()
    assert set(cpa.__all__) <= set(dir(cpa))


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str) -> set[str]:
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("cpa"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("cpa"):
                continue
            if node.module:
                out.add(mod)
            for a in node.names:                       # "from . import x" imports the submodule x
                out.add(f"{mod}.{a.name}")
    return out


def _graph() -> nx.DiGraph:
    files = {(_module_name(p)): p for p in ROOT.rglob("*.py")}
    G = nx.DiGraph()
    for name, path in files.items():
        if name.startswith("cpa.cli"):
            continue
        G.add_node(name)
        for target in _imports(path, name):
            while target not in files and "." in target:
                target = target.rpartition(".")[0]     # "from x import y" where y is a name
            if target in files and target != name and not target.startswith("cpa.cli"):
                # a package's __init__ re-exports from below it: depending on "cpa.regions" is
                # depending on what its __init__ imports, which the graph already holds
                G.add_edge(name, target)
    return G


def test_no_import_cycle_inside_cpa():
    G = _graph()
    # the root package re-exports everything (that is its job); edges into it are what would
    # make cycles, and the package __init__ modules only re-export from below them
    inits = [n for n in G if files_is_init(n)]
    H = G.copy()
    for n in inits:
        H.remove_edges_from(list(H.out_edges(n)))
    cycles = list(nx.simple_cycles(H))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c + [c[0]]) for c in cycles[:5])


def test_nothing_below_imports_the_root_package():
    G = _graph()
    bad = sorted(n for n, t in G.edges if t == "cpa" and n != "cpa")
    assert not bad, f"modules importing the root package cpa (import from the module instead): {bad}"


def files_is_init(name: str) -> bool:
    return (ROOT.parent / Path(*name.split(".")) / "__init__.py").exists()


def test_core_modules_do_not_import_the_regions_package():
    """The exact polytope helpers live below both the domains and the region engines; the core types
    and the network calculus need no region engine (specs such as Pieces sit above: they validate
    with one)."""
    G = _graph()
    below = ["cpa.domains", "cpa.network", "cpa.affine", "cpa.numbers", "cpa.sparse", "cpa.polytope",
             "cpa.calculus", "cpa.gadgets", "cpa.errors", "cpa.limits"]
    for name in below:
        if name in G:
            bad = sorted(t for t in nx.descendants(G, name) if t.startswith("cpa.regions"))
            assert not bad, f"{name} depends on {bad}"
