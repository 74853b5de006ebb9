"""Pruning before compiling: maps that are never the max (or min) and duplicates, dropped exactly."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

import cpa
from cpa.compiler.check import spec_counterexample
from cpa.compiler.prune import essential_maps, prune
from cpa.domains import Box
from strategies import max_affine

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_dominated_map_dropped():
    # max(x, x + 1, 0): x + 1 > x everywhere
    small, rep = prune(cpa.MaxAffine([[1], [1], [0]], [0, 1, 0]))
    assert small.A == ((1,), (0,)) and small.b == (1, 0)
    assert (rep.duplicates, rep.never_max) == (0, 1)


def test_dominated_on_a_box_only():
    # on [0, 1], x + 1 dominates both x and 0; on R it does not dominate 0
    assert essential_maps([[1], [1], [0]], [0, 1, 0], Box([0], [1]))[0] == [1]
    assert essential_maps([[1], [1], [0]], [0, 1, 0])[0] == [1, 2]


def test_max_only_on_a_lower_dimensional_set():
    # 0 equals max(x, -x, 0) only at x = 0; |x| + y touches max(x + y, -x + y) on a line
    assert essential_maps([[1], [-1], [0]], [0, 0, 0])[0] == [0, 1]
    keep, rep = essential_maps([[1, 1], [-1, 1], [0, 1]], [0, 0, 0])
    assert keep == [0, 1] and rep.never_max == 1


def test_equal_maps_keep_one():
    keep, rep = essential_maps([[1, 2], [1, 2], [1, 2]], [3, 3, 3])
    assert keep == [0] and rep.duplicates == 2 and rep.never_max == 0


def test_min_affine_and_dc():
    small, rep = prune(cpa.MinAffine([[1], [1], [0]], [0, 1, 5]))    # min(x, x + 1, 5): x + 1 never the min
    assert small.num_maps == 2 and rep.never_max == 1
    dc = cpa.DC(cpa.MaxAffine([[1], [1]], [0, 0]), cpa.MaxAffine([[2], [-2], [0]], [0, 0, -1]))
    small, rep = prune(dc)
    assert (small.g.num_maps, small.h.num_maps) == (1, 2) and rep.dropped == 2


def test_expression_nodes():
    e = cpa.parse("Max(x, x + 1, 0) + Min(y, y, 2*y) + Abs(Max(x, x))", ["x", "y"])
    small, rep = prune(e)
    assert str(small) == "Max(x + 1, 0) + Min(y, 2*y) + Abs(x)"
    assert rep.dropped == 3


def test_nothing_to_drop_keeps_the_object():
    spec = cpa.MaxAffine([[1], [-1]], [0, 0])
    assert prune(spec)[0] is spec


def test_compile_reports_and_proves_the_pruning():
    spec = cpa.MaxAffine([[1, 0], [1, 0], [0, 1], [0, 0], [1, 1]], [0, -1, 0, -5, 0])
    net, report = cpa.compile_with_report(spec, check=True)
    assert report.pruned == 1 and report.checked      # x - 1 < x; -5 is the max far down-left
    assert "dropped 1 maps" in str(report)


@FAST
@given(max_affine(max_maps=6))
def test_pruning_keeps_the_function(spec):
    small, rep = prune(spec)
    assert small.num_maps == spec.num_maps - rep.dropped >= 1
    net = cpa.compile(small, simplify=False)
    assert spec_counterexample(spec, net) is None
