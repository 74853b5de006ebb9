"""Independent reference networks for specs, used to *prove* a compiled network right.

The compiler's routes use the 3-neuron max gadget, balanced trees and
shrinking passes.  The references here use other identities and no passes, so
that agreement of the two is evidence about both:

* ``max(u, v) = (u + v)/2 + |u - v|/2`` with ``|t| = relu(t) + relu(-t)`` and
  ``s = relu(s) - relu(-s)`` (4 neurons), in a balanced tree: level by level the
  values are paired, an odd one passed on as ``relu(a) - relu(-a)`` (depth
  ``ceil(log2 M)`` and about ``4 M`` neurons: a chain would be ``M - 1`` deep and
  quadratic in size, and proving a max of 200 maps against it took minutes);
* ``min(u, v) = (u + v)/2 - |u - v|/2``;
* a univariate CPA function as ``f(t_1) + s_0 (x - t_1) + sum_k Delta_k relu(x - t_k)``
  with the linear part passed through ``x = relu(x) - relu(-x)``.

:func:`cpa.compiler.check.spec_counterexample` compares a compiled network with
the reference exactly, region by region.

A max of many maps has too many regions for that in two or more dimensions (a max
of 200 maps in R^2 did not finish in minutes), so max trees are proved
structurally instead, by :func:`tree_reference`: the tree is rebuilt level by
level from the gadgets ``max2`` and ``relu_identity`` with the network calculus,
each gadget proved once, exactly, against the identities above; then
:func:`cpa.equivalence.rewrite_certificate` proves the compiled network equal to
that tree neuron by neuron (the shrinking passes only drop, merge and fold
neurons, which the certificate undoes exactly).
"""

from __future__ import annotations

from fractions import Fraction

from ..calculus import affine_network, compose, linear_combination, parallel, scale
from ..errors import SpecError
from ..expr import Abs, Expr, Max, Min, Scale, Sum, affine_part, lin_vector
from ..network import Layer, ReLUNetwork
from ..numbers import ONE, ZERO
from ..sparse import SparseMatrix
from ..specs import DC, Breakpoints1D, Expression, MaxAffine, MinAffine, Spec

__all__ = ["reference_network", "tree_reference"]

_HALF = Fraction(1, 2)


def _tree(M: int, sign: int) -> ReLUNetwork:
    """``R^M -> max_i x_i`` (``sign = +1``) or ``min_i x_i`` (``sign = -1``): a balanced tree of
    ``(u + v)/2 + sign |u - v|/2``, every level's linear output fused into the next level."""
    # values: each a sparse row over the current layer's outputs, as {column: coefficient}
    values: list[dict[int, Fraction]] = [{i: ONE} for i in range(M)]
    ncols = M
    layers: list[Layer] = []
    while len(values) > 1:
        rows: list[dict[int, Fraction]] = []
        new_values: list[dict[int, Fraction]] = []
        for p in range(0, len(values) - 1, 2):
            u, v = values[p], values[p + 1]
            s, t = _add(u, v, 1), _add(u, v, -1)             # u + v, u - v
            k = len(rows)
            rows += [s, _neg(s), t, _neg(t)]
            h = _HALF * sign
            new_values.append({k: _HALF, k + 1: -_HALF, k + 2: h, k + 3: h})
        if len(values) % 2:
            a = values[-1]
            k = len(rows)
            rows += [a, _neg(a)]
            new_values.append({k: ONE, k + 1: -ONE})
        layers.append(Layer(SparseMatrix.from_dicts(rows, ncols), (ZERO,) * len(rows)))
        ncols = len(rows)
        values = new_values
    layers.append(Layer(SparseMatrix.from_dicts(values, ncols), (ZERO,)))
    return ReLUNetwork(layers)


def _add(u: dict[int, Fraction], v: dict[int, Fraction], c: int) -> dict[int, Fraction]:
    out = dict(u)
    for j, x in v.items():
        out[j] = out.get(j, ZERO) + c * x
    return {j: x for j, x in out.items() if x}


def _neg(u: dict[int, Fraction]) -> dict[int, Fraction]:
    return {j: -x for j, x in u.items()}


def _chain(nets: list[ReLUNetwork], sign: int) -> ReLUNetwork:
    """``max`` (``sign = +1``) or ``min`` of scalar networks, by :func:`_tree` on their outputs."""
    if len(nets) == 1:
        return nets[0]
    return compose(_tree(len(nets), sign), parallel(nets))


def _max_affine(A, b, sign: int) -> ReLUNetwork:
    return compose(_tree(len(A), sign), affine_network(A, b))


def _expr(e: Expr, names: tuple[str, ...]) -> ReLUNetwork:
    a = affine_part(e)
    if a is not None:
        vec, c = lin_vector(a, names)
        return affine_network([vec], [c])
    if isinstance(e, Scale):
        return scale(_expr(e.arg, names), e.factor)
    if isinstance(e, Sum):
        return linear_combination([1] * len(e.terms), [_expr(t, names) for t in e.terms])
    if isinstance(e, Max):
        return _chain([_expr(t, names) for t in e.args], +1)
    if isinstance(e, Min):
        return _chain([_expr(t, names) for t in e.args], -1)
    if isinstance(e, Abs):
        inner = _expr(e.arg, names)
        return compose(ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])]), inner)
    raise SpecError(f"no reference construction for {type(e).__name__}")


def reference_network(spec: Spec) -> ReLUNetwork:
    """A network computing ``spec`` built by the independent identities above.

    Parameters
    ----------
    spec
        A :class:`~cpa.specs.MaxAffine`, :class:`~cpa.specs.MinAffine`, :class:`~cpa.specs.DC`,
        :class:`~cpa.specs.Breakpoints1D` or :class:`~cpa.specs.Expression`.

    Returns
    -------
    ReLUNetwork
        The reference network.

    Raises
    ------
    SpecError
        If ``spec`` is of none of these types.
    """
    if isinstance(spec, MaxAffine):
        return _max_affine(spec.A, spec.b, +1)
    if isinstance(spec, MinAffine):
        return _max_affine(spec.A, spec.b, -1)
    if isinstance(spec, DC):
        return linear_combination([1, -1], [reference_network(spec.g), reference_network(spec.h)])
    if isinstance(spec, Breakpoints1D):
        t, s = spec.breakpoints, spec.slopes
        rows = [[1], [-1]] + [[1]] * len(t)
        bias = [0, 0] + [-tk for tk in t]
        out = [s[0], -s[0]] + [s[k + 1] - s[k] for k in range(len(t))]
        return ReLUNetwork([(rows, bias), ([out], [spec.values[0] - s[0] * t[0]])])
    if isinstance(spec, Expression):
        return _expr(spec.expr, spec.variables)
    raise SpecError(f"no reference construction for {type(spec).__name__}")


def _gadgets_proved() -> bool:
    """``max2(u, v) = max(u, v)`` on R^2 and ``relu_identity(a) = a`` on R, proved exactly (region by
    region) against the networks of this module; cached for the process."""
    global _GADGETS_OK
    if _GADGETS_OK is None:
        from ..equivalence import equivalent
        from ..gadgets import max2, relu_identity

        _GADGETS_OK = bool(equivalent(max2(), compose(_tree(2, +1), affine_network([[1, 0], [0, 1]])))) \
            and bool(equivalent(relu_identity(), affine_network([[1]])))
    return _GADGETS_OK


_GADGETS_OK: bool | None = None


def _level(k: int) -> ReLUNetwork:
    """``R^k -> R^ceil(k/2)``: ``max2`` on the inputs ``(2j, 2j+1)``, ``relu_identity`` on an odd last one,
    side by side (:func:`cpa.calculus.parallel` of each gadget composed with the selection of its inputs)."""
    from ..gadgets import max2, relu_identity

    def pick(cols: list[int]) -> ReLUNetwork:       # x -> (x_c for c in cols), a linear map
        return ReLUNetwork([Layer(SparseMatrix((len(cols), k), [((c, ONE),) for c in cols]), (ZERO,) * len(cols))])

    g2, g1 = max2(), relu_identity()
    blocks = [compose(g2, pick([2 * j, 2 * j + 1])) for j in range(k // 2)]
    if k % 2:
        blocks.append(compose(g1, pick([k - 1])))
    return parallel(blocks)


def _tree_of(A, b) -> ReLUNetwork:
    net = affine_network(A, b)
    k = len(A)
    while k > 1:
        net = compose(_level(k), net)
        k = (k + 1) // 2
    return net


def tree_reference(spec: Spec) -> ReLUNetwork | None:
    """For a :class:`MaxAffine`, :class:`MinAffine` or :class:`DC` spec, the max tree(s) of its maps
    rebuilt from the proved gadgets, level by level (so equal to the spec by construction: each level
    maps ``(m_1, .., m_k)`` to ``(max(m_1, m_2), max(m_3, m_4), ..)``, and a max of maxes over a
    partition is the max); ``min = -max(-.)``; ``DC`` by :func:`linear_combination`.  None for other
    specs, or if a gadget proof failed (it never should).

    Parameters
    ----------
    spec
        The spec.

    Returns
    -------
    ReLUNetwork or None
        The rebuilt tree network, or None.
    """
    if isinstance(spec, MaxAffine):
        net = _tree_of(spec.A, spec.b)
    elif isinstance(spec, MinAffine):
        net = scale(_tree_of([[-v for v in row] for row in spec.A], [-v for v in spec.b]), -1)
    elif isinstance(spec, DC):
        g, h = tree_reference(spec.g), tree_reference(spec.h)
        if g is None or h is None:
            return None
        net = linear_combination([1, -1], [g, h])
    else:
        return None
    return net if _gadgets_proved() else None
