"""``cpa local-complexity NET POINTS.npy --radius R``: regions and hyperplanes meeting small balls."""

from __future__ import annotations

import argparse
from typing import Any

from .common import NETWORK_HELP, emit_json, load_network


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("local-complexity", help="exact number of regions and neurons meeting a ball around points",
                       description="For each point of POINTS.npy (an (N, d) array), count exactly the activation "
                                   "regions of the network that meet the ball of radius R around it, and the "
                                   "hidden neurons whose zero set meets the ball (the local complexity of "
                                   "Humayun, Balestriero and Baraniuk, ICML 2024). With --dims K the ball is "
                                   "cut by a random K-dimensional subspace through the point.")
    p.add_argument("network", help=NETWORK_HELP)
    p.add_argument("points", metavar="POINTS.npy", help="an (N, d) array of points (read without unpickling)")
    p.add_argument("--radius", required=True, metavar="R", help="radius of the balls (a positive number, e.g. 0.05 or 1/20)")
    p.add_argument("--norm", choices=("linf", "l1"), default="linf", help="the ball's norm (default linf)")
    p.add_argument("--dims", type=int, metavar="K",
                   help="count in a random K-dimensional subspace through each point (default: all of R^d)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random subspace (default 0)")
    p.add_argument("--workers", type=int, metavar="N", help="spread the points over N processes")
    p.add_argument("--json", action="store_true", help="print one record per point, and the means, as JSON")
    p.add_argument("--plot", metavar="OUT.png", help="save histograms of the two counts")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..errors import ArgumentError
    from ..regions.local import local_complexity
    from .common import read_points

    if args.workers is not None and args.workers < 1:
        raise ArgumentError(f"--workers must be a positive integer, got {args.workers}")
    if args.plot:
        from .plot_cmd import _check_image_name

        _check_image_name(args.plot)
    net = load_network(args.network)
    pts = read_points(args.points, net.input_dim)
    executor: Any = None
    if args.workers and args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(max_workers=args.workers)
    try:
        recs = local_complexity(net, pts, args.radius, norm=args.norm, dims=args.dims, seed=args.seed,
                                executor=executor)
    finally:
        if executor is not None:
            executor.shutdown()
    regions = np.array([r.regions for r in recs])
    hyper = np.array([r.hyperplanes for r in recs])
    where = "in all of R^%d" % net.input_dim if args.dims is None else f"in random {args.dims}-D subspaces"
    if args.plot:
        _save_histograms(regions, hyper, args.plot, f"{args.norm} radius {args.radius}, {where}")
    if args.json:
        emit_json({"points": len(recs), "radius": args.radius, "norm": args.norm, "dims": args.dims,
                   "mean_regions": float(regions.mean()), "mean_hyperplanes": float(hyper.mean()),
                   "regions": regions.tolist(), "hyperplanes": hyper.tolist()})
        return 0
    print(f"{args.network}: {net.input_dim} -> {net.output_dim}, widths {list(net.widths)}; {len(recs)} points, "
          f"{args.norm} balls of radius {args.radius} {where}")
    print(f"  regions meeting a ball    mean {regions.mean():.2f}, min {regions.min()}, max {regions.max()}")
    print(f"  neurons meeting a ball    mean {hyper.mean():.2f}, min {hyper.min()}, max {hyper.max()}")
    if args.plot:
        print(f"  plot saved to {args.plot}")
    return 0


def _save_histograms(regions: Any, hyper: Any, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for ax, data, what in ((axes[0], regions, "regions meeting the ball"), (axes[1], hyper, "neurons meeting the ball")):
        ax.hist(data, bins=range(int(data.min()), int(data.max()) + 2), color="C0", edgecolor="white", align="left")
        ax.set_xlabel(what)
        ax.set_ylabel("points")
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(fig)
