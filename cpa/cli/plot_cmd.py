"""``cpa plot NET -o OUT.png``: picture of a network's function or regions."""

from __future__ import annotations

import argparse

from .common import NETWORK_HELP, load_network, output_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="plot a network: graph (1 input), regions or surface (2 inputs)",
                       description="Save a picture of a network on a box: the graph of a 1-input function with "
                                   "its exact breakpoints marked, or for 2 inputs the exact region map or a 3-D "
                                   "surface. Regions are computed exactly; only the drawing uses floats.")
    p.add_argument("network", help=NETWORK_HELP)
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="image file to write; the extension sets the format (.png, .pdf, .svg)")
    p.add_argument("--box", nargs=2, metavar=("LO", "HI"), default=("-1", "1"),
                   help="plot window: scalars for [LO, HI]^d, or comma-separated vectors such as -2,-1 2,1 "
                        "(default -1 1)")
    p.add_argument("--kind", choices=("auto", "function", "regions", "surface"), default="auto",
                   help="function: graph of a 1-input network; regions: region map of a 2-input one; "
                        "surface: 3-D plot of a 2-input one; auto (default): function for 1 input, regions "
                        "for 2")
    p.add_argument("--color-by", choices=("region", "piece"), default="piece",
                   help="region map colours: one per affine piece (default) or one per activation region")
    p.set_defaults(func=run)


def _check_image_name(path: str) -> None:
    """A bad image extension is a bad argument (exit 2), a folder that cannot take it a file error (exit 1),
    both before any work."""
    import os

    from matplotlib.figure import Figure

    from ..errors import ArgumentError

    kinds = Figure().canvas.get_supported_filetypes()
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in kinds:
        raise ArgumentError(f"-o {path!r}: unknown image extension {'.' + ext if ext else '(none)'!r}; "
                            f"use one of {', '.join('.' + k for k in sorted(kinds))}")
    output_file(path, "image file")


def run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..errors import ShapeError
    from ..plotting import plot_function_1d, plot_regions, plot_surface
    from .regions_cmd import parse_box

    _check_image_name(args.output)
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
