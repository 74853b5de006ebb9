"""Network calculus: exact operations on ReLU networks that build bigger ones.

Every operation here is an exact identity of functions:

* ``compose(g, f) = g o f``: the last affine layer of ``f`` and the first of
  ``g`` meet with no ReLU between them, so they are fused into one layer
  (``W = W_g0 W_fL``, ``b = W_g0 b_fL + b_g0``); depth adds up.
* ``parallel(f_1, ..., f_k)``: ``x -> (f_1(x), ..., f_k(x))``; networks of
  unequal depth are padded first; then the first layers are stacked and the
  later ones placed block-diagonally.
* ``pad_to_depth(f, L)``: appends identity layers through ReLU,
  ``y = relu(y) - relu(-y)`` (:func:`cpa.gadgets.relu_identity`, 2 neurons per
  output channel per added layer).
* ``linear_combination``: ``sum_i c_i f_i + c_0``.
"""

from __future__ import annotations

from typing import Any, Sequence

from .errors import ShapeError
from .gadgets import relu_identity
from .network import Layer, ReLUNetwork
from .numbers import ZERO, to_matrix, to_rational, to_vector
from .sparse import SparseMatrix

__all__ = [
    "affine_network",
    "compose",
    "parallel",
    "pad_to_depth",
    "linear_combination",
    "scale",
]


def affine_network(A: Any, b: Any | None = None) -> ReLUNetwork:
    """The depth-0 network ``x -> A x + b``.

    Parameters
    ----------
    A
        The ``m x d`` matrix: a :class:`~cpa.sparse.SparseMatrix` or a 2-D sequence of
        numbers (read exactly).
    b
        The length-``m`` offset, or None for zero.

    Returns
    -------
    ReLUNetwork
        A network with one affine layer and no hidden layer.

    Raises
    ------
    ShapeError
        If ``A`` is not a matrix or ``b`` does not have one entry per row of ``A``.
    InvalidNumberError
        If an entry is not an exact-readable number.
    """
    if isinstance(A, SparseMatrix):
        W = A
    else:
        W = SparseMatrix.from_dense(to_matrix(A, "A"))
    bb = to_vector(b, "b", W.shape[0]) if b is not None else (ZERO,) * W.shape[0]
    return ReLUNetwork([Layer(W, bb)])


def compose(g: ReLUNetwork, f: ReLUNetwork) -> ReLUNetwork:
    """``g o f``, fusing the affine layers that meet (depth(g o f) = depth(g) + depth(f)).

    Parameters
    ----------
    g
        The outer network.
    f
        The inner network, applied first.

    Returns
    -------
    ReLUNetwork
        The network ``x -> g(f(x))``.

    Raises
    ------
    ShapeError
        If ``g.input_dim`` differs from ``f.output_dim``.
    """
    if g.input_dim != f.output_dim:
        raise ShapeError(f"compose: outer network takes {g.input_dim} inputs but inner gives {f.output_dim}")
    fl, gl = f.affine_layers, g.affine_layers
    last, first = fl[-1], gl[0]
    W = first.W.matmul(last.W)
    b = tuple(s + c for s, c in zip(first.W.apply(last.b), first.b))
    return ReLUNetwork([*fl[:-1], Layer(W, b), *gl[1:]])


def pad_to_depth(f: ReLUNetwork, depth: int) -> ReLUNetwork:
    """``f`` with identity-through-ReLU layers appended until it has ``depth`` hidden layers.

    Parameters
    ----------
    f
        The network.
    depth
        The number of hidden layers wanted, at least ``f.depth``.

    Returns
    -------
    ReLUNetwork
        A network computing the same function as ``f`` with ``depth`` hidden layers.

    Raises
    ------
    ShapeError
        If ``f`` already has more than ``depth`` hidden layers.
    """
    if depth < f.depth:
        raise ShapeError(f"pad_to_depth: network already has depth {f.depth} > {depth}")
    out = f
    ident = relu_identity(f.output_dim)
    for _ in range(depth - f.depth):
        out = compose(ident, out)
    return out


def parallel(nets: Sequence[ReLUNetwork]) -> ReLUNetwork:
    """``x -> (f_1(x), ..., f_k(x))`` for networks on the same input space.

    Parameters
    ----------
    nets
        The networks ``f_1, ..., f_k`` (at least one), all with the same input dimension.

    Returns
    -------
    ReLUNetwork
        The network whose outputs are the outputs of ``f_1``, then ``f_2``, ...; the
        networks of smaller depth are padded with :func:`pad_to_depth` first.

    Raises
    ------
    ShapeError
        If ``nets`` is empty or the input dimensions differ.
    """
    nets = list(nets)
    if not nets:
        raise ShapeError("parallel: no networks given")
    d = nets[0].input_dim
    for i, n in enumerate(nets):
        if n.input_dim != d:
            raise ShapeError(f"parallel: network {i} takes {n.input_dim} inputs, network 0 takes {d}")
    if len(nets) == 1:
        return nets[0]
    depth = max(n.depth for n in nets)
    nets = [pad_to_depth(n, depth) for n in nets]
    layers = []
    for k in range(depth + 1):
        Ls = [n.affine_layers[k] for n in nets]
        W = SparseMatrix.vstack([L.W for L in Ls]) if k == 0 else SparseMatrix.block_diag([L.W for L in Ls])
        layers.append(Layer(W, tuple(v for L in Ls for v in L.b)))
    return ReLUNetwork(layers)


def linear_combination(coeffs: Sequence[Any], nets: Sequence[ReLUNetwork], constant: Any = 0) -> ReLUNetwork:
    """``x -> sum_i c_i f_i(x) + constant`` for scalar-output networks ``f_i``.

    Parameters
    ----------
    coeffs
        The coefficients ``c_i``, one per network, read exactly.
    nets
        The scalar-output networks ``f_i``, all with the same input dimension.
    constant
        The constant term, read exactly.

    Returns
    -------
    ReLUNetwork
        A scalar-output network computing the combination.

    Raises
    ------
    ShapeError
        If the number of coefficients differs from the number of networks, a network
        does not have exactly one output, or the input dimensions differ.
    InvalidNumberError
        If a coefficient or ``constant`` is not an exact-readable number.
    """
    cs = [to_rational(c, f"coefficient {i}") for i, c in enumerate(coeffs)]
    if len(cs) != len(nets):
        raise ShapeError(f"linear_combination: {len(cs)} coefficients for {len(nets)} networks")
    for i, n in enumerate(nets):
        if n.output_dim != 1:
            raise ShapeError(f"linear_combination: network {i} has {n.output_dim} outputs, expected 1")
    stacked = parallel(nets)
    row = tuple((j, c) for j, c in enumerate(cs) if c)
    out = ReLUNetwork([Layer(SparseMatrix((1, len(cs)), [row]), (to_rational(constant, "constant"),))])
    return compose(out, stacked)


def scale(f: ReLUNetwork, c: Any) -> ReLUNetwork:
    """``c * f``.

    Parameters
    ----------
    f
        The network.
    c
        The scalar factor, read exactly.

    Returns
    -------
    ReLUNetwork
        The network ``x -> c f(x)``, of the same depth as ``f``.

    Raises
    ------
    InvalidNumberError
        If ``c`` is not an exact-readable number.
    """
    q = to_rational(c, "scale")
    m = f.output_dim
    return compose(ReLUNetwork([Layer(SparseMatrix((m, m), [((i, q),) if q else () for i in range(m)]),
                                      (ZERO,) * m)]), f)

