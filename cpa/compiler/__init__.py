"""The compiler: CPA specs to exact ReLU network weights.

The orchestrator :func:`compile` fits on one screen: coerce the input to a
spec, pick the route, build, shrink, and (optionally) prove the result equal
to the spec.
"""

from .compile import CompileReport as CompileReport, compile as compile, compile_with_report as compile_with_report

__all__ = ["compile", "compile_with_report", "CompileReport"]
