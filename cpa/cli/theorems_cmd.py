"""``cpa theorems [--quick] [--json]``: the theorem table, counted exactly.

Runs :func:`verify.theorems` (every construction in ``constructions/``
against its theorem and the bounds) and prints one row per checked statement:
``ok``, name, kind, expected and counted (exact integers or fractions).  With
``--json``, prints a JSON list of objects with keys ``name``, ``statement``,
``source``, ``expected``, ``kind``, ``counted`` and ``ok``.  Exit code 0 when
every row holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "theorems",
        help="check every theorem construction by exact region counting",
        description="Count the regions and pieces of every construction (sawtooth, Montufar folding, "
                    "Serra zigzag, Arora zonotope, hats, ...) exactly and compare with its theorem.")
    p.add_argument("--json", action="store_true", help="print a JSON list of row objects")
    p.add_argument("--quick", action="store_true", help="skip the largest instances")
    p.add_argument("--verbose", "-v", action="store_true", help="also print each statement and source")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from verify.theorems import theorems

    start = time.perf_counter()
    rows = theorems(quick=args.quick)
    elapsed = time.perf_counter() - start
    failed = [r for r in rows if not r.ok]
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
        return 1 if failed else 0
    table = [("ok", "name", "kind", "expected", "counted")]
    for r in rows:
        table.append(("yes" if r.ok else "NO", r.name, r.kind, _fmt(r.expected), _fmt(r.counted)))
    w = [max(len(row[i]) for row in table) for i in range(5)]
    for i, row in enumerate(table):
        print(f"{row[0]:<{w[0]}}  {row[1]:<{w[1]}}  {row[2]:<{w[2]}}  {row[3]:>{w[3]}}  {row[4]:>{w[4]}}")
        if i == 0:
            print("-" * (sum(w) + 8))
        elif args.verbose:
            r = rows[i - 1]
            print(f"{'':<{w[0]}}  {r.statement}  [{r.source}]")
    print(f"\n{len(rows) - len(failed)} of {len(rows)} rows hold ({elapsed:.1f} s).")
    for r in failed:
        print(f"FAILED: {r.name} ({r.kind}): expected {_fmt(r.expected)}, counted {_fmt(r.counted)}")
    return 1 if failed else 0


def _fmt(v: Any) -> str:
    return "-" if v is None else str(v)
