"""The one table of layers read from evaluation-mode models, shared by the PyTorch and ONNX readers.

Each row is a canonical operation: the PyTorch module classes and the ONNX
operator types that are read as it, and the exact rule that folds it into a
ReLU network.  A reader keeps only what is specific to its framework: how to
find a row's parameters (module attributes, node attributes and inputs) and
how to apply an affine map to its own values.  Adding an operation (a
convolution, a pooling layer) means adding a row here and one parameter
reader per framework.

==========  ==========================  ===========================  ==========================================
operation   PyTorch                     ONNX                         exact rule
==========  ==========================  ===========================  ==========================================
affine      Linear                      Gemm, MatMul, Add, Sub, Neg  weights at their exact binary value;
                                                                     consecutive affine maps compose
scale       ``x * c``, ``c * x``,       Mul, Div (by a constant)     ``c x`` with ``c`` at its exact binary
            ``x / c`` (traced)                                       value (``x / c``: ``(1/c) x``); folds
                                                                     into the neighbouring affine map
relu        ReLU                        Relu                         one neuron per feature
leaky_relu  LeakyReLU                   LeakyRelu                    ``relu(x) - a relu(-x)``: two neurons
clamp       Hardtanh, ReLU6             Clip                         ``relu(x - lo) - relu(x - hi) + lo``: two
batch_norm  BatchNorm1d, BatchNorm2d    BatchNormalization           ``scale x + shift`` per feature (per
                                                                     channel on ``(C, ...)``), folded into
                                                                     the neighbouring affine map
conv        Conv1d, Conv2d              Conv                         unrolled into a sparse affine map of the
                                                                     flattened input (zero padding, any
                                                                     stride, dilation, groups)
avg_pool    AvgPool1d, AvgPool2d        AveragePool                  a sparse affine map, weights ``1/k``
max_pool    MaxPool1d, MaxPool2d        MaxPool                      a tree of ``max(a, b) = relu(a - b) + b``:
                                                                     ``ceil(log2 k)`` hidden layers
identity    Identity, Dropout (all)     Identity, Dropout            dropped (Dropout in evaluation mode)
reshape     Flatten (start_dim=1)       Flatten, Reshape, Squeeze,   row-major re-indexing; the identity
                                        Unsqueeze, Transpose         on a flat input
add         ``a + b`` (traced)          Add of two branches          branches side by side
                                                                     (:func:`cpa.calculus.parallel`), summed
concat      ``torch.cat(dim=1)``        Concat of branches           branches side by side, outputs
            (traced)                                                 concatenated
==========  ==========================  ===========================  ==========================================

The torch column names ``torch.nn`` classes; the operations marked
*(traced)* have no module: the ``torch.fx`` reader (:mod:`cpa.io.fx_to_steps`)
reads them from a traced ``forward``.  Branches of any depth are put side by
side with the shallower ones carried through the extra hidden layers as
``x = relu(x) - relu(-x)`` (``h = relu(h)`` for a hidden state ``h >= 0``).

Convolutions and poolings need the shape ``(C, *spatial)`` of one example:
the readers track it through the chain (Flatten turns it into one flat
vector, in row-major order).

Layers whose behaviour depends on the mode (Dropout, BatchNorm) are read in
evaluation mode only; a model in training mode is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .batchnorm import batch_norm
from .conv import avg_pool_affine, conv_affine, pool_windows
from .elementwise import clamp, identity, leaky_relu, relu, scale

__all__ = ["FoldRule", "RULES", "torch_rule", "onnx_rule", "TRAINING_SENSITIVE", "LOGITS_LAYERS",
           "NOT_PIECEWISE_AFFINE"]


@dataclass(frozen=True)
class FoldRule:
    """One row of the table.

    Attributes
    ----------
    op
        The canonical name (``"leaky_relu"``).
    torch
        Names of the ``torch.nn`` classes read as this operation (exact classes,
        not subclasses, whose ``forward`` may differ).
    onnx
        ONNX operator types (default domain) read as this operation.
    build
        For elementwise operations, the constructor of the exact form
        (:mod:`cpa.fold.elementwise`), called with the parameters the reader
        finds; None when the reader builds the map itself (affine maps,
        re-indexing).
    rule
        The exact identity, in one line (for documentation and messages).
    """

    op: str
    torch: tuple[str, ...]
    onnx: tuple[str, ...]
    build: Callable[..., Any] | None
    rule: str


_DROPOUTS = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")

#: canonical operation -> its row
RULES: dict[str, FoldRule] = {r.op: r for r in (
    FoldRule("affine", ("Linear",), ("Gemm", "MatMul", "Add", "Sub", "Neg"), None,
             "weights at their exact binary value; consecutive affine maps compose exactly"),
    FoldRule("scale", (), ("Mul", "Div"), scale,
             "c x for a constant c at its exact binary value (x / c is (1/c) x): folds into the affine maps"),
    FoldRule("relu", ("ReLU",), ("Relu",), relu, "relu(x): one neuron per feature"),
    FoldRule("leaky_relu", ("LeakyReLU",), ("LeakyRelu",), leaky_relu,
             "relu(x) - a relu(-x): two neurons per feature"),
    FoldRule("clamp", ("Hardtanh", "ReLU6"), ("Clip",), clamp,
             "relu(x - lo) - relu(x - hi) + lo: two neurons per feature"),
    FoldRule("batch_norm", ("BatchNorm1d", "BatchNorm2d"), ("BatchNormalization",), batch_norm,
             "gamma (x - mean) / fl(sqrt(var + eps)) + beta per channel, folded into the neighbouring affine map"),
    FoldRule("conv", ("Conv1d", "Conv2d"), ("Conv",), conv_affine,
             "zero-padded cross-correlation unrolled into a sparse affine map of the flattened input"),
    FoldRule("avg_pool", ("AvgPool1d", "AvgPool2d"), ("AveragePool",), avg_pool_affine,
             "mean over each window: a sparse affine map with weights 1/k"),
    FoldRule("max_pool", ("MaxPool1d", "MaxPool2d"), ("MaxPool",), pool_windows,
             "max over each window as a tree of max(a, b) = relu(a - b) + b: ceil(log2 k) hidden layers"),
    FoldRule("identity", ("Identity",) + _DROPOUTS, ("Identity", "Dropout"), identity,
             "the identity (Dropout in evaluation mode)"),
    FoldRule("reshape", ("Flatten",), ("Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose"), identity,
             "re-indexing of the entries (row-major); Flatten() is the identity on a flat input"),
    FoldRule("add", (), ("Add",), None,
             "f(x) + g(x): the branches side by side, the shallower carried as relu(x) - relu(-x), then summed"),
    FoldRule("concat", (), ("Concat",), None,
             "(f(x), g(x)) along the feature axis: the branches side by side"),
)}

#: layer types that behave differently in training mode (torch class names and ONNX op types)
TRAINING_SENSITIVE: frozenset[str] = frozenset(_DROPOUTS + ("BatchNorm1d", "BatchNorm2d", "BatchNormalization"))

#: a final layer of these types turns logits into probabilities: cpa reads the network up to the logits
LOGITS_LAYERS: frozenset[str] = frozenset({"Softmax", "LogSoftmax", "Softmin"})

#: common layers that are not piecewise affine (named as such in refusals)
NOT_PIECEWISE_AFFINE: frozenset[str] = frozenset({
    "GELU", "Gelu", "Sigmoid", "Tanh", "SiLU", "Mish", "Softplus", "ELU", "Elu", "SELU", "Selu", "CELU",
    "Celu", "Hardswish", "HardSwish", "Softsign", "Tanhshrink", "LogSigmoid", "Erf", "Exp", "Log",
    "Softmax", "LogSoftmax", "Softmin", "MultiheadAttention", "LayerNorm", "LayerNormalization",
    "GroupNorm", "GroupNormalization", "RMSNorm", "Bilinear", "Pow", "Sqrt", "Reciprocal"})


def torch_rule(cls_name: str) -> FoldRule | None:
    """The row that reads the ``torch.nn`` class ``cls_name``, or None."""
    return _BY_TORCH.get(cls_name)


def onnx_rule(op_type: str) -> FoldRule | None:
    """The row that reads the ONNX operator ``op_type``, or None."""
    return _BY_ONNX.get(op_type)


_BY_TORCH = {name: r for r in RULES.values() for name in r.torch}
_BY_ONNX = {name: r for r in RULES.values() for name in r.onnx}
