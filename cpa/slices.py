"""Exact low-dimensional slices of input space: planes, segments and polylines.

A network on ``R^d`` with ``d`` in the hundreds (an image classifier) has far
too many regions to enumerate, but its restriction to a plane or a line through
data points is a network on ``R^2`` or ``R^1`` whose regions are exactly the
traces of the full network's regions on the slice.  The slices here are exact:

* :class:`Plane` ``{o + s u + t v : (s, t) in box}``, with ``u, v`` linearly
  independent (decided exactly);
* :class:`Segment` ``{a + t (b - a) : t in [0, 1]}``, ``a != b``;
* :class:`Path` the polyline through ``x_0, ..., x_m``, one global parameter
  ``t in [0, 1]`` with vertex ``i`` at ``t = i / m``.

Each slice has an exact affine parametrisation :attr:`affine` (an
:class:`~cpa.affine.Affine` from slice coordinates to ``R^d``) so that
``net @ slice.affine`` is the network on the slice's coordinates, and a
:meth:`to_input` that maps slice coordinates back to input space exactly.
Coordinates are read with :func:`cpa.numbers.to_rational`: floats (float32 data
included) at their exact binary value, so a plane through three data points
passes through those very points.

:func:`cpa.regions.regions` and :func:`cpa.regions.count_regions` accept a
:class:`Plane` or a :class:`Segment` as the domain (regions are then reported in
slice coordinates); :func:`cpa.breakpoints` and :func:`cpa.transitions` walk
segments and paths.

References
----------
* B. Hanin and D. Rolnick, "Deep ReLU networks have surprisingly few activation
  patterns", NeurIPS 2019 (region counts on planes through data points).
* M. Raghu, B. Poole, J. Kleinberg, S. Ganguli and J. Sohl-Dickstein, "On the
  expressive power of deep neural networks", ICML 2017 (transitions along trajectories).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Sequence

from .affine import Affine
from .domains import Box
from .errors import DomainError, ShapeError
from .numbers import ONE, ZERO, abbreviate, to_rational, to_vector
from .sparse import SparseMatrix

__all__ = ["Plane", "Segment", "Path"]

Point = tuple[Fraction, ...]


class Plane:
    """The exact planar slice ``{origin + s u + t v : (s, t) in box}`` of ``R^d``.

    Parameters
    ----------
    origin, u, v
        Vectors of the same length ``d >= 2`` of numbers :func:`cpa.numbers.to_rational`
        accepts (sequences or numpy arrays; floats at their exact binary value).  ``u`` and
        ``v`` must be linearly independent.
    box
        The plane coordinates: a :class:`~cpa.domains.Box` in ``R^2`` or a pair
        ``((s_lo, t_lo), (s_hi, t_hi))``; default ``((0, 0), (1, 1))``.

    Raises
    ------
    ShapeError
        If the three vectors do not have the same length.
    DomainError
        If ``u`` or ``v`` is zero, they are linearly dependent, or the box is empty or
        not two-dimensional.

    Notes
    -----
    The affine parametrisation is ``P(s, t) = origin + s u + t v``, i.e. the map
    ``(s, t) -> [u v] (s, t)^T + origin`` from ``R^2`` to ``R^d``; ``net @ plane.affine``
    is the network restricted to the plane, in plane coordinates.  Independence is decided
    exactly: with ``u_i != 0``, ``v`` is a multiple of ``u`` iff ``u_i v_j = v_i u_j`` for all ``j``.

    Examples
    --------
    >>> p = Plane.through([0, 0, 0], [1, 0, 0], [0, 2, 0], margin="1/2")
    >>> p.dim, p.domain
    (3, Box(lo=[-1/2, -1/2], hi=[3/2, 3/2]))
    >>> p.to_input([1, "1/2"])
    (Fraction(1, 1), Fraction(1, 1), Fraction(0, 1))
    >>> p.affine([1, 1]) == p.to_input([1, 1])
    True
    """

    __slots__ = ("origin", "u", "v", "box", "_affine")

    origin: Point
    u: Point
    v: Point
    box: Box

    def __init__(self, origin: Any, u: Any, v: Any, box: Any = ((0, 0), (1, 1))):
        o = to_vector(origin, "Plane origin")
        uu = to_vector(u, "Plane u")
        vv = to_vector(v, "Plane v")
        for name, vec in (("u", uu), ("v", vv)):
            if len(vec) != len(o):
                raise ShapeError(f"Plane: {name} has length {len(vec)} but origin has length {len(o)}")
        if not o:
            raise ShapeError("Plane: origin, u and v are empty; a plane needs points of R^d, d >= 2")
        for name, vec in (("u", uu), ("v", vv)):
            if not any(vec):
                raise DomainError(f"Plane: {name} is the zero vector; a plane needs two independent directions")
        if _parallel(uu, vv):
            raise DomainError("Plane: u and v are linearly dependent (v is a multiple of u); "
                              "a plane needs two independent directions")
        object.__setattr__(self, "origin", o)
        object.__setattr__(self, "u", uu)
        object.__setattr__(self, "v", vv)
        object.__setattr__(self, "box", _box(box, 2, "Plane box"))
        object.__setattr__(self, "_affine", None)

    @classmethod
    def through(cls, x0: Any, x1: Any, x2: Any, margin: Any = 0) -> "Plane":
        """The plane through three points: origin ``x0``, ``u = x1 - x0``, ``v = x2 - x0``.

        Parameters
        ----------
        x0, x1, x2
            Points of ``R^d`` (read exactly), not collinear.
        margin
            The box is ``[-margin, 1 + margin]^2``, so the triangle ``x0 x1 x2`` (at plane
            coordinates ``(0, 0)``, ``(1, 0)``, ``(0, 1)``) lies in it for ``margin >= 0``;
            must exceed ``-1/2``.

        Raises
        ------
        ShapeError
            If the points do not have the same length.
        DomainError
            If two points coincide, the three are collinear, or ``margin <= -1/2``.

        Examples
        --------
        >>> Plane.through([0, 0], [1, 1], [2, 2])
        Traceback (most recent call last):
        ...
        cpa.errors.DomainError: Plane.through: the points x0, x1, x2 are collinear (x2 - x0 is a multiple of x1 - x0)
        """
        p0 = to_vector(x0, "Plane.through x0")
        p1 = to_vector(x1, "Plane.through x1")
        p2 = to_vector(x2, "Plane.through x2")
        for name, p in (("x1", p1), ("x2", p2)):
            if len(p) != len(p0):
                raise ShapeError(f"Plane.through: {name} has length {len(p)} but x0 has length {len(p0)}")
        m = to_rational(margin, "Plane.through margin")
        if 2 * m + 1 <= 0:
            raise DomainError(f"Plane.through margin must be greater than -1/2 (the box [-margin, 1 + margin]^2 "
                              f"is empty otherwise), got {m}")
        u = tuple(a - b for a, b in zip(p1, p0))
        v = tuple(a - b for a, b in zip(p2, p0))
        for name, w in (("x1", u), ("x2", v)):
            if not any(w):
                raise DomainError(f"Plane.through: {name} equals x0; a plane needs three non-collinear points")
        if _parallel(u, v):
            raise DomainError("Plane.through: the points x0, x1, x2 are collinear (x2 - x0 is a multiple of x1 - x0)")
        return cls(p0, u, v, ((-m, -m), (1 + m, 1 + m)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Plane is immutable")

    @property
    def dim(self) -> int:
        """``d``: the plane lies in ``R^d``."""
        return len(self.origin)

    @property
    def affine(self) -> Affine:
        """The exact map ``(s, t) -> origin + s u + t v`` from ``R^2`` to ``R^d``."""
        if self._affine is None:
            rows = [tuple((j, w) for j, w in ((0, a), (1, b)) if w) for a, b in zip(self.u, self.v)]
            object.__setattr__(self, "_affine", Affine(SparseMatrix((self.dim, 2), rows), self.origin))
        return self._affine  # type: ignore[return-value]

    @property
    def domain(self) -> Box:
        """The box of plane coordinates ``(s, t)``."""
        return self.box

    def to_input(self, st: Sequence[Any]) -> Point:
        """The point ``origin + s u + t v`` of ``R^d`` for plane coordinates ``st = (s, t)``, exactly."""
        s, t = to_vector(st, "plane coordinates", length=2)
        return tuple(o + s * a + t * b for o, a, b in zip(self.origin, self.u, self.v))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Plane) and (self.origin, self.u, self.v, self.box) == \
            (other.origin, other.u, other.v, other.box)

    def __hash__(self) -> int:
        return hash((self.origin, self.u, self.v, self.box))

    def __repr__(self) -> str:
        if self.dim > 8:
            return f"Plane(R^{self.dim}, box={self.box!r})"
        return f"Plane(origin={_text(self.origin)}, u={_text(self.u)}, v={_text(self.v)}, box={self.box!r})"


class Segment:
    """The exact segment ``{a + t (b - a) : t in [0, 1]}`` of ``R^d``, ``a != b``.

    Parameters
    ----------
    a, b
        Its ends: vectors of the same length of numbers :func:`cpa.numbers.to_rational`
        accepts (floats at their exact binary value).

    Raises
    ------
    ShapeError
        If ``a`` and ``b`` do not have the same length.
    DomainError
        If ``a == b``.

    Notes
    -----
    The parametrisation is the affine map ``t -> (b - a) t + a`` from ``R`` to ``R^d``
    (:attr:`affine`), on the interval :attr:`domain` ``= [0, 1]``.

    Examples
    --------
    >>> s = Segment([0, 1], [2, 3])
    >>> s.to_input("1/4"), s.affine
    ((Fraction(1, 2), Fraction(3, 2)), Affine([[2], [2]], [0, 1]))
    """

    __slots__ = ("a", "b", "_affine")

    a: Point
    b: Point

    def __init__(self, a: Any, b: Any):
        pa = to_vector(a, "Segment a")
        pb = to_vector(b, "Segment b")
        if len(pa) != len(pb):
            raise ShapeError(f"Segment: a has length {len(pa)} but b has length {len(pb)}")
        if not pa:
            raise ShapeError("Segment: a and b are empty; a segment needs points of R^d, d >= 1")
        if pa == pb:
            raise DomainError("Segment: a and b are the same point; a segment needs two distinct ends")
        object.__setattr__(self, "a", pa)
        object.__setattr__(self, "b", pb)
        object.__setattr__(self, "_affine", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Segment is immutable")

    @property
    def dim(self) -> int:
        """``d``: the segment lies in ``R^d``."""
        return len(self.a)

    @property
    def direction(self) -> Point:
        """``b - a``."""
        return tuple(y - x for x, y in zip(self.a, self.b))

    @property
    def affine(self) -> Affine:
        """The exact map ``t -> a + t (b - a)`` from ``R`` to ``R^d``."""
        if self._affine is None:
            rows = [((0, w),) if w else () for w in self.direction]
            object.__setattr__(self, "_affine", Affine(SparseMatrix((self.dim, 1), rows), self.a))
        return self._affine  # type: ignore[return-value]

    @property
    def domain(self) -> Box:
        """The parameter interval ``[0, 1]``."""
        return Box([0], [1])

    def to_input(self, t: Any) -> Point:
        """The point ``a + t (b - a)`` of ``R^d``, exactly (``t`` a number or a 1-sequence)."""
        (q,) = _parameter(t)
        return tuple(x + q * (y - x) for x, y in zip(self.a, self.b))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Segment) and (self.a, self.b) == (other.a, other.b)

    def __hash__(self) -> int:
        return hash((self.a, self.b))

    def __repr__(self) -> str:
        if self.dim > 8:
            return f"Segment(R^{self.dim})"
        return f"Segment({_text(self.a)}, {_text(self.b)})"


class Path:
    """The polyline through ``x_0, x_1, ..., x_m`` (``m >= 1`` segments), with one parameter ``t in [0, 1]``.

    Parameters
    ----------
    points
        At least two points of ``R^d`` (same length), consecutive ones distinct; read
        exactly like :class:`Segment` ends.

    Raises
    ------
    ShapeError
        If fewer than two points are given, or their lengths differ.
    DomainError
        If two consecutive points are equal.

    Notes
    -----
    Vertex ``x_i`` is at ``t = i / m`` and segment ``i`` (from ``x_i`` to ``x_{i+1}``) is
    traversed at constant speed for ``t in [i/m, (i+1)/m]``:
    ``x(t) = x_i + (m t - i) (x_{i+1} - x_i)``.  The parametrisation is continuous but
    only piecewise affine, so a path is not a domain for :func:`cpa.regions.regions`; walk
    it with :func:`cpa.breakpoints`.

    Examples
    --------
    >>> p = Path([[0, 0], [1, 0], [1, 1]])
    >>> p.num_segments, p.to_input("3/4"), p.vertex_parameters
    (2, (Fraction(1, 1), Fraction(1, 2)), (Fraction(0, 1), Fraction(1, 2), Fraction(1, 1)))
    """

    __slots__ = ("points",)

    points: tuple[Point, ...]

    def __init__(self, points: Any):
        if isinstance(points, (str, bytes)) or not hasattr(points, "__len__"):
            raise ShapeError(f"Path: expected a sequence of points, got {type(points).__name__}")
        pts = tuple(to_vector(p, f"Path point {i}") for i, p in enumerate(points))
        if len(pts) < 2:
            raise ShapeError(f"Path: needs at least two points, got {len(pts)}")
        for i, p in enumerate(pts):
            if len(p) != len(pts[0]):
                raise ShapeError(f"Path: point {i} has length {len(p)} but point 0 has length {len(pts[0])}")
        if not pts[0]:
            raise ShapeError("Path: the points are empty; a path needs points of R^d, d >= 1")
        for i in range(len(pts) - 1):
            if pts[i] == pts[i + 1]:
                raise DomainError(f"Path: points {i} and {i + 1} are equal; consecutive points must differ")
        object.__setattr__(self, "points", pts)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Path is immutable")

    @property
    def dim(self) -> int:
        """``d``: the path lies in ``R^d``."""
        return len(self.points[0])

    @property
    def num_segments(self) -> int:
        """``m``, the number of segments."""
        return len(self.points) - 1

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The ``m`` segments ``x_i -> x_{i+1}``, in order."""
        return tuple(Segment(a, b) for a, b in zip(self.points[:-1], self.points[1:]))

    @property
    def vertex_parameters(self) -> tuple[Fraction, ...]:
        """``(0, 1/m, ..., 1)``: the parameters of the vertices."""
        m = self.num_segments
        return tuple(Fraction(i, m) for i in range(m + 1))

    def to_input(self, t: Any) -> Point:
        """The point of the path at global parameter ``t in [0, 1]``, exactly."""
        (q,) = _parameter(t)
        if not ZERO <= q <= ONE:
            raise DomainError(f"Path.to_input: t must be in [0, 1], got {q}")
        m = self.num_segments
        i = min(math.floor(q * m), m - 1)
        local = q * m - i
        a, b = self.points[i], self.points[i + 1]
        return tuple(x + local * (y - x) for x, y in zip(a, b))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Path) and self.points == other.points

    def __hash__(self) -> int:
        return hash(self.points)

    def __repr__(self) -> str:
        return f"Path({len(self.points)} points in R^{self.dim})"


def _parallel(u: Point, v: Point) -> bool:
    """Whether the nonzero vector ``u`` and ``v`` are linearly dependent (exact 2x2 minors)."""
    i = next(k for k, a in enumerate(u) if a)
    ui, vi = u[i], v[i]
    return all(ui * b == vi * a for a, b in zip(u, v))


def _box(box: Any, d: int, where: str) -> Box:
    if isinstance(box, Box):
        bx = box
    else:
        try:
            lo, hi = box
        except (TypeError, ValueError):
            raise DomainError(f"{where} must be a Box or a pair (lo, hi) of points of R^{d}, got {box!r}") from None
        bx = Box(lo, hi)
    if bx.dim != d:
        raise DomainError(f"{where} must be a box in R^{d}, got one in R^{bx.dim}")
    return bx


def _parameter(t: Any) -> tuple[Fraction]:
    if isinstance(t, (str, bytes)) or not hasattr(t, "__len__"):
        return (to_rational(t, "parameter t"),)
    (q,) = to_vector(t, "parameter t", length=1)
    return (q,)


def _text(p: Point) -> str:
    return "(" + ", ".join(abbreviate(x, 20) for x in p) + ")"
