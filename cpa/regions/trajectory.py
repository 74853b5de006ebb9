"""Activation regions along segments and polylines of input space (trajectories), exactly.

Along a segment ``x(t) = a + t (b - a)``, ``t in [0, 1]``, a ReLU network is a
network of one input, ``net @ segment.affine``; its activation regions are the
maximal parameter intervals on which the activation pattern is constant, and its
breakpoints the parameters in ``(0, 1)`` where the pattern changes.  A point where
a neuron only touches zero, with the same pattern on both sides, is not a
breakpoint.

* :func:`breakpoints` computes them exactly for one :class:`~cpa.slices.Segment`
  (the 1-D engine :mod:`cpa.regions._line` on the composed network) or one
  :class:`~cpa.slices.Path` (segment by segment, joined at the vertices), with the
  affine pieces of the output along the way;
* :func:`transitions` counts the activation regions along many segments at once
  (the *transition count* of Raghu et al. 2017): a vectorised float64 walk whose every decision
  is certified by a rigorous error bound, and an exact :func:`breakpoints` for every
  segment where some decision is not certified.  The counts are exact.

The float walk (:func:`transitions`), layer by layer.  On every interval ``I`` of the
current partition of ``[0, 1]`` the patterns of the layers before ``l`` are
constant, so the pre-activations of layer ``l`` are affine in ``t``:
``z_l(t) = c_I + t g_I``, with ``c_I = W_l D (c') + b_l``, ``g_I = W_l D g'`` from the
previous layer's coefficients ``c', g'`` and pattern ``D``.  Each ``c, g`` is computed in
float64 with a bound on its error (dot products ``|fl(w . h) - w . h| <= gamma_n |w| . |h|``,
weights rounded to float64, the error of the inputs propagated through ``|W|``; the
conventions of :mod:`cpa.regions._float`).  Then, for every neuron:

1. the sign of ``z`` at both ends of ``I`` (exact breakpoints known to within a bound)
   must be decided: ``|value| > bound``;
2. opposite signs mean exactly one crossing, at ``r = -c / g`` inside ``I``, known to
   within ``(E_c + |r^| E_g) / (|g^| - E_g)`` (no bound, so nothing certified after it,
   when ``|g^| <= E_g``);
3. the crossings inside one interval must be separated by more than the sum of their
   bounds, which orders them and proves them distinct.

The crossings cut ``I`` for the next layer, where the pattern of layer ``l`` on each
piece follows from the order.  Every crossing is then a point where one neuron changes
strict sign and no other pattern bit changes (all other neurons have decided nonzero
signs there), so the number of activation regions is one plus the number of
crossings.  Anything undecided (a value within its bound, a NaN, crossings too close)
sends the segment to the exact engine: touching zeros, coincident hyperplanes,
duplicated neurons, segments inside a hyperplane or through an intersection of
hyperplanes all land there.

References
----------
* M. Raghu, B. Poole, J. Kleinberg, S. Ganguli and J. Sohl-Dickstein, "On the
  expressive power of deep neural networks", ICML 2017.
* N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM
  2002, section 3.1 (error of floating-point dot products).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..domains import Box
from ..errors import ArgumentTypeError, DomainError, InvalidNumberError, ShapeError
from ..network import ReLUNetwork
from ..slices import Path, Segment
from ..sparse import float_or_inf
from ._float import _TINY, _U, _WEIGHT_UNDERFLOW
from ._line import LineCells, enumerate_line
from .api import _as_network, positive_int

__all__ = ["Trajectory", "breakpoints", "transitions"]

_log = logging.getLogger("cpa")

_SAFE = 1.0 + 2.0 ** -40     # covers the rounding of the bounds' own computation
_BATCH_ENTRIES = 1 << 24     # entries of one (intervals x width) array of a batch, about


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The exact activation regions and affine pieces of a network along a segment or a path.

    Attributes
    ----------
    path
        The :class:`~cpa.slices.Segment` or :class:`~cpa.slices.Path` walked; its parameter
        ``t`` runs over ``[0, 1]`` (a path's vertex ``i`` is at ``t = i / m``).
    parameters
        The breakpoints: sorted parameters in ``(0, 1)`` where the activation pattern is
        different on the two sides.
    activation_regions
        The number of maximal parameter intervals of constant pattern,
        ``len(parameters) + 1``.
    piece_parameters
        Sorted parameters in ``(0, 1)`` where the output, as a function of ``t``, changes its
        affine map (a subset of ``parameters`` on a segment; on a path a vertex can also be one).
    affine_pieces
        The number of maximal parameter intervals on which the output is affine in ``t``,
        ``len(piece_parameters) + 1``.
    patterns
        Boolean array of shape ``(activation_regions, num_neurons)``: row ``i`` is the pattern of
        region ``i`` (pre-activation ``> 0``), the hidden layers one after another.
    widths
        The hidden widths, to split a row of :attr:`patterns` into layers (see :meth:`pattern`).
    """

    path: Segment | Path
    parameters: tuple[Fraction, ...]
    activation_regions: int
    piece_parameters: tuple[Fraction, ...]
    affine_pieces: int
    patterns: np.ndarray
    widths: tuple[int, ...]

    def pattern(self, i: int) -> tuple[tuple[bool, ...], ...]:
        """The activation pattern of region ``i``, per hidden layer, as
        :meth:`cpa.network.ReLUNetwork.activation_pattern` gives it."""
        row = self.patterns[i].tolist()
        out = []
        k = 0
        for w in self.widths:
            out.append(tuple(bool(x) for x in row[k:k + w]))
            k += w
        return tuple(out)

    def intervals(self) -> list[tuple[Fraction, Fraction]]:
        """The activation regions as parameter intervals ``(t_lo, t_hi)``, in order."""
        ends = (Fraction(0), *self.parameters, Fraction(1))
        return list(zip(ends[:-1], ends[1:]))


def breakpoints(net: Any, path: Segment | Path) -> Trajectory:
    """The exact breakpoints, activation regions and affine pieces of a network along a segment or path.

    Parameters
    ----------
    net
        A :class:`~cpa.network.ReLUNetwork` (or layers accepted by its constructor).
    path
        A :class:`~cpa.slices.Segment` ``a + t (b - a)`` or a :class:`~cpa.slices.Path` (vertex ``i``
        of ``m`` segments at ``t = i / m``), in the network's input space.

    Returns
    -------
    Trajectory
        Breakpoints (exact Fractions in ``(0, 1)``), region and piece counts, and the pattern of
        every region.

    Raises
    ------
    ArgumentTypeError
        If ``path`` is neither a Segment nor a Path.
    DomainError
        If the path does not lie in the network's input space.

    Notes
    -----
    A segment is walked by the 1-D engine (:mod:`cpa.regions._line`) on ``net @ segment.affine``
    over ``[0, 1]``, all in exact integer arithmetic.  A path is walked segment by segment; its
    vertex ``i / m`` is a breakpoint iff the patterns just before and just after it differ, and a
    piece boundary iff the slopes ``d output / d t`` differ there.

    Examples
    --------
    >>> from cpa import ReLUNetwork, Segment
    >>> absx = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    >>> tr = breakpoints(absx, Segment([-1], [3]))
    >>> tr.parameters, tr.activation_regions, tr.affine_pieces
    ((Fraction(1, 4),), 2, 2)
    >>> tr.pattern(0), tr.pattern(1)
    (((False, True),), ((True, False),))
    """
    network = _as_network(net)
    if not isinstance(path, (Segment, Path)):
        raise ArgumentTypeError(f"breakpoints needs a Segment or a Path, got {type(path).__name__}")
    if path.dim != network.input_dim:
        raise DomainError(f"the {type(path).__name__.lower()} lies in R^{path.dim} but the network has "
                          f"input dimension {network.input_dim}")
    segments = (path,) if isinstance(path, Segment) else path.segments
    m = len(segments)
    params: list[Fraction] = []
    piece_params: list[Fraction] = []
    rows: list[np.ndarray] = []
    last_pattern: np.ndarray | None = None
    last_slope: Any = None
    for i, seg in enumerate(segments):
        walk = _walk_segment(network, seg)
        if i > 0:
            vertex = Fraction(i, m)
            if not np.array_equal(last_pattern, walk.patterns[0]):
                params.append(vertex)
                rows.append(walk.patterns[:1])
            if walk.first_slope != last_slope:
                piece_params.append(vertex)
        else:
            rows.append(walk.patterns[:1])
        rows.append(walk.patterns[1:])
        params.extend((i + t) / m for t in walk.parameters)
        piece_params.extend((i + t) / m for t in walk.piece_parameters)
        last_pattern = walk.patterns[-1]
        last_slope = walk.last_slope
    patterns = np.concatenate(rows, axis=0)
    return Trajectory(path=path, parameters=tuple(params), activation_regions=len(params) + 1,
                      piece_parameters=tuple(piece_params), affine_pieces=len(piece_params) + 1,
                      patterns=patterns, widths=tuple(network.widths))


def transitions(net: Any, starts: Any, ends: Any, *, batch: int = 256,
                stats: dict[str, Any] | None = None) -> np.ndarray:
    """The number of activation regions along each of many segments, exactly.

    Parameters
    ----------
    net
        A :class:`~cpa.network.ReLUNetwork` with ``d`` inputs (or layers accepted by its constructor).
    starts, ends
        Arrays of shape ``(N, d)`` (numpy arrays or nested sequences of numbers; floats, float32
        included, are read at their exact binary value): segment ``i`` runs from ``starts[i]`` to
        ``ends[i]``, which must differ.
    batch
        At most this many segments are walked together by the float filter (fewer for wide
        networks, so that the arrays of one batch stay near 2^24 entries).
    stats
        If a dict is given, it is filled with ``segments``, ``certified`` (decided by the float
        filter), ``exact`` (recomputed by :func:`breakpoints`) and ``seconds``.

    Returns
    -------
    numpy.ndarray
        ``N`` int64 counts: entry ``i`` is ``breakpoints(net, Segment(starts[i], ends[i])).activation_regions``.

    Raises
    ------
    ShapeError
        If ``starts`` or ``ends`` is not a 2-D array of shape ``(N, d)`` with ``d`` the network's
        input dimension, or their shapes differ.
    InvalidNumberError
        If an entry is NaN, infinite or not a number.
    DomainError
        If a segment has equal ends (the message gives its row).

    Notes
    -----
    The count is exact: the float64 walk (see the module docstring) only reports a segment whose
    every decision its error bound certifies, and every other segment is recomputed exactly.
    Typical data (random or real inputs) is certified almost always; degenerate input
    (integer weights, duplicated neurons, segments through intersections of hyperplanes or
    inside one) is settled by the exact engine.

    Examples
    --------
    >>> from cpa import ReLUNetwork
    >>> absx = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    >>> transitions(absx, [[-1], [0], [1]], [[2], [5], ["1/2"]]).tolist()
    [2, 1, 1]
    """
    t0 = time.perf_counter()
    network = _as_network(net)
    batch = positive_int(batch, "batch") or 256
    A_exact, A = _read_points(starts, "starts", network.input_dim)
    B_exact, B = _read_points(ends, "ends", network.input_dim)
    if A.shape != B.shape:
        raise ShapeError(f"transitions: starts has shape {A.shape} but ends has shape {B.shape}")
    N = A.shape[0]
    for i in np.flatnonzero((A == B).all(axis=1)).tolist():      # equal floats: compare exactly
        if _exact_row(A_exact, A, i) == _exact_row(B_exact, B, i):
            raise DomainError(f"transitions: segment {i} has equal ends (starts[{i}] == ends[{i}])")
    counts = np.zeros(N, dtype=np.int64)
    undecided: list[int] = []
    if network.depth == 0:
        counts[:] = 1
    else:
        walker = _FloatWalk(network)
        w = max(network.widths)
        step = max(1, min(batch, _BATCH_ENTRIES // (w * (w + 1))))    # about w + 1 intervals a segment
        for lo in range(0, N, step):
            hi = min(N, lo + step)
            c, ok = walker.count(A[lo:hi], B[lo:hi], A_exact is None and B_exact is None)
            counts[lo:hi] = c
            undecided.extend((lo + np.flatnonzero(~ok)).tolist())
    for i in undecided:
        counts[i] = _walk_segment(network, Segment(_exact_row(A_exact, A, i), _exact_row(B_exact, B, i))).regions
    seconds = time.perf_counter() - t0
    _log.debug("transitions: %d segments, %d recomputed exactly, %.3fs", N, len(undecided), seconds)
    if stats is not None:
        stats.update(segments=N, certified=N - len(undecided), exact=len(undecided), seconds=seconds)
    return counts


# --- exact walk of one segment ------------------------------------------------------------------
@dataclass
class _SegmentWalk:
    parameters: list[Fraction]
    piece_parameters: list[Fraction]
    patterns: np.ndarray
    first_slope: tuple[Fraction, ...]
    last_slope: tuple[Fraction, ...]

    @property
    def regions(self) -> int:
        return len(self.parameters) + 1


def _walk_segment(network: ReLUNetwork, seg: Segment) -> _SegmentWalk:
    """The exact regions of ``network`` along ``seg`` by the 1-D engine on ``network @ seg.affine``."""
    res = enumerate_line(network @ seg.affine, Box([0], [1]))
    cells = LineCells(res)
    n = len(cells)
    P = res.P
    params = [Fraction(int(P[k][0]), int(P[k][1])) for k in res.left[1:].tolist()]
    if res.acts:
        patterns = np.concatenate([a[res.sub] for a in res.acts], axis=1)
    else:
        patterns = np.zeros((n, 0), dtype=bool)
    labels = cells.piece_labels()
    piece_params = [params[k - 1] for k in range(1, n) if labels[k] != labels[k - 1]]

    def slope(i: int) -> tuple[Fraction, ...]:
        return tuple(row[0] for row in cells.affine_map(i)[0])

    return _SegmentWalk(params, piece_params, np.asarray(patterns, dtype=bool), slope(0), slope(n - 1))


# --- the certified float walk ---------------------------------------------------------------------
class _FloatWalk:
    """Float64 weights of a network and the layer-by-layer walk of the module docstring."""

    def __init__(self, network: ReLUNetwork):
        self.WT = []
        self.absWT = []
        self.b = []
        self.absb = []
        for L in network.affine_layers[:-1]:          # the output layer makes no breakpoints
            W = L.W.to_float()
            self.WT.append(np.ascontiguousarray(W.T))
            self.absWT.append(np.ascontiguousarray(np.abs(W.T)))
            b = np.array([float_or_inf(v) for v in L.b], dtype=float)
            self.b.append(b)
            self.absb.append(np.abs(b))

    def _layer(self, l: int, X: np.ndarray, EX: np.ndarray | None, bias: bool) -> tuple[np.ndarray, np.ndarray]:
        """``X W_l^T (+ b_l)`` and a bound on its error, for inputs within ``EX`` of exact ones (None: exact)."""
        WT, absWT = self.WT[l], self.absWT[l]
        Y = X @ WT
        aX = np.abs(X) if EX is None else np.abs(X) + EX
        mag = aX @ absWT
        if bias:
            Y = Y + self.b[l]
            mag = mag + self.absb[l]
        n = WT.shape[0]
        E = ((n + 8) * 2 * _U) * mag + _WEIGHT_UNDERFLOW * aX.sum(axis=1, keepdims=True) + _TINY
        if EX is not None:
            E += (EX @ absWT) * _SAFE
        return Y, E

    def count(self, A: np.ndarray, B: np.ndarray, exact_inputs: bool) -> tuple[np.ndarray, np.ndarray]:
        """Counts for the segments ``A[i] -> B[i]`` and which of them are certified."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._count(A, B, exact_inputs)

    def _count(self, A: np.ndarray, B: np.ndarray, exact_inputs: bool) -> tuple[np.ndarray, np.ndarray]:
        S = A.shape[0]
        ok = np.ones(S, dtype=bool)
        counts = np.ones(S, dtype=np.int64)
        EA = None if exact_inputs else _U * np.abs(A) + _TINY
        Dir = B - A
        ED = _U * np.abs(Dir) if exact_inputs else _U * (np.abs(Dir) + np.abs(A) + np.abs(B)) + 2 * _TINY
        C, EC = self._layer(0, A, EA, True)
        G, EG = self._layer(0, Dir, ED, False)
        seg = np.arange(S)
        lo = np.zeros(S)
        hi = np.ones(S)
        dlo = np.zeros(S)
        dhi = np.zeros(S)
        L = len(self.WT)
        for l in range(L):
            sL, badL = _signs_at(C, G, EC, EG, lo, dlo)
            sH, badH = _signs_at(C, G, EC, EG, hi, dhi)
            cross = sL != sH
            R = np.where(cross, -C / G, np.inf)
            # the exact root -c/g with |c - C| <= EC, |g - G| <= EG is within (EC + |R| EG) / (|G| - EG)
            # of -C/G (infinite when |G| <= EG: then the root is located nowhere, and nothing after it
            # is certified); the division itself rounds by u |R|
            slack = np.abs(G) - EG
            dR = np.where(cross & (slack > 0), (EC + np.abs(R) * EG) / np.where(slack > 0, slack, 1.0) * _SAFE
                          + 2 * _U * np.abs(R) + _TINY, np.inf)
            bad = badL | badH | (cross & ~np.isfinite(R)).any(axis=1)
            inside = (R >= (lo - dlo)[:, None] - dR) & (R <= (hi + dhi)[:, None] + dR)   # the bounds hold
            bad |= (cross & ~inside).any(axis=1)
            order = np.argsort(R, axis=1, kind="stable")
            Rs = np.take_along_axis(R, order, axis=1)
            dRs = np.take_along_axis(dR, order, axis=1)
            nroots = cross.sum(axis=1)
            if Rs.shape[1] > 1:
                pair = np.isfinite(Rs[:, 1:])
                apart = (Rs[:, 1:] - Rs[:, :-1]) > (dRs[:, 1:] + dRs[:, :-1]) * _SAFE
                bad |= (pair & ~apart).any(axis=1)
            np.add.at(counts, seg, nroots)
            ok[seg[bad]] = False
            if l == L - 1:
                break
            keep = ok[seg]                                   # drop the rows of uncertified segments
            if not keep.any():
                break
            parent = np.repeat(np.flatnonzero(keep), nroots[keep] + 1)
            starts = np.concatenate(([0], np.cumsum(nroots[keep] + 1)[:-1]))
            j = np.arange(len(parent)) - np.repeat(starts, nroots[keep] + 1)
            last = j == nroots[parent]
            jl = np.maximum(j - 1, 0)
            jh = np.minimum(j, Rs.shape[1] - 1)
            new_lo = np.where(j == 0, lo[parent], Rs[parent, jl])
            new_dlo = np.where(j == 0, dlo[parent], dRs[parent, jl])
            new_hi = np.where(last, hi[parent], Rs[parent, jh])
            new_dhi = np.where(last, dhi[parent], dRs[parent, jh])
            rank = np.empty_like(order)
            np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :], axis=1)
            active = np.where(rank[parent] >= j[:, None], sL[parent] > 0, sH[parent] > 0)
            C, EC = self._layer(l + 1, C[parent] * active, EC[parent] * active, True)
            G, EG = self._layer(l + 1, G[parent] * active, EG[parent] * active, False)
            seg, lo, hi, dlo, dhi = seg[parent], new_lo, new_hi, new_dlo, new_dhi
        return counts, ok


def _signs_at(C: np.ndarray, G: np.ndarray, EC: np.ndarray, EG: np.ndarray, t: np.ndarray,
              dt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Certified signs of ``c + t* g`` at exact points ``t*`` within ``dt`` of ``t`` (per row), and the rows
    with an undecided sign.  ``|c + t* g - fl(c^ + t g^)| <= E_c + (|t| + 2 dt) E_g + dt |g^|
    + 2u (|c^| + |t g^|)``."""
    tt = t[:, None]
    dd = dt[:, None]
    tG = tt * G
    V = C + tG
    E = (EC + (np.abs(tt) + 2 * dd) * EG + dd * np.abs(G) + 2 * _U * (np.abs(C) + np.abs(tG))) * _SAFE + _TINY
    s = np.zeros(V.shape, dtype=np.int8)
    s[V > E] = 1
    s[V < -E] = -1
    return s, (s == 0).any(axis=1)


# --- reading the inputs -------------------------------------------------------------------------------
def _read_points(X: Any, name: str, d: int) -> tuple[np.ndarray | None, np.ndarray]:
    """The points as float64 (for the filter) and, unless the float64 values are exact already, as an
    object array of exact Fractions."""
    try:
        arr = X if isinstance(X, np.ndarray) else np.asarray(X)
    except ValueError:
        raise ShapeError(f"transitions: {name} must be a 2-D array of shape (N, {d}); its rows have "
                         f"different lengths") from None
    if arr.ndim != 2:
        raise ShapeError(f"transitions: {name} must be a 2-D array of shape (N, {d}), got shape {arr.shape}")
    if arr.shape[1] != d:
        raise ShapeError(f"transitions: {name} has {arr.shape[1]} columns but the network has input dimension {d}")
    if arr.dtype.kind == "f" and arr.dtype.itemsize <= 8:      # float16/32/64: exact in float64
        F = arr.astype(np.float64)
        bad = ~np.isfinite(F)
        if bad.any():
            i, k = (int(v) for v in np.argwhere(bad)[0])
            raise InvalidNumberError(f"non-finite value {F[i, k]!r} in {name}[{i}][{k}]")
        return None, F
    if arr.dtype.kind in "iu" and (arr.size == 0 or int(np.abs(arr.astype(object)).max()) < 2 ** 53):
        return None, arr.astype(np.float64)
    from ..numbers import to_rational

    exact = np.empty(arr.shape, dtype=object)
    for (i, k), v in np.ndenumerate(arr):
        exact[i, k] = to_rational(v, f"{name}[{i}][{k}]")
    F = np.array([float_or_inf(v) for v in exact.ravel().tolist()], dtype=float).reshape(arr.shape)
    return exact, F


def _exact_row(exact: np.ndarray | None, floats: np.ndarray, i: int) -> tuple[Fraction, ...]:
    """Row ``i`` of the points, exactly."""
    if exact is not None:
        return tuple(exact[i].tolist())
    return tuple(Fraction(v) for v in floats[i].tolist())
