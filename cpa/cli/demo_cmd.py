"""``cpa demo``: the whole product on a built-in example."""

from __future__ import annotations

import argparse
import time

from .common import print_weights

EXAMPLE = "Max(x, y, 0) - Abs(x - 1/2)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="compile, count and check on a built-in example")
    p.add_argument("--out", default="cpa-demo", help="folder for the demo's files (default: ./cpa-demo)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fractions import Fraction

    from ..compiler import compile_with_report

    t0 = time.perf_counter()
    print(f"1. Compile the CPA expression  f(x, y) = {EXAMPLE}")
    net, report = compile_with_report(EXAMPLE, variables="x,y")
    print("   " + str(report).replace("\n", "\n   "))
    print("   exact weights:")
    print_weights(net)
    p = [Fraction(1, 3), Fraction(2)]
    print(f"   f(1/3, 2) = {net(p)[0]} (exact)")
    print(f"\ndone in {time.perf_counter() - t0:.2f} s")
    return 0
