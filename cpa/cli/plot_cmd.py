"""``cpa plot NET -o OUT.png``: picture of a network's function or regions."""

from __future__ import annotations

import argparse

from .common import load_network


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="plot a network: graph (1 input), regions or surface (2 inputs)")
    p.add_argument("network", help="network file (.json, .npz, .onnx, .pt)")
    p.add_argument("-o", "--output", required=True, help="image file to write (.png, .pdf, .svg)")
    p.add_argument("--box", nargs=2, metavar=("LO", "HI"), default=("-1", "1"),
                   help="plot window (scalars or comma-separated vectors; default -1 1)")
    p.add_argument("--kind", choices=("auto", "function", "regions", "surface"), default="auto")
    p.add_argument("--color-by", choices=("region", "piece"), default="piece")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..errors import ShapeError
    from ..plotting import plot_function_1d, plot_regions, plot_surface
    from .regions_cmd import parse_box

    net = load_network(args.network)
    box = parse_box(args.box[0], args.box[1], net.input_dim)
    kind = args.kind
    if kind == "auto":
        kind = "function" if net.input_dim == 1 else "regions"
    if kind == "function":
        if net.input_dim != 1:
            raise ShapeError(f"--kind function needs 1 input, the network has {net.input_dim}")
        ax = plot_function_1d(net, box)
    elif kind == "regions":
        ax = plot_regions(net, box, color_by=args.color_by)
    else:
        ax = plot_surface(net, box)
    ax.figure.savefig(args.output, dpi=130, bbox_inches="tight")
    plt.close(ax.figure)
    print(f"wrote {args.output}")
    return 0
