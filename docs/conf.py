"""Sphinx configuration: the API reference is built from the numpydoc docstrings.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` (warnings are errors;
the test suite runs the same build).
"""

from importlib.metadata import version as _version

project = "cpa"
author = "the cpa developers"
release = _version("cpa")
version = release
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",      # numpydoc sections (Parameters, Returns, Raises, Examples, ...)
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True      # "Attributes" as fields, not as a second description of each member
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_mock_imports = ["torch", "onnx", "onnxruntime"]
suppress_warnings = ["ref.python"]   # the same name re-exported from several modules
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = "cpa: exact CPA functions and ReLU networks"
