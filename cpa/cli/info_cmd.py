"""``cpa info NET``: architecture and size of a network file."""

from __future__ import annotations

import argparse

from .common import LAYOUT_HELP, NETWORK_HELP, emit_json, load_network


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="architecture and size of a network file",
                       description="Print a network's architecture (n0, n1, ..., output), depth, hidden widths, "
                                   "number of hidden neurons and of nonzero weights. Reads every format exactly.")
    p.add_argument("network", help=NETWORK_HELP)
    p.add_argument("--json", action="store_true",
                   help="print as JSON: input_dim, output_dim, depth, widths, neurons, connections, "
                        "architecture")
    p.add_argument("--layout", default=None, help=LAYOUT_HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    net = load_network(args.network, getattr(args, "layout", None))
    info = net.size_report()
    info["architecture"] = list(net.architecture)
    if args.json:
        emit_json(info)
        return 0
    print(f"{args.network}: ReLU network {net.input_dim} -> {net.output_dim}")
    print(f"  architecture  {tuple(net.architecture)}")
    print(f"  depth         {net.depth} hidden layer(s)")
    print(f"  widths        {list(net.widths)}")
    print(f"  neurons       {net.num_neurons}")
    print(f"  connections   {net.num_connections} nonzero weights")
    return 0
