"""Exact polytope helpers in homogeneous integer coordinates.

A point ``x`` in ``Q^d`` is stored as the primitive integer vector
``P = (X_1, ..., X_d, t)`` with ``t > 0`` and ``x = X / t``; two points are
equal iff their vectors are equal, so the vectors can be hashed.

A polytope is held by its vertices together with, for every vertex, the set of
constraints tight there (a Python ``int`` used as a bitmask).  From the tight
sets alone one gets, exactly and in degenerate position too:

* edges: ``u, v`` are adjacent iff no third vertex ``w`` has
  ``T(u) & T(v)`` contained in ``T(w)`` (the combinatorial test of the double
  description method, valid for any H-representation, redundant or not);
* facets: the maximal proper sets ``{v : c in T(v)}`` over constraints ``c``;
* a triangulation (pulling a vertex over the facets that miss it, recursively),
  hence the exact volume.

All arithmetic is on Python integers and :class:`fractions.Fraction`.
"""

from __future__ import annotations

import math
from fractions import Fraction
from math import factorial
from typing import Iterable, Sequence

__all__ = [
    "hom",
    "dehom",
    "primitive",
    "integer_row",
    "lcm_denominator",
    "box_vrep",
    "clip",
    "edges_in_face",
    "face_groups",
    "facets",
    "triangulate",
    "volume",
    "centroid",
    "radius_bound",
]


def lcm_denominator(values: Iterable[Fraction]) -> int:
    """Least common multiple of the denominators (1 for an empty input).

    Parameters
    ----------
    values
        Rational numbers.

    Returns
    -------
    int
        The least common multiple of their denominators.
    """
    m = 1
    for v in values:
        q = v.denominator
        if q != 1 and m % q:
            m = m * q // math.gcd(m, q)
    return m


def primitive(vec: Sequence[int]) -> tuple[int, ...]:
    """Divide an integer vector by the gcd of its entries (the zero vector is returned as is).

    Parameters
    ----------
    vec
        An integer vector.

    Returns
    -------
    tuple of int
        ``vec`` divided by the gcd of its entries.
    """
    g = math.gcd(*vec)
    if g > 1:
        return tuple(x // g for x in vec)
    return tuple(vec)


def hom(x: Sequence[Fraction]) -> tuple[int, ...]:
    """Primitive homogeneous integer coordinates ``(X, t)``, ``t > 0``, of a rational point.

    Parameters
    ----------
    x
        The rational point.

    Returns
    -------
    tuple of int
        ``(X_1, ..., X_d, t)`` with ``x = X / t``.
    """
    t = lcm_denominator(x)
    return primitive([int(v * t) for v in x] + [t])


def dehom(P: Sequence[int]) -> tuple[Fraction, ...]:
    """The rational point ``X / t`` of homogeneous coordinates ``(X, t)``, ``t > 0``.

    Parameters
    ----------
    P
        The homogeneous coordinates ``(X_1, ..., X_d, t)``.

    Returns
    -------
    tuple of Fraction
        The point ``X / t``.
    """
    t = P[-1]
    return tuple(Fraction(v, t) for v in P[:-1])


def integer_row(coeffs: Sequence[Fraction]) -> tuple[int, ...]:
    """A positive multiple of a rational vector that is a primitive integer vector.

    Parameters
    ----------
    coeffs
        The rational vector.

    Returns
    -------
    tuple of int
        The primitive integer vector.
    """
    m = lcm_denominator(coeffs)
    return primitive([int(c * m) for c in coeffs])


def box_vrep(lo: Sequence[Fraction], hi: Sequence[Fraction], first_bit: int = 0
             ) -> tuple[list[tuple[int, ...]], list[int], list[tuple[int, int]]]:
    """Vertices, tight sets and edges of the box ``[lo, hi]`` (``lo < hi`` coordinatewise).

    Constraint bits: ``first_bit + 2 i`` is ``x_i <= hi_i``, ``first_bit + 2 i + 1`` is
    ``x_i >= lo_i``.  Vertex ``k`` has coordinate ``i`` at ``hi`` iff bit ``i`` of ``k`` is set.

    Parameters
    ----------
    lo, hi
        The box's lower and upper corners.
    first_bit
        The constraint bit of ``x_0 <= hi_0``.

    Returns
    -------
    tuple of (list, list, list)
        ``(verts, masks, edges)``: the ``2^d`` vertices in homogeneous coordinates
        (:func:`hom`), their tight sets, and the edges as pairs of vertex indices.
    """
    d = len(lo)
    verts: list[tuple[int, ...]] = []
    masks: list[int] = []
    for k in range(1 << d):
        x = [hi[i] if (k >> i) & 1 else lo[i] for i in range(d)]
        m = 0
        for i in range(d):
            m |= 1 << (first_bit + 2 * i + (0 if (k >> i) & 1 else 1))
        verts.append(hom(x))
        masks.append(m)
    edges = [(k, k | (1 << i)) for k in range(1 << d) for i in range(d) if not (k >> i) & 1]
    return verts, masks, edges


def edges_in_face(ids: Sequence[int], masks: Sequence[int], d: int) -> list[tuple[int, int]]:
    """Edges among the vertices ``ids`` of a face, by the combinatorial adjacency test.

    ``masks[v]`` is the tight set of vertex ``v``.  Every vertex ``w`` of the polytope with
    ``T(u) & T(v)`` contained in ``T(w)`` must be among ``ids`` (true when all of ``ids``
    share a constraint that defines the face).

    Parameters
    ----------
    ids
        The vertex ids (indices into ``masks``) of the face.
    masks
        ``masks[v]`` is the tight set of vertex ``v`` (a bitmask of constraints).
    d
        The dimension of the polytope.

    Returns
    -------
    list of tuple of (int, int)
        The edges, as pairs of vertex ids.
    """
    k = len(ids)
    if k < 2:
        return []
    Ts = [masks[v] for v in ids]
    out = []
    if all(T.bit_count() == d for T in Ts):
        # simple vertices: adjacent iff they share d - 1 tight constraints
        for i in range(k):
            Ti = Ts[i]
            for j in range(i + 1, k):
                if (Ti & Ts[j]).bit_count() == d - 1:
                    out.append((ids[i], ids[j]))
        return out
    for i in range(k):
        Ti = Ts[i]
        for j in range(i + 1, k):
            c = Ti & Ts[j]
            if c.bit_count() < d - 1:
                continue
            for w in range(k):
                if w != i and w != j and Ts[w] & c == c:
                    break
            else:
                out.append((ids[i], ids[j]))
    return out


def clip(verts: list[tuple[int, ...]], masks: list[int], edges: list[tuple[int, int]],
         row: Sequence[int], bit: int, d: int
         ) -> tuple[list[tuple[int, ...]], list[int], list[tuple[int, int]]] | None:
    """Intersect a full-dimensional polytope with the half-space ``row . P <= 0``.

    ``row = (a_1, ..., a_d, beta)`` is homogeneous: the inequality is ``a . x + beta <= 0``.
    Returns the new ``(verts, masks, edges)`` (vertices re-indexed), or None when the
    intersection is not full-dimensional (empty or contained in the hyperplane).

    Parameters
    ----------
    verts
        The vertices in homogeneous coordinates.
    masks
        The tight set of each vertex.
    edges
        The edges, as pairs of vertex indices.
    row
        The homogeneous integer row ``(a_1, ..., a_d, beta)``.
    bit
        The constraint bit of the new half-space, set in the tight sets of the vertices
        on its hyperplane.
    d
        The dimension.

    Returns
    -------
    tuple of (list, list, list) or None
        The clipped ``(verts, masks, edges)``, or None.
    """
    vals = [sum(a * p for a, p in zip(row, P)) for P in verts]
    if all(v <= 0 for v in vals):
        new_masks = [m | (1 << bit) if v == 0 else m for m, v in zip(masks, vals)]
        return list(verts), new_masks, list(edges)
    if all(v >= 0 for v in vals):
        return None
    keep = [i for i, v in enumerate(vals) if v <= 0]
    index = {i: k for k, i in enumerate(keep)}
    nv = [verts[i] for i in keep]
    nm = [masks[i] | (1 << bit) if vals[i] == 0 else masks[i] for i in keep]
    ne: list[tuple[int, int]] = []
    z0 = [index[i] for i in keep if vals[i] == 0]
    for u, v in edges:
        a, b = vals[u], vals[v]
        if a <= 0 and b <= 0:
            if a or b:
                ne.append((index[u], index[v]))
        elif a < 0 < b or b < 0 < a:
            if a > 0:
                u, v, a, b = v, u, b, a
            # a < 0 < b: the point on the segment where row . P = 0
            w = primitive([b * pu - a * pv for pu, pv in zip(verts[u], verts[v])])
            nv.append(w)
            nm.append((masks[u] & masks[v]) | (1 << bit))
            z0.append(len(nv) - 1)
            ne.append((index[u], len(nv) - 1))
    ne.extend(edges_in_face(z0, nm, d))
    return nv, nm, ne


def face_groups(ids: Sequence[int], masks: Sequence[int]) -> dict[int, int]:
    """Map ``S -> bits``: for each constraint ``c`` tight at some but not all of ``ids``,
    ``S`` is the bitmask (over positions in ``ids``) of the vertices where ``c`` is tight;
    constraints with equal ``S`` are OR-ed together in ``bits``.

    Parameters
    ----------
    ids
        The vertex ids (indices into ``masks``) of the face.
    masks
        ``masks[v]`` is the tight set of vertex ``v`` (a bitmask of constraints).

    Returns
    -------
    dict of int to int
        The map ``S -> bits``.
    """
    allb = 0
    common = -1
    for v in ids:
        m = masks[v]
        allb |= m
        common &= m
    cand = allb & ~common
    per_bit: dict[int, int] = {}
    for pos, v in enumerate(ids):
        m = masks[v] & cand
        while m:
            low = m & -m
            per_bit[low] = per_bit.get(low, 0) | (1 << pos)
            m ^= low
    groups: dict[int, int] = {}
    for b, S in per_bit.items():
        groups[S] = groups.get(S, 0) | b
    return groups


def facets(ids: Sequence[int], masks: Sequence[int]) -> list[tuple[int, int]]:
    """Facets of the face with vertex ids ``ids``: a list of ``(S, bits)``.

    ``S`` is the bitmask over positions in ``ids`` of the facet's vertices, ``bits`` the
    constraints that define it.  Exact: the facets are the maximal proper sets among
    ``{v : c in T(v)}`` (every proper face lies in a facet, and each facet is one such set).

    Parameters
    ----------
    ids
        The vertex ids (indices into ``masks``) of the face.
    masks
        ``masks[v]`` is the tight set of vertex ``v`` (a bitmask of constraints).

    Returns
    -------
    list of tuple of (int, int)
        The ``(S, bits)`` of each facet.
    """
    groups = face_groups(ids, masks)
    keys = sorted(groups, key=lambda S: -S.bit_count())
    kept: list[int] = []
    for S in keys:
        if not any(S & K == S for K in kept):
            kept.append(S)
    return [(S, groups[S]) for S in kept]


def triangulate(ids: Sequence[int], masks: Sequence[int], dim: int) -> list[tuple[int, ...]]:
    """A triangulation of the ``dim``-dimensional face with vertices ``ids`` (vertex-id simplices).

    Pulling triangulation: the first vertex is coned over a triangulation of every facet
    that does not contain it.

    Parameters
    ----------
    ids
        The vertex ids (indices into ``masks``) of the face.
    masks
        ``masks[v]`` is the tight set of vertex ``v`` (a bitmask of constraints).
    dim
        The dimension of the face.

    Returns
    -------
    list of tuple of int
        The simplices, each as ``dim + 1`` vertex ids.
    """
    ids = list(ids)
    if dim == 0:
        return [(ids[0],)]
    if dim == 1:
        assert len(ids) == 2, "a 1-dimensional face has exactly two vertices"
        return [(ids[0], ids[1])]
    v0 = ids[0]
    out: list[tuple[int, ...]] = []
    for S, _bits in facets(ids, masks):
        if S & 1:
            continue
        sub = [ids[p] for p in range(len(ids)) if (S >> p) & 1]
        for simplex in triangulate(sub, masks, dim - 1):
            out.append((v0,) + simplex)
    return out


def volume(verts: Sequence[tuple[int, ...]], ids: Sequence[int], masks: Sequence[int], d: int) -> Fraction:
    """Exact ``d``-volume of the full-dimensional polytope with vertex ids ``ids``.

    Each simplex ``(P_0, ..., P_d)`` in homogeneous coordinates has volume
    ``|det[P_0; ...; P_d]| / (d! * t_0 * ... * t_d)``.

    Parameters
    ----------
    verts
        The vertices in homogeneous coordinates.
    ids
        The vertex ids of the polytope.
    masks
        The tight set of each vertex.
    d
        The dimension.

    Returns
    -------
    Fraction
        The volume.
    """
    from flint import fmpz_mat

    total = Fraction(0)
    for simplex in triangulate(ids, masks, d):
        rows = [list(verts[v]) for v in simplex]
        det = abs(int(fmpz_mat(rows).det()))
        den = factorial(d)
        for v in simplex:
            den *= verts[v][-1]
        total += Fraction(det, den)
    return total


def centroid(verts: Sequence[tuple[int, ...]], ids: Sequence[int]) -> tuple[Fraction, ...]:
    """Exact average of the vertices ``ids`` (a point of the relative interior of their hull).

    Parameters
    ----------
    verts
        The vertices in homogeneous coordinates.
    ids
        The vertex ids to average (at least one).

    Returns
    -------
    tuple of Fraction
        The average point.
    """
    k = len(ids)
    d = len(verts[ids[0]]) - 1
    acc = [Fraction(0)] * d
    for v in ids:
        P = verts[v]
        t = P[-1]
        for i in range(d):
            acc[i] += Fraction(P[i], t)
    return tuple(a / k for a in acc)


def radius_bound(rows: Iterable[Sequence[int]], d: int) -> int:
    """An integer ``R`` such that every vertex of every arrangement of hyperplanes
    ``a . x + beta = 0`` with integer rows ``(a, beta)`` of entries at most ``B`` in
    absolute value (``B`` the largest entry of ``rows``) lies in ``(-R, R)^d``.

    By Cramer's rule a vertex has ``x_i = det(A_i) / det(A)`` with ``|det(A)| >= 1``
    for a nonsingular integer ``A``, and Hadamard's inequality bounds
    ``|det(A_i)| <= (sqrt(d) B)^d <= (d B^2)^ceil(d/2)``.  The same bound holds for
    the basic solutions of any consistent subsystem of lower rank.

    Parameters
    ----------
    rows
        The integer rows ``(a, beta)``.
    d
        The dimension.

    Returns
    -------
    int
        ``R = (d B^2)^ceil(d/2) + 1`` (with ``B`` at least 1).
    """
    B = 1
    for r in rows:
        for v in r:
            if abs(v) > B:
                B = abs(v)
    return (d * B * B) ** ((d + 1) // 2) + 1
