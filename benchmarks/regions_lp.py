"""Benchmark: the LP region engine (cpa.regions._lp) against the vertex engine, any input dimension.

Run ``python benchmarks/regions_lp.py`` (several minutes; ``--large`` adds [8, 12, 12, 1],
``--scaling`` runs the scaling table over the input dimension,
``--only 8,8,8,1`` runs one network, ``--profile 8,8,8,1`` prints a cProfile breakdown).
Networks: ``random_relu_weights(widths, seed=7)`` over ``[-1, 1]^d``.  Every run is a fresh
process, so the peak RSS (``resource.getrusage``: the high-water mark of that process,
interpreter and imports included) is the engine's own.  Columns: regions, CPU seconds, peak RSS,
LPs solved (decisions, certified cell boxes), decisions settled without an LP (a box bound or a
point of the pool), decisions certified from the float LP (vertex, ray or duals), by the exact
basis and by the exact simplex; the LP count with affine pieces (:mod:`cpa.regions._lp_pieces`,
what ``count_regions`` runs from d = 7 on): CPU seconds, peak RSS and pieces; and the vertex
engine's time and peak RSS where it runs (skipped for d >= 8, where it does not finish in memory).

Reference (nnenum, a float-LP tool, fastest settings, one core, measured on this machine the same
day as the table below): [7,8,8,1] 5,990 regions in 2.38 s; [8,8,8,1] 8,552 in 3.60 s; [10,8,8,1]
13,432 in 5.73 s; [5,16,16,1] 218,774 in 88 s; [6,12,12,1] 89,769 in 36 s; [7,12,12,1] 187,831 in
77 s; [8,12,12,1] 588,674 in 246.5 s at 111 MB (160 s in an earlier session; the issue's table
has 2.3 s and 3.75 s for the two small ones, measured on a quieter day).

Measured on this project's 2-core machine (CPU seconds, the numba import and first call included,
about 0.5 s; other jobs on the second core), with the dense simplex (:mod:`cpa.regions._float_lp`):

==================  =======  ========  ======  =======  ==============  ===============  =========
widths              regions  LP CPU s  LP MB   LPs      pieces, CPU s   vertex CPU s     vertex MB
==================  =======  ========  ======  =======  ==============  ===============  =========
[2, 8, 8, 1]            156      0.57     166      367            0.55             0.03         57
[2, 16, 16, 16, 1]      919      0.80     166    3,917            0.83             0.06         57
[3, 10, 10, 1]        1,251      0.77     166    2,707            0.79             0.05         58
[4, 12, 12, 1]        8,584      2.36     166   17,353            2.60             0.32         89
[5, 16, 16, 1]      218,774     49.7      166  367,696           56.1             20.4       1,714
[6, 12, 12, 1]       89,769     20.7      166  133,355           22.7             14.9       1,786
[8, 8, 8, 1]          8,552      2.31     166   12,404            2.79             -            -
[10, 8, 8, 1]        13,432      3.52     166   15,532            3.79             -            -
[8, 12, 12, 1]      588,674    124        166  736,960          144                -            -
==================  =======  ========  ======  =======  ==============  ===============  =========

With HiGHS as the LP solver (before the dense simplex, highspy 1.16) the LP column read 0.14, 1.2,
0.74, 5.0, 131, 50, 4.7, 7.1 and 305 s, in 47 MB (numba's runtime adds about 120 MB, once).

About 1.25 LPs per region.  Where the time goes on [8, 12, 12, 1] (cProfile of 20,000 regions):
the dense simplex about 5%; the exact row values at new points (Python integers of about 100 by
60-500 bits) about 15%; the pool's float screening and its split at every branch about 15%; the
search's bookkeeping (the stack, the rows pushed and cut back, the layer maps) and the exact
certificates (combinations with the witness, Farkas bounds from the duals) the rest.  HiGHS
cost 130 us per LP through its Python binding, about half of the time then.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

NETWORKS = [[2, 8, 8, 1], [2, 16, 16, 16, 1], [3, 10, 10, 1], [4, 12, 12, 1], [5, 16, 16, 1], [6, 12, 12, 1],
            [8, 8, 8, 1], [10, 8, 8, 1]]
LARGE = [[8, 12, 12, 1]]
NNENUM = {(8, 8, 8, 1): (8552, 3.60), (10, 8, 8, 1): (13432, 5.73), (6, 12, 12, 1): (89769, 36.3),
          (8, 12, 12, 1): (588674, 160.0)}

_CHILD = """
import json, resource, sys, time, importlib
sys.path.insert(0, {root!r})
from constructions.reference_nets import random_relu_weights
from cpa import ReLUNetwork
from cpa.domains import Box
widths = {widths!r}
net = ReLUNetwork(random_relu_weights(widths, seed=7))
d = widths[0]
box = Box([-1] * d, [1] * d)
out = {{}}
t0 = time.perf_counter()
c0 = time.process_time()
if {engine!r} == "lp":
    lp = importlib.import_module("cpa.regions._lp")
    stats = {{}}
    n, nb = lp.count_lp(net, box, stats=stats)
    out["stats"] = stats
elif {engine!r} == "lp-pieces":
    lpp = importlib.import_module("cpa.regions._lp_pieces")
    n, out["pieces"], nb = lpp.count_lp_pieces(net, box)
else:
    from cpa.regions import count_regions
    n = count_regions(net, box, method="vertex").activation_regions
out["seconds"] = time.perf_counter() - t0
out["cpu"] = time.process_time() - c0
out["regions"] = n
try:
    with open("/proc/self/status") as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
except (OSError, StopIteration):
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out["peak_mb"] = kb / 1024
print(json.dumps(out))
"""


def run_child(widths: list[int], engine: str, timeout: float | None = None) -> dict | None:
    code = _CHILD.format(root=ROOT, widths=widths, engine=engine)
    try:
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if res.returncode != 0:
        return {"error": (res.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def _secs(r: dict) -> str:
    cpu, wall = r["cpu"], r["seconds"]
    if wall > 1.1 * cpu:
        return f"{cpu:.2f} ({wall:.1f})"
    return f"{cpu:.2f}"


def profile(widths: list[int]) -> None:
    import cProfile
    import importlib
    import pstats

    sys.path.insert(0, ROOT)
    from constructions.reference_nets import random_relu_weights
    from cpa import ReLUNetwork
    from cpa.domains import Box

    lp = importlib.import_module("cpa.regions._lp")
    net = ReLUNetwork(random_relu_weights(widths, seed=7))
    d = widths[0]
    stats: dict = {}
    prof = cProfile.Profile()
    prof.enable()
    n = lp.count_lp(net, Box([-1] * d, [1] * d), stats=stats)
    prof.disable()
    print(f"{widths}: {n[0]} regions; stats {stats}")
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", action="store_true", help="also [8, 12, 12, 1] (minutes)")
    ap.add_argument("--only", help="one network, e.g. 8,8,8,1")
    ap.add_argument("--no-vertex", action="store_true", help="skip the vertex engine")
    ap.add_argument("--no-pieces", action="store_true", help="skip the LP count with affine pieces")
    ap.add_argument("--vertex-timeout", type=float, default=600.0, help="seconds (default 600)")
    ap.add_argument("--profile", help="cProfile the LP engine on one network, e.g. 8,8,8,1")
    ap.add_argument("--scaling", action="store_true",
                    help="the scaling table: [d, 8, 8, 1] for d = 2..12 and [d, 12, 12, 1] for d = 2..8 "
                         "(with --large up to d = 12: hours)")
    args = ap.parse_args()
    if args.profile:
        profile([int(v) for v in args.profile.split(",")])
        return
    if args.scaling:
        top = 12 if args.large else 8
        nets = [[d, 8, 8, 1] for d in range(2, 13)] + [[d, 12, 12, 1] for d in range(2, top + 1)]
    elif args.only:
        nets = [[int(v) for v in args.only.split(",")]]
    else:
        nets = NETWORKS + (LARGE if args.large else [])
    print("seconds are CPU seconds of the process (time.process_time), wall seconds in brackets when"
          " they differ by more than 10% (another process shared the cores)")
    print(f"{'widths':18} {'regions':>8} {'LP s':>14} {'MB':>6} {'LPs':>8} {'no LP':>7} {'float':>7} "
          f"{'basis':>5} {'exact':>5} | {'with pieces s':>14} {'MB':>6} {'pieces':>8} | {'vertex s':>14} {'MB':>6} "
          f"| {'nnenum':>14}")
    for widths in nets:
        r = run_child(widths, "lp")
        if "error" in r:
            print(f"{str(widths):18} LP engine failed: {r['error']}")
            continue
        st = r["stats"]
        no_lp = st["decisions"] - st["lp_calls"]
        all_lps = st["lp_calls"] + st.get("box_lps", 0) + st.get("bounded_lp_calls", 0)
        flt = st["cut_vertex"] + st["nocut_dual"] + st["cut_ray"]
        basis = st["cut_basis"] + st["nocut_basis"]
        pcol = f"{'-':>14} {'-':>6} {'-':>8}"
        if not args.no_pieces:
            q = run_child(widths, "lp-pieces")
            if "pieces" in q:
                flag = "" if q["regions"] == r["regions"] else " MISMATCH"
                pcol = f"{_secs(q):>14} {q['peak_mb']:6.0f} {q['pieces']:8d}{flag}"
        v = None
        if widths[0] < 8 and not args.no_vertex:
            v = run_child(widths, "vertex", timeout=args.vertex_timeout)
        if v is None:
            vcol = f"{'-':>14} {'-':>6}"
        elif "regions" in v:
            flag = "" if v["regions"] == r["regions"] else " MISMATCH"
            vcol = f"{_secs(v):>14} {v['peak_mb']:6.0f}{flag}"
        else:
            vcol = f"{'timeout' if 'timeout' in v else 'failed':>14} {'-':>6}"
        ref = NNENUM.get(tuple(widths))
        rcol = f"{ref[0]:>7} {ref[1]:5.2f}s" if ref else f"{'-':>14}"
        print(f"{str(widths):18} {r['regions']:8d} {_secs(r):>14} {r['peak_mb']:6.0f} {all_lps:8d} "
              f"{no_lp:7d} {flt:7d} {basis:5d} {st['exact_simplex']:5d} | {pcol} | {vcol} | {rcol}", flush=True)


if __name__ == "__main__":
    main()
