"""Tests of cpa.io: PyTorch, ONNX, npz and JSON readers/writers, and ``cpa convert``.

Tests that need torch or onnx skip cleanly when the extra is missing
(``pytest.importorskip``); CI installs both.  Weights are compared exactly
(``net.layers`` are Fractions) and functions at exact rational points.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

import cpa
from cpa.cli import main
from cpa.errors import FormatError, UnsupportedLayerError
from cpa.io import (
    load_network,
    representable,
    save_network,
)

F = Fraction

ARCHS = [(2, 3, 1), (3, 5, 4, 2), (2, 4, 4, 3, 1)]       # 2, 3 and 4 layers
POINTS = [(F(1, 3), F(-2, 7)), (F(0), F(5, 2)), (F(-9, 4), F(1, 11))]


def _torch():
    return pytest.importorskip("torch")


def _onnx():
    return pytest.importorskip("onnx")


def _points(n0: int) -> list[tuple[Fraction, ...]]:
    pts = []
    for p in POINTS:
        pts.append(tuple((p * n0)[:n0]) if n0 <= 2 * len(p) else tuple(F(i, 3) for i in range(n0)))
    return pts


def _exact_forward(weights: list[tuple[list[list[Fraction]], list[Fraction]]], x) -> tuple[Fraction, ...]:
    """Independent exact evaluation of a Linear/ReLU chain."""
    v = list(x)
    for k, (W, b) in enumerate(weights):
        v = [sum((w * t for w, t in zip(row, v)), F(0)) + c for row, c in zip(W, b)]
        if k < len(weights) - 1:
            v = [max(t, F(0)) for t in v]
    return tuple(v)


def _torch_model(arch, dtype, seed=0, bias=True):
    torch = _torch()
    torch.manual_seed(seed)
    mods = []
    for i, (a, b) in enumerate(zip(arch[:-1], arch[1:])):
        if i:
            mods.append(torch.nn.ReLU())
        mods.append(torch.nn.Linear(a, b, bias=bias, dtype=dtype))
    return torch.nn.Sequential(*mods)


def _torch_weights(model):
    out = []
    for m in model:
        if hasattr(m, "weight"):
            W = [[F(v) for v in row] for row in m.weight.detach().double().tolist()]
            b = ([F(v) for v in m.bias.detach().double().tolist()] if m.bias is not None
                 else [F(0)] * len(W))
            out.append((W, b))
    return out


def _random_net(arch, seed=0, kind="float64"):
    """A network with float weights (so float formats hold it exactly)."""
    rng = np.random.default_rng(seed)
    layers = []
    for a, b in zip(arch[:-1], arch[1:]):
        W = rng.normal(size=(b, a)).astype(kind)
        c = rng.normal(size=b).astype(kind)
        layers.append((W, c))
    return cpa.ReLUNetwork(layers)


# --- PyTorch -----------------------------------------------------------------

@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
def test_torch_roundtrip_exact(arch, dtype_name):
    torch = _torch()
    from cpa.io import from_torch, to_torch

    dtype = getattr(torch, dtype_name)
    model = _torch_model(arch, dtype)
    net = from_torch(model)
    assert net.architecture == arch
    expected = _torch_weights(model)
    assert [tuple(map(tuple, W)) for W, _ in expected] == [W for W, _ in net.layers]
    assert [tuple(b) for _, b in expected] == [b for _, b in net.layers]
    for x in _points(arch[0]):
        assert net(x) == _exact_forward(expected, x)
    assert representable(net, dtype_name)
    back = to_torch(net, dtype)
    sd0, sd1 = model.state_dict(), back.state_dict()
    assert list(sd0) == list(sd1)
    for k in sd0:
        assert sd1[k].dtype == dtype and torch.equal(sd0[k], sd1[k])
    assert from_torch(model.state_dict()) == net
    X = torch.tensor([[float(t) for t in x] for x in _points(arch[0])], dtype=torch.float64)
    np.testing.assert_allclose(back.double()(X).detach().numpy(), net.evaluate_float(X.numpy()), rtol=1e-12)


def test_torch_bias_free_nested_flatten_identity_and_fusion():
    torch = _torch()
    from cpa.io import from_torch

    nn = torch.nn
    torch.manual_seed(3)
    l1, l2, l3, l4 = nn.Linear(2, 4), nn.Linear(4, 3, bias=False), nn.Linear(3, 2), nn.Linear(2, 1)
    model = nn.Sequential(nn.Flatten(), l1, nn.ReLU(), nn.Sequential(l2, nn.Identity(), nn.ReLU(), nn.ReLU()), l3, l4)
    net = from_torch(model)
    assert net.architecture == (2, 4, 3, 1)          # l3 and l4 fused, double ReLU merged
    w = _torch_weights(nn.Sequential(l1, l2, l3, l4))
    W3, b3 = w[2]
    W4, b4 = w[3]
    fused_W = tuple(tuple(sum((W4[i][k] * W3[k][j] for k in range(2)), F(0)) for j in range(3)) for i in range(1))
    fused_b = tuple(sum((W4[i][k] * b3[k] for k in range(2)), F(0)) + b4[i] for i in range(1))
    assert net.layers[2] == (fused_W, fused_b)
    assert net.layers[1][1] == (F(0),) * 3
    for x in _points(2):
        h = _exact_forward(w[:2] + [([[F(int(i == j)) for j in range(3)] for i in range(3)], [F(0)] * 3)], x)
        assert net(x) == _exact_forward([w[3]], _exact_forward([w[2]], h))


def test_torch_trailing_relu_appends_identity():
    torch = _torch()
    from cpa.io import from_torch

    nn = torch.nn
    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2), nn.ReLU())
    net = from_torch(model)
    assert net.architecture == (2, 3, 2, 2) and net.depth == 2
    assert net.layers[-1] == (((F(1), F(0)), (F(0), F(1))), (F(0), F(0)))
    w = _torch_weights(model)
    for x in _points(2):
        assert net(x) == tuple(max(t, F(0)) for t in _exact_forward(w, x))


def test_torch_unsupported_layers_listed_together():
    torch = _torch()
    from cpa.io import from_torch

    nn = torch.nn
    model = nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.1), nn.ReLU(),
                          nn.Sequential(nn.BatchNorm1d(3), nn.Sigmoid()), nn.Linear(3, 1))
    with pytest.raises(UnsupportedLayerError) as e:
        from_torch(model)
    msg = str(e.value)
    for part in ("1 (Dropout)", "3.0 (BatchNorm1d)", "3.1 (Sigmoid)", "3 unsupported layers"):
        assert part in msg
    assert "\n" not in msg


def test_torch_state_dict_with_batchnorm_refused():
    torch = _torch()
    from cpa.io import from_torch

    nn = torch.nn
    sd = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1)).state_dict()
    with pytest.raises(UnsupportedLayerError, match=r"layer '1': running_mean") as e:
        from_torch(sd)
    assert "weight of shape (3,)" in str(e.value)


# --- state dicts: which layouts are read ------------------------------------------

DYADIC = cpa.ReLUNetwork([
    ([[1, F(-1, 2)], [F(3, 4), 2], [-1, F(1, 4)]], [F(1, 8), 0, -1]),
    ([[1, -2, F(1, 2)], [F(-3, 8), 1, 1]], [0, F(5, 4)]),
    ([[2, F(-1, 4)]], [F(-1, 16)]),
])


def _linear(W, b):
    torch = _torch()
    lin = torch.nn.Linear(len(W[0]), len(W), dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[float(v) for v in r] for r in W], dtype=torch.float64))
        lin.bias.copy_(torch.tensor([float(v) for v in b], dtype=torch.float64))
    return lin


def _two_linear_no_relu():
    torch = _torch()
    return torch.nn.Sequential(_linear([[1, 0], [0, 1], [1, 1]], [0, 0, -1]),
                               _linear([[1, -1, 2]], [F(1, 2)]))


def test_state_dict_of_two_linear_without_relu_refused(tmp_path, capsys):
    torch = _torch()
    from verify import equivalent
    from cpa.io import from_torch

    model = _two_linear_no_relu()
    sd = model.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    with pytest.raises(FormatError) as e:
        from_torch(sd)
    msg = str(e.value)
    for part in ("'0.weight' and '1.weight'", "consecutive indices 0 and 1", "no ReLU",
                 "from_torch(model)", "layout="):
        assert part in msg
    assert "\n" not in msg
    # the module itself is read right: one affine map, no ReLU
    net = from_torch(model)
    assert net.depth == 0 and net.layers == ((((F(3), F(1)),), (F(-3, 2),)),)
    # reading the keys with a ReLU (the old silent assumption) is a different function
    assert not equivalent(from_torch(sd, layout=["0", "relu", "1"]), net)
    # stating the true layout explicitly gives the module's function
    assert from_torch(sd, layout=["0", "1"]) == net
    assert equivalent(from_torch(sd, layout=[0, 1]), net)
    # the same refusal from a file, and from the CLI as one line
    path = tmp_path / "nolu.pt"
    torch.save(sd, path)
    with pytest.raises(FormatError, match="consecutive indices 0 and 1"):
        load_network(path)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "consecutive indices 0 and 1" in err


def test_state_dict_with_gap_of_three_refused():
    torch = _torch()
    from verify import equivalent
    from cpa.io import from_torch

    nn = torch.nn
    l1, l2 = _linear([[1, 2], [-1, 1]], [0, F(1, 2)]), _linear([[1, -1]], [0])
    sd = nn.Sequential(l1, nn.ReLU(), nn.Dropout(0.5), l2).state_dict()
    assert [k for k in sd if k.endswith("weight")] == ["0.weight", "3.weight"]
    with pytest.raises(FormatError) as e:
        from_torch(sd)
    msg = str(e.value)
    assert "'0.weight' and '3.weight' (indices 0 and 3)" in msg and "2 parameter-free modules" in msg
    assert "from_torch(model)" in msg and "0, 2, 4" in msg
    # a user who knows the Dropout is inactive (eval mode) may say so
    stated = from_torch(sd, layout=["0", "relu", "3"])
    assert equivalent(stated, from_torch(nn.Sequential(l1, nn.ReLU(), l2)))


@pytest.mark.parametrize("make, words", [
    (lambda nn: nn.Sequential(nn.Flatten(), _linear([[1, 1]], [0]), nn.ReLU(), _linear([[1]], [0])),
     ["'1.weight' is at index 1", "1 unknown module comes before it"]),
    (lambda nn: nn.Sequential(nn.Sequential(_linear([[1, 1]], [0]), nn.ReLU()), _linear([[1]], [0])),
     ["different modules", "'0.0.weight'", "'1.weight'"]),
    (lambda nn: nn.Sequential(_linear([[1, 1]], [0]), _linear([[1]], [0]), nn.ReLU(), nn.Tanh(),
                              nn.Sigmoid(), _linear([[1]], [0])),
     ["consecutive indices 0 and 1", "'1.weight' and '5.weight' (indices 1 and 5)",
      "3 parameter-free modules"]),
])
def test_state_dict_other_layouts_refused(make, words):
    torch = _torch()
    from cpa.io import from_torch

    with pytest.raises(FormatError) as e:
        from_torch(make(torch.nn).state_dict())
    for w in words:
        assert w in str(e.value)


def test_state_dict_named_layers_need_a_layout():
    torch = _torch()
    from cpa.io import from_torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = _linear([[1, -1], [2, 1]], [0, -1])
            self.fc2 = _linear([[1, 1]], [F(1, 4)])

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    model = Net()
    sd = model.state_dict()
    with pytest.raises(FormatError, match=r"'fc1', 'fc2': their names are not nn.Sequential indices"):
        from_torch(sd)
    net = from_torch(sd, layout=["fc1", "relu", "fc2"])
    for x in [(F(1, 2), F(-3, 4)), (F(-1), F(1, 8)), (F(2), F(3))]:     # dyadic: float64 is exact
        y = model(torch.tensor([float(t) for t in x], dtype=torch.float64)).item()
        assert net(x) == (F(y),)
    with pytest.raises(FormatError, match="leaves out the Linear layer 'fc2'"):
        from_torch(sd, layout=["fc1", "relu"])
    with pytest.raises(FormatError, match="'fc3', which is not a Linear layer"):
        from_torch(sd, layout=["fc1", "relu", "fc3"])
    with pytest.raises(FormatError, match="'fc1' twice"):
        from_torch(sd, layout=["fc1", "relu", "fc1", "fc2"])
    with pytest.raises(TypeError):
        from_torch(sd, layout="fc1")
    with pytest.raises(TypeError, match="state dicts only"):
        from_torch(torch.nn.Sequential(_linear([[1]], [0])), layout=["0"])


def test_state_dict_non_linear_parameters_named():
    torch = _torch()
    from cpa.io import from_torch

    nn = torch.nn
    sd = nn.Sequential(_linear([[1, 1]], [0]), nn.ReLU(), nn.LayerNorm(1), _linear([[1]], [0])).state_dict()
    sd["0.weight_orig"] = sd["0.weight"].clone()
    with pytest.raises(UnsupportedLayerError) as e:
        from_torch(sd)
    msg = str(e.value)
    assert "layer '2': weight of shape (1,)" in msg and "weight_orig (not a Linear parameter)" in msg
    # the layout keyword does not lift the refusal of non-Linear parameters
    with pytest.raises(UnsupportedLayerError):
        from_torch(sd, layout=["0", "relu", "3"])


@pytest.mark.parametrize("prefix", ["", "net.", "model.body."])
def test_state_dict_standard_layout_roundtrips_exactly(tmp_path, prefix):
    torch = _torch()
    from verify import equivalent
    from cpa.io import from_torch, load_torch, to_torch

    model = to_torch(DYADIC)
    sd = {prefix + k: v for k, v in model.state_dict().items()}
    assert [k for k in sd if k.endswith("weight")] == [f"{prefix}{i}.weight" for i in (0, 2, 4)]
    back = from_torch(sd)
    assert back == DYADIC and back.architecture == (2, 3, 2, 1)
    assert equivalent(back, DYADIC)
    # the assumed ReLUs are the module's: exact (dyadic) float64 evaluation agrees
    for x in [(F(1, 2), F(-3, 4)), (F(0), F(0)), (F(-2), F(5, 8)), (F(3), F(1, 16))]:
        y = model(torch.tensor([[float(t) for t in x]], dtype=torch.float64))
        assert DYADIC(x) == tuple(F(v) for v in y[0].tolist())
    path = tmp_path / "std.pt"
    torch.save(sd, path)
    assert load_torch(path) == DYADIC
    assert load_torch(path, layout=[f"{prefix}0", "relu", f"{prefix}2", "relu", f"{prefix}4"]) == DYADIC


def test_state_dict_of_single_linear():
    torch = _torch()
    from cpa.io import from_torch

    lin = _linear([[1, F(-1, 2)]], [F(3, 4)])
    expected = cpa.ReLUNetwork([([[1, F(-1, 2)]], [F(3, 4)])])
    assert from_torch(lin.state_dict()) == expected                       # keys weight, bias
    assert from_torch(torch.nn.Sequential(lin).state_dict()) == expected  # keys 0.weight, 0.bias
    assert from_torch({"fc.weight": lin.weight, "fc.bias": lin.bias}) == expected


def test_torch_custom_module_refused():
    torch = _torch()
    from cpa.io import from_torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 1)

        def forward(self, x):
            return torch.sigmoid(self.fc(x))          # not piecewise affine (x * 2 now reads)

    with pytest.raises(UnsupportedLayerError, match="'sigmoid'.*not in the table.*state_dict"):
        from_torch(Net())


def test_save_load_torch_roundtrip(tmp_path):
    _torch()
    net = _random_net((3, 4, 2), kind="float32")
    for ext, dtype in ((".pt", "float32"), (".pth", "float64")):
        path = tmp_path / f"net{ext}"
        assert save_network(net, path, dtype=dtype) is True
        assert load_network(path) == net


class _Evil:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("writer", ["pickle", "torch.save"])
def test_malicious_pickle_refused_without_running(tmp_path, writer):
    torch = _torch()
    from cpa.io import load_torch

    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    if writer == "pickle":
        path.write_bytes(pickle.dumps(_Evil(marker)))
    else:
        torch.save({"0.weight": _Evil(marker)}, path)
    assert not marker.exists()
    with pytest.raises(FormatError, match="refused"):
        load_torch(path)
    with pytest.raises(FormatError):
        load_network(path)
    assert main(["convert", str(path), str(tmp_path / "out.json")]) == 2
    assert not marker.exists()
    assert not (tmp_path / "out.json").exists()


def test_pickled_module_refused(tmp_path):
    torch = _torch()
    path = tmp_path / "module.pt"
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 1)), path)
    with pytest.raises(FormatError, match="Sequential"):
        load_network(path)


# --- ONNX --------------------------------------------------------------------

@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("kind", ["float32", "float64"])
def test_onnx_roundtrip_exact(tmp_path, arch, kind):
    onnx = _onnx()
    from cpa.io import read_onnx, write_onnx

    net = _random_net(arch, seed=len(arch), kind=kind)
    path = tmp_path / "net.onnx"
    assert write_onnx(net, path, dtype=kind) is True
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    back = read_onnx(path)
    assert back.layers == net.layers
    for x in _points(arch[0]):
        assert back(x) == net(x)
    assert load_network(path) == net


@pytest.mark.parametrize("kind", ["float32", "float64"])
def test_onnxruntime_agrees_with_exact(tmp_path, kind):
    _onnx()
    ort = pytest.importorskip("onnxruntime")
    from cpa.io import write_onnx

    net = _random_net((3, 6, 5, 2), seed=7, kind=kind)
    path = tmp_path / "net.onnx"
    write_onnx(net, path, dtype=kind)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    pts = [(F(1, 3), F(-2, 7), F(5, 4)), (F(0), F(1, 2), F(-3)), (F(7, 5), F(2), F(-1, 9))]
    X = np.array([[float(t) for t in p] for p in pts], dtype=kind)
    got = sess.run(None, {"input": X})[0]
    exact = np.array([[float(v) for v in net(p)] for p in pts])
    tol = 1e-12 if kind == "float64" else 1e-5
    np.testing.assert_allclose(got, exact, rtol=tol, atol=tol)


def test_write_onnx_inexact_reported(tmp_path, caplog):
    _onnx()
    from cpa.io import read_onnx, write_onnx

    net = cpa.ReLUNetwork([([[F(1, 3), 1]], [F(1, 10)]), ([[2]], [0])])
    assert not representable(net)
    with caplog.at_level("WARNING", logger="cpa"):
        assert write_onnx(net, tmp_path / "n.onnx") is False
    assert "rounded" in caplog.text
    back = read_onnx(tmp_path / "n.onnx")
    assert back.layers[0][0][0][0] == F(float(F(1, 3)))


def _model(nodes, inits, in_shape, out_shape, elem=None, opset=17):
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper

    elem = TensorProto.FLOAT if elem is None else elem
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", elem, in_shape)],
        [helper.make_tensor_value_info("y", elem, out_shape)],
        initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def test_gemm_alpha_beta_trans():
    _onnx()
    from onnx import helper

    from cpa.io import read_onnx

    A = np.array([[0.5, -1.25, 2.0], [3.0, 0.1, -0.7]], dtype=np.float32)      # used as B with transB
    C = np.array([0.3, -2.5], dtype=np.float32)
    V = np.array([[1.5], [-0.75]], dtype=np.float32)                           # (2, 1) with transA on x
    nodes = [
        helper.make_node("Gemm", ["x", "A", "C"], ["h"], name="g0", alpha=0.3, beta=-1.7, transB=1),
        helper.make_node("Relu", ["h"], ["r"], name="r0"),
        helper.make_node("Transpose", ["r"], ["rt"], name="t0", perm=[1, 0]),
        helper.make_node("Gemm", ["rt", "V"], ["y"], name="g1", transA=1, alpha=2.0),
    ]
    model = _model(nodes, {"A": A, "C": C, "V": V}, ["batch", 3], ["batch", 1])
    net = read_onnx(model)
    alpha, beta = F(float(np.float32(0.3))), F(float(np.float32(-1.7)))
    assert alpha != F(3, 10)
    W0 = tuple(tuple(alpha * F(float(v)) for v in row) for row in A)
    b0 = tuple(beta * F(float(v)) for v in C)
    W1 = ((2 * F(float(V[0, 0])), 2 * F(float(V[1, 0]))),)
    assert net.layers == ((W0, b0), (W1, (F(0),)))
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    X = np.array([[0.25, -1.0, 2.0], [1.0, 1.0, 1.0], [-3.0, 0.5, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(sess.run(None, {"x": X})[0], net.evaluate_float(X), rtol=1e-5, atol=1e-5)


def test_dynamo_style_transpose_matmul_add():
    _onnx()
    from onnx import TensorProto, helper

    from cpa.io import read_onnx

    rng = np.random.default_rng(5)
    W0, b0 = rng.normal(size=(4, 3)), rng.normal(size=4)
    W1, b1 = rng.normal(size=(2, 4)), rng.normal(size=2)
    nodes = [
        helper.make_node("Transpose", ["W0"], ["W0t"], name="transpose0", perm=[1, 0]),
        helper.make_node("MatMul", ["x", "W0t"], ["m0"], name="matmul0"),
        helper.make_node("Add", ["m0", "b0"], ["a0"], name="add0"),
        helper.make_node("Relu", ["a0"], ["r0"], name="relu0"),
        helper.make_node("Transpose", ["W1"], ["W1t"], name="transpose1", perm=[1, 0]),
        helper.make_node("MatMul", ["r0", "W1t"], ["m1"], name="matmul1"),
        helper.make_node("Add", ["b1", "m1"], ["y"], name="add1"),               # bias first
    ]
    model = _model(nodes, {"W0": W0, "b0": b0, "W1": W1, "b1": b1},
                   ["s0", 3], ["s0", 2], elem=TensorProto.DOUBLE)
    net = read_onnx(model)
    assert net == cpa.ReLUNetwork([(W0, b0), (W1, b1)])


def test_flatten_reshape_sub_constant_and_identity():
    _onnx()
    from onnx import TensorProto, helper, numpy_helper

    from cpa.io import read_onnx

    W = np.array([[1.0, -2.0, 0.5, 4.0]])
    shift = np.array([1.0, 2.0, 3.0, 4.0])
    nodes = [
        helper.make_node("Flatten", ["x"], ["f"], name="flat", axis=1),
        helper.make_node("Constant", [], ["s"], name="const",
                         value=numpy_helper.from_array(shift, "shift")),
        helper.make_node("Sub", ["f", "s"], ["d"], name="sub"),
        helper.make_node("Relu", ["d"], ["r"], name="relu"),
        helper.make_node("Constant", [], ["shape"], name="shape", value_ints=[1, -1]),
        helper.make_node("Reshape", ["r", "shape"], ["rr"], name="reshape"),
        helper.make_node("Identity", ["rr"], ["ri"], name="id"),
        helper.make_node("Gemm", ["ri", "W"], ["y"], name="out", transB=1),
    ]
    model = _model(nodes, {"W": W}, ["N", 2, 2], ["N", 1], elem=TensorProto.DOUBLE)
    net = read_onnx(model)
    I4 = [[int(i == j) for j in range(4)] for i in range(4)]
    assert net == cpa.ReLUNetwork([(I4, -shift), (W, [0])])


def test_onnx_unsupported_ops_all_named():
    _onnx()
    from onnx import helper

    from cpa.io import read_onnx

    K = np.ones((1, 1, 2, 2), dtype=np.float32)
    nodes = [
        helper.make_node("ConvTranspose", ["x", "K"], ["c"], name="conv1"),
        helper.make_node("Sigmoid", ["c"], ["s"], name="sig"),
        helper.make_node("Flatten", ["s"], ["f"], name="flat"),
        helper.make_node("Sigmoid", ["f"], ["y"]),
    ]
    model = _model(nodes, {"K": K}, ["N", 1, 3, 3], ["N", 4])
    with pytest.raises(UnsupportedLayerError) as e:
        read_onnx(model)
    msg = str(e.value)
    for part in ("node 'conv1' (ConvTranspose)", "node 'sig' (Sigmoid)", "node #3 (output 'y') (Sigmoid)",
                 "3 unsupported operators"):
        assert part in msg
    assert "flat" not in msg.split("(supported")[0]


def test_onnx_skip_connection_reads_exactly():
    """A hand-made skip connection relu(W x) + x reads exactly (it was refused before the readers
    followed branches): equal to the network written by hand."""
    _onnx()
    from onnx import helper

    import cpa
    from cpa.equivalence import equivalent
    from cpa.io import read_onnx

    W = np.array([[1, -2], [3, 1]], dtype=np.float32)
    nodes = [
        helper.make_node("Gemm", ["x", "W"], ["h"], name="g0", transB=1),
        helper.make_node("Relu", ["h"], ["r"], name="r0"),
        helper.make_node("Add", ["r", "x"], ["y"], name="residual"),
    ]
    net = read_onnx(_model(nodes, {"W": W}, ["N", 2], ["N", 2]))
    # relu(W x) + relu(x) - relu(-x), by hand
    ref = cpa.ReLUNetwork([([[1, -2], [3, 1], [1, 0], [0, 1], [-1, 0], [0, -1]], [0] * 6),
                           ([[1, 0, 1, 0, -1, 0], [0, 1, 0, 1, 0, -1]], [0, 0])])
    assert equivalent(net, ref)


def test_onnx_garbage_file(tmp_path):
    _onnx()
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"\x00\x01 not a model \xff" * 10)
    with pytest.raises(FormatError):
        load_network(path)


@pytest.mark.parametrize("dynamo", [False, True])
def test_torch_onnx_export_reads_back(tmp_path, dynamo):
    torch = _torch()
    _onnx()
    if dynamo:
        pytest.importorskip("onnxscript")
    import warnings

    from cpa.io import from_torch, read_onnx

    model = _torch_model((2, 5, 3, 1), torch.float32, seed=11)
    path = tmp_path / "exported.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x in (torch.zeros(1, 2), torch.zeros(2)):
            torch.onnx.export(model, (x,), str(path), dynamo=dynamo, verbose=False)
            assert read_onnx(path) == from_torch(model)


# --- npz, json, dispatch ---------------------------------------------------------

def test_json_and_npz_roundtrip(tmp_path):
    rational = cpa.ReLUNetwork([([[F(1, 3), F(-2)], [F(5, 7), 0]], [F(1, 9), 0]), ([[1, F(-1, 2)]], [F(3)])])
    assert save_network(rational, tmp_path / "n.json") is True
    assert load_network(tmp_path / "n.json") == rational
    floaty = _random_net((2, 3, 1))
    assert save_network(floaty, tmp_path / "n.npz") is True
    assert load_network(tmp_path / "n.npz") == floaty


def test_npz_object_arrays_refused(tmp_path):
    path = tmp_path / "evil.npz"
    W = np.empty((1, 1), dtype=object)
    W[0, 0] = F(1, 3)
    np.savez(path, W0=W, b0=np.zeros(1))
    with pytest.raises(FormatError, match="unpickling"):
        load_network(path)


def test_dispatch_errors(tmp_path):
    net = _random_net((1, 2, 1))
    with pytest.raises(FormatError, match=r"unknown network file extension '\.txt'"):
        save_network(net, tmp_path / "n.txt")
    (tmp_path / "n.h5").write_bytes(b"x")
    with pytest.raises(FormatError, match="known: .json"):
        load_network(tmp_path / "n.h5")
    with pytest.raises(FileNotFoundError):
        load_network(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("[1, 2")
    with pytest.raises(FormatError, match="malformed JSON"):
        load_network(tmp_path / "bad.json")
    with pytest.raises(FormatError, match="float64"):
        save_network(net, tmp_path / "n.npz", dtype="float32")


def test_missing_extra_message(monkeypatch):
    from cpa.io import MissingExtraError, from_torch, read_onnx

    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(MissingExtraError, match=r"cpa\[torch\]"):
        from_torch({})
    with pytest.raises(MissingExtraError, match=r"cpa\[onnx\]"):
        read_onnx("x.onnx")


def test_import_cpa_io_is_light():
    code = ("import sys, cpa, cpa.io, cpa.cli.convert_cmd; "
            "bad = [m for m in ('torch', 'onnx', 'onnxruntime') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- CLI ---------------------------------------------------------------------------

def test_cli_convert_roundtrips(tmp_path, capsys):
    _torch()
    _onnx()
    net = _random_net((2, 4, 3, 1), kind="float32")
    src = tmp_path / "n.json"
    save_network(net, src)
    chain = [src, tmp_path / "n.pt", tmp_path / "n.onnx", tmp_path / "n.npz", tmp_path / "n2.json"]
    for a, b in zip(chain, chain[1:]):
        assert main(["convert", str(a), str(b), "--dtype", "float32"] if b.suffix in (".pt", ".onnx")
                    else ["convert", str(a), str(b)]) == 0
        out = capsys.readouterr().out
        assert out.count("\n") == 1 and out.rstrip().endswith("exact") and "(2, 4, 3, 1)" in out
    assert load_network(chain[-1]) == net


def test_cli_convert_inexact_and_errors(tmp_path, capsys):
    _onnx()
    net = cpa.ReLUNetwork([([[F(1, 3)]], [0]), ([[1]], [0])])
    src = tmp_path / "third.json"
    save_network(net, src)
    assert main(["convert", str(src), str(tmp_path / "a.onnx")]) == 0
    assert "NOT exact" in capsys.readouterr().out
    assert main(["convert", str(src), str(tmp_path / "b.onnx"), "--exact"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot hold the weights exactly" in err
    assert not (tmp_path / "b.onnx").exists()
    for argv, code in ((["convert", str(src), str(tmp_path / "c.xyz")], 2),       # a bad argument
                       (["convert", str(tmp_path / "missing.onnx"), str(tmp_path / "d.json")], 1)):  # file
        assert main(argv) == code
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("cpa convert: error:")


def test_cli_convert_unsupported_onnx(tmp_path, capsys):
    onnx = _onnx()
    from onnx import helper

    model = _model([helper.make_node("Sigmoid", ["x"], ["y"], name="act")], {}, ["N", 2], ["N", 2])
    path = tmp_path / "sig.onnx"
    onnx.save(model, str(path))
    assert main(["convert", str(path), str(tmp_path / "out.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "node 'act' (Sigmoid)" in err and "Traceback" not in err


@pytest.mark.parametrize("ext", [".json", ".npz", ".onnx", ".pt"])
def test_cli_info_reads_every_format(tmp_path, capsys, ext):
    if ext == ".onnx":
        _onnx()
    if ext == ".pt":
        _torch()
    path = tmp_path / f"net{ext}"
    save_network(_random_net((2, 3, 1)), path)
    assert main(["info", str(path)]) == 0
    assert "(2, 3, 1)" in capsys.readouterr().out
