"""Limits on the size of numbers and on the work a request implies.

Exact arithmetic has no overflow, so hostile or mistaken input can ask for
unbounded work instead: ``1e99999999`` is a number of a hundred million
digits, ``9**9**9`` one of 370 million, an expression nested ten thousand
deep exhausts Python's stack.  Every place where cpa reads a number or a
structure checks it against the limits below and refuses what is beyond them
with a :class:`~cpa.errors.LimitError` that names the limit and how to raise it.

The limits are process-wide and can be changed::

    import cpa.limits
    cpa.limits.set_limits(max_digits=200_000)

or temporarily with ``with cpa.limits.limits(max_digits=200_000): ...``.  The
command line reads them from environment variables named after the limit,
``CPA_MAX_DIGITS=200000 cpa eval ...`` (see :func:`from_environment`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, fields, replace
from typing import Iterator

from .errors import ArgumentError, LimitError

__all__ = ["Limits", "current", "set_limits", "limits", "check_digits", "check_int", "check_work", "refuse",
           "from_environment"]


@dataclass(frozen=True)
class Limits:
    """The limits in force (see the module docstring).

    Attributes
    ----------
    max_digits
        Decimal digits of one integer, numerator or denominator that cpa reads or
        builds from text (``"1e400"`` has 401; Python itself refuses more than 4300
        in ``int(str)`` unless told otherwise).
    max_exponent
        Largest ``|e|`` of a decimal exponent ``1eN`` or of a power ``a**e`` in an expression.
    max_nesting
        Deepest nesting of an expression or of a JSON document.
    max_work
        Largest number of elementary steps a closed-form request may imply (for
        example the exact sums behind ``cpa bounds``).
    max_file_bytes
        Largest size in bytes of data cpa decompresses or reads from one file (array
        payloads, ONNX external data).
    """

    max_digits: int = 100_000
    max_exponent: int = 100_000
    max_nesting: int = 100
    max_work: int = 10_000_000
    max_file_bytes: int = 2 * 1024 ** 3


_current = Limits()


def current() -> Limits:
    """The limits in force."""
    return _current


def set_limits(**changes: int) -> Limits:
    """Change some limits for the whole process; returns the previous ones.

    Parameters
    ----------
    **changes
        New values of limits by name (``max_digits=...``, ...), each a positive integer.

    Returns
    -------
    Limits
        The limits in force before the change.

    Raises
    ------
    ArgumentError
        If a name is not a limit or a value is not a positive integer.

    Examples
    --------
    >>> old = set_limits(max_digits=200_000)
    >>> current().max_digits
    200000
    >>> _ = set_limits(**old.__dict__)
    """
    global _current
    names = {f.name for f in fields(Limits)}
    for k, v in changes.items():
        if k not in names:
            raise ArgumentError(f"unknown limit {k!r}; the limits are {', '.join(sorted(names))}")
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ArgumentError(f"limit {k} must be a positive integer, got {v!r}")
    old = _current
    _current = replace(_current, **changes)
    return old


@contextlib.contextmanager
def limits(**changes: int) -> Iterator[Limits]:
    """Context manager: the limits changed inside the block, restored after.

    Parameters
    ----------
    **changes
        New values of limits by name, as for :func:`set_limits`.

    Yields
    ------
    Limits
        The limits in force inside the block.

    Raises
    ------
    ArgumentError
        If a name is not a limit or a value is not a positive integer.
    """
    old = set_limits(**changes)
    try:
        yield _current
    finally:
        set_limits(**old.__dict__)


def from_environment(environ: "os._Environ[str] | dict[str, str] | None" = None) -> Limits:
    """Set the limits named by environment variables ``CPA_MAX_DIGITS``, ``CPA_MAX_WORK``, ...

    Each variable holds a positive integer (``1e8`` and ``10_000_000`` are accepted too).
    Used by the command line at start-up; returns the previous limits.

    Parameters
    ----------
    environ
        The environment to read, or None for :data:`os.environ`.

    Returns
    -------
    Limits
        The limits in force before the change.

    Raises
    ------
    ArgumentError
        If a variable does not hold a positive integer.
    """
    env = os.environ if environ is None else environ
    changes = {}
    for f in fields(Limits):
        var = _env_name(f.name)
        text = env.get(var)
        if text is None or not text.strip():
            continue
        changes[f.name] = _positive_int(text, var)
    return set_limits(**changes)


def _env_name(limit: str) -> str:
    return "CPA_" + limit.upper()


def _positive_int(text: str, var: str) -> int:
    t = text.strip().replace("_", "")
    bad = ArgumentError(f"environment variable {var}={text[:40]!r} must be a positive integer, such as 1000000 or 1e6")
    if not t.isascii() or len(t) > 30:
        raise bad
    mantissa, _, exp = t.lower().partition("e")
    if not mantissa.isdigit() or (exp and not exp.isdigit()) or (exp and int(exp) > 18):
        raise bad
    value = int(mantissa) * 10 ** int(exp or 0)
    if value < 1:
        raise bad
    return value


def refuse(what: str, limit: str, value: object) -> LimitError:
    """The :class:`LimitError` for ``what`` exceeding ``limit`` (to be raised by the caller).

    The message names the limit, its value and both ways to raise it: in Python and,
    for the command line, the environment variable.

    Parameters
    ----------
    what
        What exceeds the limit, at the start of the message.
    limit
        The name of the limit (``"max_digits"``, ...).
    value
        What ``what`` amounts to, shown in the message.

    Returns
    -------
    LimitError
        The error, not raised.
    """
    cap = getattr(_current, limit)
    return LimitError(f"{what} exceeds the limit {limit}={cap} (got {value}); if this is intended, raise it "
                      f"with cpa.limits.set_limits({limit}=...) or, on the command line, the environment "
                      f"variable {_env_name(limit)}=...", limit=limit)


def check_digits(n_digits: int, what: str = "a number") -> None:
    """Refuse a number of more than ``max_digits`` decimal digits.

    Parameters
    ----------
    n_digits
        The number of decimal digits of the number.
    what
        What the number is, named in the message.

    Raises
    ------
    LimitError
        If ``n_digits`` exceeds ``max_digits``.
    """
    if n_digits > _current.max_digits:
        raise refuse(what, "max_digits", f"{n_digits} digits")


def check_int(n: int, what: str = "an integer") -> int:
    """Refuse an integer whose decimal form would have more than ``max_digits`` digits; return it.

    Parameters
    ----------
    n
        The integer.
    what
        What the integer is, named in the message.

    Returns
    -------
    int
        ``n``.

    Raises
    ------
    LimitError
        If ``n`` would have more than ``max_digits`` digits.
    """
    # bit_length * log10(2) overestimates the digit count by less than one
    if n.bit_length() * 0.30103 > _current.max_digits:
        raise refuse(what, "max_digits", f"about {int(n.bit_length() * 0.30103) + 1} digits")
    return n


def check_work(steps: float, what: str = "this request") -> None:
    """Refuse a request whose estimated number of elementary steps exceeds ``max_work``.

    ``steps`` may be a float (an estimate, possibly ``inf``).

    Parameters
    ----------
    steps
        The estimated number of elementary steps.
    what
        The request, named in the message.

    Raises
    ------
    LimitError
        If ``steps`` exceeds ``max_work`` (or is NaN).
    """
    if not steps <= _current.max_work:
        shown = f"about {steps:.3g}" if steps != float("inf") else "an astronomical number of"
        raise refuse(what, "max_work", f"{shown} steps")
