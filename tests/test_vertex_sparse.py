"""The vertex engine's fast paths for sparse networks (convolutions unrolled), against other engines.

A convolutional network read from PyTorch has layers with few nonzero weights, many
neurons whose hyperplanes coincide (a max gadget's pairs), and, on a small window of a
plane, cells whose maps share most of their rows.  The vertex engine then (a) settles the
signs its float filter leaves open from one row of a cell's exact map, (b) runs the filter
with sparse products, and (c) forms the next cell maps from their differences to one cell.
Each test checks the outcome exactly: the regions, patterns and affine maps are those of
the polygon engine, and the complete certificate holds.
"""

from __future__ import annotations

import importlib
from fractions import Fraction

import numpy as np
import pytest

import cpa
from cpa.domains import Box

torch = pytest.importorskip("torch")
nn = torch.nn

vertex = importlib.import_module("cpa.regions._vertex")


def _conv_net(seed: int, pool: str) -> tuple[cpa.ReLUNetwork, tuple[int, ...]]:
    """A small random CNN on 1 x 6 x 6 inputs, float32 weights read exactly."""
    torch.manual_seed(seed)
    pooling = nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), pooling, nn.Conv2d(2, 3, 2, padding=1), nn.ReLU(),
                          nn.Flatten(), nn.Linear(27, 3)).eval()
    shape = (1, 6, 6)
    return cpa.io.from_torch(model, input_shape=shape), shape


@pytest.mark.parametrize("seed,pool,side", [(0, "max", Fraction(1)), (1, "max", Fraction(1, 2)),
                                            (2, "avg", Fraction(2))])
def test_conv_net_on_a_plane_counts_as_the_polygon_engine(seed, pool, side):
    net, shape = _conv_net(seed, pool)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, int(np.prod(shape)))).astype(np.float32)
    plane = cpa.Plane(X[0], X[1] - X[0], X[2] - X[0], box=((-side / 2, -side / 2), (side / 2, side / 2)))
    flat = net @ plane.affine
    inet = vertex.IntegerNetwork(flat)
    assert pool == "avg" or any(inet.is_sparse(l) for l in range(1, inet.n_layers))   # avg pools fold away
    res = vertex.enumerate_vertex(flat, plane.domain)
    cx = cpa.regions(flat, plane.domain, method="vertex")
    ref = cpa.regions(flat, plane.domain, method="polygon")
    assert len(cx) == len(ref) == len(res) > 1
    assert sorted(r.pattern for r in cx) == sorted(r.pattern for r in ref)
    assert sorted(map(repr, (r.affine_map for r in cx))) == sorted(map(repr, (r.affine_map for r in ref)))
    a, b = cx.counts(), ref.counts()
    assert (a.activation_regions, a.affine_pieces) == (b.activation_regions, b.affine_pieces)
    assert cpa.count_regions(net, plane, method="vertex").activation_regions == len(ref)
    assert cx.certify()
    if pool == "max":       # the max gadget's coincident hyperplanes leave signs to the exact path
        assert res.stats["exact_signs"] > 0


@pytest.mark.parametrize("seed", range(4))
def test_product_by_differences_equals_the_plain_product(seed):
    """``Wi_l Mm[c]`` from differences to ``Mm[0]`` equals the product taken cell by cell."""
    rng = np.random.default_rng(seed)
    n, m, cells, k = 40, 30, 7, 3
    W = np.where(rng.random((m, n)) < 0.08, rng.integers(-9, 10, size=(m, n)), 0)
    if seed == 3:
        W = rng.integers(-9, 10, size=(m, n))                  # a dense layer takes the same route
    net = cpa.ReLUNetwork([(np.eye(n, k - 1, dtype=int).tolist(), [0] * n), (W.tolist(), [0] * m),
                           ([[1] * m], [0])])
    inet = vertex.IntegerNetwork(net)
    big = 2 ** 90
    M0 = np.empty((n, k), dtype=object)
    M0[...] = [[int(v) * big + int(u) for v, u in zip(r, q)] for r, q in
               zip(rng.integers(-5, 6, size=(n, k)), rng.integers(-5, 6, size=(n, k)))]
    Mm = np.empty((cells, n, k), dtype=object)
    for c in range(cells):
        Mm[c] = M0
        for r in rng.choice(n, size=c % 4, replace=False):      # a few rows differ, none in cell 0
            Mm[c, r] = [int(v) for v in rng.integers(-5, 6, size=k)]
    c_idx, k_idx = np.nonzero((Mm[1:] != M0[None]).any(axis=2))
    Y0 = vertex._sparse_or_dense(inet, 1, M0[None], m)
    got = vertex._product_by_differences(inet, 1, Mm, c_idx + 1, k_idx, m, Y0)
    want = np.stack([inet.Wdense[1] @ Mm[c] for c in range(cells)])
    assert (got == want).all()
    assert (vertex._layer_product(inet, 1, Mm) == want).all()


def test_float_filter_sparse_and_dense_agree():
    """The filter's values and bounds are the same with the weights sparse or dense."""
    import scipy.sparse as sp

    from cpa.regions._float import FloatFilter

    rng = np.random.default_rng(0)
    W0 = rng.standard_normal((50, 2))
    W1 = np.where(rng.random((40, 50)) < 0.05, rng.standard_normal((40, 50)), 0.0)
    b0, b1 = rng.standard_normal(50), rng.standard_normal(40)
    P = rng.standard_normal((20, 3))
    dense = FloatFilter([W0, W1], [b0, b1])
    sparse = FloatFilter([sp.csr_matrix(W0), sp.csr_matrix(W1)], [b0, b1])
    assert sparse.WT[1] is None and dense.WT[1] is not None
    Zd, Ed = dense.upto(1, P)
    Zs, Es = sparse.upto(1, P)
    np.testing.assert_allclose(Zs, Zd, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Es, Ed, rtol=1e-12)
