"""Exact forms of the elementwise layers of evaluation-mode models.

Every layer that acts on each feature separately and is piecewise affine is
written in one of two exact forms, which both readers (PyTorch modules and
ONNX graphs) fold into a ReLU network the same way:

* :class:`ScaleShift`, ``x_i -> s_i x_i + t_i`` with no ReLU: BatchNorm in
  evaluation mode, Dropout in evaluation mode, Identity, and the degenerate
  cases of the activations below (``LeakyReLU(1)`` is the identity, a clamp
  with ``min > max`` is a constant);
* :class:`ReluSum`, ``x -> sum_k c_k relu(a_k x + d_k) + e``, the same on
  every feature: ReLU (one term), LeakyReLU and two-sided clamps (two terms,
  so the hidden layer they open has twice as many neurons as features).

Each constructor below states the identity it uses and its neuron count.
All numbers are exact :class:`~fractions.Fraction`; a float hyperparameter
must be turned into a Fraction by the caller, at the float value the
framework actually applies (see :mod:`cpa.fold`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence, Union

from ..errors import ShapeError
from ..numbers import ONE, ZERO

__all__ = ["ScaleShift", "ReluSum", "Elementwise", "identity", "scale", "relu", "leaky_relu", "clamp"]


@dataclass(frozen=True)
class ScaleShift:
    """The affine map ``x_i -> scale_i x_i + shift_i`` on each feature (no ReLU).

    Attributes
    ----------
    scale, shift
        Tuples of Fractions of one common length: ``n`` (one entry per feature)
        or 1 (the same entry for every feature).
    """

    scale: tuple[Fraction, ...]
    shift: tuple[Fraction, ...]

    def __post_init__(self) -> None:
        if len(self.scale) != len(self.shift) or not self.scale:
            raise ShapeError(f"ScaleShift: scale has {len(self.scale)} entries and shift {len(self.shift)}; "
                             "they need one common, nonzero length")

    @property
    def size(self) -> int | None:
        """The number of features it is made for, or None when it applies to any number."""
        return len(self.scale) if len(self.scale) > 1 else None

    def scales(self, n: int) -> tuple[tuple[Fraction, ...], tuple[Fraction, ...]]:
        """``(scale, shift)`` spelled out for ``n`` features.

        Raises
        ------
        ShapeError
            If the map is made for another number of features.
        """
        if len(self.scale) == 1:
            return self.scale * n, self.shift * n
        if len(self.scale) != n:
            raise ShapeError(f"it has {len(self.scale)} features but receives {n}")
        return self.scale, self.shift

    @property
    def is_identity(self) -> bool:
        return all(s == 1 for s in self.scale) and not any(self.shift)

    def __call__(self, values: Sequence[Fraction]) -> list[Fraction]:
        """Exact value at a point (one Fraction per feature)."""
        s, t = self.scales(len(values))
        return [a * x + c for a, x, c in zip(s, values, t)]


@dataclass(frozen=True)
class ReluSum:
    """The function ``x -> sum_k weights[k] relu(a_k x + d_k) + offset``, on every feature alike.

    Attributes
    ----------
    pieces
        The pairs ``(a_k, d_k)``: each is one ReLU neuron per feature, with
        pre-activation ``a_k x + d_k``.
    weights
        The ``c_k``, one per piece: the next layer reads the neurons with them.
    offset
        The constant ``e``.
    """

    pieces: tuple[tuple[Fraction, Fraction], ...]
    weights: tuple[Fraction, ...]
    offset: Fraction = ZERO

    def __post_init__(self) -> None:
        if len(self.pieces) != len(self.weights) or not self.pieces:
            raise ShapeError(f"ReluSum: {len(self.pieces)} pieces and {len(self.weights)} weights; "
                             "they need one common, nonzero length")

    @property
    def relus_per_feature(self) -> int:
        """``K``: the hidden layer it opens has ``K n`` neurons for ``n`` features."""
        return len(self.pieces)

    @property
    def is_relu(self) -> bool:
        """True for plain ``relu(x)``."""
        return self.pieces == ((ONE, ZERO),) and self.weights == (ONE,) and self.offset == 0

    def __call__(self, x: Fraction) -> Fraction:
        """Exact value at one number."""
        return sum((c * max(a * x + d, ZERO) for (a, d), c in zip(self.pieces, self.weights)), self.offset)


Elementwise = Union[ScaleShift, ReluSum]
"""An exact elementwise layer: :class:`ScaleShift` or :class:`ReluSum`."""


def identity() -> ScaleShift:
    """``x -> x``: Identity, and Dropout in evaluation mode (any ``p``).  No neuron.

    Examples
    --------
    >>> identity()([Fraction(3, 2)])
    [Fraction(3, 2)]
    """
    return ScaleShift((ONE,), (ZERO,))


def scale(c: Fraction) -> ScaleShift:
    """``x -> c x`` on every feature: a product by a constant number (``x / d`` is ``c = 1/d``).  No neuron.

    Examples
    --------
    >>> scale(Fraction(1, 4))([Fraction(2), Fraction(-1)])
    [Fraction(1, 2), Fraction(-1, 4)]
    """
    return ScaleShift((c,), (ZERO,))


def relu() -> ReluSum:
    """``x -> relu(x)``.  One neuron per feature."""
    return ReluSum(((ONE, ZERO),), (ONE,))


def leaky_relu(slope: Fraction) -> Elementwise:
    """``LeakyReLU(a)``: ``x`` for ``x >= 0``, ``a x`` for ``x < 0``.

    Parameters
    ----------
    slope
        ``a``, exact; any sign and size.

    Returns
    -------
    Elementwise
        ``relu(x) - a relu(-x)``: two neurons per feature.  ``a = 0`` is
        ``relu(x)`` (one neuron) and ``a = 1`` the identity (no neuron).

    Notes
    -----
    For ``x >= 0``: ``relu(x) - a relu(-x) = x - 0``; for ``x < 0``:
    ``0 - a (-x) = a x``.  The identity holds for every real ``a``
    (negative slopes and slopes above 1 included).

    Examples
    --------
    >>> f = leaky_relu(Fraction(1, 10))
    >>> f.relus_per_feature, f(Fraction(-3)), f(Fraction(2))
    (2, Fraction(-3, 10), Fraction(2, 1))
    """
    a = Fraction(slope)
    if a == 0:
        return relu()
    if a == 1:
        return identity()
    return ReluSum(((ONE, ZERO), (-ONE, ZERO)), (ONE, -a))


def clamp(lo: Fraction | None, hi: Fraction | None) -> Elementwise:
    """``clamp(x, lo, hi) = min(max(x, lo), hi)``: Hardtanh, ReLU6, ONNX ``Clip``.

    Parameters
    ----------
    lo, hi
        The bounds, exact; None for no bound on that side.

    Returns
    -------
    Elementwise
        * both bounds, ``lo < hi``: ``relu(x - lo) - relu(x - hi) + lo``, two
          neurons per feature;
        * ``lo`` only: ``relu(x - lo) + lo``, one neuron (``relu`` for ``lo = 0``);
        * ``hi`` only: ``hi - relu(hi - x)``, one neuron;
        * ``lo >= hi``: the constant ``hi`` (``max`` is applied last, as in
          ``torch.clamp`` and ONNX ``Clip``); no bound: the identity.

    Notes
    -----
    Two-sided: for ``x <= lo`` both ReLUs are 0 and the value is ``lo``; for
    ``lo <= x <= hi`` it is ``(x - lo) + lo = x``; for ``x >= hi`` it is
    ``(x - lo) - (x - hi) + lo = hi``.

    Examples
    --------
    >>> f = clamp(Fraction(-1), Fraction(2))
    >>> [f(Fraction(v)) for v in (-5, 1, 7)]
    [Fraction(-1, 1), Fraction(1, 1), Fraction(2, 1)]
    """
    if lo is None and hi is None:
        return identity()
    if lo is not None and hi is not None and lo >= hi:
        return ScaleShift((ZERO,), (Fraction(hi),))
    if hi is None:
        return ReluSum(((ONE, -Fraction(lo)),), (ONE,), Fraction(lo))           # type: ignore[arg-type]
    if lo is None:
        return ReluSum(((-ONE, Fraction(hi)),), (-ONE,), Fraction(hi))
    return ReluSum(((ONE, -Fraction(lo)), (ONE, -Fraction(hi))), (ONE, -ONE), Fraction(lo))
