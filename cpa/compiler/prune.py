"""Pruning before compiling: drop affine maps that never attain the max (or min), and duplicates.

For maps ``l_1, ..., l_M`` on a full-dimensional convex domain ``D``, after removing
repeated maps (keeping the first), a map ``l_j`` can be dropped from ``max_i l_i``
iff it is nowhere *strictly* greater than all the others on ``D``:

    l_j redundant  <=>  max { t : l_i(x) - l_j(x) + t <= 0 for all i != j, x in D, t <= 1 } <= 0.

All redundant maps can be dropped at once: at a generic point of ``D`` (off every
hyperplane ``l_i = l_k`` of two distinct maps) the maximum is attained by one map only,
which is then strictly greater than the others and is kept, so the two maxima agree on
a dense subset of ``D`` and, being continuous, on ``D``.  A map equal to the max only
on a lower-dimensional set (a point, an edge) is therefore dropped; two equal maps keep
one copy.  The LP is solved exactly (the Fraction simplex of
:func:`cpa.regions._exact_lp.exact_max`, both certificates checked); a map whose
gradient ``c_j`` has ``c_j . c_j > c_i . c_j`` for every other gradient is strictly
greater far along ``c_j`` on ``R^d`` and kept without an LP, and so is a map for which a
float LP (HiGHS) yields a point, rounded to rationals, where it is checked exactly to be
strictly greater; the exact LP decides the rest.

:func:`prune` applies this to :class:`~cpa.specs.MaxAffine`, :class:`~cpa.specs.MinAffine`
(with the signs flipped), both parts of a :class:`~cpa.specs.DC`, and every ``Max``/``Min``
node of an :class:`~cpa.specs.Expression` whose arguments are affine (other ``Max``/``Min``
nodes lose structurally repeated arguments).  The compiler runs it before any route
(:func:`cpa.compile_with_report` reports the count) and proves the result against the
spec as given.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

from ..expr import Abs, Expr, Max, Min, Scale, Sum, affine_part, lin_vector
from ..numbers import ZERO
from ..polytope import lcm_denominator
from ..specs import DC, Expression, MaxAffine, MinAffine, Spec

__all__ = ["PruneReport", "prune", "essential_maps"]

log = logging.getLogger("cpa")

#: Above this many ``M^2 d`` operations the never-maximal test is skipped (duplicates are still dropped).
BUDGET = 4_000_000
#: Above this many ``M d`` coefficients nothing is tested (a max of thousands of inputs is left as it is).
DEDUPE_BUDGET = 250_000


@dataclass(frozen=True)
class PruneReport:
    """How many maps :func:`prune` dropped.

    Attributes
    ----------
    duplicates
        Maps (or Max/Min arguments) equal to an earlier one.
    never_max
        Maps nowhere strictly above (below, for a min) all the others.
    skipped
        Families too large for the test (see :data:`BUDGET`).
    """

    duplicates: int = 0
    never_max: int = 0
    skipped: int = 0

    @property
    def dropped(self) -> int:
        return self.duplicates + self.never_max

    def __add__(self, other: "PruneReport") -> "PruneReport":
        return PruneReport(self.duplicates + other.duplicates, self.never_max + other.never_max,
                           self.skipped + other.skipped)

    def __str__(self) -> str:
        text = (f"pruning: dropped {self.dropped} maps ({self.duplicates} duplicates, "
                f"{self.never_max} never the max/min)")
        return text + (f"; {self.skipped} families too large to test" if self.skipped else "")


def essential_maps(A: Sequence[Sequence[Any]], b: Sequence[Any], domain: Any = None, *,
                   sense: str = "max") -> tuple[list[int], PruneReport]:
    """The indices of the maps ``A[i] . x + b[i]`` to keep in their max (or min) on ``domain``.

    Parameters
    ----------
    A, b
        The maps' coefficients and constants, read exactly.
    domain
        A full-dimensional :class:`~cpa.domains.Box` or :class:`~cpa.domains.Polyhedron`,
        or None for all of ``R^d``.
    sense
        ``"max"`` or ``"min"``.

    Returns
    -------
    tuple of (list of int, PruneReport)
        The kept indices in increasing order (never empty), and the counts dropped.

    Notes
    -----
    Exact; see the module docstring for the LP and why dropping all redundant maps at
    once keeps the function.

    Examples
    --------
    >>> essential_maps([[1], [1], [0]], [0, 1, 0], domain=None)[0]   # max(x, x + 1, 0)
    [1, 2]
    """
    sign = 1 if sense == "max" else -1
    if len(A) * (len(A[0]) + 1) > DEDUPE_BUDGET:
        log.info("pruning: %d maps in R^%d exceed the budget; nothing dropped", len(A), len(A[0]))
        return list(range(len(A))), PruneReport(0, 0, 1)
    maps = [(tuple(sign * Fraction(v) for v in row), sign * Fraction(c)) for row, c in zip(A, b)]
    first: dict[Any, int] = {}
    for i, m in enumerate(maps):
        first.setdefault(m, i)
    distinct = sorted(first.values())
    dups = len(maps) - len(distinct)
    d = len(maps[0][0])
    if len(distinct) == 1:
        return distinct, PruneReport(dups)
    if len(distinct) ** 2 * (d + 1) > BUDGET:
        log.info("pruning: %d maps in R^%d exceed the budget; only duplicates dropped", len(distinct), d)
        return distinct, PruneReport(dups, 0, 1)
    dom = ((), ()) if domain is None else domain.constraints()
    keep = [j for j in distinct if _somewhere_strict(j, [maps[i] for i in distinct if i != j], maps[j], dom,
                                                     domain is None)]
    return keep, PruneReport(dups, len(distinct) - len(keep))


def prune(spec: Spec) -> tuple[Spec, PruneReport]:
    """``spec`` without the affine maps that never attain its max or min (and without duplicates).

    Parameters
    ----------
    spec
        Any spec; only :class:`~cpa.specs.MaxAffine`, :class:`~cpa.specs.MinAffine`,
        :class:`~cpa.specs.DC` and :class:`~cpa.specs.Expression` are changed.

    Returns
    -------
    tuple of (Spec, PruneReport)
        A spec equal to ``spec`` as a function on ``R^d`` (``spec`` itself when nothing is
        dropped), and the counts.

    Examples
    --------
    >>> import cpa
    >>> small, rep = prune(cpa.MaxAffine([[1], [1], [0], [0]], [0, 1, 0, -1]))
    >>> small.num_maps, rep.duplicates, rep.never_max
    (2, 0, 2)
    """
    if isinstance(spec, (MaxAffine, MinAffine)):
        keep, rep = essential_maps(spec.A, spec.b, sense="max" if isinstance(spec, MaxAffine) else "min")
        if len(keep) == spec.num_maps:
            return spec, rep
        return type(spec)([spec.A[i] for i in keep], [spec.b[i] for i in keep]), rep
    if isinstance(spec, DC):
        g, rg = prune(spec.g)
        h, rh = prune(spec.h)
        return (spec if g is spec.g and h is spec.h else DC(g, h)), rg + rh  # type: ignore[arg-type]
    if isinstance(spec, Expression):
        e, rep = _prune_expr(spec.expr, spec.variables)
        return (spec if e is spec.expr else Expression(e, spec.variables)), rep
    return spec, PruneReport()


# --- helpers -----------------------------------------------------------------------

def _integer_row(row: Sequence[Fraction]) -> list[int]:
    m = lcm_denominator(row)
    return [int(v * m) for v in row]


def _somewhere_strict(j: int, others: list[Any], mj: Any, dom: Any, whole_space: bool) -> bool:
    """Whether map ``mj`` is strictly greater than every map of ``others`` somewhere in the domain.

    Tried in order: the far-along-``c_j`` test (on ``R^d``); a float LP (HiGHS through scipy)
    whose point, rounded, is checked exactly ("yes"), or whose duals name the rows of an exact
    Farkas combination ``mu >= 0``, ``sum mu = 1`` over the map rows, with zero linear part and
    a nonnegative constant ("no": a convex combination of ``l_i - l_j`` is ``>= 0`` on the whole
    domain); then the exact simplex on the rows tight at the float optimum alone (fewer rows
    can only allow more: ``max t <= 0`` there is a "no"), and last on all rows.
    """
    from ..regions._exact_lp import exact_max

    cj, dj = mj
    if whole_space:
        norm = sum((v * v for v in cj), ZERO)
        if all(sum((u * v for u, v in zip(ci, cj)), ZERO) < norm for ci, _ in others):
            return True       # far along c_j, l_j beats every other map
    d = len(cj)
    rows = [[u - v for u, v in zip(ci, cj)] + [Fraction(1), di - dj] for ci, di in others]
    rows.append([ZERO] * d + [Fraction(1), Fraction(-1)])                     # t <= 1
    rows += [list(a) + [ZERO, -beta] for a, beta in zip(*dom)]
    irows = [_integer_row(r) for r in rows]
    x, duals, tight = _float_lp(rows, d)
    if x is not None and all(sum((u * v for u, v in zip(ci, x)), di) < sum((u * v for u, v in zip(cj, x)), dj)
                             for ci, di in others) and all(sum((u * v for u, v in zip(a, x)), ZERO) <= beta
                                                           for a, beta in zip(*dom)):
        return True
    if duals is not None:
        if _farkas_nonpositive(irows, duals, d):
            return False
        if len(tight) < len(irows) and not _positive_max([irows[i] for i in tight], d, exact_max):
            return False
    return _positive_max(irows, d, exact_max)


def _positive_max(rows: list[list[int]], d: int, exact_max: Any) -> bool:
    """``max t > 0`` over ``rows`` (exact simplex; the set is never empty: t can go to minus infinity)."""
    res = exact_max(rows, [0] * d + [1])
    return res[0] == "unbounded" or res[1] > 0


def _farkas_nonpositive(rows: list[list[int]], duals: list[float], d: int) -> bool:
    """``max t <= 0`` certified: exact ``mu >= 0`` on the rows the duals name, with
    ``sum mu_i r_i = (0, ..., 0, 1, c)`` over ``(x, t, 1)`` and ``c >= 0``."""
    from ..regions._exact_lp import nonnegative_combination

    top = max((abs(v) for v in duals), default=0.0)
    S = [i for i, v in enumerate(duals) if abs(v) > 1e-9 * top]
    if not S:
        return False
    mu = nonnegative_combination([rows[i][:d + 1] for i in S], [0] * d + [1])
    return mu is not None and sum((m * rows[i][d + 1] for m, i in zip(mu, S)), Fraction(0)) >= 0


def _float_lp(rows: list[list[Fraction]], d: int) -> tuple[list[Fraction] | None, list[float] | None, list[int]]:
    """A float LP ``max t`` over ``rows`` (``a . (x, t) + beta <= 0``), never trusted: its rounded
    ``x`` when ``t > 0`` (else None), its row duals and the rows tight at its optimum."""
    try:
        from scipy.optimize import linprog
    except ImportError:  # pragma: no cover - scipy is a dependency
        return None, None, []
    A = [[float(v) for v in r[:-1]] for r in rows]
    ub = [-float(r[-1]) for r in rows]
    res = linprog([0.0] * d + [-1.0], A_ub=A, b_ub=ub, bounds=[(None, None)] * (d + 1), method="highs")
    if res.status != 0 or res.x is None:
        return None, None, []
    duals = [float(v) for v in res.ineqlin.marginals]
    slack = res.ineqlin.residual
    tight = [i for i, v in enumerate(slack) if v <= 1e-7 * (1 + abs(ub[i]))]
    x = [Fraction(v).limit_denominator(1 << 20) for v in res.x[:d]] if -res.fun > 0 else None
    return x, duals, tight


def _flat(e: Expr) -> list[Expr]:
    """The arguments of a Max (Min) node with nested Max (Min) nodes opened."""
    out: list[Expr] = []
    for a in e.args:  # type: ignore[attr-defined]
        out.extend(_flat(a) if type(a) is type(e) else [a])
    return out


def _prune_expr(e: Expr, variables: tuple[str, ...]) -> tuple[Expr, PruneReport]:
    if isinstance(e, (Max, Min)):
        args: list[Expr] = []
        rep = PruneReport()
        for a in _flat(e):
            a2, r = _prune_expr(a, variables)
            rep += r
            args.append(a2)
        lins = [affine_part(a) for a in args]
        if all(p is not None for p in lins) and len(args) > 1:
            A, b = zip(*(lin_vector(p, variables) for p in lins))  # type: ignore[arg-type]
            keep, r = essential_maps(A, b, sense="max" if isinstance(e, Max) else "min")
        else:
            seen: dict[Expr, int] = {}
            for i, a in enumerate(args):
                seen.setdefault(a, i)
            keep = sorted(seen.values())
            r = PruneReport(len(args) - len(keep))
        rep += r
        if len(keep) == 1:
            return args[keep[0]], rep
        if rep.dropped == 0 and len(args) == len(e.args) and all(x is y for x, y in zip(args, e.args)):
            return e, rep
        return type(e)(tuple(args[i] for i in keep)), rep
    if isinstance(e, Sum):
        parts = [_prune_expr(t, variables) for t in e.terms]
        rep = sum((r for _, r in parts), PruneReport())
        return (e if all(p is t for (p, _), t in zip(parts, e.terms)) else Sum(tuple(p for p, _ in parts))), rep
    if isinstance(e, (Scale, Abs)):
        inner, rep = _prune_expr(e.arg, variables)
        if inner is e.arg:
            return e, rep
        return (Scale(e.factor, inner) if isinstance(e, Scale) else Abs(inner)), rep
    return e, PruneReport()
