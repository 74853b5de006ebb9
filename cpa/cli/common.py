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
           "format_matrix", "read_point", "read_points", "NETWORK_HELP", "POINT_HELP"]

#: help text of a point argument
POINT_HELP = ("a point of input space: a .npy file (any shape with d entries, read without unpickling), or "
              "comma-separated numbers such as 0.5,1/3,-2")

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


def load_network(arg: str, layout: str | None = None) -> ReLUNetwork:
    """Read a network in any format :mod:`cpa.io` knows (by extension), or a shipped sample
    (``sample:NAME``).  A missing or unreadable file raises an :class:`OSError` (exit code 1).
    ``layout`` is the ``--layout`` option: comma-separated, for torch state dicts."""
    from ..io import load_network as _load

    if layout is None:
        return _load(network_path(arg))
    return _load(network_path(arg), layout=[t.strip() for t in layout.split(",") if t.strip()])


#: help of the ``--layout`` option of the commands that read a network
LAYOUT_HELP = ("for a .pt/.pth state dict: the modules of its nn.Sequential, comma-separated, e.g. "
               "flatten,linear,relu,linear (or the Linear layers' names and relu, e.g. fc1,relu,fc2)")


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


def _npy(path: str, what: str) -> Any:
    import numpy as np

    from ..errors import FormatError

    input_file(path, f"{what} file")
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise FormatError(f"{what} {path!r}: not a numeric .npy array ({e})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "iuf":
        raise FormatError(f"{what} {path!r}: expected a numeric array, got dtype {getattr(arr, 'dtype', '?')}")
    return arr


def read_point(arg: str, d: int, what: str = "point") -> Any:
    """A point of ``R^d`` from the command line: a ``.npy`` file (flattened; floats are exact at their
    binary value) or a comma-separated list of numbers (:func:`cpa.numbers.to_rational`)."""
    from ..errors import ShapeError
    from ..numbers import to_rational

    if arg.endswith(".npy"):
        vals: Any = _npy(arg, what).reshape(-1)
    else:
        vals = [to_rational(t.strip(), f"{what} entry {i}") for i, t in enumerate(arg.split(","))]
    if len(vals) != d:
        shown = arg if len(arg) < 40 else arg[:37] + "..."
        raise ShapeError(f"{what} ({shown}) has {len(vals)} entries, the network takes {d} inputs")
    return vals


def read_points(path: str, d: int, what: str = "points") -> Any:
    """An ``(N, d)`` float array of points from a ``.npy`` file (``(N, ...)`` is flattened per point)."""
    from ..errors import ShapeError

    if not path.endswith(".npy"):
        raise ShapeError(f"{what} {path!r}: give a .npy file holding an (N, {d}) array")
    arr = _npy(path, what)
    if arr.ndim < 1 or arr.size == 0:
        raise ShapeError(f"{what} {path!r}: empty array")
    arr = arr.reshape(arr.shape[0], -1) if arr.ndim > 1 else arr.reshape(1, -1)
    if arr.shape[1] != d:
        raise ShapeError(f"{what} {path!r}: points have {arr.shape[1]} entries, the network takes {d} inputs")
    return arr
