"""Hostile and corrupt input to every reader and writer of cpa.io and cpa.spec_io.

Each numbered item of the hardening has a regression test here; the second
half corrupts valid files of every format in many ways (fixed seeds) and
requires that loading either returns the right network or raises a CPAError,
never another exception, a hang or a memory blowup.  Everything runs with
small limits (``cpa.limits``) so that a missed guard fails fast.
"""

from __future__ import annotations

import io
import json
import random
import struct
import sys
import zipfile
from fractions import Fraction

import numpy as np
import pytest

import cpa
import cpa.limits
from cpa.errors import CPAError, FormatError, LimitError, MissingExtraError, UnsupportedLayerError
from cpa.io import from_json, load_network, save_network, to_dict, to_json
from cpa.network import ReLUNetwork
from cpa.spec_io import load_spec

F = Fraction
MAX_LINE = 2000         # no error message may be longer than this (lists are cut to their first items)


def _onnx():
    return pytest.importorskip("onnx")


def _torch():
    return pytest.importorskip("torch")


def _net(arch=(2, 3, 1), seed=0):
    rng = np.random.default_rng(seed)
    return ReLUNetwork([(rng.normal(size=(b, a)), rng.normal(size=b)) for a, b in zip(arch[:-1], arch[1:])])


def _refused(exc_type, fn, *args, match=None):
    """``fn(*args)`` raises ``exc_type`` with a short one-line message (matching ``match``)."""
    with pytest.raises(exc_type, match=match) as info:
        fn(*args)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) <= MAX_LINE, (len(msg), msg[:500])
    return msg


def _model(nodes, inits, in_shape, out_shape, elem=None, check=True):
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper

    elem = TensorProto.DOUBLE if elem is None else elem
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", elem, in_shape)],
        [helper.make_tensor_value_info("y", elem, out_shape)],
        initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model, full_check=True)
    return model


def _npy(arr_or_header: object, data: bytes = b"") -> bytes:
    """An .npy file: a real array, or a raw header dict text followed by ``data``."""
    if isinstance(arr_or_header, np.ndarray):
        buf = io.BytesIO()
        np.save(buf, arr_or_header, allow_pickle=True)
        return buf.getvalue()
    header = str(arr_or_header).encode("latin1")
    pad = 64 - (10 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def _zip(path, members: dict, compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


# === 1. ONNX integers are exact; folding that ONNX would wrap is refused ====================

def test_onnx_uint64_weight_read_exactly():
    from onnx import TensorProto, helper

    from cpa.io import read_onnx

    W = np.array([[2 ** 64 - 1, 3]], dtype=np.uint64)
    m = _model([helper.make_node("MatMul", ["x", "W"], ["y"])], {"W": W.T.copy()}, [1, 2], [1, 1],
               elem=TensorProto.UINT64)
    net = read_onnx(m)
    assert net.layers[0][0] == ((F(2 ** 64 - 1), F(3)),)


@pytest.mark.parametrize("op, a, b", [("Add", 2 ** 62, 2 ** 62), ("Mul", 2 ** 62, 2 ** 62),
                                      ("Sub", -(2 ** 63), 1), ("Mul", -(2 ** 63), -1)])
def test_onnx_int64_folding_overflow_refused(op, a, b):
    from onnx import helper

    from cpa.io import read_onnx

    nodes = [helper.make_node(op, ["a", "b"], ["s"]), helper.make_node("Reshape", ["x", "s"], ["y"])]
    unit = 0 if op in ("Add", "Sub") else 1
    m = _model(nodes, {"a": np.array([1, a], dtype=np.int64), "b": np.array([unit, b], dtype=np.int64)},
               [1, 1], ["N", "M"])
    msg = _refused(FormatError, read_onnx, m, match="outside the range of int64")
    assert "wrap" in msg and op in msg


def test_onnx_int_folding_in_range_is_exact():
    from onnx import helper

    from cpa.io import read_onnx

    # shape arithmetic exporters emit: (2**31 * 2 - 2**32 + 2) = 2 -> Reshape to (1, 2)
    nodes = [helper.make_node("Mul", ["a", "two"], ["m"]), helper.make_node("Sub", ["m", "c"], ["s"]),
             helper.make_node("Reshape", ["x", "s"], ["r"]), helper.make_node("Gemm", ["r", "W"], ["y"])]
    inits = {"a": np.array([1, 2 ** 31], dtype=np.int64), "two": np.array([1, 2], dtype=np.int64),
             "c": np.array([0, 2 ** 32 - 2], dtype=np.int64), "W": np.array([[1.0], [2.0]])}
    net = read_onnx(_model(nodes, inits, [1, 2], [1, 1]))
    assert net([3, 4]) == (F(11),)


# === 2. silent misreads: npz gaps and stray keys, long doubles, ONNX bools =================

def test_npz_gap_in_layers_refused(tmp_path):
    p = tmp_path / "gap.npz"
    np.savez(p, W0=np.ones((2, 2)), b0=np.zeros(2), W2=np.ones((1, 2)), b2=np.zeros(1))
    msg = _refused(FormatError, load_network, p, match="layer 1 is missing")
    assert "W1" in msg and "b1" in msg


@pytest.mark.parametrize("extra", [{"W1x": np.ones(1)}, {"meta": np.ones(1)}, {"b1": np.ones(1)}, {"W01": np.ones(1)}])
def test_npz_stray_keys_refused(tmp_path, extra):
    p = tmp_path / "stray.npz"
    np.savez(p, W0=np.ones((1, 2)), b0=np.zeros(1), **extra)
    msg = _refused(FormatError, load_network, p)
    assert any(k in msg for k in extra)


def test_npz_longdouble_read_exactly(tmp_path):
    if np.finfo(np.longdouble).nmant <= 52:
        pytest.skip("long double is float64 here")
    x = np.longdouble(1) / 3
    p = tmp_path / "ld.npz"
    np.savez(p, W0=np.array([[x, 1]], dtype=np.longdouble), b0=np.array([x], dtype=np.longdouble))
    net = load_network(p)
    exact = F(*x.as_integer_ratio())
    assert net.layers[0][0][0][0] == exact != F(float(x))


def test_onnx_bool_weights_refused():
    from onnx import helper

    from cpa.io import read_onnx

    m = _model([helper.make_node("Mul", ["x", "W"], ["y"])], {"W": np.array([True, False])}, [1, 2], [1, 2],
               check=False)
    _refused(FormatError, read_onnx, m, match="bool")


def test_npz_bool_and_complex_refused(tmp_path):
    for arr, word in ((np.array([[True]]), "bool"), (np.array([[1j]]), "complex")):
        p = tmp_path / f"{word}.npz"
        np.savez(p, W0=arr, b0=np.zeros(1))
        _refused(FormatError, load_network, p, match=word)


# === 3. weights beyond float64; numbers beyond Python's 4300 digits =======================

def test_npz_overflow_names_entry(tmp_path):
    src = tmp_path / "big.json"
    src.write_text(json.dumps({"layers": [{"W": [["1", "1e400"]], "b": ["0"]}]}))
    net = load_network(src)
    assert net.layers[0][0][0][1] == 10 ** 400
    msg = _refused(FormatError, save_network, net, tmp_path / "big.npz", match="float64")
    assert "layer 0 W[0][1]" in msg and "cannot hold" in msg
    assert not (tmp_path / "big.npz").exists()


@pytest.mark.parametrize("ext", [".onnx", ".pt"])
def test_float_formats_overflow_names_entry(tmp_path, ext):
    _onnx() if ext == ".onnx" else _torch()
    net = ReLUNetwork([([[1, 2]], [0]), ([[10 ** 5000]], [F(1, 3)])])
    msg = _refused(FormatError, save_network, net, tmp_path / f"n{ext}")
    assert "layer 1 W[0][0]" in msg and "float64" in msg


def test_json_numbers_beyond_4300_digits_roundtrip(tmp_path):
    big = F(10 ** 5000 + 7, 3 ** 6000)
    net = ReLUNetwork([([[big, -big]], [F(-(10 ** 4400))])])
    p = tmp_path / "big.json"
    assert save_network(net, p) is True
    assert load_network(p) == net
    assert from_json(to_json(net)) == net
    # an integer literal of 5000 digits (not a string) is read exactly too
    p.write_text('{"layers": [{"W": [[' + "9" * 5000 + ']], "b": [0]}]}')
    assert load_network(p).layers[0][0][0][0] == 10 ** 5000 - 1


def test_json_numbers_beyond_max_digits_refused(tmp_path):
    net = ReLUNetwork([([[10 ** 300]], [0])])
    with cpa.limits.limits(max_digits=200):
        _refused(LimitError, save_network, net, tmp_path / "n.json", match="max_digits")
        _refused(LimitError, to_dict, net)
        p = tmp_path / "n2.json"
        for field in ('"1' + "0" * 300 + '"', "1" + "0" * 300, '"1/1' + "0" * 300 + '"', '"1e300"'):
            p.write_text('{"layers": [{"W": [[' + field + ']], "b": ["0"]}]}')
            _refused(LimitError, load_network, p, match="max_digits|max_exponent")


# === 4. loaders: truncated and oversized npz, zip bombs, ONNX external data and attributes =====

def test_npz_truncated(tmp_path):
    p = tmp_path / "t.npz"
    np.savez(p, W0=np.ones((3, 3)), b0=np.zeros(3))
    data = p.read_bytes()
    for cut in (0, 10, len(data) // 2, len(data) - 5):
        p.write_bytes(data[:cut])
        _refused(FormatError, load_network, p)


def test_npz_header_declaring_huge_shape(tmp_path):
    p = tmp_path / "huge.npz"
    _zip(p, {"W0.npy": _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", b"\0" * 16),
             "b0.npy": _npy(np.zeros(1))})
    _refused(LimitError, load_network, p, match="max_file_bytes")
    _zip(p, {"W0.npy": _npy("{'descr': '<f8', 'fortran_order': False, 'shape': (100, 100), }", b"\0" * 16),
             "b0.npy": _npy(np.zeros(100))})
    _refused(FormatError, load_network, p, match="declares shape")


def test_npz_zip_bomb(tmp_path):
    p = tmp_path / "bomb.npz"
    zeros = np.zeros((1, 4_000_000))          # 32 MB of zeros, a few dozen KB compressed
    _zip(p, {"W0.npy": _npy(zeros), "b0.npy": _npy(np.zeros(1))}, zipfile.ZIP_DEFLATED)
    assert p.stat().st_size < 200_000
    with cpa.limits.limits(max_file_bytes=1_000_000):
        _refused(LimitError, load_network, p, match="max_file_bytes")
    # a member that lies about its size: declared small, real data larger -> read is bounded, then refused
    small = _npy(np.zeros((1, 2)))
    _zip(p, {"W0.npy": small[:-16] + b"\0" * 100_000, "b0.npy": _npy(np.zeros(1))}, zipfile.ZIP_DEFLATED)
    data = bytearray(p.read_bytes())
    true_size = len(small) - 16 + 100_000
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = data.index(sig)
        assert struct.unpack("<I", data[i + off:i + off + 4])[0] == true_size
        data[i + off:i + off + 4] = struct.pack("<I", len(small))
    p.write_bytes(bytes(data))
    _refused(FormatError, load_network, p)


def test_npz_object_array_never_unpickled(tmp_path):
    p = tmp_path / "obj.npz"
    W = np.empty((1, 1), dtype=object)
    W[0, 0] = F(1, 3)
    np.savez(p, W0=W, b0=np.zeros(1))
    _refused(FormatError, load_network, p, match="unpickling")


def test_onnx_external_data_bounded(tmp_path):
    onnx = _onnx()
    from onnx import helper

    from cpa.io import read_onnx

    W = np.arange(6, dtype=np.float64).reshape(3, 2) / 4
    m = _model([helper.make_node("Gemm", ["x", "W"], ["y"], transB=1)], {"W": W}, [1, 2], [1, 3])
    path = tmp_path / "ext.onnx"
    onnx.save_model(m, str(path), save_as_external_data=True, location="w.data", size_threshold=0)
    assert (tmp_path / "w.data").exists()
    net = read_onnx(path)
    assert net.layers[0][0] == tuple(tuple(F(v) for v in row) for row in W)
    with cpa.limits.limits(max_file_bytes=40):
        _refused(LimitError, read_onnx, path, match="max_file_bytes")
    model = onnx.load(str(path), load_external_data=False)
    _refused(FormatError, read_onnx, model, match="external")          # never read relative to the cwd
    for key, value, word in (("location", "../outside.data", "not a file in the model's directory"),
                             ("location", "/etc/passwd", "not a file"),
                             ("length", "4000", "does not hold"),
                             ("offset", "-3", "does not hold"),
                             ("offset", "x", "malformed")):
        bad = onnx.load(str(path), load_external_data=False)
        entry = {e.key: e for e in bad.graph.initializer[0].external_data}
        if key in entry:
            entry[key].value = value
        else:
            bad.graph.initializer[0].external_data.add(key=key, value=value)
        (tmp_path / "outside.data").write_bytes(b"\0" * 48)
        onnx.save(bad, str(tmp_path / "bad.onnx"))
        _refused(FormatError, read_onnx, tmp_path / "bad.onnx", match=word)


def test_onnx_infinite_attributes_and_huge_axes():
    from onnx import TensorProto, helper

    from cpa.io import read_onnx

    gemm = _model([helper.make_node("Gemm", ["x", "W"], ["y"], alpha=float("inf"))], {"W": np.ones((1, 1))},
                  [1, 1], [1, 1])
    _refused(FormatError, read_onnx, gemm, match="alpha is inf")
    for kw in ({"value_float": float("inf")}, {"value_floats": [1.0, float("nan")]},
               {"value": helper.make_tensor("v", TensorProto.DOUBLE, [1], [float("inf")])}):
        m = _model([helper.make_node("Constant", [], ["c"], **kw), helper.make_node("Mul", ["x", "c"], ["y"])],
                   {}, [1, 1], [1, 1], check=False)
        _refused(FormatError, read_onnx, m, match="inf|NaN|nan|finite")
    m = _model([helper.make_node("Unsqueeze", ["x", "ax"], ["u"]), helper.make_node("Flatten", ["u"], ["y"])],
               {"ax": np.array([2 ** 62], dtype=np.int64)}, [1, 2], [1, 2], check=False)
    _refused(FormatError, read_onnx, m, match="Unsqueeze axes")
    m = _model([helper.make_node("Unsqueeze", ["x"], ["u"], axes=[2 ** 62]), helper.make_node("Flatten", ["u"], ["y"])],
               {}, [1, 2], [1, 2], check=False)
    m.opset_import[0].version = 11
    _refused(FormatError, read_onnx, m, match="Unsqueeze axes")


def test_onnx_constant_broadcast_bomb_refused():
    from onnx import helper

    from cpa.io import read_onnx

    nodes = [helper.make_node("Add", ["a", "b"], ["c"]), helper.make_node("Mul", ["x", "c"], ["y"])]
    m = _model(nodes, {"a": np.zeros((3_000, 1)), "b": np.zeros((1, 3_000))}, [1, 1], [1, 1], check=False)
    _refused(FormatError, read_onnx, m, match="too large")


def test_onnx_long_reversed_chain_is_linear_time(tmp_path):
    from onnx import helper

    from cpa.io import read_onnx

    n = 10_000         # quadratic ordering would take a minute
    names = ["x"] + [f"t{i}" for i in range(n - 1)] + ["y"]
    nodes = [helper.make_node("Identity", [names[i]], [names[i + 1]]) for i in range(n)][::-1]
    net = read_onnx(_model(nodes, {}, [1, 2], [1, 2], check=False))
    assert net([1, 2]) == (1, 2)


@pytest.mark.parametrize("doc, word", [
    ({"type": "max_affine", "A": [["1"]]}, "needs the field 'b'"),
    ({"type": "max_affine", "A": 5, "b": ["0"]}, r"spec\.A: expected a list of rows"),
    ({"type": "max_affine", "A": [[True]], "b": ["0"]}, r"spec\.A\[0\]\[0\]"),
    ({"type": "max_affine", "A": [["1"]], "b": [1.5]}, r"spec\.b\[0\].*float"),
    ({"type": "max_affine", "A": [["1"]], "b": ["0"], "bb": 1}, "unknown field 'bb'"),
    ({"type": "expression", "expr": "x", "variables": 5}, r"spec\.variables"),
    ({"type": "expression", "expr": 5}, r"spec\.expr"),
    ({"type": "expression", "expr": "x", "variables": [1, 2]}, r"spec\.variables"),
    ({"type": "pieces", "pieces": [{"A": [["1"]], "b": ["0"], "c": ["1"]}], "box": [["0"]]}, r"spec\.box"),
    ({"type": "pieces", "pieces": [{"A": [["1"]], "b": ["0"], "c": ["1"]}], "box": 3}, r"spec\.box"),
    ({"type": "pieces", "pieces": [{"A": [["1"]], "b": ["0"], "c": ["1"]}], "box": [3, 4]}, r"spec\.box\[0\]"),
    ({"type": "pieces", "pieces": [{"A": [["1"]], "b": ["0"]}]}, r"pieces\[0\].*'c'"),
    ({"type": "pieces", "pieces": [5]}, r"pieces\[0\]"),
    ({"type": "pieces", "pieces": {}}, r"spec\.pieces"),
    ({"type": "dc", "g": {"type": "max_affine", "A": [["1"]], "b": ["0"]}, "h": 3}, r"spec\.h"),
    ({"type": "dc", "g": {"type": "dc"}, "h": {}}, r"spec\.g"),
    ({"type": "breakpoints1d", "breakpoints": ["0"], "values": ["0"], "leftslope": "1"}, "unknown field 'leftslope'"),
    ({"type": "breakpoints1d", "breakpoints": ["0"], "slopes": ["0", "1"], "values": ["0"]}, "not both"),
    ({"type": "breakpoints1d", "breakpoints": "0", "values": ["0"]}, r"spec\.breakpoints"),
    ({"type": ["max_affine"]}, "unknown spec type"),
    ([], "expected an object"),
])
def test_spec_fields_named(tmp_path, doc, word):
    p = tmp_path / "spec.json"
    p.write_text(json.dumps(doc))
    msg = _refused(FormatError, load_spec, p, match=word)
    assert "spec.json" in msg


@pytest.mark.parametrize("reader", ["network", "spec", "text"])
def test_deeply_nested_json_refused(tmp_path, reader):
    deep = "[" * 100_000 + "]" * 100_000
    medium = '{"layers": ' + "[" * 150 + "]" * 150 + "}"
    for text in (deep, medium):
        p = tmp_path / ("n.json" if reader != "spec" else "spec.json")
        p.write_text(text)
        if reader == "network":
            _refused(LimitError, load_network, p, match="max_nesting")
        elif reader == "spec":
            _refused(LimitError, load_spec, p, match="max_nesting")
        else:
            _refused(LimitError, from_json, text if text.startswith("{") else str(p), match="max_nesting")


def test_json_duplicate_and_unknown_keys_refused(tmp_path):
    p = tmp_path / "n.json"
    p.write_text('{"layers": [{"W": [["1"]], "b": ["0"], "W": [["2"]]}]}')
    _refused(FormatError, load_network, p, match="duplicate key 'W'")
    p.write_text('{"layers": [{"W": [["1"]], "b": ["0"], "activation": "tanh"}]}')
    _refused(FormatError, load_network, p, match="unexpected key 'activation'")
    p.write_text('{"architecture": [1, 5], "layers": [{"W": [["1"]], "b": ["0"]}]}')
    _refused(FormatError, load_network, p, match="does not match")
    p.write_text('{"version": 2, "layers": [{"W": [["1"]], "b": ["0"]}]}')
    _refused(FormatError, load_network, p, match="version")


def test_file_size_limit(tmp_path):
    net = _net((3, 8, 2))
    for ext in (".json", ".npz"):
        save_network(net, tmp_path / f"n{ext}")
        with cpa.limits.limits(max_file_bytes=100):
            _refused(LimitError, load_network, tmp_path / f"n{ext}", match="max_file_bytes")


def test_failed_writes_are_clear(tmp_path, monkeypatch):
    net = _net()
    missing = tmp_path / "no" / "such" / "dir"
    exts = [".json", ".npz"] + ([".pt"] if _has("torch") else []) + ([".onnx"] if _has("onnx") else [])
    for ext in exts:
        _refused(FormatError, save_network, net, missing / f"n{ext}", match="does not exist")
    monkeypatch.setitem(sys.modules, "torch", None)
    _refused(MissingExtraError, save_network, net, tmp_path / "n.pt", match=r"cpa\[torch\]")


def test_pt_save_failure_reported(tmp_path):
    _torch()
    d = tmp_path / "dir.pt"
    d.mkdir()                                  # a directory where the file should go
    _refused(FormatError, save_network, _net(), d, match="cannot write")


def test_torch_legacy_and_stride_tricks_refused(tmp_path):
    torch = _torch()
    p = tmp_path / "legacy.pt"
    torch.save({"0.weight": torch.ones(1, 2), "0.bias": torch.zeros(1)}, p, _use_new_zipfile_serialization=False)
    _refused(FormatError, load_network, p, match="refused")
    big = torch.zeros(1).expand(100_000, 100_000)      # 10^10 entries over one stored float
    torch.save({"0.weight": big, "0.bias": torch.zeros(100_000)}, tmp_path / "wide.pt")
    _refused(LimitError, load_network, tmp_path / "wide.pt", match="max_file_bytes")


def _has(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


# === 5. networks with 0 inputs read back; 0 outputs are refused on writing ==================

FORMATS = [".json", ".npz", ".onnx", ".pt"]


def _skip_missing(ext):
    if ext == ".onnx":
        _onnx()
    if ext == ".pt":
        _torch()


@pytest.mark.parametrize("ext", FORMATS)
def test_zero_input_network_roundtrips(tmp_path, ext):
    _skip_missing(ext)
    net = ReLUNetwork([(np.zeros((2, 0)), [1.5, -2.0]), ([[1.0, 1.0]], [0.25])])
    assert net.architecture == (0, 2, 1)
    p = tmp_path / f"n{ext}"
    assert save_network(net, p) is True
    back = load_network(p)
    assert back.input_dim == 0 and back([]) == net([]) == (F(7, 4),)
    if ext != ".onnx":            # ONNX folds the constant hidden layer: the same function
        assert back == net


@pytest.mark.parametrize("ext", FORMATS)
def test_zero_output_network_refused_on_writing(tmp_path, ext):
    _skip_missing(ext)
    # a layer without outputs cannot even be built (so nothing can write one)
    for layers in ([(np.zeros((0, 2)), [])], [(np.zeros((0, 2)), []), (np.zeros((1, 0)), [1])]):
        with pytest.raises(cpa.ShapeError, match="at least one output"):
            ReLUNetwork(layers)
    assert not (tmp_path / f"n{ext}").exists()


def test_zero_output_network_refused_on_reading(tmp_path):
    p = tmp_path / "z.npz"
    np.savez(p, W0=np.zeros((0, 2)), b0=np.zeros(0))
    _refused(FormatError, load_network, p, match="at least one output")


# === 6. error messages never repeat a huge value ================================================

def test_huge_values_abbreviated_in_messages(tmp_path):
    junk = "7" * 1_000_000 + "x"
    p = tmp_path / "n.json"
    p.write_text(json.dumps({"layers": [{"W": [[junk]], "b": ["0"]}]}))
    _refused(FormatError, load_network, p)
    junk = junk[-100_000:]
    p.write_text(json.dumps({"layers": [{"W": [["1"]], "b": ["0"]}], junk: 1}))
    _refused(FormatError, load_network, p, match="unexpected key")
    p.write_text(json.dumps({"format": junk, "layers": []}))
    _refused(FormatError, load_network, p)
    s = tmp_path / "spec.json"
    s.write_text(json.dumps({"type": "max_affine", "A": [[junk]], "b": ["0"]}))
    _refused(FormatError, load_spec, s)
    s.write_text(json.dumps({"type": junk}))
    _refused(FormatError, load_spec, s)
    z = tmp_path / "n.npz"
    np.savez(z, W0=np.ones((1, 1)), b0=np.ones(1), **{"k" * 60_000: np.ones(1)})
    _refused(FormatError, load_network, z)


def test_huge_names_abbreviated_in_onnx_messages():
    from onnx import helper

    from cpa.io import read_onnx

    name = "n" * 1_000_000
    chain = ["x"] + [f"u{i}" for i in range(100)]
    nodes = [helper.make_node("Tanh", [a], [b], name=f"t{i}") for i, (a, b) in enumerate(zip(chain, chain[1:]))]
    nodes.append(helper.make_node("Sigmoid", [chain[-1]], ["y"], name=name))
    msg = _refused(UnsupportedLayerError, read_onnx, _model(nodes, {}, [1, 1], [1, 1], check=False))
    assert "101 unsupported operators" in msg and "and 81 more" in msg
    m = _model([helper.make_node("Add", ["x", name], ["y"])], {}, [1, 1], [1, 1], check=False)
    _refused(FormatError, read_onnx, m, match="not produced")


def test_huge_state_dict_keys_abbreviated():
    torch = _torch()
    from cpa.io import from_torch

    sd = {f"{'k' * 100_000}{i}.running_mean": torch.zeros(1) for i in range(50)}
    _refused(UnsupportedLayerError, from_torch, sd)


# === generated corruptions (fixed seeds): a right network or a CPAError, nothing else =========

def _outcome(load, path, expected=None):
    """Load; return "ok"/"error"; fail on any non-CPAError exception or on a wrong network."""
    try:
        net = load(path)
    except CPAError as e:
        msg = str(e)
        assert "\n" not in msg and len(msg) <= 2 * MAX_LINE, msg[:300]
        return "error"
    assert isinstance(net, ReLUNetwork)
    if expected is not None:
        assert net == expected
    return "ok"


def _byte_corruptions(data: bytes, seed: int, n: int):
    rnd = random.Random(seed)
    for k in range(n):
        mode = k % 4
        b = bytearray(data)
        if mode == 0:
            yield bytes(b[:rnd.randrange(len(b))])
        elif mode == 1:
            for _ in range(rnd.randint(1, 4)):
                i = rnd.randrange(len(b))
                b[i] ^= 1 << rnd.randrange(8)
            yield bytes(b)
        elif mode == 2:
            i = rnd.randrange(len(b))
            b[i:i + 8] = struct.pack("<Q", rnd.choice([2 ** 64 - 1, 2 ** 63, 10 ** 12, 0xFFFFFFFF]))[: len(b) - i]
            yield bytes(b)
        else:
            i, j = sorted(rnd.randrange(len(b)) for _ in range(2))
            yield bytes(b[:i] + b[j:])


@pytest.fixture
def small_limits():
    with cpa.limits.limits(max_file_bytes=2_000_000, max_digits=2_000, max_work=2_000_000):
        yield


@pytest.mark.parametrize("ext", FORMATS)
def test_generated_byte_corruptions(tmp_path, ext, small_limits):
    _skip_missing(ext)
    net = _net((3, 4, 2), seed=5)
    good = tmp_path / f"good{ext}"
    save_network(net, good)
    assert load_network(good) == net
    data = good.read_bytes()
    bad = tmp_path / f"bad{ext}"
    seen = set()
    for k, blob in enumerate(_byte_corruptions(data, seed=1234 + FORMATS.index(ext), n=120)):
        bad.write_bytes(blob)
        expected = net if blob == data else None
        seen.add(_outcome(load_network, bad, expected))
    assert "error" in seen


def _mutations(doc, rnd, n=150):
    """``n`` copies of ``doc``, each with one value replaced (by a hostile one), deleted or wrapped in a list."""
    values = ["1e400", "1e999999", "inf", "-Infinity", "NaN", True, False, None, 1.5, [], {}, "", "1/0", "abc",
              "0x10", "1" * 3000, "9" * 2500, "١", "1_0", " 2 ", 10 ** 30, -(10 ** 2001)]
    paths = []

    def walk(x, path):
        if isinstance(x, dict):
            for k, v in x.items():
                paths.append(path + (k,))
                walk(v, path + (k,))
        elif isinstance(x, list):
            for i, v in enumerate(x):
                paths.append(path + (i,))
                walk(v, path + (i,))
    walk(doc, ())
    for _ in range(n):
        d = json.loads(json.dumps(doc))
        path = rnd.choice(paths)
        parent = d
        for key in path[:-1]:
            parent = parent[key]
        how = rnd.random()
        if how < 0.6:
            parent[path[-1]] = rnd.choice(values)
        elif how < 0.8:
            del parent[path[-1]]
        else:
            parent[path[-1]] = [parent[path[-1]]] * 3
        yield d


@pytest.mark.parametrize("seed", range(3))
def test_generated_json_value_corruptions(tmp_path, seed, small_limits):
    net = _net((2, 3, 1), seed=seed)
    doc = to_dict(net)
    p = tmp_path / "n.json"
    rnd = random.Random(seed)
    outcomes = set()
    for d in _mutations(doc, rnd):
        p.write_text(json.dumps(d))
        outcomes.add(_outcome(load_network, p))
        # an exact re-reading: when it loads, the network is what the document says
        try:
            got = load_network(p)
        except CPAError:
            continue
        layers = d["layers"]
        assert got.layers == tuple((tuple(tuple(Fraction(str(v).replace(" ", "")) for v in row) for row in L["W"]),
                                    tuple(Fraction(str(v).replace(" ", "")) for v in L["b"])) for L in layers)
    assert "error" in outcomes


def test_generated_npz_array_corruptions(tmp_path, small_limits):
    rnd = random.Random(7)
    net = _net((2, 3, 1), seed=1)
    arrays = {f"{k}{i}": np.asarray(v, dtype=np.float64) for i, (W, b) in enumerate(net.layers)
              for k, v in (("W", [[float(x) for x in r] for r in W]), ("b", [float(x) for x in b]))}
    p = tmp_path / "n.npz"
    replacements = [np.array([[np.inf]]), np.array([np.nan]), np.array([[True]]), np.array(["a"]),
                    np.zeros((2, 2, 2)), np.zeros(0), np.array([[1j]]), np.array([[2 ** 64 - 1]], dtype=np.uint64),
                    np.array([[1.0]], dtype=np.float16), np.zeros((3, 2), dtype=">f8")]
    for _ in range(80):
        a = dict(arrays)
        key = rnd.choice(sorted(a))
        how = rnd.random()
        if how < 0.5:
            a[key] = rnd.choice(replacements)
        elif how < 0.7:
            del a[key]
        else:
            a[rnd.choice(["W5", "b9", "x", "W0.npy", "b1_"])] = np.ones(1)
        np.savez(p, **a)
        try:
            got = load_network(p)
        except CPAError:
            continue
        # loaded: every array must have been taken exactly as stored
        for i, (W, b) in enumerate(got.layers):
            assert np.array_equal(np.array(W, dtype=object).reshape(a[f"W{i}"].shape),
                                  np.vectorize(lambda v: F(*np.longdouble(v).as_integer_ratio()),
                                               otypes=[object])(a[f"W{i}"]))
        assert len(got.layers) == len(a) // 2


@pytest.mark.parametrize("seed", range(2))
def test_generated_spec_corruptions(tmp_path, seed, small_limits):
    docs = [{"type": "max_affine", "A": [["1", "2"], ["-1", "1/3"]], "b": ["0", "1"]},
            {"type": "dc", "g": {"type": "max_affine", "A": [["1"]], "b": ["0"]},
             "h": {"type": "max_affine", "A": [["-1"]], "b": ["2"]}},
            {"type": "breakpoints1d", "breakpoints": ["0", "1"], "values": ["0", "2"], "left_slope": "1",
             "right_slope": "0"},
            {"type": "expression", "expr": "Max(x, y) - Abs(x)", "variables": ["x", "y"]},
            {"type": "pieces", "pieces": [{"A": [["1"]], "b": ["0"], "c": ["-1"], "d": "0"},
                                          {"A": [["-1"]], "b": ["0"], "c": ["1"]}], "box": [["-1"], ["1"]]}]
    rnd = random.Random(100 + seed)
    p = tmp_path / "spec.json"
    for doc in docs:
        for d in _mutations(doc, rnd, n=15):
            p.write_text(json.dumps(d))
            try:
                load_spec(p)
            except CPAError as e:
                assert "\n" not in str(e) and len(str(e)) <= 2 * MAX_LINE
        data = json.dumps(doc).encode()
        for blob in _byte_corruptions(data, seed, 12):
            p.write_bytes(blob)
            try:
                load_spec(p)
            except CPAError:
                pass


def test_generated_onnx_graph_corruptions(tmp_path, small_limits):
    onnx = _onnx()
    from onnx import helper

    from cpa.io import read_onnx, write_onnx

    net = _net((2, 3, 2), seed=3)
    write_onnx(net, tmp_path / "good.onnx")
    good = onnx.load(str(tmp_path / "good.onnx"))
    assert read_onnx(good) == net
    rnd = random.Random(99)
    attrs = [("alpha", float("inf")), ("beta", float("nan")), ("transB", 7), ("axis", 2 ** 62), ("perm", [5, 9]),
             ("axes", [2 ** 40]), ("shape", [-1, -1])]
    ops = ["Gemm", "Relu", "Add", "Mul", "Div", "Reshape", "Flatten", "Unsqueeze", "Squeeze", "Transpose",
           "Gather", "Slice", "Concat", "Identity", "Neg", "Sub", "MatMul", "Constant", "Shape"]
    for _ in range(150):
        m = onnx.ModelProto()
        m.CopyFrom(good)
        node = rnd.choice(m.graph.node)
        how = rnd.random()
        if how < 0.3:
            node.op_type = rnd.choice(ops)
        elif how < 0.55:
            name, value = rnd.choice(attrs)
            node.attribute.append(helper.make_attribute(name, value))
        elif how < 0.7 and node.input:
            node.input[rnd.randrange(len(node.input))] = rnd.choice(["input", "output", "nope", "layer0.weight"])
        elif how < 0.85:
            init = rnd.choice(m.graph.initializer)
            init.dims.append(rnd.choice([0, 2, 10 ** 9]))
        else:
            dim = m.graph.input[0].type.tensor_type.shape.dim[1]
            dim.dim_value = rnd.choice([0, 5, 10 ** 9])
        try:
            got = read_onnx(m)
        except CPAError as e:
            assert "\n" not in str(e) and len(str(e)) <= 2 * MAX_LINE
            continue
        assert isinstance(got, ReLUNetwork)
