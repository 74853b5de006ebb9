"""Routes from each kind of spec to an exact ReLU network (before shrinking).

=================  ====================================================  ==========================
spec               construction                                          size
=================  ====================================================  ==========================
MaxAffine (M)      max tree of M inputs composed with the M affine maps  depth ceil(log2 M) [1]
MaxAffine, depth   :func:`~cpa.compiler.shallow_max.shallow_max` o maps  ceil(log3(M/2))+1 [3]
MinAffine (M)      min tree (negated max tree)                           as MaxAffine
Pieces, depth      sum of s_i shallow_max(k_i) o maps, k_i <= n+1 [5]    shallow_max_depth(n+1) [3]
DC(g, h)           the two trees in parallel, padded, output [1, -1]     sum of both + pads
Breakpoints1D (p)  Arora et al. Thm 2.2: one hidden layer                at most p neurons [2]
Expression         structural recursion over the expression tree         depth of the tree's Max nesting
Simplicial         smallest of breakpoints (d=1) / hats / lattice / DC    1 (d = 1); 2 on Kuhn grids [4]
=================  ====================================================  ==========================

Breakpoints1D with breakpoints ``t_1 < ... < t_{p-1}`` and slopes
``s_0..s_{p-1}`` (Arora, Basu, Mianjy, Mukherjee, ICLR 2018, Thm 2.2; the weights
below are ours, checked exactly, not those of the paper's appendix)::

    f(x) = f(t_1) - s_0 relu(t_1 - x) + s_1 relu(x - t_1) + sum_{k>=2} (s_k - s_{k-1}) relu(x - t_k)

[1] Arora et al. 2018, Thm 2.1 (depth); the widths are those of :func:`cpa.gadgets.max_tree_widths`.
[2] Arora et al. 2018, Thm 2.2.
[3] Bakaev, Brunck, Hertrich, Stade, Yehudayoff 2025 (arXiv:2505.14338): ``ceil(log3(M-2))+1``;
    with the six-number identity of :mod:`cpa.compiler.shallow_max`, one less for some M; ``depth="min"``.
[4] He, Li, Xu, Zheng, J. Comput. Math. 2020 (arXiv:1807.03973); ``depth="min"`` takes the shallowest.
[5] Wang and Sun 2005, Thm 1, computed by :func:`~cpa.compiler.decompose.decompose`.

References
----------
R. Arora, A. Basu, P. Mianjy, A. Mukherjee, *Understanding deep neural networks with
rectified linear units*, ICLR 2018 (arXiv:1611.01491).
"""

from __future__ import annotations

from typing import Any

from ..calculus import affine_network, compose, linear_combination
from ..errors import ArgumentError, SpecError
from ..gadgets import max_of, max_tree_widths, min_of
from ..network import ReLUNetwork
from ..specs import DC, Breakpoints1D, Expression, MaxAffine, MinAffine, Spec
from .breakpoints import breakpoints_to_network
from .expression import expression_to_network
from .shallow_max import log3_bound, shallow_max, shallow_max_depth

__all__ = ["route_for", "theoretical_size"]



def maxaffine_to_network(spec: MaxAffine) -> ReLUNetwork:
    return compose(max_of(spec.num_maps), affine_network(spec.A, spec.b))


def maxaffine_to_shallow_network(spec: MaxAffine) -> ReLUNetwork:
    return compose(shallow_max(spec.num_maps), affine_network(spec.A, spec.b))


def minaffine_to_network(spec: MinAffine) -> ReLUNetwork:
    return compose(min_of(spec.num_maps), affine_network(spec.A, spec.b))


def dc_to_network(spec: DC) -> ReLUNetwork:
    return linear_combination([1, -1], [maxaffine_to_network(spec.g), maxaffine_to_network(spec.h)])


def pieces_to_network(spec: Any) -> ReLUNetwork:
    from ..pieces import lattice_expression

    return expression_to_network(lattice_expression(spec))


def pieces_to_shallow_network(spec: Any) -> ReLUNetwork:
    from .decompose import decompose, decomposition_to_network

    return decomposition_to_network(decompose(spec))


def route_for(spec: Spec, depth: str | None = None) -> tuple[str, Any]:
    """The route name and the function building the network for ``spec``.

    Parameters
    ----------
    spec
        A :class:`~cpa.pieces.Pieces`, :class:`~cpa.specs.MaxAffine`, :class:`~cpa.specs.MinAffine`,
        :class:`~cpa.specs.DC`, :class:`~cpa.specs.Breakpoints1D` or :class:`~cpa.specs.Expression`.
    depth
        ``None`` for the smallest network, ``"min"`` for the fewest hidden layers (rows
        marked ``"min"`` are read only then).

    Returns
    -------
    tuple of (str, callable)
        The route's name and the function taking ``spec`` to its network.

    Raises
    ------
    SpecError
        If ``spec`` is of none of these types.
    ArgumentError
        If ``depth`` is neither None nor ``"min"``.
    """
    from ..pieces import Pieces
    from ..simplicial import Simplicial
    from .fem import simplicial_to_network, simplicial_to_shallow_network

    if depth not in (None, "min"):
        raise ArgumentError(f"depth must be None or 'min', got {depth!r}")
    table = (
        ("min", MaxAffine, "log3-depth max (Bakaev et al. 2025)", maxaffine_to_shallow_network),
        ("min", Simplicial, "finite elements: the shallowest of breakpoints (d = 1), hats, lattice, DC",
         simplicial_to_shallow_network),
        (None, Simplicial, "finite elements: the smallest of breakpoints (d = 1), hats, lattice, DC",
         simplicial_to_network),
        ("min", Pieces, "signed sum of maxima of <= n+1 maps (Wang-Sun 2005) at log3 depth",
         pieces_to_shallow_network),
        (None, Pieces, "lattice max-min form (Tarela-Martinez, Ovchinnikov)", pieces_to_network),
        (None, MaxAffine, "max tree", maxaffine_to_network),
        (None, MinAffine, "min tree", minaffine_to_network),
        (None, DC, "difference of two max trees", dc_to_network),
        (None, Breakpoints1D, "one hidden layer (Arora et al. 2018, Thm 2.2)", breakpoints_to_network),
        (None, Expression, "structural recursion over the expression", expression_to_network),
    )  # Pieces first: the table is read in order
    for when, cls, name, fn in table:
        if (when is None or when == depth) and isinstance(spec, cls):
            return name, fn
    raise SpecError(f"cannot compile a {type(spec).__name__}; expected MaxAffine, MinAffine, DC, Breakpoints1D, "
                    "Pieces or an expression (string or sympy)")


def _tree_size(M: int) -> tuple[int, int]:
    w = max_tree_widths(M)
    return len(w), sum(w)


def theoretical_size(spec: Spec, depth: str | None = None) -> dict[str, Any]:
    """The size the route's theorem promises: depth and number of hidden neurons (None if no closed form).

    Parameters
    ----------
    spec
        The spec (as for :func:`route_for`).
    depth
        As for :func:`route_for`.

    Returns
    -------
    dict
        ``{"depth": ..., "neurons": ..., "rule": ...}``: the promised depth and number of
        hidden neurons (None for routes without a closed form) and the rule they follow.
    """
    from ..pieces import Pieces

    if depth == "min" and isinstance(spec, Pieces):
        from .decompose import cpa_depth, decompose, decomposition_size

        size = decomposition_size(decompose(spec))
        n = spec.input_dim
        rule = (f"{size['terms']} maxima of <= n+1 = {n + 1} maps ({size['raw_terms']} before merging), "
                f"each at most shallow_max_depth(n+1) = {cpa_depth(n)} hidden layers")
        if n >= 3:
            rule += f"; the paper's bound ceil(log3(n-1))+1 = {size['paper_depth']} (Bakaev et al. 2025)"
        return {"depth": size["depth"], "neurons": size["neurons"], "terms": size["terms"], "rule": rule}
    if depth == "min" and isinstance(spec, MaxAffine):
        M = spec.num_maps
        rule = "min(ceil(log2 M), 1 + D(largest union of five groups), 1 + D(of six groups)) hidden layers"
        if M >= 4:
            rule += f"; the paper's bound ceil(log3(M-2))+1 = {log3_bound(M)} (Bakaev et al. 2025)"
        return {"depth": shallow_max_depth(M), "neurons": shallow_max(M).num_neurons, "rule": rule}
    from ..simplicial import Simplicial

    if isinstance(spec, Simplicial):
        from .fem import fem_theoretical_size

        return fem_theoretical_size(spec, depth)
    if isinstance(spec, (MaxAffine, MinAffine)):
        d, neurons = _tree_size(spec.num_maps)
        return {"depth": d, "neurons": neurons,
                "rule": "ceil(log2 M) hidden layers (Arora et al. 2018, Thm 2.1), widths 3 floor(k/2) + 2 (k mod 2)"}
    if isinstance(spec, DC):
        dg, ng = _tree_size(spec.g.num_maps)
        dh, nh = _tree_size(spec.h.num_maps)
        d = max(dg, dh)
        pads = 2 * (d - min(dg, dh))
        return {"depth": d, "neurons": ng + nh + pads,
                "rule": "two max trees in parallel; the shallower padded with 2 neurons per extra layer"}
    if isinstance(spec, Breakpoints1D):
        return {"depth": 1, "neurons": spec.num_pieces,
                "rule": "at most p neurons for p pieces (Arora et al. 2018, Thm 2.2)"}
    return {"depth": None, "neurons": None, "rule": "structural recursion; no closed form"}
