"""Exact, certified enumeration of the linear regions of ReLU networks.

>>> from cpa import ReLUNetwork
>>> from cpa.domains import Box
>>> from cpa.regions import count_regions
>>> identity = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, -1]], [0])])   # relu(x) - relu(-x) = x
>>> c = count_regions(identity, Box([-1], [1]))
>>> c.activation_regions, c.affine_pieces
(2, 1)

See :mod:`cpa.regions.api` for the entry points, :mod:`cpa.regions.complex` for
:class:`Region` and :class:`RegionComplex`, :mod:`cpa.regions._vertex` and
:mod:`cpa.regions._line` for the algorithms and their guarantees.
"""

from __future__ import annotations

from .api import (
    FoundRegion as FoundRegion,
    count_regions as count_regions,
    iter_regions as iter_regions,
    regions as regions,
)
from .complex import Region as Region, RegionComplex as RegionComplex, RegionCount as RegionCount

__all__ = ["regions", "count_regions", "iter_regions", "FoundRegion", "Region", "RegionComplex", "RegionCount"]
