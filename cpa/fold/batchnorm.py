"""Batch normalization in evaluation mode as an exact per-feature affine map.

In evaluation mode, with running statistics, batch normalization computes

.. math:: y_i = \\gamma_i \\frac{x_i - \\mu_i}{\\sqrt{\\sigma^2_i + \\varepsilon}} + \\beta_i

on each feature (channel) ``i`` (Ioffe and Szegedy, 2015).  The square root
is not rational, so it is the one step taken in floating point, the way the
frameworks take it; everything else is exact:

* ``s_i = fl(sqrt(fl(var_i + fl(eps))))``, in the float type of the running
  variance (float32 for a float32 model, float64 for a float64 model):
  ``eps`` is rounded to that type, added to ``var_i`` with one rounding, and
  the square root is the correctly rounded IEEE one.  This is the
  ``sqrt(var + eps)`` of PyTorch's CPU batch-norm kernel (``std::sqrt`` in
  ``opmath`` type, which is the parameter type for float32 and float64).
  It is not always ``torch.sqrt(running_var + eps)``: torch's vectorized
  float32 square root is sometimes one unit in the last place off;
* ``s_i`` is then taken at its exact binary value, and
  ``scale_i = gamma_i / s_i`` and ``shift_i = beta_i - scale_i mu_i`` are
  exact rationals (PyTorch goes on in float: ``1/s``, products and sums
  rounded; the network read is the real-number function of the formula
  above with this ``s``).

References
----------
S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep network
training by reducing internal covariate shift", ICML 2015.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..errors import FormatError
from .elementwise import ScaleShift

__all__ = ["float_sqrt", "batch_norm"]


def float_sqrt(var: Fraction, eps: Fraction, kind: str) -> Fraction:
    """``fl(sqrt(fl(var + fl(eps))))`` in ``kind`` arithmetic, as an exact Fraction.

    Parameters
    ----------
    var
        A running variance, a ``kind`` float (its exact value).
    eps
        The epsilon of the layer (any rational; rounded to ``kind`` first).
    kind
        ``"float32"`` or ``"float64"``.

    Returns
    -------
    Fraction
        The exact value of the float square root.

    Raises
    ------
    FormatError
        If ``var + eps`` is negative or zero (no finite normalization).

    Examples
    --------
    >>> float_sqrt(Fraction(1), Fraction(1e-5), "float32")
    Fraction(4194325, 4194304)
    >>> float_sqrt(Fraction(4), Fraction(0), "float64")
    Fraction(2, 1)
    """
    if kind == "float32":
        with np.errstate(all="ignore"):
            s = float(np.sqrt(np.float32(float(var)) + np.float32(float(eps))))
    elif kind == "float64":
        total = float(var) + float(eps)
        s = math.sqrt(total) if total >= 0 else math.nan
    else:
        raise FormatError(f"batch normalization in {kind} arithmetic is not modelled; "
                          "use a float32 or float64 model")
    if not s > 0 or not math.isfinite(s):
        raise FormatError(f"running_var + eps = {float(var)} + {float(eps)} gives sqrt = {s}: "
                          "the normalization divides by it, so it must be positive")
    return Fraction(s)


def batch_norm(gamma: Sequence[Fraction] | None, beta: Sequence[Fraction] | None,
               mean: Sequence[Fraction], var: Sequence[Fraction], eps: Fraction, kind: str) -> ScaleShift:
    """The exact per-feature map of batch normalization in evaluation mode.

    Parameters
    ----------
    gamma, beta
        The affine parameters (None for a layer without them: 1 and 0).
    mean, var
        The running statistics.
    eps
        The layer's epsilon.
    kind
        The float type in which ``sqrt(var + eps)`` is taken: ``"float32"`` or ``"float64"``.

    Returns
    -------
    ScaleShift
        ``scale_i = gamma_i / s_i`` and ``shift_i = beta_i - scale_i mean_i``
        with ``s_i`` from :func:`float_sqrt` (see the module docstring).

    Raises
    ------
    FormatError
        If the parameters do not have one common length, or ``var_i + eps <= 0``.

    Examples
    --------
    >>> f = batch_norm([Fraction(2)], [Fraction(1)], [Fraction(3)], [Fraction(4)], Fraction(0), "float64")
    >>> f.scale, f.shift
    ((Fraction(1, 1),), (Fraction(-2, 1),))
    """
    n = len(mean)
    g = list(gamma) if gamma is not None else [Fraction(1)] * n
    b = list(beta) if beta is not None else [Fraction(0)] * n
    if not len(g) == len(b) == len(var) == n or n == 0:
        raise FormatError(f"batch normalization parameters of lengths weight {len(g)}, bias {len(b)}, "
                          f"running_mean {n}, running_var {len(var)}: they need one common, nonzero length")
    scale, shift = [], []
    for i in range(n):
        try:
            s = float_sqrt(var[i], eps, kind)
        except FormatError as e:
            raise FormatError(f"feature {i}: {e}") from None
        c = g[i] / s
        scale.append(c)
        shift.append(b[i] - c * mean[i])
    return ScaleShift(tuple(scale), tuple(shift))
