"""Benchmark: exact region counting on the reference networks R1..R6 and a deep sawtooth.

Run ``python benchmarks/regions.py`` (about half a minute).  Prints, per network,
the activation-region count, the affine-piece count, the time of the first call
(cold: includes building the integer-scaled network) and the best of three
calls, and seconds per region; then the sawtooth m^20 on [0, 1] (2^20 pieces
exactly) and the peak memory of R5 (tracemalloc peak of Python/numpy
allocations, and the maximum resident set size of a fresh process that counts
R5 only).  For the 2-D networks both exact engines (vertex and polygon) are timed.

Reference: the float64-LP tool nnenum (S. Bak, *nnenum: verification of ReLU neural
networks with optimized abstraction refinement*, NFM 2021) at its fastest settings
(zonotope-contraction LP off), one core, CPU seconds, measured on this kind of machine
beside cpa: R2 0.085 s, R3 0.57 s, R4 0.34 s, R5 4.7 s (default settings: 0.099, 0.59,
0.49, 8.0 s).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from constructions.reference_nets import REFERENCE_SPECS, reference_domain, reference_network  # noqa: E402
from constructions.sawtooth import sawtooth  # noqa: E402
from cpa.domains import Box  # noqa: E402
from cpa.regions import count_regions  # noqa: E402

NNENUM = {"R2": 0.085, "R3": 0.57, "R4": 0.34, "R5": 4.7}


def timed(fn, repeat: int = 3):
    t0 = time.perf_counter()
    out = fn()
    cold = time.perf_counter() - t0
    best = cold
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return out, cold, best


def main() -> None:
    print(f"{'net':4} {'regions':>8} {'pieces':>8} {'expected':>8} {'cold s':>8} {'best s':>8} "
          f"{'s/region':>10} {'nnenum s':>8}")
    for name in REFERENCE_SPECS:
        net, dom = reference_network(name), reference_domain(name)
        c, cold, best = timed(lambda: count_regions(net, dom))
        exp = REFERENCE_SPECS[name][2]
        flag = "" if c.activation_regions == exp else "  MISMATCH"
        ref = NNENUM.get(name)
        print(f"{name:4} {c.activation_regions:8d} {c.affine_pieces:8d} {exp:8d} {cold:8.3f} {best:8.3f} "
              f"{best / c.activation_regions:10.2e} {ref if ref is not None else '-':>8}{flag}")

    print("\nd = 2 engines (both exact; the polygon engine is the independent cross-check):")
    for name in ("R2", "R3"):
        net, dom = reference_network(name), reference_domain(name)
        for method in ("vertex", "polygon"):
            c, cold, best = timed(lambda: count_regions(net, dom, method=method))
            print(f"  {name} {method:8} {c.activation_regions:6d} regions  best {best:.3f} s")

    print("\nwider and deeper (same generator, seed 7):")
    import numpy as np

    from cpa import ReLUNetwork

    for widths in ([2, 64, 64, 1], [3, 24, 24, 1], [2, 16, 16, 16, 16, 1], [5, 16, 16, 1]):
        rng = np.random.default_rng(7)
        layers = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers.append((rng.normal(0, 1, (b, a)) * np.sqrt(2 / a), rng.normal(0, 0.1, b)))
        net, d = ReLUNetwork(layers), widths[0]
        c, cold, best = timed(lambda: count_regions(net, Box([-1] * d, [1] * d)), repeat=1)
        print(f"  {str(widths):22} {c.activation_regions:8d} regions {c.affine_pieces:8d} pieces  {best:7.2f} s "
              f"{best / c.activation_regions:10.2e} s/region")

    print("\ncounting by first-layer cells (count_regions(workers=N)), [5, 12, 12, 1] seed 7:")
    rng = np.random.default_rng(7)
    layers = []
    for a, b in zip([5, 12, 12], [12, 12, 1]):
        layers.append((rng.normal(0, 1, (b, a)) * np.sqrt(2 / a), rng.normal(0, 0.1, b)))
    net = ReLUNetwork(layers)
    for workers in (None, 1, 2):
        t0 = time.perf_counter()
        c = count_regions(net, Box([-1] * 5, [1] * 5), workers=workers)
        print(f"  workers={str(workers):5} {c.activation_regions:8d} regions {c.affine_pieces:8d} pieces "
              f"{time.perf_counter() - t0:7.2f} s")

    k = 20
    t0 = time.perf_counter()
    c = count_regions(sawtooth(k), Box([0], [1]))
    dt = time.perf_counter() - t0
    ok = c.affine_pieces == 2 ** k and c.activation_regions == 2 ** k
    print(f"sawtooth k={k} on [0,1]: {c.activation_regions} regions, {c.affine_pieces} pieces "
          f"({'= 2^20' if ok else 'WRONG'}), {dt:.2f} s")

    net, dom = reference_network("R5"), reference_domain("R5")
    tracemalloc.start()
    count_regions(net, dom)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = _fresh_process_peak_rss_mib()
    print(f"R5 peak memory: tracemalloc {peak / 2**20:.1f} MiB, peak RSS of a fresh process {rss_mb:.1f} MiB "
          f"(target < 1024 MiB)")


_CHILD = """
import sys
sys.path.insert(0, {root!r})
from constructions.reference_nets import reference_network, reference_domain
from cpa.regions import count_regions
count_regions(reference_network('R5'), reference_domain('R5'))
try:   # VmHWM is the high-water mark of this process image (ru_maxrss may include the parent's)
    with open('/proc/self/status') as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith('VmHWM'))
except (OSError, StopIteration):
    import resource
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(kb)
"""


def _fresh_process_peak_rss_mib() -> float:
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    out = subprocess.run([sys.executable, "-c", _CHILD.format(root=root)], capture_output=True, text=True)
    try:
        return int(out.stdout.strip().splitlines()[-1]) / 1024
    except (ValueError, IndexError):
        return float("nan")


if __name__ == "__main__":
    main()
