"""Guards shared by the readers and writers: size limits, bounded JSON, short messages.

Every reader checks what it is about to read against :mod:`cpa.limits` *before*
allocating (file size, declared array sizes, number of digits, nesting depth),
and every error quotes user values through :func:`short`, so a message is one
line of bounded length.  Writers go through :func:`writing`, which turns a
failed write into one :class:`~cpa.errors.FormatError` that names the file.
"""

from __future__ import annotations

import contextlib
import json
import os
from fractions import Fraction
from typing import Any, Iterable, Iterator

from .. import limits
from ..errors import FormatError, InvalidNumberError, LimitError
from ..numbers import abbreviate, allow_int_str_digits, parse_rational_str, str_to_int

__all__ = ["short", "listing", "check_file_size", "parse_json", "read_json_file", "read_number",
           "number_text", "check_layers", "writing", "prefixed"]


def short(value: Any, limit: int = 60) -> str:
    """``value`` as text of at most about ``limit`` characters, on one line (for messages)."""
    return abbreviate(value, limit)


def listing(items: Iterable[Any], limit: int = 10) -> str:
    """``"a, b, c"``, or the first ``limit`` items and ``"... and N more"``; each item abbreviated."""
    items = list(items)
    shown = ", ".join(short(x, 40) for x in items[:limit])
    return shown if len(items) <= limit else f"{shown}, ... and {len(items) - limit} more"


def prefixed(where: str, e: Exception) -> Exception:
    """The same kind of cpa error with ``where: `` in front of its message."""
    if isinstance(e, LimitError):
        return LimitError(f"{where}: {e}", limit=e.limit)
    cls = type(e) if isinstance(e, FormatError) else FormatError
    return cls(f"{where}: {e}")


def check_file_size(name: str, what: str = "the file") -> int:
    """The size of ``name`` in bytes; :class:`LimitError` beyond ``max_file_bytes``."""
    size = os.path.getsize(name)
    if size > limits.current().max_file_bytes:
        raise limits.refuse(f"{what} {name!r} ({size} bytes)", "max_file_bytes", f"{size} bytes")
    return size


# --- JSON --------------------------------------------------------------------------

def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise FormatError(f"duplicate key {short(k, 40)!r} in a JSON object (which one is meant is unclear)")
        out[k] = v
    return out


def _json_int(text: str) -> int:
    return str_to_int(text, "a JSON integer")


def _check_depth(doc: Any, where: str) -> None:
    cap = limits.current().max_nesting
    stack = [(doc, 1)]
    while stack:
        x, depth = stack.pop()
        if depth > cap:
            raise limits.refuse(f"{where}: the nesting of the JSON document", "max_nesting", f"depth {depth}")
        children = x.values() if isinstance(x, dict) else x
        stack.extend((c, depth + 1) for c in children if isinstance(c, (list, dict)))


def parse_json(text: str, where: str) -> Any:
    """``json.loads`` with duplicate keys refused, integers read exactly up to ``max_digits``
    digits, and a nesting depth of at most ``max_nesting``.

    Raises
    ------
    FormatError
        Malformed JSON (``"malformed JSON {where}: ..."``) or a duplicate key.
    LimitError
        Too deep, or an integer with too many digits.
    """
    try:
        doc = json.loads(text, object_pairs_hook=_unique_keys, parse_int=_json_int)
    except RecursionError:
        raise limits.refuse(f"{where}: the nesting of the JSON document", "max_nesting",
                            "deeper than Python's recursion limit") from None
    except json.JSONDecodeError as e:
        raise FormatError(f"malformed JSON {where}: {e.msg} at line {e.lineno} column {e.colno}") from None
    except LimitError as e:
        raise prefixed(where, e) from None
    except (FormatError, InvalidNumberError) as e:
        raise FormatError(f"{where}: {e}") from None
    if isinstance(doc, (list, dict)):
        _check_depth(doc, where)
    return doc


def read_json_file(name: str, what: str = "JSON file") -> Any:
    """Read and parse a JSON file (UTF-8, optional BOM), refusing files over ``max_file_bytes``."""
    check_file_size(name, what)
    try:
        with open(name, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise FormatError(f"cannot read {what} {name!r}: {e.strerror or e}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FormatError(f"{name!r} is not a text (JSON) file: byte {e.start} is not UTF-8") from None
    return parse_json(text, repr(name))


# --- numbers ---------------------------------------------------------------------------

def read_number(v: Any, where: str) -> Fraction:
    """An exact number field of a JSON document: a ``"p/q"``/decimal string or an integer.

    Floats, bools, ``null``, lists and objects are refused with a message naming
    ``where`` (never quoting more than a few dozen characters of the value).
    """
    if isinstance(v, (str, int)) and not isinstance(v, bool):
        q = parse_rational_str(v, where)
        small = (limits.current().max_digits - 1) * 3.32   # fewer bits: at most max_digits digits
        if q.numerator.bit_length() > small or q.denominator.bit_length() > small:
            _check_digits(q.numerator, where)
            _check_digits(q.denominator, where)
        return q
    if isinstance(v, float):
        raise InvalidNumberError(f"{where}: the JSON number {short(v, 30)} is a float; write exact numbers "
                                 "as strings \"p/q\" (or integers) so no rounding is involved")
    kind = {bool: "a bool", type(None): "null", list: "a list", dict: "an object"}.get(type(v), type(v).__name__)
    raise InvalidNumberError(f"{where}: expected a number written as \"p/q\", got {kind}"
                             + (f" {short(json.dumps(v), 30)}" if isinstance(v, bool) else ""))


def _check_digits(n: int, where: str) -> None:
    """Refuse an integer of more than ``max_digits`` decimal digits (exactly, also at the boundary)."""
    cap = limits.current().max_digits
    estimate = n.bit_length() * 0.30103          # digits - 1 < estimate < digits + 0.31
    if estimate < cap - 1 or (estimate <= cap + 1 and abs(n) < 10 ** cap):
        return
    limits.check_digits(max(int(estimate), cap + 1), f"the number at {where}")


def number_text(q: Fraction, where: str) -> str:
    """Exact text ``"p/q"`` of ``q``; :class:`LimitError` naming ``where`` beyond ``max_digits`` digits."""
    _check_digits(q.numerator, where)
    _check_digits(q.denominator, where)
    if max(q.numerator.bit_length(), q.denominator.bit_length()) < 13_000:
        return str(q)                             # within Python's own int/str limit
    with allow_int_str_digits(limits.current().max_digits + 1):
        return str(q)


# --- networks --------------------------------------------------------------------------

def check_layers(net: Any, where: str) -> None:
    """Refuse a network with a layer of no outputs (cpa networks need at least one per layer).

    A network may have 0 inputs (a constant function); every format reads that back.
    """
    for i, L in enumerate(net.affine_layers):
        if L.W.shape[0] == 0:
            raise FormatError(f"{where}: layer {i} has no outputs (architecture {net.architecture}); "
                              "a layer needs at least one output")


@contextlib.contextmanager
def writing(path: Any, what: str = "network file") -> Iterator[str]:
    """Yield ``os.fspath(path)``; a failed write inside becomes one FormatError naming the file."""
    name = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(name))
    if not os.path.isdir(parent):
        raise FormatError(f"cannot write {what} {name!r}: the directory {parent!r} does not exist")
    try:
        yield name
    except OSError as e:
        raise FormatError(f"cannot write {what} {name!r}: {e.strerror or short(str(e), 200)}") from None
    except RuntimeError as e:  # torch.save reports I/O failures as RuntimeError
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise FormatError(f"cannot write {what} {name!r}: {short(first, 200)}") from None
