"""PyTorch models and state dicts <-> exact :class:`~cpa.network.ReLUNetwork`.

What is read
------------
* an ``nn.Sequential`` (nested ones are flattened) of ``nn.Linear`` (with or
  without bias), ``nn.ReLU``, ``nn.Flatten`` and ``nn.Identity``;
* a ``state_dict`` (a mapping ``name -> tensor``) of Linear layers only, with
  keys ``<prefix>.weight`` and optionally ``<prefix>.bias`` (``0.weight``,
  ``0.bias``, ``2.weight``, ...).  A state dict does not record the
  activations, so **a ReLU is assumed between every two consecutive Linear
  layers and none after the last** -- the layout of ``nn.Sequential(Linear,
  ReLU, ..., Linear)``, which is what :func:`save_torch` writes.

Exactness
---------
Weights are taken at their exact binary value: a float32 weight becomes the
dyadic rational it denotes (``0.1f`` is ``13421773/134217728``).  Consecutive
Linear layers with no ReLU between them are fused exactly
(``W = W_2 W_1``, ``b = W_2 b_1 + b_2``); Flatten and Identity are no-ops on
the flat feature vector of one example; a ReLU directly after a ReLU is
dropped (``relu o relu = relu``).

A trailing ReLU (the model's output goes through ReLU) is kept exactly: cpa
networks have no ReLU on the output, so an identity layer is appended,
``f(x) = I relu(z) + 0``.  The function is unchanged and the number of hidden
ReLU layers equals the number of ReLUs of the model.  A leading ReLU (on the
input) likewise becomes an identity first layer.

Everything else (Dropout, BatchNorm, Sigmoid, Conv, LeakyReLU, subclasses of
Sequential or Linear whose ``forward`` may differ, ...) is refused with one
:class:`~cpa.errors.UnsupportedLayerError` that lists every such layer.

Safety
------
:func:`load_torch` calls ``torch.load(path, weights_only=True)`` and nothing
else: a file holding anything other than tensors and containers is refused
without running any of its code.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import FormatError, InvalidNumberError, ShapeError, UnsupportedLayerError
from ..network import ReLUNetwork
from ..sparse import SparseMatrix
from ._deps import require
from ._floats import float_array, float_kind, fractions_of, representable

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["from_torch", "to_torch", "load_torch", "save_torch"]

_log = logging.getLogger("cpa")
_Affine = tuple[SparseMatrix, tuple[Fraction, ...]]


def from_torch(model: Any) -> ReLUNetwork:
    """Read an ``nn.Sequential`` or a ``state_dict`` as an exact ReLU network.

    Parameters
    ----------
    model
        An ``nn.Sequential`` of Linear, ReLU, Flatten and Identity layers
        (nested Sequential allowed), a single ``nn.Linear``, or a state dict
        (mapping of ``"<prefix>.weight"`` / ``"<prefix>.bias"`` to tensors) of
        Linear layers with a ReLU assumed between consecutive layers.

    Returns
    -------
    ReLUNetwork
        The same function with exact rational weights (floats at their exact
        binary value).

    Raises
    ------
    UnsupportedLayerError
        Listing every layer (position and type) or state-dict key that is not
        a Linear/ReLU/Flatten/Identity part.
    FormatError
        If there is no Linear layer, shapes do not chain, or a weight is NaN
        or infinite.
    MissingExtraError
        If torch is not installed.

    Notes
    -----
    See the module docstring for the treatment of trailing ReLUs, fused
    Linear layers and the state-dict convention.

    Examples
    --------
    >>> import torch.nn as nn                                       # doctest: +SKIP
    >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))  # doctest: +SKIP
    >>> from_torch(m).architecture                                  # doctest: +SKIP
    (2, 3, 1)
    """
    torch = require("torch")
    if isinstance(model, Mapping):
        return _from_state_dict(model, torch)
    nn = torch.nn
    if type(model) is nn.Linear:
        model = nn.Sequential(model)
    if not isinstance(model, nn.Sequential):
        raise FormatError(
            f"from_torch needs an nn.Sequential or a state_dict, got {type(model).__name__}: "
            "its forward() cannot be read; if it is a Linear/ReLU chain pass model.state_dict()")
    leaves: list[tuple[str, Any]] = []
    bad: list[str] = []
    _flatten_modules(model, "", leaves, bad, nn)
    if bad:
        raise UnsupportedLayerError(
            f"cannot convert the model: {len(bad)} unsupported layer{'s' if len(bad) > 1 else ''}: "
            + "; ".join(bad) + " (supported: Linear, ReLU, Flatten, Identity, nested Sequential)")
    ops: list[tuple[str, str, Any]] = []
    for name, m in leaves:
        if type(m) is nn.Linear:
            ops.append(("linear", name, _linear_affine(name, m.weight, m.bias)))
        elif type(m) is nn.ReLU:
            ops.append(("relu", name, None))
    return _chain(ops)


def to_torch(net: ReLUNetwork, dtype: Any = None) -> "torch.nn.Sequential":
    """Build ``nn.Sequential(Linear, ReLU, ..., Linear)`` computing ``net``.

    Parameters
    ----------
    net
        The network.
    dtype
        ``torch.float64`` (default) or ``torch.float32``.

    Returns
    -------
    torch.nn.Sequential
        Linear layers at even positions ``0, 2, 4, ...``, ReLU between them.
        Each weight is rounded to the nearest float of ``dtype``; when that
        changes a weight a warning is logged (check beforehand with
        :func:`cpa.io.representable`).

    Raises
    ------
    FormatError
        If a weight is outside the range of ``dtype``.
    """
    require("torch")
    kind = float_kind(dtype)
    if not representable(net, kind):
        _log.warning("to_torch: some weights are not %s numbers and were rounded", kind)
    return _build_sequential(net, kind)


def load_torch(path: str | os.PathLike[str]) -> ReLUNetwork:
    """Read a ``torch.save``-d state dict with ``torch.load(path, weights_only=True)``.

    Parameters
    ----------
    path
        A ``.pt``/``.pth`` file holding a state dict (see :func:`from_torch`
        for the layout), or a checkpoint dict whose ``"state_dict"`` or
        ``"model_state_dict"`` entry is one.

    Returns
    -------
    ReLUNetwork

    Raises
    ------
    FormatError
        If the file holds anything but tensors and plain containers (such a
        file is refused without running any of its code: the whole pickle
        is read by torch's weights-only unpickler), a whole pickled module,
        or is not a torch file.
    UnsupportedLayerError
        If the state dict holds parameters of non-Linear layers.
    """
    torch = require("torch")
    import pickle

    name = os.fspath(path)
    if not os.path.isfile(name):
        raise FileNotFoundError(2, "no such network file", name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = torch.load(name, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as e:
        m = re.search(r"Unsupported global: GLOBAL (\S+)", str(e))
        what = f" (it references {m.group(1)})" if m else ""
        raise FormatError(
            f"{name!r}: refused: the file holds objects other than tensors{what}; unpickling "
            "it could run code, so it is not loaded. Save model.state_dict() instead") from None
    except Exception as e:  # torch raises many types on corrupt files
        raise FormatError(f"{name!r} is not a readable torch state_dict file "
                          f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None
    if isinstance(obj, Mapping):
        for key in ("state_dict", "model_state_dict"):
            if key in obj and isinstance(obj[key], Mapping):
                obj = obj[key]
                break
        return _from_state_dict(obj, torch, name)
    raise FormatError(f"{name!r} holds a {type(obj).__name__}, expected a state_dict (a mapping of tensors)")


def save_torch(net: ReLUNetwork, path: str | os.PathLike[str], dtype: Any = None) -> bool:
    """Save ``to_torch(net, dtype).state_dict()`` with ``torch.save``.

    Keys are ``0.weight, 0.bias, 2.weight, 2.bias, ...``, readable by
    :func:`load_torch` and by ``nn.Sequential.load_state_dict``.

    Returns
    -------
    bool
        True when every weight was written exactly (otherwise a warning is logged).
    """
    torch = require("torch")
    kind = float_kind(dtype)
    exact = representable(net, kind)
    if not exact:
        _log.warning("save_torch(%s): some weights are not %s numbers and were rounded", path, kind)
    torch.save(_build_sequential(net, kind).state_dict(), os.fspath(path))
    return exact


# --- private helpers ---------------------------------------------------------

def _build_sequential(net: ReLUNetwork, kind: str) -> Any:
    import torch

    tdtype = torch.float32 if kind == "float32" else torch.float64
    mods: list[Any] = []
    for i, (W, b) in enumerate(net.layers):
        n_out, n_in = net.affine_layers[i].W.shape
        lin = torch.nn.Linear(n_in, n_out, bias=True, dtype=tdtype)
        Wf = float_array(W, kind, f"layer {i} W").reshape(n_out, n_in)
        bf = float_array(b, kind, f"layer {i} b")
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(Wf))
            lin.bias.copy_(torch.from_numpy(bf))
        if mods:
            mods.append(torch.nn.ReLU())
        mods.append(lin)
    return torch.nn.Sequential(*mods)


def _flatten_modules(m: Any, prefix: str, leaves: list[tuple[str, Any]], bad: list[str], nn: Any) -> None:
    supported = (nn.Linear, nn.ReLU, nn.Flatten, nn.Identity)
    if _has_hooks(m):
        bad.append(f"{prefix.rstrip('.') or '(the model)'} ({type(m).__name__} with forward hooks)")
    for name, child in m.named_children():
        where = f"{prefix}{name}"
        if type(child) is nn.Sequential:
            _flatten_modules(child, where + ".", leaves, bad, nn)
        elif type(child) in supported:
            if type(child) is nn.Linear and _uninitialized(child.weight):
                bad.append(f"{where} (Linear with uninitialized weights)")
            elif _has_hooks(child):
                bad.append(f"{where} ({type(child).__name__} with forward hooks)")
            else:
                leaves.append((where, child))
        else:
            bad.append(f"{where} ({type(child).__name__})")


def _has_hooks(m: Any) -> bool:
    return bool(getattr(m, "_forward_hooks", None) or getattr(m, "_forward_pre_hooks", None))


def _uninitialized(p: Any) -> bool:
    return type(p).__name__.startswith("Uninitialized")


def _linear_affine(where: str, weight: Any, bias: Any) -> _Affine:
    W = _exact_array(where + ".weight", weight)
    if W.ndim != 2:
        raise FormatError(f"{where}.weight has shape {tuple(W.shape)}, expected a 2-D Linear weight")
    m, n = W.shape
    Ws = SparseMatrix.from_dense([list(r) for r in W], n) if m else SparseMatrix.zeros(0, n)
    if bias is None:
        b: tuple[Fraction, ...] = (Fraction(0),) * m
    else:
        bv = _exact_array(where + ".bias", bias)
        if bv.shape != (m,):
            raise FormatError(f"{where}.bias has shape {tuple(bv.shape)}, expected ({m},) to match the weight")
        b = tuple(bv.tolist())
    return Ws, b


def _exact_array(where: str, t: Any) -> np.ndarray:
    import torch

    if not isinstance(t, torch.Tensor):
        raise FormatError(f"{where} is a {type(t).__name__}, expected a tensor")
    t = t.detach()
    if t.is_complex():
        raise FormatError(f"{where} is complex")
    if t.dtype == torch.bool:
        raise FormatError(f"{where} is a bool tensor, expected numbers")
    try:
        if t.layout != torch.strided:
            t = t.to_dense()
        if t.dtype.is_floating_point:
            t = t.to(torch.float64)         # exact: every float16/bfloat16/float32 is a float64
        arr = t.cpu().numpy()
    except (RuntimeError, NotImplementedError, TypeError) as e:
        raise FormatError(f"{where}: cannot read the tensor's values ({e})") from None
    return fractions_of(arr, where)


def _compose(outer: _Affine, inner: _Affine) -> _Affine:
    """Exact ``outer o inner``: ``(W2 W1, W2 b1 + b2)``."""
    W2, b2 = outer
    W1, b1 = inner
    W = W2.matmul(W1)
    b = tuple(s + c for s, c in zip(W2.apply(b1), b2))
    return W, b


def _identity(n: int) -> _Affine:
    return SparseMatrix.identity(n), (Fraction(0),) * n


def _chain(ops: list[tuple[str, str, Any]]) -> ReLUNetwork:
    """Turn a list of ("linear", name, (W, b)) / ("relu", name, None) into a network."""
    linear = [a for kind, _, a in ops if kind == "linear"]
    if not linear:
        raise FormatError("the model has no Linear layer, so its input dimension is unknown")
    dim = linear[0][0].shape[1]
    layers: list[_Affine] = []
    pending: _Affine | None = None      # affine map since the last ReLU (None = identity)
    for kind, name, aff in ops:
        if kind == "linear":
            W, _ = aff
            if W.shape[1] != dim:
                raise FormatError(f"layer {name} (Linear) takes {W.shape[1]} inputs but receives {dim}")
            pending = aff if pending is None else _compose(aff, pending)
            dim = W.shape[0]
        elif pending is None and layers:
            continue                    # relu(relu(z)) = relu(z)
        else:
            layers.append(pending if pending is not None else _identity(dim))
            pending = None
    layers.append(pending if pending is not None else _identity(dim))
    try:
        return ReLUNetwork(layers)
    except (ShapeError, InvalidNumberError) as e:
        raise FormatError(f"malformed model: {e}") from None


_PARAM = re.compile(r"^(?P<prefix>.*)\.(?P<kind>weight|bias)$")


def _from_state_dict(sd: Mapping[Any, Any], torch: Any, source: str = "state_dict") -> ReLUNetwork:
    groups: dict[str, dict[str, Any]] = {}
    problems: dict[str, list[str]] = {}     # layer prefix -> what is wrong, in key order
    for key, value in sd.items():
        m = _PARAM.match(key) if isinstance(key, str) else None
        if m is None:
            prefix, _, leaf = str(key).rpartition(".")
            problems.setdefault(prefix or str(key), []).append(f"{leaf or key} (not a Linear parameter)")
        elif not isinstance(value, torch.Tensor):
            problems.setdefault(m.group("prefix"), []).append(
                f"{m.group('kind')} is a {type(value).__name__}, not a tensor")
        else:
            groups.setdefault(m.group("prefix"), {})[m.group("kind")] = value
    for prefix, g in groups.items():
        w = g.get("weight")
        if w is None:
            problems.setdefault(prefix, []).append("bias without a weight")
        elif w.dim() != 2:
            problems.setdefault(prefix, []).append(
                f"weight of shape {tuple(w.shape)}, not a Linear weight")
    if problems:
        listed = "; ".join(f"layer {p!r}: {', '.join(v)}" for p, v in problems.items())
        raise UnsupportedLayerError(
            f"{source}: cannot read as a Linear/ReLU chain: {len(problems)} "
            f"layer{'s are' if len(problems) > 1 else ' is'} not Linear: {listed}")
    if not groups:
        raise FormatError(f"{source}: empty state_dict, no Linear layer")
    prefixes = list(groups)
    numeric = [_int_key(p) for p in prefixes]
    if all(k is not None for k in numeric):
        prefixes = [p for _, p in sorted(zip(numeric, prefixes))]
    ops: list[tuple[str, str, Any]] = []
    for i, p in enumerate(prefixes):
        if i:
            ops.append(("relu", f"(assumed ReLU before {p})", None))
        ops.append(("linear", p, _linear_affine(p, groups[p]["weight"], groups[p].get("bias"))))
    return _chain(ops)


def _int_key(prefix: str) -> tuple[int, ...] | None:
    """``"3"`` -> (3,), ``"1.0"`` -> (1, 0); None unless every part is a number."""
    parts = prefix.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None
