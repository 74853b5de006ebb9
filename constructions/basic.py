r"""Basic gadgets as networks, each with the identity it realises (THEORY.md 7.1-7.3).

=========================  ===================================================  =======
network                    identity                                             neurons
=========================  ===================================================  =======
:func:`identity_net` (d)   ``x = relu(x) - relu(-x)`` per coordinate             2d
:func:`abs_net`            ``|x| = relu(x) + relu(-x)``                          2
:func:`soft_threshold`     ``S_lam(x) = relu(x - lam) - relu(-x - lam)``         2
:func:`clipped_ramp`       ``clip(x, 0, 1) = relu(x) - relu(x - 1)``             2
:func:`max_tree` (M)       ``max(x_1..x_M)``, balanced tree of 3-neuron max2     THEORY 7.2
=========================  ===================================================  =======

The max tree is the depth part of Arora et al.'s Theorem 2.1 (every CPA
``R^n -> R`` needs at most ``ceil(log2(n+1))`` hidden layers): with
``max(u, v) = relu(u - v) + relu(v) - relu(-v)`` it has ``ceil(log2 M)``
hidden layers and level widths ``3 floor(k/2) + 2 (k mod 2)``.

References
----------
R. Arora, A. Basu, P. Mianjy, A. Mukherjee, *Understanding deep neural networks
with rectified linear units*, ICLR 2018, Theorem 2.1.
"""

from __future__ import annotations

from typing import Any

from cpa.errors import SpecError
from cpa.gadgets import max_of
from cpa.network import ReLUNetwork
from cpa.numbers import to_rational

__all__ = ["identity_net", "abs_net", "soft_threshold", "clipped_ramp", "max_tree"]


def identity_net(d: int = 1) -> ReLUNetwork:
    """The identity on ``R^d`` through one hidden layer: ``x_i = relu(x_i) - relu(-x_i)`` (2d neurons).

    Examples
    --------
    >>> identity_net(2)([-3, "1/2"])
    (Fraction(-3, 1), Fraction(1, 2))
    """
    if not isinstance(d, int) or isinstance(d, bool) or d < 1:
        raise SpecError(f"identity_net: d must be a positive integer, got {d!r}")
    W1 = [[1 if j == i else 0 for j in range(d)] for i in range(d)] + \
         [[-1 if j == i else 0 for j in range(d)] for i in range(d)]
    W2 = [[1 if j == i else (-1 if j == i + d else 0) for j in range(2 * d)] for i in range(d)]
    return ReLUNetwork([(W1, [0] * (2 * d)), (W2, [0] * d)])


def abs_net() -> ReLUNetwork:
    """``|x| = relu(x) + relu(-x)`` (2 neurons, one hidden layer)."""
    return ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])


def soft_threshold(lam: Any) -> ReLUNetwork:
    """Soft thresholding ``S_lam(x) = sign(x) max(|x| - lam, 0) = relu(x - lam) - relu(-x - lam)``.

    Two neurons (THEORY.md 7.3); ``lam >= 0``.

    Raises
    ------
    SpecError
        If ``lam < 0``.
    """
    lam = to_rational(lam, "lam")
    if lam < 0:
        raise SpecError(f"soft_threshold needs lam >= 0, got {lam}")
    return ReLUNetwork([([[1], [-1]], [-lam, -lam]), ([[1, -1]], [0])])


def clipped_ramp() -> ReLUNetwork:
    """``clip(x, 0, 1) = min(max(x, 0), 1) = relu(x) - relu(x - 1)`` (2 neurons)."""
    return ReLUNetwork([([[1], [1]], [0, -1]), ([[1, -1]], [0])])


def max_tree(M: int) -> ReLUNetwork:
    """``x in R^M -> max_i x_i`` by a balanced tree of 3-neuron max gadgets (:func:`cpa.gadgets.max_of`).

    ``ceil(log2 M)`` hidden layers; widths for M = 2..9: [3], [5,3], [6,3],
    [8,5,3], [9,5,3], [11,6,3], [12,6,3], [14,8,5,3] (THEORY.md 7.2).  ``M = 1``
    is the depth-0 identity.

    Raises
    ------
    SpecError
        If ``M < 1``.
    """
    if not isinstance(M, int) or isinstance(M, bool) or M < 1:
        raise SpecError(f"max_tree: M must be a positive integer, got {M!r}")
    return max_of(M)
