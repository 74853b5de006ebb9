"""The route of a univariate CPA function: one hidden layer, at most ``p`` neurons for ``p`` pieces.

With breakpoints ``t_1 < ... < t_{p-1}`` and slopes ``s_0..s_{p-1}`` (Arora, Basu, Mianjy,
Mukherjee, ICLR 2018, Thm 2.2; the weights below are ours, checked exactly, not those of the
paper's appendix)::

    f(x) = f(t_1) - s_0 relu(t_1 - x) + s_1 relu(x - t_1) + sum_{k>=2} (s_k - s_{k-1}) relu(x - t_k)

Breakpoints where the slope does not change are dropped first.
"""

from __future__ import annotations

from fractions import Fraction

from ..calculus import affine_network
from ..network import ReLUNetwork
from ..numbers import ONE
from ..specs import Breakpoints1D

__all__ = ["breakpoints_to_network"]


def breakpoints_to_network(spec: Breakpoints1D) -> ReLUNetwork:
    slopes = spec.slopes
    kinks = [k for k in range(len(spec.breakpoints)) if slopes[k + 1] != slopes[k]]
    if not kinks:  # affine: f(x) = f(t_1) + s_0 (x - t_1), no hidden layer
        t1, s0 = spec.breakpoints[0], slopes[0]
        return affine_network([[s0]], [spec.values[0] - s0 * t1])
    t = [spec.breakpoints[k] for k in kinks]
    s = [slopes[0]] + [slopes[k + 1] for k in kinks]  # slopes of the p true pieces
    rows: list[list[Fraction]] = [[-ONE], [ONE]]
    bias: list[Fraction] = [t[0], -t[0]]
    out: list[Fraction] = [-s[0], s[1]]
    for k in range(1, len(t)):
        rows.append([ONE])
        bias.append(-t[k])
        out.append(s[k + 1] - s[k])
    return ReLUNetwork([(rows, bias), ([out], [spec(t[0])])])
