"""Telgarsky's sawtooth: the k-fold tent map as a ReLU network.

The tent map ``m(x) = 2x`` on ``[0, 1/2]``, ``2(1 - x)`` on ``(1/2, 1]`` and
``0`` elsewhere is ``m(x) = relu(2 relu(x) - 4 relu(x - 1/2))``; on ``[0, 1]``
the outer ReLU is not needed.  Its k-fold composition ``m^k`` is a sawtooth
with ``2^(k-1)`` teeth and ``2^k`` affine pieces on ``[0, 1]`` (breakpoints
``i / 2^k``; value 0 at even and 1 at odd multiples of ``2^-k``).

Two networks (both checked exactly for k = 1..6 in the tests):

* :func:`sawtooth` -- compact form, ``k`` hidden layers of width 2;
* :func:`sawtooth_telgarsky` -- Telgarsky's ``N(relu; 2, 2k)`` form, ``2k``
  hidden layers of widths ``2, 1, 2, 1, ...``; :func:`tent_map` is ``k = 1``.

References
----------
M. Telgarsky, *Representation benefits of deep feedforward networks*,
arXiv:1509.08101, 2015; *Benefits of depth in neural networks*, COLT 2016.
"""

from __future__ import annotations

from fractions import Fraction

from cpa.errors import SpecError
from cpa.network import ReLUNetwork

__all__ = ["sawtooth", "sawtooth_telgarsky", "tent_map"]

_HALF = Fraction(1, 2)


def sawtooth(k: int) -> ReLUNetwork:
    """The compact sawtooth network: ``k`` hidden layers of width 2 computing ``m^k`` on ``[0, 1]``.

    Layer 1: ``W = [[1], [1]]``, ``b = [0, -1/2]``; layer j >= 2:
    ``W = [[2, -4], [2, -4]]``, ``b = [0, -1/2]``; output ``[2, -4]``.  No outer
    ReLU is needed between copies because ``m`` maps ``[0, 1]`` onto ``[0, 1]``.

    Pieces on ``[0, 1]``: ``2^k``; on R: 3 for k = 1 and ``2^k + 2`` for k >= 2
    (for k = 1 the last piece continues past 1; for k >= 2 the output is 0 beyond
    1).  Realises Telgarsky's depth-separation function (arXiv:1509.08101, 2015,
    Theorem 1.1).

    Examples
    --------
    >>> sawtooth(3)([Fraction(1, 8)])
    (Fraction(1, 1),)
    """
    _check_k(k, "sawtooth")
    layers = [([[1], [1]], [0, -_HALF])]
    for _ in range(k - 1):
        layers.append(([[2, -4], [2, -4]], [0, -_HALF]))
    layers.append(([[2, -4]], [0]))
    return ReLUNetwork(layers)


def sawtooth_telgarsky(k: int) -> ReLUNetwork:
    """``m^k`` in Telgarsky's class ``N(relu; 2, 2k)``: ``2k`` hidden layers of widths ``2, 1, 2, 1, ...``.

    Each tent is ``relu(2 relu(y) - 4 relu(y - 1/2))``: a width-2 layer
    (``W = [[1], [1]]``, ``b = [0, -1/2]``) then a width-1 layer (``[2, -4]``);
    the output layer is the identity on the last unit.  Equal to ``m^k`` on all
    of R (0 outside ``[0, 1]``).  Pieces: ``2^k`` on ``[0, 1]``; on R 4 for
    k = 1 and ``2^k + 2`` for k >= 2 (the constant 0 on each side).

    References
    ----------
    Telgarsky, *Representation benefits of deep feedforward networks*,
    arXiv:1509.08101, 2015, Theorem 1.1 (the deep network ``f = m^k``).
    """
    _check_k(k, "sawtooth_telgarsky")
    layers = []
    for _ in range(k):
        layers.append(([[1], [1]], [0, -_HALF]))
        layers.append(([[2, -4]], [0]))
    layers.append(([[1]], [0]))
    return ReLUNetwork(layers)


def tent_map() -> ReLUNetwork:
    """The tent (mirror) map ``m(x) = relu(2 relu(x) - 4 relu(x - 1/2))`` (widths 2, 1).

    ``m = 2x`` on ``[0, 1/2]``, ``2(1 - x)`` on ``[1/2, 1]``, 0 elsewhere; 4
    affine pieces on R.  Same as ``sawtooth_telgarsky(1)``.
    """
    return sawtooth_telgarsky(1)


def _check_k(k: object, name: str) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise SpecError(f"{name}: k must be a positive integer, got {k!r}")
