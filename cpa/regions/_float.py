"""Certified float64 sign filter for pre-activations at exact points.

A point with homogeneous integer coordinates ``P = (X, t)`` is scaled by a
power of two into ``[-1, 1]`` and rounded to float64 (:func:`scaled_floats`),
each entry *correctly rounded* from its exact value: the error of every entry
is at most ``2^-53`` relative plus ``2^-1075`` absolute (underflow), whatever
the spread of magnitudes among the entries.  (Shifting low bits off the
integers instead would floor small entries to 0 with an error far above that
bound, and the filter would then certify wrong signs.)  Pre-activations are
positively homogeneous in ``P`` (relu is), so their signs at the scaled point
are the true signs.

:class:`FloatFilter` runs the network in float64 on such points and returns,
with every value ``z^``, a bound ``E`` with ``|z - z^| <= E`` where ``z`` is the
exact value at the exactly scaled point.  The bound uses the standard model of
floating-point dot products (``|fl(w . h) - w . h| <= gamma_n |w| . |h|``, any
summation order, with or without FMA), the rounding of weights to float64
(relative ``2^-53``, and absolute ``2^-1075`` for weights that underflow, which
matters after layers that make values large), and propagation through relu,
which is 1-Lipschitz.  A weight beyond the float64 range becomes infinite, and
every value it touches is then undecided (``inf`` or NaN).  Every term is
over-estimated at least twofold, which also covers the rounding of the bound's
own computation.  A sign is *decided* only when ``|z^| > E``; otherwise the
caller computes it exactly.  A NaN or infinity never decides.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["FloatFilter", "scaled_floats"]

_U = 2.0 ** -52
_TINY = 2.0 ** -1000
_SPARSE_BELOW = 0.125            # a layer with fewer nonzero weights than this fraction is multiplied sparsely
_WEIGHT_UNDERFLOW = 2.0 ** -1070   # > n * 2^-1075 for the absolute rounding error of underflowing weights


def scaled_floats(P: Sequence[int]) -> list[float]:
    """``P * 2^-e`` correctly rounded to float64, with ``e`` the bit length of ``max |P_i|``.

    Python's ``int / int`` is correctly rounded (subnormals included), so each entry is
    within ``2^-53`` relative plus ``2^-1075`` absolute of its exact value.

    Examples
    --------
    >>> scaled_floats([2**700, 1, 0])[1] == 2.0**-701
    True
    """
    e = max(abs(v) for v in P).bit_length()
    if e <= 1000:
        return [math.ldexp(float(v), -e) for v in P]     # float(v) is correctly rounded, ldexp exact or underflows
    den = 1 << e
    return [v / den for v in P]


class FloatFilter:
    """Float64 pre-activations with rigorous error bounds (see the module docstring).

    Parameters
    ----------
    Wf
        Each layer's weights rounded to float64, dense arrays or scipy sparse matrices.  A
        layer with fewer than one nonzero in eight is multiplied sparsely (convolutions and
        poolings unrolled; their dense products would cost ``n_l n_{l-1}`` per point).
    bf
        Each layer's biases rounded to float64.

    Notes
    -----
    Row ``i`` of a layer sums ``k_i`` nonzero products; zero weights add exact zeros (with or
    without FMA), so the dot product's error is at most ``gamma_k |w| . |h|`` with
    ``k = max_i k_i`` (Higham 2002, section 3.1), whatever the summation order, dense or
    sparse.  The constant below takes ``k + 8`` terms, doubled.

    References
    ----------
    N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM, 2002.
    """

    def __init__(self, Wf: Sequence[Any], bf: Sequence[np.ndarray]):
        self.W: list[Any] = []       # dense (n_l, n_{l-1}) arrays, or CSR matrices
        self.WT: list[Any] = []      # dense transposes, or None for sparse layers
        self.absW: list[Any] = []
        k_max = []
        row_abs = []
        for W in Wf:
            if sp.issparse(W):
                W = sp.csr_matrix(W)
                m, n = W.shape
                if W.nnz >= _SPARSE_BELOW * m * n:
                    W = W.toarray()
            else:
                W = np.asarray(W, dtype=float)
            if sp.issparse(W):
                self.W.append(W)
                self.WT.append(None)
                self.absW.append(abs(W))
                k_max.append(int(np.diff(W.indptr).max(initial=0)))
                row_abs.append(np.asarray(abs(W).sum(axis=1)).ravel())
            else:
                self.W.append(W)
                self.WT.append(np.ascontiguousarray(W.T))
                self.absW.append(np.abs(self.WT[-1]))
                k_max.append(int(np.count_nonzero(W, axis=1).max(initial=0)))
                row_abs.append(np.abs(W).sum(axis=1))
        self.b = [np.asarray(b, dtype=float) for b in bf]
        self.absb = [np.abs(b) for b in self.b]
        self.const = [(k + 8) * 2 * _U for k in k_max]
        self.tiny = [_TINY * (1.0 + r + np.abs(b)) for r, b in zip(row_abs, self.b)]

    def _times(self, l: int, A: np.ndarray, absolute: bool = False) -> np.ndarray:
        """``A @ W_l^T`` (or ``A @ |W_l|^T``), dense or sparse."""
        if self.WT[l] is None:
            W = self.absW[l] if absolute else self.W[l]
            return np.asarray((W @ A.T).T)
        return A @ (self.absW[l] if absolute else self.WT[l])

    def first(self, Ph: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Layer-0 values and bounds at scaled points ``Ph`` (rows ``(X^, t^)``)."""
        with np.errstate(over="ignore", invalid="ignore"):   # inf and NaN are undecided values
            return self._first(Ph)

    def _first(self, Ph: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = Ph[:, :-1]
        t = Ph[:, -1:]
        Z = self._times(0, X) + t * self.b[0]
        mag = self._times(0, np.abs(X), True) + np.abs(t) * self.absb[0]
        E = self.const[0] * mag + self.tiny[0]
        return Z, E

    def step(self, l: int, Z: np.ndarray, E: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Layer-``l`` values and bounds from layer ``l - 1`` values ``Z`` with bounds ``E``."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self._step(l, Z, E, t)

    def _step(self, l: int, Z: np.ndarray, E: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        H = np.maximum(Z, 0.0)
        tt = t.reshape(-1, 1)
        Zn = self._times(l, H) + tt * self.b[l]
        HE = H + E
        mag = self._times(l, HE, True) + np.abs(tt) * self.absb[l]
        under = _WEIGHT_UNDERFLOW * HE.sum(axis=1, keepdims=True)
        En = self._times(l, E, True) * (1.0 + 2.0 ** -40) + self.const[l] * mag + self.tiny[l] + under
        return Zn, En

    def upto(self, l: int, Ph: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Layer-``l`` values and bounds at scaled points ``Ph``."""
        Z, E = self.first(Ph)
        for k in range(1, l + 1):
            Z, E = self.step(k, Z, E, Ph[:, -1])
        return Z, E

    @staticmethod
    def signs(Z: np.ndarray, E: np.ndarray) -> np.ndarray:
        """+1 / -1 where decided, 0 where not (to be settled exactly)."""
        s = np.zeros(Z.shape, dtype=np.int8)
        s[Z > E] = 1
        s[Z < -E] = -1
        return s
