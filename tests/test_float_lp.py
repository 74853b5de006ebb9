"""The float LP solvers of the LP region engine: the dense simplex against HiGHS.

Their answers are hints that the engine certifies exactly (tests/test_regions_lp.py feeds it
nonsense on purpose); here the dense simplex is checked to be a good hint: the same status and
optimal value as HiGHS on random LPs, a true ray when unbounded, nonnegative duals that
reproduce the objective, and a fallback to HiGHS where it has no vertex to start from.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

pytest.importorskip("highspy")
flp = importlib.import_module("cpa.regions._float_lp")
if not flp.dense_available():      # pragma: no cover - numba missing
    pytest.skip("the dense simplex needs numba", allow_module_level=True)


def _pair(d, box, rows):
    dense, highs = flp.DenseLP(d, box, {}), flp.HighsLP(d, box)
    for g, up in rows:
        dense.add_row(list(g), up)
        highs.add_row(list(g), up)
    return dense, highs


def _random_cell(rng, d, box, m):
    """``m`` rows (a fifth of them with integer coefficients, so ties and degenerate vertices
    occur) around an interior point ``u0``; some pass within 1e-9 of it."""
    u0 = rng.uniform(-0.9, 0.9, d) if box else rng.normal(size=d)
    rows = []
    for _ in range(m):
        g = rng.normal(size=d)
        if rng.random() < 0.2:
            g = np.round(g)
        if not g.any():
            continue
        g /= np.abs(g).max()
        rows.append((g, float(g @ u0 + (abs(rng.normal()) * 0.3 if rng.random() < 0.7 else 1e-9))))
    return u0, rows


@pytest.mark.parametrize("seed", range(4))
def test_dense_agrees_with_highs(seed):
    rng = np.random.default_rng(seed)
    agree = 0
    for _ in range(150):
        d = int(rng.integers(1, 13))
        box = bool(rng.integers(0, 4))
        u0, rows = _random_cell(rng, d, box, int(rng.integers(0, 40)))
        dense, highs = _pair(d, box, rows)
        G = np.array([g for g, _ in rows]).reshape(len(rows), d)
        for _ in range(3):
            c = rng.normal(size=d)
            sd, sh = dense.solve(list(c), list(u0)), highs.solve(list(c))
            if sh == flp.OTHER:           # HiGHS itself gave no answer: nothing to compare
                continue
            assert sd == sh
            agree += 1
            if sd == flp.OPTIMAL:
                x = np.array(dense.x)
                assert c @ x == pytest.approx(c @ np.array(highs.x), rel=1e-7, abs=1e-7)
                if rows:
                    assert (G @ x <= np.array([up for _, up in rows]) + 1e-7).all()
                # the duals (box bounds' included) reproduce c at the vertex: c = sum y_i g_i
                tight = dense.tight()
                assert len(tight) == d
                duals = dict(dense.duals())
                assert all(y > 0 for y in duals.values()) and set(duals) <= {i for i in tight if i >= 0}
            else:
                ray = np.array(dense.ray())
                assert c @ ray > 0 and (G @ ray <= 1e-9 * np.abs(ray).max()).all()
    assert agree > 400


def test_degenerate_vertex():
    """Many rows through one vertex (the corner of a fan of hyperplanes), the objective pointing
    out of it: Bland's rule ends the degenerate pivots."""
    d = 6
    rows = []
    rng = np.random.default_rng(3)
    for _ in range(40):            # every row tight at u = (0.5, ..., 0.5)
        g = np.abs(rng.integers(0, 3, size=d)).astype(float) + 0.0
        if not g.any():
            continue
        g /= g.max()
        rows.append((g, float(g.sum() * 0.5)))
    dense, highs = _pair(d, True, rows)
    for _ in range(20):
        c = np.abs(rng.normal(size=d))
        assert dense.solve(list(c), [0.0] * d) == highs.solve(list(c)) == flp.OPTIMAL
        assert c @ np.array(dense.x) == pytest.approx(c @ np.array(highs.x), rel=1e-9)


def test_no_vertex_goes_to_highs():
    """A half-space of R^2 has no vertex: the dense simplex gives up and HiGHS answers."""
    stats: dict = {}
    dense = flp.DenseLP(2, False, stats)
    dense.add_row([1.0, 0.0], 1.0)                  # x <= 1, y free
    assert dense.solve([1.0, 0.0], [0.0, 0.0]) == flp.OPTIMAL
    assert stats["lp_fallback"] == 1 and dense.x[0] == pytest.approx(1.0)
    assert dict(dense.duals()) == {0: pytest.approx(1.0)}
    assert dense.solve([0.0, 1.0], [0.0, 0.0]) == flp.UNBOUNDED


def test_infeasible_start_goes_to_highs():
    stats: dict = {}
    dense = flp.DenseLP(2, True, stats)
    dense.add_row([1.0, 1.0], 0.0)
    assert dense.solve([1.0, 1.0], [0.5, 0.5]) == flp.OPTIMAL      # the start violates the row
    assert stats["lp_fallback"] == 1 and sum(dense.x) == pytest.approx(0.0)


def test_rows_pushed_and_cut_back():
    """The engine's use: rows pushed as the search descends, cut back as it backtracks."""
    dense = flp.DenseLP(2, True, {})
    dense.add_row([1.0, 0.0], 0.5)
    dense.add_row([0.0, 1.0], -0.25)
    dense.add_row([1.0, 1.0], float("inf"))          # no constraint
    assert dense.solve([1.0, 1.0], [0.0, -0.5]) == flp.OPTIMAL
    assert dense.x == pytest.approx([0.5, -0.25])
    assert sorted(dense.tight()) == [0, 1]
    dense.truncate(1)
    assert dense.solve([1.0, 1.0], [0.0, 0.0]) == flp.OPTIMAL
    assert dense.x == pytest.approx([0.5, 1.0])
    assert sorted(dense.tight()) == [-3, 0]         # u_1 <= 1 is bound -1 - 2*1
