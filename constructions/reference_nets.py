"""The six reference networks R1..R6 used by the region benchmarks.

R1..R5 are random He-initialised networks generated from a seed:

.. code-block:: python

    rng = numpy.random.default_rng(seed)
    for fan_in, fan_out in consecutive pairs of widths:
        W = rng.normal(0, 1, (fan_out, fan_in)) * sqrt(2 / fan_in)
        b = rng.normal(0, 0.1, fan_out)

Every float64 weight is taken at its exact binary value (a dyadic rational),
so the networks are exact.  The domain is ``[-1, 1]^d``.  R6 is the compact
sawtooth ``m^6`` (:func:`constructions.sawtooth.sawtooth`) on ``[0, 1]``.

========  ==================  ======  ===============================
name      widths              seed    activation regions on the box
========  ==================  ======  ===============================
R1        [1, 8, 8, 1]        1001    19
R2        [2, 8, 8, 1]        1002    131
R3        [2, 16, 16, 16, 1]  1003    1030
R4        [3, 10, 10, 1]      1004    782
R5        [4, 12, 12, 1]      1005    12202
R6        sawtooth(6)         --      64 (= 2^6 affine pieces)
========  ==================  ======  ===============================
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cpa.network import ReLUNetwork

__all__ = ["REFERENCE_SPECS", "reference_network", "reference_domain", "reference_names"]

#: name -> (widths, seed, expected activation-region count on the reference box)
REFERENCE_SPECS: dict[str, tuple[tuple[int, ...], int | None, int]] = {
    "R1": ((1, 8, 8, 1), 1001, 19),
    "R2": ((2, 8, 8, 1), 1002, 131),
    "R3": ((2, 16, 16, 16, 1), 1003, 1030),
    "R4": ((3, 10, 10, 1), 1004, 782),
    "R5": ((4, 12, 12, 1), 1005, 12202),
    "R6": ((1, 2, 2, 2, 2, 2, 2, 1), None, 64),
}


def reference_names() -> tuple[str, ...]:
    """The names ``("R1", ..., "R6")``."""
    return tuple(REFERENCE_SPECS)


def random_relu_weights(widths: tuple[int, ...] | list[int], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """He-initialised float64 weights ``[(W0, b0), (W1, b1), ...]`` for ``widths``, from ``seed``."""
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        W = rng.normal(0, 1, (fan_out, fan_in)) * math.sqrt(2 / fan_in)
        b = rng.normal(0, 0.1, fan_out)
        layers.append((W, b))
    return layers


def reference_network(name: str) -> ReLUNetwork:
    """The exact reference network ``name`` (``"R1"`` .. ``"R6"``).

    Raises
    ------
    KeyError
        If ``name`` is not one of the six names.

    Examples
    --------
    >>> reference_network("R2").architecture
    (2, 8, 8, 1)
    """
    key = name.upper() if isinstance(name, str) else name
    if key not in REFERENCE_SPECS:
        raise KeyError(f"unknown reference network {name!r}; expected one of {', '.join(REFERENCE_SPECS)}")
    widths, seed, _ = REFERENCE_SPECS[key]
    if seed is None:
        from .sawtooth import sawtooth

        return sawtooth(6)
    return ReLUNetwork(random_relu_weights(widths, seed))


def reference_domain(name: str) -> Any:
    """The reference box: ``[-1, 1]^d`` for R1..R5, ``[0, 1]`` for R6 (a :class:`cpa.domains.Box`)."""
    from cpa.domains import Box

    key = name.upper()
    if key not in REFERENCE_SPECS:
        raise KeyError(f"unknown reference network {name!r}; expected one of {', '.join(REFERENCE_SPECS)}")
    widths = REFERENCE_SPECS[key][0]
    if key == "R6":
        return Box([0], [1])
    d = widths[0]
    return Box([-1] * d, [1] * d)
