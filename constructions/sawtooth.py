"""Telgarsky's sawtooth: the k-fold tent map as a ReLU network.

The tent map ``m(x) = 2x`` on ``[0, 1/2]``, ``2(1 - x)`` on ``(1/2, 1]`` is
``m(x) = 2 relu(x) - 4 relu(x - 1/2)`` on ``[0, 1]``.  Its k-fold
composition ``m^k`` is a sawtooth with ``2^(k-1)`` teeth and ``2^k`` affine
pieces on ``[0, 1]`` (breakpoints ``i / 2^k``).

References
----------
M. Telgarsky, *Representation benefits of deep feedforward networks*,
arXiv:1509.08101, 2015; *Benefits of depth in neural networks*, COLT 2016.
"""

from __future__ import annotations

from fractions import Fraction

from cpa.network import ReLUNetwork

__all__ = ["sawtooth"]


def sawtooth(k: int) -> ReLUNetwork:
    """The compact sawtooth network: ``k`` hidden layers of width 2 computing ``m^k``.

    Layer 1: ``W = [[1], [1]]``, ``b = [0, -1/2]``; layer j >= 2:
    ``W = [[2, -4], [2, -4]]``, ``b = [0, -1/2]``; output ``[2, -4]``.  No outer
    ReLU is needed between copies because ``m`` maps ``[0, 1]`` onto ``[0, 1]``.

    Pieces on ``[0, 1]``: ``2^k``; on R: 3 for k = 1 and ``2^k + 2`` for k >= 2
    (THEORY.md section 2.1).
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"sawtooth: k must be a positive integer, got {k!r}")
    half = Fraction(1, 2)
    layers = [([[1], [1]], [0, -half])]
    for _ in range(k - 1):
        layers.append(([[2, -4], [2, -4]], [0, -half]))
    layers.append(([[2, -4]], [0]))
    return ReLUNetwork(layers)
