"""The ``cpa`` command line.

Each subcommand lives in its own module ``cpa/cli/<name>_cmd.py`` exposing
``register(subparsers)``, which adds the parser and sets ``func`` to a
function ``run(args) -> int``.  Errors of cpa become a one-line message on
stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from typing import Any, NoReturn, Sequence

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


# An argument that starts with '-' and then reads as numbers is a value, not an option:
# "-2,-1" (a --box vector), "-1/3" (a cpa eval coordinate), "-1e-3", "-.5"; so is one
# with a character no option name has, as in the expression "-(x)" or "-Max(x,1)".
# argparse's own test accepts only "-2" and "-2.5".  (\d also matches non-ASCII digits,
# so that "-١" reaches the number reader, which names the digit.)
_NEGATIVE_NUMBERS = re.compile(r"^-(?:(?:\d|\.\d)[\d.,/eE_+\-]*|[^-].*[()*/,+^].*)$", re.DOTALL)
_MESSAGE_LIMIT = 300  # characters of an error message: messages quote user input


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (``cpa regions: error: ...``), exit 2.

    Subparsers inherit the class, so every subcommand behaves the same; ``--help``
    still prints the full usage.  Negative numbers and vectors (``--box -2,-1 2,1``,
    ``cpa eval net.json -1/3``) are read as values.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBERS

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        from ..numbers import abbreviate

        self.exit(2, f"{self.prog}: error: {abbreviate(message, _MESSAGE_LIMIT)} (see {self.prog} --help)\n")


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
    from ..limits import from_environment

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        from_environment()  # CPA_MAX_DIGITS=..., CPA_MAX_WORK=..., ...
        return int(args.func(args) or 0)
    except CPAError as e:
        _error(args.command, e)
        return int(getattr(e, "exit_code", 2))
    except (OSError, ValueError) as e:
        _error(args.command, e)
        return 2
    except (RecursionError, OverflowError, MemoryError) as e:
        # a last resort: the readers refuse such input with a LimitError before it gets here
        what = {RecursionError: "the input is nested too deeply",
                OverflowError: "a number is out of range",
                MemoryError: "out of memory"}[type(e)]
        _error(args.command, f"{what} ({type(e).__name__}: {e})")
        return 2
    except KeyboardInterrupt:
        print(f"cpa {args.command}: interrupted", file=sys.stderr)
        return 130


def _error(command: str, e: object) -> None:
    """One line on stderr: an error message is abbreviated and kept on one line."""
    from ..numbers import abbreviate

    print(f"cpa {command}: error: {abbreviate(e, 2000)}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
