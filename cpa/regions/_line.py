"""Exact region enumeration for one input (d = 1) by breakpoint propagation.

The domain is an interval, possibly unbounded.  Its points are kept in
homogeneous integer coordinates ``(X, t)`` (``x = X / t``); an infinite end is
the *ray* ``(+-1, 0)``.  With them the integer pre-activations ``Z`` of the
current layer (see :mod:`cpa.regions._exact`) are stored at every point.
Between consecutive points every pre-activation is linear in ``(X, t)``, so a
neuron that changes strict sign on an interval ``(a, b)`` has its zero at
``c = Z_a b - Z_b a`` (sign-corrected), where the values of all neurons of the
layer are ``Z_a Z(b) - Z_b Z(a)``; relu is positively homogeneous, so it
applies pointwise once no neuron changes sign inside an interval.  Everything
runs on numpy object arrays of Python integers, exactly.

All of ``R`` starts as ``(-inf, 0] + [0, +inf)``; at the end adjacent intervals
with the same activation pattern are merged (so a point where a neuron only
touches zero, or the artificial point 0, never splits a region).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..domains import Box, Polyhedron, Reals
from ..errors import DomainError, EnumerationLimitError, ShapeError
from ._exact import IntegerNetwork
from .backend import BackendBase

__all__ = ["LineResult", "LineCells", "enumerate_line", "line_backend"]


def _interval(domain: Box | Polyhedron | Reals) -> tuple[Fraction | None, Fraction | None]:
    if isinstance(domain, Box):
        return domain.lo[0], domain.hi[0]
    if isinstance(domain, Reals):
        return None, None
    lo: Fraction | None = None
    hi: Fraction | None = None
    for (a,), c in zip(domain.A, domain.b):
        if a > 0:
            v = c / a
            hi = v if hi is None or v < hi else hi
        elif a < 0:
            v = c / a
            lo = v if lo is None or v > lo else lo
        elif c < 0:
            raise DomainError("polyhedron domain in R^1 is empty (a constraint reads 0 <= negative)")
    if lo is not None and hi is not None and lo >= hi:
        raise DomainError(f"polyhedron domain in R^1 is {'empty' if lo > hi else 'a single point'}: "
                          f"[{lo}, {hi}]")
    return lo, hi


def _hom(x: Fraction) -> list[int]:
    return [x.numerator, x.denominator]


@dataclass
class LineResult:
    """Raw output of :func:`enumerate_line`."""

    inet: IntegerNetwork
    P: np.ndarray                       # object (m, 2): homogeneous points, sorted
    F: np.ndarray                       # object (m, n_out): integer output values (scale S_last)
    left: np.ndarray                    # region i spans points left[i] .. right[i]
    right: np.ndarray
    sub: np.ndarray                     # one sub-interval index per region (for its pattern)
    acts: list[np.ndarray]              # per hidden layer: (n_intervals_final, n_l) bools
    lo: Fraction | None
    hi: Fraction | None
    stats: dict[str, Any] = field(default_factory=dict)


def enumerate_line(net: Any, domain: Box | Polyhedron | Reals, *, max_regions: int | None = None,
                   progress: bool = False) -> LineResult:
    """Enumerate the activation regions of a network with one input exactly."""
    inet = IntegerNetwork(net)
    if inet.d != 1:
        raise ShapeError(f"enumerate_line needs a network with one input, got {inet.d}")
    if not isinstance(domain, (Box, Polyhedron, Reals)) or domain.dim != 1:
        raise DomainError(f"enumerate_line needs a domain in R^1 (Box, Polyhedron or Reals), got {domain!r}")
    lo, hi = _interval(domain)
    pts: list[list[int]] = []
    pts.append([-1, 0] if lo is None else _hom(lo))
    if lo is None and hi is None:
        pts.append([0, 1])          # artificial split point: cones must be pointed
    pts.append([1, 0] if hi is None else _hom(hi))
    P = np.empty((len(pts), 2), dtype=object)
    P[:, :] = pts
    widths = inet.widths
    L = len(widths)
    bar = None
    if progress and L:
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(widths), desc="regions (1-D)", unit="neuron")
    acts: list[np.ndarray] = []
    origs: list[np.ndarray] = []
    Z = _layer(inet, 0, P, None)
    try:
        for l in range(L):
            if l > 0:
                Z = _layer(inet, l, P, Z)
            orig = np.arange(len(P) - 1)
            for j in range(widths[l]):
                zj = Z[:, j]
                pos = zj > 0
                neg = zj < 0
                cross = (pos[:-1] & neg[1:]) | (neg[:-1] & pos[1:])
                idx = np.flatnonzero(cross)
                if len(idx):
                    za = zj[idx]
                    zb = zj[idx + 1]
                    sg = np.where(za > 0, 1, -1).astype(object)
                    ca = (sg * za)[:, None]
                    cb = (sg * zb)[:, None]
                    Pn = ca * P[idx + 1] - cb * P[idx]
                    Zn = ca * Z[idx + 1] - cb * Z[idx]
                    g = np.gcd.reduce(np.concatenate([Pn, Zn], axis=1), axis=1)[:, None]
                    Pn = Pn // g
                    Zn = Zn // g
                    P = np.insert(P, idx + 1, Pn, axis=0)
                    Z = np.insert(Z, idx + 1, Zn, axis=0)
                    orig = np.insert(orig, idx + 1, orig[idx])
                if bar is not None:
                    bar.update(1)
                if max_regions is not None and len(P) - 1 > max_regions + 1:
                    raise EnumerationLimitError.partial_count(f"more than max_regions={max_regions} regions",
                                                              len(P) - 2, unit="intervals", layer=l, neuron=j)
            acts.append((Z[:-1] + Z[1:]) > 0)
            origs.append(orig)
    finally:
        if bar is not None:
            bar.close()
    F = _layer(inet, L, P, Z if L else None)
    m = len(P) - 1
    # patterns of the final intervals, layer by layer (compose the insertion maps backwards)
    final_acts: list[np.ndarray] = [None] * L  # type: ignore[list-item]
    idx = np.arange(m)
    for l in range(L - 1, -1, -1):
        final_acts[l] = acts[l][idx]
        idx = origs[l][idx]
    # merge neighbours with equal patterns (across the artificial point or touching zeros)
    if L and m > 1:
        same = np.ones(m - 1, dtype=bool)
        for a in final_acts:
            same &= (a[:-1] == a[1:]).all(axis=1)
    else:
        same = np.ones(max(m - 1, 0), dtype=bool)
    starts = np.concatenate(([0], np.flatnonzero(~same) + 1))
    ends = np.concatenate((starts[1:], [m]))
    if max_regions is not None and len(starts) > max_regions:
        raise EnumerationLimitError.partial_count(f"more than max_regions={max_regions} regions", len(starts),
                                                  unit="regions", final=True)
    return LineResult(inet=inet, P=P, F=F, left=starts, right=ends, sub=starts, acts=final_acts,
                      lo=lo, hi=hi, stats={"points": len(P), "intervals": m})


def _layer(inet: IntegerNetwork, l: int, P: np.ndarray, Zprev: np.ndarray | None) -> np.ndarray:
    """Integer pre-activations of layer ``l`` at all points."""
    t = P[:, 1:2]
    bias = np.array([c * inet.S_before(l) for c in inet.b[l]], dtype=object)[None, :]
    if l == 0:
        W = inet.Wdense[0][:, 0][None, :]
        return P[:, 0:1] * W + t * bias
    H = np.where(Zprev > 0, Zprev, 0)
    return H @ inet.Wdense[l].T + t * bias


class LineCells(BackendBase):
    """Backend of :class:`~cpa.regions.RegionComplex` for the 1-D engine."""

    def __init__(self, res: LineResult):
        self.res = res
        self.stats = res.stats
        self.d = 1
        self.inet = res.inet

    def __len__(self) -> int:
        return len(self.res.left)

    def _ends(self, i: int) -> tuple[Fraction | None, Fraction | None]:
        P = self.res.P
        a = P[self.res.left[i]]
        b = P[self.res.right[i]]
        lo = Fraction(int(a[0]), int(a[1])) if a[1] else None
        hi = Fraction(int(b[0]), int(b[1])) if b[1] else None
        return lo, hi

    def pattern(self, i: int) -> tuple[tuple[bool, ...], ...]:
        k = self.res.sub[i]
        return tuple(tuple(bool(x) for x in a[k]) for a in self.res.acts)

    def _slope_num_den(self, i: int) -> tuple[list[int], list[int], int]:
        """``S alpha = an / den``, ``S beta = bn / den`` for the output ``alpha x + beta``."""
        P, F = self.res.P, self.res.F
        k = self.res.sub[i]
        Xa, ta = int(P[k][0]), int(P[k][1])
        Xb, tb = int(P[k + 1][0]), int(P[k + 1][1])
        den = Xa * tb - Xb * ta
        an = [int(fa) * tb - int(fb) * ta for fa, fb in zip(F[k], F[k + 1])]
        bn = [Xa * int(fb) - Xb * int(fa) for fa, fb in zip(F[k], F[k + 1])]
        return an, bn, den

    def affine_map(self, i: int) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        an, bn, den = self._slope_num_den(i)
        S = self.inet.S[-1]
        A = tuple((Fraction(a, den * S),) for a in an)
        c = tuple(Fraction(b, den * S) for b in bn)
        return A, c

    def map_key(self, i: int) -> Any:
        return self.affine_map(i)

    def is_bounded(self, i: int) -> bool:
        lo, hi = self._ends(i)
        return lo is not None and hi is not None

    def bounded_mask(self) -> np.ndarray:
        n = len(self)
        m = np.ones(n, dtype=bool)
        if n and self.res.P[self.res.left[0]][1] == 0:
            m[0] = False
        if n and self.res.P[self.res.right[-1]][1] == 0:
            m[-1] = False
        return m

    def vertices(self, i: int) -> tuple[tuple[Fraction, ...], ...]:
        return tuple((v,) for v in self._ends(i) if v is not None)

    def volume(self, i: int) -> Fraction:
        lo, hi = self._ends(i)
        if lo is None or hi is None:
            raise DomainError(f"region {i} is unbounded and has no finite length")
        return hi - lo

    def hrep(self, i: int) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        lo, hi = self._ends(i)
        A: list[tuple[Fraction, ...]] = []
        b: list[Fraction] = []
        if lo is not None:
            A.append((Fraction(-1),))
            b.append(-lo)
        if hi is not None:
            A.append((Fraction(1),))
            b.append(hi)
        return tuple(A), tuple(b)

    def witness(self, i: int) -> tuple[Fraction, ...]:
        lo, hi = self._ends(i)
        if lo is None and hi is None:
            return (Fraction(0),)
        if lo is None:
            return (Fraction(hi.__floor__() - 1),)   # type: ignore[union-attr]
        if hi is None:
            return (Fraction(lo.__floor__() + 1),)
        for den in (1, 2, 4, 8, 16, 1024):
            y = Fraction(round((lo + hi) / 2 * den), den)
            if lo < y < hi:
                return (y,)
        return ((lo + hi) / 2,)

    def adjacency(self, subset: Any = None) -> list[tuple[int, int]]:
        n = len(self)
        if subset is None:
            return [(i, i + 1) for i in range(n - 1)]
        s = set(subset)
        return [(i, i + 1) for i in range(n - 1) if i in s and i + 1 in s]

    def piece_labels(self) -> np.ndarray:
        """Piece index of every region: consecutive regions with equal output maps share a piece."""
        n = len(self)
        if n <= 1:
            return np.zeros(n, dtype=np.int64)
        P, F = self.res.P, self.res.F
        k = self.res.sub
        Xa, ta = P[k, 0], P[k, 1]
        Xb, tb = P[k + 1, 0], P[k + 1, 1]
        den = Xa * tb - Xb * ta
        an = F[k] * tb[:, None] - F[k + 1] * ta[:, None]
        # slopes an / den equal for neighbours (continuity makes the maps equal then)
        eq = (an[:-1] * den[1:, None] == an[1:] * den[:-1, None]).all(axis=1)
        return np.concatenate(([0], np.cumsum(~eq))).astype(np.int64)


def line_backend(net: Any, domain: Box | Polyhedron | Reals, *, max_regions: int | None = None,
                 progress: bool = False, max_memory: int | None = None) -> LineCells:
    """Run the 1-D engine (row ``"line"`` of the engine table); ``max_memory`` does not apply
    (memory is linear in the number of regions)."""
    return LineCells(enumerate_line(net, domain, max_regions=max_regions, progress=progress))
