"""Reading and writing networks: exact JSON, npz, ONNX and PyTorch.

>>> from cpa.io import load_network, save_network       # dispatch on the extension
>>> from cpa.io import from_torch, to_torch, read_onnx, write_onnx
>>> from cpa.io import to_json, from_json, read_npz, write_npz    # one format each

Every reader is exact (a float weight is the dyadic rational it denotes) and
none executes code from the file.  :func:`from_torch` and :func:`read_onnx`
also read the evaluation-mode layers of real models, folded exactly
(:mod:`cpa.fold`): BatchNorm, Dropout, Identity, Flatten, LeakyReLU,
Hardtanh/ReLU6/Clip, convolutions and average pooling (sparse affine maps),
max pooling (a tree of exact ``max`` gadgets); :func:`from_torch` reads any
``nn.Module`` whose traced ``forward`` is a chain of such layers.  Writers to float formats return whether
the weights were written exactly.  ``import cpa.io`` does not import torch
or onnx; the functions that need them import them when called and raise
:class:`MissingExtraError` naming the extra (``pip install 'cpa[torch]'``,
``pip install 'cpa[onnx]'``) when they are missing.
"""

from __future__ import annotations

from ._deps import MissingExtraError as MissingExtraError
from ._floats import representable as representable
from .files import (
    FORMATS as FORMATS,
    describe_format as describe_format,
    format_of as format_of,
    is_exact_format as is_exact_format,
    load_network as load_network,
    save_network as save_network,
)
from .json_io import (
    network_from_dict as from_dict,
    network_from_json as from_json,
    network_to_dict as to_dict,
    network_to_json as to_json,
)
from .npz_io import read_npz as read_npz, write_npz as write_npz
from .onnx_io import read_onnx as read_onnx, write_onnx as write_onnx
from .torch_io import (
    from_torch as from_torch,
    load_torch as load_torch,
    save_torch as save_torch,
    to_torch as to_torch,
)

__all__ = [
    "load_network",
    "save_network",
    "to_json",
    "from_json",
    "to_dict",
    "from_dict",
    "read_npz",
    "write_npz",
    "format_of",
    "describe_format",
    "is_exact_format",
    "FORMATS",
    "from_torch",
    "to_torch",
    "load_torch",
    "save_torch",
    "read_onnx",
    "write_onnx",
    "representable",
    "MissingExtraError",
]
