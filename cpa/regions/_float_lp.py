"""The float LPs of the LP region engine: one small interface, two solvers.

The engine (:mod:`cpa.regions._lp`) asks one kind of question, many times:
maximise ``c . u`` over the current cell ``{u : G u <= h}`` in the scaled
``u``-space, with the rows of the cell changing by a push at the end (the
search descends) and a cut back to a shorter prefix (it backtracks).  It only
ever uses the answer as a hint: every claim is certified exactly from it (a
rounded vertex combined with the witness, a Farkas certificate from the row
duals, the exact basis), and a wrong or missing float answer costs time, never
correctness.

Two solvers answer it:

* :class:`DenseLP`, for small ``d`` (the cells of networks people enumerate
  exhaustively, ``d <= 48``): a dense primal simplex on the inequality form,
  compiled with numba.  It starts at the current cell's witness, an interior
  point, moves to a vertex along the objective projected on the null space of
  the constraints met so far (one ratio test per dimension), then pivots
  (Dantzig's rule, Bland's after a run of degenerate pivots) with an explicit
  ``d x d`` basis inverse updated by Sherman-Morrison and refactored every few
  pivots.  No model is kept between calls, so pushing and cutting rows is a
  write into an array and the saved bases of open branches are not needed.
  The cost of one LP of the ``[8, 12, 12, 1]`` benchmark is about 15 microseconds
  against 130 for a warm HiGHS call through its Python binding, whose
  per-call overhead decides the engine's speed.  Where it gives up (a cell
  with no vertex, a singular basis, the pivot limit) the same LP goes to
  HiGHS.
* :class:`HighsLP`: HiGHS (``highspy``), one model kept alive along the
  search with rows added and deleted and the basis of every open branch saved
  and restored (warm starts); the solver for larger ``d`` and the fallback.

Both answer with a status (:data:`OPTIMAL`, :data:`UNBOUNDED`, :data:`OTHER`),
the optimal vertex, the nonzero row duals (nonnegative, for the cell's rows;
the box bounds' duals are not reported: the engine's safe bound absorbs them),
the ``d`` tight constraints of the final basis and, when unbounded, a ray.

References
----------
G. B. Dantzig, *Linear programming and extensions*, Princeton (1963), ch. 7
(the simplex method on the inequality form).  R. G. Bland, *New finite
pivoting rules for the simplex method*, Mathematics of Operations Research 2
(1977), 103-107.  J. Sherman and W. J. Morrison, *Adjustment of an inverse
matrix corresponding to a change in one element of a given matrix*, Annals of
Mathematical Statistics 21 (1950), 124-127.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
from typing import Any, Sequence

import numpy as np

from ..errors import MissingExtraError

__all__ = ["OPTIMAL", "UNBOUNDED", "OTHER", "DENSE_MAX_D", "HighsLP", "DenseLP", "float_lp", "dense_available"]

OPTIMAL, UNBOUNDED, OTHER = 0, 1, 2

#: The largest input dimension solved by :class:`DenseLP` (beyond it, HiGHS).  Its pivots cost
#: ``O(d (m + d))`` and the crash to a vertex ``d`` of them; measured per LP on random cells with
#: ``m = d + 24`` rows and a new objective each time (HiGHS warm): d = 8: 16 us against 129 us;
#: 16: 57 against 212; 24: 150 against 388; 32: 342 against 617; 48: 1.1 ms against 1.5 ms;
#: 64: 2.9 ms both.
DENSE_MAX_D = 48

_INF = math.inf
_BIG = 1e19          # finite stand-in for bounds HiGHS would treat as infinite (>= 1e20)
_HIGHS_OPTIONS: dict[str, Any] = {"presolve": "off", "threads": 1, "solver": "simplex", "simplex_strategy": 4,
                                  "log_to_console": False}


def float_lp(d: int, has_box: bool, stats: dict) -> "DenseLP | HighsLP":
    """The float LP solver for cells in ``u``-space ``R^d`` (``has_box``: ``u`` in ``[-1, 1]^d``):
    :class:`DenseLP` up to :data:`DENSE_MAX_D` when numba is there, else :class:`HighsLP`."""
    if d <= DENSE_MAX_D and dense_available():
        return DenseLP(d, has_box, stats)
    return HighsLP(d, has_box)


# --- HiGHS ----------------------------------------------------------------------------------------
def _quiet_highs() -> Any:
    """A HiGHS instance with output off.  Its constructor prints a banner on C's stdout before
    any option can be set; file descriptor 1 points to /dev/null for that moment (library code
    never prints), so output of other threads in that instant is lost too."""
    try:
        import highspy
    except ImportError:
        raise MissingExtraError("the LP region engine needs HiGHS: pip install highspy") from None
    try:
        sys.stdout.flush()
    except (AttributeError, ValueError):   # pragma: no cover - closed or replaced stdout
        pass
    try:
        saved = os.dup(1)
    except OSError:   # pragma: no cover - no fd 1
        saved = -1
    null = os.open(os.devnull, os.O_WRONLY) if saved >= 0 else -1
    try:
        if saved >= 0:
            os.dup2(null, 1)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        try:
            ctypes.CDLL(None).fflush(None)     # the banner sits in C's stdout buffer: flush it to /dev/null
        except Exception:   # pragma: no cover - no C library to call (the banner may then show)
            pass
    finally:
        if saved >= 0:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)
    for k, v in _HIGHS_OPTIONS.items():
        h.setOptionValue(k, v)
    return h


class HighsLP:
    """HiGHS, one model kept alive: ``u`` bounded by ``[-1, 1]^d`` (``has_box``) or free, rows
    ``g . u <= up`` added and deleted at the end, bases saved and restored (warm starts)."""

    def __init__(self, d: int, has_box: bool):
        import highspy

        self.d = d
        self.h = h = _quiet_highs()
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        if has_box:
            h.addVars(d, np.full(d, -1.0), np.full(d, 1.0))
        else:
            h.addVars(d, np.full(d, -_INF), np.full(d, _INF))
        self.idx = np.arange(d, dtype=np.int32)
        self.n_rows = 0
        self.kBasic = highspy.HighsBasisStatus.kBasic
        self.kLower = highspy.HighsBasisStatus.kLower
        self.kUpper = highspy.HighsBasisStatus.kUpper
        self._status = {highspy.HighsModelStatus.kOptimal: OPTIMAL,
                        highspy.HighsModelStatus.kUnbounded: UNBOUNDED}
        self.x: list[float] = []

    def add_row(self, vals: Sequence[float], up: float) -> None:
        """Add the row ``vals . u <= up``."""
        d = self.d
        if up >= 1e19:
            up = _INF          # far away: HiGHS would take it as infinite anyway
        elif up <= -1e19:
            up = -_BIG         # keep it finite (the LP is a hint; exact checks decide)
        nz = [k for k in range(d) if vals[k] != 0.0]
        if len(nz) == d:
            self.h.addRow(-_INF, up, d, self.idx, np.array(vals[:d]))
        else:
            self.h.addRow(-_INF, up, len(nz), np.array(nz, dtype=np.int32), np.array([vals[k] for k in nz]))
        self.n_rows += 1

    def save(self) -> Any:
        """The current basis, to restore with :meth:`truncate`."""
        return self.h.getBasis()

    def truncate(self, n_rows: int, saved: Any = None) -> None:
        """Keep the first ``n_rows`` rows; restore the basis ``saved`` (from :meth:`save`)."""
        if self.n_rows > n_rows:
            self.h.deleteRows(self.n_rows - n_rows, np.arange(n_rows, self.n_rows, dtype=np.int32))
            self.n_rows = n_rows
        if saved is not None and saved.valid:
            self.h.setBasis(saved)

    def solve(self, c: Sequence[float], start: Sequence[float] | None = None) -> int:
        """Maximise ``c . u`` (``start``, an interior point, is not used)."""
        h = self.h
        h.changeColsCost(self.d, self.idx, np.array(c, dtype=float))
        h.run()
        status = self._status.get(h.getModelStatus(), OTHER)
        if status == OPTIMAL:
            self._sol = h.getSolution()
            self.x = list(self._sol.col_value)
        return status

    def duals(self) -> list[tuple[int, float]]:
        """The positive row duals of the last optimal solve, as ``(row, dual)``."""
        return [(i, y) for i, y in enumerate(self._sol.row_dual) if y > 0]

    def tight(self) -> list[int] | None:
        """The ``d`` tight constraints of the final basis: row ``i >= 0``, or ``-1 - 2 k`` for the
        bound ``u_k <= 1`` and ``-2 - 2 k`` for ``u_k >= -1``; None if HiGHS has no such basis."""
        basis = self.h.getBasis()
        if not basis.valid:
            return None
        out = []
        for k, s in enumerate(basis.col_status):
            if s == self.kBasic:
                continue
            if s == self.kUpper:
                out.append(-1 - 2 * k)
            elif s == self.kLower:
                out.append(-2 - 2 * k)
            else:
                return None
        out.extend(i for i, s in enumerate(basis.row_status) if s != self.kBasic)
        return out if len(out) == self.d else None

    def ray(self) -> list[float] | None:
        """A primal ray of the last unbounded solve, or None."""
        ok, has, ray = self.h.getPrimalRay()
        return list(ray) if has else None


# --- the dense simplex -----------------------------------------------------------------------------
_kernel: Any = None
_kernel_tried = False


def dense_available() -> bool:
    """Whether the compiled dense simplex can run here (numba imports)."""
    global _kernel, _kernel_tried
    if not _kernel_tried:
        _kernel_tried = True
        if os.environ.get("CPA_DENSE_LP", "1") == "0":
            return False
        try:
            from ._dense_simplex import simplex
        except ImportError:
            return False
        _kernel = simplex
    return _kernel is not None


class DenseLP:
    """The dense simplex of :mod:`cpa.regions._dense_simplex` over rows held in arrays (box
    bounds first, as ``2 d`` rows), with HiGHS on the same LP where it gives up."""

    def __init__(self, d: int, has_box: bool, stats: dict):
        dense_available()
        self.d = d
        self.nbox = 2 * d if has_box else 0
        self.has_box = has_box
        cap = self.nbox + 64
        self.G = np.zeros((cap, d))
        self.hb = np.zeros(cap)
        for k in range(self.nbox // 2):
            self.G[2 * k, k] = 1.0
            self.G[2 * k + 1, k] = -1.0
            self.hb[2 * k] = self.hb[2 * k + 1] = 1.0
        self.m = self.nbox
        self.n_rows = 0
        self.x: list[float] = []
        self.xa = np.zeros(d)
        self.lam = np.zeros(d)
        self.basis = np.zeros(d, dtype=np.int64)
        self.raya = np.zeros(d)
        self.stats = stats
        stats.setdefault("lp_fallback", 0)
        self._highs: HighsLP | None = None
        self._via_highs = False

    def add_row(self, vals: Sequence[float], up: float) -> None:
        """Add the row ``vals . u <= up`` (``up`` of ``1e19`` or more: no constraint)."""
        m = self.m
        if m == len(self.hb):
            self.G = np.concatenate([self.G, np.zeros_like(self.G)])
            self.hb = np.concatenate([self.hb, np.zeros_like(self.hb)])
        self.G[m, :] = vals[:self.d]
        self.hb[m] = _INF if up >= 1e19 else max(up, -_BIG)
        self.m = m + 1
        self.n_rows += 1

    def save(self) -> None:
        """Nothing to save: every solve starts from the witness."""
        return None

    def truncate(self, n_rows: int, saved: Any = None) -> None:
        """Keep the first ``n_rows`` rows."""
        if self.n_rows > n_rows:
            self.n_rows = n_rows
            self.m = self.nbox + n_rows

    def solve(self, c: Sequence[float], start: Sequence[float] | None = None) -> int:
        """Maximise ``c . u`` from the interior point ``start`` (``u``-space floats)."""
        self._via_highs = False
        ca = np.asarray(c, dtype=float)
        if start is not None:
            status = _kernel(self.G, self.hb, self.m, ca, np.asarray(start, dtype=float), self.xa, self.lam,
                             self.basis, self.raya)
            if status == OPTIMAL:
                self.x = self.xa.tolist()
                return OPTIMAL
            if status == UNBOUNDED:
                return UNBOUNDED
        self.stats["lp_fallback"] += 1
        return self._solve_highs(ca)

    def _solve_highs(self, ca: Any) -> int:
        """The same LP on a HiGHS model loaded with the current rows."""
        if self._highs is None:
            self._highs = HighsLP(self.d, self.has_box)
        hl = self._highs
        hl.truncate(0)
        for i in range(self.nbox, self.m):
            hl.add_row(self.G[i], float(self.hb[i]))
        self._via_highs = True
        status = hl.solve(ca)
        if status == OPTIMAL:
            self.x = hl.x
        return status

    def duals(self) -> list[tuple[int, float]]:
        """The positive row duals of the last optimal solve, as ``(row, dual)``."""
        if self._via_highs:
            return self._highs.duals()
        nbox = self.nbox
        return [(int(i) - nbox, float(y)) for i, y in zip(self.basis, self.lam) if i >= nbox and y > 0]

    def tight(self) -> list[int] | None:
        """The ``d`` constraints of the final basis, numbered as :meth:`HighsLP.tight` does."""
        if self._via_highs:
            return self._highs.tight()
        nbox = self.nbox
        return [int(i) - nbox if i >= nbox else -1 - int(i) for i in self.basis]

    def ray(self) -> list[float] | None:
        """A ray of the last unbounded solve."""
        if self._via_highs:
            return self._highs.ray()
        return self.raya.tolist()
