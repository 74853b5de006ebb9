"""Each shrinking pass alone: exact width after the pass, and the function unchanged (proved)."""

from __future__ import annotations

from fractions import Fraction

import cpa
from cpa.compiler.passes import fuse_linear_layers, merge_proportional_neurons, remove_dead_neurons, shrink
from verify import equivalent


def _run(pass_, net):
    layers = list(net.affine_layers)
    changed = pass_(layers)
    return changed, cpa.ReLUNetwork(layers)


def test_remove_dead_neurons():
    # layer 2: a neuron with all weights and bias <= 0 (dead: its input is >= 0), a constant
    # neuron relu(3) (zero input weights), a neuron with no outgoing weight, and a live one
    net = cpa.ReLUNetwork([
        ([[1, 0], [0, 1]], [0, 0]),
        ([[-1, -2], [0, 0], [1, 1], [1, -1]], [0, 3, 0, 0]),
        ([[5, 2, 0, 1]], [0]),
    ])
    changed, out = _run(remove_dead_neurons, net)
    assert changed and out.widths == (2, 1)
    assert out.layers[-1][1] == (Fraction(6),)        # relu(3) * 2 moved into the bias
    assert equivalent(net, out)
    assert not remove_dead_neurons(list(out.affine_layers))


def test_merge_proportional_neurons():
    # relu(2x - y + 1) = 2 relu(x - y/2 + 1/2): merged; relu(-(x - y/2 + 1/2)) is not (negative c)
    net = cpa.ReLUNetwork([([[1, "-1/2"], [2, -1], [-1, "1/2"]], ["1/2", 1, "-1/2"]), ([[1, 3, 1]], [0])])
    changed, out = _run(merge_proportional_neurons, net)
    assert changed and out.widths == (2,)
    assert out.layers[-1][0][0][0] == 7                # 1 + 3 * 2
    assert equivalent(net, out)


def test_fuse_linear_layers():
    # relu(z) - relu(-z) = z with z = x - 2y: the hidden layer is linear and is fused away
    net = cpa.ReLUNetwork([([[1, -2], [-1, 2]], [0, 0]), ([[3, -3]], [1])])
    changed, out = _run(fuse_linear_layers, net)
    assert changed and out.depth == 0
    assert out.layers == ((((Fraction(3), Fraction(-6)),), (Fraction(1),)),)
    assert equivalent(net, out)


def test_shrink_reaches_a_fixed_point():
    spec = cpa.parse("Max(x, y, 0, 2*x - y) - Abs(x - 1/2) + Min(Abs(y), 3)", "x,y")
    a = cpa.compile(spec, simplify=False)
    b = shrink(a)
    assert b.num_neurons < a.num_neurons
    assert equivalent(a, b)
    assert shrink(b) == b
