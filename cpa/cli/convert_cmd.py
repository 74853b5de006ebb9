"""``cpa convert IN OUT``: convert a network between file formats.

Formats come from the extensions (``.json``, ``.npz``, ``.onnx``, ``.pt``,
``.pth``).  Prints one line: what was converted and whether the output holds
the weights exactly.  With ``--exact`` nothing is written unless it would be
exact.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``convert`` subcommand."""
    from .common import LAYOUT_HELP

    p = subparsers.add_parser(
        "convert", help="convert a network between .json, .npz, .onnx and .pt/.pth",
        description="Convert a network file; formats come from the extensions "
                    "(.json exact, .npz, .onnx, .pt/.pth torch state_dict). Reading is exact; "
                    "the summary says whether the output is exact.")
    p.add_argument("input", metavar="IN", help="network file to read (.json, .npz, .onnx, .pt, .pth), or "
                                               "sample:NAME for a shipped sample (cpa samples)")
    p.add_argument("output", metavar="OUT", help="network file to write")
    p.add_argument("--dtype", choices=("float32", "float64"), default=None,
                   help="float type of .onnx/.pt output (default float64)")
    p.add_argument("--exact", action="store_true",
                   help="refuse (exit 2, nothing written) if the output cannot hold the weights exactly")
    p.add_argument("--layout", default=None, help=LAYOUT_HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Convert ``args.input`` to ``args.output``; return the exit code."""
    from ..errors import FormatError
    from ..io import describe_format, is_exact_format, save_network
    from .common import load_network as load_any, output_file

    out_desc = describe_format(args.output)   # unknown extensions fail before reading
    from .common import network_path

    in_path = network_path(args.input)
    output_file(args.output, "network file")
    net = load_any(args.input, getattr(args, "layout", None))
    exact = is_exact_format(net, args.output, args.dtype)
    kind = args.dtype or "float64"
    if args.exact and not exact:
        raise FormatError(f"{args.output} ({out_desc}, {kind}) cannot hold the weights exactly; "
                          "nothing written (use .json for exact rationals)")
    logger = logging.getLogger("cpa")
    old = logger.level
    logger.setLevel(logging.ERROR)     # the summary line reports rounding instead
    try:
        written_exact = save_network(net, args.output, dtype=args.dtype)
    finally:
        logger.setLevel(old)
    arch = ", ".join(map(str, net.architecture))
    fmt_out = out_desc if out_desc.startswith("exact") or out_desc.startswith("npz") else f"{out_desc} {kind}"
    verdict = "exact" if written_exact else f"NOT exact: some weights were rounded to {kind if not out_desc.startswith('npz') else 'float64'}"
    print(f"{args.input} ({describe_format(in_path)}) -> {args.output} ({fmt_out}): "
          f"architecture ({arch}), {net.num_neurons} hidden neurons; {verdict}")
    return 0
