"""Independent reference networks for specs, used to *prove* a compiled network right.

The compiler's routes use the 3-neuron max gadget, balanced trees and
shrinking passes.  The references here use other identities and no passes, so
that agreement of the two is evidence about both:

* ``max(u, v) = (u + v)/2 + |u - v|/2`` with ``|t| = relu(t) + relu(-t)`` and
  ``s = relu(s) - relu(-s)`` (4 neurons), chained left to right;
* ``min(u, v) = (u + v)/2 - |u - v|/2``;
* a univariate CPA function as ``f(t_1) + s_0 (x - t_1) + sum_k Delta_k relu(x - t_k)``
  with the linear part passed through ``x = relu(x) - relu(-x)``.

:func:`cpa.equivalence.spec_counterexample` compares a compiled network with
the reference exactly, region by region.
"""

from __future__ import annotations

from fractions import Fraction

from ..calculus import affine_network, compose, linear_combination, parallel, scale
from ..errors import SpecError
from ..expr import Abs, Expr, Max, Min, Scale, Sum, affine_part, lin_vector
from ..network import ReLUNetwork
from ..specs import DC, Breakpoints1D, Expression, MaxAffine, MinAffine, Spec

__all__ = ["reference_network"]

_HALF = Fraction(1, 2)


def _abs_sum_net() -> ReLUNetwork:
    """``(u, v) -> ((u + v)/2, |u - v|/2)`` through one hidden layer of 4 neurons."""
    return ReLUNetwork([
        ([[1, 1], [-1, -1], [1, -1], [-1, 1]], [0, 0, 0, 0]),
        ([[_HALF, -_HALF, 0, 0], [0, 0, _HALF, _HALF]], [0, 0]),
    ])


def _pair(f: ReLUNetwork, g: ReLUNetwork, sign: int) -> ReLUNetwork:
    both = compose(_abs_sum_net(), parallel([f, g]))
    return compose(ReLUNetwork([([[1, sign]], [0])]), both)


def _chain(nets: list[ReLUNetwork], sign: int) -> ReLUNetwork:
    acc = nets[0]
    for n in nets[1:]:
        acc = _pair(acc, n, sign)
    return acc


def _affine_rows(A, b) -> list[ReLUNetwork]:
    return [affine_network([row], [c]) for row, c in zip(A, b)]


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
    """A network computing ``spec`` built by the independent identities above."""
    if isinstance(spec, MaxAffine):
        return _chain(_affine_rows(spec.A, spec.b), +1)
    if isinstance(spec, MinAffine):
        return _chain(_affine_rows(spec.A, spec.b), -1)
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
