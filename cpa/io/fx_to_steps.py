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
  evaluation mode (``training`` is then False: the identity);
* products by a constant number: ``x * c``, ``c * x``, ``x / c``,
  ``torch.mul(x, c)``, ``torch.div(x, c)``, ``x.mul(c)``, ``x.div(c)``: the
  map ``c x`` (``(1/c) x``), ``c`` rounded to the model's float type as torch
  applies it, then read at its exact binary value;
* branches: ``a + b`` (``torch.add``, ``a.add(b)``; a residual block
  ``x + f(x)``, or ``f(x) + g(x)``) and ``torch.cat([a, b, ...], dim=1)``
  (``dim=-1`` on flat values): the chains from the last value they share
  are folded side by side (:class:`cpa.fold.Sum`, :class:`cpa.fold.Concat`).

Everything else (an untraceable ``forward``, other functions, parameters read
directly, products of two tensors, broadcast sums) is refused at once, each
operation named with its position in the traced graph.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import UnsupportedLayerError
from ._guard import short
from ..fold import Step, torch_rule
from .torch_to_steps import Branches, Scalar, _why_not, leaves_to_steps

__all__ = ["module_to_steps", "FUNCTIONS"]

#: what the traced graph may call besides the modules of the table
FUNCTIONS = ("torch.relu", "F.relu", "x.relu()", "F.dropout(training=False)", "torch.flatten(x, 1)", "x.flatten(1)",
             "x.view(x.size(0), -1)", "x.reshape(x.size(0), -1)", "x.view(-1, n)",
             "F.max_pool1d/2d", "F.avg_pool1d/2d", "a + b (residual sums)", "x * c, x / c (c a number)",
             "torch.cat(dim=1)")


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
        if n.op == "get_attr":
            values[n] = None
            problems.append(f"{what} reads a parameter or buffer directly; only modules and the functions "
                            "listed are read")
            continue
        used = [a for a in _node_args(n, fx) if a not in sizes]
        values[n] = None
        combined = _combined(n, torch, fx)
        if any(a in values and values[a] is None for a in used):
            if combined is None and n.op != "call_module":
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
        if combined is not None and all(a in values for a in combined[2]):
            how, dim, parts = combined
            if dim not in (1, -1):
                problems.append(f"{what} along dim={dim}: only the feature axis (dim=1) is read")
                continue
            chains = [values[a][1] for a in parts]
            p = 0
            while p < min(map(len, chains)) and all(c[p] is chains[0][p] for c in chains):
                p += 1
            where = f"node {n.name!r} ({'+' if how == 'add' else 'cat'})"
            values[n] = (x, chains[0][:p] + [(where, Branches(where, tuple(tuple(c[p:]) for c in chains), how, dim))])
            continue
        if len(used) != 1 or used[0] not in values:
            names = ", ".join(repr(a.name) for a in used) or "no tensor"
            problems.append(f"{what} takes {names}: " + (
                "a product of two tensors is not piecewise affine (only products by a constant number are read)"
                if _is_product(n, torch) else "only layers of one tensor, sums and concatenations are read"))
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


def _combined(n: Any, torch: Any, fx: Any) -> tuple[str, Any, list[Any]] | None:
    """``("add", 1, [a, b])`` for ``a + b`` (``operator.add``, ``torch.add``, ``a.add(b)``, without
    ``alpha``), ``("cat", dim, [a, b, ...])`` for ``torch.cat([a, b, ...], dim)``; None otherwise."""
    import operator

    if n.op == "call_function" and n.target in (torch.cat, torch.concat, torch.concatenate):
        parts = n.args[0] if n.args else n.kwargs.get("tensors")
        dim = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim", n.kwargs.get("axis", 0))
        if isinstance(parts, (list, tuple)) and parts and all(isinstance(a, fx.Node) for a in parts):
            return "cat", dim, list(parts)
        return None
    if n.kwargs or len(n.args) != 2 or not all(isinstance(a, fx.Node) for a in n.args):
        return None
    if (n.op == "call_function" and n.target in (operator.add, torch.add)
            or n.op == "call_method" and n.target == "add"):
        return "add", 1, list(n.args)
    return None


def _is_product(n: Any, torch: Any) -> bool:
    """``a * b``, ``a / b`` and their spellings (``torch.mul``, ``x.div``, ...)."""
    if n.op == "call_function":
        return n.target in _mul_fns(torch) + _div_fns(torch)
    return n.op == "call_method" and n.target in ("mul", "multiply", "div", "divide", "true_divide")


def _mul_fns(torch: Any) -> tuple[Any, ...]:
    import operator

    return (operator.mul, torch.mul, torch.multiply)


def _div_fns(torch: Any) -> tuple[Any, ...]:
    import operator

    return (operator.truediv, torch.div, torch.divide, torch.true_divide)


def _scalar(n: Any, torch: Any) -> Scalar:
    """The product of node ``n`` by a constant number; ValueError with a reason."""
    kwargs = dict(n.kwargs)
    if kwargs.pop("rounding_mode", None) is not None:
        raise ValueError("with a rounding_mode: a rounded quotient is not continuous")
    divide = n.target in _div_fns(torch) if n.op == "call_function" else n.target in ("div", "divide", "true_divide")
    if kwargs or len(n.args) != 2:
        raise ValueError("with arguments other than two factors")
    a, b = n.args
    number = (int, float)
    if isinstance(b, number) and not isinstance(b, bool):
        return Scalar(float(b), divide)
    if isinstance(a, number) and not isinstance(a, bool) and not divide:
        return Scalar(float(a))
    raise ValueError("by a value that is not a constant number: only x * c and x / c are read (x * y is "
                     "not piecewise affine; a parameter or buffer as factor is not read)")


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
    if _is_product(n, torch):
        return _scalar(n, torch)
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
