r"""Finite-element hat functions as exact ReLU networks.

* :func:`cpa.gadgets.hat_1d` (re-exported as ``constructions.hat_1d``) -- the
  1-D nodal hat, one hidden layer of 3 units.
* :func:`courant_hat_2d` -- the Courant hat of the Freudenthal (type-1)
  triangulation of ``Z^2``, two hidden layers (6 and 1 units), 7 affine pieces.
* :func:`fem_hat_2d` -- the nodal basis function of an interior vertex of any
  2-D triangulation.

In ``d >= 2`` no one-hidden-layer network computes a nonzero compactly
supported function: across each of its hyperplanes the gradient jumps by a
vector that is constant along the whole (unbounded) hyperplane, so every jump
must vanish and the function is affine (an elementary argument; He et al. 2020
state the 2-D case).  Two hidden layers suffice in 2-D and 3-D (Arora et al.,
ICLR 2018, Theorem 2.1).

References
----------
J. He, L. Li, J. Xu, C. Zheng, *ReLU deep neural networks and linear finite
elements*, J. Comput. Math. 38(3) (2020) 502-527 (arXiv:1807.03973).
S. Ovchinnikov, *Max-min representation of piecewise linear functions*,
Beitr. Algebra Geom. 43 (2002) 297-302 (the lattice form used for non-convex stars).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from cpa.calculus import affine_network, compose, parallel
from cpa.errors import SpecError
from cpa.gadgets import max_of, min_of
from cpa.network import ReLUNetwork
from cpa.numbers import to_rational

__all__ = ["courant_hat_2d", "fem_hat_2d"]

Point = tuple[Fraction, Fraction]


def courant_hat_2d() -> ReLUNetwork:
    r"""The Courant hat at 0 of the Freudenthal mesh: :math:`\mathrm{relu}(1 - \max(|x|, |y|, |x-y|))`.

    Notes
    -----
    Uses :math:`\max(|x|, |y|, |x-y|) = (|x| + |y| + |x-y|)/2`.  Layer 1: the
    six units ``relu(+-x), relu(+-y), relu(+-(x-y))``; layer 2: one unit
    ``relu(1 - (sum of the six)/2)``; output: that unit.  Seven affine pieces
    (six triangles and the zero region); two hidden layers are necessary and
    sufficient (module docstring).
    """
    h = Fraction(-1, 2)
    return ReLUNetwork([([[1, 0], [-1, 0], [0, 1], [0, -1], [1, -1], [-1, 1]], [0] * 6),
                        ([[h] * 6], [1]),
                        ([[1]], [0])])


def fem_hat_2d(vertices: Sequence[Sequence[Any]], triangles: Sequence[Sequence[int]], vertex: int) -> ReLUNetwork:
    r"""The nodal (hat) basis function of an interior vertex of a 2-D triangulation.

    ``phi`` is 1 at ``vertices[vertex]``, 0 at every other vertex, affine on
    every triangle and 0 outside the star (the triangles containing the vertex).

    Parameters
    ----------
    vertices
        Rational points ``(x, y)``.
    triangles
        Index triples into ``vertices``.
    vertex
        Index of the vertex; it must be interior (its star surrounds it).

    Returns
    -------
    ReLUNetwork
        ``R^2 -> R``, exact.

    Raises
    ------
    SpecError
        If a triangle is degenerate or indexes a missing vertex, if the vertex
        is in no triangle, if it is a boundary vertex (its hat extended by 0 is
        discontinuous there, so no network computes it), if the star does not
        wind exactly once around the vertex, or if another vertex lies inside
        the star.

    Notes
    -----
    Let :math:`\ell_T` be the affine function equal to 1 at the vertex and 0 at
    the other two corners of the star triangle ``T``.

    *Convex star.*  On the star :math:`\varphi = 1 - \rho(x - v)` with
    :math:`\rho` the gauge of the star, which is convex, so

    .. math:: \varphi = \max\big(0, \min_{T \ni v} \ell_T\big),

    a min-tree (:func:`cpa.gadgets.min_of`) then one ReLU:
    ``ceil(log2 k) + 1`` hidden layers for ``k`` triangles (He et al. 2020).

    *Non-convex star.*  The formula above is then wrong (the gauge is not
    convex), and we use the lattice (max-min) representation instead
    (Ovchinnikov 2002; see :mod:`cpa.pieces`) with the components
    :math:`g = (\ell_T)_T \cup \{0\}`:
    :math:`\varphi = \max_{S \in \mathcal S} \min_{i \in S} g_i`, where
    :math:`\mathcal S` collects :math:`S_y = \{i : g_i(y) \ge \varphi(y)\}` for
    one exact point ``y`` in every cell of the line arrangement
    :math:`\{g_i = g_j\}` (found by an exact vertical sweep), keeping only
    inclusion-minimal sets.  The network is parallel min-trees followed by a
    max-tree.  Both forms are exact.
    """
    pts = [_point(v, i) for i, v in enumerate(vertices)]
    if not isinstance(vertex, int) or not 0 <= vertex < len(pts):
        raise SpecError(f"fem_hat_2d: vertex index {vertex!r} out of range (0..{len(pts) - 1})")
    v = pts[vertex]
    star: list[tuple[Point, Point]] = []  # (p, q) with (v, p, q) counter-clockwise
    for t, tri in enumerate(triangles):
        idx = list(tri)
        if len(idx) != 3 or not all(isinstance(i, int) and 0 <= i < len(pts) for i in idx):
            raise SpecError(f"fem_hat_2d: triangle {t} must be three vertex indices, got {tri!r}")
        a, b, c = (pts[i] for i in idx)
        if _cross(a, b, c) == 0:
            raise SpecError(f"fem_hat_2d: triangle {t} {tuple(idx)} is degenerate")
        if vertex in idx:
            k = idx.index(vertex)
            p, q = pts[idx[(k + 1) % 3]], pts[idx[(k + 2) % 3]]
            star.append((p, q) if _cross(v, p, q) > 0 else (q, p))
    if not star:
        raise SpecError(f"fem_hat_2d: vertex {vertex} belongs to no triangle")
    link = _link_cycle(star, vertex)
    _check_no_vertex_inside(star, v, [p for i, p in enumerate(pts) if i != vertex])
    ells = [_interpolant(v, p, q) for p, q in star]
    k = len(link)
    convex = all(_cross(link[i - 1], link[i], link[(i + 1) % k]) >= 0 for i in range(k))
    if convex:
        net = compose(min_of(len(ells)), affine_network([e[:2] for e in ells], [e[2] for e in ells]))
        return compose(ReLUNetwork([([[1]], [0]), ([[1]], [0])]), net)
    comps = ells + [(Fraction(0), Fraction(0), Fraction(0))]
    sets = _lattice_sets(comps, star, v)
    mins = [compose(min_of(len(S)), affine_network([comps[i][:2] for i in S], [comps[i][2] for i in S]))
            for S in sets]
    return compose(max_of(len(sets)), parallel(mins))


# --- geometry helpers ---------------------------------------------------------

def _point(v: Any, i: int) -> Point:
    try:
        x, y = v
    except (TypeError, ValueError):
        raise SpecError(f"fem_hat_2d: vertex {i} must be a pair (x, y), got {v!r}") from None
    return to_rational(x, f"vertex {i} x"), to_rational(y, f"vertex {i} y")


def _cross(o: Point, a: Point, b: Point) -> Fraction:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _link_cycle(star: list[tuple[Point, Point]], vertex: int) -> list[Point]:
    """The link as a closed counter-clockwise cycle; errors for boundary or multiply-wound stars."""
    nxt: dict[Point, Point] = {}
    for p, q in star:
        if p in nxt:
            raise SpecError(f"fem_hat_2d: the star of vertex {vertex} overlaps itself (two triangles "
                            f"start at the edge towards {p})")
        nxt[p] = q
    if any(q not in nxt for _, q in star):
        raise SpecError(f"fem_hat_2d: vertex {vertex} is a boundary vertex; its hat function extended by 0 "
                        f"is discontinuous there, so no ReLU network computes it")
    start = star[0][0]
    cycle, p = [start], nxt[start]
    while p != start:
        cycle.append(p)
        p = nxt[p]
    if len(cycle) != len(star):
        raise SpecError(f"fem_hat_2d: the star of vertex {vertex} is not one fan around it")
    return cycle


def _check_no_vertex_inside(star: list[tuple[Point, Point]], v: Point, others: list[Point]) -> None:
    p, q = star[0]
    direction = (p[0] + q[0] - 2 * v[0], p[1] + q[1] - 2 * v[1])  # interior of the first sector
    far = (v[0] + direction[0], v[1] + direction[1])
    hits = sum(1 for a, b in star if _cross(v, a, far) >= 0 and _cross(v, far, b) >= 0)
    if hits != 1:
        raise SpecError("fem_hat_2d: the star winds more than once around the vertex")
    for w in others:
        for a, b in star:
            if _cross(v, a, w) > 0 and _cross(a, b, w) > 0 and _cross(b, v, w) > 0:
                raise SpecError(f"fem_hat_2d: vertex {w} lies inside a triangle of the star")


def _interpolant(v: Point, p: Point, q: Point) -> tuple[Fraction, Fraction, Fraction]:
    """``(gx, gy, c)`` with ``gx x + gy y + c`` = 1 at v and 0 at p, q."""
    det = _cross(v, p, q)
    gx = (p[1] - q[1]) / det
    gy = (q[0] - p[0]) / det
    return gx, gy, 1 - gx * v[0] - gy * v[1]


def _hat_value(star: list[tuple[Point, Point]], v: Point, y: Point) -> Fraction:
    for p, q in star:
        if _cross(v, p, y) >= 0 and _cross(p, q, y) >= 0 and _cross(q, v, y) >= 0:
            gx, gy, c = _interpolant(v, p, q)
            return gx * y[0] + gy * y[1] + c
    return Fraction(0)


def _lattice_sets(comps: list[tuple[Fraction, Fraction, Fraction]], star: list[tuple[Point, Point]],
                  v: Point) -> list[tuple[int, ...]]:
    """Inclusion-minimal index sets ``S_y`` over one point per cell of ``{g_i = g_j}``."""
    lines = set()
    for i in range(len(comps)):
        for j in range(i + 1, len(comps)):
            a, b, c = (comps[i][t] - comps[j][t] for t in range(3))
            if a == 0 and b == 0:
                continue
            s = a if a != 0 else b
            lines.add((a / s, b / s, c / s))
    lines_l = sorted(lines)
    xs = set()
    for i, (a1, b1, c1) in enumerate(lines_l):
        if b1 == 0:
            xs.add(-c1 / a1)
        for a2, b2, c2 in lines_l[i + 1:]:
            det = a1 * b2 - a2 * b1
            if det != 0:
                xs.add((b1 * c2 - b2 * c1) / det)
    xs_s = sorted(xs) or [Fraction(0)]
    sample_x = [xs_s[0] - 1] + [(s + t) / 2 for s, t in zip(xs_s, xs_s[1:])] + [xs_s[-1] + 1]
    sets = set()
    for x in sample_x:
        ys = sorted({-(a * x + c) / b for a, b, c in lines_l if b != 0}) or [Fraction(0)]
        for y in [ys[0] - 1] + [(s + t) / 2 for s, t in zip(ys, ys[1:])] + [ys[-1] + 1]:
            f = _hat_value(star, v, (x, y))
            sets.add(tuple(i for i, (gx, gy, c) in enumerate(comps) if gx * x + gy * y + c >= f))
    minimal = [S for S in sets if not any(set(T) < set(S) for T in sets)]
    return sorted(minimal)
