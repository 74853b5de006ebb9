"""Reading convolutional networks: Conv, AvgPool, MaxPool and BatchNorm2d, exactly.

Each case is a random ``nn.Sequential`` using one of these layers, read with
:func:`cpa.io.from_torch` (with ``input_shape=``) and through an ONNX export
(``dynamo=False``) read with :func:`cpa.io.read_onnx`.  Two checks:

(a) exact evaluation of the read network agrees with the model run in
    float64 torch, to float precision, at random points;
(b) on small inputs the exact equivalence checker proves the read network
    equal to a reference built here by hand: the convolution unrolled into a
    dense matrix of Fractions straight from its defining sum, and the max of
    two as ``(a + b)/2 + |a - b|/2`` (a different gadget from the reader's).
"""

from __future__ import annotations

import io
import itertools
import logging
import warnings
from fractions import Fraction

import numpy as np
import pytest

import cpa
from cpa.equivalence import equivalent
from cpa.errors import FormatError, UnsupportedLayerError

torch = pytest.importorskip("torch")
nn = torch.nn


# --- helpers ---------------------------------------------------------------------------------

def _onnx(model, shape, dynamic=None):
    onnx = pytest.importorskip("onnx")
    f = io.BytesIO()
    dtype = next(iter(model.parameters()), torch.zeros((), dtype=torch.float64)).dtype
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros((1,) + tuple(shape), dtype=dtype),), f, dynamo=False,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes=dynamic or {"x": {0: "N"}, "y": {0: "N"}})
    return onnx.load_from_string(f.getvalue())


def _read(model, how, shape):
    from cpa.io import from_torch, read_onnx

    if how == "torch":
        return from_torch(model, input_shape=shape)
    return read_onnx(_onnx(model, shape))


def _check_float(net, model, shape, seed=0, points=3):
    """(a): exact values of ``net`` at random float64 points against the model run in float64."""
    g = torch.Generator().manual_seed(seed)
    for _ in range(points):
        x = torch.randn((1,) + tuple(shape), generator=g, dtype=torch.float64)
        want = model(x).detach().numpy().ravel()
        got = np.array([float(v) for v in net([Fraction(v) for v in x.numpy().ravel().tolist()])])
        assert got.shape == want.shape
        assert np.allclose(got, want, rtol=1e-12, atol=1e-12), np.abs(got - want).max()


def _fr(t):
    return np.array([Fraction(v) for v in t.detach().double().numpy().ravel().tolist()],
                    dtype=object).reshape(tuple(t.shape))


def _dense_conv(conv, shape):
    """The dense matrix and bias of ``conv`` on ``shape``, from the defining sum (2-D, symmetric padding)."""
    W, C = _fr(conv.weight), shape[0]
    H, Wd = shape[1:]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = conv.kernel_size, conv.stride, conv.padding, conv.dilation
    oh = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (Wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    O, per = W.shape[0], W.shape[1]
    rows, bias = [], []
    for o in range(O):
        g = o // (O // conv.groups)
        for i in range(oh):
            for j in range(ow):
                row = [Fraction(0)] * (C * H * Wd)
                for c in range(per):
                    for a in range(kh):
                        for b in range(kw):
                            y, x = i * sh - ph + a * dh, j * sw - pw + b * dw
                            if 0 <= y < H and 0 <= x < Wd:
                                row[(g * per + c) * H * Wd + y * Wd + x] += W[o, c, a, b]
                rows.append(row)
                bias.append(Fraction(conv.bias[o].item()) if conv.bias is not None else Fraction(0))
    return rows, bias, (O, oh, ow)


# --- (a) random models against float64 torch ---------------------------------------------------

CONV2D = [  # in, out, kernel, stride, padding, dilation, groups, bias, input shape
    (1, 2, 3, 1, 0, 1, 1, True, (1, 5, 5)),
    (2, 4, 3, 2, 1, 1, 2, True, (2, 7, 6)),
    (3, 3, (2, 3), (1, 2), (1, 0), 2, 3, False, (3, 6, 7)),
    (2, 2, 1, 1, 0, 1, 1, True, (2, 3, 3)),
    (2, 4, 3, 1, "same", 2, 1, True, (2, 6, 6)),
]


@pytest.mark.parametrize("how", ["torch", "onnx"])
@pytest.mark.parametrize("cfg", CONV2D)
def test_conv2d_matches_torch(cfg, how):
    cin, cout, k, s, p, d, g, bias, shape = cfg
    torch.manual_seed(hash((cfg[:7], how)) % 1000)
    conv = nn.Conv2d(cin, cout, k, stride=s, padding=p, dilation=d, groups=g, bias=bias)
    model = nn.Sequential(conv, nn.ReLU(), nn.Flatten(), nn.LazyLinear(3)).double().eval()
    model(torch.zeros((1,) + shape, dtype=torch.float64))          # materialize the Linear
    _check_float(_read(model, how, shape), model, shape)


CONV1D = [(1, 2, 3, 1, 0, 1, 1, True, (1, 8)), (4, 2, 2, 3, 2, 2, 2, False, (4, 9)),
          (2, 2, 3, 2, 1, 1, 2, True, (2, 5))]


@pytest.mark.parametrize("how", ["torch", "onnx"])
@pytest.mark.parametrize("cfg", CONV1D)
def test_conv1d_matches_torch(cfg, how):
    cin, cout, k, s, p, d, g, bias, shape = cfg
    torch.manual_seed(3)
    model = nn.Sequential(nn.Conv1d(cin, cout, k, stride=s, padding=p, dilation=d, groups=g, bias=bias),
                          nn.ReLU(), nn.Conv1d(cout, 2, 2)).double().eval()
    _check_float(_read(model, how, shape), model, shape)


POOLS = [
    lambda: nn.AvgPool2d(2),
    lambda: nn.AvgPool2d(3, stride=2, padding=1),
    lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    lambda: nn.AvgPool2d((2, 3), stride=(1, 2), ceil_mode=True),
    lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda: nn.AvgPool2d(2, divisor_override=3),
    lambda: nn.MaxPool2d(2),
    lambda: nn.MaxPool2d(3, stride=2, padding=1),
    lambda: nn.MaxPool2d(3, stride=1, dilation=2),
    lambda: nn.MaxPool2d((1, 3), stride=(1, 2), ceil_mode=True),
]


@pytest.mark.parametrize("how", ["torch", "onnx"])
@pytest.mark.parametrize("relu_first", [True, False])
@pytest.mark.parametrize("k", range(len(POOLS)))
def test_pool2d_matches_torch(k, relu_first, how):
    pool = POOLS[k]()
    if how == "onnx" and isinstance(pool, nn.AvgPool2d) and pool.divisor_override:
        pytest.skip("divisor_override has no ONNX form")
    torch.manual_seed(k)
    shape = (2, 7, 6)
    act = [nn.ReLU()] if relu_first else []
    model = nn.Sequential(nn.Conv2d(2, 3, 2), *act, pool, nn.Flatten(), nn.LazyLinear(2)).double().eval()
    model(torch.zeros((1,) + shape, dtype=torch.float64))
    _check_float(_read(model, how, shape), model, shape, seed=k)


@pytest.mark.parametrize("how", ["torch", "onnx"])
@pytest.mark.parametrize("pool", [lambda: nn.MaxPool1d(3, stride=2, padding=1), lambda: nn.AvgPool1d(3),
                                  lambda: nn.MaxPool1d(4), lambda: nn.AvgPool1d(2, padding=1, ceil_mode=True)])
def test_pool1d_matches_torch(pool, how):
    torch.manual_seed(5)
    model = nn.Sequential(nn.Conv1d(1, 2, 2), pool(), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2)).double().eval()
    model(torch.zeros(1, 1, 12, dtype=torch.float64))
    _check_float(_read(model, how, (1, 12)), model, (1, 12))


@pytest.mark.parametrize("how", ["torch", "onnx"])
@pytest.mark.parametrize("after_relu", [False, True])
def test_batchnorm2d_matches_torch(after_relu, how):
    torch.manual_seed(7)
    act = [nn.ReLU()] if after_relu else []
    model = nn.Sequential(nn.Conv2d(1, 3, 2), *act, nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(3 * 16, 2)).double()
    with torch.no_grad():
        model[-3].running_mean.uniform_(-1, 1)
        model[-3].running_var.uniform_(0.5, 2)
        model[-3].weight.uniform_(-2, 2)
        model[-3].bias.uniform_(-1, 1)
    model.eval()
    _check_float(_read(model, how, (1, 5, 5)), model, (1, 5, 5))


def test_batchnorm1d_per_channel_on_sequences():
    from cpa.io import from_torch

    torch.manual_seed(8)
    model = nn.Sequential(nn.Conv1d(1, 2, 2), nn.BatchNorm1d(2), nn.ReLU(), nn.Flatten(), nn.Linear(10, 1)).double()
    with torch.no_grad():
        model[1].running_mean.uniform_(-1, 1)
        model[1].running_var.uniform_(0.5, 2)
    model.eval()
    _check_float(from_torch(model, input_shape=(1, 6)), model, (1, 6))


def test_sparsity_kept():
    from cpa.io import from_torch

    conv = nn.Conv2d(2, 4, 3, padding=1, groups=2).double()
    net = from_torch(nn.Sequential(conv), input_shape=(2, 6, 6))
    # each output sees 1 input channel (groups=2) and at most 3x3 positions; 4 * 36 outputs
    interior = 4 * 4 * 4 * 9
    assert net.affine_layers[0].W.nnz <= 4 * 36 * 9
    assert net.affine_layers[0].W.nnz >= interior


# --- (b) exact equivalence against references built by hand ------------------------------------

EQUIV = [  # small inputs: the equivalence checker enumerates regions, feasible in a few dimensions only
    ((1, 2, 3), lambda: nn.Conv2d(1, 2, 2, stride=(1, 2), padding=(0, 1))),
    ((2, 1, 3), lambda: nn.Conv2d(2, 2, (1, 2), dilation=(1, 2), groups=2)),
    ((1, 2, 3), lambda: nn.Conv2d(1, 1, 2, padding=(1, 0), bias=False)),
]


@pytest.mark.parametrize("shape, make", EQUIV)
def test_conv_equivalent_to_dense_reference(shape, make):
    torch.manual_seed(11)
    conv = make()
    rows, bias, out = _dense_conv(conv, shape)
    lin = nn.Linear(len(rows), 1)
    model = nn.Sequential(conv, nn.ReLU(), nn.Flatten(), lin).eval()
    ref = cpa.ReLUNetwork([(rows, bias), ([list(_fr(lin.weight)[0])], [Fraction(lin.bias.item())])])
    for how in ("torch", "onnx"):
        net = _read(model, how, shape)
        assert net.architecture == ref.architecture
        assert equivalent(net, ref)


def _max2_reference(windows, n):
    """max over each window of the input: pairwise, ``max(a, b) = (a + b)/2 + relu(a - b)/2 + relu(b - a)/2``."""
    half = Fraction(1, 2)
    layers = []
    cur = [[{j: Fraction(1)} for j in w] for w in windows]   # values as linear forms of the current state
    dim = n
    while any(len(c) > 1 for c in cur):
        pre, nxt = [], []
        for c in cur:
            out = []
            for k in range(0, len(c), 2):
                if k + 1 == len(c):
                    i = len(pre)
                    pre += [c[k], {j: -v for j, v in c[k].items()}]
                    out.append({i: Fraction(1), i + 1: Fraction(-1)})
                    continue
                a, b = c[k], c[k + 1]
                i = len(pre)
                plus = {j: a.get(j, 0) + b.get(j, 0) for j in set(a) | set(b)}
                minus = {j: a.get(j, 0) - b.get(j, 0) for j in set(a) | set(b)}
                pre += [plus, {j: -v for j, v in plus.items()}, minus, {j: -v for j, v in minus.items()}]
                out.append({i: half, i + 1: -half, i + 2: half, i + 3: half})
            nxt.append(out)
        layers.append(([[p.get(j, Fraction(0)) for j in range(dim)] for p in pre], [Fraction(0)] * len(pre)))
        dim, cur = len(pre), nxt
    final = [[c[0].get(j, Fraction(0)) for j in range(dim)] for c in cur]
    return layers, final


def test_maxpool_equivalent_to_hand_built_gadget():
    from cpa.io import from_torch

    shape = (1, 5)
    model = nn.Sequential(nn.MaxPool1d(3, stride=2)).eval()
    windows = [(0, 1, 2), (2, 3, 4)]
    layers, final = _max2_reference(windows, 5)
    ref = cpa.ReLUNetwork(layers + [(final, [Fraction(0)] * 2)])
    for how in ("torch", "onnx"):
        net = _read(model, how, shape)
        assert len(net.architecture) == 4                      # ceil(log2 3) = 2 hidden layers
        _check_float(net, model, shape)
        assert equivalent(net, ref)


def test_maxpool_after_relu_uses_two_neurons_per_pair(caplog):
    from cpa.io import from_torch

    model = nn.Sequential(nn.Conv2d(1, 1, 1), nn.ReLU(), nn.MaxPool2d(2)).double().eval()
    with caplog.at_level(logging.INFO, logger="cpa"):
        net = from_torch(model, input_shape=(1, 4, 4))
    assert net.architecture == (16, 16, 16, 8, 4)
    assert "2 extra hidden layers" in caplog.text
    _check_float(net, model, (1, 4, 4))


# --- refusals ------------------------------------------------------------------------------------

def test_conv_without_input_shape_refused():
    from cpa.io import from_torch

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 1))
    with pytest.raises(UnsupportedLayerError, match=r"0 \(Conv2d\) needs the shape .*input_shape") as e:
        from_torch(model)
    assert "1 unsupported layer:" in str(e.value)              # the pooling after it is not reported too


def test_shape_mismatches_refused():
    from cpa.io import from_torch

    with pytest.raises(UnsupportedLayerError, match=r"Linear acts on the last dimension"):
        from_torch(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(2, 1)), input_shape=(1, 4, 4))
    with pytest.raises(UnsupportedLayerError, match=r"3 input channels"):
        from_torch(nn.Sequential(nn.Conv2d(3, 2, 3)), input_shape=(1, 4, 4))
    with pytest.raises(UnsupportedLayerError, match=r"padding_mode='reflect'"):
        from_torch(nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect")), input_shape=(1, 4, 4))
    with pytest.raises(UnsupportedLayerError, match=r"does not fit"):
        from_torch(nn.Sequential(nn.Conv2d(1, 2, 5)), input_shape=(1, 4, 4))
    with pytest.raises(FormatError, match=r"input_shape"):
        from_torch(nn.Sequential(nn.Conv2d(1, 2, 3)), input_shape=(1, -4, 4))


def test_onnx_dynamic_spatial_shape_refused():
    from cpa.io import read_onnx

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()).eval()
    proto = _onnx(model, (1, 5, 5), dynamic={"x": {0: "N", 2: "H"}, "y": {0: "N"}})
    with pytest.raises(FormatError, match=r"dimension 2 is not a fixed size \(H\)"):
        read_onnx(proto)


# --- size of a small CNN --------------------------------------------------------------------

def test_small_cnn_size():
    from cpa.io import from_torch

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 10)).eval()
    net = from_torch(model, input_shape=(1, 10, 10))
    # conv 8x8x8, max tree of 2x2 windows (2 levels), conv 16x2x2, max tree, linear
    assert net.architecture == (100, 512, 512, 256, 64, 64, 32, 10)
    _check_float(net, model.double(), (1, 10, 10), points=1)


# --- state dicts with a layout of module kinds ---------------------------------------------------

def test_state_dict_layout_of_kinds(tmp_path):
    from cpa.io import from_torch, load_network

    torch.manual_seed(2)
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Dropout(0.5), nn.Linear(3, 2)).eval()
    sd = model.state_dict()
    layout = ["flatten", "linear", "relu", "dropout", "linear"]
    assert from_torch(sd, layout=layout) == from_torch(model)
    with pytest.raises(FormatError, match=r"layout=\[\.\.\.\]"):
        from_torch(sd)
    with pytest.raises(FormatError, match=r"entry 0 is 'linear' but the state dict has no key '0.weight'"):
        from_torch(sd, layout=["linear", "relu", "linear"])
    with pytest.raises(FormatError, match=r"leaves out the Linear layer '4'"):
        from_torch(sd, layout=["flatten", "linear", "relu"])
    with pytest.raises(TypeError, match=r"'sigmoid'"):
        from_torch(sd, layout=["flatten", "linear", "sigmoid", "dropout", "linear"])
    path = tmp_path / "m.pt"
    torch.save(sd, path)
    assert load_network(path, layout=layout) == from_torch(model)


def test_cli_layout(tmp_path, capsys):
    from cpa.cli import main

    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    path = tmp_path / "m.pt"
    torch.save(model.state_dict(), path)
    assert main(["info", str(path), "--layout", "flatten,linear,relu,linear"]) == 0
    assert "(4, 3, 2)" in capsys.readouterr().out
    out = tmp_path / "m.json"
    assert main(["convert", str(path), str(out), "--layout", "flatten, linear, relu, linear"]) == 0
    assert out.exists()


# --- any nn.Module, through torch.fx ---------------------------------------------------------------

class _LeNet(nn.Module):
    """The PyTorch tutorial's style: functional ReLU and pooling, a view to flatten."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.conv2 = nn.Conv2d(2, 3, 2)
        self.fc1 = nn.Linear(3 * 2 * 2, 5)
        self.fc2 = nn.Linear(5, 2)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.nn.functional.relu(self.conv1(x)), 2)
        x = torch.nn.functional.avg_pool2d(torch.relu(self.conv2(x)), (2, 2))
        x = x.view(x.size(0), -1)
        x = self.fc1(x).relu()
        return self.fc2(torch.flatten(x, 1))


def test_fx_module_matches_torch():
    from cpa.io import from_torch

    torch.manual_seed(4)
    model = _LeNet().double().eval()
    net = from_torch(model, input_shape=(1, 12, 12))
    _check_float(net, model, (1, 12, 12))
    seq = nn.Sequential(model.conv1, nn.ReLU(), nn.MaxPool2d(2), model.conv2, nn.ReLU(), nn.AvgPool2d(2),
                        nn.Flatten(), model.fc1, nn.ReLU(), model.fc2)
    assert net == from_torch(seq, input_shape=(1, 12, 12))


def test_fx_refusals_all_named():
    from cpa.io import from_torch

    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)
            self.s = nn.Sigmoid()

        def forward(self, x):
            y = self.a(x)
            return torch.tanh(self.s(y)) + y

    with pytest.raises(UnsupportedLayerError) as e:
        from_torch(Branchy())
    msg = str(e.value)
    for part in ("s (Sigmoid) not piecewise affine", "node 'tanh' = torch.tanh not in the table",
                 "2 unsupported layers"):
        assert part in msg

    class Product(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)

        def forward(self, x):
            y = self.a(x)
            return torch.mul(y, torch.relu(y))

    with pytest.raises(UnsupportedLayerError, match=r"node 'mul' = torch.mul takes 'a', 'relu'"):
        from_torch(Product())

    class Untraceable(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(UnsupportedLayerError, match=r"cannot be traced by torch.fx.symbolic_trace"):
        from_torch(Untraceable())


class _Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1 = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)
        self.c2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.c2(torch.relu(self.bn(self.c1(x)))) + x)


class _ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 2, 3)
        self.b1, self.b2 = _Block(2), _Block(2)
        self.fc = nn.Linear(2 * 3 * 3, 3)

    def forward(self, x):
        x = self.stem(x)                    # no ReLU: the skip carries signed values
        return self.fc(self.b2(self.b1(x)).flatten(1))


def test_fx_residual_sums():
    from cpa.io import from_torch

    torch.manual_seed(6)
    model = _ResNet().double()
    with torch.no_grad():
        for b in (model.b1.bn, model.b2.bn):
            b.running_mean.uniform_(-1, 1)
            b.running_var.uniform_(0.5, 2)
    model.eval()
    net = from_torch(model, input_shape=(1, 5, 5))
    # per block: the branch (18 ReLUs), the skip carried as relu(x) - relu(-x) (36), then the sum's ReLU
    assert net.architecture == (25, 54, 18, 54, 18, 3)
    _check_float(net, model, (1, 5, 5))
