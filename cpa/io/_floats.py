"""Exact Fractions <-> binary floats for the float formats (npz, ONNX, PyTorch).

Reading is always exact: a float32 or float64 weight is the dyadic rational
it denotes.  Writing rounds each Fraction to the nearest float of the target
type (through float64, so a tie can in rare cases round twice); the
functions here say whether that rounding changed anything.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Iterable

import numpy as np

from ..errors import FormatError
from ..network import ReLUNetwork

__all__ = ["float_kind", "is_representable", "representable", "fractions_of", "float_array"]

_ALIASES = {"float": "float64", "double": "float64", "float64": "float64",
            "float32": "float32", "single": "float32"}


def float_kind(dtype: Any) -> str:
    """Normalise a dtype (``"float32"``, ``np.float64``, ``torch.float32``, ...) to ``"float32"``/``"float64"``.

    ``None`` means float64.

    Raises
    ------
    FormatError
        For any other dtype.
    """
    if dtype is None:
        return "float64"
    text = str(dtype)
    if isinstance(dtype, str):
        name = dtype.lower()
    elif text.startswith("torch."):
        name = text[len("torch."):]
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = text
    if name in _ALIASES:
        return _ALIASES[name]
    raise FormatError(f"unsupported float type {dtype!r}; use float32 or float64")


def is_representable(v: Fraction, kind: str = "float64") -> bool:
    """True when the Fraction ``v`` is exactly a finite ``kind`` float."""
    if v.denominator & (v.denominator - 1):       # not a power of two
        return False
    try:
        f = float(v)
    except OverflowError:
        return False
    if kind == "float32":
        with np.errstate(over="ignore"):
            f32 = np.float32(f)
        if not math.isfinite(f32):
            return False
        f = float(f32)
    return Fraction(f) == v


def representable(net: ReLUNetwork, dtype: Any = "float64") -> bool:
    """True when every weight and bias of ``net`` is exactly a ``dtype`` float.

    Parameters
    ----------
    net
        The network.
    dtype
        ``"float32"`` or ``"float64"`` (numpy or torch dtypes accepted).

    Examples
    --------
    >>> net = ReLUNetwork([([[1, 0.5]], [Fraction(1, 3)])])
    >>> representable(net)
    False
    """
    kind = float_kind(dtype)
    return all(is_representable(v, kind) for L in net.affine_layers
               for v in _values(L))


def _values(layer: Any) -> Iterable[Fraction]:
    for row in layer.W.rows:
        for _, v in row:
            yield v
    yield from layer.b


def float_array(rows: Any, kind: str, where: str) -> np.ndarray:
    """Round an exact matrix or vector of Fractions to a numpy array of ``kind``.

    Raises
    ------
    FormatError
        If an entry is outside the range of ``kind``; the message names the entry.
    """
    try:
        a = np.array(rows, dtype=np.float64)
    except OverflowError:
        a = None
    if a is not None and kind == "float32":
        with np.errstate(over="ignore"):
            a = a.astype(np.float32)
    if a is None or not np.all(np.isfinite(a)):
        _refuse_out_of_range(rows, kind, where)
    return a


def _refuse_out_of_range(rows: Any, kind: str, where: str) -> None:
    """Raise the FormatError naming the first entry of ``rows`` that ``kind`` cannot hold."""
    from ._guard import short

    top = np.finfo(np.float32 if kind == "float32" else np.float64).max
    flat = [((r, c), v) for r, row in enumerate(rows) for c, v in enumerate(row)] \
        if len(rows) and isinstance(rows[0], (tuple, list)) else [((r,), v) for r, v in enumerate(rows)]
    for index, v in flat:
        if abs(v) > top:
            entry = "".join(f"[{i}]" for i in index)
            raise FormatError(f"{where}{entry} = {short(v, 40)} is beyond the {kind} range "
                              f"(largest finite {kind} is about {float(top):.3g}); {kind} cannot hold it, "
                              "use the exact .json format")
    raise FormatError(f"{where}: a weight is too large for {kind}")


def fractions_of(a: Any, where: str) -> np.ndarray:
    """Exact Fractions of a numeric numpy array (an object array of the same shape).

    Floats of any width become the dyadic rational they denote; integers stay integers.

    Raises
    ------
    FormatError
        For NaN, infinities, or a non-numeric dtype.
    """
    arr = np.asarray(a)
    if arr.dtype.kind == "V":                     # ml_dtypes: bfloat16, float8_*, int4, ...
        name = arr.dtype.name
        if name.startswith(("bfloat", "float")):
            arr = arr.astype(np.float64)          # exact: narrower than float32
        elif name.startswith(("int", "uint")):
            arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iuf":
        raise FormatError(f"{where}: dtype {arr.dtype} is not a real number type")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise FormatError(f"{where}: contains NaN or infinite values")
        if arr.dtype.itemsize <= 8:
            flat = [Fraction(v) for v in arr.astype(np.float64).ravel().tolist()]   # exact for float16/32/64
        else:                                      # long double: exact, not through float64
            flat = [Fraction(*v.as_integer_ratio()) for v in arr.astype(np.longdouble).ravel()]
    else:
        flat = [Fraction(int(v)) for v in arr.ravel().tolist()]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(arr.shape)
