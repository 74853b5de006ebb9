"""``cpa compile SPEC``: compile an expression or a spec JSON file into exact ReLU weights."""

from __future__ import annotations

import argparse
import os

from .common import emit_json, print_weights

EXAMPLE = "Max(x, y, 0) - Abs(x - 1/2)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compile", help="compile a CPA expression or spec file into exact ReLU weights",
                       description="Compile a CPA spec into an exact ReLU network. SPEC is an expression such as "
                                   f"'{EXAMPLE}' or a spec JSON file (see cpa.spec_io).")
    p.add_argument("spec", help="expression text, or a path to a spec .json file")
    p.add_argument("--vars", help="comma-separated input variables, in order (default: alphabetical)")
    p.add_argument("-o", "--output", help="write the network to this file (.json exact, .npz, .onnx, .pt)")
    p.add_argument("--check", action="store_true", help="prove the network equal to the spec exactly")
    p.add_argument("--no-simplify", action="store_true", help="skip the shrinking passes")
    p.add_argument("--latex", action="store_true", help="print the weights as LaTeX")
    p.add_argument("--json", action="store_true", help="print the network and the size report as JSON")
    p.set_defaults(func=run)


def read_spec(text: str, variables: str | None):
    from ..compiler.compile import as_spec
    from ..spec_io import load_spec

    if text.endswith(".json") and os.path.exists(text):
        spec = load_spec(text)
        return as_spec(spec, variables) if variables else spec
    return as_spec(text, variables)


def run(args: argparse.Namespace) -> int:
    from ..compiler import compile_with_report

    spec = read_spec(args.spec, args.vars)
    net, report = compile_with_report(spec, check=args.check, simplify=not args.no_simplify)
    if args.output:
        from ..io import save_network

        save_network(net, args.output)
    if args.json:
        emit_json({"network": net.to_dict(), "report": report.as_dict()})
        return 0
    print(f"spec: {spec!s}" if not hasattr(spec, "num_maps") else f"spec: {spec!r}")
    print(str(report))
    if args.latex:
        print(net.to_latex())
    else:
        print("weights (exact):")
        print_weights(net)
    if args.output:
        print(f"wrote {args.output}")
    return 0
