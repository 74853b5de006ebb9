"""A chain of exact layers (affine maps and elementwise layers) as one ReLU network.

The readers of layer stacks (``nn.Sequential``, state dicts) translate each
layer into a :class:`Step`; :func:`steps_to_network` then folds the chain:

* consecutive affine maps and :class:`~cpa.fold.elementwise.ScaleShift` layers
  compose exactly into one affine map (``W = W_2 W_1``, ``b = W_2 b_1 + b_2``).
  So a BatchNorm right after a Linear folds into it
  (``W' = diag(scale) W``, ``b' = scale * b + shift``), a BatchNorm after a
  ReLU, or at the input, folds into the next Linear (``W' = W diag(scale)``,
  ``b' = b + W shift``), and one after the last ReLU with no Linear after it
  is the last layer on its own;
* a :class:`~cpa.fold.elementwise.ReluSum` with ``K`` terms closes a hidden
  layer of ``K n`` neurons (pre-activations ``a_k z + d_k`` of the pending
  affine map ``z``); the weights ``c_k`` and the offset ``e`` form the next
  pending affine map, so they fold into the next Linear;
* a :class:`~cpa.fold.maxpool.MaxPool` adds ``ceil(log2 k)`` hidden layers
  (the max tree of :func:`~cpa.fold.maxpool.max_tree`), in the two-neuron
  form when its input is nonnegative (right after a ReLU), and leaves the
  selection of the maxima as the pending affine map;
* a :class:`Sum` of branches (a residual connection ``x + f(x)``) folds each
  branch into a network on the current value, puts them side by side
  (:func:`cpa.calculus.parallel`, which carries the shallower ones through
  the extra layers as ``relu(x) - relu(-x)``) and sums their outputs; a
  :class:`Concat` (``torch.cat`` on the feature axis) does the same and keeps
  the outputs one after the other;
* a ReLU right after a ReLU is dropped (``relu o relu = relu``); a trailing
  ReLU, or one on the input, is kept with an identity layer
  (``f(x) = I relu(z) + 0``), since cpa networks have no ReLU on the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence, Union

from ..affine import Affine
from ..errors import FormatError, InvalidNumberError, ShapeError
from ..network import ReLUNetwork
from ..numbers import ONE
from ..sparse import SparseMatrix
from .elementwise import ReluSum, ScaleShift
from .maxpool import MaxPool, max_tree

__all__ = ["Step", "Sum", "Concat", "Folded", "steps_to_network"]


@dataclass(frozen=True)
class Step:
    """One layer of a chain: where it is, what it was, and its exact map.

    Attributes
    ----------
    name
        Its position in the model, for messages (``"3"``, ``"net.1"``).
    kind
        The layer type it was read from (``"Linear"``, ``"BatchNorm1d"``).
    op
        An :class:`~cpa.affine.Affine` map, a
        :class:`~cpa.fold.elementwise.ScaleShift`, a
        :class:`~cpa.fold.elementwise.ReluSum` or a
        :class:`~cpa.fold.maxpool.MaxPool`.
    """

    name: str
    kind: str
    op: Union[Affine, ScaleShift, ReluSum, MaxPool, "Sum", "Concat"]


@dataclass(frozen=True)
class Sum:
    """``x -> sum_i chain_i(x)``: the branches of a residual block, each a chain of steps on the same input.

    Attributes
    ----------
    branches
        At least two chains; an empty chain is the identity (the skip
        connection of ``x + f(x)``).  All must give the same number of outputs.
    """

    branches: tuple[tuple[Step, ...], ...]


@dataclass(frozen=True)
class Concat:
    """``x -> (chain_1(x), ..., chain_k(x))``: branches on the same input, outputs one after the other.

    Concatenating along the first axis of one example (the features of a
    flat tensor, the channels of ``(C, H, W)``) is concatenating the
    row-major flattened outputs, which is what this computes.

    Attributes
    ----------
    branches
        At least one chain; an empty chain is the identity.
    """

    branches: tuple[tuple[Step, ...], ...]


@dataclass(frozen=True)
class Folded:
    """Result of :func:`steps_to_network`: the network and what the folding did.

    Attributes
    ----------
    network
        The ReLU network.
    notes
        One line per layer that changed the width (``LeakyReLU '2': 2 ReLUs
        per feature, hidden layer 0 has 8 neurons for 4 features``).
    """

    network: ReLUNetwork
    notes: tuple[str, ...] = field(default=())


def steps_to_network(steps: Sequence[Step], input_dim: int | None = None) -> Folded:
    """Fold a chain of steps into one exact ReLU network (see the module docstring).

    Parameters
    ----------
    steps
        The layers in order of application.
    input_dim
        The input dimension, when known (otherwise found from the first step that fixes it).

    Returns
    -------
    Folded
        The network, of the same function as the chain, and notes on width changes.

    Raises
    ------
    FormatError
        If no step fixes the input dimension (no Linear layer and no
        per-feature parameters), or the sizes of two steps do not chain.
    """
    dim = _input_dim(steps) if input_dim is None else input_dim
    layers: list[Affine] = []
    notes: list[str] = []
    pending: Affine | None = None          # the affine map since the last ReLU (None = identity)
    for step in steps:
        op = step.op
        if isinstance(op, Affine):
            if op.input_dim != dim:
                raise FormatError(f"layer {step.name} ({step.kind}) takes {op.input_dim} inputs but receives {dim}")
            pending = op if pending is None else op @ pending
            dim = op.output_dim
        elif isinstance(op, ScaleShift):
            if op.is_identity:
                continue
            try:
                scale, shift = op.scales(dim)
            except ShapeError as e:
                raise FormatError(f"layer {step.name} ({step.kind}): {e}") from None
            base = pending if pending is not None else Affine.identity(dim)
            pending = Affine(base.W.scale_rows(scale), tuple(s * b + t for s, b, t in zip(scale, base.b, shift)))
        elif isinstance(op, (Sum, Concat)):
            base = pending if pending is not None else Affine.identity(dim)
            net = _branches_network(step, op, dim, notes)
            first, *rest = net.affine_layers
            if rest:
                layers.append(first @ base)
                layers.extend(rest[:-1])
                pending = rest[-1]
            else:
                pending = first @ base
            dim = net.output_dim
        elif isinstance(op, MaxPool):
            if op.input_dim != dim:
                raise FormatError(f"layer {step.name} ({step.kind}) takes {op.input_dim} inputs but receives {dim}")
            nonneg = pending is None and bool(layers)      # right after a ReLU
            base = pending
            levels, select = max_tree(op.windows, nonneg)
            for pre, post in levels:
                P = Affine(SparseMatrix.from_dicts(pre, dim if base is None else base.output_dim))
                layers.append(P if base is None else P @ base)
                base = Affine(SparseMatrix.from_dicts(post, len(pre)))
            if base is None:
                base = Affine.identity(dim)
            pending = Affine(SparseMatrix((len(select), base.input_dim), [base.W.rows[j] for j in select]),
                             tuple(base.b[j] for j in select))
            dim = op.output_dim
            if levels:
                notes.append(f"{step.kind} {step.name!r}: max over windows of up to "
                             f"{max(len(w) for w in op.windows)} entries as {len(levels)} extra hidden "
                             f"layer{'s' if len(levels) > 1 else ''} of "
                             f"{', '.join(str(len(p)) for p, _ in levels)} neurons"
                             f"{' (inputs >= 0 after a ReLU)' if nonneg else ''}")
        elif op.is_relu and pending is None and layers:
            continue                       # relu(relu(z)) = relu(z)
        else:
            base = pending if pending is not None else Affine.identity(dim)
            layers.append(_pre_activations(base, op))
            pending = None if op.is_relu else _post_map(op, dim)
            if op.relus_per_feature > 1:
                notes.append(f"{step.kind} {step.name!r}: {op.relus_per_feature} ReLUs per feature, hidden layer "
                             f"{len(layers) - 1} has {op.relus_per_feature * dim} neurons for {dim} features")
    layers.append(pending if pending is not None else Affine.identity(dim))
    try:
        net = ReLUNetwork(layers)
    except (ShapeError, InvalidNumberError) as e:
        raise FormatError(f"malformed model: {e}") from None
    return Folded(net, tuple(notes))


def _input_dim(steps: Sequence[Step]) -> int:
    for step in steps:
        if isinstance(step.op, Affine):
            return step.op.input_dim
        if isinstance(step.op, ScaleShift) and step.op.size is not None:
            return step.op.size
        if isinstance(step.op, MaxPool):
            return step.op.input_dim
        if isinstance(step.op, (Sum, Concat)):
            for branch in step.op.branches:
                try:
                    return _input_dim(branch)
                except FormatError:
                    pass
    raise FormatError("the model has no Linear layer, so its input dimension is unknown")


def _branches_network(step: Step, op: Sum | Concat, dim: int, notes: list[str]) -> ReLUNetwork:
    """The branches of ``op`` on ``dim`` inputs as one network: side by side, then summed for a :class:`Sum`."""
    from ..calculus import compose, parallel

    nets = []
    for k, branch in enumerate(op.branches):
        folded = steps_to_network(branch, input_dim=dim)
        notes.extend(folded.notes)
        nets.append(folded.network)
    depths = [n.depth for n in nets]
    if len(set(depths)) > 1:
        notes.append(f"{step.kind} {step.name!r}: branches of {depths} hidden layers; the shallower ones are "
                     "carried through the extra layers as relu(x) - relu(-x)")
    if isinstance(op, Concat):
        return parallel(nets)
    outs = {n.output_dim for n in nets}
    if len(outs) != 1:
        raise FormatError(f"{step.name} ({step.kind}) adds branches with {sorted(outs)} outputs")
    m = outs.pop()
    total = SparseMatrix((m, m * len(nets)), [tuple((k * m + i, ONE) for k in range(len(nets))) for i in range(m)])
    return compose(ReLUNetwork([Affine(total)]), parallel(nets))


def _pre_activations(z: Affine, f: ReluSum) -> Affine:
    """The stacked pre-activations ``a_k z + d_k``, ``k = 0 .. K-1`` (``K n`` rows)."""
    if f.is_relu:
        return z
    blocks = [z.W.scale_rows([a] * z.output_dim) for a, _ in f.pieces]
    b = tuple(a * v + d for a, d in f.pieces for v in z.b)
    return Affine(SparseMatrix.vstack(blocks), b)


def _post_map(f: ReluSum, n: int) -> Affine:
    """``h -> sum_k c_k h_k + e`` from the ``K n`` neurons back to the ``n`` features."""
    blocks = [SparseMatrix.identity(n).scale_rows([c] * n) if c != ONE else SparseMatrix.identity(n)
              for c in f.weights]
    return Affine(SparseMatrix.hstack(blocks), (f.offset,) * n)
