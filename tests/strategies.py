"""Hypothesis strategies for exact rationals, specs and networks."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

import cpa


def rationals(max_num: int = 20, max_den: int = 6) -> st.SearchStrategy[Fraction]:
    return st.builds(Fraction, st.integers(-max_num, max_num), st.integers(1, max_den))


def points(d: int, n: int = 4) -> st.SearchStrategy[list[list[Fraction]]]:
    return st.lists(st.lists(rationals(30, 7), min_size=d, max_size=d), min_size=n, max_size=n)


@st.composite
def max_affine(draw: st.DrawFn, d: int | None = None, max_maps: int = 7) -> cpa.MaxAffine:
    d = d or draw(st.integers(1, 3))
    M = draw(st.integers(1, max_maps))
    A = [[draw(rationals()) for _ in range(d)] for _ in range(M)]
    b = [draw(rationals()) for _ in range(M)]
    return cpa.MaxAffine(A, b)


@st.composite
def breakpoints_1d(draw: st.DrawFn) -> cpa.Breakpoints1D:
    ts = sorted(set(draw(st.lists(rationals(20, 4), min_size=1, max_size=7))))
    slopes = [draw(rationals(5, 3)) for _ in range(len(ts) + 1)]
    return cpa.Breakpoints1D.from_slopes(ts, slopes, draw(rationals()))


@st.composite
def expressions(draw: st.DrawFn, names: tuple[str, ...] = ("x", "y"), depth: int = 3) -> str:
    """Random CPA expression text over ``names`` with Max, Min, Abs nested up to ``depth``."""
    def leaf() -> str:
        terms = [f"({draw(rationals(5, 3))})*{v}" for v in names if draw(st.booleans())]
        terms.append(f"({draw(rationals(5, 3))})")
        return " + ".join(terms)

    def node(k: int) -> str:
        if k == 0 or draw(st.integers(0, 3)) == 0:
            return leaf()
        op = draw(st.sampled_from(["Max", "Min", "Abs", "sum", "scale"]))
        if op == "Abs":
            return f"Abs({node(k - 1)})"
        if op == "sum":
            return f"({node(k - 1)}) - ({node(k - 1)})"
        if op == "scale":
            return f"({draw(rationals(4, 3))})*({node(k - 1)})"
        args = [node(k - 1) for _ in range(draw(st.integers(1, 4)))]
        return f"{op}({', '.join(args)})"

    return node(depth)


@st.composite
def networks(draw: st.DrawFn, d: int | None = None, max_depth: int = 3, max_width: int = 4,
             out: int = 1) -> cpa.ReLUNetwork:
    d = d or draw(st.integers(1, 3))
    widths = draw(st.lists(st.integers(1, max_width), min_size=0, max_size=max_depth))
    dims = [d, *widths, out]
    layers = []
    for i in range(len(dims) - 1):
        W = [[draw(rationals(4, 3)) for _ in range(dims[i])] for _ in range(dims[i + 1])]
        b = [draw(rationals(4, 3)) for _ in range(dims[i + 1])]
        layers.append((W, b))
    return cpa.ReLUNetwork(layers)
