"""Shrinking passes: rewrite a network to a smaller one computing the same function.

Each pass is an exact identity:

* **dead and constant neurons** -- a neuron after the first hidden layer whose
  weights and bias are all <= 0 sees a nonnegative input, so it is always 0
  and is removed; a neuron with zero input weights outputs the
  constant ``relu(b_i)``; it is removed and ``relu(b_i)`` times its outgoing
  column is added to the next bias.  A neuron whose outgoing weights are all
  zero is removed.
* **positively proportional duplicates** -- if ``(w_i, b_i) = c (w_k, b_k)``
  with ``c > 0`` then ``relu(w_i x + b_i) = c relu(w_k x + b_k)``: neuron ``i``
  is removed and ``c`` times its outgoing column added to neuron ``k``'s.
* **linear layers (fused identity pads)** -- if the neurons of a hidden layer
  pair up as ``relu(z)`` and ``relu(-z)`` with outgoing columns ``v`` and ``-v``
  (after scaling), the layer computes the linear map ``v z`` because
  ``relu(z) - relu(-z) = z``; it is fused with its neighbours and the depth
  drops by one.

Passes repeat until nothing changes.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

from ..network import Layer, ReLUNetwork
from ..numbers import ZERO
from ..sparse import Row, SparseMatrix

__all__ = ["shrink", "remove_dead_neurons", "merge_proportional_neurons", "fuse_linear_layers"]



def _columns(W: SparseMatrix) -> list[dict[int, Fraction]]:
    cols: list[dict[int, Fraction]] = [dict() for _ in range(W.shape[1])]
    for i, r in enumerate(W.rows):
        for j, v in r:
            cols[j][i] = v
    return cols


def _rebuild(layer: Layer, nxt: Layer, keep: list[int], cols: list[dict[int, Fraction]],
             bias: list[Fraction]) -> tuple[Layer, Layer]:
    new_layer = Layer(layer.W.select_rows(keep), tuple(layer.b[i] for i in keep))
    m = nxt.W.shape[0]
    rows: list[dict[int, Fraction]] = [dict() for _ in range(m)]
    for new_j, old_j in enumerate(keep):
        for i, v in cols[old_j].items():
            if v:
                rows[i][new_j] = v
    W = SparseMatrix.from_dicts(rows, len(keep))
    return new_layer, Layer(W, tuple(bias))


def remove_dead_neurons(layers: list[Layer]) -> bool:
    """Remove constant neurons and neurons with no outgoing weight.  Returns True if anything changed.

    Parameters
    ----------
    layers
        The affine layers of a network (as :attr:`~cpa.network.ReLUNetwork.affine_layers`),
        changed in place; the network's function is unchanged.

    Returns
    -------
    bool
        True if anything changed.
    """
    changed = False
    for l in range(len(layers) - 1):
        layer, nxt = layers[l], layers[l + 1]
        cols = _columns(nxt.W)
        bias = list(nxt.b)
        keep = []
        for i, row in enumerate(layer.W.rows):
            if not cols[i]:
                continue
            if l > 0 and layer.b[i].numerator <= 0 and all(v.numerator <= 0 for _, v in row):
                continue  # input is a nonnegative vector: pre-activation <= 0, neuron always 0
            if not row:
                c = layer.b[i] if layer.b[i] > 0 else ZERO
                if c:
                    for k, v in cols[i].items():
                        bias[k] += c * v
                continue
            keep.append(i)
        if len(keep) < layer.W.shape[0] and keep:
            layers[l], layers[l + 1] = _rebuild(layer, nxt, keep, cols, bias)
            changed = True
        elif not keep and layer.W.shape[0]:
            # whole layer constant: the network is constant from here on; keep one zero neuron
            layers[l] = Layer(SparseMatrix((1, layer.W.shape[1]), [()]), (ZERO,))
            layers[l + 1] = Layer(SparseMatrix((nxt.W.shape[0], 1), [()] * nxt.W.shape[0]), tuple(bias))
            changed = changed or layer.W.shape[0] > 1 or bool(layer.W.rows[0])
    return changed


Key = tuple[tuple[tuple[int, int, int], ...], tuple[int, int]]


def _normal_form(row: Row, b: Fraction) -> tuple[Key, Fraction]:
    """``(row, b) / s`` with ``s = |first entry|``, as a hashable key of reduced integer pairs
    (``(j, numerator, denominator)``; cheaper to build and hash than Fractions), and ``s``.
    Equal keys mean positively proportional neurons."""
    s = abs(row[0][1])
    p, q = s.numerator, s.denominator
    return (tuple((j,) + _ratio(v, p, q) for j, v in row), _ratio(b, p, q)), s


def _ratio(v: Fraction, p: int, q: int) -> tuple[int, int]:
    """``v / (p/q)`` as a reduced ``(numerator, denominator > 0)``."""
    n, d = v.numerator * q, v.denominator * p
    g = gcd(n, d)
    return (n // g, d // g) if g != 1 else (n, d)


def _negated(key: Key) -> Key:
    return tuple((j, -n, d) for j, n, d in key[0]), (-key[1][0], key[1][1])


def _sign_key(row: Row, b: Fraction, flip: bool = False) -> tuple:
    """A cheap key equal for positively proportional rows (support and signs; the sign of a
    Fraction is its numerator's, read without a Fraction comparison)."""
    if flip:
        return tuple((j, v.numerator < 0) for j, v in row), b.numerator < 0 if b else None
    return tuple((j, v.numerator > 0) for j, v in row), b.numerator > 0 if b else None


def _candidates(layer: Layer) -> dict[tuple, list[int]]:
    buckets: dict[tuple, list[int]] = {}
    for i, row in enumerate(layer.W.rows):
        if row:
            buckets.setdefault(_sign_key(row, layer.b[i]), []).append(i)
    return buckets


def merge_proportional_neurons(layers: list[Layer]) -> bool:
    """Merge neurons whose ``(w, b)`` are positive multiples of each other.

    Parameters
    ----------
    layers
        The affine layers of a network (as :attr:`~cpa.network.ReLUNetwork.affine_layers`),
        changed in place; the network's function is unchanged.

    Returns
    -------
    bool
        True if anything changed.
    """
    changed = False
    for l in range(len(layers) - 1):
        layer, nxt = layers[l], layers[l + 1]
        suspects = {i for group in _candidates(layer).values() if len(group) > 1 for i in group}
        if not suspects:
            continue
        cols = _columns(nxt.W)
        seen: dict[Key, tuple[int, Fraction]] = {}
        keep = []
        for i, row in enumerate(layer.W.rows):
            if i not in suspects:
                keep.append(i)
                continue
            key, s = _normal_form(row, layer.b[i])
            if key in seen:
                k, sk = seen[key]
                c = s / sk
                for r, v in cols[i].items():
                    cols[k][r] = cols[k].get(r, ZERO) + c * v
                continue
            seen[key] = (i, s)
            keep.append(i)
        if len(keep) < layer.W.shape[0]:
            layers[l], layers[l + 1] = _rebuild(layer, nxt, keep, cols, list(nxt.b))
            changed = True
    return changed


def fuse_linear_layers(layers: list[Layer]) -> bool:
    """Fuse a hidden layer whose neurons pair up into identities ``relu(z) - relu(-z)``.

    At most one layer is fused per call.

    Parameters
    ----------
    layers
        The affine layers of a network (as :attr:`~cpa.network.ReLUNetwork.affine_layers`),
        changed in place; the network's function is unchanged.

    Returns
    -------
    bool
        True if anything changed.
    """
    for l in range(len(layers) - 1):
        layer, nxt = layers[l], layers[l + 1]
        if not _is_linear_layer(layer, nxt):
            continue
        pos = _positive_members(layer)
        C = nxt.W.select_columns(pos)
        K = layer.W.select_rows(pos)
        W = C.matmul(K)
        b = tuple(s + c for s, c in zip(C.apply([layer.b[i] for i in pos]), nxt.b))
        layers[l:l + 2] = [Layer(W, b)]
        return True
    return False


def _positive_members(layer: Layer) -> list[int]:
    keys: dict[Key, int] = {}
    pos = []
    for i, row in enumerate(layer.W.rows):
        key, _ = _normal_form(row, layer.b[i])
        if _negated(key) in keys:
            continue
        keys[key] = i
        pos.append(i)
    return pos


def _is_linear_layer(layer: Layer, nxt: Layer) -> bool:
    rows = layer.W.rows
    if not rows or any(not r for r in rows) or len(rows) % 2:
        return False
    buckets = _candidates(layer)
    if any(_sign_key(r, layer.b[i], flip=True) not in buckets for i, r in enumerate(rows)):
        return False
    cols = _columns(nxt.W)
    by_key: dict[Key, tuple[int, Fraction]] = {}
    for i, row in enumerate(rows):
        key, s = _normal_form(row, layer.b[i])
        if key in by_key:
            return False
        by_key[key] = (i, s)
    for key, (i, s) in by_key.items():
        neg = _negated(key)
        if neg not in by_key:
            return False
        k, sk = by_key[neg]
        a = {r: s * v for r, v in cols[i].items() if v}
        b = {r: -sk * v for r, v in cols[k].items() if v}
        if a != b:
            return False
    return True


def shrink(net: ReLUNetwork) -> ReLUNetwork:
    """Apply all passes until none changes anything; the function is unchanged.

    Parameters
    ----------
    net
        The network (not changed).

    Returns
    -------
    ReLUNetwork
        A network computing the same function as ``net``.
    """
    layers = list(net.affine_layers)
    while True:
        changed = remove_dead_neurons(layers)
        changed = merge_proportional_neurons(layers) or changed
        changed = remove_dead_neurons(layers) or changed
        changed = fuse_linear_layers(layers) or changed
        if not changed:
            break
    return ReLUNetwork(layers)
