"""Max pooling as an exact ReLU gadget: a pairwise tree of ``max`` of two.

The maximum of two numbers is piecewise affine and exactly a ReLU network:

* signed inputs: ``max(a, b) = relu(a - b) + relu(b) - relu(-b)``, three
  neurons (``b`` is carried through the layer as ``relu(b) - relu(-b)``); a
  value without a partner is carried as ``relu(a) - relu(-a)``, two neurons;
* nonnegative inputs (right after a ReLU): ``max(a, b) = relu(a) + relu(b - a)``,
  two neurons (``relu(a) = a``); a value without a partner is ``relu(a)``,
  one neuron.  The maxima are nonnegative again, so every level of the tree
  uses this form.

A window of ``k`` entries is reduced by a balanced tree of such maxima: level
``l`` pairs the values left by level ``l - 1``, so the pooling adds
``ceil(log2 k)`` hidden ReLU layers (``k`` the largest window; windows that
are done early are carried through the remaining levels).

References
----------
R. Arora, A. Basu, P. Mianjy and A. Mukherjee, "Understanding deep neural
networks with rectified linear units", ICLR 2018 (max of ``k`` numbers with
``ceil(log2 k)`` hidden layers).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..numbers import ONE

__all__ = ["MaxPool", "Level", "max_tree"]

Level = tuple[list[dict[int, Fraction]], list[dict[int, Fraction]]]
"""One hidden layer of the tree: ``(pre, post)``.  ``pre[i]`` is neuron ``i``'s
pre-activation over the current values; ``post[v]`` is the next value ``v``
over the neurons."""


@dataclass(frozen=True)
class MaxPool:
    """``y_o = max_{j in windows[o]} x_j``: the op of a max pooling layer on flat inputs.

    Attributes
    ----------
    windows
        For each output entry, the input indices of its window (nonempty).
    input_dim
        The number of input entries.
    """

    windows: tuple[tuple[int, ...], ...]
    input_dim: int

    @property
    def output_dim(self) -> int:
        return len(self.windows)

    @property
    def depth(self) -> int:
        """``ceil(log2 k)`` for the largest window size ``k``: the hidden ReLU layers it adds."""
        return (max(len(w) for w in self.windows) - 1).bit_length()


def max_tree(windows: tuple[tuple[int, ...], ...], nonneg: bool) -> tuple[list[Level], list[int]]:
    """The hidden layers computing the max over each window (see the module docstring).

    Parameters
    ----------
    windows
        For each output, the indices of its window in the input vector.
    nonneg
        True when every input entry is known to be ``>= 0`` (the two-neuron form).

    Returns
    -------
    (list of Level, list of int)
        The levels in order (the first reads the input vector, each next one
        the values of the previous), and for each output the index of its
        maximum in the last value vector (the input vector if there is no level).

    Examples
    --------
    >>> levels, select = max_tree(((0, 1),), nonneg=True)
    >>> len(levels), levels[0][0], levels[0][1], select
    (1, [{0: Fraction(1, 1)}, {1: Fraction(1, 1), 0: Fraction(-1, 1)}], [{0: Fraction(1, 1), 1: Fraction(1, 1)}], [0])
    """
    groups = [list(w) for w in windows]
    levels: list[Level] = []
    while any(len(g) > 1 for g in groups):
        pre: list[dict[int, Fraction]] = []
        post: list[dict[int, Fraction]] = []
        new_groups = []
        for g in groups:
            ng = []
            for k in range(0, len(g), 2):
                n = len(pre)
                if k + 1 < len(g):
                    a, b = g[k], g[k + 1]
                    if nonneg:         # max(a, b) = relu(a) + relu(b - a)
                        pre += [{a: ONE}, _diff(b, a)]
                        post.append({n: ONE, n + 1: ONE})
                    else:              # max(a, b) = relu(a - b) + relu(b) - relu(-b)
                        pre += [_diff(a, b), {b: ONE}, {b: -ONE}]
                        post.append({n: ONE, n + 1: ONE, n + 2: -ONE})
                else:
                    a = g[k]
                    if nonneg:         # a = relu(a)
                        pre.append({a: ONE})
                        post.append({n: ONE})
                    else:              # a = relu(a) - relu(-a)
                        pre += [{a: ONE}, {a: -ONE}]
                        post.append({n: ONE, n + 1: -ONE})
                ng.append(len(post) - 1)
            new_groups.append(ng)
        levels.append((pre, post))
        groups = new_groups
    return levels, [g[0] for g in groups]


def _diff(a: int, b: int) -> dict[int, Fraction]:
    return {a: ONE, b: -ONE} if a != b else {}
