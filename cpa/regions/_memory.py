"""A memory guard for long enumerations: stop with a clear error instead of being killed.

The vertex engine keeps every cell's vertices and edges; in higher input
dimensions their number grows quickly (about 220 bytes per cell-vertex
incidence at the peak of a step, measured on [5, 16, 16, 1]: 7 million
incidences, 1.5 GB).  The operating system kills a process that runs out of
memory without a word, so the engine reads its own resident set size after
every neuron and stops with :class:`~cpa.errors.EnumerationLimitError` past a
budget: by default 40% of the machine's physical memory, since one step can
more than double what is held (measured on [8, 12, 12, 1]: 10.8 GB held,
the next step asked for 7 GB more).
"""

from __future__ import annotations

import os

__all__ = ["resident_bytes", "default_budget"]


def resident_bytes() -> int | None:
    """Resident set size of this process in bytes (Linux ``/proc``; peak RSS elsewhere), or None."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    except (ImportError, OSError, AttributeError, ValueError):
        return None


def default_budget() -> int | None:
    """40% of physical memory in bytes, or None when it cannot be read."""
    try:
        return int(0.4 * os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):
        return None
