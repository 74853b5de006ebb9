"""Exact equivalence of CPA functions: proof of equality or a rational counterexample.

Two networks ``f`` and ``g`` on a domain ``D`` are compared through their
difference ``h = f - g`` (built exactly with the network calculus).  ``h`` is
affine on each of its activation regions, and the regions cover ``D``; so
``f = g`` on ``D`` iff the exact affine map of ``h`` is zero on every region.
If one is not, the region's interior holds a point where ``h`` is nonzero:
the witness itself, or the witness moved a little along the map's gradient
(still strictly inside the region).  That point is returned, exactly.

A cheap screen runs first: exact evaluation at a few rational points.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .calculus import linear_combination, parallel, compose
from .errors import ArgumentTypeError, ShapeError
from .network import ReLUNetwork

__all__ = ["Equivalence", "equivalent", "spec_counterexample", "difference"]

_ZERO = Fraction(0)


@dataclass(frozen=True)
class Equivalence:
    """Result of :func:`equivalent`: truthy iff the functions are equal on the domain.

    ``counterexample`` is an exact point where they differ (None when equal);
    ``regions`` is the number of regions of the difference that were checked.
    """

    equal: bool
    counterexample: tuple[Fraction, ...] | None
    regions: int
    method: str

    def __bool__(self) -> bool:
        return self.equal


def _as_network(f: Any) -> ReLUNetwork:
    if isinstance(f, ReLUNetwork):
        return f
    from .compiler import compile as compile_spec
    from .specs import Spec

    if isinstance(f, Spec) or isinstance(f, str) or type(f).__module__.startswith("sympy"):
        return compile_spec(f)
    if isinstance(f, (bytes, dict)) or not hasattr(f, "__iter__"):
        raise ArgumentTypeError(f"expected a ReLUNetwork, a spec, an expression or a sequence of (W, b) layers, "
                                f"got {type(f).__name__}")
    return ReLUNetwork(f)


def difference(f: ReLUNetwork, g: ReLUNetwork) -> ReLUNetwork:
    """The network ``f - g`` (multi-output: componentwise)."""
    if f.input_dim != g.input_dim:
        raise ShapeError(f"cannot compare: f takes {f.input_dim} inputs, g takes {g.input_dim}")
    if f.output_dim != g.output_dim:
        raise ShapeError(f"cannot compare: f has {f.output_dim} outputs, g has {g.output_dim}")
    m = f.output_dim
    if m == 1:
        return linear_combination([1, -1], [f, g])
    both = parallel([f, g])
    rows = [[1 if j == i else (-1 if j == i + m else 0) for j in range(2 * m)] for i in range(m)]
    return compose(ReLUNetwork([(rows, [0] * m)]), both)


def _screen(f: Any, g: Any, d: int, domain: Any, trials: int = 8) -> tuple[Fraction, ...] | None:
    rng = random.Random(12345)
    base = domain.interior_point() if domain is not None and hasattr(domain, "interior_point") else (_ZERO,) * d
    for _ in range(trials):
        if domain is not None and hasattr(domain, "lo") and hasattr(domain, "hi"):
            x = tuple(lo + (hi - lo) * Fraction(rng.randint(1, 99), 100) for lo, hi in zip(domain.lo, domain.hi))
        else:
            x = tuple(b + Fraction(rng.randint(-300, 300), rng.randint(1, 30)) for b in base)
            if domain is not None and hasattr(domain, "contains") and not domain.contains(x):
                continue
        if f(x) != g(x):
            return x
    return None


def _nonzero_point(region: Any) -> tuple[Fraction, ...] | None:
    """A point strictly inside ``region`` where its affine map is nonzero, or None if the map is zero."""
    M, c = region.affine_map
    w = region.witness
    vals = [sum((a * x for a, x in zip(row, w)), ci) for row, ci in zip(M, c)]
    if any(vals):
        return tuple(w)
    k = next((i for i, row in enumerate(M) if any(row)), None)
    if k is None:
        return None
    direction = M[k]  # the map is zero at w and grows along its gradient
    A, b = region.hrep
    step = Fraction(1)
    for row, bi in zip(A, b):
        rate = sum((a * t for a, t in zip(row, direction)), _ZERO)
        if rate > 0:
            slack = bi - sum((a * x for a, x in zip(row, w)), _ZERO)
            step = min(step, slack / (2 * rate))
    return tuple(x + step * t for x, t in zip(w, direction))


def equivalent(f: Any, g: Any, domain: Any = None) -> Equivalence:
    """Decide exactly whether ``f = g`` on ``domain``.

    Parameters
    ----------
    f, g
        Networks, or specs / expressions (compiled first).
    domain
        A :class:`~cpa.domains.Box`, :class:`~cpa.domains.Polyhedron`,
        :class:`~cpa.domains.Reals`, or None for all of R^d.

    Returns
    -------
    Equivalence
        Truthy iff equal; else ``counterexample`` is an exact rational point
        of the domain where the values differ.
    """
    from .domains import as_domain
    from .regions import regions

    fn, gn = _as_network(f), _as_network(g)
    h = difference(fn, gn)
    dom = as_domain(domain, h.input_dim)
    x = _screen(fn, gn, h.input_dim, dom)
    if x is not None:
        return Equivalence(False, x, 0, "screen")
    cx = regions(h, dom)
    for r in cx.regions:
        p = _nonzero_point(r)
        if p is not None:
            return Equivalence(False, p, len(cx), cx.method)
    return Equivalence(True, None, len(cx), cx.method)


def spec_counterexample(spec: Any, net: ReLUNetwork, domain: Any = None) -> tuple[Fraction, ...] | None:
    """An exact point where ``net`` differs from ``spec``, or None if they are equal everywhere.

    The spec is turned into an independent reference network
    (:mod:`cpa.compiler.reference`) and the two are compared with :func:`equivalent`;
    a difference found is confirmed against the spec's own exact evaluation.
    """
    from .compiler.reference import reference_network
    from .pieces import Pieces

    if isinstance(spec, Pieces):
        return _pieces_counterexample(spec, net)
    ref = reference_network(spec)
    res = equivalent(net, ref, domain)
    if res.equal:
        return None
    x = res.counterexample
    assert x is not None
    if net(x)[0] != spec(x):
        return x
    raise AssertionError(f"reference network for {spec!r} disagrees with the spec at {x}")  # a bug in cpa


def _pieces_counterexample(spec: Any, net: ReLUNetwork) -> tuple[Fraction, ...] | None:
    """Compare ``net`` with each piece's affine map on that piece (intersected with the spec's domain)."""
    from .calculus import affine_network
    from .domains import Polyhedron

    dom_A, dom_b = spec.domain.constraints()
    for A, b, c, d in spec.pieces:
        piece = Polyhedron(list(A) + list(dom_A), list(b) + list(dom_b), dim=spec.input_dim)
        res = equivalent(net, affine_network([c], [d]), piece)
        if not res.equal:
            return res.counterexample
    return None
