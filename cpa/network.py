"""Exact ReLU networks.

A :class:`ReLUNetwork` with layers ``(W_0, b_0), ..., (W_L, b_L)`` computes

.. math:: f(x) = W_L\\,\\sigma(W_{L-1} \\cdots \\sigma(W_0 x + b_0) \\cdots + b_{L-1}) + b_L,

with :math:`\\sigma = \\mathrm{relu}` applied after every layer but the last.
Its *depth* is the number of hidden (ReLU) layers, ``L``; a network with a
single layer is an affine map.  Weights are exact Fractions, stored sparsely.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

import numpy as np

from .errors import ShapeError
from .numbers import ZERO, to_matrix, to_rational, to_vector
from .affine import Affine
from .sparse import SparseMatrix, float_or_inf

__all__ = ["ReLUNetwork", "Layer"]

JSON_FORMAT = "cpa.relu_network"


Layer = Affine
"""A network layer ``x -> W x + b`` before its ReLU: an :class:`~cpa.affine.Affine` (sparse ``W``)."""


def _read_layer(i: int, pair: Any) -> Affine:
    if isinstance(pair, Affine):
        return pair
    try:
        W, b = pair
    except (TypeError, ValueError):
        raise ShapeError(f"layer {i}: expected a (W, b) pair") from None
    if isinstance(W, SparseMatrix):
        Ws = W
    else:
        Ws = SparseMatrix.from_dense(to_matrix(W, f"layer {i} W"), _ncols(W, i))
    bv = to_vector(b, f"layer {i} b")
    if len(bv) != Ws.shape[0]:
        raise ShapeError(f"layer {i}: W has {Ws.shape[0]} rows but b has {len(bv)} entries")
    if Ws.shape[0] == 0:
        raise ShapeError(f"layer {i}: W has no rows; a layer needs at least one output")
    return Affine(Ws, bv)


def _ncols(W: Any, i: int) -> int:
    shape = getattr(W, "shape", None)
    if shape is not None and len(shape) == 2:
        return int(shape[1])
    rows = list(W)
    if not rows:
        raise ShapeError(f"layer {i}: W has no rows; a layer needs at least one output")
    return len(rows[0])


class ReLUNetwork:
    """A feed-forward ReLU network with exact rational weights.

    Parameters
    ----------
    layers
        A sequence of ``(W, b)`` pairs, ``W`` of shape ``(n_out, n_in)`` (nested
        sequences, numpy arrays or :class:`~cpa.sparse.SparseMatrix`) and ``b``
        of length ``n_out``.  ReLU follows every layer but the last.

    Raises
    ------
    ShapeError
        If shapes do not chain; the message names the layer index.
    InvalidNumberError
        If an entry is NaN, infinite or not a number; the message names it.

    Examples
    --------
    >>> net = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])   # |x|
    >>> net([Fraction(-3, 2)])
    (Fraction(3, 2),)
    """

    __slots__ = ("_layers", "_dense", "_float", "_hash")

    def __init__(self, layers: Sequence[Any]):
        if isinstance(layers, ReLUNetwork):
            layers = layers._layers
        items = list(layers)
        if not items:
            raise ShapeError("a network needs at least one layer")
        ls = [_read_layer(i, p) for i, p in enumerate(items)]
        for i in range(1, len(ls)):
            if ls[i].W.shape[1] != ls[i - 1].W.shape[0]:
                raise ShapeError(
                    f"layer {i}: W has {ls[i].W.shape[1]} columns but layer {i - 1} has "
                    f"{ls[i - 1].W.shape[0]} outputs")
        self._layers: tuple[Affine, ...] = tuple(ls)
        self._dense: Any = None
        self._float: Any = None
        self._hash: int | None = None

    # --- structure -------------------------------------------------------
    @property
    def affine_layers(self) -> tuple[Affine, ...]:
        """The layers as :class:`~cpa.affine.Affine` maps (sparse exact weights)."""
        return self._layers

    @property
    def layers(self) -> tuple[tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]], ...]:
        """The layers as exact dense ``(W, b)`` pairs of tuples of Fractions."""
        if self._dense is None:
            self._dense = tuple((L.W.to_dense(), L.b) for L in self._layers)
        return self._dense

    @property
    def input_dim(self) -> int:
        return self._layers[0].W.shape[1]

    @property
    def output_dim(self) -> int:
        return self._layers[-1].W.shape[0]

    @property
    def widths(self) -> tuple[int, ...]:
        """Hidden widths ``(n_1, ..., n_L)``."""
        return tuple(L.W.shape[0] for L in self._layers[:-1])

    @property
    def architecture(self) -> tuple[int, ...]:
        """``(n_0, n_1, ..., n_L, n_out)``: input, hidden and output widths."""
        return (self.input_dim, *self.widths, self.output_dim)

    @property
    def depth(self) -> int:
        """Number of hidden (ReLU) layers."""
        return len(self._layers) - 1

    @property
    def num_neurons(self) -> int:
        """Number of hidden neurons ``N = sum(widths)``."""
        return sum(self.widths)

    @property
    def num_connections(self) -> int:
        """Number of nonzero weights (biases not counted)."""
        return sum(L.W.nnz for L in self._layers)

    def size_report(self) -> dict[str, Any]:
        return {"input_dim": self.input_dim, "output_dim": self.output_dim, "depth": self.depth,
                "widths": list(self.widths), "neurons": self.num_neurons,
                "connections": self.num_connections}

    # --- composition with affine maps -------------------------------------
    def __matmul__(self, other: Any) -> "ReLUNetwork":
        """``net @ f``: the network applied after the affine map ``f`` (``x -> net(f(x))``).

        ``f`` is folded into the first layer, exactly; the depth and widths are unchanged.
        This is how a plane, a segment or any affine slice of input space becomes a network
        on the slice's own coordinates.

        Examples
        --------
        >>> absx = ReLUNetwork([([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
        >>> line = Affine([[2], [1]], [0, 1])              # t -> (2t, t + 1)
        >>> absx_of_first = ReLUNetwork([([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [0])])
        >>> (absx_of_first @ line)([Fraction(-3)])
        (Fraction(6, 1),)
        """
        if not isinstance(other, Affine):
            return NotImplemented
        first = self._layers[0]
        if other.output_dim != first.input_dim:
            raise ShapeError(f"cannot compose: the network takes R^{first.input_dim}, the affine map gives "
                             f"R^{other.output_dim}")
        return ReLUNetwork([first @ other, *self._layers[1:]])

    def __rmatmul__(self, other: Any) -> "ReLUNetwork":
        """``f @ net``: the affine map ``f`` applied to the network's output, folded into the last layer."""
        if not isinstance(other, Affine):
            return NotImplemented
        last = self._layers[-1]
        if other.input_dim != last.output_dim:
            raise ShapeError(f"cannot compose: the network gives R^{last.output_dim}, the affine map takes "
                             f"R^{other.input_dim}")
        return ReLUNetwork([*self._layers[:-1], other @ last])

    # --- evaluation ------------------------------------------------------
    def __call__(self, x: Sequence[Any]) -> tuple[Fraction, ...]:
        """Exact value at a rational point ``x`` (a sequence of length ``input_dim``)."""
        if not hasattr(x, "__len__") or isinstance(x, str):
            x = [x]
        v = [to_rational(t, f"input[{i}]") for i, t in enumerate(x)]
        if len(v) != self.input_dim:
            raise ShapeError(f"input has {len(v)} entries, the network expects {self.input_dim}")
        last = len(self._layers) - 1
        for k, L in enumerate(self._layers):
            v = L.apply(v)
            if k < last:
                v = [t if t > 0 else ZERO for t in v]
        return tuple(v)

    def activation_pattern(self, x: Sequence[Any]) -> tuple[tuple[bool, ...], ...]:
        """Which neurons are active (pre-activation > 0) at the exact point ``x``."""
        if not hasattr(x, "__len__") or isinstance(x, str):
            x = [x]
        v = [to_rational(t, f"input[{i}]") for i, t in enumerate(x)]
        if len(v) != self.input_dim:
            raise ShapeError(f"input has {len(v)} entries, the network expects {self.input_dim}")
        pattern = []
        for L in self._layers[:-1]:
            v = L.apply(v)
            pattern.append(tuple(t > 0 for t in v))
            v = [t if t > 0 else ZERO for t in v]
        return tuple(pattern)

    def _float_layers(self) -> list[tuple[Any, np.ndarray]]:
        if self._float is None:
            from scipy import sparse as sp

            fl = []
            for L in self._layers:
                m, n = L.W.shape
                if m * n <= 1_000_000:
                    Wf: Any = L.W.to_float()
                else:
                    r, c, d = [], [], []
                    for i, row in enumerate(L.W.rows):
                        for j, v in row:
                            r.append(i); c.append(j); d.append(float_or_inf(v))
                    Wf = sp.csr_matrix((d, (r, c)), shape=(m, n))
                fl.append((Wf, np.array([float_or_inf(t) for t in L.b])))
            self._float = fl
        return self._float

    def evaluate_float(self, X: Any) -> np.ndarray:
        """Vectorised float64 evaluation (for plots): ``X`` of shape ``(N, d)`` or ``(N,)`` when d = 1.

        Returns an array of shape ``(N, output_dim)``.  Not exact; use ``net(x)`` for exact values.
        """
        A = np.asarray(X, dtype=float)
        if A.ndim == 1:
            A = A.reshape(-1, 1) if self.input_dim == 1 else A.reshape(1, -1)
        if A.shape[1] != self.input_dim:
            raise ShapeError(f"input has {A.shape[1]} columns, the network expects {self.input_dim}")
        H = A.T
        fl = self._float_layers()
        with np.errstate(over="ignore", invalid="ignore"):     # weights beyond float64 give inf / NaN
            for k, (W, b) in enumerate(fl):
                H = W @ H + b[:, None]
                if k < len(fl) - 1:
                    H = np.maximum(H, 0.0)
        return np.asarray(H).T

    # --- identity --------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        """Equality of weights (not of functions; see ``verify.equivalent``)."""
        return isinstance(other, ReLUNetwork) and self._layers == other._layers

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(self._layers)
        return self._hash

    def __repr__(self) -> str:
        arch = ", ".join(map(str, self.architecture))
        return f"ReLUNetwork(architecture=({arch}), neurons={self.num_neurons})"

    # --- formats: see cpa.io (to_json, from_json, to_dict, from_dict, write_npz, read_npz) ---
    def to_sympy(self, variables: Sequence[Any] | None = None) -> Any:
        """The network as sympy expressions with ``Max(0, .)``; a list when output_dim > 1."""
        import sympy

        if variables is None:
            variables = sympy.symbols(" ".join(f"x{i + 1}" for i in range(self.input_dim)) or "x1")
            if self.input_dim == 1:
                variables = [variables] if not isinstance(variables, (list, tuple)) else variables
        v = [sympy.sympify(s) for s in variables]
        last = len(self._layers) - 1
        for k, L in enumerate(self._layers):
            v = [sympy.Add(*[sympy.Rational(c.numerator, c.denominator) * v[j] for j, c in row],
                           sympy.Rational(bb.numerator, bb.denominator))
                 for row, bb in zip(L.W.rows, L.b)]
            if k < last:
                v = [sympy.Max(0, t) for t in v]
        return v[0] if len(v) == 1 else v

    def to_latex(self) -> str:
        """LaTeX of the weights, one ``W^{(l)}``, ``b^{(l)}`` pair per layer."""
        from .numbers import int_to_str  # numbers beyond Python's 4300-digit int/str limit

        def q(v: Fraction) -> str:
            if v.denominator == 1:
                return int_to_str(v.numerator)
            sign = "-" if v < 0 else ""
            return f"{sign}\\tfrac{{{int_to_str(abs(v.numerator))}}}{{{int_to_str(v.denominator)}}}"

        parts = []
        for l, (W, b) in enumerate(self.layers):
            rows = " \\\\ ".join(" & ".join(q(v) for v in row) for row in W)
            bs = " \\\\ ".join(q(v) for v in b)
            parts.append(f"W^{{({l})}} = \\begin{{pmatrix}} {rows} \\end{{pmatrix}}, \\quad "
                         f"b^{{({l})}} = \\begin{{pmatrix}} {bs} \\end{{pmatrix}}")
        body = " \\\\\n".join(parts)
        return f"\\begin{{gathered}}\n{body}\n\\end{{gathered}}"
