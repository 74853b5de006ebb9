"""Helpers shared by the CLI subcommands (loading networks, printing exact numbers)."""

from __future__ import annotations

import errno
import json
import os
import sys
from typing import Any

from ..network import ReLUNetwork
from ..numbers import rational_str

__all__ = ["load_network", "network_path", "input_file", "output_file", "output_folder", "emit_json",
           "format_matrix", "NETWORK_HELP"]

#: help text of a network argument
NETWORK_HELP = "network file (.json, .npz, .onnx, .pt, .pth), or sample:NAME for a shipped sample (cpa samples)"


def network_path(arg: str) -> str:
    """The file a network argument names: ``sample:NAME`` is a shipped sample (:mod:`.samples_cmd`),
    anything else a path, checked by :func:`input_file` after its extension."""
    from .samples_cmd import PREFIX, sample_path

    if arg.startswith(PREFIX):
        return sample_path(arg[len(PREFIX):])
    from ..io import format_of

    format_of(arg)                 # an unknown extension is a bad argument (exit 2), before the file is looked at
    return input_file(arg, "network file")


def load_network(arg: str) -> ReLUNetwork:
    """Read a network in any format :mod:`cpa.io` knows (by extension), or a shipped sample
    (``sample:NAME``).  A missing or unreadable file raises an :class:`OSError` (exit code 1)."""
    from ..io import load_network as _load

    return _load(network_path(arg))


def input_file(path: str, what: str = "file") -> str:
    """``path``, if it is a readable file; otherwise an :class:`OSError` saying why (exit code 1)."""
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"is a folder, not a {what}", path)
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, f"no such {what}", path)
    if not os.access(path, os.R_OK):
        raise PermissionError(errno.EACCES, f"{what} not readable (permission denied)", path)
    return path


def output_file(path: str, what: str = "output file") -> str:
    """``path``, if a file can be written there; otherwise an :class:`OSError` saying why (exit code 1)."""
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"is a folder; give a name for the {what}", path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(errno.ENOENT, f"cannot write the {what}: the folder {folder!r} does not exist",
                                path)
    if not os.access(folder, os.W_OK):
        raise PermissionError(errno.EACCES, f"cannot write the {what}: the folder {folder!r} is not writable",
                              path)
    return path


def output_folder(path: str) -> str:
    """Create the folder ``path`` if needed; an :class:`OSError` saying why if it cannot be (exit code 1)."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder", path)
    os.makedirs(path, exist_ok=True)
    if not os.access(path, os.W_OK):
        raise PermissionError(errno.EACCES, "folder not writable", path)
    return path


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
