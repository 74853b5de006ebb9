"""``.npz`` networks: arrays ``W0, b0, W1, b1, ...`` (float64 on writing).

Reading does not use ``np.load``: the archive is opened with :mod:`zipfile`
and each ``.npy`` member is checked before anything is allocated.  Its header
(dtype and shape) must declare exactly the bytes the member holds, at most
``cpa.limits.current().max_file_bytes`` over the whole file (a zip bomb is
stopped by the declared sizes and by reading in bounded chunks); object,
structured, bool and complex arrays are refused (nothing is unpickled); the
keys must be exactly ``W0, b0, ..., W{n-1}, b{n-1}`` (a gap or a stray key is
named in the error).  Floats of every width are read at their exact binary
value (``float128``/``longdouble`` included, as this machine's long double);
integers exactly.
"""

from __future__ import annotations

import logging
import os
import re
import zipfile
from typing import Any

import numpy as np

from .. import limits
from ..errors import CPAError, FormatError, InvalidNumberError, ShapeError
from ..network import ReLUNetwork
from ._floats import float_array, fractions_of, representable
from ._guard import check_file_size, check_layers, listing, short, writing

__all__ = ["read_npz", "write_npz"]

_log = logging.getLogger("cpa")
_KEY = re.compile(r"([Wb])(0|[1-9][0-9]{0,17})")
_CHUNK = 1 << 20


def write_npz(net: ReLUNetwork, path: str | os.PathLike[str]) -> bool:
    """Write ``W0, b0, W1, b1, ...`` as float64 arrays.

    Parameters
    ----------
    net
        The network.
    path
        The file to write (with :func:`numpy.savez`).

    Returns
    -------
    bool
        True when every weight was written exactly; otherwise weights are
        rounded to the nearest float64 and a warning is logged.

    Raises
    ------
    FormatError
        If a weight is beyond the float64 range (the message names it), a layer
        has no outputs, or the file cannot be written.
    """
    check_layers(net, "cannot write the network as npz")
    arrays = {}
    for i, L in enumerate(net.affine_layers):
        n_out, n_in = L.W.shape
        W, b = net.layers[i]
        arrays[f"W{i}"] = float_array(W, "float64", f"layer {i} W").reshape(n_out, n_in)
        arrays[f"b{i}"] = float_array(b, "float64", f"layer {i} b").reshape(n_out)
    exact = representable(net, "float64")
    if not exact:
        _log.warning("to_npz(%s): some weights are not float64 numbers and were rounded", path)
    with writing(path) as name:
        np.savez(name, **arrays)
    return exact


def read_npz(path: str | os.PathLike[str]) -> ReLUNetwork:
    """Read an ``.npz`` network (see the module docstring); floats at their exact binary value.

    Parameters
    ----------
    path
        The file to read.

    Returns
    -------
    ReLUNetwork
        The network, each weight the exact value of its float.

    Raises
    ------
    FormatError
        For a file that is not a zip archive of ``.npy`` arrays ``W0, b0, ...``,
        is truncated or corrupt, has gaps or stray keys, non-numeric arrays, or
        arrays whose header does not match their data.
    LimitError
        If the arrays would take more than ``max_file_bytes`` bytes.
    """
    name = os.fspath(path)
    where = repr(name)
    check_file_size(name, "npz file")
    try:
        zf = zipfile.ZipFile(name)
    except Exception as e:  # BadZipFile, NotImplementedError (odd versions), struct errors, OSError, ...
        raise FormatError(f"{where} is not a readable npz file (not a complete zip archive: "
                          f"{type(e).__name__}: {short(str(e), 80)})") from None
    with zf:
        members = _members(zf, where)
        n = len(members) // 2
        layers = []
        budget = limits.current().max_file_bytes
        for i in range(n):
            pair = []
            for key in (f"W{i}", f"b{i}"):
                arr = _read_member(zf, members[key], f"{where}: array {key}", budget)
                budget -= arr.nbytes
                pair.append(arr)
            W, b = pair
            if W.ndim != 2 or b.ndim != 1:
                raise FormatError(f"{where}: layer {i}: W{i} must be 2-D and b{i} 1-D, got shapes {W.shape}, {b.shape}")
            layers.append((fractions_of(W, f"{where}: W{i}"), fractions_of(b, f"{where}: b{i}")))
    try:
        net = ReLUNetwork(layers)
    except (ShapeError, InvalidNumberError) as e:
        raise FormatError(f"{where}: {e}") from None
    check_layers(net, where)
    return net


def _members(zf: zipfile.ZipFile, where: str) -> dict[str, zipfile.ZipInfo]:
    """The members by key (``W0``, ``b0``, ...), after refusing stray, duplicate and missing keys
    and archives whose declared sizes exceed ``max_file_bytes``."""
    infos = zf.infolist()
    members: dict[str, zipfile.ZipInfo] = {}
    stray: list[str] = []
    total = 0
    for info in infos:
        key = info.filename[:-4] if info.filename.endswith(".npy") else None
        if key is None or _KEY.fullmatch(key) is None:
            stray.append(info.filename)
            continue
        if key in members:
            raise FormatError(f"{where}: array {key} appears twice in the archive")
        members[key] = info
        total += info.file_size
    if stray:
        raise FormatError(f"{where}: unexpected entr{'ies' if len(stray) > 1 else 'y'} {listing(map(repr, stray))}; "
                          "an npz network holds exactly the arrays W0, b0, W1, b1, ...")
    if "W0" not in members:
        raise FormatError(f"{where} has no W0 array (expected keys W0, b0, W1, b1, ...)")
    indices = sorted({int(k[1:]) for k in members})
    for i, idx in enumerate(indices):
        missing = [k for k in (f"W{i}", f"b{i}") if k not in members]
        if idx != i or missing:
            have = ", ".join(sorted(members, key=lambda k: (int(k[1:]), k))[:8])
            if idx != i:
                missing = [f"W{i}", f"b{i}"]
            raise FormatError(f"{where}: layer {i} is missing ({' and '.join(missing)} not in the archive, "
                              f"which has {have}{', ...' if len(members) > 8 else ''}); "
                              "layers must be numbered 0, 1, 2, ... without gaps")
    cap = limits.current().max_file_bytes
    if total > cap:
        raise limits.refuse(f"{where}: the arrays ({total} bytes uncompressed)", "max_file_bytes", f"{total} bytes")
    return members


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, budget: int) -> np.ndarray:
    try:
        with zf.open(info) as fh:
            dtype, shape, fortran, header = _header(fh, where)
            count = 1
            for d in shape:
                count *= d
            nbytes = count * dtype.itemsize
            if nbytes > budget:
                raise limits.refuse(f"{where} (shape {short(shape, 60)}, {dtype}: {nbytes} bytes)",
                                    "max_file_bytes", f"{nbytes} bytes")
            if nbytes != info.file_size - header:
                raise FormatError(f"{where}: the header declares shape {short(shape, 60)} of {dtype} "
                                  f"({nbytes} bytes) but the archive member holds {info.file_size - header} bytes")
            data = bytearray()
            while len(data) < nbytes:
                chunk = fh.read(min(_CHUNK, nbytes - len(data)))
                if not chunk:
                    break
                data += chunk
            if len(data) != nbytes or fh.read(1):
                raise FormatError(f"{where}: the data is truncated or does not match its header")
    except CPAError:
        raise
    except Exception as e:  # BadZipFile (bad CRC), zlib/lzma errors, encrypted or unknown compression, ...
        raise FormatError(f"{where} cannot be read, the archive is corrupt ({type(e).__name__}: "
                          f"{short(str(e), 80)})") from None
    arr = np.frombuffer(data, dtype=dtype)
    return arr.reshape(shape[::-1]).T if fortran else arr.reshape(shape)


def _header(fh: Any, where: str) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    """dtype, shape, Fortran order and header length of an ``.npy`` stream, validated."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise FormatError(f"{where}: .npy format version {version} is not supported (1.0 and 2.0 are)")
    except (ValueError, TypeError, SyntaxError, EOFError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise FormatError(f"{where}: not a valid .npy array ({short(first, 80)})") from None
    if dtype.hasobject:
        raise FormatError(f"{where} is an object array, which cannot be read without unpickling; refused")
    if dtype.names is not None or dtype.subdtype is not None:
        raise FormatError(f"{where} has the structured dtype {short(dtype, 60)}, expected numbers")
    if dtype.kind == "b":
        raise FormatError(f"{where} is a bool array, expected numbers (write weights 0 and 1 as numbers)")
    if dtype.kind not in "iuf":
        raise FormatError(f"{where} has dtype {short(dtype, 40)}, expected real numbers (integers or floats)")
    if any(d < 0 for d in shape):
        raise FormatError(f"{where}: negative dimension in the declared shape {short(shape, 60)}")
    return dtype, tuple(int(d) for d in shape), bool(fortran), fh.tell()
