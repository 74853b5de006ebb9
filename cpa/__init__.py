"""cpa: an exact toolkit for continuous piecewise affine (CPA) functions and ReLU networks.

Compile CPA specs into ReLU weights, count and enumerate linear regions, and
check the theorems about them, all in exact rational arithmetic.
"""

from __future__ import annotations

from .errors import (
    CPAError as CPAError,
    DiscontinuousSpecError as DiscontinuousSpecError,
    DomainError as DomainError,
    EnumerationLimitError as EnumerationLimitError,
    FormatError as FormatError,
    InvalidNumberError as InvalidNumberError,
    MissingExtraError as MissingExtraError,
    NotEquivalentError as NotEquivalentError,
    NotPiecewiseAffineError as NotPiecewiseAffineError,
    ShapeError as ShapeError,
    SpecError as SpecError,
    UnknownVariableError as UnknownVariableError,
    UnsupportedLayerError as UnsupportedLayerError,
)
from .numbers import to_rational as to_rational
from .affine import Affine as Affine
from .network import ReLUNetwork as ReLUNetwork
from .specs import (
    DC as DC,
    Breakpoints1D as Breakpoints1D,
    Expression as Expression,
    MaxAffine as MaxAffine,
    MinAffine as MinAffine,
    parse as parse,
)
from .pieces import Pieces as Pieces
from .simplicial import Simplicial as Simplicial
from .compiler import compile as compile, compile_with_report as compile_with_report

from .domains import Box as Box, Polyhedron as Polyhedron, Reals as Reals
from .slices import Path as Path, Plane as Plane, Segment as Segment
from .regions import (
    regions as regions,
    count_regions as count_regions,
    iter_regions as iter_regions,
    Region as Region,
    RegionComplex as RegionComplex,
)
from .regions.local import (
    region_at as region_at,
    grow_regions as grow_regions,
    local_complexity as local_complexity,
)
from .regions.decision import decision_regions as decision_regions

from .regions.trajectory import breakpoints as breakpoints, transitions as transitions

from ._version import __version__ as __version__

# submodules loaded on first access (``cpa.bounds``, ``cpa.io``, ...), as scipy does: ``import cpa``
# stays light (no matplotlib, torch or onnx) and ``cpa.io.load_network`` still works
_LAZY_SUBMODULES = frozenset({"bounds", "io", "plotting", "gadgets", "calculus", "limits", "equivalence",
                              "spec_io", "compiler", "numbers", "sparse", "network", "domains", "affine",
                              "errors", "specs", "pieces", "expr", "geometry2d", "cli"})

__all__ = [
    "CPAError", "DiscontinuousSpecError", "DomainError", "EnumerationLimitError", "FormatError",
    "InvalidNumberError", "MissingExtraError", "NotEquivalentError", "NotPiecewiseAffineError",
    "ShapeError", "SpecError", "UnknownVariableError", "UnsupportedLayerError",
    "to_rational", "Affine", "ReLUNetwork", "DC", "Breakpoints1D", "Expression", "MaxAffine", "MinAffine",
    "parse", "Pieces", "Simplicial", "compile", "compile_with_report", "Box", "Polyhedron", "Reals",
    "regions", "count_regions", "iter_regions", "Region", "RegionComplex", "decision_regions", "__version__",
    "region_at", "grow_regions", "local_complexity",
    "Plane", "Segment", "Path", "breakpoints", "transitions",
    *sorted(_LAZY_SUBMODULES),
]


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'cpa' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_SUBMODULES)
