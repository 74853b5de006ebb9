"""Exceptions of cpa: one base, leaves named after what went wrong.

Every leaf also subclasses the matching builtin (``ValueError``, ``TypeError``,
``RuntimeError``) so callers that catch builtins keep working.
"""

from __future__ import annotations

__all__ = [
    "CPAError",
    "InvalidNumberError",
    "ShapeError",
    "NotPiecewiseAffineError",
    "UnknownVariableError",
    "SpecError",
    "DiscontinuousSpecError",
    "FormatError",
    "UnsupportedLayerError",
    "DomainError",
    "EnumerationLimitError",
    "NotEquivalentError",
    "MissingExtraError",
    "ArgumentError",
    "ArgumentTypeError",
    "LimitError",
    "CertificateError",
]


class CPAError(Exception):
    """Base class of every error raised by cpa."""


class InvalidNumberError(CPAError, ValueError):
    """A value cannot be read as an exact rational (NaN, inf, bool, complex, ...)."""


class ShapeError(CPAError, ValueError):
    """Matrix or vector shapes do not fit (ragged rows, layer mismatch, ...)."""


class NotPiecewiseAffineError(CPAError, ValueError):
    """An expression has a term that is not continuous piecewise affine (x*y, sin(x), ...)."""


class UnknownVariableError(CPAError, ValueError):
    """An expression uses a variable that is not among the declared ones."""


class SpecError(CPAError, ValueError):
    """A CPA spec is malformed (empty Max, unsorted breakpoints, ...)."""


class DiscontinuousSpecError(SpecError):
    """A piecewise spec is not continuous across a shared boundary."""


class FormatError(CPAError, ValueError):
    """A file or document is not a valid network in the expected format."""


class UnsupportedLayerError(FormatError):
    """An imported model contains layers or operators cpa cannot represent exactly."""


class DomainError(CPAError, ValueError):
    """A domain is empty, has the wrong dimension or non-finite bounds."""


class EnumerationLimitError(CPAError, RuntimeError):
    """Region enumeration stopped at the user's limit; ``partial`` holds what was found.

    ``count`` is the count reached when it stopped (a lower bound on the final count, or the
    final count itself), and ``partial`` a dict with at least ``"lower_bound"`` (the same
    number) and, when known, ``"layer"`` and ``"neuron"`` (where it stopped).  Build it with
    :meth:`partial_count`, which words the message the same way everywhere.

    Parameters
    ----------
    message
        The error message.
    partial
        What was found before stopping (stored as ``partial``).
    count
        The count reached when it stopped (stored as ``count``), or None.
    """

    def __init__(self, message: str, partial: object = None, count: int | None = None):
        super().__init__(message)
        self.partial = partial
        self.count = count

    @classmethod
    def partial_count(cls, why: str, count: int, *, unit: str = "cells", layer: int | None = None,
                      neuron: int | None = None, final: bool = False, detail: str = "", hint: str = "",
                      **partial: object) -> "EnumerationLimitError":
        """The error for an enumeration stopped at ``count`` (one way of wording it, everywhere).

        Parameters
        ----------
        why
            What stopped it: ``"more than max_regions=100 regions"``, ``"out of memory"``, ...
        count
            The count reached: ``count`` and ``partial["lower_bound"]``.
        unit
            What was counted (``"cells"``, ``"intervals"``, ``"regions"``).
        layer, neuron
            Where it stopped (hidden layer and neuron, from 0), if it stopped inside the network;
            also put in ``partial``.
        final
            ``count`` is the final count (it stopped after counting), not a lower bound.
        detail, hint
            Text after the count (``"with 12,000 cell-vertex incidences"``) and after the whole
            statement (``"Use a smaller domain"``).
        **partial
            More entries of ``partial`` (``resident_bytes=...``).

        Examples
        --------
        >>> e = EnumerationLimitError.partial_count("more than max_regions=5 regions", 7, layer=1, neuron=2)
        >>> str(e)
        'more than max_regions=5 regions: 7 cells after neuron 2 of hidden layer 1 (the final count can only be larger)'
        >>> e.count, e.partial
        (7, {'lower_bound': 7, 'layer': 1, 'neuron': 2})
        """
        where = ""
        if neuron is not None and layer is not None:
            where = f" after neuron {neuron} of hidden layer {layer}"
        elif layer is not None:
            where = f" after hidden layer {layer}"
        text = f"{why}: {count} {unit}{where}" + (f" {detail}" if detail else "")
        if not final:
            text += " (the final count can only be larger)"
        if hint:
            text += f". {hint}"
        found: dict[str, object] = {"lower_bound": count}
        if layer is not None:
            found["layer"] = layer
        if neuron is not None:
            found["neuron"] = neuron
        found.update(partial)
        return cls(text, partial=found, count=count)


class NotEquivalentError(CPAError, AssertionError):
    """Two functions that were claimed equal differ; ``point`` is an exact witness.

    Parameters
    ----------
    message
        The error message.
    point
        The exact point where the functions differ (stored as ``point``), or None.
    """

    def __init__(self, message: str, point: object = None):
        super().__init__(message)
        self.point = point


class MissingExtraError(CPAError, ImportError):
    """An optional dependency of cpa (torch, onnx) is not installed; the message names the extra."""


class ArgumentError(CPAError, ValueError):
    """An argument of a cpa function has a value it cannot take (``method="foo"``, ``workers=0``, ...)."""


class ArgumentTypeError(CPAError, TypeError):
    """An argument of a cpa function has the wrong type (``Pieces(5)``, ``max_regions=1.5``, ...)."""


class LimitError(CPAError, ValueError):
    """An input exceeds one of cpa's size limits (:mod:`cpa.limits`): a number with too many
    digits, an exponent bomb, nesting too deep, or a request whose work is too large.
    The message names the limit and how to raise it.

    Parameters
    ----------
    message
        The error message.
    limit
        The name of the limit exceeded (stored as ``limit``), or None.
    """

    def __init__(self, message: str, limit: str | None = None):
        super().__init__(message)
        self.limit = limit


class CertificateError(CPAError, AssertionError):
    """A certificate did not check: a claimed result is not proved (``reason`` says which part).

    Parameters
    ----------
    message
        The error message.
    reason
        Which part of the certificate failed (stored as ``reason``), or None.
    """

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason
