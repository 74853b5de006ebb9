"""``cpa samples [--write DIR]``: the small sample networks shipped with cpa.

The files live in ``cpa/data/`` (package data).  Every command that reads a network
also takes ``sample:NAME`` instead of a file name (``cpa info sample:R2``,
``cpa regions sample:sawtooth3 --box 0 1``); ``NAME`` without an extension is the
``.json`` file.  ``cpa samples --write DIR`` copies them into ``DIR``; other formats
come from ``cpa convert`` (``cpa convert sample:R5 model.onnx``), so no binary
ONNX or torch file is shipped.

The files are made by :func:`build_samples` (``python -m cpa.cli.samples_cmd DIR``
writes them again; the test suite checks that the shipped files are what it makes).
"""

from __future__ import annotations

import argparse
import os
import shutil
from typing import Any, Callable

__all__ = ["register", "run", "SAMPLES", "PREFIX", "sample_path", "sample_names", "build_samples"]

#: a network argument that starts with this names a shipped sample
PREFIX = "sample:"


def _sawtooth3() -> Any:
    from constructions import sawtooth

    return sawtooth(3)


def _reference(name: str) -> Callable[[], Any]:
    def make() -> Any:
        from constructions.reference_nets import reference_network

        return reference_network(name)
    return make


#: file name -> (description, maker).  Reference networks: constructions.reference_nets.
SAMPLES: dict[str, tuple[str, Callable[[], Any]]] = {
    "sawtooth3.json": ("Telgarsky's sawtooth m^3: 1 input, 3 hidden layers of width 2, 8 pieces on [0, 1]",
                       _sawtooth3),
    "R1.json": ("reference network R1: [1, 8, 8, 1], random He init (seed 1001), 19 regions on [-1, 1]",
                _reference("R1")),
    "R2.json": ("reference network R2: [2, 8, 8, 1], random He init (seed 1002), 131 regions on [-1, 1]^2",
                _reference("R2")),
    "R2.npz": ("R2 as float64 arrays W0, b0, W1, b1, ... (what numpy or JAX code saves); same function",
               _reference("R2")),
    "R3.json": ("reference network R3: [2, 16, 16, 16, 1], seed 1003, 1030 regions on [-1, 1]^2",
                _reference("R3")),
    "R4.json": ("reference network R4: [3, 10, 10, 1], seed 1004, 782 regions on [-1, 1]^3",
                _reference("R4")),
    "R5.json": ("reference network R5: [4, 12, 12, 1], seed 1005, 12202 regions on [-1, 1]^4",
                _reference("R5")),
    "R6.json": ("reference network R6: the sawtooth m^6, [1, 2, 2, 2, 2, 2, 2, 1], 64 pieces on [0, 1]",
                _reference("R6")),
}


def data_dir() -> str:
    """The folder of the shipped sample files."""
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def sample_names() -> list[str]:
    """The names ``sample:NAME`` accepts: each file name, and the stem of each ``.json`` file."""
    return [f[:-5] if f.endswith(".json") else f for f in SAMPLES]


def sample_path(name: str) -> str:
    """The path of the shipped sample ``name`` (``"R2"``, ``"R2.json"``, ``"R2.npz"``).

    Raises
    ------
    ArgumentError
        For an unknown name; the message lists the known ones.
    FileNotFoundError
        If the package was installed without its data files.
    """
    from ..errors import ArgumentError

    file = name if os.path.splitext(name)[1] else name + ".json"
    if file not in SAMPLES:
        raise ArgumentError(f"unknown sample {name!r}; the samples are {', '.join(sample_names())} "
                            "(cpa samples lists them)")
    path = os.path.join(data_dir(), file)
    if not os.path.isfile(path):   # pragma: no cover - a broken installation
        import errno

        raise FileNotFoundError(errno.ENOENT, "sample file missing from the installed package (reinstall cpa)",
                                path)
    return path


def build_samples(folder: str) -> list[str]:
    """Write every sample file into ``folder`` from its maker; returns the paths written."""
    from ..io import save_network, to_json

    os.makedirs(folder, exist_ok=True)
    written = []
    for file, (_, make) in SAMPLES.items():
        path = os.path.join(folder, file)
        net = make()
        if file.endswith(".json"):
            to_json(net, path)
        else:
            save_network(net, path)
        written.append(path)
    return written


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "samples", help="list the sample networks shipped with cpa, or write them to a folder",
        description="List the small sample networks shipped with cpa. Any command that reads a network "
                    "takes sample:NAME instead of a file (cpa info sample:R2, cpa regions sample:sawtooth3 "
                    "--box 0 1; NAME without extension is the .json file). For .onnx or .pt files convert "
                    "one: cpa convert sample:R5 model.onnx.")
    p.add_argument("--write", metavar="DIR", help="copy every sample file into DIR (created if missing)")
    p.add_argument("--json", action="store_true", help="print the list as JSON (name, file, architecture, "
                                                         "description)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .common import emit_json, load_network, output_folder

    rows = []
    for name, file in zip(sample_names(), SAMPLES):
        net = load_network(PREFIX + name)
        rows.append({"name": PREFIX + name, "file": file, "architecture": list(net.architecture),
                     "description": SAMPLES[file][0]})
    if args.write:
        output_folder(args.write)
        for file in SAMPLES:
            shutil.copyfile(sample_path(file), os.path.join(args.write, file))
    if args.json:
        emit_json(rows)
        return 0
    w = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{w}}  {r['description']}")
    if args.write:
        print(f"wrote {len(rows)} files to {args.write}: {', '.join(SAMPLES)}")
    else:
        print("\nuse a name wherever a network file goes (cpa info sample:R2); "
              "cpa samples --write DIR copies the files")
    return 0


if __name__ == "__main__":   # pragma: no cover - regenerates cpa/data/
    import sys

    for p in build_samples(sys.argv[1] if len(sys.argv) > 1 else data_dir()):
        print(p)
