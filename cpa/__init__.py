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
from .compiler import compile as compile, compile_with_report as compile_with_report

__version__ = "0.1.0"
from .domains import Box as Box, Polyhedron as Polyhedron, Reals as Reals
from .regions import regions as regions, count_regions as count_regions, Region as Region, RegionComplex as RegionComplex
