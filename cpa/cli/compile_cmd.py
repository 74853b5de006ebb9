"""``cpa compile SPEC``: compile an expression or a spec JSON file into exact ReLU weights.

Compiled networks are sparse (a max tree of M maps has a few nonzeros per row), and a wide
one is far too large to print densely: a max of 16,000 maps has a layer of 11,998 x 23,594
entries of which 47,990 are nonzero.  So the weights are printed from the sparse rows and never
as a dense matrix of a wide layer: small layers as matrices, wider ones row by row with their
nonzero entries only, and a network with many weights as a size summary (``--weights`` chooses).
"""

from __future__ import annotations

import argparse
from typing import Any, Iterator

from ..io import to_dict
from .common import emit_json, format_matrix

EXAMPLE = "Max(x, y, 0) - Abs(x - 1/2)"

#: a layer with at most this many entries (20 x 20) is printed as a dense matrix
DENSE_ENTRIES = 400
#: with --weights auto, a network with more nonzero weights than this is summarised
PRINT_NONZEROS = 2000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compile", help="compile a CPA expression or spec file into exact ReLU weights",
                       description="Compile a CPA spec into an exact ReLU network. SPEC is an expression such as "
                                   f"'{EXAMPLE}' or a spec JSON file (see cpa.spec_io).")
    p.add_argument("spec", help="expression text, or a path to a spec .json file (a name ending in .json is "
                                "always read as a file)")
    p.add_argument("--vars", metavar="X,Y,...",
                   help="comma-separated input variables, in order (default: alphabetical)")
    p.add_argument("-o", "--output", help="write the network to this file (.json exact, .npz, .onnx, .pt)")
    p.add_argument("--check", action="store_true", help="prove the network equal to the spec exactly")
    p.add_argument("--no-simplify", action="store_true", help="skip the shrinking passes")
    p.add_argument("--latex", action="store_true", help="print the weights as LaTeX (layers of at most "
                                                        f"{DENSE_ENTRIES} entries)")
    p.add_argument("--weights", choices=("auto", "sparse", "none"), default="auto",
                   help="how to print the weights: auto (default) prints layers of at most "
                        f"{DENSE_ENTRIES} entries as matrices and wider ones row by row with their nonzero "
                        f"entries, and only sizes beyond {PRINT_NONZEROS} nonzero weights; sparse prints every "
                        "row's nonzero entries whatever the size (redirect it to a file); none prints sizes only")
    p.add_argument("--json", action="store_true",
                   help="print the network and the size report as JSON (a network too large for the dense "
                        "format is given as sparse rows under \"network_sparse\")")
    p.set_defaults(func=run)


def read_spec(text: str, variables: str | None):
    from ..compiler.compile import as_spec
    from ..spec_io import load_spec

    if text.endswith(".json"):
        from .common import input_file

        spec = load_spec(input_file(text, "spec file"))
        return as_spec(spec, variables) if variables else spec
    return as_spec(text, variables)


def dense_entries(net: Any) -> int:
    """Number of entries of the network's weight matrices written densely (what .json, .npz,
    .onnx and .pt files store)."""
    return sum(L.W.shape[0] * L.W.shape[1] for L in net.affine_layers)


def check_dense_size(net: Any, what: str) -> None:
    """Refuse (LimitError) to write ``net`` densely when that means more than ``max_work`` entries."""
    from .. import limits

    n = dense_entries(net)
    if n > limits.current().max_work:
        raise limits.refuse(f"{what} stores the weights as dense matrices: {n:,} entries "
                            f"({net.num_connections:,} nonzero); this", "max_work", f"{n:,} entries")


def _row_text(row: Any) -> str:
    return "  ".join(f"x{j}:{v}" for j, v in row) if row else "0"


def _layer_lines(l: int, layer: Any, kind: str, mode: str) -> Iterator[str]:
    m, n = layer.W.shape
    nnz = layer.W.nnz
    yield f"  layer {l}: {n} -> {m}, {kind}, {nnz} nonzero weights"
    if mode == "auto" and m * n <= DENSE_ENTRIES:
        yield f"    W{l} ="
        yield format_matrix(layer.W.to_dense(), "      ")
        yield f"    b{l} = [{'  '.join(str(v) for v in layer.b)}]"
        return
    yield f"    W{l}, row by row (xj:v is v times input j of the layer; other entries 0):"
    for i, row in enumerate(layer.W.rows):
        yield f"      {i}: {_row_text(row)}"
    nz = [(i, v) for i, v in enumerate(layer.b) if v]
    yield f"    b{l} = " + ("0" if not nz else "  ".join(f"[{i}]:{v}" for i, v in nz) +
                            ("" if len(nz) == m else "  (other entries 0)"))


def weight_lines(net: Any, mode: str = "auto") -> Iterator[str]:
    """The weights as text lines, from the sparse rows (no dense matrix of a wide layer is ever
    built).  ``mode``: ``"auto"`` (matrices for small layers, sparse rows for wide ones, a size
    summary beyond :data:`PRINT_NONZEROS` nonzero weights), ``"sparse"`` (every row's nonzero
    entries), ``"none"`` (sizes only)."""
    from .. import limits

    layers = net.affine_layers
    summary = mode == "none" or (mode == "auto" and net.num_connections > PRINT_NONZEROS)
    if not summary:
        yield "weights (exact):"
        for l, layer in enumerate(layers):
            yield from _layer_lines(l, layer, "hidden (ReLU)" if l < net.depth else "output", mode)
        return
    yield f"weights: {net.num_connections:,} nonzero weights in {len(layers)} layers (not printed)"
    for l, layer in enumerate(layers):
        (m, n), nnz = layer.W.shape, layer.W.nnz
        kind = "hidden (ReLU)" if l < net.depth else "output"
        yield f"  layer {l}: {n} -> {m}, {kind}, {nnz:,} nonzero of {m * n:,} entries"
    how = "print them row by row with --weights sparse (redirect to a file: cpa compile ... --weights sparse > " \
          "weights.txt)"
    if dense_entries(net) <= limits.current().max_work:
        how += ", or write the network with -o net.json (exact; dense matrices)"
    yield f"  {how}"


def sparse_dict(net: Any) -> dict[str, Any]:
    """The network as JSON-ready sparse rows: per layer ``shape``, ``rows`` (lists of ``[j, "p/q"]``)
    and ``b``."""
    return {"format": "cpa.relu_network.sparse", "architecture": list(net.architecture),
            "layers": [{"shape": list(L.W.shape), "rows": [[[j, str(v)] for j, v in r] for r in L.W.rows],
                        "b": [str(v) for v in L.b]} for L in net.affine_layers]}


def run(args: argparse.Namespace) -> int:
    from .. import limits
    from ..compiler import compile_with_report

    if args.output:
        from ..io import format_of
        from .common import output_file

        format_of(args.output)          # a bad extension or folder fails before the compilation
        output_file(args.output, "network file")
    spec = read_spec(args.spec, args.vars)
    net, report = compile_with_report(spec, check=args.check, simplify=not args.no_simplify)
    if args.output:
        from ..io import save_network

        check_dense_size(net, f"writing {args.output}")
        save_network(net, args.output)
    if args.json:
        if dense_entries(net) <= limits.current().max_work:
            emit_json({"network": to_dict(net), "report": report.as_dict()})
        else:
            emit_json({"network_sparse": sparse_dict(net), "report": report.as_dict()})
        return 0
    print(f"spec: {spec!s}" if not hasattr(spec, "num_maps") else f"spec: {spec!r}")
    print(str(report))
    if args.latex and all(L.W.shape[0] * L.W.shape[1] <= DENSE_ENTRIES for L in net.affine_layers):
        print(net.to_latex())
    else:
        if args.latex:
            print(f"(no LaTeX: it is printed for layers of at most {DENSE_ENTRIES} entries; widths {list(net.widths)})")
        for line in weight_lines(net, args.weights):
            print(line)
    if args.output:
        print(f"wrote {args.output}")
    return 0
