r"""Exact bounds on the number of linear regions of ReLU networks.

Every function returns an exact Python ``int`` (or, for the two asymptotic
*scales*, a :class:`~fractions.Fraction`) computed from the formula quoted in
its docstring, which names the paper and theorem it comes from (the References
below).  Where a statement was checked only as another paper quotes it, or is
derived here, the docstring says so.  An architecture is
written ``(n0; n1, ..., nL)``: ``n0`` inputs and ``L`` hidden ReLU layers of
widths ``n_l`` (the widths are passed as a sequence), ``N = sum n_l``.

The published bounds count *activation regions*; since every affine piece is a
union of closures of activation regions, they bound affine pieces too.  On
every architecture where all of them apply,

.. math::

   \text{Montufar14} \le \text{Serra lower} \le \text{Serra upper}
   \le \text{Montufar17} \le \prod_l \textstyle\sum_{j \le n_0} \binom{n_l}{j}
   \le 2^N .

A bound that does not apply to an architecture (for example Montufar's lower
bound when some ``n_l < n0``) raises :class:`~cpa.errors.SpecError`, a
``ValueError``, naming the failed hypothesis; :func:`all_bounds` turns that into
a row whose value is ``None`` and whose ``reason`` says why.

Every bound is computed in time and memory that are estimated first: a value
of more than ``cpa.limits`` ``max_digits`` digits, or whose computation would
take more than ``max_work`` elementary steps (one step: one machine-word
operation of big-integer arithmetic), raises :class:`~cpa.errors.LimitError`
before any work is done (:func:`all_bounds` reports it as a row that was not
computed).  The sums have closed forms where they exist
(:math:`\sum_{j \le d} \binom{n}{j} = 2^n` for ``d >= n``, the complement
:math:`2^n - \sum_{j < n-d}` for ``d`` near ``n``), and Serra's sum over ``J`` is
a dynamic programme over the remaining dimension, linear in the depth.

References
----------
T. Zaslavsky, *Facing up to arrangements: face-count formulas for partitions
of space by hyperplanes*, Memoirs AMS 154, 1975.
R. C. Buck, *Partition of space*, Amer. Math. Monthly 50 (1943) 541-544.
G. Montufar, R. Pascanu, K. Cho, Y. Bengio, *On the number of linear regions of
deep neural networks*, NIPS 2014.
G. Montufar, *Notes on the number of linear regions of deep neural networks*,
SampTA 2017.
T. Serra, C. Tjandraatmadja, S. Ramalingam, *Bounding and counting linear
regions of deep neural networks*, ICML 2018 (arXiv:1711.02114).
R. Arora, A. Basu, P. Mianjy, A. Mukherjee, *Understanding deep neural networks
with rectified linear units*, ICLR 2018 (arXiv:1611.01491).
M. Telgarsky, *Representation benefits of deep feedforward networks*,
arXiv:1509.08101, 2015; *Benefits of depth in neural networks*, COLT 2016,
PMLR 49:1517-1539.
M. Raghu, B. Poole, J. Kleinberg, S. Ganguli, J. Sohl-Dickstein, *On the
expressive power of deep neural networks*, ICML 2017.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from fractions import Fraction
from math import comb, prod
from typing import Any, Callable, Iterator, Sequence

from . import limits
from .errors import LimitError, SpecError
from .numbers import abbreviate, rational_str

__all__ = [
    "BoundRow",
    "zaslavsky",
    "zaslavsky_bounded",
    "zaslavsky_central",
    "telgarsky_1d_upper",
    "montufar2014_lower",
    "montufar2014_asymptotic",
    "montufar2017_upper",
    "serra2018_J",
    "serra2018_upper",
    "serra2018_lower",
    "serra2018_1d_max",
    "serra2018_thm7",
    "zaslavsky_product",
    "arora_zonotope_pieces",
    "trivial_upper",
    "raghu_scale",
    "all_bounds",
]


# --- hyperplane arrangements ------------------------------------------------

def zaslavsky(n: int, d: int) -> int:
    r"""Maximum number of regions of ``n`` affine hyperplanes in ``R^d``.

    Parameters
    ----------
    n
        The number of hyperplanes, an integer >= 0.
    d
        The dimension, an integer >= 0.

    Returns
    -------
    int
        ``r(n, d)``.

    Raises
    ------
    SpecError
        If ``n`` or ``d`` is not an integer, or negative.
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    Notes
    -----
    :math:`r(n, d) = \sum_{j=0}^{d} \binom{n}{j}`, attained exactly by
    arrangements in general position.

    References
    ----------
    Zaslavsky, Memoirs AMS 154, 1975; as stated in Serra, Tjandraatmadja,
    Ramalingam, ICML 2018, section 3.1.

    Examples
    --------
    >>> [zaslavsky(n, 2) for n in range(1, 7)]
    [2, 4, 7, 11, 16, 22]
    """
    n, d = _nonneg(n, "n"), _nonneg(d, "d")
    _check(f"r({_show(n)}, {_show(d)})", _zas_log10(n, d), _zas_work(n, d))
    return _zaslavsky(n, d)


def zaslavsky_bounded(n: int, d: int) -> int:
    r"""Number of bounded regions of ``n`` hyperplanes in general position in ``R^d``.

    Parameters
    ----------
    n
        The number of hyperplanes, an integer >= 0.
    d
        The dimension, an integer >= 0.

    Returns
    -------
    int
        The number of bounded regions.

    Raises
    ------
    SpecError
        If ``n`` or ``d`` is not an integer, or negative.
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    Notes
    -----
    :math:`\binom{n-1}{d}` (0 for ``n = 0``).  Checked here against exact counts
    for ``d = 2``, ``n = 1..6`` (tests).

    References
    ----------
    Zaslavsky, Memoirs AMS 154, 1975; Buck, Amer. Math. Monthly 50 (1943) 541-544.

    Examples
    --------
    >>> [zaslavsky_bounded(n, 2) for n in range(1, 7)]
    [0, 0, 1, 3, 6, 10]
    """
    n, d = _nonneg(n, "n"), _nonneg(d, "d")
    if n < 1 or d > n - 1:
        return 0
    digits = _log10_comb(n - 1, d)
    _check(f"binomial({_show(n - 1)}, {_show(d)})", digits, _f(min(d, n - 1 - d)) * _words(digits))
    return comb(n - 1, d)


def zaslavsky_central(m: int, d: int) -> int:
    r"""Regions of ``m`` hyperplanes through 0 in general position in ``R^d`` (``d >= 1``).

    Parameters
    ----------
    m
        The number of hyperplanes, an integer >= 0.
    d
        The dimension, an integer >= 1.

    Returns
    -------
    int
        The number of regions.

    Raises
    ------
    SpecError
        If ``m`` or ``d`` is not an integer, or ``m < 0`` or ``d < 1``.
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    Notes
    -----
    :math:`2 \sum_{i=0}^{d-1} \binom{m-1}{i}` for ``m >= 1`` (and 1 for
    ``m = 0``); also the number of vertices of a generic zonotope with ``m``
    generators in ``R^d``.  The same count is the first factor of Serra et al.'s
    Theorem 7 and of Arora et al.'s Theorem 3.9.

    References
    ----------
    Zaslavsky, Memoirs AMS 154, 1975 (central arrangements).

    Examples
    --------
    >>> [zaslavsky_central(m, 3) for m in range(1, 7)]
    [2, 4, 8, 14, 22, 32]
    """
    m, d = _nonneg(m, "m"), _positive(d, "d")
    if m == 0:
        return 1
    _check(f"zaslavsky_central({_show(m)}, {_show(d)})", _LOG10_2 + _zas_log10(m - 1, d - 1), _zas_work(m - 1, d - 1))
    return 2 * _zaslavsky(m - 1, d - 1)


def zaslavsky_product(n0: int, widths: Sequence[int]) -> int:
    r"""Layer-wise Zaslavsky bound :math:`\prod_l \sum_{j=0}^{n_0} \binom{n_l}{j}`.

    Each layer's arrangement cuts each region of the previous layers, which is
    at most ``n0``-dimensional, into at most ``r(n_l, n0)`` pieces
    (Zaslavsky 1975 applied layer by layer; an induction on the layers, not a
    published theorem).  It is at least :func:`montufar2017_upper`.

    Parameters
    ----------
    n0
        The input dimension, an integer >= 1.
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Returns
    -------
    int
        The product.

    Raises
    ------
    SpecError
        If the architecture is malformed (``n0 < 1``, no layers, a width below 1 or not
        an integer).
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    Examples
    --------
    >>> zaslavsky_product(2, [3, 3, 3])
    343
    """
    n0, ws = _arch(n0, widths)
    return _zas_product("the Zaslavsky product", [(n, n0) for n in ws])


# --- Telgarsky, trivial, Raghu ----------------------------------------------

def telgarsky_1d_upper(widths: Sequence[int]) -> int:
    r"""Telgarsky's piece bound for univariate networks, :math:`\prod_l 2 n_l`.

    ReLU is 2-sawtooth, so a network ``R -> R`` whose layer ``l`` has ``n_l``
    units is :math:`\prod_l (2 n_l)`-sawtooth (Telgarsky's lemma on networks of
    t-sawtooth units: ``(2m)^l`` for ``l`` layers of width ``m``).  Applies to one
    input.  The tight one-input maximum is :func:`serra2018_1d_max`.

    Parameters
    ----------
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Returns
    -------
    int
        :math:`\prod_l 2 n_l`.

    Raises
    ------
    SpecError
        If ``widths`` is empty or a width is below 1 or not an integer.
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    References
    ----------
    Telgarsky, *Representation benefits of deep feedforward networks*,
    arXiv:1509.08101, 2015, and *Benefits of depth in neural networks*, COLT 2016
    (the lemma is numbered differently in the two).

    Examples
    --------
    >>> telgarsky_1d_upper([2, 2, 2]), telgarsky_1d_upper([3, 3])
    (64, 36)
    """
    _, ws = _arch(1, widths)
    _check_product("Telgarsky's product of 2 n_l", [_log10(2 * n) for n in ws])
    return prod(2 * n for n in ws)


def trivial_upper(widths: Sequence[int]) -> int:
    """``2^N`` activation patterns for ``N`` hidden neurons (Montufar, Pascanu, Cho, Bengio, NIPS 2014).

    Parameters
    ----------
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Returns
    -------
    int
        ``2^N``, ``N`` the sum of the widths.

    Raises
    ------
    SpecError
        If ``widths`` is empty or a width is below 1 or not an integer.
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    Examples
    --------
    >>> trivial_upper([2, 2, 2])
    64
    """
    _, ws = _arch(1, widths)
    N = sum(ws)
    _check(f"2^{_show(N)}", _f(N) * _LOG10_2, 0.0)
    return 1 << N


def raghu_scale(n0: int, widths: Sequence[int]) -> int:
    r"""The *scale* :math:`\prod_l n_l^{n_0}` of Raghu et al.'s :math:`O(n^{n_0 L})`.

    For equal widths ``n`` this is :math:`n^{n_0 L}`.  Raghu et al. give only an
    asymptotic statement with no explicit constant, so this number is **not a
    bound** and must never be tested as an inequality.

    Parameters
    ----------
    n0
        The input dimension, an integer >= 1.
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Returns
    -------
    int
        The scale (not a bound).

    Raises
    ------
    SpecError
        If the architecture is malformed (``n0 < 1``, no layers, a width below 1 or not
        an integer).
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    References
    ----------
    Raghu, Poole, Kleinberg, Ganguli, Sohl-Dickstein, *On the expressive power of
    deep neural networks*, ICML 2017; the :math:`O(n^{L n_0})` form as quoted by
    Serra et al., ICML 2018.

    Examples
    --------
    >>> raghu_scale(2, [16, 16, 16])
    16777216
    """
    n0, ws = _arch(n0, widths)
    _check_product("the Raghu scale", [_f(n0) * _log10(n) for n in ws])
    return prod(n ** n0 for n in ws)


# --- Montufar ------------------------------------------------------------------

def montufar2014_lower(n0: int, widths: Sequence[int]) -> int:
    r"""Montufar et al. 2014 lower bound on the maximal number of regions.

    Parameters
    ----------
    n0
        The input dimension, an integer >= 1.
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Returns
    -------
    int
        The lower bound.

    Notes
    -----
    For ``n_l >= n0`` for all ``l``:

    .. math:: \Big(\prod_{l=1}^{L-1} \lfloor n_l / n_0 \rfloor^{n_0}\Big)
              \sum_{j=0}^{n_0} \binom{n_L}{j}.

    Attained in the open cube by :func:`constructions.montufar`.

    Raises
    ------
    SpecError
        If some ``n_l < n0``.
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    References
    ----------
    Montufar, Pascanu, Cho, Bengio, NIPS 2014 (Theorem 4 or 5 depending on the
    version; quoted as Theorem 5 by Serra et al. 2018).

    Examples
    --------
    >>> montufar2014_lower(2, [8, 8])
    592
    """
    n0, ws = _arch(n0, widths)
    _require(all(n >= n0 for n in ws), f"Montufar 2014 needs n_l >= n0 = {_show(n0)} for every layer")
    return _layered_lower("the Montufar 2014 bound", n0, [n // n0 for n in ws[:-1]], ws[-1])


def montufar2014_asymptotic(n0: int, widths: Sequence[int]) -> Fraction:
    r"""The asymptotic form of Montufar 2014 without floors, as an exact scale.

    :math:`\prod_{l<L} (n_l/n_0)^{n_0} \cdot n_L^{n_0}`; for equal widths
    ``n`` this is :math:`(n/n_0)^{(L-1) n_0} n^{n_0}`, the quantity inside the
    :math:`\Omega(\cdot)` statement of Montufar, Pascanu, Cho, Bengio, NIPS 2014 (as
    quoted by Serra et al., ICML 2018).  It is a *scale*, not a bound: for
    (2; 3, 3, 3) it is 729/16, above the exact bound 7.

    Parameters
    ----------
    n0
        The input dimension, an integer >= 1.
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Returns
    -------
    Fraction
        The scale (not a bound).

    Raises
    ------
    SpecError
        If the architecture is malformed (``n0 < 1``, no layers, a width below 1 or not
        an integer).
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    Examples
    --------
    >>> montufar2014_asymptotic(2, [3, 3, 3])
    Fraction(729, 16)
    """
    n0, ws = _arch(n0, widths)
    what = "the Montufar 2014 asymptotic scale"
    _check_product(what, [_f(n0) * _log10(n) for n in ws])
    _check(f"the denominator of {what}", _f(n0) * _f(len(ws) - 1) * _log10(n0), 0.0)
    return Fraction(prod(n ** n0 for n in ws), n0 ** (n0 * (len(ws) - 1)))


def montufar2017_upper(n0: int, widths: Sequence[int]) -> int:
    r"""Montufar 2017 upper bound.

    Parameters
    ----------
    n0
        The input dimension, an integer >= 1.
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Returns
    -------
    int
        The upper bound.

    Raises
    ------
    SpecError
        If the architecture is malformed (``n0 < 1``, no layers, a width below 1 or not
        an integer).
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    Notes
    -----
    :math:`\prod_{l=1}^{L} \sum_{j=0}^{d_l} \binom{n_l}{j}` with
    :math:`d_l = \min(n_0, n_1, \ldots, n_l)`.

    References
    ----------
    Montufar, SampTA 2017, as quoted by Serra et al. 2018.

    Examples
    --------
    >>> montufar2017_upper(2, [3, 3, 3])
    343
    """
    n0, ws = _arch(n0, widths)
    pairs, d = [], n0
    for n in ws:
        d = min(d, n)
        pairs.append((n, d))
    return _zas_product("the Montufar 2017 bound", pairs)


# --- Serra, Tjandraatmadja, Ramalingam 2018 -------------------------------------

def serra2018_J(n0: int, widths: Sequence[int]) -> Iterator[tuple[int, ...]]:
    r"""The index set ``J`` of Serra et al. 2018, Theorem 1, in lexicographic order.

    Parameters
    ----------
    n0
        The input dimension, an integer >= 1.
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Yields
    ------
    tuple of int
        The index vectors ``(j_1, ..., j_L)`` of ``J``.

    Raises
    ------
    SpecError
        If the architecture is malformed (``n0 < 1``, no layers, a width below 1 or not
        an integer).

    Notes
    -----
    :math:`J = \{(j_1, \ldots, j_L) : 0 \le j_l \le \min(n_0, n_1 - j_1, \ldots,
    n_{l-1} - j_{l-1}, n_l)\}`: the cap at layer ``l`` is the dimension still
    available after the earlier layers (Serra, Tjandraatmadja, Ramalingam, ICML
    2018, Theorem 1).

    Examples
    --------
    >>> len(list(serra2018_J(1, [2, 2, 2])))
    8
    """
    n0, ws = _arch(n0, widths)
    L = len(ws)
    # an odometer (no recursion: any depth); caps[l] is the cap of layer l
    js = [0] * L
    caps = [n0] * (L + 1)
    for l in range(L):
        caps[l + 1] = min(caps[l], ws[l])
    while True:
        yield tuple(js)
        l = L - 1
        while l >= 0 and js[l] >= min(caps[l], ws[l]):
            l -= 1
        if l < 0:
            return
        js[l] += 1
        caps[l + 1] = min(caps[l], ws[l] - js[l])
        for k in range(l + 1, L):
            js[k] = 0
            caps[k + 1] = min(caps[k], ws[k])


def serra2018_upper(n0: int, widths: Sequence[int]) -> int:
    r"""Serra et al. 2018 Theorem 1 upper bound.

    Parameters
    ----------
    n0
        The input dimension, an integer >= 1.
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Returns
    -------
    int
        The upper bound.

    Raises
    ------
    SpecError
        If the architecture is malformed (``n0 < 1``, no layers, a width below 1 or not
        an integer).
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    Notes
    -----
    :math:`\sum_{(j_1..j_L) \in J} \prod_{l=1}^{L} \binom{n_l}{j_l}` with ``J``
    from :func:`serra2018_J`.  Tight for ``L = 1``, where it is
    :math:`r(n_1, n_0)`; at most :func:`montufar2017_upper`.

    References
    ----------
    Serra, Tjandraatmadja, Ramalingam, ICML 2018, Theorem 1.

    Examples
    --------
    >>> serra2018_upper(2, [3, 3, 3])
    208
    """
    n0, ws = _arch(n0, widths)
    return _serra_upper(n0, ws)


def serra2018_lower(n0: int, widths: Sequence[int]) -> int:
    r"""Serra et al. 2018 Theorem 6 lower bound.

    Parameters
    ----------
    n0
        The input dimension, an integer >= 1.
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Returns
    -------
    int
        The lower bound.

    Notes
    -----
    For ``n_l >= 3 n0`` for every layer:

    .. math:: \Big(\prod_{l=1}^{L-1} (\lfloor n_l/n_0 \rfloor + 1)^{n_0}\Big)
              \sum_{j=0}^{n_0} \binom{n_L}{j}.

    Raises
    ------
    SpecError
        If some ``n_l < 3 n0``.
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    References
    ----------
    Serra, Tjandraatmadja, Ramalingam, ICML 2018, Theorem 6.

    Examples
    --------
    >>> serra2018_lower(2, [8, 8])
    925
    """
    n0, ws = _arch(n0, widths)
    _require(all(n >= 3 * n0 for n in ws), f"Serra 2018 Thm 6 needs n_l >= 3 n0 = {_show(3 * n0)} for every layer")
    return _layered_lower("the Serra 2018 Thm 6 bound", n0, [n // n0 + 1 for n in ws[:-1]], ws[-1])


def serra2018_1d_max(widths: Sequence[int]) -> int:
    r"""Exact maximum number of regions for one input, :math:`\prod_l (n_l + 1)`.

    Valid for ``n0 = 1`` and every ``n_l >= 3`` (Serra et al. 2018, Theorem 5);
    attained on R by :func:`constructions.serra_zigzag`.

    Parameters
    ----------
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Returns
    -------
    int
        :math:`\prod_l (n_l + 1)`.

    Raises
    ------
    SpecError
        If some ``n_l < 3``.
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    Examples
    --------
    >>> serra2018_1d_max([3, 3]), serra2018_1d_max([3, 3, 3])
    (16, 64)
    """
    _, ws = _arch(1, widths)
    _require(all(n >= 3 for n in ws), "Serra 2018 Thm 5 needs n0 = 1 and n_l >= 3 for every layer")
    _check_product("the Serra 2018 Thm 5 product", [_log10(n + 1) for n in ws])
    return prod(n + 1 for n in ws)


def serra2018_thm7(n0: int, m: int, w: int, L: int) -> int:
    r"""Regions of Serra et al.'s Theorem 7 construction.

    Parameters
    ----------
    n0
        The input dimension, an integer >= 1.
    m
        An integer >= 1.
    w
        An integer >= 2 (the hidden layers have total size ``2m + w (L - 1)``).
    L
        The number of hidden layers, an integer >= 1.

    Returns
    -------
    int
        The number of regions of the construction.

    Notes
    -----
    For ``m >= 1``, ``w >= 2``: a network with ``n0`` inputs and ``L`` hidden
    layers of total size ``2m + w (L - 1)`` having
    :math:`2 \sum_{j=0}^{n_0-1} \binom{m-1}{j} (w+1)^{L-1}` regions
    (improves Arora et al., ICLR 2018, Thm 3.9 by ``w -> w + 1``).

    References
    ----------
    Serra, Tjandraatmadja, Ramalingam, ICML 2018, Theorem 7.

    Raises
    ------
    SpecError
        If ``m < 1``, ``w < 2`` or ``L < 1``.
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    Examples
    --------
    >>> serra2018_thm7(2, 3, 2, 3)
    54
    """
    n0 = _positive(n0, "n0")
    m, w, L = _positive(m, "m"), _nonneg(w, "w"), _positive(L, "L")
    _require(w >= 2, "Serra 2018 Thm 7 needs w >= 2")
    # sum_{j < n0} C(m-1, j) = r(m-1, n0-1)
    _check("the Serra 2018 Thm 7 count", _LOG10_2 + _zas_log10(m - 1, n0 - 1) + _f(L - 1) * _log10(w + 1),
           _zas_work(m - 1, n0 - 1))
    return 2 * _zaslavsky(m - 1, n0 - 1) * (w + 1) ** (L - 1)


# --- Arora et al. ---------------------------------------------------------------

def arora_zonotope_pieces(n: int, k: int, w: int, m: int) -> int:
    r"""Pieces of Arora et al.'s ``ZONOTOPE^n_{k,w,m}`` family (Theorem 3.9).

    Parameters
    ----------
    n
        The input dimension, an integer >= 1.
    k
        An integer >= 0 (the network has ``k + 1`` hidden layers).
    w
        An integer >= 1.
    m
        The number of zonotope generators, an integer >= 1.

    Returns
    -------
    int
        The number of pieces.

    Notes
    -----
    :math:`2 \sum_{i=0}^{n-1} \binom{m-1}{i} \, w^k` pieces, by a network on
    ``R^n`` with ``k + 1`` hidden layers and size ``2m + wk``.  The factor 2
    (the vertex count of a generic zonotope) follows Serra et al.'s quotation
    of the theorem (ICML 2018); a text extraction of the ICLR paper shows the sum
    without it, so it is to be confirmed in the published PDF.  Attained by
    :func:`constructions.arora_zonotope`.

    References
    ----------
    Arora, Basu, Mianjy, Mukherjee, ICLR 2018, Lemma 3.7, Proposition 3.8 and
    Theorem 3.9.

    Raises
    ------
    SpecError
        If ``n, m < 1``, ``k < 0`` or ``w < 1``.
    LimitError
        If the value would have more than ``max_digits`` digits or its computation more
        than ``max_work`` steps (checked before any work is done).

    Examples
    --------
    >>> arora_zonotope_pieces(2, 1, 2, 3), arora_zonotope_pieces(3, 2, 3, 4)
    (12, 126)
    """
    n, k, w, m = _positive(n, "n"), _nonneg(k, "k"), _positive(w, "w"), _positive(m, "m")
    _check("the Arora zonotope count", _LOG10_2 + _zas_log10(m - 1, n - 1) + _f(k) * _log10(w),
           _zas_work(m - 1, n - 1))
    return zaslavsky_central(m, n) * w ** k


# --- the table ------------------------------------------------------------------

@dataclass(frozen=True)
class BoundRow:
    """One row of :func:`all_bounds`.

    Attributes
    ----------
    name
        Short name of the bound.
    value
        Exact ``int`` (``Fraction`` for a scale), or ``None`` when it does not apply.
    kind
        ``"lower"``, ``"upper"``, ``"exact"`` or ``"scale"`` (never an inequality).
    source
        Paper and theorem.
    reason
        ``""``, or when ``value`` is ``None``: ``"does not apply: ..."`` (a hypothesis
        fails) or ``"not computed: ..."`` (beyond a :mod:`cpa.limits` limit; the
        message says which and how to raise it).
    """

    name: str
    value: int | Fraction | None
    kind: str
    source: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; a Fraction value becomes a ``"p/q"`` string."""
        d = asdict(self)
        if isinstance(self.value, Fraction):
            d["value"] = rational_str(self.value)
        return d


_TABLE: tuple[tuple[str, str, str, Callable[[int, tuple[int, ...]], int | Fraction]], ...] = (
    ("trivial 2^N", "upper", "Montufar, Pascanu, Cho, Bengio, NIPS 2014", lambda n0, ws: trivial_upper(ws)),
    ("Zaslavsky product", "upper", "Zaslavsky, Memoirs AMS 1975, layer by layer (induction)", zaslavsky_product),
    ("Montufar 2017", "upper", "Montufar, SampTA 2017 (as quoted by Serra et al. 2018)", montufar2017_upper),
    ("Serra 2018 Thm 1", "upper", "Serra, Tjandraatmadja, Ramalingam, ICML 2018, Thm 1", serra2018_upper),
    ("Telgarsky prod 2n_l", "upper", "Telgarsky, arXiv:1509.08101 (2015) and COLT 2016, sawtooth lemma",
     lambda n0, ws: _one_input(n0, telgarsky_1d_upper, ws)),
    ("Serra 2018 Thm 5", "exact", "Serra, Tjandraatmadja, Ramalingam, ICML 2018, Thm 5",
     lambda n0, ws: _one_input(n0, serra2018_1d_max, ws)),
    ("one hidden layer", "exact", "Zaslavsky, Memoirs AMS 1975; Serra et al., ICML 2018, Thm 1 (tight for L = 1)",
     lambda n0, ws: _one_layer(n0, ws)),
    ("Serra 2018 Thm 6", "lower", "Serra, Tjandraatmadja, Ramalingam, ICML 2018, Thm 6", serra2018_lower),
    ("Montufar 2014", "lower", "Montufar, Pascanu, Cho, Bengio, NIPS 2014 (Thm 5 as cited by Serra et al.)",
     montufar2014_lower),
    ("Montufar 2014 asymptotic", "scale", "Montufar, Pascanu, Cho, Bengio, NIPS 2014, Omega form",
     montufar2014_asymptotic),
    ("Raghu n^(n0 L)", "scale", "Raghu, Poole, Kleinberg, Ganguli, Sohl-Dickstein, ICML 2017, O-scale only",
     raghu_scale),
)


def all_bounds(n0: int, widths: Sequence[int]) -> list[BoundRow]:
    """Every bound of this module for the architecture ``(n0; widths)``.

    Parameters
    ----------
    n0
        The input dimension, an integer >= 1.
    widths
        The hidden layer widths ``n_1, ..., n_L`` (at least one), integers >= 1.

    Returns
    -------
    list of BoundRow
        Upper bounds, exact maxima, lower bounds, then scales.  A bound whose
        hypotheses fail has ``value=None`` and ``reason="does not apply: ..."``.

    Raises
    ------
    SpecError
        If the architecture itself is malformed (``n0 < 1``, no layers, a
        width below 1).  A bound beyond the size or work limits is a row with
        ``value=None`` and ``reason="not computed: ..."``.

    Examples
    --------
    >>> [(r.name, r.value) for r in all_bounds(1, [3, 3]) if r.kind == "exact"]
    [('Serra 2018 Thm 5', 16), ('one hidden layer', None)]
    """
    n0, ws = _arch(n0, widths)
    rows = []
    for name, kind, source, fn in _TABLE:
        try:
            value: int | Fraction | None = fn(n0, ws)
            reason = ""
        except SpecError as e:
            value, reason = None, f"does not apply: {e}"
        except LimitError as e:
            value, reason = None, f"not computed: {e}"
        rows.append(BoundRow(name, value, kind, source, reason))
    return rows


# --- exact sums, with their size and cost estimated first ---------------------------

_LOG10_2 = math.log10(2)
_LOG10_E = math.log10(math.e)
_LN10 = math.log(10)


def _f(n: int) -> float:
    """``float(n)``, or ``inf`` for an int beyond float range."""
    return float(n) if n.bit_length() < 1000 else math.inf


def _log10(n: int) -> float:
    return math.log10(n) if n > 0 else 0.0


def _words(log10_value: float) -> float:
    """Machine words of a number of about ``10**log10_value``: the cost of one pass over it."""
    return log10_value / 9 + 1


def _log10_comb(n: int, k: int) -> float:
    """An estimate of ``log10 C(n, k)``, never below it by more than a few units."""
    k = min(k, n - k)
    if k <= 0:
        return 0.0
    if n < 2 ** 50:
        return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / _LN10
    return _f(k) * (_log10(n) - _log10(k) + _LOG10_E)  # C(n, k) <= (e n / k)^k


def _zas_log10(n: int, d: int) -> float:
    """About ``log10 r(n, d)`` (an upper estimate), ``r(n, d) = sum_{j <= d} C(n, j) <= 2^n``."""
    full = _f(n) * _LOG10_2
    if d >= n:
        return full
    return min(full, _log10(d + 1) + _log10_comb(n, min(d, n // 2)))


def _zas_work(n: int, d: int) -> float:
    """Steps of :func:`_zaslavsky`: one pass over the running binomial per term."""
    if d >= n:
        return _words(_zas_log10(n, d))
    return _f(min(d + 1, n - d)) * _words(_zas_log10(n, d))


def _binomial_prefix(n: int, k: int) -> int:
    """``sum_{j=0}^{k} C(n, j)`` by the running binomial ``C(n, j+1) = C(n, j) (n-j)/(j+1)``."""
    total, c = 0, 1
    for j in range(k + 1):
        total += c
        c = c * (n - j) // (j + 1)
    return total


def _zaslavsky(n: int, d: int) -> int:
    """``r(n, d) = sum_{j <= d} C(n, j)`` by the shorter of the two sums (no checks)."""
    if d >= n:
        return 1 << n
    if d + 1 <= n - d:
        return _binomial_prefix(n, d)
    return (1 << n) - _binomial_prefix(n, n - d - 1)  # the terms j > d are C(n, n - j), n - j < n - d


def _zas_product(what: str, pairs: list[tuple[int, int]]) -> int:
    """``prod r(n, d)`` over ``pairs``, each distinct factor computed once."""
    distinct = dict.fromkeys(pairs)
    logs = {p: _zas_log10(*p) for p in distinct}
    total_log = math.fsum(logs[p] for p in pairs)
    work = math.fsum(_zas_work(*p) for p in distinct) + _f(len(pairs)) * _words(total_log)
    _check(what, total_log, work)
    values = {p: _zaslavsky(*p) for p in distinct}
    return prod(values[p] for p in pairs)


def _layered_lower(what: str, n0: int, factors: list[int], last: int) -> int:
    """``prod_l f_l^n0 * r(last, n0)`` (the Montufar and Serra lower bounds)."""
    logs = [_f(n0) * _log10(f) for f in factors] + [_zas_log10(last, n0)]
    total_log = math.fsum(logs)
    _check(what, total_log, _f(len(logs)) * _words(total_log) + _zas_work(last, n0))
    return prod(f ** n0 for f in factors) * _zaslavsky(last, n0)


def _check_product(what: str, logs: list[float]) -> None:
    total_log = math.fsum(logs)
    _check(what, total_log, _f(len(logs)) * _words(total_log))


def _check(what: str, log10_value: float, work: float) -> None:
    """Refuse, before computing it, a value of more than ``max_digits`` digits or more than
    ``max_work`` steps (:class:`~cpa.errors.LimitError` naming the limit)."""
    digits = log10_value + 1
    if not digits <= limits.current().max_digits:
        shown = f"about {digits:.4g} digits" if math.isfinite(digits) else "astronomically many digits"
        raise limits.refuse(what, "max_digits", shown)
    limits.check_work(work, f"computing {what}")


def _serra_upper(n0: int, ws: tuple[int, ...]) -> int:
    r"""Serra's :math:`\sum_{J} \prod_l \binom{n_l}{j_l}` by dynamic programming over the cap.

    ``dp[c]`` sums the products over the prefixes ``(j_1..j_l)`` that leave the cap
    ``c`` (the dimension still available).  At a layer of width ``n`` the state ``c``
    goes to ``min(c, n - j)`` with weight ``C(n, j)`` for ``0 <= j <= min(c, n)``:

    * ``j <= n - c`` keeps the cap ``c``: weight ``S_n(min(c, n - c))``, a binomial prefix sum;
    * otherwise the cap becomes ``t = n - j < c``, reached from every ``c >= max(n - t, t + 1)``
      with weight ``C(n, t)``: one suffix sum of ``dp`` per ``t``.

    Each layer costs ``O(min(cap, n))`` big-integer operations (the index set ``J``
    itself can have exponentially many elements).
    """
    # estimate: after layer l the numbers are at most Montufar 2017's partial product, and
    # the layer makes about three passes over min(cap, n) + 1 of them
    total_log, cap, steps = 0.0, n0, 0.0
    for n in ws:
        steps += 3 * _f(min(cap, n) + 1) * _words(total_log + _zas_log10(n, min(cap, n)))
        cap = min(cap, n)
        total_log += _zas_log10(n, cap)
    _check("the Serra 2018 Thm 1 bound", total_log, steps)

    dp: dict[int, int] = {n0: 1}
    for n in ws:
        top = max(dp)
        m = min(top, n)
        binom = [1] * (m + 1)  # C(n, j) for j <= m
        for j in range(m):
            binom[j + 1] = binom[j] * (n - j) // (j + 1)
        prefix = [0] * (m + 1)  # S_n(a) = sum_{j <= a} C(n, j), a <= m
        acc = 0
        for j in range(m + 1):
            acc += binom[j]
            prefix[j] = acc
        new: dict[int, int] = {}
        for c, v in dp.items():
            if n >= c:
                new[c] = new.get(c, 0) + v * prefix[min(c, n - c)]
        suffix = [0] * (top + 2)  # suffix[k] = sum_{c >= k} dp[c]
        for k in range(top, -1, -1):
            suffix[k] = suffix[k + 1] + dp.get(k, 0)
        for t in range(max(0, n - top), min(n, top - 1) + 1):
            k = max(n - t, t + 1)
            if k <= top and suffix[k]:
                new[t] = new.get(t, 0) + binom[n - t] * suffix[k]  # C(n, t) = C(n, n - t), n - t <= m
        dp = {c: v for c, v in new.items() if v}
    return sum(dp.values())


# --- helpers --------------------------------------------------------------------

def _show(n: int) -> str:
    return abbreviate(n, 20)


def _one_input(n0: int, fn: Callable[[Sequence[int]], int], ws: Sequence[int]) -> int:
    _require(n0 == 1, f"needs one input (n0 = 1), got n0 = {_show(n0)}")
    return fn(ws)


def _one_layer(n0: int, ws: Sequence[int]) -> int:
    _require(len(ws) == 1, f"needs one hidden layer, got {len(ws)}")
    return zaslavsky(ws[0], n0)


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise SpecError(message)


def _int(x: Any, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise SpecError(f"{name} must be an integer, got {abbreviate(x)}")
    return int(x)


def _nonneg(x: Any, name: str) -> int:
    v = _int(x, name)
    if v < 0:
        raise SpecError(f"{name} must be >= 0, got {_show(v)}")
    return v


def _positive(x: Any, name: str) -> int:
    v = _int(x, name)
    if v < 1:
        raise SpecError(f"{name} must be >= 1, got {_show(v)}")
    return v


def _arch(n0: Any, widths: Sequence[Any]) -> tuple[int, tuple[int, ...]]:
    n0 = _positive(n0, "n0")
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise SpecError(f"widths must be a sequence of positive integers, got {abbreviate(widths)}")
    ws = tuple(_positive(n, f"width n_{l + 1}") for l, n in enumerate(widths))
    if not ws:
        raise SpecError("an architecture needs at least one hidden layer")
    return n0, ws
