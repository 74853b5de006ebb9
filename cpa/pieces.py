"""General CPA functions given by polyhedral pieces, validated exactly.

A :class:`Pieces` spec lists pieces ``P_k = {x : A_k x <= b_k}`` with an affine
map ``g_k(x) = c_k . x + d_k`` each, on a domain ``D`` (a box, a polyhedron or
all of R^d).  It is a CPA function iff

1. every piece is full-dimensional,
2. the pieces cover ``D`` and their interiors do not overlap, and
3. it is continuous: adjacent pieces agree on their shared boundary.

:meth:`Pieces.validate` decides all three exactly on the arrangement of every
facet hyperplane of every piece (each open cell of that arrangement lies in
exactly one piece's interior iff 2 holds; across a cell facet in hyperplane
``H = {a . x = beta}`` separating pieces ``i`` and ``j``, continuity holds iff
``g_i - g_j`` is a multiple of ``a . x - beta``).  Cells come from the exact
region enumerator, applied to the one-hidden-layer network whose neurons are
the hyperplanes.

Compiling uses the lattice (max-min) representation (Tarela & Martinez 1999;
Ovchinnikov 2002, see References): with the distinct maps ``g_1..g_m`` and, for
one point ``y`` in each cell of the arrangement ``{g_i = g_j}`` inside ``D``,
``S_y = {i : g_i(y) >= f(y)}``,

    f(x) = max_y min_{i in S_y} g_i(x)   for x in D   (D convex).

(Ovchinnikov's key lemma: for any ``x, y`` in ``D`` some ``g_i`` has ``g_i(y) >= f(y)``
and ``g_i(x) <= f(x)``; ``S_y`` is constant on each cell, and the cells' closures cover
``D``, so finitely many ``y`` suffice.)

References
----------
J. M. Tarela, M. V. Martinez, *Region configurations for realizability of lattice
piecewise-linear models*, Math. Comput. Modelling 30 (1999) 17-27.
S. Ovchinnikov, *Max-min representation of piecewise linear functions*, Beitr.
Algebra Geom. 43 (2002) 297-302.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from typing import Any, Sequence

from .errors import ArgumentTypeError, DiscontinuousSpecError, ShapeError, SpecError
from .expr import Lin, Max, Min
from .numbers import ZERO, to_matrix, to_rational, to_vector
from .specs import Expression, Spec

__all__ = ["Pieces", "lattice_expression"]



def _dot(a: Sequence[Fraction], x: Sequence[Fraction]) -> Fraction:
    return sum((p * q for p, q in zip(a, x)), ZERO)


def _normalize(a: Sequence[Fraction], beta: Fraction) -> tuple[tuple[Fraction, ...], Fraction] | None:
    """Scale ``a . x = beta`` so the first nonzero coefficient is 1 (None if a = 0)."""
    k = next((i for i, v in enumerate(a) if v), None)
    if k is None:
        return None
    s = a[k]
    return tuple(v / s for v in a), beta / s


class Pieces(Spec):
    """A CPA function by pieces: ``f(x) = c_k . x + d_k`` on ``{x : A_k x <= b_k}``.

    Parameters
    ----------
    pieces
        A sequence of ``(A_k, b_k, c_k, d_k)``.
    domain
        :class:`~cpa.domains.Box`, :class:`~cpa.domains.Polyhedron` or None (all of R^d).
    validate
        Run :meth:`validate` now (default True).

    Raises
    ------
    DiscontinuousSpecError
        Two adjacent pieces differ on their shared boundary (the message names both and a point).
    SpecError
        A gap in the cover, an overlap, or a piece that is not full-dimensional.
    """

    def __init__(self, pieces: Sequence[Any], domain: Any = None, validate: bool = True):
        if isinstance(pieces, (str, bytes, dict)) or not hasattr(pieces, "__iter__"):
            raise ArgumentTypeError(f"Pieces needs a sequence of (A, b, c, d) pieces, got {type(pieces).__name__}")
        if not isinstance(validate, bool):
            raise ArgumentTypeError(f"Pieces: validate must be True or False, got {validate!r}")
        items = list(pieces)
        if not items:
            raise SpecError("Pieces needs at least one piece")
        parsed = []
        d = None
        for k, item in enumerate(items):
            try:
                A, b, c, dd = item
            except (TypeError, ValueError):
                raise SpecError(f"piece {k}: expected (A, b, c, d)") from None
            Aq = to_matrix(A, f"piece {k} A") if not hasattr(A, "__len__") or isinstance(A, (str, bytes)) \
                or len(A) else ()
            bq = to_vector(b, f"piece {k} b", len(Aq))
            cq = to_vector(c, f"piece {k} c")
            if d is None:
                d = len(cq)
            if len(cq) != d or any(len(r) != d for r in Aq):
                raise ShapeError(f"piece {k}: expected {d} coordinates in A's rows and c")
            parsed.append((Aq, bq, cq, to_rational(dd, f"piece {k} d")))
        self.pieces = tuple(parsed)
        self.input_dim = int(d or 0)
        if self.input_dim < 1:
            raise ShapeError("Pieces: c must have at least one coordinate")
        from .domains import as_domain

        self.domain = as_domain(domain, self.input_dim)
        if validate:
            self.validate()

    @classmethod
    def from_network(cls, net: Any, domain: Any = None, validate: bool = False) -> "Pieces":
        """The pieces of a scalar network: one per activation region (exact H-representation and map)."""
        from .regions import regions

        cx = regions(net, domain)
        items = []
        for r in cx.regions:
            A, b = r.hrep
            (c,), (d,) = r.affine_map
            items.append((A, b, c, d))
        return cls(items, cx.domain, validate=validate)

    # --- evaluation -----------------------------------------------------------
    def _contains(self, k: int, x: Sequence[Fraction], strict: bool = False) -> bool:
        return _in_piece(self.pieces[k], x, strict)

    def value_of_piece(self, k: int, x: Sequence[Fraction]) -> Fraction:
        _, _, c, d = self.pieces[k]
        return _dot(c, x) + d

    def __call__(self, x: Any) -> Fraction:
        v = self._point(x)
        if not self.domain.contains(v):
            raise SpecError(f"x = ({', '.join(map(str, v))}) is outside the spec's domain {self.domain}")
        for k in range(len(self.pieces)):
            if self._contains(k, v):
                return self.value_of_piece(k, v)
        raise SpecError(f"no piece contains x = ({', '.join(map(str, v))})")

    def __repr__(self) -> str:
        return f"Pieces({len(self.pieces)} pieces in R^{self.input_dim} on {self.domain})"

    # --- validation -------------------------------------------------------------
    def _hyperplanes(self) -> list[tuple[tuple[Fraction, ...], Fraction]]:
        seen: dict[Any, None] = {}
        for A, b, _, _ in self.pieces:
            for r, c in zip(A, b):
                n = _normalize(r, c)
                if n is not None:
                    seen.setdefault(n, None)
        return list(seen)

    def validate(self) -> None:
        """Check full-dimensionality, cover, overlap and continuity exactly (see the module docstring)."""
        from .domains import Polyhedron
        from .errors import DomainError

        dom_A, dom_b = self.domain.constraints()
        for k, (A, b, _, _) in enumerate(self.pieces):
            try:
                Polyhedron(list(A) + list(dom_A), list(b) + list(dom_b), dim=self.input_dim).check()
            except DomainError as e:
                raise SpecError(f"piece {k} does not have interior inside the domain: {e}") from None
        planes = self._hyperplanes()
        if not planes:
            if len(self.pieces) > 1:
                raise SpecError("pieces 0 and 1 overlap: neither has any constraint")
            return
        cx = _arrangement(planes, self.domain)
        owner = []
        for r in cx.regions:
            w = r.witness
            inside = [k for k in range(len(self.pieces)) if self._contains(k, w, strict=True)]
            if not inside:
                raise SpecError(f"the pieces do not cover the domain: no piece contains "
                                f"x = ({', '.join(map(str, w))})")
            if len(inside) > 1:
                raise SpecError(f"pieces {inside[0]} and {inside[1]} overlap: both contain "
                                f"x = ({', '.join(map(str, w))}) in their interiors")
            owner.append(inside[0])
        for u, v in cx.graph.edges:
            i, j = owner[u], owner[v]
            if i == j:
                continue
            pu = [a for layer in cx[u].pattern for a in layer]
            pv = [a for layer in cx[v].pattern for a in layer]
            diff = [h for h, (s, t) in enumerate(zip(pu, pv)) if s != t]
            (a, beta) = planes[diff[0]]
            _, _, ci, di = self.pieces[i]
            _, _, cj, dj = self.pieces[j]
            dc = [x - y for x, y in zip(ci, cj)]
            dd = di - dj
            k = next(t for t, x in enumerate(a) if x)
            lam = dc[k] / a[k]
            if all(x == lam * y for x, y in zip(dc, a)) and dd == -lam * beta:
                continue
            p = _facet_point(cx[u], a, beta, self.pieces[i], self.pieces[j])
            where = f" at x = ({', '.join(map(str, p))})" if p is not None else ""
            vals = (f": piece {i} gives {self.value_of_piece(i, p)}, piece {j} gives {self.value_of_piece(j, p)}"
                    if p is not None else "")
            raise DiscontinuousSpecError(
                f"not continuous across the boundary {_plane_text(a, beta)} between pieces {i} and {j}"
                f"{where}{vals}")

    # --- compile support -----------------------------------------------------
    def distinct_maps(self) -> list[tuple[tuple[Fraction, ...], Fraction]]:
        seen: dict[Any, None] = {}
        for _, _, c, d in self.pieces:
            seen.setdefault((c, d), None)
        return list(seen)


def _plane_text(a: Sequence[Fraction], beta: Fraction) -> str:
    terms = " + ".join(f"{v}*x{i + 1}" for i, v in enumerate(a) if v)
    return f"{{{terms} = {beta}}}"


def _in_piece(piece: Any, x: Sequence[Fraction], strict: bool = False) -> bool:
    """Whether ``x`` is in the piece ``(A, b, c, d)``: ``A x <= b`` (``A x < b`` if ``strict``)."""
    A, b = piece[0], piece[1]
    if strict:
        return all(_dot(r, x) < c for r, c in zip(A, b))
    return all(_dot(r, x) <= c for r, c in zip(A, b))


def _facet_point(region: Any, a: Sequence[Fraction], beta: Fraction, Pi: Any,
                 Pj: Any) -> tuple[Fraction, ...] | None:
    """A point on the shared facet (in hyperplane a.x = beta) where the two maps differ."""
    on = [v for v in region.vertices() if _dot(a, v) == beta]
    candidates = list(on)
    if on:
        n = len(on)
        candidates.insert(0, tuple(sum((v[t] for v in on), ZERO) / n for t in range(len(a))))
    for p in candidates:
        if _in_piece(Pi, p) and _in_piece(Pj, p) and _dot(Pi[2], p) + Pi[3] != _dot(Pj[2], p) + Pj[3]:
            return p
    return None


def _arrangement(planes: list[tuple[tuple[Fraction, ...], Fraction]], domain: Any) -> Any:
    """Cells of the hyperplane arrangement inside ``domain`` (exact region enumeration)."""
    from .network import ReLUNetwork
    from .regions import regions

    W = [list(a) for a, _ in planes]
    b = [-beta for _, beta in planes]
    net = ReLUNetwork([(W, b), ([[0] * len(planes)], [0])])
    return regions(net, domain)


def lattice_expression(spec: Pieces) -> Expression:
    """The max-min form ``max_S min_{i in S} g_i`` of a validated :class:`Pieces` spec (Ovchinnikov 2002).

    Parameters
    ----------
    spec
        The validated :class:`Pieces` spec.

    Returns
    -------
    Expression
        The max-min expression of the distinct affine maps ``g_i`` of ``spec``, in the
        variables ``x1, ..., xd``.
    """
    maps = spec.distinct_maps()
    names = tuple(f"x{i + 1}" for i in range(spec.input_dim))

    def lin(m: tuple[tuple[Fraction, ...], Fraction]) -> Lin:
        c, d = m
        return Lin.of({n: v for n, v in zip(names, c)}, d)

    if len(maps) == 1:
        return Expression(lin(maps[0]), names)
    planes: dict[Any, None] = {}
    for (c1, d1), (c2, d2) in combinations(maps, 2):
        n = _normalize([x - y for x, y in zip(c1, c2)], d2 - d1)
        if n is not None:
            planes.setdefault(n, None)
    ys = [r.witness for r in _arrangement(list(planes), spec.domain).regions] if planes else [
        spec.domain.interior_point()]
    sets: set[frozenset[int]] = set()
    for y in ys:
        fy = spec(y)
        sets.add(frozenset(i for i, (c, d) in enumerate(maps) if _dot(c, y) + d >= fy))
    minimal = [S for S in sets if not any(T < S for T in sets)]
    terms = []
    for S in sorted(minimal, key=sorted):
        idx = sorted(S)
        terms.append(lin(maps[idx[0]]) if len(idx) == 1 else Min(tuple(lin(maps[i]) for i in idx)))
    return Expression(terms[0] if len(terms) == 1 else Max(tuple(terms)), names)
