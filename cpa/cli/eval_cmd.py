"""``cpa eval NET X1 X2 ...``: exact value of a network at a rational point."""

from __future__ import annotations

import argparse

from .common import NETWORK_HELP, emit_json, load_network
from ..numbers import rational_str, to_rational


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="exact value of a network at a rational point",
                       description="Evaluate a network exactly at one point: the coordinates are read as exact "
                                   "rationals (1/3, 0.1 = 1/10, -2, 1e-3) and the output is printed as p/q, one "
                                   "number per output.")
    p.add_argument("network", help=NETWORK_HELP)
    p.add_argument("x", nargs="+", metavar="X", help="the point's coordinates, one per input, e.g. 1/3 2 -0.5 "
                                                     "(exact rationals)")
    p.add_argument("--json", action="store_true",
                   help='print as JSON: {"x": [...], "y": [...], "activation_pattern": ["0110", ...]} '
                        "with exact p/q strings")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    net = load_network(args.network)
    x = [to_rational(t, f"coordinate {i + 1}") for i, t in enumerate(args.x)]
    y = net(x)
    pattern = net.activation_pattern(x)
    if args.json:
        emit_json({"x": [rational_str(t) for t in x], "y": [rational_str(t) for t in y],
                   "activation_pattern": ["".join("1" if a else "0" for a in layer) for layer in pattern]})
        return 0
    print(" ".join(rational_str(t) for t in y))
    return 0
