"""``verify.equivalent``: exact equality of two networks, specs or expressions on a domain.

The decision procedure works on networks (:func:`cpa.equivalence.equivalent`);
this checker-facing name also takes specs and expression strings, compiling them
first (the compiler sits between the two).
"""

from __future__ import annotations

from typing import Any

from cpa.compiler import compile as compile_spec
from cpa.equivalence import Equivalence as Equivalence, equivalent as _equivalent
from cpa.network import ReLUNetwork
from cpa.specs import Spec

__all__ = ["equivalent", "Equivalence"]


def _as_network(f: Any) -> Any:
    if isinstance(f, ReLUNetwork):
        return f
    if isinstance(f, (Spec, str)) or type(f).__module__.startswith("sympy"):
        return compile_spec(f)
    return f


def equivalent(f: Any, g: Any, domain: Any = None) -> Equivalence:
    """Decide exactly whether ``f`` and ``g`` are equal on ``domain`` (all of R^d when None).

    Parameters
    ----------
    f, g
        :class:`~cpa.network.ReLUNetwork` objects, layer lists, specs (:class:`~cpa.specs.MaxAffine`,
        ...) or expression strings such as ``"Max(x, y) - Abs(x)"`` (compiled first).
    domain
        A domain accepted by :func:`cpa.regions.regions`.

    Returns
    -------
    Equivalence
        Truthy iff equal; otherwise ``counterexample`` is an exact point where they differ.

    Examples
    --------
    >>> equivalent("Max(x, 0) - Max(-x, 0)", "x").equal
    True
    >>> equivalent("Abs(x)", "x").counterexample
    (Fraction(-290, 27),)
    """
    return _equivalent(_as_network(f), _as_network(g), domain)
