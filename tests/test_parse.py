"""Parsing CPA expressions from text and sympy, and the errors for what is not CPA."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

import cpa


def test_text_and_sympy_agree():
    x, y = sympy.symbols("x y")
    a = cpa.parse("Max(x, y, 0) - Abs(x - 1/2)", "x,y")
    b = cpa.parse(sympy.Max(x, y, 0) - sympy.Abs(x - sympy.Rational(1, 2)), [x, y])
    for p in ([0, 0], [1, 2], [Fraction(-1, 3), Fraction(5, 7)]):
        assert a(p) == b(p)


def test_operators_and_nesting():
    f = cpa.parse("-(2*x - y/3) + 3*Max(Min(x, 1), Abs(y) - 2, relu(x - y)) ^ 1 + 2**-1", "x,y")
    x, y = Fraction(1, 2), Fraction(-3)
    assert f([x, y]) == -(2 * x - y / 3) + 3 * max(min(x, 1), abs(y) - 2, max(x - y, 0)) + Fraction(1, 2)


def test_default_variable_order_is_alphabetical():
    assert cpa.parse("Max(y, x)").variables == ("x", "y")


@pytest.mark.parametrize("text", ["x*y", "x**2", "sin(x)", "Heaviside(x)", "x/y", "2**x", "exp(x)"])
def test_non_affine_terms_are_named(text):
    with pytest.raises(cpa.NotPiecewiseAffineError) as err:
        cpa.parse(f"Max({text}, 0)", "x,y")
    assert text in str(err.value)


@pytest.mark.parametrize("make", [lambda x, y: x * y, lambda x, y: x ** 2, lambda x, y: sympy.sin(x),
                                  lambda x, y: sympy.Heaviside(x)])
def test_non_affine_sympy_terms_are_named(make):
    x, y = sympy.symbols("x y")
    term = make(x, y)
    with pytest.raises(cpa.NotPiecewiseAffineError) as err:
        cpa.parse(sympy.Max(term, 0) + 1, [x, y])
    assert str(term) in str(err.value)


def test_every_non_affine_term_is_named_at_once():
    with pytest.raises(cpa.NotPiecewiseAffineError) as err:
        cpa.parse("x*y + x**2 + sin(z)", "x,y,z")
    msg = str(err.value)
    assert msg.startswith("3 terms are not piecewise affine: ") and "\n" not in msg
    for part in ("'x*y': product of two variables", "'x**2': power of a variable",
                 "'sin(z)': function sin is not piecewise affine"):
        assert part in msg
    assert msg.index("x*y") < msg.index("x**2") < msg.index("sin(z)")     # in the order written


@pytest.mark.parametrize("text, terms", [
    ("x*y*y", ["x*y"]),                                   # a bad term inside a bigger one is named once
    ("Max(x*y, 0) + Abs(sin(x) - 1)", ["x*y", "sin(x)"]),
    ("sin(x*y)", ["x*y", "sin(x*y)"]),
    ("x/y + 2**x + 2**(1/2) + x*y + x*y", ["x/y", "2**x", "2**(1/2)", "x*y"]),   # 'x*y' ... (2 times)
])
def test_nested_and_repeated_terms(text, terms):
    with pytest.raises(cpa.NotPiecewiseAffineError) as err:
        cpa.parse(text, "x,y")
    msg = str(err.value)
    assert all(f"'{t}'" in msg for t in terms)
    assert sum(msg.count(f"'{t}'") for t in terms) == len(terms)


def test_sympy_terms_are_named_at_once():
    x, y, z = sympy.symbols("x y z")
    with pytest.raises(cpa.NotPiecewiseAffineError) as err:
        cpa.parse(x * y + sympy.Max(x ** 2, 0) + sympy.sin(z), [x, y, z])
    msg = str(err.value)
    assert msg.startswith("3 terms") and "product of two variables" in msg and "power of a variable" in msg
    assert "function sin is not piecewise affine" in msg


def test_many_problems_keep_one_short_line():
    text = " + ".join(f"x*y{i}{'y' * 200}" for i in range(50))
    with pytest.raises(cpa.NotPiecewiseAffineError) as err:
        cpa.parse(text, "x,y")
    msg = str(err.value)
    assert msg.startswith("50 terms") and "and 45 more" in msg and "\n" not in msg and len(msg) < 1200


def test_unknown_variables_are_all_named():
    with pytest.raises(cpa.UnknownVariableError, match="unknown variables 'u', 'w', 'z' \\(declared: x, y\\)"):
        cpa.parse("Max(x, z) + w - Abs(u)", "x,y")


def test_unknown_variables_are_named_with_the_terms():
    with pytest.raises(cpa.NotPiecewiseAffineError) as err:
        cpa.parse("Max(x*y, w)", "x,y")
    assert "'x*y': product of two variables" in str(err.value) and "unknown variable 'w'" in str(err.value)


def test_unknown_variable():
    with pytest.raises(cpa.UnknownVariableError, match="unknown variable 'z' \\(declared: x, y\\)"):
        cpa.parse("Max(x, z)", "x,y")


def test_empty_max():
    with pytest.raises(cpa.SpecError, match="Max needs at least one argument"):
        cpa.parse("Max() + x", "x")
    with pytest.raises(cpa.NotPiecewiseAffineError, match="empty sympy Max"):
        cpa.parse(sympy.Max() + sympy.Symbol("x"))


@pytest.mark.parametrize("text, word", [("Max(x,", "ends early"), ("x + $", "unexpected character"),
                                        ("x / 0", "divides by zero"), ("Abs(x, y)", "exactly one argument"),
                                        ("", "empty expression")])
def test_malformed_text(text, word):
    with pytest.raises(cpa.SpecError, match=word):
        cpa.parse(text, "x,y")


def test_parser_never_evaluates_code(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(cpa.CPAError):
        cpa.parse(f"__import__('os').system('touch {marker}')")
    assert not marker.exists()


def test_spec_errors():
    with pytest.raises(cpa.SpecError, match="breakpoints must increase strictly"):
        cpa.Breakpoints1D([0, 0], [1, 2])
    with pytest.raises(cpa.SpecError, match="at least one affine map"):
        cpa.MaxAffine([], [])
    with pytest.raises(cpa.ShapeError, match="A has 2 rows but b has 1"):
        cpa.MaxAffine([[1], [2]], [0])
    with pytest.raises(cpa.ShapeError, match="g has input dimension 1, h has 2"):
        cpa.DC(cpa.MaxAffine([[1]], [0]), cpa.MaxAffine([[1, 2]], [0]))
    with pytest.raises(cpa.SpecError, match="cannot compile a list"):
        cpa.compile([1, 2])


def test_the_parser_module_does_not_shadow_cpa_parse():
    import types

    import cpa.expr_parser  # noqa: F401  (a submodule import binds its name on the package)

    assert callable(cpa.parse) and not isinstance(cpa.parse, types.ModuleType)
    assert cpa.parse("Max(x, 0)", "x")([-1]) == 0
