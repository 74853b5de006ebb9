"""The compiler's check stage: prove a compiled network equal to its spec, or find a counterexample.

The proof runs on networks (:mod:`cpa.equivalence`); this stage supplies the
network to compare with: an independent reference network built from the spec
(:mod:`cpa.compiler.reference`), or, for max trees, the tree rebuilt from
proved gadgets, which is matched neuron by neuron.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..calculus import affine_network
from ..domains import Polyhedron
from ..equivalence import equivalent, rewrite_certificate
from ..network import ReLUNetwork
from ..pieces import Pieces
from .reference import reference_network, tree_reference

__all__ = ["spec_counterexample"]


def spec_counterexample(spec: Any, net: ReLUNetwork, domain: Any = None) -> tuple[Fraction, ...] | None:
    """An exact point where ``net`` differs from ``spec``, or None if they are equal everywhere.

    A max tree (``MaxAffine``, ``MinAffine``, ``DC``) is first proved structurally: the tree rebuilt
    from proved gadgets (:func:`cpa.compiler.reference.tree_reference`) is shown equal to ``net``
    neuron by neuron (:func:`cpa.equivalence.rewrite_certificate`), in milliseconds where a region
    enumeration would take minutes.  Otherwise (or if that certificate does not apply) the spec is
    turned into an independent reference network (:mod:`cpa.compiler.reference`) and the two are
    compared with :func:`cpa.equivalence.equivalent`; a difference found is confirmed against the
    spec's own exact evaluation.

    Parameters
    ----------
    spec
        The spec: a :class:`~cpa.pieces.Pieces` (compared piece by piece on its own domain) or
        a spec :func:`~cpa.compiler.reference.reference_network` accepts.
    net
        The network to check, with one output.
    domain
        Where to compare (as for :func:`cpa.equivalence.equivalent`): a domain, or None for
        all of ``R^d``; not used for :class:`~cpa.pieces.Pieces`.

    Returns
    -------
    tuple of Fraction or None
        An exact point where ``net`` and ``spec`` differ, or None if they are equal.

    Raises
    ------
    SpecError
        If there is no reference construction for ``spec``.
    """
    if isinstance(spec, Pieces):
        return _pieces_counterexample(spec, net)
    from ..simplicial import Simplicial

    if isinstance(spec, Simplicial):
        from .fem import simplicial_counterexample

        return simplicial_counterexample(spec, net)   # on the mesh (where the spec is defined)
    tree = tree_reference(spec)
    if tree is not None and rewrite_certificate(tree, net):
        return None          # proved on all of R^d, hence on any domain
    ref = reference_network(spec)
    res = equivalent(net, ref, domain)
    if res.equal:
        return None
    x = res.counterexample
    assert x is not None
    if net(x)[0] != spec(x):
        return x
    raise AssertionError(f"reference network for {spec!r} disagrees with the spec at {x}")  # a bug in cpa


def _pieces_counterexample(spec: Pieces, net: ReLUNetwork) -> tuple[Fraction, ...] | None:
    """Compare ``net`` with each piece's affine map on that piece (intersected with the spec's domain)."""
    dom_A, dom_b = spec.domain.constraints()
    for A, b, c, d in spec.pieces:
        piece = Polyhedron(list(A) + list(dom_A), list(b) + list(dom_b), dim=spec.input_dim)
        res = equivalent(net, affine_network([c], [d]), piece)
        if not res.equal:
            return res.counterexample
    return None
