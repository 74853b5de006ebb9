"""The max of M numbers with fewer hidden layers than the balanced tree.

The balanced max tree needs ``ceil(log2 M)`` hidden layers.  Bakaev, Brunck,
Hertrich, Stade and Yehudayoff (2025) showed that two hidden layers compute the
max of five numbers, and ``ceil(log3(M - 2)) + 1`` hidden layers the max of
``M >= 4`` numbers.  This module builds such networks with exact rational weights
from one identity for the max of five (below) applied recursively to groups.

The identity for five numbers, with ``m_pq = max(x_p, x_q)`` (indices 0..4)::

    max(x_0, ..., x_4) = 1/2 max(m01, m23) + 1/2 max(m01, m34)
                       + 1/4 max(m12, m14) + 1/4 max(m13, m14)
                       + 1/4 max(m02 + m24, m12 + m23) + 1/4 max(m03 + m04, m23 + m24)
                       + 1/4 max(m04 + m14, m24 + m34)
                       - 1/4 max(m02 + m14, m03 + m12) - 1/4 max(m02 + m14, m13 + m24)
                       - 1/4 max(m02 + m34, m04 + m13) - 1/4 max(m03 + m24, m14 + m23)

Every ``m_pq`` is one hidden layer; every outer ``max(F, G) = G + relu(F - G)``
adds one more: two hidden layers.  The identity was found by an exact sparse
search over such terms, in the spirit of the paper's support-function argument
(it is not the paper's own formula) and is proved, as a network, by the exact
equivalence checker in the tests.

Recursion: split the ``M`` inputs into five groups ``G_0..G_4`` of near-equal
size and replace ``x_p`` by ``max(G_p)``.  Then ``m_pq`` becomes the max over
``G_p u G_q``, computed recursively, and the identity holds unchanged (it holds
for all real ``x``).  So ``D(M) = 1 + D(s_0 + s_1)`` with ``s_0 >= s_1`` the two
largest group sizes, ``D(1) = 0``, ``D(2) = 1``, ``D(3) = D(4) = 2`` (the tree).
That gives ``D(M) = ceil(log3(M - 2)) + 1`` for ``4 <= M <= 26``; from ``M = 27``
on it can exceed the paper's bound by one (the paper's recursion grows
``M - 2`` threefold per layer, this one about 5/2-fold).

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

from ..calculus import affine_network, compose, parallel
from ..errors import ArgumentError
from ..gadgets import max_of, max_tree_widths
from ..network import ReLUNetwork

__all__ = ["MAX5_TERMS", "MAX5_PAIRS", "max5_head", "shallow_max", "shallow_max_parts", "shallow_max_depth",
           "log3_bound"]

_Pair = tuple[int, int]

#: The five-number identity: ``max(x) = sum c * max(sum_F m_pq, sum_G m_pq)``.
MAX5_TERMS: tuple[tuple[Fraction, tuple[_Pair, ...], tuple[_Pair, ...]], ...] = (
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


#: The pairs ``(p, q)`` the terms use, in the order of :func:`max5_head`'s inputs.
MAX5_PAIRS: tuple[_Pair, ...] = tuple(sorted({pq for _, F, G in MAX5_TERMS for pq in F + G}))


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
    col = {pq: i for i, pq in enumerate(MAX5_PAIRS)}

    def vec(side: tuple[_Pair, ...]) -> list[Fraction]:
        v = [Fraction(0)] * len(MAX5_PAIRS)
        for pq in side:
            v[col[pq]] += 1
        return v

    hidden = [[f - g for f, g in zip(vec(F), vec(G))] for _, F, G in MAX5_TERMS]
    lin = [Fraction(0)] * len(MAX5_PAIRS)
    for c, _, G in MAX5_TERMS:
        lin = [a + c * g for a, g in zip(lin, vec(G))]
    hidden += [lin, [-v for v in lin]]
    out = [c for c, _, _ in MAX5_TERMS] + [Fraction(1), Fraction(-1)]
    return ReLUNetwork([(hidden, [0] * len(hidden)), ([out], [0])])


def shallow_max_parts(M: int) -> tuple[ReLUNetwork, list[tuple[int, ...]], list[ReLUNetwork]] | None:
    """The top of :func:`shallow_max`: ``shallow_max(M) = compose(head, parallel(atoms))``.

    Parameters
    ----------
    M
        The number of inputs, at least 1.

    Returns
    -------
    tuple or None
        ``(max5_head(), subsets, atoms)``: per head input, the input indices whose max
        feeds it and the network ``R^M -> R`` computing that max; None when
        ``shallow_max(M)`` is the tree.

    Raises
    ------
    ArgumentError
        If ``M < 1``.
    """
    if M < 1:
        raise ArgumentError(f"max of M numbers needs M >= 1, got {M}")
    subsets = _atom_subsets(tuple(range(M)))
    if subsets is None:
        return None
    return max5_head(), subsets, [_shallow(sub, M) for sub in subsets]


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
    k, p = 0, 1
    while p < M - 2:
        k, p = k + 1, 3 * p
    return k + 1


def shallow_max_depth(M: int) -> int:
    """Hidden layers of :func:`shallow_max`: ``D(M) = min(ceil(log2 M), 1 + D(s_0 + s_1))``.

    Parameters
    ----------
    M
        The number of inputs, at least 1.

    Returns
    -------
    int
        The depth; equals :func:`log3_bound` for ``4 <= M <= 26``.

    Raises
    ------
    ArgumentError
        If ``M < 1``.
    """
    if M < 1:
        raise ArgumentError(f"max of M numbers needs M >= 1, got {M}")
    tree = len(max_tree_widths(M))
    if M <= 4:
        return tree
    sizes = _group_sizes(M)
    return min(tree, 1 + shallow_max_depth(sizes[0] + sizes[1]))


def shallow_max(M: int) -> ReLUNetwork:
    """``x in R^M -> max_i x_i`` with :func:`shallow_max_depth` hidden layers, exact weights.

    For ``M <= 4`` (and whenever it is no deeper) this is the balanced tree
    :func:`cpa.gadgets.max_of`; otherwise :data:`MAX5_TERMS` over five groups.

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

def _group_sizes(M: int) -> list[int]:
    q, r = divmod(M, 5)
    return [q + 1] * r + [q] * (5 - r)


def _select(S: tuple[int, ...], n: int) -> ReLUNetwork:
    rows = [[1 if j == i else 0 for j in range(n)] for i in S]
    return affine_network(rows, [0] * len(S))


@lru_cache(maxsize=None)
def _shallow(S: tuple[int, ...], n: int) -> ReLUNetwork:
    """The max over the inputs ``S`` of ``R^n``."""
    subsets = _atom_subsets(S)
    if subsets is None:
        return compose(max_of(len(S)), _select(S, n))
    return compose(max5_head(), parallel([_shallow(sub, n) for sub in subsets]))


def _atom_subsets(S: tuple[int, ...]) -> list[tuple[int, ...]] | None:
    """``G_p u G_q`` for each pair of :data:`MAX5_PAIRS`, or None when the tree is no deeper."""
    M = len(S)
    sizes = _group_sizes(M)
    if M <= 4 or len(max_tree_widths(M)) <= 1 + shallow_max_depth(sizes[0] + sizes[1]):
        return None
    starts = [sum(sizes[:p]) for p in range(5)]
    groups = [S[starts[p]:starts[p] + sizes[p]] for p in range(5)]
    return [groups[p] + groups[q] for p, q in MAX5_PAIRS]
