"""Reading branches and constant products: residual sums, ``f(x) + g(x)``, ``torch.cat`` and ``x * c``.

Each case is a random float64 module whose ``forward`` uses the operation,
read with :func:`cpa.io.from_torch` (traced by ``torch.fx``) and through an
ONNX export read with :func:`cpa.io.read_onnx` (``dynamo=False``; one case
also with ``dynamo=True``).  Two checks:

(a) exact evaluation of the read network agrees with the module run in
    float64 torch, to float precision, at random points;
(b) on small inputs the exact equivalence checker proves the read network
    equal to a reference built here from the weights: the branches as
    hand-written networks put side by side with :func:`cpa.calculus.parallel`
    and summed by a hand-written last layer, and ``c x`` as a hand-scaled
    last layer.
"""

from __future__ import annotations

import io
import warnings
from fractions import Fraction

import numpy as np
import pytest

import cpa
from cpa.calculus import compose, parallel
from cpa.equivalence import equivalent
from cpa.errors import UnsupportedLayerError
from test_io_conv import _ResNet, _check_float

torch = pytest.importorskip("torch")
nn = torch.nn


# --- helpers ---------------------------------------------------------------------------------

def _onnx(model, shape, dynamo=False):
    onnx = pytest.importorskip("onnx")
    x = torch.zeros((1,) + tuple(shape), dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            pytest.importorskip("onnxscript")
            return torch.onnx.export(model, (x,), dynamo=True, verbose=False).model_proto
        f = io.BytesIO()
        torch.onnx.export(model, (x,), f, dynamo=False, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    return onnx.load_from_string(f.getvalue())


def _read(model, how, shape):
    from cpa.io import from_torch, read_onnx

    if how == "torch":
        return from_torch(model, input_shape=shape)
    return read_onnx(_onnx(model, shape, dynamo=how == "dynamo"))


def _fr(t):
    return [[Fraction(v) for v in row] for row in t.detach().double().numpy().reshape(t.shape[0], -1).tolist()]


def _frv(t):
    return [Fraction(v) for v in t.detach().double().numpy().tolist()]


def _affine(lin, c=Fraction(1)):
    """The layer ``c (W x + b)`` of an ``nn.Linear``, exactly."""
    return [[c * w for w in row] for row in _fr(lin.weight)], [c * v for v in _frv(lin.bias)]


def _eye(n, c=Fraction(1)):
    return [[c if i == j else Fraction(0) for j in range(n)] for i in range(n)]


def _summed(m, k):
    """The last layer ``y -> y_1 + ... + y_k`` on ``k`` outputs of ``m`` entries side by side."""
    return cpa.ReLUNetwork([([[Fraction(int(j % m == i)) for j in range(k * m)] for i in range(m)],
                             [Fraction(0)] * m)])


def _model(cls, seed, *args):
    torch.manual_seed(seed)
    return cls(*args).double().eval()


# --- the modules -----------------------------------------------------------------------------

class _Residual(nn.Module):
    """``x + relu(f(x))``, then ``relu(g(y)) + h(relu(k(x)))``, then a Linear of the sum of both."""

    def __init__(self, d, w, out):
        super().__init__()
        self.f, self.g = nn.Linear(d, d), nn.Linear(d, d)
        self.k, self.h = nn.Linear(d, w), nn.Linear(w, d)
        self.out = nn.Linear(d, out)

    def forward(self, x):
        y = x + torch.relu(self.f(x))
        z = torch.relu(self.g(y)) + self.h(torch.relu(self.k(x)))
        return self.out(z + y)


class _TwoBranches(nn.Module):
    """``f(x) + g(x)``, each a Linear-ReLU-Linear."""

    def __init__(self, d, w, out):
        super().__init__()
        self.f1, self.f2 = nn.Linear(d, w), nn.Linear(w, out)
        self.g1, self.g2 = nn.Linear(d, w + 1), nn.Linear(w + 1, out)

    def forward(self, x):
        return self.f2(torch.relu(self.f1(x))) + self.g2(torch.relu(self.g1(x)))


class _Cat(nn.Module):
    """``Linear(cat([relu(f(x)), g(x), x], dim))``."""

    def __init__(self, d, w, out, dim=1):
        super().__init__()
        self.f, self.g = nn.Linear(d, w), nn.Linear(d, w + 1)
        self.out = nn.Linear(2 * w + 1 + d, out)
        self.dim = dim

    def forward(self, x):
        return self.out(torch.cat([torch.relu(self.f(x)), self.g(x), x], dim=self.dim))


class _CatChannels(nn.Module):
    """Two convolutions of ``(C, H, W)`` concatenated along the channels, then a Linear."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(1, 2, 3), nn.Conv2d(1, 1, 3, padding=1)
        self.pool = nn.MaxPool2d(3, stride=1)
        self.out = nn.Linear(3 * 3 * 3, 2)

    def forward(self, x):
        return self.out(torch.cat([torch.relu(self.a(x)), self.pool(self.b(x))], dim=1).flatten(1))


class _Scaled(nn.Module):
    """A chain of Linear layers and ReLUs with a product by a constant in one of its spellings."""

    def __init__(self, d, w, out, how, c):
        super().__init__()
        self.a, self.b = nn.Linear(d, w), nn.Linear(w, out)
        self.how, self.c = how, c

    def forward(self, x):
        h = torch.relu(self.a(x))
        y = self.b(h)
        c = self.c
        return {"x*c": lambda: y * c, "c*x": lambda: c * y, "x/c": lambda: y / c,
                "torch.mul": lambda: torch.mul(y, c), "x.div": lambda: y.div(c)}[self.how]()


# --- (a) float agreement -----------------------------------------------------------------------

@pytest.mark.parametrize("how", ["torch", "onnx"])
@pytest.mark.parametrize("cls,sizes,seed", [(_Residual, (3, 4, 2), 0), (_Residual, (5, 2, 1), 1),
                                            (_TwoBranches, (3, 4, 2), 2), (_TwoBranches, (6, 3, 3), 3),
                                            (_Cat, (3, 2, 2), 4), (_Cat, (4, 5, 1), 5)])
def test_branches_agree_with_torch(cls, sizes, seed, how):
    model = _model(cls, seed, *sizes)
    _check_float(_read(model, how, (sizes[0],)), model, (sizes[0],), seed)


@pytest.mark.parametrize("how", ["torch", "onnx"])
def test_cat_of_channels_agrees_with_torch(how):
    model = _model(_CatChannels, 7)
    _check_float(_read(model, how, (1, 5, 5)), model, (1, 5, 5))


@pytest.mark.parametrize("how", ["torch", "onnx"])
@pytest.mark.parametrize("op,c", [("x*c", 0.5), ("c*x", -3), ("x/c", 4), ("torch.mul", 0.1), ("x.div", 3.0)])
def test_constant_products_agree_with_torch(op, c, how):
    model = _model(_Scaled, len(op), 3, 4, 2, op, c)
    _check_float(_read(model, how, (3,)), model, (3,))


def test_onnx_resnet_carries_the_cheaper_of_entries_and_values():
    from cpa.io import read_onnx

    torch.manual_seed(6)
    model = _ResNet().double().eval()
    net = read_onnx(_onnx(model, (1, 5, 5)))
    # block 1 reads the stem, affine in the 25 inputs: its 18 values are carried (2 x 18 < 2 x 25);
    # block 2 reads 18 hidden entries >= 0: they are carried (18 neurons)
    assert net.architecture == (25, 18 + 36, 18, 18 + 18, 18, 3)
    _check_float(net, model, (1, 5, 5))


def test_dynamo_export_of_branches():
    model = _model(_Residual, 8, 3, 4, 2)
    _check_float(_read(model, "dynamo", (3,)), model, (3,))
    model = _model(_Cat, 9, 3, 2, 2)
    _check_float(_read(model, "dynamo", (3,)), model, (3,))


def test_float32_constant_is_rounded_as_torch_applies_it():
    from cpa.io import from_torch

    model = _model(_Scaled, 0, 2, 2, 1, "x*c", 0.1).float()
    net = from_torch(model)
    assert net.affine_layers[-1].W.rows[0][0][1] == Fraction(float(np.float32(0.1))) * Fraction(
        float(model.b.weight[0, 0].detach()))


# --- (b) exact equivalence to hand-built references ---------------------------------------------

@pytest.mark.parametrize("how", ["torch", "onnx"])
@pytest.mark.parametrize("seed", [0, 1])
def test_residual_equivalent_to_reference(seed, how):
    class Res(nn.Module):
        def __init__(self):
            super().__init__()
            self.f = nn.Linear(2, 2)

        def forward(self, x):
            return x + torch.relu(self.f(x))

    model = _model(Res, seed)
    ident = cpa.ReLUNetwork([([[1, 0], [0, 1], [-1, 0], [0, -1]], [0] * 4), ([[1, 0, -1, 0], [0, 1, 0, -1]],
                                                                              [0, 0])])
    branch = compose(cpa.ReLUNetwork([(_eye(2), [0, 0])]), cpa.ReLUNetwork([_affine(model.f), (_eye(2), [0, 0])]))
    ref = compose(_summed(2, 2), parallel([ident, branch]))
    assert equivalent(_read(model, how, (2,)), ref)


@pytest.mark.parametrize("how", ["torch", "onnx"])
@pytest.mark.parametrize("seed", [0, 1])
def test_two_branches_equivalent_to_reference(seed, how):
    model = _model(_TwoBranches, seed, 2, 2, 1)
    f = cpa.ReLUNetwork([_affine(model.f1), _affine(model.f2)])
    g = cpa.ReLUNetwork([_affine(model.g1), _affine(model.g2)])
    assert equivalent(_read(model, how, (2,)), compose(_summed(1, 2), parallel([f, g])))


@pytest.mark.parametrize("how", ["torch", "onnx"])
@pytest.mark.parametrize("seed,dim", [(0, 1), (1, -1)])
def test_cat_equivalent_to_reference(seed, dim, how):
    model = _model(_Cat, seed, 2, 2, 1, dim)
    f = cpa.ReLUNetwork([_affine(model.f), (_eye(2), [0, 0])])
    g = cpa.ReLUNetwork([([[1, 0], [0, 1], [-1, 0], [0, -1]], [0] * 4),
                         ([[w[0], w[1], -w[0], -w[1]] for w in _fr(model.g.weight)], _frv(model.g.bias))])
    x = cpa.ReLUNetwork([([[1, 0], [0, 1], [-1, 0], [0, -1]], [0] * 4), ([[1, 0, -1, 0], [0, 1, 0, -1]], [0, 0])])
    ref = compose(cpa.ReLUNetwork([_affine(model.out)]), parallel([f, g, x]))
    assert equivalent(_read(model, how, (2,)), ref)


@pytest.mark.parametrize("how", ["torch", "onnx"])
@pytest.mark.parametrize("op,c", [("x*c", 0.75), ("c*x", -2.5), ("x/c", 3), ("torch.mul", 0.1), ("x.div", 0.3)])
def test_constant_products_equivalent_to_reference(op, c, how):
    model = _model(_Scaled, 1, 2, 2, 1, op, c)
    k = 1 / Fraction(c) if op in ("x/c", "x.div") else Fraction(c)
    ref = cpa.ReLUNetwork([_affine(model.a), _affine(model.b, k)])
    assert equivalent(_read(model, how, (2,)), ref)


# --- refusals ---------------------------------------------------------------------------------

class _Bad(nn.Module):
    def __init__(self, how):
        super().__init__()
        self.f, self.one = nn.Linear(3, 3), nn.Linear(3, 1)
        self.p = nn.Parameter(torch.ones(3))
        self.how = how

    def forward(self, x):
        return {"x*y": lambda: self.f(x) * x, "x*param": lambda: x * self.p,
                "broadcast": lambda: self.one(x) + x, "cat0": lambda: torch.cat([x, self.f(x)], 0),
                "floor": lambda: torch.div(x, 2, rounding_mode="floor")}[self.how]()


@pytest.mark.parametrize("how,message", [
    ("x*y", "node 'mul' = _operator.mul takes 'f', 'x': a product of two tensors is not piecewise affine"),
    ("x*param", "node 'p' .get_attr p. reads a parameter or buffer directly.*node 'mul' = _operator.mul by "
                "a value that is not a constant number"),
    ("broadcast", r"node 'add' \(\+\) adds values of shapes \(1,\), \(3,\)"),
    ("cat0", "node 'cat' = torch.cat along dim=0: only the feature axis"),
    ("floor", "node 'div' = torch.div with a rounding_mode")])
def test_fx_refusals_name_the_node(how, message):
    from cpa.io import from_torch

    with pytest.raises(UnsupportedLayerError, match=message):
        from_torch(_Bad(how).double(), input_shape=(3,))


def test_onnx_product_of_two_branches_refused():
    from cpa.io import read_onnx

    with pytest.raises(UnsupportedLayerError, match=r"node '/Mul' \(Mul\): Mul of two input-dependent values"):
        read_onnx(_onnx(_Bad("x*y").double(), (3,)))
