r"""The theorem table: every construction counted exactly against its theorem and the bounds.

:func:`theorems` builds each network of :mod:`constructions`, counts its
activation regions and affine pieces with :func:`cpa.regions.count_regions`
(exact), and compares with the number the theorem states, or the number
derived and checked here for a hand-made construction.  Every comparison is between exact ``int`` or ``Fraction`` values; a
property that is an inequality is turned into an exact count of violations,
expected to be 0.  The checker never asserts: ``tests/test_theorems.py`` and
``cpa theorems`` read the rows.

Rows (``kind``):

* ``activation_regions``, ``affine_pieces``, ``bounded_regions`` -- exact
  counts on a named domain;
* ``value`` -- an exact number read off a construction (an error rate, a
  second difference, a depth, a bound's worked value);
* ``violations`` -- how many instances break a stated inequality (expected 0);
* ``identity`` -- how many claimed identities ``f = g`` fail (expected 0); each
  is decided by an exact equivalence proof (:func:`cpa.equivalence.equivalent`,
  region by region, against an independently built reference network; see
  :mod:`verify.identities`), never by sampling.

References
----------
Each row names its source (authors, venue, year, theorem); where a statement was
not checked against the paper, or the construction is derived here, it says so.

T. Zaslavsky, *Facing up to arrangements*, Memoirs AMS 154, 1975.
M. Telgarsky, *Representation benefits of deep feedforward networks*, arXiv:1509.08101,
2015; *Benefits of depth in neural networks*, COLT 2016.
G. Montufar, R. Pascanu, K. Cho, Y. Bengio, *On the number of linear regions of deep
neural networks*, NIPS 2014.
G. Montufar, *Notes on the number of linear regions of deep neural networks*, SampTA 2017.
T. Serra, C. Tjandraatmadja, S. Ramalingam, *Bounding and counting linear regions of
deep neural networks*, ICML 2018.
R. Arora, A. Basu, P. Mianjy, A. Mukherjee, *Understanding deep neural networks with
rectified linear units*, ICLR 2018.
J. He, L. Li, J. Xu, C. Zheng, *ReLU deep neural networks and linear finite elements*,
J. Comput. Math. 38 (2020) 502-527.
M. Kripfganz, R. Schulze, *Piecewise affine functions as a difference of two convex
functions*, Optimization 18 (1987) 23-29.
J. M. Tarela, M. V. Martinez, *Region configurations for realizability of lattice
piecewise-linear models*, Math. Comput. Modelling 30 (1999) 17-27.
S. Ovchinnikov, *Max-min representation of piecewise linear functions*, Beitr. Algebra
Geom. 43 (2002) 297-302.
L. Zhang, G. Naitzat, L.-H. Lim, *Tropical geometry of deep neural networks*, ICML 2018.
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
        Paper (authors, venue, year) and theorem, or how the number was derived.
    expected
        Exact ``int`` or ``Fraction`` the theorem gives.
    kind
        ``"activation_regions"``, ``"affine_pieces"``, ``"bounded_regions"``,
        ``"value"``, ``"violations"`` or ``"identity"``.
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
        (2; 16,16,16) (561152 regions), use 256 instead of 1024 points for
        the classification rows, compare the max tree with the reference max
        in one piece only up to M = 3 (instead of 6; the proof by induction
        runs for every M either way), and prove the Courant hat's max-min form
        against its compiled network only.  The quick table takes about a
        second, the full one well under a minute.
    progress
        Called with each row as soon as it is computed.

    Returns
    -------
    list of TheoremRow
    """
    t = _Table(quick, progress)
    for section in (_sawtooth, _montufar, _serra, _zaslavsky, _zonotope, _hats, _telgarsky_classification,
                    _compact_support, _gadgets, _max_tree, _shallow_max, _any_cpa, _dc_and_lattice, _tropical,
                    _bound_checks):
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

    src = "Telgarsky, arXiv:1509.08101 (2015), Thm 1.1; COLT 2016"
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

    src = ("Montufar, Pascanu, Cho, Bengio, NIPS 2014, lower bound (Thm 5 as cited by Serra et al., ICML 2018); "
           "folding weights derived here")
    ref = {((1, (2, 2, 2)), "[0,1]"): 12, ((1, (2, 2, 2)), "R"): 14,
           ((1, (3, 3)), "[0,1]"): 12, ((1, (3, 3)), "R"): 13,
           ((2, (4, 4)), "(0,1)^2"): 44, ((2, (4, 4)), "R^2"): 59}
    nets: dict[tuple[int, tuple[int, ...]], ReLUNetwork] = {}
    for (arch, dom), v in ref.items():
        net = nets.setdefault(arch, montufar_reference(*arch))
        t.regions(f"Montufar {_arch(arch)} (hand-made weights)", f"{v} activation regions = {v} pieces on {dom}",
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

    src = "Serra, Tjandraatmadja, Ramalingam, ICML 2018, Thm 5 (exact 1-D maximum); zigzag weights derived here"
    for ws in ((3,), (3, 3), (4, 4), (3, 3, 3), (5, 3), (3, 4, 5), (3, 3, 3, 3), (8, 8, 8)):
        v = B.serra2018_1d_max(ws)
        t.regions(f"Serra zigzag {_arch((1, ws))}", f"prod (n_l + 1) = {v} regions = pieces on R "
                  f"(= Serra Thm 1 upper bound {B.serra2018_upper(1, ws)})", src, serra_zigzag(ws), "R",
                  activation=v, pieces=v)
    t.add("Serra Thm 7 worked value (n0, m, w, L) = (2, 3, 2, 3)", "2 sum_{j<n0} C(m-1, j) (w+1)^(L-1) = 54",
          "Serra, Tjandraatmadja, Ramalingam, ICML 2018, Thm 7", 54, "value", lambda: B.serra2018_thm7(2, 3, 2, 3))


def _zaslavsky(t: _Table) -> None:
    from constructions import one_hidden_layer_general_position as ohl

    src = "Zaslavsky, Memoirs AMS 154, 1975; Serra et al., ICML 2018, Thm 1 (tight for L = 1)"
    cases = [(n, 1) for n in range(1, 6)] + [(n, 2) for n in range(1, 7)] + [(4, 3), (6, 3), (10, 3), (6, 4)]
    for n, d in cases:
        v = B.zaslavsky(n, d)
        bounded = B.zaslavsky_bounded(n, d) if d >= 2 else None
        t.regions(f"one hidden layer ({d}; {n}), general position", f"r({n},{d}) = {v} regions = pieces"
                  + (f", C({n - 1},{d}) = {bounded} bounded" if bounded is not None else ""), src,
                  ohl(n, d), _reals(d), activation=v, pieces=v, bounded=bounded)


def _zonotope(t: _Table) -> None:
    from constructions import arora_zonotope

    src = "Arora, Basu, Mianjy, Mukherjee, ICLR 2018, Lemma 3.7 and Thm 3.9 (factor 2 as quoted by Serra et al.)"
    cases = [(2, 1, 2, 3), (3, 2, 3, 4), (2, 2, 3, 3), (3, 3, 4, 6), (4, 1, 3, 6)]
    for n, k, w, m in cases:
        v = B.arora_zonotope_pieces(n, k, w, m)
        t.regions(f"Arora zonotope (n,k,w,m) = ({n},{k},{w},{m})",
                  f"2 sum_(i<n) C(m-1,i) w^k = {v} pieces; {k + 1} hidden layers, size 2m + wk = {2 * m + w * k}",
                  src, arora_zonotope(n, k, w, m), _reals(n), activation=v, pieces=v)


def _hats(t: _Table) -> None:
    from constructions import courant_hat_2d, fem_hat_2d

    src = "He, Li, Xu, Zheng, J. Comput. Math. 38 (2020)"
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

    src = "Telgarsky, arXiv:1509.08101 (2015), classification lemma and Thm 1.1 (statement not checked against the paper)"
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

    src = "derived in verify.kinks; He et al., J. Comput. Math. 2020; Arora et al., ICLR 2018, Thm 2.1"
    nets = [_random_net(2, (w,), seed) for seed in range(4) for w in (3, 5, 8)] + _cancelling_nets()
    t.add("one hidden layer on R^2: kink set = whole lines", "for random and cancelling one-hidden-layer nets, "
          "every hyperplane with a nonzero jump J kinks (second difference exactly eps J |n|^2) at far points on "
          "both ends and where it enters, leaves and halves [-1,1]^2, the others nowhere: "
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
    y0 = ((Fraction(0), Fraction(1)), Fraction(0))
    t.add("Courant hat: kinks of y = 0 where it crosses [-1,1]^2", "exact slope jumps f'(q;n) + f'(q;-n) at the entry "
          "(1,0), exit (-1,0) and midpoint (0,0): only the midpoint kinks (a whole line would kink at all 3)",
          src, 1, "value", lambda: sum(1 for _, j in kinks.kinks_along_line(hat, y0) if j != 0))
    t.add("Courant hat: hidden layers", "two hidden layers suffice for a 2-D hat (and one does not)", src, 2,
          "value", lambda: hat.depth)


def _gadgets(t: _Table) -> None:
    from cpa import gadgets as G

    from .identities import identity_failures, reference

    src = "exact identities of cpa.gadgets; the 1-D hat: He et al., J. Comput. Math. 2020"
    half = Fraction(1, 2)
    x = "x"
    def ref(text: str, variables: str = x) -> Callable[[], Any]:
        return lambda: reference(text, variables)

    # (name, what, [(label, network builder, reference builder)], input dimension); built inside the row
    rows: list[tuple[str, str, list[tuple[str, Callable[[], Any], Callable[[], Any]]], int]] = [
        ("identity x = relu(x) - relu(-x)", "cpa.gadgets.relu_identity (constructions.identity_net) vs x",
         [("relu_identity(1)", lambda: G.relu_identity(1), ref("x"))], 1),
        ("identity on R^2, 4 neurons", "cpa.gadgets.relu_identity(2) vs (x, y)",
         [("relu_identity(2)", lambda: G.relu_identity(2), lambda: _affine_identity(2))], 2),
        ("|x| = relu(x) + relu(-x)", "cpa.gadgets.abs_1d (constructions.abs_net) vs max(x, -x)",
         [("abs_1d", G.abs_1d, ref("Max(x, -x)"))], 1),
        ("max2: max(u,v) = relu(u-v) + relu(v) - relu(-v)", "cpa.gadgets.max2, max_of(2) vs max(u, v)",
         [("max2", G.max2, ref("Max(u, v)", "u,v")), ("max_of(2)", lambda: G.max_of(2), ref("Max(u, v)", "u,v"))],
         2),
        ("min2: min(u,v) = relu(v) - relu(-v) - relu(v-u)", "cpa.gadgets.min2, min_of(2) vs min(u, v)",
         [("min2", G.min2, ref("Min(u, v)", "u,v")), ("min_of(2)", lambda: G.min_of(2), ref("Min(u, v)", "u,v"))],
         2),
        ("min of 3 (negated max tree)", "cpa.gadgets.min_of(3) vs min(x, y, z)",
         [("min_of(3)", lambda: G.min_of(3), ref("Min(x, y, z)", "x,y,z"))], 3),
        ("soft threshold S_lam = relu(x-lam) - relu(-x-lam)", "cpa.gadgets.soft_threshold for lam = 0, 1/2, 3 "
         "vs max(x - lam, 0) + min(x + lam, 0)",
         [(f"soft_threshold({lam})", lambda lam=lam: G.soft_threshold(lam),
           ref(f"Max(x - {lam}, 0) + Min(x + {lam}, 0)")) for lam in (Fraction(0), half, Fraction(3))], 1),
        ("clipped ramp clip(x,0,1) = relu(x) - relu(x-1)", "cpa.gadgets.clipped_ramp vs min(max(x, 0), 1)",
         [("clipped_ramp", G.clipped_ramp, ref("Min(Max(x, 0), 1)"))], 1),
        ("1-D hat, 3 neurons", "cpa.gadgets.hat_1d for nodes (0, 1/2, 2) and (-1, 1/3, 1) "
         "vs max(0, min((x-a)/(b-a), (c-x)/(c-b)))",
         [(f"hat_1d{abc}", lambda abc=abc: G.hat_1d(*abc), ref(_hat_text(*abc)))
          for abc in ((Fraction(0), half, Fraction(2)), (Fraction(-1), Fraction(1, 3), Fraction(1)))], 1),
    ]
    for name, what, builders, d in rows:
        t.add(f"{name} on {_reals(d)}", f"exact identity: {what}; proved by exact region-wise equivalence", src, 0,
              "identity", lambda builders=builders, d=d: identity_failures(
                  [(label, f(), g()) for label, f, g in builders], _domain(_reals(d), d)))
    t.add("1-D hat: hidden widths [3]", "hat_1d(0, 1/2, 2) has one hidden layer of 3 neurons: number of layers "
          "whose width differs (or is missing/extra)", src, 0, "violations",
          lambda: _list_mismatch(list(G.hat_1d(0, half, 2).widths), [3]))


_MAX_TREE_WIDTHS = {2: [3], 3: [5, 3], 4: [6, 3], 5: [8, 5, 3], 6: [9, 5, 3], 7: [11, 6, 3], 8: [12, 6, 3],
                    9: [14, 8, 5, 3]}  # 3 floor(k/2) + 2 (k mod 2) per level (cpa.gadgets)


def _max_tree(t: _Table) -> None:
    from constructions import max_tree

    from .identities import max_tree_failures

    src = "Arora, Basu, Mianjy, Mukherjee, ICLR 2018, Thm 2.1 (depth); widths derived in cpa.gadgets"
    direct_up_to = 3 if t.quick else 6
    for M, widths in _MAX_TREE_WIDTHS.items():
        how = "by induction on the levels (each pair block proved on R^2, the tree = tree(ceil(M/2)) o level 1 " \
              "weight for weight)" + (" and by one direct region-wise proof" if M <= direct_up_to else "")
        t.add(f"max tree M = {M}: max of {M} numbers on R^{M}", f"max_tree({M})(x) = max_i x_i exactly, {how}",
              src, 0, "identity", lambda M=M: len(max_tree_failures(M, direct=M <= direct_up_to)))
        t.add(f"max tree M = {M}: hidden widths {widths}", f"ceil(log2 {M}) = {len(widths)} hidden layers of widths "
              f"{widths}: number of layers whose width differs (or is missing/extra)", src, 0, "violations",
              lambda M=M, widths=widths: _list_mismatch(list(max_tree(M).widths), widths))
        t.add(f"max tree M = {M}: neurons", f"total hidden neurons {sum(widths)}", src,
              sum(widths), "value", lambda M=M: max_tree(M).num_neurons)


def _shallow_max(t: _Table) -> None:
    from cpa.calculus import compose, parallel
    from cpa.compiler.check import spec_counterexample
    from cpa.compiler.shallow_max import (log3_bound, log3_half_bound, shallow_max, shallow_max_depth,
                                          shallow_max_parts)
    from cpa.specs import MaxAffine

    src = ("Bakaev, Brunck, Hertrich, Stade, Yehudayoff, arXiv:2505.14338 (2025) (the bound ceil(log3(n-2))+1); "
           "the five- and six-number identities and the group recursion are derived in cpa.compiler.shallow_max")

    def sel(sub: Sequence[int], n: int) -> MaxAffine:
        return MaxAffine([[1 if j == i else 0 for j in range(n)] for i in sub], [0] * len(sub))

    def failures(n: int) -> int:
        parts = shallow_max_parts(n)
        if parts is None or n <= 8:  # n <= 8: one region-wise proof on R^n
            return int(spec_counterexample(sel(range(n), n), shallow_max(n)) is not None)
        head, subsets, atoms = parts  # n = 9: head o atoms, each atom proved, the head via n = 5
        bad = int(shallow_max(n) != compose(head, parallel(atoms)))
        bad += sum(spec_counterexample(sel(sub, n), a) is not None for sub, a in zip(subsets, atoms))
        return bad + failures(5)

    for n in range(4, 10):
        name = f"max of {n} in ceil(log3({n}/2))+1 hidden layers"
        t.add(f"{name}: depth", f"shallow_max({n}) has ceil(log3({n}/2))+1 = {log3_half_bound(n)} hidden layers "
              f"(Bakaev et al.'s bound: ceil(log3({n - 2}))+1 = {log3_bound(n)})",
              src, log3_half_bound(n), "value", lambda n=n: shallow_max(n).depth)
        if t.quick and n > 5:
            continue
        how = "region by region" if n <= 8 else "as head o atoms: each atom and the head (via n = 5) proved"
        t.add(f"{name}: identity", f"shallow_max({n})(x) = max_i x_i on R^{n}, proved {how}", src, 0,
              "identity", lambda n=n: failures(n))
    t.add("max of n in ceil(log3(n/2))+1 <= ceil(log3(n-2))+1 hidden layers for every 4 <= n <= 4096",
          "shallow_max_depth(n) = ceil(log3(n/2))+1 by depth arithmetic (the tree, five or six groups, the "
          "shallowest), at most Bakaev et al.'s bound: number of n where either fails", src, 0, "violations",
          lambda: sum(not shallow_max_depth(n) == log3_half_bound(n) <= log3_bound(n) for n in range(4, 4097)))
    t.add("max of n one hidden layer below ceil(log3(n-2))+1, 4 <= n <= 4096",
          "n = 6, 12..18, 30..54, 84..162, ...: where ceil(log3(n/2)) < ceil(log3(n-2)) (the max of 6 in two "
          "hidden layers, proved in the row for n = 6, carried up by six groups)", src, 2987, "value",
          lambda: sum(shallow_max_depth(n) < log3_bound(n) for n in range(4, 4097)))


def _any_cpa(t: _Table) -> None:
    import cpa
    from cpa.compiler.check import spec_counterexample
    from cpa.compiler.decompose import cpa_depth
    from cpa.domains import Box

    src = ("Wang and Sun, IEEE Trans. Inf. Theory 51 (2005), Thm 1 (maxima of n+1 maps); Bakaev, Brunck, "
           "Hertrich, Stade, Yehudayoff, arXiv:2505.14338 (2025) (depth); decomposition in cpa.compiler.decompose")
    examples = (  # (n, network, box): CPA functions decompiled into pieces by region enumeration
        (2, cpa.ReLUNetwork([([[1, -1], [1, 1], [2, -1], [-1, 3]], [0, -1, 1, 0]), ([[1, -2, 1, -1]], [0])]), 2),
        (3, cpa.ReLUNetwork([([[1, -1, 0], [0, 1, 1], [1, 0, -2]], [0, -1, 1]), ([[1, -2, 1]], [0])]), 1),
    )
    def build(n: int, net: ReLUNetwork, r: int) -> tuple[Any, ReLUNetwork]:
        spec = cpa.Pieces.from_network(net, Box([-r] * n, [r] * n), validate=True)
        return spec, cpa.compile(spec, depth="min")

    for n, net, r in examples:
        name = f"CPA on R^{n} at shallow_max_depth(n+1) hidden layers (a net's pieces on [-{r}, {r}]^{n})"
        t.add(f"{name}: depth", f"a signed sum of maxima of <= {n + 1} maps has at most cpa_depth({n}) = "
              f"{cpa_depth(n)} hidden layers (fewer when every term is a max of fewer maps): hidden layers "
              "beyond that", src, 0, "violations",
              lambda a=(n, net, r): max(0, build(*a)[1].depth - cpa_depth(a[0])))
        t.add(f"{name}: identity", "the signed sum of maxima equals the pieces on the box, proved", src, 0,
              "identity", lambda a=(n, net, r): int(spec_counterexample(*build(*a)) is not None))


def _dc_and_lattice(t: _Table) -> None:
    from constructions import courant_hat_2d, dc_split_1d
    from constructions.dc_split import breakpoints_of_max_affine_1d
    from cpa import DC, Breakpoints1D, MaxAffine, Pieces, compile
    from cpa.compiler.reference import reference_network
    from cpa.pieces import lattice_expression

    from .identities import identity_failures, index_sets_1d

    src_dc = ("Kripfganz & Schulze, Optimization 18 (1987) (statement not checked against the paper); "
              "the 1-D split derived in constructions.dc_split")
    src_lat = ("Tarela & Martinez, Math. Comput. Modelling 30 (1999); Ovchinnikov, Beitr. Algebra Geom. 43 (2002) "
               "(statements not checked against the papers)")
    f = Breakpoints1D.from_slopes([-1, 0, Fraction(1, 2), 2], [1, -2, 3, 0, -1], 0)
    t.add("DC split of the 1-D example: f = g - h on R", "breaks (-1, 0, 1/2, 2), slopes (1, -2, 3, 0, -1): "
          "compile(DC(g, h)) equals the reference network of f; proved exactly", src_dc, 0, "identity",
          lambda: identity_failures([("compile(DC(g, h)) vs f", compile(dc_split_1d(f)), reference_network(f))]))
    want: tuple[dict[Fraction, Fraction], ...] = ({Fraction(0): Fraction(5)},
                                                 {Fraction(-1): Fraction(3), Fraction(1, 2): Fraction(3),
                                                  Fraction(2): Fraction(1)})
    t.add("DC split of the 1-D example: jumps of g and h", "g has the jump 5@0; h has 3@-1, 3@1/2, 1@2: "
          "number of breakpoints (of g or h) that differ", src_dc, 0, "violations",
          lambda: sum(_dict_mismatch(breakpoints_of_max_affine_1d(F), w)
                      for F, w in zip((dc_split_1d(f).g, dc_split_1d(f).h), want)))
    g2 = MaxAffine([[1, 0], [0, 1], [-1, -1], [0, 0]], [0, 0, 0, Fraction(1, 2)])
    h2 = MaxAffine([[1, -1], [0, 2], [-1, 0]], [0, -1, Fraction(1, 3)])
    t.add("compile(DC(g, h)) = g - h on R^2", "g = max(x, y, -x-y, 1/2), h = max(x-y, 2y-1, 1/3-x): the compiled DC "
          "network (two max trees) equals the independent reference g - h; proved exactly", src_dc, 0, "identity",
          lambda: identity_failures([("compile vs reference", compile(DC(g2, h2)), reference_network(DC(g2, h2)))]))

    def pieces() -> Any:
        return Pieces(_pieces_1d(f))

    worked_sets = {frozenset(s) for s in ({0, 1, 3, 4}, {0, 1, 4}, {0, 2, 3, 4})}
    t.add("max-min form of the 1-D example: index sets", "S_y = {i : g_i(y) >= f(y)} over the cells of "
          "{g_i = g_j} are {0,1,3,4}, {0,1,4}, {0,2,3,4} (maps in piece order): size of the symmetric difference",
          src_lat, 0, "violations",
          lambda: len(index_sets_1d([(c[0], d) for c, d in pieces().distinct_maps()], f) ^ worked_sets))
    t.add("max-min form of the 1-D example: terms", "lattice_expression keeps the minimal sets: {0,1,3,4} "
          "contains {0,1,4}, so f = max(min_{0,1,4}, min_{0,2,3,4}) has 2 terms", src_lat, 2, "value",
          lambda: _max_terms(lattice_expression(pieces())))
    t.add("max-min form of the 1-D example on R", "f = max_S min_{i in S} g_i: the reference network of "
          "lattice_expression(Pieces) equals the reference network of f; proved exactly", src_lat, 0, "identity",
          lambda: identity_failures([("lattice vs f", reference_network(lattice_expression(pieces())),
                                      reference_network(f))]))
    hat = courant_hat_2d()

    def hat_lattice() -> int:
        e = lattice_expression(Pieces.from_network(hat))
        pairs = [("compile(lattice) vs hat", e, hat)]
        if not t.quick:
            pairs.append(("reference(lattice) vs hat", reference_network(e), hat))
        return identity_failures(pairs)

    t.add("max-min form of the Courant hat on R^2", "Pieces.from_network(hat) -> lattice_expression (7 distinct "
          "maps): its compiled network" + ("" if t.quick else " and its independent reference network")
          + " equal the hat; proved exactly", src_lat, 0, "identity", hat_lattice)


def _tropical(t: _Table) -> None:
    from constructions import courant_hat_2d, sawtooth, serra_zigzag, tropical_decomposition
    from constructions.tropical import upper_hull_terms
    from cpa import DC
    from cpa.compiler.reference import reference_network

    from .identities import identity_failures

    src = ("Zhang, Naitzat, Lim, ICML 2018 (a network is a tropical rational function); the recursion and the "
           "term counts derived in constructions.tropical")
    serra = ReLUNetwork([([[1], [1], [-1]], [Fraction(-1, 6), Fraction(-1, 3), Fraction(2, 3)]),
                         ([[-12, 9, -6], [-12, 9, -6], [12, -9, 6]],
                          [Fraction(15, 4), Fraction(7, 2), Fraction(-13, 4)]),
                         ([[1, -3, 2]], [0])])  # the hand-made (1; 3,3) zigzag weights
    cases = [("sawtooth m^3 (compact)", lambda: sawtooth(3), 6, 8),
             ("Serra (1; 3,3), zigzag weights", lambda: serra, 11, 8),
             ("sawtooth m^6 (compact)", lambda: sawtooth(6), None, None),
             ("Serra zigzag (1; 3,3,3)", lambda: serra_zigzag([3, 3, 3]), None, None)]
    for label, make, nF, nG in cases:
        memo: dict[str, Any] = {}

        def net_FG(make: Callable[[], ReLUNetwork] = make, memo: dict[str, Any] = memo) -> Any:
            if not memo:
                memo["net"] = net = make()
                memo["FG"] = tropical_decomposition(net)
            return memo["net"], memo["FG"]

        def identity(net_FG: Callable[[], Any] = net_FG) -> int:
            net, (F, G) = net_FG()
            pairs = [("net vs compile(F - G)", net, DC(F, G))]
            if F.num_maps + G.num_maps <= 24:  # the reference chain is as deep as the number of terms
                pairs.append(("net vs reference(F - G)", net, reference_network(DC(F, G))))
            return identity_failures(pairs)

        t.add(f"tropical F - G of {label} on R", "net = F - G with F, G max-affine from the recursion F' = max(P, N), "
              "G' = N; proved exactly against compile(DC(F, G)) (max trees) and, when |F| + |G| <= 24, against the "
              "independent reference network of DC(F, G)", src, 0, "identity", identity)
        if nF is not None:
            t.add(f"tropical F of {label}: terms", f"upper-hull terms of F = {nF}", src, nF, "value",
                  lambda net_FG=net_FG: net_FG()[1][0].num_maps)
            t.add(f"tropical G of {label}: terms", f"upper-hull terms of G = {nG}", src, nG, "value",
                  lambda net_FG=net_FG: net_FG()[1][1].num_maps)

        def over(net_FG: Callable[[], Any] = net_FG) -> int:
            net, (F, G) = net_FG()
            newton = upper_hull_terms([(a[0] + a2[0], c + c2) for a, c in zip(F.A, F.b) for a2, c2 in zip(G.A, G.b)])
            return int(int(t.count(net, "R").affine_pieces) > len(newton))

        t.add(f"tropical bound for {label}", "pieces of f on R (counted exactly) <= vertices of the upper hull of "
              "P(F) + P(G) (the Minkowski sum of the lifted Newton polytopes): violations", src, 0, "violations", over)

    def hat_identity() -> int:
        hat = courant_hat_2d()
        return identity_failures([("hat vs F - G", hat, DC(*tropical_decomposition(hat)))])

    t.add("tropical F - G of the Courant hat on R^2", "net = F - G (d = 2: terms pruned only for duplicates and equal "
          "gradients); compile(DC(F, G)) equals the hat, proved exactly", src, 0, "identity", hat_identity)


def _bound_checks(t: _Table) -> None:
    src = ("Serra, Tjandraatmadja, Ramalingam, ICML 2018, Thm 1; Montufar, SampTA 2017; Zaslavsky 1975 layer by "
           "layer; Montufar et al., NIPS 2014 (2^N)")

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


def _affine_identity(d: int) -> ReLUNetwork:
    return ReLUNetwork([([[int(i == j) for j in range(d)] for i in range(d)], [0] * d)])


def _hat_text(a: Fraction, b: Fraction, c: Fraction) -> str:
    up, down = 1 / (b - a), 1 / (c - b)
    return f"Max(0, Min({up}*x + {-up * a}, {-down}*x + {down * c}))"


def _list_mismatch(got: list[int], want: list[int]) -> int:
    return sum(1 for g, w in zip(got, want) if g != w) + abs(len(got) - len(want))


def _dict_mismatch(got: dict[Fraction, Fraction], want: dict[Fraction, Fraction]) -> int:
    return sum(1 for k in set(got) | set(want) if got.get(k) != want.get(k))


def _max_terms(e: Any) -> int:
    from cpa.expr import Max

    return len(e.expr.args) if isinstance(e.expr, Max) else 1


def _pieces_1d(f: Any) -> list[tuple[list[list[int]], list[Fraction], list[Fraction], Fraction]]:
    """The pieces ``(A, b, c, d)`` of a Breakpoints1D spec, left to right."""
    t = [None, *f.breakpoints, None]
    out = []
    for k, s in enumerate(f.slopes):
        A, b = [], []
        if t[k] is not None:
            A.append([-1])
            b.append(-t[k])
        if t[k + 1] is not None:
            A.append([1])
            b.append(t[k + 1])
        x0 = t[k + 1] if t[k + 1] is not None else t[k]
        out.append((A, b, [s], f([x0]) - s * x0))
    return out


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
