"""``cpa path NET A B [C ...]``: the activation regions along a segment or a polyline of input space."""

from __future__ import annotations

import argparse
from typing import Any

from .common import NETWORK_HELP, POINT_HELP, emit_json, load_network


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("path", help="exact breakpoints and regions along a segment or a path between inputs",
                       description="Walk a network along the segment from A to B (or the polyline A, B, C, ...) "
                                   "and find, exactly, the parameters t in (0, 1) where its activation pattern "
                                   "changes. A polyline of m segments has its vertex i at t = i/m.")
    p.add_argument("network", help=NETWORK_HELP)
    p.add_argument("points", nargs="+", metavar="POINT", help=f"two or more points: {POINT_HELP}")
    p.add_argument("--json", action="store_true",
                   help="print the counts and the exact breakpoints (p/q strings) as JSON")
    p.add_argument("--plot", metavar="OUT.png",
                   help="save the network's outputs along the path, with the breakpoints marked")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import ArgumentError
    from ..numbers import rational_str
    from ..regions.trajectory import breakpoints
    from ..slices import Path, Segment
    from .common import read_point

    if len(args.points) < 2:
        raise ArgumentError("cpa path needs at least two points (A B, or A B C ... for a polyline)")
    if args.plot:
        from .plot_cmd import _check_image_name

        _check_image_name(args.plot)
    net = load_network(args.network)
    pts = [read_point(a, net.input_dim, f"point {i}") for i, a in enumerate(args.points)]
    path: Any = Segment(*pts) if len(pts) == 2 else Path(pts)
    tr = breakpoints(net, path)
    out = {"activation_regions": tr.activation_regions, "affine_pieces": tr.affine_pieces,
           "segments": len(pts) - 1, "breakpoints": [rational_str(t) for t in tr.parameters],
           "piece_breakpoints": [rational_str(t) for t in tr.piece_parameters]}
    if args.plot:
        save_path_plot(net, path, tr, args.plot)
    if args.json:
        emit_json(out)
        return 0
    print(f"{args.network}: {net.input_dim} -> {net.output_dim}, widths {list(net.widths)}, along "
          f"{'the segment' if len(pts) == 2 else f'a path of {len(pts) - 1} segments'}")
    print(f"  activation regions  {tr.activation_regions}")
    print(f"  affine pieces       {tr.affine_pieces}")
    shown = ", ".join(f"{float(t):.6g}" for t in tr.parameters[:12])
    more = f", ... ({len(tr.parameters)} in all; --json gives them exactly)" if len(tr.parameters) > 12 else ""
    print(f"  breakpoints t       {shown or '(none)'}{more}")
    if args.plot:
        print(f"  plot saved to {args.plot}")
    return 0


def save_path_plot(net: Any, path: Any, tr: Any, out: str) -> None:
    """The outputs along the path, drawn through their exact values at every breakpoint and vertex
    (between them the outputs are affine in t, so the polyline is the graph)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import plot_trajectory

    ax = plot_trajectory(net, path, tr)
    ax.figure.savefig(out, dpi=130, bbox_inches="tight")
    plt.close(ax.figure)
