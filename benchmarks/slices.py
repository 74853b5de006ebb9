"""Benchmark: regions of a 784-input network on planes, along segments and around points.

Run ``python benchmarks/slices.py`` (about a minute; ``--quick`` for a few seconds).  The
network is an MNIST-sized MLP, 784-64-64-10 (and 784-128-128-10 for the plane), with
float32 weights drawn as He initialisation with small float32 biases (seed 0), read
exactly; the inputs are random points of [0, 1]^784 in float32.  Rows:

* **plane**: compose the network with the plane through three inputs (exact) and count
  its activation regions and affine pieces on the box ``[-M, 1 + M]^2`` of plane
  coordinates, for several margins ``M``;
* **segments**: :func:`cpa.transitions` on 10,000 segments between random inputs, with
  how many segments the certified float walk decided and how many were recomputed exactly;
* **local complexity**: :func:`cpa.local_complexity` of 1,000 points in a random 2-D
  subspace through each point (linf ball), if that function is present;
* **CNN** (needs torch): 1x28x28 -> Conv2d(1, 8, 3) -> ReLU -> MaxPool2d(2) -> Conv2d(8, 16, 3)
  -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(400, 10), random float32 weights (seed 0),
  read exactly with :func:`cpa.io.from_torch` (17,856 hidden neurons after unrolling), and its
  regions counted on windows ``[0, w]^2`` of the plane through three random inputs.

Seconds are wall seconds of this process (time.perf_counter) and CPU seconds
(time.process_time); the machine is a shared 2-core one, so CPU seconds are the figure
to compare.  Targets (issue "Regions of real networks"): a plane slice with at least
10,000 regions in under 5 s; 10,000 segments in under 60 s; local complexity of 1,000
points in under 60 s.

Measured on the quiet 2-core machine (CPU seconds, compose + count with pieces):

===================================  ==========================================
plane, 784-64-64-10, margin 1/3/10   2,782 / 5,845 / 7,928 regions, 0.52 / 0.72 / 1.05 s
plane, 784-64-64-10, margin 1000     8,874 regions, 0.94 s (the most a plane of it holds)
plane, 784-128-128-10, margin 1 / 2  8,240 / 15,017 regions, 2.38 / 3.54 s
10,000 segments, 784-64-64-10        1.34 s, 28.6 regions per segment, all certified
1,000 points, linf r = 0.05, 2-D     8.38 s, 15.8 regions and 6.1 neurons per ball
===================================  ==========================================

CNN on plane windows (CPU seconds on the shared machine, load 1 to 3; count with pieces):
reading 3.0 s; w = 1/1000: 6 regions, 11.2 s before the sparse float filter, the exact signs
from the cells' maps and the maps by differences, 1.4 s after; w = 1/200: 180 regions,
51.6 s before, 4.1 s after; w = 1/100: 554 regions, 8.2 s; w = 1/50: 3,144 regions, 46 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # one core, as the other benchmarks
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

import cpa  # noqa: E402


def mnist_mlp(widths: list[int], seed: int = 0) -> cpa.ReLUNetwork:
    """He-initialised float32 MLP (biases 0.1 N(0, 1) in float32), read exactly."""
    rng = np.random.default_rng(seed)
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        W = (rng.standard_normal((b, a)) * np.sqrt(2.0 / a)).astype(np.float32)
        c = (0.1 * rng.standard_normal(b)).astype(np.float32)
        layers.append((W.astype(np.float64), c.astype(np.float64)))
    return cpa.ReLUNetwork(layers)


def timed(fn, *args, **kwargs):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w, time.process_time() - c


def plane_rows(widths: list[int], margins: list[float], rng: np.random.Generator) -> None:
    net = mnist_mlp(widths)
    X = rng.random((3, widths[0])).astype(np.float32)
    for m in margins:
        plane = cpa.Plane.through(X[0], X[1], X[2], margin=m)
        c, wall, cpu = timed(cpa.count_regions, net, plane)
        print(f"  plane {str(widths):18} margin {m:6g}: {c.activation_regions:7,} regions, "
              f"{c.affine_pieces:7,} pieces, {cpu:6.2f} s CPU ({wall:.2f} s wall)", flush=True)


def segment_rows(n: int, rng: np.random.Generator) -> None:
    net = mnist_mlp([784, 64, 64, 10])
    A = rng.random((n, 784)).astype(np.float32)
    B = rng.random((n, 784)).astype(np.float32)
    stats: dict = {}
    counts, wall, cpu = timed(cpa.transitions, net, A, B, stats=stats)
    print(f"  {n:,} segments: {cpu:.2f} s CPU ({wall:.2f} s wall); regions per segment mean "
          f"{counts.mean():.1f} (min {counts.min()}, max {counts.max()}); certified by the float walk "
          f"{stats['certified']:,}, recomputed exactly {stats['exact']:,}", flush=True)


def local_rows(n: int, radius: float, rng: np.random.Generator) -> None:
    if not hasattr(cpa, "local_complexity"):
        print("  local complexity: cpa.local_complexity not present in this version")
        return
    net = mnist_mlp([784, 64, 64, 10])
    P = rng.random((n, 784)).astype(np.float32)
    recs, wall, cpu = timed(cpa.local_complexity, net, P, radius, norm="linf", dims=2)
    regs = np.array([r.regions for r in recs])
    hyp = np.array([r.hyperplanes for r in recs])
    print(f"  {n:,} points, linf radius {radius:g}, 2-D subspaces: {cpu:.2f} s CPU ({wall:.2f} s wall); "
          f"regions per ball mean {regs.mean():.1f} (max {regs.max()}), hyperplanes mean {hyp.mean():.1f}",
          flush=True)


def cnn_rows(widths: list[str]) -> None:
    try:
        import torch
    except ImportError:
        print("  CNN: torch is not installed")
        return
    from fractions import Fraction

    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 10)).eval()
    net, wall, cpu = timed(cpa.io.from_torch, model, input_shape=(1, 28, 28))
    nnz = sum(L.W.nnz for L in net.affine_layers)
    print(f"  CNN read in {cpu:.2f} s CPU ({wall:.2f} s wall): {net.num_neurons:,} hidden neurons, "
          f"{len(net.widths)} hidden layers, {nnz:,} nonzero weights", flush=True)
    X = np.random.default_rng(0).random((3, 784)).astype(np.float32)
    for w in map(Fraction, widths):
        plane = cpa.Plane(X[0], X[1] - X[0], X[2] - X[0], box=((0, 0), (w, w)))
        c, wall, cpu = timed(cpa.count_regions, net, plane)
        print(f"  CNN plane window [0, {w}]^2: {c.activation_regions:7,} regions, {c.affine_pieces:6,} pieces, "
              f"{cpu:6.2f} s CPU ({wall:.2f} s wall)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print("plane slices (compose + count, exact):")
    if args.quick:
        plane_rows([784, 64, 64, 10], [1], rng)
    else:
        plane_rows([784, 64, 64, 10], [1, 3, 10, 1000], rng)
        plane_rows([784, 128, 128, 10], [1, 2], rng)
    print("transitions along segments (exact counts):")
    segment_rows(500 if args.quick else 10_000, rng)
    print("local complexity:")
    local_rows(50 if args.quick else 1_000, 0.05, rng)
    print("a CNN on plane windows:")
    cnn_rows(["1/1000"] if args.quick else ["1/1000", "1/200", "1/100", "1/50"])


if __name__ == "__main__":
    main()
