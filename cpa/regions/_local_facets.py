"""Which rows of a region are facets met by a ball, decided exactly (for the local search).

A region ``R = {y : r_j(y) <= 0}`` (signed rows of :class:`~cpa.regions._local_net.Cell`, one per
neuron that is not constant on it; rows that are the same inequality form one *group*) and,
optionally, a closed ball ``B`` (``linf`` or ``l1``) around ``c`` of radius ``rho``.  For a group
with row ``r_i`` and hyperplane ``H_i`` the questions are

* **cross**: is there a point of the relative interior of the facet ``F_i = R-bar \\cap H_i``
  inside ``int B``?  (Then the region across ``F_i`` meets ``int B``; the regions whose interiors
  meet ``int B`` are exactly those reached from one of them through such facets, ``int B``
  being convex.)  The answer is an exact point ``y`` with ``r_i(y) = 0``, ``r_j(y) < 0`` for the
  other groups and ``|y - c| < rho``, or a certificate that there is none;
* **touch** (for counting the neurons whose zero set meets ``B``): does ``H_i`` meet
  ``R-bar \\cap B``?

Both are decided in exact arithmetic, floats only proposing:

1. the hyperplane's distance to ``c``, ``|r_i(c)| / |a_i|_*`` (dual norm), against ``rho``:
   first with an exact upper bound of ``|a_i|_*``, then exactly;
2. a *Gram point* ``y = w + sum_j lambda_j a_j`` from the witness ``w``, with ``lambda`` solving
   ``(a_j . a_k) lambda = -r_i(w) e_i`` in floats and then fixed exactly so that ``r_i(y) = 0``:
   every row's value at ``y`` is an exact integer expression in the Gram matrix, so a
   candidate costs ``O(N^2)`` whatever the input dimension;
3. a float LP (HiGHS): ``max s`` subject to ``r_i = 0``, ``r_j + s <= 0`` and ``y`` in ``B``;
   its vertex, rounded and moved onto ``H_i`` exactly, then combined with the point of ``H_i``
   nearest to ``c`` (which lies in ``int B``) on an exactly computed segment; its duals give
   multipliers ``mu >= 0`` (and ``lambda`` for ``r_i``) whose combination
   ``L = sum mu_j r_j + lambda r_i`` is evaluated exactly: ``max_B (-L) <= 0`` (``< 0``) proves
   that no point of ``H_i \\cap B`` has every row strict (every row ``<= 0``);
   without a ball, an exact null vector of the Gram matrix of the rows the duals name
   (a combination with zero normal) plays the same role;
4. the exact simplex (:func:`~cpa.regions._exact_lp.exact_max`) on the same LP, which decides.

References
----------
A. Neumaier and O. Shcherbina, *Safe bounds in linear and mixed-integer linear programming*,
Mathematical Programming 99 (2004), 283-296 (the bound of 3.).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import CertificateError
from ..polytope import integer_row
from ._exact_lp import exact_max, rounded_point, simplest_between
from ._local_net import Cell, hom, primitive

__all__ = ["Ball", "FacetSearch", "short_point"]

_INF = math.inf


class Ball:
    """The closed ball ``{y : |y - c| <= rho}`` in the ``linf`` or ``l1`` norm (``rho`` None:
    no ball, all of ``R^d``)."""

    def __init__(self, center: Sequence[Fraction], radius: Fraction | None, norm: str):
        self.c = tuple(center)
        self.C = hom(self.c)
        self.r = radius
        self.norm = norm

    @property
    def bounded(self) -> bool:
        return self.r is not None

    def dist(self, y: Sequence[Fraction]) -> Fraction:
        """``|y - c|`` exactly."""
        return self.dist_hom(hom(y))

    def dist_hom(self, Y: Sequence[int]) -> Fraction:
        """``|Y' / t - c|`` for homogeneous ``Y = (Y', t)``, in integers."""
        C = self.C
        tY, tC = Y[-1], C[-1]
        diffs = [abs(a * tC - b * tY) for a, b in zip(Y[:-1], C[:-1])]
        num = max(diffs, default=0) if self.norm == "linf" else sum(diffs)
        return Fraction(num, tY * tC)

    def dual(self, a: Sequence[int]) -> int:
        """The dual norm of an integer vector: ``|a|_1`` for the linf ball, ``|a|_inf`` for l1."""
        if self.norm == "linf":
            return sum(abs(v) for v in a)
        return max((abs(v) for v in a), default=0)

    def nearest(self, a: Sequence[int], value: Fraction) -> tuple[int, ...]:
        """The point (homogeneous) of ``{y : a . y + k = 0}`` nearest to ``c`` in the ball's norm,
        given the row's value ``a . c + k`` at the centre."""
        C = self.C
        tC = C[-1]
        if self.norm == "linf":
            n = sum(abs(v) for v in a)
            # y = c - value / n * sign(a)
            p, q = value.numerator, value.denominator * n
            return primitive([x * q - (p * tC if v > 0 else -p * tC if v < 0 else 0) for x, v in zip(C[:-1], a)]
                             + [tC * q])
        k = max(range(len(a)), key=lambda i: abs(a[i]))
        p, q = value.numerator, value.denominator * a[k]
        if q < 0:
            p, q = -p, -q
        Y = [x * q for x in C[:-1]] + [tC * q]
        Y[k] -= p * tC
        return primitive(Y)


def short_point(P: Sequence[int], ok: Callable[[tuple[int, ...]], bool]) -> tuple[int, ...]:
    """A point near ``P`` with fewer digits (rounded to ``2^-s`` grids, coarse first) for which
    ``ok`` holds, or ``P`` itself."""
    t = P[-1]
    top = max((abs(v) for v in P[:-1]), default=0)
    base = max(top // t, 1).bit_length()
    for bits in (56, 120, 250):
        s = bits - base
        if s <= 0 or (t.bit_length() <= s):
            continue
        Q = primitive([((v << s) + (t >> 1)) // t for v in P[:-1]] + [1 << s])
        if ok(Q):
            return Q
    return tuple(P)


class FacetSearch:
    """The facet questions of one region (see the module docstring).

    Parameters
    ----------
    cell
        The region's cell (pattern and integer maps).
    W
        An exact point strictly inside the region (homogeneous).
    ball
        The ball (``ball.r`` None: no ball).
    stats
        Counters, updated in place.
    """

    def __init__(self, cell: Cell, W: Sequence[int], ball: Ball, stats: dict[str, int]):
        self.cell = cell
        self.W = tuple(W)
        self.ball = ball
        self.stats = stats
        self.d = cell.fn.d
        G = cell.gram
        N = cell.N
        self.rows = [j for j in range(N) if G[j][j] > 0]          # neurons not constant on the region
        kap = cell.kappa
        reps: list[int] = []
        group_of: dict[int, int] = {}
        members: dict[int, list[int]] = {}
        for j in self.rows:
            for r in reps:
                g = G[j][r]
                if g > 0 and g * g == G[j][j] * G[r][r] and kap[j] * G[r][r] == g * kap[r]:
                    group_of[j] = r
                    members[r].append(j)
                    break
            else:
                reps.append(j)
                group_of[j] = j
                members[j] = [j]
        self.reps = reps
        self.group_of = group_of
        self.members = members
        self.vW = cell.values_at(self.W)
        if any(self.vW[j] >= 0 for j in self.rows):
            raise CertificateError("local search: the witness is not strictly inside its region")
        self._gflint: Any = None
        self._pinv: Any = None
        self._lp: Any = None
        self._center_vals: list[int] | None = None
        # no ball and independent first-layer rows: the region is a cylinder over a polyhedron of
        # the first layer's coordinates z = M_0 (x, 1), onto R^n0; facets are decided there
        self.zmode = not ball.bounded and cell.fn.full_row_rank and cell.fn.n0 < self.d

    def close(self) -> None:
        """Drop the LP model and the float helpers (facet points already handed out stay valid)."""
        self._lp = None
        self._pinv = None
        self._gflint = None

    # --- distances ----------------------------------------------------------------------------
    def center_values(self) -> list[int]:
        if self._center_vals is None:
            self._center_vals = self.cell.values_at(self.ball.C)
        return self._center_vals

    def classify(self, i: int) -> str:
        """``"far"`` (``H_i`` misses ``B``), ``"boundary"`` (meets it only on its boundary) or
        ``"near"`` (meets ``int B``), exactly."""
        b = self.ball
        v = abs(self.center_values()[i])
        t = b.C[-1]
        rn, rd = b.r.numerator, b.r.denominator
        # distance = v / (t |a|_*) > r  iff  v rd > rn t |a|_*
        which = "l1" if b.norm == "linf" else "max"
        if v * rd > rn * t * self.cell.norm_bound(i, which):
            return "far"
        nrm = b.dual(self.cell.row_lin(i))
        lhs, rhs = v * rd, rn * t * nrm
        return "far" if lhs > rhs else "boundary" if lhs == rhs else "near"

    # --- the decision for one group ---------------------------------------------------------
    def decide(self, i: int, touch: bool) -> tuple[str, Callable[[], tuple[int, ...]] | None]:
        """For the group of representative ``i``: ``("cross", point)`` (``point()`` the exact facet
        point, homogeneous), ``("touch", None)`` (``H_i`` meets ``R-bar \\cap B`` but no relative
        interior point of the facet lies in ``int B``) or ``("none", None)``.  Without ``touch``
        ``"touch"`` and ``"none"`` are not told apart (``"none"``)."""
        st = self.stats
        kind = self.classify(i) if self.ball.bounded else "near"
        if kind == "far" or (kind == "boundary" and not touch):
            st["far"] = st.get("far", 0) + 1
            return "none", None
        if kind == "near" and not self.zmode:
            got = self._gram_point(i)
            if got is not None:
                st["gram_points"] = st.get("gram_points", 0) + 1
                return "cross", got
        return self._lp_decide(i, touch, cross=(kind == "near"))

    # --- Gram points ------------------------------------------------------------------------------
    def _gram_point(self, i: int) -> Callable[[], tuple[int, ...]] | None:
        cell = self.cell
        G = cell.gram
        reps = self.reps
        if self._pinv is None:
            nrm = np.sqrt(np.array([float(G[j][j]) for j in reps]))
            Gf = np.array([[float(G[a][b]) for b in reps] for a in reps]) / np.outer(nrm, nrm)
            try:
                self._pinv = (np.linalg.pinv(Gf), nrm)
            except np.linalg.LinAlgError:   # pragma: no cover - SVD did not converge
                self._pinv = (None, nrm)
        Pi, nrm = self._pinv
        if Pi is None:
            return None
        ii = reps.index(i)
        tW = self.W[-1]
        vi = _fdiv(self.vW[i], tW)
        if not math.isfinite(vi):
            return None
        lam = Pi[:, ii] * (-vi / nrm[ii]) / nrm          # float coefficients of the normals a_j
        if not np.all(np.isfinite(lam)):
            return None
        m = float(np.max(np.abs(lam))) if len(lam) else 0.0
        if m == 0.0:
            return None
        s = max(0, 60 - math.frexp(m)[1])
        L = [0] * cell.N
        for k, j in enumerate(reps):
            if j != i:
                L[j] = int(round(math.ldexp(float(lam[k]), s)))
        if self._gflint is None:
            self._gflint = cell.fn.fmat(cell.N, cell.N, [v for row in G for v in row])
        P = [int(v) for v in (self._gflint * cell.fn.fmat(cell.N, 1, L)).entries()]
        two_s = 1 << s
        Li = -(two_s * self.vW[i] + tW * P[i])
        Gii = G[i][i]
        V = [Gii * (two_s * self.vW[j] + tW * P[j]) + G[j][i] * Li for j in range(cell.N)]
        grp = self.group_of
        for j in self.rows:
            if grp[j] == i:
                if V[j] != 0:      # pragma: no cover - rows of one group are proportional
                    raise CertificateError("local search: rows of one group differ at a facet point")
            elif V[j] >= 0:
                return None
        # the point: y = w + sum lambda_j a_j, lambda_j = L_j / 2^s (j != i), lambda_i = Li / (tW Gii 2^s)
        Lam = [v * tW * Gii for v in L]
        Lam[i] = Li
        D = tW * Gii * two_s
        W = self.W

        def point() -> tuple[int, ...]:
            shift = cell.combination_lin(Lam)
            return primitive([Gii * two_s * w + a for w, a in zip(W[:-1], shift)] + [D])

        if self.ball.bounded:
            Y = point()
            if self.ball.dist_hom(Y) < self.ball.r:
                return lambda: Y
            return self._segment(i, Y, [Fraction(v, D) for v in V])
        return point

    # --- segments to the nearest point ---------------------------------------------------------
    def _segment(self, i: int, Y: tuple[int, ...],
                 vY: list[Fraction] | None) -> Callable[[], tuple[int, ...]] | None:
        """A point of the segment from ``Y`` (on ``H_i``, every other row strict or nearly) to the
        point ``q`` of ``H_i`` nearest to the centre (inside ``int B``) with every other row strict
        and inside ``int B``, exactly; or None.  ``vY``: the rows' values at ``Y`` (true scale).

        Each condition is affine in the position ``lam`` on the segment (the norm through its
        convexity bound ``(1 - lam) |Y - c| + lam |q - c|``), so the admissible ``lam`` form an
        interval computed exactly."""
        cell = self.cell
        b = self.ball
        t0 = b.C[-1]
        Q = b.nearest(cell.row_lin(i), Fraction(self.center_values()[i], t0))
        vQ = cell.values_at(Q)
        tq = Q[-1]
        if vY is None:
            tY = Y[-1]
            vY = [Fraction(v, tY) for v in cell.values_at(Y)]
        grp = self.group_of
        lo, hi, hi_open = Fraction(0), Fraction(1), False

        def constrain(a: Fraction, c: Fraction) -> bool:
            # (1 - lam) a + lam c < 0, i.e. a + lam (c - a) < 0
            nonlocal lo, hi, hi_open
            slope = c - a
            if slope > 0:
                cut = -a / slope
                if cut < hi or (cut == hi and not hi_open):
                    hi, hi_open = cut, True
            elif slope < 0:
                cut = -a / slope
                if cut > lo:
                    lo = cut
            elif a >= 0:
                return False
            return True

        for j in self.rows:
            if grp[j] != i and not constrain(vY[j], Fraction(vQ[j], tq)):
                return None
        if not constrain(b.dist_hom(Y) - b.r, b.dist_hom(Q) - b.r):
            return None
        if not lo < hi:
            return None
        lam = hi if not hi_open else simplest_between(lo, hi)
        p, q = lam.numerator, lam.denominator
        tY = Y[-1]
        P = primitive([(q - p) * y * tq + p * z * tY for y, z in zip(Y[:-1], Q[:-1])] + [q * tY * tq])
        vP = cell.values_at(P)
        if any(vP[j] >= 0 for j in self.rows if grp[j] != i) or any(vP[j] != 0 for j in self.members[i]) \
                or not b.dist_hom(P) < b.r:
            return None
        self.stats["segments"] = self.stats.get("segments", 0) + 1
        return lambda: P

    # --- the LP ------------------------------------------------------------------------------------
    def _model(self) -> Any:
        if self._lp is None:
            self._lp = _FacetLP(self)
        return self._lp

    def _lp_decide(self, i: int, touch: bool, cross: bool) -> tuple[str, Any]:
        st = self.stats
        lp = self._model()
        st["lp_calls"] = st.get("lp_calls", 0) + 1
        res = lp.solve(i)
        if res is not None:
            status, sval, u, duals = res
            if cross and sval > 1e-9:
                got = self._from_z_point(i, u) if self.zmode else self._from_lp_point(i, u)
                if got is not None:
                    st["lp_points"] = st.get("lp_points", 0) + 1
                    return "cross", got
            if duals is not None:
                bound = self._dual_bound(i, duals)
                if bound is not None:
                    if bound < 0:
                        st["dual_certificates"] = st.get("dual_certificates", 0) + 1
                        return "none", None
                    if bound == 0 and not touch:
                        st["dual_certificates"] = st.get("dual_certificates", 0) + 1
                        return "none", None
                kappa = self._null_certificate(i, duals)
                if kappa is not None and (kappa > 0 or not touch):
                    st["null_certificates"] = st.get("null_certificates", 0) + 1
                    return "none", None
        return self._exact(i, touch, cross)

    def _from_lp_point(self, i: int, u: Sequence[float]) -> Callable[[], tuple[int, ...]] | None:
        lp = self._lp
        y = lp.to_y(u)
        U = rounded_point(y)
        if U is None:
            return None
        cell = self.cell
        v = cell.values_at(U)
        G = cell.gram
        Gii = G[i][i]
        tU = U[-1]
        vi = v[i]
        V = [Gii * v[j] - vi * G[j][i] for j in range(cell.N)]
        grp = self.group_of
        if any(V[j] >= 0 for j in self.rows if grp[j] != i):
            ok = False
        else:
            ok = True
        a = cell.row_lin(i)
        Y = primitive([Gii * x - vi * ak for x, ak in zip(U[:-1], a)] + [tU * Gii])
        if ok and (not self.ball.bounded or self.ball.dist_hom(Y) < self.ball.r):
            return lambda: Y
        if not self.ball.bounded:
            return None
        D = tU * Gii
        return self._segment(i, Y, [Fraction(x, D) for x in V])

    def _from_z_point(self, i: int, u: Sequence[float]) -> Callable[[], tuple[int, ...]] | None:
        """The LP's point in first-layer coordinates, rounded, moved onto ``H_i`` exactly and checked
        there (the first layer being onto, a facet point there is one in ``R^d``); the point of
        ``R^d`` is formed only when asked for."""
        lp = self._lp
        Zr = rounded_point((np.array(lp.zwf) + lp.h * np.array(u)).tolist())
        if Zr is None:
            return None
        return self._z_facet(i, Zr)

    def _z_facet(self, i: int, Zr: Sequence[int]) -> Callable[[], tuple[int, ...]] | None:
        cell = self.cell
        v = cell.values(list(Zr[:-1]), Zr[-1])
        Zg = cell.zgram
        gii = Zg[i][i]
        vi = v[i]
        grp = self.group_of
        for j in self.rows:
            if grp[j] != i and gii * v[j] - vi * Zg[j][i] >= 0:
                return None
        k = cell.kint[i]
        Z = primitive([gii * z - vi * kk for z, kk in zip(Zr[:-1], k)] + [Zr[-1] * gii])
        return lambda: self._lift(i, Z)

    def _lift(self, i: int, Z: Sequence[int]) -> tuple[int, ...]:
        """A point ``y`` of ``R^d`` on ``H_i`` with every other row strict, near the first-layer point
        ``Z`` (which has that property): float lifts at growing precision moved onto ``H_i``
        exactly, else the exact lift ``y = w + M_0'^T G_0^{-1} (z - z_w)``."""
        cell = self.cell
        fn = cell.fn
        T = Z[-1]
        zw = fn.first_values(self.W)
        tW = self.W[-1]
        dz = [Fraction(a, T) - Fraction(b, tW) for a, b in zip(Z[:-1], zw)]
        xf = np.array([float(Fraction(v, tW)) for v in self.W[:-1]]) + fn.pinv @ np.array([float(v) for v in dz])
        G = cell.gram
        gii = G[i][i]
        grp = self.group_of
        a = cell.row_lin(i)
        for bits in (60, 120):
            U = rounded_point(xf.tolist(), bits)
            if U is None:
                break
            v = cell.values_at(U)
            vi = v[i]
            if all(gii * v[j] - vi * G[j][i] < 0 for j in self.rows if grp[j] != i):
                return primitive([gii * x - vi * ak for x, ak in zip(U[:-1], a)] + [U[-1] * gii])
        flint = __import__("flint")
        den = math.lcm(*[q.denominator for q in dz])
        rhs = flint.fmpz_mat(len(dz), 1, [q.numerator * (den // q.denominator) for q in dz])
        mu = fn.G0.solve(rhs)                                   # fmpq_mat: G_0 mu = dz * den
        ents = [Fraction(int(q.p), int(q.q)) for q in mu.entries()]
        D = math.lcm(*[q.denominator for q in ents]) if ents else 1
        mi = [q.numerator * (D // q.denominator) for q in ents]
        shift = [int(v) for v in (fn.M0_lin.transpose() * flint.fmpz_mat(len(mi), 1, mi)).entries()]
        # y = W'/tW + shift / (den D)
        Y = primitive([w * den * D + tW * sh for w, sh in zip(self.W[:-1], shift)] + [tW * den * D])
        v = cell.values_at(Y)
        if v[i] != 0 or any(v[j] >= 0 for j in self.rows if grp[j] != i):   # pragma: no cover
            raise CertificateError("local search: the exact lift of a facet point is not on the facet")
        return Y

    def _dual_bound(self, i: int, duals: Any) -> Fraction | None:
        """``max over B of -L`` for the combination ``L = sum mu_j r_j + lambda r_i`` the duals give
        (``mu_j >= 0``; taken at their exact dyadic values), in integers; None without a ball
        unless the normal of ``L`` vanishes, or when no ``mu_j`` is positive."""
        mu: dict[int, Fraction] = {}
        for j, y in duals.items():
            if j == i:
                if y != 0.0:
                    mu[j] = Fraction(y)
            elif y > 0.0:
                mu[j] = Fraction(y)
        if not any(v > 0 for j, v in mu.items() if j != i):
            return None
        den = math.lcm(*[q.denominator for q in mu.values()])
        coef = [0] * self.cell.N
        for j, q in mu.items():
            coef[j] = q.numerator * (den // q.denominator)
        lin = self.cell.combination_lin(coef)                 # den * (normal of L)
        kap = self.cell.kappa
        const = sum(c * k for c, k in zip(coef, kap) if c)     # den * (constant of L)
        b = self.ball
        if not b.bounded:
            if any(lin):
                return None
            return Fraction(-const, den)
        C = b.C
        tC = C[-1]
        Lc = sum(a * x for a, x in zip(lin, C[:-1]) if a) + const * tC        # den tC L(c)
        dn = sum(abs(v) for v in lin) if b.norm == "linf" else max((abs(v) for v in lin), default=0)
        rn, rd = b.r.numerator, b.r.denominator
        return Fraction(-Lc * rd + rn * tC * dn, den * tC * rd)

    def _null_certificate(self, i: int, duals: Any) -> int | None:
        """Exact multipliers ``mu >= 0`` (not all zero) and ``lambda`` with ``sum mu_j a_j +
        lambda a_i = 0`` (a null vector of the Gram matrix of the rows the duals name), so that
        ``sum mu_j r_j = k`` is constant on ``H_i``: with ``k >= 0`` no point of ``H_i`` has every
        row strict, with ``k > 0`` none has every row ``<= 0``.  Returns the sign of ``k`` when it
        is ``>= 0``, else None (no certificate)."""
        S = [j for j in duals.support(1e-9) if j != i]       # by the LP's own (normalized) duals
        if not S:
            return None
        idx = S + [i]
        G = self.cell.gram
        sub = self.cell.fn.fmat([[G[a][b] for b in idx] for a in idx])
        X, nullity = sub.nullspace()
        if nullity != 1:
            return None
        v = [int(X[k, 0]) for k in range(len(idx))]
        if all(x <= 0 for x in v[:-1]):
            v = [-x for x in v]
        if any(x < 0 for x in v[:-1]) or not any(v[:-1]):
            return None
        coef = [0] * self.cell.N
        for j, x in zip(idx, v):
            coef[j] = x
        if any(self.cell.combination_lin(coef)):     # exact check of the null vector
            return None
        kap = self.cell.kappa
        k = sum(c * q for c, q in zip(coef, kap) if c)
        return None if k < 0 else (1 if k > 0 else 0)

    # --- exact simplex ------------------------------------------------------------------------------
    def _exact(self, i: int, touch: bool, cross: bool) -> tuple[str, Any]:
        """The exact simplex on ``max s`` s.t. ``r_i = 0``, ``r_j + s <= 0``, ``s <= 1``, ``y`` in
        the ball (for l1 with ``y = c + p - q``, ``p, q >= 0``, ``sum (p + q) <= rho``)."""
        st = self.stats
        st["exact_simplex"] = st.get("exact_simplex", 0) + 1
        cell = self.cell
        d = self.d
        b = self.ball
        kap = cell.kappa
        reps = [j for j in self.reps if j != i]
        lin = {} if self.zmode else {j: cell.row_lin(j) for j in reps + [i]}
        rows: list[tuple[int, ...]] = []
        if self.zmode:
            n0 = cell.fn.n0
            K = cell.kint
            for j in reps:
                rows.append(tuple(K[j]) + (1, cell.beta[j]))
            rows.append(tuple(K[i]) + (0, cell.beta[i]))
            rows.append(tuple(-v for v in K[i]) + (0, -cell.beta[i]))
            nvar = n0 + 1
        elif b.bounded and b.norm == "l1":
            # variables (p, q, s); y = c + p - q
            c = b.c
            for j in reps:
                a = lin[j]
                k0 = sum((Fraction(x) * y for x, y in zip(a, c)), Fraction(kap[j]))
                rows.append(integer_row([Fraction(x) for x in a] + [Fraction(-x) for x in a] + [Fraction(1), k0]))
            a = lin[i]
            k0 = sum((Fraction(x) * y for x, y in zip(a, c)), Fraction(kap[i]))
            rows.append(integer_row([Fraction(x) for x in a] + [Fraction(-x) for x in a] + [Fraction(0), k0]))
            rows.append(integer_row([Fraction(-x) for x in a] + [Fraction(x) for x in a] + [Fraction(0), -k0]))
            for k in range(2 * d):
                e = [Fraction(0)] * (2 * d + 2)
                e[k] = Fraction(-1)
                rows.append(integer_row(e))
            rows.append(integer_row([Fraction(1)] * (2 * d) + [Fraction(0), -b.r]))
            nvar = 2 * d + 1
        else:
            for j in reps:
                rows.append(tuple(lin[j]) + (1, kap[j]))
            rows.append(tuple(lin[i]) + (0, kap[i]))
            rows.append(tuple(-v for v in lin[i]) + (0, -kap[i]))
            if b.bounded:
                for k in range(d):
                    e = [Fraction(0)] * (d + 2)
                    e[k] = Fraction(1)
                    e[d + 1] = -b.c[k] - b.r
                    rows.append(integer_row(e))
                    e = [Fraction(0)] * (d + 2)
                    e[k] = Fraction(-1)
                    e[d + 1] = b.c[k] - b.r
                    rows.append(integer_row(e))
            nvar = d + 1
        top = [0] * (nvar + 1)
        top[nvar - 1] = 1
        top[nvar] = -1
        rows.append(tuple(top))                                     # s <= 1
        g = [0] * nvar
        g[nvar - 1] = 1
        res = exact_max(rows, g)
        if res[0] != "optimal":    # pragma: no cover - s <= 1 bounds the LP
            raise CertificateError("local search: the exact facet LP is unbounded")
        value, x = res[1], res[2]
        if value < 0:
            return "none", None
        if value == 0:
            return ("touch" if touch else "none"), None
        if not cross:
            return ("touch" if touch else "none"), None
        if self.zmode:
            Z = hom(tuple(x[:cell.fn.n0]))
            return "cross", (lambda: self._lift(i, Z))
        if b.bounded and b.norm == "l1":
            y = tuple(c + p - q for c, p, q in zip(b.c, x[:d], x[d:2 * d]))
        else:
            y = tuple(x[:d])
        Y = hom(y)
        if not b.bounded:
            return "cross", (lambda: Y)
        if b.dist(y) < b.r:
            return "cross", (lambda: Y)
        got = self._segment(i, Y, None)
        if got is None:    # pragma: no cover - the segment to the nearest point always works here
            raise CertificateError("local search: no facet point inside the ball on an exact segment")
        return "cross", got


class _FacetLP:
    """The float LP of a region's facets (HiGHS), one model per region: ``max s`` subject to
    ``r_j(y) + s <= 0`` for every group but the one asked about, which is set to ``r_i(y) = 0``."""

    def __init__(self, fs: FacetSearch):
        from ._float_lp import _quiet_highs

        import highspy

        self.fs = fs
        cell = fs.cell
        b = fs.ball
        d = fs.d
        self.reps = reps = fs.reps
        fn = cell.fn
        self.zmode = fs.zmode
        if self.zmode:
            # variables u: first-layer coordinates z = z_w + h u (rows r_j = K_j z + beta_j)
            tW = fs.W[-1]
            self.zwf = [_fdiv(v, tW) for v in fn.first_values(fs.W)]
            self.h = float(max(max((abs(v) for v in self.zwf), default=1.0), 1e-300))
            self.tW = tW
            lin = cell.k_float(reps) * self.h
            consts = np.array([_fdiv(fs.vW[j], tW) for j in reps])
            d = fn.n0
        elif b.bounded:
            F = cell.row_float(reps)                     # rows over (y, 1), float
            self.cf = np.array([float(v) for v in b.c])
            self.h = float(b.r)
            consts = np.array([_fdiv(fs.center_values()[j], b.C[-1]) for j in reps])
            lin = F[:, :d] * self.h
        else:
            F = cell.row_float(reps)
            self.cf = np.array([float(Fraction(v, fs.W[-1])) for v in fs.W[:-1]])
            self.h = 1.0
            consts = np.array([_fdiv(fs.vW[j], fs.W[-1]) for j in reps])
            lin = F[:, :d] * self.h
        self.nvar = d
        scale = np.max(np.abs(lin), axis=1)
        scale[~np.isfinite(scale) | (scale == 0)] = 1.0
        lin = lin / scale[:, None]
        consts = consts / scale
        self.scale = scale
        self.consts = consts
        self.l1 = b.bounded and b.norm == "l1"
        h = _quiet_highs()
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        nv = 2 * d if self.l1 else d
        if b.bounded and not self.zmode:
            lo, hi = (np.zeros(nv), np.ones(nv)) if self.l1 else (-np.ones(nv), np.ones(nv))
        else:
            lo, hi = np.full(nv, -_INF), np.full(nv, _INF)
        h.addVars(nv, lo, hi)
        h.addVars(1, np.array([-_INF]), np.array([1.0]))
        self.s_col = nv
        m = len(reps)
        cols = []
        vals = []
        starts = []
        for k in range(m):
            starts.append(len(cols))
            row = lin[k]
            nz = np.flatnonzero(row)
            cols.extend(nz.tolist())
            vals.extend(row[nz].tolist())
            if self.l1:
                cols.extend((nz + d).tolist())
                vals.extend((-row[nz]).tolist())
            cols.append(nv)
            vals.append(1.0)
        ub = np.where(np.isfinite(-consts), -consts, np.sign(-consts) * 1e19)
        h.addRows(m, np.full(m, -_INF), ub, len(cols), np.array(starts, dtype=np.int32),
                  np.array(cols, dtype=np.int32), np.array(vals, dtype=float))
        if self.l1:
            h.addRows(1, np.array([-_INF]), np.array([1.0]), nv, np.array([0], dtype=np.int32),
                      np.arange(nv, dtype=np.int32), np.ones(nv))
        h.changeColsCost(1, np.array([nv], dtype=np.int32), np.array([1.0]))
        self.h_model = h
        self.ub = ub
        self.kOptimal = highspy.HighsModelStatus.kOptimal

    def solve(self, i: int) -> tuple[Any, float, list[float], dict[int, float]] | None:
        h = self.h_model
        k = self.reps.index(i)
        h.changeRowBounds(k, self.ub[k], self.ub[k])
        h.changeCoeff(k, self.s_col, 0.0)
        try:
            h.run()
            status = h.getModelStatus()
            if status != self.kOptimal:        # a failed warm start (seen: kNotset): once more, cold
                h.clearSolver()
                h.run()
                status = h.getModelStatus()
            if status != self.kOptimal:
                return None
            sol = h.getSolution()
            x = list(sol.col_value)
            sval = x[self.s_col]
            return status, sval, x[:self.s_col], _Duals(sol.row_dual, self.reps, self.scale)
        finally:
            h.changeCoeff(k, self.s_col, 1.0)
            h.changeRowBounds(k, -_INF, self.ub[k])

    def to_y(self, u: Sequence[float]) -> list[float]:
        d = self.nvar
        if self.l1:
            uu = np.array(u[:d]) - np.array(u[d:2 * d])
        else:
            uu = np.array(u)
        return (self.cf + self.h * uu).tolist()


class _Duals:
    """The LP's row duals as multipliers of the exact rows, ``{row: value}`` made on first use."""

    def __init__(self, row_dual: Any, reps: Sequence[int], scale: Any):
        self._raw = (row_dual, reps, scale)
        self._d: dict[int, float] | None = None

    def _get(self) -> dict[int, float]:
        if self._d is None:
            rd, reps, scale = self._raw
            out = {}
            for kk, j in enumerate(reps):
                y = rd[kk]
                if y != 0.0 and math.isfinite(y):
                    out[j] = y / scale[kk]
            self._d = out
        return self._d

    def items(self) -> Any:
        return self._get().items()

    def support(self, tol: float) -> list[int]:
        """The rows whose normalized dual is positive and above ``tol`` times the largest."""
        rd, reps, _ = self._raw
        vals = [rd[k] for k in range(len(reps))]
        top = max((abs(v) for v in vals if math.isfinite(v)), default=0.0)
        if not top > 0:
            return []
        return [j for k, j in enumerate(reps) if math.isfinite(vals[k]) and vals[k] > tol * top]

    def values(self) -> Any:
        return self._get().values()


def _fdiv(a: int, b: int) -> float:
    try:
        return a / b
    except OverflowError:
        return _INF if (a > 0) == (b > 0) else -_INF
