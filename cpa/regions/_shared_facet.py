"""Whether two regions share a facet on a given hyperplane, decided exactly by one small LP.

Two polyhedra ``R_1 = {x : r(x) <= 0, r in A}`` and ``R_2 = {x : r(x) <= 0, r in B}`` with
disjoint interiors (two activation regions) share a facet on the hyperplane
``H = {h(x) = 0}`` iff some point ``y`` of ``H`` has ``r(y) < 0`` for every row ``r`` of
``A`` and ``B`` that does not vanish on ``H`` (the rows that are multiples of ``h``): then a
``(d-1)``-dimensional neighbourhood of ``y`` in ``H`` lies in both closures.  With rows
``r(x) = a . x + beta`` this is the LP

.. math:: \\max t \\quad\\text{s.t.}\\quad a_r . y + beta_r + t \\le 0 \\;(r),\\qquad
          h(y) = 0,\\qquad t \\le 1,

and the answer is yes iff the optimum is ``> 0``.  It is solved in floats (HiGHS) and the
answer is certified exactly:

* **yes**: the LP's ``y``, rounded to a short rational and moved onto ``H`` exactly
  (``y - (h(y) / |a_h|^2) a_h``), has every row strictly negative, checked in rationals;
* **no**: on the rows the LP's duals name, exact ``mu_r >= 0`` with ``sum mu_r = 1`` and a
  ``lambda`` with ``sum mu_r a_r + lambda a_h = 0`` (solved in rationals) make
  ``sum mu_r r(y) = c`` constant on ``H``; if ``c >= 0``, no point of ``H`` has every row
  negative;
* otherwise the exact simplex (:func:`~cpa.regions._exact_lp.exact_max`) decides, first on
  the rows tight at the LP's optimum alone (fewer rows can only allow more, so ``max t <= 0``
  there is a "no"), then on all of them.
"""

from __future__ import annotations

import math
from fractions import Fraction
from operator import mul
from typing import Any, Sequence

import numpy as np

from ._exact_lp import exact_max, nonnegative_combination, rounded_point

__all__ = ["shares_facet", "sign_free"]

Row = tuple[int, ...]


def sign_free(row: Sequence[int]) -> Row:
    """The primitive integer row of a hyperplane, its sign fixed (first nonzero entry positive),
    so that ``r`` and ``-c r`` (``c > 0``) give the same key."""
    g = math.gcd(*row)
    r = tuple(v // g for v in row) if g > 1 else tuple(row)
    for v in r:
        if v:
            return r if v > 0 else tuple(-x for x in r)
    return r


def _scaled(row: Sequence[int], d: int) -> tuple[list[float], int]:
    """Float copy of ``row / 2^e`` with ``e`` the bit length of its largest linear coefficient (the
    LP engine's scaling; a constant beyond the float range is clamped, the LP being only a hint)."""
    from ._float_lp import _BIG
    from ._lp import _fscaled, _lin_exp

    e = _lin_exp(tuple(row), d)
    out = _fscaled(row, e)
    if not math.isfinite(out[d]):
        out[d] = math.copysign(_BIG, out[d])
    return out, e


def shares_facet(rows: Sequence[Row], h: Row, d: int, highs: Any) -> bool:
    """Whether ``{x : r(x) <= 0 for r in rows}`` is ``(d-1)``-dimensional inside the hyperplane
    ``h(x) = 0``, for the rows of two regions with disjoint interiors (see the module docstring).

    Parameters
    ----------
    rows
        Homogeneous integer rows ``r`` (``r[:d] . x + r[d] <= 0``) of both regions.
    h
        The hyperplane's row (either sign).
    d
        The input dimension.
    highs
        A :class:`highspy.Highs` instance to use (cleared here).
    """
    key = sign_free(h)
    other = [r for r in rows if sign_free(r) != key]
    if not any(h[:d]):
        return False
    hf, _ = _scaled(h, d)
    fl = [_scaled(r, d) for r in other]
    # --- float LP over (y, t) ---
    highs.clearModel()
    n = d + 1
    inf = math.inf
    lo_b = np.full(n, -inf)
    hi_b = np.full(n, inf)
    hi_b[d] = 1.0
    highs.addVars(n, lo_b, hi_b)
    idx = np.arange(n, dtype=np.int32)
    for f, _ in fl:
        highs.addRow(-inf, -f[d], n, idx, np.array(f[:d] + [1.0]))
    highs.addRow(-hf[d], -hf[d], d, idx[:d], np.array(hf[:d]))
    highs.changeColCost(d, 1.0)
    import highspy

    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    highs.run()
    if highs.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        sol = highs.getSolution()
        t = sol.col_value[d]
        if t > 1e-12 and _inside_point(list(sol.col_value[:d]), other, h, d):
            return True
        if t < 1e-12:
            if _no_by_duals(list(sol.row_dual), other, h, d):
                return False
            # the rows tight at the LP's optimum: if they alone allow no t > 0, neither do all rows
            y = sol.col_value
            tight = [r for r, (f, _) in zip(other, fl)
                     if sum(a * v for a, v in zip(f[:d], y)) + f[d] + t >= -1e-7]
            if len(tight) < len(other) and not _exact(tight, h, d):
                return False
    return _exact(other, h, d)


def _inside_point(y: list[float], rows: Sequence[Row], h: Row, d: int) -> bool:
    """The rounded LP point moved onto ``H`` exactly: every row strictly negative?  In homogeneous
    integers: ``(X, t)`` becomes ``(|a|^2 X - h(X, t) a, |a|^2 t)``."""
    P = rounded_point(y)
    if P is None:
        return False
    a = h[:d]
    aa = sum(v * v for v in a)
    hx = sum(map(mul, h, P))
    Q = [aa * x - hx * v for x, v in zip(P[:d], a)] + [aa * P[d]]
    return all(sum(map(mul, r, Q)) < 0 for r in rows)


def _no_by_duals(duals: list[float], rows: Sequence[Row], h: Row, d: int) -> bool:
    """The Farkas certificate of "no", solved exactly on the rows the LP's duals name."""
    m = len(rows)
    if len(duals) != m + 1 or not all(math.isfinite(v) for v in duals):
        return False
    top = max(abs(v) for v in duals[:m]) if m else 0.0
    S = [i for i in range(m) if abs(duals[i]) > 1e-9 * top]
    if not S:
        return False
    vectors = [tuple(rows[i][:d]) + (1,) for i in S]
    vectors += [tuple(h[:d]) + (0,), tuple(-v for v in h[:d]) + (0,)]
    mu = nonnegative_combination(vectors, (0,) * d + (1,))
    if mu is None:
        return False
    c = sum((mu[k] * rows[i][d] for k, i in enumerate(S)), Fraction(0)) + (mu[-2] - mu[-1]) * h[d]
    return c >= 0


def _exact(rows: Sequence[Row], h: Row, d: int) -> bool:
    """The exact simplex on the LP of the module docstring (variables ``(y, t)``)."""
    ext = [tuple(r[:d]) + (1, r[d]) for r in rows]
    ext.append(tuple(h[:d]) + (0, h[d]))
    ext.append(tuple(-v for v in h[:d]) + (0, -h[d]))
    ext.append((0,) * d + (1, -1))
    res = exact_max(ext, (0,) * d + (1,))
    return res[0] == "optimal" and res[1] > 0
