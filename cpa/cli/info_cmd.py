"""``cpa info NET``: architecture and size of a network file."""

from __future__ import annotations

import argparse

from .common import emit_json, load_network


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="architecture and size of a network file")
    p.add_argument("network", help="network file (.json, .npz, .onnx, .pt)")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    net = load_network(args.network)
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
