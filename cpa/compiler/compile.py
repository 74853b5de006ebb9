"""The compile pipeline: spec -> route -> network -> shrink -> check."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..errors import NotEquivalentError, SpecError
from ..network import ReLUNetwork
from ..specs import Expression, Spec, parse
from .passes import shrink
from .prune import prune
from .routes import route_for, theoretical_size

__all__ = ["compile", "compile_with_report", "CompileReport", "as_spec"]


@dataclass
class CompileReport:
    """What the compiler built, against what the route's theorem promises."""

    route: str
    depth: int
    widths: list[int]
    neurons: int
    connections: int
    route_depth: int
    route_neurons: int
    theoretical: dict[str, Any]
    pruned: int = 0
    checked: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __str__(self) -> str:
        th = self.theoretical
        lines = [f"route: {self.route}",
                 f"depth {self.depth}, widths {self.widths}, neurons {self.neurons}, nonzero weights {self.connections}",
                 f"route size before shrinking: depth {self.route_depth}, neurons {self.route_neurons}"]
        if th.get("depth") is not None:
            lines.append(f"theoretical size: depth {th['depth']}, neurons {th['neurons']} ({th['rule']})")
        if th.get("terms") is not None:
            lines.append(f"terms: {th['terms']} maxima of affine maps")
        lines.append("proved equal to the spec" if self.checked else "not checked (pass check=True to prove)")
        return "\n".join(lines + self.notes)


def as_spec(spec: Any, variables: Sequence[Any] | str | None = None) -> Spec:
    """Coerce a string or sympy expression to an :class:`~cpa.specs.Expression`; specs pass through.

    Parameters
    ----------
    spec
        A spec (:class:`~cpa.specs.MaxAffine`, :class:`~cpa.specs.Expression`, ...), a string
        or a sympy expression.
    variables
        The input order for :func:`cpa.parse`; when given, an :class:`~cpa.specs.Expression`
        is re-read with it too.

    Returns
    -------
    Spec
        The spec itself, or the expression parsed with :func:`cpa.parse`.

    Raises
    ------
    SpecError
        If ``spec`` is of none of these types, or its text is malformed.
    NotPiecewiseAffineError, UnknownVariableError
        As raised by :func:`cpa.parse`.
    """
    if isinstance(spec, Spec):
        if variables is not None and isinstance(spec, Expression):
            return parse(spec, variables)
        return spec
    if isinstance(spec, str) or type(spec).__module__.startswith("sympy"):
        return parse(spec, variables)
    raise SpecError(f"cannot compile a {type(spec).__name__}; expected a spec, a string or a sympy expression")


def compile_with_report(spec: Any, *, variables: Sequence[Any] | str | None = None,
                        check: bool = False, simplify: bool = True,
                        depth: str | None = None) -> tuple[ReLUNetwork, CompileReport]:
    """Compile ``spec`` and return the network with a :class:`CompileReport`.

    Parameters
    ----------
    spec
        What :func:`compile` accepts: a spec, a string or a sympy expression.
    variables
        The input order used to parse a string or sympy expression (see :func:`cpa.parse`).
    check
        Prove the network equal to the spec (exactly) and raise
        :class:`~cpa.errors.NotEquivalentError` with a rational counterexample if not.
    simplify
        Drop affine maps that never attain their max or min, and duplicates, before any
        route runs (:func:`~cpa.compiler.prune.prune`; ``pruned`` in the report counts them),
        and run the shrinking passes (:func:`~cpa.compiler.passes.shrink`) after.  Every map
        dropped carries an exact certificate (a Farkas combination or the exact simplex), and
        ``check`` proves the network equal to the pruned spec.
    depth
        None (default) for the smallest network; ``"min"`` for the fewest hidden layers
        (a :class:`~cpa.specs.MaxAffine` then takes the route of
        :func:`~cpa.compiler.shallow_max.shallow_max`, Bakaev et al. 2025, and a
        :class:`~cpa.pieces.Pieces` spec on R^n the signed sum of maxima of at most
        ``n + 1`` maps of :func:`~cpa.compiler.decompose.decompose`, with
        ``shallow_max_depth(n + 1)`` hidden layers: ``ceil(log3((n + 1) / 2)) + 1``,
        at most the paper's ``ceil(log3(n - 1)) + 1``; 1 for ``n = 1``, 2 for
        ``n = 2..5``).

    Returns
    -------
    tuple of (ReLUNetwork, CompileReport)
        The network and the report of its route and size against the route's
        theoretical size (``checked`` is True when ``check`` proved it).

    Raises
    ------
    NotEquivalentError
        If ``check`` is set and the network differs from the spec.
    SpecError
        If ``spec`` cannot be read (see :func:`as_spec`).
    ArgumentError
        If ``depth`` is neither None nor ``"min"``.
    """
    t0 = time.perf_counter()
    s = as_spec(spec, variables)
    small, pruning = prune(s) if simplify else (s, None)
    route, build = route_for(small, depth)
    raw = build(small)
    net = shrink(raw) if simplify else raw
    report = CompileReport(route=route, depth=net.depth, widths=list(net.widths), neurons=net.num_neurons,
                           connections=net.num_connections, route_depth=raw.depth,
                           route_neurons=raw.num_neurons, theoretical=theoretical_size(small, depth),
                           pruned=pruning.dropped if pruning else 0)
    if pruning is not None and (pruning.dropped or pruning.skipped):
        report.notes.append(str(pruning))
    if check:
        from .check import spec_counterexample

        # the network is proved equal to the pruned spec; the pruned spec equals the spec by the
        # exact certificate of every map dropped (cpa.compiler.prune), which spares the proof a
        # reference network of every map (minutes for a max of 200 maps in R^2, against a second)
        point = spec_counterexample(small, net)
        if point is not None:
            raise NotEquivalentError(
                f"compiled network differs from the spec at x = ({', '.join(map(str, point))})", point)
        report.checked = True
    report.seconds = time.perf_counter() - t0
    return net, report


def compile(spec: Any, *, variables: Sequence[Any] | str | None = None,
            check: bool = False, simplify: bool = True, depth: str | None = None) -> ReLUNetwork:
    """Compile a CPA spec into an exact ReLU network.

    Parameters
    ----------
    spec
        :class:`~cpa.specs.MaxAffine`, :class:`~cpa.specs.MinAffine`,
        :class:`~cpa.specs.DC`, :class:`~cpa.specs.Breakpoints1D`, an
        :class:`~cpa.specs.Expression`, or a string / sympy expression (parsed
        with :func:`cpa.parse` and ``variables``).
    check
        Prove the network equal to the spec (exactly) and raise
        :class:`~cpa.errors.NotEquivalentError` with a rational counterexample if not.
    simplify
        Prune affine maps that never attain their max or min (and duplicates) first, and
        run the shrinking passes (dead neurons, proportional duplicates, fused identity
        pads) after.
    depth
        None (default) for the smallest network, ``"min"`` for the fewest hidden layers.

    Returns
    -------
    ReLUNetwork
        Exact rational weights.  :func:`compile_with_report` also returns the
        size report (depth, widths, neurons against the route's theoretical size).
    """
    return compile_with_report(spec, variables=variables, check=check, simplify=simplify, depth=depth)[0]
