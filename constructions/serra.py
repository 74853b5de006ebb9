r"""Serra et al.'s univariate maximum: a zigzag network with :math:`\prod_l (n_l + 1)` regions on R.

Serra, Tjandraatmadja and Ramalingam (2018), Theorem 5: for one input and
hidden widths ``n_l >= 3`` the maximal number of regions is exactly
:math:`\prod_{l=1}^{L} (n_l + 1)`.  This module builds a network attaining it on
all of R, with as many affine pieces (the weights are our own, derived for
(1; 3, 3) and generalised to any ``n_l >= 3``, not those of the paper's
Appendix E).

**Zigzag layer of width n** (every hidden layer but the last).  Thresholds
``t_1 = 1/(2n)`` and ``t_k = (k-1)/n`` for ``k = 2..n``; the units are
``relu(y - t_k)`` except the third, ``relu(t_3 - y)``.  The combination

.. math:: g(y) = c + \sum_k w_k\, \mathrm{relu}(\pm (y - t_k))

takes the values ``0, 1, 0, 1, ...`` at ``0, t_1, ..., t_n, 1``, so each of
its ``n + 1`` pieces maps onto a set containing ``[0, 1]`` (the two outer
pieces continue to infinity).  There is no linear term, so the leftmost slope
``1/t_1 = 2n`` must come from the one left-facing unit: its slope jump is
``-(1/l_2 + 1/l_3) = -2n`` with ``l_2 = l_3 = 1/n`` -- this is where
``n >= 3`` is needed.  For ``n = 3``: ``g = 4 - 12 relu(y - 1/6) + 9 relu(y -
1/3) - 6 relu(2/3 - y)``.

**Last hidden layer of width n**: thresholds ``k/(n+1)``, units
``relu(g - k/(n+1))`` except the last, ``relu(n/(n+1) - g)``; output weights
``1, -3, 5, -7, ...`` (``(-1)^(k+1) (2k-1)``) and ``2`` for the last unit, so
every slope jump, the slope near ``g = 0`` and the slope near ``g = 1`` are
nonzero.  For (1; 3, 3) the output weights are ``[1, -3, 2]``.

Each zigzag layer maps every region of the earlier layers onto a set
containing ``[0, 1]``, where the next layer's ``n_{l+1}`` thresholds lie, so
regions multiply by ``n_{l+1} + 1``; every region boundary is a slope change
of the output, so pieces = regions.

References
----------
T. Serra, C. Tjandraatmadja, S. Ramalingam, *Bounding and counting linear
regions of deep neural networks*, ICML 2018, Theorem 5.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from cpa.bounds import serra2018_1d_max
from cpa.network import ReLUNetwork

__all__ = ["serra_zigzag", "zigzag_layer"]


def zigzag_layer(n: int) -> tuple[list[Fraction], list[int], list[Fraction], Fraction]:
    """``(thresholds, orientations, weights, constant)`` of the width-``n`` zigzag (``n >= 3``).

    The units are ``relu(o_k (y - t_k))`` and ``g = constant + sum_k w_k unit_k``
    takes the values 0, 1, 0, 1, ... at ``0, t_1, ..., t_n, 1``.
    """
    ts = [Fraction(1, 2 * n)] + [Fraction(k - 1, n) for k in range(2, n + 1)]
    orient = [1] * n
    orient[2] = -1
    pts = [Fraction(0)] + ts + [Fraction(1)]
    vals = [Fraction(i % 2) for i in range(len(pts))]
    slopes = [(vals[i + 1] - vals[i]) / (pts[i + 1] - pts[i]) for i in range(n + 1)]
    weights = [slopes[k + 1] - slopes[k] for k in range(n)]  # slope jump at t_k, either orientation
    # g(0) = c + sum over left-facing units of w_k * t_k = 0
    const = -sum((w * t for w, t, o in zip(weights, ts, orient) if o < 0), start=Fraction(0))
    return ts, orient, weights, const


def serra_zigzag(widths: Sequence[int]) -> ReLUNetwork:
    """A network ``R -> R`` with hidden widths ``widths`` (each ``>= 3``) and ``prod (n_l + 1)`` pieces on R.

    Parameters
    ----------
    widths
        Hidden widths ``n_1, ..., n_L``, each at least 3.

    Returns
    -------
    ReLUNetwork
        Exactly :func:`cpa.bounds.serra2018_1d_max` activation regions on R,
        each its own affine piece: 16 for (3, 3), 25 for (4, 4), 64 for (3, 3, 3).

    Raises
    ------
    SpecError
        If some width is below 3 (Theorem 5 does not apply).

    Examples
    --------
    >>> serra_zigzag([3, 3]).layers[1][1]
    (Fraction(15, 4), Fraction(7, 2), Fraction(-13, 4))
    """
    serra2018_1d_max(widths)  # validates: n0 = 1, every n_l >= 3
    ws = [int(n) for n in widths]
    # the current signal y as (row over the previous layer's outputs, constant)
    row, const = [Fraction(1)], Fraction(0)
    layers = []
    for n in ws[:-1]:
        ts, orient, weights, c = zigzag_layer(n)
        layers.append(([[o * v for v in row] for o in orient], [o * (const - t) for o, t in zip(orient, ts)]))
        row, const = weights, c
    n = ws[-1]
    ts = [Fraction(k, n + 1) for k in range(1, n + 1)]
    orient = [1] * (n - 1) + [-1]
    layers.append(([[o * v for v in row] for o in orient], [o * (const - t) for o, t in zip(orient, ts)]))
    out = [Fraction((-1) ** (k + 1) * (2 * k - 1)) for k in range(1, n)] + [Fraction(2)]
    layers.append(([out], [Fraction(0)]))
    return ReLUNetwork(layers)
