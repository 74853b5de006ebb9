"""Textbook ReLU constructions, each an exact :class:`cpa.ReLUNetwork` naming the theorem it realises.

======================================  ===============================================
construction                            theorem
======================================  ===============================================
``sawtooth``, ``sawtooth_telgarsky``,   Telgarsky 2015/2016: ``m^k`` has ``2^k`` pieces
``tent_map``
``montufar``, ``montufar_reference``    Montufar et al. 2014 lower bound (folding)
``serra_zigzag``                        Serra et al. 2018 Thm 5: ``prod (n_l + 1)`` in 1-D
``arora_zonotope``                      Arora et al. 2018 Thm 3.9 (zonotope family)
``one_hidden_layer_general_position``   Zaslavsky 1975: ``sum_{j<=d} C(n, j)`` regions
``hat_1d``, ``courant_hat_2d``,         He et al. 2020: FEM hats; 2 hidden layers in 2-D
``fem_hat_2d``
``identity_net``, ``abs_net``,          gadget identities (exact, each stated in its docstring)
``soft_threshold``, ``clipped_ramp``,
``max_tree``                            Arora et al. 2018 Thm 2.1 (max of M, depth)
``dc_split_1d``                         Kripfganz-Schulze 1987: a 1-D CPA function as ``g - h``
``tropical_decomposition``              Zhang-Naitzat-Lim 2018: a network as ``F - G``
======================================  ===============================================

The gadgets are defined once, in :mod:`cpa.gadgets`, and re-exported here under the
names of this package: ``identity_net`` is :func:`cpa.gadgets.relu_identity`,
``abs_net`` :func:`cpa.gadgets.abs_1d`, ``max_tree`` :func:`cpa.gadgets.max_of`, and
``hat_1d``, ``soft_threshold``, ``clipped_ramp`` keep their names.
"""

from __future__ import annotations

from cpa.gadgets import (
    abs_1d as abs_net,
    clipped_ramp as clipped_ramp,
    hat_1d as hat_1d,
    max_of as max_tree,
    relu_identity as identity_net,
    soft_threshold as soft_threshold,
)

from .dc_split import dc_split_1d as dc_split_1d
from .general_position import one_hidden_layer_general_position as one_hidden_layer_general_position
from .hats import courant_hat_2d as courant_hat_2d, fem_hat_2d as fem_hat_2d
from .montufar import montufar as montufar, montufar_reference as montufar_reference
from .sawtooth import sawtooth as sawtooth, sawtooth_telgarsky as sawtooth_telgarsky, tent_map as tent_map
from .serra import serra_zigzag as serra_zigzag
from .tropical import tropical_decomposition as tropical_decomposition
from .zonotope import arora_zonotope as arora_zonotope

__all__ = [
    "sawtooth", "sawtooth_telgarsky", "tent_map",
    "montufar", "montufar_reference",
    "serra_zigzag",
    "arora_zonotope",
    "one_hidden_layer_general_position",
    "hat_1d", "courant_hat_2d", "fem_hat_2d",
    "identity_net", "abs_net", "soft_threshold", "clipped_ramp", "max_tree",
    "dc_split_1d", "tropical_decomposition",
]
