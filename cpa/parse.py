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

import math
import re
from fractions import Fraction
from typing import Any, Callable, Sequence

from . import limits
from .errors import InvalidNumberError, LimitError, NotPiecewiseAffineError, SpecError, UnknownVariableError
from .expr import Abs, Expr, Lin, Max, Min, Scale, Sum, affine_part, variables_of
from .numbers import abbreviate, power, to_rational

__all__ = ["parse_expr", "from_sympy", "check_variables"]

# re.ASCII: \d is 0-9 only (Unicode digits such as '١' or '１' are refused by name)
_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
                    r"|(?P<op>\*\*|[-+*/^(),]))", re.ASCII)
_FUNCS = {"max": "Max", "min": "Min", "abs": "Abs", "relu": "relu"}


def _quote(text: str) -> str:
    return f"'{abbreviate(text)}'"


class _Lazy:
    """Text for an error message, made only if the message is: a chain like ``x*2*2*...*2``
    would otherwise slice its growing source text at every step (quadratic time)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], str]):
        self.make = make

    def __str__(self) -> str:
        return self.make()

    def __format__(self, spec: str) -> str:
        return format(self.make(), spec)


class _Parser:
    """Recursive descent over the token list.

    The recursion is bounded: every parenthesis, function call and power exponent
    counts one level of nesting, refused past ``limits.max_nesting``; chains of signs
    and of ``*``/``/`` are read iteratively and fold into one :class:`Scale`.
    """

    def __init__(self, text: str):
        self.text = text
        self.tokens: list[tuple[str, str, int, int]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                while pos < len(text) and text[pos].isspace():
                    pos += 1
                ch = text[pos]
                if not ch.isascii() and (ch.isdigit() or ch.isnumeric()):
                    raise SpecError(f"cannot parse {_quote(self.text)}: the non-ASCII digit {ch!r} "
                                    f"(U+{ord(ch):04X}) at position {pos}; write numbers with the ASCII digits 0-9")
                raise SpecError(f"cannot parse {_quote(self.text)}: unexpected character {ch!r} at position {pos}")
            kind = m.lastgroup or "op"
            self.tokens.append((kind, m.group(kind), m.start(kind), m.end()))
            pos = m.end()
        self.i = 0
        self.depth = -1  # the top-level expression is not nested
        self.max_nesting = limits.current().max_nesting
        self.budget = _Budget(f"the constants of expression {_quote(self.text)}")

    def peek(self) -> tuple[str, str, int, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str, int, int]:
        tok = self.peek()
        if tok is None:
            raise SpecError(f"cannot parse {_quote(self.text)}: it ends early" + (f", expected {value!r}" if value else ""))
        if value is not None and tok[1] != value:
            raise SpecError(f"cannot parse {_quote(self.text)}: expected {value!r} at position {tok[2]}, "
                            f"found {abbreviate(tok[1])!r}")
        self.i += 1
        return tok

    def src(self, start: int, end: int) -> _Lazy:
        return _Lazy(lambda: abbreviate(self.text[start:end].strip()))

    def parse(self) -> Expr:
        if not self.tokens:
            raise SpecError("empty expression")
        try:
            e, _ = self.expr()
        except RecursionError:  # only if max_nesting was raised beyond what Python's stack holds
            raise LimitError(f"expression {_quote(self.text)} is nested too deeply for Python's stack "
                             f"(max_nesting={self.max_nesting}); lower cpa.limits max_nesting or simplify "
                             f"the expression", limit="max_nesting") from None
        tok = self.peek()
        if tok is not None:
            raise SpecError(f"cannot parse {_quote(self.text)}: unexpected {abbreviate(tok[1])!r} at position {tok[2]}")
        return e

    def enter(self, start: int) -> None:
        self.depth += 1
        if self.depth > self.max_nesting:
            raise limits.refuse(f"the nesting of expression {_quote(self.text)}", "max_nesting",
                                f"more than {self.max_nesting} levels at position {start}")

    # each returns (node, start offset)
    def expr(self) -> tuple[Expr, int]:
        tok = self.peek()
        self.enter(tok[2] if tok is not None else len(self.text))
        try:
            e, start = self.term()
            terms = [e]
            while (tok := self.peek()) is not None and tok[1] in "+-" and tok[0] == "op":
                self.take()
                t, _ = self.term()
                terms.append(t if tok[1] == "+" else _negate(t))
            return (terms[0] if len(terms) == 1 else Sum(tuple(terms))), start
        finally:
            self.depth -= 1

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
        negative, start = False, None
        while (tok := self.peek()) is not None and tok[1] in ("+", "-") and tok[0] == "op":
            self.take()
            negative ^= tok[1] == "-"
            start = tok[2] if start is None else start
        e, s = self.power()
        return (_negate(e) if negative else e), (s if start is None else start)

    def power(self) -> tuple[Expr, int]:
        base, start = self.atom()
        tok = self.peek()
        if tok is not None and tok[1] in ("**", "^"):
            self.take()
            self.enter(tok[2])
            try:
                exp, _ = self.unary()
            finally:
                self.depth -= 1
            end = self.tokens[self.i - 1][3]
            return _power(base, exp, self.src(start, end), self.budget), start
        return base, start

    def atom(self) -> tuple[Expr, int]:
        tok = self.take()
        kind, value, start, _ = tok
        if kind == "num":
            return Lin((), _number(value, start)), start
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
                            raise SpecError(f"cannot parse {_quote(self.text)}: expected ',' or ')' in the "
                                            f"arguments of {abbreviate(value)}")
                end = self.tokens[self.i - 1][3]
                return _call(value, args, self.src(start, end)), start
            return Lin(((value, Fraction(1)),)), start
        if value == "(":
            e, _ = self.expr()
            self.take(")")
            return e, start
        raise SpecError(f"cannot parse {_quote(self.text)}: unexpected {value!r} at position {start}")


def _number(text: str, pos: int) -> Fraction:
    try:
        return to_rational(text, f"position {pos}")
    except InvalidNumberError as e:
        raise SpecError(str(e)) from None


def _negate(e: Expr) -> Expr:
    """``-e``, folded into ``e`` when it is a constant or already a multiple (no chains of Scale)."""
    if isinstance(e, Lin) and e.is_constant:
        return Lin((), -e.const)
    if isinstance(e, Scale):
        return Scale(-e.factor, e.arg)
    return Scale(Fraction(-1), e)


def _scale(c: Fraction, e: Expr, text: object) -> Expr:
    return Scale(_checked(c * e.factor, text), e.arg) if isinstance(e, Scale) else Scale(c, e)


def _const(e: Expr) -> Fraction | None:
    if isinstance(e, Lin):
        return e.const if e.is_constant else None
    if isinstance(e, Scale):
        c = _const(e.arg)  # scale chains are folded: e.arg is not a Scale
        return None if c is None else e.factor * c
    if isinstance(e, (Max, Min, Abs)):
        return None
    a = affine_part(e)
    return a.const if a is not None and a.is_constant else None


def _checked(q: Fraction, text: object) -> Fraction:
    bits = limits.current().max_digits * 3.33
    if q.numerator.bit_length() > bits or q.denominator.bit_length() > bits:
        limits.check_int(q.numerator, f"the value of '{text}'")
        limits.check_int(q.denominator, f"the value of '{text}'")
    return q


def _multiply(a: Expr, b: Expr, text: object) -> Expr:
    ca, cb = _const(a), _const(b)
    if ca is not None and cb is not None:
        return Lin((), _checked(ca * cb, text))
    if ca is not None:
        return _scale(ca, b, text)
    if cb is not None:
        return _scale(cb, a, text)
    raise NotPiecewiseAffineError(f"term '{text}' is not piecewise affine: a product needs a constant factor")


def _divide(a: Expr, b: Expr, text: object) -> Expr:
    cb = _const(b)
    if cb is None:
        raise NotPiecewiseAffineError(f"term '{text}' is not piecewise affine: division by a non-constant")
    if cb == 0:
        raise SpecError(f"term '{text}' divides by zero")
    ca = _const(a)
    return Lin((), _checked(ca / cb, text)) if ca is not None else _scale(1 / cb, a, text)


class _Budget:
    """The work spent on powers while reading one expression, refused past ``max_work``.

    ``9**99999`` is ten characters of text but 95,000 digits of work: without a budget,
    a few thousand of them would take minutes.  A power costs about (words of the
    result) x (bits of the exponent) steps.
    """

    def __init__(self, what: str):
        self.what = what
        self.spent = 0.0

    def power(self, base: Fraction, k: int, text: object) -> Fraction:
        size = max(abs(base.numerator), base.denominator)
        if size > 1 and 0 < abs(k) <= limits.current().max_exponent:
            self.spent += (abs(k) * math.log10(size) / 9 + 1) * abs(k).bit_length()
            limits.check_work(self.spent, f"computing {self.what}")
        # the size is checked before the power is computed: 9**9**9 is refused, not evaluated
        return power(base, k, _Lazy(lambda: f"the power '{text}'"))  # type: ignore[arg-type]


def _power(base: Expr, exp: Expr, text: object, budget: _Budget) -> Expr:
    ce, cb = _const(exp), _const(base)
    if ce is not None and ce == 1:
        return base
    if ce is not None and cb is not None and ce.denominator == 1:
        if cb == 0 and ce < 0:
            raise SpecError(f"term '{text}' divides by zero")
        return Lin((), budget.power(cb, ce.numerator, text))
    raise NotPiecewiseAffineError(f"term '{text}' is not piecewise affine: powers other than ^1 of a variable expression")


def _call(name: str, args: list[Expr], text: object) -> Expr:
    canon = _FUNCS.get(name.lower())
    if canon is None:
        raise NotPiecewiseAffineError(
            f"term '{text}' is not piecewise affine: function '{abbreviate(name)}' is not one of Max, Min, Abs, relu")
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
    Nesting deeper than ``limits.max_nesting`` is refused with
    :class:`~cpa.errors.LimitError`, and so is a power of a number too large to
    compute (it is never evaluated).
    """
    return _from_sympy(e, 0, _Budget(f"the constants of the sympy expression {_quote(_sympy_text(e))}"))


def _from_sympy(e: Any, depth: int, budget: _Budget) -> Expr:
    if depth > limits.current().max_nesting:
        raise limits.refuse(f"the nesting of the sympy expression {_quote(_sympy_text(e))}", "max_nesting",
                            f"more than {limits.current().max_nesting} levels")
    name = type(e).__name__
    handler: Callable[[Any, int, _Budget], Expr] | None = _SYMPY.get(name)
    if handler is None:
        if getattr(e, "is_Rational", False) or getattr(e, "is_Float", False):
            return Lin((), _sympy_number(e))
        if getattr(e, "is_Symbol", False):
            return Lin(((str(e), Fraction(1)),))
        raise NotPiecewiseAffineError(f"term '{_sympy_text(e)}' is not piecewise affine: {name} is not one of "
                                      f"+, *, Max, Min, Abs")
    return handler(e, depth + 1, budget)


def _sympy_text(e: Any) -> str:
    """``str(e)`` abbreviated; a sympy Integer beyond Python's int/str limit is not printed whole."""
    try:
        return abbreviate(e)
    except (ValueError, RecursionError):
        return f"<{type(e).__name__}>"


def _sympy_number(e: Any) -> Fraction:
    if getattr(e, "is_Float", False):
        # the exact binary value of the Float (sign, mantissa, exponent), like a Python float;
        # Float('1e400') is finite in sympy and is read exactly
        mpf = getattr(e, "_mpf_", None)
        if mpf is not None and len(mpf) == 4 and (mpf[1] or mpf[2] == 0):  # not inf or nan
            sign, man, exp = int(mpf[0]), int(mpf[1]), int(mpf[2])
            if abs(exp) > limits.current().max_exponent * 4:  # 2**e: about 0.3 e digits
                raise limits.refuse(f"the sympy Float {_quote(_sympy_text(e))}", "max_exponent",
                                    f"binary exponent {exp}")
            q = Fraction(int(man) << exp) if exp >= 0 else Fraction(int(man), 1 << -exp)
            return _checked(-q if sign else q, _Lazy(lambda: _sympy_text(e)))
        raise NotPiecewiseAffineError(f"term '{_sympy_text(e)}' is not a finite rational number")
    if getattr(e, "is_Rational", False):
        return Fraction(int(e.p), int(e.q))
    raise NotPiecewiseAffineError(f"term '{_sympy_text(e)}' is not a finite rational number")


def _from_Mul(e: Any, depth: int, budget: _Budget) -> Expr:
    text = _Lazy(lambda: _sympy_text(e))
    factor = Fraction(1)
    rest = []
    for a in e.args:
        if getattr(a, "is_Number", False):
            factor = _checked(factor * _sympy_number(a), text)
            continue
        t = _from_sympy(a, depth, budget)  # an unevaluated constant (Pow(9, 3)) is a factor too
        c = _const(t)
        if c is not None:
            factor = _checked(factor * c, text)
        else:
            rest.append(t)
    if len(rest) > 1:
        raise NotPiecewiseAffineError(f"term '{_sympy_text(e)}' is not piecewise affine: a product needs a "
                                      f"constant factor")
    if not rest:
        return Lin((), factor)
    return _scale(factor, rest[0], text)


def _from_Pow(e: Any, depth: int, budget: _Budget) -> Expr:
    base, exp = e.args
    if getattr(exp, "is_Number", False) and exp == 1:
        return _from_sympy(base, depth, budget)
    if getattr(base, "is_Number", False) and getattr(exp, "is_Integer", False):
        b = _sympy_number(base)
        k = int(exp.p)
        if b == 0 and k < 0:
            raise SpecError(f"term '{_sympy_text(e)}' divides by zero")
        return Lin((), budget.power(b, k, _Lazy(lambda: _sympy_text(e))))
    raise NotPiecewiseAffineError(f"term '{_sympy_text(e)}' is not piecewise affine: powers other than ^1 of a "
                                  f"variable expression")


def _from_nary(cls: type) -> Callable[[Any, int, _Budget], Expr]:
    def go(e: Any, depth: int, budget: _Budget) -> Expr:
        if not e.args:
            raise SpecError(f"{cls.__name__} needs at least one argument")
        return cls(tuple(_from_sympy(a, depth, budget) for a in e.args))
    return go


def _infinite(e: Any, depth: int, budget: _Budget) -> Expr:
    raise NotPiecewiseAffineError(f"term '{e}' is not finite (an empty sympy Max() or Min() evaluates to -oo/oo)")


_SYMPY: dict[str, Callable[[Any, int, _Budget], Expr]] = {
    "Add": lambda e, depth, budget: Sum(tuple(_from_sympy(a, depth, budget) for a in e.args)),
    "Mul": _from_Mul,
    "Pow": _from_Pow,
    "Max": _from_nary(Max),
    "Min": _from_nary(Min),
    "Abs": lambda e, depth, budget: Abs(_from_sympy(e.args[0], depth, budget)),
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
        raise SpecError(f"variables repeat: {abbreviate(', '.join(names), 200)}")
    unknown = sorted(used - set(names))
    if unknown:
        raise UnknownVariableError(
            f"unknown variable{'s' if len(unknown) > 1 else ''} "
            f"{abbreviate(', '.join(repr(u) for u in unknown), 200)} "
            f"(declared: {abbreviate(', '.join(names), 200) or 'none'})")
    return names
