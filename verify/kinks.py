r"""Kinks of ReLU networks, exactly: why one hidden layer cannot make a compact bump in ``d >= 2``.

For a one-hidden-layer network :math:`f(x) = c_0 + \sum_i c_i\,
\mathrm{relu}(w_i \cdot x + b_i)` group the units by hyperplane: write each as
:math:`\mathrm{relu}(s_i (n \cdot x + \beta))` with ``(n, beta)`` normalised
(first nonzero entry of ``n`` equal to 1) and :math:`s_i \ne 0`.  Crossing
:math:`H = \{n \cdot x + \beta = 0\}` from the negative to the positive side the
gradient jumps by :math:`(\sum_{i \in H} c_i |s_i|)\, n` (a unit with
``s_i > 0`` switches on, one with ``s_i < 0`` switches off), the same vector at
every point of ``H``.  So the kink set (non-differentiability set) is the union
of the *whole* hyperplanes with :math:`\sum_{i \in H} c_i |s_i| \ne 0`; if there is none,
``f`` is affine.  Hence in ``d >= 2`` a nonzero one-hidden-layer network is
never compactly supported (THEORY.md 7.6, DERIVED); two hidden layers suffice
(the Courant hat).

:func:`second_difference` measures a kink exactly: at a point ``q`` and
direction ``v`` it returns :math:`f(q + \varepsilon v) + f(q - \varepsilon v) -
2 f(q)`, zero when ``f`` is affine on the segment.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from cpa.network import ReLUNetwork

__all__ = ["one_hidden_layer_kinks", "kinks_are_whole_lines", "second_difference", "safe_epsilon"]

Line = tuple[tuple[Fraction, ...], Fraction]


def one_hidden_layer_kinks(net: ReLUNetwork) -> dict[Line, Fraction]:
    """Hyperplanes of a one-hidden-layer scalar network and their jump coefficients.

    Returns
    -------
    dict
        ``(n, beta) -> sum_i c_i |s_i|``; the gradient jumps by that multiple of
        ``n`` across ``n . x + beta = 0``.  Units with zero input weights are
        constants and are skipped.

    Raises
    ------
    ValueError
        If the network does not have exactly one hidden layer and one output.
    """
    if net.depth != 1 or net.output_dim != 1:
        raise ValueError("one_hidden_layer_kinks needs a network with one hidden layer and one output")
    (W, b), (c, _) = net.layers
    jumps: dict[Line, Fraction] = {}
    for w, beta, ci in zip(W, b, c[0]):
        lead = next((v for v in w if v != 0), None)
        if lead is None:
            continue
        key = (tuple(v / lead for v in w), beta / lead)  # unit = relu(lead * (n . x + beta'))
        # crossing to n . x + beta' > 0 switches the unit on (lead > 0, gradient + c lead n) or off
        # (lead < 0, gradient - c lead n): either way the jump is c |lead| n
        jumps[key] = jumps.get(key, Fraction(0)) + ci * abs(lead)
    return jumps


def safe_epsilon(lines: Sequence[Line], q: Sequence[Fraction], v: Sequence[Fraction],
                 skip: Line | None = None) -> Fraction | None:
    """A rational ``eps > 0`` such that the segment ``q +- eps v`` meets no line but ``skip``.

    Along the segment ``n . x + beta`` moves from ``n . q + beta`` by at most
    ``eps |n . v|``, so ``eps = min |n . q + beta| / (2 |n . v|)`` over the lines
    not parallel to ``v`` keeps every such value away from zero (lines parallel to
    ``v`` are never crossed).  Returns ``None`` when ``q`` lies on one of the other lines.
    """
    eps = Fraction(1)
    for n, beta in lines:
        if (n, beta) == skip:
            continue
        val = sum((a * x for a, x in zip(n, q)), start=Fraction(0)) + beta
        if val == 0 and any(n):
            return None
        rate = abs(sum((a * d for a, d in zip(n, v)), start=Fraction(0)))
        if rate:
            eps = min(eps, abs(val) / (2 * rate))
    return eps


def second_difference(net: ReLUNetwork, q: Sequence[Fraction], v: Sequence[Fraction], eps: Fraction) -> Fraction:
    """``f(q + eps v) + f(q - eps v) - 2 f(q)`` for the first output, exactly."""
    qp = [x + eps * d for x, d in zip(q, v)]
    qm = [x - eps * d for x, d in zip(q, v)]
    return net(qp)[0] + net(qm)[0] - 2 * net(list(q))[0]


def kinks_are_whole_lines(net: ReLUNetwork, far: Fraction = Fraction(1000)) -> bool:
    """Check, exactly, that a one-hidden-layer network ``R^2 -> R`` kinks along whole lines only.

    For every hyperplane of :func:`one_hidden_layer_kinks`, at four points on it
    at distance about ``far`` on both ends (skipping points on other lines), the
    second difference across it is nonzero iff its jump is nonzero.  When no
    jump is nonzero, also checks that the network is affine at a few points.

    Returns
    -------
    bool
        True when both hold.

    Raises
    ------
    ValueError
        If the network is not ``R^2 -> R`` with one hidden layer.
    """
    if net.input_dim != 2:
        raise ValueError("kinks_are_whole_lines needs a network on R^2")
    jumps = one_hidden_layer_kinks(net)
    lines = list(jumps)
    big = Fraction(far)
    for (n, beta), jump in jumps.items():
        # a point on the line and its direction (2-D)
        nx, ny = n
        p = (-beta / nx, Fraction(0)) if nx != 0 else (Fraction(0), -beta / ny)
        direction = (-ny, nx)
        for s in (big, -big, big + Fraction(1, 3), -big - Fraction(2, 7)):
            q = [p[0] + s * direction[0], p[1] + s * direction[1]]
            eps = safe_epsilon(lines, q, list(n), skip=(n, beta))
            if eps is None:
                continue
            kinked = second_difference(net, q, list(n), eps) != 0
            if kinked != (jump != 0):
                return False
    if all(j == 0 for j in jumps.values()):  # then f must be affine: check on a few points
        pts = [(Fraction(a), Fraction(b)) for a, b in ((0, 0), (1, 0), (0, 1), (3, -2), (-5, 7), (11, 13))]
        f = [net(list(p))[0] for p in pts]
        gx, gy, c = f[1] - f[0], f[2] - f[0], f[0]
        if any(fv != c + gx * x + gy * y for fv, (x, y) in zip(f, pts)):
            return False
    return True
