"""Test configuration.

How to write tests here: plain functions, ``parametrize`` for tables, and
hypothesis for properties (use the strategies in ``tests/strategies.py``).
Every theorem is asserted with exact integers or Fractions, never floats.
Property tests run 200 examples in CI (``CI=true``) and 50 locally.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
