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
naming the term as written.  Every such term is reported at once, in one
error: the reader records the term with its reason and goes on, and a term
that contains one already reported is not reported again.  Unknown variables
are all named at once too (:func:`read_expression`).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, Callable, Sequence

from . import limits
from .errors import InvalidNumberError, LimitError, NotPiecewiseAffineError, SpecError, UnknownVariableError
from .expr import Abs, Expr, Lin, Max, Min, Scale, Sum, affine_part, variables_of
from .numbers import ONE, ZERO, abbreviate, power, to_rational

__all__ = ["read_expression", "check_variables"]

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
        self.reader = _Reader(f"the constants of expression {_quote(self.text)}")

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
        """The expression tree; terms that are not piecewise affine are in ``self.reader.problems``."""
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
            if len(terms) == 1:
                return terms[0], start
            return (_INVALID if _INVALID in terms else Sum(tuple(terms))), start
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
                e = _multiply(e, rhs, text, self.reader)
            else:
                e = _divide(e, rhs, text, self.reader)
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
            return _power(base, exp, self.src(start, end), self.reader), start
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
                return _call(value, args, self.src(start, end), self.reader), start
            self.reader.names.add(value)
            return Lin(((value, ONE),)), start
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


class _Invalid(Expr):
    """Stands in the tree for a term already reported as not piecewise affine.  An operation
    on it gives it back without a second report, so each bad term is named once (``x*y*z``
    is one problem, ``x*y``; ``Max(x*y, 0)`` too)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<not piecewise affine>"


_INVALID = _Invalid()


def _negate(e: Expr) -> Expr:
    """``-e``, folded into ``e`` when it is a constant or already a multiple (no chains of Scale)."""
    if e is _INVALID:
        return e
    if isinstance(e, Lin) and e.is_constant:
        return Lin((), -e.const)
    if isinstance(e, Scale):
        return Scale(-e.factor, e.arg)
    return Scale(Fraction(-1), e)


def _scale(c: Fraction, e: Expr, text: object) -> Expr:
    if e is _INVALID:
        return e
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


def _multiply(a: Expr, b: Expr, text: object, reader: "_Reader") -> Expr:
    if a is _INVALID or b is _INVALID:
        return _INVALID
    ca, cb = _const(a), _const(b)
    if ca is not None and cb is not None:
        return Lin((), _checked(ca * cb, text))
    if ca is not None:
        return _scale(ca, b, text)
    if cb is not None:
        return _scale(cb, a, text)
    return reader.not_affine(text, _PRODUCT)


def _divide(a: Expr, b: Expr, text: object, reader: "_Reader") -> Expr:
    if a is _INVALID or b is _INVALID:
        return _INVALID
    cb = _const(b)
    if cb is None:
        return reader.not_affine(text, "division by a variable")
    if cb == 0:
        raise SpecError(f"term '{text}' divides by zero")
    ca = _const(a)
    return Lin((), _checked(ca / cb, text)) if ca is not None else _scale(1 / cb, a, text)


_PRODUCT = "product of two variables"
_POWER = "power of a variable"
_FUNCTION_HINT = "the functions are Max, Min, Abs and relu"
_SHOWN = 5  # problems named in one message; the rest are counted


class _Reader:
    """What reading one expression collects: the terms that are not piecewise affine, and the
    work spent on powers.

    The terms are reported together by :meth:`check`, as one
    :class:`~cpa.errors.NotPiecewiseAffineError`.  The work is refused past ``max_work``:
    ``9**99999`` is ten characters of text but 95,000 digits of work, and without a budget a
    few thousand of them would take minutes.  A power costs about (words of the result) x
    (bits of the exponent) steps.
    """

    def __init__(self, what: str):
        self.what = what
        self.spent = 0.0
        self.problems: list[tuple[object, str]] = []
        self.names: set[str] = set()  # every variable read, in reported terms too

    def not_affine(self, text: object, reason: str) -> Expr:
        """Record the term ``text`` with its reason; the placeholder that stands for it in the tree."""
        self.problems.append((text, reason))
        return _INVALID

    def check(self, unknown: str = "") -> None:
        """Raise one NotPiecewiseAffineError naming every recorded term (and ``unknown``, the
        text of the unknown variables, if any); nothing if no term was recorded."""
        if not self.problems:
            return
        seen: dict[tuple[str, str], int] = {}   # each text once (with how often), in reading order
        for t, r in self.problems:
            key = (str(t), r)
            seen[key] = seen.get(key, 0) + 1
        hint = f" ({_FUNCTION_HINT})" if any(r.startswith("function ") for _, r in seen) else ""
        n = len(self.problems)
        if n == 1 and not unknown:
            (text, reason), = seen
            raise NotPiecewiseAffineError(f"term '{text}' is not piecewise affine: {reason}{hint}")
        shown = list(seen.items())[:_SHOWN]
        items = [f"'{t}': {r}" + (f" ({k} times)" if k > 1 else "") for (t, r), k in shown]
        rest = n - sum(k for _, k in shown)
        if rest:
            items.append(f"and {rest} more")
        if unknown:
            items.append(unknown)
        raise NotPiecewiseAffineError(f"{n} term{'s are' if n > 1 else ' is'} not piecewise affine: "
                                      + "; ".join(items) + hint)

    def power(self, base: Fraction, k: int, text: object) -> Fraction:
        size = max(abs(base.numerator), base.denominator)
        if size > 1 and 0 < abs(k) <= limits.current().max_exponent:
            self.spent += (abs(k) * math.log10(size) / 9 + 1) * abs(k).bit_length()
            limits.check_work(self.spent, f"computing {self.what}")
        # the size is checked before the power is computed: 9**9**9 is refused, not evaluated
        return power(base, k, _Lazy(lambda: f"the power '{text}'"))  # type: ignore[arg-type]


def _power(base: Expr, exp: Expr, text: object, reader: _Reader) -> Expr:
    if base is _INVALID or exp is _INVALID:
        return _INVALID
    ce, cb = _const(exp), _const(base)
    if ce is not None and ce == 1:
        return base
    if ce is not None and cb is not None and ce.denominator == 1:
        if cb == 0 and ce < 0:
            raise SpecError(f"term '{text}' divides by zero")
        return Lin((), reader.power(cb, ce.numerator, text))
    return reader.not_affine(text, _power_reason(cb, ce))


def _function_reason(name: str) -> str:
    return f"function {abbreviate(name, 30)} is not piecewise affine"


def _power_reason(base: Fraction | None, exponent: Fraction | None) -> str:
    if exponent is None:
        return "variable exponent"
    if base is None:
        return _POWER
    return "non-integer power of a number"


def _call(name: str, args: list[Expr], text: object, reader: _Reader) -> Expr:
    canon = _FUNCS.get(name.lower())
    if canon is None:
        return reader.not_affine(text, _function_reason(name))
    if not args:
        raise SpecError(f"'{text}': {canon} needs at least one argument")
    if len(args) != 1 and canon in ("Abs", "relu"):
        raise SpecError(f"'{text}': {canon} takes exactly one argument, got {len(args)}")
    if _INVALID in args:
        return _INVALID
    if canon == "Max":
        return Max(tuple(args))
    if canon == "Min":
        return Min(tuple(args))
    if canon == "Abs":
        return Abs(args[0])
    return Max((args[0], Lin((), ZERO)))


def read_expression(expr: Any, variables: Sequence[Any] | None = None) -> tuple[Expr, tuple[str, ...]]:
    """Read text or a sympy expression: the tree and the variable order, every problem reported at once.

    Parameters
    ----------
    expr
        Text (see the module docstring) or a sympy expression.
    variables
        The declared variable order (names or sympy symbols); None: the variables used,
        sorted by name.

    Raises
    ------
    NotPiecewiseAffineError
        Naming every term that is not piecewise affine, each with its reason (and the unknown
        variables, if there are some too), in one line.
    UnknownVariableError
        Naming every variable that is used but not declared, when that is the only problem.
    SpecError, LimitError
        For malformed text or an input beyond :mod:`cpa.limits`, at the first such problem.
    """
    if isinstance(expr, str):
        parser = _Parser(expr)
        tree, reader = parser.parse(), parser.reader
    else:
        reader = _Reader(f"the constants of the sympy expression {_quote(_sympy_text(expr))}")
        tree = _from_sympy(expr, 0, reader)
        if reader.problems:
            reader.names.update(str(v) for v in getattr(expr, "free_symbols", ()))
    names = None if variables is None else [str(v) for v in variables]
    if reader.problems:
        reader.check(_unknown_text(reader.names, names))
    return tree, check_variables(tree, names)


# --- sympy ---------------------------------------------------------------
# A sympy tree is translated by class name (``_from_<Class>``, the table _SYMPY), so sympy is
# not imported here.  Nesting deeper than ``limits.max_nesting`` is refused with LimitError,
# and so is a power of a number too large to compute (it is never evaluated).

def _from_sympy(e: Any, depth: int, reader: _Reader) -> Expr:
    if depth > limits.current().max_nesting:
        raise limits.refuse(f"the nesting of the sympy expression {_quote(_sympy_text(e))}", "max_nesting",
                            f"more than {limits.current().max_nesting} levels")
    name = type(e).__name__
    handler: Callable[[Any, int, _Reader], Expr] | None = _SYMPY.get(name)
    if handler is None:
        if getattr(e, "is_Rational", False) or getattr(e, "is_Float", False):
            return _sympy_number(e, reader)
        if getattr(e, "is_Symbol", False):
            return Lin(((str(e), ONE),))
        if getattr(e, "is_Function", False):
            return reader.not_affine(_Lazy(lambda: _sympy_text(e)), _function_reason(name))
        return reader.not_affine(_Lazy(lambda: _sympy_text(e)), f"{abbreviate(name)} is not one of +, *, Max, "
                                                                f"Min, Abs")
    return handler(e, depth + 1, reader)


def _sympy_text(e: Any) -> str:
    """``str(e)`` abbreviated; a sympy Integer beyond Python's int/str limit is not printed whole."""
    try:
        return abbreviate(e)
    except (ValueError, RecursionError):
        return f"<{type(e).__name__}>"


def _sympy_fraction(e: Any) -> Fraction | None:
    """The exact value of a sympy Rational or (finite) Float; None for anything else."""
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
        return None
    if getattr(e, "is_Rational", False):
        return Fraction(int(e.p), int(e.q))
    return None


def _sympy_number(e: Any, reader: _Reader) -> Expr:
    q = _sympy_fraction(e)
    if q is None:
        return reader.not_affine(_Lazy(lambda: _sympy_text(e)), "not a finite rational number")
    return Lin((), q)


def _from_Mul(e: Any, depth: int, reader: _Reader) -> Expr:
    text = _Lazy(lambda: _sympy_text(e))
    factor = ONE
    rest = []
    for a in e.args:
        t = _sympy_number(a, reader) if getattr(a, "is_Number", False) else _from_sympy(a, depth, reader)
        c = _const(t)  # an unevaluated constant (Pow(9, 3)) is a factor too
        if c is not None:
            factor = _checked(factor * c, text)
        else:
            rest.append(t)
    if _INVALID in rest:
        return _INVALID
    if len(rest) > 1:
        return reader.not_affine(text, _PRODUCT)
    if not rest:
        return Lin((), factor)
    return _scale(factor, rest[0], text)


def _from_Pow(e: Any, depth: int, reader: _Reader) -> Expr:
    base, exp = e.args
    if getattr(exp, "is_Number", False) and exp == 1:
        return _from_sympy(base, depth, reader)
    if getattr(base, "is_Number", False) and getattr(exp, "is_Integer", False):
        b = _sympy_fraction(base)
        if b is None:
            return reader.not_affine(_Lazy(lambda: _sympy_text(e)), "not a finite rational number")
        k = int(exp.p)
        if b == 0 and k < 0:
            raise SpecError(f"term '{_sympy_text(e)}' divides by zero")
        return Lin((), reader.power(b, k, _Lazy(lambda: _sympy_text(e))))
    b = ZERO if getattr(base, "is_Number", False) else None
    k = ONE if getattr(exp, "is_Number", False) else None
    return reader.not_affine(_Lazy(lambda: _sympy_text(e)), _power_reason(b, k))


def _from_nary(cls: type) -> Callable[[Any, int, _Reader], Expr]:
    def go(e: Any, depth: int, reader: _Reader) -> Expr:
        if not e.args:
            raise SpecError(f"{cls.__name__} needs at least one argument")
        args = tuple(_from_sympy(a, depth, reader) for a in e.args)
        return _INVALID if _INVALID in args else cls(args)
    return go


def _from_Add(e: Any, depth: int, reader: _Reader) -> Expr:
    terms = tuple(_from_sympy(a, depth, reader) for a in e.args)
    return _INVALID if _INVALID in terms else Sum(terms)


def _from_Abs(e: Any, depth: int, reader: _Reader) -> Expr:
    arg = _from_sympy(e.args[0], depth, reader)
    return _INVALID if arg is _INVALID else Abs(arg)


def _infinite(e: Any, depth: int, reader: _Reader) -> Expr:
    return reader.not_affine(_Lazy(lambda: _sympy_text(e)),
                             "not finite (an empty sympy Max() or Min() evaluates to -oo/oo)")


_SYMPY: dict[str, Callable[[Any, int, _Reader], Expr]] = {
    "Add": _from_Add,
    "Mul": _from_Mul,
    "Pow": _from_Pow,
    "Max": _from_nary(Max),
    "Min": _from_nary(Min),
    "Abs": _from_Abs,
    "NegativeInfinity": _infinite,
    "Infinity": _infinite,
    "ComplexInfinity": _infinite,
    "NaN": _infinite,
}


def check_variables(e: Expr, variables: Sequence[str] | None) -> tuple[str, ...]:
    """The variable order: ``variables`` if given (every variable of ``e`` must be in it), else sorted names.

    Parameters
    ----------
    e
        The expression.
    variables
        The declared variable names (each converted with ``str``), or None.

    Returns
    -------
    tuple of str
        The variable names in order.

    Raises
    ------
    UnknownVariableError
        Naming every variable of ``e`` that is not in ``variables``.
    SpecError
        If ``variables`` repeats a name.
    """
    if variables is None:
        return tuple(sorted(variables_of(e)))
    names = _declared(variables)
    unknown = _unknown_text(variables_of(e), names)
    if unknown:
        raise UnknownVariableError(unknown)
    return names


def _declared(variables: Sequence[str]) -> tuple[str, ...]:
    names = tuple(str(v) for v in variables)
    if len(set(names)) != len(names):
        raise SpecError(f"variables repeat: {abbreviate(', '.join(names), 200)}")
    return names


def _unknown_text(used: set[str], variables: Sequence[str] | None) -> str:
    """``"unknown variables 'u', 'w' (declared: x, y)"`` for the ``used`` variables not declared; ``""`` if none
    (or if nothing is declared: then every variable is taken)."""
    if variables is None:
        return ""
    names = _declared(variables)
    unknown = sorted(used - set(names))
    if not unknown:
        return ""
    return (f"unknown variable{'s' if len(unknown) > 1 else ''} "
            f"{abbreviate(', '.join(repr(u) for u in unknown), 200)} "
            f"(declared: {abbreviate(', '.join(names), 200) or 'none'})")
