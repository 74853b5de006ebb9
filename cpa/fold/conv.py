"""Convolutions and average pooling unrolled into exact sparse affine maps.

A convolution (or an average pooling) of an input of known shape
``(C, *spatial)`` is a linear map of the input flattened in row-major (C)
order; this module writes it as a :class:`~cpa.sparse.SparseMatrix` holding
only the nonzero weights, one row per output entry (output flattened in
row-major order too).  Zero padding contributes nothing, so padded positions
simply have no entry.  Works for any number of spatial dimensions (1-D and
2-D are what the readers use).

Notes
-----
Output length along one spatial dimension of length ``L``, kernel ``k``,
stride ``s``, dilation ``d``, padding ``p_b`` (begin) and ``p_e`` (end):

.. math:: L_{out} = \\left\\lfloor \\frac{L + p_b + p_e - d (k - 1) - 1}{s} \\right\\rfloor + 1

(with ``ceil`` instead of ``floor`` in pooling's ``ceil_mode``, dropping a
last window that would start in the end padding, as PyTorch does).  The
convolution with ``g`` groups, weight ``w`` of shape ``(O, C/g, *k)`` and
bias ``b`` is

.. math:: y[o, \\mathbf{i}] = b_o + \\sum_{c \\in \\text{group}(o)} \\sum_{\\mathbf{k}}
          w[o, c - c_0, \\mathbf{k}] \\; x[c, s \\mathbf{i} - p_b + d \\mathbf{k}]

(a cross-correlation, as in PyTorch ``Conv1d/2d`` and ONNX ``Conv``), the sum
over positions inside the input.  Average pooling divides the sum over a
window by the count PyTorch uses (``count_include_pad``, ``divisor_override``).

References
----------
V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep
learning", arXiv:1603.07285, 2016.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Sequence

import numpy as np

from ..affine import Affine
from ..errors import ShapeError
from ..sparse import SparseMatrix

__all__ = ["output_length", "conv_affine", "avg_pool_affine", "pool_windows", "per_channel"]


def output_length(length: int, kernel: int, stride: int, pad_begin: int, pad_end: int, dilation: int = 1,
                  ceil_mode: bool = False) -> int:
    """The output length along one spatial dimension (see the module Notes).

    Raises
    ------
    ShapeError
        If the (dilated) kernel does not fit in the padded input, or a
        parameter is not positive.

    Examples
    --------
    >>> output_length(28, 3, 1, 0, 0), output_length(5, 2, 2, 0, 0, ceil_mode=True)
    (26, 3)
    """
    if kernel < 1 or stride < 1 or dilation < 1 or pad_begin < 0 or pad_end < 0:
        raise ShapeError(f"kernel {kernel}, stride {stride}, dilation {dilation}, padding "
                         f"({pad_begin}, {pad_end}): kernel, stride and dilation must be positive, padding >= 0")
    span = length + pad_begin + pad_end - dilation * (kernel - 1) - 1
    if span < 0:
        raise ShapeError(f"a kernel of size {kernel} (dilation {dilation}) does not fit in an input of length "
                         f"{length} with padding ({pad_begin}, {pad_end})")
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= length + pad_begin:
        out -= 1
    return out


def conv_affine(weight: np.ndarray, bias: Sequence[Fraction] | None, in_shape: Sequence[int],
                stride: Sequence[int], pad_begin: Sequence[int], pad_end: Sequence[int],
                dilation: Sequence[int], groups: int) -> tuple[Affine, tuple[int, ...]]:
    """The exact affine map of a zero-padded convolution on the flattened input.

    Parameters
    ----------
    weight
        Object array of Fractions of shape ``(O, C/groups, *kernel)``.
    bias
        ``O`` Fractions, or None.
    in_shape
        ``(C, *spatial)`` of one example.
    stride, pad_begin, pad_end, dilation
        One entry per spatial dimension.
    groups
        Number of groups; ``C`` and ``O`` must be multiples of it.

    Returns
    -------
    (Affine, tuple of int)
        The map (``prod(out_shape)`` rows, ``prod(in_shape)`` columns, only
        nonzero weights stored) and the output shape ``(O, *spatial_out)``.

    Raises
    ------
    ShapeError
        If the shapes, groups or hyperparameters do not fit.

    Examples
    --------
    >>> w = np.array([[[Fraction(1), Fraction(-1)]]], dtype=object)      # Conv1d(1, 1, 2), no bias
    >>> f, shape = conv_affine(w, None, (1, 3), (1,), (0,), (0,), (1,), 1)
    >>> shape, f([1, 4, 9])
    ((1, 2), (Fraction(-3, 1), Fraction(-5, 1)))
    """
    nd = len(in_shape) - 1
    if weight.ndim != nd + 2:
        raise ShapeError(f"a weight of shape {weight.shape} for an input of shape {tuple(in_shape)}: "
                         f"expected {nd + 2} dimensions (out channels, in channels / groups, kernel)")
    c_in = int(in_shape[0])
    c_out, c_per = int(weight.shape[0]), int(weight.shape[1])
    if groups < 1 or c_in % groups or c_out % groups or c_per * groups != c_in:
        raise ShapeError(f"weight of shape {weight.shape} with groups={groups} does not fit an input with "
                         f"{c_in} channels (needs in_channels = groups * weight.shape[1] and out_channels "
                         "a multiple of groups)")
    if bias is not None and len(bias) != c_out:
        raise ShapeError(f"bias of length {len(bias)} for {c_out} output channels")
    spatial = [int(v) for v in in_shape[1:]]
    taps, out_sp = _taps(spatial, weight.shape[2:], stride, pad_begin, pad_end, dilation)
    in_strides = _strides(spatial)
    plane = int(np.prod(spatial)) if spatial else 1
    out_per = c_out // groups
    # per (output channel): the nonzero weights as (in channel, kernel index tuple, value)
    kernels = [[(g_c, kk, weight[(o, g_c) + kk]) for g_c in range(c_per)
                for kk in itertools.product(*(range(k) for k in weight.shape[2:])) if weight[(o, g_c) + kk]]
               for o in range(c_out)]
    rows = []
    positions = list(itertools.product(*(range(n) for n in out_sp)))
    for o in range(c_out):
        c0 = (o // out_per) * c_per
        for pos in positions:
            # input offset of each kernel index at this position (None outside the input)
            offs = [taps[dim][pos[dim]] for dim in range(nd)]
            acc: dict[int, Fraction] = {}
            for g_c, kk, v in kernels[o]:
                j = (c0 + g_c) * plane
                for dim in range(nd):
                    t = offs[dim][kk[dim]]
                    if t is None:
                        break
                    j += t * in_strides[dim]
                else:
                    acc[j] = acc.get(j, 0) + v
            rows.append(tuple(sorted((j, v) for j, v in acc.items() if v)))
    n_per = len(positions)
    b = tuple(Fraction(bias[o]) if bias is not None else Fraction(0) for o in range(c_out) for _ in range(n_per))
    out_shape = (c_out, *out_sp)
    return Affine(SparseMatrix((len(rows), c_in * plane), rows), b), out_shape


def avg_pool_affine(in_shape: Sequence[int], kernel: Sequence[int], stride: Sequence[int],
                    padding: Sequence[int], ceil_mode: bool = False, count_include_pad: bool = True,
                    divisor_override: int | None = None,
                    pad_end: Sequence[int] | None = None) -> tuple[Affine, tuple[int, ...]]:
    """The exact linear map of average pooling (PyTorch ``AvgPool1d/2d``, ONNX ``AveragePool``).

    Parameters
    ----------
    in_shape
        ``(C, *spatial)``.
    kernel, stride, padding
        One entry per spatial dimension (``padding`` at the beginning; at the
        end too unless ``pad_end`` is given).
    ceil_mode, count_include_pad, divisor_override
        As in PyTorch: the divisor is ``divisor_override`` if given, else the
        window size clipped to the padded input (``count_include_pad``) or to
        the input itself.

    Returns
    -------
    (Affine, tuple of int)
        The map (weights ``1/divisor``, exact) and the output shape.

    Examples
    --------
    >>> f, shape = avg_pool_affine((1, 4), (2,), (2,), (0,))
    >>> shape, f([1, 2, 3, 5])
    ((1, 2), (Fraction(3, 2), Fraction(4, 1)))
    """
    spatial = [int(v) for v in in_shape[1:]]
    nd = len(spatial)
    pe = list(padding) if pad_end is None else list(pad_end)
    out_sp = [output_length(spatial[d], kernel[d], stride[d], padding[d], pe[d], 1, ceil_mode) for d in range(nd)]
    # per dimension and output index: (kept input indices, padded count)
    ranges = []
    for d in range(nd):
        per = []
        for i in range(out_sp[d]):
            start = i * stride[d] - padding[d]
            end = min(start + kernel[d], spatial[d] + pe[d])
            padded = end - start
            lo, hi = max(start, 0), min(end, spatial[d])
            per.append((range(lo, hi), padded))
        ranges.append(per)
    in_strides = _strides(spatial)
    plane = int(np.prod(spatial)) if spatial else 1
    rows = []
    for c in range(int(in_shape[0])):
        for pos in itertools.product(*(range(n) for n in out_sp)):
            kept = [ranges[d][pos[d]][0] for d in range(nd)]
            if divisor_override:
                div = int(divisor_override)
            elif count_include_pad:
                div = int(np.prod([ranges[d][pos[d]][1] for d in range(nd)]))
            else:
                div = int(np.prod([len(r) for r in kept]))
            w = Fraction(1, div) if div else Fraction(0)
            cols = sorted(c * plane + sum(t * s for t, s in zip(idx, in_strides)) for idx in itertools.product(*kept))
            rows.append(tuple((j, w) for j in cols) if w else ())
    n_in = int(in_shape[0]) * plane
    return Affine(SparseMatrix((len(rows), n_in), rows)), (int(in_shape[0]), *out_sp)


def pool_windows(in_shape: Sequence[int], kernel: Sequence[int], stride: Sequence[int], padding: Sequence[int],
                 dilation: Sequence[int], ceil_mode: bool = False,
                 pad_end: Sequence[int] | None = None) -> tuple[list[tuple[int, ...]], tuple[int, ...]]:
    """The windows of a max pooling: for each output entry, the flat input indices it takes the max of.

    Padded positions are left out (max pooling pads with minus infinity).

    Returns
    -------
    (list of tuple of int, tuple of int)
        The windows (row-major output order) and the output shape.

    Raises
    ------
    ShapeError
        If a window holds no input entry.

    Examples
    --------
    >>> pool_windows((1, 2, 2), (2, 2), (2, 2), (0, 0), (1, 1))
    ([(0, 1, 2, 3)], (1, 1, 1))
    """
    spatial = [int(v) for v in in_shape[1:]]
    pe = list(padding) if pad_end is None else list(pad_end)
    taps, out_sp = _taps(spatial, kernel, stride, padding, pe, dilation, ceil_mode)
    in_strides = _strides(spatial)
    plane = int(np.prod(spatial)) if spatial else 1
    windows = []
    for c in range(int(in_shape[0])):
        for pos in itertools.product(*(range(n) for n in out_sp)):
            kept = [[t for t in taps[d][pos[d]] if t is not None] for d in range(len(spatial))]
            win = tuple(c * plane + sum(t * s for t, s in zip(idx, in_strides)) for idx in itertools.product(*kept))
            if not win:
                raise ShapeError(f"pooling window at output {pos} lies entirely in the padding")
            windows.append(win)
    return windows, (int(in_shape[0]), *out_sp)


def per_channel(values: Sequence[Fraction], shape: Sequence[int]) -> tuple[Fraction, ...]:
    """One value per channel spelled out on a ``(C, *spatial)`` tensor flattened row-major.

    Examples
    --------
    >>> per_channel([Fraction(1), Fraction(2)], (2, 2))
    (Fraction(1, 1), Fraction(1, 1), Fraction(2, 1), Fraction(2, 1))
    """
    if len(values) != shape[0]:
        raise ShapeError(f"{len(values)} per-channel values for a tensor of shape {tuple(shape)}")
    plane = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    return tuple(v for v in values for _ in range(plane))


# --- private helpers ---------------------------------------------------------

def _strides(spatial: Sequence[int]) -> list[int]:
    out, acc = [], 1
    for n in reversed(spatial):
        out.append(acc)
        acc *= n
    return out[::-1]


def _taps(spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int], pad_begin: Sequence[int],
          pad_end: Sequence[int], dilation: Sequence[int], ceil_mode: bool = False
          ) -> tuple[list[list[list[int | None]]], list[int]]:
    """Per dimension and output index, the input index of each kernel index (None in the padding)."""
    nd = len(spatial)
    for name, v in (("kernel", kernel), ("stride", stride), ("padding", pad_begin), ("padding", pad_end),
                    ("dilation", dilation)):
        if len(v) != nd:
            raise ShapeError(f"{name} {tuple(v)} has {len(v)} entries for {nd} spatial dimensions")
    taps, out_sp = [], []
    for d in range(nd):
        k = int(kernel[d])
        n_out = output_length(spatial[d], k, int(stride[d]), int(pad_begin[d]), int(pad_end[d]),
                              int(dilation[d]), ceil_mode)
        per = []
        for i in range(n_out):
            start = i * int(stride[d]) - int(pad_begin[d])
            per.append([t if 0 <= t < spatial[d] else None
                        for t in (start + kk * int(dilation[d]) for kk in range(k))])
        taps.append(per)
        out_sp.append(n_out)
    return taps, out_sp
