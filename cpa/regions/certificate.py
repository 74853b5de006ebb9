"""Complete certificates for region complexes: every region is right, and no region is missing.

A per-region certificate (an interior point with the region's activation
pattern) shows that a listed region exists; it does not show that the list is
complete.  A float filter that trusts a wrong sign produces a list whose every
region checks out and which still misses regions (a cell that should have
been split stays whole).  The complete certificate checks, exactly and
independently of the engine that made the complex:

1. **Each region is what it claims.**  Its closure ``P = {x : A x <= b}``
   (the H-representation) is rebuilt by clipping a box with the rows, in
   exact homogeneous integer coordinates.  At every vertex of ``P`` the
   network's exact pre-activations have the signs of the region's pattern
   (``>= 0`` where active, ``<= 0`` where inactive).  Layer by layer this
   shows that the pattern holds on all of ``P``: on ``P`` the pre-activations
   of layer ``l`` are affine once layers ``< l`` are fixed, and an affine
   function on a polytope has its extremes at vertices.  The witness lies
   strictly inside ``P`` with the pattern (so the active neurons are positive
   on the interior), ``P`` lies in the domain, and the region's affine map is
   the exact map of its pattern.
2. **Interiors are disjoint.**  The set of points with a given pattern is
   convex (each layer adds half-spaces once the earlier layers are fixed), so
   two regions with distinct patterns, each contained in its pattern's closed
   cell, have disjoint interiors; the certificate checks that the patterns are
   distinct.
3. **The regions cover the domain.**  The exact volumes of the regions sum to
   the exact volume of the domain.  With 1 and 2 this proves that the regions
   tile the domain, so that they are all the activation regions.

On an unbounded domain (``R^d``, an unbounded polyhedron) volumes are taken
inside the box ``[-R, R]^d`` of :func:`enclosing_radius`, which contains every
vertex of every cell the network can make (Cramer's rule and Hadamard's
inequality on the integer-scaled hyperplanes): every region meets that box in
a full-dimensional set, so a tiling of the box's part of the domain is again
all the regions.  A region is unbounded iff its part of the box touches the
box's boundary, which is checked against the region's ``is_bounded``.

References
----------
The tiling criterion is the usual one for polyhedral complexes; see G. M.
Ziegler, *Lectures on Polytopes*, Springer (1995), chapter 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

import numpy as np

from ..domains import Box, Polyhedron, Reals
from ..numbers import ZERO
from ._exact import IntegerNetwork
from ..polytope import box_vrep, clip, hom, integer_row, radius_bound, volume

__all__ = ["ComplexCertificate", "CertificateBuilder", "certify_complex", "certify_region", "enclosing_radius"]


@dataclass(frozen=True)
class ComplexCertificate:
    """Result of :func:`certify_complex`.

    Attributes
    ----------
    ok
        True iff every check passed: the complex is proved to be exactly the
        activation regions of the network on the domain.
    regions
        Number of regions checked.
    reason
        The first check that failed (None when ``ok``).
    covered_volume, domain_volume
        Sum of the regions' exact volumes and the domain's exact volume (both inside
        the box ``[-radius, radius]^d`` on unbounded domains).
    radius
        Half-width of that box (None on bounded domains).
    """

    ok: bool
    regions: int
    reason: str | None
    covered_volume: Fraction | None = None
    domain_volume: Fraction | None = None
    radius: int | None = None

    def __bool__(self) -> bool:
        return self.ok

    def require(self) -> "ComplexCertificate":
        """This certificate if it holds; otherwise :class:`~cpa.errors.CertificateError` naming the
        failed check (it never should: that would be a bug in an engine)."""
        if not self.ok:   # pragma: no cover - would be a bug in an engine
            from ..errors import CertificateError

            raise CertificateError(f"the certificate does not hold: {self.reason}; please report this network",
                                   reason=self.reason)
        return self


def enclosing_radius(inet: IntegerNetwork, rows: Sequence[Sequence[int]]) -> int:
    """An integer ``R`` such that every vertex of every cell the network can make inside the
    polyhedron with homogeneous integer ``rows`` lies in ``(-R, R)^d``.

    Every such vertex solves ``d`` equations taken from the rows and from the hidden
    neurons' integer cell maps, whose entries are bounded by
    :meth:`IntegerNetwork.coefficient_bound`; :func:`~cpa.polytope.radius_bound`
    bounds the solutions.
    """
    return radius_bound(list(rows) + [(inet.coefficient_bound(),)], inet.d)


def _box_polytope(lo: Sequence[Fraction], hi: Sequence[Fraction]) -> tuple[list, list, list]:
    return box_vrep(lo, hi)


def _clip_rows(poly: tuple[list, list, list] | None, rows: Sequence[Sequence[int]], first_bit: int,
               d: int) -> tuple[list, list, list] | None:
    for k, r in enumerate(rows):
        if poly is None:
            return None
        if not any(r[:-1]):
            if r[-1] > 0:
                return None
            continue
        poly = clip(poly[0], poly[1], poly[2], r, first_bit + k, d)
    return poly


class _Checker:
    """Shared state of one certification: the network, the domain and the enclosing box."""

    def __init__(self, network: Any, domain: Box | Polyhedron | Reals):
        self.inet = IntegerNetwork(network)
        self.d = d = self.inet.d
        self.domain = domain
        if isinstance(domain, Box):
            self.dom_rows: list[tuple[int, ...]] = []
            self.lo, self.hi = list(domain.lo), list(domain.hi)
            self.radius: int | None = None
        else:
            A, b = domain.constraints()
            self.dom_rows = [integer_row(list(a) + [-c]) for a, c in zip(A, b)]
            R = enclosing_radius(self.inet, self.dom_rows)
            self.radius = R
            self.lo, self.hi = [Fraction(-R)] * d, [Fraction(R)] * d
        self.box_bits = 2 * d

    def domain_volume(self) -> Fraction:
        if isinstance(self.domain, Box):
            return self.domain.volume()
        poly = _clip_rows(_box_polytope(self.lo, self.hi), self.dom_rows, self.box_bits, self.d)
        if poly is None:
            return ZERO
        return volume(poly[0], range(len(poly[0])), poly[1], self.d)

    def region(self, pattern: Any, witness: Sequence[Fraction], hrep: Any, affine_map: Any,
               bounded: bool | None) -> tuple[str | None, Fraction | None]:
        """Check one region; return ``(failure or None, exact volume inside the box)``."""
        d = self.d
        inet = self.inet
        A, b = hrep
        x = tuple(witness)
        if len(x) != d:
            return f"witness has {len(x)} coordinates, the network {d} inputs", None
        if len(pattern) != len(inet.widths) or any(len(p) != w for p, w in zip(pattern, inet.widths)):
            return "pattern has the wrong shape", None
        rows = [integer_row(list(r) + [-c]) for r, c in zip(A, b)]
        X = hom(x)
        if any(sum(a * p for a, p in zip(r, X)) >= 0 for r in rows):
            return "witness is not strictly inside the region's inequalities", None
        if not self.domain.contains(x):
            return "witness is not in the domain", None
        active = [[j for j, on in enumerate(layer) if on] for layer in pattern]
        maps = inet.cell_maps(active)
        Am, cm = affine_map
        if inet.map_to_fractions(maps[-1], len(inet.widths)) != (tuple(map(tuple, Am)), tuple(cm)):
            return "affine map differs from the exact map of the region's pattern", None
        poly = _clip_rows(_box_polytope(self.lo, self.hi), rows, self.box_bits, d)
        if poly is None:
            return "the region's inequalities do not describe a full-dimensional set", None
        verts, masks, _ = poly
        for P in verts:
            if any(sum(a * p for a, p in zip(r, P)) > 0 for r in self.dom_rows):
                return "a vertex of the region lies outside the domain", None
        if maps[:-1]:
            # pre-activations of every hidden neuron under the region's pattern, at the witness
            # (column 0) and at every vertex; layer by layer they are the network's own values
            # as long as the earlier layers' signs hold (see the module docstring)
            H = np.array([r for M in maps[:-1] for r in M], dtype=object)
            Z = H.dot(np.array([X, *verts], dtype=object).T)
            on = np.array([a for layer in pattern for a in layer], dtype=bool)
            pos = Z > 0
            neg = Z < 0
            if (pos[:, 0] != on).any():
                return "the network's activation pattern at the witness is not the region's pattern", None
            if neg[on, 1:].any() or pos[~on, 1:].any():
                return "the region's pattern does not hold on all of it (a vertex has the other sign)", None
        if self.radius is not None:
            box_mask = (1 << self.box_bits) - 1
            touches = any(m & box_mask for m in masks)
            if bounded is not None and bool(bounded) == touches:
                return (f"the region is reported {'bounded' if bounded else 'unbounded'}, but its part of the "
                        f"enclosing box {'touches' if touches else 'does not touch'} the box's boundary"), None
        return None, volume(verts, range(len(verts)), masks, d)


def certify_region(network: Any, domain: Box | Polyhedron | Reals, pattern: Any, witness: Sequence[Fraction],
                   hrep: Any, affine_map: Any, bounded: bool | None = None) -> str | None:
    """Check one region completely (check 1 of the module docstring); None if it holds, else the failure."""
    return _Checker(network, domain).region(pattern, witness, hrep, affine_map, bounded)[0]


def certify_complex(network: Any, domain: Box | Polyhedron | Reals, regions: Sequence[Any], *,
                    progress: Callable[[int], None] | None = None) -> ComplexCertificate:
    """Check that ``regions`` are exactly the activation regions of ``network`` on ``domain``.

    Parameters
    ----------
    network
        The :class:`~cpa.network.ReLUNetwork`.
    domain
        The domain the regions were enumerated on.
    regions
        Objects with ``pattern``, ``witness``, ``hrep``, ``affine_map`` and ``is_bounded``
        (the :class:`~cpa.regions.Region` views of a complex).
    progress
        Called with the number of regions checked so far, every 256 regions.

    Returns
    -------
    ComplexCertificate
        ``ok`` with the exact volumes, or the first failure.

    Notes
    -----
    Exact throughout (Python integers and fractions); the cost is that of clipping a box
    by each region's inequalities and triangulating the result, so it is meant for
    checking, not for every run.
    """
    builder = CertificateBuilder(network, domain)
    for r in regions:
        if not builder.add(r.pattern, r.witness, r.hrep, r.affine_map, r.is_bounded):
            break
        if progress is not None and builder.regions % 256 == 0:
            progress(builder.regions)
    return builder.result()


class CertificateBuilder:
    """The complete certificate built region by region, for listings that stream.

    :meth:`add` checks one region completely (check 1 of the module docstring) and
    records its pattern and exact volume; :meth:`add_checked` records a region already
    checked elsewhere (a worker process, which sends its volume); :meth:`result` then
    checks distinct patterns and the volume sum.  Memory: one pattern per region.
    """

    def __init__(self, network: Any, domain: Box | Polyhedron | Reals):
        self.checker = _Checker(network, domain)
        self._seen: set[Any] = set()
        self._total = ZERO
        self.regions = 0
        self.failure: str | None = None

    def add(self, pattern: Any, witness: Sequence[Fraction], hrep: Any, affine_map: Any,
            bounded: bool | None) -> bool:
        """Check a region and record it; False (with :attr:`failure` set) if it fails."""
        if self.failure is not None:
            return False
        pat = tuple(tuple(bool(a) for a in layer) for layer in pattern)
        fail, vol = self.checker.region(pat, witness, hrep, affine_map, bounded)
        if fail is not None:
            self.failure = f"region {self.regions}: {fail}"
            return False
        return self.add_checked(pat, vol)  # type: ignore[arg-type]

    def add_checked(self, pattern_key: Any, volume: Fraction) -> bool:
        """Record a region checked elsewhere by its (hashable) pattern and exact volume."""
        if self.failure is not None:
            return False
        if pattern_key in self._seen:
            self.failure = f"two regions have the same activation pattern (region {self.regions})"
            return False
        self._seen.add(pattern_key)
        self._total += volume
        self.regions += 1
        return True

    def result(self) -> ComplexCertificate:
        """The certificate of the regions added so far (``ok`` iff they tile the domain)."""
        ck = self.checker
        if self.failure is not None:
            return ComplexCertificate(False, self.regions, self.failure, radius=ck.radius)
        total, dom = self._total, ck.domain_volume()
        if total != dom:
            where = " inside the enclosing box" if ck.radius is not None else ""
            return ComplexCertificate(False, self.regions, f"the regions' volumes sum to {_short(total)}, the "
                                      f"domain's volume{where} is {_short(dom)}: regions are missing or overlap",
                                      total, dom, ck.radius)
        return ComplexCertificate(True, self.regions, None, total, dom, ck.radius)


def _short(q: Fraction) -> str:
    s = str(q)
    return s if len(s) <= 60 else f"{s[:40]}... (exact value of {len(s)} characters)"
