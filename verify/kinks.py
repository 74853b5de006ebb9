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
never compactly supported (the argument above, elementary; He, Li, Xu, Zheng,
J. Comput. Math. 2020, state it for hat functions); two hidden layers suffice
(the Courant hat; Arora et al., ICLR 2018, Theorem 2.1).

:func:`second_difference` measures a kink exactly: at a point ``q`` and
direction ``v`` it returns :math:`f(q + \varepsilon v) + f(q - \varepsilon v) -
2 f(q)`, zero when ``f`` is affine on the segment.  :func:`kink_across` needs
no step at all: it is the exact slope jump :math:`f'(q; n) + f'(q; -n)` of
the restriction to the line through ``q`` along ``n``, for any network
(:func:`one_sided_derivative`).

:func:`kinks_are_whole_lines` checks a one-hidden-layer network far out on
every line and where the line crosses a box (entry, exit, midpoint:
:func:`line_box_points`); :func:`kinks_along_line` reports the same box
points for any network, which shows that the Courant hat's kink along
``y = 0`` stops at its support.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from cpa.network import ReLUNetwork

__all__ = ["one_hidden_layer_kinks", "kinks_are_whole_lines", "second_difference", "safe_epsilon",
           "line_box_points", "one_sided_derivative", "kink_across", "kinks_along_line"]

Line = tuple[tuple[Fraction, ...], Fraction]
Point = tuple[Fraction, Fraction]


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


def line_box_points(line: Line, box: Any = None) -> list[Point]:
    """Where the line ``n . x + beta = 0`` enters and leaves a box, and the midpoint, exactly.

    Parameters
    ----------
    line
        ``(n, beta)`` with ``n`` a nonzero vector of R^2.
    box
        A :class:`cpa.domains.Box` in R^2 or a pair ``(lo, hi)``; default ``[-1, 1]^2``.

    Returns
    -------
    list of points
        ``[entry, exit, midpoint]`` of the segment ``line ∩ box`` (ordered along the
        direction ``(-n_2, n_1)``), or ``[]`` when that segment has no length (the
        line misses the box or only touches a corner).

    Notes
    -----
    With ``p`` on the line and ``u = (-n_2, n_1)``, the segment is ``p + s u`` for
    ``s`` in the intersection of the intervals ``lo_i <= p_i + s u_i <= hi_i``
    (exact clipping; a coordinate with ``u_i = 0`` either keeps or empties it).
    """
    lo, hi = _box(box)
    (nx, ny), beta = (Fraction(line[0][0]), Fraction(line[0][1])), Fraction(line[1])
    if nx == 0 and ny == 0:
        raise ValueError("line_box_points needs a nonzero normal vector")
    p = (-beta / nx, Fraction(0)) if nx != 0 else (Fraction(0), -beta / ny)
    u = (-ny, nx)
    s_lo: Fraction | None = None
    s_hi: Fraction | None = None
    for pi, ui, a, b in zip(p, u, lo, hi):
        if ui == 0:
            if not a <= pi <= b:
                return []
            continue
        t1, t2 = sorted(((a - pi) / ui, (b - pi) / ui))
        s_lo = t1 if s_lo is None else max(s_lo, t1)
        s_hi = t2 if s_hi is None else min(s_hi, t2)
    assert s_lo is not None and s_hi is not None  # u != 0
    if s_lo >= s_hi:
        return []

    def at(s: Fraction) -> Point:
        return (p[0] + s * u[0], p[1] + s * u[1])

    return [at(s_lo), at(s_hi), at((s_lo + s_hi) / 2)]


def one_sided_derivative(net: ReLUNetwork, q: Sequence[Any], v: Sequence[Any]) -> Fraction:
    r"""The exact one-sided directional derivative :math:`f'(q; v) = \lim_{t \downarrow 0} (f(q + t v) - f(q))/t`.

    For the first output of any ReLU network.  Forward mode on pairs
    ``(z, dz)``: along ``t -> q + t v`` every pre-activation is affine for small
    ``t > 0``, equal to ``z + t dz``, so ``relu`` passes ``dz`` if ``z > 0``, 0 if
    ``z < 0`` and ``max(dz, 0)`` if ``z = 0``.  No step size, no rounding.
    """
    z = [Fraction(x) for x in q]
    dz = [Fraction(x) for x in v]
    layers = net.layers
    for k, (W, b) in enumerate(layers):
        z2 = [sum((w * x for w, x in zip(row, z)), bi) for row, bi in zip(W, b)]
        d2 = [sum((w * x for w, x in zip(row, dz)), Fraction(0)) for row in W]
        if k < len(layers) - 1:
            d2 = [d if zi > 0 else (max(d, Fraction(0)) if zi == 0 else Fraction(0)) for zi, d in zip(z2, d2)]
            z2 = [max(zi, Fraction(0)) for zi in z2]
        z, dz = z2, d2
    return dz[0]


def kink_across(net: ReLUNetwork, q: Sequence[Any], n: Sequence[Any]) -> Fraction:
    """The slope jump of ``t -> f(q + t n)`` at ``t = 0``: ``f'(q; n) + f'(q; -n)``, exactly.

    Zero iff that restriction is differentiable at 0.  For a one-hidden-layer
    network and a point ``q`` on exactly one of its lines ``(n, beta)`` it is
    ``jump * (n . n)``, with ``jump`` from :func:`one_hidden_layer_kinks`.
    """
    return one_sided_derivative(net, q, n) + one_sided_derivative(net, q, [-Fraction(x) for x in n])


def kinks_along_line(net: ReLUNetwork, line: Line, box: Any = None) -> list[tuple[Point, Fraction]]:
    """For any network ``R^2 -> R``: the slope jump across ``line`` where it enters, leaves and halves a box.

    Returns ``[(point, kink_across(net, point, n)), ...]`` for the points of
    :func:`line_box_points` (``[]`` if the line misses the box).  If the kink
    set contained the whole line across the box, every value would be nonzero
    at points off the other kinks; for the Courant hat and the line ``y = 0`` in
    ``[-1, 1]^2`` the values are ``0, 0, -2``: the kink stops at the support.
    """
    n = [Fraction(x) for x in line[0]]
    return [(q, kink_across(net, q, n)) for q in line_box_points(line, box)]


def kinks_are_whole_lines(net: ReLUNetwork, far: Fraction = Fraction(1000), box: Any = None) -> bool:
    """Check, exactly, that a one-hidden-layer network ``R^2 -> R`` kinks along whole lines only.

    For every hyperplane ``(n, beta)`` of :func:`one_hidden_layer_kinks` with
    jump ``J``, at

    * four points on it at distance about ``far`` on both ends, and
    * the points where it enters and leaves ``box`` (default ``[-1, 1]^2``) and
      the midpoint between them (:func:`line_box_points`),

    skipping points that lie on another line, the second difference across it
    with the safe step ``eps`` of :func:`safe_epsilon` must be exactly
    ``eps * J * (n . n)``: nonzero iff ``J != 0``, so the kink is present at every
    such point iff the jump is nonzero.  When no jump is nonzero, also checks
    that the network is affine at a few points.

    Parameters
    ----------
    net
        One hidden layer, two inputs, one output.
    far
        Distance parameter of the far points.
    box
        :class:`cpa.domains.Box` in R^2 or ``(lo, hi)``; default ``[-1, 1]^2``.

    Returns
    -------
    bool
        True when all of it holds.

    Raises
    ------
    ValueError
        If the network is not ``R^2 -> R`` with one hidden layer.

    Notes
    -----
    On the segment ``q +- eps n`` only the line ``(n, beta)`` is crossed, so ``f``
    is affine on each half and ``f(q + eps n) + f(q - eps n) - 2 f(q) = eps (g+ - g-) . n``
    with ``g+ - g- = J n`` (module docstring).
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
        points = [(p[0] + s * direction[0], p[1] + s * direction[1])
                  for s in (big, -big, big + Fraction(1, 3), -big - Fraction(2, 7))]
        points += line_box_points((n, beta), box)
        nn = nx * nx + ny * ny
        for q in points:
            eps = safe_epsilon(lines, q, list(n), skip=(n, beta))
            if eps is None:
                continue
            if second_difference(net, q, list(n), eps) != eps * jump * nn:
                return False
    if all(j == 0 for j in jumps.values()):  # then f must be affine: check on a few points
        pts = [(Fraction(a), Fraction(b)) for a, b in ((0, 0), (1, 0), (0, 1), (3, -2), (-5, 7), (11, 13))]
        f = [net(list(p))[0] for p in pts]
        gx, gy, c = f[1] - f[0], f[2] - f[0], f[0]
        if any(fv != c + gx * x + gy * y for fv, (x, y) in zip(f, pts)):
            return False
    return True


def _box(box: Any) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...]]:
    if box is None:
        return (Fraction(-1), Fraction(-1)), (Fraction(1), Fraction(1))
    if hasattr(box, "lo") and hasattr(box, "hi"):
        lo, hi = box.lo, box.hi
    else:
        lo, hi = box
    lo_q, hi_q = tuple(Fraction(x) for x in lo), tuple(Fraction(x) for x in hi)
    if len(lo_q) != 2 or len(hi_q) != 2 or not all(a < b for a, b in zip(lo_q, hi_q)):
        raise ValueError(f"box must be a full-dimensional box in R^2, got lo={lo_q}, hi={hi_q}")
    return lo_q, hi_q
