"""The ``cpa`` command line.

Each subcommand lives in its own module ``cpa/cli/<name>_cmd.py`` exposing
``register(subparsers)``, which adds the parser and sets ``func`` to a
function ``run(args) -> int``.  Errors of cpa become a one-line message on
stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn, Sequence

__all__ = ["main"]

# Subcommand modules, in the order they are listed by --help.
_COMMANDS = (
    "demo",
    "compile",
    "info",
    "eval",
    "regions",
    "plot",
    "bounds",
    "theorems",
    "convert",
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (``cpa regions: error: ...``), exit 2.

    Subparsers inherit the class, so every subcommand behaves the same; ``--help``
    still prints the full usage.
    """

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cpa",
        description="Exact toolkit for CPA functions and ReLU networks.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        importlib.import_module(f"cpa.cli.{name}_cmd").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from ..errors import CPAError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except CPAError as e:
        print(f"cpa {args.command}: error: {e}", file=sys.stderr)
        return int(getattr(e, "exit_code", 2))
    except (OSError, ValueError) as e:
        print(f"cpa {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"cpa {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
