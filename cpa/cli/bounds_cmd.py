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
    from ..errors import InvalidNumberError, SpecError
    from ..numbers import abbreviate, allow_int_str_digits, rational_str, str_to_int

    nums = []
    for i, s in enumerate(args.arch):
        try:
            nums.append(str_to_int(s, f"architecture entry {i + 1}"))
        except InvalidNumberError as e:
            if "non-ASCII digit" in str(e):
                raise
            raise SpecError(f"architecture entries must be integers, got '{abbreviate(s)}'") from None
    if len(nums) < 2:
        raise SpecError("give the input dimension and at least one hidden width: cpa bounds N0 N1 [... NL]")
    rows = all_bounds(nums[0], nums[1:])
    if args.json:
        digits = max((len(rational_str(r.value)) for r in rows if r.value is not None), default=0)
        with allow_int_str_digits(digits + 1):  # exact ints beyond Python's 4300-digit limit
            text = json.dumps([r.to_dict() for r in rows], indent=2)
        print(text)
        return 0
    print(f"Region bounds for {_arch_text(nums)}")
    table = [("bound", "kind", "value", "source")]
    for r in rows:
        table.append((r.name, r.kind, rational_str(r.value) if r.value is not None else "n/a", r.source))
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


def _arch_text(nums: list[int]) -> str:
    """``(n0; n1, ..., nL)``, shortened for very deep or very wide architectures."""
    from ..numbers import abbreviate

    shown = [abbreviate(n, 30) for n in nums[1:11]]
    if len(nums) > 11:
        shown.append(f"... ({len(nums) - 1} hidden layers)")
    return f"({abbreviate(nums[0], 30)}; {', '.join(shown)})"
