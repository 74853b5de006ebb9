r"""A ReLU network as a difference of two convex max-affine functions (tropical ``F - G``).

Zhang, Naitzat and Lim (2018) observe that a ReLU network is a tropical
rational function: ``f = F - G`` with ``F`` and ``G`` tropical polynomials,
that is, maxima of finitely many affine functions.  :func:`tropical_decomposition`
computes such ``F`` and ``G`` exactly for a given network with one output,
by the layer recursion below (derived here and checked exactly; the paper
states the representation, not this recursion).

Recursion
---------
Each input coordinate of a layer is ``F_i - G_i`` with ``F_i``, ``G_i``
convex (at the input, ``F_i = x_i`` and ``G_i = 0``).  Split the weights as
``W = W+ - W-`` with ``W+ = max(W, 0)`` and ``W- = max(-W, 0)``.  Then

.. math::

    z = W(F - G) + b = \underbrace{(W^+ F + W^- G + b)}_{P}
        - \underbrace{(W^+ G + W^- F)}_{N},\qquad
    \mathrm{relu}(z) = \max(P, N) - N,

so the layer's outputs are ``F' = max(P, N)`` and ``G' = N``; the output
layer (no ReLU) gives ``F = P``, ``G = N``.  Nonnegative combinations and
maxima of convex functions are convex.

Arithmetic on max-affine functions
----------------------------------
A max-affine function is a finite set of terms ``(a, c)`` meaning
``x -> max (a . x + c)``.  A nonnegative multiple scales every term (a zero
multiple gives the single term ``(0, 0)``); a sum of maxima is the maximum
over all sums of one term from each (a Minkowski sum of the term sets); a
maximum of maxima is the union.  All of it is exact (``Fraction``).

Pruning (exact: the pruned function equals the unpruned one everywhere)
----------------------------------------------------------------------
* **1-D** (``n0 = 1``): only the vertices of the *upper hull* of the points
  ``(slope, intercept)`` are kept.  A term attains the maximum on an open
  interval iff its point maximises ``(x, 1) . (a, c)`` strictly for some ``x``,
  i.e. iff it is a vertex of the upper hull; every other term lies below a
  convex combination of vertices and never exceeds their maximum.  Sums are
  formed by merging the hull edges by slope (the upper hull of a Minkowski sum
  of two upper hulls), so a sum of hulls with ``p`` and ``q`` vertices costs
  ``O(p + q)``.  After pruning, the number of terms of ``F`` (and ``G``) is the
  number of affine pieces of ``F`` (of ``G``) on R.
* **d >= 2**: only exact duplicates and terms dominated in the obvious sense
  (the same gradient and a smaller or equal intercept: ``a . x + c <= a . x + c'``
  everywhere) are dropped.  Terms that never attain the maximum for another
  reason (below the upper hull of the lifted Newton polytope) are **kept**:
  detecting them needs an exact linear program per term, which is not done
  here.  The term counts in ``d >= 2`` are therefore upper bounds on the
  number of pieces of ``F`` and ``G``, not the counts themselves.  Sums form
  every combination, so the number of terms can grow multiplicatively; it is
  capped by ``max_terms``.

References
----------
L. Zhang, G. Naitzat, L.-H. Lim, *Tropical geometry of deep neural networks*,
ICML 2018 (arXiv:1805.07091).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from cpa.errors import EnumerationLimitError, ShapeError
from cpa.network import ReLUNetwork
from cpa.numbers import ZERO
from cpa.specs import MaxAffine

__all__ = ["tropical_decomposition", "upper_hull_terms"]

Term = tuple[tuple[Fraction, ...], Fraction]


def tropical_decomposition(net: ReLUNetwork, max_terms: int = 20000) -> tuple[MaxAffine, MaxAffine]:
    """Convex ``F`` and ``G`` (max-affine) with ``net(x) = F(x) - G(x)`` for every ``x``, exactly.

    Parameters
    ----------
    net
        A network with exactly one output (any input dimension, any depth).
    max_terms
        Largest number of terms any intermediate max-affine function may have
        (in ``d >= 2``, also the largest number of combinations formed in one
        sum before pruning).

    Returns
    -------
    (F, G) : tuple of MaxAffine
        ``F(x) = max_i (F.A[i] . x + F.b[i])`` and likewise ``G``; terms sorted
        by slope then intercept.  In 1-D each term is a vertex of the upper
        hull, so ``F.num_maps`` is the number of affine pieces of ``F`` on R.

    Raises
    ------
    ShapeError
        If the network does not have exactly one output.
    EnumerationLimitError
        If an intermediate function would need more than ``max_terms`` terms.

    Notes
    -----
    The recursion of the module docstring: ``F' = max(P, N)``,
    ``G' = N`` with ``P = W+ F + W- G + b`` and ``N = W+ G + W- F``.  In 1-D the
    term sets are pruned to their upper hulls (exact); in ``d >= 2`` only
    duplicates and same-gradient dominated terms are removed, so terms that never
    attain the maximum may remain.

    References
    ----------
    Zhang, Naitzat, Lim, *Tropical geometry of deep neural networks*, ICML 2018
    (a ReLU network is a tropical rational function).

    Examples
    --------
    >>> from constructions import abs_net
    >>> F, G = tropical_decomposition(abs_net())   # |x| = relu(x) + relu(-x) = max(0, 2x) - x
    >>> [(a[0], c) for a, c in zip(F.A, F.b)], [(a[0], c) for a, c in zip(G.A, G.b)]
    ([(Fraction(0, 1), Fraction(0, 1)), (Fraction(2, 1), Fraction(0, 1))], [(Fraction(1, 1), Fraction(0, 1))])
    """
    if net.output_dim != 1:
        raise ShapeError(f"tropical_decomposition needs a network with one output, got {net.output_dim}")
    d = net.input_dim
    ops = _Ops(d, max_terms)
    zero = ops.const(ZERO)
    F = [ops.prune([(tuple(Fraction(int(j == i)) for j in range(d)), ZERO)]) for i in range(d)]
    G = [zero for _ in range(d)]
    layers = net.layers
    for k, (W, b) in enumerate(layers):
        last = k == len(layers) - 1
        newF, newG = [], []
        for row, bj in zip(W, b):
            P, N = ops.const(bj), zero
            for w, Fi, Gi in zip(row, F, G):
                if w > 0:
                    P, N = ops.add(P, ops.scale(Fi, w)), ops.add(N, ops.scale(Gi, w))
                elif w < 0:
                    P, N = ops.add(P, ops.scale(Gi, -w)), ops.add(N, ops.scale(Fi, -w))
            newF.append(P if last else ops.union(P, N))
            newG.append(N)
        F, G = newF, newG
    return _spec(F[0]), _spec(G[0])


def upper_hull_terms(terms: Sequence[tuple[Fraction, Fraction]]) -> list[tuple[Fraction, Fraction]]:
    """The vertices of the upper convex hull of points ``(a, c)``, by increasing ``a``.

    These are exactly the lines ``x -> a x + c`` that attain ``max_i (a_i x + c_i)``
    on an open interval of R (collinear middle points and lower points with
    the same slope are dropped).  Exact (monotone chain on Fractions).

    Examples
    --------
    >>> upper_hull_terms([(0, 0), (1, 0), (2, 0), (1, -1)])
    [(0, 0), (2, 0)]
    """
    pts = sorted(set(terms))
    best: list[tuple[Fraction, Fraction]] = []
    for a, c in pts:  # sorted by (a, c): the last point of each slope has the largest intercept
        if best and best[-1][0] == a:
            best[-1] = (a, c)
        else:
            best.append((a, c))
    hull: list[tuple[Fraction, Fraction]] = []
    for p in best:
        while len(hull) >= 2 and _cross(hull[-2], hull[-1], p) >= 0:
            hull.pop()
        hull.append(p)
    return hull


# --- private -------------------------------------------------------------------------

def _cross(o: tuple[Fraction, Fraction], p: tuple[Fraction, Fraction], q: tuple[Fraction, Fraction]) -> Fraction:
    """``(p - o) x (q - o)``: negative for a right (clockwise) turn."""
    return (p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0])


class _Ops:
    """Exact max-affine arithmetic in dimension ``d`` with pruning and a size cap."""

    def __init__(self, d: int, max_terms: int):
        self.d = d
        self.max_terms = max_terms

    def const(self, c: Fraction) -> tuple[Term, ...]:
        return ((tuple(ZERO for _ in range(self.d)), Fraction(c)),)

    def scale(self, T: tuple[Term, ...], w: Fraction) -> tuple[Term, ...]:
        return tuple((tuple(w * v for v in a), w * c) for a, c in T)  # w > 0 keeps the order and the hull

    def union(self, S: tuple[Term, ...], T: tuple[Term, ...]) -> tuple[Term, ...]:
        return self.prune(list(S) + list(T))

    def add(self, S: tuple[Term, ...], T: tuple[Term, ...]) -> tuple[Term, ...]:
        if len(S) == 1 or len(T) == 1:  # adding an affine function shifts every term
            (a, c), many = (S[0], T) if len(S) == 1 else (T[0], S)
            return tuple((tuple(x + y for x, y in zip(a, a2)), c + c2) for a2, c2 in many)
        if self.d == 1:
            return self._check(_hull_sum(S, T))
        if len(S) * len(T) > self.max_terms:
            raise EnumerationLimitError(
                f"tropical_decomposition: a sum of max-affine functions with {len(S)} and {len(T)} terms "
                f"needs {len(S) * len(T)} combinations, above max_terms = {self.max_terms}")
        return self.prune([(tuple(x + y for x, y in zip(a, a2)), c + c2) for a, c in S for a2, c2 in T])

    def prune(self, terms: list[Term]) -> tuple[Term, ...]:
        if self.d == 1:
            hull = upper_hull_terms([(a[0], c) for a, c in terms])
            return self._check(tuple(((a,), c) for a, c in hull))
        best: dict[tuple[Fraction, ...], Fraction] = {}
        for a, c in terms:  # same gradient: keep the largest intercept (drops duplicates too)
            if a not in best or c > best[a]:
                best[a] = c
        return self._check(tuple(sorted(best.items())))

    def _check(self, T: tuple[Term, ...]) -> tuple[Term, ...]:
        if len(T) > self.max_terms:
            raise EnumerationLimitError(f"tropical_decomposition: {len(T)} terms, above max_terms = {self.max_terms}")
        return T


def _hull_sum(S: tuple[Term, ...], T: tuple[Term, ...]) -> tuple[Term, ...]:
    """Upper hull of the Minkowski sum of two 1-D upper hulls (terms sorted by slope): merge the edges.

    Along an upper hull the edge directions ``(da, dc)`` (``da > 0``) have
    decreasing ratio ``dc / da``; the sum's hull starts at the sum of the two
    leftmost vertices and takes the edges of both in that order (edges of
    equal ratio are taken together, so no collinear vertex appears).
    """
    def edges(H: tuple[Term, ...]) -> list[tuple[Fraction, Fraction]]:
        return [(H[i + 1][0][0] - H[i][0][0], H[i + 1][1] - H[i][1]) for i in range(len(H) - 1)]

    es, et = edges(S), edges(T)
    a, c = S[0][0][0] + T[0][0][0], S[0][1] + T[0][1]
    out: list[Term] = [((a,), c)]
    i = j = 0
    while i < len(es) or j < len(et):
        if j == len(et) or (i < len(es) and es[i][1] * et[j][0] > et[j][1] * es[i][0]):
            da, dc = es[i]
            i += 1
        elif i == len(es) or es[i][1] * et[j][0] < et[j][1] * es[i][0]:
            da, dc = et[j]
            j += 1
        else:  # equal ratios: one edge
            da, dc = es[i][0] + et[j][0], es[i][1] + et[j][1]
            i += 1
            j += 1
        a, c = a + da, c + dc
        out.append(((a,), c))
    return tuple(out)


def _spec(T: tuple[Term, ...]) -> MaxAffine:
    return MaxAffine([list(a) for a, _ in T], [c for _, c in T])
