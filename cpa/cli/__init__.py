"""The ``cpa`` command line.

Each subcommand lives in its own module ``cpa/cli/<name>_cmd.py`` exposing
``register(subparsers)``, which adds the parser and sets ``func`` to a
function ``run(args) -> int``.  Every error ends in a one-line message on stderr
and an exit code (:data:`EXIT_CODES`): 1 a file cannot be read or written, 2 a bad
argument or bad input, 3 a run stopped at a limit (with its partial count), 130
interrupted.
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
    "path",
    "local",
    "plot",
    "bounds",
    "theorems",
    "convert",
    "samples",
)

#: exit code -> meaning (printed by ``cpa --help``)
EXIT_CODES = {
    0: "success",
    1: "a file cannot be read or written (no such file, a folder, permission denied), "
       "or a row of cpa theorems does not hold",
    2: "a bad argument or bad input (the message says what and where)",
    3: "stopped at a limit (--max-regions, --max-memory, out of memory), with the partial count",
    130: "interrupted (Ctrl-C, SIGTERM)",
}


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
    from .._version import __version__

    epilog = ("A network argument is a file (.json, .npz, .onnx, .pt, .pth) or sample:NAME, a network shipped "
              "with cpa (cpa samples lists them). Exit codes: "
              + "; ".join(f"{k} {v}" for k, v in EXIT_CODES.items()) + ".")
    parser = _Parser(
        prog="cpa",
        description="Exact toolkit for CPA functions and ReLU networks. Start with cpa demo; "
                    "cpa COMMAND --help describes each command.",
        epilog=epilog)
    parser.add_argument("--version", action="version", version=f"cpa {__version__}",
                        help="print the version (cpa X.Y.Z) and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        importlib.import_module(f"cpa.cli.{name}_cmd").register(sub)
    parser.commands = sub.choices    # type: ignore[attr-defined]  # name -> subcommand parser
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from ..errors import CPAError, EnumerationLimitError
    from ..limits import from_environment

    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:   # said by the subcommand's parser: "cpa demo: error: unrecognized arguments: ..."
        commands = getattr(parser, "commands", {})
        (commands.get(getattr(args, "command", None)) or parser).error(
            f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        from_environment()  # CPA_MAX_DIGITS=..., CPA_MAX_WORK=..., ...
        code = int(args.func(args) or 0)
        sys.stdout.flush()       # a closed pipe is reported here, not at the interpreter's exit
        return code
    except EnumerationLimitError as e:
        # cpa regions reports its own; this is any other enumeration (cpa plot, --workers)
        print(f"cpa {args.command}: stopped: {_one_line(e)}{_partial(e)}", file=sys.stderr)
        return 3
    except CPAError as e:
        _error(args.command, e)
        return 1 if isinstance(e.__context__, OSError) else 2   # "cannot read/write ...": a file error
    except BrokenPipeError:
        # stdout closed early (cpa ... | head): stop quietly, as other command-line tools do
        import os

        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):   # stdout without a file descriptor
            pass
        return 141
    except OSError as e:
        _error(args.command, _file_error(e))
        return 1
    except MemoryError as e:
        # a last resort: the engines stop at max_memory with an EnumerationLimitError first
        print(f"cpa {args.command}: stopped: out of memory{_partial(e)}; lower the work (a smaller --box, "
              f"--max-regions) or the memory held (--max-memory, --workers)", file=sys.stderr)
        return 3
    except ValueError as e:
        _error(args.command, e)
        return 2
    except (RecursionError, OverflowError) as e:
        # a last resort: the readers refuse such input with a LimitError before it gets here
        what = {RecursionError: "the input is nested too deeply",
                OverflowError: "a number is out of range"}[type(e)]
        _error(args.command, f"{what} ({type(e).__name__}: {e})")
        return 2
    except KeyboardInterrupt:
        print(f"cpa {args.command}: interrupted", file=sys.stderr)
        return 130


def _one_line(e: object) -> str:
    from ..numbers import abbreviate

    return abbreviate(e, 2000)


def _partial(e: BaseException) -> str:
    """`` (partial count N)`` from an exception that carries one, `` (no partial count)`` otherwise."""
    for attr in ("count", "partial_regions"):
        n = getattr(e, attr, None)
        if isinstance(n, int):
            return f" (partial count {n})"
    return " (no partial count)"


def _file_error(e: OSError) -> str:
    """``NAME: what is wrong`` for an OSError that names a file; its text otherwise."""
    if e.filename is not None and e.strerror:
        text = e.strerror[:1].lower() + e.strerror[1:]
        return f"{e.filename}: {text}"
    return str(e) or type(e).__name__


def _error(command: str, e: object) -> None:
    """One line on stderr: an error message is abbreviated and kept on one line."""
    from ..numbers import abbreviate

    print(f"cpa {command}: error: {abbreviate(e, 2000)}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
