"""Any CPA function as a signed sum of maxima of at most n+1 affine maps, exactly.

For a CPA function ``f`` on a convex domain ``D`` of R^n (a validated
:class:`~cpa.pieces.Pieces` spec), :func:`decompose` computes, in rationals,

    f(x) = a . x + c + sum_i s_i max(l_{i,0}(x), ..., l_{i,k_i}(x))   for x in D,

with ``1 <= k_i <= n`` and rational ``s_i`` (Wang and Sun 2005, Thm 1; the
representation behind Arora et al. 2018, Thm 2.1).  Each maximum is then one
network of :func:`~cpa.compiler.shallow_max.shallow_max` depth, and the sum runs
them in parallel (:func:`decomposition_to_network`).

Method (two exact steps).

1. **Difference of convex functions.**  With every facet hyperplane
   ``H_k = {l_k = 0}`` of the pieces, ``l_k(x) = a_k . x - beta_k``, ``f`` is
   affine on each cell of the arrangement of the ``H_k`` in ``D``.  Across a cell
   facet in ``H_k``, from ``l_k < 0`` to ``l_k > 0``, the gradient jumps by
   ``mu a_k`` (``f`` is continuous).  With ``C_k = max(0, max(-mu))/2`` over the
   facets in ``H_k``, ``h = sum_k C_k |l_k|`` is convex and ``g = f + h`` has a
   nonnegative jump across every facet, so ``g`` is convex on ``D`` (convex on
   every generic line) and equals the max of its cell maps there.  Hence
   ``f = max_j g_j - sum_k C_k max(l_k, -l_k)``: the ``h`` part already is a sum
   of maxima of two maps.

2. **A max of m maps as maxima of at most n+1 of them** (:func:`max_decomposition`).
   Lift ``l_i(x) = c_i . x + d_i`` to ``p_i = (c_i, d_i)`` in R^{n+1} and let
   ``P = conv(p_i)``; then ``max_i l_i(x)`` is the support function
   ``h_P(x, 1)``.  Support functions are valuations (``h_{K u L} + h_{K n L} =
   h_K + h_L`` when ``K u L`` is convex), so by Groemer's extension theorem they
   follow the Euler relation of any triangulation ``T`` of a ``k``-dimensional
   polytope: ``[P] = sum_{tau in T, tau not in the boundary} (-1)^(k - dim tau) [tau]``,
   and ``h_P = sum (-1)^(k - dim tau) h_tau`` with ``h_tau(x, 1)`` the max of the
   maps at the vertices of ``tau``.

   * If ``dim P = k <= n`` the simplices of a triangulation of ``P`` have at most
     ``n + 1`` vertices: done.
   * If ``dim P = n + 1`` only the *upper* boundary of ``P`` (facets with outer
     normal of positive last coordinate) matters: ``h_P(x, 1) = max_{y in Q}
     (x . y + L(y))`` with ``Q = conv(c_i)`` and ``L`` the concave upper hull.
     The upper boundary facets of a triangulation of ``P`` project to a
     triangulation ``T'`` of ``Q`` on whose simplices ``L`` is affine, and the
     hypographs of ``L`` over convex subsets of ``Q`` are convex, so the same
     Euler relation in ``Q`` (dimension ``n``) gives
     ``max_i l_i = sum_{sigma in T', sigma not in the boundary of Q} (-1)^(n - dim sigma) max_{i in sigma} l_i``,
     each ``sigma`` with at most ``n + 1`` vertices.

   The triangulation is the placing (beneath-beyond) triangulation, with every
   orientation decided by an exact determinant; points on a facet's hyperplane
   are not beyond it, so ties and repeated or lower-dimensional configurations
   are handled exactly.

Two reductions keep the count down, both exact.  Step 1 is run on ``f`` and on
``-f`` (``f = h' - g'`` with ``g' = -f + h'``, the hinges ``h'`` on the *convex* kinks
of ``f``) from one arrangement, and the split whose ``g`` has fewer maps is kept: a
network whose kinks are mostly convex needs few hinges for ``-f`` (on R^3, a random
``[4, 3]`` network with 26 pieces: 246 maps in ``g`` for ``f``, 12 for ``-f``).  And
maxima equal up to a positive multiple and a translate are merged: with ``m`` the
lexicographically least map of ``S`` and ``t > 0`` the first nonzero entry of the
largest ``l - m``, ``max(S) = m + t max((S - m)/t)``, the shift goes to the affine
part and the normalised set is the key; terms whose coefficients cancel are dropped
(:attr:`Decomposition.raw_terms` counts the terms before).  The arrangement
and triangulation steps are ours in their details (the statement is Wang and
Sun's; Hertrich et al. 2023 reduce a max of many maps to maxima of ``n + 1`` by
a polyhedral argument of the same kind), and every compiled result is proved
equal to the spec by :mod:`cpa.compiler.check`.

References
----------
S. Wang, X. Sun, *Generalization of hinging hyperplanes*, IEEE Trans. Inf. Theory
51(12) (2005) 4425-4431.
R. Arora, A. Basu, P. Mianjy, A. Mukherjee, *Understanding deep neural networks with
rectified linear units*, ICLR 2018 (arXiv:1611.01491), Thm 2.1.
C. Hertrich, A. Basu, M. Di Summa, M. Skutella, *Towards lower bounds on the depth of
ReLU neural networks*, NeurIPS 2021; SIAM J. Discrete Math. 37 (2023).
E. Bakaev, F. Brunck, C. Hertrich, J. Stade, A. Yehudayoff, *Better neural network
expressivity: subdividing the simplex*, arXiv:2505.14338 (2025).
H. Groemer, *On the extension of additive functionals on classes of convex sets*,
Pacific J. Math. 75 (1978) 397-410.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any, Sequence

from ..calculus import affine_network, compose, linear_combination
from ..errors import SpecError
from ..network import ReLUNetwork
from ..numbers import ZERO
from ..simplicial import _det
from .shallow_max import log3_bound, shallow_max, shallow_max_depth

__all__ = ["Decomposition", "decompose", "max_decomposition", "decomposition_to_network", "cpa_depth"]

Map = tuple[tuple[Fraction, ...], Fraction]


@dataclass(frozen=True)
class Decomposition:
    """``f(x) = affine(x) + sum_i coef_i * max(maps_i)`` on the spec's domain (see the module docstring).

    Attributes
    ----------
    input_dim
        ``n``.
    terms
        ``(coef, maps)`` pairs, each ``maps`` a tuple of 2 to ``n + 1`` distinct affine maps
        ``(c, d)`` meaning ``c . x + d``, normalised (the zero map is one of them); no two
        terms' map sets are positive multiples or translates of each other.
    affine
        The affine part ``(a, c)`` (the sum of the one-map terms).
    raw_terms
        The number of terms before equal maxima were merged and cancelling ones dropped.
    convex_maps
        The number of distinct maps of the convex part ``g``.
    hinges
        The number of terms ``C_k |l_k|`` of the convex part ``h``.
    """

    input_dim: int
    terms: tuple[tuple[Fraction, tuple[Map, ...]], ...]
    affine: Map
    raw_terms: int
    convex_maps: int
    hinges: int

    @property
    def num_terms(self) -> int:
        """The number of maxima (of at least two maps) after merging."""
        return len(self.terms)

    @property
    def max_arity(self) -> int:
        """The largest number of maps in one maximum (1 if there is none)."""
        return max((len(m) for _, m in self.terms), default=1)

    def __call__(self, x: Sequence[Any]) -> Fraction:
        """The value of the decomposition at ``x`` (exact)."""
        v = [Fraction(t) for t in x]
        a, c = self.affine
        total = _dot(a, v) + c
        for coef, maps in self.terms:
            total += coef * max(_dot(m, v) + d for m, d in maps)
        return total


def cpa_depth(n: int) -> int:
    """The number of hidden layers :func:`decomposition_to_network` promises on R^n.

    Parameters
    ----------
    n
        The input dimension, at least 1.

    Returns
    -------
    int
        ``shallow_max_depth(n + 1) = ceil(log3((n + 1) / 2)) + 1``: 1 for ``n = 1``,
        2 for ``n = 2..5``, 3 for ``n = 6..17``; at most the ``ceil(log3(n - 1)) + 1``
        of Bakaev et al. 2025 for ``n >= 3`` (see
        :func:`~cpa.compiler.shallow_max.shallow_max_depth`).

    Notes
    -----
    The paper's ``ceil(log3(n - 1)) + 1`` is the max-of-``(n + 1)`` bound
    ``ceil(log3((n + 1) - 2)) + 1``, meaningful for ``n + 1 >= 4``: for ``n = 2`` it
    would say 1, but ``max(0, x_1, x_2)`` needs 2 hidden layers (Hertrich et al. 2023).
    """
    if n < 1:
        raise SpecError(f"input dimension must be at least 1, got {n}")
    return shallow_max_depth(n + 1)


def max_decomposition(maps: Sequence[Map]) -> list[tuple[int, tuple[int, ...]]]:
    """``max_i l_i = sum_j s_j max_{i in S_j} l_i`` on all of R^n, with ``|S_j| <= n + 1``, exactly.

    Parameters
    ----------
    maps
        The affine maps ``(c_i, d_i)`` (``l_i(x) = c_i . x + d_i``), pairwise distinct, all
        with ``n`` coefficients.

    Returns
    -------
    list of (int, tuple of int)
        ``(s_j, S_j)`` with ``s_j = +-1`` and ``S_j`` indices into ``maps`` (sorted); the sets
        are distinct.

    Raises
    ------
    SpecError
        If ``maps`` is empty or holds a map twice.

    Notes
    -----
    The Euler relation of a placing triangulation of the Newton polytope, restricted to
    its upper boundary when it is full-dimensional (module docstring, step 2; Wang and
    Sun 2005, Thm 1).

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> max_decomposition([((F(-1),), F(0)), ((F(0),), F(1)), ((F(1),), F(0))])
    [(-1, (1,)), (1, (0, 1)), (1, (1, 2))]
    """
    if not maps:
        raise SpecError("a max of no maps")
    if len(set(maps)) != len(maps):
        raise SpecError("max_decomposition: a map is given twice")
    pts = [tuple(c) + (d,) for c, d in maps]
    first, cols = _affine_basis(pts)
    k = len(first) - 1
    full = k == len(pts[0])
    local = pts if full else [tuple(p[j] for j in cols) for p in pts]
    simplices, boundary = _placing(local, first)
    if full:
        n = k - 1
        cells = [F for F, opp in boundary.items() if _upper(pts, sorted(F), opp)]
    else:
        n, cells = k, simplices
    counts: dict[frozenset[int], int] = {}
    for S in cells:
        for F in combinations(sorted(S), n):
            counts[frozenset(F)] = counts.get(frozenset(F), 0) + 1
    rim = [F for F, c in counts.items() if c == 1] if n else []
    out: dict[frozenset[int], int] = {}
    for S in cells:
        for r in range(1, len(S) + 1):
            for tau in combinations(sorted(S), r):
                t = frozenset(tau)
                if t not in out and not any(t <= F for F in rim):
                    out[t] = (-1) ** (n - (r - 1))
    return sorted(((s, tuple(sorted(t))) for t, s in out.items()), key=lambda st: (len(st[1]), st[1]))


def decompose(spec: Any) -> Decomposition:
    """The signed sum of maxima of at most ``n + 1`` affine maps equal to a :class:`~cpa.pieces.Pieces` spec.

    Parameters
    ----------
    spec
        A validated :class:`~cpa.pieces.Pieces` spec on R^n or on a box or polyhedron.

    Returns
    -------
    Decomposition
        Equal to ``spec`` on its domain (cached per spec object).

    Raises
    ------
    SpecError
        If ``spec`` is not a :class:`~cpa.pieces.Pieces`.

    Notes
    -----
    Step 1 (difference of convex functions on the facet arrangement) then step 2
    (:func:`max_decomposition` of the convex part) of the module docstring; the
    number of terms grows with the number of cells of the arrangement.

    References
    ----------
    Wang and Sun 2005, Thm 1; Arora et al. 2018, Thm 2.1 (see the module docstring).

    Examples
    --------
    >>> from cpa import Pieces
    >>> f = Pieces([([[1]], [0], [0], 0), ([[-1]], [0], [1], 0)])   # max(0, x)
    >>> dec = decompose(f)
    >>> dec.num_terms, dec([3]), dec([-2])
    (1, Fraction(3, 1), Fraction(0, 1))
    """
    from ..pieces import Pieces

    if not isinstance(spec, Pieces):
        raise SpecError(f"decompose needs a Pieces spec, got {type(spec).__name__}")
    hit = _CACHE.get(spec)
    if hit is not None:
        return hit
    n = spec.input_dim
    sign, gmaps, hinges = _dc_parts(spec)          # sign * f = g - h
    raw: list[tuple[Fraction, tuple[Map, ...]]] = [
        (sign * s, tuple(gmaps[i] for i in S)) for s, S in max_decomposition(gmaps)]
    for C, (a, d) in hinges:
        neg_l = (tuple(-v for v in a), -d)
        raw.append((-sign * C, ((a, d), neg_l)))
    acc: dict[frozenset[Map], Fraction] = {}
    lin = [ZERO] * n
    const = ZERO
    for coef, maps in raw:
        shift, scale, key = _canonical(maps)
        lin = [u + coef * v for u, v in zip(lin, shift[0])]
        const += coef * shift[1]
        if key is not None:
            acc[key] = acc.get(key, ZERO) + coef * scale
    terms = [(coef, tuple(sorted(key))) for key, coef in acc.items() if coef]
    terms.sort(key=lambda t: (len(t[1]), t[1]))
    dec = Decomposition(n, tuple(terms), (tuple(lin), const), len(raw), len(gmaps), len(hinges))
    _CACHE[spec] = dec
    return dec


def decomposition_to_network(dec: Decomposition) -> ReLUNetwork:
    """The network ``affine + sum_i coef_i * shallow_max(k_i) o (maps_i)``, all terms in parallel.

    Parameters
    ----------
    dec
        A :class:`Decomposition`.

    Returns
    -------
    ReLUNetwork
        Exact weights; ``max`` over the terms of ``shallow_max_depth(k_i)`` hidden layers
        (at most :func:`cpa_depth` ``(n)``), shallower terms padded with identities.
    """
    nets: list[ReLUNetwork] = []
    coeffs: list[Fraction] = []
    for coef, maps in dec.terms:
        nets.append(compose(shallow_max(len(maps)), affine_network([list(c) for c, _ in maps],
                                                                   [d for _, d in maps])))
        coeffs.append(coef)
    a, c = dec.affine
    if any(a) or not nets:
        nets.append(affine_network([list(a)], [0]))
        coeffs.append(Fraction(1))
    return linear_combination(coeffs, nets, c)


def decomposition_size(dec: Decomposition) -> dict[str, Any]:
    """Depth and hidden neurons of :func:`decomposition_to_network` before shrinking (a closed count)."""
    depths = [shallow_max_depth(len(m)) for _, m in dec.terms]
    depth = max(depths, default=0)
    neurons = sum(shallow_max(len(m)).num_neurons + 2 * (depth - dk) for (_, m), dk in zip(dec.terms, depths))
    if any(dec.affine[0]):
        neurons += 2 * depth
    return {"depth": depth, "neurons": neurons, "terms": dec.num_terms, "raw_terms": dec.raw_terms,
            "paper_depth": log3_bound(dec.input_dim + 1) if dec.input_dim >= 3 else None}


# --- helpers -----------------------------------------------------------------------

_CACHE: "weakref.WeakKeyDictionary[Any, Decomposition]" = weakref.WeakKeyDictionary()


def _dot(a: Sequence[Fraction], x: Sequence[Fraction]) -> Fraction:
    return sum((p * q for p, q in zip(a, x)), ZERO)


def _canonical(maps: Sequence[Map]) -> tuple[Map, Fraction, frozenset[Map] | None]:
    """``max(maps) = m + t * max(K)`` with ``K`` the same for all positive multiples and translates of ``maps``.

    ``m`` is the lexicographically least map, ``K = (maps - m) / t`` with ``t > 0`` the absolute
    value of the first nonzero entry of the largest ``maps - m``; ``K`` is None for one map
    (then ``max(maps) = m``).
    """
    m = min(maps)
    if len(maps) == 1:
        return m, ZERO, None
    diff = [(tuple(x - y for x, y in zip(c, m[0])), d - m[1]) for c, d in maps]
    top = max(diff)
    t = abs(next(v for v in top[0] + (top[1],) if v))
    return m, t, frozenset((tuple(x / t for x in c), d / t) for c, d in diff)


def _dc_parts(spec: Any) -> tuple[Fraction, list[Map], list[tuple[Fraction, Map]]]:
    """Step 1: ``sigma`` and the distinct cell maps of ``g = sigma f + h`` and the hinges ``(C_k, l_k)`` of ``h``.

    Both splits, of ``f`` (``sigma = 1``) and of ``-f`` (``sigma = -1``, hinges on the convex kinks
    of ``f``), come from one arrangement; the one whose ``g`` has fewer maps (then fewer hinges)
    is returned.
    """
    from ..pieces import _arrangement, _in_piece

    planes = spec._hyperplanes()
    if not planes:
        _, _, c, d = spec.pieces[0]
        return Fraction(1), [(c, d)], []
    cx = _arrangement(planes, spec.domain)
    cell: list[Map] = []
    for r in cx.regions:
        piece = next(p for p in spec.pieces if _in_piece(p, r.witness))
        cell.append((piece[2], piece[3]))
    side = [[_dot(a, r.witness) > beta for a, beta in planes] for r in cx.regions]
    C = {1: [ZERO] * len(planes), -1: [ZERO] * len(planes)}
    for u, v in cx.graph.edges:
        h = next(t for t in range(len(planes)) if side[u][t] != side[v][t])
        lo, hi = (u, v) if side[v][h] else (v, u)
        a, _ = planes[h]
        k = next(t for t, x in enumerate(a) if x)
        mu = (cell[hi][0][k] - cell[lo][0][k]) / a[k]
        for sigma in (1, -1):
            if -sigma * mu / 2 > C[sigma][h]:
                C[sigma][h] = -sigma * mu / 2
    best: tuple[Fraction, list[Map], list[tuple[Fraction, Map]]] | None = None
    for sigma in (1, -1):
        Cs = C[sigma]
        gmaps: dict[Map, None] = {}
        for w, (c, d) in enumerate(cell):
            cc, dd = [sigma * x for x in c], sigma * d
            for t, (a, beta) in enumerate(planes):
                if Cs[t]:
                    s = Cs[t] if side[w][t] else -Cs[t]
                    cc = [x + s * y for x, y in zip(cc, a)]
                    dd -= s * beta
            gmaps.setdefault((tuple(cc), dd), None)
        hinges = [(Cs[t], (tuple(a), -beta)) for t, (a, beta) in enumerate(planes) if Cs[t]]
        if best is None or (len(gmaps), len(hinges)) < (len(best[1]), len(best[2])):
            best = (Fraction(sigma), list(gmaps), hinges)
    assert best is not None
    return best


def _affine_basis(pts: list[tuple[Fraction, ...]]) -> tuple[list[int], list[int]]:
    """Indices of affinely independent points spanning the hull, and pivot columns (an injective projection)."""
    echelon: list[tuple[int, list[Fraction]]] = []
    first = [0]
    for i in range(1, len(pts)):
        v = [x - y for x, y in zip(pts[i], pts[0])]
        for col, row in echelon:
            if v[col]:
                f = v[col] / row[col]
                v = [x - f * y for x, y in zip(v, row)]
        col = next((j for j, x in enumerate(v) if x), None)
        if col is not None:
            echelon.append((col, v))
            first.append(i)
    return first, [col for col, _ in echelon]


def _orient(q: list[tuple[Fraction, ...]], F: tuple[int, ...], p: tuple[Fraction, ...]) -> int:
    """Sign of the determinant of the edges ``q_F[j] - q_F[0]`` and ``p - q_F[0]``."""
    o = q[F[0]]
    rows = [[x - y for x, y in zip(q[f], o)] for f in F[1:]] + [[x - y for x, y in zip(p, o)]]
    d = _det(rows)
    return (d > 0) - (d < 0)


def _placing(q: list[tuple[Fraction, ...]], first: list[int]) -> tuple[list[frozenset[int]], dict[frozenset[int], int]]:
    """The placing triangulation of full-dimensional points ``q`` from the simplex ``first``.

    Returns the simplices and the boundary facets, each with the opposite vertex of its simplex.
    """
    start = frozenset(first)
    simplices = [start]
    if len(first) == 1:
        return simplices, {}
    owners: dict[frozenset[int], list[int]] = {}
    for v in start:
        owners.setdefault(start - {v}, []).append(v)
    used = set(first)
    for j in range(len(q)):
        if j in used:
            continue
        visible = []
        for F, opp in owners.items():
            if len(opp) != 1:
                continue
            Fs = tuple(sorted(F))
            if _orient(q, Fs, q[j]) * _orient(q, Fs, q[opp[0]]) < 0:
                visible.append(F)
        for F in visible:
            S = F | {j}
            simplices.append(S)
            for v in S:
                owners.setdefault(S - {v}, []).append(v)
    return simplices, {F: opp[0] for F, opp in owners.items() if len(opp) == 1}


def _upper(pts: list[tuple[Fraction, ...]], F: list[int], opp: int) -> bool:
    """Whether the boundary facet ``F`` (opposite vertex ``opp``) has an outer normal with last coordinate > 0."""
    o = pts[F[0]]
    E = [[x - y for x, y in zip(pts[f], o)] for f in F[1:]]
    D = len(o)
    normal = [(-1) ** j * _det([r[:j] + r[j + 1:] for r in E]) for j in range(D)]
    s = _dot(normal, [x - y for x, y in zip(pts[opp], o)])
    return (normal[-1] < 0) if s > 0 else (normal[-1] > 0)
