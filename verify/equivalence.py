"""``verify.equivalent``: exact equality of two networks or specs on a domain.

The decision procedure lives in :mod:`cpa.equivalence` (the compiler uses it
for ``check=True``); this is the checker-facing name.
"""

from cpa.equivalence import Equivalence as Equivalence, equivalent as equivalent

__all__ = ["equivalent", "Equivalence"]
