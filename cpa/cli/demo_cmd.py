"""``cpa demo``: the whole product on a built-in example, in a few seconds.

1. compile a CPA expression into exact ReLU weights and prove the result equal to it;
2. count its linear regions exactly (box and plane) and save a region plot;
3. check a few theorem rows: constructions whose exact region counts meet the bounds.
"""

from __future__ import annotations

import argparse
import os
import time

from ..io import to_json
from .common import print_weights

EXAMPLE = "Max(x, y, 0) - Abs(x - 1/2)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="compile, count and check on a built-in example",
                       description=f"The whole toolkit in about a second: compile f(x, y) = {EXAMPLE} into exact "
                                   "ReLU weights and prove them equal to f, count its linear regions exactly and "
                                   "save a region plot, and check a few theorem rows (cpa theorems has them all). "
                                   "Writes net.json and regions.png into the --out folder.")
    p.add_argument("--out", default="cpa-demo", metavar="DIR",
                   help="folder for the demo's files net.json and regions.png, created if missing "
                        "(default: ./cpa-demo)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fractions import Fraction

    from ..compiler import compile_with_report
    from ..domains import Box
    from ..regions import count_regions, regions
    from .regions_cmd import save_plot

    from .common import output_folder

    t0 = time.perf_counter()
    output_folder(args.out)
    print(f"1. Compile  f(x, y) = {EXAMPLE}  into an exact ReLU network")
    net, report = compile_with_report(EXAMPLE, variables="x,y", check=True)
    print("   " + str(report).replace("\n", "\n   "))
    print("   exact weights:")
    print_weights(net)
    print(f"   f(1/3, 2) = {net([Fraction(1, 3), 2])[0]}  (exact)")
    net_path = os.path.join(args.out, "net.json")
    to_json(net, net_path, indent=1)
    print(f"   saved {net_path}")

    print("\n2. Count its linear regions exactly (each certified by an exact interior point)")
    box = Box([-1, -1], [1, 1])
    cx = regions(net, box)
    plane = count_regions(net, None)
    print(f"   on [-1, 1]^2: {len(cx)} activation regions, {cx.num_pieces} affine pieces")
    print(f"   on R^2:       {plane.activation_regions} activation regions, {plane.affine_pieces} affine pieces, "
          f"{plane.bounded_regions} bounded")
    r = cx.regions[0]
    (A,), (c,) = r.affine_map
    from ..expr import Lin, to_text

    print(f"   e.g. region 0: witness ({', '.join(map(str, r.witness))}), f = "
          f"{to_text(Lin.of({'x': A[0], 'y': A[1]}, c))} there, certificate checks: {r.certify()}")
    plot_path = os.path.join(args.out, "regions.png")
    save_plot(cx, plot_path, "piece")
    print(f"   saved {plot_path}")

    print("\n3. Theorem rows (exact counts of textbook constructions against their theorems)")
    from constructions import montufar_reference, sawtooth, serra_zigzag
    from .. import bounds

    rows = [
        ("Telgarsky sawtooth, k = 5", "2^k pieces on [0, 1]", 2 ** 5,
         count_regions(sawtooth(5), Box([0], [1])).affine_pieces),
        ("Montufar folding (2; 4, 4)", "Montufar 2014 lower bound in (0,1)^2",
         bounds.montufar2014_lower(2, [4, 4]), count_regions(montufar_reference(2, [4, 4]), Box([0, 0], [1, 1])).activation_regions),
        ("Serra zigzag (1; 3, 3)", "Serra 2018 Thm 5: prod (n_l + 1) on R",
         bounds.serra2018_1d_max([3, 3]), count_regions(serra_zigzag([3, 3]), None).activation_regions),
    ]
    for name, statement, expected, counted in rows:
        print(f"   {'ok  ' if expected == counted else 'FAIL'} {name:<28} {statement:<40} expected {expected:>3}, counted {counted:>3}")
    print("   (the full table: cpa theorems)")
    print(f"\ndone in {time.perf_counter() - t0:.2f} s")
    return 0
