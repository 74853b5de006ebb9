"""ONNX files <-> exact :class:`~cpa.network.ReLUNetwork`.

:func:`read_onnx` parses the protobuf and interprets the graph symbolically
(:mod:`cpa.io.onnx_to_network`); nothing in the file is executed, and
onnxruntime is not used.  The file, and any external data it refers to, must
fit in ``cpa.limits.current().max_file_bytes``; external data is read only
from files inside the model's directory, by the byte ranges it declares.  :func:`write_onnx` emits a chain
``Gemm -> Relu -> ... -> Gemm`` that passes ``onnx.checker.check_model``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from .. import limits
from ..errors import FormatError
from ..network import ReLUNetwork
from ._deps import require
from ._floats import float_array, float_kind, representable
from ._guard import check_file_size, check_layers, short, writing
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
        Listing every node (name, op type and reason) whose operator is not
        supported or that is in training mode, or naming a node that makes
        the graph something other than a feed-forward ReLU network.
    FormatError
        If the file is not a valid ONNX model or its graph is malformed.
    MissingExtraError
        If onnx is not installed.

    Notes
    -----
    Supported operators and the reading conventions (batch of one, row-major
    flattening) are listed in :mod:`cpa.io.onnx_to_network`.  Both the
    TorchScript exporter (``Gemm``) and the dynamo exporter (``MatMul`` +
    ``Add``, possibly after ``Transpose``) are covered.  Exported
    evaluation-mode layers are folded exactly as by :func:`cpa.io.from_torch`
    (:mod:`cpa.fold`): ``BatchNormalization``, ``LeakyRelu``, ``Clip``
    (Hardtanh, ReLU6), ``Dropout``, ``Identity``, ``Flatten``.  The
    TorchScript exporter (``dynamo=False``) keeps ``BatchNormalization`` as a
    node, so the fold is exact; the dynamo exporter folds it into the
    ``Gemm`` weights in float32 itself, so the network read is the one in
    the file, which differs from the exact fold by float rounding.
    """
    onnx = require("onnx")
    if isinstance(source, onnx.ModelProto):
        return graph_to_network(source)
    name = os.fspath(source)
    if not os.path.isfile(name):
        raise FileNotFoundError(2, "no such network file", name)
    check_file_size(name, "ONNX file")
    try:
        model = onnx.load(name, load_external_data=False)
    except Exception as e:  # protobuf DecodeError, ...
        raise FormatError(f"{name!r} is not a readable ONNX model "
                          f"({type(e).__name__}: {short(str(e), 120)})") from None
    if not model.HasField("graph"):
        raise FormatError(f"{name!r} is not an ONNX model (no graph)")
    _load_external_data(model, name)
    return graph_to_network(model, repr(name))


def _load_external_data(model: Any, name: str) -> None:
    """Read the external data of the graph's tensors into them, within ``max_file_bytes`` in total.

    Each location must be a relative path to a regular file inside the model's
    directory, and its byte range must hold exactly the tensor's declared size.
    """
    from onnx import TensorProto, helper

    base = os.path.realpath(os.path.dirname(os.path.abspath(name)))
    tensors = list(model.graph.initializer) + [
        a.t for n in model.graph.node for a in n.attribute if a.HasField("t")]
    budget = limits.current().max_file_bytes - os.path.getsize(name)
    for t in tensors:
        if t.data_location != TensorProto.EXTERNAL:
            continue
        where = f"{name!r}: tensor {short(t.name, 60)!r}"
        info = {e.key: e.value for e in t.external_data}
        loc = info.get("location", "")
        path = os.path.realpath(os.path.join(base, loc))
        if not loc or os.path.isabs(loc) or os.path.commonpath([base, path]) != base or not os.path.isfile(path):
            raise FormatError(f"{where}: external data location {short(loc, 80)!r} is not a file in the "
                              "model's directory")
        try:
            offset, length = int(info.get("offset", 0)), int(info.get("length", -1))
            itemsize = helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
        except (ValueError, TypeError, KeyError) as e:
            raise FormatError(f"{where}: malformed external data entry ({short(str(e), 80)})") from None
        size = os.path.getsize(path)
        count = 1
        for d in t.dims:
            count *= d
        expected = count * itemsize
        if length < 0:
            length = size - offset
        if expected > budget:
            raise limits.refuse(f"{where} ({expected} bytes of external data)", "max_file_bytes",
                                f"{expected} bytes")
        if offset < 0 or length != expected or offset + length > size:
            raise FormatError(f"{where}: external data in {short(loc, 80)!r} (offset {offset}, length {length}, "
                              f"file of {size} bytes) does not hold the {expected} bytes of its shape "
                              f"{tuple(t.dims)}")
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
        if len(data) != length:
            raise FormatError(f"{where}: external data in {short(loc, 80)!r} is truncated")
        budget -= length
        t.raw_data = data
        del t.external_data[:]
        t.data_location = TensorProto.DEFAULT


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
    check_layers(net, "cannot write the network as ONNX")
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
    from .._version import __version__

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="cpa", producer_version=__version__)
    model.ir_version = IR_VERSION
    model.doc_string = (f"ReLU network {net.architecture} written by cpa; "
                        + ("weights exact" if exact else f"weights rounded to {kind}"))
    onnx.checker.check_model(model, full_check=True)
    with writing(path) as name:
        onnx.save(model, name)
    return exact
