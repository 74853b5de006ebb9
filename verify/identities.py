r"""Exact proofs of the representation identities in the theorem table (gadgets, max trees, DC and lattice forms).

The identities are those of :mod:`cpa.gadgets`, of the max tree (Arora, Basu,
Mianjy, Mukherjee, ICLR 2018, Theorem 2.1), of the lattice (max-min) form
(Ovchinnikov, Beitr. Algebra Geom. 43, 2002) and of the tropical ``F - G``
(Zhang, Naitzat, Lim, ICML 2018).

Every identity ``f = g`` on a domain ``D`` is decided by
:func:`cpa.equivalence.equivalent`: the difference network is enumerated
region by region and its exact affine map must vanish on each region, so a
``True`` is a proof and a ``False`` comes with a rational counterexample.
The right-hand sides are built independently of the gadgets under test, by
:func:`cpa.compiler.reference.reference_network` (``max(u, v) = (u + v)/2 +
|u - v|/2`` chains, univariate sums of ``relu(x - t_k)``), from formulas
written as in the textbooks (for example ``S_lam(x) = max(x - lam, 0) + min(x +
lam, 0)``).

The max tree of ``M`` inputs is too big for one region enumeration when
``M >= 7`` (``M = 7`` alone has 10688 regions of the difference); it is proved
by induction on the levels instead (:func:`max_tree_failures`).

Functions here return failure counts or lists and never assert.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from itertools import combinations
from typing import Any, Sequence

from cpa.calculus import compose
from verify import equivalent
from cpa.network import ReLUNetwork

__all__ = ["reference", "identity_failures", "max_tree_failures", "index_sets_1d"]

_log = logging.getLogger("cpa")


def reference(text: str, variables: str) -> ReLUNetwork:
    """The independent reference network of a CPA expression (:func:`cpa.compiler.reference.reference_network`).

    Examples
    --------
    >>> reference("Max(u, v)", "u,v")([3, -1])
    (Fraction(3, 1),)
    """
    from cpa.compiler.reference import reference_network
    from cpa.specs import parse

    return reference_network(parse(text, variables))


def identity_failures(pairs: Sequence[tuple[str, Any, Any]], domain: Any = None) -> int:
    """How many of the claimed identities ``f = g`` fail on ``domain`` (each decided exactly).

    Parameters
    ----------
    pairs
        ``(label, f, g)`` with ``f``, ``g`` networks or specs (see
        :func:`cpa.equivalence.equivalent`).
    domain
        A domain, or None for all of R^d.

    Returns
    -------
    int
        The number of pairs that differ somewhere; each failure is logged with
        its exact counterexample.
    """
    bad = 0
    for label, f, g in pairs:
        res = equivalent(f, g, domain)
        if not res:
            bad += 1
            _log.warning("identity %s fails at x = %s", label, res.counterexample)
    return bad


def max_tree_failures(M: int, direct: bool = False) -> list[str]:
    """Prove ``max_tree(M)(x) = max_i x_i`` on all of R^M by induction on the levels; list failed steps.

    Parameters
    ----------
    M
        Number of inputs, ``M >= 1``.
    direct
        Also compare the whole tree with the reference chain in one region
        enumeration (cheap up to ``M = 5``; 1.6 s for ``M = 6``).

    Returns
    -------
    list of str
        Empty when every step holds, so the identity is proved.

    Notes
    -----
    ``M = 1``: the network must be the single affine layer ``x -> x``.  For
    ``M >= 2`` with ``k = ceil(M/2)``, let ``L1`` be the one-hidden-layer network
    whose hidden layer is the tree's first layer and whose output combines it as
    :mod:`cpa.gadgets` builds it (``[1, 1, -1]`` on the three units of each pair,
    ``[1, -1]`` on the two units passing an odd input).  The steps are

    1. the units of each block read only their own inputs, and the block's
       output is ``max(x_{2i-1}, x_{2i})`` (or ``x_M``) -- an exact equivalence
       proof on R^2 (or R) against the reference max;
    2. ``max_tree(M)`` equals ``max_tree(k) o L1`` weight for weight
       (:func:`cpa.calculus.compose` fuses the meeting affine layers);
    3. ``max_tree(k)`` is the max on R^k (the same proof, recursively).

    Then ``max_tree(M)(x) = max_i max(pair_i) = max_j x_j``.
    """
    from constructions import max_tree

    net = max_tree(M)
    if M == 1:
        ok = net.depth == 0 and net.layers == ((((Fraction(1),),), (Fraction(0),)),)
        return [] if ok else ["M = 1: not the identity x -> x"]
    failures: list[str] = []
    W1, b1 = net.layers[0]
    width = len(b1)
    blocks: list[tuple[list[int], list[int], list[int]]] = []  # (units, inputs, output weights)
    for i in range(M // 2):
        blocks.append(([3 * i, 3 * i + 1, 3 * i + 2], [2 * i, 2 * i + 1], [1, 1, -1]))
    if M % 2:
        blocks.append(([3 * (M // 2), 3 * (M // 2) + 1], [M - 1], [1, -1]))
    expected_width = 3 * (M // 2) + 2 * (M % 2)
    if width != expected_width:
        return [f"M = {M}: first layer has {width} units, 3 floor(M/2) + 2 (M mod 2) = {expected_width} expected"]
    P = []
    for units, inputs, out in blocks:
        if any(W1[u][j] != 0 for u in units for j in range(M) if j not in inputs):
            failures.append(f"M = {M}: units {units} read inputs other than {inputs}")
            continue
        sub = ReLUNetwork([([[W1[u][j] for j in inputs] for u in units], [b1[u] for u in units]), ([out], [0])])
        names = ",".join(f"x{j + 1}" for j in range(len(inputs)))
        ref = reference(f"Max({names})" if len(inputs) > 1 else "x1", names)
        if not equivalent(sub, ref):
            failures.append(f"M = {M}: block on inputs {inputs} is not their max")
        row = [0] * width
        for u, c in zip(units, out):
            row[u] = c
        P.append(row)
    if failures:
        return failures
    k = (M + 1) // 2
    L1 = ReLUNetwork([(W1, b1), (P, [0] * k)])
    if compose(max_tree(k), L1) != net:
        failures.append(f"M = {M}: the tree is not max_tree({k}) composed with its first level")
    failures += max_tree_failures(k)
    if direct:
        names = ",".join(f"x{j + 1}" for j in range(M))
        if not equivalent(net, reference(f"Max({names})", names)):
            failures.append(f"M = {M}: direct comparison with the reference max fails")
    return failures


def index_sets_1d(maps: Sequence[tuple[Any, Any]], f: Any) -> set[frozenset[int]]:
    """Ovchinnikov's index sets ``S_y = {i : g_i(y) >= f(y)}`` of a univariate CPA ``f``, one ``y`` per cell.

    Parameters
    ----------
    maps
        The distinct affine components ``g_i(x) = a_i x + c_i`` as ``(a_i, c_i)``.
    f
        The function (called as ``f([y])``, returning a Fraction or a 1-tuple).

    Returns
    -------
    set of frozenset
        ``S_y`` for ``y`` in every open cell of the arrangement ``{g_i = g_j}`` in
        R: the midpoints between consecutive crossing points and one point beyond
        each end (Ovchinnikov 2002: ``S_y`` is constant on each cell).  Not reduced to the minimal sets.
    """
    ms = [(Fraction(a), Fraction(c)) for a, c in maps]
    cuts = sorted({(c2 - c1) / (a1 - a2) for (a1, c1), (a2, c2) in combinations(ms, 2) if a1 != a2})
    if not cuts:
        ys = [Fraction(0)]
    else:
        ys = [cuts[0] - 1] + [(u + v) / 2 for u, v in zip(cuts, cuts[1:])] + [cuts[-1] + 1]
    out: set[frozenset[int]] = set()
    for y in ys:
        fy = f([y])
        fy = fy[0] if isinstance(fy, tuple) else fy
        out.add(frozenset(i for i, (a, c) in enumerate(ms) if a * y + c >= fy))
    return out
