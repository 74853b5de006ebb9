"""Read an ONNX graph as an exact ReLU network, by symbolic interpretation.

The graph is never executed.  Each tensor of the graph is evaluated, in
topological order, either to a *constant* (an exact array: floats at their
exact binary value as Fractions, integers in their own integer dtype) or to
a *symbolic* tensor whose every entry is an exact affine function
``w . h + c`` of the current hidden state ``h`` (the network input, or the
output of the last ReLU).  A ``Relu`` of a
symbolic tensor closes one layer of the network: its affine functions become
``(W, b)`` and the new hidden state is ``relu(W h + b)``.  The graph output,
an affine function of the last hidden state, is the final layer.

One table maps each supported operator to a small function; a first pass
reports *every* unsupported node (name, op type and, where known, the
reason) at once.

The layers of evaluation-mode models are read through the table shared with
the PyTorch reader (:mod:`cpa.fold.table`), each folded exactly:

* ``BatchNormalization`` (``training_mode=0``, constant parameters):
  ``scale (x - mean) / s + B`` per channel (axis 1), with
  ``s = fl(sqrt(fl(var + fl(epsilon))))`` taken in the float type of
  ``input_var`` (:mod:`cpa.fold.batchnorm`); the map composes exactly with
  the neighbouring ``Gemm``;
* ``LeakyRelu(alpha)``: ``relu(x) - alpha relu(-x)``, two ReLUs per entry
  (``alpha`` is the float32 attribute at its exact value);
* ``Clip(min, max)`` (bounds as constant inputs, or attributes before opset
  11; either may be absent): ``relu(x - min) - relu(x - max) + min``, two
  ReLUs per entry (one with a single bound);
* ``Dropout``: the identity, unless ``training_mode`` is true (refused);
* ``Conv`` (strides, pads, dilations, group, ``auto_pad``) and
  ``AveragePool``: exact sparse affine maps of the flattened input
  (:mod:`cpa.fold.conv`); ``BatchNormalization`` on ``(N, C, H, W)`` acts
  per channel;
* ``MaxPool`` (no ``Indices`` output): ``ceil(log2 k)`` extra hidden layers
  of ``max(a, b)`` gadgets per window of ``k`` entries (:mod:`cpa.fold.maxpool`);
* branches (rows ``add`` and ``concat`` of the table): a ``Relu`` of a value
  of hidden state ``h_k`` puts its neurons in hidden layer ``k + 1``, beside
  those already there, so parallel branches ``f(x) + g(x)`` or
  ``Concat(f(x), g(x))`` share layers as :func:`cpa.calculus.parallel` puts
  networks side by side; combining values of different hidden states (a
  residual sum ``x + f(x)``, branches of different depths) carries the
  earlier one through the later layers, ``x = relu(x) - relu(-x)`` for an
  input entry (two neurons per layer) and ``h = relu(h)`` for a hidden one
  (one neuron), each entry carried once however many values use it
  (:meth:`_Reader.lift`).  ``Add``, ``Sub`` and ``Concat`` of two branches
  broadcast as ONNX does (exact re-indexing); ``Mul``/``Div`` need one
  constant factor (``x * y`` is refused).

The width changes are logged (logger ``"cpa"``, level INFO).  A final
``Softmax``/``LogSoftmax`` is refused with a message that the network is read
up to its logits.

Supported: ``Gemm`` (any ``alpha``, ``beta``, ``transA``, ``transB``; the
float32 attributes are used at their exact value), ``MatMul``, ``Add``,
``Sub``, ``Mul``, ``Div`` and ``Neg`` where the result stays affine,
``Relu``, ``LeakyRelu``, ``Clip``, ``BatchNormalization``, ``Dropout``,
``Conv``, ``AveragePool``, ``MaxPool``,
``Identity``, ``Constant``, initializers, and the shape plumbing
of exporters (``Flatten``, ``Reshape``, ``Squeeze``, ``Unsqueeze``,
``Transpose``, ``Shape``, ``Gather``, ``Slice``, ``Concat``).

Integer tensors (``int8`` ... ``int64``, ``uint8`` ... ``uint64``) are read
exactly, and constant folding of integers is done with Python integers: a
result outside the tensor's type (where ONNX would wrap around, e.g. int64
``2**62 + 2**62``) is refused, never wrapped.  Bool tensors are read only as
Dropout's ``training_mode`` flag (never as 0/1); string and complex tensors
are refused, as are non-finite float attributes (``Gemm alpha=inf``) and
tensors whose data lives in external files (except through :func:`read_onnx`
with a file path, which loads it with size checks).

Conventions: the graph is read on one example.  An input of rank >= 2 is a
batch whose leading dimension is taken to be 1 (a symbolic batch dimension
is what exporters write); its other dimensions must be static.  The network
input is the input tensor flattened in row-major order, and the network
output is the output tensor flattened likewise.  Nodes that do not
contribute to the output are ignored.  Arithmetic is exact: the network
is the real-number function the graph denotes, not its float evaluation.

Not supported (refused with a message): products of two input-dependent
values, models with several inputs or outputs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

import numpy as np

from .. import limits
from ..errors import CPAError, FormatError, InvalidNumberError, ShapeError, UnsupportedLayerError
from ..fold import RULES, ReluSum, ScaleShift, max_tree
from ..fold.table import LOGITS_LAYERS, NOT_PIECEWISE_AFFINE
from ..network import ReLUNetwork
from ..numbers import ONE, ZERO
from ..sparse import SparseMatrix
from ._floats import fractions_of
from ._guard import check_layers, listing, short

__all__ = ["graph_to_network", "SUPPORTED_OPS"]

_log = logging.getLogger("cpa")

Row = dict[int, Fraction]

#: largest number of entries of an input-dependent tensor (a guard against absurd declared shapes)
MAX_ENTRIES = 4_000_000


@dataclass(frozen=True, eq=False)
class _Sym:
    """A tensor whose entries (row-major) are ``rows[i] . h + b[i]`` in hidden state ``base``."""

    base: int
    shape: tuple[int, ...]
    rows: tuple[Row, ...]
    b: tuple[Fraction, ...]

    @property
    def is_constant(self) -> bool:
        return not any(self.rows)


Value = Any  # _Sym or np.ndarray (object array of Fractions, or an integer dtype), or a _Flag


@dataclass(frozen=True, eq=False)
class _Flag:
    """A constant bool tensor: read only where an operator takes a flag (Dropout's ``training_mode``)."""

    values: np.ndarray
    where: str

    def refusal(self) -> FormatError:
        return FormatError(f"{self.where}: a bool tensor, expected numbers (bools are not read as 0/1)")


#: op type -> positions of the inputs that are bool flags
_FLAG_INPUTS: dict[str, tuple[int, ...]] = {"Dropout": (2,)}


class _Reader:
    """Interpreter state: values by name, the layers closed so far."""

    def __init__(self, model: Any, source: str):
        import onnx
        from onnx import numpy_helper

        self.onnx = onnx
        self.numpy_helper = numpy_helper
        self.source = source
        self.graph = model.graph
        self.env: dict[str, Value] = {}
        self.initializers = {t.name: t for t in self.graph.initializer}
        self.layers: list[tuple[list[Row], list[Fraction]]] = []   # rows and biases, widened as branches open
        self.sizes: list[int] = []
        self.carried: dict[tuple[int, frozenset[tuple[int, Fraction]], Fraction], Row] = {}
        self.node = "?"
        self.elem_types: dict[str, int] = {t.name: t.data_type for t in self.graph.initializer}
        self.input_elem = 0

    # --- errors --------------------------------------------------------------
    def unsupported(self, why: str) -> UnsupportedLayerError:
        return UnsupportedLayerError(f"{self.source}: node {self.node}: {why}")

    def malformed(self, why: str) -> FormatError:
        return FormatError(f"{self.source}: node {self.node}: {why}")

    # --- values ----------------------------------------------------------------
    def value(self, name: str) -> Value:
        if name in self.env:
            return self.env[name]
        if name in self.initializers:
            v = self.tensor(self.initializers[name], f"initializer {name!r}")
            self.env[name] = v
            return v
        raise FormatError(f"{self.source}: node {self.node}: input {short(name, 60)!r} is not produced by any node")

    def tensor(self, proto: Any, where: str) -> Value:
        if proto.data_location == self.onnx.TensorProto.EXTERNAL:
            raise FormatError(f"{self.source}: {where} keeps its data in an external file, which is not "
                              "read here; read the model with read_onnx(path) (external data is then "
                              "loaded with size checks) or save it with all tensors inside")
        try:
            arr = self.numpy_helper.to_array(proto)
        except Exception as e:  # unknown data types, missing external data, ...
            raise FormatError(f"{self.source}: {where} cannot be read ({short(str(e), 120)})") from None
        arr = np.asarray(arr)
        if arr.dtype.kind == "b":
            return _Flag(arr, f"{self.source}: {where}")
        return _const(arr, f"{self.source}: {where}")

    def float_kind(self, name: str, what: str) -> str:
        """``"float32"``/``"float64"``: the type of the tensor ``name`` (an initializer or a Constant),
        else that of the graph input."""
        elem = self.elem_types.get(name, self.input_elem)
        kind = {self.onnx.TensorProto.FLOAT: "float32", self.onnx.TensorProto.DOUBLE: "float64"}.get(elem)
        if kind is None:
            name_of = self.onnx.TensorProto.DataType.Name(elem) if elem else "unknown"
            raise self.unsupported(f"{what} in {name_of} arithmetic is not modelled; use a float or double model")
        return kind

    @property
    def current(self) -> int:
        return len(self.layers)

    # --- the one place where layers are made ---------------------------------
    def relu(self, s: _Sym) -> _Sym:
        """``relu(s)`` as neurons of hidden layer ``s.base + 1``: a new layer, or a branch beside the neurons
        already there (parallel composition)."""
        if s.is_constant:
            return _Sym(self.current, s.shape, s.rows, tuple(v if v > 0 else ZERO for v in s.b))
        if s.base > 0 and all(v >= 0 for v in s.b) and all(c >= 0 for r in s.rows for c in r.values()):
            return s  # already >= 0 on the (nonnegative) hidden state: relu is the identity
        start = self._neurons(s.base, s.rows, s.b)
        return _Sym(s.base + 1, s.shape, tuple({start + i: ONE} for i in range(len(s.rows))), (ZERO,) * len(s.b))

    def lift(self, s: _Sym, base: int) -> _Sym:
        """The same tensor as an affine function of the later hidden state ``h_base``.

        From each hidden state ``h_k`` to the next, whichever needs fewer neurons
        (added to hidden layer ``k + 1``) is carried: the entries of ``h_k`` that
        ``s`` reads, or the entries of ``s`` themselves; a signed value ``v``
        (an input entry, an entry of ``s``) as ``v = relu(v) - relu(-v)``, two
        neurons, a nonnegative one (an entry of a hidden state) as
        ``h = relu(h)``, one.  Each is carried once per layer however many values
        use it.  This is how a skip connection ``x + f(x)`` and branches of
        different depths are read, exactly, as :func:`cpa.calculus.parallel`
        pads the shallower networks.
        """
        if s.is_constant or s.base == base:
            return _Sym(base, s.shape, s.rows, s.b)
        rows, b = s.rows, s.b
        for k in range(s.base, base):
            used = sorted({j for r in rows for j in r})
            if len(used) * (2 if k == 0 else 1) <= 2 * sum(1 for r in rows if r):
                carry = {j: self._carry(k, {j: ONE}, ZERO) for j in used}
                rows = tuple(_lincomb([(carry[j], c) for j, c in r.items()]) for r in rows)
            else:
                rows, b = (tuple(self._carry(k, r, c) if r else r for r, c in zip(rows, b)),
                           tuple(ZERO if r else c for r, c in zip(rows, b)))
        return _Sym(base, s.shape, rows, b)

    def _carry(self, k: int, row: Row, c: Fraction) -> Row:
        """``row . h_k + c`` as a function of ``h_{k+1}`` (its neurons added on first use)."""
        key = (k, frozenset(row.items()), c)
        if key not in self.carried:
            if k > 0 and c >= 0 and all(v >= 0 for v in row.values()):
                self.carried[key] = {self._neurons(k, (row,), (c,)): ONE}
            else:
                p = self._neurons(k, (row, {j: -v for j, v in row.items()}), (c, -c))
                self.carried[key] = {p: ONE, p + 1: -ONE}
        return self.carried[key]

    def _neurons(self, k: int, rows: Sequence[Row], b: Sequence[Fraction]) -> int:
        """Add neurons ``relu(rows . h_k + b)`` to hidden layer ``k + 1`` (opened if new); their first index."""
        if k == self.current:
            self.layers.append(([], []))
            self.sizes.append(0)
        W, bias = self.layers[k]
        start = len(W)
        W.extend(rows)
        bias.extend(b)
        self.sizes[k + 1] = len(W)
        return start

    def network_layers(self) -> list[tuple[SparseMatrix, tuple[Fraction, ...]]]:
        """The hidden layers made so far, as sparse matrices."""
        return [(SparseMatrix((len(W), self.sizes[k]), [tuple(sorted(r.items())) for r in W]), tuple(b))
                for k, (W, b) in enumerate(self.layers)]


# --- constants and symbolic tensors -------------------------------------------

def _const(arr: np.ndarray, where: str) -> np.ndarray:
    if arr.dtype.kind == "b":
        raise FormatError(f"{where}: a bool tensor, expected numbers (bools are not read as 0/1)")
    if arr.dtype.kind == "f" or arr.dtype.name.startswith(("bfloat", "float")):
        return fractions_of(arr, where)
    if arr.dtype.kind in "iu":
        return arr                                  # exact, in its own type (uint64 included)
    if arr.dtype.name.startswith(("int", "uint")):  # ml_dtypes int4/uint4: exact in int8/uint8
        return arr.astype(np.int8 if arr.dtype.name.startswith("int") else np.uint8)
    raise FormatError(f"{where}: tensor of type {arr.dtype} is not numeric")


def _is_int(a: Value) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "iu"


def _int_result(rd: "_Reader", values: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    """Exact integers (an object array of Python ints) as an array of ``dtype``, refused if out of range."""
    info = np.iinfo(dtype)
    for v in values.ravel().tolist():
        if not info.min <= v <= info.max:
            raise rd.malformed(f"{what} gives {short(v, 40)}, outside the range of {dtype} "
                               f"[{info.min}, {info.max}]: ONNX would wrap it around; refused")
    return np.array(values.tolist(), dtype=dtype).reshape(values.shape)


def _frac(a: np.ndarray) -> np.ndarray:
    """An int64 or Fraction array as a Fraction array."""
    if a.dtype == object:
        return a
    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [Fraction(int(v)) for v in a.ravel().tolist()] if a.size else []
    return out


def _identity(base: int, shape: tuple[int, ...]) -> _Sym:
    n = _size(shape)
    _check_size(n, shape)
    return _Sym(base, tuple(shape), tuple({i: ONE} for i in range(n)), (ZERO,) * n)


class _TooLarge(Exception):
    pass


def _check_size(n: int, shape: Sequence[int]) -> None:
    if n > MAX_ENTRIES:
        raise _TooLarge(f"a tensor of shape {tuple(shape)} ({n} entries) is too large to read "
                        f"exactly (limit {MAX_ENTRIES})")


def _size(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _shape(v: Value) -> tuple[int, ...]:
    return v.shape if isinstance(v, _Sym) else tuple(np.shape(v))


def _ints(rd: _Reader, v: Value, what: str) -> list[int]:
    if isinstance(v, _Sym) or v.dtype.kind not in "iu":
        if isinstance(v, np.ndarray) and v.dtype == object and all(x.denominator == 1 for x in v.ravel()):
            return [int(x) for x in v.ravel()]
        raise rd.unsupported(f"{what} must be a constant integer tensor")
    return [int(x) for x in v.ravel().tolist()]


def _to_sym(base: int, v: Value) -> _Sym:
    arr = _frac(v)
    return _Sym(base, tuple(arr.shape), tuple({} for _ in range(arr.size)), tuple(arr.ravel().tolist()))


def _align(rd: _Reader, datas: Sequence[Value]) -> tuple[int, list[Value]]:
    """The latest hidden state ``base`` among the symbolic ``datas``, and the ``datas`` lifted to it
    (:meth:`_Reader.lift`): values of different layers (a skip connection, branches) combine."""
    bases = {d.base for d in datas if isinstance(d, _Sym) and not d.is_constant}
    base = max(bases) if bases else rd.current
    return base, [rd.lift(d, base) if isinstance(d, _Sym) else d for d in datas]


def _structural(rd: _Reader, datas: Sequence[Value], fn: Callable[..., np.ndarray]) -> Value:
    """Apply a pure re-indexing ``fn`` (reshape, transpose, gather, concat, ...) to values.

    On constants ``fn`` runs on the arrays; on symbolic tensors it runs on
    index arrays, and the entries are gathered from the results.
    """
    if not any(isinstance(d, _Sym) for d in datas):
        return fn(*datas)
    base, datas = _align(rd, datas)
    rows: list[Row] = []
    b: list[Fraction] = []
    idx = []
    for d in datas:
        s = d if isinstance(d, _Sym) else _to_sym(base, d)
        idx.append(np.arange(len(rows), len(rows) + len(s.rows), dtype=np.int64).reshape(s.shape))
        rows.extend(s.rows)
        b.extend(s.b)
    out = np.asarray(fn(*idx))
    _check_size(out.size, out.shape)
    flat = out.ravel().tolist()
    return _Sym(base, tuple(out.shape), tuple(rows[i] for i in flat), tuple(b[i] for i in flat))


def _broadcast(rd: _Reader, v: Value, shape: tuple[int, ...]) -> Value:
    if _shape(v) == shape:
        return v
    return _structural(rd, [v], lambda a: np.broadcast_to(a, shape))


def _scaled(row: Row, c: Fraction) -> Row:
    if c == 0:
        return {}
    if c == 1:
        return row
    return {j: c * v for j, v in row.items()}


def _lincomb(terms: Sequence[tuple[Row, Fraction]]) -> Row:
    acc: dict[int, Fraction] = {}
    for row, c in terms:
        if c:
            for j, v in row.items():
                acc[j] = acc.get(j, ZERO) + c * v
    return {j: v for j, v in acc.items() if v}


# --- elementwise arithmetic ----------------------------------------------------

def _binary(rd: _Reader, a: Value, b: Value, op: str) -> Value:
    try:
        shape = tuple(np.broadcast_shapes(_shape(a), _shape(b)))
    except ValueError:
        raise rd.malformed(f"shapes {_shape(a)} and {_shape(b)} do not broadcast") from None
    _check_size(_size(shape), shape)
    if not isinstance(a, _Sym) and not isinstance(b, _Sym):
        return _const_binary(rd, a, b, op)
    a, b = _broadcast(rd, a, shape), _broadcast(rd, b, shape)
    if op in ("Add", "Sub"):
        sign = ONE if op == "Add" else -ONE
        if not isinstance(b, _Sym):
            cb = _frac(b).ravel().tolist()
            return _Sym(a.base, shape, a.rows, tuple(x + sign * y for x, y in zip(a.b, cb)))
        if not isinstance(a, _Sym):
            a = _to_sym(b.base, a)
        base, (a, b) = _align(rd, [a, b])
        rows = tuple(_lincomb([(r, ONE), (s, sign)]) if s else r for r, s in zip(a.rows, b.rows))
        return _Sym(base, shape, rows, tuple(x + sign * y for x, y in zip(a.b, b.b)))
    # Mul, Div: one side must be constant
    if isinstance(a, _Sym) and isinstance(b, _Sym):
        if b.is_constant:
            b = np.array(b.b, dtype=object).reshape(shape)
        elif a.is_constant and op == "Mul":
            a, b = b, np.array(a.b, dtype=object).reshape(shape)
        else:
            raise rd.unsupported(f"{op} of two input-dependent values is not piecewise affine")
    if not isinstance(a, _Sym):
        if op == "Div":
            raise rd.unsupported("division by an input-dependent value is not piecewise affine")
        a, b = b, a
    cs = _frac(b).ravel().tolist()
    if op == "Div":
        if any(c == 0 for c in cs):
            raise rd.malformed("division by zero")
        cs = [1 / c for c in cs]
    return _Sym(a.base, shape, tuple(_scaled(r, c) for r, c in zip(a.rows, cs)),
                tuple(x * c for x, c in zip(a.b, cs)))


def _const_binary(rd: _Reader, a: np.ndarray, b: np.ndarray, op: str) -> np.ndarray:
    if _is_int(a) and _is_int(b):
        return _int_binary(rd, a, b, op)
    fa, fb = _frac(a), _frac(b)
    try:
        if op == "Add":
            return fa + fb
        if op == "Sub":
            return fa - fb
        if op == "Mul":
            return fa * fb
        q = fa / fb
    except ZeroDivisionError:
        raise rd.malformed("division by zero") from None
    return q


def _int_binary(rd: _Reader, a: np.ndarray, b: np.ndarray, op: str) -> np.ndarray:
    """Integer Add/Sub/Mul/Div folded with Python ints; a result ONNX would wrap is refused."""
    dtype = a.dtype if a.dtype == b.dtype else np.promote_types(a.dtype, b.dtype)
    if dtype.kind not in "iu":
        raise rd.malformed(f"{op} of {a.dtype} and {b.dtype} tensors: ONNX needs both of one type")
    x, y = np.broadcast_arrays(a.astype(object), b.astype(object))
    if op == "Div":
        if any(v == 0 for v in y.ravel().tolist()):
            raise rd.malformed("integer division by zero")
        out = np.empty(x.shape, dtype=object)      # integer division truncates toward zero
        out.ravel()[:] = [int(Fraction(p, q)) for p, q in zip(x.ravel().tolist(), y.ravel().tolist())]
    else:
        out = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}[op](x, y)
    return _int_result(rd, np.asarray(out, dtype=object), dtype, f"{dtype} {op}")


# --- matrix products --------------------------------------------------------------

def _matmul(rd: _Reader, a: Value, b: Value) -> Value:
    """numpy/ONNX ``matmul`` with at most one input-dependent operand and a 1-D/2-D constant."""
    if not isinstance(a, _Sym) and not isinstance(b, _Sym):
        sa, sb = _shape(a), _shape(b)
        if sa and sb:
            work = _size(sa) * (sb[-1] if len(sb) > 1 else 1) * max(_size(sb[:-2]), 1)
            if work > limits.current().max_work:
                raise limits.refuse(f"folding the constant MatMul of shapes {sa} and {sb}", "max_work", work)
        return np.matmul(_frac(a), _frac(b))
    if isinstance(a, _Sym) and isinstance(b, _Sym):
        if b.is_constant:
            b = np.array(b.b, dtype=object).reshape(b.shape)
        elif a.is_constant:
            a = np.array(a.b, dtype=object).reshape(a.shape)
        else:
            raise rd.unsupported("MatMul of two input-dependent values is not piecewise affine")
        return _matmul(rd, a, b)
    if isinstance(a, _Sym):
        return _sym_times_const(rd, a, _frac(b))
    return _const_times_sym(rd, _frac(a), b)


def _sym_times_const(rd: _Reader, s: _Sym, B: np.ndarray) -> _Sym:
    vec = B.ndim == 1
    if vec:
        B = B.reshape(-1, 1)
    if B.ndim != 2 or len(s.shape) == 0:
        raise rd.unsupported(f"MatMul of shapes {s.shape} and {B.shape} (batched weights) is not supported")
    k, m = B.shape
    if s.shape[-1] != k:
        raise rd.malformed(f"MatMul shapes {s.shape} and {B.shape} do not fit")
    prefix = s.shape[:-1]
    _check_size(_size(prefix) * m, prefix + (m,))
    cols = [[(j, B[j, i]) for j in range(k) if B[j, i] != 0] for i in range(m)]
    rows, bs = [], []
    for p in range(_size(prefix)):
        off = p * k
        for i in range(m):
            rows.append(_lincomb([(s.rows[off + j], c) for j, c in cols[i]]))
            bs.append(sum((s.b[off + j] * c for j, c in cols[i]), ZERO))
    shape = prefix if vec else prefix + (m,)
    return _Sym(s.base, tuple(shape), tuple(rows), tuple(bs))


def _const_times_sym(rd: _Reader, A: np.ndarray, s: _Sym) -> _Sym:
    avec, svec = A.ndim == 1, len(s.shape) == 1
    if avec:
        A = A.reshape(1, -1)
    if A.ndim != 2 or len(s.shape) == 0:
        raise rd.unsupported(f"MatMul of shapes {A.shape} and {s.shape} (batched weights) is not supported")
    shape = s.shape + (1,) if svec else s.shape
    m, k = A.shape
    if shape[-2] != k:
        raise rd.malformed(f"MatMul shapes {A.shape} and {s.shape} do not fit")
    n = shape[-1]
    prefix = shape[:-2]
    _check_size(_size(prefix) * m * n, prefix + (m, n))
    arows = [[(l, A[i, l]) for l in range(k) if A[i, l] != 0] for i in range(m)]
    rows, bs = [], []
    for p in range(_size(prefix)):
        off = p * k * n
        for i in range(m):
            for j in range(n):
                terms = [(off + l * n + j, c) for l, c in arows[i]]
                rows.append(_lincomb([(s.rows[t], c) for t, c in terms]))
                bs.append(sum((s.b[t] * c for t, c in terms), ZERO))
    out = prefix + (m, n)
    if svec:
        out = out[:-1]
    if avec:
        out = out[:-2] + out[-1:] if not svec else out[:-1]
    return _Sym(s.base, tuple(out), tuple(rows), tuple(bs))


# --- operators ------------------------------------------------------------------

def _attrs(node: Any) -> dict[str, Any]:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _op_gemm(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    at = _attrs(node)
    if len(ins) < 2 or ins[0] is None or ins[1] is None:
        raise rd.malformed("Gemm needs inputs A and B")
    A, B = ins[0], ins[1]
    C = ins[2] if len(ins) > 2 else None
    for name, v in (("A", A), ("B", B)):
        if len(_shape(v)) != 2:
            raise rd.malformed(f"Gemm input {name} has shape {_shape(v)}, expected a matrix")
    if at.get("transA", 0):
        A = _structural(rd, [A], lambda x: x.T)
    if at.get("transB", 0):
        B = _structural(rd, [B], lambda x: x.T)
    Y = _matmul(rd, A, B)
    alpha, beta = _finite(rd, at.get("alpha", 1.0), "alpha"), _finite(rd, at.get("beta", 1.0), "beta")
    if alpha != 1:
        Y = _binary(rd, Y, np.array(alpha, dtype=object), "Mul")
    if C is not None and beta != 0:
        if beta != 1:
            C = _binary(rd, C, np.array(beta, dtype=object), "Mul")
        if tuple(np.broadcast_shapes(_shape(C), _shape(Y))) != _shape(Y):
            raise rd.malformed(f"Gemm bias C of shape {_shape(C)} does not broadcast to {_shape(Y)}")
        Y = _binary(rd, Y, C, "Add")
    return [Y]


def _op_matmul(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    return [_matmul(rd, ins[0], ins[1])]


def _elementwise(op: str) -> Callable[[_Reader, Any, list[Value | None]], list[Value]]:
    def run(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
        return [_binary(rd, ins[0], ins[1], op)]
    return run


def _op_neg(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    x = ins[0]
    if isinstance(x, _Sym):
        return [_binary(rd, x, np.array(-ONE, dtype=object), "Mul")]
    if _is_int(x):
        return [_int_result(rd, -x.astype(object), x.dtype, f"{x.dtype} Neg")]
    return [-x]


def _op_relu(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    x = ins[0]
    if isinstance(x, _Sym):
        return [rd.relu(x)]
    return [np.where(x > 0, x, x * 0)]


def _op_identity(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    return [ins[0]]


def _op_constant(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    at = _attrs(node)
    if "value" in at:
        if node.output:
            rd.elem_types[node.output[0]] = at["value"].data_type
        return [rd.tensor(at["value"], f"Constant {rd.node}")]
    if "value_float" in at:
        if node.output:
            rd.elem_types[node.output[0]] = rd.onnx.TensorProto.FLOAT
        return [np.array(_finite(rd, at["value_float"], "value_float"), dtype=object)]
    if "value_floats" in at:
        return [_frac_list([_finite(rd, v, f"value_floats[{i}]") for i, v in enumerate(at["value_floats"])])]
    if "value_int" in at:
        return [np.array(at["value_int"], dtype=np.int64)]
    if "value_ints" in at:
        return [np.array(at["value_ints"], dtype=np.int64)]
    raise rd.unsupported(f"Constant with attribute {', '.join(at) or '(none)'} is not supported")


def _finite(rd: _Reader, v: Any, name: str) -> Fraction:
    """A float attribute at its exact value; NaN and infinities refused."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise rd.malformed(f"attribute {name} is {type(v).__name__} {short(v, 40)}, expected a number")
    if v != v or v in (float("inf"), float("-inf")):
        raise rd.malformed(f"attribute {name} is {v}, not a finite number")
    return Fraction(v)


def _frac_list(vals: list[Fraction]) -> np.ndarray:
    out = np.empty(len(vals), dtype=object)
    out[:] = vals
    return out


def _op_flatten(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    shape = _shape(ins[0])
    axis = int(_attrs(node).get("axis", 1))
    if axis < 0:
        axis += len(shape)
    if not 0 <= axis <= len(shape):
        raise rd.malformed(f"Flatten axis {axis} out of range for shape {shape}")
    target = (_size(shape[:axis]), _size(shape[axis:]))
    return [_structural(rd, [ins[0]], lambda a: a.reshape(target))]


def _op_reshape(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    at = _attrs(node)
    spec = list(at["shape"]) if "shape" in at else _ints(rd, ins[1], "Reshape shape")
    shape = _shape(ins[0])
    target = []
    for i, t in enumerate(spec):
        if t == 0 and not at.get("allowzero", 0):
            if i >= len(shape):
                raise rd.malformed(f"Reshape {spec}: no dimension {i} to copy in {shape}")
            t = shape[i]
        target.append(int(t))
    if target.count(-1) > 1:
        raise rd.malformed(f"Reshape {spec}: more than one -1")
    if -1 in target:
        known = _size([t for t in target if t != -1])
        if known == 0 or _size(shape) % known:
            raise rd.malformed(f"cannot reshape {shape} to {spec} (the graph is read on a batch of one example)")
        target[target.index(-1)] = _size(shape) // known
    if _size(target) != _size(shape):
        raise rd.malformed(f"cannot reshape {shape} to {spec} (the graph is read on a batch of one example)")
    return [_structural(rd, [ins[0]], lambda a: a.reshape(target))]


def _axes(rd: _Reader, node: Any, ins: list[Value | None], rank: int) -> list[int] | None:
    at = _attrs(node)
    if "axes" in at:
        axes = list(at["axes"])
    elif len(ins) > 1 and ins[1] is not None:
        axes = _ints(rd, ins[1], f"{node.op_type} axes")
    else:
        return None
    return [a + rank if a < 0 else a for a in axes]


def _op_squeeze(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    shape = _shape(ins[0])
    axes = _axes(rd, node, ins, len(shape))
    if axes is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    if any(not 0 <= a < len(shape) or shape[a] != 1 for a in axes):
        raise rd.malformed(f"cannot squeeze axes {axes} of shape {shape}")
    return [_structural(rd, [ins[0]], lambda a: np.squeeze(a, axis=tuple(axes)))]


def _op_unsqueeze(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    shape = _shape(ins[0])
    raw = _axes(rd, node, ins, 0)
    if raw is None:
        raise rd.malformed("Unsqueeze without axes")
    rank = len(shape) + len(raw)
    if any(not -rank <= a < rank for a in raw):
        raise rd.malformed(f"Unsqueeze axes {short(raw, 60)} out of range for an output of rank {rank}")
    axes = [a + rank if a < 0 else a for a in raw]
    if len(set(axes)) != len(axes):
        raise rd.malformed(f"Unsqueeze axes {short(raw, 60)} repeat an axis")
    return [_structural(rd, [ins[0]], lambda a: np.expand_dims(a, tuple(axes)))]


def _op_transpose(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    perm = _attrs(node).get("perm")
    axes = tuple(perm) if perm is not None else None
    return [_structural(rd, [ins[0]], lambda a: np.transpose(a, axes))]


def _op_shape(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    at = _attrs(node)
    shape = _shape(ins[0])
    start, end = at.get("start", 0), at.get("end", None)
    return [np.array(shape[start:end], dtype=np.int64)]


def _op_gather(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    idx = np.array(_ints(rd, ins[1], "Gather indices"), dtype=np.int64).reshape(_shape(ins[1]))
    axis = int(_attrs(node).get("axis", 0))
    shape = _shape(ins[0])
    if not -len(shape) <= axis < len(shape):
        raise rd.malformed(f"Gather axis {axis} out of range for shape {shape}")
    axis %= len(shape)
    out = shape[:axis] + idx.shape + shape[axis + 1:]
    _check_size(_size(out), out)
    return [_structural(rd, [ins[0]], lambda a: np.take(a, idx, axis=axis))]


def _op_slice(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    at = _attrs(node)
    shape = _shape(ins[0])
    if "starts" in at:
        starts, ends = list(at["starts"]), list(at["ends"])
        axes = list(at.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    else:
        def opt(i: int, what: str) -> list[int] | None:
            return _ints(rd, ins[i], f"Slice {what}") if len(ins) > i and ins[i] is not None else None
        starts, ends = opt(1, "starts") or [], opt(2, "ends") or []
        axes = opt(3, "axes") or list(range(len(starts)))
        steps = opt(4, "steps") or [1] * len(starts)
    index: list[slice] = [slice(None)] * len(shape)
    for s, e, a, st in zip(starts, ends, axes, steps):
        if st == 0:
            raise rd.malformed("Slice step 0")
        index[a + len(shape) if a < 0 else a] = slice(s, e, st)
    key = tuple(index)
    return [_structural(rd, [ins[0]], lambda a: a[key])]


def _op_concat(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    axis = int(_attrs(node)["axis"])
    datas = [v for v in ins if v is not None]
    if all(not isinstance(v, _Sym) for v in datas) and len({v.dtype for v in datas}) > 1:
        datas = [_frac(v) for v in datas]
    return [_structural(rd, datas, lambda *xs: np.concatenate(xs, axis=axis))]


# --- elementwise layers of the shared table (cpa.fold) -------------------------------------

def _elementwise_apply(rd: _Reader, x: Value, f: ReluSum | ScaleShift) -> Value:
    """Apply an exact elementwise layer (:mod:`cpa.fold.elementwise`) to a value.

    A :class:`~cpa.fold.elementwise.ReluSum` of ``K`` terms on a symbolic
    tensor of ``n`` entries opens one hidden layer of ``K n`` neurons (through
    :meth:`_Reader.relu`); its output is ``sum_k c_k h_k + e`` in the new
    hidden state.
    """
    if x is None:
        raise rd.malformed("missing input")
    if isinstance(f, ScaleShift):
        if f.is_identity:
            return x
        scale, shift = (np.array(v, dtype=object).reshape(()) if len(v) == 1 else _frac_list(list(v))
                        for v in (f.scale, f.shift))
        return _binary(rd, _binary(rd, x, scale, "Mul"), shift, "Add")
    if not isinstance(x, _Sym) or x.is_constant:
        vals = _frac(x).ravel().tolist() if not isinstance(x, _Sym) else list(x.b)
        out = _frac_list([f(v) for v in vals]).reshape(_shape(x))
        return out if not isinstance(x, _Sym) else _to_sym(x.base, out)
    if f.is_relu:
        return rd.relu(x)
    n, k = len(x.rows), f.relus_per_feature
    rows: list[Row] = []
    bs: list[Fraction] = []
    for a, d in f.pieces:
        rows.extend(_scaled(r, a) for r in x.rows)
        bs.extend(a * v + d for v in x.b)
    h = rd.relu(_Sym(x.base, (k,) + x.shape, tuple(rows), tuple(bs)))
    if k > 1 and h.base > x.base:
        _log.info("read_onnx: %s: %d ReLUs per feature, %d neurons in hidden layer %d for %d features",
                  rd.node, k, k * n, h.base - 1, n)
    out_rows = tuple(_lincomb([(h.rows[j * n + i], c) for j, c in enumerate(f.weights)]) for i in range(n))
    out_b = tuple(sum((c * h.b[j * n + i] for j, c in enumerate(f.weights)), f.offset) for i in range(n))
    return _Sym(h.base, x.shape, out_rows, out_b)


def _scalar(rd: _Reader, v: Value, what: str) -> Fraction | None:
    """The exact number held by an optional scalar input (None when the input is absent)."""
    if v is None:
        return None
    if isinstance(v, _Sym):
        if not v.is_constant:
            raise rd.unsupported(f"{what} depends on the input; it must be a constant")
        vals = list(v.b)
    else:
        vals = _frac(v).ravel().tolist()
    if len(vals) != 1:
        raise rd.malformed(f"{what} has {len(vals)} entries, expected one number")
    return vals[0]


def _op_leaky_relu(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    alpha = _finite(rd, _attrs(node).get("alpha", float(np.float32(0.01))), "alpha")
    return [_elementwise_apply(rd, ins[0], RULES["leaky_relu"].build(alpha))]  # type: ignore[misc]


def _op_clip(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    at = _attrs(node)
    if "min" in at or "max" in at:                  # opset < 11: bounds as attributes
        lo = _finite(rd, at["min"], "min") if "min" in at else None
        hi = _finite(rd, at["max"], "max") if "max" in at else None
    else:
        lo = _scalar(rd, ins[1] if len(ins) > 1 else None, "Clip min")
        hi = _scalar(rd, ins[2] if len(ins) > 2 else None, "Clip max")
    x = ins[0]
    out = _elementwise_apply(rd, x, RULES["clamp"].build(lo, hi))  # type: ignore[misc]
    if _is_int(x):                                  # integer bounds keep integer values
        ints = np.array([int(v) for v in _frac(out).ravel().tolist()], dtype=object).reshape(_shape(x))
        out = _int_result(rd, ints, x.dtype, f"{x.dtype} Clip")
    return [out]


def _op_dropout(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    at = _attrs(node)
    if "is_test" in at and not at["is_test"]:
        raise rd.unsupported("Dropout in training mode (is_test=0); export the model after model.eval()")
    flag = ins[2] if len(ins) > 2 else None
    if flag is not None:
        if not isinstance(flag, _Flag):
            raise rd.unsupported("Dropout training_mode must be a constant bool")
        if flag.values.any():
            raise rd.unsupported("Dropout in training mode (training_mode=true) is random; "
                                 "export the model after model.eval()")
    return [ins[0]]


def _op_batch_norm(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    at = _attrs(node)
    if at.get("training_mode", 0):
        raise rd.unsupported("BatchNormalization in training mode (training_mode=1) normalizes with the "
                             "statistics of each batch; export the model after model.eval()")
    if not at.get("spatial", 1):
        raise rd.unsupported("BatchNormalization with spatial=0 is not supported")
    if len(ins) < 5 or any(v is None for v in ins[:5]):
        raise rd.malformed("BatchNormalization needs inputs X, scale, B, input_mean and input_var")
    x = ins[0]
    shape = _shape(x)
    if len(shape) < 2:
        raise rd.malformed(f"BatchNormalization input of shape {shape}: expected (N, C, ...)")
    c = shape[1]
    params = []
    for v, what in zip(ins[1:5], ("scale", "B", "input_mean", "input_var")):
        if isinstance(v, _Sym):
            if not v.is_constant:
                raise rd.unsupported(f"BatchNormalization {what} depends on the input; it must be a constant")
            v = np.array(v.b, dtype=object).reshape(v.shape)
        if _shape(v) != (c,):
            raise rd.malformed(f"BatchNormalization {what} has shape {_shape(v)}, expected ({c},) "
                               f"for input of shape {shape}")
        params.append(_frac(v).tolist())
    kind = rd.float_kind(node.input[4], "BatchNormalization")
    eps = _finite(rd, at.get("epsilon", float(np.float32(1e-5))), "epsilon")
    try:
        f = RULES["batch_norm"].build(params[0], params[1], params[2], params[3], eps, kind)  # type: ignore[misc]
    except FormatError as e:
        raise rd.malformed(str(e)) from None
    per_channel = (c,) + (1,) * (len(shape) - 2)
    scale = _frac_list(list(f.scale)).reshape(per_channel)
    shift = _frac_list(list(f.shift)).reshape(per_channel)
    return [_binary(rd, _binary(rd, x, scale, "Mul"), shift, "Add")]


# --- convolutions and pooling (cpa.fold.conv, cpa.fold.maxpool) ------------------------------

def _spatial(rd: _Reader, node: Any, x: Value, kernel: Sequence[int] | None = None
             ) -> tuple[tuple[int, ...], list[int], list[int], list[int], list[int], list[int]]:
    """``(shape of one example, kernel, strides, pads begin, pads end, dilations)`` of a Conv/Pool node."""
    shape = _shape(x)
    if len(shape) < 3 or shape[0] != 1:
        raise rd.malformed(f"{node.op_type} input of shape {shape}: expected (1, C, *spatial) (one example)")
    nd = len(shape) - 2
    at = _attrs(node)
    k = [int(v) for v in at.get("kernel_shape", kernel or [])]
    if len(k) != nd:
        raise rd.malformed(f"{node.op_type} kernel_shape {k} for {nd} spatial dimensions")
    strides = [int(v) for v in at.get("strides", [1] * nd)]
    dil = [int(v) for v in at.get("dilations", [1] * nd)]
    auto = at.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto in ("NOTSET", ""):
        pads = [int(v) for v in at.get("pads", [0] * (2 * nd))]
        if len(pads) != 2 * nd:
            raise rd.malformed(f"{node.op_type} pads {pads}: expected {2 * nd} entries")
        pb, pe = pads[:nd], pads[nd:]
    elif auto == "VALID":
        pb, pe = [0] * nd, [0] * nd
    elif auto in ("SAME_UPPER", "SAME_LOWER"):
        pb, pe = [], []
        for L, kk, st, dd in zip(shape[2:], k, strides, dil):
            total = max((-(-L // st) - 1) * st + dd * (kk - 1) + 1 - L, 0)
            small, big = total // 2, total - total // 2
            pb.append(small if auto == "SAME_UPPER" else big)
            pe.append(big if auto == "SAME_UPPER" else small)
    else:
        raise rd.malformed(f"{node.op_type} auto_pad={auto!r} is not an ONNX value")
    return tuple(shape[1:]), k, strides, pb, pe, dil


def _apply_affine(rd: _Reader, x: Value, f: Any, out_shape: tuple[int, ...]) -> _Sym:
    """``f`` (an :class:`~cpa.affine.Affine` of the flattened value) applied to ``x``, of shape ``out_shape``."""
    s = x if isinstance(x, _Sym) else _to_sym(rd.current, x)
    _check_size(_size(out_shape), out_shape)
    rows = tuple(_lincomb([(s.rows[j], w) for j, w in r]) for r in f.W.rows)
    b = tuple(sum((w * s.b[j] for j, w in r), c) for r, c in zip(f.W.rows, f.b))
    return _Sym(s.base, out_shape, rows, b)


def _op_conv(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    if len(ins) < 2 or ins[0] is None or ins[1] is None:
        raise rd.malformed("Conv needs inputs X and W")
    x, w = ins[0], ins[1]
    bias = ins[2] if len(ins) > 2 else None
    for v, what in ((w, "W"), (bias, "B")):
        if isinstance(v, _Sym) and not v.is_constant:
            raise rd.unsupported(f"Conv {what} depends on the input; it must be a constant")
    w = _frac(np.array(w.b, dtype=object).reshape(w.shape) if isinstance(w, _Sym) else w)
    b = None if bias is None else (list(bias.b) if isinstance(bias, _Sym) else _frac(bias).ravel().tolist())
    one, k, st, pb, pe, dil = _spatial(rd, node, x, list(w.shape[2:]))
    try:
        group = int(_attrs(node).get("group", 1))
        f, out = RULES["conv"].build(w, b, one, st, pb, pe, dil, group)  # type: ignore[misc]
    except ShapeError as e:
        raise rd.malformed(f"Conv on input of shape {_shape(x)}: {e}") from None
    return [_apply_affine(rd, x, f, (1,) + tuple(out))]


def _op_average_pool(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    at = _attrs(node)
    x = ins[0]
    one, k, st, pb, pe, dil = _spatial(rd, node, x)
    if any(d != 1 for d in dil):
        raise rd.unsupported(f"AveragePool with dilations {dil} is not supported")
    try:
        f, out = RULES["avg_pool"].build(one, k, st, pb, bool(at.get("ceil_mode", 0)),  # type: ignore[misc]
                                         bool(at.get("count_include_pad", 0)), None, pe)
    except ShapeError as e:
        raise rd.malformed(f"AveragePool on input of shape {_shape(x)}: {e}") from None
    return [_apply_affine(rd, x, f, (1,) + tuple(out))]


def _op_max_pool(rd: _Reader, node: Any, ins: list[Value | None]) -> list[Value]:
    at = _attrs(node)
    if len(node.output) > 1 and node.output[1]:
        raise rd.unsupported("MaxPool with an Indices output: indices are not piecewise affine values")
    if at.get("storage_order", 0):
        raise rd.unsupported("MaxPool storage_order=1 is not supported")
    x = ins[0]
    one, k, st, pb, pe, dil = _spatial(rd, node, x)
    try:
        ceil = bool(at.get("ceil_mode", 0))
        windows, out = RULES["max_pool"].build(one, k, st, pb, dil, ceil, pe)  # type: ignore[misc]
    except ShapeError as e:
        raise rd.malformed(f"MaxPool on input of shape {_shape(x)}: {e}") from None
    shape = (1,) + tuple(out)
    if not isinstance(x, _Sym) or x.is_constant:
        vals = _frac(x).ravel().tolist() if not isinstance(x, _Sym) else list(x.b)
        return [_frac_list([max(vals[j] for j in w) for w in windows]).reshape(shape)]
    nonneg = x.base > 0 and all(v >= 0 for v in x.b) and all(c >= 0 for r in x.rows for c in r.values())
    levels, select = max_tree(tuple(windows), nonneg)
    cur = x
    for pre, post in levels:
        h = rd.relu(_Sym(cur.base, (len(pre),), tuple(_lincomb([(cur.rows[j], c) for j, c in p.items()]) for p in pre),
                         tuple(sum((c * cur.b[j] for j, c in p.items()), ZERO) for p in pre)))
        cur = _Sym(h.base, (len(post),), tuple(_lincomb([(h.rows[j], c) for j, c in q.items()]) for q in post),
                   tuple(sum((c * h.b[j] for j, c in q.items()), ZERO) for q in post))
    if cur.base > x.base:
        _log.info("read_onnx: %s: max over windows of up to %d entries as %d extra hidden layers",
                  rd.node, max(len(w) for w in windows), cur.base - x.base)
    return [_Sym(cur.base, shape, tuple(cur.rows[j] for j in select), tuple(cur.b[j] for j in select))]


_Op = Callable[[_Reader, Any, list[Value | None]], list[Value]]

#: op type -> function(reader, node, input values) -> output values
_OPS: dict[str, _Op] = {
    "Gemm": _op_gemm,
    "MatMul": _op_matmul,
    "Add": _elementwise("Add"),
    "Sub": _elementwise("Sub"),
    "Mul": _elementwise("Mul"),
    "Div": _elementwise("Div"),
    "Neg": _op_neg,
    "Relu": _op_relu,
    "Identity": _op_identity,
    "Constant": _op_constant,
    "Flatten": _op_flatten,
    "Reshape": _op_reshape,
    "Squeeze": _op_squeeze,
    "Unsqueeze": _op_unsqueeze,
    "Transpose": _op_transpose,
    "Shape": _op_shape,
    "Gather": _op_gather,
    "Slice": _op_slice,
    "Concat": _op_concat,
    "LeakyRelu": _op_leaky_relu,
    "Clip": _op_clip,
    "Dropout": _op_dropout,
    "BatchNormalization": _op_batch_norm,
    "Conv": _op_conv,
    "AveragePool": _op_average_pool,
    "MaxPool": _op_max_pool,
}

SUPPORTED_OPS: tuple[str, ...] = tuple(sorted(_OPS))


# --- driver -------------------------------------------------------------------------

def _label(i: int, node: Any) -> str:
    if node.name:
        return repr(short(node.name, 60))
    out = node.output[0] if node.output else "?"
    return f"#{i} (output {short(out, 60)!r})"


def _live_nodes(graph: Any, output: str) -> list[tuple[int, Any]]:
    """Nodes that the output depends on, in a topological order (linear time; a cycle is refused)."""
    import heapq

    producer: dict[str, int] = {}
    for i, n in enumerate(graph.node):
        for o in n.output:
            if o:
                producer[o] = i
    needed: set[int] = set()
    stack = [output]
    seen: set[str] = set()
    while stack:
        name = stack.pop()
        if name in seen or name not in producer:
            continue
        seen.add(name)
        i = producer[name]
        if i not in needed:
            needed.add(i)
            stack.extend(x for x in graph.node[i].input if x)
    # Kahn's algorithm by in-degree, smallest index first (graphs are meant to be sorted already)
    users: dict[int, list[int]] = {i: [] for i in needed}
    missing = dict.fromkeys(needed, 0)
    for i in needed:
        for p in {producer[x] for x in graph.node[i].input if x and x in producer and producer[x] in needed}:
            users[p].append(i)
            missing[i] += 1
    ready = [i for i, m in missing.items() if m == 0]
    heapq.heapify(ready)
    order: list[tuple[int, Any]] = []
    while ready:
        i = heapq.heappop(ready)
        order.append((i, graph.node[i]))
        for u in users[i]:
            missing[u] -= 1
            if missing[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(needed):
        raise FormatError("the graph has a cycle")
    return order


def _input_shape(vi: Any, source: str) -> tuple[int, ...]:
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        raise FormatError(f"{source}: input {short(vi.name, 60)!r} has no declared shape")
    dims = list(t.shape.dim)
    shape = []
    for k, d in enumerate(dims):
        if k == 0 and len(dims) >= 2:
            shape.append(1)  # the batch dimension: one example
        elif d.HasField("dim_value") and d.dim_value >= 0:
            shape.append(int(d.dim_value))
        else:
            raise FormatError(
                f"{source}: input {short(vi.name, 60)!r} dimension {k} is not a fixed size "
                f"({short(d.dim_param, 40) or 'unknown'}); only the leading batch dimension may vary")
    return tuple(shape)


def _training(node: Any, flags: dict[str, Any]) -> bool:
    """A BatchNormalization or Dropout node in training mode, as seen before evaluation.

    ``flags`` maps tensor names to the TensorProto of initializers and Constant
    nodes (where a Dropout's ``training_mode`` comes from).
    """
    if node.op_type == "BatchNormalization":
        return any(a.name == "training_mode" and a.i for a in node.attribute)
    if node.op_type == "Dropout":
        if any(a.name == "is_test" and not a.i for a in node.attribute):
            return True
        if len(node.input) > 2 and node.input[2] in flags:
            from onnx import numpy_helper

            try:
                return bool(np.asarray(numpy_helper.to_array(flags[node.input[2]])).any())
            except Exception:  # unreadable: left to the evaluation, which reports it
                return False
    return False


def _flag_tensors(graph: Any) -> dict[str, Any]:
    """Name -> TensorProto of the initializers and of the Constant nodes with a ``value``."""
    out = {t.name: t for t in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and n.output:
            for a in n.attribute:
                if a.name == "value" and a.HasField("t"):
                    out[n.output[0]] = a.t
    return out


def _why_not(node: Any, output: str, training: bool) -> str:
    """The reason given after ``node 'name' (Op)`` in the list of refused nodes ("" if nothing to add)."""
    op = node.op_type
    if training:
        return " in training mode"
    if op in LOGITS_LAYERS and output in node.output:
        return (" at the output: a network is read up to its logits (the final "
                f"{op} is not piecewise affine); export the model without it")
    if op in NOT_PIECEWISE_AFFINE:
        return " not piecewise affine"
    return ""


def graph_to_network(model: Any, source: str = "ONNX model") -> ReLUNetwork:
    """Interpret an ``onnx.ModelProto`` as an exact :class:`ReLUNetwork` (see the module docstring).

    Parameters
    ----------
    model
        The ``onnx.ModelProto``.
    source
        Where the model came from, put before error messages.

    Returns
    -------
    ReLUNetwork
        The network, each weight the exact value of its float.

    Raises
    ------
    UnsupportedLayerError
        Listing every node with an unsupported op type; or naming the first
        node whose use of supported operators is not piecewise affine (a
        product of input-dependent values, ...).
    FormatError
        If the graph is malformed (shapes that do not fit, missing inputs, ...).
    """
    g = model.graph
    if g.sparse_initializer:
        raise UnsupportedLayerError(f"{source}: sparse initializers are not supported")
    init_names = {t.name for t in g.initializer}
    inputs = [vi for vi in g.input if vi.name not in init_names]
    if len(inputs) != 1:
        raise FormatError(f"{source}: expected one input, the graph has {len(inputs)}: "
                          + listing(repr(v.name) for v in inputs))
    if len(g.output) != 1:
        raise FormatError(f"{source}: expected one output, the graph has {len(g.output)}")
    out_name = g.output[0].name
    order = _live_nodes(g, out_name)
    flags = _flag_tensors(g)
    training = {i for i, n in order if _training(n, flags)}
    bad = [f"node {_label(i, n)} "
           f"({short(n.op_type if n.domain in ('', 'ai.onnx') else n.domain + '.' + n.op_type, 60)})"
           + _why_not(n, out_name, i in training)
           for i, n in order if n.op_type not in _OPS or n.domain not in ("", "ai.onnx") or i in training]
    if bad:
        hint = ("; export the model after model.eval(): in training mode Dropout is random and "
                "BatchNormalization normalizes with the statistics of each batch" if training else "")
        raise UnsupportedLayerError(
            f"{source}: {len(bad)} unsupported operator{'s' if len(bad) > 1 else ''}: "
            + "; ".join(bad[:20]) + (f"; ... and {len(bad) - 20} more" if len(bad) > 20 else "") + hint
            + f" (supported: {', '.join(SUPPORTED_OPS)})")
    rd = _Reader(model, source)
    x = inputs[0]
    rd.input_elem = x.type.tensor_type.elem_type
    shape = _input_shape(x, source)
    rd.sizes.append(_size(shape))
    try:
        rd.env[x.name] = _identity(0, shape)
    except _TooLarge as e:
        raise FormatError(f"{source}: input {short(x.name, 60)!r}: {e}") from None
    for i, node in order:
        rd.node = f"{_label(i, node)} ({node.op_type})"
        ins = [rd.value(name) if name else None for name in node.input]
        for k, v in enumerate(ins):
            if isinstance(v, _Flag) and k not in _FLAG_INPUTS.get(node.op_type, ()):
                raise v.refusal()
        try:
            outs = _OPS[node.op_type](rd, node, ins)
        except CPAError:
            raise
        except _TooLarge as e:
            raise rd.malformed(str(e)) from None
        except (ArithmeticError, ValueError, IndexError, TypeError, KeyError, AttributeError,
                MemoryError, RecursionError) as e:
            raise rd.malformed(f"cannot be evaluated ({type(e).__name__}: {short(str(e), 120)})") from None
        for name, v in zip(node.output, outs):
            if name:
                rd.env[name] = v
    rd.node = f"graph output {short(out_name, 60)!r}"
    y = rd.value(out_name)
    if isinstance(y, _Flag):
        raise y.refusal()
    if not isinstance(y, _Sym):
        y = _to_sym(rd.current, y)
    y = rd.lift(y, rd.current)
    W = SparseMatrix((len(y.rows), rd.sizes[-1]), [tuple(sorted(r.items())) for r in y.rows])
    try:
        net = ReLUNetwork([*rd.network_layers(), (W, y.b)])
    except (ShapeError, InvalidNumberError) as e:
        raise FormatError(f"{source}: {e}") from None
    check_layers(net, source)
    return net
