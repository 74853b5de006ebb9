r"""One hidden layer in general position: all Zaslavsky regions on ``R^d``.

``n`` units ``relu(a_i . x - beta_i)`` whose hyperplanes are in general position
make exactly :math:`r(n, d) = \sum_{j=0}^{d} \binom{n}{j}` activation regions on
``R^d`` (Zaslavsky 1975), :math:`\binom{n-1}{d}` of them bounded.  With nonzero
output weights every region is its own affine piece: regions sharing a facet
differ by ``c_i a_i != 0``, and regions meeting in a lower-dimensional face
differ by a signed sum of at most ``d`` independent normals.

Hyperplanes: the cyclic arrangement of ``constructions._arrangement``
(moment-curve normals ``(1, t_i, ..., t_i^{d-1})``, offsets with ``t_i^d``,
``t_i = i/(n+1)``), so any ``d`` normals and any ``d + 1`` augmented rows are
Vandermonde.  Output weights ``1, 2, ..., n``.

References
----------
T. Zaslavsky, *Facing up to arrangements*, Memoirs AMS 154, 1975.
T. Serra, C. Tjandraatmadja, S. Ramalingam, *Bounding and counting linear regions
of deep neural networks*, ICML 2018, Theorem 1 (tight for one hidden layer).
"""

from __future__ import annotations

from fractions import Fraction

from cpa.errors import SpecError
from cpa.network import ReLUNetwork

from ._arrangement import cyclic_arrangement

__all__ = ["one_hidden_layer_general_position"]


def one_hidden_layer_general_position(n: int, d: int) -> ReLUNetwork:
    """A ``(d; n)`` network with ``zaslavsky(n, d)`` activation regions = affine pieces on ``R^d``.

    Raises
    ------
    SpecError
        If ``n < 1`` or ``d < 1``.

    Examples
    --------
    >>> one_hidden_layer_general_position(3, 1).layers[0][1]
    (Fraction(-1, 4), Fraction(-1, 2), Fraction(-3, 4))
    """
    for name, v in (("n", n), ("d", d)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise SpecError(f"one_hidden_layer_general_position: {name} must be a positive integer, got {v!r}")
    normals, offsets, _ = cyclic_arrangement(n, d)
    return ReLUNetwork([(normals, [-b for b in offsets]),
                        ([[Fraction(i + 1) for i in range(n)]], [Fraction(0)])])
