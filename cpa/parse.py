"""Read CPA expressions from text or sympy into the IR of :mod:`cpa.expr`.

Grammar of the text form (no ``eval``; text is tokenised and parsed here)::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("+" | "-") unary | power
    power  := atom (("**" | "^") unary)?
    atom   := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

Functions: ``Max``, ``Min``, ``Abs`` (also ``max``, ``min``, ``abs``) and
``relu(e) = Max(e, 0)``.  A product needs a constant factor, a quotient a
nonzero constant divisor and a power an integer exponent of a constant; any
other term is refused with :class:`~cpa.errors.NotPiecewiseAffineError`
naming the term as written.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Callable, Sequence

from .errors import InvalidNumberError, NotPiecewiseAffineError, SpecError, UnknownVariableError
from .expr import Abs, Expr, Lin, Max, Min, Scale, Sum, affine_part, variables_of
from .numbers import to_rational

__all__ = ["parse_expr", "from_sympy", "check_variables"]

_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>\*\*|[-+*/^(),]))")
_FUNCS = {"max": "Max", "min": "Min", "abs": "Abs", "relu": "relu"}


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[tuple[str, str, int, int]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise SpecError(f"cannot parse {self.text!r}: unexpected character {text[pos]!r} at position {pos}")
            kind = m.lastgroup or "op"
            self.tokens.append((kind, m.group(kind), m.start(kind), m.end()))
            pos = m.end()
        self.i = 0

    def peek(self) -> tuple[str, str, int, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str, int, int]:
        tok = self.peek()
        if tok is None:
            raise SpecError(f"cannot parse {self.text!r}: it ends early" + (f", expected {value!r}" if value else ""))
        if value is not None and tok[1] != value:
            raise SpecError(f"cannot parse {self.text!r}: expected {value!r} at position {tok[2]}, found {tok[1]!r}")
        self.i += 1
        return tok

    def src(self, start: int, end: int) -> str:
        return self.text[start:end].strip()

    def parse(self) -> Expr:
        if not self.tokens:
            raise SpecError("empty expression")
        e, _ = self.expr()
        tok = self.peek()
        if tok is not None:
            raise SpecError(f"cannot parse {self.text!r}: unexpected {tok[1]!r} at position {tok[2]}")
        return e

    # each returns (node, start offset)
    def expr(self) -> tuple[Expr, int]:
        e, start = self.term()
        terms = [e]
        while (tok := self.peek()) is not None and tok[1] in "+-" and tok[0] == "op":
            self.take()
            t, _ = self.term()
            terms.append(t if tok[1] == "+" else Scale(Fraction(-1), t))
        return (terms[0] if len(terms) == 1 else Sum(tuple(terms))), start

    def term(self) -> tuple[Expr, int]:
        e, start = self.unary()
        while (tok := self.peek()) is not None and tok[1] in ("*", "/"):
            self.take()
            rhs, _ = self.unary()
            end = self.tokens[self.i - 1][3]
            text = self.src(start, end)
            if tok[1] == "*":
                e = _multiply(e, rhs, text)
            else:
                e = _divide(e, rhs, text)
        return e, start

    def unary(self) -> tuple[Expr, int]:
        tok = self.peek()
        if tok is not None and tok[1] in ("+", "-") and tok[0] == "op":
            self.take()
            e, _ = self.unary()
            return (e if tok[1] == "+" else Scale(Fraction(-1), e)), tok[2]
        return self.power()

    def power(self) -> tuple[Expr, int]:
        base, start = self.atom()
        tok = self.peek()
        if tok is not None and tok[1] in ("**", "^"):
            self.take()
            exp, _ = self.unary()
            end = self.tokens[self.i - 1][3]
            return _power(base, exp, self.src(start, end)), start
        return base, start

    def atom(self) -> tuple[Expr, int]:
        tok = self.take()
        kind, value, start, _ = tok
        if kind == "num":
            return Lin((), Fraction(value)), start
        if kind == "name":
            nxt = self.peek()
            if nxt is not None and nxt[1] == "(":
                self.take("(")
                args: list[Expr] = []
                if self.peek() is not None and self.peek()[1] == ")":  # type: ignore[index]
                    self.take(")")
                else:
                    while True:
                        a, _ = self.expr()
                        args.append(a)
                        if self.take()[1] == ")":
                            break
                        if self.tokens[self.i - 1][1] != ",":
                            raise SpecError(f"cannot parse {self.text!r}: expected ',' or ')' in the arguments of {value}")
                end = self.tokens[self.i - 1][3]
                return _call(value, args, self.src(start, end)), start
            return Lin(((value, Fraction(1)),)), start
        if value == "(":
            e, _ = self.expr()
            self.take(")")
            return e, start
        raise SpecError(f"cannot parse {self.text!r}: unexpected {value!r} at position {start}")


def _const(e: Expr) -> Fraction | None:
    a = affine_part(e)
    return a.const if a is not None and a.is_constant else None


def _multiply(a: Expr, b: Expr, text: str) -> Expr:
    ca, cb = _const(a), _const(b)
    if ca is not None and cb is not None:
        return Lin((), ca * cb)
    if ca is not None:
        return Scale(ca, b)
    if cb is not None:
        return Scale(cb, a)
    raise NotPiecewiseAffineError(f"term '{text}' is not piecewise affine: a product needs a constant factor")


def _divide(a: Expr, b: Expr, text: str) -> Expr:
    cb = _const(b)
    if cb is None:
        raise NotPiecewiseAffineError(f"term '{text}' is not piecewise affine: division by a non-constant")
    if cb == 0:
        raise SpecError(f"term '{text}' divides by zero")
    ca = _const(a)
    return Lin((), ca / cb) if ca is not None else Scale(1 / cb, a)


def _power(base: Expr, exp: Expr, text: str) -> Expr:
    ce, cb = _const(exp), _const(base)
    if ce is not None and ce == 1:
        return base
    if ce is not None and cb is not None and ce.denominator == 1:
        if cb == 0 and ce < 0:
            raise SpecError(f"term '{text}' divides by zero")
        return Lin((), cb ** int(ce))
    raise NotPiecewiseAffineError(f"term '{text}' is not piecewise affine: powers other than ^1 of a variable expression")


def _call(name: str, args: list[Expr], text: str) -> Expr:
    canon = _FUNCS.get(name.lower())
    if canon is None:
        raise NotPiecewiseAffineError(
            f"term '{text}' is not piecewise affine: function '{name}' is not one of Max, Min, Abs, relu")
    if not args:
        raise SpecError(f"'{text}': {canon} needs at least one argument")
    if canon == "Max":
        return Max(tuple(args))
    if canon == "Min":
        return Min(tuple(args))
    if len(args) != 1:
        raise SpecError(f"'{text}': {canon} takes exactly one argument, got {len(args)}")
    if canon == "Abs":
        return Abs(args[0])
    return Max((args[0], Lin((), Fraction(0))))


def parse_expr(text: str) -> Expr:
    """Parse the text form (see the module docstring) into an expression tree."""
    if not isinstance(text, str):
        raise SpecError(f"expected an expression string, got {type(text).__name__}")
    return _Parser(text).parse()


# --- sympy ---------------------------------------------------------------
def from_sympy(e: Any) -> Expr:
    """Translate a sympy expression built from ``+``, rational scalars, ``Max``, ``Min``, ``Abs``.

    Dispatch is by class name (``_from_<Class>``), so sympy is not imported here.
    """
    name = type(e).__name__
    handler: Callable[[Any], Expr] | None = _SYMPY.get(name)
    if handler is None:
        if getattr(e, "is_Rational", False) or getattr(e, "is_Float", False):
            return Lin((), _sympy_number(e))
        if getattr(e, "is_Symbol", False):
            return Lin(((str(e), Fraction(1)),))
        raise NotPiecewiseAffineError(f"term '{e}' is not piecewise affine: {name} is not one of +, *, Max, Min, Abs")
    return handler(e)


def _sympy_number(e: Any) -> Fraction:
    if getattr(e, "is_Float", False):
        try:
            return to_rational(float(e))
        except InvalidNumberError as err:
            raise NotPiecewiseAffineError(f"term '{e}': {err}") from None
    if getattr(e, "is_Rational", False):
        return Fraction(int(e.p), int(e.q))
    raise NotPiecewiseAffineError(f"term '{e}' is not a finite rational number")


def _from_Mul(e: Any) -> Expr:
    factor = Fraction(1)
    rest = []
    for a in e.args:
        if getattr(a, "is_Number", False):
            factor *= _sympy_number(a)
        else:
            rest.append(a)
    if len(rest) > 1:
        raise NotPiecewiseAffineError(f"term '{e}' is not piecewise affine: a product needs a constant factor")
    if not rest:
        return Lin((), factor)
    return Scale(factor, from_sympy(rest[0]))


def _from_Pow(e: Any) -> Expr:
    base, exp = e.args
    if getattr(exp, "is_Number", False) and exp == 1:
        return from_sympy(base)
    if getattr(base, "is_Number", False) and getattr(exp, "is_Integer", False):
        return Lin((), _sympy_number(base) ** int(exp))
    raise NotPiecewiseAffineError(f"term '{e}' is not piecewise affine: powers other than ^1 of a variable expression")


def _from_nary(cls: type) -> Callable[[Any], Expr]:
    def go(e: Any) -> Expr:
        if not e.args:
            raise SpecError(f"{cls.__name__} needs at least one argument")
        return cls(tuple(from_sympy(a) for a in e.args))
    return go


def _infinite(e: Any) -> Expr:
    raise NotPiecewiseAffineError(f"term '{e}' is not finite (an empty sympy Max() or Min() evaluates to -oo/oo)")


_SYMPY: dict[str, Callable[[Any], Expr]] = {
    "Add": lambda e: Sum(tuple(from_sympy(a) for a in e.args)),
    "Mul": _from_Mul,
    "Pow": _from_Pow,
    "Max": _from_nary(Max),
    "Min": _from_nary(Min),
    "Abs": lambda e: Abs(from_sympy(e.args[0])),
    "NegativeInfinity": _infinite,
    "Infinity": _infinite,
    "ComplexInfinity": _infinite,
    "NaN": _infinite,
}


def check_variables(e: Expr, variables: Sequence[str] | None) -> tuple[str, ...]:
    """The variable order: ``variables`` if given (every variable of ``e`` must be in it), else sorted names."""
    used = variables_of(e)
    if variables is None:
        return tuple(sorted(used))
    names = tuple(str(v) for v in variables)
    if len(set(names)) != len(names):
        raise SpecError(f"variables repeat: {', '.join(names)}")
    unknown = sorted(used - set(names))
    if unknown:
        raise UnknownVariableError(
            f"unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)} "
            f"(declared: {', '.join(names) or 'none'})")
    return names
