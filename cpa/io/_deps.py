"""Lazy imports of the optional extras (torch, onnx), with a clear error when missing.

``import cpa`` never imports torch or onnx; the readers and writers call
:func:`require` inside the function that needs the package.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import MissingExtraError

__all__ = ["MissingExtraError", "require", "EXTRAS"]

#: Python module -> (extra of cpa that installs it, pip requirement)
EXTRAS: dict[str, tuple[str, str]] = {
    "torch": ("torch", "torch==2.13.0"),
    "onnx": ("onnx", "onnx"),
    "onnxruntime": ("onnx", "onnxruntime"),
}


def require(module: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra to install.

    Parameters
    ----------
    module
        ``"torch"``, ``"onnx"`` or ``"onnxruntime"``.

    Raises
    ------
    MissingExtraError
        If the module cannot be imported.
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        extra, req = EXTRAS.get(module, (module, module))
        raise MissingExtraError(
            f"{module} is needed for this and is not installed ({e}); "
            f"install it with: pip install 'cpa[{extra}]'  (or: pip install '{req}')") from None
