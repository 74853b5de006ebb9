"""The route of an expression spec: structural recursion over its ``Max``/``Min``/``Abs`` tree.

Affine subexpressions become one affine layer; a ``Max`` (``Min``) of ``k`` arguments is the
max (min) tree of :mod:`cpa.gadgets` over the arguments' networks run in parallel (nested
``Max`` nodes are flattened first); ``Abs`` is the two-neuron ``|x| = relu(x) + relu(-x)``;
sums and rational scalings are linear combinations.  The depth is that of the deepest
``Max``/``Min``/``Abs`` nesting.
"""

from __future__ import annotations

from ..calculus import affine_network, compose, linear_combination, parallel, scale
from ..errors import SpecError
from ..expr import Abs, Expr, Lin, Max, Min, Scale, Sum, affine_part, lin_vector
from ..gadgets import abs_1d, max_of, min_of
from ..network import ReLUNetwork
from ..numbers import ZERO
from ..specs import Expression

__all__ = ["expression_to_network"]


def expression_to_network(spec: Expression) -> ReLUNetwork:
    return _expr_net(spec.expr, spec.variables)


def _flatten(e: Expr, cls: type) -> list[Expr]:
    out: list[Expr] = []
    for a in e.args:  # type: ignore[attr-defined]
        out.extend(_flatten(a, cls) if isinstance(a, cls) else [a])
    return out


def _expr_net(e: Expr, variables: tuple[str, ...]) -> ReLUNetwork:
    a = affine_part(e)
    if a is not None:
        vec, c = lin_vector(a, variables)
        return affine_network([vec], [c])
    if isinstance(e, Scale):
        return scale(_expr_net(e.arg, variables), e.factor)
    if isinstance(e, Sum):
        affine = Lin((), ZERO)
        nets = []
        from ..expr import lin_add
        for term in e.terms:
            p = affine_part(term)
            if p is not None:
                affine = lin_add(affine, p)
            else:
                nets.append(_expr_net(term, variables))
        if affine.coeffs:
            vec, c = lin_vector(affine, variables)
            nets.append(affine_network([vec], [0]))
        return linear_combination([1] * len(nets), nets, affine.const)
    if isinstance(e, (Max, Min)):
        args = _flatten(e, type(e))
        tree = max_of(len(args)) if isinstance(e, Max) else min_of(len(args))
        lins = [affine_part(t) for t in args]
        if all(p is not None for p in lins):
            rows, bias = zip(*(lin_vector(p, variables) for p in lins))  # type: ignore[arg-type]
            return compose(tree, affine_network(list(rows), list(bias)))
        return compose(tree, parallel([_expr_net(t, variables) for t in args]))
    if isinstance(e, Abs):
        return compose(abs_1d(), _expr_net(e.arg, variables))
    raise SpecError(f"cannot compile expression node {type(e).__name__}")
