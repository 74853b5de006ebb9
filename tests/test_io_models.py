"""Reading the networks users have: evaluation-mode layers folded exactly (cpa.fold through cpa.io).

Each case is a random ``nn.Sequential`` using one of the folded layers
(BatchNorm1d, LeakyReLU, Hardtanh/ReLU6, Dropout, Identity, Flatten), read
with :func:`cpa.io.from_torch` and through an ONNX export read with
:func:`cpa.io.read_onnx`.  Two checks:

(a) exact evaluation of the read network agrees with the model run in
    float64 torch, to float precision, at random points;
(b) on small models the exact equivalence checker proves the read network
    equal to a reference network built here by hand from the parameters,
    with Fractions, following the folding rules literally.

The reference takes ``sqrt(var + eps)`` as torch's BatchNorm kernel does
(``std::sqrt`` of ``var + float(eps)`` in the parameter type; computed here
in double and rounded, and checked against the kernel's output), and
hyperparameters rounded by torch to the model's type, so it also checks that
the reader takes these floats as torch does.
"""

from __future__ import annotations

import copy
import io
import logging
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cpa
from cpa.equivalence import equivalent
from cpa.errors import FormatError, UnsupportedLayerError
from cpa.fold import clamp, float_sqrt, leaky_relu

from strategies import rationals

torch = pytest.importorskip("torch")
nn = torch.nn

F = Fraction

# --- building random models -------------------------------------------------------------
#
# A spec is a list of layer codes: "L" Linear, "R" ReLU, "BN" BatchNorm1d, "BNx" BatchNorm1d(affine=False),
# "BNe" BatchNorm1d(eps=1e-3) with zero variances, ("leaky", a), ("ht", lo, hi), "relu6", "D" Dropout(0.5),
# "D1" Dropout1d, "AD" AlphaDropout, "I" Identity, "Fl" Flatten.

BN_SPECS = {
    "bn_after_linear": ["L", "BN", "R", "L"],
    "bn_after_relu": ["L", "R", "BN", "L"],
    "bn_at_input": ["BN", "L", "R", "L"],
    "bn_at_end": ["L", "R", "L", "BN"],
    "bn_after_last_relu": ["L", "R", "L", "R", "BN"],
    "bn_affine_false": ["L", "BNx", "R", "L"],
    "bn_zero_var_eps": ["L", "BNe", "R", "L"],
    "bn_everywhere": ["BN", "L", "BN", "R", "BN", "L", "BN"],
}
SLOPES = [0.0, 0.01, 0.1, 0.5, 1.0, -0.3, 2.5, 1 / 3]
LEAKY_SPECS = {f"leaky_{a:.3g}": ["L", ("leaky", a), "L"] for a in SLOPES}
LEAKY_SPECS.update({
    "leaky_at_input": [("leaky", 0.2), "L", "R", "L"],
    "leaky_at_end": ["L", "R", "L", ("leaky", 0.1)],
    "leaky_twice": ["L", ("leaky", 0.1), ("leaky", -2.0), "L"],
})
BOUNDS = [(-1.0, 1.0), (-0.5, 2.0), (0.25, 3.0), (-3.0, -1.0), (-0.1, 0.3)]
CLAMP_SPECS = {f"hardtanh_{lo:g}_{hi:g}": ["L", ("ht", lo, hi), "L"] for lo, hi in BOUNDS}
CLAMP_SPECS.update({
    "relu6": ["L", "relu6", "L"],
    "hardtanh_at_end": ["L", "R", "L", ("ht", -1.0, 2.0)],
    "relu6_then_relu": ["L", "relu6", "R", "L"],
})
DROPOUT_SPECS = {
    "dropout": ["L", "R", "D", "L"],
    "dropout_kinds": ["Fl", "L", "D1", "R", "AD", "I", "L", "D"],
    "identity_flatten": ["Fl", "I", "L", "R", "Fl", "L", "I"],
}
MIXED_SPECS = {
    "mixed": ["BN", "L", "BN", ("leaky", 0.2), "D", "L", "R", "BN", "L", ("ht", -1.0, 2.0), "L"],
    "mixed_relu6": ["L", "BN", "relu6", "D", "L", ("leaky", -0.5), "BNx", "L"],
}
SPECS = {**BN_SPECS, **LEAKY_SPECS, **CLAMP_SPECS, **DROPOUT_SPECS, **MIXED_SPECS}


def _layer(code, width, gen):
    if code == "R":
        return nn.ReLU()
    if code in ("BN", "BNx", "BNe"):
        bn = nn.BatchNorm1d(width, affine=code != "BNx", eps=1e-3 if code == "BNe" else 1e-5)
        with torch.no_grad():
            bn.running_mean.uniform_(-1, 1, generator=gen)
            if code == "BNe":
                bn.running_var.zero_()
            else:
                bn.running_var.uniform_(0.2, 2.0, generator=gen)
            if bn.affine:
                bn.weight.uniform_(-2, 2, generator=gen)
                bn.bias.uniform_(-1, 1, generator=gen)
        return bn
    if code == "relu6":
        return nn.ReLU6()
    if code == "D":
        return nn.Dropout(0.5)
    if code == "D1":
        return nn.Dropout1d(0.3)
    if code == "AD":
        return nn.AlphaDropout(0.2)
    if code == "I":
        return nn.Identity()
    if code == "Fl":
        return nn.Flatten()
    if code[0] == "leaky":
        return nn.LeakyReLU(code[1])
    if code[0] == "ht":
        return nn.Hardtanh(code[1], code[2])
    raise AssertionError(code)


def _build(spec, widths, seed=0, dtype=None):
    """``nn.Sequential`` of ``spec`` in eval mode; the Linear layers map widths[0] -> widths[1] -> ..."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    mods, k = [], 0
    for code in spec:
        if code == "L":
            lin = nn.Linear(widths[k], widths[k + 1])
            with torch.no_grad():
                lin.weight.uniform_(-1, 1, generator=gen)
                lin.bias.uniform_(-1, 1, generator=gen)
            mods.append(lin)
            k += 1
        else:
            mods.append(_layer(code, widths[k], gen))
    assert k == len(widths) - 1
    model = nn.Sequential(*mods).eval()
    return model.to(dtype) if dtype is not None else model


def _widths(spec, d_in, hidden, d_out):
    n = spec.count("L")
    return [d_in] + [hidden] * (n - 1) + [d_out]


# --- the reference fold, by hand -----------------------------------------------------------

def _fr(t):
    """Exact Fractions of a tensor (nested lists)."""
    return _nested(t.detach().tolist())


def _nested(v):
    return [_nested(x) for x in v] if isinstance(v, list) else F(v)


def _in_type(value, dtype):
    """``value`` rounded to ``dtype`` by torch (as torch applies a hyperparameter)."""
    return F(torch.tensor(value, dtype=dtype).item())


def _kernel_sqrt(var, eps, dtype):
    """``sqrt(var + eps)`` as torch's CPU BatchNorm kernel takes it, exactly.

    float64: correctly rounded ``sqrt(var + eps)``.  float32: ``eps`` rounded to float32, the sum
    rounded to float32 (it is exact in double first), the square root taken in double and rounded to
    float32 (correct: a double holds more than twice float32's precision).  Not ``torch.sqrt``: on
    float32 tensors it is not always correctly rounded.
    """
    if dtype == torch.float64:
        return F(math.sqrt(float(var) + eps))
    total = np.float32(float(var) + float(np.float32(eps)))
    return F(float(np.float32(math.sqrt(float(total)))))


def _matmul(A, B):
    return [[sum((a * B[k][j] for k, a in enumerate(row)), F(0)) for j in range(len(B[0]))] for row in A]


def _matvec(A, x):
    return [sum((a * v for a, v in zip(row, x)), F(0)) for row in A]


def _eye(n, c=F(1)):
    return [[c if i == j else F(0) for j in range(n)] for i in range(n)]


def _reference(model):
    """The network of ``model`` folded by hand: dense Fractions, the rules of the issue spelled out.

    BatchNorm: ``scale = gamma / s``, ``shift = beta - scale * mean`` with ``s = torch.sqrt(var + eps)``;
    folded into the preceding Linear when no ReLU is between them (``W' = diag(scale) W``,
    ``b' = scale b + shift``), else into the next Linear (``W' = W diag(scale)``, ``b' = b + W shift``),
    else (nothing to fold into) an affine layer of its own.  LeakyReLU(a): rows ``[W; -W]``, then
    ``[I, -a I]``.  Hardtanh(lo, hi): rows ``[W; W]`` with biases ``b - lo``, ``b - hi``, then ``[I, -I]``
    and ``+ lo``.
    """
    dtype = next(model.parameters()).dtype
    leaves = [m for m in model.modules() if not isinstance(m, nn.Sequential)]
    dim = next(m.in_features for m in leaves if isinstance(m, nn.Linear))
    layers = []
    pend = None            # (W, b) since the last ReLU, None = identity
    waiting = None         # (scale, shift) of a BatchNorm after a ReLU, for the next Linear

    def pending():
        return pend if pend is not None else (_eye(dim), [F(0)] * dim)

    def flush_waiting():
        nonlocal pend, waiting
        if waiting is not None:
            s, t = waiting
            W, b = pending()
            pend = ([[si * w for w in row] for si, row in zip(s, W)], [si * bi + ti for si, bi, ti in zip(s, b, t)])
            waiting = None

    for m in leaves:
        if isinstance(m, nn.Linear):
            W2, b2 = _fr(m.weight), _fr(m.bias)
            if waiting is not None:                           # W' = W diag(scale), b' = b + W shift
                s, t = waiting
                b2 = [bi + wt for bi, wt in zip(b2, _matvec(W2, t))]
                W2 = [[w * si for w, si in zip(row, s)] for row in W2]
                waiting = None
            if pend is None:
                pend = (W2, b2)
            else:
                W, b = pend
                pend = (_matmul(W2, W), [x + y for x, y in zip(_matvec(W2, b), b2)])
            dim = len(b2)
        elif isinstance(m, nn.BatchNorm1d):
            sq = [_kernel_sqrt(v, m.eps, dtype) for v in _fr(m.running_var)]
            gamma = _fr(m.weight) if m.affine else [F(1)] * dim
            beta = _fr(m.bias) if m.affine else [F(0)] * dim
            scale = [g / s for g, s in zip(gamma, sq)]
            shift = [bt - c * mu for bt, c, mu in zip(beta, scale, _fr(m.running_mean))]
            if pend is not None:                              # W' = diag(scale) W, b' = scale b + shift
                W, b = pend
                pend = ([[c * w for w in row] for c, row in zip(scale, W)],
                        [c * bi + t for c, bi, t in zip(scale, b, shift)])
            elif waiting is not None:                         # two in a row: compose them
                s0, t0 = waiting
                waiting = ([c * x for c, x in zip(scale, s0)], [c * x + t for c, x, t in zip(scale, t0, shift)])
            else:
                waiting = (scale, shift)
        elif isinstance(m, (nn.ReLU, nn.LeakyReLU, nn.Hardtanh)):
            flush_waiting()
            W, b = pending()
            if type(m) is nn.ReLU:
                layers.append((W, b))
                pend = None
                continue
            if isinstance(m, nn.LeakyReLU):
                a = _in_type(m.negative_slope, dtype)
                layers.append((W + [[-w for w in row] for row in W], b + [-x for x in b]))
                pend = ([e + [-a * v for v in e] for e in _eye(dim)], [F(0)] * dim)
            else:                                             # Hardtanh, ReLU6
                lo, hi = _in_type(m.min_val, dtype), _in_type(m.max_val, dtype)
                layers.append((W + W, [x - lo for x in b] + [x - hi for x in b]))
                pend = ([e + [-v for v in e] for e in _eye(dim)], [lo] * dim)
        else:
            assert isinstance(m, (nn.Dropout, nn.Dropout1d, nn.AlphaDropout, nn.Identity, nn.Flatten)), m
    flush_waiting()
    layers.append(pending())
    return cpa.ReLUNetwork(layers)


# --- reading ---------------------------------------------------------------------------------

def _onnx_model(model, d_in, dynamo=False):
    onnx = pytest.importorskip("onnx")
    dtype = next(model.parameters()).dtype
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            prog = torch.onnx.export(model, (torch.zeros(2, d_in, dtype=dtype),), dynamo=True, verbose=False)
            return prog.model_proto
        torch.onnx.export(model, (torch.zeros(2, d_in, dtype=dtype),), f, dynamo=False,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    return onnx.load_from_string(f.getvalue())


def _read(model, how, d_in):
    from cpa.io import from_torch, read_onnx

    if how == "torch":
        return from_torch(model)
    return read_onnx(_onnx_model(model, d_in))


def _check_float(net, model, d_in, rtol, seed=0):
    """(a): exact values of ``net`` at random float points against ``model`` run in float64."""
    m64 = copy.deepcopy(model).double()
    X = np.random.default_rng(seed).normal(scale=2.0, size=(6, d_in))
    with torch.no_grad():
        Y = m64(torch.from_numpy(X)).numpy()
    for x, y in zip(X, Y):
        got = np.array([float(v) for v in net([F(t) for t in x])])
        np.testing.assert_allclose(got, y, rtol=rtol, atol=rtol)


# --- (a) float agreement, larger models ------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("how", ["torch", "onnx"])
def test_read_agrees_with_torch_float64(name, how):
    spec = SPECS[name]
    for seed, dtype in ((1, torch.float64), (2, torch.float32)):
        if how == "onnx" and dtype == torch.float64 and any(isinstance(c, tuple) or c == "BNe" for c in spec):
            dtype = torch.float32            # ONNX float attributes are float32: slope 0.1 is float32(0.1)
        widths = _widths(spec, 5, 7, 3)
        model = _build(spec, widths, seed, dtype)
        net = _read(model, how, widths[0])
        assert (net.input_dim, net.output_dim) == (5, 3)
        _check_float(net, model, widths[0], rtol=1e-9 if dtype == torch.float64 else 2e-5, seed=seed)


# --- (b) exact equivalence with the hand-made reference, small models ---------------------------

@pytest.mark.parametrize("name", sorted(SPECS))
def test_read_is_exactly_the_hand_fold(name):
    spec = SPECS[name]
    for seed, dtype in ((3, torch.float32), (4, torch.float64)):
        widths = _widths(spec, 2, 3, 1)
        model = _build(spec, widths, seed, dtype)
        ref = _reference(model)
        net = _read(model, "torch", 2)
        assert equivalent(net, ref), (name, dtype)
        if dtype == torch.float32:            # ONNX of a float32 model: the same floats, the same network
            assert equivalent(_read(model, "onnx", 2), ref), (name, "onnx")


@pytest.mark.parametrize("name", ["bn_after_relu", "leaky_0.1", "hardtanh_-0.5_2", "mixed", "mixed_relu6"])
def test_torch_and_onnx_readers_give_the_same_network(name):
    spec = SPECS[name]
    widths = _widths(spec, 3, 4, 2)
    model = _build(spec, widths, 7, torch.float32)
    assert _read(model, "torch", 3) == _read(model, "onnx", 3)


def test_onnx_float64_model_with_float32_hyperparameters():
    # float64 tensors; slope, bounds and eps that float32 attributes hold exactly
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3, eps=2.0 ** -10), nn.LeakyReLU(0.25),
                          nn.Linear(3, 3), nn.Hardtanh(-1.0, 2.0), nn.Linear(3, 1))
    gen = torch.Generator().manual_seed(11)
    with torch.no_grad():
        model[1].running_mean.uniform_(-1, 1, generator=gen)
        model[1].running_var.uniform_(0.2, 2, generator=gen)
    model = model.double().eval()
    ref = _reference(model)
    assert equivalent(_read(model, "onnx", 2), ref)
    assert _read(model, "onnx", 2) == _read(model, "torch", 2)


# --- what each fold does to the architecture ---------------------------------------------------

def test_batchnorm_folds_away_and_keeps_the_architecture():
    from cpa.io import from_torch

    for name in BN_SPECS:
        spec = BN_SPECS[name]
        widths = _widths(spec, 2, 3, 1)
        net = from_torch(_build(spec, widths, 5))
        relu_widths, k = [], 0
        for code in spec:
            k += code == "L"
            if code == "R":
                relu_widths.append(widths[k])
        assert net.widths == tuple(relu_widths), name      # no neuron for a BatchNorm, wherever it is


@pytest.mark.parametrize("slope, width", [(0.0, 3), (0.1, 6), (-0.3, 6), (2.5, 6), (1.0, None)])
def test_leaky_relu_width(slope, width, caplog):
    from cpa.io import from_torch

    model = _build(["L", ("leaky", slope), "L"], [2, 3, 1], 0)
    with caplog.at_level(logging.INFO, logger="cpa"):
        net = from_torch(model)
    if width is None:                                  # LeakyReLU(1) is the identity: one affine map
        assert net.depth == 0
    else:
        assert net.widths == (width,)
    doubled = [r.getMessage() for r in caplog.records if "ReLUs per feature" in r.getMessage()]
    assert bool(doubled) == (width == 6)
    if doubled:
        assert "LeakyReLU '1': 2 ReLUs per feature, hidden layer 0 has 6 neurons for 3 features" in doubled[0]


def test_hardtanh_and_relu6_width(caplog):
    from cpa.io import from_torch

    with caplog.at_level(logging.INFO, logger="cpa"):
        net = from_torch(_build(["L", "relu6", "L", "R", "L", ("ht", -1.0, 1.0)], [2, 3, 4, 2], 0))
    assert net.widths == (6, 4, 4)                    # ReLU6: 2 x 3; ReLU: 4; final Hardtanh: 2 x 2
    msgs = " ".join(r.getMessage() for r in caplog.records)
    assert "ReLU6 '1': 2 ReLUs per feature, hidden layer 0 has 6 neurons" in msgs
    assert "Hardtanh '5': 2 ReLUs per feature, hidden layer 2 has 4 neurons" in msgs


def test_float32_hyperparameters_are_taken_as_torch_applies_them():
    from cpa.io import from_torch

    model = nn.Sequential(nn.Linear(1, 1), nn.LeakyReLU(0.1), nn.Linear(1, 1)).eval()
    with torch.no_grad():
        for lin in (model[0], model[2]):
            lin.weight.fill_(1.0)
            lin.bias.zero_()
    net = from_torch(model)
    assert net([-1]) == (-F(float(np.float32(0.1))),)     # float32(0.1), not 1/10 nor float64(0.1)
    y = model(torch.tensor([[-1.0]])).item()
    assert net([-1]) == (F(y),)
    assert from_torch(model.double())([-1]) == (-F(0.1),)


def test_float_sqrt_is_the_batchnorm_kernels():
    # torch's kernel: invstd = 1 / sqrt(var + eps); with mean 0, weight 1, bias 0 its output at x = 1 is
    # fl(1 / s), which tells s apart from its float neighbours here
    gen = torch.Generator().manual_seed(0)
    for dtype, kind in ((torch.float32, "float32"), (torch.float64, "float64")):
        var = torch.rand(3000, generator=gen, dtype=dtype) * torch.logspace(-8, 3, 3000, dtype=dtype)
        for eps in (1e-5, 1e-3, 0.1):
            bn = nn.BatchNorm1d(len(var), eps=eps).to(dtype).eval()
            with torch.no_grad():
                bn.running_var.copy_(var)
            out = bn(torch.ones(1, len(var), dtype=dtype))[0]
            ours = [float_sqrt(F(v), F(eps), kind) for v in var.tolist()]
            assert torch.equal(1 / torch.tensor([float(s) for s in ours], dtype=dtype), out)
            assert ours == [_kernel_sqrt(v, eps, dtype) for v in var.tolist()]


# --- the gadgets' identities, for any rational parameters ------------------------------------

@given(rationals(40, 7), rationals(40, 7))
def test_leaky_relu_identity(a, x):
    f = leaky_relu(a)
    value = f(x) if hasattr(f, "pieces") else f([x])[0]
    assert value == (x if x >= 0 else a * x)


@given(st.one_of(st.none(), rationals(40, 7)), st.one_of(st.none(), rationals(40, 7)), rationals(60, 7))
def test_clamp_identity(lo, hi, x):
    f = clamp(lo, hi)
    value = f(x) if hasattr(f, "pieces") else f([x])[0]
    want = x if lo is None else max(x, lo)
    want = want if hi is None else min(want, hi)
    assert value == want
    if lo is not None and hi is not None and lo < hi:
        assert f.relus_per_feature == 2


def test_table_rows_are_read_by_both_readers():
    pytest.importorskip("onnx")
    from cpa.fold import RULES
    from cpa.io.onnx_to_network import SUPPORTED_OPS
    from cpa.io.torch_to_steps import SUPPORTED_MODULES

    for rule in RULES.values():
        for name in rule.torch:
            assert isinstance(getattr(nn, name), type) and name in SUPPORTED_MODULES
        for op in rule.onnx:
            assert op in SUPPORTED_OPS


# --- refusals ---------------------------------------------------------------------------------

def test_training_mode_refused_with_eval_hint():
    from cpa.io import from_torch

    model = _build(["L", "BN", "R", "D", "L"], [2, 3, 1], 0).train()
    with pytest.raises(UnsupportedLayerError) as e:
        from_torch(model)
    msg = str(e.value)
    assert "1 (BatchNorm1d) in training mode" in msg and "3 (Dropout) in training mode" in msg
    assert "call model.eval()" in msg and "2 unsupported layers" in msg and "\n" not in msg
    model[3].eval()                                   # one submodule still training is enough
    with pytest.raises(UnsupportedLayerError, match=r"1 \(BatchNorm1d\) in training mode.*model\.eval\(\)"):
        from_torch(model)
    assert from_torch(model.eval()).architecture == (2, 3, 1)


def test_training_mode_is_fine_without_dropout_or_batchnorm():
    from cpa.io import from_torch

    model = nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.5), nn.Linear(3, 1), nn.Hardtanh())
    assert model.training
    assert from_torch(model).architecture == (2, 6, 2, 1)


def test_unsupported_layers_all_named_with_positions():
    from cpa.io import from_torch

    model = nn.Sequential(nn.Linear(2, 4), nn.GELU(), nn.Sequential(nn.Linear(4, 4), nn.Softmax(dim=-1)),
                          nn.Sigmoid(), nn.BatchNorm1d(4), nn.Linear(4, 2), nn.Tanh(), nn.Linear(2, 2)).eval()
    with pytest.raises(UnsupportedLayerError) as e:
        from_torch(model)
    msg = str(e.value)
    for part in ("4 unsupported layers", "1 (GELU) not piecewise affine", "2.1 (Softmax) not piecewise affine",
                 "3 (Sigmoid)", "6 (Tanh)", "supported: Linear, ReLU, LeakyReLU"):
        assert part in msg, part
    assert "BatchNorm1d" not in msg.split("(supported")[0] and "\n" not in msg


def test_attention_is_refused_naming_it():
    """Attention is not piecewise affine: refused in a Sequential and in a traced forward(), with
    every node the table lacks named in one line."""
    from cpa.io import from_torch

    with pytest.raises(UnsupportedLayerError, match=r"2 \(MultiheadAttention\) not piecewise affine"):
        from_torch(nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.MultiheadAttention(4, 1)).eval())

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.att = nn.MultiheadAttention(4, 1, batch_first=True)
            self.out = nn.Linear(4, 1)

        def forward(self, x):
            h = torch.relu(self.fc(x)).unsqueeze(1)
            a, _ = self.att(h, h, h)
            return self.out(a.squeeze(1))

    with pytest.raises(UnsupportedLayerError) as e:
        from_torch(Block().eval())
    msg = str(e.value)
    assert "att (MultiheadAttention) not piecewise affine" in msg and "'unsqueeze'" in msg and "\n" not in msg


@pytest.mark.parametrize("final", ["Softmax", "LogSoftmax"])
def test_final_softmax_refused_up_to_the_logits(final):
    from cpa.io import from_torch

    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), getattr(nn, final)(dim=1)).eval()
    with pytest.raises(UnsupportedLayerError) as e:
        from_torch(model)
    assert f"3 ({final}) at the output: a network is read up to its logits" in str(e.value)
    assert "model[:-1]" in str(e.value)
    assert from_torch(model[:-1]).architecture == (2, 3, 3)


def test_batchnorm_without_running_stats_and_odd_flatten_refused():
    from cpa.io import from_torch

    model = nn.Sequential(nn.Flatten(0), nn.Linear(2, 3), nn.BatchNorm1d(3, track_running_stats=False),
                          nn.Linear(3, 1)).eval()
    with pytest.raises(UnsupportedLayerError) as e:
        from_torch(model)
    msg = str(e.value)
    assert "0 (Flatten) with start_dim=0" in msg
    assert "2 (BatchNorm1d) without running statistics (track_running_stats=False)" in msg


def test_batchnorm_size_mismatch_and_bad_variance():
    from cpa.io import from_torch

    with pytest.raises(FormatError, match=r"layer 1 \(BatchNorm1d\): it has 4 features but receives 3"):
        from_torch(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(4), nn.Linear(4, 1)).eval())
    bn = nn.BatchNorm1d(2, eps=0.0).eval()
    with torch.no_grad():
        bn.running_var.zero_()
    with pytest.raises(FormatError, match=r"layer 1 \(BatchNorm1d\): feature 0: running_var \+ eps"):
        from_torch(nn.Sequential(nn.Linear(2, 2), bn).eval())


def test_half_precision_hyperparameters_refused():
    from cpa.io import from_torch

    model = nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.1), nn.Linear(3, 3), nn.BatchNorm1d(3)).half().eval()
    with pytest.raises(UnsupportedLayerError) as e:
        from_torch(model)
    msg = str(e.value)
    assert "1 (LeakyReLU) in a model with parameters of type float16" in msg and "model.float()" in msg
    assert "3 (BatchNorm1d) with float16 running statistics" in msg
    assert from_torch(model[:1]).architecture == (2, 3)       # a Linear layer alone needs no rounding


def test_state_dict_with_batchnorm_says_why():
    from cpa.io import from_torch

    sd = _build(["L", "BN", "R", "L"], [2, 3, 1]).state_dict()
    with pytest.raises(UnsupportedLayerError, match="does not record a BatchNorm's eps.*from_torch\\(model\\)"):
        from_torch(sd)


def test_nothing_is_unpickled(tmp_path):
    from cpa.io import load_network

    ran = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(ran), "w"))

    model = _build(["L", "BN", ("leaky", 0.1), "L"], [2, 3, 1])
    for obj in (model, {"model": model}, {"0.weight": model[0].weight.data, "x": Payload()}):
        path = tmp_path / "m.pt"
        torch.save(obj, path)
        with pytest.raises(FormatError, match="refused"):
            load_network(path)
        assert not ran.exists()


# --- ONNX: the same layers from torch.onnx.export, and refusals ----------------------------------

def _export_refusal(model, d_in=2, **kw):
    pytest.importorskip("onnx")
    from cpa.io import read_onnx

    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(2, d_in),), f, dynamo=False, input_names=["x"],
                          output_names=["y"], **kw)
    import onnx

    with pytest.raises(UnsupportedLayerError) as e:
        read_onnx(onnx.load_from_string(f.getvalue()))
    return str(e.value)


def test_onnx_unsupported_and_final_softmax_named():
    model = nn.Sequential(nn.Linear(2, 3), nn.GELU(), nn.Linear(3, 3), nn.Softmax(-1), nn.Linear(3, 3),
                          nn.Sigmoid(), nn.LogSoftmax(-1)).eval()
    msg = _export_refusal(model)
    for part in ("4 unsupported operators", "(Gelu) not piecewise affine", "(Softmax) not piecewise affine",
                 "(Sigmoid) not piecewise affine",
                 "(LogSoftmax) at the output: a network is read up to its logits"):
        assert part in msg, part


def test_onnx_training_mode_export_refused():
    model = _build(["L", "BN", "R", "D", "L"], [2, 3, 1]).train()
    msg = _export_refusal(model, training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    assert "(BatchNormalization) in training mode" in msg and "(Dropout) in training mode" in msg
    assert "export the model after model.eval()" in msg


def _graph(nodes, inits, n=3, elem=None):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    elem = TensorProto.FLOAT if elem is None else elem
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", elem, ["N", n])],
                              [helper.make_tensor_value_info("y", elem, ["N", n])],
                              initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


@pytest.mark.parametrize("lo, hi", [(-1.5, 0.5), (None, 0.5), (-1.5, None), (2.0, 1.0), (None, None)])
def test_onnx_clip_bounds(lo, hi):
    from onnx import helper

    from cpa.io import read_onnx

    inits = {}
    if lo is not None:
        inits["lo"] = np.array(lo, dtype=np.float32)
    if hi is not None:
        inits["hi"] = np.array(hi, dtype=np.float32)
    node = helper.make_node("Clip", ["x", "lo" if lo is not None else "", "hi" if hi is not None else ""], ["y"])
    net = read_onnx(_graph([node], inits))
    want = clamp(None if lo is None else F(lo), None if hi is None else F(hi))
    for x in (F(-3), F(-1), F(0), F(1, 4), F(3)):
        value = want(x) if hasattr(want, "pieces") else want([x])[0]
        assert net([x, x, x]) == (value,) * 3
    affine = (lo is None and hi is None) or (lo is not None and hi is not None and lo >= hi)
    assert net.depth == (0 if affine else 1)             # the identity, or the constant max when min > max


def test_onnx_dropout_flag_and_bool_elsewhere():
    from onnx import helper

    from cpa.io import read_onnx

    nodes = [helper.make_node("Dropout", ["x", "r", "t"], ["y"])]
    net = read_onnx(_graph(nodes, {"r": np.array(0.5, dtype=np.float32), "t": np.array(False)}))
    assert net.depth == 0 and net([1, 2, 3]) == (1, 2, 3)
    with pytest.raises(UnsupportedLayerError, match=r"\(Dropout\) in training mode"):
        read_onnx(_graph(nodes, {"r": np.array(0.5, dtype=np.float32), "t": np.array(True)}))
    with pytest.raises(FormatError, match="bool tensor, expected numbers"):
        read_onnx(_graph([helper.make_node("Add", ["x", "t"], ["y"])], {"t": np.array(True)}))


def test_onnx_batchnorm_on_channels_of_a_3d_input():
    from onnx import TensorProto, helper

    from cpa.io import read_onnx

    onnx = pytest.importorskip("onnx")
    rng = np.random.default_rng(0)
    p = {k: rng.uniform(0.5, 2, size=2).astype(np.float32) for k in ("s", "b", "m", "v")}
    bn = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["n"], epsilon=1e-3)
    flat = helper.make_node("Flatten", ["n"], ["y"])
    graph = helper.make_graph([bn, flat], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 6])],
                              initializer=[onnx.numpy_helper.from_array(v, k) for k, v in p.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    net = read_onnx(model)
    x = [F(i, 3) - 1 for i in range(6)]
    y = net(x)
    for c in range(2):                                # channel c holds entries 3c .. 3c+2 (row-major)
        s = F(float(np.sqrt(np.float32(p["v"][c]) + np.float32(1e-3))))
        scale = F(float(p["s"][c])) / s
        for j in range(3):
            k = 3 * c + j
            assert y[k] == scale * (x[k] - F(float(p["m"][c]))) + F(float(p["b"][c]))


@pytest.mark.slow
def test_dynamo_export_reads_to_float_precision():
    pytest.importorskip("onnxscript")
    from cpa.io import read_onnx

    spec = MIXED_SPECS["mixed"]
    widths = _widths(spec, 4, 5, 2)
    model = _build(spec, widths, 8)
    net = read_onnx(_onnx_model(model, widths[0], dynamo=True))   # dynamo folds BatchNorm in float32 itself
    _check_float(net, model, widths[0], rtol=2e-5)


# --- the command line reads such models through the same entry points ----------------------------

def test_cli_info_and_convert_onnx_with_folded_layers(tmp_path, capsys):
    pytest.importorskip("onnx")
    from cpa.cli import main
    from cpa.io import load_network, read_onnx

    model = _build(MIXED_SPECS["mixed"], _widths(MIXED_SPECS["mixed"], 2, 3, 1), 9)
    proto = _onnx_model(model, 2)
    import onnx

    path = tmp_path / "model.onnx"
    onnx.save(proto, str(path))
    net = read_onnx(path)
    assert load_network(path) == net
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert str(net.num_neurons) in out
    assert main(["convert", str(path), str(tmp_path / "model.json")]) == 0
    assert load_network(tmp_path / "model.json") == net
    assert equivalent(net, _reference(model))


# --- F.dropout inside a traced forward() ---------------------------------------------------------

class _FunctionalDropout(nn.Module):
    def __init__(self, widths, p, variant, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.lins = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.p, self.variant = p, variant

    def forward(self, x):
        for k, lin in enumerate(self.lins):
            x = lin(x)
            if k < len(self.lins) - 1:
                x = torch.relu(x)
                if self.variant == "F.dropout":
                    x = torch.nn.functional.dropout(x, self.p, training=self.training)
                else:
                    x = torch.dropout(x, self.p, self.training)
        return x


@pytest.mark.parametrize("widths,p,variant,seed", [((2, 5, 3), 0.5, "F.dropout", 0),
                                                   ((2, 4, 4, 1), 0.2, "torch.dropout", 1),
                                                   ((3, 6, 2), 0.9, "F.dropout", 2)])
def test_functional_dropout_in_eval_reads_as_the_identity(widths, p, variant, seed):
    from cpa.io import from_torch

    model = _FunctionalDropout(widths, p, variant, seed).eval()
    net = from_torch(model)
    _check_float(net, model, widths[0], rtol=1e-9, seed=seed)
    if widths[0] == 2:        # small: proved equal to the Linear/ReLU chain written by hand
        ref = cpa.ReLUNetwork([([[F(float(w)) for w in row] for row in lin.weight.detach().tolist()],
                                [F(float(c)) for c in lin.bias.detach().tolist()]) for lin in model.lins])
        assert equivalent(net, ref)
    with pytest.raises(UnsupportedLayerError, match="dropout.*evaluation mode"):
        from_torch(model.train())
