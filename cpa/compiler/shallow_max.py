"""The max of M numbers in at most ``ceil(log3(M - 2)) + 1`` hidden layers, exact weights.

The balanced max tree needs ``ceil(log2 M)`` hidden layers.  Bakaev, Brunck,
Hertrich, Stade and Yehudayoff (2025) showed that two hidden layers compute the
max of five numbers, and ``ceil(log3(M - 2)) + 1`` hidden layers the max of
``M >= 4`` numbers.  This module reaches that bound for every ``M >= 4``, and
goes one layer below it for some ``M`` (6, 12 to 18, 30 to 54, ...: 8 hidden
layers for 4096), with exact rational weights, from two identities applied
recursively to groups.

An identity for ``k`` numbers writes, with ``m_pq = max(x_p, x_q)``, ::

    max(x_0, ..., x_{k-1}) = sum_t c_t max(F_t, G_t),   F_t, G_t sums of some m_pq.

Every ``m_pq`` is one hidden layer; every outer ``max(F, G) = G + relu(F - G)``
adds one more: two hidden layers.  For five numbers (:data:`MAX5_TERMS`)::

    max(x_0, ..., x_4) = 1/2 max(m01, m23) + 1/2 max(m01, m34)
                       + 1/4 max(m12, m14) + 1/4 max(m13, m14)
                       + 1/4 max(m02 + m24, m12 + m23) + 1/4 max(m03 + m04, m23 + m24)
                       + 1/4 max(m04 + m14, m24 + m34)
                       - 1/4 max(m02 + m14, m03 + m12) - 1/4 max(m02 + m14, m13 + m24)
                       - 1/4 max(m02 + m34, m04 + m13) - 1/4 max(m03 + m24, m14 + m23)

and for six numbers (:data:`MAX6_TERMS`) 66 terms with coefficients ``1/6`` on
twelve maxima of four numbers ``max(m_pq, m_rs)`` and ``+-1/12`` on
``max(m_pq + m_rs, m_tu + m_vw)``; it never uses ``m14``.  Both were found by an
exact sparse search over such terms (the six-number one by a linear program over
the terms' values at random points, symmetrised over the permutations of the
six numbers, then made sparse), in the spirit of the paper's support-function
argument; neither is the paper's own formula.  Both are proved, as networks, by
the exact equivalence checker (the theorem table, ``cpa theorems --full``); the
six-number one was also checked by the LP region engine, as a network of the
difference on ``[-1, 1]^6``: 25,742 regions, one affine piece, zero at seven
affinely independent points, so zero everywhere by positive homogeneity.

Recursion: split the ``M`` inputs into ``k`` groups ``G_p`` of near-equal size
and replace ``x_p`` by ``max(G_p)``.  Then ``m_pq`` becomes the max over
``G_p u G_q``, computed recursively, and the identity holds unchanged (it holds
for all real ``x``).  So ``D(M) = 1 + D(s)`` with ``s`` the largest union the
identity uses (the groups are placed to make it small: the two largest six-groups
go to positions 1 and 4).  Five groups grow ``M`` about 5/2-fold per layer, six
groups threefold.  :func:`shallow_max` takes, for every ``M``, whichever of the
tree, five groups and six groups gives the fewest hidden layers, and among those
the tree, then five groups (fewer neurons).  By induction on ``M`` the depth is
at most the paper's bound for every ``M >= 4``: six groups never exceed it
(their largest union is at most ``(M + 4) / 3``, and
``1 + ceil(log3((M - 2) / 3)) + 1 = ceil(log3(M - 2)) + 1``).  The six-number
identity alone is a network of two hidden layers for the max of six numbers,
one below the paper's ``ceil(log3 4) + 1 = 3``, and the recursion carries that
gain to the ``M`` listed above (the tests list every ``M <= 200`` below the
bound).

References
----------
E. Bakaev, F. Brunck, C. Hertrich, J. Stade, A. Yehudayoff, *Better neural network
expressivity: subdividing the simplex*, arXiv:2505.14338 (2025).
R. Arora, A. Basu, P. Mianjy, A. Mukherjee, *Understanding deep neural networks with
rectified linear units*, ICLR 2018 (arXiv:1611.01491), Thm 2.1 (the tree).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from itertools import permutations

from ..calculus import affine_network, compose, parallel
from ..errors import ArgumentError
from ..gadgets import max_of, max_tree_widths
from ..network import ReLUNetwork

__all__ = ["MAX5_TERMS", "MAX5_PAIRS", "MAX6_TERMS", "MAX6_PAIRS", "max5_head", "max6_head", "shallow_max",
           "shallow_max_parts", "shallow_max_depth", "log3_bound", "log3_half_bound"]

_Pair = tuple[int, int]
_Terms = tuple[tuple[Fraction, tuple[_Pair, ...], tuple[_Pair, ...]], ...]

#: The five-number identity: ``max(x) = sum c * max(sum_F m_pq, sum_G m_pq)``.
MAX5_TERMS: _Terms = (
    (Fraction(1, 2), ((0, 1),), ((2, 3),)),
    (Fraction(1, 2), ((0, 1),), ((3, 4),)),
    (Fraction(1, 4), ((1, 2),), ((1, 4),)),
    (Fraction(1, 4), ((1, 3),), ((1, 4),)),
    (Fraction(1, 4), ((0, 2), (2, 4)), ((1, 2), (2, 3))),
    (Fraction(1, 4), ((0, 3), (0, 4)), ((2, 3), (2, 4))),
    (Fraction(1, 4), ((0, 4), (1, 4)), ((2, 4), (3, 4))),
    (Fraction(-1, 4), ((0, 2), (1, 4)), ((0, 3), (1, 2))),
    (Fraction(-1, 4), ((0, 2), (1, 4)), ((1, 3), (2, 4))),
    (Fraction(-1, 4), ((0, 2), (3, 4)), ((0, 4), (1, 3))),
    (Fraction(-1, 4), ((0, 3), (2, 4)), ((1, 4), (2, 3))),
)

#: The six-number identity, in the same form (it never uses ``m14``).
MAX6_TERMS: _Terms = (
    (Fraction(1, 6), ((0, 1),), ((2, 3),)),
    (Fraction(1, 6), ((0, 1),), ((2, 5),)),
    (Fraction(1, 6), ((0, 1),), ((3, 4),)),
    (Fraction(1, 6), ((0, 1),), ((3, 5),)),
    (Fraction(1, 6), ((0, 1),), ((4, 5),)),
    (Fraction(1, 6), ((0, 2),), ((3, 4),)),
    (Fraction(1, 6), ((0, 2),), ((4, 5),)),
    (Fraction(1, 6), ((0, 3),), ((4, 5),)),
    (Fraction(1, 6), ((1, 2),), ((3, 4),)),
    (Fraction(1, 6), ((1, 2),), ((3, 5),)),
    (Fraction(1, 6), ((1, 2),), ((4, 5),)),
    (Fraction(1, 6), ((2, 3),), ((4, 5),)),
    (Fraction(1, 12), ((0, 1), (0, 4)), ((0, 3), (2, 5))),
    (Fraction(1, 12), ((0, 1), (0, 4)), ((0, 5), (2, 3))),
    (Fraction(1, 12), ((0, 1), (1, 2)), ((1, 3), (4, 5))),
    (Fraction(1, 12), ((0, 1), (1, 2)), ((1, 5), (3, 4))),
    (Fraction(1, 12), ((0, 1), (2, 4)), ((0, 3), (0, 5))),
    (Fraction(1, 12), ((0, 1), (2, 4)), ((1, 3), (1, 5))),
    (Fraction(1, 12), ((0, 1), (2, 4)), ((2, 3), (2, 5))),
    (Fraction(1, 12), ((0, 1), (2, 4)), ((3, 4), (4, 5))),
    (Fraction(1, 12), ((0, 3), (0, 5)), ((0, 4), (1, 2))),
    (Fraction(1, 12), ((0, 3), (2, 3)), ((1, 3), (4, 5))),
    (Fraction(1, 12), ((0, 3), (2, 3)), ((1, 5), (3, 4))),
    (Fraction(1, 12), ((0, 3), (2, 5)), ((1, 2), (2, 4))),
    (Fraction(1, 12), ((0, 3), (2, 5)), ((1, 3), (3, 4))),
    (Fraction(1, 12), ((0, 3), (2, 5)), ((1, 5), (4, 5))),
    (Fraction(1, 12), ((0, 4), (1, 2)), ((1, 3), (1, 5))),
    (Fraction(1, 12), ((0, 4), (1, 2)), ((2, 3), (2, 5))),
    (Fraction(1, 12), ((0, 4), (1, 2)), ((3, 4), (4, 5))),
    (Fraction(1, 12), ((0, 4), (2, 4)), ((1, 3), (4, 5))),
    (Fraction(1, 12), ((0, 4), (2, 4)), ((1, 5), (3, 4))),
    (Fraction(1, 12), ((0, 5), (2, 3)), ((1, 2), (2, 4))),
    (Fraction(1, 12), ((0, 5), (2, 3)), ((1, 3), (3, 4))),
    (Fraction(1, 12), ((0, 5), (2, 3)), ((1, 5), (4, 5))),
    (Fraction(1, 12), ((0, 5), (2, 5)), ((1, 3), (4, 5))),
    (Fraction(1, 12), ((0, 5), (2, 5)), ((1, 5), (3, 4))),
    (Fraction(-1, 12), ((0, 1), (0, 4)), ((2, 3), (2, 5))),
    (Fraction(-1, 12), ((0, 1), (1, 2)), ((3, 4), (4, 5))),
    (Fraction(-1, 12), ((0, 1), (2, 3)), ((1, 3), (4, 5))),
    (Fraction(-1, 12), ((0, 1), (2, 4)), ((0, 3), (1, 5))),
    (Fraction(-1, 12), ((0, 1), (2, 4)), ((0, 5), (1, 3))),
    (Fraction(-1, 12), ((0, 1), (2, 4)), ((2, 3), (4, 5))),
    (Fraction(-1, 12), ((0, 1), (2, 4)), ((2, 5), (3, 4))),
    (Fraction(-1, 12), ((0, 1), (2, 5)), ((1, 5), (3, 4))),
    (Fraction(-1, 12), ((0, 1), (3, 4)), ((0, 3), (2, 5))),
    (Fraction(-1, 12), ((0, 1), (4, 5)), ((0, 5), (2, 3))),
    (Fraction(-1, 12), ((0, 3), (0, 5)), ((1, 2), (2, 4))),
    (Fraction(-1, 12), ((0, 3), (1, 2)), ((1, 3), (4, 5))),
    (Fraction(-1, 12), ((0, 3), (2, 3)), ((1, 5), (4, 5))),
    (Fraction(-1, 12), ((0, 3), (2, 4)), ((1, 5), (3, 4))),
    (Fraction(-1, 12), ((0, 3), (2, 5)), ((0, 4), (1, 3))),
    (Fraction(-1, 12), ((0, 3), (2, 5)), ((1, 2), (4, 5))),
    (Fraction(-1, 12), ((0, 3), (2, 5)), ((1, 5), (2, 4))),
    (Fraction(-1, 12), ((0, 3), (4, 5)), ((0, 4), (1, 2))),
    (Fraction(-1, 12), ((0, 4), (1, 2)), ((0, 5), (3, 4))),
    (Fraction(-1, 12), ((0, 4), (1, 2)), ((1, 3), (2, 5))),
    (Fraction(-1, 12), ((0, 4), (1, 2)), ((1, 5), (2, 3))),
    (Fraction(-1, 12), ((0, 4), (1, 5)), ((0, 5), (2, 3))),
    (Fraction(-1, 12), ((0, 4), (2, 3)), ((1, 5), (3, 4))),
    (Fraction(-1, 12), ((0, 4), (2, 4)), ((1, 3), (1, 5))),
    (Fraction(-1, 12), ((0, 4), (2, 5)), ((1, 3), (4, 5))),
    (Fraction(-1, 12), ((0, 5), (1, 2)), ((1, 5), (3, 4))),
    (Fraction(-1, 12), ((0, 5), (2, 3)), ((1, 2), (3, 4))),
    (Fraction(-1, 12), ((0, 5), (2, 3)), ((1, 3), (2, 4))),
    (Fraction(-1, 12), ((0, 5), (2, 4)), ((1, 3), (4, 5))),
    (Fraction(-1, 12), ((0, 5), (2, 5)), ((1, 3), (3, 4))),
)


def _pairs(terms: _Terms) -> tuple[_Pair, ...]:
    return tuple(sorted({pq for _, F, G in terms for pq in F + G}))


#: The pairs ``(p, q)`` the five-number terms use, in the order of :func:`max5_head`'s inputs.
MAX5_PAIRS: tuple[_Pair, ...] = _pairs(MAX5_TERMS)

#: The pairs ``(p, q)`` the six-number terms use, in the order of :func:`max6_head`'s inputs.
MAX6_PAIRS: tuple[_Pair, ...] = _pairs(MAX6_TERMS)

_IDENTITIES: dict[int, tuple[_Terms, tuple[_Pair, ...]]] = {5: (MAX5_TERMS, MAX5_PAIRS), 6: (MAX6_TERMS, MAX6_PAIRS)}


def _head(k: int) -> ReLUNetwork:
    """One hidden layer taking ``(m_pq)`` over the ``k``-number identity's pairs to its right side."""
    terms, pairs = _IDENTITIES[k]
    col = {pq: i for i, pq in enumerate(pairs)}

    def vec(side: tuple[_Pair, ...]) -> list[Fraction]:
        v = [Fraction(0)] * len(pairs)
        for pq in side:
            v[col[pq]] += 1
        return v

    hidden = [[f - g for f, g in zip(vec(F), vec(G))] for _, F, G in terms]
    lin = [Fraction(0)] * len(pairs)
    for c, _, G in terms:
        lin = [a + c * g for a, g in zip(lin, vec(G))]
    hidden += [lin, [-v for v in lin]]
    out = [c for c, _, _ in terms] + [Fraction(1), Fraction(-1)]
    return ReLUNetwork([(hidden, [0] * len(hidden)), ([out], [0])])


def max5_head() -> ReLUNetwork:
    """One hidden layer taking ``(m_pq)`` over :data:`MAX5_PAIRS` to the right side of the identity.

    Returns
    -------
    ReLUNetwork
        ``R^10 -> R``, ``m -> sum_t c_t relu(F_t(m) - G_t(m)) + relu(L(m)) - relu(-L(m))``
        with ``L = sum_t c_t G_t``: 13 neurons, since ``max(F, G) = G + relu(F - G)``.

    Notes
    -----
    ``max5_head() o (max(x_p, x_q))_{pq}`` is the max of five numbers; with
    ``x_p`` replaced by the max of a group the same head gives the max of the union.
    """
    return _head(5)


def max6_head() -> ReLUNetwork:
    """One hidden layer taking ``(m_pq)`` over :data:`MAX6_PAIRS` to the right side of the identity.

    Returns
    -------
    ReLUNetwork
        ``R^14 -> R``, built as :func:`max5_head` from :data:`MAX6_TERMS`: 68 neurons.

    Notes
    -----
    ``max6_head() o (max(x_p, x_q))_{pq}`` is the max of six numbers in two hidden
    layers; with ``x_p`` replaced by the max of a group the same head gives the max
    of the union.
    """
    return _head(6)


def shallow_max_parts(M: int) -> tuple[ReLUNetwork, list[tuple[int, ...]], list[ReLUNetwork]] | None:
    """The top of :func:`shallow_max`: ``shallow_max(M) = compose(head, parallel(atoms))``.

    Parameters
    ----------
    M
        The number of inputs, at least 1.

    Returns
    -------
    tuple or None
        ``(head, subsets, atoms)``: the head (:func:`max5_head` or :func:`max6_head`),
        per head input the input indices whose max feeds it, and the network
        ``R^M -> R`` computing that max; None when ``shallow_max(M)`` is the tree.

    Raises
    ------
    ArgumentError
        If ``M < 1``.
    """
    if M < 1:
        raise ArgumentError(f"max of M numbers needs M >= 1, got {M}")
    split = _atom_subsets(tuple(range(M)))
    if split is None:
        return None
    k, subsets = split
    return _head(k), subsets, [_shallow(sub, M) for sub in subsets]


def log3_bound(M: int) -> int:
    """The paper's depth ``ceil(log3(M - 2)) + 1`` for the max of ``M >= 4`` numbers.

    Parameters
    ----------
    M
        The number of inputs, at least 4.

    Returns
    -------
    int
        ``ceil(log3(M - 2)) + 1``, computed in integers.

    Raises
    ------
    ArgumentError
        If ``M < 4``.
    """
    if M < 4:
        raise ArgumentError(f"the log3 bound needs M >= 4, got {M}")
    return _ceil_log3(M - 2, 1) + 1


def log3_half_bound(M: int) -> int:
    """``ceil(log3(M / 2)) + 1``, the depth :func:`shallow_max` reaches for ``M >= 3``: the max of
    ``2 * 3^k`` numbers in ``k + 1`` hidden layers (the six-number identity at the base, six
    groups growing ``M`` threefold per layer); at most :func:`log3_bound` for ``M >= 4``.

    Parameters
    ----------
    M
        The number of inputs, at least 3.

    Returns
    -------
    int
        ``ceil(log3(M / 2)) + 1``, computed in integers.

    Raises
    ------
    ArgumentError
        If ``M < 3``.
    """
    if M < 3:
        raise ArgumentError(f"the log3(M/2) bound needs M >= 3, got {M}")
    return _ceil_log3(M, 2) + 1


def _ceil_log3(num: int, den: int) -> int:
    """``ceil(log3(num / den))`` for ``num >= den >= 1``: the least ``k`` with ``den 3^k >= num``."""
    k, p = 0, den
    while p < num:
        k, p = k + 1, 3 * p
    return k


def shallow_max_depth(M: int) -> int:
    """Hidden layers of :func:`shallow_max`, by arithmetic alone (no network is built).

    ``D(M) = ceil(log2 M)`` for ``M <= 4``; otherwise
    ``min(ceil(log2 M), 1 + D(s_5), 1 + D(s_6))`` (the last for ``M >= 6``), where
    ``s_k`` is the largest union of groups the ``k``-number identity uses.

    Parameters
    ----------
    M
        The number of inputs, at least 1.

    Returns
    -------
    int
        The depth; at most :func:`log3_bound` for every ``M >= 4``.

    Raises
    ------
    ArgumentError
        If ``M < 1``.
    """
    if M < 1:
        raise ArgumentError(f"max of M numbers needs M >= 1, got {M}")
    return _plan(M)[0]


def shallow_max(M: int) -> ReLUNetwork:
    """``x in R^M -> max_i x_i`` with :func:`shallow_max_depth` hidden layers, exact weights.

    For ``M <= 4`` (and whenever it is as shallow) this is the balanced tree
    :func:`cpa.gadgets.max_of`; otherwise :data:`MAX5_TERMS` over five groups, or
    :data:`MAX6_TERMS` over six groups where that is shallower.

    Parameters
    ----------
    M
        The number of inputs, at least 1.

    Returns
    -------
    ReLUNetwork
        A network ``R^M -> R`` computing the max of its inputs.

    Raises
    ------
    ArgumentError
        If ``M < 1``.

    Notes
    -----
    With the groups' maxima ``X_p = max(G_p)`` the network computes
    ``sum_t c_t G_t(X) + sum_t c_t relu(F_t(X) - G_t(X))`` where ``F_t, G_t`` are
    sums of ``max(X_p, X_q) = max(G_p u G_q)``; those atoms are built once each,
    recursively, and run in parallel (shallower ones padded with identities).

    References
    ----------
    Bakaev, Brunck, Hertrich, Stade, Yehudayoff, arXiv:2505.14338 (2025): the
    max of five with two hidden layers and the ``ceil(log3(M - 2)) + 1`` bound.

    Examples
    --------
    >>> net = shallow_max(5)
    >>> net.depth
    2
    >>> net([3, -1, 7, 2, 0])
    (Fraction(7, 1),)
    """
    if M < 1:
        raise ArgumentError(f"max of M numbers needs M >= 1, got {M}")
    return _shallow(tuple(range(M)), M)


# --- helpers ---------------------------------------------------------------------

@lru_cache(maxsize=None)
def _layout(M: int, k: int) -> tuple[int, ...]:
    """Near-equal group sizes per position of the ``k``-number identity, placed so that the
    largest union of two groups it uses is smallest (ties: larger groups first)."""
    base, extra = divmod(M, k)
    pairs = _IDENTITIES[k][1]
    return min(set(permutations([base + 1] * extra + [base] * (k - extra))),
               key=lambda s: (max(s[p] + s[q] for p, q in pairs), [-v for v in s]))


def _union(M: int, k: int) -> int:
    sizes = _layout(M, k)
    return max(sizes[p] + sizes[q] for p, q in _IDENTITIES[k][1])


@lru_cache(maxsize=None)
def _plan(M: int) -> tuple[int, int | None]:
    """``(depth, k)``: the depth of the max of ``M`` and the identity used (None: the tree)."""
    tree = len(max_tree_widths(M))
    if M <= 4:
        return tree, None
    options = [(tree, 0, None), (1 + _plan(_union(M, 5))[0], 1, 5)]
    if M >= 6:
        options.append((1 + _plan(_union(M, 6))[0], 2, 6))
    depth, _, k = min(options)          # the fewest layers; then the tree, then five groups
    return depth, k


def _select(S: tuple[int, ...], n: int) -> ReLUNetwork:
    rows = [[1 if j == i else 0 for j in range(n)] for i in S]
    return affine_network(rows, [0] * len(S))


@lru_cache(maxsize=None)
def _shallow(S: tuple[int, ...], n: int) -> ReLUNetwork:
    """The max over the inputs ``S`` of ``R^n``."""
    split = _atom_subsets(S)
    if split is None:
        return compose(max_of(len(S)), _select(S, n))
    k, subsets = split
    return compose(_head(k), parallel([_shallow(sub, n) for sub in subsets]))


def _atom_subsets(S: tuple[int, ...]) -> tuple[int, list[tuple[int, ...]]] | None:
    """``(k, [G_p u G_q for the k-number identity's pairs])``, or None for the tree."""
    k = _plan(len(S))[1]
    if k is None:
        return None
    sizes = _layout(len(S), k)
    starts = [sum(sizes[:p]) for p in range(k)]
    groups = [S[starts[p]:starts[p] + sizes[p]] for p in range(k)]
    return k, [groups[p] + groups[q] for p, q in _IDENTITIES[k][1]]
