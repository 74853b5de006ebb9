"""An ``nn.Sequential`` in evaluation mode as a chain of exact steps (:mod:`cpa.fold`).

The modules are matched against the shared table :data:`cpa.fold.table.RULES`
by their exact class (a subclass may override ``forward``, so it is not read);
this module knows only where each row's parameters live in a torch module.
Every module that cannot be read is reported at once, with its position and
the reason: not in the table, in training mode (Dropout, BatchNorm), a final
Softmax, hooks, uninitialized weights, ...

Hyperparameters are taken at the value torch applies: torch casts a LeakyReLU
slope and Hardtanh bounds to the tensor's float type, so they are rounded to
the model's float type (float32 or float64) before being read exactly; a
BatchNorm's ``sqrt(var + eps)`` is taken in the float type of its running
variance (:mod:`cpa.fold.batchnorm`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

import numpy as np

from .. import limits
from ..affine import Affine
from ..errors import FormatError, ShapeError, UnsupportedLayerError
from ..fold import Concat, MaxPool, ScaleShift, Step, Sum, per_channel, torch_rule
from ..fold.table import LOGITS_LAYERS, NOT_PIECEWISE_AFFINE, RULES, TRAINING_SENSITIVE, FoldRule
from ..sparse import SparseMatrix
from ._floats import fractions_of
from ._guard import short

__all__ = ["sequential_to_steps", "leaves_to_steps", "Branches", "Scalar", "linear_affine", "exact_array",
           "SUPPORTED_MODULES"]

#: the torch.nn classes read (every name of the table's torch column)
SUPPORTED_MODULES: tuple[str, ...] = tuple(n for r in RULES.values() for n in r.torch)


class _Refused(Exception):
    """A module that cannot be read; the message is the reason (after ``where (Type)``)."""


class _Lost(Exception):
    """A module that needs the tensor shape, after a refused module lost it (not reported again)."""


#: the shape after a refused module: unknown, and not worth a second message
_LOST: tuple[int, ...] = (-1,)


def sequential_to_steps(model: Any, torch: Any, input_shape: Sequence[int] | None = None) -> list[Step]:
    """The exact steps of an ``nn.Sequential`` (nested ones are flattened), in order.

    Parameters
    ----------
    model
        The ``nn.Sequential``.
    torch
        The torch module.
    input_shape
        The shape of one example without the batch dimension (``(C, H, W)``),
        needed when the model has convolutions or poolings; None when unknown.

    Returns
    -------
    list of Step
        One step per module that computes something (Identity, Dropout and
        Flatten give none).

    Raises
    ------
    UnsupportedLayerError
        Listing every module that cannot be read, with its position, type and
        reason; when some are in training mode, the message says to call
        ``model.eval()``.
    FormatError
        For a Linear weight that cannot be read (NaN, wrong shape, ...).
    """
    nn = torch.nn
    leaves: list[tuple[str, Any]] = []
    problems: list[str] = []
    _flatten(model, "", leaves, problems, nn)
    return leaves_to_steps(leaves, problems, torch, input_shape, "nested Sequential")


def leaves_to_steps(leaves: list[tuple[str, Any]], problems: list[str], torch: Any,
                    input_shape: Sequence[int] | None = None, also: str = "") -> list[Step]:
    """The exact steps of a chain of leaf modules ``(position, module)``, applied in order.

    ``problems`` are refusals found before (by the caller's walk); they are
    reported together with those of the modules, in one
    :class:`~cpa.errors.UnsupportedLayerError`.  ``also`` names what else the
    caller reads, for the list of what is supported.  See
    :func:`sequential_to_steps`.
    """
    precision = _Precision(list(_modules(leaves)))
    flags: dict[str, bool] = {"training": False}
    shape: tuple[int, ...] | None = tuple(input_shape) if input_shape is not None else None
    steps, _ = _walk(leaves, shape, precision, problems, flags, torch.nn)
    training = flags["training"]
    if problems:
        n = len(problems)
        hint = ("; call model.eval() before reading it: in training mode Dropout is random and BatchNorm "
                "normalizes with the statistics of each batch" if training else "")
        raise UnsupportedLayerError(
            f"cannot convert the model: {n} unsupported layer{'s' if n > 1 else ''}: " + "; ".join(problems[:20])
            + (f"; ... and {n - 20} more" if n > 20 else "") + hint
            + f" (supported: {', '.join(SUPPORTED_MODULES)}{', ' + also if also else ''})")
    return steps


@dataclass(frozen=True)
class Branches:
    """A leaf standing for ``sum_i chain_i(x)`` (``how="add"``) or for ``(chain_1(x), ..., chain_k(x))``
    concatenated along the first axis of one example (``how="cat"``): chains of ``(position, module)`` on
    the same input.

    An empty chain is the identity (the skip connection of a residual block).
    """

    where: str
    chains: tuple[tuple[tuple[str, Any], ...], ...]
    how: str = "add"
    dim: int = 1        # of a concatenation: 1, or -1 (the same on a flat tensor)


@dataclass(frozen=True)
class Scalar:
    """A leaf standing for ``x * c`` (or ``x / c`` when ``divide``) with a constant Python number ``c``.

    Torch applies ``c`` in the tensor's float type, so it is rounded to the
    model's float type before being read exactly.
    """

    c: float
    divide: bool = False


def linear_affine(where: str, weight: Any, bias: Any) -> Affine:
    """The exact affine map of a Linear layer's ``weight`` (``m x n``) and ``bias`` (``m``, or None).

    Raises
    ------
    FormatError
        If the weight is not 2-D or has no rows, the bias does not fit, or a
        value is NaN, infinite or not a real number.
    """
    W = exact_array(where + ".weight", weight)
    if W.ndim != 2:
        raise FormatError(f"{where}.weight has shape {tuple(W.shape)}, expected a 2-D Linear weight")
    m, n = W.shape
    Ws = SparseMatrix.from_dense([list(r) for r in W], n) if m else SparseMatrix.zeros(0, n)
    if bias is None:
        b: tuple[Fraction, ...] = (Fraction(0),) * m
    else:
        bv = exact_array(where + ".bias", bias)
        if bv.shape != (m,):
            raise FormatError(f"{where}.bias has shape {tuple(bv.shape)}, expected ({m},) to match the weight")
        b = tuple(bv.tolist())
    if not m:
        raise FormatError(f"{where}.weight has no rows: a Linear layer needs at least one output")
    return Affine(Ws, b)


def exact_array(where: str, t: Any) -> np.ndarray:
    """The exact values of a tensor (an object array of Fractions of the same shape).

    Raises
    ------
    FormatError
        If ``t`` is not a tensor, is complex or bool, or holds NaN or infinities.
    LimitError
        If reading it as float64 would exceed ``max_file_bytes``.
    """
    import torch

    if not isinstance(t, torch.Tensor):
        raise FormatError(f"{where} is a {type(t).__name__}, expected a tensor")
    t = t.detach()
    if t.numel() * 8 > limits.current().max_file_bytes:   # read as float64: a stride-0 view can be huge
        raise limits.refuse(f"{where} (shape {short(tuple(t.shape), 60)}, {t.numel()} entries)",
                            "max_file_bytes", f"{t.numel() * 8} bytes as float64")
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


# --- the walk ------------------------------------------------------------------------

def _modules(leaves: Sequence[tuple[str, Any]]) -> Any:
    for where, m in leaves:
        if isinstance(m, Branches):
            for chain in m.chains:
                yield from _modules(chain)
        elif not isinstance(m, Scalar):
            yield where, m


def _walk(leaves: Sequence[tuple[str, Any]], shape: Any, precision: "_Precision", problems: list[str],
          flags: dict[str, bool], nn: Any) -> tuple[list[Step], Any]:
    """The steps of a chain of leaves and the shape after it; refusals go to ``problems``."""
    steps: list[Step] = []
    for k, (where, m) in enumerate(leaves):
        if isinstance(m, Branches):
            chains, shapes = [], []
            for chain in m.chains:
                sub, out = _walk(chain, shape, precision, problems, flags, nn)
                chains.append(tuple(sub))
                shapes.append(out)
            if m.how == "cat":
                shape = _cat_shape(where, shapes, m.dim, problems)
                if shape != _LOST:
                    steps.append(Step(where, "cat", Concat(tuple(chains))))
                continue
            known = {s for s in shapes if s is not None and s != _LOST}
            if len(known) > 1:
                problems.append(f"{where} adds values of shapes {', '.join(map(str, sorted(known)))}: "
                                "only sums of values of one shape are read (no broadcasting)")
                shape = _LOST
                continue
            shape = _LOST if _LOST in shapes else known.pop() if known else None
            steps.append(Step(where, "add", Sum(tuple(chains))))
            continue
        if isinstance(m, Scalar):
            try:
                c = precision.round(m.c, "a constant factor" if not m.divide else "a constant divisor")
                if m.divide and c == 0:
                    raise _Refused("divides by zero")
            except _Refused as e:
                problems.append(f"{where} {e}")
                continue
            steps.append(Step(where, "x / c" if m.divide else "x * c", RULES["scale"].build(1 / c if m.divide else c)))
            continue
        name = type(m).__name__
        rule = torch_rule(name) if getattr(nn, name, None) is type(m) else None
        if rule is None:
            problems.append(f"{where} ({name}){_why_not(name, k == len(leaves) - 1)}")
            shape = _LOST
            continue
        try:
            op, shape = _READERS[rule.op](m, where, rule, precision, shape)
        except _Lost:
            continue                                # the shape was lost at an earlier problem
        except _Refused as e:
            problems.append(f"{where} ({name}) {e}")
            shape = _LOST
            continue
        if name in TRAINING_SENSITIVE and m.training:
            problems.append(f"{where} ({name}) in training mode")
            flags["training"] = True
            continue
        if op is not None:
            steps.append(Step(where, name, op))
    return steps, shape


def _cat_shape(where: str, shapes: list[Any], dim: int, problems: list[str]) -> Any:
    """The shape of one example after concatenating values of ``shapes`` along their first axis."""
    if _LOST in shapes:
        return _LOST
    if dim == -1 and any(s is not None and len(s) != 1 for s in shapes):
        problems.append(f"{where} concatenates values of shapes {', '.join(map(str, shapes))} along dim=-1: "
                        "only the feature axis (dim=1, or -1 on flat values) is read")
        return _LOST
    if any(s is None for s in shapes):
        return None
    if len({s[1:] for s in shapes}) > 1 or any(not s for s in shapes):
        problems.append(f"{where} concatenates values of shapes {', '.join(map(str, shapes))} along dim=1: "
                        "their other dimensions differ")
        return _LOST
    return (sum(s[0] for s in shapes),) + tuple(shapes[0][1:])


def _flatten(m: Any, prefix: str, leaves: list[tuple[str, Any]], problems: list[str], nn: Any) -> None:
    if _has_hooks(m):
        problems.append(f"{prefix.rstrip('.') or '(the model)'} ({type(m).__name__} with forward hooks)")
    for name, child in m.named_children():
        where = f"{prefix}{name}"
        if type(child) is nn.Sequential:
            _flatten(child, where + ".", leaves, problems, nn)
        elif _has_hooks(child):
            problems.append(f"{where} ({type(child).__name__} with forward hooks)")
        else:
            leaves.append((where, child))


def _has_hooks(m: Any) -> bool:
    return bool(getattr(m, "_forward_hooks", None) or getattr(m, "_forward_pre_hooks", None))


def _why_not(name: str, last: bool) -> str:
    """The reason given after ``where (Type)`` for a module not in the table ("" if nothing to add)."""
    if name in LOGITS_LAYERS and last:
        return (" at the output: a network is read up to its logits (the final "
                f"{name} is not piecewise affine); read the model without it, e.g. model[:-1]")
    if name in NOT_PIECEWISE_AFFINE:
        return " not piecewise affine"
    return ""


class _Precision:
    """The model's float type, in which torch applies scalar hyperparameters (found on first use)."""

    def __init__(self, leaves: list[tuple[str, Any]]):
        self._leaves = leaves
        self._kind: str | None = None

    def kind(self) -> str:
        if self._kind is None:
            types = sorted({str(t.dtype).replace("torch.", "") for _, m in self._leaves
                            for t in list(m.parameters(recurse=False)) + list(m.buffers(recurse=False))
                            if t is not None and t.dtype.is_floating_point})
            if types not in (["float32"], ["float64"]):
                what = f"parameters of type {' and '.join(types)}" if types else "no float parameters"
                raise _Refused(f"in a model with {what}: the float type in which its hyperparameters are "
                               "applied is not known; convert the model with model.float() or model.double()")
            self._kind = types[0]
        return self._kind

    def round(self, v: Any, what: str, kind: str | None = None) -> Fraction:
        """``v`` rounded to ``kind`` (by default the model's float type), exactly (``0.1`` -> ``float32(0.1)``)."""
        x = float(v)
        if not np.isfinite(x):
            raise _Refused(f"has {what} = {x}, not a finite number")
        if (kind or self.kind()) == "float32":
            with np.errstate(over="ignore"):
                x32 = np.float32(x)
            if not np.isfinite(x32):
                raise _Refused(f"has {what} = {x}, beyond the float32 range")
            x = float(x32)
        return Fraction(x)


# --- one parameter reader per row of the table ----------------------------------------------

def _read_linear(m: Any, where: str, rule: FoldRule, p: _Precision, shape: Any) -> Any:
    if type(m.weight).__name__.startswith("Uninitialized"):
        raise _Refused("with uninitialized weights")
    if shape is not None and shape != _LOST and len(shape) > 1:
        raise _Refused(f"on a tensor of shape {shape}: Linear acts on the last dimension only; "
                       "put a Flatten before it")
    f = linear_affine(where, m.weight, m.bias)
    return f, (f.output_dim,)


def _read_plain(m: Any, where: str, rule: FoldRule, p: _Precision, shape: Any) -> Any:
    return rule.build(), shape  # type: ignore[misc]


def _read_leaky(m: Any, where: str, rule: FoldRule, p: _Precision, shape: Any) -> Any:
    return rule.build(p.round(m.negative_slope, "negative_slope")), shape  # type: ignore[misc]


def _read_clamp(m: Any, where: str, rule: FoldRule, p: _Precision, shape: Any) -> Any:
    lo, hi = p.round(m.min_val, "min_val"), p.round(m.max_val, "max_val")
    return rule.build(lo, hi), shape  # type: ignore[misc]


def _read_flatten(m: Any, where: str, rule: FoldRule, p: _Precision, shape: Any) -> Any:
    if (m.start_dim, m.end_dim) != (1, -1):
        raise _Refused(f"with start_dim={m.start_dim}, end_dim={m.end_dim}: only Flatten(start_dim=1, "
                       "end_dim=-1) is read, the identity on the flat features of one example")
    if shape is None or shape == _LOST:
        return None, shape
    return None, (int(np.prod(shape)),)


def _read_batch_norm(m: Any, where: str, rule: FoldRule, p: _Precision, shape: Any) -> Any:
    name = type(m).__name__
    if m.running_mean is None or m.running_var is None:
        raise _Refused("without running statistics (track_running_stats=False): it normalizes with the "
                       "statistics of each batch, also in eval mode, so it is not one fixed function")
    kind = str(m.running_var.dtype).replace("torch.", "")
    if kind not in ("float32", "float64"):
        raise _Refused(f"with {kind} running statistics: sqrt(var + eps) in {kind} is not modelled; "
                       "convert the model with model.float() or model.double()")
    rank = 2 if name == "BatchNorm2d" else None           # spatial rank + 1 of its input
    if shape == _LOST and rank is not None:
        raise _Lost
    if rank is not None and shape is None:
        raise _Refused(_NEEDS_SHAPE)
    if shape is not None and shape != _LOST and (len(shape) not in (1, 2) if rank is None else len(shape) != 3):
        raise _Refused(f"on a tensor of shape {shape}: expected "
                       f"{'(C, H, W)' if rank else '(C,) or (C, L)'}")
    mean = list(exact_array(f"{where}.running_mean", m.running_mean))
    var = list(exact_array(f"{where}.running_var", m.running_var))
    gamma = list(exact_array(f"{where}.weight", m.weight)) if m.weight is not None else None
    beta = list(exact_array(f"{where}.bias", m.bias)) if m.bias is not None else None
    try:
        f = rule.build(gamma, beta, mean, var, p.round(m.eps, "eps", kind), kind)  # type: ignore[misc]
    except FormatError as e:
        raise FormatError(f"layer {where} ({name}): {e}") from None
    if shape is not None and shape != _LOST and len(shape) > 1:
        if shape[0] != len(f.scale):
            raise _Refused(f"with {len(f.scale)} channels on a tensor of shape {shape}")
        f = ScaleShift(per_channel(f.scale, shape), per_channel(f.shift, shape))
    return f, shape


def _read_dropout_or_identity(m: Any, where: str, rule: FoldRule, p: _Precision, shape: Any) -> Any:
    return None, shape


def _spatial_input(m: Any, shape: Any) -> int:
    """The number of spatial dimensions of a Conv/Pool module; checks the tracked shape."""
    nd = int(type(m).__name__[-2])
    if shape == _LOST:
        raise _Lost
    if shape is None:
        raise _Refused(_NEEDS_SHAPE)
    if len(shape) != nd + 1:
        raise _Refused(f"on a tensor of shape {shape}: expected (C, {'L' if nd == 1 else 'H, W'}) "
                       "for one example")
    return nd


def _tuple(v: Any, nd: int, what: str) -> tuple[int, ...]:
    t = tuple(int(x) for x in v) if isinstance(v, (tuple, list)) else (int(v),) * nd
    if len(t) != nd:
        raise _Refused(f"with {what}={v}: expected {nd} entries")
    return t


def _read_conv(m: Any, where: str, rule: FoldRule, p: _Precision, shape: Any) -> Any:
    if type(m.weight).__name__.startswith("Uninitialized"):
        raise _Refused("with uninitialized weights")
    if m.padding_mode != "zeros":
        raise _Refused(f"with padding_mode={m.padding_mode!r}: only zero padding is read")
    nd = _spatial_input(m, shape)
    k, s, d = (_tuple(v, nd, w) for v, w in ((m.kernel_size, "kernel_size"), (m.stride, "stride"),
                                             (m.dilation, "dilation")))
    if m.padding == "valid":
        pb = pe = (0,) * nd
    elif m.padding == "same":
        total = [dd * (kk - 1) for dd, kk in zip(d, k)]
        pb = tuple(t // 2 for t in total)
        pe = tuple(t - t // 2 for t in total)
    else:
        pb = pe = _tuple(m.padding, nd, "padding")
    if shape[0] != m.in_channels:
        raise _Refused(f"with {m.in_channels} input channels on a tensor of shape {shape}")
    W = exact_array(f"{where}.weight", m.weight)
    b = list(exact_array(f"{where}.bias", m.bias)) if m.bias is not None else None
    try:
        return rule.build(W, b, shape, s, pb, pe, d, int(m.groups))  # type: ignore[misc]
    except ShapeError as e:
        raise _Refused(f"on a tensor of shape {shape}: {e}") from None


def _read_avg_pool(m: Any, where: str, rule: FoldRule, p: _Precision, shape: Any) -> Any:
    nd = _spatial_input(m, shape)
    k = _tuple(m.kernel_size, nd, "kernel_size")
    s = _tuple(m.stride if m.stride is not None else m.kernel_size, nd, "stride")
    pad = _tuple(m.padding, nd, "padding")
    try:
        return rule.build(shape, k, s, pad, bool(m.ceil_mode), bool(m.count_include_pad),  # type: ignore[misc]
                          getattr(m, "divisor_override", None))
    except ShapeError as e:
        raise _Refused(f"on a tensor of shape {shape}: {e}") from None


def _read_max_pool(m: Any, where: str, rule: FoldRule, p: _Precision, shape: Any) -> Any:
    nd = _spatial_input(m, shape)
    if m.return_indices:
        raise _Refused("with return_indices=True: it returns indices, not a tensor of maxima")
    k = _tuple(m.kernel_size, nd, "kernel_size")
    s = _tuple(m.stride if m.stride is not None else m.kernel_size, nd, "stride")
    pad, d = _tuple(m.padding, nd, "padding"), _tuple(m.dilation, nd, "dilation")
    try:
        windows, out = rule.build(shape, k, s, pad, d, bool(m.ceil_mode))  # type: ignore[misc]
    except ShapeError as e:
        raise _Refused(f"on a tensor of shape {shape}: {e}") from None
    return MaxPool(tuple(windows), int(np.prod(shape))), out


_NEEDS_SHAPE = ("needs the shape of the input, which the model does not fix: pass it, "
                "from_torch(model, input_shape=(C, H, W)) (one example, no batch dimension)")


#: row -> reader(module, position, row, precision, shape) -> (op or None, shape after it)
_READERS: dict[str, Callable[[Any, str, FoldRule, _Precision, Any], Any]] = {
    "affine": _read_linear,
    "relu": _read_plain,
    "leaky_relu": _read_leaky,
    "clamp": _read_clamp,
    "batch_norm": _read_batch_norm,
    "identity": _read_dropout_or_identity,
    "reshape": _read_flatten,
    "conv": _read_conv,
    "avg_pool": _read_avg_pool,
    "max_pool": _read_max_pool,
}
