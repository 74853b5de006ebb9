r"""Deterministic exact hyperplane arrangements in general position (a cyclic arrangement).

For ``n`` hyperplanes in ``R^d`` take ``t_i = i / (n + 1)``, ``i = 1..n``, the
moment-curve normals ``a_i = (1, t_i, ..., t_i^{d-1})`` and

.. math:: a_i \cdot (x - c) = \delta\, t_i^d .

Any ``d`` normals form a Vandermonde matrix and any ``d + 1`` rows of
``[a_i | t_i^d]`` too, so the arrangement is in general position (every
``d`` hyperplanes meet in one point, no ``d + 1`` share a point).  The vertex
of the hyperplanes ``S`` is ``x = c + y`` where :math:`\delta \prod_{s \in S}
(t - t_s) = \delta t^d - \sum_k y_k t^k`; so :math:`|y_k| \le \delta
\binom{d}{k}`.  With ``c = (1/2, ..., 1/2)`` and
:math:`\delta = 1 / (2 \max_k \binom{d}{k} + 2)` every vertex lies in the open
cube ``(0, 1)^d``; for ``d = 1`` we take ``c = 0``, ``delta = 1`` (points
``i / (n + 1)``).  All normal components are positive.

Orientation: the divided-difference weights
:math:`\mu_i = 1 / \prod_{k \ne i} (t_i - t_k)` of the last ``d + 1``
hyperplanes satisfy :math:`\sum \mu_i a_i = 0` and
:math:`\sum \mu_i \beta_i = \delta > 0`.  Orienting these units as
``relu(s_i (a_i x - beta_i))`` with ``s_i = -sign(mu_i)`` makes the system
"all of them inactive" infeasible (Farkas), so the all-inactive sign vector is
not realised (needs ``n >= d + 1``).
"""

from __future__ import annotations

from fractions import Fraction
from math import comb, prod

__all__ = ["cyclic_arrangement"]


def cyclic_arrangement(n: int, d: int) -> tuple[list[list[Fraction]], list[Fraction], list[int]]:
    """``(normals, offsets, signs)``: hyperplanes ``normals[i] . x = offsets[i]`` and unit orientations.

    ``signs[i]`` is ``+1`` or ``-1``; with them no point of ``R^d`` has every
    unit ``relu(signs[i] (normals[i] . x - offsets[i]))`` inactive, when
    ``n >= d + 1``.  Every vertex lies in ``(0, 1)^d``.
    """
    ts = [Fraction(i, n + 1) for i in range(1, n + 1)]
    if d == 1:
        center, delta = Fraction(0), Fraction(1)
    else:
        center, delta = Fraction(1, 2), Fraction(1, 2 * max(comb(d, k) for k in range(d + 1)) + 2)
    normals = [[t ** k for k in range(d)] for t in ts]
    offsets = [sum(a) * center + delta * t ** d for a, t in zip(normals, ts)]
    signs = [1] * n
    if n >= d + 1:
        last = list(range(n - d - 1, n))
        for i in last:
            mu = prod((ts[i] - ts[k] for k in last if k != i), start=Fraction(1))
            signs[i] = -1 if mu > 0 else 1
    return normals, offsets, signs
