"""Exact pieces of the LP region engine (:mod:`cpa.regions._lp`): points, certificates, an exact simplex.

Conventions (as in :mod:`cpa.regions._geometry`): a point of ``Q^d`` is a homogeneous
integer vector ``P = (X_1, ..., X_d, t)`` with ``t > 0`` (``x = X / t``); with ``t = 0`` the
same vector is a *direction* (a point at infinity).  A *row* ``r = (a_1, ..., a_d, beta)`` of
integers is the inequality ``a . x + beta <= 0``, i.e. ``r . P <= 0`` for ``t > 0``.  A cell is
``C = {x : r_i . (x, 1) <= 0 for every row}``.

* :func:`combine` turns a point (or direction) ``V`` and a point ``W`` strictly inside ``C`` into
  an exact point strictly inside ``C`` on the positive side of a further row ``z``, or says that
  the segment (ray) from ``W`` through ``V`` has none; every sign it relies on is computed exactly.
* :func:`exact_max` maximises ``g . x`` over ``C`` exactly: the primal simplex, with Bland's rule
  (no cycling) in :class:`fractions.Fraction`, on the dual ``min -beta . mu`` s.t.
  ``sum mu_i a_i = g``, ``mu >= 0``.  Its answer carries both certificates: the optimal dual
  ``mu`` (a Farkas certificate of the bound) and the optimal vertex (the simplex multipliers), or,
  when the dual is infeasible, a direction ``y`` with ``a_i . y <= 0`` and ``g . y > 0`` (the
  primal is unbounded).  Everything is checked exactly before it is returned.
* :func:`solve_square` solves a nonsingular integer system exactly (python-flint).
"""

from __future__ import annotations

import math
from fractions import Fraction
from operator import mul
from typing import Sequence

from ..errors import CertificateError

__all__ = ["dot", "combine_values", "project_direction", "nonnegative_combination", "primitive_point", "float_point", "rounded_point", "simplest_between", "combine",
           "exact_max", "solve_square", "hom_point"]


def dot(r: Sequence[int], P: Sequence[int]) -> int:
    """Exact ``r . P`` of two integer vectors."""
    return sum(map(mul, r, P))


def primitive_point(P: Sequence[int]) -> tuple[int, ...]:
    """``P`` divided by the gcd of its entries (the same point, or the same direction)."""
    g = math.gcd(*P)
    if g > 1:
        return tuple([v // g for v in P])
    return tuple(P)


def hom_point(x: Sequence[Fraction]) -> tuple[int, ...]:
    """Primitive homogeneous integer coordinates of a rational point."""
    t = 1
    for v in x:
        q = v.denominator
        if t % q:
            t = t * q // math.gcd(t, q)
    return primitive_point([v.numerator * (t // v.denominator) for v in x] + [t])


def float_point(x: Sequence[float], t_one: bool = True) -> tuple[int, ...] | None:
    """The exact dyadic value of float coordinates as a homogeneous integer vector (``t = 2^k``),
    or a direction (``t = 0``) when ``t_one`` is false.  None for NaN or infinite entries."""
    nums = []
    den = 1
    for v in x:
        if not math.isfinite(v):
            return None
        n, q = float(v).as_integer_ratio()
        nums.append((n, q))
        if q > den:
            den = q
    X = [n * (den // q) for n, q in nums]
    if not t_one:
        if not any(X):
            return None
        return primitive_point(X + [0])
    return primitive_point(X + [den])


def rounded_point(x: Sequence[float], bits: int = 60) -> tuple[int, ...] | None:
    """Float coordinates rounded to a grid of ``2^-s`` with about ``bits`` bits for the largest
    entry (a short homogeneous integer point; the caller checks whatever it needs exactly)."""
    m = 0.0
    for v in x:
        if not math.isfinite(v):
            return None
        if abs(v) > m:
            m = abs(v)
    if m == 0.0:
        return (0,) * len(x) + (1,)
    s = bits - math.frexp(m)[1]
    if s <= 0:
        return primitive_point([int(v) for v in x] + [1])
    return primitive_point([round(math.ldexp(v, s)) for v in x] + [1 << s])


def simplest_between(lo: Fraction, hi: Fraction | None) -> Fraction:
    """The rational with the smallest denominator (then numerator) in the open interval
    ``(lo, hi)``, ``0 <= lo < hi`` (``hi`` None for infinity)."""
    n = lo.numerator // lo.denominator
    if hi is None or n + 1 < hi:
        return Fraction(n + 1)
    # lo, hi in [n, n + 1]: x = n + 1 / y with y in (1 / (hi - n), 1 / (lo - n))
    a = 1 / (hi - n)
    b = None if lo == n else 1 / (lo - n)
    return n + 1 / simplest_between(a, b)


def combine(W: Sequence[int], V: Sequence[int], rows: Sequence[Sequence[int]], z: Sequence[int],
            sW: Sequence[int] | None = None) -> tuple[int, ...] | None:
    """An exact point ``P = alpha W + beta V`` (``alpha, beta > 0``) strictly inside every row and
    with ``z . P > 0``, or None if the segment from ``W`` through ``V`` (the ray, for a direction
    ``V``) has no such point.

    ``W`` must be strictly inside the rows (``r . W < 0``; ``sW`` may pass these values).  The
    coefficient is picked near the middle of the admissible part of the segment, so that ``P`` is
    not needlessly close to a boundary: first from a float estimate, as a short dyadic number,
    checked exactly; if that check fails (a very narrow interval), exactly, as the simplest
    rational in the middle half of the interval.
    """
    zW = dot(z, W)
    zV = dot(z, V)
    if zV <= 0:
        return None
    if sW is None:
        sW = [dot(r, W) for r in rows]
    sV = [dot(r, V) for r in rows]
    tW = W[-1]
    tV = V[-1]
    ab = _coefficients_float(zW, zV, sW, sV, tW, tV)
    if ab is None:
        ab = _coefficients_exact(zW, zV, sW, sV, tW, tV)
        if ab is None:
            return None
    alpha, beta = ab
    return primitive_point([alpha * w + beta * v for w, v in zip(W, V)])


def combine_values(W: Sequence[int], sW: Sequence[int], V: Sequence[int], sV: Sequence[int],
                   z: Sequence[int]) -> tuple[tuple[int, ...], list[int]] | None:
    """:func:`combine` with the rows' values at ``W`` and ``V`` given (``sW``, ``sV``); returns the
    point and the rows' values at it, or None."""
    zW = dot(z, W)
    zV = dot(z, V)
    if zV <= 0:
        return None
    tW = W[-1]
    tV = V[-1]
    ab = _coefficients_float(zW, zV, sW, sV, tW, tV, check=False)
    sP = None
    if ab is not None:
        alpha, beta = ab
        if alpha * zW + beta * zV > 0:
            sP = [alpha * a + beta * b for a, b in zip(sW, sV)]
            if sP and max(sP) >= 0:
                sP = None
    if sP is None:
        ab = _coefficients_exact(zW, zV, sW, sV, tW, tV)
        if ab is None:
            return None
        alpha, beta = ab
        sP = [alpha * a + beta * b for a, b in zip(sW, sV)]
    P = [alpha * w + beta * v for w, v in zip(W, V)]
    g = math.gcd(*P)
    if g > 1:
        return tuple([v // g for v in P]), [v // g for v in sP]
    return tuple(P), sP


def _admissible(alpha: int, beta: int, zW: int, zV: int, sW: Sequence[int], sV: Sequence[int]) -> bool:
    if alpha <= 0 or beta <= 0 or alpha * zW + beta * zV <= 0:
        return False
    for a, b in zip(sW, sV):
        if alpha * a + beta * b >= 0:
            return False
    return True


def _coefficients_float(zW: int, zV: int, sW: Sequence[int], sV: Sequence[int], tW: int,
                        tV: int, check: bool = True) -> tuple[int, int] | None:
    try:
        lo = max(-zW, 0) / zV
        hi = math.inf
        for a, b in zip(sW, sV):
            if b > 0:
                c = -a / b
                if c < hi:
                    hi = c
        if not hi > lo:
            return None
        if tV > 0:
            r = tV / tW
            lam_lo = lo * r / (1.0 + lo * r)
            lam_hi = 1.0 if hi == math.inf else hi * r / (1.0 + hi * r)
            lam = 0.5 * (lam_lo + lam_hi)
            if not (math.isfinite(lam) and lam_hi - lam_lo > 1e-9):
                return None
            Q = 1 << 32
            p = min(max(round(lam * Q), 1), Q - 1)
            alpha, beta = (Q - p) * tV, p * tW
        else:
            rho = 2.0 * lo + 1.0 if hi == math.inf else 0.5 * (lo + hi)
            if not (math.isfinite(rho) and rho > 0):
                return None
            beta, alpha = rho.as_integer_ratio()
    except (OverflowError, ZeroDivisionError):
        return None
    if not check or _admissible(alpha, beta, zW, zV, sW, sV):
        return alpha, beta
    return None


def _coefficients_exact(zW: int, zV: int, sW: Sequence[int], sV: Sequence[int], tW: int,
                        tV: int) -> tuple[int, int] | None:
    # rho = beta / alpha; rows: sW + rho sV < 0; z: zW + rho zV > 0
    lo = Fraction(max(-zW, 0), zV)
    hi: Fraction | None = None
    for a, b in zip(sW, sV):
        if b > 0:
            c = Fraction(-a, b)
            if hi is None or c < hi:
                hi = c
                if hi <= lo:
                    return None
    if tV > 0:
        # in terms of the weight lam of V on the segment: lam = rho tV / (tW + rho tV)
        lam_lo = lo * tV / (tW + lo * tV)
        lam_hi = Fraction(1) if hi is None else hi * tV / (tW + hi * tV)
        q = (lam_hi - lam_lo) / 4
        lam = simplest_between(lam_lo + q, lam_hi - q)
        p, qq = lam.numerator, lam.denominator
        alpha = (qq - p) * tV
        beta = p * tW
    else:
        if hi is None:
            rho = simplest_between(lo, lo + lo + 1)
        else:
            q = (hi - lo) / 4
            rho = simplest_between(lo + q, hi - q)
        alpha, beta = rho.denominator, rho.numerator
    if not _admissible(alpha, beta, zW, zV, sW, sV):   # pragma: no cover - by construction
        raise CertificateError("combine: the exact coefficients are not admissible")
    return alpha, beta


def solve_square(N: Sequence[Sequence[int]], rhs: Sequence[int]) -> list[Fraction] | None:
    """The exact solution of ``N x = rhs`` for a square integer ``N``, or None if singular."""
    from flint import fmpz_mat

    n = len(N)
    try:
        x = fmpz_mat([list(r) for r in N]).solve(fmpz_mat([[v] for v in rhs]))
    except ZeroDivisionError:
        return None
    out = []
    for i in range(n):
        q = x[i, 0]
        out.append(Fraction(int(q.p), int(q.q)))
    return out


def integer_vector(v: Sequence[Fraction]) -> list[int]:
    """A positive integer multiple of a rational vector (its entries times the lcm of the denominators)."""
    L = math.lcm(*[q.denominator for q in v])
    return [q.numerator * (L // q.denominator) for q in v]


def _fq(q) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def project_direction(y: Sequence[Fraction], tight: Sequence[Sequence[int]]) -> list[Fraction] | None:
    """The exact orthogonal projection of ``y`` onto the common null space of the ``tight``
    integer vectors (None if that space is ``{0}`` or the projection vanishes)."""
    from flint import fmpq, fmpq_mat

    d = len(y)
    if not tight:
        return list(y)
    R, r = fmpq_mat([list(t) for t in tight]).rref()
    if r >= d:
        return None
    rows = [[R[i, k] for k in range(d)] for i in range(r)]
    if r:
        B = fmpq_mat(rows)
        Y = fmpq_mat([[fmpq(v.numerator, v.denominator)] for v in y])
        z = (B * B.transpose()).solve(B * Y)
        Yp = Y - B.transpose() * z
        out = [_fq(Yp[k, 0]) for k in range(d)]
    else:
        out = list(y)
    return out if any(out) else None


def nonnegative_combination(vectors: Sequence[Sequence[int]], target: Sequence[int]) -> list[Fraction] | None:
    """Exact ``mu >= 0`` with ``sum mu_i vectors_i = target`` from the reduced row echelon form
    of the system (free multipliers set to zero), or None when that solution does not exist or
    is not nonnegative."""
    from flint import fmpq_mat

    m = len(vectors)
    d = len(target)
    if m == 0:
        return [] if not any(target) else None
    aug = fmpq_mat([[vectors[i][k] for i in range(m)] + [target[k]] for k in range(d)])
    R, r = aug.rref()
    mu = [Fraction(0)] * m
    for i in range(r):
        lead = next((j for j in range(m + 1) if R[i, j] != 0), None)
        if lead is None or lead == m:
            return None                       # inconsistent: 0 = nonzero
        mu[lead] = _fq(R[i, m])
    if any(v < 0 for v in mu):
        return None
    L = math.lcm(*[v.denominator for v in mu])   # exact check of the combination, in integers
    M = [v.numerator * (L // v.denominator) for v in mu]
    for k in range(d):
        if sum(M[i] * vectors[i][k] for i in range(m) if M[i]) != L * target[k]:
            return None
    return mu


# --- exact simplex -------------------------------------------------------------------------------
def _pivot(T: list[list[Fraction]], obj: list[Fraction], r: int, e: int) -> None:
    row = T[r]
    piv = row[e]
    if piv != 1:
        inv = 1 / piv
        row = [v * inv for v in row]
        T[r] = row
    nz = [(j, v) for j, v in enumerate(row) if v]
    for k, other in enumerate(T):
        if k != r:
            f = other[e]
            if f:
                for j, v in nz:
                    other[j] -= f * v
    f = obj[e]
    if f:
        for j, v in nz:
            obj[j] -= f * v


def _bland(T: list[list[Fraction]], obj: list[Fraction], basis: list[int], allowed: Sequence[int]) -> bool:
    """Minimise with Bland's rule; ``obj`` holds reduced costs (last entry minus the value).
    True at an optimum, False if unbounded."""
    while True:
        enter = -1
        for j in allowed:
            if obj[j] < 0:
                enter = j
                break
        if enter < 0:
            return True
        best = -1
        best_ratio = None
        for k, row in enumerate(T):
            a = row[enter]
            if a > 0:
                ratio = row[-1] / a
                if best < 0 or ratio < best_ratio or (ratio == best_ratio and basis[k] < basis[best]):
                    best, best_ratio = k, ratio
        if best < 0:
            return False
        _pivot(T, obj, best, enter)
        basis[best] = enter


def exact_max(rows: Sequence[Sequence[int]], g: Sequence[int]):
    """Maximise ``g . x`` over ``C = {x : a_i . x + beta_i <= 0}`` exactly (``C`` must be nonempty).

    Returns ``("optimal", value, x, mu)`` with ``value = max g . x`` (a Fraction), an optimal
    vertex ``x`` and ``mu >= 0`` with ``sum mu_i a_i = g`` and ``-sum mu_i beta_i = value``; or
    ``("unbounded", y)`` with ``a_i . y <= 0`` for every row and ``g . y > 0``.  Both are checked
    exactly; :class:`~cpa.errors.CertificateError` if a check fails (an internal error).
    """
    d = len(g)
    m = len(rows)
    sign = [1 if gk >= 0 else -1 for gk in g]
    T: list[list[Fraction]] = []
    for k in range(d):
        s = sign[k]
        row = [Fraction(s * r[k]) for r in rows] + [Fraction(0)] * d + [Fraction(s * g[k])]
        row[m + k] = Fraction(1)
        T.append(row)
    basis = [m + k for k in range(d)]
    ncol = m + d
    # phase 1: minimise the sum of the artificials
    obj = [Fraction(0)] * (ncol + 1)
    for row in T:
        for j in range(m):
            obj[j] -= row[j]
        obj[-1] -= row[-1]
    _bland(T, obj, basis, range(m))
    if obj[-1] != 0:   # phase-1 optimum > 0: no mu; multipliers pi' = 1 - rc of the artificials
        y = tuple(sign[k] * (1 - obj[m + k]) for k in range(d))
        for r in rows:
            if sum(a * v for a, v in zip(r, y)) > 0:
                raise CertificateError("exact simplex: the unbounded direction violates a row")
        if sum(a * v for a, v in zip(g, y)) <= 0:
            raise CertificateError("exact simplex: the unbounded direction does not increase the objective")
        return ("unbounded", y)
    # drive the artificials out of the basis where possible (their rows have rhs 0)
    for k in range(d):
        if basis[k] >= m:
            for j in range(m):
                if T[k][j] != 0:
                    _pivot(T, obj, k, j)
                    basis[k] = j
                    break
    # phase 2: minimise -beta . mu, artificials barred
    cost = [Fraction(-r[-1]) for r in rows] + [Fraction(0)] * d
    obj = cost + [Fraction(0)]
    for k, row in enumerate(T):
        cb = cost[basis[k]]
        if cb:
            for j in range(ncol + 1):
                obj[j] -= cb * row[j]
    if not _bland(T, obj, basis, range(m)):
        raise CertificateError("exact simplex: the dual is unbounded, so the cell would be empty")
    mu = [Fraction(0)] * m
    for k, b in enumerate(basis):
        if b < m:
            mu[b] = T[k][-1]
    x = tuple(sign[k] * -obj[m + k] for k in range(d))
    value = -obj[-1]
    # exact checks of both certificates
    if any(v < 0 for v in mu):
        raise CertificateError("exact simplex: negative multiplier")
    for k in range(d):
        if sum((mu[i] * rows[i][k] for i in range(m) if mu[i]), Fraction(0)) != g[k]:
            raise CertificateError("exact simplex: the multipliers do not reproduce the objective")
    if sum((mu[i] * -rows[i][-1] for i in range(m) if mu[i]), Fraction(0)) != value:
        raise CertificateError("exact simplex: the multipliers do not give the optimal value")
    for r in rows:
        if sum(a * v for a, v in zip(r, x)) + r[-1] > 0:
            raise CertificateError("exact simplex: the optimal vertex violates a row")
    if sum(a * v for a, v in zip(g, x)) != value:
        raise CertificateError("exact simplex: the optimal vertex does not attain the value")
    return ("optimal", value, x, mu)
