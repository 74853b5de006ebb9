"""``cpa theorems [--quick] [--json]``: the theorem table, counted exactly.

Runs :func:`verify.theorems` (every construction in ``constructions/``
against its theorem and the bounds) and prints one row per checked statement:
``ok``, name, kind, expected and counted (exact integers or fractions).  With
``--json``, prints a JSON list of objects with keys ``name``, ``statement``,
``source``, ``expected``, ``kind``, ``counted`` and ``ok``.  Exit code 0 when
every row holds, 1 otherwise.

Progress goes to stderr only, so stdout (the table, or the JSON) stays clean: a
tqdm bar when stderr is a terminal, otherwise one line every :data:`LOG_EVERY`
seconds naming the rows done and the last one.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any, TextIO

__all__ = ["register", "run", "Progress", "LOG_EVERY"]

#: seconds between two progress lines when stderr is not a terminal
LOG_EVERY = 5.0


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "theorems",
        help="check every theorem construction by exact region counting",
        description="Count the regions and pieces of every construction (sawtooth, Montufar folding, "
                    "Serra zigzag, Arora zonotope, hats, ...) exactly and compare with its theorem.")
    p.add_argument("--json", action="store_true", help="print a JSON list of row objects")
    p.add_argument("--quick", action="store_true", help="skip the largest instances")
    p.add_argument("--verbose", "-v", action="store_true", help="also print each statement and source")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress on stderr (by default a bar on a terminal, otherwise a line every "
                        f"{LOG_EVERY:g} s)")
    p.set_defaults(func=run)
    return p


class Progress:
    """Progress of the theorem table on ``stream`` (stderr): a tqdm bar when it is a terminal,
    otherwise, from a background thread, one line every ``every`` seconds with the number of
    rows done, the time and the last row (so that a long row is still reported).  Use as a
    context manager; :meth:`row` is the ``progress`` callback of :func:`verify.theorems`."""

    def __init__(self, stream: TextIO, every: float | None = None, tty: bool | None = None):
        self.stream = stream
        self.every = LOG_EVERY if every is None else every
        self.done = 0
        self.last = ""
        self.start = time.perf_counter()
        self.bar: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if stream.isatty() if tty is None else tty:
            from tqdm.auto import tqdm

            self.bar = tqdm(desc="theorems", unit="row", file=stream, leave=False)
        else:
            self._thread = threading.Thread(target=self._log, name="cpa-theorems-progress", daemon=True)

    def __enter__(self) -> "Progress":
        if self._thread is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.bar is not None:
            self.bar.close()

    def row(self, r: Any) -> None:
        self.done += 1
        self.last = f"{r.name} ({r.kind})"
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(self.last[:60], refresh=False)

    def _log(self) -> None:
        while not self._stop.wait(self.every):
            elapsed = time.perf_counter() - self.start
            last = f"; last done: {self.last}" if self.last else ""
            print(f"cpa theorems: {self.done} rows checked in {elapsed:.0f} s{last}", file=self.stream, flush=True)


def run(args: argparse.Namespace) -> int:
    import contextlib

    from verify.theorems import theorems

    start = time.perf_counter()
    progress = contextlib.nullcontext(None) if args.no_progress else Progress(sys.stderr)
    with progress as p:
        rows = theorems(quick=args.quick, progress=p.row if p is not None else None)
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
