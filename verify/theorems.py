r"""The theorem table: every construction counted exactly against its theorem and the bounds.

:func:`theorems` builds each network of :mod:`constructions`, counts its
activation regions and affine pieces with :func:`cpa.regions.count_regions`
(exact), and compares with the number the theorem or THEORY.md section 9
states.  Every comparison is between exact ``int`` or ``Fraction`` values; a
property that is an inequality is turned into an exact count of violations,
expected to be 0.  The checker never asserts: ``tests/test_theorems.py`` and
``cpa theorems`` read the rows.

Rows (``kind``):

* ``activation_regions``, ``affine_pieces``, ``bounded_regions`` -- exact
  counts on a named domain;
* ``value`` -- an exact number read off a construction (an error rate, a
  second difference, a depth, a bound's worked value);
* ``violations`` -- how many instances break a stated inequality (expected 0).

References
----------
See THEORY.md sections 1-7 and 9; each row names its source.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

from cpa import bounds as B
from cpa.network import ReLUNetwork

from . import kinks

__all__ = ["TheoremRow", "theorems"]

_log = logging.getLogger("cpa")

Number = int | Fraction


@dataclass(frozen=True)
class TheoremRow:
    """One checked statement.

    Attributes
    ----------
    name
        Short label (construction, architecture, domain).
    statement
        The claim in words.
    source
        Paper/theorem and THEORY.md section.
    expected
        Exact ``int`` or ``Fraction`` the theorem gives.
    kind
        ``"activation_regions"``, ``"affine_pieces"``, ``"bounded_regions"``,
        ``"value"`` or ``"violations"``.
    counted
        What was computed exactly (``None`` if the computation failed).
    ok
        ``counted == expected``.
    """

    name: str
    statement: str
    source: str
    expected: Number
    kind: str
    counted: Number | None
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; non-integral Fractions become ``"p/q"`` strings."""
        return {"name": self.name, "statement": self.statement, "source": self.source,
                "expected": _json_number(self.expected), "kind": self.kind,
                "counted": _json_number(self.counted), "ok": self.ok}


def theorems(quick: bool = False, progress: Callable[[TheoremRow], None] | None = None) -> list[TheoremRow]:
    """Run every construction against its theorem and the bounds.

    Parameters
    ----------
    quick
        Skip the largest instances: Montufar (4; 12,12) (64314 regions) and
        (2; 16,16,16) (561152 regions), and use 256 instead of 1024 points for
        the classification rows.  The full table takes well under two minutes.
    progress
        Called with each row as soon as it is computed.

    Returns
    -------
    list of TheoremRow
    """
    t = _Table(quick, progress)
    for section in (_sawtooth, _montufar, _serra, _zaslavsky, _zonotope, _hats, _telgarsky_classification,
                    _compact_support, _bound_checks):
        section(t)
    return t.rows


# --- machinery ---------------------------------------------------------------------

class _Table:
    def __init__(self, quick: bool, progress: Callable[[TheoremRow], None] | None):
        self.quick = quick
        self.progress = progress
        self.rows: list[TheoremRow] = []
        self.counted: list[tuple[str, ReLUNetwork, str, int]] = []  # for the bound checks
        self._cache: dict[tuple[int, str], Any] = {}

    def add(self, name: str, statement: str, source: str, expected: Number, kind: str,
            compute: Callable[[], Number]) -> Number | None:
        try:
            counted: Number | None = compute()
        except Exception as e:  # a failed computation is a failed row, never a crash
            _log.warning("theorem row %r failed: %s: %s", name, type(e).__name__, e)
            counted = None
        ok = counted is not None and _exact(counted) and _exact(expected) and counted == expected
        row = TheoremRow(name, statement, source, expected, kind, counted, ok)
        self.rows.append(row)
        if self.progress is not None:
            self.progress(row)
        return counted

    def count(self, net: ReLUNetwork, domain: str) -> Any:
        key = (id(net), domain)
        if key not in self._cache:
            from cpa.regions import count_regions

            self._cache[key] = (net, count_regions(net, _domain(domain, net.input_dim)))
        return self._cache[key][1]

    def regions(self, label: str, statement: str, source: str, net: ReLUNetwork, domain: str,
                activation: Number | None = None, pieces: Number | None = None,
                bounded: Number | None = None) -> None:
        for kind, exp, attr in (("activation_regions", activation, "activation_regions"),
                                ("affine_pieces", pieces, "affine_pieces"),
                                ("bounded_regions", bounded, "bounded_regions")):
            if exp is None:
                continue
            got = self.add(f"{label} on {domain}", statement, source, exp, kind,
                           lambda attr=attr: int(getattr(self.count(net, domain), attr)))
            if kind == "activation_regions" and got is not None:
                self.counted.append((label, net, domain, int(got)))


def _domain(spec: str, d: int) -> Any:
    from cpa.domains import Box, Reals

    if spec == "R" or spec.startswith("R^"):
        return Reals(d)
    if spec.startswith(("[0,1]", "(0,1)")):  # the unit cube (open or closed: same full-dimensional regions)
        return Box([0] * d, [1] * d)
    raise ValueError(f"unknown domain {spec!r}")


def _exact(v: Any) -> bool:
    return isinstance(v, (int, Fraction)) and not isinstance(v, bool)


def _json_number(v: Any) -> Any:
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else str(v)
    return v


def _reals(d: int) -> str:
    return "R" if d == 1 else f"R^{d}"


def _cube(d: int) -> str:
    return "[0,1]" if d == 1 else f"(0,1)^{d}"


# --- sections ----------------------------------------------------------------------

def _sawtooth(t: _Table) -> None:
    from constructions import sawtooth, sawtooth_telgarsky, tent_map

    src = "Telgarsky 2015/2016; THEORY.md 2.1, 9"
    for k in range(1, 13):
        n = 2 ** k
        t.regions(f"sawtooth m^{k} (compact, {k} x width 2)", f"m^{k} has 2^{k} = {n} affine pieces on [0,1]",
                  src, sawtooth(k), "[0,1]", activation=n, pieces=n)
    for k in range(1, 7):
        v = 3 if k == 1 else 2 ** k + 2
        t.regions(f"sawtooth m^{k} (compact)", f"on R: 3 for k = 1, 2^k + 2 for k >= 2 (= {v})",
                  src, sawtooth(k), "R", activation=v, pieces=v)
    for k in range(1, 7):
        net = sawtooth_telgarsky(k)
        t.regions(f"sawtooth m^{k} (Telgarsky, widths 2,1,..)", f"2k = {2 * k} layers; 2^{k} pieces on [0,1]",
                  src, net, "[0,1]", activation=2 ** k, pieces=2 ** k)
        v = 4 if k == 1 else 2 ** k + 2
        t.regions(f"sawtooth m^{k} (Telgarsky, widths 2,1,..)", f"on R: 4 for k = 1, 2^k + 2 for k >= 2 (= {v})",
                  src, net, "R", activation=v, pieces=v)
    t.add("tent map: values at 0, 1/4, 1/2, 3/4, 1, 2", "m = 2x on [0,1/2], 2(1-x) on [1/2,1], 0 elsewhere: "
          "sum of |m(x) - expected| over the points", src, 0, "value",
          lambda: sum(abs(tent_map()([x])[0] - y) for x, y in
                      ((0, 0), (Fraction(1, 4), Fraction(1, 2)), (Fraction(1, 2), 1), (Fraction(3, 4), Fraction(1, 2)),
                       (1, 0), (2, 0))))


def _montufar(t: _Table) -> None:
    from constructions import montufar, montufar_reference

    src = "Montufar et al. 2014 (lower bound as quoted by Serra et al. 2018); THEORY.md 3.3, 9"
    ref = {((1, (2, 2, 2)), "[0,1]"): 12, ((1, (2, 2, 2)), "R"): 14,
           ((1, (3, 3)), "[0,1]"): 12, ((1, (3, 3)), "R"): 13,
           ((2, (4, 4)), "(0,1)^2"): 44, ((2, (4, 4)), "R^2"): 59}
    nets: dict[tuple[int, tuple[int, ...]], ReLUNetwork] = {}
    for (arch, dom), v in ref.items():
        net = nets.setdefault(arch, montufar_reference(*arch))
        t.regions(f"Montufar {_arch(arch)} (THEORY 3.3 weights)", f"{v} activation regions = {v} pieces on {dom}",
                  src, net, dom, activation=v, pieces=v)
    archs = [(1, (2, 2, 2)), (1, (3, 3)), (1, (4, 4, 4)), (2, (4, 4)), (2, (5, 3, 3)), (2, (8, 8)), (3, (6, 6)),
             (2, (6, 6, 6)), (3, (10, 10))]
    if not t.quick:
        archs += [(4, (12, 12)), (2, (16, 16, 16))]
    for n0, ws in archs:
        v = B.montufar2014_lower(n0, ws)
        t.regions(f"Montufar folding {_arch((n0, ws))}", f"exactly the Montufar 2014 bound {v} in the open cube",
                  src, montufar(n0, ws), _cube(n0), activation=v, pieces=v)


def _serra(t: _Table) -> None:
    from constructions import serra_zigzag

    src = "Serra et al. 2018, Thm 5 (exact 1-D maximum); THEORY.md 4.4, 9"
    for ws in ((3,), (3, 3), (4, 4), (3, 3, 3), (5, 3), (3, 4, 5), (3, 3, 3, 3), (8, 8, 8)):
        v = B.serra2018_1d_max(ws)
        t.regions(f"Serra zigzag {_arch((1, ws))}", f"prod (n_l + 1) = {v} regions = pieces on R "
                  f"(= Serra Thm 1 upper bound {B.serra2018_upper(1, ws)})", src, serra_zigzag(ws), "R",
                  activation=v, pieces=v)
    t.add("Serra Thm 7 worked value (n0, m, w, L) = (2, 3, 2, 3)", "2 sum_{j<n0} C(m-1, j) (w+1)^(L-1) = 54",
          "Serra et al. 2018, Thm 7; THEORY.md 4.4", 54, "value", lambda: B.serra2018_thm7(2, 3, 2, 3))


def _zaslavsky(t: _Table) -> None:
    from constructions import one_hidden_layer_general_position as ohl

    src = "Zaslavsky 1975; Serra et al. 2018 Thm 1 tight for L = 1; THEORY.md 1.1-1.4, 9"
    cases = [(n, 1) for n in range(1, 6)] + [(n, 2) for n in range(1, 7)] + [(4, 3), (6, 3), (10, 3), (6, 4)]
    for n, d in cases:
        v = B.zaslavsky(n, d)
        bounded = B.zaslavsky_bounded(n, d) if d >= 2 else None
        t.regions(f"one hidden layer ({d}; {n}), general position", f"r({n},{d}) = {v} regions = pieces"
                  + (f", C({n - 1},{d}) = {bounded} bounded" if bounded is not None else ""), src,
                  ohl(n, d), _reals(d), activation=v, pieces=v, bounded=bounded)


def _zonotope(t: _Table) -> None:
    from constructions import arora_zonotope

    src = "Arora et al. 2018, Lemma 3.7 and Thm 3.9; THEORY.md 6"
    cases = [(2, 1, 2, 3), (3, 2, 3, 4), (2, 2, 3, 3), (3, 3, 4, 6), (4, 1, 3, 6)]
    for n, k, w, m in cases:
        v = B.arora_zonotope_pieces(n, k, w, m)
        t.regions(f"Arora zonotope (n,k,w,m) = ({n},{k},{w},{m})",
                  f"2 sum_(i<n) C(m-1,i) w^k = {v} pieces; {k + 1} hidden layers, size 2m + wk = {2 * m + w * k}",
                  src, arora_zonotope(n, k, w, m), _reals(n), activation=v, pieces=v)


def _hats(t: _Table) -> None:
    from constructions import courant_hat_2d, fem_hat_2d

    src = "He, Li, Xu, Zheng 2020; THEORY.md 7.6, 9"
    t.regions("Courant hat (2 hidden layers, widths 6,1)", "relu(1 - max(|x|,|y|,|x-y|)): 7 affine pieces",
              src, courant_hat_2d(), "R^2", pieces=7)
    free = ([(0, 0), (1, 0), (1, 1), (0, 1), (-1, 0), (-1, -1), (0, -1)],
            [(0, 1, 2), (0, 2, 3), (0, 3, 4), (0, 4, 5), (0, 5, 6), (0, 6, 1)])
    nonconvex = ([(0, 0), (2, 0), (1, Fraction(1, 4)), (2, 2), (-1, 1), (-1, -1), (1, -2)], free[1])
    t.regions("FEM hat, Freudenthal star (min-tree form)", "6 triangles + the zero region = 7 pieces", src,
              fem_hat_2d(*free, 0), "R^2", pieces=7)
    t.regions("FEM hat, non-convex star (lattice form)", "6 triangles + the zero region = 7 pieces",
              src + "; Ovchinnikov 2002", fem_hat_2d(*nonconvex, 0), "R^2", pieces=7)


def _telgarsky_classification(t: _Table) -> None:
    from constructions import sawtooth

    src = "Telgarsky 2015, classification lemma and Thm 1.1 (NOT VERIFIED statement); THEORY.md 2.2"
    for k in (3, 6, 10):
        n = 2 ** k
        t.add(f"sawtooth m^{k} on the {n}-point alternating set", "1[m^k(x) >= 1/2] classifies x_i = i/n, "
              "y_i = i mod 2 perfectly: error 0", src, Fraction(0), "value",
              lambda k=k, n=n: _error_rate(sawtooth(k), n))
    k = 8 if t.quick else 10
    n = 2 ** k
    for label, archs in (("shallow", [(4,), (8,), (16,)]), ("deep", [(2, 2, 2), (3, 3), (2, 3, 2), (4, 4)])):
        nets = [_random_net(1, ws, seed) for seed in range(2) for ws in archs]

        def violations(nets: list[ReLUNetwork] = nets) -> int:
            bad = 0
            for net in nets:
                pieces = int(t.count(net, "R").affine_pieces)
                if _error_rate(net, n) < Fraction(n - 4 * pieces, 3 * n):
                    bad += 1
            return bad

        t.add(f"random {label} nets on the {n}-point alternating set",
              f"a network with t pieces (counted exactly on R) errs on >= (n - 4t)/(3n): violations among "
              f"{len(nets)} nets", src, 0, "violations", violations)


def _compact_support(t: _Table) -> None:
    from constructions import courant_hat_2d

    src = "THEORY.md 7.6 (DERIVED); He et al. 2020; Arora et al. 2018 Thm 2.1"
    nets = [_random_net(2, (w,), seed) for seed in range(4) for w in (3, 5, 8)] + _cancelling_nets()
    t.add("one hidden layer on R^2: kink set = whole lines", "for random and cancelling one-hidden-layer nets, "
          "every hyperplane with a nonzero jump kinks at far points on both ends, the others nowhere: "
          f"violations among {len(nets)} nets", src, 0, "violations",
          lambda: sum(0 if kinks.kinks_are_whole_lines(net) else 1 for net in nets))
    hat = courant_hat_2d()
    eps = Fraction(1, 100)
    t.add("Courant hat: kink across y = 0 at (1/2, 0)", "second difference f(q+e n)+f(q-e n)-2f(q), e = 1/100, "
          "n = (0,1): the edge y = 0 of the star is a kink", src, Fraction(-1, 100), "value",
          lambda: kinks.second_difference(hat, [Fraction(1, 2), Fraction(0)], [0, 1], eps))
    t.add("Courant hat: no kink on y = 0 at (2, 0)", "the same line carries no kink outside the support: the kink "
          "set is not a union of whole lines, so one hidden layer cannot compute it", src, Fraction(0), "value",
          lambda: kinks.second_difference(hat, [Fraction(2), Fraction(0)], [0, 1], eps))
    t.add("Courant hat: hidden layers", "two hidden layers suffice for a 2-D hat (and one does not)", src, 2,
          "value", lambda: hat.depth)


def _bound_checks(t: _Table) -> None:
    src = "Serra et al. 2018 Thm 1, Montufar 2017, Zaslavsky product, 2^N; THEORY.md 4"

    def over() -> int:
        bad = 0
        for _, net, _, regions in t.counted:
            ws = net.widths
            n0 = net.input_dim
            if regions > min(B.serra2018_upper(n0, ws), B.montufar2017_upper(n0, ws),
                             B.zaslavsky_product(n0, ws), B.trivial_upper(ws)):
                bad += 1
        return bad

    t.add(f"counted activation regions vs upper bounds ({len(t.counted)} counts)",
          "no count above Serra Thm 1 <= Montufar 2017 <= Zaslavsky product <= 2^N", src, 0, "violations", over)


# --- helpers -------------------------------------------------------------------------

def _arch(arch: tuple[int, Sequence[int]]) -> str:
    return f"({arch[0]}; {','.join(map(str, arch[1]))})"


def _error_rate(net: ReLUNetwork, n: int) -> Fraction:
    half = Fraction(1, 2)
    wrong = sum(1 for i in range(n) if (net([Fraction(i, n)])[0] >= half) != (i % 2 == 1))
    return Fraction(wrong, n)


def _random_net(n0: int, widths: Sequence[int], seed: int) -> ReLUNetwork:
    """Deterministic random network with small rational weights (denominators up to 4)."""
    rng = random.Random(1000 * seed + 17 * len(widths) + sum(widths) + 7 * n0)

    def q() -> Fraction:
        return Fraction(rng.randint(-8, 8), rng.randint(1, 4))

    dims = [n0, *widths, 1]
    return ReLUNetwork([([[q() for _ in range(a)] for _ in range(b)], [q() for _ in range(b)])
                        for a, b in zip(dims, dims[1:])])


def _cancelling_nets() -> list[ReLUNetwork]:
    """One-hidden-layer nets whose units cancel on some hyperplane (jump 0) -- the tricky cases."""
    return [
        # relu(x) - relu(-x) - x: identically 0 (no kinks at all)
        ReLUNetwork([([[1, 0], [-1, 0], [1, 0], [-1, 0]], [0, 0, 0, 0]), ([[1, -1, -1, 1]], [0])]),
        # kinks on x = 0 cancel; kink on y = 1 remains
        ReLUNetwork([([[1, 0], [2, 0], [0, 1]], [0, 0, -1]), ([[2, -1, 3]], [0])]),
        # the four sides of a square: a plateau attempt that leaves whole lines
        ReLUNetwork([([[1, 0], [-1, 0], [0, 1], [0, -1]], [1, 1, 1, 1]), ([[-1, -1, -1, -1]], [1])]),
    ]
