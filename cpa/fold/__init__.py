"""Exact folding of evaluation-mode layers into a ReLU network.

The readers of :mod:`cpa.io` (``from_torch``, ``read_onnx``) read more than
Linear/ReLU chains: Dropout and Identity vanish, BatchNorm folds into the
neighbouring affine map, LeakyReLU and clamps (Hardtanh, ReLU6, ONNX
``Clip``) become two ReLUs per feature.  This package holds what both
readers share:

* :mod:`cpa.fold.table`: the one table of operations (PyTorch classes and
  ONNX operator types, and the exact rule of each);
* :mod:`cpa.fold.elementwise`: the exact forms of elementwise layers
  (:class:`ScaleShift`, :class:`ReluSum`) and the gadgets that build them,
  each with its identity and neuron count;
* :mod:`cpa.fold.batchnorm`: batch normalization as an exact per-feature
  map (the one float step, ``sqrt(var + eps)``, taken as the frameworks do);
* :mod:`cpa.fold.conv`: convolutions and average pooling unrolled into
  exact sparse affine maps of the flattened input;
* :mod:`cpa.fold.maxpool`: max pooling as a tree of exact ``max`` gadgets;
* :mod:`cpa.fold.steps_to_network`: a chain of such layers as one network.

Exactness: weights are read at their exact binary value.  A float
hyperparameter (a LeakyReLU slope, Hardtanh bounds, BatchNorm's ``eps``) is
taken at the value the framework applies: PyTorch rounds it to the model's
float type (``0.1`` becomes ``float32(0.1)`` in a float32 model); ONNX stores
it in the graph (float attributes are float32, bounds are tensors).  The only
other float step is BatchNorm's square root (see :mod:`cpa.fold.batchnorm`).

>>> from fractions import Fraction
>>> from cpa.fold import Step, steps_to_network, leaky_relu
>>> from cpa import Affine
>>> steps = [Step("0", "Linear", Affine([[1], [2]], [0, -1])), Step("1", "LeakyReLU", leaky_relu(Fraction(1, 4))),
...          Step("2", "Linear", Affine([[1, 1]], [0]))]
>>> folded = steps_to_network(steps)
>>> folded.network.architecture, folded.network([Fraction(-1)])
((1, 4, 1), (Fraction(-1, 1),))
"""

from __future__ import annotations

from .batchnorm import batch_norm as batch_norm, float_sqrt as float_sqrt
from .elementwise import (
    Elementwise as Elementwise,
    ReluSum as ReluSum,
    ScaleShift as ScaleShift,
    clamp as clamp,
    identity as identity,
    leaky_relu as leaky_relu,
    relu as relu,
    scale as scale,
)
from .conv import avg_pool_affine as avg_pool_affine, conv_affine as conv_affine, per_channel as per_channel
from .conv import pool_windows as pool_windows
from .maxpool import MaxPool as MaxPool, max_tree as max_tree
from .steps_to_network import Concat as Concat, Folded as Folded, Step as Step, Sum as Sum
from .steps_to_network import steps_to_network as steps_to_network
from .table import RULES as RULES, FoldRule as FoldRule, onnx_rule as onnx_rule, torch_rule as torch_rule

__all__ = [
    "RULES",
    "FoldRule",
    "torch_rule",
    "onnx_rule",
    "ScaleShift",
    "ReluSum",
    "Elementwise",
    "identity",
    "scale",
    "relu",
    "leaky_relu",
    "clamp",
    "batch_norm",
    "float_sqrt",
    "conv_affine",
    "avg_pool_affine",
    "pool_windows",
    "per_channel",
    "MaxPool",
    "max_tree",
    "Step",
    "Sum",
    "Concat",
    "Folded",
    "steps_to_network",
]
