"""Exact input domains for region enumeration: boxes, polyhedra and all of R^d.

* :class:`Box` ``[lo, hi] = {x : lo <= x <= hi}`` with ``lo < hi`` coordinatewise;
* :class:`Polyhedron` ``{x : A x <= b}``, possibly unbounded, which must be
  full-dimensional (decided exactly, when first used);
* :class:`Reals` ``R^d``.

All three are frozen, hashable and exact (entries are :class:`fractions.Fraction`).
Volumes, vertices and interior points are exact.  The vertices of a polyhedron
are found by clipping a box that provably contains all of them (Cramer's rule
and Hadamard's inequality on the integer-scaled rows) with each inequality in
turn, keeping for every vertex the set of tight constraints; this decides
emptiness and full-dimensionality exactly.

Errors are :class:`~cpa.errors.DomainError` with a message that names the
problem (``lo > hi``, a non-finite bound, a dimension mismatch, an empty or
lower-dimensional polyhedron, the volume of an unbounded set).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Sequence

from .errors import ArgumentTypeError, CPAError, DomainError
from .numbers import abbreviate, to_rational


def _short(q: Fraction) -> str:
    """A bound as text for ``repr``: exact up to 60 characters, abbreviated beyond."""
    return abbreviate(q, 60)

__all__ = ["Box", "Polyhedron", "Reals", "Domain", "as_domain"]


def _rational(x: Any, where: str) -> Fraction:
    try:
        return to_rational(x, where)
    except CPAError as e:
        msg = str(e)
        if "non-finite" in msg:
            raise DomainError(f"domain bound {where} is not finite ({x!r}); use Reals(d) or a "
                              f"Polyhedron for unbounded domains") from None
        raise DomainError(f"domain: {msg}") from None


def _vector(v: Any, where: str) -> tuple[Fraction, ...]:
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        raise DomainError(f"{where} must be a sequence of numbers, got {type(v).__name__}")
    return tuple(_rational(x, f"{where}[{i}]") for i, x in enumerate(v))


@dataclass(frozen=True)
class Box:
    """The box ``{x : lo <= x <= hi}`` (exact, full-dimensional: ``lo_i < hi_i``).

    Parameters
    ----------
    lo, hi
        Sequences of numbers of equal length ``d >= 1`` (anything
        :func:`cpa.numbers.to_rational` accepts).

    Raises
    ------
    DomainError
        If the lengths differ, a bound is NaN or infinite, ``lo_i > hi_i`` (empty
        box) or ``lo_i == hi_i`` (not full-dimensional).

    Examples
    --------
    >>> Box([0, 0], [1, "1/2"]).volume()
    Fraction(1, 2)
    """

    lo: tuple[Fraction, ...]
    hi: tuple[Fraction, ...]

    def __init__(self, lo: Sequence[Any], hi: Sequence[Any]):
        lo_q = _vector(lo, "lo")
        hi_q = _vector(hi, "hi")
        if len(lo_q) != len(hi_q):
            raise DomainError(f"box bounds have different lengths: lo has {len(lo_q)} entries, "
                              f"hi has {len(hi_q)}")
        if not lo_q:
            raise DomainError("a box needs at least one coordinate (lo and hi are empty)")
        for i, (a, b) in enumerate(zip(lo_q, hi_q)):
            if a > b:
                raise DomainError(f"empty box: lo[{i}] = {abbreviate(a)} > hi[{i}] = {abbreviate(b)}")
            if a == b:
                raise DomainError(f"box is not full-dimensional: lo[{i}] = hi[{i}] = {abbreviate(a)}")
        object.__setattr__(self, "lo", lo_q)
        object.__setattr__(self, "hi", hi_q)

    @property
    def dim(self) -> int:
        return len(self.lo)

    @property
    def is_bounded(self) -> bool:
        return True

    def constraints(self) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        """H-representation ``(A, b)``: rows ``x_i <= hi_i`` and ``-x_i <= -lo_i``."""
        d = self.dim
        A, b = [], []
        for i in range(d):
            e = [Fraction(0)] * d
            e[i] = Fraction(1)
            A.append(tuple(e))
            b.append(self.hi[i])
            e = [Fraction(0)] * d
            e[i] = Fraction(-1)
            A.append(tuple(e))
            b.append(-self.lo[i])
        return tuple(A), tuple(b)

    def volume(self) -> Fraction:
        """Exact volume ``prod(hi - lo)``."""
        v = Fraction(1)
        for a, b in zip(self.lo, self.hi):
            v *= b - a
        return v

    def interior_point(self) -> tuple[Fraction, ...]:
        """The centre ``(lo + hi) / 2``."""
        return tuple((a + b) / 2 for a, b in zip(self.lo, self.hi))

    def vertices(self) -> tuple[tuple[Fraction, ...], ...]:
        """The ``2^d`` corners."""
        d = self.dim
        return tuple(tuple(self.hi[i] if (k >> i) & 1 else self.lo[i] for i in range(d))
                     for k in range(1 << d))

    def contains(self, x: Sequence[Any]) -> bool:
        q = [to_rational(v) for v in x]
        return len(q) == self.dim and all(a <= v <= b for a, v, b in zip(self.lo, q, self.hi))

    def __repr__(self) -> str:
        return f"Box(lo=[{', '.join(map(_short, self.lo))}], hi=[{', '.join(map(_short, self.hi))}])"


@dataclass(frozen=True)
class Reals:
    """All of ``R^d`` (unbounded).

    Parameters
    ----------
    d
        The dimension, a positive integer.

    Raises
    ------
    DomainError
        If ``d`` is not a positive integer (bools are refused).
    """

    d: int

    def __init__(self, d: int):
        if not isinstance(d, int) or isinstance(d, bool) or d < 1:
            raise DomainError(f"Reals(d) needs a positive integer dimension, got {d!r}")
        object.__setattr__(self, "d", d)

    @property
    def dim(self) -> int:
        return self.d

    @property
    def is_bounded(self) -> bool:
        return False

    def constraints(self) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        """No constraints: ``(A, b) = ((), ())``."""
        return (), ()

    def volume(self) -> Fraction:
        raise DomainError(f"R^{self.d} is unbounded and has no finite volume")

    def interior_point(self) -> tuple[Fraction, ...]:
        return (Fraction(0),) * self.d

    def vertices(self) -> tuple[tuple[Fraction, ...], ...]:
        return ()

    def contains(self, x: Sequence[Any]) -> bool:
        return len(list(x)) == self.d

    def __repr__(self) -> str:
        return f"Reals({self.d})"


@dataclass(frozen=True, eq=True)
class Polyhedron:
    """The polyhedron ``{x : A x <= b}`` (exact; may be unbounded).

    It must be full-dimensional; this is decided exactly the first time it is used
    (:meth:`check`, :meth:`volume`, :meth:`vertices`, :meth:`interior_point`, or
    region enumeration), and an empty or lower-dimensional polyhedron raises
    :class:`~cpa.errors.DomainError` then.  :meth:`is_empty` and
    :meth:`is_full_dimensional` answer without raising.

    Parameters
    ----------
    A
        ``m x d`` matrix (``m >= 0`` rows; with ``m = 0`` pass ``dim``).
    b
        Length-``m`` vector.
    dim
        The dimension, required only when ``A`` has no rows.

    Examples
    --------
    >>> P = Polyhedron([[-1, 0], [0, -1], [1, 1]], [0, 0, 1])   # a triangle
    >>> P.volume(), P.is_bounded
    (Fraction(1, 2), True)
    """

    A: tuple[tuple[Fraction, ...], ...]
    b: tuple[Fraction, ...]
    d: int = field(default=0)

    def __init__(self, A: Any, b: Any, dim: int | None = None):
        if dim is not None:
            if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
                raise ArgumentTypeError(f"polyhedron: dim must be an integer or None, got {dim!r} "
                                        f"({type(dim).__name__})")
            dim = int(dim)
        if isinstance(A, (str, bytes)) or not hasattr(A, "__iter__"):
            raise DomainError(f"polyhedron: A must be a sequence of rows, got {type(A).__name__}")
        rows = list(A)
        Aq = []
        width = None
        for i, r in enumerate(rows):
            rq = _vector(r, f"A[{i}]")
            if width is None:
                width = len(rq)
            elif len(rq) != width:
                raise DomainError(f"polyhedron: ragged matrix A, row {i} has {len(rq)} entries, "
                                  f"expected {width}")
            Aq.append(rq)
        bq = _vector(b, "b")
        if len(bq) != len(Aq):
            raise DomainError(f"polyhedron: A has {len(Aq)} rows but b has {len(bq)} entries")
        if width is None:
            if dim is None:
                raise DomainError("polyhedron with no constraints: pass dim=")
            width = dim
        elif dim is not None and dim != width:
            raise DomainError(f"polyhedron: A has {width} columns but dim={dim}")
        if width < 1:
            raise DomainError("polyhedron: dimension must be at least 1")
        object.__setattr__(self, "A", tuple(Aq))
        object.__setattr__(self, "b", bq)
        object.__setattr__(self, "d", width)

    @property
    def dim(self) -> int:
        return self.d

    def constraints(self) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        return self.A, self.b

    # --- exact V-representation -------------------------------------------------
    def _vrep(self) -> Any:
        try:
            return self.__dict__["_vrep_cache"]
        except KeyError:
            cache = _polyhedron_vrep(self)
            object.__setattr__(self, "_vrep_cache", cache)
            return cache

    def is_full_dimensional(self) -> bool:
        """True iff the polyhedron has nonempty interior (exact)."""
        return self._vrep() is not None

    def is_empty(self) -> bool:
        """True iff no point satisfies ``A x <= b`` (exact)."""
        if self.is_full_dimensional():
            return False
        return not _nonempty(self)

    def check(self) -> "Polyhedron":
        """Return self, or raise DomainError if empty or not full-dimensional."""
        if self._vrep() is None:
            if self.is_empty():
                raise DomainError(f"polyhedron {{x : A x <= b}} in R^{self.d} is empty")
            raise DomainError(f"polyhedron {{x : A x <= b}} in R^{self.d} is not full-dimensional "
                              f"(it lies in a hyperplane); regions need a full-dimensional domain")
        return self

    @property
    def is_bounded(self) -> bool:
        self.check()
        verts, masks, _, artificial = self._vrep()
        return not any(m & artificial for m in masks)

    def vertices(self) -> tuple[tuple[Fraction, ...], ...]:
        """The vertices (exact); for an unbounded polyhedron only its finite vertices."""
        from .polytope import dehom

        self.check()
        verts, masks, _, artificial = self._vrep()
        return tuple(dehom(P) for P, m in zip(verts, masks) if not m & artificial)

    def volume(self) -> Fraction:
        """Exact volume; DomainError if unbounded."""
        from .polytope import volume

        if not self.is_bounded:
            raise DomainError("polyhedron is unbounded and has no finite volume")
        verts, masks, _, _ = self._vrep()
        return volume(verts, list(range(len(verts))), masks, self.d)

    def interior_point(self) -> tuple[Fraction, ...]:
        """An exact point of the interior (an average of vertices of the polyhedron cut by a large box)."""
        from .polytope import centroid

        self.check()
        verts, masks, _, _ = self._vrep()
        return centroid(verts, list(range(len(verts))))

    def contains(self, x: Sequence[Any]) -> bool:
        q = [to_rational(v) for v in x]
        return len(q) == self.d and all(sum((a * v for a, v in zip(r, q)), Fraction(0)) <= c
                                        for r, c in zip(self.A, self.b))

    def __repr__(self) -> str:
        return f"Polyhedron({len(self.A)} inequalities in R^{self.d})"


def _polyhedron_vrep(P: Polyhedron) -> Any:
    """``(verts, masks, edges, artificial_bits)`` of ``P`` cut by a box holding all its vertices,
    or None if ``P`` is not full-dimensional.  Bits ``0 .. 2d-1`` are the artificial box,
    bit ``2d + k`` is row ``k``."""
    from .polytope import box_vrep, clip, integer_row, radius_bound

    d = P.d
    rows = [integer_row(list(a) + [-c]) for a, c in zip(P.A, P.b)]
    R = radius_bound(rows, d)
    verts, masks, edges = box_vrep([Fraction(-R)] * d, [Fraction(R)] * d)
    for k, r in enumerate(rows):
        if all(v == 0 for v in r[:-1]):
            if r[-1] > 0:   # 0 <= negative number
                return None
            continue
        res = clip(verts, masks, edges, r, 2 * d + k, d)
        if res is None:
            return None
        verts, masks, edges = res
    return verts, masks, edges, (1 << (2 * d)) - 1


def _nonempty(P: Polyhedron) -> bool:
    """Exact feasibility of ``A x <= b``: true iff ``A x <= b + eps`` is full-dimensional.

    With the rows scaled to integers of size at most ``B``, an infeasible system has a
    Farkas certificate ``y >= 0``, ``y A = 0``, ``y b <= -1`` supported on at most ``d + 1``
    rows, with integer entries at most ``H = ((d+1) B^2)^ceil((d+1)/2)`` (Cramer, Hadamard);
    it stays a certificate for ``b + eps`` when ``eps * (d + 1) * H < 1``.  A feasible system
    becomes full-dimensional for every ``eps > 0``.
    """
    from .polytope import integer_row, radius_bound

    d = P.d
    rows = [integer_row(list(a) + [-c]) for a, c in zip(P.A, P.b)]
    H = radius_bound(rows, d + 1)
    eps = Fraction(1, (d + 1) * H + 1)
    relaxed = Polyhedron([r[:-1] for r in rows], [Fraction(-r[-1]) + eps for r in rows])
    return _polyhedron_vrep(relaxed) is not None


Domain = Box | Polyhedron | Reals


def as_domain(domain: Any, d: int) -> Box | Polyhedron | Reals:
    """Normalise a user domain for a network with ``d`` inputs.

    ``None`` means all of ``R^d``; a ``(lo, hi)`` pair is a :class:`Box`.

    Parameters
    ----------
    domain
        A :class:`Box`, :class:`Polyhedron` or :class:`Reals`, a ``(lo, hi)`` tuple, or None.
    d
        The network's input dimension.

    Returns
    -------
    Box or Polyhedron or Reals
        The domain; a :class:`Polyhedron` is checked (:meth:`Polyhedron.check`) first.

    Raises
    ------
    DomainError
        If the domain's dimension is not ``d`` (the message names both), or the domain
        is invalid (empty box, non-finite bounds, empty or lower-dimensional polyhedron),
        or of none of the accepted kinds.
    """
    if domain is None:
        dom: Box | Polyhedron | Reals = Reals(d)
    elif isinstance(domain, (Box, Polyhedron, Reals)):
        dom = domain
    elif isinstance(domain, tuple) and len(domain) == 2:
        dom = Box(*domain)
    else:
        raise DomainError(f"unsupported domain {domain!r}: use Box, Polyhedron, Reals, a (lo, hi) pair or None")
    if dom.dim != d:
        raise DomainError(f"domain has dimension {dom.dim} but the network has input dimension {d}")
    if isinstance(dom, Polyhedron):
        dom.check()
    return dom
