r"""Montufar et al.'s folding construction: the 2014 lower bound, attained in the open cube.

For ``n0`` inputs and hidden widths ``n_1, ..., n_L`` with every ``n_l >= n0``:

* **Folding layers** ``l < L``: with ``p = floor(n_l / n0)``, coordinate ``j``
  gets the units ``relu(u_j - k/p)``, ``k = 0..p-1`` (``u = x`` for the first
  layer); spare units have zero weights and bias ``-1`` (always inactive).  The
  folded coordinate
  :math:`u_j' = p\,h_{j,0} + \sum_{k=1}^{p-1} (-1)^k 2p\, h_{j,k}`
  maps each of the ``p`` intervals ``[k/p, (k+1)/p]`` onto ``[0, 1]`` with
  alternating orientation.  The fold is linear in the hidden units, so it is
  fused into the next layer's weights.
* **Last layer**: ``n_L`` hyperplanes in general position in the ``u``-cube with
  every vertex inside ``(0, 1)^n0`` (the cyclic arrangement of
  ``constructions._arrangement``), so all ``r(n_L, n0)`` of their regions meet
  the cube.  Normals have all components nonzero (positive), the units are
  oriented so that the all-inactive sign vector is not realised, and the output
  weights are ``w_i = s_i (i + 1)`` for unit orientation ``s_i``.

Result: the open cube ``(0, 1)^n0`` holds exactly
:math:`\prod_{l<L} \lfloor n_l/n_0 \rfloor^{n_0} \cdot r(n_L, n_0)` activation
regions -- :func:`cpa.bounds.montufar2014_lower`.  On each last-layer cell the
output gradient in ``u`` is :math:`\sum_{i \text{ active}} (i+1)\, a_i`, whose
components are all positive because some unit is active everywhere; so the
two sides of every fold differ and the same count holds for **affine pieces**,
provided ``n_L >= n0 + 1`` (with ``n_L = n0`` every sign vector is realised, the
all-inactive cell is flat and touches a fold, and pieces merge when ``L >= 2``).
On all of ``R^n0`` there are more regions.

References
----------
G. Montufar, R. Pascanu, K. Cho, Y. Bengio, *On the number of linear regions of
deep neural networks*, NIPS 2014 (arXiv:1402.1869); the lower bound as quoted
by Serra et al., ICML 2018 (their citation: Theorem 5 of Montufar et al.).  The
weights here are a self-consistent version of the folding, derived and checked
exactly in this project, not the paper's exact scaling.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from cpa.bounds import montufar2014_lower
from cpa.errors import SpecError
from cpa.network import ReLUNetwork

from ._arrangement import cyclic_arrangement

__all__ = ["montufar", "montufar_reference"]

_ZERO, _ONE = Fraction(0), Fraction(1)


def montufar(n0: int, widths: Sequence[int]) -> ReLUNetwork:
    """The folding network for ``(n0; widths)`` attaining Montufar 2014 in ``(0, 1)^n0``.

    Parameters
    ----------
    n0
        Input dimension, ``>= 1``.
    widths
        Hidden widths ``n_1, ..., n_L``, each ``>= n0``.

    Returns
    -------
    ReLUNetwork
        Exact weights; ``count_regions(net, Box([0]*n0, [1]*n0))`` gives
        ``montufar2014_lower(n0, widths)`` activation regions (and as many
        affine pieces when ``n_L > n0``).

    Raises
    ------
    SpecError
        If ``n0 < 1`` or some ``n_l < n0``.

    Examples
    --------
    >>> montufar(1, [3, 3]).layers[0]
    (((Fraction(1, 1),), (Fraction(1, 1),), (Fraction(1, 1),)), (Fraction(0, 1), Fraction(-1, 3), Fraction(-2, 3)))
    """
    montufar2014_lower(n0, widths)  # validates the architecture and n_l >= n0
    ws = [int(n) for n in widths]
    # fold[j]: the current coordinate u_j as a dense row over the previous layer's outputs
    fold = [[_ONE if k == j else _ZERO for k in range(n0)] for j in range(n0)]
    layers: list[tuple[list[list[Fraction]], list[Fraction]]] = []
    for n in ws[:-1]:
        p = n // n0
        W, b = [], []
        new_fold = [[_ZERO] * n for _ in range(n0)]
        for j in range(n0):
            for k in range(p):
                new_fold[j][len(W)] = Fraction(p) if k == 0 else Fraction((-1) ** k * 2 * p)
                W.append(list(fold[j]))
                b.append(Fraction(-k, p))
        while len(W) < n:  # spare units: always inactive
            W.append([_ZERO] * len(fold[0]))
            b.append(-_ONE)
        layers.append((W, b))
        fold = new_fold
    normals, offsets, signs = cyclic_arrangement(ws[-1], n0)
    W, b = [], []
    for a, beta, s in zip(normals, offsets, signs):
        W.append([s * sum((a[j] * fold[j][c] for j in range(n0)), start=_ZERO) for c in range(len(fold[0]))])
        b.append(-s * beta)
    layers.append((W, b))
    layers.append(([[Fraction(s * (i + 1)) for i, s in enumerate(signs)]], [_ZERO]))
    return ReLUNetwork(layers)


_REFERENCE = {
    (1, (2, 2, 2)): [
        ([[1], [1]], [0, "-1/2"]),
        ([[2, -4], [2, -4]], [0, "-1/2"]),
        ([[-2, 4], [2, -4]], ["1/3", "-2/3"]),
        ([[1, 2]], [0]),
    ],
    (1, (3, 3)): [
        ([[1], [1], [1]], [0, "-1/3", "-2/3"]),
        ([[3, -6, 6], [3, -6, 6], [-3, 6, -6]], ["-1/4", "-1/2", "3/4"]),
        ([[1, -3, 2]], [0]),
    ],
    (2, (4, 4)): [
        ([[1, 0], [1, 0], [0, 1], [0, 1]], [0, "-1/2", 0, "-1/2"]),
        ([[2, -4, 4, -8], [4, -8, 2, -4], [2, -4, -2, 4], [-6, 12, 2, -4]], ["-7/5", "-7/5", "1/10", "13/10"]),
        ([[1, 2, -3, 5]], [0]),
    ],
}


def montufar_reference(n0: int, widths: Sequence[int]) -> ReLUNetwork:
    """Hand-made folding networks for ``(1; 2,2,2)``, ``(1; 3,3)`` and ``(2; 4,4)`` (exact test cases).

    Each attains Montufar et al.'s 2014 lower bound in the unit cube.  Counts:
    (1;2,2,2) 12 regions = 12 pieces on ``[0, 1]``, 14 on R; (1;3,3) 12 on
    ``[0, 1]``, 13 on R; (2;4,4) 44 in ``(0, 1)^2``, 59 on R^2.

    Raises
    ------
    SpecError
        For any other architecture (use :func:`montufar`).
    """
    key = (int(n0), tuple(int(n) for n in widths))
    if key not in _REFERENCE:
        known = ", ".join(f"({a}; {', '.join(map(str, w))})" for a, w in _REFERENCE)
        raise SpecError(f"no reference weights for ({n0}; {', '.join(map(str, widths))}); known: {known}")
    return ReLUNetwork([(W, [Fraction(v) for v in b]) for W, b in _REFERENCE[key]])
