"""The LP region engine (:mod:`cpa.regions._lp`) against the vertex engine, and its certificates.

Every comparison is exact: the same sorted activation patterns, the same exact affine maps
and the same numbers of bounded regions and of affine pieces (counted from one record per
region, :mod:`cpa.regions._lp_pieces`) as ``regions(net, dom, method="vertex")``; every
region passes :func:`cpa.regions.certificate.certify_region`, and small complexes pass the
complete certificate (:func:`certify_complex`: no region missing).  Degenerate networks
(duplicated and proportional neurons, dead neurons, hyperplanes through vertices, the
sawtooth, Montufar's folding) and mixed magnitudes (weights of ``2^+-500``) are included, and
the exact fallbacks are exercised by disabling the float certificates and by feeding the
engine nonsense from the LP solver.
"""

from __future__ import annotations

import importlib
import math
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("highspy")

from constructions import montufar, sawtooth  # noqa: E402
from cpa import MaxAffine, ReLUNetwork  # noqa: E402
from cpa import compile as cpa_compile  # noqa: E402
from cpa.domains import Box, Polyhedron, Reals  # noqa: E402
from cpa.regions import regions  # noqa: E402
from cpa.regions.certificate import certify_complex, certify_region  # noqa: E402
from test_regions_property import small_networks  # noqa: E402
from test_soundness import mixed_domains, mixed_networks  # noqa: E402

lp = importlib.import_module("cpa.regions._lp")
xlp = importlib.import_module("cpa.regions._exact_lp")
float_lp_mod = importlib.import_module("cpa.regions._float_lp")
lp_pieces = importlib.import_module("cpa.regions._lp_pieces")

TRIANGLE = Polyhedron([[-1, 0], [0, -1], [1, 1]], [1, 1, 1])
CONE = Polyhedron([[-1, 0], [1, -2]], [0, 1])           # x >= 0, x - 2y <= 1: unbounded
HALFPLANE = Polyhedron([[1, 1]], [Fraction(1, 3)])


def exact_map(m) -> tuple:
    """An affine map as ``(A rows, c)`` tuples of Fractions, whether given as a pair or as an object
    that unpacks to one."""
    A, c = m
    return tuple(tuple(Fraction(v) for v in row) for row in A), tuple(Fraction(v) for v in c)


def check(net, dom, *, complete: bool = False, stats: dict | None = None, certify_first: int | None = None):
    """Assert that the LP engine and the vertex engine agree exactly; return the LP regions.
    Every region (or the first ``certify_first``) is certified; ``complete`` also runs the
    complete certificate."""
    got = list(lp.iter_lp_regions(net, dom, stats=stats))
    ref = regions(net, dom, method="vertex")
    assert sorted(r.pattern for r in got) == sorted(r.pattern for r in ref)
    assert sorted(exact_map(r.affine_map) for r in got) == sorted(exact_map(r.affine_map) for r in ref)
    assert sum(r.bounded for r in got) == ref.num_bounded
    for r in got[:certify_first]:
        fail = certify_region(net, dom, r.pattern, r.witness, r.hrep, r.affine_map, r.bounded)
        assert fail is None, fail
        assert r.is_bounded == r.bounded
    if complete:
        cert = certify_complex(net, dom, got)
        assert cert.ok, cert.reason
    assert lp.count_lp(net, dom) == (len(got), sum(r.bounded for r in got))
    assert lp_pieces.count_lp_pieces(net, dom) == (len(got), ref.num_pieces, ref.num_bounded)
    return got


# --- properties against the vertex engine -----------------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(small_networks(1, max_layers=3, max_width=3), st.sampled_from(["box", "reals", "ray"]))
def test_matches_vertex_1d(net, kind):
    dom = {"box": Box([-2], [3]), "reals": Reals(1), "ray": Polyhedron([[-1]], [Fraction(1, 2)])}[kind]
    check(net, dom, complete=True)


@settings(max_examples=20, deadline=None)
@given(small_networks(2, max_layers=2, max_width=3),
       st.sampled_from(["box", "reals", "triangle", "cone", "halfplane"]))
def test_matches_vertex_2d(net, kind):
    dom = {"box": Box([-1, -1], [1, 2]), "reals": Reals(2), "triangle": TRIANGLE, "cone": CONE,
           "halfplane": HALFPLANE}[kind]
    check(net, dom, complete=True)


@settings(max_examples=10, deadline=None)
@given(small_networks(3, max_layers=2, max_width=3), st.sampled_from(["box", "reals", "cone", "simplex"]))
def test_matches_vertex_3d(net, kind):
    dom = {"box": Box([-1, -1, -1], [1, 1, 1]), "reals": Reals(3),
           "cone": Polyhedron([[-1, 0, 0], [0, -1, 0]], [0, 1]),
           "simplex": Polyhedron([[-1, 0, 0], [0, -1, 0], [0, 0, -1], [1, 1, 1]], [1, 1, 1, 2])}[kind]
    check(net, dom, complete=kind in ("box", "simplex"))


@settings(max_examples=5, deadline=None)
@given(small_networks(4, max_layers=2, max_width=3), st.booleans())
def test_matches_vertex_4d(net, bounded):
    dom = Box([-1] * 4, [1, 1, 2, 1]) if bounded else Reals(4)
    check(net, dom)


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_mixed_magnitudes_2d(data):
    net = data.draw(mixed_networks(2))
    dom = data.draw(mixed_domains(2))
    check(net, dom, complete=True)


@settings(max_examples=10, deadline=None)
@given(st.data())
def test_mixed_magnitudes_1d_and_3d(data):
    d = data.draw(st.sampled_from([1, 3]))
    net = data.draw(mixed_networks(d))
    dom = data.draw(mixed_domains(d))
    check(net, dom)


# --- degenerate networks ----------------------------------------------------------------------------------
def duplicated_2d() -> ReLUNetwork:
    """Duplicated, proportional, opposite and dead neurons; hyperplanes through the box corners."""
    return ReLUNetwork([
        ([[1, 1], [1, 1], [2, 2], [-1, -1], [1, -1], [0, 0], [1, 0]], [0, 0, 0, 0, 0, 0, -1]),
        ([[1, -1, 1, 1, 1, 0, 1], [1, 1, 1, 1, 1, 1, 1], [1, -1, 1, 1, 1, 0, 1], [0] * 7], [0, -1, 0, 0]),
        ([[1, 1, -1, 2]], [0]),
    ])


@pytest.mark.parametrize("dom", [Box([-1, -1], [1, 1]), Reals(2), TRIANGLE, CONE, HALFPLANE],
                         ids=["box", "reals", "triangle", "cone", "halfplane"])
def test_duplicated_neurons(dom):
    check(duplicated_2d(), dom, complete=True)


@pytest.mark.parametrize("k", [1, 3, 6])
def test_sawtooth(k):
    got = check(sawtooth(k), Box([0], [1]), complete=k <= 3)
    assert len(got) == 2 ** k
    check(sawtooth(k), Reals(1))


def test_montufar_folding():
    net = montufar(2, (4, 4))
    got = check(net, Box([0, 0], [1, 1]), complete=True)
    assert len(got) == regions(net, Box([0, 0], [1, 1])).num_regions
    check(montufar(3, (3, 3)), Box([0, 0, 0], [1, 1, 1]))


def test_six_dimensional_small_integer_weights_with_duplicates():
    rng = random.Random(6)
    W1 = [[rng.randint(-2, 2) for _ in range(6)] for _ in range(5)]
    W1 += [W1[0], [2 * v for v in W1[1]], [-v for v in W1[2]]]          # duplicated, scaled, opposite
    b1 = [rng.randint(-1, 1) for _ in range(5)] + [0, 0, 0]
    b1[5], b1[6], b1[7] = b1[0], 2 * b1[1], -b1[2]
    W2 = [[rng.randint(-1, 1) for _ in range(8)] for _ in range(4)]
    W2.append(list(W2[0]))
    b2 = [rng.randint(-1, 1) for _ in range(4)] + [0]
    b2[4] = b2[0]
    net = ReLUNetwork([(W1, b1), (W2, b2), ([[1, -1, 1, 2, 1]], [0])])
    stats: dict = {}
    got = check(net, Box([-1] * 6, [1] * 6), stats=stats, certify_first=12)   # 6-D certificates are slow
    assert len(got) > 20
    assert stats["both_sides"] + stats["constant"] > 0        # degenerate decisions happened


@pytest.mark.parametrize("dom", [Box([Fraction(-1, 3), -2], [Fraction(2, 5), Fraction(7, 3)]), TRIANGLE],
                         ids=["box", "triangle"])
def test_wide_layers_use_certified_cell_boxes(dom):
    """Layers of at least 4 d neurons: the cell's bounding box is certified by LPs at layer entries."""
    rng = random.Random(3)
    layers = []
    for a, b in ((2, 9), (9, 8), (8, 1)):
        layers.append(([[rng.randint(-3, 3) for _ in range(a)] for _ in range(b)],
                       [Fraction(rng.randint(-2, 2), rng.randint(1, 2)) for _ in range(b)]))
    net = ReLUNetwork(layers)
    stats: dict = {}
    check(net, dom, stats=stats, complete=True)
    assert stats["box_lps"] > 0


def test_zero_hidden_layers_and_dead_network():
    affine = ReLUNetwork([([[1, 2]], [3])])
    (r,) = check(affine, Box([-1, -1], [1, 1]), complete=True)
    assert r.pattern == () and r.bounded
    (r,) = check(affine, Reals(2))
    assert not r.bounded and r.hrep == ((), ())
    dead = ReLUNetwork([([[0, 0], [0, 0]], [0, -1]), ([[1, 1]], [0])])
    (r,) = check(dead, Box([-1, -1], [1, 1]), complete=True)
    assert r.pattern == ((False, False),)


@pytest.mark.parametrize("widths", [[2, 8, 8, 1], [3, 6, 6, 1]])
def test_random_networks_on_all_of_space(widths):
    """Bounded cells bound their subtrees: counts and bounded counts as the vertex engine's."""
    from constructions.reference_nets import random_relu_weights
    from cpa.regions import count_regions

    net = ReLUNetwork(random_relu_weights(widths, seed=7))
    d = widths[0]
    ref = count_regions(net, Reals(d), method="vertex")
    stats: dict = {}
    assert lp.count_lp(net, Reals(d), stats=stats) == (ref.activation_regions, ref.bounded_regions)
    assert 0 < ref.bounded_regions < ref.activation_regions


def test_unbounded_counts():
    net = ReLUNetwork([([[1, 0], [0, 1], [1, 1]], [0, 0, -1]), ([[1, 1, 1]], [0])])
    assert lp.count_lp(net, Reals(2)) == (7, 1)        # the triangle x, y > 0, x + y < 1
    net = ReLUNetwork([([[1, 0], [-1, 0], [0, 1], [0, -1]], [-1, -1, -1, -1]), ([[1, 1, 1, 1]], [0])])
    assert lp.count_lp(net, Reals(2)) == (9, 1)        # tic-tac-toe: the middle square is bounded


# --- the exact fallbacks ----------------------------------------------------------------------------------
NETS = [
    (duplicated_2d(), Box([-1, -1], [1, 1])),
    (duplicated_2d(), Reals(2)),
    (duplicated_2d(), CONE),
    (ReLUNetwork([([[1, 2, -1], [2, -1, 1], [1, 1, 1], [1, 2, -1]], [0, 1, -1, 0]),
                  ([[1, 1, -1, 1], [-1, 1, 1, 0]], [0, 1]), ([[1, 1]], [0])]), Box([-1, -1, -1], [1, 1, 2])),
    (ReLUNetwork([([[1, 2, -1], [2, -1, 1], [1, 1, 1]], [0, 1, -1]), ([[1, 1, -1]], [0])]), Reals(3)),
    (sawtooth(3), Box([0], [1])),
]


@pytest.mark.parametrize("case", range(len(NETS)))
def test_exact_paths_alone(case, monkeypatch):
    """With the float certificates disabled, the exact basis and the exact simplex decide alone."""
    net, dom = NETS[case]
    monkeypatch.setattr(lp._Engine, "_cut_from_floats", lambda self, *args: None)
    monkeypatch.setattr(lp._Engine, "_from_pool", lambda self, *args: None)
    monkeypatch.setattr(lp._Engine, "_nocut_from_duals", lambda self, duals, e, z: False)
    monkeypatch.setattr(lp, "float_point", lambda *args, **kw: None)     # no float ray either
    stats: dict = {}
    check(net, dom, stats=stats)
    monkeypatch.setattr(lp._Engine, "_decide_basis", lambda self, *args: (False, None))
    stats = {}
    check(net, dom, stats=stats)
    assert stats["exact_simplex"] > 0 or stats["lp_calls"] == 0


@pytest.mark.parametrize("backend", ["dense", "highs"])
@pytest.mark.parametrize("case", range(len(NETS)))
def test_nonsense_from_the_lp_solver(case, backend, monkeypatch):
    """Whatever the float LP answers, the exact checks decide: wrong optima, wrong duals, wrong
    bases, wrong rays (both solvers: the dense simplex and HiGHS)."""
    if backend == "highs":
        monkeypatch.setattr(float_lp_mod, "DENSE_MAX_D", 0)
    net, dom = NETS[case]
    rng = random.Random(case)
    orig = lp._Engine._solve

    class Liar:
        def __init__(self, solver, has_box):
            self._lp = solver
            self._box = has_box

        def __getattr__(self, name):
            return getattr(self._lp, name)

        @property
        def x(self):
            return [rng.uniform(-3, 3) for _ in self._lp.x]

        def duals(self):
            return [(i, rng.uniform(-1, 2)) for i in range(self._lp.n_rows)]

        def tight(self):
            d = self._lp.d
            codes = list(range(self._lp.n_rows)) + (list(range(-2 * d, 0)) if self._box else [])
            return rng.sample(codes, d) if len(codes) >= d else None

        def ray(self):
            ray = self._lp.ray()
            return None if ray is None else [rng.uniform(-1, 1) for _ in ray]

    def lying_solve(self, c, W):
        if not isinstance(self.lp, Liar):
            self.lp = Liar(self.lp, self.has_box)
        return orig(self, c, W)

    monkeypatch.setattr(lp._Engine, "_solve", lying_solve)
    check(net, dom)


@pytest.mark.parametrize("case", range(len(NETS)))
def test_highs_alone(case, monkeypatch):
    """With the dense simplex off (the solver beyond d = 48, and where numba is missing), HiGHS
    answers every LP and the regions are the same."""
    monkeypatch.setattr(float_lp_mod, "DENSE_MAX_D", 0)
    net, dom = NETS[case]
    stats: dict = {}
    check(net, dom, stats=stats)
    assert "lp_fallback" not in stats          # no dense solver was made


@pytest.mark.parametrize("knobs", [{"_EAGER": False}, {"_EAGER_SPLIT": False}, {"_POOL": 0, "_POOL_INTERIOR": 0},
                                   {"_CELL_BOX_MIN": 0}], ids=["lazy", "no-recheck", "no-pool", "cell-boxes"])
def test_search_variants_agree(knobs, monkeypatch):
    """The tuning knobs change how many LPs are solved, never the answer."""
    for name, value in knobs.items():
        monkeypatch.setattr(lp, name, value)
    for net, dom in NETS[:4]:
        check(net, dom)
    net = ReLUNetwork([([[1, 2], [2, -1], [1, 1], [-1, 3], [1, 0]], [0, 1, -1, 1, 0]),
                       ([[1, 1, -1, 1, 1], [-1, 1, 1, 0, 1], [1, 0, 1, 1, -1]], [0, 1, -1]), ([[1, 1, 1]], [0])])
    check(net, Box([-2, -1], [1, 2]))


def test_engine_holds_only_the_open_branch():
    """Regions are yielded as they are found: the first one comes before the search is done,
    and the pending stack never holds more than one sibling per neuron."""
    from constructions.reference_nets import random_relu_weights

    net = ReLUNetwork(random_relu_weights([3, 10, 10, 1], seed=7))
    eng = lp._Engine(net, Box([-1] * 3, [1] * 3), None)
    gen = eng.run(full=True)
    first = next(gen)
    assert eng.stats["regions"] == 1 and len(first.pattern) == 2
    gen.close()
    stats: dict = {}
    n, _ = lp.count_lp(net, Box([-1] * 3, [1] * 3), stats=stats)
    assert n > 1000 and stats["max_stack"] <= net.num_neurons


# --- exact helpers ----------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(-3, 3), min_size=3, max_size=3), min_size=1, max_size=7),
       st.lists(st.integers(-3, 3), min_size=2, max_size=2))
def test_exact_max_against_vertices(rows, g):
    """exact_max over {x : a.x + b <= 0} in [-2, 2]^2 against the maximum over the exact vertices."""
    box = [(1, 0, -2), (-1, 0, -2), (0, 1, -2), (0, -1, -2)]
    A = [r[:2] for r in rows] + [r[:2] for r in box]
    b = [-r[2] for r in rows] + [-r[2] for r in box]
    P = Polyhedron(A, b)
    if not P.is_full_dimensional():
        return
    res = xlp.exact_max([tuple(r) for r in rows] + box, g)
    assert res[0] == "optimal"
    best = max(sum(Fraction(a) * v for a, v in zip(g, x)) for x in P.vertices())
    assert res[1] == best


def test_exact_max_unbounded_and_degenerate():
    kind, y = xlp.exact_max([(-1, 0, 0), (0, -1, 0)], (1, 1))
    assert kind == "unbounded" and y[0] >= 0 and y[1] >= 0 and y[0] + y[1] > 0
    # many rows through one vertex (degenerate): Bland's rule must not cycle
    rows = [(1, 0, 0), (0, 1, 0), (1, 1, 0), (2, 1, 0), (1, 2, 0), (3, 1, 0), (-1, -1, -5)]
    kind, value, x, mu = xlp.exact_max(rows, (1, 1))
    assert kind == "optimal" and value == 0 and x == (0, 0)


@settings(max_examples=50, deadline=None)
@given(st.fractions(min_value=0, max_value=50, max_denominator=10**4),
       st.fractions(min_value=Fraction(1, 500), max_value=50, max_denominator=10**4))
def test_simplest_between(lo, width):
    hi = lo + width
    x = xlp.simplest_between(lo, hi)
    assert lo < x < hi and x.denominator <= 1 / width + 1
    for q in range(1, x.denominator):
        n = math.floor(lo * q) + 1
        assert not (Fraction(n, q) < hi), "a simpler rational lies in the interval"


def test_combine_point_and_direction():
    rows = [(1, 0, -1), (-1, 0, -1), (0, 1, -1), (0, -1, -1)]        # the square [-1, 1]^2
    W = (0, 0, 1)
    z = (1, 1, -1)                                                    # x + y > 1
    P = xlp.combine(W, (1, 1, 1), rows, z)                            # towards the corner (1, 1)
    assert P is not None and P[-1] > 0
    assert all(xlp.dot(r, P) < 0 for r in rows) and xlp.dot(z, P) > 0
    assert xlp.combine(W, (-1, -1, 1), rows, z) is None               # the other corner: no
    Q = xlp.combine(W, (1, 2, 0), rows[:2], z)                        # a direction, strip |x| < 1
    assert Q is not None and all(xlp.dot(r, Q) < 0 for r in rows[:2]) and xlp.dot(z, Q) > 0


def test_exact_direction_and_farkas_helpers():
    y = [Fraction(1), Fraction(1, 3), Fraction(-2)]
    p = xlp.project_direction(y, [(0, 0, 1), (0, 0, 2)])             # onto the plane x_3 = 0
    assert p == [Fraction(1), Fraction(1, 3), Fraction(0)]
    assert xlp.project_direction(y, [(1, 0, 0), (0, 1, 0), (0, 0, 1)]) is None
    mu = xlp.nonnegative_combination([(1, 0), (0, 1), (1, 1)], (2, 3))
    assert mu is not None and all(v >= 0 for v in mu)
    assert [sum(m * v[k] for m, v in zip(mu, [(1, 0), (0, 1), (1, 1)])) for k in range(2)] == [2, 3]
    assert xlp.nonnegative_combination([(1, 0), (0, 1)], (-1, 0)) is None       # negative multiplier
    assert xlp.nonnegative_combination([(1, 0)], (0, 1)) is None                # not in the span
    assert xlp.integer_vector([Fraction(1, 2), Fraction(-2, 3)]) == [3, -4]


# --- budgeted tasks (cpa.regions._lp_split) -------------------------------------------------------
split = importlib.import_module("cpa.regions._lp_split")


@settings(max_examples=15, deadline=None)
@given(small_networks(3, max_layers=2, max_width=4), st.sampled_from(["box", "reals", "cone", "simplex"]),
       st.integers(1, 6))
def test_budgeted_tasks_count_what_one_search_counts(net, kind, budget):
    """However small the budget, the tasks' counts add up to the one search's, bounded ones too."""
    dom = {"box": Box([-1, -1, -1], [1, 1, 1]), "reals": Reals(3),
           "cone": Polyhedron([[-1, 0, 0], [0, -1, 0], [1, 1, -3]], [0, 0, 1]),
           "simplex": Polyhedron([[-1, 0, 0], [0, -1, 0], [0, 0, -1], [1, 1, 1]], [0, 0, 0, 1])}[kind]
    want = lp.count_lp(net, dom)
    tasks = []
    got = split.count_lp_by_tasks(net, dom, budget=budget, on_task=lambda n, done, left: tasks.append(left))
    assert got == want
    assert tasks[-1] == 0


@pytest.mark.parametrize("dom", [Box([-1, -1], [1, 1]), Reals(2), TRIANGLE, CONE, HALFPLANE],
                         ids=["box", "reals", "triangle", "cone", "halfplane"])
def test_budgeted_tasks_on_degenerate_networks(dom):
    net = duplicated_2d()
    assert split.count_lp_by_tasks(net, dom, budget=1) == lp.count_lp(net, dom)


@pytest.mark.parametrize("budget", [1, 2, 5])
@pytest.mark.parametrize("d", [2, 3])
def test_budgeted_tasks_give_the_pieces_of_one_search(d, budget):
    """The records of the pieces made by tasks (each cell's neurons carried along the frontier)
    give the pieces of the one search, on networks where many regions join."""
    rng = random.Random(10 * d + budget)
    for _ in range(8):
        net = _joining_network(rng, d)
        for dom in (Box([-1] * d, [2] * d), Reals(d)):
            keys = lp_pieces.PieceKeys()
            n, nb = split.count_lp_by_tasks(net, dom, budget=budget, keys=keys)
            assert (n, n - keys.joins(net, dom), nb) == lp_pieces.count_lp_pieces(net, dom)


@pytest.mark.parametrize("dom", [Box([-1], [2]), Reals(1)], ids=["interval", "line"])
def test_budgeted_tasks_on_the_sawtooth(dom):
    net = sawtooth(5)
    assert split.count_lp_by_tasks(net, dom, budget=3) == lp.count_lp(net, dom)


def test_the_frontier_partitions_the_cell():
    """The regions found before the budget ran out and the regions of the frontier cells are,
    together, exactly the regions of the domain (same patterns, none twice)."""
    from constructions.reference_nets import reference_domain, reference_network

    net, dom = reference_network("R2"), reference_domain("R2")
    want = sorted(r.pattern for r in lp.iter_lp_regions(net, dom))
    eng = lp._Engine(net, dom, None)
    got, frontier = [], None
    for item in eng.run(full=True, budget=10):
        if isinstance(item, lp.Frontier):
            frontier = item
        else:
            got.append(item.pattern)
    assert len(got) == 10 and frontier is not None and len(frontier.cells) >= 2
    bbox = (tuple(dom.lo), tuple(dom.hi))
    for rows, hom in frontier.cells:
        w = [Fraction(v, hom[-1]) for v in hom[:-1]]
        cell_eng = lp._Engine(net, split._cell_domain(dom, rows, 2), None, witness=w, bbox=bbox)
        got += [r.pattern for r in cell_eng.run(full=True)]
    assert sorted(got) == want


# --- affine pieces from one record per region ------------------------------------------------------
def _joining_network(rng: random.Random, d: int) -> ReLUNetwork:
    """Small integer weights with many zeros: dead and duplicated neurons, so that many regions
    share their map with a neighbour (and some with a region they do not touch)."""
    widths = [d, rng.randint(2, 4), rng.randint(1, 3), rng.randint(1, 2)]
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        W = [[rng.choice([0, 0, 1, -1, 2]) for _ in range(a)] for _ in range(b)]
        layers.append((W, [rng.choice([0, 0, 1, -1]) for _ in range(b)]))
    return ReLUNetwork(layers)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_pieces_from_records_where_many_regions_join(d):
    """``count_lp_pieces`` against the vertex engine's pieces on 40 networks per dimension over a
    box, all of ``R^d`` and (d >= 2) a polyhedron; joins must happen on a good share of them."""
    rng = random.Random(d)
    doms = [Box([-1] * d, [2] * d), Reals(d)] + ([TRIANGLE] if d == 2 else [])
    joined = 0
    for _ in range(40):
        net = _joining_network(rng, d)
        for dom in doms:
            ref = regions(net, dom, method="vertex")
            got = lp_pieces.count_lp_pieces(net, dom)
            assert got == (ref.num_regions, ref.num_pieces, ref.num_bounded), (net, dom)
            joined += ref.num_regions > ref.num_pieces
    assert joined >= 10


def test_pieces_from_records_on_separated_equal_maps():
    """The tent relu(x) - 2 relu(x - 1) + relu(x - 2) is 0 on both sides: two regions with one map
    that do not touch stay two pieces (4 pieces, 3 maps)."""
    net = ReLUNetwork([([[1], [1], [1]], [0, -1, -2]), ([[1, -2, 1]], [0])])
    got = lp_pieces.count_lp_pieces(net, Reals(1))
    assert got == (4, 4, 2)
    ref = regions(net, Reals(1), method="vertex")
    assert (ref.num_regions, ref.num_pieces, len({exact_map(r.affine_map) for r in ref})) == (4, 4, 3)


def test_one_piece_from_many_regions():
    """The max of five in two hidden layers minus the max tree is zero: 1,128 regions on
    [-1, 1]^5 with one map, joined into one piece (the joins pair only regions that agree off
    the neurons that may flip on a hyperplane; all-pairs took four times longer here, and
    grew quadratically: 1,500 s for the six-number network's 25,742 regions)."""
    from cpa.calculus import linear_combination
    from cpa.compiler.shallow_max import shallow_max

    tree = cpa_compile(MaxAffine([[int(k == i) for k in range(5)] for i in range(5)], [0] * 5))
    zero = linear_combination([1, -1], [shallow_max(5), tree])
    assert lp_pieces.count_lp_pieces(zero, Box([-1] * 5, [1] * 5)) == (1128, 1, 1128)
