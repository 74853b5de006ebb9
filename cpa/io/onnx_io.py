"""ONNX files <-> exact :class:`~cpa.network.ReLUNetwork`.

:func:`read_onnx` parses the protobuf and interprets the graph symbolically
(:mod:`cpa.io.onnx_to_network`); nothing in the file is executed, and
onnxruntime is not used.  :func:`write_onnx` emits a chain
``Gemm -> Relu -> ... -> Gemm`` that passes ``onnx.checker.check_model``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from ..errors import FormatError
from ..network import ReLUNetwork
from ._deps import require
from ._floats import float_array, float_kind, representable
from .onnx_to_network import SUPPORTED_OPS, graph_to_network

__all__ = ["read_onnx", "write_onnx", "SUPPORTED_OPS"]

_log = logging.getLogger("cpa")

#: the opset and IR version written by :func:`write_onnx`
OPSET = 17
IR_VERSION = 8


def read_onnx(source: str | os.PathLike[str] | Any) -> ReLUNetwork:
    """Read an ONNX model as an exact ReLU network.

    Parameters
    ----------
    source
        A path to a ``.onnx`` file, or an ``onnx.ModelProto``.

    Returns
    -------
    ReLUNetwork
        The real-number function the graph denotes, with every weight at its
        exact binary value and Gemm's ``alpha``/``beta`` applied exactly.

    Raises
    ------
    UnsupportedLayerError
        Listing every node (name and op type) whose operator is not supported,
        or naming a node that makes the graph something other than a
        feed-forward ReLU network.
    FormatError
        If the file is not a valid ONNX model or its graph is malformed.
    MissingExtraError
        If onnx is not installed.

    Notes
    -----
    Supported operators and the reading conventions (batch of one, row-major
    flattening) are listed in :mod:`cpa.io.onnx_to_network`.  Both the
    TorchScript exporter (``Gemm``) and the dynamo exporter (``MatMul`` +
    ``Add``, possibly after ``Transpose``) are covered.
    """
    onnx = require("onnx")
    if isinstance(source, onnx.ModelProto):
        return graph_to_network(source)
    name = os.fspath(source)
    if not os.path.isfile(name):
        raise FileNotFoundError(2, "no such network file", name)
    try:
        model = onnx.load(name)
    except Exception as e:  # protobuf DecodeError, external-data errors, ...
        raise FormatError(f"{name!r} is not a readable ONNX model ({type(e).__name__}: {e})") from None
    if not model.HasField("graph"):
        raise FormatError(f"{name!r} is not an ONNX model (no graph)")
    return graph_to_network(model, repr(name))


def write_onnx(net: ReLUNetwork, path: str | os.PathLike[str], dtype: Any = "float64") -> bool:
    """Write ``net`` as an ONNX ``Gemm``/``Relu`` chain.

    Parameters
    ----------
    net
        The network.
    path
        Output file.
    dtype
        ``"float64"`` (default) or ``"float32"``: the tensor type of weights,
        input and output.

    Returns
    -------
    bool
        True when every weight was written exactly.  Otherwise weights are
        rounded to the nearest float and a warning is logged.

    Notes
    -----
    The graph has one input ``"input"`` of shape ``(batch, n_0)``, one output
    ``"output"`` of shape ``(batch, n_out)``; layer ``i`` is
    ``Gemm(x, layer{i}.weight, layer{i}.bias, transB=1)`` (weights stored as
    ``(n_out, n_in)``, as in PyTorch) followed by ``Relu`` except for the last.
    Opset 17, IR version 8.
    """
    onnx = require("onnx")
    from onnx import TensorProto, helper, numpy_helper

    kind = float_kind(dtype)
    elem = TensorProto.FLOAT if kind == "float32" else TensorProto.DOUBLE
    exact = representable(net, kind)
    if not exact:
        _log.warning("write_onnx(%s): some weights are not %s numbers and were rounded", path, kind)
    nodes, inits = [], []
    x = "input"
    last = len(net.affine_layers) - 1
    for i, (W, b) in enumerate(net.layers):
        n_out, n_in = net.affine_layers[i].W.shape
        wn, bn = f"layer{i}.weight", f"layer{i}.bias"
        inits.append(numpy_helper.from_array(float_array(W, kind, f"layer {i} W").reshape(n_out, n_in), wn))
        inits.append(numpy_helper.from_array(float_array(b, kind, f"layer {i} b").reshape(n_out), bn))
        y = "output" if i == last else f"layer{i}.gemm"
        nodes.append(helper.make_node("Gemm", [x, wn, bn], [y], name=f"layer{i}", transB=1))
        if i < last:
            x = f"layer{i}.relu"
            nodes.append(helper.make_node("Relu", [y], [x], name=f"relu{i}"))
    graph = helper.make_graph(
        nodes, "cpa_relu_network",
        [helper.make_tensor_value_info("input", elem, ["batch", net.input_dim])],
        [helper.make_tensor_value_info("output", elem, ["batch", net.output_dim])],
        initializer=inits)
    from .. import __version__

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="cpa", producer_version=__version__)
    model.ir_version = IR_VERSION
    model.doc_string = (f"ReLU network {net.architecture} written by cpa; "
                        + ("weights exact" if exact else f"weights rounded to {kind}"))
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.fspath(path))
    return exact
