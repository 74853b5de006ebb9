"""Adjacency of regions from their interior facets, and the union-find that joins
adjacent regions (or pieces) into affine pieces.

Regions of a ReLU network are face-to-face across facets (see
:mod:`cpa.regions._cells`): an interior facet of one region is a facet of
exactly one other region, with the same exact vertex set.  So the adjacent
pairs are found by matching facet keys, each key seen exactly twice.
"""

from __future__ import annotations

from typing import Callable, Hashable, Iterable

__all__ = ["pairs_by_facet_keys", "UnionFind"]


def pairs_by_facet_keys(n: int, keys_of: Callable[[int], Iterable[Hashable]],
                        subset: Iterable[int] | None = None) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of regions that have an interior facet key in common.

    ``keys_of(i)`` yields the keys of region ``i``'s interior facets.  Over all ``n``
    regions (``subset`` None) every key must be matched; an unmatched one would
    contradict face-to-faceness and raises AssertionError.
    """
    seen: dict[Hashable, int] = {}
    pairs = []
    for i in (range(n) if subset is None else subset):
        for key in keys_of(i):
            j = seen.pop(key, None)
            if j is None:
                seen[key] = i
            else:
                pairs.append((j, i))
    if subset is None and seen:   # pragma: no cover - would contradict face-to-faceness
        raise AssertionError(f"{len(seen)} interior facets have no neighbour; please report this network")
    return pairs


class UnionFind:
    """Disjoint sets over ``0 .. n-1`` (path halving); ``union`` returns True if two sets merged."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        parent = self.parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True
