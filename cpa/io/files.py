"""Load and save networks by file extension.

=================  ======================================  =====================
extension          format                                  exact on write?
=================  ======================================  =====================
``.json``          cpa's canonical exact JSON ("p/q")       always
``.npz``           ``W0, b0, W1, b1, ...`` float64 arrays   if weights are float64
``.onnx``          Gemm/Relu chain (extra ``cpa[onnx]``)    if weights fit dtype
``.pt``, ``.pth``  torch state_dict (extra ``cpa[torch]``)  if weights fit dtype
=================  ======================================  =====================

Reading is always exact (floats at their exact binary value) and never
executes code from the file: npz arrays are read from the zip archive without
``np.load`` or pickle, torch files with ``weights_only=True``, ONNX graphs
are interpreted symbolically.  Hostile input is refused with one line that
says what and where: a file over ``cpa.limits.current().max_file_bytes``,
declared sizes that do not match the data, gaps or stray keys, values a
format cannot hold.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

from ..errors import FormatError
from ..network import ReLUNetwork
from ._floats import float_kind, representable

__all__ = ["load_network", "save_network", "format_of", "describe_format", "is_exact_format", "FORMATS"]

#: extension -> format name
FORMATS: dict[str, str] = {
    ".json": "json",
    ".npz": "npz",
    ".onnx": "onnx",
    ".pt": "torch",
    ".pth": "torch",
}

_DESCRIPTION = {"json": "exact JSON", "npz": "npz float64 arrays", "onnx": "ONNX", "torch": "torch state_dict"}


def format_of(path: str | os.PathLike[str]) -> str:
    """The format name (``"json"``, ``"npz"``, ``"onnx"``, ``"torch"``) for a file name.

    Parameters
    ----------
    path
        The file name; only its extension (case-insensitive) is used.

    Returns
    -------
    str
        The format name.

    Raises
    ------
    FormatError
        For an unknown extension; the message lists the known ones.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    try:
        return FORMATS[ext]
    except KeyError:
        known = ", ".join(FORMATS)
        raise FormatError(f"unknown network file extension {ext or '(none)'!r} in {os.fspath(path)!r}; "
                          f"known: {known}") from None


def load_network(path: str | os.PathLike[str], *, layout: Sequence[str] | None = None) -> ReLUNetwork:
    """Read a network file; the format comes from the extension.

    Parameters
    ----------
    path
        A ``.json``, ``.npz``, ``.onnx``, ``.pt`` or ``.pth`` file.
    layout
        For ``.pt``/``.pth`` state dicts only: the order of the layers (see
        :func:`cpa.io.from_torch`), e.g. ``["flatten", "linear", "relu", "linear"]``.

    Returns
    -------
    ReLUNetwork
        Exact weights (float formats: each float at its exact binary value).

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    FormatError
        For an unknown extension or a file that is not a valid network of
        its format (including pickled objects in npz or torch files, which
        are refused without being unpickled).
    UnsupportedLayerError
        For ONNX or torch models with layers other than affine and ReLU.
    MissingExtraError
        For ``.onnx``/``.pt`` files when the extra is not installed.
    """
    fmt = format_of(path)
    name = os.fspath(path)
    if layout is not None and fmt != "torch":
        raise FormatError(f"{name!r}: a layout applies to torch state dicts (.pt, .pth) only")
    if not os.path.isfile(name):
        raise FileNotFoundError(2, "no such network file", name)
    if layout is not None:
        from .torch_io import load_torch

        return load_torch(name, layout=layout)
    return _READERS[fmt](name)


def save_network(net: ReLUNetwork, path: str | os.PathLike[str], dtype: Any = None) -> bool:
    """Write ``net``; the format comes from the extension.

    Parameters
    ----------
    net
        The network.
    path
        A ``.json``, ``.npz``, ``.onnx``, ``.pt`` or ``.pth`` file name.
    dtype
        ``"float32"`` or ``"float64"`` (default) for ``.onnx`` and ``.pt``;
        ``.npz`` is always float64 and ``.json`` exact.

    Returns
    -------
    bool
        True when the file holds the weights exactly; otherwise they were
        rounded to ``dtype`` and a warning was logged.

    Raises
    ------
    FormatError
        For an unknown extension, or ``dtype="float32"`` with ``.npz``/``.json``.
    """
    fmt = format_of(path)
    name = os.fspath(path)
    if fmt in ("json", "npz") and dtype is not None and float_kind(dtype) != "float64":
        raise FormatError(f"{fmt} files are written as {'exact rationals' if fmt == 'json' else 'float64'}; "
                          f"dtype {dtype!r} applies to .onnx and .pt files only")
    if fmt == "json":
        from .json_io import network_to_json

        network_to_json(net, name)
        return True
    if fmt == "npz":
        from .npz_io import write_npz

        return write_npz(net, name)
    if fmt == "onnx":
        from .onnx_io import write_onnx

        return write_onnx(net, name, dtype=float_kind(dtype))
    from .torch_io import save_torch

    return save_torch(net, name, dtype=float_kind(dtype))


def is_exact_format(net: ReLUNetwork, path: str | os.PathLike[str], dtype: Any = None) -> bool:
    """Would :func:`save_network` write ``net`` to ``path`` exactly?

    Parameters
    ----------
    net
        The network.
    path
        The file name; its extension gives the format (:func:`format_of`).
    dtype
        The float type of an ONNX or torch file (``"float32"``, ``"float64"``, ...; None for
        float64); npz files are always float64 and JSON files exact.

    Returns
    -------
    bool
        True if every weight of ``net`` is written exactly in that format.

    Raises
    ------
    FormatError
        For an unknown extension, or an unknown ``dtype`` for an ONNX or torch file.
    """
    fmt = format_of(path)
    return fmt == "json" or representable(net, "float64" if fmt == "npz" else float_kind(dtype))


def describe_format(path: str | os.PathLike[str]) -> str:
    """A short human name of the format of ``path`` (``"ONNX"``, ``"exact JSON"``, ...).

    Parameters
    ----------
    path
        The file name; its extension gives the format (:func:`format_of`).

    Returns
    -------
    str
        The name of the format.

    Raises
    ------
    FormatError
        For an unknown extension.
    """
    return _DESCRIPTION[format_of(path)]


# --- readers -------------------------------------------------------------------

def _read_json(name: str) -> ReLUNetwork:
    from .json_io import read_json

    return read_json(name)


def _read_npz(name: str) -> ReLUNetwork:
    from .npz_io import read_npz

    return read_npz(name)


def _read_onnx(name: str) -> ReLUNetwork:
    from .onnx_io import read_onnx

    return read_onnx(name)


def _read_torch(name: str) -> ReLUNetwork:
    from .torch_io import load_torch

    return load_torch(name)


_READERS: dict[str, Callable[[str], ReLUNetwork]] = {
    "json": _read_json,
    "npz": _read_npz,
    "onnx": _read_onnx,
    "torch": _read_torch,
}
