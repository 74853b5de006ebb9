"""``cpa bounds N0 N1 ... NL [--json]``: every region bound for ``(n0; n1, ..., nL)``.

Prints one row per bound of :mod:`cpa.bounds` (exact integers; scales are
marked and are not inequalities).  With ``--json``, prints a JSON list of
objects with keys ``name``, ``value`` (an int, a ``"p/q"`` string for a
scale, or null), ``kind``, ``source`` and ``reason``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "bounds",
        help="region bounds for an architecture (n0; n1..nL)",
        description="Print every applicable bound on the number of linear regions of a ReLU "
                    "network with N0 inputs and hidden widths N1..NL (exact integers).")
    p.add_argument("arch", nargs="+", metavar="N", help="N0 N1 ... NL: input dimension, then hidden widths")
    p.add_argument("--json", action="store_true", help="print a JSON list of objects")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from ..bounds import all_bounds
    from ..errors import SpecError

    nums = []
    for s in args.arch:
        try:
            nums.append(int(s))
        except ValueError:
            raise SpecError(f"architecture entries must be integers, got {s!r}") from None
    if len(nums) < 2:
        raise SpecError("give the input dimension and at least one hidden width: cpa bounds N0 N1 [... NL]")
    rows = all_bounds(nums[0], nums[1:])
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
        return 0
    arch = f"({nums[0]}; {', '.join(map(str, nums[1:]))})"
    print(f"Region bounds for {arch}")
    table = [("bound", "kind", "value", "source")]
    for r in rows:
        table.append((r.name, r.kind, str(r.value) if r.value is not None else "n/a", r.source))
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for i, row in enumerate(table):
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}")
        if i == 0:
            print("-" * (sum(widths) + 6 + max(len(row[3]) for row in table)))
    skipped = [r for r in rows if r.value is None]
    if skipped:
        print()
        for r in skipped:
            print(f"{r.name}: {r.reason}")
    print("\n'scale' rows are asymptotic scales, not inequalities.")
    return 0
