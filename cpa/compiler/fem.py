"""Routes from a finite-element interpolant (:class:`~cpa.simplicial.Simplicial`) to an exact ReLU network.

Three routes, each exact; the compiler builds all that apply and keeps the smallest
(fewest neurons, then fewest hidden layers), or the shallowest with ``depth="min"``.

**Sum of hat functions** (He, Li, Xu, Zheng 2020).  ``f = sum_v f(v) phi_v`` over the
vertices with ``f(v) != 0``, where ``phi_v`` is the nodal basis function (1 at ``v``, 0 at
the other vertices, affine on each simplex).  On the star ``S_v`` (the simplices at ``v``),
``phi_v = l_T`` on ``T``, the barycentric coordinate of ``v`` in ``T``.  Each hat takes
the first of these forms that applies:

* *one layer of kinks* (depth 2).  Let ``h_H(x) = n_H . x + e_H`` be the hyperplanes
  through ``v`` that hold the facets shared by two simplices of ``S_v``.  If there are
  ``a`` and ``c_H`` with ``grad l_T = -a - sum_H c_H sign_T(h_H) n_H`` on every ``T`` in
  ``S_v`` (no ``T`` straddling an ``H``), then ``r(x) = 1 - a . (x - v) - sum_H c_H |h_H(x)|``
  equals ``l_T`` on every ``T`` of the star, and ``phi_v = relu(r)`` on the mesh: for an
  interior vertex because ``r - 1`` is positively homogeneous about ``v`` and the star is a
  neighbourhood of ``v`` star-shaped from it (so ``r < 0`` outside the star); for a boundary
  vertex when every ``c_H >= 0`` (``r`` concave, hence ``r <= min_T l_T``), the star is
  convex and the mesh convex (next item).  The ``|h_H|`` are first-layer neurons
  ``relu(+-h_H)`` shared by all hats whose stars have a facet in ``H``, and the linear
  parts ``x_j = relu(x_j) - relu(-x_j)`` are shared too; each such hat costs one neuron
  in the second hidden layer.  On the Kuhn grid every hat has this form
  (``phi = relu(1 - (|u| + |w| + |u - w|)/2)`` with ``u, w`` the scaled offsets):
  ``2 (#lines) + #vertices`` neurons in 2 hidden layers.
* *relu of the min* (depth ``ceil(log2 |S_v|) + 1``): if the star is convex and ``v``
  is interior or the mesh is convex, ``phi_v = relu(min_{T in S_v} l_T)`` on the mesh
  (the statement of He et al. for convex supports).
* *lattice hat*: ``phi_v = relu(max_y min_{T in S_y} l_T)`` with
  ``S_y = {T : l_T(y) >= phi_v(y)}`` for one point ``y`` in each cell of the arrangement
  ``{l_T = l_T'}`` inside the star (Ovchinnikov's max-min form of ``phi_v`` extended by 0,
  whose key lemma needs a convex domain: all of ``R^d`` for an interior vertex, the mesh
  when it is convex).

**Lattice** (Tarela-Martinez, Ovchinnikov): the simplices as the pieces of a
:class:`~cpa.pieces.Pieces` spec on the convex mesh, compiled by
:func:`~cpa.pieces.lattice_expression`; its arrangement has ``O(m^2)`` hyperplanes for
``m`` distinct maps, so it is built only for up to :data:`LATTICE_MAX_MAPS` maps.

**DC** (Kripfganz-Schulze 1987; the construction of Wang 2004 / Arora et al. 2018 in
the form below): for each hyperplane ``H = {h_H = 0}`` holding interior facets, with the
gradient jump ``mu_F n_H`` of ``f`` across each facet ``F`` in ``H`` (from the side
``h_H < 0`` to ``h_H > 0``), let ``C_H = max(0, max_F -mu_F)/2``.  Then
``k = sum_H C_H |h_H|`` is convex and ``g = f + k`` is convex on the convex mesh (its jump
across every facet is ``mu_F + 2 C_H >= 0``, and a CPA function convex across every facet
of a convex domain is convex), so ``g = max`` of its affine pieces and ``f = g - k``:
a max tree of ``g``'s pieces minus one hidden layer of ``2 #H`` neurons.  ``g``'s
pieces are the cells of the simplices cut by the hyperplanes ``H`` (none are cut on
a Kuhn grid, where every ``H`` is a grid line).

Zanotti (2025, arXiv:2503.13001) proves that every CPA function on ``R^2`` with ``p``
pieces has a network with two hidden layers and ``O(p)`` neurons (a decomposition of the
pieces and a max-representation of "face functions"); that construction is not built
here.  On Kuhn grids the hat route above already has two hidden layers and
``2 (#lines) + #vertices`` neurons, linear in ``p``; on other meshes its depth is that of
the deepest hat.

References
----------
J. He, L. Li, J. Xu, C. Zheng, *ReLU deep neural networks and linear finite elements*,
J. Comput. Math. 38(3) (2020) 502-527 (arXiv:1807.03973), Theorem 3.1 (convex supports).
S. Ovchinnikov, *Max-min representation of piecewise linear functions*, Beitr. Algebra
Geom. 43 (2002) 297-302.
M. Kripfganz, R. Schulze, *Piecewise affine functions as a difference of two convex
functions*, Optimization 18 (1987) 23-29.
R. Arora, A. Basu, P. Mianjy, A. Mukherjee, *Understanding deep neural networks with
rectified linear units*, ICLR 2018 (arXiv:1611.01491).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations
from typing import Any

from ..calculus import affine_network, compose, linear_combination, parallel
from ..errors import LimitError, SpecError
from ..network import Layer, ReLUNetwork
from ..numbers import ONE, ZERO
from ..simplicial import Simplicial
from ..sparse import SparseMatrix

__all__ = ["fem_routes", "hat_sum_network", "lattice_network", "dc_network", "simplicial_to_network",
           "simplicial_to_shallow_network", "simplicial_counterexample", "hat_forms", "route_sizes",
           "LATTICE_MAX_MAPS"]

LATTICE_MAX_MAPS = 12
"""The lattice route is built for meshes with at most this many distinct affine maps."""

Plane = tuple[tuple[Fraction, ...], Fraction]      # h(x) = n . x + e, first nonzero of n is +-1 ... normalized


def _ev(l: Plane, x: Any) -> Fraction:
    return sum((a * b for a, b in zip(l[0], x)), l[1])


def _normal(l: Plane) -> tuple[Plane, int]:
    """``l`` scaled so that its first nonzero coefficient is 1, and the sign of the scale."""
    c, e = l
    s = next(v for v in c if v)
    return (tuple(v / s for v in c), e / s), (1 if s > 0 else -1)


# --- hats ---------------------------------------------------------------------------------
class _Hat:
    """The form of one vertex's hat: ``kind`` in {"kinks", "min", "lattice"} and its data."""

    __slots__ = ("kind", "a", "c", "maps", "terms")

    def __init__(self, kind: str, a: Any = None, c: Any = None, maps: Any = None, terms: Any = None):
        self.kind, self.a, self.c, self.maps, self.terms = kind, a, c, maps, terms


def _facet_planes(spec: Simplicial) -> dict[frozenset[int], tuple[list[tuple[int, int]], Plane]]:
    """Each facet with its owners and its normalized hyperplane."""
    out = {}
    for F, owners in spec.facets().items():
        t, p = owners[0]
        out[F] = (owners, _normal(spec.barycentric(t)[p])[0])
    return out


def _star_convex(spec: Simplicial, star: list[int], facets: Any) -> bool:
    """Every boundary facet of the star supports the star's vertices (then the star is convex)."""
    sset = set(star)
    pts = {i for t in star for i in spec.simplices[t]}
    for t in star:
        s = spec.simplices[t]
        for p in range(len(s)):
            owners = facets[frozenset(s[:p] + s[p + 1:])][0]
            if sum(1 for u, _ in owners if u in sset) == 2:
                continue
            lam = spec.barycentric(t)[p]
            if any(_ev(lam, spec.vertices[i]) < 0 for i in pts):
                return False
    return True


def hat_forms(spec: Simplicial) -> dict[int, _Hat]:
    """The form of the hat of every vertex with a nonzero value (see the module docstring).

    Parameters
    ----------
    spec
        A validated :class:`~cpa.simplicial.Simplicial`.

    Returns
    -------
    dict
        Vertex index -> its form.

    Raises
    ------
    SpecError
        For a boundary vertex with a nonzero value on a non-convex mesh (no form applies).
    """
    facets = _facet_planes(spec)
    stars = spec.stars()
    out = {}
    for v, star in enumerate(stars):
        if not spec.values[v] or not star:
            continue
        maps = {t: spec.barycentric(t)[spec.simplices[t].index(v)] for t in star}
        sset = set(star)
        interior = True
        planes: dict[Plane, Fraction | None] = {}
        jumps: list[tuple[Plane, int, int]] = []
        for t in star:
            s = spec.simplices[t]
            for p in range(len(s)):
                if s[p] == v:
                    continue
                owners, plane = facets[frozenset(s[:p] + s[p + 1:])]
                if len(owners) == 1:
                    interior = False
                elif all(u in sset for u, _ in owners):
                    planes.setdefault(plane, None)
                    jumps.append((plane, t, next(u for u, _ in owners if u != t)))
        convex = _star_convex(spec, star, facets)
        form = _kinks(spec, v, star, maps, planes, jumps)
        if form is not None and (interior or (convex and spec.convex and all(c >= 0 for c in form.c.values()))):
            out[v] = form
        elif convex and (interior or spec.convex):
            out[v] = _Hat("min", maps=[maps[t] for t in star])
        elif interior or spec.convex:
            out[v] = _Hat("lattice", terms=_lattice_terms(spec, star, maps))
        else:
            raise SpecError(f"no hat form for boundary vertex {v} (value {spec.values[v]}) of a non-convex mesh: "
                            f"give it the value 0 or use a convex mesh")
    return out


def _side(spec: Simplicial, t: int, plane: Plane) -> int:
    """The sign of ``plane`` on simplex ``t`` (0 if it straddles)."""
    vals = [_ev(plane, spec.vertices[i]) for i in spec.simplices[t]]
    if all(x >= 0 for x in vals):
        return 1
    if all(x <= 0 for x in vals):
        return -1
    return 0


def _kinks(spec: Simplicial, v: int, star: list[int], maps: dict[int, Plane], planes: dict[Plane, Any],
           jumps: list[tuple[Plane, int, int]]) -> _Hat | None:
    """The one-layer-of-kinks form ``1 - a . (x - v) - sum c_H |h_H|``, or None if it does not fit."""
    d = spec.input_dim
    sides = {}
    for t in star:
        for H in planes:
            s = _side(spec, t, H)
            if s == 0:
                return None
            sides[t, H] = s
    c: dict[Plane, Fraction] = {}
    for H, t1, t2 in jumps:
        n = H[0]
        g = [b - a for a, b in zip(maps[t1][0], maps[t2][0])]        # grad l_t2 - grad l_t1 = 2 c s1 n
        j = next(i for i, x in enumerate(n) if x)
        val = g[j] / (2 * sides[t1, H] * n[j])
        if any(x != 2 * sides[t1, H] * val * y for x, y in zip(g, n)) or c.setdefault(H, val) != val:
            return None
    t0 = star[0]
    a = [-maps[t0][0][j] - sum((c[H] * sides[t0, H] * H[0][j] for H in c), ZERO) for j in range(d)]
    for t in star:
        grad = [-a[j] - sum((c[H] * sides[t, H] * H[0][j] for H in c), ZERO) for j in range(d)]
        if tuple(grad) != maps[t][0]:
            return None
    return _Hat("kinks", a=(tuple(a), spec.vertices[v]), c={H: x for H, x in c.items() if x})


def _cell_points(spec: Simplicial, t: int, cuts: list[Plane]) -> list[tuple[Fraction, ...]]:
    """One interior point of each cell into which the hyperplanes ``cuts`` cut simplex ``t``
    (exact region enumeration of the one-hidden-layer network of the hyperplanes)."""
    from ..domains import Polyhedron
    from ..regions import regions

    if not cuts:
        s = spec.simplices[t]
        return [tuple(sum((spec.vertices[i][j] for i in s), ZERO) / len(s) for j in range(spec.input_dim))]
    W = [list(n) for n, _ in cuts]
    net = ReLUNetwork([(W, [e for _, e in cuts]), ([[0] * len(W)], [0])])
    A, b = spec.hrep(t)
    return [r.witness for r in regions(net, Polyhedron(A, b)).regions]


def _lattice_terms(spec: Simplicial, star: list[int], maps: dict[int, Plane]) -> list[list[Plane]]:
    """Ovchinnikov's index sets ``S_y`` (minimal ones) of the hat over its star."""
    sets: set[frozenset[int]] = set()
    for t in star:
        lt = maps[t]
        cuts: dict[Plane, None] = {}
        for u, w in combinations(star, 2):
            diff = (tuple(x - y for x, y in zip(maps[u][0], maps[w][0])), maps[u][1] - maps[w][1])
            if any(diff[0]) and _side(spec, t, diff) == 0:
                cuts.setdefault(_normal(diff)[0], None)
        for y in _cell_points(spec, t, list(cuts)):
            fy = _ev(lt, y)
            sets.add(frozenset(u for u in star if _ev(maps[u], y) >= fy))
    minimal = [S for S in sets if not any(T < S for T in sets)]
    return [[maps[u] for u in sorted(S)] for S in sorted(minimal, key=sorted)]


def _relu() -> ReLUNetwork:
    return ReLUNetwork([([[1]], [0]), ([[1]], [0])])


def _hat_network(form: _Hat, d: int) -> ReLUNetwork:
    from ..gadgets import max_of, min_of

    if form.kind == "min":
        A = [list(c) for c, _ in form.maps]
        return compose(_relu(), compose(min_of(len(A)), affine_network(A, [e for _, e in form.maps])))
    terms = []
    for S in form.terms:
        inner = affine_network([list(c) for c, _ in S], [e for _, e in S])
        terms.append(compose(min_of(len(S)), inner) if len(S) > 1 else inner)
    terms.append(affine_network([[0] * d], [0]))
    return compose(max_of(len(terms)), parallel(terms))


def _kinks_block(spec: Simplicial, forms: dict[int, _Hat]) -> ReLUNetwork | None:
    """The two-hidden-layer network ``sum_v f(v) relu(r_v)`` over the hats of the kinks form."""
    d = spec.input_dim
    kv = [v for v, f in forms.items() if f.kind == "kinks"]
    if not kv:
        return None
    planes: dict[Plane, int] = {}
    for v in kv:
        for H in forms[v].c:
            planes.setdefault(H, len(planes))
    linear = any(any(forms[v].a[0]) for v in kv)
    rows: list[tuple[tuple[int, Fraction], ...]] = []
    bias: list[Fraction] = []
    for n, e in planes:
        r = tuple((j, x) for j, x in enumerate(n) if x)
        rows += [r, tuple((j, -x) for j, x in r)]
        bias += [e, -e]
    base = len(rows)
    if linear:
        rows += [((j, ONE),) for j in range(d)] + [((j, -ONE),) for j in range(d)]
        bias += [ZERO] * (2 * d)
    second: list[tuple[tuple[int, Fraction], ...]] = []
    b2: list[Fraction] = []
    for v in kv:
        (a, pv), c = forms[v].a, forms[v].c
        row: dict[int, Fraction] = {}
        for H, x in c.items():
            k = 2 * planes[H]
            row[k] = row[k + 1] = -x
        if linear:
            for j in range(d):
                if a[j]:
                    row[base + j] = -a[j]
                    row[base + d + j] = a[j]
        second.append(tuple(sorted(row.items())))
        b2.append(ONE + sum((x * y for x, y in zip(a, pv)), ZERO))
    out = tuple((i, spec.values[v]) for i, v in enumerate(kv))
    return ReLUNetwork([Layer(SparseMatrix((len(rows), d), rows), tuple(bias)),
                        Layer(SparseMatrix((len(second), len(rows)), second), tuple(b2)),
                        Layer(SparseMatrix((1, len(second)), [out]), (ZERO,))])


def hat_sum_network(spec: Simplicial) -> ReLUNetwork:
    """``f = sum_v f(v) phi_v``, each hat in the first form of :func:`hat_forms` that applies.

    Parameters
    ----------
    spec
        A validated :class:`~cpa.simplicial.Simplicial`.

    Returns
    -------
    ReLUNetwork
        Equal to ``spec`` on the mesh (before the shrinking passes).
    """
    forms = hat_forms(spec)
    nets, coeffs = [], []
    block = _kinks_block(spec, forms)
    if block is not None:
        nets.append(block)
        coeffs.append(ONE)
    for v, form in forms.items():
        if form.kind != "kinks":
            nets.append(_hat_network(form, spec.input_dim))
            coeffs.append(spec.values[v])
    if not nets:
        return affine_network([[0] * spec.input_dim], [0])
    return nets[0] if len(nets) == 1 and coeffs[0] == 1 else linear_combination(coeffs, nets)


# --- lattice and DC ------------------------------------------------------------------------------
def _need_convex(spec: Simplicial, route: str) -> None:
    if not spec.convex:
        raise SpecError(f"the {route} route needs a convex mesh")


def lattice_network(spec: Simplicial) -> ReLUNetwork:
    """The simplices as pieces, compiled in max-min form (:func:`~cpa.pieces.lattice_expression`).

    Parameters
    ----------
    spec
        A validated, convex :class:`~cpa.simplicial.Simplicial`.

    Returns
    -------
    ReLUNetwork
        Equal to ``spec`` on the mesh.

    Raises
    ------
    SpecError
        If the mesh is not convex.
    LimitError
        If there are more than :data:`LATTICE_MAX_MAPS` distinct affine maps.
    """
    from ..pieces import Pieces, lattice_expression
    from .expression import expression_to_network

    _need_convex(spec, "lattice")
    m = len({spec.affine_map(t) for t in range(len(spec.simplices))})
    if m > LATTICE_MAX_MAPS:
        raise LimitError(f"the lattice route is built for at most {LATTICE_MAX_MAPS} distinct maps, "
                         f"this mesh has {m}", "LATTICE_MAX_MAPS")
    items = []
    for t in range(len(spec.simplices)):
        A, b = spec.hrep(t)
        c, e = spec.affine_map(t)
        items.append((A, b, c, e))
    return expression_to_network(lattice_expression(Pieces(items, spec.domain, validate=False)))


def dc_parts(spec: Simplicial) -> tuple[list[Plane], list[Fraction], list[Plane]]:
    """The DC split ``f = g - k`` of the module docstring.

    Parameters
    ----------
    spec
        A validated, convex :class:`~cpa.simplicial.Simplicial`.

    Returns
    -------
    tuple
        The hyperplanes ``h_H``, their weights ``C_H > 0`` (``k = sum C_H |h_H|``) and the
        distinct affine pieces of the convex ``g = f + k``.
    """
    _need_convex(spec, "DC")
    C: dict[Plane, Fraction] = {}
    for F, owners in spec.facets().items():
        if len(owners) != 2:
            continue
        (t1, p1), (t2, _) = owners
        H, _ = _normal(spec.barycentric(t1)[p1])
        s1 = _side(spec, t1, H)
        lo, hi = (t1, t2) if s1 < 0 else (t2, t1)
        jump = [b - a for a, b in zip(spec.affine_map(lo)[0], spec.affine_map(hi)[0])]
        j = next(i for i, x in enumerate(H[0]) if x)
        mu = jump[j] / H[0][j]
        C[H] = max(C.get(H, ZERO), -mu / 2)
    planes = [H for H, x in C.items() if x > 0]
    weights = [C[H] for H in planes]
    pieces: dict[Plane, None] = {}
    for t in range(len(spec.simplices)):
        c, e = spec.affine_map(t)
        cut = [H for H in planes if _side(spec, t, H) == 0]
        for y in _cell_points(spec, t, cut):
            gc, ge = list(c), e
            for H, w in zip(planes, weights):
                s = w if _ev(H, y) > 0 else -w
                gc = [x + s * n for x, n in zip(gc, H[0])]
                ge += s * H[1]
            pieces.setdefault((tuple(gc), ge), None)
    return planes, weights, list(pieces)


def dc_network(spec: Simplicial) -> ReLUNetwork:
    """``f = g - k``: a max tree of ``g``'s pieces minus ``sum_H C_H (relu(h_H) + relu(-h_H))``.

    Parameters
    ----------
    spec
        A validated, convex :class:`~cpa.simplicial.Simplicial`.

    Returns
    -------
    ReLUNetwork
        Equal to ``spec`` on the mesh.
    """
    from ..gadgets import max_of

    planes, weights, pieces = dc_parts(spec)
    g = compose(max_of(len(pieces)), affine_network([list(c) for c, _ in pieces], [e for _, e in pieces]))
    if not planes:
        return g
    W = [list(n) for n, _ in planes] + [[-x for x in n] for n, _ in planes]
    b = [e for _, e in planes] + [-e for _, e in planes]
    k = ReLUNetwork([(W, b), ([list(weights) + list(weights)], [0])])
    return linear_combination([1, -1], [g, k])


# --- choosing ----------------------------------------------------------------------------------
def breakpoints_network(spec: Simplicial) -> ReLUNetwork:
    """A mesh of an interval (d = 1): the interpolant as a :class:`~cpa.specs.Breakpoints1D` with
    every mesh vertex a breakpoint and the end segments' slopes continued outside, compiled with
    one hidden layer of at most ``p`` neurons for ``p`` pieces (Arora, Basu, Mianjy, Mukherjee,
    ICLR 2018, Thm 2.2).

    Raises
    ------
    SpecError
        If the mesh is not one-dimensional or not an interval (cells with a gap between them).
    """
    from ..specs import Breakpoints1D
    from .breakpoints import breakpoints_to_network

    if spec.input_dim != 1:
        raise SpecError("the breakpoint route needs a mesh of an interval (d = 1)")
    cells = sorted((min(spec.vertices[i][0], spec.vertices[j][0]), max(spec.vertices[i][0], spec.vertices[j][0]))
                   for i, j in spec.simplices)
    if any(b[0] != a[1] for a, b in zip(cells, cells[1:])):
        raise SpecError("the breakpoint route needs the cells to cover an interval without gaps")
    xs = [cells[0][0]] + [c[1] for c in cells]
    ys = [spec((x,)) for x in xs]
    left = (ys[1] - ys[0]) / (xs[1] - xs[0])
    right = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    return breakpoints_to_network(Breakpoints1D(xs, ys, left, right))


_ROUTES = (("one hidden layer of breakpoints (d = 1; Arora et al. 2018)", breakpoints_network),
           ("sum of hat functions (He et al. 2020)", hat_sum_network),
           ("lattice max-min form (Ovchinnikov 2002)", lattice_network),
           ("difference of convex (Kripfganz-Schulze 1987)", dc_network))


def fem_routes(spec: Simplicial) -> dict[str, Any]:
    """Every route built and shrunk: name -> ``(raw network, shrunk network)``, or the reason it was skipped.

    Cached on the spec (the compiler asks twice: to build and to report).

    Parameters
    ----------
    spec
        A validated :class:`~cpa.simplicial.Simplicial`.

    Returns
    -------
    dict
        Route name -> ``(raw, shrunk)`` networks, or a string saying why it was not built.
    """
    from .passes import shrink

    cached = getattr(spec, "_fem_routes", None)
    if cached is not None:
        return cached
    out: dict[str, Any] = {}
    for name, fn in _ROUTES:
        try:
            raw = fn(spec)
        except (SpecError, LimitError) as e:
            out[name] = str(e)
            continue
        out[name] = (raw, shrink(raw))
    spec._fem_routes = out          # type: ignore[attr-defined]
    return out


def _pick(spec: Simplicial, key: Any) -> tuple[ReLUNetwork, str]:
    """The raw network of the best route by ``key`` (on the shrunk networks), and the route's name."""
    built = {n: r for n, r in fem_routes(spec).items() if not isinstance(r, str)}
    if not built:
        raise SpecError("; ".join(f"{n}: {r}" for n, r in fem_routes(spec).items()))
    name = min(built, key=lambda n: key(built[n][1]))
    return built[name][0], name


def _smallest(n: ReLUNetwork) -> tuple[int, int]:
    return n.num_neurons, n.depth


def _shallowest(n: ReLUNetwork) -> tuple[int, int]:
    return n.depth, n.num_neurons


def simplicial_to_network(spec: Simplicial) -> ReLUNetwork:
    """The smallest route's network (fewest neurons after shrinking, then fewest hidden layers)."""
    return _pick(spec, _smallest)[0]


def simplicial_to_shallow_network(spec: Simplicial) -> ReLUNetwork:
    """The shallowest route's network (fewest hidden layers after shrinking, then fewest neurons)."""
    return _pick(spec, _shallowest)[0]


def route_sizes(spec: Simplicial) -> dict[str, Any]:
    """Route name -> ``{"depth", "neurons", "nonzero weights"}`` after shrinking, or why it was skipped."""
    out: dict[str, Any] = {}
    for name, r in fem_routes(spec).items():
        out[name] = r if isinstance(r, str) else {"depth": r[1].depth, "neurons": r[1].num_neurons,
                                                   "nonzero weights": r[1].num_connections}
    return out


def hat_promise(spec: Simplicial) -> dict[str, Any]:
    """The hat route's size by the forms of :func:`hat_forms`, before shrinking: hats of the kinks
    form share ``2 #H`` first-layer neurons (``+ 2d`` for linear parts) and take one neuron each in
    the second layer; the others are built apart and padded to the deepest."""
    forms = hat_forms(spec)
    block = _kinks_block(spec, forms)
    depth = 2 if block is not None else 0
    others = [_hat_network(f, spec.input_dim) for f in forms.values() if f.kind != "kinks"]
    depth = max([depth] + [n.depth for n in others])
    neurons = (block.num_neurons + (2 * (depth - 2) if depth > 2 else 0)) if block is not None else 0
    neurons += sum(n.num_neurons + 2 * (depth - n.depth) for n in others)
    kinds = {k: sum(1 for f in forms.values() if f.kind == k) for k in ("kinks", "min", "lattice")}
    return {"depth": depth, "neurons": neurons, "hats": kinds}


def fem_theoretical_size(spec: Simplicial, depth: str | None = None) -> dict[str, Any]:
    """The chosen route's size before shrinking, with every route's size in ``"routes"`` and the
    hat route's forms in the rule (as :func:`cpa.compiler.routes.theoretical_size` returns)."""
    raw, name = _pick(spec, _shallowest if depth == "min" else _smallest)
    p = hat_promise(spec)
    sizes = route_sizes(spec)
    text = "; ".join(f"{n}: " + (f"depth {r['depth']}, {r['neurons']} neurons" if isinstance(r, dict) else r)
                     for n, r in sizes.items())
    return {"depth": raw.depth, "neurons": raw.num_neurons, "routes": sizes, "hats": p,
            "rule": f"{name}, the {'shallowest' if depth == 'min' else 'smallest'} route after shrinking; "
                    f"hat forms {p['hats']}; all routes: {text}"}


# --- proof ---------------------------------------------------------------------------------------
def simplicial_counterexample(spec: Simplicial, net: ReLUNetwork) -> tuple[Fraction, ...] | None:
    """An exact point of the mesh where ``net`` differs from ``spec``, or None if they are equal on the mesh.

    On a convex mesh the activation regions of ``(net, probe)`` are enumerated on the mesh,
    where ``probe`` has one first-layer neuron per facet hyperplane, so that every region
    lies in one simplex; ``net``'s exact affine map on each region is compared with the
    simplex's map (equal maps on a full-dimensional region: equal there).  On a
    non-convex mesh each simplex is compared separately with
    :func:`cpa.equivalence.equivalent`.

    Parameters
    ----------
    spec
        A validated :class:`~cpa.simplicial.Simplicial`.
    net
        A network with one output and ``spec.input_dim`` inputs.

    Returns
    -------
    tuple of Fraction or None
        A point where they differ, or None.
    """
    from ..domains import Polyhedron
    from ..equivalence import equivalent
    from ..regions import regions

    def per_simplex(ts: Any) -> tuple[Fraction, ...] | None:
        for t in ts:
            A, b = spec.hrep(t)
            c, e = spec.affine_map(t)
            res = equivalent(net, affine_network([list(c)], [e]), Polyhedron(A, b))
            if not res.equal:
                return res.counterexample
        return None

    if not spec.convex:
        return per_simplex(range(len(spec.simplices)))
    planes = list(dict.fromkeys(H for _, H in _facet_planes(spec).values()))
    probe = ReLUNetwork([([list(n) for n, _ in planes], [e for _, e in planes]), ([[1] * len(planes)], [0])])
    both = parallel([net, probe])
    bad = set()
    for r in regions(both, spec.domain).regions:
        t = spec.locate(r.witness)
        M, c = r.affine_map
        if t is None or (tuple(M[0]), c[0]) != spec.affine_map(t):
            bad.add(t)
    if not bad:
        return None
    if None in bad:
        raise AssertionError("a region of the mesh lies in no simplex")   # a bug in cpa
    return per_simplex(sorted(bad))
