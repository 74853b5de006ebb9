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
from .numbers import ONE, ZERO

__all__ = ["Equivalence", "equivalent", "difference", "rewrite_certificate"]


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
    if isinstance(f, (str, bytes, dict)) or not hasattr(f, "__iter__"):
        raise ArgumentTypeError(f"expected a ReLUNetwork or a sequence of (W, b) layers, got {type(f).__name__} "
                                f"(to compare with a spec or an expression use verify.equivalent, which compiles it)")
    return ReLUNetwork(f)


def difference(f: ReLUNetwork, g: ReLUNetwork) -> ReLUNetwork:
    """The network ``f - g`` (multi-output: componentwise).

    Parameters
    ----------
    f, g
        Networks with the same input and output dimensions.

    Returns
    -------
    ReLUNetwork
        The network ``x -> f(x) - g(x)``.

    Raises
    ------
    ShapeError
        If the input or the output dimensions of ``f`` and ``g`` differ.
    """
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
    base = domain.interior_point() if domain is not None and hasattr(domain, "interior_point") else (ZERO,) * d
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
    step = ONE
    for row, bi in zip(A, b):
        rate = sum((a * t for a, t in zip(row, direction)), ZERO)
        if rate > 0:
            slack = bi - sum((a * x for a, x in zip(row, w)), ZERO)
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


def _key(row: dict[int, Fraction], beta: Fraction) -> tuple[tuple[Any, Fraction], Fraction]:
    """``(row, beta)`` divided by ``|first nonzero of row|``, hashable, and that factor."""
    items = sorted(row.items())
    s = abs(items[0][1])
    if s == 1:
        return (tuple(items), beta), s
    return (tuple((j, v / s) for j, v in items), beta / s), s


def rewrite_certificate(f: ReLUNetwork, g: ReLUNetwork) -> bool:
    """Prove ``f = g`` on all of R^d by a neuron correspondence, or return False (nothing proved).

    For every hidden layer, each neuron ``i`` of ``f`` that the output depends on must be, as a
    function of the input, ``c * (neuron k of g)`` with ``c > 0``, or a constant, or always 0:
    by induction over the layers, with ``h^f_j = c_j h^g_{k(j)}`` (or a constant ``tau_j``) on the
    layer before, neuron ``i``'s pre-activation is ``r . h^g + beta`` with ``r, beta`` computed
    exactly; then

    * ``(r, beta)`` a positive multiple ``c`` of a neuron ``k`` of ``g``: ``relu(c z) = c relu(z)``;
    * ``r = 0``: the constant ``relu(beta)``;
    * after the first layer, ``r <= 0`` and ``beta <= 0``: the input ``h^g >= 0``, so always 0.

    Last, the output layer of ``f`` rewritten this way must equal ``g``'s exactly.  Each step is an
    exact identity, so True is a proof.  This is what the compiler's shrinking passes do (drop,
    merge positively proportional and fold constant neurons); a fused layer (other depth) or any
    other change makes it return False, and the caller falls back to region enumeration.

    Parameters
    ----------
    f, g
        The two networks; they must have the same input and output dimensions and the
        same depth (otherwise the answer is False).

    Returns
    -------
    bool
        True if ``f = g`` on all of ``R^d`` is proved; False if nothing is proved (which does
        not mean that ``f`` and ``g`` differ).
    """
    if (f.input_dim, f.output_dim, f.depth) != (g.input_dim, g.output_dim, g.depth):
        return False
    F, G = f.affine_layers, g.affine_layers
    L = f.depth
    live: list[set[int]] = [set() for _ in range(L)]      # neurons of f the output depends on
    need = set(range(f.output_dim))
    for l in range(L, 0, -1):
        live[l - 1] = {j for i in need for j, _ in F[l].W.rows[i]}
        need = live[l - 1]
    scale_of: dict[int, tuple[int, Fraction]] | None = None    # None: the input, h^f_0 = h^g_0 = x
    const: dict[int, Fraction] = {}

    def rewrite(row: Any, beta: Fraction) -> tuple[dict[int, Fraction], Fraction] | None:
        if scale_of is None:
            return dict(row), beta
        acc: dict[int, Fraction] = {}
        for j, v in row:
            if j in scale_of:
                k, c = scale_of[j]
                acc[k] = acc.get(k, ZERO) + v * c
            elif j in const:
                beta += v * const[j]
            else:
                return None                                # cannot happen for a live neuron
        return {k: v for k, v in acc.items() if v}, beta

    for l in range(L):
        index: dict[Any, tuple[int, Fraction]] = {}
        for k, row in enumerate(G[l].W.rows):
            if row:
                key, s = _key(dict(row), G[l].b[k])
                index.setdefault(key, (k, s))
        new_scale: dict[int, tuple[int, Fraction]] = {}
        new_const: dict[int, Fraction] = {}
        for i in live[l]:
            got = rewrite(F[l].W.rows[i], F[l].b[i])
            if got is None:
                return False
            r, beta = got
            if not r:
                new_const[i] = beta if beta > 0 else ZERO
                continue
            if l > 0 and beta <= 0 and all(v <= 0 for v in r.values()):
                new_const[i] = ZERO
                continue
            key, s = _key(r, beta)
            hit = index.get(key)
            if hit is None:
                return False
            new_scale[i] = (hit[0], s / hit[1])
        scale_of, const = new_scale, new_const
    for i, row in enumerate(F[L].W.rows):
        got = rewrite(row, F[L].b[i])
        if got is None or tuple(sorted(got[0].items())) != G[L].W.rows[i] or got[1] != G[L].b[i]:
            return False
    return True
