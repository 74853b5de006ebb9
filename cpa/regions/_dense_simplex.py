"""A dense primal simplex for small LPs in inequality form, compiled with numba.

``maximise c . u  subject to  G u <= h``, ``u`` in ``R^d`` free, the rows
``0 .. m-1`` of ``G`` (rows with ``h = inf`` are no constraint), started from a
point ``u0`` with ``G u0 <= h`` (an interior point of the cell).  Floating point
throughout: the LP region engine certifies every answer exactly
(:mod:`cpa.regions._float_lp`).

Notes
-----
*Crash to a vertex.*  With ``T`` the constraints met so far (independent rows)
and ``N`` an orthonormal basis of their null space, move from ``u`` along
``p = N N^T c`` (or along a column of ``N`` when ``c`` is orthogonal to it, the
objective then being constant on the face) until a row ``i`` blocks:
``t = min (h_i - g_i . u) / (g_i . p)`` over ``g_i . p > 0``.  Add ``i`` to
``T`` and take out of ``N`` the direction of ``N^T g_i`` by a Householder
reflection.  After ``d`` steps ``u`` is a vertex with ``c . u >= c . u0``; no
blocking row in a gaining direction proves the LP unbounded (ray ``p``); no
blocking row either way along a direction of zero gain means the cell has
no vertex (it contains a line), and the solve gives up.

*Pivots.*  At a vertex with basis ``B`` (``d`` tight rows, ``A_B u = h_B``),
the multipliers are ``lam = A_B^{-T} c``; all ``>= 0`` is optimality (the
duals of the rows of ``B``; every other row's dual is 0).  Else row ``j`` of
``B`` with ``lam_j < 0`` leaves (most negative; Bland's smallest index after
``d`` degenerate pivots in a row, which cannot cycle), the step is
``dir = -A_B^{-1} e_j`` and the ratio test picks the entering row; none is an
unbounded ray ``dir``.  The inverse is updated by Sherman-Morrison (replacing
row ``j`` of ``A_B`` by ``g``:
``A'^{-1} = A^{-1} - A^{-1} e_j (g^T A^{-1} - e_j^T) / (g . A^{-1} e_j)``)
and refactored by Gauss-Jordan every 32 pivots and at the end, where the
vertex is recomputed as ``A_B^{-1} h_B``.

References
----------
G. B. Dantzig, *Linear programming and extensions*, Princeton (1963).
R. G. Bland, *New finite pivoting rules for the simplex method*, Mathematics
of Operations Research 2 (1977), 103-107.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["simplex"]

_OPTIMAL, _UNBOUNDED, _FAILED = 0, 1, 2


@njit(cache=True, nogil=True)
def _invert(A, Binv):  # pragma: no cover - compiled
    """Gauss-Jordan with partial pivoting: ``Binv = A^{-1}``; False if (nearly) singular."""
    d = A.shape[0]
    M = np.empty((d, 2 * d))
    for i in range(d):
        for k in range(d):
            M[i, k] = A[i, k]
            M[i, d + k] = 1.0 if i == k else 0.0
    for col in range(d):
        piv = col
        best = abs(M[col, col])
        for i in range(col + 1, d):
            v = abs(M[i, col])
            if v > best:
                best = v
                piv = i
        if best < 1e-13:
            return False
        if piv != col:
            for k in range(2 * d):
                t = M[col, k]
                M[col, k] = M[piv, k]
                M[piv, k] = t
        inv = 1.0 / M[col, col]
        for k in range(2 * d):
            M[col, k] *= inv
        for i in range(d):
            if i != col:
                f = M[i, col]
                if f != 0.0:
                    for k in range(2 * d):
                        M[i, k] -= f * M[col, k]
    for i in range(d):
        for k in range(d):
            Binv[i, k] = M[i, d + k]
    return True


@njit(cache=True, nogil=True)
def _refactor(G, h, B, Binv, u):  # pragma: no cover - compiled
    """``Binv = A_B^{-1}`` and ``u = A_B^{-1} h_B``; False if the basis is singular."""
    d = B.shape[0]
    A = np.empty((d, d))
    for j in range(d):
        for k in range(d):
            A[j, k] = G[B[j], k]
    if not _invert(A, Binv):
        return False
    for k in range(d):
        s = 0.0
        for j in range(d):
            s += Binv[k, j] * h[B[j]]
        u[k] = s
    return True


@njit(cache=True, nogil=True)
def _ratio(G, h, m, u, p, skip, bland):  # pragma: no cover - compiled
    """The blocking row along ``p`` from ``u`` (``-1`` if none) and its step; rows flagged in
    ``skip`` are not candidates."""
    d = G.shape[1]
    pn = 0.0
    for k in range(d):
        pn = max(pn, abs(p[k]))
    tol = 1e-9 * pn
    best = -1
    tbest = np.inf
    gbest = 0.0
    for i in range(m):
        if skip[i] or h[i] == np.inf:
            continue
        gp = 0.0
        for k in range(d):
            gp += G[i, k] * p[k]
        if gp <= tol:
            continue
        s = h[i]
        for k in range(d):
            s -= G[i, k] * u[k]
        if s < 0.0:
            s = 0.0
        t = s / gp
        if best < 0 or t < tbest * (1.0 - 1e-12) - 1e-300:
            best, tbest, gbest = i, t, gp
        elif t <= tbest * (1.0 + 1e-12) + 1e-300 and not bland and gp > gbest:
            best, tbest, gbest = i, min(t, tbest), gp      # a tie: the steeper row is the stabler pivot
    return best, tbest


@njit(cache=True, nogil=True)
def _tmatvec(M, ncol, v, out):  # pragma: no cover - compiled
    """``out[:ncol] = M[:, :ncol]^T v``; the largest ``|out_j|``."""
    big = 0.0
    for j in range(ncol):
        s = 0.0
        for k in range(M.shape[0]):
            s += M[k, j] * v[k]
        out[j] = s
        big = max(big, abs(s))
    return big


@njit(cache=True, nogil=True)
def simplex(G, h, m, c, u0, x, lam, basis, ray):  # pragma: no cover - compiled
    """Maximise ``c . u`` over ``G[:m] u <= h[:m]`` from the feasible point ``u0``.

    Returns 0 (optimal: ``x`` the vertex, ``basis`` its ``d`` tight rows and ``lam`` their
    nonnegative duals), 1 (unbounded: ``ray`` with ``G ray <= 0`` and ``c . ray > 0``, in
    floats) or 2 (gave up: no vertex, a singular basis, infeasible start or the pivot limit).
    """
    d = G.shape[1]
    u = u0.copy()
    skip = np.zeros(m, dtype=np.bool_)
    for i in range(m):            # the start must be feasible (up to rounding)
        if h[i] == np.inf:
            continue
        s = h[i]
        sc = abs(h[i])
        for k in range(d):
            s -= G[i, k] * u[k]
            sc += abs(G[i, k] * u[k])
        if s < -1e-9 * (1.0 + sc):
            return _FAILED
    # --- crash: from u0 to a vertex, the objective never decreasing ---
    N = np.eye(d)
    ncol = d
    B = np.empty(d, dtype=np.int64)
    p = np.empty(d)
    w = np.empty(d)
    cn = 0.0
    for k in range(d):
        cn = max(cn, abs(c[k]))
    for step in range(d):
        _tmatvec(N, ncol, c, w)
        pn = 0.0
        for k in range(d):
            s = 0.0
            for j in range(ncol):
                s += N[k, j] * w[j]
            p[k] = s
            pn = max(pn, abs(s))
        gain = pn > 1e-12 * cn
        if not gain:
            for k in range(d):
                p[k] = N[k, 0]
        r, t = _ratio(G, h, m, u, p, skip, False)
        if r < 0:
            if gain:
                for k in range(d):
                    ray[k] = p[k]
                return _UNBOUNDED
            for k in range(d):
                p[k] = -p[k]
            r, t = _ratio(G, h, m, u, p, skip, False)
            if r < 0:
                return _FAILED          # a line in the cell: no vertex
        for k in range(d):
            u[k] += t * p[k]
        B[step] = r
        skip[r] = True
        # null space of the rows met: reflect N^T g onto the first axis and drop that column
        _tmatvec(N, ncol, G[r], w)
        nv = 0.0
        for j in range(ncol):
            nv += w[j] * w[j]
        nv = np.sqrt(nv)
        if nv == 0.0:
            return _FAILED
        w[0] += nv if w[0] >= 0.0 else -nv
        vv = 0.0
        for j in range(ncol):
            vv += w[j] * w[j]
        for k in range(d):
            s = 0.0
            for j in range(ncol):
                s += N[k, j] * w[j]
            f = 2.0 * s / vv
            for j in range(ncol):
                N[k, j] -= f * w[j]
        for k in range(d):
            for j in range(ncol - 1):
                N[k, j] = N[k, j + 1]
        ncol -= 1
    # --- pivots ---
    Binv = np.empty((d, d))
    if not _refactor(G, h, B, Binv, u):
        return _FAILED
    dirv = np.empty(d)
    degenerate = 0
    bland = False
    since = 0
    limit = 20 * (m + d) + 100
    for it in range(limit):
        lmin = 0.0
        jl = -1
        lmax = _tmatvec(Binv, d, c, lam)
        tol = 1e-11 * max(lmax, cn)
        for j in range(d):
            if lam[j] < -tol:
                if bland:
                    if jl < 0 or B[j] < B[jl]:
                        jl = j
                elif lam[j] < lmin:
                    lmin = lam[j]
                    jl = j
        if jl < 0:
            if since:
                if not _refactor(G, h, B, Binv, u):
                    return _FAILED
                _tmatvec(Binv, d, c, lam)
            for j in range(d):
                x[j] = u[j]
                basis[j] = B[j]
                if lam[j] < 0.0:
                    lam[j] = 0.0
            return _OPTIMAL
        for k in range(d):
            dirv[k] = -Binv[k, jl]
        r, t = _ratio(G, h, m, u, dirv, skip, bland)
        if r < 0:
            for k in range(d):
                ray[k] = dirv[k]
            return _UNBOUNDED
        for k in range(d):
            u[k] += t * dirv[k]
        if t <= 1e-13:
            degenerate += 1
            if degenerate > d:
                bland = True
        else:
            degenerate = 0
        # Sherman-Morrison: row jl of A_B becomes g = G[r]
        gcol = 0.0
        for k in range(d):
            gcol -= G[r, k] * dirv[k]          # g . A^{-1} e_jl
        if abs(gcol) < 1e-14:
            return _FAILED
        _tmatvec(Binv, d, G[r], w)
        w[jl] -= 1.0
        for k in range(d):
            f = -dirv[k] / gcol
            for j in range(d):
                Binv[k, j] -= f * w[j]
        skip[B[jl]] = False
        B[jl] = r
        skip[r] = True
        since += 1
        if since >= 32:
            since = 0
            if not _refactor(G, h, B, Binv, u):
                return _FAILED
    return _FAILED
