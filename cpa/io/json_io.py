"""cpa's exact JSON network format.

::

    {"format": "cpa.relu_network", "version": 1, "architecture": [2, 3, 1],
     "layers": [{"W": [["1", "-1/2"], ...], "b": ["0", ...]}, ...]}

Every number is a ``"p/q"`` string (integers are also accepted on reading;
JSON floats are refused as inexact).  Numbers of up to
``cpa.limits.current().max_digits`` digits are written and read exactly,
beyond Python's own 4300-digit limit for ``int``/``str``; longer ones are
refused with :class:`~cpa.errors.LimitError`.  Reading refuses anything it
would otherwise have to guess about: unknown keys, duplicate keys, an
``architecture`` that does not match the layers, a nesting deeper than
``max_nesting``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..errors import FormatError, InvalidNumberError, LimitError, ShapeError
from ..network import JSON_FORMAT, ReLUNetwork
from ._guard import (check_layers, listing, number_text, parse_json, prefixed, read_json_file, read_number,
                     short, writing)

__all__ = ["network_to_dict", "network_to_json", "network_from_dict", "network_from_json", "read_json"]

_TOP_KEYS = ("format", "version", "architecture", "layers")
_VERSION = 1


def network_to_dict(net: ReLUNetwork) -> dict[str, Any]:
    """The exact JSON document of ``net`` (every number a ``"p/q"`` string).

    Parameters
    ----------
    net
        The network.

    Returns
    -------
    dict
        The document: ``format``, ``version``, ``architecture`` and ``layers`` (each with
        ``W`` and ``b``).

    Raises
    ------
    FormatError
        If a layer has no outputs (such a network cannot be read back).
    LimitError
        If a number has more than ``max_digits`` digits.
    """
    check_layers(net, "cannot write the network as JSON")
    layers = []
    for i, (W, b) in enumerate(net.layers):
        layers.append({"W": [[number_text(v, f"layer {i} W[{r}][{c}]") for c, v in enumerate(row)]
                             for r, row in enumerate(W)],
                       "b": [number_text(v, f"layer {i} b[{r}]") for r, v in enumerate(b)]})
    return {"format": JSON_FORMAT, "version": _VERSION, "architecture": list(net.architecture), "layers": layers}


def network_to_json(net: ReLUNetwork, path: str | os.PathLike[str] | None = None, indent: int | None = None) -> str:
    """Exact JSON text of ``net``, also written to ``path`` when given.

    Parameters
    ----------
    net
        The network.
    path
        A file to write the text to (followed by a newline), or None.
    indent
        Passed to :func:`json.dumps`; None for one line.

    Returns
    -------
    str
        The JSON text of :func:`network_to_dict`.

    Raises
    ------
    FormatError
        If a layer has no outputs, or the file cannot be written.
    LimitError
        If a number has more than ``max_digits`` digits.
    """
    text = json.dumps(network_to_dict(net), indent=indent)
    if path is not None:
        with writing(path) as name, open(name, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return text


def network_from_dict(doc: Any, source: str | None = None) -> ReLUNetwork:
    """Read the JSON document of a network (see the module docstring).

    Parameters
    ----------
    doc
        The parsed document.
    source
        Where the document came from (e.g. a file name), put before error messages.

    Returns
    -------
    ReLUNetwork
        The network, with exact weights.

    Raises
    ------
    FormatError
        For anything but a well-formed network document; the message names the
        key, layer and entry.
    LimitError
        For a number of more than ``max_digits`` digits or an exponent beyond ``max_exponent``.
    """
    try:
        return _from_dict(doc)
    except FormatError as e:
        raise (prefixed(source, e) if source else e) from None
    except LimitError as e:
        raise (prefixed(source, e) if source else e) from None


def _from_dict(doc: Any) -> ReLUNetwork:
    if not isinstance(doc, dict) or "layers" not in doc:
        raise FormatError("not a cpa network: expected an object with a \"layers\" list")
    stray = [k for k in doc if k not in _TOP_KEYS]
    if stray:
        raise FormatError(f"unexpected key{'s' if len(stray) > 1 else ''} {listing(map(repr, stray))} "
                          f"(a cpa network has {', '.join(_TOP_KEYS)})")
    if doc.get("format", JSON_FORMAT) != JSON_FORMAT:
        raise FormatError(f"unknown format {short(doc.get('format'), 40)!r}, expected {JSON_FORMAT!r}")
    version = doc.get("version", _VERSION)
    if type(version) is not int or version != _VERSION:
        raise FormatError(f"unsupported version {short(json.dumps(version), 40)}; this reader knows version {_VERSION}")
    raw = doc["layers"]
    if not isinstance(raw, list) or not raw:
        raise FormatError("\"layers\" must be a non-empty list")
    layers = []
    for i, L in enumerate(raw):
        if not isinstance(L, dict) or "W" not in L or "b" not in L:
            raise FormatError(f"layer {i}: expected an object with \"W\" and \"b\"")
        stray = [k for k in L if k not in ("W", "b")]
        if stray:
            raise FormatError(f"layer {i}: unexpected key{'s' if len(stray) > 1 else ''} "
                              f"{listing(map(repr, stray))} (a layer has \"W\" and \"b\")")
        W, b = L["W"], L["b"]
        if not isinstance(W, list) or not all(isinstance(r, list) for r in W) or not isinstance(b, list):
            raise FormatError(f"layer {i}: \"W\" must be a list of rows and \"b\" a list")
        try:
            Wq = [[read_number(v, f"layer {i} W[{r}][{c}]") for c, v in enumerate(row)] for r, row in enumerate(W)]
            bq = [read_number(v, f"layer {i} b[{r}]") for r, v in enumerate(b)]
        except InvalidNumberError as e:
            raise FormatError(str(e)) from None
        layers.append((Wq, bq))
    try:
        net = ReLUNetwork(layers)
    except (ShapeError, InvalidNumberError) as e:
        raise FormatError(f"malformed network: {e}") from None
    if "architecture" in doc:
        arch = doc["architecture"]
        if not isinstance(arch, list) or any(type(a) is not int for a in arch) or tuple(arch) != net.architecture:
            raise FormatError(f"\"architecture\" {short(json.dumps(arch), 60)} does not match the layers, "
                              f"which have architecture {list(net.architecture)}")
    return net


def network_from_json(text_or_path: str | os.PathLike[str]) -> ReLUNetwork:
    """Read exact JSON text (starting with ``{``), or a path to a ``.json`` file.

    Parameters
    ----------
    text_or_path
        The JSON text of a network, or the path of a file holding it.

    Returns
    -------
    ReLUNetwork
        The network, with exact weights.

    Raises
    ------
    FormatError
        If there is no such file, or the text is not well-formed JSON or not a well-formed
        network document.
    LimitError
        If the file or the JSON nesting is too large, or a number has too many digits.
    """
    if isinstance(text_or_path, str) and text_or_path.lstrip().startswith("{"):
        return network_from_dict(parse_json(text_or_path, "network"))
    name = os.fspath(text_or_path)
    if not os.path.isfile(name):
        raise FormatError(f"cannot read network file {name!r}: no such file")
    return read_json(name)


def read_json(name: str) -> ReLUNetwork:
    """Read a ``.json`` network file.

    Parameters
    ----------
    name
        The file name.

    Returns
    -------
    ReLUNetwork
        The network, with exact weights.

    Raises
    ------
    FormatError
        If the file cannot be read, is not UTF-8 JSON, or is not a well-formed network
        document.
    LimitError
        If the file is larger than ``max_file_bytes``, too deeply nested, or a number has
        too many digits.
    """
    return network_from_dict(read_json_file(name, "network file"), repr(name))
