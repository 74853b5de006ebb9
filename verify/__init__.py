"""Checkers: exact equivalence, the theorem table and bound checks.

They return results and never assert; the tests assert on what they return.
"""

from .theorems import theorems as theorems, TheoremRow as TheoremRow
from .equivalence import equivalent as equivalent, Equivalence as Equivalence
