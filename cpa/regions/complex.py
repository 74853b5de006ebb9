"""Regions of a ReLU network and the polyhedral complex they form.

A :class:`Region` is an *activation region*: a maximal connected
full-dimensional set of the domain on which the activation pattern (which
neurons have pre-activation > 0) is constant.  It is convex, and it carries

* its activation pattern, in the format of
  :meth:`cpa.network.ReLUNetwork.activation_pattern`;
* an irredundant exact H-representation ``(A, b)`` of its closure (one
  inequality per facet, domain facets included);
* the exact affine map ``x -> A x + c`` of the network's output on it;
* an exact witness point strictly inside it (the certificate; see
  :meth:`Region.certify`);
* ``is_bounded``, its finite vertices and, when bounded, its exact volume
  (length in 1-D).

A :class:`RegionComplex` holds all regions, their adjacency graph (networkx;
an edge joins two regions sharing a (d-1)-dimensional facet) and the *affine
pieces*: connected components of the subgraph whose edges join regions with
the same affine map.  Published region bounds count activation regions;
Telgarsky counts pieces; ``#pieces <= #activation regions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from ..affine import Affine
from ..sparse import SparseMatrix
from ..domains import Box, Polyhedron, Reals

if TYPE_CHECKING:
    from .backend import RegionBackend
    from .certificate import ComplexCertificate

__all__ = ["Region", "RegionComplex", "RegionCount", "region_record"]


@dataclass(frozen=True)
class RegionCount:
    """Counts of the linear regions of a network on a domain.

    Attributes
    ----------
    activation_regions
        Full-dimensional cells with one activation pattern.
    affine_pieces
        Maximal unions of regions, connected across shared facets, with one affine map
        (None when not counted: ``count_regions(..., method="lp", pieces=False)``).
    bounded_regions, unbounded_regions
        Activation regions that are bounded / unbounded (all bounded on a bounded domain).
    input_dim
        Dimension of the domain.
    domain
        ``repr`` of the domain.
    method
        The engine used (a row of :data:`cpa.regions.engines.ENGINES`).
    certificate
        The :class:`~cpa.regions.certificate.ComplexCertificate` when counted with
        ``certify=True`` (None otherwise).
    """

    activation_regions: int
    affine_pieces: int | None
    bounded_regions: int
    unbounded_regions: int
    input_dim: int
    domain: str
    method: str
    certificate: Any = None

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        if out["certificate"] is None:
            del out["certificate"]
        return out


class Region:
    """One activation region of a :class:`RegionComplex` (a lazy view; see the module docstring)."""

    __slots__ = ("_cx", "index", "_cache")

    def __init__(self, complex_: "RegionComplex", index: int):
        self._cx = complex_
        self.index = index
        self._cache: dict[str, Any] = {}

    def _get(self, key: str, fn: Any) -> Any:
        c = self._cache
        if key not in c:
            c[key] = fn(self.index)
        return c[key]

    @property
    def pattern(self) -> tuple[tuple[bool, ...], ...]:
        """Activation pattern: per hidden layer, per neuron, pre-activation > 0 on the region."""
        return self._get("pattern", self._cx._backend.pattern)

    @property
    def affine_map(self) -> Affine:
        """The exact :class:`~cpa.affine.Affine` map ``x -> A x + c`` of the network's output on the
        region (it unpacks as ``A, c = region.affine_map``)."""
        return self._get("affine", self._affine)

    def _affine(self, i: int) -> Affine:
        A, c = self._cx._backend.affine_map(i)
        return Affine(SparseMatrix.from_dense(A, len(A[0])), tuple(c))

    @property
    def hrep(self) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[Fraction, ...]]:
        """Irredundant exact ``(A, b)``: the region's closure is ``{x : A x <= b}``."""
        return self._get("hrep", self._cx._backend.hrep)

    @property
    def witness(self) -> tuple[Fraction, ...]:
        """An exact rational point strictly inside the region (the certificate)."""
        return self._get("witness", self._cx._backend.witness)

    @property
    def is_bounded(self) -> bool:
        return self._get("bounded", self._cx._backend.is_bounded)

    def vertices(self) -> tuple[tuple[Fraction, ...], ...]:
        """Exact vertices of the region's closure (only the finite ones if unbounded).

        A method, like :meth:`volume` and like the domains' ``vertices()`` and ``volume()``:
        both are computed from the region's cell on first call (and cached); the attributes
        (:attr:`pattern`, :attr:`witness`, :attr:`hrep`, :attr:`affine_map`) are its certificate.
        """
        return self._get("vertices", self._cx._backend.vertices)

    def volume(self) -> Fraction:
        """Exact volume (length in 1-D).  Raises DomainError if the region is unbounded."""
        return self._get("volume", self._cx._backend.volume)

    @property
    def piece(self) -> int:
        """Index of the affine piece that contains the region."""
        return int(self._cx._piece_labels()[self.index])

    def certify(self) -> bool:
        """Check the region's certificate exactly and completely.

        True iff the witness satisfies every inequality of :attr:`hrep` strictly, lies in
        the domain and has this region's activation pattern; the pattern holds on the
        whole region (the network's exact pre-activations have the pattern's signs at
        every vertex of the region, cut to an enclosing box when unbounded); the region
        lies in the domain; and :attr:`affine_map` is the exact map of the pattern.  See
        :mod:`cpa.regions.certificate`; :meth:`RegionComplex.certify` also proves that no
        region is missing.
        """
        return self.certificate_failure() is None

    def certificate_failure(self) -> str | None:
        """None if :meth:`certify` holds, else which check failed."""
        ck = self._cx._checker()
        return ck.region(self.pattern, self.witness, self.hrep, self.affine_map, self.is_bounded)[0]

    def to_record(self) -> dict[str, Any]:
        """The region as a JSON-ready dict of exact ``"p/q"`` strings (see :func:`region_record`)."""
        return region_record(self.pattern, self.witness, self.affine_map, self.piece, self.is_bounded)

    def __repr__(self) -> str:
        return f"Region({self.index}, bounded={self.is_bounded})"


class RegionComplex:
    """All activation regions of a network on a domain, with adjacency and affine pieces.

    Built by :func:`cpa.regions.regions`.  Indexable and iterable over :class:`Region`.

    Attributes
    ----------
    network, domain
        What was enumerated.
    method
        ``"line"`` or ``"vertex"``.
    slice
        The :class:`~cpa.slices.Plane` or :class:`~cpa.slices.Segment` whose coordinates the
        regions are in (``network`` is then the network composed with ``slice.affine``, and
        ``slice.to_input`` maps back to the input space), or None.
    """

    slice: Any = None

    def __init__(self, network: Any, domain: Box | Polyhedron | Reals, backend: "RegionBackend", method: str,
                 stats: dict[str, Any] | None = None):
        self.network = network
        self.domain = domain
        self._backend = backend
        self.method = method
        self.stats = dict(stats or {})
        self._regions: tuple[Region, ...] | None = None
        self._graph: Any = None
        self._labels: np.ndarray | None = None
        self._check: Any = None

    # --- regions ------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._backend)

    @property
    def regions(self) -> tuple[Region, ...]:
        if self._regions is None:
            self._regions = tuple(Region(self, i) for i in range(len(self)))
        return self._regions

    def __getitem__(self, i: int) -> Region:
        return self.regions[i]

    def __iter__(self) -> Iterator[Region]:
        return iter(self.regions)

    @property
    def num_regions(self) -> int:
        """Number of activation regions."""
        return len(self)

    @property
    def num_bounded(self) -> int:
        return int(self._backend.bounded_mask().sum())

    # --- adjacency and pieces ---------------------------------------------------------
    @property
    def graph(self) -> Any:
        """networkx Graph: nodes are region indices, edges join regions sharing a facet."""
        if self._graph is None:
            import networkx as nx

            G = nx.Graph()
            G.add_nodes_from(range(len(self)))
            G.add_edges_from(self._backend.adjacency())
            self._graph = G
        return self._graph

    def _piece_labels(self) -> np.ndarray:
        if self._labels is None:
            self._labels = self._backend.piece_labels()
        return self._labels

    @property
    def pieces(self) -> list[frozenset[int]]:
        """Affine pieces: sets of region indices (connected across facets, one affine map)."""
        lab = self._piece_labels()
        groups: dict[int, list[int]] = {}
        for i, p in enumerate(lab.tolist()):
            groups.setdefault(p, []).append(i)
        return [frozenset(g) for _, g in sorted(groups.items())]

    @property
    def num_pieces(self) -> int:
        lab = self._piece_labels()
        return int(lab.max()) + 1 if len(lab) else 0

    def counts(self) -> RegionCount:
        """The :class:`RegionCount` of this complex."""
        nb = self.num_bounded
        return RegionCount(activation_regions=len(self), affine_pieces=self.num_pieces,
                           bounded_regions=nb, unbounded_regions=len(self) - nb,
                           input_dim=self.network.input_dim, domain=repr(self.domain), method=self.method)

    def _checker(self) -> Any:
        if self._check is None:
            from .certificate import _Checker

            self._check = _Checker(self.network, self.domain)
        return self._check

    def certificate(self, progress: Any = None) -> "ComplexCertificate":
        """Prove exactly that the regions are all the activation regions of the network on the domain.

        Checks every region completely (:meth:`Region.certify`), that the patterns are
        distinct (so interiors are disjoint) and that the exact volumes sum to the domain's
        (inside an enclosing box on unbounded domains), independently of the engine that
        made the complex.  Returns a :class:`~cpa.regions.certificate.ComplexCertificate`
        (true iff proved, else with the first failure in ``reason``).  See
        :mod:`cpa.regions.certificate`.
        """
        from .certificate import certify_complex

        return certify_complex(self.network, self.domain, self.regions, progress=progress)

    def certificate_builder(self) -> Any:
        """A :class:`~cpa.regions.certificate.CertificateBuilder` for this complex's network and domain
        (to certify while streaming the regions somewhere)."""
        from .certificate import CertificateBuilder

        return CertificateBuilder(self.network, self.domain)

    def certify(self) -> bool:
        """True iff :meth:`certificate` proves the complex (every region right, none missing)."""
        return self.certificate().ok

    def total_volume(self) -> Fraction:
        """Sum of the exact region volumes (bounded domains)."""
        return sum((r.volume() for r in self.regions), Fraction(0))

    def __repr__(self) -> str:
        return f"RegionComplex({len(self)} regions of {self.network!r} on {self.domain!r})"


def region_record(pattern: Any, witness: Any, affine_map: Any, piece: int | None, bounded: bool) -> dict[str, Any]:
    """``{"pattern", "witness", "affine_map": {"A", "c"}, "piece", "bounded"}`` with patterns as
    0/1 strings per layer and every number as an exact ``"p/q"`` string (the ``--list`` format)."""
    A, c = affine_map
    return {"pattern": ["".join("1" if a else "0" for a in layer) for layer in pattern],
            "witness": [str(v) for v in witness],
            "affine_map": {"A": [[str(v) for v in row] for row in A], "c": [str(v) for v in c]},
            "piece": piece, "bounded": bounded}
