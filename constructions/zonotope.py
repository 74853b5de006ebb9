r"""Arora et al.'s zonotope family ``ZONOTOPE^n_{k,w,m}``: many pieces from little size.

Arora, Basu, Mianjy, Mukherjee (ICLR 2018), Lemma 3.7 and Theorem 3.9:

* one hidden layer of ``2m`` units computes the support function of the
  zonotope with generators ``b_1..b_m``,
  :math:`\gamma_Z(x) = \sum_{i=1}^m |\langle b_i, x\rangle|`
  (``|t| = relu(t) + relu(-t)``); it is linear on each of the
  :math:`2\sum_{i=0}^{n-1}\binom{m-1}{i}` cones of the central arrangement
  :math:`\langle b_i, x\rangle = 0` (generic ``b_i``: moment curve
  ``(1, i, i^2, ...)``, any ``n`` of them independent);
* ``k`` further hidden layers of width ``w`` each apply a ``w``-piece zigzag
  :math:`Z` on ``[0, inf)``: units ``relu(y - j/w)``, ``j = 0..w-1``,
  slopes ``+-w`` alternating, values 0 and 1 at the grid ``j/w``, starting at
  ``Z(0) = 0`` (``w`` odd) or ``1`` (``w`` even) so the last piece rises to
  infinity.  Every piece of ``Z`` maps onto ``[0, 1]`` or ``[0, inf)``, which
  contain all breakpoints, so :math:`Z^{k}` has ``w^k`` pieces on
  ``[0, inf)``, all with nonzero slope.

On each cone ``C``, ``f = Z^k(l_C(x))`` with ``l_C`` linear and positive, so the
cone splits into ``w^k`` slabs; adjacent cones have different gradients.  Hence

.. math:: \#\text{pieces}(f) = 2 \sum_{i=0}^{n-1} \binom{m-1}{i}\; w^k

on ``R^n`` (:func:`cpa.bounds.arora_zonotope_pieces`), with ``k + 1`` hidden
layers and size ``2m + wk``.  Activation regions are the same sets.

References
----------
R. Arora, A. Basu, P. Mianjy, A. Mukherjee, *Understanding deep neural networks
with rectified linear units*, ICLR 2018, Lemma 3.7, Prop. 3.8, Theorem 3.9.
(The factor 2 follows Serra et al.'s quotation of the theorem, ICML 2018; it is the
vertex count of a generic zonotope, and the exact counts of this construction have it.)
"""

from __future__ import annotations

from fractions import Fraction

from cpa.bounds import arora_zonotope_pieces
from cpa.network import ReLUNetwork

__all__ = ["arora_zonotope"]


def arora_zonotope(n: int, k: int, w: int, m: int) -> ReLUNetwork:
    """``Z_w^k o gamma_Z`` on ``R^n``: ``2 sum_{i<n} C(m-1, i) w^k`` affine pieces.

    Parameters
    ----------
    n
        Input dimension.
    k
        Number of zigzag layers (``k + 1`` hidden layers in all).
    w
        Width of each zigzag layer (pieces per zigzag), ``>= 1``.
    m
        Number of zonotope generators (``2m`` units in the first layer).

    Raises
    ------
    SpecError
        If ``n, m, w < 1`` or ``k < 0``.

    Examples
    --------
    >>> arora_zonotope(2, 1, 2, 3).widths
    (6, 2)
    """
    arora_zonotope_pieces(n, k, w, m)  # validates
    gens = [[Fraction(i) ** e for e in range(n)] for i in range(1, m + 1)]
    layers = [([g for g in gens] + [[-v for v in g] for g in gens], [Fraction(0)] * (2 * m))]
    row = [Fraction(1)] * (2 * m)  # gamma = sum of the 2m units
    const = Fraction(0)
    start = Fraction(w % 2 == 0)
    for _ in range(k):
        layers.append(([list(row) for _ in range(w)], [const - Fraction(j, w) for j in range(w)]))
        first = w if start == 0 else -w
        slopes = [Fraction(first * (-1) ** j) for j in range(w)]
        row = [slopes[0]] + [slopes[j] - slopes[j - 1] for j in range(1, w)]
        const = start
    layers.append(([row], [const]))
    return ReLUNetwork(layers)
