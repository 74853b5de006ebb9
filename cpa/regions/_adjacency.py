"""Adjacency of regions from their interior facets.

Regions of a ReLU network are face-to-face across facets (see
:mod:`cpa.regions._cells`): an interior facet of one region is a facet of
exactly one other region, with the same exact vertex set.  So the adjacent
pairs are found by matching facet keys, each key seen exactly twice.
"""

from __future__ import annotations

from typing import Callable, Hashable, Iterable

__all__ = ["pairs_by_facet_keys"]


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
