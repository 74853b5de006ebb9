"""Finite elements: the piecewise linear (Lagrange P1) interpolant on a triangulation, validated exactly.

A :class:`Simplicial` spec is a list of vertices in ``R^d``, a list of ``d``-simplices
(``d + 1`` vertex indices each) and one value per vertex.  On a simplex ``T`` with
vertices ``p_0..p_d`` the function is ``f(x) = sum_i f(p_i) lambda_i(x)``, where the
barycentric coordinates ``lambda_i`` are the affine maps with ``lambda_i(p_j) = [i = j]``;
two simplices sharing a face agree there, so ``f`` is continuous on the union ``|K|``
of the simplices (the mesh).  ``f`` is defined on the mesh only: evaluation outside it
raises :class:`~cpa.errors.SpecError`, and a network compiled from the spec is proved
equal to ``f`` on the mesh; its values outside are whatever the route gives (they are
not part of the claim).

What is checked (:meth:`Simplicial.validate`), exactly
------------------------------------------------------
1. every simplex has ``d + 1`` distinct vertex indices in range, and there is one
   value per vertex;
2. no simplex is degenerate (the ``d x d`` edge matrix ``[p_1 - p_0, ..., p_d - p_0]`` has
   nonzero determinant);
3. every facet (``d`` vertices) belongs to at most two simplices, and when it belongs to
   two, their opposite vertices lie strictly on opposite sides of its hyperplane;
4. no two simplices overlap (interiors disjoint).  When every boundary facet (a facet
   of one simplex only) supports the vertex set -- all vertices lie on the simplex's side
   of its hyperplane -- the union is the convex polytope ``P = conv(vertices)`` if and only if
   some interior point of simplex 0 lies in no other simplex.  Reason: by 3 the number
   ``n(x)`` of simplices whose interior contains ``x`` does not change across interior
   facets, and boundary facets lie on ``bd P``; so ``n`` is constant on ``int P`` minus a
   set of codimension 2, which is connected, and that constant is 1.  Otherwise (a
   non-convex union) every pair of simplices whose bounding boxes overlap and which do not
   share a facet is tested: their interiors meet iff the polyhedron ``T_1 cap T_2`` is
   full-dimensional (exact, :meth:`cpa.domains.Polyhedron.is_full_dimensional`).

Errors name the offending simplices, in one line.

References
----------
J. He, L. Li, J. Xu, C. Zheng, *ReLU deep neural networks and linear finite elements*,
J. Comput. Math. 38(3) (2020) 502-527 (arXiv:1807.03973).
H. Freudenthal, *Simplizialzerlegungen von beschraenkter Flachheit*, Ann. of Math. 43
(1942) 580-582 (the Kuhn / Freudenthal triangulation of the cube).
"""

from __future__ import annotations

import random as _random
from fractions import Fraction
from itertools import permutations, product
from typing import Any, Sequence

from .errors import ArgumentError, ArgumentTypeError, ShapeError, SpecError
from .numbers import ONE, ZERO, to_matrix, to_rational, to_vector
from .specs import Spec

__all__ = ["Simplicial"]

Affine1 = tuple[tuple[Fraction, ...], Fraction]      # x -> c . x + d


class Simplicial(Spec):
    """The P1 interpolant of ``values`` on the triangulation ``(vertices, simplices)`` of a mesh in ``R^d``.

    Parameters
    ----------
    vertices
        ``n x d`` coordinates, read exactly.
    simplices
        ``m`` lists of ``d + 1`` vertex indices (from 0).
    values
        ``n`` values, one per vertex, read exactly.
    validate
        Run :meth:`validate` now (default True).  The compiler assumes a valid mesh.

    Attributes
    ----------
    vertices, simplices, values
        As given, exact.
    domain
        The mesh when it is convex: a :class:`~cpa.domains.Box` if it is an axis-aligned
        box, else a :class:`~cpa.domains.Polyhedron` (its facet inequalities); None for a
        non-convex union.

    Raises
    ------
    SpecError
        Bad indices, a degenerate simplex, a facet in three simplices, neighbours on the
        same side of their facet, or overlapping simplices (the message names them).
    ShapeError
        Coordinates of different lengths, or not one value per vertex.

    Examples
    --------
    >>> f = Simplicial([[0, 0], [1, 0], [0, 1], [1, 1]], [[0, 1, 3], [0, 3, 2]], [0, 1, 2, 4])
    >>> f(["1/2", "1/4"])
    Fraction(5, 4)
    >>> f.domain
    Box(lo=[0, 0], hi=[1, 1])
    """

    def __init__(self, vertices: Any, simplices: Any, values: Any, validate: bool = True):
        self.vertices = to_matrix(vertices, "Simplicial vertices")
        if not self.vertices:
            raise SpecError("Simplicial needs at least one vertex")
        self.input_dim = d = len(self.vertices[0])
        if d < 1:
            raise ShapeError("Simplicial: vertices need at least one coordinate")
        if isinstance(simplices, (str, bytes)) or not hasattr(simplices, "__iter__"):
            raise ArgumentTypeError(f"Simplicial: simplices must be a sequence of index lists, "
                                    f"got {type(simplices).__name__}")
        simp = []
        for k, s in enumerate(simplices):
            try:
                idx = tuple(s)
            except TypeError:
                raise SpecError(f"simplex {k}: expected {d + 1} vertex indices, got {s!r}") from None
            if any(isinstance(i, bool) or not isinstance(i, int) for i in idx):
                raise SpecError(f"simplex {k}: vertex indices must be integers, got {list(idx)}")
            simp.append(idx)
        if not simp:
            raise SpecError("Simplicial needs at least one simplex")
        self.simplices = tuple(simp)
        self.values = to_vector(values, "Simplicial values")
        self.domain: Any = None
        self._bary: list[tuple[Affine1, ...]] | None = None
        self._maps: list[Affine1] | None = None
        self._grid: Any = None
        if validate:
            self.validate()

    # --- construction ------------------------------------------------------------
    @classmethod
    def grid(cls, k: int, values: Any = None, d: int = 2) -> "Simplicial":
        """The Kuhn (Freudenthal) triangulation of ``[0, 1]^d`` with mesh ``1/k``.

        Each cube ``z/k + [0, 1/k]^d`` is cut into ``d!`` simplices
        ``conv(z, z + e_{pi(1)}, z + e_{pi(1)} + e_{pi(2)}, ...)/k``, one per permutation
        ``pi``; in 2-D every square is cut along its diagonal parallel to ``(1, 1)``.

        Parameters
        ----------
        k
            Cubes per side, >= 1.
        values
            A callable on the vertex (a tuple of Fractions), a sequence of ``(k + 1)^d``
            values in the vertex order (``itertools.product`` of ``0..k``), or None for zeros.
        d
            The dimension, >= 1.

        Returns
        -------
        Simplicial
            The interpolant, ``k^d d!`` simplices.
        """
        k, d = _count(k, "grid: k"), _count(d, "grid: d")
        pts = list(product(range(k + 1), repeat=d))
        index = {p: i for i, p in enumerate(pts)}
        simplices = []
        for z in product(range(k), repeat=d):
            for perm in permutations(range(d)):
                cur = list(z)
                s = [index[tuple(cur)]]
                for axis in perm:
                    cur[axis] += 1
                    s.append(index[tuple(cur)])
                simplices.append(s)
        verts = [tuple(Fraction(c, k) for c in p) for p in pts]
        return cls(verts, simplices, _values_for(verts, values))

    @classmethod
    def random(cls, k: int, seed: int = 0, d: int = 2, values: Any = "random") -> "Simplicial":
        """A random triangulation of ``[0, 1]^d``: the :meth:`grid` with moved vertices and flipped diagonals.

        Every vertex moves by a random rational of at most ``1/(8k)`` per coordinate
        (boundary vertices only along the boundary); in 2-D each square is cut along a
        random diagonal.  The vertex stars are then no longer convex in general.

        Parameters
        ----------
        k
            Cubes per side, >= 1.
        seed
            Random seed.
        d
            The dimension, >= 1.
        values
            ``"random"`` (rationals ``p/q``, ``|p| <= 9``, ``1 <= q <= 4``), or as for :meth:`grid`.

        Returns
        -------
        Simplicial
            The interpolant, validated.
        """
        k, d = _count(k, "random: k"), _count(d, "random: d")
        rng = _random.Random(seed)
        base = cls.grid(k, d=d)
        verts = []
        for p in base.vertices:
            q = []
            for c in p:
                if 0 < c < 1:
                    c += Fraction(rng.randint(-8, 8), 64 * k)
                q.append(c)
            verts.append(tuple(q))
        simplices = list(base.simplices)
        if d == 2:
            n = k + 1
            simplices = []
            for i, j in product(range(k), repeat=2):
                a, b, c, e = i * n + j, (i + 1) * n + j, i * n + j + 1, (i + 1) * n + j + 1
                simplices += [[a, b, e], [a, e, c]] if rng.random() < 0.5 else [[a, b, c], [b, e, c]]
        if isinstance(values, str) and values == "random":
            values = [Fraction(rng.randint(-9, 9), rng.randint(1, 4)) for _ in verts]
        return cls(verts, simplices, _values_for(verts, values))

    # --- geometry ---------------------------------------------------------------------
    def barycentric(self, k: int) -> tuple[Affine1, ...]:
        """The ``d + 1`` barycentric coordinates of simplex ``k`` as affine maps ``(c, e)``: ``c . x + e``."""
        if self._bary is None:
            self._bary = [_barycentric([self.vertices[i] for i in s]) for s in self.simplices]
        return self._bary[k]

    def affine_map(self, k: int) -> Affine1:
        """The affine map ``(c, e)`` of the interpolant on simplex ``k``."""
        if self._maps is None:
            maps = []
            for t, s in enumerate(self.simplices):
                lam = self.barycentric(t)
                c = tuple(sum((self.values[i] * l[0][j] for i, l in zip(s, lam)), ZERO) for j in range(self.input_dim))
                e = sum((self.values[i] * l[1] for i, l in zip(s, lam)), ZERO)
                maps.append((c, e))
            self._maps = maps
        return self._maps[k]

    def hrep(self, k: int) -> tuple[list[list[Fraction]], list[Fraction]]:
        """Simplex ``k`` as ``{x : A x <= b}`` (``-lambda_i(x) <= 0``)."""
        lam = self.barycentric(k)
        return [[-v for v in c] for c, _ in lam], [e for _, e in lam]

    @property
    def convex(self) -> bool:
        """Whether the mesh is convex (then :attr:`domain` is it)."""
        return self.domain is not None

    def stars(self) -> list[list[int]]:
        """For each vertex, the indices of the simplices containing it."""
        out: list[list[int]] = [[] for _ in self.vertices]
        for t, s in enumerate(self.simplices):
            for i in s:
                out[i].append(t)
        return out

    def facets(self) -> dict[frozenset[int], list[tuple[int, int]]]:
        """Each facet (a set of ``d`` vertex indices) with its ``(simplex, opposite vertex position)`` pairs."""
        out: dict[frozenset[int], list[tuple[int, int]]] = {}
        for t, s in enumerate(self.simplices):
            for p in range(len(s)):
                out.setdefault(frozenset(s[:p] + s[p + 1:]), []).append((t, p))
        return out

    def locate(self, x: Sequence[Fraction]) -> int | None:
        """The index of a simplex containing ``x`` (closed), or None outside the mesh."""
        for t in self._candidates(x):
            if all(_ev(l, x) >= 0 for l in self.barycentric(t)):
                return t
        return None

    def __call__(self, x: Any) -> Fraction:
        v = self._point(x)
        t = self.locate(v)
        if t is None:
            raise SpecError(f"x = ({', '.join(map(str, v))}) is outside the mesh (the union of the simplices)")
        return _ev(self.affine_map(t), v)

    def __repr__(self) -> str:
        return (f"Simplicial({len(self.vertices)} vertices, {len(self.simplices)} simplices in R^{self.input_dim}"
                f"{', convex' if self.convex else ''})")

    # --- validation ---------------------------------------------------------------------
    def validate(self) -> None:
        """Check items 1-4 of the module docstring exactly and set :attr:`domain`.

        Raises
        ------
        SpecError, ShapeError
            As described in the class docstring.
        """
        d, n = self.input_dim, len(self.vertices)
        if any(len(p) != d for p in self.vertices):
            bad = next(i for i, p in enumerate(self.vertices) if len(p) != d)
            raise ShapeError(f"vertex {bad} has {len(self.vertices[bad])} coordinates, vertex 0 has {d}")
        if len(self.values) != n:
            raise ShapeError(f"Simplicial: {n} vertices but {len(self.values)} values")
        wrong = [t for t, s in enumerate(self.simplices)
                 if len(s) != d + 1 or len(set(s)) != d + 1 or any(not 0 <= i < n for i in s)]
        if wrong:
            raise SpecError(f"simplices {_few(wrong)} need {d + 1} distinct vertex indices in 0..{n - 1}: "
                            f"simplex {wrong[0]} is {list(self.simplices[wrong[0]])}")
        flat = [t for t, s in enumerate(self.simplices) if _det([_sub(self.vertices[i], self.vertices[s[0]])
                                                                  for i in s[1:]]) == 0]
        if flat:
            raise SpecError(f"{_name(flat)} degenerate: the {d + 1} vertices lie in one hyperplane")
        boundary = []
        for F, owners in self.facets().items():
            if len(owners) > 2:
                raise SpecError(f"simplices {_few([t for t, _ in owners])} share the facet {sorted(F)}; "
                                f"a facet belongs to at most two simplices")
            if len(owners) == 1:
                boundary.append(owners[0])
                continue
            (t1, p1), (t2, p2) = owners
            far = self.vertices[self.simplices[t2][p2]]
            if _ev(self.barycentric(t1)[p1], far) >= 0:
                raise SpecError(f"simplices {t1} and {t2} overlap: they lie on the same side of their "
                                f"shared facet {sorted(F)}")
        supporting = all(all(_ev(self.barycentric(t)[p], v) >= 0 for v in self.vertices) for t, p in boundary)
        if supporting:
            s0 = self.simplices[0]
            c = tuple(sum((self.vertices[i][j] for i in s0), ZERO) / (d + 1) for j in range(d))
            other = next((t for t in range(1, len(self.simplices))
                          if all(_ev(l, c) >= 0 for l in self.barycentric(t))), None)
            if other is not None:
                raise SpecError(f"simplices 0 and {other} overlap: both contain x = ({', '.join(map(str, c))})")
            self.domain = _hull_domain([self.barycentric(t)[p] for t, p in boundary], d)
        else:
            self._check_pairs()

    def _check_pairs(self) -> None:
        from .domains import Polyhedron

        neighbours = {frozenset(t for t, _ in o) for o in self.facets().values() if len(o) == 2}
        boxes = [_bbox([self.vertices[i] for i in s]) for s in self.simplices]
        order = sorted(range(len(boxes)), key=lambda t: boxes[t][0][0])
        active: list[int] = []
        for t in order:
            lo = boxes[t][0]
            active = [u for u in active if boxes[u][1][0] > lo[0]]
            for u in active:
                if frozenset((t, u)) in neighbours:
                    continue
                if any(boxes[u][1][j] <= boxes[t][0][j] or boxes[t][1][j] <= boxes[u][0][j]
                       for j in range(self.input_dim)):
                    continue
                A1, b1 = self.hrep(t)
                A2, b2 = self.hrep(u)
                if Polyhedron(A1 + A2, b1 + b2).is_full_dimensional():
                    a, b = sorted((t, u))
                    raise SpecError(f"simplices {a} and {b} overlap (their interiors meet)")
            active.append(t)

    def _candidates(self, x: Sequence[Fraction]) -> Sequence[int]:
        """Simplices whose bounding box holds ``x`` (a bucket grid over the mesh's bounding box)."""
        if self._grid is None:
            lo, hi = _bbox(self.vertices)
            B = max(1, int(round(len(self.simplices) ** (1 / self.input_dim))))
            buckets: dict[tuple[int, ...], list[int]] = {}
            for t, s in enumerate(self.simplices):
                blo, bhi = _bbox([self.vertices[i] for i in s])
                ranges = [range(_cell(blo[j], lo[j], hi[j], B), _cell(bhi[j], lo[j], hi[j], B) + 1)
                          for j in range(self.input_dim)]
                for key in product(*ranges):
                    buckets.setdefault(key, []).append(t)
            self._grid = (lo, hi, B, buckets)
        lo, hi, B, buckets = self._grid
        if any(not lo[j] <= x[j] <= hi[j] for j in range(self.input_dim)):
            return ()
        return buckets.get(tuple(_cell(x[j], lo[j], hi[j], B) for j in range(self.input_dim)), ())


# --- helpers ---------------------------------------------------------------------------
def _count(n: Any, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ArgumentTypeError(f"{name} must be an integer, got {n!r}")
    if n < 1:
        raise ArgumentError(f"{name} must be >= 1, got {n}")
    return n


def _values_for(verts: list[tuple[Fraction, ...]], values: Any) -> list[Fraction]:
    if values is None:
        return [ZERO] * len(verts)
    if callable(values):
        return [to_rational(values(p), f"values at vertex {i}") for i, p in enumerate(verts)]
    return list(to_vector(values, "values"))


def _name(items: Sequence[int]) -> str:
    return f"simplex {items[0]} is" if len(items) == 1 else f"simplices {_few(items)} are"


def _few(items: Sequence[int], k: int = 6) -> str:
    s = ", ".join(map(str, items[:k]))
    return s + (f", ... ({len(items)} in all)" if len(items) > k else "")


def _ev(l: Affine1, x: Sequence[Fraction]) -> Fraction:
    return sum((a * b for a, b in zip(l[0], x)), l[1])


def _sub(p: Sequence[Fraction], q: Sequence[Fraction]) -> list[Fraction]:
    return [a - b for a, b in zip(p, q)]


def _det(M: list[list[Fraction]]) -> Fraction:
    """Exact determinant by Gaussian elimination."""
    M = [list(r) for r in M]
    n, det = len(M), ONE
    for c in range(n):
        p = next((r for r in range(c, n) if M[r][c]), None)
        if p is None:
            return ZERO
        if p != c:
            M[c], M[p] = M[p], M[c]
            det = -det
        det *= M[c][c]
        for r in range(c + 1, n):
            f = M[r][c] / M[c][c]
            if f:
                M[r] = [a - f * b for a, b in zip(M[r], M[c])]
    return det


def _inverse(M: list[list[Fraction]]) -> list[list[Fraction]]:
    """Exact inverse (Gauss-Jordan) of a nonsingular matrix."""
    n = len(M)
    A = [list(r) + [ONE if i == j else ZERO for j in range(n)] for i, r in enumerate(M)]
    for c in range(n):
        p = next(r for r in range(c, n) if A[r][c])
        A[c], A[p] = A[p], A[c]
        piv = A[c][c]
        A[c] = [v / piv for v in A[c]]
        for r in range(n):
            if r != c and A[r][c]:
                f = A[r][c]
                A[r] = [a - f * b for a, b in zip(A[r], A[c])]
    return [r[n:] for r in A]


def _barycentric(P: list[tuple[Fraction, ...]]) -> tuple[Affine1, ...]:
    """``lambda_0..lambda_d`` of the simplex with vertices ``P``: ``lambda = B^{-1} (x - p_0)`` for 1..d."""
    d = len(P[0])
    B = [[P[i + 1][r] - P[0][r] for i in range(d)] for r in range(d)]      # columns p_i - p_0
    Binv = _inverse(B)
    lam = []
    for row in Binv:
        c = tuple(row)
        lam.append((c, -sum((a * b for a, b in zip(c, P[0])), ZERO)))
    c0 = tuple(-sum((l[0][j] for l in lam), ZERO) for j in range(d))
    e0 = ONE - sum((l[1] for l in lam), ZERO)
    return ((c0, e0), *lam)


def _bbox(P: Sequence[Sequence[Fraction]]) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...]]:
    return tuple(map(min, zip(*P))), tuple(map(max, zip(*P)))


def _cell(v: Fraction, lo: Fraction, hi: Fraction, B: int) -> int:
    if hi == lo:
        return 0
    return min(B - 1, int((v - lo) * B / (hi - lo)))


def _hull_domain(facets: list[Affine1], d: int) -> Any:
    """The convex mesh as a domain: ``{lambda >= 0}`` over the boundary facets (deduplicated); a
    :class:`~cpa.domains.Box` when every facet is axis-aligned."""
    from .domains import Box, Polyhedron

    rows: dict[tuple[tuple[Fraction, ...], Fraction], None] = {}
    for c, e in facets:                       # c . x + e >= 0  <=>  -c . x <= e
        s = max(abs(v) for v in c)
        rows.setdefault((tuple(-v / s for v in c), e / s), None)
    A = [list(a) for a, _ in rows]
    b = [e for _, e in rows]
    lo: list[Fraction | None] = [None] * d
    hi: list[Fraction | None] = [None] * d
    boxy = True
    for a, e in zip(A, b):
        nz = [j for j, v in enumerate(a) if v]
        if len(nz) != 1:
            boxy = False
            break
        j = nz[0]
        if a[j] > 0:
            hi[j] = e / a[j]
        else:
            lo[j] = e / a[j]
    if boxy and len(A) == 2 * d and None not in lo and None not in hi:
        return Box(lo, hi)
    return Polyhedron(A, b)
