r"""The 1-D DC split: a univariate CPA function as ``g - h`` with ``g``, ``h`` convex max-affine.

Every CPA function is a difference of two convex CPA functions (Kripfganz &
Schulze 1987; statement not checked against the paper).  In 1-D the split is
explicit (derived here and checked exactly): with breakpoints ``t_k`` and slope
jumps ``Delta_k``,

.. math::

    g(x) = f(t_1) + s_0 (x - t_1) + \sum_{\Delta_k > 0} \Delta_k\, \mathrm{relu}(x - t_k),\qquad
    h(x) = \sum_{\Delta_k < 0} |\Delta_k|\, \mathrm{relu}(x - t_k),

and ``f = g - h``.  ``g`` and ``h`` are convex (nonnegative slope jumps only),
so each is the maximum of its affine pieces; every breakpoint of ``f`` is a
breakpoint of exactly one of them (the fewest breakpoints of any split).

References
----------
M. Kripfganz, R. Schulze, *Piecewise affine functions as a difference of two
convex functions*, Optimization 18 (1987) 23-29.
"""

from __future__ import annotations

from fractions import Fraction

from cpa.specs import DC, Breakpoints1D, MaxAffine

__all__ = ["dc_split_1d", "breakpoints_of_max_affine_1d"]


def dc_split_1d(f: Breakpoints1D) -> DC:
    """Split a univariate CPA function into ``g - h`` with ``g``, ``h`` convex (module docstring).

    Parameters
    ----------
    f
        A :class:`cpa.Breakpoints1D` spec.

    Returns
    -------
    DC
        ``DC(g, h)`` with ``g`` and ``h`` :class:`cpa.MaxAffine`, one term per
        affine piece (terms by increasing slope): ``g`` carries the positive slope
        jumps and the affine part, ``h`` the negative jumps (and is 0 left of its
        first breakpoint).

    Notes
    -----
    Lines are added left to right: a jump ``Delta`` at ``t`` turns the last line
    ``a x + c`` into ``(a + Delta) x + (c - Delta t)``, which agrees with it at
    ``t``; as the slopes increase, the maximum of the lines is the function.

    Examples
    --------
    >>> f = Breakpoints1D.from_slopes([-1, 0, "1/2", 2], [1, -2, 3, 0, -1], 0)
    >>> dc = dc_split_1d(f)
    >>> breakpoints_of_max_affine_1d(dc.g)
    {Fraction(0, 1): Fraction(5, 1)}
    >>> breakpoints_of_max_affine_1d(dc.h) == {-1: 3, Fraction(1, 2): 3, 2: 1}
    True
    """
    s, t = f.slopes, f.breakpoints
    t1 = t[0]
    g = [(s[0], f.values[0] - s[0] * t1)]
    h = [(Fraction(0), Fraction(0))]
    for k, tk in enumerate(t):
        jump = s[k + 1] - s[k]
        if jump == 0:
            continue
        side, delta = (g, jump) if jump > 0 else (h, -jump)
        a, c = side[-1]
        side.append((a + delta, c - delta * tk))
    return DC(MaxAffine([[a] for a, _ in g], [c for _, c in g]), MaxAffine([[a] for a, _ in h], [c for _, c in h]))


def breakpoints_of_max_affine_1d(F: MaxAffine) -> dict[Fraction, Fraction]:
    """Breakpoints and slope jumps ``{t: Delta}`` of a univariate max-affine function, exactly.

    The terms are first reduced to the upper hull of the points ``(slope,
    intercept)`` (:func:`constructions.tropical.upper_hull_terms`); consecutive
    hull terms ``(a_1, c_1)``, ``(a_2, c_2)`` meet at ``t = (c_1 - c_2)/(a_2 - a_1)``
    where the slope jumps by ``a_2 - a_1 > 0``.
    """
    from .tropical import upper_hull_terms

    if F.input_dim != 1:
        raise ValueError(f"breakpoints_of_max_affine_1d needs a univariate MaxAffine, got input_dim {F.input_dim}")
    hull = upper_hull_terms([(a[0], c) for a, c in zip(F.A, F.b)])
    return {(c1 - c2) / (a2 - a1): a2 - a1 for (a1, c1), (a2, c2) in zip(hull, hull[1:])}
