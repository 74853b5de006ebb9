"""Any ``nn.Module`` whose ``forward`` is a chain of layers, read through ``torch.fx``.

The module is traced with ``torch.fx.symbolic_trace`` (which records the
operations of ``forward`` on a proxy value; it runs ``forward``'s Python code
but no file is read and nothing of the model is executed on data).  The
traced graph must be one chain: each operation takes the previous one's
value.  Its operations are read with the shared table
(:mod:`cpa.fold.table`) through the same walk as ``nn.Sequential``
(:func:`cpa.io.torch_to_steps.leaves_to_steps`):

* ``call_module`` nodes: the submodule, as in a Sequential;
* functions and methods with a module of the table as their twin:
  ``torch.relu``, ``F.relu``, ``x.relu()``; ``torch.flatten(x, 1)``,
  ``x.flatten(1)``, ``x.view(x.size(0), -1)``, ``x.reshape(x.size(0), -1)``,
  ``x.view(-1, n)`` (a Flatten); ``F.max_pool1d/2d`` and ``F.avg_pool1d/2d``
  with constant arguments (the pooling module of the same arguments);
  ``F.dropout(x, p, training=self.training)`` and its variants, traced in
  evaluation mode (``training`` is then False: the identity).

Everything else (an untraceable ``forward``, other functions, parameters read
directly, products, concatenations) is refused at once, each operation
named with its position in the traced graph.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import UnsupportedLayerError
from ._guard import short
from ..fold import Step, torch_rule
from .torch_to_steps import Branches, _why_not, leaves_to_steps

__all__ = ["module_to_steps", "FUNCTIONS"]

#: what the traced graph may call besides the modules of the table
FUNCTIONS = ("torch.relu", "F.relu", "x.relu()", "F.dropout(training=False)", "torch.flatten(x, 1)", "x.flatten(1)",
             "x.view(x.size(0), -1)", "x.reshape(x.size(0), -1)", "x.view(-1, n)",
             "F.max_pool1d/2d", "F.avg_pool1d/2d", "a + b (residual sums)")


def module_to_steps(model: Any, torch: Any, input_shape: Sequence[int] | None = None) -> list[Step]:
    """The exact steps of a module traced by ``torch.fx.symbolic_trace``.

    Parameters
    ----------
    model
        An ``nn.Module`` in evaluation mode.
    torch
        The torch module.
    input_shape
        The shape of one example without the batch dimension (for Conv/Pool layers).

    Returns
    -------
    list of Step

    Raises
    ------
    UnsupportedLayerError
        If ``forward`` cannot be traced (data-dependent control flow, ...), or
        listing every operation of the traced graph that cannot be read, with
        its position (node name) and reason.
    """
    fx = torch.fx
    name = type(model).__name__
    try:
        gm = fx.symbolic_trace(model)
    except Exception as e:  # tracing raises many types (TraceError, TypeError, NotImplementedError, ...)
        first = str(e).splitlines()[0] if str(e) else ""
        raise UnsupportedLayerError(
            f"cannot read {name}: its forward() cannot be traced by torch.fx.symbolic_trace "
            f"({type(e).__name__}: {short(first, 120)}); write the model as an nn.Sequential, "
            "or export it to ONNX and read that") from None
    nodes = list(gm.graph.nodes)
    inputs = [n for n in nodes if n.op == "placeholder"]
    if len(inputs) != 1:
        raise UnsupportedLayerError(f"cannot read {name}: its forward() takes {len(inputs)} inputs, expected one")
    x = inputs[0]
    values: dict[Any, Any] = {x: (x, [])}   # node -> (x, its chain of leaves), or None once refused
    sizes: set[Any] = set()                 # nodes x.size(0), read only inside a view/reshape
    leaves: list[tuple[str, Any]] = []
    problems: list[str] = []
    for n in nodes:
        if n.op == "placeholder":
            continue
        what = _label(n)
        if n.op == "output":
            out = values.get(n.args[0]) if isinstance(n.args[0], fx.Node) else None
            if out is not None:
                leaves = out[1]
            elif not problems:
                problems.append(f"the output ({short(str(n.args[0]), 40)}) is not one tensor computed from the input")
            continue
        if n.op == "call_method" and n.target == "size" and len(n.args) == 2 and n.args[1] == 0 and not n.kwargs:
            sizes.add(n)
            continue
        used = [a for a in _node_args(n, fx) if a not in sizes]
        values[n] = None
        if any(a in values and values[a] is None for a in used):
            if not _is_add(n, torch) and n.op != "call_module":
                try:                        # computed from a refused value: only its own kind is reported
                    if _module_of(n, gm, torch, sizes) is None:
                        problems.append(f"{what} not in the table")
                except ValueError as e:
                    problems.append(f"{what} {e}")
            elif n.op == "call_module":
                cls = type(gm.get_submodule(n.target)).__name__
                if torch_rule(cls) is None:
                    problems.append(f"{n.target} ({cls}){_why_not(cls, False)}")
            continue
        if _is_add(n, torch) and len(used) == 2 and all(a in values for a in used):
            (o1, c1), (o2, c2) = values[used[0]], values[used[1]]
            p = 0
            while p < min(len(c1), len(c2)) and c1[p] is c2[p]:
                p += 1
            where = f"node {n.name!r} (+)"
            values[n] = (x, c1[:p] + [(where, Branches(where, (tuple(c1[p:]), tuple(c2[p:]))))])
            continue
        if len(used) != 1 or used[0] not in values:
            names = ", ".join(repr(a.name) for a in used) or "no tensor"
            problems.append(f"{what} takes {names}: only layers of one tensor and sums of two are read")
            continue
        try:
            module = _module_of(n, gm, torch, sizes)
        except ValueError as e:
            problems.append(f"{what} {e}")
            continue
        if module is None:
            problems.append(f"{what} not in the table")
            continue
        cls = type(module).__name__
        if n.op == "call_module" and (torch_rule(cls) is None or getattr(torch.nn, cls, None) is not type(module)):
            problems.append(f"{n.target} ({cls}){_why_not(cls, n.next.op == 'output')}")
            continue
        o, chain = values[used[0]]
        values[n] = (o, chain + [(f"{n.target}" if n.op == "call_module" else what, module)])
    try:
        return leaves_to_steps(leaves, problems, torch, input_shape,
                               also="and in a traced forward(): " + ", ".join(FUNCTIONS))
    except UnsupportedLayerError as e:
        raise UnsupportedLayerError(f"{name} (read by tracing its forward()): {e}; a chain of Linear layers "
                                    "and ReLUs can also be read from model.state_dict() with "
                                    "layout=[...]") from None


# --- private helpers ---------------------------------------------------------

def _label(n: Any) -> str:
    if n.op == "call_module":
        return f"node {n.name!r} = self.{n.target}"
    if n.op == "call_method":
        return f"node {n.name!r} = x.{n.target}()"
    if n.op == "call_function":
        mod = getattr(n.target, "__module__", None) or ""
        return f"node {n.name!r} = {mod + '.' if mod else ''}{getattr(n.target, '__name__', str(n.target))}"
    return f"node {n.name!r} ({n.op} {short(str(n.target), 40)})"


def _is_add(n: Any, torch: Any) -> bool:
    """``a + b``: ``operator.add``, ``torch.add`` or ``a.add(b)`` without ``alpha``."""
    import operator

    if n.kwargs or len(n.args) != 2:
        return False
    if n.op == "call_function":
        return n.target in (operator.add, torch.add)
    return n.op == "call_method" and n.target == "add"


def _node_args(n: Any, fx: Any) -> list[Any]:
    out: list[Any] = []

    def visit(a: Any) -> None:
        if isinstance(a, fx.Node):
            if a not in out:
                out.append(a)
        elif isinstance(a, (tuple, list)):
            for b in a:
                visit(b)
        elif isinstance(a, dict):
            for b in a.values():
                visit(b)

    visit(n.args)
    visit(n.kwargs)
    return out


def _module_of(n: Any, gm: Any, torch: Any, sizes: set[Any]) -> Any:
    """The module computing node ``n`` (None if it has no twin in the table); ValueError with a reason."""
    nn, F = torch.nn, torch.nn.functional
    if n.op == "call_module":
        return gm.get_submodule(n.target)
    if n.op == "get_attr":
        raise ValueError("reads a parameter or buffer directly; only modules and the functions listed are read")
    args, kwargs = list(n.args[1:]), dict(n.kwargs)
    kwargs.pop("inplace", None)
    is_fn = n.op == "call_function"
    target = n.target
    if (is_fn and target in (torch.relu, F.relu)) or (not is_fn and target == "relu"):
        if args or kwargs:
            raise ValueError("with extra arguments")
        return nn.ReLU()
    if (is_fn and target is torch.flatten) or (not is_fn and target == "flatten"):
        start = args[0] if args else kwargs.pop("start_dim", 0)
        end = args[1] if len(args) > 1 else kwargs.pop("end_dim", -1)
        if (start, end) != (1, -1) or kwargs:
            raise ValueError(f"with start_dim={start}, end_dim={end}: only flatten(x, 1) is read")
        return nn.Flatten()
    if (is_fn and target is torch.reshape) or (not is_fn and target in ("view", "reshape")):
        dims = tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)
        if kwargs or len(dims) != 2 or not (
                (dims[0] in sizes or dims[0] == 1) and dims[1] == -1
                or dims[0] == -1 and isinstance(dims[1], int) and dims[1] > 0):
            raise ValueError("with a shape other than (x.size(0), -1) or (-1, n): only a flatten of each "
                             "example is read")
        return nn.Flatten()
    dropouts = (F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout, torch.dropout) if is_fn else ()
    if target in dropouts:
        names = ("input", "p", "training", "inplace") if target is not torch.dropout else ("input", "p", "train")
        bound = dict(zip(names[1:], args)) | kwargs
        training = bound.get("training", bound.get("train", target is not torch.dropout))
        if training is not False:
            raise ValueError(f"with training={training}: dropout is read in evaluation mode only "
                             "(call model.eval(), and pass training=self.training)")
        return nn.Dropout().eval()
    pools = {F.max_pool1d: nn.MaxPool1d, F.max_pool2d: nn.MaxPool2d,
             F.avg_pool1d: nn.AvgPool1d, F.avg_pool2d: nn.AvgPool2d} if is_fn else {}
    if target in pools:
        try:
            return pools[target](*args, **kwargs)
        except TypeError as e:
            raise ValueError(f"with arguments that its module does not take ({short(str(e), 80)})") from None
    return None
