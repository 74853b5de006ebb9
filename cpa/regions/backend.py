"""What a region engine hands to :class:`~cpa.regions.RegionComplex`: the backend protocol.

An engine enumerates the regions and returns a *backend*: an object that answers
per-region queries by index, lazily, from whatever compact form the engine keeps
(vertex tables, breakpoints, polygons).  :class:`RegionBackend` states what every
backend offers; :class:`BackendBase` gives the queries that can be derived from the
others (affine pieces from equal maps and adjacency), so an engine only writes what
it knows better.

Adding an engine means one module that returns a backend, and one row in
:data:`cpa.regions.engines.ENGINES`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Iterable, Protocol, runtime_checkable

import numpy as np

__all__ = ["RegionBackend", "BackendBase", "AffineMapTuple", "HRep"]

AffineMapTuple = tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]
HRep = tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]


@runtime_checkable
class RegionBackend(Protocol):
    """Per-region queries of an enumerated complex (regions are indexed ``0 .. len - 1``).

    Every answer is exact.  ``stats`` is a dict of the engine's counters.
    """

    stats: dict[str, Any]

    def __len__(self) -> int: ...

    def pattern(self, i: int) -> tuple[tuple[bool, ...], ...]:
        """Activation pattern of region ``i`` (per hidden layer, pre-activation > 0)."""

    def affine_map(self, i: int) -> AffineMapTuple:
        """Exact ``(A, c)``: the output is ``A x + c`` on region ``i``."""

    def map_key(self, i: int) -> Any:
        """A hashable key, equal for two regions iff their affine maps are equal."""

    def hrep(self, i: int) -> HRep:
        """Irredundant exact ``(A, b)`` with the region's closure ``{x : A x <= b}``."""

    def witness(self, i: int) -> tuple[Fraction, ...]:
        """An exact point strictly inside region ``i``."""

    def is_bounded(self, i: int) -> bool: ...

    def bounded_mask(self) -> np.ndarray:
        """Boolean array: which regions are bounded."""

    def vertices(self, i: int) -> tuple[tuple[Fraction, ...], ...]:
        """Exact finite vertices of the region's closure."""

    def volume(self, i: int) -> Fraction:
        """Exact volume (raises :class:`~cpa.errors.DomainError` when unbounded)."""

    def adjacency(self, subset: Iterable[int] | None = None) -> list[tuple[int, int]]:
        """Pairs of regions sharing a (d-1)-dimensional facet (among ``subset`` if given)."""

    def equal_map_groups(self) -> list[list[int]]:
        """Regions grouped by equal affine map."""

    def piece_labels(self) -> np.ndarray:
        """Affine piece of every region (labels ``0 .. pieces - 1`` in order of first region)."""


class BackendBase:
    """Defaults for the derived queries of :class:`RegionBackend`."""

    stats: dict[str, Any]

    def bounded_mask(self) -> np.ndarray:
        return np.array([self.is_bounded(i) for i in range(len(self))], dtype=bool)  # type: ignore[attr-defined]

    def equal_map_groups(self) -> list[list[int]]:
        groups: dict[Any, list[int]] = {}
        for i in range(len(self)):  # type: ignore[arg-type]
            groups.setdefault(self.map_key(i), []).append(i)  # type: ignore[attr-defined]
        return list(groups.values())

    def piece_labels(self) -> np.ndarray:
        """Union regions with equal exact maps that share a facet (union-find), then label."""
        from ._adjacency import UnionFind

        n = len(self)  # type: ignore[arg-type]
        uf = UnionFind(n)
        for members in self.equal_map_groups():
            if len(members) < 2:
                continue
            for a, b in self.adjacency(members):  # type: ignore[attr-defined]
                uf.union(a, b)
        roots: dict[int, int] = {}
        lab = np.empty(n, dtype=np.int64)
        for i in range(n):
            r = uf.find(i)
            if r not in roots:
                roots[r] = len(roots)
            lab[i] = roots[r]
        return lab
