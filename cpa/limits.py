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

or temporarily with ``with cpa.limits.limits(max_digits=200_000): ...``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields, replace
from typing import Iterator

from .errors import ArgumentError, LimitError

__all__ = ["Limits", "current", "set_limits", "limits", "check_digits", "check_int", "refuse"]


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
    """Context manager: the limits changed inside the block, restored after."""
    old = set_limits(**changes)
    try:
        yield _current
    finally:
        set_limits(**old.__dict__)


def refuse(what: str, limit: str, value: object) -> LimitError:
    """The :class:`LimitError` for ``what`` exceeding ``limit`` (to be raised by the caller)."""
    cap = getattr(_current, limit)
    return LimitError(f"{what} exceeds the limit {limit}={cap} (got {value}); raise it with "
                      f"cpa.limits.set_limits({limit}=...) if this is intended", limit=limit)


def check_digits(n_digits: int, what: str = "a number") -> None:
    """Refuse a number of more than ``max_digits`` decimal digits."""
    if n_digits > _current.max_digits:
        raise refuse(what, "max_digits", f"{n_digits} digits")


def check_int(n: int, what: str = "an integer") -> int:
    """Refuse an integer whose decimal form would have more than ``max_digits`` digits; return it."""
    # bit_length * log10(2) overestimates the digit count by less than one
    if n.bit_length() * 0.30103 > _current.max_digits:
        raise refuse(what, "max_digits", f"about {int(n.bit_length() * 0.30103) + 1} digits")
    return n
