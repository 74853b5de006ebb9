"""Helpers shared by the CLI subcommands (loading networks, printing exact numbers)."""

from __future__ import annotations

import json
import sys
from typing import Any

from ..network import ReLUNetwork
from ..numbers import rational_str

__all__ = ["load_network", "emit_json", "format_matrix"]


def load_network(path: str) -> ReLUNetwork:
    """Read a network in any format :mod:`cpa.io` knows (by extension)."""
    from ..io import load_network as _load

    return _load(path)


def emit_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2)
    sys.stdout.write("\n")


def format_matrix(rows: Any, indent: str = "    ") -> str:
    cells = [[rational_str(v) for v in r] for r in rows]
    if not cells:
        return indent + "[]"
    w = max(len(c) for r in cells for c in r) if any(cells) else 1
    return "\n".join(indent + "[" + "  ".join(c.rjust(w) for c in r) + "]" for r in cells)


def print_weights(net: ReLUNetwork) -> None:
    for l, (W, b) in enumerate(net.layers):
        kind = "hidden (ReLU)" if l < net.depth else "output"
        print(f"  layer {l}: {len(W[0]) if W else 0} -> {len(W)}, {kind}")
        print(f"    W{l} =")
        print(format_matrix(W, "      "))
        print(f"    b{l} = [{'  '.join(rational_str(v) for v in b)}]")
