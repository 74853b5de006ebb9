"""``cpa regions NET``: count (and list, plot) the linear regions of a network exactly."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from fractions import Fraction
from typing import Any, Iterator

from .common import NETWORK_HELP, emit_json, load_network, output_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("regions", help="count, list and plot the linear regions of a network exactly",
                       description="Enumerate the activation regions of a network exactly, each certified by "
                                   "an exact interior point. Without --box the domain is all of R^d.")
    p.add_argument("network", help=NETWORK_HELP)
    p.add_argument("--box", nargs=2, metavar=("LO", "HI"),
                   help="box domain: scalars for a cube [LO, HI]^d, or comma-separated vectors")
    p.add_argument("--plane", nargs=3, metavar=("X0", "X1", "X2"),
                   help="count on the plane through three inputs instead (points as .npy files or comma lists): "
                        "x0 + s (x1 - x0) + t (x2 - x0) for (s, t) in [-M, 1 + M]^2 with M from --margin; "
                        "regions are reported in plane coordinates (s, t)")
    p.add_argument("--margin", default="0", metavar="M", help="with --plane: the box margin (default 0)")
    p.add_argument("--decision", action="store_true",
                   help="on 2 inputs or a --plane, for a network with several outputs: also split the regions "
                        "by the exact argmax (class areas and decision-boundary pieces); --plot then draws the "
                        "classes")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    p.add_argument("--plot", metavar="OUT.png", help="save a picture (regions for 2 inputs, graph for 1)")
    p.add_argument("--color-by", choices=("region", "piece"), default="piece", help="plot colouring")
    p.add_argument("--list", metavar="OUT.jsonl",
                   help="write one region per line: pattern, witness, affine map (exact p/q strings). The "
                        "lines go to a temporary file next to OUT.jsonl, renamed to OUT.jsonl only when every "
                        "region is written: an interrupted run (Ctrl-C, SIGTERM; exit code 130) leaves no "
                        "OUT.jsonl, and says where its partial listing is")
    p.add_argument("--certify", action="store_true",
                   help="check the complete certificate exactly: every region's pattern holds on all of it and "
                        "its affine map is its pattern's, patterns are distinct, and the exact volumes sum to the "
                        "domain's (inside a provably large enough box on unbounded domains), so no region is "
                        "missing; slower (about 4 ms per region in 2-D)")
    p.add_argument("--method", choices=("auto", "line", "polygon", "vertex", "lp"), default="auto",
                   help="enumeration engine (default: line for 1 input, the lp engine for counts from 7 inputs "
                        "on, vertex otherwise); lp works in any input dimension in memory that does not grow with "
                        "the regions but for one small record per region for the pieces (none with --no-pieces)")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="with --method lp --no-pieces: record the count so far and the cells not yet searched in "
                        "DIR after every task, so that a killed run started again with the same DIR resumes where "
                        "it stopped (--workers N runs the tasks on N processes)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --method lp --no-pieces: run the search's tasks on the dask.distributed "
                        "cluster whose scheduler is at ADDRESS (tcp://HOST:8786; needs the [dask] extra)")
    p.add_argument("--no-pieces", action="store_true",
                   help="with --method lp: count activation and bounded regions only, without a record per "
                        "region (affine pieces need them)")
    p.add_argument("--max-regions", type=_positive_int, metavar="N", help="stop with an error past N regions")
    p.add_argument("--max-memory", type=_positive_gb, metavar="GB",
                   help="stop with an error once the process holds this much memory (default: 40%% of RAM)")
    p.add_argument("--workers", type=_positive_int, metavar="N",
                   help="count on N processes: with --method lp --no-pieces by budgeted tasks, otherwise cell by "
                        "cell of the first layer (lowers peak memory; with --list each region is written as soon "
                        "as its cell is done)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _positive_int(text: str) -> int:
    """argparse type: a positive integer (``0``, ``-3``, ``1.5`` are usage errors)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def _positive_gb(text: str) -> float:
    """argparse type: a finite positive number of gigabytes (``nan``, ``inf``, ``0`` are usage errors)."""
    try:
        x = float(text)
    except ValueError:
        x = float("nan")
    if not (0 < x < 2**33) or int(x * 2**30) < 1:     # refuses NaN, inf, <= 0 and absurd sizes
        raise argparse.ArgumentTypeError(f"expected a positive number of GB, got {text!r}")
    return x


def parse_box(lo: str, hi: str, d: int) -> Any:
    from ..domains import Box
    from ..errors import DomainError

    def vec(s: str) -> list[str]:
        parts = [t for t in s.split(",") if t.strip()]
        if len(parts) == 1:
            return parts * d
        if len(parts) != d:
            raise DomainError(f"--box bound {s!r} has {len(parts)} coordinates, the network has {d} inputs")
        return parts

    return Box(vec(lo), vec(hi))


def region_record(r: Any) -> dict[str, Any]:
    return {"index": r.index, **r.to_record()}


class Listing:
    """The ``--list`` file, written under a temporary name in the same directory and renamed to
    ``path`` by :meth:`commit` once every region is in it, so that ``path`` never holds a listing
    that looks complete and is not.  :meth:`abandon` (on an error or an interruption) closes the
    temporary file and either keeps it as the partial listing (returning its name) or removes it.
    With ``path`` None nothing is written."""

    def __init__(self, path: str | None):
        import tempfile

        self.path = path
        self.count = 0
        self.fh: Any = None
        self.tmp: str | None = None
        if path:
            folder, name = os.path.split(os.path.abspath(path))
            self.fh = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, prefix=f".{name}.",
                                                  suffix=".partial", delete=False)
            self.tmp = self.fh.name
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(self.tmp, 0o666 & ~mask)     # as open(path, "w") would (mkstemp makes it 0600)

    def write(self, record: dict[str, Any]) -> None:
        if self.fh is not None:
            self.fh.write(json.dumps(record) + "\n")
        self.count += 1

    def flush(self) -> None:
        if self.fh is not None:
            self.fh.flush()

    def commit(self) -> None:
        if self.fh is not None:
            self.fh.close()
            os.replace(self.tmp, self.path)     # type: ignore[arg-type]
            self.fh = None

    def abandon(self, keep: bool) -> str | None:
        if self.fh is None:
            return None
        self.fh.close()
        self.fh = None
        if keep and self.count:
            return self.tmp
        with contextlib.suppress(OSError):
            os.remove(self.tmp)                 # type: ignore[arg-type]
        return None


def write_regions(cx: Any, listing: Listing, certify: bool, progress: bool) -> Any:
    """Write one JSON line per region to ``listing`` as it is made (flushed line by line); with
    ``certify``, check the complete certificate on the way (every region right, patterns distinct,
    exact volumes summing to the domain's) and return it (None otherwise).

    Raises CertificateError with the failed check if the certificate does not hold (it never should).
    """
    from ..regions.api import each_region

    items: Any = cx.regions
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(items, desc="certify" if certify else "list", unit="region")

    def emit(r: Any) -> None:
        listing.write(region_record(r))
        listing.flush()

    return each_region(cx, emit, certify, items)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (SIGINT)."""


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`_Terminated` (a KeyboardInterrupt) in the main thread,
    so that it stops the run as Ctrl-C does: workers terminated, listing not renamed, exit code 130."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Terminated()

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _interrupted(e: KeyboardInterrupt, listing: Listing, what: str) -> int:
    """The one-line message of an interrupted run (exit code 130)."""
    kept = listing.abandon(keep=True)
    how = "terminated (SIGTERM)" if isinstance(e, _Terminated) else "interrupted"
    parts = [f"cpa regions: {how}: {what}"]
    if listing.path:
        parts.append(f"{listing.path} not written" + (f" (the partial listing is in {kept})" if kept else ""))
    print("; ".join(parts), file=sys.stderr)
    return 130


def run(args: argparse.Namespace) -> int:
    from ..errors import EnumerationLimitError
    from ..regions import regions

    net = load_network(args.network)
    plane = None
    if args.plane:
        net, domain, plane = _plane(args, net)
    else:
        domain = parse_box(args.box[0], args.box[1], net.input_dim) if args.box else None
    args.plane_obj = plane
    if args.decision and (args.no_pieces or args.workers is not None):
        from ..errors import ArgumentError

        raise ArgumentError("--decision needs the whole complex: drop --no-pieces and --workers")
    if args.list:                               # a folder that cannot take the file: before any work
        output_file(args.list, "listing")
    if args.plot:
        from .plot_cmd import _check_image_name

        _check_image_name(args.plot)
    progress = sys.stderr.isatty() and not args.no_progress
    t0 = time.perf_counter()
    from ..regions.engines import engine_for

    # a count from the LP search alone (pieces from one record per region): no complex is needed
    lp_count = not (args.list or args.certify or args.plot or args.decision) and (
        args.method == "lp" or (args.method == "auto" and engine_for("auto", net.input_dim, complex=False).name == "lp"))
    if args.workers is not None and not args.no_pieces and not lp_count:
        _check_split_args(args, net)
    if args.checkpoint is not None and not (args.method == "lp" and args.no_pieces):
        from ..errors import ArgumentError

        raise ArgumentError("--checkpoint goes with --method lp --no-pieces")
    if args.scheduler is not None and not (lp_count or (args.method == "lp" and args.no_pieces)):
        from ..errors import ArgumentError

        raise ArgumentError("--scheduler goes with a count by the LP engine (--method lp, without --list, "
                            "--certify or --plot)")
    listing = Listing(args.list)
    try:
        with _sigterm_as_interrupt():
            if args.workers is not None and not args.no_pieces and not lp_count:
                return _run_split(args, net, domain, progress, t0, listing)
            if args.no_pieces or lp_count:
                return _run_count_only(args, net, domain, t0, listing, progress)
            try:
                cx = regions(net, domain, max_regions=args.max_regions, progress=progress, method=args.method,
                             max_memory=None if args.max_memory is None else int(args.max_memory * 2**30))
            except EnumerationLimitError as e:
                print(f"cpa regions: stopped: {e} (partial count {e.count})", file=sys.stderr)
                return 3
            except MemoryError:
                print("cpa regions: stopped: out of memory during the enumeration (no partial count); use a "
                      "smaller domain or --max-memory", file=sys.stderr)
                return 3
            certified = write_regions(cx, listing, args.certify, progress) if args.list or args.certify else None
            listing.commit()
    except KeyboardInterrupt as e:
        if getattr(e, "cells", None) is not None:
            what = (f"{e.partial_regions} regions counted in {e.cells_done} of {e.cells} "   # type: ignore[attr-defined]
                    f"first-layer cells (partial count)")
        elif getattr(e, "partial_regions", None) is not None:
            what = f"{e.partial_regions} regions found (partial count)"   # type: ignore[attr-defined]
        elif listing.count:
            what = f"{listing.count} regions listed (partial count)"
        else:
            what = "stopped during the enumeration, no partial count"
        return _interrupted(e, listing, what)
    finally:
        listing.abandon(keep=False)      # after an error; a no-op once committed or kept
    return _report(args, net, cx, progress, t0, certified)


def _plane(args: argparse.Namespace, net: Any) -> tuple[Any, Any, Any]:
    """``--plane X0 X1 X2 --margin M``: the network on the plane's coordinates, the plane's box and
    the plane."""
    from ..errors import ArgumentError
    from ..slices import Plane
    from .common import read_point

    if args.box:
        raise ArgumentError("--plane and --box: give one domain (the plane's box is set by --margin)")
    d = net.input_dim
    x0, x1, x2 = (read_point(a, d, f"--plane point {i}") for i, a in enumerate(args.plane))
    plane = Plane.through(x0, x1, x2, margin=args.margin)
    return net @ plane.affine, plane.domain, plane


def _decision(args: argparse.Namespace, cx: Any) -> Any:
    from ..errors import ArgumentError
    from ..regions.decision import decision_regions

    if cx.network.input_dim != 2:
        raise ArgumentError("--decision needs 2 inputs or a --plane")
    return decision_regions(cx)


def _report(args: argparse.Namespace, net: Any, cx: Any, progress: bool, t0: float, certified: Any) -> int:
    counts = cx.counts()
    dr = _decision(args, cx) if args.decision else None
    seconds = time.perf_counter() - t0
    out: dict[str, Any] = {"activation_regions": counts.activation_regions, "affine_pieces": counts.affine_pieces,
                           "bounded_regions": counts.bounded_regions, "domain": str(cx.domain),
                           "method": counts.method, "seconds": round(seconds, 6)}
    if args.plane_obj is not None:
        out["plane"] = f"x0 + s (x1 - x0) + t (x2 - x0) in R^{args.plane_obj.dim}, (s, t) in the domain"
    if dr is not None:
        out["class_areas"] = {str(k): float(a) for k, a in enumerate(dr.areas) if a}
        out["class_areas_exact"] = {str(k): str(a) for k, a in enumerate(dr.areas) if a}
        out["decision_boundary_pieces"] = dr.num_boundary_pieces
    if certified is not None:
        out.update(_certificate_fields(certified))
    if args.plot:
        if dr is not None:
            _save_decision_plot(dr, args.plot)
        else:
            save_plot(cx, args.plot, args.color_by)
    if args.json:
        emit_json(out)
        return 0
    _print_summary(args, net, cx.domain, out, f"{counts.method} engine", "")
    if dr is not None:
        areas = ", ".join(f"{k}: {float(a):.4g}" for k, a in enumerate(dr.areas) if a)
        print(f"  classes (area)      {areas}")
        print(f"  decision boundary   {dr.num_boundary_pieces} pieces")
    if args.plot:
        print(f"  plot saved to {args.plot}")
    return 0


def _save_decision_plot(dr: Any, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import plot_decision_regions

    ax = plot_decision_regions(dr)
    ax.figure.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(ax.figure)


def _run_count_only(args: argparse.Namespace, net: Any, domain: Any, t0: float, listing: Listing,
                    progress: bool) -> int:
    """A count by the LP search alone: activation and bounded regions, and the affine pieces unless
    ``--no-pieces`` (one small record per region), in memory that does not otherwise grow with the
    regions; with ``--no-pieces --list`` each region is written as soon as it is found, and with
    ``--certify`` each is checked completely on the way (volumes summed)."""
    from ..domains import as_domain
    from ..errors import ArgumentError, EnumerationLimitError
    from ..regions import count_regions, iter_regions
    from ..regions.certificate import CertificateBuilder

    if args.no_pieces and (args.method != "lp" or args.plot):
        raise ArgumentError("--no-pieces goes with --method lp, and without --plot (which needs the whole complex)")
    dom = as_domain(domain, net.input_dim)
    cert = None
    if args.list or args.certify:
        if args.checkpoint or args.workers or args.scheduler:
            raise ArgumentError("--list and --certify with --method lp --no-pieces run in one process, "
                                "without --checkpoint, --workers or --scheduler")
        builder = CertificateBuilder(net, dom) if args.certify else None
        n = bounded = 0
        for r in _with_progress_lines(iter_regions(net, dom, progress=not args.no_progress), not args.no_progress):
            if builder is not None and not builder.add(r.pattern, r.witness, r.hrep, r.affine_map, r.bounded):
                break
            n += 1
            bounded += r.bounded
            if args.list:
                listing.write({"index": listing.count, **r.to_record()})
                listing.flush()
            if args.max_regions is not None and n > args.max_regions:
                print(f"cpa regions: stopped: more than max_regions={args.max_regions} regions (partial count {n})",
                      file=sys.stderr)
                return 3
        cert = None if builder is None else builder.result().require()
        listing.commit()
    else:
        if (args.checkpoint or args.workers or args.scheduler) and args.max_regions is not None:
            raise ArgumentError("--max-regions does not go with --checkpoint, --workers or --scheduler")
        with _dask_executor(args.scheduler) as executor, _progress_lines(not args.no_progress):
            try:
                c = count_regions(net, dom, method="lp", pieces=not args.no_pieces, max_regions=args.max_regions,
                                  workers=args.workers, executor=executor, checkpoint=args.checkpoint,
                                  progress=True)
            except EnumerationLimitError as e:
                print(f"cpa regions: stopped: {e} (partial count {e.count})", file=sys.stderr)
                return 3
        n, bounded, n_pieces = c.activation_regions, c.bounded_regions, c.affine_pieces
    if args.list or args.certify:
        n_pieces = None
    out: dict[str, Any] = {"activation_regions": n, "affine_pieces": n_pieces, "bounded_regions": bounded,
                           "domain": repr(dom), "method": "lp", "seconds": round(time.perf_counter() - t0, 6)}
    if cert is not None:
        out.update(_certificate_fields(cert))
    if args.json:
        emit_json(out)
        return 0
    _print_summary(args, net, dom, out, "lp engine" if n_pieces is not None else "lp engine, pieces not counted",
                   " as they were found")
    return 0


@contextlib.contextmanager
def _progress_lines(enabled: bool) -> Iterator[None]:
    """The library's progress log lines (logger ``cpa``, INFO) on stderr within the block."""
    import logging

    if not enabled:
        yield
        return
    logger = logging.getLogger("cpa")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("cpa regions: %(message)s"))
    old = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def _with_progress_lines(items: Any, enabled: bool) -> Iterator[Any]:
    with _progress_lines(enabled and not sys.stderr.isatty()):
        yield from items


@contextlib.contextmanager
def _dask_executor(address: str | None) -> Iterator[Any]:
    """The executor of a dask.distributed client connected to ``address`` (None: no executor)."""
    if address is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        from ..errors import MissingExtraError

        raise MissingExtraError("--scheduler needs dask.distributed: pip install 'cpa[dask]'") from None
    try:
        client = Client(address, timeout=10)
    except (OSError, TimeoutError) as e:
        from ..errors import ArgumentError

        raise ArgumentError(f"--scheduler {address!r}: cannot reach the scheduler ({e})") from None
    with client:
        yield client.get_executor()


def _certificate_fields(cert: Any) -> dict[str, Any]:
    """The certificate in the ``--json`` output: regions checked, and the two exact volumes."""
    out: dict[str, Any] = {"certified": cert.regions, "certificate": "complete"}
    if cert.radius is None:
        out["covered_volume"] = str(cert.covered_volume)
        out["domain_volume"] = str(cert.domain_volume)
    else:    # volumes inside a box of radius R with R of thousands of bits: only R's size is shown
        out["certificate_radius_bits"] = cert.radius.bit_length()
    return out


def _check_split_args(args: argparse.Namespace, net: Any) -> None:
    from ..errors import ArgumentError

    if args.plot or args.max_regions is not None:
        raise ArgumentError("--workers does not take --plot or --max-regions, which need the whole complex "
                            "in one process")
    if args.max_memory is not None:
        raise ArgumentError("--workers does not take --max-memory: each worker holds one batch of first-layer "
                            "cells, and there is no budget across processes; leave it out, or drop --workers")
    if net.input_dim < 2 or net.depth < 1:
        raise ArgumentError("--workers needs a network with at least 2 inputs and a hidden layer")


def _run_split(args: argparse.Namespace, net: Any, domain: Any, progress: bool, t0: float,
               listing: Listing) -> int:
    """``--workers N``: count by first-layer cells on N processes; with ``--list`` every region is
    written as soon as its batch of cells is done (pieces are global, so ``piece`` is null)."""
    from ..domains import as_domain
    from ..regions import count_regions

    dom = as_domain(domain, net.input_dim)

    def emit(records: list[dict[str, Any]]) -> None:
        for rec in records:
            listing.write({"index": listing.count, **rec})
        listing.flush()

    counts = count_regions(net, dom, workers=args.workers, progress=progress,
                           on_records=emit if args.list else None, certify=args.certify)
    n, pieces, bounded = counts.activation_regions, counts.affine_pieces, counts.bounded_regions
    cert = counts.certificate          # with --certify: proved (count_regions raises otherwise)
    listing.commit()
    seconds = time.perf_counter() - t0
    method = "vertex, by first-layer cells"
    out: dict[str, Any] = {"activation_regions": n, "affine_pieces": pieces, "bounded_regions": bounded,
                           "domain": repr(dom), "method": method, "seconds": round(seconds, 6)}
    if cert is not None:
        out.update(_certificate_fields(cert))
    if args.json:
        emit_json(out)
        return 0
    _print_summary(args, net, dom, out, f"{method}, {args.workers} worker(s)", " as they were made")
    return 0


def _print_summary(args: argparse.Namespace, net: Any, dom: Any, out: dict[str, Any], how: str,
                   listed: str) -> None:
    where, d = f"on {dom!r}", net.input_dim
    if getattr(args, "plane_obj", None) is not None:
        where, d = f"on the plane through the three points, (s, t) in {dom!r}", args.plane_obj.dim
    print(f"{args.network}: {d} -> {net.output_dim}, widths {list(net.widths)}, {where}")
    print(f"  activation regions  {out['activation_regions']}")
    print(f"  affine pieces       {out['affine_pieces'] if out['affine_pieces'] is not None else 'not counted'}")
    if not dom.is_bounded:
        print(f"  bounded regions     {out['bounded_regions']}")
    print(f"  exact, certified; {out['seconds']:.3f} s ({how})")
    if args.certify:
        box = " (inside the enclosing box [-R, R]^d)" if out.get("certificate_radius_bits") else ""
        print(f"  complete certificate checked: each of the {out['certified']} regions has its pattern on all of "
              f"it, patterns are distinct, exact volumes sum to the domain's{box}")
    if args.list:
        print(f"  regions listed in {args.list}{listed}")


def save_plot(cx: Any, path: str, color_by: str = "piece") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..errors import ShapeError
    from ..plotting import plot_function_1d, plot_regions

    d = cx.network.input_dim
    if d == 2:
        ax = plot_regions(cx, color_by=color_by)
    elif d == 1:
        if not cx.domain.is_bounded:
            raise ShapeError("--plot of a 1-input network needs --box")
        ax = plot_function_1d(cx.network, cx.domain)
    else:
        raise ShapeError(f"--plot draws networks with 1 or 2 inputs; this one has {d}")
    ax.figure.savefig(path, dpi=130, bbox_inches="tight")
    plt.close(ax.figure)
