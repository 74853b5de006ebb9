"""Small exact ReLU gadgets, each stating the identity it implements.

=======================  ==========================================================  ==============
gadget                   identity                                                    neurons
=======================  ==========================================================  ==============
``relu_identity(d)``     ``x = relu(x) - relu(-x)`` per coordinate                   2d
``abs_1d``               ``|x| = relu(x) + relu(-x)``                                2
``max2``                 ``max(u, v) = relu(u - v) + relu(v) - relu(-v)``            3
``min2``                 ``min(u, v) = relu(v) - relu(-v) - relu(v - u)``            3
``max_of(M)``            balanced tree of ``max2``, ``ceil(log2 M)`` hidden layers   see below
``min_of(M)``            ``min(x) = -max(-x)``                                       as max
``hat_1d(a, b, c)``      nodal hat with nodes ``a < b < c``                          3
``soft_threshold(lam)``  ``S_lam(x) = relu(x - lam) - relu(-x - lam)``, lam >= 0     2
``clipped_ramp``         ``clip(x, 0, 1) = relu(x) - relu(x - 1)``                   2
=======================  ==========================================================  ==============

This module is the one definition of each gadget; :mod:`constructions` re-exports
them under its own names (``identity_net``, ``abs_net``, ``max_tree``, ...).  A bad
argument raises :class:`~cpa.errors.ArgumentTypeError` (not an integer) or
:class:`~cpa.errors.ArgumentError` (``d < 1``, ``M < 1``, nodes not increasing,
``lam < 0``), a number that is not an exact rational
:class:`~cpa.errors.InvalidNumberError`.

The max tree is the depth half of Arora et al.'s Theorem 2.1 (every CPA function
``R^n -> R`` has a network with at most ``ceil(log2(n+1))`` hidden layers): level 1
pairs the M inputs with 3 neurons per pair and passes an odd one through with
``relu(a), relu(-a)``; level widths are ``3 floor(k/2) + 2 (k mod 2)`` for ``k``
values entering the level, and the linear output of one level is fused into the
next level's weights.  For M = 2..9 that is 3, 8, 9, 16, 17, 20, 21, 30 neurons
(the widths are derived here, not taken from the paper).

References
----------
R. Arora, A. Basu, P. Mianjy, A. Mukherjee, *Understanding deep neural networks
with rectified linear units*, ICLR 2018 (arXiv:1611.01491), Theorem 2.1.
J. He, L. Li, J. Xu, C. Zheng, *ReLU deep neural networks and linear finite
elements*, J. Comput. Math. 38(3) (2020) 502-527 (arXiv:1807.03973): the 1-D hat.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Any

from .errors import ArgumentError, ArgumentTypeError
from .network import Layer, ReLUNetwork
from .numbers import ONE, ZERO, abbreviate, to_rational
from .sparse import SparseMatrix

__all__ = [
    "relu_identity",
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

def _net(*layers: tuple[list[list[Any]], list[Any]]) -> ReLUNetwork:
    return ReLUNetwork(list(layers))


def relu_identity(d: int = 1) -> ReLUNetwork:
    """The identity on ``R^d`` through one hidden layer: ``x_i = relu(x_i) - relu(-x_i)`` (2d neurons).

    Neurons ``i`` and ``d + i`` are ``relu(x_i)`` and ``relu(-x_i)``.

    Parameters
    ----------
    d
        The dimension, an integer >= 1.

    Returns
    -------
    ReLUNetwork
        A network ``R^d -> R^d`` with one hidden layer of ``2d`` neurons.

    Raises
    ------
    ArgumentTypeError, ArgumentError
        If ``d`` is not an integer, or ``d < 1``.

    Examples
    --------
    >>> relu_identity(2)([-3, "1/2"])
    (Fraction(-3, 1), Fraction(1, 2))
    """
    d = _positive_int(d, "relu_identity: the dimension d")
    first = SparseMatrix((2 * d, d), [((i, ONE),) for i in range(d)] + [((i, -ONE),) for i in range(d)])
    second = SparseMatrix((d, 2 * d), [((i, ONE), (i + d, -ONE)) for i in range(d)])
    return ReLUNetwork([Layer(first, (ZERO,) * (2 * d)), Layer(second, (ZERO,) * d)])


def abs_1d() -> ReLUNetwork:
    """``|x| = relu(x) + relu(-x)`` (2 neurons)."""
    return _net(([[1], [-1]], [0, 0]), ([[1, 1]], [0]))


def max2() -> ReLUNetwork:
    """``max(u, v) = relu(u - v) + relu(v) - relu(-v)`` (3 neurons, one hidden layer)."""
    return _net(([[1, -1], [0, 1], [0, -1]], [0, 0, 0]), ([[1, 1, -1]], [0]))


def min2() -> ReLUNetwork:
    """``min(u, v) = relu(v) - relu(-v) - relu(v - u)`` (3 neurons, one hidden layer)."""
    return _net(([[-1, 1], [0, 1], [0, -1]], [0, 0, 0]), ([[-1, 1, -1]], [0]))


def _positive_int(n: Any, name: str) -> int:
    """``n`` as an int >= 1, or ArgumentTypeError / ArgumentError naming it."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be an integer, got {abbreviate(repr(n))} ({type(n).__name__})")
    if n < 1:
        raise ArgumentError(f"{name} must be >= 1, got {abbreviate(n)}")
    return int(n)


def _count(M: Any) -> int:
    return _positive_int(M, "max of M numbers: M")


def max_tree_widths(M: int) -> list[int]:
    """Hidden widths of :func:`max_of`: ``[3 floor(k/2) + 2 (k mod 2)]`` per level, k halving up.

    Parameters
    ----------
    M
        The number of inputs, an integer >= 1.

    Returns
    -------
    list of int
        One width per hidden layer of ``max_of(M)``; empty for ``M = 1``.

    Raises
    ------
    ArgumentTypeError, ArgumentError
        If ``M`` is not an integer, or ``M < 1``.
    """
    widths, k = [], _count(M)
    while k > 1:
        widths.append(3 * (k // 2) + 2 * (k % 2))
        k = (k + 1) // 2
    return widths


def max_of(M: int) -> ReLUNetwork:
    """``x in R^M -> max_i x_i`` by a balanced tree of :func:`max2` gadgets.

    Depth ``ceil(log2 M)`` (Arora et al. 2018, Theorem 2.1); widths
    :func:`max_tree_widths`: for M = 2..9 [3], [5,3], [6,3], [8,5,3], [9,5,3],
    [11,6,3], [12,6,3], [14,8,5,3], that is 3, 8, 9, 16, 17, 20, 21, 30 neurons.
    ``M = 1`` is the depth-0 identity.

    Parameters
    ----------
    M
        The number of inputs, an integer >= 1.

    Returns
    -------
    ReLUNetwork
        A network ``R^M -> R`` computing ``max_i x_i``.

    Raises
    ------
    ArgumentTypeError, ArgumentError
        If ``M`` is not an integer, or ``M < 1``.
    """
    M = _count(M)
    # values: each a sparse row (tuple of (j, coef)) over the current layer's outputs
    values: list[tuple[tuple[int, Fraction], ...]] = [((i, ONE),) for i in range(M)]
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
            new_values.append(((k, ONE), (k + 1, ONE), (k + 2, -ONE)))
        if len(values) % 2:
            a = values[-1]
            k = len(rows)
            rows.append(a)
            rows.append(tuple((j, -c) for j, c in a))
            new_values.append(((k, ONE), (k + 1, -ONE)))
        layers.append(Layer(SparseMatrix((len(rows), ncols), rows), (ZERO,) * len(rows)))
        ncols = len(rows)
        values = new_values
    layers.append(Layer(SparseMatrix((1, ncols), [values[0]]), (ZERO,)))
    return ReLUNetwork(layers)


def _row_sub(u: tuple[tuple[int, Fraction], ...], v: tuple[tuple[int, Fraction], ...]) -> tuple[tuple[int, Fraction], ...]:
    acc = dict(u)
    for j, c in v:
        acc[j] = acc.get(j, ZERO) - c
    return tuple(sorted((j, c) for j, c in acc.items() if c))


def min_of(M: int) -> ReLUNetwork:
    """``x in R^M -> min_i x_i = -max_i(-x_i)``; same size as :func:`max_of`.

    Parameters
    ----------
    M
        The number of inputs, an integer >= 1.

    Returns
    -------
    ReLUNetwork
        A network ``R^M -> R`` computing ``min_i x_i``.

    Raises
    ------
    ArgumentTypeError, ArgumentError
        If ``M`` is not an integer, or ``M < 1``.
    """
    net = max_of(M)
    ls = list(net.affine_layers)
    ls[0] = Layer(-ls[0].W, ls[0].b) if len(ls) > 1 else ls[0]
    if len(ls) == 1:
        return net
    ls[-1] = Layer(-ls[-1].W, tuple(-v for v in ls[-1].b))
    return ReLUNetwork(ls)


def hat_1d(a: Any, b: Any, c: Any) -> ReLUNetwork:
    r"""The 1-D nodal hat with nodes ``a < b < c``: 1 at ``b``, 0 outside ``(a, c)``, 3 neurons.

    Parameters
    ----------
    a, b, c
        The nodes, read exactly.

    Returns
    -------
    ReLUNetwork
        A network ``R -> R`` with one hidden layer of 3 neurons.

    Notes
    -----
    :math:`\varphi(x) = \frac{\mathrm{relu}(x-a)}{b-a}
    - \big(\frac{1}{b-a} + \frac{1}{c-b}\big)\mathrm{relu}(x-b)
    + \frac{\mathrm{relu}(x-c)}{c-b}`: one hidden layer suffices in 1-D
    (He, Li, Xu, Zheng, J. Comput. Math. 2020).

    Raises
    ------
    ArgumentError
        Unless ``a < b < c``.

    Examples
    --------
    >>> hat_1d(0, Fraction(1, 2), 2)([Fraction(5, 4)])
    (Fraction(1, 2),)
    """
    a, b, c = (to_rational(t, n) for t, n in ((a, "a"), (b, "b"), (c, "c")))
    if not a < b < c:
        raise ArgumentError(f"hat_1d needs nodes a < b < c, got a = {abbreviate(a)}, b = {abbreviate(b)}, "
                            f"c = {abbreviate(c)}")
    return _net(([[1], [1], [1]], [-a, -b, -c]),
                ([[1 / (b - a), -(1 / (b - a) + 1 / (c - b)), 1 / (c - b)]], [0]))


def soft_threshold(lam: Any) -> ReLUNetwork:
    """Soft thresholding ``S_lam(x) = sign(x) max(|x| - lam, 0) = relu(x - lam) - relu(-x - lam)`` (2 neurons).

    Parameters
    ----------
    lam
        The threshold, read exactly, >= 0.

    Returns
    -------
    ReLUNetwork
        A network ``R -> R`` with one hidden layer of 2 neurons.

    Raises
    ------
    ArgumentError
        If ``lam < 0`` (the right-hand side is then not soft thresholding).
    InvalidNumberError
        If ``lam`` is not an exact-readable number.
    """
    q = to_rational(lam, "lam")
    if q < 0:
        raise ArgumentError(f"soft_threshold needs lam >= 0, got {abbreviate(q)}")
    return _net(([[1], [-1]], [-q, -q]), ([[1, -1]], [0]))


def clipped_ramp() -> ReLUNetwork:
    """``clip(x, 0, 1) = min(max(x, 0), 1) = relu(x) - relu(x - 1)`` (2 neurons)."""
    return _net(([[1], [1]], [0, -1]), ([[1, -1]], [0]))
