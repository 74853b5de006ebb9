"""PyTorch models and state dicts <-> exact :class:`~cpa.network.ReLUNetwork`.

What is read
------------
* an ``nn.Sequential`` in evaluation mode (nested ones are flattened) of the
  layers of the table :mod:`cpa.fold.table`, each folded exactly:

  - ``Linear`` (with or without bias): an affine map;
  - ``ReLU``;
  - ``Dropout`` (any ``p``, and its 1d/2d/3d/alpha kinds) and ``Identity``:
    dropped; ``Flatten()`` (``start_dim=1, end_dim=-1``): the identity on the
    flat features of one example (an input of shape ``(N, C, L)`` is read
    flattened in row-major order);
  - ``BatchNorm1d`` with running statistics (``affine`` or not): the exact
    map ``gamma (x - mean) / s + beta``, ``s = sqrt(var + eps)`` taken in the
    float type of ``running_var`` as torch does (:mod:`cpa.fold.batchnorm`),
    folded into the preceding Linear layer when no ReLU is between them,
    otherwise into the next one (``W' = W diag(scale)``,
    ``b' = b + W shift``); at the input or after the last ReLU with no
    Linear after it, it is an affine layer of its own composed with its
    neighbour;
  - ``LeakyReLU(a)``: ``relu(x) - a relu(-x)``, two ReLUs per feature (the
    hidden layer is twice as wide; ``a = 0`` is a ReLU, ``a = 1`` the
    identity); ``Hardtanh(lo, hi)`` and ``ReLU6``:
    ``relu(x - lo) - relu(x - hi) + lo``, two ReLUs per feature.  The width
    changes are logged (logger ``"cpa"``, level INFO);
  - ``Conv1d``/``Conv2d`` (any stride, zero padding including
    ``"same"``/``"valid"``, dilation, groups, with or without bias) and
    ``AvgPool1d``/``AvgPool2d`` (``ceil_mode``, ``count_include_pad``,
    ``divisor_override`` as torch): unrolled into exact sparse affine maps of
    the input flattened in row-major order (:mod:`cpa.fold.conv`);
    ``BatchNorm2d`` (and ``BatchNorm1d`` on ``(C, L)``) per channel;
  - ``MaxPool1d``/``MaxPool2d`` (stride, padding, dilation, ``ceil_mode``):
    the max of each window of ``k`` entries as ``ceil(log2 k)`` extra hidden
    layers of ``max(a, b)`` gadgets (:mod:`cpa.fold.maxpool`); the depth
    increase is logged.

* any other ``nn.Module``: traced with ``torch.fx.symbolic_trace``
  (:mod:`cpa.io.fx_to_steps`); the traced ``forward`` must be a chain of the
  layers above (as modules, or ``torch.relu``/``F.relu``, ``torch.flatten``,
  ``x.view(x.size(0), -1)``, ``F.max_pool2d``, ...), with residual sums
  ``x + f(x)`` allowed; an untraceable ``forward`` and every operation
  outside the table are refused at once, each named by its node.

  Convolutions and poolings need the shape of one example, which a module
  does not record: pass ``input_shape=(C, H, W)``.  The shape is then
  tracked through the chain (``Flatten`` makes it flat, so a following
  ``Linear`` lines up with the row-major order).

  A model in training mode is refused when it matters (Dropout or BatchNorm
  present), with a message saying to call ``model.eval()``.  The slope and
  bounds are taken at the value torch applies: rounded to the model's float
  type (``LeakyReLU(0.1)`` in a float32 model has slope ``float32(0.1)``);
* a ``state_dict`` (a mapping ``name -> tensor``) of Linear layers only, with
  keys ``<name>.weight`` and optionally ``<name>.bias``, in the layout below.

State dicts
-----------
A state dict records parameters only: it cannot tell which parameter-free
modules (ReLU, Dropout, Flatten, Sigmoid, ...) sit between, before or after
the Linear layers.  So it is read only in one explicit layout, the one
:func:`save_torch` writes: the state dict of ``nn.Sequential(Linear, ReLU,
Linear, ReLU, ..., Linear)``, i.e. Linear layers at Sequential indices
**0, 2, 4, ...** (keys ``0.weight``, ``0.bias``, ``2.weight``, ...; a common
prefix such as ``net.0.weight``, ``net.2.weight`` is allowed).  **Each gap of
exactly 2 means one parameter-free module between two Linear layers, and
that module is assumed to be a ReLU; nothing is assumed after the last
Linear layer.**  Every other layout is refused with a
:class:`~cpa.errors.FormatError` naming the offending keys:

* consecutive indices (``0``, ``1``): the Linear layers follow each other
  directly, with no room for an activation;
* gaps other than 2 (``0``, ``3``: e.g. Linear, ReLU, Dropout, Linear), or a
  first index other than 0 (modules before the first Linear layer): the
  modules in between are unknown;
* names that are not Sequential indices (``fc1``, ``fc2``) or different
  prefixes (``0.0``, ``1``): the module's ``forward`` is unknown.

For those, pass the module itself (``from_torch(model)``), or state the layout
explicitly: ``from_torch(state_dict, layout=["fc1", "relu", "fc2"])`` lists
every Linear layer's name (the key without ``.weight``) and ``"relu"`` in
order of application.  A state dict of a single Linear layer (including the
bare ``weight``/``bias`` keys of ``nn.Linear(...).state_dict()``) needs no
layout.  Parameters of other layers (a BatchNorm's ``running_mean``, a 1-D
``weight``, ...) are always refused, with one
:class:`~cpa.errors.UnsupportedLayerError` naming them.

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

Everything else (Sigmoid, GELU, Softmax, ConvTranspose, attention, subclasses of
Sequential or Linear whose ``forward`` may differ, ...) is refused with one
:class:`~cpa.errors.UnsupportedLayerError` that lists every such layer with
its position and the reason (a final Softmax or LogSoftmax: the network is
read up to its logits, so read the model without it).  A state dict with
BatchNorm parameters is refused: it does not record the layer's ``eps``.

Safety
------
:func:`load_torch` calls ``torch.load(path, weights_only=True)`` and nothing
else: a file holding anything other than tensors and containers is refused
without running any of its code.  Before that, the file must be a zip archive
(what ``torch.save`` writes; the legacy and raw-pickle formats are refused)
whose declared sizes, and each tensor's number of entries, fit in
``cpa.limits.current().max_file_bytes``.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import limits
from ..errors import FormatError, UnsupportedLayerError
from ..fold import Step, relu, steps_to_network
from ..network import ReLUNetwork
from ._deps import require
from ._floats import float_array, float_kind, representable
from ._guard import check_file_size, check_layers, listing, short, writing
from .fx_to_steps import module_to_steps
from .torch_to_steps import linear_affine, sequential_to_steps

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["from_torch", "to_torch", "load_torch", "save_torch"]

_log = logging.getLogger("cpa")


def from_torch(model: Any, *, layout: Sequence[str] | None = None,
               input_shape: Sequence[int] | None = None) -> ReLUNetwork:
    """Read an ``nn.Sequential`` or a ``state_dict`` as an exact ReLU network.

    Parameters
    ----------
    model
        An ``nn.Module`` in evaluation mode: an ``nn.Sequential`` of Linear,
        ReLU, LeakyReLU, Hardtanh, ReLU6, BatchNorm1d/2d, Conv1d/2d,
        AvgPool1d/2d, MaxPool1d/2d, Dropout, Flatten and Identity layers, or
        any module whose ``forward`` traces (``torch.fx``) to a chain of them
        with residual sums
        (nested Sequential allowed), a single ``nn.Linear``, or a state dict
        (mapping of ``"<name>.weight"`` / ``"<name>.bias"`` to tensors) of
        Linear layers, by default that of ``nn.Sequential(Linear, ReLU, ...,
        Linear)`` with Linear layers at indices 0, 2, 4, ... (the module in
        each gap of 2 is assumed to be a ReLU; see the module docstring).
    layout
        For a state dict only: the order of application, as a list of the
        Linear layers' names (``"0"``, ``"net.2"``, ``"fc1"``: the keys
        without ``.weight``) and the word ``"relu"``; every Linear layer of
        the state dict must be listed once.  E.g. ``["0", "1"]`` for
        ``nn.Sequential(Linear, Linear)`` or ``["fc1", "relu", "fc2"]``.
        Or the kinds of the modules of an ``nn.Sequential``, one per index:
        ``["flatten", "linear", "relu", "linear"]`` for the usual MNIST model
        ``nn.Sequential(Flatten, Linear, ReLU, Linear)`` (keys ``1.weight``,
        ``3.weight``); kinds are ``linear``, ``relu``, ``flatten``,
        ``identity`` and ``dropout`` (evaluation mode).
    input_shape
        For a module: the shape of one example without the batch dimension,
        e.g. ``(1, 28, 28)``; needed when the model has Conv or Pool layers
        (their input shape is not recorded in the module).  The network's
        input is the example flattened in row-major order.

    Returns
    -------
    ReLUNetwork
        The same function with exact rational weights (floats at their exact
        binary value).

    Raises
    ------
    UnsupportedLayerError
        Listing every layer (position, type and reason) that cannot be read:
        not in the table, Dropout or BatchNorm in training mode (call
        ``model.eval()``), BatchNorm without running statistics, a final
        Softmax; or every state-dict key that is not a Linear parameter.
    FormatError
        If there is no Linear layer, shapes do not chain, a weight is NaN
        or infinite, or a state dict is not in the Sequential layout above
        (and no ``layout`` is given) or does not match ``layout``.
    TypeError
        If ``layout`` is given with a module, or is not a list of names.
    MissingExtraError
        If torch is not installed.

    Notes
    -----
    See the module docstring for the exact folds (BatchNorm, LeakyReLU,
    Hardtanh), trailing ReLUs, fused Linear layers and the state-dict
    convention.

    Examples
    --------
    >>> import torch.nn as nn                                       # doctest: +SKIP
    >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))  # doctest: +SKIP
    >>> from_torch(m).architecture                                  # doctest: +SKIP
    (2, 3, 1)
    """
    torch = require("torch")
    if isinstance(model, Mapping):
        return _from_state_dict(model, torch, layout=layout)
    if layout is not None:
        raise TypeError("from_torch: layout= applies to state dicts only; "
                        "a module's layers are read from the module")
    if input_shape is not None:
        input_shape = _check_shape(input_shape)
    nn = torch.nn
    if type(model) is nn.Linear:
        model = nn.Sequential(model)
    if isinstance(model, nn.Sequential) and type(model) is nn.Sequential:
        return _fold(sequential_to_steps(model, torch, input_shape))
    if not isinstance(model, nn.Module):
        raise FormatError(f"from_torch needs an nn.Module or a state_dict, got {type(model).__name__}")
    return _fold(module_to_steps(model, torch, input_shape))


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
    check_layers(net, "to_torch")
    if not representable(net, kind):
        _log.warning("to_torch: some weights are not %s numbers and were rounded", kind)
    return _build_sequential(net, kind)


def load_torch(path: str | os.PathLike[str], *, layout: Sequence[str] | None = None) -> ReLUNetwork:
    """Read a ``torch.save``-d state dict with ``torch.load(path, weights_only=True)``.

    Parameters
    ----------
    path
        A ``.pt``/``.pth`` file holding a state dict (see :func:`from_torch`
        for the layout), or a checkpoint dict whose ``"state_dict"`` or
        ``"model_state_dict"`` entry is one.
    layout
        As for :func:`from_torch`: the Linear layers' names and ``"relu"`` in
        order, when the state dict is not that of ``nn.Sequential(Linear,
        ReLU, ..., Linear)``.

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

    Also refuses, with a FormatError, a state dict in an unknown layout (see
    :func:`from_torch`).
    """
    torch = require("torch")
    import pickle

    name = os.fspath(path)
    if not os.path.isfile(name):
        raise FileNotFoundError(2, "no such network file", name)
    _check_archive(name)
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
                          f"({type(e).__name__}: {short(str(e).splitlines()[0] if str(e) else '', 120)})") from None
    if isinstance(obj, Mapping):
        for key in ("state_dict", "model_state_dict"):
            if key in obj and isinstance(obj[key], Mapping):
                obj = obj[key]
                break
        return _from_state_dict(obj, torch, name, layout=layout)
    raise FormatError(f"{name!r} holds a {type(obj).__name__}, expected a state_dict (a mapping of tensors)")


def save_torch(net: ReLUNetwork, path: str | os.PathLike[str], dtype: Any = None) -> bool:
    """Save ``to_torch(net, dtype).state_dict()`` with ``torch.save``.

    Keys are ``0.weight, 0.bias, 2.weight, 2.bias, ...``, readable by
    :func:`load_torch` and by ``nn.Sequential.load_state_dict``.

    Parameters
    ----------
    net
        The network.
    path
        The file to write.
    dtype
        The float type of the weights (``"float32"``, ``torch.float64``, ...; None for float64).

    Returns
    -------
    bool
        True when every weight was written exactly (otherwise a warning is logged).

    Raises
    ------
    MissingExtraError
        If torch is not installed.
    FormatError
        For an unknown ``dtype``, a layer with no outputs, or a file that cannot be written.
    """
    torch = require("torch")
    kind = float_kind(dtype)
    check_layers(net, "cannot write the network as a torch state_dict")
    exact = representable(net, kind)
    if not exact:
        _log.warning("save_torch(%s): some weights are not %s numbers and were rounded", path, kind)
    state = _build_sequential(net, kind).state_dict()
    with writing(path) as name:
        torch.save(state, name)
    return exact


# --- private helpers ---------------------------------------------------------

def _check_shape(shape: Any) -> tuple[int, ...]:
    """``input_shape`` as a tuple of positive ints, or a one-line error."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        out = tuple(int(v) for v in shape)
        ok = all(isinstance(v, int) or float(v) == int(v) for v in shape) and all(v > 0 for v in out) and out
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise FormatError(f"input_shape={short(repr(shape), 60)}: expected positive sizes of one example "
                          "without the batch dimension, e.g. (1, 28, 28)")
    return out


def _check_archive(name: str) -> None:
    """Refuse, before torch reads it, a file that is not a zip archive or declares too much data."""
    import zipfile

    check_file_size(name, "torch file")
    try:
        with zipfile.ZipFile(name) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except Exception:  # BadZipFile, NotImplementedError (odd versions), struct errors, OSError, ...
        raise FormatError(
            f"{name!r}: refused: not a torch zip archive (truncated, corrupt, or the legacy or raw-pickle "
            "format); torch.save writes zip archives since torch 1.6, re-save model.state_dict()") from None
    if total > limits.current().max_file_bytes:
        raise limits.refuse(f"{name!r}: the archive's data ({total} bytes uncompressed)", "max_file_bytes",
                            f"{total} bytes")


def _build_sequential(net: ReLUNetwork, kind: str) -> Any:
    import torch

    tdtype = torch.float32 if kind == "float32" else torch.float64
    mods: list[Any] = []
    for i, (W, b) in enumerate(net.layers):
        n_out, n_in = net.affine_layers[i].W.shape
        with warnings.catch_warnings():       # a 0-input layer: "initializing zero-element tensors"
            warnings.simplefilter("ignore")
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


def _fold(steps: list[Step]) -> ReLUNetwork:
    """Fold the steps into a network (:func:`cpa.fold.steps_to_network`); log the width changes."""
    folded = steps_to_network(steps)
    for note in folded.notes:
        _log.info("from_torch: %s", note)
    check_layers(folded.network, "malformed model")
    return folded.network


_PARAM = re.compile(r"^(?:(?P<prefix>.*)\.)?(?P<kind>weight|bias)$")
_INDEX = re.compile(r"^(?:(?P<container>.*)\.)?(?P<index>[0-9]+)$")
_FIX = ("pass the module itself (from_torch(model)), or state the order with "
        "from_torch(state_dict, layout=[...]) (cpa commands: --layout) listing the Linear layers' names and "
        "\"relu\", or the kinds of the nn.Sequential's modules, e.g. [\"flatten\", \"linear\", \"relu\", "
        "\"linear\"]")


def _from_state_dict(sd: Mapping[Any, Any], torch: Any, source: str = "state_dict",
                     layout: Sequence[str] | None = None) -> ReLUNetwork:
    groups: dict[str, dict[str, Any]] = {}
    problems: dict[str, list[str]] = {}     # layer prefix -> what is wrong, in key order
    for key, value in sd.items():
        m = _PARAM.match(key) if isinstance(key, str) else None
        if m is None:
            prefix, _, leaf = str(key).rpartition(".")
            problems.setdefault(prefix or str(key), []).append(f"{short(leaf or key, 40)} (not a Linear parameter)")
        elif not isinstance(value, torch.Tensor):
            problems.setdefault(m.group("prefix") or "", []).append(
                f"{m.group('kind')} is a {type(value).__name__}, not a tensor")
        else:
            groups.setdefault(m.group("prefix") or "", {})[m.group("kind")] = value
    for prefix, g in groups.items():
        w = g.get("weight")
        if w is None:
            problems.setdefault(prefix, []).append("bias without a weight")
        elif w.dim() != 2:
            problems.setdefault(prefix, []).append(
                f"weight of shape {tuple(w.shape)}, not a Linear weight")
    if problems:
        listed = "; ".join(f"layer {short(p, 60)!r}: {listing(v, 5)}" for p, v in list(problems.items())[:10])
        if len(problems) > 10:
            listed += f"; ... and {len(problems) - 10} more"
        batch_norm = any(isinstance(k, str) and k.endswith((".running_mean", ".running_var")) for k in sd)
        hint = ("; a state dict does not record a BatchNorm's eps (nor which activations sit between "
                "the layers), so BatchNorm is read from the module itself: from_torch(model), or from "
                "its ONNX export" if batch_norm else "")
        raise UnsupportedLayerError(
            f"{source}: cannot read as a Linear/ReLU chain: {len(problems)} "
            f"layer{'s are' if len(problems) > 1 else ' is'} not Linear: {listed}{hint}")
    if not groups:
        raise FormatError(f"{source}: empty state_dict, no Linear layer")
    order = _sequential_order(groups, source) if layout is None else _explicit_order(groups, layout, source)
    steps: list[Step] = []
    for p in order:
        if p is None:
            steps.append(Step("(ReLU)", "ReLU", relu()))
        else:
            steps.append(Step(p or "(Linear)", "Linear",
                              linear_affine(p or "(Linear)", groups[p]["weight"], groups[p].get("bias"))))
    return _fold(steps)


def _sequential_order(groups: Mapping[str, Any], source: str) -> list[str | None]:
    """Linear names in order with None for each assumed ReLU; refuses all but indices 0, 2, 4, ...

    The rule: the state dict is that of ``nn.Sequential(Linear, ReLU, ...,
    Linear)``: one common container prefix, Linear layers at indices 0, 2,
    4, ..., and each gap of 2 holds one parameter-free module, taken to be a
    ReLU.  A single Linear layer whose name is not an index (the bare
    ``weight``/``bias`` of an ``nn.Linear``, or ``fc``) is read as it is.
    """
    names = list(groups)
    if len(names) == 1 and _INDEX.match(names[0]) is None:
        return names                        # one Linear layer, nothing between layers
    parsed: list[tuple[str, int, str]] = []
    unindexed: list[str] = []
    for name in names:
        m = _INDEX.match(name)
        if m is None:
            unindexed.append(name)
        else:
            parsed.append((m.group("container") or "", int(m.group("index")), name))
    rule = ("a state_dict says nothing about the parameter-free modules (activations) between Linear "
            "layers, so it is read only as nn.Sequential(Linear, ReLU, ..., Linear) with Linear layers "
            "at indices 0, 2, 4, ...")
    if unindexed:
        raise FormatError(
            f"{source}: cannot tell the order and activations of the Linear layers "
            f"{listing(repr(n) for n in unindexed)}: their names are not nn.Sequential indices; "
            f"{rule}; {_FIX}")
    containers = sorted({c for c, _, _ in parsed})
    if len(containers) > 1:
        shown = listing(repr(c) if c else "(top level)" for c in containers)
        raise FormatError(
            f"{source}: the Linear layers sit in different modules ({shown}; keys "
            f"{listing(_key(n) for _, _, n in parsed)}), whose forward is unknown; "
            f"{rule}; {_FIX}")
    parsed.sort(key=lambda t: t[1])
    bad: list[str] = []
    first_index, first_name = parsed[0][1], parsed[0][2]
    if first_index != 0:
        bad.append(f"the first Linear layer {_key(first_name)} is at index {first_index}, so "
                   f"{first_index} unknown module{'s come' if first_index > 1 else ' comes'} before it")
    for (_, i, a), (_, j, b) in zip(parsed, parsed[1:]):
        if j == i + 1:
            bad.append(f"{_key(a)} and {_key(b)} are at consecutive indices {i} and {j}: "
                       "no module between them, so no ReLU (the two Linear layers compose to one affine map)")
        elif j != i + 2:
            bad.append(f"between {_key(a)} and {_key(b)} (indices {i} and {j}) there are "
                       f"{j - i - 1} parameter-free modules, which cannot be identified")
    if bad:
        raise FormatError(f"{source}: refused, the activations cannot be read from the keys: "
                          f"{'; '.join(bad[:5])}{f'; ... and {len(bad) - 5} more' if len(bad) > 5 else ''}; "
                          f"{rule}; {_FIX}")
    order: list[str | None] = []
    for _, _, name in parsed:
        if order:
            order.append(None)              # the one module in a gap of 2: assumed ReLU
        order.append(name)
    return order


#: module kinds a layout may name besides "linear": the parameter-free ones read without a state dict entry
_FREE_KINDS = {"relu": "relu", "flatten": None, "identity": None, "dropout": None}


def _kinds_order(groups: Mapping[str, Any], layout: Sequence[str], source: str) -> list[str | None]:
    """A layout of module kinds, one per ``nn.Sequential`` index: ``["flatten", "linear", "relu", "linear"]``.

    Entry ``i`` is the module at index ``i``: ``"linear"`` must have the keys
    ``<container>.i.weight`` (and optionally ``.bias``), the parameter-free
    kinds (``relu``, ``flatten``, ``identity``, ``dropout``) must have none.
    """
    containers = {m.group("container") or "" for m in map(_INDEX.match, groups) if m is not None}
    unindexed = [g for g in groups if _INDEX.match(g) is None]
    if unindexed or len(containers) > 1:
        what = (f"the Linear layers {listing(repr(n) for n in unindexed)} are not nn.Sequential indices"
                if unindexed else f"the Linear layers sit in different modules ({listing(map(repr, containers))})")
        raise FormatError(f"{source}: a layout of module kinds reads the keys as nn.Sequential indices, "
                          f"but {what}; list the Linear layers' names and 'relu' instead")
    container = containers.pop() if containers else ""
    order: list[str | None] = []
    for i, kind in enumerate(layout):
        if not isinstance(kind, str) or kind.lower() not in {"linear", *_FREE_KINDS}:
            raise TypeError(f"layout entry {i} is {kind!r}: a layout of module kinds takes 'linear', "
                            f"{', '.join(repr(k) for k in _FREE_KINDS)}")
        name = f"{container}.{i}" if container else str(i)
        if kind.lower() == "linear":
            if name not in groups:
                raise FormatError(f"{source}: layout entry {i} is 'linear' but the state dict has no key "
                                  f"{name + '.weight'!r}")
            order.append(name)
        elif name in groups:
            raise FormatError(f"{source}: layout entry {i} is {kind!r}, which has no parameters, but the "
                              f"state dict has {name + '.weight'!r}")
        elif _FREE_KINDS[kind.lower()] == "relu":
            order.append(None)
    missing = [g for g in groups if g not in order]
    if missing:
        raise FormatError(f"{source}: the layout has {len(layout)} modules, so it leaves out the Linear "
                          f"layer{'s' if len(missing) > 1 else ''} {listing(repr(g) for g in missing)}")
    return order


def _key(name: str) -> str:
    """The weight key of a Linear layer, quoted and abbreviated for a message."""
    return repr(short(name + ".weight", 60))


def _explicit_order(groups: Mapping[str, Any], layout: Sequence[str], source: str) -> list[str | None]:
    """Check a user-given ``layout`` (Linear names and "relu", or module kinds) against the state dict."""
    if isinstance(layout, (str, bytes)) or not isinstance(layout, Sequence):
        raise TypeError(f"layout must be a list of names and 'relu', got {type(layout).__name__}")
    if any(isinstance(i, str) and i.lower() == "linear" for i in layout) and "linear" not in groups:
        return _kinds_order(groups, layout, source)
    order: list[str | None] = []
    seen: set[str] = set()
    for item in layout:
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str):
            raise TypeError(f"layout entries are Linear layer names or 'relu', got {item!r}")
        if item.lower() == "relu":
            if any(g.lower() == "relu" for g in groups):
                raise FormatError(f"{source}: layout entry {item!r} is ambiguous: the state dict has a "
                                  "Linear layer of that name")
            order.append(None)
            continue
        if item not in groups:
            raise FormatError(f"{source}: layout names {item!r}, which is not a Linear layer of the state "
                              f"dict (its Linear layers: {listing(repr(g) for g in groups)})")
        if item in seen:
            raise FormatError(f"{source}: layout names the Linear layer {item!r} twice")
        seen.add(item)
        order.append(item)
    missing = [g for g in groups if g not in seen]
    if missing:
        raise FormatError(f"{source}: layout leaves out the Linear layer{'s' if len(missing) > 1 else ''} "
                          f"{listing(repr(g) for g in missing)} of the state dict")
    return order
