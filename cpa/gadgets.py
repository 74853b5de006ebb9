"""Small exact ReLU gadgets, each stating the identity it implements.

=====================  ==========================================================  =========
gadget                 identity                                                    neurons
=====================  ==========================================================  =========
``identity_1d``        ``x = relu(x) - relu(-x)``                                  2
``abs_1d``             ``|x| = relu(x) + relu(-x)``                                2
``max2``               ``max(u, v) = relu(u - v) + relu(v) - relu(-v)``            3
``min2``               ``min(u, v) = relu(v) - relu(-v) - relu(v - u)``            3
``max_of(M)``          balanced tree of ``max2``, ``ceil(log2 M)`` hidden layers   THEORY 7.2
``min_of(M)``          ``min(x) = -max(-x)``                                       as max
``hat_1d(a, b, c)``    nodal hat with nodes ``a < b < c``                          3
``soft_threshold(l)``  ``S_l(x) = relu(x - l) - relu(-x - l)``                     2
``clipped_ramp``       ``clip(x, 0, 1) = relu(x) - relu(x - 1)``                   2
=====================  ==========================================================  =========

The max tree (THEORY.md 7.2): level 1 pairs the M inputs with 3 neurons per
pair and passes an odd one through with ``relu(a), relu(-a)``; level widths are
``3 floor(k/2) + 2 (k mod 2)`` for ``k`` values entering the level, and the
linear output of one level is fused into the next level's weights.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Any

from .errors import ArgumentError, ArgumentTypeError
from .network import Layer, ReLUNetwork
from .numbers import to_rational
from .sparse import SparseMatrix

__all__ = [
    "identity_1d",
    "abs_1d",
    "max2",
    "min2",
    "max_of",
    "min_of",
    "max_tree_widths",
    "hat_1d",
    "soft_threshold",
    "clipped_ramp",
]

_ZERO = Fraction(0)
_ONE = Fraction(1)


def _net(*layers: tuple[list[list[Any]], list[Any]]) -> ReLUNetwork:
    return ReLUNetwork(list(layers))


def identity_1d() -> ReLUNetwork:
    """``x = relu(x) - relu(-x)`` (2 neurons)."""
    return _net(([[1], [-1]], [0, 0]), ([[1, -1]], [0]))


def abs_1d() -> ReLUNetwork:
    """``|x| = relu(x) + relu(-x)`` (2 neurons)."""
    return _net(([[1], [-1]], [0, 0]), ([[1, 1]], [0]))


def max2() -> ReLUNetwork:
    """``max(u, v) = relu(u - v) + relu(v) - relu(-v)`` (3 neurons, one hidden layer)."""
    return _net(([[1, -1], [0, 1], [0, -1]], [0, 0, 0]), ([[1, 1, -1]], [0]))


def min2() -> ReLUNetwork:
    """``min(u, v) = relu(v) - relu(-v) - relu(v - u)`` (3 neurons, one hidden layer)."""
    return _net(([[-1, 1], [0, 1], [0, -1]], [0, 0, 0]), ([[-1, 1, -1]], [0]))


def _count(M: Any) -> int:
    """``M`` as an int >= 1, or ArgumentTypeError / ArgumentError naming ``M``."""
    if isinstance(M, bool) or not isinstance(M, numbers.Integral):
        raise ArgumentTypeError(f"max of M numbers: M must be an integer, got {M!r} ({type(M).__name__})")
    if M < 1:
        raise ArgumentError(f"max of M numbers needs M >= 1, got M = {M}")
    return int(M)


def max_tree_widths(M: int) -> list[int]:
    """Hidden widths of :func:`max_of`: ``[3 floor(k/2) + 2 (k mod 2)]`` per level, k halving up."""
    widths, k = [], _count(M)
    while k > 1:
        widths.append(3 * (k // 2) + 2 * (k % 2))
        k = (k + 1) // 2
    return widths


def max_of(M: int) -> ReLUNetwork:
    """``x in R^M -> max_i x_i`` by a balanced tree of :func:`max2` gadgets.

    Depth ``ceil(log2 M)``; widths :func:`max_tree_widths` (THEORY.md 7.2:
    M = 2..9 give 3, 8, 9, 16, 17, 20, 21, 30 neurons).  ``M = 1`` is the
    depth-0 identity.
    """
    M = _count(M)
    # values: each a sparse row (tuple of (j, coef)) over the current layer's outputs
    values: list[tuple[tuple[int, Fraction], ...]] = [((i, _ONE),) for i in range(M)]
    ncols = M
    layers: list[Layer] = []
    while len(values) > 1:
        rows: list[tuple[tuple[int, Fraction], ...]] = []
        new_values: list[tuple[tuple[int, Fraction], ...]] = []
        for p in range(0, len(values) - 1, 2):
            u, v = values[p], values[p + 1]
            k = len(rows)
            rows.append(_row_sub(u, v))
            rows.append(v)
            rows.append(tuple((j, -c) for j, c in v))
            new_values.append(((k, _ONE), (k + 1, _ONE), (k + 2, -_ONE)))
        if len(values) % 2:
            a = values[-1]
            k = len(rows)
            rows.append(a)
            rows.append(tuple((j, -c) for j, c in a))
            new_values.append(((k, _ONE), (k + 1, -_ONE)))
        layers.append(Layer(SparseMatrix((len(rows), ncols), rows), (_ZERO,) * len(rows)))
        ncols = len(rows)
        values = new_values
    layers.append(Layer(SparseMatrix((1, ncols), [values[0]]), (_ZERO,)))
    return ReLUNetwork(layers)


def _row_sub(u: tuple[tuple[int, Fraction], ...], v: tuple[tuple[int, Fraction], ...]) -> tuple[tuple[int, Fraction], ...]:
    acc = dict(u)
    for j, c in v:
        acc[j] = acc.get(j, _ZERO) - c
    return tuple(sorted((j, c) for j, c in acc.items() if c))


def min_of(M: int) -> ReLUNetwork:
    """``x in R^M -> min_i x_i = -max_i(-x_i)``; same size as :func:`max_of`."""
    net = max_of(M)
    ls = list(net.affine_layers)
    ls[0] = Layer(-ls[0].W, ls[0].b) if len(ls) > 1 else ls[0]
    if len(ls) == 1:
        return net
    ls[-1] = Layer(-ls[-1].W, tuple(-v for v in ls[-1].b))
    return ReLUNetwork(ls)


def hat_1d(a: Any, b: Any, c: Any) -> ReLUNetwork:
    """Nodal hat with nodes ``a < b < c`` (value 1 at b, 0 outside (a, c)), 3 neurons.

    ``phi(x) = relu(x-a)/(b-a) - (1/(b-a) + 1/(c-b)) relu(x-b) + relu(x-c)/(c-b)``
    (THEORY.md 7.3).
    """
    a, b, c = (to_rational(t, n) for t, n in ((a, "a"), (b, "b"), (c, "c")))
    if not a < b < c:
        raise ArgumentError(f"hat_1d needs nodes a < b < c, got a = {a}, b = {b}, c = {c}")
    return _net(([[1], [1], [1]], [-a, -b, -c]),
                ([[1 / (b - a), -(1 / (b - a) + 1 / (c - b)), 1 / (c - b)]], [0]))


def soft_threshold(lam: Any) -> ReLUNetwork:
    """``S_lam(x) = relu(x - lam) - relu(-x - lam)`` (2 neurons)."""
    q = to_rational(lam, "lambda")
    return _net(([[1], [-1]], [-q, -q]), ([[1, -1]], [0]))


def clipped_ramp() -> ReLUNetwork:
    """``clip(x, 0, 1) = relu(x) - relu(x - 1)`` (2 neurons)."""
    return _net(([[1], [1]], [0, -1]), ([[1, -1]], [0]))
